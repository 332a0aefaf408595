/* precursor/model_h5.h — trained models (kind "model", written by `precursor train`) read
 * back for inference or fine-tuning, and batched prediction. PETSc layer (parallel HDF5).
 *
 *     prc_model *m;
 *     PetscCall(prc_model_h5_load(comm, "run/model.h5", &m));   // spec + params + buffers
 *     PetscCall(prc_model_predict(m, x, n, 64, prob));          // eval mode, softmax rows
 */
#ifndef PRECURSOR_MODEL_H5_H
#define PRECURSOR_MODEL_H5_H

#include "precursor/h5io.h"
#include "precursor/nn_model.h"

/* Open `path` (collective on comm; every rank gets its own copy of the model), check its
 * kind is "model", rebuild the model from its `spec_text` and `spec_defines` attributes and
 * copy every /params/<tensor> and /buffers/<tensor> by name, checking shapes. Errors name the
 * file and the tensor. The model is left in eval mode (prc_model_set_training(m, 0)) with no
 * batch allocated. */
PetscErrorCode prc_model_h5_load(MPI_Comm comm, const char *path, prc_model **out);

/* Write every tensor as /params/<name> and /buffers/<name> (float32, PyTorch shapes) under
 * fid, the layout prc_model_h5_load reads. Collective; rank 0's values are written. */
PetscErrorCode prc_model_h5_write_tensors(MPI_Comm comm, hid_t fid, prc_model *m);

/* Parse a "NAME=VALUE,NAME=VALUE" (or "none"/"") defines string into a NULL-terminated
 * array of at most max-1 pointers into buf (a copy the caller provides, len bytes). */
int prc_model_defines_split(const char *defs, char *buf, size_t len, char **out, int max);

/* Class probabilities of n samples x (n, input size of the model's first input), in eval
 * mode, in batches of at most `batch`: prob (n, C) = softmax of the logits (double
 * arithmetic, max-subtracted). Local (no communication). Models with a second input are
 * refused. */
PetscErrorCode prc_model_predict(prc_model *m, const float *x, int64_t n, int batch, float *prob);
/* The same for models with an auxiliary second input: aux (n, its size), NULL for one-input models;
 * prob may be NULL; argmax (n, may be NULL) receives each sample's first largest logit. */
PetscErrorCode prc_model_predict_aux(prc_model *m, const float *x, const float *aux, int64_t n, int batch, float *prob, int *argmax);

/* Width of the model's output per sample (classes of a classifier): one forward of a zero
 * sample (of every input: one- and two-input models) in eval mode. Leaves the batch at 1. */
PetscErrorCode prc_model_output_width(prc_model *m, int *K);

#endif

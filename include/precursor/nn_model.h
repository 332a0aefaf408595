/* precursor/nn_model.h — models assembled from layers by a readable spec (kernel layer: no MPI).
 *
 * A model is a directed acyclic graph of named nodes, each one layer (include/precursor/nn.h)
 * applied to one or more earlier nodes or model inputs, read from a text spec
 * (inputs/models/<name>.model, format in docs/NN.md "Model specs"). The model owns every
 * activation tensor for a given batch size and keeps ALL learnable parameters in one
 * contiguous float buffer (and their gradients in a second one of the same layout), in spec
 * order — so an optimiser and a fused MPI allreduce work on one array each, and a checkpoint
 * is a few datasets. Non-learnable state (batch-norm running statistics) is a third flat
 * buffer.
 *
 *     prc_model *m;
 *     prc_model_load("inputs/models/convnetquake.model", NULL, &m);
 *     prc_model_set_batch(m, 64);                 // allocate activations for N = 64
 *     prc_model_init(m, seed);                    // PyTorch-default initialisation, seeded
 *     prc_model_zero_grad(m);
 *     prc_model_forward(m, in, &loss, target);    // in[i]: (N, ...) per model input
 *     prc_model_backward(m);                      // ADDS into prc_model_grads(m)
 *     ... optimiser on prc_model_params(m) / prc_model_grads(m) ...
 *
 * All functions return 0 or a non-zero code after prc_seterr() (message names the spec file
 * and line for spec errors).
 */
#ifndef PRECURSOR_NN_MODEL_H
#define PRECURSOR_NN_MODEL_H

#include "precursor/nn.h"

typedef struct prc_model prc_model;

/* Parse a spec from text (`where` names it in messages) or from a file. `defines` is an
 * optional NULL-terminated list of "NAME=VALUE" substitutions for ${NAME} in the spec
 * (e.g. number of classes, input length) so one spec serves several sizes. */
int  prc_model_parse(const char *text, const char *where, const char *const *defines, prc_model **out);
int  prc_model_load(const char *path, const char *const *defines, prc_model **out);
void prc_model_destroy(prc_model *m);

/* A second, independent model of the same spec (the canonical text after substitution) with
 * the state of `src` (prc_model_copy_state); no activations (call set_batch). Threads use
 * one clone each: a model is not shared between threads (include/precursor/nn_threads.h). */
int prc_model_clone(const prc_model *src, prc_model **out);
/* Copy parameters, buffers, the training flags of every layer and the random layers' seeds
 * and stream of `src` into `dst`, a model of the same spec (refused otherwise). Gradients and
 * activations are not copied. */
int prc_model_copy_state(prc_model *dst, const prc_model *src);

/* Model inputs (the main input "x" first, then e.g. auxiliary scalars), per-sample shapes
 * without the batch dimension. */
int         prc_model_ninputs(const prc_model *m);
const char *prc_model_input_name(const prc_model *m, int i);
int         prc_model_input_shape(const prc_model *m, int i, int *ndim, int *shape);

/* Allocate (or re-allocate) activations for batch size N. Must be called before forward. */
int prc_model_set_batch(prc_model *m, int N);
int prc_model_batch(const prc_model *m);

/* Initialise every parameter (PyTorch's default for its layer, or the init the spec names)
 * from `seed`; buffers to their defaults (running mean 0, var 1). Same seed, same model. */
int prc_model_init(prc_model *m, uint64_t seed);

/* Random layers (dropout) draw the masks of the following forwards from `stream` (mixed with
 * each layer's seed) instead of their own call counters — set it before each forward to make
 * the masks a function of, e.g., (step, micro-batch): independent of which rank runs it and
 * of restarts. Without a call, the per-layer counter is used. */
void prc_model_set_stream(prc_model *m, uint64_t stream);

/* Training flag for every layer (batch-norm batch statistics, dropout active); default 1. */
void prc_model_set_training(prc_model *m, int training);
/* The same flag for the batch-norm layers only (call after prc_model_set_training): 0 = they
 * normalise with their running statistics and do not update them ("frozen" batch norm, e.g.
 * for fine-tuning on small batches) while dropout stays as set. */
void prc_model_set_training_bn(prc_model *m, int training);

/* Forward pass. in[i] has shape (N, input_shape(i)). If the spec declares a loss and
 * `target` is non-NULL (labels (N) as float class indices, or soft targets (N, C)), *loss
 * receives the mean loss over the batch and the loss gradient is seeded for backward;
 * otherwise *loss (if non-NULL) is set to NaN. */
int prc_model_forward(prc_model *m, const prc_tensor *const *in, const prc_tensor *target, double *loss);
/* The model output (logits for classifiers), shape (N, ...). Valid after forward. */
const prc_tensor *prc_model_output(const prc_model *m);
/* Backward pass of the last forward (needs a declared loss and a target in that forward):
 * ADDS into the gradient buffer. Inputs' gradients are not computed. */
int prc_model_backward(prc_model *m);
/* Backward from a caller-supplied output gradient (GAN: the discriminator's input gradient
 * drives the generator); dout has the output's shape. If dx is non-NULL and the first
 * input had grad storage, d loss / d input[0] is ADDED into dx (size N * input 0 size). */
int prc_model_backward_from(prc_model *m, const float *dout, float *dx);

/* Flat parameter/gradient/buffer storage (spec order; layout of each tensor as PyTorch). */
size_t prc_model_nparams(const prc_model *m);
float *prc_model_params(prc_model *m);
float *prc_model_grads(prc_model *m);
void   prc_model_zero_grad(prc_model *m);
size_t prc_model_nbuffers(const prc_model *m);
float *prc_model_buffers(prc_model *m);

/* Named tensors inside the flat buffers: "<node>.<param>", e.g. "conv1.weight",
 * "bn1.running_mean" (kind 0 = parameter, 1 = buffer). Used by checkpoints and the
 * PyTorch comparison. Weight decay applies to kind 0 tensors with ndim >= 2 only when the
 * optimiser is told so (prc_model_tensor_is_weight). */
int         prc_model_ntensors(const prc_model *m);
const char *prc_model_tensor_name(const prc_model *m, int i);
int         prc_model_tensor_kind(const prc_model *m, int i);
size_t      prc_model_tensor_offset(const prc_model *m, int i); /* into params or buffers */
int         prc_model_tensor_shape(const prc_model *m, int i, int *ndim, int *shape);
int         prc_model_tensor_is_weight(const prc_model *m, int i);

/* Short human-readable summary (one line per node: name, layer, output shape, #params). */
int prc_model_summary(const prc_model *m, char *buf, size_t len);
/* The spec's model name and a CRC-32 of its canonical text (checkpoints refuse another). */
const char   *prc_model_name(const prc_model *m);
unsigned long prc_model_fingerprint(const prc_model *m);

/* Per-node timing (added for the benchmark): set_profiling(m, 1) clears and starts
 * accumulating the wall time of every node's forward and backward; profile() prints ms per
 * pass, one line per node. */
void prc_model_set_profiling(prc_model *m, int on);
int  prc_model_profile(const prc_model *m, char *buf, size_t len);

#endif

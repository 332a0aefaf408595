/* precursor/em_predict.h — predicted classes of a trained model (model.h5 of `train`, read with
 * prc_model_h5_load) for samples x and, for models with a second input, aux (the EM classifiers of
 * paper 000: docs/EM.md). prc_model_predict (model_h5.h) refuses two-input models; this one takes
 * them. Local (no communication), eval mode. */
#ifndef PRECURSOR_EM_PREDICT_H
#define PRECURSOR_EM_PREDICT_H

#include <stdint.h>

#include "precursor/nn_model.h"
#include <petscsys.h>

/* pred[i] = argmax of the logits of sample i; x (n, input 0 size), aux (n, input 1 size) or unused. */
PetscErrorCode prc_em_predict(prc_model *m, const float *x, const float *aux, int64_t n, int batch, int *pred);

#endif

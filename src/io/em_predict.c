/* em_predict.c — class predictions of a trained model with an auxiliary input (include/precursor/em_predict.h). */
#include <string.h>

#include "precursor/em_predict.h"
#include "precursor/error.h"

/* Predicted classes of n samples (x: n x S, aux: n x A or NULL) in eval mode. Local. */
PetscErrorCode prc_em_predict(prc_model *m, const float *x, const float *aux, int64_t n, int batch, int *pred)
{
  int nd, sh[8], nd1 = 0, sh1[8];
  PetscFunctionBeginUser;
  PrcCallK(prc_model_input_shape(m, 0, &nd, sh));
  const int ni = prc_model_ninputs(m);
  if (ni > 1) PrcCallK(prc_model_input_shape(m, 1, &nd1, sh1));
  size_t S = 1, A = 1;
  for (int i = 0; i < nd; i++) S *= (size_t)sh[i];
  for (int i = 0; i < nd1; i++) A *= (size_t)sh1[i];
  prc_model_set_training(m, 0);
  for (int64_t i0 = 0; i0 < n; i0 += batch) {
    int nb = (int)(n - i0 < batch ? n - i0 : batch);
    if (prc_model_batch(m) != nb) PrcCallK(prc_model_set_batch(m, nb));
    prc_tensor t[2];
    memset(t, 0, sizeof t);
    for (int k = 0; k < ni; k++) {
      int d = k ? nd1 : nd, *s = k ? sh1 : sh;
      t[k].ndim = d + 1;
      for (int i = 0; i < PRC_NN_MAXDIM; i++) t[k].shape[i] = 1;
      t[k].shape[0] = nb;
      for (int i = 0; i < d; i++) t[k].shape[i + 1] = s[i];
      t[k].size = (size_t)nb * (k ? A : S);
      t[k].data = (float *)(k ? aux + (size_t)i0 * A : x + (size_t)i0 * S);
    }
    const prc_tensor *in[2] = {&t[0], &t[1]};
    PrcCallK(prc_model_forward(m, in, NULL, NULL));
    const prc_tensor *o = prc_model_output(m);
    size_t            C = o->size / (size_t)nb;
    for (int k = 0; k < nb; k++) {
      const float *l = o->data + (size_t)k * C;
      int          b = 0;
      for (size_t j = 1; j < C; j++)
        if (l[j] > l[b]) b = (int)j;
      pred[i0 + k] = b;
    }
  }
  PetscFunctionReturn(0);
}


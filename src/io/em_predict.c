/* em_predict.c — class predictions of a trained model with an auxiliary input
 * (include/precursor/em_predict.h): prc_model_predict_aux's argmax of the logits. */
#include "precursor/em_predict.h"
#include "precursor/model_h5.h"

/* Predicted classes of n samples (x: n x S, aux: n x A or NULL) in eval mode. Local. */
PetscErrorCode prc_em_predict(prc_model *m, const float *x, const float *aux, int64_t n, int batch, int *pred)
{
  PetscFunctionBeginUser;
  PetscCall(prc_model_predict_aux(m, x, aux, n, batch, NULL, pred));
  PetscFunctionReturn(0);
}

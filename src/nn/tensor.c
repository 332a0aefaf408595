/* tensor.c — the small tensor of the NN core: up to 4-D, float data and optional grad. */
#include "nn_internal.h"

prc_tensor *prc_tensor_new(int ndim, const int *shape, int with_grad)
{
  if (ndim < 1 || ndim > PRC_NN_MAXDIM) {
    prc_seterr("tensor: ndim %d outside 1..%d", ndim, PRC_NN_MAXDIM);
    return NULL;
  }
  prc_tensor *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->ndim = ndim;
  t->size = 1;
  for (int i = 0; i < PRC_NN_MAXDIM; i++) {
    t->shape[i] = i < ndim ? shape[i] : 1;
    if (t->shape[i] < 1) {
      prc_seterr("tensor: dimension %d is %d (must be >= 1)", i, t->shape[i]);
      free(t);
      return NULL;
    }
    t->size *= (size_t)t->shape[i];
  }
  t->data = calloc(t->size, sizeof(float));
  if (with_grad) t->grad = calloc(t->size, sizeof(float));
  if (!t->data || (with_grad && !t->grad)) {
    prc_seterr("tensor: out of memory (%zu floats)", t->size);
    prc_tensor_free(t);
    return NULL;
  }
  return t;
}

void prc_tensor_free(prc_tensor *t)
{
  if (!t) return;
  free(t->data);
  free(t->grad);
  free(t);
}

void prc_tensor_zero_grad(prc_tensor *t)
{
  if (t && t->grad) memset(t->grad, 0, t->size * sizeof(float));
}

int prc_tensor_same_shape(const prc_tensor *a, const prc_tensor *b)
{
  if (a->ndim != b->ndim) return 0;
  for (int i = 0; i < a->ndim; i++)
    if (a->shape[i] != b->shape[i]) return 0;
  return 1;
}

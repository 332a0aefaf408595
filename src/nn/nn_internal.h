/* nn_internal.h — helpers shared by the layer files (not installed). */
#ifndef PRC_NN_INTERNAL_H
#define PRC_NN_INTERNAL_H

#include "precursor/error.h"
#include "precursor/nn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Add a learnable parameter of the given shape (zero-filled, with grad). */
int prc_nn_add_param(prc_layer *l, const char *name, int ndim, const int *shape);
int prc_nn_add_buf(prc_layer *l, const char *name, int ndim, const int *shape);
/* Fill with U(-bound, bound) from a seeded stream (PyTorch's default: bound = 1/sqrt(fan_in)). */
void prc_nn_init_uniform(float *a, size_t n, double bound, uint64_t seed, uint64_t stream);
/* Check nin and the rank of in[0]. */
int prc_nn_check_in(const prc_layer *l, int nin, int want_nin, const prc_tensor *const *in,
                    int min_ndim, int max_ndim);
/* Product of dims from index `from` on (spatial size for from = 2). */
static inline size_t prc_nn_inner(const prc_tensor *t, int from)
{
  size_t s = 1;
  for (int i = from; i < t->ndim; i++) s *= (size_t)t->shape[i];
  return s;
}
static inline double prc_nn_sigmoid(double x)
{
  return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

/* Gate network of SE and soft threshold (mlp2.c): a = sigmoid(W2 relu(W1 s + b1) + b2). */
void prc_nn_mlp2_forward(int N, int C, int R, const float *W1, const float *b1, const float *W2,
                         const float *b2, const float *s, float *h, float *a);
void prc_nn_mlp2_backward(int N, int C, int R, const float *W1, const float *W2, const float *s,
                          const float *h, const float *a, const float *da, float *dW1,
                          float *db1, float *dW2, float *db2, float *ds);
/* Adds params fc1.weight (R,C), fc1.bias, fc2.weight (C,R), fc2.bias, PyTorch-style init. */
int prc_nn_mlp2_params(prc_layer *l, int C, int R);

/* Built-in layer constructors. */
#define PRC_NN_LAYERS(X)                                                                  \
  X(fc) X(conv1d) X(conv2d) X(conv_transpose2d) X(relu) X(leaky_relu) X(tanh)             \
  X(sigmoid) X(maxpool1d) X(avgpool1d) X(maxpool2d) X(avgpool2d) X(global_avgpool)        \
  X(batchnorm) X(dropout) X(add) X(concat) X(softmax_ce) X(bce_logits) X(kl_distill)      \
  X(cosine_loss) X(se) X(soft_threshold)
#define PRC_NN_DECL(n) int prc_layer_create_##n(const prc_layer_conf *c, prc_layer *l);
PRC_NN_LAYERS(PRC_NN_DECL)
#undef PRC_NN_DECL

/* Free the calling thread's convolution workspace (conv_kernels.c). */
void prc_nn_thread_release(void);

#endif

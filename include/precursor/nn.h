/* precursor/nn.h — neural-network core: tensors and layers (kernel layer: no MPI).
 *
 * Layouts: 1-D data (N, C, L), 2-D data (N, C, H, W), dense data (N, F); row-major,
 * float32 storage.  A layer is a small object behind an ops table (darknet `struct layer`,
 * PETSc ops tables), created by name from a flat configuration:
 *
 *     prc_layer_conf c = {.in_ch = 3, .out_ch = 8, .k = {5}, .stride = {2}, .seed = 1};
 *     prc_layer *l;  prc_layer_create("conv1d", &c, &l);
 *     prc_layer_output_shape(l, 1, in, &ndim, shape);   // allocate `out` with it
 *     prc_layer_forward(l, 1, in, out);
 *     ... set out->grad ...
 *     prc_layer_backward(l, 1, in, out);               // ADDS into in[i]->grad, param grads
 *     prc_layer_destroy(l);
 *
 * Contract: backward uses the inputs and output of the immediately preceding forward call
 * on the same layer (layers may cache e.g. max-pool arg-max, BN x-hat, dropout mask) and
 * *adds* into every non-NULL gradient buffer (inputs' `grad`, parameters' `grad`), so
 * gradients accumulate over micro-batches until the caller zeroes them.  Inputs whose
 * `grad` is NULL (labels, targets, teacher outputs) receive nothing.  Loss layers output
 * a 1-element tensor; their backward scales by out->grad[0] (set it to 1).
 * All functions return 0 or a non-zero code after prc_seterr().
 */
#ifndef PRECURSOR_NN_H
#define PRECURSOR_NN_H

#include <stddef.h>
#include <stdint.h>

#define PRC_NN_MAXDIM 4

typedef struct {
  int    ndim;                 /* 1..4 */
  int    shape[PRC_NN_MAXDIM]; /* unused trailing entries are 1 */
  size_t size;                 /* product of the shape */
  float *data;
  float *grad;                 /* NULL when the tensor needs no gradient */
} prc_tensor;

/* A tensor of the given shape, zero-filled (data and, if with_grad, grad); NULL on error. */
prc_tensor *prc_tensor_new(int ndim, const int *shape, int with_grad);
void        prc_tensor_free(prc_tensor *t);
void        prc_tensor_zero_grad(prc_tensor *t);
int         prc_tensor_same_shape(const prc_tensor *a, const prc_tensor *b);

/* Flat layer configuration; zero means "default" for every field (see docs/NN.md).
 * Index 0 of k/stride/pad/dil/out_pad is the length (1-D) or height (2-D), index 1 the width. */
typedef struct {
  int      in_ch, out_ch;       /* channels (conv), features (fc), channels (bn, se, soft_threshold) */
  int      k[2], stride[2], pad[2], dil[2], out_pad[2];
  int      no_bias;             /* 1: conv/fc without bias */
  int      reduction;           /* SE / soft-threshold hidden size = max(1, C / reduction); 0 -> 4 */
  float    alpha;               /* leaky_relu slope (0 -> 0.01) */
  float    p;                   /* dropout probability */
  float    momentum, eps;       /* batch norm (0 -> 0.1, 1e-5); running = (1-m) running + m batch */
  float    temperature;         /* kl_distill (0 -> 1) */
  const float *class_weight;    /* softmax_ce: optional per-class weights (copied) */
  uint64_t seed;                /* parameter initialisation and dropout masks */
} prc_layer_conf;

typedef struct prc_layer prc_layer;

typedef struct {
  const char *name;
  /* Output shape for these inputs, or an error if the inputs do not fit the layer. */
  int (*shape)(prc_layer *l, int nin, const prc_tensor *const *in, int *ndim, int *shape);
  int (*forward)(prc_layer *l, int nin, const prc_tensor *const *in, prc_tensor *out);
  int (*backward)(prc_layer *l, int nin, prc_tensor *const *in, const prc_tensor *out);
  void (*destroy)(prc_layer *l);
} prc_layer_ops;

#define PRC_NN_MAXPARAM 6

struct prc_layer {
  const prc_layer_ops *ops;
  prc_layer_conf conf;
  int            training;  /* 1 (default): batch-norm batch statistics, dropout active */
  int            use_ref;   /* 1: run the straightforward reference kernels (tests) */
  int            stream_set; /* 1: random layers (dropout) draw the next forward's mask from */
  uint64_t       stream;     /*    stream `stream` instead of their own call counter */
  int            nparam;    /* learnable parameters, each with a grad buffer */
  prc_tensor    *param[PRC_NN_MAXPARAM];
  const char    *param_name[PRC_NN_MAXPARAM];
  int            nbuf;      /* non-learnable state to checkpoint (batch-norm running stats) */
  prc_tensor    *buf[2];
  const char    *buf_name[2];
  void          *state;     /* private to the layer */
};

typedef int (*prc_layer_create_fn)(const prc_layer_conf *c, prc_layer *l);

/* Registry: the built-in layers are registered on first use; more may be added. */
int  prc_layer_register(const char *name, prc_layer_create_fn create);
/* Names of the registered layers, NULL-terminated (static storage). */
const char *const *prc_layer_names(void);
int  prc_layer_create(const char *name, const prc_layer_conf *c, prc_layer **out);
void prc_layer_destroy(prc_layer *l);
int  prc_layer_output_shape(prc_layer *l, int nin, const prc_tensor *const *in, int *ndim,
                            int *shape);
/* Checks `out` has the output shape, then runs ops->forward / ops->backward. */
int  prc_layer_forward(prc_layer *l, int nin, const prc_tensor *const *in, prc_tensor *out);
int  prc_layer_backward(prc_layer *l, int nin, prc_tensor *const *in, const prc_tensor *out);
void prc_layer_zero_grad(prc_layer *l);

/* Rescaled soft labels for online distillation: q_i = p_i^(1/omega) / sum_j p_j^(1/omega),
 * rows of length C, n rows; omega > 0 (omega > 1 softens). */
int prc_nn_soft_labels(const float *p, int n, int C, double omega, float *q);

/* --- kernels shared by layers (exposed for tests and benchmarks) ------------------------ */

/* Convolution geometry, 2-D; 1-D is H = 1, kh = 1.  x (N,C,H,W), w (K,C,kh,kw),
 * y (N,K,Ho,Wo), Ho = (H + 2 ph - dh (kh-1) - 1) / sh + 1. */
typedef struct {
  int N, C, H, W, K, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo;
  /* 0: one sgemm per sample, so a sample's output / data gradient does not depend on the
   * batch it is in (inference; stages split windows over ranks); 1: one sgemm per chunk of
   * samples (training, where `precursor train` fixes the micro-batch composition; faster
   * for small maps, rounding depends on the batch). Only the fast path reads it. */
  int chunked;
} prc_convgeom;

/* y = (add ? y : 0) + conv(x, w) + b (b may be NULL). */
int  prc_conv_forward(const prc_convgeom *g, const float *x, const float *w, const float *b,
                      float *y, int add);
int  prc_conv_forward_ref(const prc_convgeom *g, const float *x, const float *w,
                          const float *b, float *y, int add);
/* dx += conv^T(dy, w) */
int  prc_conv_backward_data(const prc_convgeom *g, const float *dy, const float *w, float *dx);
int  prc_conv_backward_data_ref(const prc_convgeom *g, const float *dy, const float *w,
                                float *dx);
/* dw += corr(x, dy); db += sum dy (db may be NULL) */
int  prc_conv_backward_weight(const prc_convgeom *g, const float *x, const float *dy,
                              float *dw, float *db);
int  prc_conv_backward_weight_ref(const prc_convgeom *g, const float *x, const float *dy,
                                  float *dw, float *db);

/* Training columns kept from a forward for the weight gradient of the following backward
 * (the same im2col of x, computed once instead of twice): prc_conv_forward_keep fills *k
 * with every chunk's columns when g->chunked, the convolution is strided and they fit
 * PRC_CONV_KEEP_FLOATS (k->valid = 1, else 0 and nothing is kept); prc_conv_backward_weight_kept uses them if k->valid (the
 * same bits as prc_conv_backward_weight, whose x it must equal) and clears k->valid. k may
 * be NULL in both (then they are prc_conv_forward and prc_conv_backward_weight). */
#define PRC_CONV_KEEP_FLOATS ((size_t)1 << 24) /* 64 MB per layer */
typedef struct {
  float *buf;
  size_t cap; /* floats */
  int    valid;
} prc_conv_keep;
int  prc_conv_forward_keep(const prc_convgeom *g, const float *x, const float *w, const float *b,
                           float *y, int add, prc_conv_keep *k);
int  prc_conv_backward_weight_kept(const prc_convgeom *g, const float *x, const float *dy,
                                   float *dw, float *db, prc_conv_keep *k);

#endif

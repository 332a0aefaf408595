/* precursor/nn_train.h — optimisers, learning-rate schedules, the exact (fixed-point)
 * gradient sum of data-parallel training, shuffling and the synthetic training set
 * (kernel layer: no MPI; the stage `precursor train`, src/stages/stage_train.c, adds the
 * collectives and the files). See docs/NN.md "Training", "Data parallel", "Checkpoints".
 *
 * All functions return 0 or a non-zero code after prc_seterr(). */
#ifndef PRECURSOR_NN_TRAIN_H
#define PRECURSOR_NN_TRAIN_H

#include <stddef.h>
#include <stdint.h>

/* ---- optimisers (PyTorch semantics, float32 arithmetic in PyTorch's order) ---- */
typedef enum { PRC_OPTIM_SGD = 0, PRC_OPTIM_ADAM = 1, PRC_OPTIM_ADAMW = 2 } prc_optim_kind;

typedef struct {
  prc_optim_kind kind;
  double momentum, dampening; /* SGD: torch.optim.SGD(momentum, dampening) */
  int    nesterov;            /* SGD: nesterov momentum (needs momentum > 0, dampening 0) */
  double beta1, beta2, eps;   /* Adam/AdamW */
  double weight_decay;        /* SGD, Adam: L2 added to the gradient; AdamW: decoupled p *= 1 - lr wd */
} prc_optim_conf;

typedef struct {
  prc_optim_conf c;
  size_t         n;     /* parameters */
  float         *m, *v; /* SGD: momentum buffer in m; Adam: first and second moments */
  unsigned char *decay; /* per parameter: 1 = weight decay applies (default all 1) */
  long long      t;     /* steps taken (Adam bias correction; SGD: 0 = buffer not yet set) */
} prc_optim;

/* Check a configuration (ranges, nesterov rule). */
int  prc_optim_check(const prc_optim_conf *c);
int  prc_optim_create(const prc_optim_conf *c, size_t n, prc_optim **out);
void prc_optim_destroy(prc_optim *o);
/* Weight decay only on parameters [off, off+len) marked 1 here; call with the model's
 * tensors (e.g. those prc_model_tensor_is_weight accepts) after clearing with
 * prc_optim_decay_none. */
void prc_optim_decay_none(prc_optim *o);
void prc_optim_decay_range(prc_optim *o, size_t off, size_t len);
/* One step: p -= update(g) with learning rate lr (g is not modified). */
int  prc_optim_step(prc_optim *o, float *p, const float *g, double lr);
/* Number of float arrays of state (0, 1 or 2: m, v) for checkpoints. */
int  prc_optim_nstate(const prc_optim *o);

/* ---- learning-rate schedules (of the 0-based step index) ---- */
typedef enum { PRC_LR_CONSTANT = 0, PRC_LR_STEP = 1, PRC_LR_COSINE = 2 } prc_lr_kind;
typedef struct {
  prc_lr_kind kind;
  double      base, min_lr; /* cosine decays from base to min_lr */
  long long   warmup;       /* linear warm-up over the first `warmup` steps: base (s+1)/warmup */
  long long   step_size;    /* step: base gamma^floor(s / step_size) (counted after warm-up) */
  double      gamma;
  long long   total;        /* cosine: steps in the whole run (warm-up included) */
} prc_lr_sched;
int    prc_lr_check(const prc_lr_sched *s);
double prc_lr_at(const prc_lr_sched *s, long long step);

/* ---- exact sums in 64-bit fixed point ----
 * Values x are mapped to llrint(x 2^e). prc_fx_exponent picks the largest e such that
 * nterms values of magnitude <= amax sum to less than 2^62 in magnitude, so the int64 sum of
 * nterms such arrays (in any order, on any number of ranks) cannot overflow and is exact;
 * the quantum 2^-e is between nterms amax 2^-63 and nterms amax 2^-62. amax = 0 gives e = 0;
 * a non-finite amax is an error. */
int  prc_fx_exponent(double amax, long long nterms, int *e);
void prc_fx_add_f(int64_t *acc, const float *x, size_t n, int e);
void prc_fx_add_d(int64_t *acc, const double *x, size_t n, int e);
/* out[i] = (acc[i] 2^-e) / div, rounded to float / kept in double. */
void prc_fx_to_f(const int64_t *acc, size_t n, int e, double div, float *out);
void prc_fx_to_d(const int64_t *acc, size_t n, int e, double div, double *out);
/* Largest |x| of an array (NaN or Inf → returns INFINITY). */
double prc_absmax_f(const float *x, size_t n);

/* ---- shuffling: the permutation of epoch `epoch` of n samples (Fisher–Yates on the
 * stream (seed, epoch)); identical on every rank. */
int prc_train_permutation(uint64_t seed, long long epoch, int64_t n, int64_t *perm);

/* ---- synthetic labelled set ----
 * Sample i (global index, counter-based: independent of who computes it) of class
 * y = hash(seed, i) mod C: every channel c and row h of the (C, H, W) sample (H = 1 for 1-D)
 * holds  a sin(2 pi (f_y w / W + 0.37 c + 0.21 h) + phi) + noise N(0, sigma^2),  f_y = 2 + 3 y
 * cycles per window, amplitude a in [0.5, 1.5), phase phi in [0, 2 pi). x: (count, C*H*W),
 * y: (count). aux (if A > 0): (count, A) = y / C + 0.1 N(0,1). */
int prc_train_synth(uint64_t seed, int64_t first, int64_t count, int C, int H, int W, int nclass, double sigma, int A,
                    float *x, int32_t *y, float *aux);

#endif

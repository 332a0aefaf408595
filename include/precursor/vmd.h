/* precursor/vmd.h — variational mode decomposition (Dragomiretskiy & Zosso 2014, IEEE TSP
 * 62(3), Algorithm 2) and the adaptive-K / signal-noise split of paper 000 §1.2
 * (docs/VMD.md). Kernel layer: no MPI, no PETSc; FFTW3 for the transforms.
 *
 * Conventions (docs/VMD.md "Algorithm"):
 *  - the record f[0..n) is mirror-extended to length M = 2n: h = floor(n/2) samples
 *    f[h-1..0] on the left, n - h samples f[n-1..h] on the right (for even n this is the
 *    reference MATLAB code's extension; for odd n it keeps M even and returns n samples);
 *  - one-sided spectrum: the bins j = 0..M/2 of the real DFT, at frequency w_j = j/M
 *    cycles per sample (0 .. 0.5, Nyquist included); the modes are real signals whose
 *    positive-frequency halves are the u_k(w_j). The kernels compute this exactly in its
 *    real form: the DFT of the mirror extension is a fixed unit phase per bin times the
 *    record's cosine coefficients c_j (DCT-II, j = 0..n-1; bin n is exactly 0), every update
 *    below keeps that phase, so they iterate on real c_j, a_kj with |u_k(w_j)| = |a_kj|
 *    (docs/VMD.md "Real form");
 *  - ADMM (Gauss-Seidel over k, k ascending):
 *      u_k(w) <- (f(w) - sum_{i<k} u_i^{n+1}(w) - sum_{i>k} u_i^n(w) + lambda(w)/2)
 *                / (1 + 2 alpha (w - w_k)^2)
 *      w_k    <- sum_j w_j |u_k(w_j)|^2 / sum_j |u_k(w_j)|^2       (unchanged if the mode is 0;
 *                                                                  w_0 = 0 fixed with dc)
 *      lambda <- lambda + tau (f - sum_k u_k)
 *    until sum_k |u_k^{n+1} - u_k^n|^2 / |u_k^n|^2 < tol (a mode zero in both iterates
 *    contributes 0, one that was zero before and is not now contributes +inf) or max_iter;
 *  - alpha multiplies 2 (w - w_k)^2 with w in cycles/sample as in the paper's update
 *    (the MATLAB code and vmdpy use 1 + alpha (w - w_k)^2: their alpha = 2 x ours);
 *  - the modes are returned sorted by final centre frequency (ascending, stable).
 * Memory: O(K n) — the current modes (updated in place, n doubles each) and the residual,
 * never the iteration history. */
#ifndef PRECURSOR_VMD_H
#define PRECURSOR_VMD_H

#include <stdint.h>

typedef enum { PRC_VMD_INIT_ZERO = 0, PRC_VMD_INIT_UNIFORM = 1, PRC_VMD_INIT_RANDOM = 2 } prc_vmd_init;

#define PRC_VMD_KMAX 32

typedef struct {
  int      K;        /* modes, 1..PRC_VMD_KMAX */
  double   alpha;    /* bandwidth penalty, > 0 (see above) */
  double   tau;      /* dual ascent step, >= 0 (0: noise-tolerant, no exact reconstruction) */
  double   tol;      /* convergence tolerance, > 0 */
  int      max_iter; /* >= 1 */
  int      init;     /* prc_vmd_init: w_k = 0 | (k)/(2K) (k = 0..K-1) | sorted exp(U(log 1/M, log 0.5)) */
  int      dc;       /* 1: mode 0 is the DC mode, w_0 = 0 fixed */
  uint64_t seed;     /* for PRC_VMD_INIT_RANDOM */
} prc_vmd_params;

typedef struct {
  int    K;
  int    iterations;
  int    converged; /* 1 if the criterion fell below tol within max_iter */
  double diff;      /* last value of the convergence criterion */
  double omega[PRC_VMD_KMAX]; /* centre frequencies, cycles/sample, ascending */
} prc_vmd_info;

/* FFTW plans and buffers for one record length at a time; re-planned (FFTW_ESTIMATE:
 * deterministic, so results do not depend on which rank or order records are processed)
 * when a record of another length comes. Also keeps the work arrays of the modes and the
 * residual (8 (K+1) n bytes for the largest K and n so far) between calls, so repeated
 * decompositions (adaptive K, many records) do not allocate and fault in fresh pages each time.
 * Reuse one context for all records of a rank. */
typedef struct prc_vmd_ctx prc_vmd_ctx;

/* New context (no plans yet). NULL + prc_lasterr() on failure. */
prc_vmd_ctx *prc_vmd_ctx_create(void);
void         prc_vmd_ctx_destroy(prc_vmd_ctx *c);
/* Check parameters: 0, or non-zero with a message naming the bad one. */
int          prc_vmd_check(const prc_vmd_params *p);

/* Decompose f[0..n) (n >= 2, finite) into p->K modes u[k*n + i] (K*n doubles, sorted by
 * centre frequency). info may be NULL. Returns 0, or non-zero with prc_lasterr(). */
int prc_vmd(prc_vmd_ctx *c, const double *f, int64_t n, const prc_vmd_params *p, double *u, prc_vmd_info *info);
/* The same algorithm with naive O(M^2) DFTs on full-length arrays (negative half zeroed,
 * modes rebuilt by Hermitian extension): the unit test's reference. Small n only. */
int prc_vmd_ref(const double *f, int64_t n, const prc_vmd_params *p, double *u, prc_vmd_info *info);

/* One ADMM sweep of prc_vmd (all K modes, Gauss-Seidel in k) on nb real half-spectrum bins
 * (the record's cosine coefficients, see prc_vmd; also for the distributed variant,
 * src/par/vmd_dist.c): mode k at U + k*ld, R the residual c + lambda/2 - sum_i a_i, each nb
 * doubles of the global bins off .. off+nb-1 at w_j = j/M; a_k <- (R + a_k) / (1 + a2 (w - om[k])^2)
 * for k = 0..K-1 in turn, R updated to match. s[3k..3k+2]: |a_k^new - a_k|^2,
 * sum w|a_k^new|^2, |a_k^new|^2 over these bins (3K doubles). */
void prc_vmd_sweep(double *U, int64_t ld, double *R, int64_t nb, int64_t off, int64_t M, int K, double a2, const double *om, double *s);
/* Mirror extension of f[0..n) to m[0..2n) (the convention above). */
void prc_vmd_mirror(const double *f, int64_t n, double *m);
/* Initial centre frequencies of p for mirrored length M (the convention above). */
void prc_vmd_init_omega(const prc_vmd_params *p, int64_t M, double *om);

/* ---- adaptive K and signal/noise split (paper 000 §1.2; docs/VMD.md) ---- */
typedef struct {
  int    kmin, kmax;    /* 1 <= kmin <= kmax <= PRC_VMD_KMAX */
  double err_max;       /* reconstruction threshold: relative RMS |f - sum u| / |f - mean f| */
  double sep_min;       /* modes separated if |w_i - w_j| >= sep_min * max(w_i, w_j) for all pairs */
  double corr_rel;      /* keep mode k if corr_k >= corr_rel * max_k corr_k ... */
  double corr_abs;      /* ... and corr_k >= corr_abs */
} prc_vmd_select;

typedef struct {
  prc_vmd_info info;               /* of the chosen K */
  int          k_chosen;
  int          rule;               /* 1: smallest K passing both tests; 2: no K passed the error
                                      test, the separated K with the least error; 3: none
                                      separated, kmin */
  double       err[PRC_VMD_KMAX];  /* per K tried (index K - kmin): relative RMS error */
  double       sep[PRC_VMD_KMAX];  /* min relative separation of the centre frequencies (inf for K=1) */
  int          iters[PRC_VMD_KMAX];
  double       corr[PRC_VMD_KMAX]; /* chosen K: Pearson correlation of each mode with f */
  int          kept[PRC_VMD_KMAX];
  double       energy_loss;        /* chosen K: |f - sum u|^2 / |f - mean f|^2 */
} prc_vmd_result;

int prc_vmd_select_check(const prc_vmd_select *s);
/* Try K = kmin..kmax (p->K ignored), choose K (rule above), correlate the modes with f,
 * and write the denoised record den[0..n) = sum of the kept modes. u: kmax*n doubles,
 * holding the chosen K's modes on return (rows K..kmax-1 untouched). */
int prc_vmd_denoise(prc_vmd_ctx *c, const double *f, int64_t n, const prc_vmd_params *p, const prc_vmd_select *s,
                    double *u, double *den, prc_vmd_result *r);

/* The same selection and split for a record held in slices (the distributed driver,
 * src/par/vmd_dist.c): f, u (u[k * nloc + i]) and den hold this process's nloc samples of an
 * n-sample record. run(ctx, K, u, info) decomposes the whole record into K modes and leaves
 * this slice of them in u; sum(ctx, v, m) replaces v[0..m) by its sum over all slices
 * (NULL: the record is one slice; then this is prc_vmd_denoise). Every statistic (mean,
 * errors, correlations, energy loss) is a sum over samples, reduced through sum(). */
typedef int (*prc_vmd_run_fn)(void *ctx, int K, double *u, prc_vmd_info *info);
typedef int (*prc_vmd_sum_fn)(void *ctx, double *v, int m);
int prc_vmd_denoise_sliced(const double *f, int64_t nloc, int64_t n, const prc_vmd_select *s, prc_vmd_run_fn run,
                           prc_vmd_sum_fn sum, void *ctx, double *u, double *den, prc_vmd_result *r);

/* Pearson correlation of a[0..n) and b[0..n) (0 if either is constant). */
double prc_vmd_corr(const double *a, const double *b, int64_t n);

#endif

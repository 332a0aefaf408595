/* vmd.c — variational mode decomposition (Dragomiretskiy & Zosso 2014) with adaptive K and
 * the correlation split of paper 000; conventions in include/precursor/vmd.h, docs/VMD.md. */
#include <complex.h>
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/error.h"
#include "precursor/rng.h"
#include "precursor/vmd.h"

struct prc_vmd_ctx {
  int64_t       n;    /* record length the plans are for (0: none) */
  double       *r;    /* n doubles: the permuted record v, a mode's permuted samples */
  fftw_complex *z;    /* n/2 + 1: the DFT of v */
  double       *tw;   /* n/2 + 1 pairs (cos, sin)(pi k / 2n) */
  fftw_plan     r2c;  /* r -> z, length n */
  fftw_plan     c2r;  /* z -> r, length n */
  double       *UR;   /* work: the modes and the residual of prc_vmd */
  size_t        ur_cap; /* doubles in UR */
};

prc_vmd_ctx *prc_vmd_ctx_create(void)
{
  prc_vmd_ctx *c = calloc(1, sizeof *c);
  if (!c) prc_seterr("vmd: out of memory for a context");
  return c;
}

static void ctx_clear(prc_vmd_ctx *c)
{
  if (c->r2c) fftw_destroy_plan(c->r2c);
  if (c->c2r) fftw_destroy_plan(c->c2r);
  fftw_free(c->r), fftw_free(c->z), free(c->tw);
  c->r = NULL, c->z = NULL, c->tw = NULL, c->r2c = c->c2r = NULL, c->n = 0;
}

void prc_vmd_ctx_destroy(prc_vmd_ctx *c)
{
  if (!c) return;
  ctx_clear(c);
  fftw_free(c->UR);
  free(c);
}

/* Row stride of the work arrays: n rounded up to whole 4-double vectors. */
static int64_t row_stride(int64_t n) { return (n + 3) & ~(int64_t)3; }

/* Work array of at least m doubles (contents undefined; FFTW-aligned). */
static double *ctx_work(prc_vmd_ctx *c, size_t m)
{
  if (c->ur_cap < m) {
    fftw_free(c->UR);
    c->UR = fftw_alloc_real(m), c->ur_cap = c->UR ? m : 0;
  }
  return c->UR;
}

/* Plans for length n: the cosine transforms of prc_vmd by Makhoul's reordering (J. Makhoul,
 * IEEE TASSP 28(1), 1980), one real DFT of length n each — FFTW's own REDFT10/01 take its
 * unvectorised r2hc path and were 3x slower than this at n = 100 076. FFTW_ESTIMATE:
 * deterministic plans, the same on every rank. */
static int ctx_plan(prc_vmd_ctx *c, int64_t n)
{
  if (c->n == n) return 0;
  ctx_clear(c);
  if (n > 2147483647 / 2) return prc_seterr("vmd: record of %lld samples exceeds FFTW's int lengths", (long long)n);
  c->r = fftw_alloc_real((size_t)n);
  c->z = fftw_alloc_complex((size_t)(n / 2 + 1));
  c->tw = malloc((size_t)(n / 2 + 1) * 2 * sizeof *c->tw);
  if (!c->r || !c->z || !c->tw) {
    ctx_clear(c);
    return prc_seterr("vmd: out of memory for FFT buffers of length %lld", (long long)n);
  }
  for (int64_t k = 0; k <= n / 2; k++) {
    double t = M_PI * (double)k / (2.0 * (double)n);
    c->tw[2 * k] = cos(t), c->tw[2 * k + 1] = sin(t);
  }
  c->r2c = fftw_plan_dft_r2c_1d((int)n, c->r, c->z, FFTW_ESTIMATE | FFTW_DESTROY_INPUT);
  c->c2r = fftw_plan_dft_c2r_1d((int)n, c->z, c->r, FFTW_ESTIMATE | FFTW_DESTROY_INPUT);
  if (!c->r2c || !c->c2r) {
    ctx_clear(c);
    return prc_seterr("vmd: FFTW could not plan length %lld", (long long)n);
  }
  c->n = n;
  return 0;
}

/* c[0..n) = 2 sum_i f_i cos(pi k (2i + 1) / 2n) (= FFTW_REDFT10 of f): v = f[0], f[2], ...
 * then the odd samples backwards; V = DFT(v); c_k = 2 Re(e^{-i pi k/2n} V_k) and
 * c_{n-k} = -2 Im(e^{-i pi k/2n} V_k), k = 0..n/2. */
static void dct2(prc_vmd_ctx *c, const double *f, double *out)
{
  const int64_t n = c->n;
  for (int64_t i = 0; i < n; i++) c->r[i & 1 ? n - 1 - i / 2 : i / 2] = f[i];
  fftw_execute(c->r2c);
  const double *z = (const double *)c->z; /* (re, im) pairs */
  for (int64_t k = 0; k <= n / 2; k++) {
    double co = c->tw[2 * k], si = c->tw[2 * k + 1], vr = z[2 * k], vi = z[2 * k + 1];
    double zr = co * vr + si * vi, zi = co * vi - si * vr; /* e^{-it} V_k */
    out[k] = 2 * zr;
    if (k > 0 && n - k != k) out[n - k] = -2 * zi;
  }
}

/* The inverse: out_i = FFTW_REDFT01(a)_i / 2n (a is left unchanged): V_k = e^{i pi k/2n}
 * (a_k - i a_{n-k}) / 2 (a_n = 0), v = IDFT(V), out = v unpermuted. */
static void dct3_scaled(prc_vmd_ctx *c, const double *a, double *out)
{
  const int64_t n = c->n;
  double       *z = (double *)c->z;
  for (int64_t k = 0; k <= n / 2; k++) {
    double co = c->tw[2 * k], si = c->tw[2 * k + 1], xr = 0.5 * a[k], xi = k > 0 ? -0.5 * a[n - k] : 0;
    z[2 * k] = co * xr - si * xi, z[2 * k + 1] = co * xi + si * xr;
  }
  fftw_execute(c->c2r);
  const double s = 1.0 / (double)n;
  for (int64_t i = 0; i < n; i++) out[i] = c->r[i & 1 ? n - 1 - i / 2 : i / 2] * s;
}

int prc_vmd_check(const prc_vmd_params *p)
{
  if (!p) return prc_seterr("vmd: no parameters");
  if (p->K < 1 || p->K > PRC_VMD_KMAX) return prc_seterr("vmd: K = %d, expected 1..%d", p->K, PRC_VMD_KMAX);
  if (!(p->alpha > 0) || !isfinite(p->alpha)) return prc_seterr("vmd: alpha = %g, expected a finite value > 0", p->alpha);
  if (!(p->tau >= 0) || !isfinite(p->tau)) return prc_seterr("vmd: tau = %g, expected a finite value >= 0", p->tau);
  if (!(p->tol > 0) || !isfinite(p->tol)) return prc_seterr("vmd: tol = %g, expected a finite value > 0", p->tol);
  if (p->max_iter < 1) return prc_seterr("vmd: max_iter = %d, expected >= 1", p->max_iter);
  if (p->init < 0 || p->init > 2) return prc_seterr("vmd: init = %d, expected 0 (zero), 1 (uniform) or 2 (random)", p->init);
  return 0;
}

static int check_input(const double *f, int64_t n, const prc_vmd_params *p)
{
  if (prc_vmd_check(p)) return 1;
  if (n < 2) return prc_seterr("vmd: record of %lld samples, expected at least 2", (long long)n);
  for (int64_t i = 0; i < n; i++)
    if (!isfinite(f[i])) return prc_seterr("vmd: sample %lld is %g, expected finite values (split records at gaps)", (long long)i, f[i]);
  return 0;
}

/* Mirror extension to M = 2n: f[h-1..0] | f | f[n-1..h], h = floor(n/2). */
static void mirror(const double *f, int64_t n, double *m)
{
  int64_t h = n / 2;
  for (int64_t i = 0; i < h; i++) m[i] = f[h - 1 - i];
  memcpy(m + h, f, (size_t)n * sizeof *f);
  for (int64_t i = 0; i < n - h; i++) m[h + n + i] = f[n - 1 - i];
}

static void init_omega(const prc_vmd_params *p, int64_t M, double *om)
{
  int K = p->K;
  if (p->init == PRC_VMD_INIT_UNIFORM)
    for (int k = 0; k < K; k++) om[k] = 0.5 / K * k;
  else if (p->init == PRC_VMD_INIT_RANDOM) {
    prc_rng r;
    prc_rng_seed(&r, p->seed, 0x766d64);
    double lo = log(1.0 / (double)M), hi = log(0.5);
    for (int k = 0; k < K; k++) om[k] = exp(lo + (hi - lo) * prc_rng_uniform(&r));
    for (int i = 1; i < K; i++)
      for (int j = i; j > 0 && om[j] < om[j - 1]; j--) {
        double t = om[j];
        om[j] = om[j - 1], om[j - 1] = t;
      }
  } else
    for (int k = 0; k < K; k++) om[k] = 0;
  if (p->dc) om[0] = 0;
}

/* Order of the modes by centre frequency (stable). */
static void sort_order(const double *om, int K, int *ord)
{
  for (int k = 0; k < K; k++) ord[k] = k;
  for (int i = 1; i < K; i++)
    for (int j = i; j > 0 && om[ord[j]] < om[ord[j - 1]]; j--) {
      int t = ord[j];
      ord[j] = ord[j - 1], ord[j - 1] = t;
    }
}

static void fill_info(prc_vmd_info *info, int K, int it, int conv, double diff, const double *om, const int *ord)
{
  if (!info) return;
  memset(info, 0, sizeof *info);
  info->K = K, info->iterations = it, info->converged = conv, info->diff = diff;
  for (int k = 0; k < K; k++) info->omega[k] = om[ord[k]];
}

/* One ADMM sweep (the hot loop; docs/VMD.md "Speed"): the Gauss-Seidel update of all K modes
 * over real half-spectrum bins (prc_vmd's cosine coefficients). R = c + lambda/2 - sum_i a_i is
 * the residual, so c - others + lambda/2 = R + a_k and after the update R <- R + a_k - a_k^new.
 * Mode k's update uses only omega_k of the previous iteration, so the K updates of a bin can run
 * one after another while its R is in cache: blocks of VMD_BLOCK bins outer, modes inner (the
 * same operations per bin and mode as K separate passes; 2 + 2K array passes per iteration
 * instead of 4K). w_j = j/M is computed, not loaded; g = 1/(1 + 2a(w-w_k)^2) once per bin and
 * mode. Each sum is split over 4 lanes by bin (bins j..j+3 of a vector in lanes 0..3, the last
 * nb mod 4 bins in lane 0), lanes combined (0+1)+(2+3). Sums per mode k: s[3k] = |a^new - a|^2,
 * s[3k+1] = sum w|a^new|^2, s[3k+2] = |a^new|^2 (|a|^2 of the next iteration's criterion). */
#define VMD_BLOCK 512 /* bins: R's block (4 KB) stays in L1 over the K modes */
typedef double v4d __attribute__((vector_size(32)));
#define V4_LOAD(v, p)   memcpy(&(v), (p), sizeof(v4d))
#define V4_STORE(p, v)  memcpy((p), &(v), sizeof(v4d))

/* Bins [0, nb) of one mode (nb a multiple of 4; j0 the global index of bin 0). */
static inline __attribute__((always_inline)) void mode_block(double *restrict u, double *restrict R, int64_t nb, double j0, double invM,
                                                             double a2, double ok, v4d acc[3])
{
  v4d jv = j0 + (v4d){0, 1, 2, 3}, dn = acc[0], nm = acc[1], dd = acc[2];
  for (int64_t q = 0; q < nb; q += 4, jv += 4) {
    v4d w = jv * invM, d = w - ok, g = 1 / (1 + a2 * d * d), uo, r;
    V4_LOAD(uo, u + q), V4_LOAD(r, R + q);
    r += uo;
    v4d un = r * g, e = un - uo;
    r -= un;
    V4_STORE(u + q, un), V4_STORE(R + q, r);
    dn += e * e, nm += w * (un * un), dd += un * un;
  }
  acc[0] = dn, acc[1] = nm, acc[2] = dd;
}

__attribute__((target_clones("avx2", "default"))) static void sweep(double *restrict U, int64_t ld, double *restrict R, int64_t nb,
                                                                    int64_t off, double invM, int K, double a2, const double *om, double *s)
{
  v4d     acc[PRC_VMD_KMAX][3];
  int64_t nb4 = nb - nb % 4;
  memset(acc, 0, sizeof acc);
  for (int64_t b = 0; b < nb4; b += VMD_BLOCK) {
    int64_t m = nb4 - b < VMD_BLOCK ? nb4 - b : VMD_BLOCK;
    for (int k = 0; k < K; k++) mode_block(U + k * ld + b, R + b, m, (double)(off + b), invM, a2, om[k], acc[k]);
  }
  for (int k = 0; k < K; k++) {
    double *u = U + k * ld;
    for (int64_t j = nb4; j < nb; j++) { /* the last nb mod 4 bins, lane 0 */
      double w = (double)(off + j) * invM, d = w - om[k], g = 1 / (1 + a2 * d * d), r = R[j] + u[j], un = r * g, e = un - u[j];
      acc[k][0][0] += e * e, acc[k][1][0] += w * (un * un), acc[k][2][0] += un * un;
      u[j] = un, R[j] = r - un;
    }
    for (int i = 0; i < 3; i++) s[3 * k + i] = (acc[k][i][0] + acc[k][i][1]) + (acc[k][i][2] + acc[k][i][3]);
  }
}

void prc_vmd_sweep(double *U, int64_t ld, double *R, int64_t nb, int64_t off, int64_t M, int K, double a2, const double *om, double *s)
{
  sweep(U, ld, R, nb, off, 1.0 / (double)M, K, a2, om, s);
}

void prc_vmd_mirror(const double *f, int64_t n, double *m) { mirror(f, n, m); }
void prc_vmd_init_omega(const prc_vmd_params *p, int64_t M, double *om) { init_omega(p, M, om); }

/* The serial kernel works on the record's cosine coefficients instead of the complex spectrum
 * of its mirror extension m (docs/VMD.md "Real form"). m is the even extension
 * y = f[0..n) f[n-1..0] shifted circularly by h, so its DFT is
 *   m^_j = e^{-2 pi i j h / M} e^{i pi j / M} c_j,   c_j = 2 sum_i f_i cos(pi j (i + 1/2) / n)
 * (c = FFTW_REDFT10 of f, j = 0..n-1; the Nyquist bin j = n is exactly 0). Every ADMM update is
 * a real linear combination per bin, so every array keeps that phase factor: u^_kj = p_j a_kj
 * with real a_kj, |u^_kj| = |a_kj|, and the iteration on the c_j is the iteration on the m^_j,
 * operation for operation (the same algorithm, not an approximation; equal up to rounding to
 * the complex form of the distributed kernel and to prc_vmd_ref). The mode's samples
 * m_k[h + i] / M are FFTW_REDFT01(a_k)_i / (2n). Half the memory and half the transform length
 * of the complex form, and no mirror copy. */
int prc_vmd(prc_vmd_ctx *c, const double *f, int64_t n, const prc_vmd_params *p, double *u, prc_vmd_info *info)
{
  if (check_input(f, n, p)) return 1;
  const int64_t M = 2 * n, S = row_stride(n);
  const int     K = p->K;
  if (ctx_plan(c, n)) return 1;
  /* U: modes (K rows of S), R: residual c + lambda/2 - sum a (row K), lam: lambda (tau > 0) */
  double *U = ctx_work(c, (size_t)((K + 1) * S)), *lam = p->tau > 0 ? calloc((size_t)S, sizeof *lam) : NULL;
  if ((p->tau > 0 && !lam) || !U) {
    free(lam);
    return prc_seterr("vmd: out of memory for %d modes of %lld samples", K, (long long)n);
  }
  double *R = U + K * S;
  memset(U, 0, (size_t)((K + 1) * S) * sizeof *U);
  dct2(c, f, R);
  double om[PRC_VMD_KMAX], en[PRC_VMD_KMAX] = {0}; /* en: |u_k|^2 of the last iteration (0: u = 0) */
  init_omega(p, M, om);

  const double a2 = 2 * p->alpha;
  int          it = 0, conv = 0;
  double       diff = INFINITY;
  while (it < p->max_iter) {
    double s[3 * PRC_VMD_KMAX];
    sweep(U, S, R, S, 0, 1.0 / (double)M, K, a2, om, s);
    diff = 0;
    for (int k = 0; k < K; k++) {
      diff += en[k] > 0 ? s[3 * k] / en[k] : (s[3 * k] > 0 ? INFINITY : 0);
      if (!(p->dc && k == 0) && s[3 * k + 2] > 0) om[k] = s[3 * k + 1] / s[3 * k + 2];
      en[k] = s[3 * k + 2];
    }
    if (p->tau > 0) /* lambda += tau (c - sum a), with c - sum a = R - lambda/2; R follows lambda/2 */
      for (int64_t j = 0; j < S; j++) {
        double dl = p->tau * (R[j] - 0.5 * lam[j]);
        lam[j] += dl, R[j] += 0.5 * dl;
      }
    it++;
    if (diff < p->tol) {
      conv = 1;
      break;
    }
  }
  int ord[PRC_VMD_KMAX];
  sort_order(om, K, ord);
  for (int k = 0; k < K; k++) dct3_scaled(c, U + ord[k] * S, u + k * n);
  fill_info(info, K, it, conv, diff, om, ord);
  free(lam);
  return 0;
}

/* ---- reference: naive DFT, full-length spectra, explicit sums over the other modes ---- */
static void naive_dft(const double complex *x, int64_t M, int sign, double complex *X)
{
  for (int64_t k = 0; k < M; k++) {
    double complex s = 0;
    for (int64_t j = 0; j < M; j++) s += x[j] * cexp(sign * 2.0 * M_PI * I * (double)((j * k) % M) / (double)M);
    X[k] = s;
  }
}

int prc_vmd_ref(const double *f, int64_t n, const prc_vmd_params *p, double *u, prc_vmd_info *info)
{
  if (check_input(f, n, p)) return 1;
  const int64_t M = 2 * n, h = n / 2;
  const int     K = p->K;
  double         *m = calloc((size_t)M, sizeof *m), *fr = malloc((size_t)M * sizeof *fr);
  double complex *x = calloc((size_t)M, sizeof *x), *fp = malloc((size_t)M * sizeof *fp),
                 *lam = calloc((size_t)M, sizeof *lam), *Uold = calloc((size_t)(K * M), sizeof *Uold),
                 *Unew = calloc((size_t)(K * M), sizeof *Unew);
  if (!m || !fr || !x || !fp || !lam || !Uold || !Unew) {
    free(m), free(fr), free(x), free(fp), free(lam), free(Uold), free(Unew);
    return prc_seterr("vmd_ref: out of memory");
  }
  mirror(f, n, m);
  for (int64_t j = 0; j < M; j++) x[j] = m[j];
  naive_dft(x, M, -1, fp);
  for (int64_t j = 0; j < M; j++) {
    fr[j] = j <= M / 2 ? (double)j / M : (double)(j - M) / M; /* signed frequency of bin j */
    if (fr[j] < 0) fp[j] = 0;                                 /* one-sided spectrum */
  }
  double om[PRC_VMD_KMAX];
  init_omega(p, M, om);
  int    it = 0, conv = 0;
  double diff = INFINITY;
  while (it < p->max_iter) {
    diff = 0;
    for (int k = 0; k < K; k++) {
      for (int64_t j = 0; j < M; j++) {
        double complex others = 0;
        for (int i = 0; i < k; i++) others += Unew[i * M + j];
        for (int i = k + 1; i < K; i++) others += Uold[i * M + j];
        Unew[k * M + j] = (fp[j] - others + lam[j] / 2) / (1 + 2 * p->alpha * (fr[j] - om[k]) * (fr[j] - om[k]));
      }
      double num = 0, den = 0, dn = 0, on = 0;
      for (int64_t j = 0; j < M; j++) {
        double a = cabs(Unew[k * M + j]);
        if (fr[j] >= 0) num += fr[j] * a * a, den += a * a;
        dn += pow(cabs(Unew[k * M + j] - Uold[k * M + j]), 2);
        on += pow(cabs(Uold[k * M + j]), 2);
      }
      if (!(p->dc && k == 0) && den > 0) om[k] = num / den;
      diff += on > 0 ? dn / on : (dn > 0 ? INFINITY : 0);
    }
    for (int64_t j = 0; j < M; j++) {
      double complex s = 0;
      for (int k = 0; k < K; k++) s += Unew[k * M + j];
      lam[j] += p->tau * (fp[j] - s);
    }
    memcpy(Uold, Unew, (size_t)(K * M) * sizeof *Uold);
    it++;
    if (diff < p->tol) {
      conv = 1;
      break;
    }
  }
  int ord[PRC_VMD_KMAX];
  sort_order(om, K, ord);
  for (int k = 0; k < K; k++) {
    const double complex *up = Unew + ord[k] * M;
    /* Hermitian extension of the positive half: DC and Nyquist real */
    for (int64_t j = 0; j < M; j++) {
      if (j == 0 || j == M / 2) x[j] = creal(up[j]);
      else if (j < M / 2) x[j] = up[j];
      else x[j] = conj(up[M - j]);
    }
    naive_dft(x, M, +1, fp);
    for (int64_t i = 0; i < n; i++) u[k * n + i] = creal(fp[h + i]) / (double)M;
  }
  fill_info(info, K, it, conv, diff, om, ord);
  free(m), free(fr), free(x), free(fp), free(lam), free(Uold), free(Unew);
  return 0;
}

/* ---- adaptive K, correlation split ---- */
double prc_vmd_corr(const double *a, const double *b, int64_t n)
{
  double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
  for (int64_t i = 0; i < n; i++) ma += a[i], mb += b[i];
  ma /= (double)n, mb /= (double)n;
  for (int64_t i = 0; i < n; i++) {
    double x = a[i] - ma, y = b[i] - mb;
    sab += x * y, saa += x * x, sbb += y * y;
  }
  return saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : 0;
}

int prc_vmd_select_check(const prc_vmd_select *s)
{
  if (s->kmin < 1 || s->kmax > PRC_VMD_KMAX || s->kmin > s->kmax)
    return prc_seterr("vmd: K range [%d, %d], expected 1 <= K_min <= K_max <= %d", s->kmin, s->kmax, PRC_VMD_KMAX);
  if (!(s->err_max > 0)) return prc_seterr("vmd: reconstruction threshold %g, expected > 0", s->err_max);
  if (!(s->sep_min >= 0 && s->sep_min < 1)) return prc_seterr("vmd: separation threshold %g, expected in [0, 1)", s->sep_min);
  if (!(s->corr_rel >= 0 && s->corr_rel <= 1)) return prc_seterr("vmd: relative correlation threshold %g, expected in [0, 1]", s->corr_rel);
  if (!(s->corr_abs >= -1 && s->corr_abs <= 1)) return prc_seterr("vmd: correlation threshold %g, expected in [-1, 1]", s->corr_abs);
  return 0;
}

/* Sums over all slices of a record (sum == NULL: the record is one slice). */
static int slice_sum(prc_vmd_sum_fn sum, void *ctx, double *v, int m) { return sum ? sum(ctx, v, m) : 0; }

/* Mean of the record f (nloc local samples of n). */
static int record_mean(const double *f, int64_t nloc, int64_t n, prc_vmd_sum_fn sum, void *ctx, double *mean)
{
  double m = 0;
  for (int64_t i = 0; i < nloc; i++) m += f[i];
  if (slice_sum(sum, ctx, &m, 1)) return 1;
  *mean = m / (double)n;
  return 0;
}

/* Relative RMS reconstruction error of the K modes and the least relative separation of their
 * centre frequencies (docs/VMD.md "Adaptive K"). */
static int trial_stats(const double *f, int64_t nloc, int64_t n, double mf, const double *u, int K, const double *om,
                       prc_vmd_sum_fn sum, void *ctx, double *err, double *sep)
{
  double ev[2] = {0, 0}; /* |f - sum u|^2, |f - mean f|^2 */
  for (int64_t i = 0; i < nloc; i++) {
    double s = 0;
    for (int k = 0; k < K; k++) s += u[k * nloc + i];
    ev[0] += (f[i] - s) * (f[i] - s), ev[1] += (f[i] - mf) * (f[i] - mf);
  }
  if (slice_sum(sum, ctx, ev, 2)) return 1;
  *err = ev[1] > 0 ? sqrt(ev[0] / ev[1]) : sqrt(ev[0] / (double)n);
  double ms = INFINITY;
  for (int i = 0; i < K; i++)
    for (int j = i + 1; j < K; j++) {
      double mx = fmax(om[i], om[j]), r = mx > 0 ? fabs(om[i] - om[j]) / mx : 0;
      if (r < ms) ms = r;
    }
  *sep = ms;
  return 0;
}

int prc_vmd_denoise_sliced(const double *f, int64_t nloc, int64_t n, const prc_vmd_select *s, prc_vmd_run_fn run,
                           prc_vmd_sum_fn sum, void *ctx, double *u, double *den, prc_vmd_result *r)
{
  if (prc_vmd_select_check(s)) return 1;
  memset(r, 0, sizeof *r);
  for (int i = 0; i < PRC_VMD_KMAX; i++) r->err[i] = r->sep[i] = NAN, r->corr[i] = NAN;
  int          chosen = 0, last = 0;
  prc_vmd_info inf;
  double       mf;
  if (record_mean(f, nloc, n, sum, ctx, &mf)) return 1;
  for (int K = s->kmin; K <= s->kmax; K++) {
    if (run(ctx, K, u, &inf)) return 1;
    int t = K - s->kmin;
    if (trial_stats(f, nloc, n, mf, u, K, inf.omega, sum, ctx, &r->err[t], &r->sep[t])) return 1;
    r->iters[t] = inf.iterations;
    last = K;
    if (r->err[t] <= s->err_max && r->sep[t] >= s->sep_min) {
      chosen = K, r->rule = 1, r->info = inf;
      break;
    }
  }
  if (!chosen) {
    double best = INFINITY;
    for (int K = s->kmin; K <= s->kmax; K++) {
      int t = K - s->kmin;
      if (r->sep[t] >= s->sep_min && r->err[t] < best) best = r->err[t], chosen = K;
    }
    r->rule = chosen ? 2 : 3;
    if (!chosen) chosen = s->kmin;
    if (chosen != last) { /* the modes in u are the last trial's: redo the chosen K */
      if (run(ctx, chosen, u, &r->info)) return 1;
    } else
      r->info = inf;
  }
  r->k_chosen = chosen;
  /* Pearson correlation of every mode with f, two-pass (means first) as prc_vmd_corr */
  double mu[PRC_VMD_KMAX], cs[3 * PRC_VMD_KMAX + 1];
  for (int k = 0; k < chosen; k++) {
    mu[k] = 0;
    for (int64_t i = 0; i < nloc; i++) mu[k] += u[k * nloc + i];
  }
  if (slice_sum(sum, ctx, mu, chosen)) return 1;
  for (int k = 0; k < chosen; k++) mu[k] /= (double)n;
  memset(cs, 0, sizeof cs);
  for (int64_t i = 0; i < nloc; i++) cs[3 * PRC_VMD_KMAX] += (f[i] - mf) * (f[i] - mf);
  for (int k = 0; k < chosen; k++)
    for (int64_t i = 0; i < nloc; i++) {
      double x = u[k * nloc + i] - mu[k], y = f[i] - mf;
      cs[3 * k] += x * y, cs[3 * k + 1] += x * x;
    }
  if (slice_sum(sum, ctx, cs, 3 * PRC_VMD_KMAX + 1)) return 1;
  double mx = -INFINITY, sbb = cs[3 * PRC_VMD_KMAX];
  for (int k = 0; k < chosen; k++) {
    r->corr[k] = cs[3 * k + 1] > 0 && sbb > 0 ? cs[3 * k] / sqrt(cs[3 * k + 1] * sbb) : 0;
    if (r->corr[k] > mx) mx = r->corr[k];
  }
  for (int k = 0; k < chosen; k++) r->kept[k] = r->corr[k] >= s->corr_rel * mx && r->corr[k] >= s->corr_abs;
  int any = 0;
  for (int k = 0; k < chosen; k++) any |= r->kept[k];
  if (!any)
    for (int k = 0; k < chosen; k++) r->kept[k] = r->corr[k] == mx; /* at least the best-correlated mode */
  double ev[2] = {0, 0};
  for (int64_t i = 0; i < nloc; i++) {
    double d = 0, a = 0;
    for (int k = 0; k < chosen; k++) {
      a += u[k * nloc + i];
      if (r->kept[k]) d += u[k * nloc + i];
    }
    den[i] = d;
    ev[0] += (f[i] - a) * (f[i] - a), ev[1] += (f[i] - mf) * (f[i] - mf);
  }
  if (slice_sum(sum, ctx, ev, 2)) return 1;
  r->energy_loss = ev[1] > 0 ? ev[0] / ev[1] : ev[0];
  return 0;
}

typedef struct {
  prc_vmd_ctx          *c;
  const double         *f;
  int64_t               n;
  const prc_vmd_params *p;
} serial_run;

static int serial_run_fn(void *ctx, int K, double *u, prc_vmd_info *info)
{
  serial_run    *S = ctx;
  prc_vmd_params q = *S->p;
  q.K = K;
  return prc_vmd(S->c, S->f, S->n, &q, u, info);
}

int prc_vmd_denoise(prc_vmd_ctx *c, const double *f, int64_t n, const prc_vmd_params *p, const prc_vmd_select *s,
                    double *u, double *den, prc_vmd_result *r)
{
  serial_run S = {c, f, n, p};
  return prc_vmd_denoise_sliced(f, n, n, s, serial_run_fn, NULL, &S, u, den, r);
}

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
  int64_t       M; /* mirrored length the plans are for (0: none) */
  double       *r;
  fftw_complex *c;
  fftw_plan     r2c, c2r;
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
  fftw_free(c->r), fftw_free(c->c);
  c->r = NULL, c->c = NULL, c->r2c = c->c2r = NULL, c->M = 0;
}

void prc_vmd_ctx_destroy(prc_vmd_ctx *c)
{
  if (!c) return;
  ctx_clear(c);
  free(c);
}

static int ctx_plan(prc_vmd_ctx *c, int64_t M)
{
  if (c->M == M) return 0;
  ctx_clear(c);
  if (M > 2147483646) return prc_seterr("vmd: mirrored length %lld exceeds FFTW's int lengths", (long long)M);
  c->r = fftw_alloc_real((size_t)M);
  c->c = fftw_alloc_complex((size_t)(M / 2 + 1));
  if (!c->r || !c->c) {
    ctx_clear(c);
    return prc_seterr("vmd: out of memory for FFT buffers of length %lld", (long long)M);
  }
  c->r2c = fftw_plan_dft_r2c_1d((int)M, c->r, c->c, FFTW_ESTIMATE);
  c->c2r = fftw_plan_dft_c2r_1d((int)M, c->c, c->r, FFTW_ESTIMATE);
  if (!c->r2c || !c->c2r) {
    ctx_clear(c);
    return prc_seterr("vmd: FFTW could not plan length %lld", (long long)M);
  }
  c->M = M;
  return 0;
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

/* One Gauss-Seidel mode update over the half spectrum (the hot loop; docs/VMD.md "Speed").
 * u and R are interleaved (re, im) pairs; R = f^ + lambda/2 - sum_i u_i is the residual, so
 * f^ - others + lambda/2 = R + u_k and after the update R <- R + u_k - u_k^new (2 arrays read
 * and written per bin instead of 5 read). w_j = j/M is computed, not loaded; 1/(1 + 2a(w-w_k)^2)
 * once per bin; the four sums are split over 4 lanes so the loop vectorises without
 * reassociation flags. Returns the sums dn = |u^new - u|^2, on = |u|^2, num = sum w|u^new|^2,
 * den = sum |u^new|^2. */
__attribute__((target_clones("avx2", "default"))) static void mode_update(double *restrict u, double *restrict R, int64_t H, int64_t off, double invM, double a2,
                        double ok, double sums[4])
{
  double dn[4] = {0}, on[4] = {0}, nm[4] = {0}, dd[4] = {0};
  int64_t j = 0;
  for (; j + 4 <= H; j += 4)
    for (int l = 0; l < 4; l++) {
      int64_t q = j + l;
      double  wq = (double)(q + off) * invM, d = wq - ok, g = 1 / (1 + a2 * d * d);
      double  ur = u[2 * q], ui = u[2 * q + 1], rr = R[2 * q] + ur, ri = R[2 * q + 1] + ui;
      double  nr = rr * g, ni = ri * g, er = nr - ur, ei = ni - ui, p2 = nr * nr + ni * ni;
      dn[l] += er * er + ei * ei, on[l] += ur * ur + ui * ui;
      nm[l] += wq * p2, dd[l] += p2;
      u[2 * q] = nr, u[2 * q + 1] = ni;
      R[2 * q] = rr - nr, R[2 * q + 1] = ri - ni;
    }
  for (; j < H; j++) {
    double wj = (double)(j + off) * invM, d = wj - ok, g = 1 / (1 + a2 * d * d);
    double ur = u[2 * j], ui = u[2 * j + 1], rr = R[2 * j] + ur, ri = R[2 * j + 1] + ui;
    double nr = rr * g, ni = ri * g, er = nr - ur, ei = ni - ui, p2 = nr * nr + ni * ni;
    dn[0] += er * er + ei * ei, on[0] += ur * ur + ui * ui;
    nm[0] += wj * p2, dd[0] += p2;
    u[2 * j] = nr, u[2 * j + 1] = ni;
    R[2 * j] = rr - nr, R[2 * j + 1] = ri - ni;
  }
  sums[0] = (dn[0] + dn[1]) + (dn[2] + dn[3]);
  sums[1] = (on[0] + on[1]) + (on[2] + on[3]);
  sums[2] = (nm[0] + nm[1]) + (nm[2] + nm[3]);
  sums[3] = (dd[0] + dd[1]) + (dd[2] + dd[3]);
}

void prc_vmd_mode_update(double *u, double *R, int64_t nb, int64_t off, int64_t M, double a2, double ok, double sums[4])
{
  mode_update(u, R, nb, off, 1.0 / (double)M, a2, ok, sums);
}

void prc_vmd_mirror(const double *f, int64_t n, double *m) { mirror(f, n, m); }
void prc_vmd_init_omega(const prc_vmd_params *p, int64_t M, double *om) { init_omega(p, M, om); }

int prc_vmd(prc_vmd_ctx *c, const double *f, int64_t n, const prc_vmd_params *p, double *u, prc_vmd_info *info)
{
  if (check_input(f, n, p)) return 1;
  const int64_t M = 2 * n, H = n + 1, h = n / 2;
  const int     K = p->K;
  if (ctx_plan(c, M)) return 1;
  /* lam: lambda (only with tau > 0), R: residual f^ + lambda/2 - sum u, U: modes */
  double *lam = p->tau > 0 ? calloc((size_t)(2 * H), sizeof *lam) : NULL, *U = calloc((size_t)(2 * K * H), sizeof *U),
         *R = malloc((size_t)(2 * H) * sizeof *R);
  if ((p->tau > 0 && !lam) || !U || !R) {
    free(lam), free(U), free(R);
    return prc_seterr("vmd: out of memory for %d modes of %lld samples", K, (long long)n);
  }
  mirror(f, n, c->r);
  fftw_execute(c->r2c);
  memcpy(R, c->c, (size_t)H * sizeof(fftw_complex));
  double om[PRC_VMD_KMAX];
  init_omega(p, M, om);

  const double a2 = 2 * p->alpha, invM = 1.0 / (double)M;
  int          it = 0, conv = 0;
  double       diff = INFINITY;
  while (it < p->max_iter) {
    diff = 0;
    for (int k = 0; k < K; k++) {
      double s[4];
      mode_update(U + 2 * k * H, R, H, 0, invM, a2, om[k], s);
      diff += s[1] > 0 ? s[0] / s[1] : (s[0] > 0 ? INFINITY : 0);
      if (!(p->dc && k == 0) && s[3] > 0) om[k] = s[2] / s[3];
    }
    if (p->tau > 0) /* lambda += tau (f^ - sum u), with f^ - sum u = R - lambda/2; R follows lambda/2 */
      for (int64_t j = 0; j < 2 * H; j++) {
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
  for (int k = 0; k < K; k++) {
    memcpy(c->c, U + 2 * ord[k] * H, (size_t)H * sizeof(fftw_complex));
    fftw_execute(c->c2r);
    for (int64_t i = 0; i < n; i++) u[k * n + i] = c->r[h + i] / (double)M;
  }
  fill_info(info, K, it, conv, diff, om, ord);
  free(lam), free(U), free(R);
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

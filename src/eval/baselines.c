/* baselines.c — climatology and logistic-regression reference forecasters
 * (include/precursor/baselines.h; docs/STUDY.md). Kernel: no MPI. */
#include "precursor/baselines.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/error.h"

/* LAPACK (OpenBLAS): solve A x = b for symmetric positive definite A (column-major). */
extern void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda, double *b, const int *ldb, int *info);

int prc_standardize_fit(const double *X, size_t n, int p, const unsigned char *use, double *mean, double *sd)
{
  if (p < 0 || (n && !X)) return prc_seterr("standardize: bad arguments (n %zu, p %d)", n, p);
  for (int j = 0; j < p; j++) {
    double s = 0, ss = 0;
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
      if ((!use || use[i]) && isfinite(X[i * p + j])) s += X[i * p + j], c++;
    mean[j] = c ? s / (double)c : 0;
    for (size_t i = 0; i < n; i++)
      if ((!use || use[i]) && isfinite(X[i * p + j])) ss += (X[i * p + j] - mean[j]) * (X[i * p + j] - mean[j]);
    sd[j] = c ? sqrt(ss / (double)c) : 0;
  }
  return 0;
}

void prc_standardize_apply(const double *X, size_t n, int p, const double *mean, const double *sd, double *Z)
{
  for (size_t i = 0; i < n; i++)
    for (int j = 0; j < p; j++) {
      double x = X[i * p + j];
      Z[i * p + j] = isfinite(x) && sd[j] > 0 ? (x - mean[j]) / sd[j] : 0;
    }
}

static double sigmoid(double z) { return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)); }

/* log(1 + exp(z)) without overflow */
static double softplus(double z) { return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z)); }

/* Penalised negative log-likelihood (sum, not mean) at beta. */
static double logreg_objective(const double *Z, const double *y, const unsigned char *use, size_t n, int p, double l2, const double *beta)
{
  double L = 0;
  for (size_t i = 0; i < n; i++) {
    if (use && !use[i]) continue;
    double e = beta[0];
    for (int j = 0; j < p; j++) e += beta[j + 1] * Z[i * p + j];
    L += y[i] == 1 ? softplus(-e) : softplus(e);
  }
  for (int a = 1; a <= p; a++) L += 0.5 * l2 * beta[a] * beta[a];
  return L;
}

int prc_logreg_fit(const double *Z, const double *y, const unsigned char *use, size_t n, int p, double l2, int max_iter,
                   double tol, double *beta, int *iters, double *nll)
{
  if (p < 0 || p > 4096 || !(l2 >= 0) || max_iter < 1 || !(tol > 0))
    return prc_seterr("logistic regression: bad parameters (p %d, l2 %g, max_iter %d, tol %g)", p, l2, max_iter, tol);
  size_t nu = 0, npos = 0;
  for (size_t i = 0; i < n; i++)
    if (!use || use[i]) {
      if (!(y[i] == 0 || y[i] == 1)) return prc_seterr("logistic regression: label %zu is %g, expected 0 or 1", i, y[i]);
      nu++, npos += y[i] == 1;
    }
  if (!nu) return prc_seterr("logistic regression: no training rows");
  if (l2 == 0 && (npos == 0 || npos == nu))
    return prc_seterr("logistic regression: only one class among the %zu training rows and no penalty: no finite optimum", nu);
  const int q = p + 1;
  double   *H = malloc((size_t)q * q * sizeof *H), *g = malloc((size_t)q * sizeof *g), *x = malloc((size_t)q * sizeof *x);
  if (!H || !g || !x) {
    free(H), free(g), free(x);
    return prc_seterr("logistic regression: out of memory (p = %d)", p);
  }
  for (int j = 0; j < q; j++) beta[j] = 0;
  /* start the intercept at the logit of the base rate (the optimum of the intercept-only model) */
  double rate = ((double)npos + 0.5) / ((double)nu + 1);
  beta[0] = log(rate / (1 - rate));
  int it = 0, rc = 0;
  for (; it < max_iter; it++) {
    memset(H, 0, (size_t)q * q * sizeof *H), memset(g, 0, (size_t)q * sizeof *g);
    for (size_t i = 0; i < n; i++) {
      if (use && !use[i]) continue;
      const double *z = Z + i * p;
      double        e = beta[0];
      for (int j = 0; j < p; j++) e += beta[j + 1] * z[j];
      double m = sigmoid(e), w = m * (1 - m), r = y[i] - m;
      x[0] = 1;
      for (int j = 0; j < p; j++) x[j + 1] = z[j];
      for (int a = 0; a < q; a++) {
        g[a] += r * x[a];
        double wa = w * x[a];
        for (int b = a; b < q; b++) H[a * q + b] += wa * x[b]; /* upper triangle, row a */
      }
    }
    for (int a = 1; a < q; a++) g[a] -= l2 * beta[a], H[a * q + a] += l2;
    /* H row-major upper = column-major lower: solve with uplo 'L' */
    int info = 0, one = 1;
    dposv_("L", &q, &one, H, &q, g, &q, &info);
    if (info) {
      rc = prc_seterr("logistic regression: Newton system not positive definite at step %d (LAPACK dposv info %d); "
                      "a constant or duplicated feature without penalty? use l2 > 0",
                      it + 1, info);
      break;
    }
    /* damped Newton: halve the step until the objective does not increase (Newton's full
     * step can overshoot far from the optimum, where the curvature is small) */
    double f0 = logreg_objective(Z, y, use, n, p, l2, beta), t = 1, step = 0;
    for (int a = 0; a < q; a++) x[a] = beta[a];
    for (int h = 0; h < 60; h++, t *= 0.5) {
      for (int a = 0; a < q; a++) beta[a] = x[a] + t * g[a];
      double f1 = logreg_objective(Z, y, use, n, p, l2, beta);
      if (f1 <= f0 || !isfinite(f0)) break;
    }
    for (int a = 0; a < q; a++) step = fmax(step, fabs(t * g[a]));
    if (!isfinite(step)) {
      rc = prc_seterr("logistic regression: diverged at step %d (separable classes? use l2 > 0)", it + 1);
      break;
    }
    if (step < tol) {
      it++;
      break;
    }
  }
  if (!rc && it == max_iter)
    rc = prc_seterr("logistic regression: no convergence in %d Newton steps (separable or one-class training rows? the "
                    "intercept is not penalised); raise the maximum or l2, or check the labels",
                    max_iter);
  if (!rc && nll) *nll = logreg_objective(Z, y, use, n, p, l2, beta) / (double)nu;
  if (iters) *iters = it;
  free(H), free(g), free(x);
  return rc;
}

void prc_logreg_predict(const double *Z, size_t n, int p, const double *beta, double *prob)
{
  for (size_t i = 0; i < n; i++) {
    double e = beta[0];
    for (int j = 0; j < p; j++) e += beta[j + 1] * Z[i * p + j];
    prob[i] = sigmoid(e);
  }
}

typedef struct {
  double cell;
  size_t i;
} cell_row;

static int cell_row_cmp(const void *a, const void *b)
{
  const cell_row *x = a, *y = b;
  if (x->cell != y->cell) return x->cell < y->cell ? -1 : 1;
  return (x->i > y->i) - (x->i < y->i);
}

int prc_climatology(const double *cell, const double *y, const unsigned char *use, size_t n, double prior, double *prob)
{
  if (!(prior >= 0) || !isfinite(prior)) return prc_seterr("climatology: prior weight %g, expected >= 0", prior);
  double k = 0, m = 0;
  for (size_t i = 0; i < n; i++)
    if (!use || use[i]) k += y[i] == 1, m++;
  if (!m) return prc_seterr("climatology: no training rows");
  double    pbar = k / m;
  cell_row *r = malloc((n ? n : 1) * sizeof *r);
  if (!r) return prc_seterr("climatology: out of memory for %zu rows", n);
  for (size_t i = 0; i < n; i++) r[i] = (cell_row){cell[i], i};
  qsort(r, n, sizeof *r, cell_row_cmp); /* groups of one cell, in row order */
  for (size_t a = 0; a < n;) {
    size_t b = a;
    double kc = 0, nc = 0;
    while (b < n && r[b].cell == r[a].cell) {
      if (!use || use[r[b].i]) kc += y[r[b].i] == 1, nc++;
      b++;
    }
    double pc = nc + prior > 0 ? (kc + prior * pbar) / (nc + prior) : pbar;
    for (size_t c = a; c < b; c++) prob[r[c].i] = pc;
    a = b;
  }
  free(r);
  return 0;
}

int prc_brier_logloss(const double *prob, const double *y, const unsigned char *use, size_t n, double *brier, double *logloss)
{
  double b = 0, l = 0, c = 0;
  for (size_t i = 0; i < n; i++) {
    if (use && !use[i]) continue;
    if (!(prob[i] >= 0 && prob[i] <= 1)) return prc_seterr("probability %zu is %g, expected in [0, 1]", i, prob[i]);
    double q = fmin(fmax(prob[i], 1e-15), 1 - 1e-15);
    b += (prob[i] - y[i]) * (prob[i] - y[i]);
    l -= y[i] == 1 ? log(q) : log(1 - q);
    c++;
  }
  *brier = c ? b / c : NAN, *logloss = c ? l / c : NAN;
  return 0;
}

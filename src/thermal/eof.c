/* eof.c — Gram matrix and projections for EOF filtering (OpenBLAS), with _ref twins. */
#include "precursor/eof.h"

#include <cblas.h>
#include <math.h>

void prc_eof_gram(const double *A, int64_t np, int na, double *C)
{
  if (np <= 0) {
    for (int64_t i = 0; i < (int64_t)na * na; i++) C[i] = 0;
    return;
  }
  cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, na, (int)np, 1.0, A, (int)np, 0.0, C, na);
  for (int j = 0; j < na; j++) /* mirror the upper triangle */
    for (int i = j + 1; i < na; i++) C[(int64_t)j * na + i] = C[(int64_t)i * na + j];
}

void prc_eof_gram_ref(const double *A, int64_t np, int na, double *C)
{
  for (int i = 0; i < na; i++)
    for (int j = 0; j < na; j++) {
      double s = 0;
      for (int64_t p = 0; p < np; p++) s += A[(int64_t)i * np + p] * A[(int64_t)j * np + p];
      C[(int64_t)j * na + i] = s;
    }
}

void prc_eof_project(const double *A, int64_t np, int na, const double *V, int m, double *coef)
{
  if (np <= 0 || m <= 0) return;
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)np, m, na, 1.0, A, (int)np, V, na, 0.0, coef, (int)np);
}

void prc_eof_project_ref(const double *A, int64_t np, int na, const double *V, int m, double *coef)
{
  for (int k = 0; k < m; k++)
    for (int64_t p = 0; p < np; p++) {
      double s = 0;
      for (int t = 0; t < na; t++) s += A[(int64_t)t * np + p] * V[(int64_t)k * na + t];
      coef[(int64_t)k * np + p] = s;
    }
}

void prc_eof_anomaly(const float *buf, int nt, int64_t np, const double *tbar, const int *slot, const float *mean, double *A)
{
  for (int t = 0; t < nt; t++) {
    const float *b = buf + (size_t)t * (size_t)np, *mu = mean + (size_t)slot[t] * (size_t)np;
    double      *a = A + (size_t)t * (size_t)np;
    for (int64_t p = 0; p < np; p++) a[p] = isfinite(b[p]) && isfinite(tbar[t]) && isfinite(mu[p]) ? (double)b[p] - tbar[t] - mu[p] : 0;
  }
}

void prc_eof_retira(const float *buf, int nt, int64_t np, const double *tbar, const int *slot, const float *mean, const float *sd,
                    const double *coef, const double *V, int na, int m, int t0, float *r)
{
  for (int t = 0; t < nt; t++) {
    const float *b = buf + (size_t)t * (size_t)np, *mu = mean + (size_t)slot[t] * (size_t)np, *sg = sd + (size_t)slot[t] * (size_t)np;
    float       *o = r + (size_t)t * (size_t)np;
    for (int64_t p = 0; p < np; p++) {
      if (!(isfinite(b[p]) && isfinite(tbar[t]) && sg[p] > 0)) {
        o[p] = NAN;
        continue;
      }
      double a = (double)b[p] - tbar[t] - mu[p];
      for (int k = 0; k < m; k++) a -= coef[(size_t)k * (size_t)np + (size_t)p] * V[(size_t)k * (size_t)na + (size_t)(t0 + t)];
      o[p] = (float)(a / sg[p]);
    }
  }
}

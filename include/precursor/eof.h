/* precursor/eof.h — EOF (PCA) building blocks for removing large-scale patterns from an
 * anomaly field A (pixels x time), kernel layer (no MPI). The time x time Gram matrix of a
 * rank's pixels is summed over ranks by the caller; its leading eigenvectors V (time
 * modes) come from ScaLAPACK; each pixel's coefficients are A V; the filtered field is
 * A - (A V) V^T. Storage: A is time-major (na, np) = column-major (np x na), V is
 * column-major (na x m), coef column-major (np x m). */
#ifndef PRECURSOR_EOF_H
#define PRECURSOR_EOF_H

#include <stdint.h>

/* C (na x na, full, column-major) = A^T A, with OpenBLAS dsyrk. */
void prc_eof_gram(const double *A, int64_t np, int na, double *C);
void prc_eof_gram_ref(const double *A, int64_t np, int na, double *C);
/* coef (np x m) = A V, with OpenBLAS dgemm. */
void prc_eof_project(const double *A, int64_t np, int na, const double *V, int m, double *coef);
void prc_eof_project_ref(const double *A, int64_t np, int na, const double *V, int m, double *coef);

/* Anomaly of a block for the EOF pass: A[t][p] = v - tbar[t] - mean[slot[t]][p] where v,
 * tbar and the background are defined, else 0 (a missing value contributes nothing to the
 * Gram matrix). buf (nt, np) float; A (nt, np) double. */
void prc_eof_anomaly(const float *buf, int nt, int64_t np, const double *tbar, const int *slot, const float *mean, double *A);
/* RETIRA of EOF-filtered anomalies for a block: r = (a - sum_k coef[p,k] V[t0+t, k]) / sd
 * with a = v - tbar - mean (NaN where v, tbar or the background are undefined or sd == 0).
 * V column-major (na x m) over the whole analysis period, t0 = the block's first step. */
void prc_eof_retira(const float *buf, int nt, int64_t np, const double *tbar, const int *slot, const float *mean, const float *sd,
                    const double *coef, const double *V, int na, int m, int t0, float *r);

#endif

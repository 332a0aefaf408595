/* precursor/baselines.h — the no-skill and low-skill reference forecasters of the
 * retrospective study (issue 10; docs/STUDY.md): climatology per cell and an L2-regularised
 * logistic regression on the indicators. Kernel layer: no MPI, no PETSc.
 *
 * Rows are (cell, time) units of a forecast table; y[i] in {0, 1} is the observed label.
 * Feature matrices are row-major n x p doubles; NaN marks an undefined indicator.
 * All functions return 0, or non-zero after prc_seterr(). */
#ifndef PRECURSOR_BASELINES_H
#define PRECURSOR_BASELINES_H

#include <stddef.h>

/* Column means and standard deviations (population, n in the denominator) over the finite
 * values of the rows with use[i] != 0 (use may be NULL: all rows). A column with no finite
 * value gets mean 0, sd 0. */
int  prc_standardize_fit(const double *X, size_t n, int p, const unsigned char *use, double *mean, double *sd);
/* Z = (X - mean) / sd; NaN (undefined indicator) -> 0, i.e. the training mean; a column with
 * sd 0 -> 0 everywhere. X and Z may be the same array. */
void prc_standardize_apply(const double *X, size_t n, int p, const double *mean, const double *sd, double *Z);

/* Logistic regression P(y = 1 | z) = 1 / (1 + exp(-(b0 + z . b))) fitted to the rows with
 * use[i] != 0 (use may be NULL) by Newton's method (IRLS) on the penalised log-likelihood
 *   L(b) = sum_i [y_i log p_i + (1 - y_i) log(1 - p_i)] - l2/2 |b_1..p|^2
 * (the intercept is not penalised), the Newton systems solved by Cholesky (LAPACK dposv).
 * Stops when the largest Newton step is below tol or after max_iter steps. beta: p + 1
 * values (beta[0] = intercept). *iters and *nll (-L / n_used at the end) may be NULL.
 * Needs both classes among the used rows, and l2 > 0 or non-separable data (else the
 * optimum is at infinity: an error after max_iter steps). */
int  prc_logreg_fit(const double *Z, const double *y, const unsigned char *use, size_t n, int p, double l2, int max_iter,
                    double tol, double *beta, int *iters, double *nll);
void prc_logreg_predict(const double *Z, size_t n, int p, const double *beta, double *prob);

/* Climatology: for each cell, p_c = (k_c + prior * pbar) / (n_c + prior) from the training
 * rows (use[i] != 0) of that cell, k_c positives out of n_c, pbar the positive rate of all
 * training rows; a cell without training rows gets pbar. prior >= 0 (0: the raw rate).
 * prob receives the forecast of every one of the n rows (training or not). */
int  prc_climatology(const double *cell, const double *y, const unsigned char *use, size_t n, double prior, double *prob);

/* Brier score and mean log-loss (probabilities clipped to [1e-15, 1 - 1e-15]) of the rows
 * with use[i] != 0. */
int  prc_brier_logloss(const double *prob, const double *y, const unsigned char *use, size_t n, double *brier, double *logloss);

#endif

/* precursor/scores.h — forecast verification kernels (kernel layer: no MPI, no PETSc).
 * Definitions, formulas and edge cases: docs/EVALUATION.md.
 *
 * A forecast is evaluated on "units" (e.g. cell × time window). Each unit i has
 *  - score[i]: the forecast score or probability (finite; larger = more alarming),
 *  - obs[i]:   the number of target events observed in the unit (>= 0; 0/1 for a binary
 *              observation). The unit is POSITIVE (an "event" unit) when obs[i] > 0,
 *  - weight[i] (optional, NULL = 1): weight of the unit in the contingency table and the
 *              ROC curve (a case weight, >= 0),
 *  - tau_w[i] (optional, NULL = 1): the space-time measure of the unit in the Molchan
 *              diagram and the probability gain (cell area × duration, or a reference
 *              rate), >= 0 with a positive sum.
 * A binary forecast is "alarm" when score >= threshold.
 *
 * Undefined values: every score whose denominator is zero is NaN (never 0 or 1), see
 * docs/EVALUATION.md. Functions return 0, or non-zero after prc_seterr() for bad inputs
 * (NULL arrays with n > 0, non-finite scores, negative or non-finite weights/counts).
 * Nothing here is collective.
 */
#ifndef PRECURSOR_SCORES_H
#define PRECURSOR_SCORES_H

#include <stddef.h>
#include <stdint.h>

/* 2 × 2 contingency table (weighted counts). */
typedef struct {
  double a; /* hits: alarm and event (TP) */
  double b; /* false alarms: alarm, no event (FP) */
  double c; /* misses: no alarm, event (FN) */
  double d; /* correct negatives (TN) */
} prc_ctable;

/* The scores. The first PRC_SC_NTABLE are functions of a contingency table; the others
 * need the scores' ranks (AUC, ASS) or the space-time measure (probability gain). */
typedef enum {
  PRC_SC_ACCURACY = 0, /* A  = (a+d)/n */
  PRC_SC_POD,          /* A1 = recall = hit rate = a/(a+c) */
  PRC_SC_SPECIFICITY,  /* A2 = d/(b+d) */
  PRC_SC_PRECISION,    /* a/(a+b) */
  PRC_SC_FAR,          /* false alarm RATIO b/(a+b) = 1 - precision */
  PRC_SC_POFD,         /* false alarm RATE (probability of false detection) b/(b+d) */
  PRC_SC_BIAS,         /* frequency bias (a+b)/(a+c) */
  PRC_SC_HK,           /* R-score = Hanssen–Kuipers = POD - POFD */
  PRC_SC_F1,           /* 2a/(2a+b+c) */
  PRC_SC_MCC,          /* (ad-bc)/sqrt((a+b)(a+c)(b+d)(c+d)) */
  PRC_SC_HSS,          /* Heidke: 2(ad-bc)/((a+c)(c+d)+(a+b)(b+d)) */
  PRC_SC_NTABLE,
  PRC_SC_AUC = PRC_SC_NTABLE, /* area under the ROC curve (threshold-free) */
  PRC_SC_ASS,                 /* Molchan area skill score (threshold-free) */
  PRC_SC_GAIN,                /* probability gain at the threshold: (hits/N) / tau */
  PRC_SC_COUNT
} prc_score_id;

/* Short name of a score ("accuracy", "pod", ..., "gain"); "?" if out of range. */
const char *prc_score_name(int id);

/* Contingency table of binary forecasts/observations (alarm[i], event[i] non-zero = yes);
 * weight may be NULL. */
int    prc_ctable_binary(const unsigned char *alarm, const unsigned char *event, const double *weight, size_t n, prc_ctable *t);
/* Contingency table of "score >= thr" against "obs > 0". */
int    prc_ctable_threshold(const double *score, const double *obs, const double *weight, size_t n, double thr, prc_ctable *t);
/* One contingency score (id < PRC_SC_NTABLE); NaN when undefined (docs/EVALUATION.md). */
double prc_score_table(const prc_ctable *t, int id);

/* ROC curve: one point per distinct score value, from (0,0) (threshold +inf: no alarm) to
 * (1,1) (the smallest score: every unit alarmed). Point k is the table of "score >=
 * thr[k]": fpr = POFD, tpr = POD. Tied units switch together (a diagonal segment).
 * thr, fpr, tpr: arrays of n+1 entries; *npts receives the number of points (<= n+1).
 * Needs at least one positive and one negative unit (by weight), else an error. */
int    prc_roc(const double *score, const double *obs, const double *weight, size_t n, double *thr, double *fpr, double *tpr,
               size_t *npts);
/* Trapezoidal area under a curve of npts points (x increasing). */
double prc_trapz(const double *x, const double *y, size_t npts);
/* AUC as the (weighted) Mann–Whitney statistic U / (W+ W-): the probability that a random
 * positive scores higher than a random negative, ties counting 1/2 (computed from ranks,
 * independently of prc_roc). NaN if there are no positives or no negatives. */
int    prc_auc_mann_whitney(const double *score, const double *obs, const double *weight, size_t n, double *auc);

/* Molchan error diagram: one point per distinct score value plus the start (tau, nu) =
 * (0, 1) at threshold +inf; point k alarms the units with score >= thr[k]: tau = their
 * share of sum(tau_w), nu = 1 - (target events in them) / N, N = sum(obs). Tied units
 * switch together. Arrays of n+1 entries. Needs N > 0 and sum(tau_w) > 0. */
int    prc_molchan(const double *score, const double *obs, const double *tau_w, size_t n, double *thr, double *tau, double *nu,
                   size_t *npts);
/* Area skill score 1 - (area under the Molchan trajectory, trapezoids, tau in [0,1]).
 * 1 = perfect, 0.5 = expected for a random guess, 0 = anti-perfect. */
double prc_molchan_ass(const double *tau, const double *nu, size_t npts);
/* P(X >= k) for X ~ Binomial(N, p), summed exactly from the pmf (long double, log-gamma). */
double prc_binom_sf(long k, long N, double p);
/* The random-guess bound of the Molchan diagram: for N target events and alarm fraction
 * tau, h* = the smallest number of hits with P(X >= h*) <= alpha, X ~ Binomial(N, tau);
 * *nu_crit = 1 - h* / N (a forecast whose miss rate is <= nu_crit at that tau beats random
 * guessing at significance alpha). *nu_crit = NaN when no hit count is significant (h* >
 * N, i.e. tau^N > alpha). *hstar may be NULL. */
int    prc_molchan_bound(long N, double tau, double alpha, double *nu_crit, long *hstar);

/* Every score (PRC_SC_COUNT values) at threshold thr: the contingency scores of "score >=
 * thr" vs "obs > 0" (weighted by weight), AUC (Mann–Whitney), ASS and the probability gain
 * (tau_w). Undefined ones are NaN (e.g. AUC without positives). ct may be NULL. */
int    prc_eval_point(const double *score, const double *obs, const double *weight, const double *tau_w, size_t n, double thr,
                      double out[PRC_SC_COUNT], prc_ctable *ct);

/* Bootstrap replicates b in [b0, b1) of every score at each of nthr thresholds: replicate b
 * resamples n units with replacement using the stream prc_rng_seed(seed, b), so a
 * replicate does not depend on who computes it. reps: (b1-b0) × nthr × PRC_SC_COUNT,
 * reps[((b-b0)*nthr + k)*PRC_SC_COUNT + s]. */
int    prc_eval_boot_reps(const double *score, const double *obs, const double *weight, const double *tau_w, size_t n,
                          const double *thr, int nthr, uint64_t seed, long b0, long b1, double *reps);
/* Percentile interval of one column: the (1-level)/2 and (1+level)/2 quantiles (linear
 * interpolation between order statistics, numpy's default) of the non-NaN values among
 * the B values x[0], x[stride], ...; NaN bounds if none is finite. *nvalid may be NULL. */
int    prc_percentile_ci(const double *x, long B, size_t stride, double level, double *lo, double *hi, long *nvalid);
/* Convenience: B replicates and the percentile intervals of every score at one threshold.
 * lo, hi: PRC_SC_COUNT values; nvalid may be NULL. */
int    prc_eval_bootstrap(const double *score, const double *obs, const double *weight, const double *tau_w, size_t n, double thr,
                          long B, double level, uint64_t seed, double *lo, double *hi, long *nvalid);

/* Reliability diagram: nbins equal bins of [0, 1] (bin k = [k/nbins, (k+1)/nbins), the
 * last one closed); per bin the (weighted) count, the mean forecast probability and the
 * observed frequency of positive units (NaN for an empty bin). Scores must lie in [0, 1]. */
int    prc_reliability(const double *prob, const double *obs, const double *weight, size_t n, int nbins, double *count,
                       double *mean_prob, double *obs_freq);

#endif

/* precursor/indicators.h — seismicity indicators of one cell at one evaluation time
 * (Panakkat & Adeli 2007; Reyes et al. 2013). Kernel layer: no MPI. See docs/INDICATORS.md.
 *
 * Input: the events of one cell sorted by time (days, any origin) with magnitudes, and an
 * evaluation time t. ONLY events with time < t are ever read (the function locates them by
 * bisection first), so nothing after t can change a feature: the no-leakage rule is
 * structural (and tested by altering the events after t).
 *
 * Window W: the last n_events events before t (n_events > 0; fewer than n_events before t
 * -> window undefined, everything below NaN except mmax7 and the counts), or, if
 * n_events == 0, the events in [t - span_days, t).
 * Mc: mc_auto: maximum curvature of the window's magnitudes (prc_mc_maxc, bin width dm)
 * plus mc_corr; else the fixed mc. "Used" events U = events of W with M >= Mc - dm/2
 * (Mc is respected by every magnitude statistic), n_used = |U|.
 *
 *   T      = t_last - t_first of the events of W (days; Panakkat & Adeli's "time elapsed
 *            over the last n events"); NaN if |W| < 2
 *   Mmean  = mean magnitude of U
 *   dE     = dE^{1/2} = sum_U sqrt(E_i) / T, log10 E_i = 11.8 + 1.5 M_i (E in erg), so the
 *            unit is erg^{1/2} per day; NaN if T <= 0
 *   b, sb  = Aki–Utsu MLE above Mc with bin correction (prc_gr_bvalue_mle) and its Shi & Bolt
 *            sigma (b_lsq = 0), or (b_lsq = 1) the least-squares slope of the fit below with
 *            the slope's standard error; NaN if n_used < min_events_b
 *   a      = MLE: log10 n_used + b Mc (the GR law through N(>= Mc) = n_used);
 *            LSQ: the intercept of the fit
 *   eta    = sum_k (log10 N_k - (a - b M_k))^2 / (K - 1) over the K magnitude bins M_k
 *            (centres, width dm) from Mc to the largest magnitude of U, N_k = #U with
 *            M >= M_k - dm/2 (cumulative, >= 1); NaN if K < 2 or b NaN
 *   dM     = max M of U - a/b (observed minus expected maximum magnitude)
 *   mu, c  = mean and coefficient of variation (sample sd / mean) of the intervals between
 *            consecutive characteristic events (M >= char_mag) among ALL events before t
 *            (not only W: characteristic events are rare); mu NaN with < 2 such events,
 *            c NaN with < 3
 *   x1..x4 = Reyes et al. 2013 b-value increments x_j = b_{j-1} - b_j, where b_j is the MLE
 *            b of the reyes_n events ending reyes_lag*j events before t (b_0 = the latest
 *            reyes_n events), all with the window's Mc; NaN where a window is incomplete
 *   n_days = D below (observation period of W, days)
 *   mmax7  = largest magnitude in [t - 7 d, t) (all events, no Mc cut); NaN if none
 *   pbg    = background probability of M >= p_mag within horizon_days under the window's GR
 *            law: rate lambda = 10^(a - b p_mag) / D events per day, D = t - t_first (the
 *            observation period of W: from its first event to t; span_days in span mode),
 *            pbg = 1 - exp(-lambda horizon_days); NaN if b NaN
 */
#ifndef PRECURSOR_INDICATORS_H
#define PRECURSOR_INDICATORS_H

#include <stddef.h>

enum {
  PRC_IND_T,
  PRC_IND_MMEAN,
  PRC_IND_DE,
  PRC_IND_B,
  PRC_IND_SB,
  PRC_IND_A,
  PRC_IND_ETA,
  PRC_IND_DM,
  PRC_IND_MU,
  PRC_IND_C,
  PRC_IND_X1,
  PRC_IND_X2,
  PRC_IND_X3,
  PRC_IND_X4,
  PRC_IND_MMAX7,
  PRC_IND_PBG,
  PRC_IND_DAYS,  /* D: observation period of W for the background rate (days) */
  PRC_IND_MC,
  PRC_IND_NWIN,  /* events in W */
  PRC_IND_NUSED, /* events in W with M >= Mc - dm/2 */
  PRC_IND_NCHAR, /* characteristic events before t */
  PRC_IND_COUNT
};

typedef struct {
  int    n_events;     /* window of the last n events (>= 2), or 0: time span */
  double span_days;    /* window [t - span, t) when n_events == 0 (> 0) */
  double dm;           /* magnitude bin width (> 0), e.g. 0.1 */
  int    mc_auto;      /* 1: Mc = MAXC of the window + mc_corr; 0: Mc = mc */
  double mc, mc_corr;
  int    b_lsq;        /* 0: Aki–Utsu MLE (default); 1: least squares */
  int    min_events_b; /* >= 2: fewest used events for a b-value */
  double char_mag;     /* characteristic magnitude (mu, c) */
  double p_mag;        /* magnitude of the background probability (6) */
  double horizon_days; /* horizon of the background probability (> 0) */
  int    reyes_n;      /* events per Reyes b window (>= 2) */
  int    reyes_lag;    /* shift in events between Reyes windows (>= 1), 4 in Reyes */
} prc_ind_params;

/* Defaults: n_events 50, span 365, dm 0.1, Mc auto with +0.2, MLE, min_events_b 10,
 * char_mag 6.5, p_mag 6, horizon 30 d, reyes_n 50, reyes_lag 4. */
void        prc_ind_defaults(prc_ind_params *p);
/* 0 if valid, else prc_seterr names every problem. */
int         prc_ind_check(const prc_ind_params *p);
/* Column name of indicator k ("T", "Mmean", "dE_sqrt", "b", ...) and its unit. */
const char *prc_ind_name(int k);
const char *prc_ind_unit(int k);

/* Indicators at time t (days) of the events (time_days sorted ascending, mag) of one cell;
 * out[PRC_IND_COUNT]. Events at or after t are never read. Returns non-zero only on bad
 * arguments (unsorted times, invalid params); undefined values are NaN. */
int prc_indicators(const double *time_days, const double *mag, size_t n, double t, const prc_ind_params *p, double *out);

/* Least-squares fit log10 N_k = a - b M_k over the cumulative bins of the magnitudes
 * >= mc - dm/2 (as for eta above): b, its standard error, a, eta and the bin count K.
 * Error if K < 2. */
int prc_gr_lsq(const double *mag, size_t n, double mc, double dm, double *b, double *sb, double *a, double *eta, int *K);

#endif

/* precursor/etas.h — deterministic synthetic earthquake catalogs (kernel layer: no MPI).
 *
 * Gutenberg–Richter magnitudes (truncated at m_max) with ETAS-like clustering, generated
 * by the standard branching algorithm: background events (Poisson in time; spatially a
 * few random "fault zones" plus a uniform part; optional forced scenario events), then
 * generation by generation each event's direct offspring with Omori–Utsu delays and a
 * magnitude-dependent isotropic power-law spatial kernel. Used by `precursor synth` (the
 * embedded default data set) and by the scaling benchmarks.
 *
 * Model (times in days, distances in km, M magnitude):
 *   background rate    mu events/day with M >= m_c over the whole region
 *   productivity       kappa(M) = K * 10^(alpha (M - m_c))  expected direct offspring
 *                      (within the Omori horizon omori_tmax)
 *   Omori–Utsu delay   g(tau) ∝ (tau + c)^-p  on [0, omori_tmax]
 *   spatial kernel     offset density f(r) = (q-1)/(pi d^2) (1 + r^2/d^2)^-q,  q = sp_q,
 *                      d(M) = sp_d5_km * 10^(sp_gamma (M - 5))   (3 km at M5 by default,
 *                      ~ rupture-length scaling 10^(0.5 M - 2) km)
 *   depth              background: normal(depth_mean_km, depth_sd_km) truncated to >= 0;
 *                      offspring: normal(parent depth, min(depth_sd_km, d(M_parent)))
 *                      truncated to >= 0
 *   branching ratio    n = K E[10^(alpha (M - m_c))] under the truncated GR law
 *                      (-> K b / (b - alpha) as m_max -> inf); n >= 1 is rejected.
 * Geometry: a local flat-earth approximation at the region centre (lat_c):
 *   111.195 km per degree of latitude, 111.195 cos(lat_c) km per degree of longitude.
 * Offspring falling outside the region or after t1 are dropped (time truncation is done
 * exactly by thinning the Poisson mean with the Omori mass inside the span).
 * Magnitudes are continuous (not binned).
 * Determinism: the same parameters and seed give bitwise-identical output; the fault
 * geometry, the background and each parent's offspring use separate prc_rng streams.
 */
#ifndef PRECURSOR_ETAS_H
#define PRECURSOR_ETAS_H

#include <stddef.h>
#include <stdint.h>

/* A forced background event (e.g. to guarantee an M >= 5 at a chosen time in a demo).
 * It must lie inside the region and span, with m_c <= mag <= m_max; its depth is drawn
 * from the background depth law and it triggers aftershocks like any other event. */
typedef struct {
  double t;        /* time, days (same origin as t0/t1) */
  double lat, lon; /* degrees */
  double mag;
} prc_etas_scenario_event;

typedef struct {
  /* region and span */
  double lon_min, lon_max; /* degrees, lon_min < lon_max */
  double lat_min, lat_max; /* degrees, -89 <= lat_min < lat_max <= 89 */
  double t0, t1;           /* days, any origin; events are generated in [t0, t1) */
  /* magnitudes (truncated Gutenberg–Richter) */
  double m_c;   /* magnitude of completeness = minimum generated magnitude */
  double m_max; /* maximum magnitude, > m_c */
  double b;     /* b-value, (0.3, 3] */
  /* background */
  double mu;              /* events/day with M >= m_c over the whole region, >= 0 */
  int    n_faults;        /* fault zones (segments placed at random from the seed), >= 0 */
  double fault_len_km;    /* mean segment length, km (each drawn in [0.5, 1.5] x this) */
  double fault_width_km;  /* Gaussian sd of events around a segment, km */
  double bg_uniform_frac; /* fraction of background spread uniformly, [0, 1] (1 if no faults) */
  /* ETAS triggering */
  double K;          /* productivity, >= 0 (K = 0: pure Poisson background) */
  double alpha;      /* productivity magnitude scaling, >= 0 (log10 units) */
  double c;          /* Omori c, days, > 0 */
  double p;          /* Omori p, > 0 */
  double omori_tmax; /* Omori horizon, days; INFINITY allowed only for p > 1 */
  double sp_d5_km;   /* spatial kernel scale d for an M5 parent, km, > 0 */
  double sp_gamma;   /* d(M) grows as 10^(sp_gamma (M - 5)), >= 0 */
  double sp_q;       /* power-law exponent of the spatial kernel, > 1 */
  /* depth */
  double depth_mean_km; /* >= 0 */
  double depth_sd_km;   /* > 0 */
  /* forced scenario events (not owned; may be NULL when n_scenario == 0) */
  const prc_etas_scenario_event *scenario;
  size_t n_scenario;
  /* safety */
  size_t max_events; /* cap on the total number of events; exceeding it is an error */
} prc_etas_params;

/* Output catalog (all arrays length n, sorted by time, stable). Owned; release with
 * prc_etas_catalog_free(). */
typedef struct {
  size_t   n;
  double  *t;          /* days */
  double  *lat, *lon;  /* degrees */
  double  *depth_km;
  double  *mag;
  int64_t *parent;     /* index (into these arrays) of the direct parent, -1 for background */
  int     *generation; /* 0 for background (and scenario) events, parent's + 1 otherwise */
  size_t   n_background; /* events with parent == -1 (including scenario events) */
  int      n_faults;
  double  *faults;     /* (n_faults, 4): lon0, lat0, lon1, lat1 of each fault segment */
} prc_etas_catalog;

/* Fill *p with defaults: a 2.5 x 2 degree box (lon 21.5-24 E, lat 37-39 N, ~220 x 222 km)
 * over 3 years (t0 = 0, t1 = 1095.75 d); m_c 2.5, m_max 7.5, b 1; mu 2.3/day; 4 faults of
 * ~50 km, width 3 km, 20% uniform background; K 0.1, alpha 0.8 (n = 0.45), c 0.01 d,
 * p 1.1, no Omori horizon; kernel 3 km at M5, gamma 0.5, q 1.5; depth 10 +- 5 km;
 * cap 10^6 events, no scenario events.
 * Measured over 200 seeds: 0.99 M>=3 per day (sd 0.06), 3.5 M>=5 per year (sd 1.2),
 * 0.32 M>=6 per year; ~3450 events in all, 27% of them triggered (less than n because
 * offspring after t1, outside the box, or of parents before t0 are missing). */
void prc_etas_defaults(prc_etas_params *p);

/* Validate *p; reports every violated rule in one message. 0 if valid. */
int prc_etas_check(const prc_etas_params *p);

/* Branching ratio n = K E[10^(alpha (M - m_c))] for the truncated GR law of *p (the mean
 * number of direct offspring per event). No validation. */
double prc_etas_branching_ratio(const prc_etas_params *p);

/* Generate a catalog into *out (overwritten, not freed first). On success *out owns the
 * arrays; on failure *out is empty (all NULL/0) and prc_lasterr() says why (invalid
 * parameters, event cap, allocation). Not collective; no global state. */
int prc_etas_generate(const prc_etas_params *p, uint64_t seed, prc_etas_catalog *out);

/* Release the arrays of *cat and zero it (safe on a zeroed or already freed catalog). */
void prc_etas_catalog_free(prc_etas_catalog *cat);

/* Omori–Utsu delay law normalised on [0, T] (T > 0, may be INFINITY only for p > 1):
 * CDF at tau, and inverse CDF at u in [0, 1). */
double prc_etas_omori_cdf(double tau, double c, double p, double T);
double prc_etas_omori_ppf(double u, double c, double p, double T);

/* Aki–Utsu maximum-likelihood b-value of the magnitudes >= mc - dm/2 (dm = bin width,
 * 0 for continuous magnitudes):  b = log10(e) / (mean(M) - (mc - dm/2)),  with the
 * Shi & Bolt (1982) standard error  sigma_b = ln(10) b^2 sqrt(sum (M - mean)^2 / (N (N-1))).
 * Magnitudes below the threshold (and NaN) are ignored. Error if fewer than 2 remain or
 * all sit at the threshold. sigma_b may be NULL. */
int prc_gr_bvalue_mle(const double *mag, size_t n, double mc, double dm, double *b,
                      double *sigma_b);

#endif

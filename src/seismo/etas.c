/* etas.c — synthetic earthquake catalogs: truncated Gutenberg–Richter magnitudes with
 * ETAS clustering by the branching algorithm (Zhuang, Ogata & Vere-Jones 2004), plus the
 * Aki–Utsu b-value estimator. Kernel layer: no MPI, no PETSc. See precursor/etas.h.
 *
 * Random streams (all from prc_rng_seed(seed, stream)):
 *   STREAM_FAULTS  fault geometry        STREAM_BG   background events
 *   STREAM_SCEN    scenario depths       STREAM_KIDS + i   offspring of event i
 * where i is the event's index in generation order (background first, then generation by
 * generation in parent order). That order is itself deterministic, so each parent's
 * offspring depend only on (seed, i) and not on how the loop is organised.
 */
#include "precursor/etas.h"

#include "precursor/error.h"
#include "precursor/rng.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KM_PER_DEG 111.195
#define LN10 2.302585092994046

enum { STREAM_FAULTS = 1, STREAM_BG = 2, STREAM_SCEN = 3, STREAM_KIDS = 1000 };

/* One event during generation (generation order); sorted into the catalog at the end. */
typedef struct {
  double  t, lat, lon, dep, mag;
  int64_t parent; /* generation-order index, -1 for background */
  int     gen;
} ev;

typedef struct {
  ev    *e;
  size_t n, cap, max;
} evbuf;

/* Geometry shared by the samplers: flat-earth km per degree at the region centre. */
typedef struct {
  double kx, ky; /* km per degree of longitude / latitude */
} geo;

void prc_etas_defaults(prc_etas_params *p)
{
  memset(p, 0, sizeof *p);
  p->lon_min = 21.5, p->lon_max = 24.0; /* ~220 km wide at 38 N */
  p->lat_min = 37.0, p->lat_max = 39.0; /* ~222 km tall */
  p->t0 = 0.0, p->t1 = 3 * 365.25;
  p->m_c = 2.5, p->m_max = 7.5, p->b = 1.0;
  p->mu = 2.3;
  p->n_faults = 4, p->fault_len_km = 50.0, p->fault_width_km = 3.0, p->bg_uniform_frac = 0.2;
  p->K = 0.1, p->alpha = 0.8, p->c = 0.01, p->p = 1.1, p->omori_tmax = INFINITY;
  p->sp_d5_km = 3.0, p->sp_gamma = 0.5, p->sp_q = 1.5;
  p->depth_mean_km = 10.0, p->depth_sd_km = 5.0;
  p->max_events = 1000000;
}

double prc_etas_branching_ratio(const prc_etas_params *p)
{
  /* E[e^{a x}] for x = M - m_c ~ beta e^{-beta x} / (1 - e^{-beta D}) on [0, D]. */
  double beta = p->b * LN10, a = p->alpha * LN10, D = p->m_max - p->m_c, s = a - beta;
  double norm = -expm1(-beta * D);
  double e = (s == 0.0) ? beta * D / norm : beta * expm1(s * D) / (s * norm);
  return p->K * e;
}

static int inside(const prc_etas_params *p, double lat, double lon)
{
  return lat >= p->lat_min && lat <= p->lat_max && lon >= p->lon_min && lon <= p->lon_max;
}

/* Append "; msg" to buf (the validation report). */
static void addmsg(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void addmsg(char *buf, size_t cap, const char *fmt, ...)
{
  size_t len = strlen(buf);
  if (len + 3 >= cap) return;
  if (len) memcpy(buf + len, "; ", 3), len += 2;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf + len, cap - len, fmt, ap);
  va_end(ap);
}

int prc_etas_check(const prc_etas_params *p)
{
  char m[1000] = "";
  const size_t M = sizeof m;
  if (!(p->lon_min < p->lon_max) || !(p->lat_min < p->lat_max) || !isfinite(p->lon_min) ||
      !isfinite(p->lon_max))
    addmsg(m, M, "region lon [%g, %g] x lat [%g, %g] is empty (need finite lon_min < lon_max "
           "and lat_min < lat_max)", p->lon_min, p->lon_max, p->lat_min, p->lat_max);
  else if (!(p->lat_min >= -89.0 && p->lat_max <= 89.0))
    addmsg(m, M, "region lat [%g, %g] outside [-89, 89] (flat-earth approximation)",
           p->lat_min, p->lat_max);
  if (!(p->t0 < p->t1) || !isfinite(p->t0) || !isfinite(p->t1))
    addmsg(m, M, "time span t0=%g, t1=%g days: need finite t1 > t0", p->t0, p->t1);
  if (!isfinite(p->m_c) || !(p->m_max > p->m_c) || !isfinite(p->m_max))
    addmsg(m, M, "magnitudes m_c=%g, m_max=%g: need finite m_max > m_c", p->m_c, p->m_max);
  if (!(p->b > 0.3 && p->b <= 3.0)) addmsg(m, M, "b-value %g out of range (0.3, 3]", p->b);
  if (!(p->mu >= 0.0 && isfinite(p->mu)))
    addmsg(m, M, "background rate mu=%g events/day: need finite mu >= 0", p->mu);
  if (p->n_faults < 0) addmsg(m, M, "n_faults=%d: need >= 0", p->n_faults);
  if (p->n_faults > 0 && !(p->fault_len_km > 0 && isfinite(p->fault_len_km)))
    addmsg(m, M, "fault_len_km=%g: need finite > 0", p->fault_len_km);
  if (p->n_faults > 0 && !(p->fault_width_km > 0 && isfinite(p->fault_width_km)))
    addmsg(m, M, "fault_width_km=%g: need finite > 0", p->fault_width_km);
  if (!(p->bg_uniform_frac >= 0 && p->bg_uniform_frac <= 1))
    addmsg(m, M, "bg_uniform_frac=%g: need [0, 1]", p->bg_uniform_frac);
  if (!(p->K >= 0 && isfinite(p->K))) addmsg(m, M, "productivity K=%g: need finite >= 0", p->K);
  if (!(p->alpha >= 0 && isfinite(p->alpha))) addmsg(m, M, "alpha=%g: need finite >= 0", p->alpha);
  if (!(p->c > 0 && isfinite(p->c))) addmsg(m, M, "Omori c=%g days: need finite > 0", p->c);
  if (!(p->p > 0 && isfinite(p->p))) addmsg(m, M, "Omori p=%g: need finite > 0", p->p);
  if (!(p->omori_tmax > 0) || (p->p <= 1 && !isfinite(p->omori_tmax)))
    addmsg(m, M, "omori_tmax=%g days with p=%g: need > 0, and finite when p <= 1 (the "
           "Omori law is not normalisable on [0, inf) for p <= 1)", p->omori_tmax, p->p);
  if (!(p->sp_d5_km > 0 && isfinite(p->sp_d5_km)))
    addmsg(m, M, "sp_d5_km=%g: need finite > 0", p->sp_d5_km);
  if (!(p->sp_gamma >= 0 && isfinite(p->sp_gamma)))
    addmsg(m, M, "sp_gamma=%g: need finite >= 0", p->sp_gamma);
  if (!(p->sp_q > 1 && isfinite(p->sp_q))) addmsg(m, M, "sp_q=%g: need finite > 1", p->sp_q);
  if (!(p->depth_mean_km >= 0 && isfinite(p->depth_mean_km)))
    addmsg(m, M, "depth_mean_km=%g: need finite >= 0", p->depth_mean_km);
  if (!(p->depth_sd_km > 0 && isfinite(p->depth_sd_km)))
    addmsg(m, M, "depth_sd_km=%g: need finite > 0", p->depth_sd_km);
  if (p->max_events == 0) addmsg(m, M, "max_events=0: need > 0");
  if (p->n_scenario > 0 && !p->scenario)
    addmsg(m, M, "n_scenario=%zu but scenario is NULL", p->n_scenario);
  for (size_t i = 0; p->scenario && i < p->n_scenario; i++) {
    const prc_etas_scenario_event *s = &p->scenario[i];
    if (!(s->t >= p->t0 && s->t < p->t1) || !inside(p, s->lat, s->lon) ||
        !(s->mag >= p->m_c && s->mag <= p->m_max))
      addmsg(m, M, "scenario event %zu (t=%g, lat=%g, lon=%g, mag=%g) outside the span [t0, t1), "
             "the region or [m_c, m_max]", i, s->t, s->lat, s->lon, s->mag);
  }
  if (!m[0]) { /* the branching ratio only makes sense once the rest is valid */
    double n = prc_etas_branching_ratio(p);
    if (!(n < 1.0))
      addmsg(m, M, "branching ratio n = K E[10^(alpha(M-m_c))] = %g >= 1 (K=%g, alpha=%g, b=%g, "
             "m_max=%g): explosive, the cascade would not die out; lower K or alpha so that "
             "n < 1", n, p->K, p->alpha, p->b, p->m_max);
  }
  return m[0] ? prc_seterr("etas: %s", m) : 0;
}

/* ------------------------------------------------------------------ samplers */

double prc_etas_omori_cdf(double tau, double c, double p, double T)
{
  if (!(tau > 0)) return 0.0;
  if (tau >= T) return 1.0;
  double q = 1.0 - p;
  if (q == 0.0) return log1p(tau / c) / log1p(T / c);
  /* [1 - (1+tau/c)^q] / [1 - (1+T/c)^q], written with expm1 so that p -> 1 stays accurate */
  return expm1(q * log1p(tau / c)) / expm1(q * log1p(T / c));
}

double prc_etas_omori_ppf(double u, double c, double p, double T)
{
  double q = 1.0 - p, L = log1p(T / c);
  if (q == 0.0) return c * expm1(u * L);
  return c * expm1(log1p(u * expm1(q * L)) / q);
}

/* Truncated GR magnitude by inverse CDF. */
static double gr_mag(prc_rng *r, const prc_etas_params *p)
{
  double D = p->m_max - p->m_c, u = prc_rng_uniform(r);
  double m = p->m_c - log10(1.0 - u * -expm1(-p->b * LN10 * D)) / p->b;
  return m < p->m_max ? m : p->m_max;
}

/* Normal(mean, sd) truncated to >= 0 by rejection (mean >= 0, so acceptance >= 1/2). */
static double depth_draw(prc_rng *r, double mean, double sd)
{
  double z;
  do z = mean + sd * prc_rng_normal(r);
  while (z < 0.0);
  return z;
}

static int cap_error(const prc_etas_params *p, int gen)
{
  double n = prc_etas_branching_ratio(p);
  return prc_seterr("etas: event cap max_events=%zu exceeded at generation %d (stationary "
                    "estimate of the total (mu (t1-t0) + n_scenario) / (1 - n) = %.3g with "
                    "n=%.3g); raise "
                    "max_events or lower mu, K or the span", p->max_events, gen,
                    (p->mu * (p->t1 - p->t0) + (double)p->n_scenario) / (1.0 - n), n);
}

static int push(evbuf *b, ev e, const prc_etas_params *p)
{
  if (b->n >= b->max) return cap_error(p, e.gen);
  if (b->n == b->cap) {
    size_t nc = b->cap ? 2 * b->cap : 1024;
    if (nc > b->max) nc = b->max;
    ev *ne = realloc(b->e, nc * sizeof *ne);
    if (!ne) return prc_seterr("etas: out of memory growing the catalog to %zu events", nc);
    b->e = ne, b->cap = nc;
  }
  b->e[b->n++] = e;
  return 0;
}

/* ------------------------------------------------------------------ background */

/* Fault segments in km from the region's south-west corner: (x0, y0, x1, y1) each. */
static int make_faults(const prc_etas_params *p, uint64_t seed, const geo *g, double **km)
{
  *km = NULL;
  if (p->n_faults == 0) return 0;
  double W = (p->lon_max - p->lon_min) * g->kx, H = (p->lat_max - p->lat_min) * g->ky;
  double *f = malloc(4 * (size_t)p->n_faults * sizeof *f);
  if (!f) return prc_seterr("etas: out of memory for %d faults", p->n_faults);
  prc_rng r;
  prc_rng_seed(&r, seed, STREAM_FAULTS);
  for (int i = 0; i < p->n_faults; i++) {
    double xc = W * prc_rng_uniform(&r), yc = H * prc_rng_uniform(&r);
    double th = M_PI * prc_rng_uniform(&r), L = p->fault_len_km * (0.5 + prc_rng_uniform(&r));
    double dx = 0.5 * L * cos(th), dy = 0.5 * L * sin(th);
    f[4 * i + 0] = xc - dx, f[4 * i + 1] = yc - dy;
    f[4 * i + 2] = xc + dx, f[4 * i + 3] = yc + dy;
  }
  *km = f;
  return 0;
}

/* A background epicentre: uniform with probability bg_uniform_frac (or without faults),
 * else near a fault chosen with probability proportional to its length. Points near a
 * fault but outside the region are redrawn (up to 100 times, then uniform) so that the
 * background rate inside the region stays exactly mu. */
static void bg_place(prc_rng *r, const prc_etas_params *p, const geo *g, const double *f,
                     double *lat, double *lon)
{
  if (p->n_faults > 0 && prc_rng_uniform(r) >= p->bg_uniform_frac) {
    double total = 0;
    for (int i = 0; i < p->n_faults; i++)
      total += hypot(f[4 * i + 2] - f[4 * i], f[4 * i + 3] - f[4 * i + 1]);
    for (int tries = 0; tries < 100; tries++) {
      double a = total * prc_rng_uniform(r), s = prc_rng_uniform(r);
      int k = 0;
      for (;; k++) {
        double L = hypot(f[4 * k + 2] - f[4 * k], f[4 * k + 3] - f[4 * k + 1]);
        if (a < L || k == p->n_faults - 1) break;
        a -= L;
      }
      const double *s4 = f + 4 * k;
      double x = s4[0] + s * (s4[2] - s4[0]) + p->fault_width_km * prc_rng_normal(r);
      double y = s4[1] + s * (s4[3] - s4[1]) + p->fault_width_km * prc_rng_normal(r);
      *lon = p->lon_min + x / g->kx, *lat = p->lat_min + y / g->ky;
      if (inside(p, *lat, *lon)) return;
    }
  }
  *lon = p->lon_min + (p->lon_max - p->lon_min) * prc_rng_uniform(r);
  *lat = p->lat_min + (p->lat_max - p->lat_min) * prc_rng_uniform(r);
}

static int background(const prc_etas_params *p, uint64_t seed, const geo *g, const double *f,
                      evbuf *b)
{
  prc_rng r;
  prc_rng_seed(&r, seed, STREAM_SCEN);
  for (size_t i = 0; i < p->n_scenario; i++) {
    const prc_etas_scenario_event *s = &p->scenario[i];
    ev e = {s->t, s->lat, s->lon, depth_draw(&r, p->depth_mean_km, p->depth_sd_km), s->mag, -1, 0};
    if (push(b, e, p)) return 1;
  }
  if (p->mu == 0.0) return 0;
  /* Poisson process by exponential gaps: the cap is checked as events arrive, so an
   * absurd mu fails fast instead of looping. */
  prc_rng_seed(&r, seed, STREAM_BG);
  for (double t = p->t0 + prc_rng_exponential(&r, p->mu); t < p->t1;
       t += prc_rng_exponential(&r, p->mu)) {
    ev e = {.t = t, .parent = -1, .gen = 0};
    bg_place(&r, p, g, f, &e.lat, &e.lon);
    e.dep = depth_draw(&r, p->depth_mean_km, p->depth_sd_km);
    e.mag = gr_mag(&r, p);
    if (push(b, e, p)) return 1;
  }
  return 0;
}

/* ------------------------------------------------------------------ triggering */

/* Direct offspring of event i (generation-order index). The number of offspring in
 * [t_i, t1) is Poisson(kappa * F(t1 - t_i)) with F the Omori mass inside the span, and
 * their delays follow the Omori law truncated there: identical in law to drawing all
 * Poisson(kappa) offspring and dropping those after t1, without the wasted draws. */
static int spawn(const prc_etas_params *p, uint64_t seed, const geo *g, size_t i, evbuf *b)
{
  const ev par = b->e[i];
  double T = p->t1 - par.t;
  if (T > p->omori_tmax) T = p->omori_tmax;
  if (!(T > 0) || p->K == 0.0) return 0;
  double kappa = p->K * pow(10.0, p->alpha * (par.mag - p->m_c));
  double mean = kappa * prc_etas_omori_cdf(T, p->c, p->p, p->omori_tmax);
  if (mean > (double)b->max) return cap_error(p, par.gen + 1); /* fail before drawing */
  prc_rng r;
  prc_rng_seed(&r, seed, STREAM_KIDS + (uint64_t)i);
  uint64_t nk = prc_rng_poisson(&r, mean);
  double d = p->sp_d5_km * pow(10.0, p->sp_gamma * (par.mag - 5.0));
  double dsd = d < p->depth_sd_km ? d : p->depth_sd_km;
  for (uint64_t k = 0; k < nk; k++) {
    ev e = {.parent = (int64_t)i, .gen = par.gen + 1};
    e.t = par.t + prc_etas_omori_ppf(prc_rng_uniform(&r), p->c, p->p, T);
    /* radius by inverse CDF of F(r) = 1 - (1 + r^2/d^2)^(1-q), direction uniform */
    double rad = d * sqrt(expm1(-log(prc_rng_uniform_pos(&r)) / (p->sp_q - 1.0)));
    double th = 2.0 * M_PI * prc_rng_uniform(&r);
    e.lon = par.lon + rad * cos(th) / g->kx;
    e.lat = par.lat + rad * sin(th) / g->ky;
    e.dep = depth_draw(&r, par.dep, dsd);
    e.mag = gr_mag(&r, p);
    if (e.t >= p->t1 || !inside(p, e.lat, e.lon)) continue; /* dropped */
    if (push(b, e, p)) return 1;
  }
  return 0;
}

/* ------------------------------------------------------------------ output */

typedef struct {
  double t;
  size_t i;
} tkey;

/* Time, then generation-order index: a total order, so qsort gives a stable sort. */
static int tkey_cmp(const void *a, const void *b)
{
  const tkey *x = a, *y = b;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  return (x->i > y->i) - (x->i < y->i);
}

void prc_etas_catalog_free(prc_etas_catalog *cat)
{
  if (!cat) return;
  free(cat->t), free(cat->lat), free(cat->lon), free(cat->depth_km), free(cat->mag);
  free(cat->parent), free(cat->generation), free(cat->faults);
  memset(cat, 0, sizeof *cat);
}

static int emit(const prc_etas_params *p, const geo *g, const evbuf *b, const double *fkm,
                prc_etas_catalog *out)
{
  size_t n = b->n, m = n ? n : 1;
  tkey *key = malloc(m * sizeof *key);
  size_t *pos = malloc(m * sizeof *pos);
  out->n = n;
  out->t = malloc(m * sizeof(double)), out->lat = malloc(m * sizeof(double));
  out->lon = malloc(m * sizeof(double)), out->depth_km = malloc(m * sizeof(double));
  out->mag = malloc(m * sizeof(double)), out->parent = malloc(m * sizeof(int64_t));
  out->generation = malloc(m * sizeof(int));
  out->n_faults = p->n_faults;
  out->faults = malloc((p->n_faults ? 4 * (size_t)p->n_faults : 1) * sizeof(double));
  if (!key || !pos || !out->t || !out->lat || !out->lon || !out->depth_km || !out->mag ||
      !out->parent || !out->generation || !out->faults) {
    free(key), free(pos);
    return prc_seterr("etas: out of memory for the output catalog (%zu events)", n);
  }
  for (size_t i = 0; i < n; i++) key[i] = (tkey){b->e[i].t, i};
  qsort(key, n, sizeof *key, tkey_cmp);
  for (size_t j = 0; j < n; j++) pos[key[j].i] = j;
  out->n_background = 0;
  for (size_t j = 0; j < n; j++) {
    const ev *e = &b->e[key[j].i];
    out->t[j] = e->t, out->lat[j] = e->lat, out->lon[j] = e->lon;
    out->depth_km[j] = e->dep, out->mag[j] = e->mag, out->generation[j] = e->gen;
    out->parent[j] = e->parent < 0 ? -1 : (int64_t)pos[e->parent];
    out->n_background += e->parent < 0;
  }
  for (int k = 0; k < p->n_faults; k++)
    for (int e = 0; e < 2; e++) {
      out->faults[4 * k + 2 * e] = p->lon_min + fkm[4 * k + 2 * e] / g->kx;
      out->faults[4 * k + 2 * e + 1] = p->lat_min + fkm[4 * k + 2 * e + 1] / g->ky;
    }
  free(key), free(pos);
  return 0;
}

int prc_etas_generate(const prc_etas_params *p, uint64_t seed, prc_etas_catalog *out)
{
  memset(out, 0, sizeof *out);
  if (prc_etas_check(p)) return 1;
  geo g;
  g.ky = KM_PER_DEG;
  g.kx = KM_PER_DEG * cos(0.5 * (p->lat_min + p->lat_max) * M_PI / 180.0);
  evbuf b = {NULL, 0, 0, p->max_events};
  double *fkm = NULL;
  int rc = make_faults(p, seed, &g, &fkm) || background(p, seed, &g, fkm, &b);
  /* generation by generation: parents are [lo, hi), their children are appended */
  for (size_t lo = 0, hi = b.n; !rc && lo < hi; lo = hi, hi = b.n)
    for (size_t i = lo; !rc && i < hi; i++) rc = spawn(p, seed, &g, i, &b);
  if (!rc) rc = emit(p, &g, &b, fkm, out);
  if (rc) prc_etas_catalog_free(out);
  free(b.e), free(fkm);
  return rc;
}

/* ------------------------------------------------------------------ b-value */

int prc_gr_bvalue_mle(const double *mag, size_t n, double mc, double dm, double *b,
                      double *sigma_b)
{
  if (!(dm >= 0 && isfinite(dm)) || !isfinite(mc))
    return prc_seterr("gr_bvalue_mle: mc=%g, dm=%g: need finite mc and dm >= 0", mc, dm);
  double thr = mc - 0.5 * dm, sum = 0;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (mag[i] >= thr) sum += mag[i], k++;
  if (k < 2)
    return prc_seterr("gr_bvalue_mle: %zu of %zu magnitudes >= mc - dm/2 = %g: need at least 2",
                      k, n, thr);
  double mean = sum / (double)k, ss = 0;
  for (size_t i = 0; i < n; i++)
    if (mag[i] >= thr) ss += (mag[i] - mean) * (mag[i] - mean);
  if (!(mean > thr))
    return prc_seterr("gr_bvalue_mle: mean magnitude %g equals mc - dm/2 = %g (all events in the "
                      "lowest bin?): b undefined", mean, thr);
  *b = 1.0 / (LN10 * (mean - thr)); /* log10(e) / (mean - thr) */
  if (sigma_b) *sigma_b = LN10 * (*b) * (*b) * sqrt(ss / ((double)k * (double)(k - 1)));
  return 0;
}

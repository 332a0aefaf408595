/* test_etas.c — unit tests of the synthetic ETAS catalog generator and the Aki–Utsu
 * b-value estimator (src/seismo/etas.c). Kernel only: no MPI. Runs in well under 1 s. */
#include "precursor/etas.h"

#include "precursor/error.h"
#include "precursor/rng.h"
#include "ptest.h"

#include <stdint.h>

#define LN10 2.302585092994046

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Kolmogorov–Smirnov distance of sorted samples x[0..n) against cdf(x, ctx). */
static double ks_distance(const double *x, size_t n, double (*cdf)(double, const double *),
                          const double *ctx)
{
  double d = 0;
  for (size_t i = 0; i < n; i++) {
    double F = cdf(x[i], ctx), lo = F - (double)i / n, hi = (double)(i + 1) / n - F;
    if (lo > d) d = lo;
    if (hi > d) d = hi;
  }
  return d;
}

/* Generate, recording a test failure with the library's message if it fails. */
static int gen_ok(const prc_etas_params *p, uint64_t seed, prc_etas_catalog *c)
{
  int rc = prc_etas_generate(p, seed, c);
  PT_CHECK(rc == 0, "prc_etas_generate(seed %llu): %s", (unsigned long long)seed, prc_lasterr());
  return rc == 0;
}

static int same_bits(const void *a, const void *b, size_t bytes)
{
  return memcmp(a, b, bytes) == 0;
}

/* Same parameters and seed -> bitwise identical; another seed -> different. */
static void test_determinism(void)
{
  prc_etas_params p;
  prc_etas_defaults(&p);
  prc_etas_catalog a, b, c;
  int ok = gen_ok(&p, 42, &a) & gen_ok(&p, 42, &b) & gen_ok(&p, 43, &c);
  if (!ok) goto done;
  PT_CHECK(a.n == b.n && a.n > 1000, "n %zu vs %zu", a.n, b.n);
  if (a.n == b.n) {
    size_t d = a.n * sizeof(double);
    PT_CHECK(same_bits(a.t, b.t, d) && same_bits(a.lat, b.lat, d) && same_bits(a.lon, b.lon, d) &&
                 same_bits(a.depth_km, b.depth_km, d) && same_bits(a.mag, b.mag, d) &&
                 same_bits(a.parent, b.parent, a.n * sizeof(int64_t)) &&
                 same_bits(a.generation, b.generation, a.n * sizeof(int)) &&
                 same_bits(a.faults, b.faults, 4 * (size_t)a.n_faults * sizeof(double)),
             "two runs with seed 42 differ");
  }
  PT_CHECK(c.n != a.n || !same_bits(a.t, c.t, a.n * sizeof(double)), "seeds 42 and 43 agree");
  PT_CHECK(a.n_faults == 4 && c.faults[0] != a.faults[0], "fault geometry not seeded");
done:
  prc_etas_catalog_free(&a), prc_etas_catalog_free(&b), prc_etas_catalog_free(&c);
  prc_etas_catalog_free(&c); /* double free is safe: the struct was zeroed */
}

/* Catalog invariants on the defaults plus a forced M6.5 scenario event. */
static void test_invariants(void)
{
  prc_etas_params p;
  prc_etas_defaults(&p);
  prc_etas_scenario_event sc[2] = {{400.25, 38.1, 22.7, 6.5}, {900.0, 37.5, 23.5, 5.2}};
  p.scenario = sc, p.n_scenario = 2;
  prc_etas_catalog c;
  if (!gen_ok(&p, 7, &c)) return;
  size_t bad_box = 0, bad_mag = 0, bad_order = 0, bad_parent = 0, nbg = 0, kids[2] = {0, 0};
  int64_t isc[2] = {-1, -1};
  for (size_t i = 0; i < c.n; i++) {
    bad_box += !(c.t[i] >= p.t0 && c.t[i] < p.t1 && c.lat[i] >= p.lat_min &&
                 c.lat[i] <= p.lat_max && c.lon[i] >= p.lon_min && c.lon[i] <= p.lon_max &&
                 c.depth_km[i] >= 0);
    bad_mag += !(c.mag[i] >= p.m_c && c.mag[i] <= p.m_max);
    bad_order += i > 0 && !(c.t[i - 1] <= c.t[i]);
    int64_t q = c.parent[i];
    if (q < 0) nbg++, bad_parent += c.generation[i] != 0;
    else
      bad_parent +=
          !(q < (int64_t)i && c.t[q] <= c.t[i] && c.generation[i] == c.generation[q] + 1);
    for (int k = 0; k < 2; k++) {
      if (c.t[i] == sc[k].t && c.mag[i] == sc[k].mag && c.lat[i] == sc[k].lat && q < 0)
        isc[k] = (int64_t)i;
      if (q >= 0 && q == isc[k]) kids[k]++;
    }
  }
  PT_CHECK(bad_box == 0, "%zu events outside the region/span or with depth < 0", bad_box);
  PT_CHECK(bad_mag == 0, "%zu magnitudes outside [m_c, m_max]", bad_mag);
  PT_CHECK(bad_order == 0, "%zu times out of order", bad_order);
  PT_CHECK(bad_parent == 0, "%zu events whose parent does not precede them", bad_parent);
  PT_CHECK(nbg == c.n_background && nbg < c.n, "n_background %zu vs %zu counted", c.n_background,
           nbg);
  PT_CHECK(isc[0] >= 0 && isc[1] >= 0, "scenario events missing (%lld, %lld)", (long long)isc[0],
           (long long)isc[1]);
  /* the M6.5 expects 0.1 * 10^(0.8*4) * F(695 d) ~ 158 * 0.67 ~ 100 direct aftershocks */
  PT_CHECK(kids[0] > 30, "scenario M6.5 has only %zu direct aftershocks", kids[0]);
  prc_etas_catalog_free(&c);
}

/* One forced M7.5 at t0 and nothing else (mu = 0), p = 1.1 with no Omori horizon, 10-day
 * span, a region far larger than the (light-tailed, q = 3) spatial kernel: its direct
 * aftershocks number Poisson(K 10^(alpha 5) F(10 d)) = Poisson(1000 * 0.4988) (4 sigma),
 * and their delays follow the Omori law truncated at 10 days (KS < 1.63/sqrt(N)).
 * Measured over 300 seeds: 498.6 direct aftershocks on average, sd 22.6. */
static double omori_cdf_10d(double tau, const double *ctx)
{
  return prc_etas_omori_cdf(tau, 0.01, 1.1, 10);
}

static void test_scenario_aftershocks(void)
{
  prc_etas_params p;
  prc_etas_defaults(&p);
  p.lon_min = 0, p.lon_max = 40, p.lat_min = -20, p.lat_max = 20, p.t0 = 0, p.t1 = 10;
  p.mu = 0, p.sp_q = 3;
  prc_etas_scenario_event s = {0.0, 0.0, 20.0, 7.5};
  p.scenario = &s, p.n_scenario = 1;
  prc_etas_catalog c;
  if (!gen_ok(&p, 5, &c)) return;
  double expect = p.K * pow(10, p.alpha * (7.5 - p.m_c)) * (1 - pow(1 + 10 / 0.01, -0.1));
  double *x = malloc((c.n + 1) * sizeof *x);
  size_t m = 0;
  for (size_t i = 0; x && i < c.n; i++)
    if (c.parent[i] == 0) x[m++] = c.t[i] - c.t[0];
  PT_CHECK(c.n_background == 1 && c.parent[0] == -1 && c.mag[0] == 7.5, "scenario not first");
  PT_NEAR((double)m, expect, 4 * sqrt(expect), 0);
  double d = ks_distance(x, m, omori_cdf_10d, NULL); /* x is already sorted (times are) */
  PT_CHECK(d < 1.63 / sqrt((double)m), "delays of direct aftershocks: KS %g over %zu", d, m);
  free(x);
  prc_etas_catalog_free(&c);
}

/* K = 0: a Poisson catalog. Count vs mu T within 4 sigma; b-value MLE within 3 sigma_b. */
static void test_poisson_and_bvalue(void)
{
  prc_etas_params p;
  prc_etas_defaults(&p);
  p.K = 0, p.mu = 50, p.t1 = p.t0 + 1000, p.m_max = 8.0;
  prc_etas_catalog c;
  if (!gen_ok(&p, 2024, &c)) return;
  double expect = p.mu * (p.t1 - p.t0);
  PT_NEAR((double)c.n, expect, 4 * sqrt(expect), 0);
  PT_CHECK(c.n_background == c.n, "K=0 produced %zu triggered events", c.n - c.n_background);
  double b = 0, sb = 0;
  PT_CHECK(prc_gr_bvalue_mle(c.mag, c.n, p.m_c, 0.0, &b, &sb) == 0, "%s", prc_lasterr());
  PT_CHECK(sb > 0 && sb < 0.01, "sigma_b %g (expected ~ b/sqrt(N) = %g)", sb,
           1 / sqrt((double)c.n));
  PT_NEAR(b, p.b, 3 * sb, 0);
  prc_etas_catalog_free(&c);
}

/* Branching ratio: closed form for the truncated GR law, and its m_max -> inf limit. */
static void test_branching_ratio(void)
{
  prc_etas_params p;
  prc_etas_defaults(&p);
  double D = p.m_max - p.m_c, bb = p.b, a = p.alpha;
  double n = p.K * bb / (bb - a) * (1 - pow(10, -(bb - a) * D)) / (1 - pow(10, -bb * D));
  PT_NEAR(prc_etas_branching_ratio(&p), n, 0, 1e-12);
  p.m_max = 100;
  PT_NEAR(prc_etas_branching_ratio(&p), p.K * bb / (bb - a), 0, 1e-9);
  p.alpha = p.b, p.m_max = 7.5; /* alpha == b: n = K b ln10 D / (1 - 10^(-b D)) */
  PT_NEAR(prc_etas_branching_ratio(&p), p.K * bb * LN10 * D / (1 - pow(10, -bb * D)), 0, 1e-12);
}

/* Radial CDF of the spatial kernel for q = 2, in units of d. */
static double kernel_cdf_q2(double x, const double *ctx) { return 1 - 1 / (1 + x * x); }

/* A long stationary run in a large region: the fraction of triggered events ~ n.
 * Measured over 200 seeds: mean 0.4896, sd 0.0059 (losses at the time and space edges are
 * ~0.3%). Tolerance 0.03 (5 sd). Also checks the spatial kernel: parent-child distances
 * over d(M_parent) follow F(x) = 1 - (1 + x^2)^(1-q), KS distance < 0.02 (~9500 pairs;
 * over 50 seeds the distance averaged 0.0088, at most 0.0171). */
static void test_triggered_fraction(void)
{
  prc_etas_params p;
  prc_etas_defaults(&p);
  p.lon_min = 0, p.lon_max = 10, p.lat_min = -5, p.lat_max = 5, p.t0 = 0, p.t1 = 5000;
  p.m_c = 3, p.m_max = 6.5, p.alpha = 0.5, p.K = 0.25, p.p = 1.5, p.mu = 2, p.n_faults = 0;
  p.sp_q = 2;
  double n = prc_etas_branching_ratio(&p); /* 0.4913 */
  prc_etas_catalog c;
  if (!gen_ok(&p, 1, &c)) return;
  double frac = 1.0 - (double)c.n_background / (double)c.n;
  PT_NEAR(frac, n, 0.03, 0);
  double *x = malloc(c.n * sizeof *x), kx = 111.195, ky = 111.195; /* centre at the equator */
  size_t m = 0;
  for (size_t i = 0; x && i < c.n; i++) {
    int64_t q = c.parent[i];
    if (q < 0) continue;
    double d = p.sp_d5_km * pow(10, p.sp_gamma * (c.mag[q] - 5));
    x[m++] = hypot((c.lon[i] - c.lon[q]) * kx, (c.lat[i] - c.lat[q]) * ky) / d;
  }
  qsort(x, m, sizeof *x, cmp_double);
  double dmax = ks_distance(x, m, kernel_cdf_q2, NULL);
  PT_CHECK(m > 5000 && dmax < 0.02, "spatial kernel KS distance %g over %zu pairs", dmax, m);
  free(x);
  prc_etas_catalog_free(&c);
}

/* Independent oracle for the Omori CDF: Simpson in x = log(1 + s/c), where the integrand
 * (s + c)^-p ds becomes c^(1-p) e^((1-p) x) dx. */
static double omori_mass(double tau, double c, double p)
{
  int n = 2000;
  double X = log1p(tau / c), h = X / n, s = 0;
  for (int i = 0; i <= n; i++) {
    double f = exp((1 - p) * i * h), w = (i == 0 || i == n) ? 1 : (i % 2 ? 4 : 2);
    s += w * f;
  }
  return pow(c, 1 - p) * s * h / 3;
}

static double omori_cdf_ctx(double tau, const double *ctx)
{
  return prc_etas_omori_cdf(tau, ctx[0], ctx[1], ctx[2]);
}

/* Omori sampler: the analytic CDF matches numerical integration; the empirical CDF of
 * 20000 sampled delays matches it with KS distance < 1.63/sqrt(N) = 0.0115 (the 1%
 * critical value); p = 1.1 and 1.0, plus p = 1.1 untruncated. */
static void test_omori_sampler(void)
{
  const double cases[3][3] = {{0.01, 1.1, 1000.0}, {0.05, 1.0, 100.0}, {0.01, 1.1, INFINITY}};
  enum { N = 20000 };
  double *x = malloc(N * sizeof *x);
  if (!x) PT_SKIP("out of memory");
  for (int k = 0; k < 3; k++) {
    const double *ctx = cases[k];
    double c = ctx[0], p = ctx[1], T = ctx[2];
    for (double tau = 0.001; tau < 1000; tau *= 7.3) {
      double want = isfinite(T) ? (tau < T ? omori_mass(tau, c, p) / omori_mass(T, c, p) : 1.0)
                                : 1 - pow(1 + tau / c, 1 - p);
      PT_NEAR(prc_etas_omori_cdf(tau, c, p, T), want, 1e-9, 0);
      PT_NEAR(prc_etas_omori_ppf(prc_etas_omori_cdf(tau, c, p, T), c, p, T), fmin(tau, T), 1e-12,
              1e-9);
    }
    prc_rng r;
    prc_rng_seed(&r, 99, (uint64_t)k);
    size_t out = 0;
    for (int i = 0; i < N; i++) {
      x[i] = prc_etas_omori_ppf(prc_rng_uniform(&r), c, p, T);
      out += !(x[i] >= 0 && x[i] <= T);
    }
    qsort(x, N, sizeof *x, cmp_double);
    double d = ks_distance(x, N, omori_cdf_ctx, ctx);
    PT_CHECK(out == 0 && d < 1.63 / sqrt((double)N), "case %d (c=%g p=%g T=%g): KS %g, %zu outside",
             k, c, p, T, d, out);
  }
  free(x);
}

/* Aki–Utsu by hand: M = {2.5, 2.6, 2.7, 3.0, 3.2} binned at dm = 0.1, mc = 2.5
 * (plus a 2.4, below mc - dm/2 = 2.45, which must be ignored):
 *   mean = 14.0/5 = 2.8;  b = log10(e)/(2.8 - 2.45) = 0.4342944819/0.35 = 1.2408413769
 *   sum (M - mean)^2 = 0.09 + 0.04 + 0.01 + 0.04 + 0.16 = 0.34
 *   sigma_b = ln10 b^2 sqrt(0.34 / (5*4)) = 2.302585 * 1.539687 * 0.130384 = 0.4622454908 */
static void test_bvalue_hand(void)
{
  const double m[6] = {2.5, 2.6, 2.4, 2.7, 3.0, 3.2};
  double b = 0, sb = 0;
  PT_CHECK(prc_gr_bvalue_mle(m, 6, 2.5, 0.1, &b, &sb) == 0, "%s", prc_lasterr());
  PT_NEAR(b, 1.240841376866435, 1e-12, 0);
  PT_NEAR(sb, 0.46224549077386506, 1e-12, 0);
  PT_CHECK(prc_gr_bvalue_mle(m, 6, 3.1, 0.1, &b, &sb) != 0 && strstr(prc_lasterr(), "at least 2"),
           "one event above mc accepted: %s", prc_lasterr());
  PT_CHECK(prc_gr_bvalue_mle(m, 6, 2.5, -0.1, &b, &sb) != 0 && strstr(prc_lasterr(), "dm"),
           "negative dm accepted: %s", prc_lasterr());
}

/* Expect generation to fail, leaving an empty catalog, with a message containing want1
 * (and want2 if not NULL). */
static int fails_with(const prc_etas_params *p, const char *want1, const char *want2)
{
  prc_etas_catalog c;
  prc_clearerr();
  int rc = prc_etas_generate(p, 1, &c);
  const char *e = prc_lasterr();
  int ok = rc != 0 && c.n == 0 && c.t == NULL && strstr(e, want1) && (!want2 || strstr(e, want2));
  if (!ok) fprintf(stderr, "  rc=%d, message \"%s\", wanted \"%s\"%s%s\n", rc, e, want1,
                   want2 ? " and " : "", want2 ? want2 : "");
  if (rc == 0) prc_etas_catalog_free(&c);
  return ok;
}

static void test_param_errors(void)
{
  prc_etas_params d, p;
  prc_etas_defaults(&d);
  PT_CHECK(prc_etas_check(&d) == 0, "defaults rejected: %s", prc_lasterr());
  p = d, p.b = 0;
  PT_CHECK(fails_with(&p, "b-value 0 out of range (0.3, 3]", NULL), "b = 0");
  p = d, p.K = 0.3; /* n = 1.35 */
  PT_CHECK(fails_with(&p, "branching ratio", "explosive"), "n >= 1");
  p = d, p.t1 = p.t0;
  PT_CHECK(fails_with(&p, "t1", "t1 > t0"), "t1 == t0");
  p = d, p.lon_max = p.lon_min;
  PT_CHECK(fails_with(&p, "region", "empty"), "empty region");
  p = d, p.max_events = 100;
  PT_CHECK(fails_with(&p, "max_events=100", "exceeded"), "event cap");
  /* a scenario M9.9 with alpha = 2 expects 0.1 * 10^14.8 direct offspring (n is still 0.5):
   * must fail on the cap at once, not try to draw them */
  prc_etas_scenario_event big = {100, 38, 22.5, 9.9};
  p = d, p.K = 0.1, p.alpha = 2.0, p.m_max = 9.9, p.b = 2.5, p.scenario = &big, p.n_scenario = 1;
  PT_CHECK(fails_with(&p, "max_events=1000000", "generation 1"), "cap on a huge Poisson mean");
  p = d, p.p = 1.0;
  PT_CHECK(fails_with(&p, "omori_tmax", "p <= 1"), "p = 1 without a horizon");
  prc_etas_catalog c;
  p.omori_tmax = 365; /* p = 1 with a one-year horizon is fine */
  PT_CHECK(prc_etas_generate(&p, 3, &c) == 0 && c.n > c.n_background, "p = 1: %s", prc_lasterr());
  prc_etas_catalog_free(&c);
  prc_etas_scenario_event s = {p.t1 + 1, 38, 22, 6};
  p = d, p.scenario = &s, p.n_scenario = 1;
  PT_CHECK(fails_with(&p, "scenario event 0", NULL), "scenario outside the span");
  p = d, p.b = -1, p.t1 = -5; /* every violation is reported */
  PT_CHECK(fails_with(&p, "b-value -1", "t1=-5"), "two violations at once");
}

int main(int argc, char **argv)
{
  pt_set_prog(argv[0]);
  PT_RUN(test_determinism);
  PT_RUN(test_invariants);
  PT_RUN(test_scenario_aftershocks);
  PT_RUN(test_poisson_and_bvalue);
  PT_RUN(test_branching_ratio);
  PT_RUN(test_triggered_fraction);
  PT_RUN(test_omori_sampler);
  PT_RUN(test_bvalue_hand);
  PT_RUN(test_param_errors);
  return pt_finish();
}

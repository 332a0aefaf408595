/* test_core.c — unit tests of the core kernels: seeded random numbers (src/core/rng.c),
 * UTC calendar arithmetic (src/core/timeutil.c) and the pure work-partition functions of
 * src/par/decomp.c (prc_partition_1d, prc_partition_weighted; rank/size are plain ints,
 * so they are tested in one process). Kernel only: no MPI. Runs in well under 1 s.
 *
 * Statistical checks use fixed seeds, so they are deterministic; their tolerances are
 * stated next to each check, mostly 5 standard errors of the estimator (a correct
 * generator fails one with probability ~6e-7). Random inputs for the calendar and
 * partition tests come from a local splitmix64, not from the library under test.
 *
 * Tests named test_regress_* demonstrate defects found in the code under test; they fail
 * until the code is fixed (see the comment above each). */
#include "precursor/decomp.h"
#include "precursor/error.h"
#include "precursor/rng.h"
#include "precursor/timeutil.h"
#include "ptest.h"

#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------------------------ */
/* helpers                                                                              */
/* ------------------------------------------------------------------------------------ */

/* A local splitmix64 (Steele et al. 2014) so test inputs do not come from the code under
 * test. */
static uint64_t tst_next(uint64_t *state)
{
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static int64_t tst_range(uint64_t *state, int64_t lo, int64_t hi) /* [lo, hi], hi - lo small */
{
  return lo + (int64_t)(tst_next(state) % (uint64_t)(hi - lo + 1));
}

/* Running moments about a known centre c: n, mean, variance, 3rd and 4th central moments. */
typedef struct {
  double n, s1, s2, s3, s4, c;
} moments;

static void mom_add(moments *m, double x)
{
  double d = x - m->c, d2 = d * d;
  m->n += 1, m->s1 += d, m->s2 += d2, m->s3 += d2 * d, m->s4 += d2 * d2;
}
static double mom_mean(const moments *m) { return m->c + m->s1 / m->n; }
static double mom_var(const moments *m)
{
  double mu = m->s1 / m->n;
  return (m->s2 / m->n - mu * mu) * m->n / (m->n - 1);
}
/* kurtosis m4 / m2^2 about the sample mean */
static double mom_kurt(const moments *m)
{
  double n = m->n, mu = m->s1 / n, e2 = m->s2 / n, e3 = m->s3 / n, e4 = m->s4 / n;
  double m2 = e2 - mu * mu, m4 = e4 - 4 * mu * e3 + 6 * mu * mu * e2 - 3 * mu * mu * mu * mu;
  return m4 / (m2 * m2);
}
static double mom_skew(const moments *m)
{
  double n = m->n, mu = m->s1 / n, e2 = m->s2 / n, e3 = m->s3 / n;
  double m2 = e2 - mu * mu, m3 = e3 - 3 * mu * e2 + 2 * mu * mu * mu;
  return m3 / pow(m2, 1.5);
}

/* Multiplicative inverse of an odd a modulo 2^64 (Newton iteration). */
static uint64_t inv_mod64(uint64_t a)
{
  uint64_t x = a;
  for (int i = 0; i < 6; i++) x *= 2 - a * x;
  return x;
}
static uint64_t rotr64(uint64_t x, int k) { return (x >> k) | (x << (64 - k)); }
static uint64_t unxorshift(uint64_t y, int k) /* inverse of x ^ (x >> k) */
{
  uint64_t x = y;
  for (int s = k; s < 64; s += k) x ^= y >> s;
  return x;
}
/* Inverse of the splitmix64 finaliser prc_mix64 (documented as bijective). */
static uint64_t unmix64(uint64_t z)
{
  z = unxorshift(z, 31);
  z *= inv_mod64(0x94d049bb133111ebULL);
  z = unxorshift(z, 27);
  z *= inv_mod64(0xbf58476d1ce4e5b9ULL);
  z = unxorshift(z, 30);
  return z - 0x9e3779b97f4a7c15ULL;
}
/* A xoshiro256** state whose next output is `want` (output = rotl(s1 * 5, 7) * 9). */
static prc_rng rng_with_next(uint64_t want)
{
  prc_rng r;
  memset(&r, 0, sizeof r);
  r.s[0] = 1;
  r.s[1] = inv_mod64(5) * rotr64(want * inv_mod64(9), 7);
  return r;
}

/* ------------------------------------------------------------------------------------ */
/* rng: sequential streams                                                              */
/* ------------------------------------------------------------------------------------ */

/* Same (seed, stream) -> same sequence; another stream or seed -> a different one; the
 * state is a value (copying it mid-stream, with the Box–Muller spare, continues the
 * stream). */
static void test_rng_streams(void)
{
  enum { N = 4096 };
  prc_rng a, b, c, d;
  prc_rng_seed(&a, 42, 0), prc_rng_seed(&b, 42, 0), prc_rng_seed(&c, 42, 1), prc_rng_seed(&d, 43, 0);
  int same_ab = 0, same_ac = 0, same_ad = 0;
  for (int i = 0; i < N; i++) {
    uint64_t x = prc_rng_next(&a), y = prc_rng_next(&b), z = prc_rng_next(&c), w = prc_rng_next(&d);
    same_ab += x == y, same_ac += x == z, same_ad += x == w;
  }
  PT_CHECK(same_ab == N, "seed 42 stream 0 twice: only %d of %d draws agree", same_ab, N);
  PT_CHECK(same_ac == 0, "streams 0 and 1 of seed 42 share %d of %d draws", same_ac, N);
  PT_CHECK(same_ad == 0, "seeds 42 and 43 share %d of %d draws", same_ad, N);

  /* many (seed, stream) pairs: first outputs all distinct */
  enum { NS = 64 };
  uint64_t first[NS * NS];
  for (int s = 0; s < NS; s++)
    for (int t = 0; t < NS; t++) {
      prc_rng r;
      prc_rng_seed(&r, (uint64_t)s, (uint64_t)t);
      first[s * NS + t] = prc_rng_next(&r);
    }
  int dup = 0;
  for (int i = 0; i < NS * NS; i++)
    for (int j = i + 1; j < NS * NS; j++) dup += first[i] == first[j];
  PT_CHECK(dup == 0, "%d equal first outputs among %d (seed, stream) pairs", dup, NS * NS);

  /* checkpoint: copy after an odd number of normals (spare pending) */
  prc_rng_seed(&a, 7, 3);
  for (int i = 0; i < 11; i++) prc_rng_normal(&a);
  b = a;
  int agree = 1;
  for (int i = 0; i < 100; i++) agree &= prc_rng_normal(&a) == prc_rng_normal(&b);
  PT_CHECK(agree, "a copied state does not continue the stream");
  /* re-seeding discards the spare */
  prc_rng_seed(&a, 5, 0), prc_rng_seed(&b, 5, 0);
  prc_rng_normal(&a);
  prc_rng_seed(&a, 5, 0);
  PT_CHECK(prc_rng_normal(&a) == prc_rng_normal(&b), "re-seeding kept the Box-Muller spare");
}

/* Uniform [0,1): 1e6 draws. mean 1/2 (standard error sqrt(1/12/n) = 2.9e-4), variance
 * 1/12 (s.e. sqrt((1/80 - 1/144)/n) = 7.5e-5), both to 5 s.e.; all in [0,1). uniform_pos:
 * all in (0,1) on 1e6 draws, and the extreme state whose next output is 0 gives
 * uniform() == 0 but uniform_pos() > 0. */
static void test_rng_uniform(void)
{
  const int n = 1000000;
  prc_rng   r;
  prc_rng_seed(&r, 2024, 0);
  moments m = {0, 0, 0, 0, 0, 0.5};
  int     out = 0;
  for (int i = 0; i < n; i++) {
    double u = prc_rng_uniform(&r);
    out += !(u >= 0 && u < 1);
    mom_add(&m, u);
  }
  PT_CHECK(out == 0, "%d uniform draws outside [0,1)", out);
  fprintf(stderr, "  # uniform: mean %.6f, variance %.7f\n", mom_mean(&m), mom_var(&m));
  PT_NEAR(mom_mean(&m), 0.5, 5 * sqrt(1.0 / 12 / n), 0);
  PT_NEAR(mom_var(&m), 1.0 / 12, 5 * sqrt((1.0 / 80 - 1.0 / 144) / n), 0);

  prc_rng_seed(&r, 2024, 1);
  int    bad = 0;
  double umin = 1;
  for (int i = 0; i < n; i++) {
    double u = prc_rng_uniform_pos(&r);
    bad += !(u > 0 && u < 1);
    if (u < umin) umin = u;
  }
  PT_CHECK(bad == 0, "%d uniform_pos draws outside (0,1)", bad);
  PT_CHECK(umin < 1e-5, "smallest of 1e6 uniform_pos draws is %g", umin);

  prc_rng z = rng_with_next(0), z2 = z;
  PT_CHECK(prc_rng_next(&z2) == 0, "crafted state does not produce 0 (xoshiro256** changed?)");
  z2 = z;
  PT_CHECK(prc_rng_uniform(&z2) == 0.0, "uniform of a zero output is %g", prc_rng_uniform(&z2));
  z2 = z;
  double u0 = prc_rng_uniform_pos(&z2);
  PT_CHECK(u0 > 0 && u0 < 1e-15, "uniform_pos of a zero output is %g", u0);
  z2 = z;
  double e0 = prc_rng_exponential(&z2, 1.0);
  PT_CHECK(isfinite(e0) && e0 > 0, "exponential of a zero output is %g", e0);
}

/* Regression (fixed): rng.h documents "Uniform in (0,1)" for prc_rng_uniform_pos and prc_hash_uniform):
 * both compute ((x >> 11) + 0.5) * 2^-53. For x >> 11 == 2^53 - 1 the sum 2^53 - 0.5 is not
 * a double and rounds (ties to even) to 2^53, so the result is exactly 1.0 (probability
 * 2^-53 per draw). Consequence: prc_rng_exponential() then returns -0.0, and a caller
 * relying on u < 1 (log(1 - u), prc_norm_ppf(u)) gets -inf/+inf. Demonstrated with a
 * xoshiro state whose next output is UINT64_MAX and with hash keys chosen (by inverting
 * prc_mix64) so that prc_hash4 returns UINT64_MAX. */
static void test_regress_uniform_pos_reaches_one(void)
{
  prc_rng r = rng_with_next(UINT64_MAX), r2 = r;
  PT_CHECK(prc_rng_next(&r2) == UINT64_MAX, "crafted state does not produce UINT64_MAX");
  r2 = r;
  double u = prc_rng_uniform_pos(&r2);
  PT_CHECK(u > 0 && u < 1, "prc_rng_uniform_pos = %.17g for next() = UINT64_MAX (documented (0,1))", u);
  r2 = r;
  double e = prc_rng_exponential(&r2, 1.0);
  PT_CHECK(e > 0, "prc_rng_exponential = %g for next() = UINT64_MAX (expected > 0)", e);

  /* prc_hash4(0, 0, 0, c) = mix(h3 ^ (c + K3)) with h3 from (seed, a, b) = 0 (rng.c) */
  uint64_t h3 = prc_mix64(prc_mix64(prc_mix64(0 ^ 0x6a09e667f3bcc909ULL) ^ 0) ^ (0 + 0x3c6ef372fe94f82bULL));
  uint64_t c = (unmix64(UINT64_MAX) ^ h3) - 0xa54ff53a5f1d36f1ULL;
  PT_CHECK(prc_mix64(unmix64(12345)) == 12345, "test helper unmix64 is not the inverse of prc_mix64");
  if (prc_hash4(0, 0, 0, c) == UINT64_MAX) {
    double h = prc_hash_uniform(0, 0, 0, c);
    PT_CHECK(h > 0 && h < 1, "prc_hash_uniform(0,0,0,%llu) = %.17g (documented (0,1))", (unsigned long long)c, h);
  }
}

/* Standard normal: 1e6 draws. mean 0 (s.e. 1e-3), variance 1 (s.e. sqrt(2/n) = 1.4e-3),
 * skewness 0 (s.e. sqrt(6/n) = 2.4e-3), kurtosis 3 (s.e. sqrt(24/n) = 4.9e-3), all to 5
 * s.e.; tail mass P(|z| > 3) = 2.6998e-3 (s.e. 5.2e-5) to 5 s.e. */
static void test_rng_normal(void)
{
  const int n = 1000000;
  prc_rng   r;
  prc_rng_seed(&r, 99, 4);
  moments m = {0};
  int     tail = 0;
  for (int i = 0; i < n; i++) {
    double z = prc_rng_normal(&r);
    mom_add(&m, z);
    tail += fabs(z) > 3;
  }
  fprintf(stderr, "  # normal: mean %.5f, variance %.5f, skewness %.5f, kurtosis %.5f, P(|z|>3) %.6f\n", mom_mean(&m),
          mom_var(&m), mom_skew(&m), mom_kurt(&m), (double)tail / n);
  PT_NEAR(mom_mean(&m), 0, 5 * sqrt(1.0 / n), 0);
  PT_NEAR(mom_var(&m), 1, 5 * sqrt(2.0 / n), 0);
  PT_NEAR(mom_skew(&m), 0, 5 * sqrt(6.0 / n), 0);
  PT_NEAR(mom_kurt(&m), 3, 5 * sqrt(24.0 / n), 0);
  double p3 = erfc(3 / sqrt(2.0));
  PT_NEAR((double)tail / n, p3, 5 * sqrt(p3 * (1 - p3) / n), 0);
}

/* prc_rng_below: always < n, for n = 1, 2, 3, 7, 2^32 + 1, 2^63 + 1 and 2^64 - 1; unbiased:
 * chi-square of 7e5 draws of n = 7 (6 degrees of freedom) below 38.26, the p = 1e-6
 * critical value (scipy.stats.chi2.isf(1e-6, 6) = 38.25833637720969). Large n catches a
 * plain x % n: for n = floor(2^64 * 2/3) the values < n/2 would have probability 2/3; we
 * require 0.5 within 5 s.e. (s.e. 1.6e-3 for 1e5 draws). */
static void test_rng_below(void)
{
  prc_rng r;
  prc_rng_seed(&r, 11, 0);
  const int n7 = 700000;
  long      cnt[7] = {0};
  int       bad = 0;
  for (int i = 0; i < n7; i++) {
    uint64_t k = prc_rng_below(&r, 7);
    if (k >= 7)
      bad++;
    else
      cnt[k]++;
  }
  PT_CHECK(bad == 0, "%d draws of below(7) >= 7", bad);
  double chi2 = 0, e = n7 / 7.0;
  for (int k = 0; k < 7; k++) chi2 += (cnt[k] - e) * (cnt[k] - e) / e;
  PT_CHECK(chi2 < 38.25833637720969, "chi-square of below(7) = %.2f >= 38.26 (p = 1e-6, 6 dof)", chi2);

  const uint64_t ns[] = {1, 2, 3, (1ULL << 32) + 1, (1ULL << 63) + 1, UINT64_MAX};
  for (size_t j = 0; j < sizeof ns / sizeof *ns; j++) {
    int over = 0;
    for (int i = 0; i < 20000; i++) over += prc_rng_below(&r, ns[j]) >= ns[j];
    PT_CHECK(over == 0, "below(%llu) returned >= n %d times", (unsigned long long)ns[j], over);
  }
  PT_CHECK(prc_rng_below(&r, 1) == 0, "below(1) != 0");

  const uint64_t big = UINT64_MAX / 3 * 2;
  const int      nb = 100000;
  int            lo = 0;
  for (int i = 0; i < nb; i++) lo += prc_rng_below(&r, big) < big / 2;
  fprintf(stderr, "  # below: chi-square(7) %.2f, P(below(2^64*2/3) < n/2) %.4f\n", chi2, (double)lo / nb);
  PT_NEAR((double)lo / nb, 0.5, 5 * sqrt(0.25 / nb), 0);
}

/* Poisson: mean and variance both lambda for lambda = 0.5, 7, 60; standard errors
 * sqrt(lambda/N) for the mean and sqrt((lambda + 2 lambda^2)/N) for the variance (the
 * Poisson 4th central moment is lambda(1 + 3 lambda)); 5 s.e. P(0) = exp(-lambda) to 5 s.e.;
 * lambda = 0 gives 0. */
static void test_rng_poisson(void)
{
  const double lam[] = {0.5, 7, 60};
  const int    nn[] = {200000, 200000, 50000};
  prc_rng      r;
  for (int j = 0; j < 3; j++) {
    prc_rng_seed(&r, 5, (uint64_t)j);
    moments m = {0, 0, 0, 0, 0, lam[j]};
    long    zero = 0;
    for (int i = 0; i < nn[j]; i++) {
      uint64_t k = prc_rng_poisson(&r, lam[j]);
      mom_add(&m, (double)k);
      zero += k == 0;
    }
    double N = nn[j], L = lam[j], p0 = exp(-L);
    fprintf(stderr, "  # poisson(%g): mean %.4f, variance %.4f, P(0) %.5f\n", L, mom_mean(&m), mom_var(&m), zero / N);
    PT_NEAR(mom_mean(&m), L, 5 * sqrt(L / N), 0);
    PT_NEAR(mom_var(&m), L, 5 * sqrt((L + 2 * L * L) / N), 0);
    PT_NEAR(zero / N, p0, 5 * sqrt(p0 * (1 - p0) / N) + 1e-12, 0);
  }
  int nz = 0;
  for (int i = 0; i < 1000; i++) nz += prc_rng_poisson(&r, 0.0) != 0;
  PT_CHECK(nz == 0, "poisson(0) returned non-zero %d times", nz);
}

/* Exponential(rate 2.5): all > 0, mean 1/rate and variance 1/rate^2 on 1e6 draws (s.e.
 * 0.4/sqrt(n) and sqrt(8)/rate^2/sqrt(n): the 4th central moment is 9/rate^4), 5 s.e. */
static void test_rng_exponential(void)
{
  const int    n = 1000000;
  const double rate = 2.5, mu = 1 / rate;
  prc_rng      r;
  prc_rng_seed(&r, 8, 8);
  moments m = {0, 0, 0, 0, 0, mu};
  int     bad = 0;
  for (int i = 0; i < n; i++) {
    double x = prc_rng_exponential(&r, rate);
    bad += !(x > 0 && isfinite(x));
    mom_add(&m, x);
  }
  PT_CHECK(bad == 0, "%d exponential draws not in (0, inf)", bad);
  fprintf(stderr, "  # exponential(2.5): mean %.6f, variance %.6f\n", mom_mean(&m), mom_var(&m));
  PT_NEAR(mom_mean(&m), mu, 5 * mu / sqrt(n), 0);
  PT_NEAR(mom_var(&m), mu * mu, 5 * sqrt(8.0) * mu * mu / sqrt(n), 0);
}

/* ------------------------------------------------------------------------------------ */
/* rng: counter-based hashes                                                            */
/* ------------------------------------------------------------------------------------ */

/* prc_hash4/_uniform/_normal are pure (same inputs, same output, whatever was called in
 * between) and change when any of seed, a, b, c changes (by +1 or by a flip of bit 63),
 * checked on 20000 random key tuples. prc_mix64 is a bijection (our inverse undoes it). */
static void test_hash_pure(void)
{
  enum { N = 20000 };
  uint64_t st = 1, keys[N][4], h[N];
  double   hu[N], hn[N];
  for (int i = 0; i < N; i++) {
    for (int k = 0; k < 4; k++) keys[i][k] = i < 100 ? (uint64_t)(i * 4 + k) % 7 : tst_next(&st);
    h[i] = prc_hash4(keys[i][0], keys[i][1], keys[i][2], keys[i][3]);
    hu[i] = prc_hash_uniform(keys[i][0], keys[i][1], keys[i][2], keys[i][3]);
    hn[i] = prc_hash_normal(keys[i][0], keys[i][1], keys[i][2], keys[i][3]);
  }
  int impure = 0, collide = 0, mixbad = 0, ubad = 0;
  for (int i = N - 1; i >= 0; i--) { /* second pass, reverse order */
    uint64_t *k = keys[i];
    impure += prc_hash4(k[0], k[1], k[2], k[3]) != h[i];
    impure += prc_hash_uniform(k[0], k[1], k[2], k[3]) != hu[i];
    impure += prc_hash_normal(k[0], k[1], k[2], k[3]) != hn[i];
    ubad += !(hu[i] > 0 && hu[i] < 1) + !isfinite(hn[i]);
    for (int j = 0; j < 4; j++) {
      uint64_t kk[4] = {k[0], k[1], k[2], k[3]};
      kk[j] += 1;
      collide += prc_hash4(kk[0], kk[1], kk[2], kk[3]) == h[i];
      collide += prc_hash_normal(kk[0], kk[1], kk[2], kk[3]) == hn[i];
      kk[j] = k[j] ^ (1ULL << 63);
      collide += prc_hash4(kk[0], kk[1], kk[2], kk[3]) == h[i];
    }
    mixbad += unmix64(prc_mix64(k[0])) != k[0];
  }
  PT_CHECK(impure == 0, "%d hash values changed between two calls with the same keys", impure);
  PT_CHECK(collide == 0, "%d hash values unchanged when one key changed", collide);
  PT_CHECK(mixbad == 0, "prc_mix64 not inverted by the splitmix64 inverse %d times", mixbad);
  PT_CHECK(ubad == 0, "%d hash_uniform outside (0,1) or non-finite hash_normal", ubad);
  /* the counters are not symmetric: swapping keys changes the value */
  PT_CHECK(prc_hash4(1, 2, 3, 4) != prc_hash4(1, 3, 2, 4) && prc_hash4(1, 2, 3, 4) != prc_hash4(1, 2, 4, 3) &&
               prc_hash4(1, 2, 3, 4) != prc_hash4(2, 1, 3, 4),
           "prc_hash4 symmetric in its keys");
}

/* hash_normal over 1e6 consecutive counters (t, y, x) = (i/1000, i%1000, 7): mean, variance,
 * skewness, kurtosis to 5 s.e. as for prc_rng_normal; correlation with the next x counter
 * (what neighbouring pixels see) 0 to 5 s.e. (5e-3); hash_uniform mean 1/2 to 5 s.e. */
static void test_hash_moments(void)
{
  const int n = 1000000;
  moments   m = {0}, mu = {0, 0, 0, 0, 0, 0.5};
  double    sxy = 0;
  for (int i = 0; i < n; i++) {
    uint64_t a = (uint64_t)i / 1000, b = (uint64_t)i % 1000;
    double   z = prc_hash_normal(77, a, b, 7), z1 = prc_hash_normal(77, a, b, 8);
    mom_add(&m, z);
    sxy += z * z1;
    mom_add(&mu, prc_hash_uniform(77, a, b, 7));
  }
  PT_NEAR(mom_mean(&m), 0, 5 * sqrt(1.0 / n), 0);
  PT_NEAR(mom_var(&m), 1, 5 * sqrt(2.0 / n), 0);
  PT_NEAR(mom_skew(&m), 0, 5 * sqrt(6.0 / n), 0);
  PT_NEAR(mom_kurt(&m), 3, 5 * sqrt(24.0 / n), 0);
  fprintf(stderr, "  # hash_normal: mean %.5f, variance %.5f, skewness %.5f, kurtosis %.5f, neighbour r %.5f\n",
          mom_mean(&m), mom_var(&m), mom_skew(&m), mom_kurt(&m), sxy / n);
  PT_NEAR(sxy / n, 0, 5 * sqrt(1.0 / n), 0);
  PT_NEAR(mom_mean(&mu), 0.5, 5 * sqrt(1.0 / 12 / n), 0);
}

/* ------------------------------------------------------------------------------------ */
/* rng: inverse normal CDF                                                              */
/* ------------------------------------------------------------------------------------ */

/* Reference quantiles from SciPy 1.10.1 (Debian 12), computed with
 *   /usr/bin/python3 -c "from scipy.stats import norm; print(repr(norm.ppf(p)))"
 * for each p below; checked to 1e-9 relative (1e-15 absolute at p = 0.5). Also
 * Phi(ppf(p)) = p with Phi from libm's erfc (an independent oracle) to 1e-11 relative on a
 * log grid of p from 1e-300 to 0.5 (measured worst 2.7e-13); symmetry
 * ppf(1-p) = -ppf(p) to 1e-9 relative for p = k/1024 and p = 2^-k, k = 2..30, where 1-p is
 * exact (measured worst 1.4e-14 on k/1024, 3.7e-10 at 2^-28: the upper-tail defect below);
 * monotone on p = k/1024; p <= 0 and p >= 1 give -inf/+inf. */
static void test_norm_ppf(void)
{
  static const struct {
    double p, x;
  } ref[] = {
      {1e-10, -6.361340902404056},
      {1e-3, -3.090232306167813},
      {0.02425, -1.972961051311885},
      {0.1, -1.2815515655446004},
      {0.5, 0.0},
      {0.975, 1.959963984540054},
      {0.999999, 4.753424308817087},
  };
  for (size_t i = 0; i < sizeof ref / sizeof *ref; i++) PT_NEAR(prc_norm_ppf(ref[i].p), ref[i].x, 1e-15, 1e-9);

  double worst = 0, wp = 0;
  for (double lp = -300; lp < -0.30103; lp += 0.05) {
    double p = pow(10, lp), x = prc_norm_ppf(p), P = 0.5 * erfc(-x / sqrt(2.0)), e = fabs(P - p) / p;
    if (!(e <= worst)) worst = e, wp = p;
  }
  PT_CHECK(worst < 1e-11, "Phi(ppf(p)) off by %g relative at p = %g", worst, wp);

  double wsym = 0, wsp = 0, prev = -INFINITY;
  int    nonmono = 0;
  for (int k = 1; k < 1024; k++) {
    double p = k / 1024.0, a = prc_norm_ppf(p), b = prc_norm_ppf(1 - p);
    nonmono += !(a > prev);
    prev = a;
    double e = k == 512 ? fabs(a) : fabs(a + b) / fabs(a);
    if (!(e <= wsym)) wsym = e, wsp = p;
  }
  for (int k = 2; k <= 30; k++) {
    double p = ldexp(1, -k), a = prc_norm_ppf(p), b = prc_norm_ppf(1 - p), e = fabs(a + b) / fabs(a);
    if (!(e <= wsym)) wsym = e, wsp = p;
  }
  PT_CHECK(wsym < 1e-9, "ppf(1-p) + ppf(p) = %g relative at p = %g", wsym, wsp);
  PT_CHECK(nonmono == 0, "ppf not increasing on k/1024 (%d times)", nonmono);

  PT_CHECK(prc_norm_ppf(0.0) == -INFINITY, "ppf(0) = %g", prc_norm_ppf(0.0));
  PT_CHECK(prc_norm_ppf(1.0) == INFINITY, "ppf(1) = %g", prc_norm_ppf(1.0));
  PT_CHECK(prc_norm_ppf(-0.5) == -INFINITY && prc_norm_ppf(1.5) == INFINITY, "ppf outside [0,1] not -/+inf");
  PT_CHECK(prc_norm_ppf(0x1p-1022) < -37.5 && prc_norm_ppf(0x1p-1022) > -37.6, "ppf(DBL_MIN) = %g",
           prc_norm_ppf(0x1p-1022));
}

/* Regression (fixed): rng.h: "p outside (0,1) returns -/+INFINITY", i.e. finite inside): for subnormal
 * p < ~5.9e-311 prc_norm_ppf returns NaN. The Halley step computes
 * u = e*sqrt(2 pi)*exp(x^2/2) with x ~ -37.7: exp overflows to inf, u = -inf and
 * u/(1 + x*u/2) = inf/inf = NaN (measured: p = 1e-310 -> -37.6631, p = 1e-311 -> NaN,
 * p = 4.94e-324 -> NaN). A silent NaN from a quantile function; skipping the refinement
 * when exp(x^2/2) overflows would fix it. */
static void test_regress_norm_ppf_subnormal_nan(void)
{
  const double ps[] = {1e-311, 1e-320, 4.9406564584124654e-324};
  for (size_t i = 0; i < sizeof ps / sizeof *ps; i++) {
    double x = prc_norm_ppf(ps[i]);
    PT_CHECK(isfinite(x) && x < -37.6, "ppf(%g) = %g (expected finite, about -37.7 .. -38.5)", ps[i], x);
  }
}

/* Regression (fixed): rng.h: "|error| < 1e-12 on (0,1)"): in the upper tail p > 0.97575 the Halley step
 * evaluates 0.5*erfc(-x/sqrt 2) - p, a difference of two numbers near 1, so the refinement
 * is limited by cancellation: the error grows like 1e-16/phi(x). Measured against SciPy
 * 1.10.1 norm.ppf (same provenance as above): p = 0.999999 -> 4.7534243088275776 vs
 * 4.753424308817087 (error 1.0e-11); p = 1 - 2^-30 -> 6.009353565716526 vs
 * 6.009353565530744 (1.9e-10); p = 1 - 2^-40 -> error 7.4e-9. The lower tail is accurate
 * (it cancels nothing), so ppf(1-p) = -ppf(p) would be the cure. */
static void test_regress_norm_ppf_upper_tail_accuracy(void)
{
  static const struct {
    double p, x;
  } ref[] = {{0.999999, 4.753424308817087}, {1 - 0x1p-30, 6.009353565530744}, {1 - 0x1p-40, 7.047700256664409}};
  for (size_t i = 0; i < sizeof ref / sizeof *ref; i++) {
    double x = prc_norm_ppf(ref[i].p);
    PT_CHECK(fabs(x - ref[i].x) < 1e-12, "ppf(%.17g) = %.17g, SciPy %.17g: error %.2g > documented 1e-12", ref[i].p, x,
             ref[i].x, fabs(x - ref[i].x));
  }
}

/* ------------------------------------------------------------------------------------ */
/* timeutil                                                                             */
/* ------------------------------------------------------------------------------------ */

/* Expected values from python3 calendar.timegm(datetime.datetime(...).timetuple()):
 *   1970-01-01 -> 0; 2008-05-12T06:28:01 -> 1210573681; 2000-02-29 -> 951782400;
 *   1900-03-01 -> -2203891200; 1600-01-01 -> -11676096000;
 *   2400-12-31T23:59:59 -> 13601087999; 1969-12-31T23:59:59 -> -1. */
static void test_time_known_epochs(void)
{
  static const struct {
    const char *s;
    double      t;
  } ref[] = {
      {"1970-01-01", 0.0},
      {"2008-05-12T06:28:01Z", 1210573681.0},
      {"2008-05-12T14:28:01+08:00", 1210573681.0}, /* Beijing time */
      {"2008-05-12T14:28:01+0800", 1210573681.0},
      {"2008-05-12T01:28:01-05", 1210573681.0},
      {"2000-02-29", 951782400.0},
      {"1900-03-01", -2203891200.0},
      {"1600-01-01", -11676096000.0},
      {"2400-12-31T23:59:59", 13601087999.0},
      {"1969-12-31T23:59:59Z", -1.0},
  };
  for (size_t i = 0; i < sizeof ref / sizeof *ref; i++) {
    double t = NAN;
    int    rc = prc_time_parse(ref[i].s, &t);
    PT_CHECK(rc == 0, "parse('%s') failed: %s", ref[i].s, prc_lasterr());
    PT_CHECK(t == ref[i].t, "parse('%s') = %.17g, expected %.17g", ref[i].s, t, ref[i].t);
  }
  PT_CHECK(prc_days_from_civil(1970, 1, 1) == 0, "days(1970-01-01) = %lld", (long long)prc_days_from_civil(1970, 1, 1));
  PT_CHECK(prc_days_from_civil(2000, 2, 29) == 11016, "days(2000-02-29) = %lld",
           (long long)prc_days_from_civil(2000, 2, 29));
  PT_CHECK(prc_days_from_civil(1900, 3, 1) == -25508, "days(1900-03-01) = %lld",
           (long long)prc_days_from_civil(1900, 3, 1));
  PT_CHECK(prc_days_from_civil(1600, 1, 1) == -135140, "days(1600-01-01) = %lld",
           (long long)prc_days_from_civil(1600, 1, 1));
}

static int      tst_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
static unsigned tst_mdays(int64_t y, unsigned m)
{
  static const unsigned md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return md[m - 1] + (m == 2 && tst_leap(y));
}

/* Every day from 1600-01-01 to 2400-12-31 (292,560 days), walked with our own calendar:
 * days_from_civil increases by exactly 1 per day, civil_from_days inverts it, and
 * prc_time_doy at 00:00, 12:00 and 23:59:59 of the day is our own day-of-year count. */
static void test_time_civil_roundtrip(void)
{
  int64_t z0 = prc_days_from_civil(1600, 1, 1), z = z0;
  long    bad_step = 0, bad_inv = 0, bad_doy = 0, ndays = 0;
  char    first[64] = "";
  for (int64_t y = 1600; y <= 2400; y++) {
    int doy = 0;
    for (unsigned m = 1; m <= 12; m++)
      for (unsigned d = 1; d <= tst_mdays(y, m); d++, z++, ndays++) {
        doy++;
        int64_t  zz = prc_days_from_civil(y, m, d), yy;
        unsigned mm, dd;
        if (zz != z) {
          if (!bad_step++) snprintf(first, sizeof first, "%04lld-%02u-%02u", (long long)y, m, d);
        }
        prc_civil_from_days(z, &yy, &mm, &dd);
        bad_inv += yy != y || mm != m || dd != d;
        double t = (double)z * PRC_DAY;
        bad_doy += prc_time_doy(t) != doy || prc_time_doy(t + 43200) != doy || prc_time_doy(t + 86399) != doy;
      }
  }
  PT_CHECK(ndays == 292560, "walked %ld days", ndays);
  PT_CHECK(bad_step == 0, "days_from_civil not consecutive on %ld days (first %s)", bad_step, first);
  PT_CHECK(bad_inv == 0, "civil_from_days(days_from_civil(d)) != d on %ld days", bad_inv);
  PT_CHECK(bad_doy == 0, "prc_time_doy wrong on %ld days", bad_doy);
}

/* Day of year of Dec 31 is 366 in leap years (2024, 2000, 1968) and 365 otherwise (2023,
 * 1900, 2100, 1969); Jan 1 is 1, Mar 1 of a leap year is 61. */
static void test_time_doy(void)
{
  static const struct {
    const char *s;
    int         doy;
  } ref[] = {{"2024-12-31T23:59:59", 366}, {"2000-12-31", 366}, {"1968-12-31T12:00:00", 366}, {"2023-12-31", 365},
             {"1900-12-31", 365},          {"2100-12-31", 365}, {"1969-12-31T23:59:59", 365}, {"2024-01-01", 1},
             {"2024-03-01", 61},           {"2023-03-01", 60}};
  for (size_t i = 0; i < sizeof ref / sizeof *ref; i++) {
    double t = 0;
    PT_CHECK(prc_time_parse(ref[i].s, &t) == 0, "parse('%s'): %s", ref[i].s, prc_lasterr());
    PT_CHECK(prc_time_doy(t) == ref[i].doy, "doy(%s) = %d, expected %d", ref[i].s, prc_time_doy(t), ref[i].doy);
  }
}

/* Accepted forms: date only, 'T' or ' ' separator, optional 'Z', fractional seconds. */
static void test_time_parse_forms(void)
{
  static const struct {
    const char *s;
    double      t;
  } ok[] = {
      {"2008-05-12", 1210550400.0},
      {"2008-05-12T06:28:01", 1210573681.0},
      {"2008-05-12T06:28:01Z", 1210573681.0},
      {"2008-05-12T14:28:01+08:00", 1210573681.0}, /* Beijing time */
      {"2008-05-12T14:28:01+0800", 1210573681.0},
      {"2008-05-12T01:28:01-05", 1210573681.0},
      {"2008-05-12 06:28:01", 1210573681.0},
      {"2008-05-12 06:28:01Z", 1210573681.0},
      {"2008-05-12Z", 1210550400.0},
      {"2008-05-12T06:28:01.25", 1210573681.25},
      {"2008-05-12T06:28:01.5Z", 1210573681.5},
      {"2008-05-12T23:59:59.999", 1210636799.999},
      {"1969-12-31T00:00:00.5", -86399.5},
  };
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
    double t = NAN;
    int    rc = prc_time_parse(ok[i].s, &t);
    PT_CHECK(rc == 0, "parse('%s') rejected: %s", ok[i].s, prc_lasterr());
    if (rc == 0) PT_NEAR(t, ok[i].t, 0, 1e-15);
  }
}

/* Rejected: impossible dates and times, trailing text, wrong separators, empty text. Each
 * returns non-zero, leaves *t alone, and sets a message that quotes the input. */
static void test_time_parse_rejects(void)
{
  static const char *bad[] = {
      "2023-02-29",
      "1900-02-29",
      "2024-13-01",
      "2024-00-10",
      "2024-04-31",
      "2024-01-32",
      "2024-01-00",
      "2024-01-01X",
      "",
      "24:00:00",
      "2024-01-01T24:00:00",
      "2024-01-01T12:60:00",
      "2024-01-01T12:00:61",
      "2024-01-01T-1:00:00",
      "2024-01-01T",
      "2024-01-01T12:00",
      "2024/01/01",
      "2024-1-1",
      "20240101",
      "2024-01-01ZZ",
      "2024-01-01T12:00:00ZZ",
      "2024-01-01T12:00:00 ",
      " 2024-01-01",
      "2024-01-01T12:00:nan",
      "abcd-ef-gh",
      "2024-01-01T12:00:00+1:00",
      "2024-01-01T12:00:00+24:00",
      "2024-01-01T12:00:00+01:60",
      "2024-01-01+01:00",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    double t = -12345;
    prc_clearerr();
    int         rc = prc_time_parse(bad[i], &t);
    const char *msg = prc_lasterr();
    char        quoted[128];
    snprintf(quoted, sizeof quoted, "'%s'", bad[i]);
    PT_CHECK(rc != 0, "parse('%s') accepted (t = %.17g)", bad[i], t);
    PT_CHECK(t == -12345, "parse('%s') failed but wrote *t", bad[i]);
    PT_CHECK(rc == 0 || strstr(msg, quoted), "message for '%s' does not quote it: \"%s\"", bad[i], msg);
  }
  double t = 0;
  PT_CHECK(prc_time_parse(NULL, &t) != 0, "parse(NULL) accepted");
}

/* Regression (fixed): timeutil.h: "non-zero if the text is not such a date"): the sscanf-based parser
 * accepts text that is not YYYY-MM-DD[THH:MM:SS[.fff][Z]]: %d skips blanks and takes a
 * sign, %2d accepts one digit in the time, and %lf takes exponents, hex and signs. The
 * leap second 60 is accepted (and rolls into the next minute) although the header says
 * "no leap seconds". Each case below is parsed with rc 0 (measured values in stderr). */
static void test_regress_time_parse_lenient(void)
{
  static const char *bad[] = {
      "2024-01- 1",            /* -> 2024-01-01 */
      "2024-+1-01",            /* -> 2024-01-01 */
      "+024-01-01",            /* -> year 24 */
      "2024-01-01T1:2:3",      /* -> 01:02:03 */
      "2024-01-01T 1:00:00",   /* -> 01:00:00 */
      "2024-01-01T12:00:1e1",  /* -> 12:00:10 */
      "2024-01-01T12:00:0x10", /* -> 12:00:16 */
      "2024-01-01T12:00:-0",   /* -> 12:00:00 */
      "2024-01-01T12:00:60",   /* -> 12:01:00 */
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    double t = 0;
    int    rc = prc_time_parse(bad[i], &t);
    PT_CHECK(rc != 0, "parse('%s') accepted as %.17g", bad[i], t);
  }
}

/* format(parse(s)) == s for canonical strings (incl. pre-1970 and the range ends), parse
 * (format(t)) == t for 20000 random whole seconds in 1600..2400, and format truncates
 * fractional seconds toward the past (also before 1970). */
static void test_time_format_roundtrip(void)
{
  static const char *canon[] = {"1970-01-01T00:00:00Z", "2008-05-12T06:28:01Z", "2000-02-29T23:59:59Z",
                                "1900-03-01T00:00:00Z", "1600-01-01T00:00:00Z", "2400-12-31T23:59:59Z",
                                "1969-12-31T23:59:59Z", "1583-07-04T12:34:56Z"};
  char               buf[64];
  for (size_t i = 0; i < sizeof canon / sizeof *canon; i++) {
    double t = NAN;
    PT_CHECK(prc_time_parse(canon[i], &t) == 0, "parse('%s'): %s", canon[i], prc_lasterr());
    prc_time_format(t, buf, sizeof buf);
    PT_CHECK(strcmp(buf, canon[i]) == 0, "format(parse('%s')) = '%s'", canon[i], buf);
  }
  uint64_t st = 99;
  int      bad = 0;
  double   lo = -11676096000.0, hi = 13601087999.0;
  for (int i = 0; i < 20000; i++) {
    double t = (double)tst_range(&st, (int64_t)lo, (int64_t)hi), back = NAN;
    prc_time_format(t, buf, sizeof buf);
    if (prc_time_parse(buf, &back) != 0 || back != t) {
      if (!bad++) fprintf(stderr, "  parse(format(%.0f) = '%s') = %.17g\n", t, buf, back);
    }
  }
  PT_CHECK(bad == 0, "%d of 20000 random times do not survive format -> parse", bad);

  static const struct {
    double      t;
    const char *s;
  } tr[] = {{1210573681.999, "2008-05-12T06:28:01Z"},
            {-0.5, "1969-12-31T23:59:59Z"},
            {-86399.5, "1969-12-31T00:00:00Z"},
            {0.25, "1970-01-01T00:00:00Z"},
            {-1e-3, "1969-12-31T23:59:59Z"}};
  for (size_t i = 0; i < sizeof tr / sizeof *tr; i++) {
    prc_time_format(tr[i].t, buf, sizeof buf);
    PT_CHECK(strcmp(buf, tr[i].s) == 0, "format(%.17g) = '%s', expected '%s'", tr[i].t, buf, tr[i].s);
  }
  /* a short buffer is truncated, not overrun */
  char small[8];
  memset(small, 'x', sizeof small);
  prc_time_format(0, small, 5);
  PT_CHECK(strcmp(small, "1970") == 0 && small[5] == 'x', "format into 5 bytes gave '%.8s'", small);
}

/* Regression (fixed): timeutil.c prc_time_format): for t in [-7.3e-12, 0) the day is floor(t/86400) = -1
 * but rem = t + 86400 rounds to 86400.0, so the seconds of day are 86400 and the text is
 * "1969-12-31T24:00:00Z" (which prc_time_parse itself rejects). For |t| < ~4e-319 the
 * quotient t/86400 underflows to -0, days = 0 and floor(t) = -1 gives
 * "1970-01-01T00:00:-1Z". Expected "1969-12-31T23:59:59Z" in both cases (truncation).
 * Only t just below the epoch is affected (scanned: every midnight of 1148..2791 minus 1..4
 * ulps and minus 1e-3..1e-13 s; the other 5.4 million cases format correctly). */
static void test_regress_time_format_just_before_epoch(void)
{
  const double ts[] = {-1e-12, -5e-12, -4.9406564584124654e-324};
  char         buf[64];
  for (size_t i = 0; i < sizeof ts / sizeof *ts; i++) {
    prc_time_format(ts[i], buf, sizeof buf);
    PT_CHECK(strcmp(buf, "1969-12-31T23:59:59Z") == 0, "format(%.17g) = '%s', expected '1969-12-31T23:59:59Z'", ts[i],
             buf);
  }
}

/* ------------------------------------------------------------------------------------ */
/* partitions                                                                           */
/* ------------------------------------------------------------------------------------ */

/* prc_partition_1d covers [0, n) exactly once with contiguous blocks in rank order, sizes
 * differ by at most 1 and the larger blocks come first, for n in 0..40 and some larger n
 * (including n = 5e9 > 2^32) and size 1..20, 64, 1000. */
static void test_partition_1d(void)
{
  int64_t ns[60];
  int     nn = 0;
  for (int i = 0; i <= 40; i++) ns[nn++] = i;
  const int64_t big[] = {63, 64, 65, 999, 1000, 1001, 12345, 1 << 20, 5000000000LL};
  for (size_t i = 0; i < sizeof big / sizeof *big; i++) ns[nn++] = big[i];
  int sizes[24], nsz = 0;
  for (int s = 1; s <= 20; s++) sizes[nsz++] = s;
  sizes[nsz++] = 64, sizes[nsz++] = 1000;
  long bad = 0;
  for (int a = 0; a < nn; a++)
    for (int b = 0; b < nsz; b++) {
      int64_t n = ns[a], next = 0, cmin = INT64_MAX, cmax = -1, prevc = INT64_MAX;
      int     size = sizes[b], ok = 1;
      for (int rank = 0; rank < size; rank++) {
        int64_t start = -7, count = -7;
        prc_partition_1d(n, size, rank, &start, &count);
        ok &= start == next && count >= 0 && count <= prevc;
        next = start + count, prevc = count;
        if (count < cmin) cmin = count;
        if (count > cmax) cmax = count;
      }
      ok &= next == n && cmax - cmin <= 1 && cmin == n / size;
      if (!ok && !bad++) fprintf(stderr, "  partition_1d(n=%lld, size=%d) wrong\n", (long long)n, size);
    }
  PT_CHECK(bad == 0, "%ld (n, size) cases of prc_partition_1d wrong", bad);
}

/* prc_partition_batches: every block starts at a multiple of batch (or at n), the blocks tile
 * [0, n) in rank order, and the number of batches per rank is prc_partition_1d's split of
 * ceil(n / batch) batches (counted here directly from the block ends), for n 0..200, batch
 * 1..9, 16, 64, 1000, size 1..7 and 64, and n = 5e9. */
static void test_partition_batches(void)
{
  long bad = 0, cases = 0;
  int  sizes[] = {1, 2, 3, 4, 5, 6, 7, 64}, batches[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 64, 1000};
  for (int64_t n = 0; n <= 201; n++)
    for (size_t ib = 0; ib < sizeof batches / sizeof *batches; ib++)
      for (size_t is = 0; is < sizeof sizes / sizeof *sizes; is++) {
        const int64_t N = n == 201 ? 5000000000LL : n, B = batches[ib];
        const int     size = sizes[is];
        const int64_t nb = (N + B - 1) / B;
        int64_t       next = 0, bmin = INT64_MAX, bmax = -1;
        int           ok = 1;
        for (int rank = 0; rank < size; rank++) {
          int64_t start = -7, count = -7;
          prc_partition_batches(N, B, size, rank, &start, &count);
          ok &= start == next && count >= 0 && (start % B == 0 || start == N);
          /* batches in this block: whole ones, the last of the record possibly short */
          int64_t q = count == 0 ? 0 : (start + count == N ? nb - start / B : count / B);
          ok &= count == 0 || start + count == N || count % B == 0;
          if (q < bmin) bmin = q;
          if (q > bmax) bmax = q;
          next = start + count;
        }
        ok &= next == N && bmax - bmin <= 1 && bmin == nb / size;
        cases++;
        if (!ok && !bad++) fprintf(stderr, "  partition_batches(n=%lld, batch=%lld, size=%d) wrong\n", (long long)N, (long long)B, size);
      }
  PT_CHECK(bad == 0, "%ld of %ld (n, batch, size) cases of prc_partition_batches wrong", bad, cases);
}

/* An independent LPT reference: repeatedly take the longest remaining item (lowest index on
 * ties) and give it to the least-loaded rank (lowest rank on ties). O(n^2), fine here. */
static void lpt_ref(const int64_t *len, int n, int size, int *owner)
{
  int64_t load[64] = {0};
  char    used[512] = {0};
  for (int k = 0; k < n; k++) {
    int best = -1;
    for (int i = 0; i < n; i++)
      if (!used[i] && (best < 0 || len[i] > len[best])) best = i;
    used[best] = 1;
    int r = 0;
    for (int q = 1; q < size; q++)
      if (load[q] < load[r]) r = q;
    owner[best] = r;
    load[r] += len[best];
  }
}

/* prc_partition_weighted on 300 random cases (n 0..400, size 1..64, lengths 0..10^6 or
 * heavy-tailed): owners in [0, size), deterministic (two calls agree), max load <= mean +
 * max length (the documented bound), identical to an independent LPT with the documented
 * tie rules; equal lengths give counts differing by <= 1; size = 1 puts all on rank 0; a
 * hand-checked example. */
static void test_partition_weighted(void)
{
  enum { NMAX = 400 };
  static int64_t len[NMAX];
  static int     own[NMAX], own2[NMAX], ref[NMAX];
  uint64_t       st = 2025;
  long           bad_range = 0, bad_det = 0, bad_bound = 0, bad_ref = 0;
  double         worst_slack = 1e300;
  for (int c = 0; c < 300; c++) {
    int n = (int)tst_range(&st, 0, NMAX), size = (int)tst_range(&st, 1, 64);
    for (int i = 0; i < n; i++) {
      int64_t v = tst_range(&st, 0, 1000000);
      if (c % 3 == 1) v = v * v / 1000000 * (tst_range(&st, 0, 9) == 0 ? 50 : 1); /* heavy tail */
      if (c % 3 == 2) v = tst_range(&st, 0, 3);                                   /* many ties */
      len[i] = v;
    }
    int rc1 = prc_partition_weighted(len, n, size, own), rc2 = prc_partition_weighted(len, n, size, own2);
    PT_CHECK(rc1 == 0 && rc2 == 0, "partition_weighted(n=%d, size=%d) returned %d", n, size, rc1);
    if (rc1 || rc2) continue;
    int64_t load[64] = {0}, total = 0, maxlen = 0, maxload = 0;
    for (int i = 0; i < n; i++) {
      if (own[i] < 0 || own[i] >= size) {
        bad_range++;
        continue;
      }
      bad_det += own[i] != own2[i];
      load[own[i]] += len[i], total += len[i];
      if (len[i] > maxlen) maxlen = len[i];
    }
    for (int r = 0; r < size; r++)
      if (load[r] > maxload) maxload = load[r];
    double slack = (double)total / size + (double)maxlen - (double)maxload;
    if (total > 0 && slack < worst_slack) worst_slack = slack;
    bad_bound += slack < 0;
    lpt_ref(len, n, size, ref);
    for (int i = 0; i < n; i++) bad_ref += ref[i] != own[i];
  }
  PT_CHECK(bad_range == 0, "%ld owners outside [0, size)", bad_range);
  PT_CHECK(bad_det == 0, "%ld owners differ between two identical calls", bad_det);
  fprintf(stderr, "  # partition_weighted: smallest slack mean + max length - max load %.1f\n", worst_slack);
  PT_CHECK(bad_bound == 0, "max load > mean + max length in %ld cases (worst slack %g)", bad_bound, worst_slack);
  PT_CHECK(bad_ref == 0, "%ld owners differ from the reference LPT", bad_ref);

  /* equal lengths: counts differ by at most 1 */
  for (int n = 0; n <= 100; n += 7)
    for (int size = 1; size <= 13; size++) {
      for (int i = 0; i < n; i++) len[i] = 42;
      PT_CHECK(prc_partition_weighted(len, n, size, own) == 0, "equal lengths n=%d size=%d failed", n, size);
      int cnt[13] = {0}, cmin = n, cmax = 0;
      for (int i = 0; i < n; i++) cnt[own[i]]++;
      for (int r = 0; r < size; r++) cmin = cnt[r] < cmin ? cnt[r] : cmin, cmax = cnt[r] > cmax ? cnt[r] : cmax;
      PT_CHECK(cmax - cmin <= 1, "equal lengths n=%d size=%d: counts %d..%d", n, size, cmin, cmax);
    }

  /* size 1: everything on rank 0 */
  for (int i = 0; i < 50; i++) len[i] = i * 37 % 11, own[i] = -1;
  PT_CHECK(prc_partition_weighted(len, 50, 1, own) == 0, "size 1 failed");
  int nz = 0;
  for (int i = 0; i < 50; i++) nz += own[i] != 0;
  PT_CHECK(nz == 0, "size 1: %d items not on rank 0", nz);

  /* by hand: lengths {3,8,5,5,1,8} on 2 ranks. Order 8(1) 8(5) 5(2) 5(3) 3(0) 1(4):
   * 1->r0 (8,0), 5->r1 (8,8), 2->r0 (13,8), 3->r1 (13,13), 0->r0 (16,13), 4->r1 (16,14). */
  const int64_t hl[6] = {3, 8, 5, 5, 1, 8};
  const int     hexp[6] = {0, 0, 0, 1, 1, 1};
  int           hown[6];
  PT_CHECK(prc_partition_weighted(hl, 6, 2, hown) == 0, "hand example failed");
  int hbad = 0;
  for (int i = 0; i < 6; i++) hbad += hown[i] != hexp[i];
  PT_CHECK(hbad == 0, "hand example: owners %d %d %d %d %d %d, expected 0 0 0 1 1 1", hown[0], hown[1], hown[2],
           hown[3], hown[4], hown[5]);
}

/* Bad arguments return non-zero: n < 0, size < 1, NULL arrays with n > 0; n = 0 with NULL
 * arrays is fine. */
static void test_partition_weighted_bad_args(void)
{
  int64_t len[3] = {1, 2, 3};
  int     own[3];
  PT_CHECK(prc_partition_weighted(len, -1, 2, own) != 0, "n = -1 accepted");
  PT_CHECK(prc_partition_weighted(len, 3, 0, own) != 0, "size = 0 accepted");
  PT_CHECK(prc_partition_weighted(len, 3, -4, own) != 0, "size = -4 accepted");
  PT_CHECK(prc_partition_weighted(NULL, 3, 2, own) != 0, "len = NULL accepted");
  PT_CHECK(prc_partition_weighted(len, 3, 2, NULL) != 0, "owner = NULL accepted");
  PT_CHECK(prc_partition_weighted(NULL, 0, 2, NULL) == 0, "n = 0 with NULL arrays rejected");
}

/* Regression (fixed): decomp.h: "n items of the given lengths (>= 0) ... Returns 0, or 1 on bad args"):
 * a negative length is not rejected. Lengths {10, 10, -10} on 2 ranks return 0 with owners
 * {0, 1, 0}: the negative item silently cancels load on rank 0 (loads 0 and 10). A record
 * length cannot be negative, so this is an upstream error that should be reported. */
static void test_regress_partition_weighted_negative_length(void)
{
  int64_t len[3] = {10, 10, -10};
  int     own[3] = {-1, -1, -1};
  int     rc = prc_partition_weighted(len, 3, 2, own);
  PT_CHECK(rc != 0, "negative length accepted (rc 0, owners %d %d %d)", own[0], own[1], own[2]);
}

/* regression: a message prefixed to the previous one (prc_seterr("...: %s", prc_lasterr()))
 * must not read the buffer it is writing (it came out mangled: "x: x: ghts for 3 classes") */
static void test_regress_seterr_prefix_own_message(void)
{
  prc_seterr("softmax_ce: %d class weights for %d classes", 2, 3);
  prc_seterr("%s:%d: loss %s: %s", "cw", 4, "softmax_ce", prc_lasterr());
  PT_CHECK(!strcmp(prc_lasterr(), "cw:4: loss softmax_ce: softmax_ce: 2 class weights for 3 classes"), "got '%s'", prc_lasterr());
  prc_seterr("outer: %s", prc_lasterr()); /* twice */
  PT_CHECK(!strcmp(prc_lasterr(), "outer: cw:4: loss softmax_ce: softmax_ce: 2 class weights for 3 classes"), "got '%s'", prc_lasterr());
}

int main(int argc, char **argv)
{
  pt_set_prog(argv[0]);
  PT_RUN(test_regress_seterr_prefix_own_message);
  PT_RUN(test_rng_streams);
  PT_RUN(test_rng_uniform);
  PT_RUN(test_regress_uniform_pos_reaches_one);
  PT_RUN(test_rng_normal);
  PT_RUN(test_rng_below);
  PT_RUN(test_rng_poisson);
  PT_RUN(test_rng_exponential);
  PT_RUN(test_hash_pure);
  PT_RUN(test_hash_moments);
  PT_RUN(test_norm_ppf);
  PT_RUN(test_regress_norm_ppf_upper_tail_accuracy);
  PT_RUN(test_regress_norm_ppf_subnormal_nan);
  PT_RUN(test_time_known_epochs);
  PT_RUN(test_time_civil_roundtrip);
  PT_RUN(test_time_doy);
  PT_RUN(test_time_parse_forms);
  PT_RUN(test_time_parse_rejects);
  PT_RUN(test_regress_time_parse_lenient);
  PT_RUN(test_time_format_roundtrip);
  PT_RUN(test_regress_time_format_just_before_epoch);
  PT_RUN(test_partition_1d);
  PT_RUN(test_partition_batches);
  PT_RUN(test_partition_weighted);
  PT_RUN(test_partition_weighted_bad_args);
  PT_RUN(test_regress_partition_weighted_negative_length);
  return pt_finish();
}

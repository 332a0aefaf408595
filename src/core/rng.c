/* rng.c — xoshiro256** streams, splitmix64 counters, normal deviates, inverse normal CDF.
 * References: Blackman & Vigna (2018) xoshiro256**; Steele et al. (2014) splitmix64;
 * P. J. Acklam's algorithm for the normal quantile. */
#include "precursor/rng.h"

#include <math.h>

uint64_t prc_mix64(uint64_t x)
{
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void prc_rng_seed(prc_rng *r, uint64_t seed, uint64_t stream)
{
  uint64_t z = prc_mix64(seed) ^ prc_mix64(stream * 0xd1342543de82ef95ULL + 1);
  for (int i = 0; i < 4; i++) {
    z = prc_mix64(z);
    r->s[i] = z;
  }
  if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3])) r->s[0] = 1; /* all-zero state is forbidden */
  r->have_spare = 0;
  r->spare = 0.0;
}

uint64_t prc_rng_next(prc_rng *r)
{
  uint64_t *s = r->s;
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double prc_rng_uniform(prc_rng *r) { return (double)(prc_rng_next(r) >> 11) * 0x1.0p-53; }

/* 52 random bits + 1/2: the largest value is 1 - 2^-53 (exactly representable), the
 * smallest 2^-53, so the result is strictly inside (0, 1). */
static inline double open01(uint64_t x) { return ((double)(x >> 12) + 0.5) * 0x1.0p-52; }

double prc_rng_uniform_pos(prc_rng *r) { return open01(prc_rng_next(r)); }

static void box_muller(double u1, double u2, double *z0, double *z1)
{
  double rad = sqrt(-2.0 * log(u1)), th = 2.0 * M_PI * u2;
  *z0 = rad * cos(th);
  *z1 = rad * sin(th);
}

double prc_rng_normal(prc_rng *r)
{
  if (r->have_spare) {
    r->have_spare = 0;
    return r->spare;
  }
  double z0, z1;
  box_muller(prc_rng_uniform_pos(r), prc_rng_uniform_pos(r), &z0, &z1);
  r->spare = z1;
  r->have_spare = 1;
  return z0;
}

uint64_t prc_rng_below(prc_rng *r, uint64_t n)
{
  uint64_t lim = UINT64_MAX - UINT64_MAX % n, x;
  do x = prc_rng_next(r);
  while (x >= lim);
  return x % n;
}

double prc_rng_exponential(prc_rng *r, double rate) { return -log(prc_rng_uniform_pos(r)) / rate; }

uint64_t prc_rng_poisson(prc_rng *r, double lambda)
{
  /* Count arrivals of a unit-rate process in [0, lambda): exact for every lambda,
   * O(lambda) work, which is fine for the event counts precursor draws. */
  uint64_t k = 0;
  double t = prc_rng_exponential(r, 1.0);
  while (t < lambda) {
    k++;
    t += prc_rng_exponential(r, 1.0);
  }
  return k;
}

uint64_t prc_hash4(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
  uint64_t h = prc_mix64(seed ^ 0x6a09e667f3bcc909ULL);
  h = prc_mix64(h ^ a);
  h = prc_mix64(h ^ (b + 0x3c6ef372fe94f82bULL));
  h = prc_mix64(h ^ (c + 0xa54ff53a5f1d36f1ULL));
  return h;
}

double prc_hash_uniform(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
  return open01(prc_hash4(seed, a, b, c));
}

double prc_hash_normal(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
  uint64_t h = prc_hash4(seed, a, b, c);
  double u1 = open01(h), u2 = open01(prc_mix64(h));
  double z0, z1;
  box_muller(u1, u2, &z0, &z1);
  return z0;
}

/* Quantile for p in (0, 0.5]: Acklam's rational approximation (relative error < 1.2e-9)
 * refined by one Halley step on Phi(x) - p, computed with erfc (accurate in this tail). */
static double ppf_lower(double p)
{
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01,  -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  double q, r, x;
  if (p < 0.02425) {
    q = sqrt(-2 * log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else {
    q = p - 0.5;
    r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  double e = 0.5 * erfc(-x / sqrt(2)) - p;
  double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
  double xr = x - u / (1 + x * u / 2);
  return isfinite(xr) ? xr : x; /* p subnormal: exp overflows; keep the approximation */
}

double prc_norm_ppf(double p)
{
  if (!(p > 0.0)) return -INFINITY;
  if (!(p < 1.0)) return INFINITY;
  /* upper half by symmetry: 1 - p is exact for p >= 0.5 (Sterbenz) */
  return p <= 0.5 ? ppf_lower(p) : -ppf_lower(1.0 - p);
}

/* precursor/rng.h — seeded, reproducible random numbers (kernel layer: no MPI).
 *
 * Two kinds:
 *  - prc_rng: a sequential stream (xoshiro256**), seeded from (seed, stream id) through
 *    splitmix64. Its whole state is 4 uint64 so it can be checkpointed.
 *  - prc_hash_*: counter-based values, a pure function of (seed, keys...). Used wherever a
 *    value must not depend on how work is split across ranks (e.g. pixel noise at
 *    (t, y, x) is the same whatever tile computes it).
 */
#ifndef PRECURSOR_RNG_H
#define PRECURSOR_RNG_H

#include <stdint.h>

typedef struct {
  uint64_t s[4];
  int      have_spare; /* Box–Muller keeps its second normal */
  double   spare;
} prc_rng;

/* Seed a stream; different `stream` values give independent streams for one seed. */
void     prc_rng_seed(prc_rng *r, uint64_t seed, uint64_t stream);
uint64_t prc_rng_next(prc_rng *r);
/* Uniform in [0,1) with 53 random bits. */
double   prc_rng_uniform(prc_rng *r);
/* Uniform in (0,1) with 52 random bits: never 0 (safe for log) and never 1. */
double   prc_rng_uniform_pos(prc_rng *r);
/* Standard normal (Box–Muller). */
double   prc_rng_normal(prc_rng *r);
/* Uniform integer in [0, n), n > 0, unbiased (rejection). */
uint64_t prc_rng_below(prc_rng *r, uint64_t n);
/* Exponential with the given rate (> 0). */
double   prc_rng_exponential(prc_rng *r, double rate);
/* Poisson with mean lambda >= 0 (inversion for small lambda, PTRS-free normal approx
 * never used: exact by summing exponentials in chunks). */
uint64_t prc_rng_poisson(prc_rng *r, double lambda);

/* splitmix64 finaliser: a bijective 64-bit mixer. */
uint64_t prc_mix64(uint64_t x);
/* Counter-based hash of a seed and up to three keys. */
uint64_t prc_hash4(uint64_t seed, uint64_t a, uint64_t b, uint64_t c);
/* Uniform (0,1) and standard normal values from counters (pure functions). */
double   prc_hash_uniform(uint64_t seed, uint64_t a, uint64_t b, uint64_t c);
double   prc_hash_normal(uint64_t seed, uint64_t a, uint64_t b, uint64_t c);

/* Inverse of the standard normal CDF (Acklam's rational approximation refined by one
 * Halley step, upper half by symmetry; relative error < 1e-12 for p >= 1e-300, < 1.2e-9
 * for subnormal p). p <= 0 returns -INFINITY, p >= 1 +INFINITY, NaN gives -INFINITY. */
double   prc_norm_ppf(double p);

#endif

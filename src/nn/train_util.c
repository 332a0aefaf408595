/* train_util.c — kernels of data-parallel training: exact 64-bit fixed-point sums, the
 * per-epoch permutation and the synthetic labelled set (no MPI; the collectives are in
 * src/stages/stage_train.c). docs/NN.md "Data parallel". */
#include <math.h>
#include <stdlib.h>

#include "precursor/error.h"
#include "precursor/nn_train.h"
#include "precursor/rng.h"

int prc_fx_exponent(double amax, long long nterms, int *e)
{
  if (!isfinite(amax)) return prc_seterr("fixed-point sum: non-finite value (largest |x| = %g)", amax);
  if (nterms < 1) nterms = 1;
  if (amax <= 0) {
    *e = 0;
    return 0;
  }
  /* want nterms * amax * 2^e <= 2^62: e = floor(log2(2^62 / (nterms amax))) */
  double lim = ldexp(1.0, 62) / ((double)nterms * amax);
  int    k;
  double fr = frexp(lim, &k); /* lim = fr 2^k, fr in [0.5, 1): floor(log2 lim) = k - 1 */
  (void)fr;
  *e = k - 1;
  while ((double)nterms * ldexp(amax, *e) > ldexp(1.0, 62)) (*e)--; /* rounding guard */
  if (*e > 1000) *e = 1000;
  return 0;
}

void prc_fx_add_f(int64_t *acc, const float *x, size_t n, int e)
{
  for (size_t i = 0; i < n; i++) acc[i] += (int64_t)llrint(ldexp((double)x[i], e));
}

void prc_fx_add_d(int64_t *acc, const double *x, size_t n, int e)
{
  for (size_t i = 0; i < n; i++) acc[i] += (int64_t)llrint(ldexp(x[i], e));
}

void prc_fx_to_f(const int64_t *acc, size_t n, int e, double div, float *out)
{
  for (size_t i = 0; i < n; i++) out[i] = (float)(ldexp((double)acc[i], -e) / div);
}

void prc_fx_to_d(const int64_t *acc, size_t n, int e, double div, double *out)
{
  for (size_t i = 0; i < n; i++) out[i] = ldexp((double)acc[i], -e) / div;
}

double prc_absmax_f(const float *x, size_t n)
{
  float m = 0;
  for (size_t i = 0; i < n; i++) {
    float a = fabsf(x[i]);
    if (!(a <= m)) {
      if (!isfinite(a)) return INFINITY;
      m = a;
    }
  }
  return m;
}

int prc_train_permutation(uint64_t seed, long long epoch, int64_t n, int64_t *perm)
{
  if (n < 0) return prc_seterr("permutation of %lld elements", (long long)n);
  prc_rng r;
  prc_rng_seed(&r, prc_hash4(seed, 0x7472616eULL, (uint64_t)epoch, 0), (uint64_t)epoch);
  for (int64_t i = 0; i < n; i++) perm[i] = i;
  for (int64_t i = n - 1; i > 0; i--) {
    int64_t j = (int64_t)prc_rng_below(&r, (uint64_t)i + 1), t = perm[i];
    perm[i] = perm[j], perm[j] = t;
  }
  return 0;
}

int prc_train_synth(uint64_t seed, int64_t first, int64_t count, int C, int H, int W, int nclass, double sigma, int A,
                    float *x, int32_t *y, float *aux)
{
  if (C < 1 || H < 1 || W < 2 || nclass < 2 || !(sigma >= 0) || A < 0 || first < 0 || count < 0)
    return prc_seterr("synthetic set: bad shape (%d, %d, %d), %d classes, noise %g or %d aux values", C, H, W, nclass, sigma, A);
  size_t S = (size_t)C * H * W;
  for (int64_t k = 0; k < count; k++) {
    uint64_t i = (uint64_t)(first + k);
    int      cls = (int)(prc_hash4(seed, i, 1, 0) % (uint64_t)nclass);
    double   a = 0.5 + prc_hash_uniform(seed, i, 2, 0), phi = 2 * M_PI * prc_hash_uniform(seed, i, 3, 0);
    double   f = 2.0 + 3.0 * cls;
    float   *s = x + (size_t)k * S;
    for (int c = 0; c < C; c++)
      for (int h = 0; h < H; h++)
        for (int w = 0; w < W; w++) {
          size_t j = ((size_t)c * H + h) * W + w;
          double v = a * sin(2 * M_PI * (f * w / W + 0.37 * c + 0.21 * h) + phi);
          s[j] = (float)(v + sigma * prc_hash_normal(seed, i, 4, j));
        }
    y[k] = cls;
    for (int j = 0; j < A; j++) aux[(size_t)k * A + j] = (float)((double)cls / nclass + 0.1 * prc_hash_normal(seed, i, 5, (uint64_t)j));
  }
  return 0;
}

/* em_samples.c — sample construction of paper 000's EM experiment (include/precursor/em_samples.h,
 * docs/EM.md). Kernel layer: no MPI. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/em_samples.h"
#include "precursor/error.h"
#include "precursor/rng.h"

#define KEY(tag, ch) (((uint64_t)(tag) << 8) | (uint64_t)(ch))

int prc_em_sim_check(const prc_em_sim *p)
{
  if (p->nclass < 2 || p->nclass > PRC_EM_MAXCLASS) return prc_seterr("number of classes %d outside [2, %d]", p->nclass, PRC_EM_MAXCLASS);
  if (p->nchan < 1 || p->nchan > PRC_EM_MAXCHAN) return prc_seterr("number of channels %d outside [1, %d]", p->nchan, PRC_EM_MAXCHAN);
  if (p->per_class < 1) return prc_seterr("samples per class %d < 1", p->per_class);
  if (p->len < 8) return prc_seterr("sample length %lld < 8", (long long)p->len);
  if (p->stride < 1) return prc_seterr("sample stride %lld < 1", (long long)p->stride);
  if (p->nseg < 0) return prc_seterr("segments per class %d < 0", p->nseg);
  if (p->gap_max < 0) return prc_seterr("maximum gap %lld < 0", (long long)p->gap_max);
  if (p->seg_len_min < 1 || p->seg_len_max < p->seg_len_min)
    return prc_seterr("segment lengths [%lld, %lld]: need 1 <= min <= max", (long long)p->seg_len_min, (long long)p->seg_len_max);
  if (p->smooth < 1) return prc_seterr("segment smoothing %d < 1", p->smooth);
  for (int c = 0; c < p->nclass; c++)
    if (!isfinite(p->amp[c]) || p->amp[c] < 0) return prc_seterr("segment amplitude of class %d is %g (need finite, >= 0)", c, p->amp[c]);
  if (!isfinite(p->snr_db)) return prc_seterr("SNR %g dB is not finite", p->snr_db);
  return 0;
}

int64_t prc_em_record_length(const prc_em_sim *p) { return (int64_t)(p->per_class - 1) * p->stride + p->len; }

int prc_em_segments(const prc_em_sim *p, int c, int64_t *start, int64_t *count)
{
  const int64_t R = prc_em_record_length(p);
  int64_t       pos = 0;
  int           m = 0;
  for (int s = 0; s < p->nseg; s++) {
    uint64_t g = prc_hash4(p->seed, PRC_EM_TAG_GAP, (uint64_t)c, (uint64_t)s) % (uint64_t)(p->gap_max + 1);
    uint64_t l = prc_hash4(p->seed, PRC_EM_TAG_LEN, (uint64_t)c, (uint64_t)s) % (uint64_t)(p->seg_len_max - p->seg_len_min + 1);
    int64_t  a = pos + (int64_t)g, n = p->seg_len_min + (int64_t)l;
    pos = a + n;
    if (a >= R) break;
    start[m] = a, count[m] = a + n > R ? R - a : n, m++;
  }
  return m;
}

int64_t prc_em_mirror(int64_t t, int64_t n)
{
  int64_t k = t % (2 * n);
  return k < n ? k : 2 * n - 1 - k;
}

int64_t prc_em_fill_gaps(double *v, int64_t n)
{
  int64_t first = -1, filled = 0;
  for (int64_t i = 0; i < n && first < 0; i++)
    if (isfinite(v[i])) first = i;
  if (first < 0) return prc_seterr("no finite value in %lld points", (long long)n), -1;
  for (int64_t i = 0; i < first; i++) v[i] = v[first], filled++;
  int64_t last = first; /* last finite index */
  for (int64_t i = first + 1; i < n; i++) {
    if (!isfinite(v[i])) continue;
    if (i > last + 1) {
      double a = v[last], b = v[i], d = (double)(i - last);
      for (int64_t k = last + 1; k < i; k++) v[k] = a + (b - a) * (double)(k - last) / d, filled++;
    }
    last = i;
  }
  for (int64_t i = last + 1; i < n; i++) v[i] = v[last], filled++;
  return filled;
}

int prc_em_standardize(double *v, int64_t n, double *mean, double *sd)
{
  double m = 0, s = 0;
  for (int64_t i = 0; i < n; i++) m += v[i];
  m /= (double)n;
  for (int64_t i = 0; i < n; i++) s += (v[i] - m) * (v[i] - m);
  s = sqrt(s / (double)n);
  if (!(s > 0) || !isfinite(s)) return prc_seterr("constant or non-finite record (sd %g over %lld points)", s, (long long)n);
  for (int64_t i = 0; i < n; i++) v[i] = (v[i] - m) / s;
  if (mean) *mean = m;
  if (sd) *sd = s;
  return 0;
}

int prc_em_sample(const prc_em_sim *p, const double *base, int64_t nbase, const int64_t *seg_start, const int64_t *seg_count,
                  int nseg, int c, int j, double *clean, double *noisy, double *aux)
{
  const int64_t L = p->len, t0 = (int64_t)j * p->stride, W = p->smooth;
  const double  sn = pow(10.0, -p->snr_db / 20.0), sw = 1.0 / sqrt((double)W);
  if (c < 0 || c >= p->nclass || j < 0 || j >= p->per_class) return prc_seterr("sample (class %d, index %d) out of range", c, j);
  double *z = malloc(sizeof(double) * (size_t)(L + W));
  if (!z) return prc_seterr("out of memory");
  for (int ch = 0; ch < p->nchan; ch++) {
    double *o = clean + (size_t)ch * L;
    for (int64_t i = 0; i < L; i++) o[i] = base[(size_t)ch * nbase + prc_em_mirror(t0 + i, nbase)];
    /* z(u) for u in [t0 - W + 1, t0 + L): z[i] = z(t0 - W + 1 + i) */
    int have_z = 0;
    for (int s = 0; s < nseg; s++) {
      int64_t a = seg_start[s], b = seg_start[s] + seg_count[s];
      if (b <= t0 || a >= t0 + L) continue;
      if (!have_z) {
        for (int64_t i = 0; i < L + W - 1; i++)
          z[i] = prc_hash_normal(p->seed, KEY(PRC_EM_TAG_SEG, ch), (uint64_t)c, (uint64_t)(t0 - W + 1 + i + W));
        have_z = 1;
      }
      int64_t lo = a > t0 ? a : t0, hi = b < t0 + L ? b : t0 + L;
      for (int64_t t = lo; t < hi; t++) {
        double acc = 0;
        for (int64_t k = 0; k < W; k++) acc += z[t - t0 + W - 1 - k];
        o[t - t0] += p->amp[c] * acc * sw;
      }
    }
    if (noisy)
      for (int64_t i = 0; i < L; i++)
        noisy[(size_t)ch * L + i] = o[i] + sn * prc_hash_normal(p->seed, KEY(PRC_EM_TAG_NOISE, ch), (uint64_t)c, (uint64_t)(t0 + i));
  }
  free(z);
  if (aux) {
    aux[0] = (double)(t0 + L) / (double)prc_em_record_length(p);
    aux[1] = prc_hash_uniform(p->seed, PRC_EM_TAG_DIST, (uint64_t)c, (uint64_t)j);
  }
  return 0;
}

typedef struct {
  uint64_t key;
  int64_t  i;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
  const keyed *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return x->i < y->i ? -1 : x->i > y->i;
}

int prc_em_split(uint64_t seed, int c, int64_t n, const int64_t *ids, int64_t nval, unsigned char *is_val)
{
  if (n <= 0) return 0;
  memset(is_val, 0, (size_t)n);
  if (nval <= 0) return 0;
  keyed *k = malloc(sizeof(keyed) * (size_t)n);
  if (!k) return prc_seterr("out of memory for the split of %lld samples", (long long)n);
  for (int64_t i = 0; i < n; i++) k[i] = (keyed){prc_hash4(seed, PRC_EM_TAG_SPLIT, (uint64_t)c, (uint64_t)(ids ? ids[i] : i)), i};
  qsort(k, (size_t)n, sizeof *k, cmp_keyed);
  for (int64_t v = 0; v < nval && v < n; v++) is_val[k[v].i] = 1;
  free(k);
  return 0;
}

double prc_em_distance_km(double lat1, double lon1, double lat2, double lon2)
{
  const double r = M_PI / 180;
  double       dp = (lat2 - lat1) * r, dl = (lon2 - lon1) * r;
  double       a = sin(dp / 2) * sin(dp / 2) + cos(lat1 * r) * cos(lat2 * r) * sin(dl / 2) * sin(dl / 2);
  if (a > 1) a = 1;
  return 2 * 6371.0 * asin(sqrt(a));
}

int prc_em_label(int64_t n, const double *time, const double *lat, const double *lon, const double *mag, double slat, double slon,
                 double t_end, double horizon_s, double radius_km, int nthr, const double *mag_thr, int64_t *event, double *dist_km)
{
  int64_t best = -1;
  double  bd = NAN;
  for (int64_t e = 0; e < n; e++) {
    if (!(time[e] > t_end && time[e] <= t_end + horizon_s)) continue;
    double d = prc_em_distance_km(slat, slon, lat[e], lon[e]);
    if (d > radius_km) continue;
    if (best < 0 || mag[e] > mag[best] || (mag[e] == mag[best] && d < bd)) best = e, bd = d;
  }
  int cls = 0;
  if (best >= 0)
    while (cls < nthr && mag[best] >= mag_thr[cls]) cls++;
  *event = best, *dist_km = bd;
  return cls;
}

/* samples.c — kernels of the thermal forecasting samples (paper 001; docs/THERMAL.md):
 * grid checks, earthquake and quiet groups, time and random splits, crop placement and
 * per-image scaling. No MPI: the stage calls these with the same inputs on every rank. */
#include "precursor/thermal_samples.h"
#include "precursor/error.h"
#include "precursor/rng.h"
#include "precursor/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int axis_regular(const double *v, int n, const char *name, double *d0)
{
  for (int i = 0; i < n; i++)
    if (!isfinite(v[i])) return prc_seterr("/%s[%d] is not finite", name, i);
  if (n == 1) {
    *d0 = 1; /* a single row or column: any positive spacing; its pixel is the nearest */
    return 0;
  }
  double d = (v[n - 1] - v[0]) / (n - 1);
  if (!(d > 0)) return prc_seterr("/%s must increase (%g at 0, %g at %d)", name, v[0], v[n - 1], n - 1);
  for (int i = 1; i < n; i++)
    if (fabs(v[i] - v[i - 1] - d) > 1e-6 * d)
      return prc_seterr("/%s is not regular: step %g between %d and %d, mean step %g (the samples need a regular lat/lon grid)", name,
                        v[i] - v[i - 1], i - 1, i, d);
  *d0 = d;
  return 0;
}

int prc_ts_grid_init(prc_ts_grid *g, const double *tim, int nt, const double *lat, int ny, const double *lon, int nx)
{
  memset(g, 0, sizeof *g);
  if (nt < 1 || ny < 1 || nx < 1) return prc_seterr("empty grid (%d steps, %d rows, %d columns)", nt, ny, nx);
  for (int s = 0; s < nt; s++) {
    if (!isfinite(tim[s])) return prc_seterr("/time[%d] is not finite", s);
    if (s && fabs(tim[s] - tim[s - 1] - PRC_DAY) > 1)
      return prc_seterr("/time is not daily: %.0f s between steps %d and %d (the samples need one image per day)", tim[s] - tim[s - 1], s - 1, s);
  }
  if (axis_regular(lat, ny, "lat", &g->dlat) || axis_regular(lon, nx, "lon", &g->dlon)) return 1;
  for (int j = 0; j < ny; j++)
    if (fabs(lat[j]) > 90) return prc_seterr("/lat[%d] = %g is out of range", j, lat[j]);
  g->nt = nt, g->ny = ny, g->nx = nx, g->tim = tim, g->lat0 = lat[0], g->lon0 = lon[0];
  return 0;
}

void prc_ts_pixel(const prc_ts_grid *g, double lat, double lon, double *row, double *col)
{
  *row = (lat - g->lat0) / g->dlat;
  *col = (lon - g->lon0) / g->dlon;
}

/* Largest step with tim[s] < t (-1 if none): binary search on the increasing axis. */
static int step_before(const prc_ts_grid *g, double t)
{
  int lo = 0, hi = g->nt; /* first step with tim >= t is in [lo, hi] */
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (g->tim[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

void prc_ts_event_groups(const prc_ts_grid *g, const double *et, const double *elat, const double *elon, const double *emag,
                         size_t ne, double mmin, double t_start, double t_end, int N, prc_ts_group *out, size_t *nout,
                         size_t *n_outside, size_t *n_no_images)
{
  size_t n = 0, nos = 0, noi = 0;
  for (size_t e = 0; e < ne; e++) {
    if (!(emag[e] >= mmin) || !(et[e] >= t_start && et[e] <= t_end)) continue;
    double r, c;
    prc_ts_pixel(g, elat[e], elon[e], &r, &c);
    if (!(r >= -0.5 && r < g->ny - 0.5 && c >= -0.5 && c < g->nx - 0.5)) {
      nos++;
      continue;
    }
    int last = step_before(g, et[e]);
    if (last < N - 2 || et[e] - g->tim[last] > PRC_DAY) {
      noi++;
      continue;
    }
    out[n++] = (prc_ts_group){1, (long)e, (int)floor(r + 0.5), (int)floor(c + 0.5), last, g->tim[last]};
  }
  *nout = n, *n_outside = nos, *n_no_images = noi;
}

int prc_ts_event_near(const prc_ts_grid *g, const double *et, const double *elat, const double *elon, const double *emag, size_t ne,
                      double mmin, int row, int col, int W, double t0, double t1)
{
  double r0 = row - W / 2 - 0.5, c0 = col - W / 2 - 0.5;
  for (size_t e = 0; e < ne; e++) {
    if (!(emag[e] >= mmin) || !(et[e] >= t0 && et[e] < t1)) continue;
    double r, c;
    prc_ts_pixel(g, elat[e], elon[e], &r, &c);
    if (r >= r0 && r < r0 + W && c >= c0 && c < c0 + W) return 1;
  }
  return 0;
}

int prc_ts_quiet_groups(const prc_ts_grid *g, const double *et, const double *elat, const double *elon, const double *emag,
                        size_t ne, double mmin, double t_start, double t_end, int N, int W, double guard_days, size_t nq,
                        const int *crow, const int *ccol, size_t ncentres, uint64_t seed, int max_tries, prc_ts_group *out)
{
  int s0 = step_before(g, t_start) + 1, s1 = step_before(g, t_end + 1e-3); /* steps with t_start <= tim <= t_end */
  int lo = s0 + N - 2, span = s1 - lo + 1;
  if (nq && span < 1)
    return prc_seterr("quiet samples: the span holds %d daily steps, fewer than the %d images of a %d-day window", s1 - s0 + 1, N - 1, N);
  for (size_t q = 0; q < nq; q++) {
    int k;
    for (k = 0; k < max_tries; k++) {
      uint64_t a = 0x71C0u + (uint64_t)N, c = 3 * (uint64_t)k;
      int      col = (int)(prc_hash_uniform(seed, a, q, c) * g->nx), row = (int)(prc_hash_uniform(seed, a, q, c + 1) * g->ny);
      int      last = lo + (int)(prc_hash_uniform(seed, a, q, c + 2) * span);
      col = col < g->nx ? col : g->nx - 1, row = row < g->ny ? row : g->ny - 1, last = last <= s1 ? last : s1;
      if (ncentres) {
        size_t i = (size_t)(prc_hash_uniform(seed, a, q, c) * (double)ncentres);
        i = i < ncentres ? i : ncentres - 1;
        row = crow[i], col = ccol[i];
      }
      double t0 = g->tim[last - (N - 2)] - guard_days * PRC_DAY, t1 = g->tim[last] + PRC_DAY + guard_days * PRC_DAY;
      if (prc_ts_event_near(g, et, elat, elon, emag, ne, mmin, row, col, W, t0, t1)) continue;
      out[q] = (prc_ts_group){0, -1, row, col, last, g->tim[last]};
      break;
    }
    if (k == max_tries)
      return prc_seterr("quiet sample %zu: no place and time without an M >= %g event in the %d x %d crop found in %d draws "
                        "(smaller -thermal_size or -thermal_guard_days, a longer span, or more -thermal_max_tries)",
                        q, mmin, W, W, max_tries);
  }
  return 0;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int prc_ts_split_time(const prc_ts_group *g, size_t n, double f, double *t_split, int *set)
{
  if (!n) return prc_seterr("no samples to split");
  if (!isfinite(*t_split)) {
    double *t = malloc(n * sizeof *t);
    if (!t) return prc_seterr("out of memory");
    for (size_t i = 0; i < n; i++) t[i] = g[i].time;
    qsort(t, n, sizeof *t, cmp_double);
    size_t k = (size_t)floor((double)n * (1 - f));
    *t_split = t[k < n ? k : n - 1];
    free(t);
  }
  size_t ntest = 0;
  for (size_t i = 0; i < n; i++) ntest += (size_t)(set[i] = g[i].time >= *t_split);
  char buf[32];
  prc_time_format(*t_split, buf, sizeof buf);
  if (!ntest || ntest == n)
    return prc_seterr("time split at %s leaves the %s set empty (%zu groups)", buf, ntest ? "training" : "test", n);
  return 0;
}

int prc_ts_split_random(const prc_ts_group *g, size_t n, double f, uint64_t seed, int *set)
{
  size_t *idx = malloc((n + 1) * sizeof *idx), ntest = 0;
  if (!idx) return prc_seterr("out of memory");
  for (int kind = 0; kind < 2; kind++) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
      if (g[i].kind == kind) idx[m++] = i;
    prc_rng r;
    prc_rng_seed(&r, seed, 0x5350u + (uint64_t)kind);
    for (size_t i = m; i > 1; i--) { /* Fisher–Yates */
      size_t j = (size_t)prc_rng_below(&r, i), t = idx[i - 1];
      idx[i - 1] = idx[j], idx[j] = t;
    }
    size_t k = (size_t)llround((double)m * f);
    for (size_t i = 0; i < m; i++) ntest += (size_t)(set[idx[i]] = i < k);
  }
  free(idx);
  if (!n || !ntest || ntest == n) return prc_seterr("random split with test fraction %g leaves the %s set empty (%zu groups)", f, ntest ? "training" : "test", n);
  return 0;
}

void prc_ts_clip(int c, int W, int n, int *g0, int *cnt, int *off)
{
  int a = c - W / 2, b = a + W; /* [a, b) in grid indices */
  int lo = a > 0 ? a : 0, hi = b < n ? b : n;
  *g0 = lo, *cnt = hi > lo ? hi - lo : 0, *off = lo - a;
  if (!*cnt) *g0 = 0, *off = 0;
}

void prc_ts_place(const float *blk, int nimg, int cy, int cx, int oy, int ox, int W, float *crop)
{
  size_t WW = (size_t)W * (size_t)W;
  for (int k = 0; k < nimg; k++) {
    float *c = crop + (size_t)k * WW;
    for (size_t p = 0; p < WW; p++) c[p] = NAN;
    for (int y = 0; y < cy; y++)
      memcpy(c + (size_t)(oy + y) * (size_t)W + (size_t)ox, blk + ((size_t)k * (size_t)cy + (size_t)y) * (size_t)cx, (size_t)cx * sizeof *c);
  }
}

double prc_ts_scale(float *img, size_t n, prc_ts_scaling mode)
{
  size_t nv = 0;
  double s = 0, lo = INFINITY, hi = -INFINITY;
  for (size_t p = 0; p < n; p++)
    if (isfinite(img[p])) nv++, s += img[p], lo = fmin(lo, img[p]), hi = fmax(hi, img[p]);
  double mean = nv ? s / (double)nv : 0, ss = 0;
  for (size_t p = 0; p < n; p++)
    if (isfinite(img[p])) ss += ((double)img[p] - mean) * ((double)img[p] - mean);
  double sd = nv ? sqrt(ss / (double)nv) : 0;
  int    zero = nv < 2 || (mode == PRC_TS_ZSCORE && !(sd > 0)) || (mode == PRC_TS_MINMAX && !(hi > lo));
  for (size_t p = 0; p < n; p++) {
    if (!isfinite(img[p]) || zero) img[p] = 0;
    else if (mode == PRC_TS_ZSCORE) img[p] = (float)(((double)img[p] - mean) / sd);
    else if (mode == PRC_TS_MINMAX) img[p] = (float)(((double)img[p] - lo) / (hi - lo));
  }
  return n ? (double)nv / (double)n : 0;
}

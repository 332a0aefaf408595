/* catalog_ops.c — operations on imported event lists (prc_evlist, read_catalog.h):
 * growth, merge, a total order for rank-independent sorting, exact-duplicate removal,
 * selection, and the point-in-polygon test of the region filter. Kernel layer. */
#include "precursor/error.h"
#include "precursor/read_catalog.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void prc_evlist_free(prc_evlist *ev)
{
  free(ev->time), free(ev->lat), free(ev->lon), free(ev->depth_km), free(ev->mag), free(ev->extra);
  free(ev->line), free(ev->mag_type), free(ev->source);
  memset(ev, 0, sizeof *ev);
}

#define GROW(p, cap) do { void *q_ = realloc((p), (cap) * sizeof *(p)); if (!q_) return prc_seterr("out of memory for %zu events", (size_t)(cap)); (p) = q_; } while (0)

static int reserve(prc_evlist *ev, size_t need)
{
  if (need <= ev->cap) return 0;
  size_t cap = ev->cap ? ev->cap : 1024;
  while (cap < need) cap *= 2;
  GROW(ev->time, cap); GROW(ev->lat, cap); GROW(ev->lon, cap); GROW(ev->depth_km, cap); GROW(ev->mag, cap);
  GROW(ev->extra, cap); GROW(ev->line, cap); GROW(ev->mag_type, cap); GROW(ev->source, cap);
  ev->cap = cap;
  return 0;
}

int prc_evlist_push(prc_evlist *ev, size_t *row)
{
  if (reserve(ev, ev->n + 1)) return 1;
  size_t i = ev->n++;
  ev->time[i] = ev->lat[i] = ev->lon[i] = ev->depth_km[i] = ev->mag[i] = ev->extra[i] = NAN;
  ev->line[i] = 0;
  memset(ev->mag_type[i], 0, PRC_EV_MAGTYPE_LEN);
  memset(ev->source[i], 0, PRC_EV_SOURCE_LEN);
  *row = i;
  return 0;
}

int prc_evlist_append(prc_evlist *dst, const prc_evlist *src)
{
  if (reserve(dst, dst->n + src->n)) return 1;
  size_t o = dst->n, n = src->n;
  memcpy(dst->time + o, src->time, n * sizeof(double)), memcpy(dst->lat + o, src->lat, n * sizeof(double));
  memcpy(dst->lon + o, src->lon, n * sizeof(double)), memcpy(dst->depth_km + o, src->depth_km, n * sizeof(double));
  memcpy(dst->mag + o, src->mag, n * sizeof(double)), memcpy(dst->extra + o, src->extra, n * sizeof(double));
  memcpy(dst->line + o, src->line, n * sizeof(long));
  memcpy(dst->mag_type + o, src->mag_type, n * PRC_EV_MAGTYPE_LEN), memcpy(dst->source + o, src->source, n * PRC_EV_SOURCE_LEN);
  dst->n += n;
  return 0;
}

/* NaN sorts after every number and equals NaN. */
static int dcmp(double a, double b)
{
  if (isnan(a) || isnan(b)) return isnan(a) - isnan(b);
  return (a > b) - (a < b);
}

static int row_cmp(const prc_evlist *e, size_t i, size_t j)
{
  int c;
  if ((c = dcmp(e->time[i], e->time[j])) || (c = dcmp(e->lat[i], e->lat[j])) || (c = dcmp(e->lon[i], e->lon[j])) ||
      (c = dcmp(e->depth_km[i], e->depth_km[j])) || (c = dcmp(e->mag[i], e->mag[j])))
    return c;
  if ((c = strncmp(e->mag_type[i], e->mag_type[j], PRC_EV_MAGTYPE_LEN)) || (c = strncmp(e->source[i], e->source[j], PRC_EV_SOURCE_LEN)))
    return c;
  return dcmp(e->extra[i], e->extra[j]);
}

static const prc_evlist *sort_list; /* qsort has no context argument; not reentrant (kernel used from one thread) */
static int idx_cmp(const void *a, const void *b)
{
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  int    c = row_cmp(sort_list, i, j);
  return c ? c : (i > j) - (i < j); /* equal rows: keep input order (only lines differ) */
}

#define PERMUTE(col, T, sz)                                                                                                   \
  do {                                                                                                                        \
    T *tmp_ = malloc((n ? n : 1) * (sz));                                                                                     \
    if (!tmp_) return free(ix), prc_seterr("out of memory sorting %zu events", n);                                            \
    for (size_t k = 0; k < n; k++) memcpy((char *)tmp_ + k * (sz), (char *)ev->col + ix[k] * (sz), (sz));                     \
    free(ev->col);                                                                                                            \
    ev->col = (void *)tmp_;                                                                                                   \
  } while (0)

int prc_evlist_sort(prc_evlist *ev)
{
  size_t n = ev->n, *ix = malloc((n ? n : 1) * sizeof *ix);
  if (!ix) return prc_seterr("out of memory sorting %zu events", n);
  for (size_t k = 0; k < n; k++) ix[k] = k;
  sort_list = ev;
  qsort(ix, n, sizeof *ix, idx_cmp);
  sort_list = NULL;
  PERMUTE(time, double, sizeof(double));
  PERMUTE(lat, double, sizeof(double));
  PERMUTE(lon, double, sizeof(double));
  PERMUTE(depth_km, double, sizeof(double));
  PERMUTE(mag, double, sizeof(double));
  PERMUTE(extra, double, sizeof(double));
  PERMUTE(line, long, sizeof(long));
  PERMUTE(mag_type, char, PRC_EV_MAGTYPE_LEN);
  PERMUTE(source, char, PRC_EV_SOURCE_LEN);
  ev->cap = n ? n : 1;
  free(ix);
  return 0;
}

size_t prc_evlist_compact(prc_evlist *ev, const unsigned char *keep)
{
  size_t m = 0, n = ev->n;
  for (size_t i = 0; i < n; i++) {
    if (!keep[i]) continue;
    if (m != i) {
      ev->time[m] = ev->time[i], ev->lat[m] = ev->lat[i], ev->lon[m] = ev->lon[i], ev->depth_km[m] = ev->depth_km[i];
      ev->mag[m] = ev->mag[i], ev->extra[m] = ev->extra[i], ev->line[m] = ev->line[i];
      memcpy(ev->mag_type[m], ev->mag_type[i], PRC_EV_MAGTYPE_LEN);
      memcpy(ev->source[m], ev->source[i], PRC_EV_SOURCE_LEN);
    }
    m++;
  }
  ev->n = m;
  return n - m;
}

size_t prc_evlist_dedup(prc_evlist *ev)
{
  if (ev->n < 2) return 0;
  unsigned char *keep = malloc(ev->n);
  if (!keep) return 0; /* nothing dropped rather than a crash; callers check counts */
  keep[0] = 1;
  for (size_t i = 1; i < ev->n; i++) keep[i] = row_cmp(ev, i - 1, i) != 0;
  size_t d = prc_evlist_compact(ev, keep);
  free(keep);
  return d;
}

int prc_polygon_parse(const char *s, double *xy, int max)
{
  int         n = 0;
  const char *p = s;
  while (*p) {
    char  *e;
    double lon = strtod(p, &e), lat;
    if (e == p || (*e != ' ' && *e != '\t')) return prc_seterr("polygon '%s': vertex %d is not 'lon lat'", s, n + 1), -1;
    p = e;
    lat = strtod(p, &e);
    if (e == p) return prc_seterr("polygon '%s': vertex %d has no latitude", s, n + 1), -1;
    while (*e == ' ' || *e == '\t') e++;
    if (*e && *e != ',') return prc_seterr("polygon '%s': unexpected text '%s' after vertex %d", s, e, n + 1), -1;
    if (!isfinite(lon) || !isfinite(lat) || lat < -90 || lat > 90 || lon < -180 || lon > 360)
      return prc_seterr("polygon '%s': vertex %d (%g %g) is not a lon in [-180, 360] and lat in [-90, 90]", s, n + 1, lon, lat), -1;
    if (n >= max) return prc_seterr("polygon '%s': more than %d vertices", s, max), -1;
    xy[2 * n] = lon, xy[2 * n + 1] = lat, n++;
    p = *e ? e + 1 : e;
    while (*p == ' ') p++;
  }
  if (n >= 2 && xy[0] == xy[2 * n - 2] && xy[1] == xy[2 * n - 1]) n--; /* closing vertex repeated */
  if (n < 3) return prc_seterr("polygon '%s': needs at least 3 distinct vertices, found %d", s, n), -1;
  return n;
}

int prc_point_in_polygon(const double *xy, int nv, double lon, double lat)
{
  int in = 0;
  for (int i = 0, j = nv - 1; i < nv; j = i++) {
    double xi = xy[2 * i], yi = xy[2 * i + 1], xj = xy[2 * j], yj = xy[2 * j + 1];
    /* edge (j, i) straddles the horizontal line through the point, crossing to its east */
    if ((yi > lat) != (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi) in = !in;
  }
  return in;
}

/* kmeans.c — k-means / k-medians (city block) with k-means++ seeding
 * (include/precursor/kmeans.h). Kernel: no MPI. */
#include "precursor/kmeans.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/error.h"
#include "precursor/rng.h"

double prc_km_dist(const double *a, const double *b, prc_km_metric metric)
{
  double dx = a[0] - b[0], dy = a[1] - b[1];
  return metric == PRC_KM_CITYBLOCK ? fabs(dx) + fabs(dy) : dx * dx + dy * dy;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Nearest centroid (ties: lowest index). */
static int nearest(const double *p, const double *c, int k, prc_km_metric metric, double *d)
{
  int    best = 0;
  double bd = prc_km_dist(p, c, metric);
  for (int j = 1; j < k; j++) {
    double e = prc_km_dist(p, c + 2 * j, metric);
    if (e < bd) bd = e, best = j;
  }
  *d = bd;
  return best;
}

/* k-means++ seeds: the first uniformly, each next one with probability D(x) / sum D. */
static void seed_plus_plus(const double *x, size_t n, int k, prc_km_metric metric, prc_rng *r, double *c, double *D)
{
  size_t i0 = (size_t)(prc_rng_uniform(r) * (double)n);
  if (i0 >= n) i0 = n - 1;
  c[0] = x[2 * i0], c[1] = x[2 * i0 + 1];
  for (size_t i = 0; i < n; i++) D[i] = prc_km_dist(x + 2 * i, c, metric);
  for (int j = 1; j < k; j++) {
    double tot = 0;
    for (size_t i = 0; i < n; i++) tot += D[i];
    size_t pick = n - 1;
    if (tot > 0) {
      double u = prc_rng_uniform(r) * tot, acc = 0;
      for (size_t i = 0; i < n; i++) {
        acc += D[i];
        if (acc > u && D[i] > 0) {
          pick = i;
          break;
        }
      }
    } else /* all points coincide with seeds: any point */
      pick = (size_t)j % n;
    c[2 * j] = x[2 * pick], c[2 * j + 1] = x[2 * pick + 1];
    for (size_t i = 0; i < n; i++) {
      double e = prc_km_dist(x + 2 * i, c + 2 * j, metric);
      if (e < D[i]) D[i] = e;
    }
  }
}

int prc_kmeans(const double *x, size_t n, int k, prc_km_metric metric, int max_iter, uint64_t seed, uint64_t replicate,
               double *centroids, int *assign, double *cost, int *iters)
{
  if (k < 1 || (size_t)k > n) return prc_seterr("k-means: k = %d clusters for %zu points (expected 1 <= k <= n)", k, n);
  if (max_iter < 1) return prc_seterr("k-means: max_iter %d < 1", max_iter);
  if (metric != PRC_KM_SQEUCLIDEAN && metric != PRC_KM_CITYBLOCK) return prc_seterr("k-means: unknown metric %d", (int)metric);
  for (size_t i = 0; i < 2 * n; i++)
    if (!isfinite(x[i])) return prc_seterr("k-means: coordinate %zu of point %zu is not finite", i % 2, i / 2);
  double *D = malloc(n * sizeof *D), *buf = malloc(n * sizeof *buf);
  int    *cnt = malloc((size_t)k * sizeof *cnt);
  if (!D || !buf || !cnt) {
    free(D), free(buf), free(cnt);
    return prc_seterr("k-means: out of memory for %zu points", n);
  }
  prc_rng r;
  prc_rng_seed(&r, seed, replicate);
  seed_plus_plus(x, n, k, metric, &r, centroids, D);
  for (size_t i = 0; i < n; i++) assign[i] = -1;
  int it = 0;
  for (; it < max_iter; it++) {
    int changed = 0;
    for (size_t i = 0; i < n; i++) {
      int a = nearest(x + 2 * i, centroids, k, metric, &D[i]);
      if (a != assign[i]) assign[i] = a, changed = 1;
    }
    if (!changed) break;
    /* update: mean or coordinate-wise median of each cluster */
    memset(cnt, 0, (size_t)k * sizeof *cnt);
    for (size_t i = 0; i < n; i++) cnt[assign[i]]++;
    for (int j = 0; j < k; j++) {
      if (!cnt[j]) { /* empty: the point farthest from its centroid becomes this centroid */
        size_t far = 0;
        for (size_t i = 1; i < n; i++)
          if (D[i] > D[far]) far = i;
        centroids[2 * j] = x[2 * far], centroids[2 * j + 1] = x[2 * far + 1];
        D[far] = 0;
        continue;
      }
      for (int d = 0; d < 2; d++) {
        size_t m = 0;
        double s = 0;
        for (size_t i = 0; i < n; i++)
          if (assign[i] == j) buf[m++] = x[2 * i + d], s += x[2 * i + d];
        if (metric == PRC_KM_SQEUCLIDEAN) centroids[2 * j + d] = s / (double)m;
        else {
          qsort(buf, m, sizeof *buf, cmp_double);
          centroids[2 * j + d] = buf[(m - 1) / 2];
        }
      }
    }
  }
  double tot = 0;
  for (size_t i = 0; i < n; i++) tot += prc_km_dist(x + 2 * i, centroids + 2 * assign[i], metric);
  *cost = tot;
  if (iters) *iters = it;
  free(D), free(buf), free(cnt);
  return 0;
}

typedef struct {
  double y, x;
  int    j;
} cent_key;

static int cent_cmp(const void *a, const void *b)
{
  const cent_key *p = a, *q = b;
  if (p->y != q->y) return p->y < q->y ? -1 : 1;
  if (p->x != q->x) return p->x < q->x ? -1 : 1;
  return p->j - q->j;
}

void prc_kmeans_canonical(double *centroids, int *assign, size_t n, int k, int *counts)
{
  cent_key *key = malloc((size_t)k * sizeof *key);
  int      *to = malloc((size_t)k * sizeof *to);
  double   *c = malloc((size_t)k * 2 * sizeof *c);
  if (!key || !to || !c) { /* leave as is */
    free(key), free(to), free(c);
    return;
  }
  for (int j = 0; j < k; j++) key[j] = (cent_key){centroids[2 * j + 1], centroids[2 * j], j};
  qsort(key, (size_t)k, sizeof *key, cent_cmp);
  for (int q = 0; q < k; q++) to[key[q].j] = q, c[2 * q] = centroids[2 * key[q].j], c[2 * q + 1] = centroids[2 * key[q].j + 1];
  memcpy(centroids, c, (size_t)k * 2 * sizeof *c);
  for (size_t i = 0; i < n; i++) assign[i] = to[assign[i]];
  if (counts) {
    memset(counts, 0, (size_t)k * sizeof *counts);
    for (size_t i = 0; i < n; i++) counts[assign[i]]++;
  }
  free(key), free(to), free(c);
}

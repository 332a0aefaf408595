/* test_kmeans.c — k-means / k-medians kernel (src/seismo/kmeans.c): exhaustive optimum on
 * small sets, the fixed-point conditions of a returned solution (every point with its
 * nearest centroid; every centroid the mean / coordinate-wise median of its members),
 * recovery of separated blobs, determinism per (seed, replicate), canonical order, errors. */
#include "ptest.h"

#include "precursor/error.h"
#include "precursor/kmeans.h"
#include "precursor/rng.h"

#include <stdlib.h>
#include <string.h>

static int cmpd(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* optimal cost of a given partition: mean (sqeuclidean) or lower median (cityblock) per axis */
static double partition_cost(const double *x, int n, const int *a, int k, prc_km_metric m)
{
  double tot = 0, buf[64], c[2];
  for (int j = 0; j < k; j++) {
    int cnt = 0;
    for (int d = 0; d < 2; d++) {
      double s = 0;
      cnt = 0;
      for (int i = 0; i < n; i++)
        if (a[i] == j) buf[cnt++] = x[2 * i + d], s += x[2 * i + d];
      if (!cnt) break;
      if (m == PRC_KM_SQEUCLIDEAN) c[d] = s / cnt;
      else qsort(buf, (size_t)cnt, sizeof *buf, cmpd), c[d] = buf[(cnt - 1) / 2];
    }
    if (!cnt) return INFINITY; /* empty cluster: not a k-partition */
    for (int i = 0; i < n; i++)
      if (a[i] == j) tot += prc_km_dist(x + 2 * i, c, m);
  }
  return tot;
}

static void check_fixed_point(const double *x, size_t n, int k, prc_km_metric m, const double *c, const int *a, double cost)
{
  double tot = 0;
  for (size_t i = 0; i < n; i++) {
    double d = prc_km_dist(x + 2 * i, c + 2 * a[i], m);
    tot += d;
    for (int j = 0; j < k; j++) PT_CHECK(prc_km_dist(x + 2 * i, c + 2 * j, m) >= d, "point %zu is nearer to centroid %d than to its own %d", i, j, a[i]);
  }
  PT_NEAR(cost, tot, 1e-9 * tot, 1e-12);
  double *buf = malloc(n * sizeof *buf);
  for (int j = 0; j < k; j++)
    for (int d = 0; d < 2; d++) {
      size_t cnt = 0;
      double s = 0;
      for (size_t i = 0; i < n; i++)
        if (a[i] == j) buf[cnt++] = x[2 * i + d], s += x[2 * i + d];
      PT_CHECK(cnt > 0, "cluster %d empty", j);
      if (!cnt) continue;
      qsort(buf, cnt, sizeof *buf, cmpd);
      double want = m == PRC_KM_SQEUCLIDEAN ? s / (double)cnt : buf[(cnt - 1) / 2];
      PT_NEAR(c[2 * j + d], want, 1e-12 * (1 + fabs(want)), 1e-12);
    }
  free(buf);
}

/* n = 10 random points, k = 2 and 3: the best of 30 replicates reaches the exhaustive optimum. */
static void test_exhaustive(void)
{
  enum { N = 10 };
  double x[2 * N];
  prc_rng r;
  prc_rng_seed(&r, 5, 0);
  for (int i = 0; i < 2 * N; i++) x[i] = prc_rng_normal(&r) * 10 + (i % 4 < 2 ? 0 : 25);
  for (int m = 0; m < 2; m++)
    for (int k = 2; k <= 3; k++) {
      int    a[N], best_a[N];
      double opt = INFINITY;
      long   total = 1;
      for (int i = 0; i < N; i++) total *= k;
      for (long code = 0; code < total; code++) {
        long c = code;
        for (int i = 0; i < N; i++) a[i] = (int)(c % k), c /= k;
        double v = partition_cost(x, N, a, k, (prc_km_metric)m);
        if (v < opt) opt = v, memcpy(best_a, a, sizeof a);
      }
      double best = INFINITY, cen[6], cost;
      for (int rep = 0; rep < 30; rep++) {
        PT_CHECK(!prc_kmeans(x, N, k, (prc_km_metric)m, 100, 9, (uint64_t)rep, cen, a, &cost, NULL), "%s", prc_lasterr());
        check_fixed_point(x, N, k, (prc_km_metric)m, cen, a, cost);
        if (cost < best) best = cost;
      }
      PT_NEAR(best, opt, 1e-9 * opt, 0);
      printf("  # metric %s k %d: exhaustive optimum %.6g over %ld partitions, best of 30 replicates %.6g\n", m ? "cityblock" : "sqeuclidean",
              k, opt, total, best);
    }
}

/* 5 blobs of 200 points, sd 1, centres 30 apart: every replicate of k-means++ finds them. */
static void test_blobs(void)
{
  enum { K = 5, P = 200 };
  double  cx[K] = {0, 30, 60, 0, 30}, cy[K] = {0, 0, 0, 30, 30}, *x = malloc(2 * K * P * sizeof *x), cen[2 * K], cost;
  int    *a = malloc(K * P * sizeof *a), truth[K * P], cnt[K];
  prc_rng r;
  prc_rng_seed(&r, 1, 0);
  for (int j = 0; j < K; j++)
    for (int p = 0; p < P; p++) x[2 * (j * P + p)] = cx[j] + prc_rng_normal(&r), x[2 * (j * P + p) + 1] = cy[j] + prc_rng_normal(&r), truth[j * P + p] = j;
  for (int m = 0; m < 2; m++) {
    int found = 0;
    for (int rep = 0; rep < 10; rep++) {
      PT_CHECK(!prc_kmeans(x, K * P, K, (prc_km_metric)m, 300, 3, (uint64_t)rep, cen, a, &cost, NULL), "%s", prc_lasterr());
      check_fixed_point(x, K * P, K, (prc_km_metric)m, cen, a, cost);
      /* a pure partition: the map truth -> cluster is one-to-one */
      int map[K], pure = 1;
      for (int j = 0; j < K; j++) map[j] = -1;
      for (int i = 0; i < K * P; i++) {
        if (map[truth[i]] < 0) map[truth[i]] = a[i];
        else if (map[truth[i]] != a[i]) pure = 0;
      }
      found += pure;
    }
    PT_CHECK(found >= 8, "%s: only %d of 10 replicates recovered the 5 blobs", m ? "cityblock" : "sqeuclidean", found);
    prc_kmeans_canonical(cen, a, K * P, K, cnt);
    for (int j = 0; j < K; j++) PT_CHECK(cnt[j] == P, "cluster %d has %d points", j, cnt[j]);
    for (int j = 1; j < K; j++) PT_CHECK(cen[2 * j + 1] > cen[2 * j - 1] || (cen[2 * j + 1] == cen[2 * j - 1] && cen[2 * j] > cen[2 * j - 2]) ||
                                             fabs(cen[2 * j + 1] - cen[2 * j - 1]) < 5,
                                         "canonical order broken at %d", j);
  }
  /* determinism: the same (seed, replicate) gives the same result bit for bit */
  double c1[2 * K], c2[2 * K], k1, k2;
  int   *a2 = malloc(K * P * sizeof *a2);
  PT_CHECK(!prc_kmeans(x, K * P, K, PRC_KM_CITYBLOCK, 300, 3, 7, c1, a, &k1, NULL) && !prc_kmeans(x, K * P, K, PRC_KM_CITYBLOCK, 300, 3, 7, c2, a2, &k2, NULL),
           "%s", prc_lasterr());
  PT_CHECK(!memcmp(c1, c2, sizeof c1) && !memcmp(a, a2, K * P * sizeof *a) && k1 == k2, "same seed, different result");
  free(x), free(a), free(a2);
}

static void test_errors(void)
{
  double x[6] = {0, 0, 1, 1, 2, NAN}, c[8], cost;
  int    a[3];
  PT_CHECK(prc_kmeans(x, 2, 3, PRC_KM_CITYBLOCK, 10, 1, 0, c, a, &cost, NULL) && strstr(prc_lasterr(), "k = 3 clusters for 2 points"), "%s",
           prc_lasterr());
  PT_CHECK(prc_kmeans(x, 2, 0, PRC_KM_CITYBLOCK, 10, 1, 0, c, a, &cost, NULL), "k = 0 accepted");
  PT_CHECK(prc_kmeans(x, 3, 2, PRC_KM_CITYBLOCK, 10, 1, 0, c, a, &cost, NULL) && strstr(prc_lasterr(), "point 2"), "%s", prc_lasterr());
  /* all points equal: k = 2 still returns (zero cost) */
  double y[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  int    b[4];
  PT_CHECK(!prc_kmeans(y, 4, 2, PRC_KM_SQEUCLIDEAN, 10, 1, 0, c, b, &cost, NULL) && cost == 0, "%s", prc_lasterr());
}

int main(int argc, char **argv)
{
  (void)argc;
  pt_set_prog(argv[0]);
  PT_RUN(test_exhaustive);
  PT_RUN(test_blobs);
  PT_RUN(test_errors);
  return pt_finish();
}

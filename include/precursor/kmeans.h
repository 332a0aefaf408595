/* precursor/kmeans.h — k-means of points in the plane for the location classes of event
 * detection (paper 004 after Perol et al. 2018; docs/DETECTION.md "Location classes").
 * Kernel layer: no MPI.
 *
 * Lloyd iterations from k-means++ seeds (Arthur & Vassilvitskii 2007) with either
 *  - PRC_KM_SQEUCLIDEAN: cost sum ||x - c||^2, centroid = coordinate-wise mean, or
 *  - PRC_KM_CITYBLOCK:   cost sum |x - c|_1,  centroid = coordinate-wise median (the minimiser
 *    of the L1 cost, as MATLAB's kmeans 'cityblock'; lower median for an even count);
 * k-means++ draws the next seed with probability proportional to D(x) for the chosen
 * distance (squared Euclidean, or L1). An empty cluster is re-seeded with the point farthest
 * from its centroid. Iterations stop when no assignment changes (or max_iter). Ties in the
 * assignment go to the lowest cluster index. A replicate depends only on (seed, replicate),
 * so replicates can run on any rank. All functions return 0 or non-zero after prc_seterr(). */
#ifndef PRECURSOR_KMEANS_H
#define PRECURSOR_KMEANS_H

#include <stddef.h>
#include <stdint.h>

typedef enum { PRC_KM_SQEUCLIDEAN = 0, PRC_KM_CITYBLOCK = 1 } prc_km_metric;

/* One replicate: x (n x 2, row-major), k clusters (1 <= k <= n). Outputs: centroids (k x 2),
 * assign (n, in 0..k-1), *cost (the metric's total), *iters. */
int prc_kmeans(const double *x, size_t n, int k, prc_km_metric metric, int max_iter, uint64_t seed, uint64_t replicate,
               double *centroids, int *assign, double *cost, int *iters);
/* Distance of the metric between two points (squared Euclidean or L1). */
double prc_km_dist(const double *a, const double *b, prc_km_metric metric);
/* Relabel clusters in a canonical order (by centroid y, then x, ascending) so that equal
 * solutions from different replicates compare equal; counts (k) may be NULL. */
void prc_kmeans_canonical(double *centroids, int *assign, size_t n, int k, int *counts);

#endif

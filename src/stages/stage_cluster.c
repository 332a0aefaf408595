/* stage_cluster.c — `precursor cluster`: location classes for event detection (paper 004
 * after Perol et al. 2018; docs/DETECTION.md): k-means (city block or squared Euclidean)
 * of the catalog's epicentres with k-means++ seeds and several replicates, the best kept;
 * the classes written back to the catalog.
 *
 * Parallel plan: replicate r runs on rank r mod P (a replicate depends only on -seed and r);
 * the best (least cost, then lowest replicate) is agreed with one MPI_Allgather and
 * broadcast by its rank; clusters are relabelled canonically (by centroid latitude, then
 * longitude). The result is identical on any rank count (tested). */
#include <math.h>
#include <string.h>

#include "precursor/catalog.h"
#include "precursor/error.h"
#include "precursor/kmeans.h"
#include "precursor/plot.h"
#include "precursor/progress.h"
#include "precursor/stage.h"

#define KM_PER_DEG (6371.0 * M_PI / 180) /* km per degree on the mean Earth radius (111.195) */

static const prc_opt_spec cluster_opts[] = {
  {"cluster_catalog", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "catalog to cluster (catalog.h5 of import-catalog or synth)"},
  {"cluster_k", PRC_OPT_INT, "6", 1, 10000, "number of clusters (location classes)"},
  {"cluster_metric", PRC_OPT_STRING, "cityblock", PRC_NO_RANGE,
   "cityblock (k-medians: L1 cost, coordinate-wise median centroids) or sqeuclidean (k-means)"},
  {"cluster_replicates", PRC_OPT_INT, "10", 1, 100000, "independent k-means++ starts; the least-cost solution is kept"},
  {"cluster_max_iter", PRC_OPT_INT, "300", 1, 1e7, "maximum Lloyd iterations per replicate"},
  {"cluster_mmin", PRC_OPT_REAL, "-10", PRC_NO_RANGE, "only events with magnitude >= this are clustered (the others get class -1)"},
  {"cluster_lat_min", PRC_OPT_REAL, "-90", -90, 90, "region: southern limit (degrees)"},
  {"cluster_lat_max", PRC_OPT_REAL, "90", -90, 90, "region: northern limit (degrees)"},
  {"cluster_lon_min", PRC_OPT_REAL, "-180", -180, 180, "region: western limit (degrees)"},
  {"cluster_lon_max", PRC_OPT_REAL, "180", -180, 180, "region: eastern limit (degrees)"},
  {"cluster_png", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "write cluster_map.png (events coloured by class, centroids)"},
};

static void cluster_validate(prc_opts *o)
{
  const char *m = prc_opts_string(o, "cluster_metric");
  if (strcmp(m, "cityblock") && strcmp(m, "sqeuclidean")) prc_opts_violation(o, "-cluster_metric '%s': expected cityblock or sqeuclidean", m);
  if (!(prc_opts_real(o, "cluster_lat_min") < prc_opts_real(o, "cluster_lat_max")))
    prc_opts_violation(o, "-cluster_lat_min must be below -cluster_lat_max");
  if (!(prc_opts_real(o, "cluster_lon_min") < prc_opts_real(o, "cluster_lon_max")))
    prc_opts_violation(o, "-cluster_lon_min must be below -cluster_lon_max");
}

static PetscErrorCode cluster_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  const char     *in = prc_opts_string(o, "cluster_catalog"), *out = prc_opts_string(o, "out_dir");
  prc_catalog     c;
  char            path[4200];
  PetscFunctionBeginUser;
  PetscCall(prc_ctx_add_input(ctx, in));
  PetscCall(prc_catalog_read(ctx->comm, in, &c));
  const int     k = (int)prc_opts_int(o, "cluster_k"), R = (int)prc_opts_int(o, "cluster_replicates");
  prc_km_metric metric = strcmp(prc_opts_string(o, "cluster_metric"), "cityblock") ? PRC_KM_SQEUCLIDEAN : PRC_KM_CITYBLOCK;
  double        mmin = prc_opts_real(o, "cluster_mmin"), la0 = prc_opts_real(o, "cluster_lat_min"), la1 = prc_opts_real(o, "cluster_lat_max"),
         lo0 = prc_opts_real(o, "cluster_lon_min"), lo1 = prc_opts_real(o, "cluster_lon_max");
  /* selection and the local projection (equirectangular about the selection's mean point) */
  size_t *idx, n = 0;
  PetscCall(PetscMalloc1(c.n + 1, &idx));
  double mlat = 0, mlon = 0;
  for (size_t i = 0; i < c.n; i++)
    if (c.mag[i] >= mmin && c.lat[i] >= la0 && c.lat[i] <= la1 && c.lon[i] >= lo0 && c.lon[i] <= lo1) idx[n++] = i, mlat += c.lat[i], mlon += c.lon[i];
  PetscCheck(n >= (size_t)k, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE,
             "'%s': %zu events selected (M >= %g in the region), fewer than -cluster_k %d", in, n, mmin, k);
  mlat /= (double)n, mlon /= (double)n;
  double  kx = KM_PER_DEG * cos(mlat * M_PI / 180), *x;
  int    *as, *best_as;
  PetscCall(PetscMalloc3(2 * n, &x, n, &as, n, &best_as));
  for (size_t q = 0; q < n; q++) x[2 * q] = (c.lon[idx[q]] - mlon) * kx, x[2 * q + 1] = (c.lat[idx[q]] - mlat) * KM_PER_DEG;
  /* replicates */
  double *cen, *best_cen, best = INFINITY;
  int     best_r = -1, best_it = 0, ok = 1;
  char    msg[1024] = "";
  PetscCall(PetscMalloc2(2 * (size_t)k, &cen, 2 * (size_t)k, &best_cen));
  prc_progress prog;
  prc_progress_start(&prog, ctx->comm, "cluster", "replicates", "replicates", (double)((R + ctx->size - 1) / ctx->size),
                     prc_opts_real(o, "progress_interval"), prc_opts_bool(o, "quiet"));
  double done = 0;
  for (int r = ctx->rank; r < R && ok; r += ctx->size) {
    double cost;
    int    it;
    if (prc_kmeans(x, n, k, metric, (int)prc_opts_int(o, "cluster_max_iter"), (uint64_t)prc_opts_int(o, "seed"), (uint64_t)r, cen, as, &cost,
                   &it)) {
      ok = 0, snprintf(msg, sizeof msg, "replicate %d: %s", r, prc_lasterr());
      break;
    }
    if (cost < best) best = cost, best_r = r, best_it = it, memcpy(best_cen, cen, 2 * (size_t)k * sizeof *cen), memcpy(best_as, as, n * sizeof *as);
    prc_progress_update(&prog, ++done);
  }
  prc_progress_end(&prog);
  {
    int first = ok ? ctx->size : ctx->rank;
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, ctx->comm));
    if (first < ctx->size) {
      PetscCallMPI(MPI_Bcast(msg, sizeof msg, MPI_CHAR, first, ctx->comm));
      SETERRQ(ctx->comm, PETSC_ERR_LIB, "'%s': %s", in, msg);
    }
  }
  /* the best over ranks: least cost, then lowest replicate index */
  double *all;
  PetscCall(PetscMalloc1(2 * (size_t)ctx->size, &all));
  double mine[2] = {best, best_r < 0 ? 1e300 : (double)best_r};
  PetscCallMPI(MPI_Allgather(mine, 2, MPI_DOUBLE, all, 2, MPI_DOUBLE, ctx->comm));
  int owner = 0;
  for (int p = 1; p < ctx->size; p++)
    if (all[2 * p] < all[2 * owner] || (all[2 * p] == all[2 * owner] && all[2 * p + 1] < all[2 * owner + 1])) owner = p;
  PetscCall(PetscFree(all));
  int hdr[2] = {best_r, best_it};
  PetscCallMPI(MPI_Bcast(hdr, 2, MPI_INT, owner, ctx->comm));
  PetscCallMPI(MPI_Bcast(&best, 1, MPI_DOUBLE, owner, ctx->comm));
  PetscCallMPI(MPI_Bcast(best_cen, 2 * k, MPI_DOUBLE, owner, ctx->comm));
  PetscCallMPI(MPI_Bcast(best_as, (int)n, MPI_INT, owner, ctx->comm));
  int *cnt, *cls;
  PetscCall(PetscMalloc2(k, &cnt, c.n + 1, &cls));
  prc_kmeans_canonical(best_cen, best_as, n, k, cnt);
  for (size_t i = 0; i < c.n; i++) cls[i] = -1;
  for (size_t q = 0; q < n; q++) cls[idx[q]] = best_as[q];
  double *clat, *clon, *cd;
  PetscCall(PetscMalloc3(k, &clat, k, &clon, k, &cd));
  for (int j = 0; j < k; j++) {
    clon[j] = mlon + best_cen[2 * j] / kx, clat[j] = mlat + best_cen[2 * j + 1] / KM_PER_DEG, cd[j] = 0;
    cnt[j] = 0;
  }
  for (size_t q = 0; q < n; q++) { /* mean distance (km, Euclidean) of members to their centroid */
    int    j = best_as[q];
    double dx = x[2 * q] - best_cen[2 * j], dy = x[2 * q + 1] - best_cen[2 * j + 1];
    cd[j] += sqrt(dx * dx + dy * dy), cnt[j]++;
  }
  for (int j = 0; j < k; j++) cd[j] = cnt[j] ? cd[j] / cnt[j] : NAN;
  /* output: the whole catalog + /catalog/cluster, /clusters */
  PetscCheck((size_t)snprintf(path, sizeof path, "%s/catalog.h5", out) < sizeof path, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "output path too long");
  prc_h5out f;
  hid_t     g;
  PetscCall(prc_h5_create(ctx->comm, path, "catalog", &f));
  PetscCall(prc_catalog_write(ctx->comm, f.fid, &c));
  g = H5Gopen2(f.fid, "catalog", H5P_DEFAULT);
  PetscCall(prc_h5_write_col(ctx->comm, g, "cluster", H5T_NATIVE_INT, c.n, cls));
  H5Gclose(g);
  PetscCall(prc_h5_group(f.fid, "clusters", &g));
  PetscCall(prc_h5_write_col(ctx->comm, g, "lat", H5T_NATIVE_DOUBLE, (hsize_t)k, clat));
  PetscCall(prc_h5_write_col(ctx->comm, g, "lon", H5T_NATIVE_DOUBLE, (hsize_t)k, clon));
  PetscCall(prc_h5_write_col(ctx->comm, g, "count", H5T_NATIVE_INT, (hsize_t)k, cnt));
  PetscCall(prc_h5_write_col(ctx->comm, g, "mean_distance_km", H5T_NATIVE_DOUBLE, (hsize_t)k, cd));
  PetscCall(prc_h5_attr_str(g, "metric", metric == PRC_KM_CITYBLOCK ? "cityblock" : "sqeuclidean"));
  PetscCall(prc_h5_attr_double(g, "cost", best));
  PetscCall(prc_h5_attr_str(g, "cost_units", metric == PRC_KM_CITYBLOCK ? "km (sum of L1 distances)" : "km^2 (sum of squared distances)"));
  PetscCall(prc_h5_attr_int(g, "best_replicate", hdr[0]));
  PetscCall(prc_h5_attr_int(g, "iterations", hdr[1]));
  PetscCall(prc_h5_attr_int(g, "replicates", R));
  PetscCall(prc_h5_attr_int(g, "events_clustered", (long long)n));
  double po[2] = {mlat, mlon};
  PetscCall(prc_h5_attr_doubles(g, "projection_origin_lat_lon", 2, po));
  PetscCall(prc_h5_attr_str(g, "projection", "x = (lon - lon0) cos(lat0) 111.195 km, y = (lat - lat0) 111.195 km (equirectangular about the events' mean)"));
  PetscCall(prc_h5_attr_str(g, "order", "clusters sorted by centroid latitude, then longitude; /catalog/cluster = -1 for events not clustered"));
  H5Gclose(g);
  PetscCall(prc_h5_commit(&f, ctx));
  /* picture (rank 0) */
  int pok = 1;
  if (!ctx->rank && prc_opts_bool(o, "cluster_png")) {
    prc_series *s;
    double     *px, *py;
    char      (*lab)[48];
    /* every point takes 2 slots (the point, then NaN: isolated points are drawn as dots) */
    PetscCall(PetscMalloc4(k + 1, &s, 2 * n + 2 * (size_t)k, &px, 2 * n + 2 * (size_t)k, &py, k, &lab));
    size_t off = 0;
    for (int j = 0; j < k; j++) {
      size_t st = off;
      for (size_t q = 0; q < n; q++)
        if (best_as[q] == j) px[off] = c.lon[idx[q]], py[off] = c.lat[idx[q]], px[off + 1] = py[off + 1] = NAN, off += 2;
      snprintf(lab[j], sizeof lab[j], "class %d (%d)", j, cnt[j]);
      s[j] = (prc_series){px + st, py + st, (int)(off - st), k <= 12 ? lab[j] : NULL, 0};
    }
    size_t st = off;
    for (int j = 0; j < k; j++) px[off] = clon[j], py[off] = clat[j], px[off + 1] = py[off + 1] = NAN, off += 2;
    s[k] = (prc_series){px + st, py + st, (int)(off - st), "centroids", 0x101010};
    char ttl[256];
    snprintf(ttl, sizeof ttl, "%d location classes of %zu events (%s, best of %d replicates)", k, n,
             metric == PRC_KM_CITYBLOCK ? "city block" : "Euclidean", R);
    prc_lines_style ls = {.title = ttl, .xlabel = "longitude (deg)", .ylabel = "latitude (deg)", .width = 800, .height = 700};
    snprintf(path, sizeof path, "%s/cluster_map.png", out);
    if (prc_plot_lines_png(path, s, k + 1, &ls)) pok = 0, snprintf(msg, sizeof msg, "%s", prc_lasterr());
    PetscCall(PetscFree4(s, px, py, lab));
  }
  PetscCallMPI(MPI_Bcast(&pok, 1, MPI_INT, 0, ctx->comm));
  PetscCallMPI(MPI_Bcast(msg, sizeof msg, MPI_CHAR, 0, ctx->comm));
  PetscCheck(pok, ctx->comm, PETSC_ERR_FILE_WRITE, "cluster_map.png in '%s': %s", out, msg);
  prc_say(ctx->comm, "[cluster] %zu of %zu events in %d classes (%s, best of %d replicates: #%d, %d iterations, cost %.6g %s)\n", n, c.n, k,
          metric == PRC_KM_CITYBLOCK ? "city block" : "squared Euclidean", R, hdr[0], hdr[1], best, metric == PRC_KM_CITYBLOCK ? "km" : "km^2");
  for (int j = 0; j < k && !prc_opts_bool(o, "quiet"); j++)
    prc_say(ctx->comm, "[cluster]   class %d: %d events, centroid %.3f N %.3f E, mean distance %.1f km\n", j, cnt[j], clat[j], clon[j], cd[j]);
  prc_say(ctx->comm, "[cluster] outputs in %s/ (catalog.h5 with /catalog/cluster and /clusters%s)\n", out,
          prc_opts_bool(o, "cluster_png") ? ", cluster_map.png" : "");
  PetscCall(PetscFree3(clat, clon, cd));
  PetscCall(PetscFree2(cnt, cls));
  PetscCall(PetscFree2(cen, best_cen));
  PetscCall(PetscFree3(x, as, best_as));
  PetscCall(PetscFree(idx));
  PetscCall(prc_catalog_free(&c));
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_cluster = {"cluster", "location classes for event detection: k-means (city block or Euclidean) of catalog epicentres",
                                     cluster_opts, (int)(sizeof cluster_opts / sizeof cluster_opts[0]), cluster_validate, cluster_run};

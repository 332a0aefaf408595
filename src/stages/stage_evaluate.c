/* stage_evaluate.c — `precursor evaluate`: verification of a forecast table (docs/EVALUATION.md).
 *
 * Input: a "forecast" file (docs/DATA_MODEL.md): /forecast/{cell, time, score} with
 * optional /forecast/weight and /forecast/observed; observations either from that column
 * or derived from a catalog ("M >= -eval_mmin within the next N days in the cell", cells of
 * the regular lat/lon grid described by the /forecast attributes).
 * Output: -out_dir/evaluation.h5 (scores with bootstrap intervals at each threshold, ROC,
 * Molchan diagram with the random-guess bounds, reliability bins) and roc.png,
 * molchan.png, reliability.png.
 *
 * Parallelism: the tables are small, so every rank reads the whole table and computes the
 * point estimates and curves itself (the same values on every rank, so every input check
 * fails identically everywhere and nobody waits); only the bootstrap replicates are split
 * across ranks (replicate b uses the stream (seed, b), so the result does not depend on
 * the rank count) and gathered on rank 0, which writes the datasets. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "precursor/catalog.h"
#include "precursor/decomp.h"
#include "precursor/error.h"
#include "precursor/plot.h"
#include "precursor/progress.h"
#include "precursor/scores.h"
#include "precursor/stage.h"
#include "precursor/timeutil.h"

#define MAX_THR 64
#define MAX_ALPHA 8
#define NBOUND 201

static const prc_opt_spec eval_opts[] = {
  {"eval_input", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "forecast file (kind 'forecast': /forecast/{cell,time,score}[,weight][,observed])"},
  {"eval_catalog", PRC_OPT_STRING, "none", PRC_NO_RANGE,
   "catalog file: observations = events M >= -eval_mmin in the unit's cell within the next N days ('none': /forecast/observed)"},
  {"eval_mmin", PRC_OPT_REAL, "5", -2, 10, "target magnitude (catalog observations)"},
  {"eval_days", PRC_OPT_REAL, "0", 0, 36600,
   "N: forecast horizon in days after each unit's time (catalog observations; 0 = the /forecast attribute horizon_days)"},
  {"eval_thresholds", PRC_OPT_STRING, "0.5", PRC_NO_RANGE, "alarm when score >= threshold; comma-separated list (at most 64)"},
  {"eval_tau_weight", PRC_OPT_STRING, "auto", PRC_NO_RANGE,
   "space-time measure of a unit for Molchan/gain: auto (/forecast/weight if present, else uniform), uniform, column, area (grid cell area)"},
  {"eval_bootstrap", PRC_OPT_INT, "200", 1, 1e6, "bootstrap replicates B (units resampled with replacement)"},
  {"eval_ci_level", PRC_OPT_REAL, "0.95", 0.01, 0.999, "confidence level of the percentile intervals"},
  {"eval_alpha", PRC_OPT_STRING, "0.05,0.01", PRC_NO_RANGE, "significance levels of the Molchan random-guess bounds, each in (0, 1)"},
  {"eval_rel_bins", PRC_OPT_INT, "10", 1, 1000, "bins of the reliability diagram (scores must be probabilities in [0, 1])"},
  {"eval_png", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "write roc.png, molchan.png, reliability.png"},
};

/* Parse a comma-separated list of reals; -1 with a message in err on failure. */
static int parse_list(const char *s, double *v, int max, char *err, size_t len)
{
  int         n = 0;
  const char *p = s;
  while (1) {
    char  *end;
    double x = strtod(p, &end);
    while (*end == ' ') end++;
    if (end == p || (*end && *end != ',') || !isfinite(x)) {
      snprintf(err, len, "'%s' is not a comma-separated list of numbers", s);
      return -1;
    }
    if (n >= max) {
      snprintf(err, len, "'%s' has more than %d values", s, max);
      return -1;
    }
    v[n++] = x;
    if (!*end) break;
    p = end + 1;
  }
  return n;
}

static void eval_validate(prc_opts *o)
{
  double v[MAX_THR];
  char   err[512];
  if (parse_list(prc_opts_string(o, "eval_thresholds"), v, MAX_THR, err, sizeof err) < 0)
    prc_opts_violation(o, "-eval_thresholds: %s", err);
  int na = parse_list(prc_opts_string(o, "eval_alpha"), v, MAX_ALPHA, err, sizeof err);
  if (na < 0) prc_opts_violation(o, "-eval_alpha: %s", err);
  for (int i = 0; i < na; i++)
    if (!(v[i] > 0 && v[i] < 1)) prc_opts_violation(o, "-eval_alpha: %g is not a significance level in (0, 1)", v[i]);
  const char *tw = prc_opts_string(o, "eval_tau_weight");
  if (strcmp(tw, "auto") && strcmp(tw, "uniform") && strcmp(tw, "column") && strcmp(tw, "area"))
    prc_opts_violation(o, "-eval_tau_weight %s: expected auto, uniform, column or area", tw);
}

typedef struct {
  size_t  n;
  double *time, *score, *weight, *obs, *cell; /* weight/obs NULL if absent */
  int     has_grid;
  double  lat0, lon0, dlat, dlon, nlat, nlon, horizon_days;
} forecast;

static PetscErrorCode read_col(prc_ctx *ctx, hid_t g, const char *path, const char *name, size_t n, double **v)
{
  int     r;
  hsize_t d[8], z = 0;
  PetscFunctionBeginUser;
  PetscCall(prc_h5_dims(g, name, &r, d));
  PetscCheck(r == 1, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /forecast/%s has rank %d, expected a 1-D column", path, name, r);
  PetscCheck(d[0] == n, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /forecast/%s has %llu rows but /forecast/score has %zu", path,
             name, (unsigned long long)d[0], n);
  PetscCall(PetscMalloc1(n, v));
  PetscCall(prc_h5_read_nd(g, name, H5T_NATIVE_DOUBLE, &z, &d[0], *v));
  PetscFunctionReturn(0);
}

static PetscErrorCode has_link(hid_t g, const char *name, int *yes)
{
  PetscFunctionBeginUser;
  htri_t e = H5Lexists(g, name, H5P_DEFAULT);
  PetscCheck(e >= 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "HDF5 error looking for '%s'", name);
  *yes = e > 0;
  PetscFunctionReturn(0);
}

/* The root attribute precursor_kind ("" if absent). Read here rather than with
 * prc_h5_attr_get_str, whose memory type of the file's size drops the last character of a
 * NULLPAD string (what h5py writes for np.bytes_). */
static PetscErrorCode read_kind(hid_t fid, char *buf, size_t len)
{
  PetscFunctionBeginUser;
  buf[0] = '\0';
  if (H5Aexists(fid, "precursor_kind") <= 0) PetscFunctionReturn(0);
  hid_t  a = H5Aopen(fid, "precursor_kind", H5P_DEFAULT), ft = H5Aget_type(a);
  size_t sz = H5Tget_size(ft);
  herr_t e = -1;
  if (H5Tget_class(ft) == H5T_STRING && !H5Tis_variable_str(ft) && sz + 1 < len) {
    hid_t mt = prc_h5_strtype(sz + 1);
    e = H5Aread(a, mt, buf);
    H5Tclose(mt);
  }
  H5Tclose(ft), H5Aclose(a);
  if (e < 0) snprintf(buf, len, "(unreadable)");
  buf[len - 1] = '\0';
  PetscFunctionReturn(0);
}

/* Read and check the forecast table (collective: every rank reads it all). */
static PetscErrorCode forecast_read(prc_ctx *ctx, const char *path, forecast *F)
{
  hid_t   fid, g;
  int     r, yes;
  hsize_t d[8];
  char    kind[64];
  int     found;
  PetscFunctionBeginUser;
  memset(F, 0, sizeof *F);
  PetscCall(prc_ctx_add_input(ctx, path));
  PetscCall(prc_h5_open(ctx->comm, path, &fid));
  PetscCall(read_kind(fid, kind, sizeof kind));
  PetscCheck(!kind[0] || !strcmp(kind, "forecast"), ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
             "'%s' is a '%s' file, expected precursor_kind 'forecast' (docs/DATA_MODEL.md)", path, kind);
  PetscCall(has_link(fid, "forecast", &yes));
  PetscCheck(yes, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s' has no /forecast group (expected /forecast/{cell, time, score})", path);
  g = H5Gopen2(fid, "forecast", H5P_DEFAULT);
  PetscCheck(g >= 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /forecast is not a group", path);
  const char *req[3] = {"score", "cell", "time"};
  for (int i = 0; i < 3; i++) {
    PetscCall(has_link(g, req[i], &yes));
    PetscCheck(yes, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s' has no column /forecast/%s (required: cell, time, score)", path, req[i]);
  }
  PetscCall(prc_h5_dims(g, "score", &r, d));
  PetscCheck(r == 1 && d[0] > 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /forecast/score must be a non-empty 1-D column", path);
  F->n = (size_t)d[0];
  PetscCall(read_col(ctx, g, path, "score", F->n, &F->score));
  PetscCall(read_col(ctx, g, path, "cell", F->n, &F->cell));
  PetscCall(read_col(ctx, g, path, "time", F->n, &F->time));
  PetscCall(has_link(g, "weight", &yes));
  if (yes) PetscCall(read_col(ctx, g, path, "weight", F->n, &F->weight));
  PetscCall(has_link(g, "observed", &yes));
  if (yes) PetscCall(read_col(ctx, g, path, "observed", F->n, &F->obs));
  for (size_t i = 0; i < F->n; i++) { /* values formatted by the C library (PETSc prints 2 as "2.") */
    char v[64] = "";
    if (!isfinite(F->score[i])) snprintf(v, sizeof v, "%g", F->score[i]);
    PetscCheck(!v[0], ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /forecast/score[%zu] = %s is not finite", path, i, v);
    PetscCheck(isfinite(F->time[i]), ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /forecast/time[%zu] is not finite", path, i);
    if (!(F->cell[i] >= 0 && F->cell[i] == floor(F->cell[i]) && F->cell[i] < 9.0e15)) snprintf(v, sizeof v, "%g", F->cell[i]);
    PetscCheck(!v[0], ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /forecast/cell[%zu] = %s is not a cell index >= 0", path, i, v);
    if (F->weight && !(isfinite(F->weight[i]) && F->weight[i] >= 0)) snprintf(v, sizeof v, "%g", F->weight[i]);
    PetscCheck(!v[0], ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /forecast/weight[%zu] = %s, expected finite and >= 0", path, i, v);
    if (F->obs && !(F->obs[i] == 0 || F->obs[i] == 1)) snprintf(v, sizeof v, "%g", F->obs[i]);
    PetscCheck(!v[0], ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /forecast/observed[%zu] = %s, expected 0 or 1", path, i, v);
  }
  const char *ga[6] = {"grid_lat_min", "grid_lon_min", "grid_dlat", "grid_dlon", "grid_nlat", "grid_nlon"};
  double     *gv[6] = {&F->lat0, &F->lon0, &F->dlat, &F->dlon, &F->nlat, &F->nlon};
  int         ng = 0;
  for (int i = 0; i < 6; i++) {
    PetscCall(prc_h5_attr_get_double(g, ga[i], gv[i], &found));
    ng += found;
  }
  PetscCheck(ng == 0 || ng == 6, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
             "'%s': /forecast has %d of the 6 grid attributes (grid_lat_min, grid_lon_min, grid_dlat, grid_dlon, grid_nlat, grid_nlon)",
             path, ng);
  F->has_grid = ng == 6;
  if (F->has_grid) {
    PetscCheck(F->dlat > 0 && F->dlon > 0 && F->nlat >= 1 && F->nlon >= 1 && F->nlat == floor(F->nlat) && F->nlon == floor(F->nlon) &&
                 F->lat0 >= -90 && F->lat0 + F->nlat * F->dlat <= 90 + 1e-9,
               ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': the /forecast grid attributes do not describe a grid inside [-90, 90]", path);
    for (size_t i = 0; i < F->n; i++)
      PetscCheck(F->cell[i] < F->nlat * F->nlon, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
                 "'%s': /forecast/cell[%zu] = %lld is outside the %lld x %lld grid", path, i, (long long)F->cell[i], (long long)F->nlat,
                 (long long)F->nlon);
  }
  PetscCall(prc_h5_attr_get_double(g, "horizon_days", &F->horizon_days, &found));
  if (!found) F->horizon_days = NAN;
  H5Gclose(g);
  PetscCall(prc_h5_close(fid));
  PetscFunctionReturn(0);
}

static PetscErrorCode forecast_free(forecast *F)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(F->time));
  PetscCall(PetscFree(F->score));
  PetscCall(PetscFree(F->weight));
  PetscCall(PetscFree(F->obs));
  PetscCall(PetscFree(F->cell));
  PetscFunctionReturn(0);
}

/* Observations from a catalog: obs[i] = number of events with M >= mmin, time in
 * [time_i, time_i + days), epicentre in cell_i (row = cell / nlon from the south). */
static PetscErrorCode obs_from_catalog(prc_ctx *ctx, const char *catpath, const forecast *F, double mmin, double days, double *obs,
                                       long *nused)
{
  prc_catalog cat;
  PetscFunctionBeginUser;
  PetscCall(prc_ctx_add_input(ctx, catpath));
  PetscCall(prc_catalog_read(ctx->comm, catpath, &cat));
  for (size_t i = 0; i < F->n; i++) obs[i] = 0;
  *nused = 0;
  const long nlon = (long)F->nlon, nlat = (long)F->nlat;
  for (size_t e = 0; e < cat.n; e++) {
    if (!(cat.mag[e] >= mmin)) continue;
    long row = (long)floor((cat.lat[e] - F->lat0) / F->dlat), col = (long)floor((cat.lon[e] - F->lon0) / F->dlon);
    if (row < 0 || row >= nlat || col < 0 || col >= nlon) continue;
    double c = (double)(row * nlon + col);
    int    used = 0;
    for (size_t i = 0; i < F->n; i++)
      if (F->cell[i] == c && cat.time[e] >= F->time[i] && cat.time[e] < F->time[i] + days * PRC_DAY) obs[i] += 1, used = 1;
    *nused += used;
  }
  PetscCall(prc_catalog_free(&cat));
  PetscFunctionReturn(0);
}

static PetscErrorCode write_2d(prc_ctx *ctx, hid_t g, const char *name, hid_t ft, hid_t mt, hsize_t n0, hsize_t n1, const void *v)
{
  hsize_t d[2] = {n0, n1}, s[2] = {0, 0}, c[2] = {ctx->rank ? 0 : n0, ctx->rank ? 0 : n1};
  PetscFunctionBeginUser;
  PetscCall(prc_h5_write_nd(g, name, ft, mt, 2, d, s, c, v));
  PetscFunctionReturn(0);
}

static PetscErrorCode eval_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  const char     *in = prc_opts_string(o, "eval_input"), *catp = prc_opts_string(o, "eval_catalog"), *out = prc_opts_string(o, "out_dir");
  const char     *twm = prc_opts_string(o, "eval_tau_weight");
  const long      B = (long)prc_opts_int(o, "eval_bootstrap");
  const double    level = prc_opts_real(o, "eval_ci_level");
  const uint64_t  seed = (uint64_t)prc_opts_int(o, "seed");
  const int       nbins = (int)prc_opts_int(o, "eval_rel_bins");
  double          thr[MAX_THR], alpha[MAX_ALPHA];
  char            err[512], path[4200];
  const int       nthr = parse_list(prc_opts_string(o, "eval_thresholds"), thr, MAX_THR, err, sizeof err);
  const int       nalpha = parse_list(prc_opts_string(o, "eval_alpha"), alpha, MAX_ALPHA, err, sizeof err);
  forecast        F;
  PetscFunctionBeginUser;

  /* ---- inputs ---- */
  PetscCall(forecast_read(ctx, in, &F));
  const size_t n = F.n;
  double      *obs, *tw = NULL;
  const char  *obs_source, *tw_source = "uniform";
  long         ncat = 0;
  PetscCall(PetscMalloc1(n, &obs));
  if (strcmp(catp, "none")) {
    double days = prc_opts_real(o, "eval_days");
    if (days == 0) days = F.horizon_days;
    PetscCheck(F.has_grid, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
               "'%s': observations from a catalog need the grid attributes of /forecast (grid_lat_min, grid_lon_min, grid_dlat, "
               "grid_dlon, grid_nlat, grid_nlon; docs/DATA_MODEL.md)",
               in);
    PetscCheck(isfinite(days) && days > 0, ctx->comm, PETSC_ERR_ARG_WRONG,
               "the forecast horizon is unknown: give -eval_days or the attribute /forecast/horizon_days in '%s'", in);
    PetscCall(obs_from_catalog(ctx, catp, &F, prc_opts_real(o, "eval_mmin"), days, obs, &ncat));
    obs_source = "catalog";
    if (F.obs) prc_say(ctx->comm, "[evaluate] note: /forecast/observed is ignored, the observations come from -eval_catalog\n");
  } else {
    PetscCheck(F.obs, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
               "no observations: '%s' has no column /forecast/observed and no -eval_catalog was given", in);
    memcpy(obs, F.obs, n * sizeof *obs);
    obs_source = "column /forecast/observed";
  }
  if (!strcmp(twm, "column") || (!strcmp(twm, "auto") && F.weight)) {
    PetscCheck(F.weight, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "-eval_tau_weight column: '%s' has no column /forecast/weight", in);
    tw = F.weight, tw_source = "column /forecast/weight";
  } else if (!strcmp(twm, "area")) {
    PetscCheck(F.has_grid, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "-eval_tau_weight area: '%s' has no grid attributes on /forecast", in);
    PetscCall(PetscMalloc1(n, &tw));
    for (size_t i = 0; i < n; i++) {
      double row = floor(F.cell[i] / F.nlon), la0 = F.lat0 + row * F.dlat, r = M_PI / 180;
      tw[i] = (sin(fmin(90, la0 + F.dlat) * r) - sin(la0 * r)) * F.dlon * r * 6371.0088 * 6371.0088; /* km2 */
    }
    tw_source = "grid cell area (km2)";
  }
  double P = 0, N = 0, T = 0;
  for (size_t i = 0; i < n; i++) P += obs[i] > 0, N += obs[i], T += tw ? tw[i] : 1;
  PetscCheck(P > 0 && P < (double)n, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
             "'%s': %lld of %zu units observed an event (%s): ROC, AUC and the Molchan diagram need both event and non-event units", in,
             (long long)P, n, obs_source);
  PetscCheck(T > 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': the space-time weights (%s) sum to zero", in, tw_source);

  /* ---- point estimates and curves (every rank, identical) ---- */
  double     *val, *lo, *hi, *valid, *ctab, *rthr, *rx, *ry, *mthr, *mx, *my, auc_mw;
  prc_ctable *ct;
  size_t      nroc, nmol;
  PetscCall(PetscMalloc5((size_t)nthr * PRC_SC_COUNT, &val, (size_t)nthr * PRC_SC_COUNT, &lo, (size_t)nthr * PRC_SC_COUNT, &hi,
                         (size_t)nthr * PRC_SC_COUNT, &valid, (size_t)nthr * 4, &ctab));
  PetscCall(PetscMalloc1(nthr, &ct));
  PetscCall(PetscMalloc6(n + 1, &rthr, n + 1, &rx, n + 1, &ry, n + 1, &mthr, n + 1, &mx, n + 1, &my));
  for (int k = 0; k < nthr; k++) {
    PrcCallK(prc_eval_point(F.score, obs, NULL, tw, n, thr[k], val + (size_t)k * PRC_SC_COUNT, ct + k));
    ctab[4 * k] = ct[k].a, ctab[4 * k + 1] = ct[k].b, ctab[4 * k + 2] = ct[k].c, ctab[4 * k + 3] = ct[k].d;
  }
  PrcCallK(prc_roc(F.score, obs, NULL, n, rthr, rx, ry, &nroc));
  PrcCallK(prc_auc_mann_whitney(F.score, obs, NULL, n, &auc_mw));
  const double auc_tr = prc_trapz(rx, ry, nroc);
  PrcCallK(prc_molchan(F.score, obs, tw, n, mthr, mx, my, &nmol));
  const double ass = prc_molchan_ass(mx, my, nmol);
  double *btau, *bnu;
  PetscCall(PetscMalloc2(NBOUND, &btau, (size_t)NBOUND * nalpha, &bnu));
  for (int j = 0; j < NBOUND; j++) btau[j] = (double)j / (NBOUND - 1);
  for (int a = 0; a < nalpha; a++)
    for (int j = 0; j < NBOUND; j++) PrcCallK(prc_molchan_bound((long)N, btau[j], alpha[a], bnu + (size_t)a * NBOUND + j, NULL));
  int prob_ok = 1;
  for (size_t i = 0; i < n; i++) prob_ok &= F.score[i] >= 0 && F.score[i] <= 1;
  double *rc = NULL, *rm = NULL, *rf = NULL, *rlo = NULL, *rhi = NULL;
  if (prob_ok) {
    PetscCall(PetscMalloc5(nbins, &rc, nbins, &rm, nbins, &rf, nbins, &rlo, nbins, &rhi));
    PrcCallK(prc_reliability(F.score, obs, NULL, n, nbins, rc, rm, rf));
    for (int k = 0; k < nbins; k++) rlo[k] = (double)k / nbins, rhi[k] = (double)(k + 1) / nbins;
  }

  /* ---- bootstrap: replicates split across ranks, gathered on rank 0 ---- */
  {
    const int per = nthr * PRC_SC_COUNT;
    int64_t   b0, bm;
    int      *cnt = NULL, *dsp = NULL, mine;
    double   *reps = NULL, *part;
    prc_partition_1d((int64_t)B, ctx->size, ctx->rank, &b0, &bm);
    PetscCall(PetscMalloc1((size_t)bm * per + 1, &part));
    PrcCallK(prc_eval_boot_reps(F.score, obs, NULL, tw, n, thr, nthr, seed, (long)b0, (long)(b0 + bm), part));
    PetscCheck((double)B * per < 2.0e9, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "-eval_bootstrap %ld x %d thresholds: too many values", B, nthr);
    mine = (int)bm * per;
    if (!ctx->rank) PetscCall(PetscMalloc3((size_t)B * per, &reps, ctx->size, &cnt, ctx->size, &dsp));
    PetscCallMPI(MPI_Gather(&mine, 1, MPI_INT, cnt, 1, MPI_INT, 0, ctx->comm));
    if (!ctx->rank)
      for (int r = 0, s = 0; r < ctx->size; r++) dsp[r] = s, s += cnt[r];
    PetscCallMPI(MPI_Gatherv(part, mine, MPI_DOUBLE, reps, cnt, dsp, MPI_DOUBLE, 0, ctx->comm));
    if (!ctx->rank)
      for (int k = 0; k < per; k++) {
        long nv;
        PrcCallK(prc_percentile_ci(reps + k, B, (size_t)per, level, lo + k, hi + k, &nv));
        valid[k] = (double)nv;
      }
    if (!ctx->rank) PetscCall(PetscFree3(reps, cnt, dsp));
    PetscCall(PetscFree(part));
  }

  /* ---- evaluation.h5 ---- */
  prc_h5out f;
  hid_t     g;
  snprintf(path, sizeof path, "%s/evaluation.h5", out);
  PetscCall(prc_h5_create(ctx->comm, path, "evaluation", &f));
  PetscCall(prc_h5_attr_str(f.fid, "forecast_file", in));
  PetscCall(prc_h5_attr_str(f.fid, "observations", obs_source));
  PetscCall(prc_h5_attr_int(f.fid, "n_units", (long long)n));
  PetscCall(prc_h5_attr_int(f.fid, "n_event_units", (long long)P));
  PetscCall(prc_h5_attr_double(f.fid, "n_target_events", N));
  PetscCall(prc_h5_group(f.fid, "scores", &g));
  {
    char (*names)[16];
    hid_t st = prc_h5_strtype(16);
    PetscCall(PetscCalloc1(PRC_SC_COUNT, &names));
    for (int s = 0; s < PRC_SC_COUNT; s++) snprintf(names[s], 16, "%s", prc_score_name(s));
    PetscCall(prc_h5_write_col(ctx->comm, g, "name", st, PRC_SC_COUNT, names));
    H5Tclose(st);
    PetscCall(PetscFree(names));
  }
  PetscCall(prc_h5_write_col(ctx->comm, g, "threshold", H5T_NATIVE_DOUBLE, (hsize_t)nthr, thr));
  PetscCall(write_2d(ctx, g, "value", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)nthr, PRC_SC_COUNT, val));
  PetscCall(write_2d(ctx, g, "ci_low", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)nthr, PRC_SC_COUNT, lo));
  PetscCall(write_2d(ctx, g, "ci_high", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)nthr, PRC_SC_COUNT, hi));
  PetscCall(write_2d(ctx, g, "ci_valid_replicates", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)nthr, PRC_SC_COUNT, valid));
  PetscCall(write_2d(ctx, g, "contingency", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)nthr, 4, ctab));
  PetscCall(prc_h5_attr_str(g, "contingency_columns", "a hits, b false alarms, c misses, d correct negatives"));
  PetscCall(prc_h5_attr_int(g, "bootstrap_replicates", B));
  PetscCall(prc_h5_attr_double(g, "ci_level", level));
  PetscCall(prc_h5_attr_str(g, "ci_method", "percentile bootstrap over units; replicate b uses the stream (seed, b)"));
  PetscCall(prc_h5_attr_int(g, "seed", (long long)seed));
  H5Gclose(g);
  PetscCall(prc_h5_group(f.fid, "roc", &g));
  PetscCall(prc_h5_write_col(ctx->comm, g, "threshold", H5T_NATIVE_DOUBLE, nroc, rthr));
  PetscCall(prc_h5_write_col(ctx->comm, g, "pofd", H5T_NATIVE_DOUBLE, nroc, rx));
  PetscCall(prc_h5_write_col(ctx->comm, g, "pod", H5T_NATIVE_DOUBLE, nroc, ry));
  PetscCall(prc_h5_attr_double(g, "auc", auc_tr));
  PetscCall(prc_h5_attr_double(g, "auc_mann_whitney", auc_mw));
  H5Gclose(g);
  PetscCall(prc_h5_group(f.fid, "molchan", &g));
  PetscCall(prc_h5_write_col(ctx->comm, g, "threshold", H5T_NATIVE_DOUBLE, nmol, mthr));
  PetscCall(prc_h5_write_col(ctx->comm, g, "tau", H5T_NATIVE_DOUBLE, nmol, mx));
  PetscCall(prc_h5_write_col(ctx->comm, g, "nu", H5T_NATIVE_DOUBLE, nmol, my));
  PetscCall(prc_h5_write_col(ctx->comm, g, "bound_tau", H5T_NATIVE_DOUBLE, NBOUND, btau));
  PetscCall(write_2d(ctx, g, "bound_nu", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)nalpha, NBOUND, bnu));
  PetscCall(prc_h5_attr_doubles(g, "alpha", nalpha, alpha));
  PetscCall(prc_h5_attr_double(g, "ass", ass));
  PetscCall(prc_h5_attr_double(g, "n_target_events", N));
  PetscCall(prc_h5_attr_str(g, "tau_weight", tw_source));
  H5Gclose(g);
  if (prob_ok) {
    PetscCall(prc_h5_group(f.fid, "reliability", &g));
    PetscCall(prc_h5_write_col(ctx->comm, g, "bin_low", H5T_NATIVE_DOUBLE, (hsize_t)nbins, rlo));
    PetscCall(prc_h5_write_col(ctx->comm, g, "bin_high", H5T_NATIVE_DOUBLE, (hsize_t)nbins, rhi));
    PetscCall(prc_h5_write_col(ctx->comm, g, "count", H5T_NATIVE_DOUBLE, (hsize_t)nbins, rc));
    PetscCall(prc_h5_write_col(ctx->comm, g, "mean_forecast", H5T_NATIVE_DOUBLE, (hsize_t)nbins, rm));
    PetscCall(prc_h5_write_col(ctx->comm, g, "observed_frequency", H5T_NATIVE_DOUBLE, (hsize_t)nbins, rf));
    H5Gclose(g);
  }
  PetscCall(prc_h5_group(f.fid, "units", &g));
  PetscCall(prc_h5_write_col(ctx->comm, g, "observed", H5T_NATIVE_DOUBLE, n, obs));
  H5Gclose(g);
  PetscCall(prc_h5_commit(&f, ctx));

  /* ---- summary ---- */
  if (strcmp(catp, "none")) prc_say(ctx->comm, "[evaluate] %ld catalog events M >= %g fall in forecast units\n", ncat, prc_opts_real(o, "eval_mmin"));
  prc_say(ctx->comm, "[evaluate] %zu units, %g with events (%g target events, observations: %s), AUC %.4f, ASS %.4f (tau: %s)\n", n, P,
          N, obs_source, auc_tr, ass, tw_source);
  for (int k = 0; k < nthr; k++) {
    const double *v = val + (size_t)k * PRC_SC_COUNT, *l = lo + (size_t)k * PRC_SC_COUNT, *h = hi + (size_t)k * PRC_SC_COUNT;
    prc_say(ctx->comm, "[evaluate] threshold %g: a=%g b=%g c=%g d=%g  POD %.3f [%.3f, %.3f]  FAR %.3f  POFD %.3f  R(HK) %.3f [%.3f, %.3f]  gain %.3f\n",
            thr[k], ct[k].a, ct[k].b, ct[k].c, ct[k].d, v[PRC_SC_POD], l[PRC_SC_POD], h[PRC_SC_POD], v[PRC_SC_FAR], v[PRC_SC_POFD],
            v[PRC_SC_HK], l[PRC_SC_HK], h[PRC_SC_HK], v[PRC_SC_GAIN]);
  }

  /* ---- pictures (rank 0) ---- */
  int ok = 1;
  if (prc_opts_bool(o, "eval_png") && !ctx->rank) {
    double diag[2] = {0, 1}, rdiag[2] = {1, 0}, *px, *py;
    char   ttl[256];
    PetscCall(PetscMalloc2(3 * (size_t)nthr, &px, 3 * (size_t)nthr, &py));
    for (int k = 0; k < nthr; k++) { /* the chosen thresholds as dots (NaN between them) */
      const double *v = val + (size_t)k * PRC_SC_COUNT;
      px[2 * k] = v[PRC_SC_POFD], py[2 * k] = v[PRC_SC_POD], px[2 * k + 1] = py[2 * k + 1] = NAN;
    }
    prc_series rs[3] = {{rx, ry, (int)nroc, "ROC", 0x1F77B4}, {diag, diag, 2, "random (diagonal)", 0x808080},
                        {px, py, 2 * nthr, "chosen thresholds", 0xD62728}};
    snprintf(ttl, sizeof ttl, "ROC: AUC = %.3f (%zu units, %g with events)", auc_tr, n, P);
    prc_lines_style ls = {.title = ttl, .xlabel = "POFD (false alarm rate)", .ylabel = "POD (hit rate)", .width = 600,
                          .height = 560, .xmin = 0, .xmax = 1, .ymin = 0, .ymax = 1};
    snprintf(path, sizeof path, "%s/roc.png", out);
    if (prc_plot_lines_png(path, rs, 3, &ls)) ok = 0;
    prc_series ms[2 + MAX_ALPHA] = {{mx, my, (int)nmol, "forecast", 0x1F77B4}, {diag, rdiag, 2, "random guess", 0x808080}};
    char       lab[MAX_ALPHA][48];
    uint32_t   bc[4] = {0xFF7F0E, 0x2CA02C, 0x9467BD, 0x8C564B};
    for (int a = 0; a < nalpha; a++) {
      snprintf(lab[a], sizeof lab[a], "random, alpha = %g", alpha[a]);
      ms[2 + a] = (prc_series){btau, bnu + (size_t)a * NBOUND, NBOUND, lab[a], bc[a % 4]};
    }
    snprintf(ttl, sizeof ttl, "Molchan diagram: ASS = %.3f (N = %g events)", ass, N);
    prc_lines_style lm = {.title = ttl, .xlabel = "tau (fraction of space-time alarmed)", .ylabel = "nu (miss rate)", .width = 600,
                          .height = 560, .xmin = 0, .xmax = 1, .ymin = 0, .ymax = 1};
    snprintf(path, sizeof path, "%s/molchan.png", out);
    if (ok && prc_plot_lines_png(path, ms, 2 + nalpha, &lm)) ok = 0;
    if (prob_ok) {
      prc_series rl[2] = {{rm, rf, nbins, "observed frequency", 0x1F77B4}, {diag, diag, 2, "perfect reliability", 0x808080}};
      prc_lines_style lr = {.title = "Reliability diagram", .xlabel = "forecast probability (bin mean)", .ylabel = "observed frequency",
                            .width = 600, .height = 560, .xmin = 0, .xmax = 1, .ymin = 0, .ymax = 1};
      snprintf(path, sizeof path, "%s/reliability.png", out);
      if (ok && prc_plot_lines_png(path, rl, 2, &lr)) ok = 0;
    }
    if (!ok) PetscCall(PetscPrintf(PETSC_COMM_SELF, "precursor evaluate: picture failed: %s\n", prc_lasterr()));
    PetscCall(PetscFree2(px, py));
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, ctx->comm));
  PetscCheck(ok, ctx->comm, PETSC_ERR_FILE_WRITE, "writing the evaluation pictures in '%s' failed (see above)", out);
  prc_say(ctx->comm, "[evaluate] outputs in %s/ (evaluation.h5%s%s)\n", out, prc_opts_bool(o, "eval_png") ? " roc.png molchan.png" : "",
          prc_opts_bool(o, "eval_png") && prob_ok ? " reliability.png" : "");

  if (prob_ok) PetscCall(PetscFree5(rc, rm, rf, rlo, rhi));
  PetscCall(PetscFree2(btau, bnu));
  PetscCall(PetscFree6(rthr, rx, ry, mthr, mx, my));
  PetscCall(PetscFree(ct));
  PetscCall(PetscFree5(val, lo, hi, valid, ctab));
  if (tw && tw != F.weight) PetscCall(PetscFree(tw));
  PetscCall(PetscFree(obs));
  PetscCall(forecast_free(&F));
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_evaluate = {"evaluate",
                                      "forecast verification: contingency scores with bootstrap intervals, ROC/AUC, Molchan diagram, reliability",
                                      eval_opts, (int)(sizeof eval_opts / sizeof eval_opts[0]), eval_validate, eval_run};

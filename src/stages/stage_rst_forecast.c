/* stage_rst_forecast.c — `precursor rst-forecast`: the RST thermal anomalies of `rst` as a
 * forecast table (kind "forecast", docs/DATA_MODEL.md "Forecast") that `evaluate` scores
 * against a catalog and `study` compares with the other models (docs/RST.md "As a
 * forecaster").
 *
 * Unit = (cell of a lat/lon grid, time t); score = the largest fraction of the cell's defined
 * pixels that are anomalous (R >= k in /anomaly) on any analysis day d with t − L <= d < t
 * (L = -rstf_lookback_days): only days before t, so the score of the window [t, t + horizon)
 * uses nothing from inside it. A day on which the cell has no defined pixel gives nothing;
 * no such day in the lookback gives 0.
 *
 * Parallel plan: grid rows (y) of /anomaly are split in contiguous blocks over the ranks; each
 * rank reads its rows in blocks of days and counts, per (day, cell), anomalous and defined
 * pixels (integers); one MPI_Allreduce(SUM) of the int64 counts makes them global (exact, so
 * the table is identical on any rank count); every rank forms the scores and rank 0's table is
 * written. */
#include <math.h>
#include <string.h>

#include "precursor/collective.h"
#include "precursor/decomp.h"
#include "precursor/error.h"
#include "precursor/plot.h"
#include "precursor/progress.h"
#include "precursor/stage.h"
#include "precursor/timeutil.h"

static const prc_opt_spec rstf_opts[] = {
  {"rstf_input", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "rst.h5 of precursor rst (/anomaly, /time, /lat, /lon)"},
  {"rstf_cell_deg", PRC_OPT_REAL, "0.2", 1e-4, 90, "cell size of the forecast grid (degrees, square cells)"},
  {"rstf_lat_min", PRC_OPT_STRING, "auto", PRC_NO_RANGE, "southern edge of the grid (degrees) or auto: the rst grid's southernmost pixel centre"},
  {"rstf_lon_min", PRC_OPT_STRING, "auto", PRC_NO_RANGE, "western edge of the grid (degrees) or auto: the rst grid's westernmost pixel centre"},
  {"rstf_start", PRC_OPT_STRING, "auto", PRC_NO_RANGE,
   "first unit time (YYYY-MM-DD[THH:MM:SS]) or auto: the first analysis day (00 UTC) + the lookback"},
  {"rstf_step_days", PRC_OPT_REAL, "1", 1e-3, 3650, "time between consecutive units of a cell"},
  {"rstf_lookback_days", PRC_OPT_REAL, "5", 1e-3, 3650, "the score of a unit at t uses the analysis days in [t - lookback, t)"},
  {"rstf_horizon_days", PRC_OPT_REAL, "10", 1e-3, 36500, "forecast window of a unit: [t, t + horizon) (the attribute evaluate uses by default)"},
  {"rstf_png", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "write rst_forecast_map.png (largest score per cell)"},
};

static int parse_auto(const char *s, double *v)
{
  if (!strcmp(s, "auto")) return 0;
  char  *e;
  double x = strtod(s, &e);
  if (e == s || *e || !isfinite(x)) return -1;
  *v = x;
  return 1;
}

static void rstf_validate(prc_opts *o)
{
  double v, t;
  const char *la = prc_opts_string(o, "rstf_lat_min"), *lo = prc_opts_string(o, "rstf_lon_min"), *st = prc_opts_string(o, "rstf_start");
  if (parse_auto(la, &v) < 0 || (strcmp(la, "auto") && !(v >= -90 && v < 90))) prc_opts_violation(o, "-rstf_lat_min '%s': expected auto or a latitude in [-90, 90)", la);
  if (parse_auto(lo, &v) < 0 || (strcmp(lo, "auto") && !(v >= -360 && v <= 360)))
    prc_opts_violation(o, "-rstf_lon_min '%s': expected auto or a longitude in [-360, 360]", lo);
  if (strcmp(st, "auto") && prc_time_parse(st, &t)) prc_opts_violation(o, "-rstf_start '%s': expected auto or a date YYYY-MM-DD[THH:MM:SS]", st);
}

static PetscErrorCode rstf_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  const char     *in = prc_opts_string(o, "rstf_input"), *out = prc_opts_string(o, "out_dir");
  const double    d = prc_opts_real(o, "rstf_cell_deg"), step = prc_opts_real(o, "rstf_step_days") * PRC_DAY,
               L = prc_opts_real(o, "rstf_lookback_days") * PRC_DAY, H = prc_opts_real(o, "rstf_horizon_days");
  char            path[4200];
  int             rk;
  hsize_t         dims[8];
  hid_t           fid;
  PetscFunctionBeginUser;
  PetscCall(prc_ctx_add_input(ctx, in));
  PetscCall(prc_h5_open(ctx->comm, in, &fid));
  PetscCall(prc_h5_dims(fid, "anomaly", &rk, dims));
  PetscCheck(rk == 3 && dims[0] > 0 && dims[1] > 0 && dims[2] > 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
             "'%s': /anomaly must be (days, ny, nx), not a rank-%d dataset (is this rst.h5 of precursor rst?)", in, rk);
  const int64_t na = (int64_t)dims[0], ny = (int64_t)dims[1], nx = (int64_t)dims[2];
  hsize_t       d1[8];
  PetscCall(prc_h5_dims(fid, "time", &rk, d1));
  PetscCheck(rk == 1 && (int64_t)d1[0] == na, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /time must hold %lld values (one per /anomaly day)", in,
             (long long)na);
  PetscCall(prc_h5_dims(fid, "lat", &rk, d1));
  PetscCheck(rk == 1 && (int64_t)d1[0] == ny, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /lat must hold %lld values (the grid rows)", in, (long long)ny);
  PetscCall(prc_h5_dims(fid, "lon", &rk, d1));
  PetscCheck(rk == 1 && (int64_t)d1[0] == nx, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /lon must hold %lld values (the grid columns)", in, (long long)nx);
  double *tim, *lat, *lon;
  PetscCall(PetscMalloc3(na, &tim, ny, &lat, nx, &lon));
  hsize_t z[1] = {0}, c1[1] = {(hsize_t)na};
  PetscCall(prc_h5_read_nd(fid, "time", H5T_NATIVE_DOUBLE, z, c1, tim));
  c1[0] = (hsize_t)ny;
  PetscCall(prc_h5_read_nd(fid, "lat", H5T_NATIVE_DOUBLE, z, c1, lat));
  c1[0] = (hsize_t)nx;
  PetscCall(prc_h5_read_nd(fid, "lon", H5T_NATIVE_DOUBLE, z, c1, lon));
  for (int64_t i = 0; i < na; i++)
    PetscCheck(isfinite(tim[i]) && (i == 0 || tim[i] > tim[i - 1]), ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /time[%lld] is not finite and increasing", in,
               (long long)i);
  double la0 = INFINITY, lo0 = INFINITY, la1 = -INFINITY, lo1 = -INFINITY;
  for (int64_t i = 0; i < ny; i++) {
    PetscCheck(isfinite(lat[i]), ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /lat[%lld] is not finite", in, (long long)i);
    la0 = fmin(la0, lat[i]), la1 = fmax(la1, lat[i]);
  }
  for (int64_t i = 0; i < nx; i++) {
    PetscCheck(isfinite(lon[i]), ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /lon[%lld] is not finite", in, (long long)i);
    lo0 = fmin(lo0, lon[i]), lo1 = fmax(lo1, lon[i]);
  }
  /* the grid: explicit edges or the southernmost / westernmost pixel centre; enough cells to
   * hold every pixel centre */
  double       v;
  const double pla = la0, plo = lo0; /* the pixel centres' south-west corner */
  if (parse_auto(prc_opts_string(o, "rstf_lat_min"), &v) == 1) la0 = v;
  if (parse_auto(prc_opts_string(o, "rstf_lon_min"), &v) == 1) lo0 = v;
  PetscCheck(la0 <= pla && lo0 <= plo && (la1 - la0) / d < 1e7 && (lo1 - lo0) / d < 1e7, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE,
             "the forecast grid from (%.4f, %.4f) with %.4g-degree cells must hold every pixel of '%s' (lat %.4f..%.4f, lon %.4f..%.4f)", la0, lo0, d, in,
             pla, la1, plo, lo1);
  const int64_t nlat = (int64_t)floor((la1 - la0) / d) + 1, nlon = (int64_t)floor((lo1 - lo0) / d) + 1;
  PetscCheck(nlat * nlon <= 10000000, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "the forecast grid would have %lld x %lld cells (at most 1e7): use larger cells",
             (long long)nlat, (long long)nlon);
  const int64_t ncell = nlat * nlon;
  int64_t      *rowcell, *colcell; /* cell row / column of each grid row / column */
  PetscCall(PetscMalloc2(ny, &rowcell, nx, &colcell));
  for (int64_t i = 0; i < ny; i++) rowcell[i] = (int64_t)floor((lat[i] - la0) / d);
  for (int64_t i = 0; i < nx; i++) colcell[i] = (int64_t)floor((lon[i] - lo0) / d);
  /* counts per (day, cell): [0] anomalous, [1] defined; this rank's rows */
  int64_t y0, yc;
  prc_partition_1d(ny, ctx->size, ctx->rank, &y0, &yc);
  int64_t *cnt;
  PetscCall(PetscCalloc1((size_t)(2 * na * ncell), &cnt));
  const int64_t DB = 32;
  signed char  *buf;
  PetscCall(PetscMalloc1((size_t)(DB * (yc ? yc : 1) * nx), &buf));
  PetscCheck(2 * na * ncell <= INT32_MAX, ctx->comm, PETSC_ERR_SUP, "%lld day x cell counts exceed one MPI message; use larger cells", (long long)(na * ncell));
  prc_progress prog;
  char         bad[256] = "";
  prc_progress_start(&prog, ctx->comm, "rst-forecast", "reading /anomaly", "days", (double)na, 0, prc_opts_bool(o, "quiet"));
  for (int64_t t0 = 0; t0 < na; t0 += DB) {
    const int64_t nt = PetscMin(DB, na - t0);
    hsize_t       s3[3] = {(hsize_t)t0, (hsize_t)y0, 0}, c3[3] = {(hsize_t)nt, (hsize_t)yc, (hsize_t)nx};
    PetscCall(prc_h5_read_nd(fid, "anomaly", H5T_NATIVE_SCHAR, s3, c3, buf));
    for (int64_t t = 0; t < nt; t++)
      for (int64_t y = 0; y < yc; y++) {
        const signed char *r = buf + (t * yc + y) * nx;
        int64_t           *cr = cnt + 2 * ((t0 + t) * ncell + rowcell[y0 + y] * nlon);
        for (int64_t x = 0; x < nx; x++) {
          if (r[x] < -1 || r[x] > 1) {
            if (!bad[0])
              snprintf(bad, sizeof bad, "'%s': /anomaly[%lld][%lld][%lld] = %d, expected -1 (undefined), 0 or 1", in, (long long)(t0 + t), (long long)(y0 + y),
                       (long long)x, r[x]);
          } else if (r[x] >= 0) cr[2 * colcell[x]] += r[x], cr[2 * colcell[x] + 1] += 1;
        }
      }
    prc_progress_update(&prog, (double)(t0 + nt));
  }
  prc_progress_end(&prog);
  PetscCall(prc_h5_close(fid));
  PetscCall(prc_agree(ctx->comm, !bad[0], bad));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, cnt, (int)(2 * na * ncell), MPI_INT64_T, MPI_SUM, ctx->comm));
  /* cells holding at least one pixel; unit times */
  int64_t *cells, nc = 0;
  PetscCall(PetscMalloc1(ncell, &cells));
  {
    char *has;
    PetscCall(PetscCalloc1(ncell, &has));
    for (int64_t y = 0; y < ny; y++)
      for (int64_t x = 0; x < nx; x++) has[rowcell[y] * nlon + colcell[x]] = 1;
    for (int64_t c = 0; c < ncell; c++)
      if (has[c]) cells[nc++] = c;
    PetscCall(PetscFree(has));
  }
  double t_start = floor(tim[0] / PRC_DAY) * PRC_DAY + L;
  if (strcmp(prc_opts_string(o, "rstf_start"), "auto")) prc_time_parse(prc_opts_string(o, "rstf_start"), &t_start);
  const double t_end = tim[na - 1] + PRC_DAY; /* the last unit still sees the last analysis day */
  PetscCheck(t_start <= t_end, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "-rstf_start is after the analysis period of '%s' (its last day + 1)", in);
  const int64_t nt = (int64_t)floor((t_end - t_start) / step) + 1, n = nc * nt;
  int64_t      *ucell;
  double       *ut, *us, *ula, *ulo, *ud;
  PetscCall(PetscMalloc6(n, &ucell, n, &ut, n, &us, n, &ula, n, &ulo, n, &ud));
  float *smax;
  PetscCall(PetscMalloc1(ncell, &smax));
  for (int64_t c = 0; c < ncell; c++) smax[c] = NAN;
  int64_t npos = 0;
  for (int64_t k = 0; k < nc; k++) {
    const int64_t c = cells[k];
    int64_t       a = 0; /* first analysis day >= t - L (advances with t) */
    smax[c] = 0;
    for (int64_t j = 0; j < nt; j++) {
      const double t = t_start + (double)j * step;
      while (a < na && tim[a] < t - L) a++;
      double s = 0;
      int    nd = 0;
      for (int64_t i = a; i < na && tim[i] < t; i++) {
        const int64_t *q = cnt + 2 * (i * ncell + c);
        if (q[1] > 0) s = fmax(s, (double)q[0] / (double)q[1]), nd++;
      }
      const int64_t r = k * nt + j;
      ucell[r] = c, ut[r] = t, us[r] = s, ud[r] = nd, ula[r] = la0 + ((double)(c / nlon) + 0.5) * d, ulo[r] = lo0 + ((double)(c % nlon) + 0.5) * d;
      npos += s > 0;
      smax[c] = (float)fmax(smax[c], s);
    }
  }
  /* forecast.h5 */
  prc_h5out f;
  hid_t     g;
  snprintf(path, sizeof path, "%s/forecast.h5", out);
  PetscCall(prc_h5_create(ctx->comm, path, "forecast", &f));
  PetscCall(prc_h5_group(f.fid, "forecast", &g));
  PetscCall(prc_h5_write_col(ctx->comm, g, "cell", H5T_NATIVE_INT64, (hsize_t)n, ucell));
  PetscCall(prc_h5_write_col(ctx->comm, g, "time", H5T_NATIVE_DOUBLE, (hsize_t)n, ut));
  PetscCall(prc_h5_write_col(ctx->comm, g, "score", H5T_NATIVE_DOUBLE, (hsize_t)n, us));
  PetscCall(prc_h5_write_col(ctx->comm, g, "lat", H5T_NATIVE_DOUBLE, (hsize_t)n, ula));
  PetscCall(prc_h5_write_col(ctx->comm, g, "lon", H5T_NATIVE_DOUBLE, (hsize_t)n, ulo));
  PetscCall(prc_h5_write_col(ctx->comm, g, "days_defined", H5T_NATIVE_DOUBLE, (hsize_t)n, ud));
  PetscCall(prc_h5_attr_double(g, "grid_lat_min", la0));
  PetscCall(prc_h5_attr_double(g, "grid_lon_min", lo0));
  PetscCall(prc_h5_attr_double(g, "grid_dlat", d));
  PetscCall(prc_h5_attr_double(g, "grid_dlon", d));
  PetscCall(prc_h5_attr_double(g, "grid_nlat", (double)nlat));
  PetscCall(prc_h5_attr_double(g, "grid_nlon", (double)nlon));
  PetscCall(prc_h5_attr_double(g, "horizon_days", H));
  PetscCall(prc_h5_attr_double(g, "lookback_days", L / PRC_DAY));
  PetscCall(prc_h5_attr_double(g, "step_days", step / PRC_DAY));
  PetscCall(prc_h5_attr_int(g, "n_times", nt));
  PetscCall(prc_h5_attr_str(g, "row_order", "cell-major: row = k * n_times + j for the k-th cell holding rst pixels, time = start + j * step"));
  PetscCall(prc_h5_attr_str(g, "score", "largest fraction of the cell's defined pixels anomalous (rst /anomaly = 1) on an analysis day in [time - "
                                        "lookback_days, time); 0 if none; days_defined = such days with a defined pixel"));
  PetscCall(prc_h5_attr_str(g, "source", in));
  H5Gclose(g);
  PetscCall(prc_h5_commit(&f, ctx));
  int ok = 1;
  if (prc_opts_bool(o, "rstf_png") && !ctx->rank) {
    char ttl[256];
    snprintf(ttl, sizeof ttl, "RST forecast score: largest per %g-degree cell (lookback %g days)", d, L / PRC_DAY);
    prc_map_style ms = {.title = ttl, .cbar_label = "fraction", .vmin = 0, .vmax = 1};
    snprintf(path, sizeof path, "%s/rst_forecast_map.png", out);
    if (prc_plot_map_png(path, smax, (int)nlon, (int)nlat, &ms)) ok = 0;
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, ctx->comm));
  PetscCheck(ok, ctx->comm, PETSC_ERR_FILE_WRITE, "cannot write %s/rst_forecast_map.png: %s", out, prc_lasterr());
  char d0[32], d1s[32];
  prc_time_format(t_start, d0, sizeof d0), prc_time_format(t_start + (double)(nt - 1) * step, d1s, sizeof d1s);
  prc_say(ctx->comm, "[rst-forecast] %lld units (%lld cells x %lld times %.10s..%.10s, step %g d); score > 0 in %lld; horizon %g d\n", (long long)n,
          (long long)nc, (long long)nt, d0, d1s, step / PRC_DAY, (long long)npos, H);
  prc_say(ctx->comm, "[rst-forecast] outputs in %s/: forecast.h5 (/forecast; score it: precursor evaluate -eval_input %s/forecast.h5 -eval_catalog ...)%s\n",
          out, out, prc_opts_bool(o, "rstf_png") ? ", rst_forecast_map.png" : "");
  PetscCall(PetscFree6(ucell, ut, us, ula, ulo, ud));
  PetscCall(PetscFree(smax));
  PetscCall(PetscFree(cells));
  PetscCall(PetscFree(buf));
  PetscCall(PetscFree(cnt));
  PetscCall(PetscFree2(rowcell, colcell));
  PetscCall(PetscFree3(tim, lat, lon));
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_rst_forecast = {"rst-forecast", "RST anomalies as a forecast table (cell x time: anomalous fraction before t) for evaluate and study",
                                          rstf_opts, (int)(sizeof rstf_opts / sizeof rstf_opts[0]), rstf_validate, rstf_run};

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
#include "precursor/forecast_grid.h"
#include "precursor/plot.h"
#include "precursor/progress.h"
#include "precursor/stage.h"
#include "precursor/timeutil.h"

static const prc_opt_spec rstf_opts[] = {
  {"rstf_input", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "rst.h5 of precursor rst (/anomaly, /time, /lat, /lon)"},
  PRC_FCGRID_OPTS("rstf", "5", "10"),
};

static void rstf_validate(prc_opts *o) { prc_fc_validate(o, "rstf"); }

static PetscErrorCode rstf_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  const char     *in = prc_opts_string(o, "rstf_input");
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
  prc_fc_params P;
  prc_fcgrid    G;
  prc_fc_params_get(o, "rstf", &P);
  PetscCheck(!prc_fcgrid_make(&P, la0, la1, lo0, lo1, &G), ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "'%s' (pixel centres): %s", in, prc_lasterr());
  const int64_t nlon = G.nlon, ncell = G.nlat * G.nlon;
  int64_t      *rowcell, *colcell; /* cell row / column of each grid row / column */
  PetscCall(PetscMalloc2(ny, &rowcell, nx, &colcell));
  for (int64_t i = 0; i < ny; i++) rowcell[i] = (int64_t)floor((lat[i] - G.lat0) / G.d);
  for (int64_t i = 0; i < nx; i++) colcell[i] = (int64_t)floor((lon[i] - G.lon0) / G.d);
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
  /* the score on each analysis day: the anomalous fraction of the cell's defined pixels */
  double *val;
  PetscCall(PetscMalloc1((size_t)(na * ncell), &val));
  for (int64_t i = 0; i < na * ncell; i++) val[i] = cnt[2 * i + 1] > 0 ? (double)cnt[2 * i] / (double)cnt[2 * i + 1] : NAN;
  const double t_start = isfinite(P.start) ? P.start : floor(tim[0] / PRC_DAY) * PRC_DAY + P.L;
  const double t_end   = tim[na - 1] + PRC_DAY; /* the last unit still sees the last analysis day */
  PetscCheck(t_start <= t_end, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "-rstf_start is after the analysis period of '%s' (its last day + 1)", in);
  prc_fc_units U;
  PrcCallK(prc_fc_units_lookback(&G, cells, nc, tim, na, val, t_start, t_end, P.step, P.L, &U));
  PetscCall(PetscFree(val));
  /* forecast.h5 */
  prc_h5out f;
  hid_t     g;
  PetscCall(prc_fc_write_begin(ctx, &G, &P, &U, "days_defined",
                               "largest fraction of the cell's defined pixels anomalous (rst /anomaly = 1) on an analysis day in [time - "
                               "lookback_days, time); 0 if none; days_defined = such days with a defined pixel",
                               in, &f, &g));
  char ttl[256];
  snprintf(ttl, sizeof ttl, "RST forecast score: largest per %g-degree cell (lookback %g days)", G.d, P.L / PRC_DAY);
  PetscCall(prc_fc_write_end(ctx, &G, &P, &U, &f, g, "rst_forecast_map.png", ttl));
  prc_fc_say(ctx, &P, &U, "rst_forecast_map.png");
  prc_fc_units_free(&U);
  PetscCall(PetscFree(cells));
  PetscCall(PetscFree(buf));
  PetscCall(PetscFree(cnt));
  PetscCall(PetscFree2(rowcell, colcell));
  PetscCall(PetscFree3(tim, lat, lon));
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_rst_forecast = {"rst-forecast", "RST anomalies as a forecast table (cell x time: anomalous fraction before t) for evaluate and study",
                                          rstf_opts, (int)(sizeof rstf_opts / sizeof rstf_opts[0]), rstf_validate, rstf_run};

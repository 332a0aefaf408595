/* stage_indicators.c — `precursor indicators`: seismicity indicators per grid cell and
 * evaluation time (Panakkat & Adeli 2007; Reyes et al. 2013), with the label "M >= m
 * within the next N days in the cell" (docs/INDICATORS.md).
 *
 * Input: a catalog file (docs/DATA_MODEL.md). Grid: cells of -ind_cell_deg degrees from
 * (-ind_lat_min, -ind_lon_min) covering up to -ind_lat_max/-ind_lon_max; cell = row * nlon +
 * col, row 0 the southern row (the "forecast" convention, so `precursor evaluate` reads the
 * output directly). Evaluation times t_j = start + j * step, t_j <= end.
 * Features of (cell, t) use only the cell's events with time < t (src/seismo/indicators.c
 * never reads the others); the label uses the events with time in [t, t + horizon).
 *
 * Parallelism: every rank reads the catalog (small); the cells are split in contiguous
 * blocks (prc_partition_1d) and the table is cell-major (row = cell * nt + j), so each rank
 * writes one contiguous block of every column collectively: the file does not depend on
 * the rank count. The pictures are drawn by rank 0, which recomputes the few values it
 * needs (one time for the b map, one cell for the time series) from the catalog it holds.
 *
 * Output: -out_dir/indicators.h5 (precursor_kind "forecast": /forecast/{cell, lat, lon,
 * time, <indicators>, n_window, n_used, mc, label, observed, score}), bmap.png, series.png. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/catalog.h"
#include "precursor/decomp.h"
#include "precursor/error.h"
#include "precursor/indicators.h"
#include "precursor/plot.h"
#include "precursor/progress.h"
#include "precursor/stage.h"
#include "precursor/timeutil.h"

static const prc_opt_spec ind_opts[] = {
  {"ind_catalog", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "catalog file (precursor_kind 'catalog', e.g. from import-catalog)"},
  {"ind_lat_min", PRC_OPT_REAL, NULL, -90, 90, "grid: southern edge, degrees"},
  {"ind_lat_max", PRC_OPT_REAL, NULL, -90, 90, "grid: northern limit, degrees (the last row may extend past it)"},
  {"ind_lon_min", PRC_OPT_REAL, NULL, -180, 360, "grid: western edge, degrees"},
  {"ind_lon_max", PRC_OPT_REAL, NULL, -180, 360, "grid: eastern limit, degrees (the last column may extend past it)"},
  {"ind_cell_deg", PRC_OPT_REAL, "1", PRC_NO_RANGE, "cell size, degrees (> 0)"},
  {"ind_start", PRC_OPT_DATE, NULL, PRC_NO_RANGE, "first evaluation time (UTC)"},
  {"ind_end", PRC_OPT_DATE, NULL, PRC_NO_RANGE, "last evaluation time limit (UTC), after -ind_start"},
  {"ind_step_days", PRC_OPT_REAL, "30", PRC_NO_RANGE, "days between evaluation times (> 0)"},
  {"ind_n_events", PRC_OPT_INT, "50", PRC_NO_RANGE, "window: the last n events before t (>= 2; used when -ind_span_days is 0)"},
  {"ind_span_days", PRC_OPT_REAL, "0", PRC_NO_RANGE, "window: the events in [t - span, t) if > 0 (days), instead of the last n"},
  {"ind_mc", PRC_OPT_STRING, "auto", PRC_NO_RANGE, "magnitude of completeness: auto (max curvature of each window + -ind_mc_corr) or a value"},
  {"ind_mc_corr", PRC_OPT_REAL, "0.2", -2, 2, "correction added to the max-curvature Mc"},
  {"ind_dm", PRC_OPT_REAL, "0.1", 0.001, 1, "magnitude bin width"},
  {"ind_bmethod", PRC_OPT_STRING, "mle", PRC_NO_RANGE, "b-value: mle (Aki-Utsu, Shi & Bolt sigma) or lsq (least squares on cumulative counts)"},
  {"ind_min_events_b", PRC_OPT_INT, "10", 2, 1e9, "fewest events >= Mc for a b-value (else NaN)"},
  {"ind_char_mag", PRC_OPT_REAL, "6.5", -2, 10, "characteristic magnitude: mu, c from the intervals between events M >= this"},
  {"ind_p_mag", PRC_OPT_REAL, "6", -2, 10, "magnitude of the background probability p_bg"},
  {"ind_reyes_n", PRC_OPT_INT, "50", 2, 1e6, "events per b window of the Reyes increments x1..x4"},
  {"ind_reyes_lag", PRC_OPT_INT, "4", 1, 1e6, "shift (events) between the Reyes b windows"},
  {"ind_label_mag", PRC_OPT_REAL, "5", -2, 10, "label: M >= this ..."},
  {"ind_horizon_days", PRC_OPT_REAL, "30", PRC_NO_RANGE, "... within the next N days (> 0); also the horizon of p_bg and score"},
  {"ind_png", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "write bmap.png (b per cell at the last time) and series.png (the busiest cell)"},
};
#define NOPTS ((int)(sizeof ind_opts / sizeof ind_opts[0]))

static int parse_mc(const char *s, double *v)
{
  char *end;
  if (!strcmp(s, "auto")) return 1;
  *v = strtod(s, &end);
  return (end != s && !*end && isfinite(*v) && *v > -3 && *v < 10) ? 0 : -1;
}

static void ind_validate(prc_opts *o)
{
  double v;
  if (parse_mc(prc_opts_string(o, "ind_mc"), &v) < 0)
    prc_opts_violation(o, "-ind_mc %s: expected 'auto' or a magnitude in (-3, 10)", prc_opts_string(o, "ind_mc"));
  const char *bm = prc_opts_string(o, "ind_bmethod");
  if (strcmp(bm, "mle") && strcmp(bm, "lsq")) prc_opts_violation(o, "-ind_bmethod %s: expected mle or lsq", bm);
  if (!(prc_opts_real(o, "ind_cell_deg") > 0 && prc_opts_real(o, "ind_cell_deg") <= 90))
    prc_opts_violation(o, "-ind_cell_deg %g: the cell size must be > 0 and <= 90 degrees", prc_opts_real(o, "ind_cell_deg"));
  if (!(prc_opts_real(o, "ind_lat_min") < prc_opts_real(o, "ind_lat_max")))
    prc_opts_violation(o, "-ind_lat_min %g must be < -ind_lat_max %g", prc_opts_real(o, "ind_lat_min"), prc_opts_real(o, "ind_lat_max"));
  if (!(prc_opts_real(o, "ind_lon_min") < prc_opts_real(o, "ind_lon_max")))
    prc_opts_violation(o, "-ind_lon_min %g must be < -ind_lon_max %g", prc_opts_real(o, "ind_lon_min"), prc_opts_real(o, "ind_lon_max"));
  if (!(prc_opts_real(o, "ind_start") < prc_opts_real(o, "ind_end")))
    prc_opts_violation(o, "-ind_start %s must be before -ind_end %s", prc_opts_string(o, "ind_start"), prc_opts_string(o, "ind_end"));
  if (!(prc_opts_real(o, "ind_step_days") > 0)) prc_opts_violation(o, "-ind_step_days %g must be > 0", prc_opts_real(o, "ind_step_days"));
  if (!(prc_opts_real(o, "ind_horizon_days") > 0))
    prc_opts_violation(o, "-ind_horizon_days %g must be > 0", prc_opts_real(o, "ind_horizon_days"));
  const double span = prc_opts_real(o, "ind_span_days");
  if (span < 0) prc_opts_violation(o, "-ind_span_days %g must be >= 0 (0: use -ind_n_events)", span);
  if (span == 0 && prc_opts_int(o, "ind_n_events") < 2)
    prc_opts_violation(o, "-ind_n_events %ld: a window needs at least 2 events (or give -ind_span_days > 0)", (long)prc_opts_int(o, "ind_n_events"));
  if (prc_opts_real(o, "ind_lat_min") < prc_opts_real(o, "ind_lat_max") && prc_opts_real(o, "ind_cell_deg") > 0 &&
      prc_opts_real(o, "ind_start") < prc_opts_real(o, "ind_end") && prc_opts_real(o, "ind_step_days") > 0) {
    double d = prc_opts_real(o, "ind_cell_deg");
    double nc = ceil((prc_opts_real(o, "ind_lat_max") - prc_opts_real(o, "ind_lat_min")) / d - 1e-9) *
                ceil((prc_opts_real(o, "ind_lon_max") - prc_opts_real(o, "ind_lon_min")) / d - 1e-9);
    double nt = floor((prc_opts_real(o, "ind_end") - prc_opts_real(o, "ind_start")) / (prc_opts_real(o, "ind_step_days") * PRC_DAY)) + 1;
    if (nc * nt > 2.0e8) prc_opts_violation(o, "%g cells x %g times = %g rows: too many (at most 2e8)", nc, nt, nc * nt);
  }
}

/* Events of the grid grouped by cell, each cell's events sorted by time. */
typedef struct {
  long    ncell, nlat, nlon;
  double  lat0, lon0, d;
  long   *first; /* ncell + 1 offsets into t/m */
  double *t, *m; /* days since epoch, magnitude */
  long    nin;
} cell_events;

typedef struct {
  double t, m;
  long   cell;
  size_t idx;
} ev;

static int ev_cmp(const void *a, const void *b)
{
  const ev *x = a, *y = b;
  if (x->cell != y->cell) return x->cell < y->cell ? -1 : 1;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  return x->idx < y->idx ? -1 : x->idx > y->idx; /* stable: catalog order on ties */
}

static PetscErrorCode group_events(const prc_catalog *cat, cell_events *C)
{
  ev *e;
  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(cat->n + 1, &e));
  C->nin = 0;
  for (size_t i = 0; i < cat->n; i++) {
    double r = floor((cat->lat[i] - C->lat0) / C->d), c = floor((cat->lon[i] - C->lon0) / C->d);
    if (r < 0 || r >= C->nlat || c < 0 || c >= C->nlon || !isfinite(cat->mag[i])) continue;
    e[C->nin++] = (ev){cat->time[i] / PRC_DAY, cat->mag[i], (long)r * C->nlon + (long)c, i};
  }
  qsort(e, (size_t)C->nin, sizeof *e, ev_cmp);
  PetscCall(PetscCalloc1(C->ncell + 1, &C->first));
  PetscCall(PetscMalloc2(C->nin + 1, &C->t, C->nin + 1, &C->m));
  for (long i = 0; i < C->nin; i++) C->t[i] = e[i].t, C->m[i] = e[i].m, C->first[e[i].cell + 1]++;
  for (long k = 0; k < C->ncell; k++) C->first[k + 1] += C->first[k];
  PetscCall(PetscFree(e));
  PetscFunctionReturn(0);
}

/* label: any event M >= mlab in [t, t + H) (days) among the cell's sorted events */
static double label_of(const double *t, const double *m, long n, double te, double H, double mlab)
{
  long lo = 0, hi = n;
  while (lo < hi) {
    long mid = lo + (hi - lo) / 2;
    if (t[mid] < te) lo = mid + 1;
    else hi = mid;
  }
  for (long i = lo; i < n && t[i] < te + H; i++)
    if (m[i] >= mlab) return 1;
  return 0;
}

/* GR probability of M >= mlab within H days from a window's a, b and observation period D */
static double gr_score(const double *o, double mlab, double H)
{
  double a = o[PRC_IND_A], b = o[PRC_IND_B], D = o[PRC_IND_DAYS];
  if (!(isfinite(a) && isfinite(b) && D > 0)) return 0;
  return 1.0 - exp(-pow(10.0, a - b * mlab) / D * H);
}

static PetscErrorCode ind_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  const char     *catp = prc_opts_string(o, "ind_catalog"), *out = prc_opts_string(o, "out_dir");
  prc_ind_params  p;
  cell_events     C;
  prc_catalog     cat;
  char            path[4200];
  PetscFunctionBeginUser;
  prc_ind_defaults(&p);
  p.span_days = prc_opts_real(o, "ind_span_days");
  p.n_events = p.span_days > 0 ? 0 : (int)prc_opts_int(o, "ind_n_events");
  p.dm = prc_opts_real(o, "ind_dm");
  p.mc_auto = parse_mc(prc_opts_string(o, "ind_mc"), &p.mc) == 1;
  p.mc_corr = prc_opts_real(o, "ind_mc_corr");
  p.b_lsq = !strcmp(prc_opts_string(o, "ind_bmethod"), "lsq");
  p.min_events_b = (int)prc_opts_int(o, "ind_min_events_b");
  p.char_mag = prc_opts_real(o, "ind_char_mag");
  p.p_mag = prc_opts_real(o, "ind_p_mag");
  p.horizon_days = prc_opts_real(o, "ind_horizon_days");
  p.reyes_n = (int)prc_opts_int(o, "ind_reyes_n");
  p.reyes_lag = (int)prc_opts_int(o, "ind_reyes_lag");
  PrcCallK(prc_ind_check(&p));
  const double H = p.horizon_days, mlab = prc_opts_real(o, "ind_label_mag");

  memset(&C, 0, sizeof C);
  C.d = prc_opts_real(o, "ind_cell_deg");
  C.lat0 = prc_opts_real(o, "ind_lat_min"), C.lon0 = prc_opts_real(o, "ind_lon_min");
  C.nlat = (long)ceil((prc_opts_real(o, "ind_lat_max") - C.lat0) / C.d - 1e-9);
  C.nlon = (long)ceil((prc_opts_real(o, "ind_lon_max") - C.lon0) / C.d - 1e-9);
  C.ncell = C.nlat * C.nlon;
  const double t0 = prc_opts_real(o, "ind_start") / PRC_DAY, t1 = prc_opts_real(o, "ind_end") / PRC_DAY, step = prc_opts_real(o, "ind_step_days");
  const long   nt = (long)floor((t1 - t0) / step + 1e-9) + 1;

  PetscCall(prc_ctx_add_input(ctx, catp));
  PetscCall(prc_catalog_read(ctx->comm, catp, &cat));
  PetscCall(group_events(&cat, &C));
  PetscCall(prc_catalog_free(&cat));
  prc_say(ctx->comm, "[indicators] %ld of the catalog's events in %ld x %ld cells of %g deg; %ld evaluation times every %g days; window %s\n",
          C.nin, C.nlat, C.nlon, C.d, nt, step, p.n_events ? "last n events" : "time span");

  /* ---- this rank's cells ---- */
  int64_t c0, cn;
  prc_partition_1d(C.ncell, ctx->size, ctx->rank, &c0, &cn);
  const size_t nrow = (size_t)cn * (size_t)nt;
  double      *cols[PRC_IND_COUNT], *lat, *lon, *tim, *lab, *score;
  int64_t     *cell;
  for (int k = 0; k < PRC_IND_COUNT; k++) PetscCall(PetscMalloc1(nrow + 1, &cols[k]));
  PetscCall(PetscMalloc6(nrow + 1, &lat, nrow + 1, &lon, nrow + 1, &tim, nrow + 1, &lab, nrow + 1, &score, nrow + 1, &cell));
  prc_progress pr;
  prc_progress_start(&pr, ctx->comm, "indicators", "cells", "cells", (double)cn, prc_opts_real(o, "progress_interval"), prc_opts_bool(o, "quiet"));
  long npos = 0;
  for (int64_t c = c0; c < c0 + cn; c++) {
    const long    f = C.first[c], ne = C.first[c + 1] - f;
    const double *ct = C.t + f, *cm = C.m + f;
    for (long j = 0; j < nt; j++) {
      size_t r = (size_t)(c - c0) * (size_t)nt + (size_t)j;
      double te = t0 + (double)j * step, v[PRC_IND_COUNT];
      PrcCallK(prc_indicators(ct, cm, (size_t)ne, te, &p, v));
      for (int k = 0; k < PRC_IND_COUNT; k++) cols[k][r] = v[k];
      cell[r] = c;
      lat[r] = C.lat0 + ((double)(c / C.nlon) + 0.5) * C.d;
      lon[r] = C.lon0 + ((double)(c % C.nlon) + 0.5) * C.d;
      tim[r] = te * PRC_DAY;
      lab[r] = label_of(ct, cm, ne, te, H, mlab);
      score[r] = gr_score(v, mlab, H);
      npos += lab[r] > 0;
    }
    prc_progress_update(&pr, (double)(c - c0 + 1));
  }
  prc_progress_end(&pr);
  long nb = 0, ntot = 0;
  for (size_t r = 0; r < nrow; r++) nb += isfinite(cols[PRC_IND_B][r]);
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &nb, 1, MPI_LONG, MPI_SUM, ctx->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &npos, 1, MPI_LONG, MPI_SUM, ctx->comm));
  ntot = (long)C.ncell * nt;

  /* ---- indicators.h5 ---- */
  prc_h5out fo;
  hid_t     g;
  hsize_t   dims = (hsize_t)C.ncell * (hsize_t)nt, st = (hsize_t)c0 * (hsize_t)nt, cnt = nrow;
  snprintf(path, sizeof path, "%s/indicators.h5", out);
  PetscCall(prc_h5_create(ctx->comm, path, "forecast", &fo));
  PetscCall(prc_h5_group(fo.fid, "forecast", &g));
  PetscCall(prc_h5_write_nd(g, "cell", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &dims, &st, &cnt, cell));
  PetscCall(prc_h5_write_nd(g, "lat", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &dims, &st, &cnt, lat));
  PetscCall(prc_h5_write_nd(g, "lon", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &dims, &st, &cnt, lon));
  PetscCall(prc_h5_write_nd(g, "time", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &dims, &st, &cnt, tim));
  for (int k = 0; k < PRC_IND_COUNT; k++) {
    PetscCall(prc_h5_write_nd(g, prc_ind_name(k), H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &dims, &st, &cnt, cols[k]));
    hid_t ds = H5Dopen2(g, prc_ind_name(k), H5P_DEFAULT);
    PetscCall(prc_h5_attr_str(ds, "units", prc_ind_unit(k)));
    H5Dclose(ds);
  }
  PetscCall(prc_h5_write_nd(g, "label", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &dims, &st, &cnt, lab));
  PetscCall(prc_h5_write_nd(g, "observed", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &dims, &st, &cnt, lab));
  PetscCall(prc_h5_write_nd(g, "score", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &dims, &st, &cnt, score));
  PetscCall(prc_h5_attr_double(g, "grid_lat_min", C.lat0));
  PetscCall(prc_h5_attr_double(g, "grid_lon_min", C.lon0));
  PetscCall(prc_h5_attr_double(g, "grid_dlat", C.d));
  PetscCall(prc_h5_attr_double(g, "grid_dlon", C.d));
  PetscCall(prc_h5_attr_double(g, "grid_nlat", (double)C.nlat));
  PetscCall(prc_h5_attr_double(g, "grid_nlon", (double)C.nlon));
  PetscCall(prc_h5_attr_double(g, "horizon_days", H));
  PetscCall(prc_h5_attr_double(g, "label_mag", mlab));
  PetscCall(prc_h5_attr_int(g, "n_times", nt));
  PetscCall(prc_h5_attr_str(g, "row_order", "cell-major: row = cell * n_times + j, time = ind_start + j * step"));
  PetscCall(prc_h5_attr_str(g, "label", "1 if an event M >= label_mag with time in [time, time + horizon_days) lies in the cell"));
  PetscCall(prc_h5_attr_str(g, "observed", "= label (the column precursor evaluate reads)"));
  PetscCall(prc_h5_attr_str(g, "score", "GR probability of M >= label_mag within horizon_days: 1 - exp(-10^(a - b label_mag) / n_days * horizon); 0 if b is NaN"));
  PetscCall(prc_h5_attr_str(g, "leakage_rule", "features use only events with time < t; labels only events in [t, t + horizon)"));
  H5Gclose(g);
  PetscCall(prc_h5_commit(&fo, ctx));
  prc_say(ctx->comm, "[indicators] %ld rows (%ld cells x %ld times): b defined in %ld, label 1 in %ld (M >= %g within %g days)\n", ntot,
          C.ncell, nt, nb, npos, mlab, H);

  /* ---- pictures (rank 0 recomputes what it draws) ---- */
  int ok = 1;
  if (prc_opts_bool(o, "ind_png") && !ctx->rank) {
    const double tl = t0 + (double)(nt - 1) * step;
    float       *z;
    long         busiest = 0;
    char         ttl[256], date[32];
    PetscCall(PetscMalloc1(C.ncell, &z));
    for (long c = 0; c < C.ncell; c++) {
      double v[PRC_IND_COUNT];
      PrcCallK(prc_indicators(C.t + C.first[c], C.m + C.first[c], (size_t)(C.first[c + 1] - C.first[c]), tl, &p, v));
      z[c] = (float)v[PRC_IND_B];
      if (C.first[c + 1] - C.first[c] > C.first[busiest + 1] - C.first[busiest]) busiest = c;
    }
    prc_time_format(tl * PRC_DAY, date, sizeof date);
    snprintf(ttl, sizeof ttl, "b-value (%s) per %g deg cell at %.10s", p.b_lsq ? "LSQ" : "Aki-Utsu MLE", C.d, date);
    prc_map_style ms = {.title = ttl, .cbar_label = "b", .vmin = 0.4, .vmax = 1.6};
    snprintf(path, sizeof path, "%s/bmap.png", out);
    if (prc_plot_map_png(path, z, (int)C.nlon, (int)C.nlat, &ms)) ok = 0;
    PetscCall(PetscFree(z));
    double *x, *yb, *ym, *y7, *vl;
    long    nv = 0;
    const long f = C.first[busiest], ne = C.first[busiest + 1] - f;
    PetscCall(PetscMalloc5(nt, &x, nt, &yb, nt, &ym, nt, &y7, ne + 1, &vl));
    for (long j = 0; j < nt; j++) {
      double v[PRC_IND_COUNT], te = t0 + (double)j * step;
      PrcCallK(prc_indicators(C.t + f, C.m + f, (size_t)ne, te, &p, v));
      x[j] = 1970.0 + te / 365.2425, yb[j] = v[PRC_IND_B], ym[j] = v[PRC_IND_MMEAN] - 4.0, y7[j] = v[PRC_IND_MC] - 4.0;
    }
    for (long i = 0; i < ne; i++)
      if (C.m[f + i] >= mlab) vl[nv++] = 1970.0 + C.t[f + i] / 365.2425;
    prc_series s[3] = {{x, yb, (int)nt, "b (MLE)", 0}, {x, ym, (int)nt, "Mmean - 4", 0}, {x, y7, (int)nt, "Mc - 4", 0}};
    snprintf(ttl, sizeof ttl, "cell %ld (%.2f N, %.2f E, %ld events): indicators; red = M >= %g", busiest,
             C.lat0 + ((double)(busiest / C.nlon) + 0.5) * C.d, C.lon0 + ((double)(busiest % C.nlon) + 0.5) * C.d, ne, mlab);
    prc_lines_style ls = {.title = ttl, .xlabel = "year", .ylabel = "value", .vlines = vl, .nvlines = (int)nv};
    snprintf(path, sizeof path, "%s/series.png", out);
    if (ok && prc_plot_lines_png(path, s, 3, &ls)) ok = 0;
    if (!ok) PetscCall(PetscPrintf(PETSC_COMM_SELF, "precursor indicators: picture failed: %s\n", prc_lasterr()));
    PetscCall(PetscFree5(x, yb, ym, y7, vl));
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, ctx->comm));
  PetscCheck(ok, ctx->comm, PETSC_ERR_FILE_WRITE, "writing the indicator pictures in '%s' failed (see above)", out);
  prc_say(ctx->comm, "[indicators] outputs in %s/ (indicators.h5%s)\n", out, prc_opts_bool(o, "ind_png") ? " bmap.png series.png" : "");

  for (int k = 0; k < PRC_IND_COUNT; k++) PetscCall(PetscFree(cols[k]));
  PetscCall(PetscFree6(lat, lon, tim, lab, score, cell));
  PetscCall(PetscFree(C.first));
  PetscCall(PetscFree2(C.t, C.m));
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_indicators = {"indicators",
                                        "seismicity indicators per cell and time (Panakkat & Adeli, Reyes) with 'M >= m in the next N days' labels",
                                        ind_opts, NOPTS, ind_validate, ind_run};

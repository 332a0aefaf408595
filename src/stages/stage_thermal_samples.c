/* stage_thermal_samples.c — `precursor thermal-samples`: epicentre-centred LST crops and
 * N-day labels for short-term thermal forecasting (paper 001, METHODS.md §4;
 * docs/THERMAL.md), written as training sets that `precursor train` reads.
 *
 * Every rank computes the same groups (earthquake groups from the catalog, quiet groups
 * from a counter-based hash of -seed) and the same split; the groups of each output file
 * are cut into contiguous blocks over the ranks, each rank reads its crops with one
 * collective hyperslab per group (ranks without a group take part with an empty one),
 * scales them (per image, no communication) and writes its block of rows. Nothing depends
 * on the rank count: the files are bitwise identical on any number of ranks (tested). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/catalog.h"
#include "precursor/error.h"
#include "precursor/lst_stack.h"
#include "precursor/plot.h"
#include "precursor/progress.h"
#include "precursor/stage.h"
#include "precursor/thermal_samples.h"
#include "precursor/timeutil.h"

#define MAX_WINDOWS 16

static const prc_opt_spec ts_opts[] = {
  {"thermal_input", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "LST stack (grid file: daily steps on a regular lat/lon grid, e.g. synth's lst.h5)"},
  {"thermal_var", PRC_OPT_STRING, "lst", PRC_NO_RANGE, "dataset of the stack in the input file"},
  {"thermal_catalog", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "catalog file (data model) whose events label the samples"},
  {"thermal_mmin", PRC_OPT_REAL, "5", -2, 10, "events with M >= this are earthquakes (samples centred on them; none near quiet samples)"},
  {"thermal_size", PRC_OPT_INT, "256", 2, 4096, "crop width W in pixels (W x W; 256 at 1 km as the paper)"},
  {"thermal_days", PRC_OPT_STRING, "5", PRC_NO_RANGE,
   "forecast windows N (list, e.g. 3,5,7,9): the N-1 daily images before an event are positive; one file pair per N"},
  {"thermal_ratio", PRC_OPT_REAL, "3", 0.01, 1e4, "earthquake groups per quiet group (3 = the paper's 3:1)"},
  {"thermal_guard_days", PRC_OPT_REAL, "10", 0, 365,
   "a quiet group has no M >= mmin in its crop from this many days before its first image to this many after its last day"},
  {"thermal_start", PRC_OPT_STRING, "start", PRC_NO_RANGE, "first day of the span (date or 'start' of the stack): events and quiet images"},
  {"thermal_end", PRC_OPT_STRING, "end", PRC_NO_RANGE, "last day of the span (date or 'end' of the stack)"},
  {"thermal_split", PRC_OPT_STRING, "time", PRC_NO_RANGE,
   "time (groups before the split time train, later ones test) or random (the paper's random split, stratified by class)"},
  {"thermal_test_fraction", PRC_OPT_REAL, "0.25", 0.01, 0.99, "fraction of groups tested (0.25 = the paper's 3:1 split)"},
  {"thermal_split_time", PRC_OPT_STRING, "auto", PRC_NO_RANGE,
   "time split: first test day (date), or auto (the time that leaves -thermal_test_fraction of the groups for the test)"},
  {"thermal_scale", PRC_OPT_STRING, "zscore", PRC_NO_RANGE,
   "per-image scaling: zscore ((v-mean)/sd of the valid pixels), minmax (to [0,1]) or none (kelvin); no-data pixels become 0 after it"},
  {"thermal_quiet_places", PRC_OPT_STRING, "epicentres", PRC_NO_RANGE,
   "centres of quiet crops: epicentres (the centre of a random earthquake group: the same spatial distribution) or uniform (any pixel)"},
  {"thermal_max_tries", PRC_OPT_INT, "10000", 1, 1e9, "draws per quiet group before giving up"},
  {"thermal_png", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "write thermal_samples_N<N>.png (last images of earthquake and quiet groups)"},
};

static int parse_days(const char *s, int *d, char *err, size_t len)
{
  int  n = 0;
  char buf[512];
  snprintf(buf, sizeof buf, "%s", s);
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char *end;
    long  v = strtol(tok, &end, 10);
    if (end == tok || *end || v < 2 || v > 366) {
      snprintf(err, len, "'%s' is not a window of 2..366 days", tok);
      return -1;
    }
    for (int i = 0; i < n; i++)
      if (d[i] == v) {
        snprintf(err, len, "window %ld given twice", v);
        return -1;
      }
    if (n == MAX_WINDOWS) {
      snprintf(err, len, "at most %d windows", MAX_WINDOWS);
      return -1;
    }
    d[n++] = (int)v;
  }
  if (!n) snprintf(err, len, "no window given");
  return n ? n : -1;
}

static void ts_validate(prc_opts *o)
{
  int    d[MAX_WINDOWS];
  char   err[256];
  double t;
  if (parse_days(prc_opts_string(o, "thermal_days"), d, err, sizeof err) < 0) prc_opts_violation(o, "-thermal_days: %s", err);
  const char *sp = prc_opts_string(o, "thermal_split"), *sc = prc_opts_string(o, "thermal_scale");
  if (strcmp(sp, "time") && strcmp(sp, "random")) prc_opts_violation(o, "-thermal_split '%s': expected time or random", sp);
  if (strcmp(sc, "zscore") && strcmp(sc, "minmax") && strcmp(sc, "none"))
    prc_opts_violation(o, "-thermal_scale '%s': expected zscore, minmax or none", sc);
  const char *qp = prc_opts_string(o, "thermal_quiet_places");
  if (strcmp(qp, "epicentres") && strcmp(qp, "uniform")) prc_opts_violation(o, "-thermal_quiet_places '%s': expected epicentres or uniform", qp);
  const char *st = prc_opts_string(o, "thermal_split_time");
  if (strcmp(st, "auto") && prc_time_parse(st, &t)) prc_opts_violation(o, "-thermal_split_time: %s", prc_lasterr());
  if (strcmp(st, "auto") && strcmp(sp, "time")) prc_opts_violation(o, "-thermal_split_time needs -thermal_split time");
  const char *dates[] = {"thermal_start", "thermal_end"};
  for (int i = 0; i < 2; i++) {
    const char *v = prc_opts_string(o, dates[i]);
    if (strcmp(v, i ? "end" : "start") && prc_time_parse(v, &t)) prc_opts_violation(o, "-%s: %s", dates[i], prc_lasterr());
  }
}

typedef struct {
  prc_ctx           *ctx;
  prc_lst_stack     *S;
  const prc_ts_grid *g;
  const prc_catalog *c;
  int                W, N;
  prc_ts_scaling     scaling;
  const char        *split, *scale_name, *places;
  double             t_split, f, ratio, guard, mmin;
  size_t             n_eq, n_quiet; /* groups of this window over both sets */
} writer;

static const prc_ts_group *sort_base;
static int cmp_group(const void *a, const void *b)
{ /* by time of the last image, then the order the groups were made in */
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  double x = sort_base[i].time, y = sort_base[j].time;
  if (x != y) return (x > y) - (x < y);
  return (i > j) - (i < j);
}

/* Write one set (train or test) of window N: the groups gi[0..ng) of G. Collective. */
static PetscErrorCode write_set(writer *w, const prc_ts_group *G, const size_t *gi, size_t ng, const char *set, const char *path,
                                prc_progress *prog, double *done)
{
  prc_ctx      *ctx = w->ctx;
  const int     W = w->W, nimg = w->N - 1;
  const size_t  WW = (size_t)W * (size_t)W;
  const size_t  g_lo = ng * (size_t)ctx->rank / (size_t)ctx->size, g_hi = ng * (size_t)(ctx->rank + 1) / (size_t)ctx->size;
  const size_t  nloc = (g_hi - g_lo) * (size_t)nimg, nrows = ng * (size_t)nimg, maxg = (ng + (size_t)ctx->size - 1) / (size_t)ctx->size;
  float        *x, *blk;
  double       *vf;
  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(nloc * WW + 1, &x, (size_t)nimg * WW, &blk, nloc + 1, &vf));
  for (size_t it = 0; it < maxg; it++) {
    size_t   q = g_lo + it;
    prc_tile T = {0, 0, 0, 0, w->S->nx, w->S->ny};
    int      r0 = 0, rc = 0, ro = 0, c0 = 0, cc = 0, co = 0;
    hsize_t  t0 = 0, nt = 0;
    if (q < g_hi) {
      const prc_ts_group *gr = &G[gi[q]];
      prc_ts_clip(gr->row, W, w->S->ny, &r0, &rc, &ro);
      prc_ts_clip(gr->col, W, w->S->nx, &c0, &cc, &co);
      T.xs = c0, T.xm = cc, T.ys = r0, T.ym = rc;
      t0 = (hsize_t)(gr->last - (w->N - 2)), nt = (hsize_t)nimg;
      if (!rc || !cc) T.xm = T.ym = 0, nt = 0;
    }
    PetscCall(prc_h5_tile_read(w->S->dset, &T, t0, nt, blk));
    if (q < g_hi) {
      float *xo = x + (q - g_lo) * (size_t)nimg * WW;
      prc_ts_place(blk, nt ? nimg : 0, T.ym, T.xm, ro, co, W, xo);
      for (int k = nt ? nimg : 0; k < nimg; k++)
        for (size_t p = 0; p < WW; p++) xo[(size_t)k * WW + p] = NAN;
      for (int k = 0; k < nimg; k++) vf[(q - g_lo) * (size_t)nimg + (size_t)k] = prc_ts_scale(xo + (size_t)k * WW, WW, w->scaling);
      prc_progress_update(prog, ++*done);
    }
  }
  /* per-row metadata: the same on every rank, written by rank 0 */
  int32_t *y, *kind, *grp, *row, *col, *step;
  int64_t *ev;
  double  *tim, *lat, *lon, *mag, *dbe;
  PetscCall(PetscMalloc6(nrows + 1, &y, nrows + 1, &kind, nrows + 1, &grp, nrows + 1, &row, nrows + 1, &col, nrows + 1, &step));
  PetscCall(PetscMalloc6(nrows + 1, &ev, nrows + 1, &tim, nrows + 1, &lat, nrows + 1, &lon, nrows + 1, &mag, nrows + 1, &dbe));
  for (size_t q = 0; q < ng; q++) {
    const prc_ts_group *gr = &G[gi[q]];
    for (int k = 0; k < nimg; k++) {
      size_t i = q * (size_t)nimg + (size_t)k;
      int    s = gr->last - (nimg - 1) + k;
      y[i] = kind[i] = gr->kind, grp[i] = (int32_t)q, row[i] = gr->row, col[i] = gr->col, step[i] = s, ev[i] = gr->event;
      tim[i] = w->S->tim[s], lat[i] = w->g->lat0 + gr->row * w->g->dlat, lon[i] = w->g->lon0 + gr->col * w->g->dlon;
      mag[i] = gr->kind ? w->c->mag[gr->event] : NAN;
      dbe[i] = gr->kind ? (w->c->time[gr->event] - tim[i]) / PRC_DAY : NAN;
    }
  }
  prc_h5out f;
  hid_t     h;
  hsize_t   dims[4] = {nrows, 1, (hsize_t)W, (hsize_t)W}, start[4] = {g_lo * (size_t)nimg, 0, 0, 0}, count[4] = {nloc, 1, (hsize_t)W, (hsize_t)W};
  PetscCall(prc_h5_create(ctx->comm, path, "trainset", &f));
  PetscCall(prc_h5_write_nd(f.fid, "x", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 4, dims, start, count, x));
  PetscCall(prc_h5_write_col(ctx->comm, f.fid, "y", H5T_STD_I32LE, nrows, y));
  PetscCall(prc_h5_group(f.fid, "sample", &h));
  PetscCall(prc_h5_write_col(ctx->comm, h, "group", H5T_STD_I32LE, nrows, grp));
  PetscCall(prc_h5_write_col(ctx->comm, h, "kind", H5T_STD_I32LE, nrows, kind));
  PetscCall(prc_h5_write_col(ctx->comm, h, "event", H5T_STD_I64LE, nrows, ev));
  PetscCall(prc_h5_write_col(ctx->comm, h, "row", H5T_STD_I32LE, nrows, row));
  PetscCall(prc_h5_write_col(ctx->comm, h, "col", H5T_STD_I32LE, nrows, col));
  PetscCall(prc_h5_write_col(ctx->comm, h, "step", H5T_STD_I32LE, nrows, step));
  PetscCall(prc_h5_write_col(ctx->comm, h, "time", H5T_IEEE_F64LE, nrows, tim));
  PetscCall(prc_h5_write_col(ctx->comm, h, "lat", H5T_IEEE_F64LE, nrows, lat));
  PetscCall(prc_h5_write_col(ctx->comm, h, "lon", H5T_IEEE_F64LE, nrows, lon));
  PetscCall(prc_h5_write_col(ctx->comm, h, "mag", H5T_IEEE_F64LE, nrows, mag));
  PetscCall(prc_h5_write_col(ctx->comm, h, "days_before_event", H5T_IEEE_F64LE, nrows, dbe));
  PetscCall(prc_h5_write_nd(h, "valid_fraction", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, start, count, vf));
  H5Gclose(h);
  size_t neq = 0;
  double info_end = -INFINITY; /* the latest time the images or labels of this file depend on */
  for (size_t q = 0; q < ng; q++) {
    const prc_ts_group *gr = &G[gi[q]];
    neq += (size_t)gr->kind;
    info_end = fmax(info_end, gr->kind ? w->c->time[gr->event] : w->S->tim[gr->last] + PRC_DAY + w->guard * PRC_DAY);
  }
  char ts[32];
  prc_time_format(w->t_split, ts, sizeof ts);
  PetscCall(prc_h5_attr_str(f.fid, "class_names", "no_earthquake,earthquake"));
  PetscCall(prc_h5_attr_int(f.fid, "nclasses", 2));
  PetscCall(prc_h5_attr_str(f.fid, "generator", "thermal-samples"));
  PetscCall(prc_h5_attr_str(f.fid, "set", set));
  PetscCall(prc_h5_attr_str(f.fid, "split", w->split));
  PetscCall(prc_h5_attr_str(f.fid, "split_description",
                            strcmp(w->split, "time") ? "random: per class, a seeded permutation of the groups; the first round(n f) groups are tested"
                                                     : "time: groups whose last image is before split_time train, the others test"));
  PetscCall(prc_h5_attr_double(f.fid, "split_time", strcmp(w->split, "time") ? NAN : w->t_split));
  PetscCall(prc_h5_attr_str(f.fid, "split_time_utc", strcmp(w->split, "time") ? "" : ts));
  PetscCall(prc_h5_attr_double(f.fid, "test_fraction", w->f));
  PetscCall(prc_h5_attr_int(f.fid, "window_days", w->N));
  PetscCall(prc_h5_attr_int(f.fid, "images_per_group", nimg));
  PetscCall(prc_h5_attr_int(f.fid, "crop", W));
  PetscCall(prc_h5_attr_str(f.fid, "scaling", w->scale_name));
  PetscCall(prc_h5_attr_str(f.fid, "masked_value", "0 (no-data and out-of-grid pixels, after scaling)"));
  PetscCall(prc_h5_attr_double(f.fid, "mmin", w->mmin));
  PetscCall(prc_h5_attr_double(f.fid, "ratio", w->ratio));
  PetscCall(prc_h5_attr_double(f.fid, "guard_days", w->guard));
  PetscCall(prc_h5_attr_str(f.fid, "quiet_places", w->places));
  PetscCall(prc_h5_attr_int(f.fid, "groups", (long long)ng));
  PetscCall(prc_h5_attr_double(f.fid, "info_end", info_end));
  {
    char ie[32];
    prc_time_format(info_end, ie, sizeof ie);
    PetscCall(prc_h5_attr_str(f.fid, "info_end_utc", ie));
  }
  PetscCall(prc_h5_attr_int(f.fid, "groups_earthquake", (long long)neq));
  PetscCall(prc_h5_attr_int(f.fid, "groups_quiet", (long long)(ng - neq)));
  PetscCall(prc_h5_attr_str(f.fid, "x_layout", "(sample, 1, W, W): x[k,0,r,c] = pixel (row - W/2 + r, col - W/2 + c), r northwards"));
  PetscCall(prc_h5_commit(&f, ctx));
  PetscCall(PetscFree6(y, kind, grp, row, col, step));
  PetscCall(PetscFree6(ev, tim, lat, lon, mag, dbe));
  PetscCall(PetscFree3(x, blk, vf));
  PetscFunctionReturn(0);
}

/* Rank 0: a mosaic of the last image of up to 4 earthquake and 4 quiet groups of a file. */
static int mosaic_png(const char *h5, const char *png, int N, int W, char *msg, size_t len)
{
  hid_t fid = H5Fopen(h5, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (fid < 0) return snprintf(msg, len, "cannot reopen '%s'", h5), 1;
  hid_t   d = H5Dopen2(fid, "y", H5P_DEFAULT), s = H5Dget_space(d);
  hsize_t n;
  H5Sget_simple_extent_dims(s, &n, NULL);
  H5Sclose(s);
  int32_t *y = malloc(sizeof *y * (n + 1));
  int      ok = y && H5Dread(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, y) >= 0;
  H5Dclose(d);
  int    gap = W / 8 + 1, MW = 4 * W + 3 * gap, MH = 2 * W + gap, got[2] = {0, 0};
  float *m = malloc(sizeof *m * (size_t)MW * (size_t)MH), *img = malloc(sizeof *img * (size_t)W * (size_t)W);
  ok = ok && m && img;
  for (size_t i = 0; ok && i < (size_t)MW * (size_t)MH; i++) m[i] = NAN;
  d = ok ? H5Dopen2(fid, "x", H5P_DEFAULT) : -1;
  for (hsize_t i = (hsize_t)(N - 2); ok && i < n; i += (hsize_t)(N - 1)) { /* last image of each group */
    int k = y[i] ? 1 : 0;
    if (got[k] == 4) continue;
    hid_t   fs = H5Dget_space(d);
    hsize_t st[4] = {i, 0, 0, 0}, ct[4] = {1, 1, (hsize_t)W, (hsize_t)W};
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, st, NULL, ct, NULL);
    hid_t ms = H5Screate_simple(4, ct, NULL);
    ok = H5Dread(d, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, img) >= 0;
    H5Sclose(ms), H5Sclose(fs);
    /* top band (rows MH-W..MH-1, drawn at the top as the map's north) = earthquakes */
    int oy = k ? W + gap : 0, ox = got[k]++ * (W + gap);
    for (int r = 0; r < W; r++)
      for (int c = 0; c < W; c++) m[(size_t)(oy + r) * (size_t)MW + (size_t)(ox + c)] = img[(size_t)r * (size_t)W + (size_t)c];
  }
  if (d >= 0) H5Dclose(d);
  H5Fclose(fid);
  char ttl[160];
  snprintf(ttl, sizeof ttl, "%d-day window: last image before 4 earthquakes (top) and of 4 quiet groups (bottom)", N);
  prc_map_style st = {.title = ttl, .cbar_label = "scaled", .cmap = PRC_CMAP_DIVERGING};
  if (ok && prc_plot_map_png(png, m, MW, MH, &st)) ok = 0, snprintf(msg, len, "%s", prc_lasterr());
  else if (!ok) snprintf(msg, len, "reading samples back from '%s' failed", h5);
  free(y), free(m), free(img);
  return !ok;
}

static PetscErrorCode ts_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  const char     *in = prc_opts_string(o, "thermal_input"), *cat = prc_opts_string(o, "thermal_catalog"), *out = prc_opts_string(o, "out_dir");
  const char     *split = prc_opts_string(o, "thermal_split"), *scale = prc_opts_string(o, "thermal_scale");
  int             days[MAX_WINDOWS], nd;
  char            err[256], path[4200];
  prc_lst_stack   S;
  prc_catalog     c;
  prc_ts_grid     g;
  PetscFunctionBeginUser;
  nd = parse_days(prc_opts_string(o, "thermal_days"), days, err, sizeof err);
  PetscCall(prc_lst_stack_open(ctx, in, prc_opts_string(o, "thermal_var"), &S));
  {
    int rc = prc_ts_grid_init(&g, S.tim, S.nt, S.lat, S.ny, S.lon, S.nx);
    PetscCheck(!rc, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': %s", in, prc_lasterr());
  }
  PetscCall(prc_ctx_add_input(ctx, cat));
  PetscCall(prc_catalog_read(ctx->comm, cat, &c));
  const int    W = (int)prc_opts_int(o, "thermal_size");
  const double mmin = prc_opts_real(o, "thermal_mmin"), ratio = prc_opts_real(o, "thermal_ratio"), f = prc_opts_real(o, "thermal_test_fraction");
  const double guard = prc_opts_real(o, "thermal_guard_days");
  double       t_start = S.tim[0], t_end = S.tim[S.nt - 1], t;
  if (strcmp(prc_opts_string(o, "thermal_start"), "start")) prc_time_parse(prc_opts_string(o, "thermal_start"), &t_start);
  if (strcmp(prc_opts_string(o, "thermal_end"), "end")) prc_time_parse(prc_opts_string(o, "thermal_end"), &t), t_end = t + PRC_DAY - 1e-3;
  PetscCheck(t_start <= t_end, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "-thermal_start is after -thermal_end");
  prc_ts_scaling sc = !strcmp(scale, "zscore") ? PRC_TS_ZSCORE : !strcmp(scale, "minmax") ? PRC_TS_MINMAX : PRC_TS_NONE;
  prc_ts_group  *G;
  int           *set;
  size_t        *gi;
  PetscCall(PetscMalloc3(c.n + (size_t)(c.n / ratio) + 2, &G, c.n + (size_t)(c.n / ratio) + 2, &set, c.n + (size_t)(c.n / ratio) + 2, &gi));
  for (int w = 0; w < nd; w++) {
    const int N = days[w];
    size_t    ne, nos, noi;
    prc_ts_event_groups(&g, c.time, c.lat, c.lon, c.mag, c.n, mmin, t_start, t_end, N, G, &ne, &nos, &noi);
    PetscCheck(ne > 0, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE,
               "'%s': no event with M >= %g in the span and the grid of '%s' with %d daily images before it (%zu outside the grid, %zu too "
               "early or late)",
               cat, mmin, in, N - 1, nos, noi);
    size_t nq = (size_t)llround((double)ne / ratio), ncen = strcmp(prc_opts_string(o, "thermal_quiet_places"), "uniform") ? ne : 0;
    int   *crow, *ccol;
    PetscCall(PetscMalloc2(ne, &crow, ne, &ccol));
    for (size_t i = 0; i < ne; i++) crow[i] = G[i].row, ccol[i] = G[i].col;
    int rc = prc_ts_quiet_groups(&g, c.time, c.lat, c.lon, c.mag, c.n, mmin, t_start, t_end, N, W, guard, nq, crow, ccol, ncen,
                                 (uint64_t)prc_opts_int(o, "seed"), (int)prc_opts_int(o, "thermal_max_tries"), G + ne);
    PetscCall(PetscFree2(crow, ccol));
    PetscCheck(!rc, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "'%s': %s", in, prc_lasterr());
    size_t n = ne + nq;
    double t_split = NAN;
    if (strcmp(prc_opts_string(o, "thermal_split_time"), "auto")) prc_time_parse(prc_opts_string(o, "thermal_split_time"), &t_split);
    rc = strcmp(split, "time") ? prc_ts_split_random(G, n, f, (uint64_t)prc_opts_int(o, "seed"), set) : prc_ts_split_time(G, n, f, &t_split, set);
    PetscCheck(!rc, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "window %d: %s", N, rc ? prc_lasterr() : "");
    writer wr = {ctx, &S, &g, &c, W, N, sc, split, scale, prc_opts_string(o, "thermal_quiet_places"), t_split, f, ratio, guard, mmin, ne, nq};
    prc_progress prog;
    double       done = 0;
    prc_progress_start(&prog, ctx->comm, "thermal-samples", "groups", "groups", (double)((n + (size_t)ctx->size - 1) / (size_t)ctx->size),
                       prc_opts_real(o, "progress_interval"), prc_opts_bool(o, "quiet"));
    size_t cnt[2][2] = {{0, 0}, {0, 0}};
    for (int s = 0; s < 2; s++) {
      size_t m = 0;
      for (size_t i = 0; i < n; i++)
        if (set[i] == s) gi[m++] = i, cnt[s][G[i].kind]++;
      sort_base = G;
      qsort(gi, m, sizeof *gi, cmp_group);
      PetscCheck((size_t)snprintf(path, sizeof path, "%s/thermal_N%d_%s.h5", out, N, s ? "test" : "train") < sizeof path, ctx->comm,
                 PETSC_ERR_ARG_OUTOFRANGE, "output path too long");
      PetscCall(write_set(&wr, G, gi, m, s ? "test" : "train", path, &prog, &done));
    }
    prc_progress_end(&prog);
    char ts[32] = "";
    if (!strcmp(split, "time")) prc_time_format(t_split, ts, sizeof ts);
    prc_say(ctx->comm,
            "[thermal-samples] N = %d days: %zu earthquake groups (M >= %g; %zu outside the grid, %zu without %d images before them), %zu quiet "
            "groups; %s split%s%s: train %zu + %zu, test %zu + %zu groups (x %d images)\n",
            N, ne, mmin, nos, noi, N - 1, nq, split, *ts ? " at " : "", ts, cnt[0][1], cnt[0][0], cnt[1][1], cnt[1][0], N - 1);
    if (prc_opts_bool(o, "thermal_png")) {
      int  pok = 1;
      char msg[8600] = "", png[4200];
      snprintf(path, sizeof path, "%s/thermal_N%d_train.h5", out, N);
      snprintf(png, sizeof png, "%s/thermal_samples_N%d.png", out, N);
      if (!ctx->rank) pok = !mosaic_png(path, png, N, W, msg, sizeof msg);
      PetscCallMPI(MPI_Bcast(&pok, 1, MPI_INT, 0, ctx->comm));
      PetscCallMPI(MPI_Bcast(msg, sizeof msg, MPI_CHAR, 0, ctx->comm));
      PetscCheck(pok, ctx->comm, PETSC_ERR_FILE_WRITE, "%s", msg);
    }
  }
  prc_say(ctx->comm, "[thermal-samples] outputs in %s/ (thermal_N<N>_{train,test}.h5%s)\n", out,
          prc_opts_bool(o, "thermal_png") ? ", thermal_samples_N<N>.png" : "");
  PetscCall(PetscFree3(G, set, gi));
  PetscCall(prc_catalog_free(&c));
  PetscCall(prc_lst_stack_close(&S));
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_thermal_samples = {
  "thermal-samples", "epicentre-centred LST crops with N-day labels and time/random splits for thermal forecasting (paper 001)", ts_opts,
  (int)(sizeof ts_opts / sizeof ts_opts[0]), ts_validate, ts_run};

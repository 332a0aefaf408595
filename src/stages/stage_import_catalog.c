/* stage_import_catalog.c — `precursor import-catalog`: published earthquake catalogs
 * (CENC CSV, JMA CSV as packaged by R ETAS, USGS ComCat CSV, QuakeML 1.2) -> the catalog
 * table of the data model, `-out_dir`/catalog.h5, with a completeness estimate.
 *
 * Orchestration only: the parsers are kernels (src/io/read_catalog_csv.c,
 * src/io/read_quakeml.c), list operations and the polygon test are in
 * src/seismo/catalog_ops.c, Mc in src/seismo/mc.c. Mapping and errors: docs/FORMATS.md.
 *
 * Parallelism: the files of -catalog_input are read round-robin by the ranks (file i by
 * rank i mod size), gathered on rank 0, then sorted by a total order on all stored fields,
 * so the output does not depend on the rank count. Duplicate removal, filters, Mc and the
 * PNG run on rank 0 (catalogs are small); the file is written collectively. */
#include <math.h>
#include <string.h>

#include "precursor/catalog.h"
#include "precursor/error.h"
#include "precursor/etas.h"
#include "precursor/mc.h"
#include "precursor/plot.h"
#include "precursor/read_catalog.h"
#include "precursor/stage.h"
#include "precursor/timeutil.h"

_Static_assert(PRC_EV_MAGTYPE_LEN == PRC_MAGTYPE_LEN, "magnitude type length differs from the data model");
_Static_assert(PRC_EV_SOURCE_LEN == PRC_SOURCE_LEN, "source length differs from the data model");

#define MAX_POLY 256
#define MAX_FILES 1024

static const prc_opt_spec catalog_opts[] = {
  {"catalog_input", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "catalog file(s) to import, comma-separated"},
  {"catalog_format", PRC_OPT_STRING, "auto", PRC_NO_RANGE,
   "cenc, jma, comcat, quakeml, or auto (from the first line / XML root, per file)"},
  {"catalog_utc_offset_h", PRC_OPT_STRING, "auto", PRC_NO_RANGE,
   "hours the file times are ahead of UTC (UTC = local - offset); auto: CENC 8 (Beijing), JMA 9 (JST), ComCat/QuakeML 0"},
  {"catalog_dedup", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "drop exact duplicate rows (every field equal)"},
  {"catalog_all_types", PRC_OPT_BOOL, "false", PRC_NO_RANGE,
   "ComCat: keep every event type (quarry blast, explosion, ...), not only 'earthquake'"},
  {"catalog_lat_min", PRC_OPT_REAL, "-90", -90, 90, "region: southern latitude, degrees"},
  {"catalog_lat_max", PRC_OPT_REAL, "90", -90, 90, "region: northern latitude, degrees"},
  {"catalog_lon_min", PRC_OPT_REAL, "-180", -180, 180, "region: western longitude, degrees"},
  {"catalog_lon_max", PRC_OPT_REAL, "180", -180, 180, "region: eastern longitude, degrees"},
  {"catalog_polygon", PRC_OPT_STRING, "none", PRC_NO_RANGE,
   "region polygon 'lon lat,lon lat,...' (>= 3 vertices; even-odd ray casting), in addition to the box; 'none'"},
  {"catalog_start", PRC_OPT_STRING, "none", PRC_NO_RANGE, "keep events at or after this UTC date/time; 'none'"},
  {"catalog_end", PRC_OPT_STRING, "none", PRC_NO_RANGE, "keep events before this UTC date/time; 'none'"},
  {"catalog_mag_min", PRC_OPT_REAL, "-5", -5, 10, "keep events with magnitude >= this"},
  {"catalog_depth_min", PRC_OPT_REAL, "-20", -20, 1000, "keep events with depth >= this, km"},
  {"catalog_depth_max", PRC_OPT_REAL, "1000", -20, 1000, "keep events with depth <= this, km"},
  {"catalog_keep_unknown_depth", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "keep events of unknown depth (NaN) whatever the depth range"},
  {"catalog_mag_bin", PRC_OPT_REAL, "0.1", 0.001, 1, "magnitude bin width for Mc and the b-value"},
  {"catalog_mc_method", PRC_OPT_STRING, "gof", PRC_NO_RANGE,
   "Mc used for the b-value: gof (Wiemer-Wyss goodness of fit, 95% else 90% else maxc) or maxc (maximum curvature)"},
  {"catalog_mc_correction", PRC_OPT_REAL, "0", -1, 1, "added to the chosen Mc estimate (e.g. 0.2 for maxc)"},
  {"catalog_mc_min_events", PRC_OPT_INT, "50", 2, 1e9, "goodness of fit: fewest events above a candidate Mc"},
  {"catalog_png", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "write fmd.png (frequency-magnitude distribution)"},
};

static int parse_when(const char *s, double *t, double dflt)
{
  if (!s || !strcmp(s, "none")) return *t = dflt, 0;
  return prc_time_parse(s, t);
}

static int parse_offset(const char *s, double *h)
{
  char *end;
  if (!s || !strcmp(s, "auto")) return *h = NAN, 0;
  *h = strtod(s, &end);
  return *end || !*s || !(*h >= -14 && *h <= 14);
}

static void catalog_validate(prc_opts *o)
{
  prc_catfmt f;
  double     t0, t1, h, xy[2 * MAX_POLY];
  if (prc_catfmt_parse(prc_opts_string(o, "catalog_format"), &f)) prc_opts_violation(o, "-catalog_format: %s", prc_lasterr());
  if (parse_offset(prc_opts_string(o, "catalog_utc_offset_h"), &h))
    prc_opts_violation(o, "-catalog_utc_offset_h %s: expected 'auto' or hours in [-14, 14]", prc_opts_string(o, "catalog_utc_offset_h"));
  if (prc_opts_real(o, "catalog_lat_min") >= prc_opts_real(o, "catalog_lat_max"))
    prc_opts_violation(o, "empty region: -catalog_lat_min %g >= -catalog_lat_max %g", prc_opts_real(o, "catalog_lat_min"),
                       prc_opts_real(o, "catalog_lat_max"));
  if (prc_opts_real(o, "catalog_lon_min") >= prc_opts_real(o, "catalog_lon_max"))
    prc_opts_violation(o, "empty region: -catalog_lon_min %g >= -catalog_lon_max %g (a box across the antimeridian is not supported; use two runs)",
                       prc_opts_real(o, "catalog_lon_min"), prc_opts_real(o, "catalog_lon_max"));
  if (prc_opts_real(o, "catalog_depth_min") > prc_opts_real(o, "catalog_depth_max"))
    prc_opts_violation(o, "-catalog_depth_min %g > -catalog_depth_max %g", prc_opts_real(o, "catalog_depth_min"),
                       prc_opts_real(o, "catalog_depth_max"));
  const char *poly = prc_opts_string(o, "catalog_polygon");
  if (poly && strcmp(poly, "none") && prc_polygon_parse(poly, xy, MAX_POLY) < 0) prc_opts_violation(o, "-catalog_polygon: %s", prc_lasterr());
  int bad0 = parse_when(prc_opts_string(o, "catalog_start"), &t0, -INFINITY);
  if (bad0) prc_opts_violation(o, "-catalog_start: %s", prc_lasterr());
  int bad1 = parse_when(prc_opts_string(o, "catalog_end"), &t1, INFINITY);
  if (bad1) prc_opts_violation(o, "-catalog_end: %s", prc_lasterr());
  if (!bad0 && !bad1 && t0 >= t1) prc_opts_violation(o, "empty time span: -catalog_start is not before -catalog_end");
  const char *m = prc_opts_string(o, "catalog_mc_method");
  if (m && strcmp(m, "gof") && strcmp(m, "maxc")) prc_opts_violation(o, "-catalog_mc_method %s: expected gof or maxc", m);
  const char *in = prc_opts_string(o, "catalog_input");
  if (in) {
    int n = 1, empty = 0;
    for (const char *p = in; *p; p++) n += *p == ',';
    for (const char *p = in, *c; ; p = c + 1) {
      c = strchr(p, ',');
      size_t l = c ? (size_t)(c - p) : strlen(p);
      while (l && *p == ' ') p++, l--;
      if (!l) empty = 1;
      if (!c) break;
    }
    if (n > MAX_FILES) prc_opts_violation(o, "-catalog_input: %d files, at most %d", n, MAX_FILES);
    if (empty) prc_opts_violation(o, "-catalog_input '%s': an empty file name in the list", in);
  }
}

/* ---------------------------------------------------------------------------------- */

typedef struct {
  unsigned long read, rows, not_eq, no_mag, no_origin, not_existing, depth_pos;
  unsigned long dups, f_box, f_poly, f_time, f_mag, f_depth, kept;
  double        mc, mc_maxc, mc_gof, gof_R, b, b_sigma, n_above;
  int           gof_level;
} summary;

/* Gather every rank's events on rank 0 (appended in rank order; the sort fixes the order). */
static PetscErrorCode gather(prc_ctx *ctx, prc_evlist *mine, prc_evlist *all)
{
  int n = (int)mine->n, *cnt = NULL, *dsp = NULL, *cc = NULL, *cd = NULL, tot = 0;
  PetscFunctionBeginUser;
  PetscCheck(mine->n < (size_t)1 << 26, PETSC_COMM_SELF, PETSC_ERR_SUP, "%zu events on one rank: too many", mine->n);
  if (!ctx->rank) PetscCall(PetscMalloc4(ctx->size, &cnt, ctx->size, &dsp, ctx->size, &cc, ctx->size, &cd));
  PetscCallMPI(MPI_Gather(&n, 1, MPI_INT, cnt, 1, MPI_INT, 0, ctx->comm));
  if (!ctx->rank) {
    for (int r = 0; r < ctx->size; r++) dsp[r] = tot, tot += cnt[r];
    size_t row;
    for (int i = 0; i < tot; i++) PrcCallK(prc_evlist_push(all, &row));
  }
  double *src[] = {mine->time, mine->lat, mine->lon, mine->depth_km, mine->mag, mine->extra};
  double *dst[] = {all->time, all->lat, all->lon, all->depth_km, all->mag, all->extra};
  for (int k = 0; k < 6; k++) PetscCallMPI(MPI_Gatherv(src[k], n, MPI_DOUBLE, dst[k], cnt, dsp, MPI_DOUBLE, 0, ctx->comm));
  PetscCallMPI(MPI_Gatherv(mine->line, n, MPI_LONG, all->line, cnt, dsp, MPI_LONG, 0, ctx->comm));
  int lens[2] = {PRC_EV_MAGTYPE_LEN, PRC_EV_SOURCE_LEN};
  void *s2[] = {mine->mag_type, mine->source}, *d2[] = {all->mag_type, all->source};
  for (int k = 0; k < 2; k++) {
    if (!ctx->rank)
      for (int r = 0; r < ctx->size; r++) cc[r] = cnt[r] * lens[k], cd[r] = dsp[r] * lens[k];
    PetscCallMPI(MPI_Gatherv(s2[k], n * lens[k], MPI_CHAR, d2[k], cc, cd, MPI_CHAR, 0, ctx->comm));
  }
  if (!ctx->rank) PetscCall(PetscFree4(cnt, dsp, cc, cd));
  PetscFunctionReturn(0);
}

/* Filters on rank 0; counts per reason (an event is counted under the first filter it fails). */
static PetscErrorCode filter(const prc_opts *o, prc_evlist *ev, summary *S)
{
  double         xy[2 * MAX_POLY], t0, t1;
  int            nv = 0;
  const char    *poly = prc_opts_string(o, "catalog_polygon");
  double         la0 = prc_opts_real(o, "catalog_lat_min"), la1 = prc_opts_real(o, "catalog_lat_max");
  double         lo0 = prc_opts_real(o, "catalog_lon_min"), lo1 = prc_opts_real(o, "catalog_lon_max");
  double         m0 = prc_opts_real(o, "catalog_mag_min"), d0 = prc_opts_real(o, "catalog_depth_min");
  double         d1 = prc_opts_real(o, "catalog_depth_max");
  PetscBool      keep_nan = prc_opts_bool(o, "catalog_keep_unknown_depth");
  unsigned char *keep;
  PetscFunctionBeginUser;
  if (strcmp(poly, "none")) nv = prc_polygon_parse(poly, xy, MAX_POLY);
  PrcCallK(parse_when(prc_opts_string(o, "catalog_start"), &t0, -INFINITY));
  PrcCallK(parse_when(prc_opts_string(o, "catalog_end"), &t1, INFINITY));
  PetscCall(PetscMalloc1(ev->n + 1, &keep));
  for (size_t i = 0; i < ev->n; i++) {
    double la = ev->lat[i], lo = ev->lon[i], d = ev->depth_km[i];
    keep[i] = 0;
    if (la < la0 || la > la1 || lo < lo0 || lo > lo1) S->f_box++;
    else if (nv > 0 && !prc_point_in_polygon(xy, nv, lo, la)) S->f_poly++;
    else if (ev->time[i] < t0 || ev->time[i] >= t1) S->f_time++;
    else if (ev->mag[i] < m0) S->f_mag++;
    else if (isnan(d) ? !keep_nan : (d < d0 || d > d1)) S->f_depth++;
    else keep[i] = 1;
  }
  prc_evlist_compact(ev, keep);
  PetscCall(PetscFree(keep));
  PetscFunctionReturn(0);
}

static void completeness(const prc_opts *o, const prc_evlist *ev, summary *S)
{
  double dm = prc_opts_real(o, "catalog_mag_bin");
  S->mc = S->mc_maxc = S->mc_gof = S->gof_R = S->b = S->b_sigma = NAN;
  S->n_above = 0, S->gof_level = 0;
  if (!ev->n) return;
  if (prc_mc_maxc(ev->mag, ev->n, dm, &S->mc_maxc)) return;
  if (prc_mc_gof(ev->mag, ev->n, dm, (size_t)prc_opts_int(o, "catalog_mc_min_events"), &S->mc_gof, &S->gof_R, &S->gof_level))
    return;
  S->mc = (strcmp(prc_opts_string(o, "catalog_mc_method"), "maxc") ? S->mc_gof : S->mc_maxc) + prc_opts_real(o, "catalog_mc_correction");
  for (size_t i = 0; i < ev->n; i++) S->n_above += ev->mag[i] >= S->mc - dm / 2 - 1e-9;
  if (prc_gr_bvalue_mle(ev->mag, ev->n, S->mc - 1e-9, dm, &S->b, &S->b_sigma)) S->b = S->b_sigma = NAN;
}

/* fmd.png: log10 of the cumulative and non-cumulative counts per bin, the GR fit above
 * Mc, and Mc as a vertical line. Rank 0 only; returns 0 or non-zero (prc_lasterr). */
static int fmd_png(const char *path, const prc_evlist *ev, double dm, const summary *S)
{
  long *c, k0;
  int   nb, rc;
  if (!ev->n) return 0;
  if (prc_fmd(ev->mag, ev->n, dm, &k0, &nb, &c)) return 1;
  double *x = malloc(sizeof(double) * 3 * (size_t)nb), *yc = x + nb, *yn = yc + nb, *yg = malloc(sizeof(double) * (size_t)nb);
  if (!x || !yg) return free(c), free(x), free(yg), prc_seterr("out of memory");
  long cum = 0;
  double nmc = 0;
  for (int i = nb - 1; i >= 0; i--) {
    cum += c[i];
    x[i] = (double)(k0 + i) * dm;
    yc[i] = log10((double)cum);
    yn[i] = c[i] ? log10((double)c[i]) : NAN;
    if (x[i] >= S->mc - dm / 2) nmc = (double)cum;
  }
  for (int i = 0; i < nb; i++) yg[i] = isfinite(S->b) && x[i] >= S->mc - dm / 2 ? log10(nmc) - S->b * (x[i] - S->mc) : NAN;
  char title[256];
  snprintf(title, sizeof title, "frequency-magnitude distribution, %zu events: Mc %.2f, b %.2f +- %.2f", ev->n, S->mc, S->b,
           S->b_sigma);
  prc_series      s[3] = {{x, yc, nb, "cumulative N(>=M)", 0}, {x, yn, nb, "per bin", 0}, {x, yg, nb, "GR fit above Mc", 0}};
  prc_lines_style st = {.title = title, .xlabel = "magnitude", .ylabel = "log10 N", .vlines = &S->mc, .nvlines = isfinite(S->mc)};
  rc = prc_plot_lines_png(path, s, 3, &st);
  free(c), free(x), free(yg);
  return rc;
}

static PetscErrorCode catalog_run(prc_ctx *ctx)
{
  const prc_opts   *o = ctx->opts;
  prc_catfmt        fmt;
  double            off;
  char             *list, *files[MAX_FILES], path[4096];
  int               nf = 0;
  prc_evlist        mine = {0}, all = {0};
  prc_catread_stats st = {0};
  summary           S;
  PetscFunctionBeginUser;
  memset(&S, 0, sizeof S);
  PrcCallK(prc_catfmt_parse(prc_opts_string(o, "catalog_format"), &fmt));
  PetscCheck(!parse_offset(prc_opts_string(o, "catalog_utc_offset_h"), &off), PETSC_COMM_SELF, PETSC_ERR_PLIB, "offset");
  PetscCall(PetscStrallocpy(prc_opts_string(o, "catalog_input"), &list));
  for (char *save = NULL, *t = strtok_r(list, ",", &save); t && nf < MAX_FILES; t = strtok_r(NULL, ",", &save)) {
    while (*t == ' ') t++;
    files[nf++] = t;
  }
  for (int i = 0; i < nf; i++) PetscCall(prc_ctx_add_input(ctx, files[i])); /* collective: missing files stop every rank */

  for (int i = ctx->rank; i < nf; i += ctx->size)
    PrcCallK(prc_read_catalog(files[i], fmt, off, prc_opts_bool(o, "catalog_all_types"), &mine, &st));
  unsigned long loc[7] = {mine.n, st.rows, st.not_earthquake, st.no_mag, st.no_origin, st.not_existing, st.depth_positive}, glob[7];
  PetscCallMPI(MPI_Reduce(loc, glob, 7, MPI_UNSIGNED_LONG, MPI_SUM, 0, ctx->comm));
  PetscCall(gather(ctx, &mine, &all));
  prc_evlist_free(&mine);

  if (!ctx->rank) {
    S.read = glob[0], S.rows = glob[1], S.not_eq = glob[2], S.no_mag = glob[3], S.no_origin = glob[4];
    S.not_existing = glob[5], S.depth_pos = glob[6];
    PrcCallK(prc_evlist_sort(&all));
    if (prc_opts_bool(o, "catalog_dedup")) S.dups = prc_evlist_dedup(&all);
    PetscCall(filter(o, &all, &S));
    S.kept = all.n;
    completeness(o, &all, &S);
  }
  PetscCallMPI(MPI_Bcast(&S, (int)sizeof S, MPI_BYTE, 0, ctx->comm));

  prc_catalog c;
  prc_h5out   f;
  hid_t       g;
  PetscCall(prc_catalog_alloc(&c, S.kept));
  if (!ctx->rank)
    for (size_t i = 0; i < all.n; i++) {
      c.time[i] = all.time[i], c.lat[i] = all.lat[i], c.lon[i] = all.lon[i], c.depth_km[i] = all.depth_km[i], c.mag[i] = all.mag[i];
      memcpy(c.mag_type[i], all.mag_type[i], PRC_MAGTYPE_LEN);
      memcpy(c.source[i], all.source[i], PRC_SOURCE_LEN);
    }
  PetscCheck((size_t)snprintf(path, sizeof path, "%s/catalog.h5", prc_opts_string(o, "out_dir")) < sizeof path, PETSC_COMM_SELF,
             PETSC_ERR_ARG_OUTOFRANGE, "output path too long");
  PetscCall(prc_h5_create(ctx->comm, path, "catalog", &f));
  PetscCall(prc_catalog_write(ctx->comm, f.fid, &c));
  g = H5Gopen2(f.fid, "catalog", H5P_DEFAULT);
  PetscCheck(g >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot reopen /catalog in '%s'", f.tmp);
  PetscCall(prc_h5_attr_double(g, "mc", S.mc));
  PetscCall(prc_h5_attr_str(g, "mc_method", prc_opts_string(o, "catalog_mc_method")));
  PetscCall(prc_h5_attr_double(g, "mc_correction", prc_opts_real(o, "catalog_mc_correction")));
  PetscCall(prc_h5_attr_double(g, "mc_maxc", S.mc_maxc));
  PetscCall(prc_h5_attr_double(g, "mc_gof", S.mc_gof));
  PetscCall(prc_h5_attr_double(g, "mc_gof_residual_pct", S.gof_R));
  PetscCall(prc_h5_attr_int(g, "mc_gof_level_pct", S.gof_level));
  PetscCall(prc_h5_attr_double(g, "mag_bin", prc_opts_real(o, "catalog_mag_bin")));
  PetscCall(prc_h5_attr_double(g, "b_value", S.b));
  PetscCall(prc_h5_attr_double(g, "b_sigma", S.b_sigma));
  PetscCall(prc_h5_attr_int(g, "n_above_mc", (long long)S.n_above));
  PetscCall(prc_h5_attr_int(g, "n_read", (long long)S.read));
  PetscCall(prc_h5_attr_int(g, "n_duplicates_dropped", (long long)S.dups));
  PetscCall(prc_h5_attr_int(g, "n_filtered", (long long)(S.f_box + S.f_poly + S.f_time + S.f_mag + S.f_depth)));
  H5Gclose(g);
  PetscCall(prc_h5_commit(&f, ctx));

  int ok = 1;
  if (!ctx->rank && prc_opts_bool(o, "catalog_png")) {
    PetscCheck((size_t)snprintf(path, sizeof path, "%s/fmd.png", prc_opts_string(o, "out_dir")) < sizeof path, PETSC_COMM_SELF,
               PETSC_ERR_ARG_OUTOFRANGE, "output path too long");
    ok = !fmd_png(path, &all, prc_opts_real(o, "catalog_mag_bin"), &S);
    if (!ok) PetscCall(PetscPrintf(PETSC_COMM_SELF, "precursor import-catalog: fmd.png failed: %s\n", prc_lasterr()));
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, ctx->comm));
  PetscCheck(ok, ctx->comm, PETSC_ERR_FILE_WRITE, "writing fmd.png in '%s' failed (see above)", prc_opts_string(o, "out_dir"));

  /* summary (rank 0) */
  {
    char a[32] = "-", b[32] = "-";
    double mlo = NAN, mhi = NAN;
    if (!ctx->rank && all.n) {
      prc_time_format(all.time[0], a, sizeof a), prc_time_format(all.time[all.n - 1], b, sizeof b);
      mlo = mhi = all.mag[0];
      for (size_t i = 1; i < all.n; i++) mlo = PetscMin(mlo, all.mag[i]), mhi = PetscMax(mhi, all.mag[i]);
    }
    PetscCall(PetscPrintf(ctx->comm,
                          "[import-catalog] %d file(s), %lu rows, %lu events read; skipped: %lu not earthquakes, %lu without "
                          "magnitude, %lu without origin, %lu 'not existing'\n",
                          nf, S.rows, S.read, S.not_eq, S.no_mag, S.no_origin, S.not_existing));
    if (S.depth_pos)
      PetscCall(PetscPrintf(ctx->comm, "[import-catalog] note: %lu JMA rows had a positive depth (taken as km down)\n", S.depth_pos));
    PetscCall(PetscPrintf(ctx->comm,
                          "[import-catalog] %lu duplicates dropped; filtered out: %lu region box, %lu polygon, %lu time, %lu "
                          "magnitude, %lu depth; kept %lu events\n",
                          S.dups, S.f_box, S.f_poly, S.f_time, S.f_mag, S.f_depth, S.kept));
    PetscCall(PetscPrintf(ctx->comm, "[import-catalog] span %s .. %s; magnitude %.2f .. %.2f\n", a, b, mlo, mhi));
    PetscCall(PetscPrintf(ctx->comm,
                          "[import-catalog] Mc %.2f (%s%+.2f): maximum curvature %.2f, goodness of fit %.2f (R %.1f%% at the "
                          "%d%% level; 0 = none reached, maxc used); b %.3f +- %.3f from %.0f events >= Mc (Aki-Utsu)\n",
                          S.mc, prc_opts_string(o, "catalog_mc_method"), prc_opts_real(o, "catalog_mc_correction"), S.mc_maxc,
                          S.mc_gof, S.gof_R, S.gof_level, S.b, S.b_sigma, S.n_above));
    PetscCall(PetscPrintf(ctx->comm, "[import-catalog] wrote %s/catalog.h5%s\n", prc_opts_string(o, "out_dir"),
                          prc_opts_bool(o, "catalog_png") ? " and fmd.png" : ""));
  }
  prc_evlist_free(&all);
  PetscCall(prc_catalog_free(&c));
  PetscCall(PetscFree(list));
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_import_catalog = {"import-catalog",
                                            "import an earthquake catalog (CENC, JMA, ComCat CSV, QuakeML) into catalog.h5",
                                            catalog_opts, (int)(sizeof catalog_opts / sizeof catalog_opts[0]),
                                            catalog_validate, catalog_run};

/* forecast_grid.c — the cell x time grid of forecast tables shared by rst-forecast,
 * thermal-score and em-score (include/precursor/forecast_grid.h; docs/DATA_MODEL.md
 * "Forecast"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "precursor/error.h"
#include "precursor/forecast_grid.h"
#include "precursor/plot.h"
#include "precursor/progress.h"
#include "precursor/timeutil.h"

static const char *opt(const char *P, const char *name, char *buf, size_t len)
{
  snprintf(buf, len, "%s_%s", P, name);
  return buf;
}

int prc_fc_parse_auto(const char *s, double *v)
{
  if (!strcmp(s, "auto")) return 0;
  char  *e;
  double x = strtod(s, &e);
  if (e == s || *e || !isfinite(x)) return -1;
  *v = x;
  return 1;
}

void prc_fc_validate(prc_opts *o, const char *P)
{
  char        b1[64], b2[64], b3[64];
  double      v, t;
  const char *la = prc_opts_string(o, opt(P, "lat_min", b1, sizeof b1)), *lo = prc_opts_string(o, opt(P, "lon_min", b2, sizeof b2)),
             *st = prc_opts_string(o, opt(P, "start", b3, sizeof b3));
  if (prc_fc_parse_auto(la, &v) < 0 || (strcmp(la, "auto") && !(v >= -90 && v < 90))) prc_opts_violation(o, "-%s '%s': expected auto or a latitude in [-90, 90)", b1, la);
  if (prc_fc_parse_auto(lo, &v) < 0 || (strcmp(lo, "auto") && !(v >= -360 && v <= 360)))
    prc_opts_violation(o, "-%s '%s': expected auto or a longitude in [-360, 360]", b2, lo);
  if (strcmp(st, "auto") && prc_time_parse(st, &t)) prc_opts_violation(o, "-%s '%s': expected auto or a date YYYY-MM-DD[THH:MM:SS]", b3, st);
}

void prc_fc_params_get(const prc_opts *o, const char *P, prc_fc_params *p)
{
  char   b[64];
  double v;
  p->d       = prc_opts_real(o, opt(P, "cell_deg", b, sizeof b));
  p->lat_min = prc_fc_parse_auto(prc_opts_string(o, opt(P, "lat_min", b, sizeof b)), &v) == 1 ? v : NAN;
  p->lon_min = prc_fc_parse_auto(prc_opts_string(o, opt(P, "lon_min", b, sizeof b)), &v) == 1 ? v : NAN;
  p->start   = NAN;
  const char *st = prc_opts_string(o, opt(P, "start", b, sizeof b));
  if (strcmp(st, "auto") && !prc_time_parse(st, &v)) p->start = v;
  p->step = prc_opts_real(o, opt(P, "step_days", b, sizeof b)) * PRC_DAY;
  p->L    = prc_opts_real(o, opt(P, "lookback_days", b, sizeof b)) * PRC_DAY;
  p->H    = prc_opts_real(o, opt(P, "horizon_days", b, sizeof b));
  p->png  = prc_opts_bool(o, opt(P, "png", b, sizeof b));
}

int prc_fcgrid_make(const prc_fc_params *p, double la0, double la1, double lo0, double lo1, prc_fcgrid *g)
{
  const double d = p->d, pla = la0, plo = lo0;
  if (!(d > 0) || !isfinite(la0) || !isfinite(la1) || !isfinite(lo0) || !isfinite(lo1) || la1 < la0 || lo1 < lo0)
    return prc_seterr("forecast grid: bad extent lat %g..%g, lon %g..%g or cell size %g", la0, la1, lo0, lo1, d);
  if (isfinite(p->lat_min)) la0 = p->lat_min;
  if (isfinite(p->lon_min)) lo0 = p->lon_min;
  if (!(la0 <= pla && lo0 <= plo && (la1 - la0) / d < 1e7 && (lo1 - lo0) / d < 1e7))
    return prc_seterr("the forecast grid from (%.4f, %.4f) with %.4g-degree cells must hold every point of the input (lat %.4f..%.4f, lon %.4f..%.4f)",
                      la0, lo0, d, pla, la1, plo, lo1);
  g->lat0 = la0, g->lon0 = lo0, g->d = d;
  g->nlat = (int64_t)floor((la1 - la0) / d) + 1, g->nlon = (int64_t)floor((lo1 - lo0) / d) + 1;
  if (g->nlat * g->nlon > 10000000)
    return prc_seterr("the forecast grid would have %lld x %lld cells (at most 1e7): use larger cells", (long long)g->nlat, (long long)g->nlon);
  return 0;
}

int64_t prc_fcgrid_cell(const prc_fcgrid *g, double lat, double lon)
{
  const double r = floor((lat - g->lat0) / g->d), c = floor((lon - g->lon0) / g->d);
  if (!(r >= 0 && r < (double)g->nlat && c >= 0 && c < (double)g->nlon)) return -1;
  return (int64_t)r * g->nlon + (int64_t)c;
}

void prc_fcgrid_centre(const prc_fcgrid *g, int64_t c, double *lat, double *lon)
{
  *lat = g->lat0 + ((double)(c / g->nlon) + 0.5) * g->d;
  *lon = g->lon0 + ((double)(c % g->nlon) + 0.5) * g->d;
}

void prc_fc_units_free(prc_fc_units *u)
{
  free(u->cell), free(u->time), free(u->score), free(u->lat), free(u->lon), free(u->ndef), free(u->smax);
  memset(u, 0, sizeof *u);
}

int prc_fc_units_lookback(const prc_fcgrid *g, const int64_t *cells, int64_t nc, const double *tob, int64_t nob, const double *val, double t0,
                          double t_end, double step, double L, prc_fc_units *u)
{
  memset(u, 0, sizeof *u);
  if (!(t0 <= t_end) || !(step > 0) || !(L > 0)) return prc_seterr("forecast units: first unit time after the last observation (+ 1 day), or bad step/lookback");
  for (int64_t i = 1; i < nob; i++)
    if (!(tob[i] > tob[i - 1])) return prc_seterr("forecast units: observation time %lld is not after the previous one", (long long)i);
  const int64_t ncell = g->nlat * g->nlon, nt = (int64_t)floor((t_end - t0) / step) + 1, n = nc * nt;
  u->n = n, u->nc = nc, u->nt = nt, u->t0 = t0, u->step = step;
  const size_t m = (size_t)(n ? n : 1);
  u->cell = malloc(m * sizeof *u->cell), u->time = malloc(m * sizeof(double)), u->score = malloc(m * sizeof(double));
  u->lat = malloc(m * sizeof(double)), u->lon = malloc(m * sizeof(double)), u->ndef = malloc(m * sizeof(double));
  u->smax = malloc((size_t)ncell * sizeof(float));
  if (!u->cell || !u->time || !u->score || !u->lat || !u->lon || !u->ndef || !u->smax) {
    prc_fc_units_free(u);
    return prc_seterr("forecast units: out of memory for %lld units", (long long)n);
  }
  for (int64_t c = 0; c < ncell; c++) u->smax[c] = NAN;
  for (int64_t k = 0; k < nc; k++) {
    const int64_t c = cells[k];
    int64_t       a = 0; /* first observation time >= t - L (advances with t) */
    double        la, lo;
    prc_fcgrid_centre(g, c, &la, &lo);
    u->smax[c] = 0;
    for (int64_t j = 0; j < nt; j++) {
      const double t = t0 + (double)j * step;
      while (a < nob && tob[a] < t - L) a++;
      double s = 0;
      int    nd = 0;
      for (int64_t i = a; i < nob && tob[i] < t; i++) {
        const double v = val[i * ncell + c];
        if (!isnan(v)) s = fmax(s, v), nd++;
      }
      const int64_t r = k * nt + j;
      u->cell[r] = c, u->time[r] = t, u->score[r] = s, u->ndef[r] = nd, u->lat[r] = la, u->lon[r] = lo;
      u->npos += s > 0;
      u->smax[c] = (float)fmax(u->smax[c], s);
    }
  }
  return 0;
}

PetscErrorCode prc_fc_write_begin(prc_ctx *ctx, const prc_fcgrid *g, const prc_fc_params *p, const prc_fc_units *u, const char *defined_name,
                                  const char *score_desc, const char *source, prc_h5out *f, hid_t *grp)
{
  char    path[4200];
  hid_t   h;
  hsize_t n = (hsize_t)u->n;
  PetscFunctionBeginUser;
  snprintf(path, sizeof path, "%s/forecast.h5", prc_opts_string(ctx->opts, "out_dir"));
  PetscCall(prc_h5_create(ctx->comm, path, "forecast", f));
  PetscCall(prc_h5_group(f->fid, "forecast", &h));
  PetscCall(prc_h5_write_col(ctx->comm, h, "cell", H5T_NATIVE_INT64, n, u->cell));
  PetscCall(prc_h5_write_col(ctx->comm, h, "time", H5T_NATIVE_DOUBLE, n, u->time));
  PetscCall(prc_h5_write_col(ctx->comm, h, "score", H5T_NATIVE_DOUBLE, n, u->score));
  PetscCall(prc_h5_write_col(ctx->comm, h, "lat", H5T_NATIVE_DOUBLE, n, u->lat));
  PetscCall(prc_h5_write_col(ctx->comm, h, "lon", H5T_NATIVE_DOUBLE, n, u->lon));
  PetscCall(prc_h5_write_col(ctx->comm, h, defined_name, H5T_NATIVE_DOUBLE, n, u->ndef));
  PetscCall(prc_h5_attr_double(h, "grid_lat_min", g->lat0));
  PetscCall(prc_h5_attr_double(h, "grid_lon_min", g->lon0));
  PetscCall(prc_h5_attr_double(h, "grid_dlat", g->d));
  PetscCall(prc_h5_attr_double(h, "grid_dlon", g->d));
  PetscCall(prc_h5_attr_double(h, "grid_nlat", (double)g->nlat));
  PetscCall(prc_h5_attr_double(h, "grid_nlon", (double)g->nlon));
  PetscCall(prc_h5_attr_double(h, "horizon_days", p->H));
  PetscCall(prc_h5_attr_double(h, "lookback_days", p->L / PRC_DAY));
  PetscCall(prc_h5_attr_double(h, "step_days", p->step / PRC_DAY));
  PetscCall(prc_h5_attr_int(h, "n_times", u->nt));
  PetscCall(prc_h5_attr_str(h, "row_order", "cell-major: row = k * n_times + j for the k-th cell, time = start + j * step"));
  PetscCall(prc_h5_attr_str(h, "score", score_desc));
  PetscCall(prc_h5_attr_str(h, "source", source));
  *grp = h;
  PetscFunctionReturn(0);
}

PetscErrorCode prc_fc_write_end(prc_ctx *ctx, const prc_fcgrid *g, const prc_fc_params *p, const prc_fc_units *u, prc_h5out *f, hid_t grp,
                                const char *png_name, const char *png_title)
{
  char path[4200];
  int  ok = 1;
  PetscFunctionBeginUser;
  H5Gclose(grp);
  PetscCall(prc_h5_commit(f, ctx));
  snprintf(path, sizeof path, "%s/%s", prc_opts_string(ctx->opts, "out_dir"), png_name);
  if (p->png && !ctx->rank) {
    prc_map_style ms = {.title = png_title, .cbar_label = "score", .vmin = 0, .vmax = 1};
    if (prc_plot_map_png(path, u->smax, (int)g->nlon, (int)g->nlat, &ms)) ok = 0;
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, ctx->comm));
  PetscCheck(ok, ctx->comm, PETSC_ERR_FILE_WRITE, "cannot write %s: %s", path, prc_lasterr());
  PetscFunctionReturn(0);
}

void prc_fc_say(prc_ctx *ctx, const prc_fc_params *p, const prc_fc_units *u, const char *png_name)
{
  char        d0[32], d1[32];
  const char *out = prc_opts_string(ctx->opts, "out_dir");
  prc_time_format(u->t0, d0, sizeof d0), prc_time_format(u->t0 + (double)(u->nt - 1) * u->step, d1, sizeof d1);
  prc_say(ctx->comm, "[%s] %lld units (%lld cells x %lld times %.10s..%.10s, step %g d); score > 0 in %lld; horizon %g d\n", ctx->stage, (long long)u->n,
          (long long)u->nc, (long long)u->nt, d0, d1, u->step / PRC_DAY, (long long)u->npos, p->H);
  prc_say(ctx->comm, "[%s] outputs in %s/: forecast.h5 (/forecast; score it: precursor evaluate -eval_input %s/forecast.h5 -eval_catalog ...)%s%s\n", ctx->stage,
          out, out, p->png ? ", " : "", p->png ? png_name : "");
}

PetscErrorCode prc_fc_training_info(prc_ctx *ctx, const char *model, const char *generator, const char *exempt_attr, const char *exempt_val,
                                    const char *opt_name, prc_fc_trainset_fn each, void *arg, double *info_end, int *nfiles)
{
  hid_t        fid, pg;
  char        *inputs;
  int          found;
  const size_t gl = strlen(generator);
  PetscFunctionBeginUser;
  *info_end = -INFINITY, *nfiles = 0;
  PetscCall(prc_h5_open(ctx->comm, model, &fid));
  PetscCheck(H5Lexists(fid, "provenance", H5P_DEFAULT) > 0 && (pg = H5Gopen2(fid, "provenance", H5P_DEFAULT)) >= 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
             "'%s' has no /provenance group (not written by precursor train?)", model);
  const size_t N = 1 << 20;
  PetscCall(PetscMalloc1(N, &inputs));
  PetscCall(prc_h5_attr_get_str(pg, "inputs", inputs, N, &found));
  H5Gclose(pg);
  PetscCall(prc_h5_close(fid));
  if (!found) inputs[0] = 0;
  for (char *save = NULL, *line = strtok_r(inputs, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *sp = strstr(line, " crc32=");
    if (sp) *sp = 0;
    if (!line[0] || access(line, R_OK) || H5Fis_hdf5(line) <= 0) continue; /* gone, or not HDF5 (a spec file) */
    char kind[64] = "", gen[256] = "", ex[256] = "";
    int  fk, fg, fe = 0;
    PetscCall(prc_h5_open(ctx->comm, line, &fid));
    PetscCall(prc_h5_attr_get_str(fid, "precursor_kind", kind, sizeof kind, &fk));
    PetscCall(prc_h5_attr_get_str(fid, "generator", gen, sizeof gen, &fg));
    if (fk && fg && !strcmp(kind, "trainset") && !strncmp(gen, generator, gl) && (!gen[gl] || gen[gl] == ' ')) {
      if (exempt_attr) PetscCall(prc_h5_attr_get_str(fid, exempt_attr, ex, sizeof ex, &fe));
      if (!(fe && !strcmp(ex, exempt_val))) {
        PetscCheck(H5Aexists(fid, "info_end") > 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
                   "'%s' (a training set of '%s') has no info_end attribute: remake it with this version of %s, or give -%s", line, model, generator,
                   opt_name);
        double ie;
        hid_t  a = H5Aopen(fid, "info_end", H5P_DEFAULT);
        PetscCheck(a >= 0 && H5Aread(a, H5T_NATIVE_DOUBLE, &ie) >= 0, ctx->comm, PETSC_ERR_FILE_READ, "'%s': cannot read attribute info_end", line);
        H5Aclose(a);
        *info_end = fmax(*info_end, ie);
      }
      if (each) PetscCall(each(fid, line, arg));
      ++*nfiles;
    }
    PetscCall(prc_h5_close(fid));
  }
  PetscCall(PetscFree(inputs));
  PetscFunctionReturn(0);
}

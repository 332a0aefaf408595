/* stage_em_fusion.c — `precursor em-fusion`: ground–space fusion of EM anomaly alarms (paper 000
 * §1.5; docs/EM.md "Ground–space fusion"). A ground model and a space (satellite) model, each a
 * model.h5 of `train`, are applied to the windows of a label-mode sample set of `em-samples`
 * (ground channels / space channels of the same station set); every window predicted at or above
 * -fusion_min_class is an alarm (station, window end). The rules of src/signal/em_fusion.c turn
 * them into a table: alarm (stations agree, location estimate, satellite watch opened),
 * interference (keep watching), short-term warning (satellite agreement in a watch), re-check
 * (satellite anomaly without a ground alarm).
 *
 * Parallel plan: every rank loads both models and sets; the windows are split in contiguous
 * blocks of whole -fusion_batch batches (prc_partition_batches: the same logits bit for bit on
 * any rank count), each rank predicts its block, the predictions are summed into one
 * array (integers: exact); the fusion runs identically on every rank; rank 0's table is written. */
#include <math.h>
#include <string.h>

#include "precursor/catalog.h"
#include "precursor/decomp.h"
#include "precursor/em_fusion.h"
#include "precursor/em_predict.h"
#include "precursor/em_samples.h"
#include "precursor/error.h"
#include "precursor/model_h5.h"
#include "precursor/progress.h"
#include "precursor/stage.h"
#include "precursor/stations.h"
#include "precursor/timeutil.h"

static const prc_opt_spec fusion_opts[] = {
  {"fusion_stations", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "station set the label-mode samples were cut from (coordinates, codes)"},
  {"fusion_ground_model", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "ground model (model.h5 of train on the ground channels)"},
  {"fusion_ground_data", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "ground windows (em-samples -em_mode label on the ground channels)"},
  {"fusion_space_model", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "space model (model.h5 of train on the space channels)"},
  {"fusion_space_data", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "space windows (em-samples -em_mode label on the space channels)"},
  {"fusion_min_class", PRC_OPT_INT, "1", 1, 63, "a window predicted at or above this class is an alarm"},
  {"fusion_radius_km", PRC_OPT_REAL, "150", 0.001, 20040, "stations within this distance are asked / form the alarm region"},
  {"fusion_window_days", PRC_OPT_REAL, "2", 0, 3650, "ground alarms of other stations within this time agree"},
  {"fusion_watch_days", PRC_OPT_REAL, "10", 0, 3650, "a ground alarm opens a satellite watch of its region for this long"},
  {"fusion_min_agree", PRC_OPT_INT, "1", 1, 1000, "agreeing stations needed for an alarm"},
  {"fusion_batch", PRC_OPT_INT, "64", 1, 100000, "prediction batch"},
  {"fusion_grid", PRC_OPT_INT, "200", 10, 5000, "nodes per side of the grid on which the overlap of the stations' circles is found"},
  {"fusion_catalog", PRC_OPT_STRING, "none", PRC_NO_RANGE, "catalog to evaluate the alarms against (catalog.h5), or none"},
  {"fusion_eval_mag", PRC_OPT_REAL, "5", -5, 10, "evaluation: events of at least this magnitude count"},
  {"fusion_eval_days", PRC_OPT_REAL, "10", 0.001, 3650, "evaluation: an alarm or warning is a hit if such an event follows within this time and -fusion_radius_km"},
};

typedef struct {
  int64_t  n;
  float   *x, *aux;
  int32_t *st;
  double  *te;
  int     *pred;
} wset;

static PetscErrorCode load_predict(prc_ctx *ctx, const char *mp, const char *dp, int ns, int batch, int minc, wset *w, int64_t *nalarm)
{
  prc_model *m;
  hid_t      fid;
  int        rk, nd, sh[8], nd1 = 0, sh1[8];
  hsize_t    dims[8];
  PetscFunctionBeginUser;
  PetscCall(prc_ctx_add_input(ctx, mp));
  PetscCall(prc_ctx_add_input(ctx, dp));
  PetscCall(prc_model_h5_load(ctx->comm, mp, &m));
  PetscCall(prc_h5_open(ctx->comm, dp, &fid));
  PrcCallK(prc_model_input_shape(m, 0, &nd, sh));
  PetscCall(prc_h5_dims(fid, "x", &rk, dims));
  int same = rk == nd + 1;
  for (int i = 0; same && i < nd; i++) same = dims[i + 1] == (hsize_t)sh[i];
  PetscCheck(same, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /x samples do not have the input shape of the model '%s'", dp, mp);
  w->n = (int64_t)dims[0];
  PetscCheck(H5Lexists(fid, "samples", H5P_DEFAULT) > 0 && H5Lexists(fid, "samples/end_time", H5P_DEFAULT) > 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
             "'%s': no /samples/end_time (make the windows with em-samples -em_mode label)", dp);
  size_t S = 1, A = 1;
  for (int i = 0; i < nd; i++) S *= (size_t)sh[i];
  if (prc_model_ninputs(m) > 1) {
    PrcCallK(prc_model_input_shape(m, 1, &nd1, sh1));
    for (int i = 0; i < nd1; i++) A *= (size_t)sh1[i];
  }
  PetscCall(PetscMalloc5(S * w->n + 1, &w->x, A * w->n + 1, &w->aux, w->n + 1, &w->st, w->n + 1, &w->te, w->n + 1, &w->pred));
  hsize_t s0[4] = {0, 0, 0, 0}, cx[4] = {(hsize_t)w->n}, ca[2] = {(hsize_t)w->n, A};
  for (int i = 0; i < nd; i++) cx[i + 1] = (hsize_t)sh[i];
  PetscCall(prc_h5_read_nd(fid, "x", H5T_NATIVE_FLOAT, s0, cx, w->x));
  if (prc_model_ninputs(m) > 1) PetscCall(prc_h5_read_nd(fid, "aux", H5T_NATIVE_FLOAT, s0, ca, w->aux));
  PetscCall(prc_h5_read_nd(fid, "samples/station", H5T_NATIVE_INT32, s0, cx, w->st));
  PetscCall(prc_h5_read_nd(fid, "samples/end_time", H5T_NATIVE_DOUBLE, s0, cx, w->te));
  PetscCall(prc_h5_close(fid));
  for (int64_t i = 0; i < w->n; i++)
    PetscCheck(w->st[i] >= 0 && w->st[i] < ns && isfinite(w->te[i]), ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
               "'%s': window %lld has station %d (the station set has %d) or no end time: not a label-mode set of -fusion_stations", dp, (long long)i,
               w->st[i], ns);
  int64_t b0, bc;
  prc_partition_batches(w->n, batch, ctx->size, ctx->rank, &b0, &bc); /* whole batches: the same bits on any rank count */
  memset(w->pred, 0, sizeof(int) * (size_t)w->n);
  PetscCall(prc_em_predict(m, w->x + S * b0, w->aux + A * b0, bc, batch, w->pred + b0));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, w->pred, (int)w->n, MPI_INT, MPI_SUM, ctx->comm));
  prc_model_destroy(m);
  *nalarm = 0;
  for (int64_t i = 0; i < w->n; i++) *nalarm += w->pred[i] >= minc;
  PetscFunctionReturn(0);
}

static PetscErrorCode fusion_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  const char     *od = prc_opts_string(o, "out_dir");
  const int       minc = (int)prc_opts_int(o, "fusion_min_class"), batch = (int)prc_opts_int(o, "fusion_batch");
  PetscFunctionBeginUser;
  prc_stations_in S;
  PetscCall(prc_ctx_add_input(ctx, prc_opts_string(o, "fusion_stations")));
  PetscCall(prc_stations_open(ctx->comm, prc_opts_string(o, "fusion_stations"), &S));
  double *lat, *lon;
  char (*codes)[16];
  PetscCall(PetscMalloc3(S.ns, &lat, S.ns, &lon, S.ns, &codes));
  for (int i = 0; i < S.ns; i++) lat[i] = S.st[i].lat, lon[i] = S.st[i].lon, memcpy(codes[i], S.st[i].code, 16);
  wset    g, s;
  int64_t ng, nsp;
  PetscCall(load_predict(ctx, prc_opts_string(o, "fusion_ground_model"), prc_opts_string(o, "fusion_ground_data"), S.ns, batch, minc, &g, &ng));
  PetscCall(load_predict(ctx, prc_opts_string(o, "fusion_space_model"), prc_opts_string(o, "fusion_space_data"), S.ns, batch, minc, &s, &nsp));
  const int64_t   n = ng + nsp;
  prc_fusion_in  *in;
  prc_fusion_out *out;
  PetscCall(PetscMalloc2(n + 1, &in, n + 1, &out));
  int64_t k = 0;
  for (int64_t i = 0; i < g.n; i++)
    if (g.pred[i] >= minc) in[k++] = (prc_fusion_in){PRC_FUSION_GROUND, g.st[i], g.te[i]};
  for (int64_t i = 0; i < s.n; i++)
    if (s.pred[i] >= minc) in[k++] = (prc_fusion_in){PRC_FUSION_SPACE, s.st[i], s.te[i]};
  prc_fusion_conf c = {.radius_km = prc_opts_real(o, "fusion_radius_km"), .window_s = prc_opts_real(o, "fusion_window_days") * 86400,
                       .watch_s = prc_opts_real(o, "fusion_watch_days") * 86400, .min_agree = (int)prc_opts_int(o, "fusion_min_agree"),
                       .grid = (int)prc_opts_int(o, "fusion_grid")};
  PetscCheck(prc_fusion(in, (int)n, S.ns, lat, lon, (const char(*)[16])codes, &c, out) == n, ctx->comm, PETSC_ERR_LIB, "fusion: %s", prc_lasterr());
  /* evaluation against a catalog (every rank: small) */
  const char     *cp = prc_opts_string(o, "fusion_catalog");
  const int       evaluate = strcmp(cp, "none") != 0;
  prc_fusion_eval E = {0};
  int            *hit;
  PetscCall(PetscCalloc1(n + 1, &hit));
  const double H = prc_opts_real(o, "fusion_eval_days") * 86400, emag = prc_opts_real(o, "fusion_eval_mag");
  double       t_lo = INFINITY, t_hi = -INFINITY, base = NAN;
  for (int64_t i = 0; i < g.n; i++) t_lo = fmin(t_lo, g.te[i]), t_hi = fmax(t_hi, g.te[i] + H);
  if (evaluate) {
    prc_catalog cat = {0};
    PetscCall(prc_ctx_add_input(ctx, cp));
    PetscCall(prc_catalog_read(ctx->comm, cp, &cat));
    PetscCheck(prc_fusion_evaluate(out, (int)n, S.ns, lat, lon, cat.n, cat.time, cat.lat, cat.lon, cat.mag, emag, H, c.radius_km, t_lo, t_hi, &E, hit) == 0,
               ctx->comm, PETSC_ERR_ARG_WRONG, "'%s': %s", cp, prc_lasterr());
    /* the no-skill reference: the fraction of all ground windows (alarm or not) followed by such
     * an event within the radius of their station — the hit rate of alarms raised at random */
    int64_t pos = 0;
    for (int64_t i = 0; i < g.n; i++) {
      int h = 0;
      for (size_t q = 0; q < cat.n && !h; q++)
        h = cat.mag[q] >= emag && cat.time[q] > g.te[i] && cat.time[q] <= g.te[i] + H &&
            prc_em_distance_km(lat[g.st[i]], lon[g.st[i]], cat.lat[q], cat.lon[q]) <= c.radius_km;
      pos += h;
    }
    base = g.n ? (double)pos / (double)g.n : NAN;
    PetscCall(prc_catalog_free(&cat));
  }
  /* table */
  double *t, *la, *lo, *rad;
  int    *lev, *st, *na, *kind;
  char  (*ev)[256];
  PetscCall(PetscMalloc4(n + 1, &t, n + 1, &la, n + 1, &lo, n + 1, &rad));
  PetscCall(PetscMalloc5(n + 1, &lev, n + 1, &st, n + 1, &na, n + 1, &kind, n + 1, &ev));
  double *ar, *cla, *clo;
  PetscCall(PetscMalloc3(n + 1, &ar, n + 1, &cla, n + 1, &clo));
  int64_t cnt[4] = {0};
  for (int64_t i = 0; i < n; i++) {
    t[i] = out[i].time, la[i] = out[i].lat, lo[i] = out[i].lon, rad[i] = out[i].radius_km, lev[i] = out[i].level, st[i] = out[i].station,
    na[i] = out[i].nagree, kind[i] = in[out[i].source].kind, ar[i] = out[i].area_km2, cla[i] = out[i].cen_lat, clo[i] = out[i].cen_lon;
    memcpy(ev[i], out[i].evidence, 256);
    cnt[lev[i]]++;
  }
  char path[4200];
  snprintf(path, sizeof path, "%s/fusion.h5", od);
  prc_h5out f;
  hid_t     gr;
  PetscCall(prc_h5_create(ctx->comm, path, "em_fusion", &f));
  PetscCall(prc_h5_group(f.fid, "alarms", &gr));
  PetscCall(prc_h5_write_col(ctx->comm, gr, "time", H5T_NATIVE_DOUBLE, (hsize_t)n, t));
  PetscCall(prc_h5_write_col(ctx->comm, gr, "lat", H5T_NATIVE_DOUBLE, (hsize_t)n, la));
  PetscCall(prc_h5_write_col(ctx->comm, gr, "lon", H5T_NATIVE_DOUBLE, (hsize_t)n, lo));
  PetscCall(prc_h5_write_col(ctx->comm, gr, "radius_km", H5T_NATIVE_DOUBLE, (hsize_t)n, rad));
  PetscCall(prc_h5_write_col(ctx->comm, gr, "area_km2", H5T_NATIVE_DOUBLE, (hsize_t)n, ar));
  PetscCall(prc_h5_write_col(ctx->comm, gr, "centroid_lat", H5T_NATIVE_DOUBLE, (hsize_t)n, cla));
  PetscCall(prc_h5_write_col(ctx->comm, gr, "centroid_lon", H5T_NATIVE_DOUBLE, (hsize_t)n, clo));
  if (evaluate) PetscCall(prc_h5_write_col(ctx->comm, gr, "hit", H5T_NATIVE_INT, (hsize_t)n, hit));
  PetscCall(prc_h5_write_col(ctx->comm, gr, "level", H5T_NATIVE_INT, (hsize_t)n, lev));
  PetscCall(prc_h5_write_col(ctx->comm, gr, "station", H5T_NATIVE_INT, (hsize_t)n, st));
  PetscCall(prc_h5_write_col(ctx->comm, gr, "nagree", H5T_NATIVE_INT, (hsize_t)n, na));
  PetscCall(prc_h5_write_col(ctx->comm, gr, "source", H5T_NATIVE_INT, (hsize_t)n, kind));
  hid_t ts = prc_h5_strtype(256);
  PetscCall(prc_h5_write_col(ctx->comm, gr, "evidence", ts, (hsize_t)n, ev));
  H5Tclose(ts);
  PetscCall(prc_h5_attr_str(gr, "level_names", "0 interference (keep watching), 1 alarm (satellite watch opened), 2 short-term warning, 3 re-check request"));
  PetscCall(prc_h5_attr_str(gr, "source_names", "0 ground model, 1 space model"));
  H5Gclose(gr);
  if (evaluate) {
    PetscCall(prc_h5_group(f.fid, "evaluation", &gr));
    const char  *an[] = {"alarms", "alarm_hits", "warnings", "warning_hits", "events", "events_detected"};
    const long   av[] = {E.alarms, E.alarm_hits, E.warnings, E.warning_hits, E.events, E.events_detected};
    for (int i = 0; i < 6; i++) PetscCall(prc_h5_attr_double(gr, an[i], (double)av[i]));
    PetscCall(prc_h5_attr_double(gr, "location_error_km", E.loc_err_km));
    PetscCall(prc_h5_attr_double(gr, "window_base_rate", base));
    PetscCall(prc_h5_attr_double(gr, "location_error_centroid_km", E.loc_err_centroid_km));
    PetscCall(prc_h5_attr_double(gr, "magnitude", emag));
    PetscCall(prc_h5_attr_double(gr, "horizon_days", H / 86400));
    PetscCall(prc_h5_attr_double(gr, "radius_km", c.radius_km));
    PetscCall(prc_h5_attr_double(gr, "t_lo", t_lo));
    PetscCall(prc_h5_attr_double(gr, "t_hi", t_hi));
    PetscCall(prc_h5_attr_str(gr, "catalog", cp));
    PetscCall(prc_h5_attr_str(gr, "meaning", "alarm/warning rows followed by an event >= magnitude within horizon_days and radius_km of the row's "
                                            "location (hits); events >= magnitude within radius_km of a station in (t_lo, t_hi] (observable) "
                                            "preceded by such an alarm (detected); mean distance of hit alarms' locations (overlap centroid) and "
                                            "of the stations' mean positions to the nearest matching event; window_base_rate: fraction of all ground windows "
                                            "followed by such an event within radius_km of their station (the hit rate of random alarms)"));
    H5Gclose(gr);
  }
  PetscCall(prc_h5_commit(&f, ctx));
  int ok = 1;
  if (!ctx->rank) {
    snprintf(path, sizeof path, "%s/fusion.md", od);
    FILE *md = fopen(path, "w");
    if (!md) ok = 0;
    else {
      if (evaluate) {
        fprintf(md, "## Evaluation against %s (M >= %g within %g days and %g km)\n\n", cp, emag, H / 86400, c.radius_km);
        fprintf(md, "- alarms: %ld, followed by an event: %ld (%.1f %%; random alarms: %.1f %% of all ground windows are followed by one)\n", E.alarms,
                E.alarm_hits, E.alarms ? 100.0 * E.alarm_hits / E.alarms : 0.0, 100 * base);
        fprintf(md, "- short-term warnings: %ld, followed by an event: %ld (%.1f %%)\n", E.warnings, E.warning_hits,
                E.warnings ? 100.0 * E.warning_hits / E.warnings : 0.0);
        fprintf(md, "- observable events: %ld, preceded by an alarm: %ld (%.1f %%)\n", E.events, E.events_detected,
                E.events ? 100.0 * E.events_detected / E.events : 0.0);
        fprintf(md, "- mean location error of hit alarms: %.1f km (overlap of the areas), %.1f km (stations' mean position)\n\n", E.loc_err_km,
                E.loc_err_centroid_km);
      }
      fprintf(md, "| time (UTC) | level | region (lat, lon, radius km) | station | evidence |%s\n|---|---|---|---|---|%s\n", evaluate ? " hit |" : "",
              evaluate ? "---|" : "");
      for (int64_t i = 0; i < n; i++) {
        char ts2[64];
        prc_time_format(t[i], ts2, sizeof ts2);
        fprintf(md, "| %s | %s | %.3f, %.3f, %.1f | %s | %s |", ts2, prc_fusion_level_name(lev[i]), la[i], lo[i], rad[i], codes[st[i]], ev[i]);
        fprintf(md, evaluate ? " %s |\n" : "\n", hit[i] ? "yes" : (lev[i] == PRC_FUSION_ALARM || lev[i] == PRC_FUSION_WARNING ? "no" : ""));
      }
      fclose(md);
    }
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, ctx->comm));
  PetscCheck(ok, ctx->comm, PETSC_ERR_FILE_WRITE, "cannot write %s/fusion.md", od);
  prc_say(ctx->comm, "[em-fusion] %lld ground windows (%lld alarms), %lld space windows (%lld anomalies) -> %lld alarms, %lld interference, %lld "
                     "short-term warnings, %lld re-check requests\n",
          (long long)g.n, (long long)ng, (long long)s.n, (long long)nsp, (long long)cnt[1], (long long)cnt[0], (long long)cnt[2], (long long)cnt[3]);
  if (evaluate)
    prc_say(ctx->comm, "[em-fusion] against %s (M >= %g, %g days, %g km): %ld of %ld alarms (random: %.1f %%) and %ld of %ld warnings followed by an event; "
                       "%ld of %ld observable events preceded by an alarm; location error %.1f km (overlap) vs %.1f km (stations' mean)\n",
            cp, emag, H / 86400, c.radius_km, E.alarm_hits, E.alarms, 100 * base, E.warning_hits, E.warnings, E.events_detected, E.events, E.loc_err_km,
            E.loc_err_centroid_km);
  prc_say(ctx->comm, "[em-fusion] outputs in %s/: fusion.h5 (/alarms%s), fusion.md\n", od, evaluate ? ", /evaluation" : "");
  PetscCall(PetscFree4(t, la, lo, rad));
  PetscCall(PetscFree5(lev, st, na, kind, ev));
  PetscCall(PetscFree3(ar, cla, clo));
  PetscCall(PetscFree(hit));
  PetscCall(PetscFree2(in, out));
  PetscCall(PetscFree5(g.x, g.aux, g.st, g.te, g.pred));
  PetscCall(PetscFree5(s.x, s.aux, s.st, s.te, s.pred));
  PetscCall(PetscFree3(lat, lon, codes));
  PetscCall(prc_stations_close(&S));
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_em_fusion = {"em-fusion", "ground-space fusion of EM alarms: agreement, location, satellite watch, warnings, re-checks (table)",
                                       fusion_opts, (int)(sizeof fusion_opts / sizeof fusion_opts[0]), NULL, fusion_run};

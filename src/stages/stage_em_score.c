/* stage_em_score.c — `precursor em-score`: a trained EM window classifier (model.h5 of `train` on
 * em-samples windows: paper 000's multi-scale residual CNN, with or without the auxiliary input)
 * applied to the label-mode windows of a station set, as a forecast table (kind "forecast") on a
 * cell x time grid for `evaluate` and `study -study_external` (docs/EM.md "On the study grid").
 *
 * Window score = P(class >= -emsc_min_class) = the sum of the softmax probabilities of those
 * classes. A model with the auxiliary input gets the window's time input and the distance input
 * of "no event" (1): in a label-mode file the distance is that of the labelling event — label
 * information a forecaster does not have (docs/EM.md "Labels from a catalog").
 * Observation times = the sorted distinct window end times; value(time, cell) = the largest score
 * of the windows ending at that time at the stations within -emsc_radius_km (great circle) of
 * the cell centre (NaN if none). Unit (cell, t): the largest value at an observation time in
 * [t − lookback, t), 0 if none (forecast_grid.h). Cells: those of the grid (auto: the box of the
 * stations with windows) with at least one such station within the radius; the others are not
 * written.
 *
 * Leakage: the model must not have seen labels from inside a test window. em-samples (label
 * mode) records `info_end` = max over its windows of t_end + horizon (the latest time its labels
 * depend on); simulate-mode files carry no real-time information (info_end −inf). -emsc_info_end
 * auto takes the latest info_end of the em-samples files among model.h5's provenance inputs —
 * at least one must be readable, else a date (or none) must be given — and refuses units before
 * it; the auto start is rounded up to the first unit time at or after it. The training files also
 * fix the channels and the VMD flag the windows to score must have (checked when known).
 *
 * Parallel plan: every rank reads the window table (station, end time); the windows are split in
 * contiguous blocks of whole batches (the global sequence of -emsc_batch windows,
 * prc_partition_batches), each rank reads its block of /x (and /aux) and predicts it in eval mode batch
 * by batch — every batch holds the same windows on any rank count, which matters because the
 * fully connected layers' GEMM bits depend on the batch; the scores are combined with MPI_MAX
 * over −1 placeholders (exact), and the grid values and units are computed identically on every
 * rank, so forecast.h5 is bitwise identical on any rank count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/decomp.h"
#include "precursor/em_samples.h"
#include "precursor/error.h"
#include "precursor/forecast_grid.h"
#include "precursor/model_h5.h"
#include "precursor/progress.h"
#include "precursor/stage.h"
#include "precursor/stations.h"
#include "precursor/timeutil.h"

static const prc_opt_spec emsc_opts[] = {
  {"emsc_model", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "trained EM window model (model.h5 of train on em-samples windows, input C x L [+ aux])"},
  {"emsc_data", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "windows to score (trainset.h5 of em-samples -em_mode label, e.g. with -em_val_fraction 0)"},
  {"emsc_stations", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "station set the windows were cut from (coordinates)"},
  {"emsc_min_class", PRC_OPT_INT, "1", 1, 63, "window score = P(class >= min_class): the sum of the softmax probabilities of those classes"},
  {"emsc_radius_km", PRC_OPT_REAL, "150", 0.001, 20040, "a station informs every cell whose centre lies within this great-circle distance"},
  {"emsc_lat_max", PRC_OPT_STRING, "auto", PRC_NO_RANGE, "northern edge of the grid (degrees) or auto: the northernmost station with windows"},
  {"emsc_lon_max", PRC_OPT_STRING, "auto", PRC_NO_RANGE, "eastern edge of the grid (degrees) or auto: the easternmost station with windows"},
  {"emsc_info_end", PRC_OPT_STRING, "auto", PRC_NO_RANGE,
   "end of the model's training information: auto (info_end of the em-samples files among model.h5's inputs), a date, or none (no check)"},
  {"emsc_batch", PRC_OPT_INT, "64", 1, 1e6, "inference batch (windows)"},
  PRC_FCGRID_OPTS("emsc", "2", "10"),
};

static void emsc_validate(prc_opts *o)
{
  const char *ie = prc_opts_string(o, "emsc_info_end"), *la = prc_opts_string(o, "emsc_lat_max"), *lo = prc_opts_string(o, "emsc_lon_max");
  double      t, v;
  if (strcmp(ie, "auto") && strcmp(ie, "none") && prc_time_parse(ie, &t)) prc_opts_violation(o, "-emsc_info_end '%s': expected auto, none or a date", ie);
  if (prc_fc_parse_auto(la, &v) < 0 || (strcmp(la, "auto") && !(v >= -90 && v <= 90)))
    prc_opts_violation(o, "-emsc_lat_max '%s': expected auto or a latitude in [-90, 90]", la);
  if (prc_fc_parse_auto(lo, &v) < 0 || (strcmp(lo, "auto") && !(v >= -360 && v <= 360)))
    prc_opts_violation(o, "-emsc_lon_max '%s': expected auto or a longitude in [-360, 360]", lo);
  prc_fc_validate(o, "emsc");
}

/* The em-samples specifics of a model's training sets (prc_fc_training_info): their channels and
 * VMD flag, which the windows to score must share ("" / -1 if unknown; "*" / -2 if they differ). */
typedef struct {
  char chans[1024];
  int  vmd;
} emsc_train;

static PetscErrorCode emsc_trainset(hid_t fid, const char *path, void *arg)
{
  emsc_train *t = arg;
  char        ch[1024] = "";
  int         fc, fv = 0;
  long long   v  = -1;
  PetscFunctionBeginUser;
  (void)path;
  PetscCall(prc_h5_attr_get_str(fid, "channels", ch, sizeof ch, &fc));
  if (fc) {
    if (!t->chans[0]) snprintf(t->chans, sizeof t->chans, "%s", ch);
    else if (strcmp(t->chans, ch)) snprintf(t->chans, sizeof t->chans, "*");
  }
  if (H5Aexists(fid, "vmd") > 0) {
    hid_t a = H5Aopen(fid, "vmd", H5P_DEFAULT);
    fv      = a >= 0 && H5Aread(a, H5T_NATIVE_LLONG, &v) >= 0;
    if (a >= 0) H5Aclose(a);
  }
  if (fv) t->vmd = t->vmd == -1 ? (int)v : t->vmd == (int)v ? t->vmd : -2;
  PetscFunctionReturn(0);
}

static int cmp_double(const void *a, const void *b)
{
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static PetscErrorCode emsc_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  const char     *mp = prc_opts_string(o, "emsc_model"), *dp = prc_opts_string(o, "emsc_data"), *sp = prc_opts_string(o, "emsc_stations");
  const char     *ies = prc_opts_string(o, "emsc_info_end");
  const int       minc = (int)prc_opts_int(o, "emsc_min_class"), batch = (int)prc_opts_int(o, "emsc_batch");
  const double    R = prc_opts_real(o, "emsc_radius_km");
  prc_fc_params   P;
  PetscFunctionBeginUser;
  prc_fc_params_get(o, "emsc", &P);
  /* stations */
  prc_stations_in S;
  PetscCall(prc_ctx_add_input(ctx, sp));
  PetscCall(prc_stations_open(ctx->comm, sp, &S));
  /* the model: input C x L (+ an auxiliary vector), at least minc + 1 classes */
  prc_model *m;
  PetscCall(prc_ctx_add_input(ctx, mp));
  PetscCall(prc_ctx_add_input(ctx, dp));
  PetscCall(prc_model_h5_load(ctx->comm, mp, &m));
  const int nin = prc_model_ninputs(m);
  int       nd, sh[8], nd1 = 0, sh1[8], K;
  PetscCheck((nin == 1 || nin == 2) && !prc_model_input_shape(m, 0, &nd, sh) && nd == 2 && (nin == 1 || !prc_model_input_shape(m, 1, &nd1, sh1)),
             ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
             "'%s': expected an EM window model (one input of shape channels x points, optionally an auxiliary second input), not %d input(s) of rank %d", mp,
             nin, nd);
  size_t A = 0;
  if (nin == 2) {
    A = 1;
    for (int i = 0; i < nd1; i++) A *= (size_t)sh1[i];
  }
  PetscCall(prc_model_output_width(m, &K));
  PetscCheck(minc < K, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "-emsc_min_class %d: '%s' has %d classes (0..%d)", minc, mp, K, K - 1);
  /* leakage: the end of the training information */
  double ie = -INFINITY;
  int    nfiles;
  emsc_train tt = {"", -1};
  PetscCall(prc_fc_training_info(ctx, mp, "em-samples", "em_mode", "simulate", "emsc_info_end", emsc_trainset, &tt, &ie, &nfiles));
  if (!strcmp(ies, "auto"))
    PetscCheck(nfiles > 0, ctx->comm, PETSC_ERR_ARG_WRONGSTATE,
               "'%s': none of its training inputs (provenance) is a readable em-samples file, so the end of its training information is "
               "unknown; give -emsc_info_end DATE (the latest time its labels depend on), or none to score without the check",
               mp);
  else if (!strcmp(ies, "none")) ie = -INFINITY;
  else prc_time_parse(ies, &ie);
  /* the windows: label mode, shape of the model's input */
  hid_t   fid;
  int     rk, found;
  hsize_t dims[8];
  char    emode[64] = "";
  PetscCall(prc_h5_open(ctx->comm, dp, &fid));
  PetscCall(prc_h5_attr_get_str(fid, "em_mode", emode, sizeof emode, &found));
  PetscCheck(found && !strcmp(emode, "label") && H5Lexists(fid, "samples", H5P_DEFAULT) > 0 && H5Lexists(fid, "samples/end_time", H5P_DEFAULT) > 0,
             ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': not a label-mode window set (em_mode '%s', expected 'label': make it with em-samples -em_mode label)", dp,
             found ? emode : "(none)");
  { /* the channels and the VMD flag of the model's training sets, when known */
    char dch[1024] = "";
    int  fc, fv = 0;
    long long dv = -1;
    PetscCall(prc_h5_attr_get_str(fid, "channels", dch, sizeof dch, &fc));
    PetscCheck(!fc || !tt.chans[0] || !strcmp(tt.chans, "*") || !strcmp(dch, tt.chans), ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
               "'%s' holds the channels '%s' but the model '%s' was trained on '%s' (em-samples -em_channels must match)", dp, dch, mp, tt.chans);
    if (H5Aexists(fid, "vmd") > 0) {
      hid_t a = H5Aopen(fid, "vmd", H5P_DEFAULT);
      fv      = a >= 0 && H5Aread(a, H5T_NATIVE_LLONG, &dv) >= 0;
      if (a >= 0) H5Aclose(a);
    }
    PetscCheck(!fv || tt.vmd < 0 || dv == tt.vmd, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
               "'%s' has vmd %lld but the model '%s' was trained on windows with vmd %d (em-samples -em_vmd must match)", dp, dv, mp, tt.vmd);
  }
  PetscCall(prc_h5_dims(fid, "x", &rk, dims));
  PetscCheck(rk == 3 && dims[1] == (hsize_t)sh[0] && dims[2] == (hsize_t)sh[1], ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
             "'%s': /x windows do not have the input shape %d x %d of the model '%s'", dp, sh[0], sh[1], mp);
  const int64_t n = (int64_t)dims[0];
  PetscCheck(n > 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': no windows", dp);
  if (A) {
    PetscCall(prc_h5_dims(fid, "aux", &rk, dims));
    PetscCheck(rk == 2 && dims[0] == (hsize_t)n && dims[1] == A, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
               "'%s': /aux is not (%lld, %zu), the auxiliary input of the model '%s'", dp, (long long)n, A, mp);
  }
  int32_t *st;
  double  *te, *score;
  PetscCall(PetscMalloc3(n, &st, n, &te, n, &score));
  hsize_t z[3] = {0, 0, 0}, c1[1] = {(hsize_t)n};
  PetscCall(prc_h5_read_nd(fid, "samples/station", H5T_NATIVE_INT32, z, c1, st));
  PetscCall(prc_h5_read_nd(fid, "samples/end_time", H5T_NATIVE_DOUBLE, z, c1, te));
  for (int64_t i = 0; i < n; i++)
    PetscCheck(st[i] >= 0 && st[i] < S.ns && isfinite(te[i]), ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
               "'%s': window %lld has station %d (the station set '%s' has %d) or no end time: not a label-mode set of -emsc_stations", dp, (long long)i,
               st[i], sp, S.ns);
  /* this rank's block of windows: whole batches of the global sequence of -emsc_batch windows, so
   * every batch holds the same windows on any rank count (a GEMM's bits depend on its batch) */
  int64_t b0, bc;
  prc_partition_batches(n, batch, ctx->size, ctx->rank, &b0, &bc);
  const size_t SL = (size_t)sh[0] * (size_t)sh[1];
  float       *x, *aux, *prob;
  PetscCall(PetscMalloc3(SL * (size_t)bc + 1, &x, A * (size_t)bc + 1, &aux, (size_t)PetscMin((int64_t)batch, bc > 0 ? bc : 1) * (size_t)K, &prob));
  hsize_t s3[3] = {(hsize_t)b0, 0, 0}, c3[3] = {(hsize_t)bc, (hsize_t)sh[0], (hsize_t)sh[1]}, c2[2] = {(hsize_t)bc, A};
  PetscCall(prc_h5_read_nd(fid, "x", H5T_NATIVE_FLOAT, s3, c3, x));
  if (A) PetscCall(prc_h5_read_nd(fid, "aux", H5T_NATIVE_FLOAT, s3, c2, aux));
  PetscCall(prc_h5_close(fid));
  if (A >= 2)
    for (int64_t i = 0; i < bc; i++) aux[(size_t)i * A + 1] = 1.0f; /* distance input: no event known (the file's value is label information) */
  for (int64_t i = 0; i < n; i++) score[i] = -1;
  prc_progress prog;
  prc_progress_start(&prog, ctx->comm, "em-score", "scoring windows", "windows", (double)bc, prc_opts_real(o, "progress_interval"), prc_opts_bool(o, "quiet"));
  for (int64_t k0 = 0; k0 < bc; k0 += batch) {
    const int64_t nb = PetscMin((int64_t)batch, bc - k0);
    PetscCall(prc_model_predict_aux(m, x + SL * (size_t)k0, A ? aux + A * (size_t)k0 : NULL, nb, batch, prob, NULL));
    for (int64_t i = 0; i < nb; i++) {
      double s = 0;
      for (int k = minc; k < K; k++) s += prob[(size_t)i * (size_t)K + (size_t)k];
      PetscCheck(isfinite(s), PETSC_COMM_SELF, PETSC_ERR_FP, "'%s': non-finite probability for window %lld of '%s'", mp, (long long)(b0 + k0 + i), dp);
      score[b0 + k0 + i] = fmin(fmax(s, 0), 1);
    }
    prc_progress_update(&prog, (double)(k0 + nb));
  }
  prc_progress_end(&prog);
  PetscCall(PetscFree3(x, aux, prob));
  PetscCheck(n <= INT32_MAX, ctx->comm, PETSC_ERR_SUP, "%lld windows exceed one MPI message", (long long)n);
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, score, (int)n, MPI_DOUBLE, MPI_MAX, ctx->comm));
  /* the grid: the box of the stations with windows, edges from the options */
  char *has;
  PetscCall(PetscCalloc1(S.ns, &has));
  double la0 = INFINITY, la1 = -INFINITY, lo0 = INFINITY, lo1 = -INFINITY, v;
  for (int64_t i = 0; i < n; i++) has[st[i]] = 1;
  for (int s = 0; s < S.ns; s++)
    if (has[s]) la0 = fmin(la0, S.st[s].lat), la1 = fmax(la1, S.st[s].lat), lo0 = fmin(lo0, S.st[s].lon), lo1 = fmax(lo1, S.st[s].lon);
  if (prc_fc_parse_auto(prc_opts_string(o, "emsc_lat_max"), &v) == 1) {
    PetscCheck(v >= la1, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "-emsc_lat_max %g is south of the northernmost station with windows (%g): the grid must hold every station", v, la1);
    la1 = v;
  }
  if (prc_fc_parse_auto(prc_opts_string(o, "emsc_lon_max"), &v) == 1) {
    PetscCheck(v >= lo1, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "-emsc_lon_max %g is west of the easternmost station with windows (%g): the grid must hold every station", v, lo1);
    lo1 = v;
  }
  prc_fcgrid G;
  PetscCheck(!prc_fcgrid_make(&P, la0, la1, lo0, lo1, &G), ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "'%s' (stations): %s", sp, prc_lasterr());
  const int64_t ncell = G.nlat * G.nlon;
  /* cells with a station within the radius; near[s * nc + k]: station s informs the k-th cell */
  int64_t *cells, nc = 0;
  char    *near;
  PetscCall(PetscMalloc1(ncell, &cells));
  for (int64_t c = 0; c < ncell; c++) {
    double cla, clo;
    prc_fcgrid_centre(&G, c, &cla, &clo);
    for (int s = 0; s < S.ns; s++)
      if (has[s] && prc_em_distance_km(cla, clo, S.st[s].lat, S.st[s].lon) <= R) {
        cells[nc++] = c;
        break;
      }
  }
  PetscCheck(nc > 0, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "no cell centre of the grid lies within -emsc_radius_km %g of a station", R);
  PetscCall(PetscCalloc1((size_t)S.ns * (size_t)nc, &near));
  for (int64_t k = 0; k < nc; k++) {
    double cla, clo;
    prc_fcgrid_centre(&G, cells[k], &cla, &clo);
    for (int s = 0; s < S.ns; s++) near[(size_t)s * (size_t)nc + (size_t)k] = has[s] && prc_em_distance_km(cla, clo, S.st[s].lat, S.st[s].lon) <= R;
  }
  /* observation times and unit times */
  double *tob;
  int64_t nob = 0;
  PetscCall(PetscMalloc1(n, &tob));
  memcpy(tob, te, sizeof(double) * (size_t)n);
  qsort(tob, (size_t)n, sizeof(double), cmp_double);
  for (int64_t i = 0; i < n; i++)
    if (!nob || tob[i] > tob[nob - 1]) tob[nob++] = tob[i];
  double t0 = isfinite(P.start) ? P.start : floor(tob[0] / PRC_DAY) * PRC_DAY + P.L;
  if (!isfinite(P.start) && isfinite(ie) && t0 < ie) {
    t0 += ceil((ie - t0) / P.step) * P.step;
    while (t0 < ie) t0 += P.step; /* rounding */
  }
  const double t_end = tob[nob - 1] + PRC_DAY;
  char         d0[32], d1[32];
  prc_time_format(t0, d0, sizeof d0), prc_time_format(ie, d1, sizeof d1);
  PetscCheck(!(t0 < ie), ctx->comm, PETSC_ERR_ARG_OUTOFRANGE,
             "-emsc_start %s is before the end of the training information of '%s' (%s): units before it would be scored by a model that saw their "
             "labels",
             d0, mp, d1);
  PetscCheck(t0 <= t_end, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "the first unit (%s) is after the windows of '%s' (the last window end + 1 day)", d0, dp);
  /* the observation times some unit's lookback can see: [t0 - L, t_end) */
  int64_t oa = 0;
  while (oa < nob && tob[oa] < t0 - P.L) oa++;
  const int64_t no = nob - oa;
  double       *val;
  PetscCall(PetscMalloc1((size_t)(no * ncell + 1), &val));
  for (int64_t i = 0; i < no * ncell; i++) val[i] = NAN;
  for (int64_t w = 0; w < n; w++) {
    if (!no || te[w] < tob[oa]) continue; /* no observation time in any lookback (oa == nob), or before them */
    const double *p = bsearch(&te[w], tob + oa, (size_t)no, sizeof(double), cmp_double);
    double       *row = val + (p - (tob + oa)) * ncell;
    for (int64_t k = 0; k < nc; k++)
      if (near[(size_t)st[w] * (size_t)nc + (size_t)k]) row[cells[k]] = isnan(row[cells[k]]) ? score[w] : fmax(row[cells[k]], score[w]);
  }
  prc_fc_units U;
  PrcCallK(prc_fc_units_lookback(&G, cells, nc, tob + oa, no, val, t0, t_end, P.step, P.L, &U));
  /* forecast.h5 */
  prc_h5out f;
  hid_t     g;
  char      desc[512];
  snprintf(desc, sizeof desc,
           "largest P(class >= %d) of the model on a window ending in [time - lookback_days, time) at a station within %g km of the cell centre; 0 if none; "
           "times_defined = such window end times",
           minc, R);
  PetscCall(prc_fc_write_begin(ctx, &G, &P, &U, "times_defined", desc, dp, &f, &g));
  PetscCall(prc_h5_attr_str(g, "model", mp));
  PetscCall(prc_h5_attr_str(g, "stations", sp));
  PetscCall(prc_h5_attr_int(g, "min_class", minc));
  PetscCall(prc_h5_attr_double(g, "radius_km", R));
  PetscCall(prc_h5_attr_double(g, "info_end", ie));
  PetscCall(prc_h5_attr_str(g, "info_end_utc", isfinite(ie) ? d1 : "none (not checked)"));
  PetscCall(prc_h5_attr_str(g, "aux_distance", A >= 2 ? "1 (no event known) for every window" : "no auxiliary input"));
  char ttl[256];
  snprintf(ttl, sizeof ttl, "em-score: largest P(class >= %d) per %g-degree cell (radius %g km, lookback %g days)", minc, G.d, R, P.L / PRC_DAY);
  PetscCall(prc_fc_write_end(ctx, &G, &P, &U, &f, g, "em_score_map.png", ttl));
  int nst = 0;
  for (int s = 0; s < S.ns; s++) nst += has[s];
  prc_say(ctx->comm, "[em-score] %lld windows of %d station(s) scored at %lld times; model '%s' (%d classes, %s), training information until %s\n",
          (long long)n, nst, (long long)nob, mp, K, A ? "with the auxiliary input" : "one input", isfinite(ie) ? d1 : "(not checked)");
  prc_fc_say(ctx, &P, &U, "em_score_map.png");
  prc_fc_units_free(&U);
  PetscCall(PetscFree(val));
  PetscCall(PetscFree(tob));
  PetscCall(PetscFree(near));
  PetscCall(PetscFree(cells));
  PetscCall(PetscFree(has));
  PetscCall(PetscFree3(st, te, score));
  PetscCall(prc_stations_close(&S));
  prc_model_destroy(m);
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_em_score = {"em-score",
                                      "a trained EM window model on the label-mode windows of a station set: a forecast table on a cell x time grid for evaluate and study",
                                      emsc_opts, (int)(sizeof emsc_opts / sizeof emsc_opts[0]), emsc_validate, emsc_run};

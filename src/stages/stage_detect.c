/* stage_detect.c — `precursor detect`: continuous detection with a trained window
 * classifier (paper 004 after Perol et al. 2018), docs/DETECTION.md.
 *
 * For every usable set of the waveform files, windows of the model's length start every
 * -detect_step_s; each is normalised as the training windows were and classified (softmax
 * in eval mode). Windows are cut into fixed global batches of -detect_batch; batch j of a
 * set is computed by rank j mod P, so every window's probabilities are the same numbers on
 * any rank count. Rank 0 gathers them, merges consecutive positive windows into detections
 * (one per event: the paper's double-count problem), matches them to a catalog if one is
 * given, and writes the detection list, the per-window probabilities and a picture. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/catalog.h"
#include "precursor/detect.h"
#include "precursor/error.h"
#include "precursor/h5io.h"
#include "precursor/model_h5.h"
#include "precursor/plot.h"
#include "precursor/progress.h"
#include "precursor/scores.h"
#include "precursor/stage.h"
#include "precursor/timeutil.h"
#include "precursor/waveforms.h"

extern void openblas_set_num_threads(int);

static const prc_opt_spec detect_opts[] = {
  {"detect_model", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "trained classifier (model.h5 of precursor train on windows of precursor windows; class 0 = noise)"},
  {"detect_waveforms", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "continuous waveform files (kind waveforms), comma-separated"},
  {"detect_rate", PRC_OPT_REAL, "100", 0.001, 1e6, "sampling rate of the model's windows (Hz); sets at other rates are skipped (resample at import)"},
  {"detect_step_s", PRC_OPT_REAL, "1", 0.001, 1e6, "start of one window to the next (s)"},
  {"detect_threshold", PRC_OPT_REAL, "0.5", 0, 1, "a window is positive when its event probability 1 - p(noise) is at least this"},
  {"detect_merge_gap_s", PRC_OPT_REAL, "0", 0, 1e6, "a positive window starting at most this long after the previous positive window ended joins its detection"},
  {"detect_min_windows", PRC_OPT_INT, "1", 1, 1000000, "a detection needs at least this many merged positive windows (isolated positives dropped)"},
  {"detect_normalize", PRC_OPT_STRING, "joint", PRC_NO_RANGE, "normalisation of each window: joint, per_component or none (as the training windows)"},
  {"detect_batch", PRC_OPT_INT, "32", 1, 100000, "windows per forward pass (fixed global batches: the same result on any rank count)"},
  {"detect_tmin", PRC_OPT_STRING, "none", PRC_NO_RANGE, "only windows starting at or after this UTC time (ISO), or none"},
  {"detect_tmax", PRC_OPT_STRING, "none", PRC_NO_RANGE, "only windows ending at or before this UTC time (ISO), or none"},
  {"detect_catalog", PRC_OPT_STRING, "none", PRC_NO_RANGE, "catalog (or synth-waves events.h5) to score the detections against, or none"},
  {"detect_match_before_s", PRC_OPT_REAL, "0", 0, 1e6, "an event matches a detection whose span [start, end] meets [origin - this, origin + after]"},
  {"detect_match_after_s", PRC_OPT_REAL, "30", 0, 1e6, "... (s): the arrivals come after the origin, by distance / velocity"},
  {"detect_testset", PRC_OPT_STRING, "none", PRC_NO_RANGE,
   "labelled windows (windows_test.h5 of precursor windows) to score the classifier on: accuracy, event-vs-noise precision/recall, AUC, confusion matrix; or none"},
  {"detect_png", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "write detect_<set>.png (trace, event probability, detections, catalog events)"},
  {"detect_png_max", PRC_OPT_INT, "4", 0, 1000, "pictures for at most this many sets"},
};

static int opt_time(const char *s, double *t, double dflt)
{
  if (!strcmp(s, "none")) return *t = dflt, 0;
  return prc_time_parse(s, t);
}

static void detect_validate(prc_opts *o)
{
  double t;
  if (prc_win_norm_parse(prc_opts_string(o, "detect_normalize")) < 0)
    prc_opts_violation(o, "-detect_normalize '%s': use joint, per_component or none", prc_opts_string(o, "detect_normalize"));
  if (opt_time(prc_opts_string(o, "detect_tmin"), &t, 0)) prc_opts_violation(o, "-detect_tmin '%s' is not a UTC time", prc_opts_string(o, "detect_tmin"));
  if (opt_time(prc_opts_string(o, "detect_tmax"), &t, 0)) prc_opts_violation(o, "-detect_tmax '%s' is not a UTC time", prc_opts_string(o, "detect_tmax"));
}

/* Classify a labelled window set (kind trainset: /x (N, C, L), /y) in fixed global batches
 * (batch j on rank j mod P: the same numbers on any rank count), report on rank 0 and write
 * <out_dir>/testset_scores.h5. */
static PetscErrorCode score_testset(prc_ctx *ctx, prc_model *m, int C, int L, int K, int B, double thr)
{
  const char *tp = prc_opts_string(ctx->opts, "detect_testset");
  hid_t       fid;
  int         r, found;
  hsize_t     d[8];
  char        kind[64];
  PetscFunctionBeginUser;
  PetscCall(prc_h5_open(ctx->comm, tp, &fid));
  PetscCall(prc_ctx_add_input(ctx, tp));
  PetscCall(prc_h5_attr_get_str(fid, "precursor_kind", kind, sizeof kind, &found));
  PetscCheck(found && !strcmp(kind, "trainset"), ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s' is not a set of labelled windows (kind '%s', expected trainset)",
             tp, found ? kind : "(none)");
  PetscCall(prc_h5_dims(fid, "x", &r, d));
  PetscCheck(r == 3 && d[1] == (hsize_t)C && d[2] == (hsize_t)L, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
             "'%s': /x is not (N, %d, %d) as the model's input", tp, C, L);
  int64_t N = (int64_t)d[0];
  int32_t *y;
  float   *x, *pr, *pall;
  PetscCall(PetscMalloc4(N + 1, &y, (size_t)B * C * L, &x, (size_t)B * K, &pr, (size_t)N * K + 1, &pall));
  PetscCall(PetscArrayzero(pall, (size_t)N * K + 1));
  hsize_t s0[1] = {0}, c0[1] = {(hsize_t)N};
  PetscCall(prc_h5_read_nd(fid, "y", H5T_NATIVE_INT32, s0, c0, y));
  for (int64_t i = 0; i < N; i++)
    PetscCheck(y[i] >= 0 && y[i] < K, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': window %lld has label %d outside the model's %d classes", tp,
               (long long)i, y[i], K);
  int64_t nb = (N + B - 1) / B;
  for (int64_t j = ctx->rank; j - ctx->rank < nb; j += ctx->size) {
    int64_t a = j < nb ? j * B : 0, n = j < nb ? (a + B < N ? B : N - a) : 0;
    hsize_t st[3] = {(hsize_t)a, 0, 0}, ct[3] = {(hsize_t)n, (hsize_t)C, (hsize_t)L};
    PetscCall(prc_h5_read_nd(fid, "x", H5T_NATIVE_FLOAT, st, ct, x));
    for (int64_t i = 0; i < n * C * L; i++)
      PetscCheck(isfinite(x[i]), PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "'%s': window %lld holds a non-finite value", tp, (long long)(a + i / (C * L)));
    if (n) PetscCall(prc_model_predict(m, x, n, B, pr));
    memcpy(pall + (size_t)a * K, pr, sizeof(float) * (size_t)n * K);
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, pall, (int)(N * K), MPI_FLOAT, MPI_SUM, ctx->comm)); /* each row from one rank */
  double *score, *obs;
  long   *conf;
  PetscCall(PetscMalloc3(N + 1, &score, N + 1, &obs, (size_t)K * K, &conf));
  PetscCall(PetscArrayzero(conf, (size_t)K * K));
  long long right = 0, loc_right = 0, loc_n = 0;
  for (int64_t i = 0; i < N; i++) {
    const float *p = pall + (size_t)i * K;
    int          am = 0, ae = 1;
    for (int c = 1; c < K; c++) am = p[c] > p[am] ? c : am;
    for (int c = 2; c < K; c++) ae = p[c] > p[ae] ? c : ae;
    int pred = 1.0 - p[0] >= thr ? ae : 0; /* the detector's decision rule */
    conf[(size_t)y[i] * K + pred]++;
    right += pred == y[i];
    if (y[i] > 0 && pred > 0) loc_n++, loc_right += pred == y[i];
    score[i] = 1.0 - p[0], obs[i] = y[i] > 0;
  }
  prc_ctable t;
  PrcCallK(prc_ctable_threshold(score, obs, NULL, (size_t)N, thr, &t));
  double auc = NAN;
  if (t.a + t.c > 0 && t.b + t.d > 0) PrcCallK(prc_auc_mann_whitney(score, obs, NULL, (size_t)N, &auc));
  double prec = prc_score_table(&t, PRC_SC_PRECISION), rec = prc_score_table(&t, PRC_SC_POD), spec = prc_score_table(&t, PRC_SC_SPECIFICITY);
  double f1 = prc_score_table(&t, PRC_SC_F1), acc2 = prc_score_table(&t, PRC_SC_ACCURACY);
  prc_say(ctx->comm, "[detect] held-out windows %s: %lld (%.0f events, %.0f noise), threshold %.2f\n", tp, (long long)N, t.a + t.c, t.b + t.d, thr);
  prc_say(ctx->comm, "[detect]   accuracy %.4f (all %d classes), event vs noise: accuracy %.4f precision %.4f recall %.4f specificity %.4f F1 %.4f AUC %.4f\n",
          (double)right / (double)N, K, acc2, prec, rec, spec, f1, auc);
  if (K > 2) prc_say(ctx->comm, "[detect]   location class right in %lld of %lld detected events (%.4f)\n", loc_right, loc_n, loc_n ? (double)loc_right / loc_n : NAN);
  for (int a = 0; a < K && K <= 12; a++) {
    char line[512];
    int  l = snprintf(line, sizeof line, "[detect]   confusion: true %d ->", a);
    for (int b = 0; b < K; b++) l += snprintf(line + l, sizeof line - (size_t)l, " %6ld", conf[(size_t)a * K + b]);
    prc_say(ctx->comm, "%s\n", line);
  }
  prc_h5out f;
  char      path[4200];
  snprintf(path, sizeof path, "%s/testset_scores.h5", prc_opts_string(ctx->opts, "out_dir"));
  PetscCall(prc_h5_create(ctx->comm, path, "window_scores", &f));
  hsize_t dd[2] = {(hsize_t)N, (hsize_t)K}, z2[2] = {0, 0}, cc[2] = {ctx->rank ? 0 : (hsize_t)N, (hsize_t)K};
  PetscCall(prc_h5_write_nd(f.fid, "probability", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dd, z2, cc, pall));
  PetscCall(prc_h5_write_col(ctx->comm, f.fid, "label", H5T_NATIVE_INT32, (hsize_t)N, y));
  hsize_t dk[2] = {(hsize_t)K, (hsize_t)K}, ck[2] = {ctx->rank ? 0 : (hsize_t)K, (hsize_t)K};
  PetscCall(prc_h5_write_nd(f.fid, "confusion", H5T_STD_I64LE, H5T_NATIVE_LONG, 2, dk, z2, ck, conf));
  PetscCall(prc_h5_attr_str(f.fid, "confusion_meaning", "rows: true class, columns: predicted class (event if 1 - p(noise) >= threshold, then the most probable event class)"));
  PetscCall(prc_h5_attr_double(f.fid, "threshold", thr));
  PetscCall(prc_h5_attr_double(f.fid, "accuracy", (double)right / (double)N));
  PetscCall(prc_h5_attr_double(f.fid, "precision", prec));
  PetscCall(prc_h5_attr_double(f.fid, "recall", rec));
  PetscCall(prc_h5_attr_double(f.fid, "specificity", spec));
  PetscCall(prc_h5_attr_double(f.fid, "f1", f1));
  PetscCall(prc_h5_attr_double(f.fid, "auc", auc));
  PetscCall(prc_h5_commit(&f, ctx));
  PetscCall(PetscFree3(score, obs, conf));
  PetscCall(PetscFree4(y, x, pr, pall));
  PetscCall(prc_h5_close(fid));
  PetscFunctionReturn(0);
}

typedef struct {
  hid_t         fid;
  prc_wave_meta m;
  int           cols[3], usable;
  int64_t       nw, w0; /* windows of the set, index of its first window in the global list */
  double        tw0;    /* start of its first window */
} dset;

static PetscErrorCode detect_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  const char     *od = prc_opts_string(o, "out_dir");
  const double    rate = prc_opts_real(o, "detect_rate"), step = prc_opts_real(o, "detect_step_s"), thr = prc_opts_real(o, "detect_threshold");
  const int       B = (int)prc_opts_int(o, "detect_batch");
  const prc_win_norm norm = (prc_win_norm)prc_win_norm_parse(prc_opts_string(o, "detect_normalize"));
  double          tmin, tmax;
  char            path[4200];
  PetscFunctionBeginUser;
  openblas_set_num_threads(1);
  opt_time(prc_opts_string(o, "detect_tmin"), &tmin, -INFINITY);
  opt_time(prc_opts_string(o, "detect_tmax"), &tmax, INFINITY);
  prc_model *m;
  PetscCall(prc_model_h5_load(ctx->comm, prc_opts_string(o, "detect_model"), &m));
  PetscCall(prc_ctx_add_input(ctx, prc_opts_string(o, "detect_model")));
  int nd, sh[8];
  PrcCallK(prc_model_input_shape(m, 0, &nd, sh));
  PetscCheck(nd == 2 && (sh[0] == 1 || sh[0] == 3), ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
             "'%s': the model's input is not (1 or 3 components, samples) — not a window classifier", prc_opts_string(o, "detect_model"));
  const int C = sh[0], L = sh[1];
  const size_t W = (size_t)C * (size_t)L;
  const double len_s = L / rate;
  int K;
  PetscCall(prc_model_output_width(m, &K));
  PetscCheck(K >= 2, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': the model has %d output(s); a detector needs noise (class 0) and at least one event class",
             prc_opts_string(o, "detect_model"), K);
  /* held-out labelled windows */
  if (strcmp(prc_opts_string(o, "detect_testset"), "none")) PetscCall(score_testset(ctx, m, C, L, K, B, thr));
  /* sets */
  dset          *S;
  int            nS, nfile, *sfile;
  hid_t          fids[PRC_WAVE_MAXFILES];
  prc_wave_meta *mm;
  PetscCall(prc_wave_open_list(ctx, prc_opts_string(o, "detect_waveforms"), "-detect_waveforms", &nfile, fids, &nS, &mm, &sfile));
  PetscCall(PetscCalloc1(nS + 1, &S));
  for (int i = 0; i < nS; i++) S[i] = (dset){.fid = fids[sfile[i]], .m = mm[i]};
  PetscCall(PetscFree(mm));
  PetscCall(PetscFree(sfile));
  int     skipped = 0;
  int64_t nwin = 0;
  for (int i = 0; i < nS; i++) {
    dset *s = &S[i];
    if (fabs(s->m.rate - rate) > 1e-9 * rate) { skipped++; continue; }
    if (C == 3) {
      if (s->m.ncomp != 3 || s->m.present < 3) { skipped++; continue; }
      s->cols[0] = 0, s->cols[1] = 1, s->cols[2] = 2;
    } else if ((s->cols[0] = prc_wave_vertical(&s->m)) < 0) { skipped++; continue; }
    double t0 = s->m.start, t1 = t0 + (double)s->m.n / rate, a = fmax(t0, tmin), b = fmin(t1, tmax);
    double first = t0 + ceil((a - t0) / step - 1e-9) * step;
    s->tw0 = first;
    s->nw = b - first >= len_s ? (int64_t)floor((b - first - len_s) / step + 1e-9) + 1 : 0;
    s->usable = s->nw > 0;
    s->w0 = nwin;
    nwin += s->nw;
  }
  if (nwin <= 0) { /* numbers formatted by the C library (PETSc prints 40 as "40.") */
    char msg[512];
    snprintf(msg, sizeof msg, "no window to classify: %d set(s), %d at another rate than %g Hz or without the model's %d component(s), the others "
             "shorter than one %g s window in the time range", nS, skipped, rate, C, len_s);
    SETERRQ(ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "%s", msg);
  }
  /* classify: batch j of a set on rank j mod P */
  float  *pev, *buf = NULL, *xb;
  int    *cls;
  int8_t *gap;
  int64_t *idx;
  float   *prob;
  PetscCall(PetscCalloc3(nwin, &pev, nwin, &cls, nwin, &gap));
  PetscCall(PetscMalloc3(W * (size_t)B, &xb, B, &idx, (size_t)K * (size_t)B, &prob));
  prc_progress pr;
  prc_progress_start(&pr, ctx->comm, "detect", "windows", "windows", (double)nwin, prc_opts_real(o, "progress_interval"), prc_opts_bool(o, "quiet"));
  double t_start = MPI_Wtime(), done = 0, t_read = 0;
  for (int i = 0; i < nS; i++) {
    dset *s = &S[i];
    if (!s->usable) continue;
    int64_t nb = (s->nw + B - 1) / B;
    for (int64_t j = ctx->rank; j - ctx->rank < nb; j += ctx->size) {
      /* every rank takes part in each round's collective read (empty when j >= nb) */
      int64_t wa = j * B, wb = j < nb ? (wa + B < s->nw ? wa + B : s->nw) : wa, r0 = 0, r1 = 0;
      if (wb > wa) {
        r0 = prc_win_row(s->m.start, rate, s->tw0 + (double)wa * step);
        r1 = prc_win_row(s->m.start, rate, s->tw0 + (double)(wb - 1) * step) + L;
        if (r1 > s->m.n) r1 = s->m.n;
      }
      PetscCall(PetscRealloc(sizeof(float) * (size_t)((r1 - r0) + 1) * (size_t)s->m.ncomp, &buf));
      double tr0 = MPI_Wtime();
      PetscCall(prc_wave_read_rows(s->fid, &s->m, r0, r1 - r0, buf));
      t_read += MPI_Wtime() - tr0;
      int nin = 0;
      for (int64_t w = wa; w < wb; w++) {
        int64_t r = prc_win_row(s->m.start, rate, s->tw0 + (double)w * step) - r0;
        int c = prc_win_cut(buf, r1 - r0, s->m.ncomp, r, L, s->cols, C, xb + (size_t)nin * W);
        if (!c && prc_win_normalize(xb + (size_t)nin * W, C, L, norm)) c = 3;
        if (c) gap[s->w0 + w] = (int8_t)c;
        else idx[nin++] = w;
      }
      if (nin) {
        PetscCall(prc_model_predict(m, xb, nin, B, prob));
        for (int k = 0; k < nin; k++) {
          const float *p = prob + (size_t)k * K;
          int          a = 1;
          for (int c = 2; c < K; c++) a = p[c] > p[a] ? c : a;
          pev[s->w0 + idx[k]] = 1.0f - p[0], cls[s->w0 + idx[k]] = a;
        }
      }
      done += (double)(wb - wa) * ctx->size;
      prc_progress_update(&pr, fmin(done + (double)s->w0, (double)nwin));
    }
  }
  prc_progress_end(&pr);
  double tt[2] = {MPI_Wtime() - t_start - t_read, t_read}; /* classification (cut, normalise, forward) and reading */
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, tt, 2, MPI_DOUBLE, MPI_MAX, ctx->comm));
  double secs = tt[0];
  /* each window is computed by exactly one rank: sums give everyone all values */
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, pev, (int)nwin, MPI_FLOAT, MPI_SUM, ctx->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, cls, (int)nwin, MPI_INT, MPI_SUM, ctx->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, gap, (int)nwin, MPI_INT8_T, MPI_SUM, ctx->comm));
  /* merge per set; catalog matching */
  prc_catalog cat = {0};
  int         have_cat = strcmp(prc_opts_string(o, "detect_catalog"), "none") != 0;
  double *esnr = NULL;  /* per-event SNR (synth-waves events.h5) */
  int8_t *ehit = NULL;  /* per event: in the scanned span (1), detected (2) */
  if (have_cat) {
    const char *cp = prc_opts_string(o, "detect_catalog");
    PetscCall(prc_catalog_read(ctx->comm, cp, &cat));
    PetscCall(prc_ctx_add_input(ctx, cp));
    PetscCall(PetscCalloc1(cat.n + 1, &ehit));
    hid_t cf;
    PetscCall(prc_h5_open(ctx->comm, cp, &cf));
    if (H5Lexists(cf, "catalog/snr_db", H5P_DEFAULT) > 0) {
      hsize_t s0[1] = {0}, c1[1] = {cat.n};
      PetscCall(PetscMalloc1(cat.n + 1, &esnr));
      PetscCall(prc_h5_read_nd(cf, "catalog/snr_db", H5T_NATIVE_DOUBLE, s0, c1, esnr));
    }
    PetscCall(prc_h5_close(cf));
  }
  const double mb = prc_opts_real(o, "detect_match_before_s"), ma = prc_opts_real(o, "detect_match_after_s");
  prc_detection *det = NULL;
  int64_t        ndet = 0;
  int32_t       *dset_of = NULL, *dmatch = NULL;
  long long      ngaps = 0, hits = 0, events_in = 0, falses = 0;
  double         hours = 0;
  double        *tw;
  PetscCall(PetscMalloc1(nwin, &tw));
  for (int i = 0; i < nS; i++) {
    dset *s = &S[i];
    if (!s->usable) continue;
    for (int64_t w = 0; w < s->nw; w++) tw[s->w0 + w] = s->tw0 + (double)w * step;
    hours += ((double)(s->nw - 1) * step + len_s) / 3600.0;
    float *pz;
    PetscCall(PetscMalloc1(s->nw, &pz));
    for (int64_t w = 0; w < s->nw; w++) pz[w] = gap[s->w0 + w] ? -1.0f : pev[s->w0 + w], ngaps += gap[s->w0 + w] != 0;
    prc_detection *d;
    int64_t        n;
    PrcCallK(prc_detect_merge(tw + s->w0, pz, cls + s->w0, s->nw, len_s, thr, prc_opts_real(o, "detect_merge_gap_s"), (int)prc_opts_int(o, "detect_min_windows"), &d, &n));
    PetscCall(PetscFree(pz));
    PetscCall(PetscRealloc(sizeof(prc_detection) * (size_t)(ndet + n + 1), &det));
    PetscCall(PetscRealloc(sizeof(int32_t) * (size_t)(ndet + n + 1), &dset_of));
    PetscCall(PetscRealloc(sizeof(int32_t) * (size_t)(ndet + n + 1), &dmatch));
    for (int64_t k = 0; k < n; k++) det[ndet + k] = d[k], det[ndet + k].first += s->w0, dset_of[ndet + k] = i, dmatch[ndet + k] = -1;
    free(d);
    if (have_cat) { /* each event in the set's scanned span: the first detection matching it */
      double a = s->tw0, b = s->tw0 + (double)(s->nw - 1) * step + len_s;
      for (size_t e = 0; e < cat.n; e++) {
        double te = cat.time[e];
        if (!(te >= a && te + ma <= b)) continue;
        events_in++;
        int hit = 0;
        ehit[e] = 1;
        for (int64_t k = 0; k < n; k++) {
          prc_detection *x = &det[ndet + k];
          if (x->start <= te + ma && x->end >= te - mb) { /* the detection's span meets [origin - before, origin + after] */
            if (dmatch[ndet + k] < 0) dmatch[ndet + k] = (int32_t)e;
            hit = 1;
          }
        }
        hits += hit;
        if (hit) ehit[e] = 2;
      }
    }
    ndet += n;
  }
  for (int64_t k = 0; k < ndet && have_cat; k++) falses += dmatch[k] < 0;
  /* outputs */
  prc_h5out f;
  snprintf(path, sizeof path, "%s/detections.h5", od);
  PetscCall(prc_h5_create(ctx->comm, path, "detections", &f));
  {
    double *a, *b, *c, *pp;
    int32_t *k, *nw;
    PetscCall(PetscMalloc6(ndet + 1, &a, ndet + 1, &b, ndet + 1, &c, ndet + 1, &pp, ndet + 1, &k, ndet + 1, &nw));
    for (int64_t i = 0; i < ndet; i++) a[i] = det[i].start, b[i] = det[i].end, c[i] = det[i].peak_time, pp[i] = det[i].prob, k[i] = det[i].cls, nw[i] = det[i].nwin;
    hid_t g;
    PetscCall(prc_h5_group(f.fid, "detections", &g));
    PetscCall(prc_h5_write_col(ctx->comm, g, "start_time", H5T_NATIVE_DOUBLE, (hsize_t)ndet, a));
    PetscCall(prc_h5_write_col(ctx->comm, g, "end_time", H5T_NATIVE_DOUBLE, (hsize_t)ndet, b));
    PetscCall(prc_h5_write_col(ctx->comm, g, "peak_time", H5T_NATIVE_DOUBLE, (hsize_t)ndet, c));
    PetscCall(prc_h5_write_col(ctx->comm, g, "probability", H5T_NATIVE_DOUBLE, (hsize_t)ndet, pp));
    PetscCall(prc_h5_write_col(ctx->comm, g, "class", H5T_NATIVE_INT32, (hsize_t)ndet, k));
    PetscCall(prc_h5_write_col(ctx->comm, g, "n_windows", H5T_NATIVE_INT32, (hsize_t)ndet, nw));
    PetscCall(prc_h5_write_col(ctx->comm, g, "set", H5T_NATIVE_INT32, (hsize_t)ndet, dset_of));
    if (have_cat) PetscCall(prc_h5_write_col(ctx->comm, g, "catalog_event", H5T_NATIVE_INT32, (hsize_t)ndet, dmatch));
    H5Gclose(g);
    PetscCall(PetscFree6(a, b, c, pp, k, nw));
    PetscCall(prc_h5_group(f.fid, "windows", &g));
    PetscCall(prc_h5_write_col(ctx->comm, g, "start_time", H5T_NATIVE_DOUBLE, (hsize_t)nwin, tw));
    PetscCall(prc_h5_write_col(ctx->comm, g, "p_event", H5T_NATIVE_FLOAT, (hsize_t)nwin, pev));
    PetscCall(prc_h5_write_col(ctx->comm, g, "class", H5T_NATIVE_INT32, (hsize_t)nwin, cls));
    PetscCall(prc_h5_write_col(ctx->comm, g, "skipped", H5T_NATIVE_INT8, (hsize_t)nwin, gap));
    PetscCall(prc_h5_attr_str(g, "skipped_meaning", "0 classified; 2 holds missing data; 3 flat (p_event 0, not classified)"));
    H5Gclose(g);
    PetscCall(prc_h5_group(f.fid, "sets", &g));
    int32_t *w0, *nws;
    char (*nm)[PRC_WAVE_NAME];
    PetscCall(PetscCalloc3(nS + 1, &w0, nS + 1, &nws, nS + 1, &nm));
    for (int i = 0; i < nS; i++) w0[i] = (int32_t)S[i].w0, nws[i] = (int32_t)S[i].nw, snprintf(nm[i], PRC_WAVE_NAME, "%s", S[i].m.name);
    hid_t t64 = prc_h5_strtype(PRC_WAVE_NAME);
    PetscCall(prc_h5_write_col(ctx->comm, g, "name", t64, (hsize_t)nS, nm));
    H5Tclose(t64);
    PetscCall(prc_h5_write_col(ctx->comm, g, "first_window", H5T_NATIVE_INT32, (hsize_t)nS, w0));
    PetscCall(prc_h5_write_col(ctx->comm, g, "n_windows", H5T_NATIVE_INT32, (hsize_t)nS, nws));
    H5Gclose(g);
    PetscCall(PetscFree3(w0, nws, nm));
  }
  PetscCall(prc_h5_attr_double(f.fid, "window_s", len_s));
  PetscCall(prc_h5_attr_double(f.fid, "step_s", step));
  PetscCall(prc_h5_attr_double(f.fid, "threshold", thr));
  PetscCall(prc_h5_attr_double(f.fid, "hours_scanned", hours));
  if (have_cat) {
    PetscCall(prc_h5_attr_int(f.fid, "catalog_events_in_span", events_in));
    PetscCall(prc_h5_attr_int(f.fid, "catalog_events_detected", hits));
    PetscCall(prc_h5_attr_int(f.fid, "false_detections", falses));
  }
  PetscCall(prc_h5_commit(&f, ctx));
  /* pictures */
  for (int i = 0, done_png = 0; i < nS && prc_opts_bool(o, "detect_png") && done_png < prc_opts_int(o, "detect_png_max"); i++) {
    dset *s = &S[i];
    if (!s->usable) continue;
    done_png++;
    /* the vertical trace, decimated to <= 20 000 points (max |x| per bin), all ranks read collectively */
    int64_t n = s->m.n, nr = ctx->rank ? 0 : n;
    float  *tr;
    PetscCall(PetscMalloc1((size_t)(nr ? nr : 1) * (size_t)s->m.ncomp, &tr));
    PetscCall(prc_wave_read_rows(s->fid, &s->m, 0, nr, tr));
    if (!ctx->rank) {
      int     z = prc_wave_vertical(&s->m) < 0 ? 0 : prc_wave_vertical(&s->m), nbin = n < 20000 ? (int)n : 20000;
      double *x, *y, *xp, *yp, *vl, amax = 0;
      PetscCall(PetscMalloc4(nbin, &x, nbin, &y, s->nw, &xp, s->nw, &yp));
      for (int b = 0; b < nbin; b++) {
        int64_t a = (int64_t)((double)b * n / nbin), e = (int64_t)((double)(b + 1) * n / nbin);
        double  v = 0;
        for (int64_t r = a; r < e; r++) v = fabs(tr[(size_t)r * s->m.ncomp + z]) > fabs(v) ? tr[(size_t)r * s->m.ncomp + z] : v;
        x[b] = (double)a / rate / 60.0, y[b] = v, amax = fmax(amax, fabs(v));
      }
      for (int b = 0; b < nbin; b++) y[b] = amax > 0 ? 1.2 + y[b] / amax : 1.2;
      for (int64_t w = 0; w < s->nw; w++) xp[w] = (tw[s->w0 + w] - s->m.start) / 60.0, yp[w] = gap[s->w0 + w] ? NAN : pev[s->w0 + w];
      int nv = 0;
      PetscCall(PetscMalloc1(ndet + cat.n + 1, &vl));
      for (int64_t k = 0; k < ndet; k++)
        if (dset_of[k] == i) vl[nv++] = (det[k].start - s->m.start) / 60.0;
      prc_series se[2] = {{x, y, nbin, "vertical trace (max |x| per bin, scaled)", 0x404040}, {xp, yp, (int)s->nw, "event probability of the window", 0x1f77b4}};
      char ttl[256], st0[32];
      prc_time_format(s->m.start, st0, sizeof st0);
      snprintf(ttl, sizeof ttl, "detect: %s from %s, %d detection(s) (red: detection starts), threshold %.2f", s->m.name, st0, nv, thr);
      prc_lines_style ls = {.title = ttl, .xlabel = "minutes from the start of the record", .ylabel = "p(event) / trace",
                            .ymin = -0.05, .ymax = 2.3, .vlines = vl, .nvlines = nv, .hline_on = 1, .hline = thr, .width = 1100, .height = 450};
      snprintf(path, sizeof path, "%s/detect_%s.png", od, s->m.name);
      if (prc_plot_lines_png(path, se, 2, &ls)) printf("[detect] warning: %s\n", prc_lasterr());
      PetscCall(PetscFree4(x, y, xp, yp));
      PetscCall(PetscFree(vl));
    }
    PetscCall(PetscFree(tr));
  }
  prc_say(ctx->comm, "[detect] model %s: %d x %d windows (%.3g s), step %g s; %lld windows in %d of %d set(s) (%d skipped: rate/components/too short), "
          "%lld with missing data or flat\n", prc_model_name(m), C, L, len_s, step, (long long)nwin, nS - skipped, nS, skipped, ngaps);
  prc_say(ctx->comm, "[detect] classified %.3g h of data in %.3g s on %d rank(s): %.3g h of data per second per rank (%d-component; cutting, "
          "normalising, forward; reading the record took %.3g s more)\n", hours, secs, ctx->size, secs > 0 ? hours / secs / ctx->size : 0.0, C, tt[1]);
  prc_say(ctx->comm, "[detect] %lld detection(s) (threshold %.2f, consecutive positive windows merged): %.2f per hour\n", (long long)ndet, thr,
          hours > 0 ? (double)ndet / hours : 0.0);
  for (int64_t k = 0; k < ndet && k < 20 && !prc_opts_bool(o, "quiet"); k++) {
    char t1[32];
    prc_time_format(det[k].peak_time, t1, sizeof t1);
    prc_say(ctx->comm, "[detect]   %s  p %.3f  class %d  %d window(s)%s\n", t1, det[k].prob, det[k].cls, det[k].nwin,
            have_cat ? (dmatch[k] >= 0 ? "  catalog event" : "  (no catalog event)") : "");
  }
  if (esnr) { /* recall per 5 dB of SNR: the detection floor */
    double lo = INFINITY, hi = -INFINITY;
    for (size_t e = 0; e < cat.n; e++)
      if (ehit[e]) lo = fmin(lo, esnr[e]), hi = fmax(hi, esnr[e]);
    if (lo <= hi) {
      int     b0 = (int)floor(lo / 5), nb = (int)floor(hi / 5) - b0 + 1;
      double *bx, *br, *bn;
      PetscCall(PetscCalloc3(nb, &bx, nb, &br, nb, &bn));
      for (size_t e = 0; e < cat.n; e++)
        if (ehit[e]) {
          int b = (int)floor(esnr[e] / 5) - b0;
          bn[b]++, br[b] += ehit[e] == 2;
        }
      int k = 0;
      for (int b = 0; b < nb; b++)
        if (bn[b] > 0) {
          prc_say(ctx->comm, "[detect]   SNR [%+3d, %+3d) dB: %3.0f event(s), recall %.3f\n", 5 * (b + b0), 5 * (b + b0 + 1), bn[b], br[b] / bn[b]);
          bx[k] = 5 * (b + b0) + 2.5, br[k] = br[b] / bn[b], bn[k] = bn[b], k++;
        }
      if (!ctx->rank && prc_opts_bool(o, "detect_png") && k > 0) {
        prc_series se = {bx, br, k, "recall of the injected events", 0};
        prc_lines_style ls = {.title = "detect: recall vs SNR (5 dB bins; S peak over noise RMS)", .xlabel = "SNR (dB)", .ylabel = "recall",
                              .ymin = 0, .ymax = 1.05, .hline_on = 1, .hline = 0.5};
        snprintf(path, sizeof path, "%s/detect_recall_snr.png", od);
        if (prc_plot_lines_png(path, &se, 1, &ls)) printf("[detect] warning: %s\n", prc_lasterr());
      }
      PetscCall(PetscFree3(bx, br, bn));
    }
  }
  if (have_cat)
    prc_say(ctx->comm, "[detect] catalog: %lld event(s) in the scanned span, %lld detected (recall %.3f); %lld false detection(s) (%.2f per hour)\n",
            events_in, hits, events_in ? (double)hits / (double)events_in : 0.0, falses, hours > 0 ? (double)falses / hours : 0.0);
  prc_say(ctx->comm, "[detect] outputs in %s: detections.h5%s\n", od, prc_opts_bool(o, "detect_png") ? " detect_<set>.png" : "");
  for (int k = 0; k < nfile; k++) PetscCall(prc_h5_close(fids[k]));
  if (have_cat) PetscCall(prc_catalog_free(&cat));
  PetscCall(PetscFree(esnr));
  PetscCall(PetscFree(ehit));
  PetscCall(PetscFree(tw));
  PetscCall(PetscFree(det));
  PetscCall(PetscFree(dset_of));
  PetscCall(PetscFree(dmatch));
  PetscCall(PetscFree3(pev, cls, gap));
  PetscCall(PetscFree3(xb, idx, prob));
  PetscCall(PetscFree(buf));
  PetscCall(PetscFree(S));
  prc_model_destroy(m);
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_detect = {"detect", "continuous detection: a trained window classifier slid over waveform records, consecutive positives merged",
                                    detect_opts, (int)(sizeof detect_opts / sizeof detect_opts[0]), detect_validate, detect_run};

/* stage_em_eval.c — `precursor em-eval`: accuracy of trained EM classifiers (docs/EM.md) on their
 * test sets, collected into a curve: accuracy vs a parameter (SNR, increments, ...) for one or
 * more series (with / without VMD, ...). Each run is (x, series, model.h5, test set); the model is
 * read back with prc_model_h5_load and applied in eval mode to /x (and /aux) of the set — the
 * prediction is made here, independently of the figure `train` printed.
 *
 * Parallel plan: every rank loads each model; the test samples are split into contiguous blocks
 * of whole -em_eval_batch batches (prc_partition_batches: every batch holds the same samples on
 * any rank count, so the logits are bitwise those of one rank), each rank predicts its block, the confusion counts are summed (integers:
 * exact on any rank count). Outputs: em_eval.h5, em_eval.md (a Markdown table) and
 * em_accuracy.png (the curves). */
#include <math.h>
#include <string.h>

#include "precursor/decomp.h"
#include "precursor/em_predict.h"
#include "precursor/error.h"
#include "precursor/model_h5.h"
#include "precursor/plot.h"
#include "precursor/progress.h"
#include "precursor/stage.h"

#define MAXRUNS 256
#define MAXSERIES 8
#define MAXC 64
#define PATHLEN 1024

static const prc_opt_spec eval_opts[] = {
  {"em_eval_models", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "trained models (model.h5 of train), comma-separated, one per run"},
  {"em_eval_data", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "test sets (kind trainset), comma-separated: one per run, or one for all runs"},
  {"em_eval_x", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "the curve's abscissa of each run (numbers, comma-separated)"},
  {"em_eval_series", PRC_OPT_STRING, "model", PRC_NO_RANGE, "series name of each run (comma-separated; one name: all runs), e.g. VMD,VMD,no_VMD,no_VMD"},
  {"em_eval_xlabel", PRC_OPT_STRING, "SNR (dB)", PRC_NO_RANGE, "abscissa label of the curve"},
  {"em_eval_title", PRC_OPT_STRING, "accuracy on the test set", PRC_NO_RANGE, "title of em_accuracy.png and em_eval.md"},
  {"em_eval_batch", PRC_OPT_INT, "64", 1, 100000, "prediction batch"},
};

static int split(const char *s, char (*out)[PATHLEN], int max)
{
  int         n = 0;
  const char *p = s;
  if (!*s) return -1;
  while (1) {
    const char *q = strchr(p, ',');
    size_t      l = q ? (size_t)(q - p) : strlen(p);
    if (!l || l >= PATHLEN || n >= max) return -1;
    memcpy(out[n], p, l), out[n][l] = 0, n++;
    if (!q) break;
    p = q + 1;
  }
  return n;
}

static void eval_validate(prc_opts *o)
{
  static char a[MAXRUNS][PATHLEN];
  int         nm = split(prc_opts_string(o, "em_eval_models"), a, MAXRUNS), nd = split(prc_opts_string(o, "em_eval_data"), a, MAXRUNS),
      nx = split(prc_opts_string(o, "em_eval_x"), a, MAXRUNS);
  for (int i = 0; i < nx; i++) {
    char *e;
    strtod(a[i], &e);
    if (e == a[i] || *e) prc_opts_violation(o, "-em_eval_x: '%s' is not a number", a[i]);
  }
  int ns = split(prc_opts_string(o, "em_eval_series"), a, MAXRUNS);
  if (nm < 1) prc_opts_violation(o, "-em_eval_models: expected 1..%d paths separated by commas", MAXRUNS);
  if (nd != nm && nd != 1) prc_opts_violation(o, "-em_eval_data: expected 1 or %d paths (one per model), found %d", nm, nd);
  if (nx != nm) prc_opts_violation(o, "-em_eval_x: expected %d numbers (one per model), found %d", nm, nx);
  if (ns != nm && ns != 1) prc_opts_violation(o, "-em_eval_series: expected 1 or %d names, found %d", nm, ns);
}

static PetscErrorCode eval_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  static char     mp[MAXRUNS][PATHLEN], dp[MAXRUNS][PATHLEN], xs[MAXRUNS][PATHLEN], sr[MAXRUNS][PATHLEN];
  const int       nr = split(prc_opts_string(o, "em_eval_models"), mp, MAXRUNS);
  const int       nd = split(prc_opts_string(o, "em_eval_data"), dp, MAXRUNS);
  split(prc_opts_string(o, "em_eval_x"), xs, MAXRUNS);
  const int   nsr = split(prc_opts_string(o, "em_eval_series"), sr, MAXRUNS);
  const char *od = prc_opts_string(o, "out_dir");
  const int   batch = (int)prc_opts_int(o, "em_eval_batch");
  double      x[MAXRUNS], acc[MAXRUNS];
  int64_t     ntest[MAXRUNS];
  int         sidx[MAXRUNS], nser = 0, C = 0;
  char        sname[MAXSERIES][PATHLEN];
  int64_t    *conf;
  PetscFunctionBeginUser;
  for (int r = 0; r < nr; r++) {
    x[r] = strtod(xs[r], NULL);
    const char *s = sr[nsr == 1 ? 0 : r];
    int         k = 0;
    while (k < nser && strcmp(sname[k], s)) k++;
    PetscCheck(k < MAXSERIES, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "-em_eval_series: more than %d series", MAXSERIES);
    if (k == nser) memcpy(sname[nser++], s, PATHLEN);
    sidx[r] = k;
  }
  PetscCall(PetscCalloc1((size_t)nr * MAXC * MAXC, &conf));
  prc_progress prog;
  prc_progress_start(&prog, ctx->comm, "em-eval", "models", "models", nr, prc_opts_real(o, "progress_interval"), prc_opts_bool(o, "quiet"));
  for (int r = 0; r < nr; r++) {
    const char *data = dp[nd == 1 ? 0 : r];
    prc_model  *m;
    PetscCall(prc_ctx_add_input(ctx, mp[r]));
    PetscCall(prc_ctx_add_input(ctx, data));
    PetscCall(prc_model_h5_load(ctx->comm, mp[r], &m));
    hid_t   fid;
    int     rk, found, nd0, sh[8], nd1 = 0, sh1[8];
    hsize_t dims[8];
    char    kind[64];
    PetscCall(prc_h5_open(ctx->comm, data, &fid));
    PetscCall(prc_h5_attr_get_str(fid, "precursor_kind", kind, sizeof kind, &found));
    PetscCheck(found && !strcmp(kind, "trainset"), ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s' is not a training/test set (precursor_kind '%s')", data,
               found ? kind : "absent");
    PrcCallK(prc_model_input_shape(m, 0, &nd0, sh));
    PetscCall(prc_h5_dims(fid, "x", &rk, dims));
    int same = rk == nd0 + 1;
    for (int i = 0; same && i < nd0; i++) same = dims[i + 1] == (hsize_t)sh[i];
    PetscCheck(same, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /x samples do not have the input shape of the model '%s' (%s)", data, prc_model_name(m),
               mp[r]);
    const int64_t n = (int64_t)dims[0];
    size_t        S = 1, A = 1;
    for (int i = 0; i < nd0; i++) S *= (size_t)sh[i];
    if (prc_model_ninputs(m) > 1) {
      PrcCallK(prc_model_input_shape(m, 1, &nd1, sh1));
      for (int i = 0; i < nd1; i++) A *= (size_t)sh1[i];
      PetscCheck(H5Lexists(fid, "aux", H5P_DEFAULT) > 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': the model has an auxiliary input but the set has no /aux",
                 data);
      PetscCall(prc_h5_dims(fid, "aux", &rk, dims));
      PetscCheck(rk == 2 && (int64_t)dims[0] == n && dims[1] == A, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /aux must be (%lld, %zu)", data, (long long)n,
                 A);
    }
    int64_t s0, sc;
    prc_partition_batches(n, batch, ctx->size, ctx->rank, &s0, &sc); /* whole batches: the same bits on any rank count */
    float   *xb, *ab;
    int32_t *y;
    int     *pred;
    PetscCall(PetscMalloc4(S * sc + 1, &xb, A * sc + 1, &ab, sc + 1, &y, sc + 1, &pred));
    hsize_t st[4] = {(hsize_t)s0, 0, 0, 0}, ct[4] = {(hsize_t)sc};
    for (int i = 0; i < nd0; i++) ct[i + 1] = (hsize_t)sh[i];
    PetscCall(prc_h5_read_nd(fid, "x", H5T_NATIVE_FLOAT, st, ct, xb));
    PetscCall(prc_h5_read_nd(fid, "y", H5T_NATIVE_INT32, st, ct, y));
    if (prc_model_ninputs(m) > 1) {
      hsize_t ca[2] = {(hsize_t)sc, (hsize_t)A};
      PetscCall(prc_h5_read_nd(fid, "aux", H5T_NATIVE_FLOAT, st, ca, ab));
    }
    PetscCall(prc_h5_close(fid));
    PetscCall(prc_em_predict(m, xb, ab, sc, batch, pred));
    int nc;
    {
      const prc_tensor *out = prc_model_output(m);
      nc = out ? (int)(out->size / (size_t)prc_model_batch(m)) : 0;
    }
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &nc, 1, MPI_INT, MPI_MAX, ctx->comm));
    PetscCheck(nc >= 1 && nc <= MAXC, ctx->comm, PETSC_ERR_SUP, "model '%s': %d classes (at most %d)", mp[r], nc, MAXC);
    int bad = 0;
    for (int64_t i = 0; i < sc; i++) {
      if (y[i] < 0 || y[i] >= nc) bad = 1;
      else conf[((size_t)r * MAXC + (size_t)y[i]) * MAXC + (size_t)pred[i]]++;
    }
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, ctx->comm));
    PetscCheck(!bad, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /y holds labels outside [0, %d) of the model '%s'", data, nc, mp[r]);
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, conf + (size_t)r * MAXC * MAXC, MAXC * MAXC, MPI_INT64_T, MPI_SUM, ctx->comm));
    int64_t hit = 0;
    for (int k = 0; k < nc; k++) hit += conf[((size_t)r * MAXC + k) * MAXC + k];
    ntest[r] = n, acc[r] = (double)hit / (double)n, C = nc > C ? nc : C;
    PetscCall(PetscFree4(xb, ab, y, pred));
    prc_model_destroy(m);
    prc_progress_update(&prog, r + 1);
  }
  prc_progress_end(&prog);

  /* ---- em_eval.h5 ---- */
  char path[PATHLEN + 64];
  snprintf(path, sizeof path, "%s/em_eval.h5", od);
  prc_h5out f;
  PetscCall(prc_h5_create(ctx->comm, path, "em_eval", &f));
  PetscCall(prc_h5_write_col(ctx->comm, f.fid, "x", H5T_NATIVE_DOUBLE, (hsize_t)nr, x));
  PetscCall(prc_h5_write_col(ctx->comm, f.fid, "accuracy", H5T_NATIVE_DOUBLE, (hsize_t)nr, acc));
  PetscCall(prc_h5_write_col(ctx->comm, f.fid, "n", H5T_NATIVE_INT64, (hsize_t)nr, ntest));
  PetscCall(prc_h5_write_col(ctx->comm, f.fid, "series", H5T_NATIVE_INT, (hsize_t)nr, sidx));
  {
    int64_t *cf;
    PetscCall(PetscMalloc1((size_t)nr * C * C + 1, &cf));
    for (int r = 0; r < nr; r++)
      for (int a = 0; a < C; a++)
        for (int b = 0; b < C; b++) cf[((size_t)r * C + a) * C + b] = conf[((size_t)r * MAXC + a) * MAXC + b];
    hsize_t d[3] = {(hsize_t)nr, (hsize_t)C, (hsize_t)C}, s[3] = {0, 0, 0}, c[3] = {ctx->rank ? 0 : (hsize_t)nr, (hsize_t)C, (hsize_t)C};
    PetscCall(prc_h5_write_nd(f.fid, "confusion", H5T_STD_I64LE, H5T_NATIVE_INT64, 3, d, s, c, cf));
    PetscCall(PetscFree(cf));
  }
  char names[4096] = "", models[16384] = "";
  for (int k = 0; k < nser; k++) snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", k ? "," : "", sname[k]);
  for (int r = 0; r < nr; r++) snprintf(models + strlen(models), sizeof models - strlen(models), "%s%s", r ? "," : "", mp[r]);
  PetscCall(prc_h5_attr_str(f.fid, "series_names", names));
  PetscCall(prc_h5_attr_str(f.fid, "models", models));
  PetscCall(prc_h5_attr_str(f.fid, "xlabel", prc_opts_string(o, "em_eval_xlabel")));
  PetscCall(prc_h5_attr_str(f.fid, "confusion_meaning", "confusion[run, true class, predicted class]: counts"));
  PetscCall(prc_h5_commit(&f, ctx));

  /* ---- Markdown table and the curve (rank 0) ---- */
  int  ok = 1;
  char msg[1024] = "";
  if (!ctx->rank) {
    snprintf(path, sizeof path, "%s/em_eval.md", od);
    FILE *md = fopen(path, "w");
    if (!md) ok = 0, snprintf(msg, sizeof msg, "cannot write em_eval.md");
    else {
      fprintf(md, "| series | %s | accuracy | 95 %% interval (normal approx.) | test samples | per-class recall |\n|---|---|---|---|---|---|\n",
              prc_opts_string(o, "em_eval_xlabel"));
      for (int k = 0; k < nser; k++)
        for (int r = 0; r < nr; r++) {
          if (sidx[r] != k) continue;
          double se = sqrt(acc[r] * (1 - acc[r]) / (double)ntest[r]);
          fprintf(md, "| %s | %g | %.4f | %.4f–%.4f | %lld |", sname[k], x[r], acc[r], fmax(0, acc[r] - 1.96 * se), fmin(1, acc[r] + 1.96 * se),
                  (long long)ntest[r]);
          for (int a = 0; a < C; a++) {
            int64_t row = 0;
            for (int b = 0; b < C; b++) row += conf[((size_t)r * MAXC + a) * MAXC + b];
            fprintf(md, " %s%.2f", a ? "/" : "", row ? (double)conf[((size_t)r * MAXC + a) * MAXC + a] / (double)row : NAN);
          }
          fprintf(md, " |\n");
        }
      fclose(md);
    }
    prc_series s[MAXSERIES];
    double    *px, *py;
    PetscCall(PetscMalloc2(nr, &px, nr, &py));
    int off = 0;
    for (int k = 0; k < nser; k++) {
      int st = off;
      for (int r = 0; r < nr; r++)
        if (sidx[r] == k) px[off] = x[r], py[off] = 100 * acc[r], off++;
      for (int i = st + 1; i < off; i++) /* sort by x */
        for (int j = i; j > st && px[j] < px[j - 1]; j--) {
          double t = px[j];
          px[j] = px[j - 1], px[j - 1] = t, t = py[j], py[j] = py[j - 1], py[j - 1] = t;
        }
      s[k] = (prc_series){px + st, py + st, off - st, sname[k], 0};
    }
    prc_lines_style ls = {.title = prc_opts_string(o, "em_eval_title"), .xlabel = prc_opts_string(o, "em_eval_xlabel"), .ylabel = "accuracy (%)",
                          .width = 800, .height = 450};
    snprintf(path, sizeof path, "%s/em_accuracy.png", od);
    if (ok && prc_plot_lines_png(path, s, nser, &ls)) ok = 0, snprintf(msg, sizeof msg, "%s", prc_lasterr());
    PetscCall(PetscFree2(px, py));
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, ctx->comm));
  PetscCallMPI(MPI_Bcast(msg, sizeof msg, MPI_CHAR, 0, ctx->comm));
  PetscCheck(ok, ctx->comm, PETSC_ERR_FILE_WRITE, "'%s': %s", od, msg);
  for (int r = 0; r < nr; r++)
    prc_say(ctx->comm, "[em-eval] %-12s %s %-8g accuracy %.4f (%lld test samples) %s\n", sname[sidx[r]], prc_opts_string(o, "em_eval_xlabel"), x[r], acc[r],
            (long long)ntest[r], mp[r]);
  prc_say(ctx->comm, "[em-eval] outputs in %s/: em_eval.h5, em_eval.md, em_accuracy.png\n", od);
  PetscCall(PetscFree(conf));
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_em_eval = {"em-eval", "accuracy of trained EM classifiers on test sets, as curves (accuracy vs SNR, increments ...)",
                                     eval_opts, (int)(sizeof eval_opts / sizeof eval_opts[0]), eval_validate, eval_run};

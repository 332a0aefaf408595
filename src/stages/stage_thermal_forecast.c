/* stage_thermal_forecast.c — `precursor thermal-forecast`: scores the thermal forecast
 * models of paper 001 (docs/THERMAL.md "Forecast experiment") on their test sets with the
 * evaluation library: per model and window A, A1 (recall), A2 (specificity), POD, FAR,
 * R-score (Hanssen–Kuipers), AUC with bootstrap intervals, confusion matrices, accuracy
 * against the training step; optionally the same for a control run (anomalies not
 * injected) as a leakage guard. Writes thermal_forecast.h5, THERMAL_FORECAST.md laid out as
 * paper Tables 2 and 3, and PNGs.
 *
 * The work is small (inference on a few thousand crops): every rank computes everything
 * (deterministic; the same bits on any rank count), rank 0 writes the report and the
 * pictures, the HDF5 file is written collectively with rank 0's values. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/model_h5.h"
#include "precursor/error.h"
#include "precursor/progress.h"
#include "precursor/plot.h"
#include "precursor/scores.h"
#include "precursor/stage.h"
#include "precursor/timeutil.h"

#define MAXM 8
#define MAXD 16

static const prc_opt_spec tf_opts[] = {
  {"tfc_runs", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "folder of the training runs: <runs>/<model>_N<N>/model.h5 and train_history.h5"},
  {"tfc_samples", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "folder of thermal-samples outputs: <samples>/thermal_N<N>_test.h5"},
  {"tfc_control_runs", PRC_OPT_STRING, "none", PRC_NO_RANGE, "training runs of the control (anomalies not injected), same layout; none"},
  {"tfc_control_samples", PRC_OPT_STRING, "none", PRC_NO_RANGE, "samples of the control; none"},
  {"tfc_models", PRC_OPT_STRING, "cnn2d,resnet2d,drsn_cw", PRC_NO_RANGE, "models (run folder prefixes), comma-separated, in table order"},
  {"tfc_days", PRC_OPT_STRING, "3,5,7,9", PRC_NO_RANGE, "forecast windows N, comma-separated"},
  {"tfc_threshold", PRC_OPT_REAL, "0.5", 0, 1, "'earthquake' when P(earthquake) >= this"},
  {"tfc_bootstrap", PRC_OPT_INT, "1000", 0, 1e6, "bootstrap replicates of the test images for the intervals (0: none)"},
  {"tfc_ci", PRC_OPT_REAL, "0.95", 0.5, 0.999, "level of the bootstrap intervals"},
  {"tfc_batch", PRC_OPT_INT, "64", 1, 1e5, "inference batch"},
  {"tfc_title", PRC_OPT_STRING, "Thermal short-term forecasting (paper 001)", PRC_NO_RANGE, "title of the report"},
  {"tfc_png", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "write accuracy_N<N>.png, roc_N<N>.png and accuracy_by_window.png"},
};

static int split_list(const char *s, char items[][64], int max)
{
  int  n = 0;
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", s);
  for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (n == max || !*t || strlen(t) >= 64) return -1;
    snprintf(items[n++], 64, "%s", t);
  }
  return n ? n : -1;
}

static int parse_days(const char *s, int *d)
{
  char it[MAXD][64];
  int  n = split_list(s, it, MAXD);
  for (int i = 0; i < n; i++) {
    char *e;
    long  v = strtol(it[i], &e, 10);
    if (*e || v < 2 || v > 366) return -1;
    d[i] = (int)v;
  }
  return n;
}

static void tf_validate(prc_opts *o)
{
  char m[MAXM][64];
  int  d[MAXD];
  if (split_list(prc_opts_string(o, "tfc_models"), m, MAXM) < 0) prc_opts_violation(o, "-tfc_models: 1 to %d comma-separated names", MAXM);
  if (parse_days(prc_opts_string(o, "tfc_days"), d) < 0) prc_opts_violation(o, "-tfc_days: comma-separated windows of 2..366 days (at most %d)", MAXD);
  if (!strcmp(prc_opts_string(o, "tfc_control_runs"), "none") != !strcmp(prc_opts_string(o, "tfc_control_samples"), "none"))
    prc_opts_violation(o, "-tfc_control_runs and -tfc_control_samples go together");
}

/* Scores kept per (run, model, window). */
enum { K_A, K_A1, K_A2, K_POD, K_FAR, K_R, K_AUC, K_F1, NK };
static const int   kid[NK] = {PRC_SC_ACCURACY, PRC_SC_POD, PRC_SC_SPECIFICITY, PRC_SC_POD, PRC_SC_FAR, PRC_SC_HK, PRC_SC_AUC, PRC_SC_F1};
static const char *kname[NK] = {"A", "A1", "A2", "POD", "FAR", "R", "AUC", "F1"};

typedef struct {
  double v[NK], lo[NK], hi[NK];
  double ct[4]; /* a b c d */
  long   n, npos, ngroups;
  double gauc[3]; /* group level: AUC of the mean probability of each group's images, interval */
  char   split[16], split_time[32];
  /* history */
  int     nsteps, spe, nep;
  double *step_acc, *val_acc;
  /* predictions and ROC */
  double *prob, *y;
  double *fpr, *tpr;
  size_t  nroc;
} cell;

static PetscErrorCode read_1d(MPI_Comm comm, hid_t f, const char *name, const char *path, double **v, int *n)
{
  int     r;
  hsize_t d[8], z = 0;
  PetscFunctionBeginUser;
  PetscCall(prc_h5_dims(f, name, &r, d));
  PetscCheck(r == 1, comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /%s has rank %d, expected 1", path, name, r);
  PetscCall(PetscMalloc1(d[0] + 1, v));
  PetscCall(prc_h5_read_nd(f, name, H5T_NATIVE_DOUBLE, &z, d, *v));
  *n = (int)d[0];
  PetscFunctionReturn(0);
}

static PetscErrorCode score_cell(prc_ctx *ctx, const char *runs, const char *samples, const char *model, int N, cell *c)
{
  const prc_opts *o = ctx->opts;
  char            mp[4200], hp[4200], tp[4200];
  hid_t           f;
  int             r, found;
  hsize_t         d[8], z4[4] = {0, 0, 0, 0};
  PetscFunctionBeginUser;
  memset(c, 0, sizeof *c);
  snprintf(mp, sizeof mp, "%s/%s_N%d/model.h5", runs, model, N);
  snprintf(hp, sizeof hp, "%s/%s_N%d/train_history.h5", runs, model, N);
  snprintf(tp, sizeof tp, "%s/thermal_N%d_test.h5", samples, N);
  PetscCall(prc_ctx_add_input(ctx, mp));
  PetscCall(prc_ctx_add_input(ctx, tp));
  prc_model *m;
  PetscCall(prc_model_h5_load(ctx->comm, mp, &m));
  /* the test set */
  PetscCall(prc_h5_open(ctx->comm, tp, &f));
  char kind[64];
  double wd = 0;
  PetscCall(prc_h5_attr_get_str(f, "precursor_kind", kind, sizeof kind, &found));
  PetscCheck(found && !strcmp(kind, "trainset"), ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s' is not a trainset file (thermal-samples output)", tp);
  PetscCall(prc_h5_attr_get_double(f, "window_days", &wd, &found));
  PetscCheck(found && (int)wd == N, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': window_days %g, expected %d (not a thermal-samples file of that window?)",
             tp, found ? wd : NAN, N);
  PetscCall(prc_h5_attr_get_str(f, "split", c->split, sizeof c->split, &found));
  PetscCall(prc_h5_attr_get_str(f, "split_time_utc", c->split_time, sizeof c->split_time, &found));
  PetscCall(prc_h5_dims(f, "x", &r, d));
  int nd, sh[8];
  PrcCallK(prc_model_input_shape(m, 0, &nd, sh));
  int okshape = r == nd + 1;
  for (int i = 0; okshape && i < nd; i++) okshape = d[i + 1] == (hsize_t)sh[i];
  PetscCheck(okshape && nd == 3, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
             "'%s': /x samples are %llux%llux%llu but model '%s' (%s) takes %dx%dx%d (crop size vs the spec's SIZE?)", tp,
             (unsigned long long)d[1], (unsigned long long)(r > 2 ? d[2] : 0), (unsigned long long)(r > 3 ? d[3] : 0), prc_model_name(m), mp,
             sh[0], nd > 1 ? sh[1] : 0, nd > 2 ? sh[2] : 0);
  size_t n = d[0], S = (size_t)sh[0] * (size_t)sh[1] * (size_t)sh[2];
  PetscCheck(n > 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s' has no samples", tp);
  float   *x, *prob;
  int32_t *yl;
  hsize_t  cnt[4] = {d[0], d[1], d[2], d[3]};
  PetscCall(PetscMalloc3(n * S, &x, 2 * n, &prob, n, &yl));
  PetscCall(prc_h5_read_nd(f, "x", H5T_NATIVE_FLOAT, z4, cnt, x));
  PetscCall(prc_h5_read_nd(f, "y", H5T_NATIVE_INT32, z4, cnt, yl));
  int32_t *grp;
  PetscCall(PetscMalloc1(n, &grp));
  PetscCheck(H5Lexists(f, "sample", H5P_DEFAULT) > 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s' has no /sample group (not written by thermal-samples?)", tp);
  PetscCall(prc_h5_read_nd(f, "sample/group", H5T_NATIVE_INT32, z4, cnt, grp));
  PetscCall(prc_h5_close(f));
  PetscCall(prc_model_predict(m, x, (int64_t)n, (int)prc_opts_int(o, "tfc_batch"), prob));
  prc_model_destroy(m);
  PetscCall(PetscMalloc4(n, &c->prob, n, &c->y, n + 1, &c->fpr, n + 1, &c->tpr));
  for (size_t i = 0; i < n; i++) {
    PetscCheck(yl[i] == 0 || yl[i] == 1, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': label %d of sample %zu is not 0/1", tp, (int)yl[i], i);
    c->prob[i] = prob[2 * i + 1], c->y[i] = yl[i], c->npos += yl[i];
  }
  c->n = (long)n;
  /* group level: consecutive rows of one group (thermal-samples order), mean probability */
  double *gs, *gy;
  long    ng = 0;
  PetscCall(PetscMalloc2(n, &gs, n, &gy));
  for (size_t i = 0, k = 0; i < n; i = k) {
    double sum = 0;
    for (k = i; k < n && grp[k] == grp[i]; k++) {
      PetscCheck(yl[k] == yl[i], ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': group %d mixes labels", tp, (int)grp[i]);
      sum += c->prob[k];
    }
    gs[ng] = sum / (double)(k - i), gy[ng] = yl[i], ng++;
  }
  c->ngroups = ng;
  PetscCall(PetscFree3(x, prob, yl));
  PetscCall(PetscFree(grp));
  double     thr = prc_opts_real(o, "tfc_threshold"), all[PRC_SC_COUNT], lo[PRC_SC_COUNT], hi[PRC_SC_COUNT];
  prc_ctable t;
  PrcCallK(prc_eval_point(c->prob, c->y, NULL, NULL, n, thr, all, &t));
  long B = (long)prc_opts_int(o, "tfc_bootstrap");
  for (int s = 0; s < PRC_SC_COUNT; s++) lo[s] = hi[s] = NAN;
  if (B > 0) PrcCallK(prc_eval_bootstrap(c->prob, c->y, NULL, NULL, n, thr, B, prc_opts_real(o, "tfc_ci"), (uint64_t)prc_opts_int(o, "seed"), lo, hi, NULL));
  for (int k = 0; k < NK; k++) c->v[k] = all[kid[k]], c->lo[k] = lo[kid[k]], c->hi[k] = hi[kid[k]];
  c->ct[0] = t.a, c->ct[1] = t.b, c->ct[2] = t.c, c->ct[3] = t.d;
  PrcCallK(prc_eval_point(gs, gy, NULL, NULL, (size_t)ng, thr, all, NULL));
  c->gauc[0] = all[PRC_SC_AUC], c->gauc[1] = c->gauc[2] = NAN;
  if (B > 0) {
    PrcCallK(prc_eval_bootstrap(gs, gy, NULL, NULL, (size_t)ng, thr, B, prc_opts_real(o, "tfc_ci"), (uint64_t)prc_opts_int(o, "seed") + 1, lo, hi, NULL));
    c->gauc[1] = lo[PRC_SC_AUC], c->gauc[2] = hi[PRC_SC_AUC];
  }
  PetscCall(PetscFree2(gs, gy));
  double *thrs;
  PetscCall(PetscMalloc1(n + 1, &thrs));
  if (c->npos > 0 && c->npos < c->n) PrcCallK(prc_roc(c->prob, c->y, NULL, n, thrs, c->fpr, c->tpr, &c->nroc));
  PetscCall(PetscFree(thrs));
  /* training history */
  PetscCall(prc_ctx_add_input(ctx, hp));
  PetscCall(prc_h5_open(ctx->comm, hp, &f));
  double spe = 0;
  PetscCall(prc_h5_attr_get_double(f, "steps_per_epoch", &spe, NULL));
  c->spe = (int)spe;
  PetscCall(read_1d(ctx->comm, f, "step_accuracy", hp, &c->step_acc, &c->nsteps));
  if (H5Lexists(f, "val_accuracy", H5P_DEFAULT) > 0) PetscCall(read_1d(ctx->comm, f, "val_accuracy", hp, &c->val_acc, &c->nep));
  else { /* trained without a validation set */
    PetscCall(PetscMalloc1(1, &c->val_acc));
    c->nep = 0;
  }
  PetscCall(prc_h5_close(f));
  PetscFunctionReturn(0);
}

static void cell_free(cell *c)
{
  PetscFree4(c->prob, c->y, c->fpr, c->tpr);
  PetscFree(c->step_acc);
  PetscFree(c->val_acc);
}

/* paper 001 Tables 2 (DRSN, after augmentation) and 3 (CNN, ResNet, DRSN), A/A1/A2 in %, windows 3/5/7/9 */
static const int    paper_days[4] = {3, 5, 7, 9};
static const double paper_t3[3][4][3] = {
  {{64.73, 49.11, 73.33}, {62.71, 57.91, 64.23}, {51.97, 50.01, 52.69}, {50.92, 48.75, 51.69}}, /* CNN */
  {{70.84, 65.87, 75.90}, {70.97, 72.23, 67.33}, {58.64, 59.73, 57.67}, {55.63, 56.91, 53.45}}, /* ResNet */
  {{72.93, 64.71, 76.33}, {73.86, 68.09, 79.32}, {61.33, 63.12, 59.67}, {57.81, 60.99, 56.44}}, /* DRSN (this paper's) */
};
static const double paper_t2_before[4][3] = {{64.74, 59.25, 60.09}, {69.11, 63.99, 63.12}, {54.83, 57.04, 50.79}, {43.97, 49.41, 48.57}};

static int paper_model(const char *m)
{
  return !strcmp(m, "cnn2d") ? 0 : !strcmp(m, "resnet2d") ? 1 : !strcmp(m, "drsn_cw") ? 2 : -1;
}
static int paper_window(int N)
{
  for (int i = 0; i < 4; i++)
    if (paper_days[i] == N) return i;
  return -1;
}

static void pct(FILE *f, double v, double lo, double hi, int ci)
{
  if (!isfinite(v)) fprintf(f, " n/a |");
  else if (ci && isfinite(lo)) fprintf(f, " %.1f [%.1f, %.1f] |", 100 * v, 100 * lo, 100 * hi);
  else fprintf(f, " %.1f |", 100 * v);
}

static int write_report(const char *path, const prc_opts *o, char models[][64], int nm, const int *days, int nd, cell *C, int nruns)
{
  FILE *f = fopen(path, "w");
  if (!f) return prc_seterr("cannot write '%s'", path);
  double thr = prc_opts_real(o, "tfc_threshold");
  fprintf(f, "# %s\n\n", prc_opts_string(o, "tfc_title"));
  fprintf(f, "Written by `precursor thermal-forecast` (docs/THERMAL.md). Samples: `%s`; runs: `%s`.\n", prc_opts_string(o, "tfc_samples"),
          prc_opts_string(o, "tfc_runs"));
  cell *c0 = &C[0];
  fprintf(f, "Test set split: **%s**%s%s%s. A test unit is one daily image; \"earthquake\" when P(earthquake) ≥ %g.", c0->split,
          *c0->split_time ? " (train: groups whose last image is before " : " (random, stratified by class)", c0->split_time, *c0->split_time ? "; test: the others)" : "", thr);
  fprintf(f, "\nIntervals: %g %% bootstrap percentile intervals over the test images (%lld replicates; images of one group are "
             "correlated, so these intervals are narrower than a group-level bootstrap would give).\n\n",
          100 * prc_opts_real(o, "tfc_ci"), (long long)prc_opts_int(o, "tfc_bootstrap"));
  for (int run = 0; run < nruns; run++) {
    cell *R = C + (size_t)run * (size_t)nm * (size_t)nd;
    fprintf(f, "## %s\n\n", run ? "Control run: anomalies not injected (leakage guard; should show no skill)" : "Results");
    fprintf(f, "Test images per window (earthquake / all; groups): ");
    for (int j = 0; j < nd; j++) fprintf(f, " %d d: %ld / %ld (%ld groups);", days[j], R[j].npos, R[j].n, R[j].ngroups);
    fprintf(f, "\n\nNo-skill reference: forecasting \"earthquake\" for every image gives A =");
    for (int j = 0; j < nd; j++) fprintf(f, " %.1f %% (%d d)%s", 100.0 * (double)R[j].npos / (double)R[j].n, days[j], j + 1 < nd ? "," : ".");
    fprintf(f, " With the 3:1 sample ratio A alone says little; R = A1 + A2 − 1 and the AUC do not depend on it.");
    fprintf(f, "\n\n### Table 3 layout: A, A1, A2 (%%) by model and window\n\n| |");
    for (int j = 0; j < nd; j++)
      for (int i = 0; i < nm; i++) fprintf(f, " %d d %s |", days[j], models[i]);
    fprintf(f, "\n|---|");
    for (int j = 0; j < nd * nm; j++) fprintf(f, "---|");
    fprintf(f, "\n");
    for (int k = K_A; k <= K_A2; k++) {
      fprintf(f, "| %s |", kname[k]);
      for (int j = 0; j < nd; j++)
        for (int i = 0; i < nm; i++) {
          cell *c = &R[(size_t)i * (size_t)nd + (size_t)j];
          pct(f, c->v[k], c->lo[k], c->hi[k], 0);
        }
      fprintf(f, "\n");
    }
    fprintf(f, "\n### All scores with %g %% intervals\n\n| model | window | A | A1 = POD | A2 | FAR | R = POD − POFD | AUC (images) | AUC (groups) | confusion (TP FP FN TN) |\n"
               "|---|---|---|---|---|---|---|---|---|---|\n",
            100 * prc_opts_real(o, "tfc_ci"));
    for (int i = 0; i < nm; i++)
      for (int j = 0; j < nd; j++) {
        cell *c = &R[(size_t)i * (size_t)nd + (size_t)j];
        fprintf(f, "| %s | %d d |", models[i], days[j]);
        const int ks[6] = {K_A, K_A1, K_A2, K_FAR, K_R, K_AUC};
        for (int q = 0; q < 6; q++) {
          if (ks[q] == K_AUC || ks[q] == K_R) {
            if (isfinite(c->v[ks[q]])) fprintf(f, " %.3f [%.3f, %.3f] |", c->v[ks[q]], c->lo[ks[q]], c->hi[ks[q]]);
            else fprintf(f, " n/a |");
          } else pct(f, c->v[ks[q]], c->lo[ks[q]], c->hi[ks[q]], 1);
        }
        fprintf(f, " %.3f [%.3f, %.3f] | %.0f %.0f %.0f %.0f |\n", c->gauc[0], c->gauc[1], c->gauc[2], c->ct[0], c->ct[1], c->ct[2], c->ct[3]);
      }
    if (!run) {
      int id = -1;
      for (int i = 0; i < nm; i++)
        if (!strcmp(models[i], "drsn_cw")) id = i;
      if (id >= 0) {
        fprintf(f, "\n### Table 2 layout: DRSN-CW by window (A, A1, A2 %%), measured here vs the paper\n\n| |");
        int ia = -1;
        for (int i = 0; i < nm; i++)
          if (!strcmp(models[i], "drsn_cw_aug")) ia = i;
        for (int j = 0; j < nd; j++) {
          fprintf(f, " %d d here | %d d paper before aug. |", days[j], days[j]);
          if (ia >= 0) fprintf(f, " %d d here after aug. |", days[j]);
          fprintf(f, " %d d paper after aug. |", days[j]);
        }
        fprintf(f, "\n|---|");
        for (int j = 0; j < (ia >= 0 ? 4 : 3) * nd; j++) fprintf(f, "---|");
        fprintf(f, "\n");
        for (int k = K_A; k <= K_A2; k++) {
          fprintf(f, "| %s |", kname[k]);
          for (int j = 0; j < nd; j++) {
            int w = paper_window(days[j]);
            pct(f, R[(size_t)id * (size_t)nd + (size_t)j].v[k], 0, 0, 0);
            if (w >= 0) fprintf(f, " %.2f |", paper_t2_before[w][k]);
            else fprintf(f, " – |");
            if (ia >= 0) pct(f, R[(size_t)ia * (size_t)nd + (size_t)j].v[k], 0, 0, 0);
            if (w >= 0) fprintf(f, " %.2f |", paper_t3[2][w][k]);
            else fprintf(f, " – |");
          }
          fprintf(f, "\n");
        }
        if (ia < 0) fprintf(f, "\nAugmentation (thermal-gan) is not part of this run: the \"after\" column has no measured counterpart.\n");
        else fprintf(f, "\n\"here after aug.\" = drsn_cw trained on the training set plus DCGAN images of both classes (thermal-gan, twice the real count of each class: threefold data as the paper), tested on the same real test set.\n");
      }
      fprintf(f, "\n### Paper 001 Table 3 for comparison (A, A1, A2 %%)\n\n| |");
      for (int j = 0; j < nd; j++)
        for (int i = 0; i < nm; i++) fprintf(f, " %d d %s |", days[j], models[i]);
      fprintf(f, "\n|---|");
      for (int j = 0; j < nd * nm; j++) fprintf(f, "---|");
      fprintf(f, "\n");
      for (int k = 0; k < 3; k++) {
        fprintf(f, "| %s |", kname[k]);
        for (int j = 0; j < nd; j++)
          for (int i = 0; i < nm; i++) {
            int pm = paper_model(models[i]), w = paper_window(days[j]);
            if (pm >= 0 && w >= 0) fprintf(f, " %.2f |", paper_t3[pm][w][k]);
            else fprintf(f, " – |");
          }
        fprintf(f, "\n");
      }
      fprintf(f, "\n");
      for (int j = 0; j < nd; j++) {
        fprintf(f, "![accuracy_N%d](accuracy_N%d.png)\n![roc_N%d](roc_N%d.png)\n", days[j], days[j], days[j], days[j]);
      }
      fprintf(f, "![accuracy_by_window](accuracy_by_window.png)\n\n");
    }
  }
  if (nruns == 2) {
    fprintf(f, "## Leakage guard\n\nSkill = the lower end of the %g %% bootstrap interval of the group-level AUC (one unit per group: the mean "
               "probability of its images; groups are the independent units) is above 0.5. The control stack has the same weather, clouds, "
               "catalog, crops and splits but no injected anomalies, so any skill there would come from leakage (place, season, cloud "
               "patterns), not from a precursor.\n\n| model | window | AUC groups, anomalies | skill | AUC groups, control | control skill |\n"
               "|---|---|---|---|---|---|\n", 100 * prc_opts_real(o, "tfc_ci"));
    int nskill = 0;
    for (int i = 0; i < nm; i++)
      for (int j = 0; j < nd; j++) {
        cell *a = &C[(size_t)i * (size_t)nd + (size_t)j], *b = &C[(size_t)(nm + i) * (size_t)nd + (size_t)j];
        int   sa = a->gauc[1] > 0.5, sb = b->gauc[1] > 0.5;
        nskill += sb;
        fprintf(f, "| %s | %d d | %.3f [%.3f, %.3f] | %s | %.3f [%.3f, %.3f] | %s |\n", models[i], days[j], a->gauc[0], a->gauc[1], a->gauc[2],
                sa ? "yes" : "no", b->gauc[0], b->gauc[1], b->gauc[2], sb ? "**yes (leak?)**" : "no");
      }
    fprintf(f, "\nControl: skill in %d of %d model/window pairs%s.\n\n", nskill, nm * nd, nskill ? " — investigate before trusting the main figures" : " (the guard passes)");
  }
  int bad = ferror(f);
  bad |= fclose(f) != 0;
  return bad ? prc_seterr("writing '%s' failed", path) : 0;
}

static int write_pngs(const char *out, char models[][64], int nm, const int *days, int nd, cell *C, int nruns)
{
  char path[4200], ttl[160];
  for (int j = 0; j < nd; j++) {
    /* accuracy vs step: training batches (moving mean over one epoch) and test accuracy after each epoch */
    prc_series s[2 * MAXM];
    double    *buf[4 * MAXM];
    int        ns = 0, nb = 0;
    for (int i = 0; i < nm; i++) {
      cell *c = &C[(size_t)i * (size_t)nd + (size_t)j];
      int   w = c->spe > 0 ? c->spe : 1;
      double *x = malloc(sizeof(double) * ((size_t)c->nsteps + 1)), *y = malloc(sizeof(double) * ((size_t)c->nsteps + 1));
      double *ex = malloc(sizeof(double) * ((size_t)c->nep + 1)), *ey = malloc(sizeof(double) * ((size_t)c->nep + 1));
      if (!x || !y || !ex || !ey) return prc_seterr("out of memory");
      buf[nb++] = x, buf[nb++] = y, buf[nb++] = ex, buf[nb++] = ey;
      double acc = 0;
      for (int k = 0; k < c->nsteps; k++) {
        acc += c->step_acc[k] - (k >= w ? c->step_acc[k - w] : 0);
        x[k] = k + 1, y[k] = acc / (k + 1 < w ? k + 1 : w);
      }
      for (int e = 0; e < c->nep; e++) ex[e] = (double)(e + 1) * c->spe, ey[e] = c->val_acc[e];
      static char lab[2 * MAXM][96];
      snprintf(lab[2 * i], sizeof lab[0], "%.60s train (epoch mean)", models[i]);
      snprintf(lab[2 * i + 1], sizeof lab[0], "%.60s test", models[i]);
      s[ns++] = (prc_series){x, y, c->nsteps, lab[2 * i], 0};
      s[ns++] = (prc_series){ex, ey, c->nep, lab[2 * i + 1], 0};
    }
    snprintf(ttl, sizeof ttl, "%d-day forecast: accuracy vs training step", days[j]);
    prc_lines_style ls = {.title = ttl, .xlabel = "training step", .ylabel = "accuracy", .ymin = 0, .ymax = 1, .width = 900, .height = 450};
    snprintf(path, sizeof path, "%s/accuracy_N%d.png", out, days[j]);
    int rc = prc_plot_lines_png(path, s, ns, &ls);
    for (int k = 0; k < nb; k++) free(buf[k]);
    if (rc) return 1;
    /* ROC */
    ns = 0;
    static char rl[2 * MAXM][96];
    for (int run = 0; run < nruns; run++)
      for (int i = 0; i < nm; i++) {
        cell *c = &C[((size_t)run * (size_t)nm + (size_t)i) * (size_t)nd + (size_t)j];
        snprintf(rl[ns], sizeof rl[0], "%.60s%s AUC %.3f", models[i], run ? " control" : "", c->v[K_AUC]);
        s[ns] = (prc_series){c->fpr, c->tpr, (int)c->nroc, rl[ns], run ? 0xA0A0A0u + (uint32_t)i * 0x101010u : 0};
        ns++;
      }
    double diag[2] = {0, 1};
    s[ns++] = (prc_series){diag, diag, 2, "random", 0x505050};
    snprintf(ttl, sizeof ttl, "%d-day forecast: ROC of the test images", days[j]);
    prc_lines_style rs = {.title = ttl, .xlabel = "false alarm rate (1 - A2)", .ylabel = "hit rate (A1)", .xmin = 0, .xmax = 1, .ymin = 0, .ymax = 1,
                          .width = 600, .height = 560};
    snprintf(path, sizeof path, "%s/roc_N%d.png", out, days[j]);
    if (prc_plot_lines_png(path, s, ns, &rs)) return 1;
  }
  /* accuracy by window */
  prc_series s[2 * MAXM];
  double     xs[MAXD], ys[2 * MAXM][MAXD];
  static char lab[2 * MAXM][96];
  int         ns = 0;
  for (int j = 0; j < nd; j++) xs[j] = days[j];
  for (int run = 0; run < nruns; run++)
    for (int i = 0; i < nm; i++) {
      for (int j = 0; j < nd; j++) ys[ns][j] = C[((size_t)run * (size_t)nm + (size_t)i) * (size_t)nd + (size_t)j].v[K_A];
      snprintf(lab[ns], sizeof lab[0], "%.60s%s", models[i], run ? " control" : "");
      s[ns] = (prc_series){xs, ys[ns], nd, lab[ns], run ? 0xA0A0A0u + (uint32_t)i * 0x101010u : 0};
      ns++;
    }
  prc_lines_style ls = {.title = "test accuracy A by forecast window", .xlabel = "window N (days)", .ylabel = "A", .ymin = 0, .ymax = 1, .width = 700,
                        .height = 420, .hline_on = 1, .hline = 0.5};
  snprintf(path, sizeof path, "%s/accuracy_by_window.png", out);
  return prc_plot_lines_png(path, s, ns, &ls);
}

static PetscErrorCode tf_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  char            models[MAXM][64], path[4200];
  int             days[MAXD];
  const int       nm = split_list(prc_opts_string(o, "tfc_models"), models, MAXM), nd = parse_days(prc_opts_string(o, "tfc_days"), days);
  const int       nruns = strcmp(prc_opts_string(o, "tfc_control_runs"), "none") ? 2 : 1;
  const char     *out = prc_opts_string(o, "out_dir");
  cell           *C;
  PetscFunctionBeginUser;
  PetscCall(PetscCalloc1((size_t)nruns * (size_t)nm * (size_t)nd, &C));
  for (int run = 0; run < nruns; run++)
    for (int i = 0; i < nm; i++)
      for (int j = 0; j < nd; j++) {
        cell *c = &C[((size_t)run * (size_t)nm + (size_t)i) * (size_t)nd + (size_t)j];
        PetscCall(score_cell(ctx, prc_opts_string(o, run ? "tfc_control_runs" : "tfc_runs"), prc_opts_string(o, run ? "tfc_control_samples" : "tfc_samples"),
                             models[i], days[j], c));
        prc_say(ctx->comm, "[thermal-forecast] %s%s N = %d: A %.1f %%  A1 %.1f %%  A2 %.1f %%  FAR %.1f %%  R %.3f  AUC %.3f [%.3f, %.3f]  (%ld test images, %ld earthquake)\n",
                models[i], run ? " (control)" : "", days[j], 100 * c->v[K_A], 100 * c->v[K_A1], 100 * c->v[K_A2], 100 * c->v[K_FAR], c->v[K_R],
                c->v[K_AUC], c->lo[K_AUC], c->hi[K_AUC], c->n, c->npos);
        prc_say(ctx->comm, "[thermal-forecast]   group-level AUC %.3f [%.3f, %.3f] over %ld groups\n", c->gauc[0], c->gauc[1], c->gauc[2], c->ngroups);
      }
  /* HDF5 summary */
  size_t  ncell = (size_t)nruns * (size_t)nm * (size_t)nd;
  double *V, *L, *H, *CT;
  PetscCall(PetscMalloc4(ncell * NK, &V, ncell * NK, &L, ncell * NK, &H, ncell * 4, &CT));
  for (size_t q = 0; q < ncell; q++) {
    memcpy(V + q * NK, C[q].v, sizeof C[q].v), memcpy(L + q * NK, C[q].lo, sizeof C[q].lo), memcpy(H + q * NK, C[q].hi, sizeof C[q].hi);
    memcpy(CT + q * 4, C[q].ct, sizeof C[q].ct);
  }
  snprintf(path, sizeof path, "%s/thermal_forecast.h5", out);
  prc_h5out f;
  hsize_t   dims[4] = {(hsize_t)nruns, (hsize_t)nm, (hsize_t)nd, NK}, st[4] = {0, 0, 0, 0}, cnt[4];
  for (int k = 0; k < 4; k++) cnt[k] = ctx->rank ? 0 : dims[k];
  PetscCall(prc_h5_create(ctx->comm, path, "thermal_forecast", &f));
  PetscCall(prc_h5_write_nd(f.fid, "value", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 4, dims, st, cnt, V));
  PetscCall(prc_h5_write_nd(f.fid, "ci_low", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 4, dims, st, cnt, L));
  PetscCall(prc_h5_write_nd(f.fid, "ci_high", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 4, dims, st, cnt, H));
  dims[3] = 4, cnt[3] = ctx->rank ? 0 : 4;
  PetscCall(prc_h5_write_nd(f.fid, "confusion", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 4, dims, st, cnt, CT));
  {
    double *GA, *NB;
    PetscCall(PetscMalloc2(ncell * 3, &GA, ncell * 3, &NB));
    for (size_t q = 0; q < ncell; q++) {
      memcpy(GA + 3 * q, C[q].gauc, sizeof C[q].gauc);
      NB[3 * q] = (double)C[q].n, NB[3 * q + 1] = (double)C[q].npos, NB[3 * q + 2] = (double)C[q].ngroups;
    }
    dims[3] = 3, cnt[3] = ctx->rank ? 0 : 3;
    PetscCall(prc_h5_write_nd(f.fid, "group_auc", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 4, dims, st, cnt, GA));
    PetscCall(prc_h5_write_nd(f.fid, "counts", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 4, dims, st, cnt, NB));
    PetscCall(PetscFree2(GA, NB));
  }
  PetscCall(prc_h5_attr_str(f.fid, "group_auc_names", "value,ci_low,ci_high"));
  PetscCall(prc_h5_attr_str(f.fid, "counts_names", "test_images,earthquake_images,groups"));
  char names[512] = "";
  for (int k = 0; k < NK; k++) strcat(strcat(names, kname[k]), k + 1 < NK ? "," : "");
  PetscCall(prc_h5_attr_str(f.fid, "score_names", names));
  PetscCall(prc_h5_attr_str(f.fid, "confusion_names", "TP,FP,FN,TN"));
  PetscCall(prc_h5_attr_str(f.fid, "models", prc_opts_string(o, "tfc_models")));
  PetscCall(prc_h5_attr_str(f.fid, "days", prc_opts_string(o, "tfc_days")));
  PetscCall(prc_h5_attr_str(f.fid, "runs", nruns == 2 ? "main,control" : "main"));
  PetscCall(prc_h5_attr_str(f.fid, "dims", "run, model, window, score"));
  PetscCall(prc_h5_attr_double(f.fid, "threshold", prc_opts_real(o, "tfc_threshold")));
  PetscCall(prc_h5_attr_double(f.fid, "ci_level", prc_opts_real(o, "tfc_ci")));
  PetscCall(prc_h5_attr_int(f.fid, "bootstrap_replicates", prc_opts_int(o, "tfc_bootstrap")));
  PetscCall(prc_h5_attr_str(f.fid, "split", C[0].split));
  hid_t g;
  PetscCall(prc_h5_group(f.fid, "predictions", &g));
  for (size_t q = 0; q < ncell; q++) {
    int  run = (int)(q / ((size_t)nm * (size_t)nd)), i = (int)(q / (size_t)nd % (size_t)nm), j = (int)(q % (size_t)nd);
    char nm_[160];
    hid_t h;
    snprintf(nm_, sizeof nm_, "%s%s_N%d", run ? "control_" : "", models[i], days[j]);
    PetscCall(prc_h5_group(g, nm_, &h));
    PetscCall(prc_h5_write_col(ctx->comm, h, "probability", H5T_IEEE_F64LE, (hsize_t)C[q].n, C[q].prob));
    PetscCall(prc_h5_write_col(ctx->comm, h, "observed", H5T_IEEE_F64LE, (hsize_t)C[q].n, C[q].y));
    H5Gclose(h);
  }
  H5Gclose(g);
  PetscCall(prc_h5_commit(&f, ctx));
  PetscCall(PetscFree4(V, L, H, CT));
  /* report and pictures (rank 0) */
  int  ok = 1;
  char msg[1024] = "";
  if (!ctx->rank) {
    snprintf(path, sizeof path, "%s/THERMAL_FORECAST.md", out);
    if (write_report(path, o, models, nm, days, nd, C, nruns) || (prc_opts_bool(o, "tfc_png") && write_pngs(out, models, nm, days, nd, C, nruns)))
      ok = 0, snprintf(msg, sizeof msg, "%s", prc_lasterr());
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, ctx->comm));
  PetscCallMPI(MPI_Bcast(msg, sizeof msg, MPI_CHAR, 0, ctx->comm));
  PetscCheck(ok, ctx->comm, PETSC_ERR_FILE_WRITE, "%s", msg);
  prc_say(ctx->comm, "[thermal-forecast] outputs in %s/ (thermal_forecast.h5, THERMAL_FORECAST.md%s)\n", out,
          prc_opts_bool(o, "tfc_png") ? ", accuracy_N<N>.png, roc_N<N>.png, accuracy_by_window.png" : "");
  for (size_t q = 0; q < ncell; q++) cell_free(&C[q]);
  PetscCall(PetscFree(C));
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_thermal_forecast = {
  "thermal-forecast", "score thermal forecast models on their test sets (A, A1, A2, POD, FAR, R, AUC with intervals; report as paper 001 Tables 2/3)",
  tf_opts, (int)(sizeof tf_opts / sizeof tf_opts[0]), tf_validate, tf_run};

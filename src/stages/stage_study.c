/* stage_study.c — `precursor study`: leakage-free walk-forward retrospective study of the
 * baseline forecasters on a feature table (issue 10; docs/STUDY.md).
 *
 * Input: a forecast-kind table with feature columns (precursor indicators' indicators.h5:
 * /forecast/{cell, time, observed, <features>} and the horizon_days attribute).
 * Splits by time: test k = [t1 + k Δ, t1 + (k+1) Δ); its training rows are those with
 * time >= the training start (expanding window, or the last -study_train_days) and
 * time + horizon <= the test start, so no training label looks past the test start and no
 * feature looks past its own time (the indicators' rule). Standardisation statistics come
 * from the training rows only.
 * Models: climatology per cell, L2 logistic regression on the standardised features
 * (src/eval/baselines.c), an MLP (NN core); external models (-study_external: scores of other
 * stages joined by cell and time, not fitted; the test rows are those every external forecasts). Every model sees the same splits; its test forecasts of all
 * splits are pooled and scored with the evaluation library (src/eval/scores.c): AUC, Molchan
 * ASS, probability gain and contingency scores at -study_threshold, Brier score and
 * log-loss, bootstrap percentile intervals.
 * Parallel plan: splits are dealt round-robin to ranks (each split is fitted by one rank);
 * the forecasts are combined with MPI_SUM (exactly one rank contributes each value, so the
 * result does not depend on the rank count); bootstrap replicates are split by range over
 * the ranks (a replicate depends only on its index) and gathered. Rank 0 writes the
 * report. Results are identical on any rank count (tested). */
#include <math.h>
#include <string.h>

#include "precursor/baselines.h"
#include "precursor/dp.h"
#include "precursor/error.h"
#include "precursor/h5io.h"
#include "precursor/nn_model.h"
#include "precursor/nn_train.h"
#include "precursor/plot.h"
#include "precursor/progress.h"
#include "precursor/rng.h"
#include "precursor/scores.h"
#include "precursor/stage.h"
#include "precursor/timeutil.h"

#define MAXF 64
#define NMODEL 3 /* built-in models; then up to MAXEXT external ones */
#define MAXEXT 5
#define MAXM (NMODEL + MAXEXT)
static const char *builtin_name[NMODEL] = {"climatology", "logistic", "mlp"};

static const prc_opt_spec study_opts[] = {
  {"study_input", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "feature table: a forecast-kind HDF5 file with feature columns (indicators.h5)"},
  {"study_features", PRC_OPT_STRING, "all", PRC_NO_RANGE,
   "feature columns for the logistic model: all (every 1-D column but cell, time, score, observed, label, lat, lon, weight) "
   "or names separated by commas"},
  {"study_test_start", PRC_OPT_STRING, "auto", PRC_NO_RANGE, "start of the first test period (date, UTC) or auto (middle of the table's span)"},
  {"study_test_days", PRC_OPT_REAL, "730.5", 1, 1e6, "length of each test period (days); the next split starts where a test ends"},
  {"study_train_days", PRC_OPT_REAL, "0", 0, 1e7, "training window before each test start (days); 0: expanding, from the table's start"},
  {"study_models", PRC_OPT_STRING, "climatology,logistic", PRC_NO_RANGE, "models: climatology, logistic, mlp (comma-separated)"},
  {"study_l2", PRC_OPT_REAL, "1", 0, 1e12, "logistic: L2 penalty on the standardised coefficients (not the intercept)"},
  {"study_max_iter", PRC_OPT_INT, "100", 1, 100000, "logistic: maximum Newton steps"},
  {"study_clim_prior", PRC_OPT_REAL, "10", 0, 1e12,
   "climatology: pseudo-rows at the overall training rate added to each cell (shrinkage; 0 = raw cell rate)"},
  {"study_mlp_spec", PRC_OPT_STRING, "inputs/models/mlp_baseline.model", PRC_NO_RANGE,
   "mlp: model spec (defines F = number of features, HIDDEN); output: 2 logits"},
  {"study_mlp_hidden", PRC_OPT_INT, "16", 1, 100000, "mlp: hidden units (the spec's HIDDEN)"},
  {"study_mlp_epochs", PRC_OPT_INT, "300", 1, 1e7, "mlp: full-batch Adam steps"},
  {"study_mlp_lr", PRC_OPT_REAL, "0.01", 1e-9, 10, "mlp: Adam learning rate"},
  {"study_mlp_wd", PRC_OPT_REAL, "0.0001", 0, 10, "mlp: weight decay (L2, on weight matrices only)"},
  {"study_mlp_micro_batches", PRC_OPT_INT, "8", 1, 1e6,
   "mlp: the training rows are cut into this many micro-batches, dealt to the ranks; their exact fixed-point mean is the full-batch gradient "
   "(the result does not depend on the rank count)"},
  {"study_threshold", PRC_OPT_REAL, "-1", PRC_NO_RANGE,
   "alarm threshold on the probability for the contingency scores; < 0: the positive rate of all training rows of the first split"},
  {"study_boot", PRC_OPT_INT, "500", 0, 1e7, "bootstrap replicates for the confidence intervals (0: none)"},
  {"study_level", PRC_OPT_REAL, "0.9", 0.5, 0.999, "confidence level of the bootstrap percentile intervals"},
  {"study_min_train_pos", PRC_OPT_INT, "1", 0, 1e9, "a split needs at least this many positive training rows, else it is skipped (reported)"},
  {"study_external", PRC_OPT_STRING, "none", PRC_NO_RANGE,
   "models run elsewhere, scored on the same test rows: NAME=FILE[,NAME=FILE...] (forecast-kind tables with /forecast/{cell,time,score}, e.g. "
   "forecast.h5 of rst-forecast on the same grid and times), or none"},
  {"study_png", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "ROC, Molchan and per-split AUC pictures"},
};

static void study_validate(prc_opts *o)
{
  const char *m = prc_opts_string(o, "study_models");
  char        buf[256], *save = NULL;
  int         n = 0;
  snprintf(buf, sizeof buf, "%s", m);
  for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save), n++)
    if (strcmp(t, "climatology") && strcmp(t, "logistic") && strcmp(t, "mlp"))
      prc_opts_violation(o, "-study_models: unknown model '%s' (known: climatology, logistic, mlp)", t);
  if (!n) prc_opts_violation(o, "-study_models '%s': no model", m);
  const char *ex = prc_opts_string(o, "study_external");
  if (strcmp(ex, "none")) {
    char eb[4096], *sv = NULL;
    int  ne = 0;
    snprintf(eb, sizeof eb, "%s", ex);
    for (char *t = strtok_r(eb, ",", &sv); t; t = strtok_r(NULL, ",", &sv), ne++) {
      char *eq = strchr(t, '=');
      int   good = eq && eq > t && eq[1];
      for (char *c = t; good && c < eq; c++) good = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-';
      if (!good) prc_opts_violation(o, "-study_external '%s': expected NAME=FILE (NAME of letters, digits, _ or -)", t);
      else {
        *eq = 0;
        for (int b = 0; b < NMODEL; b++)
          if (!strcmp(t, builtin_name[b])) prc_opts_violation(o, "-study_external: the name '%s' is a built-in model", t);
      }
    }
    if (ne > MAXEXT) prc_opts_violation(o, "-study_external: at most %d external models", MAXEXT);
  }
  const char *ts = prc_opts_string(o, "study_test_start");
  double      t;
  if (strcmp(ts, "auto") && prc_time_parse(ts, &t)) prc_opts_violation(o, "-study_test_start '%s': expected auto or a date (YYYY-MM-DD[THH:MM:SS])", ts);
}

typedef struct {
  size_t  n;
  int     p;
  double *cell, *time, *y, *X; /* X: n x p */
  char    fname[MAXF][64];
  double  horizon_days;
} table;

static PetscErrorCode table_read(prc_ctx *ctx, const char *path, const char *feat, table *T)
{
  hid_t   fid, g;
  int     r, found;
  hsize_t d[8], z = 0;
  char    kind[64] = "";
  PetscFunctionBeginUser;
  memset(T, 0, sizeof *T);
  PetscCall(prc_ctx_add_input(ctx, path));
  PetscCall(prc_h5_open(ctx->comm, path, &fid));
  PetscCall(prc_h5_attr_get_str(fid, "precursor_kind", kind, sizeof kind, &found));
  PetscCheck(found && !strcmp(kind, "forecast"), ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
             "'%s' is a '%s' file, expected precursor_kind 'forecast' with feature columns (precursor indicators)", path,
             found ? kind : "(no kind)");
  PetscCheck(H5Lexists(fid, "forecast", H5P_DEFAULT) > 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s' has no /forecast group", path);
  g = H5Gopen2(fid, "forecast", H5P_DEFAULT);
  PetscCall(prc_h5_attr_get_double(g, "horizon_days", &T->horizon_days, &found));
  PetscCheck(found && T->horizon_days > 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
             "'%s': /forecast has no positive horizon_days attribute (needed to keep training labels out of the test period)", path);
  const char *req[3] = {"cell", "time", "observed"};
  double    **dst[3] = {&T->cell, &T->time, &T->y};
  for (int i = 0; i < 3; i++) {
    PetscCheck(H5Lexists(g, req[i], H5P_DEFAULT) > 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
               "'%s' has no column /forecast/%s (required: cell, time, observed)", path, req[i]);
    PetscCall(prc_h5_dims(g, req[i], &r, d));
    PetscCheck(r == 1 && (i == 0 || d[0] == T->n) && d[0] > 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
               "'%s': /forecast/%s must be a non-empty 1-D column of the same length as /forecast/cell", path, req[i]);
    T->n = (size_t)d[0];
    PetscCall(PetscMalloc1(T->n, dst[i]));
    hsize_t c = T->n;
    PetscCall(prc_h5_read_nd(g, req[i], H5T_NATIVE_DOUBLE, &z, &c, *dst[i]));
  }
  /* feature names: the requested list, or every other 1-D column of length n */
  if (!strcmp(feat, "all")) {
    H5G_info_t info;
    H5Gget_info(g, &info);
    const char *skip[] = {"cell", "time", "score", "observed", "label", "lat", "lon", "weight"};
    for (hsize_t k = 0; k < info.nlinks; k++) {
      char nm[64];
      H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, k, nm, sizeof nm, H5P_DEFAULT);
      int s = 0;
      for (size_t q = 0; q < sizeof skip / sizeof *skip; q++) s |= !strcmp(nm, skip[q]);
      if (s) continue;
      PetscCall(prc_h5_dims(g, nm, &r, d));
      if (r != 1 || d[0] != T->n) continue;
      PetscCheck(T->p < MAXF, ctx->comm, PETSC_ERR_SUP, "'%s': more than %d feature columns", path, MAXF);
      snprintf(T->fname[T->p++], 64, "%s", nm);
    }
  } else {
    char buf[4096], *save = NULL;
    snprintf(buf, sizeof buf, "%s", feat);
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
      PetscCheck(T->p < MAXF, ctx->comm, PETSC_ERR_SUP, "-study_features: more than %d features", MAXF);
      PetscCheck(H5Lexists(g, t, H5P_DEFAULT) > 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "-study_features: '%s' has no column /forecast/%s",
                 path, t);
      PetscCall(prc_h5_dims(g, t, &r, d));
      PetscCheck(r == 1 && d[0] == T->n, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
                 "'%s': /forecast/%s is not a 1-D column of %zu rows", path, t, T->n);
      snprintf(T->fname[T->p++], 64, "%s", t);
    }
  }
  PetscCall(PetscMalloc1(T->n * (size_t)(T->p ? T->p : 1), &T->X));
  double *col;
  PetscCall(PetscMalloc1(T->n, &col));
  for (int j = 0; j < T->p; j++) {
    hsize_t c = T->n;
    PetscCall(prc_h5_read_nd(g, T->fname[j], H5T_NATIVE_DOUBLE, &z, &c, col));
    for (size_t i = 0; i < T->n; i++) {
      char v[64] = "";
      if (isinf(col[i])) snprintf(v, sizeof v, "%g", col[i]); /* NaN = undefined indicator; Inf is an error */
      PetscCheck(!v[0], ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /forecast/%s[%zu] = %s (NaN marks undefined, Inf is not allowed)",
                 path, T->fname[j], i, v);
      T->X[i * T->p + j] = col[i];
    }
  }
  PetscCall(PetscFree(col));
  for (size_t i = 0; i < T->n; i++) {
    char v[64] = "";
    if (!(T->y[i] == 0 || T->y[i] == 1)) snprintf(v, sizeof v, "observed = %g, expected 0 or 1", T->y[i]);
    else if (!isfinite(T->time[i])) snprintf(v, sizeof v, "time is not finite");
    else if (!(T->cell[i] >= 0 && T->cell[i] == floor(T->cell[i]))) snprintf(v, sizeof v, "cell = %g is not an index >= 0", T->cell[i]);
    PetscCheck(!v[0], ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /forecast row %zu: %s", path, i, v);
  }
  H5Gclose(g);
  PetscCall(prc_h5_close(fid));
  PetscFunctionReturn(0);
}

static void table_free(table *T)
{
  (void)PetscFree(T->cell), (void)PetscFree(T->time), (void)PetscFree(T->y), (void)PetscFree(T->X);
}

/* An external model's forecasts joined to the study's rows: score[i] for the row with the same
 * cell and time (|dt| <= 1 s), have[i] = 0 where the external table has no such row. */
typedef struct {
  char   name[64], path[2048];
  double *score;
  unsigned char *have;
  size_t nmatch;
} external;

typedef struct {
  double cell, time, score;
} erow;

static int erow_cmp(const void *a, const void *b)
{
  const erow *x = a, *y = b;
  if (x->cell != y->cell) return x->cell < y->cell ? -1 : 1;
  return x->time < y->time ? -1 : x->time > y->time;
}

static PetscErrorCode external_read(prc_ctx *ctx, const table *T, external *X)
{
  hid_t   fid, g;
  int     r, found;
  hsize_t d[8], z = 0;
  char    kind[64] = "";
  const char *path = X->path;
  PetscFunctionBeginUser;
  PetscCall(prc_ctx_add_input(ctx, path));
  PetscCall(prc_h5_open(ctx->comm, path, &fid));
  PetscCall(prc_h5_attr_get_str(fid, "precursor_kind", kind, sizeof kind, &found));
  PetscCheck(found && !strcmp(kind, "forecast"), ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "-study_external %s: '%s' is a '%s' file, expected precursor_kind 'forecast'",
             X->name, path, found ? kind : "(no kind)");
  PetscCheck(H5Lexists(fid, "forecast", H5P_DEFAULT) > 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "-study_external %s: '%s' has no /forecast group", X->name, path);
  g = H5Gopen2(fid, "forecast", H5P_DEFAULT);
  const char *req[3] = {"cell", "time", "score"};
  double     *col[3] = {NULL, NULL, NULL};
  size_t      m = 0;
  for (int i = 0; i < 3; i++) {
    PetscCheck(H5Lexists(g, req[i], H5P_DEFAULT) > 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "-study_external %s: '%s' has no column /forecast/%s", X->name,
               path, req[i]);
    PetscCall(prc_h5_dims(g, req[i], &r, d));
    PetscCheck(r == 1 && d[0] > 0 && (i == 0 || d[0] == m), ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
               "-study_external %s: '%s': /forecast/%s must be a non-empty 1-D column as long as /forecast/cell", X->name, path, req[i]);
    m = (size_t)d[0];
    PetscCall(PetscMalloc1(m, &col[i]));
    hsize_t c = m;
    PetscCall(prc_h5_read_nd(g, req[i], H5T_NATIVE_DOUBLE, &z, &c, col[i]));
  }
  H5Gclose(g);
  PetscCall(prc_h5_close(fid));
  erow *e;
  PetscCall(PetscMalloc1(m, &e));
  for (size_t i = 0; i < m; i++) {
    char v[64] = "";
    if (!isfinite(col[2][i])) snprintf(v, sizeof v, "score = %g is not finite", col[2][i]);
    else if (!isfinite(col[1][i])) snprintf(v, sizeof v, "time is not finite");
    else if (!(col[0][i] >= 0 && col[0][i] == floor(col[0][i]))) snprintf(v, sizeof v, "cell = %g is not an index >= 0", col[0][i]);
    PetscCheck(!v[0], ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "-study_external %s: '%s': /forecast row %zu: %s", X->name, path, i, v);
    e[i] = (erow){col[0][i], col[1][i], col[2][i]};
  }
  for (int i = 0; i < 3; i++) PetscCall(PetscFree(col[i]));
  qsort(e, m, sizeof *e, erow_cmp);
  PetscCall(PetscMalloc2(T->n, &X->score, T->n, &X->have));
  X->nmatch = 0;
  for (size_t i = 0; i < T->n; i++) {
    size_t lo = 0, hi = m; /* first row >= (cell, time - 1 s) */
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (e[mid].cell < T->cell[i] || (e[mid].cell == T->cell[i] && e[mid].time < T->time[i] - 1)) lo = mid + 1;
      else hi = mid;
    }
    X->have[i] = lo < m && e[lo].cell == T->cell[i] && fabs(e[lo].time - T->time[i]) <= 1;
    X->score[i] = X->have[i] ? e[lo].score : NAN;
    X->nmatch += X->have[i];
  }
  PetscCall(PetscFree(e));
  PetscFunctionReturn(0);
}

/* The MLP baseline on the standardised features Z (n x p), data-parallel over the ranks of comm:
 * the training rows (in row order) are cut into M = -study_mlp_micro_batches contiguous
 * micro-batches, micro-batch j on rank j mod P. Every full-batch Adam step, each rank computes
 * the gradient of (M / N_train) x the summed softmax cross-entropy of its micro-batches, and
 * prc_dp_mean_exact averages them in exact fixed point: the mean is the full-batch gradient, the
 * same bits on any rank count. Seeded initialisation; then P(class 1) of every row into q (every
 * rank). Collective. */
static PetscErrorCode fit_mlp(MPI_Comm comm, const double *Z, const double *y, const unsigned char *tr, size_t n, int p, const prc_opts *o,
                              uint64_t seed, double *q)
{
  int rank, size;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  char        dF[32], dH[32];
  const char *defs[3] = {dF, dH, NULL};
  snprintf(dF, sizeof dF, "F=%d", p), snprintf(dH, sizeof dH, "HIDDEN=%d", (int)prc_opts_int(o, "study_mlp_hidden"));
  size_t *rows, ntr = 0;
  PetscCall(PetscMalloc1(n + 1, &rows));
  for (size_t i = 0; i < n; i++)
    if (tr[i]) rows[ntr++] = i;
  const int M = (int)PetscMin((size_t)prc_opts_int(o, "study_mlp_micro_batches"), ntr);
  int       nloc = 0, maxb = 1;
  for (int j = rank; j < M; j += size) nloc++;
  for (int j = 0; j < M; j++) maxb = PetscMax(maxb, (int)(ntr * (size_t)(j + 1) / (size_t)M - ntr * (size_t)j / (size_t)M));
  prc_model *m = NULL;
  prc_optim *opt = NULL;
  PrcCallK(prc_model_load(prc_opts_string(o, "study_mlp_spec"), defs, &m));
  PrcCallK(prc_model_init(m, seed));
  const size_t np = prc_model_nparams(m);
  int          sh[2] = {maxb, p};
  prc_tensor  *x = prc_tensor_new(2, sh, 0);
  float       *gl, *g, *dout;
  double      *ll, lmean;
  PetscCheck(x, PETSC_COMM_SELF, PETSC_ERR_MEM, "mlp: out of memory");
  PetscCall(PetscMalloc4(np * (size_t)(nloc ? nloc : 1), &gl, np, &g, (size_t)2 * maxb, &dout, nloc + 1, &ll));
  prc_optim_conf oc = {.kind = PRC_OPTIM_ADAM, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = prc_opts_real(o, "study_mlp_wd")};
  PrcCallK(prc_optim_create(&oc, np, &opt));
  prc_optim_decay_none(opt);
  for (int ti = 0; ti < prc_model_ntensors(m); ti++)
    if (prc_model_tensor_kind(m, ti) == 0 && prc_model_tensor_is_weight(m, ti)) {
      int    nd, ts[4];
      size_t len = 1;
      prc_model_tensor_shape(m, ti, &nd, ts);
      for (int d = 0; d < nd; d++) len *= (size_t)ts[d];
      prc_optim_decay_range(opt, prc_model_tensor_offset(m, ti), len);
    }
  const double scale = (double)M / (double)ntr;
  const long   E = prc_opts_int(o, "study_mlp_epochs");
  for (long e = 0; e < E; e++) {
    int l = 0;
    for (int j = rank; j < M; j += size, l++) {
      const size_t r0 = ntr * (size_t)j / (size_t)M, r1 = ntr * (size_t)(j + 1) / (size_t)M;
      const int    nb = (int)(r1 - r0);
      for (int k = 0; k < nb; k++)
        for (int c = 0; c < p; c++) x->data[(size_t)k * p + c] = (float)Z[rows[r0 + k] * (size_t)p + c];
      x->shape[0] = nb, x->size = (size_t)nb * (size_t)p;
      if (prc_model_batch(m) != nb) PrcCallK(prc_model_set_batch(m, nb));
      prc_model_set_training(m, 1);
      const prc_tensor *in[1] = {x};
      PrcCallK(prc_model_forward(m, in, NULL, NULL));
      const float *lo = prc_model_output(m)->data;
      double       ls = 0;
      for (int k = 0; k < nb; k++) { /* softmax cross-entropy of 2 logits, gradient (p - onehot) x scale */
        const double z0 = lo[2 * k], z1 = lo[2 * k + 1], mx = fmax(z0, z1), lse = mx + log(exp(z0 - mx) + exp(z1 - mx));
        const double p1 = exp(z1 - lse), yk = y[rows[r0 + k]];
        ls -= yk == 1 ? z1 - lse : z0 - lse;
        dout[2 * k] = (float)(((1 - p1) - (1 - yk)) * scale), dout[2 * k + 1] = (float)((p1 - yk) * scale);
      }
      ll[l] = ls * scale;
      prc_model_zero_grad(m);
      PrcCallK(prc_model_backward_from(m, dout, NULL));
      memcpy(gl + np * (size_t)l, prc_model_grads(m), sizeof(float) * np);
    }
    prc_dp_seg seg[2] = {{.n = np, .f = gl, .out_f = g}, {.n = 1, .d = ll, .out_d = &lmean}};
    PetscCall(prc_dp_mean_exact(comm, "gradient of the study's MLP", M, nloc, 2, seg, 0, NULL));
    PetscCheck(isfinite(lmean), comm, PETSC_ERR_NOT_CONVERGED, "mlp: the training loss became %g at step %ld (lower -study_mlp_lr)", lmean, e);
    PrcCallK(prc_optim_step(opt, prc_model_params(m), g, prc_opts_real(o, "study_mlp_lr")));
  }
  /* forecasts of every row, in chunks of maxb (eval mode: per-row results) */
  prc_model_set_training(m, 0);
  for (size_t r0 = 0; r0 < n; r0 += (size_t)maxb) {
    const int nb = (int)PetscMin((size_t)maxb, n - r0);
    for (int k = 0; k < nb; k++)
      for (int c = 0; c < p; c++) x->data[(size_t)k * p + c] = (float)Z[(r0 + k) * (size_t)p + c];
    x->shape[0] = nb, x->size = (size_t)nb * (size_t)p;
    if (prc_model_batch(m) != nb) PrcCallK(prc_model_set_batch(m, nb));
    const prc_tensor *in[1] = {x};
    PrcCallK(prc_model_forward(m, in, NULL, NULL));
    const float *lo = prc_model_output(m)->data;
    for (int k = 0; k < nb; k++) q[r0 + k] = 1 / (1 + exp((double)lo[2 * k] - (double)lo[2 * k + 1])); /* softmax of 2 logits */
  }
  prc_tensor_free(x);
  prc_optim_destroy(opt);
  prc_model_destroy(m);
  PetscCall(PetscFree4(gl, g, dout, ll));
  PetscCall(PetscFree(rows));
  PetscFunctionReturn(0);
}

/* Fit model m (climatology or logistic) on split s's training rows and forecast its test rows into
 * prob (others untouched). */
static int fit_split(const table *T, int m, int k, const unsigned char *tr, const unsigned char *te, const prc_opts *o, double *prob,
                     double *coef, int *iters)
{
  size_t n = T->n;
  int    p = T->p, rc = 0;
  double *q = malloc(n * sizeof *q);
  if (!q) return prc_seterr("out of memory (%zu rows)", n);
  if (m == 0) rc = prc_climatology(T->cell, T->y, tr, n, prc_opts_real(o, "study_clim_prior"), q);
  else {
    double *mean = malloc((size_t)(p + 1) * sizeof(double)), *sd = malloc((size_t)(p + 1) * sizeof(double)),
           *Z = malloc(n * (size_t)(p ? p : 1) * sizeof(double));
    if (!mean || !sd || !Z) rc = prc_seterr("out of memory (%zu x %d features)", n, p);
    if (!rc) rc = prc_standardize_fit(T->X, n, p, tr, mean, sd);
    if (!rc) prc_standardize_apply(T->X, n, p, mean, sd, Z);
    if (!rc && m == 1) {
      rc = prc_logreg_fit(Z, T->y, tr, n, p, prc_opts_real(o, "study_l2"), (int)prc_opts_int(o, "study_max_iter"), 1e-10, coef, iters, NULL);
      if (!rc) prc_logreg_predict(Z, n, p, coef, q);
    }
    free(mean), free(sd), free(Z);
  }
  if (!rc)
    for (size_t i = 0; i < n; i++)
      if (te[i]) prob[i] = q[i];
  free(q);
  return rc;
}

static PetscErrorCode write_2d(prc_ctx *ctx, hid_t g, const char *name, hsize_t n0, hsize_t n1, const double *v)
{
  hsize_t d[2] = {n0, n1}, s[2] = {0, 0}, c[2] = {ctx->rank ? 0 : n0, ctx->rank ? 0 : n1};
  PetscFunctionBeginUser;
  PetscCall(prc_h5_write_nd(g, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, d, s, c, v));
  PetscFunctionReturn(0);
}

#define NEXTRA 2 /* brier, logloss after the PRC_SC_COUNT scores */
#define NSC (PRC_SC_COUNT + NEXTRA)

/* All scores of the pooled forecasts (rows with use) into v[NSC]. */
static int pooled_scores(const double *prob, const double *y, const unsigned char *use, size_t n, double thr, double *v, prc_ctable *ct,
                         double *sbuf, double *obuf, int probabilities)
{
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (use[i]) sbuf[k] = prob[i], obuf[k] = y[i], k++;
  if (prc_eval_point(sbuf, obuf, NULL, NULL, k, thr, v, ct)) return 1;
  if (!probabilities) { /* an external score: Brier and log-loss only if it is a probability */
    int p01 = 1;
    for (size_t i = 0; i < k && p01; i++) p01 = sbuf[i] >= 0 && sbuf[i] <= 1;
    if (!p01) return v[PRC_SC_COUNT] = v[PRC_SC_COUNT + 1] = NAN, 0;
  }
  return prc_brier_logloss(sbuf, obuf, NULL, k, &v[PRC_SC_COUNT], &v[PRC_SC_COUNT + 1]);
}

static const char *score_label(int s)
{
  return s < PRC_SC_COUNT ? prc_score_name(s) : s == PRC_SC_COUNT ? "brier" : "logloss";
}

static PetscErrorCode study_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  const char     *out = prc_opts_string(o, "out_dir");
  char            path[4200], msg[5000] = "";
  table           T;
  PetscFunctionBeginUser;
  PetscCall(table_read(ctx, prc_opts_string(o, "study_input"), prc_opts_string(o, "study_features"), &T));
  const size_t n = T.n;
  int          use_model[MAXM] = {0, 0};
  const char  *model_name[MAXM];
  static external X[MAXEXT];
  int             nx = 0;
  for (int m = 0; m < NMODEL; m++) model_name[m] = builtin_name[m];
  unsigned char *avail; /* rows every external model forecasts: the only possible test rows */
  PetscCall(PetscMalloc1(n, &avail));
  for (size_t i = 0; i < n; i++) avail[i] = 1;
  if (strcmp(prc_opts_string(o, "study_external"), "none")) {
    char eb[4096], *sv = NULL;
    snprintf(eb, sizeof eb, "%s", prc_opts_string(o, "study_external"));
    for (char *t = strtok_r(eb, ",", &sv); t && nx < MAXEXT; t = strtok_r(NULL, ",", &sv), nx++) {
      char *eq = strchr(t, '=');
      *eq = 0;
      snprintf(X[nx].name, sizeof X[nx].name, "%s", t), snprintf(X[nx].path, sizeof X[nx].path, "%s", eq + 1);
      PetscCall(external_read(ctx, &T, &X[nx]));
      PetscCheck(X[nx].nmatch > 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
                 "-study_external %s: no row of '%s' has the cell and time of a row of '%s' (same grid and times needed)", X[nx].name, X[nx].path,
                 prc_opts_string(o, "study_input"));
      for (size_t i = 0; i < n; i++) avail[i] &= X[nx].have[i];
      model_name[NMODEL + nx] = X[nx].name, use_model[NMODEL + nx] = 1;
    }
  }
  const int NM = NMODEL + nx;
  size_t    navail = 0;
  for (size_t i = 0; i < n; i++) navail += avail[i];
  {
    char buf[256], *save = NULL;
    snprintf(buf, sizeof buf, "%s", prc_opts_string(o, "study_models"));
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
      for (int m = 0; m < NMODEL; m++) use_model[m] |= !strcmp(t, model_name[m]);
  }
  PetscCheck(!(use_model[1] || use_model[2]) || T.p > 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "the logistic and mlp models need feature columns; '%s' has none",
             prc_opts_string(o, "study_input"));
  /* ---- splits ---- */
  double tmin = INFINITY, tmax = -INFINITY, H = T.horizon_days * PRC_DAY, D = prc_opts_real(o, "study_test_days") * PRC_DAY;
  for (size_t i = 0; i < n; i++) tmin = fmin(tmin, T.time[i]), tmax = fmax(tmax, T.time[i]);
  double      t1;
  const char *ts = prc_opts_string(o, "study_test_start");
  if (!strcmp(ts, "auto")) t1 = tmin + 0.5 * (tmax - tmin);
  else prc_time_parse(ts, &t1);
  char a0[32], a1[32];
  prc_time_format(tmin, a0, sizeof a0), prc_time_format(tmax, a1, sizeof a1);
  PetscCheck(t1 > tmin + H && t1 <= tmax, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE,
             "-study_test_start %s: must leave training rows before it (table %s .. %s, horizon %g days) and test rows after it", ts, a0, a1,
             T.horizon_days);
  int ns = (int)ceil((tmax - t1) / D + 1e-12);
  if (t1 + ns * D <= tmax) ns++;
  PetscCheck(ns >= 1 && ns <= 100000, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "%d splits: check -study_test_days", ns);
  double trd = prc_opts_real(o, "study_train_days") * PRC_DAY;
  /* per split: [train_start, train_end(label cut), test_start, test_end, n_train, n_test, pos_train, pos_test, fitted] */
  double        *sp;
  unsigned char *tr, *te, *tested;
  int           *split_of;
  PetscCall(PetscCalloc1((size_t)ns * 9, &sp));
  PetscCall(PetscMalloc3(n, &tr, n, &te, n, &tested));
  PetscCall(PetscMalloc1(n, &split_of));
  for (size_t i = 0; i < n; i++) split_of[i] = -1, tested[i] = 0;
  int minpos = (int)prc_opts_int(o, "study_min_train_pos"), nskip = 0;
  for (int k = 0; k < ns; k++) {
    double s0 = t1 + k * D, s1 = s0 + D, r0 = trd > 0 ? s0 - trd : tmin;
    double *q = sp + (size_t)k * 9;
    q[0] = r0, q[1] = s0 - H, q[2] = s0, q[3] = s1;
    for (size_t i = 0; i < n; i++) {
      if (T.time[i] >= r0 && T.time[i] + H <= s0) q[4]++, q[6] += T.y[i];
      if (T.time[i] >= s0 && T.time[i] < s1 && avail[i]) q[5]++, q[7] += T.y[i];
    }
    q[8] = q[4] > 0 && q[5] > 0 && q[6] >= minpos;
    if (!q[8]) nskip++;
    for (size_t i = 0; i < n && q[8]; i++)
      if (T.time[i] >= s0 && T.time[i] < s1 && avail[i]) split_of[i] = k, tested[i] = 1;
  }
  size_t ntest = 0;
  double npos = 0;
  for (size_t i = 0; i < n; i++) ntest += tested[i], npos += tested[i] ? T.y[i] : 0;
  PetscCheck(ntest > 0 && npos > 0 && npos < (double)ntest, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE,
             "the usable splits have %zu test rows with %g positives: nothing to evaluate (check -study_test_start, -study_test_days, "
             "-study_min_train_pos)",
             ntest, npos);
  /* ---- fit: split k on rank k mod size ---- */
  double *prob, *coef;
  int     q1 = T.p + 1, ok = 1;
  PetscCall(PetscMalloc1((size_t)NM * n, &prob));
  PetscCall(PetscCalloc1((size_t)ns * q1 + 1, &coef));
  int *iters;
  PetscCall(PetscCalloc1(ns + 1, &iters));
  for (size_t i = 0; i < (size_t)NM * n; i++) prob[i] = 0;
  for (int k = ctx->rank; k < ns && ok; k += ctx->size) {
    double *q = sp + (size_t)k * 9;
    if (!q[8]) continue;
    for (size_t i = 0; i < n; i++) {
      tr[i] = T.time[i] >= q[0] && T.time[i] + H <= q[2];
      te[i] = split_of[i] == k;
    }
    for (int m = 0; m < 2 && ok; m++)
      if (use_model[m] && fit_split(&T, m, k, tr, te, o, prob + (size_t)m * n, coef + (size_t)k * q1, &iters[k])) {
        prc_time_format(q[2], a0, sizeof a0);
        snprintf(msg, sizeof msg, "split %d (test from %s), model %s: %s", k, a0, model_name[m], prc_lasterr());
        ok = 0;
      }
  }
  { /* agree on failure before any collective */
    int first = ok ? ctx->size : ctx->rank;
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, ctx->comm));
    if (first < ctx->size) {
      PetscCallMPI(MPI_Bcast(msg, sizeof msg, MPI_CHAR, first, ctx->comm));
      SETERRQ(ctx->comm, PETSC_ERR_LIB, "%s", msg);
    }
  }
  /* the MLP: every split fitted by all ranks together (data-parallel); the split's owner keeps
   * the forecasts, so that the sum below counts them once */
  if (use_model[2]) {
    double *q, *mean, *sd, *Z;
    PetscCall(PetscMalloc4(n, &q, (size_t)T.p + 1, &mean, (size_t)T.p + 1, &sd, n * (size_t)T.p + 1, &Z));
    prc_progress prog;
    prc_progress_start(&prog, ctx->comm, "study", "mlp splits", "splits", ns, 0, prc_opts_bool(o, "quiet"));
    for (int k = 0; k < ns; k++) {
      double *s9 = sp + (size_t)k * 9;
      if (!s9[8]) continue;
      for (size_t i = 0; i < n; i++) tr[i] = T.time[i] >= s9[0] && T.time[i] + H <= s9[2];
      PetscCheck(!prc_standardize_fit(T.X, n, T.p, tr, mean, sd), ctx->comm, PETSC_ERR_LIB, "split %d, model mlp: %s", k, prc_lasterr());
      prc_standardize_apply(T.X, n, T.p, mean, sd, Z);
      PetscCall(fit_mlp(ctx->comm, Z, T.y, tr, n, T.p, o, prc_hash4((uint64_t)prc_opts_int(o, "seed"), 0x6d6c70, (uint64_t)k, 0), q));
      if (k % ctx->size == ctx->rank)
        for (size_t i = 0; i < n; i++)
          if (split_of[i] == k) prob[2 * n + i] = q[i];
      prc_progress_update(&prog, k + 1);
    }
    prc_progress_end(&prog);
    PetscCall(PetscFree4(q, mean, sd, Z));
  }
  /* exactly one rank wrote each forecast (the owner of its split), the others hold 0 */
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, prob, (int)(NMODEL * n), MPI_DOUBLE, MPI_SUM, ctx->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, coef, ns * q1, MPI_DOUBLE, MPI_SUM, ctx->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, iters, ns, MPI_INT, MPI_SUM, ctx->comm));
  for (int x = 0; x < nx; x++) /* external models: their scores as given (no fitting) */
    for (size_t i = 0; i < n; i++) prob[(size_t)(NMODEL + x) * n + i] = X[x].score[i];
  for (size_t i = 0; i < n; i++)
    if (!tested[i])
      for (int m = 0; m < NM; m++) prob[(size_t)m * n + i] = NAN;

  /* ---- scores: pooled, per split; bootstrap replicates split over ranks ---- */
  double thr = prc_opts_real(o, "study_threshold");
  if (thr < 0) /* the training positive rate of the first used split */
    for (int k = 0; k < ns; k++)
      if (sp[(size_t)k * 9 + 8]) {
        thr = sp[(size_t)k * 9 + 6] / sp[(size_t)k * 9 + 4];
        break;
      }
  long    B = prc_opts_int(o, "study_boot");
  double  level = prc_opts_real(o, "study_level");
  double *val, *lo, *hi, *ps, *sbuf, *obuf, *tw;
  PetscCall(PetscMalloc3((size_t)NM * NSC, &val, (size_t)NM * NSC, &lo, (size_t)NM * NSC, &hi));
  PetscCall(PetscMalloc4((size_t)NM * ns * 3, &ps, ntest, &sbuf, ntest, &obuf, ntest, &tw));
  prc_ctable ct[MAXM];
  for (int m = 0; m < NM; m++) {
    double *v = val + (size_t)m * NSC;
    for (int s = 0; s < NSC; s++) v[s] = lo[m * NSC + s] = hi[m * NSC + s] = NAN;
    for (int k = 0; k < ns; k++) ps[((size_t)m * ns + k) * 3] = ps[((size_t)m * ns + k) * 3 + 1] = ps[((size_t)m * ns + k) * 3 + 2] = NAN;
    if (!use_model[m]) continue;
    const double *pm = prob + (size_t)m * n;
    PetscCheck(!pooled_scores(pm, T.y, tested, n, thr, v, &ct[m], sbuf, obuf, m < NMODEL), ctx->comm, PETSC_ERR_LIB, "scores of %s: %s", model_name[m],
               prc_lasterr());
    for (int k = 0; k < ns; k++) { /* per split: AUC, Brier, ASS */
      size_t c = 0;
      for (size_t i = 0; i < n; i++)
        if (split_of[i] == k) sbuf[c] = pm[i], obuf[c] = T.y[i], c++;
      double *w = ps + ((size_t)m * ns + k) * 3, e[PRC_SC_COUNT], ll;
      if (c && !prc_eval_point(sbuf, obuf, NULL, NULL, c, thr, e, NULL)) w[0] = e[PRC_SC_AUC], w[2] = e[PRC_SC_ASS];
      if (c) prc_brier_logloss(sbuf, obuf, NULL, c, &w[1], &ll);
    }
    if (B > 0) { /* replicates [b0, b1) on this rank; Brier/logloss replicates computed the same way */
      long    b0 = B * ctx->rank / ctx->size, b1 = B * (ctx->rank + 1) / ctx->size;
      double *reps, *all;
      size_t  c = 0;
      for (size_t i = 0; i < n; i++)
        if (tested[i]) sbuf[c] = pm[i], obuf[c] = T.y[i], c++;
      PetscCall(PetscMalloc1((size_t)(b1 - b0) * PRC_SC_COUNT + 1, &reps));
      PetscCheck(!prc_eval_boot_reps(sbuf, obuf, NULL, NULL, c, &thr, 1, (uint64_t)prc_opts_int(o, "seed"), b0, b1, reps), PETSC_COMM_SELF,
                 PETSC_ERR_LIB, "bootstrap of %s: %s", model_name[m], prc_lasterr());
      int *cnt, *dsp;
      PetscCall(PetscMalloc2(ctx->size, &cnt, ctx->size, &dsp));
      for (int r = 0; r < ctx->size; r++) {
        long r0 = B * r / ctx->size, r1 = B * (r + 1) / ctx->size;
        cnt[r] = (int)((r1 - r0) * PRC_SC_COUNT), dsp[r] = (int)(r0 * PRC_SC_COUNT);
      }
      PetscCall(PetscMalloc1((size_t)B * PRC_SC_COUNT, &all));
      PetscCallMPI(MPI_Allgatherv(reps, cnt[ctx->rank], MPI_DOUBLE, all, cnt, dsp, MPI_DOUBLE, ctx->comm));
      for (int s = 0; s < PRC_SC_COUNT; s++) prc_percentile_ci(all + s, B, PRC_SC_COUNT, level, &lo[m * NSC + s], &hi[m * NSC + s], NULL);
      PetscCall(PetscFree(all));
      PetscCall(PetscFree2(cnt, dsp));
      PetscCall(PetscFree(reps));
    }
  }
  /* ---- output file ---- */
  PetscCheck((size_t)snprintf(path, sizeof path, "%s/study.h5", out) < sizeof path, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "output path too long");
  prc_h5out f;
  hid_t     g;
  PetscCall(prc_h5_create(ctx->comm, path, "study", &f));
  PetscCall(prc_h5_group(f.fid, "splits", &g));
  PetscCall(write_2d(ctx, g, "table", (hsize_t)ns, 9, sp));
  PetscCall(prc_h5_attr_str(g, "columns", "train_start, train_label_end (= test_start - horizon), test_start, test_end (UTC s), n_train, "
                                          "n_test, positives_train, positives_test, used (0: skipped, too few training positives)"));
  H5Gclose(g);
  PetscCall(prc_h5_group(f.fid, "rows", &g));
  PetscCall(prc_h5_write_col(ctx->comm, g, "cell", H5T_NATIVE_DOUBLE, n, T.cell));
  PetscCall(prc_h5_write_col(ctx->comm, g, "time", H5T_NATIVE_DOUBLE, n, T.time));
  PetscCall(prc_h5_write_col(ctx->comm, g, "observed", H5T_NATIVE_DOUBLE, n, T.y));
  PetscCall(prc_h5_write_col(ctx->comm, g, "split", H5T_NATIVE_INT, n, split_of));
  H5Gclose(g);
  const char *snames[NSC];
  for (int s = 0; s < NSC; s++) snames[s] = score_label(s);
  for (int m = 0; m < NM; m++) {
    if (!use_model[m]) continue;
    char gn[96];
    snprintf(gn, sizeof gn, "models/%s", model_name[m]);
    PetscCall(prc_h5_group(f.fid, gn, &g));
    if (m >= NMODEL) {
      PetscCall(prc_h5_attr_str(g, "external_source", X[m - NMODEL].path));
      PetscCall(prc_h5_attr_str(g, "external", "scores read from external_source (not fitted by the study); rows joined by cell and time"));
    }
    PetscCall(prc_h5_write_col(ctx->comm, g, "probability", H5T_NATIVE_DOUBLE, n, prob + (size_t)m * n));
    PetscCall(prc_h5_write_col(ctx->comm, g, "score_value", H5T_NATIVE_DOUBLE, NSC, val + (size_t)m * NSC));
    PetscCall(prc_h5_write_col(ctx->comm, g, "score_ci_low", H5T_NATIVE_DOUBLE, NSC, lo + (size_t)m * NSC));
    PetscCall(prc_h5_write_col(ctx->comm, g, "score_ci_high", H5T_NATIVE_DOUBLE, NSC, hi + (size_t)m * NSC));
    PetscCall(write_2d(ctx, g, "per_split", (hsize_t)ns, 3, ps + (size_t)m * ns * 3));
    PetscCall(prc_h5_attr_str(g, "per_split_columns", "auc, brier, ass (NaN: split skipped or one class only)"));
    double c4[4] = {ct[m].a, ct[m].b, ct[m].c, ct[m].d};
    PetscCall(prc_h5_attr_doubles(g, "contingency_abcd", 4, c4));
    if (m == 1) {
      PetscCall(write_2d(ctx, g, "coefficients", (hsize_t)ns, (hsize_t)q1, coef));
      PetscCall(prc_h5_write_col(ctx->comm, g, "newton_steps", H5T_NATIVE_INT, (hsize_t)ns, iters));
      char fl[MAXF * 66] = "intercept";
      for (int j = 0; j < T.p; j++) strcat(strcat(fl, ", "), T.fname[j]);
      PetscCall(prc_h5_attr_str(g, "coefficient_names", fl));
      PetscCall(prc_h5_attr_str(g, "features", "standardised with the training rows' mean and sd of each split; NaN (undefined) -> 0"));
    }
    H5Gclose(g);
  }
  g = H5Gopen2(f.fid, "models", H5P_DEFAULT); /* made with the first model's group */
  {
    char sl[1024] = "";
    for (int s = 0; s < NSC; s++) strcat(strcat(sl, s ? ", " : ""), snames[s]);
    PetscCall(prc_h5_attr_str(g, "score_names", sl));
  }
  PetscCall(prc_h5_attr_double(g, "threshold", thr));
  PetscCall(prc_h5_attr_double(g, "ci_level", level));
  PetscCall(prc_h5_attr_int(g, "bootstrap_replicates", B));
  H5Gclose(g);
  PetscCall(prc_h5_commit(&f, ctx));

  /* ---- pictures and report (rank 0) ---- */
  int pok = 1;
  if (!ctx->rank) {
    int png = prc_opts_bool(o, "study_png");
    char rp[4200], tmp[4300];
    snprintf(rp, sizeof rp, "%s/STUDY.md", out);
    snprintf(tmp, sizeof tmp, "%s.tmp", rp);
    FILE *md = fopen(tmp, "w");
    if (!md) pok = 0, snprintf(msg, sizeof msg, "cannot write '%s'", tmp);
    if (md) {
      fprintf(md, "# Walk-forward study\n\nInput `%s`: %zu rows (cell × time), %d feature(s), label horizon %g days.\n\n", prc_opts_string(o, "study_input"),
              n, T.p, T.horizon_days);
      fprintf(md, "%d split(s) of %g days from %s (%d skipped: fewer than %d training positives); training window %s; labels of training rows "
                  "end before each test start. Pooled test rows: %zu, %g positive. Alarm threshold %.4g. Intervals: %g%% bootstrap percentile, "
                  "%ld replicates.\n\n",
              ns, D / PRC_DAY, (prc_time_format(t1, a0, sizeof a0), a0), nskip, minpos, trd > 0 ? "sliding" : "expanding", ntest, npos, thr,
              100 * level, B);
      if (nx) {
        fprintf(md, "External models (scores read, not fitted; joined by cell and time):");
        for (int x = 0; x < nx; x++) fprintf(md, "%s `%s` = `%s` (%zu rows matched)", x ? "," : "", X[x].name, X[x].path, X[x].nmatch);
        fprintf(md, ". Test rows are limited to the %zu of %zu rows that every external model forecasts; the built-in models train on all "
                    "rows as usual. Brier and log-loss are given only for scores in [0, 1].\n\n",
                navail, n);
      }
      fprintf(md, "| model | AUC | Molchan ASS | gain | POD | POFD | R (HK) | Brier | log-loss |\n|---|---|---|---|---|---|---|---|---|\n");
      int show[8] = {PRC_SC_AUC, PRC_SC_ASS, PRC_SC_GAIN, PRC_SC_POD, PRC_SC_POFD, PRC_SC_HK, PRC_SC_COUNT, PRC_SC_COUNT + 1};
      for (int m = 0; m < NM; m++) {
        if (!use_model[m]) continue;
        fprintf(md, "| %s%s |", model_name[m], m >= NMODEL ? " (external)" : "");
        for (int c = 0; c < 8; c++) {
          int s = show[c];
          if (s < PRC_SC_COUNT && B > 0) fprintf(md, " %.3f [%.3f, %.3f] |", val[m * NSC + s], lo[m * NSC + s], hi[m * NSC + s]);
          else fprintf(md, " %.4f |", val[m * NSC + s]);
        }
        fprintf(md, "\n");
      }
      fprintf(md, "\nPer split (AUC):\n\n| test from | n test | positives |");
      for (int m = 0; m < NM; m++)
        if (use_model[m]) fprintf(md, " %s |", model_name[m]);
      fprintf(md, "\n|---|---|---|");
      for (int m = 0; m < NM; m++)
        if (use_model[m]) fprintf(md, "---|");
      fprintf(md, "\n");
      for (int k = 0; k < ns; k++) {
        prc_time_format(sp[(size_t)k * 9 + 2], a0, sizeof a0);
        fprintf(md, "| %.10s | %g | %g |", a0, sp[(size_t)k * 9 + 5], sp[(size_t)k * 9 + 7]);
        for (int m = 0; m < NM; m++)
          if (use_model[m]) fprintf(md, " %.3f |", ps[((size_t)m * ns + k) * 3]);
        fprintf(md, "\n");
      }
      if (png) fprintf(md, "\n![ROC](study_roc.png) ![Molchan](study_molchan.png)\n\n![AUC by split](study_auc_splits.png)\n");
      if (fclose(md) || rename(tmp, rp)) pok = 0, snprintf(msg, sizeof msg, "cannot write '%s'", rp);
    }
    if (png && pok) {
      prc_series rs[MAXM + 1], msr[MAXM + 1], as[MAXM];
      double    *rx[MAXM] = {0}, *ry[MAXM] = {0}, *rt[MAXM] = {0}, *mx[MAXM] = {0}, *my[MAXM] = {0}, *kx, diag[2] = {0, 1}, rdiag[2] = {1, 0};
      char       lab[MAXM][96], lab2[MAXM][96];
      int        nr = 0, na = 0;
      PetscCall(PetscMalloc1(ns, &kx));
      for (int k = 0; k < ns; k++) kx[k] = sp[(size_t)k * 9 + 2] / (365.2425 * PRC_DAY) + 1970;
      for (int m = 0; m < NM && pok; m++) {
        if (!use_model[m]) continue;
        size_t c = 0, np1, nm;
        for (size_t i = 0; i < n; i++)
          if (tested[i]) sbuf[c] = prob[(size_t)m * n + i], obuf[c] = T.y[i], tw[c] = 1, c++;
        PetscCall(PetscMalloc5(c + 1, &rx[m], c + 1, &ry[m], c + 1, &rt[m], c + 1, &mx[m], c + 1, &my[m]));
        if (prc_roc(sbuf, obuf, NULL, c, rt[m], rx[m], ry[m], &np1) || prc_molchan(sbuf, obuf, tw, c, rt[m], mx[m], my[m], &nm)) {
          pok = 0, snprintf(msg, sizeof msg, "%s", prc_lasterr());
          break;
        }
        snprintf(lab[m], sizeof lab[m], "%s (AUC %.3f)", model_name[m], val[m * NSC + PRC_SC_AUC]);
        snprintf(lab2[m], sizeof lab2[m], "%s (ASS %.3f)", model_name[m], val[m * NSC + PRC_SC_ASS]);
        rs[nr] = (prc_series){rx[m], ry[m], (int)np1, lab[m], 0};
        msr[nr] = (prc_series){mx[m], my[m], (int)nm, lab2[m], 0};
        nr++;
        as[na++] = (prc_series){kx, ps + (size_t)m * ns * 3, ns, model_name[m], 0};
      }
      if (pok) {
        /* per-split AUC: stride 3 in ps -> copy into a contiguous buffer per model */
        double *ay[MAXM] = {0};
        for (int q = 0, m = 0; m < NM; m++) {
          if (!use_model[m]) continue;
          PetscCall(PetscMalloc1(ns, &ay[m]));
          for (int k = 0; k < ns; k++) ay[m][k] = ps[((size_t)m * ns + k) * 3];
          as[q++].y = ay[m];
        }
        rs[nr] = (prc_series){diag, diag, 2, "random", 0x808080};
        msr[nr] = (prc_series){diag, rdiag, 2, "random guess", 0x808080};
        prc_lines_style ls = {.title = "ROC of the pooled walk-forward test forecasts", .xlabel = "POFD (false alarm rate)", .ylabel = "POD (hit rate)",
                              .width = 600, .height = 560, .xmin = 0, .xmax = 1, .ymin = 0, .ymax = 1};
        snprintf(path, sizeof path, "%s/study_roc.png", out);
        if (prc_plot_lines_png(path, rs, nr + 1, &ls)) pok = 0;
        prc_lines_style lm = {.title = "Molchan diagram (each unit weighted equally)", .xlabel = "tau (fraction of units alarmed)", .ylabel = "nu (miss rate)",
                              .width = 600, .height = 560, .xmin = 0, .xmax = 1, .ymin = 0, .ymax = 1};
        snprintf(path, sizeof path, "%s/study_molchan.png", out);
        if (pok && prc_plot_lines_png(path, msr, nr + 1, &lm)) pok = 0;
        prc_lines_style la = {.title = "AUC per test period", .xlabel = "test period start (year)", .ylabel = "AUC", .width = 800, .height = 400,
                              .ymin = 0, .ymax = 1, .hline_on = 1, .hline = 0.5};
        snprintf(path, sizeof path, "%s/study_auc_splits.png", out);
        if (pok && prc_plot_lines_png(path, as, na, &la)) pok = 0;
        if (!pok) snprintf(msg, sizeof msg, "picture: %s", prc_lasterr());
        for (int m = 0; m < NM; m++) PetscCall(PetscFree(ay[m]));
      }
      for (int m = 0; m < NM; m++)
        if (rx[m]) PetscCall(PetscFree5(rx[m], ry[m], rt[m], mx[m], my[m]));
      PetscCall(PetscFree(kx));
    }
  }
  PetscCallMPI(MPI_Bcast(&pok, 1, MPI_INT, 0, ctx->comm));
  PetscCallMPI(MPI_Bcast(msg, sizeof msg, MPI_CHAR, 0, ctx->comm));
  PetscCheck(pok, ctx->comm, PETSC_ERR_FILE_WRITE, "study report in '%s': %s", out, msg);
  if (nx) prc_say(ctx->comm, "[study] %d external model(s); test rows limited to the %zu of %zu rows every one of them forecasts\n", nx, navail, n);
  for (int m = 0; m < NM; m++)
    if (use_model[m])
      prc_say(ctx->comm, "[study] %-11s AUC %.3f [%.3f, %.3f]  ASS %.3f  Brier %.4f  (%zu test rows, %g positive, %d splits, %d skipped)\n",
              model_name[m], val[m * NSC + PRC_SC_AUC], lo[m * NSC + PRC_SC_AUC], hi[m * NSC + PRC_SC_AUC], val[m * NSC + PRC_SC_ASS],
              val[m * NSC + PRC_SC_COUNT], ntest, npos, ns, nskip);
  prc_say(ctx->comm, "[study] outputs in %s/ (study.h5 STUDY.md%s)\n", out, prc_opts_bool(o, "study_png") ? " study_roc.png study_molchan.png study_auc_splits.png" : "");
  PetscCall(PetscFree3(val, lo, hi));
  PetscCall(PetscFree4(ps, sbuf, obuf, tw));
  PetscCall(PetscFree(iters));
  PetscCall(PetscFree(coef));
  PetscCall(PetscFree(prob));
  PetscCall(PetscFree(split_of));
  PetscCall(PetscFree3(tr, te, tested));
  PetscCall(PetscFree(sp));
  for (int x = 0; x < nx; x++) PetscCall(PetscFree2(X[x].score, X[x].have));
  PetscCall(PetscFree(avail));
  table_free(&T);
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_study = {"study", "walk-forward retrospective study: climatology and logistic baselines on a feature table, pooled skill with intervals",
                                   study_opts, (int)(sizeof study_opts / sizeof study_opts[0]), study_validate, study_run};

/* stage_thermal_score.c — `precursor thermal-score`: a trained thermal image model (model.h5 of
 * `train` on thermal-samples crops: DRSN-CW, CNN, ResNet of paper 001) applied to the LST
 * crops centred on every cell of a forecast grid, day by day, as a forecast table (kind
 * "forecast") for `evaluate` and `study -study_external` (docs/THERMAL.md "On the study grid").
 *
 * Unit = (cell, time t): score = the largest P(class -tsc_class) of the cell's crop on the days
 * d with t − L ≤ time[d] < t (forecast_grid.h). The crop is W × W (W = the model's input), centred
 * on the pixel nearest the cell centre, scaled per image as thermal-samples does (no-data pixels
 * 0 after scaling); a crop with a valid fraction below -tsc_min_valid is not scored that day.
 *
 * Leakage: the model must not have seen labels from inside a test window. thermal-samples
 * records `info_end` (the latest time its images and labels depend on) in each file; this stage
 * finds the training files among model.h5's provenance inputs and refuses units before the
 * latest info_end (-tsc_info_end auto), or takes a date the user vouches for.
 *
 * Parallel plan: the days are split in contiguous blocks over the ranks; each rank reads its days
 * (one collective tile read per day, ranks without a day take part with an empty one), cuts and
 * scales the crops and predicts them in eval mode (per-sample GEMMs: batch-independent bits); the
 * per-(day, cell) probabilities are combined with MPI_MAX over −1 placeholders (exact), so the
 * table is identical on any rank count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/decomp.h"
#include "precursor/error.h"
#include "precursor/forecast_grid.h"
#include "precursor/lst_stack.h"
#include "precursor/model_h5.h"
#include "precursor/progress.h"
#include "precursor/stage.h"
#include "precursor/thermal_samples.h"
#include "precursor/timeutil.h"

static const prc_opt_spec tsc_opts[] = {
  {"tsc_model", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "trained image model (model.h5 of train on thermal-samples crops, input 1 x W x W)"},
  {"tsc_input", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "LST stack (grid file: daily steps on a regular lat/lon grid, e.g. synth's lst.h5)"},
  {"tsc_var", PRC_OPT_STRING, "lst", PRC_NO_RANGE, "dataset of the stack in the input file"},
  {"tsc_scale", PRC_OPT_STRING, "auto", PRC_NO_RANGE, "per-image scaling: auto (that of the model's training set), zscore, minmax or none"},
  {"tsc_class", PRC_OPT_INT, "1", 0, 1000, "the score is the probability of this class (1 = earthquake in thermal-samples)"},
  {"tsc_min_valid", PRC_OPT_REAL, "0.2", 0, 1, "a crop with a smaller fraction of valid (cloud-free, in-grid) pixels is not scored that day"},
  {"tsc_info_end", PRC_OPT_STRING, "auto", PRC_NO_RANGE,
   "end of the model's training information: auto (info_end of the thermal-samples files among model.h5's inputs), a date, or none (no check)"},
  {"tsc_batch", PRC_OPT_INT, "256", 1, 1e6, "inference batch (crops)"},
  PRC_FCGRID_OPTS("tsc", "5", "10"),
};

static void tsc_validate(prc_opts *o)
{
  const char *sc = prc_opts_string(o, "tsc_scale"), *ie = prc_opts_string(o, "tsc_info_end");
  double      t;
  if (strcmp(sc, "auto") && strcmp(sc, "zscore") && strcmp(sc, "minmax") && strcmp(sc, "none"))
    prc_opts_violation(o, "-tsc_scale '%s': expected auto, zscore, minmax or none", sc);
  if (strcmp(ie, "auto") && strcmp(ie, "none") && prc_time_parse(ie, &t)) prc_opts_violation(o, "-tsc_info_end '%s': expected auto, none or a date", ie);
  prc_fc_validate(o, "tsc");
}

/* The thermal-samples specifics of a model's training sets (prc_fc_training_info): their scaling
 * ("" if none) and crop (0 if none). */
typedef struct {
  char scale[64];
  int  crop;
} tsc_train;

static PetscErrorCode tsc_trainset(hid_t fid, const char *path, void *arg)
{
  tsc_train *t = arg;
  char       sc[64] = "";
  int        fs;
  PetscFunctionBeginUser;
  (void)path;
  PetscCall(prc_h5_attr_get_str(fid, "scaling", sc, sizeof sc, &fs));
  if (fs) snprintf(t->scale, sizeof t->scale, "%s", sc);
  if (H5Aexists(fid, "crop") > 0) {
    long long c = 0;
    hid_t     a = H5Aopen(fid, "crop", H5P_DEFAULT);
    if (a >= 0 && H5Aread(a, H5T_NATIVE_LLONG, &c) >= 0) t->crop = (int)c;
    if (a >= 0) H5Aclose(a);
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode tsc_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  const char     *in = prc_opts_string(o, "tsc_input"), *mp = prc_opts_string(o, "tsc_model"), *ies = prc_opts_string(o, "tsc_info_end");
  const int       cls = (int)prc_opts_int(o, "tsc_class"), batch = (int)prc_opts_int(o, "tsc_batch");
  const double    minv = prc_opts_real(o, "tsc_min_valid");
  prc_fc_params   P;
  PetscFunctionBeginUser;
  prc_fc_params_get(o, "tsc", &P);
  /* the model: one input 1 x W x W, at least cls + 1 classes */
  prc_model *m;
  PetscCall(prc_ctx_add_input(ctx, mp));
  PetscCall(prc_model_h5_load(ctx->comm, mp, &m));
  int nd, sh[8], K;
  PetscCheck(prc_model_ninputs(m) == 1 && !prc_model_input_shape(m, 0, &nd, sh) && nd == 3 && sh[0] == 1 && sh[1] == sh[2], ctx->comm,
             PETSC_ERR_FILE_UNEXPECTED, "'%s': expected a model with one input of shape 1 x W x W (an image model trained on thermal-samples crops)", mp);
  const int    W  = sh[1];
  const size_t WW = (size_t)W * (size_t)W;
  PetscCall(prc_model_output_width(m, &K));
  PetscCheck(cls < K, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "-tsc_class %d: '%s' has %d classes", cls, mp, K);
  /* leakage: the end of the training information */
  double    ie = -INFINITY;
  int       nfiles;
  tsc_train tt = {"", 0};
  PetscCall(prc_fc_training_info(ctx, mp, "thermal-samples", NULL, NULL, "tsc_info_end", tsc_trainset, &tt, &ie, &nfiles));
  const char *tscale = tt.scale;
  const int   tcrop  = tt.crop;
  if (!strcmp(ies, "auto"))
    PetscCheck(nfiles > 0, ctx->comm, PETSC_ERR_ARG_WRONGSTATE,
               "'%s': none of its training inputs (provenance) is a readable thermal-samples file, so the end of its training information is "
               "unknown; give -tsc_info_end DATE (the latest time its images and labels depend on), or none to score without the check",
               mp);
  else if (!strcmp(ies, "none")) ie = -INFINITY;
  else prc_time_parse(ies, &ie);
  PetscCheck(!tcrop || tcrop == W, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s' has input %d x %d but its training set's crops are %d x %d", mp, W, W, tcrop,
             tcrop);
  const char *scn = prc_opts_string(o, "tsc_scale");
  if (!strcmp(scn, "auto")) {
    PetscCheck(tscale[0], ctx->comm, PETSC_ERR_ARG_WRONGSTATE, "-tsc_scale auto: the scaling of '%s''s training set is unknown; give -tsc_scale", mp);
    scn = tscale;
  }
  PetscCheck(!strcmp(scn, "zscore") || !strcmp(scn, "minmax") || !strcmp(scn, "none"), ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
             "the training set's scaling '%s' is not zscore, minmax or none", scn);
  const prc_ts_scaling scaling = !strcmp(scn, "zscore") ? PRC_TS_ZSCORE : !strcmp(scn, "minmax") ? PRC_TS_MINMAX : PRC_TS_NONE;
  /* the stack and the grid */
  prc_lst_stack S;
  prc_ts_grid   tg;
  PetscCall(prc_lst_stack_open(ctx, in, prc_opts_string(o, "tsc_var"), &S));
  PetscCheck(!prc_ts_grid_init(&tg, S.tim, S.nt, S.lat, S.ny, S.lon, S.nx), ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': %s", in, prc_lasterr());
  prc_fcgrid G;
  PetscCheck(!prc_fcgrid_make(&P, S.lat[0], S.lat[S.ny - 1], S.lon[0], S.lon[S.nx - 1], &G), ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "'%s' (pixel centres): %s",
             in, prc_lasterr());
  const int64_t ncell = G.nlat * G.nlon;
  /* cells holding at least one pixel centre; the pixel nearest each cell centre */
  int64_t *cells, nc = 0;
  int     *crow, *ccol;
  char    *has;
  PetscCall(PetscCalloc1(ncell, &has));
  for (int y = 0; y < S.ny; y++)
    for (int x = 0; x < S.nx; x++) has[prc_fcgrid_cell(&G, S.lat[y], S.lon[x])] = 1;
  PetscCall(PetscMalloc3(ncell, &cells, ncell, &crow, ncell, &ccol));
  for (int64_t c = 0; c < ncell; c++)
    if (has[c]) {
      double la, lo, r, q;
      prc_fcgrid_centre(&G, c, &la, &lo);
      prc_ts_pixel(&tg, la, lo, &r, &q);
      crow[nc] = (int)fmin(fmax(lround(r), 0), S.ny - 1), ccol[nc] = (int)fmin(fmax(lround(q), 0), S.nx - 1), cells[nc++] = c;
    }
  PetscCall(PetscFree(has));
  /* unit times */
  double t0 = isfinite(P.start) ? P.start : floor(S.tim[0] / PRC_DAY) * PRC_DAY + P.L;
  if (!isfinite(P.start) && isfinite(ie) && t0 < ie) t0 += ceil((ie - t0) / P.step) * P.step;
  const double t_end = S.tim[S.nt - 1] + PRC_DAY;
  char         b0[32], b1[32];
  prc_time_format(t0, b0, sizeof b0), prc_time_format(ie, b1, sizeof b1);
  PetscCheck(!(t0 < ie), ctx->comm, PETSC_ERR_ARG_OUTOFRANGE,
             "-tsc_start %s is before the end of the training information of '%s' (%s): units before it would be scored by a model that saw their "
             "labels",
             b0, mp, b1);
  PetscCheck(t0 <= t_end, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "the first unit (%s) is after the stack '%s' (its last day + 1)", b0, in);
  /* the days that some unit's lookback can see: time in [t0 - L, t_end) */
  int da = 0;
  while (da < S.nt && S.tim[da] < t0 - P.L) da++;
  const int64_t nday = S.nt - da;
  int64_t       d0, dc;
  prc_partition_1d(nday, ctx->size, ctx->rank, &d0, &dc);
  int64_t maxdc = dc;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &maxdc, 1, MPI_INT64_T, MPI_MAX, ctx->comm));
  /* probabilities per (day, cell): -1 = not scored here */
  double *val;
  float  *img, *x, *prob;
  int64_t nb = PetscMin((int64_t)batch, nc > 0 ? nc : 1);
  PetscCheck(nday * ncell <= INT32_MAX, ctx->comm, PETSC_ERR_SUP, "%lld day x cell values exceed one MPI message; use larger cells", (long long)(nday * ncell));
  PetscCall(PetscMalloc1((size_t)(nday * ncell + 1), &val));
  for (int64_t i = 0; i < nday * ncell; i++) val[i] = -1;
  PetscCall(PetscMalloc3((size_t)S.ny * (size_t)S.nx, &img, (size_t)nb * WW, &x, (size_t)nb * (size_t)K, &prob));
  int64_t *idx;
  PetscCall(PetscMalloc1(nb, &idx));
  prc_progress prog;
  int64_t      nscored = 0, nskip = 0;
  prc_progress_start(&prog, ctx->comm, "thermal-score", "scoring crops", "days", (double)maxdc, 0, prc_opts_bool(o, "quiet"));
  for (int64_t it = 0; it < maxdc; it++) {
    prc_tile T = {0, 0, S.nx, S.ny, S.nx, S.ny};
    hsize_t  nt = it < dc ? 1 : 0;
    if (!nt) T.xm = T.ym = 0;
    const int64_t day = da + d0 + it;
    PetscCall(prc_h5_tile_read(S.dset, &T, nt ? (hsize_t)day : 0, nt, img));
    if (!nt) continue;
    for (int64_t k0 = 0; k0 < nc; k0 += nb) {
      int64_t n = 0;
      for (int64_t k = k0; k < PetscMin(nc, k0 + nb); k++) {
        int    r0, rc, ro, c0, cc, co;
        float *xo = x + (size_t)n * WW;
        prc_ts_clip(crow[k], W, S.ny, &r0, &rc, &ro);
        prc_ts_clip(ccol[k], W, S.nx, &c0, &cc, &co);
        for (size_t p = 0; p < WW; p++) xo[p] = NAN;
        for (int r = 0; r < rc; r++) memcpy(xo + (size_t)(ro + r) * (size_t)W + (size_t)co, img + (size_t)(r0 + r) * (size_t)S.nx + (size_t)c0, (size_t)cc * sizeof(float));
        const double vf = prc_ts_scale(xo, WW, scaling);
        if (vf <= 0 || vf < minv) {
          nskip++;
          continue;
        }
        idx[n++] = k;
      }
      if (!n) continue;
      PetscCall(prc_model_predict(m, x, n, batch, prob));
      for (int64_t i = 0; i < n; i++) {
        const double p = prob[(size_t)i * (size_t)K + (size_t)cls];
        PetscCheck(isfinite(p), PETSC_COMM_SELF, PETSC_ERR_FP, "'%s': non-finite probability for cell %lld on day %lld of '%s'", mp, (long long)cells[idx[i]],
                   (long long)day, in);
        val[(day - da) * ncell + cells[idx[i]]] = p;
      }
      nscored += n;
    }
    prc_progress_update(&prog, (double)(it + 1));
  }
  prc_progress_end(&prog);
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, val, (int)(nday * ncell), MPI_DOUBLE, MPI_MAX, ctx->comm));
  int64_t cnt[2] = {nscored, nskip};
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, cnt, 2, MPI_INT64_T, MPI_SUM, ctx->comm));
  for (int64_t i = 0; i < nday * ncell; i++)
    if (val[i] < 0) val[i] = NAN;
  prc_fc_units U;
  PrcCallK(prc_fc_units_lookback(&G, cells, nc, S.tim + da, nday, val, t0, t_end, P.step, P.L, &U));
  /* forecast.h5 */
  prc_h5out f;
  hid_t     g;
  char      desc[512];
  snprintf(desc, sizeof desc,
           "largest P(class %d) of the model on the %d x %d crop centred on the cell (%s scaling) on a day in [time - lookback_days, time); 0 if none; "
           "days_defined = such days with a crop of valid fraction >= %g",
           cls, W, W, scn, minv);
  PetscCall(prc_fc_write_begin(ctx, &G, &P, &U, "days_defined", desc, in, &f, &g));
  PetscCall(prc_h5_attr_str(g, "model", mp));
  PetscCall(prc_h5_attr_double(g, "info_end", ie));
  PetscCall(prc_h5_attr_str(g, "info_end_utc", isfinite(ie) ? b1 : "none (not checked)"));
  PetscCall(prc_h5_attr_int(g, "crop", W));
  char ttl[256];
  snprintf(ttl, sizeof ttl, "thermal-score: largest P(class %d) per %g-degree cell (lookback %g days)", cls, G.d, P.L / PRC_DAY);
  PetscCall(prc_fc_write_end(ctx, &G, &P, &U, &f, g, "thermal_score_map.png", ttl));
  prc_say(ctx->comm, "[thermal-score] %lld crops scored, %lld below -tsc_min_valid %g; model '%s' (%d x %d, %s scaling), training information until %s\n",
          (long long)cnt[0], (long long)cnt[1], minv, mp, W, W, scn, isfinite(ie) ? b1 : "(not checked)");
  prc_fc_say(ctx, &P, &U, "thermal_score_map.png");
  prc_fc_units_free(&U);
  PetscCall(PetscFree(idx));
  PetscCall(PetscFree3(img, x, prob));
  PetscCall(PetscFree(val));
  PetscCall(PetscFree3(cells, crow, ccol));
  PetscCall(prc_lst_stack_close(&S));
  prc_model_destroy(m);
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_thermal_score = {"thermal-score",
                                           "a trained thermal image model on the LST crops of every cell of a forecast grid: a forecast table for evaluate and study",
                                           tsc_opts, (int)(sizeof tsc_opts / sizeof tsc_opts[0]), tsc_validate, tsc_run};

/* stage_train.c — `precursor train`: data-parallel training of a model spec
 * (include/precursor/nn_model.h) on a labelled HDF5 set, with checkpoints and resume
 * (docs/NN.md "Training", "Data parallel", "Checkpoints"; schemas in docs/DATA_MODEL.md).
 *
 * Parallel plan (P ranks, global batch B, micro-batch m, M = B/m micro-batches per step):
 *   1. every rank builds the same model, initialised from -seed, and the same optimiser;
 *   2. the permutation of epoch e is a function of (seed, e): identical on every rank;
 *      step s of the epoch takes samples perm[sB .. sB+B) cut into micro-batches of m;
 *   3. rank r owns micro-batches r, r+P, ... and reads only their rows (one collective
 *      hyperslab read per step); per micro-batch: buffers reset to the step's start,
 *      forward + backward, gradient and updated BN buffers kept;
 *   4. one tiny MPI_Allreduce(MAX) of max |g|, max loss, max |buffer| (and a bad-data flag)
 *      fixes the fixed-point exponents; every micro-batch's values are added in int64, then
 *      ONE MPI_Allreduce(MPI_INT64_T, MPI_SUM) of [gradients | buffers | loss | #correct]:
 *      integer addition is exact and associative, so the mean gradient (÷ M), the new BN
 *      buffers (mean over micro-batches) and the loss are bitwise the same for any P;
 *   5. every rank applies the same optimiser step; checkpoints at step boundaries
 *      (-train_checkpoint_every, SIGUSR1/SIGTERM, -checkpoint_after_blocks = steps).
 * Ranks with fewer micro-batches add zeros and still take part in every collective. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "precursor/checkpoint.h"
#include "precursor/error.h"
#include "precursor/h5io.h"
#include "precursor/model_h5.h"
#include "precursor/nn_model.h"
#include "precursor/nn_threads.h"
#include "precursor/nn_train.h"
#include "precursor/plot.h"
#include "precursor/progress.h"
#include "precursor/rng.h"
#include "precursor/stage.h"

extern void openblas_set_num_threads(int);

#define TRAIN_CKPT_VERSION 1

static const prc_opt_spec train_opts[] = {
  {"train_model", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "model spec file (inputs/models/*.model, docs/NN.md)"},
  {"train_defines", PRC_OPT_STRING, "none", PRC_NO_RANGE, "spec substitutions NAME=VALUE separated by commas (e.g. CLASSES=4,LEN=64), or none"},
  {"train_data", PRC_OPT_STRING, "auto", PRC_NO_RANGE, "training set (HDF5 kind trainset); auto: <out_dir>/trainset.h5 written by -train_synthetic"},
  {"train_val", PRC_OPT_STRING, "auto", PRC_NO_RANGE, "validation set (kind trainset), none, or auto: <out_dir>/valset.h5 with -train_synthetic, else none"},
  {"train_synthetic", PRC_OPT_INT, "0", 0, 1e8,
   "first write a synthetic set of N training (and N/4 validation) samples shaped for the model into out_dir (0: no)"},
  {"train_synthetic_noise", PRC_OPT_REAL, "0.5", 0, 100, "noise standard deviation of the synthetic set (signal amplitude 0.5..1.5)"},
  {"train_epochs", PRC_OPT_INT, "10", 1, 1e6, "passes over the training set"},
  {"train_max_steps", PRC_OPT_INT, "0", 0, 1e12, "stop after this many optimiser steps in total (0: no limit)"},
  {"train_batch", PRC_OPT_INT, "32", 1, 1e7, "global batch (samples per optimiser step, over all ranks)"},
  {"train_micro_batch", PRC_OPT_INT, "8", 1, 1e6, "micro-batch (divides the global batch; fixes the arithmetic, not the rank count)"},
  {"train_optimizer", PRC_OPT_STRING, "adam", PRC_NO_RANGE, "sgd | adam | adamw"},
  {"train_lr", PRC_OPT_REAL, "1e-3", PRC_NO_RANGE, "base learning rate (> 0)"},
  {"train_momentum", PRC_OPT_REAL, "0.9", 0, 0.999999, "SGD momentum (0: plain SGD)"},
  {"train_dampening", PRC_OPT_REAL, "0", 0, 1, "SGD dampening"},
  {"train_nesterov", PRC_OPT_BOOL, "false", PRC_NO_RANGE, "SGD nesterov momentum"},
  {"train_beta1", PRC_OPT_REAL, "0.9", 0, 0.999999, "Adam beta1"},
  {"train_beta2", PRC_OPT_REAL, "0.999", 0, 0.999999, "Adam beta2"},
  {"train_eps", PRC_OPT_REAL, "1e-8", 1e-30, 0.1, "Adam epsilon (added outside the square root, as PyTorch)"},
  {"train_weight_decay", PRC_OPT_REAL, "0", 0, 100, "weight decay (SGD/Adam: L2 on the gradient; AdamW: decoupled)"},
  {"train_decay_all", PRC_OPT_BOOL, "false", PRC_NO_RANGE,
   "weight decay on every parameter (false: only weights of ndim >= 2, not biases or BN scale/shift)"},
  {"train_lr_schedule", PRC_OPT_STRING, "constant", PRC_NO_RANGE, "constant | step | cosine (after the linear warm-up)"},
  {"train_warmup", PRC_OPT_INT, "0", 0, 1e12, "linear warm-up steps (lr (s+1)/warmup)"},
  {"train_lr_step", PRC_OPT_INT, "1000", 1, 1e12, "step schedule: multiply the lr by gamma every this many steps"},
  {"train_lr_gamma", PRC_OPT_REAL, "0.1", PRC_NO_RANGE, "step schedule: factor in (0, 1]"},
  {"train_lr_min", PRC_OPT_REAL, "0", 0, 1e3, "cosine schedule: final learning rate"},
  {"train_checkpoint_every", PRC_OPT_INT, "0", 0, 1e12, "write a checkpoint every this many steps (0: only on a signal)"},
  {"train_keep", PRC_OPT_INT, "3", 1, 1e6, "keep the last N checkpoints"},
  {"train_resume", PRC_OPT_BOOL, "true", PRC_NO_RANGE,
   "continue from the newest complete checkpoint in <out_dir>/checkpoints (false: start over, removing them)"},
  {"train_check_reduce", PRC_OPT_BOOL, "false", PRC_NO_RANGE,
   "also average the gradients with a plain double MPI_Allreduce and report the largest difference (diagnostic)"},
  {"train_png", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "write train_loss.png and train_accuracy.png"},
  {"train_threads", PRC_OPT_INT, "1", 1, PRC_NNPOOL_MAX_THREADS,
   "threads per rank: a rank's micro-batches run on this many model replicas at once (the same bits for any count)"},
};

/* options that do not change the trained numbers (not part of the checkpoint fingerprint) */
static const char *fp_skip[] = {"out_dir", "progress_interval", "quiet", "checkpoint_after_blocks", "train_checkpoint_every",
                                "train_keep", "train_resume", "train_check_reduce", "train_png", "train_max_steps",
                                "train_epochs", "train_threads", NULL};

static unsigned long train_fingerprint(const prc_opts *o) { return prc_opts_fingerprint_skip(o, fp_skip); }

static int parse_optim(const char *s)
{
  if (!strcmp(s, "sgd")) return PRC_OPTIM_SGD;
  if (!strcmp(s, "adam")) return PRC_OPTIM_ADAM;
  if (!strcmp(s, "adamw")) return PRC_OPTIM_ADAMW;
  return -1;
}

static int parse_sched(const char *s)
{
  if (!strcmp(s, "constant")) return PRC_LR_CONSTANT;
  if (!strcmp(s, "step")) return PRC_LR_STEP;
  if (!strcmp(s, "cosine")) return PRC_LR_COSINE;
  return -1;
}

static void get_conf(const prc_opts *o, prc_optim_conf *c, prc_lr_sched *s, long long total)
{
  *c = (prc_optim_conf){.kind = (prc_optim_kind)parse_optim(prc_opts_string(o, "train_optimizer")),
                        .momentum = prc_opts_real(o, "train_momentum"), .dampening = prc_opts_real(o, "train_dampening"),
                        .nesterov = prc_opts_bool(o, "train_nesterov"), .beta1 = prc_opts_real(o, "train_beta1"),
                        .beta2 = prc_opts_real(o, "train_beta2"), .eps = prc_opts_real(o, "train_eps"),
                        .weight_decay = prc_opts_real(o, "train_weight_decay")};
  *s = (prc_lr_sched){.kind = (prc_lr_kind)parse_sched(prc_opts_string(o, "train_lr_schedule")),
                      .base = prc_opts_real(o, "train_lr"), .min_lr = prc_opts_real(o, "train_lr_min"),
                      .warmup = prc_opts_int(o, "train_warmup"), .step_size = prc_opts_int(o, "train_lr_step"),
                      .gamma = prc_opts_real(o, "train_lr_gamma"), .total = total};
}

static void train_validate(prc_opts *o)
{
  prc_optim_conf c;
  prc_lr_sched   s;
  get_conf(o, &c, &s, 1LL << 40);
  if ((int)c.kind < 0) prc_opts_violation(o, "-train_optimizer '%s': expected sgd, adam or adamw", prc_opts_string(o, "train_optimizer"));
  else if (prc_optim_check(&c)) prc_opts_violation(o, "-train_optimizer %s: %s", prc_opts_string(o, "train_optimizer"), prc_lasterr());
  if ((int)s.kind < 0) prc_opts_violation(o, "-train_lr_schedule '%s': expected constant, step or cosine", prc_opts_string(o, "train_lr_schedule"));
  else if (prc_lr_check(&s)) prc_opts_violation(o, "-train_lr/-train_lr_*: %s", prc_lasterr());
  PetscInt B = prc_opts_int(o, "train_batch"), m = prc_opts_int(o, "train_micro_batch");
  if (m > B || B % m) prc_opts_violation(o, "-train_micro_batch %d must divide -train_batch %d", (int)m, (int)B);
  if (!strcmp(prc_opts_string(o, "train_data"), "auto") && !prc_opts_int(o, "train_synthetic"))
    prc_opts_violation(o, "no training data: give -train_data FILE or -train_synthetic N");
  if (strcmp(prc_opts_string(o, "train_data"), "auto") && prc_opts_int(o, "train_synthetic"))
    prc_opts_violation(o, "-train_data and -train_synthetic exclude each other (the synthetic set is <out_dir>/trainset.h5)");
  if (prc_opts_int(o, "train_synthetic") && prc_opts_int(o, "train_synthetic") < B)
    prc_opts_violation(o, "-train_synthetic %d is smaller than one global batch (-train_batch %d)", (int)prc_opts_int(o, "train_synthetic"), (int)B);
}

/* ---------- data sets ---------- */
typedef struct {
  char    path[4096];
  hid_t   fid;
  int64_t n;
  int     soft;      /* y is (N, C) float */
  int     has_aux;
  size_t  S, A;      /* floats per sample in x, in aux */
} dataset;

static PetscErrorCode data_open(prc_ctx *ctx, const char *path, prc_model *m, int nclass, dataset *d)
{
  int     r, ni = prc_model_ninputs(m), nd, sh[8];
  hsize_t dims[8];
  char    kind[64];
  int     found;
  PetscFunctionBeginUser;
  snprintf(d->path, sizeof d->path, "%s", path);
  PetscCall(prc_h5_open(ctx->comm, path, &d->fid));
  PetscCall(prc_h5_attr_get_str(d->fid, "precursor_kind", kind, sizeof kind, &found));
  PetscCheck(found && !strcmp(kind, "trainset"), ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
             "'%s' is not a training set (attribute precursor_kind = '%s', expected 'trainset'; docs/DATA_MODEL.md)", path, found ? kind : "absent");
  PetscCall(prc_h5_dims(d->fid, "x", &r, dims));
  PrcCallK(prc_model_input_shape(m, 0, &nd, sh));
  d->n = (int64_t)dims[0];
  d->S = 1;
  int same = r == nd + 1;
  for (int i = 0; same && i < nd; i++) same = dims[i + 1] == (hsize_t)sh[i], d->S *= (size_t)sh[i];
  char want[128] = "", got[128] = "";
  for (int i = 0; i < nd; i++) snprintf(want + strlen(want), sizeof want - strlen(want), " %d", sh[i]);
  for (int i = 1; i < r; i++) snprintf(got + strlen(got), sizeof got - strlen(got), " %llu", (unsigned long long)dims[i]);
  PetscCheck(same, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
             "'%s': /x has samples of shape (%s ), the model '%s' takes input '%s' of shape (%s )", path, got, prc_model_name(m),
             prc_model_input_name(m, 0), want);
  PetscCheck(d->n > 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /x holds no samples", path);
  PetscCall(prc_h5_dims(d->fid, "y", &r, dims));
  PetscCheck((r == 1 || (r == 2 && dims[1] == (hsize_t)nclass)) && (int64_t)dims[0] == d->n, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
             "'%s': /y must be (%lld) class indices or (%lld, %d) soft targets, found rank %d with %llu rows", path, (long long)d->n,
             (long long)d->n, nclass, r, (unsigned long long)dims[0]);
  d->soft = r == 2;
  d->has_aux = ni > 1;
  d->A = 0;
  if (ni > 1) {
    PetscCheck(ni == 2, ctx->comm, PETSC_ERR_SUP, "model '%s' has %d inputs; train supports x and one auxiliary input", prc_model_name(m), ni);
    PrcCallK(prc_model_input_shape(m, 1, &nd, sh));
    PetscCheck(H5Lexists(d->fid, "aux", H5P_DEFAULT) > 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
               "'%s': the model '%s' has an auxiliary input '%s' but the file has no /aux", path, prc_model_name(m), prc_model_input_name(m, 1));
    PetscCall(prc_h5_dims(d->fid, "aux", &r, dims));
    d->A = 1;
    for (int i = 0; i < nd; i++) d->A *= (size_t)sh[i];
    PetscCheck(r == 2 && (int64_t)dims[0] == d->n && dims[1] == d->A, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
               "'%s': /aux must be (%lld, %zu), found rank %d (%llu rows)", path, (long long)d->n, d->A, r, (unsigned long long)dims[0]);
  }
  PetscCall(prc_ctx_add_input(ctx, path));
  PetscFunctionReturn(0);
}

typedef struct {
  int64_t idx;
  int     pos;
} irow;

static int cmp_irow(const void *a, const void *b)
{
  int64_t x = ((const irow *)a)->idx, y = ((const irow *)b)->idx;
  return x < y ? -1 : x > y;
}

/* Collective: read rows idx[0..n) (distinct) of dataset `name` ((N, S) of mtype of `esize`
 * bytes) into out[k*S ..] in the order given. A rank with n = 0 takes part with nothing. */
static PetscErrorCode read_rows(hid_t fid, const char *name, hid_t mtype, size_t esize, size_t S, int n, const int64_t *idx,
                                void *out, const char *path)
{
  PetscFunctionBeginUser;
  irow *o = malloc(sizeof(irow) * (size_t)(n ? n : 1));
  char *tmp = malloc(esize * S * (size_t)(n ? n : 1));
  PetscCheck(o && tmp, PETSC_COMM_SELF, PETSC_ERR_MEM, "out of memory reading %d rows of '%s'", n, path);
  for (int k = 0; k < n; k++) o[k].idx = idx[k], o[k].pos = k;
  qsort(o, (size_t)n, sizeof *o, cmp_irow);
  hid_t   d = H5Dopen2(fid, name, H5P_DEFAULT);
  PetscCheck(d >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "'%s': cannot open dataset /%s", path, name);
  hid_t   fsp = H5Dget_space(d);
  int     r = H5Sget_simple_extent_ndims(fsp);
  hsize_t dims[8], start[8] = {0}, count[8];
  H5Sget_simple_extent_dims(fsp, dims, NULL);
  for (int i = 1; i < r; i++) count[i] = dims[i];
  H5Sselect_none(fsp);
  for (int k = 0; k < n;) { /* runs of consecutive rows */
    int j = k + 1;
    while (j < n && o[j].idx == o[j - 1].idx + 1) j++;
    start[0] = (hsize_t)o[k].idx, count[0] = (hsize_t)(j - k);
    H5Sselect_hyperslab(fsp, H5S_SELECT_OR, start, NULL, count, NULL);
    k = j;
  }
  hsize_t mn = (hsize_t)n * S;
  hid_t   msp = H5Screate_simple(1, &mn, NULL);
  if (!n) H5Sselect_none(msp);
  hid_t x = H5Pcreate(H5P_DATASET_XFER);
  H5Pset_dxpl_mpio(x, H5FD_MPIO_COLLECTIVE);
  herr_t e = H5Dread(d, mtype, msp, fsp, x, tmp);
  H5Pclose(x), H5Sclose(msp), H5Sclose(fsp), H5Dclose(d);
  PetscCheck(e >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "'%s': reading %d rows of /%s failed (wrong type or corrupt file?)", path, n, name);
  for (int k = 0; k < n; k++) memcpy((char *)out + (size_t)o[k].pos * S * esize, tmp + (size_t)k * S * esize, S * esize);
  free(o), free(tmp);
  PetscFunctionReturn(0);
}

/* Local batch buffers for one set of rows: x, target (labels as float or soft), aux. */
typedef struct {
  float   *x, *t, *aux;
  int32_t *lab;
} rows;

/* Read rows idx[0..n) of d (collective); *bad = 1 + first global index with a non-finite
 * value or a label out of range (0 if none). */
static PetscErrorCode read_batch(dataset *d, int nclass, int n, const int64_t *idx, rows *b, int64_t *bad)
{
  PetscFunctionBeginUser;
  PetscCall(read_rows(d->fid, "x", H5T_NATIVE_FLOAT, sizeof(float), d->S, n, idx, b->x, d->path));
  if (d->soft) PetscCall(read_rows(d->fid, "y", H5T_NATIVE_FLOAT, sizeof(float), (size_t)nclass, n, idx, b->t, d->path));
  else PetscCall(read_rows(d->fid, "y", H5T_NATIVE_INT32, sizeof(int32_t), 1, n, idx, b->lab, d->path));
  if (d->has_aux) PetscCall(read_rows(d->fid, "aux", H5T_NATIVE_FLOAT, sizeof(float), d->A, n, idx, b->aux, d->path));
  *bad = 0;
  for (int k = 0; k < n && !*bad; k++) {
    int ok = 1;
    for (size_t j = 0; j < d->S && ok; j++) ok = isfinite(b->x[(size_t)k * d->S + j]);
    for (size_t j = 0; j < d->A && ok; j++) ok = isfinite(b->aux[(size_t)k * d->A + j]);
    if (d->soft)
      for (int j = 0; j < nclass && ok; j++) ok = isfinite(b->t[(size_t)k * nclass + j]) && b->t[(size_t)k * nclass + j] >= 0;
    else ok = b->lab[k] >= 0 && b->lab[k] < nclass, b->t[k] = (float)b->lab[k];
    if (!ok) *bad = idx[k] + 1;
  }
  PetscFunctionReturn(0);
}

/* ---------- the training state (identical on every rank) ---------- */
typedef struct {
  long long step;        /* optimiser steps done */
  long long nsteps;      /* steps of the whole run */
  long long spe;         /* steps per epoch */
  double   *h_loss, *h_acc, *h_lr;  /* per step (nsteps) */
  double   *v_loss, *v_acc, *e_loss; /* per epoch (validation; NaN without a validation set), train mean */
  int       nepochs;
} state;

/* ---------- checkpoints ---------- */
static void ckpt_dir(const prc_ctx *ctx, char *b, size_t n) { snprintf(b, n, "%s/checkpoints", prc_opts_string(ctx->opts, "out_dir")); }

static unsigned long state_crc(prc_model *m, const prc_optim *o)
{
  unsigned long c = crc32(0L, Z_NULL, 0);
  c = crc32(c, (const unsigned char *)prc_model_params(m), (uInt)(prc_model_nparams(m) * sizeof(float)));
  if (prc_model_nbuffers(m)) c = crc32(c, (const unsigned char *)prc_model_buffers(m), (uInt)(prc_model_nbuffers(m) * sizeof(float)));
  if (o->m) c = crc32(c, (const unsigned char *)o->m, (uInt)(o->n * sizeof(float)));
  if (o->v) c = crc32(c, (const unsigned char *)o->v, (uInt)(o->n * sizeof(float)));
  return c;
}

static PetscErrorCode write_flat(MPI_Comm comm, hid_t loc, const char *name, hid_t type, hsize_t n, const void *data)
{
  PetscFunctionBeginUser;
  if (n) PetscCall(prc_h5_write_col(comm, loc, name, type, n, data));
  PetscFunctionReturn(0);
}

static PetscErrorCode write_checkpoint(prc_ctx *ctx, prc_model *m, prc_optim *o, const state *st, unsigned long optfp)
{
  char        dir[4096], path[4200];
  prc_h5out   f;
  const char *od = prc_opts_string(ctx->opts, "out_dir");
  PetscFunctionBeginUser;
  ckpt_dir(ctx, dir, sizeof dir);
  if (!ctx->rank) mkdir(dir, 0775);
  PetscCallMPI(MPI_Barrier(ctx->comm));
  snprintf(path, sizeof path, "%s/ckpt_%09lld.h5", dir, st->step);
  PetscCall(prc_h5_create(ctx->comm, path, "checkpoint", &f));
  hid_t g, h;
  PetscCall(prc_h5_group(f.fid, "state", &g));
  PetscCall(write_flat(ctx->comm, g, "params", H5T_NATIVE_FLOAT, prc_model_nparams(m), prc_model_params(m)));
  PetscCall(write_flat(ctx->comm, g, "buffers", H5T_NATIVE_FLOAT, prc_model_nbuffers(m), prc_model_buffers(m)));
  if (o->m) PetscCall(write_flat(ctx->comm, g, "optim_m", H5T_NATIVE_FLOAT, o->n, o->m));
  if (o->v) PetscCall(write_flat(ctx->comm, g, "optim_v", H5T_NATIVE_FLOAT, o->n, o->v));
  H5Gclose(g);
  PetscCall(prc_h5_group(f.fid, "history", &h));
  PetscCall(write_flat(ctx->comm, h, "loss", H5T_NATIVE_DOUBLE, (hsize_t)st->step, st->h_loss));
  PetscCall(write_flat(ctx->comm, h, "accuracy", H5T_NATIVE_DOUBLE, (hsize_t)st->step, st->h_acc));
  PetscCall(write_flat(ctx->comm, h, "lr", H5T_NATIVE_DOUBLE, (hsize_t)st->step, st->h_lr));
  PetscCall(write_flat(ctx->comm, h, "val_loss", H5T_NATIVE_DOUBLE, (hsize_t)st->nepochs, st->v_loss));
  PetscCall(write_flat(ctx->comm, h, "val_accuracy", H5T_NATIVE_DOUBLE, (hsize_t)st->nepochs, st->v_acc));
  PetscCall(write_flat(ctx->comm, h, "epoch_loss", H5T_NATIVE_DOUBLE, (hsize_t)st->nepochs, st->e_loss));
  H5Gclose(h);
  PetscCall(prc_model_h5_write_tensors(ctx->comm, f.fid, m));
  PetscCall(prc_h5_attr_str(f.fid, "magic", PRC_CHECKPOINT_MAGIC));
  PetscCall(prc_h5_attr_int(f.fid, "format_version", TRAIN_CKPT_VERSION));
  PetscCall(prc_h5_attr_str(f.fid, "stage", "train"));
  PetscCall(prc_h5_attr_int(f.fid, "step", st->step));
  PetscCall(prc_h5_attr_int(f.fid, "epoch", st->step / st->spe));
  PetscCall(prc_h5_attr_int(f.fid, "epoch_position", st->step % st->spe));
  PetscCall(prc_h5_attr_int(f.fid, "epochs_validated", st->nepochs));
  PetscCall(prc_h5_attr_int(f.fid, "optim_t", o->t));
  PetscCall(prc_h5_attr_int(f.fid, "rng_seed", (long long)prc_opts_int(ctx->opts, "seed")));
  PetscCall(prc_h5_attr_int(f.fid, "nparams", (long long)prc_model_nparams(m)));
  PetscCall(prc_h5_attr_int(f.fid, "nbuffers", (long long)prc_model_nbuffers(m)));
  PetscCall(prc_h5_attr_str(f.fid, "model_name", prc_model_name(m)));
  PetscCall(prc_h5_attr_int(f.fid, "model_fingerprint", (long long)prc_model_fingerprint(m)));
  PetscCall(prc_h5_attr_int(f.fid, "options_fingerprint", (long long)optfp));
  PetscCall(prc_h5_attr_int(f.fid, "state_crc32", (long long)state_crc(m, o)));
  PetscCall(prc_h5_attr_int(f.fid, "complete", 1));
  PetscCall(prc_h5_commit(&f, ctx));
  /* keep the newest -train_keep */
  if (!ctx->rank) {
    long long keep = prc_opts_int(ctx->opts, "train_keep"), cnt = 0;
    DIR      *dp = opendir(dir);
    long long steps[4096];
    struct dirent *de;
    while (dp && (de = readdir(dp)) && cnt < 4096) {
      long long s;
      char      tail[8];
      if (sscanf(de->d_name, "ckpt_%lld.h%2s", &s, tail) == 2 && !strcmp(tail, "5") && !strchr(de->d_name, '-'))
        steps[cnt++] = s;
    }
    if (dp) closedir(dp);
    for (long long i = 0; i < cnt; i++) {
      long long newer = 0;
      for (long long j = 0; j < cnt; j++) newer += steps[j] > steps[i];
      if (newer >= keep) {
        snprintf(path, sizeof path, "%s/ckpt_%09lld.h5", dir, steps[i]);
        unlink(path);
      }
    }
  }
  (void)od;
  PetscFunctionReturn(0);
}

/* Rank 0, serial HDF5, no PETSc errors: read and verify one checkpoint. Returns 0 if it is
 * usable, 1 with why[] if not (corrupt/incomplete: fall back), 2 if it belongs to other
 * options or another model (an error: never silently mixed). */
typedef struct {
  long long step, nep, t;
  float    *p, *b, *m, *v;
  double   *hl, *ha, *hr, *vl, *va, *el;
} loaded;

static int rd_attr_ll(hid_t f, const char *n, long long *v)
{
  if (H5Aexists(f, n) <= 0) return 1;
  hid_t a = H5Aopen(f, n, H5P_DEFAULT);
  herr_t e = H5Aread(a, H5T_NATIVE_LLONG, v);
  H5Aclose(a);
  return e < 0;
}

static int rd_attr_str(hid_t f, const char *n, char *buf, size_t len)
{
  if (H5Aexists(f, n) <= 0) return 1;
  hid_t a = H5Aopen(f, n, H5P_DEFAULT), t = H5Aget_type(a);
  size_t sz = H5Tget_size(t);
  char  *tmp = calloc(sz + 1, 1);
  hid_t  mt = prc_h5_strtype(sz + 1);
  herr_t e = H5Aread(a, mt, tmp);
  snprintf(buf, len, "%s", tmp);
  free(tmp), H5Tclose(mt), H5Tclose(t), H5Aclose(a);
  return e < 0;
}

static int rd_arr(hid_t f, const char *n, hid_t mt, size_t esz, hsize_t want, void **out)
{
  *out = NULL;
  if (!want) return 0;
  hid_t d = H5Dopen2(f, n, H5P_DEFAULT);
  if (d < 0) return 1;
  hid_t   s = H5Dget_space(d);
  hsize_t nn = (hsize_t)H5Sget_simple_extent_npoints(s);
  H5Sclose(s);
  if (nn != want) return H5Dclose(d), 1;
  *out = malloc(esz * want);
  herr_t e = H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out);
  H5Dclose(d);
  return e < 0;
}

static void loaded_free(loaded *L)
{
  free(L->p), free(L->b), free(L->m), free(L->v), free(L->hl), free(L->ha), free(L->hr), free(L->vl), free(L->va), free(L->el);
  memset(L, 0, sizeof *L);
}

static int try_checkpoint(const char *path, prc_model *m, prc_optim *o, unsigned long optfp, loaded *L, char *why, size_t wl)
{
  memset(L, 0, sizeof *L);
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return snprintf(why, wl, "not a readable HDF5 file"), 1;
  char      s[256];
  long long v, np, nb, crc, c1, mfp, ofp;
  int       rc = 1;
  if (rd_attr_str(f, "magic", s, sizeof s) || strcmp(s, PRC_CHECKPOINT_MAGIC)) snprintf(why, wl, "no checkpoint magic");
  else if (rd_attr_ll(f, "format_version", &v) || v != TRAIN_CKPT_VERSION) snprintf(why, wl, "format version is not %d", TRAIN_CKPT_VERSION);
  else if (rd_attr_str(f, "stage", s, sizeof s) || strcmp(s, "train")) snprintf(why, wl, "not a train checkpoint");
  else if (rd_attr_ll(f, "complete", &c1) || c1 != 1) snprintf(why, wl, "not marked complete");
  else if (rd_attr_ll(f, "options_fingerprint", &ofp) || rd_attr_ll(f, "model_fingerprint", &mfp) || rd_attr_ll(f, "step", &L->step) ||
           rd_attr_ll(f, "epochs_validated", &L->nep) || rd_attr_ll(f, "optim_t", &L->t) || rd_attr_ll(f, "nparams", &np) ||
           rd_attr_ll(f, "nbuffers", &nb) || rd_attr_ll(f, "state_crc32", &crc))
    snprintf(why, wl, "attributes missing or unreadable");
  else if ((unsigned long)ofp != optfp || (unsigned long)mfp != prc_model_fingerprint(m) || (size_t)np != prc_model_nparams(m) ||
           (size_t)nb != prc_model_nbuffers(m)) {
    snprintf(why, wl, "it belongs to a run with other options or another model");
    rc = 2;
  } else if (rd_arr(f, "state/params", H5T_NATIVE_FLOAT, 4, (hsize_t)np, (void **)&L->p) ||
             rd_arr(f, "state/buffers", H5T_NATIVE_FLOAT, 4, (hsize_t)nb, (void **)&L->b) ||
             (o->m && rd_arr(f, "state/optim_m", H5T_NATIVE_FLOAT, 4, o->n, (void **)&L->m)) ||
             (o->v && rd_arr(f, "state/optim_v", H5T_NATIVE_FLOAT, 4, o->n, (void **)&L->v)) ||
             rd_arr(f, "history/loss", H5T_NATIVE_DOUBLE, 8, (hsize_t)L->step, (void **)&L->hl) ||
             rd_arr(f, "history/accuracy", H5T_NATIVE_DOUBLE, 8, (hsize_t)L->step, (void **)&L->ha) ||
             rd_arr(f, "history/lr", H5T_NATIVE_DOUBLE, 8, (hsize_t)L->step, (void **)&L->hr) ||
             rd_arr(f, "history/val_loss", H5T_NATIVE_DOUBLE, 8, (hsize_t)L->nep, (void **)&L->vl) ||
             rd_arr(f, "history/val_accuracy", H5T_NATIVE_DOUBLE, 8, (hsize_t)L->nep, (void **)&L->va) ||
             rd_arr(f, "history/epoch_loss", H5T_NATIVE_DOUBLE, 8, (hsize_t)L->nep, (void **)&L->el))
    snprintf(why, wl, "state arrays missing, of the wrong size or unreadable");
  else {
    unsigned long c = crc32(0L, Z_NULL, 0);
    c = crc32(c, (const unsigned char *)L->p, (uInt)(np * 4));
    if (nb) c = crc32(c, (const unsigned char *)L->b, (uInt)(nb * 4));
    if (L->m) c = crc32(c, (const unsigned char *)L->m, (uInt)(o->n * 4));
    if (L->v) c = crc32(c, (const unsigned char *)L->v, (uInt)(o->n * 4));
    if (c != (unsigned long)crc) snprintf(why, wl, "CRC-32 of the state does not match (damaged)");
    else rc = 0;
  }
  H5Fclose(f);
  if (rc) loaded_free(L);
  return rc;
}

static int cmp_desc(const void *a, const void *b)
{
  long long x = *(const long long *)a, y = *(const long long *)b;
  return x < y ? 1 : x > y ? -1 : 0;
}

/* Collective: find the newest usable checkpoint (rank 0 reads, broadcasts the state).
 * *found = 0 if there is none. */
static PetscErrorCode resume(prc_ctx *ctx, prc_model *m, prc_optim *o, state *st, unsigned long optfp, int *found)
{
  char      dir[4096], path[4400], msg[8192] = "";
  long long hdr[4] = {0, 0, 0, 0}; /* status (0 none, 1 found, 2 refused), step, nep, t */
  loaded    L;
  memset(&L, 0, sizeof L);
  PetscFunctionBeginUser;
  ckpt_dir(ctx, dir, sizeof dir);
  if (!ctx->rank) {
    long long steps[4096], cnt = 0;
    DIR      *dp = opendir(dir);
    struct dirent *de;
    while (dp && (de = readdir(dp)) && cnt < 4096) {
      long long s;
      char      tail[8];
      if (strstr(de->d_name, ".tmp-")) { /* an interrupted write: never complete */
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        unlink(path);
        continue;
      }
      if (sscanf(de->d_name, "ckpt_%lld.h%2s", &s, tail) == 2 && !strcmp(tail, "5")) steps[cnt++] = s;
    }
    if (dp) closedir(dp);
    qsort(steps, (size_t)cnt, sizeof steps[0], cmp_desc);
    for (long long i = 0; i < cnt; i++) {
      char why[512];
      snprintf(path, sizeof path, "%s/ckpt_%09lld.h5", dir, steps[i]);
      int rc = try_checkpoint(path, m, o, optfp, &L, why, sizeof why);
      if (!rc) {
        hdr[0] = 1, hdr[1] = L.step, hdr[2] = L.nep, hdr[3] = L.t;
        snprintf(msg, sizeof msg, "%s", path);
        break;
      }
      if (rc == 2) {
        hdr[0] = 2;
        snprintf(msg, sizeof msg, "the checkpoint '%s' belongs to a run with other options or another model; use -train_resume false "
                                  "to start over or another -out_dir",
                 path);
        break;
      }
      printf("[train] checkpoint %s is unusable (%s); %s\n", path, why, i + 1 < cnt ? "falling back to the previous one" : "no older one");
      fflush(stdout);
    }
  }
  PetscCallMPI(MPI_Bcast(hdr, 4, MPI_LONG_LONG, 0, ctx->comm));
  PetscCallMPI(MPI_Bcast(msg, sizeof msg, MPI_CHAR, 0, ctx->comm));
  PetscCheck(hdr[0] != 2, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "%s", msg);
  *found = hdr[0] == 1;
  if (!*found) PetscFunctionReturn(0);
  st->step = hdr[1], st->nepochs = (int)hdr[2], o->t = hdr[3];
  PetscCheck(st->step <= st->nsteps, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
             "the checkpoint '%s' is at step %lld, beyond the %lld steps of -train_epochs; raise -train_epochs or use -train_resume false", msg,
             st->step, st->nsteps);
  if (!ctx->rank) {
    memcpy(prc_model_params(m), L.p, prc_model_nparams(m) * 4);
    if (prc_model_nbuffers(m)) memcpy(prc_model_buffers(m), L.b, prc_model_nbuffers(m) * 4);
    if (o->m) memcpy(o->m, L.m, o->n * 4);
    if (o->v) memcpy(o->v, L.v, o->n * 4);
    long long ns = st->step < st->nsteps ? st->step : st->nsteps;
    if (ns) memcpy(st->h_loss, L.hl, 8 * ns), memcpy(st->h_acc, L.ha, 8 * ns), memcpy(st->h_lr, L.hr, 8 * ns);
    if (st->nepochs) memcpy(st->v_loss, L.vl, 8 * st->nepochs), memcpy(st->v_acc, L.va, 8 * st->nepochs), memcpy(st->e_loss, L.el, 8 * st->nepochs);
    loaded_free(&L);
  }
  PetscCallMPI(MPI_Bcast(prc_model_params(m), (int)prc_model_nparams(m), MPI_FLOAT, 0, ctx->comm));
  if (prc_model_nbuffers(m)) PetscCallMPI(MPI_Bcast(prc_model_buffers(m), (int)prc_model_nbuffers(m), MPI_FLOAT, 0, ctx->comm));
  if (o->m) PetscCallMPI(MPI_Bcast(o->m, (int)o->n, MPI_FLOAT, 0, ctx->comm));
  if (o->v) PetscCallMPI(MPI_Bcast(o->v, (int)o->n, MPI_FLOAT, 0, ctx->comm));
  long long ns = st->step < st->nsteps ? st->step : st->nsteps;
  if (ns) {
    PetscCallMPI(MPI_Bcast(st->h_loss, (int)ns, MPI_DOUBLE, 0, ctx->comm));
    PetscCallMPI(MPI_Bcast(st->h_acc, (int)ns, MPI_DOUBLE, 0, ctx->comm));
    PetscCallMPI(MPI_Bcast(st->h_lr, (int)ns, MPI_DOUBLE, 0, ctx->comm));
  }
  if (st->nepochs) {
    PetscCallMPI(MPI_Bcast(st->v_loss, st->nepochs, MPI_DOUBLE, 0, ctx->comm));
    PetscCallMPI(MPI_Bcast(st->v_acc, st->nepochs, MPI_DOUBLE, 0, ctx->comm));
    PetscCallMPI(MPI_Bcast(st->e_loss, st->nepochs, MPI_DOUBLE, 0, ctx->comm));
  }
  prc_say(ctx->comm, "[train] resuming from the checkpoint %s at step %lld (epoch %lld, position %lld)\n", msg, st->step,
          st->step / st->spe, st->step % st->spe);
  PetscFunctionReturn(0);
}

/* ---------- synthetic set ---------- */
static PetscErrorCode write_synthetic(prc_ctx *ctx, const char *path, prc_model *m, int nclass, int64_t n, uint64_t seed)
{
  int nd, sh[8], A = 0;
  PetscFunctionBeginUser;
  PrcCallK(prc_model_input_shape(m, 0, &nd, sh));
  PetscCheck(nd >= 2 && nd <= 3, ctx->comm, PETSC_ERR_SUP,
             "-train_synthetic: model input '%s' has %d dimensions; the generator makes (C, L) or (C, H, W) samples", prc_model_input_name(m, 0), nd);
  int C = sh[0], H = nd == 3 ? sh[1] : 1, W = sh[nd - 1];
  if (prc_model_ninputs(m) > 1) {
    int nd1, sh1[8];
    PrcCallK(prc_model_input_shape(m, 1, &nd1, sh1));
    A = 1;
    for (int i = 0; i < nd1; i++) A *= sh1[i];
  }
  /* an existing file made with the same generator settings is kept (resume, requeue) */
  char key[512];
  snprintf(key, sizeof key, "seed=%llu n=%lld noise=%.17g shape=%dx%dx%d classes=%d aux=%d", (unsigned long long)seed, (long long)n,
           prc_opts_real(ctx->opts, "train_synthetic_noise"), C, H, W, nclass, A);
  int same = 0;
  if (!ctx->rank) {
    hid_t fid = access(path, R_OK) ? -1 : H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    char  old[512];
    if (fid >= 0) same = !rd_attr_str(fid, "synthetic_key", old, sizeof old) && !strcmp(old, key), H5Fclose(fid);
  }
  PetscCallMPI(MPI_Bcast(&same, 1, MPI_INT, 0, ctx->comm));
  if (same) {
    prc_say(ctx->comm, "[train] keeping the synthetic set %s (same generator settings)\n", path);
    PetscFunctionReturn(0);
  }
  int64_t first = n * ctx->rank / ctx->size, cnt = n * (ctx->rank + 1) / ctx->size - first;
  size_t  S = (size_t)C * H * W;
  float  *x = malloc(sizeof(float) * (S * (size_t)cnt + 1)), *aux = malloc(sizeof(float) * ((size_t)A * cnt + 1));
  int32_t *y = malloc(sizeof(int32_t) * ((size_t)cnt + 1));
  PetscCheck(x && aux && y, PETSC_COMM_SELF, PETSC_ERR_MEM, "out of memory for %lld synthetic samples", (long long)cnt);
  PrcCallK(prc_train_synth(seed, first, cnt, C, H, W, nclass, prc_opts_real(ctx->opts, "train_synthetic_noise"), A, x, y, aux));
  prc_h5out f;
  PetscCall(prc_h5_create(ctx->comm, path, "trainset", &f));
  hsize_t dims[4] = {(hsize_t)n}, start[4] = {(hsize_t)first}, count[4] = {(hsize_t)cnt};
  for (int i = 0; i < nd; i++) dims[i + 1] = (hsize_t)sh[i], start[i + 1] = 0, count[i + 1] = (hsize_t)sh[i];
  PetscCall(prc_h5_write_nd(f.fid, "x", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, nd + 1, dims, start, count, x));
  PetscCall(prc_h5_write_nd(f.fid, "y", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, dims, start, count, y));
  if (A) {
    hsize_t ad[2] = {(hsize_t)n, (hsize_t)A}, as[2] = {(hsize_t)first, 0}, ac[2] = {(hsize_t)cnt, (hsize_t)A};
    PetscCall(prc_h5_write_nd(f.fid, "aux", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, ad, as, ac, aux));
  }
  char names[4096] = "";
  for (int k = 0; k < nclass; k++)
    snprintf(names + strlen(names), sizeof names - strlen(names), "%s%.0f cycles", k ? "," : "", 2.0 + 3.0 * k);
  PetscCall(prc_h5_attr_str(f.fid, "class_names", names));
  PetscCall(prc_h5_attr_int(f.fid, "nclasses", nclass));
  PetscCall(prc_h5_attr_str(f.fid, "generator", "synthetic sinusoids (prc_train_synth): class k = 2 + 3k cycles per window + noise"));
  PetscCall(prc_h5_attr_int(f.fid, "synthetic_seed", (long long)seed));
  PetscCall(prc_h5_attr_str(f.fid, "synthetic_key", key));
  PetscCall(prc_h5_attr_double(f.fid, "synthetic_noise", prc_opts_real(ctx->opts, "train_synthetic_noise")));
  PetscCall(prc_h5_commit(&f, ctx));
  free(x), free(aux), free(y);
  PetscFunctionReturn(0);
}

/* ---------- one step ---------- */
typedef struct {
  prc_model *m;
  int        nclass, mb, ninputs;
  size_t     np, nb;
  rows       r;       /* rows of this rank's micro-batches of the step */
  float     *gstore;  /* (local micro-batches, np) */
  float     *bstore;  /* (local micro-batches, nb) */
  float     *b0;      /* buffers at the start of the step */
  double    *lstore;  /* local micro-batch losses */
  long long *cstore;  /* local micro-batch #correct */
  double    *mxstore; /* (local micro-batches, 3): max |gradient|, |loss|, max |buffer| */
  int64_t   *acc;     /* np + nb + 2 */
  float     *gavg;
} work;

static void set_tensor(prc_tensor *t, float *data, int nd, const int *sh, int N)
{
  memset(t, 0, sizeof *t);
  t->ndim = nd + 1;
  for (int i = 0; i < PRC_NN_MAXDIM; i++) t->shape[i] = 1;
  t->shape[0] = N;
  t->size = (size_t)N;
  for (int i = 0; i < nd; i++) t->shape[i + 1] = sh[i], t->size *= (size_t)sh[i];
  t->data = data;
}

static long long argmax_correct(const prc_tensor *out, const float *t, int n, int C, int soft)
{
  long long c = 0;
  for (int k = 0; k < n; k++) {
    const float *o = out->data + (size_t)k * C;
    int          a = 0, b = 0;
    for (int j = 1; j < C; j++) a = o[j] > o[a] ? j : a;
    if (soft) {
      for (int j = 1; j < C; j++) b = t[(size_t)k * C + j] > t[(size_t)k * C + b] ? j : b;
    } else b = (int)t[k];
    c += a == b;
  }
  return c;
}

/* Forward (and backward if train) of n samples at r->x + off on model m; returns loss and
 * #correct. No PETSc: it also runs in the worker threads of -train_threads. */
static int micro_core(prc_model *m, const work *w, const dataset *d, int off, int n, int train, uint64_t stream, double *loss,
                      long long *correct)
{
  int        nd, sh[8];
  prc_tensor tin[2], ttarget;
  if (prc_model_batch(m) != n && prc_model_set_batch(m, n)) return 1;
  if (prc_model_input_shape(m, 0, &nd, sh)) return 1;
  set_tensor(&tin[0], w->r.x + (size_t)off * d->S, nd, sh, n);
  const prc_tensor *in[2] = {&tin[0], &tin[1]};
  if (w->ninputs > 1) {
    if (prc_model_input_shape(m, 1, &nd, sh)) return 1;
    set_tensor(&tin[1], w->r.aux + (size_t)off * d->A, nd, sh, n);
  }
  int tsh[1] = {w->nclass};
  set_tensor(&ttarget, w->r.t + (size_t)off * (d->soft ? w->nclass : 1), d->soft ? 1 : 0, tsh, n);
  prc_model_set_stream(m, stream); /* dropout masks: a function of (step, micro-batch) only */
  if (prc_model_forward(m, in, &ttarget, loss)) return 1;
  if (train) {
    prc_model_zero_grad(m);
    if (prc_model_backward(m)) return 1;
  }
  *correct = argmax_correct(prc_model_output(m), ttarget.data, n, w->nclass, d->soft);
  return 0;
}

/* One training micro-batch of the step (a job of the thread pool): q-th local micro-batch on
 * replica m, from the step's starting buffers; results into the q-indexed stores. */
typedef struct {
  work          *w;
  const dataset *d;
  uint64_t       seed;
  long long      step;
  int            rank, size;
} step_job;

static int train_micro_job(prc_model *m, int q, void *arg)
{
  step_job *a = arg;
  work     *w = a->w;
  double    l;
  long long c;
  if (w->nb) memcpy(prc_model_buffers(m), w->b0, w->nb * sizeof(float));
  if (micro_core(m, w, a->d, q * w->mb, w->mb, 1, prc_hash4(a->seed, (uint64_t)a->step, (uint64_t)(a->rank + q * a->size), 1), &l, &c))
    return 1;
  memcpy(w->gstore + (size_t)q * w->np, prc_model_grads(m), w->np * sizeof(float));
  if (w->nb) memcpy(w->bstore + (size_t)q * w->nb, prc_model_buffers(m), w->nb * sizeof(float));
  w->lstore[q] = l;
  w->cstore[q] = c;
  double *mx = w->mxstore + 3 * (size_t)q;
  mx[0] = prc_absmax_f(prc_model_grads(m), w->np);
  mx[1] = isfinite(l) ? fabs(l) : INFINITY;
  mx[2] = w->nb ? prc_absmax_f(prc_model_buffers(m), w->nb) : 0;
  return 0;
}

/* One validation micro-batch g of a group of rounds (a job of the thread pool). */
typedef struct {
  work          *w;
  const dataset *d;
  int            n[PRC_NNPOOL_MAX_THREADS], off[PRC_NNPOOL_MAX_THREADS];
  double         l[PRC_NNPOOL_MAX_THREADS];
  long long      c[PRC_NNPOOL_MAX_THREADS];
} val_job;

static int val_micro_job(prc_model *m, int g, void *arg)
{
  val_job *a = arg;
  return a->n[g] ? micro_core(m, a->w, a->d, a->off[g], a->n[g], 0, 0, &a->l[g], &a->c[g]) : 0;
}

/* Validation over the whole set in micro-batches (eval mode), exact sums; T rounds per read. */
static PetscErrorCode validate(prc_ctx *ctx, work *w, prc_nnpool *pool, dataset *v, double *vloss, double *vacc)
{
  int64_t nmb = (v->n + w->mb - 1) / w->mb;
  double  lmax = 0, *ls = calloc((size_t)(nmb / ctx->size + 2), sizeof(double));
  long long correct = 0;
  int64_t   bad = 0, k = 0;
  const int G = prc_nnpool_threads(pool); /* rounds per read: one micro-batch per thread */
  val_job  *vj = calloc(1, sizeof *vj);
  PetscFunctionBeginUser;
  PetscCheck(ls && vj, PETSC_COMM_SELF, PETSC_ERR_MEM, "out of memory for the validation");
  prc_model_set_training(w->m, 0);
  PrcCallK(prc_nnpool_sync(pool));
  int64_t *idx = malloc(sizeof(int64_t) * (size_t)w->mb * (size_t)G);
  vj->w = w, vj->d = v;
  /* every rank takes part in as many collective reads as the busiest rank */
  int64_t rounds = (nmb + ctx->size - 1) / ctx->size;
  for (int64_t q = 0; q < rounds; q += G) {
    int ntot = 0;
    for (int g = 0; g < G; g++) {
      int64_t j = (q + g) * ctx->size + ctx->rank;
      int     n = 0;
      if (q + g < rounds && j < nmb) {
        n = (int)((j + 1) * w->mb <= v->n ? w->mb : v->n - j * w->mb);
        for (int i = 0; i < n; i++) idx[ntot + i] = j * w->mb + i;
      }
      vj->n[g] = n, vj->off[g] = ntot;
      ntot += n;
    }
    int64_t b = 0;
    PetscCall(read_batch(v, w->nclass, ntot, idx, &w->r, &b));
    if (b && !bad) bad = b;
    if (ntot && !b) {
      int jrc = prc_nnpool_run(pool, G, val_micro_job, vj);
      PetscCheck(!jrc, PETSC_COMM_SELF, PETSC_ERR_LIB, "validation, rank %d: micro-batch %s", ctx->rank, prc_lasterr());
      for (int g = 0; g < G; g++) /* in round order, as one thread would */
        if (vj->n[g]) {
          ls[k] = vj->l[g] * vj->n[g];
          lmax = fmax(lmax, fabs(ls[k]));
          if (!isfinite(ls[k])) lmax = INFINITY;
          k++;
          correct += vj->c[g];
        }
    }
  }
  double mx[2] = {lmax, (double)bad};
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, mx, 2, MPI_DOUBLE, MPI_MAX, ctx->comm));
  PetscCheck(mx[1] == 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': sample %.0f has a non-finite value or a label outside [0, %d)",
             v->path, mx[1] - 1, w->nclass);
  PetscCheck(isfinite(mx[0]), ctx->comm, PETSC_ERR_NOT_CONVERGED, "validation loss is not finite (training diverged? lower -train_lr)");
  int e;
  PrcCallK(prc_fx_exponent(mx[0], nmb, &e));
  int64_t a[2] = {0, correct};
  prc_fx_add_d(a, ls, (size_t)k ? 1 : 0, e);
  for (int64_t i = 1; i < k; i++) prc_fx_add_d(a, ls + i, 1, e);
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, a, 2, MPI_INT64_T, MPI_SUM, ctx->comm));
  *vloss = ldexp((double)a[0], -e) / (double)v->n;
  *vacc = (double)a[1] / (double)v->n;
  prc_model_set_training(w->m, 1);
  free(idx), free(ls), free(vj);
  PetscFunctionReturn(0);
}

static PetscErrorCode write_history(prc_ctx *ctx, const state *st, const char *od)
{
  char      path[4200];
  prc_h5out f;
  PetscFunctionBeginUser;
  snprintf(path, sizeof path, "%s/train_history.h5", od);
  PetscCall(prc_h5_create(ctx->comm, path, "train_history", &f));
  long long ns = st->step;
  double   *stepno = malloc(sizeof(double) * (size_t)(ns + 1));
  for (long long i = 0; i < ns; i++) stepno[i] = (double)(i + 1);
  PetscCall(write_flat(ctx->comm, f.fid, "step_loss", H5T_NATIVE_DOUBLE, (hsize_t)ns, st->h_loss));
  PetscCall(write_flat(ctx->comm, f.fid, "step_accuracy", H5T_NATIVE_DOUBLE, (hsize_t)ns, st->h_acc));
  PetscCall(write_flat(ctx->comm, f.fid, "step_lr", H5T_NATIVE_DOUBLE, (hsize_t)ns, st->h_lr));
  PetscCall(write_flat(ctx->comm, f.fid, "epoch_loss", H5T_NATIVE_DOUBLE, (hsize_t)st->nepochs, st->e_loss));
  PetscCall(write_flat(ctx->comm, f.fid, "val_loss", H5T_NATIVE_DOUBLE, (hsize_t)st->nepochs, st->v_loss));
  PetscCall(write_flat(ctx->comm, f.fid, "val_accuracy", H5T_NATIVE_DOUBLE, (hsize_t)st->nepochs, st->v_acc));
  PetscCall(prc_h5_attr_int(f.fid, "steps", ns));
  PetscCall(prc_h5_attr_int(f.fid, "steps_per_epoch", st->spe));
  PetscCall(prc_h5_attr_int(f.fid, "epochs", st->nepochs));
  PetscCall(prc_h5_commit(&f, ctx));
  if (!ctx->rank && prc_opts_bool(ctx->opts, "train_png") && ns > 0) {
    int       ne = st->nepochs;
    double   *ex = malloc(sizeof(double) * (size_t)(ne + 1));
    for (int i = 0; i < ne; i++) ex[i] = (double)(i + 1) * (double)st->spe;
    prc_series s[3] = {{stepno, st->h_loss, (int)ns, "training (per step)", 0}, {ex, st->e_loss, ne, "training (epoch mean)", 0},
                       {ex, st->v_loss, ne, "validation", 0}};
    prc_lines_style ls = {.title = "train: loss", .xlabel = "step", .ylabel = "cross-entropy"};
    snprintf(path, sizeof path, "%s/train_loss.png", od);
    if (prc_plot_lines_png(path, s, 3, &ls)) printf("[train] warning: %s\n", prc_lasterr());
    prc_series a[2] = {{stepno, st->h_acc, (int)ns, "training (per step)", 0}, {ex, st->v_acc, ne, "validation", 0}};
    prc_lines_style as = {.title = "train: accuracy", .xlabel = "step", .ylabel = "fraction correct", .ymin = 0, .ymax = 1.02};
    snprintf(path, sizeof path, "%s/train_accuracy.png", od);
    if (prc_plot_lines_png(path, a, 2, &as)) printf("[train] warning: %s\n", prc_lasterr());
    free(ex);
  }
  free(stepno);
  PetscFunctionReturn(0);
}

static PetscErrorCode write_model(prc_ctx *ctx, prc_model *m, const state *st, const char *od, const char *spec_text)
{
  char      path[4200];
  prc_h5out f;
  PetscFunctionBeginUser;
  snprintf(path, sizeof path, "%s/model.h5", od);
  PetscCall(prc_h5_create(ctx->comm, path, "model", &f));
  PetscCall(prc_model_h5_write_tensors(ctx->comm, f.fid, m));
  PetscCall(prc_h5_attr_str(f.fid, "model_name", prc_model_name(m)));
  PetscCall(prc_h5_attr_int(f.fid, "model_fingerprint", (long long)prc_model_fingerprint(m)));
  PetscCall(prc_h5_attr_str(f.fid, "spec_path", prc_opts_string(ctx->opts, "train_model")));
  PetscCall(prc_h5_attr_str(f.fid, "spec_defines", prc_opts_string(ctx->opts, "train_defines")));
  PetscCall(prc_h5_attr_str(f.fid, "spec_text", spec_text));
  PetscCall(prc_h5_attr_int(f.fid, "steps", st->step));
  PetscCall(prc_h5_attr_int(f.fid, "nparams", (long long)prc_model_nparams(m)));
  if (st->nepochs) {
    PetscCall(prc_h5_attr_double(f.fid, "val_loss", st->v_loss[st->nepochs - 1]));
    PetscCall(prc_h5_attr_double(f.fid, "val_accuracy", st->v_acc[st->nepochs - 1]));
  }
  PetscCall(prc_h5_commit(&f, ctx));
  PetscFunctionReturn(0);
}

/* PETSc log events (-log_view; tests/bench_scaling.sh splits the time with them), registered
 * once per process. */
static PetscLogEvent ev_read, ev_compute, ev_reduce, ev_ckpt;
static PetscErrorCode register_events(void)
{
  static int done = 0;
  PetscFunctionBeginUser;
  if (done) PetscFunctionReturn(0);
  PetscCall(PetscLogEventRegister("TrainRead", 0, &ev_read));
  PetscCall(PetscLogEventRegister("TrainCompute", 0, &ev_compute));
  PetscCall(PetscLogEventRegister("TrainAllreduce", 0, &ev_reduce));
  PetscCall(PetscLogEventRegister("TrainCheckpoint", 0, &ev_ckpt));
  done = 1;
  PetscFunctionReturn(0);
}

static PetscErrorCode train_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  const char     *od = prc_opts_string(o, "out_dir");
  prc_model      *m = NULL;
  prc_optim      *opt = NULL;
  char           *defs[64], dbuf[4096], *spec_text = NULL;
  PetscFunctionBeginUser;
  PetscCall(register_events());
  openblas_set_num_threads(1);
  /* the model */
  (void)prc_model_defines_split(prc_opts_string(o, "train_defines"), dbuf, sizeof dbuf, defs, 64);
  const char *spec = prc_opts_string(o, "train_model");
  PrcCallK(prc_model_load(spec, (const char *const *)defs, &m));
  PetscCall(prc_ctx_add_input(ctx, spec));
  {
    long len = 0;
    if (!ctx->rank) {
      FILE *f = fopen(spec, "rb");
      if (f) fseek(f, 0, SEEK_END), len = ftell(f), fseek(f, 0, SEEK_SET);
      spec_text = calloc((size_t)len + 1, 1);
      if (f && len > 0 && fread(spec_text, 1, (size_t)len, f) != (size_t)len) len = 0;
      if (f) fclose(f);
    }
    PetscCallMPI(MPI_Bcast(&len, 1, MPI_LONG, 0, ctx->comm));
    if (ctx->rank) spec_text = calloc((size_t)len + 1, 1);
    PetscCallMPI(MPI_Bcast(spec_text, (int)len + 1, MPI_CHAR, 0, ctx->comm));
  }
  const int B = (int)prc_opts_int(o, "train_batch"), mb = (int)prc_opts_int(o, "train_micro_batch"), M = B / mb;
  PrcCallK(prc_model_set_batch(m, mb));
  int nclass = 0;
  PrcCallK(prc_model_init(m, (uint64_t)prc_opts_int(o, "seed")));
  {
    char sum[8192];
    prc_model_summary(m, sum, sizeof sum);
    (void)sum; /* dropout masks are drawn per (seed, step, micro-batch): rank-count independent */
  }
  /* number of classes: from a probe forward of zeros (the output shape) */
  {
    int    nsh, sh[8];
    size_t S = 1;
    PrcCallK(prc_model_input_shape(m, 0, &nsh, sh));
    for (int i = 0; i < nsh; i++) S *= (size_t)sh[i];
    float     *z = calloc(S * (size_t)mb, sizeof(float)), *za = NULL;
    prc_tensor t0, t1;
    set_tensor(&t0, z, nsh, sh, mb);
    const prc_tensor *in[2] = {&t0, &t1};
    if (prc_model_ninputs(m) > 1) {
      int n1, s1[8];
      size_t A = 1;
      PrcCallK(prc_model_input_shape(m, 1, &n1, s1));
      for (int i = 0; i < n1; i++) A *= (size_t)s1[i];
      za = calloc(A * (size_t)mb, sizeof(float));
      set_tensor(&t1, za, n1, s1, mb);
    }
    prc_model_set_training(m, 0);
    PrcCallK(prc_model_forward(m, in, NULL, NULL));
    prc_model_set_training(m, 1);
    const prc_tensor *out = prc_model_output(m);
    PetscCheck(out && out->ndim == 2 && out->shape[1] >= 2, ctx->comm, PETSC_ERR_SUP,
               "model '%s' (%s): train needs a classifier whose output is (N, C) logits with C >= 2", prc_model_name(m), spec);
    nclass = out->shape[1];
    free(z), free(za);
    /* the probe must not have moved anything: re-initialise */
    PrcCallK(prc_model_init(m, (uint64_t)prc_opts_int(o, "seed")));
  }
  /* data */
  char trainp[4200], valp[4200];
  snprintf(trainp, sizeof trainp, "%s", strcmp(prc_opts_string(o, "train_data"), "auto") ? prc_opts_string(o, "train_data") : "");
  snprintf(valp, sizeof valp, "%s", strcmp(prc_opts_string(o, "train_val"), "auto") && strcmp(prc_opts_string(o, "train_val"), "none") ? prc_opts_string(o, "train_val") : "");
  if (!ctx->rank) mkdir(od, 0775);
  PetscCallMPI(MPI_Barrier(ctx->comm));
  int64_t nsyn = prc_opts_int(o, "train_synthetic");
  if (nsyn) {
    uint64_t seed = (uint64_t)prc_opts_int(o, "seed");
    if (!trainp[0]) snprintf(trainp, sizeof trainp, "%s/trainset.h5", od);
    if (!valp[0] && !strcmp(prc_opts_string(o, "train_val"), "auto")) snprintf(valp, sizeof valp, "%s/valset.h5", od);
    PetscCall(write_synthetic(ctx, trainp, m, nclass, nsyn, prc_hash4(seed, 1, 0, 0)));
    if (!strcmp(prc_opts_string(o, "train_val"), "auto")) PetscCall(write_synthetic(ctx, valp, m, nclass, nsyn / 4 > 1 ? nsyn / 4 : 1, prc_hash4(seed, 2, 0, 0)));
    prc_say(ctx->comm, "[train] synthetic sets ready: %s (%lld samples), %s (%lld), %d classes\n", trainp, (long long)nsyn, valp,
            (long long)(nsyn / 4 > 1 ? nsyn / 4 : 1), nclass);
  }
  dataset dt = {0}, dv = {0};
  PetscCall(data_open(ctx, trainp, m, nclass, &dt));
  int have_val = valp[0] != 0;
  if (have_val) PetscCall(data_open(ctx, valp, m, nclass, &dv));
  PetscCheck(dt.n >= B, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s' holds %lld samples, fewer than one global batch (-train_batch %d)",
             trainp, (long long)dt.n, B);
  /* state */
  state st = {0};
  st.spe = dt.n / B;
  long long epochs = prc_opts_int(o, "train_epochs"), maxs = prc_opts_int(o, "train_max_steps");
  st.nsteps = st.spe * epochs;
  long long stop_at = maxs && maxs < st.nsteps ? maxs : st.nsteps;
  st.h_loss = calloc((size_t)st.nsteps, 8), st.h_acc = calloc((size_t)st.nsteps, 8), st.h_lr = calloc((size_t)st.nsteps, 8);
  st.v_loss = calloc((size_t)epochs, 8), st.v_acc = calloc((size_t)epochs, 8), st.e_loss = calloc((size_t)epochs, 8);
  PetscCheck(st.h_loss && st.h_acc && st.h_lr && st.v_loss && st.v_acc && st.e_loss, PETSC_COMM_SELF, PETSC_ERR_MEM, "out of memory for the history");
  prc_optim_conf oc;
  prc_lr_sched   ls;
  get_conf(o, &oc, &ls, st.nsteps);
  PrcCallK(prc_lr_check(&ls));
  PrcCallK(prc_optim_create(&oc, prc_model_nparams(m), &opt));
  if (!prc_opts_bool(o, "train_decay_all")) {
    prc_optim_decay_none(opt);
    for (int i = 0; i < prc_model_ntensors(m); i++)
      if (prc_model_tensor_kind(m, i) == 0 && prc_model_tensor_is_weight(m, i)) {
        int    n, sh[8];
        size_t len = 1;
        prc_model_tensor_shape(m, i, &n, sh);
        for (int k = 0; k < n; k++) len *= (size_t)sh[k];
        prc_optim_decay_range(opt, prc_model_tensor_offset(m, i), len);
      }
  }
  unsigned long optfp = train_fingerprint(o);
  int           found = 0;
  if (prc_opts_bool(o, "train_resume")) PetscCall(resume(ctx, m, opt, &st, optfp, &found));
  else if (!ctx->rank) { /* start over: old checkpoints must not be mixed with this run */
    char dir[4096], p[4400];
    ckpt_dir(ctx, dir, sizeof dir);
    DIR *dp = opendir(dir);
    struct dirent *de;
    while (dp && (de = readdir(dp)))
      if (!strncmp(de->d_name, "ckpt_", 5)) snprintf(p, sizeof p, "%s/%s", dir, de->d_name), unlink(p);
    if (dp) closedir(dp);
  }
  /* work buffers */
  work w = {.m = m, .nclass = nclass, .mb = mb, .ninputs = prc_model_ninputs(m), .np = prc_model_nparams(m), .nb = prc_model_nbuffers(m)};
  int  lmb = (M + ctx->size - 1) / ctx->size; /* most micro-batches of a rank */
  int  nthr = (int)prc_opts_int(o, "train_threads");
  int  lrows = (lmb > nthr ? lmb : nthr) * mb; /* a step's rows, or one validation micro-batch per thread */
  w.r.x = malloc(sizeof(float) * dt.S * (size_t)lrows);
  w.r.t = malloc(sizeof(float) * (size_t)lrows * (size_t)nclass);
  w.r.lab = malloc(sizeof(int32_t) * (size_t)lrows);
  w.r.aux = malloc(sizeof(float) * (dt.A * (size_t)lrows + 1));
  w.gstore = malloc(sizeof(float) * w.np * (size_t)(lmb ? lmb : 1));
  w.bstore = malloc(sizeof(float) * (w.nb * (size_t)(lmb ? lmb : 1) + 1));
  w.b0 = malloc(sizeof(float) * (w.nb + 1));
  w.lstore = malloc(sizeof(double) * (size_t)(lmb + 1));
  w.cstore = malloc(sizeof(long long) * (size_t)(lmb + 1));
  w.mxstore = malloc(sizeof(double) * 3 * (size_t)(lmb + 1));
  w.acc = malloc(sizeof(int64_t) * (w.np + w.nb + 2));
  w.gavg = malloc(sizeof(float) * (w.np + w.nb + 1));
  int64_t *perm = malloc(sizeof(int64_t) * (size_t)dt.n), *idx = malloc(sizeof(int64_t) * (size_t)lrows);
  PetscCheck(w.r.x && w.r.t && w.r.lab && w.r.aux && w.gstore && w.bstore && w.b0 && w.lstore && w.cstore && w.mxstore && w.acc && w.gavg && perm && idx,
             PETSC_COMM_SELF, PETSC_ERR_MEM, "out of memory for the training buffers (%zu parameters, %d local micro-batches)", w.np, lmb);
  prc_say(ctx->comm,
          "[train] model %s: %zu parameters, %zu buffer values, %d classes; %lld samples, %lld steps/epoch, global batch %d = "
          "%d micro-batches of %d on %d rank(s) x %d thread(s); %s, lr %g (%s)\n",
          prc_model_name(m), w.np, w.nb, nclass, (long long)dt.n, st.spe, B, M, mb, ctx->size, (int)prc_opts_int(o, "train_threads"),
          prc_opts_string(o, "train_optimizer"),
          ls.base, prc_opts_string(o, "train_lr_schedule"));
  prc_nnpool *pool = NULL;
  PrcCallK(prc_nnpool_create(m, (int)prc_opts_int(o, "train_threads"), &pool));
  {
    int cpus = prc_nn_cpus_allowed(), mincpu;
    if (cpus < 1) cpus = 1 << 20; /* unknown: no warning */
    PetscCallMPI(MPI_Allreduce(&cpus, &mincpu, 1, MPI_INT, MPI_MIN, ctx->comm));
    int T = (int)prc_opts_int(o, "train_threads");
    if (T > mincpu)
      prc_say(ctx->comm,
              "[train] warning: -train_threads %d, but a rank may run on only %d CPU(s) (the launcher's binding): its threads share "
              "them (mpirun: --map-by slot:PE=%d or --bind-to none; srun: --cpus-per-task=%d)\n",
              T, mincpu, T, T);
    if (T > 1 && T > lmb)
      prc_say(ctx->comm, "[train] note: %d threads for at most %d micro-batch(es) per rank: %d thread(s) idle (lower -train_micro_batch)\n", T, lmb,
              T - lmb);
  }
  prc_progress pr;
  prc_progress_start(&pr, ctx->comm, "train", "steps", "samples", (double)(stop_at - st.step) * B, prc_opts_real(o, "progress_interval"),
                     prc_opts_bool(o, "quiet"));
  long long ck_every = prc_opts_int(o, "train_checkpoint_every"), stop_after = prc_opts_int(o, "checkpoint_after_blocks");
  long long done_here = 0, perm_epoch = -1;
  double    check_max = 0;
  int       check = prc_opts_bool(o, "train_check_reduce");
  long long start_step = st.step;
  double    esum = 0; /* sum of this epoch's step losses (for the epoch mean) */
  for (long long s = st.spe * (st.step / st.spe); s < st.step; s++) esum += st.h_loss[s];
  while (st.step < stop_at) {
    long long epoch = st.step / st.spe, pos = st.step % st.spe;
    if (epoch != perm_epoch) {
      PrcCallK(prc_train_permutation((uint64_t)prc_opts_int(o, "seed"), epoch, dt.n, perm));
      perm_epoch = epoch;
    }
    /* this rank's micro-batches: j = rank, rank + P, ... */
    int nloc = 0;
    for (int j = ctx->rank; j < M; j += ctx->size, nloc++)
      for (int k = 0; k < mb; k++) idx[nloc * mb + k] = perm[pos * B + (long long)j * mb + k];
    int64_t bad = 0;
    PetscCall(PetscLogEventBegin(ev_read, 0, 0, 0, 0));
    PetscCall(read_batch(&dt, nclass, nloc * mb, idx, &w.r, &bad));
    PetscCall(PetscLogEventEnd(ev_read, 0, 0, 0, 0));
    PetscCall(PetscLogEventBegin(ev_compute, 0, 0, 0, 0));
    if (w.nb) memcpy(w.b0, prc_model_buffers(m), w.nb * sizeof(float));
    double    mx[4] = {0, 0, 0, (double)bad};
    long long correct = 0;
    if (!bad) { /* the local micro-batches, on -train_threads replicas (job q: q-th micro-batch) */
      step_job job = {&w, &dt, (uint64_t)prc_opts_int(o, "seed"), st.step, ctx->rank, ctx->size};
      PrcCallK(prc_nnpool_sync(pool));
      int jrc = prc_nnpool_run(pool, nloc, train_micro_job, &job);
      PetscCheck(!jrc, PETSC_COMM_SELF, PETSC_ERR_LIB, "step %lld, rank %d: micro-batch %s", st.step + 1, ctx->rank, prc_lasterr());
      for (int q = 0; q < nloc; q++) {
        correct += w.cstore[q];
        for (int i = 0; i < 3; i++) mx[i] = isnan(w.mxstore[3 * q + i]) ? INFINITY : fmax(mx[i], w.mxstore[3 * q + i]);
      }
    }
    for (int i = 0; i < 3; i++)
      if (isnan(mx[i])) mx[i] = INFINITY;
    PetscCall(PetscLogEventEnd(ev_compute, 0, 0, 0, 0));
    PetscCall(PetscLogEventBegin(ev_reduce, 0, 0, 0, 0));
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, mx, 4, MPI_DOUBLE, MPI_MAX, ctx->comm));
    PetscCall(PetscLogEventEnd(ev_reduce, 0, 0, 0, 0));
    PetscCheck(mx[3] == 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': sample %.0f has a non-finite value or a label outside [0, %d)",
               trainp, mx[3] - 1, nclass);
    PetscCheck(isfinite(mx[0]) && isfinite(mx[1]) && isfinite(mx[2]), ctx->comm, PETSC_ERR_NOT_CONVERGED,
               "step %lld (epoch %lld): non-finite %s; training diverged (lower -train_lr?) or the data overflow float32 (scale them)",
               st.step + 1, epoch + 1, !isfinite(mx[1]) ? "loss" : !isfinite(mx[0]) ? "gradient" : "batch-norm running statistics");
    int eg, eb, el;
    PrcCallK(prc_fx_exponent(mx[0], M, &eg));
    PrcCallK(prc_fx_exponent(mx[2], M, &eb));
    PrcCallK(prc_fx_exponent(mx[1], M, &el));
    memset(w.acc, 0, sizeof(int64_t) * (w.np + w.nb + 2));
    for (int q = 0; q < nloc; q++) {
      prc_fx_add_f(w.acc, w.gstore + (size_t)q * w.np, w.np, eg);
      if (w.nb) prc_fx_add_f(w.acc + w.np, w.bstore + (size_t)q * w.nb, w.nb, eb);
      prc_fx_add_d(w.acc + w.np + w.nb, w.lstore + q, 1, el);
    }
    w.acc[w.np + w.nb + 1] = correct;
    PetscCall(PetscLogEventBegin(ev_reduce, 0, 0, 0, 0));
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, w.acc, (int)(w.np + w.nb + 2), MPI_INT64_T, MPI_SUM, ctx->comm));
    PetscCall(PetscLogEventEnd(ev_reduce, 0, 0, 0, 0));
    prc_fx_to_f(w.acc, w.np, eg, M, w.gavg);
    if (check) { /* diagnostic: plain double average of the same micro-batch gradients */
      double *dsum = calloc(w.np, sizeof(double)), dmax = 0;
      for (int q = 0; q < nloc; q++)
        for (size_t i = 0; i < w.np; i++) dsum[i] += w.gstore[(size_t)q * w.np + i];
      PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, dsum, (int)w.np, MPI_DOUBLE, MPI_SUM, ctx->comm));
      for (size_t i = 0; i < w.np; i++) dmax = fmax(dmax, fabs((double)w.gavg[i] - dsum[i] / M));
      if (mx[0] > 0) check_max = fmax(check_max, dmax / mx[0]);
      free(dsum);
    }
    if (w.nb) prc_fx_to_f(w.acc + w.np, w.nb, eb, M, prc_model_buffers(m));
    double loss, lr = prc_lr_at(&ls, st.step);
    prc_fx_to_d(w.acc + w.np + w.nb, 1, el, M, &loss);
    PrcCallK(prc_optim_step(opt, prc_model_params(m), w.gavg, lr));
    st.h_loss[st.step] = loss, st.h_acc[st.step] = (double)w.acc[w.np + w.nb + 1] / B, st.h_lr[st.step] = lr;
    esum += loss;
    st.step++, done_here++;
    if (st.step % st.spe == 0) { /* end of an epoch */
      int e = (int)(st.step / st.spe) - 1;
      st.e_loss[e] = esum / (double)st.spe, esum = 0;
      st.v_loss[e] = NAN, st.v_acc[e] = NAN;
      if (have_val) PetscCall(validate(ctx, &w, pool, &dv, &st.v_loss[e], &st.v_acc[e]));
      st.nepochs = e + 1;
      prc_say(ctx->comm, "[train] epoch %d/%lld  step %lld  loss %.4f (epoch mean)  accuracy %.3f (last step)  validation loss %.4f  accuracy %.3f\n", e + 1,
              epochs, st.step, st.e_loss[e], st.h_acc[st.step - 1], st.v_loss[e], st.v_acc[e]);
    }
    {
      char wb[256];
      int  wl = snprintf(wb, sizeof wb, "epoch %lld step %lld loss %.4f acc %.3f", st.step / st.spe + (st.step % st.spe ? 1 : 0),
                         st.step, loss, st.h_acc[st.step - 1]);
      if (wl >= (int)sizeof pr.what) wl = (int)sizeof pr.what - 1;
      memcpy(pr.what, wb, (size_t)wl), pr.what[wl] = 0;
    }
    prc_progress_update(&pr, (double)done_here * B);
    PetscBool stop = PETSC_FALSE;
    PetscCall(prc_stop_requested(ctx->comm, &stop));
    if (stop_after && done_here >= stop_after) stop = PETSC_TRUE;
    int last = st.step >= stop_at;
    if ((ck_every && st.step % ck_every == 0) || (stop && !last)) {
      PetscCall(PetscLogEventBegin(ev_ckpt, 0, 0, 0, 0));
      PetscCall(write_checkpoint(ctx, m, opt, &st, optfp));
      PetscCall(PetscLogEventEnd(ev_ckpt, 0, 0, 0, 0));
      if (stop && !last) {
        prc_say(ctx->comm, "[train] checkpoint written at step %lld of %lld (epoch %lld): %s/checkpoints\n", st.step, stop_at,
                st.step / st.spe + 1, od);
        PetscFunctionReturn(PRC_ERR_CHECKPOINTED);
      }
    }
  }
  prc_progress_end(&pr);
  if (check) prc_say(ctx->comm, "[train] fixed-point vs double allreduce: largest |difference| = %.3e of max |g| over %lld steps\n", check_max, done_here);
  /* outputs */
  if (ck_every && st.step > start_step && st.step % ck_every) PetscCall(write_checkpoint(ctx, m, opt, &st, optfp));
  PetscCall(write_history(ctx, &st, od));
  PetscCall(write_model(ctx, m, &st, od, spec_text));
  double fl = st.step ? st.h_loss[st.step - 1] : NAN;
  prc_say(ctx->comm, "[train] done: %lld steps, final training loss %.4f%s", st.step, fl, st.nepochs && have_val ? "" : "\n");
  if (st.nepochs && have_val)
    prc_say(ctx->comm, ", validation loss %.4f accuracy %.4f\n", st.v_loss[st.nepochs - 1], st.v_acc[st.nepochs - 1]);
  prc_say(ctx->comm, "[train] outputs in %s: model.h5 train_history.h5%s\n", od, prc_opts_bool(o, "train_png") ? " train_loss.png train_accuracy.png" : "");
  PetscCall(prc_h5_close(dt.fid));
  if (have_val) PetscCall(prc_h5_close(dv.fid));
  free(w.r.x), free(w.r.t), free(w.r.lab), free(w.r.aux), free(w.gstore), free(w.bstore), free(w.b0), free(w.lstore), free(w.cstore), free(w.mxstore), free(w.acc), free(w.gavg);
  free(perm), free(idx), free(spec_text);
  free(st.h_loss), free(st.h_acc), free(st.h_lr), free(st.v_loss), free(st.v_acc), free(st.e_loss);
  prc_optim_destroy(opt);
  prc_nnpool_destroy(pool);
  prc_model_destroy(m);
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_train = {"train", "data-parallel training of a model spec with exact (rank-count independent) gradient sums and checkpoints",
                                   train_opts, (int)(sizeof train_opts / sizeof train_opts[0]), train_validate, train_run};

/* stage_online.c — `precursor online`: paper 000's tree-structured online learning of the EM
 * anomaly detector (METHODS.md §3; docs/EM.md "Online learning"). Kernel of the loss:
 * src/nn/online_loss.c (CE + lambda1 KD + lambda2 (1 - cos)).
 *
 * The tree: every node holds a multi-scale CNN (inputs/models/msrcnn_online.model). Leaves
 * classify; inner nodes (routers, a CNN with one output per child) send a sample to the child of
 * the largest output. Initially the tree is one leaf trained on -online_init. The stream
 * (-online_stream, in row order) is cut into windows of -online_window samples; at the end of a
 * window its samples are routed to the leaves and each leaf's accuracy Acc_i on them decides:
 *   alpha <= Acc_i <= beta       fine-tune the leaf on them (teacher: the frozen leaf before);
 *   Acc_i < alpha or a flag      clone the leaf as a sibling under the same parent (a new root if
 *                                the leaf was the root), train the clone on them (teacher: the
 *                                leaf), and retrain the parent's router on the children's memories;
 *   Acc_i > beta                 keep.
 * With -online_compare the initial model (never updated) and a model retrained from scratch on the
 * initial data plus every window so far are evaluated beside the tree, with their training times.
 *
 * Parallel plan: every rank holds the (small) sets and the whole tree. Training is data-parallel
 * with fixed micro-batches: micro-batch q of a step runs on rank q mod P, and the gradients,
 * batch-norm buffers and loss are averaged with prc_dp_mean_exact (64-bit fixed point), so every
 * model is bitwise the same on any rank count. Evaluation splits the test rows over ranks and sums
 * integer counts. After every window the whole state is written atomically to online_tree.h5
 * (kind em_tree): a run stopped by a signal or -online_stop_after resumes from it (tested to give
 * the same tree as an uninterrupted run). Times are wall-clock (rank 0, broadcast). */
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "precursor/checkpoint.h"
#include "precursor/decomp.h"
#include "precursor/dp.h"
#include "precursor/em_online.h"
#include "precursor/error.h"
#include "precursor/h5io.h"
#include "precursor/model_h5.h"
#include "precursor/nn_model.h"
#include "precursor/nn_train.h"
#include "precursor/plot.h"
#include "precursor/progress.h"
#include "precursor/rng.h"
#include "precursor/stage.h"

#define MAXNODE 64
#define MAXCHILD 16
#define MAXWIN 256
#define EVAL_B 32

static const prc_opt_spec online_opts[] = {
  {"online_model", PRC_OPT_STRING, "inputs/models/msrcnn_online.model", PRC_NO_RANGE,
   "model spec of every node: output = logits (CLASSES) then features (docs/EM.md)"},
  {"online_defines", PRC_OPT_STRING, "CH=5,LEN=576,AUX=2", PRC_NO_RANGE, "spec substitutions (CLASSES is set by the stage: classes for leaves, children for routers)"},
  {"online_features", PRC_OPT_INT, "64", 1, 1e6, "number of features after the logits in the model output (fr1 of msrcnn_online: 64)"},
  {"online_init", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "initial training set (kind trainset, e.g. trainset.h5 of em-samples)"},
  {"online_init_test", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "test set of the initial data (old patterns)"},
  {"online_stream", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "online samples in arrival order (kind trainset)"},
  {"online_stream_test", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "test set of the stream's data (new patterns)"},
  {"online_stream_order", PRC_OPT_STRING, "shuffle", PRC_NO_RANGE,
   "arrival order of the stream's rows: shuffle (a seeded permutation; em-samples writes rows by class) or file (row order)"},
  {"online_window", PRC_OPT_INT, "200", 1, 1e9, "samples per sliding time window"},
  {"online_windows", PRC_OPT_INT, "6", 1, MAXWIN, "windows to process (the stream must hold windows x window samples)"},
  {"online_alpha", PRC_OPT_REAL, "0.6", 0, 1, "Acc_i < alpha: clone the leaf as a sibling and train the clone"},
  {"online_beta", PRC_OPT_REAL, "0.95", 0, 1, "alpha <= Acc_i <= beta: fine-tune the leaf; above beta: keep it"},
  {"online_flag", PRC_OPT_STRING, "none", PRC_NO_RANGE, "operator flags: windows (0-based, comma-separated) whose leaves are cloned (a new pattern), or none"},
  {"online_lambda1", PRC_OPT_REAL, "1", 0, 1e6, "weight of the distillation loss (soft labels p^(1/omega) of the frozen previous model)"},
  {"online_lambda2", PRC_OPT_REAL, "1", 0, 1e6, "weight of the less-forgetting loss 1 - cos(f*, f) on normalised features"},
  {"online_omega", PRC_OPT_REAL, "2", 0.01, 1e6, "rescaling exponent Omega of the soft labels (> 1 raises small probabilities)"},
  {"online_epochs_init", PRC_OPT_INT, "20", 1, 1e6, "epochs of the initial model (and of each retraining from scratch)"},
  {"online_epochs_inc", PRC_OPT_INT, "5", 1, 1e6, "epochs of a fine-tuning or a clone's training on a window"},
  {"online_epochs_router", PRC_OPT_INT, "5", 1, 1e6, "epochs of a router's training on its children's memories"},
  {"online_router_samples", PRC_OPT_INT, "2400", 2, 1e9, "a router is trained on this many samples, balanced over its children"},
  {"online_batch", PRC_OPT_INT, "32", 1, 1e6, "global batch"},
  {"online_micro_batch", PRC_OPT_INT, "8", 1, 1e6, "micro-batch (divides the batch; fixes the arithmetic, not the rank count)"},
  {"online_lr", PRC_OPT_REAL, "0.003", 1e-9, 10, "AdamW learning rate of the initial model, retrainings and routers"},
  {"online_lr_inc", PRC_OPT_REAL, "0.0001", 1e-9, 10, "AdamW learning rate of fine-tuning and clone training"},
  {"online_freeze_bn", PRC_OPT_BOOL, "true", PRC_NO_RANGE,
   "fine-tuning and clone training normalise with the batch-norm running statistics of the model before the update and keep them "
   "(frozen batch norm; else batch statistics of each micro-batch are used and the running ones adapt to the window)"},
  {"online_weight_decay", PRC_OPT_REAL, "0.01", 0, 10, "AdamW decoupled weight decay"},
  {"online_compare", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "also evaluate the initial model and retrain from scratch after every window (results 2)"},
  {"online_resume", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "continue from <out_dir>/online_tree.h5 if it holds an unfinished run of the same options"},
  {"online_stop_after", PRC_OPT_INT, "-1", -1, MAXWIN, "stop (exit 99, as on a signal) after writing the state of this window (tests); -1: never"},
  {"online_png", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "write online_accuracy.png, online_time.png, online_old.png"},
};

static const char *fp_skip[] = {"out_dir", "progress_interval", "quiet", "online_resume", "online_stop_after", "online_png", NULL};

static unsigned long online_fingerprint(const prc_opts *o) { return prc_opts_fingerprint_skip(o, fp_skip); }

/* ---------- data ---------- */
typedef struct {
  int64_t  n;
  size_t   S, A;
  float   *x, *aux;
  int32_t *y;
  char     path[1024];
} eset;

static PetscErrorCode load_set(prc_ctx *ctx, const char *path, prc_model *m, int C, eset *d)
{
  int     nd, sh[8], nd1, sh1[8], r, found;
  hsize_t dims[8];
  char    kind[64];
  hid_t   fid;
  PetscFunctionBeginUser;
  snprintf(d->path, sizeof d->path, "%s", path);
  PetscCall(prc_ctx_add_input(ctx, path));
  PetscCall(prc_h5_open(ctx->comm, path, &fid));
  PetscCall(prc_h5_attr_get_str(fid, "precursor_kind", kind, sizeof kind, &found));
  PetscCheck(found && !strcmp(kind, "trainset"), ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s' is not a training set (precursor_kind '%s')", path,
             found ? kind : "absent");
  PrcCallK(prc_model_input_shape(m, 0, &nd, sh));
  PrcCallK(prc_model_input_shape(m, 1, &nd1, sh1));
  PetscCall(prc_h5_dims(fid, "x", &r, dims));
  int same = r == nd + 1;
  d->S = 1, d->A = 1;
  for (int i = 0; i < nd; i++) same = same && dims[i + 1] == (hsize_t)sh[i], d->S *= (size_t)sh[i];
  for (int i = 0; i < nd1; i++) d->A *= (size_t)sh1[i];
  PetscCheck(same, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /x samples do not have the model's input shape (-online_defines)", path);
  d->n = (int64_t)dims[0];
  PetscCheck(d->n > 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': no samples", path);
  PetscCall(prc_h5_dims(fid, "aux", &r, dims));
  PetscCheck(r == 2 && (int64_t)dims[0] == d->n && dims[1] == d->A, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /aux must be (%lld, %zu)", path,
             (long long)d->n, d->A);
  PetscCall(prc_h5_dims(fid, "y", &r, dims));
  PetscCheck(r == 1 && (int64_t)dims[0] == d->n, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /y must hold %lld class indices", path, (long long)d->n);
  PetscCall(PetscMalloc3(d->S * d->n, &d->x, d->A * d->n, &d->aux, d->n, &d->y));
  hsize_t st[4] = {0, 0, 0, 0}, cx[4] = {(hsize_t)d->n}, ca[2] = {(hsize_t)d->n, d->A};
  for (int i = 0; i < nd; i++) cx[i + 1] = (hsize_t)sh[i];
  PetscCall(prc_h5_read_nd(fid, "x", H5T_NATIVE_FLOAT, st, cx, d->x));
  PetscCall(prc_h5_read_nd(fid, "aux", H5T_NATIVE_FLOAT, st, ca, d->aux));
  PetscCall(prc_h5_read_nd(fid, "y", H5T_NATIVE_INT32, st, cx, d->y));
  PetscCall(prc_h5_close(fid));
  for (int64_t i = 0; i < d->n; i++)
    PetscCheck(d->y[i] >= 0 && d->y[i] < C, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': sample %lld has class %d outside [0, %d)", path, (long long)i,
               d->y[i], C);
  for (size_t i = 0; i < d->S * d->n; i++)
    PetscCheck(isfinite(d->x[i]), ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /x value %zu is not finite", path, i);
  PetscFunctionReturn(0);
}

/* Sample ids: 0 .. n_init-1 the initial set, n_init + j row j of the stream. */
typedef struct {
  const eset *init, *stream;
} pool;

static void sample_ptr(const pool *P, int64_t id, const float **x, const float **aux, int32_t *y)
{
  const eset *s = id < P->init->n ? P->init : P->stream;
  int64_t     i = id < P->init->n ? id : id - P->init->n;
  *x = s->x + s->S * i, *aux = s->aux + s->A * i, *y = s->y[i];
}

/* ---------- the tree ---------- */
typedef struct {
  int        parent, leaf, nout, created, nchild, child[MAXCHILD];
  prc_model *m;
  int64_t   *mem, nmem; /* sample ids the node (leaf) was trained on */
} tnode;

typedef struct {
  int   n, root;
  tnode node[MAXNODE];
} tree;

typedef struct {
  prc_ctx             *ctx;
  const pool          *P;
  const char          *spec;
  char                 dbuf[4096];
  char                *defs[66];
  int                  ndefs, C, F;
  int                  B, mb, freeze_bn;
  double               wd;
  prc_online_loss_conf lc;
  uint64_t             seed;
} env;

static PetscErrorCode new_model(env *E, int nout, prc_model **m)
{
  char        cl[32];
  const char *dv[68];
  int         k = 0;
  PetscFunctionBeginUser;
  for (int i = 0; i < E->ndefs; i++)
    if (strncmp(E->defs[i], "CLASSES=", 8)) dv[k++] = E->defs[i];
  snprintf(cl, sizeof cl, "CLASSES=%d", nout);
  dv[k++] = cl, dv[k] = NULL;
  PrcCallK(prc_model_load(E->spec, dv, m));
  /* prc_model_init also fixes the layers' dropout seeds: one fixed seed for every model of this
   * shape, so that a model rebuilt from a state file (resume) or copied draws the same masks */
  PrcCallK(prc_model_init(*m, prc_hash4(E->seed, 99, (uint64_t)nout, 0)));
  PetscFunctionReturn(0);
}

/* Fresh weights from `seed` (dropout seeds kept at new_model's). */
static PetscErrorCode fresh_init(env *E, prc_model *m, int nout, uint64_t seed)
{
  const size_t np = prc_model_nparams(m), nb = prc_model_nbuffers(m);
  float       *p, *b;
  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(np + 1, &p, nb + 1, &b));
  PrcCallK(prc_model_init(m, seed));
  memcpy(p, prc_model_params(m), sizeof(float) * np), memcpy(b, prc_model_buffers(m), sizeof(float) * nb);
  PrcCallK(prc_model_init(m, prc_hash4(E->seed, 99, (uint64_t)nout, 0)));
  memcpy(prc_model_params(m), p, sizeof(float) * np), memcpy(prc_model_buffers(m), b, sizeof(float) * nb);
  PetscCall(PetscFree2(p, b));
  PetscFunctionReturn(0);
}

static PetscErrorCode copy_model(env *E, prc_model *src, int nout, prc_model **dst)
{
  PetscFunctionBeginUser;
  PetscCall(new_model(E, nout, dst));
  memcpy(prc_model_params(*dst), prc_model_params(src), sizeof(float) * prc_model_nparams(src));
  memcpy(prc_model_buffers(*dst), prc_model_buffers(src), sizeof(float) * prc_model_nbuffers(src));
  PetscFunctionReturn(0);
}

/* Forward rows (ids) of m into out (nb, nout + F); batch fixed at bsz (padded). training: 0 eval,
 * 1 training, 2 training with frozen batch norm (running statistics used and kept; dropout on). */
static PetscErrorCode forward_rows(env *E, prc_model *m, const int64_t *ids, int nb, int bsz, int training, float *xb, float *ab, const int32_t *lab,
                                   int32_t *yb)
{
  const size_t S = E->P->init->S, A = E->P->init->A;
  PetscFunctionBeginUser;
  for (int k = 0; k < bsz; k++) {
    const float *x, *a;
    int32_t      y;
    sample_ptr(E->P, ids[k < nb ? k : nb - 1], &x, &a, &y);
    memcpy(xb + S * k, x, sizeof(float) * S), memcpy(ab + A * k, a, sizeof(float) * A);
    if (yb) yb[k] = lab ? lab[k < nb ? k : nb - 1] : y;
  }
  if (prc_model_batch(m) != bsz) PrcCallK(prc_model_set_batch(m, bsz));
  prc_model_set_training(m, training != 0);
  if (training == 2) prc_model_set_training_bn(m, 0);
  int        nd, sh[8], nd1, sh1[8];
  prc_tensor t[2];
  memset(t, 0, sizeof t);
  PrcCallK(prc_model_input_shape(m, 0, &nd, sh));
  PrcCallK(prc_model_input_shape(m, 1, &nd1, sh1));
  for (int q = 0; q < 2; q++) {
    int d = q ? nd1 : nd, *s = q ? sh1 : sh;
    t[q].ndim = d + 1;
    for (int i = 0; i < PRC_NN_MAXDIM; i++) t[q].shape[i] = 1;
    t[q].shape[0] = bsz;
    for (int i = 0; i < d; i++) t[q].shape[i + 1] = s[i];
    t[q].size = (size_t)bsz * (q ? A : S);
    t[q].data = q ? ab : xb;
  }
  const prc_tensor *in[2] = {&t[0], &t[1]};
  PrcCallK(prc_model_forward(m, in, NULL, NULL));
  PetscFunctionReturn(0);
}

/* Data-parallel training of m on n samples ids[] (labels lab[] or the samples' own), epochs, lr;
 * teacher (frozen, eval mode) or NULL. Returns the wall time (rank 0's, broadcast). */
static PetscErrorCode fit(env *E, prc_model *m, int nout, prc_model *teacher, const int64_t *ids, const int32_t *lab, int64_t n, int epochs, double lr,
                          uint64_t seed, double *seconds, double *last_loss)
{
  prc_ctx     *ctx = E->ctx;
  const int    mb = E->mb, M = E->B / E->mb, W = nout + E->F;
  const size_t S = E->P->init->S, A = E->P->init->A, np = prc_model_nparams(m), nb = prc_model_nbuffers(m);
  double       t0 = MPI_Wtime();
  PetscFunctionBeginUser;
  prc_optim     *opt;
  prc_optim_conf oc = {.kind = PRC_OPTIM_ADAMW, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = E->wd};
  PrcCallK(prc_optim_create(&oc, np, &opt));
  prc_optim_decay_none(opt);
  for (int i = 0; i < prc_model_ntensors(m); i++)
    if (prc_model_tensor_kind(m, i) == 0 && prc_model_tensor_is_weight(m, i)) {
      int nd, sh[8];
      size_t len = 1;
      prc_model_tensor_shape(m, i, &nd, sh);
      for (int k = 0; k < nd; k++) len *= (size_t)sh[k];
      prc_optim_decay_range(opt, prc_model_tensor_offset(m, i), len);
    }
  int nloc_max = (M + ctx->size - 1) / ctx->size;
  float *xb, *ab, *dout, *gl, *bl, *g, *bm, *buf0;
  int32_t *yb, *lb;
  int64_t *perm, *rows;
  double  *ll;
  PetscCall(PetscMalloc6(S * mb, &xb, A * mb, &ab, (size_t)W * mb, &dout, np * nloc_max + 1, &gl, nb * nloc_max + 1, &bl, np, &g));
  PetscCall(PetscMalloc6(nb + 1, &bm, nb + 1, &buf0, mb, &yb, mb, &lb, n, &perm, mb, &rows));
  PetscCall(PetscMalloc1(nloc_max + 1, &ll));
  float *tout;
  PetscCall(PetscMalloc1((size_t)W * mb, &tout));
  const int64_t steps = n / E->B > 0 ? n / E->B : 1;
  double        loss = NAN;
  for (int ep = 0; ep < epochs; ep++) {
    PrcCallK(prc_train_permutation(seed, ep, n, perm));
    for (int64_t s = 0; s < steps; s++) {
      memcpy(buf0, prc_model_buffers(m), sizeof(float) * nb);
      int nloc = 0;
      for (int q = ctx->rank; q < M; q += ctx->size, nloc++) {
        for (int k = 0; k < mb; k++) {
          int64_t r = perm[(s * E->B + (int64_t)q * mb + k) % n];
          rows[k] = ids[r], lb[k] = lab ? lab[r] : -1;
        }
        memcpy(prc_model_buffers(m), buf0, sizeof(float) * nb);
        prc_model_set_stream(m, prc_hash4(seed, (uint64_t)ep, (uint64_t)s, (uint64_t)q));
        PetscCall(forward_rows(E, m, rows, mb, mb, teacher && E->freeze_bn ? 2 : 1, xb, ab, lab ? lb : NULL, yb));
        const prc_tensor *o = prc_model_output(m);
        PetscCheck(o->size == (size_t)W * mb, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "model output has %zu values per batch, expected %d x (%d + %d features)",
                   o->size, mb, nout, E->F);
        const float *tp = NULL;
        if (teacher) {
          memcpy(tout, o->data, sizeof(float) * W * mb); /* keep the student's output */
          PetscCall(forward_rows(E, teacher, rows, mb, mb, 0, xb, ab, NULL, NULL));
          float *sw = (float *)prc_model_output(teacher)->data;
          for (size_t i = 0; i < (size_t)W * mb; i++) {
            float v = sw[i];
            sw[i] = tout[i], tout[i] = v; /* tout <- teacher, sw (scratch) <- student */
          }
          tp = tout;
          o = prc_model_output(teacher);
        }
        double tr[3];
        ll[nloc] = prc_online_loss(o->data, tp, yb, mb, nout, E->F, &E->lc, dout, tr, NULL);
        prc_model_zero_grad(m);
        PrcCallK(prc_model_backward_from(m, dout, NULL));
        memcpy(gl + np * nloc, prc_model_grads(m), sizeof(float) * np);
        memcpy(bl + nb * nloc, prc_model_buffers(m), sizeof(float) * nb);
      }
      double     lmean;
      prc_dp_seg seg[3] = {{.n = np, .f = gl, .out_f = g}, {.n = nb, .f = bl, .out_f = bm}, {.n = 1, .d = ll, .out_d = &lmean}};
      PetscCall(prc_dp_mean_exact(ctx->comm, "gradient of an online model", M, nloc, nb ? 3 : 2, nb ? seg : (prc_dp_seg[]){seg[0], seg[2]}, 0, NULL));
      PrcCallK(prc_optim_step(opt, prc_model_params(m), g, lr));
      memcpy(prc_model_buffers(m), teacher && E->freeze_bn ? buf0 : bm, sizeof(float) * nb);
      loss = lmean;
    }
  }
  prc_optim_destroy(opt);
  PetscCall(PetscFree6(xb, ab, dout, gl, bl, g));
  PetscCall(PetscFree6(bm, buf0, yb, lb, perm, rows));
  PetscCall(PetscFree(ll));
  PetscCall(PetscFree(tout));
  double dt = MPI_Wtime() - t0;
  PetscCallMPI(MPI_Bcast(&dt, 1, MPI_DOUBLE, 0, ctx->comm));
  if (seconds) *seconds = dt;
  if (last_loss) *last_loss = loss;
  PetscFunctionReturn(0);
}

/* Route n rows from node v down to leaves, predict: leaf_of[i] (may be NULL), pred[i]. Local. */
static PetscErrorCode route(env *E, tree *T, int v, const int64_t *ids, int64_t n, int *leaf_of, int32_t *pred, float *xb, float *ab)
{
  PetscFunctionBeginUser;
  if (!n) PetscFunctionReturn(0);
  tnode *nd = &T->node[v];
  const int W = nd->nout + E->F;
  int32_t  *arg;
  PetscCall(PetscMalloc1(n, &arg));
  for (int64_t i0 = 0; i0 < n; i0 += EVAL_B) {
    int nb = (int)(n - i0 < EVAL_B ? n - i0 : EVAL_B);
    PetscCall(forward_rows(E, nd->m, ids + i0, nb, EVAL_B, 0, xb, ab, NULL, NULL));
    const float *o = prc_model_output(nd->m)->data;
    for (int k = 0; k < nb; k++) {
      int b = 0;
      for (int j = 1; j < nd->nout; j++)
        if (o[(size_t)k * W + j] > o[(size_t)k * W + b]) b = j;
      arg[i0 + k] = b;
    }
  }
  if (nd->leaf) {
    for (int64_t i = 0; i < n; i++) pred[i] = arg[i], leaf_of ? leaf_of[i] = v : 0;
  } else {
    int64_t *sub, *pos;
    int     *lsub;
    int32_t *psub;
    PetscCall(PetscMalloc4(n, &sub, n, &pos, n, &lsub, n, &psub));
    for (int c = 0; c < nd->nchild; c++) {
      int64_t k = 0;
      for (int64_t i = 0; i < n; i++)
        if (arg[i] == c) sub[k] = ids[i], pos[k] = i, k++;
      PetscCall(route(E, T, nd->child[c], sub, k, lsub, psub, xb, ab));
      for (int64_t i = 0; i < k; i++) pred[pos[i]] = psub[i], leaf_of ? leaf_of[pos[i]] = lsub[i] : 0;
    }
    PetscCall(PetscFree4(sub, pos, lsub, psub));
  }
  PetscCall(PetscFree(arg));
  PetscFunctionReturn(0);
}

/* Accuracy of a tree (or a single model as a one-leaf tree) on a whole set: rows split over ranks,
 * integer counts summed. */
static PetscErrorCode accuracy(env *E, tree *T, const eset *d, int64_t id0, double *acc)
{
  int64_t s0, sc, hit = 0;
  PetscFunctionBeginUser;
  prc_partition_1d(d->n, E->ctx->size, E->ctx->rank, &s0, &sc);
  int64_t *ids;
  int32_t *pred;
  float   *xb, *ab;
  PetscCall(PetscMalloc4(sc + 1, &ids, sc + 1, &pred, d->S * EVAL_B, &xb, d->A * EVAL_B, &ab));
  for (int64_t i = 0; i < sc; i++) ids[i] = id0 + s0 + i;
  PetscCall(route(E, T, T->root, ids, sc, NULL, pred, xb, ab));
  for (int64_t i = 0; i < sc; i++) hit += pred[i] == d->y[s0 + i];
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &hit, 1, MPI_INT64_T, MPI_SUM, E->ctx->comm));
  *acc = (double)hit / (double)d->n;
  PetscCall(PetscFree4(ids, pred, xb, ab));
  PetscFunctionReturn(0);
}

/* Memory of a subtree (all leaf memories below v). */
static void subtree_mem(const tree *T, int v, int64_t *out, int64_t *n)
{
  const tnode *nd = &T->node[v];
  if (nd->leaf) {
    memcpy(out + *n, nd->mem, sizeof(int64_t) * (size_t)nd->nmem), *n += nd->nmem;
    return;
  }
  for (int c = 0; c < nd->nchild; c++) subtree_mem(T, nd->child[c], out, n);
}
static int64_t subtree_nmem(const tree *T, int v)
{
  const tnode *nd = &T->node[v];
  if (nd->leaf) return nd->nmem;
  int64_t s = 0;
  for (int c = 0; c < nd->nchild; c++) s += subtree_nmem(T, nd->child[c]);
  return s;
}

static PetscErrorCode mem_add(tnode *nd, const int64_t *ids, int64_t n)
{
  PetscFunctionBeginUser;
  int64_t *m;
  PetscCall(PetscMalloc1(nd->nmem + n + 1, &m));
  if (nd->nmem) memcpy(m, nd->mem, sizeof(int64_t) * (size_t)nd->nmem);
  memcpy(m + nd->nmem, ids, sizeof(int64_t) * (size_t)n);
  PetscCall(PetscFree(nd->mem));
  nd->mem = m, nd->nmem += n;
  PetscFunctionReturn(0);
}

/* ---------- results and state file ---------- */
typedef struct {
  int    done;                             /* windows processed */
  double acc_tree[3][MAXWIN + 1];          /* [old, new, all][window 0 = before any]: tree */
  double acc_init[3][MAXWIN + 1], acc_re[3][MAXWIN + 1];
  double time_tree[MAXWIN + 1], time_re[MAXWIN + 1];
  int    leaves[MAXWIN + 1];
  char   actions[MAXWIN + 1][256];
} results;

static PetscErrorCode write_state(env *E, const char *path, tree *T, tree *T0, results *R, int complete)
{
  prc_ctx  *ctx = E->ctx;
  prc_h5out f;
  hid_t     g;
  char      name[64];
  PetscFunctionBeginUser;
  PetscCall(prc_h5_create(ctx->comm, path, "em_tree", &f));
  PetscCall(prc_h5_attr_str(f.fid, "magic", PRC_CHECKPOINT_MAGIC));
  PetscCall(prc_h5_attr_int(f.fid, "format_version", 1));
  PetscCall(prc_h5_attr_int(f.fid, "options_fingerprint", (long long)online_fingerprint(ctx->opts)));
  PetscCall(prc_h5_attr_int(f.fid, "windows_done", R->done));
  PetscCall(prc_h5_attr_int(f.fid, "complete", complete));
  PetscCall(prc_h5_attr_int(f.fid, "nnodes", T->n));
  PetscCall(prc_h5_attr_int(f.fid, "root", T->root));
  PetscCall(prc_h5_attr_int(f.fid, "nclasses", E->C));
  PetscCall(prc_h5_attr_str(f.fid, "spec", E->spec));
  int pa[MAXNODE], le[MAXNODE], no[MAXNODE], cr[MAXNODE], nc[MAXNODE], ch[MAXNODE * MAXCHILD];
  int64_t nm[MAXNODE];
  for (int i = 0; i < T->n; i++) {
    tnode *d = &T->node[i];
    pa[i] = d->parent, le[i] = d->leaf, no[i] = d->nout, cr[i] = d->created, nc[i] = d->nchild, nm[i] = d->nmem;
    for (int c = 0; c < MAXCHILD; c++) ch[i * MAXCHILD + c] = c < d->nchild ? d->child[c] : -1;
  }
  PetscCall(prc_h5_group(f.fid, "tree", &g));
  PetscCall(prc_h5_write_col(ctx->comm, g, "parent", H5T_NATIVE_INT, (hsize_t)T->n, pa));
  PetscCall(prc_h5_write_col(ctx->comm, g, "leaf", H5T_NATIVE_INT, (hsize_t)T->n, le));
  PetscCall(prc_h5_write_col(ctx->comm, g, "nout", H5T_NATIVE_INT, (hsize_t)T->n, no));
  PetscCall(prc_h5_write_col(ctx->comm, g, "created_window", H5T_NATIVE_INT, (hsize_t)T->n, cr));
  PetscCall(prc_h5_write_col(ctx->comm, g, "nchildren", H5T_NATIVE_INT, (hsize_t)T->n, nc));
  PetscCall(prc_h5_write_col(ctx->comm, g, "children", H5T_NATIVE_INT, (hsize_t)T->n * MAXCHILD, ch));
  PetscCall(prc_h5_write_col(ctx->comm, g, "memory_size", H5T_NATIVE_INT64, (hsize_t)T->n, nm));
  PetscCall(prc_h5_attr_str(g, "meaning", "node i: parent (-1 root), leaf (1) or router (0), nout = classes (leaf) or children (router); children[i*16 + c] "
                                          "(-1 unused); memory = ids of the samples a leaf was trained on (id < n_init: initial set row, else stream row "
                                          "id - n_init)"));
  for (int i = 0; i < T->n; i++) {
    tnode *d = &T->node[i];
    snprintf(name, sizeof name, "params_%d", i);
    PetscCall(prc_h5_write_col(ctx->comm, g, name, H5T_NATIVE_FLOAT, prc_model_nparams(d->m), prc_model_params(d->m)));
    snprintf(name, sizeof name, "buffers_%d", i);
    PetscCall(prc_h5_write_col(ctx->comm, g, name, H5T_NATIVE_FLOAT, prc_model_nbuffers(d->m), prc_model_buffers(d->m)));
    snprintf(name, sizeof name, "memory_%d", i);
    PetscCall(prc_h5_write_col(ctx->comm, g, name, H5T_NATIVE_INT64, (hsize_t)d->nmem, d->mem));
  }
  PetscCall(prc_h5_write_col(ctx->comm, g, "initial_params", H5T_NATIVE_FLOAT, prc_model_nparams(T0->node[0].m), prc_model_params(T0->node[0].m)));
  PetscCall(prc_h5_write_col(ctx->comm, g, "initial_buffers", H5T_NATIVE_FLOAT, prc_model_nbuffers(T0->node[0].m), prc_model_buffers(T0->node[0].m)));
  H5Gclose(g);
  PetscCall(prc_h5_group(f.fid, "results", &g));
  const int nw = R->done + 1;
  int64_t   inc[MAXWIN + 1];
  for (int w = 0; w < nw; w++) inc[w] = (int64_t)w * prc_opts_int(ctx->opts, "online_window");
  PetscCall(prc_h5_write_col(ctx->comm, g, "increment", H5T_NATIVE_INT64, (hsize_t)nw, inc));
  const char *sets[3] = {"old", "new", "all"};
  for (int s = 0; s < 3; s++) {
    snprintf(name, sizeof name, "acc_tree_%s", sets[s]);
    PetscCall(prc_h5_write_col(ctx->comm, g, name, H5T_NATIVE_DOUBLE, (hsize_t)nw, R->acc_tree[s]));
    snprintf(name, sizeof name, "acc_initial_%s", sets[s]);
    PetscCall(prc_h5_write_col(ctx->comm, g, name, H5T_NATIVE_DOUBLE, (hsize_t)nw, R->acc_init[s]));
    snprintf(name, sizeof name, "acc_retrain_%s", sets[s]);
    PetscCall(prc_h5_write_col(ctx->comm, g, name, H5T_NATIVE_DOUBLE, (hsize_t)nw, R->acc_re[s]));
  }
  PetscCall(prc_h5_write_col(ctx->comm, g, "leaves", H5T_NATIVE_INT, (hsize_t)nw, R->leaves));
  H5Gclose(g);
  /* wall-clock times: not reproducible, in their own group (excluded from comparisons) */
  PetscCall(prc_h5_group(f.fid, "timing", &g));
  PetscCall(prc_h5_write_col(ctx->comm, g, "time_tree_s", H5T_NATIVE_DOUBLE, (hsize_t)nw, R->time_tree));
  PetscCall(prc_h5_write_col(ctx->comm, g, "time_retrain_s", H5T_NATIVE_DOUBLE, (hsize_t)nw, R->time_re));
  H5Gclose(g);
  {
    char *acts;
    PetscCall(PetscCalloc1((size_t)nw * 260 + 1, &acts));
    for (int w = 0; w < nw; w++) snprintf(acts + strlen(acts), 260, "%s\n", R->actions[w]);
    PetscCall(prc_h5_attr_str(f.fid, "actions", acts));
    PetscCall(PetscFree(acts));
  }
  PetscCall(prc_h5_commit(&f, ctx));
  PetscFunctionReturn(0);
}

static PetscErrorCode read_col(hid_t g, const char *name, hid_t t, hsize_t n, void *buf)
{
  hsize_t s[1] = {0}, c[1] = {n};
  PetscFunctionBeginUser;
  PetscCall(prc_h5_read_nd(g, name, t, s, c, buf));
  PetscFunctionReturn(0);
}

/* Load a state written by write_state: 1 in *ok if it is an unfinished run of these options. */
static PetscErrorCode read_state(env *E, const char *path, tree *T, tree *T0, results *R, int *ok)
{
  prc_ctx *ctx = E->ctx;
  int      exists = 0;
  PetscFunctionBeginUser;
  *ok = 0;
  if (!ctx->rank) exists = access(path, R_OK) == 0;
  PetscCallMPI(MPI_Bcast(&exists, 1, MPI_INT, 0, ctx->comm));
  if (!exists) PetscFunctionReturn(0);
  hid_t  fid, g;
  double v;
  int    found;
  PetscCall(prc_h5_open(ctx->comm, path, &fid));
  PetscCall(prc_h5_attr_get_double(fid, "options_fingerprint", &v, &found));
  if (!found || (unsigned long)v != online_fingerprint(ctx->opts)) {
    prc_say(ctx->comm, "[online] %s was written with other options: starting afresh\n", path);
    PetscCall(prc_h5_close(fid));
    PetscFunctionReturn(0);
  }
  double dn, dr, dd, dc;
  PetscCall(prc_h5_attr_get_double(fid, "nnodes", &dn, NULL));
  PetscCall(prc_h5_attr_get_double(fid, "root", &dr, NULL));
  PetscCall(prc_h5_attr_get_double(fid, "windows_done", &dd, NULL));
  PetscCall(prc_h5_attr_get_double(fid, "complete", &dc, NULL));
  T->n = (int)dn, T->root = (int)dr, R->done = (int)dd;
  PetscCheck(T->n >= 1 && T->n <= MAXNODE && T->root >= 0 && T->root < T->n, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': damaged tree (%d nodes)", path, T->n);
  g = H5Gopen2(fid, "tree", H5P_DEFAULT);
  PetscCheck(g >= 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': no /tree", path);
  int     pa[MAXNODE], le[MAXNODE], no[MAXNODE], cr[MAXNODE], nc[MAXNODE], ch[MAXNODE * MAXCHILD];
  int64_t nm[MAXNODE];
  PetscCall(read_col(g, "parent", H5T_NATIVE_INT, (hsize_t)T->n, pa));
  PetscCall(read_col(g, "leaf", H5T_NATIVE_INT, (hsize_t)T->n, le));
  PetscCall(read_col(g, "nout", H5T_NATIVE_INT, (hsize_t)T->n, no));
  PetscCall(read_col(g, "created_window", H5T_NATIVE_INT, (hsize_t)T->n, cr));
  PetscCall(read_col(g, "nchildren", H5T_NATIVE_INT, (hsize_t)T->n, nc));
  PetscCall(read_col(g, "children", H5T_NATIVE_INT, (hsize_t)T->n * MAXCHILD, ch));
  PetscCall(read_col(g, "memory_size", H5T_NATIVE_INT64, (hsize_t)T->n, nm));
  char name[64];
  for (int i = 0; i < T->n; i++) {
    tnode *d = &T->node[i];
    d->parent = pa[i], d->leaf = le[i], d->nout = no[i], d->created = cr[i], d->nchild = nc[i], d->nmem = nm[i];
    PetscCheck(d->nchild >= 0 && d->nchild <= MAXCHILD && d->nout >= 1, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': damaged node %d", path, i);
    for (int c = 0; c < d->nchild; c++) d->child[c] = ch[i * MAXCHILD + c];
    PetscCall(new_model(E, d->nout, &d->m));
    snprintf(name, sizeof name, "params_%d", i);
    PetscCall(read_col(g, name, H5T_NATIVE_FLOAT, prc_model_nparams(d->m), prc_model_params(d->m)));
    snprintf(name, sizeof name, "buffers_%d", i);
    PetscCall(read_col(g, name, H5T_NATIVE_FLOAT, prc_model_nbuffers(d->m), prc_model_buffers(d->m)));
    PetscCall(PetscMalloc1(d->nmem + 1, &d->mem));
    snprintf(name, sizeof name, "memory_%d", i);
    PetscCall(read_col(g, name, H5T_NATIVE_INT64, (hsize_t)d->nmem, d->mem));
  }
  T0->n = 1, T0->root = 0, T0->node[0] = (tnode){.parent = -1, .leaf = 1, .nout = E->C};
  PetscCall(new_model(E, E->C, &T0->node[0].m));
  PetscCall(read_col(g, "initial_params", H5T_NATIVE_FLOAT, prc_model_nparams(T0->node[0].m), prc_model_params(T0->node[0].m)));
  PetscCall(read_col(g, "initial_buffers", H5T_NATIVE_FLOAT, prc_model_nbuffers(T0->node[0].m), prc_model_buffers(T0->node[0].m)));
  H5Gclose(g);
  g = H5Gopen2(fid, "results", H5P_DEFAULT);
  const int   nw = R->done + 1;
  const char *sets[3] = {"old", "new", "all"};
  for (int s = 0; s < 3; s++) {
    snprintf(name, sizeof name, "acc_tree_%s", sets[s]);
    PetscCall(read_col(g, name, H5T_NATIVE_DOUBLE, (hsize_t)nw, R->acc_tree[s]));
    snprintf(name, sizeof name, "acc_initial_%s", sets[s]);
    PetscCall(read_col(g, name, H5T_NATIVE_DOUBLE, (hsize_t)nw, R->acc_init[s]));
    snprintf(name, sizeof name, "acc_retrain_%s", sets[s]);
    PetscCall(read_col(g, name, H5T_NATIVE_DOUBLE, (hsize_t)nw, R->acc_re[s]));
  }
  PetscCall(read_col(g, "leaves", H5T_NATIVE_INT, (hsize_t)nw, R->leaves));
  H5Gclose(g);
  g = H5Gopen2(fid, "timing", H5P_DEFAULT);
  PetscCall(read_col(g, "time_tree_s", H5T_NATIVE_DOUBLE, (hsize_t)nw, R->time_tree));
  PetscCall(read_col(g, "time_retrain_s", H5T_NATIVE_DOUBLE, (hsize_t)nw, R->time_re));
  H5Gclose(g);
  {
    char *acts;
    PetscCall(PetscMalloc1((size_t)nw * 260 + 1, &acts));
    PetscCall(prc_h5_attr_get_str(fid, "actions", acts, (size_t)nw * 260 + 1, NULL));
    char *p = acts;
    for (int w = 0; w < nw; w++) {
      char *q = strchr(p, '\n');
      if (q) *q = 0;
      snprintf(R->actions[w], sizeof R->actions[w], "%s", p);
      if (!q) break;
      p = q + 1;
    }
    PetscCall(PetscFree(acts));
  }
  PetscCall(prc_h5_close(fid));
  *ok = dc == 0 ? 1 : 2; /* 2: a finished run (nothing left to do) */
  PetscFunctionReturn(0);
}

/* ---------- the stage ---------- */
static void online_validate(prc_opts *o)
{
  if (prc_opts_int(o, "online_batch") % prc_opts_int(o, "online_micro_batch"))
    prc_opts_violation(o, "-online_micro_batch %d must divide -online_batch %d", (int)prc_opts_int(o, "online_micro_batch"), (int)prc_opts_int(o, "online_batch"));
  if (strcmp(prc_opts_string(o, "online_stream_order"), "shuffle") && strcmp(prc_opts_string(o, "online_stream_order"), "file"))
    prc_opts_violation(o, "-online_stream_order '%s': expected shuffle or file", prc_opts_string(o, "online_stream_order"));
  if (prc_opts_real(o, "online_alpha") > prc_opts_real(o, "online_beta")) prc_opts_violation(o, "-online_alpha must not exceed -online_beta");
  const char *f = prc_opts_string(o, "online_flag");
  if (strcmp(f, "none")) {
    const char *p = f;
    while (*p) {
      char *e;
      long  w = strtol(p, &e, 10);
      if (e == p || w < 0 || w >= MAXWIN || (*e && *e != ',')) {
        prc_opts_violation(o, "-online_flag '%s': expected none or window indices separated by commas", f);
        break;
      }
      p = *e ? e + 1 : e;
    }
  }
}

static int flagged(const char *f, int w)
{
  if (!strcmp(f, "none")) return 0;
  for (const char *p = f; *p;) {
    char *e;
    long  v = strtol(p, &e, 10);
    if (v == w) return 1;
    p = *e ? e + 1 : e;
  }
  return 0;
}

static PetscErrorCode online_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  const char     *od = prc_opts_string(o, "out_dir");
  env             E = {.ctx = ctx, .spec = prc_opts_string(o, "online_model"), .F = (int)prc_opts_int(o, "online_features"), .B = (int)prc_opts_int(o, "online_batch"),
                       .mb = (int)prc_opts_int(o, "online_micro_batch"), .freeze_bn = prc_opts_bool(o, "online_freeze_bn"), .wd = prc_opts_real(o, "online_weight_decay"),
                       .lc = {prc_opts_real(o, "online_lambda1"), prc_opts_real(o, "online_lambda2"), prc_opts_real(o, "online_omega")},
                       .seed = (uint64_t)prc_opts_int(o, "seed")};
  PetscFunctionBeginUser;
  E.ndefs = prc_model_defines_split(prc_opts_string(o, "online_defines"), E.dbuf, sizeof E.dbuf, E.defs, 64);
  PetscCall(prc_ctx_add_input(ctx, E.spec));
  /* data: the number of classes comes from the initial set's attribute (else its labels) */
  prc_model *probe;
  int        C = 0;
  {
    hid_t  fid;
    double v;
    int    found;
    PetscCall(prc_h5_open(ctx->comm, prc_opts_string(o, "online_init"), &fid));
    PetscCall(prc_h5_attr_get_double(fid, "nclasses", &v, &found));
    PetscCall(prc_h5_close(fid));
    PetscCheck(found && v >= 2 && v <= 64, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': attribute nclasses (2..64) missing", prc_opts_string(o, "online_init"));
    C = (int)v;
  }
  E.C = C;
  PetscCall(new_model(&E, C, &probe));
  PetscCheck(prc_model_ninputs(probe) == 2, ctx->comm, PETSC_ERR_SUP, "'%s': online learning needs a model with inputs x and aux", E.spec);
  eset di, dit, ds, dst;
  PetscCall(load_set(ctx, prc_opts_string(o, "online_init"), probe, C, &di));
  PetscCall(load_set(ctx, prc_opts_string(o, "online_init_test"), probe, C, &dit));
  PetscCall(load_set(ctx, prc_opts_string(o, "online_stream"), probe, C, &ds));
  PetscCall(load_set(ctx, prc_opts_string(o, "online_stream_test"), probe, C, &dst));
  prc_model_destroy(probe);
  const int     Wn = (int)prc_opts_int(o, "online_window"), NW = (int)prc_opts_int(o, "online_windows");
  const int64_t need = (int64_t)Wn * NW;
  PetscCheck(ds.n >= need, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "'%s' holds %lld samples, fewer than -online_windows %d x -online_window %d", ds.path,
             (long long)ds.n, NW, Wn);
  /* test sets are addressed through a pool of their own */
  pool P = {&di, &ds}, Pold = {&dit, &dit}, Pnew = {&dst, &dst};
  E.P = &P;
  const int compare = prc_opts_bool(o, "online_compare");
  const double a_lo = prc_opts_real(o, "online_alpha"), a_hi = prc_opts_real(o, "online_beta");
  const int    e_init = (int)prc_opts_int(o, "online_epochs_init"), e_inc = (int)prc_opts_int(o, "online_epochs_inc"),
            e_rt = (int)prc_opts_int(o, "online_epochs_router");
  const double lr = prc_opts_real(o, "online_lr"), lr_inc = prc_opts_real(o, "online_lr_inc");
  char         path[4200];
  snprintf(path, sizeof path, "%s/online_tree.h5", od);
  static tree T, T0;
  static results R;
  memset(&T, 0, sizeof T), memset(&T0, 0, sizeof T0), memset(&R, 0, sizeof R);
  int resumed = 0;
  if (prc_opts_bool(o, "online_resume")) PetscCall(read_state(&E, path, &T, &T0, &R, &resumed));
  env Eo = E, En = E;
  Eo.P = &Pold, En.P = &Pnew;
  prc_online_loss_conf ce_only = {0, 0, 1};
  if (resumed == 2) prc_say(ctx->comm, "[online] %s holds a finished run of these options: nothing to do\n", path);
  else if (resumed == 1) prc_say(ctx->comm, "[online] resuming from %s after window %d of %d\n", path, R.done, NW);
  else {
    /* initial model: one leaf trained on the initial set (CE only) */
    T.n = 1, T.root = 0, T.node[0] = (tnode){.parent = -1, .leaf = 1, .nout = C, .created = -1};
    PetscCall(new_model(&E, C, &T.node[0].m));
    PetscCall(fresh_init(&E, T.node[0].m, C, prc_hash4(E.seed, 1, 0, 0)));
    int64_t *ids;
    PetscCall(PetscMalloc1(di.n, &ids));
    for (int64_t i = 0; i < di.n; i++) ids[i] = i;
    env Ec = E;
    Ec.lc = ce_only;
    double tl;
    PetscCall(fit(&Ec, T.node[0].m, C, NULL, ids, NULL, di.n, e_init, lr, prc_hash4(E.seed, 2, 0, 0), &R.time_tree[0], &tl));
    PetscCall(mem_add(&T.node[0], ids, di.n));
    PetscCall(PetscFree(ids));
    T0.n = 1, T0.root = 0, T0.node[0] = (tnode){.parent = -1, .leaf = 1, .nout = C};
    PetscCall(copy_model(&E, T.node[0].m, C, &T0.node[0].m));
    R.time_re[0] = R.time_tree[0];
    double a[3];
    /* eval with each test pool (ids index the test set itself) */
    PetscCall(accuracy(&Eo, &T, &dit, 0, &a[0]));
    PetscCall(accuracy(&En, &T, &dst, 0, &a[1]));
    a[2] = (a[0] * (double)dit.n + a[1] * (double)dst.n) / (double)(dit.n + dst.n);
    for (int s = 0; s < 3; s++) R.acc_tree[s][0] = R.acc_init[s][0] = R.acc_re[s][0] = a[s];
    R.leaves[0] = 1;
    snprintf(R.actions[0], sizeof R.actions[0], "initial model: %lld samples, %d epochs, final loss %.4f", (long long)di.n, e_init, tl);
    prc_say(ctx->comm, "[online] initial model: %lld samples, %d epochs, %.1f s; accuracy old %.4f new %.4f all %.4f\n", (long long)di.n, e_init, R.time_tree[0],
            a[0], a[1], a[2]);
    PetscCall(write_state(&E, path, &T, &T0, &R, 0));
  }
  /* windows: arrival order of the stream */
  int64_t *order;
  PetscCall(PetscMalloc1(ds.n, &order));
  if (!strcmp(prc_opts_string(o, "online_stream_order"), "shuffle")) PrcCallK(prc_train_permutation(prc_hash4(E.seed, 8, 0, 0), 0, ds.n, order));
  else
    for (int64_t i = 0; i < ds.n; i++) order[i] = i;
  const char  *flags = prc_opts_string(o, "online_flag");
  prc_progress prog;
  prc_progress_start(&prog, ctx->comm, "online", "windows", "windows", NW - R.done, 0, prc_opts_bool(o, "quiet"));
  int stop_after = (int)prc_opts_int(o, "online_stop_after"), start_done = R.done;
  for (int w = R.done; w < NW && resumed != 2; w++) {
    int64_t  n = Wn, *ids, *sub;
    int     *leaf_of;
    int32_t *pred;
    float   *xb, *ab;
    PetscCall(PetscMalloc4(n, &ids, n, &sub, n, &leaf_of, n, &pred));
    PetscCall(PetscMalloc2(di.S * EVAL_B, &xb, di.A * EVAL_B, &ab));
    for (int64_t i = 0; i < n; i++) ids[i] = di.n + order[(int64_t)w * Wn + i];
    PetscCall(route(&E, &T, T.root, ids, n, leaf_of, pred, xb, ab)); /* every rank routes the whole window: small */
    double tw = 0;
    char   act[256] = "";
    int    nleaf0 = T.n;
    for (int v = 0; v < nleaf0; v++) {
      if (!T.node[v].leaf) continue;
      int64_t k = 0, hit = 0;
      for (int64_t i = 0; i < n; i++)
        if (leaf_of[i] == v) sub[k++] = ids[i], hit += pred[i] == ds.y[ids[i] - di.n];
      if (!k) continue;
      double acc = (double)hit / (double)k, t = 0;
      int    fl = flagged(flags, w);
      prc_model *teacher;
      PetscCall(copy_model(&E, T.node[v].m, T.node[v].nout, &teacher));
      if (fl || acc < a_lo) {
        PetscCheck(T.n + 2 <= MAXNODE, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "the tree would exceed %d nodes", MAXNODE);
        int c = T.n++, p = T.node[v].parent;
        T.node[c] = (tnode){.parent = p, .leaf = 1, .nout = C, .created = w};
        PetscCall(copy_model(&E, T.node[v].m, C, &T.node[c].m));
        PetscCall(fit(&E, T.node[c].m, C, teacher, sub, NULL, k, e_inc, lr_inc, prc_hash4(E.seed, 3, (uint64_t)w, (uint64_t)c), &t, NULL));
        PetscCall(mem_add(&T.node[c], sub, k));
        if (p < 0) { /* the leaf was the root: a new root router above it */
          p = T.n++;
          T.node[p] = (tnode){.parent = -1, .leaf = 0, .created = w, .nchild = 1, .child = {v}};
          T.node[v].parent = p, T.node[c].parent = p, T.root = p;
        }
        tnode *pp = &T.node[p];
        PetscCheck(pp->nchild < MAXCHILD, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "node %d would have more than %d children", p, MAXCHILD);
        pp->child[pp->nchild++] = c;
        /* the router: retrained from its initialisation on the children's memories, balanced:
         * every child contributes Rn = min(largest memory, -online_router_samples / children)
         * samples (an evenly spaced subset of a larger memory, a larger one cycled) */
        int64_t big = 0, Rn;
        for (int q = 0; q < pp->nchild; q++) big = PetscMax(big, subtree_nmem(&T, pp->child[q]));
        Rn = PetscMin(big, prc_opts_int(o, "online_router_samples") / pp->nchild);
        Rn = PetscMax(Rn, 1);
        int64_t tot = Rn * pp->nchild, *rid, *cm;
        int32_t *rl;
        PetscCall(PetscMalloc3(tot, &rid, tot, &rl, big + 1, &cm));
        for (int q = 0; q < pp->nchild; q++) {
          int64_t m = 0;
          subtree_mem(&T, pp->child[q], cm, &m);
          for (int64_t i = 0; i < Rn; i++) rid[q * Rn + i] = cm[m >= Rn ? (i * m) / Rn : i % m], rl[q * Rn + i] = q;
        }
        if (pp->m) prc_model_destroy(pp->m);
        pp->nout = pp->nchild;
        PetscCall(new_model(&E, pp->nout, &pp->m));
        PetscCall(fresh_init(&E, pp->m, pp->nout, prc_hash4(E.seed, 4, (uint64_t)w, (uint64_t)p)));
        env Ec = E;
        Ec.lc = ce_only;
        double tr;
        PetscCall(fit(&Ec, pp->m, pp->nout, NULL, rid, rl, tot, e_rt, lr, prc_hash4(E.seed, 5, (uint64_t)w, (uint64_t)p), &tr, NULL));
        PetscCall(PetscFree3(rid, rl, cm));
        t += tr;
        snprintf(act + strlen(act), sizeof act - strlen(act), "%sleaf %d acc %.3f on %lld: %s -> clone %d under %d", act[0] ? "; " : "", v, acc, (long long)k,
                 fl ? "flagged" : "below alpha", c, p);
      } else if (acc <= a_hi) {
        PetscCall(fit(&E, T.node[v].m, C, teacher, sub, NULL, k, e_inc, lr_inc, prc_hash4(E.seed, 6, (uint64_t)w, (uint64_t)v), &t, NULL));
        PetscCall(mem_add(&T.node[v], sub, k));
        snprintf(act + strlen(act), sizeof act - strlen(act), "%sleaf %d acc %.3f on %lld: fine-tuned", act[0] ? "; " : "", v, acc, (long long)k);
      } else
        snprintf(act + strlen(act), sizeof act - strlen(act), "%sleaf %d acc %.3f on %lld: kept", act[0] ? "; " : "", v, acc, (long long)k);
      prc_model_destroy(teacher);
      tw += t;
    }
    PetscCall(PetscFree4(ids, sub, leaf_of, pred));
    PetscCall(PetscFree2(xb, ab));
    R.time_tree[w + 1] = tw;
    snprintf(R.actions[w + 1], sizeof R.actions[w + 1], "window %d: %s", w, act);
    int nl = 0;
    for (int v = 0; v < T.n; v++) nl += T.node[v].leaf;
    R.leaves[w + 1] = nl;
    double a[3];
    PetscCall(accuracy(&Eo, &T, &dit, 0, &a[0]));
    PetscCall(accuracy(&En, &T, &dst, 0, &a[1]));
    a[2] = (a[0] * (double)dit.n + a[1] * (double)dst.n) / (double)(dit.n + dst.n);
    for (int s = 0; s < 3; s++) R.acc_tree[s][w + 1] = a[s];
    if (compare) {
      PetscCall(accuracy(&Eo, &T0, &dit, 0, &a[0]));
      PetscCall(accuracy(&En, &T0, &dst, 0, &a[1]));
      a[2] = (a[0] * (double)dit.n + a[1] * (double)dst.n) / (double)(dit.n + dst.n);
      for (int s = 0; s < 3; s++) R.acc_init[s][w + 1] = a[s];
      /* retrain from scratch on the initial set and every window so far */
      tree    Tr = {.n = 1, .root = 0};
      int64_t nall = di.n + (int64_t)(w + 1) * Wn, *all;
      PetscCall(PetscMalloc1(nall, &all));
      for (int64_t i = 0; i < nall; i++) all[i] = i < di.n ? i : di.n + order[i - di.n];
      Tr.node[0] = (tnode){.parent = -1, .leaf = 1, .nout = C};
      PetscCall(new_model(&E, C, &Tr.node[0].m));
      PetscCall(fresh_init(&E, Tr.node[0].m, C, prc_hash4(E.seed, 1, 0, 0)));
      env Ec = E;
      Ec.lc = ce_only;
      PetscCall(fit(&Ec, Tr.node[0].m, C, NULL, all, NULL, nall, e_init, lr, prc_hash4(E.seed, 7, (uint64_t)w, 0), &R.time_re[w + 1], NULL));
      PetscCall(PetscFree(all));
      PetscCall(accuracy(&Eo, &Tr, &dit, 0, &a[0]));
      PetscCall(accuracy(&En, &Tr, &dst, 0, &a[1]));
      a[2] = (a[0] * (double)dit.n + a[1] * (double)dst.n) / (double)(dit.n + dst.n);
      for (int s = 0; s < 3; s++) R.acc_re[s][w + 1] = a[s];
      prc_model_destroy(Tr.node[0].m);
    } else
      for (int s = 0; s < 3; s++) R.acc_init[s][w + 1] = R.acc_re[s][w + 1] = NAN;
    R.done = w + 1;
    prc_say(ctx->comm, "[online] %s\n", R.actions[w + 1]);
    prc_say(ctx->comm, "[online]   after %lld online samples: tree (%d leaves) old %.4f new %.4f all %.4f, %.1f s", (long long)(w + 1) * Wn, nl,
            R.acc_tree[0][w + 1], R.acc_tree[1][w + 1], R.acc_tree[2][w + 1], tw);
    if (compare)
      prc_say(ctx->comm, " | initial all %.4f | retrained all %.4f, %.1f s", R.acc_init[2][w + 1], R.acc_re[2][w + 1], R.time_re[w + 1]);
    prc_say(ctx->comm, "\n");
    PetscCall(write_state(&E, path, &T, &T0, &R, R.done == NW));
    prc_progress_update(&prog, w + 1 - start_done);
    PetscBool stop;
    PetscCall(prc_stop_requested(ctx->comm, &stop));
    if ((stop || w == stop_after) && R.done < NW) {
      prc_progress_end(&prog);
      prc_say(ctx->comm, "[online] stopping after window %d: state in %s (run again to resume)\n", w, path);
      PetscFunctionReturn(PRC_ERR_CHECKPOINTED);
    }
  }
  prc_progress_end(&prog);
  /* pictures */
  int  ok = 1;
  char msg[512] = "";
  if (!ctx->rank && prc_opts_bool(o, "online_png")) {
    const int nw = R.done + 1;
    double    x[MAXWIN + 1], y[6][MAXWIN + 1], ct[MAXWIN + 1], cr[MAXWIN + 1];
    for (int w = 0; w < nw; w++) {
      x[w] = (double)w * Wn;
      y[0][w] = 100 * R.acc_init[2][w], y[1][w] = 100 * R.acc_tree[2][w], y[2][w] = 100 * R.acc_re[2][w];
      y[3][w] = 100 * R.acc_tree[0][w], y[4][w] = 100 * R.acc_init[0][w], y[5][w] = 100 * R.acc_re[0][w];
      ct[w] = w ? R.time_tree[w] : 0, cr[w] = w ? R.time_re[w] : 0;
    }
    prc_series s[3] = {{x, y[0], nw, "initial model (no update)", 0}, {x, y[1], nw, "incremental (tree)", 0}, {x, y[2], nw, "retrained from scratch", 0}};
    prc_lines_style ls = {.title = "test accuracy (old + new test sets) vs online samples", .xlabel = "online (incremental) samples", .ylabel = "accuracy (%)",
                          .width = 800, .height = 450};
    snprintf(path, sizeof path, "%s/online_accuracy.png", od);
    if (prc_plot_lines_png(path, s, compare ? 3 : 2, &ls)) ok = 0, snprintf(msg, sizeof msg, "%s", prc_lasterr());
    prc_series st[2] = {{x + 1, ct + 1, nw - 1, "incremental (tree update of the window)", 0}, {x + 1, cr + 1, nw - 1, "retrained from scratch", 0}};
    prc_lines_style lt = {.title = "training time per window", .xlabel = "online (incremental) samples", .ylabel = "seconds", .width = 800, .height = 450};
    snprintf(path, sizeof path, "%s/online_time.png", od);
    if (ok && nw > 1 && prc_plot_lines_png(path, st, compare ? 2 : 1, &lt)) ok = 0, snprintf(msg, sizeof msg, "%s", prc_lasterr());
    prc_series so[3] = {{x, y[3], nw, "incremental (tree)", 0}, {x, y[4], nw, "initial model", 0}, {x, y[5], nw, "retrained from scratch", 0}};
    prc_lines_style lo = {.title = "accuracy on the old test set (forgetting)", .xlabel = "online (incremental) samples", .ylabel = "accuracy (%)", .width = 800,
                          .height = 450};
    snprintf(path, sizeof path, "%s/online_old.png", od);
    if (ok && prc_plot_lines_png(path, so, compare ? 3 : 1, &lo)) ok = 0, snprintf(msg, sizeof msg, "%s", prc_lasterr());
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, ctx->comm));
  PetscCallMPI(MPI_Bcast(msg, sizeof msg, MPI_CHAR, 0, ctx->comm));
  PetscCheck(ok, ctx->comm, PETSC_ERR_FILE_WRITE, "PNG in '%s': %s", od, msg);
  prc_say(ctx->comm, "[online] outputs in %s/: online_tree.h5 (show it: precursor tree -tree_input %s/online_tree.h5)%s\n", od, od,
          prc_opts_bool(o, "online_png") ? ", online_accuracy.png, online_time.png, online_old.png" : "");
  for (int i = 0; i < T.n; i++) {
    prc_model_destroy(T.node[i].m);
    PetscCall(PetscFree(T.node[i].mem));
  }
  prc_model_destroy(T0.node[0].m);
  PetscCall(PetscFree(order));
  eset *sets[4] = {&di, &dit, &ds, &dst};
  for (int i = 0; i < 4; i++) PetscCall(PetscFree3(sets[i]->x, sets[i]->aux, sets[i]->y));
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_online = {"online", "paper 000's tree-structured online learning (fine-tune / clone leaves, CE + KD + less-forgetting), results 2-3",
                                    online_opts, (int)(sizeof online_opts / sizeof online_opts[0]), online_validate, online_run};

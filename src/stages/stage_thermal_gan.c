/* stage_thermal_gan.c — `precursor thermal-gan`: DCGAN augmentation of thermal samples
 * (paper 001 §2.1, METHODS.md §4; docs/THERMAL.md "DCGAN augmentation").
 *
 * A generator (inputs/models/dcgan_g.model) and a discriminator (dcgan_d.model with the
 * multi-feature-fusion layer, or dcgan_d_plain.model without it) trained adversarially with
 * BCE on the images of one class of a thermal-samples file, data-parallel: each step's
 * global batch is M fixed micro-batches spread over the ranks, and every gradient, batch-norm
 * statistic and loss is averaged over the M micro-batches with prc_dp_mean_exact (64-bit
 * fixed point): the models are bitwise the same on any rank count (tested). Per step:
 *   D phase: per micro-batch, BCE(D(real), 1) + BCE(D(G(z1)), 0), D gradients averaged, Adam;
 *   G phase: per micro-batch, BCE(D(G(z2)), 1) back through D into G (prc_model_backward_from),
 *            G gradients averaged, Adam.
 * Real images are drawn with replacement by a counter hash of (seed, step, sample), noise
 * z ~ N(0, 1) likewise, so nothing depends on who computes what. Each model's batch-norm
 * running statistics are updated in its own phase only.
 *
 * Outputs: generator.h5 / discriminator.h5 (kind "model", loadable by prc_model_h5_load),
 * checkpoints (atomic, prc_h5_create/commit), gan_history.h5, generated.h5 (kind trainset:
 * generated images with the class label, in the input's units) and, with -gan_augment, the
 * input set plus the generated images (augmented.h5) for `train`; the validity checks of
 * paper Table 1 and the RST-style anomaly location check (gan_validity in gan_history.h5 and
 * the log), PNGs of real vs generated images, mean maps and loss curves. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

#include "precursor/checkpoint.h"
#include "precursor/dp.h"
#include "precursor/model_h5.h"
#include "precursor/nn_train.h"
#include "precursor/error.h"
#include "precursor/plot.h"
#include "precursor/progress.h"
#include "precursor/rng.h"
#include "precursor/stage.h"

static const prc_opt_spec gan_opts[] = {
  {"gan_data", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "training images: a trainset file (thermal-samples output, /x (n, 1, S, S))"},
  {"gan_class", PRC_OPT_INT, "1", -1, 1000, "learn the images of this label (1: before earthquakes, as the paper); -1: all"},
  {"gan_generator", PRC_OPT_STRING, "inputs/models/dcgan_g.model", PRC_NO_RANGE, "generator spec (input z (NZ,1,1), output (1,S,S))"},
  {"gan_discriminator", PRC_OPT_STRING, "inputs/models/dcgan_d.model", PRC_NO_RANGE,
   "discriminator spec with a bce_logits loss: dcgan_d.model (multi-feature fusion) or dcgan_d_plain.model"},
  {"gan_defines", PRC_OPT_STRING, "none", PRC_NO_RANGE, "spec substitutions for both models, e.g. NZ=64"},
  {"gan_steps", PRC_OPT_INT, "300", 1, 1e9, "training steps (one D and one G update each)"},
  {"gan_batch", PRC_OPT_INT, "32", 1, 1e6, "global batch of real (and of generated) images per step"},
  {"gan_micro_batch", PRC_OPT_INT, "8", 1, 1e6, "micro-batch (divides the batch; fixes the arithmetic, not the rank count)"},
  {"gan_lr", PRC_OPT_REAL, "2e-4", 1e-8, 1, "Adam learning rate of both models (DCGAN: 2e-4)"},
  {"gan_beta1", PRC_OPT_REAL, "0.5", 0, 0.999, "Adam beta1 (DCGAN: 0.5)"},
  {"gan_scale", PRC_OPT_REAL, "3", 1e-6, 1e6, "images enter the GAN as clip(x / scale, -1, 1) (tanh range) and leave times scale"},
  {"gan_resume", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "continue from the latest complete checkpoint in <out_dir>/checkpoints (any rank count)"},
  {"gan_checkpoint_every", PRC_OPT_INT, "0", 0, 1e9, "write checkpoints/gan_<step>.h5 every this many steps (0: only at the end)"},
  {"gan_generate", PRC_OPT_INT, "256", 1, 1e8, "generated images written to generated.h5 (and used by the validity checks)"},
  {"gan_generate_factor", PRC_OPT_REAL, "0", 0, 1000,
   "if > 0: generate this many times the number of real images of the class instead of -gan_generate (2 = the paper's threefold data)"},
  {"gan_augment", PRC_OPT_BOOL, "false", PRC_NO_RANGE, "also write augmented.h5: every image of -gan_data plus the generated ones"},
  {"gan_k", PRC_OPT_REAL, "2", 0.1, 100, "validity check: a pixel is anomalous where its spatially standardised value is >= k"},
  {"gan_png", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "write gan_samples.png, gan_means.png and gan_loss.png"},
};

static void gan_validate(prc_opts *o)
{
  if (prc_opts_int(o, "gan_batch") % prc_opts_int(o, "gan_micro_batch"))
    prc_opts_violation(o, "-gan_micro_batch %lld must divide -gan_batch %lld", (long long)prc_opts_int(o, "gan_micro_batch"),
                       (long long)prc_opts_int(o, "gan_batch"));
}

typedef struct {
  prc_model *m;
  prc_optim *opt;
  size_t     np, nb;
  char      *spec;
  char       path[4096];
} net;

static PetscErrorCode net_load(prc_ctx *ctx, const char *path, const char *defs, uint64_t seed, const prc_optim_conf *oc, net *n)
{
  char  dbuf[4096], *dv[65];
  FILE *f;
  long  len;
  PetscFunctionBeginUser;
  memset(n, 0, sizeof *n);
  snprintf(n->path, sizeof n->path, "%s", path);
  PetscCall(prc_ctx_add_input(ctx, path));
  prc_model_defines_split(defs, dbuf, sizeof dbuf, dv, 65);
  PrcCallK(prc_model_load(path, (const char *const *)dv, &n->m));
  PrcCallK(prc_model_init(n->m, seed));
  n->np = prc_model_nparams(n->m), n->nb = prc_model_nbuffers(n->m);
  PrcCallK(prc_optim_create(oc, n->np, &n->opt));
  prc_optim_decay_none(n->opt);
  f = fopen(path, "rb");
  PetscCheck(f, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot read '%s'", path);
  fseek(f, 0, SEEK_END), len = ftell(f), fseek(f, 0, SEEK_SET);
  PetscCall(PetscMalloc1((size_t)len + 1, &n->spec));
  n->spec[fread(n->spec, 1, (size_t)len, f)] = 0;
  fclose(f);
  PetscFunctionReturn(0);
}

static void net_free(net *n)
{
  prc_optim_destroy(n->opt);
  prc_model_destroy(n->m);
  PetscFree(n->spec);
}

static void set_t(prc_tensor *t, float *x, int n, int nd, const int *sh)
{
  memset(t, 0, sizeof *t);
  t->ndim = nd + 1;
  for (int i = 0; i < PRC_NN_MAXDIM; i++) t->shape[i] = 1;
  t->shape[0] = n;
  size_t s = (size_t)n;
  for (int i = 0; i < nd; i++) t->shape[i + 1] = sh[i], s *= (size_t)sh[i];
  t->size = s, t->data = x;
}

static double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }
static double sigm(double x) { return 1 / (1 + exp(-x)); }

/* Write a model file (kind "model") that prc_model_h5_load reads back. */
static PetscErrorCode write_model(prc_ctx *ctx, const char *path, net *n, const char *defs, long long steps)
{
  prc_h5out f;
  PetscFunctionBeginUser;
  PetscCall(prc_h5_create(ctx->comm, path, "model", &f));
  PetscCall(prc_model_h5_write_tensors(ctx->comm, f.fid, n->m));
  PetscCall(prc_h5_attr_str(f.fid, "model_name", prc_model_name(n->m)));
  PetscCall(prc_h5_attr_int(f.fid, "model_fingerprint", (long long)prc_model_fingerprint(n->m)));
  PetscCall(prc_h5_attr_str(f.fid, "spec_path", n->path));
  PetscCall(prc_h5_attr_str(f.fid, "spec_defines", strcmp(defs, "none") ? defs : ""));
  PetscCall(prc_h5_attr_str(f.fid, "spec_text", n->spec));
  PetscCall(prc_h5_attr_int(f.fid, "steps", steps));
  PetscCall(prc_h5_attr_int(f.fid, "nparams", (long long)n->np));
  PetscCall(prc_h5_commit(&f, ctx));
  PetscFunctionReturn(0);
}

static PetscErrorCode write_checkpoint(prc_ctx *ctx, const char *out, net *G, net *D, long long step, const double *hist)
{
  char      path[4200];
  prc_h5out f;
  hid_t     g;
  PetscFunctionBeginUser;
  snprintf(path, sizeof path, "%s/checkpoints", out);
  if (!ctx->rank) mkdir(path, 0777);
  PetscCallMPI(MPI_Barrier(ctx->comm));
  snprintf(path, sizeof path, "%s/checkpoints/gan_%09lld.h5", out, step);
  PetscCall(prc_h5_create(ctx->comm, path, "checkpoint", &f));
  PetscCall(prc_h5_attr_str(f.fid, "magic", "precursor-checkpoint"));
  PetscCall(prc_h5_attr_int(f.fid, "format_version", 1));
  PetscCall(prc_h5_attr_str(f.fid, "stage", "thermal-gan"));
  PetscCall(prc_h5_attr_int(f.fid, "step", step));
  net *nets[2] = {G, D};
  const char *names[2] = {"generator", "discriminator"};
  for (int k = 0; k < 2; k++) {
    PetscCall(prc_h5_group(f.fid, names[k], &g));
    PetscCall(prc_model_h5_write_tensors(ctx->comm, g, nets[k]->m));
    hsize_t n = nets[k]->np, z = 0, c = ctx->rank ? 0 : n;
    PetscCall(prc_h5_write_nd(g, "optim_m", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, &n, &z, &c, nets[k]->opt->m));
    PetscCall(prc_h5_write_nd(g, "optim_v", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, &n, &z, &c, nets[k]->opt->v));
    PetscCall(prc_h5_attr_int(g, "optim_t", nets[k]->opt->t));
    H5Gclose(g);
  }
  {
    hsize_t dims[2] = {(hsize_t)step, 4}, st[2] = {0, 0}, c[2] = {ctx->rank ? 0 : (hsize_t)step, ctx->rank ? 0 : 4};
    PetscCall(prc_h5_write_nd(f.fid, "history", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, st, c, hist));
  }
  PetscCall(prc_h5_attr_int(f.fid, "complete", 1));
  PetscCall(prc_h5_commit(&f, ctx));
  PetscFunctionReturn(0);
}

/* Latest complete checkpoint of <out>/checkpoints (rank 0 scans, the name is broadcast);
 * *step = 0 and path "" if none. */
static PetscErrorCode find_checkpoint(prc_ctx *ctx, const char *out, char *path, size_t len, long long *step)
{
  char      dir[4200], best[512] = "";
  long long bs = 0;
  PetscFunctionBeginUser;
  if (!ctx->rank) {
    snprintf(dir, sizeof dir, "%s/checkpoints", out);
    DIR *dp = opendir(dir);
    for (struct dirent *e; dp && (e = readdir(dp));) {
      long long s;
      char      tail[8];
      if (sscanf(e->d_name, "gan_%lld.h5%7s", &s, tail) != 1 || s <= bs) continue;
      char p[4800];
      snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
      hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
      if (f < 0) continue;
      int ok = H5Aexists(f, "complete") > 0 && H5Lexists(f, "history", H5P_DEFAULT) > 0;
      H5Fclose(f);
      if (ok) bs = s, snprintf(best, sizeof best, "%s", e->d_name);
    }
    if (dp) closedir(dp);
  }
  PetscCallMPI(MPI_Bcast(&bs, 1, MPI_LONG_LONG, 0, ctx->comm));
  PetscCallMPI(MPI_Bcast(best, sizeof best, MPI_CHAR, 0, ctx->comm));
  *step = bs;
  snprintf(path, len, "%s%s%s", *best ? out : "", *best ? "/checkpoints/" : "", best);
  PetscFunctionReturn(0);
}

static PetscErrorCode load_net(hid_t fid, const char *grp, const char *path, net *n)
{
  char    name[600];
  hsize_t z[8] = {0}, d[8];
  int     r;
  double  t;
  PetscFunctionBeginUser;
  for (int i = 0; i < prc_model_ntensors(n->m); i++) {
    int nd, sh[8], k = prc_model_tensor_kind(n->m, i);
    snprintf(name, sizeof name, "%s/%s/%s", grp, k == 0 ? "params" : "buffers", prc_model_tensor_name(n->m, i));
    PrcCallK(prc_model_tensor_shape(n->m, i, &nd, sh));
    PetscCall(prc_h5_dims(fid, name, &r, d));
    int same = r == nd;
    for (int q = 0; same && q < nd; q++) same = d[q] == (hsize_t)sh[q];
    PetscCheck(same, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "checkpoint '%s': %s has another shape than the spec (other -gan_defines?)", path, name);
    PetscCall(prc_h5_read_nd(fid, name, H5T_NATIVE_FLOAT, z, d, (k == 0 ? prc_model_params(n->m) : prc_model_buffers(n->m)) + prc_model_tensor_offset(n->m, i)));
  }
  hsize_t np = n->np;
  snprintf(name, sizeof name, "%s/optim_m", grp);
  PetscCall(prc_h5_read_nd(fid, name, H5T_NATIVE_FLOAT, z, &np, n->opt->m));
  snprintf(name, sizeof name, "%s/optim_v", grp);
  PetscCall(prc_h5_read_nd(fid, name, H5T_NATIVE_FLOAT, z, &np, n->opt->v));
  hid_t g = H5Gopen2(fid, grp, H5P_DEFAULT);
  PetscCall(prc_h5_attr_get_double(g, "optim_t", &t, NULL));
  H5Gclose(g);
  n->opt->t = (long long)t;
  PetscFunctionReturn(0);
}

/* Validity statistics of a set of images (n, S*S) against the real mean image mu:
 * sd[i] = sqrt(mean over pixels with mu != 0 of (x - mu)^2) (paper Table 1, the pixels of
 * value 0 excluded), loc[i] = 1 if the image has an anomalous pixel (standardised value >= k)
 * within S/4 of the centre. Returns the mean sd, min, max and the located fraction. */
static void validity(const float *x, size_t n, int S, const double *mu, double k, double out[4])
{
  size_t P = (size_t)S * (size_t)S;
  double sum = 0, lo = INFINITY, hi = -INFINITY, located = 0, r = S / 4.0, c = (S - 1) / 2.0;
  for (size_t i = 0; i < n; i++) {
    const float *im = x + i * P;
    double       ss = 0, m = 0, v = 0;
    size_t       cnt = 0;
    for (size_t p = 0; p < P; p++) m += im[p];
    m /= (double)P;
    for (size_t p = 0; p < P; p++) v += (im[p] - m) * (im[p] - m);
    v = sqrt(v / (double)P);
    int hit = 0;
    for (size_t p = 0; p < P; p++) {
      if (mu[p] != 0) ss += (im[p] - mu[p]) * (im[p] - mu[p]), cnt++;
      double dy = (double)(p / (size_t)S) - c, dx = (double)(p % (size_t)S) - c;
      if (v > 0 && (im[p] - m) / v >= k && dx * dx + dy * dy <= r * r) hit = 1;
    }
    double sd = cnt ? sqrt(ss / (double)cnt) : 0;
    sum += sd, lo = fmin(lo, sd), hi = fmax(hi, sd), located += hit;
  }
  out[0] = n ? sum / (double)n : NAN, out[1] = lo, out[2] = hi, out[3] = n ? located / (double)n : NAN;
}

/* RST-style check: the background of every pixel is the mean and population sd of the
 * images of the other class (bg, nb images: the days without an earthquake play the part of
 * RST's unperturbed reference); R = (x - mu) / sigma, anomalous where R >= k. F (S*S) = the
 * share of the n images anomalous at each pixel; area = mean anomalous pixels per image. */
static void rst_frequency(const float *x, size_t n, const double *mu, const double *sg, size_t P, double k, double *F, double *area)
{
  double a = 0;
  for (size_t p = 0; p < P; p++) F[p] = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t p = 0; p < P; p++)
      if (sg[p] > 0 && (x[i * P + p] - mu[p]) / sg[p] >= k) F[p] += 1, a += 1;
  for (size_t p = 0; p < P; p++) F[p] /= n ? (double)n : 1;
  *area = n ? a / (double)n : NAN;
}

/* Pearson correlation of two maps and the distance (pixels) of their weighted centroids. */
static void map_agreement(const double *a, const double *b, int S, double *corr, double *dist)
{
  size_t P = (size_t)S * (size_t)S;
  double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0, wa = 0, wb = 0, ya = 0, xa = 0, yb = 0, xb = 0;
  for (size_t p = 0; p < P; p++) ma += a[p], mb += b[p];
  ma /= (double)P, mb /= (double)P;
  for (size_t p = 0; p < P; p++) {
    sab += (a[p] - ma) * (b[p] - mb), saa += (a[p] - ma) * (a[p] - ma), sbb += (b[p] - mb) * (b[p] - mb);
    double r = (double)(p / (size_t)S), c = (double)(p % (size_t)S);
    wa += a[p], ya += a[p] * r, xa += a[p] * c, wb += b[p], yb += b[p] * r, xb += b[p] * c;
  }
  *corr = saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : NAN;
  *dist = wa > 0 && wb > 0 ? hypot(ya / wa - yb / wb, xa / wa - xb / wb) : NAN;
}

static PetscErrorCode write_set(prc_ctx *ctx, const char *path, const float *x, const int32_t *y, size_t n, int S, const char *what)
{
  prc_h5out f;
  hsize_t   d[4] = {n, 1, (hsize_t)S, (hsize_t)S}, st[4] = {0, 0, 0, 0}, c[4];
  PetscFunctionBeginUser;
  for (int i = 0; i < 4; i++) c[i] = ctx->rank ? 0 : d[i];
  PetscCall(prc_h5_create(ctx->comm, path, "trainset", &f));
  PetscCall(prc_h5_write_nd(f.fid, "x", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 4, d, st, c, x));
  PetscCall(prc_h5_write_col(ctx->comm, f.fid, "y", H5T_STD_I32LE, n, y));
  PetscCall(prc_h5_attr_str(f.fid, "class_names", "no_earthquake,earthquake"));
  PetscCall(prc_h5_attr_int(f.fid, "nclasses", 2));
  PetscCall(prc_h5_attr_str(f.fid, "generator", what));
  PetscCall(prc_h5_commit(&f, ctx));
  PetscFunctionReturn(0);
}

static PetscErrorCode gan_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  const char     *in = prc_opts_string(o, "gan_data"), *out = prc_opts_string(o, "out_dir"), *defs = prc_opts_string(o, "gan_defines");
  const uint64_t  seed = (uint64_t)prc_opts_int(o, "seed");
  const int       B = (int)prc_opts_int(o, "gan_batch"), mb = (int)prc_opts_int(o, "gan_micro_batch"), M = B / mb, cls = (int)prc_opts_int(o, "gan_class");
  const long long T = (long long)prc_opts_int(o, "gan_steps");
  const double    scale = prc_opts_real(o, "gan_scale"), lr = prc_opts_real(o, "gan_lr");
  char            path[4200];
  PetscFunctionBeginUser;
  /* models */
  prc_optim_conf oc = {.kind = PRC_OPTIM_ADAM, .beta1 = prc_opts_real(o, "gan_beta1"), .beta2 = 0.999, .eps = 1e-8};
  net            G, D;
  PetscCall(net_load(ctx, prc_opts_string(o, "gan_generator"), defs, seed + 1, &oc, &G));
  PetscCall(net_load(ctx, prc_opts_string(o, "gan_discriminator"), defs, seed + 2, &oc, &D));
  int zd, zs[8], gd, gs[8], dd, ds[8];
  PrcCallK(prc_model_input_shape(G.m, 0, &zd, zs));
  PrcCallK(prc_model_input_shape(D.m, 0, &dd, ds));
  PrcCallK(prc_model_set_batch(G.m, mb));
  PrcCallK(prc_model_set_batch(D.m, mb));
  {
    int    n0 = zs[0] * zs[1] * zs[2] * mb;
    float *z0;
    prc_tensor t0;
    PetscCall(PetscCalloc1((size_t)n0, &z0));
    set_t(&t0, z0, mb, zd, zs);
    const prc_tensor *i0[1] = {&t0};
    PrcCallK(prc_model_forward(G.m, i0, NULL, NULL)); /* shape of the generated images */
    PetscCall(PetscFree(z0));
    if (G.nb) PrcCallK(prc_model_init(G.m, seed + 1)); /* undo the running-statistics update of that pass */
  }
  const prc_tensor *go = prc_model_output(G.m);
  gd = go->ndim - 1;
  for (int i = 0; i < gd; i++) gs[i] = go->shape[i + 1];
  PetscCheck(dd == 3 && gd == 3 && gs[0] == ds[0] && gs[1] == ds[1] && gs[2] == ds[2] && ds[1] == ds[2] && ds[0] == 1, ctx->comm, PETSC_ERR_ARG_INCOMP,
             "the generator makes %dx%dx%d images but the discriminator takes %dx%dx%d (one channel, square; check -gan_defines SIZE)", gs[0], gs[1],
             gs[2], ds[0], ds[1], ds[2]);
  const int    S = ds[1];
  const size_t P = (size_t)S * (size_t)S, NZ = (size_t)zs[0] * (size_t)zs[1] * (size_t)zs[2];
  /* data */
  hid_t   fid;
  int     r, found;
  hsize_t d[8], z4[4] = {0, 0, 0, 0};
  char    kind[64];
  PetscCall(prc_ctx_add_input(ctx, in));
  PetscCall(prc_h5_open(ctx->comm, in, &fid));
  PetscCall(prc_h5_attr_get_str(fid, "precursor_kind", kind, sizeof kind, &found));
  PetscCheck(found && !strcmp(kind, "trainset"), ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s' is not a trainset file", in);
  PetscCall(prc_h5_dims(fid, "x", &r, d));
  PetscCheck(r == 4 && d[1] == 1 && d[2] == (hsize_t)S && d[3] == (hsize_t)S, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
             "'%s': /x must be (n, 1, %d, %d) for these models (crop size = SIZE of the specs)", in, S, S);
  size_t   nall = d[0];
  float   *xall, *real;
  int32_t *yall;
  PetscCall(PetscMalloc2(nall * P + 1, &xall, nall + 1, &yall));
  PetscCall(prc_h5_read_nd(fid, "x", H5T_NATIVE_FLOAT, z4, d, xall));
  PetscCall(prc_h5_read_nd(fid, "y", H5T_NATIVE_INT32, z4, d, yall));
  PetscCall(prc_h5_close(fid));
  size_t nr = 0;
  for (size_t i = 0; i < nall; i++) nr += cls < 0 || yall[i] == cls;
  PetscCheck(nr >= 2, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "'%s': %zu images of class %d, need at least 2", in, nr, cls);
  PetscCall(PetscMalloc1(nr * P, &real));
  nr = 0;
  for (size_t i = 0; i < nall; i++)
    if (cls < 0 || yall[i] == cls) {
      for (size_t p = 0; p < P; p++) {
        float v = xall[i * P + p];
        PetscCheck(isfinite(v), ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': sample %zu has a non-finite value", in, i);
        real[nr * P + p] = (float)fmax(-1.0, fmin(1.0, v / scale));
      }
      nr++;
    }
  /* work arrays */
  const int nloc = (M - ctx->rank + ctx->size - 1) / ctx->size > 0 ? (M - ctx->rank + ctx->size - 1) / ctx->size : 0;
  float    *dg, *dbuf, *gg, *gbuf, *xb, *zb, *fake, *dx, *dout, *db0, *gb0, *db1, *dgm, *ggm, *dbm, *gbm;
  double   *lossd, *lossg, *preal, *pfake, lm[4];
  PetscCall(PetscMalloc6((size_t)(nloc + 1) * D.np, &dg, (size_t)(nloc + 1) * (D.nb + 1), &dbuf, (size_t)(nloc + 1) * G.np, &gg,
                         (size_t)(nloc + 1) * (G.nb + 1), &gbuf, (size_t)mb * P, &xb, (size_t)mb * NZ, &zb));
  PetscCall(PetscMalloc6((size_t)mb * P, &fake, (size_t)mb * P, &dx, (size_t)mb, &dout, D.nb + 1, &db0, G.nb + 1, &gb0, D.nb + 1, &db1));
  PetscCall(PetscMalloc4(D.np, &dgm, G.np, &ggm, D.nb + 1, &dbm, G.nb + 1, &gbm));
  PetscCall(PetscMalloc4(nloc + 1, &lossd, nloc + 1, &lossg, nloc + 1, &preal, nloc + 1, &pfake));
  double *h;
  PetscCall(PetscMalloc1(4 * (size_t)T, &h)); /* d_loss, g_loss, D(real), D(fake) per step */
  prc_tensor ti, tt;
  float      ones[4096], zeros[4096];
  PetscCheck(mb <= 4096, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "-gan_micro_batch must be <= 4096");
  for (int i = 0; i < mb; i++) ones[i] = 1, zeros[i] = 0;
  int one = 1;
  long long ck = (long long)prc_opts_int(o, "gan_checkpoint_every"), s0 = 0, stop_after = (long long)prc_opts_int(o, "checkpoint_after_blocks");
  if (prc_opts_bool(o, "gan_resume")) {
    char cp[4800];
    PetscCall(find_checkpoint(ctx, out, cp, sizeof cp, &s0));
    PetscCheck(s0 <= T, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "'%s' is at step %lld, beyond -gan_steps %lld (another out_dir, or -gan_resume false)", cp, s0, T);
    if (s0 > 0) {
      hid_t   cf;
      hsize_t z2[2] = {0, 0}, c2[2] = {(hsize_t)s0, 4};
      PetscCall(prc_h5_open(ctx->comm, cp, &cf));
      PetscCall(load_net(cf, "generator", cp, &G));
      PetscCall(load_net(cf, "discriminator", cp, &D));
      PetscCall(prc_h5_read_nd(cf, "history", H5T_NATIVE_DOUBLE, z2, c2, h));
      PetscCall(prc_h5_close(cf));
      prc_say(ctx->comm, "[thermal-gan] resumed from %s (step %lld)\n", cp, s0);
    }
  }
  prc_progress prog;
  prc_progress_start(&prog, ctx->comm, "thermal-gan", "steps", "steps", (double)(T - s0), prc_opts_real(o, "progress_interval"), prc_opts_bool(o, "quiet"));
  for (long long s = s0; s < T; s++) {
    if (D.nb) memcpy(db0, prc_model_buffers(D.m), D.nb * sizeof(float));
    if (G.nb) memcpy(gb0, prc_model_buffers(G.m), G.nb * sizeof(float));
    /* ---- D phase ---- */
    for (int q = 0; q < nloc; q++) {
      int qm = ctx->rank + q * ctx->size; /* global micro-batch */
      if (D.nb) memcpy(prc_model_buffers(D.m), db0, D.nb * sizeof(float));
      if (G.nb) memcpy(prc_model_buffers(G.m), gb0, G.nb * sizeof(float));
      for (int j = 0; j < mb; j++) {
        uint64_t gi = (uint64_t)qm * (uint64_t)mb + (uint64_t)j;
        size_t   ri = (size_t)(prc_hash4(seed, (uint64_t)s, gi, 0xD1) % nr);
        memcpy(xb + (size_t)j * P, real + ri * P, P * sizeof(float));
        for (size_t k = 0; k < NZ; k++) zb[(size_t)j * NZ + k] = (float)prc_hash_normal(seed ^ 0x9A11u, (uint64_t)s, gi, k);
      }
      double l1, l2;
      prc_model_set_training(D.m, 1), prc_model_set_training(G.m, 1);
      prc_model_zero_grad(D.m);
      set_t(&ti, xb, mb, dd, ds), set_t(&tt, ones, mb, 1, &one);
      const prc_tensor *tin[1] = {&ti};
      PrcCallK(prc_model_forward(D.m, tin, &tt, &l1));
      double pr = 0;
      for (int j = 0; j < mb; j++) pr += sigm(prc_model_output(D.m)->data[j]);
      PrcCallK(prc_model_backward(D.m));
      set_t(&ti, zb, mb, zd, zs);
      PrcCallK(prc_model_forward(G.m, tin, NULL, NULL));
      memcpy(fake, prc_model_output(G.m)->data, (size_t)mb * P * sizeof(float));
      set_t(&ti, fake, mb, dd, ds), set_t(&tt, zeros, mb, 1, &one);
      PrcCallK(prc_model_forward(D.m, tin, &tt, &l2));
      double pf = 0;
      for (int j = 0; j < mb; j++) pf += sigm(prc_model_output(D.m)->data[j]);
      PrcCallK(prc_model_backward(D.m));
      memcpy(dg + (size_t)q * D.np, prc_model_grads(D.m), D.np * sizeof(float));
      if (D.nb) memcpy(dbuf + (size_t)q * D.nb, prc_model_buffers(D.m), D.nb * sizeof(float));
      lossd[q] = l1 + l2, preal[q] = pr / mb, pfake[q] = pf / mb;
    }
    prc_dp_seg sd[4] = {{D.np, dg, NULL, dgm, NULL}, {D.nb, dbuf, NULL, dbm, NULL}, {1, NULL, lossd, NULL, lm}, {1, NULL, preal, NULL, lm + 1}};
    prc_dp_seg sd2 = {1, NULL, pfake, NULL, lm + 2};
    prc_dp_seg all_d[5] = {sd[0], sd[1], sd[2], sd[3], sd2};
    PetscCall(prc_dp_mean_exact(ctx->comm, "discriminator step", M, nloc, D.nb ? 5 : 4, D.nb ? all_d : (prc_dp_seg[]){sd[0], sd[2], sd[3], sd2}, 0, NULL));
    PrcCallK(prc_optim_step(D.opt, prc_model_params(D.m), dgm, lr));
    if (D.nb) memcpy(prc_model_buffers(D.m), dbm, D.nb * sizeof(float));
    if (D.nb) memcpy(db1, dbm, D.nb * sizeof(float));
    /* ---- G phase ---- */
    for (int q = 0; q < nloc; q++) {
      int qm = ctx->rank + q * ctx->size;
      if (G.nb) memcpy(prc_model_buffers(G.m), gb0, G.nb * sizeof(float));
      if (D.nb) memcpy(prc_model_buffers(D.m), db1, D.nb * sizeof(float));
      for (int j = 0; j < mb; j++) {
        uint64_t gi = (uint64_t)qm * (uint64_t)mb + (uint64_t)j;
        for (size_t k = 0; k < NZ; k++) zb[(size_t)j * NZ + k] = (float)prc_hash_normal(seed ^ 0x6E11u, (uint64_t)s, gi, k);
      }
      prc_model_zero_grad(G.m);
      set_t(&ti, zb, mb, zd, zs);
      const prc_tensor *tin[1] = {&ti};
      PrcCallK(prc_model_forward(G.m, tin, NULL, NULL));
      memcpy(fake, prc_model_output(G.m)->data, (size_t)mb * P * sizeof(float));
      set_t(&ti, fake, mb, dd, ds);
      PrcCallK(prc_model_forward(D.m, tin, NULL, NULL));
      double lg = 0;
      for (int j = 0; j < mb; j++) {
        double l = prc_model_output(D.m)->data[j];
        lg += softplus(-l), dout[j] = (float)((sigm(l) - 1) / mb);
      }
      memset(dx, 0, (size_t)mb * P * sizeof(float));
      PrcCallK(prc_model_backward_from(D.m, dout, dx));
      PrcCallK(prc_model_backward_from(G.m, dx, NULL));
      memcpy(gg + (size_t)q * G.np, prc_model_grads(G.m), G.np * sizeof(float));
      if (G.nb) memcpy(gbuf + (size_t)q * G.nb, prc_model_buffers(G.m), G.nb * sizeof(float));
      lossg[q] = lg / mb;
    }
    prc_dp_seg sg[3] = {{G.np, gg, NULL, ggm, NULL}, {G.nb, gbuf, NULL, gbm, NULL}, {1, NULL, lossg, NULL, lm + 3}};
    prc_dp_seg sg1[2] = {sg[0], sg[2]};
    PetscCall(prc_dp_mean_exact(ctx->comm, "generator step", M, nloc, G.nb ? 3 : 2, G.nb ? sg : sg1, 0, NULL));
    PrcCallK(prc_optim_step(G.opt, prc_model_params(G.m), ggm, lr));
    if (G.nb) memcpy(prc_model_buffers(G.m), gbm, G.nb * sizeof(float));
    if (D.nb) memcpy(prc_model_buffers(D.m), db1, D.nb * sizeof(float));
    h[4 * s] = lm[0], h[4 * s + 1] = lm[3], h[4 * s + 2] = lm[1], h[4 * s + 3] = lm[2];
    if (ck > 0 && (s + 1) % ck == 0 && s + 1 < T) PetscCall(write_checkpoint(ctx, out, &G, &D, s + 1, h));
    PetscBool stop = PETSC_FALSE; /* SIGUSR1/SIGTERM (Slurm time limit) or -checkpoint_after_blocks steps */
    PetscCall(prc_stop_requested(ctx->comm, &stop));
    if (stop_after && s + 1 - s0 >= stop_after) stop = PETSC_TRUE;
    if (stop && s + 1 < T) {
      if (!(ck > 0 && (s + 1) % ck == 0)) PetscCall(write_checkpoint(ctx, out, &G, &D, s + 1, h));
      prc_progress_end(&prog);
      prc_say(ctx->comm, "[thermal-gan] checkpoint written at step %lld of %lld: %s/checkpoints (run again to continue)\n", s + 1, T, out);
      PetscFunctionReturn(PRC_ERR_CHECKPOINTED);
    }
    prc_progress_update(&prog, (double)(s + 1 - s0));
  }
  prc_progress_end(&prog);
  PetscCall(write_checkpoint(ctx, out, &G, &D, T, h));
  snprintf(path, sizeof path, "%s/generator.h5", out);
  PetscCall(write_model(ctx, path, &G, defs, T));
  snprintf(path, sizeof path, "%s/discriminator.h5", out);
  PetscCall(write_model(ctx, path, &D, defs, T));
  /* generation (eval mode), in the input's units */
  const double gf = prc_opts_real(o, "gan_generate_factor");
  const size_t ng = gf > 0 ? (size_t)fmax(1.0, floor(gf * (double)nr + 0.5)) : (size_t)prc_opts_int(o, "gan_generate");
  float       *gen;
  int32_t     *gy;
  PetscCall(PetscMalloc2(ng * P, &gen, ng, &gy));
  prc_model_set_training(G.m, 0);
  for (size_t i0 = 0; i0 < ng; i0 += (size_t)mb) {
    int nb = (int)(ng - i0 < (size_t)mb ? ng - i0 : (size_t)mb);
    if (prc_model_batch(G.m) != nb) PrcCallK(prc_model_set_batch(G.m, nb));
    for (int j = 0; j < nb; j++)
      for (size_t k = 0; k < NZ; k++) zb[(size_t)j * NZ + k] = (float)prc_hash_normal(seed ^ 0x6E7Au, i0 + (size_t)j, k, 0);
    set_t(&ti, zb, nb, zd, zs);
    const prc_tensor *tin[1] = {&ti};
    PrcCallK(prc_model_forward(G.m, tin, NULL, NULL));
    for (size_t p = 0; p < (size_t)nb * P; p++) gen[i0 * P + p] = (float)(prc_model_output(G.m)->data[p] * scale);
  }
  for (size_t i = 0; i < ng; i++) gy[i] = cls < 0 ? 1 : cls;
  snprintf(path, sizeof path, "%s/generated.h5", out);
  PetscCall(write_set(ctx, path, gen, gy, ng, S, "thermal-gan (generated)"));
  if (prc_opts_bool(o, "gan_augment")) {
    float   *ax;
    int32_t *ay;
    PetscCall(PetscMalloc2((nall + ng) * P, &ax, nall + ng, &ay));
    memcpy(ax, xall, nall * P * sizeof(float)), memcpy(ax + nall * P, gen, ng * P * sizeof(float));
    memcpy(ay, yall, nall * sizeof(int32_t)), memcpy(ay + nall, gy, ng * sizeof(int32_t));
    snprintf(path, sizeof path, "%s/augmented.h5", out);
    PetscCall(write_set(ctx, path, ax, ay, nall + ng, S, "thermal-gan (input + generated)"));
    PetscCall(PetscFree2(ax, ay));
  }
  /* validity (paper Table 1 and anomaly location), in the input's units */
  double *mu, vr[4], vg[4];
  float  *realu;
  PetscCall(PetscMalloc2(P, &mu, nr * P, &realu));
  for (size_t p = 0; p < P; p++) mu[p] = 0;
  for (size_t i = 0, k = 0; i < nall; i++)
    if (cls < 0 || yall[i] == cls) {
      for (size_t p = 0; p < P; p++) realu[k * P + p] = xall[i * P + p], mu[p] += xall[i * P + p];
      k++;
    }
  for (size_t p = 0; p < P; p++) mu[p] /= (double)nr;
  validity(realu, nr, S, mu, prc_opts_real(o, "gan_k"), vr);
  validity(gen, ng, S, mu, prc_opts_real(o, "gan_k"), vg);
  /* RST-style anomaly maps against the other class as background (needs >= 2 such images) */
  double *bmu, *bsg, *Fr, *Fg, rst[5] = {NAN, NAN, NAN, NAN, NAN}; /* corr, centroid distance, area real, area generated, background images */
  size_t  nbk = 0;
  PetscCall(PetscMalloc4(P, &bmu, P, &bsg, P, &Fr, P, &Fg));
  for (size_t p = 0; p < P; p++) bmu[p] = bsg[p] = 0, Fr[p] = Fg[p] = NAN;
  for (size_t i = 0; i < nall; i++)
    if (cls >= 0 && yall[i] != cls) {
      nbk++;
      for (size_t p = 0; p < P; p++) bmu[p] += xall[i * P + p];
    }
  if (nbk >= 2) {
    for (size_t p = 0; p < P; p++) bmu[p] /= (double)nbk;
    for (size_t i = 0; i < nall; i++)
      if (yall[i] != cls)
        for (size_t p = 0; p < P; p++) bsg[p] += (xall[i * P + p] - bmu[p]) * (xall[i * P + p] - bmu[p]);
    for (size_t p = 0; p < P; p++) bsg[p] = sqrt(bsg[p] / (double)nbk);
    rst_frequency(realu, nr, bmu, bsg, P, prc_opts_real(o, "gan_k"), Fr, &rst[2]);
    rst_frequency(gen, ng, bmu, bsg, P, prc_opts_real(o, "gan_k"), Fg, &rst[3]);
    map_agreement(Fr, Fg, S, &rst[0], &rst[1]);
  }
  rst[4] = (double)nbk;
  snprintf(path, sizeof path, "%s/gan_history.h5", out);
  {
    prc_h5out f;
    hsize_t   dims[2] = {(hsize_t)T, 4}, st[2] = {0, 0}, c[2] = {ctx->rank ? 0 : (hsize_t)T, ctx->rank ? 0 : 4};
    PetscCall(prc_h5_create(ctx->comm, path, "gan_history", &f));
    PetscCall(prc_h5_write_nd(f.fid, "history", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, st, c, h));
    PetscCall(prc_h5_attr_str(f.fid, "history_columns", "d_loss,g_loss,d_real,d_fake"));
    double v[8] = {vr[0], vr[1], vr[2], vr[3], vg[0], vg[1], vg[2], vg[3]};
    PetscCall(prc_h5_attr_doubles(f.fid, "validity_real", 4, v));
    PetscCall(prc_h5_attr_doubles(f.fid, "validity_generated", 4, v + 4));
    PetscCall(prc_h5_attr_str(f.fid, "validity_columns", "sd_vs_real_mean_mean,min,max,fraction_anomaly_near_centre"));
    PetscCall(prc_h5_attr_doubles(f.fid, "rst_check", 5, rst));
    PetscCall(prc_h5_attr_str(f.fid, "rst_check_columns", "corr_anomaly_frequency_maps,centroid_distance_px,anomalous_px_per_image_real,anomalous_px_per_image_generated,background_images"));
    hsize_t pd[3] = {2, (hsize_t)S, (hsize_t)S}, ps[3] = {0, 0, 0}, pc[3] = {ctx->rank ? 0 : 2, ctx->rank ? 0 : (hsize_t)S, ctx->rank ? 0 : (hsize_t)S};
    double *FF;
    PetscCall(PetscMalloc1(2 * P, &FF));
    memcpy(FF, Fr, P * sizeof(double)), memcpy(FF + P, Fg, P * sizeof(double));
    PetscCall(prc_h5_write_nd(f.fid, "rst_anomaly_frequency", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3, pd, ps, pc, FF));
    PetscCall(PetscFree(FF));
    PetscCall(prc_h5_attr_str(f.fid, "discriminator", D.path));
    PetscCall(prc_h5_commit(&f, ctx));
  }
  prc_say(ctx->comm, "[thermal-gan] %lld steps on %zu real images of class %d (%dx%d), D %s: last D loss %.4f, G loss %.4f, D(real) %.3f, D(fake) %.3f\n", T, nr,
          cls, S, S, prc_model_name(D.m), h[4 * (T - 1)], h[4 * (T - 1) + 1], h[4 * (T - 1) + 2], h[4 * (T - 1) + 3]);
  prc_say(ctx->comm, "[thermal-gan] validity: sd against the real mean image: real %.3f (%.3f..%.3f), generated %.3f (%.3f..%.3f); anomaly (>= %g) near the centre: real %.1f %%, generated %.1f %%\n",
          vr[0], vr[1], vr[2], vg[0], vg[1], vg[2], prc_opts_real(o, "gan_k"), 100 * vr[3], 100 * vg[3]);
  if (nbk >= 2)
    prc_say(ctx->comm, "[thermal-gan] RST check (background: the %zu images of the other class): anomaly-frequency maps real vs generated correlate %.3f, centroids %.2f px apart; anomalous pixels per image real %.2f, generated %.2f\n",
            nbk, rst[0], rst[1], rst[2], rst[3]);
  else prc_say(ctx->comm, "[thermal-gan] RST check skipped: fewer than 2 images of the other class for the background\n");
  /* pictures */
  int  ok = 1;
  char msg[512] = "";
  if (!ctx->rank && prc_opts_bool(o, "gan_png")) {
    int    gap = S / 4 + 1, MW = 8 * S + 7 * gap, MH = 2 * S + gap;
    float *m = malloc(sizeof(float) * (size_t)MW * (size_t)MH), *mm = malloc(sizeof(float) * (size_t)(2 * S + gap) * (size_t)S);
    for (size_t i = 0; m && i < (size_t)MW * (size_t)MH; i++) m[i] = NAN;
    for (int k = 0; m && k < 8; k++)
      for (int rr = 0; rr < S; rr++)
        for (int cc = 0; cc < S; cc++) {
          m[(size_t)(S + gap + rr) * (size_t)MW + (size_t)(k * (S + gap) + cc)] = realu[((size_t)k % nr) * P + (size_t)rr * (size_t)S + (size_t)cc];
          m[(size_t)rr * (size_t)MW + (size_t)(k * (S + gap) + cc)] = gen[((size_t)k % ng) * P + (size_t)rr * (size_t)S + (size_t)cc];
        }
    prc_map_style ms = {.title = "real images (top) and generated images (bottom)", .cbar_label = "scaled", .cmap = PRC_CMAP_DIVERGING};
    snprintf(path, sizeof path, "%s/gan_samples.png", out);
    if (!m || !mm || prc_plot_map_png(path, m, MW, MH, &ms)) ok = 0, snprintf(msg, sizeof msg, "%s", m && mm ? prc_lasterr() : "out of memory");
    if (ok) { /* mean images: real (left), generated (right) */
      int W2 = 2 * S + gap;
      for (size_t i = 0; i < (size_t)W2 * (size_t)S; i++) mm[i] = NAN;
      for (int rr = 0; rr < S; rr++)
        for (int cc = 0; cc < S; cc++) {
          double g = 0;
          for (size_t i = 0; i < ng; i++) g += gen[i * P + (size_t)rr * (size_t)S + (size_t)cc];
          mm[(size_t)rr * (size_t)W2 + (size_t)cc] = (float)mu[(size_t)rr * (size_t)S + (size_t)cc];
          mm[(size_t)rr * (size_t)W2 + (size_t)(S + gap + cc)] = (float)(g / (double)ng);
        }
      prc_map_style m2 = {.title = "mean real image (left), mean generated image (right)", .cbar_label = "scaled", .cmap = PRC_CMAP_DIVERGING};
      snprintf(path, sizeof path, "%s/gan_means.png", out);
      if (prc_plot_map_png(path, mm, W2, S, &m2)) ok = 0, snprintf(msg, sizeof msg, "%s", prc_lasterr());
    }
    if (ok && nbk >= 2) { /* RST anomaly frequency: real (left), generated (right) */
      int    W2 = 2 * S + gap;
      float *fm = malloc(sizeof(float) * (size_t)W2 * (size_t)S);
      for (size_t i = 0; fm && i < (size_t)W2 * (size_t)S; i++) fm[i] = NAN;
      for (int rr = 0; fm && rr < S; rr++)
        for (int cc = 0; cc < S; cc++) {
          fm[(size_t)rr * (size_t)W2 + (size_t)cc] = (float)Fr[(size_t)rr * (size_t)S + (size_t)cc];
          fm[(size_t)rr * (size_t)W2 + (size_t)(S + gap + cc)] = (float)Fg[(size_t)rr * (size_t)S + (size_t)cc];
        }
      prc_map_style m3 = {.title = "RST anomaly frequency (R >= k vs the other class): real (left), generated (right)", .cbar_label = "share",
                          .vmin = 0, .vmax = 1};
      snprintf(path, sizeof path, "%s/gan_rst.png", out);
      if (!fm || prc_plot_map_png(path, fm, W2, S, &m3)) ok = 0, snprintf(msg, sizeof msg, "%s", fm ? prc_lasterr() : "out of memory");
      free(fm);
    }
    if (ok) {
      double *xs = malloc(sizeof(double) * (size_t)T), *y[4];
      for (int k = 0; k < 4; k++) y[k] = malloc(sizeof(double) * (size_t)T);
      for (long long s = 0; s < T; s++) {
        xs[s] = (double)(s + 1);
        for (int k = 0; k < 4; k++) y[k][s] = h[4 * s + k];
      }
      prc_series se[4] = {{xs, y[0], (int)T, "D loss", 0}, {xs, y[1], (int)T, "G loss", 0}, {xs, y[2], (int)T, "D(real)", 0}, {xs, y[3], (int)T, "D(fake)", 0}};
      prc_lines_style ls = {.title = "DCGAN training", .xlabel = "step", .ylabel = "loss / probability"};
      snprintf(path, sizeof path, "%s/gan_loss.png", out);
      if (prc_plot_lines_png(path, se, 4, &ls)) ok = 0, snprintf(msg, sizeof msg, "%s", prc_lasterr());
      free(xs);
      for (int k = 0; k < 4; k++) free(y[k]);
    }
    free(m), free(mm);
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, ctx->comm));
  PetscCallMPI(MPI_Bcast(msg, sizeof msg, MPI_CHAR, 0, ctx->comm));
  PetscCheck(ok, ctx->comm, PETSC_ERR_FILE_WRITE, "%s", msg);
  prc_say(ctx->comm, "[thermal-gan] outputs in %s/ (generator.h5 discriminator.h5 generated.h5%s gan_history.h5 checkpoints/%s)\n", out,
          prc_opts_bool(o, "gan_augment") ? " augmented.h5" : "", prc_opts_bool(o, "gan_png") ? " gan_samples.png gan_means.png gan_rst.png gan_loss.png" : "");
  PetscCall(PetscFree2(mu, realu));
  PetscCall(PetscFree4(bmu, bsg, Fr, Fg));
  PetscCall(PetscFree2(gen, gy));
  PetscCall(PetscFree(h));
  PetscCall(PetscFree4(lossd, lossg, preal, pfake));
  PetscCall(PetscFree4(dgm, ggm, dbm, gbm));
  PetscCall(PetscFree6(fake, dx, dout, db0, gb0, db1));
  PetscCall(PetscFree6(dg, dbuf, gg, gbuf, xb, zb));
  PetscCall(PetscFree(real));
  PetscCall(PetscFree2(xall, yall));
  net_free(&G), net_free(&D);
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_thermal_gan = {"thermal-gan", "DCGAN augmentation of thermal samples (paper 001): data-parallel GAN training, generated images, validity checks",
                                         gan_opts, (int)(sizeof gan_opts / sizeof gan_opts[0]), gan_validate, gan_run};

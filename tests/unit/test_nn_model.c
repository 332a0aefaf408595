/* test_nn_model.c — models from specs (src/nn/model.c): spec errors with file:line, shape
 * inference, parameter counts of every shipped spec against closed-form counts, the flat
 * buffer layout, whole-model gradients by central finite differences, determinism,
 * fan-out accumulation, backward_from vs backward, and a tiny model trained to 100 %
 * training accuracy with a plain SGD loop written here.
 *
 * With PRC_NN_MODEL_DUMP=dir it also writes every shipped spec in train and eval mode
 * (inputs, target, parameters and buffers by name, output, loss, all gradients) for
 * tests/oracle/nn_model_torch.py (PyTorch as the oracle, independent spec parser).
 * Run from the repository root (spec paths inputs/models/<name>.model). */
#include "precursor/error.h"
#include "precursor/nn_model.h"
#include "precursor/nn_threads.h"
#include "precursor/rng.h"
#include "ptest.h"

#include <sys/stat.h>

#define MODELS "inputs/models/"

static const char *const no_dropout[] = {"DROPOUT=0", NULL};

/* ---- spec errors ------------------------------------------------------------------- */
static void expect_err(const char *spec, const char *want)
{
  prc_model *m = NULL;
  prc_clearerr();
  int rc = prc_model_parse(spec, "t.model", NULL, &m);
  PT_CHECK(rc != 0 && m == NULL, "spec accepted:\n%s", spec);
  PT_CHECK(strstr(prc_lasterr(), want) != NULL, "message '%s' lacks '%s'", prc_lasterr(), want);
  prc_model_destroy(m);
}

static void test_spec_errors(void)
{
  const char *h = "model t\ninput x 2 8\n"; /* nodes start on line 3 */
  char        s[1024];
#define E(body, want)                                                                    \
  snprintf(s, sizeof s, "%s%s", h, body), expect_err(s, want)
  E("c conv9d x out=2\n", "t.model:3: unknown layer 'conv9d'");
  E("c conv1d x out=2 k=3 foo=1\n", "t.model:3: unknown key 'foo'");
  E("c conv1d x out=2 k=3 in_ch=2\n", "t.model:3: unknown key 'in_ch'");
  E("c conv1d y out=2 k=1\n", "t.model:3: node 'c' uses unknown node 'y'");
  E("# comment\na relu b\nb relu x\n", "t.model:4: node 'a' uses 'b' defined later on line 5");
  E("a relu a\n", "t.model:3: node 'a' uses itself");
  E("a relu x\n\na tanh a\n", "t.model:5: duplicate name 'a'");
  E("x relu x\n", "t.model:3: duplicate name 'x'");
  E("a conv1d x out=3 k=1\nb add a x\n", "t.model:4: node 'b' (add):");
  E("a conv1d x out=3 k=1\nb add a x\n", "input shapes a (1x3x8), x (1x2x8)");
  E("a fc x out=${N}\n", "t.model:3: ${N} is not defined");
  E("a conv1d x out=2 k=abc\n", "t.model:3: k=abc");
  E("a conv1d x out=2 k=3x3\n", "t.model:3: k=3x3");
  E("a relu x\ninput y 3\n", "t.model:4: inputs must be declared before");
  E("a conv1d x out=2 k=20\n", "t.model:3: node 'a' (conv1d): conv1d: input 1x8 too small");
  E("a relu x\nloss relu\n", "t.model:4: 'relu' is not a loss layer");
  E("a relu x\nl softmax_ce a x\n", "t.model:4: loss layer 'softmax_ce' as a node");
  E("a relu x\noutput x\n", "t.model:4: output 'x' is not a node");
  E("a relu\n", "t.model:3: expected 'NAME LAYER INPUT");
  E("a dropout x p=abc\n", "t.model:3: p=abc: expected a number");
  E("a conv2d x out=2 k=3\n", "t.model:3: node 'a' (conv2d): conv2d: input has 3 dimensions");
#undef E
  expect_err("input x 0\na relu x\n", "t.model:1: input dimension '0'");
  expect_err("model t\na relu x\n", "t.model:2: node 'a' uses unknown node 'x'");
  prc_model *m = NULL;
  PT_CHECK(prc_model_load("/nonexistent/m.model", NULL, &m) && strstr(prc_lasterr(), "/nonexistent/m.model"),
           "%s", prc_lasterr());
  /* substitution: defines win over defaults; defaults used otherwise */
  const char *spec = "model t # the name\ninput x ${C:-2} 8\na fc x out=${O:-3}  # fc\n";
  const char *d1[] = {"O=5", NULL};
  PT_CHECK(prc_model_parse(spec, "t", d1, &m) == 0, "%s", prc_lasterr());
  if (m) {
    PT_CHECK(prc_model_nparams(m) == 16 * 5 + 5, "%zu", prc_model_nparams(m));
    PT_CHECK(!strcmp(prc_model_name(m), "t"), "%s", prc_model_name(m));
    prc_model *m2;
    PT_CHECK(prc_model_parse(spec, "t", NULL, &m2) == 0, "%s", prc_lasterr());
    PT_CHECK(prc_model_nparams(m2) == 16 * 3 + 3, "%zu", prc_model_nparams(m2));
    PT_CHECK(prc_model_fingerprint(m) != prc_model_fingerprint(m2), "same fingerprint");
    prc_model_destroy(m2);
    /* comments and spacing do not change the fingerprint */
    PT_CHECK(prc_model_parse("model t\n\ninput   x 2 8 # c\na fc x   out=5\n", "u", NULL, &m2) == 0, "%s",
             prc_lasterr());
    PT_CHECK(prc_model_fingerprint(m) == prc_model_fingerprint(m2), "fingerprint depends on layout");
    prc_model_destroy(m2);
  }
  prc_model_destroy(m);
  /* forward with a wrong input shape */
  PT_CHECK(prc_model_parse("input x 2 8\na fc x out=3\nloss softmax_ce\n", "t", NULL, &m) == 0, "%s",
           prc_lasterr());
  if (m) {
    prc_model_set_batch(m, 2);
    int         sh[3] = {2, 3, 8};
    prc_tensor *x     = prc_tensor_new(3, sh, 0);
    const prc_tensor *in[1] = {x};
    PT_CHECK(prc_model_forward(m, in, NULL, NULL) != 0 && strstr(prc_lasterr(), "input 'x' has shape 2x3x8, expected 2x2x8"),
             "%s", prc_lasterr());
    PT_CHECK(prc_model_backward(m) != 0, "backward without a loss forward accepted");
    prc_tensor_free(x);
    prc_model_destroy(m);
  }
}

/* ---- shipped specs: counts, shapes, layout ------------------------------------------ */
static size_t conv(size_t ci, size_t co, size_t kk, int bias) { return co * ci * kk + (bias ? co : 0); }
static size_t fcn(size_t i, size_t o) { return o * i + o; }
static size_t st(size_t c) { return 2 * (c * c + c); } /* soft_threshold, reduction 1 */

typedef struct {
  const char *file;
  size_t      np, nb;
  int         ondim, oshape[4]; /* output per-sample shape */
} shipped;

static void layout_check(prc_model *m, const char *file)
{
  int    nt = prc_model_ntensors(m);
  size_t op = 0, ob = 0;
  for (int i = 0; i < nt; i++) {
    int nd, sh[4];
    PT_CHECK(prc_model_tensor_shape(m, i, &nd, sh) == 0, "%s", prc_lasterr());
    size_t n = 1;
    for (int k = 0; k < nd; k++) n *= (size_t)sh[k];
    size_t *o = prc_model_tensor_kind(m, i) ? &ob : &op;
    PT_CHECK(prc_model_tensor_offset(m, i) == *o, "%s: tensor %s at %zu, expected %zu (contiguous, no overlap)",
             file, prc_model_tensor_name(m, i), prc_model_tensor_offset(m, i), *o);
    *o += n;
    const char *nm = prc_model_tensor_name(m, i);
    PT_CHECK(strchr(nm, '.') != NULL, "%s", nm);
    for (int j = 0; j < i; j++) PT_CHECK(strcmp(nm, prc_model_tensor_name(m, j)), "duplicate tensor name %s", nm);
    PT_CHECK(prc_model_tensor_is_weight(m, i) == (prc_model_tensor_kind(m, i) == 0 && nd >= 2), "%s", nm);
  }
  PT_CHECK(op == prc_model_nparams(m), "%s: tensors cover %zu of %zu parameters", file, op, prc_model_nparams(m));
  PT_CHECK(ob == prc_model_nbuffers(m), "%s: tensors cover %zu of %zu buffers", file, ob, prc_model_nbuffers(m));
}

static void test_shipped_specs(void)
{
  /* msrcnn: deep (k=3), middle (k=7), shallow (k=15) branches, FC head */
  size_t ms = conv(5, 16, 3, 1) + conv(16, 16, 3, 1) * 2 + conv(16, 32, 3, 1) + conv(32, 32, 3, 1) +
              conv(16, 32, 1, 0) + 2 * (16 * 3 + 32 * 2) + conv(5, 16, 7, 1) + 2 * conv(16, 16, 7, 1) +
              2 * 16 * 3 + conv(5, 16, 15, 1) + conv(16, 16, 15, 1) + 2 * 16 * 2 + fcn(32 + 16 + 16 + 2, 64) +
              fcn(64, 6);
  size_t msb = 2 * (16 * 3 + 32 * 2) + 2 * 16 * 3 + 2 * 16 * 2;
  size_t cq  = conv(3, 32, 3, 1) + 7 * conv(32, 32, 3, 1) + fcn(32 * 4, 7);
  size_t rn  = conv(1, 8, 9, 1) + 2 * 8 + conv(8, 8, 9, 1) + 2 * 8 + conv(8, 8, 9, 1) + 2 * 8 + conv(8, 16, 9, 1) +
               2 * 16 + conv(16, 16, 9, 1) + conv(8, 16, 1, 0) + 4 * 16 + 2 * conv(16, 16, 9, 1) + 2 * 16 +
               fcn(16, 2);
  size_t rnb = 2 * (8 + 8 + 8 + 16 + 16 + 16 + 16);
  size_t dg  = conv(100, 256, 9, 0) + 2 * 256 + conv(256, 128, 16, 0) + 2 * 128 + conv(128, 64, 9, 0) + 2 * 64 +
               conv(64, 32, 25, 0) + 2 * 32 + conv(32, 1, 25, 1);
  size_t dd  = conv(1, 32, 25, 1) + conv(32, 64, 25, 0) + 2 * 64 + conv(64, 128, 25, 0) + 2 * 128 +
               conv(128, 128, 25, 0) + 2 * 128 + conv(128, 256, 25, 0) + 2 * 256 + fcn(512 * 9, 1);
  /* the paper-size DCGAN pair: projection 8x8 then 5 transposed 5x5 stride-2 layers to 256x256;
   * 5 stride-2 5x5 convolutions 256 -> 8 and the fusion of the last three layers at 8 x 8 */
  size_t g256 = conv(100, 1024, 64, 0) + 2 * 1024 + conv(1024, 512, 25, 0) + 2 * 512 + conv(512, 256, 25, 0) + 2 * 256 +
                conv(256, 128, 25, 0) + 2 * 128 + conv(128, 64, 25, 0) + 2 * 64 + conv(64, 1, 25, 1);
  size_t d256 = conv(1, 64, 25, 1) + conv(64, 128, 25, 0) + 2 * 128 + conv(128, 256, 25, 0) + 2 * 256 + conv(256, 512, 25, 0) + 2 * 512 +
                conv(512, 1024, 25, 0) + 2 * 1024 + fcn((256 + 512 + 1024) * 64, 1);
  shipped sp[] = {
    {"dcgan_g256", g256, 2 * (1024 + 512 + 256 + 128 + 64), 3, {1, 256, 256}},
    {"dcgan_d256", d256, 2 * (128 + 256 + 512 + 1024), 1, {1}},
    {"msrcnn", ms, msb, 1, {6}},
    {"convnetquake", cq, 0, 1, {7}},
    {"drsn_cw", rn + st(8) + 2 * st(16), rnb, 1, {2}},
    {"resnet2d", rn, rnb, 1, {2}},
    {"cnn2d", rn - conv(8, 16, 1, 0), rnb, 1, {2}},
    {"dcgan_g", dg, 2 * (256 + 128 + 64 + 32), 3, {1, 11, 11}},
    {"dcgan_d", dd, 2 * (64 + 128 + 128 + 256), 1, {1}},
  };
  for (size_t s = 0; s < sizeof sp / sizeof sp[0]; s++) {
    char path[256];
    snprintf(path, sizeof path, MODELS "%s.model", sp[s].file);
    prc_model *m;
    if (prc_model_load(path, NULL, &m)) {
      PT_CHECK(0, "%s", prc_lasterr());
      continue;
    }
    PT_CHECK(prc_model_nparams(m) == sp[s].np, "%s: %zu parameters, closed form %zu", sp[s].file,
             prc_model_nparams(m), sp[s].np);
    PT_CHECK(prc_model_nbuffers(m) == sp[s].nb, "%s: %zu buffer values, closed form %zu", sp[s].file,
             prc_model_nbuffers(m), sp[s].nb);
    PT_CHECK(!strcmp(prc_model_name(m), sp[s].file), "%s", prc_model_name(m));
    layout_check(m, sp[s].file);
    PT_CHECK(prc_model_set_batch(m, 3) == 0, "%s", prc_lasterr());
    const prc_tensor *o = prc_model_output(m);
    PT_CHECK(o && o->ndim == sp[s].ondim + 1 && o->shape[0] == 3, "%s output", sp[s].file);
    for (int k = 0; o && k < sp[s].ondim; k++)
      PT_CHECK(o->shape[k + 1] == sp[s].oshape[k], "%s: output dim %d = %d, expected %d", sp[s].file, k + 1,
               o->shape[k + 1], sp[s].oshape[k]);
    char sum[8192];
    PT_CHECK(prc_model_summary(m, sum, sizeof sum) == 0, "%s", prc_lasterr());
    prc_model_destroy(m);
  }
  /* defines change sizes: ConvNetQuake with 4 classes on 2000 samples (2000 -> ... -> 8) */
  const char *d[] = {"CLASSES=4", "LEN=2000", NULL};
  prc_model  *m;
  PT_CHECK(prc_model_load(MODELS "convnetquake.model", d, &m) == 0, "%s", prc_lasterr());
  if (m) {
    PT_CHECK(prc_model_nparams(m) == conv(3, 32, 3, 1) + 7 * conv(32, 32, 3, 1) + fcn(32 * 8, 4), "%zu",
             prc_model_nparams(m));
    int nd, sh[3];
    prc_model_input_shape(m, 0, &nd, sh);
    PT_CHECK(nd == 2 && sh[0] == 3 && sh[1] == 2000, "input shape");
    prc_model_destroy(m);
  }
  PT_CHECK(prc_model_load(MODELS "msrcnn.model", NULL, &m) == 0, "%s", prc_lasterr());
  if (m) {
    PT_CHECK(prc_model_ninputs(m) == 2 && !strcmp(prc_model_input_name(m, 1), "aux"), "inputs");
    prc_model_destroy(m);
  }
}

/* ---- helpers for running models ----------------------------------------------------- */
typedef struct {
  prc_model  *m;
  prc_tensor *in[4];
  prc_tensor *target;
  int         nin, N;
} run;

static void fill_uniform(float *a, size_t n, prc_rng *r, double lo, double hi)
{
  for (size_t i = 0; i < n; i++) a[i] = (float)(lo + (hi - lo) * prc_rng_uniform(r));
}

/* inputs U(-1,1); labels for softmax_ce, 0/1 for bce_logits (output shape) */
static int make_run(run *R, prc_model *m, int N, uint64_t seed)
{
  memset(R, 0, sizeof *R);
  R->m = m, R->N = N, R->nin = prc_model_ninputs(m);
  if (prc_model_set_batch(m, N)) return 1;
  prc_rng r;
  prc_rng_seed(&r, seed, 1);
  for (int i = 0; i < R->nin; i++) {
    int nd, sh[4] = {N};
    prc_model_input_shape(m, i, &nd, sh + 1);
    R->in[i] = prc_tensor_new(nd + 1, sh, 0);
    fill_uniform(R->in[i]->data, R->in[i]->size, &r, -1, 1);
  }
  const prc_tensor *o = prc_model_output(m);
  if (o->ndim == 2 && o->shape[1] > 1) {
    R->target = prc_tensor_new(1, &N, 0);
    for (int n = 0; n < N; n++) R->target->data[n] = (float)prc_rng_below(&r, (uint64_t)o->shape[1]);
  } else {
    R->target = prc_tensor_new(o->ndim, o->shape, 0);
    for (size_t k = 0; k < o->size; k++) R->target->data[k] = (float)prc_rng_below(&r, 2);
  }
  return 0;
}

static void free_run(run *R)
{
  for (int i = 0; i < R->nin; i++) prc_tensor_free(R->in[i]);
  prc_tensor_free(R->target);
}

static double fwd(run *R)
{
  double loss;
  if (prc_model_forward(R->m, (const prc_tensor *const *)R->in, R->target, &loss)) {
    fprintf(stderr, "  forward: %s\n", prc_lasterr());
    return NAN;
  }
  return loss;
}

/* ---- whole-model finite differences --------------------------------------------------- */
/* Central differences h = 1e-2 of the loss (accumulated in double by the loss layer)
 * against the analytic gradient, <= 40 entries per parameter tensor; |fd - an| <=
 * 2e-3 max|an| + 2e-2 |an|. min_frac: fraction that must pass (1 for smooth models). */
static void fd_model(const char *spec, int N, double min_frac, const char *label)
{
  prc_model *m;
  if (prc_model_parse(spec, label, NULL, &m)) {
    PT_CHECK(0, "%s", prc_lasterr());
    return;
  }
  run R;
  PT_CHECK(make_run(&R, m, N, 5) == 0, "%s", prc_lasterr());
  prc_model_zero_grad(m);
  fwd(&R);
  PT_CHECK(prc_model_backward(m) == 0, "%s", prc_lasterr());
  size_t np = prc_model_nparams(m);
  float *an = malloc(np * sizeof(float)), *p = prc_model_params(m);
  memcpy(an, prc_model_grads(m), np * sizeof(float));
  double amax = 0;
  for (size_t i = 0; i < np; i++) amax = fmax(amax, fabs(an[i]));
  int    tested = 0, passed = 0;
  double worst  = 0;
  const double h = 1e-2;
  for (int t = 0; t < prc_model_ntensors(m); t++) {
    if (prc_model_tensor_kind(m, t)) continue;
    int    nd, sh[4];
    size_t n = 1, off = prc_model_tensor_offset(m, t);
    prc_model_tensor_shape(m, t, &nd, sh);
    for (int k = 0; k < nd; k++) n *= (size_t)sh[k];
    size_t step = n > 40 ? n / 40 : 1;
    for (size_t k = 0; k < n; k += step) {
      float  save = p[off + k];
      p[off + k]  = save + (float)h;
      double lp   = fwd(&R);
      p[off + k]  = save - (float)h;
      double lm   = fwd(&R);
      p[off + k]  = save;
      double fd = (lp - lm) / (2 * h), g = an[off + k], err = fabs(fd - g);
      int    ok = err <= 2e-3 * amax + 2e-2 * fabs(g);
      tested++, passed += ok;
      if (err / (amax + 1e-30) > worst) worst = err / (amax + 1e-30);
      if (!ok && min_frac >= 1)
        fprintf(stderr, "  %s %s[%zu]: fd %.6g analytic %.6g\n", label, prc_model_tensor_name(m, t), k, fd, g);
    }
  }
  PT_CHECK(tested > 0 && passed >= min_frac * tested, "%s: %d of %d entries within tolerance", label, passed,
           tested);
  printf("  %s: finite differences %d/%d entries pass, worst scaled error %.2e\n", label, passed, tested, worst);
  free(an);
  free_run(&R);
  prc_model_destroy(m);
}

/* smooth: tanh, avg-pool, batch norm (training), concat, fan-out (t1 used 3 times), aux input */
static const char *spec_smooth =
    "model smooth\ninput x 2 12\ninput aux 3\n"
    "c1 conv1d x out=4 k=3 stride=2 pad=1\n"
    "b1 batchnorm c1\n"
    "t1 tanh b1\n"
    "c2 conv1d t1 out=4 k=3 pad=1 dil=1\n"
    "t2 sigmoid c2\n"
    "s  add t2 t1 t1\n"
    "p  avgpool1d s k=2\n"
    "g  global_avgpool t1\n"
    "f  flatten p\n"
    "cat concat f g aux\n"
    "h  fc cat out=5\n"
    "e  se p reduction=2\n"
    "ge global_avgpool e\n"
    "cat2 concat h ge\n"
    "o fc cat2 out=3\n"
    "loss softmax_ce\noutput o\n";

/* kinked: relu, max-pool, soft threshold, leaky relu, 2-D conv, transposed conv */
static const char *spec_kinked =
    "model kinked\ninput x 1 6 6\n"
    "c1 conv2d x out=3 k=3 pad=1\n"
    "r1 relu c1\n"
    "m1 maxpool2d r1 k=2\n"
    "u1 conv_transpose2d m1 out=2 k=2 stride=2\n"
    "st soft_threshold u1\n"
    "l1 leaky_relu st alpha=0.1\n"
    "c2 conv2d l1 out=2 k=3x3 stride=2x1 pad=1\n"
    "a  add c2 c2\n"
    "o fc a out=4\n"
    "loss softmax_ce\n";

static void test_finite_differences(void)
{
  fd_model(spec_smooth, 4, 1.0, "smooth");
  fd_model(spec_kinked, 3, 0.9, "kinked");
}

/* ---- determinism --------------------------------------------------------------------- */
static void test_determinism(void)
{
  prc_model *a, *b;
  if (prc_model_load(MODELS "drsn_cw.model", no_dropout, &a) || prc_model_load(MODELS "drsn_cw.model", no_dropout, &b)) {
    PT_CHECK(0, "%s", prc_lasterr());
    return;
  }
  size_t np = prc_model_nparams(a);
  prc_model_init(a, 7), prc_model_init(b, 7);
  PT_CHECK(!memcmp(prc_model_params(a), prc_model_params(b), np * sizeof(float)), "same seed, different params");
  run Ra, Rb;
  make_run(&Ra, a, 5, 3), make_run(&Rb, b, 5, 3);
  double la = fwd(&Ra), lb = fwd(&Rb);
  PT_CHECK(memcmp(&la, &lb, sizeof la) == 0, "losses %.17g %.17g differ", la, lb);
  prc_model_zero_grad(a), prc_model_zero_grad(b);
  prc_model_backward(a), prc_model_backward(b);
  PT_CHECK(!memcmp(prc_model_grads(a), prc_model_grads(b), np * sizeof(float)), "same seed, different grads");
  prc_model_init(b, 8);
  size_t ndiff = 0;
  for (size_t i = 0; i < np; i++) ndiff += prc_model_params(a)[i] != prc_model_params(b)[i];
  /* batch-norm weights are 1 and biases 0 for every seed */
  PT_CHECK(ndiff > np * 9 / 10, "seed 8 vs 7: only %zu of %zu parameters differ", ndiff, np);
  double lb2 = fwd(&Rb);
  PT_CHECK(la != lb2, "different seed, same loss");
  /* init restores buffers: running stats back to 0 / 1 */
  prc_model_init(a, 7);
  float *bu = prc_model_buffers(a);
  int    okb = 1;
  for (int t = 0; t < prc_model_ntensors(a); t++)
    if (prc_model_tensor_kind(a, t) == 1) {
      const char *nm  = prc_model_tensor_name(a, t);
      float       want = strstr(nm, "running_var") ? 1.0f : 0.0f;
      okb &= bu[prc_model_tensor_offset(a, t)] == want;
    }
  PT_CHECK(okb, "buffers not reset by init");
  free_run(&Ra), free_run(&Rb);
  prc_model_destroy(a), prc_model_destroy(b);
}

/* ---- frozen batch norm (prc_model_set_training_bn) ------------------------------------ */
/* Training mode with batch norm frozen: batch norm normalises with the running statistics and
 * leaves them alone (= eval-mode output when dropout is off), dropout stays active, and the
 * gradient is that of the eval-mode function (central differences). */
static void test_frozen_batchnorm(void)
{
  static const char *spec = "model fbn\ninput x 3 16\n"
                            "c conv1d x out=4 k=3 pad=1\nb batchnorm c\nt tanh b\ng global_avgpool t\n"
                            "d dropout g p=${P}\no fc d out=3\nloss softmax_ce\noutput o\n";
  const char *p0[] = {"P=0", NULL}, *p5[] = {"P=0.5", NULL};
  prc_model  *m, *md;
  if (prc_model_parse(spec, "fbn", p0, &m) || prc_model_parse(spec, "fbn", p5, &md)) {
    PT_CHECK(0, "%s", prc_lasterr());
    return;
  }
  run R, Rd;
  make_run(&R, m, 6, 21), make_run(&Rd, md, 6, 21);
  prc_model_init(m, 3), prc_model_init(md, 3);
  /* non-trivial running statistics: a few training forwards */
  for (int i = 0; i < 3; i++) fwd(&R);
  const size_t nb = prc_model_nbuffers(m), W = prc_model_output(m)->size;
  float       *b0 = malloc(nb * sizeof(float)), *ev = malloc(W * sizeof(float));
  memcpy(b0, prc_model_buffers(m), nb * sizeof(float));
  prc_model_set_training(m, 0);
  double le = fwd(&R);
  memcpy(ev, prc_model_output(m)->data, W * sizeof(float));
  prc_model_set_training(m, 1), prc_model_set_training_bn(m, 0);
  double lf = fwd(&R);
  PT_CHECK(!memcmp(ev, prc_model_output(m)->data, W * sizeof(float)) && le == lf, "frozen batch norm (no dropout) differs from eval mode");
  PT_CHECK(!memcmp(b0, prc_model_buffers(m), nb * sizeof(float)), "frozen batch norm changed the running statistics");
  /* the gradient is the eval-mode function's: central differences of the loss */
  prc_model_zero_grad(m);
  PT_CHECK(!prc_model_backward(m), "%s", prc_lasterr());
  float *p = prc_model_params(m), *g = prc_model_grads(m);
  int    bad = 0;
  for (size_t k = 0; k < prc_model_nparams(m); k++) {
    float  sv = p[k];
    double h  = 1e-2;
    p[k]      = sv + (float)h;
    double lp = fwd(&R);
    p[k]      = sv - (float)h;
    double lm = fwd(&R);
    p[k]      = sv;
    double fd = (lp - lm) / (2 * h);
    if (fabs(fd - g[k]) > 1e-3 + 2e-2 * fabs(fd)) bad++, fprintf(stderr, "  param %zu: fd %.6g analytic %.6g\n", k, fd, (double)g[k]);
  }
  PT_CHECK(!bad, "%d gradient entries of the frozen-batch-norm model disagree with central differences", bad);
  /* unfrozen training mode uses batch statistics (different output) and updates the buffers */
  prc_model_set_training_bn(m, 1);
  fwd(&R);
  PT_CHECK(memcmp(ev, prc_model_output(m)->data, W * sizeof(float)), "training-mode batch norm gave the eval output");
  PT_CHECK(memcmp(b0, prc_model_buffers(m), nb * sizeof(float)), "training-mode batch norm left the running statistics");
  /* dropout stays active with frozen batch norm */
  memcpy(prc_model_buffers(md), b0, nb * sizeof(float));
  prc_model_set_training(md, 0);
  fwd(&Rd);
  memcpy(ev, prc_model_output(md)->data, W * sizeof(float));
  prc_model_set_training(md, 1), prc_model_set_training_bn(md, 0);
  fwd(&Rd);
  PT_CHECK(memcmp(ev, prc_model_output(md)->data, W * sizeof(float)), "dropout inactive under frozen batch norm");
  free(b0), free(ev);
  free_run(&R), free_run(&Rd);
  prc_model_destroy(m), prc_model_destroy(md);
}

/* ---- class weights on the loss line ------------------------------------------------------ */
/* loss softmax_ce weights=...: the weighted mean sum w_y nll_n / sum w_y (as PyTorch) by hand,
 * the gradient by central differences, 'none', ':' separators, and errors. */
static void test_class_weights(void)
{
  const char *spec = "model cw\ninput x 4\nh fc x out=3\nloss softmax_ce weights=${W}\noutput h\n";
  const char *dw[] = {"W=0.5:2:1", NULL}, *dn[] = {"W=none", NULL};
  prc_model  *m, *mn;
  if (prc_model_parse(spec, "cw", dw, &m) || prc_model_parse(spec, "cw", dn, &mn)) {
    PT_CHECK(0, "%s", prc_lasterr());
    return;
  }
  run R, Rn;
  make_run(&R, m, 7, 5), make_run(&Rn, mn, 7, 5);
  prc_model_init(m, 2), prc_model_init(mn, 2);
  double l = fwd(&R), ln = fwd(&Rn);
  const float *o = prc_model_output(m)->data;
  const double w[3] = {0.5, 2, 1};
  double       num = 0, den = 0, un = 0;
  for (int n = 0; n < 7; n++) {
    int    y  = (int)R.target->data[n];
    double mx = fmax(fmax(o[3 * n], o[3 * n + 1]), o[3 * n + 2]), se = 0;
    for (int c = 0; c < 3; c++) se += exp(o[3 * n + c] - mx);
    double nll = -(o[3 * n + y] - mx - log(se));
    num += w[y] * nll, den += w[y], un += nll;
  }
  PT_NEAR(l, num / den, 1e-6, 1e-6);
  PT_NEAR(ln, un / 7, 1e-6, 1e-6);
  /* gradient by central differences */
  prc_model_zero_grad(m);
  PT_CHECK(!prc_model_backward(m), "%s", prc_lasterr());
  float *p = prc_model_params(m), *g = prc_model_grads(m);
  int    bad = 0;
  for (size_t k = 0; k < prc_model_nparams(m); k++) {
    float  sv = p[k];
    double h  = 1e-2;
    p[k]      = sv + (float)h;
    double lp = fwd(&R);
    p[k]      = sv - (float)h;
    double lm = fwd(&R);
    p[k]      = sv;
    bad += fabs((lp - lm) / (2 * h) - g[k]) > 1e-4 + 1e-2 * fabs(g[k]);
  }
  PT_CHECK(!bad, "%d weighted-loss gradient entries disagree with central differences", bad);
  free_run(&R), free_run(&Rn);
  prc_model_destroy(m), prc_model_destroy(mn);
  /* errors: count, value, wrong layer, all zero */
  const char *bc[] = {"W=1:2", NULL}, *bv[] = {"W=1:x:2", NULL}, *bz[] = {"W=0:0:0", NULL};
  PT_CHECK(!prc_model_parse(spec, "cw", bc, &m), "%s", prc_lasterr());
  if (m) {
    run Rb;
    make_run(&Rb, m, 2, 1);
    double lb = prc_model_forward(m, (const prc_tensor *const *)Rb.in, Rb.target, &lb) ? NAN : lb;
    PT_CHECK(isnan(lb) && strstr(prc_lasterr(), "2 class weights for 3 classes"), "count: %s", prc_lasterr());
    free_run(&Rb);
    prc_model_destroy(m);
  }
  PT_CHECK(prc_model_parse(spec, "cw", bv, &m) != 0 && strstr(prc_lasterr(), "cw:4: weights=1:x:2"), "value: %s", prc_lasterr());
  PT_CHECK(prc_model_parse(spec, "cw", bz, &m) != 0 && strstr(prc_lasterr(), "at least one"), "zeros: %s", prc_lasterr());
  PT_CHECK(prc_model_parse("model b\ninput x 2\no fc x out=1\nloss bce_logits weights=1\n", "b", NULL, &m) != 0 &&
               strstr(prc_lasterr(), "softmax_ce option"),
           "bce: %s", prc_lasterr());
}

/* ---- fan-out and backward_from -------------------------------------------------------- */
static void test_fanout_and_backward_from(void)
{
  /* y = a + a + a (a used three times) must give 3x the parameter gradient of y = a */
  prc_model *m1, *m3;
  PT_CHECK(!prc_model_parse("input x 4\na fc x out=3\n", "one", NULL, &m1), "%s", prc_lasterr());
  PT_CHECK(!prc_model_parse("input x 4\na fc x out=3\ny add a a a\n", "three", NULL, &m3), "%s", prc_lasterr());
  if (!m1 || !m3) return;
  run R1, R3;
  make_run(&R1, m1, 2, 9), make_run(&R3, m3, 2, 9);
  fwd(&R1), fwd(&R3);
  float dout[6] = {0.3f, -1.0f, 0.5f, 2.0f, 0.25f, -0.75f}, dx1[8] = {0}, dx3[8] = {0};
  prc_model_zero_grad(m1), prc_model_zero_grad(m3);
  PT_CHECK(!prc_model_backward_from(m1, dout, dx1), "%s", prc_lasterr());
  PT_CHECK(!prc_model_backward_from(m3, dout, dx3), "%s", prc_lasterr());
  for (size_t i = 0; i < prc_model_nparams(m1); i++)
    PT_NEAR(prc_model_grads(m3)[i], 3 * prc_model_grads(m1)[i], 1e-6, 1e-6);
  for (int i = 0; i < 8; i++) {
    PT_NEAR(dx3[i], 3 * dx1[i], 1e-6, 1e-6);
    /* dx = W^T dout by hand */
    const float *W = prc_model_params(m1);
    double       s = 0;
    for (int o = 0; o < 3; o++) s += (double)W[o * 4 + i % 4] * dout[(i / 4) * 3 + o];
    PT_NEAR(dx1[i], s, 1e-6, 1e-5);
  }
  /* a second backward accumulates */
  PT_CHECK(!prc_model_backward_from(m1, dout, NULL), "%s", prc_lasterr());
  prc_model *m1b;
  prc_model_parse("input x 4\na fc x out=3\n", "one", NULL, &m1b);
  run R1b;
  make_run(&R1b, m1b, 2, 9);
  fwd(&R1b);
  prc_model_zero_grad(m1b);
  prc_model_backward_from(m1b, dout, NULL);
  for (size_t i = 0; i < prc_model_nparams(m1); i++)
    PT_NEAR(prc_model_grads(m1)[i], 2 * prc_model_grads(m1b)[i], 1e-6, 1e-6);
  free_run(&R1), free_run(&R3), free_run(&R1b);
  prc_model_destroy(m1), prc_model_destroy(m3), prc_model_destroy(m1b);

  /* backward (softmax_ce) == backward_from with (softmax - onehot) / N written here */
  prc_model *m;
  if (prc_model_load(MODELS "convnetquake.model", NULL, &m)) {
    PT_CHECK(0, "%s", prc_lasterr());
    return;
  }
  run R;
  make_run(&R, m, 6, 4);
  size_t np = prc_model_nparams(m);
  fwd(&R);
  prc_model_zero_grad(m);
  PT_CHECK(!prc_model_backward(m), "%s", prc_lasterr());
  float *g1 = malloc(np * sizeof(float));
  memcpy(g1, prc_model_grads(m), np * sizeof(float));
  double loss;
  PT_CHECK(!prc_model_forward(m, (const prc_tensor *const *)R.in, NULL, &loss) && isnan(loss), "loss without target");
  const prc_tensor *o = prc_model_output(m);
  int               C = o->shape[1];
  float            *d = malloc(o->size * sizeof(float));
  for (int n = 0; n < 6; n++) {
    double mx = -INFINITY, s = 0;
    for (int c = 0; c < C; c++) mx = fmax(mx, o->data[n * C + c]);
    for (int c = 0; c < C; c++) s += exp(o->data[n * C + c] - mx);
    for (int c = 0; c < C; c++)
      d[n * C + c] = (float)((exp(o->data[n * C + c] - mx) / s - (c == (int)R.target->data[n])) / 6.0);
  }
  prc_model_zero_grad(m);
  PT_CHECK(!prc_model_backward_from(m, d, NULL), "%s", prc_lasterr());
  double gmax = 0, err = 0;
  for (size_t i = 0; i < np; i++) gmax = fmax(gmax, fabs(g1[i])), err = fmax(err, fabs(g1[i] - prc_model_grads(m)[i]));
  PT_CHECK(err <= 1e-5 * gmax, "backward vs backward_from: max diff %g (max grad %g)", err, gmax);
  free(g1), free(d);
  free_run(&R);
  prc_model_destroy(m);
}

/* ---- a tiny model trained with plain SGD on separable classes ------------------------ */
static void test_sgd_training(void)
{
  const char *spec = "model tiny\ninput x 2 32\n"
                     "c1 conv1d x out=8 k=5 pad=2\nr1 relu c1\np1 maxpool1d r1 k=2\n"
                     "c2 conv1d p1 out=8 k=3 pad=1\nr2 relu c2\ng global_avgpool r2\n"
                     "o fc g out=3\nloss softmax_ce\n";
  prc_model *m;
  if (prc_model_parse(spec, "tiny", NULL, &m)) {
    PT_CHECK(0, "%s", prc_lasterr());
    return;
  }
  const int N = 60, C = 3, L = 32;
  prc_model_set_batch(m, N);
  prc_model_init(m, 11);
  int         xs[3] = {N, 2, L};
  prc_tensor *x = prc_tensor_new(3, xs, 0), *y = prc_tensor_new(1, &N, 0);
  prc_rng     r;
  prc_rng_seed(&r, 21, 0);
  /* class c: sine of frequency (c+1) cycles per window on channel 0, its sign-flipped copy
   * on channel 1 for class 2, plus noise 0.3 */
  for (int n = 0; n < N; n++) {
    int c = n % C;
    y->data[n] = (float)c;
    for (int k = 0; k < L; k++) {
      double s = sin(2 * M_PI * (c + 1) * k / L + prc_rng_uniform(&r) * 0.5);
      x->data[(n * 2 + 0) * L + k] = (float)(s + 0.3 * prc_rng_normal(&r));
      x->data[(n * 2 + 1) * L + k] = (float)((c == 2 ? -s : 0.5 * s) + 0.3 * prc_rng_normal(&r));
    }
  }
  const prc_tensor *in[1] = {x};
  double            loss = NAN, acc = 0;
  int               step;
  size_t            np = prc_model_nparams(m);
  for (step = 0; step < 2000; step++) {
    prc_model_zero_grad(m);
    if (prc_model_forward(m, in, y, &loss) || prc_model_backward(m)) break;
    const prc_tensor *o = prc_model_output(m);
    int               right = 0;
    for (int n = 0; n < N; n++) {
      int b = 0;
      for (int c = 1; c < C; c++)
        if (o->data[n * C + c] > o->data[n * C + b]) b = c;
      right += b == (int)y->data[n];
    }
    acc = (double)right / N;
    if (acc == 1.0) break;
    float *p = prc_model_params(m), *g = prc_model_grads(m);
    for (size_t i = 0; i < np; i++) p[i] -= 0.2f * g[i];
  }
  PT_CHECK(acc == 1.0, "training accuracy %.3f after %d steps (loss %g)", acc, step, loss);
  printf("  tiny model: 100%% training accuracy after %d SGD steps (loss %.4f)\n", step, loss);
  prc_tensor_free(x), prc_tensor_free(y);
  prc_model_destroy(m);
}

/* ---- dump for the PyTorch oracle ----------------------------------------------------- */
static void dump_arr(FILE *idx, const char *dir, const char *name, const float *a, int nd, const int *sh)
{
  char   path[1024];
  size_t n = 1;
  for (int k = 0; k < nd; k++) n *= (size_t)sh[k];
  snprintf(path, sizeof path, "%s/%s.f32", dir, name);
  FILE *f = fopen(path, "wb");
  if (f) fwrite(a, sizeof(float), n, f), fclose(f);
  fprintf(idx, "array %s %d", name, nd);
  for (int k = 0; k < nd; k++) fprintf(idx, " %d", sh[k]);
  fputc('\n', idx);
}

static int dump_case(const char *root, const char *file, int train, int N)
{
  char dir[1024], spec[256];
  snprintf(dir, sizeof dir, "%s/%s_%s", root, file, train ? "train" : "eval");
  snprintf(spec, sizeof spec, MODELS "%s.model", file);
  mkdir(dir, 0755);
  prc_model *m;
  if (prc_model_load(spec, no_dropout, &m)) return 1;
  run R;
  if (make_run(&R, m, N, 17)) return 1;
  prc_model_init(m, 23);
  prc_rng r;
  prc_rng_seed(&r, 99, 0);
  /* non-trivial batch-norm affine parameters and (eval) running statistics */
  for (int t = 0; t < prc_model_ntensors(m); t++) {
    const char *nm = prc_model_tensor_name(m, t);
    int         nd, sh[4];
    prc_model_tensor_shape(m, t, &nd, sh);
    size_t off = prc_model_tensor_offset(m, t);
    float *a   = prc_model_tensor_kind(m, t) ? prc_model_buffers(m) : prc_model_params(m);
    if (strstr(nm, "running_mean")) fill_uniform(a + off, (size_t)sh[0], &r, -0.5, 0.5);
    if (strstr(nm, "running_var")) fill_uniform(a + off, (size_t)sh[0], &r, 0.5, 2.0);
    int bn = strstr(nm, "running") != NULL;
    (void)bn;
  }
  prc_model_set_training(m, train);
  char  idxp[1100];
  snprintf(idxp, sizeof idxp, "%s/index.txt", dir);
  FILE *idx = fopen(idxp, "w");
  if (!idx) return 1;
  fprintf(idx, "spec %s\ndefine DROPOUT=0\nmode %s\nN %d\n", spec, train ? "train" : "eval", N);
  for (int i = 0; i < R.nin; i++) {
    char nm[80];
    snprintf(nm, sizeof nm, "input.%s", prc_model_input_name(m, i));
    dump_arr(idx, dir, nm, R.in[i]->data, R.in[i]->ndim, R.in[i]->shape);
  }
  for (int t = 0; t < prc_model_ntensors(m); t++) {
    char nm[200];
    int  nd, sh[4];
    prc_model_tensor_shape(m, t, &nd, sh);
    float *a = prc_model_tensor_kind(m, t) ? prc_model_buffers(m) : prc_model_params(m);
    snprintf(nm, sizeof nm, "%s.%s", prc_model_tensor_kind(m, t) ? "buffer" : "param", prc_model_tensor_name(m, t));
    dump_arr(idx, dir, nm, a + prc_model_tensor_offset(m, t), nd, sh);
  }
  prc_model_zero_grad(m);
  const prc_tensor *o   = prc_model_output(m);
  int               has_loss = 1;
  double            loss;
  float            *dx = calloc(R.in[0]->size, sizeof(float));
  if (prc_model_forward(m, (const prc_tensor *const *)R.in, R.target, &loss)) return 1;
  if (isnan(loss)) { /* no loss in the spec: backward_from with a random output gradient */
    has_loss   = 0;
    float *dout = malloc(o->size * sizeof(float));
    fill_uniform(dout, o->size, &r, -1, 1);
    dump_arr(idx, dir, "dout", dout, o->ndim, o->shape);
    if (prc_model_backward_from(m, dout, dx)) return 1;
    dump_arr(idx, dir, "result.dx", dx, R.in[0]->ndim, R.in[0]->shape);
    free(dout);
  } else {
    dump_arr(idx, dir, "target", R.target->data, R.target->ndim, R.target->shape);
    if (prc_model_backward(m)) return 1;
    float lf = (float)loss;
    int   one = 1;
    dump_arr(idx, dir, "result.loss", &lf, 1, &one);
  }
  (void)has_loss;
  dump_arr(idx, dir, "result.output", o->data, o->ndim, o->shape);
  for (int t = 0; t < prc_model_ntensors(m); t++) {
    char nm[200];
    int  nd, sh[4];
    prc_model_tensor_shape(m, t, &nd, sh);
    size_t off = prc_model_tensor_offset(m, t);
    if (prc_model_tensor_kind(m, t)) {
      snprintf(nm, sizeof nm, "result.buffer.%s", prc_model_tensor_name(m, t));
      dump_arr(idx, dir, nm, prc_model_buffers(m) + off, nd, sh);
    } else {
      snprintf(nm, sizeof nm, "result.grad.%s", prc_model_tensor_name(m, t));
      dump_arr(idx, dir, nm, prc_model_grads(m) + off, nd, sh);
    }
  }
  fclose(idx);
  free(dx);
  free_run(&R);
  prc_model_destroy(m);
  return 0;
}

static int dump_all(const char *root)
{
  const char *files[] = {"msrcnn", "convnetquake", "drsn_cw", "resnet2d", "cnn2d", "dcgan_g", "dcgan_d"};
  int         n = 0;
  mkdir(root, 0755);
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    for (int train = 0; train < 2; train++) {
      if (dump_case(root, files[i], train, 4)) {
        fprintf(stderr, "dump %s: %s\n", files[i], prc_lasterr());
        return 1;
      }
      n++;
    }
  printf("dumped %d model cases to %s\n", n, root);
  return 0;
}

/* ---- clones and the thread pool (nn_threads.h) ----------------------------------------- */
/* Jobs of a pool: job j runs forward + backward of its own inputs R[j] from the step's
 * buffers b0 with dropout stream j, and writes output, loss, gradients and buffers to slot j.
 * Run on 1 thread (the master, one after the other) and on 2, 3 and 8 threads (more threads
 * than jobs): every slot must be the same bits. A job that fails names its index. */
typedef struct {
  run    *R;
  int     nj, fail_from;
  size_t  np, nb, no;
  float  *b0, *g, *b, *o;
  double *l;
  int    *ran;
} pool_job;

static int pool_job_fn(prc_model *m, int j, void *arg)
{
  pool_job *a = arg;
  a->ran[j]++;
  if (a->fail_from >= 0 && j >= a->fail_from) return prc_seterr("made to fail (%d)", j);
  if (a->nb) memcpy(prc_model_buffers(m), a->b0, a->nb * sizeof(float));
  if (prc_model_batch(m) != a->R[j].N && prc_model_set_batch(m, a->R[j].N)) return 1;
  prc_model_set_stream(m, (uint64_t)j);
  if (prc_model_forward(m, (const prc_tensor *const *)a->R[j].in, a->R[j].target, &a->l[j])) return 1;
  prc_model_zero_grad(m);
  if (prc_model_backward(m)) return 1;
  memcpy(a->g + (size_t)j * a->np, prc_model_grads(m), a->np * sizeof(float));
  if (a->nb) memcpy(a->b + (size_t)j * a->nb, prc_model_buffers(m), a->nb * sizeof(float));
  memcpy(a->o + (size_t)j * a->no, prc_model_output(m)->data, a->no * sizeof(float));
  return 0;
}

static void test_threads(void)
{
  const char *specs[] = {MODELS "msrcnn.model", MODELS "drsn_cw.model"}; /* dropout on; msrcnn has aux inputs */
  for (int si = 0; si < 2; si++) {
    prc_model *m;
    if (prc_model_load(specs[si], NULL, &m)) {
      PT_CHECK(0, "%s", prc_lasterr());
      return;
    }
    prc_model_init(m, 11);
    enum { NJ = 5, N = 4 };
    run R[NJ];
    for (int j = 0; j < NJ; j++) make_run(&R[j], m, N, 100 + (uint64_t)j);
    /* a moved state: the replicas must take the master's, not their own initialisation */
    for (size_t i = 0; i < prc_model_nparams(m); i++) prc_model_params(m)[i] *= 1.01f;
    pool_job a = {.R = R, .nj = NJ, .fail_from = -1, .np = prc_model_nparams(m), .nb = prc_model_nbuffers(m),
                  .no = prc_model_output(m)->size};
    a.b0 = malloc((a.nb + 1) * sizeof(float));
    if (a.nb) memcpy(a.b0, prc_model_buffers(m), a.nb * sizeof(float));
    float  *g1 = malloc(NJ * a.np * sizeof(float)), *b1 = malloc((NJ * a.nb + 1) * sizeof(float)), *o1 = malloc(NJ * a.no * sizeof(float));
    double  l1[NJ];
    int     ran[NJ];
    a.g = malloc(NJ * a.np * sizeof(float)), a.b = malloc((NJ * a.nb + 1) * sizeof(float)), a.o = malloc(NJ * a.no * sizeof(float));
    a.l = malloc(NJ * sizeof(double)), a.ran = ran;
    const int Ts[] = {1, 2, 3, 8};
    for (int ti = 0; ti < 4; ti++) {
      prc_nnpool *p;
      float      *pm = prc_model_params(m);
      for (size_t i = 0; i < a.np; i++) pm[i] *= 0.5f; /* the replicas are made from a state ... */
      int rc = prc_nnpool_create(m, Ts[ti], &p);
      for (size_t i = 0; i < a.np; i++) pm[i] *= 2.0f; /* ... that sync must replace (exact in float) */
      PT_CHECK(!rc, "%s: pool of %d: %s", specs[si], Ts[ti], prc_lasterr());
      if (rc) break;
      memset(ran, 0, sizeof ran);
      memset(a.g, 0xff, NJ * a.np * sizeof(float)); /* NaN bytes: a slot left unwritten fails */
      PT_CHECK(!prc_nnpool_sync(p), "sync: %s", prc_lasterr());
      rc = prc_nnpool_run(p, NJ, pool_job_fn, &a);
      PT_CHECK(!rc, "%s, %d threads: %s", specs[si], Ts[ti], prc_lasterr());
      for (int j = 0; j < NJ; j++) PT_CHECK(ran[j] == 1, "%d threads: job %d ran %d times", Ts[ti], j, ran[j]);
      if (ti == 0) {
        memcpy(g1, a.g, NJ * a.np * sizeof(float)), memcpy(b1, a.b, (NJ * a.nb + 1) * sizeof(float));
        memcpy(o1, a.o, NJ * a.no * sizeof(float)), memcpy(l1, a.l, sizeof l1);
        /* the jobs differ from each other (inputs and dropout stream) */
        PT_CHECK(memcmp(a.g, a.g + a.np, a.np * sizeof(float)) != 0, "jobs 0 and 1 gave the same gradient");
      } else {
        PT_CHECK(!memcmp(g1, a.g, NJ * a.np * sizeof(float)), "%s: gradients on %d threads differ from 1 thread", specs[si], Ts[ti]);
        PT_CHECK(!memcmp(b1, a.b, NJ * a.nb * sizeof(float)), "%s: buffers on %d threads differ", specs[si], Ts[ti]);
        PT_CHECK(!memcmp(o1, a.o, NJ * a.no * sizeof(float)), "%s: outputs on %d threads differ", specs[si], Ts[ti]);
        PT_CHECK(!memcmp(l1, a.l, sizeof l1), "%s: losses on %d threads differ", specs[si], Ts[ti]);
      }
      /* a failure: jobs 3 and 4 fail; the lowest is named, every job still ran once */
      if (Ts[ti] > 1) {
        memset(ran, 0, sizeof ran);
        a.fail_from = 3;
        rc = prc_nnpool_run(p, NJ, pool_job_fn, &a);
        PT_CHECK(rc && strstr(prc_lasterr(), "job 3: made to fail (3)"), "failure not reported: rc %d, '%s'", rc, prc_lasterr());
        for (int j = 0; j < NJ; j++) PT_CHECK(ran[j] == 1, "failing run: job %d ran %d times", j, ran[j]);
        a.fail_from = -1;
        /* the pool still works after a failed run, also with fewer jobs than threads */
        rc = prc_nnpool_run(p, 1, pool_job_fn, &a);
        PT_CHECK(!rc && !memcmp(g1, a.g, a.np * sizeof(float)), "one job after a failure: rc %d", rc);
        PT_CHECK(prc_nnpool_threads(p) == Ts[ti] && prc_nnpool_model(p, 0) == m && prc_nnpool_model(p, Ts[ti]) == NULL, "accessors");
      }
      prc_nnpool_destroy(p);
    }
    /* a clone computes what the master computes, in eval mode too */
    prc_model *c;
    prc_model_set_training(m, 0);
    PT_CHECK(!prc_model_clone(m, &c), "clone: %s", prc_lasterr());
    if (c) {
      prc_model_set_batch(c, N);
      double lm = fwd(&R[0]);
      run Rc = R[0];
      Rc.m = c;
      double lc = fwd(&Rc);
      PT_CHECK(!memcmp(&lm, &lc, sizeof lm) && !memcmp(prc_model_output(m)->data, prc_model_output(c)->data, a.no * sizeof(float)),
               "clone in eval mode: loss %.17g vs %.17g", lc, lm);
      prc_model_destroy(c);
    }
    prc_model_set_training(m, 1);
    /* copy_state refuses another spec */
    prc_model *other;
    if (!prc_model_load(specs[1 - si], NULL, &other)) {
      PT_CHECK(prc_model_copy_state(other, m) && strstr(prc_lasterr(), "cannot copy the state"), "copy from another spec: '%s'", prc_lasterr());
      prc_model_destroy(other);
    }
    prc_nnpool *bad;
    PT_CHECK(prc_nnpool_create(m, 0, &bad) && strstr(prc_lasterr(), "0 threads"), "0 threads accepted: '%s'", prc_lasterr());
    for (int j = 0; j < NJ; j++) free_run(&R[j]);
    free(a.b0), free(a.g), free(a.b), free(a.o), free(a.l), free(g1), free(b1), free(o1);
    prc_model_destroy(m);
  }
}

int main(int argc, char **argv)
{
  pt_set_prog(argv[0]);
  const char *dump = getenv("PRC_NN_MODEL_DUMP");
  if (dump) return dump_all(dump);
  PT_RUN(test_spec_errors);
  PT_RUN(test_shipped_specs);
  PT_RUN(test_finite_differences);
  PT_RUN(test_determinism);
  PT_RUN(test_fanout_and_backward_from);
  PT_RUN(test_frozen_batchnorm);
  PT_RUN(test_class_weights);
  PT_RUN(test_sgd_training);
  PT_RUN(test_threads);
  return pt_finish();
}

/* test_dp.c — the exact data-parallel mean (src/par/dp.c) and trained-model files read back
 * (src/io/model_h5.c). Run on 1, 2 and 4 ranks.
 *
 * Oracles:
 *  - prc_dp_mean_exact on P ranks (micro-batch j on rank j mod P) must equal, bit for bit,
 *    the same call on MPI_COMM_SELF holding all M micro-batches (the 1-rank answer), and
 *    agree with a long-double mean to 1e-7 of max |x| (float32 rounding of the result);
 *    the data span 12 decades and both signs. Counts (extra) are summed exactly.
 *  - A NaN in one rank's micro-batch makes every rank return an error naming the segment.
 *  - A model written with prc_model_h5_write_tensors + the "model" attributes and read with
 *    prc_model_h5_load has bitwise the same parameters and buffers and gives the same
 *    logits; prc_model_predict rows are the softmax of those logits (to 1e-6) and sum to 1.
 *  - A file of another kind, and a tensor of the wrong shape, are refused naming the file. */
#define PT_MPI
#include "ptest.h"

#include <float.h>
#include <stdint.h>
#include <unistd.h>

#include "precursor/dp.h"
#include "precursor/error.h"
#include "precursor/h5io.h"
#include "precursor/model_h5.h"
#include "precursor/nn_train.h"
#include "precursor/options.h"
#include "precursor/rng.h"
#include "precursor/stage.h"
#include "precursor/timeutil.h"

static PetscMPIInt g_rank, g_size;
static char        g_dir[256], g_msg[4096];
static prc_opts    g_opts;
static prc_ctx     g_ctx;

static PetscErrorCode capture(MPI_Comm comm, int line, const char *fun, const char *file, PetscErrorCode n, PetscErrorType p,
                              const char *mess, void *ctx)
{
  if (p == PETSC_ERROR_INITIAL) snprintf(g_msg, sizeof g_msg, "%s", mess ? mess : "");
  return n;
}

/* value i of micro-batch q: sign and 12 decades of magnitude */
static double val(int q, size_t i, int seg)
{
  uint64_t h = prc_hash4(7, (uint64_t)q, (uint64_t)i, (uint64_t)seg);
  double   u = (double)(h >> 11) * 0x1p-53, v = (double)(prc_hash4(8, (uint64_t)q, (uint64_t)i, (uint64_t)seg) >> 11) * 0x1p-53;
  return (u < 0.5 ? -1 : 1) * pow(10.0, -9 + 12 * v);
}

static void test_mean_exact(void)
{
  enum { M = 7, NF = 301, ND = 3 };
  float   *f = malloc(sizeof(float) * M * NF), *mine_f = malloc(sizeof(float) * M * NF), out_p[NF], out_1[NF];
  double  *d = malloc(sizeof(double) * M * ND), *mine_d = malloc(sizeof(double) * M * ND), dout_p[ND], dout_1[ND];
  int      nloc = 0;
  int64_t  ex_p[2] = {0, 0}, ex_1[2] = {0, 0};
  for (int q = 0; q < M; q++) {
    for (size_t i = 0; i < NF; i++) f[(size_t)q * NF + i] = (float)val(q, i, 0);
    for (size_t i = 0; i < ND; i++) d[(size_t)q * ND + i] = val(q, i, 1);
    ex_1[0] += q + 1, ex_1[1] += 1000 * q;
  }
  for (int q = g_rank; q < M; q += g_size, nloc++) {
    memcpy(mine_f + (size_t)nloc * NF, f + (size_t)q * NF, sizeof(float) * NF);
    memcpy(mine_d + (size_t)nloc * ND, d + (size_t)q * ND, sizeof(double) * ND);
    ex_p[0] += q + 1, ex_p[1] += 1000 * q;
  }
  prc_dp_seg sp[2] = {{.n = NF, .f = mine_f, .out_f = out_p}, {.n = ND, .d = mine_d, .out_d = dout_p}};
  prc_dp_seg s1[2] = {{.n = NF, .f = f, .out_f = out_1}, {.n = ND, .d = d, .out_d = dout_1}};
  int64_t    want0 = ex_1[0], want1 = ex_1[1];
  PT_CHECK(prc_dp_mean_exact(PETSC_COMM_WORLD, "test", M, nloc, 2, sp, 2, ex_p) == 0, "parallel call failed");
  PT_CHECK(prc_dp_mean_exact(PETSC_COMM_SELF, "test", M, M, 2, s1, 2, ex_1) == 0, "serial call failed");
  PT_CHECK(!memcmp(out_p, out_1, sizeof out_p), "float means differ between %d ranks and 1", g_size);
  PT_CHECK(!memcmp(dout_p, dout_1, sizeof dout_p), "double means differ between %d ranks and 1", g_size);
  PT_CHECK(ex_p[0] == want0 && ex_p[1] == want1, "counts %lld %lld, expected %lld %lld", (long long)ex_p[0], (long long)ex_p[1],
           (long long)want0, (long long)want1);
  double amax = 0, worst = 0;
  for (size_t i = 0; i < NF; i++) {
    long double s = 0;
    for (int q = 0; q < M; q++) s += f[(size_t)q * NF + i], amax = fmax(amax, fabs(f[(size_t)q * NF + i]));
    worst = fmax(worst, fabs((double)(s / M) - out_p[i]));
  }
  PT_CHECK(worst <= 1e-7 * amax, "float mean off by %.3e of max |x| %.3e", worst / amax, amax);
  for (size_t i = 0; i < ND; i++) {
    long double s = 0, a = 0;
    for (int q = 0; q < M; q++) s += d[(size_t)q * ND + i], a = fmaxl(a, fabsl(d[(size_t)q * ND + i]));
    PT_CHECK(fabs((double)(s / M) - dout_p[i]) <= 1e-15 * (double)a, "double mean %d off", (int)i);
  }
  /* a rank with no micro-batches (M < P) takes part */
  float one[NF], o2[NF];
  int   nl = g_rank == 0 ? 1 : 0;
  for (size_t i = 0; i < NF; i++) one[i] = f[i];
  prc_dp_seg s3 = {.n = NF, .f = one, .out_f = o2};
  PT_CHECK(prc_dp_mean_exact(PETSC_COMM_WORLD, "test", 1, nl, 1, &s3, 0, NULL) == 0, "M=1 call failed");
  double a1 = prc_absmax_f(f, NF), w1 = 0; /* fixed point: |error| <= half the quantum <= max|x| 2^-62 */
  for (size_t i = 0; i < NF; i++) w1 = fmax(w1, fabs((double)o2[i] - f[i]));
  PT_CHECK(w1 <= ldexp(a1, -62), "the mean of one micro-batch is off itself by %.3e (max |x| %.3e)", w1, a1);
  free(f), free(mine_f), free(d), free(mine_d);
}

static void test_nonfinite(void)
{
  float x[4] = {1, 2, 3, 4}, out[4];
  if (g_rank == g_size - 1) x[2] = NAN;
  prc_dp_seg s = {.n = 4, .f = x, .out_f = out};
  g_msg[0] = 0;
  PetscPushErrorHandler(capture, NULL);
  PetscErrorCode e = prc_dp_mean_exact(PETSC_COMM_WORLD, "gradient of the test", g_size, 1, 1, &s, 0, NULL);
  PetscPopErrorHandler();
  int all = 0, v = e != 0;
  MPI_Allreduce(&v, &all, 1, MPI_INT, MPI_MIN, PETSC_COMM_WORLD);
  PT_CHECK(all, "a NaN on one rank did not fail every rank");
  PT_CHECK(strstr(g_msg, "gradient of the test"), "message '%s' does not name the segment", g_msg);
}

static const char *SPEC = "model t\ninput x 2 16\nc1 conv1d x out=4 k=3 pad=1\nn1 batchnorm c1\nr1 relu n1\n"
                          "gap global_avgpool r1\nfc fc gap out=${CLASSES}\nloss softmax_ce\noutput fc\n";

static PetscErrorCode write_model(const char *path, prc_model *m, const char *spec, const char *defs, const char *kind)
{
  prc_h5out f;
  PetscFunctionBeginUser;
  PetscCall(prc_h5_create(PETSC_COMM_WORLD, path, kind, &f));
  PetscCall(prc_model_h5_write_tensors(PETSC_COMM_WORLD, f.fid, m));
  PetscCall(prc_h5_attr_str(f.fid, "spec_text", spec));
  PetscCall(prc_h5_attr_str(f.fid, "spec_defines", defs));
  PetscCall(prc_h5_commit(&f, &g_ctx));
  PetscFunctionReturn(0);
}

static void test_model_roundtrip(void)
{
  const char *defs[] = {"CLASSES=3", NULL};
  prc_model  *m = NULL, *r = NULL;
  char        path[512];
  snprintf(path, sizeof path, "%s/model.h5", g_dir);
  PT_CHECK(prc_model_parse(SPEC, "test", defs, &m) == 0, "parse: %s", prc_lasterr());
  prc_model_init(m, 11);
  float *b = prc_model_buffers(m);
  for (size_t i = 0; i < prc_model_nbuffers(m); i++) b[i] = 0.25f + 0.5f * (float)i; /* not the defaults */
  PT_CHECK(write_model(path, m, SPEC, "CLASSES=3", "model") == 0, "write failed");
  PT_CHECK(prc_model_h5_load(PETSC_COMM_WORLD, path, &r) == 0, "load failed");
  if (!r) return;
  PT_CHECK(prc_model_nparams(r) == prc_model_nparams(m) && !memcmp(prc_model_params(r), prc_model_params(m), 4 * prc_model_nparams(m)),
           "parameters differ");
  PT_CHECK(!memcmp(prc_model_buffers(r), prc_model_buffers(m), 4 * prc_model_nbuffers(m)), "buffers differ");
  enum { N = 5 };
  float x[N * 32], prob[N * 3];
  for (int i = 0; i < N * 32; i++) x[i] = (float)sin(0.37 * i);
  PT_CHECK(prc_model_predict(r, x, N, 2, prob) == 0, "predict failed");
  prc_model_set_training(m, 0);
  prc_model_set_batch(m, N);
  prc_tensor t = {.ndim = 3, .shape = {N, 2, 16, 1}, .size = N * 32, .data = x};
  const prc_tensor *in[1] = {&t};
  prc_model_forward(m, in, NULL, NULL);
  const float *lg = prc_model_output(m)->data;
  double       worst = 0;
  for (int k = 0; k < N; k++) {
    double mx = fmax(lg[k * 3], fmax(lg[k * 3 + 1], lg[k * 3 + 2])), s = 0, ps = 0;
    for (int j = 0; j < 3; j++) s += exp(lg[k * 3 + j] - mx);
    for (int j = 0; j < 3; j++) worst = fmax(worst, fabs(prob[k * 3 + j] - exp(lg[k * 3 + j] - mx) / s)), ps += prob[k * 3 + j];
    PT_CHECK(fabs(ps - 1) < 1e-6, "probabilities of sample %d sum to %.8f", k, ps);
  }
  PT_CHECK(worst < 1e-6, "predict differs from softmax(forward) by %.3e", worst);
  prc_model_destroy(r), r = NULL;
  /* another kind, and a mismatching spec, are refused */
  char p2[512];
  snprintf(p2, sizeof p2, "%s/grid.h5", g_dir);
  PT_CHECK(write_model(p2, m, SPEC, "CLASSES=3", "grid") == 0, "write failed");
  g_msg[0] = 0;
  PetscPushErrorHandler(capture, NULL);
  PetscErrorCode e = prc_model_h5_load(PETSC_COMM_WORLD, p2, &r);
  PetscPopErrorHandler();
  PT_CHECK(e && strstr(g_msg, "grid.h5") && strstr(g_msg, "not a trained model"), "other kind: e=%d '%s'", (int)e, g_msg);
  snprintf(p2, sizeof p2, "%s/bad.h5", g_dir);
  PT_CHECK(write_model(p2, m, SPEC, "CLASSES=4", "model") == 0, "write failed");
  g_msg[0] = 0;
  PetscPushErrorHandler(capture, NULL);
  e = prc_model_h5_load(PETSC_COMM_WORLD, p2, &r);
  PetscPopErrorHandler();
  PT_CHECK(e && strstr(g_msg, "bad.h5") && strstr(g_msg, "fc.weight"), "wrong shape: e=%d '%s'", (int)e, g_msg);
  prc_model_destroy(m);
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  pt_set_prog(argv[0]);
  PetscCall(prc_h5_init());
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &g_rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &g_size));
  if (!g_rank) {
    snprintf(g_dir, sizeof g_dir, "/tmp/prc_test_dp_XXXXXX");
    if (!mkdtemp(g_dir)) g_dir[0] = '\0';
  }
  PetscCallMPI(MPI_Bcast(g_dir, sizeof g_dir, MPI_CHAR, 0, PETSC_COMM_WORLD));
  const prc_opt_spec *const tables[1] = {prc_common_opts};
  const int                 counts[1] = {prc_ncommon_opts};
  PetscCall(prc_opts_load(&g_opts, 1, tables, counts));
  g_ctx = (prc_ctx){.comm = PETSC_COMM_WORLD, .rank = g_rank, .size = g_size, .stage = "test", .opts = &g_opts, .start_time = prc_time_now()};
  PT_RUN(test_mean_exact);
  PT_RUN(test_nonfinite);
  PT_RUN(test_model_roundtrip);
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  if (!g_rank && !getenv("PRC_KEEP_TMP")) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd)) printf("# could not remove %s\n", g_dir);
  }
  prc_opts_free(&g_opts);
  int rc = pt_finish();
  PetscCall(PetscFinalize());
  return rc;
}

/* bench_nn.c — training-step throughput of the shipped models: forward + loss + backward +
 * a plain SGD update on the flat parameter buffer (p -= lr g, then zero the gradients), in
 * samples per second, for OpenBLAS thread counts given on the command line.
 *
 *   bench_nn [-t THREADS] [-T REPLICAS] [-s SECONDS] [-w TENSOR_DIR] [-p] MODEL:BATCH ...
 *
 * MODEL is inputs/models/MODEL.model (default defines). Prints one line per model:
 *   c_nn model=M batch=B threads=T steps=K seconds=S samples_per_s=X
 * -w DIR writes DIR/MODEL.tensors (name kind shape...) for tests/bench/nn_torch_peer.py;
 * -p prints the time per node (forward, backward) of the last run.
 *
 * Under mpirun -n R (R > 1) the step is `train`'s data-parallel step: the global batch B is cut
 * into R micro-batches of B/R (one per rank), each rank runs forward + backward on its own, the
 * gradients are averaged exactly with prc_dp_mean_exact (the fixed-point fused allreduce of
 * `train`), and every rank applies the same SGD update; samples/s counts the global batch and
 * the line says ranks=R (threads = OpenBLAS threads per rank).
 *
 * With -T T (T > 1) each rank runs its share on T model replicas in T threads, `train
 * -train_threads T`'s step (nn_threads.h): the global batch is cut into R·T micro-batches
 * of B/(R·T), job q (forward + backward of micro-batch q from the step's buffers) on replica
 * q mod T, the same exact mean, the update on the master, then the replicas synced; OpenBLAS
 * runs 1 thread per caller. The line says replicas=T. */
#include "precursor/dp.h"
#include "precursor/error.h"
#include "precursor/nn_model.h"
#include "precursor/nn_threads.h"
#include "precursor/rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void openblas_set_num_threads(int num_threads);

static double now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* -T: one job = forward + backward of micro-batch q on a replica, from the step's buffers */
typedef struct {
  int         T, N;
  prc_tensor *in[PRC_NNPOOL_MAX_THREADS][4], *tgt[PRC_NNPOOL_MAX_THREADS];
  size_t      np, nb;
  float      *g, *b0;
  double      loss0;
} bench_job;

static int bench_job_fn(prc_model *m, int q, void *arg)
{
  bench_job *J = arg;
  double     l;
  if (J->nb) memcpy(prc_model_buffers(m), J->b0, J->nb * sizeof(float));
  if (prc_model_batch(m) != J->N && prc_model_set_batch(m, J->N)) return 1;
  if (prc_model_forward(m, (const prc_tensor *const *)J->in[q], J->tgt[q], &l)) return 1;
  prc_model_zero_grad(m);
  if (prc_model_backward(m)) return 1;
  memcpy(J->g + (size_t)q * J->np, prc_model_grads(m), J->np * sizeof(float));
  if (!q) J->loss0 = l;
  return 0;
}

int main(int argc, char **argv)
{
  int         threads = 1, opt, prof = 0, T = 1;
  double      seconds = 3;
  const char *wdir    = NULL;
  while ((opt = getopt(argc, argv, "t:T:s:w:p")) != -1) {
    if (opt == 't') threads = atoi(optarg);
    else if (opt == 'T') T = atoi(optarg);
    else if (opt == 's') seconds = atof(optarg);
    else if (opt == 'w') wdir = optarg;
    else if (opt == 'p') prof = 1;
    else return 2;
  }
  if (T < 1 || T > PRC_NNPOOL_MAX_THREADS) return 2;
  openblas_set_num_threads(T > 1 ? 1 : threads);
  if (T > 1) threads = 1;
  PetscMPIInt R = 1, rank = 0;
  if (PetscInitializeNoArguments()) return 1;
  MPI_Comm_size(PETSC_COMM_WORLD, &R);
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  for (int a = optind; a < argc; a++) {
    char name[128], path[256];
    int  B = 64;
    snprintf(name, sizeof name, "%s", argv[a]);
    char *c = strchr(name, ':');
    if (c) *c = 0, B = atoi(c + 1);
    snprintf(path, sizeof path, "inputs/models/%s.model", name);
    if (B % (R * T)) {
      fprintf(stderr, "bench_nn: batch %d is not a multiple of the %d ranks x %d replicas\n", B, R, T);
      return 1;
    }
    const int  Bg = B;
    B /= R * T; /* the micro-batch (one per rank and replica) */
    prc_model *m;
    if (prc_model_load(path, NULL, &m) || prc_model_set_batch(m, B)) {
      fprintf(stderr, "bench_nn: %s\n", prc_lasterr());
      return 1;
    }
    prc_model_init(m, 1);
    if (wdir && !rank) {
      char tp[512];
      snprintf(tp, sizeof tp, "%s/%s.tensors", wdir, name);
      FILE *f = fopen(tp, "w");
      if (!f) return 1;
      for (int t = 0; t < prc_model_ntensors(m); t++) {
        int nd, sh[4];
        prc_model_tensor_shape(m, t, &nd, sh);
        fprintf(f, "%s %d", prc_model_tensor_name(m, t), prc_model_tensor_kind(m, t));
        for (int k = 0; k < nd; k++) fprintf(f, " %d", sh[k]);
        fputc('\n', f);
      }
      fclose(f);
    }
    /* inputs U(-1,1), labels / 0-1 targets */
    prc_rng r;
    prc_rng_seed(&r, 5, (uint64_t)rank);
    int          nin = prc_model_ninputs(m);
    bench_job    J   = {.T = T, .N = B};
    for (int q = 0; q < T; q++) { /* this rank's T micro-batches */
      for (int i = 0; i < nin; i++) {
        int nd, sh[4] = {B};
        prc_model_input_shape(m, i, &nd, sh + 1);
        J.in[q][i] = prc_tensor_new(nd + 1, sh, 0);
        for (size_t k = 0; k < J.in[q][i]->size; k++) J.in[q][i]->data[k] = (float)(2 * prc_rng_uniform(&r) - 1);
      }
      const prc_tensor *o = prc_model_output(m);
      if (o->ndim == 2 && o->shape[1] > 1) {
        J.tgt[q] = prc_tensor_new(1, &B, 0);
        for (int n = 0; n < B; n++) J.tgt[q]->data[n] = (float)prc_rng_below(&r, (uint64_t)o->shape[1]);
      } else {
        J.tgt[q] = prc_tensor_new(o->ndim, o->shape, 0);
        for (size_t k = 0; k < J.tgt[q]->size; k++) J.tgt[q]->data[k] = (float)prc_rng_below(&r, 2);
      }
    }
    prc_tensor **in = J.in[0], *tgt = J.tgt[0];
    prc_nnpool  *pool = NULL;
    if (T > 1 && prc_nnpool_create(m, T, &pool)) {
      fprintf(stderr, "bench_nn: %s\n", prc_lasterr());
      return 1;
    }
    size_t np = prc_model_nparams(m);
    float *p = prc_model_params(m), *g = prc_model_grads(m);
    double loss, t0 = 0, t1;
    long   steps = 0;
    float *gm = R > 1 || T > 1 ? malloc(np * sizeof *gm) : NULL;
    J.np = np, J.nb = prc_model_nbuffers(m);
    J.g = T > 1 ? malloc(np * (size_t)T * sizeof(float)) : NULL;
    J.b0 = malloc((J.nb + 1) * sizeof(float));
    for (int warm = 1; warm >= 0; warm--) {
      if (!warm && prof) prc_model_set_profiling(m, 1);
      if (!warm) t0 = now(), steps = 0;
      do {
        if (T > 1) { /* train -train_threads T: the rank's micro-batches on T replicas */
          if (J.nb) memcpy(J.b0, prc_model_buffers(m), J.nb * sizeof(float));
          if (prc_nnpool_sync(pool) || prc_nnpool_run(pool, T, bench_job_fn, &J)) {
            fprintf(stderr, "bench_nn: %s\n", prc_lasterr());
            return 1;
          }
          loss = J.loss0;
          prc_dp_seg seg = {.n = np, .f = J.g, .out_f = gm};
          if (prc_dp_mean_exact(PETSC_COMM_WORLD, "gradient", R * T, T, 1, &seg, 0, NULL)) return 1;
          for (size_t i = 0; i < np; i++) p[i] -= 1e-3f * gm[i];
        } else if (prc_model_forward(m, (const prc_tensor *const *)in, tgt, &loss) || prc_model_backward(m)) {
          fprintf(stderr, "bench_nn: %s\n", prc_lasterr());
          return 1;
        } else if (R > 1) { /* train's exact mean over the R micro-batches */
          prc_dp_seg seg = {.n = np, .f = g, .out_f = gm};
          if (prc_dp_mean_exact(PETSC_COMM_WORLD, "gradient", R, 1, 1, &seg, 0, NULL)) return 1;
          for (size_t i = 0; i < np; i++) p[i] -= 1e-3f * gm[i];
        } else if (T == 1)
          for (size_t i = 0; i < np; i++) p[i] -= 1e-3f * g[i];
        prc_model_zero_grad(m);
        steps++;
        t1 = now();
        int more = warm ? steps < 3 : t1 - t0 < seconds; /* rank 0 decides: every rank runs the same steps */
        if (R > 1 && MPI_Bcast(&more, 1, MPI_INT, 0, PETSC_COMM_WORLD)) return 1;
        if (!more) break;
      } while (1);
    }
    if (R > 1 && MPI_Allreduce(MPI_IN_PLACE, &t1, 1, MPI_DOUBLE, MPI_MAX, PETSC_COMM_WORLD)) return 1;
    if (!rank)
      printf("c_nn model=%s batch=%d threads=%d ranks=%d replicas=%d steps=%ld seconds=%.4f samples_per_s=%.1f loss=%.4f\n", name, Bg, threads, (int)R, T, steps,
             t1 - t0, steps * Bg / (t1 - t0), loss);
    free(gm), free(J.g), free(J.b0);
    prc_nnpool_destroy(pool);
    if (prof && !rank) {
      char buf[1 << 14];
      if (!prc_model_profile(m, buf, sizeof buf)) fputs(buf, stdout);
    }
    fflush(stdout);
    for (int q = 0; q < T; q++) {
      for (int i = 0; i < nin; i++) prc_tensor_free(J.in[q][i]);
      prc_tensor_free(J.tgt[q]);
    }
    prc_model_destroy(m);
  }
  return PetscFinalize() ? 1 : 0;
}

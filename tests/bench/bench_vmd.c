/* bench_vmd.c — times the serial VMD kernel (prc_vmd) for tests/bench.sh on the signal of
 * tests/bench/vmd_numpy_peer.py (same samples). Prints
 *   vmd_iter n=<N> np=1 seconds=<median s per ADMM iteration over REPS runs of ITERS iterations>
 *   vmd_conv n=<N> iterations=<it> converged=<0|1> seconds=<one run to tol>   (if TOL > 0)
 *   vmd_mem n=<N> vmhwm_mb=<peak RSS of the process, MB>
 *   vmd_omega n=<N> <w_0> ... (fixed-iteration run, cycles/sample: cross-check with the peer)
 * Usage: bench_vmd N K ALPHA TOL ITERS REPS   (ALPHA in our convention = vmdpy's / 2; TOL 0:
 * skip the convergence run). tau = 0, uniform initialisation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "precursor/error.h"
#include "precursor/vmd.h"

static double now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Peak resident set size (VmHWM) in MB, or -1. */
static double vmhwm_mb(void)
{
  FILE *fp = fopen("/proc/self/status", "r");
  char  line[256];
  double kb = -1;
  if (!fp) return -1;
  while (fgets(line, sizeof line, fp))
    if (!strncmp(line, "VmHWM:", 6)) kb = atof(line + 6);
  fclose(fp);
  return kb / 1024;
}

/* The benchmark record: four tones + deterministic hash noise (vmd_numpy_peer.py). */
static void signal_make(double *f, int64_t n)
{
  const double tp = 2 * M_PI;
  for (int64_t i = 0; i < n; i++) {
    uint64_t h = ((uint64_t)i * 2654435761u) & 0xffffffffu;
    f[i] = cos(tp * 0.005 * (double)i) + 0.6 * cos(tp * 0.04 * (double)i + 1) + 0.4 * cos(tp * 0.13 * (double)i) +
           0.2 * sin(tp * 0.31 * (double)i) + 0.2 * ((double)h / 4294967296.0 - 0.5);
  }
}

int main(int argc, char **argv)
{
  if (argc < 7) {
    fprintf(stderr, "usage: bench_vmd N K ALPHA TOL ITERS REPS\n");
    return 2;
  }
  int64_t n = atoll(argv[1]);
  int     K = atoi(argv[2]), iters = atoi(argv[5]), reps = atoi(argv[6]);
  double  alpha = atof(argv[3]), tol = atof(argv[4]), t[64];
  if (reps > 64) reps = 64;
  double *f = malloc((size_t)n * sizeof *f), *u = malloc((size_t)(K * n) * sizeof *u);
  prc_vmd_ctx *c = prc_vmd_ctx_create();
  if (!f || !u || !c) return fprintf(stderr, "bench_vmd: out of memory\n"), 1;
  signal_make(f, n);
  prc_vmd_params p = {.K = K, .alpha = alpha, .tau = 0, .tol = 1e-300, .max_iter = iters, .init = PRC_VMD_INIT_UNIFORM};
  prc_vmd_info   info;
  prc_vmd_params w = p;
  w.max_iter = 1; /* warm-up: FFTW planning and first touch outside the timings */
  if (prc_vmd(c, f, n, &w, u, &info)) return fprintf(stderr, "bench_vmd: %s\n", prc_lasterr()), 1;
  for (int r = 0; r < reps; r++) {
    double t0 = now();
    if (prc_vmd(c, f, n, &p, u, &info)) return fprintf(stderr, "bench_vmd: %s\n", prc_lasterr()), 1;
    t[r] = (now() - t0) / info.iterations;
  }
  qsort(t, (size_t)reps, sizeof *t, cmp);
  printf("vmd_iter n=%lld np=1 seconds=%.6e\n", (long long)n, reps % 2 ? t[reps / 2] : 0.5 * (t[reps / 2 - 1] + t[reps / 2]));
  printf("vmd_omega n=%lld", (long long)n);
  for (int k = 0; k < K; k++) printf(" %.10f", info.omega[k]);
  printf("\n");
  if (tol > 0) {
    p.tol = tol, p.max_iter = 5000;
    double t0 = now();
    if (prc_vmd(c, f, n, &p, u, &info)) return fprintf(stderr, "bench_vmd: %s\n", prc_lasterr()), 1;
    printf("vmd_conv n=%lld iterations=%d converged=%d seconds=%.6e\n", (long long)n, info.iterations, info.converged, now() - t0);
  }
  printf("vmd_mem n=%lld vmhwm_mb=%.1f\n", (long long)n, vmhwm_mb());
  prc_vmd_ctx_destroy(c);
  free(f), free(u);
  return 0;
}

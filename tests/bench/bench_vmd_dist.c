/* bench_vmd_dist.c — times prc_vmd_dist (one long record over ranks) for tests/bench.sh on
 * the signal of bench_vmd.c. Prints
 *   vmd_dist n=<N> np=<P> iterations=<it> seconds=<total> ms_per_iter=<total/it>
 *            alloc_mb_per_rank=<max over ranks> vmhwm_mb_max=<peak RSS, max over ranks>
 * Usage: bench_vmd_dist N K ALPHA ITERS   (fixed iteration count: tol 1e-300, tau 0, uniform init;
 * the record, 8N bytes, is on every rank and counted in the peak RSS). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/vmd_dist.h"

static double vmhwm_mb(void)
{
  FILE  *fp = fopen("/proc/self/status", "r");
  char   line[256];
  double kb = -1;
  if (!fp) return -1;
  while (fgets(line, sizeof line, fp))
    if (!strncmp(line, "VmHWM:", 6)) kb = atof(line + 6);
  fclose(fp);
  return kb / 1024;
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  int64_t     n = argc > 1 ? atoll(argv[1]) : 1000000;
  int         K = argc > 2 ? atoi(argv[2]) : 5, iters = argc > 4 ? atoi(argv[4]) : 10;
  double      alpha = argc > 3 ? atof(argv[3]) : 1000;
  PetscMPIInt size;
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  double *f = malloc((size_t)n * sizeof *f), *u = NULL, mem = 0;
  if (!f) SETERRQ(PETSC_COMM_SELF, PETSC_ERR_MEM, "out of memory");
  const double tp = 2 * M_PI;
  for (int64_t i = 0; i < n; i++) {
    uint64_t h = ((uint64_t)i * 2654435761u) & 0xffffffffu;
    f[i] = cos(tp * 0.005 * (double)i) + 0.6 * cos(tp * 0.04 * (double)i + 1) + 0.4 * cos(tp * 0.13 * (double)i) +
           0.2 * sin(tp * 0.31 * (double)i) + 0.2 * ((double)h / 4294967296.0 - 0.5);
  }
  prc_vmd_params p = {.K = K, .alpha = alpha, .tau = 0, .tol = 1e-300, .max_iter = iters, .init = PRC_VMD_INIT_UNIFORM};
  prc_vmd_info   info;
  int64_t        i0, ni;
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  double t0 = MPI_Wtime();
  PetscCall(prc_vmd_dist(PETSC_COMM_WORLD, f, n, &p, &i0, &ni, &u, &info, &mem));
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  double t = MPI_Wtime() - t0, rss = vmhwm_mb(), rssmax;
  PetscCallMPI(MPI_Allreduce(&rss, &rssmax, 1, MPI_DOUBLE, MPI_MAX, PETSC_COMM_WORLD));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "vmd_dist n=%lld np=%d iterations=%d seconds=%.6e ms_per_iter=%.3f alloc_mb_per_rank=%.1f vmhwm_mb_max=%.1f\n",
                        (long long)n, size, info.iterations, t, 1e3 * t / info.iterations, mem / 1048576, rssmax));
  PetscCall(PetscFree(u));
  free(f);
  PetscCall(PetscFinalize());
  return 0;
}

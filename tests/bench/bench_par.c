/* bench_par.c — times the parallel wrappers (FFTW-MPI 1-D forward, ScaLAPACK SVD values,
 * ScaLAPACK solve) for tests/bench.sh. Prints one line per kernel:
 *   <kernel> n=<size> np=<ranks> seconds=<median of reps>
 * Usage: bench_par FFT_N SVD_N REPS */
#include <math.h>
#include <stdlib.h>

#include "precursor/fft_dist.h"
#include "precursor/scalapack.h"

static int cmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *t, int n)
{
  qsort(t, (size_t)n, sizeof(double), cmp);
  return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

static double elem(int i, int j, void *ctx)
{
  unsigned long h = (unsigned long)(i * 2654435761u) ^ (unsigned long)(j * 40503u + 7u);
  return (double)(h % 1000) / 1000.0 + (i == j ? 10.0 : 0.0);
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  int         nfft = argc > 1 ? atoi(argv[1]) : 1 << 20, nsvd = argc > 2 ? atoi(argv[2]) : 800, reps = argc > 3 ? atoi(argv[3]) : 5;
  PetscMPIInt size;
  double      t[64];
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  if (reps > 64) reps = 64;
  /* FFT: plan once (FFTW_MEASURE), time executes */
  prc_fftd *f;
  PetscCall(prc_fftd_init());
  PetscCall(prc_fftd_create(PETSC_COMM_WORLD, nfft, FFTW_MEASURE, &f));
  for (int r = 0; r < reps; r++) {
    double *in = (double *)f->in;
    for (ptrdiff_t j = 0; j < 2 * f->local_ni; j++) in[j] = sin(0.001 * (double)(j + 2 * f->local_i_start));
    PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
    double t0 = MPI_Wtime();
    PetscCall(prc_fftd_forward(f));
    PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
    t[r] = MPI_Wtime() - t0;
  }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "fft1d_forward n=%d np=%d seconds=%.6e\n", nfft, size, median(t, reps)));
  PetscCall(prc_fftd_destroy(&f));
  /* ScaLAPACK: singular values, and LU solve with one right-hand side */
  prc_sl_grid *g;
  prc_sl_mat  *A, *B;
  double      *s;
  PetscCall(PetscMalloc1(nsvd, &s));
  PetscCall(prc_sl_grid_create(PETSC_COMM_WORLD, &g));
  PetscCall(prc_sl_mat_create(g, nsvd, nsvd, 64, 64, &A));
  PetscCall(prc_sl_mat_create(g, nsvd, 1, 64, 64, &B));
  for (int r = 0; r < reps; r++) {
    PetscCall(prc_sl_mat_fill(A, elem, NULL));
    PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
    double t0 = MPI_Wtime();
    PetscCall(prc_sl_svd(A, s, NULL, NULL));
    t[r] = MPI_Wtime() - t0;
  }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "svd_values n=%d np=%d seconds=%.6e\n", nsvd, size, median(t, reps)));
  for (int r = 0; r < reps; r++) {
    PetscCall(prc_sl_mat_fill(A, elem, NULL));
    PetscCall(prc_sl_mat_fill(B, elem, NULL));
    PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
    double t0 = MPI_Wtime();
    PetscCall(prc_sl_solve(A, B));
    t[r] = MPI_Wtime() - t0;
  }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "lu_solve n=%d np=%d seconds=%.6e\n", nsvd, size, median(t, reps)));
  PetscCall(prc_sl_mat_destroy(&A));
  PetscCall(prc_sl_mat_destroy(&B));
  PetscCall(prc_sl_grid_destroy(&g));
  PetscCall(PetscFree(s));
  PetscCall(PetscFinalize());
  return 0;
}

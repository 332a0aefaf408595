/* bench_membw.c — the memory bandwidth of this machine, for the bound of the RST kernels
 * (docs/PERFORMANCE.md "RST engine", "What bounds it"). Each MPI rank streams its own
 * array of MB megabytes (default 1024), all ranks at once (barrier to barrier, MPI_Wtime),
 * median of REPS:
 *   read   s += a[i]            (the kernels' reads of the stack)
 *   write  a[i] = c             (a product written: the cache line is read, then written)
 *   copy   b[i] = a[i] + c      (read one stream, write another: RETIRA's shape)
 * Prints on rank 0:  membw op=<op> np=<ranks> bytes=<per rank> seconds=<s> gbps=<all ranks>
 * where gbps counts the bytes the loop names (read: n, write: n, copy: 2 n), not the
 * hardware's write-allocate reads.  Usage: bench_membw [MB] [REPS] */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const size_t mb = argc > 1 ? (size_t)atol(argv[1]) : 1024;
  const int    reps = argc > 2 && atoi(argv[2]) > 0 && atoi(argv[2]) <= 64 ? atoi(argv[2]) : 5;
  const size_t n = mb * 1048576 / sizeof(float);
  float       *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
  if (!a || !b) {
    fprintf(stderr, "bench_membw: out of memory for 2 x %zu MB\n", mb);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  for (size_t i = 0; i < n; i++) a[i] = (float)(i & 1023), b[i] = 1.0f; /* touched: no page faults timed */
  const char *ops[3] = {"read", "write", "copy"};
  double      t[3][64], sink = 0;
  for (int r = 0; r < reps; r++)
    for (int op = 0; op < 3; op++) {
      MPI_Barrier(MPI_COMM_WORLD);
      double w = MPI_Wtime();
      if (op == 0) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        for (size_t i = 0; i + 8 <= n; i += 8)
          s0 += a[i], s1 += a[i + 1], s2 += a[i + 2], s3 += a[i + 3], s4 += a[i + 4], s5 += a[i + 5], s6 += a[i + 6], s7 += a[i + 7];
        sink += s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
      } else if (op == 1) {
        const float c = (float)r;
        for (size_t i = 0; i < n; i++) b[i] = c;
      } else {
        const float c = (float)r;
        for (size_t i = 0; i < n; i++) b[i] = a[i] + c;
      }
      MPI_Barrier(MPI_COMM_WORLD);
      t[op][r] = MPI_Wtime() - w;
      sink += b[(size_t)r * 977 % n];
    }
  for (int op = 0; op < 3; op++) {
    qsort(t[op], (size_t)reps, sizeof(double), cmp);
    double s = reps % 2 ? t[op][reps / 2] : 0.5 * (t[op][reps / 2 - 1] + t[op][reps / 2]);
    double bytes = (double)n * sizeof(float) * (op == 2 ? 2 : 1) * size;
    if (!rank) printf("membw op=%s np=%d bytes=%zu seconds=%.6e gbps=%.2f\n", ops[op], size, n * sizeof(float), s, bytes / s / 1e9);
  }
  if (sink == 12345.678) printf("#\n"); /* keeps the loops */
  free(a), free(b);
  MPI_Finalize();
  return 0;
}

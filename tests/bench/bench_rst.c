/* bench_rst.c — in-memory throughput of the RST kernels for tests/bench.sh (docs/PERFORMANCE.md).
 *
 * Each rank holds a contiguous range of the NX*NY pixels (the kernels are pixel-parallel)
 * of a synthetic LST stack of YEARS x 365 days from 2010-01-01, float32, ~40 % NaN,
 * generated in memory by a hash of (day, global pixel) — the same numbers as
 * tests/bench/rst_numpy_peer.py. Then, like stage_rst.c, in blocks of BLOCK days:
 *   reference pass:  mean   prc_rst_mean_local + MPI_Allreduce of the integer sums -> Tbar
 *                    acc    prc_rst_acc_add (shifted sums S0, S1, S2 per doy bin and pixel)
 *                    bg     prc_rst_background (plain sums of the +-7-day window, 366 slots)
 *   analysis pass:   retira prc_rst_retira over the whole stack (slot = doy bin)
 * Prints, on rank 0, the median over REPS of each phase (barrier to barrier, MPI_Wtime):
 *   rst_<phase> variant=<fast|ref> block=<B> np=<ranks> npix=<N> nt=<days> seconds=<s>
 * and a checksum (sum of finite R, count) to compare with the numpy peer, then each rank's
 * peak RSS (VmHWM of /proc/self/status):  rst_vmhwm ... rank=<r> kb=<kB>
 * variant ref runs the scalar _ref twins of the fast kernels (same bits, straightforward loops).
 * Usage: bench_rst NX NY YEARS BLOCK REPS [fast|ref]   (BLOCK 0 = the whole stack) */
#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/rst.h"
#include "precursor/timeutil.h"

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

static uint32_t mix(uint32_t t, uint32_t p)
{
  uint32_t x = t * 0x9E3779B1u ^ p * 0x85EBCA77u;
  x ^= x >> 15, x *= 0x2C1B3C6Du, x ^= x >> 12, x *= 0x297A2D39u, x ^= x >> 15;
  return x;
}

static long vmhwm_kb(void)
{
  FILE *f = fopen("/proc/self/status", "r");
  char  line[256];
  long  kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "VmHWM:", 6)) kb = atol(line + 6);
  if (f) fclose(f);
  return kb;
}

int main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc < 6) {
    if (!rank) fprintf(stderr, "usage: bench_rst NX NY YEARS BLOCK REPS [fast|ref]\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  const int64_t N = (int64_t)atol(argv[1]) * atol(argv[2]);
  const int     nt = atoi(argv[3]) * 365, reps = atoi(argv[5]) > 0 ? (atoi(argv[5]) < 64 ? atoi(argv[5]) : 64) : 1;
  const int     B = atoi(argv[4]) > 0 && atoi(argv[4]) < nt ? atoi(argv[4]) : nt;
  const int     ref = argc > 6 && !strcmp(argv[6], "ref");
  const int64_t p0 = N * rank / size, np = N * (rank + 1) / size - p0;

  /* the stack of this rank's pixels, (nt, np) */
  float  *s = malloc(sizeof(float) * (size_t)nt * (size_t)(np ? np : 1));
  float  *r = malloc(sizeof(float) * (size_t)B * (size_t)(np ? np : 1));
  double *tbar = malloc(sizeof(double) * (size_t)nt), off[97];
  int    *bin = malloc(sizeof(int) * (size_t)nt);
  int64_t *qs = malloc(sizeof(int64_t) * 2 * (size_t)B);
  if (!s || !r || !tbar || !bin || !qs) {
    fprintf(stderr, "bench_rst: out of memory for %d x %lld pixels\n", nt, (long long)np);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  for (int k = 0; k < 97; k++) off[k] = 0.05 * k;
  for (int t = 0; t < nt; t++) {
    double seas = 290 + 10 * sin(2 * M_PI * t / 365.25);
    bin[t] = prc_rst_bin(14610.0 * PRC_DAY + t * PRC_DAY, 0); /* 2010-01-01 + t days */
    for (int64_t p = 0; p < np; p++) {
      uint32_t h = mix((uint32_t)t, (uint32_t)(p0 + p));
      s[(size_t)t * (size_t)np + (size_t)p] =
          (h & 1023u) < 410u ? NAN : (float)(seas + off[(p0 + p) % 97] + ((double)(h >> 10) * (1.0 / 4194304.0) - 0.5) * 4.0);
    }
  }

  prc_rst_acc acc;
  const int   nb = 366, window = 7, nmin = 5;
  float      *mu = prc_rst_alloc(sizeof(float) * nb * (size_t)(np ? np : 1)), *sd = prc_rst_alloc(sizeof(float) * nb * (size_t)(np ? np : 1));
  int32_t    *cnt = prc_rst_alloc(sizeof(int32_t) * nb * (size_t)(np ? np : 1));
  if (!mu || !sd || !cnt || prc_rst_acc_init(&acc, nb, np)) {
    fprintf(stderr, "bench_rst: out of memory for the background\n");
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  /* touch every output page once, so page faults (expensive in VMs) are not timed */
  /* (not with 0: gcc may turn malloc + memset 0 into calloc, which touches nothing) */
  memset(mu, 0xff, sizeof(float) * nb * (size_t)np), memset(sd, 0xff, sizeof(float) * nb * (size_t)np);
  memset(cnt, 0xff, sizeof(int32_t) * nb * (size_t)np), memset(r, 0xff, sizeof(float) * (size_t)B * (size_t)np);
  double tm[64], ta[64], tg[64], tr[64], rsum = 0, rcnt = 0;
  for (int rep = 0; rep < reps; rep++) {
    size_t na = (size_t)nb * (size_t)np;
    memset(acc.n, 0, na * sizeof *acc.n), memset(acc.s1, 0, na * sizeof *acc.s1), memset(acc.s2, 0, na * sizeof *acc.s2);
    for (int64_t p = 0; p < np; p++) acc.shift[p] = NAN;
    tm[rep] = ta[rep] = tr[rep] = 0;
    MPI_Barrier(MPI_COMM_WORLD);
    for (int t0 = 0; t0 < nt; t0 += B) {
      int          n = t0 + B > nt ? nt - t0 : B;
      const float *blk = s + (size_t)t0 * (size_t)np;
      double       w0 = MPI_Wtime();
      int          e = ref ? prc_rst_mean_local_ref(blk, n, np, qs, qs + B) : prc_rst_mean_local(blk, n, np, qs, qs + B);
      if (e) MPI_Abort(MPI_COMM_WORLD, 1);
      MPI_Allreduce(MPI_IN_PLACE, qs, n, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
      MPI_Allreduce(MPI_IN_PLACE, qs + B, n, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
      for (int i = 0; i < n; i++) tbar[t0 + i] = qs[B + i] ? (double)qs[i] / PRC_RST_FIXED_SCALE / (double)qs[B + i] : NAN;
      double w1 = MPI_Wtime();
      (ref ? prc_rst_acc_add_ref : prc_rst_acc_add)(&acc, blk, n, tbar + t0, bin + t0);
      double w2 = MPI_Wtime();
      tm[rep] += w1 - w0, ta[rep] += w2 - w1;
    }
    MPI_Barrier(MPI_COMM_WORLD);
    double w0 = MPI_Wtime();
    if (ref) prc_rst_background_sums_ref(&acc, window, 1, nmin, mu, sd, cnt);
    else if (prc_rst_background(&acc, window, 1, nmin, mu, sd, cnt)) MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Barrier(MPI_COMM_WORLD);
    tg[rep] = MPI_Wtime() - w0;
    rsum = rcnt = 0;
    for (int t0 = 0; t0 < nt; t0 += B) {
      int    n = t0 + B > nt ? nt - t0 : B;
      double w = MPI_Wtime();
      (ref ? prc_rst_retira_ref : prc_rst_retira)(s + (size_t)t0 * (size_t)np, n, np, tbar + t0, bin + t0, mu, sd, r);
      tr[rep] += MPI_Wtime() - w;
      for (size_t i = 0; i < (size_t)n * (size_t)np; i++)
        if (isfinite(r[i])) rsum += r[i], rcnt++;
    }
    /* a phase's time is the slowest rank's */
    double loc[3] = {tm[rep], ta[rep], tr[rep]}, mx[3];
    MPI_Allreduce(loc, mx, 3, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    tm[rep] = mx[0], ta[rep] = mx[1], tr[rep] = mx[2];
  }
  double chk[2] = {rsum, rcnt};
  MPI_Allreduce(MPI_IN_PLACE, chk, 2, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  const char *v = ref ? "ref" : "fast";
  if (!rank) {
    printf("rst_mean variant=%s block=%d np=%d npix=%lld nt=%d seconds=%.6e\n", v, B, size, (long long)N, nt, median(tm, reps));
    printf("rst_acc variant=%s block=%d np=%d npix=%lld nt=%d seconds=%.6e\n", v, B, size, (long long)N, nt, median(ta, reps));
    printf("rst_bg variant=%s block=%d np=%d npix=%lld nt=%d seconds=%.6e\n", v, B, size, (long long)N, nt, median(tg, reps));
    printf("rst_retira variant=%s block=%d np=%d npix=%lld nt=%d seconds=%.6e\n", v, B, size, (long long)N, nt, median(tr, reps));
    printf("rst_check variant=%s block=%d np=%d sum_r=%.10e n_r=%.0f\n", v, B, size, chk[0], chk[1]);
  }
  prc_rst_acc_free(&acc);
  free(s), free(r), free(tbar), free(bin), free(qs), prc_rst_free(mu, sizeof(float) * nb * (size_t)(np ? np : 1)), prc_rst_free(sd, sizeof(float) * nb * (size_t)(np ? np : 1));
  prc_rst_free(cnt, sizeof(int32_t) * nb * (size_t)(np ? np : 1));
  long kb = vmhwm_kb(), *all = malloc(sizeof(long) * (size_t)size);
  MPI_Gather(&kb, 1, MPI_LONG, all, 1, MPI_LONG, 0, MPI_COMM_WORLD);
  for (int i = 0; !rank && i < size; i++)
    printf("rst_vmhwm variant=%s block=%d np=%d npix=%lld nt=%d rank=%d kb=%ld\n", v, B, size, (long long)N, nt, i, all[i]);
  free(all);
  MPI_Finalize();
  return 0;
}

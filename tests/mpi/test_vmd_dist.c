/* test_vmd_dist.c — prc_vmd_dist (FFTW-MPI, modes on slabs, global reductions) against the
 * serial kernel prc_vmd on the same record, on 1, 2 and 4 ranks; even and odd lengths,
 * tau = 0 / uniform init and tau > 0 / DC mode / random init.
 * Tolerances: modes max |u_dist - u_serial| / max |f| <= 1e-9, centre frequencies within
 * 1e-11 cycles/sample, same iteration count and converged flag. The two differ only by the
 * order of floating-point sums (FFT algorithm, per-rank partial sums): ~1e-13 measured. */
#define PT_MPI
#include "ptest.h"

#include <stdint.h>

#include "precursor/rng.h"
#include "precursor/vmd.h"
#include "precursor/vmd_dist.h"

static double worst_du, worst_do;

static void record(double *f, int64_t n, uint64_t seed)
{
  prc_rng r;
  prc_rng_seed(&r, seed, 1);
  for (int64_t i = 0; i < n; i++)
    f[i] = 1.5 + cos(2 * M_PI * 0.004 * (double)i) + 0.6 * cos(2 * M_PI * 0.05 * (double)i + 1) + 0.3 * sin(2 * M_PI * 0.21 * (double)i) +
           0.3 * (2 * prc_rng_uniform(&r) - 1);
}

static void compare(int64_t n, const prc_vmd_params *p)
{
  int          rank, size;
  double      *f = malloc((size_t)n * sizeof *f), *ud = NULL;
  int64_t      i0, ni;
  prc_vmd_info id, is;
  (void)MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  (void)MPI_Comm_size(MPI_COMM_WORLD, &size);
  record(f, n, (uint64_t)n);
  PT_CHECK(prc_vmd_dist(MPI_COMM_WORLD, f, n, p, &i0, &ni, &ud, &id, NULL) == 0, "prc_vmd_dist failed");
  /* gather the slabs on rank 0, mode by mode */
  int     K = p->K, cnt = (int)ni, *cnts = malloc((size_t)size * sizeof *cnts), *dsp = malloc((size_t)size * sizeof *dsp);
  double *all = rank == 0 ? malloc((size_t)(K * n) * sizeof *all) : NULL;
  (void)MPI_Gather(&cnt, 1, MPI_INT, cnts, 1, MPI_INT, 0, MPI_COMM_WORLD);
  int i0i = (int)i0;
  (void)MPI_Gather(&i0i, 1, MPI_INT, dsp, 1, MPI_INT, 0, MPI_COMM_WORLD);
  for (int k = 0; k < K; k++) (void)MPI_Gatherv(ud + k * ni, cnt, MPI_DOUBLE, all ? all + k * n : NULL, cnts, dsp, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    int64_t tot = 0;
    for (int r = 0; r < size; r++) tot += cnts[r];
    PT_CHECK(tot == n, "slabs hold %lld samples, expected %lld", (long long)tot, (long long)n);
    double      *us = malloc((size_t)(K * n) * sizeof *us), fm = 0, du = 0, dom = 0;
    prc_vmd_ctx *c = prc_vmd_ctx_create();
    PT_CHECK(prc_vmd(c, f, n, p, us, &is) == 0, "prc_vmd failed");
    for (int64_t i = 0; i < n; i++) fm = fmax(fm, fabs(f[i]));
    for (int64_t i = 0; i < K * n; i++) du = fmax(du, fabs(us[i] - all[i]));
    for (int k = 0; k < K; k++) dom = fmax(dom, fabs(is.omega[k] - id.omega[k]));
    du /= fm;
    worst_du = fmax(worst_du, du), worst_do = fmax(worst_do, dom);
    PT_CHECK(du <= 1e-9, "n %lld K %d: max |du|/max|f| = %.3e", (long long)n, K, du);
    PT_CHECK(dom <= 1e-11, "n %lld K %d: max |domega| = %.3e", (long long)n, K, dom);
    PT_CHECK(is.iterations == id.iterations && is.converged == id.converged, "iterations serial %d (conv %d) dist %d (conv %d)",
             is.iterations, is.converged, id.iterations, id.converged);
    prc_vmd_ctx_destroy(c);
    free(us);
  }
  free(all), free(cnts), free(dsp), free(f);
  PetscFree(ud);
}

static void test_even_tau0(void)
{
  prc_vmd_params p = {.K = 4, .alpha = 1000, .tau = 0, .tol = 1e-7, .max_iter = 300, .init = PRC_VMD_INIT_UNIFORM};
  compare(20000, &p);
}

static void test_odd_tau0(void)
{
  prc_vmd_params p = {.K = 3, .alpha = 1000, .tau = 0, .tol = 1e-7, .max_iter = 300, .init = PRC_VMD_INIT_UNIFORM};
  compare(30001, &p);
}

static void test_odd_tau_dc_random(void)
{
  prc_vmd_params p = {.K = 5, .alpha = 500, .tau = 0.1, .tol = 1e-7, .max_iter = 60, .init = PRC_VMD_INIT_RANDOM, .dc = 1, .seed = 7};
  compare(65537, &p);
}

static void test_small(void)
{
  prc_vmd_params p = {.K = 2, .alpha = 200, .tau = 0.5, .tol = 1e-9, .max_iter = 200, .init = PRC_VMD_INIT_UNIFORM};
  for (int64_t n = 2; n <= 9; n++) compare(n, &p);
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  pt_set_prog(argv[0]);
  PT_RUN(test_even_tau0);
  PT_RUN(test_odd_tau0);
  PT_RUN(test_odd_tau_dc_random);
  PT_RUN(test_small);
  if (pt_rank() == 0) printf("# worst max|du|/max|f| %.3e, worst |domega| %.3e\n", worst_du, worst_do);
  int rc = pt_finish();
  PetscCall(PetscFinalize());
  return rc;
}

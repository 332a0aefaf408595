/* stage_selftest.c — `precursor selftest`: known-answer validation of the parallel
 * building blocks on the ranks of this run (CloverLeaf/HPCG style). Each check prints
 * PASSED or FAILED with the error it measured and its tolerance; any FAILED makes the
 * run exit non-zero. Results go to -out_dir/selftest.h5 (written through the same
 * parallel-HDF5 layer as every stage, then read back and compared).
 *
 * Checks (closed forms, no stored reference values):
 *  fft_forward   distributed 1-D FFT (FFTW-MPI) of a sum of cosines: X[k_m] = a_m N/2 e^{i phi_m}
 *  fft_roundtrip backward(forward(x)) = N x
 *  sl_solve      ScaLAPACK pdgesv on A_ij = min(i,j) (1-based) with b = A 1: x = 1
 *  sl_svd        singular values of that A: 1 / (4 sin^2((2k-1) pi / (2(2n+1))))  (Gregory & Karney)
 *  sl_syevd      its eigenvalues (the same closed form, ascending)
 *  h5_roundtrip  a DMDA-tiled grid written collectively and read back by every rank */
#include <math.h>
#include <string.h>

#include "precursor/decomp.h"
#include "precursor/fft_dist.h"
#include "precursor/h5io.h"
#include "precursor/scalapack.h"
#include "precursor/progress.h"
#include "precursor/stage.h"

static const prc_opt_spec selftest_opts[] = {
  {"selftest_fft_n", PRC_OPT_INT, "6000", 8, 1e8, "length of the distributed FFT check"},
  {"selftest_n", PRC_OPT_INT, "120", 2, 20000, "order of the ScaLAPACK checks"},
  {"selftest_nb", PRC_OPT_INT, "16", 1, 4096, "ScaLAPACK block size"},
};

typedef struct {
  int    npass, nfail;
  double err[8];
  char   names[8][24];
  int    n;
} verdicts;

static PetscErrorCode verdict(MPI_Comm comm, verdicts *v, const char *name, const char *what, double err, double tol)
{
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &err, 1, MPI_DOUBLE, MPI_MAX, comm));
  int ok = err <= tol; /* NaN fails */
  ok ? v->npass++ : v->nfail++;
  snprintf(v->names[v->n], sizeof v->names[0], "%s", name);
  v->err[v->n++] = err;
  prc_say(comm, "selftest %-14s %-46s max error %.3e (tolerance %.1e)  %s\n", name, what, err, tol,
                        ok ? "PASSED" : "FAILED");
  PetscFunctionReturn(0);
}

/* sum_m a_m cos(2 pi k_m j / N + phi_m), with k_m j reduced mod N so that the phase is exact */
static double cosines(PetscInt N, ptrdiff_t j, const int *km, const double *am, const double *ph)
{
  double x = 0;
  for (int m = 0; m < 3; m++) x += am[m] * cos(2 * M_PI * (double)(((ptrdiff_t)km[m] * j) % N) / (double)N + ph[m]);
  return x;
}

static PetscErrorCode check_fft(MPI_Comm comm, PetscInt N, verdicts *v)
{
  prc_fftd    *f;
  const int    km[3] = {1, 17, (int)(N / 3)};
  const double am[3] = {1.0, 0.5, 0.25}, ph[3] = {0.3, -1.1, 2.0};
  char         what[64];
  PetscFunctionBeginUser;
  PetscCall(prc_fftd_init());
  PetscCall(prc_fftd_create(comm, N, FFTW_ESTIMATE, &f));
  double *in = (double *)f->in, *out = (double *)f->out;
  for (ptrdiff_t j = 0; j < f->local_ni; j++) in[2 * j] = cosines(N, f->local_i_start + j, km, am, ph), in[2 * j + 1] = 0;
  PetscCall(prc_fftd_forward(f));
  double err = 0;
  for (ptrdiff_t j = 0; j < f->local_no; j++) {
    ptrdiff_t k = f->local_o_start + j;
    double    re = 0, im = 0;
    for (int m = 0; m < 3; m++) {
      if (k == km[m]) re += am[m] * N / 2 * cos(ph[m]), im += am[m] * N / 2 * sin(ph[m]);
      if (k == N - km[m]) re += am[m] * N / 2 * cos(ph[m]), im -= am[m] * N / 2 * sin(ph[m]);
    }
    err = fmax(err, hypot(out[2 * j] - re, out[2 * j + 1] - im) / (double)N);
  }
  snprintf(what, sizeof what, "FFTW-MPI N=%d, 3 cosines vs closed form", (int)N);
  PetscCall(verdict(comm, v, "fft_forward", what, err, 1e-12));
  PetscCall(prc_fftd_backward(f));
  err = 0;
  for (ptrdiff_t j = 0; j < f->local_ni; j++) {
    double x = cosines(N, f->local_i_start + j, km, am, ph);
    err = fmax(err, fmax(fabs(in[2 * j] / (double)N - x), fabs(in[2 * j + 1] / (double)N)));
  }
  PetscCall(verdict(comm, v, "fft_roundtrip", "backward(forward(x)) / N - x", err, 1e-12));
  PetscCall(prc_fftd_destroy(&f));
  PetscFunctionReturn(0);
}

static double min_ij(int i, int j, void *ctx) { return (double)((i < j ? i : j) + 1); }
static double b_of_min(int i, int j, void *ctx)
{
  double n = *(const int *)ctx, r = i + 1; /* (A 1)_r = r(r+1)/2 + r(n-r) */
  return r * (r + 1) / 2 + r * (n - r);
}

static PetscErrorCode check_scalapack(MPI_Comm comm, int n, int nb, verdicts *v)
{
  prc_sl_grid *g;
  prc_sl_mat  *A, *B;
  double      *s, *lam, err = 0;
  char         what[64];
  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(n, &s, n, &lam));
  for (int k = 1; k <= n; k++) {
    double x = sin((2.0 * k - 1) * M_PI / (2.0 * (2 * n + 1)));
    lam[k - 1] = 1 / (4 * x * x); /* descending in k */
  }
  PetscCall(prc_sl_grid_create(comm, &g));
  PetscCall(prc_sl_mat_create(g, n, n, nb, nb, &A));
  PetscCall(prc_sl_mat_create(g, n, 1, nb, nb, &B));
  PetscCall(prc_sl_mat_fill(A, min_ij, NULL));
  PetscCall(prc_sl_mat_fill(B, b_of_min, &n));
  PetscCall(prc_sl_solve(A, B));
  for (int j = 0; j < B->mloc * B->nloc; j++) err = fmax(err, fabs(B->a[j] - 1));
  snprintf(what, sizeof what, "pdgesv n=%d on a %dx%d grid: x = 1", n, g->nprow, g->npcol);
  PetscCall(verdict(comm, v, "sl_solve", what, err, 1e-8));
  PetscCall(prc_sl_mat_fill(A, min_ij, NULL));
  PetscCall(prc_sl_svd(A, s, NULL, NULL));
  err = 0;
  for (int k = 0; k < n; k++) err = fmax(err, fabs(s[k] - lam[k]) / lam[0]);
  PetscCall(verdict(comm, v, "sl_svd", "pdgesvd singular values vs closed form", err, 1e-12));
  PetscCall(prc_sl_mat_fill(A, min_ij, NULL));
  PetscCall(prc_sl_syevd(A, s, NULL));
  err = 0;
  for (int k = 0; k < n; k++) err = fmax(err, fabs(s[k] - lam[n - 1 - k]) / lam[0]);
  PetscCall(verdict(comm, v, "sl_syevd", "pdsyev eigenvalues vs closed form", err, 1e-12));
  PetscCall(prc_sl_mat_destroy(&A));
  PetscCall(prc_sl_mat_destroy(&B));
  PetscCall(prc_sl_grid_destroy(&g));
  PetscCall(PetscFree2(s, lam));
  PetscFunctionReturn(0);
}

static PetscErrorCode check_h5(prc_ctx *ctx, verdicts *v)
{
  const PetscInt  nx = 53, ny = 41;
  prc_grid_decomp gd;
  prc_h5out       f;
  hid_t           d, fid;
  float          *tile, *all;
  char            path[4096];
  PetscFunctionBeginUser;
  snprintf(path, sizeof path, "%s/selftest.h5", prc_opts_string(ctx->opts, "out_dir"));
  PetscCall(prc_grid_decomp_create(ctx->comm, nx, ny, &gd));
  const prc_tile *T = &gd.tile;
  PetscCall(PetscMalloc2((size_t)T->xm * T->ym + 1, &tile, (size_t)nx * ny, &all));
  for (PetscInt j = 0; j < T->ym; j++)
    for (PetscInt i = 0; i < T->xm; i++) tile[j * T->xm + i] = (float)(1000 * (T->ys + j) + (T->xs + i));
  PetscCall(prc_h5_create(ctx->comm, path, "selftest", &f));
  PetscCall(prc_h5_grid_create(f.fid, "grid", 0, ny, nx, 1, "1", &d));
  PetscCall(prc_h5_tile_write(d, T, 0, 0, tile));
  H5Dclose(d);
  /* the verdicts so far, so the file is a record of this run */
  hsize_t n = (hsize_t)v->n, zero = 0, cnt = ctx->rank ? 0 : n;
  PetscCall(prc_h5_write_nd(f.fid, "max_error", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n, &zero, &cnt, v->err));
  hid_t st = prc_h5_strtype(24);
  PetscCall(prc_h5_write_nd(f.fid, "check", st, st, 1, &n, &zero, &cnt, v->names));
  H5Tclose(st);
  PetscCall(prc_h5_commit(&f, ctx));
  PetscCall(prc_h5_open(ctx->comm, path, &fid));
  prc_tile whole = {0, 0, nx, ny, nx, ny};
  d = H5Dopen2(fid, "grid", H5P_DEFAULT);
  PetscCall(prc_h5_tile_read(d, &whole, 0, 0, all));
  H5Dclose(d);
  PetscCall(prc_h5_close(fid));
  double err = 0;
  for (PetscInt j = 0; j < ny; j++)
    for (PetscInt i = 0; i < nx; i++) err = fmax(err, fabs(all[j * nx + i] - (1000.0 * j + i)));
  char what[64];
  snprintf(what, sizeof what, "%dx%d grid, %dx%d DMDA tiles, write + read", (int)nx, (int)ny, (int)gd.px, (int)gd.py);
  PetscCall(verdict(ctx->comm, v, "h5_roundtrip", what, err, 0));
  PetscCall(PetscFree2(tile, all));
  PetscCall(prc_grid_decomp_destroy(&gd));
  PetscFunctionReturn(0);
}

static PetscErrorCode selftest_run(prc_ctx *ctx)
{
  verdicts v;
  PetscFunctionBeginUser;
  memset(&v, 0, sizeof v);
  prc_say(ctx->comm, "selftest on %d rank%s\n", ctx->size, ctx->size > 1 ? "s" : "");
  PetscCall(check_fft(ctx->comm, prc_opts_int(ctx->opts, "selftest_fft_n"), &v));
  PetscCall(check_scalapack(ctx->comm, (int)prc_opts_int(ctx->opts, "selftest_n"), (int)prc_opts_int(ctx->opts, "selftest_nb"), &v));
  PetscCall(check_h5(ctx, &v));
  prc_say(ctx->comm, "selftest: %d PASSED, %d FAILED\n", v.npass, v.nfail);
  PetscCheck(!v.nfail, ctx->comm, PETSC_ERR_NOT_CONVERGED, "%d known-answer check%s FAILED", v.nfail, v.nfail > 1 ? "s" : "");
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_selftest = {"selftest", "known-answer checks of FFTW-MPI, ScaLAPACK and parallel HDF5 on this run's ranks",
                                      selftest_opts, (int)(sizeof selftest_opts / sizeof selftest_opts[0]), NULL,
                                      selftest_run};

/* test_scalapack.c — known-answer tests of the ScaLAPACK wrapper (src/par/scalapack.c).
 * Run on 1, 2, 3 and 4 ranks (grids 1x1, 1x2, 1x3, 2x2). Every matrix is built in the test
 * from a known answer (orthogonal factors from Householder reflections, chosen solutions,
 * chosen spectra), identically on every rank, with ragged block sizes so that the last
 * block row/column is partial.
 *
 * Tolerance: TOL = 1e-10, relative to the norm of the known answer (largest singular value
 * or eigenvalue, max |X|, max |C|). All matrices are well conditioned (cond <= ~100) and
 * tiny (n <= 50), so backward-stable ScaLAPACK results are ~1e-14; 1e-10 leaves room for
 * any BLAS/grid while a wrong distribution or index is an O(1) error. */
#define PT_MPI
#include "ptest.h"

#include <stdint.h>

#include "precursor/rng.h"
#include "precursor/scalapack.h"

#define TOL 1e-10

static prc_sl_grid *grid; /* one grid over PETSC_COMM_WORLD, shared by the tests */

/* ---- helpers on global column-major arrays (identical on every rank) ---------------- */

typedef struct {
  const double *a;
  int           ld;
} garr;

static double elem_from(int i, int j, void *ctx)
{
  const garr *g = ctx;
  return g->a[i + (size_t)j * g->ld];
}

static void rand_fill(double *a, size_t n, uint64_t seed)
{
  prc_rng r;
  prc_rng_seed(&r, seed, 0);
  for (size_t i = 0; i < n; i++) a[i] = 2 * prc_rng_uniform(&r) - 1;
}

/* Q (n x n) = H_1 ... H_n with H = I - 2 v v^T / (v^T v), v random: orthogonal. */
static void orthogonal(int n, uint64_t seed, double *Q)
{
  double v[64], qv[64];
  for (int i = 0; i < n * n; i++) Q[i] = 0;
  for (int i = 0; i < n; i++) Q[i + i * n] = 1;
  for (int h = 0; h < n; h++) {
    double vv = 0;
    rand_fill(v, (size_t)n, seed * 1000 + (uint64_t)h);
    for (int i = 0; i < n; i++) vv += v[i] * v[i];
    for (int i = 0; i < n; i++) { /* Q <- Q - (2/vv) (Q v) v^T */
      qv[i] = 0;
      for (int l = 0; l < n; l++) qv[i] += Q[i + l * n] * v[l];
    }
    for (int j = 0; j < n; j++)
      for (int i = 0; i < n; i++) Q[i + j * n] -= 2 / vv * qv[i] * v[j];
  }
}

/* C = op(A) op(B), column-major, op(A) m x k, op(B) k x n; lda/ldb of the stored arrays. */
static void matmul_ref(int ta, int tb, int m, int n, int k, const double *A, int lda,
                       const double *B, int ldb, double *C)
{
  for (int j = 0; j < n; j++)
    for (int i = 0; i < m; i++) {
      double s = 0;
      for (int l = 0; l < k; l++)
        s += (ta ? A[l + i * lda] : A[i + l * lda]) * (tb ? B[j + l * ldb] : B[l + j * ldb]);
      C[i + j * m] = s;
    }
}

/* max |Q^T Q - I| for Q m x n (trans = 0) or max |Q Q^T - I| (trans = 1). */
static double orth_err(int trans, int m, int n, const double *Q)
{
  int    k = trans ? m : n;
  double e = 0;
  for (int a = 0; a < k; a++)
    for (int b = 0; b < k; b++) {
      double s = 0;
      for (int l = 0; l < (trans ? n : m); l++)
        s += trans ? Q[a + l * m] * Q[b + l * m] : Q[l + a * m] * Q[l + b * m];
      e = fmax(e, fabs(s - (a == b)));
    }
  return e;
}

static int cmp_desc(const void *x, const void *y)
{
  double a = *(const double *)x, b = *(const double *)y;
  return (a < b) - (a > b);
}

static int is_root(void) { return pt_rank() == 0; }

/* Share rank 0's measured errors so every rank checks (and fails) the same way. */
static PetscErrorCode bcast_errs(double *e, int n)
{
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Bcast(e, n, MPI_DOUBLE, 0, PETSC_COMM_WORLD));
  PetscFunctionReturn(0);
}

#define CHECK_CALL(ierr) PT_CHECK((ierr) == 0, "PETSc error %d (see trace above)", (int)(ierr))
#define CHECK_ERR(name, e)                                                                  \
  do {                                                                                      \
    PT_CHECK((e) <= TOL, "%s = %.3g > %g", name, (e), TOL);                                 \
    if (is_root()) printf("#   %-28s %.2e\n", name, (e));                                   \
  } while (0)

/* ---- solve ---------------------------------------------------------------------------- */

/* A: 50x50 random in [-1,1] plus 50 on the diagonal (diagonally dominant, cond ~ 1.3);
 * X: 50x3 random; B = A X by a triple loop. A filled by element function, B scattered. */
static PetscErrorCode run_solve(double err[1])
{
  const int   n = 50, nrhs = 3, nb = 4;
  double     *A, *X, *B, *Xh;
  prc_sl_mat *dA, *dB;
  garr        ga;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc4(n * n, &A, n * nrhs, &X, n * nrhs, &B, n * nrhs, &Xh));
  rand_fill(A, (size_t)n * n, 11);
  for (int i = 0; i < n; i++) A[i + i * n] += n;
  rand_fill(X, (size_t)n * nrhs, 12);
  matmul_ref(0, 0, n, nrhs, n, A, n, X, n, B);

  ga = (garr){A, n};
  PetscCall(prc_sl_mat_create(grid, n, n, nb, nb, &dA));
  PetscCall(prc_sl_mat_create(grid, n, nrhs, nb, nb, &dB));
  PetscCall(prc_sl_mat_fill(dA, elem_from, &ga));
  PetscCall(prc_sl_mat_scatter(dB, is_root() ? B : NULL));
  PetscCall(prc_sl_solve(dA, dB));
  PetscCall(prc_sl_mat_gather(dB, is_root() ? Xh : NULL));
  err[0] = 0;
  if (is_root()) {
    double xmax = 0;
    for (int i = 0; i < n * nrhs; i++) {
      err[0] = fmax(err[0], fabs(Xh[i] - X[i]));
      xmax   = fmax(xmax, fabs(X[i]));
    }
    err[0] /= xmax;
  }
  PetscCall(bcast_errs(err, 1));
  PetscCall(prc_sl_mat_destroy(&dA));
  PetscCall(prc_sl_mat_destroy(&dB));
  PetscCall(PetscFree4(A, X, B, Xh));
  PetscFunctionReturn(0);
}

static void test_solve(void)
{
  double err[1] = {1};
  CHECK_CALL(run_solve(err));
  CHECK_ERR("solve max|dX|/max|X|", err[0]);
}

/* ---- SVD ------------------------------------------------------------------------------ */

/* A = U0[:, :k] diag(s) V0[:, :k]^T with U0, V0 orthogonal and s = 0.5 + (7 i mod k)
 * (distinct, unsorted, cond <= 2k), m x n with 4x4 blocks (ragged for 37 and 23).
 * err: [0] singular values, [1] reconstruction A - U S VT, [2] U^T U - I, [3] VT VT^T - I,
 * [4] singular values without vectors; all relative to max s. */
static PetscErrorCode run_svd(int m, int n, double err[5])
{
  const int   nb = 4, k = m < n ? m : n;
  double     *A, *U0, *V0, *s, *sv, *sv2, *U, *VT, smax;
  prc_sl_mat *dA, *dU, *dVT;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc5(m * n, &A, m * m, &U0, n * n, &V0, m * k, &U, k * n, &VT));
  PetscCall(PetscMalloc3(k, &s, k, &sv, k, &sv2));
  orthogonal(m, 21, U0);
  orthogonal(n, 22, V0);
  for (int l = 0; l < k; l++) s[l] = 0.5 + (7 * l) % k;
  for (int j = 0; j < n; j++)
    for (int i = 0; i < m; i++) {
      double a = 0;
      for (int l = 0; l < k; l++) a += U0[i + l * m] * s[l] * V0[j + l * n];
      A[i + j * m] = a;
    }
  qsort(s, (size_t)k, sizeof *s, cmp_desc);
  smax = s[0];

  PetscCall(prc_sl_mat_create(grid, m, n, nb, nb, &dA));
  PetscCall(prc_sl_mat_create(grid, m, k, nb, nb, &dU));
  PetscCall(prc_sl_mat_create(grid, k, n, nb, nb, &dVT));
  PetscCall(prc_sl_mat_scatter(dA, is_root() ? A : NULL));
  PetscCall(prc_sl_svd(dA, sv, dU, dVT));
  PetscCall(prc_sl_mat_gather(dU, U));
  PetscCall(prc_sl_mat_gather(dVT, VT));
  PetscCall(prc_sl_mat_scatter(dA, is_root() ? A : NULL)); /* A was destroyed: again */
  PetscCall(prc_sl_svd(dA, sv2, NULL, NULL));

  for (int e = 0; e < 5; e++) err[e] = 0;
  for (int l = 0; l < k; l++) { /* s on every rank: check everywhere */
    err[0] = fmax(err[0], fabs(sv[l] - s[l]) / smax);
    err[4] = fmax(err[4], fabs(sv2[l] - s[l]) / smax);
  }
  if (is_root()) {
    for (int j = 0; j < n; j++)
      for (int i = 0; i < m; i++) {
        double a = 0;
        for (int l = 0; l < k; l++) a += U[i + l * m] * sv[l] * VT[l + j * k];
        err[1] = fmax(err[1], fabs(a - A[i + j * m]) / smax);
      }
    err[2] = orth_err(0, m, k, U);
    err[3] = orth_err(1, k, n, VT);
  }
  PetscCall(bcast_errs(err + 1, 3));
  PetscCall(prc_sl_mat_destroy(&dA));
  PetscCall(prc_sl_mat_destroy(&dU));
  PetscCall(prc_sl_mat_destroy(&dVT));
  PetscCall(PetscFree5(A, U0, V0, U, VT));
  PetscCall(PetscFree3(s, sv, sv2));
  PetscFunctionReturn(0);
}

static void svd_case(int m, int n)
{
  double err[5] = {1, 1, 1, 1, 1};
  char   name[64];
  CHECK_CALL(run_svd(m, n, err));
  const char *what[5] = {"sigma", "A - U S VT", "U^T U - I", "VT VT^T - I", "sigma (no vectors)"};
  for (int e = 0; e < 5; e++) {
    snprintf(name, sizeof name, "svd %dx%d %s", m, n, what[e]);
    CHECK_ERR(name, err[e]);
  }
}

static void test_svd_tall(void) { svd_case(37, 23); }
static void test_svd_wide(void) { svd_case(23, 37); }

/* ---- symmetric eigen-decomposition ------------------------------------------------------ */

/* A = Q diag(lam) Q^T, n = 29, lam = -7 + 0.5 (11 i mod 29) (distinct, unsorted, in
 * [-7, 7]), 4x4 blocks. err: [0] eigenvalues, [1] A Z - Z diag(w), [2] Z^T Z - I,
 * [3] eigenvalues without vectors (pdsyev); relative to max |lam| = 7. */
static PetscErrorCode run_syevd(double err[4])
{
  const int   n = 29, nb = 4;
  double     *A, *Q, *lam, *w, *w2, *Z, lmax = 7;
  prc_sl_mat *dA, *dZ;
  garr        ga;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(n * n, &A, n * n, &Q, n * n, &Z));
  PetscCall(PetscMalloc3(n, &lam, n, &w, n, &w2));
  orthogonal(n, 31, Q);
  for (int l = 0; l < n; l++) lam[l] = -7 + 0.5 * ((11 * l) % n);
  for (int j = 0; j < n; j++)
    for (int i = j; i < n; i++) { /* lower triangle, mirrored: exactly symmetric */
      double a = 0;
      for (int l = 0; l < n; l++) a += Q[i + l * n] * lam[l] * Q[j + l * n];
      A[i + j * n] = A[j + i * n] = a;
    }
  ga = (garr){A, n};
  PetscCall(prc_sl_mat_create(grid, n, n, nb, nb, &dA));
  PetscCall(prc_sl_mat_create(grid, n, n, nb, nb, &dZ));
  PetscCall(prc_sl_mat_fill(dA, elem_from, &ga));
  PetscCall(prc_sl_syevd(dA, w, dZ));
  PetscCall(prc_sl_mat_gather(dZ, Z));
  PetscCall(prc_sl_mat_fill(dA, elem_from, &ga));
  PetscCall(prc_sl_syevd(dA, w2, NULL));

  qsort(lam, (size_t)n, sizeof *lam, cmp_desc); /* descending; w is ascending */
  for (int e = 0; e < 4; e++) err[e] = 0;
  for (int l = 0; l < n; l++) {
    err[0] = fmax(err[0], fabs(w[l] - lam[n - 1 - l]) / lmax);
    err[3] = fmax(err[3], fabs(w2[l] - lam[n - 1 - l]) / lmax);
  }
  if (is_root()) {
    for (int j = 0; j < n; j++)
      for (int i = 0; i < n; i++) {
        double az = 0;
        for (int l = 0; l < n; l++) az += A[i + l * n] * Z[l + j * n];
        err[1] = fmax(err[1], fabs(az - Z[i + j * n] * w[j]) / lmax);
      }
    err[2] = orth_err(0, n, n, Z);
  }
  PetscCall(bcast_errs(err + 1, 2));
  PetscCall(prc_sl_mat_destroy(&dA));
  PetscCall(prc_sl_mat_destroy(&dZ));
  PetscCall(PetscFree3(A, Q, Z));
  PetscCall(PetscFree3(lam, w, w2));
  PetscFunctionReturn(0);
}

static void test_syevd(void)
{
  double      err[4] = {1, 1, 1, 1};
  const char *what[4] = {"syevd lambda", "syevd A Z - Z W", "syevd Z^T Z - I",
                         "syev lambda (no vectors)"};
  CHECK_CALL(run_syevd(err));
  for (int e = 0; e < 4; e++) CHECK_ERR(what[e], err[e]);
}

/* ---- gemm ------------------------------------------------------------------------------- */

/* C = 1.5 op(A) op(B) - 0.5 C0 with m=13, n=11, k=17 and a different (rectangular) block
 * shape for each operand; against the triple loop. err relative to max |C|. */
static PetscErrorCode run_gemm(int ta, int tb, double err[1])
{
  const int   m = 13, n = 11, k = 17;
  const int   am = ta ? k : m, an = ta ? m : k, bm = tb ? n : k, bn = tb ? k : n;
  double     *A, *B, *C, *Ch, cmax = 0;
  prc_sl_mat *dA, *dB, *dC;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc4(am * an, &A, bm * bn, &B, m * n, &C, m * n, &Ch));
  rand_fill(A, (size_t)am * an, 41);
  rand_fill(B, (size_t)bm * bn, 42);
  rand_fill(Ch, (size_t)m * n, 43); /* C0 */
  PetscCall(prc_sl_mat_create(grid, am, an, 3, 5, &dA));
  PetscCall(prc_sl_mat_create(grid, bm, bn, 5, 2, &dB));
  PetscCall(prc_sl_mat_create(grid, m, n, 4, 3, &dC));
  PetscCall(prc_sl_mat_scatter(dA, A));
  PetscCall(prc_sl_mat_scatter(dB, B));
  PetscCall(prc_sl_mat_scatter(dC, Ch));
  PetscCall(prc_sl_gemm(ta ? 'T' : 'N', tb ? 'T' : 'N', 1.5, dA, dB, -0.5, dC));
  matmul_ref(ta, tb, m, n, k, A, am, B, bm, C);
  for (int i = 0; i < m * n; i++) C[i] = 1.5 * C[i] - 0.5 * Ch[i];
  PetscCall(prc_sl_mat_gather(dC, Ch));
  err[0] = 0;
  if (is_root()) {
    for (int i = 0; i < m * n; i++) {
      err[0] = fmax(err[0], fabs(Ch[i] - C[i]));
      cmax   = fmax(cmax, fabs(C[i]));
    }
    err[0] /= cmax;
  }
  PetscCall(bcast_errs(err, 1));
  PetscCall(prc_sl_mat_destroy(&dA));
  PetscCall(prc_sl_mat_destroy(&dB));
  PetscCall(prc_sl_mat_destroy(&dC));
  PetscCall(PetscFree4(A, B, C, Ch));
  PetscFunctionReturn(0);
}

static void test_gemm(void)
{
  double err[1] = {1};
  char   name[64];
  for (int t = 0; t < 4; t++) {
    snprintf(name, sizeof name, "gemm %c%c", t & 1 ? 'T' : 'N', t & 2 ? 'T' : 'N');
    CHECK_CALL(run_gemm(t & 1, t & 2, err));
    CHECK_ERR(name, err[0]);
  }
}

/* ---- errors are errors, not crashes ------------------------------------------------------ */

/* The solve matrix with row 7 zeroed is exactly singular: pdgesv reports INFO > 0, the
 * wrapper must return PETSC_ERR_MAT_LU_ZRPVT on every rank. A gemm with mismatched sizes
 * must return PETSC_ERR_ARG_SIZ before reaching PBLAS. */
static double singular_elem(int i, int j, void *ctx)
{
  double v = 0;
  if (i == 7) return 0;
  rand_fill(&v, 1, 1000 + (uint64_t)(i * 50 + j));
  return v + (i == j ? 50 : 0);
}

static void test_errors(void)
{
  prc_sl_mat    *dA = NULL, *dB = NULL, *dC = NULL;
  PetscErrorCode ierr, ierr2;

  CHECK_CALL(prc_sl_mat_create(grid, 50, 50, 4, 4, &dA));
  CHECK_CALL(prc_sl_mat_create(grid, 50, 2, 4, 4, &dB));
  CHECK_CALL(prc_sl_mat_create(grid, 49, 2, 4, 4, &dC));
  if (!dA || !dB || !dC) return;
  CHECK_CALL(prc_sl_mat_fill(dA, singular_elem, NULL));
  PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
  ierr  = prc_sl_solve(dA, dB);
  ierr2 = prc_sl_gemm('N', 'N', 1.0, dA, dB, 0.0, dC); /* (50x50)(50x2) into 49x2 */
  PetscPopErrorHandler();
  PT_CHECK(ierr == PETSC_ERR_MAT_LU_ZRPVT, "singular solve returned %d, expected %d", (int)ierr,
           PETSC_ERR_MAT_LU_ZRPVT);
  PT_CHECK(ierr2 == PETSC_ERR_ARG_SIZ, "bad gemm returned %d, expected %d", (int)ierr2,
           PETSC_ERR_ARG_SIZ);
  CHECK_CALL(prc_sl_mat_destroy(&dA));
  CHECK_CALL(prc_sl_mat_destroy(&dB));
  CHECK_CALL(prc_sl_mat_destroy(&dC));
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  pt_set_prog(argv[0]);
  PetscCall(prc_sl_grid_create(PETSC_COMM_WORLD, &grid));
  if (is_root()) printf("# grid %dx%d\n", grid->nprow, grid->npcol);
  PT_RUN(test_solve);
  PT_RUN(test_svd_tall);
  PT_RUN(test_svd_wide);
  PT_RUN(test_syevd);
  PT_RUN(test_gemm);
  PT_RUN(test_errors);
  PetscCall(prc_sl_grid_destroy(&grid));
  int rc = pt_finish();
  PetscCall(PetscFinalize());
  return rc;
}

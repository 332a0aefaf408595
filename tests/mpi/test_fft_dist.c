/* test_fft_dist.c — known-answer tests of the FFTW-MPI wrapper (src/par/fft_dist.c).
 * Run on 1, 2 and 4 ranks. Inputs are seeded random data, identical on every rank; the
 * oracle is a direct O(N^2) DFT summed in long double with twiddles exp(-+2 pi i m / N)
 * indexed by (j k mod N), so the reference itself is accurate to ~1e-18.
 *
 * Tolerance: TOL = 1e-10, as max |X_fft - X_ref| / ||x||_2 (forward) or relative to
 * max |x| (round trips). FFTW's error is ~eps * log2(N) * ||x||_2 ~ 1e-15 per component;
 * a wrong layout, sign or normalisation is an O(1) error, so 1e-10 separates them with
 * five orders of margin either way. */
#define PT_MPI
#include "ptest.h"

#include <stdint.h>

#include "precursor/fft_dist.h"
#include "precursor/rng.h"

#define TOL 1e-10

typedef long double _Complex cld;
static const long double PI_L = 3.141592653589793238462643383279502884L;

static int is_root(void) { return pt_rank() == 0; }

static void rand_cvec(fftw_complex *x, ptrdiff_t n, uint64_t seed)
{
  prc_rng r;
  prc_rng_seed(&r, seed, 0);
  for (ptrdiff_t i = 0; i < n; i++) {
    double re = 2 * prc_rng_uniform(&r) - 1, im = 2 * prc_rng_uniform(&r) - 1;
    x[i] = re + im * I;
  }
}

/* tw[m] = exp(sign 2 pi i m / n), m = 0..n-1, in long double. */
static void twiddles(ptrdiff_t n, int sign, cld *tw)
{
  for (ptrdiff_t m = 0; m < n; m++) {
    long double a = sign * 2 * PI_L * (long double)m / (long double)n;
    tw[m] = cosl(a) + sinl(a) * I;
  }
}

/* Direct DFT X[k] = sum_j x[j] exp(sign 2 pi i j k / N), all k. */
static void dft_ref(ptrdiff_t N, int sign, const fftw_complex *x, cld *tw, fftw_complex *X)
{
  twiddles(N, sign, tw);
  for (ptrdiff_t k = 0; k < N; k++) {
    cld s = 0;
    for (ptrdiff_t j = 0; j < N; j++) s += x[j] * tw[(j * k) % N];
    X[k] = (double _Complex)s;
  }
}

static double norm2(const fftw_complex *x, ptrdiff_t n)
{
  double s = 0;
  for (ptrdiff_t i = 0; i < n; i++) s += creal(x[i]) * creal(x[i]) + cimag(x[i]) * cimag(x[i]);
  return sqrt(s);
}

/* max |a[i] - scale*b[i]| over i < n */
static double maxdiff(const fftw_complex *a, const fftw_complex *b, double scale, ptrdiff_t n)
{
  double e = 0;
  for (ptrdiff_t i = 0; i < n; i++) e = fmax(e, cabs(a[i] - scale * b[i]));
  return e;
}

static PetscErrorCode allmax(double *e, int n)
{
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, e, n, MPI_DOUBLE, MPI_MAX, PETSC_COMM_WORLD));
  PetscFunctionReturn(0);
}

#define CHECK_CALL(ierr) PT_CHECK((ierr) == 0, "PETSc error %d (see trace above)", (int)(ierr))
#define CHECK_ERR(name, e)                                                                  \
  do {                                                                                      \
    PT_CHECK((e) <= TOL, "%s = %.3g > %g", name, (e), TOL);                                 \
    if (is_root()) printf("#   %-34s %.2e\n", name, (e));                                   \
  } while (0)

/* ---- 1-D --------------------------------------------------------------------------------- */

/* One context per N, reused for NREP different inputs. err (max over repetitions):
 * [0] forward local part vs direct DFT, / ||x||; [1] forward gathered on rank 0 vs direct;
 * [2] backward of the exact spectrum vs direct inverse DFT (unnormalised), / ||X||;
 * [3] backward(forward(x)) / N vs x, / max|x|. */
#define NREP 3
static PetscErrorCode run_fft1d(ptrdiff_t N, double err[4])
{
  prc_fftd     *f;
  fftw_complex *x, *X, *y, *g;
  cld          *tw;
  void         *fwd0, *bwd0;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc5(N, &x, N, &X, N, &y, N, &g, N, &tw));
  PetscCall(prc_fftd_create(PETSC_COMM_WORLD, N, FFTW_ESTIMATE, &f));
  fwd0 = (void *)f->fwd, bwd0 = (void *)f->bwd;
  for (int e = 0; e < 4; e++) err[e] = 0;
  for (int rep = 0; rep < NREP; rep++) {
    double nx, nX, xmax = 0;
    rand_cvec(x, N, 1000 * (uint64_t)N + (uint64_t)rep);
    dft_ref(N, FFTW_FORWARD, x, tw, X);
    nx = norm2(x, N), nX = norm2(X, N);
    for (ptrdiff_t i = 0; i < N; i++) xmax = fmax(xmax, cabs(x[i]));

    /* forward: input by scatter on the first repetition, by direct local copy after */
    if (rep == 0) PetscCall(prc_fftd_scatter(f, PRC_FFTD_IN, is_root() ? x : NULL));
    else
      for (ptrdiff_t i = 0; i < f->local_ni; i++) f->in[i] = x[f->local_i_start + i];
    PetscCall(prc_fftd_forward(f));
    err[0] = fmax(err[0], maxdiff(f->out, X + f->local_o_start, 1, f->local_no) / nx);
    PetscCall(prc_fftd_gather(f, PRC_FFTD_OUT, is_root() ? g : NULL));
    if (is_root()) err[1] = fmax(err[1], maxdiff(g, X, 1, N) / nx);

    /* backward(forward(x)) = N x, on the layout of in */
    PetscCall(prc_fftd_backward(f));
    err[3] = fmax(err[3], maxdiff(f->in, x + f->local_i_start, (double)N, f->local_ni) / N / xmax);

    /* backward alone: exact spectrum X -> unnormalised direct inverse of X (= N x) */
    dft_ref(N, FFTW_BACKWARD, X, tw, y);
    PetscCall(prc_fftd_scatter(f, PRC_FFTD_OUT, X));
    PetscCall(prc_fftd_backward(f));
    PetscCall(prc_fftd_gather(f, PRC_FFTD_IN, g));
    if (is_root()) err[2] = fmax(err[2], maxdiff(g, y, 1, N) / nX);
  }
  PetscCall(allmax(err, 4));
  PetscCheck(fwd0 == (void *)f->fwd && bwd0 == (void *)f->bwd, PETSC_COMM_SELF, PETSC_ERR_PLIB,
             "plans were replaced between executes");
  PetscCall(prc_fftd_destroy(&f));
  PetscCall(PetscFree5(x, X, y, g, tw));
  PetscFunctionReturn(0);
}

static void fft1d_case(ptrdiff_t N)
{
  double      err[4] = {1, 1, 1, 1};
  const char *what[4] = {"fwd local vs direct", "fwd gathered vs direct", "bwd vs direct inverse",
                         "bwd(fwd(x))/N - x"};
  char        name[64];
  CHECK_CALL(run_fft1d(N, err));
  for (int e = 0; e < 4; e++) {
    snprintf(name, sizeof name, "N=%td %s", N, what[e]);
    CHECK_ERR(name, err[e]);
  }
}

static void test_fft1d_1000(void) { fft1d_case(1000); }
static void test_fft1d_1024(void) { fft1d_case(1024); }
static void test_fft1d_997(void) { fft1d_case(997); }

/* ---- 2-D r2c ------------------------------------------------------------------------------ */

/* n0 x n1 real grid, reused for 2 inputs. err: [0] local half spectrum vs direct 2-D DFT,
 * / ||x||; [1] gathered spectrum on rank 0 vs direct; [2] c2r(r2c(x)) / (n0 n1) - x,
 * / max|x|; [3] c2r of the scattered exact spectrum / (n0 n1) - x. */
static PetscErrorCode run_fft2d(ptrdiff_t n0, ptrdiff_t n1, double err[4])
{
  prc_fftd2    *f;
  ptrdiff_t     n1c = n1 / 2 + 1;
  double       *x, *xr, nx, xmax;
  fftw_complex *X, *g;
  cld          *t0, *t1;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc6(n0 * n1, &x, n0 * n1, &xr, n0 * n1c, &X, n0 * n1c, &g, n0, &t0, n1, &t1));
  PetscCall(prc_fftd2_create(PETSC_COMM_WORLD, n0, n1, FFTW_ESTIMATE, &f));
  twiddles(n0, FFTW_FORWARD, t0);
  twiddles(n1, FFTW_FORWARD, t1);
  for (int e = 0; e < 4; e++) err[e] = 0;
  for (int rep = 0; rep < 2; rep++) {
    prc_rng r;
    prc_rng_seed(&r, 7000 + (uint64_t)(n0 * n1) + (uint64_t)rep, 0);
    nx = 0, xmax = 0;
    for (ptrdiff_t i = 0; i < n0 * n1; i++) {
      x[i] = 2 * prc_rng_uniform(&r) - 1;
      nx += x[i] * x[i];
      xmax = fmax(xmax, fabs(x[i]));
    }
    nx = sqrt(nx);
    for (ptrdiff_t k0 = 0; k0 < n0; k0++) /* direct 2-D DFT, half spectrum */
      for (ptrdiff_t k1 = 0; k1 < n1c; k1++) {
        cld s = 0;
        for (ptrdiff_t j0 = 0; j0 < n0; j0++)
          for (ptrdiff_t j1 = 0; j1 < n1; j1++)
            s += x[j0 * n1 + j1] * t0[(j0 * k0) % n0] * t1[(j1 * k1) % n1];
        X[k0 * n1c + k1] = (double _Complex)s;
      }

    PetscCall(prc_fftd2_scatter_real(f, is_root() ? x : NULL));
    PetscCall(prc_fftd2_forward(f));
    err[0] = fmax(err[0], maxdiff(f->c, X + f->local_0_start * n1c, 1, f->local_n0 * n1c) / nx);
    PetscCall(prc_fftd2_gather_complex(f, g));
    if (is_root()) err[1] = fmax(err[1], maxdiff(g, X, 1, n0 * n1c) / nx);
    PetscCall(prc_fftd2_backward(f));
    PetscCall(prc_fftd2_gather_real(f, xr));
    for (ptrdiff_t i = 0; is_root() && i < n0 * n1; i++)
      err[2] = fmax(err[2], fabs(xr[i] / (double)(n0 * n1) - x[i]) / xmax);
    PetscCall(prc_fftd2_scatter_complex(f, X));
    PetscCall(prc_fftd2_backward(f));
    for (ptrdiff_t i = 0; i < f->local_n0; i++) /* local check, padded rows */
      for (ptrdiff_t j = 0; j < n1; j++)
        err[3] = fmax(err[3], fabs(f->r[i * f->n1p + j] / (double)(n0 * n1) -
                                   x[(f->local_0_start + i) * n1 + j]) / xmax);
  }
  PetscCall(allmax(err, 4));
  PetscCall(prc_fftd2_destroy(&f));
  PetscCall(PetscFree6(x, xr, X, g, t0, t1));
  PetscFunctionReturn(0);
}

static void fft2d_case(ptrdiff_t n0, ptrdiff_t n1)
{
  double      err[4] = {1, 1, 1, 1};
  const char *what[4] = {"r2c local vs direct", "r2c gathered vs direct", "c2r(r2c(x))/n - x",
                         "c2r(exact X)/n - x"};
  char        name[64];
  CHECK_CALL(run_fft2d(n0, n1, err));
  for (int e = 0; e < 4; e++) {
    snprintf(name, sizeof name, "%tdx%td %s", n0, n1, what[e]);
    CHECK_ERR(name, err[e]);
  }
}

static void test_fft2d_24x20(void) { fft2d_case(24, 20); }
static void test_fft2d_15x9(void) { fft2d_case(15, 9); } /* odd sizes, ragged slabs */

/* ---- errors ------------------------------------------------------------------------------- */

static void test_fft_errors(void)
{
  prc_fftd      *f = NULL;
  prc_fftd2     *f2 = NULL;
  PetscErrorCode e1, e2, e3;

  PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
  e1 = prc_fftd_create(PETSC_COMM_WORLD, 1, FFTW_ESTIMATE, &f);
  e2 = prc_fftd_create(PETSC_COMM_WORLD, 64, FFTW_ESTIMATE | FFTW_MPI_SCRAMBLED_OUT, &f);
  e3 = prc_fftd2_create(PETSC_COMM_WORLD, 8, 1, FFTW_ESTIMATE, &f2);
  PetscPopErrorHandler();
  PT_CHECK(e1 == PETSC_ERR_ARG_OUTOFRANGE, "N=1 returned %d", (int)e1);
  PT_CHECK(e2 == PETSC_ERR_ARG_WRONG, "scrambled flag returned %d", (int)e2);
  PT_CHECK(e3 == PETSC_ERR_ARG_OUTOFRANGE, "8x1 grid returned %d", (int)e3);
  PT_CHECK(f == NULL && f2 == NULL, "a context was returned on error");
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  pt_set_prog(argv[0]);
  PT_RUN(test_fft1d_1000);
  PT_RUN(test_fft1d_1024);
  PT_RUN(test_fft1d_997);
  PT_RUN(test_fft2d_24x20);
  PT_RUN(test_fft2d_15x9);
  PT_RUN(test_fft_errors);
  int rc = pt_finish();
  PetscCall(PetscFinalize());
  return rc;
}

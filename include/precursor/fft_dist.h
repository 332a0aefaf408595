/* precursor/fft_dist.h — distributed FFTs with FFTW-MPI (parallel layer): a 1-D complex
 * DFT of length N and a 2-D real-to-complex DFT of an n0 x n1 grid, each with its plans
 * made once in a context and reused for any number of executes.
 *
 * Conventions (FFTW's):
 *  - forward:  X[k] = sum_j x[j] exp(-2 pi i j k / N)
 *  - backward: x[j] = sum_k X[k] exp(+2 pi i j k / N), NOT normalised, so
 *    backward(forward(x)) = N x (1-D) and n0*n1 x (2-D). Divide yourself if needed.
 *  - Buffers are owned by the context, allocated with fftw_alloc_* (SIMD alignment the
 *    plans were made for). An execute may overwrite its source buffer (FFTW-MPI uses it as
 *    scratch; c2r always does), so copy data out before executing if you still need it.
 *  - Only the default, unscrambled and untransposed layouts are used.
 *  - Functions marked "Collective" must be called by every rank of the context's comm.
 *    `comm` is not duplicated (FFTW duplicates it inside the plans) and must outlive the
 *    context.
 *
 * Include order: PETSc headers bring <complex.h> before <fftw3.h>, so fftw_complex is
 * double _Complex here (index with creal/cimag, or cast to double * for (re, im) pairs).
 */
#ifndef PRECURSOR_FFT_DIST_H
#define PRECURSOR_FFT_DIST_H

#include <stddef.h>
#include <petscsys.h>
#include <fftw3-mpi.h>

/* 1-D complex DFT of length N >= 2 over comm.
 * Layout chosen by FFTW (fftw_mpi_local_size_1d), block distributions in rank order:
 *  - `in`  holds global indices [local_i_start, local_i_start + local_ni): the input of
 *    forward and the output of backward;
 *  - `out` holds [local_o_start, local_o_start + local_no): the output of forward and the
 *    input of backward.
 * The two distributions may differ (e.g. N = 1000 on 4 ranks: in 250/250/250/250, out
 * 252/252/252/244), and some ranks may own nothing (FFTW parallelises 1-D transforms only
 * through a factorisation of N: a prime N lives entirely on rank 0). */
typedef struct {
  MPI_Comm      comm;
  ptrdiff_t     N;
  ptrdiff_t     local_ni, local_i_start; /* in  */
  ptrdiff_t     local_no, local_o_start; /* out */
  ptrdiff_t     alloc_local;             /* complex elements allocated in each buffer */
  fftw_complex *in, *out;
  fftw_plan     fwd, bwd;                /* in -> out (FFTW_FORWARD), out -> in (BACKWARD) */
} prc_fftd;

/* Which buffer of a prc_fftd a scatter/gather addresses. */
typedef enum { PRC_FFTD_IN, PRC_FFTD_OUT } prc_fftd_side;

/* 2-D real-to-complex DFT of an n0 x n1 real grid (row-major, n1 contiguous) over comm.
 * Row-slab distribution (fftw_mpi_local_size_2d on n0 x (n1/2+1)): this rank owns global
 * rows [local_0_start, local_0_start + local_n0) of both arrays (may be 0 rows).
 *  - r: real slab, local_n0 rows of n1p = 2*(n1/2+1) doubles; element (i, j) at
 *       r[(i - local_0_start)*n1p + j] for j < n1; the last n1p - n1 doubles of each row are
 *       padding (FFTW-MPI requires it even out of place).
 *  - c: complex slab, local_n0 rows of n1c = n1/2+1 values; (i, k) at
 *       c[(i - local_0_start)*n1c + k] = X[i][k] for k = 0..n1/2; the other half follows
 *       from X[i][n1-k] = conj(X[(n0-i) % n0][k]).
 * forward: r -> c. backward (c2r, unnormalised): c -> r, and c is destroyed. */
typedef struct {
  MPI_Comm      comm;
  ptrdiff_t     n0, n1, n1c, n1p;
  ptrdiff_t     local_n0, local_0_start;
  ptrdiff_t     alloc_local; /* complex elements in c; r has 2*alloc_local doubles */
  double       *r;
  fftw_complex *c;
  fftw_plan     r2c, c2r;
} prc_fftd2;

/* fftw_mpi_init(); idempotent (FFTW keeps its own flag). Called by the create functions.
 * Not collective, but call after MPI/PETSc initialisation. */
PetscErrorCode prc_fftd_init(void);

/* Plan forward and backward 1-D transforms of length N (>= 2) over comm and allocate the
 * buffers. flags: FFTW_ESTIMATE (deterministic, instant) or FFTW_MEASURE/FFTW_PATIENT
 * (planning overwrites the buffers); the SCRAMBLED/TRANSPOSED flags are rejected. Collective. */
PetscErrorCode prc_fftd_create(MPI_Comm comm, ptrdiff_t N, unsigned flags, prc_fftd **ctx);
/* Destroy plans and buffers (NULL-safe, sets *ctx = NULL). Not collective. */
PetscErrorCode prc_fftd_destroy(prc_fftd **ctx);
/* out = DFT(in) (forward, sign -1). May overwrite in. Collective. */
PetscErrorCode prc_fftd_forward(prc_fftd *ctx);
/* in = unnormalised inverse DFT(out) (sign +1). May overwrite out. Collective. */
PetscErrorCode prc_fftd_backward(prc_fftd *ctx);
/* Copy a global array of N values, significant on rank 0 only (may be NULL elsewhere), into
 * the local part of ctx->in or ctx->out. Collective. For tests and small problems. */
PetscErrorCode prc_fftd_scatter(prc_fftd *ctx, prc_fftd_side side, const fftw_complex *global);
/* Collect ctx->in or ctx->out into a global array of N values on rank 0 (not referenced
 * elsewhere, may be NULL). Collective. For tests and small problems. */
PetscErrorCode prc_fftd_gather(const prc_fftd *ctx, prc_fftd_side side, fftw_complex *global);

/* Plan the 2-D r2c and c2r transforms of an n0 x n1 grid (n0, n1 >= 2) and allocate the
 * slabs; flags as for prc_fftd_create. Collective. */
PetscErrorCode prc_fftd2_create(MPI_Comm comm, ptrdiff_t n0, ptrdiff_t n1, unsigned flags,
                                prc_fftd2 **ctx);
/* Destroy plans and buffers (NULL-safe, sets *ctx = NULL). Not collective. */
PetscErrorCode prc_fftd2_destroy(prc_fftd2 **ctx);
/* c = DFT2(r) (n0 x (n1/2+1) half spectrum). May overwrite r. Collective. */
PetscErrorCode prc_fftd2_forward(prc_fftd2 *ctx);
/* r = unnormalised inverse DFT2(c) (= n0*n1 x after forward); destroys c. Collective. */
PetscErrorCode prc_fftd2_backward(prc_fftd2 *ctx);
/* Global arrays on rank 0 only (others may pass NULL), row-major and unpadded:
 * real n0 x n1, complex n0 x (n1/2+1). Collective. For tests and small problems. */
PetscErrorCode prc_fftd2_scatter_real(prc_fftd2 *ctx, const double *global);
PetscErrorCode prc_fftd2_gather_real(const prc_fftd2 *ctx, double *global);
PetscErrorCode prc_fftd2_scatter_complex(prc_fftd2 *ctx, const fftw_complex *global);
PetscErrorCode prc_fftd2_gather_complex(const prc_fftd2 *ctx, fftw_complex *global);

#endif

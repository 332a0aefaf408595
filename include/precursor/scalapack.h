/* precursor/scalapack.h — thin ScaLAPACK wrapper (parallel layer): a BLACS process grid
 * built from an MPI communicator, block-cyclic distributed dense matrices, and the few
 * dense kernels later stages need (linear solve, SVD, symmetric eigensolver for EOF/PCA,
 * matrix product).
 *
 * Conventions
 *  - Every function returns PetscErrorCode. Functions marked "Collective" must be called
 *    by every rank of the grid's communicator with the same global arguments.
 *  - Global indices in this API are 0-based; the Fortran routines see 1-based ones.
 *  - Sizes are int: Debian's ScaLAPACK is LP64 (Fortran INTEGER = 32-bit int).
 *  - Matrices are distributed from grid process (0,0), which is rank 0 of the
 *    communicator; local arrays are column-major with leading dimension `lld`.
 *  - Decompositions (solve, svd, syevd) need square blocks (mb == nb) and all matrices
 *    involved must share that block size; gemm accepts any block sizes.
 */
#ifndef PRECURSOR_SCALAPACK_H
#define PRECURSOR_SCALAPACK_H

#include <stddef.h>
#include <petscsys.h>

/* ---- Fortran / BLACS prototypes ------------------------------------------------------
 * Debian ships no C header for BLACS/ScaLAPACK; these match libscalapack-openmpi 2.2
 * (LP64, gfortran). Fortran routines with CHARACTER arguments take hidden trailing
 * length arguments (size_t since gfortran 8): they are declared and passed (value 1)
 * rather than omitted. pdgemm_ is C (PBLAS) and takes none. Read-only array arguments
 * are declared const (same ABI). */
int  Csys2blacs_handle(MPI_Comm comm);
void Cfree_blacs_system_handle(int handle);
void Cblacs_get(int ctxt, int what, int *val);
void Cblacs_gridinit(int *ctxt, const char *order, int nprow, int npcol);
void Cblacs_gridinfo(int ctxt, int *nprow, int *npcol, int *myrow, int *mycol);
void Cblacs_gridexit(int ctxt);

int  numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc,
             const int *nprocs);
void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb,
               const int *irsrc, const int *icsrc, const int *ictxt, const int *lld,
               int *info);
void pdgemr2d_(const int *m, const int *n, const double *a, const int *ia, const int *ja,
               const int *desca, double *b, const int *ib, const int *jb, const int *descb,
               const int *ictxt);
void pdgesv_(const int *n, const int *nrhs, double *a, const int *ia, const int *ja,
             const int *desca, int *ipiv, double *b, const int *ib, const int *jb,
             const int *descb, int *info);
void pdgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, double *a,
              const int *ia, const int *ja, const int *desca, double *s, double *u,
              const int *iu, const int *ju, const int *descu, double *vt, const int *ivt,
              const int *jvt, const int *descvt, double *work, const int *lwork, int *info,
              size_t len_jobu, size_t len_jobvt);
void pdsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *ia,
              const int *ja, const int *desca, double *w, double *z, const int *iz,
              const int *jz, const int *descz, double *work, const int *lwork, int *iwork,
              const int *liwork, int *info, size_t len_jobz, size_t len_uplo);
void pdsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *ia,
             const int *ja, const int *desca, double *w, double *z, const int *iz,
             const int *jz, const int *descz, double *work, const int *lwork, int *info,
             size_t len_jobz, size_t len_uplo);
void pdgemm_(const char *transa, const char *transb, const int *m, const int *n,
             const int *k, const double *alpha, const double *a, const int *ia,
             const int *ja, const int *desca, const double *b, const int *ib, const int *jb,
             const int *descb, const double *beta, double *c, const int *ic, const int *jc,
             const int *descc);

/* ---- precursor API ------------------------------------------------------------------ */

/* A BLACS process grid over all ranks of `comm`. The shape is near-square: nprow is the
 * largest divisor of the rank count p with nprow <= sqrt(p), npcol = p / nprow
 * (1 -> 1x1, 2 -> 1x2, 3 -> 1x3, 4 -> 2x2, 6 -> 2x3, 8 -> 2x4). Row-major rank order,
 * so rank 0 is process (0,0). `comm` is not duplicated and must outlive the grid. */
typedef struct {
  MPI_Comm comm;
  int      sys_handle; /* BLACS system handle of comm */
  int      ctxt;       /* BLACS grid context */
  int      nprow, npcol, myrow, mycol;
} prc_sl_grid;

/* A dense m x n matrix, block-cyclic over the grid with mb x nb blocks from process (0,0).
 * This rank holds the mloc x nloc local part in a[il + jl*lld] (column-major). */
typedef struct {
  prc_sl_grid *grid;
  int          m, n, mb, nb;
  int          mloc, nloc, lld;
  int          desc[9]; /* ScaLAPACK array descriptor */
  double      *a;
} prc_sl_mat;

/* Element function for prc_sl_mat_fill: value at global (i, j), 0-based. */
typedef double (*prc_sl_elem_fn)(int i, int j, void *ctx);

/* Build the grid over all ranks of comm. Collective on comm. */
PetscErrorCode prc_sl_grid_create(MPI_Comm comm, prc_sl_grid **grid);
/* Release the grid (NULL-safe, sets *grid = NULL). Collective; destroy its matrices first. */
PetscErrorCode prc_sl_grid_destroy(prc_sl_grid **grid);

/* Create a zeroed m x n matrix with mb x nb blocks on grid (m, n, mb, nb >= 1).
 * Not collective (no communication), but every rank must create it with the same sizes. */
PetscErrorCode prc_sl_mat_create(prc_sl_grid *grid, int m, int n, int mb, int nb,
                                 prc_sl_mat **A);
/* Free a matrix (NULL-safe, sets *A = NULL). Not collective. */
PetscErrorCode prc_sl_mat_destroy(prc_sl_mat **A);
/* Set every local element to fn(i, j, ctx) at its global (i, j). Not collective. */
PetscErrorCode prc_sl_mat_fill(prc_sl_mat *A, prc_sl_elem_fn fn, void *ctx);
/* Copy a global m x n column-major array (leading dimension m), significant on rank 0
 * only (may be NULL elsewhere), into the distributed A. Collective. */
PetscErrorCode prc_sl_mat_scatter(prc_sl_mat *A, const double *global);
/* Copy A into the global m x n column-major array `global` (leading dimension m) on
 * rank 0; `global` is not referenced elsewhere (may be NULL). Collective. For tests and
 * small outputs: rank 0 needs room for the whole matrix. */
PetscErrorCode prc_sl_mat_gather(const prc_sl_mat *A, double *global);

/* Solve A X = B (pdgesv, LU with partial pivoting). A: n x n, overwritten by its LU
 * factors; B: n x nrhs, overwritten by X. mb == nb for A and B's row blocks equal A's.
 * A singular matrix (exact zero pivot) is error PETSC_ERR_MAT_LU_ZRPVT. Collective. */
PetscErrorCode prc_sl_solve(prc_sl_mat *A, prc_sl_mat *B);
/* Singular value decomposition A = U diag(s) VT (pdgesvd). A: m x n, destroyed.
 * s: k = min(m,n) values, descending, on every rank. U: m x k and VT: k x n, each may be
 * NULL to skip those vectors. Collective. */
PetscErrorCode prc_sl_svd(prc_sl_mat *A, double *s, prc_sl_mat *U, prc_sl_mat *VT);
/* Eigen-decomposition of a symmetric A = Z diag(w) Z^T. A: n x n, both triangles stored,
 * only the lower one is read; destroyed. w: n eigenvalues, ascending, on every rank.
 * Z: n x n eigenvectors (columns) via pdsyevd (divide and conquer); Z == NULL computes
 * eigenvalues only via pdsyev. Collective. */
PetscErrorCode prc_sl_syevd(prc_sl_mat *A, double *w, prc_sl_mat *Z);
/* C = alpha op(A) op(B) + beta C (pdgemm); transa/transb are 'N' or 'T'. op(A): m x k,
 * op(B): k x n, C: m x n. C must not alias A or B. Collective. */
PetscErrorCode prc_sl_gemm(char transa, char transb, double alpha, const prc_sl_mat *A,
                           const prc_sl_mat *B, double beta, prc_sl_mat *C);

#endif

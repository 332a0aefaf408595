/* scalapack.c — thin ScaLAPACK/BLACS wrapper: process grid, block-cyclic matrices,
 * scatter/gather through rank 0, and pdgesv / pdgesvd / pdsyevd / pdsyev / pdgemm with
 * proper workspace queries and INFO turned into PETSc errors. See precursor/scalapack.h. */
#include "precursor/scalapack.h"

#include <math.h>
#include <stdio.h>

static const int i_zero = 0, i_one = 1, i_mone = -1;

/* INFO of a ScaLAPACK driver made identical on every rank (a negative value wins), so that
 * all ranks raise the same error or none does — never a hang in the next collective. */
static PetscErrorCode sl_info_global(const prc_sl_grid *g, int info, int *ginfo)
{
  int v[2] = {info, -info};

  PetscFunctionBegin;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, v, 2, MPI_INT, MPI_MAX, g->comm));
  *ginfo = -v[1] < 0 ? -v[1] : v[0];
  PetscFunctionReturn(0);
}

/* Meaning of a negative INFO: -(100*i + j) is entry j of array argument i, -i argument i. */
static const char *sl_argmsg(int info, char buf[96])
{
  if (-info >= 100)
    snprintf(buf, 96, "entry %d of argument %d had an illegal value", -info % 100, -info / 100);
  else snprintf(buf, 96, "argument %d had an illegal value", -info);
  return buf;
}

/* Workspace size returned by a query (work[0]), as an int, checked for overflow. */
static PetscErrorCode sl_lwork(const prc_sl_grid *g, const char *routine, double w0, int *lwork)
{
  PetscFunctionBegin;
  PetscCheck(w0 >= 0 && w0 < 2147483647.0, g->comm, PETSC_ERR_SUP,
             "%s: workspace query asked for %g doubles; expected a size that fits a 32-bit int "
             "(matrix too large for LP64 ScaLAPACK)", routine, w0);
  *lwork = w0 > 1 ? (int)ceil(w0) : 1;
  PetscFunctionReturn(0);
}

static PetscErrorCode sl_check_square_blocks(const prc_sl_mat *A, const char *routine,
                                             const char *name)
{
  PetscFunctionBegin;
  PetscCheck(A->mb == A->nb, A->grid->comm, PETSC_ERR_ARG_SIZ,
             "%s: matrix %s needs square blocks (mb == nb); found mb=%d nb=%d", routine, name,
             A->mb, A->nb);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_sl_grid_create(MPI_Comm comm, prc_sl_grid **grid)
{
  prc_sl_grid *g;
  int          size, rank, nprow, npcol;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  nprow = (int)sqrt((double)size); /* largest divisor of size that is <= sqrt(size) */
  while ((nprow + 1) * (nprow + 1) <= size) nprow++;
  while (size % nprow) nprow--;
  npcol = size / nprow;

  PetscCall(PetscCalloc1(1, &g));
  g->comm       = comm;
  g->sys_handle = Csys2blacs_handle(comm);
  g->ctxt       = g->sys_handle;
  Cblacs_gridinit(&g->ctxt, "Row", nprow, npcol);
  Cblacs_gridinfo(g->ctxt, &g->nprow, &g->npcol, &g->myrow, &g->mycol);
  PetscCheck(g->nprow == nprow && g->npcol == npcol && g->myrow == rank / npcol &&
               g->mycol == rank % npcol,
             PETSC_COMM_SELF, PETSC_ERR_LIB,
             "BLACS grid: rank %d expected process (%d,%d) of a %dx%d grid; found (%d,%d) of "
             "%dx%d", rank, rank / npcol, rank % npcol, nprow, npcol, g->myrow, g->mycol,
             g->nprow, g->npcol);
  *grid = g;
  PetscFunctionReturn(0);
}

PetscErrorCode prc_sl_grid_destroy(prc_sl_grid **grid)
{
  PetscFunctionBegin;
  if (!grid || !*grid) PetscFunctionReturn(0);
  Cblacs_gridexit((*grid)->ctxt);
  Cfree_blacs_system_handle((*grid)->sys_handle);
  PetscCall(PetscFree(*grid));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_sl_mat_create(prc_sl_grid *grid, int m, int n, int mb, int nb,
                                 prc_sl_mat **A)
{
  prc_sl_mat *M;
  int         info;

  PetscFunctionBegin;
  PetscCheck(m >= 1 && n >= 1 && mb >= 1 && nb >= 1, grid->comm, PETSC_ERR_ARG_OUTOFRANGE,
             "prc_sl_mat_create: expected m, n, mb, nb >= 1; found m=%d n=%d mb=%d nb=%d", m, n,
             mb, nb);
  PetscCall(PetscCalloc1(1, &M));
  M->grid = grid;
  M->m = m, M->n = n, M->mb = mb, M->nb = nb;
  M->mloc = numroc_(&m, &mb, &grid->myrow, &i_zero, &grid->nprow);
  M->nloc = numroc_(&n, &nb, &grid->mycol, &i_zero, &grid->npcol);
  M->lld  = M->mloc > 1 ? M->mloc : 1;
  descinit_(M->desc, &m, &n, &mb, &nb, &i_zero, &i_zero, &grid->ctxt, &M->lld, &info);
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB,
             "descinit: INFO=%d (argument %d illegal) for a %dx%d matrix with %dx%d blocks",
             info, -info, m, n, mb, nb);
  /* at least one element so the pointer handed to Fortran is never NULL */
  PetscCall(PetscCalloc1((size_t)M->lld * (size_t)(M->nloc > 1 ? M->nloc : 1), &M->a));
  *A = M;
  PetscFunctionReturn(0);
}

PetscErrorCode prc_sl_mat_destroy(prc_sl_mat **A)
{
  PetscFunctionBegin;
  if (!A || !*A) PetscFunctionReturn(0);
  PetscCall(PetscFree((*A)->a));
  PetscCall(PetscFree(*A));
  PetscFunctionReturn(0);
}

/* Global 0-based index of local index l (block size nb, this process p of np, source 0). */
static inline int sl_l2g(int l, int nb, int p, int np) { return ((l / nb) * np + p) * nb + l % nb; }

PetscErrorCode prc_sl_mat_fill(prc_sl_mat *A, prc_sl_elem_fn fn, void *ctx)
{
  const prc_sl_grid *g = A->grid;

  PetscFunctionBegin;
  for (int jl = 0; jl < A->nloc; jl++) {
    int j = sl_l2g(jl, A->nb, g->mycol, g->npcol);
    for (int il = 0; il < A->mloc; il++)
      A->a[il + (size_t)jl * A->lld] = fn(sl_l2g(il, A->mb, g->myrow, g->nprow), j, ctx);
  }
  PetscFunctionReturn(0);
}

/* Descriptor of the whole m x n matrix as one block owned by process (0,0) = rank 0. */
static PetscErrorCode sl_desc_root(const prc_sl_mat *A, int desc[9])
{
  const prc_sl_grid *g = A->grid;
  int                info, lld = numroc_(&A->m, &A->m, &g->myrow, &i_zero, &g->nprow);

  PetscFunctionBegin;
  if (lld < 1) lld = 1;
  descinit_(desc, &A->m, &A->n, &A->m, &A->n, &i_zero, &i_zero, &g->ctxt, &lld, &info);
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB,
             "descinit (rank-0 block of %dx%d): INFO=%d (argument %d illegal)", A->m, A->n,
             info, -info);
  PetscFunctionReturn(0);
}

/* Rank 0 must hold the global array; told to every rank so that none waits in pdgemr2d. */
static PetscErrorCode sl_root_has(const prc_sl_grid *g, const void *global, const char *fn,
                                  const prc_sl_mat *A)
{
  int ok = (g->myrow || g->mycol) || global != NULL;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, g->comm));
  PetscCheck(ok, g->comm, PETSC_ERR_ARG_NULL,
             "%s: rank 0 must pass the %dx%d global array; found NULL", fn, A->m, A->n);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_sl_mat_scatter(prc_sl_mat *A, const double *global)
{
  int    desc0[9];
  double dummy = 0;

  PetscFunctionBegin;
  PetscCall(sl_desc_root(A, desc0));
  PetscCall(sl_root_has(A->grid, global, "prc_sl_mat_scatter", A));
  pdgemr2d_(&A->m, &A->n, global ? global : &dummy, &i_one, &i_one, desc0, A->a, &i_one,
            &i_one, A->desc, &A->grid->ctxt);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_sl_mat_gather(const prc_sl_mat *A, double *global)
{
  int    desc0[9];
  double dummy = 0;
  int    root = A->grid->myrow == 0 && A->grid->mycol == 0;

  PetscFunctionBegin;
  PetscCall(sl_desc_root(A, desc0));
  PetscCall(sl_root_has(A->grid, global, "prc_sl_mat_gather", A));
  pdgemr2d_(&A->m, &A->n, A->a, &i_one, &i_one, A->desc, root ? global : &dummy, &i_one,
            &i_one, desc0, &A->grid->ctxt);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_sl_solve(prc_sl_mat *A, prc_sl_mat *B)
{
  MPI_Comm comm = A->grid->comm;
  int     *ipiv, info;
  char     buf[96];

  PetscFunctionBegin;
  PetscCheck(A->m == A->n && B->m == A->n, comm, PETSC_ERR_ARG_SIZ,
             "prc_sl_solve: expected square A (n x n) and B (n x nrhs); found A %dx%d, B %dx%d",
             A->m, A->n, B->m, B->n);
  PetscCall(sl_check_square_blocks(A, "prc_sl_solve", "A"));
  PetscCheck(B->mb == A->mb && B->grid == A->grid, comm, PETSC_ERR_ARG_INCOMP,
             "prc_sl_solve: B needs A's grid and row block size %d; found mb=%d%s", A->mb, B->mb,
             B->grid == A->grid ? "" : " on another grid");
  PetscCall(PetscMalloc1((size_t)A->mloc + (size_t)A->mb, &ipiv));
  pdgesv_(&A->n, &B->n, A->a, &i_one, &i_one, A->desc, ipiv, B->a, &i_one, &i_one, B->desc,
          &info);
  PetscCall(PetscFree(ipiv));
  PetscCall(sl_info_global(A->grid, info, &info));
  PetscCheck(info >= 0, comm, PETSC_ERR_ARG_WRONG, "pdgesv: INFO=%d: %s", info,
             sl_argmsg(info, buf));
  PetscCheck(info == 0, comm, PETSC_ERR_MAT_LU_ZRPVT,
             "pdgesv: INFO=%d: U(%d,%d) is exactly zero, the %dx%d matrix is singular; expected "
             "a nonsingular matrix (check for zero rows/columns or linearly dependent data)",
             info, info, info, A->n, A->n);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_sl_svd(prc_sl_mat *A, double *s, prc_sl_mat *U, prc_sl_mat *VT)
{
  MPI_Comm    comm = A->grid->comm;
  int         k = A->m < A->n ? A->m : A->n, lwork, info;
  const char *jobu = U ? "V" : "N", *jobvt = VT ? "V" : "N";
  double      q, dummy = 0, *work;
  char        buf[96];
  const int  *descu = U ? U->desc : A->desc, *descvt = VT ? VT->desc : A->desc;

  PetscFunctionBegin;
  PetscCall(sl_check_square_blocks(A, "prc_sl_svd", "A"));
  PetscCheck(!U || (U->m == A->m && U->n == k && U->mb == A->mb && U->nb == A->nb), comm,
             PETSC_ERR_ARG_SIZ, "prc_sl_svd: expected U %dx%d with %dx%d blocks; found %dx%d "
             "with %dx%d", A->m, k, A->mb, A->nb, U->m, U->n, U->mb, U->nb);
  PetscCheck(!VT || (VT->m == k && VT->n == A->n && VT->mb == A->mb && VT->nb == A->nb), comm,
             PETSC_ERR_ARG_SIZ, "prc_sl_svd: expected VT %dx%d with %dx%d blocks; found %dx%d "
             "with %dx%d", k, A->n, A->mb, A->nb, VT->m, VT->n, VT->mb, VT->nb);

  pdgesvd_(jobu, jobvt, &A->m, &A->n, A->a, &i_one, &i_one, A->desc, s, U ? U->a : &dummy,
           &i_one, &i_one, descu, VT ? VT->a : &dummy, &i_one, &i_one, descvt, &q, &i_mone,
           &info, 1, 1);
  PetscCall(sl_info_global(A->grid, info, &info));
  PetscCheck(info == 0, comm, PETSC_ERR_ARG_WRONG, "pdgesvd workspace query: INFO=%d: %s", info,
             sl_argmsg(info, buf));
  PetscCall(sl_lwork(A->grid, "pdgesvd", q, &lwork));
  PetscCall(PetscMalloc1(lwork, &work));
  pdgesvd_(jobu, jobvt, &A->m, &A->n, A->a, &i_one, &i_one, A->desc, s, U ? U->a : &dummy,
           &i_one, &i_one, descu, VT ? VT->a : &dummy, &i_one, &i_one, descvt, work, &lwork,
           &info, 1, 1);
  PetscCall(PetscFree(work));
  PetscCall(sl_info_global(A->grid, info, &info));
  PetscCheck(info >= 0, comm, PETSC_ERR_ARG_WRONG, "pdgesvd: INFO=%d: %s", info,
             sl_argmsg(info, buf));
  PetscCheck(info != k + 1, comm, PETSC_ERR_LIB,
             "pdgesvd: INFO=%d: singular values differ between processes (heterogeneous "
             "arithmetic); expected identical results on every rank", info);
  PetscCheck(info == 0, comm, PETSC_ERR_CONV_FAILED,
             "pdgesvd: INFO=%d: the bidiagonal QR iteration did not converge (%d superdiagonals "
             "left); check the %dx%d input for Inf/NaN", info, info, A->m, A->n);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_sl_syevd(prc_sl_mat *A, double *w, prc_sl_mat *Z)
{
  MPI_Comm comm = A->grid->comm;
  int      n = A->n, lwork, liwork = 1, info, iq = 0, *iwork = NULL;
  double   q, dummy = 0, *work;
  char     buf[96];

  PetscFunctionBegin;
  PetscCheck(A->m == A->n, comm, PETSC_ERR_ARG_SIZ,
             "prc_sl_syevd: expected a square symmetric A; found %dx%d", A->m, A->n);
  PetscCall(sl_check_square_blocks(A, "prc_sl_syevd", "A"));
  PetscCheck(!Z || (Z->m == n && Z->n == n && Z->mb == A->mb && Z->nb == A->nb), comm,
             PETSC_ERR_ARG_SIZ, "prc_sl_syevd: expected Z %dx%d with %dx%d blocks; found "
             "%dx%d with %dx%d", n, n, A->mb, A->nb, Z->m, Z->n, Z->mb, Z->nb);

  if (Z) { /* pdsyevd: divide and conquer, vectors required */
    pdsyevd_("V", "L", &n, A->a, &i_one, &i_one, A->desc, w, Z->a, &i_one, &i_one, Z->desc, &q,
             &i_mone, &iq, &i_mone, &info, 1, 1);
  } else { /* pdsyev: eigenvalues only (pdsyevd does not support JOBZ='N') */
    pdsyev_("N", "L", &n, A->a, &i_one, &i_one, A->desc, w, &dummy, &i_one, &i_one, A->desc,
            &q, &i_mone, &info, 1, 1);
  }
  PetscCall(sl_info_global(A->grid, info, &info));
  PetscCheck(info == 0, comm, PETSC_ERR_ARG_WRONG, "%s workspace query: INFO=%d: %s",
             Z ? "pdsyevd" : "pdsyev", info, sl_argmsg(info, buf));
  PetscCall(sl_lwork(A->grid, Z ? "pdsyevd" : "pdsyev", q, &lwork));
  PetscCall(PetscMalloc1(lwork, &work));
  if (Z) {
    liwork = iq > 1 ? iq : 1;
    PetscCall(PetscMalloc1(liwork, &iwork));
    pdsyevd_("V", "L", &n, A->a, &i_one, &i_one, A->desc, w, Z->a, &i_one, &i_one, Z->desc,
             work, &lwork, iwork, &liwork, &info, 1, 1);
  } else {
    pdsyev_("N", "L", &n, A->a, &i_one, &i_one, A->desc, w, &dummy, &i_one, &i_one, A->desc,
            work, &lwork, &info, 1, 1);
  }
  PetscCall(PetscFree(work));
  PetscCall(PetscFree(iwork));
  PetscCall(sl_info_global(A->grid, info, &info));
  PetscCheck(info >= 0, comm, PETSC_ERR_ARG_WRONG, "%s: INFO=%d: %s", Z ? "pdsyevd" : "pdsyev",
             info, sl_argmsg(info, buf));
  if (Z)
    PetscCheck(info == 0, comm, PETSC_ERR_CONV_FAILED,
               "pdsyevd: INFO=%d: failed to compute eigenvalue %d while working on the submatrix "
               "in rows/columns %d; check the %dx%d input for Inf/NaN", info, info / (n + 1),
               info % (n + 1), n, n);
  else
    PetscCheck(info == 0, comm, PETSC_ERR_CONV_FAILED,
               "pdsyev: INFO=%d: %s; check the %dx%d input for Inf/NaN", info,
               info == n + 1 ? "eigenvalues differ between processes (heterogeneous arithmetic)"
                             : "the tridiagonal QL/QR iteration did not converge", n, n);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_sl_gemm(char transa, char transb, double alpha, const prc_sl_mat *A,
                           const prc_sl_mat *B, double beta, prc_sl_mat *C)
{
  MPI_Comm comm = C->grid->comm;
  int      ta = transa == 'T' || transa == 't', tb = transb == 'T' || transb == 't';
  int      m = ta ? A->n : A->m, k = ta ? A->m : A->n;
  int      kb = tb ? B->n : B->m, n = tb ? B->m : B->n;

  PetscFunctionBegin;
  PetscCheck((ta || transa == 'N' || transa == 'n') && (tb || transb == 'N' || transb == 'n'),
             comm, PETSC_ERR_ARG_WRONG,
             "prc_sl_gemm: expected transa/transb 'N' or 'T'; found '%c'/'%c'", transa, transb);
  PetscCheck(k == kb && C->m == m && C->n == n, comm, PETSC_ERR_ARG_SIZ,
             "prc_sl_gemm: expected op(A) m x k, op(B) k x n, C m x n; found op(A) %dx%d, "
             "op(B) %dx%d, C %dx%d", m, k, kb, n, C->m, C->n);
  PetscCheck(A->grid == C->grid && B->grid == C->grid, comm, PETSC_ERR_ARG_INCOMP,
             "prc_sl_gemm: A, B and C must live on the same grid");
  PetscCheck(C != A && C != B, comm, PETSC_ERR_ARG_IDN, "prc_sl_gemm: C must not alias A or B");
  pdgemm_(ta ? "T" : "N", tb ? "T" : "N", &m, &n, &k, &alpha, A->a, &i_one, &i_one, A->desc,
          B->a, &i_one, &i_one, B->desc, &beta, C->a, &i_one, &i_one, C->desc);
  PetscFunctionReturn(0);
}

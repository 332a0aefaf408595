/* fft_dist.c — distributed FFTs over FFTW-MPI: a 1-D complex DFT and a 2-D r2c/c2r DFT,
 * plans made once per context, plus rank-0 scatter/gather of the distributed layouts.
 * See precursor/fft_dist.h for the layouts and the (unnormalised) conventions. */
#include "precursor/fft_dist.h"

#include <limits.h>
#include <string.h>

static const unsigned fd_layout_flags =
  FFTW_MPI_SCRAMBLED_IN | FFTW_MPI_SCRAMBLED_OUT | FFTW_MPI_TRANSPOSED_IN | FFTW_MPI_TRANSPOSED_OUT;

/* Logical AND of a per-rank condition over comm, so that every rank raises the same error. */
static PetscErrorCode fd_all(MPI_Comm comm, int ok, int *all)
{
  PetscFunctionBegin;
  PetscCallMPI(MPI_Allreduce(&ok, all, 1, MPI_INT, MPI_LAND, comm));
  PetscFunctionReturn(0);
}

/* Move rows between a global row-major array on rank 0 (`global`, rows of `len` doubles,
 * contiguous) and each rank's slab (`local`, `nrows` rows from global row `start`, stored
 * with a stride of `stride` >= len doubles, the rest being padding). gather: slabs -> rank 0;
 * else rank 0 -> slabs. Collective; `global` is only referenced on rank 0. */
static PetscErrorCode fd_slab_xfer(MPI_Comm comm, int gather, double *global, double *local,
                                   ptrdiff_t nrows, ptrdiff_t start, ptrdiff_t len,
                                   ptrdiff_t stride, ptrdiff_t ntotal)
{
  int          rank, size, ok, mine[2] = {(int)nrows, (int)start}, *all = NULL, *cnt = NULL,
                             *dsp = NULL;
  MPI_Datatype grow, lrow;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(fd_all(comm, ntotal <= INT_MAX && len <= INT_MAX, &ok));
  PetscCheck(ok, comm, PETSC_ERR_SUP,
             "fft_dist scatter/gather: %td rows of %td doubles exceed MPI int counts; these "
             "helpers are for tests and small problems", ntotal, len);
  ok = rank != 0 || global != NULL;
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, comm));
  PetscCheck(ok, comm, PETSC_ERR_ARG_NULL,
             "fft_dist scatter/gather: rank 0 must pass the global array (%td rows); found NULL",
             ntotal);
  if (rank == 0) PetscCall(PetscMalloc3(2 * size, &all, size, &cnt, size, &dsp));
  PetscCallMPI(MPI_Gather(mine, 2, MPI_INT, all, 2, MPI_INT, 0, comm));
  for (int p = 0; rank == 0 && p < size; p++) cnt[p] = all[2 * p], dsp[p] = all[2 * p + 1];

  PetscCallMPI(MPI_Type_contiguous((int)len, MPI_DOUBLE, &grow));
  PetscCallMPI(MPI_Type_create_resized(grow, 0, (MPI_Aint)(stride * (ptrdiff_t)sizeof(double)),
                                       &lrow));
  PetscCallMPI(MPI_Type_commit(&grow));
  PetscCallMPI(MPI_Type_commit(&lrow));
  if (gather)
    PetscCallMPI(MPI_Gatherv(local, (int)nrows, lrow, global, cnt, dsp, grow, 0, comm));
  else PetscCallMPI(MPI_Scatterv(global, cnt, dsp, grow, local, (int)nrows, lrow, 0, comm));
  PetscCallMPI(MPI_Type_free(&lrow));
  PetscCallMPI(MPI_Type_free(&grow));
  if (rank == 0) PetscCall(PetscFree3(all, cnt, dsp));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_fftd_init(void)
{
  PetscFunctionBegin;
  fftw_mpi_init(); /* FFTW guards repeated calls itself */
  PetscFunctionReturn(0);
}

/* ---- 1-D complex ------------------------------------------------------------------------ */

PetscErrorCode prc_fftd_create(MPI_Comm comm, ptrdiff_t N, unsigned flags, prc_fftd **ctx)
{
  prc_fftd *f;
  ptrdiff_t bni, bis, bno, bos, balloc;
  int       ok;

  PetscFunctionBegin;
  /* FFTW-MPI 3.3.10 aborts (invalid free) when planning a 1-D transform of length 1 */
  PetscCheck(N >= 2, comm, PETSC_ERR_ARG_OUTOFRANGE, "prc_fftd_create: expected N >= 2; found %td",
             N);
  PetscCheck(!(flags & fd_layout_flags), comm, PETSC_ERR_ARG_WRONG,
             "prc_fftd_create: scrambled/transposed layouts are not supported; found flags 0x%x",
             flags);
  PetscCall(prc_fftd_init());
  PetscCall(PetscCalloc1(1, &f));
  f->comm        = comm;
  f->N           = N;
  f->alloc_local = fftw_mpi_local_size_1d(N, comm, FFTW_FORWARD, flags, &f->local_ni,
                                          &f->local_i_start, &f->local_no, &f->local_o_start);
  /* the backward plan reads out and writes in: its layout must be the forward one reversed */
  balloc = fftw_mpi_local_size_1d(N, comm, FFTW_BACKWARD, flags, &bni, &bis, &bno, &bos);
  PetscCall(fd_all(comm, bni == f->local_no && bis == f->local_o_start && bno == f->local_ni &&
                           bos == f->local_i_start, &ok));
  PetscCheck(ok, comm, PETSC_ERR_PLIB,
             "prc_fftd_create: FFTW's backward layout for N=%td is not the forward one reversed "
             "(rank-local: forward in %td@%td out %td@%td, backward in %td@%td out %td@%td)", N,
             f->local_ni, f->local_i_start, f->local_no, f->local_o_start, bni, bis, bno, bos);
  if (balloc > f->alloc_local) f->alloc_local = balloc;
  if (f->alloc_local < 1) f->alloc_local = 1;
  f->in  = fftw_alloc_complex((size_t)f->alloc_local);
  f->out = fftw_alloc_complex((size_t)f->alloc_local);
  PetscCheck(f->in && f->out, PETSC_COMM_SELF, PETSC_ERR_MEM,
             "prc_fftd_create: fftw_alloc_complex(%td) failed for N=%td", f->alloc_local, N);
  f->fwd = fftw_mpi_plan_dft_1d(N, f->in, f->out, comm, FFTW_FORWARD, flags);
  f->bwd = fftw_mpi_plan_dft_1d(N, f->out, f->in, comm, FFTW_BACKWARD, flags);
  PetscCall(fd_all(comm, f->fwd && f->bwd, &ok));
  PetscCheck(ok, comm, PETSC_ERR_LIB,
             "fftw_mpi_plan_dft_1d returned NULL for N=%td, flags 0x%x; expected a plan", N,
             flags);
  memset(f->in, 0, sizeof(fftw_complex) * (size_t)f->alloc_local); /* planning may scribble */
  memset(f->out, 0, sizeof(fftw_complex) * (size_t)f->alloc_local);
  *ctx = f;
  PetscFunctionReturn(0);
}

PetscErrorCode prc_fftd_destroy(prc_fftd **ctx)
{
  PetscFunctionBegin;
  if (!ctx || !*ctx) PetscFunctionReturn(0);
  if ((*ctx)->fwd) fftw_destroy_plan((*ctx)->fwd);
  if ((*ctx)->bwd) fftw_destroy_plan((*ctx)->bwd);
  fftw_free((*ctx)->in);
  fftw_free((*ctx)->out);
  PetscCall(PetscFree(*ctx));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_fftd_forward(prc_fftd *ctx)
{
  PetscFunctionBegin;
  fftw_execute(ctx->fwd);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_fftd_backward(prc_fftd *ctx)
{
  PetscFunctionBegin;
  fftw_execute(ctx->bwd);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_fftd_scatter(prc_fftd *ctx, prc_fftd_side side, const fftw_complex *global)
{
  int in = side == PRC_FFTD_IN;

  PetscFunctionBegin;
  PetscCall(fd_slab_xfer(ctx->comm, 0, (double *)global, (double *)(in ? ctx->in : ctx->out),
                         in ? ctx->local_ni : ctx->local_no,
                         in ? ctx->local_i_start : ctx->local_o_start, 2, 2, ctx->N));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_fftd_gather(const prc_fftd *ctx, prc_fftd_side side, fftw_complex *global)
{
  int in = side == PRC_FFTD_IN;

  PetscFunctionBegin;
  PetscCall(fd_slab_xfer(ctx->comm, 1, (double *)global, (double *)(in ? ctx->in : ctx->out),
                         in ? ctx->local_ni : ctx->local_no,
                         in ? ctx->local_i_start : ctx->local_o_start, 2, 2, ctx->N));
  PetscFunctionReturn(0);
}

/* ---- 2-D real-to-complex ---------------------------------------------------------------- */

PetscErrorCode prc_fftd2_create(MPI_Comm comm, ptrdiff_t n0, ptrdiff_t n1, unsigned flags,
                                prc_fftd2 **ctx)
{
  prc_fftd2 *f;
  int        ok;

  PetscFunctionBegin;
  PetscCheck(n0 >= 2 && n1 >= 2, comm, PETSC_ERR_ARG_OUTOFRANGE,
             "prc_fftd2_create: expected n0, n1 >= 2; found %td x %td", n0, n1);
  PetscCheck(!(flags & fd_layout_flags), comm, PETSC_ERR_ARG_WRONG,
             "prc_fftd2_create: scrambled/transposed layouts are not supported; found flags 0x%x",
             flags);
  PetscCall(prc_fftd_init());
  PetscCall(PetscCalloc1(1, &f));
  f->comm = comm;
  f->n0 = n0, f->n1 = n1, f->n1c = n1 / 2 + 1, f->n1p = 2 * f->n1c;
  f->alloc_local = fftw_mpi_local_size_2d(n0, f->n1c, comm, &f->local_n0, &f->local_0_start);
  if (f->alloc_local < 1) f->alloc_local = 1;
  f->r = fftw_alloc_real(2 * (size_t)f->alloc_local);
  f->c = fftw_alloc_complex((size_t)f->alloc_local);
  PetscCheck(f->r && f->c, PETSC_COMM_SELF, PETSC_ERR_MEM,
             "prc_fftd2_create: fftw_alloc of %td complex failed for %td x %td", f->alloc_local,
             n0, n1);
  f->r2c = fftw_mpi_plan_dft_r2c_2d(n0, n1, f->r, f->c, comm, flags);
  f->c2r = fftw_mpi_plan_dft_c2r_2d(n0, n1, f->c, f->r, comm, flags);
  PetscCall(fd_all(comm, f->r2c && f->c2r, &ok));
  PetscCheck(ok, comm, PETSC_ERR_LIB,
             "fftw_mpi_plan_dft_r2c_2d/c2r_2d returned NULL for %td x %td, flags 0x%x; expected "
             "plans", n0, n1, flags);
  memset(f->r, 0, 2 * sizeof(double) * (size_t)f->alloc_local);
  memset(f->c, 0, sizeof(fftw_complex) * (size_t)f->alloc_local);
  *ctx = f;
  PetscFunctionReturn(0);
}

PetscErrorCode prc_fftd2_destroy(prc_fftd2 **ctx)
{
  PetscFunctionBegin;
  if (!ctx || !*ctx) PetscFunctionReturn(0);
  if ((*ctx)->r2c) fftw_destroy_plan((*ctx)->r2c);
  if ((*ctx)->c2r) fftw_destroy_plan((*ctx)->c2r);
  fftw_free((*ctx)->r);
  fftw_free((*ctx)->c);
  PetscCall(PetscFree(*ctx));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_fftd2_forward(prc_fftd2 *ctx)
{
  PetscFunctionBegin;
  fftw_execute(ctx->r2c);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_fftd2_backward(prc_fftd2 *ctx)
{
  PetscFunctionBegin;
  fftw_execute(ctx->c2r);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_fftd2_scatter_real(prc_fftd2 *ctx, const double *global)
{
  PetscFunctionBegin;
  PetscCall(fd_slab_xfer(ctx->comm, 0, (double *)global, ctx->r, ctx->local_n0,
                         ctx->local_0_start, ctx->n1, ctx->n1p, ctx->n0));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_fftd2_gather_real(const prc_fftd2 *ctx, double *global)
{
  PetscFunctionBegin;
  PetscCall(fd_slab_xfer(ctx->comm, 1, global, ctx->r, ctx->local_n0, ctx->local_0_start,
                         ctx->n1, ctx->n1p, ctx->n0));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_fftd2_scatter_complex(prc_fftd2 *ctx, const fftw_complex *global)
{
  PetscFunctionBegin;
  PetscCall(fd_slab_xfer(ctx->comm, 0, (double *)global, (double *)ctx->c, ctx->local_n0,
                         ctx->local_0_start, 2 * ctx->n1c, 2 * ctx->n1c, ctx->n0));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_fftd2_gather_complex(const prc_fftd2 *ctx, fftw_complex *global)
{
  PetscFunctionBegin;
  PetscCall(fd_slab_xfer(ctx->comm, 1, (double *)global, (double *)ctx->c, ctx->local_n0,
                         ctx->local_0_start, 2 * ctx->n1c, 2 * ctx->n1c, ctx->n0));
  PetscFunctionReturn(0);
}

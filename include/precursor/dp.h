/* precursor/dp.h — the exact data-parallel reduction of training loops, for stages with
 * their own loop (GAN, online learning) that cannot go through `precursor train`.
 *
 * A step's global batch is cut into M fixed micro-batches; each rank holds the values of its
 * own micro-batches (nloc of them, nloc may be 0). prc_dp_mean_exact() returns, on every rank,
 * the mean over all M micro-batches of every segment, computed in 64-bit fixed point (one
 * MPI_Allreduce(MAX) for the exponents, one fused MPI_Allreduce(SUM) of int64): integer
 * addition is exact and associative, so the result is bitwise the same for any rank count
 * and any assignment of micro-batches to ranks (docs/NN.md "Data parallel" — the same
 * scheme `precursor train` uses). Collective on comm: every rank calls it with the same
 * M, nseg, segment lengths and nextra. */
#ifndef PRECURSOR_DP_H
#define PRECURSOR_DP_H

#include <petscsys.h>
#include <stdint.h>

typedef struct {
  size_t        n;     /* values per micro-batch */
  const float  *f;     /* nloc arrays of n floats (array q at f + q n), or NULL ... */
  const double *d;     /* ... nloc arrays of n doubles (exactly one of f, d) */
  float        *out_f; /* mean over M: n floats (for f) ... */
  double       *out_d; /* ... or n doubles (for d) */
} prc_dp_seg;

/* Mean over the M global micro-batches of each segment; extra[0..nextra) are int64 counts
 * summed exactly over ranks (in place, e.g. #correct). A non-finite value anywhere makes
 * every rank return an error naming `what` (e.g. "gradient of the generator"). */
PetscErrorCode prc_dp_mean_exact(MPI_Comm comm, const char *what, int M, int nloc, int nseg, prc_dp_seg *seg, int nextra,
                                 int64_t *extra);

#endif

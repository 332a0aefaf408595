/* precursor/decomp.h — how work is split over ranks.
 *  - Regional grids: a PETSc DMDA (2-D, no ghost points needed by the per-pixel stages)
 *    gives each rank a rectangular tile; prc_grid_decomp wraps it.
 *  - Station sets: prc_partition_weighted() assigns whole stations to ranks, balanced by
 *    record length (longest first onto the least-loaded rank: LPT), deterministic.
 *  - prc_partition_1d(): contiguous balanced blocks (time steps, cells, samples);
 *    prc_partition_batches(): the same in whole inference batches.
 * The pure functions take rank/size as plain ints so they are unit-tested in one process. */
#ifndef PRECURSOR_DECOMP_H
#define PRECURSOR_DECOMP_H

#include <petscdmda.h>
#include <stdint.h>

#include "precursor/h5io.h"

typedef struct {
  DM       da;
  prc_tile tile; /* this rank's tile */
  PetscInt px, py; /* process grid */
} prc_grid_decomp;

/* Collective: 2-D decomposition of an nx × ny grid over comm (PETSc chooses px × py unless
 * -da_processors_x/-da_processors_y are given). */
PetscErrorCode prc_grid_decomp_create(MPI_Comm comm, PetscInt nx, PetscInt ny, prc_grid_decomp *g);
PetscErrorCode prc_grid_decomp_destroy(prc_grid_decomp *g);

/* Block [*start, *start + *count) of n items for `rank` of `size`: the first n % size ranks
 * get one more. */
void prc_partition_1d(int64_t n, int size, int rank, int64_t *start, int64_t *count);

/* Block [*start, *start + *count) of n items for `rank` of `size` made of whole batches of the
 * global sequence of batches [0, batch), [batch, 2 batch), ... (the last one may be short):
 * the ceil(n / batch) batches are split by prc_partition_1d, so *start is a multiple of batch
 * and a rank that predicts its block batch by batch computes every batch with the same items
 * on any rank count (a GEMM's bits depend on its batch). batch >= 1. */
void prc_partition_batches(int64_t n, int64_t batch, int size, int rank, int64_t *start, int64_t *count);

/* Assign n items of the given lengths (>= 0) to `size` ranks: owner[i] in [0, size).
 * LPT: items by decreasing length (ties: lower index first) onto the least-loaded rank
 * (ties: lower rank). Max load <= mean load + max length. Returns 0, or 1 on bad args. */
int  prc_partition_weighted(const int64_t *len, int n, int size, int *owner);

#endif

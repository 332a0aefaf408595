/* decomp.c — DMDA grid tiles, balanced 1-D blocks, station partition by record length. */
#include "precursor/decomp.h"

#include <stdlib.h>

PetscErrorCode prc_grid_decomp_create(MPI_Comm comm, PetscInt nx, PetscInt ny, prc_grid_decomp *g)
{
  PetscInt xs, ys, zs, xm, ym, zm;
  PetscFunctionBeginUser;
  PetscCall(DMDACreate2d(comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_BOX, nx, ny, PETSC_DECIDE, PETSC_DECIDE,
                         1, 0, NULL, NULL, &g->da));
  PetscCall(DMSetFromOptions(g->da));
  PetscCall(DMSetUp(g->da));
  PetscCall(DMDAGetCorners(g->da, &xs, &ys, &zs, &xm, &ym, &zm));
  PetscCall(DMDAGetInfo(g->da, NULL, NULL, NULL, NULL, &g->px, &g->py, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
  g->tile = (prc_tile){xs, ys, xm, ym, nx, ny};
  PetscFunctionReturn(0);
}

PetscErrorCode prc_grid_decomp_destroy(prc_grid_decomp *g)
{
  PetscFunctionBeginUser;
  PetscCall(DMDestroy(&g->da));
  PetscFunctionReturn(0);
}

void prc_partition_1d(int64_t n, int size, int rank, int64_t *start, int64_t *count)
{
  int64_t q = n / size, r = n % size;
  *count = q + (rank < r);
  *start = rank * q + (rank < r ? rank : r);
}

void prc_partition_batches(int64_t n, int64_t batch, int size, int rank, int64_t *start, int64_t *count)
{
  int64_t q0, qc;
  prc_partition_1d((n + batch - 1) / batch, size, rank, &q0, &qc);
  int64_t a = q0 * batch, b = (q0 + qc) * batch;
  *start = a < n ? a : n;
  *count = (b < n ? b : n) - *start;
}

typedef struct {
  int64_t len;
  int     idx;
} item;

static int by_len_desc(const void *a, const void *b)
{
  const item *x = a, *y = b;
  if (x->len != y->len) return x->len > y->len ? -1 : 1;
  return x->idx - y->idx;
}

int prc_partition_weighted(const int64_t *len, int n, int size, int *owner)
{
  if (n < 0 || size < 1 || (n && (!len || !owner))) return 1;
  for (int i = 0; i < n; i++)
    if (len[i] < 0) return 1;
  item    *it = malloc(sizeof(item) * (size_t)(n ? n : 1));
  int64_t *load = calloc((size_t)size, sizeof(int64_t));
  if (!it || !load) {
    free(it), free(load);
    return 1;
  }
  for (int i = 0; i < n; i++) it[i] = (item){len[i], i};
  qsort(it, (size_t)n, sizeof(item), by_len_desc);
  for (int k = 0; k < n; k++) {
    int best = 0;
    for (int r = 1; r < size; r++)
      if (load[r] < load[best]) best = r;
    owner[it[k].idx] = best;
    load[best] += it[k].len;
  }
  free(it), free(load);
  return 0;
}

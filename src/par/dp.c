/* dp.c — exact (fixed-point) mean over micro-batches across ranks; see include/precursor/dp.h. */
#include "precursor/dp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/error.h"
#include "precursor/nn_train.h"

static double absmax_d(const double *x, size_t n)
{
  double m = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(x[i])) return INFINITY;
    m = fabs(x[i]) > m ? fabs(x[i]) : m;
  }
  return m;
}

PetscErrorCode prc_dp_mean_exact(MPI_Comm comm, const char *what, int M, int nloc, int nseg, prc_dp_seg *seg, int nextra,
                                 int64_t *extra)
{
  double  *mx;
  int     *e;
  size_t   tot = (size_t)nextra;
  int64_t *acc;
  PetscFunctionBeginUser;
  PetscCheck(M > 0 && nloc >= 0 && nloc <= M && nseg >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "prc_dp_mean_exact: bad counts (M %d, local %d, segments %d)", M, nloc, nseg);
  PetscCall(PetscCalloc2(nseg + 1, &mx, nseg + 1, &e));
  for (int s = 0; s < nseg; s++) {
    PetscCheck(!seg[s].f != !seg[s].d, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "prc_dp_mean_exact: segment %d needs exactly one of f, d", s);
    for (int q = 0; q < nloc; q++) {
      double a = seg[s].f ? prc_absmax_f(seg[s].f + (size_t)q * seg[s].n, seg[s].n) : absmax_d(seg[s].d + (size_t)q * seg[s].n, seg[s].n);
      if (isnan(a)) a = INFINITY;
      mx[s] = a > mx[s] ? a : mx[s];
    }
    tot += seg[s].n;
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, mx, nseg ? nseg : 1, MPI_DOUBLE, MPI_MAX, comm));
  for (int s = 0; s < nseg; s++) {
    PetscCheck(isfinite(mx[s]), comm, PETSC_ERR_NOT_CONVERGED, "non-finite %s (segment %d): training diverged or the data overflow float32",
               what, s);
    PrcCallK(prc_fx_exponent(mx[s], M, &e[s]));
  }
  PetscCall(PetscCalloc1(tot + 1, &acc));
  size_t off = 0;
  for (int s = 0; s < nseg; s++) {
    for (int q = 0; q < nloc; q++) {
      if (seg[s].f) prc_fx_add_f(acc + off, seg[s].f + (size_t)q * seg[s].n, seg[s].n, e[s]);
      else prc_fx_add_d(acc + off, seg[s].d + (size_t)q * seg[s].n, seg[s].n, e[s]);
    }
    off += seg[s].n;
  }
  if (nextra) memcpy(acc + off, extra, sizeof(int64_t) * (size_t)nextra);
  PetscCheck(tot <= (size_t)INT32_MAX, PETSC_COMM_SELF, PETSC_ERR_SUP, "prc_dp_mean_exact: %zu values exceed one MPI call", tot);
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, acc, (int)tot, MPI_INT64_T, MPI_SUM, comm));
  off = 0;
  for (int s = 0; s < nseg; s++) {
    if (seg[s].f) prc_fx_to_f(acc + off, seg[s].n, e[s], M, seg[s].out_f);
    else prc_fx_to_d(acc + off, seg[s].n, e[s], M, seg[s].out_d);
    off += seg[s].n;
  }
  if (nextra) memcpy(extra, acc + off, sizeof(int64_t) * (size_t)nextra);
  PetscCall(PetscFree(acc));
  PetscCall(PetscFree2(mx, e));
  PetscFunctionReturn(0);
}

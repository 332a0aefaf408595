/* lst_stack.c — an open LST stack for crop-cutting stages (include/precursor/lst_stack.h). */
#include <math.h>
#include <string.h>

#include "precursor/lst_stack.h"

PetscErrorCode prc_lst_stack_open(prc_ctx *ctx, const char *path, const char *var, prc_lst_stack *S)
{
  int     r;
  hsize_t dims[8], zero = 0;
  char    kind[64];
  int     found;
  PetscFunctionBeginUser;
  memset(S, 0, sizeof *S);
  S->path = path;
  PetscCall(prc_ctx_add_input(ctx, path));
  PetscCall(prc_h5_open(ctx->comm, path, &S->fid));
  PetscCall(prc_h5_attr_get_str(S->fid, "precursor_kind", kind, sizeof kind, &found));
  PetscCheck(found && !strcmp(kind, "grid"), ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
             "'%s' is not an LST stack (attribute precursor_kind = '%s', expected 'grid'; docs/DATA_MODEL.md)", path, found ? kind : "absent");
  PetscCheck(H5Lexists(S->fid, var, H5P_DEFAULT) > 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s' has no dataset '%s' (the stage's stack variable option: -rst_var, -thermal_var, ...)", path, var);
  PetscCall(prc_h5_dims(S->fid, var, &r, dims));
  PetscCheck(r == 3, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /%s has rank %d, expected 3 (time, y, x)", path, var, r);
  PetscCheck(dims[0] > 0 && dims[1] > 0 && dims[2] > 0 && dims[0] < 1u << 30 && dims[1] < 1u << 30 && dims[2] < 1u << 30, ctx->comm,
             PETSC_ERR_FILE_UNEXPECTED, "'%s': /%s is empty or too large", path, var);
  S->nt = (int)dims[0], S->ny = (int)dims[1], S->nx = (int)dims[2];
  PetscCall(PetscMalloc3(S->nt, &S->tim, S->ny, &S->lat, S->nx, &S->lon));
  const char *ax[3] = {"time", "lat", "lon"};
  double     *axv[3] = {S->tim, S->lat, S->lon};
  hsize_t     axn[3] = {dims[0], dims[1], dims[2]};
  for (int i = 0; i < 3; i++) {
    int     rr;
    hsize_t d[8];
    PetscCall(prc_h5_dims(S->fid, ax[i], &rr, d));
    PetscCheck(rr == 1 && d[0] == axn[i], ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /%s has %llu entries, /%s needs %llu", path, ax[i],
               (unsigned long long)d[0], var, (unsigned long long)axn[i]);
    PetscCall(prc_h5_read_nd(S->fid, ax[i], H5T_NATIVE_DOUBLE, &zero, &axn[i], axv[i]));
  }
  for (int t = 0; t < S->nt; t++)
    PetscCheck(isfinite(S->tim[t]) && (!t || S->tim[t] > S->tim[t - 1]), ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
               "'%s': /time[%d] = %g is not after the step before it (time must increase)", path, t, S->tim[t]);
  for (int j = 0; j < S->ny; j++)
    PetscCheck(isfinite(S->lat[j]) && fabs(S->lat[j]) <= 90, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /lat[%d] = %g out of range", path, j, S->lat[j]);
  for (int i = 0; i < S->nx; i++) PetscCheck(isfinite(S->lon[i]), ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /lon[%d] is not finite", path, i);
  S->dset = H5Dopen2(S->fid, var, H5P_DEFAULT);
  PetscCheck(S->dset >= 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': cannot open /%s", path, var);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_lst_stack_close(prc_lst_stack *S)
{
  PetscFunctionBeginUser;
  if (S->dset > 0) H5Dclose(S->dset);
  if (S->fid > 0) PetscCall(prc_h5_close(S->fid));
  PetscCall(PetscFree3(S->tim, S->lat, S->lon));
  memset(S, 0, sizeof *S);
  PetscFunctionReturn(0);
}


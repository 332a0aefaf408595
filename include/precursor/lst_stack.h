/* precursor/lst_stack.h — an open LST stack (kind "grid", docs/DATA_MODEL.md "Regional grid")
 * for the stages that read it (rst, thermal-samples, thermal-score). PETSc layer. */
#ifndef PRECURSOR_LST_STACK_H
#define PRECURSOR_LST_STACK_H

#include "precursor/h5io.h"
#include "precursor/stage.h"

typedef struct {
  const char *path;
  hid_t       fid, dset;
  int         nt, ny, nx;
  double     *tim, *lat, *lon;
} prc_lst_stack;

/* Open `path` (recorded as an input of ctx): attribute precursor_kind = "grid", /var of rank 3
 * (time, y, x), /time finite and increasing, /lat within ±90 and /lon finite, with one entry
 * per step / row / column. Errors name the file, the dataset and the index. Collective. */
PetscErrorCode prc_lst_stack_open(prc_ctx *ctx, const char *path, const char *var, prc_lst_stack *S);
PetscErrorCode prc_lst_stack_close(prc_lst_stack *S);

#endif

/* precursor/error.h — error reporting shared by kernels and the PETSc layers.
 *
 * Two conventions, one per layer (docs/ARCHITECTURE.md):
 *  - Kernels (src/signal, src/thermal, src/viz, src/core/rng ...) do not include mpi.h
 *    or PETSc. They return int: 0 on success, non-zero on failure, after recording a
 *    message with prc_seterr(). The message names what was expected and what was found.
 *  - Everything above (par, io, stages, main) uses PETSc's PetscErrorCode/PetscCall.
 *    PrcCallK(expr) turns a failed kernel call into a PETSc error carrying the
 *    kernel's message.
 */
#ifndef PRECURSOR_ERROR_H
#define PRECURSOR_ERROR_H

#include <stdarg.h>

/* Record an error message (printf-style); returns 1 so that `return prc_seterr(...)` works.
 * Not collective; thread-local buffer. */
int prc_seterr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last message recorded by prc_seterr() in this thread ("" if none). */
const char *prc_lasterr(void);
/* Clear the last message. */
void prc_clearerr(void);

#ifdef PETSC_ERR_LIB
/* Call a kernel that returns int; on failure raise a PETSc error on PETSC_COMM_SELF. */
#define PrcCallK(expr)                                                                     \
  do {                                                                                     \
    int prc_k_rc_ = (expr);                                                                \
    PetscCheck(prc_k_rc_ == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "%s", prc_lasterr());       \
  } while (0)
#endif

#endif

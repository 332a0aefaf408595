/* precursor/collective.h — agreeing on a local outcome across ranks. */
#ifndef PRECURSOR_COLLECTIVE_H
#define PRECURSOR_COLLECTIVE_H

#include <petscsys.h>

/* Every rank of comm passes its local outcome (ok, and a message when not ok); if any rank
 * failed, every rank raises the message of the lowest failing rank (PETSC_ERR_FILE_UNEXPECTED),
 * so no rank is left waiting in a later collective. Messages longer than 1023 bytes are cut. */
PetscErrorCode prc_agree(MPI_Comm comm, int ok, const char *msg);

#endif

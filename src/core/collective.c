/* collective.c — see include/precursor/collective.h. */
#include "precursor/collective.h"

#include <stdio.h>

#define AGREE_MSGLEN 1024

PetscErrorCode prc_agree(MPI_Comm comm, int ok, const char *msg)
{
  PetscMPIInt rank, size;
  char        buf[AGREE_MSGLEN] = "";
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  int first = ok ? size : rank;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, comm));
  if (first == size) PetscFunctionReturn(0);
  if (rank == first) snprintf(buf, sizeof buf, "%s", msg ? msg : "(no message)");
  PetscCallMPI(MPI_Bcast(buf, AGREE_MSGLEN, MPI_CHAR, first, comm));
  SETERRQ(comm, PETSC_ERR_FILE_UNEXPECTED, "%s", buf);
}

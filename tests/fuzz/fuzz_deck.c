/* fuzz_deck.c — libFuzzer harness of input decks: the bytes are a deck file read by
 * PETSc's options-file reader (as main() does through PetscInitialize's file argument),
 * then prc_opts_load() types, range-checks and reports unknown options against the
 * common table plus one option of every type. Built with mpicc (OMPI_CC=clang): PETSc is
 * initialised once as a singleton MPI process. */
#include "fuzz_common.h"
#include "precursor/options.h"

static const prc_opt_spec extra[] = {
  {"k_int", PRC_OPT_INT, "4", 1, 64, "an int with a range"},
  {"alpha", PRC_OPT_REAL, "2000", 0, 1e9, "a real with a range"},
  {"flag", PRC_OPT_BOOL, "false", PRC_NO_RANGE, "a bool"},
  {"start", PRC_OPT_DATE, "2011-03-01", PRC_NO_RANGE, "a date"},
  {"name", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "a required string"},
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  if (PetscInitializeNoArguments()) abort();
  PetscPopSignalHandler();                            /* let ASan/libFuzzer see crashes */
  PetscPushErrorHandler(PetscReturnErrorHandler, NULL); /* deck errors are return codes here */
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char         *path      = fuzz_write(data, size, ".opts");
  const prc_opt_spec *tables[2] = {prc_common_opts, extra};
  int                 counts[2] = {prc_ncommon_opts, (int)(sizeof extra / sizeof extra[0])};
  prc_opts            o;
  memset(&o, 0, sizeof o);
  if (PetscOptionsClear(NULL)) abort();
  if (PetscOptionsInsertFile(PETSC_COMM_SELF, NULL, path, PETSC_TRUE)) return 0; /* rejected by PETSc: fine */
  PetscErrorCode ierr = prc_opts_load(&o, 2, tables, counts);
  if (!ierr && o.nviolations && !(o.violations && o.violations[0])) {
    fprintf(stderr, "%d violations without text\n", o.nviolations);
    abort();
  }
  prc_opts_free(&o);
  return 0;
}

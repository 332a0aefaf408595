/* precursor/stage.h — the stage registry: one entry per subcommand (`precursor STAGE`).
 * Each stage lives in one file src/stages/stage_<name>.c and exports a prc_stage;
 * src/main.c lists them. See docs/ARCHITECTURE.md "Adding a stage". */
#ifndef PRECURSOR_STAGE_H
#define PRECURSOR_STAGE_H

#include "precursor/options.h"

/* What a running stage knows about its run: communicator, options, provenance inputs. */
typedef struct {
  MPI_Comm        comm;
  PetscMPIInt     rank, size;
  const char     *stage;
  const prc_opts *opts;
  double          start_time; /* UTC seconds, same on every rank (rank 0's clock) */
  char           *inputs;     /* "path crc32=... bytes=..." lines of the inputs read (rank-0 string) */
} prc_ctx;

typedef struct {
  const char         *name;    /* subcommand */
  const char         *summary; /* one line for -help */
  const prc_opt_spec *opts;    /* the stage's own options (prefixed with its name) */
  int                 nopts;
  /* Cross-field checks after every option parsed; add prc_opts_violation()s. May be NULL.
   * Runs on every rank with the same options, must not communicate. */
  void (*validate)(prc_opts *o);
  /* Do the work. Collective on ctx->comm. The options are valid. */
  PetscErrorCode (*run)(prc_ctx *ctx);
} prc_stage;

#endif

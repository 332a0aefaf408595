/* precursor/checkpoint.h — stopping near a time limit and resuming.
 *
 * Slurm (`sbatch --signal=B:USR1@SECONDS`, forwarded by slurm/stage.sbatch) or a user
 * sends SIGUSR1 (or SIGTERM) to the ranks. The handler only sets a flag; a stage polls
 * prc_stop_requested() at its block boundaries (collective: every rank sees the same
 * answer), writes a checkpoint and returns PRC_ERR_CHECKPOINTED; every rank then exits
 * with status PRC_EXIT_REQUEUE (99) and the batch script requeues the job. Started again
 * with the same options and -out_dir, the stage finds the checkpoint and continues.
 *
 * A checkpoint is an HDF5 file "<out_dir>/<stage>.checkpoint.h5" (kind "checkpoint",
 * written atomically): magic, format version, stage, the CRC-32 of the options that shape
 * the result, the position reached, and whatever state the stage needs. */
#ifndef PRECURSOR_CHECKPOINT_H
#define PRECURSOR_CHECKPOINT_H

#include "precursor/stage.h"

#define PRC_ERR_CHECKPOINTED 250 /* a stage's return code (beyond PETSc's codes): checkpoint written, stop */
#define PRC_EXIT_REQUEUE 99     /* process exit status for it */
#define PRC_CHECKPOINT_MAGIC "precursor-checkpoint"
#define PRC_CHECKPOINT_VERSION 1

/* Install the SIGUSR1/SIGTERM handlers (after PetscInitialize, replacing PETSc's). */
void           prc_signals_install(void);
/* Collective: has any rank received a stop signal? */
PetscErrorCode prc_stop_requested(MPI_Comm comm, PetscBool *stop);
/* Raise the stop flag from code (tests: -checkpoint_after_blocks). */
void           prc_request_stop(void);
/* CRC-32 of the options that determine the result (all but out_dir, progress_interval,
 * quiet and *_png*): a checkpoint of other options is refused. Same on every rank. */
unsigned long  prc_opts_fingerprint(const prc_opts *o);
/* The same with further option names left out (NULL-terminated list), e.g. the length of a
 * run, so a longer run of the same options may resume. */
unsigned long  prc_opts_fingerprint_skip(const prc_opts *o, const char *const *skip);
/* Path of the stage's checkpoint file in out_dir. */
void           prc_checkpoint_path(const prc_ctx *ctx, char *buf, size_t len);

#endif

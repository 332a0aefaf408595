/* precursor/progress.h — rank-0 progress lines: stage, percent, rate, ETA.
 * Not collective: each rank calls update with its own count of work done; rank 0 prints
 * (rank 0's share is representative because work is balanced). */
#ifndef PRECURSOR_PROGRESS_H
#define PRECURSOR_PROGRESS_H

#include <mpi.h>

typedef struct {
  char   stage[32], what[64], unit[24];
  double total, t0, last, interval;
  int    rank, quiet;
} prc_progress;

/* Start a progress report of `total` units of `unit` (e.g. "pixel-days") for rank-0's share.
 * interval: seconds between lines (0: every update). */
void prc_progress_start(prc_progress *p, MPI_Comm comm, const char *stage, const char *what, const char *unit,
                        double total, double interval, int quiet);
/* Report that `done` units (cumulative) are finished. */
void prc_progress_update(prc_progress *p, double done);
/* Final line with elapsed time and mean rate. */
void prc_progress_end(prc_progress *p);

/* printf on rank 0 of comm with the C library's formatting (PetscPrintf prints %g of 2.0
 * as "2."), flushed. Not collective. */
void prc_say(MPI_Comm comm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

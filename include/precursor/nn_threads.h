/* precursor/nn_threads.h — run independent jobs on one model's replicas in T threads (kernel
 * layer: no MPI, no PETSc).
 *
 * A pool holds the caller's model (replica 0, used by the calling thread) and T − 1 clones
 * (prc_model_clone), one per worker thread, each with its own activations and its own
 * per-thread convolution workspace. `prc_nnpool_run` runs jobs 0 .. njobs−1: job j on
 * replica j mod T. A job must depend only on its index and on the state copied by
 * `prc_nnpool_sync` (parameters, buffers, training flags, dropout seeds/stream), and write
 * its results to job-indexed storage: then the results are the same bits for any T, and
 * the same as running the jobs one after the other on the master. That is how `precursor
 * train -train_threads T` runs a rank's micro-batches (docs/NN.md "Threads").
 *
 *     prc_nnpool *p;
 *     prc_nnpool_create(m, 2, &p);
 *     ... each step: prc_nnpool_sync(p); prc_nnpool_run(p, nmicro, job, &arg); ...
 *     prc_nnpool_destroy(p);
 *
 * OpenBLAS should run one thread per caller (openblas_set_num_threads(1)): the pool is the
 * parallelism. Create and destroy from one thread; run is not re-entrant. */
#ifndef PRECURSOR_NN_THREADS_H
#define PRECURSOR_NN_THREADS_H

#include "precursor/nn_model.h"

#define PRC_NNPOOL_MAX_THREADS 256

typedef struct prc_nnpool prc_nnpool;
/* One job: its replica, its index, the caller's argument; 0 or non-zero after prc_seterr. */
typedef int (*prc_nnpool_fn)(prc_model *m, int job, void *arg);

/* nthreads in [1, PRC_NNPOOL_MAX_THREADS]; 1 = no thread is started (run calls the jobs in order on `master`). */
int  prc_nnpool_create(prc_model *master, int nthreads, prc_nnpool **out);
void prc_nnpool_destroy(prc_nnpool *p);
int  prc_nnpool_threads(const prc_nnpool *p);
/* Replica t (0 = the master). */
prc_model *prc_nnpool_model(prc_nnpool *p, int t);
/* The master's state into every replica (call after each parameter update). */
int prc_nnpool_sync(prc_nnpool *p);
/* Run the jobs; waits for all of them. Returns 0, or non-zero with prc_lasterr() set to the
 * message of the failed job of lowest index ("job j: ...") — every job still runs or fails on
 * its own, no thread is left waiting. */
int prc_nnpool_run(prc_nnpool *p, int njobs, prc_nnpool_fn fn, void *arg);

/* CPUs the calling thread may run on (its affinity mask: the launcher's binding), 0 if
 * unknown; threads beyond it share CPUs. */
int prc_nn_cpus_allowed(void);

#endif

/* threads.c — a fixed pool of worker threads, each with its own model replica
 * (include/precursor/nn_threads.h). Jobs are dealt statically (job j on replica j mod T), so
 * which thread runs a job is fixed; results depend only on the job, not on the thread. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "precursor/nn_threads.h"

#include "nn_internal.h"
#include "precursor/error.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERRLEN 1024

typedef struct {
  struct prc_nnpool *p;
  int                t;
} worker;

struct prc_nnpool {
  int            T;
  prc_model    **m;        /* T replicas; m[0] is the caller's */
  pthread_t     *th;       /* T - 1 workers */
  worker        *wk;
  pthread_mutex_t mu;
  pthread_cond_t go, done;
  unsigned long  gen;      /* incremented per run */
  int            pending;  /* workers still running the current run */
  int            quit;
  /* the current run */
  int            njobs;
  prc_nnpool_fn  fn;
  void          *arg;
  int           *rc;       /* per thread: lowest failed job index, or -1 */
  char          *msg;      /* per thread: its message */
  int            started;  /* threads created (for destroy) */
};

/* The jobs of replica t, in order; records the first failure (others still run). */
static void run_share(struct prc_nnpool *p, int t)
{
  p->rc[t] = -1;
  for (int j = t; j < p->njobs; j += p->T) {
    if (p->fn(p->m[t], j, p->arg) && p->rc[t] < 0) {
      p->rc[t] = j;
      snprintf(p->msg + (size_t)t * ERRLEN, ERRLEN, "%s", prc_lasterr());
    }
  }
}

static void *work_loop(void *a)
{
  worker            *w = a;
  struct prc_nnpool *p = w->p;
  unsigned long      seen = 0;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->quit && p->gen == seen) pthread_cond_wait(&p->go, &p->mu);
    if (p->quit) break;
    seen = p->gen;
    pthread_mutex_unlock(&p->mu);
    run_share(p, w->t);
    pthread_mutex_lock(&p->mu);
    if (--p->pending == 0) pthread_cond_signal(&p->done);
  }
  pthread_mutex_unlock(&p->mu);
  prc_nn_thread_release();
  return NULL;
}

int prc_nnpool_create(prc_model *master, int nthreads, prc_nnpool **out)
{
  *out = NULL;
  if (!master) return prc_seterr("thread pool: no model");
  if (nthreads < 1 || nthreads > PRC_NNPOOL_MAX_THREADS)
    return prc_seterr("thread pool: %d threads (allowed 1..%d)", nthreads, PRC_NNPOOL_MAX_THREADS);
  struct prc_nnpool *p = calloc(1, sizeof *p);
  if (!p) return prc_seterr("thread pool: out of memory");
  p->T   = nthreads;
  p->m   = calloc((size_t)nthreads, sizeof *p->m);
  p->th  = calloc((size_t)nthreads, sizeof *p->th);
  p->wk  = calloc((size_t)nthreads, sizeof *p->wk);
  p->rc  = calloc((size_t)nthreads, sizeof *p->rc);
  p->msg = calloc((size_t)nthreads, ERRLEN);
  if (!p->m || !p->th || !p->wk || !p->rc || !p->msg) {
    free(p->m), free(p->th), free(p->wk), free(p->rc), free(p->msg), free(p);
    return prc_seterr("thread pool: out of memory");
  }
  p->m[0] = master;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->go, NULL);
  pthread_cond_init(&p->done, NULL);
  for (int t = 1; t < nthreads; t++)
    if (prc_model_clone(master, &p->m[t])) {
      prc_seterr("thread pool: replica %d: %s", t, prc_lasterr());
      prc_nnpool_destroy(p);
      return 1;
    }
  for (int t = 1; t < nthreads; t++) {
    p->wk[t].p = p, p->wk[t].t = t;
    int e = pthread_create(&p->th[t], NULL, work_loop, &p->wk[t]);
    if (e) {
      prc_seterr("thread pool: cannot start thread %d of %d: %s", t, nthreads, strerror(e));
      prc_nnpool_destroy(p);
      return 1;
    }
    p->started = t;
  }
  *out = p;
  return 0;
}

void prc_nnpool_destroy(prc_nnpool *p)
{
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->quit = 1;
  pthread_cond_broadcast(&p->go);
  pthread_mutex_unlock(&p->mu);
  for (int t = 1; t <= p->started; t++) pthread_join(p->th[t], NULL);
  for (int t = 1; t < p->T; t++) prc_model_destroy(p->m[t]);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->go);
  pthread_cond_destroy(&p->done);
  free(p->m), free(p->th), free(p->wk), free(p->rc), free(p->msg), free(p);
}

int        prc_nnpool_threads(const prc_nnpool *p) { return p->T; }
prc_model *prc_nnpool_model(prc_nnpool *p, int t) { return t >= 0 && t < p->T ? p->m[t] : NULL; }

int prc_nnpool_sync(prc_nnpool *p)
{
  for (int t = 1; t < p->T; t++)
    if (prc_model_copy_state(p->m[t], p->m[0])) return 1;
  return 0;
}

int prc_nnpool_run(prc_nnpool *p, int njobs, prc_nnpool_fn fn, void *arg)
{
  if (njobs < 0 || !fn) return prc_seterr("thread pool: bad run (%d jobs)", njobs);
  p->njobs = njobs, p->fn = fn, p->arg = arg;
  int wake = p->T > 1 && njobs > 1; /* else the calling thread runs every job */
  if (!wake)
    for (int t = 1; t < p->T; t++) p->rc[t] = -1;
  if (wake) {
    pthread_mutex_lock(&p->mu);
    p->pending = p->T - 1; /* every worker wakes (one without a job returns at once) */
    p->gen++;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
  }
  run_share(p, 0);
  if (wake) {
    pthread_mutex_lock(&p->mu);
    while (p->pending) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
  }
  int first = -1, ft = 0;
  for (int t = 0; t < p->T; t++)
    if (p->rc[t] >= 0 && (first < 0 || p->rc[t] < first)) first = p->rc[t], ft = t;
  if (first >= 0) return prc_seterr("job %d: %s", first, p->msg + (size_t)ft * ERRLEN);
  return 0;
}

int prc_nn_cpus_allowed(void)
{
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set)) return 0;
  return CPU_COUNT(&set);
}

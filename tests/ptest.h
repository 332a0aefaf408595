/* ptest.h — a tiny test harness for precursor's C tests (header-only).
 *
 * A test program defines `static void test_xxx(void)` functions and runs them with
 * PT_RUN(test_xxx) from main, then `return pt_finish();`.  Each test prints one line
 * that tests/run.sh counts:
 *     ok <program>/<test>
 *     FAIL <program>/<test>
 *     skip <program>/<test>: <reason>
 * Failed checks print the file, line, expression and values to stderr.
 *
 * MPI tests: #define PT_MPI before including; call pt_mpi_init(&argc,&argv) first (or
 * initialise PETSc yourself).  A test fails if it fails on any rank (MPI_Allreduce MAX),
 * and only rank 0 prints the verdict, suffixed with "[np=N]".
 */
#ifndef PTEST_H
#define PTEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef PT_MPI
#include <mpi.h>
#endif

static int pt_npass, pt_nfail, pt_nskip;
static int pt_cur_fail, pt_cur_skip;
static char pt_skip_reason[256];
static const char *pt_prog = "test";

#define PT_CHECK(cond, ...)                                                                 \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      pt_cur_fail = 1;                                                                      \
      fprintf(stderr, "  %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);           \
      fprintf(stderr, __VA_ARGS__);                                                         \
      fputc('\n', stderr);                                                                  \
    }                                                                                       \
  } while (0)

/* |a-b| <= atol + rtol*|b| */
#define PT_NEAR(a, b, atol, rtol)                                                           \
  do {                                                                                      \
    double pt_a_ = (double)(a), pt_b_ = (double)(b);                                        \
    if (!(fabs(pt_a_ - pt_b_) <= (atol) + (rtol) * fabs(pt_b_))) {                          \
      pt_cur_fail = 1;                                                                      \
      fprintf(stderr, "  %s:%d: %s = %.17g, expected %s = %.17g (atol %g, rtol %g)\n",    \
              __FILE__, __LINE__, #a, pt_a_, #b, pt_b_, (double)(atol), (double)(rtol));    \
    }                                                                                       \
  } while (0)

#define PT_SKIP(...)                                                                        \
  do {                                                                                      \
    pt_cur_skip = 1;                                                                        \
    snprintf(pt_skip_reason, sizeof pt_skip_reason, __VA_ARGS__);                           \
    return;                                                                                 \
  } while (0)

static inline int pt_rank(void)
{
#ifdef PT_MPI
  int r = 0, init = 0;
  MPI_Initialized(&init);
  if (init) MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
#else
  return 0;
#endif
}

static inline void pt_run(const char *name, void (*fn)(void))
{
  pt_cur_fail = 0;
  pt_cur_skip = 0;
  pt_skip_reason[0] = '\0';
  fn();
  int fail = pt_cur_fail, skip = pt_cur_skip, np = 1;
#ifdef PT_MPI
  MPI_Allreduce(MPI_IN_PLACE, &fail, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, &skip, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Comm_size(MPI_COMM_WORLD, &np);
#endif
  char suffix[32] = "";
  if (np > 1) snprintf(suffix, sizeof suffix, " [np=%d]", np);
  if (fail) pt_nfail++;
  else if (skip) pt_nskip++;
  else pt_npass++;
  if (pt_rank() == 0) {
    if (fail) printf("FAIL %s/%s%s\n", pt_prog, name, suffix);
    else if (skip) printf("skip %s/%s%s: %s\n", pt_prog, name, suffix, pt_skip_reason);
    else printf("ok %s/%s%s\n", pt_prog, name, suffix);
    fflush(stdout);
  }
}

#define PT_RUN(fn) pt_run(#fn, fn)

static inline void pt_set_prog(const char *argv0)
{
  const char *s = strrchr(argv0, '/');
  pt_prog = s ? s + 1 : argv0;
}

/* Returns the process exit code: 1 if any test failed. */
static inline int pt_finish(void) { return pt_nfail ? 1 : 0; }

/* Path of the shared real-data folder (../shared/data relative to the repo root), or
 * PRC_SHARED_DATA if set. Returns NULL if it does not exist. */
static inline const char *pt_shared_data(void)
{
  static char buf[4096];
  const char *env = getenv("PRC_SHARED_DATA");
  snprintf(buf, sizeof buf, "%s", env ? env : "../shared/data");
  FILE *f;
  char probe[4200];
  snprintf(probe, sizeof probe, "%s/README.md", buf);
  if (!(f = fopen(probe, "r"))) return NULL;
  fclose(f);
  return buf;
}

#endif

/* main.c — the stage registry and dispatch of `precursor STAGE [-options_file deck] [-key value ...]`.
 * Nothing else lives here: options, errors and I/O are in src/core and src/io. */
#include <hdf5.h>
#include <petscsys.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "precursor/checkpoint.h"
#include "precursor/h5io.h"
#include "precursor/stage.h"
#include "precursor/timeutil.h"

/* The stage table: one line per stage, in the order -help lists them. */
extern const prc_stage prc_stage_synth;
extern const prc_stage prc_stage_import_iaga;
extern const prc_stage prc_stage_import_mseed;
extern const prc_stage prc_stage_import_stead;
extern const prc_stage prc_stage_import_modis;
extern const prc_stage prc_stage_rst;
extern const prc_stage prc_stage_rst_forecast;
extern const prc_stage prc_stage_thermal_score;
extern const prc_stage prc_stage_em_score;
extern const prc_stage prc_stage_vmd;
extern const prc_stage prc_stage_selftest;
extern const prc_stage prc_stage_import_catalog;
extern const prc_stage prc_stage_evaluate;
extern const prc_stage prc_stage_indicators;
extern const prc_stage prc_stage_study;
extern const prc_stage prc_stage_cluster;
extern const prc_stage prc_stage_train;
extern const prc_stage prc_stage_windows;
extern const prc_stage prc_stage_detect;
extern const prc_stage prc_stage_synth_waves;
extern const prc_stage prc_stage_em_samples;
extern const prc_stage prc_stage_em_eval;
extern const prc_stage prc_stage_online;
extern const prc_stage prc_stage_tree;
extern const prc_stage prc_stage_em_fusion;
extern const prc_stage prc_stage_thermal_samples;
extern const prc_stage prc_stage_thermal_forecast;
extern const prc_stage prc_stage_thermal_gan;

static const prc_stage *const stages[] = {
  &prc_stage_synth,
  &prc_stage_import_catalog,
  &prc_stage_import_iaga,
  &prc_stage_import_mseed,
  &prc_stage_import_stead,
  &prc_stage_import_modis,
  &prc_stage_rst,
  &prc_stage_rst_forecast,
  &prc_stage_thermal_score,
  &prc_stage_em_score,
  &prc_stage_indicators,
  &prc_stage_evaluate,
  &prc_stage_study,
  &prc_stage_cluster,
  &prc_stage_synth_waves,
  &prc_stage_windows,
  &prc_stage_detect,
  &prc_stage_vmd,
  &prc_stage_thermal_samples,
  &prc_stage_thermal_gan,
  &prc_stage_thermal_forecast,
  &prc_stage_train,
  &prc_stage_em_samples,
  &prc_stage_em_eval,
  &prc_stage_online,
  &prc_stage_tree,
  &prc_stage_em_fusion,
  &prc_stage_selftest,
};
static const int              nstages = (int)(sizeof stages / sizeof stages[0]);

#ifndef PRC_VERSION
#define PRC_VERSION "unknown"
#endif

static void usage(FILE *f)
{
  fprintf(f, "precursor %s — earthquake precursors and short-term forecasts on MPI clusters\n\n"
             "usage: [mpirun -n N] precursor STAGE [-options_file inputs/DECK.opts] [-key value ...]\n"
             "       precursor [STAGE] -help      options of one stage (or of all) with defaults and ranges\n"
             "       precursor -version\n\nstages:\n",
          PRC_VERSION);
  for (int i = 0; i < nstages; i++) fprintf(f, "  %-15s %s\n", stages[i]->name, stages[i]->summary);
  fprintf(f, "\nDeck values are overridden by the command line. PETSc options such as -log_view work too.\n");
}

static void help(FILE *f, const prc_stage *s)
{
  usage(f);
  fprintf(f, "\noptions of every stage:\n");
  prc_opts_print_help(f, prc_common_opts, prc_ncommon_opts);
  for (int i = 0; i < nstages; i++)
    if (!s || s == stages[i]) {
      fprintf(f, "\noptions of '%s':\n", stages[i]->name);
      prc_opts_print_help(f, stages[i]->opts, stages[i]->nopts);
    }
}

/* The first error on each rank is printed once, plainly, with where it was raised. */
static PetscErrorCode error_handler(MPI_Comm comm, int line, const char *fun, const char *file, PetscErrorCode n,
                                    PetscErrorType p, const char *mess, void *ctx)
{
  if (p == PETSC_ERROR_INITIAL && n != PETSC_ERR_USER_INPUT && n != PRC_ERR_CHECKPOINTED) {
    int rank = 0, crank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (comm != MPI_COMM_NULL) MPI_Comm_rank(comm, &crank);
    if (crank) return n; /* an error raised collectively on comm: its rank 0 reports it */
    fprintf(stderr, "precursor %s: error on rank %d: %s\n  (raised in %s() at %s:%d)\n", (const char *)ctx, rank,
            mess ? mess : "(no message)", fun, file, line);
    fflush(stderr);
  }
  return n;
}

static int world_rank_from_env(void)
{
  const char *r = getenv("OMPI_COMM_WORLD_RANK");
  if (!r) r = getenv("PMIX_RANK");
  if (!r) r = getenv("SLURM_PROCID");
  return r ? atoi(r) : 0;
}

/* MPI-IO layer: with Open MPI, ROMIO instead of OMPIO (its default on local file systems),
 * unless the user chose one (OMPI_MCA_io) or asked for the default (PRC_MPIIO=native).
 * Measured: two ranks writing one HDF5 file through OMPIO spin on the file's inode lock
 * (rst end to end 8.3-8.7 s vs 4.7-5.8 s with ROMIO; docs/CLUSTER.md "MPI-IO"). "^ompio"
 * names no version-specific component. Must run before MPI_Init. Returns 0, or 2 for a bad
 * PRC_MPIIO. */
static int choose_mpiio(void)
{
  const char *p = getenv("PRC_MPIIO");
  if (p && strcmp(p, "romio") && strcmp(p, "native")) {
    if (!world_rank_from_env()) fprintf(stderr, "precursor: PRC_MPIIO='%s': expected romio (the default) or native\n", p);
    return 2;
  }
  if ((p && !strcmp(p, "native")) || getenv("OMPI_MCA_io")) return 0;
  setenv("OMPI_MCA_io", "^ompio", 0);
  return 0;
}

int main(int argc, char **argv)
{
  const prc_stage *st = NULL;
  const char      *deck = NULL;
  int              want_help = 0;
  char           **args = malloc(sizeof(char *) * (size_t)(argc + 1));
  int              nargs = 0;
  if (!args) return 1;
  args[nargs++] = argv[0];
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-help") || !strcmp(a, "--help") || !strcmp(a, "-h")) want_help = 1;
    else if (!strcmp(a, "-version") || !strcmp(a, "--version")) {
      if (!world_rank_from_env()) printf("precursor %s\n", PRC_VERSION);
      return 0;
    } else if (!strcmp(a, "-options_file")) {
      if (i + 1 >= argc || deck) {
        if (!world_rank_from_env())
          fprintf(stderr, "precursor: %s\n", deck ? "give -options_file once (one deck per run; override keys on the command line)"
                                                  : "-options_file needs a file name");
        return 2;
      }
      deck = argv[++i];
    } else if (i == 1 && a[0] != '-') {
      for (int k = 0; k < nstages; k++)
        if (!strcmp(a, stages[k]->name)) st = stages[k];
      if (!st) {
        if (!world_rank_from_env()) {
          fprintf(stderr, "precursor: unknown stage '%s'\n\n", a);
          usage(stderr);
        }
        return 2;
      }
    } else args[nargs++] = argv[i];
  }
  args[nargs] = NULL;
  if (want_help) {
    if (!world_rank_from_env()) help(stdout, st);
    return 0;
  }
  if (!st) {
    if (!world_rank_from_env()) usage(stderr);
    return 2;
  }
  if (deck && access(deck, R_OK)) {
    if (!world_rank_from_env())
      fprintf(stderr, "precursor %s: cannot read input deck '%s' (-options_file): %s\n", st->name, deck, strerror(errno));
    return 2;
  }

  if (choose_mpiio()) return 2;
  prc_signals_install(); /* a stop request during start-up must not kill the process */
  /* The deck is PETSc's "file" argument, read before the command line, so the command line wins. */
  PetscErrorCode ierr = PetscInitialize(&nargs, &args, deck ? deck : "", NULL);
  if (ierr) {
    fprintf(stderr, "precursor %s: PETSc initialisation failed (malformed deck '%s'?)\n", st->name, deck ? deck : "");
    return 2;
  }
  PetscPushErrorHandler(error_handler, (void *)st->name);
  prc_signals_install(); /* again: PetscInitialize installed its own handlers */

  prc_ctx             ctx = {.comm = PETSC_COMM_WORLD, .stage = st->name};
  prc_opts            opts;
  PetscLogStage       logst;
  const prc_opt_spec *tables[2] = {prc_common_opts, st->opts};
  int                 counts[2] = {prc_ncommon_opts, st->nopts};
  MPI_Comm_rank(ctx.comm, &ctx.rank);
  MPI_Comm_size(ctx.comm, &ctx.size);
  ctx.start_time = prc_time_now();
  (void)MPI_Bcast(&ctx.start_time, 1, MPI_DOUBLE, 0, ctx.comm);

  ierr = prc_h5_init();
  if (!ierr) ierr = prc_opts_load(&opts, 2, tables, counts);
  if (!ierr && st->validate) st->validate(&opts);
  if (!ierr) ierr = prc_opts_check(&opts, ctx.comm, st->name);
  if (!ierr) {
    ctx.opts = &opts;
    (void)PetscLogStageRegister(st->name, &logst);
    (void)PetscLogStagePush(logst);
    ierr = st->run(&ctx);
    (void)PetscLogStagePop();
  }
  if (ierr == PRC_ERR_CHECKPOINTED) { /* decided collectively: every rank is here */
    if (!ctx.rank) fprintf(stderr, "precursor %s: stopped on request after writing a checkpoint; run again to resume (exit %d)\n",
                           st->name, PRC_EXIT_REQUEUE);
    prc_opts_free(&opts);
    PetscFinalize();
    return PRC_EXIT_REQUEUE;
  }
  if (ierr == PETSC_ERR_USER_INPUT) { /* reported by rank 0 and identical on every rank */
    prc_opts_free(&opts);
    PetscFinalize();
    return 2;
  }
  if (ierr) {
    /* A failure may be local to one rank while the others wait in a collective: abort the
     * whole job so that no rank is left hanging. Outputs under their final names are
     * complete files from earlier runs or this one; partial ones only exist as *.tmp-*. */
    fprintf(stderr, "precursor %s: failed on rank %d (error code %d); stopping all %d ranks\n", st->name, ctx.rank,
            (int)ierr, ctx.size);
    fflush(stderr);
    if (ctx.size > 1) MPI_Abort(ctx.comm, 1);
    /* One rank: close what the failed stage left open (its *.tmp-* file) while MPI-IO is
     * still alive. Left to MPI_Finalize, HDF5's MPI_COMM_SELF callback would flush it after
     * ROMIO's own callback had torn ROMIO down (a segfault, exit 139, seen with ROMIO). */
    H5close();
    PetscFinalize();
    return 1;
  }
  prc_opts_free(&opts);
  free(ctx.inputs);
  ierr = PetscFinalize();
  free(args);
  return ierr ? 1 : 0;
}

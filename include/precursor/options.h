/* precursor/options.h — typed, validated options on top of PETSc's options database.
 *
 * Every stage declares its options in a table of prc_opt_spec (name without the dash,
 * type, default, range, meaning). prc_opts_load() reads each from the PETSc database
 * (input deck given with -options_file, then the command line, which wins), parses and
 * range-checks it, and collects *every* violation; unknown options (set but declared by
 * no table and not PETSc's own) are violations too. Every rank holds the same database,
 * so every rank reaches the same verdict and nobody is left waiting in a collective;
 * rank 0 prints the list. */
#ifndef PRECURSOR_OPTIONS_H
#define PRECURSOR_OPTIONS_H

#include <petscsys.h>

typedef enum { PRC_OPT_INT, PRC_OPT_REAL, PRC_OPT_BOOL, PRC_OPT_STRING, PRC_OPT_DATE } prc_opt_type;

typedef struct {
  const char  *name; /* e.g. "synth_nx" (given as -synth_nx on the command line) */
  prc_opt_type type;
  const char  *def;  /* default as text; NULL = required */
  double       min, max; /* inclusive range for INT/REAL (ignored when min > max) */
  const char  *help; /* meaning and unit */
} prc_opt_spec;

#define PRC_MAX_OPTS 128
#define PRC_NO_RANGE 1.0, 0.0

typedef struct {
  const prc_opt_spec *spec[PRC_MAX_OPTS];
  char               *text[PRC_MAX_OPTS]; /* value as given (or the default) */
  double              num[PRC_MAX_OPTS];  /* parsed INT/REAL/BOOL/DATE (seconds since epoch) */
  int                 given[PRC_MAX_OPTS]; /* set by deck/command line (1) or default (0) */
  int                 n;
  char               *violations; /* newline-separated list */
  int                 nviolations;
} prc_opts;

/* Options every stage has (out_dir, seed, progress interval ...). */
extern const prc_opt_spec prc_common_opts[];
extern const int          prc_ncommon_opts;

/* Read and check the options of `tables` (ntables tables of counts[i] entries) from the
 * PETSc database. Never fails on bad values: those become violations (see below).
 * Collective only in the sense that all ranks must call it with the same tables. */
PetscErrorCode prc_opts_load(prc_opts *o, int ntables, const prc_opt_spec *const tables[], const int counts[]);
/* Add a violation (printf-style), e.g. from a stage's cross-field validation. */
void           prc_opts_violation(prc_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* If there are violations: rank 0 prints them all, and every rank returns a PETSc error
 * PETSC_ERR_USER_INPUT (the same on every rank; no collective is pending). */
PetscErrorCode prc_opts_check(prc_opts *o, MPI_Comm comm, const char *stage);
/* Typed getters; the name must be declared (else it aborts loudly: a programming error). */
PetscInt       prc_opts_int(const prc_opts *o, const char *name);
PetscReal      prc_opts_real(const prc_opts *o, const char *name);
PetscBool      prc_opts_bool(const prc_opts *o, const char *name);
const char    *prc_opts_string(const prc_opts *o, const char *name);
/* All options and their values as "-key value" lines (for provenance). Caller frees. */
PetscErrorCode prc_opts_dump(const prc_opts *o, char **out);
void           prc_opts_free(prc_opts *o);
/* Print a table's options (name, type, default, range, meaning) to f. */
void           prc_opts_print_help(FILE *f, const prc_opt_spec *t, int n);

#endif

/* options.c — typed option tables over the PETSc options database, with all-at-once
 * validation and unknown-option detection. */
#include "precursor/options.h"
#include "precursor/error.h"
#include "precursor/timeutil.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const prc_opt_spec prc_common_opts[] = {
  {"out_dir", PRC_OPT_STRING, "outputs/run", PRC_NO_RANGE, "folder for this stage's outputs (created if missing)"},
  {"seed", PRC_OPT_INT, "20260101", 0, 9.0e15, "seed of every random stream of the stage"},
  {"progress_interval", PRC_OPT_REAL, "2", 0, 3600, "seconds between rank-0 progress lines (0 = every update)"},
  {"quiet", PRC_OPT_BOOL, "false", PRC_NO_RANGE, "no progress lines (errors and the summary are still printed)"},
  {"checkpoint_after_blocks", PRC_OPT_INT, "0", 0, 1e9,
   "stop with a checkpoint after this many blocks, as on SIGUSR1 (0 = only on a signal); for rehearsals and tests"},
};
const int prc_ncommon_opts = (int)(sizeof prc_common_opts / sizeof prc_common_opts[0]);

/* PETSc's own options that may appear on a precursor command line. */
static const char *petsc_prefixes[] = {"log_", "malloc", "options_", "info", "help", "on_error_", "no_signal_handler",
                                       "check_pointer_intensity", "viewer_", "da_", "fp_trap", "objects_dump",
                                       "memory_view", "skip_petscrc", "debugger", "start_in_debugger", "v", "version"};

void prc_opts_violation(prc_opts *o, const char *fmt, ...)
{
  char    line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  size_t old = o->violations ? strlen(o->violations) : 0, add = strlen(line) + 2;
  char  *nv = realloc(o->violations, old + add);
  if (!nv) return;
  memcpy(nv + old, line, add - 2);
  nv[old + add - 2] = '\n';
  nv[old + add - 1] = '\0';
  o->violations = nv;
  o->nviolations++;
}

static const char *type_name(prc_opt_type t)
{
  switch (t) {
  case PRC_OPT_INT: return "int";
  case PRC_OPT_REAL: return "real";
  case PRC_OPT_BOOL: return "bool";
  case PRC_OPT_DATE: return "date";
  default: return "string";
  }
}

/* Parse and range-check one value; violations are recorded. */
static void parse_value(prc_opts *o, int i)
{
  const prc_opt_spec *s = o->spec[i];
  const char         *v = o->text[i];
  char               *end = NULL;
  switch (s->type) {
  case PRC_OPT_INT: {
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || *end || errno || x != floor(x) || fabs(x) > 9.007199254740992e15) {
      prc_opts_violation(o, "-%s %s: not an integer", s->name, v);
      return;
    }
    o->num[i] = x;
    break;
  }
  case PRC_OPT_REAL:
    errno = 0;
    o->num[i] = strtod(v, &end);
    if (!*v || *end || errno || !isfinite(o->num[i])) {
      prc_opts_violation(o, "-%s %s: not a finite real number", s->name, v);
      return;
    }
    break;
  case PRC_OPT_BOOL:
    if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "on")) o->num[i] = 1;
    else if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no") || !strcasecmp(v, "off")) o->num[i] = 0;
    else prc_opts_violation(o, "-%s %s: not a boolean (true/false)", s->name, v);
    return;
  case PRC_OPT_DATE:
    if (prc_time_parse(v, &o->num[i])) prc_opts_violation(o, "-%s: %s", s->name, prc_lasterr());
    return;
  case PRC_OPT_STRING:
    if (!*v) prc_opts_violation(o, "-%s: empty value", s->name);
    return;
  }
  if (s->min <= s->max && (o->num[i] < s->min || o->num[i] > s->max))
    prc_opts_violation(o, "-%s %s: out of range [%g, %g] (%s)", s->name, v, s->min, s->max, s->help);
}

static int is_petsc_option(const char *name)
{
  for (size_t k = 0; k < sizeof petsc_prefixes / sizeof petsc_prefixes[0]; k++) {
    size_t l = strlen(petsc_prefixes[k]);
    if (!strncmp(name, petsc_prefixes[k], l) && (petsc_prefixes[k][l - 1] == '_' || name[l] == '\0' || l > 2)) return 1;
  }
  return 0;
}

/* Levenshtein distance, for "did you mean". */
static int edit_distance(const char *a, const char *b)
{
  int la = (int)strlen(a), lb = (int)strlen(b), d[64][64];
  if (la > 63 || lb > 63) return 99;
  for (int i = 0; i <= la; i++) d[i][0] = i;
  for (int j = 0; j <= lb; j++) d[0][j] = j;
  for (int i = 1; i <= la; i++)
    for (int j = 1; j <= lb; j++) {
      int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
      if (d[i - 1][j] + 1 < c) c = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < c) c = d[i][j - 1] + 1;
      d[i][j] = c;
    }
  return d[la][lb];
}

PetscErrorCode prc_opts_load(prc_opts *o, int ntables, const prc_opt_spec *const tables[], const int counts[])
{
  PetscFunctionBeginUser;
  memset(o, 0, sizeof *o);
  for (int t = 0; t < ntables; t++)
    for (int k = 0; k < counts[t]; k++) {
      PetscCheck(o->n < PRC_MAX_OPTS, PETSC_COMM_SELF, PETSC_ERR_PLIB, "too many options (max %d)", PRC_MAX_OPTS);
      const prc_opt_spec *s = &tables[t][k];
      int                 i = o->n++;
      char                key[256], buf[4096] = "";
      PetscBool           set = PETSC_FALSE;
      o->spec[i] = s;
      snprintf(key, sizeof key, "-%s", s->name);
      PetscCall(PetscOptionsGetString(NULL, NULL, key, buf, sizeof buf, &set));
      if (set && !buf[0] && s->type == PRC_OPT_BOOL) snprintf(buf, sizeof buf, "true"); /* bare -flag */
      if (set && !buf[0]) {
        prc_opts_violation(o, "-%s given without a value (%s)", s->name, s->help);
        PetscCall(PetscStrallocpy(s->def ? s->def : "", &o->text[i]));
        continue;
      }
      if (!set && !s->def) {
        prc_opts_violation(o, "-%s is required (%s)", s->name, s->help);
        PetscCall(PetscStrallocpy("", &o->text[i]));
        continue;
      }
      o->given[i] = set;
      PetscCall(PetscStrallocpy(set ? buf : s->def, &o->text[i]));
      parse_value(o, i);
    }
  /* Unknown options: anything in the database that no table declares. */
  PetscInt nleft;
  char   **names = NULL, **values = NULL;
  PetscCall(PetscOptionsLeftGet(NULL, &nleft, &names, &values));
  for (PetscInt k = 0; k < nleft; k++) {
    const char *nm = names[k];
    if (is_petsc_option(nm)) continue;
    const char *best = NULL;
    int         bd = 4;
    for (int i = 0; i < o->n; i++) {
      int dd = edit_distance(nm, o->spec[i]->name);
      if (dd < bd) bd = dd, best = o->spec[i]->name;
    }
    if (best) prc_opts_violation(o, "unknown option -%s (did you mean -%s?)", nm, best);
    else prc_opts_violation(o, "unknown option -%s (see 'precursor STAGE -help')", nm);
  }
  PetscCall(PetscOptionsLeftRestore(NULL, &nleft, &names, &values));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_opts_check(prc_opts *o, MPI_Comm comm, const char *stage)
{
  PetscMPIInt rank;
  PetscFunctionBeginUser;
  if (!o->nviolations) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank) {
    fprintf(stderr, "precursor %s: %d problem%s with the options (nothing was run):\n", stage, o->nviolations,
            o->nviolations > 1 ? "s" : "");
    for (char *p = o->violations; p && *p;) {
      char *nl = strchr(p, '\n');
      fprintf(stderr, "  - %.*s\n", (int)(nl ? nl - p : (long)strlen(p)), p);
      p = nl ? nl + 1 : p + strlen(p);
    }
    fprintf(stderr, "  HINT: 'precursor %s -help' lists every option with its default and range.\n", stage);
  }
  return PETSC_ERR_USER_INPUT; /* same on every rank, reported above; no PETSc trace */
}

static int find(const prc_opts *o, const char *name)
{
  for (int i = 0; i < o->n; i++)
    if (!strcmp(o->spec[i]->name, name)) return i;
  fprintf(stderr, "precursor: internal error: option -%s read but not declared\n", name);
  abort();
}

PetscInt    prc_opts_int(const prc_opts *o, const char *name) { return (PetscInt)o->num[find(o, name)]; }
PetscReal   prc_opts_real(const prc_opts *o, const char *name) { return o->num[find(o, name)]; }
PetscBool   prc_opts_bool(const prc_opts *o, const char *name) { return o->num[find(o, name)] != 0 ? PETSC_TRUE : PETSC_FALSE; }
const char *prc_opts_string(const prc_opts *o, const char *name) { return o->text[find(o, name)]; }

PetscErrorCode prc_opts_dump(const prc_opts *o, char **out)
{
  size_t len = 1;
  PetscFunctionBeginUser;
  for (int i = 0; i < o->n; i++) len += strlen(o->spec[i]->name) + strlen(o->text[i]) + 24;
  PetscCall(PetscMalloc1(len, out));
  char *p = *out;
  p[0] = '\0';
  for (int i = 0; i < o->n; i++)
    p += sprintf(p, "-%s %s%s\n", o->spec[i]->name, o->text[i], o->given[i] ? "" : "  # default");
  PetscFunctionReturn(0);
}

void prc_opts_free(prc_opts *o)
{
  for (int i = 0; i < o->n; i++) PetscFree(o->text[i]);
  free(o->violations);
  memset(o, 0, sizeof *o);
}

void prc_opts_print_help(FILE *f, const prc_opt_spec *t, int n)
{
  for (int i = 0; i < n; i++) {
    char range[64] = "";
    if (t[i].min <= t[i].max && (t[i].type == PRC_OPT_INT || t[i].type == PRC_OPT_REAL))
      snprintf(range, sizeof range, " [%g, %g]", t[i].min, t[i].max);
    fprintf(f, "  -%-26s <%s> default %s%s\n      %s\n", t[i].name, type_name(t[i].type), t[i].def ? t[i].def : "(required)",
            range, t[i].help);
  }
}

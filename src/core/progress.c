/* progress.c — rank-0 progress lines with rate and ETA. */
#include "precursor/progress.h"
#include "precursor/timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void fmt_dur(double s, char *b, size_t n)
{
  long t = (long)(s + 0.5);
  if (t >= 3600) snprintf(b, n, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else snprintf(b, n, "%ld:%02ld", t / 60, t % 60);
}

static void fmt_rate(double r, char *b, size_t n)
{
  if (r >= 1e9) snprintf(b, n, "%.2fG", r / 1e9);
  else if (r >= 1e6) snprintf(b, n, "%.2fM", r / 1e6);
  else if (r >= 1e3) snprintf(b, n, "%.2fk", r / 1e3);
  else snprintf(b, n, "%.1f", r);
}

void prc_progress_start(prc_progress *p, MPI_Comm comm, const char *stage, const char *what, const char *unit,
                        double total, double interval, int quiet)
{
  memset(p, 0, sizeof *p);
  MPI_Comm_rank(comm, &p->rank);
  snprintf(p->stage, sizeof p->stage, "%s", stage);
  snprintf(p->what, sizeof p->what, "%s", what);
  snprintf(p->unit, sizeof p->unit, "%s", unit);
  p->total = total > 0 ? total : 1;
  p->t0 = p->last = prc_time_now();
  p->interval = interval;
  p->quiet = quiet;
}

void prc_progress_update(prc_progress *p, double done)
{
  if (p->rank || p->quiet) return;
  double now = prc_time_now();
  if (now - p->last < p->interval && done < p->total) return;
  p->last = now;
  double el = now - p->t0, rate = el > 0 ? done / el : 0, eta = rate > 0 ? (p->total - done) / rate : 0;
  char   r[32], e[32], l[32];
  fmt_rate(rate, r, sizeof r);
  fmt_dur(eta, e, sizeof e);
  fmt_dur(el, l, sizeof l);
  printf("[%s] %-14s %5.1f%%  %s %s/s  ETA %s  (elapsed %s)\n", p->stage, p->what, 100.0 * done / p->total, r, p->unit,
         e, l);
  fflush(stdout);
}

void prc_progress_end(prc_progress *p)
{
  if (p->rank || p->quiet) return;
  double el = prc_time_now() - p->t0;
  char   r[32], l[32];
  fmt_rate(el > 0 ? p->total / el : 0, r, sizeof r);
  fmt_dur(el, l, sizeof l);
  printf("[%s] %-14s done in %s (%s %s/s on rank 0)\n", p->stage, p->what, l, r, p->unit);
  fflush(stdout);
}

void prc_say(MPI_Comm comm, const char *fmt, ...)
{
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (rank) return;
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  fflush(stdout);
}

/* error.c — thread-local last-error message for kernels that know nothing of MPI/PETSc. */
#include "precursor/error.h"

#include <stdio.h>

static _Thread_local char prc_errbuf[1024];

int prc_seterr(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prc_errbuf, sizeof prc_errbuf, fmt, ap);
  va_end(ap);
  return 1;
}

const char *prc_lasterr(void) { return prc_errbuf; }

void prc_clearerr(void) { prc_errbuf[0] = '\0'; }

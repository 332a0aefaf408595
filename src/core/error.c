/* error.c — thread-local last-error message for kernels that know nothing of MPI/PETSc. */
#include "precursor/error.h"

#include <stdio.h>
#include <string.h>

static _Thread_local char prc_errbuf[1024];

int prc_seterr(const char *fmt, ...)
{
  /* formatted into a scratch buffer first: callers may pass prc_lasterr() itself as an argument
   * (prefixing a lower-level message), and vsnprintf into the buffer it reads from is undefined */
  char    tmp[sizeof prc_errbuf];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  memcpy(prc_errbuf, tmp, sizeof tmp);
  return 1;
}

const char *prc_lasterr(void) { return prc_errbuf; }

void prc_clearerr(void) { prc_errbuf[0] = '\0'; }

/* text.c — strict number parsing shared by the readers. */
#include "precursor/text.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int prc_parse_real(const char *s, double *v)
{
  if (!s || !*s) return 0;
  for (const char *p = s; *p; p++)
    if (!strchr("0123456789+-.eE", *p)) return 0;
  char *end;
  errno = 0;
  *v = strtod(s, &end);
  return !*end && !errno && isfinite(*v);
}

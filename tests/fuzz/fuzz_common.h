/* fuzz_common.h — shared by the libFuzzer harnesses (tests/fuzz/fuzz_*.c, `make fuzz`).
 * The parsers read files by name, so each input is written to one per-process temp file
 * (in /dev/shm when present) and the parser is called on it exactly as the stages do.
 * Every harness also checks that a failing parser left an error message (a parser that
 * fails silently would give the user nothing to act on): that is reported as a crash. */
#ifndef PRC_FUZZ_COMMON_H
#define PRC_FUZZ_COMMON_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "precursor/error.h"

static inline const char *fuzz_path(const char *ext)
{
  static char p[256];
  if (!p[0]) {
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(p, sizeof p, "%s/prc-fuzz-%ld%s", dir, (long)getpid(), ext);
  }
  return p;
}

static inline const char *fuzz_write(const uint8_t *data, size_t size, const char *ext)
{
  const char *p  = fuzz_path(ext);
  FILE       *fp = fopen(p, "wb");
  if (!fp) abort();
  if (size && fwrite(data, 1, size, fp) != size) abort();
  if (fclose(fp)) abort();
  return p;
}

/* A parser that returned an error must have said why. */
static inline void fuzz_check_error(int rc)
{
  if (rc && !prc_lasterr()[0]) {
    fprintf(stderr, "parser failed without a message\n");
    abort();
  }
}
#endif

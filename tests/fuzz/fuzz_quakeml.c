/* fuzz_quakeml.c — libFuzzer harness of the QuakeML reader (src/io/read_quakeml.c, libxml2). */
#include "fuzz_common.h"
#include "precursor/read_catalog.h"
#include <libxml/parser.h>

static void quiet(void *ctx, const char *msg, ...) {}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static int init;
  if (!init) xmlSetGenericErrorFunc(NULL, quiet), init = 1;
  const char *path = fuzz_write(data, size, ".xml");
  prc_evlist  ev   = {0};
  prc_catread_stats st;
  memset(&st, 0, sizeof st);
  prc_clearerr();
  int rc = prc_read_quakeml(path, &ev, &st);
  fuzz_check_error(rc);
  prc_evlist_free(&ev);
  return 0;
}

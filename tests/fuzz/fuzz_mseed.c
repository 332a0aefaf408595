/* fuzz_mseed.c — libFuzzer harness of the miniSEED wrapper (src/io/read_mseed.c over
 * libmseed): any bytes as a file, with a bound on trace length so a forged gap cannot ask
 * for gigabytes (import_mseed passes its -mseed_max_samples the same way). */
#include "fuzz_common.h"
#include "precursor/read_mseed.h"
#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char      *path = fuzz_write(data, size, ".mseed");
  prc_mseed_trace *tr   = NULL;
  int              ntr  = 0;
  prc_mseed_stats  st;
  memset(&st, 0, sizeof st);
  prc_clearerr();
  int rc = prc_mseed_read(path, 1 << 20, &tr, &ntr, &st);
  fuzz_check_error(rc);
  if (!rc) {
    for (int i = 0; i < ntr; i++) {
      if (tr[i].n < 0 || !(tr[i].rate > 0) || !isfinite(tr[i].rate)) {
        fprintf(stderr, "trace %d accepted with n %lld, rate %g\n", i, (long long)tr[i].n, tr[i].rate);
        abort();
      }
      prc_span *g = NULL;
      int       ng = 0;
      if (!prc_mseed_scan_gaps(tr[i].data, tr[i].n, &g, &ng)) free(g);
    }
    prc_mseed_free(tr, ntr);
  }
  return 0;
}

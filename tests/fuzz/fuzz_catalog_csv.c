/* fuzz_catalog_csv.c — libFuzzer harness of the CSV catalog readers (CENC, JMA, ComCat)
 * and the format sniffer, as `import_catalog` calls them (src/io/read_catalog_csv.c). The
 * first byte selects the format (auto-sniffed, or forced), the rest is the file. */
#include "fuzz_common.h"
#include "precursor/read_catalog.h"
#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1) return 0;
  const char *path = fuzz_write(data + 1, size - 1, ".csv");
  prc_catfmt  f    = (prc_catfmt)(data[0] % 4); /* AUTO, CENC, JMA, COMCAT */
  prc_evlist  ev   = {0};
  prc_catread_stats st;
  memset(&st, 0, sizeof st);
  prc_clearerr();
  if (f == PRC_CATFMT_AUTO) {
    int rc = prc_catfmt_sniff(path, &f);
    fuzz_check_error(rc);
    if (rc) return 0;
    if (f == PRC_CATFMT_QUAKEML) return 0; /* fuzz_quakeml covers it */
  }
  prc_clearerr();
  int rc = prc_read_catalog(path, f, 8.0, data[0] & 0x10, &ev, &st);
  fuzz_check_error(rc);
  if (!rc)
    for (size_t i = 0; i < ev.n; i++) /* accepted events must be physical */
      if (!isfinite(ev.time[i]) || !(ev.lat[i] >= -90 && ev.lat[i] <= 90) || !(ev.lon[i] >= -180 && ev.lon[i] <= 360)) {
        fprintf(stderr, "accepted event %zu with time %g lat %g lon %g\n", i, ev.time[i], ev.lat[i], ev.lon[i]);
        abort();
      }
  if (!rc) {
    prc_evlist_sort(&ev);
    prc_evlist_dedup(&ev);
  }
  prc_evlist_free(&ev);
  return 0;
}

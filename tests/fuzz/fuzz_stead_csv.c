/* fuzz_stead_csv.c — libFuzzer harness of the STEAD metadata CSV reader
 * (src/io/read_stead_csv.c), with and without required P/S labels (first byte). */
#include "fuzz_common.h"
#include "precursor/stead_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1) return 0;
  const char        *path = fuzz_write(data + 1, size - 1, ".csv");
  prc_stead_row     *rows = NULL;
  int64_t            n    = 0;
  prc_stead_csv_info info;
  memset(&info, 0, sizeof info);
  prc_clearerr();
  int rc = prc_stead_csv_read(path, data[0] & 1, &rows, &n, &info);
  fuzz_check_error(rc);
  if (!rc) {
    if (n < 1) {
      fprintf(stderr, "success with %lld rows\n", (long long)n);
      abort();
    }
    free(rows);
  }
  return 0;
}

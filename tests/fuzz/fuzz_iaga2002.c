/* fuzz_iaga2002.c — libFuzzer harness of the IAGA-2002 parser (src/io/read_iaga2002.c):
 * the text is parsed from memory (not NUL-terminated, as the reader allows), and a parsed
 * record is merged with itself and block-averaged, as import_iaga does. */
#include "fuzz_common.h"
#include "precursor/read_iaga2002.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  prc_iaga d;
  char    *copy = malloc(size ? size : 1); /* exact size: reading past it is caught by ASan */
  if (!copy) return 0;
  memcpy(copy, data, size);
  prc_clearerr();
  int rc = prc_iaga_parse("fuzz.iaga2002", copy, size, &d);
  fuzz_check_error(rc);
  free(copy);
  if (rc) return 0;
  prc_iaga parts[2] = {d, d}, m;
  if (!prc_iaga_merge(parts, 2, &m)) {
    if (m.n != d.n) {
      fprintf(stderr, "self-merge changed the length %lld -> %lld\n", (long long)d.n, (long long)m.n);
      abort();
    }
    prc_iaga_free(&m);
  }
  if (d.n > 0 && d.dt_ms > 0 && d.n < 1000000) {
    double *x = malloc(sizeof(double) * (size_t)d.n), *out = NULL;
    int64_t nout, t0;
    if (x) {
      for (int64_t i = 0; i < d.n; i++) x[i] = d.v[i * PRC_IAGA_NCH];
      if (!prc_iaga_block_mean(x, d.n, d.t0_ms, d.dt_ms, d.dt_ms * 60, 0.5, &out, &nout, &t0)) free(out);
      free(x);
    }
  }
  prc_iaga_free(&d);
  return 0;
}

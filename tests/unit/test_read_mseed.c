/* test_read_mseed.c — the miniSEED reader on the real files of ../shared/data/waveforms
 * (skipped when absent), checked against libmseed's own trace assembly (ms_readtraces),
 * and on malformed files made from them (text, empty, truncated, time going backwards,
 * zero sample rate, duplicated record = overlap). */
#include "precursor/error.h"
#include "precursor/read_mseed.h"
#include "ptest.h"

#include <libmseed.h>
#include <unistd.h>

static char dir[8192], tmpd[64];

static int have_data(void)
{
  const char *d = pt_shared_data();
  if (!d) return 0;
  snprintf(dir, sizeof dir, "%s/waveforms", d);
  return 1;
}

/* Our trace equals libmseed's: id, start, rate, samples; (gap-free files). */
static void check_against_libmseed(const char *file, int want_traces, int64_t want_n, double want_rate)
{
  char path[8400];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  prc_mseed_trace *tr;
  int              n;
  prc_mseed_stats  st;
  PT_CHECK(!prc_mseed_read(path, 1LL << 30, &tr, &n, &st), "%s", prc_lasterr());
  if (pt_cur_fail) return;
  MSTraceGroup *g = NULL;
  PT_CHECK(ms_readtraces(&g, path, 0, -1.0, -1.0, 0, 1, 1, 0) == MS_NOERROR, "libmseed cannot read %s", path);
  PT_CHECK(n == want_traces && g->numtraces == want_traces, "%s: %d traces, libmseed %d, want %d", file, n, g->numtraces,
           want_traces);
  for (MSTrace *t = g->traces; t; t = t->next) {
    int k;
    for (k = 0; k < n; k++)
      if (!strcmp(tr[k].cha, t->channel) && !strcmp(tr[k].sta, t->station) && !strcmp(tr[k].net, t->network) &&
          !strcmp(tr[k].loc, t->location))
        break;
    PT_CHECK(k < n, "%s: channel %s missing", file, t->channel);
    if (k == n) continue;
    PT_CHECK(tr[k].n == t->numsamples && tr[k].n == want_n, "%s: %lld samples, libmseed %lld, want %lld", t->channel,
             (long long)tr[k].n, (long long)t->numsamples, (long long)want_n);
    PT_CHECK(tr[k].start_us == t->starttime, "start %lld vs %lld", (long long)tr[k].start_us, (long long)t->starttime);
    PT_NEAR(tr[k].start, t->starttime / 1e6, 1e-6, 0);
    double end = tr[k].start + (double)(tr[k].n - 1) / tr[k].rate;
    PT_NEAR(end, t->endtime / 1e6, 1e-5, 0); /* libmseed's last-sample time */
    PT_NEAR(tr[k].rate, want_rate, 0, 1e-12);
    PT_CHECK(tr[k].ngaps == 0 && tr[k].noverlaps == 0 && tr[k].n_rounded == 0, "gaps %d overlaps %d rounded %lld",
             tr[k].ngaps, tr[k].noverlaps, (long long)tr[k].n_rounded);
    PT_CHECK(t->sampletype == 'i', "type %c", t->sampletype);
    /* exact round trip: every int32 sample is |x| < 2^24 here, so float32 is exact */
    int64_t bad = 0, big = 0;
    for (int64_t i = 0; i < t->numsamples && i < tr[k].n; i++) {
      int32_t v = ((int32_t *)t->datasamples)[i];
      big += v >= (1 << 24) || v <= -(1 << 24);
      bad += (int64_t)tr[k].data[i] != v;
    }
    PT_CHECK(bad == 0 && big == 0, "%s: %lld samples differ, %lld beyond 2^24", t->channel, (long long)bad, (long long)big);
  }
  mst_freegroup(&g);
  prc_mseed_free(tr, n);
}

static void test_kw1(void)
{
  if (!have_data()) PT_SKIP("../shared/data not found");
  check_against_libmseed("BW.KW1..EHZ_2011-03-31_noise_100Hz.mseed", 1, 936001, 100);
}
static void test_hell(void)
{
  if (!have_data()) PT_SKIP("../shared/data not found");
  check_against_libmseed("BK.HELL.00.BH_2014-08-24_southnapa_40Hz.mseed", 3, 48000, 40);
}
static void test_cola(void)
{
  if (!have_data()) PT_SKIP("../shared/data not found");
  check_against_libmseed("IU.COLA.00.LHZ_2010-02-27_maule_1Hz.mseed", 1, 4200, 1);
}

/* gaps_example: our NaN runs are libmseed's segment boundaries (counted independently
 * from ms_readtraces' segments with its default 1/2-sample tolerance). */
static void test_gaps(void)
{
  if (!have_data()) PT_SKIP("../shared/data not found");
  char path[8400];
  snprintf(path, sizeof path, "%s/gaps_example.mseed", dir);
  prc_mseed_trace *tr;
  int              n;
  PT_CHECK(!prc_mseed_read(path, 1LL << 30, &tr, &n, NULL), "%s", prc_lasterr());
  if (pt_cur_fail) return;
  MSTraceGroup *g = NULL;
  PT_CHECK(ms_readtraces(&g, path, 0, -1.0, -1.0, 0, 1, 1, 0) == MS_NOERROR, "libmseed");
  PT_CHECK(n == 1, "%d traces", n);
  PT_CHECK(tr[0].ngaps == g->numtraces - 1, "%d gaps, libmseed segments %d", tr[0].ngaps, g->numtraces);
  int     s = 0;
  int64_t nan = 0, total_ok = 0;
  for (int64_t i = 0; i < tr[0].n; i++) nan += isnan(tr[0].data[i]);
  for (MSTrace *t = g->traces; t; t = t->next, s++) {
    int64_t first = llround((t->starttime - tr[0].start_us) / 1e6 * tr[0].rate);
    if (s > 0 && s - 1 < tr[0].ngaps) {
      const prc_span *gp = &tr[0].gaps[s - 1];
      PT_CHECK(gp->first + gp->count == first, "gap %d ends at %lld, segment starts at %lld", s, (long long)(gp->first + gp->count),
               (long long)first);
    }
    for (int64_t i = 0; i < t->numsamples; i++) total_ok += tr[0].data[first + i] == (float)((int32_t *)t->datasamples)[i];
    if (!t->next) PT_CHECK(first + t->numsamples == tr[0].n, "last segment ends at %lld of %lld", (long long)(first + t->numsamples), (long long)tr[0].n);
  }
  int64_t ngs = 0;
  for (int k = 0; k < tr[0].ngaps; k++) ngs += tr[0].gaps[k].count;
  PT_CHECK(ngs == nan && nan == 412 + 412 + 824, "NaN samples %lld, gap lengths %lld", (long long)nan, (long long)ngs);
  PT_CHECK(total_ok + nan == tr[0].n && tr[0].n == 54376, "%lld equal + %lld NaN of %lld", (long long)total_ok, (long long)nan,
           (long long)tr[0].n);
  PT_NEAR(tr[0].rate, 200, 0, 0);
  mst_freegroup(&g);
  prc_mseed_free(tr, n);
}

/* copy bytes [a, b) of the KW1 file (4096-byte records) in the given record order */
static int make_file(const char *name, const int *recs, int nrec, long cut)
{
  char src[8400], dst[256], buf[4096];
  snprintf(src, sizeof src, "%s/BW.KW1..EHZ_2011-03-31_noise_100Hz.mseed", dir);
  snprintf(dst, sizeof dst, "%s/%s", tmpd, name);
  FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
  if (!in || !out) return 1;
  long written = 0;
  for (int r = 0; r < nrec; r++) {
    fseek(in, recs[r] * 4096L, SEEK_SET);
    if (fread(buf, 1, 4096, in) != 4096) return 1;
    long w = cut >= 0 && written + 4096 > cut ? cut - written : 4096;
    if (w > 0) fwrite(buf, 1, (size_t)w, out), written += w;
  }
  fclose(in), fclose(out);
  return 0;
}

static int read_tmp(const char *name)
{
  char p[256];
  prc_mseed_trace *tr = NULL;
  int n = 0;
  snprintf(p, sizeof p, "%s/%s", tmpd, name);
  int rc = prc_mseed_read(p, 1LL << 30, &tr, &n, NULL);
  if (!rc) prc_mseed_free(tr, n);
  return rc;
}

static void test_malformed(void)
{
  if (!have_data()) PT_SKIP("../shared/data not found");
  char p[256];
  int  order[] = {0, 1, 2, 3};
  snprintf(p, sizeof p, "%s/text.mseed", tmpd);
  FILE *f = fopen(p, "w");
  fprintf(f, "this is not miniSEED, just a line of text that is long enough to look like a header\n");
  for (int i = 0; i < 100; i++) fprintf(f, "%d,%d\n", i, i * i);
  fclose(f);
  PT_CHECK(read_tmp("text.mseed") && strstr(prc_lasterr(), "text.mseed") && strstr(prc_lasterr(), "record 1"), "%s", prc_lasterr());
  snprintf(p, sizeof p, "%s/empty.mseed", tmpd);
  fclose(fopen(p, "w"));
  PT_CHECK(read_tmp("empty.mseed") && strstr(prc_lasterr(), "empty"), "%s", prc_lasterr());
  /* truncated in the middle of the third record */
  PT_CHECK(!make_file("trunc.mseed", order, 4, 2 * 4096 + 1500), "make");
  PT_CHECK(read_tmp("trunc.mseed") && strstr(prc_lasterr(), "record 3") && strstr(prc_lasterr(), "byte 8192"), "%s",
           prc_lasterr());
  /* 700 bytes of text between records 1 and 2: named as not miniSEED, never skipped silently */
  {
    PT_CHECK(!make_file("junk1.mseed", order, 1, -1) && !make_file("junk2.mseed", order + 1, 3, -1), "make");
    char a[256], b[256], q[256], buf[4096];
    snprintf(a, sizeof a, "%s/junk1.mseed", tmpd), snprintf(b, sizeof b, "%s/junk2.mseed", tmpd);
    snprintf(q, sizeof q, "%s/junk.mseed", tmpd);
    FILE *o = fopen(q, "wb"), *x = fopen(a, "rb"), *y = fopen(b, "rb");
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, x))) fwrite(buf, 1, k, o);
    for (int i = 0; i < 700; i++) fputc('a' + i % 26, o);
    while ((k = fread(buf, 1, sizeof buf, y))) fwrite(buf, 1, k, o);
    fclose(o), fclose(x), fclose(y);
    PT_CHECK(read_tmp("junk.mseed") && strstr(prc_lasterr(), "record 2 (byte 4096)") && strstr(prc_lasterr(), "not miniSEED"),
             "%s", prc_lasterr());
  }
  /* records 0, 2, 1: record 3 starts before record 2 */
  int back[] = {0, 2, 1, 3};
  PT_CHECK(!make_file("back.mseed", back, 4, -1), "make");
  PT_CHECK(read_tmp("back.mseed") && strstr(prc_lasterr(), "record 3") && strstr(prc_lasterr(), "goes backwards") &&
               strstr(prc_lasterr(), "BW.KW1..EHZ"),
           "%s", prc_lasterr());
  /* record 1 twice: an overlap, reported, first copy kept, no sample lost or doubled */
  int dup[] = {0, 1, 1, 2};
  PT_CHECK(!make_file("dup.mseed", dup, 4, -1), "make");
  PT_CHECK(!make_file("ref.mseed", order, 3, -1), "make");
  snprintf(p, sizeof p, "%s/dup.mseed", tmpd);
  prc_mseed_trace *a, *b;
  int              na, nb;
  PT_CHECK(!prc_mseed_read(p, 1LL << 30, &a, &na, NULL), "%s", prc_lasterr());
  snprintf(p, sizeof p, "%s/ref.mseed", tmpd);
  PT_CHECK(!prc_mseed_read(p, 1LL << 30, &b, &nb, NULL), "%s", prc_lasterr());
  if (!pt_cur_fail) {
    PT_CHECK(a[0].noverlaps == 1 && a[0].ngaps == 0 && a[0].n == b[0].n && a[0].n_dropped > 0, "overlaps %d gaps %d n %lld/%lld",
             a[0].noverlaps, a[0].ngaps, (long long)a[0].n, (long long)b[0].n);
    PT_CHECK(!memcmp(a[0].data, b[0].data, (size_t)b[0].n * sizeof(float)), "data differ");
    prc_mseed_free(a, na), prc_mseed_free(b, nb);
  }
  /* sample rate factor 0 in record 2 (fixed header bytes 32-33, big-endian int16) */
  PT_CHECK(!make_file("rate0.mseed", order, 3, -1), "make");
  snprintf(p, sizeof p, "%s/rate0.mseed", tmpd);
  f = fopen(p, "r+b");
  fseek(f, 4096 + 32, SEEK_SET);
  fputc(0, f), fputc(0, f);
  fclose(f);
  PT_CHECK(read_tmp("rate0.mseed") && strstr(prc_lasterr(), "record 2") && strstr(prc_lasterr(), "sample rate"), "%s",
           prc_lasterr());
  snprintf(p, sizeof p, "%s/nope.mseed", tmpd);
  PT_CHECK(read_tmp("nope.mseed") && strstr(prc_lasterr(), "cannot open"), "%s", prc_lasterr());
}

static void test_scan_gaps(void)
{
  float     x[] = {NAN, 1, 2, NAN, NAN, 3, NAN};
  prc_span *g = NULL;
  int       ng = 0;
  PT_CHECK(!prc_mseed_scan_gaps(x, 7, &g, &ng), "scan");
  PT_CHECK(ng == 3 && g[0].first == 0 && g[0].count == 1 && g[1].first == 3 && g[1].count == 2 && g[2].first == 6, "ng %d", ng);
  free(g);
}

int main(int argc, char **argv)
{
  pt_set_prog(argv[0]);
  snprintf(tmpd, sizeof tmpd, "/tmp/prc-mseed-XXXXXX");
  if (!mkdtemp(tmpd)) return 1;
  PT_RUN(test_kw1);
  PT_RUN(test_hell);
  PT_RUN(test_cola);
  PT_RUN(test_gaps);
  PT_RUN(test_malformed);
  PT_RUN(test_scan_gaps);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpd);
  if (system(cmd)) return 1;
  return pt_finish();
}

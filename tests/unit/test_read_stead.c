/* test_read_stead.c — the STEAD CSV kernel (src/io/read_stead_csv.c): column lookup by
 * header name (sample and standard STEAD names), quoting, empty/float sample indices,
 * event columns, every error naming file:line and field; component analysis of traces. */
#include "ptest.h"
#include "precursor/error.h"
#include "precursor/stead_csv.h"

#include <unistd.h>

static char dir[] = "/tmp/prc-stead-XXXXXX";

static const char *put(const char *name, const char *text)
{
  static char p[256];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  fputs(text, f);
  fclose(f);
  return p;
}

#define HDR "trace_name,network,station,trace_start_time,sampling_rate_hz,npts,channels,p_arrival_sample,s_arrival_sample,trace_category\n"

static void test_sample_columns(void)
{
  prc_stead_row     *r;
  int64_t            n;
  prc_stead_csv_info in;
  const char *p = put("a.csv", "\xEF\xBB\xBF" HDR "NC_A_1,NC,A,2017-10-07T09:28:26.92,100.0,9001,EHE_EHN_EHZ,3000,3287,earthquake_local\r\n"
                               "\n\"NC_B,2\",NC,B,2017-10-07T09:28:26.92,100.0,9001,EHZ,3000.0,3291,earthquake_local");
  PT_CHECK(prc_stead_csv_read(p, 1, &r, &n, &in) == 0, "%s", prc_lasterr());
  PT_CHECK(n == 2, "%lld rows", (long long)n);
  PT_CHECK(!strcmp(r[0].name, "NC_A_1") && !strcmp(r[1].name, "NC_B,2"), "names %s %s", r[0].name, r[1].name);
  PT_CHECK(r[0].p == 3000 && r[0].s == 3287 && r[1].p == 3000 && r[1].s == 3291, "labels");
  PT_NEAR(r[0].start, 1507368506.92, 1e-6, 0);
  PT_CHECK(r[0].rate == 100 && r[0].npts == 9001 && !strcmp(r[1].channels, "EHZ") && r[1].line == 4, "fields");
  PT_CHECK(in.has_p && in.has_s && in.has_rate && in.n_event_cols == 0 && isnan(r[0].ev_mag), "info");
  free(r);
}

static void test_standard_names(void)
{
  prc_stead_row     *r;
  int64_t            n;
  prc_stead_csv_info in;
  const char *p = put("s.csv", "network_code,receiver_code,receiver_type,p_arrival_sample,s_arrival_sample,source_origin_time,source_latitude,"
                               "source_longitude,source_depth_km,source_magnitude,trace_start_time,trace_category,trace_name\n"
                               "XX,ST01,HH,800.0,1200.0,2015-01-01 00:00:10.5,35.5,-117.5,8.2,3.1,2015-01-01 00:00:12.00,earthquake_local,T1\n"
                               "XX,ST02,BH,,,,,,,,2015-01-01 01:00:00,noise,T2\n");
  PT_CHECK(prc_stead_csv_read(p, 1, &r, &n, &in) != 0, "unlabelled noise accepted with labels required");
  PT_CHECK(strstr(prc_lasterr(), "s.csv:3: trace T2: field p_arrival_sample: empty"), "%s", prc_lasterr());
  PT_CHECK(prc_stead_csv_read(p, 0, &r, &n, &in) == 0, "%s", prc_lasterr());
  PT_CHECK(n == 2 && in.n_event_cols == 5 && !in.has_rate, "n %lld", (long long)n);
  PT_CHECK(!strcmp(r[0].network, "XX") && !strcmp(r[0].station, "ST01") && !strcmp(r[0].channels, "HHE_HHN_HHZ"), "%s", r[0].channels);
  PT_CHECK(r[0].p == 800 && r[0].s == 1200 && r[1].p == -1 && r[1].s == -1, "labels");
  PT_NEAR(r[0].ev_time, 1420070410.5, 1e-6, 0);
  PT_CHECK(r[0].ev_lat == 35.5 && r[0].ev_mag == 3.1 && isnan(r[1].ev_mag) && isnan(r[0].rate) && r[0].npts == -1, "event");
  PT_CHECK(!strcmp(r[1].category, "noise"), "category");
  free(r);
}

static void test_errors(void)
{
  static const struct {
    const char *text, *want;
  } c[] = {
    {"", "e.csv:1: empty file"},
    {HDR, "e.csv: a header but no data rows"},
    {"network,p_arrival_sample,s_arrival_sample\nNC,1,2\n", "e.csv:1: header: required column 'trace_name' missing"},
    {"trace_name,p_arrival_sample\nA,1\n", "e.csv:1: header: required column 's_arrival_sample' missing"},
    {"trace_name,p_arrival_sample,s_arrival_sample\nA,1.5,2\n", "e.csv:2: field p_arrival_sample: expected a sample index (whole number >= 0), found '1.5'"},
    {"trace_name,p_arrival_sample,s_arrival_sample\nA,-1,2\n", "field p_arrival_sample: expected a sample index"},
    {"trace_name,p_arrival_sample,s_arrival_sample\nA,1,x\n", "e.csv:2: field s_arrival_sample: expected a sample index (whole number >= 0), found 'x'"},
    {"trace_name,p_arrival_sample,s_arrival_sample\nA,5,5\n", "e.csv:2: trace A: field s_arrival_sample: S sample 5 is not after the P sample 5"},
    {"trace_name,p_arrival_sample,s_arrival_sample\nA,1,2\nB,1,2\nA,1,3\n", "e.csv:4: field trace_name: 'A' repeats line 2"},
    {"trace_name,p_arrival_sample,s_arrival_sample\n,1,2\n", "e.csv:2: field trace_name: expected a name"},
    {"trace_name,p_arrival_sample,s_arrival_sample\na/b,1,2\n", "e.csv:2: field trace_name: expected a name"},
    {"trace_name,p_arrival_sample,s_arrival_sample\nA,1", "e.csv:2: 2 field(s), the header has 3 (last line has no newline"},
    {"trace_name,p_arrival_sample,s_arrival_sample\n\"A,1,2\n", "e.csv:2: unterminated quote"},
    {"trace_name,p_arrival_sample,s_arrival_sample,sampling_rate_hz\nA,1,2,0\n", "e.csv:2: field sampling_rate_hz: expected a sampling rate > 0 Hz, found '0'"},
    {"trace_name,p_arrival_sample,s_arrival_sample,sampling_rate\nA,1,2,nan\n", "e.csv:2: field sampling_rate: expected a number"},
    {"trace_name,p_arrival_sample,s_arrival_sample,trace_start_time\nA,1,2,2017-13-01T00:00:00\n", "e.csv:2: field trace_start_time:"},
    {"trace_name,p_arrival_sample,s_arrival_sample,source_latitude\nA,1,2,95\n", "e.csv:2: field source_latitude: expected a number in [-90, 90], found '95'"},
    {"trace_name,p_arrival_sample,s_arrival_sample,npts\nA,1,2,0\n", "e.csv:2: field npts: expected a sample count >= 1"},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
    prc_stead_row     *r = NULL;
    int64_t            n;
    prc_stead_csv_info in;
    const char        *p = put("e.csv", c[i].text);
    prc_clearerr();
    PT_CHECK(prc_stead_csv_read(p, 1, &r, &n, &in) != 0, "case %zu accepted", i);
    PT_CHECK(strstr(prc_lasterr(), c[i].want) != NULL, "case %zu: '%s' lacks '%s'", i, prc_lasterr(), c[i].want);
    PT_CHECK(r == NULL, "case %zu: rows returned on error", i);
  }
  prc_stead_row     *r;
  int64_t            n;
  prc_stead_csv_info in;
  PT_CHECK(prc_stead_csv_read("/nonexistent/x.csv", 1, &r, &n, &in) != 0 && strstr(prc_lasterr(), "cannot open STEAD CSV '/nonexistent/x.csv'"),
           "%s", prc_lasterr());
}

static void test_components(void)
{
  enum { N = 50 };
  float x[N * 3];
  int   nc, col[3], pr;
  char  comps[48];
  for (int i = 0; i < N * 3; i++) x[i] = (float)((i * 7919) % 13) - 6.0f;
  PT_CHECK(prc_stead_components(x, N, "EHE_EHN_EHZ", "t", &nc, col, comps, sizeof comps, &pr) == 0, "%s", prc_lasterr());
  PT_CHECK(nc == 3 && pr == 3 && !strcmp(comps, "EHE,EHN,EHZ") && col[2] == 2, "3c: %d %d %s", nc, pr, comps);
  for (int i = 0; i < N; i++) x[i * 3 + 1] = 0; /* a dead column */
  PT_CHECK(prc_stead_components(x, N, "EHE_EHN_EHZ", "t", &nc, col, comps, sizeof comps, &pr) == 0 && nc == 3 && pr == 2, "dead column");
  PT_CHECK(prc_stead_components(x, N, "EHZ", "t9", &nc, col, comps, sizeof comps, &pr) != 0 &&
               strstr(prc_lasterr(), "trace t9: channels 'EHZ' name one component, but 2 columns hold data"),
           "%s", prc_lasterr());
  for (int i = 0; i < N; i++) x[i * 3] = 0;
  PT_CHECK(prc_stead_components(x, N, "SHZ", "t", &nc, col, comps, sizeof comps, &pr) == 0 && nc == 1 && col[0] == 2 && pr == 1 &&
               !strcmp(comps, "SHZ"), "single Z: %d %d %s", nc, col[0], comps);
  PT_CHECK(prc_stead_components(x, N, "", "t", &nc, col, comps, sizeof comps, &pr) == 0 && nc == 1 && col[0] == 2 && !strcmp(comps, "?"),
           "no codes, one column");
  memset(x, 0, sizeof x);
  PT_CHECK(prc_stead_components(x, N, "HHN", "t", &nc, col, comps, sizeof comps, &pr) == 0 && nc == 1 && col[0] == 1 && pr == 0, "all zero N");
  PT_CHECK(prc_stead_components(x, N, "HHE_HHN", "t", &nc, col, comps, sizeof comps, &pr) != 0 && strstr(prc_lasterr(), "2 channel codes"), "2 codes");
  PT_CHECK(prc_stead_components(x, N, "A_B_C_D", "t", &nc, col, comps, sizeof comps, &pr) != 0 && strstr(prc_lasterr(), "more than 3"), "4 codes");
  int64_t row;
  int     c;
  x[17 * 3 + 2] = NAN;
  PT_CHECK(prc_stead_first_nonfinite(x, N, 3, &row, &c) == 1 && row == 17 && c == 2, "nonfinite at %lld %d", (long long)row, c);
  x[17 * 3 + 2] = 0;
  PT_CHECK(prc_stead_first_nonfinite(x, N, 3, &row, &c) == 0, "finite");
}

int main(int argc, char **argv)
{
  (void)argc;
  pt_set_prog(argv[0]);
  if (!mkdtemp(dir)) return 1;
  PT_RUN(test_sample_columns);
  PT_RUN(test_standard_names);
  PT_RUN(test_errors);
  PT_RUN(test_components);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd)) return 1;
  return pt_finish();
}

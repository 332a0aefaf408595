/* test_read_iaga2002.c — the IAGA-2002 parser, concatenation and block means on small
 * texts built here (the real files are checked by tests/cli/test_import_iaga.sh). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "precursor/error.h"
#include "precursor/read_iaga2002.h"
#include "ptest.h"

/* header record: " Key (23 cols) Value (45 cols)|" = 70 columns */
static void hdr(char *buf, size_t cap, const char *key, const char *val)
{
  char l[128];
  snprintf(l, sizeof l, " %-23s%-45s|\n", key, val);
  strncat(buf, l, cap - strlen(buf) - 1);
}

/* A small file: header with one field replaced (key == skip: omitted; key == repl: value
 * rval), then the given data text. */
static void make(char *buf, size_t cap, const char *skip, const char *repl, const char *rval, const char *data)
{
  const char *k[] = {"Format", "Source of Data", "Station Name", "IAGA CODE", "Geodetic Latitude", "Geodetic Longitude",
                     "Elevation", "Reported", "Sensor Orientation", "Digital Sampling", "Data Interval Type", "Data Type"};
  const char *v[] = {"IAGA-2002", "test", "Testville", "TST", "27.096", "142.185", "155", "DHZF", "", "", "1-minute", "Definitive"};
  buf[0] = '\0';
  for (int i = 0; i < 12; i++) {
    if (skip && !strcmp(skip, k[i])) continue;
    hdr(buf, cap, k[i], repl && !strcmp(repl, k[i]) ? rval : v[i]);
  }
  strncat(buf, " # a comment                                                         |\n", cap - strlen(buf) - 1);
  strncat(buf, "DATE       TIME         DOY     TSTD      TSTH      TSTZ      TSTF   |\n", cap - strlen(buf) - 1);
  strncat(buf, data, cap - strlen(buf) - 1);
}

#define ROW(t, a, b, c, e) "2011-03-01 " t " 060 " a " " b " " c " " e "\n"
static const char *good = ROW("00:00:00.000", "  -227.75", " 32661.50", " 24962.00", " 41108.80")
  ROW("00:01:00.000", "  -227.73", " 99999.00", " 24962.00", " 88888.00")
  ROW("00:02:00.000", "  -227.72", " 32661.60", " 24961.90", " 41108.70")
  ROW("00:03:00.000", "  -227.72", " 32661.80", " 99999.00", " 88888.00");

static void test_good(void)
{
  char     b[8192];
  prc_iaga d;
  make(b, sizeof b, NULL, NULL, NULL, good);
  if (prc_iaga_parse("t.iaga", b, strlen(b), &d)) PT_CHECK(0, "%s", prc_lasterr());
  if (pt_cur_fail) return;
  PT_CHECK(!strcmp(d.code, "TST") && !strcmp(d.reported, "DHZF") && !strcmp(d.name, "Testville"), "%s %s", d.code, d.reported);
  PT_CHECK(d.lat == 27.096 && d.lon == 142.185 && d.elevation_m == 155, "%g %g %g", d.lat, d.lon, d.elevation_m);
  PT_CHECK(!strcmp(d.chan[0], "D") && !strcmp(d.chan[3], "F") && !strcmp(d.units[0], "arcmin") && !strcmp(d.units[1], "nT"), "chan");
  PT_CHECK(d.n == 4 && d.n_rows == 4 && d.dt_ms == 60000 && d.t0_ms == 1298937600000LL, "n %lld t0 %lld", (long long)d.n,
           (long long)d.t0_ms);
  PT_CHECK(d.v[0] == -227.75 && d.v[5] != d.v[5] && d.v[7] != d.v[7] && d.v[9] == 32661.60 && d.v[14] != d.v[14], "values");
  PT_CHECK(d.n_missing[1] == 1 && d.n_missing[2] == 1 && d.n_notrec[3] == 2 && d.n_missing[0] == 0, "counts");
  prc_iaga_free(&d);
  /* CRLF line ends, blank elevation, misspelt interval of WDC Kyoto */
  char c[8192], e[8192];
  make(c, sizeof c, NULL, "Elevation", "", good);
  size_t j = 0;
  for (size_t i = 0; c[i]; i++) {
    if (c[i] == '\n') e[j++] = '\r';
    e[j++] = c[i];
  }
  e[j] = 0;
  PT_CHECK(prc_iaga_parse("crlf", e, j, &d) == 0 && isnan(d.elevation_m) && d.n == 4, "%s", prc_lasterr());
  prc_iaga_free(&d);
  make(c, sizeof c, NULL, "Data Interval Type", "1-minite", good);
  PT_CHECK(prc_iaga_parse("kyoto", c, strlen(c), &d) == 0, "%s", prc_lasterr());
  prc_iaga_free(&d);
}

static void test_interval(void)
{
  PT_CHECK(prc_iaga_interval_ms("1-minute (00:15-01:45)") == 60000, "1-minute");
  PT_CHECK(prc_iaga_interval_ms("Filtered 1-minute (00:15-01:45)") == 60000, "filtered");
  PT_CHECK(prc_iaga_interval_ms("1-second") == 1000 && prc_iaga_interval_ms("Hourly") == 3600000, "s/h");
  PT_CHECK(prc_iaga_interval_ms("Daily") == 86400000 && prc_iaga_interval_ms("5-minute") == 300000, "d/5m");
  PT_CHECK(prc_iaga_interval_ms("sometimes") == 0 && prc_iaga_interval_ms("") == 0, "unknown");
}

static void test_absent_and_dup(void)
{
  char        b[8192];
  prc_iaga    d;
  const char *rows = ROW("00:00:00.000", "1", "2", "3", "4") ROW("00:00:00.000", "1", "2", "3", "4")
    ROW("00:03:00.000", "5", "6", "7", "8") ROW("00:04:00.000", "5", "6", "7", "8");
  make(b, sizeof b, NULL, NULL, NULL, rows);
  if (prc_iaga_parse("a", b, strlen(b), &d)) PT_CHECK(0, "%s", prc_lasterr());
  if (pt_cur_fail) return;
  PT_CHECK(d.n == 5 && d.n_rows == 3 && d.n_dup == 1 && d.n_absent == 2, "n %lld rows %lld dup %lld absent %lld", (long long)d.n,
           (long long)d.n_rows, (long long)d.n_dup, (long long)d.n_absent);
  PT_CHECK(isnan(d.v[4]) && isnan(d.v[11]) && d.v[12] == 5 && d.v[15] == 8, "grid");
  prc_iaga_free(&d);
}

/* A malformed text must fail with a message containing every pattern. */
static void bad(const char *what, const char *text, const char *p1, const char *p2)
{
  prc_iaga d;
  prc_clearerr();
  int rc = prc_iaga_parse("bad.iaga", text, strlen(text), &d);
  PT_CHECK(rc != 0, "%s: accepted", what);
  if (rc) {
    PT_CHECK(strstr(prc_lasterr(), p1) && (!p2 || strstr(prc_lasterr(), p2)), "%s: message '%s' lacks '%s' / '%s'", what,
             prc_lasterr(), p1, p2 ? p2 : "");
    PT_CHECK(d.v == NULL, "%s: record left allocated", what);
  } else
    prc_iaga_free(&d);
}

static void test_malformed(void)
{
  static char b[8192];
  /* header: 12 fields (lines 1-12), comment line 13, column header line 14, data from line 15 */
  make(b, sizeof b, "Reported", NULL, NULL, good);
  bad("missing header field", b, "bad.iaga:13:", "'Reported'");
  make(b, sizeof b, "IAGA CODE", NULL, NULL, good);
  bad("IAGA CODE missing", b, "bad.iaga:13:", "'IAGA CODE'");
  make(b, sizeof b, NULL, "Geodetic Latitude", "95", good);
  bad("latitude 95", b, "bad.iaga:5:", "Geodetic Latitude': expected degrees in [-90, 90], found '95'");
  make(b, sizeof b, NULL, "Geodetic Longitude", "east", good);
  bad("longitude text", b, "bad.iaga:6:", "Geodetic Longitude");
  make(b, sizeof b, NULL, "Format", "IAGA-2000", good);
  bad("format", b, "bad.iaga:1:", "'IAGA-2002', found 'IAGA-2000'");
  make(b, sizeof b, NULL, "Reported", "DHZ", good);
  bad("reported 3", b, "bad.iaga:8:", "Reported");
  make(b, sizeof b, NULL, "Data Interval Type", "now and then", good);
  bad("interval type", b, "bad.iaga:11:", "Data Interval Type");
  make(b, sizeof b, NULL, NULL, NULL, "2011-03-01 00:00:00.000 060  -227.75\n");
  bad("data line too short", b, "bad.iaga:15:", "values: expected 4 columns, found 1");
  make(b, sizeof b, NULL, NULL, NULL, "2011-03-01 00:00\n");
  bad("data line truncated", b, "bad.iaga:15:", "data line");
  make(b, sizeof b, NULL, NULL, NULL, ROW("00:00:00.000", "1", "2", "x3", "4"));
  bad("non-numeric value", b, "bad.iaga:15:", "value 3 (Z): expected a decimal number");
  make(b, sizeof b, NULL, NULL, NULL, ROW("00:00:00.000", "1", "NaN", "3", "4"));
  bad("NaN text", b, "bad.iaga:15:", "value 2 (H)");
  make(b, sizeof b, NULL, NULL, NULL, ROW("00:00:00.000", "1", "inf", "3", "4"));
  bad("inf text", b, "bad.iaga:15:", "found 'inf'");
  make(b, sizeof b, NULL, NULL, NULL, ROW("00:01:00.000", "1", "2", "3", "4") ROW("00:00:00.000", "1", "2", "3", "4"));
  bad("time backwards", b, "bad.iaga:16:", "time goes backwards");
  make(b, sizeof b, NULL, NULL, NULL, ROW("00:00:00.000", "1", "2", "3", "4") ROW("00:00:00.000", "1", "2", "3", "5"));
  bad("duplicate different", b, "bad.iaga:16:", "duplicate time 2011-03-01T00:00:00Z with values different from line 15");
  make(b, sizeof b, NULL, NULL, NULL, ROW("00:00:00.000", "1", "2", "3", "4") ROW("00:01:30.000", "1", "2", "3", "4"));
  bad("irregular step", b, "bad.iaga:16:", "multiple of 60000 ms");
  make(b, sizeof b, NULL, NULL, NULL, ROW("00:00:00.000", "1", "2", "3", "4") ROW("00:02:00.000", "1", "2", "3", "4"));
  bad("interval disagrees", b, "bad.iaga:15:", "the data's interval is 120000 ms");
  make(b, sizeof b, NULL, NULL, NULL, "2011-02-30 00:00:00.000 061 1 2 3 4\n");
  bad("date not a date", b, "bad.iaga:15:", "DATE/TIME: expected a valid");
  make(b, sizeof b, NULL, NULL, NULL, "2011-03-01 24:00:00.000 060 1 2 3 4\n");
  bad("hour 24", b, "bad.iaga:15:", "DATE/TIME");
  make(b, sizeof b, NULL, NULL, NULL, "2011-03-01 00:00:00.000 061 1 2 3 4\n");
  bad("wrong DOY", b, "bad.iaga:15:", "DOY: expected 060");
  bad("empty file", "", "bad.iaga:1:", "empty");
  make(b, sizeof b, NULL, NULL, NULL, "");
  bad("header only", b, "bad.iaga:14:", "header only");
  make(b, sizeof b, NULL, NULL, NULL, ROW("00:00:00.000", "1", "2", "3", "4 5"));
  bad("five values", b, "bad.iaga:15:", "values: expected 4 columns, found more");
  make(b, sizeof b, NULL, NULL, NULL, ROW("00:00:00.000", "1", "2", "3", ""));
  bad("three values", b, "bad.iaga:15:", "values: expected 4 columns, found 3");
  /* column header lacking a label; header record without '|' */
  make(b, sizeof b, NULL, NULL, NULL, good);
  char *ch = strstr(b, "TSTF");
  memcpy(ch, "    ", 4);
  bad("column header", b, "bad.iaga:14:", "column header");
  make(b, sizeof b, NULL, NULL, NULL, good);
  ch = strchr(b, '|');
  *ch = ' ';
  bad("header record without bar", b, "bad.iaga:1:", "header record");
  bad("not IAGA at all", "time,lat,lon\n1,2,3\n", "bad.iaga:1:", "header record");
}

static void split(const char *rows_a, const char *rows_b, prc_iaga *p)
{
  static char b[8192];
  make(b, sizeof b, NULL, NULL, NULL, rows_a);
  PT_CHECK(prc_iaga_parse("first", b, strlen(b), &p[0]) == 0, "%s", prc_lasterr());
  make(b, sizeof b, NULL, NULL, NULL, rows_b);
  PT_CHECK(prc_iaga_parse("second", b, strlen(b), &p[1]) == 0, "%s", prc_lasterr());
}

static void test_merge(void)
{
  prc_iaga p[2], m;
  /* given out of order, overlapping by one equal sample */
  split(ROW("00:02:00.000", "3", "3", "3", "3") ROW("00:03:00.000", "4", "4", "4", "99999.00"),
        ROW("00:00:00.000", "1", "1", "1", "1") ROW("00:01:00.000", "2", "2", "2", "2") ROW("00:02:00.000", "3", "3", "3", "3"), p);
  if (prc_iaga_merge(p, 2, &m)) PT_CHECK(0, "%s", prc_lasterr());
  if (pt_cur_fail) return;
  PT_CHECK(m.n == 4 && m.n_overlap == 1 && m.n_between == 0 && m.nfiles == 2 && m.t0_ms == p[1].t0_ms, "n %lld overlap %lld",
           (long long)m.n, (long long)m.n_overlap);
  for (int i = 0; i < 3; i++) PT_CHECK(m.v[4 * i] == i + 1, "value %d", i);
  PT_CHECK(isnan(m.v[15]), "missing kept");
  prc_iaga_free(&m), prc_iaga_free(&p[0]), prc_iaga_free(&p[1]);
  /* a gap between files */
  split(ROW("00:00:00.000", "1", "1", "1", "1"), ROW("00:03:00.000", "4", "4", "4", "4") ROW("00:04:00.000", "5", "5", "5", "5"), p);
  PT_CHECK(prc_iaga_merge(p, 2, &m) == 0 && m.n == 5 && m.n_between == 2 && isnan(m.v[4]) && m.v[12] == 4, "gap between");
  prc_iaga_free(&m), prc_iaga_free(&p[0]), prc_iaga_free(&p[1]);
  /* conflicting overlap */
  split(ROW("00:00:00.000", "1", "1", "1", "1") ROW("00:01:00.000", "2", "2", "2", "2"),
        ROW("00:01:00.000", "2", "2", "2.5", "2"), p);
  PT_CHECK(prc_iaga_merge(p, 2, &m) != 0, "conflict accepted");
  PT_CHECK(strstr(prc_lasterr(), "first and second overlap with different values at 2011-03-01T00:01:00Z, channel Z"), "%s",
           prc_lasterr());
  prc_iaga_free(&p[0]), prc_iaga_free(&p[1]);
  /* different stations */
  static char b[8192];
  make(b, sizeof b, NULL, NULL, NULL, ROW("00:00:00.000", "1", "1", "1", "1"));
  PT_CHECK(prc_iaga_parse("one", b, strlen(b), &p[0]) == 0, "parse");
  make(b, sizeof b, NULL, "Geodetic Latitude", "27.1", ROW("00:01:00.000", "1", "1", "1", "1"));
  PT_CHECK(prc_iaga_parse("two", b, strlen(b), &p[1]) == 0, "parse");
  PT_CHECK(prc_iaga_merge(p, 2, &m) != 0 && strstr(prc_lasterr(), "'Geodetic Latitude' differs"), "%s", prc_lasterr());
  prc_iaga_free(&p[0]), prc_iaga_free(&p[1]);
}

static void test_block_mean(void)
{
  /* 1-minute samples from 00:30, blocks of 2 h: block 0 [00:00, 02:00) has 90 samples of
   * 120 (75 %), block 1 full, block 2 has 30 */
  int64_t t0 = 1298937600000LL + 30 * 60000LL, n = 90 + 120 + 30, nb, tb;
  double  x[240], *y;
  for (int i = 0; i < n; i++) x[i] = i;
  for (int i = 100; i < 160; i++) x[i] = NAN; /* 60 NaN in block 1 (50 %) */
  PT_CHECK(prc_iaga_block_mean(x, n, t0, 60000, 7200000, 0.5, &y, &nb, &tb) == 0, "%s", prc_lasterr());
  PT_CHECK(nb == 3 && tb == 1298937600000LL, "nb %lld tb %lld", (long long)nb, (long long)tb);
  PT_NEAR(y[0], 44.5, 0, 0);
  double s = 0;
  int    c = 0;
  for (int i = 90; i < 210; i++)
    if (!isnan(x[i])) s += x[i], c++;
  PT_NEAR(y[1], s / c, 0, 1e-15);
  PT_CHECK(isnan(y[2]), "block 2 has 25 %% valid");
  free(y);
  PT_CHECK(prc_iaga_block_mean(x, n, t0, 60000, 7200000, 0.8, &y, &nb, &tb) == 0 && isnan(y[0]) && isnan(y[1]), "0.8");
  free(y);
  PT_CHECK(prc_iaga_block_mean(x, n, t0, 60000, 90000, 0.5, &y, &nb, &tb) != 0 && strstr(prc_lasterr(), "multiple"), "90 s");
}

int main(void)
{
  pt_prog = "test_read_iaga2002";
  PT_RUN(test_good);
  PT_RUN(test_interval);
  PT_RUN(test_absent_and_dup);
  PT_RUN(test_malformed);
  PT_RUN(test_merge);
  PT_RUN(test_block_mean);
  return pt_finish();
}

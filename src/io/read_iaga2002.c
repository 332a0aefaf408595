/* read_iaga2002.c — IAGA-2002 parser, concatenation and block means (kernel: no MPI).
 * See include/precursor/read_iaga2002.h and docs/FORMATS.md. */
#include "precursor/read_iaga2002.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "precursor/error.h"
#include "precursor/timeutil.h"

void prc_iaga_free(prc_iaga *d)
{
  free(d->v);
  d->v = NULL;
  d->n = 0;
}

/* Copy s[0..n) trimmed of blanks into out (size cap). */
static void trim_copy(const char *s, size_t n, char *out, size_t cap)
{
  while (n && isspace((unsigned char)*s)) s++, n--;
  while (n && isspace((unsigned char)s[n - 1])) n--;
  if (n >= cap) n = cap - 1;
  memcpy(out, s, n);
  out[n] = '\0';
}

/* A plain decimal number: optional sign, digits, optional '.' and digits (no exponent,
 * no inf/nan). */
static int plain_number(const char *s, double *v)
{
  const char *p = s;
  int         digits = 0;
  if (*p == '+' || *p == '-') p++;
  while (isdigit((unsigned char)*p)) p++, digits++;
  if (*p == '.') {
    p++;
    while (isdigit((unsigned char)*p)) p++, digits++;
  }
  if (*p || !digits) return 1;
  *v = strtod(s, NULL);
  return !isfinite(*v);
}

int64_t prc_iaga_interval_ms(const char *type)
{
  char        buf[64];
  const char *p;
  long        k = 1;
  snprintf(buf, sizeof buf, "%s", type);
  for (char *c = buf; *c; c++) *c = (char)tolower((unsigned char)*c);
  p = buf;
  if (!strncmp(p, "filtered", 8)) p += 8;
  while (*p == ' ') p++;
  if (!strncmp(p, "hourly", 6)) return 3600000;
  if (!strncmp(p, "daily", 5)) return 86400000;
  if (isdigit((unsigned char)*p)) {
    char *e;
    k = strtol(p, &e, 10);
    if (k <= 0 || k > 100000 || (*e != '-' && *e != ' ')) return 0;
    p = e + 1;
    while (*p == ' ') p++;
  }
  /* "minute"; "minite" is a misspelling found in WDC Kyoto files */
  if (!strncmp(p, "min", 3)) return 60000 * (int64_t)k;
  if (!strncmp(p, "sec", 3)) return 1000 * (int64_t)k;
  if (!strncmp(p, "hour", 4)) return 3600000 * (int64_t)k;
  if (!strncmp(p, "day", 3)) return 86400000 * (int64_t)k;
  return 0;
}

enum { H_FORMAT, H_CODE, H_LAT, H_LON, H_ELEV, H_REPORTED, H_INTERVAL, H_NREQ };
static const char *const req_keys[H_NREQ] = {"Format", "IAGA CODE", "Geodetic Latitude", "Geodetic Longitude",
                                             "Elevation", "Reported", "Data Interval Type"};

/* Record the message (which may quote the buffers), then free them. */
static int fail_free(int rc, void *a, void *b, void *c)
{
  free(a), free(b), free(c);
  return rc;
}
#define FAIL(line, fmt, ...) fail_free(prc_seterr("%s:%lld: " fmt, d->file, (long long)(line), ##__VA_ARGS__), tms, vals, lno)

/* Date "YYYY-MM-DD" and time "HH:MM:SS.sss" at fixed columns -> ms since epoch. */
static int parse_datetime(const char *s, int64_t *ms, int *doy)
{
  for (int i = 0; i < 23; i++) {
    char c = s[i];
    int  want_sep = (i == 4 || i == 7) ? '-' : i == 10 ? ' ' : (i == 13 || i == 16) ? ':' : i == 19 ? '.' : 0;
    if (want_sep ? c != want_sep : !isdigit((unsigned char)c)) return 1;
  }
  int y = atoi(s), mo = atoi(s + 5), da = atoi(s + 8), h = atoi(s + 11), mi = atoi(s + 14), se = atoi(s + 17),
      f = atoi(s + 20);
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int              leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo < 1 || mo > 12 || da < 1 || da > mdays[mo - 1] + (mo == 2 && leap) || h > 23 || mi > 59 || se > 59) return 1;
  int64_t days = prc_days_from_civil(y, (unsigned)mo, (unsigned)da);
  *doy = (int)(days - prc_days_from_civil(y, 1, 1)) + 1;
  *ms = ((days * 24 + h) * 60 + mi) * 60000 + se * 1000 + f;
  return 0;
}

static void fmt_ms(int64_t ms, char *buf, int len)
{
  prc_time_format((double)(ms / 1000), buf, len);
}

int prc_iaga_parse(const char *name, const char *text, size_t len, prc_iaga *d)
{
  char     key[32], val[64], hv[H_NREQ][64];
  int      have[H_NREQ] = {0}, colhdr = 0;
  int64_t  cap = 0, nr = 0, *tms = NULL, *lno = NULL, hdr_dt = 0, colhdr_line = 0;
  double  *vals = NULL;
  long long line = 0;
  memset(d, 0, sizeof *d);
  snprintf(d->file, sizeof d->file, "%s", name);
  d->elevation_m = NAN;
  if (!len) return prc_seterr("%s:1: file is empty: expected an IAGA-2002 header ( Format IAGA-2002 |)", d->file);
  size_t pos = 0;
  while (pos < len) {
    size_t e = pos;
    while (e < len && text[e] != '\n') e++;
    size_t n = e - pos;
    const char *s = text + pos;
    pos = e + 1;
    line++;
    if (n && s[n - 1] == '\r') n--;
    size_t m = n;
    while (m && isspace((unsigned char)s[m - 1])) m--;
    if (!m) continue; /* blank line */
    if (!colhdr) {
      if (m >= 4 && !strncmp(s, "DATE", 4)) { /* column header */
        for (int k = 0; k < H_NREQ; k++)
          if (!have[k])
            return FAIL(line, "header field '%s': expected before the column header, found none", req_keys[k]);
        char lab[7][32];
        char tmp[256];
        trim_copy(s, m, tmp, sizeof tmp);
        if (tmp[strlen(tmp) - 1] == '|') tmp[strlen(tmp) - 1] = ' ';
        int nl = sscanf(tmp, "%31s %31s %31s %31s %31s %31s %31s", lab[0], lab[1], lab[2], lab[3], lab[4], lab[5], lab[6]);
        char dummy[8];
        if (nl != 7 || strcmp(lab[1], "TIME") || strcmp(lab[2], "DOY") ||
            sscanf(tmp, "%*s %*s %*s %*s %*s %*s %*s %7s", dummy) == 1)
          return FAIL(line, "column header: expected 'DATE TIME DOY' and %d component labels, found '%s'", PRC_IAGA_NCH, tmp);
        for (int c = 0; c < PRC_IAGA_NCH; c++) {
          size_t L = strlen(lab[3 + c]);
          if (toupper((unsigned char)lab[3 + c][L - 1]) != d->reported[c])
            return FAIL(line, "column header label %d: expected a name ending in '%c' (Reported %s), found '%s'", c + 1,
                        d->reported[c], d->reported, lab[3 + c]);
        }
        colhdr = 1, colhdr_line = line;
        continue;
      }
      if (s[0] != ' ' || s[m - 1] != '|')
        return FAIL(line, "header record: expected ' Key  Value |' (ending in '|') or the column header 'DATE TIME DOY ...', found '%.*s'",
                    (int)(m > 80 ? 80 : m), s);
      if (m >= 2 && s[1] == '#') continue; /* comment record */
      if (m < 26) return FAIL(line, "header record: expected 70 columns ending in '|', found %d columns", (int)m);
      trim_copy(s + 1, 23, key, sizeof key);
      trim_copy(s + 24, m - 25, val, sizeof val);
      for (int k = 0; k < H_NREQ; k++)
        if (!strcasecmp(key, req_keys[k])) {
          if (have[k]) return FAIL(line, "header field '%s': expected once, found twice", req_keys[k]);
          have[k] = 1;
          snprintf(hv[k], sizeof hv[k], "%s", val);
          char *end;
          double x = strtod(val, &end);
          switch (k) {
          case H_FORMAT:
            if (strcasecmp(val, "IAGA-2002")) return FAIL(line, "header field 'Format': expected 'IAGA-2002', found '%s'", val);
            break;
          case H_CODE:
            if (!val[0] || strlen(val) > 8) return FAIL(line, "header field 'IAGA CODE': expected a station code, found '%s'", val);
            for (char *c = val; *c; c++)
              if (!isalnum((unsigned char)*c)) return FAIL(line, "header field 'IAGA CODE': expected letters and digits, found '%s'", val);
            snprintf(d->code, sizeof d->code, "%s", val);
            break;
          case H_LAT:
          case H_LON:
            if (!val[0] || *end || plain_number(val, &x) || (k == H_LAT ? (x < -90 || x > 90) : (x < -180 || x > 360)))
              return FAIL(line, "header field '%s': expected degrees in [%s], found '%s'", req_keys[k],
                          k == H_LAT ? "-90, 90" : "-180, 360", val);
            *(k == H_LAT ? &d->lat : &d->lon) = x;
            break;
          case H_ELEV:
            if (val[0] && plain_number(val, &x))
              return FAIL(line, "header field 'Elevation': expected metres (or blank), found '%s'", val);
            if (val[0]) d->elevation_m = x;
            break;
          case H_REPORTED:
            if (strlen(val) != PRC_IAGA_NCH) return FAIL(line, "header field 'Reported': expected 4 component letters (e.g. DHZF, XYZF), found '%s'", val);
            for (int c = 0; c < PRC_IAGA_NCH; c++) {
              char u = (char)toupper((unsigned char)val[c]);
              if (!strchr("XYZHDIEFGS", u) || strchr(d->reported, u))
                return FAIL(line, "header field 'Reported': expected 4 distinct letters of XYZHDIEFGS, found '%s'", val);
              d->reported[c] = u;
              d->chan[c][0] = u;
              snprintf(d->units[c], sizeof d->units[c], "%s", (u == 'D' || u == 'I') ? "arcmin" : "nT");
            }
            break;
          case H_INTERVAL:
            hdr_dt = prc_iaga_interval_ms(val);
            if (!hdr_dt)
              return FAIL(line, "header field 'Data Interval Type': expected 'N-second', 'N-minute', 'Hourly', 'Daily' (optionally 'Filtered ...'), found '%s'", val);
            snprintf(d->interval_type, sizeof d->interval_type, "%s", val);
            break;
          }
        }
      if (!strcasecmp(key, "Station Name")) snprintf(d->name, sizeof d->name, "%s", val);
      if (!strcasecmp(key, "Data Type")) snprintf(d->data_type, sizeof d->data_type, "%s", val);
      continue;
    }
    /* data line */
    if (m < 28) return FAIL(line, "data line: expected 'YYYY-MM-DD HH:MM:SS.sss DDD' and %d values, found %d columns", PRC_IAGA_NCH, (int)m);
    int64_t t;
    int     doy;
    if (parse_datetime(s, &t, &doy)) return FAIL(line, "DATE/TIME: expected a valid 'YYYY-MM-DD HH:MM:SS.sss', found '%.23s'", s);
    char dtxt[4] = {s[24], s[25], s[26], 0};
    if (s[23] != ' ' || !isdigit((unsigned char)dtxt[0]) || !isdigit((unsigned char)dtxt[1]) || !isdigit((unsigned char)dtxt[2]) ||
        atoi(dtxt) != doy || (m > 27 && s[27] != ' '))
      return FAIL(line, "DOY: expected %03d (day of year of %.10s), found '%.*s'", doy, s, (int)(m < 28 ? m - 23 : 4), s + 23);
    char   buf[256], *save = NULL, *tok;
    double v[PRC_IAGA_NCH];
    int    nv = 0;
    trim_copy(s + 27, m - 27, buf, sizeof buf);
    for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
      if (nv == PRC_IAGA_NCH) return FAIL(line, "values: expected %d columns, found more", PRC_IAGA_NCH);
      if (plain_number(tok, &v[nv]))
        return FAIL(line, "value %d (%s): expected a decimal number (99999.00 = missing), found '%s'", nv + 1, d->chan[nv], tok);
      nv++;
    }
    if (nv != PRC_IAGA_NCH) return FAIL(line, "values: expected %d columns, found %d", PRC_IAGA_NCH, nv);
    if (nr) {
      int64_t prev = tms[nr - 1];
      if (t < prev) {
        char a[32], b[32];
        fmt_ms(t, a, sizeof a), fmt_ms(prev, b, sizeof b);
        return FAIL(line, "TIME: expected later than %s (line %lld), found %s (time goes backwards)", b, (long long)lno[nr - 1], a);
      }
      if (t == prev) {
        if (!memcmp(v, vals + PRC_IAGA_NCH * (nr - 1), sizeof v)) {
          d->n_dup++;
          continue;
        }
        char a[32];
        fmt_ms(t, a, sizeof a);
        return FAIL(line, "TIME: duplicate time %s with values different from line %lld", a, (long long)lno[nr - 1]);
      }
      if ((t - prev) % hdr_dt) {
        return FAIL(line, "TIME: expected a step that is a multiple of %lld ms (Data Interval Type '%s'), found %lld ms after line %lld",
                    (long long)hdr_dt, d->interval_type, (long long)(t - prev), (long long)lno[nr - 1]);
      }
    }
    if (nr == cap) {
      cap = cap ? 2 * cap : 4096;
      int64_t *t2 = realloc(tms, (size_t)cap * sizeof *t2), *l2 = t2 ? realloc(lno, (size_t)cap * sizeof *l2) : NULL;
      if (t2) tms = t2;
      if (l2) lno = l2;
      double *v2 = l2 ? realloc(vals, (size_t)cap * PRC_IAGA_NCH * sizeof *v2) : NULL;
      if (!v2) return FAIL(line, "out of memory for %lld rows", (long long)cap);
      vals = v2;
    }
    tms[nr] = t, lno[nr] = line;
    memcpy(vals + PRC_IAGA_NCH * nr, v, sizeof v);
    nr++;
  }
  if (!colhdr) {
    for (int k = 0; k < H_NREQ; k++)
      if (!have[k]) return FAIL(line, "header field '%s': expected, found none (end of file)", req_keys[k]);
    return FAIL(line, "column header: expected 'DATE TIME DOY ...', found end of file");
  }
  if (!nr) return FAIL(colhdr_line, "data: expected data lines after the column header, found none (header only)");
  int64_t min_step = 0;
  for (int64_t i = 1; i < nr; i++) {
    if (!min_step || tms[i] - tms[i - 1] < min_step) min_step = tms[i] - tms[i - 1];
    /* one corrupt date must not ask for gigabytes of NaN rows (found by fuzzing) */
    if (tms[i] - tms[i - 1] > 366LL * 86400000)
      return FAIL(lno[i], "DATE: %.1f days after the previous data line (%lld): more than a year without data, a corrupt date?",
                  (double)(tms[i] - tms[i - 1]) / 86400000.0, (long long)lno[i - 1]);
  }
  if (nr > 1 && min_step != hdr_dt)
    return FAIL(lno[0], "TIME: the data's interval is %lld ms, the Data Interval Type '%s' says %lld ms", (long long)min_step,
                d->interval_type, (long long)hdr_dt);
  d->t0_ms = tms[0], d->dt_ms = hdr_dt, d->n_rows = nr;
  d->n = (tms[nr - 1] - tms[0]) / hdr_dt + 1;
  d->v = malloc((size_t)d->n * PRC_IAGA_NCH * sizeof(double));
  if (!d->v) return FAIL(line, "out of memory for %lld samples", (long long)d->n);
  for (int64_t i = 0; i < d->n * PRC_IAGA_NCH; i++) d->v[i] = NAN;
  for (int64_t r = 0; r < nr; r++) {
    int64_t i = (tms[r] - tms[0]) / hdr_dt;
    for (int c = 0; c < PRC_IAGA_NCH; c++) {
      double x = vals[PRC_IAGA_NCH * r + c];
      if (x == 99999.0) d->n_missing[c]++, x = NAN;
      else if (x == 88888.0) d->n_notrec[c]++, x = NAN;
      d->v[PRC_IAGA_NCH * i + c] = x;
    }
  }
  d->n_absent = d->n - nr;
  d->nfiles = 1;
  free(tms), free(vals), free(lno);
  return 0;
}
#undef FAIL

int prc_iaga_read(const char *path, prc_iaga *d)
{
  memset(d, 0, sizeof *d);
  FILE *f = fopen(path, "rb");
  if (!f) return prc_seterr("%s: cannot open: %s", path, strerror(errno));
  char  *buf = NULL;
  size_t len = 0, cap = 0, got;
  do {
    if (len + 65536 > cap) {
      cap = 2 * cap + 65536;
      char *b = realloc(buf, cap);
      if (!b) {
        free(buf), fclose(f);
        return prc_seterr("%s: out of memory reading the file", path);
      }
      buf = b;
    }
    got = fread(buf + len, 1, cap - len, f);
    len += got;
  } while (got);
  int err = ferror(f);
  fclose(f);
  if (err) {
    free(buf);
    return prc_seterr("%s: read error", path);
  }
  int rc = prc_iaga_parse(path, buf, len, d);
  free(buf);
  return rc;
}

int prc_iaga_merge(const prc_iaga *parts, int np, prc_iaga *out)
{
  memset(out, 0, sizeof *out);
  if (np < 1) return prc_seterr("IAGA-2002 merge: no records");
  int *ord = malloc((size_t)np * sizeof *ord);
  if (!ord) return prc_seterr("IAGA-2002 merge: out of memory");
  for (int i = 0; i < np; i++) ord[i] = i;
  for (int i = 1; i < np; i++) /* stable insertion sort by start time */
    for (int j = i; j > 0 && parts[ord[j]].t0_ms < parts[ord[j - 1]].t0_ms; j--) {
      int t = ord[j];
      ord[j] = ord[j - 1], ord[j - 1] = t;
    }
  const prc_iaga *a = &parts[ord[0]];
  int64_t         dt = a->dt_ms, t0 = a->t0_ms, t1 = t0;
  for (int k = 0; k < np; k++) {
    const prc_iaga *b = &parts[ord[k]];
    const char     *what = strcmp(b->code, a->code) ? "IAGA CODE" : strcmp(b->reported, a->reported) ? "Reported"
                         : b->dt_ms != dt ? "Data Interval Type" : b->lat != a->lat ? "Geodetic Latitude"
                         : b->lon != a->lon ? "Geodetic Longitude"
                         : !(b->elevation_m == a->elevation_m || (isnan(b->elevation_m) && isnan(a->elevation_m))) ? "Elevation" : NULL;
    if (what) {
      free(ord);
      return prc_seterr("%s and %s: header field '%s' differs: expected the same station record", a->file, b->file, what);
    }
    if ((b->t0_ms - t0) % dt) {
      free(ord);
      return prc_seterr("%s and %s: sample times are not on one %lld ms grid", a->file, b->file, (long long)dt);
    }
    if (b->t0_ms + (b->n - 1) * dt > t1) t1 = b->t0_ms + (b->n - 1) * dt;
  }
  *out = *a;
  out->v = NULL;
  out->nfiles = np;
  out->n = (t1 - t0) / dt + 1;
  out->n_rows = out->n_absent = out->n_dup = 0;
  memset(out->n_missing, 0, sizeof out->n_missing), memset(out->n_notrec, 0, sizeof out->n_notrec);
  out->v = malloc((size_t)out->n * PRC_IAGA_NCH * sizeof(double));
  int *src = malloc((size_t)out->n * sizeof(int)); /* which part filled a sample (-1: none) */
  if (!out->v || !src) {
    free(ord), free(src), prc_iaga_free(out);
    return prc_seterr("IAGA-2002 merge: out of memory for %lld samples", (long long)out->n);
  }
  for (int64_t i = 0; i < out->n; i++) src[i] = -1;
  for (int64_t i = 0; i < out->n * PRC_IAGA_NCH; i++) out->v[i] = NAN;
  for (int k = 0; k < np; k++) {
    const prc_iaga *b = &parts[ord[k]];
    int64_t         off = (b->t0_ms - t0) / dt;
    out->n_rows += b->n_rows, out->n_absent += b->n_absent, out->n_dup += b->n_dup;
    out->n_overlap += b->n_overlap, out->n_between += b->n_between;
    for (int c = 0; c < PRC_IAGA_NCH; c++) out->n_missing[c] += b->n_missing[c], out->n_notrec[c] += b->n_notrec[c];
    for (int64_t i = 0; i < b->n; i++) {
      double *o = out->v + PRC_IAGA_NCH * (off + i);
      const double *x = b->v + PRC_IAGA_NCH * i;
      if (src[off + i] < 0) {
        memcpy(o, x, PRC_IAGA_NCH * sizeof(double));
        src[off + i] = ord[k];
        continue;
      }
      for (int c = 0; c < PRC_IAGA_NCH; c++)
        if (!(o[c] == x[c] || (isnan(o[c]) && isnan(x[c])))) {
          char tb[32];
          fmt_ms(b->t0_ms + i * dt, tb, sizeof tb);
          int  s = src[off + i];
          prc_seterr("%s and %s overlap with different values at %s, channel %s: %.2f vs %.2f", parts[s].file, b->file, tb,
                     a->chan[c], o[c], x[c]);
          free(ord), free(src), prc_iaga_free(out);
          return 1;
        }
      out->n_overlap++;
    }
  }
  int64_t filled = 0;
  for (int64_t i = 0; i < out->n; i++) filled += src[i] >= 0;
  out->n_between += out->n - filled;
  free(ord), free(src);
  return 0;
}

int prc_iaga_block_mean(const double *x, int64_t n, int64_t t0_ms, int64_t dt_ms, int64_t block_ms, double min_valid,
                        double **out, int64_t *nout, int64_t *t0_out)
{
  *out = NULL, *nout = 0;
  if (dt_ms <= 0 || block_ms <= 0 || block_ms % dt_ms)
    return prc_seterr("block mean: block of %lld ms is not a positive multiple of the %lld ms interval", (long long)block_ms,
                      (long long)dt_ms);
  if (n <= 0) return prc_seterr("block mean: empty record");
  int64_t tb0 = t0_ms - ((t0_ms % block_ms) + block_ms) % block_ms; /* floor to the block grid */
  int64_t tend = t0_ms + (n - 1) * dt_ms;
  int64_t nb = (tend - tb0) / block_ms + 1, per = block_ms / dt_ms;
  double *y = malloc((size_t)nb * sizeof *y), *sum = calloc((size_t)nb, sizeof *sum);
  int64_t *cnt = calloc((size_t)nb, sizeof *cnt);
  if (!y || !sum || !cnt) {
    free(y), free(sum), free(cnt);
    return prc_seterr("block mean: out of memory for %lld blocks", (long long)nb);
  }
  for (int64_t i = 0; i < n; i++)
    if (!isnan(x[i])) {
      int64_t b = (t0_ms + i * dt_ms - tb0) / block_ms;
      sum[b] += x[i], cnt[b]++;
    }
  for (int64_t b = 0; b < nb; b++) y[b] = cnt[b] && (double)cnt[b] >= min_valid * (double)per ? sum[b] / (double)cnt[b] : NAN;
  free(sum), free(cnt);
  *out = y, *nout = nb, *t0_out = tb0;
  return 0;
}

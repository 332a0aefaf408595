/* read_catalog_csv.c — CSV earthquake catalogs: CENC, JMA (as packaged by R ETAS), USGS
 * ComCat query.csv; format sniffing and dispatch. Kernel layer (no MPI); see
 * include/precursor/read_catalog.h and docs/FORMATS.md. */
#include "precursor/read_catalog.h"
#include "precursor/csv.h"
#include "precursor/error.h"
#include "precursor/text.h"
#include "precursor/timeutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CENC_HEADER "Time,Latitude,Longitude,Magnitude,Depth,None"
#define JMA_HEADER "\"date\",\"time\",\"long\",\"lat\",\"mag\",\"depth\""
#define COMCAT_PREFIX "time,latitude,longitude,depth,mag"
#define MAXF 64

/* The whole file in memory, NUL-terminated (catalogs are a few MB). */
static int slurp(const char *path, char **buf, size_t *len)
{
  FILE *fp = fopen(path, "rb");
  if (!fp) return prc_seterr("cannot open catalog '%s': %s", path, strerror(errno));
  size_t cap = 1 << 16, n = 0, k;
  char  *b = malloc(cap);
  if (!b) return fclose(fp), prc_seterr("'%s': out of memory", path);
  while ((k = fread(b + n, 1, cap - n - 1, fp)) > 0) {
    n += k;
    if (cap - n - 1 == 0) {
      char *nb = realloc(b, cap *= 2);
      if (!nb) return free(b), fclose(fp), prc_seterr("'%s': out of memory", path);
      b = nb;
    }
  }
  int err = ferror(fp);
  fclose(fp);
  if (err) return free(b), prc_seterr("'%s': read error", path);
  b[n] = '\0';
  if (strlen(b) != n) return free(b), prc_seterr("'%s': contains NUL bytes (not a text catalog)", path);
  *buf = b, *len = n;
  return 0;
}

/* Line cursor: next line (in place, '\r\n' or '\n' stripped); *had_nl = 0 for a last line
 * without a newline. Returns NULL at the end. */
static char *next_line(char **cur, int *had_nl)
{
  char *s = *cur, *e;
  if (!*s) return NULL;
  e = strchr(s, '\n');
  *had_nl = e != NULL;
  if (e) *e = '\0', *cur = e + 1;
  else *cur = s + strlen(s);
  size_t l = strlen(s);
  if (l && s[l - 1] == '\r') s[l - 1] = '\0';
  return s;
}

/* Split a CSV line in place: fields separated by ',', a field may be "quoted" with ""
 * for a quote inside. Returns the number of fields, or -1 (unterminated quote: *bad set
 * to the column, 1-based), -2 (text after a closing quote), -3 (more than max fields). */
static int split_csv(char *s, char **f, int max, int *bad)
{
  int n = 0;
  for (;;) {
    if (n == max) return -3;
    if (*s == '"') {
      char *w = ++s;
      f[n++] = w;
      for (;;) {
        if (!*s) return *bad = n, -1;
        if (*s == '"') {
          if (s[1] == '"') *w++ = '"', s += 2;
          else break;
        } else *w++ = *s++;
      }
      s++; /* closing quote */
      *w = '\0';
      if (*s == ',') s++;
      else if (!*s) return n;
      else return *bad = n, -2;
      /* the separator may have been overwritten above: w <= s-1 always, fine */
    } else {
      f[n++] = s;
      char *c = strchr(s, ',');
      if (!c) return n;
      *c = '\0';
      s = c + 1;
    }
  }
}

static int bad_field(const char *path, long line, int had_nl, const char *field, const char *expected, const char *found)
{
  return prc_seterr("%s:%ld: field %s: expected %s, found '%s'%s", path, line, field, expected, found,
                    had_nl ? "" : " (last line has no newline: truncated file?)");
}


static void set_str(char *dst, size_t len, const char *src)
{
  size_t l = strlen(src);
  if (l >= len) l = len - 1;
  memcpy(dst, src, l);
  memset(dst + l, 0, len - l);
}

/* Shared checks: lat, lon, mag ranges. */
static int check_pos_mag(const char *path, long ln, int nl, const char *flat, const char *tlat, double *lat,
                         const char *flon, const char *tlon, double *lon, const char *fmag, const char *tmag, double *mag)
{
  if (!prc_parse_real(tlat, lat) || *lat < -90 || *lat > 90) return bad_field(path, ln, nl, flat, "a latitude in [-90, 90]", tlat);
  if (!prc_parse_real(tlon, lon) || *lon < -180 || *lon > 180) return bad_field(path, ln, nl, flon, "a longitude in [-180, 180]", tlon);
  if (!prc_parse_real(tmag, mag) || *mag < -5 || *mag > 10) return bad_field(path, ln, nl, fmag, "a magnitude in [-5, 10]", tmag);
  return 0;
}

static int parse_time(const char *path, long ln, int nl, const char *field, const char *txt, double offset_h, double *t)
{
  size_t l = strlen(txt);
  if (l < 19 || (txt[10] != 'T' && txt[10] != ' ')) return bad_field(path, ln, nl, field, "a date and time YYYY-MM-DD[T ]HH:MM:SS", txt);
  if (prc_time_parse(txt, t)) {
    char why[512];
    snprintf(why, sizeof why, "%s", prc_lasterr());
    return prc_seterr("%s:%ld: field %s: %s%s", path, ln, field, why, nl ? "" : " (last line has no newline: truncated file?)");
  }
  *t -= offset_h * 3600.0;
  return 0;
}

static void trim_bom(char **s)
{
  if ((unsigned char)(*s)[0] == 0xEF && (unsigned char)(*s)[1] == 0xBB && (unsigned char)(*s)[2] == 0xBF) *s += 3;
}

/* Open a CSV: slurp, check not empty, return the header line. */
static int open_csv(const char *path, char **buf, char **cur, char **header, int *nl)
{
  size_t len;
  if (slurp(path, buf, &len)) return 1;
  *cur = *buf;
  trim_bom(cur);
  *header = next_line(cur, nl);
  if (!*header || !**header) {
    free(*buf);
    return prc_seterr("%s:1: empty file (expected a header line)", path);
  }
  return 0;
}

int prc_read_cenc_csv(const char *path, double off, prc_evlist *ev, prc_catread_stats *st)
{
  char *buf, *cur, *s, *f[MAXF];
  int   nl, bad = 0, rc = 0;
  long  ln = 1;
  size_t row;
  if (open_csv(path, &buf, &cur, &s, &nl)) return 1;
  if (strcmp(s, CENC_HEADER)) {
    rc = prc_seterr("%s:1: header: expected '%s' (CENC), found '%.200s'", path, CENC_HEADER, s);
    goto done;
  }
  while ((s = next_line(&cur, &nl))) {
    ln++;
    if (!*s) continue;
    int n = split_csv(s, f, MAXF, &bad);
    if (n != 6) {
      rc = n == -1 ? prc_seterr("%s:%ld: field %d: unterminated quote", path, ln, bad)
                   : prc_seterr("%s:%ld: expected 6 fields (Time,Latitude,Longitude,Magnitude,Depth,None), found %d%s", path, ln,
                                n < 0 ? MAXF : n, nl ? "" : " (last line has no newline: truncated file?)");
      goto done;
    }
    double t, lat, lon, mag, dep, extra;
    if ((rc = parse_time(path, ln, nl, "Time", f[0], off, &t))) goto done;
    if ((rc = check_pos_mag(path, ln, nl, "Latitude", f[1], &lat, "Longitude", f[2], &lon, "Magnitude", f[3], &mag)))
      goto done;
    if (!prc_parse_real(f[4], &dep) || (dep < 0 && dep != -1) || dep > 1000) {
      rc = bad_field(path, ln, nl, "Depth", "a depth in [0, 1000] km or -1 (unknown)", f[4]);
      goto done;
    }
    if (!prc_parse_real(f[5], &extra)) {
      rc = bad_field(path, ln, nl, "None", "a number", f[5]);
      goto done;
    }
    if (st) st->rows++;
    if ((rc = prc_evlist_push(ev, &row))) goto done;
    ev->time[row] = t, ev->lat[row] = lat, ev->lon[row] = lon, ev->mag[row] = mag;
    ev->depth_km[row] = dep == -1 ? NAN : dep;
    ev->extra[row] = extra, ev->line[row] = ln;
    set_str(ev->source[row], PRC_EV_SOURCE_LEN, "CENC");
  }
done:
  free(buf);
  return rc;
}

int prc_read_jma_csv(const char *path, double off, prc_evlist *ev, prc_catread_stats *st)
{
  char *buf, *cur, *s, *f[MAXF];
  int   nl, bad = 0, rc = 0;
  long  ln = 1;
  size_t row;
  if (open_csv(path, &buf, &cur, &s, &nl)) return 1;
  if (strcmp(s, JMA_HEADER)) {
    rc = prc_seterr("%s:1: header: expected '%s' (JMA as packaged by R ETAS), found '%.200s'", path, JMA_HEADER, s);
    goto done;
  }
  while ((s = next_line(&cur, &nl))) {
    ln++;
    if (!*s) continue;
    int n = split_csv(s, f, MAXF, &bad);
    if (n != 6) {
      rc = n == -1 ? prc_seterr("%s:%ld: field %s: unterminated quote", path, ln, bad == 1 ? "date" : bad == 2 ? "time" : "(numeric)")
           : n == -2 ? prc_seterr("%s:%ld: field %d: text after the closing quote", path, ln, bad)
                     : prc_seterr("%s:%ld: expected 6 fields (date,time,long,lat,mag,depth), found %d%s", path, ln,
                                  n < 0 ? MAXF : n, nl ? "" : " (last line has no newline: truncated file?)");
      goto done;
    }
    char   dt[64];
    double t, lat, lon, mag, dep;
    if (strlen(f[0]) != 10) {
      rc = bad_field(path, ln, nl, "date", "YYYY-MM-DD", f[0]);
      goto done;
    }
    if (strlen(f[1]) < 8 || strlen(f[1]) > 20) {
      rc = bad_field(path, ln, nl, "time", "HH:MM:SS", f[1]);
      goto done;
    }
    snprintf(dt, sizeof dt, "%s %s", f[0], f[1]);
    if ((rc = parse_time(path, ln, nl, "date/time", dt, off, &t))) goto done;
    if ((rc = check_pos_mag(path, ln, nl, "lat", f[3], &lat, "long", f[2], &lon, "mag", f[4], &mag))) goto done;
    if (!prc_parse_real(f[5], &dep) || fabs(dep) > 1000) {
      rc = bad_field(path, ln, nl, "depth", "a depth in km (negative down)", f[5]);
      goto done;
    }
    if (st) st->rows++;
    if (dep > 0 && st) st->depth_positive++;
    if ((rc = prc_evlist_push(ev, &row))) goto done;
    ev->time[row] = t, ev->lat[row] = lat, ev->lon[row] = lon, ev->mag[row] = mag;
    ev->depth_km[row] = fabs(dep); /* -16.06 -> 16.06 km down; 0 -> 0 */
    ev->line[row] = ln;
    set_str(ev->mag_type[row], PRC_EV_MAGTYPE_LEN, "Mj");
    set_str(ev->source[row], PRC_EV_SOURCE_LEN, "JMA");
  }
done:
  free(buf);
  return rc;
}

static int col_index(char **h, int nh, const char *name)
{
  for (int i = 0; i < nh; i++)
    if (!strcmp(h[i], name)) return i;
  return -1;
}

int prc_read_comcat_csv(const char *path, int keep_all, prc_evlist *ev, prc_catread_stats *st)
{
  char *buf, *cur, *s, *h[MAXF], *f[MAXF], hcopy[4096];
  int   nl, bad = 0, rc = 0;
  long  ln = 1;
  size_t row;
  if (open_csv(path, &buf, &cur, &s, &nl)) return 1;
  snprintf(hcopy, sizeof hcopy, "%s", s);
  int nh = split_csv(s, h, MAXF, &bad);
  const char *need[] = {"time", "latitude", "longitude", "depth", "mag", "magType", "type"};
  int         ix[7], inet;
  if (strncmp(hcopy, COMCAT_PREFIX, strlen(COMCAT_PREFIX)) || nh < 0) {
    rc = prc_seterr("%s:1: header: expected a USGS ComCat query.csv header starting '%s,...', found '%.200s'", path,
                    COMCAT_PREFIX, hcopy);
    goto done;
  }
  for (int k = 0; k < 7; k++)
    if ((ix[k] = col_index(h, nh, need[k])) < 0) {
      rc = prc_seterr("%s:1: header: column '%s' missing (ComCat query.csv), found '%.200s'", path, need[k], hcopy);
      goto done;
    }
  inet = col_index(h, nh, "net");
  while ((s = next_line(&cur, &nl))) {
    ln++;
    if (!*s) continue;
    int n = split_csv(s, f, MAXF, &bad);
    if (n != nh) {
      rc = n == -1 ? prc_seterr("%s:%ld: field %s: unterminated quote", path, ln, bad <= nh ? h[bad - 1] : "?")
           : n == -2 ? prc_seterr("%s:%ld: field %s: text after the closing quote", path, ln, bad <= nh ? h[bad - 1] : "?")
                     : prc_seterr("%s:%ld: expected %d fields as in the header, found %d%s", path, ln, nh, n < 0 ? MAXF : n,
                                  nl ? "" : " (last line has no newline: truncated file?)");
      goto done;
    }
    double t, lat, lon, mag, dep;
    if (st) st->rows++;
    if ((rc = parse_time(path, ln, nl, "time", f[ix[0]], 0, &t))) goto done;
    if (!f[ix[6]][0]) {
      rc = bad_field(path, ln, nl, "type", "an event type (earthquake, quarry blast, ...)", "");
      goto done;
    }
    if (strcmp(f[ix[6]], "earthquake") && !keep_all) {
      if (st) st->not_earthquake++;
      continue;
    }
    if (!f[ix[4]][0]) { /* no magnitude: cannot be stored (the data model needs one) */
      if (st) st->no_mag++;
      continue;
    }
    if ((rc = check_pos_mag(path, ln, nl, "latitude", f[ix[1]], &lat, "longitude", f[ix[2]], &lon, "mag", f[ix[4]], &mag)))
      goto done;
    if (!f[ix[3]][0]) dep = NAN;
    else if (!prc_parse_real(f[ix[3]], &dep) || dep < -20 || dep > 1000) {
      rc = bad_field(path, ln, nl, "depth", "a depth in [-20, 1000] km or empty", f[ix[3]]);
      goto done;
    }
    if ((rc = prc_evlist_push(ev, &row))) goto done;
    ev->time[row] = t, ev->lat[row] = lat, ev->lon[row] = lon, ev->mag[row] = mag, ev->depth_km[row] = dep;
    ev->line[row] = ln;
    set_str(ev->mag_type[row], PRC_EV_MAGTYPE_LEN, f[ix[5]]);
    char src[64];
    snprintf(src, sizeof src, "ComCat/%s", inet >= 0 && f[inet][0] ? f[inet] : "?");
    set_str(ev->source[row], PRC_EV_SOURCE_LEN, src);
  }
done:
  free(buf);
  return rc;
}

/* ---------------------------------------------------------------------------------- */

static const char *fmt_names[] = {"auto", "cenc", "jma", "comcat", "quakeml"};

int prc_catfmt_parse(const char *s, prc_catfmt *f)
{
  for (int i = 0; i < 5; i++)
    if (!strcmp(s, fmt_names[i])) return *f = (prc_catfmt)i, 0;
  return prc_seterr("unknown catalog format '%s' (expected cenc, jma, comcat, quakeml or auto)", s);
}

const char *prc_catfmt_name(prc_catfmt f) { return (unsigned)f < 5 ? fmt_names[f] : "?"; }

int prc_catfmt_sniff(const char *path, prc_catfmt *f)
{
  char  first[1024] = "";
  FILE *fp = fopen(path, "rb");
  if (!fp) return prc_seterr("cannot open catalog '%s': %s", path, strerror(errno));
  size_t k = fread(first, 1, sizeof first - 1, fp);
  fclose(fp);
  first[k] = '\0';
  char *s = first;
  trim_bom(&s);
  char *p = s;
  while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
  if (*p == '<') return *f = PRC_CATFMT_QUAKEML, 0;
  s[strcspn(s, "\r\n")] = '\0';
  if (!k) return prc_seterr("%s:1: empty file (cannot tell its catalog format)", path);
  if (!strcmp(s, CENC_HEADER)) *f = PRC_CATFMT_CENC;
  else if (!strcmp(s, JMA_HEADER)) *f = PRC_CATFMT_JMA;
  else if (!strncmp(s, COMCAT_PREFIX, strlen(COMCAT_PREFIX))) *f = PRC_CATFMT_COMCAT;
  else
    return prc_seterr("%s:1: cannot tell the catalog format from the first line '%.120s' (expected the CENC, JMA or ComCat "
                      "header or XML; give -catalog_format)",
                      path, s);
  return 0;
}

int prc_read_catalog(const char *path, prc_catfmt f, double off, int keep_all, prc_evlist *ev, prc_catread_stats *st)
{
  if (f == PRC_CATFMT_AUTO && prc_catfmt_sniff(path, &f)) return 1;
  switch (f) {
  case PRC_CATFMT_CENC: return prc_read_cenc_csv(path, isnan(off) ? 8 : off, ev, st);
  case PRC_CATFMT_JMA: return prc_read_jma_csv(path, isnan(off) ? 9 : off, ev, st);
  case PRC_CATFMT_COMCAT: {
    size_t n0 = ev->n;
    if (prc_read_comcat_csv(path, keep_all, ev, st)) return 1;
    if (!isnan(off))
      for (size_t i = n0; i < ev->n; i++) ev->time[i] -= off * 3600.0;
    return 0;
  }
  case PRC_CATFMT_QUAKEML: {
    size_t n0 = ev->n;
    if (prc_read_quakeml(path, ev, st)) return 1;
    if (!isnan(off))
      for (size_t i = n0; i < ev->n; i++) ev->time[i] -= off * 3600.0;
    return 0;
  }
  default: return prc_seterr("'%s': no catalog format given", path);
  }
}

/* The shared splitter and line cursor (include/precursor/csv.h). */
char *prc_csv_next_line(char **cur, int *had_nl) { return next_line(cur, had_nl); }
int   prc_csv_split(char *s, char **f, int max, int *bad) { return split_csv(s, f, max, bad); }

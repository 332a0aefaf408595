/* read_stead_csv.c — the CSV of a STEAD-style waveform set and the component analysis of
 * a trace (include/precursor/stead_csv.h). Kernel layer: no MPI. */
#include "precursor/stead_csv.h"
#include "precursor/csv.h"
#include "precursor/error.h"
#include "precursor/text.h"
#include "precursor/timeutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXF 256

static int slurp(const char *path, char **buf)
{
  FILE *fp = fopen(path, "rb");
  if (!fp) return prc_seterr("cannot open STEAD CSV '%s': %s", path, strerror(errno));
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
  if (strlen(b) != n) return free(b), prc_seterr("'%s': contains NUL bytes (not a CSV text file)", path);
  *buf = b;
  return 0;
}

/* column index of the first of the names present in the header, or -1 */
static int col_of(char **h, int nh, const char *const *names)
{
  for (const char *const *nm = names; *nm; nm++)
    for (int i = 0; i < nh; i++)
      if (!strcmp(h[i], *nm)) return i;
  return -1;
}

static void set_str(char *dst, size_t len, const char *src)
{
  snprintf(dst, len, "%s", src);
}

static int sample_index(const char *path, long ln, const char *field, const char *txt, int64_t *v)
{
  double d;
  if (!*txt) return *v = -1, 0;
  if (!prc_parse_real(txt, &d) || d < 0 || d != floor(d) || d > 9e15)
    return prc_seterr("%s:%ld: field %s: expected a sample index (whole number >= 0), found '%s'", path, ln, field, txt);
  *v = (int64_t)d;
  return 0;
}

static int opt_real(const char *path, long ln, const char *field, const char *txt, double lo, double hi, double *v)
{
  if (!*txt) return *v = NAN, 0;
  if (!prc_parse_real(txt, v) || *v < lo || *v > hi)
    return prc_seterr("%s:%ld: field %s: expected a number in [%g, %g], found '%s'", path, ln, field, lo, hi, txt);
  return 0;
}

static int opt_time(const char *path, long ln, const char *field, const char *txt, double *t)
{
  if (!*txt) return *t = NAN, 0;
  if (prc_time_parse(txt, t)) {
    char why[512];
    snprintf(why, sizeof why, "%s", prc_lasterr());
    return prc_seterr("%s:%ld: field %s: %s", path, ln, field, why);
  }
  return 0;
}

static const prc_stead_row *g_rows;
static int name_cmp(const void *a, const void *b)
{
  return strcmp(g_rows[*(const int64_t *)a].name, g_rows[*(const int64_t *)b].name);
}

int prc_stead_csv_read(const char *path, int require_labels, prc_stead_row **rows_out, int64_t *n_out, prc_stead_csv_info *info)
{
  static const char *const c_name[] = {"trace_name", NULL}, *const c_net[] = {"network", "network_code", NULL},
                           *const c_sta[] = {"station", "receiver_code", NULL}, *const c_loc[] = {"location", "location_code", NULL},
                           *const c_cha[] = {"channels", NULL}, *const c_rtype[] = {"receiver_type", NULL},
                           *const c_start[] = {"trace_start_time", NULL}, *const c_rate[] = {"sampling_rate_hz", "sampling_rate", NULL},
                           *const c_npts[] = {"npts", NULL}, *const c_p[] = {"p_arrival_sample", NULL},
                           *const c_s[] = {"s_arrival_sample", NULL}, *const c_cat[] = {"trace_category", NULL},
                           *const c_et[] = {"source_origin_time", NULL}, *const c_elat[] = {"source_latitude", NULL},
                           *const c_elon[] = {"source_longitude", NULL}, *const c_edep[] = {"source_depth_km", NULL},
                           *const c_emag[] = {"source_magnitude", NULL};
  char *buf = NULL, *cur, *line, *h[MAXF], *f[MAXF], hcopy[512];
  int   nl, bad = 0, rc = 0;
  long  ln = 1;
  *rows_out = NULL, *n_out = 0;
  memset(info, 0, sizeof *info);
  if (slurp(path, &buf)) return 1;
  cur = buf;
  if ((unsigned char)cur[0] == 0xEF && (unsigned char)cur[1] == 0xBB && (unsigned char)cur[2] == 0xBF) cur += 3;
  line = prc_csv_next_line(&cur, &nl);
  if (!line || !*line) return free(buf), prc_seterr("%s:1: empty file (expected a header line with trace_name, ...)", path);
  snprintf(hcopy, sizeof hcopy, "%s", line);
  int nh = prc_csv_split(line, h, MAXF, &bad);
  if (nh < 0) return free(buf), prc_seterr("%s:1: header: malformed CSV (%s), found '%.200s'", path,
                                           nh == -3 ? "more than 256 columns" : "bad quoting", hcopy);
  info->ncols = nh;
  int ci[17];
  const char *const *cols[17] = {c_name, c_net, c_sta, c_loc, c_cha, c_rtype, c_start, c_rate, c_npts,
                                 c_p,    c_s,   c_cat, c_et,  c_elat, c_elon, c_edep, c_emag};
  for (int k = 0; k < 17; k++) ci[k] = col_of(h, nh, cols[k]);
  if (ci[0] < 0) return free(buf), prc_seterr("%s:1: header: required column 'trace_name' missing, found '%.200s'", path, hcopy);
  if (require_labels && (ci[9] < 0 || ci[10] < 0))
    return free(buf), prc_seterr("%s:1: header: required column '%s' missing (P/S labels are required: -stead_require_labels true), found '%.200s'",
                                 path, ci[9] < 0 ? "p_arrival_sample" : "s_arrival_sample", hcopy);
  info->has_network = ci[1] >= 0, info->has_station = ci[2] >= 0, info->has_channels = ci[4] >= 0 || ci[5] >= 0;
  info->has_start = ci[6] >= 0, info->has_rate = ci[7] >= 0, info->has_npts = ci[8] >= 0;
  info->has_p = ci[9] >= 0, info->has_s = ci[10] >= 0, info->has_category = ci[11] >= 0;
  for (int k = 12; k < 17; k++) info->n_event_cols += ci[k] >= 0;
  size_t         cap = 1024;
  int64_t        n = 0;
  prc_stead_row *R = malloc(cap * sizeof *R);
  if (!R) return free(buf), prc_seterr("'%s': out of memory", path);
  while ((line = prc_csv_next_line(&cur, &nl))) {
    ln++;
    if (!*line) continue;
    int nf = prc_csv_split(line, f, MAXF, &bad);
    if (nf < 0) {
      rc = prc_seterr("%s:%ld: %s", path, ln, nf == -1 ? "unterminated quote" : nf == -2 ? "text after a closing quote" : "more than 256 fields");
      break;
    }
    if (nf != nh) {
      rc = prc_seterr("%s:%ld: %d field(s), the header has %d%s", path, ln, nf, nh, nl ? "" : " (last line has no newline: truncated file?)");
      break;
    }
    if ((size_t)n == cap) {
      prc_stead_row *nr = realloc(R, (cap *= 2) * sizeof *R);
      if (!nr) {
        rc = prc_seterr("'%s': out of memory", path);
        break;
      }
      R = nr;
    }
    prc_stead_row *r = &R[n];
    memset(r, 0, sizeof *r);
    r->line = ln, r->npts = r->p = r->s = -1;
    r->start = r->rate = r->ev_time = r->ev_lat = r->ev_lon = r->ev_depth_km = r->ev_mag = NAN;
    const char *nm = f[ci[0]];
    if (!*nm || strlen(nm) >= PRC_STEAD_NAME || strchr(nm, '/')) {
      rc = prc_seterr("%s:%ld: field trace_name: expected a name of 1..%d characters without '/', found '%.100s'", path, ln,
                      PRC_STEAD_NAME - 1, nm);
      break;
    }
    set_str(r->name, sizeof r->name, nm);
    if (ci[1] >= 0) set_str(r->network, sizeof r->network, f[ci[1]]);
    if (ci[2] >= 0) set_str(r->station, sizeof r->station, f[ci[2]]);
    if (ci[3] >= 0) set_str(r->location, sizeof r->location, f[ci[3]]);
    if (ci[4] >= 0) set_str(r->channels, sizeof r->channels, f[ci[4]]);
    else if (ci[5] >= 0 && *f[ci[5]]) { /* STEAD: receiver_type "HH" -> HHE_HHN_HHZ */
      const char *t = f[ci[5]];
      snprintf(r->channels, sizeof r->channels, "%.4sE_%.4sN_%.4sZ", t, t, t);
    }
    if (ci[11] >= 0) set_str(r->category, sizeof r->category, f[ci[11]]);
    if (ci[6] >= 0 && (rc = opt_time(path, ln, "trace_start_time", f[ci[6]], &r->start))) break;
    if (ci[7] >= 0) {
      if ((rc = opt_real(path, ln, h[ci[7]], f[ci[7]], -INFINITY, INFINITY, &r->rate))) break;
      if (!(r->rate > 0) && *f[ci[7]]) {
        rc = prc_seterr("%s:%ld: field %s: expected a sampling rate > 0 Hz, found '%s'", path, ln, h[ci[7]], f[ci[7]]);
        break;
      }
    }
    if (ci[8] >= 0 && *f[ci[8]]) {
      if ((rc = sample_index(path, ln, "npts", f[ci[8]], &r->npts))) break;
      if (r->npts < 1) {
        rc = prc_seterr("%s:%ld: field npts: expected a sample count >= 1, found '%s'", path, ln, f[ci[8]]);
        break;
      }
    }
    if (ci[9] >= 0 && (rc = sample_index(path, ln, "p_arrival_sample", f[ci[9]], &r->p))) break;
    if (ci[10] >= 0 && (rc = sample_index(path, ln, "s_arrival_sample", f[ci[10]], &r->s))) break;
    if (require_labels && (r->p < 0 || r->s < 0)) {
      rc = prc_seterr("%s:%ld: trace %s: field %s: empty, but P and S labels are required (-stead_require_labels true)", path, ln,
                      r->name, r->p < 0 ? "p_arrival_sample" : "s_arrival_sample");
      break;
    }
    if (r->p >= 0 && r->s >= 0 && r->s <= r->p) {
      rc = prc_seterr("%s:%ld: trace %s: field s_arrival_sample: S sample %lld is not after the P sample %lld", path, ln, r->name,
                      (long long)r->s, (long long)r->p);
      break;
    }
    if (ci[12] >= 0 && (rc = opt_time(path, ln, "source_origin_time", f[ci[12]], &r->ev_time))) break;
    if (ci[13] >= 0 && (rc = opt_real(path, ln, "source_latitude", f[ci[13]], -90, 90, &r->ev_lat))) break;
    if (ci[14] >= 0 && (rc = opt_real(path, ln, "source_longitude", f[ci[14]], -180, 360, &r->ev_lon))) break;
    if (ci[15] >= 0 && (rc = opt_real(path, ln, "source_depth_km", f[ci[15]], -10, 800, &r->ev_depth_km))) break;
    if (ci[16] >= 0 && (rc = opt_real(path, ln, "source_magnitude", f[ci[16]], -5, 10, &r->ev_mag))) break;
    n++;
  }
  free(buf);
  if (!rc && n == 0) rc = prc_seterr("%s: a header but no data rows (no traces)", path);
  if (!rc) { /* unique names */
    int64_t *ix = malloc((size_t)n * sizeof *ix);
    if (!ix) rc = prc_seterr("'%s': out of memory", path);
    else {
      for (int64_t i = 0; i < n; i++) ix[i] = i;
      g_rows = R;
      qsort(ix, (size_t)n, sizeof *ix, name_cmp);
      for (int64_t i = 1; i < n && !rc; i++)
        if (!strcmp(R[ix[i]].name, R[ix[i - 1]].name)) {
          long a = R[ix[i]].line, b = R[ix[i - 1]].line;
          rc = prc_seterr("%s:%ld: field trace_name: '%s' repeats line %ld", path, a > b ? a : b, R[ix[i]].name, a < b ? a : b);
        }
      free(ix);
    }
  }
  if (rc) return free(R), 1;
  *rows_out = R, *n_out = n;
  return 0;
}

int prc_stead_components(const float *x, int64_t n, const char *channels, const char *name, int *ncomp, int col[3], char *comps,
                         int comps_len, int *present)
{
  char codes[3][16];
  int  k = 0;
  for (const char *p = channels; *p;) {
    size_t l = strcspn(p, "_,");
    if (l) {
      if (k == 3) return prc_seterr("trace %s: channels '%s': more than 3 channel codes", name, channels);
      snprintf(codes[k++], sizeof codes[0], "%.*s", (int)(l < 15 ? l : 15), p);
    }
    p += l;
    if (*p) p++;
  }
  if (k == 2) return prc_seterr("trace %s: channels '%s': 2 channel codes (expected 1 or 3)", name, channels);
  int nz[3] = {0, 0, 0}, nnz = 0;
  for (int c = 0; c < 3; c++) {
    for (int64_t i = 0; i < n && !nz[c]; i++) nz[c] = x[i * 3 + c] != 0;
    nnz += nz[c];
  }
  if (k == 3 || (k == 0 && nnz > 1)) {
    *ncomp = 3, col[0] = 0, col[1] = 1, col[2] = 2, *present = nnz;
    if (k == 3) snprintf(comps, (size_t)comps_len, "%s,%s,%s", codes[0], codes[1], codes[2]);
    else snprintf(comps, (size_t)comps_len, "?,?,?");
    return 0;
  }
  if (nnz > 1)
    return prc_seterr("trace %s: channels '%s' name one component, but %d columns hold data", name, channels, nnz);
  int c = nz[0] ? 0 : nz[1] ? 1 : nz[2] ? 2 : -1;
  if (c < 0) { /* no data at all: the column of the orientation code */
    char o = k ? codes[0][strlen(codes[0]) ? strlen(codes[0]) - 1 : 0] : 'Z';
    c = (o == 'E' || o == '1') ? 0 : (o == 'N' || o == '2') ? 1 : 2;
  }
  *ncomp = 1, col[0] = c, col[1] = col[2] = -1, *present = nnz;
  snprintf(comps, (size_t)comps_len, "%s", k ? codes[0] : "?");
  return 0;
}

int prc_stead_first_nonfinite(const float *x, int64_t n, int ncols, int64_t *row, int *col)
{
  for (int64_t i = 0; i < n * ncols; i++)
    if (!isfinite(x[i])) return *row = i / ncols, *col = (int)(i % ncols), 1;
  return 0;
}

/* read_modis.c — MODIS MOD11A1/MYD11A1 daily LST tiles from HDF4-EOS files (kernel: no
 * MPI). The only file that includes HDF4's mfhdf.h (its macros clash with HDF5/PETSc).
 * See include/precursor/read_modis.h and docs/FORMATS.md. */
#include "precursor/read_modis.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* mfhdf.h has an old-style declaration (SDgetcompress without a prototype) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <mfhdf.h>
#pragma GCC diagnostic pop

#include "precursor/error.h"
#include "precursor/timeutil.h"

static const char *base_name(const char *path)
{
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

int prc_modis_parse_name(const char *path, char product[16], int *year, int *doy, int *h, int *v)
{
  const char *b = base_name(path), *dot = strchr(b, '.');
  int         n = 0;
  if (!dot || dot == b || dot - b >= 16 ||
      sscanf(dot, ".A%4d%3d.h%2dv%2d%n", year, doy, h, v, &n) != 4 || n != 16 || (dot[n] != '.' && dot[n] != '\0'))
    return prc_seterr("'%s': file name is not PRODUCT.AYYYYDDD.hHHvVV[...] (e.g. MOD11A1.A2019305.h14v09.061.hdf): "
                      "no date/tile in it",
                      path);
  for (int k = 2; k <= 8; k++)
    if (!isdigit((unsigned char)dot[k])) return prc_seterr("'%s': the date part of the file name is not AYYYYDDD", path);
  memcpy(product, b, (size_t)(dot - b));
  product[dot - b] = '\0';
  int leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
  if (*year < 1999 || *year > 2100 || *doy < 1 || *doy > 365 + leap)
    return prc_seterr("'%s': file name date A%04d%03d is not a valid year/day of year", path, *year, *doy);
  if (*h < 0 || *h >= PRC_SIN_NH || *v < 0 || *v >= PRC_SIN_NV)
    return prc_seterr("'%s': tile h%02dv%02d in the file name is outside h 0..35, v 0..17", path, *h, *v);
  return 0;
}

int prc_modis_qc_parse(const char *s, prc_modis_qc *q)
{
  if (!strcmp(s, "strict")) *q = PRC_MODIS_QC_STRICT;
  else if (!strcmp(s, "lte2k")) *q = PRC_MODIS_QC_LTE2K;
  else if (!strcmp(s, "any")) *q = PRC_MODIS_QC_ANY;
  else return prc_seterr("QC mode '%s' is not strict, lte2k or any", s);
  return 0;
}

int prc_modis_qc_keep(unsigned qc, prc_modis_qc mode)
{
  unsigned qa = qc & 3u, err = (qc >> 6) & 3u;
  switch (mode) {
  case PRC_MODIS_QC_STRICT: return qa == 0 && err == 0;
  case PRC_MODIS_QC_LTE2K: return qa <= 1 && err <= 1;
  default: return 1;
  }
}

/* Skip blanks, then expect `c`. */
static const char *expect_ch(const char *p, char c)
{
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  return *p == c ? p + 1 : NULL;
}

int prc_modis_odl_value(const char *odl, const char *object, char *out, size_t len)
{
  size_t      ol = strlen(object);
  const char *p = odl;
  while ((p = strstr(p, "OBJECT"))) {
    const char *q = expect_ch(p + 6, '=');
    p += 6;
    if (!q || (p - 7 >= odl && p[-7] == '_')) continue; /* END_OBJECT */
    while (*q == ' ' || *q == '\t') q++;
    if (strncmp(q, object, ol) || isalnum((unsigned char)q[ol]) || q[ol] == '_') continue;
    const char *end = strstr(q, "END_OBJECT");
    const char *val = strstr(q, "VALUE");
    if (!val || (end && val > end)) return 1;
    const char *v = expect_ch(val + 5, '=');
    if (!v) return 1;
    while (*v == ' ' || *v == '\t') v++;
    int quoted = *v == '"';
    if (quoted) v++;
    size_t n = 0;
    while (v[n] && (quoted ? v[n] != '"' : (v[n] != '\n' && v[n] != ' ' && v[n] != '\r'))) n++;
    if ((quoted && v[n] != '"') || n == 0 || n >= len) return 1;
    memcpy(out, v, n);
    out[n] = '\0';
    return 0;
  }
  return 1;
}

/* "key=" value in the text [s, e): pointer after the '=' or NULL. */
static const char *sm_key(const char *s, const char *e, const char *key)
{
  size_t kl = strlen(key);
  for (const char *p = s; p && p < e; p++) {
    p = strstr(p, key);
    if (!p || p >= e) return NULL;
    if ((p == s || !isalnum((unsigned char)p[-1])) && p[kl] == '=') return p + kl + 1;
  }
  return NULL;
}

int prc_modis_struct_parse(const char *sm, const char *path, prc_sin_grid *g, char *grid_name, size_t len)
{
  const char *s = strstr(sm, "GROUP=GRID_1"), *e;
  if (!s) return prc_seterr("'%s': StructMetadata.0 has no GROUP=GRID_1 (not an HDF-EOS grid file)", path);
  e = strstr(s, "END_GROUP=GRID_1");
  if (!e) e = s + strlen(s);
  const char *p;
  double      ulx, uly, lrx, lry, R;
  int         nx, ny;
  char        proj[64] = "";
  if (!(p = sm_key(s, e, "XDim")) || sscanf(p, "%d", &nx) != 1 || !(p = sm_key(s, e, "YDim")) || sscanf(p, "%d", &ny) != 1 ||
      nx <= 0 || ny <= 0 || nx > 100000 || ny > 100000)
    return prc_seterr("'%s': StructMetadata.0: XDim/YDim missing or not positive integers", path);
  if (!(p = sm_key(s, e, "UpperLeftPointMtrs")) || sscanf(p, "(%lf,%lf)", &ulx, &uly) != 2 ||
      !(p = sm_key(s, e, "LowerRightMtrs")) || sscanf(p, "(%lf,%lf)", &lrx, &lry) != 2 || !(lrx > ulx) || !(uly > lry))
    return prc_seterr("'%s': StructMetadata.0: UpperLeftPointMtrs/LowerRightMtrs missing or not an upper-left and a "
                      "lower-right corner",
                      path);
  if (!(p = sm_key(s, e, "Projection")) || sscanf(p, "%63[A-Za-z_]", proj) != 1 || strcmp(proj, "GCTP_SNSOID"))
    return prc_seterr("'%s': StructMetadata.0: Projection is '%s', expected GCTP_SNSOID (MODIS sinusoidal)", path, proj);
  if (!(p = sm_key(s, e, "ProjParams")) || sscanf(p, "(%lf", &R) != 1 || !(R > 6e6 && R < 7e6))
    return prc_seterr("'%s': StructMetadata.0: ProjParams missing or its sphere radius is not ~6371007 m", path);
  *g = (prc_sin_grid){ulx, uly, lrx, lry, R, nx, ny};
  if (grid_name) {
    grid_name[0] = '\0';
    if ((p = sm_key(s, e, "GridName"))) {
      size_t n = 0;
      if (*p == '"') p++;
      while (p[n] && p[n] != '"' && p[n] != '\n' && n + 1 < len) n++;
      memcpy(grid_name, p, n);
      grid_name[n] = '\0';
    }
  }
  return 0;
}

/* A global text attribute of an SD file, NUL-terminated, malloc'ed. */
static int global_text(int32 sd, const char *path, const char *name, char **out)
{
  char  an[H4_MAX_NC_NAME];
  int32 nt, count, idx = SDfindattr(sd, name);
  if (idx == FAIL) return prc_seterr("'%s': no global attribute %s (not a MODIS HDF-EOS file?)", path, name);
  if (SDattrinfo(sd, idx, an, &nt, &count) == FAIL || (nt != DFNT_CHAR8 && nt != DFNT_UCHAR8) || count <= 0)
    return prc_seterr("'%s': global attribute %s is not text", path, name);
  char *b = malloc((size_t)count + 1);
  if (!b) return prc_seterr("'%s': out of memory reading attribute %s", path, name);
  if (SDreadattr(sd, idx, b) == FAIL) {
    free(b);
    return prc_seterr("'%s': cannot read global attribute %s", path, name);
  }
  b[count] = '\0';
  *out = b;
  return 0;
}

static int open_sd(const char *path, int32 *sd)
{
  FILE *f = fopen(path, "rb");
  if (!f) return prc_seterr("cannot open '%s'", path);
  fclose(f);
  if (Hishdf(path) != TRUE) return prc_seterr("'%s' is not an HDF4 file (no HDF4 signature)", path);
  *sd = SDstart(path, DFACC_READ);
  if (*sd == FAIL) return prc_seterr("'%s': HDF4 SD interface cannot open it (damaged or truncated file?)", path);
  return 0;
}

static int meta_sd(int32 sd, const char *path, prc_modis_meta *m)
{
  char *core = NULL, *sm = NULL, date[32];
  memset(m, 0, sizeof *m);
  if (prc_modis_parse_name(path, m->product, &m->year, &m->doy, &m->h, &m->v)) return 1;
  if (global_text(sd, path, "CoreMetadata.0", &core)) return 1;
  int rc = prc_modis_odl_value(core, "RANGEBEGINNINGDATE", date, sizeof date);
  free(core);
  if (rc) return prc_seterr("'%s': CoreMetadata.0 has no RANGEBEGINNINGDATE object with a VALUE", path);
  if (prc_time_parse(date, &m->date))
    return prc_seterr("'%s': CoreMetadata.0 RANGEBEGINNINGDATE \"%s\" is not a date", path, date);
  double tname = (double)(prc_days_from_civil(m->year, 1, 1) + m->doy - 1) * PRC_DAY;
  if (m->date != tname) {
    char a[32];
    prc_time_format(tname, a, sizeof a);
    a[10] = '\0';
    return prc_seterr("'%s': the file name's date A%04d%03d (%s) disagrees with CoreMetadata.0 RANGEBEGINNINGDATE \"%s\"",
                      path, m->year, m->doy, a, date);
  }
  if (global_text(sd, path, "StructMetadata.0", &sm)) return 1;
  rc = prc_modis_struct_parse(sm, path, &m->grid, m->grid_name, sizeof m->grid_name);
  free(sm);
  if (rc) return 1;
  prc_sin_grid std;
  prc_sin_tile_grid(m->h, m->v, m->grid.nx, &std);
  if (fabs(std.ulx - m->grid.ulx) > 1 || fabs(std.uly - m->grid.uly) > 1 || fabs(std.lrx - m->grid.lrx) > 1 ||
      fabs(std.lry - m->grid.lry) > 1)
    return prc_seterr("'%s': StructMetadata.0 corners (%.3f, %.3f)-(%.3f, %.3f) m are not those of tile h%02dv%02d "
                      "(%.3f, %.3f)-(%.3f, %.3f)",
                      path, m->grid.ulx, m->grid.uly, m->grid.lrx, m->grid.lry, m->h, m->v, std.ulx, std.uly, std.lrx,
                      std.lry);
  return 0;
}

int prc_modis_read_meta(const char *path, prc_modis_meta *m)
{
  int32 sd;
  if (open_sd(path, &sd)) return 1;
  int rc = meta_sd(sd, path, m);
  SDend(sd);
  return rc;
}

/* Numeric attribute `name` of an SDS: up to n values as double; *found = 0 if absent. */
static int sds_attr(int32 sds, const char *path, const char *sdsname, const char *name, double *v, int n, int *found)
{
  char  an[H4_MAX_NC_NAME];
  int32 nt, count, idx = SDfindattr(sds, name);
  *found = 0;
  if (idx == FAIL) return 0;
  if (SDattrinfo(sds, idx, an, &nt, &count) == FAIL || count < n || count > 16)
    return prc_seterr("'%s': attribute %s of SDS %s: expected %d value(s)", path, name, sdsname, n);
  union {
    double d[16];
    float f[16];
    int32 i32[16];
    uint32 u32[16];
    int16 i16[16];
    uint16 u16[16];
    int8 i8[16];
    uint8 u8[16];
  } b;
  if (SDreadattr(sds, idx, &b) == FAIL) return prc_seterr("'%s': cannot read attribute %s of SDS %s", path, name, sdsname);
  for (int k = 0; k < n; k++) switch (nt) {
    case DFNT_FLOAT64: v[k] = b.d[k]; break;
    case DFNT_FLOAT32: v[k] = b.f[k]; break;
    case DFNT_INT32: v[k] = b.i32[k]; break;
    case DFNT_UINT32: v[k] = b.u32[k]; break;
    case DFNT_INT16: v[k] = b.i16[k]; break;
    case DFNT_UINT16: v[k] = b.u16[k]; break;
    case DFNT_INT8: v[k] = b.i8[k]; break;
    case DFNT_UINT8: case DFNT_UCHAR8: v[k] = b.u8[k]; break;
    default: return prc_seterr("'%s': attribute %s of SDS %s has a non-numeric type (%d)", path, name, sdsname, (int)nt);
    }
  *found = 1;
  return 0;
}

/* Read SDS `name` (rank 2, ny × nx, integer type) as raw values in double. *present = 0 and
 * return 0 if absent and optional. */
static int read_sds(int32 sd, const char *path, const char *name, int ny, int nx, int optional, double *raw, int32 *sds_out,
                    int *present)
{
  char  nm[H4_MAX_NC_NAME];
  int32 rank, dims[H4_MAX_VAR_DIMS], nt, nattr, idx = SDnametoindex(sd, name);
  *present = 0;
  if (idx == FAIL) return optional ? 0 : prc_seterr("'%s': no SDS %s in the file", path, name);
  int32 sds = SDselect(sd, idx);
  if (sds == FAIL || SDgetinfo(sds, nm, &rank, dims, &nt, &nattr) == FAIL) {
    if (sds != FAIL) SDendaccess(sds);
    return prc_seterr("'%s': cannot open SDS %s", path, name);
  }
  if (rank != 2 || dims[0] != ny || dims[1] != nx) {
    SDendaccess(sds);
    return prc_seterr("'%s': SDS %s has rank %d and dims %d x %d, expected rank 2, %d x %d (YDim x XDim of "
                      "StructMetadata.0)",
                      path, name, (int)rank, (int)dims[0], rank > 1 ? (int)dims[1] : 0, ny, nx);
  }
  size_t sz = nt == DFNT_UINT16 || nt == DFNT_INT16 ? 2 : nt == DFNT_UINT8 || nt == DFNT_INT8 || nt == DFNT_UCHAR8 ? 1 : 0;
  if (!sz) {
    SDendaccess(sds);
    return prc_seterr("'%s': SDS %s has number type %d, expected an 8- or 16-bit integer", path, name, (int)nt);
  }
  size_t n = (size_t)nx * (size_t)ny;
  void  *b = malloc(n * sz);
  int32  start[2] = {0, 0}, edge[2] = {ny, nx};
  if (!b) {
    SDendaccess(sds);
    return prc_seterr("'%s': out of memory for SDS %s", path, name);
  }
  if (SDreaddata(sds, start, NULL, edge, b) == FAIL) {
    free(b), SDendaccess(sds);
    return prc_seterr("'%s': reading SDS %s failed (damaged or truncated file?)", path, name);
  }
  for (size_t i = 0; i < n; i++)
    raw[i] = nt == DFNT_UINT16 ? ((uint16 *)b)[i] : nt == DFNT_INT16 ? ((int16 *)b)[i] : nt == DFNT_INT8 ? ((int8 *)b)[i]
                                                                                                         : ((uint8 *)b)[i];
  free(b);
  *present = 1;
  if (sds_out) *sds_out = sds;
  else SDendaccess(sds);
  return 0;
}

/* scale_factor (required if `need_scale`), add_offset, _FillValue, valid_range of an SDS. */
static int scaling(int32 sds, const char *path, const char *name, int need_scale, double *sc, double *off, double *fill,
                   int *has_fill, double vr[2])
{
  int f;
  *sc = 1, *off = 0, vr[0] = -INFINITY, vr[1] = INFINITY;
  if (sds_attr(sds, path, name, "scale_factor", sc, 1, &f)) return 1;
  if (!f && need_scale) return prc_seterr("'%s': SDS %s has no scale_factor attribute", path, name);
  if (!(isfinite(*sc) && *sc != 0)) return prc_seterr("'%s': SDS %s: scale_factor %g is not a non-zero number", path, name, *sc);
  if (sds_attr(sds, path, name, "add_offset", off, 1, &f)) return 1;
  if (sds_attr(sds, path, name, "_FillValue", fill, 1, has_fill)) return 1;
  if (sds_attr(sds, path, name, "valid_range", vr, 2, &f)) return 1;
  if (f && vr[0] > vr[1]) return prc_seterr("'%s': SDS %s: valid_range %g..%g is empty", path, name, vr[0], vr[1]);
  return 0;
}

void prc_modis_free(prc_modis_tile *t)
{
  free(t->lst);
  free(t->view_time);
  t->lst = t->view_time = NULL;
}

int prc_modis_read(const char *path, prc_modis_sds which, prc_modis_qc qc, prc_modis_tile *t)
{
  int32       sd, sds = FAIL;
  const char *lname = which == PRC_MODIS_DAY ? "LST_Day_1km" : "LST_Night_1km";
  const char *qname = which == PRC_MODIS_DAY ? "QC_Day" : "QC_Night";
  const char *vname = which == PRC_MODIS_DAY ? "Day_view_time" : "Night_view_time";
  double     *raw = NULL, *q = NULL;
  int         present, has_fill = 0, rc = 1;
  memset(t, 0, sizeof *t);
  if (open_sd(path, &sd)) return 1;
  if (meta_sd(sd, path, &t->meta)) goto done;
  int    nx = t->meta.grid.nx, ny = t->meta.grid.ny;
  size_t n = (size_t)nx * (size_t)ny;
  t->nx = nx, t->ny = ny, t->n_pixels = (int64_t)n;
  raw = malloc(n * sizeof *raw), q = malloc(n * sizeof *q);
  t->lst = malloc(n * sizeof(float));
  if (!raw || !q || !t->lst) {
    prc_seterr("'%s': out of memory for a %d x %d tile", path, nx, ny);
    goto done;
  }
  if (read_sds(sd, path, lname, ny, nx, 0, raw, &sds, &present)) goto done;
  double vr[2];
  int    bad = scaling(sds, path, lname, 1, &t->scale, &t->offset, &t->fill, &has_fill, vr);
  SDendaccess(sds);
  if (bad) goto done;
  t->valid_min = vr[0], t->valid_max = vr[1];
  if (!has_fill) t->fill = NAN;
  if (read_sds(sd, path, qname, ny, nx, 0, q, NULL, &present)) goto done;
  t->lst_min = INFINITY, t->lst_max = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    double r = raw[i];
    int    ok = !(has_fill && r == t->fill) && r >= vr[0] && r <= vr[1];
    t->n_valid_raw += ok;
    ok = ok && prc_modis_qc_keep((unsigned)q[i], qc);
    t->n_valid_qc += ok;
    t->lst[i] = ok ? (float)(r * t->scale + t->offset) : NAN;
    if (ok) t->lst_min = fmin(t->lst_min, t->lst[i]), t->lst_max = fmax(t->lst_max, t->lst[i]);
  }
  if (!t->n_valid_qc) t->lst_min = t->lst_max = NAN;
  /* view time (optional): local solar time, hours */
  if (read_sds(sd, path, vname, ny, nx, 1, raw, &sds, &present)) goto done;
  if (present) {
    double sc, off, fv;
    int    hf;
    bad = scaling(sds, path, vname, 0, &sc, &off, &fv, &hf, vr);
    SDendaccess(sds);
    if (bad) goto done;
    if (!(t->view_time = malloc(n * sizeof(float)))) {
      prc_seterr("'%s': out of memory for %s", path, vname);
      goto done;
    }
    for (size_t i = 0; i < n; i++)
      t->view_time[i] = isnan(t->lst[i]) || (hf && raw[i] == fv) || raw[i] < vr[0] || raw[i] > vr[1] ? NAN
                                                                                                    : (float)(raw[i] * sc + off);
  }
  rc = 0;
done:
  SDend(sd);
  free(raw), free(q);
  if (rc) prc_modis_free(t);
  return rc;
}

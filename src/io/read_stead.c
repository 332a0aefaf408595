/* read_stead.c — STEAD-style HDF5 traces (include/precursor/read_stead.h). PETSc layer:
 * hdf5.h of the openmpi flavour includes mpi.h. Serial reads, nothing collective. */
#include "precursor/read_stead.h"
#include "precursor/error.h"
#include "precursor/timeutil.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

PetscErrorCode prc_stead_open(const char *path, hid_t *fid)
{
  PetscFunctionBeginUser;
  PetscCheck(access(path, R_OK) == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot read STEAD HDF5 '%s': %s", path, strerror(errno));
  PetscCheck(H5Fis_hdf5(path) > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "'%s' is not an HDF5 file (truncated or another format?)",
             path);
  *fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  PetscCheck(*fid >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot open HDF5 file '%s' (corrupt?)", path);
  if (H5Lexists(*fid, "data", H5P_DEFAULT) <= 0) {
    H5Fclose(*fid);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "'%s': no group /data (not a STEAD-style file: traces are /data/<trace_name>)", path);
  }
  PetscFunctionReturn(0);
}

/* a string attribute (fixed or variable length): 1 found, 0 absent, -1 not a string */
static int attr_str(hid_t d, const char *name, char *buf, size_t len)
{
  buf[0] = '\0';
  if (H5Aexists(d, name) <= 0) return 0;
  hid_t a = H5Aopen(d, name, H5P_DEFAULT), ft = H5Aget_type(a), sp = H5Aget_space(a);
  int   rc = -1;
  if (H5Tget_class(ft) == H5T_STRING && H5Sget_simple_extent_npoints(sp) == 1) {
    if (H5Tis_variable_str(ft) > 0) {
      char *s = NULL;
      hid_t mt = H5Tcopy(H5T_C_S1);
      H5Tset_size(mt, H5T_VARIABLE);
      H5Tset_cset(mt, H5Tget_cset(ft));
      if (H5Aread(a, mt, &s) >= 0 && s) {
        snprintf(buf, len, "%s", s);
        rc = 1;
      }
      if (s) H5free_memory(s);
      H5Tclose(mt);
    } else {
      size_t sz = H5Tget_size(ft);
      char  *s = calloc(sz + 1, 1);
      hid_t  mt = H5Tcopy(H5T_C_S1);
      H5Tset_size(mt, sz);
      if (s && H5Aread(a, mt, s) >= 0) {
        snprintf(buf, len, "%s", s);
        rc = 1;
      }
      free(s);
      H5Tclose(mt);
    }
  }
  H5Sclose(sp), H5Tclose(ft), H5Aclose(a);
  return rc;
}

/* a numeric scalar attribute: 1 found, 0 absent (or an empty string: STEAD noise traces), -1 not a number */
static int attr_num(hid_t d, const char *name, double *v)
{
  char s[64];
  if (H5Aexists(d, name) <= 0) return 0;
  hid_t a = H5Aopen(d, name, H5P_DEFAULT), ft = H5Aget_type(a), sp = H5Aget_space(a);
  H5T_class_t cl = H5Tget_class(ft);
  int         rc = -1;
  if ((cl == H5T_INTEGER || cl == H5T_FLOAT) && H5Sget_simple_extent_npoints(sp) == 1)
    rc = H5Aread(a, H5T_NATIVE_DOUBLE, v) >= 0 ? 1 : -1;
  H5Sclose(sp), H5Tclose(ft), H5Aclose(a);
  if (cl == H5T_STRING) {
    rc = attr_str(d, name, s, sizeof s);
    if (rc == 1 && !s[0]) return 0;
    char *e;
    if (rc == 1) *v = strtod(s, &e), rc = *e ? -1 : 1;
  }
  return rc;
}

PetscErrorCode prc_stead_read_trace(hid_t fid, const char *h5, const char *csv, prc_stead_row *r, double default_rate, float **data,
                                    int64_t *npts, int *rate_from)
{
  char   path[PRC_STEAD_NAME + 8], s[128];
  double v;
  PetscFunctionBeginUser;
  *data = NULL;
  snprintf(path, sizeof path, "data/%s", r->name);
  PetscCheck(H5Lexists(fid, path, H5P_DEFAULT) > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "%s:%ld: trace %s is not in '%s' (no dataset /data/%s)", csv, r->line, r->name, h5, r->name);
  hid_t d = H5Dopen2(fid, path, H5P_DEFAULT);
  PetscCheck(d >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "'%s': /data/%s is not a dataset (CSV line %ld)", h5, r->name, r->line);
  hid_t       sp = H5Dget_space(d), ft = H5Dget_type(d);
  int         rank = H5Sget_simple_extent_ndims(sp);
  hsize_t     dims[8] = {0};
  H5T_class_t cl = H5Tget_class(ft);
  if (rank >= 1 && rank <= 8) H5Sget_simple_extent_dims(sp, dims, NULL);
  H5Sclose(sp), H5Tclose(ft);
  char shape[96] = "(";
  for (int k = 0; k < rank && k < 8; k++) {
    size_t l = strlen(shape);
    snprintf(shape + l, sizeof shape - l, "%s%llu", k ? ", " : "", (unsigned long long)dims[k]);
  }
  strcat(shape, ")");
  PetscErrorCode ierr = 0;
  if (cl != H5T_FLOAT && cl != H5T_INTEGER) {
    H5Dclose(d);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "'%s': /data/%s (CSV line %ld): not a numeric dataset", h5, r->name, r->line);
  }
  if (rank != 2 || dims[1] != 3 || dims[0] < 1) {
    H5Dclose(d);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "'%s': /data/%s (CSV line %ld): shape %s, expected (npts, 3) with npts >= 1", h5,
            r->name, r->line, shape);
  }
  int64_t n = (int64_t)dims[0];
  /* attributes: fill what the CSV lacks, cross-check what both give */
#define BAD(...)                                                                                                               \
  do {                                                                                                                         \
    H5Dclose(d);                                                                                                               \
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, __VA_ARGS__);                                                          \
  } while (0)
  if (r->npts >= 0 && r->npts != n) BAD("%s:%ld: trace %s: field npts: %lld, but /data/%s in '%s' has %lld rows", csv, r->line, r->name, (long long)r->npts, r->name, h5, (long long)n);
  if (!r->network[0]) attr_str(d, "network", r->network, sizeof r->network);
  if (!r->station[0]) attr_str(d, "station", r->station, sizeof r->station);
  if (!r->channels[0]) attr_str(d, "channels", r->channels, sizeof r->channels);
  if (!r->category[0]) attr_str(d, "trace_category", r->category, sizeof r->category);
  if (isnan(r->start)) {
    if (attr_str(d, "trace_start_time", s, sizeof s) == 1) {
      if (prc_time_parse(s, &r->start)) BAD("'%s': /data/%s: attribute trace_start_time: %s", h5, r->name, prc_lasterr());
    } else BAD("%s:%ld: trace %s: no start time (column trace_start_time, or attribute trace_start_time of /data/%s in '%s')", csv, r->line, r->name, r->name, h5);
  }
  int ra = attr_num(d, "sampling_rate_hz", &v);
  if (ra == 0) ra = attr_num(d, "sampling_rate", &v);
  if (ra < 0) BAD("'%s': /data/%s: attribute sampling_rate_hz is not a number", h5, r->name);
  if (!isnan(r->rate)) {
    *rate_from = 0;
    if (ra == 1 && fabs(v - r->rate) > 1e-9 * fabs(r->rate))
      BAD("%s:%ld: trace %s: field sampling_rate_hz %.9g disagrees with attribute sampling_rate_hz %.9g of /data/%s in '%s'", csv, r->line, r->name, r->rate, v, r->name, h5);
  } else if (ra == 1) r->rate = v, *rate_from = 1;
  else r->rate = default_rate, *rate_from = 2;
  if (!(r->rate > 0 && isfinite(r->rate)))
    BAD("'%s': /data/%s (CSV line %ld): sampling rate %g Hz, expected > 0", h5, r->name, r->line, r->rate);
  const char *an[2] = {"p_arrival_sample", "s_arrival_sample"};
  int64_t    *sv[2] = {&r->p, &r->s};
  for (int k = 0; k < 2; k++) {
    int q = attr_num(d, an[k], &v);
    if (q < 0 || (q == 1 && (v < 0 || v != floor(v)))) BAD("'%s': /data/%s: attribute %s is not a sample index", h5, r->name, an[k]);
    if (q == 1 && *sv[k] < 0) *sv[k] = (int64_t)v;
    else if (q == 1 && (int64_t)v != *sv[k])
      BAD("%s:%ld: trace %s: field %s %lld disagrees with attribute %s %lld of /data/%s in '%s'", csv, r->line, r->name, an[k], (long long)*sv[k], an[k], (long long)v, r->name, h5);
  }
  for (int k = 0; k < 2; k++)
    if (*sv[k] >= n) BAD("%s:%ld: trace %s: field %s: sample %lld outside the trace (0 .. %lld)", csv, r->line, r->name, an[k], (long long)*sv[k], (long long)(n - 1));
  if (r->p >= 0 && r->s >= 0 && r->s <= r->p)
    BAD("%s:%ld: trace %s: field s_arrival_sample: S sample %lld is not after the P sample %lld", csv, r->line, r->name, (long long)r->s, (long long)r->p);
  /* samples */
  float *x;
  ierr = PetscMalloc1((size_t)n * 3, &x);
  if (ierr) BAD("out of memory reading /data/%s", r->name);
  herr_t e = H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, x);
  H5Dclose(d);
#undef BAD
  if (e < 0) {
    PetscCall(PetscFree(x));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "'%s': reading /data/%s failed (corrupt file?)", h5, r->name);
  }
  int64_t br;
  int     bc;
  if (prc_stead_first_nonfinite(x, n, 3, &br, &bc)) {
    float bad = x[br * 3 + bc];
    PetscCall(PetscFree(x));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "'%s': /data/%s (CSV line %ld): sample %lld, column %d is %s (samples must be finite)", h5,
            r->name, r->line, (long long)br, bc, isnan(bad) ? "NaN" : "Inf");
  }
  *data = x, *npts = n;
  PetscFunctionReturn(0);
}

typedef struct {
  const prc_stead_row *rows;
  const int64_t       *order;
  int64_t              n, nextra;
  char                *first;
  size_t               len;
} extra_ctx;

static herr_t extra_cb(hid_t g, const char *name, const H5L_info_t *info, void *p)
{
  extra_ctx *c = p;
  int64_t    lo = 0, hi = c->n;
  while (lo < hi) {
    int64_t mid = (lo + hi) / 2;
    int     k = strcmp(c->rows[c->order[mid]].name, name);
    if (k == 0) return 0;
    if (k < 0) lo = mid + 1;
    else hi = mid;
  }
  if (c->nextra < 5) {
    size_t l = strlen(c->first);
    snprintf(c->first + l, c->len - l, "%s%s", l ? ", " : "", name);
  }
  c->nextra++;
  return 0;
}

PetscErrorCode prc_stead_extra_traces(hid_t fid, const prc_stead_row *rows, const int64_t *order, int64_t n, int64_t *nextra, char *first,
                                      size_t len)
{
  PetscFunctionBeginUser;
  extra_ctx c = {rows, order, n, 0, first, len};
  first[0] = '\0';
  hid_t g = H5Gopen2(fid, "data", H5P_DEFAULT);
  PetscCheck(g >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "cannot open /data");
  hsize_t idx = 0;
  herr_t  e = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, extra_cb, &c);
  H5Gclose(g);
  PetscCheck(e >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "cannot list /data");
  *nextra = c.nextra;
  PetscFunctionReturn(0);
}

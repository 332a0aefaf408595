/* stations_h5.c — writer and reader of station-set files (include/precursor/stations.h,
 * docs/DATA_MODEL.md "Station set"). One code path for `synth` and the importers. */
#include "precursor/stations.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

PetscErrorCode prc_stations_create(MPI_Comm comm, const char *path, int ns, const prc_station *st, prc_stations_out *w)
{
  PetscMPIInt rank;
  char (*code)[PRC_STATION_CODE_LEN];
  double     *lat, *lon, *el;
  hid_t       g, t;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  w->rank = rank;
  PetscCheck(ns >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "'%s': %d stations", path, ns);
  PetscCall(PetscMalloc4(ns + 1, &code, ns + 1, &lat, ns + 1, &lon, ns + 1, &el));
  int dup = -1;
  if (!rank) {
    for (int i = 0; i < ns; i++) {
      memset(code[i], 0, PRC_STATION_CODE_LEN);
      snprintf(code[i], PRC_STATION_CODE_LEN, "%s", st[i].code);
      lat[i] = st[i].lat, lon[i] = st[i].lon, el[i] = st[i].elevation_m;
      for (int j = 0; j < i && dup < 0; j++)
        if (!strcmp(code[i], code[j])) dup = i;
    }
  }
  PetscCallMPI(MPI_Bcast(&dup, 1, MPI_INT, 0, comm));
  PetscCheck(dup < 0, comm, PETSC_ERR_ARG_WRONG, "'%s': station code '%s' appears twice in the station table", path,
             rank ? "?" : code[dup]);
  PetscCall(prc_h5_create(comm, path, "stations", &w->f));
  PetscCall(prc_h5_group(w->f.fid, "station_table", &g));
  t = prc_h5_strtype(PRC_STATION_CODE_LEN);
  PetscCall(prc_h5_write_col(comm, g, "code", t, (hsize_t)ns, code));
  PetscCall(prc_h5_write_col(comm, g, "lat", H5T_NATIVE_DOUBLE, (hsize_t)ns, lat));
  PetscCall(prc_h5_write_col(comm, g, "lon", H5T_NATIVE_DOUBLE, (hsize_t)ns, lon));
  PetscCall(prc_h5_write_col(comm, g, "elevation_m", H5T_NATIVE_DOUBLE, (hsize_t)ns, el));
  H5Gclose(g), H5Tclose(t);
  PetscCall(PetscFree4(code, lat, lon, el));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_stations_write_channel(prc_stations_out *w, const char *code, const char *channel,
                                          const prc_channel_meta *m, int owner, const double *values, const int64_t *gaps)
{
  char    name[256];
  hid_t   g;
  int     me = owner == w->rank;
  hsize_t n = (hsize_t)m->n, zero[2] = {0, 0}, cnt = me ? n : 0;
  hsize_t gd[2] = {(hsize_t)m->n_gaps, 2}, gcnt[2] = {me ? (hsize_t)m->n_gaps : 0, 2};
  PetscFunctionBeginUser;
  PetscCheck((size_t)snprintf(name, sizeof name, "series/%s/%s", code, channel) < sizeof name, PETSC_COMM_SELF,
             PETSC_ERR_ARG_OUTOFRANGE, "station/channel name too long: %s/%s", code, channel);
  PetscCheck(m->n >= 0 && m->n_gaps >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "%s: negative length", name);
  PetscCall(prc_h5_group(w->f.fid, name, &g));
  PetscCall(prc_h5_attr_double(g, "start_time", m->start_time));
  PetscCall(prc_h5_attr_double(g, "dt", m->dt));
  PetscCall(prc_h5_attr_str(g, "units", m->units));
  PetscCall(prc_h5_attr_int(g, "n_gaps", m->n_gaps));
  PetscCall(prc_h5_write_nd(g, "values", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n, zero, &cnt, values));
  PetscCall(prc_h5_write_nd(g, "gaps", H5T_STD_I64LE, H5T_NATIVE_INT64, 2, gd, zero, gcnt, gaps));
  H5Gclose(g);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_stations_commit(prc_stations_out *w, const prc_ctx *ctx)
{
  PetscFunctionBeginUser;
  PetscCall(prc_h5_commit(&w->f, ctx));
  PetscFunctionReturn(0);
}

int64_t prc_stations_nan_runs(const double *v, int64_t n, int64_t *gaps, int64_t max)
{
  int64_t k = 0;
  for (int64_t i = 0; i < n;) {
    if (!isnan(v[i])) {
      i++;
      continue;
    }
    int64_t s = i;
    while (i < n && isnan(v[i])) i++;
    if (k < max) gaps[2 * k] = s, gaps[2 * k + 1] = i - s;
    k++;
  }
  return k;
}

/* ---------------------------------------------------------------------------------- */

static PetscErrorCode read_table(prc_stations_in *r)
{
  int     rk;
  hsize_t dims[8], n = 0, zero = 0;
  hid_t   g;
  PetscFunctionBeginUser;
  PetscCheck(H5Lexists(r->fid, "station_table", H5P_DEFAULT) > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "'%s' has no /station_table group (not a station-set file?)", r->path);
  g = H5Gopen2(r->fid, "station_table", H5P_DEFAULT);
  const char *cols[] = {"code", "lat", "lon", "elevation_m"};
  for (int i = 0; i < 4; i++) {
    PetscCall(prc_h5_dims(g, cols[i], &rk, dims));
    PetscCheck(rk == 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "'%s': /station_table/%s has rank %d, expected 1",
               r->path, cols[i], rk);
    if (!i) n = dims[0];
    PetscCheck(dims[0] == n, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
               "'%s': /station_table/%s has %llu rows but /station_table/code has %llu", r->path, cols[i],
               (unsigned long long)dims[0], (unsigned long long)n);
  }
  r->ns = (int)n;
  char (*code)[PRC_STATION_CODE_LEN];
  double *col;
  PetscCall(PetscCalloc1(n + 1, &r->st));
  PetscCall(PetscMalloc2(n + 1, &code, 3 * n + 1, &col));
  hid_t t = prc_h5_strtype(PRC_STATION_CODE_LEN);
  PetscCall(prc_h5_read_nd(g, "code", t, &zero, &n, code));
  H5Tclose(t);
  for (int i = 1; i < 4; i++) PetscCall(prc_h5_read_nd(g, cols[i], H5T_NATIVE_DOUBLE, &zero, &n, col + (i - 1) * n));
  H5Gclose(g);
  for (hsize_t i = 0; i < n; i++) {
    memcpy(r->st[i].code, code[i], PRC_STATION_CODE_LEN);
    r->st[i].code[PRC_STATION_CODE_LEN - 1] = '\0';
    r->st[i].lat = col[i], r->st[i].lon = col[n + i], r->st[i].elevation_m = col[2 * n + i];
    PetscCheck(r->st[i].lat >= -90 && r->st[i].lat <= 90 && r->st[i].lon >= -180 && r->st[i].lon <= 360, PETSC_COMM_SELF,
               PETSC_ERR_FILE_UNEXPECTED, "'%s': station %llu (%s): position (%g, %g) out of range", r->path,
               (unsigned long long)i, r->st[i].code, r->st[i].lat, r->st[i].lon);
  }
  PetscCall(PetscFree2(code, col));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_stations_open(MPI_Comm comm, const char *path, prc_stations_in *r)
{
  char kind[64];
  int  found;
  PetscFunctionBeginUser;
  memset(r, 0, sizeof *r);
  snprintf(r->path, sizeof r->path, "%s", path);
  PetscCall(prc_h5_open(comm, path, &r->fid));
  PetscCall(prc_h5_attr_get_str(r->fid, "precursor_kind", kind, sizeof kind, &found));
  PetscCheck(found && !strcmp(kind, "stations"), PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "'%s': precursor_kind is '%s', expected 'stations'", path, found ? kind : "(absent)");
  double schema;
  PetscCall(prc_h5_attr_get_double(r->fid, "precursor_schema", &schema, NULL));
  PetscCheck(schema == PRC_SCHEMA_VERSION, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "'%s': precursor_schema %g, this build reads %d", path, schema, PRC_SCHEMA_VERSION);
  PetscCall(read_table(r));
  PetscFunctionReturn(0);
}

typedef struct {
  int n, max;
  char (*names)[PRC_CHANNEL_NAME_LEN];
} name_list;

static herr_t collect_name(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
  name_list *L = data;
  if (L->n < L->max) snprintf(L->names[L->n], PRC_CHANNEL_NAME_LEN, "%s", name);
  L->n++;
  return 0;
}

PetscErrorCode prc_stations_channels(prc_stations_in *r, const char *code, int *nch, char (**names)[PRC_CHANNEL_NAME_LEN])
{
  char       gn[256];
  H5G_info_t info;
  name_list  L = {0, 0, NULL};
  PetscFunctionBeginUser;
  snprintf(gn, sizeof gn, "series/%s", code);
  PetscCheck(H5Lexists(r->fid, "series", H5P_DEFAULT) > 0 && H5Lexists(r->fid, gn, H5P_DEFAULT) > 0, PETSC_COMM_SELF,
             PETSC_ERR_FILE_UNEXPECTED, "'%s' has no group /%s", r->path, gn);
  hid_t g = H5Gopen2(r->fid, gn, H5P_DEFAULT);
  H5Gget_info(g, &info);
  L.max = (int)info.nlinks;
  PetscCall(PetscMalloc1(L.max + 1, &L.names));
  hsize_t idx = 0;
  herr_t  e = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_name, &L);
  H5Gclose(g);
  PetscCheck(e >= 0 && L.n == L.max, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "'%s': cannot list /%s", r->path, gn);
  *nch = L.n;
  *names = L.names;
  PetscFunctionReturn(0);
}

PetscErrorCode prc_stations_read_channel(prc_stations_in *r, const char *code, const char *channel, prc_channel_meta *m,
                                         double **values, int64_t **gaps)
{
  PetscFunctionBeginUser;
  PetscCall(prc_stations_read_channel_on(r, code, channel, m, values, gaps, PETSC_TRUE));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_stations_read_channel_on(prc_stations_in *r, const char *code, const char *channel, prc_channel_meta *m,
                                            double **values, int64_t **gaps, PetscBool reader)
{
  char    gn[256];
  int     rk;
  hsize_t dims[8], zero[2] = {0, 0};
  double  ng;
  PetscFunctionBeginUser;
  memset(m, 0, sizeof *m);
  snprintf(gn, sizeof gn, "series/%s", code);
  int ok = H5Lexists(r->fid, "series", H5P_DEFAULT) > 0 && H5Lexists(r->fid, gn, H5P_DEFAULT) > 0;
  snprintf(gn, sizeof gn, "series/%s/%s", code, channel);
  PetscCheck(ok && H5Lexists(r->fid, gn, H5P_DEFAULT) > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "'%s' has no channel /%s", r->path, gn);
  hid_t g = H5Gopen2(r->fid, gn, H5P_DEFAULT);
  PetscCheck(g >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "'%s': /%s is not a group", r->path, gn);
  PetscCall(prc_h5_attr_get_double(g, "start_time", &m->start_time, NULL));
  PetscCall(prc_h5_attr_get_double(g, "dt", &m->dt, NULL));
  PetscCall(prc_h5_attr_get_str(g, "units", m->units, sizeof m->units, NULL));
  PetscCall(prc_h5_attr_get_double(g, "n_gaps", &ng, NULL));
  PetscCall(prc_h5_dims(g, "values", &rk, dims));
  PetscCheck(rk == 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "'%s': /%s/values has rank %d, expected 1", r->path, gn, rk);
  m->n = (int64_t)dims[0];
  PetscCall(prc_h5_dims(g, "gaps", &rk, dims));
  char v1[64], v2[64]; /* numbers formatted by the C library (PETSc prints 2 as "2.") */
  snprintf(v1, sizeof v1, "%g", ng);
  PetscCheck(rk == 2 && dims[1] == 2 && (double)dims[0] == ng, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "'%s': /%s/gaps must be (n_gaps = %s, 2), found rank %d (%llu, %llu)", r->path, gn, v1, rk,
             (unsigned long long)dims[0], (unsigned long long)(rk > 1 ? dims[1] : 0));
  m->n_gaps = (int64_t)dims[0];
  snprintf(v1, sizeof v1, "%.17g", m->start_time), snprintf(v2, sizeof v2, "%g", m->dt);
  PetscCheck(isfinite(m->start_time) && m->dt > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "'%s': /%s: start_time %s, dt %s (expected finite and dt > 0)", r->path, gn, v1, v2);
  if (values) { /* collective transfer; a non-reader takes part with an empty selection */
    hsize_t n = reader ? (hsize_t)m->n : 0;
    double  dummy;
    *values = NULL;
    if (reader) PetscCall(PetscMalloc1(n + 1, values));
    PetscCall(prc_h5_read_nd(g, "values", H5T_NATIVE_DOUBLE, zero, &n, reader ? *values : &dummy));
  }
  if (gaps) {
    hsize_t c[2] = {(hsize_t)m->n_gaps, 2};
    int64_t *G;
    PetscCall(PetscMalloc1(2 * c[0] + 2, &G));
    PetscCall(prc_h5_read_nd(g, "gaps", H5T_NATIVE_INT64, zero, c, G));
    for (int64_t k = 0; k < m->n_gaps; k++) {
      int64_t lo = k ? G[2 * k - 2] + G[2 * k - 1] : 0;
      PetscCheck(G[2 * k] >= lo && G[2 * k + 1] > 0 && G[2 * k] + G[2 * k + 1] <= m->n, PETSC_COMM_SELF,
                 PETSC_ERR_FILE_UNEXPECTED,
                 "'%s': /%s/gaps row %lld = [%lld, %lld] is not sorted, disjoint and inside the %lld samples", r->path,
                 gn, (long long)k, (long long)G[2 * k], (long long)G[2 * k + 1], (long long)m->n);
    }
    *gaps = G;
  }
  H5Gclose(g);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_stations_close(prc_stations_in *r)
{
  PetscFunctionBeginUser;
  if (r->fid > 0) H5Fclose(r->fid);
  r->fid = -1;
  PetscCall(PetscFree(r->st));
  PetscFunctionReturn(0);
}

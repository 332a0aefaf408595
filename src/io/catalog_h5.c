/* catalog_h5.c — write/read the catalog table (/catalog/<column>) of the data model. */
#include "precursor/catalog.h"

#include <math.h>
#include <string.h>

PetscErrorCode prc_catalog_alloc(prc_catalog *c, size_t n)
{
  size_t m = n ? n : 1;
  PetscFunctionBeginUser;
  memset(c, 0, sizeof *c);
  c->n = n;
  PetscCall(PetscCalloc5(m, &c->time, m, &c->lat, m, &c->lon, m, &c->depth_km, m, &c->mag));
  PetscCall(PetscCalloc2(m, &c->mag_type, m, &c->source));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_catalog_free(prc_catalog *c)
{
  PetscFunctionBeginUser;
  if (c->time) PetscCall(PetscFree5(c->time, c->lat, c->lon, c->depth_km, c->mag));
  if (c->mag_type) PetscCall(PetscFree2(c->mag_type, c->source));
  memset(c, 0, sizeof *c);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_catalog_write(MPI_Comm comm, hid_t fid, const prc_catalog *c)
{
  hid_t g, d;
  PetscFunctionBeginUser;
  PetscCall(prc_h5_group(fid, "catalog", &g));
  PetscCall(prc_h5_attr_int(g, "n_events", (long long)c->n));
  PetscCall(prc_h5_write_col(comm, g, "time", H5T_NATIVE_DOUBLE, c->n, c->time));
  PetscCall(prc_h5_write_col(comm, g, "lat", H5T_NATIVE_DOUBLE, c->n, c->lat));
  PetscCall(prc_h5_write_col(comm, g, "lon", H5T_NATIVE_DOUBLE, c->n, c->lon));
  PetscCall(prc_h5_write_col(comm, g, "depth_km", H5T_NATIVE_DOUBLE, c->n, c->depth_km));
  PetscCall(prc_h5_write_col(comm, g, "mag", H5T_NATIVE_DOUBLE, c->n, c->mag));
  hid_t t1 = prc_h5_strtype(PRC_MAGTYPE_LEN), t2 = prc_h5_strtype(PRC_SOURCE_LEN);
  PetscCall(prc_h5_write_col(comm, g, "mag_type", t1, c->n, c->mag_type));
  PetscCall(prc_h5_write_col(comm, g, "source", t2, c->n, c->source));
  H5Tclose(t1), H5Tclose(t2);
  const char *cols[] = {"time", "lat", "lon", "depth_km"};
  const char *units[] = {"s since 1970-01-01T00:00:00Z", "degrees_north", "degrees_east", "km (positive down, NaN unknown)"};
  for (int i = 0; i < 4; i++) {
    d = H5Dopen2(g, cols[i], H5P_DEFAULT);
    PetscCall(prc_h5_attr_str(d, "units", units[i]));
    H5Dclose(d);
  }
  H5Gclose(g);
  PetscFunctionReturn(0);
}

/* Check and read the columns of an open /catalog group into c (allocated here). */
static PetscErrorCode read_columns(hid_t g, const char *path, prc_catalog *c)
{
  int     r;
  hsize_t dims[8], n = 0, zero = 0;
  PetscFunctionBeginUser;
  const char *cols[] = {"time", "lat", "lon", "depth_km", "mag", "mag_type", "source"};
  for (int i = 0; i < 7; i++) {
    PetscCall(prc_h5_dims(g, cols[i], &r, dims));
    PetscCheck(r == 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "'%s': /catalog/%s has rank %d, expected 1", path, cols[i], r);
    if (!i) n = dims[0];
    PetscCheck(dims[0] == n, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
               "'%s': /catalog/%s has %llu rows but /catalog/time has %llu", path, cols[i], (unsigned long long)dims[0],
               (unsigned long long)n);
  }
  PetscCall(prc_catalog_alloc(c, n));
  double *col[] = {c->time, c->lat, c->lon, c->depth_km, c->mag};
  for (int i = 0; i < 5; i++) PetscCall(prc_h5_read_nd(g, cols[i], H5T_NATIVE_DOUBLE, &zero, &n, col[i]));
  hid_t t1 = prc_h5_strtype(PRC_MAGTYPE_LEN), t2 = prc_h5_strtype(PRC_SOURCE_LEN);
  PetscCall(prc_h5_read_nd(g, "mag_type", t1, &zero, &n, c->mag_type));
  PetscCall(prc_h5_read_nd(g, "source", t2, &zero, &n, c->source));
  H5Tclose(t1), H5Tclose(t2);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_catalog_read(MPI_Comm comm, const char *path, prc_catalog *c)
{
  hid_t fid, g;
  PetscFunctionBeginUser;
  PetscCall(prc_h5_open(comm, path, &fid));
  if (H5Lexists(fid, "catalog", H5P_DEFAULT) <= 0) {
    H5Fclose(fid);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "'%s' has no /catalog group (not a catalog file?)", path);
  }
  g = H5Gopen2(fid, "catalog", H5P_DEFAULT);
  PetscErrorCode ierr = read_columns(g, path, c);
  H5Gclose(g);
  H5Fclose(fid);
  if (ierr) {
    (void)prc_catalog_free(c);
    PetscCall(ierr);
  }
  for (size_t i = 0; i < c->n; i++) {
    const char *bad = !isfinite(c->time[i]) ? "time" : !isfinite(c->mag[i]) ? "mag"
                    : !(c->lat[i] >= -90 && c->lat[i] <= 90) ? "lat" : !(c->lon[i] >= -180 && c->lon[i] <= 360) ? "lon" : NULL;
    if (bad) {
      double v = !strcmp(bad, "time") ? c->time[i] : !strcmp(bad, "mag") ? c->mag[i] : !strcmp(bad, "lat") ? c->lat[i] : c->lon[i];
      (void)prc_catalog_free(c);
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "'%s': event %zu: %s = %g is %s", path, i, bad, v,
              isfinite(v) ? "out of range" : "not finite");
    }
  }
  PetscFunctionReturn(0);
}

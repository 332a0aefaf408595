/* h5io.c — collective parallel-HDF5 access: atomic output files, tiles of grid stacks,
 * n-D blocks, attributes, provenance. */
#include "precursor/h5io.h"
#include "precursor/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#ifndef PRC_VERSION
#define PRC_VERSION "unknown"
#endif

#define H5CHK(expr, ...)                                                                                \
  do {                                                                                                  \
    if ((expr) < 0) SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, __VA_ARGS__);                   \
  } while (0)

const char *prc_h5_filename(hid_t loc, char *buf, size_t len)
{
  if (H5Fget_name(loc, buf, len) < 0) snprintf(buf, len, "(unknown file)");
  return buf;
}

PetscErrorCode prc_h5_init(void)
{
  PetscFunctionBeginUser;
  H5CHK(H5Eset_auto2(H5E_DEFAULT, NULL, NULL), "H5Eset_auto2 failed");
  PetscFunctionReturn(0);
}

static PetscErrorCode fapl_mpio(MPI_Comm comm, hid_t *fapl)
{
  PetscFunctionBeginUser;
  *fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5CHK(*fapl, "H5Pcreate(FILE_ACCESS) failed");
  H5CHK(H5Pset_fapl_mpio(*fapl, comm, MPI_INFO_NULL), "H5Pset_fapl_mpio failed");
  H5CHK(H5Pset_all_coll_metadata_ops(*fapl, 1), "H5Pset_all_coll_metadata_ops failed");
  H5CHK(H5Pset_coll_metadata_write(*fapl, 1), "H5Pset_coll_metadata_write failed");
  PetscFunctionReturn(0);
}

/* mkdir -p of the folder that will hold `path` (rank 0), error if impossible. */
static PetscErrorCode make_parent(MPI_Comm comm, const char *path)
{
  PetscMPIInt rank;
  int         err = 0;
  char        msg[4700] = "";
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank) {
    char tmp[4096], d[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    snprintf(d, sizeof d, "%s", dirname(tmp)); /* dirname may return a static "." */
    for (char *p = d + 1; ; p++) {
      char c = *p;
      if (c == '/' || c == '\0') {
        *p = '\0';
        if (mkdir(d, 0777) && errno != EEXIST) {
          err = errno;
          snprintf(msg, sizeof msg, "cannot create output folder '%s': %s", d, strerror(errno));
          break;
        }
        *p = c;
      }
      if (!c) break;
    }
    if (!err && access(d, W_OK)) {
      err = errno;
      snprintf(msg, sizeof msg, "output folder '%s' is not writable: %s", d, strerror(errno));
    }
  }
  PetscCallMPI(MPI_Bcast(&err, 1, MPI_INT, 0, comm));
  PetscCallMPI(MPI_Bcast(msg, sizeof msg, MPI_CHAR, 0, comm));
  PetscCheck(!err, comm, PETSC_ERR_FILE_OPEN, "%s", msg);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_h5_create(MPI_Comm comm, const char *path, const char *kind, prc_h5out *f)
{
  hid_t fapl;
  long  id;
  PetscFunctionBeginUser;
  memset(f, 0, sizeof *f);
  f->comm = comm;
  PetscCheck(strlen(path) < sizeof f->path, comm, PETSC_ERR_ARG_OUTOFRANGE, "output path too long: %s", path);
  snprintf(f->path, sizeof f->path, "%s", path);
  PetscCall(make_parent(comm, path));
  id = (long)getpid();
  PetscCallMPI(MPI_Bcast(&id, 1, MPI_LONG, 0, comm));
  snprintf(f->tmp, sizeof f->tmp, "%s.tmp-%ld", path, id);
  PetscCall(fapl_mpio(comm, &fapl));
  f->fid = H5Fcreate(f->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  PetscCheck(f->fid >= 0, comm, PETSC_ERR_FILE_OPEN, "cannot create HDF5 file '%s' (disk full, permissions?)", f->tmp);
  PetscCall(prc_h5_attr_str(f->fid, "precursor_kind", kind));
  PetscCall(prc_h5_attr_int(f->fid, "precursor_schema", PRC_SCHEMA_VERSION));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_h5_reopen(MPI_Comm comm, const char *tmp, const char *path, prc_h5out *f)
{
  hid_t fapl;
  PetscFunctionBeginUser;
  memset(f, 0, sizeof *f);
  f->comm = comm;
  PetscCheck(strlen(path) < sizeof f->path && strlen(tmp) < sizeof f->tmp, comm, PETSC_ERR_ARG_OUTOFRANGE, "path too long: %s", path);
  snprintf(f->path, sizeof f->path, "%s", path);
  snprintf(f->tmp, sizeof f->tmp, "%s", tmp);
  PetscCheck(H5Fis_hdf5(tmp) > 0, comm, PETSC_ERR_FILE_UNEXPECTED, "cannot resume: '%s' is missing or not an HDF5 file", tmp);
  PetscCall(fapl_mpio(comm, &fapl));
  f->fid = H5Fopen(tmp, H5F_ACC_RDWR, fapl);
  H5Pclose(fapl);
  PetscCheck(f->fid >= 0, comm, PETSC_ERR_FILE_OPEN, "cannot reopen '%s' to resume writing", tmp);
  /* A run killed inside prc_h5_commit() (after the provenance, before the rename) leaves the
   * group behind; commit writes it afresh (found by tests/cli/test_kill.sh). */
  if (H5Lexists(f->fid, "provenance", H5P_DEFAULT) > 0)
    PetscCheck(H5Ldelete(f->fid, "provenance", H5P_DEFAULT) >= 0, comm, PETSC_ERR_FILE_WRITE,
               "cannot resume: '%s': removing the provenance of an interrupted commit failed", tmp);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_h5_suspend(prc_h5out *f)
{
  PetscFunctionBeginUser;
  H5CHK(H5Fclose(f->fid), "closing '%s' failed (disk full?)", f->tmp);
  f->fid = -1;
  PetscFunctionReturn(0);
}

PetscErrorCode prc_h5_commit(prc_h5out *f, const prc_ctx *ctx)
{
  PetscMPIInt rank;
  hid_t       g;
  char        t0[32], t1[32], host[256] = "";
  int         err = 0;
  char        msg[9000] = "";
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(f->comm, &rank));
  if (ctx) {
    char *opts = NULL;
    PetscCall(prc_h5_group(f->fid, "provenance", &g));
    PetscCall(prc_h5_attr_str(g, "program", "precursor"));
    PetscCall(prc_h5_attr_str(g, "version", PRC_VERSION));
    PetscCall(prc_h5_attr_str(g, "stage", ctx->stage));
    PetscCall(prc_opts_dump(ctx->opts, &opts));
    PetscCall(prc_h5_attr_str(g, "options", opts));
    PetscCall(PetscFree(opts));
    PetscCall(prc_h5_attr_str(g, "inputs", ctx->inputs ? ctx->inputs : ""));
    PetscCall(prc_h5_attr_int(g, "nranks", ctx->size));
    prc_time_format(ctx->start_time, t0, sizeof t0);
    double now = prc_time_now();
    PetscCallMPI(MPI_Bcast(&now, 1, MPI_DOUBLE, 0, f->comm));
    prc_time_format(now, t1, sizeof t1);
    PetscCall(prc_h5_attr_str(g, "start_utc", t0));
    PetscCall(prc_h5_attr_str(g, "end_utc", t1));
    if (!rank) gethostname(host, sizeof host - 1);
    PetscCallMPI(MPI_Bcast(host, sizeof host, MPI_CHAR, 0, f->comm));
    PetscCall(prc_h5_attr_str(g, "host", host));
    const char *slurm[] = {"SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_JOB_NODELIST"};
    for (int i = 0; i < 4; i++) {
      char v[1024] = "";
      if (!rank && getenv(slurm[i])) snprintf(v, sizeof v, "%s", getenv(slurm[i]));
      PetscCallMPI(MPI_Bcast(v, sizeof v, MPI_CHAR, 0, f->comm));
      if (v[0]) PetscCall(prc_h5_attr_str(g, slurm[i], v));
    }
    H5Gclose(g);
  }
  H5CHK(H5Fclose(f->fid), "closing '%s' failed (disk full?)", f->tmp);
  f->fid = -1;
  PetscCallMPI(MPI_Barrier(f->comm));
  if (!rank) {
    int fd = open(f->tmp, O_RDONLY);
    if (fd < 0 || fsync(fd)) {
      err = 1;
      snprintf(msg, sizeof msg, "fsync of '%s' failed: %s", f->tmp, strerror(errno));
    }
    if (fd >= 0) close(fd);
    if (!err && rename(f->tmp, f->path)) {
      err = 1;
      snprintf(msg, sizeof msg, "rename '%s' -> '%s' failed: %s", f->tmp, f->path, strerror(errno));
    }
    if (!err) { /* make the rename itself durable */
      char dir[4096];
      snprintf(dir, sizeof dir, "%s", f->path);
      int dfd = open(dirname(dir), O_RDONLY);
      if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
      }
    }
  }
  PetscCallMPI(MPI_Bcast(&err, 1, MPI_INT, 0, f->comm));
  PetscCallMPI(MPI_Bcast(msg, sizeof msg, MPI_CHAR, 0, f->comm));
  PetscCheck(!err, f->comm, PETSC_ERR_FILE_WRITE, "%s", msg);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_h5_open(MPI_Comm comm, const char *path, hid_t *fid)
{
  hid_t fapl;
  int   ok;
  PetscFunctionBeginUser;
  ok = access(path, R_OK) == 0;
  PetscCheck(ok, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot read '%s': %s", path, strerror(errno));
  PetscCheck(H5Fis_hdf5(path) > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "'%s' is not an HDF5 file (truncated or another format?)", path);
  PetscCall(fapl_mpio(comm, &fapl));
  *fid = H5Fopen(path, H5F_ACC_RDONLY, fapl);
  H5Pclose(fapl);
  PetscCheck(*fid >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot open HDF5 file '%s' (corrupt?)", path);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_h5_close(hid_t fid)
{
  PetscFunctionBeginUser;
  H5CHK(H5Fclose(fid), "H5Fclose failed");
  PetscFunctionReturn(0);
}

PetscErrorCode prc_h5_group(hid_t loc, const char *name, hid_t *grp)
{
  char  fn[1024];
  hid_t lcpl;
  PetscFunctionBeginUser;
  lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  *grp = H5Gcreate2(loc, name, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  H5Pclose(lcpl);
  PetscCheck(*grp >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot create group '%s' in '%s'", name,
             prc_h5_filename(loc, fn, sizeof fn));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_h5_grid_create(hid_t loc, const char *name, hsize_t nt, hsize_t ny, hsize_t nx, hsize_t tchunk,
                                  const char *units, hid_t *dset)
{
  hsize_t dims[3] = {nt, ny, nx}, chunk[3];
  int     r = nt > 0 ? 3 : 2;
  hsize_t *d = nt > 0 ? dims : dims + 1;
  float    fill = NAN;
  char     fn[1024];
  PetscFunctionBeginUser;
  chunk[0] = PetscMax(1, PetscMin(nt, tchunk));
  chunk[1] = PetscMin(ny, 32);
  chunk[2] = PetscMin(nx, 32);
  hid_t space = H5Screate_simple(r, d, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, r, nt > 0 ? chunk : chunk + 1);
  H5Pset_fill_value(dcpl, H5T_NATIVE_FLOAT, &fill);
  H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY);
  *dset = H5Dcreate2(loc, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Pclose(dcpl);
  H5Sclose(space);
  PetscCheck(*dset >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot create grid dataset '%s' (%llu x %llu x %llu) in '%s'",
             name, (unsigned long long)nt, (unsigned long long)ny, (unsigned long long)nx, prc_h5_filename(loc, fn, sizeof fn));
  PetscCall(prc_h5_attr_str(*dset, "units", units));
  PetscCall(prc_h5_attr_str(*dset, "dims", nt > 0 ? "time,y,x" : "y,x"));
  PetscFunctionReturn(0);
}

/* Select the block [start, start+count) of fsp (or nothing when n == 0) and return the
 * matching memory space: a rank with nothing to transfer still takes part. */
static hid_t select_block(hid_t fsp, int rank, const hsize_t *start, const hsize_t *count, hsize_t n)
{
  hsize_t one = 1;
  hid_t   msp;
  if (n) {
    H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL);
    msp = H5Screate_simple(rank, count, NULL);
  } else {
    H5Sselect_none(fsp);
    msp = H5Screate_simple(1, &one, NULL);
    H5Sselect_none(msp);
  }
  return msp;
}

/* Select a tile (or its time block) in the file space of dset; returns file and memory spaces. */
static PetscErrorCode tile_spaces(hid_t dset, const prc_tile *tile, hsize_t t0, hsize_t nt, hid_t *fsp, hid_t *msp,
                                  hsize_t *nelem)
{
  hsize_t dims[3], start[3], count[3];
  char    fn[1024];
  PetscFunctionBeginUser;
  PetscCheck(tile->xs >= 0 && tile->ys >= 0 && tile->xm >= 0 && tile->ym >= 0 && tile->xs + tile->xm <= tile->nx &&
               tile->ys + tile->ym <= tile->ny,
             PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "tile [%d,%d)x[%d,%d) is outside the %d x %d grid of '%s'",
             (int)tile->xs, (int)(tile->xs + tile->xm), (int)tile->ys, (int)(tile->ys + tile->ym), (int)tile->nx,
             (int)tile->ny, prc_h5_filename(dset, fn, sizeof fn));
  *fsp = H5Dget_space(dset);
  int r = H5Sget_simple_extent_ndims(*fsp);
  PetscCheck(r == 2 || r == 3, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "grid dataset in '%s' has rank %d, expected 2 or 3",
             prc_h5_filename(dset, fn, sizeof fn), r);
  H5Sget_simple_extent_dims(*fsp, dims, NULL);
  hsize_t *dy = r == 3 ? dims + 1 : dims;
  PetscCheck(dy[0] == (hsize_t)tile->ny && dy[1] == (hsize_t)tile->nx, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "grid dataset in '%s' is %llu x %llu (y x x), expected %d x %d", prc_h5_filename(dset, fn, sizeof fn),
             (unsigned long long)dy[0], (unsigned long long)dy[1], (int)tile->ny, (int)tile->nx);
  if (r == 3)
    PetscCheck(t0 + nt <= dims[0], PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
               "time steps [%llu, %llu) requested from '%s' which has %llu", (unsigned long long)t0,
               (unsigned long long)(t0 + nt), prc_h5_filename(dset, fn, sizeof fn), (unsigned long long)dims[0]);
  start[0] = t0, count[0] = nt;
  start[r - 2] = (hsize_t)tile->ys, count[r - 2] = (hsize_t)tile->ym;
  start[r - 1] = (hsize_t)tile->xs, count[r - 1] = (hsize_t)tile->xm;
  *nelem = 1;
  for (int i = 0; i < r; i++) *nelem *= count[i];
  *msp = select_block(*fsp, r, start, count, *nelem);
  PetscFunctionReturn(0);
}

static hid_t dxpl_collective(void)
{
  hid_t p = H5Pcreate(H5P_DATASET_XFER);
  H5Pset_dxpl_mpio(p, H5FD_MPIO_COLLECTIVE);
  return p;
}

PetscErrorCode prc_h5_tile_write(hid_t dset, const prc_tile *tile, hsize_t t0, hsize_t nt, const float *buf)
{
  hid_t   fsp, msp, x = dxpl_collective();
  hsize_t n;
  char    fn[1024];
  PetscFunctionBeginUser;
  PetscCall(tile_spaces(dset, tile, t0, nt, &fsp, &msp, &n));
  herr_t e = H5Dwrite(dset, H5T_NATIVE_FLOAT, msp, fsp, x, buf);
  H5Sclose(msp), H5Sclose(fsp), H5Pclose(x);
  H5CHK(e, "writing a tile to '%s' failed (disk full?)", prc_h5_filename(dset, fn, sizeof fn));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_h5_tile_read(hid_t dset, const prc_tile *tile, hsize_t t0, hsize_t nt, float *buf)
{
  hid_t   fsp, msp, x = dxpl_collective();
  hsize_t n;
  double  scale = 1, offset = 0, fillv = NAN;
  int     has_s, has_o, has_f;
  char    fn[1024];
  PetscFunctionBeginUser;
  PetscCall(tile_spaces(dset, tile, t0, nt, &fsp, &msp, &n));
  herr_t e = H5Dread(dset, H5T_NATIVE_FLOAT, msp, fsp, x, buf);
  H5Sclose(msp), H5Sclose(fsp), H5Pclose(x);
  H5CHK(e, "reading a tile from '%s' failed", prc_h5_filename(dset, fn, sizeof fn));
  PetscCall(prc_h5_attr_get_double(dset, "scale_factor", &scale, &has_s));
  PetscCall(prc_h5_attr_get_double(dset, "add_offset", &offset, &has_o));
  PetscCall(prc_h5_attr_get_double(dset, "_FillValue", &fillv, &has_f));
  for (hsize_t i = 0; i < n; i++) {
    float v = buf[i];
    if (!isfinite(v) || (has_f && (double)v == fillv)) buf[i] = NAN;
    else if (has_s || has_o) buf[i] = (float)(v * scale + offset);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode prc_h5_write_block(hid_t dset, hid_t mtype, int rank, const hsize_t *start, const hsize_t *count,
                                  const void *data)
{
  char    fn[1024];
  hsize_t n = 1;
  PetscFunctionBeginUser;
  for (int i = 0; i < rank; i++) n *= count[i];
  hid_t fsp = H5Dget_space(dset);
  PetscCheck(H5Sget_simple_extent_ndims(fsp) == rank, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "block of rank %d for a dataset of rank %d in '%s'",
             rank, H5Sget_simple_extent_ndims(fsp), prc_h5_filename(dset, fn, sizeof fn));
  hid_t  msp = select_block(fsp, rank, start, count, n), x = dxpl_collective();
  herr_t e = H5Dwrite(dset, mtype, msp, fsp, x, data);
  H5Pclose(x), H5Sclose(msp), H5Sclose(fsp);
  H5CHK(e, "writing a block to '%s' failed (disk full?)", prc_h5_filename(dset, fn, sizeof fn));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_h5_write_nd(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank, const hsize_t *dims,
                               const hsize_t *start, const hsize_t *count, const void *data)
{
  char    fn[1024];
  hsize_t n = 1;
  PetscFunctionBeginUser;
  for (int i = 0; i < rank; i++) n *= count[i];
  hid_t fsp = H5Screate_simple(rank, dims, NULL);
  hid_t d = H5Dcreate2(loc, name, ftype, fsp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  PetscCheck(d >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot create dataset '%s' in '%s'", name,
             prc_h5_filename(loc, fn, sizeof fn));
  hsize_t total = 1;
  for (int i = 0; i < rank; i++) total *= dims[i];
  if (!total) { /* an empty dataset: nothing to transfer (HDF5 refuses a write) */
    H5Sclose(fsp), H5Dclose(d);
    PetscFunctionReturn(0);
  }
  hid_t  msp = select_block(fsp, rank, start, count, n);
  hid_t  x = dxpl_collective();
  herr_t e = H5Dwrite(d, mtype, msp, fsp, x, data);
  H5Pclose(x), H5Sclose(msp), H5Sclose(fsp), H5Dclose(d);
  H5CHK(e, "writing dataset '%s' in '%s' failed (disk full?)", name, prc_h5_filename(loc, fn, sizeof fn));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_h5_write_col(MPI_Comm comm, hid_t loc, const char *name, hid_t type, hsize_t n, const void *data)
{
  PetscMPIInt rank;
  hsize_t     start = 0, count;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  count = rank ? 0 : n;
  hid_t ftype = type;
  if (H5Tequal(type, H5T_NATIVE_DOUBLE) > 0) ftype = H5T_IEEE_F64LE;
  else if (H5Tequal(type, H5T_NATIVE_FLOAT) > 0) ftype = H5T_IEEE_F32LE;
  else if (H5Tequal(type, H5T_NATIVE_INT64) > 0) ftype = H5T_STD_I64LE;
  else if (H5Tequal(type, H5T_NATIVE_INT) > 0) ftype = H5T_STD_I32LE;
  PetscCall(prc_h5_write_nd(loc, name, ftype, type, 1, &n, &start, &count, data));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_h5_dims(hid_t loc, const char *name, int *rank, hsize_t dims[8])
{
  char fn[1024];
  PetscFunctionBeginUser;
  PetscCheck(H5Lexists(loc, name, H5P_DEFAULT) > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "'%s' has no dataset '%s'", prc_h5_filename(loc, fn, sizeof fn), name);
  hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
  PetscCheck(d >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "'%s': '%s' is not a dataset",
             prc_h5_filename(loc, fn, sizeof fn), name);
  hid_t s = H5Dget_space(d);
  *rank = H5Sget_simple_extent_ndims(s);
  PetscCheck(*rank >= 0 && *rank <= 8, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "'%s': dataset '%s' has rank %d",
             prc_h5_filename(loc, fn, sizeof fn), name, *rank);
  H5Sget_simple_extent_dims(s, dims, NULL);
  H5Sclose(s), H5Dclose(d);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_h5_read_nd(hid_t loc, const char *name, hid_t mtype, const hsize_t *start, const hsize_t *count,
                              void *data)
{
  int     r;
  hsize_t dims[8], n = 1;
  char    fn[1024];
  PetscFunctionBeginUser;
  PetscCall(prc_h5_dims(loc, name, &r, dims));
  for (int i = 0; i < r; i++) {
    PetscCheck(start[i] + count[i] <= dims[i], PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
               "'%s': dataset '%s' dimension %d has %llu entries, %llu..%llu requested", prc_h5_filename(loc, fn, sizeof fn),
               name, i, (unsigned long long)dims[i], (unsigned long long)start[i], (unsigned long long)(start[i] + count[i]));
    n *= count[i];
  }
  hsize_t total = 1;
  for (int i = 0; i < r; i++) total *= dims[i];
  if (!total) PetscFunctionReturn(0);
  hid_t  d = H5Dopen2(loc, name, H5P_DEFAULT), fsp = H5Dget_space(d), msp = select_block(fsp, r, start, count, n);
  hid_t  x = dxpl_collective();
  herr_t e = H5Dread(d, mtype, msp, fsp, x, data);
  H5Pclose(x), H5Sclose(msp), H5Sclose(fsp), H5Dclose(d);
  H5CHK(e, "reading dataset '%s' from '%s' failed (wrong type or corrupt?)", name, prc_h5_filename(loc, fn, sizeof fn));
  PetscFunctionReturn(0);
}

hid_t prc_h5_strtype(size_t len)
{
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, len);
  H5Tset_strpad(t, H5T_STR_NULLTERM);
  return t;
}

static PetscErrorCode attr_write(hid_t loc, const char *name, hid_t type, hid_t space, const void *v)
{
  char fn[1024];
  PetscFunctionBeginUser;
  if (H5Aexists(loc, name) > 0) H5Adelete(loc, name);
  hid_t a = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  PetscCheck(a >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot create attribute '%s' in '%s'", name,
             prc_h5_filename(loc, fn, sizeof fn));
  herr_t e = H5Awrite(a, type, v);
  H5Aclose(a);
  H5CHK(e, "cannot write attribute '%s' in '%s'", name, prc_h5_filename(loc, fn, sizeof fn));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_h5_attr_str(hid_t loc, const char *name, const char *value)
{
  PetscFunctionBeginUser;
  hid_t t = prc_h5_strtype(strlen(value) + 1), s = H5Screate(H5S_SCALAR);
  PetscCall(attr_write(loc, name, t, s, value));
  H5Sclose(s), H5Tclose(t);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_h5_attr_double(hid_t loc, const char *name, double value)
{
  PetscFunctionBeginUser;
  PetscCall(prc_h5_attr_doubles(loc, name, 1, &value));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_h5_attr_doubles(hid_t loc, const char *name, int n, const double *v)
{
  hsize_t d = (hsize_t)n;
  PetscFunctionBeginUser;
  hid_t s = n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &d, NULL);
  PetscCall(attr_write(loc, name, H5T_NATIVE_DOUBLE, s, v));
  H5Sclose(s);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_h5_attr_int(hid_t loc, const char *name, long long value)
{
  PetscFunctionBeginUser;
  hid_t s = H5Screate(H5S_SCALAR);
  PetscCall(attr_write(loc, name, H5T_NATIVE_LLONG, s, &value));
  H5Sclose(s);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_h5_attr_get_double(hid_t loc, const char *name, double *v, int *found)
{
  char fn[1024];
  PetscFunctionBeginUser;
  if (H5Aexists(loc, name) <= 0) {
    PetscCheck(found, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "'%s': missing attribute '%s'",
               prc_h5_filename(loc, fn, sizeof fn), name);
    *found = 0;
    PetscFunctionReturn(0);
  }
  hid_t  a = H5Aopen(loc, name, H5P_DEFAULT);
  herr_t e = H5Aread(a, H5T_NATIVE_DOUBLE, v);
  H5Aclose(a);
  H5CHK(e, "'%s': attribute '%s' is not a number", prc_h5_filename(loc, fn, sizeof fn), name);
  if (found) *found = 1;
  PetscFunctionReturn(0);
}

PetscErrorCode prc_h5_attr_get_str(hid_t loc, const char *name, char *buf, size_t len, int *found)
{
  char fn[1024];
  PetscFunctionBeginUser;
  buf[0] = '\0';
  if (H5Aexists(loc, name) <= 0) {
    PetscCheck(found, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "'%s': missing attribute '%s'",
               prc_h5_filename(loc, fn, sizeof fn), name);
    *found = 0;
    PetscFunctionReturn(0);
  }
  hid_t  a = H5Aopen(loc, name, H5P_DEFAULT), ft = H5Aget_type(a);
  size_t sz = H5Tget_size(ft);
  PetscCheck(H5Tget_class(ft) == H5T_STRING, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "'%s': attribute '%s' is not a string",
             prc_h5_filename(loc, fn, sizeof fn), name);
  herr_t e;
  if (H5Tis_variable_str(ft) > 0) { /* e.g. written by h5py from a Python str */
    hid_t mt = H5Tcopy(H5T_C_S1);
    char *vs = NULL;
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5Tget_cset(ft)); /* h5py writes UTF-8; HDF5 does not convert ASCII <-> UTF-8 */
    e = H5Aread(a, mt, &vs);
    PetscCheck(e >= 0 && vs && strlen(vs) < len, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
               "'%s': attribute '%s' is unreadable or longer than %zu", prc_h5_filename(loc, fn, sizeof fn), name, len - 1);
    snprintf(buf, len, "%s", vs);
    H5free_memory(vs);
    H5Tclose(mt), H5Tclose(ft), H5Aclose(a);
    if (found) *found = 1;
    PetscFunctionReturn(0);
  }
  PetscCheck(sz < len, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "'%s': attribute '%s' is longer than %zu",
             prc_h5_filename(loc, fn, sizeof fn), name, len - 1);
  /* one more byte than stored: a NULLPAD string that fills its size (numpy bytes) keeps its last character */
  hid_t mt = prc_h5_strtype(sz + 1);
  e = H5Aread(a, mt, buf);
  buf[sz] = '\0';
  H5Tclose(mt), H5Tclose(ft), H5Aclose(a);
  H5CHK(e, "'%s': cannot read attribute '%s'", prc_h5_filename(loc, fn, sizeof fn), name);
  if (found) *found = 1;
  PetscFunctionReturn(0);
}

PetscErrorCode prc_ctx_add_input(prc_ctx *ctx, const char *path)
{
  unsigned long crc = 0;
  long long     bytes = -1;
  int           err = 0;
  PetscFunctionBeginUser;
  if (!ctx->rank) {
    FILE *fp = fopen(path, "rb");
    if (!fp) err = errno;
    if (fp) {
      unsigned char buf[1 << 16];
      size_t        k;
      crc = crc32(0L, Z_NULL, 0);
      bytes = 0;
      while ((k = fread(buf, 1, sizeof buf, fp)) > 0) crc = crc32(crc, buf, (uInt)k), bytes += (long long)k;
      fclose(fp);
    }
  }
  PetscCallMPI(MPI_Bcast(&bytes, 1, MPI_LONG_LONG, 0, ctx->comm));
  PetscCallMPI(MPI_Bcast(&crc, 1, MPI_UNSIGNED_LONG, 0, ctx->comm));
  PetscCallMPI(MPI_Bcast(&err, 1, MPI_INT, 0, ctx->comm));
  PetscCheck(bytes >= 0, ctx->comm, PETSC_ERR_FILE_OPEN, "cannot read input '%s': %s", path, strerror(err ? err : EIO));
  size_t old = ctx->inputs ? strlen(ctx->inputs) : 0, add = strlen(path) + 64;
  char  *n = realloc(ctx->inputs, old + add);
  PetscCheck(n, PETSC_COMM_SELF, PETSC_ERR_MEM, "out of memory");
  snprintf(n + old, add, "%s crc32=%08lx bytes=%lld\n", path, crc, bytes);
  ctx->inputs = n;
  PetscFunctionReturn(0);
}

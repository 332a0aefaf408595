/* precursor/h5io.h — the parallel HDF5 layer every stage uses (docs/DATA_MODEL.md).
 *
 * Files are opened with the MPI-IO driver on a communicator; every function here is
 * collective on that communicator unless it says otherwise (HDF5 requires creation of
 * objects and attributes to be collective). Data transfers are collective hyperslabs: a
 * rank that has nothing to write takes part with an empty selection.
 *
 * Outputs are atomic: prc_h5_create() writes to "<path>.tmp-<id>", prc_h5_commit() closes,
 * fsyncs and renames it to <path>. A crash leaves only a .tmp file, never a file under the
 * final name that looks complete, and an earlier file of that name stays intact until the
 * rename replaces it. */
#ifndef PRECURSOR_H5IO_H
#define PRECURSOR_H5IO_H

#include <hdf5.h>
#include <petscsys.h>

#include "precursor/stage.h"

#define PRC_SCHEMA_VERSION 1

typedef struct {
  hid_t    fid;
  MPI_Comm comm;
  char     path[4096]; /* final name */
  char     tmp[4200];  /* name while being written */
} prc_h5out;

/* A rank's rectangle of a 2-D grid: columns [xs, xs+xm), rows [ys, ys+ym) of nx × ny. */
typedef struct {
  PetscInt xs, ys, xm, ym, nx, ny;
} prc_tile;

/* Silence HDF5's automatic error-stack printing (precursor reports errors itself). */
PetscErrorCode prc_h5_init(void);

/* Create a new output file (collective). kind: "grid", "catalog", "stations", ... */
PetscErrorCode prc_h5_create(MPI_Comm comm, const char *path, const char *kind, prc_h5out *f);
/* Write the /provenance group (program, version, stage, options, inputs with checksums,
 * ranks, start/end time, host, Slurm ids), close, fsync, rename to the final name. */
PetscErrorCode prc_h5_commit(prc_h5out *f, const prc_ctx *ctx);
/* Close an output file that is not finished, keeping it under its temporary name (for a
 * checkpoint); prc_h5_reopen() opens it again for writing. Collective. */
PetscErrorCode prc_h5_suspend(prc_h5out *f);
PetscErrorCode prc_h5_reopen(MPI_Comm comm, const char *tmp, const char *path, prc_h5out *f);
/* Open an existing file for reading (collective). Errors name the file. */
PetscErrorCode prc_h5_open(MPI_Comm comm, const char *path, hid_t *fid);
PetscErrorCode prc_h5_close(hid_t fid);

/* Create a group (and missing parents). */
PetscErrorCode prc_h5_group(hid_t loc, const char *name, hid_t *grp);

/* Create a float32 grid dataset: rank 3 (nt, ny, nx) if nt > 0, rank 2 (ny, nx) if nt == 0.
 * Chunked (min(nt,tchunk), min(ny,32), min(nx,32)) so a pixel's time series is few
 * chunks; fill value NaN; attribute "units". */
PetscErrorCode prc_h5_grid_create(hid_t loc, const char *name, hsize_t nt, hsize_t ny, hsize_t nx, hsize_t tchunk,
                                  const char *units, hid_t *dset);
/* Collective write of a rank's tile for time steps [t0, t0+nt): buf is (nt, ym, xm).
 * For a rank-2 dataset t0 and nt are ignored and buf is (ym, xm). */
PetscErrorCode prc_h5_tile_write(hid_t dset, const prc_tile *tile, hsize_t t0, hsize_t nt, const float *buf);
/* Collective read of a tile into float (kelvin etc.): integer storage is converted, then
 * scale_factor/add_offset attributes applied, and _FillValue (or non-finite) becomes NaN. */
PetscErrorCode prc_h5_tile_read(hid_t dset, const prc_tile *tile, hsize_t t0, hsize_t nt, float *buf);

/* Create dataset `name` of `ftype` with global dims and write this rank's block
 * [start, start+count) from `data` (memory type mtype). A zero count takes part with an
 * empty selection. */
PetscErrorCode prc_h5_write_nd(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank, const hsize_t *dims,
                               const hsize_t *start, const hsize_t *count, const void *data);
/* Collective write of this rank's block [start, start+count) into an existing dataset
 * (a zero count takes part with an empty selection). */
PetscErrorCode prc_h5_write_block(hid_t dset, hid_t mtype, int rank, const hsize_t *start, const hsize_t *count,
                                  const void *data);
/* Shortcut: a 1-D dataset written whole by rank 0 of comm (`data` significant on rank 0). */
PetscErrorCode prc_h5_write_col(MPI_Comm comm, hid_t loc, const char *name, hid_t type, hsize_t n, const void *data);
/* Read the block [start, start+count) of dataset `name` (collective transfer). */
PetscErrorCode prc_h5_read_nd(hid_t loc, const char *name, hid_t mtype, const hsize_t *start, const hsize_t *count,
                              void *data);
/* Rank and dims of a dataset (see the note on readers above). Errors name the dataset and file. */
PetscErrorCode prc_h5_dims(hid_t loc, const char *name, int *rank, hsize_t dims[8]);

/* Fixed-length string type of `len` bytes (caller closes with H5Tclose). */
hid_t          prc_h5_strtype(size_t len);

/* Attributes (collective when the file is open in parallel; same value on all ranks). */
PetscErrorCode prc_h5_attr_str(hid_t loc, const char *name, const char *value);
PetscErrorCode prc_h5_attr_double(hid_t loc, const char *name, double value);
PetscErrorCode prc_h5_attr_int(hid_t loc, const char *name, long long value);
PetscErrorCode prc_h5_attr_doubles(hid_t loc, const char *name, int n, const double *v);
/* Readers; *found = 0 if absent (found may be NULL: then absence is an error). Files are
 * opened with collective metadata reads, so every rank of the file's communicator calls
 * these (as it calls prc_h5_dims) — a file opened serially (H5P_DEFAULT) has no such rule.
 * A check that fails on some ranks only (different inputs per rank) makes those ranks
 * return an error while the others wait in the next collective: the binary then aborts
 * the whole job (src/main.c), so nothing hangs. */
PetscErrorCode prc_h5_attr_get_double(hid_t loc, const char *name, double *v, int *found);
PetscErrorCode prc_h5_attr_get_str(hid_t loc, const char *name, char *buf, size_t len, int *found);

/* Name of the file an object belongs to (for messages). */
const char    *prc_h5_filename(hid_t loc, char *buf, size_t len);

/* crc32 and size of a file (rank 0 reads, result broadcast) appended to ctx->inputs. */
PetscErrorCode prc_ctx_add_input(prc_ctx *ctx, const char *path);

#endif

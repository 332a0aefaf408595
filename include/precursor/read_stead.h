/* precursor/read_stead.h — the HDF5 half of a STEAD-style waveform set: /data/<trace_name>
 * float (npts, 3) with per-trace attributes (docs/FORMATS.md "STEAD-style HDF5").
 *
 * PETSc layer, not a kernel: the openmpi flavour's hdf5.h includes mpi.h, so anything
 * that includes hdf5.h sits above the kernels. The CSV half (no MPI) is
 * include/precursor/stead_csv.h. Nothing here is collective: each rank opens the file
 * with HDF5's serial (sec2) driver, read-only, and reads its own traces. */
#ifndef PRECURSOR_READ_STEAD_H
#define PRECURSOR_READ_STEAD_H

#include <hdf5.h>
#include <petscsys.h>

#include "precursor/stead_csv.h"

/* Open path read-only. Errors name the file: unreadable, not HDF5, no group /data. */
PetscErrorCode prc_stead_open(const char *path, hid_t *fid);

/* Read /data/<row->name> and check it against its CSV row:
 *  - the dataset exists (else: CSV line and trace named), is a float or integer dataset
 *    of shape (npts, 3) with npts >= 1 (rank 1, other column counts: error with the
 *    shape found), npts equals the CSV's npts when given;
 *  - row fields the CSV lacks are filled from the attributes network, station, channels,
 *    trace_start_time, sampling_rate_hz (or sampling_rate), p_arrival_sample,
 *    s_arrival_sample, trace_category; where both give a rate or a sample index they must
 *    agree; without any rate, default_rate is used (*rate_from: 0 CSV, 1 attribute, 2
 *    default); rate > 0; a start time is required (CSV or attribute);
 *  - P and S indices (when >= 0) lie in [0, npts); S after P;
 *  - every sample is finite (the first NaN/Inf is named by row and column).
 * On success *data (PetscMalloc'd, npts x 3 row-major float32; PetscFree it) and *npts. */
PetscErrorCode prc_stead_read_trace(hid_t fid, const char *h5path, const char *csvpath, prc_stead_row *row, double default_rate,
                                    float **data, int64_t *npts, int *rate_from);

/* How many members of /data are not traces of the CSV (rows sorted by name through
 * `order`, an index array); the first few names, comma-separated, in first[len]. */
PetscErrorCode prc_stead_extra_traces(hid_t fid, const prc_stead_row *rows, const int64_t *order, int64_t n, int64_t *nextra,
                                      char *first, size_t len);

#endif

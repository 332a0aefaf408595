/* precursor/catalog.h — the earthquake catalog of the data model (docs/DATA_MODEL.md):
 * one row per event, columns in /catalog of a "catalog" file. */
#ifndef PRECURSOR_CATALOG_H
#define PRECURSOR_CATALOG_H

#include "precursor/h5io.h"

#define PRC_MAGTYPE_LEN 8
#define PRC_SOURCE_LEN 16

typedef struct {
  size_t n;
  double *time;     /* UTC seconds since 1970-01-01 */
  double *lat, *lon;/* degrees (WGS84) */
  double *depth_km; /* positive down; NaN = unknown */
  double *mag;
  char  (*mag_type)[PRC_MAGTYPE_LEN]; /* "ML", "Ms", "Mw", ... ("" unknown) */
  char  (*source)[PRC_SOURCE_LEN];    /* agency / file of origin */
} prc_catalog;

/* Allocate n rows (zeroed). Not collective. */
PetscErrorCode prc_catalog_alloc(prc_catalog *c, size_t n);
PetscErrorCode prc_catalog_free(prc_catalog *c);
/* Write /catalog into an open output file (collective; data significant on rank 0). */
PetscErrorCode prc_catalog_write(MPI_Comm comm, hid_t fid, const prc_catalog *c);
/* Read /catalog from a file (collective; every rank gets the whole catalog). Checks the
 * columns exist with equal lengths and the values are finite and in range; on error the
 * message names the file, the event index and the field, and *c is left empty. */
PetscErrorCode prc_catalog_read(MPI_Comm comm, const char *path, prc_catalog *c);

#endif

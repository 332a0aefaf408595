/* precursor/read_modis.h — reader of MODIS MOD11A1/MYD11A1 daily LST tiles (HDF4-EOS).
 * Kernel layer: no MPI, no PETSc; returns 0 or non-zero with prc_seterr() (every message
 * names the file and the SDS or attribute). HDF4's headers are included only by
 * src/io/read_modis.c. Format notes and formulae: docs/FORMATS.md "MODIS LST tiles". */
#ifndef PRECURSOR_READ_MODIS_H
#define PRECURSOR_READ_MODIS_H

#include <stddef.h>
#include <stdint.h>

#include "precursor/sinusoidal.h"

typedef enum { PRC_MODIS_NIGHT = 0, PRC_MODIS_DAY = 1 } prc_modis_sds;
/* QC filter on the QC_Night/QC_Day bit fields (bits 0-1 mandatory QA, bits 6-7 LST error):
 *  STRICT: QA 00 (produced, good quality) and error flag 00 (≤ 1 K);
 *  LTE2K:  QA 00 or 01 (produced) and error flag 00 or 01 (≤ 2 K);
 *  ANY:    every pixel whose LST is not the fill value and lies in valid_range. */
typedef enum { PRC_MODIS_QC_STRICT = 0, PRC_MODIS_QC_LTE2K = 1, PRC_MODIS_QC_ANY = 2 } prc_modis_qc;

typedef struct {
  char         product[16]; /* "MOD11A1", "MYD11A1" (from the file name) */
  int          year, doy, h, v; /* from the file name ...AYYYYDDD.hHHvVV... */
  double       date;         /* UTC seconds of 00:00 of RANGEBEGINNINGDATE (CoreMetadata.0) */
  prc_sin_grid grid;         /* from StructMetadata.0 */
  char         grid_name[64];
} prc_modis_meta;

typedef struct {
  prc_modis_meta meta;
  int            nx, ny;
  float         *lst;       /* (ny, nx), row 0 north (file order); kelvin; NaN = fill, outside
                               valid_range or rejected by QC */
  float         *view_time; /* (ny, nx) local solar time of the observation, hours; NaN = fill
                               or LST rejected. NULL if the file has no <Night|Day>_view_time */
  double         scale, offset, fill, valid_min, valid_max; /* attributes of the LST SDS */
  int64_t        n_pixels, n_valid_raw, n_valid_qc;  /* all / not fill and in range / kept */
  double         lst_min, lst_max; /* over the kept pixels, K (NaN if none) */
} prc_modis_tile;

/* Parse a file name (directory ignored) "<PRODUCT>.A<YYYY><DDD>.h<HH>v<VV>[.*]", e.g.
 * MOD11A1.A2019305.h14v09.061.2019306.hdf. Returns 0 or 1 (prc_seterr naming the file). */
int  prc_modis_parse_name(const char *path, char product[16], int *year, int *doy, int *h, int *v);
/* "strict" | "lte2k" | "any" -> *q. Returns 0 or 1. */
int  prc_modis_qc_parse(const char *s, prc_modis_qc *q);
/* 1 if a pixel with QC byte qc passes the filter, else 0. */
int  prc_modis_qc_keep(unsigned qc, prc_modis_qc mode);
/* Value of ODL object `object` (OBJECT = NAME ... VALUE = "text" ... END_OBJECT = NAME) in
 * the metadata text `odl`, without quotes, into out. Returns 0, or 1 if absent/malformed. */
int  prc_modis_odl_value(const char *odl, const char *object, char *out, size_t len);
/* Parse the first grid of an HDF-EOS StructMetadata text: XDim, YDim, UpperLeftPointMtrs,
 * LowerRightMtrs, Projection (must be GCTP_SNSOID), ProjParams[0] (sphere radius).
 * `path` only names the file in messages. Returns 0 or 1. */
int  prc_modis_struct_parse(const char *sm, const char *path, prc_sin_grid *g, char *grid_name, size_t len);
/* Read and check a file's metadata: the name, CoreMetadata.0 RANGEBEGINNINGDATE (must be
 * the name's date), StructMetadata.0 (grid corners must be the standard ones of tile
 * hHHvVV within 1 m). Returns 0 or 1. */
int  prc_modis_read_meta(const char *path, prc_modis_meta *m);
/* Read a whole tile: metadata as above, the LST SDS (LST_Night_1km or LST_Day_1km: rank 2,
 * YDim × XDim of StructMetadata, integer type), its scale_factor (required), add_offset
 * (default 0), _FillValue and valid_range (optional), QC_Night/QC_Day (uint8, same shape),
 * and <Night|Day>_view_time if present. kelvin = raw · scale_factor + add_offset (MODIS
 * convention). Allocates t->lst (and t->view_time). Returns 0 or 1 (nothing allocated). */
int  prc_modis_read(const char *path, prc_modis_sds which, prc_modis_qc qc, prc_modis_tile *t);
void prc_modis_free(prc_modis_tile *t);

#endif

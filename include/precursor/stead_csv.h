/* precursor/stead_csv.h — the CSV half of a STEAD-style waveform set (kernel layer: no
 * MPI, no HDF5): per-trace metadata rows read by header name, and the component analysis
 * of one trace's samples. The HDF5 half is include/precursor/read_stead.h (PETSc layer).
 * docs/FORMATS.md "STEAD-style HDF5" lists the accepted column names. */
#ifndef PRECURSOR_STEAD_CSV_H
#define PRECURSOR_STEAD_CSV_H

#include <stdint.h>

#define PRC_STEAD_NAME 64

/* One CSV row. Text fields "" and numbers NaN / -1 when the column is absent or empty. */
typedef struct {
  char    name[PRC_STEAD_NAME];                      /* trace_name (dataset under /data) */
  char    network[16], station[16], location[16];
  char    channels[48];                              /* as given: "EHE_EHN_EHZ", "EHZ" ("" unknown) */
  char    category[32];                              /* trace_category */
  double  start;                                     /* trace_start_time, UTC s (NaN: absent) */
  double  rate;                                      /* sampling_rate_hz (NaN: absent) */
  int64_t npts;                                      /* -1: absent */
  int64_t p, s;                                      /* arrival sample indices, -1: absent/empty */
  double  ev_time, ev_lat, ev_lon, ev_depth_km, ev_mag; /* source_* (NaN: absent) */
  long    line;                                      /* line of the CSV (1 = header) */
} prc_stead_row;

/* Which columns the header had (1/0) and the names found. */
typedef struct {
  int has_network, has_station, has_channels, has_start, has_rate, has_npts, has_p, has_s, has_category;
  int n_event_cols;        /* how many of source_origin_time/latitude/longitude/depth_km/magnitude */
  int ncols;               /* columns in the header */
} prc_stead_csv_info;

/* Read the CSV at path. Columns are found by header name (any order, unknown columns
 * ignored); required: trace_name, and p_arrival_sample + s_arrival_sample when
 * require_labels. Each row: the field count must match the header; numbers are strict
 * (prc_parse_real); sample indices are whole numbers >= 0 ("3000" or "3000.0"); an empty
 * sample index is an error when require_labels, else -1; when both are given S must come
 * after P (s > p); trace names are unique and non-empty. Blank lines are skipped.
 * Returns 0 with *rows (malloc'd, caller frees) and *n >= 1, else non-zero after
 * prc_seterr("PATH:LINE: field NAME: ...") (an empty file or a header without rows is an
 * error). */
int prc_stead_csv_read(const char *path, int require_labels, prc_stead_row **rows, int64_t *n, prc_stead_csv_info *info);

/* Components of one trace: x is (n, 3) row-major as stored in the STEAD file, channels the
 * codes ("EHE_EHN_EHZ", "EHZ", "" unknown; separators '_' or ','). Outputs:
 *   *ncomp 3 (three codes, or none given and more than one column holds data) or 1 (one
 *   code, or none given and at most one column holds data); col[0..ncomp) the source
 *   columns to keep; comps the comma-separated codes of the kept columns ("?" unknown);
 *   *present the number of kept columns with a non-zero sample.
 * For one code the kept column is the one holding data; if none does, the column of the
 * orientation (E/1 -> 0, N/2 -> 1, otherwise 2). Errors (prc_seterr, naming `name`): one
 * code but several columns hold data; 2 or more than 3 codes. */
int prc_stead_components(const float *x, int64_t n, const char *channels, const char *name, int *ncomp, int col[3],
                         char *comps, int comps_len, int *present);

/* First non-finite sample of x (n x ncols); returns 1 and its row/column, else 0. */
int prc_stead_first_nonfinite(const float *x, int64_t n, int ncols, int64_t *row, int *col);

#endif

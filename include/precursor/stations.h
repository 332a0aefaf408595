/* precursor/stations.h — station-set files (precursor_kind "stations", docs/DATA_MODEL.md):
 * the one writer and reader used by every stage that produces or consumes station
 * records (`synth`, `import-iaga`, later the analysis stages).
 *
 *   /station_table/{code (string[16]), lat, lon, elevation_m}
 *   /series/<code>/<channel>/values   float64 (n), NaN inside gaps
 *   /series/<code>/<channel>/gaps     int64 (k, 2): [start_index, count], sorted, disjoint
 *   /series/<code>/<channel> attrs    start_time (UTC s), dt (s), units, n_gaps
 *
 * Writing: creation of groups, datasets and attributes is collective (parallel HDF5), so
 * every rank calls prc_stations_write_channel() for every channel with the same metadata;
 * the samples and the gap list are significant only on the channel's owner rank, which
 * alone transfers them (the others take part with empty selections). */
#ifndef PRECURSOR_STATIONS_H
#define PRECURSOR_STATIONS_H

#include <stdint.h>

#include "precursor/h5io.h"

#define PRC_STATION_CODE_LEN 16
#define PRC_CHANNEL_NAME_LEN 64
#define PRC_UNITS_LEN 64

typedef struct {
  char   code[PRC_STATION_CODE_LEN]; /* NUL-terminated, at most 15 characters */
  double lat, lon, elevation_m;      /* degrees north, degrees east, metres */
} prc_station;

/* Metadata of one channel record: sample i is at start_time + i*dt. */
typedef struct {
  double  start_time, dt;
  char    units[PRC_UNITS_LEN];
  int64_t n;      /* samples */
  int64_t n_gaps; /* rows of the gap list */
} prc_channel_meta;

typedef struct {
  prc_h5out f;
  int       rank;
} prc_stations_out;

/* Collective. Create `path` (atomically, kind "stations") and write the station table of
 * ns stations (`st` significant on rank 0; codes must be unique, checked). */
PetscErrorCode prc_stations_create(MPI_Comm comm, const char *path, int ns, const prc_station *st, prc_stations_out *w);
/* Collective. Write /series/<code>/<channel>: every rank passes the same code, channel and
 * meta; `values` (meta->n) and `gaps` (2*meta->n_gaps: start, count pairs) are read only on
 * rank `owner` (may be NULL elsewhere). */
PetscErrorCode prc_stations_write_channel(prc_stations_out *w, const char *code, const char *channel,
                                          const prc_channel_meta *meta, int owner, const double *values,
                                          const int64_t *gaps);
/* Collective. Provenance, close, fsync, rename to the final name. */
PetscErrorCode prc_stations_commit(prc_stations_out *w, const prc_ctx *ctx);

/* Gap list of a record: the maximal runs of NaN in v[0..n) as (start, count) pairs into
 * gaps (room for at most `max` pairs). Returns the number of runs (which may exceed max:
 * then only the first max are stored). Not collective, no MPI. */
int64_t prc_stations_nan_runs(const double *v, int64_t n, int64_t *gaps, int64_t max);

typedef struct {
  hid_t        fid;
  char         path[4096];
  int          ns;
  prc_station *st; /* ns entries */
} prc_stations_in;

/* Collective. Open a station-set file, check its kind and schema, read the station table
 * (errors name the file and the column). */
PetscErrorCode prc_stations_open(MPI_Comm comm, const char *path, prc_stations_in *r);
/* Collective. Names of the channels of station `code`, sorted by name: *names is an array
 * of *nch entries (caller frees with PetscFree). */
PetscErrorCode prc_stations_channels(prc_stations_in *r, const char *code, int *nch, char (**names)[PRC_CHANNEL_NAME_LEN]);
/* Collective. Read one channel: meta always; if values != NULL the record into a new array
 * (PetscMalloc, meta->n entries), if gaps != NULL the gap list (2*meta->n_gaps entries).
 * Checks: values 1-D, gaps (k, 2) with k == n_gaps, sorted, disjoint, inside the record. */
PetscErrorCode prc_stations_read_channel(prc_stations_in *r, const char *code, const char *channel,
                                         prc_channel_meta *meta, double **values, int64_t **gaps);
/* Collective. The same, but only ranks with reader = PETSC_TRUE read the values (the others
 * take part in the collective transfer with an empty selection and get *values = NULL). */
PetscErrorCode prc_stations_read_channel_on(prc_stations_in *r, const char *code, const char *channel,
                                            prc_channel_meta *meta, double **values, int64_t **gaps, PetscBool reader);
PetscErrorCode prc_stations_close(prc_stations_in *r);

#endif

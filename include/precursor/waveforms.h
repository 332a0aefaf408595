/* precursor/waveforms.h — the waveforms file of the data model (kind "waveforms",
 * docs/DATA_MODEL.md "Waveforms"): one dataset per trace set, a trace table and gap and
 * overlap tables. Written collectively with parallel HDF5: every rank creates every
 * dataset (same metadata on all ranks); each column is written by the rank that holds it. */
#ifndef PRECURSOR_WAVEFORMS_H
#define PRECURSOR_WAVEFORMS_H

#include "precursor/h5io.h"

#define PRC_WAVE_NAME 64
#define PRC_WAVE_CODE 16
#define PRC_WAVE_COMPS 48

typedef struct {
  char    name[PRC_WAVE_NAME];                        /* dataset name under /waveforms */
  char    network[PRC_WAVE_CODE], station[PRC_WAVE_CODE], location[PRC_WAVE_CODE];
  char    components[PRC_WAVE_COMPS];                 /* comma-separated channel codes of the columns */
  char    source[PRC_WAVE_NAME];                      /* base name of the input file */
  char    category[32];                               /* e.g. "earthquake_local", "continuous" */
  int     ncomp;                                      /* columns: 1 or 3 */
  int     present;                                    /* columns holding data (STEAD: others are zero) */
  double  rate, start;                                /* Hz, UTC seconds of row 0 */
  int64_t n;                                          /* rows (samples) */
  int64_t p_sample, s_sample;                         /* arrival sample indices, -1 unknown */
  double  orig_rate;                                  /* rate of the source (== rate unless resampled) */
  int     up, down;                                   /* resampling ratio (1, 1: none) */
  int     n_gaps, n_overlaps;
  char    resample_filter[320]; /* description of the resampling filter ("" none) */
  int     has_event;                                  /* 1: the source states the event (STEAD source_*) */
  double  ev_time, ev_lat, ev_lon, ev_depth_km, ev_mag; /* NaN where unknown (written only if has_event) */
} prc_wave_meta;

typedef struct {
  int64_t trace, component, first, count; /* rows [first, first+count) of column `component` */
} prc_wave_span;

/* Create /waveforms/<name> float32 (n, ncomp) for every set, with attributes (network,
 * station, location, components, sampling_rate, start_time, n_gaps, n_overlaps, source,
 * and p_sample/s_sample when >= 0, event_time/lat/lon/depth_km/mag when has_event and
 * finite, resampling attributes original_sampling_rate,
 * resample_up/down and resample_filter when up != down). Collective, same arguments on
 * every rank. */
PetscErrorCode prc_wave_create(hid_t fid, int n, const prc_wave_meta *m);
/* Write rows [0, m->n) of column comp of set m from data (significant where mine).
 * Collective: every rank calls it, a rank with mine == 0 takes part with nothing. */
PetscErrorCode prc_wave_write_column(hid_t fid, const prc_wave_meta *m, int comp, const float *data, int mine);
/* Write a whole set from data (n x ncomp, row-major) where mine. Collective. */
PetscErrorCode prc_wave_write_set(hid_t fid, const prc_wave_meta *m, const float *data, int mine);
/* Write rows [r0, r0 + nr) of set m (all columns) from data (nr x ncomp). Collective; a rank
 * with nothing to write passes nr = 0. */
PetscErrorCode prc_wave_write_rows(hid_t fid, const prc_wave_meta *m, int64_t r0, int64_t nr, const float *data);
/* /trace_table/category, and with with_event /trace_table/event_{time,lat,lon,depth_km,mag}
 * (NaN unknown) for importers whose source carries them (import-stead). Collective, data
 * significant on rank 0. */
PetscErrorCode prc_wave_write_extra_cols(MPI_Comm comm, hid_t fid, int n, const prc_wave_meta *m, int with_event);
/* /trace_table/<column> for all sets and /gaps, /overlaps tables (data significant on rank 0). */
PetscErrorCode prc_wave_write_tables(MPI_Comm comm, hid_t fid, int n, const prc_wave_meta *m, int ngaps,
                                     const prc_wave_span *gaps, int noverlaps, const prc_wave_span *overlaps);

#endif

/* ---- reading a waveforms file back (windows, detect) ---- */
/* Open `path` (collective), check its kind is "waveforms" and return its sets in
 * /trace_table order with the per-set attributes filled (name, codes, components, rate,
 * start, n, ncomp, present, p/s samples (-1 unknown), category, n_gaps, has_event and
 * ev_time when the set states it). *m is PetscMalloc'ed (PetscFree it); close with
 * prc_h5_close(*fid). Errors name the file and the set. */
PetscErrorCode prc_wave_open_read(MPI_Comm comm, const char *path, hid_t *fid, int *n, prc_wave_meta **m);
/* Read rows [r0, r0 + nr) of set m (all its columns) into buf (nr x ncomp floats, NaN =
 * no data). Collective transfer: every rank of the file's communicator calls it for the
 * same set, a rank wanting nothing passes nr = 0. */
PetscErrorCode prc_wave_read_rows(hid_t fid, const prc_wave_meta *m, int64_t r0, int64_t nr, float *buf);
/* Open every file of a comma-separated list (at most PRC_WAVE_MAXFILES; `what` names the
 * option in messages) with prc_wave_open_read and concatenate their sets in list order:
 * (*m)[i] is set i, (*file)[i] the index of its file in fids[]; every file is recorded as an
 * input of ctx. Collective. PetscFree *m and *file; close each fids[k]. */
#define PRC_WAVE_MAXFILES 64
PetscErrorCode prc_wave_open_list(prc_ctx *ctx, const char *list, const char *what, int *nfile, hid_t *fids, int *nsets, prc_wave_meta **m,
                                  int **file);
/* Column of the vertical component (channel code ending in Z), or -1. */
int prc_wave_vertical(const prc_wave_meta *m);

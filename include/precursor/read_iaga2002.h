/* precursor/read_iaga2002.h — IAGA-2002 geomagnetic records (INTERMAGNET exchange format)
 * parsed into a regular, NaN-gapped record (kernel layer: no MPI, no PETSc).
 *
 * Every function returns 0 on success or non-zero after prc_seterr() with a message
 * "FILE:LINE: FIELD: expected ..., found ..." (docs/FORMATS.md "IAGA-2002").
 *
 * Layout of a file: header records of 70 columns ending in '|' (" Key<spaces>Value |"),
 * comment records " # ... |", the column header "DATE TIME DOY <CODE><c1> ... |", then one
 * data line per sample "YYYY-MM-DD HH:MM:SS.sss DDD v1 v2 v3 v4". 99999.00 marks a missing
 * value, 88888.00 a value not recorded (e.g. F); both become NaN and are counted. */
#ifndef PRECURSOR_READ_IAGA2002_H
#define PRECURSOR_READ_IAGA2002_H

#include <stddef.h>
#include <stdint.h>

#define PRC_IAGA_NCH 4

typedef struct {
  char    file[512];                /* name used in messages */
  char    code[16];                 /* IAGA CODE, e.g. "CBI" */
  char    name[64];                 /* Station Name ("" if absent) */
  char    data_type[48];            /* Data Type, e.g. "Definitive" ("" if absent) */
  char    interval_type[64];        /* Data Interval Type as written */
  char    reported[8];              /* Reported, e.g. "DHZF" */
  double  lat, lon, elevation_m;    /* geodetic latitude N, longitude E as written (0..360), m (NaN if blank) */
  char    chan[PRC_IAGA_NCH][4];    /* channel names: the letters of Reported, "D", "H", ... */
  char    units[PRC_IAGA_NCH][16];  /* "nT"; D and I: "arcmin" (minutes of arc, as in the file) */
  int64_t t0_ms, dt_ms;             /* first sample (ms since 1970-01-01 UTC), interval (ms) */
  int64_t n;                        /* samples of the regular record */
  double *v;                        /* (n, PRC_IAGA_NCH) row-major; NaN = missing */
  int64_t n_missing[PRC_IAGA_NCH];  /* 99999 values (merge: summed over files, overlaps counted in each) */
  int64_t n_notrec[PRC_IAGA_NCH];   /* 88888 values */
  int64_t n_rows;                   /* data lines read */
  int64_t n_absent;                 /* time steps with no line (rows filled with NaN) */
  int64_t n_dup;                    /* repeated lines with identical values, dropped */
  int64_t n_overlap;                /* (merge) samples present in two files with equal values */
  int64_t n_between;                /* (merge) samples between files, filled with NaN */
  int     nfiles;                   /* files merged into this record */
} prc_iaga;

/* Parse the text of one file (`len` bytes; need not be NUL-terminated). `name` is used in
 * messages. On success *d holds the record (free with prc_iaga_free); on failure *d is
 * empty. Checks: every required header field present (Format = IAGA-2002, IAGA CODE,
 * Geodetic Latitude in [-90, 90], Geodetic Longitude in [-180, 360], Elevation (blank
 * allowed: NaN), Reported: 4 distinct letters of XYZHDIEFGS, Data Interval Type
 * recognised), the column header names CODE + Reported letter, every data line has a real
 * date and time, the DOY of its date and exactly 4 plain decimal numbers; times strictly
 * increase (an identical repeated line is dropped and counted; a repeated time with other
 * values is an error naming both lines); every step is a multiple of the header's interval
 * and some step equals it (absent steps become NaN rows, counted). */
int  prc_iaga_parse(const char *name, const char *text, size_t len, prc_iaga *d);
/* Read the file at `path` and parse it (messages name `path`). */
int  prc_iaga_read(const char *path, prc_iaga *d);
/* Concatenate np records of one station (same code, Reported, interval and position) in
 * time order (sorted by start time; ties keep the given order): samples covered by two
 * records must be equal (bitwise, NaN = NaN) and are kept once (n_overlap); conflicting
 * values are an error naming both files, the time and the channel; samples between
 * records become NaN (n_between). Sample times of all records must lie on one grid. The
 * parts are not modified. */
int  prc_iaga_merge(const prc_iaga *parts, int np, prc_iaga *out);
/* Interval of a Data Interval Type text ("1-minute (00:15-01:45)", "Filtered 1-minute",
 * "1-second", "Hourly", "Daily", "N-minute"...), in ms; 0 if not recognised. */
int64_t prc_iaga_interval_ms(const char *type);
/* Block means: x (n samples at t0_ms + i*dt_ms) -> blocks of block_ms aligned to whole
 * multiples of block_ms since the epoch (a block labelled t covers [t, t + block_ms)).
 * A block's value is the mean of its valid (non-NaN) samples if they are at least
 * min_valid of the block's block_ms/dt_ms samples (those outside the record count as
 * missing), else NaN. block_ms must be a positive multiple of dt_ms. On success
 * *out (malloc'd, *nout values) starts at *t0_out. */
int  prc_iaga_block_mean(const double *x, int64_t n, int64_t t0_ms, int64_t dt_ms, int64_t block_ms, double min_valid,
                         double **out, int64_t *nout, int64_t *t0_out);
void prc_iaga_free(prc_iaga *d);

#endif

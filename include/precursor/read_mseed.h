/* precursor/read_mseed.h — miniSEED (SEED 2.x data records) into continuous float32
 * channel traces, via libmseed 2 (kernel layer: no MPI, no PETSc).
 *
 * Records are read one by one (ms_readmsr_r) and appended to the trace of their
 * N.S.L.C id in file order. Each trace lives on a regular grid t_i = start + i / rate:
 *  - a record that starts within half a sample of where the previous one ended continues
 *    the trace (the sub-sample offset is absorbed and its maximum kept in max_shift_s);
 *  - a record that starts later opens a gap: the missing samples are NaN and listed in
 *    gaps[] (first index, count);
 *  - a record that starts earlier than the previous record's end but not before the
 *    previous record's start is an overlap: its samples that fall on indices already
 *    filled are dropped (the first copy wins) and the run is listed in overlaps[];
 *  - a record that starts before the previous record of its channel started is an error
 *    ("time goes backwards"), as are a sample rate that is not positive and finite, a
 *    sample rate that changes within a channel, NaN/Inf samples in float records,
 *    unreadable/truncated records and a file without any data record.
 * Integer samples (int32: Steim-1/2, INT16/32) become float32: exact for |x| < 2^24,
 * otherwise rounded to nearest (counted in n_rounded); float64 samples are rounded to
 * float32 (counted when the value changes). ASCII (log) records and records without
 * samples are skipped (counted). Every error message names the file, the record number
 * (1-based) and its byte offset, and the field. */
#ifndef PRECURSOR_READ_MSEED_H
#define PRECURSOR_READ_MSEED_H

#include <stdint.h>

typedef struct {
  int64_t first, count; /* sample indices [first, first+count) of the trace */
} prc_span;

typedef struct {
  char     net[11], sta[11], loc[11], cha[11];
  double   start;        /* UTC seconds of sample 0 */
  int64_t  start_us;     /* the same in microseconds (libmseed's hptime) */
  double   rate;         /* Hz (nominal, from the first record) */
  int64_t  n;            /* samples, NaN-filled gaps included */
  float   *data;         /* n samples */
  int      ngaps, noverlaps;
  prc_span *gaps;        /* NaN runs */
  prc_span *overlaps;    /* index runs delivered twice (second copy dropped) */
  int64_t  nrecords;     /* data records of this trace */
  int64_t  n_rounded;    /* samples not exactly representable in float32 */
  int64_t  n_dropped;    /* samples dropped in overlaps */
  double   max_shift_s;  /* largest record start offset from the grid absorbed, s */
  char     encoding[24]; /* libmseed's name of the (first) record encoding */
  char     sampletype;   /* 'i', 'f' or 'd' */
  int64_t  cap;          /* allocated samples (internal) */
  int      capg, capo;   /* allocated gap/overlap entries (internal) */
} prc_mseed_trace;

typedef struct {
  int64_t nrecords;      /* all records read */
  int64_t nskipped;      /* ASCII / empty records skipped */
} prc_mseed_stats;

/* Read every data record of `path` into *ntr traces (*tr allocated here, sorted by
 * N.S.L.C then start). max_samples bounds the length of one trace (a gap that would make
 * it longer is an error naming the record). Returns 0, or non-zero with prc_lasterr()
 * set and nothing allocated. Not thread-safe (libmseed's logging is global). */
int  prc_mseed_read(const char *path, int64_t max_samples, prc_mseed_trace **tr, int *ntr, prc_mseed_stats *st);
void prc_mseed_free(prc_mseed_trace *tr, int ntr);
/* Recompute gaps[] as the NaN runs of data (after e.g. resampling). Returns 0 or 1 (OOM). */
int  prc_mseed_scan_gaps(const float *data, int64_t n, prc_span **gaps, int *ngaps);

#endif

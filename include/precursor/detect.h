/* precursor/detect.h — kernels of event detection (paper 004 after Perol et al. 2018,
 * docs/DETECTION.md): windows cut from waveform sets by time, joint normalisation, noise
 * augmentation, merging of consecutive positive windows into detections, and the synthetic
 * waveform model of `precursor synth-waves`. Kernel layer: no MPI; 0 or an error code
 * after prc_seterr(). */
#ifndef PRECURSOR_DETECT_H
#define PRECURSOR_DETECT_H

#include <stddef.h>
#include <stdint.h>

/* Row of a trace starting at `start` (UTC s) sampled at `rate` (Hz) nearest to time t:
 * llround((t - start) * rate). Exact time-based slicing: a window [t, t + L / rate) is
 * rows [row(t), row(t) + L), L samples whatever the source's off-by-one lengths. */
int64_t prc_win_row(double start, double rate, double t);

/* Cut L rows from row r0 of a (n, ncomp) row-major trace, columns cols[0..nc), into out
 * (nc, L) channel-major (the (C, L) layout of a 1-D model input). Returns 0 if cut, 1 if
 * the window leaves the trace, 2 if it holds a non-finite value (a gap): then out is
 * undefined. */
int prc_win_cut(const float *trace, int64_t n, int ncomp, int64_t r0, int L, const int *cols, int nc, float *out);

typedef enum { PRC_NORM_JOINT = 0, PRC_NORM_PER_COMPONENT = 1, PRC_NORM_NONE = 2 } prc_win_norm;
/* Parse "joint" / "per_component" / "none"; -1 if unknown. */
int prc_win_norm_parse(const char *s);
/* Normalise a (nc, L) window in place: each channel's mean removed (double sums), then
 * divided by the largest |x| over all channels (joint: amplitude ratios between the
 * components kept) or by each channel's own largest |x| (per_component), or left (none,
 * means not removed either). Returns 1 if the window (or, per component, a channel) is
 * flat (all equal): it is left zero; 0 otherwise. */
int prc_win_normalize(float *w, int nc, int L, prc_win_norm mode);

/* Add Gaussian noise of standard deviation level * max|w| to n values, drawn from the
 * counter-based stream (seed, id): the same for a window whatever rank makes it. */
void prc_win_add_noise(float *w, size_t n, double level, uint64_t seed, uint64_t id);

/* One detection: consecutive positive windows merged. */
typedef struct {
  double  start, end;  /* first positive window's start, last positive window's end (UTC s) */
  double  peak_time;   /* start of the most probable window */
  double  prob;        /* its event probability */
  int     cls;         /* its most probable event class (1..) */
  int     nwin;        /* positive windows merged */
  int64_t first;       /* index of the first merged window */
} prc_detection;

/* Merge the n windows (start times t[] ascending, event probabilities p[], classes cls[])
 * of one record: window i is positive if p[i] >= thr; a positive window joins the open
 * detection if it starts no later than max_gap seconds after the previous positive window
 * ended (t + win_len), so overlapping windows of one event count once (the double-count
 * problem of the paper). Detections of fewer than min_windows positive windows are then
 * dropped (an isolated positive window is more often noise than an event, which stays in
 * view for window / step windows). *out is malloc'ed (free it), *nout detections. */
int prc_detect_merge(const double *t, const float *p, const int *cls, int64_t n, double win_len, double thr, double max_gap,
                     int min_windows, prc_detection **out, int64_t *nout);

/* ---- synthetic waveforms (synth-waves) ---- */
typedef struct {
  double rate;           /* Hz */
  double noise_corr;     /* AR(1) coefficient of the background noise (0 white .. <1 red) */
  double vp, vs;         /* km/s */
  double fp, fs;         /* dominant frequencies of P and S at zero distance (Hz) */
  double q_km;           /* distance scale of the frequency decay: f(d) = f0 / (1 + d / q_km) */
  double p_dur, s_dur;   /* e-folding durations of the P and S coda (s) */
  double s_to_p;         /* S/P amplitude ratio */
} prc_sw_model;

/* Background noise: n rows x 3 columns (E, N, Z) of unit-RMS AR(1) noise, row r of column
 * c a function of (seed, stream, r) blocks only: generated in blocks of 4096 rows, each
 * block started from the stationary distribution so any row range can be made alone.
 * Writes rows [r0, r0 + nr) into out (nr x 3). */
void prc_sw_noise(const prc_sw_model *md, uint64_t seed, uint64_t stream, int64_t r0, int64_t nr, float *out);
/* Add one event to rows [r0, r0 + nr) of out (nr x 3, E N Z), trace start t0 (UTC s):
 * origin time `origin`, epicentral distance dist_km, back-azimuth baz_deg (from the
 * station to the event, clockwise from north), peak amplitude amp (of the S wave on the
 * horizontals, P = amp / s_to_p mostly on Z and radial). P at origin + dist/vp, S at
 * origin + dist/vs; each phase a burst (sine at f(d) under a sharp onset and an
 * exponential decay, envelope peak 1 x its amplitude), seeded phase from (seed, event).
 * The S part is on the transverse component (amp) and the radial (0.35 amp), the P part on
 * Z (0.9 amp/s_to_p) and the radial (0.45 amp/s_to_p). */
void prc_sw_add_event(const prc_sw_model *md, double t0, int64_t r0, int64_t nr, double origin, double dist_km, double baz_deg,
                      double amp, uint64_t seed, uint64_t event, float *out);

#endif

/* precursor/resample.h — rational-ratio resampling with a Kaiser-windowed-sinc polyphase
 * FIR filter (kernel layer: no MPI).
 *
 * Resampling x (rate fs) to fs * up / down: conceptually insert up-1 zeros between the
 * samples, low-pass filter with h (length N = 2*half+1, linear phase, centred so that no
 * delay is introduced), keep every down-th sample:
 *     y[k] = up * sum_i x[i] h[half + k*down - i*up]          (x = 0 outside [0, n))
 * Output sample k lies at time k * down / up input samples; y has
 * prc_resample_nout(n) = floor((n-1) * up / down) + 1 samples (no extrapolation past the
 * last input sample). This is scipy.signal.resample_poly(x, up, down, window=h) for its
 * first prc_resample_nout samples.
 *
 * Filter design (scipy.signal.firwin conventions, DC gain 1 before the factor up):
 * relative to the lower of the two Nyquist frequencies f_N = min(fs, fs*up/down) / 2,
 *   pass-band edge (1 - tw) f_N, cut-off (1 - tw/2) f_N, stop-band edge f_N,
 * Kaiser window with beta for a stop-band attenuation of atten_db (Kaiser's formulas)
 * and N = ceil((atten_db - 7.95) / (2.285 * dw)) + 1 taps (odd), dw = pi * tw / max(up,down)
 * the transition width in radians per upsampled sample. So any tone at or above the
 * lower Nyquist is attenuated by >= atten_db (no aliasing when downsampling, no images
 * when upsampling), and tones below (1 - tw) f_N pass with ripple <= 10^(-atten_db/20).
 * Edges: samples within half / up input samples of a record end or a gap see zeros
 * beyond the segment (as scipy does) and carry a transient. */
#ifndef PRECURSOR_RESAMPLE_H
#define PRECURSOR_RESAMPLE_H

#include <stdint.h>

typedef struct {
  int     up, down;  /* reduced ratio */
  int     ntaps, half;
  double *h;         /* ntaps coefficients (sum 1) */
  double  atten_db, tw, beta;
  double  cutoff_rel; /* cut-off relative to the upsampled Nyquist (firwin's cutoff) */
} prc_resampler;

/* Best rational approximation up/down of `ratio` with up, down <= maxden and relative
 * error <= 1e-9. Returns 0, or non-zero (prc_lasterr) if there is none. */
int     prc_rational(double ratio, int maxden, int *up, int *down);
/* Design the filter (atten_db in [20, 200], tw in (0, 0.5]). Returns 0 or non-zero. */
int     prc_resample_design(prc_resampler *r, int up, int down, double atten_db, double tw);
void    prc_resample_free(prc_resampler *r);
int64_t prc_resample_nout(const prc_resampler *r, int64_t n);
/* Polyphase evaluation (n/up*N multiply-adds per output). x and y must not overlap. */
void    prc_resample_apply(const prc_resampler *r, const float *x, int64_t n, float *y);
/* Reference: builds the zero-stuffed sequence and convolves it directly (slow; tests). */
int     prc_resample_apply_ref(const prc_resampler *r, const float *x, int64_t n, float *y);
/* x with NaN gaps: each finite run [a, b) is resampled on its own onto the output
 * samples k with a <= k*down/up <= b-1; every other output sample is NaN. */
void    prc_resample_gappy(const prc_resampler *r, const float *x, int64_t n, float *y);
/* One-line description of the filter for messages/attributes (buf >= 256). */
void    prc_resample_describe(const prc_resampler *r, double fs_in, char *buf, int len);

#endif

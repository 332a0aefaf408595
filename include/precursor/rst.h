/* precursor/rst.h — RST (Robust Satellite Techniques) kernels: regional spatial mean,
 * per-pixel multi-year background statistics of dT = T - Tbar(t) per calendar slot, and
 * the RETIRA index R = (dT - mu) / sigma (paper 001, eq. 2 and 6). Kernel layer: no MPI.
 *
 * Layout: a block of a tile is (nt, npix) float32, pixel fastest; NaN = no data.
 * Background accumulators are (nbins, npix), one bin per day of year (366) or per month
 * (12): per pixel and bin the shifted sums S0 = count, S1 = sum (dT - c), S2 = sum (dT - c)^2
 * in double, c = the pixel's first valid dT of the reference period (docs/RST.md,
 * "Numerics"). Each pixel's observations are folded in time order, so the result does not
 * depend on how time is blocked or pixels are split across ranks (the same bits); the
 * statistics of a slot are the plain sums of the bins of its window, added in a fixed
 * order. sigma is the population standard deviation (divisor = number of valid samples A,
 * eq. 6). */
#ifndef PRECURSOR_RST_H
#define PRECURSOR_RST_H

#include <stddef.h>
#include <stdint.h>

#define PRC_RST_FIXED_SCALE 1048576.0 /* 2^20: fixed-point quantum of the spatial-mean sums */

typedef struct {
  int      nbins;
  int64_t  npix;
  int32_t *n;     /* (nbins, npix) S0: valid samples */
  double  *s1;    /* (nbins, npix) S1: sum of (dT - shift) */
  double  *s2;    /* (nbins, npix) S2: sum of (dT - shift)^2 */
  double  *shift; /* (npix) c: the pixel's first valid dT in time order; NaN until there is one */
} prc_rst_acc;

/* Calendar binning of a UTC time: day of year - 1 (0..365) or month - 1 (0..11). */
int  prc_rst_bin(double t, int monthly);

/* Local part of the spatial mean of each time step of a block: fixed-point sums
 * qsum[t] = sum of llround(v * 2^20) over finite v, cnt[t] = their number. Integer sums
 * are associative, so the global mean is the same bits on any number of ranks.
 * Returns 1 (with prc_seterr) if a value is too large for the fixed-point range. */
int  prc_rst_mean_local(const float *buf, int nt, int64_t npix, int64_t *qsum, int64_t *cnt);

/* Zeroed memory for the large per-bin arrays: blocks of 2 MB or more are anonymous maps
 * (zero pages from the kernel, no second zeroing) advised as transparent huge pages
 * (madvise), so first touch costs one fault per 2 MB, not per 4 kB, and the bin-strided
 * sweeps of the background miss the TLB less. Release with prc_rst_free(p, the same bytes). */
void *prc_rst_alloc(size_t bytes);
void  prc_rst_free(void *p, size_t bytes);
/* Zeroed accumulators (prc_rst_alloc), shift NaN. */
int  prc_rst_acc_init(prc_rst_acc *a, int nbins, int64_t npix);
void prc_rst_acc_free(prc_rst_acc *a);
/* Fold a block into the accumulators: time step t goes to bin[t] (< 0: skipped, as are
 * steps with a non-finite tbar), each finite value v contributes x = dT = v - tbar[t]:
 * c = x if the pixel has no shift yet; S0 += 1, S1 += x - c, S2 += (x - c)^2. */
void prc_rst_acc_add(prc_rst_acc *a, const float *buf, int nt, const double *tbar, const int *bin);
/* Slot statistics: slot s sums the bins within +-window of s (circularly over nbins when
 * circular), in the order s-window .. s+window (all bins 0 .. nbins-1 once when the window
 * covers them): W0, W1, W2; then m = W1 / W0, mean = c + m, var = (W2 - m W1) / W0, set to
 * 0 below its rounding bound 2 (W0 + 2) eps W2 / W0, sd = sqrt(var). Pixels with fewer than
 * min_samples valid samples get NaN mean and sd (never zero); count is always written.
 * mean, sd (nbins, npix) float32, count (nbins, npix). */
int  prc_rst_background(const prc_rst_acc *a, int window, int circular, int min_samples, float *mean, float *sd,
                        int32_t *count); /* 1 (prc_seterr): out of memory */
/* The same products (the same bits) without extra memory: they overwrite the sums, which
 * are consumed. *mean, *sd (nbins, npix) float32 and *count (nbins, npix) then point into
 * a's arrays (s1, s2, n) and live until prc_rst_acc_free(a). 1 (prc_seterr): out of memory. */
int  prc_rst_background_inplace(prc_rst_acc *a, int window, int circular, int min_samples, float **mean, float **sd,
                                int32_t **count);
/* RETIRA for a block: r = (v - tbar[t] - mean[slot]) / sd[slot]; NaN where v is missing or
 * the background is undefined (or sd == 0). */
void prc_rst_retira(const float *buf, int nt, int64_t npix, const double *tbar, const int *slot, const float *mean,
                    const float *sd, float *r);

/* Straightforward reference of prc_rst_acc_add + prc_rst_background: for every pixel and
 * slot, gather the dT values of the time steps whose bin is within the window, then mean
 * and population sd by the two-pass formula. stack (nt, npix). */
void prc_rst_background_ref(const float *stack, int nt, int64_t npix, const double *tbar, const int *bin, int nbins,
                            int window, int circular, int min_samples, float *mean, float *sd, int32_t *count);

/* The straightforward scalar versions of the kernels above (one branch per missing value,
 * llround, the pixel loop inside the time loop): the fast kernels must give the same bits
 * (tests/unit/test_rst.c) and tests/bench/bench_rst.c times both. Same contracts. */
int  prc_rst_mean_local_ref(const float *buf, int nt, int64_t npix, int64_t *qsum, int64_t *cnt);
void prc_rst_acc_add_ref(prc_rst_acc *a, const float *buf, int nt, const double *tbar, const int *bin);
void prc_rst_background_sums_ref(const prc_rst_acc *a, int window, int circular, int min_samples, float *mean,
                                 float *sd, int32_t *count);
void prc_rst_retira_ref(const float *buf, int nt, int64_t npix, const double *tbar, const int *slot, const float *mean,
                        const float *sd, float *r);

#endif

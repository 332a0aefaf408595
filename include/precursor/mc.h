/* precursor/mc.h — magnitude of completeness Mc of a catalog (kernel layer: no MPI).
 *
 * Magnitudes are binned at width dm with bin centres at integer multiples of dm: bin
 * k = floor(m/dm + 0.5 + 1e-9) holds [k dm - dm/2, k dm + dm/2) (the 1e-9 guards catalog
 * values such as 4.45 stored as 4.4499999). Both estimators follow Wiemer & Wyss (2000,
 * BSSA 90, 859-869):
 *  - maximum curvature (MAXC): Mc = the centre of the most populated bin of the
 *    non-cumulative frequency-magnitude distribution (lowest such bin on ties). It is
 *    known to underestimate Mc for gradually curved FMDs; callers add a correction
 *    (Woessner & Wiemer 2005 suggest +0.2).
 *  - goodness of fit (GFT): for each candidate Mc_i (bin centres from the lowest bin
 *    upward, while at least min_events magnitudes are >= Mc_i - dm/2) the b-value is the
 *    Aki–Utsu MLE above Mc_i (prc_gr_bvalue_mle), the synthetic cumulative counts are
 *    S_k = N_i 10^(-b (M_k - Mc_i)) (N_i = events >= Mc_i - dm/2) and the observed
 *    ones B_k = events >= M_k - dm/2 over the bins M_k from Mc_i to the largest
 *    magnitude; R_i = 100 - 100 sum|B_k - S_k| / sum B_k. Mc = the smallest Mc_i with
 *    R >= 95 %; if none reaches 95 %, the smallest with R >= 90 %; if none reaches 90 %,
 *    the MAXC value (level 0 reported). This is the ZMAP "Mc95, else Mc90, else MAXC" rule.
 */
#ifndef PRECURSOR_MC_H
#define PRECURSOR_MC_H

#include <stddef.h>

/* Bin index of magnitude m at bin width dm (see above). */
long prc_mag_bin(double m, double dm);

/* Non-cumulative histogram of the finite magnitudes: *kmin = lowest bin index, counts[i]
 * events in bin kmin + i for i < *nbins. Allocates *counts (caller frees). Error if no
 * finite magnitude, dm <= 0, or more than 10^6 bins. */
int prc_fmd(const double *mag, size_t n, double dm, long *kmin, int *nbins, long **counts);

/* Maximum-curvature Mc (no correction applied). */
int prc_mc_maxc(const double *mag, size_t n, double dm, double *mc);

/* Goodness-of-fit Mc. *R_out: residual R (%) at the chosen Mc (NaN when falling back to
 * MAXC); *level: 95, 90, or 0 (fallback). min_events >= 2 (e.g. 50). Either of R_out and
 * level may be NULL. */
int prc_mc_gof(const double *mag, size_t n, double dm, size_t min_events, double *mc, double *R_out, int *level);

#endif

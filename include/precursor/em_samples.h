/* precursor/em_samples.h — sample construction of paper 000's electromagnetic experiment
 * (METHODS.md §3, docs/EM.md "Samples"). Kernel layer: no MPI, no PETSc.
 *
 * Simulation (docs/EM.md "The simulation"): per class c a record of
 *   R = (per_class - 1) * stride + len
 * points and nchan channels is built on standardised base records b_ch (mean 0, sd 1; a base
 * shorter than R is extended by reflection, t -> prc_em_mirror(t, nbase)):
 *   x_c,ch(t) = b_ch(t) + amp_c * s_c,ch(t) * [t in a segment of class c] + sigma_n * n_c,ch(t)
 * with
 *   - segments: nseg per class, laid out left to right: segment s starts gap_s after the end of
 *     segment s-1 (the first gap_0 after t = 0) and lasts len_s points,
 *       gap_s = H(seed, TAG_GAP, c, s) mod (gap_max + 1),
 *       len_s = len_min + H(seed, TAG_LEN, c, s) mod (len_max - len_min + 1),
 *     clipped at R (segments starting at or after R are dropped);
 *   - segment noise s_c,ch(t) = sum_{k<W} z(t - k) / sqrt(W), z(u) = N(seed, TAG_SEG|ch, c, u + W)
 *     (unit-variance Gaussian noise smoothed by a W-point moving sum; W = 1: white);
 *   - measurement noise n_c,ch(t) = N(seed, TAG_NOISE|ch, c, t), sigma_n = 10^(-snr_db / 20)
 *     (SNR = base power / noise power: the same noise for every class);
 * H = prc_hash4, N = prc_hash_normal, TAG_x | ch = (TAG_x << 8) | ch. Sample j (0 <= j <
 * per_class) of class c is x_c[j*stride, j*stride + len); its auxiliary inputs are
 *   aux[0] = (j*stride + len) / R                 (time: window end, fraction of the record)
 *   aux[1] = prc_hash_uniform(seed, TAG_DIST, c, j) (epicentral distance / horizon radius,
 *            drawn independently of the class: it carries no class information).
 * Every value is a pure function of (seed, class, channel, t), so the samples do not depend on
 * which rank builds them. */
#ifndef PRECURSOR_EM_SAMPLES_H
#define PRECURSOR_EM_SAMPLES_H

#include <stdint.h>

#define PRC_EM_MAXCLASS 16
#define PRC_EM_MAXCHAN 16

enum { PRC_EM_TAG_GAP = 1, PRC_EM_TAG_LEN = 2, PRC_EM_TAG_SEG = 3, PRC_EM_TAG_NOISE = 4, PRC_EM_TAG_DIST = 5, PRC_EM_TAG_SPLIT = 6 };

typedef struct {
  int      nclass, nchan, per_class;
  int64_t  len, stride;                   /* points per sample, offset between samples */
  int      nseg;                          /* segments per class */
  int64_t  gap_max, seg_len_min, seg_len_max;
  int      smooth;                        /* W >= 1 */
  double   amp[PRC_EM_MAXCLASS];          /* segment sd per class, in base sd */
  double   snr_db;
  uint64_t seed;
} prc_em_sim;

/* 0, or non-zero with a message naming the bad parameter. */
int     prc_em_sim_check(const prc_em_sim *p);
/* R = (per_class - 1) * stride + len. */
int64_t prc_em_record_length(const prc_em_sim *p);
/* Segments of class c: start[s], count[s] for s < returned number (<= p->nseg), sorted, disjoint,
 * inside [0, R). */
int     prc_em_segments(const prc_em_sim *p, int c, int64_t *start, int64_t *count);
/* Reflection index of t >= 0 into a record of n >= 1 points: period 2n, f(0..n-1) then
 * f(n-1..0) (the record, its mirror image, the record ...: continuous at the joins). */
int64_t prc_em_mirror(int64_t t, int64_t n);
/* Fill NaN runs of v[0..n) by linear interpolation between the finite neighbours (runs at the
 * ends take the nearest finite value). Returns the number of points filled, or -1 with a
 * message if no value is finite. */
int64_t prc_em_fill_gaps(double *v, int64_t n);
/* v <- (v - mean) / sd (population sd). Error (non-zero) if sd is 0 or not finite. */
int     prc_em_standardize(double *v, int64_t n, double *mean, double *sd);
/* Sample j of class c: clean[ch*len + i] (base + segments), noisy[...] (clean + noise; may be
 * NULL), aux[2] (may be NULL). base[ch*nbase + t]: the standardised base records.
 * seg_start/seg_count: the class's segments (prc_em_segments), nseg of them. */
int     prc_em_sample(const prc_em_sim *p, const double *base, int64_t nbase, const int64_t *seg_start,
                      const int64_t *seg_count, int nseg, int c, int j, double *clean, double *noisy, double *aux);
/* Validation split, stratified: of the n samples of class c (ids[0..n): their ids; NULL: 0..n-1),
 * the nval with the smallest key prc_hash4(seed, TAG_SPLIT, c, id) (ties: earlier) are validation
 * samples: is_val[i] = 1, else 0. Returns 0, or non-zero (out of memory). */
int     prc_em_split(uint64_t seed, int c, int64_t n, const int64_t *ids, int64_t nval, unsigned char *is_val);

/* ---- labels for real use (docs/EM.md "Labels from a catalog") ---- */
/* Great-circle distance (km, sphere of radius 6371 km, haversine). */
double  prc_em_distance_km(double lat1, double lon1, double lat2, double lon2);
/* Class of the window ending at t_end at a station (lat, lon): the largest event of the catalog
 * (n events: time, lat, lon, mag) with t_end < time <= t_end + horizon_s and distance <=
 * radius_km; class = number of thresholds mag_thr[0..nthr) (ascending) that its magnitude
 * reaches (0: no such event or below mag_thr[0]). *event = index or -1, *dist_km its distance
 * (NaN if none). */
int     prc_em_label(int64_t n, const double *time, const double *lat, const double *lon, const double *mag, double slat,
                     double slon, double t_end, double horizon_s, double radius_km, int nthr, const double *mag_thr,
                     int64_t *event, double *dist_km);

#endif

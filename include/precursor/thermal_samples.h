/* precursor/thermal_samples.h — epicentre-centred LST samples for short-term thermal
 * forecasting (paper 001, METHODS.md §4; docs/THERMAL.md). Kernel layer: no MPI.
 *
 * A *group* is N−1 consecutive daily images of one W × W crop: an earthquake group holds
 * the N−1 last images before the origin time of an event with M ≥ mmin, centred on the
 * pixel nearest to its epicentre (label 1); a quiet group holds N−1 images at a random
 * centre and time with no M ≥ mmin event inside the crop from guard days before its first
 * image to guard days after the day that follows its last image (label 0). Every image of
 * a group is one sample; a group is never cut by a train/test split.
 *
 * Grid: a regular daily stack, lat[j] = lat0 + j dlat (row 0 south, dlat > 0), lon[i] =
 * lon0 + i dlon, time[s] = time[0] + s days. A crop centred on (row, col) covers rows
 * row − W/2 … row − W/2 + W − 1 (integer division) and the same for columns; pixels
 * outside the grid are no-data. */
#ifndef PRECURSOR_THERMAL_SAMPLES_H
#define PRECURSOR_THERMAL_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  int           nt, ny, nx;
  const double *tim;        /* (nt) UTC seconds, one step per day */
  double        lat0, dlat; /* pixel-centre latitude of row 0 and the row spacing (> 0) */
  double        lon0, dlon; /* pixel-centre longitude of column 0 and the spacing (> 0) */
} prc_ts_grid;

typedef struct {
  int    kind;  /* 1 earthquake, 0 quiet */
  long   event; /* catalog index (earthquake groups), -1 for quiet groups */
  int    row, col;
  int    last;  /* step of the last image; the images are steps last − (N−2) … last */
  double time;  /* time[last]: the key of the time split */
} prc_ts_group;

typedef enum { PRC_TS_ZSCORE = 0, PRC_TS_MINMAX = 1, PRC_TS_NONE = 2 } prc_ts_scaling;

/* Check that the axes are a regular daily stack (spacings equal within 1e-6 relative,
 * time steps 86400 s within 1 s, lat ascending, lon ascending) and fill g. 0 or 1 with
 * prc_seterr naming the axis and index. */
int prc_ts_grid_init(prc_ts_grid *g, const double *tim, int nt, const double *lat, int ny, const double *lon, int nx);

/* Fractional pixel coordinates of a point (row = (lat − lat0)/dlat, col likewise). */
void prc_ts_pixel(const prc_ts_grid *g, double lat, double lon, double *row, double *col);

/* Earthquake groups of window N (≥ 2): events with M ≥ mmin, t_start ≤ time ≤ t_end, whose
 * epicentre lies in a grid pixel, with all N−1 images before the origin in the stack (the
 * last one less than a day before the origin). Events in catalog order. out has room for
 * ne groups; *nout groups written; *n_outside, *n_no_images count the M ≥ mmin events of
 * the span left out for each reason. */
void prc_ts_event_groups(const prc_ts_grid *g, const double *et, const double *elat, const double *elon, const double *emag,
                         size_t ne, double mmin, double t_start, double t_end, int N, prc_ts_group *out, size_t *nout,
                         size_t *n_outside, size_t *n_no_images);

/* 1 if some event with M ≥ mmin lies inside the W × W crop at (row, col) (fractional pixel
 * coordinates within [row − W/2 − ½, row − W/2 + W − ½)) with time in [t0, t1). */
int prc_ts_event_near(const prc_ts_grid *g, const double *et, const double *elat, const double *elon, const double *emag, size_t ne,
                      double mmin, int row, int col, int W, double t0, double t1);

/* nq quiet groups of window N: candidate q, try k draws (place, last) from the counter
 * hash (seed, 0x71C0 + N, q, k): the place is col uniform in [0, nx), row in [0, ny) when
 * ncentres = 0, else one of the ncentres given centres (crow[i], ccol[i]) chosen uniformly
 * (e.g. the earthquake groups' centres: quiet crops then have the spatial distribution of
 * the earthquake crops); last uniform over
 * the steps with time in [t_start, t_end] whose N−1 images are all in that span; accepted
 * when !prc_ts_event_near over [time[first] − guard, time[last] + 1 day + guard). Returns 1
 * (prc_seterr) when a candidate finds no quiet place in max_tries draws or the span holds
 * fewer than N−1 steps. Pure function of its arguments. */
int prc_ts_quiet_groups(const prc_ts_grid *g, const double *et, const double *elat, const double *elon, const double *emag,
                        size_t ne, double mmin, double t_start, double t_end, int N, int W, double guard_days, size_t nq,
                        const int *crow, const int *ccol, size_t ncentres, uint64_t seed, int max_tries, prc_ts_group *out);

/* Splits: set[i] = 0 train, 1 test.
 * Time: groups with time < T train, ≥ T test; T = *t_split if finite on input, else the
 * time of the group at position floor(n (1 − f)) of the groups sorted by time (so about a
 * fraction f is tested); *t_split returns T. Random: per kind (stratified), a Fisher–Yates
 * permutation of that kind's groups (prc_rng (seed, 0x5350 + kind)), its first
 * round(n_kind f) groups tested. Both return 1 (prc_seterr) if a side would be empty. */
int prc_ts_split_time(const prc_ts_group *g, size_t n, double f, double *t_split, int *set);
int prc_ts_split_random(const prc_ts_group *g, size_t n, double f, uint64_t seed, int *set);

/* Clip a crop window to the grid: the crop's first index is c − W/2; on return [*g0, *g0 +
 * *cnt) is the part inside [0, n) and *off its offset in the crop (cnt may be 0). */
void prc_ts_clip(int c, int W, int n, int *g0, int *cnt, int *off);

/* Place a block read from the grid, blk (nimg, cy, cx) of rows/columns inside the grid,
 * into crops (nimg, W, W) at offset (oy, ox); every other crop pixel becomes NaN. */
void prc_ts_place(const float *blk, int nimg, int cy, int cx, int oy, int ox, int W, float *crop);

/* Scale one image of n pixels in place. NaN (no data) pixels are excluded from the
 * statistics and set to 0 afterwards. ZSCORE: (v − mean)/sd, population sd over the valid
 * pixels, sums in double in pixel order; MINMAX: (v − min)/(max − min); NONE: v. Fewer than
 * 2 valid pixels or sd/range 0: every pixel 0. Returns the valid fraction. */
double prc_ts_scale(float *img, size_t n, prc_ts_scaling mode);

#endif

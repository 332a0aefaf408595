/* precursor/forecast_grid.h — the cell x time grid of forecast tables (kind "forecast",
 * docs/DATA_MODEL.md "Forecast") written by the stages that turn a model's output into scores
 * that `evaluate` and `study -study_external` read: rst-forecast (RST anomalies), thermal-score
 * (a trained image model on LST crops), em-score (a trained EM window model at stations).
 *
 * One definition serves all of them: the options (PRC_FCGRID_OPTS with the stage's prefix), the
 * grid (square cells of d degrees from a south-west edge), the units (cell-major rows: row =
 * k·n_times + j for the k-th cell, time = start + j·step) and their score: the largest value
 * defined for the cell at an observation time in [t − lookback, t) — only information from
 * before t, so the score of the window [t, t + horizon) uses nothing from inside it; no defined
 * value in the lookback gives 0. PETSc layer (options, parallel HDF5, PNG). */
#ifndef PRECURSOR_FORECAST_GRID_H
#define PRECURSOR_FORECAST_GRID_H

#include <stdint.h>

#include "precursor/h5io.h"
#include "precursor/options.h"
#include "precursor/stage.h"

/* The grid and unit options of a stage whose options are prefixed P ("rstf", "tsc", ...);
 * LOOK and HOR are the defaults of the lookback and the horizon (days, as text). */
#define PRC_FCGRID_OPTS(P, LOOK, HOR)                                                                                                           \
  {P "_cell_deg", PRC_OPT_REAL, "0.2", 1e-4, 90, "cell size of the forecast grid (degrees, square cells)"},                                    \
    {P "_lat_min", PRC_OPT_STRING, "auto", PRC_NO_RANGE, "southern edge of the grid (degrees) or auto: the input's southernmost point"},      \
    {P "_lon_min", PRC_OPT_STRING, "auto", PRC_NO_RANGE, "western edge of the grid (degrees) or auto: the input's westernmost point"},        \
    {P "_start", PRC_OPT_STRING, "auto", PRC_NO_RANGE,                                                                                       \
     "first unit time (YYYY-MM-DD[THH:MM:SS]) or auto: the first observation day (00 UTC) + the lookback (for a trained model: not before the end of its training information)"}, \
    {P "_step_days", PRC_OPT_REAL, "1", 1e-3, 3650, "time between consecutive units of a cell"},                                              \
    {P "_lookback_days", PRC_OPT_REAL, LOOK, 1e-3, 3650, "the score of a unit at t uses the observations in [t - lookback, t)"},              \
    {P "_horizon_days", PRC_OPT_REAL, HOR, 1e-3, 36500, "forecast window of a unit: [t, t + horizon) (the attribute evaluate uses by default)"}, \
  {                                                                                                                                           \
    P "_png", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "write the map of the largest score per cell"                                               \
  }

typedef struct {
  double d;                /* cell size, degrees */
  double lat_min, lon_min; /* south-west edge, NaN = auto */
  double start;            /* first unit time, NaN = auto */
  double step, L, H;       /* seconds, seconds, days */
  int    png;
} prc_fc_params;

/* Parse an "auto or a number" option value: -1 bad text, 0 auto, 1 a finite number in *v. */
int prc_fc_parse_auto(const char *s, double *v);
/* Cross-field checks of the options of prefix P (a stage's validate). */
void prc_fc_validate(prc_opts *o, const char *P);
/* The options of prefix P (valid). */
void prc_fc_params_get(const prc_opts *o, const char *P, prc_fc_params *p);

typedef struct {
  double  lat0, lon0, d; /* south-west edge, cell size */
  int64_t nlat, nlon;
} prc_fcgrid;

/* The grid holding every point of the box [la0, la1] x [lo0, lo1] (pixel centres, stations):
 * edges from p or the box's south-west corner. 0, or 1 with prc_seterr (edge east/north of a
 * point, more than 1e7 cells). Kernel. */
int prc_fcgrid_make(const prc_fc_params *p, double la0, double la1, double lo0, double lo1, prc_fcgrid *g);
/* Cell of a point (row-major: row · nlon + column), -1 outside the grid. */
int64_t prc_fcgrid_cell(const prc_fcgrid *g, double lat, double lon);
/* Centre of cell c. */
void prc_fcgrid_centre(const prc_fcgrid *g, int64_t c, double *lat, double *lon);

typedef struct {
  int64_t  n, nc, nt; /* units = nc cells x nt times */
  double   t0, step;
  int64_t *cell;
  double  *time, *score, *lat, *lon, *ndef; /* ndef: observation times in the lookback with a defined value */
  int64_t  npos;                            /* units with score > 0 */
  float   *smax;                            /* (nlat·nlon) largest score per cell, NaN for cells without units */
} prc_fc_units;

/* Units of the nc cells `cells` at t0 + j·step ≤ t_end: score = max of val[i·ncell + c] over
 * the observation times tob[i] (increasing) in [t − L, t) where it is not NaN, 0 if none;
 * ncell = nlat·nlon. Allocates the arrays of u (free with prc_fc_units_free). Kernel: 0, or 1
 * with prc_seterr. */
int  prc_fc_units_lookback(const prc_fcgrid *g, const int64_t *cells, int64_t nc, const double *tob, int64_t nob, const double *val, double t0,
                           double t_end, double step, double L, prc_fc_units *u);
void prc_fc_units_free(prc_fc_units *u);

/* Write <out_dir>/forecast.h5: /forecast/{cell, time, score, lat, lon, <defined_name>} and the
 * grid and unit attributes (grid_*, horizon_days, lookback_days, step_days, n_times, row_order,
 * score = score_desc, source). Returns the open file and the /forecast group so the caller adds
 * its own attributes; prc_fc_write_end closes the group, commits the file and, with p->png,
 * writes <out_dir>/<png_name> (rank 0; the error is collective). */
PetscErrorCode prc_fc_write_begin(prc_ctx *ctx, const prc_fcgrid *g, const prc_fc_params *p, const prc_fc_units *u, const char *defined_name,
                                  const char *score_desc, const char *source, prc_h5out *f, hid_t *grp);
PetscErrorCode prc_fc_write_end(prc_ctx *ctx, const prc_fcgrid *g, const prc_fc_params *p, const prc_fc_units *u, prc_h5out *f, hid_t grp,
                                const char *png_name, const char *png_title);
/* Leakage rule of the trained-model score stages: the training sets of a model among the
 * `inputs` lines of model.h5's /provenance ("path crc32=... bytes=N"; files gone or not HDF5 are
 * skipped) — the files of kind "trainset" whose `generator` attribute is `generator` or starts
 * with `generator` + ' '. *info_end = the latest of their `info_end` attributes (-inf if none);
 * a file whose string attribute exempt_attr equals exempt_val (e.g. em_mode = simulate) carries
 * no real-time information and counts as -inf (exempt_attr NULL: none is exempt); any other
 * file without info_end is refused, naming opt_name (the stage's -..._info_end). *nfiles = the
 * training sets found. each (may be NULL) is called on every one with the open file (to read
 * stage-specific attributes). Collective (every rank opens the same files). */
typedef PetscErrorCode (*prc_fc_trainset_fn)(hid_t fid, const char *path, void *arg);
PetscErrorCode prc_fc_training_info(prc_ctx *ctx, const char *model, const char *generator, const char *exempt_attr, const char *exempt_val,
                                    const char *opt_name, prc_fc_trainset_fn each, void *arg, double *info_end, int *nfiles);

/* The log line of a finished forecast table ("[stage] N units (...)"). */
void prc_fc_say(prc_ctx *ctx, const prc_fc_params *p, const prc_fc_units *u, const char *png_name);

#endif

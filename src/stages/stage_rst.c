/* stage_rst.c — `precursor rst`: RST thermal anomalies (RETIRA index) on a regional LST
 * stack (paper 001, eq. 2 and 6; docs/RST.md).
 *
 * Two streamed passes over the stack, each rank on its DMDA tile, blocks of -rst_block_days:
 *  A. every time step of the reference and analysis periods: the regional spatial mean
 *     Tbar(t) over valid pixels (fixed-point integer sums, MPI_Allreduce: the same bits on
 *     any rank count), and for reference steps the per-pixel per-calendar-bin shifted-sum
 *     accumulation of dT = T - Tbar(t);
 *  B. the analysis period: R = (dT - mu_slot) / sigma_slot, anomaly mask R >= k, per-region
 *     summaries and, with a catalog, the anomalous area within D km of each epicentre.
 * Memory per rank: the tile's accumulators (bins x tile x 20 bytes) plus one block. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "precursor/catalog.h"
#include "precursor/checkpoint.h"
#include "precursor/decomp.h"
#include "precursor/eof.h"
#include "precursor/scalapack.h"
#include "precursor/error.h"
#include "precursor/lst_stack.h"
#include "precursor/plot.h"
#include "precursor/progress.h"
#include "precursor/rst.h"
#include "precursor/stage.h"
#include "precursor/timeutil.h"

#define EARTH_KM 6371.0088
#define MAX_REGIONS 16

static const prc_opt_spec rst_opts[] = {
  {"rst_input", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "LST stack (grid file of the data model, e.g. synth's lst.h5)"},
  {"rst_reference", PRC_OPT_STRING, "input", PRC_NO_RANGE,
   "stack of the reference period on the same grid ('input' = the analysis stack itself)"},
  {"rst_var", PRC_OPT_STRING, "lst", PRC_NO_RANGE, "dataset of the stack in the input file"},
  {"rst_ref_start", PRC_OPT_STRING, "start", PRC_NO_RANGE, "first day of the reference period (date, or 'start' of the stack)"},
  {"rst_ref_end", PRC_OPT_STRING, "end", PRC_NO_RANGE, "last day of the reference period (date, or 'end' of the stack)"},
  {"rst_start", PRC_OPT_STRING, "start", PRC_NO_RANGE, "first day of the analysis period (date or 'start')"},
  {"rst_end", PRC_OPT_STRING, "end", PRC_NO_RANGE, "last day of the analysis period (date or 'end')"},
  {"rst_slots", PRC_OPT_STRING, "doy", PRC_NO_RANGE, "calendar slots of the background: 'doy' (day of year +- window) or 'month'"},
  {"rst_window_days", PRC_OPT_INT, "7", 0, 183, "half-width of the day-of-year window of a slot (doy slots)"},
  {"rst_min_samples", PRC_OPT_INT, "10", 2, 1e6, "valid reference samples needed for a defined background"},
  {"rst_threshold", PRC_OPT_REAL, "2", 0.01, 100, "anomaly when R >= this (k)"},
  {"rst_block_days", PRC_OPT_INT, "32", 1, 3660, "time steps per streamed block"},
  {"rst_regions", PRC_OPT_STRING, "none", PRC_NO_RANGE,
   "extra summary regions 'name:lat_min,lat_max,lon_min,lon_max;...' (the whole grid 'all' is always there)"},
  {"rst_catalog", PRC_OPT_STRING, "none", PRC_NO_RANGE, "catalog file (data model) of the events to relate anomalies to"},
  {"rst_event_mmin", PRC_OPT_REAL, "5", -2, 10, "events with M >= this are evaluated"},
  {"rst_event_km", PRC_OPT_REAL, "50", 0.1, 5000, "D: anomalous area is counted within this distance of the epicentre, km"},
  {"rst_event_days", PRC_OPT_REAL, "7", 0, 365, "T: days before the event in which a precursor counts"},
  {"rst_event_after_days", PRC_OPT_REAL, "3", 0, 365, "days after an event still excluded from the quiet (control) days"},
  {"rst_event_area_km2", PRC_OPT_REAL, "30", 0, 1e9, "an event is detected when the anomalous area within D km reaches this"},
  {"rst_eof_modes", PRC_OPT_INT, "0", 0, 100,
   "remove this many leading EOF (time) modes of the anomaly field before the index (0 = none; memory: tile x analysis steps x 8 B)"},
  {"rst_write_background", PRC_OPT_BOOL, "true", PRC_NO_RANGE,
   "write /background (mean, sd, count per slot: 12 B x slots per pixel, 1.15 GB for 512^2 doy slots whatever the stack length)"},
  {"rst_checkpoint_blocks", PRC_OPT_INT, "0", 0, 1e9,
   "checkpoint the reference pass every this many blocks (0: only on SIGUSR1/SIGTERM; each is slots x pixels x 20 B, 1.9 GB for 512^2)"},
  {"rst_resume", PRC_OPT_BOOL, "true", PRC_NO_RANGE,
   "continue from <out_dir>/rst.checkpoint.h5 if there is one (false: start over, removing it)"},
  {"rst_png", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "write PNG maps and curves"},
  {"rst_png_maps", PRC_OPT_INT, "4", 0, 100, "number of R maps (days of strongest precursor before the largest events)"},
};

typedef struct {
  char   name[32];
  double lat0, lat1, lon0, lon1;
} region;

static int parse_regions(const char *s, region *r, int max, char *err, size_t len)
{
  int n = 0;
  if (!strcmp(s, "none")) return 0;
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", s);
  for (char *save = NULL, *tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
    char *colon = strchr(tok, ':');
    if (n >= max || !colon || colon == tok || colon - tok >= 32 ||
        sscanf(colon + 1, "%lf,%lf,%lf,%lf", &r[n].lat0, &r[n].lat1, &r[n].lon0, &r[n].lon1) != 4) {
      snprintf(err, len, "'%s' is not name:lat_min,lat_max,lon_min,lon_max (at most %d regions)", tok, max);
      return -1;
    }
    if (!(r[n].lat0 < r[n].lat1 && r[n].lon0 < r[n].lon1)) {
      snprintf(err, len, "region '%.*s' has min >= max", (int)(colon - tok), tok);
      return -1;
    }
    snprintf(r[n].name, sizeof r[n].name, "%.*s", (int)(colon - tok), tok);
    n++;
  }
  return n;
}

static void rst_validate(prc_opts *o)
{
  const char *dates[] = {"rst_ref_start", "rst_ref_end", "rst_start", "rst_end"};
  double      t;
  region      r[MAX_REGIONS];
  char        err[512];
  for (int i = 0; i < 4; i++) {
    const char *v = prc_opts_string(o, dates[i]);
    if (strcmp(v, "start") && strcmp(v, "end") && prc_time_parse(v, &t)) prc_opts_violation(o, "-%s: %s", dates[i], prc_lasterr());
  }
  const char *sl = prc_opts_string(o, "rst_slots");
  if (strcmp(sl, "doy") && strcmp(sl, "month")) prc_opts_violation(o, "-rst_slots %s: expected 'doy' or 'month'", sl);
  if (parse_regions(prc_opts_string(o, "rst_regions"), r, MAX_REGIONS, err, sizeof err) < 0)
    prc_opts_violation(o, "-rst_regions: %s", err);
}

/* A period option: 'start'/'end' of the stack or a date (end dates include their day). */
static double period_value(const char *v, double first, double last, int is_end)
{
  double t = 0;
  if (!strcmp(v, "start")) return first;
  if (!strcmp(v, "end")) return last;
  prc_time_parse(v, &t);
  return is_end ? t + PRC_DAY - 1e-3 : t;
}

static double haversine_km(double lat1, double lon1, double lat2, double lon2)
{
  double r = M_PI / 180, a = sin((lat2 - lat1) * r / 2), b = sin((lon2 - lon1) * r / 2);
  double h = a * a + cos(lat1 * r) * cos(lat2 * r) * b * b;
  return 2 * EARTH_KM * asin(fmin(1, sqrt(h)));
}

typedef struct { /* per analysis step and region: sums reduced over ranks */
  int64_t nvalid, nanom;
  double  area, sum_r, wlat, wlon, max_r;
} day_stats;

/* PETSc log events of the stage (-log_view: compute vs communication vs I/O); registered
 * once per process, as PETSc expects. */
static PetscLogEvent ev_read, ev_reduce, ev_compute, ev_write;
static PetscErrorCode register_events(void)
{
  static int done = 0;
  PetscFunctionBeginUser;
  if (done) PetscFunctionReturn(0);
  PetscCall(PetscLogEventRegister("RSTRead", 0, &ev_read));
  PetscCall(PetscLogEventRegister("RSTAllreduce", 0, &ev_reduce));
  PetscCall(PetscLogEventRegister("RSTCompute", 0, &ev_compute));
  PetscCall(PetscLogEventRegister("RSTWrite", 0, &ev_write));
  done = 1;
  PetscFunctionReturn(0);
}

typedef prc_lst_stack stack; /* an open LST stack (lst_stack.h) */

/* Read the tile's steps [t0, t0+n) of S and the regional mean of each of them (fixed-point
 * sums reduced over ranks: the same bits on any rank count). qs: 2n int64 scratch. */
static PetscErrorCode read_block(prc_ctx *ctx, const stack *S, const prc_tile *T, hsize_t t0, int n, float *buf, int64_t *qs,
                                 double *tbar)
{
  int64_t np = (int64_t)T->xm * T->ym;
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(ev_read, 0, 0, 0, 0));
  PetscCall(prc_h5_tile_read(S->dset, T, t0, (hsize_t)n, buf));
  PetscCall(PetscLogEventEnd(ev_read, 0, 0, 0, 0));
  PetscCall(PetscLogEventBegin(ev_compute, 0, 0, 0, 0));
  PrcCallK(prc_rst_mean_local(buf, n, np, qs, qs + n));
  PetscCall(PetscLogEventEnd(ev_compute, 0, 0, 0, 0));
  PetscCall(PetscLogEventBegin(ev_reduce, 0, 0, 0, 0));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, qs, 2 * n, MPI_INT64_T, MPI_SUM, ctx->comm));
  PetscCall(PetscLogEventEnd(ev_reduce, 0, 0, 0, 0));
  for (int i = 0; i < n; i++) tbar[i] = qs[n + i] ? (double)qs[i] / PRC_RST_FIXED_SCALE / (double)qs[n + i] : NAN;
  PetscFunctionReturn(0);
}

/* A chunked grid dataset like prc_h5_grid_create's (chunks (min(nt, tchunk), <= 32, <= 32),
 * fill value `fill` recorded, attributes units and dims), but never pre-filled: with early
 * allocation HDF5 would first write the fill value into every chunk (as many bytes again
 * as the product). Only for datasets the stage writes completely (every tile, every step);
 * the file is under its temporary name until prc_h5_commit. Collective. */
static PetscErrorCode create_unfilled(hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *fill, hsize_t nt,
                                      hsize_t ny, hsize_t nx, hsize_t tchunk, const char *units, hid_t *dset)
{
  hsize_t dims[3] = {nt, ny, nx}, chunk[3] = {PetscMax(1, PetscMin(nt, tchunk)), PetscMin(ny, 32), PetscMin(nx, 32)};
  char    fn[1024];
  PetscFunctionBeginUser;
  hid_t space = H5Screate_simple(3, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 3, chunk);
  H5Pset_fill_value(dcpl, mtype, fill);
  H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY);
  H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
  *dset = H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Pclose(dcpl), H5Sclose(space);
  PetscCheck(*dset >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot create /%s (%llu x %llu x %llu) in '%s'", name,
             (unsigned long long)nt, (unsigned long long)ny, (unsigned long long)nx, prc_h5_filename(loc, fn, sizeof fn));
  PetscCall(prc_h5_attr_str(*dset, "units", units));
  PetscCall(prc_h5_attr_str(*dset, "dims", "time,y,x"));
  PetscFunctionReturn(0);
}

/* ---- checkpoints (docs/RST.md "Checkpoint and resume") ----
 * <out_dir>/rst.checkpoint.h5, written atomically (prc_h5_create .. prc_h5_commit), in the
 * global grid layout (every rank its tile), so a run may resume on another rank count:
 *   phase 0 (during the reference pass): the sums /n, /s1, /s2 (nbins, ny, nx), /shift
 *     (ny, nx) after the reference steps before next_step;
 *   phase 1 (during the RETIRA pass): the background /mean, /sd, /count (nbins, ny, nx);
 *     the RETIRA pass starts again from its beginning.
 * Both hold /spatial_mean_reference of the steps done. Options that do not change the
 * result (block length, checkpoint interval, pictures) may differ on resume. */
#define RST_CKPT_FORMAT 1
static const char *const rst_fp_skip[] = {"rst_block_days", "rst_checkpoint_blocks", "rst_resume", "rst_write_background", NULL};

typedef struct {
  hsize_t nbins, ny, nx, r_first, r_last;
} ckpt_shape;

/* ctx->inputs (rank 0's list of input files with their crc32) on every rank */
static PetscErrorCode inputs_all(prc_ctx *ctx, char *buf, size_t len)
{
  PetscFunctionBeginUser;
  if (!ctx->rank) snprintf(buf, len, "%s", ctx->inputs ? ctx->inputs : "");
  PetscCallMPI(MPI_Bcast(buf, (int)len, MPI_CHAR, 0, ctx->comm));
  PetscFunctionReturn(0);
}

static PetscErrorCode ckpt_write(prc_ctx *ctx, const char *ck, unsigned long fp, int phase, const prc_rst_acc *a, const float *mu,
                                 const float *sd, const int32_t *cnt, const prc_tile *T, const ckpt_shape *S, hsize_t next,
                                 const double *tbar_ref)
{
  prc_h5out c;
  static char inp[16384];
  hsize_t     d3[3] = {S->nbins, S->ny, S->nx}, s3[3] = {0, (hsize_t)T->ys, (hsize_t)T->xs}, c3[3] = {S->nbins, (hsize_t)T->ym, (hsize_t)T->xm};
  double      w0 = MPI_Wtime();
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(ev_write, 0, 0, 0, 0));
  PetscCall(inputs_all(ctx, inp, sizeof inp));
  PetscCall(prc_h5_create(ctx->comm, ck, "checkpoint", &c));
  PetscCall(prc_h5_attr_str(c.fid, "magic", PRC_CHECKPOINT_MAGIC));
  PetscCall(prc_h5_attr_double(c.fid, "format_version", PRC_CHECKPOINT_VERSION));
  PetscCall(prc_h5_attr_str(c.fid, "stage", "rst"));
  PetscCall(prc_h5_attr_int(c.fid, "rst_format", RST_CKPT_FORMAT));
  PetscCall(prc_h5_attr_double(c.fid, "options_crc32", (double)fp));
  PetscCall(prc_h5_attr_str(c.fid, "inputs", inp));
  PetscCall(prc_h5_attr_int(c.fid, "phase", phase));
  PetscCall(prc_h5_attr_int(c.fid, "next_step", (long long)next));
  PetscCall(prc_h5_attr_doubles(c.fid, "shape", 5, (double[]){(double)S->nbins, (double)S->ny, (double)S->nx, (double)S->r_first, (double)S->r_last}));
  if (phase == 0) {
    hsize_t d2[2] = {S->ny, S->nx}, s2[2] = {(hsize_t)T->ys, (hsize_t)T->xs}, c2[2] = {(hsize_t)T->ym, (hsize_t)T->xm};
    PetscCall(prc_h5_write_nd(c.fid, "n", H5T_STD_I32LE, H5T_NATIVE_INT32, 3, d3, s3, c3, a->n));
    PetscCall(prc_h5_write_nd(c.fid, "s1", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3, d3, s3, c3, a->s1));
    PetscCall(prc_h5_write_nd(c.fid, "s2", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3, d3, s3, c3, a->s2));
    PetscCall(prc_h5_write_nd(c.fid, "shift", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, d2, s2, c2, a->shift));
  } else {
    PetscCall(prc_h5_write_nd(c.fid, "mean", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 3, d3, s3, c3, mu));
    PetscCall(prc_h5_write_nd(c.fid, "sd", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 3, d3, s3, c3, sd));
    PetscCall(prc_h5_write_nd(c.fid, "count", H5T_STD_I32LE, H5T_NATIVE_INT32, 3, d3, s3, c3, cnt));
  }
  PetscCall(prc_h5_write_col(ctx->comm, c.fid, "spatial_mean_reference", H5T_NATIVE_DOUBLE, next - S->r_first, tbar_ref));
  PetscCall(prc_h5_commit(&c, ctx));
  PetscCall(PetscLogEventEnd(ev_write, 0, 0, 0, 0));
  prc_say(ctx->comm, "[rst] checkpoint written (%s, reference step %llu of %llu, %.1f s): %s\n", phase ? "background" : "reference sums",
          (unsigned long long)(next - S->r_first), (unsigned long long)(S->r_last - S->r_first + 1), MPI_Wtime() - w0, ck);
  PetscFunctionReturn(0);
}

/* Load a checkpoint if there is one (and -rst_resume): phase 0 fills the sums, phase 1 the
 * background (mean in acc->s1, sd in acc->s2, count in acc->n, as prc_rst_background_inplace
 * leaves them); *next = the first reference step still to fold; *phase = -1 if none. */
static PetscErrorCode ckpt_read(prc_ctx *ctx, const char *ck, unsigned long fp, prc_rst_acc *a, const prc_tile *T, const ckpt_shape *S,
                                double *tbar_ref, hsize_t *next, int *phase)
{
  int         have = 0;
  hid_t       cf;
  char        magic[64] = "", stage[32] = "";
  static char inp[16384], inp_ck[16384];
  double      v = 0, rf = 0, ofp = 0, ph = 0, nx_ = 0, sh[5];
  PetscFunctionBeginUser;
  *phase = -1;
  if (!ctx->rank) have = access(ck, F_OK) == 0;
  PetscCallMPI(MPI_Bcast(&have, 1, MPI_INT, 0, ctx->comm));
  if (!have) PetscFunctionReturn(0);
  if (!prc_opts_bool(ctx->opts, "rst_resume")) {
    if (!ctx->rank) unlink(ck);
    prc_say(ctx->comm, "[rst] -rst_resume false: removed the checkpoint %s\n", ck);
    PetscFunctionReturn(0);
  }
  PetscCall(prc_h5_open(ctx->comm, ck, &cf));
  PetscCall(prc_h5_attr_get_str(cf, "magic", magic, sizeof magic, NULL));
  PetscCall(prc_h5_attr_get_str(cf, "stage", stage, sizeof stage, NULL));
  PetscCall(prc_h5_attr_get_double(cf, "format_version", &v, NULL));
  PetscCall(prc_h5_attr_get_double(cf, "rst_format", &rf, NULL));
  PetscCheck(!strcmp(magic, PRC_CHECKPOINT_MAGIC) && !strcmp(stage, "rst") && v == PRC_CHECKPOINT_VERSION && rf == RST_CKPT_FORMAT, ctx->comm,
             PETSC_ERR_FILE_UNEXPECTED, "'%s' is not an rst checkpoint of format %d.%d; remove it or use -rst_resume false", ck,
             PRC_CHECKPOINT_VERSION, RST_CKPT_FORMAT);
  PetscCall(prc_h5_attr_get_double(cf, "options_crc32", &ofp, NULL));
  PetscCheck((unsigned long)ofp == fp, ctx->comm, PETSC_ERR_ARG_WRONG,
             "the checkpoint '%s' belongs to a run with other options; use -rst_resume false to start over, or another -out_dir", ck);
  PetscCall(prc_h5_attr_get_str(cf, "inputs", inp_ck, sizeof inp_ck, NULL));
  PetscCall(inputs_all(ctx, inp, sizeof inp));
  PetscCheck(!strcmp(inp, inp_ck), ctx->comm, PETSC_ERR_ARG_WRONG,
             "the checkpoint '%s' was made from other input files (or they changed since): checkpoint\n%s\nnow\n%s\nuse -rst_resume false to start over", ck,
             inp_ck, inp);
  PetscCall(prc_h5_attr_get_double(cf, "phase", &ph, NULL));
  PetscCall(prc_h5_attr_get_double(cf, "next_step", &nx_, NULL));
  {
    hid_t at = H5Aopen(cf, "shape", H5P_DEFAULT);
    herr_t e = at >= 0 ? H5Aread(at, H5T_NATIVE_DOUBLE, sh) : -1;
    if (at >= 0) H5Aclose(at);
    PetscCheck(e >= 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': no attribute 'shape'", ck);
  }
  PetscCheck(sh[0] == S->nbins && sh[1] == S->ny && sh[2] == S->nx && sh[3] == S->r_first && sh[4] == S->r_last, ctx->comm,
             PETSC_ERR_FILE_UNEXPECTED, "the checkpoint '%s' is for %g slots x %g x %g px and reference steps %g..%g, this run has %llu x %llu x %llu and %llu..%llu",
             ck, sh[0], sh[1], sh[2], sh[3], sh[4], (unsigned long long)S->nbins, (unsigned long long)S->ny, (unsigned long long)S->nx,
             (unsigned long long)S->r_first, (unsigned long long)S->r_last);
  PetscCheck((ph == 0 || ph == 1) && nx_ > S->r_first && nx_ <= S->r_last + 1 && (ph == 0 || nx_ == S->r_last + 1), ctx->comm,
             PETSC_ERR_FILE_UNEXPECTED, "'%s': phase %g, next_step %g outside the reference period", ck, ph, nx_);
  hsize_t s3[3] = {0, (hsize_t)T->ys, (hsize_t)T->xs}, c3[3] = {S->nbins, (hsize_t)T->ym, (hsize_t)T->xm}, z = 0, nd = (hsize_t)nx_ - S->r_first;
  if (ph == 0) {
    hsize_t s2[2] = {(hsize_t)T->ys, (hsize_t)T->xs}, c2[2] = {(hsize_t)T->ym, (hsize_t)T->xm};
    PetscCall(prc_h5_read_nd(cf, "n", H5T_NATIVE_INT32, s3, c3, a->n));
    PetscCall(prc_h5_read_nd(cf, "s1", H5T_NATIVE_DOUBLE, s3, c3, a->s1));
    PetscCall(prc_h5_read_nd(cf, "s2", H5T_NATIVE_DOUBLE, s3, c3, a->s2));
    PetscCall(prc_h5_read_nd(cf, "shift", H5T_NATIVE_DOUBLE, s2, c2, a->shift));
  } else {
    PetscCall(prc_h5_read_nd(cf, "mean", H5T_NATIVE_FLOAT, s3, c3, a->s1));
    PetscCall(prc_h5_read_nd(cf, "sd", H5T_NATIVE_FLOAT, s3, c3, a->s2));
    PetscCall(prc_h5_read_nd(cf, "count", H5T_NATIVE_INT32, s3, c3, a->n));
  }
  PetscCall(prc_h5_read_nd(cf, "spatial_mean_reference", H5T_NATIVE_DOUBLE, &z, &nd, tbar_ref));
  PetscCall(prc_h5_close(cf));
  *next = (hsize_t)nx_, *phase = (int)ph;
  prc_say(ctx->comm, "[rst] resuming from the checkpoint %s (%s, reference step %llu of %llu)\n", ck, ph ? "background" : "reference sums",
          (unsigned long long)nd, (unsigned long long)(S->r_last - S->r_first + 1));
  PetscFunctionReturn(0);
}

static double elem_of(int i, int j, void *c)
{
  const double *C = ((const double **)c)[0];
  int           n = (int)(intptr_t)((void **)c)[1];
  return C[(size_t)j * (size_t)n + (size_t)i];
}

/* EOF pass (docs/RST.md): anomaly A = dT - mu over the analysis period held for the tile,
 * Gram matrix A^T A summed over ranks, its eigenvectors by ScaLAPACK (pdsyevd on a BLACS
 * grid of all ranks), the m leading time modes V (na x m) on every rank and the tile's
 * coefficients coef = A V (np x m). Writes /eof. Collective. */
static PetscErrorCode eof_modes(prc_ctx *ctx, const stack *S, const prc_tile *T, hsize_t a_first, hsize_t na, PetscInt B,
                                int monthly, const float *mu, int m, hid_t fid, double **coef, double **Vout)
{
  const int64_t np = (int64_t)T->xm * T->ym;
  double       *A, *C, *w, *V, *Zg = NULL, tb[4096];
  float        *buf;
  int64_t      *qs;
  int           slot[4096];
  PetscFunctionBeginUser;
  PetscCheck(m < (int)na, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "-rst_eof_modes %d needs more analysis steps than modes (%d)", m, (int)na);
  PetscCheck(B <= 4096, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "-rst_block_days must be <= 4096 with EOF filtering");
  PetscCall(PetscMalloc5(na * (size_t)np + 1, &A, na * na, &C, na, &w, (size_t)B * np + 1, &buf, 2 * (size_t)B, &qs));
  for (hsize_t t0 = a_first; t0 < a_first + na; t0 += (hsize_t)B) {
    int n = (int)PetscMin((hsize_t)B, a_first + na - t0);
    PetscCall(read_block(ctx, S, T, t0, n, buf, qs, tb));
    for (int i = 0; i < n; i++) slot[i] = prc_rst_bin(S->tim[t0 + i], monthly);
    prc_eof_anomaly(buf, n, np, tb, slot, mu, A + (size_t)(t0 - a_first) * (size_t)np);
  }
  prc_eof_gram(A, np, (int)na, C);
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, C, (int)(na * na), MPI_DOUBLE, MPI_SUM, ctx->comm));
  /* eigen-decomposition of the (symmetric) Gram matrix with ScaLAPACK */
  prc_sl_grid *g;
  prc_sl_mat  *Cd, *Z;
  void        *ectx[2] = {C, (void *)(intptr_t)na};
  PetscCall(prc_sl_grid_create(ctx->comm, &g));
  PetscCall(prc_sl_mat_create(g, (int)na, (int)na, 32, 32, &Cd));
  PetscCall(prc_sl_mat_create(g, (int)na, (int)na, 32, 32, &Z));
  PetscCall(prc_sl_mat_fill(Cd, elem_of, ectx));
  PetscCall(prc_sl_syevd(Cd, w, Z));
  if (!ctx->rank) PetscCall(PetscMalloc1(na * na, &Zg));
  PetscCall(prc_sl_mat_gather(Z, Zg));
  PetscCall(PetscMalloc1((size_t)m * na, &V));
  if (!ctx->rank) /* eigenvalues ascend: the leading modes are the last columns */
    for (int k = 0; k < m; k++) memcpy(V + (size_t)k * na, Zg + (size_t)(na - 1 - k) * na, na * sizeof(double));
  PetscCallMPI(MPI_Bcast(V, (int)(m * na), MPI_DOUBLE, 0, ctx->comm));
  PetscCall(PetscFree(Zg));
  PetscCall(prc_sl_mat_destroy(&Cd));
  PetscCall(prc_sl_mat_destroy(&Z));
  PetscCall(prc_sl_grid_destroy(&g));
  PetscCall(PetscMalloc1((size_t)m * np + 1, coef));
  prc_eof_project(A, np, (int)na, V, m, *coef);
  /* products: eigenvalues (descending), modes, explained variance */
  double tot = 0, lead = 0, *wd;
  PetscCall(PetscMalloc1(na, &wd));
  for (hsize_t i = 0; i < na; i++) wd[i] = w[na - 1 - i], tot += fmax(w[i], 0);
  for (int k = 0; k < m; k++) lead += fmax(wd[k], 0);
  hid_t ge;
  PetscCall(prc_h5_group(fid, "eof", &ge));
  PetscCall(prc_h5_write_col(ctx->comm, ge, "eigenvalues", H5T_NATIVE_DOUBLE, na, wd));
  {
    hsize_t d2[2] = {(hsize_t)m, na}, s2[2] = {0, 0}, c2[2] = {ctx->rank ? 0 : (hsize_t)m, na};
    PetscCall(prc_h5_write_nd(ge, "modes", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, d2, s2, c2, V));
  }
  PetscCall(prc_h5_attr_int(ge, "modes_removed", m));
  PetscCall(prc_h5_attr_double(ge, "explained_fraction", tot > 0 ? lead / tot : 0));
  PetscCall(prc_h5_attr_str(ge, "description", "eigen-decomposition (ScaLAPACK pdsyevd) of the time x time Gram matrix of the "
                                               "anomaly dT - mu (missing = 0); /modes are the removed leading time modes"));
  H5Gclose(ge);
  prc_say(ctx->comm, "[rst] EOF: removed %d leading mode%s explaining %.1f %% of the anomaly variance\n", m, m > 1 ? "s" : "",
          tot > 0 ? 100 * lead / tot : 0.0);
  PetscCall(PetscFree(wd));
  PetscCall(PetscFree5(A, C, w, buf, qs));
  *Vout = V;
  PetscFunctionReturn(0);
}

static PetscErrorCode rst_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  const char     *in = prc_opts_string(o, "rst_input"), *var = prc_opts_string(o, "rst_var"), *out = prc_opts_string(o, "out_dir");
  const int       monthly = !strcmp(prc_opts_string(o, "rst_slots"), "month");
  const int       nbins = monthly ? 12 : 366, window = monthly ? 0 : (int)prc_opts_int(o, "rst_window_days");
  const double    k = prc_opts_real(o, "rst_threshold");
  const PetscInt  B = prc_opts_int(o, "rst_block_days");
  region          reg[MAX_REGIONS + 1];
  char            err[512], path[4096];
  PetscFunctionBeginUser;

  PetscCall(register_events());
  /* ---- inputs: the analysis stack and the reference stack (the same file by default) ---- */
  stack       IN, REFS, *RS = &IN;
  const char *refp = prc_opts_string(o, "rst_reference");
  PetscCall(prc_lst_stack_open(ctx, in, var, &IN));
  if (strcmp(refp, "input")) {
    PetscCall(prc_lst_stack_open(ctx, refp, var, &REFS));
    RS = &REFS;
    PetscCheck(REFS.ny == IN.ny && REFS.nx == IN.nx, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
               "reference '%s' is %llu x %llu (y x x) but the input '%s' is %llu x %llu", refp, (unsigned long long)REFS.ny,
               (unsigned long long)REFS.nx, in, (unsigned long long)IN.ny, (unsigned long long)IN.nx);
    for (hsize_t j = 0; j < (hsize_t)IN.ny; j++)
      PetscCheck(fabs(REFS.lat[j] - IN.lat[j]) <= 1e-6, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
                 "reference '%s' /lat[%llu] = %.8g differs from the input's %.8g: not the same grid", refp, (unsigned long long)j,
                 REFS.lat[j], IN.lat[j]);
    for (hsize_t i = 0; i < (hsize_t)IN.nx; i++)
      PetscCheck(fabs(REFS.lon[i] - IN.lon[i]) <= 1e-6, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
                 "reference '%s' /lon[%llu] = %.8g differs from the input's %.8g: not the same grid", refp, (unsigned long long)i,
                 REFS.lon[i], IN.lon[i]);
  }
  const hsize_t nt = IN.nt, ny = IN.ny, nx = IN.nx;
  const double *tim = IN.tim, *lat = IN.lat, *lon = IN.lon;

  /* ---- periods: reference steps of the reference stack, analysis steps of the input ---- */
  double  ref0 = period_value(prc_opts_string(o, "rst_ref_start"), RS->tim[0], RS->tim[RS->nt - 1], 0);
  double  ref1 = period_value(prc_opts_string(o, "rst_ref_end"), RS->tim[0], RS->tim[RS->nt - 1], 1);
  double  an0 = period_value(prc_opts_string(o, "rst_start"), tim[0], tim[nt - 1], 0);
  double  an1 = period_value(prc_opts_string(o, "rst_end"), tim[0], tim[nt - 1], 1);
  hsize_t r_first = RS->nt, r_last = 0, nref = 0, a_first = nt, a_last = 0;
  for (hsize_t t = 0; t < (hsize_t)RS->nt; t++)
    if (RS->tim[t] >= ref0 && RS->tim[t] <= ref1) r_first = PetscMin(r_first, t), r_last = t, nref++;
  for (hsize_t t = 0; t < nt; t++)
    if (tim[t] >= an0 && tim[t] <= an1) a_first = PetscMin(a_first, t), a_last = t;
  PetscCheck(nref > 0, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "the reference period (-rst_ref_start/-rst_ref_end) holds no time step of '%s'",
             RS->path);
  PetscCheck(a_first < nt, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "the analysis period (-rst_start/-rst_end) holds no time step of '%s'", in);
  const hsize_t na = a_last - a_first + 1;

  /* ---- regions and events ---- */
  int nreg = 1;
  snprintf(reg[0].name, sizeof reg[0].name, "all");
  reg[0].lat0 = -91, reg[0].lat1 = 91, reg[0].lon0 = -1e9, reg[0].lon1 = 1e9;
  nreg += parse_regions(prc_opts_string(o, "rst_regions"), reg + 1, MAX_REGIONS, err, sizeof err);
  prc_catalog cat = {0};
  int         nev = 0, *ev = NULL;
  const char *catp = prc_opts_string(o, "rst_catalog");
  double      D = prc_opts_real(o, "rst_event_km"), Tb = prc_opts_real(o, "rst_event_days") * PRC_DAY;
  double      Ta = prc_opts_real(o, "rst_event_after_days") * PRC_DAY, Amin = prc_opts_real(o, "rst_event_area_km2");
  if (strcmp(catp, "none")) {
    double la0 = fmin(lat[0], lat[ny - 1]), la1 = fmax(lat[0], lat[ny - 1]), lo0 = fmin(lon[0], lon[nx - 1]), lo1 = fmax(lon[0], lon[nx - 1]);
    PetscCall(prc_ctx_add_input(ctx, catp));
    PetscCall(prc_catalog_read(ctx->comm, catp, &cat));
    PetscCall(PetscMalloc1(cat.n + 1, &ev));
    for (size_t e = 0; e < cat.n; e++)
      if (cat.mag[e] >= prc_opts_real(o, "rst_event_mmin") && cat.lat[e] >= la0 && cat.lat[e] <= la1 && cat.lon[e] >= lo0 &&
          cat.lon[e] <= lo1 && cat.time[e] >= tim[a_first] && cat.time[e] <= tim[a_last] + PRC_DAY)
        ev[nev++] = (int)e;
  }

  /* ---- decomposition, pixel geometry ---- */
  prc_grid_decomp g;
  PetscCall(prc_grid_decomp_create(ctx->comm, (PetscInt)nx, (PetscInt)ny, &g));
  const prc_tile *T = &g.tile;
  const int64_t   np = (int64_t)T->xm * T->ym;
  double          dlat = ny > 1 ? fabs(lat[1] - lat[0]) : 0.01, dlon = nx > 1 ? fabs(lon[1] - lon[0]) : 0.01;
  double         *parea;
  PetscCall(PetscMalloc1(np + 1, &parea));
  for (PetscInt j = 0; j < T->ym; j++)
    for (PetscInt i = 0; i < T->xm; i++)
      parea[j * T->xm + i] = EARTH_KM * EARTH_KM * (dlat * M_PI / 180) * (dlon * M_PI / 180) * cos(lat[T->ys + j] * M_PI / 180);

  /* ---- pass A: reference steps -> spatial mean and background ---- */
  prc_rst_acc acc;
  float      *buf, *rbuf;
  double     *tbar, *tbar_ref;
  int64_t    *qs;
  int        *rbin;
  PrcCallK(prc_rst_acc_init(&acc, nbins, np));
  PetscCall(PetscMalloc3((size_t)B * np + 1, &buf, (size_t)B * np + 1, &rbuf, na, &tbar));
  PetscCall(PetscMalloc3(2 * (size_t)B, &qs, nref, &tbar_ref, B, &rbin));
  /* a checkpoint of an interrupted run: continue it */
  char                ck[4200];
  const unsigned long fp = prc_opts_fingerprint_skip(o, rst_fp_skip);
  const ckpt_shape    CS = {(hsize_t)nbins, ny, nx, r_first, r_last};
  const PetscInt      ck_every = prc_opts_int(o, "rst_checkpoint_blocks"), stop_after = prc_opts_int(o, "checkpoint_after_blocks");
  PetscInt            blocks = 0;
  hsize_t             t_start = r_first;
  int                 phase = -1;
  PetscBool           stop = PETSC_FALSE;
  prc_checkpoint_path(ctx, ck, sizeof ck);
  PetscCall(ckpt_read(ctx, ck, fp, &acc, T, &CS, tbar_ref, &t_start, &phase));
  if (phase < 0) t_start = r_first;
  prc_progress prog;
  prc_progress_start(&prog, ctx->comm, "rst", "background", "pixel-steps", (double)np * (double)(r_last + 1 - t_start),
                     prc_opts_real(o, "progress_interval"), prc_opts_bool(o, "quiet"));
  for (hsize_t t0 = t_start; phase <= 0 && t0 <= r_last; t0 += (hsize_t)B) {
    int n = (int)PetscMin((hsize_t)B, r_last + 1 - t0);
    PetscCall(read_block(ctx, RS, T, t0, n, buf, qs, tbar_ref + (t0 - r_first)));
    for (int i = 0; i < n; i++) rbin[i] = prc_rst_bin(RS->tim[t0 + i], monthly);
    PetscCall(PetscLogEventBegin(ev_compute, 0, 0, 0, 0));
    prc_rst_acc_add(&acc, buf, n, tbar_ref + (t0 - r_first), rbin);
    PetscCall(PetscLogEventEnd(ev_compute, 0, 0, 0, 0));
    prc_progress_update(&prog, (double)np * (double)(t0 + n - t_start));
    if (stop_after && ++blocks == stop_after) prc_request_stop();
    PetscCall(prc_stop_requested(ctx->comm, &stop));
    if (stop || (ck_every && blocks % ck_every == 0 && t0 + n <= r_last))
      PetscCall(ckpt_write(ctx, ck, fp, 0, &acc, NULL, NULL, NULL, T, &CS, t0 + n, tbar_ref));
    if (stop) break;
  }
  prc_progress_end(&prog);
  float   *mu, *sd;
  int32_t *cnt;
  if (!stop && phase == 1) { /* the checkpoint held the background: ckpt_read put it where the in-place kernel leaves it */
    mu = (float *)(void *)acc.s1, sd = (float *)(void *)acc.s2, cnt = acc.n;
  } else if (!stop) {
    /* the background overwrites the sums (no fresh 12 B per slot and pixel: first touch of
     * memory is expensive); mu, sd, cnt live in acc until the end */
    PetscCall(PetscLogEventBegin(ev_compute, 0, 0, 0, 0));
    PrcCallK(prc_rst_background_inplace(&acc, window, !monthly, (int)prc_opts_int(o, "rst_min_samples"), &mu, &sd, &cnt));
    PetscCall(PetscLogEventEnd(ev_compute, 0, 0, 0, 0));
  }
  if (stop) { /* checkpoint written: release and stop (exit 99, src/main.c) */
    prc_rst_acc_free(&acc);
    PetscCall(PetscFree3(buf, rbuf, tbar));
    PetscCall(PetscFree3(qs, tbar_ref, rbin));
    PetscCall(PetscFree(parea));
    PetscCall(PetscFree(ev));
    PetscCall(prc_catalog_free(&cat));
    if (RS != &IN) PetscCall(prc_lst_stack_close(&REFS));
    PetscCall(prc_lst_stack_close(&IN));
    PetscCall(prc_grid_decomp_destroy(&g));
    PetscFunctionReturn(PRC_ERR_CHECKPOINTED);
  }

  /* ---- output file: axes, background ---- */
  prc_h5out f;
  hid_t     dr, dm, gb;
  snprintf(path, sizeof path, "%s/rst.h5", out);
  PetscCall(prc_h5_create(ctx->comm, path, "rst", &f));
  PetscCall(prc_h5_write_col(ctx->comm, f.fid, "time", H5T_NATIVE_DOUBLE, na, tim + a_first));
  PetscCall(prc_h5_write_col(ctx->comm, f.fid, "lat", H5T_NATIVE_DOUBLE, ny, lat));
  PetscCall(prc_h5_write_col(ctx->comm, f.fid, "lon", H5T_NATIVE_DOUBLE, nx, lon));
  PetscCall(prc_h5_write_col(ctx->comm, f.fid, "spatial_mean_reference", H5T_NATIVE_DOUBLE, nref, tbar_ref));
  PetscCall(prc_h5_write_col(ctx->comm, f.fid, "time_reference", H5T_NATIVE_DOUBLE, nref, RS->tim + r_first));
  PetscCall(prc_h5_attr_str(f.fid, "reference_file", RS->path));
  PetscCall(prc_h5_attr_double(f.fid, "threshold", k));
  PetscCall(prc_h5_attr_str(f.fid, "slots", monthly ? "month" : "doy"));
  PetscCall(prc_h5_attr_int(f.fid, "window_days", window));
  PetscCall(prc_h5_attr_int(f.fid, "min_samples", prc_opts_int(o, "rst_min_samples")));
  PetscCall(prc_h5_attr_double(f.fid, "reference_start", ref0));
  PetscCall(prc_h5_attr_double(f.fid, "reference_end", ref1));
  PetscCall(prc_h5_attr_int(f.fid, "reference_steps", (long long)nref));
  const float   fnan = NAN;
  PetscCall(PetscLogEventBegin(ev_write, 0, 0, 0, 0));
  if (prc_opts_bool(o, "rst_write_background")) {
    PetscCall(prc_h5_group(f.fid, "background", &gb));
    PetscCall(prc_h5_attr_str(gb, "description", "per pixel and calendar slot: mean and population sd of dT = T - Tbar(t) "
                                                 "over valid reference samples; NaN where count < min_samples"));
    PetscCall(create_unfilled(gb, "mean", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, &fnan, (hsize_t)nbins, ny, nx, (hsize_t)nbins, "K", &dr));
    PetscCall(prc_h5_tile_write(dr, T, 0, (hsize_t)nbins, mu));
    H5Dclose(dr);
    PetscCall(create_unfilled(gb, "sd", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, &fnan, (hsize_t)nbins, ny, nx, (hsize_t)nbins, "K", &dr));
    PetscCall(prc_h5_tile_write(dr, T, 0, (hsize_t)nbins, sd));
    H5Dclose(dr);
    {
      hsize_t d3[3] = {(hsize_t)nbins, ny, nx}, s3[3] = {0, (hsize_t)T->ys, (hsize_t)T->xs}, c3[3] = {(hsize_t)nbins, (hsize_t)T->ym, (hsize_t)T->xm};
      PetscCall(prc_h5_write_nd(gb, "count", H5T_STD_I32LE, H5T_NATIVE_INT32, 3, d3, s3, c3, cnt));
    }
    H5Gclose(gb);
  }
  PetscCall(PetscLogEventEnd(ev_write, 0, 0, 0, 0));
  PetscCall(create_unfilled(f.fid, "retira", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, &fnan, na, ny, nx, 366, "1", &dr));
  PetscCall(prc_h5_attr_str(dr, "long_name", "RETIRA index R = (dT - mu) / sigma; NaN = no data or undefined background"));
  {
    hsize_t d3[3] = {na, ny, nx}, c3[3] = {PetscMin(na, 366), PetscMin(ny, 32), PetscMin(nx, 32)};
    hid_t   sp = H5Screate_simple(3, d3, NULL), pl = H5Pcreate(H5P_DATASET_CREATE);
    signed char fill = -1;
    H5Pset_chunk(pl, 3, c3);
    H5Pset_fill_value(pl, H5T_NATIVE_SCHAR, &fill);
    H5Pset_alloc_time(pl, H5D_ALLOC_TIME_EARLY);
    H5Pset_fill_time(pl, H5D_FILL_TIME_NEVER); /* written completely below (see create_unfilled) */
    dm = H5Dcreate2(f.fid, "anomaly", H5T_STD_I8LE, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    H5Pclose(pl), H5Sclose(sp);
    PetscCheck(dm >= 0, ctx->comm, PETSC_ERR_FILE_WRITE, "cannot create /anomaly in '%s'", path);
    PetscCall(prc_h5_attr_str(dm, "long_name", "1: R >= threshold, 0: R < threshold, -1: undefined"));
  }

  /* ---- optional pass E: leading EOF modes of the anomaly field over the analysis period ---- */
  const int m_eof = (int)prc_opts_int(o, "rst_eof_modes");
  double   *coef = NULL, *V = NULL;
  if (m_eof > 0) PetscCall(eof_modes(ctx, &IN, T, a_first, na, B, monthly, mu, m_eof, f.fid, &coef, &V));

  /* ---- pass B: RETIRA, masks, summaries ---- */
  day_stats *ds;
  double    *evarea;
  int       *slot;
  signed char *mk;
  PetscCall(PetscCalloc2((size_t)nreg * na, &ds, (size_t)(nev ? nev : 1) * na, &evarea));
  PetscCall(PetscMalloc2(B, &slot, (size_t)B * np + 1, &mk));
  for (size_t i = 0; i < (size_t)nreg * na; i++) ds[i].max_r = -INFINITY;
  prc_progress_start(&prog, ctx->comm, "rst", "RETIRA", "pixel-steps", (double)np * (double)na, prc_opts_real(o, "progress_interval"),
                     prc_opts_bool(o, "quiet"));
  for (hsize_t t0 = a_first; t0 <= a_last; t0 += (hsize_t)B) {
    int n = (int)PetscMin((hsize_t)B, a_last + 1 - t0);
    PetscCall(read_block(ctx, &IN, T, t0, n, buf, qs, tbar + (t0 - a_first)));
    for (int i = 0; i < n; i++) slot[i] = prc_rst_bin(tim[t0 + i], monthly);
    PetscCall(PetscLogEventBegin(ev_compute, 0, 0, 0, 0));
    if (m_eof > 0) prc_eof_retira(buf, n, np, tbar + (t0 - a_first), slot, mu, sd, coef, V, (int)na, m_eof, (int)(t0 - a_first), rbuf);
    else prc_rst_retira(buf, n, np, tbar + (t0 - a_first), slot, mu, sd, rbuf);
    for (int i = 0; i < n; i++) {
      hsize_t a = t0 + i - a_first;
      for (PetscInt jj = 0; jj < T->ym; jj++)
        for (PetscInt ii = 0; ii < T->xm; ii++) {
          int64_t p = jj * T->xm + ii;
          float   R = rbuf[(size_t)i * np + p];
          int     anom = isfinite(R) && R >= k;
          mk[(size_t)i * np + p] = isfinite(R) ? (signed char)anom : -1;
          if (!isfinite(R)) continue;
          double la = lat[T->ys + jj], lo = lon[T->xs + ii];
          for (int q = 0; q < nreg; q++) {
            if (la < reg[q].lat0 || la > reg[q].lat1 || lo < reg[q].lon0 || lo > reg[q].lon1) continue;
            day_stats *s = &ds[(size_t)q * na + a];
            s->nvalid++;
            if (!anom) continue;
            s->nanom++, s->area += parea[p], s->sum_r += R, s->wlat += la * parea[p], s->wlon += lo * parea[p];
            s->max_r = fmax(s->max_r, R);
          }
          if (!anom) continue;
          for (int e = 0; e < nev; e++) { /* every day: the pre-event window and the quiet-day control */
            if (haversine_km(la, lo, cat.lat[ev[e]], cat.lon[ev[e]]) <= D) evarea[(size_t)e * na + a] += parea[p];
          }
        }
    }
    PetscCall(PetscLogEventEnd(ev_compute, 0, 0, 0, 0));
    PetscCall(PetscLogEventBegin(ev_write, 0, 0, 0, 0));
    PetscCall(prc_h5_tile_write(dr, T, t0 - a_first, (hsize_t)n, rbuf));
    {
      hsize_t s3[3] = {t0 - a_first, (hsize_t)T->ys, (hsize_t)T->xs}, c3[3] = {(hsize_t)n, (hsize_t)T->ym, (hsize_t)T->xm};
      PetscCall(prc_h5_write_block(dm, H5T_NATIVE_SCHAR, 3, s3, c3, mk));
    }
    PetscCall(PetscLogEventEnd(ev_write, 0, 0, 0, 0));
    prc_progress_update(&prog, (double)np * (double)(t0 + n - a_first));
    if (stop_after && ++blocks == stop_after) prc_request_stop();
    PetscCall(prc_stop_requested(ctx->comm, &stop));
    if (stop && t0 + n <= a_last) { /* keep the background, drop the unfinished rst.h5, stop */
      H5Dclose(dr), H5Dclose(dm);
      PetscCall(prc_h5_suspend(&f));
      if (!ctx->rank) unlink(f.tmp);
      PetscCall(ckpt_write(ctx, ck, fp, 1, NULL, mu, sd, cnt, T, &CS, r_last + 1, tbar_ref));
      PetscCall(PetscFree2(ds, evarea));
      PetscCall(PetscFree2(slot, mk));
      PetscCall(PetscFree(coef));
      PetscCall(PetscFree(V));
      prc_rst_acc_free(&acc);
      PetscCall(PetscFree3(buf, rbuf, tbar));
      PetscCall(PetscFree3(qs, tbar_ref, rbin));
      PetscCall(PetscFree(parea));
      PetscCall(PetscFree(ev));
      PetscCall(prc_catalog_free(&cat));
      if (RS != &IN) PetscCall(prc_lst_stack_close(&REFS));
      PetscCall(prc_lst_stack_close(&IN));
      PetscCall(prc_grid_decomp_destroy(&g));
      PetscFunctionReturn(PRC_ERR_CHECKPOINTED);
    }
  }
  prc_progress_end(&prog);
  H5Dclose(dr), H5Dclose(dm);
  PetscCall(prc_h5_write_col(ctx->comm, f.fid, "spatial_mean", H5T_NATIVE_DOUBLE, na, tbar));
  /* reductions: counts exact; area and R sums in double (rank-count dependent in the last bits) */
  {
    size_t   m = (size_t)nreg * na;
    int64_t *iv;
    double  *dv;
    PetscCall(PetscMalloc2(2 * m, &iv, 5 * m, &dv));
    for (size_t i = 0; i < m; i++) {
      iv[2 * i] = ds[i].nvalid, iv[2 * i + 1] = ds[i].nanom;
      dv[4 * i] = ds[i].area, dv[4 * i + 1] = ds[i].sum_r, dv[4 * i + 2] = ds[i].wlat, dv[4 * i + 3] = ds[i].wlon;
      dv[4 * m + i] = ds[i].max_r;
    }
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, iv, (int)(2 * m), MPI_INT64_T, MPI_SUM, ctx->comm));
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, dv, (int)(4 * m), MPI_DOUBLE, MPI_SUM, ctx->comm));
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, dv + 4 * m, (int)m, MPI_DOUBLE, MPI_MAX, ctx->comm));
    for (size_t i = 0; i < m; i++) {
      ds[i].nvalid = iv[2 * i], ds[i].nanom = iv[2 * i + 1];
      ds[i].area = dv[4 * i], ds[i].sum_r = dv[4 * i + 1], ds[i].wlat = dv[4 * i + 2], ds[i].wlon = dv[4 * i + 3];
      ds[i].max_r = dv[4 * m + i];
    }
    PetscCall(PetscFree2(iv, dv));
    if (nev) PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, evarea, nev * (int)na, MPI_DOUBLE, MPI_SUM, ctx->comm));
  }

  /* ---- series per region ---- */
  double *col, *area0 = NULL;
  PetscCall(PetscMalloc2(na + 1, &col, na + 1, &area0));
  for (int q = 0; q < nreg; q++) {
    hid_t gr;
    char  gname[64];
    snprintf(gname, sizeof gname, "series/%.31s", reg[q].name);
    PetscCall(prc_h5_group(f.fid, gname, &gr));
    PetscCall(prc_h5_attr_doubles(gr, "box_lat_lon", 4, (double[]){reg[q].lat0, reg[q].lat1, reg[q].lon0, reg[q].lon1}));
    const day_stats *s = ds + (size_t)q * na;
    const char *names[] = {"anomalous_area_km2", "max_r", "mean_r_anomalous", "valid_fraction_of_defined", "centroid_lat",
                           "centroid_lon", "persistence_days", "anomalous_pixels", "valid_pixels"};
    int64_t run = 0;
    for (int c = 0; c < 9; c++) {
      run = 0;
      for (hsize_t a = 0; a < na; a++) {
        int has = s[a].nanom > 0;
        run = has ? run + 1 : 0;
        double v[] = {s[a].area, s[a].nvalid ? s[a].max_r : NAN, has ? s[a].sum_r / s[a].nanom : NAN, NAN,
                      has ? s[a].wlat / s[a].area : NAN, has ? s[a].wlon / s[a].area : NAN, (double)run, (double)s[a].nanom,
                      (double)s[a].nvalid};
        col[a] = v[c];
        if (!q && c == 0) area0[a] = s[a].area;
      }
      if (c == 3) { /* valid pixels relative to the region's busiest day */
        double mx = 0;
        for (hsize_t a = 0; a < na; a++) mx = fmax(mx, (double)s[a].nvalid);
        for (hsize_t a = 0; a < na; a++) col[a] = mx > 0 ? s[a].nvalid / mx : NAN;
      }
      PetscCall(prc_h5_write_col(ctx->comm, gr, names[c], H5T_NATIVE_DOUBLE, na, col));
    }
    H5Gclose(gr);
  }

  /* ---- events: detection before the event and the quiet-day control ---- */
  int     ndet = 0;
  int64_t quiet_days = 0, quiet_hits = 0;
  if (nev) {
    int    *quiet;
    double *detected, *best, *lead, *etime, *elat, *elon, *emag;
    PetscCall(PetscMalloc1(na, &quiet));
    PetscCall(PetscMalloc4(nev, &detected, nev, &best, nev, &lead, nev, &etime));
    PetscCall(PetscMalloc3(nev, &elat, nev, &elon, nev, &emag));
    for (hsize_t a = 0; a < na; a++) quiet[a] = 1;
    for (int e = 0; e < nev; e++) {
      double te = cat.time[ev[e]];
      etime[e] = te, elat[e] = cat.lat[ev[e]], elon[e] = cat.lon[ev[e]], emag[e] = cat.mag[ev[e]];
      best[e] = 0, lead[e] = NAN;
      for (hsize_t a = 0; a < na; a++) {
        double ta = tim[a_first + a];
        if (ta >= te - Tb - PRC_DAY && ta <= te + Ta) quiet[a] = 0;
        if (ta >= te - Tb && ta <= te && evarea[(size_t)e * na + a] > best[e]) best[e] = evarea[(size_t)e * na + a], lead[e] = (te - ta) / PRC_DAY;
      }
      detected[e] = best[e] >= Amin && best[e] > 0;
      ndet += detected[e] > 0;
    }
    for (int e = 0; e < nev; e++)
      for (hsize_t a = 0; a < na; a++)
        if (quiet[a]) quiet_days++, quiet_hits += evarea[(size_t)e * na + a] >= Amin && evarea[(size_t)e * na + a] > 0;
    hid_t ge;
    PetscCall(prc_h5_group(f.fid, "events", &ge));
    PetscCall(prc_h5_write_col(ctx->comm, ge, "time", H5T_NATIVE_DOUBLE, (hsize_t)nev, etime));
    PetscCall(prc_h5_write_col(ctx->comm, ge, "lat", H5T_NATIVE_DOUBLE, (hsize_t)nev, elat));
    PetscCall(prc_h5_write_col(ctx->comm, ge, "lon", H5T_NATIVE_DOUBLE, (hsize_t)nev, elon));
    PetscCall(prc_h5_write_col(ctx->comm, ge, "mag", H5T_NATIVE_DOUBLE, (hsize_t)nev, emag));
    PetscCall(prc_h5_write_col(ctx->comm, ge, "detected", H5T_NATIVE_DOUBLE, (hsize_t)nev, detected));
    PetscCall(prc_h5_write_col(ctx->comm, ge, "max_area_km2_before", H5T_NATIVE_DOUBLE, (hsize_t)nev, best));
    PetscCall(prc_h5_write_col(ctx->comm, ge, "lead_days_of_max", H5T_NATIVE_DOUBLE, (hsize_t)nev, lead));
    {
      hsize_t d2[2] = {(hsize_t)nev, na}, s2[2] = {0, 0}, c2[2] = {ctx->rank ? 0 : (hsize_t)nev, na};
      PetscCall(prc_h5_write_nd(ge, "area_within_km2", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, d2, s2, c2, evarea));
    }
    PetscCall(prc_h5_attr_double(ge, "distance_km", D));
    PetscCall(prc_h5_attr_double(ge, "days_before", Tb / PRC_DAY));
    PetscCall(prc_h5_attr_double(ge, "area_threshold_km2", Amin));
    PetscCall(prc_h5_attr_double(ge, "detection_rate", (double)ndet / nev));
    PetscCall(prc_h5_attr_double(ge, "quiet_day_false_rate", quiet_days ? (double)quiet_hits / (double)quiet_days : NAN));
    PetscCall(prc_h5_attr_int(ge, "quiet_event_days", quiet_days));
    H5Gclose(ge);
    PetscCall(PetscFree(quiet));
    PetscCall(PetscFree4(detected, best, lead, etime));
    PetscCall(PetscFree3(elat, elon, emag));
  }
  PetscCall(prc_h5_commit(&f, ctx));
  if (!ctx->rank) unlink(ck); /* finished: a checkpoint (if any) is spent */

  /* ---- summary ---- */
  int64_t totv = 0, tota = 0;
  for (hsize_t a = 0; a < na; a++) totv += ds[a].nvalid, tota += ds[a].nanom;
  prc_say(ctx->comm,
                        "[rst] %llu x %llu px, reference %llu steps, analysis %llu steps, %s slots (window +-%d d), k = %g: "
                        "%.2f %% of defined pixel-days anomalous\n",
                        (unsigned long long)nx, (unsigned long long)ny, (unsigned long long)nref, (unsigned long long)na,
                        monthly ? "month" : "doy", window, k, totv ? 100.0 * (double)tota / (double)totv : 0.0);
  if (nev)
    prc_say(ctx->comm,
                          "[rst] events M >= %g in the region: %d, detected %d (%.0f %%: >= %g km2 anomalous within %g km in the %g days "
                          "before); quiet-day control: %.1f %% of %lld event-location days\n",
                          prc_opts_real(o, "rst_event_mmin"), nev, ndet, 100.0 * ndet / nev, Amin, D, Tb / PRC_DAY,
                          quiet_days ? 100.0 * (double)quiet_hits / (double)quiet_days : 0.0, (long long)quiet_days);

  /* ---- pictures (rank 0, from the file just written) ---- */
  int ok = 1;
  if (prc_opts_bool(o, "rst_png") && !ctx->rank) {
    hsize_t stride = (hsize_t)PetscMax(1, ((PetscInt)PetscMax(nx, ny) + 511) / 512);
    hsize_t qx = (nx + stride - 1) / stride, qy = (ny + stride - 1) / stride;
    float  *img;
    unsigned char *ol;
    signed char   *m8;
    PetscCall(PetscMalloc3(qx * qy, &img, qx * qy, &ol, qx * qy, &m8));
    /* days: for the largest events, the day of the largest anomalous area before them */
    int nmaps = (int)prc_opts_int(o, "rst_png_maps"), *order;
    PetscCall(PetscMalloc1(nev + 1, &order));
    for (int e = 0; e < nev; e++) order[e] = e;
    for (int a1 = 0; a1 < nev; a1++)
      for (int b1 = a1 + 1; b1 < nev; b1++)
        if (cat.mag[ev[order[b1]]] > cat.mag[ev[order[a1]]]) { int tmp = order[a1]; order[a1] = order[b1]; order[b1] = tmp; }
    hid_t rf = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    for (int mi = 0; rf >= 0 && mi < PetscMin(nmaps, PetscMax(nev, 1)); mi++) {
      hsize_t day = na / 2;
      int     e = nev ? order[mi] : -1;
      if (e >= 0) {
        double bestA = -1, te = cat.time[ev[e]];
        for (hsize_t a = 0; a < na; a++) {
          double ta = tim[a_first + a];
          if (ta >= te - Tb && ta <= te && evarea[(size_t)e * na + a] > bestA) bestA = evarea[(size_t)e * na + a], day = a;
        }
      }
      hsize_t st3[3] = {day, 0, 0}, sd3[3] = {1, stride, stride}, ct3[3] = {1, qy, qx};
      const char *dn[2] = {"retira", "anomaly"};
      for (int q = 0; q < 2; q++) {
        hid_t d = H5Dopen2(rf, dn[q], H5P_DEFAULT), fsp = H5Dget_space(d), msp = H5Screate_simple(3, ct3, NULL);
        H5Sselect_hyperslab(fsp, H5S_SELECT_SET, st3, sd3, ct3, NULL);
        herr_t er = H5Dread(d, q ? H5T_NATIVE_SCHAR : H5T_NATIVE_FLOAT, msp, fsp, H5P_DEFAULT, q ? (void *)m8 : (void *)img);
        H5Sclose(msp), H5Sclose(fsp), H5Dclose(d);
        if (er < 0) ok = 0;
      }
      for (hsize_t i = 0; i < qx * qy; i++) ol[i] = m8[i] == 1;
      /* lat axis may run north->south: the map draws row 0 at the bottom, so flip if lat decreases */
      int         flip = ny > 1 && lat[1] < lat[0];
      prc_marker  mk1[64];
      int         nm = 0;
      for (int e2 = 0; e2 < nev && nm < 64; e2++) {
        double x = (cat.lon[ev[e2]] - lon[0]) / (nx > 1 ? lon[1] - lon[0] : 1) / stride;
        double y = (cat.lat[ev[e2]] - lat[0]) / (ny > 1 ? lat[1] - lat[0] : 1) / stride;
        mk1[nm++] = (prc_marker){x, y, PRC_MARK_CIRCLE, e2 == e ? 9 : 5, e2 == e ? 0xFF00FF : 0xFFFFFF};
      }
      char title[256], ds0[32], de[32] = "";
      prc_time_format(tim[a_first + day], ds0, sizeof ds0);
      ds0[10] = '\0';
      if (e >= 0) {
        prc_time_format(cat.time[ev[e]], de, sizeof de);
        de[10] = '\0';
        snprintf(title, sizeof title, "RETIRA R %s (outline: R >= %g); %g days before M%.1f of %s", ds0, k,
                 (cat.time[ev[e]] - tim[a_first + day]) / PRC_DAY, cat.mag[ev[e]], de);
      } else snprintf(title, sizeof title, "RETIRA R %s (outline: R >= %g)", ds0, k);
      prc_map_style ms = {.title = title, .cbar_label = "R", .cmap = PRC_CMAP_DIVERGING, .vmin = -4, .vmax = 4,
                          .flip_y = flip, .markers = mk1, .nmarkers = nm, .outline = ol};
      char png[4200];
      snprintf(png, sizeof png, "%s/retira_%s.png", out, ds0);
      if (prc_plot_map_png(png, img, (int)qx, (int)qy, &ms)) ok = 0;
    }
    if (rf >= 0) H5Fclose(rf);
    else ok = 0;
    /* anomalous area of the whole grid vs time, events marked */
    double *x, *evd;
    PetscCall(PetscMalloc2(na, &x, nev + 1, &evd));
    for (hsize_t a = 0; a < na; a++) x[a] = (tim[a_first + a] - tim[a_first]) / PRC_DAY;
    for (int e = 0; e < nev; e++) evd[e] = (cat.time[ev[e]] - tim[a_first]) / PRC_DAY;
    prc_series      se = {x, area0, (int)na, "anomalous area (R >= k), whole grid", 0x1F77B4};
    char            t0s[32], ttl[160];
    prc_time_format(tim[a_first], t0s, sizeof t0s);
    t0s[10] = '\0';
    snprintf(ttl, sizeof ttl, "RST anomalous area per day (red: M>=%g events)", prc_opts_real(o, "rst_event_mmin"));
    char xl[64];
    snprintf(xl, sizeof xl, "days since %s", t0s);
    prc_lines_style ls = {.title = ttl, .xlabel = xl, .ylabel = "km2", .vlines = evd, .nvlines = nev};
    snprintf(path, sizeof path, "%s/rst_area.png", out);
    if (ok && prc_plot_lines_png(path, &se, 1, &ls)) ok = 0;
    if (!ok) PetscCall(PetscPrintf(PETSC_COMM_SELF, "precursor rst: picture failed: %s\n", prc_lasterr()));
    PetscCall(PetscFree2(x, evd));
    PetscCall(PetscFree(order));
    PetscCall(PetscFree3(img, ol, m8));
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, ctx->comm));
  PetscCheck(ok, ctx->comm, PETSC_ERR_FILE_WRITE, "writing the RST pictures in '%s' failed (see above)", out);
  prc_say(ctx->comm, "[rst] outputs in %s/ (rst.h5%s)\n", out, prc_opts_bool(o, "rst_png") ? " retira_*.png rst_area.png" : "");

  PetscCall(PetscFree2(col, area0));
  PetscCall(PetscFree2(ds, evarea));
  PetscCall(PetscFree2(slot, mk));
  prc_rst_acc_free(&acc); /* and mu, sd, cnt with it */
  PetscCall(PetscFree3(qs, tbar_ref, rbin));
  PetscCall(PetscFree(coef));
  PetscCall(PetscFree(V));
  PetscCall(PetscFree3(buf, rbuf, tbar));
  PetscCall(PetscFree(parea));
  PetscCall(PetscFree(ev));
  PetscCall(prc_catalog_free(&cat));
  if (RS != &IN) PetscCall(prc_lst_stack_close(&REFS));
  PetscCall(prc_lst_stack_close(&IN));
  PetscCall(prc_grid_decomp_destroy(&g));
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_rst = {"rst", "RST thermal anomalies: background per calendar slot, RETIRA index, masks, event statistics",
                                 rst_opts, (int)(sizeof rst_opts / sizeof rst_opts[0]), rst_validate, rst_run};

/* stage_em_samples.c — `precursor em-samples`: training sets of paper 000's electromagnetic
 * anomaly detector (METHODS.md §3; docs/EM.md). Kernels: src/signal/em_samples.c (sample
 * construction, labels), src/signal/vmd.c (optional VMD denoising of every sample).
 *
 * Modes:
 *   simulate  the paper's simulation: per class, Gaussian-noise segments with random gaps added
 *             to standardised base records (the channels of a station set: synth's stations or
 *             import-iaga's observatories), measurement noise at -em_snr_db, samples cut every
 *             -em_stride points; auxiliary inputs (time, distance) carry no class information;
 *   label     real use: windows of every station holding the channels, labelled with the
 *             magnitude class of the largest catalog event within -em_radius_km and
 *             -em_horizon_days after the window's end.
 *
 * Parallel plan: every rank reads the (small) base records and, in label mode, the catalog, and
 * enumerates the samples with their classes and the stratified train/validation split
 * identically; the samples are then split into contiguous blocks (prc_partition_1d), each rank
 * builds (and denoises) its block — every value is a pure function of (seed, class, channel, t)
 * — and writes it with one collective hyperslab per dataset. Failures are agreed on before any
 * output is created. Results are bitwise identical on any rank count (tested). */
#include <math.h>
#include <string.h>

#include "precursor/catalog.h"
#include "precursor/decomp.h"
#include "precursor/em_samples.h"
#include "precursor/collective.h"
#include "precursor/error.h"
#include "precursor/plot.h"
#include "precursor/progress.h"
#include "precursor/rng.h"
#include "precursor/stage.h"
#include "precursor/stations.h"
#include "precursor/timeutil.h"
#include "precursor/vmd.h"

#define DEF_CHANNELS "ground_resistivity,geomagnetic_field,geoelectric_field,ionospheric_ne,ulf_field"
#define DEF_CLASSES "normal,felt,moderate-strong,strong,major,great"
#define MSGLEN 1024

static const prc_opt_spec em_opts[] = {
  {"em_input", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "station set of the base records (stations.h5 of synth or import-iaga)"},
  {"em_mode", PRC_OPT_STRING, "simulate", PRC_NO_RANGE,
   "simulate (paper 000's simulation on base records) or label (windows of real records labelled from -em_catalog)"},
  {"em_channels", PRC_OPT_STRING, DEF_CHANNELS, PRC_NO_RANGE,
   "the model's input channels in order, comma-separated: channel (of -em_station) or CODE/channel; label mode: names only"},
  {"em_station", PRC_OPT_STRING, "first", PRC_NO_RANGE, "simulate: station of channels given without a code (first: the first of the table)"},
  {"em_classes", PRC_OPT_STRING, DEF_CLASSES, PRC_NO_RANGE, "class names, comma-separated (2..16), in increasing order of severity"},
  {"em_class_amp", PRC_OPT_STRING, "0.25,0.5,1,2,4,8", PRC_NO_RANGE,
   "simulate: standard deviation of each class's noise segments, in units of the base records' sd (one per class, >= 0)"},
  {"em_per_class", PRC_OPT_INT, "200", 1, 1e7, "simulate: samples per class"},
  {"em_len", PRC_OPT_INT, "576", 8, 1e7, "points per sample (576 = 48 days at 2 h)"},
  {"em_stride", PRC_OPT_INT, "500", 1, 1e7, "points between the starts of consecutive samples"},
  {"em_segments", PRC_OPT_INT, "200", 0, 1e8, "simulate: Gaussian-noise segments per class"},
  {"em_gap_max", PRC_OPT_INT, "500", 0, 1e8, "simulate: gaps between segments are uniform in 0..gap_max points"},
  {"em_seg_len_min", PRC_OPT_INT, "1", 1, 1e8, "simulate: shortest segment (points)"},
  {"em_seg_len_max", PRC_OPT_INT, "500", 1, 1e8, "simulate: longest segment (points); lengths uniform in [min, max]"},
  {"em_seg_smooth", PRC_OPT_INT, "12", 1, 10000,
   "simulate: segment noise is white Gaussian noise smoothed by a moving sum of this many points (12 = 1 day; 1: white)"},
  {"em_snr_db", PRC_OPT_REAL, "0", -60, 100, "simulate: base power over measurement-noise power (dB); the noise is the same for every class"},
  {"em_val_fraction", PRC_OPT_REAL, "0.1666666667", 0, 0.9,
   "fraction of each class's samples written to valset.h5 (stratified, seeded); 1/6 of 1200 = 200, leaving the paper's 1000"},
  {"em_vmd", PRC_OPT_BOOL, "false", PRC_NO_RANGE, "denoise every sample channel with the adaptive VMD (docs/VMD.md); the kept modes are recorded"},
  {"em_vmd_alpha", PRC_OPT_REAL, "1000", PRC_NO_RANGE, "VMD bandwidth penalty alpha (> 0), as -vmd_alpha"},
  {"em_vmd_tol", PRC_OPT_REAL, "1e-6", PRC_NO_RANGE, "VMD convergence tolerance (> 0)"},
  {"em_vmd_max_iter", PRC_OPT_INT, "300", 1, 1e7, "VMD maximum ADMM iterations"},
  {"em_vmd_kmin", PRC_OPT_INT, "2", PRC_NO_RANGE, "VMD adaptive K: smallest K tried"},
  {"em_vmd_kmax", PRC_OPT_INT, "6", PRC_NO_RANGE, "VMD adaptive K: largest K tried (<= 32)"},
  {"em_vmd_err_max", PRC_OPT_REAL, "0.1", PRC_NO_RANGE, "VMD adaptive K: reconstruction threshold (relative RMS)"},
  {"em_vmd_sep_min", PRC_OPT_REAL, "0.1", PRC_NO_RANGE, "VMD adaptive K: minimum relative separation of centre frequencies"},
  {"em_vmd_corr_rel", PRC_OPT_REAL, "0.3", PRC_NO_RANGE,
   "VMD split: keep a mode if its correlation with the sample >= corr_rel x the largest (signal-dominated modes)"},
  {"em_vmd_corr_abs", PRC_OPT_REAL, "0", PRC_NO_RANGE, "VMD split: ... and >= corr_abs"},
  {"em_catalog", PRC_OPT_STRING, "none", PRC_NO_RANGE, "label: catalog (catalog.h5 of import-catalog or synth)"},
  {"em_radius_km", PRC_OPT_REAL, "300", 0.001, 20040, "label: events within this epicentral distance of the station count"},
  {"em_horizon_days", PRC_OPT_REAL, "10", 0.001, 36500, "label: events within this time after the window's end count"},
  {"em_class_mags", PRC_OPT_STRING, "3,4.5,6,7,8", PRC_NO_RANGE,
   "label: magnitude thresholds of classes 1.. (ascending, one fewer than classes): normal < 3 <= felt < 4.5 <= moderate-strong ..."},
  {"em_end", PRC_OPT_STRING, "none", PRC_NO_RANGE,
   "label: only windows ending at or before this time (YYYY-MM-DD[THH:MM:SS], e.g. a training period), or none"},
  {"em_max_missing", PRC_OPT_REAL, "0.1", 0, 1, "label: windows with a larger fraction of missing points in any channel are skipped"},
  {"em_png", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "write em_sample.png (clean / noisy / denoised) and em_classes.png (one sample per class)"},
};

/* ---------- option parsing ---------- */
static int split_list(const char *s, char out[][PRC_CHANNEL_NAME_LEN + PRC_STATION_CODE_LEN + 2], int max)
{
  int n = 0;
  const char *p = s;
  if (!*s) return -1;
  while (1) {
    const char *q = strchr(p, ',');
    size_t      l = q ? (size_t)(q - p) : strlen(p);
    if (!l || l >= PRC_CHANNEL_NAME_LEN + PRC_STATION_CODE_LEN + 1 || n >= max) return -1;
    memcpy(out[n], p, l), out[n][l] = 0, n++;
    if (!q) break;
    p = q + 1;
  }
  return n;
}

static int parse_reals(const char *s, double *v, int max)
{
  int n = 0;
  const char *p = s;
  if (!*s) return -1;
  while (1) {
    char  *e;
    double x = strtod(p, &e);
    if (e == p || n >= max || (*e && *e != ',')) return -1;
    v[n++] = x;
    if (!*e) break;
    p = e + 1;
  }
  return n;
}

typedef char name_t[PRC_CHANNEL_NAME_LEN + PRC_STATION_CODE_LEN + 2];

static void em_validate(prc_opts *o)
{
  name_t      cl[PRC_EM_MAXCLASS + 1], ch[PRC_EM_MAXCHAN + 1];
  double      v[PRC_EM_MAXCLASS + 1];
  const char *mode = prc_opts_string(o, "em_mode");
  int         label = !strcmp(mode, "label");
  if (strcmp(mode, "simulate") && !label) prc_opts_violation(o, "-em_mode '%s': expected simulate or label", mode);
  int nc = split_list(prc_opts_string(o, "em_classes"), cl, PRC_EM_MAXCLASS + 1);
  if (nc < 2 || nc > PRC_EM_MAXCLASS)
    prc_opts_violation(o, "-em_classes '%s': expected 2..%d names separated by commas", prc_opts_string(o, "em_classes"), PRC_EM_MAXCLASS);
  int nch = split_list(prc_opts_string(o, "em_channels"), ch, PRC_EM_MAXCHAN + 1);
  if (nch < 1 || nch > PRC_EM_MAXCHAN)
    prc_opts_violation(o, "-em_channels '%s': expected 1..%d names separated by commas", prc_opts_string(o, "em_channels"), PRC_EM_MAXCHAN);
  for (int i = 0; i < nch && label; i++)
    if (strchr(ch[i], '/')) prc_opts_violation(o, "-em_channels '%s': label mode takes channel names only (every station holding them is used)", ch[i]);
  if (!label && nc >= 2) {
    int na = parse_reals(prc_opts_string(o, "em_class_amp"), v, PRC_EM_MAXCLASS + 1);
    if (na != nc) prc_opts_violation(o, "-em_class_amp '%s': expected %d numbers (one per class)", prc_opts_string(o, "em_class_amp"), nc);
    for (int i = 0; i < na && na == nc; i++)
      if (!(v[i] >= 0) || !isfinite(v[i])) prc_opts_violation(o, "-em_class_amp: amplitude %g of class %d must be finite and >= 0", v[i], i);
    if (prc_opts_int(o, "em_seg_len_max") < prc_opts_int(o, "em_seg_len_min")) prc_opts_violation(o, "-em_seg_len_max must be >= -em_seg_len_min");
  }
  if (label) {
    if (!strcmp(prc_opts_string(o, "em_catalog"), "none")) prc_opts_violation(o, "-em_mode label needs -em_catalog FILE");
    int nm = parse_reals(prc_opts_string(o, "em_class_mags"), v, PRC_EM_MAXCLASS + 1);
    if (nc >= 2 && nm != nc - 1)
      prc_opts_violation(o, "-em_class_mags '%s': expected %d ascending magnitudes (one fewer than classes)", prc_opts_string(o, "em_class_mags"), nc - 1);
    for (int i = 1; i < nm; i++)
      if (!(v[i] > v[i - 1])) prc_opts_violation(o, "-em_class_mags: thresholds must be strictly ascending (%g after %g)", v[i], v[i - 1]);
  }
  const char *ee = prc_opts_string(o, "em_end");
  double      te;
  if (strcmp(ee, "none") && prc_time_parse(ee, &te)) prc_opts_violation(o, "-em_end '%s': expected none or a date YYYY-MM-DD[THH:MM:SS]", ee);
  if (strcmp(ee, "none") && !label) prc_opts_violation(o, "-em_end applies to -em_mode label only");
  if (prc_opts_bool(o, "em_vmd")) {
    prc_vmd_params p = {.K = 1, .alpha = prc_opts_real(o, "em_vmd_alpha"), .tau = 0, .tol = prc_opts_real(o, "em_vmd_tol"),
                        .max_iter = (int)prc_opts_int(o, "em_vmd_max_iter"), .init = PRC_VMD_INIT_UNIFORM};
    prc_vmd_select s = {.kmin = (int)prc_opts_int(o, "em_vmd_kmin"), .kmax = (int)prc_opts_int(o, "em_vmd_kmax"),
                        .err_max = prc_opts_real(o, "em_vmd_err_max"), .sep_min = prc_opts_real(o, "em_vmd_sep_min"),
                        .corr_rel = prc_opts_real(o, "em_vmd_corr_rel"), .corr_abs = prc_opts_real(o, "em_vmd_corr_abs")};
    if (prc_vmd_check(&p)) prc_opts_violation(o, "-em_vmd_alpha/-em_vmd_tol: %s", prc_lasterr());
    if (prc_vmd_select_check(&s)) prc_opts_violation(o, "-em_vmd_kmin/kmax/err_max/sep_min/corr_*: %s", prc_lasterr());
  }
}


/* One sample of the set: its class and where it comes from. */
typedef struct {
  int     cls, station; /* station: index into the station table (label mode), -1 in simulate mode */
  int64_t j;            /* simulate: index within the class; label: window index within the station's record */
  int64_t start;        /* first point in the (class or station) record */
  double  t_end;        /* label: UTC time of the window's end (last point + dt); simulate: NaN */
  double  aux[2];
  int64_t event;        /* label: catalog index of the labelling event, -1 */
  double  dist_km;
} sample_t;

/* Records of one station (label mode) or the base (simulate): nchan x n standardised, finite. */
typedef struct {
  int              st;
  int64_t          n;
  double          *v;       /* nchan * n */
  unsigned char   *missing; /* nchan * n: 1 where the raw record was NaN (label mode) */
  prc_channel_meta m0;
  double           mean[PRC_EM_MAXCHAN], sd[PRC_EM_MAXCHAN];
  int64_t          filled[PRC_EM_MAXCHAN];
} recset;

/* Read channels names[0..nch) of station `code` (codes[i] overrides when non-empty), check the
 * sampling, fill gaps and standardise. */
static PetscErrorCode read_recset(prc_ctx *ctx, prc_stations_in *in, const char *path, int st, int nch, name_t *chan, int keep_missing, recset *R)
{
  PetscFunctionBeginUser;
  double  *val[PRC_EM_MAXCHAN];
  int64_t  n = -1;
  double   t0 = 0, dt = 0;
  char     label[PRC_EM_MAXCHAN][PRC_CHANNEL_NAME_LEN + PRC_STATION_CODE_LEN + 2];
  for (int c = 0; c < nch; c++) {
    char  code[PRC_STATION_CODE_LEN], *slash = strchr(chan[c], '/');
    const char *cn = chan[c];
    int         sidx = st;
    if (slash) {
      size_t l = (size_t)(slash - chan[c]);
      PetscCheck(l < PRC_STATION_CODE_LEN, ctx->comm, PETSC_ERR_ARG_WRONG, "-em_channels '%s': station code too long", chan[c]);
      memcpy(code, chan[c], l), code[l] = 0, cn = slash + 1;
      sidx = -1;
      for (int s = 0; s < in->ns; s++)
        if (!strcmp(in->st[s].code, code)) sidx = s;
      PetscCheck(sidx >= 0, ctx->comm, PETSC_ERR_ARG_WRONG, "'%s': no station '%s' (-em_channels '%s')", path, code, chan[c]);
    }
    snprintf(label[c], sizeof label[c], "%s/%s", in->st[sidx].code, cn);
    int nc;
    char (*names)[PRC_CHANNEL_NAME_LEN];
    PetscCall(prc_stations_channels(in, in->st[sidx].code, &nc, &names));
    int found = 0;
    for (int k = 0; k < nc; k++) found |= !strcmp(names[k], cn);
    PetscCall(PetscFree(names));
    PetscCheck(found, ctx->comm, PETSC_ERR_ARG_WRONG, "'%s': station %s has no channel '%s' (-em_channels)", path, in->st[sidx].code, cn);
    prc_channel_meta m;
    PetscCall(prc_stations_read_channel(in, in->st[sidx].code, cn, &m, &val[c], NULL));
    if (!c) n = m.n, t0 = m.start_time, dt = m.dt, R->m0 = m;
    PetscCheck(m.dt == dt, ctx->comm, PETSC_ERR_ARG_WRONG, "'%s': record %s has dt %g s, %s has %g s: resample to one grid (import-iaga -iaga_resample_s)",
               path, label[c], m.dt, label[0], dt);
    PetscCheck(fabs(m.start_time - t0) < dt, ctx->comm, PETSC_ERR_ARG_WRONG, "'%s': record %s starts %g s after %s: records are not aligned", path,
               label[c], m.start_time - t0, label[0]);
    if (m.n < n) n = m.n;
  }
  PetscCheck(n >= 2, ctx->comm, PETSC_ERR_ARG_WRONG, "'%s': records of %lld points (station %s)", path, (long long)n, in->st[st].code);
  R->st = st, R->n = n;
  PetscCall(PetscMalloc1((size_t)nch * n, &R->v));
  R->missing = NULL;
  if (keep_missing) PetscCall(PetscCalloc1((size_t)nch * n, &R->missing));
  for (int c = 0; c < nch; c++) {
    double *v = R->v + (size_t)c * n;
    memcpy(v, val[c], sizeof(double) * (size_t)n);
    PetscCall(PetscFree(val[c]));
    for (int64_t i = 0; i < n && R->missing; i++) R->missing[(size_t)c * n + i] = !isfinite(v[i]);
    int64_t f = prc_em_fill_gaps(v, n);
    PetscCheck(f >= 0, ctx->comm, PETSC_ERR_ARG_WRONG, "'%s': record %s: %s", path, label[c], prc_lasterr());
    R->filled[c] = f;
    PetscCheck(!prc_em_standardize(v, n, &R->mean[c], &R->sd[c]), ctx->comm, PETSC_ERR_ARG_WRONG, "'%s': record %s: %s", path, label[c], prc_lasterr());
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode write_set(prc_ctx *ctx, const char *path, int64_t ntot, int64_t first, int64_t cnt, int nch, int64_t L, const float *x,
                                const int32_t *y, const float *aux, const int32_t *jj, const int32_t *stn, const double *tend, const int32_t *vk,
                                const int32_t *vkept, const float *vloss, int vmd, const char *classes, int nclass, const char *mode, const char *chans,
                                const char *input, double snr, double info_end)
{
  prc_h5out f;
  PetscFunctionBeginUser;
  PetscCall(prc_h5_create(ctx->comm, path, "trainset", &f));
  hsize_t d3[3] = {(hsize_t)ntot, (hsize_t)nch, (hsize_t)L}, s3[3] = {(hsize_t)first, 0, 0}, c3[3] = {(hsize_t)cnt, (hsize_t)nch, (hsize_t)L};
  PetscCall(prc_h5_write_nd(f.fid, "x", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 3, d3, s3, c3, x));
  PetscCall(prc_h5_write_nd(f.fid, "y", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, d3, s3, c3, y));
  hsize_t d2[2] = {(hsize_t)ntot, 2}, s2[2] = {(hsize_t)first, 0}, c2[2] = {(hsize_t)cnt, 2};
  PetscCall(prc_h5_write_nd(f.fid, "aux", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, d2, s2, c2, aux));
  hid_t g;
  PetscCall(prc_h5_group(f.fid, "samples", &g));
  PetscCall(prc_h5_write_nd(g, "index", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, d3, s3, c3, jj));
  PetscCall(prc_h5_write_nd(g, "station", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, d3, s3, c3, stn));
  PetscCall(prc_h5_write_nd(g, "end_time", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, d3, s3, c3, tend));
  H5Gclose(g);
  if (vmd) {
    PetscCall(prc_h5_group(f.fid, "vmd", &g));
    hsize_t dv[2] = {(hsize_t)ntot, (hsize_t)nch}, sv[2] = {(hsize_t)first, 0}, cv[2] = {(hsize_t)cnt, (hsize_t)nch};
    PetscCall(prc_h5_write_nd(g, "k", H5T_STD_I32LE, H5T_NATIVE_INT32, 2, dv, sv, cv, vk));
    PetscCall(prc_h5_write_nd(g, "kept", H5T_STD_I32LE, H5T_NATIVE_INT32, 2, dv, sv, cv, vkept));
    PetscCall(prc_h5_write_nd(g, "energy_loss", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dv, sv, cv, vloss));
    PetscCall(prc_h5_attr_str(g, "meaning", "per sample and channel: k = modes of the chosen K; kept = bit i set if mode i (ascending centre "
                                            "frequency) was kept; energy_loss = |f - sum u|^2 / |f - mean f|^2"));
    H5Gclose(g);
  }
  PetscCall(prc_h5_attr_str(f.fid, "class_names", classes));
  PetscCall(prc_h5_attr_int(f.fid, "nclasses", nclass));
  PetscCall(prc_h5_attr_str(f.fid, "generator", !strcmp(mode, "simulate") ? "em-samples simulate (paper 000 simulation, docs/EM.md)"
                                                                          : "em-samples label (catalog labels, docs/EM.md)"));
  PetscCall(prc_h5_attr_str(f.fid, "em_mode", mode));
  PetscCall(prc_h5_attr_str(f.fid, "channels", chans));
  PetscCall(prc_h5_attr_str(f.fid, "base_input", input));
  PetscCall(prc_h5_attr_str(f.fid, "aux_names", !strcmp(mode, "simulate") ? "time (window end / record length),distance (uniform, class-independent)"
                                                                          : "time (years since 2000 / 10),distance of the labelling event / radius (1: none)"));
  PetscCall(prc_h5_attr_int(f.fid, "vmd", vmd));
  if (!strcmp(mode, "simulate")) PetscCall(prc_h5_attr_double(f.fid, "snr_db", snr));
  else { /* the latest time the labels depend on: leakage rule of em-score (docs/EM.md "On the study grid") */
    char b[32];
    prc_time_format(info_end, b, sizeof b);
    PetscCall(prc_h5_attr_double(f.fid, "info_end", info_end));
    PetscCall(prc_h5_attr_str(f.fid, "info_end_utc", b));
  }
  PetscCall(prc_h5_commit(&f, ctx));
  PetscFunctionReturn(0);
}

static PetscErrorCode em_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  const char     *in = prc_opts_string(o, "em_input"), *od = prc_opts_string(o, "out_dir"), *mode = prc_opts_string(o, "em_mode");
  const int       label = !strcmp(mode, "label"), vmd = prc_opts_bool(o, "em_vmd");
  const uint64_t  seed = (uint64_t)prc_opts_int(o, "seed");
  name_t          clsn[PRC_EM_MAXCLASS], chan[PRC_EM_MAXCHAN];
  const int       nclass = split_list(prc_opts_string(o, "em_classes"), clsn, PRC_EM_MAXCLASS);
  const int       nch = split_list(prc_opts_string(o, "em_channels"), chan, PRC_EM_MAXCHAN);
  const int64_t   L = prc_opts_int(o, "em_len"), stride = prc_opts_int(o, "em_stride");
  char            msg[MSGLEN] = "", path[4200];
  int             ok = 1;
  PetscFunctionBeginUser;
  PetscCall(prc_ctx_add_input(ctx, in));
  prc_stations_in S;
  PetscCall(prc_stations_open(ctx->comm, in, &S));
  PetscCheck(S.ns > 0, ctx->comm, PETSC_ERR_ARG_WRONG, "'%s': the station set has no stations", in);

  /* ---- records and the sample list (every rank, identically) ---- */
  prc_em_sim sim = {0};
  recset    *rs = NULL;
  int        nrs = 0;
  sample_t  *smp = NULL;
  int64_t    N = 0;
  int64_t   *seg_s[PRC_EM_MAXCLASS] = {0}, *seg_c[PRC_EM_MAXCLASS] = {0};
  int        nseg[PRC_EM_MAXCLASS] = {0};
  double     mags[PRC_EM_MAXCLASS];
  prc_catalog cat = {0};
  if (!label) {
    int st = 0;
    const char *sn = prc_opts_string(o, "em_station");
    if (strcmp(sn, "first")) {
      st = -1;
      for (int s = 0; s < S.ns; s++)
        if (!strcmp(S.st[s].code, sn)) st = s;
      PetscCheck(st >= 0, ctx->comm, PETSC_ERR_ARG_WRONG, "'%s': no station '%s' (-em_station)", in, sn);
    }
    PetscCall(PetscCalloc1(1, &rs));
    nrs = 1;
    PetscCall(read_recset(ctx, &S, in, st, nch, chan, 0, &rs[0]));
    sim = (prc_em_sim){.nclass = nclass, .nchan = nch, .per_class = (int)prc_opts_int(o, "em_per_class"), .len = L, .stride = stride,
                       .nseg = (int)prc_opts_int(o, "em_segments"), .gap_max = prc_opts_int(o, "em_gap_max"),
                       .seg_len_min = prc_opts_int(o, "em_seg_len_min"), .seg_len_max = prc_opts_int(o, "em_seg_len_max"),
                       .smooth = (int)prc_opts_int(o, "em_seg_smooth"), .snr_db = prc_opts_real(o, "em_snr_db"), .seed = seed};
    parse_reals(prc_opts_string(o, "em_class_amp"), sim.amp, PRC_EM_MAXCLASS);
    PetscCheck(!prc_em_sim_check(&sim), ctx->comm, PETSC_ERR_ARG_WRONG, "simulation parameters: %s", prc_lasterr());
    for (int c = 0; c < nclass; c++) {
      PetscCall(PetscMalloc2(sim.nseg + 1, &seg_s[c], sim.nseg + 1, &seg_c[c]));
      nseg[c] = prc_em_segments(&sim, c, seg_s[c], seg_c[c]);
    }
    N = (int64_t)nclass * sim.per_class;
    PetscCall(PetscMalloc1(N, &smp));
    for (int c = 0; c < nclass; c++)
      for (int j = 0; j < sim.per_class; j++) {
        sample_t *q = &smp[(int64_t)c * sim.per_class + j];
        *q = (sample_t){.cls = c, .station = -1, .j = j, .start = (int64_t)j * stride, .t_end = NAN, .event = -1, .dist_km = NAN};
      }
  } else {
    const char *cp = prc_opts_string(o, "em_catalog");
    PetscCall(prc_ctx_add_input(ctx, cp));
    PetscCall(prc_catalog_read(ctx->comm, cp, &cat));
    int nm = parse_reals(prc_opts_string(o, "em_class_mags"), mags, PRC_EM_MAXCLASS);
    (void)nm;
    PetscCall(PetscCalloc1(S.ns, &rs));
    for (int s = 0; s < S.ns; s++) { /* stations holding every channel */
      int  nc, have = 0;
      char (*names)[PRC_CHANNEL_NAME_LEN];
      PetscCall(prc_stations_channels(&S, S.st[s].code, &nc, &names));
      for (int c = 0; c < nch; c++)
        for (int k = 0; k < nc; k++) have += !strcmp(names[k], chan[c]);
      PetscCall(PetscFree(names));
      if (have == nch) PetscCall(read_recset(ctx, &S, in, s, nch, chan, 1, &rs[nrs++]));
    }
    PetscCheck(nrs > 0, ctx->comm, PETSC_ERR_ARG_WRONG, "'%s': no station holds all of -em_channels '%s'", in, prc_opts_string(o, "em_channels"));
    const double R = prc_opts_real(o, "em_radius_km"), H = prc_opts_real(o, "em_horizon_days") * 86400, maxmiss = prc_opts_real(o, "em_max_missing");
    const char  *ees = prc_opts_string(o, "em_end");
    double       tlast = INFINITY;
    if (strcmp(ees, "none")) prc_time_parse(ees, &tlast);
    int64_t      cap = 0;
    for (int r = 0; r < nrs; r++) cap += rs[r].n >= L ? (rs[r].n - L) / stride + 1 : 0;
    PetscCall(PetscMalloc1(cap + 1, &smp));
    for (int r = 0; r < nrs; r++) {
      const recset *Q = &rs[r];
      const prc_station *st = &S.st[Q->st];
      for (int64_t w = 0; Q->n >= L && w <= (Q->n - L) / stride; w++) {
        int64_t a = w * stride, worst = 0;
        for (int c = 0; c < nch; c++) {
          int64_t m = 0;
          for (int64_t i = 0; i < L; i++) m += Q->missing[(size_t)c * Q->n + a + i];
          if (m > worst) worst = m;
        }
        const double te = Q->m0.start_time + (double)(a + L) * Q->m0.dt;
        if ((double)worst > maxmiss * (double)L || te > tlast) continue;
        sample_t *q = &smp[N++];
        *q = (sample_t){.station = Q->st, .j = w, .start = a, .t_end = te};
        q->cls = prc_em_label((int64_t)cat.n, cat.time, cat.lat, cat.lon, cat.mag, st->lat, st->lon, te, H, R, nclass - 1, mags, &q->event, &q->dist_km);
        q->aux[0] = (te - 946684800.0) / (365.25 * 86400) / 10;
        q->aux[1] = q->event >= 0 ? q->dist_km / R : 1.0;
      }
    }
    PetscCheck(N > 0, ctx->comm, PETSC_ERR_ARG_WRONG, "'%s': no window of %lld points with at most %g missing ending by -em_end %s (-em_len, -em_max_missing)",
               in, (long long)L, maxmiss, ees);
  }
  /* ---- stratified split ---- */
  const double   vf = prc_opts_real(o, "em_val_fraction");
  unsigned char *isval;
  int64_t       *ids, *pos, ncls[PRC_EM_MAXCLASS] = {0}, nval = 0;
  PetscCall(PetscMalloc3(N, &isval, N, &ids, N, &pos));
  for (int c = 0; c < nclass; c++) {
    int64_t m = 0;
    for (int64_t g = 0; g < N; g++)
      if (smp[g].cls == c) pos[m] = g, ids[m] = label ? g : smp[g].j, m++;
    ncls[c] = m;
    unsigned char *iv;
    PetscCall(PetscMalloc1(m + 1, &iv));
    PetscCheck(!prc_em_split(seed, c, m, ids, (int64_t)floor(vf * (double)m + 0.5), iv), PETSC_COMM_SELF, PETSC_ERR_MEM, "%s", prc_lasterr());
    for (int64_t i = 0; i < m; i++) isval[pos[i]] = iv[i], nval += iv[i];
    PetscCall(PetscFree(iv));
  }
  const int64_t ntrain = N - nval;
  /* info_end of each file (label mode): its latest window end + the label horizon */
  double ie_train = -INFINITY, ie_val = -INFINITY;
  if (label) {
    const double H = prc_opts_real(o, "em_horizon_days") * 86400;
    for (int64_t g = 0; g < N; g++) {
      double *ie = isval[g] ? &ie_val : &ie_train;
      *ie        = fmax(*ie, smp[g].t_end + H);
    }
  }
  PetscCheck(ntrain > 0, ctx->comm, PETSC_ERR_ARG_WRONG, "no training samples left after the validation split (-em_val_fraction %g)", vf);

  /* ---- this rank's block: build, denoise ---- */
  int64_t g0, gc;
  prc_partition_1d(N, ctx->size, ctx->rank, &g0, &gc);
  int64_t tr0 = 0, va0 = 0, trc = 0, vac = 0;
  for (int64_t g = 0; g < g0; g++) isval[g] ? va0++ : tr0++;
  for (int64_t g = g0; g < g0 + gc; g++) isval[g] ? vac++ : trc++;
  const size_t SL = (size_t)nch * L;
  float       *xt, *xv, *at, *av;
  int32_t     *yt, *yv, *jt, *jv, *st_t, *st_v, *kt, *kv, *mt, *mv;
  double      *tt, *tv;
  float       *lt, *lv;
  PetscCall(PetscMalloc4(SL * trc + 1, &xt, SL * vac + 1, &xv, 2 * trc + 1, &at, 2 * vac + 1, &av));
  PetscCall(PetscMalloc6(trc + 1, &yt, vac + 1, &yv, trc + 1, &jt, vac + 1, &jv, trc + 1, &st_t, vac + 1, &st_v));
  PetscCall(PetscMalloc6(nch * trc + 1, &kt, nch * vac + 1, &kv, nch * trc + 1, &mt, nch * vac + 1, &mv, nch * trc + 1, &lt, nch * vac + 1, &lv));
  PetscCall(PetscMalloc2(trc + 1, &tt, vac + 1, &tv));
  double        *clean, *noisy, *den, *u;
  prc_vmd_params vp = {.K = 1, .alpha = prc_opts_real(o, "em_vmd_alpha"), .tau = 0, .tol = prc_opts_real(o, "em_vmd_tol"),
                       .max_iter = (int)prc_opts_int(o, "em_vmd_max_iter"), .init = PRC_VMD_INIT_UNIFORM, .dc = 0, .seed = seed};
  prc_vmd_select vs = {.kmin = (int)prc_opts_int(o, "em_vmd_kmin"), .kmax = (int)prc_opts_int(o, "em_vmd_kmax"),
                       .err_max = prc_opts_real(o, "em_vmd_err_max"), .sep_min = prc_opts_real(o, "em_vmd_sep_min"),
                       .corr_rel = prc_opts_real(o, "em_vmd_corr_rel"), .corr_abs = prc_opts_real(o, "em_vmd_corr_abs")};
  PetscCall(PetscMalloc4(SL, &clean, SL, &noisy, L, &den, (size_t)(vmd ? vs.kmax : 1) * L, &u));
  prc_vmd_ctx *vc = vmd ? prc_vmd_ctx_create() : NULL;
  if (vmd && !vc) ok = 0, snprintf(msg, sizeof msg, "VMD context: %s", prc_lasterr());
  double vmd_k_sum = 0, vmd_kept_sum = 0, vmd_loss_sum = 0, vmd_unconv = 0;
  prc_progress prog;
  prc_progress_start(&prog, ctx->comm, "em-samples", vmd ? "samples (building, VMD)" : "samples", "samples", (double)gc,
                     prc_opts_real(o, "progress_interval"), prc_opts_bool(o, "quiet"));
  int64_t it = 0, iv = 0;
  for (int64_t g = g0; g < g0 + gc && ok; g++) {
    const sample_t *q = &smp[g];
    double          aux[2];
    if (!label) {
      if (prc_em_sample(&sim, rs[0].v, rs[0].n, seg_s[q->cls], seg_c[q->cls], nseg[q->cls], q->cls, (int)q->j, clean, noisy, aux)) {
        ok = 0, snprintf(msg, sizeof msg, "sample %lld: %s", (long long)g, prc_lasterr());
        break;
      }
    } else {
      const recset *Q = NULL;
      for (int r = 0; r < nrs; r++)
        if (rs[r].st == q->station) Q = &rs[r];
      for (int c = 0; c < nch; c++) memcpy(noisy + (size_t)c * L, Q->v + (size_t)c * Q->n + q->start, sizeof(double) * (size_t)L);
      aux[0] = q->aux[0], aux[1] = q->aux[1];
    }
    int    v = isval[g];
    size_t r = (size_t)(v ? iv : it);
    float *x = (v ? xv : xt) + SL * r;
    for (int c = 0; c < nch; c++) {
      const double *f = noisy + (size_t)c * L;
      int           k = 0, kept = 0;
      double        loss = 0;
      if (vmd) {
        prc_vmd_result res;
        if (prc_vmd_denoise(vc, f, L, &vp, &vs, u, den, &res)) {
          ok = 0, snprintf(msg, sizeof msg, "sample %lld channel %s: VMD: %s", (long long)g, chan[c], prc_lasterr());
          break;
        }
        f = den, k = res.k_chosen, loss = res.energy_loss;
        for (int m = 0; m < k; m++) kept |= res.kept[m] ? 1 << m : 0;
        vmd_k_sum += k, vmd_kept_sum += __builtin_popcount((unsigned)kept), vmd_loss_sum += loss, vmd_unconv += !res.info.converged;
      }
      for (int64_t i = 0; i < L; i++) x[(size_t)c * L + i] = (float)f[i];
      (v ? kv : kt)[r * nch + c] = k, (v ? mv : mt)[r * nch + c] = kept, (v ? lv : lt)[r * nch + c] = (float)loss;
    }
    (v ? av : at)[2 * r] = (float)aux[0], (v ? av : at)[2 * r + 1] = (float)aux[1];
    (v ? yv : yt)[r] = q->cls, (v ? jv : jt)[r] = (int32_t)q->j, (v ? st_v : st_t)[r] = q->station, (v ? tv : tt)[r] = q->t_end;
    v ? iv++ : it++;
    prc_progress_update(&prog, (double)(g - g0 + 1));
  }
  prc_progress_end(&prog);
  if (vc) prc_vmd_ctx_destroy(vc);
  PetscCall(prc_agree(ctx->comm, ok, msg));

  /* ---- outputs ---- */
  char classes[2048] = "";
  for (int c = 0; c < nclass; c++) snprintf(classes + strlen(classes), sizeof classes - strlen(classes), "%s%s", c ? "," : "", clsn[c]);
  snprintf(path, sizeof path, "%s/trainset.h5", od);
  PetscCall(write_set(ctx, path, ntrain, tr0, trc, nch, L, xt, yt, at, jt, st_t, tt, kt, mt, lt, vmd, classes, nclass, mode,
                      prc_opts_string(o, "em_channels"), in, sim.snr_db, ie_train));
  if (nval) {
    snprintf(path, sizeof path, "%s/valset.h5", od);
    PetscCall(write_set(ctx, path, nval, va0, vac, nch, L, xv, yv, av, jv, st_v, tv, kv, mv, lv, vmd, classes, nclass, mode,
                        prc_opts_string(o, "em_channels"), in, sim.snr_db, ie_val));
  }
  double vsum[4] = {vmd_k_sum, vmd_kept_sum, vmd_loss_sum, vmd_unconv};
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, vsum, 4, MPI_DOUBLE, MPI_SUM, ctx->comm));

  /* ---- pictures (rank 0 rebuilds its examples: simulate mode) ---- */
  int pok = 1;
  if (!ctx->rank && prc_opts_bool(o, "em_png") && !label) {
    double *xs, *ys;
    PetscCall(PetscMalloc2((size_t)L * (nclass + 3), &xs, (size_t)L * (nclass + 3), &ys));
    for (int64_t i = 0; i < L; i++)
      for (int s = 0; s < nclass + 3; s++) xs[(size_t)s * L + i] = (double)i * rs[0].m0.dt / 86400;
    /* em_sample.png: channel 0 of the first sample of the highest class */
    int cmax = nclass - 1;
    pok = !prc_em_sample(&sim, rs[0].v, rs[0].n, seg_s[cmax], seg_c[cmax], nseg[cmax], cmax, 0, clean, noisy, NULL);
    int ns = 2;
    memcpy(ys, noisy, sizeof(double) * (size_t)L), memcpy(ys + L, clean, sizeof(double) * (size_t)L);
    if (pok && vmd) {
      prc_vmd_ctx   *c1 = prc_vmd_ctx_create();
      prc_vmd_result res;
      pok = c1 && !prc_vmd_denoise(c1, noisy, L, &vp, &vs, u, ys + 2 * L, &res);
      if (c1) prc_vmd_ctx_destroy(c1);
      ns = 3;
    }
    if (pok) {
      prc_series s[3] = {{xs, ys, (int)L, "noisy sample", 0xF28E2B}, {xs + L, ys + L, (int)L, "clean (base + class segments)", 0x4E79A7},
                         {xs + 2 * L, ys + 2 * L, (int)L, "VMD-denoised", 0x59A14F}};
      char           ttl[512];
      snprintf(ttl, sizeof ttl, "class '%s', sample 0, channel %s, SNR %g dB%s", clsn[cmax], chan[0], sim.snr_db, vmd ? ", VMD" : "");
      prc_lines_style ls = {.title = ttl, .xlabel = "days", .ylabel = "standardised value", .width = 1000, .height = 420};
      snprintf(path, sizeof path, "%s/em_sample.png", od);
      pok = !prc_plot_lines_png(path, s, ns, &ls);
    }
    /* em_classes.png: the clean channel 0 of sample 0 of every class, offset */
    prc_series cs[PRC_EM_MAXCLASS];
    for (int c = 0; c < nclass && pok; c++) {
      pok = !prc_em_sample(&sim, rs[0].v, rs[0].n, seg_s[c], seg_c[c], nseg[c], c, 0, clean, NULL, NULL);
      for (int64_t i = 0; i < L; i++) ys[(size_t)c * L + i] = clean[i] + 12.0 * c;
      cs[c] = (prc_series){xs + (size_t)c * L, ys + (size_t)c * L, (int)L, clsn[c], 0};
    }
    if (pok) {
      prc_lines_style ls = {.title = "clean samples (channel 0, sample 0) of each class, offset by 12 per class", .xlabel = "days",
                            .ylabel = "standardised value + offset", .width = 1000, .height = 600};
      snprintf(path, sizeof path, "%s/em_classes.png", od);
      pok = !prc_plot_lines_png(path, cs, nclass, &ls);
    }
    if (!pok) snprintf(msg, sizeof msg, "%s", prc_lasterr());
    PetscCall(PetscFree2(xs, ys));
  }
  PetscCallMPI(MPI_Bcast(&pok, 1, MPI_INT, 0, ctx->comm));
  PetscCallMPI(MPI_Bcast(msg, sizeof msg, MPI_CHAR, 0, ctx->comm));
  PetscCheck(pok, ctx->comm, PETSC_ERR_FILE_WRITE, "PNG in '%s': %s", od, msg);

  /* ---- summary ---- */
  if (!label) {
    prc_say(ctx->comm, "[em-samples] simulate: %d classes x %d samples of %d channels x %lld points (stride %lld, class records of %lld points); "
                       "base %s%s%s... (%lld points%s), SNR %g dB\n",
            nclass, sim.per_class, nch, (long long)L, (long long)stride, (long long)prc_em_record_length(&sim),
            strchr(chan[0], '/') ? "" : S.st[rs[0].st].code, strchr(chan[0], '/') ? "" : "/", chan[0],
            (long long)rs[0].n, rs[0].n < prc_em_record_length(&sim) ? ", extended by reflection" : "", sim.snr_db);
    for (int c = 0; c < nclass && !prc_opts_bool(o, "quiet"); c++) {
      int64_t cov = 0;
      for (int s = 0; s < nseg[c]; s++) cov += seg_c[c][s];
      prc_say(ctx->comm, "[em-samples]   class %d %-16s segment sd %-6g %d segments covering %.1f %% of the record\n", c, clsn[c], sim.amp[c], nseg[c],
              100.0 * (double)cov / (double)prc_em_record_length(&sim));
    }
  } else {
    prc_say(ctx->comm, "[em-samples] label: %lld windows of %lld points from %d station(s), events within %g km and %g days after the window:", (long long)N,
            (long long)L, nrs, prc_opts_real(o, "em_radius_km"), prc_opts_real(o, "em_horizon_days"));
    for (int c = 0; c < nclass; c++) prc_say(ctx->comm, " %s %lld", clsn[c], (long long)ncls[c]);
    prc_say(ctx->comm, "\n");
  }
  if (vmd)
    prc_say(ctx->comm, "[em-samples] VMD of %lld sample channels: mean K %.2f, mean modes kept %.2f, mean energy loss %.3g, %g not converged\n",
            (long long)N * nch, vsum[0] / ((double)N * nch), vsum[1] / ((double)N * nch), vsum[2] / ((double)N * nch), vsum[3]);
  prc_say(ctx->comm, "[em-samples] outputs in %s/: trainset.h5 (%lld samples)%s%s\n", od, (long long)ntrain, nval ? ", valset.h5" : "",
          prc_opts_bool(o, "em_png") && !label ? ", em_sample.png, em_classes.png" : "");
  if (nval) prc_say(ctx->comm, "[em-samples]   valset.h5: %lld samples\n", (long long)nval);

  PetscCall(PetscFree4(clean, noisy, den, u));
  PetscCall(PetscFree2(tt, tv));
  PetscCall(PetscFree6(kt, kv, mt, mv, lt, lv));
  PetscCall(PetscFree6(yt, yv, jt, jv, st_t, st_v));
  PetscCall(PetscFree4(xt, xv, at, av));
  PetscCall(PetscFree3(isval, ids, pos));
  for (int c = 0; c < nclass; c++)
    if (seg_s[c]) PetscCall(PetscFree2(seg_s[c], seg_c[c]));
  for (int r = 0; r < nrs; r++) {
    PetscCall(PetscFree(rs[r].v));
    if (rs[r].missing) PetscCall(PetscFree(rs[r].missing));
  }
  PetscCall(PetscFree(rs));
  PetscCall(PetscFree(smp));
  if (label) PetscCall(prc_catalog_free(&cat));
  PetscCall(prc_stations_close(&S));
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_em_samples = {"em-samples",
                                        "training sets of paper 000's EM detector: simulated classes on base records (or catalog labels), optional VMD",
                                        em_opts, (int)(sizeof em_opts / sizeof em_opts[0]), em_validate, em_run};

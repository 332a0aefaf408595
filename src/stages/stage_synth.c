/* stage_synth.c — `precursor synth`: the embedded default data set.
 *
 * Orchestration only (options -> generate -> write); the models are in src/synth and
 * src/seismo/etas.c and documented in docs/SYNTH.md. Writes to -out_dir:
 *   catalog.h5   ETAS-like catalog (kind "catalog")
 *   lst.h5       daily night LST stack (time, y, x) with cloud gaps, elevation (kind "grid")
 *   stations.h5  station network, five EM channels at 2 h (kind "stations")
 *   truth.h5     ground truth: injected anomalies, station hits, cloud fractions
 *   *.png        quicklooks
 * The LST stack is streamed in blocks of -synth_block_days: memory is one block of one
 * tile per rank, whatever the size of the region. Every value is a pure function of the
 * seed and its coordinates, so outputs are bitwise identical on any number of ranks. */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "precursor/catalog.h"
#include "precursor/checkpoint.h"
#include "precursor/decomp.h"
#include "precursor/error.h"
#include "precursor/etas.h"
#include "precursor/plot.h"
#include "precursor/progress.h"
#include "precursor/rng.h"
#include "precursor/stage.h"
#include "precursor/stations.h"
#include "precursor/synth.h"
#include "precursor/timeutil.h"

static const prc_opt_spec synth_opts[] = {
  {"synth_nx", PRC_OPT_INT, "128", 1, 1e6, "grid columns (west -> east)"},
  {"synth_ny", PRC_OPT_INT, "128", 1, 1e6, "grid rows (south -> north)"},
  {"synth_res_km", PRC_OPT_REAL, "1", 0.05, 100, "pixel size, km"},
  {"synth_lat0", PRC_OPT_REAL, "30", -85, 85, "latitude of the south edge, degrees"},
  {"synth_lon0", PRC_OPT_REAL, "100", -180, 360, "longitude of the west edge, degrees"},
  {"synth_start", PRC_OPT_DATE, "2010-01-01", PRC_NO_RANGE, "first day (UTC) of the span"},
  {"synth_days", PRC_OPT_INT, "1096", 1, 1e6, "number of days"},
  {"synth_block_days", PRC_OPT_INT, "32", 1, 3660, "days per streamed block (memory: block x tile x 4 bytes x 2)"},
  {"synth_mean_k", PRC_OPT_REAL, "278", 150, 350, "mean night LST at the region centre, K"},
  {"synth_annual_amp_k", PRC_OPT_REAL, "12", 0, 60, "annual-cycle amplitude, K (minimum mid-January)"},
  {"synth_lapse", PRC_OPT_REAL, "6.5", 0, 15, "lapse rate, K per km of elevation"},
  {"synth_lat_grad", PRC_OPT_REAL, "-0.7", -5, 5, "LST gradient, K per degree of latitude"},
  {"synth_synoptic_k", PRC_OPT_REAL, "3", 0, 30, "standard deviation of the synoptic weather field, K"},
  {"synth_synoptic_corr", PRC_OPT_REAL, "0.7", 0, 0.999, "day-to-day correlation of the weather amplitudes"},
  {"synth_noise_k", PRC_OPT_REAL, "1", 0, 20, "pixel noise standard deviation, K"},
  {"synth_cloud_min", PRC_OPT_REAL, "0.3", 0, 0.99, "minimum daily cloud fraction"},
  {"synth_cloud_max", PRC_OPT_REAL, "0.6", 0, 0.99, "maximum daily cloud fraction"},
  {"synth_cloud_scale_km", PRC_OPT_REAL, "15", 0.1, 1e4, "smallest cloud-cluster wavelength, km"},
  {"synth_anom_mmin", PRC_OPT_REAL, "5", 0, 10, "events with M >= this get injected precursors"},
  {"synth_anom_amp_k", PRC_OPT_REAL, "4", 0, 50, "LST anomaly peak at M = anom_mmin, K (+ that per magnitude unit)"},
  {"synth_anom_radius_km", PRC_OPT_REAL, "20", 0.1, 1e4, "LST anomaly Gaussian radius at M5, km (x 10^(0.43 (M-5)))"},
  {"synth_anom_lead_days", PRC_OPT_REAL, "6", 1.01, 60, "LST anomaly onset before the event, days"},
  {"synth_anom_after_days", PRC_OPT_REAL, "2", 0, 30, "LST anomaly decay after the event, days"},
  {"synth_mc", PRC_OPT_REAL, "2.5", -1, 7, "catalog magnitude of completeness (smallest magnitude)"},
  {"synth_mmax", PRC_OPT_REAL, "7.5", 0, 9.5, "largest magnitude (truncated Gutenberg-Richter)"},
  {"synth_b", PRC_OPT_REAL, "1", 0.31, 3, "Gutenberg-Richter b-value"},
  {"synth_rate", PRC_OPT_REAL, "0.45", 0, 1e4, "background events/day with M >= mc per 10^4 km^2"},
  {"synth_etas_k", PRC_OPT_REAL, "0.1", 0, 10, "ETAS productivity K"},
  {"synth_etas_alpha", PRC_OPT_REAL, "0.8", 0, 3, "ETAS productivity exponent alpha"},
  {"synth_etas_c", PRC_OPT_REAL, "0.01", 1e-6, 10, "Omori c, days"},
  {"synth_etas_p", PRC_OPT_REAL, "1.1", 0.5, 3, "Omori p"},
  {"synth_scenario", PRC_OPT_STRING, "none", PRC_NO_RANGE,
   "forced events 'YYYY-MM-DD/M[,...]' at seeded places in the inner region, or 'none'"},
  {"synth_catalog", PRC_OPT_STRING, "none", PRC_NO_RANGE,
   "catalog file (data model, e.g. an imported CENC catalog) whose events in the region and span replace the ETAS "
   "catalog; 'none' = generate"},
  {"synth_stations", PRC_OPT_INT, "8", 0, 1e5, "number of EM stations"},
  {"synth_station_dt_h", PRC_OPT_REAL, "2", 0.01, 24, "station sampling interval, hours"},
  {"synth_snr_db", PRC_OPT_REAL, "0", -40, 40, "station anomaly power over noise power at the epicentre, dB"},
  {"synth_station_lead_days", PRC_OPT_REAL, "20", 0.5, 48, "station anomaly onset before the event, days"},
  {"synth_station_after_days", PRC_OPT_REAL, "2", 0, 30, "station anomaly decay after the event, days"},
  {"synth_gaps_per_year", PRC_OPT_REAL, "2", 0, 365, "mean number of gaps per station channel per year"},
  {"synth_gap_max_days", PRC_OPT_REAL, "3", 0, 365, "longest gap, days"},
  {"synth_png", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "write PNG quicklooks"},
};

/* Parse "YYYY-MM-DD/M,YYYY-MM-DD/M" into n (times, mags); returns -1 on a syntax error. */
static int parse_scenario(const char *s, int max, double *t, double *m, char *err, size_t errlen)
{
  int n = 0;
  if (!strcmp(s, "none")) return 0;
  char buf[2048];
  snprintf(buf, sizeof buf, "%s", s);
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char *slash = strchr(tok, '/'), *end;
    if (!slash || n >= max) {
      snprintf(err, errlen, "'%s' is not DATE/MAG (at most %d events)", tok, max);
      return -1;
    }
    *slash = '\0';
    if (prc_time_parse(tok, &t[n])) {
      snprintf(err, errlen, "%s", prc_lasterr());
      return -1;
    }
    m[n] = strtod(slash + 1, &end);
    if (*end || !isfinite(m[n])) {
      snprintf(err, errlen, "magnitude '%s' is not a number", slash + 1);
      return -1;
    }
    n++;
  }
  return n;
}

static void synth_validate(prc_opts *o)
{
  double t[64], m[64], t0 = prc_opts_real(o, "synth_start");
  double t1 = t0 + PRC_DAY * (double)prc_opts_int(o, "synth_days");
  char   err[512];
  if (prc_opts_real(o, "synth_cloud_min") > prc_opts_real(o, "synth_cloud_max"))
    prc_opts_violation(o, "-synth_cloud_min %g > -synth_cloud_max %g", prc_opts_real(o, "synth_cloud_min"),
                       prc_opts_real(o, "synth_cloud_max"));
  if (prc_opts_real(o, "synth_mmax") <= prc_opts_real(o, "synth_mc"))
    prc_opts_violation(o, "-synth_mmax %g must exceed -synth_mc %g", prc_opts_real(o, "synth_mmax"), prc_opts_real(o, "synth_mc"));
  double latn = prc_opts_real(o, "synth_lat0") + prc_opts_int(o, "synth_ny") * prc_opts_real(o, "synth_res_km") / 111.195;
  if (latn > 85) prc_opts_violation(o, "the region reaches latitude %.2f > 85 (-synth_lat0, -synth_ny, -synth_res_km)", latn);
  int n = parse_scenario(prc_opts_string(o, "synth_scenario"), 64, t, m, err, sizeof err);
  if (n > 0 && strcmp(prc_opts_string(o, "synth_catalog"), "none"))
    prc_opts_violation(o, "-synth_scenario adds events to the generated catalog; it cannot be combined with -synth_catalog");
  if (n < 0) prc_opts_violation(o, "-synth_scenario: %s", err);
  for (int i = 0; i < n; i++) {
    if (t[i] < t0 || t[i] >= t1) prc_opts_violation(o, "-synth_scenario event %d is outside the span of -synth_start/-synth_days", i + 1);
    if (m[i] < prc_opts_real(o, "synth_mc") || m[i] > prc_opts_real(o, "synth_mmax"))
      prc_opts_violation(o, "-synth_scenario event %d: magnitude %g outside [-synth_mc, -synth_mmax]", i + 1, m[i]);
  }
  double ndays = (double)prc_opts_int(o, "synth_days") * 86400.0 / (prc_opts_real(o, "synth_station_dt_h") * 3600.0);
  if (ndays > 1e9) prc_opts_violation(o, "station records of %.3g samples are too long (-synth_station_dt_h)", ndays);
}

/* ---------------------------------------------------------------------------------- */

typedef struct {
  prc_synth            s;
  prc_synth_net_params q;
  prc_etas_catalog     cat;
  prc_catalog          given; /* subset of -synth_catalog (n = 0 when generated) */
  double               t0; /* epoch seconds of day 0 */
  const char          *out;
  int                  quiet;
  double               interval;
} synth_run;

static PetscErrorCode out_path(const char *dir, const char *name, char *buf, size_t len)
{
  PetscFunctionBeginUser;
  PetscCheck((size_t)snprintf(buf, len, "%s/%s", dir, name) < len, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "output path too long: %s/%s", dir, name);
  PetscFunctionReturn(0);
}

/* Events of a catalog file inside the region and the span become the synthetic region's
 * catalog (every one a "background" event; anomalies follow those with M >= anom_mmin). */
static PetscErrorCode take_catalog(prc_ctx *ctx, synth_run *R, const char *path)
{
  prc_catalog all;
  double      W = R->s.p.nx * R->s.p.res_km, H = R->s.p.ny * R->s.p.res_km, lat1, lon1, t1 = R->t0 + R->s.p.nt * PRC_DAY;
  size_t      n = 0;
  PetscFunctionBeginUser;
  PetscCall(prc_ctx_add_input(ctx, path));
  PetscCall(prc_catalog_read(ctx->comm, path, &all));
  prc_synth_km_to_deg(&R->s, W, H, &lat1, &lon1);
  for (int pass = 0; pass < 2; pass++) {
    n = 0;
    for (size_t i = 0; i < all.n; i++) {
      if (!(all.lat[i] >= R->s.p.lat0 && all.lat[i] < lat1 && all.lon[i] >= R->s.p.lon0 && all.lon[i] < lon1 &&
            all.time[i] >= R->t0 && all.time[i] < t1))
        continue;
      if (pass) {
        R->given.time[n] = all.time[i], R->given.lat[n] = all.lat[i], R->given.lon[n] = all.lon[i];
        R->given.depth_km[n] = all.depth_km[i], R->given.mag[n] = all.mag[i];
        memcpy(R->given.mag_type[n], all.mag_type[i], PRC_MAGTYPE_LEN);
        memcpy(R->given.source[n], all.source[i], PRC_SOURCE_LEN);
        R->cat.t[n] = (all.time[i] - R->t0) / PRC_DAY, R->cat.lat[n] = all.lat[i], R->cat.lon[n] = all.lon[i];
        R->cat.depth_km[n] = all.depth_km[i], R->cat.mag[n] = all.mag[i], R->cat.parent[n] = -1, R->cat.generation[n] = 0;
      }
      n++;
    }
    if (!pass) {
      size_t m = n ? n : 1;
      PetscCall(prc_catalog_alloc(&R->given, n));
      R->cat.n = R->cat.n_background = n;
      R->cat.t = malloc(m * sizeof(double)), R->cat.lat = malloc(m * sizeof(double)), R->cat.lon = malloc(m * sizeof(double));
      R->cat.depth_km = malloc(m * sizeof(double)), R->cat.mag = malloc(m * sizeof(double));
      R->cat.parent = malloc(m * sizeof(int64_t)), R->cat.generation = malloc(m * sizeof(int));
      PetscCheck(R->cat.t && R->cat.lat && R->cat.lon && R->cat.depth_km && R->cat.mag && R->cat.parent && R->cat.generation,
                 PETSC_COMM_SELF, PETSC_ERR_MEM, "out of memory for %zu events", n);
    }
  }
  for (size_t i = 1; i < n; i++)
    PetscCheck(R->given.time[i] >= R->given.time[i - 1], ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
               "'%s': events are not sorted by time (event %zu is earlier than the one before it)", path, i);
  prc_say(ctx->comm, "[synth] %zu of the %zu events of %s are inside the region and span\n", n, all.n, path);
  PetscCall(prc_catalog_free(&all));
  PetscFunctionReturn(0);
}

static PetscErrorCode make_catalog(prc_ctx *ctx, synth_run *R)
{
  const prc_opts         *o = ctx->opts;
  prc_etas_params         ep;
  prc_etas_scenario_event sc[64];
  double                  st[64], sm[64];
  char                    err[512];
  PetscFunctionBeginUser;
  if (strcmp(prc_opts_string(o, "synth_catalog"), "none")) {
    PetscCall(take_catalog(ctx, R, prc_opts_string(o, "synth_catalog")));
    PetscFunctionReturn(0);
  }
  prc_etas_defaults(&ep);
  double W = R->s.p.nx * R->s.p.res_km, H = R->s.p.ny * R->s.p.res_km;
  ep.lat_min = R->s.p.lat0;
  ep.lon_min = R->s.p.lon0;
  prc_synth_km_to_deg(&R->s, W, H, &ep.lat_max, &ep.lon_max);
  ep.t0 = 0;
  ep.t1 = R->s.p.nt;
  ep.m_c = prc_opts_real(o, "synth_mc");
  ep.m_max = prc_opts_real(o, "synth_mmax");
  ep.b = prc_opts_real(o, "synth_b");
  ep.mu = prc_opts_real(o, "synth_rate") * W * H / 1e4;
  ep.K = prc_opts_real(o, "synth_etas_k");
  ep.alpha = prc_opts_real(o, "synth_etas_alpha");
  ep.c = prc_opts_real(o, "synth_etas_c");
  ep.p = prc_opts_real(o, "synth_etas_p");
  ep.fault_len_km = PetscMin(ep.fault_len_km, 0.6 * PetscMax(W, H));
  int n = parse_scenario(prc_opts_string(o, "synth_scenario"), 64, st, sm, err, sizeof err);
  for (int i = 0; i < n; i++) { /* seeded places in the inner 60 % of the region */
    double x = (0.2 + 0.6 * prc_hash_uniform(R->s.p.seed, 77, (uint64_t)i, 0)) * W;
    double y = (0.2 + 0.6 * prc_hash_uniform(R->s.p.seed, 77, (uint64_t)i, 1)) * H;
    sc[i].t = (st[i] - R->t0) / PRC_DAY;
    sc[i].mag = sm[i];
    prc_synth_km_to_deg(&R->s, x, y, &sc[i].lat, &sc[i].lon);
  }
  ep.scenario = sc;
  ep.n_scenario = (size_t)(n > 0 ? n : 0);
  PrcCallK(prc_etas_generate(&ep, R->s.p.seed, &R->cat));
  PetscFunctionReturn(0);
}

static PetscErrorCode write_catalog(prc_ctx *ctx, synth_run *R)
{
  prc_catalog c;
  prc_h5out   f;
  char        path[4096];
  PetscFunctionBeginUser;
  PetscCall(prc_catalog_alloc(&c, R->cat.n));
  for (size_t i = 0; i < R->cat.n; i++) {
    c.time[i] = R->t0 + R->cat.t[i] * PRC_DAY;
    c.lat[i] = R->cat.lat[i];
    c.lon[i] = R->cat.lon[i];
    c.depth_km[i] = R->cat.depth_km[i];
    c.mag[i] = R->cat.mag[i];
    if (R->given.n) {
      memcpy(c.mag_type[i], R->given.mag_type[i], PRC_MAGTYPE_LEN);
      memcpy(c.source[i], R->given.source[i], PRC_SOURCE_LEN);
      c.time[i] = R->given.time[i]; /* exact, not via days */
    } else {
      snprintf(c.mag_type[i], PRC_MAGTYPE_LEN, "ML");
      snprintf(c.source[i], PRC_SOURCE_LEN, "synth");
    }
  }
  PetscCall(out_path(R->out, "catalog.h5", path, sizeof path));
  PetscCall(prc_h5_create(ctx->comm, path, "catalog", &f));
  PetscCall(prc_catalog_write(ctx->comm, f.fid, &c));
  PetscCall(prc_h5_commit(&f, ctx));
  PetscCall(prc_catalog_free(&c));
  PetscFunctionReturn(0);
}

static PetscErrorCode write_lst(prc_ctx *ctx, synth_run *R, int64_t *cloudy)
{
  const prc_synth_params *p = &R->s.p;
  prc_grid_decomp         g;
  prc_h5out               f;
  hid_t                   dset, del;
  char                    path[4096];
  prc_progress            prog;
  float                  *elev, *buf;
  PetscLogEvent           ev_gen, ev_io;
  PetscInt                B = prc_opts_int(ctx->opts, "synth_block_days");
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventRegister("SynthLST", 0, &ev_gen));
  PetscCall(PetscLogEventRegister("SynthLSTWrite", 0, &ev_io));
  PetscCall(prc_grid_decomp_create(ctx->comm, p->nx, p->ny, &g));
  const prc_tile *T = &g.tile;
  size_t          npx = (size_t)T->xm * (size_t)T->ym;
  PetscCall(PetscMalloc2(npx ? npx : 1, &elev, (size_t)B * npx + 1, &buf));
  for (PetscInt j = 0; j < T->ym; j++)
    for (PetscInt i = 0; i < T->xm; i++) elev[j * T->xm + i] = (float)prc_synth_elevation(&R->s, (int)(T->xs + i), (int)(T->ys + j));

  PetscCall(out_path(R->out, "lst.h5", path, sizeof path));
  /* a checkpoint of an interrupted run with the same options: continue its lst.h5 */
  char          ck[4200], tmp[4200];
  unsigned long fp = prc_opts_fingerprint(ctx->opts);
  int           have_ck = 0, t_start = 0;
  prc_checkpoint_path(ctx, ck, sizeof ck);
  if (!ctx->rank) have_ck = access(ck, F_OK) == 0;
  PetscCallMPI(MPI_Bcast(&have_ck, 1, MPI_INT, 0, ctx->comm));
  if (have_ck) {
    hid_t  cf;
    char   magic[64], stage[32];
    double v, next, ofp;
    PetscCall(prc_h5_open(ctx->comm, ck, &cf));
    PetscCall(prc_h5_attr_get_str(cf, "magic", magic, sizeof magic, NULL));
    PetscCall(prc_h5_attr_get_str(cf, "stage", stage, sizeof stage, NULL));
    PetscCall(prc_h5_attr_get_double(cf, "format_version", &v, NULL));
    PetscCall(prc_h5_attr_get_double(cf, "options_crc32", &ofp, NULL));
    PetscCall(prc_h5_attr_get_double(cf, "next_day", &next, NULL));
    PetscCall(prc_h5_attr_get_str(cf, "lst_tmp", tmp, sizeof tmp, NULL));
    PetscCheck(!strcmp(magic, PRC_CHECKPOINT_MAGIC) && !strcmp(stage, "synth") && v == PRC_CHECKPOINT_VERSION, ctx->comm,
               PETSC_ERR_FILE_UNEXPECTED, "'%s' is not a synth checkpoint of format %d", ck, PRC_CHECKPOINT_VERSION);
    PetscCheck((unsigned long)ofp == fp, ctx->comm, PETSC_ERR_ARG_WRONG,
               "the checkpoint '%s' belongs to a run with other options; remove it or use another -out_dir", ck);
    PetscCheck(next >= 0 && next < p->nt, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': next_day %g outside the span", ck, next);
    t_start = (int)next;
    hsize_t zero = 0, n = (hsize_t)t_start;
    int64_t *saved;
    PetscCall(PetscMalloc1(n + 1, &saved));
    PetscCall(prc_h5_read_nd(cf, "cloudy_pixels", H5T_NATIVE_INT64, &zero, &n, saved));
    for (int t = 0; t < t_start; t++) cloudy[t] = ctx->rank ? 0 : saved[t]; /* summed over ranks at the end */
    PetscCall(PetscFree(saved));
    PetscCall(prc_h5_close(cf));
    PetscCall(prc_h5_reopen(ctx->comm, tmp, path, &f));
    dset = H5Dopen2(f.fid, "lst", H5P_DEFAULT);
    PetscCheck(dset >= 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "cannot resume: '%s' has no /lst", tmp);
    prc_say(ctx->comm, "[synth] resuming from the checkpoint %s at day %d of %d\n", ck, t_start, p->nt);
  } else {
  PetscCall(prc_h5_create(ctx->comm, path, "grid", &f));
  /* axes (rank 0 writes; pixel centres) */
  double *lat, *lon, *tim;
  PetscCall(PetscMalloc3(p->ny, &lat, p->nx, &lon, p->nt, &tim));
  for (int j = 0; j < p->ny; j++) prc_synth_km_to_deg(&R->s, 0, (j + 0.5) * p->res_km, &lat[j], &lon[0]);
  for (int i = 0; i < p->nx; i++) prc_synth_km_to_deg(&R->s, (i + 0.5) * p->res_km, 0, &tim[0], &lon[i]);
  for (int t = 0; t < p->nt; t++) tim[t] = R->t0 + t * PRC_DAY;
  PetscCall(prc_h5_write_col(ctx->comm, f.fid, "lat", H5T_NATIVE_DOUBLE, (hsize_t)p->ny, lat));
  PetscCall(prc_h5_write_col(ctx->comm, f.fid, "lon", H5T_NATIVE_DOUBLE, (hsize_t)p->nx, lon));
  PetscCall(prc_h5_write_col(ctx->comm, f.fid, "time", H5T_NATIVE_DOUBLE, (hsize_t)p->nt, tim));
  PetscCall(PetscFree3(lat, lon, tim));
  PetscCall(prc_h5_attr_double(f.fid, "res_km", p->res_km));
  PetscCall(prc_h5_attr_str(f.fid, "grid_mapping", "regular lat/lon, pixel centres in /lat, /lon"));
  PetscCall(prc_h5_grid_create(f.fid, "elevation", 0, (hsize_t)p->ny, (hsize_t)p->nx, 1, "m", &del));
  PetscCall(prc_h5_tile_write(del, T, 0, 0, elev));
  H5Dclose(del);
  PetscCall(prc_h5_grid_create(f.fid, "lst", (hsize_t)p->nt, (hsize_t)p->ny, (hsize_t)p->nx, 366, "K", &dset));
  PetscCall(prc_h5_attr_str(dset, "long_name", "land surface temperature (night)"));
  PetscCall(prc_h5_attr_str(dset, "missing", "NaN = cloud / no data"));
  }

  PetscInt stop_after = prc_opts_int(ctx->opts, "checkpoint_after_blocks"), blocks = 0;
  prc_progress_start(&prog, ctx->comm, "synth", "LST grid", "pixel-days", (double)npx * (p->nt - t_start), R->interval, R->quiet);
  for (int t0 = t_start; t0 < p->nt; t0 += (int)B) {
    int nt = (int)PetscMin(B, p->nt - t0);
    PetscCall(PetscLogEventBegin(ev_gen, 0, 0, 0, 0));
    for (int tt = 0; tt < nt; tt++)
      cloudy[t0 + tt] = prc_synth_lst_block(&R->s, (int)T->xs, (int)T->ys, (int)T->xm, (int)T->ym, t0 + tt, 1, elev,
                                            buf + (size_t)tt * npx, NULL);
    PetscCall(PetscLogEventEnd(ev_gen, 0, 0, 0, 0));
    PetscCall(PetscLogEventBegin(ev_io, 0, 0, 0, 0));
    PetscCall(prc_h5_tile_write(dset, T, (hsize_t)t0, (hsize_t)nt, buf));
    PetscCall(PetscLogEventEnd(ev_io, 0, 0, 0, 0));
    prc_progress_update(&prog, (double)npx * (t0 + nt - t_start));
    PetscBool stop;
    if (stop_after && ++blocks == stop_after) prc_request_stop();
    PetscCall(prc_stop_requested(ctx->comm, &stop));
    if (stop && t0 + nt < p->nt) { /* checkpoint: keep lst.h5's temporary file, record where we are */
      prc_h5out c;
      int64_t  *part;
      hsize_t   n = (hsize_t)(t0 + nt);
      H5Dclose(dset);
      PetscCall(prc_h5_suspend(&f));
      PetscCall(PetscMalloc1(n, &part));
      PetscCallMPI(MPI_Allreduce(cloudy, part, (int)n, MPI_INT64_T, MPI_SUM, ctx->comm));
      PetscCall(prc_h5_create(ctx->comm, ck, "checkpoint", &c));
      PetscCall(prc_h5_attr_str(c.fid, "magic", PRC_CHECKPOINT_MAGIC));
      PetscCall(prc_h5_attr_double(c.fid, "format_version", PRC_CHECKPOINT_VERSION));
      PetscCall(prc_h5_attr_str(c.fid, "stage", "synth"));
      PetscCall(prc_h5_attr_double(c.fid, "options_crc32", (double)fp));
      PetscCall(prc_h5_attr_double(c.fid, "next_day", (double)(t0 + nt)));
      PetscCall(prc_h5_attr_str(c.fid, "lst_tmp", f.tmp));
      PetscCall(prc_h5_write_col(ctx->comm, c.fid, "cloudy_pixels", H5T_NATIVE_INT64, n, part));
      PetscCall(prc_h5_commit(&c, ctx));
      PetscCall(PetscFree(part));
      prc_say(ctx->comm, "[synth] checkpoint written at day %d of %d: %s\n", t0 + nt, p->nt, ck);
      PetscCall(PetscFree2(elev, buf));
      PetscCall(prc_grid_decomp_destroy(&g));
      PetscFunctionReturn(PRC_ERR_CHECKPOINTED);
    }
  }
  prc_progress_end(&prog);
  H5Dclose(dset);
  PetscCall(prc_h5_commit(&f, ctx));
  if (have_ck && !ctx->rank) unlink(ck); /* finished: the checkpoint is spent */
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, cloudy, p->nt, MPI_INT64_T, MPI_SUM, ctx->comm));
  PetscCall(PetscFree2(elev, buf));
  PetscCall(prc_grid_decomp_destroy(&g));
  PetscFunctionReturn(0);
}

static PetscErrorCode write_stations(prc_ctx *ctx, synth_run *R)
{
  const prc_synth_net_params *q = &R->q;
  int                         ns = q->nstations;
  prc_stations_out            w;
  prc_station                *st;
  char                        path[4096];
  prc_progress                prog;
  int                        *owner;
  int64_t                    *len;
  double                     *val, *xs, *ys;
  PetscFunctionBeginUser;
  PetscCall(PetscMalloc6(ns + 1, &owner, ns + 1, &len, (size_t)q->nsamples, &val, ns + 1, &xs, ns + 1, &ys, ns + 1, &st));
  for (int i = 0; i < ns; i++) len[i] = q->nsamples, prc_synth_station_xy(&R->s, q->seed, i, &xs[i], &ys[i]);
  PetscCheck(!prc_partition_weighted(len, ns, ctx->size, owner), PETSC_COMM_SELF, PETSC_ERR_PLIB, "station partition failed");
  for (int i = 0; i < ns; i++) {
    snprintf(st[i].code, sizeof st[i].code, "S%03d", i + 1);
    prc_synth_km_to_deg(&R->s, xs[i], ys[i], &st[i].lat, &st[i].lon);
    st[i].elevation_m = prc_synth_elevation(&R->s, (int)(xs[i] / R->s.p.res_km), (int)(ys[i] / R->s.p.res_km));
  }
  PetscCall(out_path(R->out, "stations.h5", path, sizeof path));
  PetscCall(prc_stations_create(ctx->comm, path, ns, st, &w));
  int64_t mine = 0;
  for (int i = 0; i < ns; i++) mine += owner[i] == ctx->rank;
  prc_progress_start(&prog, ctx->comm, "synth", "stations", "samples", (double)mine * PRC_SYNTH_NCHAN * (double)q->nsamples,
                     R->interval, R->quiet);
  double done = 0;
  for (int i = 0; i < ns; i++)
    for (int c = 0; c < PRC_SYNTH_NCHAN; c++) {
      int64_t maxg = prc_synth_station_gap_bound(q, i, c), *gs, *gc, *gap2;
      PetscCall(PetscMalloc3(maxg + 1, &gs, maxg + 1, &gc, 2 * maxg + 2, &gap2));
      int ng = prc_synth_station_gaps(q, i, c, (int)maxg, gs, gc), me = owner[i] == ctx->rank;
      if (me) {
        prc_synth_station_series(&R->s, q, i, c, xs[i], ys[i], val, NULL);
        for (int k = 0; k < ng; k++)
          for (int64_t s = gs[k]; s < gs[k] + gc[k]; s++) val[s] = NAN;
      }
      for (int k = 0; k < ng; k++) gap2[2 * k] = gs[k], gap2[2 * k + 1] = gc[k];
      prc_channel_meta m = {.start_time = R->t0, .dt = q->dt_s, .n = q->nsamples, .n_gaps = ng};
      snprintf(m.units, sizeof m.units, "%s", prc_synth_channels[c].units);
      PetscCall(prc_stations_write_channel(&w, st[i].code, prc_synth_channels[c].name, &m, owner[i], val, gap2));
      PetscCall(PetscFree3(gs, gc, gap2));
      if (me) prc_progress_update(&prog, done += (double)q->nsamples);
    }
  prc_progress_end(&prog);
  PetscCall(prc_stations_commit(&w, ctx));
  PetscCall(PetscFree6(owner, len, val, xs, ys, st));
  PetscFunctionReturn(0);
}

static PetscErrorCode write_truth(prc_ctx *ctx, synth_run *R, const int64_t *cloudy)
{
  const prc_synth *s = &R->s;
  prc_h5out        f;
  char             path[4096];
  hid_t            g;
  int              na = s->nanom, nt = s->p.nt;
  PetscFunctionBeginUser;
  PetscCall(out_path(R->out, "truth.h5", path, sizeof path));
  PetscCall(prc_h5_create(ctx->comm, path, "truth", &f));
  double *col;
  PetscCall(PetscMalloc1((size_t)(na > nt ? na : nt) * 2 + 2, &col));
  PetscCall(prc_h5_group(f.fid, "anomalies", &g));
  PetscCall(prc_h5_attr_str(g, "description", "LST and station precursors injected before catalog events with M >= synth_anom_mmin"));
  const char *names[] = {"event", "time", "lat", "lon", "mag", "amp_k", "radius_km", "onset_time", "end_time", "dobrovolsky_km"};
  for (int c = 0; c < 10; c++) {
    for (int a = 0; a < na; a++) {
      const prc_synth_anomaly *A = &s->anom[a];
      double lat, lon;
      prc_synth_km_to_deg(s, A->x_km, A->y_km, &lat, &lon);
      double v[] = {A->event, R->t0 + A->t_day * PRC_DAY, lat, lon, A->mag, A->amp_k, A->radius_km,
                    R->t0 + (A->t_day - s->p.anom_lead_days) * PRC_DAY, R->t0 + (A->t_day + s->p.anom_after_days) * PRC_DAY,
                    prc_synth_dobrovolsky_km(A->mag)};
      col[a] = v[c];
    }
    PetscCall(prc_h5_write_col(ctx->comm, g, names[c], H5T_NATIVE_DOUBLE, (hsize_t)na, col));
  }
  H5Gclose(g);
  PetscCall(prc_h5_group(f.fid, "cloud", &g));
  for (int t = 0; t < nt; t++) col[t] = s->day[t].cloud_target;
  PetscCall(prc_h5_write_col(ctx->comm, g, "target_fraction", H5T_NATIVE_DOUBLE, (hsize_t)nt, col));
  for (int t = 0; t < nt; t++) col[t] = (double)cloudy[t] / ((double)s->p.nx * s->p.ny);
  PetscCall(prc_h5_write_col(ctx->comm, g, "actual_fraction", H5T_NATIVE_DOUBLE, (hsize_t)nt, col));
  H5Gclose(g);
  PetscCall(prc_h5_group(f.fid, "catalog_branching", &g));
  PetscCall(prc_h5_write_col(ctx->comm, g, "parent", H5T_NATIVE_INT64, (hsize_t)R->cat.n, R->cat.parent));
  PetscCall(prc_h5_write_col(ctx->comm, g, "generation", H5T_NATIVE_INT, (hsize_t)R->cat.n, R->cat.generation));
  H5Gclose(g);
  PetscCall(prc_h5_attr_double(f.fid, "station_snr_db", R->q.snr_db));
  PetscCall(prc_h5_attr_double(f.fid, "station_lead_days", R->q.lead_days));
  PetscCall(prc_h5_attr_double(f.fid, "station_after_days", R->q.after_days));
  PetscCall(PetscFree(col));
  PetscCall(prc_h5_commit(&f, ctx));
  PetscFunctionReturn(0);
}

/* Quicklooks, rank 0 only, from the files just written (serial HDF5, strided reads so a
 * national grid becomes <= 512 px). Kernel errors become PETSc errors on rank 0 only, so
 * the caller checks the outcome collectively. */
static PetscErrorCode quicklooks(prc_ctx *ctx, synth_run *R, const int64_t *cloudy, int *ok)
{
  const prc_synth *s = &R->s;
  char             path[4096], title[256], d0[32];
  int              nt = s->p.nt;
  PetscFunctionBeginUser;
  *ok = 1;
  /* day shown: the day before the largest anomaly's event (peak of the precursor) */
  int best = -1;
  for (int a = 0; a < s->nanom; a++)
    if (s->anom[a].t_day >= 1 && (best < 0 || s->anom[a].mag > s->anom[best].mag)) best = a;
  int     day = best >= 0 ? (int)floor(s->anom[best].t_day) - 1 : nt / 2;
  hsize_t stride = (hsize_t)PetscMax(1, (PetscMax(s->p.nx, s->p.ny) + 511) / 512);
  hsize_t qx = ((hsize_t)s->p.nx + stride - 1) / stride, qy = ((hsize_t)s->p.ny + stride - 1) / stride;
  float  *img, *elev;
  PetscCall(PetscMalloc2(qx * qy, &img, qx * qy, &elev));
  PetscCall(out_path(R->out, "lst.h5", path, sizeof path));
  hid_t fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  PetscCheck(fid >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot reopen '%s' for quicklooks", path);
  const char *dsn[2] = {"lst", "elevation"};
  float      *dst[2] = {img, elev};
  for (int k = 0; k < 2; k++) {
    hid_t   d = H5Dopen2(fid, dsn[k], H5P_DEFAULT), fsp = H5Dget_space(d);
    hsize_t st3[3] = {(hsize_t)day, 0, 0}, sd3[3] = {1, stride, stride}, ct3[3] = {1, qy, qx};
    int     off = k ? 1 : 0;
    H5Sselect_hyperslab(fsp, H5S_SELECT_SET, st3 + off, sd3 + off, ct3 + off, NULL);
    hid_t msp = H5Screate_simple(3 - off, ct3 + off, NULL);
    herr_t e = H5Dread(d, H5T_NATIVE_FLOAT, msp, fsp, H5P_DEFAULT, dst[k]);
    H5Sclose(msp), H5Sclose(fsp), H5Dclose(d);
    PetscCheck(e >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "quicklook read of /%s from '%s' failed", dsn[k], path);
  }
  H5Fclose(fid);
  /* markers: M >= anom_mmin epicentres (circles), stations (crosses) */
  prc_marker *mk;
  int         nm = 0;
  PetscCall(PetscMalloc1(s->nanom + R->q.nstations + 1, &mk));
  for (int a = 0; a < s->nanom; a++)
    mk[nm++] = (prc_marker){(s->anom[a].x_km / s->p.res_km - 0.5) / stride, (s->anom[a].y_km / s->p.res_km - 0.5) / stride,
                            PRC_MARK_CIRCLE, a == best ? 9 : 6, a == best ? 0xFF00FF : 0xFFFFFF};
  int nev_only = nm;
  for (int i = 0; i < R->q.nstations; i++) {
    double x, y;
    prc_synth_station_xy(s, R->q.seed, i, &x, &y);
    mk[nm++] = (prc_marker){(x / s->p.res_km - 0.5) / stride, (y / s->p.res_km - 0.5) / stride, PRC_MARK_CROSS, 5, 0x000000};
  }
  prc_time_format(R->t0 + day * PRC_DAY, d0, sizeof d0);
  d0[10] = '\0';
  snprintf(title, sizeof title, "synthetic night LST %s (grey: cloud; o: M>=%.1f epicentres)", d0, s->p.anom_mmin);
  prc_map_style ms = {.title = title, .cbar_label = "K", .cmap = PRC_CMAP_VIRIDIS, .markers = mk, .nmarkers = nev_only};
  PetscCall(out_path(R->out, "lst_day.png", path, sizeof path));
  if (prc_plot_map_png(path, img, (int)qx, (int)qy, &ms)) *ok = 0;
  ms = (prc_map_style){.title = "elevation (o: M>=anom_mmin epicentres, x: EM stations)", .cbar_label = "m",
                       .cmap = PRC_CMAP_VIRIDIS, .markers = mk, .nmarkers = nm};
  PetscCall(out_path(R->out, "elevation.png", path, sizeof path));
  if (*ok && prc_plot_map_png(path, elev, (int)qx, (int)qy, &ms)) *ok = 0;
  /* injected anomaly of that day (truth), computed directly on the quicklook grid */
  if (best >= 0 && *ok && stride == 1) {
    float *lst1, *an;
    PetscCall(PetscMalloc2(qx * qy, &lst1, qx * qy, &an));
    prc_synth_lst_block(s, 0, 0, s->p.nx, s->p.ny, day, 1, elev, lst1, an);
    snprintf(title, sizeof title, "injected LST anomaly (truth) %s, M%.1f", d0, s->anom[best].mag);
    ms = (prc_map_style){.title = title, .cbar_label = "K", .cmap = PRC_CMAP_DIVERGING, .markers = mk, .nmarkers = nev_only};
    PetscCall(out_path(R->out, "anomaly_truth.png", path, sizeof path));
    if (prc_plot_map_png(path, an, (int)qx, (int)qy, &ms)) *ok = 0;
    PetscCall(PetscFree2(lst1, an));
  }
  PetscCall(PetscFree(mk));
  PetscCall(PetscFree2(img, elev));

  /* cloud fraction per day */
  double *x, *y1, *y2, *ev;
  PetscCall(PetscMalloc4(nt, &x, nt, &y1, nt, &y2, s->nanom + 1, &ev));
  for (int t = 0; t < nt; t++) x[t] = t, y1[t] = s->day[t].cloud_target, y2[t] = (double)cloudy[t] / ((double)s->p.nx * s->p.ny);
  for (int a = 0; a < s->nanom; a++) ev[a] = s->anom[a].t_day;
  prc_series      cs[2] = {{x, y1, nt, "target", 0x1F77B4}, {x, y2, nt, "actual", 0xFF7F0E}};
  prc_lines_style ls = {.title = "daily cloud fraction", .xlabel = "day of span", .ylabel = "fraction", .ymin = 0, .ymax = 1};
  PetscCall(out_path(R->out, "cloud_fraction.png", path, sizeof path));
  if (*ok && prc_plot_lines_png(path, cs, 2, &ls)) *ok = 0;
  /* catalog: magnitude vs time (points) with anomaly events marked */
  size_t  nc = R->cat.n;
  double *cx, *cy;
  PetscCall(PetscMalloc2(2 * nc + 1, &cx, 2 * nc + 1, &cy));
  for (size_t i = 0; i < nc; i++) cx[2 * i] = R->cat.t[i], cy[2 * i] = R->cat.mag[i], cx[2 * i + 1] = cy[2 * i + 1] = NAN;
  prc_series ps = {cx, cy, (int)(2 * nc), "events", 0x1F77B4};
  ls = (prc_lines_style){.title = "synthetic catalog (ETAS): magnitude vs time", .xlabel = "day of span", .ylabel = "M",
                         .vlines = ev, .nvlines = s->nanom, .hline_on = 1, .hline = s->p.anom_mmin};
  PetscCall(out_path(R->out, "catalog_mt.png", path, sizeof path));
  if (*ok && prc_plot_lines_png(path, &ps, 1, &ls)) *ok = 0;
  PetscCall(PetscFree2(cx, cy));
  /* station S001: the five channels, standardised and stacked */
  if (R->q.nstations > 0 && *ok) {
    int64_t n = R->q.nsamples;
    double *sx, *sy, xkm, ykm;
    PetscCall(PetscMalloc2(n, &sx, PRC_SYNTH_NCHAN * n, &sy));
    prc_synth_station_xy(s, R->q.seed, 0, &xkm, &ykm);
    prc_series ss[PRC_SYNTH_NCHAN];
    for (int c = 0; c < PRC_SYNTH_NCHAN; c++) {
      double  *v = sy + c * n, m = 0, sd = 0;
      int64_t  maxg = prc_synth_station_gap_bound(&R->q, 0, c), *gs, *gc;
      PetscCall(PetscMalloc2(maxg + 1, &gs, maxg + 1, &gc));
      int ng = prc_synth_station_gaps(&R->q, 0, c, (int)maxg, gs, gc);
      prc_synth_station_series(s, &R->q, 0, c, xkm, ykm, v, NULL);
      for (int64_t i = 0; i < n; i++) m += v[i];
      m /= (double)n;
      for (int64_t i = 0; i < n; i++) sd += (v[i] - m) * (v[i] - m);
      sd = sqrt(sd / (double)n) + 1e-30;
      for (int64_t i = 0; i < n; i++) v[i] = (v[i] - m) / sd + 6.0 * (PRC_SYNTH_NCHAN - 1 - c), sx[i] = (double)i * R->q.dt_s / PRC_DAY;
      for (int k = 0; k < ng; k++)
        for (int64_t i = gs[k]; i < gs[k] + gc[k]; i++) v[i] = NAN;
      PetscCall(PetscFree2(gs, gc));
      ss[c] = (prc_series){sx, v, (int)n, prc_synth_channels[c].name, 0};
    }
    snprintf(title, sizeof title, "station S001, five channels standardised and offset (SNR %g dB; red: M>=%.1f events)",
             R->q.snr_db, s->p.anom_mmin);
    ls = (prc_lines_style){.title = title, .xlabel = "day of span", .ylabel = "z-score + offset", .vlines = ev,
                           .nvlines = s->nanom, .width = 1200, .height = 600};
    PetscCall(out_path(R->out, "station_S001.png", path, sizeof path));
    if (prc_plot_lines_png(path, ss, PRC_SYNTH_NCHAN, &ls)) *ok = 0;
    PetscCall(PetscFree2(sx, sy));
  }
  PetscCall(PetscFree4(x, y1, y2, ev));
  if (!*ok) PetscCall(PetscPrintf(PETSC_COMM_SELF, "precursor synth: quicklook failed: %s\n", prc_lasterr()));
  PetscFunctionReturn(0);
}

static PetscErrorCode synth_run_stage(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  synth_run       R;
  int64_t        *cloudy;
  PetscFunctionBeginUser;
  memset(&R, 0, sizeof R);
  R.out = prc_opts_string(o, "out_dir");
  R.quiet = prc_opts_bool(o, "quiet");
  R.interval = prc_opts_real(o, "progress_interval");
  R.t0 = prc_opts_real(o, "synth_start");
  prc_synth_params p = {
    .nx = (int)prc_opts_int(o, "synth_nx"), .ny = (int)prc_opts_int(o, "synth_ny"), .nt = (int)prc_opts_int(o, "synth_days"),
    .res_km = prc_opts_real(o, "synth_res_km"), .lat0 = prc_opts_real(o, "synth_lat0"), .lon0 = prc_opts_real(o, "synth_lon0"),
    .t_start = R.t0, .seed = (uint64_t)prc_opts_int(o, "seed"), .mean_k = prc_opts_real(o, "synth_mean_k"),
    .annual_amp_k = prc_opts_real(o, "synth_annual_amp_k"), .lapse_k_per_km = prc_opts_real(o, "synth_lapse"),
    .lat_grad_k_per_deg = prc_opts_real(o, "synth_lat_grad"), .synoptic_k = prc_opts_real(o, "synth_synoptic_k"),
    .synoptic_corr = prc_opts_real(o, "synth_synoptic_corr"), .noise_k = prc_opts_real(o, "synth_noise_k"),
    .cloud_min = prc_opts_real(o, "synth_cloud_min"), .cloud_max = prc_opts_real(o, "synth_cloud_max"),
    .cloud_scale_km = prc_opts_real(o, "synth_cloud_scale_km"), .anom_mmin = prc_opts_real(o, "synth_anom_mmin"),
    .anom_amp_k = prc_opts_real(o, "synth_anom_amp_k"), .anom_radius_km = prc_opts_real(o, "synth_anom_radius_km"),
    .anom_lead_days = prc_opts_real(o, "synth_anom_lead_days"), .anom_after_days = prc_opts_real(o, "synth_anom_after_days")};
  PrcCallK(prc_synth_init(&R.s, &p));
  R.q = (prc_synth_net_params){.nstations = (int)prc_opts_int(o, "synth_stations"),
                               .dt_s = prc_opts_real(o, "synth_station_dt_h") * 3600,
                               .snr_db = prc_opts_real(o, "synth_snr_db"),
                               .lead_days = prc_opts_real(o, "synth_station_lead_days"),
                               .after_days = prc_opts_real(o, "synth_station_after_days"),
                               .gaps_per_year = prc_opts_real(o, "synth_gaps_per_year"),
                               .gap_max_days = prc_opts_real(o, "synth_gap_max_days"),
                               .seed = p.seed ^ 0x5157a710ULL};
  R.q.nsamples = (int64_t)floor(p.nt * PRC_DAY / R.q.dt_s);

  PetscCall(make_catalog(ctx, &R));
  {
    size_t  n = R.cat.n;
    double *t = R.cat.t;
    PrcCallK(prc_synth_set_anomalies(&R.s, (int)n, t, R.cat.lat, R.cat.lon, R.cat.mag));
  }
  prc_say(ctx->comm,
                        "[synth] region %d x %d px at %g km from (%.3f N, %.3f E), %d days; catalog %zu events, %d with "
                        "M >= %.1f (injected precursors); %d stations x %d channels x %lld samples; %d ranks\n",
                        p.nx, p.ny, p.res_km, p.lat0, p.lon0, p.nt, R.cat.n, R.s.nanom, p.anom_mmin, R.q.nstations,
                        PRC_SYNTH_NCHAN, (long long)R.q.nsamples, ctx->size);
  PetscCall(write_catalog(ctx, &R));
  PetscCall(PetscCalloc1(p.nt, &cloudy));
  PetscCall(write_lst(ctx, &R, cloudy));
  PetscCall(write_stations(ctx, &R));
  PetscCall(write_truth(ctx, &R, cloudy));
  int ok = 1;
  if (prc_opts_bool(o, "synth_png") && !ctx->rank) PetscCall(quicklooks(ctx, &R, cloudy, &ok));
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, ctx->comm));
  PetscCheck(ok, ctx->comm, PETSC_ERR_FILE_WRITE, "writing the PNG quicklooks in '%s' failed (see above)", R.out);
  double cf = 0;
  for (int t = 0; t < p.nt; t++) cf += (double)cloudy[t];
  prc_say(ctx->comm, "[synth] mean cloud fraction %.3f; outputs in %s/ (catalog.h5 lst.h5 stations.h5 truth.h5%s)\n",
                        cf / ((double)p.nx * p.ny * p.nt), R.out, prc_opts_bool(o, "synth_png") ? " *.png" : "");
  PetscCall(PetscFree(cloudy));
  prc_etas_catalog_free(&R.cat);
  PetscCall(prc_catalog_free(&R.given));
  prc_synth_free(&R.s);
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_synth = {"synth", "generate the synthetic region (LST stack, catalog, EM stations, truth)",
                                   synth_opts, (int)(sizeof synth_opts / sizeof synth_opts[0]), synth_validate,
                                   synth_run_stage};

/* stage_synth_waves.c — `precursor synth-waves`: a continuous 3-component record with
 * events injected at known times, for the detection floor of the event detector
 * (docs/DETECTION.md "Synthetic waveforms").
 *
 * Origin times: a Poisson process of -sw_events_per_hour with a minimum separation; each
 * injected event takes the epicentre, depth, magnitude and location class of an event drawn
 * from the catalog (within -sw_max_dist_km of the station). The record: unit-RMS AR(1)
 * background noise on E, N, Z plus, per event, a P burst (mostly vertical and radial) at
 * distance / vp and an S burst (mostly transverse) at distance / vs, frequencies decaying
 * with distance, S peak amplitude 10^(SNR/20) x noise RMS. Everything is a function of
 * (seed, row block, event), so ranks generate their own row blocks and the file is
 * bitwise identical on any rank count. Outputs: waveforms.h5 (kind waveforms, one set,
 * category "continuous") and events.h5 (kind catalog: the injected events, with their
 * location classes and the columns snr_db, distance_km, back_azimuth_deg, p_time, s_time). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/catalog.h"
#include "precursor/decomp.h"
#include "precursor/detect.h"
#include "precursor/error.h"
#include "precursor/h5io.h"
#include "precursor/plot.h"
#include "precursor/progress.h"
#include "precursor/rng.h"
#include "precursor/stage.h"
#include "precursor/timeutil.h"
#include "precursor/waveforms.h"

static const prc_opt_spec sw_opts[] = {
  {"sw_catalog", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "catalog whose events (epicentre, depth, magnitude, location class) are injected"},
  {"sw_station_lat", PRC_OPT_STRING, "auto", PRC_NO_RANGE, "station latitude (degrees), or auto: the mean of the catalog's (clustered) epicentres"},
  {"sw_station_lon", PRC_OPT_STRING, "auto", PRC_NO_RANGE, "station longitude (degrees), or auto: the mean of the catalog's (clustered) epicentres"},
  {"sw_start", PRC_OPT_DATE, "2020-01-01", PRC_NO_RANGE, "start of the record (UTC)"},
  {"sw_hours", PRC_OPT_REAL, "1", 0.001, 1e5, "length of the record (hours)"},
  {"sw_rate", PRC_OPT_REAL, "100", 1, 1e5, "sampling rate (Hz)"},
  {"sw_events_per_hour", PRC_OPT_REAL, "30", 0, 1e5, "mean rate of injected events (Poisson)"},
  {"sw_min_separation_s", PRC_OPT_REAL, "60", 0, 1e6, "minimum time between injected origins (s)"},
  {"sw_max_dist_km", PRC_OPT_REAL, "100", 0.1, 20000, "only catalog events within this epicentral distance of the station are drawn"},
  {"sw_snr_db", PRC_OPT_REAL, "10", -60, 100, "S-wave peak amplitude over the noise RMS (dB), centre of the range"},
  {"sw_snr_spread_db", PRC_OPT_REAL, "0", 0, 100, "each event's SNR uniform in snr +- spread (dB)"},
  {"sw_noise_corr", PRC_OPT_REAL, "0.6", 0, 0.999, "AR(1) coefficient of the background noise"},
  {"sw_vp", PRC_OPT_REAL, "6.0", 0.1, 20, "P velocity (km/s)"},
  {"sw_vs", PRC_OPT_REAL, "3.5", 0.1, 20, "S velocity (km/s), below vp"},
  {"sw_fp", PRC_OPT_REAL, "8", 0.01, 1000, "P dominant frequency at zero distance (Hz), below rate / 2"},
  {"sw_fs", PRC_OPT_REAL, "4", 0.01, 1000, "S dominant frequency at zero distance (Hz), below rate / 2"},
  {"sw_q_km", PRC_OPT_REAL, "100", 0.1, 1e6, "distance over which the dominant frequencies halve: f(d) = f0 / (1 + d / q)"},
  {"sw_p_dur", PRC_OPT_REAL, "0.8", 0.01, 100, "P coda e-folding time (s)"},
  {"sw_s_dur", PRC_OPT_REAL, "1.5", 0.01, 100, "S coda e-folding time (s)"},
  {"sw_s_to_p", PRC_OPT_REAL, "3", 0.1, 100, "S / P peak amplitude ratio"},
  {"sw_gaps", PRC_OPT_INT, "0", 0, 1000000, "gaps (NaN runs of 1-30 s at random times) cut into the record"},
  {"sw_png", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "write synth_waves.png (the first minutes of the record with the injected origins)"},
};

/* "auto" -> NAN; a number in [lo, hi]; else 1 */
static int coord(const char *s, double lo, double hi, double *v)
{
  char *e;
  if (!strcmp(s, "auto")) return *v = NAN, 0;
  *v = strtod(s, &e);
  return e == s || *e || !(*v >= lo && *v <= hi);
}

static void sw_validate(prc_opts *o)
{
  double v;
  if (coord(prc_opts_string(o, "sw_station_lat"), -90, 90, &v)) prc_opts_violation(o, "-sw_station_lat '%s': auto or degrees in [-90, 90]", prc_opts_string(o, "sw_station_lat"));
  if (coord(prc_opts_string(o, "sw_station_lon"), -180, 360, &v)) prc_opts_violation(o, "-sw_station_lon '%s': auto or degrees in [-180, 360]", prc_opts_string(o, "sw_station_lon"));
  double r = prc_opts_real(o, "sw_rate");
  if (prc_opts_real(o, "sw_vs") >= prc_opts_real(o, "sw_vp")) prc_opts_violation(o, "-sw_vs must be below -sw_vp");
  if (prc_opts_real(o, "sw_fp") >= r / 2 || prc_opts_real(o, "sw_fs") >= r / 2)
    prc_opts_violation(o, "-sw_fp and -sw_fs must be below the Nyquist frequency (%g Hz)", r / 2);
  if (prc_opts_real(o, "sw_hours") * 3600 * r > 4e9) prc_opts_violation(o, "record of %.3g samples: at most 4e9", prc_opts_real(o, "sw_hours") * 3600 * r);
}

#define KM_PER_DEG 111.195

static PetscErrorCode sw_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  const char     *od = prc_opts_string(o, "out_dir"), *catp = prc_opts_string(o, "sw_catalog");
  const uint64_t  seed = (uint64_t)prc_opts_int(o, "seed");
  const double    rate = prc_opts_real(o, "sw_rate"), t0 = prc_opts_real(o, "sw_start"), dur = prc_opts_real(o, "sw_hours") * 3600;
  char            path[4200];
  PetscFunctionBeginUser;
  prc_catalog cat;
  PetscCall(prc_catalog_read(ctx->comm, catp, &cat));
  PetscCall(prc_ctx_add_input(ctx, catp));
  int  *ccls = NULL;
  hid_t cf;
  PetscCall(prc_h5_open(ctx->comm, catp, &cf));
  if (H5Lexists(cf, "catalog/cluster", H5P_DEFAULT) > 0) {
    hsize_t s0[1] = {0}, c1[1] = {cat.n};
    PetscCall(PetscMalloc1(cat.n + 1, &ccls));
    PetscCall(prc_h5_read_nd(cf, "catalog/cluster", H5T_NATIVE_INT, s0, c1, ccls));
  }
  PetscCall(prc_h5_close(cf));
  double slat, slon;
  coord(prc_opts_string(o, "sw_station_lat"), -90, 90, &slat);
  coord(prc_opts_string(o, "sw_station_lon"), -180, 360, &slon);
  if (!isfinite(slat) || !isfinite(slon)) {
    double a = 0, b = 0;
    size_t n = 0;
    for (size_t i = 0; i < cat.n; i++)
      if (!ccls || ccls[i] >= 0) a += cat.lat[i], b += cat.lon[i], n++;
    PetscCheck(n, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s' has no (clustered) event to place the station at", catp);
    if (!isfinite(slat)) slat = a / n;
    if (!isfinite(slon)) slon = b / n;
  }
  /* the pool: events within reach (and with a class when the catalog has classes) */
  const double dmax = prc_opts_real(o, "sw_max_dist_km");
  size_t      *pool, np = 0;
  double      *dist, *baz;
  PetscCall(PetscMalloc3(cat.n + 1, &pool, cat.n + 1, &dist, cat.n + 1, &baz));
  for (size_t i = 0; i < cat.n; i++) {
    double dx = (cat.lon[i] - slon) * cos(slat * M_PI / 180) * KM_PER_DEG, dy = (cat.lat[i] - slat) * KM_PER_DEG;
    double d = sqrt(dx * dx + dy * dy);
    if (d > dmax || (ccls && ccls[i] < 0)) continue;
    pool[np] = i, dist[np] = d, baz[np] = fmod(atan2(dx, dy) * 180 / M_PI + 360, 360), np++;
  }
  PetscCheck(np, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': no event within %g km of the station (%.4f N %.4f E)", catp, dmax, slat, slon);
  /* origins (same on every rank) */
  prc_rng rng;
  prc_rng_seed(&rng, seed, 0x73772d6f726967ULL);
  const double rph = prc_opts_real(o, "sw_events_per_hour"), sep = prc_opts_real(o, "sw_min_separation_s");
  const double snr = prc_opts_real(o, "sw_snr_db"), spr = prc_opts_real(o, "sw_snr_spread_db");
  size_t  ne = 0, cap = 64;
  double *et, *eamp, *esnr;
  size_t *esrc;
  PetscCall(PetscMalloc1(cap, &et));
  PetscCall(PetscMalloc1(cap, &eamp));
  PetscCall(PetscMalloc1(cap, &esnr));
  PetscCall(PetscMalloc1(cap, &esrc));
  double t = t0;
  while (rph > 0) {
    t += sep + prc_rng_exponential(&rng, rph / 3600.0);
    if (t >= t0 + dur) break;
    if (ne == cap) {
      cap *= 2;
      PetscCall(PetscRealloc(sizeof(double) * cap, &et));
      PetscCall(PetscRealloc(sizeof(double) * cap, &eamp));
      PetscCall(PetscRealloc(sizeof(double) * cap, &esnr));
      PetscCall(PetscRealloc(sizeof(size_t) * cap, &esrc));
    }
    esrc[ne] = (size_t)prc_rng_below(&rng, np);
    esnr[ne] = snr + spr * (2 * prc_rng_uniform(&rng) - 1);
    eamp[ne] = pow(10.0, esnr[ne] / 20.0);
    et[ne++] = t;
  }
  /* gaps (same on every rank) */
  int     ng = (int)prc_opts_int(o, "sw_gaps");
  int64_t N = (int64_t)llround(dur * rate), *g0, *gn;
  PetscCall(PetscMalloc2(ng + 1, &g0, ng + 1, &gn));
  for (int k = 0; k < ng; k++) g0[k] = (int64_t)(prc_rng_uniform(&rng) * (double)N), gn[k] = (int64_t)((1 + 29 * prc_rng_uniform(&rng)) * rate);
  prc_sw_model md = {rate, prc_opts_real(o, "sw_noise_corr"), prc_opts_real(o, "sw_vp"), prc_opts_real(o, "sw_vs"), prc_opts_real(o, "sw_fp"),
                     prc_opts_real(o, "sw_fs"), prc_opts_real(o, "sw_q_km"), prc_opts_real(o, "sw_p_dur"), prc_opts_real(o, "sw_s_dur"),
                     prc_opts_real(o, "sw_s_to_p")};
  /* the record, block by block */
  prc_wave_meta wm;
  memset(&wm, 0, sizeof wm);
  snprintf(wm.name, sizeof wm.name, "SY.SYN00.00.HH");
  snprintf(wm.network, sizeof wm.network, "SY"), snprintf(wm.station, sizeof wm.station, "SYN00"), snprintf(wm.location, sizeof wm.location, "00");
  snprintf(wm.components, sizeof wm.components, "HHE,HHN,HHZ");
  snprintf(wm.source, sizeof wm.source, "precursor synth-waves"), snprintf(wm.category, sizeof wm.category, "continuous");
  wm.ncomp = 3, wm.present = 3, wm.rate = wm.orig_rate = rate, wm.start = t0, wm.n = N, wm.p_sample = wm.s_sample = -1, wm.up = wm.down = 1;
  wm.n_gaps = ng;
  prc_h5out f;
  snprintf(path, sizeof path, "%s/waveforms.h5", od);
  PetscCall(prc_h5_create(ctx->comm, path, "waveforms", &f));
  PetscCall(prc_wave_create(f.fid, 1, &wm));
  const int64_t BL = 1 << 20;
  int64_t       nblk = (N + BL - 1) / BL;
  float        *buf;
  PetscCall(PetscMalloc1((size_t)BL * 3, &buf));
  prc_progress pr;
  prc_progress_start(&pr, ctx->comm, "synth-waves", "samples", "samples", (double)N, prc_opts_real(o, "progress_interval"), prc_opts_bool(o, "quiet"));
  for (int64_t b = ctx->rank; b - ctx->rank < nblk; b += ctx->size) { /* block b on rank b mod P; equal rounds */
    int64_t r0 = b < nblk ? b * BL : 0, nr = b < nblk ? (r0 + BL < N ? BL : N - r0) : 0;
    if (nr) {
      prc_sw_noise(&md, seed, 1, r0, nr, buf);
      for (size_t e = 0; e < ne; e++) {
        double ta = t0 + (double)r0 / rate, tb = t0 + (double)(r0 + nr) / rate, te = et[e], d = dist[esrc[e]];
        if (te + d / md.vp > tb || te + d / md.vs + 8 * md.s_dur < ta) continue;
        prc_sw_add_event(&md, t0, r0, nr, te, d, baz[esrc[e]], eamp[e], seed, e, buf);
      }
      for (int k = 0; k < ng; k++)
        for (int64_t r = g0[k] > r0 ? g0[k] : r0; r < g0[k] + gn[k] && r < r0 + nr; r++) buf[(r - r0) * 3] = buf[(r - r0) * 3 + 1] = buf[(r - r0) * 3 + 2] = NAN;
    }
    PetscCall(prc_wave_write_rows(f.fid, &wm, r0, nr, buf));
    prc_progress_update(&pr, fmin((double)N, (double)(b + ctx->size) * BL));
  }
  prc_progress_end(&pr);
  /* gap table (merged: overlapping gaps counted once) */
  prc_wave_span *gs;
  int            ngs = 0;
  PetscCall(PetscMalloc1(3 * (size_t)ng + 1, &gs));
  {
    int64_t *ord;
    PetscCall(PetscMalloc1(ng + 1, &ord));
    for (int k = 0; k < ng; k++) ord[k] = k;
    for (int a = 1; a < ng; a++) /* insertion sort by start */
      for (int c = a; c > 0 && g0[ord[c]] < g0[ord[c - 1]]; c--) { int64_t x = ord[c]; ord[c] = ord[c - 1], ord[c - 1] = x; }
    int64_t a = -1, e = -1;
    int     nm = 0;
    int64_t *ma, *me;
    PetscCall(PetscMalloc2(ng + 1, &ma, ng + 1, &me));
    for (int k = 0; k < ng; k++) {
      int64_t s = g0[ord[k]], x = g0[ord[k]] + gn[ord[k]] < N ? g0[ord[k]] + gn[ord[k]] : N;
      if (s <= e) e = x > e ? x : e;
      else {
        if (a >= 0) ma[nm] = a, me[nm++] = e;
        a = s, e = x;
      }
    }
    if (a >= 0) ma[nm] = a, me[nm++] = e;
    for (int k = 0; k < nm; k++)
      for (int c = 0; c < 3; c++) gs[ngs++] = (prc_wave_span){0, c, ma[k], me[k] - ma[k]};
    wm.n_gaps = ngs;
    PetscCall(PetscFree2(ma, me));
    PetscCall(PetscFree(ord));
  }
  PetscCall(prc_wave_write_tables(ctx->comm, f.fid, 1, &wm, ngs, gs, 0, NULL));
  PetscCall(prc_h5_attr_str(f.fid, "source_format", "synthetic (precursor synth-waves)"));
  PetscCall(prc_h5_attr_double(f.fid, "target_sampling_rate", rate));
  PetscCall(prc_h5_commit(&f, ctx));
  /* events.h5: the injected events as a catalog */
  prc_catalog ev;
  PetscCall(prc_catalog_alloc(&ev, ne));
  int    *ecl;
  double *ed, *ez, *ep, *es;
  PetscCall(PetscMalloc5(ne + 1, &ecl, ne + 1, &ed, ne + 1, &ez, ne + 1, &ep, ne + 1, &es));
  for (size_t e = 0; e < ne; e++) {
    size_t i = pool[esrc[e]];
    ev.time[e] = et[e], ev.lat[e] = cat.lat[i], ev.lon[e] = cat.lon[i], ev.depth_km[e] = cat.depth_km[i], ev.mag[e] = cat.mag[i];
    snprintf(ev.mag_type[e], PRC_MAGTYPE_LEN, "%s", cat.mag_type[i]);
    snprintf(ev.source[e], PRC_SOURCE_LEN, "synth-waves");
    ecl[e] = ccls ? ccls[i] : 0, ed[e] = dist[esrc[e]], ez[e] = baz[esrc[e]], ep[e] = et[e] + ed[e] / md.vp, es[e] = et[e] + ed[e] / md.vs;
  }
  snprintf(path, sizeof path, "%s/events.h5", od);
  PetscCall(prc_h5_create(ctx->comm, path, "catalog", &f));
  PetscCall(prc_catalog_write(ctx->comm, f.fid, &ev));
  hid_t g = H5Gopen2(f.fid, "catalog", H5P_DEFAULT);
  PetscCall(prc_h5_write_col(ctx->comm, g, "cluster", H5T_NATIVE_INT, ne, ecl));
  PetscCall(prc_h5_write_col(ctx->comm, g, "snr_db", H5T_NATIVE_DOUBLE, ne, esnr));
  PetscCall(prc_h5_write_col(ctx->comm, g, "distance_km", H5T_NATIVE_DOUBLE, ne, ed));
  PetscCall(prc_h5_write_col(ctx->comm, g, "back_azimuth_deg", H5T_NATIVE_DOUBLE, ne, ez));
  PetscCall(prc_h5_write_col(ctx->comm, g, "p_time", H5T_NATIVE_DOUBLE, ne, ep));
  PetscCall(prc_h5_write_col(ctx->comm, g, "s_time", H5T_NATIVE_DOUBLE, ne, es));
  H5Gclose(g);
  double sta[2] = {slat, slon};
  PetscCall(prc_h5_attr_doubles(f.fid, "station_lat_lon", 2, sta));
  PetscCall(prc_h5_attr_str(f.fid, "meaning", "events injected by precursor synth-waves: origin times drawn here, epicentre/depth/magnitude/class from the source catalog"));
  PetscCall(prc_h5_commit(&f, ctx));
  /* picture: the first 10 minutes */
  if (prc_opts_bool(o, "sw_png")) {
    int64_t nr = ctx->rank ? 0 : (N < (int64_t)(600 * rate) ? N : (int64_t)(600 * rate));
    float  *w;
    hid_t   wf;
    prc_wave_meta *mm;
    int            nn;
    PetscCall(PetscMalloc1((size_t)(nr ? nr : 1) * 3, &w));
    snprintf(path, sizeof path, "%s/waveforms.h5", od);
    PetscCall(prc_wave_open_read(ctx->comm, path, &wf, &nn, &mm));
    PetscCall(prc_wave_read_rows(wf, &mm[0], 0, nr, w));
    PetscCall(prc_h5_close(wf));
    PetscCall(PetscFree(mm));
    if (!ctx->rank && nr) {
      double *x, *y, vl[4096];
      int     nv = 0;
      PetscCall(PetscMalloc2(nr, &x, 3 * nr, &y));
      for (int64_t r = 0; r < nr; r++) {
        x[r] = (double)r / rate / 60;
        for (int c = 0; c < 3; c++) y[c * nr + r] = w[r * 3 + c] + 12.0 * (2 - c);
      }
      for (size_t e = 0; e < ne && nv < 4096; e++)
        if (et[e] < t0 + (double)nr / rate) vl[nv++] = (et[e] - t0) / 60;
      prc_series s[3] = {{x, y, (int)nr, "E (+24)", 0}, {x, y + nr, (int)nr, "N (+12)", 0}, {x, y + 2 * nr, (int)nr, "Z", 0}};
      char ttl[200];
      snprintf(ttl, sizeof ttl, "synth-waves: first %.0f min, injected origins (red), SNR %g +- %g dB", (double)nr / rate / 60, snr, spr);
      prc_lines_style ls = {.title = ttl, .xlabel = "minutes", .ylabel = "noise RMS units", .vlines = vl, .nvlines = nv, .width = 1100, .height = 500};
      snprintf(path, sizeof path, "%s/synth_waves.png", od);
      if (prc_plot_lines_png(path, s, 3, &ls)) printf("[synth-waves] warning: %s\n", prc_lasterr());
      PetscCall(PetscFree2(x, y));
    }
    PetscCall(PetscFree(w));
  }
  prc_say(ctx->comm, "[synth-waves] %.3g h at %g Hz from station %.4f N %.4f E: %zu events injected (pool of %zu catalog events within %g km), "
          "SNR %g +- %g dB, %d gap(s)\n", dur / 3600, rate, slat, slon, ne, np, dmax, snr, spr, ng);
  prc_say(ctx->comm, "[synth-waves] outputs in %s: waveforms.h5 events.h5%s\n", od, prc_opts_bool(o, "sw_png") ? " synth_waves.png" : "");
  PetscCall(PetscFree5(ecl, ed, ez, ep, es));
  PetscCall(prc_catalog_free(&ev));
  PetscCall(PetscFree(gs));
  PetscCall(PetscFree(buf));
  PetscCall(PetscFree2(g0, gn));
  PetscCall(PetscFree(et));
  PetscCall(PetscFree(eamp));
  PetscCall(PetscFree(esnr));
  PetscCall(PetscFree(esrc));
  PetscCall(PetscFree3(pool, dist, baz));
  PetscCall(PetscFree(ccls));
  PetscCall(prc_catalog_free(&cat));
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_synth_waves = {"synth-waves", "a continuous 3-component record with catalog events injected at known times (detection floor)",
                                         sw_opts, (int)(sizeof sw_opts / sizeof sw_opts[0]), sw_validate, sw_run};

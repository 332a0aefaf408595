/* precursor/synth.h — generators of the synthetic region (kernel layer: no MPI).
 *
 * Every value is a pure function of the seed and its coordinates (pixel, day, station,
 * sample), so any split of the work over ranks produces bit-identical data. The model
 * is documented in docs/SYNTH.md; units: K, m, km, days since the start of the span. */
#ifndef PRECURSOR_SYNTH_H
#define PRECURSOR_SYNTH_H

#include <stdint.h>

#define PRC_SYNTH_NWAVES 6  /* synoptic weather plane waves */
#define PRC_SYNTH_NCLOUD 16 /* cloud-field plane waves */
#define PRC_SYNTH_NMOUNTAINS 12
#define PRC_SYNTH_NCHAN 5

/* One injected precursor: an earthquake of the catalog with M >= anom_mmin. */
typedef struct {
  int    event;       /* index in the catalog */
  double t_day;       /* origin time, days since the start of the span */
  double x_km, y_km;  /* epicentre in the region's local km frame (x east, y north of the SW corner) */
  double mag;
  double amp_k;       /* LST peak amplitude (K) */
  double radius_km;   /* LST Gaussian radius (km) */
} prc_synth_anomaly;

typedef struct {
  /* region and span */
  int      nx, ny, nt;
  double   res_km, lat0, lon0; /* SW corner of pixel (0,0) */
  double   t_start;            /* seconds since 1970 (UTC) of day 0 */
  uint64_t seed;
  /* land-surface temperature (night, K) */
  double mean_k, annual_amp_k, lapse_k_per_km, lat_grad_k_per_deg, synoptic_k, synoptic_corr, noise_k;
  double cloud_min, cloud_max, cloud_scale_km;
  /* thermal anomalies */
  double anom_mmin, anom_amp_k, anom_radius_km, anom_lead_days, anom_after_days;
} prc_synth_params;

typedef struct {
  double syn_amp[PRC_SYNTH_NWAVES], syn_phase[PRC_SYNTH_NWAVES];
  double cloud_phase[PRC_SYNTH_NCLOUD];
  double cloud_target, cloud_thresh; /* target fraction and threshold of the normalised field */
  double annual;                     /* annual-cycle term (K) at the reference latitude */
} prc_synth_day;

typedef struct {
  prc_synth_params   p;
  double             dlat, dlon; /* pixel size in degrees */
  double             syn_k[PRC_SYNTH_NWAVES][2], cloud_k[PRC_SYNTH_NCLOUD][2], cloud_amp[PRC_SYNTH_NCLOUD];
  double             cloud_sigma;
  double             mt_x[PRC_SYNTH_NMOUNTAINS], mt_y[PRC_SYNTH_NMOUNTAINS], mt_h[PRC_SYNTH_NMOUNTAINS], mt_w[PRC_SYNTH_NMOUNTAINS];
  prc_synth_day     *day; /* nt entries */
  prc_synth_anomaly *anom;
  int                nanom;
} prc_synth;

/* Check the parameters (message names the bad one) and draw the per-day and static
 * random parameters (geometry: dlat, dlon). */
int    prc_synth_init(prc_synth *s, const prc_synth_params *p);
/* Keep the anomalies of the events (t_day, lat, lon, mag arrays of n) with mag >= anom_mmin. */
int    prc_synth_set_anomalies(prc_synth *s, int n, const double *t_day, const double *lat, const double *lon,
                               const double *mag);
void   prc_synth_free(prc_synth *s);
/* Local km frame <-> degrees (flat earth at the region centre, 111.195 km per degree). */
void   prc_synth_km_to_deg(const prc_synth *s, double x_km, double y_km, double *lat, double *lon);
void   prc_synth_deg_to_km(const prc_synth *s, double lat, double lon, double *x_km, double *y_km);
/* Elevation (m) of pixel (x, y). */
double prc_synth_elevation(const prc_synth *s, int x, int y);
/* LST block: days [t0, t0+nt) of the tile columns [xs, xs+xm), rows [ys, ys+ym).
 * out (nt, ym, xm): kelvin or NaN under cloud; anom (nt, ym, xm) or NULL: injected
 * anomaly (K, also under cloud); elev (ym, xm) from prc_synth_elevation.
 * Returns the number of cloudy pixels. */
int64_t prc_synth_lst_block(const prc_synth *s, int xs, int ys, int xm, int ym, int t0, int nt, const float *elev,
                            float *out, float *anom);
/* The anomaly time profile (0..1) at tau = t - t_event days. */
double prc_synth_anom_profile(const prc_synth_params *p, double tau);

/* ---- station network (paper 000's five channels) ---- */
typedef struct {
  const char *name, *units;
  double      base, diurnal, annual, noise_sd, carrier_period_h; /* carrier 0: DC (sign below) */
  double      sign;
} prc_synth_channel;
extern const prc_synth_channel prc_synth_channels[PRC_SYNTH_NCHAN];

typedef struct {
  int      nstations;
  double   dt_s;           /* sampling interval (s), 7200 by default */
  int64_t  nsamples;       /* per channel */
  double   snr_db;         /* anomaly power over noise power at the epicentre (dB) */
  double   lead_days, after_days; /* anomaly window around each event */
  double   gaps_per_year, gap_max_days;
  uint64_t seed;
} prc_synth_net_params;

/* Station position (km frame) of station i: a pure function of the seed. */
void    prc_synth_station_xy(const prc_synth *s, uint64_t seed, int i, double *x_km, double *y_km);
/* Gaps of (station, channel): up to maxg [start, count) sample ranges, sorted, disjoint.
 * Returns the count (<= maxg). */
int     prc_synth_station_gaps(const prc_synth_net_params *q, int station, int channel, int maxg, int64_t *start,
                               int64_t *count);
/* Upper bound on the number of gaps prc_synth_station_gaps can return (before merging). */
int64_t prc_synth_station_gap_bound(const prc_synth_net_params *q, int station, int channel);
/* One channel's series out[nsamples] (gaps not applied: see prc_synth_station_gaps),
 * anom[nsamples] (the injected part) or NULL. */
void    prc_synth_station_series(const prc_synth *s, const prc_synth_net_params *q, int station, int channel, double x_km,
                                 double y_km, double *out, double *anom);
/* Dobrovolsky strain radius 10^(0.43 M) km: stations farther than that see no anomaly. */
double  prc_synth_dobrovolsky_km(double mag);

#endif

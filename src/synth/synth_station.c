/* synth_station.c — synthetic EM station records: the five channels of paper 000 with
 * diurnal and annual cycles, AR(1) red noise, gaps, and anomalies before nearby events
 * scaled to a given SNR (model in docs/SYNTH.md). */
#include "precursor/synth.h"
#include "precursor/rng.h"
#include "precursor/timeutil.h"

#include <math.h>
#include <stdlib.h>

/* name, units, base, diurnal amp, annual amp, noise sd, carrier period (h; 0 = DC), sign */
const prc_synth_channel prc_synth_channels[PRC_SYNTH_NCHAN] = {
  {"ground_resistivity", "ohm m", 100.0, 0.5, 2.0, 1.0, 0, -1},
  {"geomagnetic_field", "nT", 45000.0, 20.0, 5.0, 2.0, 12, 1},
  {"geoelectric_field", "mV/km", 0.0, 3.0, 0.5, 1.0, 0, 1},
  {"ionospheric_ne", "1e5 cm^-3", 5.0, 3.0, 1.0, 0.5, 0, 1},
  {"ulf_field", "nT", 0.2, 0.05, 0.02, 0.03, 0, 1},
};

enum { STREAM_STATION_XY = 11, STREAM_NOISE = 12, STREAM_GAPS = 13 };

double prc_synth_dobrovolsky_km(double mag) { return pow(10, 0.43 * mag); }

void prc_synth_station_xy(const prc_synth *s, uint64_t seed, int i, double *x_km, double *y_km)
{
  /* stations in the inner 90 % of the region */
  double W = s->p.nx * s->p.res_km, H = s->p.ny * s->p.res_km;
  *x_km = (0.05 + 0.9 * prc_hash_uniform(seed, STREAM_STATION_XY, (uint64_t)i, 0)) * W;
  *y_km = (0.05 + 0.9 * prc_hash_uniform(seed, STREAM_STATION_XY, (uint64_t)i, 1)) * H;
}

static int cmp_i64(const void *a, const void *b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

int64_t prc_synth_station_gap_bound(const prc_synth_net_params *q, int station, int channel)
{
  prc_rng r;
  prc_rng_seed(&r, q->seed, ((uint64_t)STREAM_GAPS << 40) + (uint64_t)station * 16 + (uint64_t)channel);
  double years = (double)q->nsamples * q->dt_s / (365.25 * PRC_DAY);
  return (int64_t)prc_rng_poisson(&r, q->gaps_per_year * years);
}

int prc_synth_station_gaps(const prc_synth_net_params *q, int station, int channel, int maxg, int64_t *start,
                           int64_t *count)
{
  prc_rng r;
  prc_rng_seed(&r, q->seed, ((uint64_t)STREAM_GAPS << 40) + (uint64_t)station * 16 + (uint64_t)channel);
  double   years = (double)q->nsamples * q->dt_s / (365.25 * PRC_DAY);
  int64_t  ng = (int64_t)prc_rng_poisson(&r, q->gaps_per_year * years), maxlen = (int64_t)(q->gap_max_days * PRC_DAY / q->dt_s);
  int64_t *iv = malloc(sizeof(int64_t) * 2 * (size_t)(ng ? ng : 1));
  if (maxlen < 1) maxlen = 1;
  for (int64_t g = 0; g < ng; g++) {
    iv[2 * g] = (int64_t)prc_rng_below(&r, (uint64_t)q->nsamples);
    iv[2 * g + 1] = 1 + (int64_t)prc_rng_below(&r, (uint64_t)maxlen);
  }
  qsort(iv, (size_t)ng, 2 * sizeof(int64_t), cmp_i64);
  int n = 0;
  for (int64_t g = 0; g < ng; g++) { /* merge overlaps, clip at the end */
    int64_t a = iv[2 * g], b = a + iv[2 * g + 1];
    if (b > q->nsamples) b = q->nsamples;
    if (n && a <= start[n - 1] + count[n - 1]) {
      if (b > start[n - 1] + count[n - 1]) count[n - 1] = b - start[n - 1];
    } else if (n < maxg) {
      start[n] = a, count[n] = b - a, n++;
    }
  }
  free(iv);
  return n;
}

/* Envelope of the station anomaly at tau = t - t_event (days): raised-cosine rise over the
 * lead time to 1 at the origin time, linear decay over after_days. */
static double envelope(const prc_synth_net_params *q, double tau)
{
  if (tau <= -q->lead_days) return 0;
  if (tau <= 0) return 0.5 * (1 - cos(M_PI * (tau + q->lead_days) / q->lead_days));
  if (tau < q->after_days) return 1 - tau / q->after_days;
  return 0;
}

/* The carrier is a function of absolute time (so a record is one coherent signal); the
 * pi/4 phase keeps it away from zero on any regular sampling grid. */
static double carrier(const prc_synth_channel *c, double t_s)
{
  return c->carrier_period_h > 0 ? sin(2 * M_PI * t_s / (c->carrier_period_h * 3600) + M_PI / 4) : c->sign;
}

/* Amplitude that gives the anomaly of event A, at the epicentre, a mean power of
 * noise_sd^2 10^(snr/10) over the samples of its window [t_ev - lead, t_ev + after] on this
 * record's sampling grid (samples before the record start count too). 0 if the window
 * holds no sample. */
static double anomaly_amp(const prc_synth_net_params *q, const prc_synth_channel *c, double t_day)
{
  double  t0 = (t_day - q->lead_days) * PRC_DAY, t1 = (t_day + q->after_days) * PRC_DAY, ms = 0;
  int64_t i0 = (int64_t)ceil(t0 / q->dt_s), i1 = (int64_t)floor(t1 / q->dt_s), n = 0;
  for (int64_t i = i0; i <= i1; i++, n++) {
    double ts = (double)i * q->dt_s, v = envelope(q, ts / PRC_DAY - t_day) * carrier(c, ts);
    ms += v * v;
  }
  return ms > 0 ? c->noise_sd * pow(10, q->snr_db / 20) / sqrt(ms / (double)n) : 0;
}

void prc_synth_station_series(const prc_synth *s, const prc_synth_net_params *q, int station, int channel, double x_km,
                              double y_km, double *out, double *anom)
{
  const prc_synth_channel *c = &prc_synth_channels[channel];
  prc_rng                  r;
  prc_rng_seed(&r, q->seed, ((uint64_t)STREAM_NOISE << 40) + (uint64_t)station * 16 + (uint64_t)channel);
  double *amp = malloc(sizeof(double) * (size_t)(s->nanom ? s->nanom : 1));
  for (int k = 0; k < s->nanom; k++) amp[k] = anomaly_amp(q, c, s->anom[k].t_day);
  const double phi = 0.9, innov = c->noise_sd * sqrt(1 - phi * phi);
  double       e = c->noise_sd * prc_rng_normal(&r);
  for (int64_t i = 0; i < q->nsamples; i++) {
    double ts = (double)i * q->dt_s, tday = ts / PRC_DAY, hour = fmod(ts / 3600, 24);
    if (i) e = phi * e + innov * prc_rng_normal(&r);
    int    doy = prc_time_doy(s->p.t_start + ts);
    double v = c->base + c->diurnal * cos(2 * M_PI * (hour - 14) / 24) + c->annual * cos(2 * M_PI * (doy - 200) / 365.25) + e;
    double a = 0;
    for (int k = 0; k < s->nanom; k++) {
      const prc_synth_anomaly *A = &s->anom[k];
      double tau = tday - A->t_day;
      if (tau <= -q->lead_days || tau >= q->after_days) continue;
      double dx = x_km - A->x_km, dy = y_km - A->y_km, d = sqrt(dx * dx + dy * dy), R = prc_synth_dobrovolsky_km(A->mag);
      if (d > R) continue;
      a += amp[k] * exp(-(d / R) * (d / R)) * envelope(q, tau) * carrier(c, ts);
    }
    out[i] = v + a;
    if (anom) anom[i] = a;
  }
  free(amp);
}

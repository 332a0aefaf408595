/* synth_lst.c — synthetic night-time LST stack: annual cycle, latitude gradient, elevation
 * with lapse rate, moving synoptic weather, pixel noise, spatially clustered cloud gaps,
 * and thermal anomalies before M >= anom_mmin events (model in docs/SYNTH.md). */
#include "precursor/synth.h"
#include "precursor/error.h"
#include "precursor/rng.h"
#include "precursor/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KM_PER_DEG 111.195

enum { STREAM_STATIC = 1, STREAM_DAY = 2, STREAM_NOISE = 3 };

static int check_params(const prc_synth_params *p)
{
  if (p->nx < 1 || p->ny < 1 || p->nt < 1) return prc_seterr("synth: grid %d x %d x %d days must be positive", p->nx, p->ny, p->nt);
  if (!(p->res_km > 0 && p->res_km <= 100)) return prc_seterr("synth: resolution %g km out of range (0, 100]", p->res_km);
  double lat1 = p->lat0 + p->ny * p->res_km / KM_PER_DEG;
  if (!(p->lat0 >= -85 && lat1 <= 85)) return prc_seterr("synth: region latitudes %g..%g outside [-85, 85]", p->lat0, lat1);
  if (!(p->cloud_min >= 0 && p->cloud_min <= p->cloud_max && p->cloud_max <= 0.99))
    return prc_seterr("synth: cloud fraction range [%g, %g] must satisfy 0 <= min <= max <= 0.99", p->cloud_min, p->cloud_max);
  if (!(p->synoptic_corr >= 0 && p->synoptic_corr < 1)) return prc_seterr("synth: synoptic_corr %g out of [0, 1)", p->synoptic_corr);
  if (!(p->noise_k >= 0 && p->synoptic_k >= 0 && p->cloud_scale_km > 0 && p->anom_radius_km > 0 && p->anom_lead_days > 1 &&
        p->anom_after_days >= 0))
    return prc_seterr("synth: noise, synoptic amplitude must be >= 0; cloud scale, anomaly radius > 0; anomaly lead > 1 day");
  return 0;
}

void prc_synth_km_to_deg(const prc_synth *s, double x_km, double y_km, double *lat, double *lon)
{
  *lat = s->p.lat0 + y_km / s->p.res_km * s->dlat;
  *lon = s->p.lon0 + x_km / s->p.res_km * s->dlon;
}

void prc_synth_deg_to_km(const prc_synth *s, double lat, double lon, double *x_km, double *y_km)
{
  *y_km = (lat - s->p.lat0) / s->dlat * s->p.res_km;
  *x_km = (lon - s->p.lon0) / s->dlon * s->p.res_km;
}

double prc_synth_anom_profile(const prc_synth_params *p, double tau)
{
  /* linear rise from -lead to -1 day, plateau to the origin time, linear decay to +after */
  if (tau <= -p->anom_lead_days) return 0;
  if (tau < -1) return (tau + p->anom_lead_days) / (p->anom_lead_days - 1);
  if (tau <= 0) return 1;
  if (tau < p->anom_after_days) return 1 - tau / p->anom_after_days;
  return 0;
}

int prc_synth_init(prc_synth *s, const prc_synth_params *p)
{
  memset(s, 0, sizeof *s);
  if (check_params(p)) return 1;
  s->p = *p;
  s->dlat = p->res_km / KM_PER_DEG;
  double latc = p->lat0 + 0.5 * p->ny * s->dlat;
  s->dlon = p->res_km / (KM_PER_DEG * cos(latc * M_PI / 180));
  double W = p->nx * p->res_km, H = p->ny * p->res_km;

  prc_rng r;
  prc_rng_seed(&r, p->seed, STREAM_STATIC);
  for (int m = 0; m < PRC_SYNTH_NMOUNTAINS; m++) {
    s->mt_x[m] = (-0.2 + 1.4 * prc_rng_uniform(&r)) * W;
    s->mt_y[m] = (-0.2 + 1.4 * prc_rng_uniform(&r)) * H;
    s->mt_h[m] = 300 + 2700 * prc_rng_uniform(&r);
    s->mt_w[m] = 8 + 52 * prc_rng_uniform(&r);
  }
  double syn_drift[PRC_SYNTH_NWAVES], syn_phase0[PRC_SYNTH_NWAVES], csum = 0;
  for (int k = 0; k < PRC_SYNTH_NWAVES; k++) {
    double lam = 80 + 520 * prc_rng_uniform(&r), dir = 2 * M_PI * prc_rng_uniform(&r);
    s->syn_k[k][0] = 2 * M_PI / lam * cos(dir);
    s->syn_k[k][1] = 2 * M_PI / lam * sin(dir);
    syn_phase0[k] = 2 * M_PI * prc_rng_uniform(&r);
    syn_drift[k] = (0.2 + 0.6 * prc_rng_uniform(&r)) * (prc_rng_uniform(&r) < 0.5 ? -1 : 1);
  }
  for (int k = 0; k < PRC_SYNTH_NCLOUD; k++) {
    double lam = p->cloud_scale_km * (1 + 3 * prc_rng_uniform(&r)), dir;
    dir = 2 * M_PI * prc_rng_uniform(&r);
    s->cloud_k[k][0] = 2 * M_PI / lam * cos(dir);
    s->cloud_k[k][1] = 2 * M_PI / lam * sin(dir);
    s->cloud_amp[k] = 0.5 + 0.5 * prc_rng_uniform(&r);
    csum += s->cloud_amp[k] * s->cloud_amp[k] / 2;
  }
  s->cloud_sigma = sqrt(csum);

  s->day = calloc((size_t)p->nt, sizeof *s->day);
  if (!s->day) return prc_seterr("synth: out of memory for %d days", p->nt);
  double sa = p->synoptic_k * sqrt(2.0 / PRC_SYNTH_NWAVES), phi = p->synoptic_corr, amp[PRC_SYNTH_NWAVES];
  for (int t = 0; t < p->nt; t++) {
    prc_synth_day *d = &s->day[t];
    prc_rng_seed(&r, p->seed, ((uint64_t)STREAM_DAY << 40) + (uint64_t)t);
    for (int k = 0; k < PRC_SYNTH_NWAVES; k++) {
      double z = prc_rng_normal(&r);
      amp[k] = t ? phi * amp[k] + sqrt(1 - phi * phi) * sa * z : sa * z;
      d->syn_amp[k] = amp[k];
      d->syn_phase[k] = syn_phase0[k] + syn_drift[k] * t;
    }
    for (int k = 0; k < PRC_SYNTH_NCLOUD; k++) d->cloud_phase[k] = 2 * M_PI * prc_rng_uniform(&r);
    d->cloud_target = p->cloud_min + (p->cloud_max - p->cloud_min) * prc_rng_uniform(&r);
    d->cloud_thresh = prc_norm_ppf(1 - d->cloud_target);
    int doy = prc_time_doy(p->t_start + t * PRC_DAY);
    d->annual = -p->annual_amp_k * cos(2 * M_PI * (doy - 15) / 365.25);
  }

  return 0;
}

int prc_synth_set_anomalies(prc_synth *s, int n, const double *t_day, const double *lat, const double *lon,
                            const double *mag)
{
  const prc_synth_params *p = &s->p;
  free(s->anom);
  s->anom = NULL;
  s->nanom = 0;
  if (n > 0) {
    s->anom = calloc((size_t)n, sizeof *s->anom);
    if (!s->anom) return prc_seterr("synth: out of memory for %d anomalies", n);
  }
  for (int i = 0; i < n; i++) {
    if (!(mag[i] >= p->anom_mmin)) continue;
    prc_synth_anomaly *a = &s->anom[s->nanom++];
    a->event = i;
    a->t_day = t_day[i];
    a->mag = mag[i];
    prc_synth_deg_to_km(s, lat[i], lon[i], &a->x_km, &a->y_km);
    a->amp_k = p->anom_amp_k * (1 + (mag[i] - p->anom_mmin));
    a->radius_km = p->anom_radius_km * pow(10, 0.43 * (mag[i] - 5));
  }
  return 0;
}

void prc_synth_free(prc_synth *s)
{
  free(s->day);
  free(s->anom);
  memset(s, 0, sizeof *s);
}

double prc_synth_elevation(const prc_synth *s, int x, int y)
{
  double xk = (x + 0.5) * s->p.res_km, yk = (y + 0.5) * s->p.res_km, h = 500;
  for (int m = 0; m < PRC_SYNTH_NMOUNTAINS; m++) {
    double dx = xk - s->mt_x[m], dy = yk - s->mt_y[m];
    h += s->mt_h[m] * exp(-(dx * dx + dy * dy) / (2 * s->mt_w[m] * s->mt_w[m]));
  }
  return h;
}

/* The plane waves are evaluated separably: cos(kx x + ky y + phi) =
 * cos(kx x) cos(ky y + phi) - sin(kx x) sin(ky y + phi), with the x factors computed once
 * per call and the y factors once per row and day (each pixel's value depends only on its
 * own coordinates, so every tiling gives the same bits). */
#define NW (PRC_SYNTH_NWAVES + PRC_SYNTH_NCLOUD)
int64_t prc_synth_lst_block(const prc_synth *s, int xs, int ys, int xm, int ym, int t0, int nt, const float *elev,
                            float *out, float *anom)
{
  const prc_synth_params *p = &s->p;
  double                  latc = p->lat0 + 0.5 * p->ny * s->dlat;
  int64_t                 ncloud = 0;
  int                     nA = s->nanom ? s->nanom : 1;
  int                    *act = malloc(sizeof(int) * (size_t)nA);
  double                 *prof = malloc(sizeof(double) * (size_t)nA);
  double                 *cx = malloc(sizeof(double) * (size_t)xm * NW * 2), *sx = cx + (size_t)xm * NW;
  double                  kx[NW], ky[NW], amp[NW], ph[NW], cy[NW], sy[NW];
  for (int k = 0; k < PRC_SYNTH_NWAVES; k++) kx[k] = s->syn_k[k][0], ky[k] = s->syn_k[k][1];
  for (int k = 0; k < PRC_SYNTH_NCLOUD; k++) kx[PRC_SYNTH_NWAVES + k] = s->cloud_k[k][0], ky[PRC_SYNTH_NWAVES + k] = s->cloud_k[k][1];
  for (int i = 0; i < xm; i++)
    for (int k = 0; k < NW; k++) {
      double xk = (xs + i + 0.5) * p->res_km;
      cx[(size_t)i * NW + k] = cos(kx[k] * xk);
      sx[(size_t)i * NW + k] = sin(kx[k] * xk);
    }
  for (int tt = 0; tt < nt; tt++) {
    int                  t = t0 + tt;
    const prc_synth_day *d = &s->day[t];
    int                  na = 0;
    for (int a = 0; a < s->nanom; a++) {
      double f = prc_synth_anom_profile(p, t - s->anom[a].t_day);
      if (f > 0) act[na] = a, prof[na++] = f;
    }
    for (int k = 0; k < PRC_SYNTH_NWAVES; k++) amp[k] = d->syn_amp[k], ph[k] = d->syn_phase[k];
    for (int k = 0; k < PRC_SYNTH_NCLOUD; k++)
      amp[PRC_SYNTH_NWAVES + k] = s->cloud_amp[k] / s->cloud_sigma, ph[PRC_SYNTH_NWAVES + k] = d->cloud_phase[k];
    for (int j = 0; j < ym; j++) {
      int    y = ys + j;
      double yk = (y + 0.5) * p->res_km, lat = p->lat0 + (y + 0.5) * s->dlat;
      double base = p->mean_k + d->annual + p->lat_grad_k_per_deg * (lat - latc);
      for (int k = 0; k < NW; k++) {
        cy[k] = amp[k] * cos(ky[k] * yk + ph[k]);
        sy[k] = amp[k] * sin(ky[k] * yk + ph[k]);
      }
      for (int i = 0; i < xm; i++) {
        int           x = xs + i;
        double        xk = (x + 0.5) * p->res_km, syn = 0, cl = 0, an = 0;
        const double *ci = cx + (size_t)i * NW, *si = sx + (size_t)i * NW;
        for (int k = 0; k < PRC_SYNTH_NWAVES; k++) syn += ci[k] * cy[k] - si[k] * sy[k];
        for (int k = PRC_SYNTH_NWAVES; k < NW; k++) cl += ci[k] * cy[k] - si[k] * sy[k];
        for (int q = 0; q < na; q++) {
          const prc_synth_anomaly *A = &s->anom[act[q]];
          double                   dx = xk - A->x_km, dy = yk - A->y_km;
          an += A->amp_k * prof[q] * exp(-(dx * dx + dy * dy) / (2 * A->radius_km * A->radius_km));
        }
        size_t idx = ((size_t)tt * (size_t)ym + (size_t)j) * (size_t)xm + (size_t)i;
        double T = base - p->lapse_k_per_km * elev[(size_t)j * (size_t)xm + (size_t)i] / 1000 + syn +
                   p->noise_k * prc_hash_normal(p->seed ^ STREAM_NOISE, (uint64_t)t, (uint64_t)y, (uint64_t)x) + an;
        int cloudy = cl > d->cloud_thresh;
        ncloud += cloudy;
        out[idx] = cloudy ? NAN : (float)T;
        if (anom) anom[idx] = (float)an;
      }
    }
  }
  free(act);
  free(prof);
  free(cx);
  return ncloud;
}

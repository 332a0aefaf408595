/* em_fusion.c — ground–space fusion of EM alarms (include/precursor/em_fusion.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/em_fusion.h"
#include "precursor/em_samples.h"
#include "precursor/error.h"

const char *prc_fusion_level_name(int level)
{
  static const char *n[] = {"interference, keep watching", "alarm", "short-term warning", "satellite anomaly: re-check stations"};
  return level >= 0 && level < 4 ? n[level] : "?";
}

typedef struct {
  const prc_fusion_in *a;
  int                  i;
} ref;

static int cmp(const void *x, const void *y)
{
  const ref *p = x, *q = y;
  if (p->a->time != q->a->time) return p->a->time < q->a->time ? -1 : 1;
  if (p->a->kind != q->a->kind) return p->a->kind - q->a->kind;
  if (p->a->station != q->a->station) return p->a->station - q->a->station;
  return p->i - q->i;
}

/* Overlap of the circles (spherical caps) of radius R km around m stations, sampled on a
 * grid x grid square of the azimuthal-equidistant plane of station 0 (the overlap lies inside
 * station 0's cap): a node at (x, y) km is the point at distance sqrt(x^2 + y^2) and azimuth
 * atan2(x, y) from station 0; it is inside the overlap if it lies within R of every station.
 * Its area element is h^2 sin(c)/c (c = distance / Earth radius: the equidistant projection's
 * areal scale), so the sum is the overlap's area on the sphere up to the grid's resolution,
 * and the area-weighted mean of the nodes' unit vectors, projected back to the sphere, is the
 * overlap's centroid. Returns the area (km^2; 0 when no node is common to all caps). */
double prc_fusion_overlap(int m, const double *lat, const double *lon, double R, int grid, double *clat, double *clon)
{
  const double RE = 6371.0, d2r = M_PI / 180;
  const double p0 = lat[0] * d2r, l0 = lon[0] * d2r, h = 2 * R / grid;
  double       area = 0, vx = 0, vy = 0, vz = 0;
  *clat = lat[0], *clon = lon[0];
  if (m < 1 || !(R > 0) || grid < 2) return 0;
  for (int i = 0; i < grid; i++)
    for (int j = 0; j < grid; j++) {
      const double x = -R + (i + 0.5) * h, y = -R + (j + 0.5) * h, d = sqrt(x * x + y * y);
      if (d > R) continue;
      const double c = d / RE, az = atan2(x, y);
      const double sp = sin(p0) * cos(c) + cos(p0) * sin(c) * cos(az);
      const double pl = asin(fmax(-1.0, fmin(1.0, sp)));
      const double ll = l0 + atan2(sin(az) * sin(c) * cos(p0), cos(c) - sin(p0) * sp);
      int          in = 1;
      for (int k = 1; k < m && in; k++) in = prc_em_distance_km(pl / d2r, ll / d2r, lat[k], lon[k]) <= R;
      if (!in) continue;
      const double w = h * h * (c > 0 ? sin(c) / c : 1.0);
      area += w, vx += w * cos(pl) * cos(ll), vy += w * cos(pl) * sin(ll), vz += w * sin(pl);
    }
  if (area > 0) *clat = atan2(vz, sqrt(vx * vx + vy * vy)) / d2r, *clon = atan2(vy, vx) / d2r;
  return area;
}

int prc_fusion(const prc_fusion_in *in, int n, int ns, const double *lat, const double *lon, const char (*codes)[16], const prc_fusion_conf *c,
               prc_fusion_out *out)
{
  if (!(c->radius_km > 0) || !(c->window_s >= 0) || !(c->watch_s >= 0) || c->min_agree < 1)
    return prc_seterr("fusion parameters: need radius > 0, window >= 0, watch >= 0, min_agree >= 1"), -1;
  for (int i = 0; i < n; i++)
    if (in[i].station < 0 || in[i].station >= ns || (in[i].kind != PRC_FUSION_GROUND && in[i].kind != PRC_FUSION_SPACE) || !isfinite(in[i].time))
      return prc_seterr("alarm %d: station %d of %d, kind %d, time %g", i, in[i].station, ns, in[i].kind, in[i].time), -1;
  ref *r = malloc(sizeof(ref) * (size_t)(n ? n : 1));
  int *agree = malloc(sizeof(int) * (size_t)(ns ? ns : 1));
  if (!r || !agree) return free(r), free(agree), prc_seterr("out of memory"), -1;
  for (int i = 0; i < n; i++) r[i] = (ref){&in[i], i};
  qsort(r, (size_t)n, sizeof *r, cmp);
  int nw = 0; /* open watches: rows of out with level ALARM */
  for (int k = 0; k < n; k++) {
    const prc_fusion_in *a = r[k].a;
    prc_fusion_out      *o = &out[k];
    int                  s = a->station;
    *o = (prc_fusion_out){.time = a->time, .lat = lat[s], .lon = lon[s], .radius_km = c->radius_km, .cen_lat = lat[s], .cen_lon = lon[s], .station = s,
                          .source = r[k].i};
    if (a->kind == PRC_FUSION_GROUND) {
      int m = 0;
      double sl = lat[s], so = lon[s];
      for (int q = 0; q < ns; q++) agree[q] = 0;
      for (int j = 0; j < n; j++) {
        const prc_fusion_in *b = &in[j];
        if (b->kind != PRC_FUSION_GROUND || b->station == s || agree[b->station] || fabs(b->time - a->time) > c->window_s) continue;
        if (prc_em_distance_km(lat[s], lon[s], lat[b->station], lon[b->station]) > c->radius_km) continue;
        agree[b->station] = 1, m++, sl += lat[b->station], so += lon[b->station];
      }
      o->nagree = m;
      int len = snprintf(o->evidence, sizeof o->evidence, "ground alarm at %s; %d station(s) within %g km agree", codes[s], m, c->radius_km);
      for (int q = 0; q < ns && len < (int)sizeof o->evidence - 24; q++)
        if (agree[q]) len += snprintf(o->evidence + len, sizeof o->evidence - (size_t)len, " %s", codes[q]);
      if (m >= c->min_agree) {
        /* the location: the overlap of the areas (circles of radius_km) of s and the agreeing
         * stations; if the grid finds no common point (3+ stations spread around s), the mean
         * position of the stations, with the whole radius */
        double *pl = malloc(sizeof(double) * (size_t)(2 * (m + 1))), *po = pl ? pl + m + 1 : NULL;
        if (!pl) return free(r), free(agree), prc_seterr("out of memory"), -1;
        int q1 = 0;
        pl[q1] = lat[s], po[q1++] = lon[s];
        for (int q = 0; q < ns; q++)
          if (agree[q]) pl[q1] = lat[q], po[q1++] = lon[q];
        double cl, co, A = prc_fusion_overlap(m + 1, pl, po, c->radius_km, c->grid > 0 ? c->grid : 200, &cl, &co);
        free(pl);
        o->level = PRC_FUSION_ALARM, o->area_km2 = A, o->cen_lat = sl / (m + 1), o->cen_lon = so / (m + 1), nw++;
        if (A > 0) o->lat = cl, o->lon = co, o->radius_km = sqrt(A / M_PI);
        else o->lat = sl / (m + 1), o->lon = so / (m + 1);
        if (len < (int)sizeof o->evidence - 60)
          len += snprintf(o->evidence + len, sizeof o->evidence - (size_t)len, A > 0 ? "; overlap %.0f km2" : "; areas do not overlap: centroid", A);
        if (len < (int)sizeof o->evidence - 40) snprintf(o->evidence + len, sizeof o->evidence - (size_t)len, "; satellite watch opened");
      } else
        o->level = PRC_FUSION_INTERFERENCE;
    } else {
      int w = -1;
      for (int j = k - 1; j >= 0 && w < 0; j--) /* the latest open watch covering the station */
        if (out[j].level == PRC_FUSION_ALARM && a->time >= out[j].time && a->time <= out[j].time + c->watch_s &&
            prc_em_distance_km(out[j].lat, out[j].lon, lat[s], lon[s]) <= c->radius_km)
          w = j;
      if (w >= 0) {
        o->level = PRC_FUSION_WARNING, o->lat = out[w].lat, o->lon = out[w].lon, o->nagree = out[w].source;
        o->cen_lat = out[w].cen_lat, o->cen_lon = out[w].cen_lon;
        snprintf(o->evidence, sizeof o->evidence, "satellite anomaly over %s inside the watch opened by the alarm at %s (%.1f days before)", codes[s],
                 codes[out[w].station], (a->time - out[w].time) / 86400);
      } else {
        int m = 0, len;
        for (int q = 0; q < ns; q++) m += prc_em_distance_km(lat[s], lon[s], lat[q], lon[q]) <= c->radius_km;
        o->level = PRC_FUSION_RECHECK, o->nagree = m;
        len = snprintf(o->evidence, sizeof o->evidence, "satellite anomaly over %s without a ground alarm; stations to re-check their history:", codes[s]);
        for (int q = 0; q < ns && len < (int)sizeof o->evidence - 24; q++)
          if (prc_em_distance_km(lat[s], lon[s], lat[q], lon[q]) <= c->radius_km) len += snprintf(o->evidence + len, sizeof o->evidence - (size_t)len, " %s", codes[q]);
      }
    }
  }
  (void)nw;
  free(r), free(agree);
  return n;
}

int prc_fusion_evaluate(const prc_fusion_out *rows, int n, int ns, const double *st_lat, const double *st_lon, size_t ne, const double *ev_t,
                        const double *ev_lat, const double *ev_lon, const double *ev_mag, double mag, double horizon_s, double radius_km,
                        double t_lo, double t_hi, prc_fusion_eval *e, int *hit)
{
  if (!(horizon_s > 0) || !(radius_km > 0) || !isfinite(mag)) return prc_seterr("fusion evaluation: need horizon > 0, radius > 0, finite magnitude"), -1;
  *e = (prc_fusion_eval){0};
  double se = 0, sc = 0;
  for (int i = 0; i < n; i++) {
    const prc_fusion_out *o = &rows[i];
    int                   lv = o->level, h = 0;
    if (hit) hit[i] = 0;
    if (lv != PRC_FUSION_ALARM && lv != PRC_FUSION_WARNING) continue;
    double best = INFINITY, bestc = NAN;
    for (size_t k = 0; k < ne; k++) {
      if (!(ev_mag[k] >= mag) || !(ev_t[k] > o->time) || ev_t[k] > o->time + horizon_s) continue;
      double d = prc_em_distance_km(o->lat, o->lon, ev_lat[k], ev_lon[k]);
      if (d > radius_km) continue;
      h = 1;
      if (d < best) best = d, bestc = prc_em_distance_km(o->cen_lat, o->cen_lon, ev_lat[k], ev_lon[k]);
    }
    if (hit) hit[i] = h;
    if (lv == PRC_FUSION_ALARM) {
      e->alarms++, e->alarm_hits += h;
      if (h) se += best, sc += bestc;
    } else
      e->warnings++, e->warning_hits += h;
  }
  e->loc_err_km = e->alarm_hits ? se / (double)e->alarm_hits : NAN;
  e->loc_err_centroid_km = e->alarm_hits ? sc / (double)e->alarm_hits : NAN;
  for (size_t k = 0; k < ne; k++) {
    if (!(ev_mag[k] >= mag) || !(ev_t[k] > t_lo) || ev_t[k] > t_hi) continue;
    int seen = 0;
    for (int q = 0; q < ns && !seen; q++) seen = prc_em_distance_km(st_lat[q], st_lon[q], ev_lat[k], ev_lon[k]) <= radius_km;
    if (!seen) continue;
    e->events++;
    for (int i = 0; i < n; i++)
      if (rows[i].level == PRC_FUSION_ALARM && rows[i].time < ev_t[k] && ev_t[k] <= rows[i].time + horizon_s &&
          prc_em_distance_km(rows[i].lat, rows[i].lon, ev_lat[k], ev_lon[k]) <= radius_km) {
        e->events_detected++;
        break;
      }
  }
  return 0;
}

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
    *o = (prc_fusion_out){.time = a->time, .lat = lat[s], .lon = lon[s], .radius_km = c->radius_km, .station = s, .source = r[k].i};
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
        o->level = PRC_FUSION_ALARM, o->lat = sl / (m + 1), o->lon = so / (m + 1), nw++;
        if (len < (int)sizeof o->evidence - 40) snprintf(o->evidence + len, sizeof o->evidence - (size_t)len, "; satellite watch opened");
      } else
        o->level = PRC_FUSION_INTERFERENCE;
    } else {
      int w = -1;
      for (int j = k - 1; j >= 0 && w < 0; j--) /* the latest open watch covering the station */
        if (out[j].level == PRC_FUSION_ALARM && a->time >= out[j].time && a->time <= out[j].time + c->watch_s &&
            prc_em_distance_km(out[j].lat, out[j].lon, lat[s], lon[s]) <= out[j].radius_km)
          w = j;
      if (w >= 0) {
        o->level = PRC_FUSION_WARNING, o->lat = out[w].lat, o->lon = out[w].lon, o->nagree = out[w].source;
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

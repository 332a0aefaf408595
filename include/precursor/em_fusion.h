/* precursor/em_fusion.h — ground–space fusion of EM anomaly alarms (paper 000 §1.5, METHODS.md §3;
 * docs/EM.md "Ground–space fusion"). Kernel layer: no MPI.
 *
 * Inputs: alarms, each (kind ground | space, station, time); station coordinates. Rules, for the
 * alarms in time order (ties: ground before space, then station):
 *  - a ground alarm at station s, time t asks the other stations within radius_km: those with a
 *    ground alarm within |dt| <= window_s agree. With at least min_agree agreeing stations:
 *    level ALARM, location = mean position of s and the agreeing stations (the centre of the
 *    overlap of their areas, approximated by their centroid), radius = radius_km; it opens a
 *    satellite WATCH of that region for watch_s. Otherwise: INTERFERENCE ("keep watching").
 *  - a space alarm at station s, time t inside an open watch (distance from its centre <= its
 *    radius, watch start <= t <= start + watch_s): WARNING (short-term), the watch's region;
 *    otherwise RECHECK: the stations within radius_km of s are asked to re-check their history. */
#ifndef PRECURSOR_EM_FUSION_H
#define PRECURSOR_EM_FUSION_H

#include <stdint.h>

enum { PRC_FUSION_GROUND = 0, PRC_FUSION_SPACE = 1 };
enum { PRC_FUSION_INTERFERENCE = 0, PRC_FUSION_ALARM = 1, PRC_FUSION_WARNING = 2, PRC_FUSION_RECHECK = 3 };

typedef struct {
  int    kind, station;
  double time;
} prc_fusion_in;

typedef struct {
  double time, lat, lon, radius_km;
  int    level, station, nagree; /* nagree: agreeing stations (ALARM/INTERFERENCE), stations asked (RECHECK), or the watch's alarm index (WARNING) */
  int    source;                 /* index of the input alarm */
  char   evidence[256];
} prc_fusion_out;

typedef struct {
  double radius_km, window_s, watch_s;
  int    min_agree;
} prc_fusion_conf;

const char *prc_fusion_level_name(int level);
/* Apply the rules to n alarms (sorted internally; `in` is not modified); out has room for n rows
 * (one per input alarm). ns stations at lat/lon (degrees), codes for the evidence text. Returns
 * the number of rows (n), or -1 with a message. */
int prc_fusion(const prc_fusion_in *in, int n, int ns, const double *lat, const double *lon, const char (*codes)[16], const prc_fusion_conf *c,
               prc_fusion_out *out);

#endif

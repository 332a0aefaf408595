/* precursor/em_fusion.h — ground–space fusion of EM anomaly alarms (paper 000 §1.5, METHODS.md §3;
 * docs/EM.md "Ground–space fusion"). Kernel layer: no MPI.
 *
 * Inputs: alarms, each (kind ground | space, station, time); station coordinates. Rules, for the
 * alarms in time order (ties: ground before space, then station):
 *  - a ground alarm at station s, time t asks the other stations within radius_km: those with a
 *    ground alarm within |dt| <= window_s agree. With at least min_agree agreeing stations:
 *    level ALARM, location = the overlap of their areas (circles of radius_km around s and the
 *    agreeing stations, intersected on the sphere: prc_fusion_overlap): its centroid, its area
 *    and the radius of a circle of that area; it opens a satellite WATCH for watch_s over the
 *    stations within radius_km of that centre. (No common point, possible with 3+ stations
 *    around s: the stations' mean position, radius_km, area 0.) Otherwise: INTERFERENCE
 *    ("keep watching").
 *  - a space alarm at station s, time t inside an open watch (distance from its centre <=
 *    radius_km, watch start <= t <= start + watch_s): WARNING (short-term), the watch's region;
 *    otherwise RECHECK: the stations within radius_km of s are asked to re-check their history. */
#ifndef PRECURSOR_EM_FUSION_H
#define PRECURSOR_EM_FUSION_H

#include <stddef.h>
#include <stdint.h>

enum { PRC_FUSION_GROUND = 0, PRC_FUSION_SPACE = 1 };
enum { PRC_FUSION_INTERFERENCE = 0, PRC_FUSION_ALARM = 1, PRC_FUSION_WARNING = 2, PRC_FUSION_RECHECK = 3 };

typedef struct {
  int    kind, station;
  double time;
} prc_fusion_in;

typedef struct {
  double time, lat, lon, radius_km, area_km2; /* area_km2: the overlap's area (ALARM), else 0 */
  double cen_lat, cen_lon;                     /* ALARM: mean position of the stations (the simpler estimate), else lat/lon */
  int    level, station, nagree; /* nagree: agreeing stations (ALARM/INTERFERENCE), stations asked (RECHECK), or the watch's alarm index (WARNING) */
  int    source;                 /* index of the input alarm */
  char   evidence[256];
} prc_fusion_out;

typedef struct {
  double radius_km, window_s, watch_s;
  int    min_agree;
  int    grid; /* nodes per side of the overlap grid (0: 200) */
} prc_fusion_conf;

const char *prc_fusion_level_name(int level);
/* Overlap of the circles of radius R km (spherical caps) around m stations (lat/lon degrees;
 * station 0 first): its area in km^2 (0 if the grid x grid sampling of station 0's cap finds no
 * point within R of all) and its centroid (clat, clon; station 0's position if empty). */
double prc_fusion_overlap(int m, const double *lat, const double *lon, double R, int grid, double *clat, double *clon);
/* Apply the rules to n alarms (sorted internally; `in` is not modified); out has room for n rows
 * (one per input alarm). ns stations at lat/lon (degrees), codes for the evidence text. Returns
 * the number of rows (n), or -1 with a message. */
int prc_fusion(const prc_fusion_in *in, int n, int ns, const double *lat, const double *lon, const char (*codes)[16], const prc_fusion_conf *c,
               prc_fusion_out *out);

/* Alarms against a catalog: an ALARM or WARNING row is a hit if an event of magnitude >= mag
 * follows within horizon_s (t < t_ev <= t + horizon_s) within radius_km of the row's location;
 * an event is observable if it is within radius_km of a station and t_lo < t_ev <= t_hi
 * (the span the windows watched), and detected if an ALARM row precedes it within horizon_s and
 * radius_km. For hit ALARM rows, the distance from the nearest such event to the row's location
 * (the overlap's centroid) and to the stations' mean position are averaged. hit (n, may be
 * NULL): 1 for hit rows. Returns 0, or -1 with a message. */
typedef struct {
  long   alarms, alarm_hits, warnings, warning_hits, events, events_detected;
  double loc_err_km, loc_err_centroid_km; /* means over hit ALARM rows (NaN if none) */
} prc_fusion_eval;
int prc_fusion_evaluate(const prc_fusion_out *rows, int n, int ns, const double *st_lat, const double *st_lon, size_t ne, const double *ev_t,
                        const double *ev_lat, const double *ev_lon, const double *ev_mag, double mag, double horizon_s, double radius_km,
                        double t_lo, double t_hi, prc_fusion_eval *e, int *hit);

#endif

/* test_em_fusion.c — ground–space fusion rules (src/signal/em_fusion.c) on hand-made alarms:
 * agreement within radius and window → alarm at the centroid with a watch; a lone or distant
 * alarm → interference; a space alarm inside the watch → warning, outside (place or time) → recheck
 * naming the nearby stations; input order does not matter; parameter and input errors; the overlap
 * of the stations' circles against closed forms (cap area, two-circle lens, symmetric centroids). */
#include "precursor/em_fusion.h"
#include <math.h>

#include "precursor/em_samples.h"
#include "precursor/error.h"
#include "ptest.h"

static const double LAT[4] = {30.0, 30.5, 31.0, 40.0}, LON[4] = {100.0, 100.0, 100.0, 110.0};
static const char   CODES[4][16] = {"A", "B", "C", "FAR"};
#define D 86400.0

static void test_rules(void)
{
  prc_fusion_conf c = {.radius_km = 80, .window_s = 2 * D, .watch_s = 10 * D, .min_agree = 1};
  /* A and B (55 km apart) alarm 1 day apart; C (111 km from A) alarms at day 30 alone; FAR alone;
   * space: over B at day 5 (inside the watch), over A at day 20 (too late), over FAR at day 3 */
  prc_fusion_in in[7] = {{0, 0, 0 * D}, {0, 1, 1 * D}, {0, 2, 30 * D}, {0, 3, 2 * D}, {1, 1, 5 * D}, {1, 0, 20 * D}, {1, 3, 3 * D}};
  prc_fusion_out o[7];
  PT_CHECK(prc_fusion(in, 7, 4, LAT, LON, CODES, &c, o) == 7, "%s", prc_lasterr());
  /* time order: A(0) B(1) FAR(2) FARspace(3) Bspace(5) Aspace(20) C(30) */
  PT_CHECK(o[0].level == PRC_FUSION_ALARM && o[0].nagree == 1 && o[0].station == 0, "A: level %d agree %d", o[0].level, o[0].nagree);
  PT_NEAR(o[0].lat, 30.25, 2e-3, 0); /* the overlap of A's and B's circles is centred half-way */
  PT_NEAR(o[0].lon, 100.0, 1e-9, 0);
  PT_CHECK(o[0].area_km2 > 0 && o[0].radius_km < 80, "A: overlap area %g, radius %g", o[0].area_km2, o[0].radius_km);
  PT_CHECK(o[1].level == PRC_FUSION_ALARM && o[1].station == 1, "B: level %d", o[1].level);
  PT_CHECK(o[2].level == PRC_FUSION_INTERFERENCE && o[2].station == 3 && strstr(o[2].evidence, "0 station(s)"), "FAR: %d %s", o[2].level, o[2].evidence);
  PT_CHECK(o[3].level == PRC_FUSION_RECHECK && o[3].station == 3 && o[3].nagree == 1 && strstr(o[3].evidence, "FAR"), "FAR space: %d %s", o[3].level, o[3].evidence);
  PT_CHECK(o[4].level == PRC_FUSION_WARNING && o[4].station == 1 && strstr(o[4].evidence, "alarm at B"), "B space: %d %s", o[4].level, o[4].evidence);
  PT_CHECK(o[5].level == PRC_FUSION_RECHECK && strstr(o[5].evidence, " A B"), "A space late: %d %s", o[5].level, o[5].evidence);
  PT_CHECK(o[6].level == PRC_FUSION_INTERFERENCE && o[6].station == 2, "C alone in time: %d", o[6].level);
  /* permuted input: same rows */
  prc_fusion_in p[7] = {in[6], in[2], in[4], in[0], in[5], in[3], in[1]};
  prc_fusion_out q[7];
  prc_fusion(p, 7, 4, LAT, LON, CODES, &c, q);
  for (int i = 0; i < 7; i++) PT_CHECK(q[i].level == o[i].level && q[i].station == o[i].station && q[i].time == o[i].time, "row %d differs", i);
  /* two agreeing stations required: A and B become interference */
  c.min_agree = 2;
  prc_fusion(in, 7, 4, LAT, LON, CODES, &c, o);
  PT_CHECK(o[0].level == PRC_FUSION_INTERFERENCE && o[4].level == PRC_FUSION_RECHECK, "min_agree 2: %d %d", o[0].level, o[4].level);
}

#define RE 6371.0
/* the point at distance d km and azimuth az (degrees) from (la, lo): spherical direct problem */
static void dest(double la, double lo, double d, double az, double *la2, double *lo2)
{
  const double r = M_PI / 180, c = d / RE, p = la * r, a = az * r;
  double       sp = sin(p) * cos(c) + cos(p) * sin(c) * cos(a);
  *la2 = asin(sp) / r;
  *lo2 = lo + atan2(sin(a) * sin(c) * cos(p), cos(c) - sin(p) * sp) / r;
}

static void test_overlap(void)
{
  double la[3], lo[3], cl, co;
  /* one station: the spherical cap, 2 pi RE^2 (1 - cos(R / RE)) */
  const double R = 150;
  la[0] = 35.2, lo[0] = 101.7;
  double A = prc_fusion_overlap(1, la, lo, R, 200, &cl, &co), cap = 2 * M_PI * RE * RE * (1 - cos(R / RE));
  PT_NEAR(A, cap, 0, 5e-3);
  PT_CHECK(prc_em_distance_km(cl, co, la[0], lo[0]) < 0.05, "cap centroid %g km off", prc_em_distance_km(cl, co, la[0], lo[0]));
  /* two stations d apart (R = 50 km, so the plane lens is exact to ~1e-4): area
   * 2 R^2 acos(d / 2R) - d/2 sqrt(4 R^2 - d^2), centroid at the great-circle midpoint */
  const double r = 50;
  for (double d = 10; d < 100; d += 20) {
    la[0] = -12.0, lo[0] = 140.0;
    dest(la[0], lo[0], d, 63.0, &la[1], &lo[1]);
    double mla, mlo, lens = 2 * r * r * acos(d / (2 * r)) - d / 2 * sqrt(4 * r * r - d * d);
    dest(la[0], lo[0], d / 2, 63.0, &mla, &mlo);
    A = prc_fusion_overlap(2, la, lo, r, 200, &cl, &co);
    PT_NEAR(A, lens, 0, 1e-2);
    PT_CHECK(prc_em_distance_km(cl, co, mla, mlo) < 0.2, "d = %g: lens centroid %g km from the midpoint", d, prc_em_distance_km(cl, co, mla, mlo));
  }
  /* three stations on a circle of 40 km around a centre at 0, 120, 240 degrees: the overlap's
   * centroid is that centre (symmetry), wherever station 0 is */
  const double c0la = 61.0, c0lo = -150.0;
  for (int k = 0; k < 3; k++) dest(c0la, c0lo, 40, 20.0 + 120 * k, &la[k], &lo[k]);
  A = prc_fusion_overlap(3, la, lo, r, 200, &cl, &co);
  PT_CHECK(A > 0 && prc_em_distance_km(cl, co, c0la, c0lo) < 0.3, "triangle: area %g, centroid %g km from the centre", A,
           prc_em_distance_km(cl, co, c0la, c0lo));
  /* disjoint circles: no overlap, station 0's position */
  dest(la[0], lo[0], 2.2 * r, 10.0, &la[1], &lo[1]);
  A = prc_fusion_overlap(2, la, lo, r, 200, &cl, &co);
  PT_CHECK(A == 0 && cl == la[0] && co == lo[0], "disjoint: area %g", A);
}

/* alarms against a hand-made catalog: hits, events observed/detected, location errors */
static void test_evaluate(void)
{
  prc_fusion_out rows[4] = {
      {.time = 0, .lat = 30.25, .lon = 100, .cen_lat = 30.3, .cen_lon = 100, .level = PRC_FUSION_ALARM},
      {.time = 5 * D, .lat = 30.25, .lon = 100, .cen_lat = 30.3, .cen_lon = 100, .level = PRC_FUSION_WARNING},
      {.time = 6 * D, .lat = 31.0, .lon = 100, .level = PRC_FUSION_INTERFERENCE},
      {.time = 40 * D, .lat = 40, .lon = 110, .cen_lat = 40, .cen_lon = 110, .level = PRC_FUSION_ALARM},
  };
  /* M5 day 3 and M6 day 8 near A/B; an M3 (below the threshold); M5 day 100 near A (missed);
   * M7 day 9 far from every station (not observable); M5 day 300 (after the watched span) */
  const double et[6] = {3 * D, 8 * D, 4 * D, 100 * D, 9 * D, 300 * D}, ela[6] = {30.3, 30.2, 30.25, 30.0, -20, 30.0},
               elo[6] = {100.1, 100.0, 100.0, 100.0, 0, 100.0}, em[6] = {5, 6, 3, 5, 7, 5};
  prc_fusion_eval e;
  int             hit[4];
  PT_CHECK(!prc_fusion_evaluate(rows, 4, 4, LAT, LON, 6, et, ela, elo, em, 4.5, 10 * D, 80, 0, 200 * D, &e, hit), "%s", prc_lasterr());
  PT_CHECK(e.alarms == 2 && e.alarm_hits == 1 && e.warnings == 1 && e.warning_hits == 1, "alarms %ld/%ld warnings %ld/%ld", e.alarm_hits, e.alarms,
           e.warning_hits, e.warnings);
  PT_CHECK(hit[0] == 1 && hit[1] == 1 && hit[2] == 0 && hit[3] == 0, "hits %d %d %d %d", hit[0], hit[1], hit[2], hit[3]);
  PT_CHECK(e.events == 3 && e.events_detected == 2, "events %ld detected %ld", e.events, e.events_detected);
  /* the nearest matching event to (30.25, 100) is (30.2, 100) */
  PT_NEAR(e.loc_err_km, prc_em_distance_km(30.25, 100, 30.2, 100), 1e-9, 0);
  PT_NEAR(e.loc_err_centroid_km, prc_em_distance_km(30.3, 100, 30.2, 100), 1e-9, 0);
  PT_CHECK(prc_fusion_evaluate(rows, 4, 4, LAT, LON, 6, et, ela, elo, em, 4.5, 0, 80, 0, 1, &e, NULL) < 0, "horizon 0 accepted");
}

static void test_errors(void)
{
  prc_fusion_conf c = {.radius_km = 0, .window_s = 1, .watch_s = 1, .min_agree = 1};
  prc_fusion_in   in[1] = {{0, 0, 0}};
  prc_fusion_out  o[1];
  PT_CHECK(prc_fusion(in, 1, 4, LAT, LON, CODES, &c, o) < 0 && strstr(prc_lasterr(), "radius"), "%s", prc_lasterr());
  c.radius_km = 10, in[0].station = 7;
  PT_CHECK(prc_fusion(in, 1, 4, LAT, LON, CODES, &c, o) < 0 && strstr(prc_lasterr(), "station 7"), "%s", prc_lasterr());
}

int main(int argc, char **argv)
{
  (void)argc;
  pt_set_prog(argv[0]);
  PT_RUN(test_rules);
  PT_RUN(test_overlap);
  PT_RUN(test_evaluate);
  PT_RUN(test_errors);
  return pt_finish();
}

/* test_em_fusion.c — ground–space fusion rules (src/signal/em_fusion.c) on hand-made alarms:
 * agreement within radius and window → alarm at the centroid with a watch; a lone or distant
 * alarm → interference; a space alarm inside the watch → warning, outside (place or time) → recheck
 * naming the nearby stations; input order does not matter; parameter and input errors. */
#include "precursor/em_fusion.h"
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
  PT_NEAR(o[0].lat, 30.25, 1e-12, 0);
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
  PT_RUN(test_errors);
  return pt_finish();
}

/* test_thermal_samples.c — kernels of the thermal forecasting samples (src/thermal/samples.c):
 * scaling edge cases (no valid pixel, one, a constant image, NaN kept out of the statistics)
 * against values computed here; crop clipping inside, across and fully outside the grid and
 * placement with NaN padding; grid checks (daily, regular, ascending); event groups and the
 * quiet rule on a hand-made catalog; both splits (time: the rule and the automatic time;
 * random: stratified counts, seed dependence, empty side refused). */
#include <math.h>
#include <string.h>

#include "precursor/error.h"
#include "precursor/thermal_samples.h"
#include "ptest.h"

static void test_scale(void)
{
  float a[4] = {NAN, NAN, NAN, NAN};
  PT_CHECK(prc_ts_scale(a, 4, PRC_TS_ZSCORE) == 0, "valid fraction of an all-NaN image");
  for (int i = 0; i < 4; i++) PT_CHECK(a[i] == 0, "all-NaN pixel %d -> %g", i, a[i]);
  float b[3] = {5, NAN, NAN};
  PT_NEAR(prc_ts_scale(b, 3, PRC_TS_MINMAX), 1.0 / 3, 1e-15, 0);
  PT_CHECK(b[0] == 0 && b[1] == 0, "one valid pixel -> zeros");
  float c[3] = {7, 7, NAN};
  prc_ts_scale(c, 3, PRC_TS_ZSCORE);
  PT_CHECK(c[0] == 0 && c[1] == 0 && c[2] == 0, "constant image -> zeros");
  float d[5] = {1, 2, NAN, 3, 6}; /* mean 3, population sd sqrt(3.5) */
  prc_ts_scale(d, 5, PRC_TS_ZSCORE);
  double sd = sqrt(3.5);
  PT_NEAR(d[0], -2 / sd, 1e-6, 0);
  PT_NEAR(d[4], 3 / sd, 1e-6, 0);
  PT_CHECK(d[2] == 0, "masked pixel -> 0 after scaling (%g)", d[2]);
  float e[4] = {2, 4, NAN, 10};
  prc_ts_scale(e, 4, PRC_TS_MINMAX);
  PT_NEAR(e[1], 0.25, 1e-7, 0);
  PT_CHECK(e[3] == 1 && e[0] == 0 && e[2] == 0, "minmax ends and mask");
  float f[2] = {280, NAN};
  PT_NEAR(prc_ts_scale(f, 2, PRC_TS_NONE), 0.5, 0, 0);
}

static void test_clip_place(void)
{
  int g0, cnt, off;
  prc_ts_clip(10, 6, 40, &g0, &cnt, &off); /* [7, 13) */
  PT_CHECK(g0 == 7 && cnt == 6 && off == 0, "inside: %d %d %d", g0, cnt, off);
  prc_ts_clip(1, 6, 40, &g0, &cnt, &off); /* [-2, 4) */
  PT_CHECK(g0 == 0 && cnt == 4 && off == 2, "left edge: %d %d %d", g0, cnt, off);
  prc_ts_clip(38, 5, 40, &g0, &cnt, &off); /* [36, 41) */
  PT_CHECK(g0 == 36 && cnt == 4 && off == 0, "right edge: %d %d %d", g0, cnt, off);
  prc_ts_clip(-20, 4, 40, &g0, &cnt, &off);
  PT_CHECK(cnt == 0, "outside: %d", cnt);
  float blk[2 * 2 * 3] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, crop[2 * 4 * 4];
  prc_ts_place(blk, 2, 2, 3, 1, 1, 4, crop);
  PT_CHECK(crop[1 * 4 + 1] == 1 && crop[2 * 4 + 3] == 6 && crop[16 + 2 * 4 + 2] == 11, "placed values");
  PT_CHECK(isnan(crop[0]) && isnan(crop[3 * 4 + 3]) && isnan(crop[16 + 0]), "padding is NaN");
}

static void test_grid(void)
{
  double t[3] = {0, 86400, 172800}, lat[2] = {30, 30.5}, lon[3] = {100, 100.5, 101}, bad[3] = {0, 86400, 200000};
  prc_ts_grid g;
  PT_CHECK(!prc_ts_grid_init(&g, t, 3, lat, 2, lon, 3), "%s", prc_lasterr());
  PT_NEAR(g.dlat, 0.5, 1e-15, 0);
  PT_CHECK(prc_ts_grid_init(&g, bad, 3, lat, 2, lon, 3) && strstr(prc_lasterr(), "not daily"), "gap: %s", prc_lasterr());
  double lon2[3] = {100, 100.5, 101.2};
  PT_CHECK(prc_ts_grid_init(&g, t, 3, lat, 2, lon2, 3) && strstr(prc_lasterr(), "not regular"), "irregular: %s", prc_lasterr());
  double lat2[2] = {30.5, 30};
  PT_CHECK(prc_ts_grid_init(&g, t, 3, lat2, 2, lon, 3) && strstr(prc_lasterr(), "increase"), "descending: %s", prc_lasterr());
}

static void test_groups_and_splits(void)
{
  enum { NT = 40, N = 5 };
  double t[NT], lat[10], lon[10];
  for (int i = 0; i < NT; i++) t[i] = i * 86400.0;
  for (int i = 0; i < 10; i++) lat[i] = 30 + 0.1 * i, lon[i] = 100 + 0.1 * i;
  prc_ts_grid g;
  PT_CHECK(!prc_ts_grid_init(&g, t, NT, lat, 10, lon, 10), "%s", prc_lasterr());
  /* events: ok (day 10.5), too early (day 2), outside, small, ok at the edge (day 30) */
  double et[5] = {10.5 * 86400, 2 * 86400, 20 * 86400, 25 * 86400, 30 * 86400};
  double ela[5] = {30.42, 30.3, 35, 30.5, 29.96}, elo[5] = {100.31, 100.3, 100.3, 100.5, 100.94}, em[5] = {5.5, 6, 5, 4, 5};
  prc_ts_group G[16];
  size_t       n, nos, noi;
  prc_ts_event_groups(&g, et, ela, elo, em, 5, 5, -1e30, 1e30, N, G, &n, &nos, &noi);
  PT_CHECK(n == 2 && nos == 1 && noi == 1, "groups %zu outside %zu no-images %zu", n, nos, noi);
  PT_CHECK(G[0].event == 0 && G[0].row == 4 && G[0].col == 3 && G[0].last == 10, "event 0: row %d col %d last %d", G[0].row, G[0].col, G[0].last);
  PT_CHECK(G[1].event == 4 && G[1].row == 0 && G[1].col == 9 && G[1].last == 29, "event 4: row %d col %d last %d", G[1].row, G[1].col, G[1].last);
  /* quiet groups: never near an M >= 5 event in the guarded window; deterministic */
  PT_CHECK(!prc_ts_quiet_groups(&g, et, ela, elo, em, 5, 5, -1e30, 1e30, N, 4, 2, 6, NULL, NULL, 0, 7, 1000, G + 2), "%s", prc_lasterr());
  for (int q = 2; q < 8; q++) {
    double a = t[G[q].last - (N - 2)] - 2 * 86400, b = t[G[q].last] + 3 * 86400;
    PT_CHECK(!prc_ts_event_near(&g, et, ela, elo, em, 5, 5, G[q].row, G[q].col, 4, a, b), "quiet group %d is near an event", q);
    PT_CHECK(G[q].kind == 0 && G[q].last >= N - 2 && G[q].last < NT, "quiet group %d: last %d", q, G[q].last);
  }
  prc_ts_group H[6];
  prc_ts_quiet_groups(&g, et, ela, elo, em, 5, 5, -1e30, 1e30, N, 4, 2, 6, NULL, NULL, 0, 7, 1000, H);
  int same = 1;
  for (int q = 0; q < 6; q++)
    same &= H[q].row == G[q + 2].row && H[q].col == G[q + 2].col && H[q].last == G[q + 2].last && H[q].kind == 0 && H[q].event == -1;
  PT_CHECK(same, "quiet groups not deterministic");
  int crow[1] = {4}, ccol[1] = {3};
  PT_CHECK(!prc_ts_quiet_groups(&g, et, ela, elo, em, 5, 5, -1e30, 1e30, N, 4, 2, 3, crow, ccol, 1, 7, 1000, H), "%s", prc_lasterr());
  PT_CHECK(H[0].row == 4 && H[0].col == 3 && H[2].row == 4, "quiet groups at the given centre");
  PT_CHECK(prc_ts_quiet_groups(&g, et, ela, elo, em, 5, 5, -1e30, 1e30, N, 40, 60, 1, NULL, NULL, 0, 7, 30, H) && strstr(prc_lasterr(), "no place"),
           "impossible quiet rule: %s", prc_lasterr());
  /* time split */
  int    set[8];
  double ts = NAN;
  PT_CHECK(!prc_ts_split_time(G, 8, 0.25, &ts, set), "%s", prc_lasterr());
  for (int i = 0; i < 8; i++) PT_CHECK(set[i] == (G[i].time >= ts), "time rule at %d", i);
  int ntest = 0;
  for (int i = 0; i < 8; i++) ntest += set[i];
  PT_CHECK(ntest >= 2, "about a quarter tested (%d of 8)", ntest);
  double late = 1e12;
  PT_CHECK(prc_ts_split_time(G, 8, 0.25, &late, set) && strstr(prc_lasterr(), "test set empty"), "%s", prc_lasterr());
  /* random split: stratified counts round(n_k f) */
  PT_CHECK(!prc_ts_split_random(G, 8, 0.5, 3, set), "%s", prc_lasterr());
  int te[2] = {0, 0};
  for (int i = 0; i < 8; i++) te[G[i].kind] += set[i];
  PT_CHECK(te[1] == 1 && te[0] == 3, "stratified: %d quiet + %d earthquake tested", te[0], te[1]);
  int set2[8], differ = 0;
  for (uint64_t sd = 4; sd < 12 && !differ; sd++) {
    prc_ts_split_random(G, 8, 0.5, sd, set2);
    differ = memcmp(set, set2, sizeof set) != 0;
  }
  PT_CHECK(differ, "the random split does not depend on the seed");
  PT_CHECK(prc_ts_split_random(G, 2, 0.01, 3, set), "a split with an empty test side must fail");
}

int main(int argc, char **argv)
{
  (void)argc;
  pt_set_prog(argv[0]);
  PT_RUN(test_scale);
  PT_RUN(test_clip_place);
  PT_RUN(test_grid);
  PT_RUN(test_groups_and_splits);
  return pt_finish();
}

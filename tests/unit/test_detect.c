/* test_detect.c — kernels of event detection (src/seismo/detect.c).
 *
 * Oracles (all closed forms or exhaustive, written independently of the kernels):
 *  - prc_win_row: exact time-based slicing — a window [t, t + L/rate) of a trace starting at
 *    t0 is rows round((t - t0) rate) ..  + L; the 1001-sample STEAD-like case gives L rows.
 *  - prc_win_cut: element by element against the row-major source; leaving the trace = 1;
 *    a NaN anywhere in the window = 2, a NaN just outside it does not matter.
 *  - prc_win_normalize: joint — every channel's mean removed, the largest |x| over all
 *    channels becomes 1 and the ratios between channels are kept (a 10x channel stays 10x);
 *    per_component — each channel's own max |x| = 1; a flat window reports 1 and is zero.
 *  - prc_win_add_noise: the sample standard deviation of the added noise is level x max|w|
 *    within 3 standard errors; identical for the same (seed, id), different otherwise.
 *  - prc_detect_merge: hand-made sequences (overlapping positives merge, a gap splits, the
 *    gap tolerance joins, peak and class from the most probable window, min_windows drops
 *    isolated positives, unsorted times refused) against a straightforward reference merge
 *    on 2000 random sequences.
 *  - prc_sw_noise: any row range equals the same rows of a longer run (block-wise
 *    generation); unit variance and the AR(1) lag-1 correlation within 0.02.
 *  - prc_sw_add_event: nothing before the P arrival; the P arrival row is where distance/vp
 *    puts it; the S burst's horizontal peak is amp (within 10 %); the added energy is
 *    additive (two row ranges = one range). */
#include "ptest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/detect.h"
#include "precursor/error.h"
#include "precursor/rng.h"

static void test_row_and_cut(void)
{
  PT_CHECK(prc_win_row(100.0, 100.0, 100.0) == 0, "row of the start");
  PT_CHECK(prc_win_row(100.0, 100.0, 100.014) == 1, "rounding to the nearest row");
  PT_CHECK(prc_win_row(100.0, 40.0, 110.0) == 400, "40 Hz");
  enum { N = 1001, NC = 3, L = 1000 };
  float *tr = malloc(sizeof(float) * N * NC), out[NC * L];
  for (int r = 0; r < N; r++)
    for (int c = 0; c < NC; c++) tr[r * NC + c] = (float)(r * 10 + c);
  int cols[3] = {2, 0, 1};
  PT_CHECK(prc_win_cut(tr, N, NC, 1, L, cols, 3, out) == 0, "a 1000-row window of a 1001-row trace is cut");
  int bad = 0;
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < L; i++) bad += out[c * L + i] != (float)((1 + i) * 10 + cols[c]);
  PT_CHECK(!bad, "%d values differ from the source", bad);
  PT_CHECK(prc_win_cut(tr, N, NC, 2, L, cols, 3, out) == 1, "a window leaving the trace");
  PT_CHECK(prc_win_cut(tr, N, NC, -1, L, cols, 3, out) == 1, "a window before the trace");
  tr[0 * NC + 1] = NAN; /* outside the window [1, 1001) */
  PT_CHECK(prc_win_cut(tr, N, NC, 1, L, cols, 3, out) == 0, "a NaN outside the window matters not");
  tr[500 * NC + 0] = NAN;
  PT_CHECK(prc_win_cut(tr, N, NC, 1, L, cols, 3, out) == 2, "a NaN inside the window is a gap");
  PT_CHECK(prc_win_cut(tr, N, NC, 1, L, cols + 2, 1, out) == 0, "the same NaN in a column not taken");
  free(tr);
}

static void test_normalize(void)
{
  enum { L = 200 };
  float w[3 * L], v[3 * L];
  for (int i = 0; i < L; i++) w[i] = 5 + sinf(0.1f * i), w[L + i] = -3 + 10 * sinf(0.1f * i + 1), w[2 * L + i] = 0.5f * cosf(0.3f * i);
  memcpy(v, w, sizeof w);
  PT_CHECK(prc_win_normalize(v, 3, L, PRC_NORM_JOINT) == 0, "joint");
  double mx = 0, m1 = 0, m0 = 0, mean[3] = {0, 0, 0};
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < L; i++) mean[c] += v[c * L + i] / L, mx = fmax(mx, fabs(v[c * L + i]));
  for (int i = 0; i < L; i++) m0 = fmax(m0, fabs(v[i])), m1 = fmax(m1, fabs(v[L + i]));
  PT_NEAR(mx, 1.0, 1e-6, 0);
  for (int c = 0; c < 3; c++) PT_NEAR(mean[c], 0.0, 1e-6, 0);
  /* the ratio of the channel amplitudes is kept (reference in double) */
  double r0 = 0, r1 = 0, s0 = 0, s1 = 0;
  for (int i = 0; i < L; i++) s0 += w[i], s1 += w[L + i];
  for (int i = 0; i < L; i++) r0 = fmax(r0, fabs(w[i] - s0 / L)), r1 = fmax(r1, fabs(w[L + i] - s1 / L));
  PT_NEAR(m1 / m0, r1 / r0, 0, 1e-5);
  memcpy(v, w, sizeof w);
  PT_CHECK(prc_win_normalize(v, 3, L, PRC_NORM_PER_COMPONENT) == 0, "per component");
  for (int c = 0; c < 3; c++) {
    double m = 0;
    for (int i = 0; i < L; i++) m = fmax(m, fabs(v[c * L + i]));
    PT_NEAR(m, 1.0, 1e-6, 0);
  }
  memcpy(v, w, sizeof w);
  PT_CHECK(prc_win_normalize(v, 3, L, PRC_NORM_NONE) == 0 && !memcmp(v, w, sizeof w), "none leaves the window");
  for (int i = 0; i < 3 * L; i++) v[i] = 7;
  PT_CHECK(prc_win_normalize(v, 3, L, PRC_NORM_JOINT) == 1, "a flat window is reported");
  for (int i = 0; i < 3 * L; i++) PT_CHECK(v[i] == 0, "flat -> zero");
  PT_CHECK(prc_win_norm_parse("joint") == PRC_NORM_JOINT && prc_win_norm_parse("per_component") == PRC_NORM_PER_COMPONENT &&
               prc_win_norm_parse("none") == PRC_NORM_NONE && prc_win_norm_parse("Joint") < 0,
           "parse");
}

static void test_noise(void)
{
  enum { N = 20000 };
  float *a = malloc(4 * N), *b = malloc(4 * N), *c = malloc(4 * N);
  for (int i = 0; i < N; i++) a[i] = (i == 7) ? 2.0f : 0.0f;
  memcpy(b, a, 4 * N), memcpy(c, a, 4 * N);
  prc_win_add_noise(a, N, 0.05, 3, 11);
  prc_win_add_noise(b, N, 0.05, 3, 11);
  prc_win_add_noise(c, N, 0.05, 3, 12);
  PT_CHECK(!memcmp(a, b, 4 * N), "same (seed, id), same noise");
  PT_CHECK(memcmp(a, c, 4 * N), "another id, other noise");
  double s = 0, s2 = 0;
  for (int i = 0; i < N; i++)
    if (i != 7) s += a[i], s2 += (double)a[i] * a[i];
  double sd = sqrt(s2 / (N - 1) - (s / (N - 1)) * (s / (N - 1)));
  PT_NEAR(sd, 0.05 * 2.0, 3 * 0.1 / sqrt(2.0 * N), 0);
  free(a), free(b), free(c);
}

/* reference merge, written plainly */
static int64_t ref_merge(const double *t, const float *p, const int *cls, int n, double len, double thr, double gap, int minw, prc_detection *out)
{
  int64_t nd = 0;
  int     i = 0;
  while (i < n) {
    if (!(p[i] >= thr)) { i++; continue; }
    prc_detection d = {t[i], t[i] + len, t[i], p[i], cls[i], 1, i};
    int j = i + 1, last = i;
    for (; j < n; j++) {
      if (!(p[j] >= thr)) continue;
      if (t[j] > t[last] + len + gap) break;
      d.end = t[j] + len, d.nwin++;
      if (p[j] > d.prob) d.prob = p[j], d.peak_time = t[j], d.cls = cls[j];
      last = j;
    }
    if (d.nwin >= minw) out[nd++] = d;
    i = j;
  }
  return nd;
}

static void test_merge(void)
{
  /* windows of 10 s every 1 s; positives at 3..6 (one event) and 30 (isolated) and 45..46 */
  double t[60];
  float  p[60];
  int    cls[60];
  for (int i = 0; i < 60; i++) t[i] = 100 + i, p[i] = 0.1f, cls[i] = 1;
  for (int i = 3; i <= 6; i++) p[i] = 0.6f + 0.05f * i, cls[i] = i == 5 ? 3 : 2;
  p[30] = 0.9f, p[45] = p[46] = 0.7f;
  prc_detection *d;
  int64_t        n;
  PT_CHECK(prc_detect_merge(t, p, cls, 60, 10, 0.5, 0, 1, &d, &n) == 0 && n == 3, "3 detections, got %lld", (long long)n);
  if (n == 3) {
    PT_CHECK(d[0].start == 103 && d[0].end == 116 && d[0].nwin == 4 && d[0].peak_time == 106 && d[0].cls == 2, "first detection");
    PT_CHECK(d[1].start == 130 && d[1].nwin == 1, "isolated");
  }
  free(d);
  PT_CHECK(prc_detect_merge(t, p, cls, 60, 10, 0.5, 0, 2, &d, &n) == 0 && n == 2, "min_windows 2 drops the isolated one: %lld", (long long)n);
  free(d);
  /* windows every 20 s (no overlap): adjacent positives 20 s apart merge only with gap >= 10 */
  double t2[4] = {0, 20, 40, 60};
  float  p2[4] = {0.9f, 0.9f, 0.1f, 0.9f};
  int    c2[4] = {1, 1, 1, 1};
  PT_CHECK(prc_detect_merge(t2, p2, c2, 4, 10, 0.5, 0, 1, &d, &n) == 0 && n == 3, "no gap tolerance: 3");
  free(d);
  PT_CHECK(prc_detect_merge(t2, p2, c2, 4, 10, 0.5, 10, 1, &d, &n) == 0 && n == 2, "gap 10 s: 2");
  free(d);
  double t3[3] = {0, 2, 1};
  PT_CHECK(prc_detect_merge(t3, p2, c2, 3, 10, 0.5, 0, 1, &d, &n) != 0 && strstr(prc_lasterr(), "ascending"), "unsorted refused");
  PT_CHECK(prc_detect_merge(t2, p2, c2, 4, 0, 0.5, 0, 1, &d, &n) != 0, "zero window length refused");
  /* random sequences against the reference */
  prc_rng r;
  prc_rng_seed(&r, 5, 0);
  int bad = 0;
  for (int k = 0; k < 2000; k++) {
    int    nn = 1 + (int)prc_rng_below(&r, 80), minw = 1 + (int)prc_rng_below(&r, 3);
    double tt[80], len = 1 + 10 * prc_rng_uniform(&r), gap = prc_rng_uniform(&r) < 0.5 ? 0 : 5 * prc_rng_uniform(&r), st = 0.5 + 15 * prc_rng_uniform(&r);
    float  pp[80];
    int    cc[80];
    prc_detection ref[80];
    for (int i = 0; i < nn; i++) tt[i] = i * st, pp[i] = (float)prc_rng_uniform(&r), cc[i] = 1 + (int)prc_rng_below(&r, 4);
    int64_t nr = ref_merge(tt, pp, cc, nn, len, 0.6, gap, minw, ref);
    PT_CHECK(prc_detect_merge(tt, pp, cc, nn, len, 0.6, gap, minw, &d, &n) == 0, "merge failed");
    if (n != nr) bad++;
    else
      for (int64_t i = 0; i < n; i++)
        bad += d[i].start != ref[i].start || d[i].end != ref[i].end || d[i].nwin != ref[i].nwin || d[i].peak_time != ref[i].peak_time ||
               d[i].cls != ref[i].cls || d[i].first != ref[i].first;
    free(d);
  }
  PT_CHECK(!bad, "%d random sequences differ from the reference merge", bad);
}

static const prc_sw_model MD = {100, 0.6, 6.0, 3.5, 8, 4, 100, 0.8, 1.5, 3};

static void test_sw_noise(void)
{
  enum { N = 20000 };
  float *a = malloc(sizeof(float) * N * 3), *b = malloc(sizeof(float) * 5000 * 3);
  prc_sw_noise(&MD, 9, 1, 0, N, a);
  prc_sw_noise(&MD, 9, 1, 7001, 5000, b); /* crosses a block boundary (8192) */
  PT_CHECK(!memcmp(a + 7001 * 3, b, sizeof(float) * 5000 * 3), "a row range differs from the same rows of a longer run");
  for (int c = 0; c < 3; c++) {
    double s = 0, s2 = 0, s11 = 0;
    for (int i = 0; i < N; i++) s += a[i * 3 + c], s2 += (double)a[i * 3 + c] * a[i * 3 + c];
    for (int i = 1; i < N; i++) s11 += (double)a[i * 3 + c] * a[(i - 1) * 3 + c];
    PT_NEAR(s2 / N, 1.0, 0.05, 0);
    PT_NEAR(s11 / (N - 1), 0.6, 0.03, 0);
  }
  free(a), free(b);
}

static void test_sw_event(void)
{
  enum { N = 6000 };
  float *a = calloc(N * 3, sizeof(float)), *b = calloc(N * 3, sizeof(float));
  double t0 = 1000, origin = 1005, dist = 30; /* P at 1010 (row 1000), S at 1013.571 */
  prc_sw_add_event(&MD, t0, 0, N, origin, dist, 90, 10.0, 1, 4, a);
  int first = -1;
  for (int i = 0; i < N && first < 0; i++)
    if (a[i * 3] || a[i * 3 + 1] || a[i * 3 + 2]) first = i;
  PT_CHECK(first >= 1000 && first <= 1001, "first non-zero row %d, P arrival row 1000", first);
  /* back-azimuth 90: radial = E, transverse = -N: the N peak is the S envelope peak (amp) times a
   * sine value near its crest (the S frequency at 30 km is 3.08 Hz: 32 samples a period) */
  double hmax = 0;
  for (int i = 0; i < N; i++) hmax = fmax(hmax, fabs(a[i * 3 + 1]));
  PT_CHECK(hmax > 9.0 && hmax <= 10.0 + 1e-4, "transverse peak %.3f for amplitude 10", hmax);
  /* two row ranges = one range */
  prc_sw_add_event(&MD, t0, 0, 1234, origin, dist, 90, 10.0, 1, 4, b);
  prc_sw_add_event(&MD, t0, 1234, N - 1234, origin, dist, 90, 10.0, 1, 4, b + 1234 * 3);
  PT_CHECK(!memcmp(a, b, sizeof(float) * N * 3), "block-wise injection differs");
  free(a), free(b);
}

int main(int argc, char **argv)
{
  pt_set_prog(argv[0]);
  PT_RUN(test_row_and_cut);
  PT_RUN(test_normalize);
  PT_RUN(test_noise);
  PT_RUN(test_merge);
  PT_RUN(test_sw_noise);
  PT_RUN(test_sw_event);
  return pt_finish();
}

/* test_em_samples.c — kernels of `em-samples` (src/signal/em_samples.c): gap filling, reflection,
 * standardisation, segment layout invariants, the smoothed segment noise against a direct sum,
 * SNR (measured noise power), the stratified split, labels and distances on hand-made cases,
 * parameter errors. The whole construction is checked against numpy in tests/cli/test_em_samples.sh. */
#include "precursor/em_samples.h"
#include "precursor/error.h"
#include "precursor/rng.h"
#include "ptest.h"

static void test_fill_mirror_std(void)
{
  double v[8] = {NAN, 1, NAN, NAN, 4, 5, NAN, NAN};
  PT_CHECK(prc_em_fill_gaps(v, 8) == 5, "filled count");
  double want[8] = {1, 1, 2, 3, 4, 5, 5, 5};
  for (int i = 0; i < 8; i++) PT_NEAR(v[i], want[i], 1e-15, 0);
  double z[3] = {NAN, NAN, NAN};
  PT_CHECK(prc_em_fill_gaps(z, 3) < 0 && strstr(prc_lasterr(), "no finite value"), "%s", prc_lasterr());
  int64_t m[10], wm[10] = {0, 1, 2, 2, 1, 0, 0, 1, 2, 2};
  for (int t = 0; t < 10; t++) {
    m[t] = prc_em_mirror(t, 3);
    PT_CHECK(m[t] == wm[t], "mirror(%d, 3) = %lld", t, (long long)m[t]);
  }
  PT_CHECK(prc_em_mirror(7, 1) == 0, "n = 1");
  double s[4] = {1, 2, 3, 4}, mu, sd;
  PT_CHECK(!prc_em_standardize(s, 4, &mu, &sd), "%s", prc_lasterr());
  PT_NEAR(mu, 2.5, 1e-15, 0);
  PT_NEAR(sd, sqrt(1.25), 1e-15, 0);
  PT_NEAR(s[0], -1.5 / sqrt(1.25), 1e-15, 0);
  double cst[3] = {2, 2, 2};
  PT_CHECK(prc_em_standardize(cst, 3, NULL, NULL) != 0 && strstr(prc_lasterr(), "constant"), "%s", prc_lasterr());
}

static prc_em_sim small(void)
{
  prc_em_sim p = {.nclass = 3, .nchan = 2, .per_class = 20, .len = 100, .stride = 60, .nseg = 40, .gap_max = 30, .seg_len_min = 5,
                  .seg_len_max = 25, .smooth = 4, .amp = {0, 1, 3}, .snr_db = 10, .seed = 42};
  return p;
}

static void test_segments(void)
{
  prc_em_sim p = small();
  int64_t    R = prc_em_record_length(&p), a[64], n[64];
  PT_CHECK(R == 19 * 60 + 100, "R = %lld", (long long)R);
  for (int c = 0; c < 3; c++) {
    int m = prc_em_segments(&p, c, a, n);
    PT_CHECK(m > 10 && m <= 40, "class %d: %d segments", c, m);
    for (int s = 0; s < m; s++) {
      PT_CHECK(n[s] >= 1 && n[s] <= 25 && a[s] >= 0 && a[s] + n[s] <= R, "segment %d [%lld +%lld)", s, (long long)a[s], (long long)n[s]);
      if (s) PT_CHECK(a[s] >= a[s - 1] + n[s - 1] && a[s] - (a[s - 1] + n[s - 1]) <= 30, "gap before segment %d", s);
    }
  }
}

static void test_sample(void)
{
  prc_em_sim p = small();
  int64_t    nb = 500, a[64], n[64];
  double    *base = malloc(sizeof(double) * 2 * nb), clean[200], noisy[200], aux[2];
  for (int64_t t = 0; t < 2 * nb; t++) base[t] = sin(0.01 * (double)t);
  int m = prc_em_segments(&p, 2, a, n);
  /* class 2, sample 7: the segment part equals amp * sum_{k<W} z(t-k) / sqrt(W) computed directly */
  int j = 7;
  PT_CHECK(!prc_em_sample(&p, base, nb, a, n, m, 2, j, clean, noisy, aux), "%s", prc_lasterr());
  double maxd = 0, np = 0;
  for (int ch = 0; ch < 2; ch++)
    for (int i = 0; i < 100; i++) {
      int64_t t = j * 60 + i, in = 0;
      for (int s = 0; s < m; s++) in |= t >= a[s] && t < a[s] + n[s];
      double seg = 0;
      for (int k = 0; k < 4 && in; k++) seg += prc_hash_normal(42, ((uint64_t)PRC_EM_TAG_SEG << 8) | (uint64_t)ch, 2, (uint64_t)(t - k + 4));
      double want = base[ch * nb + prc_em_mirror(t, nb)] + 3 * seg / 2;
      maxd = fmax(maxd, fabs(clean[ch * 100 + i] - want));
      np += (noisy[ch * 100 + i] - clean[ch * 100 + i]) * (noisy[ch * 100 + i] - clean[ch * 100 + i]);
    }
  PT_CHECK(maxd < 1e-12, "segment noise differs from the direct sum by %g", maxd);
  PT_NEAR(aux[0], (7.0 * 60 + 100) / (19.0 * 60 + 100), 1e-15, 0);
  PT_CHECK(aux[1] > 0 && aux[1] < 1, "aux distance %g", aux[1]);
  /* measured noise power over many samples: 10^(-SNR/10) of the unit base power */
  double tot = 0;
  int    cnt = 0;
  for (int c = 0; c < 3; c++)
    for (int jj = 0; jj < 20; jj++) {
      prc_em_segments(&p, c, a, n);
      prc_em_sample(&p, base, nb, a, n, prc_em_segments(&p, c, a, n), c, jj, clean, noisy, NULL);
      for (int i = 0; i < 200; i++) tot += (noisy[i] - clean[i]) * (noisy[i] - clean[i]), cnt++;
    }
  PT_NEAR(tot / cnt, 0.1, 0, 0.05);
  (void)np;
  /* class 0 has amplitude 0: clean == base */
  m = prc_em_segments(&p, 0, a, n);
  prc_em_sample(&p, base, nb, a, n, m, 0, 3, clean, NULL, NULL);
  for (int i = 0; i < 100; i++) PT_NEAR(clean[i], base[prc_em_mirror(180 + i, nb)], 0, 0);
  PT_CHECK(prc_em_sample(&p, base, nb, a, n, m, 3, 0, clean, NULL, NULL) != 0, "class 3 accepted");
  free(base);
}

static void test_split_label_errors(void)
{
  unsigned char v[50];
  PT_CHECK(!prc_em_split(9, 1, 50, NULL, 12, v), "%s", prc_lasterr());
  int cnt = 0;
  for (int i = 0; i < 50; i++) cnt += v[i];
  PT_CHECK(cnt == 12, "%d validation samples", cnt);
  unsigned char w[50];
  prc_em_split(9, 2, 50, NULL, 12, w);
  PT_CHECK(memcmp(v, w, 50) != 0, "classes split identically");
  /* labels: station at (0, 0); events at ~111 km (M5), ~222 km (M7), and one before the window */
  double t[4] = {100, 150, 50, 400}, la[4] = {1, 2, 0, 0}, lo[4] = {0, 0, 0, 0}, mg[4] = {5, 7, 8, 9}, thr[5] = {3, 4.5, 6, 7, 8}, d;
  int64_t e;
  PT_NEAR(prc_em_distance_km(0, 0, 1, 0), 6371 * M_PI / 180, 1e-9, 0);
  PT_CHECK(prc_em_label(4, t, la, lo, mg, 0, 0, 60, 200, 300, 5, thr, &e, &d) == 4 && e == 1, "M7 at 222 km -> class 4, event %lld", (long long)e);
  PT_CHECK(prc_em_label(4, t, la, lo, mg, 0, 0, 60, 200, 150, 5, thr, &e, &d) == 2 && e == 0, "radius 150 -> M5 -> class 2");
  PT_CHECK(prc_em_label(4, t, la, lo, mg, 0, 0, 160, 100, 300, 5, thr, &e, &d) == 0 && e == -1 && isnan(d), "nothing in (160, 260]");
  PT_CHECK(prc_em_label(4, t, la, lo, mg, 0, 0, 300, 100, 300, 5, thr, &e, &d) == 5, "M9 -> great");
  prc_em_sim p = small();
  p.seg_len_max = 2;
  PT_CHECK(prc_em_sim_check(&p) && strstr(prc_lasterr(), "segment lengths"), "%s", prc_lasterr());
  p = small(), p.amp[1] = -1;
  PT_CHECK(prc_em_sim_check(&p) && strstr(prc_lasterr(), "class 1"), "%s", prc_lasterr());
  p = small(), p.nclass = 1;
  PT_CHECK(prc_em_sim_check(&p) && strstr(prc_lasterr(), "classes"), "%s", prc_lasterr());
}

int main(int argc, char **argv)
{
  (void)argc;
  pt_set_prog(argv[0]);
  PT_RUN(test_fill_mirror_std);
  PT_RUN(test_segments);
  PT_RUN(test_sample);
  PT_RUN(test_split_label_errors);
  return pt_finish();
}

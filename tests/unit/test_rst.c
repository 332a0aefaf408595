/* test_rst.c — RST kernels against the straightforward reference and closed forms. */
#include "ptest.h"

#include "precursor/error.h"
#include "precursor/rng.h"
#include "precursor/rst.h"
#include "precursor/timeutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { NT = 900, NP = 37 };

/* a stack with seasonal signal, noise and ~40 % NaN; bins from real dates from 2010-01-01 */
static void make_stack(float *s, double *tbar, int *bin, int monthly)
{
  prc_rng r;
  prc_rng_seed(&r, 11, 1);
  for (int t = 0; t < NT; t++) {
    double tt = 14610.0 * PRC_DAY + t * PRC_DAY; /* 2010-01-01 */
    bin[t] = prc_rst_bin(tt, monthly);
    tbar[t] = t % 97 == 5 ? NAN : 280 + 10 * sin(t / 58.0);
    for (int p = 0; p < NP; p++)
      s[(size_t)t * NP + p] = prc_rng_uniform(&r) < 0.4 ? NAN : (float)(tbar[t] + 3 * sin(p + t / 58.0) + prc_rng_normal(&r) * (1 + p % 3));
  }
}

static void compare(const char *what, int window, int circular, int monthly, int block, int nmin)
{
  static float s[NT * NP];
  static double tbar[NT];
  static int    bin[NT];
  make_stack(s, tbar, bin, monthly);
  int         nb = monthly ? 12 : 366;
  prc_rst_acc a;
  PT_CHECK(!prc_rst_acc_init(&a, nb, NP), "%s", prc_lasterr());
  for (int t0 = 0; t0 < NT; t0 += block) {
    int n = t0 + block > NT ? NT - t0 : block;
    prc_rst_acc_add(&a, s + (size_t)t0 * NP, n, tbar + t0, bin + t0);
  }
  static float   mu[366 * NP], sd[366 * NP], mr[366 * NP], sr[366 * NP];
  static int32_t c[366 * NP], cr[366 * NP];
  prc_rst_background(&a, window, circular, nmin, mu, sd, c);
  prc_rst_background_ref(s, NT, NP, tbar, bin, nb, window, circular, nmin, mr, sr, cr);
  double emax = 0;
  int    nanmis = 0, cmis = 0, defined = 0;
  for (int i = 0; i < nb * NP; i++) {
    cmis += c[i] != cr[i];
    nanmis += isnan(mu[i]) != isnan(mr[i]) || isnan(sd[i]) != isnan(sr[i]);
    if (!isnan(mr[i])) {
      defined++;
      emax = fmax(emax, fmax(fabs(mu[i] - mr[i]), fabs(sd[i] - sr[i])));
    }
  }
  printf("# %s: %d defined slot-pixels, max |fast - ref| %.2e\n", what, defined, emax);
  PT_CHECK(cmis == 0, "%s: %d counts differ", what, cmis);
  PT_CHECK(nanmis == 0, "%s: %d undefined pixels differ", what, nanmis);
  PT_CHECK(defined > nb * NP / 4, "%s: too few defined pixels (%d): the test is too weak", what, defined);
  PT_NEAR(emax, 0, 2e-5, 0); /* float32 outputs of values ~ 5 K */
  prc_rst_acc_free(&a);
}

static void test_doy_window_vs_ref(void) { compare("doy +-7", 7, 1, 0, 32, 5); }
static void test_doy_min_samples_vs_ref(void) { compare("doy +-2, min 9", 2, 1, 0, 50, 9); }
static void test_doy_window0_vs_ref(void) { compare("doy +-0", 0, 1, 0, 7, 2); }
static void test_doy_wide_window_vs_ref(void) { compare("doy +-200 (all bins)", 200, 1, 0, 900, 5); }
static void test_month_vs_ref(void) { compare("month", 0, 0, 1, 64, 5); }

/* blocking must not change a single bit */
static void test_block_invariance(void)
{
  static float s[NT * NP];
  static double tbar[NT];
  static int    bin[NT];
  make_stack(s, tbar, bin, 0);
  prc_rst_acc a, b;
  prc_rst_acc_init(&a, 366, NP);
  prc_rst_acc_init(&b, 366, NP);
  prc_rst_acc_add(&a, s, NT, tbar, bin);
  for (int t0 = 0; t0 < NT; t0 += 13) prc_rst_acc_add(&b, s + (size_t)t0 * NP, t0 + 13 > NT ? NT - t0 : 13, tbar + t0, bin + t0);
  PT_CHECK(!memcmp(a.n, b.n, 366 * NP * sizeof(int32_t)) && !memcmp(a.s1, b.s1, 366 * NP * sizeof(double)) &&
               !memcmp(a.s2, b.s2, 366 * NP * sizeof(double)) && !memcmp(a.shift, b.shift, NP * sizeof(double)),
           "block size changed the accumulators");
  prc_rst_acc_free(&a);
  prc_rst_acc_free(&b);
}

/* closed form: two bins holding {1,2,3} and {10}: window mean 4, population var 12.5 */
static void test_window_sums_closed_form(void)
{
  float   buf[4] = {1, 2, 3, 10};
  double  tb[4] = {0, 0, 0, 0};
  int     bins[4] = {0, 0, 0, 1};
  float   mu[12], sd[12];
  int32_t c[12];
  prc_rst_acc a;
  prc_rst_acc_init(&a, 12, 1);
  prc_rst_acc_add(&a, buf, 4, tb, bins);
  prc_rst_background(&a, 1, 0, 2, mu, sd, c);
  PT_CHECK(c[0] == 4 && c[1] == 4 && c[2] == 1, "counts %d %d %d", c[0], c[1], c[2]);
  PT_NEAR(mu[0], 4, 1e-6, 0);
  PT_NEAR(sd[0], sqrt(12.5), 1e-6, 0);
  PT_CHECK(isnan(mu[2]) && isnan(sd[2]), "a slot with 1 sample < min 2 must be NaN, got %g", mu[2]);
  PT_CHECK(c[5] == 0 && isnan(mu[5]), "an empty slot must be NaN with count 0");
  PT_CHECK(a.shift[0] == 1 && a.s1[0] == 3 && a.s2[0] == 5 && a.s1[1] == 9 && a.s2[1] == 81,
           "shifted sums: c %g, bin 0 (%g, %g), bin 1 (%g, %g)", a.shift[0], a.s1[0], a.s2[0], a.s1[1], a.s2[1]);
  prc_rst_acc_free(&a);
}

/* The shift is what keeps the sums stable: dT ~ 1e6 K (tbar = -1e6) with sd ~ 1 K. Unshifted
 * sums would lose ~ eps * 1e12 = 2e-4 K^2 of the variance; the shifted ones agree with the
 * two-pass reference to float32 rounding. A window of one repeated value has sd exactly 0
 * (R undefined) even where the value differs from the shift. */
static void test_shift_no_cancellation(void)
{
  enum { T = 730, P = 3 };
  static float s[T * P];
  double       tb[T];
  int          bin[T];
  prc_rng      r;
  prc_rng_seed(&r, 3, 7);
  for (int t = 0; t < T; t++) {
    bin[t] = prc_rst_bin(14610.0 * PRC_DAY + t * PRC_DAY, 0);
    tb[t] = -1e6;
    s[t * P + 0] = (float)(5 + prc_rng_normal(&r));
    s[t * P + 1] = (float)(2 + 0.01 * prc_rng_normal(&r));
    s[t * P + 2] = t < 100 ? 7.0f : 1.3f; /* shift 1e6 + 7, later windows constant 1e6 + 1.3 */
  }
  static float   mu[366 * P], sd[366 * P], mr[366 * P], sr[366 * P];
  static int32_t c[366 * P], cr[366 * P];
  prc_rst_acc    a;
  PT_CHECK(!prc_rst_acc_init(&a, 366, P), "%s", prc_lasterr());
  prc_rst_acc_add(&a, s, T, tb, bin);
  prc_rst_background(&a, 7, 1, 5, mu, sd, c);
  prc_rst_background_ref(s, T, P, tb, bin, 366, 7, 1, 5, mr, sr, cr);
  double e0 = 0, e1 = 0;
  int    zero = 0;
  for (int i = 0; i < 366 * P; i++) {
    if (i % P == 2) {
      if (i / P >= 120 && i / P <= 340) zero += sd[i] == 0 && mu[i] == (float)(1e6 + (double)1.3f);
      continue;
    }
    double e = fabs(sd[i] - sr[i]) / sr[i];
    if (i % P == 0) e0 = fmax(e0, e); else e1 = fmax(e1, e);
  }
  printf("# dT ~ 1e6: max relative sd error %.2e (sd ~ 1), %.2e (sd ~ 0.01); %d constant windows with sd 0\n", e0, e1, zero);
  PT_NEAR(e0, 0, 2e-6, 0);
  PT_NEAR(e1, 0, 2e-6, 0);
  PT_CHECK(zero == 221, "constant windows with sd exactly 0 and the exact mean: %d of 221", zero);
  prc_rst_acc_free(&a);
}

static void test_retira_closed_form(void)
{
  float  buf[3] = {305, NAN, 299}, mu[3] = {2, 2, 2}, sd[3] = {2, 2, 0}, r[3];
  double tb[1] = {300};
  int    slot[1] = {0};
  prc_rst_retira(buf, 1, 3, tb, slot, mu, sd, r);
  PT_NEAR(r[0], 1.5, 1e-6, 0); /* (305 - 300 - 2) / 2 */
  PT_CHECK(isnan(r[1]), "missing pixel must give NaN");
  PT_CHECK(isnan(r[2]), "sd 0 must give NaN, got %g", r[2]);
}

static void test_spatial_mean_fixed_point(void)
{
  float   buf[6] = {300.25f, NAN, 299.5f, 1e30f, 1, 2};
  int64_t q[2], c[2];
  PT_CHECK(!prc_rst_mean_local(buf, 1, 3, q, c), "%s", prc_lasterr());
  PT_CHECK(c[0] == 2, "count %lld", (long long)c[0]);
  PT_NEAR((double)q[0] / PRC_RST_FIXED_SCALE / (double)c[0], (300.25 + 299.5) / 2, 1e-9, 0);
  PT_CHECK(prc_rst_mean_local(buf + 3, 1, 3, q, c) != 0, "1e30 must be refused");
  PT_CHECK(strstr(prc_lasterr(), "too large") != NULL, "message: %s", prc_lasterr());
}

static void test_bins(void)
{
  double t;
  prc_time_parse("2012-12-31", &t);
  PT_CHECK(prc_rst_bin(t, 0) == 365 && prc_rst_bin(t, 1) == 11, "leap-year Dec 31: %d %d", prc_rst_bin(t, 0), prc_rst_bin(t, 1));
  prc_time_parse("2011-03-01T23:59:59", &t);
  PT_CHECK(prc_rst_bin(t, 0) == 59 && prc_rst_bin(t, 1) == 2, "2011-03-01: %d %d", prc_rst_bin(t, 0), prc_rst_bin(t, 1));
}

/* ---- fast kernels against their scalar _ref twins: the same bits ----
 * Sizes straddle the kernels' pixel tiles (512, 64) and the two-lane SIMD (odd counts). */
enum { NT2 = 800, NP2 = 1101 };

static int same_bits_f(const float *a, const float *b, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!(isnan(a[i]) && isnan(b[i])) && memcmp(a + i, b + i, sizeof *a)) return (int)i + 1;
  return 0;
}

static int same_bits_d(const double *a, const double *b, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!(isnan(a[i]) && isnan(b[i])) && memcmp(a + i, b + i, sizeof *a)) return (int)i + 1;
  return 0;
}

static void make_stack2(float *s, double *tbar, int *bin, int64_t np, int monthly)
{
  prc_rng r;
  prc_rng_seed(&r, 5, 3);
  for (int t = 0; t < NT2; t++) {
    bin[t] = t % 211 == 17 ? -1 : prc_rst_bin(14610.0 * PRC_DAY + t * PRC_DAY, monthly);
    tbar[t] = t % 97 == 5 ? NAN : 280 + 10 * sin(t / 58.0);
    for (int64_t p = 0; p < np; p++) {
      double u = prc_rng_uniform(&r);
      s[(size_t)t * np + p] = u < 0.4 ? NAN : u < 0.41 ? (float)(INFINITY * (u < 0.405 ? 1 : -1))
                                                       : (float)(tbar[t] + 3 * sin((double)p + t / 58.0) + prc_rng_normal(&r) * (1 + p % 3));
    }
  }
}

static void test_acc_fast_vs_ref_bitwise(void)
{
  static const int64_t nps[] = {1, 2, 37, 513, NP2};
  float  *s = malloc(sizeof(float) * NT2 * NP2);
  double  tbar[NT2];
  int     bin[NT2];
  for (int m = 0; m < 2; m++)
    for (size_t k = 0; k < sizeof nps / sizeof *nps; k++) {
      int64_t np = nps[k];
      int     nb = m ? 12 : 366, block = k % 2 ? NT2 : 32;
      make_stack2(s, tbar, bin, np, m);
      prc_rst_acc a, b;
      PT_CHECK(!prc_rst_acc_init(&a, nb, np) && !prc_rst_acc_init(&b, nb, np), "%s", prc_lasterr());
      for (int t0 = 0; t0 < NT2; t0 += block) {
        int n = t0 + block > NT2 ? NT2 - t0 : block;
        prc_rst_acc_add(&a, s + (size_t)t0 * np, n, tbar + t0, bin + t0);
        prc_rst_acc_add_ref(&b, s + (size_t)t0 * np, n, tbar + t0, bin + t0);
      }
      size_t nn = (size_t)nb * np;
      PT_CHECK(!memcmp(a.n, b.n, nn * sizeof(int32_t)) && !memcmp(a.s1, b.s1, nn * sizeof(double)) &&
                   !memcmp(a.s2, b.s2, nn * sizeof(double)) && !same_bits_d(a.shift, b.shift, (size_t)np),
               "acc_add fast != ref (npix %lld, %s, block %d)", (long long)np, m ? "month" : "doy", block);
      /* background merge and RETIRA on these accumulators */
      static const int wins[] = {0, 7, 200};
      float   *mu = malloc(sizeof(float) * nn), *sd = malloc(sizeof(float) * nn), *mr = malloc(sizeof(float) * nn),
              *sr = malloc(sizeof(float) * nn), *r1 = malloc(sizeof(float) * NT2 * np), *r2 = malloc(sizeof(float) * NT2 * np);
      int32_t *c = malloc(sizeof(int32_t) * nn), *cr = malloc(sizeof(int32_t) * nn);
      int      slot[NT2];
      for (int t = 0; t < NT2; t++) slot[t] = prc_rst_bin(14610.0 * PRC_DAY + t * PRC_DAY, m);
      for (int w = 0; w < (m ? 1 : 3); w++) {
        prc_rst_background(&a, wins[w], !m, 4, mu, sd, c);
        prc_rst_background_sums_ref(&a, wins[w], !m, 4, mr, sr, cr);
        PT_CHECK(!memcmp(c, cr, nn * sizeof *c) && !same_bits_f(mu, mr, nn) && !same_bits_f(sd, sr, nn),
                 "background fast != ref (npix %lld, window %d)", (long long)np, wins[w]);
        sd[0] = 0; /* sd 0 gives NaN */
        prc_rst_retira(s, NT2, np, tbar, slot, mu, sd, r1);
        prc_rst_retira_ref(s, NT2, np, tbar, slot, mu, sd, r2);
        int bad = same_bits_f(r1, r2, (size_t)NT2 * np);
        PT_CHECK(!bad, "retira fast != ref (npix %lld, window %d) at %d: %.9g %.9g", (long long)np, wins[w], bad - 1,
                 bad ? r1[bad - 1] : 0, bad ? r2[bad - 1] : 0);
      }
      /* in place (on b, the same sums as a): the same bits as out of place */
      float   *mi, *si;
      int32_t *ci;
      PT_CHECK(!prc_rst_background(&a, wins[m ? 0 : 1], !m, 4, mu, sd, c), "%s", prc_lasterr());
      PT_CHECK(!prc_rst_background_inplace(&b, wins[m ? 0 : 1], !m, 4, &mi, &si, &ci), "%s", prc_lasterr());
      PT_CHECK(!memcmp(c, ci, nn * sizeof *c) && !same_bits_f(mu, mi, nn) && !same_bits_f(sd, si, nn),
               "background in place != out of place (npix %lld)", (long long)np);
      free(mu), free(sd), free(mr), free(sr), free(r1), free(r2), free(c), free(cr);
      prc_rst_acc_free(&a);
      prc_rst_acc_free(&b);
    }
  free(s);
}

/* fixed-point sums: ties (v*2^20 = k + 1/2), negatives, tiny and large values, +-2^31 */
static void test_mean_fast_vs_ref_bitwise(void)
{
  enum { N = 4099 };
  static float buf[3 * N];
  prc_rng      r;
  prc_rng_seed(&r, 9, 9);
  for (int i = 0; i < 3 * N; i++) {
    double u = prc_rng_uniform(&r), z = prc_rng_normal(&r);
    int    k = i % 11;
    buf[i] = u < 0.3   ? NAN
             : k == 0  ? (float)(ldexp(floor(z * 1e3) + 0.5, -20)) /* exact ties, both signs */
             : k == 1  ? (float)(z * 1e-7)
             : k == 2  ? (float)(ldexp(z, -30))
             : k == 3  ? (float)(z * 1e8)
             : k == 4  ? (float)(z * 5e8)
             : k == 5  ? (float)(ldexp(floor(z * 1e6) + 0.5, -21))
             : k == 6  ? (u < 0.32 ? INFINITY : -INFINITY)
                       : (float)(280 + 20 * z);
  }
  int64_t q[3], c[3], qr[3], cr[3];
  PT_CHECK(!prc_rst_mean_local(buf, 3, N, q, c) && !prc_rst_mean_local_ref(buf, 3, N, qr, cr), "%s", prc_lasterr());
  for (int t = 0; t < 3; t++)
    PT_CHECK(q[t] == qr[t] && c[t] == cr[t], "step %d: fast %lld/%lld ref %lld/%lld", t, (long long)q[t], (long long)c[t],
             (long long)qr[t], (long long)cr[t]);
  /* exactly +-2^31 is allowed (scalar path), beyond is refused by both with the same message */
  buf[N + 7] = 2147483648.0f, buf[N + 8] = -2147483648.0f;
  PT_CHECK(!prc_rst_mean_local(buf, 3, N, q, c) && !prc_rst_mean_local_ref(buf, 3, N, qr, cr), "%s", prc_lasterr());
  PT_CHECK(q[1] == qr[1] && c[1] == cr[1], "+-2^31: fast %lld ref %lld", (long long)q[1], (long long)qr[1]);
  buf[2 * N + 5] = 3e9f;
  PT_CHECK(prc_rst_mean_local(buf, 3, N, q, c) != 0, "3e9 must be refused");
  PT_CHECK(strstr(prc_lasterr(), "time 2, pixel 5 ") != NULL, "message: %s", prc_lasterr());
}

int main(int argc, char **argv)
{
  pt_set_prog(argv[0]);
  PT_RUN(test_doy_window_vs_ref);
  PT_RUN(test_doy_window0_vs_ref);
  PT_RUN(test_doy_min_samples_vs_ref);
  PT_RUN(test_doy_wide_window_vs_ref);
  PT_RUN(test_month_vs_ref);
  PT_RUN(test_block_invariance);
  PT_RUN(test_window_sums_closed_form);
  PT_RUN(test_shift_no_cancellation);
  PT_RUN(test_retira_closed_form);
  PT_RUN(test_spatial_mean_fixed_point);
  PT_RUN(test_bins);
  PT_RUN(test_acc_fast_vs_ref_bitwise);
  PT_RUN(test_mean_fast_vs_ref_bitwise);
  return pt_finish();
}

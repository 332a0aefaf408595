/* test_resample.c — the polyphase resampler against its direct-convolution twin, against
 * scipy.signal.resample_poly/firwin (tests/unit/resample_oracle.py, skipped without
 * SciPy), its stated stop-band attenuation (a tone above the new Nyquist), pass-band
 * gain, gaps, rational ratios and parameter errors. */
#include "precursor/error.h"
#include "precursor/resample.h"
#include "ptest.h"

#include <unistd.h>

static void chirp(float *x, int64_t n, double fs, double f0, double f1)
{
  double T = (double)n / fs;
  for (int64_t i = 0; i < n; i++) {
    double t = (double)i / fs;
    x[i] = (float)(sin(2 * M_PI * (f0 * t + 0.5 * (f1 - f0) / T * t * t)) + 0.3 * cos(2 * M_PI * 0.11 * fs * t));
  }
}

static void test_rational(void)
{
  int u, d;
  PT_CHECK(!prc_rational(100.0 / 40.0, 10000, &u, &d) && u == 5 && d == 2, "100/40 -> %d/%d", u, d);
  PT_CHECK(!prc_rational(100.0, 10000, &u, &d) && u == 100 && d == 1, "100 -> %d/%d", u, d);
  PT_CHECK(!prc_rational(40.0 / 100.0, 10000, &u, &d) && u == 2 && d == 5, "0.4 -> %d/%d", u, d);
  PT_CHECK(!prc_rational(44100.0 / 48000.0, 10000, &u, &d) && u == 147 && d == 160, "%d/%d", u, d);
  PT_CHECK(prc_rational(M_PI, 1000, &u, &d) != 0, "pi accepted as %d/%d", u, d);
  PT_CHECK(prc_rational(0, 1000, &u, &d) != 0 && strstr(prc_lasterr(), "not positive"), "%s", prc_lasterr());
}

static void test_design(void)
{
  prc_resampler r;
  PT_CHECK(!prc_resample_design(&r, 10, 4, 80, 0.1), "%s", prc_lasterr());
  PT_CHECK(r.up == 5 && r.down == 2 && r.ntaps % 2 == 1, "up %d down %d taps %d", r.up, r.down, r.ntaps);
  double s = 0, asym = 0;
  for (int j = 0; j < r.ntaps; j++) s += r.h[j], asym = fmax(asym, fabs(r.h[j] - r.h[r.ntaps - 1 - j]));
  PT_NEAR(s, 1.0, 1e-12, 0);
  PT_CHECK(asym < 1e-15, "filter not symmetric (%g)", asym);
  /* frequency response: |H| at and beyond the stop edge <= -80 dB; pass band flat */
  int    mr = 5;
  double worst_stop = 0, worst_pass = 0;
  for (int q = 0; q <= 400; q++) {
    double f = q / 400.0 * 0.5; /* cycles per upsampled sample */
    double re = 0, im = 0;
    for (int j = 0; j < r.ntaps; j++) re += r.h[j] * cos(2 * M_PI * f * (j - r.half)), im += r.h[j] * sin(2 * M_PI * f * (j - r.half));
    double g = sqrt(re * re + im * im), fn = 0.5 / mr; /* lower Nyquist in cycles/upsampled sample */
    if (f >= fn) worst_stop = fmax(worst_stop, g);
    if (f <= 0.9 * fn) worst_pass = fmax(worst_pass, fabs(g - 1));
  }
  PT_CHECK(20 * log10(worst_stop) <= -80 + 0.5, "stop band only %.2f dB", 20 * log10(worst_stop));
  PT_CHECK(worst_pass <= 2e-4, "pass-band ripple %g", worst_pass);
  prc_resample_free(&r);
  PT_CHECK(prc_resample_design(&r, 0, 1, 80, 0.1) && strstr(prc_lasterr(), "up=0"), "%s", prc_lasterr());
  PT_CHECK(prc_resample_design(&r, 1, 2, 10, 0.1) && strstr(prc_lasterr(), "attenuation"), "%s", prc_lasterr());
  PT_CHECK(prc_resample_design(&r, 1, 2, 80, 0) && strstr(prc_lasterr(), "transition"), "%s", prc_lasterr());
}

/* polyphase == direct convolution for several ratios and lengths */
static void test_vs_ref(void)
{
  int ratios[][2] = {{5, 2}, {2, 5}, {100, 1}, {1, 3}, {3, 1}, {7, 7}, {147, 160}};
  for (size_t c = 0; c < sizeof ratios / sizeof ratios[0]; c++) {
    prc_resampler r;
    PT_CHECK(!prc_resample_design(&r, ratios[c][0], ratios[c][1], 60, 0.2), "%s", prc_lasterr());
    int64_t n = c == 2 ? 40 : 301, no = prc_resample_nout(&r, n);
    float  *x = malloc(n * sizeof(float)), *y = malloc(no * sizeof(float)), *z = malloc(no * sizeof(float));
    chirp(x, n, 100, 1, 40);
    prc_resample_apply(&r, x, n, y);
    PT_CHECK(!prc_resample_apply_ref(&r, x, n, z), "%s", prc_lasterr());
    double e = 0;
    for (int64_t k = 0; k < no; k++) e = fmax(e, fabs(y[k] - z[k]));
    PT_CHECK(e < 2e-6, "ratio %d/%d: max |poly - ref| = %g", ratios[c][0], ratios[c][1], e);
    PT_CHECK(no == (n - 1) * r.up / r.down + 1, "nout %lld", (long long)no);
    free(x), free(y), free(z);
    prc_resample_free(&r);
  }
}

static int write_f64(const char *p, const double *v, size_t n)
{
  FILE *f = fopen(p, "wb");
  if (!f) return 1;
  size_t w = fwrite(v, sizeof(double), n, f);
  fclose(f);
  return w != n;
}

static void test_vs_scipy(void)
{
  if (system("/usr/bin/python3 -c 'import scipy.signal' >/dev/null 2>&1") != 0) PT_SKIP("python3 with scipy not available");
  int ratios[][2] = {{5, 2}, {2, 5}, {100, 1}};
  for (int c = 0; c < 3; c++) {
    prc_resampler r;
    PT_CHECK(!prc_resample_design(&r, ratios[c][0], ratios[c][1], 80, 0.1), "%s", prc_lasterr());
    int64_t n = c == 2 ? 300 : 2000, no = prc_resample_nout(&r, n);
    float  *x = malloc(n * sizeof(float)), *y = malloc(no * sizeof(float));
    double *xd = malloc(n * sizeof(double)), *s = malloc((no + 16) * sizeof(double)), *hw = malloc(r.ntaps * sizeof(double));
    chirp(x, n, 100, 0.5, 45);
    for (int64_t i = 0; i < n; i++) xd[i] = x[i];
    prc_resample_apply(&r, x, n, y);
    char dir[] = "/tmp/prc-resample-XXXXXX", cmd[2048], px[256], ph[256], po[256], pw[256];
    PT_CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(px, sizeof px, "%s/x", dir), snprintf(ph, sizeof ph, "%s/h", dir), snprintf(po, sizeof po, "%s/y", dir);
    snprintf(pw, sizeof pw, "%s/w", dir);
    PT_CHECK(!write_f64(px, xd, n) && !write_f64(ph, r.h, r.ntaps), "writing %s", dir);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/unit/resample_oracle.py %s %s %d %d %s %s %d %.17g %.17g", px, ph, r.up,
             r.down, po, pw, r.ntaps, r.cutoff_rel, r.beta);
    PT_CHECK(system(cmd) == 0, "%s failed", cmd);
    FILE  *f = fopen(po, "rb");
    size_t got = f ? fread(s, sizeof(double), no + 16, f) : 0;
    if (f) fclose(f);
    PT_CHECK(got >= (size_t)no, "scipy gave %zu samples, need %lld", got, (long long)no);
    double e = 0;
    for (int64_t k = 0; k < no && k < (int64_t)got; k++) e = fmax(e, fabs(y[k] - s[k]));
    PT_CHECK(e < 3e-6, "ratio %d/%d: max |ours - resample_poly| = %g", r.up, r.down, e);
    f = fopen(pw, "rb");
    got = f ? fread(hw, sizeof(double), r.ntaps, f) : 0;
    if (f) fclose(f);
    e = 0;
    for (int j = 0; j < r.ntaps && j < (int)got; j++) e = fmax(e, fabs(hw[j] - r.h[j]));
    PT_CHECK(got == (size_t)r.ntaps && e < 1e-12, "filter vs firwin: %g (%zu taps)", e, got);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    PT_CHECK(system(cmd) == 0, "rm");
    free(x), free(y), free(xd), free(s), free(hw);
    prc_resample_free(&r);
  }
}

static double rms(const float *y, int64_t a, int64_t b)
{
  double s = 0;
  for (int64_t k = a; k < b; k++) s += (double)y[k] * y[k];
  return sqrt(s / (double)(b - a));
}

/* 100 Hz -> 40 Hz: a 21 Hz tone (above the new Nyquist, 20 Hz) is attenuated by >= 80 dB;
 * a 15 Hz tone (pass band, < 0.9 x 20 Hz) keeps its amplitude. */
static void test_aliasing(void)
{
  prc_resampler r;
  PT_CHECK(!prc_resample_design(&r, 2, 5, 80, 0.1), "%s", prc_lasterr());
  int64_t n = 20000, no = prc_resample_nout(&r, n), edge = r.half / r.down + 2;
  float  *x = malloc(n * sizeof(float)), *y = malloc(no * sizeof(float));
  double  freqs[] = {21.0, 20.0, 35.0, 15.0, 5.0};
  for (int c = 0; c < 5; c++) {
    for (int64_t i = 0; i < n; i++) x[i] = (float)sin(2 * M_PI * freqs[c] * i / 100.0 + 0.3);
    prc_resample_apply(&r, x, n, y);
    double g = rms(y, edge, no - edge) / sqrt(0.5);
    if (freqs[c] >= 20) PT_CHECK(20 * log10(g) <= -80 + 1, "%g Hz tone only %.1f dB down", freqs[c], 20 * log10(g));
    else PT_NEAR(g, 1.0, 2e-4, 0);
  }
  free(x), free(y);
  prc_resample_free(&r);
}

/* 40 Hz -> 100 Hz of a 10 Hz tone: every interior output equals the tone at its time */
static void test_upsample_exact(void)
{
  prc_resampler r;
  PT_CHECK(!prc_resample_design(&r, 5, 2, 80, 0.1), "%s", prc_lasterr());
  int64_t n = 4000, no = prc_resample_nout(&r, n), edge = r.half / r.down + 2;
  float  *x = malloc(n * sizeof(float)), *y = malloc(no * sizeof(float));
  for (int64_t i = 0; i < n; i++) x[i] = (float)sin(2 * M_PI * 10 * i / 40.0);
  prc_resample_apply(&r, x, n, y);
  double e = 0;
  for (int64_t k = edge; k < no - edge; k++) e = fmax(e, fabs(y[k] - sin(2 * M_PI * 10 * k / 100.0)));
  PT_CHECK(e < 5e-4, "max error %g", e);
  PT_CHECK(no == 9998, "nout %lld", (long long)no);
  free(x), free(y);
  prc_resample_free(&r);
}

/* NaN gaps: outputs between the segments are NaN, segments are resampled alone */
static void test_gappy(void)
{
  prc_resampler r;
  PT_CHECK(!prc_resample_design(&r, 5, 2, 60, 0.2), "%s", prc_lasterr());
  int64_t n = 200, no = prc_resample_nout(&r, n);
  float  *x = malloc(n * sizeof(float)), *y = malloc(no * sizeof(float)), *z = malloc(no * sizeof(float));
  chirp(x, n, 40, 1, 10);
  for (int64_t i = 81; i < 120; i++) x[i] = NAN; /* gap: samples 81..119 */
  prc_resample_gappy(&r, x, n, y);
  prc_resample_apply(&r, x, 81, z); /* first segment alone */
  for (int64_t k = 0; k < no; k++) {
    double t = k * 2.0 / 5.0; /* time in input samples */
    int    in_gap = t > 80 && t < 120;
    if (in_gap) PT_CHECK(isnan(y[k]), "k=%lld (t=%g) should be NaN", (long long)k, t);
    else PT_CHECK(isfinite(y[k]), "k=%lld (t=%g) should be finite", (long long)k, t);
    if (t <= 80) PT_CHECK(y[k] == z[k], "k=%lld: %g vs segment alone %g", (long long)k, y[k], z[k]);
  }
  free(x), free(y), free(z);
  prc_resample_free(&r);
}

int main(int argc, char **argv)
{
  pt_set_prog(argv[0]);
  PT_RUN(test_rational);
  PT_RUN(test_design);
  PT_RUN(test_vs_ref);
  PT_RUN(test_vs_scipy);
  PT_RUN(test_aliasing);
  PT_RUN(test_upsample_exact);
  PT_RUN(test_gappy);
  return pt_finish();
}

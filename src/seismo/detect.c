/* detect.c — windows, normalisation, augmentation, detection merging and the synthetic
 * waveform model (include/precursor/detect.h, docs/DETECTION.md). */
#include "precursor/detect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/error.h"
#include "precursor/rng.h"

int64_t prc_win_row(double start, double rate, double t) { return (int64_t)llround((t - start) * rate); }

int prc_win_cut(const float *trace, int64_t n, int ncomp, int64_t r0, int L, const int *cols, int nc, float *out)
{
  if (r0 < 0 || L <= 0 || r0 + L > n) return 1;
  for (int c = 0; c < nc; c++) {
    const float *s = trace + (size_t)r0 * (size_t)ncomp + (size_t)cols[c];
    float       *o = out + (size_t)c * (size_t)L;
    for (int i = 0; i < L; i++) {
      float v = s[(size_t)i * (size_t)ncomp];
      if (!isfinite(v)) return 2;
      o[i] = v;
    }
  }
  return 0;
}

int prc_win_norm_parse(const char *s)
{
  if (!strcmp(s, "joint")) return PRC_NORM_JOINT;
  if (!strcmp(s, "per_component")) return PRC_NORM_PER_COMPONENT;
  if (!strcmp(s, "none")) return PRC_NORM_NONE;
  return -1;
}

int prc_win_normalize(float *w, int nc, int L, prc_win_norm mode)
{
  if (mode == PRC_NORM_NONE) return 0;
  double jmax = 0;
  int    flat = 0;
  for (int c = 0; c < nc; c++) {
    float *x = w + (size_t)c * (size_t)L;
    double s = 0, m = 0;
    for (int i = 0; i < L; i++) s += x[i];
    float mean = (float)(s / L);
    for (int i = 0; i < L; i++) {
      x[i] -= mean;
      m = fabs(x[i]) > m ? fabs(x[i]) : m;
    }
    if (mode == PRC_NORM_PER_COMPONENT) {
      if (m > 0) {
        float sc = (float)(1.0 / m);
        for (int i = 0; i < L; i++) x[i] *= sc;
      } else flat = 1;
    }
    jmax = m > jmax ? m : jmax;
  }
  if (mode == PRC_NORM_JOINT) {
    if (jmax > 0) {
      float sc = (float)(1.0 / jmax);
      for (size_t i = 0; i < (size_t)nc * (size_t)L; i++) w[i] *= sc;
    } else flat = 1;
  }
  return flat;
}

void prc_win_add_noise(float *w, size_t n, double level, uint64_t seed, uint64_t id)
{
  double m = 0;
  for (size_t i = 0; i < n; i++) m = fabs(w[i]) > m ? fabs(w[i]) : m;
  double sd = level * m;
  for (size_t i = 0; i < n; i++) w[i] += (float)(sd * prc_hash_normal(seed, id, i, 0x6e6f697365ULL));
}

int prc_detect_merge(const double *t, const float *p, const int *cls, int64_t n, double win_len, double thr, double max_gap,
                     int min_windows, prc_detection **out, int64_t *nout)
{
  *out = NULL, *nout = 0;
  if (!(win_len > 0) || !(max_gap >= 0) || !(thr >= 0 && thr <= 1)) {
    prc_seterr("detection merge: window length %g s, gap %g s and threshold %g must be > 0, >= 0 and in [0, 1]", win_len, max_gap, thr);
    return 1;
  }
  size_t         cap = 16;
  prc_detection *d = malloc(sizeof *d * cap);
  int64_t        nd = 0;
  int            open = 0;
  double         last_end = -INFINITY;
  if (!d) return prc_seterr("out of memory"), 1;
  for (int64_t i = 0; i < n; i++) {
    if (i && !(t[i] >= t[i - 1])) {
      free(d);
      prc_seterr("detection merge: window start times are not ascending at window %lld", (long long)i);
      return 1;
    }
    if (!(p[i] >= thr)) continue;
    if (open && t[i] <= last_end + max_gap) { /* same event */
      prc_detection *c = &d[nd - 1];
      c->end = t[i] + win_len, c->nwin++;
      if (p[i] > c->prob) c->prob = p[i], c->peak_time = t[i], c->cls = cls ? cls[i] : 1;
    } else {
      if ((size_t)nd == cap) {
        prc_detection *nd2 = realloc(d, sizeof *d * (cap *= 2));
        if (!nd2) return free(d), prc_seterr("out of memory"), 1;
        d = nd2;
      }
      d[nd++] = (prc_detection){t[i], t[i] + win_len, t[i], p[i], cls ? cls[i] : 1, 1, i};
      open = 1;
    }
    last_end = t[i] + win_len;
  }
  int64_t k = 0;
  for (int64_t i = 0; i < nd; i++)
    if (d[i].nwin >= min_windows) d[k++] = d[i];
  *out = d, *nout = k;
  return 0;
}

#define SW_BLOCK 4096

void prc_sw_noise(const prc_sw_model *md, uint64_t seed, uint64_t stream, int64_t r0, int64_t nr, float *out)
{
  double a = md->noise_corr, g = sqrt(1 - a * a);
  for (int c = 0; c < 3; c++) {
    int64_t r = r0;
    while (r < r0 + nr) {
      int64_t b = r / SW_BLOCK, b0 = b * SW_BLOCK, bend = b0 + SW_BLOCK;
      double  x = prc_hash_normal(seed, stream, (uint64_t)b, (uint64_t)c << 32); /* stationary start of the block */
      for (int64_t k = b0; k < bend && k < r0 + nr; k++) {
        if (k > b0) x = a * x + g * prc_hash_normal(seed, stream, (uint64_t)k, ((uint64_t)c << 32) | 1);
        if (k >= r) out[(size_t)(k - r0) * 3 + (size_t)c] = (float)x;
      }
      r = bend;
    }
  }
}

/* A phase: sine under the envelope (1 - exp(-dt/a)) exp(-dt/d), a = 0.08 d + 1 ms (a sharp
 * onset), scaled so the envelope's maximum is 1: it is reached at dt = a ln(1 + d/a) and
 * equals d/(a+d) (1 + d/a)^(-a/d). */
static double burst(double dt, double f, double dur, double ph)
{
  if (dt < 0) return 0;
  double a = 0.08 * dur + 1e-3, peak = dur / (a + dur) * pow(1 + dur / a, -a / dur);
  return (1 - exp(-dt / a)) * exp(-dt / dur) * sin(2 * M_PI * f * dt + ph) / peak;
}

void prc_sw_add_event(const prc_sw_model *md, double t0, int64_t r0, int64_t nr, double origin, double dist_km, double baz_deg,
                      double amp, uint64_t seed, uint64_t event, float *out)
{
  double tp = origin + dist_km / md->vp, ts = origin + dist_km / md->vs;
  double fpd = md->fp / (1 + dist_km / md->q_km), fsd = md->fs / (1 + dist_km / md->q_km);
  double b = baz_deg * M_PI / 180, se = sin(b), cn = cos(b); /* radial unit vector (E, N) */
  double php = 2 * M_PI * prc_hash_uniform(seed, event, 1, 0x7068ULL), phs = 2 * M_PI * prc_hash_uniform(seed, event, 2, 0x7068ULL);
  double pol = prc_hash_uniform(seed, event, 3, 0x7068ULL) < 0.5 ? -1 : 1; /* S polarisation: SH sign */
  double ap = amp / md->s_to_p;
  double tend = ts + 8 * md->s_dur;
  int64_t k0 = (int64_t)floor((tp - t0) * md->rate) - 1, k1 = (int64_t)ceil((tend - t0) * md->rate) + 1;
  if (k0 < r0) k0 = r0;
  if (k1 > r0 + nr) k1 = r0 + nr;
  for (int64_t k = k0; k < k1; k++) {
    double t = t0 + (double)k / md->rate;
    double P = ap * burst(t - tp, fpd, md->p_dur, php);
    double S = amp * burst(t - ts, fsd, md->s_dur, phs);
    /* P: 80 % vertical, 20 % radial; S: transverse (SH) plus a smaller radial part (SV) */
    double rad = 0.45 * P + 0.35 * S, tra = pol * S, z = 0.9 * P + 0.15 * S;
    float *o = out + (size_t)(k - r0) * 3;
    o[0] += (float)(rad * se + tra * cn);  /* E: radial (se, cn), transverse (cn, -se) */
    o[1] += (float)(rad * cn - tra * se);  /* N */
    o[2] += (float)z;
  }
}

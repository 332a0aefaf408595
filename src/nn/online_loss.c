/* online_loss.c — loss and gradient of paper 000's online learning (include/precursor/em_online.h). */
#include <math.h>
#include <string.h>

#include "precursor/em_online.h"

static void softmax(const float *z, int C, double s, double *p)
{
  double mx = z[0] / s, t = 0;
  for (int i = 1; i < C; i++) mx = fmax(mx, z[i] / s);
  for (int i = 0; i < C; i++) p[i] = exp(z[i] / s - mx), t += p[i];
  for (int i = 0; i < C; i++) p[i] /= t;
}

double prc_online_loss(const float *out, const float *teacher, const int32_t *y, int N, int C, int F, const prc_online_loss_conf *c,
                       float *dout, double terms[3], int *correct)
{
  const int W = C + F;
  double    ce = 0, kd = 0, lf = 0, p[256], q[256], qt[256];
  int       hit = 0;
  memset(dout, 0, sizeof(float) * (size_t)N * W);
  for (int n = 0; n < N; n++) {
    const float *z = out + (size_t)n * W, *f = z + C;
    float       *dz = dout + (size_t)n * W, *df = dz + C;
    softmax(z, C, 1.0, p);
    int am = 0;
    for (int i = 1; i < C; i++)
      if (z[i] > z[am]) am = i;
    hit += am == y[n];
    ce += -log(fmax(p[y[n]], 1e-300));
    for (int i = 0; i < C; i++) dz[i] = (float)((p[i] - (i == y[n])) / N);
    if (!teacher) continue;
    const float *zt = teacher + (size_t)n * W, *ft = zt + C;
    if (c->lambda1 != 0) {
      softmax(z, C, c->omega, q), softmax(zt, C, c->omega, qt);
      for (int i = 0; i < C; i++) {
        kd += -qt[i] * log(fmax(q[i], 1e-300));
        dz[i] += (float)(c->lambda1 * (q[i] - qt[i]) / c->omega / N);
      }
    }
    if (c->lambda2 != 0) {
      double nf = 0, nt = 0, dot = 0;
      for (int k = 0; k < F; k++) nf += (double)f[k] * f[k], nt += (double)ft[k] * ft[k], dot += (double)f[k] * ft[k];
      nf = sqrt(nf), nt = sqrt(nt);
      if (nf > 0 && nt > 0) {
        double cs = dot / (nf * nt);
        lf += 1 - cs;
        /* d(1 - cos)/df = -(ft/|ft| - cos f/|f|) / |f| */
        for (int k = 0; k < F; k++) df[k] = (float)(-c->lambda2 * (ft[k] / nt - cs * f[k] / nf) / nf / N);
      } else
        lf += 1; /* a zero feature vector: cos undefined, no gradient */
    }
  }
  terms[0] = ce / N, terms[1] = kd / N, terms[2] = lf / N;
  if (correct) *correct = hit;
  return terms[0] + (teacher ? c->lambda1 * terms[1] + c->lambda2 * terms[2] : 0);
}

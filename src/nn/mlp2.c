/* mlp2.c — the small gate network shared by squeeze-and-excitation and the DRSN soft
 * threshold: a = sigmoid(W2 relu(W1 s + b1) + b2), s (N,C), W1 (R,C), W2 (C,R).
 * Direct loops with double accumulators (sizes are tiny). */
#include "nn_internal.h"

void prc_nn_mlp2_forward(int N, int C, int R, const float *W1, const float *b1, const float *W2,
                         const float *b2, const float *s, float *h, float *a)
{
  for (int n = 0; n < N; n++) {
    for (int r = 0; r < R; r++) {
      double z = b1[r];
      for (int c = 0; c < C; c++) z += (double)W1[r * C + c] * s[n * C + c];
      h[n * R + r] = z > 0 ? (float)z : 0.0f;
    }
    for (int c = 0; c < C; c++) {
      double z = b2[c];
      for (int r = 0; r < R; r++) z += (double)W2[c * R + r] * h[n * R + r];
      a[n * C + c] = (float)prc_nn_sigmoid(z);
    }
  }
}

void prc_nn_mlp2_backward(int N, int C, int R, const float *W1, const float *W2, const float *s,
                          const float *h, const float *a, const float *da, float *dW1,
                          float *db1, float *dW2, float *db2, float *ds)
{
  double *dz2 = malloc(((size_t)C + R) * sizeof(double)), *dz1 = dz2 + C;
  if (!dz2) return;
  for (int n = 0; n < N; n++) {
    for (int c = 0; c < C; c++) {
      dz2[c] = (double)da[n * C + c] * a[n * C + c] * (1.0 - a[n * C + c]);
      db2[c] += (float)dz2[c];
      for (int r = 0; r < R; r++) dW2[c * R + r] += (float)(dz2[c] * h[n * R + r]);
    }
    for (int r = 0; r < R; r++) {
      double d = 0;
      for (int c = 0; c < C; c++) d += dz2[c] * W2[c * R + r];
      dz1[r] = h[n * R + r] > 0 ? d : 0.0;
      db1[r] += (float)dz1[r];
      for (int c = 0; c < C; c++) dW1[r * C + c] += (float)(dz1[r] * s[n * C + c]);
    }
    for (int c = 0; c < C; c++) {
      double d = 0;
      for (int r = 0; r < R; r++) d += dz1[r] * W1[r * C + c];
      ds[n * C + c] += (float)d;
    }
  }
  free(dz2);
}

int prc_nn_mlp2_params(prc_layer *l, int C, int R)
{
  int w1[2] = {R, C}, w2[2] = {C, R}, b1[1] = {R}, b2[1] = {C};
  if (prc_nn_add_param(l, "fc1.weight", 2, w1) || prc_nn_add_param(l, "fc1.bias", 1, b1) ||
      prc_nn_add_param(l, "fc2.weight", 2, w2) || prc_nn_add_param(l, "fc2.bias", 1, b2))
    return 1;
  for (int i = 0; i < 4; i++)
    prc_nn_init_uniform(l->param[i]->data, l->param[i]->size,
                        1.0 / sqrt((double)(i < 2 ? C : R)), l->conf.seed, (uint64_t)i);
  return 0;
}

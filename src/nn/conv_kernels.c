/* conv_kernels.c — 2-D convolution kernels (1-D is H = 1, kh = 1), NCHW, float32.
 *
 * Fast path: per sample, im2col into a (C*kh*kw, Ho*Wo) buffer and one OpenBLAS sgemm
 * (float accumulation inside sgemm).  _ref: direct loops with double accumulators for
 * the forward and the weight gradient; the data gradient scatters in float.
 * Shapes: x (N,C,H,W), w (K,C,kh,kw), b (K), y (N,K,Ho,Wo).
 */
#include "nn_internal.h"

#include <cblas.h>

static int geom_ok(const prc_convgeom *g)
{
  if (g->N < 1 || g->C < 1 || g->H < 1 || g->W < 1 || g->K < 1 || g->kh < 1 || g->kw < 1 ||
      g->sh < 1 || g->sw < 1 || g->ph < 0 || g->pw < 0 || g->dh < 1 || g->dw < 1 ||
      g->Ho < 1 || g->Wo < 1)
    return prc_seterr("conv: invalid geometry");
  return 0;
}

/* Output columns ow whose input column iw = ow*sw + off lies in [0, W): [*lo, *hi). */
static void valid_cols(const prc_convgeom *g, int off, int *lo, int *hi)
{
  int a = off >= 0 ? 0 : (-off + g->sw - 1) / g->sw;
  int b = g->W - 1 - off < 0 ? 0 : (g->W - 1 - off) / g->sw + 1;
  if (b > g->Wo) b = g->Wo;
  if (a > b) a = b;
  *lo = a, *hi = b;
}

/* col[(c*kh+i)*kw+j][oh*Wo+ow] = x[c][oh*sh-ph+i*dh][ow*sw-pw+j*dw] (0 outside).
 * The valid output range of each kernel column is computed once (no bounds test per value;
 * this copy was ~37 % of the DRSN training step with one). */
/* Unit strides and Wo == W (a "same" 2-D convolution, e.g. 3x3 with pad 1): a column row is
 * the image shifted by dI rows and off columns, so it is one contiguous copy of the valid
 * output rows [oh0, oh1) (flat index q <-> x[q + dI W + off]), after which the cells that
 * wrapped around a row edge (ow < lo or ow >= hi) and the rows outside are zeroed. */
static int same_rows(const prc_convgeom *g) { return g->sh == 1 && g->sw == 1 && g->Wo == g->W && g->Ho > 1; }

static void valid_rows(const prc_convgeom *g, int dI, int *oh0, int *oh1)
{
  int a = dI >= 0 ? 0 : -dI, b = g->H - dI; /* sh == 1: ih = oh + dI in [0, H) */
  if (b > g->Ho) b = g->Ho;
  if (a > b) a = b;
  *oh0 = a, *oh1 = b;
}

static void im2col(const prc_convgeom *g, const float *x, float *col)
{
  const size_t HWo = (size_t)g->Ho * g->Wo;
  const int    sw = g->sw, Wo = g->Wo, same = same_rows(g);
  for (int c = 0; c < g->C; c++)
    for (int i = 0; i < g->kh; i++)
      for (int j = 0; j < g->kw; j++) {
        float *row = col + ((size_t)(c * g->kh + i) * g->kw + j) * HWo;
        int    off = j * g->dw - g->pw, lo, hi;
        valid_cols(g, off, &lo, &hi);
        if (same) {
          int dI = i * g->dh - g->ph, oh0, oh1;
          valid_rows(g, dI, &oh0, &oh1);
          if (oh1 > oh0 && hi > lo) {
            const size_t q0 = (size_t)oh0 * Wo + lo, q1 = (size_t)(oh1 - 1) * Wo + hi;
            const ptrdiff_t d = (ptrdiff_t)c * g->H * g->W + (ptrdiff_t)dI * g->W + off;
            memcpy(row + q0, x + (d + (ptrdiff_t)q0), (q1 - q0) * sizeof(float)); /* d + q0 >= 0 */
            memset(row, 0, q0 * sizeof(float));
            memset(row + q1, 0, (HWo - q1) * sizeof(float));
            for (int oh = oh0; oh < oh1; oh++) {
              float *r = row + (size_t)oh * Wo;
              for (int ow = 0; ow < lo; ow++) r[ow] = 0.0f;
              for (int ow = hi; ow < Wo; ow++) r[ow] = 0.0f;
            }
          } else
            memset(row, 0, HWo * sizeof(float));
          continue;
        }
        for (int oh = 0; oh < g->Ho; oh++) {
          int    ih = oh * g->sh - g->ph + i * g->dh;
          float *r  = row + (size_t)oh * Wo;
          if (ih < 0 || ih >= g->H) {
            memset(r, 0, (size_t)Wo * sizeof(float));
            continue;
          }
          const float *xr = x + ((size_t)c * g->H + ih) * g->W + off;
          for (int ow = 0; ow < lo; ow++) r[ow] = 0.0f;
          if (sw == 1)
            for (int ow = lo; ow < hi; ow++) r[ow] = xr[ow];
          else
            for (int ow = lo; ow < hi; ow++) r[ow] = xr[ow * sw];
          for (int ow = hi; ow < Wo; ow++) r[ow] = 0.0f;
        }
      }
}

/* col2im_add may clear the cells of col that map outside the input (the same_rows block
 * add relies on it: then the wrapped cells add zero). */
static void col2im_add(const prc_convgeom *g, float *col, float *dx)
{
  const size_t HWo = (size_t)g->Ho * g->Wo;
  const int    sw = g->sw, Wo = g->Wo, same = same_rows(g);
  for (int c = 0; c < g->C; c++)
    for (int i = 0; i < g->kh; i++)
      for (int j = 0; j < g->kw; j++) {
        float *row = col + ((size_t)(c * g->kh + i) * g->kw + j) * HWo;
        int    off = j * g->dw - g->pw, lo, hi;
        valid_cols(g, off, &lo, &hi);
        if (same) {
          int dI = i * g->dh - g->ph, oh0, oh1;
          valid_rows(g, dI, &oh0, &oh1);
          if (oh1 <= oh0 || hi <= lo) continue;
          for (int oh = oh0; oh < oh1; oh++) {
            float *r = row + (size_t)oh * Wo;
            for (int ow = 0; ow < lo; ow++) r[ow] = 0.0f;
            for (int ow = hi; ow < Wo; ow++) r[ow] = 0.0f;
          }
          const size_t q0 = (size_t)oh0 * Wo + lo, q1 = (size_t)(oh1 - 1) * Wo + hi;
          const ptrdiff_t d  = (ptrdiff_t)c * g->H * g->W + (ptrdiff_t)dI * g->W + off;
          float          *xs = dx + (d + (ptrdiff_t)q0);
          const float    *rs = row + q0;
          for (size_t q = 0; q < q1 - q0; q++) xs[q] += rs[q];
          continue;
        }
        for (int oh = 0; oh < g->Ho; oh++) {
          int ih = oh * g->sh - g->ph + i * g->dh;
          if (ih < 0 || ih >= g->H) continue;
          float       *xr = dx + ((size_t)c * g->H + ih) * g->W + off;
          const float *r  = row + (size_t)oh * Wo;
          if (sw == 1)
            for (int ow = lo; ow < hi; ow++) xr[ow] += r[ow];
          else
            for (int ow = lo; ow < hi; ow++) xr[ow * sw] += r[ow];
        }
      }
}

int prc_conv_forward(const prc_convgeom *g, const float *x, const float *w, const float *b,
                     float *y, int add)
{
  if (geom_ok(g)) return 1;
  const int    CKK = g->C * g->kh * g->kw, HWo = g->Ho * g->Wo;
  const size_t xs = (size_t)g->C * g->H * g->W, ys = (size_t)g->K * HWo;
  float       *col = malloc((size_t)CKK * HWo * sizeof(float));
  if (!col) return prc_seterr("conv: out of memory");
  for (int n = 0; n < g->N; n++) {
    float *yn = y + n * ys;
    im2col(g, x + n * xs, col);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->K, HWo, CKK, 1.0f, w, CKK, col,
                HWo, add ? 1.0f : 0.0f, yn, HWo);
    if (b)
      for (int k = 0; k < g->K; k++)
        for (int p = 0; p < HWo; p++) yn[(size_t)k * HWo + p] += b[k];
  }
  free(col);
  return 0;
}

int prc_conv_backward_data(const prc_convgeom *g, const float *dy, const float *w, float *dx)
{
  if (geom_ok(g)) return 1;
  const int    CKK = g->C * g->kh * g->kw, HWo = g->Ho * g->Wo;
  const size_t xs = (size_t)g->C * g->H * g->W, ys = (size_t)g->K * HWo;
  float       *col = malloc((size_t)CKK * HWo * sizeof(float));
  if (!col) return prc_seterr("conv: out of memory");
  for (int n = 0; n < g->N; n++) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, CKK, HWo, g->K, 1.0f, w, CKK,
                dy + n * ys, HWo, 0.0f, col, HWo);
    col2im_add(g, col, dx + n * xs);
  }
  free(col);
  return 0;
}

int prc_conv_backward_weight(const prc_convgeom *g, const float *x, const float *dy,
                             float *dw, float *db)
{
  if (geom_ok(g)) return 1;
  const int    CKK = g->C * g->kh * g->kw, HWo = g->Ho * g->Wo;
  const size_t xs = (size_t)g->C * g->H * g->W, ys = (size_t)g->K * HWo;
  float       *col = malloc((size_t)CKK * HWo * sizeof(float));
  if (!col) return prc_seterr("conv: out of memory");
  for (int n = 0; n < g->N; n++) {
    const float *dyn = dy + n * ys;
    im2col(g, x + n * xs, col);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g->K, CKK, HWo, 1.0f, dyn, HWo, col,
                HWo, 1.0f, dw, CKK);
    if (db)
      for (int k = 0; k < g->K; k++) {
        double s = 0;
        for (int p = 0; p < HWo; p++) s += dyn[(size_t)k * HWo + p];
        db[k] += (float)s;
      }
  }
  free(col);
  return 0;
}

/* ---- references: direct loops ---------------------------------------------------------- */

#define XI(n, c, h, w_) ((((size_t)(n) * g->C + (c)) * g->H + (h)) * g->W + (w_))
#define WI(k, c, i, j) ((((size_t)(k) * g->C + (c)) * g->kh + (i)) * g->kw + (j))
#define YI(n, k, h, w_) ((((size_t)(n) * g->K + (k)) * g->Ho + (h)) * g->Wo + (w_))

int prc_conv_forward_ref(const prc_convgeom *g, const float *x, const float *w,
                         const float *b, float *y, int add)
{
  if (geom_ok(g)) return 1;
  for (int n = 0; n < g->N; n++)
    for (int k = 0; k < g->K; k++)
      for (int oh = 0; oh < g->Ho; oh++)
        for (int ow = 0; ow < g->Wo; ow++) {
          double acc = b ? b[k] : 0.0;
          for (int c = 0; c < g->C; c++)
            for (int i = 0; i < g->kh; i++) {
              int ih = oh * g->sh - g->ph + i * g->dh;
              if (ih < 0 || ih >= g->H) continue;
              for (int j = 0; j < g->kw; j++) {
                int iw = ow * g->sw - g->pw + j * g->dw;
                if (iw < 0 || iw >= g->W) continue;
                acc += (double)w[WI(k, c, i, j)] * x[XI(n, c, ih, iw)];
              }
            }
          y[YI(n, k, oh, ow)] = (float)((add ? y[YI(n, k, oh, ow)] : 0.0) + acc);
        }
  return 0;
}

int prc_conv_backward_data_ref(const prc_convgeom *g, const float *dy, const float *w,
                               float *dx)
{
  if (geom_ok(g)) return 1;
  for (int n = 0; n < g->N; n++)
    for (int k = 0; k < g->K; k++)
      for (int oh = 0; oh < g->Ho; oh++)
        for (int ow = 0; ow < g->Wo; ow++) {
          float d = dy[YI(n, k, oh, ow)];
          for (int c = 0; c < g->C; c++)
            for (int i = 0; i < g->kh; i++) {
              int ih = oh * g->sh - g->ph + i * g->dh;
              if (ih < 0 || ih >= g->H) continue;
              for (int j = 0; j < g->kw; j++) {
                int iw = ow * g->sw - g->pw + j * g->dw;
                if (iw < 0 || iw >= g->W) continue;
                dx[XI(n, c, ih, iw)] += w[WI(k, c, i, j)] * d;
              }
            }
        }
  return 0;
}

int prc_conv_backward_weight_ref(const prc_convgeom *g, const float *x, const float *dy,
                                 float *dw, float *db)
{
  if (geom_ok(g)) return 1;
  for (int k = 0; k < g->K; k++) {
    if (db) {
      double s = 0;
      for (int n = 0; n < g->N; n++)
        for (int oh = 0; oh < g->Ho; oh++)
          for (int ow = 0; ow < g->Wo; ow++) s += dy[YI(n, k, oh, ow)];
      db[k] += (float)s;
    }
    for (int c = 0; c < g->C; c++)
      for (int i = 0; i < g->kh; i++)
        for (int j = 0; j < g->kw; j++) {
          double s = 0;
          for (int n = 0; n < g->N; n++)
            for (int oh = 0; oh < g->Ho; oh++) {
              int ih = oh * g->sh - g->ph + i * g->dh;
              if (ih < 0 || ih >= g->H) continue;
              for (int ow = 0; ow < g->Wo; ow++) {
                int iw = ow * g->sw - g->pw + j * g->dw;
                if (iw < 0 || iw >= g->W) continue;
                s += (double)x[XI(n, c, ih, iw)] * dy[YI(n, k, oh, ow)];
              }
            }
          dw[WI(k, c, i, j)] += (float)s;
        }
  }
  return 0;
}

/* conv_kernels.c — 2-D convolution kernels (1-D is H = 1, kh = 1), NCHW, float32.
 *
 * Fast path: im2col of a chunk of nb samples into a (C*kh*kw, nb*Ho*Wo) buffer and one
 * OpenBLAS sgemm per chunk (float accumulation inside sgemm; nb = 1 unless g->chunked).
 * _ref: direct loops with double accumulators for the forward and the weight gradient; the
 * data gradient scatters in float.
 * Shapes: x (N,C,H,W), w (K,C,kh,kw), b (K), y (N,K,Ho,Wo).
 */
#include "nn_internal.h"

#include <cblas.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Stride 2 (every ConvNetQuake layer): r[ow] = xr[2 ow] for ow in [lo, hi), four at a time by
 * a shuffle of two loads (gcc leaves the strided loop scalar). The vector loop stops while
 * ow + 4 < hi, so it reads xr up to 2 hi - 3, inside the valid range xr[2 (hi - 1)]. */
static void gather2(float *restrict r, const float *restrict xr, int lo, int hi)
{
  int ow = lo;
#ifdef __SSE2__
  for (; ow + 4 < hi; ow += 4) {
    __m128 a = _mm_loadu_ps(xr + 2 * ow), b = _mm_loadu_ps(xr + 2 * ow + 4);
    _mm_storeu_ps(r + ow, _mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
  }
#endif
  for (; ow < hi; ow++) r[ow] = xr[2 * ow];
}

/* xr[2 ow] += r[ow] for ow in [lo, hi): even lanes get the sum, odd lanes are written back
 * unchanged (a select, not + 0, which would turn -0 into +0): the same bits as the loop. */
static void scatter_add2(float *xr, const float *restrict r, int lo, int hi)
{
  int ow = lo;
#ifdef __SSE2__
  const __m128 even = _mm_castsi128_ps(_mm_set_epi32(0, -1, 0, -1)), zero = _mm_setzero_ps();
  for (; ow + 4 < hi; ow += 4) {
    __m128 rv = _mm_loadu_ps(r + ow), a = _mm_loadu_ps(xr + 2 * ow), b = _mm_loadu_ps(xr + 2 * ow + 4);
    __m128 sa = _mm_add_ps(a, _mm_unpacklo_ps(rv, zero)), sb = _mm_add_ps(b, _mm_unpackhi_ps(rv, zero));
    _mm_storeu_ps(xr + 2 * ow, _mm_or_ps(_mm_and_ps(even, sa), _mm_andnot_ps(even, a)));
    _mm_storeu_ps(xr + 2 * ow + 4, _mm_or_ps(_mm_and_ps(even, sb), _mm_andnot_ps(even, b)));
  }
#endif
  for (; ow < hi; ow++) xr[2 * ow] += r[ow];
}

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

/* Zero the cells ow < lo and ow >= hi of rows [oh0, oh1): column by column (strided, so
 * gcc does not turn each 1-cell run into a memset call). */
static void zero_edge_cols(float *row, int Wo, int oh0, int oh1, int lo, int hi)
{
  for (int ow = 0; ow < lo; ow++)
    for (int oh = oh0; oh < oh1; oh++) row[(size_t)oh * Wo + ow] = 0.0f;
  for (int ow = hi; ow < Wo; ow++)
    for (int oh = oh0; oh < oh1; oh++) row[(size_t)oh * Wo + ow] = 0.0f;
}

/* im2col of m samples (x, x + xs, ...) side by side: sample q's columns start at col + q HWo,
 * rows at pitch ld. The bounds of each kernel cell are computed once for all m samples. */
static void im2col(const prc_convgeom *g, const float *x, size_t xs, int m, float *col, size_t ld)
{
  const size_t HWo = (size_t)g->Ho * g->Wo;
  const int    sw = g->sw, Wo = g->Wo, same = same_rows(g);
  for (int i = 0; i < g->kh; i++)
    for (int j = 0; j < g->kw; j++) {
      int off = j * g->dw - g->pw, lo, hi, dI = i * g->dh - g->ph, oh0 = 0, oh1 = 0;
      valid_cols(g, off, &lo, &hi);
      if (same) valid_rows(g, dI, &oh0, &oh1);
      for (int c = 0; c < g->C; c++)
        for (int q = 0; q < m; q++) {
          float       *row = col + ((size_t)(c * g->kh + i) * g->kw + j) * ld + (size_t)q * HWo;
          const float *xq  = x + (size_t)q * xs;
          if (same) {
            if (oh1 > oh0 && hi > lo) {
              const size_t    q0 = (size_t)oh0 * Wo + lo, q1 = (size_t)(oh1 - 1) * Wo + hi;
              const ptrdiff_t d  = (ptrdiff_t)c * g->H * g->W + (ptrdiff_t)dI * g->W + off;
              memcpy(row + q0, xq + (d + (ptrdiff_t)q0), (q1 - q0) * sizeof(float)); /* d + q0 >= 0 */
              if (oh0 > 0) memset(row, 0, (size_t)oh0 * Wo * sizeof(float));
              if (oh1 < g->Ho) memset(row + (size_t)oh1 * Wo, 0, (size_t)(g->Ho - oh1) * Wo * sizeof(float));
              zero_edge_cols(row, Wo, oh0, oh1, lo, hi);
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
            const float *xr = xq + ((size_t)c * g->H + ih) * g->W + off;
            for (int ow = 0; ow < lo; ow++) r[ow] = 0.0f;
            if (sw == 1)
              for (int ow = lo; ow < hi; ow++) r[ow] = xr[ow];
            else if (sw == 2)
              gather2(r, xr, lo, hi);
            else
              for (int ow = lo; ow < hi; ow++) r[ow] = xr[ow * sw];
            for (int ow = hi; ow < Wo; ow++) r[ow] = 0.0f;
          }
        }
    }
}

/* dx of samples q = 0..m-1 (dx + q xs) += col2im of their columns (col + q HWo, pitch ld).
 * May clear the cells of col that map outside the input (the same_rows block add relies on
 * it: then the wrapped cells add zero). For each dx value the contributions arrive in the
 * order of the kernel cells (i, j), as in a per-sample loop over (c, i, j). */
static void col2im_add(const prc_convgeom *g, float *col, size_t ld, int m, float *dx, size_t xs)
{
  const size_t HWo = (size_t)g->Ho * g->Wo;
  const int    sw = g->sw, Wo = g->Wo, same = same_rows(g);
  for (int i = 0; i < g->kh; i++)
    for (int j = 0; j < g->kw; j++) {
      int off = j * g->dw - g->pw, lo, hi, dI = i * g->dh - g->ph, oh0 = 0, oh1 = 0;
      valid_cols(g, off, &lo, &hi);
      if (same) valid_rows(g, dI, &oh0, &oh1);
      for (int c = 0; c < g->C; c++)
        for (int q = 0; q < m; q++) {
          float *row = col + ((size_t)(c * g->kh + i) * g->kw + j) * ld + (size_t)q * HWo;
          float *dq  = dx + (size_t)q * xs;
          if (same) {
            if (oh1 <= oh0 || hi <= lo) continue;
            zero_edge_cols(row, Wo, oh0, oh1, lo, hi);
            const size_t    q0 = (size_t)oh0 * Wo + lo, q1 = (size_t)(oh1 - 1) * Wo + hi;
            const ptrdiff_t d  = (ptrdiff_t)c * g->H * g->W + (ptrdiff_t)dI * g->W + off;
            float          *xd = dq + (d + (ptrdiff_t)q0);
            const float    *rs = row + q0;
            for (size_t p = 0; p < q1 - q0; p++) xd[p] += rs[p];
            continue;
          }
          for (int oh = 0; oh < g->Ho; oh++) {
            int ih = oh * g->sh - g->ph + i * g->dh;
            if (ih < 0 || ih >= g->H) continue;
            float       *xr = dq + ((size_t)c * g->H + ih) * g->W + off;
            const float *r  = row + (size_t)oh * Wo;
            if (sw == 1)
              for (int ow = lo; ow < hi; ow++) xr[ow] += r[ow];
            else if (sw == 2)
              scatter_add2(xr, r, lo, hi);
            else
              for (int ow = lo; ow < hi; ow++) xr[ow * sw] += r[ow];
          }
        }
    }
}

/* With g->chunked the GEMMs run over chunks of nb samples: the column buffer holds the nb
 * samples' columns side by side (row pitch L = nb Ho Wo), so one sgemm serves the chunk
 * instead of one per sample (the DRSN's 11 x 11 maps made 64 calls of 121-column GEMMs per
 * layer and pass). nb depends only on the geometry and N (about 1 MB of columns), never on
 * the rank count. OpenBLAS does not give a column of a wide product the same bits as the
 * same column alone (measured here: some outputs differ), so a chunked sample's output depends
 * on the batch composition: conv.c chunks only in training, where `precursor train` fixes
 * the micro-batches independently of the rank count; in eval mode (predictions, whose
 * batches stages cut per rank) nb = 1, one sgemm per sample, and a sample's result is the
 * same bits in any batch (tests/unit/test_nn_layers.c checks both). */
#define CONV_CHUNK_FLOATS ((size_t)1 << 18)

static int chunk_of(const prc_convgeom *g)
{
  if (!g->chunked) return 1;
  size_t per = (size_t)g->C * g->kh * g->kw * g->Ho * g->Wo, nb = CONV_CHUNK_FLOATS / (per ? per : 1);
  if (nb < 1) nb = 1;
  if (nb > (size_t)g->N) nb = (size_t)g->N;
  return (int)nb;
}

typedef struct {
  float *col, *mat; /* (CKK, L) columns; (K, L) outputs / output gradients of the chunk */
} conv_bufs;

/* One grow-only workspace per thread, kept between calls: a malloc/free of the ~1-2 MB
 * chunk buffers per call went to mmap/munmap and page faults (measured: a third of the
 * msrcnn step in the kernel). Reachable until exit through this pointer. */
static _Thread_local float *ws_buf;
static _Thread_local size_t ws_n;

/* Free the calling thread's workspace (a worker thread of nn_threads.c before it exits). */
void prc_nn_thread_release(void)
{
  free(ws_buf);
  ws_buf = NULL, ws_n = 0;
}

static int bufs_get(const prc_convgeom *g, int nb, int want_mat, conv_bufs *B)
{
  const size_t L = (size_t)nb * g->Ho * g->Wo, CKK = (size_t)g->C * g->kh * g->kw;
  const size_t n = CKK * L + (want_mat ? (size_t)g->K * L : 0);
  if (n > ws_n) {
    float *p = realloc(ws_buf, n * sizeof(float));
    if (!p) return prc_seterr("conv: out of memory for the column buffers (%zu x %zu floats)", CKK, L);
    ws_buf = p, ws_n = n;
  }
  B->col = ws_buf;
  B->mat = want_mat ? ws_buf + CKK * L : NULL;
  return 0;
}

static void bufs_free(conv_bufs *B) { (void)B; }

/* dyT (K, m HWo) <- dy of samples n0 .. n0+m-1 */
static void gather_dy(const prc_convgeom *g, const float *dy, int n0, int m, float *dyT)
{
  const size_t HWo = (size_t)g->Ho * g->Wo, L = (size_t)m * HWo, ys = (size_t)g->K * HWo;
  for (int q = 0; q < m; q++)
    for (int k = 0; k < g->K; k++)
      memcpy(dyT + (size_t)k * L + (size_t)q * HWo, dy + (size_t)(n0 + q) * ys + (size_t)k * HWo,
             HWo * sizeof(float));
}

/* Room for every chunk's columns in k (chunk n0 at offset CKK n0 HWo); 0 if not kept. */
static int keep_room(const prc_convgeom *g, prc_conv_keep *kc)
{
  if (!kc) return 0;
  kc->valid = 0;
  const size_t need = (size_t)g->C * g->kh * g->kw * (size_t)g->N * g->Ho * g->Wo;
  /* only strided convolutions: their im2col is a gather worth keeping (measured: ConvNetQuake
   * +4..20 %); a unit-stride im2col is a copy into the L2-resident workspace, cheaper to
   * redo than to stream a batch-sized buffer (msrcnn -2..5 % when kept) */
  if (!g->chunked || need > PRC_CONV_KEEP_FLOATS || (g->sh == 1 && g->sw == 1)) return 0;
  if (need > kc->cap) {
    float *p = realloc(kc->buf, need * sizeof(float));
    if (!p) return 0; /* not kept: the backward recomputes the columns */
    kc->buf = p, kc->cap = need;
  }
  return 1;
}

int prc_conv_forward_keep(const prc_convgeom *g, const float *x, const float *w, const float *b, float *y, int add,
                          prc_conv_keep *kc)
{
  if (geom_ok(g)) return 1;
  const int    CKK = g->C * g->kh * g->kw, HWo = g->Ho * g->Wo, nb = chunk_of(g);
  const size_t xs = (size_t)g->C * g->H * g->W, ys = (size_t)g->K * HWo;
  const int    keep = keep_room(g, kc);
  conv_bufs    B;
  if (bufs_get(g, nb, nb > 1, &B)) return 1;
  float *const ws_col = B.col;
  for (int n0 = 0; n0 < g->N; n0 += nb) {
    const int    m = g->N - n0 < nb ? g->N - n0 : nb;
    const size_t L = (size_t)m * HWo;
    B.col = keep ? kc->buf + (size_t)CKK * n0 * HWo : ws_col;
    im2col(g, x + (size_t)n0 * xs, xs, m, B.col, L);
    if (m == 1) { /* straight into y */
      float *yn = y + (size_t)n0 * ys;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->K, HWo, CKK, 1.0f, w, CKK, B.col,
                  HWo, add ? 1.0f : 0.0f, yn, HWo);
      if (b)
        for (int k = 0; k < g->K; k++)
          for (int p = 0; p < HWo; p++) yn[(size_t)k * HWo + p] += b[k];
      continue;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->K, (int)L, CKK, 1.0f, w, CKK, B.col,
                (int)L, 0.0f, B.mat, (int)L);
    for (int q = 0; q < m; q++)
      for (int k = 0; k < g->K; k++) {
        float       *yr = y + (size_t)(n0 + q) * ys + (size_t)k * HWo;
        const float *tr = B.mat + (size_t)k * L + (size_t)q * HWo;
        const float  bk = b ? b[k] : 0.0f;
        if (add && b)
          for (int p = 0; p < HWo; p++) yr[p] = (yr[p] + tr[p]) + bk;
        else if (add)
          for (int p = 0; p < HWo; p++) yr[p] += tr[p];
        else if (b)
          for (int p = 0; p < HWo; p++) yr[p] = tr[p] + bk;
        else
          memcpy(yr, tr, (size_t)HWo * sizeof(float));
      }
  }
  if (keep) kc->valid = 1;
  bufs_free(&B);
  return 0;
}

int prc_conv_forward(const prc_convgeom *g, const float *x, const float *w, const float *b, float *y, int add)
{
  return prc_conv_forward_keep(g, x, w, b, y, add, NULL);
}

/* Unit strides: the data gradient is itself a convolution, of dy with the kernel flipped in
 * space and transposed in channels (K -> C), padding d (k-1) - p, output H x W; it then runs
 * as a forward (im2col of dy + one sgemm of inner size K kh kw, adding into dx) instead of an
 * sgemm of inner size K followed by the col2im scatter. */
static int flipped_geom(const prc_convgeom *g, prc_convgeom *f)
{
  if (g->sh != 1 || g->sw != 1) return 0;
  *f    = *g;
  f->C  = g->K, f->K = g->C, f->H = g->Ho, f->W = g->Wo;
  f->ph = g->dh * (g->kh - 1) - g->ph, f->pw = g->dw * (g->kw - 1) - g->pw;
  f->Ho = g->H, f->Wo = g->W;
  return f->ph >= 0 && f->pw >= 0 && g->Ho + 2 * f->ph - g->dh * (g->kh - 1) == g->H &&
         g->Wo + 2 * f->pw - g->dw * (g->kw - 1) == g->W;
}

int prc_conv_backward_data(const prc_convgeom *g, const float *dy, const float *w, float *dx)
{
  if (geom_ok(g)) return 1;
  prc_convgeom f;
  if (flipped_geom(g, &f)) {
    const int kk = g->kh * g->kw;
    float    *wf = malloc((size_t)g->K * g->C * kk * sizeof(float));
    if (!wf) return prc_seterr("conv: out of memory");
    for (int k = 0; k < g->K; k++)
      for (int c = 0; c < g->C; c++)
        for (int t = 0; t < kk; t++) /* wf[c][k][kh-1-i][kw-1-j] = w[k][c][i][j] */
          wf[((size_t)c * g->K + k) * kk + (kk - 1 - t)] = w[((size_t)k * g->C + c) * kk + t];
    int rc = prc_conv_forward(&f, dy, wf, NULL, dx, 1);
    free(wf);
    return rc;
  }
  const int    CKK = g->C * g->kh * g->kw, HWo = g->Ho * g->Wo, nb = chunk_of(g);
  const size_t xs = (size_t)g->C * g->H * g->W, ys = (size_t)g->K * HWo;
  conv_bufs    B;
  if (bufs_get(g, nb, nb > 1, &B)) return 1;
  for (int n0 = 0; n0 < g->N; n0 += nb) {
    const int    m = g->N - n0 < nb ? g->N - n0 : nb;
    const size_t L = (size_t)m * HWo;
    const float *dyT = dy + (size_t)n0 * ys; /* one sample: already (K, HWo) */
    if (m > 1) gather_dy(g, dy, n0, m, B.mat), dyT = B.mat;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, CKK, (int)L, g->K, 1.0f, w, CKK, dyT,
                (int)L, 0.0f, B.col, (int)L);
    col2im_add(g, B.col, L, m, dx + (size_t)n0 * xs, xs);
  }
  bufs_free(&B);
  return 0;
}

int prc_conv_backward_weight(const prc_convgeom *g, const float *x, const float *dy,
                             float *dw, float *db)
{
  return prc_conv_backward_weight_kept(g, x, dy, dw, db, NULL);
}

int prc_conv_backward_weight_kept(const prc_convgeom *g, const float *x, const float *dy, float *dw, float *db,
                                  prc_conv_keep *kc)
{
  if (geom_ok(g)) return 1;
  const int    CKK = g->C * g->kh * g->kw, HWo = g->Ho * g->Wo, nb = chunk_of(g);
  const size_t xs = (size_t)g->C * g->H * g->W, ys = (size_t)g->K * HWo;
  const int    kept = kc && kc->valid && g->chunked;
  if (kc) kc->valid = 0;
  conv_bufs    B;
  if (bufs_get(g, nb, nb > 1, &B)) return 1;
  float *const ws_col = B.col;
  for (int n0 = 0; n0 < g->N; n0 += nb) {
    const int    m = g->N - n0 < nb ? g->N - n0 : nb;
    const size_t L = (size_t)m * HWo;
    if (kept) B.col = kc->buf + (size_t)CKK * n0 * HWo; /* the forward's im2col of this chunk */
    else {
      B.col = ws_col;
      im2col(g, x + (size_t)n0 * xs, xs, m, B.col, L);
    }
    const float *dyT = dy + (size_t)n0 * ys;
    if (m > 1) gather_dy(g, dy, n0, m, B.mat), dyT = B.mat;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g->K, CKK, (int)L, 1.0f, dyT, (int)L, B.col,
                (int)L, 1.0f, dw, CKK);
  }
  if (db) /* per sample and channel a double sum in 4 interleaved accumulators (no add-latency chain) */
    for (int n = 0; n < g->N; n++) {
      const float *dyn = dy + (size_t)n * ys;
      for (int k = 0; k < g->K; k++) {
        const float *d = dyn + (size_t)k * HWo;
        double       s[4] = {0, 0, 0, 0};
        int          p    = 0;
        for (; p + 4 <= HWo; p += 4)
          for (int u = 0; u < 4; u++) s[u] += d[p + u];
        for (; p < HWo; p++) s[0] += d[p];
        db[k] += (float)((s[0] + s[1]) + (s[2] + s[3]));
      }
    }
  bufs_free(&B);
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

/* plot.c — PNG pictures for users: raster maps of 2-D fields (colour map, colour bar,
 * markers) and line plots of series (nice ticks, legend, event lines), drawn on an
 * RGB canvas with the built-in bitmap font (plot_font.c) and written with libpng.
 * Kernel layer: no MPI/PETSc; errors go through prc_seterr(). See precursor/plot.h.
 */
#include "precursor/plot.h"

#include "precursor/error.h"

#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLACK 0x000000u
#define WHITE 0xFFFFFFu
#define TEXT_H(sc) (8 * (sc)) /* text box height, descender row included */

/* ---- canvas: RGB pixels with a clip rectangle [cx0, cx1) x [cy0, cy1) -------------- */

typedef struct {
  int            w, h, cx0, cy0, cx1, cy1;
  unsigned char *px;
} canvas;

static void cv_clip(canvas *c, int x0, int y0, int x1, int y1)
{
  c->cx0 = x0 < 0 ? 0 : x0;
  c->cy0 = y0 < 0 ? 0 : y0;
  c->cx1 = x1 > c->w ? c->w : x1;
  c->cy1 = y1 > c->h ? c->h : y1;
}

static int cv_init(canvas *c, int w, int h, const char *path)
{
  c->w = w;
  c->h = h;
  c->px = malloc((size_t)w * (size_t)h * 3);
  if (!c->px) return prc_seterr("plot %s: out of memory for a %dx%d picture", path, w, h);
  memset(c->px, 255, (size_t)w * (size_t)h * 3);
  cv_clip(c, 0, 0, w, h);
  return 0;
}

static void cv_put(canvas *c, int x, int y, uint32_t rgb)
{
  if (x < c->cx0 || x >= c->cx1 || y < c->cy0 || y >= c->cy1) return;
  unsigned char *p = c->px + ((size_t)y * (size_t)c->w + (size_t)x) * 3;
  p[0] = (unsigned char)(rgb >> 16);
  p[1] = (unsigned char)(rgb >> 8);
  p[2] = (unsigned char)rgb;
}

static void cv_rect(canvas *c, int x, int y, int w, int h, uint32_t rgb)
{
  for (int j = y; j < y + h; j++)
    for (int i = x; i < x + w; i++) cv_put(c, i, j, rgb);
}

/* 1-pixel outline of the box [x, x+w) x [y, y+h). */
static void cv_frame(canvas *c, int x, int y, int w, int h, uint32_t rgb)
{
  cv_rect(c, x, y, w, 1, rgb);
  cv_rect(c, x, y + h - 1, w, 1, rgb);
  cv_rect(c, x, y, 1, h, rgb);
  cv_rect(c, x + w - 1, y, 1, h, rgb);
}

/* Liang–Barsky: clip a segment to [xa, xb] x [ya, yb]; 0 if nothing is left. */
static int clip_segment(double *x0, double *y0, double *x1, double *y1, double xa,
                        double ya, double xb, double yb)
{
  double dx = *x1 - *x0, dy = *y1 - *y0, t0 = 0, t1 = 1;
  double p[4] = {-dx, dx, -dy, dy}, q[4] = {*x0 - xa, xb - *x0, *y0 - ya, yb - *y0};
  for (int i = 0; i < 4; i++) {
    if (p[i] == 0) {
      if (q[i] < 0) return 0;
      continue;
    }
    double r = q[i] / p[i];
    if (p[i] < 0 && r > t0) t0 = r;
    if (p[i] > 0 && r < t1) t1 = r;
    if (t0 > t1) return 0;
  }
  *x1 = *x0 + t1 * dx;
  *y1 = *y0 + t1 * dy;
  *x0 += t0 * dx;
  *y0 += t0 * dy;
  return 1;
}

/* A line `thick` pixels wide (square pen); dash > 0 draws dash-pixel dashes. */
static void cv_line(canvas *c, double x0, double y0, double x1, double y1, int thick,
                    int dash, uint32_t rgb)
{
  if (!(isfinite(x0) && isfinite(y0) && isfinite(x1) && isfinite(y1))) return;
  if (!clip_segment(&x0, &y0, &x1, &y1, c->cx0 - thick, c->cy0 - thick, c->cx1 + thick,
                    c->cy1 + thick))
    return;
  int n = (int)ceil(fmax(fabs(x1 - x0), fabs(y1 - y0)));
  for (int k = 0; k <= n; k++) {
    if (dash > 0 && (k / dash) % 2) continue;
    double t = n ? (double)k / n : 0;
    int x = (int)lround(x0 + t * (x1 - x0)) - thick / 2;
    int y = (int)lround(y0 + t * (y1 - y0)) - thick / 2;
    cv_rect(c, x, y, thick, thick, rgb);
  }
}

/* ---- text --------------------------------------------------------------------------- */

/* Decode one UTF-8 code point and advance *s; malformed bytes give '?'. */
static uint32_t utf8_next(const char **s)
{
  const unsigned char *p = (const unsigned char *)*s;
  uint32_t             cp = p[0];
  int                  n = 0;
  if (cp >= 0xF0 && cp < 0xF8) cp &= 0x07, n = 3;
  else if (cp >= 0xE0 && cp < 0xF0) cp &= 0x0F, n = 2;
  else if (cp >= 0xC0 && cp < 0xE0) cp &= 0x1F, n = 1;
  else if (cp >= 0x80) n = -1;
  *s += 1;
  if (n < 0) return '?';
  for (int i = 1; i <= n; i++) {
    if ((p[i] & 0xC0) != 0x80) return '?'; /* also stops at the terminating NUL */
    cp = (cp << 6) | (p[i] & 0x3F);
    *s += 1;
  }
  return cp;
}

/* Width in pixels of s drawn at integer scale sc (6 px advance per glyph). */
static int text_w(const char *s, int sc)
{
  int n = 0;
  while (s && *s) utf8_next(&s), n++;
  return n ? (6 * n - 1) * sc : 0;
}

/* Draw s with its top-left box corner at (x, y). vertical: rotated 90° counter-clockwise
 * (reads bottom to top), the box is TEXT_H(sc) wide and text_w() tall. */
static void cv_text(canvas *c, int x, int y, const char *s, int sc, int vertical,
                    uint32_t rgb)
{
  int tw = text_w(s, sc), pen = 0;
  while (s && *s) {
    uint64_t g = prc_plot_glyph(utf8_next(&s));
    for (int r = 0; r < 8; r++)
      for (int col = 0; col < 5; col++) {
        if (!((g >> (56 - 8 * r)) & (0x10u >> col))) continue;
        int u = pen + col * sc, v = r * sc;
        if (vertical) cv_rect(c, x + v, y + tw - u - sc, sc, sc, rgb);
        else cv_rect(c, x + u, y + v, sc, sc, rgb);
      }
    pen += 6 * sc;
  }
}

/* Scale 2 if s fits in `avail` pixels, else 1. */
static int fit_scale(const char *s, int avail) { return text_w(s, 2) <= avail ? 2 : 1; }

/* A title centred at the top of the picture (nothing if t is NULL). */
static void draw_title(canvas *c, const char *t)
{
  int sc = fit_scale(t, c->w - 8);
  if (t) cv_text(c, (c->w - text_w(t, sc)) / 2, 8, t, sc, 0, BLACK);
}

/* Tick label for v on a grid of spacing step (fixed decimals when sensible). */
static void fmt_tick(char *b, size_t n, double v, double step)
{
  if (fabs(v) < 1e-9 * step) v = 0;
  double a = fabs(v);
  int    dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
  if (v == 0) {
    snprintf(b, n, "0");
  } else if (dec <= 6 && a < 1e12) {
    snprintf(b, n, "%.*f", dec, v);
  } else { /* mantissa digits down to the step's decade */
    int sig = (int)floor(log10(a)) - (int)floor(log10(step) + 1e-9);
    snprintf(b, n, "%.*e", sig > 0 ? sig : 0, v);
  }
  if (b[0] == '-' && strspn(b + 1, "0.") == strlen(b + 1)) memmove(b, b + 1, strlen(b));
}

/* 1, 2 or 5 x 10^k close to range / target. */
static double nice_step(double range, int target)
{
  double raw = range / (target > 1 ? target : 1), p = pow(10, floor(log10(raw)));
  double f = raw / p;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

/* Ticks k*step in [lo, hi]: returns their number (at most 100), *k0 = the first k. */
static int tick_count(double lo, double hi, double step, double *k0)
{
  *k0 = ceil(lo / step - 1e-9);
  double n = floor(hi / step + 1e-9) - *k0 + 1;
  return n > 0 ? (n < 100 ? (int)n : 100) : 0;
}

/* Widest tick label (scale 2) of the ticks of step in [lo, hi]. */
static int tick_label_w(double lo, double hi, double step)
{
  char   lab[48];
  double k0;
  int    n = tick_count(lo, hi, step, &k0), w = 0;
  for (int i = 0; i < n; i++) {
    fmt_tick(lab, sizeof lab, (k0 + i) * step, step);
    if (text_w(lab, 2) > w) w = text_w(lab, 2);
  }
  return w;
}

/* ---- PNG output ------------------------------------------------------------------- */

static void png_err_fn(png_structp png, png_const_charp msg)
{
  prc_seterr("%s", msg);
  png_longjmp(png, 1);
}

static void png_warn_fn(png_structp png, png_const_charp msg) { (void)png, (void)msg; }

/* Write the canvas to <path>.tmp.<pid>, then rename it to path. */
static int png_write_canvas(const char *path, const canvas *c)
{
  char tmp[4096], why[512];
  int  n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
  if (n < 0 || (size_t)n >= sizeof tmp) return prc_seterr("plot %s: path too long", path);
  FILE *fp = fopen(tmp, "wb");
  if (!fp) return prc_seterr("plot %s: cannot create %s: %s", path, tmp, strerror(errno));
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_err_fn,
                                            png_warn_fn);
  png_infop   info = png ? png_create_info_struct(png) : NULL;
  if (!info) {
    png_destroy_write_struct(&png, NULL);
    fclose(fp);
    remove(tmp);
    return prc_seterr("plot %s: cannot initialise libpng", path);
  }
  if (setjmp(png_jmpbuf(png))) {
    snprintf(why, sizeof why, "%s", prc_lasterr());
    png_destroy_write_struct(&png, &info);
    fclose(fp);
    remove(tmp);
    return prc_seterr("plot %s: libpng error: %s", path, why);
  }
  png_init_io(png, fp);
  png_set_IHDR(png, info, (png_uint_32)c->w, (png_uint_32)c->h, 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < c->h; y++) png_write_row(png, c->px + (size_t)y * (size_t)c->w * 3);
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  int bad = ferror(fp);
  if (fclose(fp) != 0 || bad) {
    int e = errno;
    remove(tmp);
    return prc_seterr("plot %s: write error on %s: %s", path, tmp, strerror(e));
  }
  if (rename(tmp, path) != 0) {
    int e = errno;
    remove(tmp);
    return prc_seterr("plot %s: cannot rename %s to it: %s", path, tmp, strerror(e));
  }
  return 0;
}

/* ---- colour maps ------------------------------------------------------------------ */

static const unsigned char prc_cmap_tab[2][9][3] = {
  /* viridis, sampled at 0, 1/8, ..., 1 */
  {{68, 1, 84}, {71, 44, 122}, {59, 82, 139}, {44, 114, 142}, {33, 145, 140},
   {40, 174, 128}, {94, 201, 98}, {173, 220, 48}, {253, 231, 37}},
  /* diverging blue - white - red (ColorBrewer RdBu, reversed) */
  {{5, 48, 97}, {33, 102, 172}, {67, 147, 195}, {146, 197, 222}, {247, 247, 247},
   {244, 165, 130}, {214, 96, 77}, {178, 24, 43}, {103, 0, 31}},
};

/* Colour of t in [0, 1] (clamped) by linear interpolation between anchors. */
static uint32_t cmap_rgb(int cmap, double t)
{
  const unsigned char(*a)[3] = prc_cmap_tab[cmap == PRC_CMAP_DIVERGING];
  t = t > 0 ? (t < 1 ? t : 1) : 0; /* NaN -> 0 */
  int    i = (int)(t * 8);
  if (i > 7) i = 7;
  double f = t * 8 - i;
  uint32_t rgb = 0;
  for (int k = 0; k < 3; k++)
    rgb = (rgb << 8) | (uint32_t)lround(a[i][k] + f * (a[i + 1][k] - a[i][k]));
  return rgb;
}

static int cmp_float(const void *a, const void *b)
{
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* q-quantile of sorted v[0..n-1], linear interpolation between order statistics. */
static double quantile(const float *v, size_t n, double q)
{
  double pos = q * (double)(n - 1);
  size_t i = (size_t)pos;
  if (i + 1 >= n) return v[n - 1];
  return v[i] + (pos - (double)i) * ((double)v[i + 1] - v[i]);
}

/* Automatic colour range (see prc_plot_map_png). */
static int auto_range(const float *z, size_t n, int cmap, double *lo, double *hi,
                      const char *path)
{
  float *v = malloc(n * sizeof *v);
  if (!v) return prc_seterr("plot %s: out of memory sorting %zu values", path, n);
  size_t m = 0;
  for (size_t k = 0; k < n; k++)
    if (isfinite(z[k])) v[m++] = z[k];
  *lo = 0, *hi = 1;
  if (m > 0) {
    qsort(v, m, sizeof *v, cmp_float);
    *lo = quantile(v, m, 0.02), *hi = quantile(v, m, 0.98);
  }
  free(v);
  if (cmap == PRC_CMAP_DIVERGING) {
    double a = fmax(fabs(*lo), fabs(*hi));
    *lo = -a, *hi = a;
  }
  if (*lo >= *hi) {
    double d = *lo != 0 ? 0.01 * fabs(*lo) : 1;
    *lo -= d, *hi += d;
  }
  return 0;
}

/* ---- maps ------------------------------------------------------------------------- */

static void draw_marker(canvas *c, double cx, double cy, const prc_marker *m)
{
  int      r = m->radius > 0 ? m->radius : 6;
  uint32_t col = m->rgb ? m->rgb : 0xFF00FF;
  for (int pass = 0; pass < 2; pass++) /* black outline, then the colour */
    for (int y = (int)floor(cy) - r - 3; y <= (int)cy + r + 3; y++)
      for (int x = (int)floor(cx) - r - 3; x <= (int)cx + r + 3; x++) {
        double dx = x + 0.5 - cx, dy = y + 0.5 - cy, half = pass ? 1.0 : 2.0;
        int    in = 1;
        double d;
        if (m->shape == PRC_MARK_CROSS) {
          d = fabs(fabs(dx) - fabs(dy)) * M_SQRT1_2;
          in = fmax(fabs(dx), fabs(dy)) <= r + (pass ? 0 : 1);
        } else {
          d = fabs(hypot(dx, dy) - r);
        }
        if (in && d <= half) cv_put(c, x, y, pass ? col : BLACK);
      }
}

int prc_plot_map_png(const char *path, const float *z, int nx, int ny,
                     const prc_map_style *st)
{
  static const prc_map_style defaults;
  if (!path) return prc_seterr("prc_plot_map_png: path is NULL");
  if (!z || nx <= 0 || ny <= 0)
    return prc_seterr("plot %s: need a field with nx, ny > 0 (got %s, nx=%d, ny=%d)", path,
                      z ? "data" : "NULL data", nx, ny);
  if (!st) st = &defaults;
  int big = nx > ny ? nx : ny;
  int s = st->scale > 0 ? st->scale : (PRC_PLOT_MAP_TARGET + big / 2) / big;
  if (s < 1) s = 1;
  if ((long long)big * s > PRC_PLOT_MAX_SIDE)
    return prc_seterr("plot %s: %dx%d cells at %d px per cell exceed %d px", path, nx, ny,
                      s, (int)PRC_PLOT_MAX_SIDE);
  double lo = st->vmin, hi = st->vmax;
  if (!(lo < hi && isfinite(lo) && isfinite(hi)) &&
      auto_range(z, (size_t)nx * (size_t)ny, st->cmap, &lo, &hi, path))
    return 1;

  const int W = nx * s, H = ny * s, L = PRC_PLOT_MAP_LEFT, T = PRC_PLOT_MAP_TOP;
  canvas    c;
  if (cv_init(&c, W + PRC_PLOT_MAP_EXTRA_W, H + PRC_PLOT_MAP_EXTRA_H, path)) return 1;
  uint32_t mask = st->mask_rgb ? st->mask_rgb : 0xC0C0C0;
  for (int j = 0; j < ny; j++) {
    int row = st->flip_y ? j : ny - 1 - j;
    for (int i = 0; i < nx; i++) {
      float v = z[(size_t)j * (size_t)nx + (size_t)i];
      cv_rect(&c, L + i * s, T + row * s, s, s,
              isfinite(v) ? cmap_rgb(st->cmap, (v - lo) / (hi - lo)) : mask);
    }
  }
  if (st->outline) /* black edges between cells inside and outside the outline mask */
    for (int j = 0; j < ny; j++) {
      int row = st->flip_y ? j : ny - 1 - j;
      for (int i = 0; i < nx; i++) {
        if (!st->outline[(size_t)j * (size_t)nx + (size_t)i]) continue;
        int l = i == 0 || !st->outline[(size_t)j * (size_t)nx + (size_t)(i - 1)];
        int r = i == nx - 1 || !st->outline[(size_t)j * (size_t)nx + (size_t)(i + 1)];
        int dn = j == 0 || !st->outline[(size_t)(j - 1) * (size_t)nx + (size_t)i];
        int up = j == ny - 1 || !st->outline[(size_t)(j + 1) * (size_t)nx + (size_t)i];
        int lower = st->flip_y ? up : dn, upper = st->flip_y ? dn : up; /* picture bottom/top edges */
        int x0 = L + i * s, y0 = T + row * s, th = s >= 4 ? 2 : 1;
        if (l) cv_rect(&c, x0, y0, th, s, BLACK);
        if (r) cv_rect(&c, x0 + s - th, y0, th, s, BLACK);
        if (upper) cv_rect(&c, x0, y0, s, th, BLACK);
        if (lower) cv_rect(&c, x0, y0 + s - th, s, th, BLACK);
      }
    }
  cv_frame(&c, L - 1, T - 1, W + 2, H + 2, BLACK);

  /* colour bar: top = hi, bottom = lo; labels at lo, mid, hi */
  const int bx = L + W + PRC_PLOT_CBAR_GAP, lx = bx + PRC_PLOT_CBAR_W + 8;
  for (int y = 0; y < H; y++)
    cv_rect(&c, bx, T + y, PRC_PLOT_CBAR_W, 1,
            cmap_rgb(st->cmap, H > 1 ? 1 - (double)y / (H - 1) : 1));
  cv_frame(&c, bx - 1, T - 1, PRC_PLOT_CBAR_W + 2, H + 2, BLACK);
  for (int k = 0; k < 3; k++) { /* the mid label only if there is room */
    if (k == 1 && H < 60) continue;
    char   lab[32];
    double v = lo + 0.5 * k * (hi - lo);
    if (fabs(v) < 1e-9 * (hi - lo)) v = 0;
    snprintf(lab, sizeof lab, "%.4g", v);
    int y = T + H - 1 - k * (H - 1) / 2, sc = fit_scale(lab, c.w - lx - 2);
    cv_rect(&c, bx + PRC_PLOT_CBAR_W, y, 5, 1, BLACK);
    cv_text(&c, lx, y - 7 * sc / 2, lab, sc, 0, BLACK);
  }
  if (st->cbar_label)
    cv_text(&c, bx, T - 20, st->cbar_label, fit_scale(st->cbar_label, c.w - bx - 2), 0, BLACK);
  draw_title(&c, st->title);

  cv_clip(&c, L, T, L + W, T + H);
  for (int k = 0; st->markers && k < st->nmarkers; k++) {
    const prc_marker *m = &st->markers[k];
    double            yy = st->flip_y ? m->y : ny - 1 - m->y;
    draw_marker(&c, L + (m->x + 0.5) * s, T + (yy + 0.5) * s, m);
  }
  int rc = png_write_canvas(path, &c);
  free(c.px);
  return rc;
}

/* ---- line plots ------------------------------------------------------------------- */

static const uint32_t prc_palette[8] = {0x1F77B4, 0xFF7F0E, 0x2CA02C, 0x9467BD,
                                        0x8C564B, 0xE377C2, 0x17BECF, 0xBCBD22};

typedef struct { /* data -> pixel mapping of the plot frame */
  double x0, x1, y0, y1;
  int    left, top, pw, ph;
} frame;

static double fx(const frame *f, double x)
{
  return f->left + (x - f->x0) / (f->x1 - f->x0) * (f->pw - 1);
}

static double fy(const frame *f, double y)
{
  return f->top + f->ph - 1 - (y - f->y0) / (f->y1 - f->y0) * (f->ph - 1);
}

static void widen(double *a, double *b)
{
  if (*a < *b) return;
  double d = *a != 0 ? 0.05 * fabs(*a) : 0.5;
  *a -= d, *b += d;
}

int prc_plot_lines_png(const char *path, const prc_series *s, int ns,
                       const prc_lines_style *st)
{
  static const prc_lines_style defaults;
  if (!path) return prc_seterr("prc_plot_lines_png: path is NULL");
  if (!s || ns <= 0)
    return prc_seterr("plot %s: need at least one series (got %d%s)", path, ns,
                      s ? "" : ", NULL");
  for (int k = 0; k < ns; k++)
    if (s[k].n < 0 || (s[k].n > 0 && (!s[k].x || !s[k].y)))
      return prc_seterr("plot %s: series %d has n=%d and %s x/y", path, k, s[k].n,
                        s[k].x && s[k].y ? "non-NULL" : "NULL");
  if (!st) st = &defaults;
  int W = st->width > 0 ? st->width : 900, H = st->height > 0 ? st->height : 400;
  if (W < 200 || H < 150 || W > PRC_PLOT_MAX_SIDE || H > PRC_PLOT_MAX_SIDE)
    return prc_seterr("plot %s: size %dx%d outside 200x150 .. %dx%d", path, W, H,
                      (int)PRC_PLOT_MAX_SIDE, (int)PRC_PLOT_MAX_SIDE);

  /* ranges */
  frame f = {INFINITY, -INFINITY, INFINITY, -INFINITY, 0, 0, 0, 0};
  for (int k = 0; k < ns; k++)
    for (int i = 0; i < s[k].n; i++)
      if (isfinite(s[k].x[i]) && isfinite(s[k].y[i])) {
        f.x0 = fmin(f.x0, s[k].x[i]), f.x1 = fmax(f.x1, s[k].x[i]);
        f.y0 = fmin(f.y0, s[k].y[i]), f.y1 = fmax(f.y1, s[k].y[i]);
      }
  if (st->hline_on && isfinite(st->hline))
    f.y0 = fmin(f.y0, st->hline), f.y1 = fmax(f.y1, st->hline);
  if (!(f.x0 <= f.x1)) f.x0 = 0, f.x1 = 1;
  if (!(f.y0 <= f.y1)) f.y0 = 0, f.y1 = 1;
  widen(&f.x0, &f.x1);
  widen(&f.y0, &f.y1);
  double pad = 0.05 * (f.y1 - f.y0);
  f.y0 -= pad, f.y1 += pad;
  if (st->xmin < st->xmax && isfinite(st->xmin) && isfinite(st->xmax))
    f.x0 = st->xmin, f.x1 = st->xmax;
  if (st->ymin < st->ymax && isfinite(st->ymin) && isfinite(st->ymax))
    f.y0 = st->ymin, f.y1 = st->ymax;
  double ys = nice_step(f.y1 - f.y0, H / 70);
  if (!isfinite(f.x1 - f.x0) || !isfinite(f.y1 - f.y0) || !(ys > 0))
    return prc_seterr("plot %s: data range too large to plot", path);

  /* layout */
  f.left = 10 + (st->ylabel ? TEXT_H(2) + 6 : 0) + tick_label_w(f.y0, f.y1, ys) + 8;
  f.top = st->title ? 34 : 12;
  f.pw = W - 20 - f.left;
  f.ph = H - f.top - 10 - TEXT_H(2) - 8 - (st->xlabel ? TEXT_H(2) + 6 : 0);
  if (f.pw < 40 || f.ph < 40)
    return prc_seterr("plot %s: %dx%d leaves no room for the plot frame", path, W, H);
  const int bottom = f.top + f.ph - 1, right = f.left + f.pw - 1;

  canvas c;
  if (cv_init(&c, W, H, path)) return 1;
  /* grid, ticks and tick labels; fewer x ticks while their labels would collide */
  char   lab[48];
  double xs = 0, k0;
  for (int target = f.pw / 110 > 1 ? f.pw / 110 : 1; target >= 1; target--) {
    xs = nice_step(f.x1 - f.x0, target);
    if (tick_label_w(f.x0, f.x1, xs) + 16 <= xs / (f.x1 - f.x0) * f.pw) break;
  }
  for (int i = 0, n = tick_count(f.x0, f.x1, xs, &k0); i < n; i++) {
    int px = (int)lround(fx(&f, (k0 + i) * xs));
    cv_rect(&c, px, f.top, 1, f.ph, 0xE0E0E0);
    cv_rect(&c, px, bottom, 1, 6, BLACK);
    fmt_tick(lab, sizeof lab, (k0 + i) * xs, xs);
    cv_text(&c, px - text_w(lab, 2) / 2, bottom + 9, lab, 2, 0, BLACK);
  }
  for (int i = 0, n = tick_count(f.y0, f.y1, ys, &k0); i < n; i++) {
    int py = (int)lround(fy(&f, (k0 + i) * ys));
    cv_rect(&c, f.left, py, f.pw, 1, 0xE0E0E0);
    cv_rect(&c, f.left - 5, py, 5, 1, BLACK);
    fmt_tick(lab, sizeof lab, (k0 + i) * ys, ys);
    cv_text(&c, f.left - 8 - text_w(lab, 2), py - 7, lab, 2, 0, BLACK);
  }

  /* marker lines and series, clipped to the frame */
  cv_clip(&c, f.left, f.top, right + 1, bottom + 1);
  uint32_t vcol = st->vline_rgb ? st->vline_rgb : 0xD62728;
  for (int k = 0; st->vlines && k < st->nvlines; k++)
    if (st->vlines[k] >= f.x0 && st->vlines[k] <= f.x1)
      cv_line(&c, fx(&f, st->vlines[k]), f.top, fx(&f, st->vlines[k]), bottom, 2, 6, vcol);
  if (st->hline_on)
    cv_line(&c, f.left, fy(&f, st->hline), right, fy(&f, st->hline), 2, 8,
            st->hline_rgb ? st->hline_rgb : 0x505050);
  for (int k = 0; k < ns; k++) {
    uint32_t      col = s[k].rgb ? s[k].rgb : prc_palette[k % 8];
    const double *x = s[k].x, *y = s[k].y;
    for (int i = 0; i < s[k].n; i++) {
      if (!(isfinite(x[i]) && isfinite(y[i]))) continue;
      int prev = i > 0 && isfinite(x[i - 1]) && isfinite(y[i - 1]);
      int next = i + 1 < s[k].n && isfinite(x[i + 1]) && isfinite(y[i + 1]);
      double px = fx(&f, x[i]), py = fy(&f, y[i]);
      if (prev) cv_line(&c, fx(&f, x[i - 1]), fy(&f, y[i - 1]), px, py, 2, 0, col);
      else if (!next) cv_line(&c, px, py, px, py, 3, 0, col); /* isolated point: a dot */
    }
  }
  cv_clip(&c, 0, 0, W, H);
  cv_frame(&c, f.left - 1, f.top - 1, f.pw + 2, f.ph + 2, BLACK);

  /* legend (top right, inside the frame) */
  int nl = 0, lw = 0;
  for (int k = 0; k < ns; k++)
    if (s[k].label) nl++, lw = text_w(s[k].label, 2) > lw ? text_w(s[k].label, 2) : lw;
  if (nl > 0) {
    int bw = 8 + 24 + 8 + lw + 8, bh = 8 + 22 * nl, bx = right - 8 - bw, by = f.top + 8;
    int row = 0;
    cv_rect(&c, bx, by, bw, bh, WHITE);
    cv_frame(&c, bx, by, bw, bh, 0x808080);
    for (int k = 0; k < ns; k++) {
      if (!s[k].label) continue;
      int ty = by + 8 + 22 * row++;
      cv_rect(&c, bx + 8, ty + 6, 24, 3, s[k].rgb ? s[k].rgb : prc_palette[k % 8]);
      cv_text(&c, bx + 40, ty, s[k].label, 2, 0, BLACK);
    }
  }
  /* title and axis labels */
  draw_title(&c, st->title);
  if (st->xlabel)
    cv_text(&c, f.left + (f.pw - text_w(st->xlabel, 2)) / 2, H - 8 - TEXT_H(2), st->xlabel,
            2, 0, BLACK);
  if (st->ylabel) {
    int sc = fit_scale(st->ylabel, f.ph);
    cv_text(&c, 8, f.top + (f.ph - text_w(st->ylabel, sc)) / 2, st->ylabel, sc, 1, BLACK);
  }
  int rc = png_write_canvas(path, &c);
  free(c.px);
  return rc;
}

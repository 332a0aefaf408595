/* sinusoidal.c — MODIS sinusoidal projection and tile grid (kernel: no MPI). Formulae in
 * include/precursor/sinusoidal.h and docs/FORMATS.md. */
#include "precursor/sinusoidal.h"

#include <math.h>

#include "precursor/error.h"

#define DEG (M_PI / 180.0)

void prc_sin_fwd(double R, double lat, double lon, double *x, double *y)
{
  double phi = lat * DEG;
  *x = R * (lon * DEG) * cos(phi);
  *y = R * phi;
}

int prc_sin_inv(double R, double x, double y, double *lat, double *lon)
{
  double phi = y / R, c = cos(phi);
  *lat = phi / DEG;
  *lon = c > 0 ? x / (R * c) / DEG : NAN;
  if (!(fabs(phi) <= M_PI / 2)) return 1;
  if (!(fabs(*lon) <= 180.0)) return 1;
  return 0;
}

int prc_sin_tile_grid(int h, int v, int n, prc_sin_grid *g)
{
  if (h < 0 || h >= PRC_SIN_NH || v < 0 || v >= PRC_SIN_NV || n <= 0)
    return prc_seterr("sinusoidal tile h%02dv%02d with %d pixels: h must be in 0..35, v in 0..17, n > 0", h, v, n);
  g->ulx = PRC_SIN_X0 + h * PRC_SIN_TILE_M;
  g->uly = PRC_SIN_Y0 - v * PRC_SIN_TILE_M;
  g->lrx = g->ulx + PRC_SIN_TILE_M;
  g->lry = g->uly - PRC_SIN_TILE_M;
  g->nx = g->ny = n;
  g->R = PRC_SIN_R;
  return 0;
}

int prc_sin_pixel_centre(const prc_sin_grid *g, int row, int col, double *lat, double *lon)
{
  double w = (g->lrx - g->ulx) / g->nx, hg = (g->uly - g->lry) / g->ny;
  return prc_sin_inv(g->R, g->ulx + (col + 0.5) * w, g->uly - (row + 0.5) * hg, lat, lon);
}

int prc_sin_pixel_of(const prc_sin_grid *g, double lat, double lon, int *row, int *col)
{
  double x, y, w = (g->lrx - g->ulx) / g->nx, hg = (g->uly - g->lry) / g->ny;
  prc_sin_fwd(g->R, lat, lon, &x, &y);
  double c = floor((x - g->ulx) / w), r = floor((g->uly - y) / hg);
  if (!(c >= 0 && c < g->nx && r >= 0 && r < g->ny)) return 1;
  *row = (int)r, *col = (int)c;
  return 0;
}

int prc_sin_locate(double lat, double lon, int n, int *h, int *v, int *row, int *col)
{
  if (!(fabs(lat) <= 90 && fabs(lon) <= 180) || n <= 0)
    return prc_seterr("sinusoidal locate: lat %g / lon %g out of range (|lat| <= 90, |lon| <= 180) or n = %d <= 0", lat, lon, n);
  double x, y;
  prc_sin_fwd(PRC_SIN_R, lat, lon, &x, &y);
  int hh = (int)floor((x - PRC_SIN_X0) / PRC_SIN_TILE_M), vv = (int)floor((PRC_SIN_Y0 - y) / PRC_SIN_TILE_M);
  hh = hh < 0 ? 0 : hh >= PRC_SIN_NH ? PRC_SIN_NH - 1 : hh;
  vv = vv < 0 ? 0 : vv >= PRC_SIN_NV ? PRC_SIN_NV - 1 : vv;
  double w = PRC_SIN_TILE_M / n, ulx = PRC_SIN_X0 + hh * PRC_SIN_TILE_M, uly = PRC_SIN_Y0 - vv * PRC_SIN_TILE_M;
  int c = (int)floor((x - ulx) / w), r = (int)floor((uly - y) / w);
  *h = hh, *v = vv;
  *col = c < 0 ? 0 : c >= n ? n - 1 : c;
  *row = r < 0 ? 0 : r >= n ? n - 1 : r;
  return 0;
}

void prc_sin_grid_bbox(const prc_sin_grid *g, double bb[4])
{
  double la0 = g->lry / g->R / DEG, la1 = g->uly / g->R / DEG;
  if (la0 < -90) la0 = -90;
  if (la1 > 90) la1 = 90;
  bb[0] = la0, bb[1] = la1;
  /* |lon| = |x| / (R cos φ) grows towards the pole: extremes at the poleward edge */
  double lpole = fabs(la0) > fabs(la1) ? fabs(la0) : fabs(la1), leq = la0 <= 0 && la1 >= 0 ? 0 : fmin(fabs(la0), fabs(la1));
  double c[2] = {cos(lpole * DEG), cos(leq * DEG)}, lo = 180, hi = -180;
  for (int k = 0; k < 2; k++) {
    double a = c[k] > 1e-12 ? g->ulx / (g->R * c[k]) / DEG : (g->ulx < 0 ? -180 : 180);
    double b = c[k] > 1e-12 ? g->lrx / (g->R * c[k]) / DEG : (g->lrx < 0 ? -180 : 180);
    lo = fmin(lo, fmin(a, b)), hi = fmax(hi, fmax(a, b));
  }
  bb[2] = lo < -180 ? -180 : lo, bb[3] = hi > 180 ? 180 : hi;
}

/* precursor/sinusoidal.h — the MODIS sinusoidal grid (kernel layer: no MPI, no PETSc).
 *
 * The projection (GCTP_SNSOID on a sphere of radius R = 6371007.181 m) maps
 *   x = R · λ · cos φ,   y = R · φ          (φ, λ latitude, longitude in radians)
 * and back φ = y / R, λ = x / (R cos φ). The world is cut into 36 × 18 tiles of
 * T = 1111950.5197665 m (10° of latitude): tile (h, v), h in 0..35 west→east, v in 0..17
 * north→south, has its upper-left corner at x = −Rπ + h·T, y = Rπ/2 − v·T (≈ −20015109.354 +
 * h·T, 10007554.677 − v·T).
 * A tile of n × n pixels (n = 1200 at 1 km) has pixel (row i, col j) — row 0 north — centred
 * at x = ULx + (j + 0.5)·w, y = ULy − (i + 0.5)·w with w = T / n. See docs/FORMATS.md. */
#ifndef PRECURSOR_SINUSOIDAL_H
#define PRECURSOR_SINUSOIDAL_H

#include <math.h>

#define PRC_SIN_R 6371007.181          /* sphere radius of MODIS land products, m */
/* The world spans x in [−Rπ, Rπ], y in [−Rπ/2, Rπ/2]; the usual printed constants
 * −20015109.354, 10007554.677 and 1111950.5197665 are these rounded. The exact values are
 * used because the files' StructMetadata corners agree with them to 1e-6 m whereas the
 * rounded x origin is 1.8 mm off (which moves lon = 0 into tile h17). */
#define PRC_SIN_TILE_M (PRC_SIN_R * M_PI / 18.0) /* tile side, m (1111950.5197665) */
#define PRC_SIN_X0 (-PRC_SIN_R * M_PI)           /* west edge of tile h = 0, m */
#define PRC_SIN_Y0 (PRC_SIN_R * M_PI / 2.0)      /* north edge of tile v = 0, m */
#define PRC_SIN_NH 36
#define PRC_SIN_NV 18

/* A grid in projection metres: corners of the outer pixel edges, nx columns × ny rows,
 * row 0 at the top (north), sphere radius R. */
typedef struct {
  double ulx, uly, lrx, lry, R;
  int    nx, ny;
} prc_sin_grid;

/* Forward projection: latitude/longitude (degrees) -> x, y (metres). */
void prc_sin_fwd(double R, double lat, double lon, double *x, double *y);
/* Inverse: x, y (metres) -> latitude/longitude (degrees). Returns 0, or 1 if the point is
 * outside the projection's domain (|y| > R π/2 or |λ| > 180°); lat/lon are still set
 * (lon to NaN at the poles). */
int  prc_sin_inv(double R, double x, double y, double *lat, double *lon);
/* The standard grid of tile (h, v) with n × n pixels. Returns 0, or 1 (prc_seterr) if h,
 * v or n is out of range. */
int  prc_sin_tile_grid(int h, int v, int n, prc_sin_grid *g);
/* Centre of pixel (row, col) of g in degrees. Returns prc_sin_inv's verdict (1: the pixel
 * centre is outside the projected world, as in the corners of edge tiles). */
int  prc_sin_pixel_centre(const prc_sin_grid *g, int row, int col, double *lat, double *lon);
/* The pixel of g containing (lat, lon): row = ⌊(ULy − y)/hgt⌋, col = ⌊(x − ULx)/w⌋.
 * Returns 0 if inside the grid, 1 if outside (row/col then undefined). */
int  prc_sin_pixel_of(const prc_sin_grid *g, double lat, double lon, int *row, int *col);
/* Global tile and pixel (tiles of n × n pixels) containing (lat, lon); the edges lat = −90
 * and lon = 180 are put into the last tile. Returns 0, or 1 (prc_seterr) if lat/lon are
 * out of range or not finite. */
int  prc_sin_locate(double lat, double lon, int n, int *h, int *v, int *row, int *col);
/* Latitude/longitude bounding box of a grid: bb = {lat_min, lat_max, lon_min, lon_max}
 * (degrees; longitudes clipped to [−180, 180]). */
void prc_sin_grid_bbox(const prc_sin_grid *g, double bb[4]);

#endif

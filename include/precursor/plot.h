/* precursor/plot.h — PNG pictures for users: raster maps of 2-D fields and line plots
 * of time series (kernel layer: no MPI, no PETSc; libpng only).
 *
 * Text is drawn with a built-in 5x7 bitmap font (ASCII 32..126 plus ° ≥ ≤ ± µ ² σ Δ
 * and en/em dashes, UTF-8 encoded); other characters are drawn as '?'.
 * Colours are 0xRRGGBB; in every style, a colour of 0 means "the default".
 * Every style may be NULL (all defaults); a zero-initialised style is the default too.
 * Files are written atomically (<path>.tmp.<pid>, then rename()); on failure no file
 * is left behind and prc_lasterr() names the path and the problem.
 */
#ifndef PRECURSOR_PLOT_H
#define PRECURSOR_PLOT_H

#include <stdint.h>

typedef enum {
  PRC_CMAP_VIRIDIS = 0,  /* perceptual sequential, dark purple (low) -> yellow (high) */
  PRC_CMAP_DIVERGING = 1 /* blue (low) -> white (middle) -> red (high), for anomalies */
} prc_cmap;

typedef enum { PRC_MARK_CIRCLE = 0, PRC_MARK_CROSS = 1 } prc_mark_shape;

/* A marker on a map, in grid coordinates: x = column index, y = row index (the centre
 * of cell (i, j) is x = i, y = j; fractional values allowed). */
typedef struct {
  double   x, y;
  int      shape;  /* prc_mark_shape */
  int      radius; /* pixels; 0: 6 */
  uint32_t rgb;    /* 0: magenta; drawn with a thin black outline */
} prc_marker;

typedef struct {
  const char       *title;      /* NULL: none */
  const char       *cbar_label; /* units shown above the colour bar; NULL: none */
  prc_cmap          cmap;
  double            vmin, vmax; /* vmin >= vmax: automatic, see prc_plot_map_png */
  int               flip_y;     /* 0: row 0 is the bottom (south) row of the picture;
                                   1: row 0 is the top row (image order) */
  int               scale;      /* pixels per grid cell; <= 0: automatic */
  uint32_t          mask_rgb;   /* colour of non-finite cells; 0: light grey 0xC0C0C0 */
  const prc_marker *markers;    /* may be NULL */
  int               nmarkers;
  const unsigned char *outline; /* (ny, nx) mask or NULL: the boundary of the cells with a
                                   non-zero value is drawn in black (e.g. an anomaly contour) */
} prc_map_style;

/* Map layout: the grid's top-left cell starts at pixel (PRC_PLOT_MAP_LEFT,
 * PRC_PLOT_MAP_TOP); the picture is (nx*s + PRC_PLOT_MAP_EXTRA_W) x
 * (ny*s + PRC_PLOT_MAP_EXTRA_H) pixels; the colour bar is PRC_PLOT_CBAR_W pixels wide,
 * starts PRC_PLOT_CBAR_GAP pixels right of the map and spans the map's height (top =
 * vmax, bottom = vmin). PRC_PLOT_MAP_TARGET is the automatic long side. */
enum {
  PRC_PLOT_MAP_TARGET = 512,
  PRC_PLOT_MAP_LEFT = 16,
  PRC_PLOT_MAP_TOP = 48,
  PRC_PLOT_CBAR_GAP = 16,
  PRC_PLOT_CBAR_W = 24,
  PRC_PLOT_MAP_EXTRA_W = 196,
  PRC_PLOT_MAP_EXTRA_H = 64,
  PRC_PLOT_MAX_SIDE = 16384 /* larger pictures are refused */
};

/* Write a raster map of the field z (row-major: ny rows of nx values, z[j*nx + i]) to a
 * PNG file at `path`.
 *  - Orientation: row 0 is drawn at the bottom (south) unless st->flip_y.
 *  - Scale s = st->scale if > 0, else the integer nearest to PRC_PLOT_MAP_TARGET /
 *    max(nx, ny), at least 1 (nearest-neighbour: each cell is an s x s pixel block).
 *  - Colour range: [st->vmin, st->vmax] if vmin < vmax; otherwise automatic from the
 *    finite values: their 2nd and 98th percentiles (linear interpolation between order
 *    statistics); for PRC_CMAP_DIVERGING the automatic range is symmetric, +-max(|p2|,
 *    |p98|), so that 0 is white. Values outside the range get the end colours. If there
 *    are no finite values the range is [0, 1]; a constant field gets a small range
 *    around its value.
 *  - Non-finite values (NaN = missing/cloud, +-Inf) are drawn in st->mask_rgb.
 *  - A colour bar with labels at vmin, mid-range (if the map is >= 60 px tall) and vmax,
 *    the title above the map and the markers (clipped to the map) are drawn too.
 * Returns 0, or non-zero with prc_lasterr() set (NULL path/z, nx or ny <= 0, picture
 * larger than PRC_PLOT_MAX_SIDE, out of memory, I/O error). */
int prc_plot_map_png(const char *path, const float *z, int nx, int ny,
                     const prc_map_style *st);

/* One curve of a line plot. Points whose x or y is not finite break the line: no
 * segment is drawn to or from them (an isolated finite point is drawn as a dot). */
typedef struct {
  const double *x, *y;
  int           n;
  const char   *label; /* shown in the legend; NULL: not listed */
  uint32_t      rgb;   /* 0: the i-th colour of a built-in 8-colour palette */
} prc_series;

typedef struct {
  const char   *title, *xlabel, *ylabel; /* NULL: none */
  int           width, height;           /* pixels; <= 0: 900 x 400 */
  double        xmin, xmax;              /* xmin >= xmax: data range (exact) */
  double        ymin, ymax;              /* ymin >= ymax: data range (and hline) + 5% */
  const double *vlines;                  /* vertical lines at these x (events); those
                                            outside [xmin, xmax] are not drawn */
  int           nvlines;
  uint32_t      vline_rgb;               /* 0: red 0xD62728, dashed */
  int           hline_on;                /* 1: draw a horizontal line at y = hline */
  double        hline;                   /* e.g. a threshold */
  uint32_t      hline_rgb;               /* 0: dark grey 0x505050, dashed */
} prc_lines_style;

/* Write a line plot of nseries curves to a PNG file at `path`: axes with "nice" ticks
 * (steps 1, 2 or 5 x 10^k) and labels, light grid lines, title, axis labels, a legend
 * (top-right, only if some series has a label), optional vertical and horizontal
 * marker lines. Lines are 2 px wide and clipped to the plot frame. The picture is
 * width x height (default 900 x 400); the minimum is 200 x 150.
 * Returns 0, or non-zero with prc_lasterr() set (NULL path/s, nseries <= 0, a series
 * with n < 0 or NULL x/y with n > 0, size out of range, out of memory, I/O error). */
int prc_plot_lines_png(const char *path, const prc_series *s, int nseries,
                       const prc_lines_style *st);

/* Built-in font (src/viz/plot_font.c): the 5x7 glyph (plus a descender row) of Unicode
 * code point cp as 8 rows of 5 bits; row r (0 = top) is (g >> (56 - 8*r)) & 0x1F and
 * bit 4 is the leftmost column. Unknown code points give the '?' glyph. */
uint64_t prc_plot_glyph(uint32_t cp);

#endif

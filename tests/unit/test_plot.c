/* test_plot.c — unit tests of src/viz/plot.c: writes maps and line plots into a fresh
 * folder under /tmp, reads them back with libpng and checks sizes and real pixel colours
 * (colour-map ends, mask colour, diverging zero, markers, line gaps, marker lines), the
 * error paths (unwritable path, bad arguments) and that no temporary file is left.
 * Set PRC_TEST_KEEP=1 to keep the pictures (the folder is printed).
 */
#include "precursor/error.h"
#include "precursor/plot.h"
#include "ptest.h"

#include <dirent.h>
#include <sys/stat.h>
#include <png.h>
#include <unistd.h>

static char g_dir[64];

typedef struct {
  int            w, h;
  unsigned char *px;
} image;

static char *tpath(const char *name)
{
  static char buf[400];
  snprintf(buf, sizeof buf, "%s/%s", g_dir, name);
  return buf;
}

static int read_png(const char *path, image *im)
{
  png_image pi;
  memset(&pi, 0, sizeof pi);
  pi.version = PNG_IMAGE_VERSION;
  im->px = NULL;
  if (!png_image_begin_read_from_file(&pi, path)) return 1;
  pi.format = PNG_FORMAT_RGB;
  im->px = malloc(PNG_IMAGE_SIZE(pi));
  if (!im->px || !png_image_finish_read(&pi, NULL, im->px, 0, NULL)) {
    png_image_free(&pi);
    free(im->px);
    im->px = NULL;
    return 1;
  }
  im->w = (int)pi.width, im->h = (int)pi.height;
  return 0;
}

static uint32_t px(const image *im, int x, int y)
{
  if (x < 0 || y < 0 || x >= im->w || y >= im->h) return 0xFFFFFFFFu;
  const unsigned char *p = im->px + ((size_t)y * im->w + x) * 3;
  return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

/* Largest channel difference between two colours. */
static int cdist(uint32_t a, uint32_t b)
{
  int d = 0;
  for (int s = 0; s < 24; s += 8) {
    int e = abs((int)((a >> s) & 255) - (int)((b >> s) & 255));
    d = e > d ? e : d;
  }
  return d;
}

/* The documented automatic scale: nearest integer to 512 / max(nx, ny), at least 1. */
static int auto_scale(int nx, int ny)
{
  double s = floor((double)PRC_PLOT_MAP_TARGET / (nx > ny ? nx : ny) + 0.5);
  return s < 1 ? 1 : (int)s;
}

/* Colour of the centre pixel of cell (i, j) of a map with scale s and ny rows. */
static uint32_t cell(const image *im, int i, int j, int s, int ny, int flip)
{
  return px(im, PRC_PLOT_MAP_LEFT + i * s + s / 2,
            PRC_PLOT_MAP_TOP + (flip ? j : ny - 1 - j) * s + s / 2);
}

/* Write a map, read it back and check its documented size; 0 on success. */
static int map_roundtrip(const char *name, const float *z, int nx, int ny,
                         const prc_map_style *st, image *im, int *s)
{
  const char *p = tpath(name);
  int         rc = prc_plot_map_png(p, z, nx, ny, st);
  PT_CHECK(rc == 0, "%s", prc_lasterr());
  PT_CHECK(read_png(p, im) == 0, "cannot read %s", p);
  *s = auto_scale(nx, ny);
  if (!im->px) return 1;
  PT_CHECK(im->w == nx * *s + PRC_PLOT_MAP_EXTRA_W && im->h == ny * *s + PRC_PLOT_MAP_EXTRA_H,
           "%s: size %dx%d", name, im->w, im->h);
  return rc;
}

#define PT_COLOUR(got, want)                                                               \
  do {                                                                                     \
    uint32_t g_ = (got);                                                                   \
    PT_CHECK(g_ == (want), "%s = %06X, expected %06X", #got, g_, (uint32_t)(want));        \
  } while (0)

#define VIRIDIS_LO 0x440154u
#define VIRIDIS_HI 0xFDE725u
#define VIRIDIS_MID 0x21918Cu
#define RDBU_LO 0x053061u
#define RDBU_HI 0x67001Fu
#define MASK 0xC0C0C0u
#define WHITE 0xFFFFFFu

static void test_map_colours(void)
{
  enum { NX = 64, NY = 64 };
  float *z = malloc(sizeof(float) * NX * NY);
  for (int k = 0; k < NX * NY; k++) z[k] = 0.5f;
  z[0] = -3.0f;                 /* below vmin: cell (0,0), bottom-left */
  z[NX * NY - 1] = 1.0f;        /* = vmax: cell (63,63), top-right */
  z[20 * NX + 10] = NAN;        /* cell (10,20) */
  z[30 * NX + 40] = INFINITY;   /* cell (40,30) */
  prc_marker    mk = {.x = 30, .y = 50, .shape = PRC_MARK_CROSS, .rgb = 0x00FFFF};
  prc_map_style st = {.title = "Test map: T (°C) ≥ 0", .cbar_label = "K", .vmin = 0, .vmax = 1,
                      .markers = &mk, .nmarkers = 1};
  image im;
  int   s;
  if (map_roundtrip("map.png", z, NX, NY, &st, &im, &s)) goto done;
  PT_COLOUR(cell(&im, 0, 0, s, NY, 0), VIRIDIS_LO);           /* min: bottom-left */
  PT_COLOUR(cell(&im, NX - 1, NY - 1, s, NY, 0), VIRIDIS_HI); /* max: top-right */
  /* the whole NaN block (s x s pixels) is mask-coloured */
  int bad = 0, x0 = PRC_PLOT_MAP_LEFT + 10 * s, y0 = PRC_PLOT_MAP_TOP + (NY - 1 - 20) * s;
  for (int k = 0; k < s * s; k++) bad += px(&im, x0 + k % s, y0 + k / s) != MASK;
  PT_CHECK(bad == 0, "%d pixels of the NaN cell are not the mask colour", bad);
  PT_COLOUR(cell(&im, 40, 30, s, NY, 0), MASK);     /* +Inf */
  PT_COLOUR(cell(&im, 30, 50, s, NY, 0), 0x00FFFF); /* the marker, row 0 at the bottom */
  PT_CHECK(cdist(cell(&im, 11, 20, s, NY, 0), VIRIDIS_MID) <= 2, "mid cell %06X",
           cell(&im, 11, 20, s, NY, 0));
  /* colour bar: top = vmax colour, bottom = vmin colour */
  int bx = PRC_PLOT_MAP_LEFT + NX * s + PRC_PLOT_CBAR_GAP + PRC_PLOT_CBAR_W / 2;
  PT_COLOUR(px(&im, bx, PRC_PLOT_MAP_TOP), VIRIDIS_HI);
  PT_COLOUR(px(&im, bx, PRC_PLOT_MAP_TOP + NY * s - 1), VIRIDIS_LO);
  /* title text is drawn: some black pixels in the title band */
  int black = 0;
  for (int yy = 0; yy < PRC_PLOT_MAP_TOP - 24; yy++)
    for (int xx = 0; xx < im.w; xx++) black += px(&im, xx, yy) == 0;
  PT_CHECK(black > 50, "title band has %d black pixels", black);
done:
  free(im.px);
  free(z);
}

static void test_map_auto_flip_markers(void)
{
  enum { NX = 32, NY = 16 };
  float z[NX * NY];
  for (int k = 0; k < NX * NY; k++) z[k] = (float)k; /* ramp; min at (0,0), max at (31,15) */
  prc_marker mk[2] = {{.x = 20, .y = 5, .shape = PRC_MARK_CROSS, .rgb = 0xFF0000},
                      {.x = 5, .y = 10, .radius = 10, .rgb = 0x00FF00}};
  prc_map_style st = {.flip_y = 1, .markers = mk, .nmarkers = 2}; /* auto range */
  image         im;
  int           s;
  if (map_roundtrip("map_flip.png", z, NX, NY, &st, &im, &s)) goto done;
  /* flip_y: row 0 at the top, so the minimum is the top-left pixel */
  PT_COLOUR(px(&im, PRC_PLOT_MAP_LEFT, PRC_PLOT_MAP_TOP), VIRIDIS_LO);
  PT_COLOUR(cell(&im, NX - 1, NY - 1, s, NY, 1), VIRIDIS_HI); /* bottom-right */
  uint32_t c = cell(&im, NX / 2, NY / 2, s, NY, 1); /* 272 of 0..511: not an end colour */
  PT_CHECK(cdist(c, VIRIDIS_MID) <= 25, "middle cell %06X", c);
  /* cross marker: centre in the marker colour; circle (radius 10): ring yes, centre no */
  PT_COLOUR(cell(&im, 20, 5, s, NY, 1), 0xFF0000);
  PT_CHECK(cell(&im, 5, 10, s, NY, 1) != 0x00FF00, "circle centre filled");
  PT_COLOUR(px(&im, PRC_PLOT_MAP_LEFT + 5 * s + s / 2 + 10, PRC_PLOT_MAP_TOP + 10 * s + s / 2),
            0x00FF00);
done:
  free(im.px);
}

static void test_map_diverging(void)
{
  enum { NX = 40, NY = 30 };
  float z[NX * NY];
  for (int k = 0; k < NX * NY; k++) z[k] = -0.5f + 2.5f * k / (NX * NY - 1); /* [-0.5, 2] */
  z[15 * NX + 20] = 0.0f;
  prc_map_style st = {.cmap = PRC_CMAP_DIVERGING, .title = "anomaly index"};
  image         im;
  int           s; /* 13: 512/40 = 12.8 rounds up */
  if (map_roundtrip("map_div.png", z, NX, NY, &st, &im, &s)) goto done;
  PT_CHECK(cdist(cell(&im, 20, 15, s, NY, 0), WHITE) < 20, "zero cell %06X is not white",
           cell(&im, 20, 15, s, NY, 0));
  PT_COLOUR(cell(&im, NX - 1, NY - 1, s, NY, 0), RDBU_HI);
  uint32_t c = cell(&im, 0, 0, s, NY, 0); /* -0.5 in a symmetric ~[-1.95, 1.95]: light blue */
  PT_CHECK((c & 255) > ((c >> 16) & 255) + 40 && c != RDBU_LO, "min cell %06X", c);
  PT_COLOUR(px(&im, PRC_PLOT_MAP_LEFT + NX * s + PRC_PLOT_CBAR_GAP + 3,
               PRC_PLOT_MAP_TOP + NY * s - 1), RDBU_LO); /* colour bar bottom */
done:
  free(im.px);
}

/* Number of pixels of colour col in column x. */
/* The outline mask draws black edges around the masked cells only: a 3x3 block in an 8x8
 * map at scale 64 has black at its outer cell edges, none in its centre cell or outside. */
static void test_map_outline(void)
{
  float         z[64];
  unsigned char m[64] = {0};
  for (int i = 0; i < 64; i++) z[i] = 0.5f;
  for (int j = 2; j < 5; j++)
    for (int i = 3; i < 6; i++) m[j * 8 + i] = 1;
  prc_map_style st = {.vmin = 0, .vmax = 1, .outline = m};
  image         im;
  int           s;
  if (map_roundtrip("outline.png", z, 8, 8, &st, &im, &s)) return;
  uint32_t mid = cell(&im, 4, 3, s, 8, 0);
  PT_CHECK(mid != 0x000000, "inside of the outlined block is black");
  int x_left = PRC_PLOT_MAP_LEFT + 3 * s, y_cell = PRC_PLOT_MAP_TOP + (8 - 1 - 3) * s + s / 2;
  PT_COLOUR(px(&im, x_left, y_cell), 0x000000);                       /* left edge of cell (3,3) */
  PT_COLOUR(px(&im, x_left + 3 * s - 1, y_cell), 0x000000);           /* right edge of cell (5,3) */
  PT_COLOUR(px(&im, PRC_PLOT_MAP_LEFT + 4 * s + s / 2, PRC_PLOT_MAP_TOP + (8 - 1 - 4) * s), 0x000000); /* top of (4,4) */
  PT_CHECK(px(&im, x_left + s, y_cell) != 0x000000, "edge drawn between two masked cells");
  PT_CHECK(cell(&im, 1, 1, s, 8, 0) != 0x000000 && cell(&im, 7, 7, s, 8, 0) != 0x000000, "black outside the block");
  free(im.px);
}

static int col_has(const image *im, int x, uint32_t col)
{
  int n = 0;
  for (int y = 0; y < im->h; y++) n += px(im, x, y) == col;
  return n;
}

static void test_lines_gap(void)
{
  enum { N = 101 };
  double   x[N], y[N], y2[N];
  uint32_t col = 0x1122EE, col2 = 0x22AA33;
  for (int i = 0; i < N; i++) {
    x[i] = i;
    y[i] = (i >= 40 && i <= 60) ? NAN : 1.0;
    y2[i] = 2.0 + 0.01 * i;
  }
  double          ev[1] = {80};
  prc_series      s[2] = {{x, y, N, NULL, col}, {x, y2, N, NULL, col2}};
  prc_lines_style st = {.title = "Series with a gap", .xlabel = "time (days)",
                        .ylabel = "index [-]", .vlines = ev, .nvlines = 1,
                        .hline_on = 1, .hline = 0.5};
  const char *p = tpath("lines.png");
  PT_CHECK(prc_plot_lines_png(p, s, 2, &st) == 0, "%s", prc_lasterr());
  image im;
  PT_CHECK(read_png(p, &im) == 0, "cannot read %s", p);
  if (!im.px) return;
  PT_CHECK(im.w == 900 && im.h == 400, "default size %dx%d", im.w, im.h);
  int l = -1, r = -1;
  for (int xx = 0; xx < im.w; xx++)
    if (col_has(&im, xx, col)) r = xx, l = l < 0 ? xx : l;
  PT_CHECK(l > 0 && r - l > 600, "series spans columns %d..%d", l, r);
  if (r - l <= 600) goto done;
#define XCOL(v) (l + (int)lround((r - l) * (v) / 100.0))
  PT_CHECK(col_has(&im, XCOL(50), col) == 0, "series colour inside the gap");
  PT_CHECK(col_has(&im, XCOL(42), col) == 0, "series colour inside the gap");
  PT_CHECK(col_has(&im, XCOL(20), col) >= 2, "no series at x=20");
  PT_CHECK(col_has(&im, XCOL(70), col) >= 2, "no series at x=70");
  PT_CHECK(col_has(&im, XCOL(50), col2) >= 2, "second series missing at x=50");
  /* event line at x=80 (default red, dashed) */
  int ev_n = col_has(&im, XCOL(80), 0xD62728) + col_has(&im, XCOL(80) - 1, 0xD62728);
  PT_CHECK(ev_n > 50, "event line has %d pixels", ev_n);
  PT_CHECK(col_has(&im, XCOL(30), 0xD62728) == 0, "event colour away from x=80");
  /* threshold line: a row with many dark-grey pixels, below the series (y=0.5 < 1) */
  int best = 0, by = -1;
  for (int yy = 0; yy < im.h; yy++) {
    int n = 0;
    for (int xx = l; xx <= r; xx++) n += px(&im, xx, yy) == 0x505050;
    if (n > best) best = n, by = yy;
  }
  int sy = -1;
  for (int yy = 0; yy < im.h && sy < 0; yy++)
    if (px(&im, XCOL(20), yy) == col) sy = yy;
  PT_CHECK(best > (r - l) / 3 && by > sy, "threshold row %d (%d px), series row %d", by, best,
           sy);
done:
  free(im.px);
}

static void test_lines_legend_size(void)
{
  double     x[3] = {0, 1, 2}, y1[3] = {0, 1, 0}, y2[3] = {NAN, 5, NAN};
  prc_series s[2] = {{x, y1, 3, "first", 0}, {x, y2, 3, "second (isolated)", 0}};
  prc_lines_style st = {.width = 640, .height = 300};
  const char *p = tpath("legend.png");
  PT_CHECK(prc_plot_lines_png(p, s, 2, &st) == 0, "%s", prc_lasterr());
  image im;
  PT_CHECK(read_png(p, &im) == 0, "cannot read %s", p);
  if (!im.px) return;
  PT_CHECK(im.w == 640 && im.h == 300, "size %dx%d", im.w, im.h);
  int n1 = 0, n2 = 0; /* palette colours 0 and 1: line; isolated dot (3x3) + legend (24x3) */
  for (int xx = 0; xx < im.w; xx++)
    n1 += col_has(&im, xx, 0x1F77B4), n2 += col_has(&im, xx, 0xFF7F0E);
  PT_CHECK(n1 > 100 && n2 >= 9 + 72, "palette pixels %d %d", n1, n2);
  free(im.px);
}

static int file_exists(const char *p) { return access(p, F_OK) == 0; }

static void test_errors(void)
{
  float z[4] = {0, 1, 2, 3};
  double x[2] = {0, 1};
  const char *bad = "/nonexistent/dir/x.png";
  prc_clearerr();
  PT_CHECK(prc_plot_map_png(bad, z, 2, 2, NULL) != 0, "unwritable path accepted");
  PT_CHECK(strstr(prc_lasterr(), bad) != NULL, "message without the path: %s", prc_lasterr());
  PT_CHECK(!file_exists(bad), "file left behind");
  prc_series s = {x, x, 2, "a", 0};
  prc_clearerr();
  PT_CHECK(prc_plot_lines_png(bad, &s, 1, NULL) != 0, "unwritable path accepted (lines)");
  PT_CHECK(strstr(prc_lasterr(), bad) != NULL, "message: %s", prc_lasterr());
  const char *p = tpath("bad.png");
  PT_CHECK(prc_plot_map_png(p, NULL, 2, 2, NULL) != 0, "NULL data accepted");
  PT_CHECK(prc_plot_map_png(p, z, 0, 2, NULL) != 0, "nx=0 accepted");
  PT_CHECK(prc_plot_map_png(p, z, 2, -1, NULL) != 0, "ny<0 accepted");
  PT_CHECK(strstr(prc_lasterr(), p) != NULL, "message: %s", prc_lasterr());
  PT_CHECK(prc_plot_map_png(NULL, z, 2, 2, NULL) != 0, "NULL path accepted");
  PT_CHECK(prc_plot_map_png(p, z, 100000, 1, &(prc_map_style){.scale = 1}) != 0, "huge accepted");
  PT_CHECK(prc_plot_lines_png(p, NULL, 1, NULL) != 0, "NULL series accepted");
  PT_CHECK(prc_plot_lines_png(p, &s, 0, NULL) != 0, "nseries=0 accepted");
  prc_series s2 = {x, NULL, 2, "a", 0};
  PT_CHECK(prc_plot_lines_png(p, &s2, 1, NULL) != 0, "NULL y accepted");
  PT_CHECK(prc_plot_lines_png(p, &s, 1, &(prc_lines_style){.width = 50}) != 0, "tiny accepted");
  PT_CHECK(!file_exists(p), "file written despite errors");
  /* the temporary file can be written but not renamed (the target is a directory) */
  char dir[400];
  snprintf(dir, sizeof dir, "%s", tpath("adir.png"));
  PT_CHECK(mkdir(dir, 0700) == 0, "mkdir %s", dir);
  prc_clearerr();
  PT_CHECK(prc_plot_map_png(dir, z, 2, 2, NULL) != 0, "rename onto a directory succeeded");
  PT_CHECK(strstr(prc_lasterr(), dir) != NULL, "message: %s", prc_lasterr());
  rmdir(dir); /* test_overwrite_and_no_tmp then checks no .tmp. file was left */
}

static void test_overwrite_and_no_tmp(void)
{
  float z[6] = {1, 2, NAN, 4, 5, 6}; /* also: all-finite-but-one, tiny grid, no style */
  char p[400];
  snprintf(p, sizeof p, "%s", tpath("small.png")); /* tpath's buffer is reused below */
  PT_CHECK(prc_plot_map_png(p, z, 3, 2, NULL) == 0, "%s", prc_lasterr());
  PT_CHECK(prc_plot_map_png(p, z, 3, 2, NULL) == 0, "overwrite: %s", prc_lasterr());
  float nan4[4] = {NAN, NAN, NAN, NAN};
  PT_CHECK(prc_plot_map_png(tpath("allnan.png"), nan4, 2, 2, NULL) == 0, "%s", prc_lasterr());
  double x[1] = {3}, y[1] = {NAN};
  prc_series s = {x, y, 1, "empty", 0};
  PT_CHECK(prc_plot_lines_png(tpath("empty.png"), &s, 1, NULL) == 0, "%s", prc_lasterr());
  image im;
  PT_CHECK(read_png(p, &im) == 0, "cannot read %s", p);
  PT_CHECK(im.px && im.w == 3 * auto_scale(3, 2) + PRC_PLOT_MAP_EXTRA_W, "width %d", im.w);
  free(im.px);
  DIR *d = opendir(g_dir);
  PT_CHECK(d != NULL, "cannot list %s", g_dir);
  int ntmp = 0, npng = 0;
  for (struct dirent *e; d && (e = readdir(d));) {
    ntmp += strstr(e->d_name, ".tmp.") != NULL;
    npng += strstr(e->d_name, ".png") != NULL;
  }
  if (d) closedir(d);
  PT_CHECK(ntmp == 0 && npng >= 7, "%d temporary files, %d pictures in %s", ntmp, npng, g_dir);
}

static void test_font(void)
{
  uint64_t q = prc_plot_glyph('?'), a = prc_plot_glyph('A');
  PT_CHECK(prc_plot_glyph(0x1234) == q, "unknown code point is not '?'");
  PT_CHECK(((a >> 56) & 0x1F) == 0x0E && ((a >> 8) & 0x1F) == 0x11, "glyph A %016llX",
           (unsigned long long)a);
  int same = 0;
  for (uint32_t cp = 33; cp < 127; cp++) same += cp != '?' && prc_plot_glyph(cp) == q;
  PT_CHECK(same == 0, "%d glyphs look like '?'", same);
  PT_CHECK(prc_plot_glyph(0x2265) != q && prc_plot_glyph(0xB0) != q, "≥ or ° missing");
}

static void remove_dir(void)
{
  DIR *d = opendir(g_dir);
  for (struct dirent *e; d && (e = readdir(d));)
    if (e->d_name[0] != '.') remove(tpath(e->d_name));
  if (d) closedir(d);
  rmdir(g_dir);
}

int main(int argc, char **argv)
{
  (void)argc;
  pt_set_prog(argv[0]);
  snprintf(g_dir, sizeof g_dir, "/tmp/test_plot.XXXXXX");
  if (!mkdtemp(g_dir)) {
    perror("mkdtemp");
    return 1;
  }
  PT_RUN(test_map_colours);
  PT_RUN(test_map_auto_flip_markers);
  PT_RUN(test_map_diverging);
  PT_RUN(test_map_outline);
  PT_RUN(test_lines_gap);
  PT_RUN(test_lines_legend_size);
  PT_RUN(test_errors);
  PT_RUN(test_overwrite_and_no_tmp);
  PT_RUN(test_font);
  if (getenv("PRC_TEST_KEEP")) printf("# pictures kept in %s\n", g_dir);
  else remove_dir();
  return pt_finish();
}

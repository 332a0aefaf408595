/* test_read_modis.c — unit tests of the MODIS sinusoidal grid (src/io/sinusoidal.c) and
 * the HDF4 LST reader (src/io/read_modis.c). Kernel only: no MPI.
 *  - the tile grid against the published constants and the real file's StructMetadata;
 *  - round trips lat/lon -> (h, v, row, col) -> pixel centre for 20000 seeded points;
 *  - the real tile ../shared/data/lst/MOD11A1.A2019305.h14v09.hdf (skipped if absent):
 *    dims, date, kelvin = raw x 0.02 against a second read through HDF4's SD API in this
 *    test, QC counts recomputed from the raw bits, the non-fill count against `hdp
 *    dumpsds` (skipped if hdp is not installed), value range;
 *  - small HDF4 files written here with the SD API: known values through each QC mode,
 *    and 16 malformed cases, each rejected with a message naming the file and the
 *    SDS/attribute. */
#include "precursor/error.h"
#include "precursor/read_modis.h"
#include "precursor/sinusoidal.h"
#include "precursor/timeutil.h"
#include "ptest.h"

#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <mfhdf.h>
#pragma GCC diagnostic pop

static uint64_t tst_next(uint64_t *s)
{
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static double tst_unif(uint64_t *s) { return (double)(tst_next(s) >> 11) / 9007199254740992.0; }

static char tmpdir[256];
static char real_path[4200];

static int have_real(void)
{
  const char *d = pt_shared_data();
  if (!d) return 0;
  snprintf(real_path, sizeof real_path, "%s/lst/MOD11A1.A2019305.h14v09.hdf", d);
  return access(real_path, R_OK) == 0;
}

/* ---------------------------------------------------------------------------------- */

static void test_tile_constants(void)
{
  /* the published (rounded) constants: within 2 mm of the exact ones */
  PT_NEAR(PRC_SIN_X0, -20015109.354, 2e-3, 0);
  PT_NEAR(PRC_SIN_Y0, 10007554.677, 1e-3, 0);
  PT_NEAR(PRC_SIN_TILE_M, 1111950.5197665, 1e-6, 0);
  prc_sin_grid g;
  for (int h = 0; h < 36; h++)
    for (int v = 0; v < 18; v++) {
      PT_CHECK(!prc_sin_tile_grid(h, v, 1200, &g), "h%d v%d", h, v);
      PT_NEAR(g.ulx, -20015109.354 + h * 1111950.5197665, 2e-3, 0);
      PT_NEAR(g.uly, 10007554.677 - v * 1111950.5197665, 1e-3, 0);
      PT_NEAR(g.lrx - g.ulx, 1111950.5197665, 1e-6, 0);
      /* at latitude 0 the tile edges are meridians -180 + 10 h (tiles touching the equator) */
      if (v == 9) {
        double lat, lon;
        prc_sin_inv(PRC_SIN_R, g.ulx, g.uly, &lat, &lon);
        PT_NEAR(lat, 0, 1e-12, 0);
        PT_NEAR(lon, -180 + 10 * h, 1e-9, 0);
      }
    }
  /* h14v09 corners as printed in the real file's StructMetadata.0 */
  prc_sin_tile_grid(14, 9, 1200, &g);
  PT_NEAR(g.ulx, -4447802.079066, 1e-5, 0);
  PT_NEAR(g.uly, 0.0, 1e-5, 0);
  PT_NEAR(g.lrx, -3335851.559300, 1e-5, 0);
  PT_NEAR(g.lry, -1111950.519767, 1e-5, 0);
  /* a pixel centre by hand: row 0, col 0 of h14v09 */
  double lat, lon, w = 1111950.5197665 / 1200;
  prc_sin_pixel_centre(&g, 0, 0, &lat, &lon);
  double phi = -0.5 * w / 6371007.181;
  PT_NEAR(lat, phi * 180 / M_PI, 1e-12, 0);
  PT_NEAR(lon, (-4447802.079066 + 0.5 * w) / (6371007.181 * cos(phi)) * 180 / M_PI, 1e-9, 0);
  /* lower-left corner at lat -10: lon = -40 / cos(10 deg) */
  prc_sin_inv(PRC_SIN_R, g.ulx, g.lry, &lat, &lon);
  PT_NEAR(lat, -10, 1e-9, 0);
  PT_NEAR(lon, -40 / cos(10 * M_PI / 180), 1e-9, 0);
  double bb[4];
  prc_sin_grid_bbox(&g, bb);
  PT_NEAR(bb[0], -10, 1e-9, 0);
  PT_NEAR(bb[1], 0, 1e-9, 0);
  PT_NEAR(bb[2], -40 / cos(10 * M_PI / 180), 1e-9, 0);
  PT_NEAR(bb[3], -30, 1e-9, 0);
  /* errors */
  PT_CHECK(prc_sin_tile_grid(36, 0, 1200, &g) && strstr(prc_lasterr(), "h36v00"), "%s", prc_lasterr());
  int h, v, r, c;
  PT_CHECK(prc_sin_locate(91, 0, 1200, &h, &v, &r, &c) && strstr(prc_lasterr(), "91"), "%s", prc_lasterr());
  PT_CHECK(prc_sin_locate(NAN, 0, 1200, &h, &v, &r, &c), "NaN accepted");
  /* known tiles: (0, 0) is the UL pixel of h18v09; Beijing (39.9 N, 116.4 E) is in h26v05 */
  PT_CHECK(!prc_sin_locate(-1e-9, 1e-9, 1200, &h, &v, &r, &c) && h == 18 && v == 9 && r == 0 && c == 0, "h%d v%d r%d c%d", h,
           v, r, c);
  PT_CHECK(!prc_sin_locate(39.9, 116.4, 1200, &h, &v, &r, &c) && h == 26 && v == 5, "Beijing h%d v%d", h, v);
  PT_CHECK(!prc_sin_locate(-90, 0, 1200, &h, &v, &r, &c) && v == 17 && r == 1199, "south pole v%d r%d", v, r);
  PT_CHECK(!prc_sin_locate(0, 180, 1200, &h, &v, &r, &c) && h == 35 && c == 1199, "lon 180 h%d c%d", h, c);
}

static void test_round_trip(void)
{
  uint64_t s = 42;
  int      bad = 0, badc = 0;
  double   w = PRC_SIN_TILE_M / 1200, maxd = 0;
  for (int k = 0; k < 20000; k++) {
    double lat = -89.9 + 179.8 * tst_unif(&s), lon = -179.99 + 359.98 * tst_unif(&s), x, y, la2, lo2, x2, y2;
    int    h, v, r, c, h2, v2, r2, c2;
    if (prc_sin_locate(lat, lon, 1200, &h, &v, &r, &c)) {
      bad++;
      continue;
    }
    prc_sin_grid g;
    prc_sin_tile_grid(h, v, 1200, &g);
    int rr, cc;
    if (prc_sin_pixel_of(&g, lat, lon, &rr, &cc) || rr != r || cc != c) badc++;
    prc_sin_pixel_centre(&g, r, c, &la2, &lo2);
    prc_sin_fwd(PRC_SIN_R, lat, lon, &x, &y);
    prc_sin_fwd(PRC_SIN_R, la2, lo2, &x2, &y2);
    /* the centre is within half a pixel of the point in projection metres */
    double d = fmax(fabs(x - x2), fabs(y - y2));
    maxd = fmax(maxd, d);
    /* and maps back to the same tile and pixel */
    if (prc_sin_locate(la2, lo2, 1200, &h2, &v2, &r2, &c2) || h2 != h || v2 != v || r2 != r || c2 != c) bad++;
  }
  PT_CHECK(bad == 0, "%d of 20000 round trips changed tile/pixel", bad);
  PT_CHECK(badc == 0, "%d of 20000 pixel_of disagreed with locate", badc);
  PT_CHECK(maxd <= 0.5 * w + 1e-6, "max distance to the pixel centre %g m > half a pixel %g m", maxd, 0.5 * w);
}

/* ---------------------------------------------------------------------------------- */
/* the real tile                                                                       */

static void test_real_tile(void)
{
  if (!have_real()) PT_SKIP("real tile MOD11A1.A2019305.h14v09.hdf not found (PRC_SHARED_DATA)");
  prc_modis_tile t;
  PT_CHECK(!prc_modis_read(real_path, PRC_MODIS_NIGHT, PRC_MODIS_QC_ANY, &t), "%s", prc_lasterr());
  if (!t.lst) return;
  PT_CHECK(t.nx == 1200 && t.ny == 1200, "%d x %d", t.nx, t.ny);
  PT_CHECK(t.meta.h == 14 && t.meta.v == 9 && t.meta.year == 2019 && t.meta.doy == 305, "name");
  PT_CHECK(!strcmp(t.meta.product, "MOD11A1"), "%s", t.meta.product);
  PT_CHECK(t.meta.date == (double)prc_days_from_civil(2019, 11, 1) * PRC_DAY, "date %f", t.meta.date);
  PT_NEAR(t.meta.grid.ulx, -4447802.079066, 1e-6, 0);
  PT_NEAR(t.meta.grid.lry, -1111950.519767, 1e-6, 0);
  PT_NEAR(t.meta.grid.R, 6371007.181, 1e-6, 0);
  PT_NEAR(t.scale, 0.02, 1e-15, 0);
  PT_CHECK(t.fill == 0 && t.valid_min == 7500 && t.offset == 0, "fill %g valid_min %g offset %g", t.fill, t.valid_min, t.offset);
  /* independent read of the raw SDS and QC through the SD API */
  int32     sd = SDstart(real_path, DFACC_READ), start[2] = {0, 0}, edge[2] = {1200, 1200};
  uint16_t *raw = malloc(1200 * 1200 * 2);
  uint8_t  *qc = malloc(1200 * 1200);
  int32     s1 = SDselect(sd, SDnametoindex(sd, "LST_Night_1km")), s2 = SDselect(sd, SDnametoindex(sd, "QC_Night"));
  PT_CHECK(SDreaddata(s1, start, NULL, edge, raw) != FAIL && SDreaddata(s2, start, NULL, edge, qc) != FAIL, "SD read");
  SDendaccess(s1), SDendaccess(s2), SDend(sd);
  int64_t nz = 0, nstrict = 0, nlte2k = 0, mism = 0, vt_bad = 0;
  for (int i = 0; i < 1200 * 1200; i++) {
    if (raw[i] == 0) {
      mism += !isnan(t.lst[i]);
      continue;
    }
    nz++;
    mism += t.lst[i] != (float)(raw[i] * 0.02);
    unsigned qa = qc[i] & 3, e = qc[i] >> 6;
    nstrict += qa == 0 && e == 0;
    nlte2k += qa <= 1 && e <= 1;
    if (t.view_time) vt_bad += !(t.view_time[i] >= 0 && t.view_time[i] <= 24);
  }
  PT_CHECK(mism == 0, "%lld pixels differ from raw x 0.02", (long long)mism);
  PT_CHECK(t.n_valid_raw == nz && t.n_valid_qc == nz, "valid %lld / %lld, non-zero raw %lld", (long long)t.n_valid_raw,
           (long long)t.n_valid_qc, (long long)nz);
  PT_CHECK(nz > 1000, "only %lld valid night pixels", (long long)nz);
  PT_CHECK(t.lst_min >= 200 && t.lst_max <= 350, "LST range %g..%g K", t.lst_min, t.lst_max);
  PT_CHECK(t.view_time && vt_bad == 0, "view time missing or outside 0..24 h at %lld pixels", (long long)vt_bad);
  fprintf(stderr, "  real tile: %lld valid night pixels, %lld strict, %lld lte2k, %.2f..%.2f K\n", (long long)nz,
          (long long)nstrict, (long long)nlte2k, t.lst_min, t.lst_max);
  prc_modis_free(&t);
  PT_CHECK(!prc_modis_read(real_path, PRC_MODIS_NIGHT, PRC_MODIS_QC_STRICT, &t), "%s", prc_lasterr());
  PT_CHECK(t.n_valid_qc == nstrict, "strict %lld vs %lld", (long long)t.n_valid_qc, (long long)nstrict);
  prc_modis_free(&t);
  PT_CHECK(!prc_modis_read(real_path, PRC_MODIS_NIGHT, PRC_MODIS_QC_LTE2K, &t), "%s", prc_lasterr());
  PT_CHECK(t.n_valid_qc == nlte2k, "lte2k %lld vs %lld", (long long)t.n_valid_qc, (long long)nlte2k);
  prc_modis_free(&t);
  PT_CHECK(!prc_modis_read(real_path, PRC_MODIS_DAY, PRC_MODIS_QC_ANY, &t), "%s", prc_lasterr());
  PT_CHECK(t.lst_min >= 200 && t.lst_max <= 350, "day LST range %g..%g K", t.lst_min, t.lst_max);
  prc_modis_free(&t);
  free(raw), free(qc);
}

/* The non-fill count against hdp (hdf4-tools), a program independent of this reader. */
static void test_real_tile_hdp(void)
{
  if (!have_real()) PT_SKIP("real tile MOD11A1.A2019305.h14v09.hdf not found (PRC_SHARED_DATA)");
  if (system("command -v hdp >/dev/null 2>&1")) PT_SKIP("hdp (hdf4-tools) not installed");
  char cmd[8600];
  snprintf(cmd, sizeof cmd, "hdp dumpsds -n LST_Night_1km -d '%s'", real_path);
  FILE *p = popen(cmd, "r");
  PT_CHECK(p, "popen");
  if (!p) return;
  long long n = 0, nz = 0, v;
  while (fscanf(p, "%lld", &v) == 1) n++, nz += v != 0;
  pclose(p);
  prc_modis_tile t;
  PT_CHECK(!prc_modis_read(real_path, PRC_MODIS_NIGHT, PRC_MODIS_QC_ANY, &t), "%s", prc_lasterr());
  PT_CHECK(n == 1200 * 1200, "hdp printed %lld values", n);
  PT_CHECK(t.n_valid_raw == nz, "reader %lld non-fill pixels, hdp %lld", (long long)t.n_valid_raw, nz);
  prc_modis_free(&t);
}

/* ---------------------------------------------------------------------------------- */
/* generated HDF4 files                                                                */

typedef struct {
  const char *name;       /* file name in tmpdir */
  const char *date;       /* RANGEBEGINNINGDATE, NULL: no CoreMetadata.0 */
  int         no_struct;  /* no StructMetadata.0 */
  const char *proj;       /* Projection */
  double      ulx_shift;  /* corner offset, m */
  int         no_lst, lst_rank1, lst_wrong_dims, lst_float, no_scale, no_qc;
} fx;

static void write_fixture(const fx *f, char *path, size_t len)
{
  snprintf(path, len, "%s/%s", tmpdir, f->name);
  int32 sd = SDstart(path, DFACC_CREATE);
  if (sd == FAIL) return;
  char core[512], sm[1024];
  if (f->date) {
    snprintf(core, sizeof core,
             "GROUP = INVENTORYMETADATA\n  GROUP = RANGEDATETIME\n    OBJECT = RANGEBEGINNINGDATE\n      NUM_VAL = 1\n"
             "      VALUE = \"%s\"\n    END_OBJECT = RANGEBEGINNINGDATE\n  END_GROUP = RANGEDATETIME\nEND_GROUP\n",
             f->date);
    SDsetattr(sd, "CoreMetadata.0", DFNT_CHAR8, (int32)strlen(core), core);
  }
  prc_sin_grid g;
  prc_sin_tile_grid(14, 9, 4, &g);
  snprintf(sm, sizeof sm,
           "GROUP=GridStructure\n\tGROUP=GRID_1\n\t\tGridName=\"MODIS_Grid_Daily_1km_LST\"\n\t\tXDim=4\n\t\tYDim=4\n"
           "\t\tUpperLeftPointMtrs=(%.6f,%.6f)\n\t\tLowerRightMtrs=(%.6f,%.6f)\n\t\tProjection=%s\n"
           "\t\tProjParams=(6371007.181000,0,0,0,0,0,0,0,86400,0,0,0,0)\n\tEND_GROUP=GRID_1\nEND_GROUP=GridStructure\nEND\n",
           g.ulx + f->ulx_shift, g.uly, g.lrx, g.lry, f->proj ? f->proj : "GCTP_SNSOID");
  if (!f->no_struct) SDsetattr(sd, "StructMetadata.0", DFNT_CHAR8, (int32)strlen(sm), sm);
  /* LST: raw values 0 (fill), 15000 (300 K) ...; QC chosen per pixel */
  uint16 lst[16] = {0, 15000, 15001, 15002, 15003, 15004, 15005, 15006, 14000, 14001, 14002, 7000, 16000, 16001, 16002, 16003};
  uint8  qc[16] = {2, 0x00, 0x01, 0x41, 0x81, 0xC0, 0x40, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  int32  dims[2] = {4, 4}, start[2] = {0, 0};
  if (!f->no_lst) {
    int32 rank = f->lst_rank1 ? 1 : 2, d2[2] = {f->lst_rank1 ? 16 : 4, f->lst_wrong_dims ? 3 : 4};
    int32 s = SDcreate(sd, "LST_Night_1km", f->lst_float ? DFNT_FLOAT32 : DFNT_UINT16, rank, d2);
    float fl[16];
    for (int i = 0; i < 16; i++) fl[i] = lst[i];
    SDwritedata(s, start, NULL, d2, f->lst_float ? (void *)fl : (void *)lst);
    double sc = 0.02;
    uint16 fv = 0, vr[2] = {7500, 65535};
    if (!f->no_scale) SDsetattr(s, "scale_factor", DFNT_FLOAT64, 1, &sc);
    SDsetattr(s, "_FillValue", DFNT_UINT16, 1, &fv);
    SDsetattr(s, "valid_range", DFNT_UINT16, 2, vr);
    SDendaccess(s);
  }
  if (!f->no_qc) {
    int32 s = SDcreate(sd, "QC_Night", DFNT_UINT8, 2, dims);
    SDwritedata(s, start, NULL, dims, qc);
    SDendaccess(s);
  }
  SDend(sd);
}

static void test_fixture_values(void)
{
  char           path[600];
  fx             f = {.name = "MOD11A1.A2019305.h14v09.061.hdf", .date = "2019-11-01"};
  prc_modis_tile t;
  write_fixture(&f, path, sizeof path);
  /* any: all but the fill (0) and the out-of-range 7000 */
  PT_CHECK(!prc_modis_read(path, PRC_MODIS_NIGHT, PRC_MODIS_QC_ANY, &t), "%s", prc_lasterr());
  PT_CHECK(t.n_valid_raw == 14 && t.n_valid_qc == 14, "any: %lld %lld", (long long)t.n_valid_raw, (long long)t.n_valid_qc);
  PT_CHECK(isnan(t.lst[0]) && isnan(t.lst[11]) && t.lst[1] == (float)(15000 * 0.02), "values");
  PT_CHECK(!t.view_time, "no view-time SDS in the fixture");
  PT_NEAR(t.lst_min, 14000 * 0.02, 1e-4, 0);
  PT_NEAR(t.lst_max, 16003 * 0.02, 1e-4, 0);
  prc_modis_free(&t);
  /* lte2k drops QA 10/11 (pixel 7: 0x03) and error flags 10/11 (pixels 4: 0x81, 5: 0xC0) */
  PT_CHECK(!prc_modis_read(path, PRC_MODIS_NIGHT, PRC_MODIS_QC_LTE2K, &t), "%s", prc_lasterr());
  PT_CHECK(t.n_valid_qc == 11 && isnan(t.lst[4]) && isnan(t.lst[5]) && isnan(t.lst[7]) && !isnan(t.lst[3]) && !isnan(t.lst[6]),
           "lte2k: %lld", (long long)t.n_valid_qc);
  prc_modis_free(&t);
  /* strict also drops QA 01 (pixel 2, 3) and error flag 01 (pixel 6) */
  PT_CHECK(!prc_modis_read(path, PRC_MODIS_NIGHT, PRC_MODIS_QC_STRICT, &t), "%s", prc_lasterr());
  PT_CHECK(t.n_valid_qc == 8 && isnan(t.lst[2]) && isnan(t.lst[3]) && isnan(t.lst[6]) && !isnan(t.lst[1]), "strict: %lld",
           (long long)t.n_valid_qc);
  prc_modis_free(&t);
  prc_modis_qc q;
  PT_CHECK(prc_modis_qc_parse("lte3k", &q) && strstr(prc_lasterr(), "lte3k"), "%s", prc_lasterr());
}

/* read must fail and the message must contain every pattern */
static void expect_fail(const char *path, const char *p1, const char *p2)
{
  prc_modis_tile t;
  prc_clearerr();
  int rc = prc_modis_read(path, PRC_MODIS_NIGHT, PRC_MODIS_QC_LTE2K, &t);
  PT_CHECK(rc != 0, "'%s' accepted", path);
  if (rc == 0) prc_modis_free(&t);
  PT_CHECK(strstr(prc_lasterr(), path), "message does not name the file: %s", prc_lasterr());
  PT_CHECK(!p1 || strstr(prc_lasterr(), p1), "message lacks '%s': %s", p1, prc_lasterr());
  PT_CHECK(!p2 || strstr(prc_lasterr(), p2), "message lacks '%s': %s", p2, prc_lasterr());
  PT_CHECK(t.lst == NULL && t.view_time == NULL, "buffers left allocated");
}

static void test_malformed(void)
{
  char path[600];
  const struct {
    fx          f;
    const char *p1, *p2;
  } cases[] = {
    {{.name = "MOD11A1.A2019305.h14v09.nolst.hdf", .date = "2019-11-01", .no_lst = 1}, "no SDS LST_Night_1km", NULL},
    {{.name = "MOD11A1.A2019305.h14v09.rank1.hdf", .date = "2019-11-01", .lst_rank1 = 1}, "SDS LST_Night_1km has rank 1", NULL},
    {{.name = "MOD11A1.A2019305.h14v09.dims.hdf", .date = "2019-11-01", .lst_wrong_dims = 1}, "SDS LST_Night_1km", "4 x 3"},
    {{.name = "MOD11A1.A2019305.h14v09.float.hdf", .date = "2019-11-01", .lst_float = 1}, "SDS LST_Night_1km has number type",
     NULL},
    {{.name = "MOD11A1.A2019305.h14v09.noscale.hdf", .date = "2019-11-01", .no_scale = 1}, "LST_Night_1km has no scale_factor",
     NULL},
    {{.name = "MOD11A1.A2019305.h14v09.noqc.hdf", .date = "2019-11-01", .no_qc = 1}, "no SDS QC_Night", NULL},
    {{.name = "MOD11A1.h14v09.nodate.hdf", .date = "2019-11-01"}, "no date/tile", NULL},
    {{.name = "MOD11A1.A2019400.h14v09.hdf", .date = "2019-11-01"}, "A2019400 is not a valid", NULL},
    {{.name = "MOD11A1.A2019306.h14v09.mismatch.hdf", .date = "2019-11-01"}, "disagrees with CoreMetadata.0 RANGEBEGINNINGDATE",
     "2019-11-02"},
    {{.name = "MOD11A1.A2019305.h14v09.nocore.hdf", .date = NULL}, "no global attribute CoreMetadata.0", NULL},
    {{.name = "MOD11A1.A2019305.h14v09.baddate.hdf", .date = "2019-13-01"}, "RANGEBEGINNINGDATE \"2019-13-01\"", NULL},
    {{.name = "MOD11A1.A2019305.h14v09.nostruct.hdf", .date = "2019-11-01", .no_struct = 1},
     "no global attribute StructMetadata.0", NULL},
    {{.name = "MOD11A1.A2019305.h14v09.proj.hdf", .date = "2019-11-01", .proj = "GCTP_GEO"}, "Projection is 'GCTP_GEO'", NULL},
    {{.name = "MOD11A1.A2019305.h14v09.corner.hdf", .date = "2019-11-01", .ulx_shift = 5000}, "are not those of tile h14v09",
     NULL},
    {{.name = "MOD11A1.A2019305.h15v09.tile.hdf", .date = "2019-11-01"}, "are not those of tile h15v09", NULL},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    write_fixture(&cases[k].f, path, sizeof path);
    expect_fail(path, cases[k].p1, cases[k].p2);
  }
  /* not an HDF4 file, an empty file, a missing file */
  snprintf(path, sizeof path, "%s/MOD11A1.A2019305.h14v09.text.hdf", tmpdir);
  FILE *f = fopen(path, "w");
  fputs("this is not HDF\n", f);
  fclose(f);
  expect_fail(path, "is not an HDF4 file", NULL);
  snprintf(path, sizeof path, "%s/MOD11A1.A2019305.h14v09.empty.hdf", tmpdir);
  fclose(fopen(path, "w"));
  expect_fail(path, "is not an HDF4 file", NULL);
  snprintf(path, sizeof path, "%s/MOD11A1.A2019305.h14v09.missing.hdf", tmpdir);
  expect_fail(path, "cannot open", NULL);
  /* a truncated real file */
  if (have_real()) {
    snprintf(path, sizeof path, "%s/MOD11A1.A2019305.h14v09.trunc.hdf", tmpdir);
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "head -c 1000000 '%s' > '%s'", real_path, path);
    PT_CHECK(system(cmd) == 0, "%s", cmd);
    expect_fail(path, NULL, NULL);
    fprintf(stderr, "  truncated file: %s\n", prc_lasterr());
  }
}

static void test_odl(void)
{
  char        v[64];
  const char *odl = "OBJECT = X\n VALUE = 1\nEND_OBJECT = X\nOBJECT = RANGEBEGINNINGDATEX\n VALUE = \"no\"\nEND_OBJECT = "
                    "RANGEBEGINNINGDATEX\n  OBJECT                 = RANGEBEGINNINGDATE\n NUM_VAL = 1\n VALUE    =   "
                    "\"2019-11-01\"\n END_OBJECT = RANGEBEGINNINGDATE\n";
  PT_CHECK(!prc_modis_odl_value(odl, "RANGEBEGINNINGDATE", v, sizeof v) && !strcmp(v, "2019-11-01"), "%s", v);
  PT_CHECK(!prc_modis_odl_value(odl, "X", v, sizeof v) && !strcmp(v, "1"), "%s", v);
  PT_CHECK(prc_modis_odl_value(odl, "Y", v, sizeof v), "absent object found");
  PT_CHECK(prc_modis_odl_value("OBJECT = A\nEND_OBJECT = A\nOBJECT = B\n VALUE = 2\n", "A", v, sizeof v),
           "a VALUE of a later object taken");
}

int main(int argc, char **argv)
{
  pt_set_prog(argv[0]);
  snprintf(tmpdir, sizeof tmpdir, "/tmp/prc-modis-unit.XXXXXX");
  if (!mkdtemp(tmpdir)) return 2;
  PT_RUN(test_tile_constants);
  PT_RUN(test_round_trip);
  PT_RUN(test_odl);
  PT_RUN(test_real_tile);
  PT_RUN(test_real_tile_hdp);
  PT_RUN(test_fixture_values);
  PT_RUN(test_malformed);
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd)) fprintf(stderr, "could not remove %s\n", tmpdir);
  return pt_finish();
}

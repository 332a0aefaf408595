/* test_modis_mosaic.c — `precursor import-modis` builds a multi-day stack from several
 * tiles (the positive path that one real tile cannot exercise): generated HDF4 tiles
 * h14v09 and h15v09 on two dates, each tile uniform with its own value, given out of order;
 * the output must have the two dates sorted, and every pixel must hold the value of the
 * tile that contains it (decided independently here with the sinusoidal formulae). */
#include "ptest.h"

#include "precursor/sinusoidal.h"

#include <hdf5.h>
#include <stdint.h>
#include <unistd.h>
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <mfhdf.h>
#pragma GCC diagnostic pop

static char dir[64];

/* a 4 x 4 MOD11A1-like tile, every pixel raw value `raw`, QC good */
static int write_tile(int h, int v, const char *date, int doy, uint16 raw, char *path, size_t len)
{
  snprintf(path, len, "%s/MOD11A1.A2019%03d.h%02dv%02d.061.hdf", dir, doy, h, v);
  int32 sd = SDstart(path, DFACC_CREATE);
  if (sd == FAIL) return 1;
  char         core[512], sm[1024];
  prc_sin_grid g;
  snprintf(core, sizeof core,
           "GROUP = INVENTORYMETADATA\n  GROUP = RANGEDATETIME\n    OBJECT = RANGEBEGINNINGDATE\n      NUM_VAL = 1\n"
           "      VALUE = \"%s\"\n    END_OBJECT = RANGEBEGINNINGDATE\n  END_GROUP = RANGEDATETIME\nEND_GROUP\n",
           date);
  SDsetattr(sd, "CoreMetadata.0", DFNT_CHAR8, (int32)strlen(core), core);
  prc_sin_tile_grid(h, v, 4, &g);
  snprintf(sm, sizeof sm,
           "GROUP=GridStructure\n\tGROUP=GRID_1\n\t\tGridName=\"MODIS_Grid_Daily_1km_LST\"\n\t\tXDim=4\n\t\tYDim=4\n"
           "\t\tUpperLeftPointMtrs=(%.6f,%.6f)\n\t\tLowerRightMtrs=(%.6f,%.6f)\n\t\tProjection=GCTP_SNSOID\n"
           "\t\tProjParams=(6371007.181000,0,0,0,0,0,0,0,86400,0,0,0,0)\n\tEND_GROUP=GRID_1\nEND_GROUP=GridStructure\nEND\n",
           g.ulx, g.uly, g.lrx, g.lry);
  SDsetattr(sd, "StructMetadata.0", DFNT_CHAR8, (int32)strlen(sm), sm);
  uint16 lst[16];
  uint8  qc[16] = {0};
  int32  dims[2] = {4, 4}, start[2] = {0, 0};
  for (int i = 0; i < 16; i++) lst[i] = raw;
  int32  s = SDcreate(sd, "LST_Night_1km", DFNT_UINT16, 2, dims);
  double sc = 0.02;
  uint16 fv = 0, vr[2] = {7500, 65535};
  SDwritedata(s, start, NULL, dims, lst);
  SDsetattr(s, "scale_factor", DFNT_FLOAT64, 1, &sc);
  SDsetattr(s, "_FillValue", DFNT_UINT16, 1, &fv);
  SDsetattr(s, "valid_range", DFNT_UINT16, 2, vr);
  SDendaccess(s);
  s = SDcreate(sd, "QC_Night", DFNT_UINT8, 2, dims);
  SDwritedata(s, start, NULL, dims, qc);
  SDendaccess(s);
  return SDend(sd) == FAIL;
}

static void read_all(hid_t f, const char *name, double *v)
{
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
  H5Dclose(d);
}

static void test_two_tiles_two_days(void)
{
  char p[4][512], cmd[4096], out[600];
  /* day 306 given before day 305; tile h15 before h14 */
  PT_CHECK(!write_tile(15, 9, "2019-11-02", 306, 15100, p[0], sizeof p[0]), "cannot write %s", p[0]);
  PT_CHECK(!write_tile(14, 9, "2019-11-02", 306, 15300, p[1], sizeof p[1]), "cannot write %s", p[1]);
  PT_CHECK(!write_tile(15, 9, "2019-11-01", 305, 15000, p[2], sizeof p[2]), "cannot write %s", p[2]);
  PT_CHECK(!write_tile(14, 9, "2019-11-01", 305, 15200, p[3], sizeof p[3]), "cannot write %s", p[3]);
  snprintf(out, sizeof out, "%s/out", dir);
  snprintf(cmd, sizeof cmd,
           "%s -n 2 bin/precursor import-modis -modis_files %s,%s,%s,%s -modis_lat_min -9 -modis_lat_max -1 "
           "-modis_lon_min -33 -modis_lon_max -27 -modis_res_deg 0.5 -modis_qc any -modis_png false -quiet -out_dir %s "
           ">%s/log 2>&1",
           getenv("PRC_MPIRUN") ? getenv("PRC_MPIRUN") : "mpirun", p[0], p[1], p[2], p[3], out, dir);
  int rc = system(cmd);
  PT_CHECK(rc == 0, "import-modis failed (%d): see %s/log", rc, dir);
  if (rc) return;
  char path[700];
  snprintf(path, sizeof path, "%s/lst.h5", out);
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  PT_CHECK(f >= 0, "cannot open %s", path);
  if (f < 0) return;
  double lat[16], lon[12], tim[2];
  float  lst[2 * 16 * 12];
  hid_t  d = H5Dopen2(f, "lst", H5P_DEFAULT), s = H5Dget_space(d);
  hsize_t dims[3];
  H5Sget_simple_extent_dims(s, dims, NULL);
  PT_CHECK(dims[0] == 2 && dims[1] == 16 && dims[2] == 12, "shape %llu x %llu x %llu", (unsigned long long)dims[0],
           (unsigned long long)dims[1], (unsigned long long)dims[2]);
  if (dims[0] == 2 && dims[1] == 16 && dims[2] == 12) {
    H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, lst);
    read_all(f, "lat", lat);
    read_all(f, "lon", lon);
    read_all(f, "time", tim);
    PT_CHECK(tim[0] == 1572566400.0 && tim[1] == 1572652800.0, "times %.0f %.0f (2019-11-01, 2019-11-02 expected)", tim[0], tim[1]);
    int wrong = 0, n14 = 0, n15 = 0;
    for (int t = 0; t < 2; t++)
      for (int j = 0; j < 16; j++)
        for (int i = 0; i < 12; i++) {
          double x, y;
          prc_sin_fwd(6371007.181, lat[j], lon[i], &x, &y);
          prc_sin_grid g15;
          prc_sin_tile_grid(15, 9, 4, &g15);
          int   in15 = x >= g15.ulx; /* the region lies in v09; west of h15's edge is h14 */
          float want = (float)((in15 ? (t ? 15100 : 15000) : (t ? 15300 : 15200)) * 0.02);
          n14 += !in15, n15 += in15;
          if (lst[(t * 16 + j) * 12 + i] != want) wrong++;
        }
    PT_CHECK(n14 > 0 && n15 > 0, "the region does not straddle the tiles (%d / %d)", n14, n15);
    PT_CHECK(wrong == 0, "%d of %d pixels do not hold the value of the tile that contains them", wrong, 2 * 16 * 12);
  }
  H5Sclose(s), H5Dclose(d), H5Fclose(f);
}

int main(int argc, char **argv)
{
  pt_set_prog(argv[0]);
  snprintf(dir, sizeof dir, "/tmp/prc_mosaic_XXXXXX");
  if (!mkdtemp(dir)) return 1;
  if (access("bin/precursor", X_OK)) {
    printf("skip test_modis_mosaic/test_two_tiles_two_days: bin/precursor not built\n");
    return 0;
  }
  PT_RUN(test_two_tiles_two_days);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (!pt_finish()) { if (system(cmd)) {} }
  return pt_finish();
}

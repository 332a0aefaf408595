/* stage_import_modis.c — `precursor import-modis`: MODIS MOD11A1/MYD11A1 daily LST tiles
 * (HDF4-EOS) -> a regional grid stack lst.h5 (docs/DATA_MODEL.md "Regional grid").
 *
 * Orchestration only; the reader and the projection are kernels (src/io/read_modis.c,
 * src/io/sinusoidal.c). Steps:
 *  1. rank 0 expands -modis_files (comma-separated paths or glob patterns) and broadcasts;
 *     every rank parses the names (date, tile), sorts by (date, h, v) and finds the
 *     distinct dates -> one time step each at 00:00 UTC. Two files of one tile and date are
 *     an error (e.g. MOD and MYD mixed: import them separately).
 *  2. Target grid: a regular lat/lon grid over the region (-modis_lat/lon_min/max, default
 *     the tiles' bounding box) at -modis_res_deg, rows south -> north; or with
 *     -modis_native the tile's own 1200 x 1200 sinusoidal grid (rows flipped so that row 0
 *     is the southern row, as in every grid of the data model) with 2-D /lat, /lon.
 *     The grid is split into DMDA tiles (prc_grid_decomp_create).
 *  3. For each date: file k of the sorted list is read by rank k % size (whole files);
 *     each rank resamples its files onto a full-size target buffer (NaN where it has no
 *     data; nearest neighbour: a target pixel centre takes the value of the sinusoidal
 *     pixel containing it), packs it in the order of the ranks' DMDA tiles and one
 *     MPI_Reduce_scatter with a "take the non-NaN" operator delivers each rank its tile,
 *     written with one collective hyperslab. Tiles do not overlap and a (tile, date) is
 *     read once, so each target pixel has at most one contributor and the result does not
 *     depend on the number of ranks (bitwise).
 *     Memory: 3 full grids of float per rank (fine for regional grids: 1000 x 1000 px is
 *     12 MB); see docs/FORMATS.md for the better scheme for national grids.
 *  4. PNG quicklook per day (rank 0, from the committed file), summary line. */
#include <glob.h>
#include <math.h>
#include <string.h>

#include "precursor/decomp.h"
#include "precursor/error.h"
#include "precursor/h5io.h"
#include "precursor/plot.h"
#include "precursor/progress.h"
#include "precursor/read_modis.h"
#include "precursor/sinusoidal.h"
#include "precursor/stage.h"
#include "precursor/timeutil.h"

static const prc_opt_spec modis_opts[] = {
  {"modis_files", PRC_OPT_STRING, NULL, PRC_NO_RANGE,
   "MOD11A1/MYD11A1 HDF4 tiles: comma-separated paths or glob patterns (names PRODUCT.AYYYYDDD.hHHvVV...)"},
  {"modis_sds", PRC_OPT_STRING, "night", PRC_NO_RANGE, "which LST: night (LST_Night_1km) or day (LST_Day_1km)"},
  {"modis_qc", PRC_OPT_STRING, "lte2k", PRC_NO_RANGE,
   "QC filter: strict (good quality, error <= 1 K), lte2k (produced, error <= 2 K), any (every non-fill value)"},
  {"modis_lat_min", PRC_OPT_STRING, "tiles", PRC_NO_RANGE, "south edge of the region, degrees ('tiles': bounding box of the tiles)"},
  {"modis_lat_max", PRC_OPT_STRING, "tiles", PRC_NO_RANGE, "north edge of the region, degrees ('tiles': bounding box)"},
  {"modis_lon_min", PRC_OPT_STRING, "tiles", PRC_NO_RANGE, "west edge of the region, degrees ('tiles': bounding box)"},
  {"modis_lon_max", PRC_OPT_STRING, "tiles", PRC_NO_RANGE, "east edge of the region, degrees ('tiles': bounding box)"},
  {"modis_res_deg", PRC_OPT_REAL, "0.01", 1e-5, 10, "pixel size of the regular lat/lon grid, degrees"},
  {"modis_native", PRC_OPT_BOOL, "false", PRC_NO_RANGE,
   "write the tile on its native sinusoidal grid with 2-D /lat, /lon instead of resampling (one tile, any dates)"},
  {"modis_out", PRC_OPT_STRING, "lst.h5", PRC_NO_RANGE, "output file name in -out_dir"},
  {"modis_png", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "write a PNG quicklook per day (lst_YYYY-MM-DD.png)"},
};

static const char *region_names[4] = {"modis_lat_min", "modis_lat_max", "modis_lon_min", "modis_lon_max"};

/* Region option k: 1 and *v if a number, 0 if 'tiles', -1 if neither. */
static int region_value(const prc_opts *o, int k, double *v)
{
  const char *s = prc_opts_string(o, region_names[k]);
  char       *end;
  if (!strcmp(s, "tiles")) return 0;
  *v = strtod(s, &end);
  return *end || !isfinite(*v) ? -1 : 1;
}

static void modis_validate(prc_opts *o)
{
  const char  *sds = prc_opts_string(o, "modis_sds");
  prc_modis_qc q;
  double       r[4];
  int          have[4], nhave = 0;
  if (strcmp(sds, "night") && strcmp(sds, "day")) prc_opts_violation(o, "-modis_sds %s: expected night or day", sds);
  if (prc_modis_qc_parse(prc_opts_string(o, "modis_qc"), &q)) prc_opts_violation(o, "-modis_qc: %s", prc_lasterr());
  for (int k = 0; k < 4; k++) {
    have[k] = region_value(o, k, &r[k]);
    if (have[k] < 0) prc_opts_violation(o, "-%s %s: not a number or 'tiles'", region_names[k], prc_opts_string(o, region_names[k]));
    else if (have[k] && fabs(r[k]) > (k < 2 ? 90 : 180))
      prc_opts_violation(o, "-%s %g: out of range [%d, %d]", region_names[k], r[k], k < 2 ? -90 : -180, k < 2 ? 90 : 180);
    nhave += have[k] > 0;
  }
  if (have[0] > 0 && have[1] > 0 && r[0] >= r[1])
    prc_opts_violation(o, "-modis_lat_min %g must be below -modis_lat_max %g", r[0], r[1]);
  if (have[2] > 0 && have[3] > 0 && r[2] >= r[3])
    prc_opts_violation(o, "-modis_lon_min %g must be west of -modis_lon_max %g", r[2], r[3]);
  if (prc_opts_bool(o, "modis_native") && nhave)
    prc_opts_violation(o, "-modis_lat/lon_min/max do not apply with -modis_native true (the tile's own grid is written)");
  if (nhave == 4) {
    double res = prc_opts_real(o, "modis_res_deg"), n = ceil((r[1] - r[0]) / res - 1e-9) * ceil((r[3] - r[2]) / res - 1e-9);
    if (n > 5e8) prc_opts_violation(o, "the region is %.3g pixels at -modis_res_deg %g: at most 5e8", n, res);
  }
  const char *out = prc_opts_string(o, "modis_out");
  if (strchr(out, '/')) prc_opts_violation(o, "-modis_out %s: a file name inside -out_dir, without '/'", out);
}

/* ---------------------------------------------------------------------------------- */

typedef struct {
  char  *path;
  char   product[16];
  int    year, doy, h, v, date_idx;
  double date;
} mfile;

static int cmp_mfile(const void *a, const void *b)
{
  const mfile *x = a, *y = b;
  if (x->date != y->date) return x->date < y->date ? -1 : 1;
  if (x->h != y->h) return x->h - y->h;
  if (x->v != y->v) return x->v - y->v;
  return strcmp(x->path, y->path);
}

/* Rank 0 expands the list; every rank gets the same newline-separated string. */
static PetscErrorCode expand_files(prc_ctx *ctx, const char *spec, char **list)
{
  char  *buf = NULL;
  long   len = 0;
  char   bad[4096] = "";
  PetscFunctionBeginUser;
  if (!ctx->rank) {
    size_t cap = 1024, n = 0;
    char   tmp[8192];
    PetscCall(PetscMalloc1(cap, &buf));
    buf[0] = '\0';
    snprintf(tmp, sizeof tmp, "%s", spec);
    for (char *save = NULL, *tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
      glob_t g;
      int    rc = glob(tok, 0, NULL, &g);
      if (rc == GLOB_NOMATCH && !strpbrk(tok, "*?[")) { /* a plain path: the reader reports it */
        g.gl_pathc = 1;
      } else if (rc) {
        snprintf(bad, sizeof bad, "%s", tok);
        globfree(&g);
        break;
      }
      for (size_t k = 0; k < g.gl_pathc; k++) {
        const char *p = rc ? tok : g.gl_pathv[k];
        size_t      l = strlen(p);
        if (n + l + 2 > cap) {
          char *nb;
          PetscCall(PetscMalloc1(2 * (n + l + 2), &nb));
          memcpy(nb, buf, n + 1);
          PetscCall(PetscFree(buf));
          buf = nb, cap = 2 * (n + l + 2);
        }
        memcpy(buf + n, p, l), buf[n + l] = '\n', n += l + 1, buf[n] = '\0';
      }
      if (!rc) globfree(&g);
    }
    len = (long)n;
  }
  PetscCallMPI(MPI_Bcast(bad, sizeof bad, MPI_CHAR, 0, ctx->comm));
  PetscCheck(!bad[0], ctx->comm, PETSC_ERR_FILE_OPEN, "-modis_files: pattern '%s' matches no file", bad);
  PetscCallMPI(MPI_Bcast(&len, 1, MPI_LONG, 0, ctx->comm));
  if (ctx->rank) PetscCall(PetscMalloc1(len + 1, &buf));
  PetscCallMPI(MPI_Bcast(buf, (int)len + 1, MPI_CHAR, 0, ctx->comm));
  *list = buf;
  PetscFunctionReturn(0);
}

/* the non-NaN of the two (the smaller if both: never happens, tiles are disjoint) */
static void nan_merge(void *in, void *inout, int *len, MPI_Datatype *dt)
{
  const float *a = in;
  float       *b = inout;
  for (int i = 0; i < *len; i++)
    if (isnan(b[i]) || (!isnan(a[i]) && a[i] < b[i])) b[i] = a[i];
}

typedef struct {
  int       native, nx, ny, nt, nfiles, ndates;
  double    lat0, lon0, res;                /* regular grid: south-west corner, pixel size */
  mfile    *f;
  double   *dates;
  prc_modis_sds sds;
  prc_modis_qc  qc;
  prc_sin_grid  ngrid;                      /* native: the tile's grid */
} mrun;

static PetscErrorCode out_path(const char *dir, const char *name, char *buf, size_t len)
{
  PetscFunctionBeginUser;
  PetscCheck((size_t)snprintf(buf, len, "%s/%s", dir, name) < len, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "output path too long: %s/%s", dir, name);
  PetscFunctionReturn(0);
}

/* Put a tile read by this rank into the full target buffers (row-major, row 0 south). */
static void place_tile(const mrun *M, const prc_modis_tile *t, float *lst, float *vt, int64_t *covered)
{
  if (M->native) {
    for (int j = 0; j < M->ny; j++)
      for (int i = 0; i < M->nx; i++) {
        size_t s = (size_t)(M->ny - 1 - j) * M->nx + i, d = (size_t)j * M->nx + i;
        lst[d] = t->lst[s];
        vt[d] = t->view_time ? t->view_time[s] : NAN;
      }
    *covered += (int64_t)M->nx * M->ny;
    return;
  }
  double bb[4];
  prc_sin_grid_bbox(&t->meta.grid, bb);
  int j0 = (int)floor((bb[0] - M->lat0) / M->res) - 1, j1 = (int)ceil((bb[1] - M->lat0) / M->res) + 1;
  int i0 = (int)floor((bb[2] - M->lon0) / M->res) - 1, i1 = (int)ceil((bb[3] - M->lon0) / M->res) + 1;
  j0 = j0 < 0 ? 0 : j0, i0 = i0 < 0 ? 0 : i0, j1 = j1 > M->ny ? M->ny : j1, i1 = i1 > M->nx ? M->nx : i1;
  for (int j = j0; j < j1; j++) {
    double lat = M->lat0 + (j + 0.5) * M->res;
    for (int i = i0; i < i1; i++) {
      int r, c;
      if (prc_sin_pixel_of(&t->meta.grid, lat, M->lon0 + (i + 0.5) * M->res, &r, &c)) continue;
      size_t s = (size_t)r * t->nx + c, d = (size_t)j * M->nx + i;
      lst[d] = t->lst[s];
      vt[d] = t->view_time ? t->view_time[s] : NAN;
      (*covered)++;
    }
  }
}

static PetscErrorCode quicklooks(prc_ctx *ctx, const mrun *M, const char *dir, const char *path, int *ok)
{
  hsize_t stride = (hsize_t)PetscMax(1, (PetscMax(M->nx, M->ny) + 1023) / 1024);
  hsize_t qx = ((hsize_t)M->nx + stride - 1) / stride, qy = ((hsize_t)M->ny + stride - 1) / stride;
  float  *img;
  char    png[4096], title[256], d[32];
  PetscFunctionBeginUser;
  *ok = 1;
  PetscCall(PetscMalloc1(qx * qy, &img));
  hid_t fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  PetscCheck(fid >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot reopen '%s' for quicklooks", path);
  hid_t ds = H5Dopen2(fid, "lst", H5P_DEFAULT);
  for (int t = 0; t < M->nt && *ok; t++) {
    hid_t   fsp = H5Dget_space(ds);
    hsize_t st[3] = {(hsize_t)t, 0, 0}, sd[3] = {1, stride, stride}, ct[3] = {1, qy, qx};
    H5Sselect_hyperslab(fsp, H5S_SELECT_SET, st, sd, ct, NULL);
    hid_t  msp = H5Screate_simple(3, ct, NULL);
    herr_t e = H5Dread(ds, H5T_NATIVE_FLOAT, msp, fsp, H5P_DEFAULT, img);
    H5Sclose(msp), H5Sclose(fsp);
    PetscCheck(e >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "quicklook read of /lst from '%s' failed", path);
    prc_time_format(M->dates[t], d, sizeof d);
    d[10] = '\0';
    snprintf(title, sizeof title, "MODIS LST_%s %s%s (QC %s; grey: no data)", M->sds == PRC_MODIS_DAY ? "Day" : "Night", d,
             M->native ? " native sinusoidal" : "", M->qc == PRC_MODIS_QC_STRICT ? "strict" : M->qc == PRC_MODIS_QC_LTE2K ? "lte2k" : "any");
    prc_map_style ms = {.title = title, .cbar_label = "K", .cmap = PRC_CMAP_VIRIDIS};
    snprintf(png, sizeof png, "%s/lst_%s.png", dir, d);
    if (prc_plot_map_png(png, img, (int)qx, (int)qy, &ms)) *ok = 0;
  }
  H5Dclose(ds), H5Fclose(fid);
  PetscCall(PetscFree(img));
  if (!*ok) PetscCall(PetscPrintf(PETSC_COMM_SELF, "precursor import-modis: quicklook failed: %s\n", prc_lasterr()));
  PetscFunctionReturn(0);
}

static PetscErrorCode modis_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  mrun            M;
  char           *list = NULL, path[4096];
  const char     *dir = prc_opts_string(o, "out_dir");
  PetscFunctionBeginUser;
  memset(&M, 0, sizeof M);
  M.native = prc_opts_bool(o, "modis_native");
  M.sds = strcmp(prc_opts_string(o, "modis_sds"), "day") ? PRC_MODIS_NIGHT : PRC_MODIS_DAY;
  PrcCallK(prc_modis_qc_parse(prc_opts_string(o, "modis_qc"), &M.qc));
  M.res = prc_opts_real(o, "modis_res_deg");

  /* 1. files, dates */
  PetscCall(expand_files(ctx, prc_opts_string(o, "modis_files"), &list));
  for (char *p = list; *p; p++) M.nfiles += *p == '\n';
  PetscCheck(M.nfiles > 0, ctx->comm, PETSC_ERR_ARG_WRONG, "-modis_files: no file given");
  PetscCall(PetscCalloc2(M.nfiles, &M.f, M.nfiles, &M.dates));
  {
    int k = 0;
    for (char *save = NULL, *tok = strtok_r(list, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save), k++) {
      mfile *f = &M.f[k];
      f->path = tok;
      PetscCheck(!prc_modis_parse_name(tok, f->product, &f->year, &f->doy, &f->h, &f->v), ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
                 "%s", prc_lasterr());
      f->date = (double)(prc_days_from_civil(f->year, 1, 1) + f->doy - 1) * PRC_DAY;
    }
  }
  qsort(M.f, (size_t)M.nfiles, sizeof *M.f, cmp_mfile);
  for (int k = 0; k < M.nfiles; k++) {
    if (k && M.f[k].date == M.f[k - 1].date && M.f[k].h == M.f[k - 1].h && M.f[k].v == M.f[k - 1].v)
      SETERRQ(ctx->comm, PETSC_ERR_ARG_WRONG,
              "two files of tile h%02dv%02d for day A%04d%03d: '%s' and '%s' (import MOD11A1 and MYD11A1 separately)",
              M.f[k].h, M.f[k].v, M.f[k].year, M.f[k].doy, M.f[k - 1].path, M.f[k].path);
    if (!k || M.f[k].date != M.f[k - 1].date) M.dates[M.ndates++] = M.f[k].date;
    M.f[k].date_idx = M.ndates - 1;
    if (M.native)
      PetscCheck(M.f[k].h == M.f[0].h && M.f[k].v == M.f[0].v, ctx->comm, PETSC_ERR_ARG_WRONG,
                 "-modis_native true takes files of one tile; '%s' is h%02dv%02d, '%s' is h%02dv%02d", M.f[0].path, M.f[0].h,
                 M.f[0].v, M.f[k].path, M.f[k].h, M.f[k].v);
  }
  M.nt = M.ndates;

  /* 2. target grid */
  double bb[4] = {90, -90, 180, -180};
  if (M.native) {
    prc_modis_meta meta;
    PrcCallK(prc_modis_read_meta(M.f[0].path, &meta));
    M.ngrid = meta.grid;
    M.nx = meta.grid.nx, M.ny = meta.grid.ny;
  } else {
    for (int k = 0; k < M.nfiles; k++) {
      prc_sin_grid g;
      double       b[4];
      PrcCallK(prc_sin_tile_grid(M.f[k].h, M.f[k].v, 1200, &g));
      prc_sin_grid_bbox(&g, b);
      bb[0] = PetscMin(bb[0], b[0]), bb[1] = PetscMax(bb[1], b[1]), bb[2] = PetscMin(bb[2], b[2]), bb[3] = PetscMax(bb[3], b[3]);
    }
    double r[4];
    for (int k = 0; k < 4; k++)
      if (region_value(o, k, &r[k]) > 0) bb[k] = r[k];
    PetscCheck(bb[0] < bb[1] && bb[2] < bb[3], ctx->comm, PETSC_ERR_ARG_WRONG,
               "the region [%g, %g] x [%g, %g] (lat x lon; 'tiles' edges from the tiles' bounding box) is empty", bb[0], bb[1],
               bb[2], bb[3]);
    int nin = 0;
    for (int k = 0; k < M.nfiles; k++) {
      prc_sin_grid g;
      double       b[4];
      prc_sin_tile_grid(M.f[k].h, M.f[k].v, 1200, &g);
      prc_sin_grid_bbox(&g, b);
      if (b[0] < bb[1] && b[1] > bb[0] && b[2] < bb[3] && b[3] > bb[2]) nin++;
      else
        PetscCall(PetscPrintf(ctx->comm, "[import-modis] warning: tile h%02dv%02d of '%s' does not intersect the region; ignored\n",
                              M.f[k].h, M.f[k].v, M.f[k].path));
    }
    PetscCheck(nin > 0, ctx->comm, PETSC_ERR_ARG_WRONG,
               "the region [%g, %g] x [%g, %g] (lat x lon) is outside every one of the %d tiles of -modis_files", bb[0], bb[1],
               bb[2], bb[3], M.nfiles);
    M.lat0 = bb[0], M.lon0 = bb[2];
    M.ny = (int)ceil((bb[1] - bb[0]) / M.res - 1e-9), M.nx = (int)ceil((bb[3] - bb[2]) / M.res - 1e-9);
    PetscCheck((double)M.nx * M.ny <= 5e8, ctx->comm, PETSC_ERR_ARG_WRONG, "the region is %d x %d pixels: at most 5e8", M.nx,
               M.ny);
  }
  PetscCall(PetscPrintf(ctx->comm, "[import-modis] %d file(s), %d day(s), grid %d x %d %s, %d rank(s)\n", M.nfiles, M.nt, M.nx,
                        M.ny, M.native ? "(native sinusoidal)" : "(regular lat/lon)", ctx->size));
  for (int k = 0; k < M.nfiles; k++) PetscCall(prc_ctx_add_input(ctx, M.f[k].path));

  prc_grid_decomp G;
  PetscCall(prc_grid_decomp_create(ctx->comm, M.nx, M.ny, &G));
  const prc_tile *T = &G.tile;
  size_t          npix = (size_t)M.nx * M.ny, mine = (size_t)T->xm * T->ym;
  PetscInt       *all;
  PetscMPIInt    *counts;
  PetscCall(PetscMalloc2(4 * ctx->size, &all, ctx->size, &counts));
  PetscInt me4[4] = {T->xs, T->ys, T->xm, T->ym};
  PetscCallMPI(MPI_Allgather(me4, 4, MPIU_INT, all, 4, MPIU_INT, ctx->comm));
  for (int r = 0; r < ctx->size; r++) counts[r] = (PetscMPIInt)(all[4 * r + 2] * all[4 * r + 3]);

  /* 3. output file and axes */
  prc_h5out f;
  hid_t     dl, dv;
  PetscCall(out_path(dir, prc_opts_string(o, "modis_out"), path, sizeof path));
  PetscCall(prc_h5_create(ctx->comm, path, "grid", &f));
  PetscCall(prc_h5_write_col(ctx->comm, f.fid, "time", H5T_NATIVE_DOUBLE, (hsize_t)M.nt, M.dates));
  if (M.native) {
    double *la, *lo;
    PetscCall(PetscMalloc2(mine + 1, &la, mine + 1, &lo));
    for (PetscInt j = 0; j < T->ym; j++)
      for (PetscInt i = 0; i < T->xm; i++) {
        size_t d = (size_t)j * T->xm + i;
        if (prc_sin_pixel_centre(&M.ngrid, (int)(M.ny - 1 - (T->ys + j)), (int)(T->xs + i), &la[d], &lo[d])) la[d] = lo[d] = NAN;
      }
    hsize_t dims[2] = {(hsize_t)M.ny, (hsize_t)M.nx}, st[2] = {(hsize_t)T->ys, (hsize_t)T->xs}, ct[2] = {(hsize_t)T->ym, (hsize_t)T->xm};
    PetscCall(prc_h5_write_nd(f.fid, "lat", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, st, ct, la));
    PetscCall(prc_h5_write_nd(f.fid, "lon", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, st, ct, lo));
    PetscCall(PetscFree2(la, lo));
    char gm[256];
    snprintf(gm, sizeof gm, "MODIS sinusoidal tile h%02dv%02d (sphere R = %.3f m), rows south -> north; pixel centres in 2-D /lat, /lon",
             M.f[0].h, M.f[0].v, M.ngrid.R);
    PetscCall(prc_h5_attr_str(f.fid, "grid_mapping", gm));
    PetscCall(prc_h5_attr_double(f.fid, "res_km", (M.ngrid.lrx - M.ngrid.ulx) / M.nx / 1000));
    double corners[4] = {M.ngrid.ulx, M.ngrid.uly, M.ngrid.lrx, M.ngrid.lry};
    PetscCall(prc_h5_attr_doubles(f.fid, "sinusoidal_ul_lr_m", 4, corners));
  } else {
    double *la, *lo;
    PetscCall(PetscMalloc2(M.ny, &la, M.nx, &lo));
    for (int j = 0; j < M.ny; j++) la[j] = M.lat0 + (j + 0.5) * M.res;
    for (int i = 0; i < M.nx; i++) lo[i] = M.lon0 + (i + 0.5) * M.res;
    PetscCall(prc_h5_write_col(ctx->comm, f.fid, "lat", H5T_NATIVE_DOUBLE, (hsize_t)M.ny, la));
    PetscCall(prc_h5_write_col(ctx->comm, f.fid, "lon", H5T_NATIVE_DOUBLE, (hsize_t)M.nx, lo));
    PetscCall(PetscFree2(la, lo));
    PetscCall(prc_h5_attr_str(f.fid, "grid_mapping", "regular lat/lon, pixel centres in /lat, /lon"));
    PetscCall(prc_h5_attr_double(f.fid, "res_km", M.res * 111.195));
    PetscCall(prc_h5_attr_double(f.fid, "res_deg", M.res));
    PetscCall(prc_h5_attr_str(f.fid, "resampling", "nearest neighbour: the sinusoidal pixel containing the target pixel centre"));
  }
  PetscCall(prc_h5_attr_str(f.fid, "source", "MODIS MOD11A1/MYD11A1 daily LST (HDF4-EOS), precursor import-modis"));
  PetscCall(prc_h5_grid_create(f.fid, "lst", (hsize_t)M.nt, (hsize_t)M.ny, (hsize_t)M.nx, 366, "K", &dl));
  PetscCall(prc_h5_attr_str(dl, "long_name", M.sds == PRC_MODIS_DAY ? "MODIS daytime LST (LST_Day_1km)" : "MODIS nighttime LST (LST_Night_1km)"));
  PetscCall(prc_h5_attr_str(dl, "dims", "time,y,x"));
  PetscCall(prc_h5_attr_str(dl, "qc", prc_opts_string(o, "modis_qc")));
  PetscCall(prc_h5_attr_str(dl, "missing", "NaN = no data (fill, cloud, outside valid_range or rejected by QC, or no tile)"));
  PetscCall(prc_h5_grid_create(f.fid, "view_time", (hsize_t)M.nt, (hsize_t)M.ny, (hsize_t)M.nx, 366, "h", &dv));
  PetscCall(prc_h5_attr_str(dv, "long_name", "local solar time of the observation (MOD11A1 is a daily composite: /time is the day at 00:00 UTC, each pixel has its own view time)"));
  PetscCall(prc_h5_attr_str(dv, "dims", "time,y,x"));

  /* 4. per date: read own files, resample, merge onto the owners' tiles, write */
  MPI_Op   op;
  float   *full, *fullv, *pack, *tl;
  int64_t  st[3] = {0, 0, 0}, nvalid_out = 0, covered = 0; /* pixels, valid raw, valid QC (files read here) */
  double   lmin = INFINITY, lmax = -INFINITY;
  prc_progress prog;
  PetscCallMPI(MPI_Op_create(nan_merge, 1, &op));
  PetscCall(PetscMalloc4(npix, &full, npix, &fullv, npix, &pack, mine + 1, &tl));
  int64_t nmine = 0;
  for (int k = 0; k < M.nfiles; k++) nmine += k % ctx->size == ctx->rank;
  prc_progress_start(&prog, ctx->comm, "import-modis", "tiles", "files", (double)nmine, prc_opts_real(o, "progress_interval"),
                     prc_opts_bool(o, "quiet"));
  int64_t done = 0;
  for (int t = 0, k = 0; t < M.nt; t++) {
    for (size_t i = 0; i < npix; i++) full[i] = fullv[i] = NAN;
    for (; k < M.nfiles && M.f[k].date_idx == t; k++) {
      if (k % ctx->size != ctx->rank) continue;
      prc_modis_tile tile;
      PrcCallK(prc_modis_read(M.f[k].path, M.sds, M.qc, &tile));
      if (M.native)
        PetscCheck(tile.nx == M.nx && tile.ny == M.ny, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
                   "'%s': %d x %d pixels, but the first file '%s' has %d x %d", M.f[k].path, tile.nx, tile.ny, M.f[0].path, M.nx,
                   M.ny);
      st[0] += tile.n_pixels, st[1] += tile.n_valid_raw, st[2] += tile.n_valid_qc;
      if (tile.n_valid_qc) lmin = PetscMin(lmin, tile.lst_min), lmax = PetscMax(lmax, tile.lst_max);
      place_tile(&M, &tile, full, fullv, &covered);
      prc_modis_free(&tile);
      prc_progress_update(&prog, (double)++done);
    }
    for (int pass = 0; pass < 2; pass++) {
      const float *src = pass ? fullv : full;
      size_t       q = 0;
      for (int r = 0; r < ctx->size; r++)
        for (PetscInt j = all[4 * r + 1]; j < all[4 * r + 1] + all[4 * r + 3]; j++)
          for (PetscInt i = all[4 * r]; i < all[4 * r] + all[4 * r + 2]; i++) pack[q++] = src[(size_t)j * M.nx + i];
      PetscCallMPI(MPI_Reduce_scatter(pack, tl, counts, MPI_FLOAT, op, ctx->comm));
      if (!pass)
        for (size_t i = 0; i < mine; i++) nvalid_out += !isnan(tl[i]);
      PetscCall(prc_h5_tile_write(pass ? dv : dl, T, (hsize_t)t, 1, tl));
    }
  }
  prc_progress_end(&prog);
  PetscCallMPI(MPI_Op_free(&op));
  H5Dclose(dl), H5Dclose(dv);
  PetscCall(prc_h5_commit(&f, ctx));
  PetscCall(PetscFree4(full, fullv, pack, tl));
  PetscCall(PetscFree2(all, counts));
  PetscCall(prc_grid_decomp_destroy(&G));

  /* 5. summary, quicklooks */
  int64_t tot[5] = {st[0], st[1], st[2], nvalid_out, covered};
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, tot, 5, MPI_INT64_T, MPI_SUM, ctx->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &lmin, 1, MPI_DOUBLE, MPI_MIN, ctx->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &lmax, 1, MPI_DOUBLE, MPI_MAX, ctx->comm));
  char tiles[512] = "", d0[32], d1[32];
  for (int k = 0, n = 0; k < M.nfiles; k++) {
    int seen = 0;
    for (int j = 0; j < k; j++) seen |= M.f[j].h == M.f[k].h && M.f[j].v == M.f[k].v;
    if (!seen && strlen(tiles) < sizeof tiles - 16) snprintf(tiles + strlen(tiles), sizeof tiles - strlen(tiles), "%sh%02dv%02d", n++ ? " " : "", M.f[k].h, M.f[k].v);
  }
  prc_time_format(M.dates[0], d0, sizeof d0), prc_time_format(M.dates[M.nt - 1], d1, sizeof d1);
  d0[10] = d1[10] = '\0';
  PetscCall(PetscPrintf(ctx->comm,
                        "[import-modis] %d file(s), %d day(s) %s .. %s, tiles %s; LST_%s valid before QC %.4f, after QC (%s) "
                        "%.4f of %lld tile pixels; LST %.2f .. %.2f K\n",
                        M.nfiles, M.nt, d0, d1, tiles, M.sds == PRC_MODIS_DAY ? "Day" : "Night",
                        tot[0] ? (double)tot[1] / (double)tot[0] : 0.0, prc_opts_string(o, "modis_qc"),
                        tot[0] ? (double)tot[2] / (double)tot[0] : 0.0, (long long)tot[0], lmin, lmax));
  PetscCall(PetscPrintf(ctx->comm,
                        "[import-modis] output grid %d x %d x %d days: %.4f of pixel-days covered by a tile, %.4f valid; wrote %s\n",
                        M.nx, M.ny, M.nt, (double)tot[4] / ((double)npix * M.nt), (double)tot[3] / ((double)npix * M.nt), path));
  if (!M.native && tot[4] == 0)
    PetscCall(PetscPrintf(ctx->comm, "[import-modis] warning: no pixel of the region lies inside any tile: the grid is all NaN\n"));
  int ok = 1;
  if (prc_opts_bool(o, "modis_png") && !ctx->rank) PetscCall(quicklooks(ctx, &M, dir, path, &ok));
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, ctx->comm));
  PetscCheck(ok, ctx->comm, PETSC_ERR_FILE_WRITE, "writing the PNG quicklooks in '%s' failed (see above)", dir);
  PetscCall(PetscFree2(M.f, M.dates));
  PetscCall(PetscFree(list));
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_import_modis = {"import-modis", "import MODIS MOD11A1/MYD11A1 daily LST tiles (HDF4) into a grid stack",
                                          modis_opts, (int)(sizeof modis_opts / sizeof modis_opts[0]), modis_validate,
                                          modis_run};

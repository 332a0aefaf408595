/* test_h5io.c — MPI tests of the parallel HDF5 layer (src/io/h5io.c), the DMDA tile
 * decomposition (src/par/decomp.c) and the catalog table (src/io/catalog_h5.c).
 *
 * Run on 1, 2, 3 and 4 ranks. Every file goes into one folder per run (rank 0 makes it
 * with mkdtemp under /tmp and broadcasts the name; removed at the end).
 *
 * Oracles and tolerances:
 *  - float32 grids are written with one decomposition and read back with another; every
 *    value must come back bit for bit (NaN as NaN; ±inf as NaN, as the reader documents).
 *    The field has both signs, a -0.0 and a subnormal, so any conversion would show.
 *  - scaled int16 data (MODIS-like) must equal (float)(raw * scale_factor + add_offset)
 *    to rtol 1e-6 (the reader does exactly this in double then rounds to float; 1e-6 is
 *    ~8 float ulps, a wrong scale/offset/fill is an O(1) error), NaN where raw == _FillValue.
 *  - n-D blocks, columns and catalogs are compared exactly.
 *  - Expected errors: the code must be non-zero on every rank (so nobody is left in a
 *    collective) and the message must name the file (and the dataset/column if any).
 * Error paths that raise on one rank only when the ranks disagree (a block or tile out of
 * range on one rank of prc_h5_read_nd / prc_h5_tile_read, a file visible to some ranks
 * only in prc_h5_open) would leave the other ranks in a collective, so they are
 * deliberately not exercised: every error case here is one all ranks see alike.
 * PRC_KEEP_TMP=1 keeps the folder for inspection. */
#define PT_MPI
#include "ptest.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "precursor/catalog.h"
#include "precursor/decomp.h"
#include "precursor/h5io.h"
#include "precursor/options.h"
#include "precursor/stage.h"
#include "precursor/timeutil.h"

#define NT 13
#define NY 29
#define NX 37

static PetscMPIInt g_rank, g_size;
static char        g_dir[256];    /* this run's folder */
static prc_opts    g_opts;        /* common options as loaded by prc_opts_load */
static prc_ctx     g_ctx;         /* comm, rank, size, stage "test", g_opts, start time */
static char        g_msg[4096];   /* message of the last error caught by capture() */

/* ---- helpers --------------------------------------------------------------------------- */

static void tpath(char *buf, size_t len, const char *name) { snprintf(buf, len, "%s/%s", g_dir, name); }

static int file_exists(const char *p)
{
  struct stat st;
  return stat(p, &st) == 0;
}

/* 1 if v is true on every rank of PETSC_COMM_WORLD */
static int all_ranks(int v)
{
  int r = 0;
  MPI_Allreduce(&v, &r, 1, MPI_INT, MPI_MIN, PETSC_COMM_WORLD);
  return r;
}

static PetscErrorCode capture(MPI_Comm comm, int line, const char *fun, const char *file, PetscErrorCode n,
                              PetscErrorType p, const char *mess, void *ctx)
{
  if (p == PETSC_ERROR_INITIAL) snprintf(g_msg, sizeof g_msg, "%s", mess ? mess : "");
  return n;
}

static void expect_failed(PetscErrorCode e, const char *what, const char *needle, int line)
{
  int all = all_ranks(e != 0);
  PT_CHECK(all, "line %d: %s: expected an error on every rank; this rank returned %d", line, what, (int)e);
  if (e && g_rank == 0) printf("#   expected error: %s\n", g_msg);
  if (e && needle)
    PT_CHECK(strstr(g_msg, needle) != NULL, "line %d: %s: message \"%s\" does not name \"%s\"", line, what, g_msg,
             needle);
}

/* Run `call` (a PetscErrorCode expression) expecting an error on every rank whose message
 * contains `needle` (if not NULL). Only for use inside PetscErrorCode functions. */
#define EXPECT_FAIL(call, needle)                                                            \
  do {                                                                                       \
    g_msg[0] = '\0';                                                                         \
    PetscCall(PetscPushErrorHandler(capture, NULL));                                         \
    PetscErrorCode e_ = (call);                                                              \
    PetscCall(PetscPopErrorHandler());                                                       \
    expect_failed(e_, #call, needle, __LINE__);                                              \
  } while (0)

/* A test whose body is a PetscErrorCode function: an unexpected error fails the test. */
#define RUN_BODY(fn)                                                                         \
  do {                                                                                       \
    PetscErrorCode e_ = fn();                                                                \
    PT_CHECK(e_ == 0, "%s returned PETSc error %d (trace above)", #fn, (int)e_);             \
  } while (0)

static int same_float(float a, float b)
{
  uint32_t ua, ub;
  if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
  memcpy(&ua, &a, sizeof ua);
  memcpy(&ub, &b, sizeof ub);
  return ua == ub;
}

/* Read a fixed-string attribute that must exist; "" (and a failed check) if absent. */
static PetscErrorCode get_str(hid_t loc, const char *name, char *buf, size_t len)
{
  int found = 0;
  PetscFunctionBeginUser;
  PetscCall(prc_h5_attr_get_str(loc, name, buf, len, &found));
  PT_CHECK(found, "attribute '%s' missing", name);
  PetscFunctionReturn(0);
}

static PetscErrorCode get_double(hid_t loc, const char *name, double *v)
{
  int found = 0;
  PetscFunctionBeginUser;
  *v = NAN;
  PetscCall(prc_h5_attr_get_double(loc, name, v, &found));
  PT_CHECK(found, "attribute '%s' missing", name);
  PetscFunctionReturn(0);
}

/* Rank 0 writes `text` to `path`; everybody waits for it. */
static PetscErrorCode write_text(const char *path, const char *text)
{
  PetscFunctionBeginUser;
  if (!g_rank) {
    FILE *fp = fopen(path, "w");
    PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot write '%s'", path);
    fputs(text, fp);
    fclose(fp);
  }
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  PetscFunctionReturn(0);
}

static void rm_rf(const char *path)
{
  struct stat st;
  if (lstat(path, &st)) return;
  if (S_ISDIR(st.st_mode)) {
    DIR           *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      char sub[4096];
      snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
      rm_rf(sub);
    }
    if (d) closedir(d);
    rmdir(path);
  } else unlink(path);
}

/* Number of entries of folder `dir` whose name starts with `prefix`. */
static int count_prefixed(const char *dir, const char *prefix)
{
  DIR           *d = opendir(dir);
  struct dirent *e;
  int            n = 0;
  while (d && (e = readdir(d)))
    if (!strncmp(e->d_name, prefix, strlen(prefix))) n++;
  if (d) closedir(d);
  return n;
}

/* ---- the test fields ---------------------------------------------------------------------- */

/* f(t, y, x) written to the (time, y, x) grid: both signs, NaN on a sparse pattern, a -0.0,
 * a subnormal and one +inf. */
static float fval(int t, int y, int x)
{
  if ((t * 7 + y * 3 + x) % 11 == 0) return NAN;
  if (t == 1 && y == 2 && x == 4) return -0.0f;
  if (t == 2 && y == 1 && x == 1) return 1e-40f;
  if (t == 3 && y == 4 && x == 5) return INFINITY;
  return (float)(t * 10000 + y * 100 + x) * 0.37f - 3000.0f;
}
/* What prc_h5_tile_read must return for it: non-finite becomes NaN. */
static float want3(int t, int y, int x)
{
  float v = fval(t, y, x);
  return isfinite(v) ? v : NAN;
}
/* The rank-2 field g(y, x). */
static float want2(int t, int y, int x) { return (y * x) % 7 == 3 ? NAN : (float)(y * NX + x) / 8.0f - 50.0f; }
/* "partial" has only time steps [0, 5) written: the rest is the NaN fill value. */
static float want_partial(int t, int y, int x) { return t < 5 ? want3(t, y, x) : NAN; }

/* buf (nt, ym, xm) of tile tl for time steps [t0, t0+nt) of field `f` */
static void fill_tile(float *buf, const prc_tile *tl, int t0, int nt, float (*f)(int, int, int))
{
  for (int t = 0; t < nt; t++)
    for (PetscInt j = 0; j < tl->ym; j++)
      for (PetscInt i = 0; i < tl->xm; i++)
        buf[((size_t)t * (size_t)tl->ym + (size_t)j) * (size_t)tl->xm + (size_t)i] =
          f(t0 + t, (int)(tl->ys + j), (int)(tl->xs + i));
}

/* Compare buf (nt, ym, xm) with want(t0 + t, y, x) bit for bit; one failed check per call. */
static void check_tile(const float *buf, const prc_tile *tl, int t0, int nt, float (*want)(int, int, int),
                       const char *what)
{
  long bad = 0, total = (long)nt * (long)tl->ym * (long)tl->xm;
  for (int t = 0; t < nt; t++)
    for (PetscInt j = 0; j < tl->ym; j++)
      for (PetscInt i = 0; i < tl->xm; i++) {
        float got = buf[((size_t)t * (size_t)tl->ym + (size_t)j) * (size_t)tl->xm + (size_t)i];
        float w   = want(t0 + t, (int)(tl->ys + j), (int)(tl->xs + i));
        if (!same_float(got, w)) {
          if (!bad)
            fprintf(stderr, "  [rank %d] %s: first difference at (t=%d, y=%d, x=%d): read %a, expected %a\n", g_rank,
                    what, t0 + t, (int)(tl->ys + j), (int)(tl->xs + i), (double)got, (double)w);
          bad++;
        }
      }
  PT_CHECK(bad == 0, "%s: %ld of %ld values differ", what, bad, total);
}

/* ---- decomposition ------------------------------------------------------------------------- */

/* Tiles of an nx x ny grid: disjoint, covering every pixel once, consistent with nx, ny and
 * the process grid. Grids with fewer columns and rows than ranks may be refused by DMDA,
 * but then on every rank, with a message. */
static PetscErrorCode decomp_case(PetscInt nx, PetscInt ny)
{
  prc_grid_decomp g;
  PetscErrorCode  e;
  int             may_fail = nx < g_size && ny < g_size;
  PetscFunctionBeginUser;
  memset(&g, 0, sizeof g);
  if (may_fail) {
    g_msg[0] = '\0';
    PetscCall(PetscPushErrorHandler(capture, NULL));
    e = prc_grid_decomp_create(PETSC_COMM_WORLD, nx, ny, &g);
    PetscCall(PetscPopErrorHandler());
    int all = all_ranks(e != 0), none = all_ranks(e == 0);
    PT_CHECK(all || none, "%dx%d on %d ranks: prc_grid_decomp_create failed on some ranks only (here %d)", (int)nx,
             (int)ny, g_size, (int)e);
    if (e) {
      PT_CHECK(g_msg[0], "%dx%d: error without a message", (int)nx, (int)ny);
      if (!g_rank) printf("#   %dx%d on %d ranks refused by DMDA: %s\n", (int)nx, (int)ny, g_size, g_msg);
      if (g.da) PetscCall(prc_grid_decomp_destroy(&g));
      PetscFunctionReturn(0);
    }
  } else PetscCall(prc_grid_decomp_create(PETSC_COMM_WORLD, nx, ny, &g));

  const prc_tile *tl = &g.tile;
  PT_CHECK(tl->nx == nx && tl->ny == ny, "%dx%d: tile says grid %dx%d", (int)nx, (int)ny, (int)tl->nx, (int)tl->ny);
  PT_CHECK(g.px * g.py == g_size, "%dx%d: process grid %dx%d for %d ranks", (int)nx, (int)ny, (int)g.px, (int)g.py,
           g_size);
  PetscInt pmin[2] = {g.px, g.py}, pmax[2] = {g.px, g.py};
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, pmin, 2, MPIU_INT, MPI_MIN, PETSC_COMM_WORLD));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, pmax, 2, MPIU_INT, MPI_MAX, PETSC_COMM_WORLD));
  PT_CHECK(pmin[0] == pmax[0] && pmin[1] == pmax[1], "%dx%d: ranks disagree on the process grid", (int)nx, (int)ny);

  PetscInt  mine[4] = {tl->xs, tl->ys, tl->xm, tl->ym}, *all;
  int      *count;
  PetscCall(PetscMalloc1(4 * (size_t)g_size, &all));
  PetscCall(PetscCalloc1((size_t)(nx * ny), &count));
  PetscCallMPI(MPI_Allgather(mine, 4, MPIU_INT, all, 4, MPIU_INT, PETSC_COMM_WORLD));
  long outside = 0, empty = 0;
  for (int r = 0; r < g_size; r++) {
    PetscInt xs = all[4 * r], ys = all[4 * r + 1], xm = all[4 * r + 2], ym = all[4 * r + 3];
    if (xm <= 0 || ym <= 0) empty++;
    if (xs < 0 || ys < 0 || xm < 0 || ym < 0 || xs + xm > nx || ys + ym > ny) {
      outside++;
      continue;
    }
    for (PetscInt j = ys; j < ys + ym; j++)
      for (PetscInt i = xs; i < xs + xm; i++) count[j * nx + i]++;
  }
  long not_once = 0;
  for (PetscInt k = 0; k < nx * ny; k++) not_once += count[k] != 1;
  PT_CHECK(outside == 0, "%dx%d: %ld tiles reach outside the grid", (int)nx, (int)ny, outside);
  PT_CHECK(empty == 0, "%dx%d: %ld ranks got an empty tile", (int)nx, (int)ny, empty);
  PT_CHECK(not_once == 0, "%dx%d on %d ranks: %ld pixels covered 0 or >1 times", (int)nx, (int)ny, g_size, not_once);
  PetscCall(PetscFree(all));
  PetscCall(PetscFree(count));
  PetscCall(prc_grid_decomp_destroy(&g));
  PT_CHECK(g.da == NULL, "DM not reset by destroy");
  PetscFunctionReturn(0);
}

static PetscErrorCode decomp_body(void)
{
  const PetscInt grids[][2] = {{NX, NY}, {5, 3}, {1, 7}, {1, 1}, {3, 1}};
  PetscFunctionBeginUser;
  for (size_t k = 0; k < sizeof grids / sizeof grids[0]; k++) PetscCall(decomp_case(grids[k][0], grids[k][1]));
  PetscFunctionReturn(0);
}
static void test_decomp_tiles_cover_grid(void) { RUN_BODY(decomp_body); }

/* ---- grid round trip --------------------------------------------------------------------- */

static PetscErrorCode grid_roundtrip_body(void)
{
  prc_grid_decomp g;
  prc_h5out       f;
  hid_t           d3, d2, dp, fid;
  char            path[512], s[256];
  float          *buf, *rb;
  int64_t         st, ct;
  PetscFunctionBeginUser;
  tpath(path, sizeof path, "a/b/c/grid.h5"); /* nested folders, made by prc_h5_create */
  PetscCall(prc_grid_decomp_create(PETSC_COMM_WORLD, NX, NY, &g));
  const prc_tile *tl = &g.tile;
  PetscCall(prc_h5_create(PETSC_COMM_WORLD, path, "grid", &f));
  PetscCall(prc_h5_grid_create(f.fid, "lst", NT, NY, NX, 5, "K", &d3));
  PetscCall(prc_h5_grid_create(f.fid, "elev", 0, NY, NX, 5, "m", &d2));
  PetscCall(prc_h5_grid_create(f.fid, "partial", NT, NY, NX, 5, "K", &dp));

  /* chunking as documented: (min(nt,tchunk), min(ny,32), min(nx,32)) */
  hsize_t cd[3] = {0, 0, 0};
  hid_t   pl = H5Dget_create_plist(d3);
  int     cr = H5Pget_chunk(pl, 3, cd);
  H5Pclose(pl);
  PT_CHECK(cr == 3 && cd[0] == 5 && cd[1] == NY && cd[2] == 32, "lst chunks rank %d (%llu, %llu, %llu), expected (5, 29, 32)",
           cr, (unsigned long long)cd[0], (unsigned long long)cd[1], (unsigned long long)cd[2]);
  pl = H5Dget_create_plist(d2);
  cr = H5Pget_chunk(pl, 3, cd);
  H5Pclose(pl);
  PT_CHECK(cr == 2 && cd[0] == NY && cd[1] == 32, "elev chunks rank %d (%llu, %llu), expected (29, 32)", cr,
           (unsigned long long)cd[0], (unsigned long long)cd[1]);

  /* write lst in two time blocks, partial only the first, elev (rank 2: t0, nt ignored) */
  size_t per = (size_t)tl->xm * (size_t)tl->ym;
  PetscCall(PetscMalloc1(NT * per + 1, &buf));
  const int blocks[2][2] = {{0, 5}, {5, NT}};
  for (int b = 0; b < 2; b++) {
    int t0 = blocks[b][0], nb = blocks[b][1] - blocks[b][0];
    fill_tile(buf, tl, t0, nb, fval);
    PetscCall(prc_h5_tile_write(d3, tl, (hsize_t)t0, (hsize_t)nb, buf));
    if (!b) PetscCall(prc_h5_tile_write(dp, tl, (hsize_t)t0, (hsize_t)nb, buf));
  }
  fill_tile(buf, tl, 0, 1, want2);
  PetscCall(prc_h5_tile_write(d2, tl, 3, 2, buf));
  PetscCall(get_str(d3, "units", s, sizeof s));
  PT_CHECK(!strcmp(s, "K"), "lst units '%s'", s);
  PetscCall(get_str(d3, "dims", s, sizeof s));
  PT_CHECK(!strcmp(s, "time,y,x"), "lst dims attribute '%s'", s);
  PetscCall(get_str(d2, "dims", s, sizeof s));
  PT_CHECK(!strcmp(s, "y,x"), "elev dims attribute '%s'", s);
  H5Dclose(dp), H5Dclose(d2), H5Dclose(d3);
  PetscCall(PetscFree(buf));

  PT_CHECK(all_ranks(!file_exists(path) && file_exists(f.tmp)), "before commit: '%s' exists %d, '%s' exists %d", path,
           file_exists(path), f.tmp, file_exists(f.tmp));
  PetscCall(prc_h5_commit(&f, &g_ctx));

  /* read back with other decompositions */
  PetscCall(prc_h5_open(PETSC_COMM_WORLD, path, &fid));
  d3 = H5Dopen2(fid, "lst", H5P_DEFAULT);
  PetscCheck(d3 >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "no lst in %s", path);
  prc_partition_1d(NY, g_size, g_rank, &st, &ct); /* whole rows, all time steps */
  prc_tile band = {0, (PetscInt)st, NX, (PetscInt)ct, NX, NY};
  PetscCall(PetscMalloc1((size_t)NT * NX * NY + 1, &rb));
  PetscCall(prc_h5_tile_read(d3, &band, 0, NT, rb));
  check_tile(rb, &band, 0, NT, want3, "lst, row band, t 0..13");
  prc_partition_1d(NX, g_size, g_size - 1 - g_rank, &st, &ct); /* whole columns, t 4..10 */
  prc_tile cols = {(PetscInt)st, 0, (PetscInt)ct, NY, NX, NY};
  PetscCall(prc_h5_tile_read(d3, &cols, 4, 6, rb));
  check_tile(rb, &cols, 4, 6, want3, "lst, column band, t 4..10");
  prc_tile full = {0, 0, NX, NY, NX, NY};
  PetscCall(prc_h5_tile_read(d3, &full, 12, 1, rb));
  check_tile(rb, &full, 12, 1, want3, "lst, full grid, t 12");
  /* the file itself holds the +inf that the reader maps to NaN */
  float   vinf = 0;
  hsize_t pst[3] = {3, 4, 5}, pct[3] = {1, 1, 1};
  PetscCall(prc_h5_read_nd(fid, "lst", H5T_NATIVE_FLOAT, pst, pct, &vinf));
  PT_CHECK(isinf(vinf) && vinf > 0, "lst[3,4,5] in the file is %g, +inf was written", (double)vinf);
  H5Dclose(d3);

  d2 = H5Dopen2(fid, "elev", H5P_DEFAULT);
  PetscCall(prc_h5_tile_read(d2, &full, 0, 0, rb)); /* whole grid on every rank */
  check_tile(rb, &full, 0, 1, want2, "elev, full grid on every rank");
  prc_tile nothing = {0, 0, 0, 0, NX, NY}; /* rank 0 whole grid, the others an empty tile */
  if (!g_rank) PetscCall(prc_h5_tile_read(d2, &full, 0, 0, rb));
  else PetscCall(prc_h5_tile_read(d2, &nothing, 0, 0, NULL));
  if (!g_rank) check_tile(rb, &full, 0, 1, want2, "elev, full grid on rank 0 only");
  H5Dclose(d2);

  dp = H5Dopen2(fid, "partial", H5P_DEFAULT);
  PetscCall(prc_h5_tile_read(dp, &band, 0, NT, rb));
  check_tile(rb, &band, 0, NT, want_partial, "partial (t >= 5 never written = NaN fill)");
  H5Dclose(dp);
  PetscCall(prc_h5_close(fid));
  PetscCall(PetscFree(rb));
  PetscCall(prc_grid_decomp_destroy(&g));
  PetscFunctionReturn(0);
}
static void test_grid_roundtrip(void) { RUN_BODY(grid_roundtrip_body); }

/* ---- atomic outputs ------------------------------------------------------------------------ */

static PetscErrorCode atomic_body(void)
{
  prc_h5out f;
  hid_t     fid;
  char      dir[512], path[600], prefix[64], t0[sizeof f.tmp];
  double    gen = 0;
  PetscFunctionBeginUser;
  tpath(dir, sizeof dir, "atomic");
  snprintf(path, sizeof path, "%s/out.h5", dir);
  snprintf(prefix, sizeof prefix, "out.h5.tmp-");

  PetscCall(prc_h5_create(PETSC_COMM_WORLD, path, "grid", &f));
  PetscCall(prc_h5_attr_int(f.fid, "generation", 1));
  size_t lp = strlen(path);
  int    well_named = !strncmp(f.tmp, path, lp) && !strncmp(f.tmp + lp, ".tmp-", 5) && f.tmp[lp + 5];
  for (const char *p = f.tmp + lp + 5; well_named && *p; p++) well_named = *p >= '0' && *p <= '9';
  PT_CHECK(well_named, "temporary name '%s' is not '%s.tmp-<id>'", f.tmp, path);
  memcpy(t0, f.tmp, sizeof t0);
  PetscCallMPI(MPI_Bcast(t0, (int)sizeof t0, MPI_CHAR, 0, PETSC_COMM_WORLD));
  PT_CHECK(!strcmp(t0, f.tmp), "ranks disagree on the temporary name: '%s' here, '%s' on rank 0", f.tmp, t0);
  PT_CHECK(!strcmp(f.path, path), "f.path '%s'", f.path);
  PT_CHECK(all_ranks(file_exists(f.tmp) && !file_exists(path)), "before commit: '%s' exists %d, '%s' exists %d", f.tmp,
           file_exists(f.tmp), path, file_exists(path));
  snprintf(t0, sizeof t0, "%s", f.tmp);
  PetscCall(prc_h5_commit(&f, &g_ctx));
  PT_CHECK(all_ranks(file_exists(path) && !file_exists(t0)), "after commit: '%s' exists %d, '%s' exists %d", path,
           file_exists(path), t0, file_exists(t0));
  PT_CHECK(count_prefixed(dir, prefix) == 0, "after commit %d '%s*' files remain in %s", count_prefixed(dir, prefix),
           prefix, dir);

  /* a second output of the same name: the first stays intact until the commit replaces it */
  PetscCall(prc_h5_create(PETSC_COMM_WORLD, path, "grid", &f));
  PetscCall(prc_h5_attr_int(f.fid, "generation", 2));
  PT_CHECK(all_ranks(file_exists(f.tmp)), "second create: '%s' missing", f.tmp);
  PetscCall(prc_h5_open(PETSC_COMM_WORLD, path, &fid));
  PetscCall(get_double(fid, "generation", &gen));
  PetscCall(prc_h5_close(fid));
  PT_CHECK(gen == 1, "before the second commit '%s' has generation %g, expected the old 1", path, gen);
  snprintf(t0, sizeof t0, "%s", f.tmp);
  PetscCall(prc_h5_commit(&f, &g_ctx));
  PetscCall(prc_h5_open(PETSC_COMM_WORLD, path, &fid));
  PetscCall(get_double(fid, "generation", &gen));
  PetscCall(prc_h5_close(fid));
  PT_CHECK(gen == 2, "after the second commit '%s' has generation %g, expected 2", path, gen);
  PT_CHECK(all_ranks(!file_exists(t0)) && count_prefixed(dir, prefix) == 0, "after the second commit '%s*' files remain",
           prefix);
  PetscFunctionReturn(0);
}
static void test_atomic_commit(void) { RUN_BODY(atomic_body); }

/* ---- provenance --------------------------------------------------------------------------- */

static PetscErrorCode provenance_body(void)
{
  prc_h5out f;
  hid_t     fid, g;
  char      path[512], inp[512], s[8192], want[1024], t0[32], host[256] = "";
  char     *dump = NULL;
  double    v = 0;
  prc_ctx   ctx = g_ctx;
  PetscFunctionBeginUser;
  tpath(path, sizeof path, "prov/p.h5");
  tpath(inp, sizeof inp, "prov_input.txt");
  PetscCall(write_text(inp, "hello\n"));
  ctx.inputs = NULL;
  PetscCall(prc_ctx_add_input(&ctx, inp));
  PetscCall(prc_h5_create(PETSC_COMM_WORLD, path, "stations", &f));
  PetscCall(prc_h5_commit(&f, &ctx));
  double after = prc_time_now();
  PetscCallMPI(MPI_Bcast(&after, 1, MPI_DOUBLE, 0, PETSC_COMM_WORLD));
  free(ctx.inputs);

  PetscCall(prc_h5_open(PETSC_COMM_WORLD, path, &fid));
  PetscCall(get_str(fid, "precursor_kind", s, sizeof s));
  PT_CHECK(!strcmp(s, "stations"), "precursor_kind '%s'", s);
  PetscCall(get_double(fid, "precursor_schema", &v));
  PT_CHECK(v == PRC_SCHEMA_VERSION, "precursor_schema %g", v);
  PetscCheck(H5Lexists(fid, "provenance", H5P_DEFAULT) > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "no /provenance in %s", path);
  g = H5Gopen2(fid, "provenance", H5P_DEFAULT);
  PetscCall(get_str(g, "program", s, sizeof s));
  PT_CHECK(!strcmp(s, "precursor"), "program '%s'", s);
  PetscCall(get_str(g, "version", s, sizeof s));
  PT_CHECK(s[0], "version is empty");
  PetscCall(get_str(g, "stage", s, sizeof s));
  PT_CHECK(!strcmp(s, "test"), "stage '%s'", s);
  PetscCall(get_str(g, "options", s, sizeof s));
  PetscCall(prc_opts_dump(&g_opts, &dump));
  PT_CHECK(!strcmp(s, dump), "options attribute\n%s\ndiffers from prc_opts_dump\n%s", s, dump);
  PT_CHECK(strstr(s, "-out_dir ") && strstr(s, "-seed "), "options attribute lacks the common options:\n%s", s);
  PetscCall(PetscFree(dump));
  PetscCall(get_str(g, "inputs", s, sizeof s));
  snprintf(want, sizeof want, "%s crc32=363a3020 bytes=6\n", inp); /* crc32("hello\n") */
  PT_CHECK(!strcmp(s, want), "inputs '%s', expected '%s'", s, want);
  PetscCall(get_double(g, "nranks", &v));
  PT_CHECK(v == g_size, "nranks %g, expected %d", v, g_size);
  PetscCall(get_str(g, "start_utc", s, sizeof s));
  prc_time_format(g_ctx.start_time, t0, sizeof t0);
  PT_CHECK(!strcmp(s, t0), "start_utc '%s', expected '%s'", s, t0);
  PetscCall(get_str(g, "end_utc", s, sizeof s));
  int Y, M, D, h, m, sec;
  PT_CHECK(strlen(s) == 20 && sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ", &Y, &M, &D, &h, &m, &sec) == 6,
           "end_utc '%s' is not YYYY-MM-DDTHH:MM:SSZ", s);
  prc_time_format(after, want, sizeof want);
  PT_CHECK(strcmp(s, t0) >= 0 && strcmp(s, want) <= 0, "end_utc '%s' not within [%s, %s]", s, t0, want);
  PetscCall(get_str(g, "host", s, sizeof s));
  if (!g_rank) gethostname(host, sizeof host - 1);
  PetscCallMPI(MPI_Bcast(host, sizeof host, MPI_CHAR, 0, PETSC_COMM_WORLD));
  PT_CHECK(!strcmp(s, host) && s[0], "host '%s', rank 0 runs on '%s'", s, host);
  H5Gclose(g);
  PetscCall(prc_h5_close(fid));
  PetscFunctionReturn(0);
}
static void test_provenance(void) { RUN_BODY(provenance_body); }

/* ---- scaled integers ---------------------------------------------------------------------- */

/* MODIS-like LST counts: kelvin = raw * 0.02, 0 = fill. */
static short raw_lst(int t, int y, int x)
{
  return (t * 5 + y * 3 + x) % 13 == 0 ? 0 : (short)(13000 + (t * 1009 + y * 37 + x * 11) % 3000);
}
/* signed counts with an offset: raw * 0.01 + 273.15, -32768 = fill */
static short raw_sst(int y, int x) { return (y + 2 * x) % 9 == 4 ? -32768 : (short)(y * 250 - x * 300); }

static PetscErrorCode tile_read_scaled_body(void)
{
  prc_h5out       f;
  prc_grid_decomp g;
  hid_t           fid, d;
  char            path[512];
  short          *raw;
  float          *buf;
  int64_t         st, ct;
  PetscFunctionBeginUser;
  tpath(path, sizeof path, "modis.h5");
  PetscCall(prc_h5_create(PETSC_COMM_WORLD, path, "grid", &f));
  PetscCall(PetscMalloc1(2 * NX * NY, &raw));
  /* lst (2, ny, nx) int16 written in row blocks */
  prc_partition_1d(NY, g_size, g_rank, &st, &ct);
  for (int t = 0; t < 2; t++)
    for (int j = 0; j < ct; j++)
      for (int i = 0; i < NX; i++) raw[((size_t)t * (size_t)ct + (size_t)j) * NX + (size_t)i] = raw_lst(t, (int)st + j, i);
  hsize_t dims3[3] = {2, NY, NX}, s3[3] = {0, (hsize_t)st, 0}, c3[3] = {2, (hsize_t)ct, NX};
  PetscCall(prc_h5_write_nd(f.fid, "lst", H5T_STD_I16LE, H5T_NATIVE_SHORT, 3, dims3, s3, c3, raw));
  d = H5Dopen2(f.fid, "lst", H5P_DEFAULT);
  PetscCall(prc_h5_attr_double(d, "scale_factor", 0.02));
  PetscCall(prc_h5_attr_double(d, "add_offset", 0.0));
  { /* _FillValue of the data's own type, as in the MODIS files */
    short fill0 = 0;
    hid_t sp = H5Screate(H5S_SCALAR), a = H5Acreate2(d, "_FillValue", H5T_STD_I16LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    PetscCheck(a >= 0 && H5Awrite(a, H5T_NATIVE_SHORT, &fill0) >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "_FillValue");
    H5Aclose(a), H5Sclose(sp);
  }
  H5Dclose(d);
  /* sst (ny, nx) int16 written in column blocks */
  prc_partition_1d(NX, g_size, g_rank, &st, &ct);
  for (int j = 0; j < NY; j++)
    for (int i = 0; i < ct; i++) raw[(size_t)j * (size_t)ct + (size_t)i] = raw_sst(j, (int)st + i);
  hsize_t dims2[2] = {NY, NX}, s2[2] = {0, (hsize_t)st}, c2[2] = {NY, (hsize_t)ct};
  PetscCall(prc_h5_write_nd(f.fid, "sst", H5T_STD_I16LE, H5T_NATIVE_SHORT, 2, dims2, s2, c2, raw));
  d = H5Dopen2(f.fid, "sst", H5P_DEFAULT);
  PetscCall(prc_h5_attr_double(d, "scale_factor", 0.01));
  PetscCall(prc_h5_attr_double(d, "add_offset", 273.15));
  PetscCall(prc_h5_attr_double(d, "_FillValue", -32768));
  H5Dclose(d);
  PetscCall(prc_h5_commit(&f, &g_ctx));
  PetscCall(PetscFree(raw));

  PetscCall(prc_grid_decomp_create(PETSC_COMM_WORLD, NX, NY, &g));
  const prc_tile *tl = &g.tile;
  PetscCall(PetscMalloc1(2 * (size_t)tl->xm * (size_t)tl->ym + 1, &buf));
  PetscCall(prc_h5_open(PETSC_COMM_WORLD, path, &fid));
  d = H5Dopen2(fid, "lst", H5P_DEFAULT);
  for (int pass = 0; pass < 2; pass++) { /* both steps, then step 1 alone */
    int  t0 = pass, nt = 2 - pass;
    long bad = 0, nan_bad = 0;
    PetscCall(prc_h5_tile_read(d, tl, (hsize_t)t0, (hsize_t)nt, buf));
    for (int t = 0; t < nt; t++)
      for (PetscInt j = 0; j < tl->ym; j++)
        for (PetscInt i = 0; i < tl->xm; i++) {
          short r = raw_lst(t0 + t, (int)(tl->ys + j), (int)(tl->xs + i));
          float v = buf[((size_t)t * (size_t)tl->ym + (size_t)j) * (size_t)tl->xm + (size_t)i];
          if (r == 0) nan_bad += !isnan(v);
          else {
            float w = (float)((double)r * 0.02);
            if (!(fabsf(v - w) <= 1e-6f * fabsf(w))) {
              if (!bad) fprintf(stderr, "  [rank %d] lst raw %d read as %.9g, expected %.9g K\n", g_rank, r, (double)v, (double)w);
              bad++;
            }
          }
        }
    PT_CHECK(bad == 0 && nan_bad == 0, "lst t0=%d: %ld values not raw*0.02, %ld fill values not NaN", t0, bad, nan_bad);
  }
  H5Dclose(d);
  d = H5Dopen2(fid, "sst", H5P_DEFAULT);
  PetscCall(prc_h5_tile_read(d, tl, 0, 0, buf));
  long bad = 0;
  for (PetscInt j = 0; j < tl->ym; j++)
    for (PetscInt i = 0; i < tl->xm; i++) {
      short r = raw_sst((int)(tl->ys + j), (int)(tl->xs + i));
      float v = buf[(size_t)j * (size_t)tl->xm + (size_t)i];
      float w = r == -32768 ? NAN : (float)((double)r * 0.01 + 273.15);
      if (isnan(w) ? !isnan(v) : !(fabsf(v - w) <= 1e-6f * fabsf(w))) {
        if (!bad) fprintf(stderr, "  [rank %d] sst raw %d read as %.9g, expected %.9g\n", g_rank, r, (double)v, (double)w);
        bad++;
      }
    }
  PT_CHECK(bad == 0, "sst: %ld values not raw*0.01+273.15 / NaN for the fill", bad);
  H5Dclose(d);
  PetscCall(prc_h5_close(fid));
  PetscCall(PetscFree(buf));
  PetscCall(prc_grid_decomp_destroy(&g));
  PetscFunctionReturn(0);
}
static void test_tile_read_scaled_int16(void) { RUN_BODY(tile_read_scaled_body); }

/* ---- n-D blocks and columns ---------------------------------------------------------------- */

#define NR 3 /* rows of the 2-D block dataset: rank 3 of 4 writes none */
#define NC 5
#define NBIG 1000

static PetscErrorCode nd_body(void)
{
  prc_h5out f;
  hid_t     fid;
  char      path[512];
  int64_t   st, ct;
  double    rows[NR * NC], *mine = NULL;
  int64_t  *big, *bb = NULL;
  int       r;
  hsize_t   dims[8];
  PetscFunctionBeginUser;
  tpath(path, sizeof path, "nd.h5");
  PetscCall(prc_h5_create(PETSC_COMM_WORLD, path, "test", &f));
  /* 2-D float64 (NR, NC): rank's rows [st, st+ct), NULL buffer when it has none */
  prc_partition_1d(NR, g_size, g_rank, &st, &ct);
  if (ct) PetscCall(PetscMalloc1((size_t)ct * NC, &mine));
  for (int j = 0; j < ct; j++)
    for (int i = 0; i < NC; i++) mine[j * NC + i] = (double)(st + j) * 10 + i + 0.5;
  hsize_t d2[2] = {NR, NC}, s2[2] = {(hsize_t)st, 0}, c2[2] = {(hsize_t)ct, NC};
  PetscCall(prc_h5_write_nd(f.fid, "rows", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, d2, s2, c2, mine));
  /* 1-D int64 */
  prc_partition_1d(NBIG, g_size, g_rank, &st, &ct);
  PetscCall(PetscMalloc1(NBIG, &big));
  for (int64_t k = 0; k < ct; k++) big[k] = (st + k) * (st + k) - 7;
  hsize_t d1 = NBIG, s1 = (hsize_t)st, c1 = (hsize_t)ct;
  PetscCall(prc_h5_write_nd(f.fid, "big", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &d1, &s1, &c1, big));
  /* empty datasets */
  hsize_t z1 = 0, zs[2] = {0, 0}, z2[2] = {0, 4};
  PetscCall(prc_h5_write_nd(f.fid, "empty1", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &z1, zs, zs, NULL));
  PetscCall(prc_h5_write_nd(f.fid, "empty2", H5T_STD_I32LE, H5T_NATIVE_INT, 2, z2, zs, zs, NULL));
  /* columns written by rank 0 (the others pass NULL) */
  const double cold[6] = {1.5, -2.25, NAN, 1e300, -0.0, 42};
  const int    coli[4] = {7, -8, 2147483647, 0};
  char         cols[3][12] = {"alpha", "beta", ""};
  hid_t        t12 = prc_h5_strtype(12);
  PetscCall(prc_h5_write_col(PETSC_COMM_WORLD, f.fid, "col_d", H5T_NATIVE_DOUBLE, 6, g_rank ? NULL : cold));
  PetscCall(prc_h5_write_col(PETSC_COMM_WORLD, f.fid, "col_i", H5T_NATIVE_INT, 4, g_rank ? NULL : coli));
  PetscCall(prc_h5_write_col(PETSC_COMM_WORLD, f.fid, "col_s", t12, 3, g_rank ? NULL : cols));
  PetscCall(prc_h5_write_col(PETSC_COMM_WORLD, f.fid, "col_0", H5T_NATIVE_DOUBLE, 0, NULL));
  PetscCall(prc_h5_commit(&f, &g_ctx));
  PetscCall(PetscFree(mine));

  PetscCall(prc_h5_open(PETSC_COMM_WORLD, path, &fid));
  /* rows whole on every rank */
  hsize_t z0[2] = {0, 0};
  for (int k = 0; k < NR * NC; k++) rows[k] = -1;
  PetscCall(prc_h5_read_nd(fid, "rows", H5T_NATIVE_DOUBLE, z0, d2, rows));
  long bad = 0;
  for (int j = 0; j < NR; j++)
    for (int i = 0; i < NC; i++) bad += rows[j * NC + i] != j * 10 + i + 0.5;
  PT_CHECK(bad == 0, "rows read whole: %ld values differ", bad);
  /* big: whole, then a block owned by another rank in the write (zero-size blocks included) */
  for (int k = 0; k < NBIG; k++) big[k] = 0;
  PetscCall(prc_h5_read_nd(fid, "big", H5T_NATIVE_INT64, z0, &d1, big));
  bad = 0;
  for (int64_t k = 0; k < NBIG; k++) bad += big[k] != k * k - 7;
  PT_CHECK(bad == 0, "big read whole: %ld values differ", bad);
  prc_partition_1d(NBIG, g_size, g_size - 1 - g_rank, &st, &ct);
  s1 = (hsize_t)st, c1 = (hsize_t)ct;
  if (ct) PetscCall(PetscMalloc1((size_t)ct, &bb));
  PetscCall(prc_h5_read_nd(fid, "big", H5T_NATIVE_INT64, &s1, &c1, bb));
  bad = 0;
  for (int64_t k = 0; k < ct; k++) bad += bb[k] != (st + k) * (st + k) - 7;
  PT_CHECK(bad == 0, "big read by blocks: %ld values differ", bad);
  PetscCall(PetscFree(bb));
  prc_partition_1d(NR, g_size, g_rank, &st, &ct); /* rows by blocks, some ranks none */
  hsize_t rs[2] = {(hsize_t)st, 0}, rc[2] = {(hsize_t)ct, NC};
  PetscCall(prc_h5_read_nd(fid, "rows", H5T_NATIVE_DOUBLE, rs, rc, ct ? rows : NULL));
  bad = 0;
  for (int j = 0; j < ct; j++)
    for (int i = 0; i < NC; i++) bad += rows[j * NC + i] != (double)(st + j) * 10 + i + 0.5;
  PT_CHECK(bad == 0, "rows read by blocks: %ld values differ", bad);
  /* empty datasets */
  PetscCall(prc_h5_dims(fid, "empty1", &r, dims));
  PT_CHECK(r == 1 && dims[0] == 0, "empty1: rank %d dims[0] %llu", r, (unsigned long long)dims[0]);
  PetscCall(prc_h5_read_nd(fid, "empty1", H5T_NATIVE_DOUBLE, zs, zs, NULL));
  PetscCall(prc_h5_dims(fid, "empty2", &r, dims));
  PT_CHECK(r == 2 && dims[0] == 0 && dims[1] == 4, "empty2: rank %d dims %llu x %llu", r, (unsigned long long)dims[0],
           (unsigned long long)dims[1]);
  PetscCall(prc_h5_read_nd(fid, "empty2", H5T_NATIVE_INT, zs, zs, NULL));
  PetscCall(prc_h5_dims(fid, "col_0", &r, dims));
  PT_CHECK(r == 1 && dims[0] == 0, "col_0: rank %d dims[0] %llu", r, (unsigned long long)dims[0]);
  /* columns: values and file types */
  double gd[6];
  int    gi[4];
  char   gs[3][12];
  hsize_t n6 = 6, n4 = 4, n3 = 3, zero = 0;
  PetscCall(prc_h5_read_nd(fid, "col_d", H5T_NATIVE_DOUBLE, &zero, &n6, gd));
  PetscCall(prc_h5_read_nd(fid, "col_i", H5T_NATIVE_INT, &zero, &n4, gi));
  PetscCall(prc_h5_read_nd(fid, "col_s", t12, &zero, &n3, gs));
  bad = 0;
  for (int k = 0; k < 6; k++) bad += isnan(cold[k]) ? !isnan(gd[k]) : memcmp(&gd[k], &cold[k], sizeof(double)) != 0;
  PT_CHECK(bad == 0, "col_d: %ld values differ", bad);
  PT_CHECK(!memcmp(gi, coli, sizeof gi), "col_i differs: %d %d %d %d", gi[0], gi[1], gi[2], gi[3]);
  PT_CHECK(!strcmp(gs[0], "alpha") && !strcmp(gs[1], "beta") && !strcmp(gs[2], ""), "col_s '%s' '%s' '%s'", gs[0], gs[1],
           gs[2]);
  const char *tn[2] = {"col_d", "col_i"};
  hid_t       want[2] = {H5T_IEEE_F64LE, H5T_STD_I32LE};
  for (int k = 0; k < 2; k++) {
    hid_t dd = H5Dopen2(fid, tn[k], H5P_DEFAULT), ft = H5Dget_type(dd);
    PT_CHECK(H5Tequal(ft, want[k]) > 0, "%s is not stored in its little-endian file type", tn[k]);
    H5Tclose(ft), H5Dclose(dd);
  }
  H5Tclose(t12);
  PetscCall(prc_h5_close(fid));
  PetscCall(PetscFree(big));
  PetscFunctionReturn(0);
}
static void test_nd_blocks_and_columns(void) { RUN_BODY(nd_body); }

/* ---- catalog ------------------------------------------------------------------------------- */

#define NEV 6

/* The test catalog (fill = 1) or n zeroed rows (fill = 0: what non-root ranks pass). */
static PetscErrorCode make_catalog(prc_catalog *c, size_t n, int fill)
{
  static const char *mt[NEV]  = {"ML", "Mw", "Ms", "mb", "", "Mwc"};
  static const char *src[NEV] = {"USGS-ComCat", "INGV", "abcdefghijklmno", "JMA", "EMSC", "ISC-GEM"};
  PetscFunctionBeginUser;
  PetscCall(prc_catalog_alloc(c, n));
  for (size_t i = 0; fill && i < n; i++) {
    c->time[i]     = 1.6e9 + (double)i * 86400.25;
    c->lat[i]      = -89.75 + (double)i * 35.9;
    c->lon[i]      = -180 + (double)i * 107.5;
    c->depth_km[i] = i == 2 ? NAN : (double)i * 3.3;
    c->mag[i]      = 2.5 + 0.7 * (double)i;
    snprintf(c->mag_type[i], PRC_MAGTYPE_LEN, "%s", mt[i % NEV]);
    snprintf(c->source[i], PRC_SOURCE_LEN, "%s", src[i % NEV]);
  }
  PetscFunctionReturn(0);
}

static long catalog_diff(const prc_catalog *a, const prc_catalog *b)
{
  long bad = 0;
  if (a->n != b->n) return -1;
  for (size_t i = 0; i < a->n; i++) {
    bad += a->time[i] != b->time[i] || a->lat[i] != b->lat[i] || a->lon[i] != b->lon[i] || a->mag[i] != b->mag[i];
    bad += isnan(b->depth_km[i]) ? !isnan(a->depth_km[i]) : a->depth_km[i] != b->depth_km[i];
    bad += strcmp(a->mag_type[i], b->mag_type[i]) != 0 || strcmp(a->source[i], b->source[i]) != 0;
  }
  return bad;
}

static PetscErrorCode catalog_body(void)
{
  prc_h5out   f;
  prc_catalog w, want, got;
  hid_t       fid, g;
  char        path[512];
  double      v = -1;
  PetscFunctionBeginUser;
  tpath(path, sizeof path, "cat/catalog.h5");
  PetscCall(make_catalog(&w, NEV, g_rank == 0)); /* data significant on rank 0 only */
  PetscCall(make_catalog(&want, NEV, 1));
  PetscCall(prc_h5_create(PETSC_COMM_WORLD, path, "catalog", &f));
  PetscCall(prc_catalog_write(PETSC_COMM_WORLD, f.fid, &w));
  PetscCall(prc_h5_commit(&f, &g_ctx));
  memset(&got, 0, sizeof got);
  PetscCall(prc_catalog_read(PETSC_COMM_WORLD, path, &got));
  long bad = catalog_diff(&got, &want);
  PT_CHECK(bad == 0, "catalog read back: n %zu (wrote %d), %ld fields differ", got.n, NEV, bad);
  PetscCall(prc_h5_open(PETSC_COMM_WORLD, path, &fid));
  g = H5Gopen2(fid, "catalog", H5P_DEFAULT);
  PetscCall(get_double(g, "n_events", &v));
  PT_CHECK(v == NEV, "n_events %g", v);
  H5Gclose(g);
  PetscCall(prc_h5_close(fid));
  PetscCall(prc_catalog_free(&w));
  PetscCall(prc_catalog_free(&got));
  PetscCall(prc_catalog_free(&want));

  /* empty catalog */
  tpath(path, sizeof path, "cat/empty.h5");
  PetscCall(make_catalog(&w, 0, 1));
  PetscCall(prc_h5_create(PETSC_COMM_WORLD, path, "catalog", &f));
  PetscCall(prc_catalog_write(PETSC_COMM_WORLD, f.fid, &w));
  PetscCall(prc_h5_commit(&f, &g_ctx));
  got.n = 99;
  PetscCall(prc_catalog_read(PETSC_COMM_WORLD, path, &got));
  PT_CHECK(got.n == 0, "empty catalog read back with n = %zu", got.n);
  PetscCall(prc_catalog_free(&w));
  PetscCall(prc_catalog_free(&got));
  PetscFunctionReturn(0);
}
static void test_catalog_roundtrip(void) { RUN_BODY(catalog_body); }

/* A catalog file whose /catalog/lon has 2 rows and the other columns 3. */
static PetscErrorCode make_uneven_catalog(const char *path)
{
  prc_h5out f;
  hid_t     g;
  double    a[3] = {1.6e9, 1.6e9 + 1, 1.6e9 + 2};
  char      mt[3][PRC_MAGTYPE_LEN] = {"ML", "ML", "Mw"}, src[3][PRC_SOURCE_LEN] = {"x", "y", "z"};
  PetscFunctionBeginUser;
  PetscCall(prc_h5_create(PETSC_COMM_WORLD, path, "catalog", &f));
  PetscCall(prc_h5_group(f.fid, "catalog", &g));
  hid_t t1 = prc_h5_strtype(PRC_MAGTYPE_LEN), t2 = prc_h5_strtype(PRC_SOURCE_LEN);
  PetscCall(prc_h5_write_col(PETSC_COMM_WORLD, g, "time", H5T_NATIVE_DOUBLE, 3, a));
  PetscCall(prc_h5_write_col(PETSC_COMM_WORLD, g, "lat", H5T_NATIVE_DOUBLE, 3, a));
  PetscCall(prc_h5_write_col(PETSC_COMM_WORLD, g, "lon", H5T_NATIVE_DOUBLE, 2, a));
  PetscCall(prc_h5_write_col(PETSC_COMM_WORLD, g, "depth_km", H5T_NATIVE_DOUBLE, 3, a));
  PetscCall(prc_h5_write_col(PETSC_COMM_WORLD, g, "mag", H5T_NATIVE_DOUBLE, 3, a));
  PetscCall(prc_h5_write_col(PETSC_COMM_WORLD, g, "mag_type", t1, 3, mt));
  PetscCall(prc_h5_write_col(PETSC_COMM_WORLD, g, "source", t2, 3, src));
  H5Tclose(t1), H5Tclose(t2), H5Gclose(g);
  PetscCall(prc_h5_commit(&f, &g_ctx));
  PetscFunctionReturn(0);
}

/* ---- errors -------------------------------------------------------------------------------- */

static PetscErrorCode errors_body(void)
{
  prc_h5out   f;
  prc_catalog c;
  hid_t       fid = -1, d;
  char        path[512], p2[600], txt[512], afile[512];
  float       buf[6 * 5 * 2];
  PetscFunctionBeginUser;
  /* open: missing file, a text file */
  tpath(path, sizeof path, "no/such/file.h5");
  EXPECT_FAIL(prc_h5_open(PETSC_COMM_WORLD, path, &fid), path);
  tpath(txt, sizeof txt, "notes.txt");
  PetscCall(write_text(txt, "this is not an HDF5 file\n"));
  EXPECT_FAIL(prc_h5_open(PETSC_COMM_WORLD, txt, &fid), txt);

  /* a 4 x 6 x 5 grid file to read wrongly */
  tpath(path, sizeof path, "err_grid.h5");
  PetscCall(prc_h5_create(PETSC_COMM_WORLD, path, "grid", &f));
  PetscCall(prc_h5_grid_create(f.fid, "g", 4, 6, 5, 2, "K", &d));
  prc_tile whole = {0, 0, 5, 6, 5, 6}, none = {0, 0, 0, 0, 5, 6};
  fill_tile(buf, &whole, 0, 2, want3);
  if (!g_rank) PetscCall(prc_h5_tile_write(d, &whole, 2, 2, buf));
  else PetscCall(prc_h5_tile_write(d, &none, 2, 2, NULL));
  H5Dclose(d);
  PetscCall(prc_h5_commit(&f, &g_ctx));
  PetscCall(prc_h5_open(PETSC_COMM_WORLD, path, &fid));
  d = H5Dopen2(fid, "g", H5P_DEFAULT);
  prc_tile wrong = {0, 0, 5, 6, 6, 6}; /* says the grid is 6 x 6 */
  EXPECT_FAIL(prc_h5_tile_read(d, &wrong, 0, 1, buf), path);
  EXPECT_FAIL(prc_h5_tile_read(d, &whole, 3, 2, buf), path); /* steps 3..5 of 4 */
  EXPECT_FAIL(prc_h5_tile_write(d, &wrong, 0, 1, buf), path);
  prc_tile outside = {3, 0, 5, 6, 5, 6}; /* right grid size, columns 3..8 of 5 */
  EXPECT_FAIL(prc_h5_tile_read(d, &outside, 0, 1, buf), path);
  /* the file is still usable after those */
  PetscCall(prc_h5_tile_read(d, &whole, 2, 2, buf));
  check_tile(buf, &whole, 0, 2, want3, "grid read after failed reads");
  H5Dclose(d);
  hsize_t st[3] = {0, 0, 0}, ct[3] = {4, 7, 5};
  EXPECT_FAIL(prc_h5_read_nd(fid, "nope", H5T_NATIVE_FLOAT, st, ct, buf), path);
  PT_CHECK(!g_msg[0] || strstr(g_msg, "nope"), "missing dataset message does not name it: %s", g_msg);
  EXPECT_FAIL(prc_h5_read_nd(fid, "g", H5T_NATIVE_FLOAT, st, ct, buf), path); /* 7 rows of 6 */
  PetscCall(prc_h5_close(fid));

  /* output folder that cannot be created: below a regular file */
  tpath(afile, sizeof afile, "afile");
  PetscCall(write_text(afile, "a regular file\n"));
  snprintf(p2, sizeof p2, "%s/sub/x.h5", afile);
  EXPECT_FAIL(prc_h5_create(PETSC_COMM_WORLD, p2, "grid", &f), afile);
  snprintf(p2, sizeof p2, "%s/x.h5", afile); /* the parent itself is the regular file */
  EXPECT_FAIL(prc_h5_create(PETSC_COMM_WORLD, p2, "grid", &f), afile);
  /* final name taken by a folder: the commit's rename fails, on every rank */
  tpath(path, sizeof path, "isdir.h5");
  if (!g_rank) mkdir(path, 0777);
  snprintf(p2, sizeof p2, "%s/keep", path);
  if (!g_rank) mkdir(p2, 0777);
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  PetscCall(prc_h5_create(PETSC_COMM_WORLD, path, "grid", &f));
  EXPECT_FAIL(prc_h5_commit(&f, &g_ctx), path);
  PT_CHECK(all_ranks(file_exists(p2)), "the folder in the way was damaged");

  /* catalogs: columns of different lengths, a latitude of 95, no /catalog, missing file */
  tpath(path, sizeof path, "bad_uneven.h5");
  PetscCall(make_uneven_catalog(path));
  memset(&c, 0, sizeof c);
  EXPECT_FAIL(prc_catalog_read(PETSC_COMM_WORLD, path, &c), path);
  PT_CHECK(!g_msg[0] || strstr(g_msg, "lon"), "uneven columns message does not name lon: %s", g_msg);
  PetscCall(prc_catalog_free(&c));
  tpath(path, sizeof path, "bad_lat.h5");
  PetscCall(make_catalog(&c, NEV, 1));
  c.lat[3] = 95;
  PetscCall(prc_h5_create(PETSC_COMM_WORLD, path, "catalog", &f));
  PetscCall(prc_catalog_write(PETSC_COMM_WORLD, f.fid, &c));
  PetscCall(prc_h5_commit(&f, &g_ctx));
  PetscCall(prc_catalog_free(&c));
  EXPECT_FAIL(prc_catalog_read(PETSC_COMM_WORLD, path, &c), path);
  PT_CHECK(!g_msg[0] || strstr(g_msg, "95"), "latitude message does not give the value: %s", g_msg);
  PetscCall(prc_catalog_free(&c));
  tpath(path, sizeof path, "err_grid.h5");
  EXPECT_FAIL(prc_catalog_read(PETSC_COMM_WORLD, path, &c), path);
  PetscCall(prc_catalog_free(&c));
  tpath(path, sizeof path, "no_catalog_here.h5");
  EXPECT_FAIL(prc_catalog_read(PETSC_COMM_WORLD, path, &c), path);
  PetscCall(prc_catalog_free(&c));
  PetscFunctionReturn(0);
}
static void test_errors(void) { RUN_BODY(errors_body); }

/* A failed prc_catalog_read must not leave the file (or its /catalog group) open: the
 * checks between prc_h5_open and prc_h5_close return without closing them. */
static PetscErrorCode catalog_error_leak_body(void)
{
  prc_catalog c;
  char        path[512];
  const char *which[2] = {"bad_uneven2.h5", "no_group.h5"};
  prc_h5out   f;
  PetscFunctionBeginUser;
  tpath(path, sizeof path, which[0]);
  PetscCall(make_uneven_catalog(path));
  tpath(path, sizeof path, which[1]);
  PetscCall(prc_h5_create(PETSC_COMM_WORLD, path, "catalog", &f));
  PetscCall(prc_h5_commit(&f, &g_ctx));
  for (int k = 0; k < 2; k++) {
    unsigned types = H5F_OBJ_FILE | H5F_OBJ_GROUP | H5F_OBJ_DATASET;
    tpath(path, sizeof path, which[k]);
    ssize_t before = H5Fget_obj_count(H5F_OBJ_ALL, types);
    memset(&c, 0, sizeof c);
    EXPECT_FAIL(prc_catalog_read(PETSC_COMM_WORLD, path, &c), path);
    ssize_t after = H5Fget_obj_count(H5F_OBJ_ALL, types);
    PT_CHECK(after == before, "%s: %zd HDF5 files/groups/datasets open before the failed prc_catalog_read, %zd after "
                              "(handles leaked on the error path)", which[k], before, after);
    PetscCall(prc_catalog_free(&c));
  }
  PetscFunctionReturn(0);
}
static void test_catalog_read_error_closes_file(void) { RUN_BODY(catalog_error_leak_body); }

/* prc_h5_create with a relative path with and without a folder part, in a child process of
 * rank 0 on PETSC_COMM_SELF (so a crash is reported, not fatal to the whole run).
 * For a bare file name, make_parent() gets glibc dirname()'s static read-only "." and
 * writes into it, which kills rank 0 with SIGSEGV. */
static void test_create_relative_path(void)
{
  int  ok = 1;
  char why[512] = "";
  if (!g_rank) {
    fflush(stdout), fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) { /* child: default signal actions so a crash is visible as such */
      int sigs[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGALRM};
      for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++) signal(sigs[k], SIG_DFL);
      alarm(30);
      prc_h5out f;
      if (chdir(g_dir)) _exit(3);
      if (prc_h5_create(PETSC_COMM_SELF, "rel/sub.h5", "grid", &f) || prc_h5_commit(&f, NULL)) _exit(4);
      if (access("rel/sub.h5", F_OK)) _exit(5);
      if (prc_h5_create(PETSC_COMM_SELF, "bare.h5", "grid", &f) || prc_h5_commit(&f, NULL)) _exit(6);
      _exit(access("bare.h5", F_OK) ? 7 : 0);
    }
    int status = 0;
    if (pid < 0) snprintf(why, sizeof why, "fork failed: %s", strerror(errno)), ok = 0;
    else if (waitpid(pid, &status, 0) != pid) snprintf(why, sizeof why, "waitpid failed: %s", strerror(errno)), ok = 0;
    else if (WIFSIGNALED(status))
      snprintf(why, sizeof why, "the process died of signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status))), ok = 0;
    else if (WEXITSTATUS(status))
      snprintf(why, sizeof why, "child exit status %d (3 chdir, 4/5 'rel/sub.h5' failed, 6/7 'bare.h5' failed)",
               WEXITSTATUS(status)), ok = 0;
  }
  PT_CHECK(ok, "prc_h5_create/commit of relative paths ('rel/sub.h5', then 'bare.h5' in the current folder): %s", why);
}

/* ---- main ---------------------------------------------------------------------------------- */

/* String attributes as other tools write them: NULLPAD strings that fill their size (numpy
 * bytes via h5py) must keep their last character; variable-length strings are read too. */
static void test_attr_strings_from_other_tools(void)
{
  char path[512], buf[64];
  int  rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  tpath(path, sizeof path, "strings.h5");
  if (!rank) {
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), sp = H5Screate(H5S_SCALAR);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, 8);
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    hid_t a = H5Acreate2(f, "padded", t, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, "forecast");
    H5Aclose(a), H5Tclose(t);
    t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    const char *v = "variable length";
    a = H5Acreate2(f, "vlen", t, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, &v);
    H5Aclose(a), H5Tclose(t), H5Sclose(sp), H5Fclose(f);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  PT_CHECK(f >= 0, "cannot open %s", path);
  PT_CHECK(!prc_h5_attr_get_str(f, "padded", buf, sizeof buf, NULL) && !strcmp(buf, "forecast"), "padded string read as '%s'", buf);
  PT_CHECK(!prc_h5_attr_get_str(f, "vlen", buf, sizeof buf, NULL) && !strcmp(buf, "variable length"), "vlen string read as '%s'", buf);
  H5Fclose(f);
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  pt_set_prog(argv[0]);
  PetscCall(prc_h5_init());
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &g_rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &g_size));
  if (!g_rank) {
    snprintf(g_dir, sizeof g_dir, "/tmp/prc_test_h5io_XXXXXX");
    if (!mkdtemp(g_dir)) g_dir[0] = '\0';
  }
  PetscCallMPI(MPI_Bcast(g_dir, sizeof g_dir, MPI_CHAR, 0, PETSC_COMM_WORLD));
  PetscCheck(g_dir[0], PETSC_COMM_WORLD, PETSC_ERR_FILE_OPEN, "cannot make a temporary folder under /tmp");

  const prc_opt_spec *const tables[1] = {prc_common_opts};
  const int                 counts[1] = {prc_ncommon_opts};
  PetscCall(prc_opts_load(&g_opts, 1, tables, counts));
  g_ctx.comm  = PETSC_COMM_WORLD;
  g_ctx.rank  = g_rank;
  g_ctx.size  = g_size;
  g_ctx.stage = "test";
  g_ctx.opts  = &g_opts;
  g_ctx.start_time = prc_time_now();
  PetscCallMPI(MPI_Bcast(&g_ctx.start_time, 1, MPI_DOUBLE, 0, PETSC_COMM_WORLD));

  PT_RUN(test_decomp_tiles_cover_grid);
  PT_RUN(test_grid_roundtrip);
  PT_RUN(test_atomic_commit);
  PT_RUN(test_provenance);
  PT_RUN(test_tile_read_scaled_int16);
  PT_RUN(test_nd_blocks_and_columns);
  PT_RUN(test_catalog_roundtrip);
  PT_RUN(test_errors);
  PT_RUN(test_catalog_read_error_closes_file);
  PT_RUN(test_create_relative_path);
  PT_RUN(test_attr_strings_from_other_tools);

  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  if (!g_rank && !getenv("PRC_KEEP_TMP")) rm_rf(g_dir);
  prc_opts_free(&g_opts);
  int rc = pt_finish();
  PetscCall(PetscFinalize());
  return rc;
}

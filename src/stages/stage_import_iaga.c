/* stage_import_iaga.c — `precursor import-iaga`: IAGA-2002 geomagnetic records -> a
 * station set (docs/FORMATS.md "IAGA-2002", docs/DATA_MODEL.md "Station set").
 *
 * Orchestration only; parsing, concatenation and block means are the kernel
 * src/io/read_iaga2002.c. Parallel plan:
 *   1. the files of -iaga_input are split over ranks in contiguous blocks; each rank parses
 *      its own (errors: the first failing rank's message, reported on every rank);
 *   2. every rank learns each file's station code and length (one reduction); stations are
 *      the distinct codes in sorted order, assigned whole to ranks by record length
 *      (prc_partition_weighted);
 *   3. parsed files travel to their station's owner, which concatenates them in time order
 *      (prc_iaga_merge), optionally block-averages, and finds the gaps;
 *   4. metadata is broadcast from each owner, stations.h5 is written collectively (each
 *      record by its owner), then each owner draws its station's PNG.
 * Nothing depends on the rank count except who does the work: outputs are identical. */
#include <math.h>
#include <string.h>

#include "precursor/decomp.h"
#include "precursor/collective.h"
#include "precursor/error.h"
#include "precursor/plot.h"
#include "precursor/read_iaga2002.h"
#include "precursor/stage.h"
#include "precursor/stations.h"
#include "precursor/timeutil.h"

static const prc_opt_spec iaga_opts[] = {
  {"iaga_input", PRC_OPT_STRING, NULL, PRC_NO_RANGE,
   "IAGA-2002 files, comma-separated; files of one station (IAGA CODE) are concatenated in time"},
  {"iaga_resample_s", PRC_OPT_REAL, "0", 0, 3.2e7,
   "block-average to this interval, s (e.g. 7200: the 2 h grid of paper 000); 0 = keep the file's sampling"},
  {"iaga_min_valid", PRC_OPT_REAL, "0.5", 0, 1,
   "with -iaga_resample_s: minimum fraction of valid samples in a block, else the block is NaN"},
  {"iaga_png", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "write a quicklook iaga_<CODE>.png per station"},
};

#define MAXFILES 4096
#define MSGLEN 1024

static void iaga_validate(prc_opts *o)
{
  const char *in = prc_opts_string(o, "iaga_input");
  int         n = 1, empty = !in[0];
  for (const char *p = in; *p; p++) {
    if (*p == ',') n++;
    if (*p == ',' && (p == in || p[1] == ',' || !p[1])) empty = 1;
  }
  if (empty) prc_opts_violation(o, "-iaga_input '%s': expected file names separated by commas (no empty entries)", in);
  if (n > MAXFILES) prc_opts_violation(o, "-iaga_input: %d files, at most %d", n, MAXFILES);
  double r = prc_opts_real(o, "iaga_resample_s");
  if (r > 0 && fabs(r * 1000 - floor(r * 1000 + 0.5)) > 1e-6)
    prc_opts_violation(o, "-iaga_resample_s %g: expected a whole number of milliseconds", r);
}


/* What every rank knows about a station after the merge (broadcast from its owner). */
typedef struct {
  prc_iaga         rec;   /* header and counts of the concatenated record (rec.v unused) */
  prc_channel_meta m[PRC_IAGA_NCH];
  int64_t          nnan[PRC_IAGA_NCH];
} station_info;

static PetscErrorCode split_inputs(const char *in, int *nf, char ***paths)
{
  char *buf, *save = NULL;
  int   n = 1;
  PetscFunctionBeginUser;
  for (const char *p = in; *p; p++) n += *p == ',';
  PetscCall(PetscMalloc1(n, paths));
  PetscCall(PetscStrallocpy(in, &buf));
  *nf = 0;
  for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) PetscCall(PetscStrallocpy(t, &(*paths)[(*nf)++]));
  PetscCall(PetscFree(buf));
  PetscFunctionReturn(0);
}

static int plot_station(const char *dir, const prc_iaga *rec, const station_info *si, double *const val[PRC_IAGA_NCH])
{
  char   path[4200], title[256], d0[32], lab[PRC_IAGA_NCH][48];
  int64_t n = si->m[0].n;
  double *x = malloc((size_t)(n ? n : 1) * sizeof *x), *y = malloc((size_t)(n ? n : 1) * PRC_IAGA_NCH * sizeof *y);
  if (!x || !y) {
    free(x), free(y);
    return prc_seterr("out of memory for the quicklook of %s", rec->code);
  }
  prc_series s[PRC_IAGA_NCH];
  for (int64_t i = 0; i < n; i++) x[i] = (double)i * si->m[0].dt / PRC_DAY;
  for (int c = 0; c < PRC_IAGA_NCH; c++) {
    double m = 0, sd = 0, k = 0, *v = y + c * n;
    for (int64_t i = 0; i < n; i++)
      if (!isnan(val[c][i])) m += val[c][i], k++;
    m = k ? m / k : 0;
    for (int64_t i = 0; i < n; i++)
      if (!isnan(val[c][i])) sd += (val[c][i] - m) * (val[c][i] - m);
    sd = k ? sqrt(sd / k) : 1;
    if (!(sd > 0)) sd = 1;
    for (int64_t i = 0; i < n; i++) v[i] = (val[c][i] - m) / sd + 8.0 * (PRC_IAGA_NCH - 1 - c);
    snprintf(lab[c], sizeof lab[c], "%s (mean %.1f %s, sd %.3g)", rec->chan[c], m, si->m[c].units, sd);
    s[c] = (prc_series){x, v, (int)n, lab[c], 0};
  }
  prc_time_format(si->m[0].start_time, d0, sizeof d0);
  snprintf(title, sizeof title, "%s %s (%s): %s, standardised and offset; gaps are breaks", rec->code, rec->name,
           rec->data_type, rec->interval_type);
  char xl[96];
  snprintf(xl, sizeof xl, "days since %s", d0);
  prc_lines_style ls = {.title = title, .xlabel = xl, .ylabel = "z-score + offset", .width = 1200, .height = 600};
  snprintf(path, sizeof path, "%s/iaga_%s.png", dir, rec->code);
  int rc = prc_plot_lines_png(path, s, PRC_IAGA_NCH, &ls);
  free(x), free(y);
  return rc;
}

static PetscErrorCode iaga_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  const char     *out = prc_opts_string(o, "out_dir");
  double          resample = prc_opts_real(o, "iaga_resample_s"), min_valid = prc_opts_real(o, "iaga_min_valid");
  char          **paths, msg[MSGLEN] = "";
  int             nf = 0;
  PetscFunctionBeginUser;
  PetscCall(split_inputs(prc_opts_string(o, "iaga_input"), &nf, &paths));
  for (int f = 0; f < nf; f++) PetscCall(prc_ctx_add_input(ctx, paths[f]));

  /* 1. parse this rank's block of files */
  int64_t  fs, fc;
  prc_iaga *rec;
  prc_partition_1d(nf, ctx->size, ctx->rank, &fs, &fc);
  PetscCall(PetscCalloc1(nf, &rec));
  int ok = 1;
  for (int64_t f = fs; f < fs + fc && ok; f++)
    if (prc_iaga_read(paths[f], &rec[f])) ok = 0, snprintf(msg, sizeof msg, "%s", prc_lasterr());
  PetscCall(prc_agree(ctx->comm, ok, msg));

  /* 2. codes and lengths of all files; stations = sorted distinct codes */
  unsigned char (*code)[16];
  int64_t *flen, *ownerf;
  PetscCall(PetscCalloc3(nf, &code, nf, &flen, nf, &ownerf));
  for (int64_t f = fs; f < fs + fc; f++) memcpy(code[f], rec[f].code, 16), flen[f] = rec[f].n, ownerf[f] = ctx->rank;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, code, 16 * nf, MPI_UNSIGNED_CHAR, MPI_MAX, ctx->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, flen, nf, MPI_INT64_T, MPI_SUM, ctx->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, ownerf, nf, MPI_INT64_T, MPI_SUM, ctx->comm));
  int *sidx, ns = 0, *owner;
  int64_t *slen;
  PetscCall(PetscMalloc3(nf, &sidx, nf, &owner, nf, &slen));
  for (int f = 0; f < nf; f++) {
    int s = 0;
    while (s < ns && strcmp((char *)code[sidx[s]], (char *)code[f])) s++;
    if (s == ns) sidx[ns++] = f;
  }
  for (int i = 1; i < ns; i++) /* sort stations by code */
    for (int j = i; j > 0 && strcmp((char *)code[sidx[j]], (char *)code[sidx[j - 1]]) < 0; j--) {
      int t = sidx[j];
      sidx[j] = sidx[j - 1], sidx[j - 1] = t;
    }
  int *stof; /* station of each file */
  PetscCall(PetscMalloc1(nf, &stof));
  for (int s = 0; s < ns; s++) {
    slen[s] = 0;
    for (int f = 0; f < nf; f++)
      if (!strcmp((char *)code[f], (char *)code[sidx[s]])) stof[f] = s, slen[s] += flen[f];
  }
  PetscCheck(!prc_partition_weighted(slen, ns, ctx->size, owner), PETSC_COMM_SELF, PETSC_ERR_PLIB, "station partition failed");

  /* 3. send parsed files to their station's owner */
  MPI_Request *req;
  int          nreq = 0;
  PetscCall(PetscMalloc1(2 * nf + 1, &req));
  for (int64_t f = fs; f < fs + fc; f++) {
    int dst = owner[stof[f]];
    if (dst == ctx->rank) continue;
    PetscCallMPI(MPI_Isend(&rec[f], (int)sizeof(prc_iaga), MPI_BYTE, dst, (int)(2 * f), ctx->comm, &req[nreq++]));
    PetscCallMPI(MPI_Isend(rec[f].v, (int)(rec[f].n * PRC_IAGA_NCH), MPI_DOUBLE, dst, (int)(2 * f + 1), ctx->comm, &req[nreq++]));
  }
  for (int f = 0; f < nf; f++) {
    if (owner[stof[f]] != ctx->rank || ownerf[f] == ctx->rank) continue;
    PetscCallMPI(MPI_Recv(&rec[f], (int)sizeof(prc_iaga), MPI_BYTE, (int)ownerf[f], 2 * f, ctx->comm, MPI_STATUS_IGNORE));
    rec[f].v = malloc((size_t)rec[f].n * PRC_IAGA_NCH * sizeof(double) + 1);
    PetscCheck(rec[f].v, PETSC_COMM_SELF, PETSC_ERR_MEM, "out of memory for %s", paths[f]);
    PetscCallMPI(MPI_Recv(rec[f].v, (int)(rec[f].n * PRC_IAGA_NCH), MPI_DOUBLE, (int)ownerf[f], 2 * f + 1, ctx->comm,
                          MPI_STATUS_IGNORE));
  }
  PetscCallMPI(MPI_Waitall(nreq, req, MPI_STATUSES_IGNORE));
  PetscCall(PetscFree(req));
  for (int f = 0; f < nf; f++)
    if (owner[stof[f]] != ctx->rank) prc_iaga_free(&rec[f]);

  /* merge, resample, gaps on the owner */
  station_info *si;
  prc_iaga     *merged;
  double     *(*val)[PRC_IAGA_NCH];
  int64_t    *(*gap)[PRC_IAGA_NCH];
  prc_iaga     *parts;
  PetscCall(PetscCalloc4(ns, &si, ns, &merged, ns, &val, ns, &gap));
  PetscCall(PetscMalloc1(nf, &parts));
  for (int s = 0; s < ns && ok; s++) {
    if (owner[s] != ctx->rank) continue;
    int np = 0;
    for (int f = 0; f < nf; f++)
      if (stof[f] == s) parts[np++] = rec[f];
    if (prc_iaga_merge(parts, np, &merged[s])) {
      ok = 0, snprintf(msg, sizeof msg, "%s", prc_lasterr());
      break;
    }
    prc_iaga *M = &merged[s];
    si[s].rec = *M;
    si[s].rec.v = NULL;
    for (int c = 0; c < PRC_IAGA_NCH && ok; c++) {
      double *x = malloc((size_t)M->n * sizeof *x + 1);
      if (!x) {
        ok = 0, snprintf(msg, sizeof msg, "out of memory for station %s", M->code);
        break;
      }
      for (int64_t i = 0; i < M->n; i++) x[i] = M->v[PRC_IAGA_NCH * i + c];
      prc_channel_meta *m = &si[s].m[c];
      snprintf(m->units, sizeof m->units, "%s", M->units[c]);
      if (resample > 0) {
        int64_t bms = (int64_t)llround(resample * 1000), nb, tb;
        double *y;
        if (prc_iaga_block_mean(x, M->n, M->t0_ms, M->dt_ms, bms, min_valid, &y, &nb, &tb)) {
          ok = 0, snprintf(msg, sizeof msg, "-iaga_resample_s %g for station %s: %s", resample, M->code, prc_lasterr());
          free(x);
          break;
        }
        free(x);
        x = y, m->n = nb, m->start_time = (double)tb / 1000, m->dt = (double)bms / 1000;
      } else
        m->n = M->n, m->start_time = (double)M->t0_ms / 1000, m->dt = (double)M->dt_ms / 1000;
      val[s][c] = x;
      m->n_gaps = prc_stations_nan_runs(x, m->n, NULL, 0);
      gap[s][c] = malloc((size_t)(2 * m->n_gaps + 2) * sizeof(int64_t));
      if (!gap[s][c]) {
        ok = 0, snprintf(msg, sizeof msg, "out of memory for station %s", M->code);
        break;
      }
      prc_stations_nan_runs(x, m->n, gap[s][c], m->n_gaps);
      for (int64_t k = 0; k < m->n_gaps; k++) si[s].nnan[c] += gap[s][c][2 * k + 1];
    }
  }
  PetscCall(PetscFree(parts));
  PetscCall(prc_agree(ctx->comm, ok, msg));
  for (int s = 0; s < ns; s++) PetscCallMPI(MPI_Bcast(&si[s], (int)sizeof(station_info), MPI_BYTE, owner[s], ctx->comm));

  /* 4. write */
  char         path[4200];
  prc_station *st;
  prc_stations_out w;
  PetscCall(PetscMalloc1(ns + 1, &st));
  for (int s = 0; s < ns; s++) {
    snprintf(st[s].code, sizeof st[s].code, "%s", si[s].rec.code);
    st[s].lat = si[s].rec.lat, st[s].lon = si[s].rec.lon, st[s].elevation_m = si[s].rec.elevation_m;
  }
  PetscCheck((size_t)snprintf(path, sizeof path, "%s/stations.h5", out) < sizeof path, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE,
             "output path too long");
  PetscCall(prc_stations_create(ctx->comm, path, ns, st, &w));
  for (int s = 0; s < ns; s++)
    for (int c = 0; c < PRC_IAGA_NCH; c++)
      PetscCall(prc_stations_write_channel(&w, si[s].rec.code, si[s].rec.chan[c], &si[s].m[c], owner[s], val[s][c], gap[s][c]));
  PetscCall(prc_stations_commit(&w, ctx));
  if (prc_opts_bool(o, "iaga_png")) {
    for (int s = 0; s < ns && ok; s++)
      if (owner[s] == ctx->rank && plot_station(out, &merged[s], &si[s], val[s]))
        ok = 0, snprintf(msg, sizeof msg, "quicklook: %s", prc_lasterr());
    PetscCall(prc_agree(ctx->comm, ok, msg));
  }

  /* summary */
  for (int s = 0; s < ns; s++) {
    const prc_iaga *R = &si[s].rec;
    char            a[32], b[32], dts[32];
    snprintf(dts, sizeof dts, "%g", (double)R->dt_ms / 1000);
    prc_time_format((double)R->t0_ms / 1000, a, sizeof a);
    prc_time_format((double)(R->t0_ms + (R->n - 1) * R->dt_ms) / 1000, b, sizeof b);
    PetscCall(PetscPrintf(ctx->comm,
                          "[import-iaga] %s (%s) %.3f N %.3f E %.0f m, %s, %s; %d file(s), %s .. %s, %lld samples at %s s; "
                          "overlap %lld samples (equal, kept once), between files %lld, absent lines %lld, repeated lines %lld\n",
                          R->code, R->name, R->lat, R->lon, R->elevation_m, R->reported, R->data_type, R->nfiles, a, b,
                          (long long)R->n, dts, (long long)R->n_overlap, (long long)R->n_between,
                          (long long)R->n_absent, (long long)R->n_dup));
    for (int c = 0; c < PRC_IAGA_NCH; c++) {
      snprintf(dts, sizeof dts, "%g", si[s].m[c].dt);
      PetscCall(PetscPrintf(ctx->comm,
                            "[import-iaga]   %s/%s [%s]: %lld missing (99999), %lld not recorded (88888); written %lld samples "
                            "at %s s, %lld NaN in %lld gaps\n",
                            R->code, R->chan[c], si[s].m[c].units, (long long)R->n_missing[c], (long long)R->n_notrec[c],
                            (long long)si[s].m[c].n, dts, (long long)si[s].nnan[c], (long long)si[s].m[c].n_gaps));
    }
  }
  PetscCall(PetscPrintf(ctx->comm, "[import-iaga] %d station(s) from %d file(s) on %d rank(s) -> %s%s\n", ns, nf, ctx->size,
                        path, prc_opts_bool(o, "iaga_png") ? " (+ iaga_<CODE>.png)" : ""));

  for (int s = 0; s < ns; s++) {
    prc_iaga_free(&merged[s]);
    for (int c = 0; c < PRC_IAGA_NCH; c++) free(val[s][c]), free(gap[s][c]);
  }
  for (int f = 0; f < nf; f++) {
    prc_iaga_free(&rec[f]);
    PetscCall(PetscFree(paths[f]));
  }
  PetscCall(PetscFree(paths));
  PetscCall(PetscFree4(si, merged, val, gap));
  PetscCall(PetscFree(st));
  PetscCall(PetscFree(stof));
  PetscCall(PetscFree3(sidx, owner, slen));
  PetscCall(PetscFree3(code, flen, ownerf));
  PetscCall(PetscFree(rec));
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_import_iaga = {"import-iaga", "import IAGA-2002 geomagnetic records into a station set (stations.h5)",
                                         iaga_opts, (int)(sizeof iaga_opts / sizeof iaga_opts[0]), iaga_validate, iaga_run};

/* stage_import_stead.c — `precursor import-stead`: a STEAD-style waveform set (HDF5
 * /data/<trace_name> float (npts, 3) + a CSV of per-trace metadata) -> waveforms.h5.
 *
 * Every rank parses the CSV (the same verdict everywhere); ranks take contiguous blocks
 * of the CSV rows, read their traces with the serial HDF5 driver (src/io/read_stead.c),
 * check them and find their components (single-component traces: one column kept); the
 * metadata is gathered and every trace is written collectively by the rank that read it,
 * in CSV order, so the file does not depend on the rank count. HDF5 traces that the CSV
 * does not list are counted, named in the summary and not imported. docs/FORMATS.md
 * describes the mapping. */
#include <math.h>
#include <string.h>

#include "precursor/decomp.h"
#include "precursor/error.h"
#include "precursor/plot.h"
#include "precursor/progress.h"
#include "precursor/read_stead.h"
#include "precursor/stage.h"
#include "precursor/timeutil.h"
#include "precursor/waveforms.h"

static const prc_opt_spec stead_opts[] = {
  {"stead_h5", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "STEAD-style HDF5 file (/data/<trace_name> float (npts, 3))"},
  {"stead_csv", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "its CSV of per-trace metadata (trace_name, p_arrival_sample, ...)"},
  {"stead_require_labels", PRC_OPT_BOOL, "true", PRC_NO_RANGE,
   "every trace must have P and S sample indices within the trace (false: missing labels stored as -1)"},
  {"stead_rate", PRC_OPT_REAL, "100", 1e-3, 1e5, "sampling rate (Hz) used only when neither the CSV nor the HDF5 attributes give one (STEAD: 100)"},
  {"stead_png", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "write PNG quicklooks of labelled traces (P and S marked)"},
  {"stead_png_max", PRC_OPT_INT, "4", 0, 1000, "at most this many quicklooks (labelled 3-component traces first)"},
};

static const char *base_name(const char *p)
{
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

static const prc_stead_row *g_rows;
static int                  name_cmp(const void *a, const void *b)
{
  return strcmp(g_rows[*(const int64_t *)a].name, g_rows[*(const int64_t *)b].name);
}

/* one trace, its components normalised and offset, P and S as vertical lines (read back from the output) */
static PetscErrorCode quicklook(const char *dir, const char *h5, const prc_wave_meta *m, int *ok)
{
  char path[4096], title[256], t0[32], dn[PRC_WAVE_NAME + 16];
  PetscFunctionBeginUser;
  hid_t fid = H5Fopen(h5, H5F_ACC_RDONLY, H5P_DEFAULT);
  PetscCheck(fid >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot reopen '%s' for quicklooks", h5);
  snprintf(dn, sizeof dn, "waveforms/%s", m->name);
  float *buf;
  PetscCall(PetscMalloc1((size_t)m->n * m->ncomp, &buf));
  hid_t  d = H5Dopen2(fid, dn, H5P_DEFAULT);
  herr_t e = d >= 0 ? H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : -1;
  if (d >= 0) H5Dclose(d);
  H5Fclose(fid);
  PetscCheck(e >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "quicklook read of /%s from '%s' failed", dn, h5);
  double *x, *y;
  PetscCall(PetscMalloc2((size_t)m->n, &x, (size_t)m->n * m->ncomp, &y));
  prc_series s[3];
  char       lab[3][16];
  for (int64_t i = 0; i < m->n; i++) x[i] = (double)i / m->rate;
  const char *cs = m->components;
  for (int c = 0; c < m->ncomp; c++) {
    double mean = 0, amax = 0;
    for (int64_t i = 0; i < m->n; i++) mean += buf[i * m->ncomp + c];
    mean /= (double)m->n;
    for (int64_t i = 0; i < m->n; i++) amax = fmax(amax, fabs(buf[i * m->ncomp + c] - mean));
    double *yc = y + (size_t)c * m->n, off = 2.2 * (m->ncomp - 1 - c);
    for (int64_t i = 0; i < m->n; i++) yc[i] = (buf[i * m->ncomp + c] - mean) / (amax > 0 ? amax : 1) + off;
    snprintf(lab[c], sizeof lab[c], "%.*s", (int)strcspn(cs, ","), cs);
    cs += strcspn(cs, ",");
    if (*cs) cs++;
    s[c] = (prc_series){x, yc, (int)m->n, lab[c], 0};
  }
  double vl[2];
  int    nv = 0;
  if (m->p_sample >= 0) vl[nv++] = (double)m->p_sample / m->rate;
  if (m->s_sample >= 0) vl[nv++] = (double)m->s_sample / m->rate;
  prc_time_format(m->start, t0, sizeof t0);
  snprintf(title, sizeof title, "%s (%s), %g Hz: P at %.2f s, S at %.2f s (dashed lines)", m->name, m->components, m->rate,
           m->p_sample >= 0 ? m->p_sample / m->rate : NAN, m->s_sample >= 0 ? m->s_sample / m->rate : NAN);
  char xl[80];
  snprintf(xl, sizeof xl, "seconds after %s (trace start)", t0);
  prc_lines_style ls = {.title = title, .xlabel = xl, .ylabel = "normalised counts + offset", .width = 1200, .height = 500,
                        .vlines = vl, .nvlines = nv};
  snprintf(path, sizeof path, "%s/waveform_%s.png", dir, m->name);
  if (prc_plot_lines_png(path, s, m->ncomp, &ls)) *ok = 0;
  PetscCall(PetscFree2(x, y));
  PetscCall(PetscFree(buf));
  PetscFunctionReturn(0);
}

static PetscErrorCode stead_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  const char     *h5 = prc_opts_string(o, "stead_h5"), *csv = prc_opts_string(o, "stead_csv"), *out = prc_opts_string(o, "out_dir");
  int             require = prc_opts_bool(o, "stead_require_labels");
  double          defrate = prc_opts_real(o, "stead_rate");
  PetscFunctionBeginUser;
  PetscCall(prc_ctx_add_input(ctx, csv));
  PetscCall(prc_ctx_add_input(ctx, h5));
  /* the CSV: parsed by every rank, so every rank reaches the same verdict */
  prc_stead_row     *rows;
  int64_t            n;
  prc_stead_csv_info info;
  int                rc = prc_stead_csv_read(csv, require, &rows, &n, &info);
  PetscCheck(!rc, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "%s", prc_lasterr());
  PetscCheck(n < 2000000000, ctx->comm, PETSC_ERR_SUP, "%s: %lld traces (at most 2e9)", csv, (long long)n);
  /* my block of traces */
  int64_t i0, cnt;
  prc_partition_1d(n, ctx->size, ctx->rank, &i0, &cnt);
  prc_wave_meta *lm;
  float        **data;
  int            from_count[3] = {0, 0, 0};
  PetscCall(PetscCalloc2(cnt + 1, &lm, cnt + 1, &data));
  prc_progress pr;
  prc_progress_start(&pr, ctx->comm, "import-stead", "traces read", "traces", (double)cnt, prc_opts_real(o, "progress_interval"),
                     prc_opts_bool(o, "quiet"));
  hid_t fid = -1;
  if (cnt > 0 || ctx->rank == 0) PetscCall(prc_stead_open(h5, &fid));
  for (int64_t k = 0; k < cnt; k++) {
    prc_stead_row *r = &rows[i0 + k];
    prc_wave_meta *W = &lm[k];
    float         *x;
    int64_t        np;
    int            rf, col[3];
    PetscCall(prc_stead_read_trace(fid, h5, csv, r, defrate, &x, &np, &rf));
    from_count[rf]++;
    if (prc_stead_components(x, np, r->channels, r->name, &W->ncomp, col, W->components, sizeof W->components, &W->present)) {
      PetscCall(PetscFree(x));
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s:%ld / '%s': %s", csv, r->line, h5, prc_lasterr());
    }
    snprintf(W->name, sizeof W->name, "%s", r->name);
    snprintf(W->network, sizeof W->network, "%s", r->network), snprintf(W->station, sizeof W->station, "%s", r->station);
    snprintf(W->location, sizeof W->location, "%s", r->location), snprintf(W->category, sizeof W->category, "%s", r->category);
    snprintf(W->source, sizeof W->source, "%s", base_name(h5));
    W->rate = W->orig_rate = r->rate, W->start = r->start, W->n = np, W->p_sample = r->p, W->s_sample = r->s, W->up = W->down = 1;
    W->has_event = info.n_event_cols > 0, W->ev_time = r->ev_time, W->ev_lat = r->ev_lat, W->ev_lon = r->ev_lon;
    W->ev_depth_km = r->ev_depth_km, W->ev_mag = r->ev_mag;
    if (W->ncomp == 3) data[k] = x;
    else {
      PetscCall(PetscMalloc1((size_t)np, &data[k]));
      for (int64_t i = 0; i < np; i++) data[k][i] = x[i * 3 + col[0]];
      PetscCall(PetscFree(x));
    }
    prc_progress_update(&pr, (double)(k + 1));
  }
  prc_progress_end(&pr);
  /* gather the metadata (CSV order = rank order of the blocks) */
  PetscMPIInt *bc, *bd, nb = (PetscMPIInt)(cnt * (int64_t)sizeof(prc_wave_meta));
  PetscCheck((double)n * sizeof(prc_wave_meta) < 2e9, ctx->comm, PETSC_ERR_SUP, "%lld traces: metadata too large to gather", (long long)n);
  PetscCall(PetscMalloc2(ctx->size, &bc, ctx->size, &bd));
  PetscCallMPI(MPI_Allgather(&nb, 1, MPI_INT, bc, 1, MPI_INT, ctx->comm));
  for (int q = 0, t = 0; q < ctx->size; q++) bd[q] = t, t += bc[q];
  prc_wave_meta *wm;
  PetscCall(PetscMalloc1(n, &wm));
  PetscCallMPI(MPI_Allgatherv(lm, nb, MPI_BYTE, wm, bc, bd, MPI_BYTE, ctx->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, from_count, 3, MPI_INT, MPI_SUM, ctx->comm));
  /* HDF5 traces the CSV does not list (rank 0 lists /data) */
  int64_t nextra = 0;
  char    extra[512] = "";
  if (ctx->rank == 0) {
    int64_t *order;
    PetscCall(PetscMalloc1(n, &order));
    for (int64_t i = 0; i < n; i++) order[i] = i;
    g_rows = rows;
    qsort(order, (size_t)n, sizeof *order, name_cmp);
    PetscCall(prc_stead_extra_traces(fid, rows, order, n, &nextra, extra, sizeof extra));
    PetscCall(PetscFree(order));
  }
  if (fid >= 0) H5Fclose(fid);
  PetscCallMPI(MPI_Bcast(&nextra, 1, MPI_INT64_T, 0, ctx->comm));
  PetscCallMPI(MPI_Bcast(extra, sizeof extra, MPI_CHAR, 0, ctx->comm));
  /* write */
  char      path[4096];
  prc_h5out F;
  PetscCheck((size_t)snprintf(path, sizeof path, "%s/waveforms.h5", out) < sizeof path, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "output path too long");
  PetscCall(prc_h5_create(ctx->comm, path, "waveforms", &F));
  PetscCall(prc_h5_attr_str(F.fid, "source_format", "STEAD-style HDF5 (/data/<trace_name> float (npts, 3)) + CSV of per-trace metadata"));
  PetscCall(prc_h5_attr_double(F.fid, "target_sampling_rate", 0));
  PetscCall(prc_h5_attr_str(F.fid, "target_sampling_rate_meaning", "0: recorded rates kept"));
  PetscCall(prc_h5_attr_str(F.fid, "source_csv", base_name(csv)));
  PetscCall(prc_h5_attr_int(F.fid, "n_hdf5_traces_not_in_csv", nextra));
  PetscCall(prc_h5_attr_int(F.fid, "labels_required", require));
  int nint = n > 2147483647 ? 2147483647 : (int)n;
  PetscCall(prc_wave_create(F.fid, nint, wm));
  for (int64_t i = 0; i < n; i++) {
    int me = i >= i0 && i < i0 + cnt;
    PetscCall(prc_wave_write_set(F.fid, &wm[i], me ? data[i - i0] : NULL, me));
  }
  PetscCall(prc_wave_write_tables(ctx->comm, F.fid, nint, wm, 0, NULL, 0, NULL));
  PetscCall(prc_wave_write_extra_cols(ctx->comm, F.fid, nint, wm, info.n_event_cols > 0));
  PetscCall(prc_h5_commit(&F, ctx));
  /* quicklooks (rank 0, from the file): labelled 3-component traces first, then labelled single-component ones */
  int ok = 1, nq = 0;
  if (prc_opts_bool(o, "stead_png") && !ctx->rank)
    for (int pass = 0; pass < 2; pass++)
      for (int64_t i = 0; i < n && nq < prc_opts_int(o, "stead_png_max") && ok; i++)
        if (wm[i].p_sample >= 0 && wm[i].s_sample >= 0 && (wm[i].ncomp == 3 && wm[i].present == 3) == !pass) {
          PetscCall(quicklook(out, path, &wm[i], &ok));
          nq++;
        }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, ctx->comm));
  PetscCheck(ok, ctx->comm, PETSC_ERR_FILE_WRITE, "writing the PNG quicklooks in '%s' failed: %s", out, prc_lasterr());
  /* summary */
  int64_t n3 = 0, n3dead = 0, n1 = 0, np_ = 0, ns_ = 0, nev = 0, samples = 0;
  double  t0 = INFINITY, t1 = -INFINITY, rmin = INFINITY, rmax = -INFINITY;
  for (int64_t i = 0; i < n; i++) {
    if (wm[i].ncomp == 3) wm[i].present == 3 ? n3++ : n3dead++;
    else n1++;
    np_ += wm[i].p_sample >= 0, ns_ += wm[i].s_sample >= 0, samples += wm[i].n;
    nev += wm[i].has_event && (isfinite(wm[i].ev_time) || isfinite(wm[i].ev_lat) || isfinite(wm[i].ev_mag));
    t0 = fmin(t0, wm[i].start), t1 = fmax(t1, wm[i].start);
    rmin = fmin(rmin, wm[i].rate), rmax = fmax(rmax, wm[i].rate);
  }
  char a[32], b[32];
  prc_time_format(t0, a, sizeof a), prc_time_format(t1, b, sizeof b);
  prc_say(ctx->comm, "[import-stead] %lld trace(s) from %s + %s: %lld three-component, %lld single-component, %lld three-channel with dead column(s)\n",
          (long long)n, base_name(h5), base_name(csv), (long long)n3, (long long)n1, (long long)n3dead);
  char rs[64];
  if (rmin == rmax) snprintf(rs, sizeof rs, "%g", rmin);
  else snprintf(rs, sizeof rs, "%g .. %g", rmin, rmax);
  prc_say(ctx->comm, "[import-stead] sampling rate %s Hz (%d from the CSV, %d from HDF5 attributes, %d the -stead_rate default); %lld samples per component in all\n",
          rs, from_count[0], from_count[1], from_count[2], (long long)samples);
  prc_say(ctx->comm, "[import-stead] labels: P present in %lld, S present in %lld of %lld trace(s); event metadata in %lld (%d source_* column(s))\n",
          (long long)np_, (long long)ns_, (long long)n, (long long)nev, info.n_event_cols);
  prc_say(ctx->comm, "[import-stead] trace start times %s .. %s\n", a, b);
  if (nextra)
    prc_say(ctx->comm, "[import-stead] %lld trace(s) of %s not listed in the CSV, not imported: %s%s\n", (long long)nextra, base_name(h5), extra,
            nextra > 5 ? ", ..." : "");
  prc_say(ctx->comm, "[import-stead] output %s%s\n", path, nq ? " + waveform_*.png" : "");
  for (int64_t k = 0; k < cnt; k++) PetscCall(PetscFree(data[k]));
  PetscCall(PetscFree2(lm, data));
  PetscCall(PetscFree2(bc, bd));
  PetscCall(PetscFree(wm));
  free(rows);
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_import_stead = {"import-stead", "STEAD-style HDF5 + CSV waveform set -> waveforms.h5 (P/S labels, components)",
                                          stead_opts, (int)(sizeof stead_opts / sizeof stead_opts[0]), NULL, stead_run};

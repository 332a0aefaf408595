/* waveforms_h5.c — write the waveforms file of the data model (include/precursor/waveforms.h). */
#include "precursor/waveforms.h"

#include <math.h>
#include <string.h>

PetscErrorCode prc_wave_create(hid_t fid, int n, const prc_wave_meta *m)
{
  hid_t g;
  char  fn[1024];
  PetscFunctionBeginUser;
  PetscCall(prc_h5_group(fid, "waveforms", &g));
  PetscCall(prc_h5_attr_int(g, "n_traces", n));
  for (int i = 0; i < n; i++) {
    hsize_t dims[2] = {(hsize_t)m[i].n, (hsize_t)m[i].ncomp};
    hid_t   sp = H5Screate_simple(2, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    float   nanv = NAN;
    H5Pset_fill_value(dcpl, H5T_NATIVE_FLOAT, &nanv);
    H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY);
    hid_t d = H5Dcreate2(g, m[i].name, H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Sclose(sp), H5Pclose(dcpl);
    PetscCheck(d >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot create /waveforms/%s in '%s'", m[i].name,
               prc_h5_filename(fid, fn, sizeof fn));
    PetscCall(prc_h5_attr_str(d, "network", m[i].network));
    PetscCall(prc_h5_attr_str(d, "station", m[i].station));
    PetscCall(prc_h5_attr_str(d, "location", m[i].location));
    PetscCall(prc_h5_attr_str(d, "components", m[i].components));
    PetscCall(prc_h5_attr_int(d, "n_components_present", m[i].present));
    PetscCall(prc_h5_attr_double(d, "sampling_rate", m[i].rate));
    PetscCall(prc_h5_attr_double(d, "start_time", m[i].start));
    PetscCall(prc_h5_attr_str(d, "units", "counts (as recorded; no instrument correction)"));
    PetscCall(prc_h5_attr_int(d, "n_gaps", m[i].n_gaps));
    PetscCall(prc_h5_attr_int(d, "n_overlaps", m[i].n_overlaps));
    PetscCall(prc_h5_attr_str(d, "source", m[i].source));
    if (m[i].category[0]) PetscCall(prc_h5_attr_str(d, "category", m[i].category));
    if (m[i].p_sample >= 0) PetscCall(prc_h5_attr_int(d, "p_sample", m[i].p_sample));
    if (m[i].s_sample >= 0) PetscCall(prc_h5_attr_int(d, "s_sample", m[i].s_sample));
    if (m[i].has_event) {
      const char  *en[5] = {"event_time", "event_lat", "event_lon", "event_depth_km", "event_mag"};
      const double ev[5] = {m[i].ev_time, m[i].ev_lat, m[i].ev_lon, m[i].ev_depth_km, m[i].ev_mag};
      for (int k = 0; k < 5; k++)
        if (isfinite(ev[k])) PetscCall(prc_h5_attr_double(d, en[k], ev[k]));
    }
    if (m[i].up != m[i].down) {
      PetscCall(prc_h5_attr_double(d, "original_sampling_rate", m[i].orig_rate));
      PetscCall(prc_h5_attr_int(d, "resample_up", m[i].up));
      PetscCall(prc_h5_attr_int(d, "resample_down", m[i].down));
      PetscCall(prc_h5_attr_str(d, "resample_filter", m[i].resample_filter));
    }
    H5Dclose(d);
  }
  H5Gclose(g);
  PetscFunctionReturn(0);
}

static PetscErrorCode write_block(hid_t fid, const prc_wave_meta *m, int64_t r0, int64_t nr, int c0, int nc, const float *data)
{
  char    fn[1024], path[PRC_WAVE_NAME + 16];
  hsize_t start[2] = {(hsize_t)r0, (hsize_t)c0}, count[2] = {(hsize_t)nr, (hsize_t)nc}, one = 1;
  PetscFunctionBeginUser;
  snprintf(path, sizeof path, "waveforms/%s", m->name);
  hid_t d = H5Dopen2(fid, path, H5P_DEFAULT);
  PetscCheck(d >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot open /%s in '%s'", path, prc_h5_filename(fid, fn, sizeof fn));
  hid_t fsp = H5Dget_space(d), msp;
  PetscCheck(r0 >= 0 && r0 + nr <= m->n, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "rows %lld..%lld outside /%s (%lld rows)", (long long)r0,
             (long long)(r0 + nr), path, (long long)m->n);
  if (count[0] && m->n) {
    H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL);
    msp = H5Screate_simple(2, count, NULL);
  } else {
    H5Sselect_none(fsp);
    msp = H5Screate_simple(1, &one, NULL);
    H5Sselect_none(msp);
  }
  hid_t x = H5Pcreate(H5P_DATASET_XFER);
  H5Pset_dxpl_mpio(x, H5FD_MPIO_COLLECTIVE);
  herr_t e = m->n ? H5Dwrite(d, H5T_NATIVE_FLOAT, msp, fsp, x, data) : 0;
  H5Pclose(x), H5Sclose(msp), H5Sclose(fsp), H5Dclose(d);
  PetscCheck(e >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "writing /%s in '%s' failed (disk full?)", path,
             prc_h5_filename(fid, fn, sizeof fn));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_wave_write_column(hid_t fid, const prc_wave_meta *m, int comp, const float *data, int mine)
{
  PetscFunctionBeginUser;
  PetscCall(write_block(fid, m, 0, mine ? m->n : 0, comp, 1, data));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_wave_write_set(hid_t fid, const prc_wave_meta *m, const float *data, int mine)
{
  PetscFunctionBeginUser;
  PetscCall(write_block(fid, m, 0, mine ? m->n : 0, 0, m->ncomp, data));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_wave_write_rows(hid_t fid, const prc_wave_meta *m, int64_t r0, int64_t nr, const float *data)
{
  PetscFunctionBeginUser;
  PetscCall(write_block(fid, m, r0, nr, 0, m->ncomp, data));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_wave_write_tables(MPI_Comm comm, hid_t fid, int n, const prc_wave_meta *m, int ngaps,
                                     const prc_wave_span *gaps, int noverlaps, const prc_wave_span *overlaps)
{
  hid_t g;
  PetscFunctionBeginUser;
  size_t nn = n ? (size_t)n : 1;
  char (*s64)[PRC_WAVE_NAME], (*s16)[PRC_WAVE_CODE], (*s48)[PRC_WAVE_COMPS];
  double  *d;
  int64_t *iv;
  PetscCall(PetscCalloc5(nn, &s64, nn, &s16, nn, &s48, nn, &d, nn, &iv)); /* zeroed: the bytes after each string's NUL are written too */
  hid_t t64 = prc_h5_strtype(PRC_WAVE_NAME), t16 = prc_h5_strtype(PRC_WAVE_CODE), t48 = prc_h5_strtype(PRC_WAVE_COMPS);
  PetscCall(prc_h5_group(fid, "trace_table", &g));
  PetscCall(prc_h5_attr_str(g, "description", "one row per /waveforms dataset, in the same order"));
#define STRCOL(col, buf, typ, len, field)                                                                          \
  do {                                                                                                             \
    for (int i = 0; i < n; i++) snprintf(buf[i], len, "%s", m[i].field);                                        \
    PetscCall(prc_h5_write_col(comm, g, col, typ, (hsize_t)n, buf));                                               \
  } while (0)
#define NUMCOL(col, buf, typ, expr)                                                                                \
  do {                                                                                                             \
    for (int i = 0; i < n; i++) buf[i] = (expr);                                                                   \
    PetscCall(prc_h5_write_col(comm, g, col, typ, (hsize_t)n, buf));                                               \
  } while (0)
  STRCOL("name", s64, t64, PRC_WAVE_NAME, name);
  STRCOL("network", s16, t16, PRC_WAVE_CODE, network);
  STRCOL("station", s16, t16, PRC_WAVE_CODE, station);
  STRCOL("location", s16, t16, PRC_WAVE_CODE, location);
  STRCOL("components", s48, t48, PRC_WAVE_COMPS, components);
  STRCOL("source", s64, t64, PRC_WAVE_NAME, source);
  NUMCOL("sampling_rate", d, H5T_NATIVE_DOUBLE, m[i].rate);
  NUMCOL("original_sampling_rate", d, H5T_NATIVE_DOUBLE, m[i].orig_rate);
  NUMCOL("start_time", d, H5T_NATIVE_DOUBLE, m[i].start);
  NUMCOL("nsamples", iv, H5T_NATIVE_INT64, m[i].n);
  NUMCOL("n_components", iv, H5T_NATIVE_INT64, m[i].ncomp);
  NUMCOL("n_components_present", iv, H5T_NATIVE_INT64, m[i].present);
  NUMCOL("n_gaps", iv, H5T_NATIVE_INT64, m[i].n_gaps);
  NUMCOL("n_overlaps", iv, H5T_NATIVE_INT64, m[i].n_overlaps);
  NUMCOL("p_sample", iv, H5T_NATIVE_INT64, m[i].p_sample);
  NUMCOL("s_sample", iv, H5T_NATIVE_INT64, m[i].s_sample);
#undef STRCOL
#undef NUMCOL
  H5Gclose(g);
  H5Tclose(t64), H5Tclose(t16), H5Tclose(t48);
  PetscCall(PetscFree5(s64, s16, s48, d, iv));
  const char          *gn[2] = {"gaps", "overlaps"};
  const prc_wave_span *sp[2] = {gaps, overlaps};
  int                  ns[2] = {ngaps, noverlaps};
  for (int k = 0; k < 2; k++) {
    int64_t *col;
    PetscCall(PetscMalloc1(ns[k] + 1, &col));
    PetscCall(prc_h5_group(fid, gn[k], &g));
    PetscCall(prc_h5_attr_str(g, "description", k ? "rows delivered twice in the source (the later copy was dropped)"
                                                  : "rows with no data in the source (NaN in /waveforms)"));
    const char *cn[4] = {"trace", "component", "first", "count"};
    for (int c = 0; c < 4; c++) {
      for (int i = 0; i < ns[k]; i++) col[i] = c == 0 ? sp[k][i].trace : c == 1 ? sp[k][i].component : c == 2 ? sp[k][i].first : sp[k][i].count;
      PetscCall(prc_h5_write_col(comm, g, cn[c], H5T_NATIVE_INT64, (hsize_t)ns[k], col));
    }
    H5Gclose(g);
    PetscCall(PetscFree(col));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode prc_wave_write_extra_cols(MPI_Comm comm, hid_t fid, int n, const prc_wave_meta *m, int with_event)
{
  hid_t g;
  PetscFunctionBeginUser;
  size_t nn = n ? (size_t)n : 1;
  char (*s32)[32];
  double *d;
  PetscCall(PetscCalloc2(nn, &s32, nn, &d)); /* zeroed: fixed-length strings are written whole */
  hid_t t32 = prc_h5_strtype(32);
  g = H5Gopen2(fid, "trace_table", H5P_DEFAULT);
  PetscCheck(g >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "no /trace_table yet (call prc_wave_write_tables first)");
  for (int i = 0; i < n; i++) snprintf(s32[i], 32, "%s", m[i].category);
  PetscCall(prc_h5_write_col(comm, g, "category", t32, (hsize_t)n, s32));
  if (with_event) {
    const char *en[5] = {"event_time", "event_lat", "event_lon", "event_depth_km", "event_mag"};
    for (int k = 0; k < 5; k++) {
      for (int i = 0; i < n; i++)
        d[i] = k == 0 ? m[i].ev_time : k == 1 ? m[i].ev_lat : k == 2 ? m[i].ev_lon : k == 3 ? m[i].ev_depth_km : m[i].ev_mag;
      PetscCall(prc_h5_write_col(comm, g, en[k], H5T_NATIVE_DOUBLE, (hsize_t)n, d));
    }
  }
  H5Gclose(g);
  H5Tclose(t32);
  PetscCall(PetscFree2(s32, d));
  PetscFunctionReturn(0);
}

/* ---- reading ---- */
static PetscErrorCode attr_ll(hid_t d, const char *name, long long *v, long long dflt)
{
  double x;
  int    found;
  PetscFunctionBeginUser;
  PetscCall(prc_h5_attr_get_double(d, name, &x, &found));
  *v = found ? (long long)llround(x) : dflt;
  PetscFunctionReturn(0);
}

PetscErrorCode prc_wave_open_read(MPI_Comm comm, const char *path, hid_t *fid, int *n, prc_wave_meta **out)
{
  char           kind[64];
  int            found, rank;
  hsize_t        dims[8];
  prc_wave_meta *m;
  PetscFunctionBeginUser;
  *out = NULL, *n = 0;
  PetscCall(prc_h5_open(comm, path, fid));
  PetscCall(prc_h5_attr_get_str(*fid, "precursor_kind", kind, sizeof kind, &found));
  PetscCheck(found && !strcmp(kind, "waveforms"), comm, PETSC_ERR_FILE_UNEXPECTED,
             "'%s' is not a waveforms file (precursor_kind '%s'; write one with import-mseed, import-stead or synth-waves)", path,
             found ? kind : "(none)");
  PetscCall(prc_h5_dims(*fid, "trace_table/name", &rank, dims));
  PetscCheck(rank == 1 && dims[0] < (1u << 30), comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /trace_table/name is not a column", path);
  int nt = (int)dims[0];
  PetscCall(PetscCalloc1(nt ? nt : 1, &m));
  char (*names)[PRC_WAVE_NAME];
  PetscCall(PetscCalloc1(nt ? nt : 1, &names));
  hid_t   t64 = prc_h5_strtype(PRC_WAVE_NAME);
  hsize_t st[1] = {0}, ct[1] = {(hsize_t)nt};
  PetscCall(prc_h5_read_nd(*fid, "trace_table/name", t64, st, ct, names));
  H5Tclose(t64);
  for (int i = 0; i < nt; i++) {
    char   dn[PRC_WAVE_NAME + 16], buf[512];
    double x;
    snprintf(m[i].name, sizeof m[i].name, "%s", names[i]);
    snprintf(dn, sizeof dn, "waveforms/%s", names[i]);
    int     r;
    hsize_t dd[8];
    PetscCall(prc_h5_dims(*fid, dn, &r, dd));
    PetscCheck(r == 2 && (dd[1] == 1 || dd[1] == 3), comm, PETSC_ERR_FILE_UNEXPECTED,
               "'%s': set '%s' is not (samples, 1 or 3 components)", path, names[i]);
    m[i].n = (int64_t)dd[0], m[i].ncomp = (int)dd[1];
    hid_t d = H5Dopen2(*fid, dn, H5P_DEFAULT);
    PetscCheck(d >= 0, comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': cannot open set '%s'", path, dn);
    PetscCall(prc_h5_attr_get_double(d, "sampling_rate", &m[i].rate, NULL));
    PetscCall(prc_h5_attr_get_double(d, "start_time", &m[i].start, NULL));
    PetscCheck(isfinite(m[i].rate) && m[i].rate > 0 && isfinite(m[i].start), comm, PETSC_ERR_FILE_UNEXPECTED,
               "'%s': set '%s' has sampling_rate %g and start_time %g (need a positive rate and a finite start)", path, names[i],
               m[i].rate, m[i].start);
    PetscCall(prc_h5_attr_get_str(d, "network", m[i].network, sizeof m[i].network, &found));
    PetscCall(prc_h5_attr_get_str(d, "station", m[i].station, sizeof m[i].station, &found));
    PetscCall(prc_h5_attr_get_str(d, "location", m[i].location, sizeof m[i].location, &found));
    PetscCall(prc_h5_attr_get_str(d, "components", m[i].components, sizeof m[i].components, &found));
    PetscCall(prc_h5_attr_get_str(d, "category", m[i].category, sizeof m[i].category, &found));
    memset(buf, 0, sizeof buf);
    PetscCall(prc_h5_attr_get_str(d, "source", buf, sizeof buf, &found));
    memcpy(m[i].source, buf, sizeof m[i].source - 1); /* long names cut to the field */
    long long v;
    PetscCall(attr_ll(d, "n_components_present", &v, m[i].ncomp));
    m[i].present = (int)v;
    PetscCall(attr_ll(d, "p_sample", &v, -1));
    m[i].p_sample = v;
    PetscCall(attr_ll(d, "s_sample", &v, -1));
    m[i].s_sample = v;
    PetscCall(attr_ll(d, "n_gaps", &v, 0));
    m[i].n_gaps = (int)v;
    m[i].orig_rate = m[i].rate, m[i].up = m[i].down = 1;
    m[i].ev_time = m[i].ev_lat = m[i].ev_lon = m[i].ev_depth_km = m[i].ev_mag = NAN;
    PetscCall(prc_h5_attr_get_double(d, "event_time", &x, &found));
    if (found && isfinite(x)) m[i].has_event = 1, m[i].ev_time = x;
    PetscCall(prc_h5_attr_get_double(d, "event_mag", &x, &found));
    if (found) m[i].ev_mag = x;
    H5Dclose(d);
  }
  PetscCall(PetscFree(names));
  *n = nt, *out = m;
  PetscFunctionReturn(0);
}

PetscErrorCode prc_wave_read_rows(hid_t fid, const prc_wave_meta *m, int64_t r0, int64_t nr, float *buf)
{
  char    dn[PRC_WAVE_NAME + 16];
  hsize_t st[2] = {(hsize_t)(nr ? r0 : 0), 0}, ct[2] = {(hsize_t)nr, (hsize_t)(nr ? m->ncomp : 0)};
  PetscFunctionBeginUser;
  snprintf(dn, sizeof dn, "waveforms/%s", m->name);
  PetscCall(prc_h5_read_nd(fid, dn, H5T_NATIVE_FLOAT, st, ct, buf));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_wave_open_list(prc_ctx *ctx, const char *list, const char *what, int *nfile, hid_t *fids, int *nsets, prc_wave_meta **m,
                                  int **file)
{
  char files[8192];
  int  nf = 0, ns = 0;
  PetscFunctionBeginUser;
  *m = NULL, *file = NULL;
  PetscCheck(strlen(list) < sizeof files, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "%s: the list of files is longer than %zu characters", what,
             sizeof files - 1);
  snprintf(files, sizeof files, "%s", list);
  for (char *f = strtok(files, ","); f; f = strtok(NULL, ",")) {
    PetscCheck(nf < PRC_WAVE_MAXFILES, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE, "%s: at most %d files", what, PRC_WAVE_MAXFILES);
    prc_wave_meta *mm;
    int            n;
    PetscCall(prc_wave_open_read(ctx->comm, f, &fids[nf], &n, &mm));
    PetscCall(prc_ctx_add_input(ctx, f));
    PetscCall(PetscRealloc(sizeof(prc_wave_meta) * (size_t)(ns + n + 1), m));
    PetscCall(PetscRealloc(sizeof(int) * (size_t)(ns + n + 1), file));
    for (int i = 0; i < n; i++) (*m)[ns + i] = mm[i], (*file)[ns + i] = nf;
    ns += n, nf++;
    PetscCall(PetscFree(mm));
  }
  PetscCheck(nf > 0, ctx->comm, PETSC_ERR_ARG_WRONG, "%s: no file given", what);
  *nfile = nf, *nsets = ns;
  PetscFunctionReturn(0);
}

int prc_wave_vertical(const prc_wave_meta *m)
{
  char c[PRC_WAVE_COMPS];
  int  k = 0;
  snprintf(c, sizeof c, "%s", m->components);
  for (char *s = strtok(c, ","); s; s = strtok(NULL, ","), k++) {
    size_t l = strlen(s);
    if (l && (s[l - 1] == 'Z' || s[l - 1] == 'z')) return k < m->ncomp ? k : -1;
  }
  return m->ncomp == 1 ? 0 : -1;
}

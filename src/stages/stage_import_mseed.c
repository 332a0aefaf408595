/* stage_import_mseed.c — `precursor import-mseed`: miniSEED files -> waveforms.h5.
 *
 * Ranks split the file list by size (each reads whole files with src/io/read_mseed.c),
 * optionally resample (src/signal/resample.c), then the channel metadata is gathered
 * and every rank forms the same sets: the channels of one N.S.L with the same band and
 * instrument code (first two letters) and rate, if there are exactly three with distinct
 * orientation codes, become one 3-component set on their common time span; any other
 * channel is a 1-component set. Sets are sorted by N.S.L.C and start time, so the file
 * does not depend on the number of ranks. docs/FORMATS.md describes the mapping. */
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "precursor/decomp.h"
#include "precursor/error.h"
#include "precursor/plot.h"
#include "precursor/read_mseed.h"
#include "precursor/resample.h"
#include "precursor/stage.h"
#include "precursor/timeutil.h"
#include "precursor/waveforms.h"

#define MAXFILES 4096

static const prc_opt_spec mseed_opts[] = {
  {"mseed_input", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "comma-separated miniSEED files"},
  {"mseed_rate", PRC_OPT_REAL, "0", 0, 1e5, "resample every channel to this rate, Hz (0: keep the recorded rates)"},
  {"mseed_atten_db", PRC_OPT_REAL, "80", 40, 150, "resampling filter: stop-band attenuation, dB"},
  {"mseed_transition", PRC_OPT_REAL, "0.1", 0.01, 0.5, "resampling filter: transition width, fraction of the lower Nyquist"},
  {"mseed_max_samples", PRC_OPT_INT, "500000000", 1000, 4e9, "longest trace accepted (samples, gaps included)"},
  {"mseed_png", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "write PNG quicklooks of the sets"},
  {"mseed_png_max", PRC_OPT_INT, "4", 0, 1000, "at most this many quicklooks (3-component sets first)"},
};

static int split_list(const char *s, char ***out)
{
  int    n = 0;
  char  *buf = strdup(s), *save = NULL;
  char **v = malloc(MAXFILES * sizeof(char *));
  for (char *t = strtok_r(buf, ",", &save); t && n < MAXFILES; t = strtok_r(NULL, ",", &save))
    if (*t) v[n++] = strdup(t);
  free(buf);
  *out = v;
  return n;
}

static void mseed_validate(prc_opts *o)
{
  char **v;
  int    n = split_list(prc_opts_string(o, "mseed_input"), &v);
  if (n == 0) prc_opts_violation(o, "-mseed_input: no file given");
  for (int i = 0; i < n; i++) free(v[i]);
  free(v);
  double r = prc_opts_real(o, "mseed_rate");
  if (r != 0 && r < 1e-3) prc_opts_violation(o, "-mseed_rate %g Hz is absurd (0 keeps the recorded rates)", r);
}

/* per-channel metadata exchanged between ranks (plain bytes) */
typedef struct {
  char    net[11], sta[11], loc[11], cha[11];
  char    encoding[24];
  double  start, rate, orig_rate, max_shift;
  int64_t n, nrec, rounded, dropped, local;
  int     up, down, ngaps, noverlaps, file, owner;
} chan_meta;

typedef struct {
  int64_t trace; /* global channel index */
  int64_t kind, first, count;
} span_rec;

static int chan_cmp(const chan_meta *x, const chan_meta *y)
{
  int c = strcmp(x->net, y->net);
  if (!c) c = strcmp(x->sta, y->sta);
  if (!c) c = strcmp(x->loc, y->loc);
  if (!c) c = strcmp(x->cha, y->cha);
  if (!c) c = (x->start > y->start) - (x->start < y->start);
  if (!c) c = (x->file > y->file) - (x->file < y->file);
  return c;
}
static chan_meta *g_sort;
static int        perm_cmp(const void *a, const void *b) { return chan_cmp(&g_sort[*(const int *)a], &g_sort[*(const int *)b]); }

static const char *base_name(const char *p)
{
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

typedef struct {
  int     nc, ch[3];
  int64_t off[3], n;
  double  start, max_off;
} set_def;

static PetscErrorCode quicklook(const char *dir, const char *h5, const prc_wave_meta *m, int *ok)
{
  char path[4096], title[256], t0[32];
  PetscFunctionBeginUser;
  hid_t fid = H5Fopen(h5, H5F_ACC_RDONLY, H5P_DEFAULT);
  PetscCheck(fid >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot reopen '%s' for quicklooks", h5);
  char dn[PRC_WAVE_NAME + 16];
  snprintf(dn, sizeof dn, "waveforms/%s", m->name);
  float *buf;
  PetscCall(PetscMalloc1((size_t)m->n * m->ncomp + 1, &buf));
  hid_t  d = H5Dopen2(fid, dn, H5P_DEFAULT);
  herr_t e = d >= 0 ? H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : -1;
  if (d >= 0) H5Dclose(d);
  H5Fclose(fid);
  PetscCheck(e >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "quicklook read of /%s from '%s' failed", dn, h5);
  /* min/max envelope in at most 4000 bins per component; a bin with a gap is NaN */
  int64_t nb = m->n < 4000 ? m->n : 4000, np = m->n < 4000 ? m->n : 2 * nb;
  double *x, *y;
  PetscCall(PetscMalloc2((size_t)np + 1, &x, (size_t)np * m->ncomp + 1, &y));
  prc_series s[3];
  char       lab[3][16];
  for (int c = 0; c < m->ncomp; c++) {
    double amax = 0;
    for (int64_t i = 0; i < m->n; i++)
      if (isfinite(buf[i * m->ncomp + c])) amax = fmax(amax, fabs(buf[i * m->ncomp + c] - buf[c]));
    double *yc = y + (size_t)c * np, off = 2.2 * (m->ncomp - 1 - c);
    for (int64_t b = 0; b < nb; b++) {
      int64_t i0 = b * m->n / nb, i1 = (b + 1) * m->n / nb;
      double  lo = INFINITY, hi = -INFINITY;
      int     gap = 0;
      for (int64_t i = i0; i < i1; i++) {
        double v = buf[i * m->ncomp + c];
        if (isnan(v)) gap = 1;
        else lo = fmin(lo, v), hi = fmax(hi, v);
      }
      double t = (m->start + (double)i0 / m->rate) - floor(m->start / 60) * 60; /* s after the minute of the start */
      double sc = amax > 0 ? amax : 1, mid = buf[c];
      if (np == m->n) x[b] = t, yc[b] = gap ? NAN : (lo - mid) / sc + off;
      else {
        x[2 * b] = x[2 * b + 1] = t;
        yc[2 * b] = gap ? NAN : (lo - mid) / sc + off;
        yc[2 * b + 1] = gap ? NAN : (hi - mid) / sc + off;
      }
    }
    const char *cs = m->components;
    for (int k = 0; k < c; k++) cs = strchr(cs, ',') + 1;
    snprintf(lab[c], sizeof lab[c], "%.*s", (int)strcspn(cs, ","), cs);
    s[c] = (prc_series){x, yc, (int)np, lab[c], 0};
  }
  prc_time_format(floor(m->start / 60) * 60, t0, sizeof t0);
  snprintf(title, sizeof title, "%s, %g Hz, %lld samples, %d gap(s) (blank), each normalised and offset", m->name, m->rate,
           (long long)m->n, m->n_gaps);
  char xl[64];
  snprintf(xl, sizeof xl, "seconds after %s", t0);
  prc_lines_style ls = {.title = title, .xlabel = xl, .ylabel = "normalised counts + offset", .width = 1200, .height = 500};
  snprintf(path, sizeof path, "%s/waveform_%s.png", dir, m->name);
  if (prc_plot_lines_png(path, s, m->ncomp, &ls)) *ok = 0;
  PetscCall(PetscFree2(x, y));
  PetscCall(PetscFree(buf));
  PetscFunctionReturn(0);
}

static PetscErrorCode mseed_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  char          **files;
  int             nf = split_list(prc_opts_string(o, "mseed_input"), &files);
  double          target = prc_opts_real(o, "mseed_rate");
  const char     *out = prc_opts_string(o, "out_dir");
  PetscFunctionBeginUser;
  for (int f = 0; f < nf; f++) PetscCall(prc_ctx_add_input(ctx, files[f]));
  /* split the files by size */
  int64_t *len;
  int     *owner;
  PetscCall(PetscMalloc2(nf, &len, nf, &owner));
  for (int f = 0; f < nf; f++) {
    struct stat sb;
    len[f] = stat(files[f], &sb) ? 1 : (int64_t)sb.st_size + 1;
  }
  PetscCheck(!prc_partition_weighted(len, nf, ctx->size, owner), PETSC_COMM_SELF, PETSC_ERR_PLIB, "file partition failed");
  /* read my files */
  prc_mseed_trace *mine = NULL;
  chan_meta       *lm = NULL;
  int              nmine = 0;
  int64_t          nrec = 0, nskip = 0;
  for (int f = 0; f < nf; f++) {
    if (owner[f] != ctx->rank) continue;
    prc_mseed_trace *tr;
    int              nt;
    prc_mseed_stats  st;
    PrcCallK(prc_mseed_read(files[f], prc_opts_int(o, "mseed_max_samples"), &tr, &nt, &st));
    nrec += st.nrecords, nskip += st.nskipped;
    PetscCall(PetscRealloc(sizeof *mine * (nmine + nt), &mine));
    PetscCall(PetscRealloc(sizeof *lm * (nmine + nt), &lm));
    for (int k = 0; k < nt; k++) {
      prc_mseed_trace *T = &tr[k];
      chan_meta       *M = &lm[nmine];
      memset(M, 0, sizeof *M);
      memcpy(M->net, T->net, 11), memcpy(M->sta, T->sta, 11), memcpy(M->loc, T->loc, 11), memcpy(M->cha, T->cha, 11);
      snprintf(M->encoding, sizeof M->encoding, "%s", T->encoding);
      M->start = T->start, M->rate = M->orig_rate = T->rate, M->max_shift = T->max_shift_s, M->n = T->n;
      M->nrec = T->nrecords, M->rounded = T->n_rounded, M->dropped = T->n_dropped, M->up = M->down = 1;
      M->file = f, M->owner = ctx->rank, M->local = nmine;
      if (target > 0 && fabs(target - T->rate) > 1e-9 * target) {
        prc_resampler r;
        int           up, dn;
        float        *y;
        if (prc_rational(target / T->rate, 10000, &up, &dn))
          SETERRQ(PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "'%s': %s.%s.%s.%s: cannot resample %.9g Hz to -mseed_rate %.9g Hz: %s",
                  files[f], T->net, T->sta, T->loc, T->cha, T->rate, target, prc_lasterr());
        PrcCallK(prc_resample_design(&r, up, dn, prc_opts_real(o, "mseed_atten_db"), prc_opts_real(o, "mseed_transition")));
        int64_t no = prc_resample_nout(&r, T->n);
        PetscCheck(no <= prc_opts_int(o, "mseed_max_samples"), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
                   "'%s': %s: %lld samples after resampling exceed -mseed_max_samples", files[f], T->cha, (long long)no);
        y = malloc((size_t)(no ? no : 1) * sizeof(float));
        PetscCheck(y, PETSC_COMM_SELF, PETSC_ERR_MEM, "out of memory resampling %s", T->cha);
        prc_resample_gappy(&r, T->data, T->n, y);
        for (int q = 0; q < T->noverlaps; q++)
          T->overlaps[q].first = T->overlaps[q].first * r.up / r.down,
          T->overlaps[q].count = (T->overlaps[q].count * r.up + r.down - 1) / r.down;
        free(T->data);
        T->data = y, T->n = no;
        PrcCallK(prc_mseed_scan_gaps(T->data, T->n, &T->gaps, &T->ngaps));
        M->rate = T->rate * r.up / r.down, M->n = no, M->up = r.up, M->down = r.down;
        prc_resample_free(&r);
      }
      M->ngaps = T->ngaps, M->noverlaps = T->noverlaps;
      mine[nmine++] = *T;
    }
    free(tr); /* the traces' buffers now belong to mine[] */
  }
  /* gather metadata (bytes) */
  PetscMPIInt *cnt, *dsp, nbytes = (PetscMPIInt)(nmine * sizeof(chan_meta));
  PetscCall(PetscMalloc2(ctx->size, &cnt, ctx->size, &dsp));
  PetscCallMPI(MPI_Allgather(&nbytes, 1, MPI_INT, cnt, 1, MPI_INT, ctx->comm));
  int64_t tot = 0;
  for (int r = 0; r < ctx->size; r++) dsp[r] = (PetscMPIInt)tot, tot += cnt[r];
  int        nch = (int)(tot / (int64_t)sizeof(chan_meta));
  chan_meta *all;
  PetscCall(PetscMalloc1(nch + 1, &all));
  PetscCallMPI(MPI_Allgatherv(lm, nbytes, MPI_BYTE, all, cnt, dsp, MPI_BYTE, ctx->comm));
  int *perm, *rank_of; /* perm: sorted position -> index in all; rank_of: index in all -> sorted position */
  PetscCall(PetscMalloc2(nch + 1, &perm, nch + 1, &rank_of));
  for (int i = 0; i < nch; i++) perm[i] = i;
  g_sort = all;
  qsort(perm, (size_t)nch, sizeof(int), perm_cmp);
  for (int i = 0; i < nch; i++) rank_of[perm[i]] = i;
  /* gaps and overlaps (in channel rows), gathered as well */
  int nsp = 0;
  for (int k = 0; k < nmine; k++) nsp += mine[k].ngaps + mine[k].noverlaps;
  span_rec *ls_, *as;
  PetscCall(PetscMalloc1(nsp + 1, &ls_));
  int first_global = 0; /* index in `all` of my first channel */
  for (int r = 0; r < ctx->rank; r++) first_global += cnt[r] / (int)sizeof(chan_meta);
  nsp = 0;
  for (int k = 0; k < nmine; k++) {
    for (int q = 0; q < mine[k].ngaps; q++) ls_[nsp++] = (span_rec){first_global + k, 0, mine[k].gaps[q].first, mine[k].gaps[q].count};
    for (int q = 0; q < mine[k].noverlaps; q++)
      ls_[nsp++] = (span_rec){first_global + k, 1, mine[k].overlaps[q].first, mine[k].overlaps[q].count};
  }
  nbytes = (PetscMPIInt)(nsp * sizeof(span_rec));
  PetscCallMPI(MPI_Allgather(&nbytes, 1, MPI_INT, cnt, 1, MPI_INT, ctx->comm));
  tot = 0;
  for (int r = 0; r < ctx->size; r++) dsp[r] = (PetscMPIInt)tot, tot += cnt[r];
  int nas = (int)(tot / (int64_t)sizeof(span_rec));
  PetscCall(PetscMalloc1(nas + 1, &as));
  PetscCallMPI(MPI_Allgatherv(ls_, nbytes, MPI_BYTE, as, cnt, dsp, MPI_BYTE, ctx->comm));
  /* form the sets */
  set_def *sets;
  int      ns = 0;
  PetscCall(PetscMalloc1(nch + 1, &sets));
  for (int i = 0; i < nch;) {
    chan_meta *A = &all[perm[i]];
    int        j = i + 1;
    while (j < nch) {
      chan_meta *B = &all[perm[j]];
      if (strcmp(A->net, B->net) || strcmp(A->sta, B->sta) || strcmp(A->loc, B->loc) || strncmp(A->cha, B->cha, 2) ||
          fabs(A->rate - B->rate) > 1e-9 * A->rate)
        break;
      j++;
    }
    int grouped = 0;
    if (j - i == 3 && strlen(A->cha) == 3) {
      chan_meta *c[3] = {&all[perm[i]], &all[perm[i + 1]], &all[perm[i + 2]]};
      int        distinct = c[0]->cha[2] != c[1]->cha[2] && c[1]->cha[2] != c[2]->cha[2] && c[0]->cha[2] != c[2]->cha[2];
      double     t0 = fmax(fmax(c[0]->start, c[1]->start), c[2]->start);
      set_def    S = {.nc = 3, .start = t0, .n = INT64_MAX};
      for (int q = 0; q < 3; q++) {
        S.ch[q] = perm[i + q];
        S.off[q] = llround((t0 - c[q]->start) * c[q]->rate);
        S.max_off = fmax(S.max_off, fabs(c[q]->start + (double)S.off[q] / c[q]->rate - t0));
        S.n = PetscMin(S.n, c[q]->n - S.off[q]);
      }
      if (distinct && S.n > 0) sets[ns++] = S, grouped = 1;
    }
    if (!grouped)
      for (int q = i; q < j; q++) sets[ns++] = (set_def){.nc = 1, .ch = {perm[q]}, .off = {0}, .n = all[perm[q]].n, .start = all[perm[q]].start};
    i = j;
  }
  /* metadata of the sets */
  prc_wave_meta *wm;
  PetscCall(PetscCalloc1(ns + 1, &wm));
  int ngap_out = 0, nov_out = 0;
  for (int s = 0; s < ns; s++) {
    chan_meta     *c0 = &all[sets[s].ch[0]];
    prc_wave_meta *W = &wm[s];
    snprintf(W->network, sizeof W->network, "%s", c0->net), snprintf(W->station, sizeof W->station, "%s", c0->sta);
    snprintf(W->location, sizeof W->location, "%s", c0->loc);
    if (sets[s].nc == 3) {
      snprintf(W->name, sizeof W->name, "%s.%s.%s.%.2s", c0->net, c0->sta, c0->loc, c0->cha);
      snprintf(W->components, sizeof W->components, "%s,%s,%s", c0->cha, all[sets[s].ch[1]].cha, all[sets[s].ch[2]].cha);
    } else {
      snprintf(W->name, sizeof W->name, "%s.%s.%s.%s", c0->net, c0->sta, c0->loc, c0->cha);
      snprintf(W->components, sizeof W->components, "%s", c0->cha);
    }
    for (int q = 0, k = 2; q < s; q++) /* unique names: _2, _3 ... */
      if (!strcmp(wm[q].name, W->name)) {
        size_t l = strlen(W->name);
        snprintf(W->name + l, sizeof W->name - l, "_%d", k++);
        q = -1;
      }
    snprintf(W->source, sizeof W->source, "%s", base_name(files[c0->file]));
    snprintf(W->category, sizeof W->category, "continuous");
    W->ncomp = W->present = sets[s].nc;
    W->rate = c0->rate, W->orig_rate = c0->orig_rate, W->up = c0->up, W->down = c0->down;
    W->start = sets[s].start, W->n = sets[s].n, W->p_sample = W->s_sample = -1;
    if (W->up != W->down) { /* the same description on every rank */
      prc_resampler r;
      PrcCallK(prc_resample_design(&r, W->up, W->down, prc_opts_real(o, "mseed_atten_db"), prc_opts_real(o, "mseed_transition")));
      prc_resample_describe(&r, W->orig_rate, W->resample_filter, sizeof W->resample_filter);
      prc_resample_free(&r);
    }
    for (int i = 0; i < nas; i++)
      for (int q = 0; q < sets[s].nc; q++)
        if (as[i].trace == sets[s].ch[q] && as[i].first < sets[s].off[q] + sets[s].n && as[i].first + as[i].count > sets[s].off[q]) {
          if (as[i].kind) W->n_overlaps++, nov_out++;
          else W->n_gaps++, ngap_out++;
        }
  }
  prc_wave_span *gs, *ov;
  PetscCall(PetscMalloc2(ngap_out + 1, &gs, nov_out + 1, &ov));
  ngap_out = nov_out = 0;
  for (int s = 0; s < ns; s++)
    for (int q = 0; q < sets[s].nc; q++)
      for (int i = 0; i < nas; i++) { /* as[] is in channel order, spans in row order */
        int64_t a = as[i].first - sets[s].off[q], b = a + as[i].count;
        if (as[i].trace != sets[s].ch[q] || b <= 0 || a >= sets[s].n) continue;
        prc_wave_span w = {s, q, PetscMax(a, 0), PetscMin(b, sets[s].n) - PetscMax(a, 0)};
        if (as[i].kind) ov[nov_out++] = w;
        else gs[ngap_out++] = w;
      }
  /* write */
  char      path[4096];
  prc_h5out F;
  PetscCheck((size_t)snprintf(path, sizeof path, "%s/waveforms.h5", out) < sizeof path, PETSC_COMM_SELF,
             PETSC_ERR_ARG_OUTOFRANGE, "output path too long");
  PetscCall(prc_h5_create(ctx->comm, path, "waveforms", &F));
  PetscCall(prc_h5_attr_str(F.fid, "source_format", "miniSEED (SEED 2.x data records, read with libmseed 2)"));
  PetscCall(prc_h5_attr_double(F.fid, "target_sampling_rate", target));
  PetscCall(prc_h5_attr_str(F.fid, "target_sampling_rate_meaning", "0: recorded rates kept; else every set resampled to it (see resample_* attributes)"));
  PetscCall(prc_wave_create(F.fid, ns, wm));
  for (int s = 0; s < ns; s++)
    for (int q = 0; q < sets[s].nc; q++) {
      chan_meta *c = &all[sets[s].ch[q]];
      int        me = c->owner == ctx->rank;
      PetscCall(prc_wave_write_column(F.fid, &wm[s], q, me ? mine[c->local].data + sets[s].off[q] : NULL, me));
    }
  PetscCall(prc_wave_write_tables(ctx->comm, F.fid, ns, wm, ngap_out, gs, nov_out, ov));
  {
    hid_t g;
    PetscCall(prc_h5_group(F.fid, "channels", &g));
    PetscCall(prc_h5_attr_str(g, "description", "one row per channel read (sorted by N.S.L.C, start), before grouping"));
    double  *d;
    int64_t *iv;
    char (*sv)[PRC_WAVE_NAME];
    PetscCall(PetscCalloc3(nch + 1, &d, nch + 1, &iv, nch + 1, &sv)); /* zeroed: fixed-length strings are written whole */
    hid_t t = prc_h5_strtype(PRC_WAVE_NAME);
    for (int i = 0; i < nch; i++) {
      chan_meta *c = &all[perm[i]];
      snprintf(sv[i], PRC_WAVE_NAME, "%s.%s.%s.%s", c->net, c->sta, c->loc, c->cha);
    }
    PetscCall(prc_h5_write_col(ctx->comm, g, "id", t, (hsize_t)nch, sv));
    for (int i = 0; i < nch; i++) snprintf(sv[i], PRC_WAVE_NAME, "%s", all[perm[i]].encoding);
    PetscCall(prc_h5_write_col(ctx->comm, g, "encoding", t, (hsize_t)nch, sv));
    for (int i = 0; i < nch; i++) snprintf(sv[i], PRC_WAVE_NAME, "%s", base_name(files[all[perm[i]].file]));
    PetscCall(prc_h5_write_col(ctx->comm, g, "file", t, (hsize_t)nch, sv));
    H5Tclose(t);
    for (int i = 0; i < nch; i++) d[i] = all[perm[i]].start;
    PetscCall(prc_h5_write_col(ctx->comm, g, "start_time", H5T_NATIVE_DOUBLE, (hsize_t)nch, d));
    for (int i = 0; i < nch; i++) d[i] = all[perm[i]].orig_rate;
    PetscCall(prc_h5_write_col(ctx->comm, g, "sampling_rate", H5T_NATIVE_DOUBLE, (hsize_t)nch, d));
    for (int i = 0; i < nch; i++) d[i] = all[perm[i]].max_shift;
    PetscCall(prc_h5_write_col(ctx->comm, g, "max_time_shift_absorbed", H5T_NATIVE_DOUBLE, (hsize_t)nch, d));
    const char *cn[] = {"nsamples", "records", "samples_rounded", "samples_dropped_in_overlaps"};
    for (int c = 0; c < 4; c++) {
      for (int i = 0; i < nch; i++) {
        chan_meta *m = &all[perm[i]];
        iv[i] = c == 0 ? m->n : c == 1 ? m->nrec : c == 2 ? m->rounded : m->dropped;
      }
      PetscCall(prc_h5_write_col(ctx->comm, g, cn[c], H5T_NATIVE_INT64, (hsize_t)nch, iv));
    }
    H5Gclose(g);
    PetscCall(PetscFree3(d, iv, sv));
  }
  PetscCall(prc_h5_commit(&F, ctx));
  /* quicklooks (rank 0, from the file) */
  int ok = 1, nq = 0;
  if (prc_opts_bool(o, "mseed_png") && !ctx->rank)
    for (int pass = 0; pass < 2; pass++)
      for (int s = 0; s < ns && nq < prc_opts_int(o, "mseed_png_max"); s++)
        if ((wm[s].ncomp == 3) == !pass && ok) {
          PetscCall(quicklook(out, path, &wm[s], &ok));
          nq++;
        }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, ctx->comm));
  PetscCheck(ok, ctx->comm, PETSC_ERR_FILE_WRITE, "writing the PNG quicklooks in '%s' failed: %s", out, prc_lasterr());
  /* summary */
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &nrec, 1, MPI_INT64_T, MPI_SUM, ctx->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &nskip, 1, MPI_INT64_T, MPI_SUM, ctx->comm));
  int     n3 = 0, nres = 0;
  double  t0 = INFINITY, t1 = -INFINITY;
  int64_t rounded = 0, dropped = 0;
  for (int s = 0; s < ns; s++) n3 += wm[s].ncomp == 3;
  for (int i = 0; i < nch; i++) {
    t0 = fmin(t0, all[i].start), t1 = fmax(t1, all[i].start + (double)(all[i].n - 1) / all[i].rate);
    nres += all[i].up != all[i].down, rounded += all[i].rounded, dropped += all[i].dropped;
  }
  char a[32], b[32];
  prc_time_format(t0, a, sizeof a), prc_time_format(t1, b, sizeof b);
  PetscCall(PetscPrintf(ctx->comm, "[import-mseed] %d file(s), %lld records (%lld without samples skipped), %d channel(s) -> %d set(s) (%d three-component, %d one-component); span %s .. %s\n",
                        nf, (long long)nrec, (long long)nskip, nch, ns, n3, ns - n3, a, b));
  for (int s = 0; s < ns; s++) {
    prc_time_format(wm[s].start, a, sizeof a);
    PetscCall(PetscPrintf(ctx->comm, "[import-mseed]   %-22s %-12s %9.4g Hz%s %10lld samples from %s, %d gap(s), %d overlap(s)\n",
                          wm[s].name, wm[s].components, wm[s].rate, wm[s].up != wm[s].down ? " (resampled)" : "",
                          (long long)wm[s].n, a, wm[s].n_gaps, wm[s].n_overlaps));
  }
  for (int s = 0; s < ns; s++)
    if (wm[s].up != wm[s].down)
      PetscCall(PetscPrintf(ctx->comm, "[import-mseed] resampled %s %.9g Hz -> %.9g Hz: %s\n", wm[s].name, wm[s].orig_rate, wm[s].rate,
                            wm[s].resample_filter));
  if (!nres) PetscCall(PetscPrintf(ctx->comm, "[import-mseed] no resampling (recorded rates kept)\n"));
  PetscCall(PetscPrintf(ctx->comm, "[import-mseed] %lld gap(s) and %lld overlap(s) in the sets; %lld samples rounded to float32, %lld duplicated samples dropped; output %s%s\n",
                        (long long)ngap_out, (long long)nov_out, (long long)rounded, (long long)dropped, path, nq ? " + waveform_*.png" : ""));
  /* free */
  for (int k = 0; k < nmine; k++) free(mine[k].data), free(mine[k].gaps), free(mine[k].overlaps);
  PetscCall(PetscFree(mine));
  PetscCall(PetscFree(lm));
  PetscCall(PetscFree2(len, owner));
  PetscCall(PetscFree2(cnt, dsp));
  PetscCall(PetscFree(all));
  PetscCall(PetscFree2(perm, rank_of));
  PetscCall(PetscFree(ls_));
  PetscCall(PetscFree(as));
  PetscCall(PetscFree(sets));
  PetscCall(PetscFree(wm));
  PetscCall(PetscFree2(gs, ov));
  for (int f = 0; f < nf; f++) free(files[f]);
  free(files);
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_import_mseed = {"import-mseed", "miniSEED files -> waveforms.h5 (3-component sets, gaps, optional resampling)",
                                          mseed_opts, (int)(sizeof mseed_opts / sizeof mseed_opts[0]), mseed_validate, mseed_run};

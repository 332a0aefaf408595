/* stage_windows.c — `precursor windows`: labelled event and noise windows for the event
 * classifier of paper 004 (after Perol et al. 2018, ConvNetQuake), docs/DETECTION.md.
 *
 *   1. every rank reads the metadata of all waveform sets and the catalog (with its
 *      location classes from `precursor cluster`) and derives the same candidate list:
 *      event windows (a fixed length after each origin time, or after the P pick minus an
 *      offset) and noise windows (the parts of each set clear of every event, tiled with
 *      windows ordered from the middle of each quiet interval outwards);
 *   2. sets are owned by ranks (i mod P); the owner reads its sets and cuts its
 *      candidates by exact time-based slicing (rows [row(t), row(t) + L)); a window that
 *      leaves the set or holds missing data is dropped and counted;
 *   3. the drop flags are agreed (one allreduce), every rank makes the same selection
 *      (all events; noise:event = ratio, midpoints first, spread over the intervals), split
 *      (per class by time, or random) and augmentation list; rank 0 gathers the data,
 *      adds the augmentation noise (counter-based, per window) and writes two training
 *      sets. Bitwise identical on any rank count. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/catalog.h"
#include "precursor/detect.h"
#include "precursor/error.h"
#include "precursor/h5io.h"
#include "precursor/plot.h"
#include "precursor/progress.h"
#include "precursor/rng.h"
#include "precursor/stage.h"
#include "precursor/timeutil.h"
#include "precursor/waveforms.h"

static const prc_opt_spec windows_opts[] = {
  {"windows_waveforms", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "waveform files (kind waveforms), comma-separated: labelled sets, continuous records, noise"},
  {"windows_catalog", PRC_OPT_STRING, "none", PRC_NO_RANGE, "catalog (e.g. catalog.h5 of cluster or synth-waves) giving origin times and location classes, or none"},
  {"windows_anchor", PRC_OPT_STRING, "auto", PRC_NO_RANGE,
   "event windows start at: origin (catalog origin time + offset), p (P pick - p_offset), auto (origin with a catalog, else p)"},
  {"windows_length_s", PRC_OPT_REAL, "10", 0.01, 3600, "window length (s); L = round(length * rate) samples"},
  {"windows_rate", PRC_OPT_REAL, "100", 0.001, 1e6, "sampling rate the windows must have (Hz); sets at other rates are skipped (resample at import)"},
  {"windows_origin_offset_s", PRC_OPT_REAL, "0", -3600, 3600, "anchor origin: window start = origin time + this (s)"},
  {"windows_p_offset_s", PRC_OPT_REAL, "1", -3600, 3600, "anchor p: window start = P arrival - this (s)"},
  {"windows_components", PRC_OPT_INT, "3", 1, 3, "3: the three components (sets with fewer are dropped); 1: the vertical only"},
  {"windows_normalize", PRC_OPT_STRING, "joint", PRC_NO_RANGE,
   "joint (means removed, divided by the largest |x| of all components), per_component (each by its own), none"},
  {"windows_classes", PRC_OPT_STRING, "auto", PRC_NO_RANGE,
   "event labels: clusters (class = location class + 1, needs /catalog/cluster), event (one class 1), auto (clusters if the catalog has them)"},
  {"windows_noise_ratio", PRC_OPT_REAL, "3", 0, 1000, "noise windows per event window (the paper: 3); with no event windows, every clear window is taken"},
  {"windows_guard_before_s", PRC_OPT_REAL, "5", 0, 1e6, "noise windows end at least this long before an event's origin / P"},
  {"windows_guard_after_s", PRC_OPT_REAL, "60", 0, 1e6, "noise windows start at least this long after an event window ends (coda)"},
  {"windows_tmin", PRC_OPT_STRING, "none", PRC_NO_RANGE, "only windows starting at or after this UTC time (ISO), or none"},
  {"windows_tmax", PRC_OPT_STRING, "none", PRC_NO_RANGE, "only windows ending at or before this UTC time (ISO), or none"},
  {"windows_continuous_tmin", PRC_OPT_STRING, "none", PRC_NO_RANGE, "windows from continuous records (category continuous) start at or after this UTC time, or none"},
  {"windows_continuous_tmax", PRC_OPT_STRING, "none", PRC_NO_RANGE, "... and end by this time (hold the rest of a record out for detect), or none"},
  {"windows_split", PRC_OPT_STRING, "time", PRC_NO_RANGE, "test split per class: time (the latest fraction of each class) or random"},
  {"windows_test_fraction", PRC_OPT_REAL, "0.25", 0, 0.95, "fraction of each class held out as the test set (0: no test set)"},
  {"windows_augment", PRC_OPT_STRING, "0.02,0.05", PRC_NO_RANGE,
   "Gaussian-noise copies of each training window (events and noise: the class ratio is kept), standard deviation = level x max amplitude; comma list or none"},
  {"windows_shifts", PRC_OPT_INT, "0", 0, 100, "extra training copies of each event window cut with its start moved by a random offset (continuous detection sees events anywhere in a window)"},
  {"windows_shift_max_s", PRC_OPT_REAL, "3", 0, 3600, "largest |offset| of those shifted copies (s), uniform in [-max, max]"},
  {"windows_png", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "write windows_examples.png (an event window normalised jointly and per component, a noise window)"},
};

typedef struct {
  int     set;   /* global set index */
  int64_t r0;    /* first row */
  int     cls;   /* 0 noise, >= 1 event class */
  double  t;     /* window start (UTC s) */
  int     order; /* noise: distance in windows from the middle of its quiet interval */
  int     ival;  /* noise: interval index */
  int64_t parent; /* shifted copy: index of the original event window; -1 otherwise */
} cand;

typedef struct {
  int           file;
  hid_t         fid;
  prc_wave_meta m;
  int           cols[3], usable;
} wset;

static int parse_levels(const char *s, double *lv, int max)
{
  char b[512];
  int  n = 0;
  if (!strcmp(s, "none") || !s[0]) return 0;
  snprintf(b, sizeof b, "%s", s);
  for (char *t = strtok(b, ","); t; t = strtok(NULL, ",")) {
    char *e;
    double v = strtod(t, &e);
    if (e == t || *e || !(v > 0 && v <= 10) || n == max) return -1;
    lv[n++] = v;
  }
  return n;
}

static int opt_time(const char *s, double *t, double dflt)
{
  if (!strcmp(s, "none")) return *t = dflt, 0;
  return prc_time_parse(s, t);
}

static void windows_validate(prc_opts *o)
{
  double lv[16], t;
  if (parse_levels(prc_opts_string(o, "windows_augment"), lv, 16) < 0)
    prc_opts_violation(o, "-windows_augment '%s': give noise levels in (0, 10] separated by commas (at most 16), or none",
                       prc_opts_string(o, "windows_augment"));
  if (prc_win_norm_parse(prc_opts_string(o, "windows_normalize")) < 0)
    prc_opts_violation(o, "-windows_normalize '%s': use joint, per_component or none", prc_opts_string(o, "windows_normalize"));
  const char *a = prc_opts_string(o, "windows_anchor"), *c = prc_opts_string(o, "windows_classes"), *sp = prc_opts_string(o, "windows_split");
  if (strcmp(a, "auto") && strcmp(a, "origin") && strcmp(a, "p")) prc_opts_violation(o, "-windows_anchor '%s': use origin, p or auto", a);
  if (strcmp(c, "auto") && strcmp(c, "clusters") && strcmp(c, "event")) prc_opts_violation(o, "-windows_classes '%s': use clusters, event or auto", c);
  if (strcmp(sp, "time") && strcmp(sp, "random")) prc_opts_violation(o, "-windows_split '%s': use time or random", sp);
  if (!strcmp(a, "origin") && !strcmp(prc_opts_string(o, "windows_catalog"), "none"))
    prc_opts_violation(o, "-windows_anchor origin needs -windows_catalog");
  if (!strcmp(c, "clusters") && !strcmp(prc_opts_string(o, "windows_catalog"), "none"))
    prc_opts_violation(o, "-windows_classes clusters needs -windows_catalog (a catalog.h5 of precursor cluster)");
  if (opt_time(prc_opts_string(o, "windows_tmin"), &t, 0)) prc_opts_violation(o, "-windows_tmin '%s' is not a UTC time", prc_opts_string(o, "windows_tmin"));
  if (opt_time(prc_opts_string(o, "windows_continuous_tmin"), &t, 0))
    prc_opts_violation(o, "-windows_continuous_tmin '%s' is not a UTC time", prc_opts_string(o, "windows_continuous_tmin"));
  if (opt_time(prc_opts_string(o, "windows_continuous_tmax"), &t, 0))
    prc_opts_violation(o, "-windows_continuous_tmax '%s' is not a UTC time", prc_opts_string(o, "windows_continuous_tmax"));
  if (opt_time(prc_opts_string(o, "windows_tmax"), &t, 0)) prc_opts_violation(o, "-windows_tmax '%s' is not a UTC time", prc_opts_string(o, "windows_tmax"));
  double L = prc_opts_real(o, "windows_length_s") * prc_opts_real(o, "windows_rate");
  if (L < 8 || L > 1e7) prc_opts_violation(o, "window of %.0f samples (-windows_length_s x -windows_rate): need 8 .. 1e7", L);
}

/* the catalog's location classes (/catalog/cluster), or NULL if it has none */
static PetscErrorCode read_clusters(MPI_Comm comm, const char *path, size_t n, int **cls)
{
  hid_t fid;
  PetscFunctionBeginUser;
  *cls = NULL;
  PetscCall(prc_h5_open(comm, path, &fid));
  if (H5Lexists(fid, "catalog/cluster", H5P_DEFAULT) > 0) {
    int     r;
    hsize_t d[8], st[1] = {0};
    PetscCall(prc_h5_dims(fid, "catalog/cluster", &r, d));
    PetscCheck(r == 1 && d[0] == n, comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': /catalog/cluster has %llu rows, the catalog %zu", path,
               (unsigned long long)d[0], n);
    PetscCall(PetscMalloc1(n + 1, cls));
    PetscCall(prc_h5_read_nd(fid, "catalog/cluster", H5T_NATIVE_INT, st, d, *cls));
  }
  PetscCall(prc_h5_close(fid));
  PetscFunctionReturn(0);
}

static int cmp_dbl(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef struct {
  double a, b;
} span;

static int cmp_span(const void *a, const void *b) { return cmp_dbl(a, b); }

static PetscErrorCode windows_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  const char     *od = prc_opts_string(o, "out_dir"), *catp = prc_opts_string(o, "windows_catalog");
  const double    rate = prc_opts_real(o, "windows_rate"), len_s = prc_opts_real(o, "windows_length_s");
  const int       L = (int)llround(len_s * rate), C = (int)prc_opts_int(o, "windows_components");
  const double    gb = prc_opts_real(o, "windows_guard_before_s"), ga = prc_opts_real(o, "windows_guard_after_s");
  const uint64_t  seed = (uint64_t)prc_opts_int(o, "seed");
  const prc_win_norm norm = (prc_win_norm)prc_win_norm_parse(prc_opts_string(o, "windows_normalize"));
  double          tmin_all, tmax_all, ctmin, ctmax, lv[16];
  int             nlv = parse_levels(prc_opts_string(o, "windows_augment"), lv, 16);
  char            path[4200];
  PetscFunctionBeginUser;
  opt_time(prc_opts_string(o, "windows_tmin"), &tmin_all, -INFINITY);
  opt_time(prc_opts_string(o, "windows_tmax"), &tmax_all, INFINITY);
  opt_time(prc_opts_string(o, "windows_continuous_tmin"), &ctmin, -INFINITY);
  opt_time(prc_opts_string(o, "windows_continuous_tmax"), &ctmax, INFINITY);
  /* catalog */
  prc_catalog cat = {0};
  int        *ccls = NULL, have_cat = strcmp(catp, "none") != 0;
  if (have_cat) {
    PetscCall(prc_catalog_read(ctx->comm, catp, &cat));
    PetscCall(prc_ctx_add_input(ctx, catp));
    PetscCall(read_clusters(ctx->comm, catp, cat.n, &ccls));
  }
  const char *ao = prc_opts_string(o, "windows_anchor"), *co = prc_opts_string(o, "windows_classes");
  int anchor_p = !strcmp(ao, "p") || (!strcmp(ao, "auto") && !have_cat);
  int by_cluster = !strcmp(co, "clusters") || (!strcmp(co, "auto") && ccls);
  PetscCheck(!by_cluster || ccls, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
             "-windows_classes clusters: '%s' has no /catalog/cluster (run precursor cluster on it first)", catp);
  int ncls = 1;
  if (by_cluster)
    for (size_t i = 0; i < cat.n; i++) ncls = ccls[i] + 1 > ncls ? ccls[i] + 1 : ncls;
  /* waveform sets of every file */
  wset          *S;
  int            nS, nfile, *sfile;
  hid_t          fids[PRC_WAVE_MAXFILES];
  prc_wave_meta *wm;
  PetscCall(prc_wave_open_list(ctx, prc_opts_string(o, "windows_waveforms"), "-windows_waveforms", &nfile, fids, &nS, &wm, &sfile));
  PetscCall(PetscCalloc1(nS + 1, &S));
  for (int i = 0; i < nS; i++) S[i] = (wset){.file = sfile[i], .fid = fids[sfile[i]], .m = wm[i]};
  PetscCall(PetscFree(wm));
  PetscCall(PetscFree(sfile));
  int skipped_rate = 0, skipped_comp = 0;
  for (int i = 0; i < nS; i++) {
    wset *w = &S[i];
    if (fabs(w->m.rate - rate) > 1e-9 * rate) { skipped_rate++; continue; }
    if (C == 3) {
      if (w->m.ncomp != 3 || w->m.present < 3) { skipped_comp++; continue; }
      w->cols[0] = 0, w->cols[1] = 1, w->cols[2] = 2;
    } else {
      int z = prc_wave_vertical(&w->m);
      if (z < 0) { skipped_comp++; continue; }
      w->cols[0] = z;
    }
    w->usable = 1;
  }
  /* candidates (identical on every rank) */
  cand  *cd = NULL;
  size_t ncd = 0, capc = 0;
  int    nival = 0;
  long long unclustered = 0;
#define PUSH(...)                                                                                  \
  do {                                                                                             \
    if (ncd == capc) {                                                                             \
      capc = 2 * capc + 1024;                                                                      \
      PetscCall(PetscRealloc(sizeof(cand) * capc, &cd));                                           \
    }                                                                                              \
    cd[ncd++] = (cand){__VA_ARGS__};                                                               \
  } while (0)
  span *ex = NULL;
  size_t capx = 0;
  const int    nshift = (int)prc_opts_int(o, "windows_shifts");
  const double smax = prc_opts_real(o, "windows_shift_max_s");
  /* shifted copies of the event window just pushed (deterministic offsets of (seed, window)) */
#define SHIFTS(ts_, k_)                                                                            \
  do {                                                                                             \
    int64_t par_ = (int64_t)ncd - 1;                                                               \
    for (int j_ = 0; j_ < nshift; j_++) {                                                          \
      double u_ = prc_hash_uniform(seed, (uint64_t)i, (uint64_t)llround((ts_) * 1000), 0x7368ULL + (uint64_t)j_); \
      double tj_ = (ts_) + smax * (2 * u_ - 1);                                                    \
      if (tj_ >= t0 && tj_ + len_s <= t1 && tj_ >= tmin && tj_ + len_s <= tmax)                     \
        PUSH(i, prc_win_row(t0, rate, tj_), (k_), tj_, 0, -1, par_);                               \
    }                                                                                              \
  } while (0)
  for (int i = 0; i < nS; i++) {
    wset *w = &S[i];
    if (!w->usable) continue;
    double t0 = w->m.start, t1 = w->m.start + (double)w->m.n / rate; /* [t0, t1): the set's span */
    double tmin = tmin_all, tmax = tmax_all;
    if (!strcmp(w->m.category, "continuous")) tmin = fmax(tmin, ctmin), tmax = fmin(tmax, ctmax);
    size_t nx = 0;
    int    anchored = 0;
#define EXCL(a_, b_)                                                                               \
  do {                                                                                             \
    if (nx == capx) {                                                                              \
      capx = 2 * capx + 64;                                                                        \
      PetscCall(PetscRealloc(sizeof(span) * capx, &ex));                                           \
    }                                                                                              \
    ex[nx++] = (span){(a_), (b_)};                                                                 \
  } while (0)
    if (anchor_p) {
      if (w->m.p_sample >= 0) {
        double tp = t0 + (double)w->m.p_sample / rate, ts = tp - prc_opts_real(o, "windows_p_offset_s");
        anchored = 1;
        if (ts >= tmin && ts + len_s <= tmax) {
          PUSH(i, prc_win_row(t0, rate, ts), 1, ts, 0, -1, -1);
          SHIFTS(ts, 1);
        }
        EXCL(fmin(tp, ts) - gb, fmax(tp, ts) + len_s + ga);
      }
    } else if (have_cat) {
      const double off = prc_opts_real(o, "windows_origin_offset_s");
      for (size_t e = 0; e < cat.n; e++) {
        double te = cat.time[e], ts = te + off;
        if (!(te + len_s + ga > t0 - gb && te - gb < t1)) continue; /* not near this set */
        EXCL(fmin(te, ts) - gb, fmax(te, ts) + len_s + ga);
        anchored = 1;
        if (!(ts >= t0 && ts + len_s <= t1 && ts >= tmin && ts + len_s <= tmax)) continue;
        int k = 1;
        if (by_cluster) {
          if (ccls[e] < 0) { unclustered++; continue; }
          k = ccls[e] + 1;
        }
        PUSH(i, prc_win_row(t0, rate, ts), k, ts, 0, -1, -1);
        SHIFTS(ts, k);
      }
    }
    /* noise: quiet intervals of sets whose events are known (anchored), continuous records
     * and noise sets; a labelled event set without a pick or catalog gives none */
    int quiet_ok = anchored || !strcmp(w->m.category, "continuous") || !strcmp(w->m.category, "noise") || !w->m.category[0];
    if (!quiet_ok) continue;
    qsort(ex, nx, sizeof *ex, cmp_span);
    double a = fmax(t0, tmin), lim = fmin(t1, tmax);
    for (size_t q = 0; q <= nx; q++) {
      double b = q < nx ? fmin(ex[q].a, lim) : lim;
      if (b - a >= len_s) {
        int    k = (int)floor((b - a) / len_s + 1e-9);
        double first = a + 0.5 * ((b - a) - k * len_s);
        for (int j = 0; j < k; j++) {
          double ts = first + j * len_s;
          int    ord = (int)floor(fabs(j - 0.5 * (k - 1)));
          PUSH(i, prc_win_row(t0, rate, ts), 0, ts, ord, nival, -1);
        }
        nival++;
      }
      if (q < nx) a = fmax(a, ex[q].b);
    }
  }
  PetscCall(PetscFree(ex));
  /* cut by owners */
  int   *st, owned = 0;
  float *loc = NULL;
  size_t W = (size_t)C * (size_t)L;
  PetscCall(PetscCalloc1(ncd + 1, &st));
  for (size_t q = 0; q < ncd; q++) owned += S[cd[q].set].usable && cd[q].set % ctx->size == ctx->rank;
  PetscCall(PetscMalloc1(W * (size_t)owned + 1, &loc));
  prc_progress pr;
  prc_progress_start(&pr, ctx->comm, "windows", "sets", "sets", (double)nS, prc_opts_real(o, "progress_interval"), prc_opts_bool(o, "quiet"));
  size_t q = 0, lo = 0;
  for (int i = 0; i < nS; i++) {
    int     mine = S[i].usable && i % ctx->size == ctx->rank;
    float  *buf = NULL;
    int64_t nr = mine ? S[i].m.n : 0;
    /* every rank takes part in the collective read of every usable set */
    if (S[i].usable) {
      PetscCall(PetscMalloc1((size_t)(nr ? nr : 1) * (size_t)S[i].m.ncomp, &buf));
      PetscCall(prc_wave_read_rows(S[i].fid, &S[i].m, 0, nr, buf));
    }
    for (; q < ncd && cd[q].set == i; q++) {
      if (!mine) continue;
      float *w = loc + lo * W;
      int    r = prc_win_cut(buf, S[i].m.n, S[i].m.ncomp, cd[q].r0, L, S[i].cols, C, w);
      if (!r && prc_win_normalize(w, C, L, norm)) r = 3;
      st[q] = r + 1, lo++;
    }
    PetscCall(PetscFree(buf));
    prc_progress_update(&pr, i + 1);
  }
  prc_progress_end(&pr);
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, st, (int)ncd, MPI_INT, MPI_MAX, ctx->comm));
  /* selection */
  long long drop[4] = {0, 0, 0, 0}, nevw = 0, nnoise_c = 0;
  for (size_t k = 0; k < ncd; k++) {
    drop[st[k] - 1] += 1;
    if (st[k] == 1 && cd[k].parent < 0) cd[k].cls ? nevw++ : nnoise_c++;
  }
  double    ratio = prc_opts_real(o, "windows_noise_ratio");
  /* noise per event window, counting the shifted copies of the events: the training set keeps the ratio */
  long long want = nevw ? (long long)llround(ratio * (double)nevw * (1 + nshift)) : nnoise_c;
  if (want > nnoise_c) want = nnoise_c;
  char *sel;
  PetscCall(PetscCalloc1(ncd + 1, &sel));
  for (size_t k = 0; k < ncd; k++) sel[k] = st[k] == 1 && cd[k].cls > 0;
  {
    long long got = 0;
    for (int ord = 0; got < want; ord++) {
      long long avail = 0;
      for (size_t k = 0; k < ncd; k++) avail += st[k] == 1 && !cd[k].cls && cd[k].order == ord;
      if (!avail) {
        int more = 0;
        for (size_t k = 0; k < ncd; k++) more |= st[k] == 1 && !cd[k].cls && cd[k].order > ord;
        if (!more) break;
        continue;
      }
      long long take = want - got < avail ? want - got : avail, j = 0, next = 0, taken = 0;
      for (size_t k = 0; k < ncd && taken < take; k++)
        if (st[k] == 1 && !cd[k].cls && cd[k].order == ord) {
          /* evenly spread: the j-th available is taken when it reaches floor(taken * avail / take) */
          next = (long long)((double)taken * (double)avail / (double)take);
          if (j == next) sel[k] = 1, taken++;
          j++;
        }
      got += taken;
    }
  }
  /* split per class */
  const double tf = prc_opts_real(o, "windows_test_fraction");
  char        *test;
  PetscCall(PetscCalloc1(ncd + 1, &test));
  int nclass = by_cluster ? ncls + 1 : 2;
  if (!strcmp(prc_opts_string(o, "windows_split"), "random")) {
    for (size_t k = 0; k < ncd; k++) test[k] = sel[k] && cd[k].parent < 0 && prc_hash_uniform(seed, k, 0x73706c6974ULL, 0) < tf;
  } else {
    double *tt;
    PetscCall(PetscMalloc1(ncd + 1, &tt));
    for (int c = 0; c < nclass; c++) {
      size_t n = 0;
      for (size_t k = 0; k < ncd; k++)
        if (sel[k] && cd[k].cls == c && cd[k].parent < 0) tt[n++] = cd[k].t;
      if (!n) continue;
      qsort(tt, n, sizeof *tt, cmp_dbl);
      size_t ntest = (size_t)llround(tf * (double)n);
      if (!ntest) continue;
      double cut = tt[n - ntest]; /* windows starting at or after it are held out */
      for (size_t k = 0; k < ncd; k++)
        if (sel[k] && cd[k].cls == c && cd[k].parent < 0) test[k] = cd[k].t >= cut;
    }
    PetscCall(PetscFree(tt));
  }
  /* shifted copies: training only, and only of training events (never a copy of a test event) */
  long long nshifted = 0;
  for (size_t k = 0; k < ncd; k++)
    if (cd[k].parent >= 0) {
      if (test[cd[k].parent] || !sel[cd[k].parent]) sel[k] = 0;
      test[k] = 0, nshifted += sel[k];
    }
  /* gather the selected windows on rank 0 (global candidate order) */
  int nsel_mine = 0, *cnts = NULL, *disp = NULL;
  lo = 0;
  float *snd;
  PetscCall(PetscMalloc1(W * (size_t)owned + 1, &snd));
  for (size_t k = 0; k < ncd; k++) {
    int mine = cd[k].set % ctx->size == ctx->rank && S[cd[k].set].usable;
    if (!mine) continue;
    if (sel[k]) memcpy(snd + (size_t)nsel_mine++ * W, loc + lo * W, W * sizeof(float));
    lo++;
  }
  long long nsel = 0, nnoise_sel = 0;
  for (size_t k = 0; k < ncd; k++) nsel += sel[k], nnoise_sel += sel[k] && !cd[k].cls;
  if (nsel <= 0) { /* numbers formatted by the C library (PETSc prints 40 as "40.") */
    char msg[512];
    snprintf(msg, sizeof msg, "no usable window: %lld candidate(s), %lld leave their set, %lld hold missing data, %lld are flat; %d set(s) at another "
             "rate than %g Hz, %d without the %d component(s)", (long long)ncd, drop[1], drop[2], drop[3], skipped_rate, rate, skipped_comp, C);
    SETERRQ(ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "%s", msg);
  }
  PetscCheck(W * (size_t)nsel <= (size_t)INT_MAX, ctx->comm, PETSC_ERR_SUP,
             "%lld windows of %zu values are more than one MPI gather holds (2^31 values): select a shorter time range (-windows_tmin/tmax)", nsel, W);
  if (!ctx->rank) PetscCall(PetscCalloc2(ctx->size, &cnts, ctx->size, &disp));
  int sendn = (int)((size_t)nsel_mine * W);
  PetscCallMPI(MPI_Gather(&sendn, 1, MPI_INT, cnts, 1, MPI_INT, 0, ctx->comm));
  if (!ctx->rank)
    for (int p = 1; p < ctx->size; p++) disp[p] = disp[p - 1] + cnts[p - 1];
  float *gath = NULL;
  if (!ctx->rank) PetscCall(PetscMalloc1(W * (size_t)nsel, &gath));
  PetscCallMPI(MPI_Gatherv(snd, sendn, MPI_FLOAT, gath, cnts, disp, MPI_FLOAT, 0, ctx->comm));
  /* rank 0: windows in global order, then the two sets */
  long long ntr = 0, nte = 0, naug = 0;
  for (size_t k = 0; k < ncd; k++)
    if (sel[k]) test[k] ? nte++ : (ntr += 1 + nlv, naug += nlv);
  float   *xtr = NULL, *xte = NULL, *ltr = NULL, *lte = NULL;
  int32_t *ytr = NULL, *yte = NULL, *ktr = NULL, *kte = NULL, *str_ = NULL, *ste = NULL;
  double  *ttr = NULL, *tte = NULL;
  if (!ctx->rank) {
    int *pos;
    PetscCall(PetscCalloc1(ctx->size + 1, &pos));
    PetscCall(PetscMalloc4(W * (size_t)ntr + 1, &xtr, W * (size_t)nte + 1, &xte, ntr + 1, &ytr, nte + 1, &yte));
    PetscCall(PetscMalloc4(ntr + 1, &ttr, nte + 1, &tte, ntr + 1, &ktr, nte + 1, &kte));
    PetscCall(PetscMalloc4(ntr + 1, &ltr, nte + 1, &lte, ntr + 1, &str_, nte + 1, &ste));
    long long itr = 0, ite = 0;
    for (size_t k = 0; k < ncd; k++) {
      if (!sel[k]) continue;
      int    p = cd[k].set % ctx->size;
      float *src = gath + disp[p] + (size_t)pos[p]++ * W;
      if (test[k]) {
        memcpy(xte + (size_t)ite * W, src, W * sizeof(float));
        yte[ite] = cd[k].cls, tte[ite] = cd[k].t, kte[ite] = cd[k].cls ? 0 : 1, lte[ite] = 0, ste[ite] = cd[k].set, ite++;
        continue;
      }
      memcpy(xtr + (size_t)itr * W, src, W * sizeof(float));
      ytr[itr] = cd[k].cls, ttr[itr] = cd[k].t, ktr[itr] = cd[k].parent >= 0 ? 3 : cd[k].cls ? 0 : 1, ltr[itr] = 0, str_[itr] = cd[k].set, itr++;
      for (int a = 0; a < nlv; a++) {
          float *x = xtr + (size_t)itr * W;
          memcpy(x, src, W * sizeof(float));
          prc_win_add_noise(x, W, lv[a], seed, (uint64_t)k * 17 + (uint64_t)a);
          ytr[itr] = cd[k].cls, ttr[itr] = cd[k].t, ktr[itr] = 2, ltr[itr] = (float)lv[a], str_[itr] = cd[k].set, itr++;
      }
    }
    PetscCall(PetscFree(pos));
  }
  /* class names */
  char names[4096];
  int  nn = snprintf(names, sizeof names, "noise");
  for (int c = 1; c < nclass && nn < (int)sizeof names - 32; c++)
    nn += snprintf(names + nn, sizeof names - (size_t)nn, by_cluster ? ",cluster_%d" : ",event", c - 1);
  for (int which = 0; which < 2; which++) {
    long long n = which ? nte : ntr;
    if (which && !n) continue;
    prc_h5out f;
    snprintf(path, sizeof path, "%s/%s", od, which ? "windows_test.h5" : "windows_train.h5");
    PetscCall(prc_h5_create(ctx->comm, path, "trainset", &f));
    hsize_t dims[3] = {(hsize_t)n, (hsize_t)C, (hsize_t)L}, s0[3] = {0, 0, 0}, cn[3] = {ctx->rank ? 0 : (hsize_t)n, (hsize_t)C, (hsize_t)L};
    PetscCall(prc_h5_write_nd(f.fid, "x", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 3, dims, s0, cn, which ? xte : xtr));
    PetscCall(prc_h5_write_col(ctx->comm, f.fid, "y", H5T_NATIVE_INT32, (hsize_t)n, which ? yte : ytr));
    hid_t g;
    PetscCall(prc_h5_group(f.fid, "windows", &g));
    PetscCall(prc_h5_write_col(ctx->comm, g, "start_time", H5T_NATIVE_DOUBLE, (hsize_t)n, which ? tte : ttr));
    PetscCall(prc_h5_write_col(ctx->comm, g, "kind", H5T_NATIVE_INT32, (hsize_t)n, which ? kte : ktr));
    PetscCall(prc_h5_write_col(ctx->comm, g, "noise_level", H5T_NATIVE_FLOAT, (hsize_t)n, which ? lte : ltr));
    PetscCall(prc_h5_write_col(ctx->comm, g, "set", H5T_NATIVE_INT32, (hsize_t)n, which ? ste : str_));
    PetscCall(prc_h5_attr_str(g, "kind_meaning", "0 event window, 1 noise window, 2 noise-augmented copy of the window before it (noise_level x max amplitude), 3 event window cut with a shifted start"));
    H5Gclose(g);
    PetscCall(prc_h5_attr_str(f.fid, "class_names", names));
    PetscCall(prc_h5_attr_int(f.fid, "nclasses", nclass));
    PetscCall(prc_h5_attr_str(f.fid, "normalization", prc_opts_string(o, "windows_normalize")));
    PetscCall(prc_h5_attr_double(f.fid, "sampling_rate", rate));
    PetscCall(prc_h5_attr_double(f.fid, "window_s", len_s));
    PetscCall(prc_h5_attr_int(f.fid, "components", C));
    PetscCall(prc_h5_attr_str(f.fid, "split", prc_opts_string(o, "windows_split")));
    PetscCall(prc_h5_attr_str(f.fid, "anchor", anchor_p ? "p" : "origin"));
    PetscCall(prc_h5_commit(&f, ctx));
  }
  /* picture: one event window jointly and per component, one noise window */
  if (!ctx->rank && prc_opts_bool(o, "windows_png")) {
    long long ie = -1, in = -1;
    for (long long k = 0; k < ntr; k++) {
      if (ie < 0 && ktr[k] == 0) ie = k;
      if (in < 0 && ktr[k] == 1) in = k;
    }
    double *tx, *yy;
    PetscCall(PetscMalloc2(L, &tx, (size_t)9 * L, &yy));
    for (int i = 0; i < L; i++) tx[i] = i / rate;
    prc_series s[9];
    int        ns = 0;
    char       lab[9][64];
    for (int panel = 0; panel < 3; panel++) {
      long long k = panel < 2 ? ie : in;
      if (k < 0) continue;
      float *x = xtr + (size_t)k * W, *tmp;
      PetscCall(PetscMalloc1(W, &tmp));
      memcpy(tmp, x, W * sizeof(float));
      if (panel == 1) prc_win_normalize(tmp, C, L, PRC_NORM_PER_COMPONENT);
      for (int c = 0; c < C; c++) {
        double *y = yy + (size_t)ns * L;
        for (int i = 0; i < L; i++) y[i] = tmp[(size_t)c * L + i] + 2.5 * (C - 1 - c) - 8.0 * panel;
        snprintf(lab[ns], sizeof lab[ns], "%s c%d", panel == 0 ? "event, joint" : panel == 1 ? "event, per comp." : "noise", c);
        s[ns] = (prc_series){tx, y, L, c == 0 ? lab[ns] : NULL, 0x1f77b4u + 0x202000u * (uint32_t)panel};
        ns++;
      }
      PetscCall(PetscFree(tmp));
    }
    if (ns) {
      prc_lines_style ls = {.title = "event window: joint (top), per-component (middle) normalisation; noise (bottom)",
                            .xlabel = "seconds in the window", .ylabel = "normalised amplitude (offset per component)", .height = 600};
      snprintf(path, sizeof path, "%s/windows_examples.png", od);
      if (prc_plot_lines_png(path, s, ns, &ls)) printf("[windows] warning: %s\n", prc_lasterr());
    }
    PetscCall(PetscFree2(tx, yy));
  }
  prc_say(ctx->comm, "[windows] %d set(s) in %d file(s): %d at another rate than %g Hz, %d without the %d component(s)%s\n", nS, nfile,
          skipped_rate, rate, skipped_comp, C, skipped_rate ? " (resample them at import: import-mseed -mseed_rate)" : "");
  prc_say(ctx->comm, "[windows] candidates %lld: usable %lld; dropped %lld outside their set, %lld with missing data, %lld flat%s\n",
          (long long)ncd, drop[0], drop[1], drop[2], drop[3], unclustered ? "" : "");
  if (unclustered) prc_say(ctx->comm, "[windows] %lld event(s) without a location class (cluster -1) skipped\n", unclustered);
  prc_say(ctx->comm, "[windows] %lld event and %lld noise windows selected (noise per event %.2f, asked %g x (1 + %d shifted copies) = %g; %lld clear "
          "noise windows available), %d class(es): %s\n", nevw, nnoise_sel, nevw ? (double)nnoise_sel / (double)nevw : 0.0, ratio, nshift,
          ratio * (1 + nshift), nnoise_c, nclass, names);
  prc_say(ctx->comm, "[windows] train %lld windows (%lld shifted copies, %lld noise-augmented copies), test %lld (split %s, fraction %g); %d x %d samples, %s normalisation\n",
          ntr, nshifted, naug, nte, prc_opts_string(o, "windows_split"), tf, C, L, prc_opts_string(o, "windows_normalize"));
  prc_say(ctx->comm, "[windows] outputs in %s: windows_train.h5%s%s\n", od, nte ? " windows_test.h5" : "",
          prc_opts_bool(o, "windows_png") ? " windows_examples.png" : "");
  if (!ctx->rank) {
    PetscCall(PetscFree4(xtr, xte, ytr, yte));
    PetscCall(PetscFree4(ttr, tte, ktr, kte));
    PetscCall(PetscFree4(ltr, lte, str_, ste));
    PetscCall(PetscFree(gath));
    PetscCall(PetscFree2(cnts, disp));
  }
  for (int f = 0; f < nfile; f++) PetscCall(prc_h5_close(fids[f]));
  PetscCall(PetscFree(snd));
  PetscCall(PetscFree(loc));
  PetscCall(PetscFree(sel));
  PetscCall(PetscFree(test));
  PetscCall(PetscFree(st));
  PetscCall(PetscFree(cd));
  PetscCall(PetscFree(S));
  PetscCall(PetscFree(ccls));
  if (have_cat) PetscCall(prc_catalog_free(&cat));
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_windows = {"windows", "labelled event and noise windows for the event classifier (joint normalisation, augmentation, splits)",
                                     windows_opts, (int)(sizeof windows_opts / sizeof windows_opts[0]), windows_validate, windows_run};

/* stage_vmd.c — `precursor vmd`: VMD denoising of the records of a station set (paper 000
 * §1.2; docs/VMD.md). Kernel: src/signal/vmd.c.
 *
 * Parallel plan:
 *   1. every rank opens the station set and lists the selected records (station x
 *      channel) and their lengths; records are assigned whole to ranks by length
 *      (prc_partition_weighted, deterministic);
 *   2. every record is read in a collective transfer in which only its owner selects the
 *      samples (all reads first, then the work: no rank waits on another's decomposition);
 *      the owner splits it into gap-free segments (maximal runs of finite samples) and runs
 *      the adaptive VMD on each segment of at least -vmd_min_segment samples with its own
 *      FFTW plans (one context per rank, FFTW_ESTIMATE: deterministic plans);
 *   2b. segments of at least -vmd_dist_min_samples are then decomposed by all ranks
 *      together, one after the other (prc_vmd_dist_denoise, FFTW-MPI), and the results
 *      gathered back to the owner;
 *   3. failures are agreed on (the lowest failing rank's message is raised on every rank)
 *      before any output is created: a bad record leaves no file;
 *   4. vmd.h5 is written collectively (each record by its owner): a station set of the
 *      denoised records plus /vmd/<code>/<channel> with the per-segment decomposition;
 *      the owner draws the PNGs of the first -vmd_png stations.
 * Results do not depend on the rank count (tested with h5diff), except that segments of step
 * 2b agree with the serial kernel up to rounding (tested within 1e-9). */
#include <math.h>
#include <string.h>

#include "precursor/decomp.h"
#include "precursor/collective.h"
#include "precursor/error.h"
#include "precursor/plot.h"
#include "precursor/progress.h"
#include "precursor/rng.h"
#include "precursor/stage.h"
#include "precursor/stations.h"
#include "precursor/timeutil.h"
#include "precursor/vmd.h"
#include "precursor/vmd_dist.h"

static const prc_opt_spec vmd_opts[] = {
  {"vmd_input", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "station set to denoise (stations.h5 of synth or import-iaga)"},
  {"vmd_channels", PRC_OPT_STRING, "all", PRC_NO_RANGE, "channels to decompose: all, or names separated by commas"},
  {"vmd_alpha", PRC_OPT_REAL, "1000", PRC_NO_RANGE,
   "bandwidth penalty alpha (> 0) in 1 + 2 alpha (f - f_k)^2, f in cycles/sample (vmdpy's alpha = 2 x this)"},
  {"vmd_tau", PRC_OPT_REAL, "0", PRC_NO_RANGE, "dual ascent step (>= 0); 0: noise-tolerant, modes need not add up to the record"},
  {"vmd_tol", PRC_OPT_REAL, "1e-7", PRC_NO_RANGE, "convergence tolerance (> 0) on sum_k |u_k^{n+1} - u_k^n|^2 / |u_k^n|^2"},
  {"vmd_max_iter", PRC_OPT_INT, "500", 1, 1e7, "maximum ADMM iterations per decomposition"},
  {"vmd_init", PRC_OPT_STRING, "uniform", PRC_NO_RANGE, "initial centre frequencies: zero | uniform | random (seeded by -seed)"},
  {"vmd_dc", PRC_OPT_BOOL, "false", PRC_NO_RANGE, "mode 0 is a DC mode (centre frequency fixed at 0)"},
  {"vmd_kmin", PRC_OPT_INT, "2", PRC_NO_RANGE, "smallest number of modes tried (>= 1)"},
  {"vmd_kmax", PRC_OPT_INT, "8", PRC_NO_RANGE, "largest number of modes tried (<= 32); kmin = kmax fixes K"},
  {"vmd_err_max", PRC_OPT_REAL, "0.1", PRC_NO_RANGE,
   "adaptive K: reconstruction threshold, relative RMS of record - sum of modes over the record's standard deviation"},
  {"vmd_sep_min", PRC_OPT_REAL, "0.1", PRC_NO_RANGE,
   "adaptive K: modes are separated if |f_i - f_j| >= sep_min * max(f_i, f_j) for every pair (else mode mixing)"},
  {"vmd_corr_rel", PRC_OPT_REAL, "0.1", PRC_NO_RANGE, "split: a mode is signal-dominated if its correlation with the record >= corr_rel x the largest"},
  {"vmd_corr_abs", PRC_OPT_REAL, "0", PRC_NO_RANGE, "split: ... and >= corr_abs"},
  {"vmd_min_segment", PRC_OPT_INT, "64", 4, 1e12,
   "gap-free segments shorter than this many samples are not decomposed and become NaN in the output"},
  {"vmd_dist_min_samples", PRC_OPT_INT, "4194304", 0, 1e15,
   "gap-free segments of at least this many samples are decomposed by all ranks together (FFTW-MPI, prc_vmd_dist); 0: never"},
  {"vmd_write_modes", PRC_OPT_BOOL, "false", PRC_NO_RANGE, "also write the modes, /vmd/<code>/<channel>/modes (kmax x n)"},
  {"vmd_png", PRC_OPT_INT, "2", 0, 1e6, "PNG (input, denoised, modes) per channel for the first N stations"},
};

#define MSGLEN 1024
#define LINELEN 4096

static int parse_init(const char *s)
{
  if (!strcmp(s, "zero")) return PRC_VMD_INIT_ZERO;
  if (!strcmp(s, "uniform")) return PRC_VMD_INIT_UNIFORM;
  if (!strcmp(s, "random")) return PRC_VMD_INIT_RANDOM;
  return -1;
}

static void get_params(const prc_opts *o, prc_vmd_params *p, prc_vmd_select *s)
{
  *p = (prc_vmd_params){.K = 1, .alpha = prc_opts_real(o, "vmd_alpha"), .tau = prc_opts_real(o, "vmd_tau"),
                        .tol = prc_opts_real(o, "vmd_tol"), .max_iter = (int)prc_opts_int(o, "vmd_max_iter"),
                        .init = parse_init(prc_opts_string(o, "vmd_init")), .dc = prc_opts_bool(o, "vmd_dc")};
  *s = (prc_vmd_select){.kmin = (int)prc_opts_int(o, "vmd_kmin"), .kmax = (int)prc_opts_int(o, "vmd_kmax"),
                        .err_max = prc_opts_real(o, "vmd_err_max"), .sep_min = prc_opts_real(o, "vmd_sep_min"),
                        .corr_rel = prc_opts_real(o, "vmd_corr_rel"), .corr_abs = prc_opts_real(o, "vmd_corr_abs")};
}

static void vmd_validate(prc_opts *o)
{
  prc_vmd_params p;
  prc_vmd_select s;
  get_params(o, &p, &s);
  if (p.init < 0) prc_opts_violation(o, "-vmd_init '%s': expected zero, uniform or random", prc_opts_string(o, "vmd_init"));
  p.K = s.kmin >= 1 && s.kmin <= PRC_VMD_KMAX ? s.kmin : 1;
  if (p.init >= 0 && prc_vmd_check(&p)) prc_opts_violation(o, "-vmd_alpha/-vmd_tau/-vmd_tol: %s", prc_lasterr());
  if (prc_vmd_select_check(&s)) prc_opts_violation(o, "-vmd_kmin/-vmd_kmax/-vmd_err_max/-vmd_sep_min/-vmd_corr_*: %s", prc_lasterr());
  const char *ch = prc_opts_string(o, "vmd_channels");
  int         bad = !ch[0];
  for (const char *q = ch; *q; q++)
    if (*q == ',' && (q == ch || q[1] == ',' || !q[1])) bad = 1;
  if (bad) prc_opts_violation(o, "-vmd_channels '%s': expected 'all' or channel names separated by commas", ch);
}


/* One record (station x channel); the arrays live on the owner only. */
typedef struct {
  int              st, ch; /* station index, index into the channel-name table */
  prc_channel_meta m;
  int              nseg;   /* decomposed segments (known to every rank after the broadcast) */
  int64_t         *seg;    /* 2*nseg: start, count */
  prc_vmd_result  *res;    /* nseg */
  double          *in, *den, *modes; /* n; n; kmax*n or NULL */
  int64_t          nshort; /* samples of segments too short to decompose */
  char            *line;   /* summary text */
} record;

/* Split the record (owner) into gap-free segments of at least minseg samples; allocate the outputs. */
static int segment(record *R, const char *code, const char *chname, const prc_vmd_select *s, int64_t minseg, int keep_modes)
{
  int64_t n = R->m.n;
  R->den = malloc((size_t)(n ? n : 1) * sizeof(double));
  R->seg = malloc((size_t)(n + 2) * sizeof(int64_t)); /* at most n/2+1 runs */
  if (keep_modes) R->modes = malloc((size_t)(s->kmax * n + 1) * sizeof(double));
  if (!R->den || !R->seg || (keep_modes && !R->modes)) return prc_seterr("out of memory for record %s/%s", code, chname);
  for (int64_t i = 0; i < n; i++) R->den[i] = NAN;
  if (R->modes)
    for (int64_t i = 0; i < s->kmax * n; i++) R->modes[i] = NAN;
  int64_t i = 0, nseg = 0;
  while (i < n) {
    while (i < n && !isfinite(R->in[i])) i++;
    int64_t a = i;
    while (i < n && isfinite(R->in[i])) i++;
    if (i > a) {
      if (i - a >= minseg) R->seg[2 * nseg] = a, R->seg[2 * nseg + 1] = i - a, nseg++;
      else R->nshort += i - a;
    }
  }
  if (!nseg)
    return prc_seterr("record %s/%s: no gap-free segment of at least %lld samples (-vmd_min_segment) in %lld samples "
                      "(%s)",
                      code, chname, (long long)minseg, (long long)n, R->nshort ? "only short segments" : "all NaN");
  R->nseg = (int)nseg;
  R->res = calloc((size_t)nseg, sizeof *R->res);
  R->line = malloc(LINELEN);
  if (!R->res || !R->line) return prc_seterr("out of memory for record %s/%s", code, chname);
  return 0;
}

/* Decompose segment g on this rank (the owner). */
static int decompose_segment(prc_vmd_ctx *c, record *R, int g, const char *code, const char *chname, const prc_vmd_params *p0,
                             const prc_vmd_select *s, uint64_t seed, double *u)
{
  int64_t        n = R->m.n, a = R->seg[2 * g], m = R->seg[2 * g + 1];
  prc_vmd_params p = *p0;
  p.seed = prc_hash4(seed, (uint64_t)R->st, (uint64_t)R->ch, (uint64_t)g);
  prc_vmd_result *r = &R->res[g];
  if (prc_vmd_denoise(c, R->in + a, m, &p, s, u, R->den + a, r)) {
    char e[MSGLEN];
    snprintf(e, sizeof e, "%s", prc_lasterr());
    return prc_seterr("record %s/%s segment [%lld, %lld): %s", code, chname, (long long)a, (long long)(a + m), e);
  }
  if (R->modes)
    for (int k = 0; k < r->k_chosen; k++) memcpy(R->modes + k * n + a, u + k * m, (size_t)m * sizeof(double));
  return 0;
}

/* The record's summary text (owner), after every segment is decomposed. */
static void record_line(record *R, const char *code, const char *chname, const prc_vmd_select *s, int64_t distmin)
{
  int len = snprintf(R->line, LINELEN, "[vmd] %s/%s: %lld samples, %d segment(s)%s\n", code, chname, (long long)R->m.n,
                     R->nseg, R->nshort ? " (short segments left NaN)" : "");
  for (int g = 0; g < R->nseg; g++) {
    int64_t               a = R->seg[2 * g], m = R->seg[2 * g + 1];
    const prc_vmd_result *r = &R->res[g];
    if (len < LINELEN - 600) {
      len += snprintf(R->line + len, LINELEN - len, "[vmd]   [%lld, %lld)%s: K = %d (rule %d; err/sep by K:", (long long)a,
                      (long long)(a + m), distmin > 0 && m >= distmin ? " over all ranks" : "", r->k_chosen, r->rule);
      for (int K = s->kmin; K <= s->kmax && len < LINELEN - 400; K++)
        if (!isnan(r->err[K - s->kmin]))
          len += snprintf(R->line + len, LINELEN - len, " %d:%.3g/%.2g", K, r->err[K - s->kmin], r->sep[K - s->kmin]);
      len += snprintf(R->line + len, LINELEN - len, "), %d iterations%s, energy loss %.3g; f/corr:", r->info.iterations,
                      r->info.converged ? "" : " (NOT converged)", r->energy_loss);
      for (int k = 0; k < r->k_chosen && len < LINELEN - 100; k++)
        len += snprintf(R->line + len, LINELEN - len, " %.4g/%.2f%s", r->info.omega[k], r->corr[k], r->kept[k] ? "*" : "");
      len += snprintf(R->line + len, LINELEN - len, " (* kept; f in cycles/sample)\n");
    }
  }
}

/* Segments of at least -vmd_dist_min_samples: decomposed by all ranks together, one after the
 * other (list gathered from the owners); each owner broadcasts the segment, gets the denoised
 * samples (and modes) back. */
static PetscErrorCode decompose_long(prc_ctx *ctx, record *rec, const int *owner, int64_t *pend, int npend,
                                     const prc_vmd_params *p0, const prc_vmd_select *s, uint64_t seed, prc_progress *prog,
                                     double *done)
{
  int    *cnt, *dsp, P = ctx->size, ntot = 0;
  int64_t *all;
  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(P, &cnt, P, &dsp));
  int mine = 2 * npend;
  PetscCallMPI(MPI_Allgather(&mine, 1, MPI_INT, cnt, 1, MPI_INT, ctx->comm));
  for (int r = 0; r < P; r++) dsp[r] = ntot, ntot += cnt[r];
  PetscCall(PetscMalloc1(ntot + 1, &all));
  PetscCallMPI(MPI_Allgatherv(pend, mine, MPI_INT64_T, all, cnt, dsp, MPI_INT64_T, ctx->comm));
  for (int q = 0; q < ntot / 2; q++) {
    int      ri = (int)all[2 * q], g = (int)all[2 * q + 1], o = owner[ri], me = o == ctx->rank;
    record  *R = &rec[ri];
    int64_t  seg[2] = {me ? R->seg[2 * g] : 0, me ? R->seg[2 * g + 1] : 0};
    PetscCallMPI(MPI_Bcast(seg, 2, MPI_INT64_T, o, ctx->comm));
    int64_t  a = seg[0], m = seg[1], i0, ni;
    double  *f, *u = NULL, *den = NULL;
    int      keep = me && R->modes;
    PetscCallMPI(MPI_Bcast(&keep, 1, MPI_INT, o, ctx->comm));
    PetscCall(PetscMalloc1(m, &f));
    if (me) memcpy(f, R->in + a, (size_t)m * sizeof *f);
    PetscCallMPI(MPI_Bcast(f, (int)m, MPI_DOUBLE, o, ctx->comm)); /* m < 2^31 is checked by the caller */
    prc_vmd_params p = *p0;
    prc_vmd_result res;
    p.seed = prc_hash4(seed, (uint64_t)R->st, (uint64_t)R->ch, (uint64_t)g); /* st, ch known everywhere */
    PetscCall(prc_vmd_dist_denoise(ctx->comm, f, m, &p, s, &i0, &ni, &u, &den, &res, NULL));
    /* slices back to the owner */
    int c = (int)ni, *rc = cnt, *rd = dsp;
    PetscCallMPI(MPI_Gather(&c, 1, MPI_INT, rc, 1, MPI_INT, o, ctx->comm));
    if (me) {
      int t = 0;
      for (int r = 0; r < P; r++) rd[r] = t, t += rc[r];
      R->res[g] = res;
    }
    PetscCallMPI(MPI_Gatherv(den, c, MPI_DOUBLE, me ? R->den + a : NULL, rc, rd, MPI_DOUBLE, o, ctx->comm));
    if (keep)
      for (int k = 0; k < res.k_chosen; k++)
        PetscCallMPI(MPI_Gatherv(u + k * ni, c, MPI_DOUBLE, me ? R->modes + k * R->m.n + a : NULL, rc, rd, MPI_DOUBLE, o,
                                 ctx->comm));
    PetscCall(PetscFree(u));
    PetscCall(PetscFree(den));
    PetscCall(PetscFree(f));
    if (!me) prog->total += (double)m; /* the owner counted it already */
    *done += (double)m;
    prc_progress_update(prog, *done);
  }
  PetscCall(PetscFree(all));
  PetscCall(PetscFree2(cnt, dsp));
  PetscFunctionReturn(0);
}

static int plot_record(const char *dir, const char *code, const char *chname, const record *R, int kmax)
{
  int64_t n = R->m.n;
  char    path[4400], title[512], xl[96], d0[32], lab[PRC_VMD_KMAX][48];
  int     K = 0;
  for (int g = 0; g < R->nseg; g++) K = R->res[g].k_chosen > K ? R->res[g].k_chosen : K;
  double *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * (K + 2) * sizeof *y);
  if (!x || !y) {
    free(x), free(y);
    return prc_seterr("out of memory for the picture of %s/%s", code, chname);
  }
  double m = 0, sd = 0, cnt = 0;
  for (int64_t i = 0; i < n; i++)
    if (isfinite(R->in[i])) m += R->in[i], cnt++;
  m = cnt ? m / cnt : 0;
  for (int64_t i = 0; i < n; i++)
    if (isfinite(R->in[i])) sd += (R->in[i] - m) * (R->in[i] - m);
  sd = cnt ? sqrt(sd / cnt) : 1;
  if (!(sd > 0)) sd = 1;
  prc_series s[PRC_VMD_KMAX + 2];
  for (int64_t i = 0; i < n; i++) x[i] = (double)i * R->m.dt / PRC_DAY;
  double md = 0, cd = 0;
  for (int64_t i = 0; i < n; i++)
    if (isfinite(R->den[i])) md += R->den[i], cd++;
  md = cd ? md / cd : 0;
  for (int64_t i = 0; i < n; i++) y[i] = (R->in[i] - m) / sd, y[n + i] = (R->den[i] - md) / sd;
  s[0] = (prc_series){x, y, (int)n, "input", 0x9A9A9A};
  s[1] = (prc_series){x, y + n, (int)n, "denoised", 0xD62728};
  for (int k = 0; k < K && R->modes; k++) {
    double *v = y + (k + 2) * n;
    double mk = 0, ck = 0;
    for (int64_t i = 0; i < n; i++)
      if (isfinite(R->modes[k * n + i])) mk += R->modes[k * n + i], ck++;
    mk = ck ? mk / ck : 0;
    for (int64_t i = 0; i < n; i++) v[i] = (R->modes[k * n + i] - mk) / sd - 6.0 * (k + 1);
    snprintf(lab[k], sizeof lab[k], "mode %d", k + 1);
    s[k + 2] = (prc_series){x, v, (int)n, k == 0 ? "modes (offset)" : NULL, 0x1F77B4};
  }
  (void)kmax;
  prc_time_format(R->m.start_time, d0, sizeof d0);
  snprintf(title, sizeof title, "%s %s: input and denoised (centred, / sd of input), modes 1..%d below (centred, low to high frequency)", code,
           chname, K);
  snprintf(xl, sizeof xl, "days since %s", d0);
  prc_lines_style ls = {.title = title, .xlabel = xl, .ylabel = "z-score, modes offset by 6", .width = 1200, .height = 700};
  snprintf(path, sizeof path, "%s/vmd_%s_%s.png", dir, code, chname);
  int rc = prc_plot_lines_png(path, s, R->modes ? K + 2 : 2, &ls);
  free(x), free(y);
  return rc;
}

static PetscErrorCode write_info(prc_ctx *ctx, hid_t fid, const char *code, const char *chname, record *R, int owner,
                                 const prc_vmd_select *s, int write_modes)
{
  char    gn[256];
  hid_t   g;
  int     me = owner == ctx->rank, nk = s->kmax - s->kmin + 1, kx = s->kmax, ns = R->nseg;
  hsize_t d2[2] = {(hsize_t)ns, 2}, dk[2] = {(hsize_t)ns, (hsize_t)kx}, dt[2] = {(hsize_t)ns, (hsize_t)nk}, d1 = (hsize_t)ns;
  hsize_t z[2] = {0, 0}, c2[2], ck[2], ct[2], c1;
  PetscFunctionBeginUser;
  c2[0] = ck[0] = ct[0] = c1 = me ? (hsize_t)ns : 0;
  c2[1] = me ? 2 : 0, ck[1] = me ? (hsize_t)kx : 0, ct[1] = me ? (hsize_t)nk : 0;
  snprintf(gn, sizeof gn, "vmd/%s/%s", code, chname);
  PetscCall(prc_h5_group(fid, gn, &g));
  double *om = NULL, *co = NULL, *te = NULL, *tsep = NULL, *dif = NULL, *el = NULL;
  int    *kk = NULL, *it = NULL, *cv = NULL, *ru = NULL, *kp = NULL, *ti = NULL;
  if (me) {
    PetscCall(PetscMalloc6(ns * kx, &om, ns * kx, &co, ns * nk, &te, ns * nk, &tsep, ns, &dif, ns, &el));
    PetscCall(PetscMalloc6(ns, &kk, ns, &it, ns, &cv, ns, &ru, ns * kx, &kp, ns * nk, &ti));
    for (int gi = 0; gi < ns; gi++) {
      const prc_vmd_result *r = &R->res[gi];
      kk[gi] = r->k_chosen, it[gi] = r->info.iterations, cv[gi] = r->info.converged, ru[gi] = r->rule;
      dif[gi] = r->info.diff, el[gi] = r->energy_loss;
      for (int k = 0; k < kx; k++) {
        om[gi * kx + k] = k < r->k_chosen ? r->info.omega[k] : NAN;
        co[gi * kx + k] = k < r->k_chosen ? r->corr[k] : NAN;
        kp[gi * kx + k] = k < r->k_chosen ? r->kept[k] : 0;
      }
      for (int t = 0; t < nk; t++) te[gi * nk + t] = r->err[t], tsep[gi * nk + t] = r->sep[t], ti[gi * nk + t] = r->iters[t];
    }
  }
  PetscCall(prc_h5_write_nd(g, "segments", H5T_STD_I64LE, H5T_NATIVE_INT64, 2, d2, z, c2, R->seg));
  PetscCall(prc_h5_write_nd(g, "k", H5T_STD_I32LE, H5T_NATIVE_INT, 1, &d1, z, &c1, kk));
  PetscCall(prc_h5_write_nd(g, "rule", H5T_STD_I32LE, H5T_NATIVE_INT, 1, &d1, z, &c1, ru));
  PetscCall(prc_h5_write_nd(g, "iterations", H5T_STD_I32LE, H5T_NATIVE_INT, 1, &d1, z, &c1, it));
  PetscCall(prc_h5_write_nd(g, "converged", H5T_STD_I32LE, H5T_NATIVE_INT, 1, &d1, z, &c1, cv));
  PetscCall(prc_h5_write_nd(g, "convergence", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &d1, z, &c1, dif));
  PetscCall(prc_h5_write_nd(g, "energy_loss", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &d1, z, &c1, el));
  PetscCall(prc_h5_write_nd(g, "omega", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dk, z, ck, om));
  PetscCall(prc_h5_write_nd(g, "corr", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dk, z, ck, co));
  PetscCall(prc_h5_write_nd(g, "kept", H5T_STD_I32LE, H5T_NATIVE_INT, 2, dk, z, ck, kp));
  PetscCall(prc_h5_write_nd(g, "trial_err", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dt, z, ct, te));
  PetscCall(prc_h5_write_nd(g, "trial_sep", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dt, z, ct, tsep));
  PetscCall(prc_h5_write_nd(g, "trial_iterations", H5T_STD_I32LE, H5T_NATIVE_INT, 2, dt, z, ct, ti));
  if (write_modes) {
    hsize_t dm[2] = {(hsize_t)kx, (hsize_t)R->m.n}, cm[2] = {me ? (hsize_t)kx : 0, me ? (hsize_t)R->m.n : 0};
    PetscCall(prc_h5_write_nd(g, "modes", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dm, z, cm, R->modes));
  }
  PetscCall(prc_h5_attr_int(g, "kmin", s->kmin));
  PetscCall(prc_h5_attr_int(g, "kmax", s->kmax));
  PetscCall(prc_h5_attr_double(g, "dt", R->m.dt));
  PetscCall(prc_h5_attr_str(g, "omega_units", "cycles per sample (multiply by 86400/dt for cycles per day)"));
  PetscCall(prc_h5_attr_int(g, "samples_in_short_segments", (long long)R->nshort));
  if (me) {
    PetscCall(PetscFree6(om, co, te, tsep, dif, el));
    PetscCall(PetscFree6(kk, it, cv, ru, kp, ti));
  }
  H5Gclose(g);
  PetscFunctionReturn(0);
}

/* PETSc log events (-log_view; tests/bench_scaling.sh splits the time with them), registered
 * once per process. VMDWait: agreeing on failures before the collective steps (the time a
 * rank waits for the slowest one: load imbalance). */
static PetscLogEvent ev_read, ev_compute, ev_wait, ev_dist, ev_write;
static PetscErrorCode register_events(void)
{
  static int done = 0;
  PetscFunctionBeginUser;
  if (done) PetscFunctionReturn(0);
  PetscCall(PetscLogEventRegister("VMDRead", 0, &ev_read));
  PetscCall(PetscLogEventRegister("VMDCompute", 0, &ev_compute));
  PetscCall(PetscLogEventRegister("VMDWait", 0, &ev_wait));
  PetscCall(PetscLogEventRegister("VMDDistributed", 0, &ev_dist));
  PetscCall(PetscLogEventRegister("VMDWrite", 0, &ev_write));
  done = 1;
  PetscFunctionReturn(0);
}

static PetscErrorCode vmd_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  const char     *out = prc_opts_string(o, "out_dir"), *chopt = prc_opts_string(o, "vmd_channels");
  prc_vmd_params  p;
  prc_vmd_select  s;
  char            msg[MSGLEN] = "", path[4200];
  int             npng = (int)prc_opts_int(o, "vmd_png"), wmodes = prc_opts_bool(o, "vmd_write_modes");
  int64_t         minseg = prc_opts_int(o, "vmd_min_segment");
  PetscFunctionBeginUser;
  PetscCall(register_events());
  get_params(o, &p, &s);
  const char *in = prc_opts_string(o, "vmd_input");
  PetscCall(prc_ctx_add_input(ctx, in));
  prc_stations_in sin;
  PetscCall(prc_stations_open(ctx->comm, in, &sin));
  int ns = sin.ns;

  /* 1. records: the selected channels of every station */
  int nrec = 0, cap = 16, ok = 1;
  record *rec;
  char (*names)[PRC_CHANNEL_NAME_LEN];
  PetscCall(PetscCalloc1(cap, &rec));
  PetscCall(PetscMalloc1(cap, &names));
  for (int st = 0; st < ns && ok; st++) {
    int nch;
    char (*chn)[PRC_CHANNEL_NAME_LEN];
    PetscCall(prc_stations_channels(&sin, sin.st[st].code, &nch, &chn));
    if (!strcmp(chopt, "all")) {
      for (int c = 0; c < nch; c++) {
        if (nrec == cap) {
          cap *= 2;
          PetscCall(PetscRealloc(sizeof(record) * cap, &rec));
          PetscCall(PetscRealloc(sizeof(*names) * cap, &names));
        }
        memset(&rec[nrec], 0, sizeof(record));
        rec[nrec].st = st, rec[nrec].ch = nrec, snprintf(names[nrec], sizeof names[nrec], "%s", chn[c]), nrec++;
      }
    } else {
      char buf[4096], *save = NULL;
      snprintf(buf, sizeof buf, "%s", chopt);
      for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int found = 0;
        for (int c = 0; c < nch; c++) found |= !strcmp(chn[c], t);
        if (!found) {
          ok = 0;
          int l = snprintf(msg, sizeof msg, "-vmd_channels: station %s in '%s' has no channel '%s' (it has:", sin.st[st].code, in, t);
          for (int c = 0; c < nch && l < MSGLEN - 80; c++) l += snprintf(msg + l, MSGLEN - l, " %s", chn[c]);
          snprintf(msg + l, MSGLEN - l, ")");
          break;
        }
        if (nrec == cap) {
          cap *= 2;
          PetscCall(PetscRealloc(sizeof(record) * cap, &rec));
          PetscCall(PetscRealloc(sizeof(*names) * cap, &names));
        }
        memset(&rec[nrec], 0, sizeof(record));
        rec[nrec].st = st, rec[nrec].ch = nrec, snprintf(names[nrec], sizeof names[nrec], "%s", t), nrec++;
      }
    }
    PetscCall(PetscFree(chn));
  }
  PetscCheck(ok, ctx->comm, PETSC_ERR_ARG_WRONG, "%s", msg); /* same verdict on every rank: the file is shared */
  PetscCheck(nrec > 0, ctx->comm, PETSC_ERR_ARG_WRONG, "'%s' holds no records", in);

  int64_t *len;
  int     *owner;
  PetscCall(PetscMalloc2(nrec, &len, nrec, &owner));
  for (int r = 0; r < nrec; r++) {
    PetscCall(prc_stations_read_channel(&sin, sin.st[rec[r].st].code, names[r], &rec[r].m, NULL, NULL));
    len[r] = rec[r].m.n;
  }
  PetscCheck(!prc_partition_weighted(len, nrec, ctx->size, owner), PETSC_COMM_SELF, PETSC_ERR_PLIB, "record partition failed");

  /* 2. read (collective transfers; only the owner reads the values) and decompose on the owner;
   *    segments of at least -vmd_dist_min_samples are left for step 2b */
  int64_t distmin = prc_opts_int(o, "vmd_dist_min_samples");
  double  mine = 0, done = 0;
  for (int r = 0; r < nrec; r++)
    if (owner[r] == ctx->rank) mine += (double)len[r];
  prc_progress prog;
  prc_progress_start(&prog, ctx->comm, "vmd", "records", "samples", mine, prc_opts_real(o, "progress_interval"),
                     prc_opts_bool(o, "quiet"));
  prc_vmd_ctx *vc = prc_vmd_ctx_create();
  PetscCheck(vc, PETSC_COMM_SELF, PETSC_ERR_MEM, "%s", prc_lasterr());
  int64_t maxn = 1;
  for (int r = 0; r < nrec; r++) maxn = len[r] > maxn ? len[r] : maxn;
  double  *u = NULL;
  int64_t *pend = NULL;
  int      npend = 0, cpend = 0;
  PetscCall(PetscMalloc1(s.kmax * maxn + 1, &u));
  /* all reads first: they are collective, and a decomposition between two of them would make
   * every other rank wait for it (the ranks would take turns instead of working together) */
  PetscCall(PetscLogEventBegin(ev_read, 0, 0, 0, 0));
  for (int r = 0; r < nrec; r++)
    PetscCall(prc_stations_read_channel_on(&sin, sin.st[rec[r].st].code, names[r], &rec[r].m, &rec[r].in, NULL,
                                           owner[r] == ctx->rank ? PETSC_TRUE : PETSC_FALSE));
  PetscCall(PetscLogEventEnd(ev_read, 0, 0, 0, 0));
  PetscCall(PetscLogEventBegin(ev_compute, 0, 0, 0, 0));
  for (int r = 0; r < nrec; r++) {
    record *R = &rec[r];
    if (owner[r] != ctx->rank) continue;
    const char *code = sin.st[R->st].code;
    if (ok && segment(R, code, names[r], &s, minseg, wmodes || R->st < npng)) ok = 0, snprintf(msg, sizeof msg, "%s", prc_lasterr());
    for (int g = 0; ok && g < R->nseg; g++) {
      int64_t m = R->seg[2 * g + 1];
      if (distmin > 0 && m >= distmin) {
        if (m > 2147483647) {
          ok = 0, snprintf(msg, sizeof msg, "record %s/%s: a gap-free segment of %lld samples is beyond 2^31 - 1 (split it)", code,
                           names[r], (long long)m);
          break;
        }
        if (npend == cpend) {
          cpend = cpend ? 2 * cpend : 16;
          PetscCall(PetscRealloc(sizeof(int64_t) * 2 * cpend, &pend));
        }
        pend[2 * npend] = r, pend[2 * npend + 1] = g, npend++;
        continue;
      }
      if (decompose_segment(vc, R, g, code, names[r], &p, &s, (uint64_t)prc_opts_int(o, "seed"), u))
        ok = 0, snprintf(msg, sizeof msg, "%s", prc_lasterr());
      done += (double)m;
      prc_progress_update(&prog, done);
    }
  }
  prc_vmd_ctx_destroy(vc);
  PetscCall(PetscFree(u));
  PetscCall(PetscLogEventEnd(ev_compute, 0, 0, 0, 0));
  PetscCall(PetscLogEventBegin(ev_wait, 0, 0, 0, 0));
  PetscCall(prc_agree(ctx->comm, ok, msg)); /* before the collective step 2b; nothing written yet */
  PetscCall(PetscLogEventEnd(ev_wait, 0, 0, 0, 0));
  /* 2b. long segments over all ranks */
  PetscCall(PetscLogEventBegin(ev_dist, 0, 0, 0, 0));
  PetscCall(decompose_long(ctx, rec, owner, pend, npend, &p, &s, (uint64_t)prc_opts_int(o, "seed"), &prog, &done));
  PetscCall(PetscLogEventEnd(ev_dist, 0, 0, 0, 0));
  PetscCall(PetscFree(pend));
  prc_progress_end(&prog);
  for (int r = 0; r < nrec; r++)
    if (owner[r] == ctx->rank) record_line(&rec[r], sin.st[rec[r].st].code, names[r], &s, distmin);
  prc_station *st;
  PetscCall(PetscMalloc1(ns + 1, &st));
  for (int i = 0; i < ns; i++) st[i] = sin.st[i];
  PetscCall(prc_stations_close(&sin));

  /* 4. write: denoised station set + /vmd/<code>/<channel> */
  PetscCheck((size_t)snprintf(path, sizeof path, "%s/vmd.h5", out) < sizeof path, ctx->comm, PETSC_ERR_ARG_OUTOFRANGE,
             "output path too long");
  prc_stations_out w;
  PetscCall(PetscLogEventBegin(ev_write, 0, 0, 0, 0));
  PetscCall(prc_stations_create(ctx->comm, path, ns, st, &w));
  int64_t ksum = 0, nsegs = 0, nconv = 0, nkept = 0, nmodes = 0;
  for (int r = 0; r < nrec; r++) {
    record *R = &rec[r];
    int     me = owner[r] == ctx->rank;
    int64_t *gaps = NULL;
    int64_t hdr[2] = {R->nseg, 0};
    if (me) {
      R->m.n_gaps = prc_stations_nan_runs(R->den, R->m.n, NULL, 0);
      PetscCall(PetscMalloc1(2 * R->m.n_gaps + 2, &gaps));
      prc_stations_nan_runs(R->den, R->m.n, gaps, R->m.n_gaps);
      hdr[1] = R->m.n_gaps;
    }
    PetscCallMPI(MPI_Bcast(hdr, 2, MPI_INT64_T, owner[r], ctx->comm));
    R->nseg = (int)hdr[0], R->m.n_gaps = hdr[1];
    PetscCall(prc_stations_write_channel(&w, st[R->st].code, names[r], &R->m, owner[r], R->den, gaps));
    PetscCall(write_info(ctx, w.f.fid, st[R->st].code, names[r], R, owner[r], &s, wmodes));
    PetscCall(PetscFree(gaps));
    /* summary line (owner -> rank 0) and totals */
    char    line[LINELEN] = "";
    int64_t t[4] = {0, 0, 0, 0};
    if (me) {
      snprintf(line, sizeof line, "%s", R->line);
      for (int g = 0; g < R->nseg; g++) {
        t[0] += R->res[g].k_chosen, t[1] += R->res[g].info.converged;
        for (int k = 0; k < R->res[g].k_chosen; k++) t[2] += R->res[g].kept[k];
      }
    }
    PetscCallMPI(MPI_Bcast(line, LINELEN, MPI_CHAR, owner[r], ctx->comm));
    PetscCallMPI(MPI_Bcast(t, 4, MPI_INT64_T, owner[r], ctx->comm));
    ksum += t[0], nconv += t[1], nkept += t[2], nsegs += R->nseg, nmodes += t[0];
    if (!prc_opts_bool(o, "quiet")) prc_say(ctx->comm, "%s", line);
  }
  PetscCall(prc_stations_commit(&w, ctx));
  PetscCall(PetscLogEventEnd(ev_write, 0, 0, 0, 0));
  for (int r = 0; r < nrec && ok; r++)
    if (owner[r] == ctx->rank && rec[r].st < npng && plot_record(out, st[rec[r].st].code, names[r], &rec[r], s.kmax))
      ok = 0, snprintf(msg, sizeof msg, "picture: %s", prc_lasterr());
  PetscCall(prc_agree(ctx->comm, ok, msg));
  prc_say(ctx->comm, "[vmd] %d record(s) of %d station(s) on %d rank(s): %lld segment(s), mean K %.2f, %lld/%lld modes kept, "
          "%lld/%lld decompositions converged -> %s%s\n",
          nrec, ns, ctx->size, (long long)nsegs, nsegs ? (double)ksum / (double)nsegs : 0.0, (long long)nkept, (long long)nmodes,
          (long long)nconv, (long long)nsegs, path, npng ? " (+ vmd_<CODE>_<channel>.png)" : "");

  for (int r = 0; r < nrec; r++) {
    free(rec[r].seg), free(rec[r].res), free(rec[r].den), free(rec[r].modes), free(rec[r].line);
    PetscCall(PetscFree(rec[r].in));
  }
  PetscCall(PetscFree(st));
  PetscCall(PetscFree2(len, owner));
  PetscCall(PetscFree(rec));
  PetscCall(PetscFree(names));
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_vmd = {"vmd", "VMD denoising of station records (adaptive K, correlation split)", vmd_opts,
                                 (int)(sizeof vmd_opts / sizeof vmd_opts[0]), vmd_validate, vmd_run};

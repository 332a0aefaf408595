/* vmd_dist.c — prc_vmd_dist: VMD of one long record over ranks (include/precursor/vmd_dist.h). */
#include <math.h>
#include <string.h>

#include "precursor/error.h"
#include "precursor/fft_dist.h"
#include "precursor/vmd_dist.h"

/* Counts/displacements (doubles, one per bin) to move global bins between two block layouts:
 * this rank holds [a0, a1) in layout A and every rank r [b0[r], b1[r]) in layout B. */
static void overlap_counts(int64_t a0, int64_t a1, const int64_t *b0, const int64_t *b1, int P, int *cnt, int *dsp)
{
  for (int r = 0; r < P; r++) {
    int64_t lo = a0 > b0[r] ? a0 : b0[r], hi = a1 < b1[r] ? a1 : b1[r];
    cnt[r] = hi > lo ? (int)(hi - lo) : 0;
    dsp[r] = hi > lo ? (int)(lo - a0) : 0;
  }
}

/* Makhoul's order (vmd.c): v_t = f[i(t)], i(t) = 2t for t < ceil(n/2), 2(n-1-t)+1 above. */
static int64_t sample_of(int64_t t, int64_t n) { return t < (n + 1) / 2 ? 2 * t : 2 * (n - 1 - t) + 1; }

/* The indices t in [ts, te) whose samples i(t) lie in [s0, s1): two intervals, the even
 * samples' t in [e0, e1) and the odd ones' in [o0, o1), both in increasing t. */
static void t_ranges(int64_t ts, int64_t te, int64_t s0, int64_t s1, int64_t n, int64_t r[4])
{
  int64_t e0 = (s0 + 1) / 2, e1 = (s1 + 1) / 2, o0 = n - s1 / 2, o1 = n - s0 / 2;
  r[0] = e0 > ts ? e0 : ts, r[1] = e1 < te ? e1 : te;
  r[2] = o0 > ts ? o0 : ts, r[3] = o1 < te ? o1 : te;
  if (r[1] < r[0]) r[1] = r[0];
  if (r[3] < r[2]) r[3] = r[2];
}

/* The real form of prc_vmd (vmd.c, docs/VMD.md "Real form") over ranks: the cosine coefficients
 * c_k = 2 Re(e^{-i pi k/2n} V_k) of the record, V = the FFTW-MPI complex DFT of length n of v
 * (Makhoul's order; the imaginary input is 0), computed on FFTW's out slab and redistributed
 * evenly (one MPI_Alltoallv); the sweep on each rank's bins with one MPI_Allreduce of 3K sums
 * per iteration; each mode back by x_k = b_k e^{i pi k/2n} (b_0 = a_0, b_k = 2 a_k) and a
 * backward DFT (Re x_t = REDFT01(a)_{i(t)}), its samples moved to the even sample slices. */
PetscErrorCode prc_vmd_dist(MPI_Comm comm, const double *f, int64_t n, const prc_vmd_params *p, int64_t *i0, int64_t *ni,
                            double **u, prc_vmd_info *info, double *mem_bytes)
{
  PetscMPIInt rank, size;
  prc_fftd   *F = NULL;
  PetscFunctionBeginUser;
  PetscCheck(!prc_vmd_check(p), comm, PETSC_ERR_ARG_OUTOFRANGE, "%s", prc_lasterr());
  PetscCheck(n >= 2, comm, PETSC_ERR_ARG_OUTOFRANGE, "vmd_dist: record of %lld samples, expected at least 2", (long long)n);
  for (int64_t i = 0; i < n; i++) /* f is the same on every rank: all agree */
    PetscCheck(isfinite(f[i]), comm, PETSC_ERR_ARG_WRONG, "vmd_dist: sample %lld is %g, expected finite values (split records at gaps)", (long long)i, f[i]);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  const int64_t M = 2 * n;
  const int     K = p->K, P = size;
  PetscCheck(n / P < 2147483647, comm, PETSC_ERR_SUP, "vmd_dist: %lld bins too many for %d ranks (int counts)", (long long)n, P);
  PetscCall(prc_fftd_create(comm, (ptrdiff_t)n, FFTW_ESTIMATE, &F));
  const int64_t is = F->local_i_start, nis = F->local_ni, os = F->local_o_start, nos = F->local_no;
  double       *in = (double *)F->in, *out = (double *)F->out; /* (re, im) pairs */
  for (int64_t q = 0; q < nis; q++) in[2 * q] = f[sample_of(is + q, n)], in[2 * q + 1] = 0;
  PetscCall(prc_fftd_forward(F));
  const double ph = M_PI / (2.0 * (double)n);
  for (int64_t q = 0; q < nos; q++) { /* c_k, packed into the first nos doubles of out */
    double t = ph * (double)(os + q), vr = out[2 * q], vi = out[2 * q + 1];
    out[q] = 2 * (cos(t) * vr + sin(t) * vi);
  }
  /* layouts: A = FFTW's out slab [os, os + nos); B = bins 0..n-1 evenly; S = samples evenly */
  int64_t *b0, *b1, *a0, *a1;
  int     *sc, *sd, *rc, *rd;
  PetscCall(PetscMalloc4(P, &b0, P, &b1, P, &a0, P, &a1));
  PetscCall(PetscMalloc4(P, &sc, P, &sd, P, &rc, P, &rd));
  for (int r = 0; r < P; r++) b0[r] = n * r / P, b1[r] = n * (r + 1) / P;
  int64_t *ab; /* every rank's out slab, then its in slab */
  PetscCall(PetscMalloc1(4 * P, &ab));
  {
    int64_t mine[4] = {os, os + nos, is, is + nis};
    PetscCallMPI(MPI_Allgather(mine, 4, MPI_INT64_T, ab, 4, MPI_INT64_T, comm));
    for (int r = 0; r < P; r++) a0[r] = ab[4 * r], a1[r] = ab[4 * r + 1];
  }
  const int64_t nb = b1[rank] - b0[rank], off = b0[rank];
  double       *R, *U, *lam = NULL;
  PetscCall(PetscMalloc1(nb + 1, &R));
  PetscCall(PetscCalloc1(K * nb + 1, &U));
  if (p->tau > 0) PetscCall(PetscCalloc1(nb + 1, &lam));
  double mem = (double)F->alloc_local * 32 + (double)nb * 8 * (K + 1 + (p->tau > 0));
  overlap_counts(os, os + nos, b0, b1, P, sc, sd);
  overlap_counts(b0[rank], b1[rank], a0, a1, P, rc, rd);
  PetscCallMPI(MPI_Alltoallv(out, sc, sd, MPI_DOUBLE, R, rc, rd, MPI_DOUBLE, comm));

  double om[PRC_VMD_KMAX], en[PRC_VMD_KMAX] = {0}; /* en: |u_k|^2 of the last iteration (0: u = 0) */
  prc_vmd_init_omega(p, M, om);
  const double a2 = 2 * p->alpha;
  int          it = 0, conv = 0;
  double       diff = INFINITY;
  while (it < p->max_iter) {
    double s[3 * PRC_VMD_KMAX]; /* mode k's update uses only omega_k: one sweep, one reduction */
    prc_vmd_sweep(U, nb, R, nb, off, M, K, a2, om, s);
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, s, 3 * K, MPI_DOUBLE, MPI_SUM, comm));
    diff = 0;
    for (int k = 0; k < K; k++) {
      diff += en[k] > 0 ? s[3 * k] / en[k] : (s[3 * k] > 0 ? INFINITY : 0);
      if (!(p->dc && k == 0) && s[3 * k + 2] > 0) om[k] = s[3 * k + 1] / s[3 * k + 2];
      en[k] = s[3 * k + 2];
    }
    if (p->tau > 0)
      for (int64_t j = 0; j < nb; j++) {
        double dl = p->tau * (R[j] - 0.5 * lam[j]);
        lam[j] += dl, R[j] += 0.5 * dl;
      }
    it++;
    if (diff < p->tol) {
      conv = 1;
      break;
    }
  }
  /* sort by centre frequency (stable), as prc_vmd */
  int ord[PRC_VMD_KMAX];
  for (int k = 0; k < K; k++) ord[k] = k;
  for (int a = 1; a < K; a++)
    for (int b = a; b > 0 && om[ord[b]] < om[ord[b - 1]]; b--) {
      int t = ord[b];
      ord[b] = ord[b - 1], ord[b - 1] = t;
    }
  /* samples back: this rank's in slab (v order) -> the even sample slices S */
  const int64_t s0 = n * rank / P, s1 = n * (rank + 1) / P;
  *i0 = s0, *ni = s1 - s0;
  int *tc, *td, *uc, *ud;
  PetscCall(PetscMalloc4(P, &tc, P, &td, P, &uc, P, &ud));
  for (int r = 0, sdp = 0, rdp = 0; r < P; r++) {
    int64_t g[4], h[4];
    t_ranges(is, is + nis, n * r / P, n * (r + 1) / P, n, g);       /* mine, to rank r */
    t_ranges(ab[4 * r + 2], ab[4 * r + 3], s0, s1, n, h);           /* rank r's, to me */
    tc[r] = (int)((g[1] - g[0]) + (g[3] - g[2])), td[r] = sdp, sdp += tc[r];
    uc[r] = (int)((h[1] - h[0]) + (h[3] - h[2])), ud[r] = rdp, rdp += uc[r];
  }
  double *sbuf, *rbuf;
  PetscCall(PetscMalloc2(nis + 1, &sbuf, *ni + 1, &rbuf));
  PetscCall(PetscMalloc1(K * *ni + 1, u));
  mem += (double)(K * *ni) * 8 + (double)(nis + *ni) * 8;
  for (int k = 0; k < K; k++) {
    memset(out, 0, (size_t)(2 * nos) * sizeof *out);
    PetscCallMPI(MPI_Alltoallv(U + ord[k] * nb, rc, rd, MPI_DOUBLE, out, sc, sd, MPI_DOUBLE, comm));
    for (int64_t q = nos - 1; q >= 0; q--) { /* unpack in place from the top: out[q] -> pair 2q */
      int64_t j = os + q;
      double  b = j == 0 ? out[q] : 2 * out[q], t = ph * (double)j;
      out[2 * q] = b * cos(t), out[2 * q + 1] = b * sin(t);
    }
    PetscCall(prc_fftd_backward(F));
    for (int r = 0, w = 0; r < P; r++) { /* pack in increasing t per destination: even, then odd */
      int64_t g[4];
      t_ranges(is, is + nis, n * r / P, n * (r + 1) / P, n, g);
      for (int64_t t = g[0]; t < g[1]; t++) sbuf[w++] = in[2 * (t - is)];
      for (int64_t t = g[2]; t < g[3]; t++) sbuf[w++] = in[2 * (t - is)];
    }
    PetscCallMPI(MPI_Alltoallv(sbuf, tc, td, MPI_DOUBLE, rbuf, uc, ud, MPI_DOUBLE, comm));
    double *uk = *u + k * *ni;
    for (int r = 0, w = 0; r < P; r++) {
      int64_t h[4];
      t_ranges(ab[4 * r + 2], ab[4 * r + 3], s0, s1, n, h);
      for (int64_t t = h[0]; t < h[1]; t++) uk[sample_of(t, n) - s0] = rbuf[w++] / (double)M;
      for (int64_t t = h[2]; t < h[3]; t++) uk[sample_of(t, n) - s0] = rbuf[w++] / (double)M;
    }
  }
  if (info) {
    memset(info, 0, sizeof *info);
    info->K = K, info->iterations = it, info->converged = conv, info->diff = diff;
    for (int k = 0; k < K; k++) info->omega[k] = om[ord[k]];
  }
  if (mem_bytes) PetscCallMPI(MPI_Allreduce(&mem, mem_bytes, 1, MPI_DOUBLE, MPI_MAX, comm));
  PetscCall(PetscFree2(sbuf, rbuf));
  PetscCall(PetscFree4(tc, td, uc, ud));
  PetscCall(PetscFree(ab));
  PetscCall(PetscFree(R));
  PetscCall(PetscFree(U));
  PetscCall(PetscFree(lam));
  PetscCall(PetscFree4(b0, b1, a0, a1));
  PetscCall(PetscFree4(sc, sd, rc, rd));
  PetscCall(prc_fftd_destroy(&F));
  PetscFunctionReturn(0);
}

/* ---- adaptive K and split over ranks: prc_vmd_denoise_sliced with distributed runs ---- */
typedef struct {
  MPI_Comm              comm;
  const double         *f;
  int64_t               n, i0, ni;
  const prc_vmd_params *p;
  double                mem;
} dist_run;

static int dist_run_fn(void *ctx, int K, double *u, prc_vmd_info *info)
{
  dist_run      *D = ctx;
  prc_vmd_params q = *D->p;
  double        *v = NULL, mem = 0;
  int64_t        i0, ni;
  q.K = K;
  PetscErrorCode e = prc_vmd_dist(D->comm, D->f, D->n, &q, &i0, &ni, &v, info, &mem);
  if (e) return prc_seterr("distributed VMD with K = %d failed (PETSc error %d)", K, (int)e);
  if (i0 != D->i0 || ni != D->ni) {
    PetscFree(v);
    return prc_seterr("distributed VMD: slice [%lld, +%lld) changed to [%lld, +%lld)", (long long)D->i0, (long long)D->ni,
                      (long long)i0, (long long)ni);
  }
  memcpy(u, v, (size_t)(K * ni) * sizeof *u);
  if (mem > D->mem) D->mem = mem;
  PetscFree(v);
  return 0;
}

static int dist_sum_fn(void *ctx, double *v, int m)
{
  dist_run *D = ctx;
  return MPI_Allreduce(MPI_IN_PLACE, v, m, MPI_DOUBLE, MPI_SUM, D->comm) != MPI_SUCCESS
           ? prc_seterr("distributed VMD: MPI_Allreduce of %d sums failed", m)
           : 0;
}

PetscErrorCode prc_vmd_dist_denoise(MPI_Comm comm, const double *f, int64_t n, const prc_vmd_params *p,
                                    const prc_vmd_select *s, int64_t *i0, int64_t *ni, double **u, double **den,
                                    prc_vmd_result *r, double *mem_bytes)
{
  PetscMPIInt size;
  PetscFunctionBeginUser;
  PetscCheck(!prc_vmd_select_check(s), comm, PETSC_ERR_ARG_OUTOFRANGE, "%s", prc_lasterr());
  PetscCallMPI(MPI_Comm_size(comm, &size));
  /* the slice layout: that of prc_vmd_dist (FFTW-MPI's split of the mirrored record), found by
   * a one-iteration run with K = 1 (cheap next to the real runs) */
  prc_vmd_params q = *p;
  double        *v = NULL;
  q.K = 1, q.max_iter = 1;
  dist_run D = {comm, f, n, 0, 0, p, 0};
  PetscCall(prc_vmd_dist(comm, f, n, &q, &D.i0, &D.ni, &v, NULL, NULL));
  PetscCall(PetscFree(v));
  PetscCall(PetscMalloc1(s->kmax * D.ni + 1, u));
  PetscCall(PetscMalloc1(D.ni + 1, den));
  int rc = prc_vmd_denoise_sliced(f + D.i0, D.ni, n, s, dist_run_fn, dist_sum_fn, &D, *u, *den, r);
  /* every call inside is collective and every decision uses reduced values, so all ranks fail
   * or succeed together; agree anyway so that no rank can wait on another */
  int bad = rc != 0;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, comm));
  PetscCheck(!bad, comm, PETSC_ERR_LIB, "distributed VMD of a %lld-sample record on %d ranks: %s", (long long)n, size,
             rc ? prc_lasterr() : "failed on another rank");
  *i0 = D.i0, *ni = D.ni;
  if (mem_bytes) PetscCallMPI(MPI_Allreduce(&D.mem, mem_bytes, 1, MPI_DOUBLE, MPI_MAX, comm));
  PetscFunctionReturn(0);
}

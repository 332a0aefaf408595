/* vmd_dist.c — prc_vmd_dist: VMD of one long record over ranks (include/precursor/vmd_dist.h). */
#include <math.h>
#include <string.h>

#include "precursor/error.h"
#include "precursor/fft_dist.h"
#include "precursor/vmd_dist.h"

/* Counts/displacements (in doubles, 2 per bin) to move global bins between two block
 * layouts: this rank holds [a0, a1) in layout A and every rank r [b0[r], b1[r]) in layout B. */
static void overlap_counts(int64_t a0, int64_t a1, const int64_t *b0, const int64_t *b1, int P, int *cnt, int *dsp)
{
  for (int r = 0; r < P; r++) {
    int64_t lo = a0 > b0[r] ? a0 : b0[r], hi = a1 < b1[r] ? a1 : b1[r];
    cnt[r] = hi > lo ? (int)(2 * (hi - lo)) : 0;
    dsp[r] = hi > lo ? (int)(2 * (lo - a0)) : 0;
  }
}

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
  const int64_t M = 2 * n, H = n + 1, h = n / 2;
  const int     K = p->K, P = size;
  PetscCheck(H * 2 / P < 2147483647, comm, PETSC_ERR_SUP, "vmd_dist: %lld bins too many for %d ranks (int counts)", (long long)H, P);
  PetscCall(prc_fftd_create(comm, (ptrdiff_t)M, FFTW_ESTIMATE, &F));
  /* mirrored record into the in slab */
  const int64_t is = F->local_i_start, nis = F->local_ni, os = F->local_o_start, nos = F->local_no;
  double       *in = (double *)F->in, *out = (double *)F->out;
  for (int64_t q = 0; q < nis; q++) {
    int64_t m = is + q;
    double  v = m < h ? f[h - 1 - m] : m < h + n ? f[m - h] : f[n - 1 - (m - h - n)];
    in[2 * q] = v, in[2 * q + 1] = 0;
  }
  PetscCall(prc_fftd_forward(F));
  /* layouts: A = this rank's out bins below H; B = bins 0..H-1 evenly */
  int64_t *b0, *b1, *a0, *a1;
  int     *sc, *sd, *rc, *rd;
  PetscCall(PetscMalloc4(P, &b0, P, &b1, P, &a0, P, &a1));
  PetscCall(PetscMalloc4(P, &sc, P, &sd, P, &rc, P, &rd));
  for (int r = 0; r < P; r++) b0[r] = H * r / P, b1[r] = H * (r + 1) / P;
  int64_t my_a[2] = {os < H ? os : H, os + nos < H ? os + nos : H};
  {
    int64_t *ab;
    PetscCall(PetscMalloc1(2 * P, &ab));
    PetscCallMPI(MPI_Allgather(my_a, 2, MPI_INT64_T, ab, 2, MPI_INT64_T, comm));
    for (int r = 0; r < P; r++) a0[r] = ab[2 * r], a1[r] = ab[2 * r + 1];
    PetscCall(PetscFree(ab));
  }
  const int64_t nb = b1[rank] - b0[rank], off = b0[rank];
  double       *R, *U, *lam = NULL;
  PetscCall(PetscMalloc1(2 * nb + 2, &R));
  PetscCall(PetscCalloc1(2 * K * nb + 2, &U));
  if (p->tau > 0) PetscCall(PetscCalloc1(2 * nb + 2, &lam));
  double mem = (double)F->alloc_local * 32 + (double)(2 * nb) * 8 * (K + 1 + (p->tau > 0)) + (double)n * 0; /* f is the caller's */
  overlap_counts(my_a[0], my_a[1], b0, b1, P, sc, sd);
  overlap_counts(b0[rank], b1[rank], a0, a1, P, rc, rd);
  PetscCallMPI(MPI_Alltoallv(out, sc, sd, MPI_DOUBLE, R, rc, rd, MPI_DOUBLE, comm));

  double om[PRC_VMD_KMAX], en[PRC_VMD_KMAX] = {0}; /* en: |u_k|^2 of the last iteration (0: u = 0) */
  prc_vmd_init_omega(p, M, om);
  const double a2 = 2 * p->alpha;
  int          it = 0, conv = 0;
  double       diff = INFINITY;
  while (it < p->max_iter) {
    double s[3 * PRC_VMD_KMAX]; /* mode k's update uses only omega_k: one sweep, one reduction */
    prc_vmd_sweep(U, R, nb, off, M, K, a2, om, s);
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, s, 3 * K, MPI_DOUBLE, MPI_SUM, comm));
    diff = 0;
    for (int k = 0; k < K; k++) {
      diff += en[k] > 0 ? s[3 * k] / en[k] : (s[3 * k] > 0 ? INFINITY : 0);
      if (!(p->dc && k == 0) && s[3 * k + 2] > 0) om[k] = s[3 * k + 1] / s[3 * k + 2];
      en[k] = s[3 * k + 2];
    }
    if (p->tau > 0)
      for (int64_t j = 0; j < 2 * nb; j++) {
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
  /* this rank's record samples: mirrored indices [is, is+nis) within [h, h+n) */
  int64_t lo = is > h ? is : h, hi = is + nis < h + n ? is + nis : h + n;
  *i0 = hi > lo ? lo - h : 0, *ni = hi > lo ? hi - lo : 0;
  PetscCall(PetscMalloc1(K * *ni + 1, u));
  for (int k = 0; k < K; k++) {
    memset(out, 0, (size_t)(2 * nos) * sizeof *out);
    PetscCallMPI(MPI_Alltoallv(U + 2 * ord[k] * nb, rc, rd, MPI_DOUBLE, out, sc, sd, MPI_DOUBLE, comm));
    /* one-sided spectrum -> real signal: x = Re(IDFT(V)), V_0 = Re U_0, V_{M/2} = Re U_{M/2},
       V_j = 2 U_j (0 < j < M/2), V_j = 0 above (= c2r of the half spectrum) */
    for (int64_t q = 0; q < my_a[1] - my_a[0]; q++) {
      int64_t j = os + q;
      if (j == 0 || j == M / 2) out[2 * q + 1] = 0;
      else out[2 * q] *= 2, out[2 * q + 1] *= 2;
    }
    PetscCall(prc_fftd_backward(F));
    for (int64_t i = 0; i < *ni; i++) (*u)[k * *ni + i] = in[2 * (h + *i0 + i - is)] / (double)M;
  }
  if (info) {
    memset(info, 0, sizeof *info);
    info->K = K, info->iterations = it, info->converged = conv, info->diff = diff;
    for (int k = 0; k < K; k++) info->omega[k] = om[ord[k]];
  }
  mem += (double)(K * *ni) * 8;
  if (mem_bytes) PetscCallMPI(MPI_Allreduce(&mem, mem_bytes, 1, MPI_DOUBLE, MPI_MAX, comm));
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

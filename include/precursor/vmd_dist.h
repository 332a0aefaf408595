/* precursor/vmd_dist.h — VMD of one very long record with distributed FFTs (parallel layer;
 * docs/VMD.md "One long record over ranks"). The same algorithm, conventions and real form as
 * prc_vmd (include/precursor/vmd.h): the record's cosine coefficients come from one FFTW-MPI
 * complex DFT of length n (prc_fftd, Makhoul's order), the n bins are redistributed evenly over
 * the ranks (once), every rank updates the modes on its bins, and the sums of the centre
 * frequencies and the convergence criterion are reduced globally (one MPI_Allreduce of 3K
 * doubles per iteration). The modes are brought back with K backward DFTs and moved to even
 * sample slices. Results equal prc_vmd's up to rounding (other FFT algorithm, sums in another
 * order; tests/mpi/test_vmd_dist.c). */
#ifndef PRECURSOR_VMD_DIST_H
#define PRECURSOR_VMD_DIST_H

#include <petscsys.h>

#include "precursor/vmd.h"

/* Decompose f[0..n) (the whole record, read on every rank; n >= 2, finite) into p->K modes.
 * On return this rank holds samples [*i0, *i0 + *ni) of every mode: (*u)[k * *ni + i]
 * (PetscMalloc'ed, free with PetscFree; *i0 = n*rank/size, *ni = n*(rank+1)/size - *i0), sorted by centre frequency as prc_vmd. info (same on every rank) may be NULL;
 * mem_bytes (may be NULL): the largest over ranks of the bytes this call allocated on a rank.
 * Collective on comm. */
PetscErrorCode prc_vmd_dist(MPI_Comm comm, const double *f, int64_t n, const prc_vmd_params *p, int64_t *i0, int64_t *ni,
                            double **u, prc_vmd_info *info, double *mem_bytes);

/* Adaptive K and signal/noise split (prc_vmd_denoise's rules, include/precursor/vmd.h) of one
 * long gap-free record over ranks: every trial K is a prc_vmd_dist run and every statistic a
 * sum over the ranks' slices (prc_vmd_denoise_sliced). On return this rank holds samples
 * [*i0, *i0 + *ni) of the chosen K's modes ((*u)[k * *ni + i], kmax * ni doubles) and of the
 * denoised record (*den); r is the same on every rank. Equals prc_vmd_denoise up to rounding
 * (a correlation exactly at a threshold could flip). Free *u and *den with PetscFree.
 * mem_bytes (may be NULL): the most one VMD run allocated on a rank. Collective. */
PetscErrorCode prc_vmd_dist_denoise(MPI_Comm comm, const double *f, int64_t n, const prc_vmd_params *p,
                                    const prc_vmd_select *s, int64_t *i0, int64_t *ni, double **u, double **den,
                                    prc_vmd_result *r, double *mem_bytes);

#endif

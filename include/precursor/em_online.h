/* precursor/em_online.h — the loss of paper 000's online learning (METHODS.md §3, docs/EM.md
 * "Online learning"), kernel layer (no MPI):
 *
 *   L = L_ce + lambda1 * L_kd + lambda2 * L_lf, per batch of N samples (means over samples),
 *   L_ce = -log softmax(z)_y,
 *   L_kd = -sum_i q*_i log q_i,  q = softmax(z / Omega), q* = softmax(z* / Omega)
 *          (q*_i = p*_i^{1/Omega} / sum_j p*_j^{1/Omega} with p* = softmax(z*): the paper's rescaled
 *          soft labels of the frozen previous model, and the same rescaling of the student),
 *   L_lf = 1 - <f / |f|, f* / |f*|>   (less-forgetting: normalised features of student and teacher),
 * with z, f the student's logits (C) and features (F), z*, f* the teacher's. */
#ifndef PRECURSOR_EM_ONLINE_H
#define PRECURSOR_EM_ONLINE_H

#include <stdint.h>

typedef struct {
  double lambda1, lambda2, omega; /* omega > 0 (the paper: > 1) */
} prc_online_loss_conf;

/* out (N, C + F): each row the logits then the features (the model's output of
 * inputs/models/msrcnn_online.model); teacher (N, C + F) or NULL (then only L_ce); y (N) labels.
 * Returns the mean loss terms in terms[3] = {ce, kd, lf} and the total; writes dout (N, C + F) =
 * d total / d out (gradient of the batch mean). correct: number of argmax(z) == y. */
double prc_online_loss(const float *out, const float *teacher, const int32_t *y, int N, int C, int F, const prc_online_loss_conf *c,
                       float *dout, double terms[3], int *correct);

#endif

/* dropout.c — inverted dropout: in training each element is kept with probability 1-p and
 * scaled by 1/(1-p); identity in eval (training = 0) and for p = 0.  The mask of the k-th
 * forward call is drawn from prc_rng(seed, stream k), so runs are reproducible; with
 * l->stream_set, from the stream the caller set (prc_model_set_stream). */
#include "../nn_internal.h"
#include "precursor/rng.h"

typedef struct {
  float   *mask; /* 0 or 1/(1-p) of the last training forward */
  size_t   n;
  uint64_t calls;
  int      active; /* last forward applied a mask */
} drop_state;

static int drop_shape(prc_layer *l, int nin, const prc_tensor *const *in, int *nd, int *sh)
{
  if (prc_nn_check_in(l, nin, 1, in, 1, 4)) return 1;
  *nd = in[0]->ndim;
  memcpy(sh, in[0]->shape, sizeof in[0]->shape);
  return 0;
}

static int drop_forward(prc_layer *l, int nin, const prc_tensor *const *in, prc_tensor *out)
{
  drop_state *s = l->state;
  size_t      n = in[0]->size;
  s->active     = l->training && l->conf.p > 0;
  if (!s->active) {
    memcpy(out->data, in[0]->data, n * sizeof(float));
    return 0;
  }
  if (s->n < n) {
    free(s->mask);
    if (!(s->mask = malloc(n * sizeof(float)))) return prc_seterr("dropout: no memory");
    s->n = n;
  }
  prc_rng r;
  /* the caller's stream if set (data-parallel training: one per step and micro-batch, so the
   * masks do not depend on which rank runs the micro-batch), else the call counter */
  prc_rng_seed(&r, l->conf.seed, l->stream_set ? prc_hash4(0x64726f70u, l->stream, 0, 0) : 0x64726f70u + s->calls);
  s->calls++;
  double p = l->conf.p;
  float  scale = (float)(1.0 / (1.0 - p));
  for (size_t i = 0; i < n; i++) {
    s->mask[i]   = prc_rng_uniform(&r) < p ? 0.0f : scale;
    out->data[i] = in[0]->data[i] * s->mask[i];
  }
  return 0;
}

static int drop_backward(prc_layer *l, int nin, prc_tensor *const *in, const prc_tensor *out)
{
  drop_state *s = l->state;
  if (!in[0]->grad) return 0;
  for (size_t i = 0; i < in[0]->size; i++)
    in[0]->grad[i] += s->active ? out->grad[i] * s->mask[i] : out->grad[i];
  return 0;
}

static void drop_destroy(prc_layer *l)
{
  drop_state *s = l->state;
  if (s) free(s->mask);
  free(s);
}

static const prc_layer_ops drop_ops = {"dropout", drop_shape, drop_forward, drop_backward, drop_destroy};

int prc_layer_create_dropout(const prc_layer_conf *c, prc_layer *l)
{
  l->ops = &drop_ops;
  if (!(c->p >= 0 && c->p < 1)) return prc_seterr("dropout: p = %g outside [0, 1)", c->p);
  if (!(l->state = calloc(1, sizeof(drop_state)))) return prc_seterr("dropout: no memory");
  return 0;
}

/* optim.c — SGD (momentum, dampening, nesterov) and Adam/AdamW on a flat parameter buffer,
 * with PyTorch's update rules (torch/optim/sgd.py, adam.py, adamw.py, "for-loop"
 * implementation) evaluated in float32 in the same order, and learning-rate schedules.
 * Kernel layer: no MPI. docs/NN.md "Training". */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/error.h"
#include "precursor/nn_train.h"

int prc_optim_check(const prc_optim_conf *c)
{
  if (!c) return prc_seterr("optimiser: no configuration");
  if (c->kind != PRC_OPTIM_SGD && c->kind != PRC_OPTIM_ADAM && c->kind != PRC_OPTIM_ADAMW)
    return prc_seterr("optimiser: unknown kind %d", (int)c->kind);
  if (!(c->weight_decay >= 0 && c->weight_decay < 1e3)) return prc_seterr("optimiser: weight decay %g outside [0, 1e3)", c->weight_decay);
  if (c->kind == PRC_OPTIM_SGD) {
    if (!(c->momentum >= 0 && c->momentum < 1)) return prc_seterr("SGD: momentum %g outside [0, 1)", c->momentum);
    if (!(c->dampening >= 0 && c->dampening <= 1)) return prc_seterr("SGD: dampening %g outside [0, 1]", c->dampening);
    if (c->nesterov && (c->momentum <= 0 || c->dampening != 0))
      return prc_seterr("SGD: nesterov momentum requires momentum > 0 and dampening 0 (as PyTorch)");
  } else {
    if (!(c->beta1 >= 0 && c->beta1 < 1)) return prc_seterr("Adam: beta1 %g outside [0, 1)", c->beta1);
    if (!(c->beta2 >= 0 && c->beta2 < 1)) return prc_seterr("Adam: beta2 %g outside [0, 1)", c->beta2);
    if (!(c->eps > 0 && c->eps < 1)) return prc_seterr("Adam: eps %g outside (0, 1)", c->eps);
  }
  return 0;
}

int prc_optim_create(const prc_optim_conf *c, size_t n, prc_optim **out)
{
  if (prc_optim_check(c)) return 1;
  prc_optim *o = calloc(1, sizeof *o);
  if (!o) return prc_seterr("optimiser: out of memory");
  o->c = *c;
  o->n = n;
  size_t nn = n ? n : 1;
  o->decay = malloc(nn);
  int ns = prc_optim_nstate(o);
  if (ns >= 1) o->m = calloc(nn, sizeof(float));
  if (ns >= 2) o->v = calloc(nn, sizeof(float));
  if (!o->decay || (ns >= 1 && !o->m) || (ns >= 2 && !o->v)) {
    prc_optim_destroy(o);
    return prc_seterr("optimiser: out of memory for %zu parameters", n);
  }
  memset(o->decay, 1, nn);
  *out = o;
  return 0;
}

void prc_optim_destroy(prc_optim *o)
{
  if (!o) return;
  free(o->m), free(o->v), free(o->decay), free(o);
}

void prc_optim_decay_none(prc_optim *o) { memset(o->decay, 0, o->n ? o->n : 1); }

void prc_optim_decay_range(prc_optim *o, size_t off, size_t len)
{
  if (off >= o->n) return;
  if (len > o->n - off) len = o->n - off;
  memset(o->decay + off, 1, len);
}

int prc_optim_nstate(const prc_optim *o)
{
  if (o->c.kind == PRC_OPTIM_SGD) return o->c.momentum > 0 ? 1 : 0;
  return 2;
}

int prc_optim_step(prc_optim *o, float *p, const float *g, double lr)
{
  if (!(isfinite(lr) && lr >= 0)) return prc_seterr("optimiser: learning rate %g is not a finite value >= 0", lr);
  const prc_optim_conf *c = &o->c;
  const float           wd = (float)c->weight_decay, flr = (float)lr;
  size_t                n = o->n;
  if (c->kind == PRC_OPTIM_SGD) {
    const float mu = (float)c->momentum, damp1 = (float)(1.0 - c->dampening);
    int         first = o->t == 0;
    for (size_t i = 0; i < n; i++) {
      float d = g[i];
      if (wd != 0 && o->decay[i]) d = d + wd * p[i]; /* grad.add(param, alpha=wd) */
      if (mu != 0) {
        float b = first ? d : mu * o->m[i] + damp1 * d; /* buf.mul_(mu).add_(grad, alpha=1-damp) */
        o->m[i] = b;
        d = c->nesterov ? d + mu * b : b;
      }
      p[i] = p[i] - flr * d; /* param.add_(grad, alpha=-lr) */
    }
    o->t++;
    return 0;
  }
  o->t++;
  const float  b1 = (float)c->beta1, b2 = (float)c->beta2, eps = (float)c->eps;
  const double bc1 = 1.0 - pow(c->beta1, (double)o->t), bc2 = 1.0 - pow(c->beta2, (double)o->t);
  const float  step_size = (float)(lr / bc1), bc2_sqrt = (float)sqrt(bc2);
  const int    decoupled = c->kind == PRC_OPTIM_ADAMW;
  for (size_t i = 0; i < n; i++) {
    float d = g[i];
    if (wd != 0 && o->decay[i]) {
      if (decoupled) p[i] = p[i] * (1.0f - flr * wd); /* param.mul_(1 - lr*wd) */
      else d = d + wd * p[i];
    }
    o->m[i] = o->m[i] + (1.0f - b1) * (d - o->m[i]); /* exp_avg.lerp_(grad, 1-beta1) */
    o->v[i] = o->v[i] * b2 + (1.0f - b2) * d * d;    /* exp_avg_sq.mul_(b2).addcmul_(g, g, 1-b2) */
    float denom = sqrtf(o->v[i]) / bc2_sqrt + eps;   /* (exp_avg_sq.sqrt() / bc2_sqrt).add_(eps) */
    p[i] = p[i] - step_size * (o->m[i] / denom);     /* param.addcdiv_(exp_avg, denom, -step_size) */
  }
  return 0;
}

int prc_lr_check(const prc_lr_sched *s)
{
  if (!(isfinite(s->base) && s->base > 0 && s->base < 1e3)) return prc_seterr("learning rate %g outside (0, 1e3)", s->base);
  if (s->warmup < 0) return prc_seterr("warm-up steps %lld < 0", s->warmup);
  switch (s->kind) {
  case PRC_LR_CONSTANT: return 0;
  case PRC_LR_STEP:
    if (s->step_size < 1) return prc_seterr("step schedule: step size %lld < 1", s->step_size);
    if (!(s->gamma > 0 && s->gamma <= 1)) return prc_seterr("step schedule: gamma %g outside (0, 1]", s->gamma);
    return 0;
  case PRC_LR_COSINE:
    if (!(s->min_lr >= 0 && s->min_lr <= s->base)) return prc_seterr("cosine schedule: minimum %g outside [0, %g]", s->min_lr, s->base);
    if (s->total <= s->warmup) return prc_seterr("cosine schedule: %lld total steps <= %lld warm-up steps", s->total, s->warmup);
    return 0;
  }
  return prc_seterr("unknown learning-rate schedule %d", (int)s->kind);
}

double prc_lr_at(const prc_lr_sched *s, long long step)
{
  if (step < s->warmup) return s->base * (double)(step + 1) / (double)s->warmup;
  long long k = step - s->warmup;
  switch (s->kind) {
  case PRC_LR_STEP: return s->base * pow(s->gamma, (double)(k / s->step_size));
  case PRC_LR_COSINE: {
    double span = (double)(s->total - s->warmup), f = k >= s->total - s->warmup ? 1.0 : (double)k / span;
    return s->min_lr + (s->base - s->min_lr) * 0.5 * (1.0 + cos(M_PI * f));
  }
  default: return s->base;
  }
}

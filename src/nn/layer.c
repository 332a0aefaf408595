/* layer.c — the layer registry and the generic lifecycle wrappers. */
#include "nn_internal.h"
#include "precursor/rng.h"

#include <stdio.h>

#define PRC_NN_MAXREG 64
static struct {
  const char         *name;
  prc_layer_create_fn create;
} reg[PRC_NN_MAXREG];
static int         nreg;
static const char *reg_names[PRC_NN_MAXREG + 1];

int prc_layer_register(const char *name, prc_layer_create_fn create)
{
  for (int i = 0; i < nreg; i++)
    if (!strcmp(reg[i].name, name)) {
      reg[i].create = create;
      return 0;
    }
  if (nreg == PRC_NN_MAXREG) return prc_seterr("layer registry full (%d)", PRC_NN_MAXREG);
  reg[nreg].name   = name;
  reg[nreg].create = create;
  reg_names[nreg++] = name;
  reg_names[nreg]   = NULL;
  return 0;
}

static void register_builtin(void)
{
  static int done;
  if (done) return;
  done = 1;
#define PRC_NN_REG(n) prc_layer_register(#n, prc_layer_create_##n);
  PRC_NN_LAYERS(PRC_NN_REG)
#undef PRC_NN_REG
}

const char *const *prc_layer_names(void)
{
  register_builtin();
  return reg_names;
}

int prc_layer_create(const char *name, const prc_layer_conf *c, prc_layer **out)
{
  register_builtin();
  *out = NULL;
  prc_layer_create_fn fn = NULL;
  for (int i = 0; i < nreg; i++)
    if (!strcmp(reg[i].name, name)) fn = reg[i].create;
  if (!fn) return prc_seterr("unknown layer '%s'", name);
  prc_layer *l = calloc(1, sizeof *l);
  if (!l) return prc_seterr("layer %s: out of memory", name);
  prc_layer_conf zero = {0};
  l->conf     = c ? *c : zero;
  l->training = 1;
  if (fn(&l->conf, l)) {
    prc_layer_destroy(l);
    return 1;
  }
  *out = l;
  return 0;
}

void prc_layer_destroy(prc_layer *l)
{
  if (!l) return;
  if (l->ops && l->ops->destroy) l->ops->destroy(l);
  else free(l->state);
  for (int i = 0; i < l->nparam; i++) prc_tensor_free(l->param[i]);
  for (int i = 0; i < l->nbuf; i++) prc_tensor_free(l->buf[i]);
  free(l);
}

int prc_layer_output_shape(prc_layer *l, int nin, const prc_tensor *const *in, int *ndim,
                           int *shape)
{
  for (int i = 0; i < PRC_NN_MAXDIM; i++) shape[i] = 1;
  for (int i = 0; i < nin; i++)
    if (!in[i]) return prc_seterr("%s: input %d is NULL", l->ops->name, i);
  return l->ops->shape(l, nin, in, ndim, shape);
}

static int check_out(prc_layer *l, int nin, const prc_tensor *const *in, const prc_tensor *out)
{
  int nd, sh[PRC_NN_MAXDIM];
  if (prc_layer_output_shape(l, nin, in, &nd, sh)) return 1;
  int ok = out && out->ndim == nd;
  for (int i = 0; ok && i < nd; i++) ok = out->shape[i] == sh[i];
  if (!ok) return prc_seterr("%s: output tensor has the wrong shape", l->ops->name);
  return 0;
}

int prc_layer_forward(prc_layer *l, int nin, const prc_tensor *const *in, prc_tensor *out)
{
  if (check_out(l, nin, in, out)) return 1;
  return l->ops->forward(l, nin, in, out);
}

int prc_layer_backward(prc_layer *l, int nin, prc_tensor *const *in, const prc_tensor *out)
{
  if (check_out(l, nin, (const prc_tensor *const *)in, out)) return 1;
  if (!out->grad) return prc_seterr("%s: backward needs out->grad", l->ops->name);
  return l->ops->backward(l, nin, in, out);
}

void prc_layer_zero_grad(prc_layer *l)
{
  for (int i = 0; i < l->nparam; i++) prc_tensor_zero_grad(l->param[i]);
}

int prc_nn_add_param(prc_layer *l, const char *name, int ndim, const int *shape)
{
  if (l->nparam == PRC_NN_MAXPARAM) return prc_seterr("too many parameters");
  prc_tensor *t = prc_tensor_new(ndim, shape, 1);
  if (!t) return 1;
  l->param_name[l->nparam] = name;
  l->param[l->nparam++]    = t;
  return 0;
}

int prc_nn_add_buf(prc_layer *l, const char *name, int ndim, const int *shape)
{
  if (l->nbuf == 2) return prc_seterr("too many buffers");
  prc_tensor *t = prc_tensor_new(ndim, shape, 0);
  if (!t) return 1;
  l->buf_name[l->nbuf] = name;
  l->buf[l->nbuf++]    = t;
  return 0;
}

void prc_nn_init_uniform(float *a, size_t n, double bound, uint64_t seed, uint64_t stream)
{
  prc_rng r;
  prc_rng_seed(&r, seed, 0x6e6e0000u + stream);
  for (size_t i = 0; i < n; i++) a[i] = (float)((2.0 * prc_rng_uniform(&r) - 1.0) * bound);
}

int prc_nn_check_in(const prc_layer *l, int nin, int want_nin, const prc_tensor *const *in,
                    int min_ndim, int max_ndim)
{
  if (nin != want_nin)
    return prc_seterr("%s: %d input(s), expected %d", l->ops->name, nin, want_nin);
  if (in[0]->ndim < min_ndim || in[0]->ndim > max_ndim)
    return prc_seterr("%s: input has %d dimensions, expected %d..%d", l->ops->name,
                      in[0]->ndim, min_ndim, max_ndim);
  return 0;
}

int prc_nn_soft_labels(const float *p, int n, int C, double omega, float *q)
{
  if (!(omega > 0)) return prc_seterr("soft labels: omega %g must be > 0", omega);
  for (int i = 0; i < n; i++) {
    double s = 0;
    for (int j = 0; j < C; j++) {
      double v = p[(size_t)i * C + j];
      if (v < 0) return prc_seterr("soft labels: negative probability %g", v);
      s += pow(v, 1.0 / omega);
    }
    for (int j = 0; j < C; j++)
      q[(size_t)i * C + j] =
          s > 0 ? (float)(pow(p[(size_t)i * C + j], 1.0 / omega) / s) : 1.0f / (float)C;
  }
  return 0;
}

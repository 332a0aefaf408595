/* model.c — models assembled from layers by a readable spec (docs/NN.md "Model specs").
 *
 * A model is a list of values: the model inputs first, then one value per spec node (the
 * output of its layer).  Spec order is the topological order (a node may only name
 * earlier nodes or inputs), so forward walks the nodes in order and backward in reverse.
 * Every layer's parameter tensors are re-pointed into one flat parameter buffer, one flat
 * gradient buffer and one flat buffer of non-learnable state; activations and their
 * gradients live in two arenas sized by prc_model_set_batch. */
#include "nn_internal.h"
#include "precursor/nn_model.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#define MAXIN 16
#define NAMELEN 64

typedef struct {
  char           name[NAMELEN];
  char           layer[32];
  int            line;
  int            nin;
  int            in[MAXIN]; /* value indices */
  prc_layer     *l;
  prc_layer_conf conf;      /* as given (seed excluded), for re-initialisation */
  int            sndim;     /* per-sample output shape (without N) */
  int            sshape[PRC_NN_MAXDIM];
  size_t         nparam;    /* learnable floats of this node */
  int            needed;    /* on a path to the output */
  double         tf, tb;    /* profiling: seconds in forward / backward */
} mnode;

typedef struct {
  char       name[NAMELEN];
  int        sndim, sshape[PRC_NN_MAXDIM - 1];
  size_t     ssize;
} minput;

typedef struct {
  char   name[2 * NAMELEN + 24];
  int    kind, node, slot;
  size_t off;
} mtensor;

struct prc_model {
  char       where[256];
  char       name[NAMELEN];
  char      *canon;
  int        ninput, nnode, output; /* output: node index */
  minput    *inputs;
  mnode     *nodes;
  prc_layer *loss;
  char       loss_layer[32];
  int        loss_line;
  /* flat storage */
  size_t     np, nb;
  float     *params, *grads, *bufs;
  int        nt;
  mtensor   *tens;
  /* activations */
  int        N;
  prc_tensor *val;          /* ninput + nnode */
  float     *act, *actgrad; /* arenas */
  size_t     nact;
  float     *target;        /* copy of the last target */
  prc_tensor tgt, losst;
  float      lossdata, lossgrad;
  int        have_loss;
  int        training;
  int        profiling;
  long       nprof;
};

static double wall(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---- flatten: (N, ...) -> (N, F), a layer registered by the model code ------------------ */
static int flat_shape(prc_layer *l, int nin, const prc_tensor *const *in, int *nd, int *sh)
{
  if (prc_nn_check_in(l, nin, 1, in, 1, 4)) return 1;
  *nd = 2, sh[0] = in[0]->shape[0], sh[1] = (int)prc_nn_inner(in[0], 1);
  return 0;
}
static int flat_forward(prc_layer *l, int nin, const prc_tensor *const *in, prc_tensor *out)
{
  (void)l, (void)nin;
  memcpy(out->data, in[0]->data, in[0]->size * sizeof(float));
  return 0;
}
static int flat_backward(prc_layer *l, int nin, prc_tensor *const *in, const prc_tensor *out)
{
  (void)l, (void)nin;
  if (in[0]->grad)
    for (size_t i = 0; i < in[0]->size; i++) in[0]->grad[i] += out->grad[i];
  return 0;
}
static const prc_layer_ops flat_ops = {"flatten", flat_shape, flat_forward, flat_backward, NULL};
static int create_flatten(const prc_layer_conf *c, prc_layer *l)
{
  (void)c;
  l->ops = &flat_ops;
  return 0;
}

/* ---- helpers ------------------------------------------------------------------------- */
static uint64_t mix64(uint64_t z)
{
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
/* seed of node i for model seed s */
static uint64_t node_seed(uint64_t s, int i)
{
  return mix64(mix64(s + 0x9e3779b97f4a7c15ull) ^ (0x6d6f64656cull + (uint64_t)i));
}

static unsigned long crc32_buf(const char *p, size_t n)
{
  unsigned long c = 0xffffffffUL;
  for (size_t i = 0; i < n; i++) {
    c ^= (unsigned char)p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320UL & (0UL - (c & 1)));
  }
  return c ^ 0xffffffffUL;
}

static int valid_name(const char *s)
{
  if (!(isalpha((unsigned char)*s) || *s == '_')) return 0;
  for (; *s; s++)
    if (!(isalnum((unsigned char)*s) || *s == '_')) return 0;
  return 1;
}

static void shape_str(int nd, const int *sh, char *buf, size_t len)
{
  size_t o = 0;
  buf[0]   = 0;
  for (int i = 0; i < nd && o < len; i++)
    o += (size_t)snprintf(buf + o, len - o, i ? "x%d" : "%d", sh[i]);
}

/* ---- spec text: lines, substitution, tokens ------------------------------------------ */
#define MAXTOK 64
typedef struct {
  int   line;
  int   ntok;
  char *tok[MAXTOK];
} sline;

/* ${NAME} / ${NAME:-default} from defines; writes into a malloc'd string */
static int substitute(const char *where, int line, const char *src, const char *const *defines,
                      char **out)
{
  size_t cap = strlen(src) + 64, n = 0;
  char  *d   = malloc(cap);
  if (!d) return prc_seterr("%s:%d: out of memory", where, line);
  for (const char *p = src; *p;) {
    const char *val = NULL;
    size_t      vlen = 0, adv = 1;
    char        one = *p;
    if (p[0] == '$' && p[1] == '{') {
      const char *e = strchr(p, '}');
      if (!e) {
        free(d);
        return prc_seterr("%s:%d: unterminated ${ in '%s'", where, line, src);
      }
      const char *dflt = NULL;
      size_t      nlen = (size_t)(e - p - 2);
      for (const char *q = p + 2; q < e - 1; q++)
        if (q[0] == ':' && q[1] == '-') {
          nlen = (size_t)(q - p - 2), dflt = q + 2;
          break;
        }
      char name[NAMELEN];
      if (nlen == 0 || nlen >= sizeof name) {
        free(d);
        return prc_seterr("%s:%d: bad substitution '%.*s'", where, line, (int)(e - p + 1), p);
      }
      memcpy(name, p + 2, nlen), name[nlen] = 0;
      for (int i = 0; defines && defines[i]; i++) {
        size_t l = strlen(name);
        if (!strncmp(defines[i], name, l) && defines[i][l] == '=') val = defines[i] + l + 1;
      }
      if (val) vlen = strlen(val);
      else if (dflt) val = dflt, vlen = (size_t)(e - dflt);
      else {
        free(d);
        return prc_seterr("%s:%d: ${%s} is not defined (no default given)", where, line, name);
      }
      adv = (size_t)(e - p + 1);
    } else {
      val = &one, vlen = 1;
    }
    if (n + vlen + 1 > cap) {
      cap = 2 * (n + vlen + 1);
      char *t = realloc(d, cap);
      if (!t) {
        free(d);
        return prc_seterr("%s:%d: out of memory", where, line);
      }
      d = t;
    }
    memcpy(d + n, val, vlen), n += vlen;
    p += adv;
  }
  d[n] = 0;
  *out = d;
  return 0;
}

/* ---- spec keys ---------------------------------------------------------------------- */
static int parse_int(const char *s, int *v)
{
  char *e;
  errno  = 0;
  long x = strtol(s, &e, 10);
  if (e == s || errno || x < 0 || x > 1000000000L) return 1;
  *v = (int)x;
  return (int)(e - s);
}

static int parse_pair(const char *where, int line, const char *key, const char *val, int two_d,
                      int *dst)
{
  int a = 0, b = 0, k = parse_int(val, &a);
  if (k <= 0) return prc_seterr("%s:%d: %s=%s: expected a non-negative integer", where, line, key, val);
  if (val[k] == 0) {
    dst[0] = a, dst[1] = two_d ? a : 0;
    return 0;
  }
  if (val[k] != 'x' || !two_d)
    return prc_seterr("%s:%d: %s=%s: expected N%s", where, line, key, val, two_d ? " or NxM" : " (1-D layer)");
  int k2 = parse_int(val + k + 1, &b);
  if (k2 <= 0 || val[k + 1 + k2])
    return prc_seterr("%s:%d: %s=%s: expected N or NxM", where, line, key, val);
  dst[0] = a, dst[1] = b;
  return 0;
}

static int parse_float(const char *where, int line, const char *key, const char *val, float *f)
{
  char *e;
  errno    = 0;
  double x = strtod(val, &e);
  if (e == val || *e || errno || !isfinite(x))
    return prc_seterr("%s:%d: %s=%s: expected a number", where, line, key, val);
  *f = (float)x;
  return 0;
}

static int set_key(const char *where, int line, const char *layer, char *kv, prc_layer_conf *c)
{
  char *eq = strchr(kv, '=');
  *eq      = 0;
  const char *key = kv, *val = eq + 1;
  size_t      ll    = strlen(layer);
  int         two_d = ll > 2 && !strcmp(layer + ll - 2, "2d");
  int         rc;
  if (!*val) rc = prc_seterr("%s:%d: %s= has no value", where, line, key);
  else if (!strcmp(key, "k")) rc = parse_pair(where, line, key, val, two_d, c->k);
  else if (!strcmp(key, "stride")) rc = parse_pair(where, line, key, val, two_d, c->stride);
  else if (!strcmp(key, "pad")) rc = parse_pair(where, line, key, val, two_d, c->pad);
  else if (!strcmp(key, "dil")) rc = parse_pair(where, line, key, val, two_d, c->dil);
  else if (!strcmp(key, "out_pad")) rc = parse_pair(where, line, key, val, two_d, c->out_pad);
  else if (!strcmp(key, "out") || !strcmp(key, "reduction") || !strcmp(key, "no_bias")) {
    int v = 0, k = parse_int(val, &v);
    if (k <= 0 || val[k])
      rc = prc_seterr("%s:%d: %s=%s: expected a non-negative integer", where, line, key, val);
    else {
      rc = 0;
      if (key[0] == 'o') c->out_ch = v;
      else if (key[0] == 'r') c->reduction = v;
      else if (v > 1) rc = prc_seterr("%s:%d: no_bias=%s: expected 0 or 1", where, line, val);
      else c->no_bias = v;
    }
  } else if (!strcmp(key, "alpha")) rc = parse_float(where, line, key, val, &c->alpha);
  else if (!strcmp(key, "p")) rc = parse_float(where, line, key, val, &c->p);
  else if (!strcmp(key, "momentum")) rc = parse_float(where, line, key, val, &c->momentum);
  else if (!strcmp(key, "eps")) rc = parse_float(where, line, key, val, &c->eps);
  else if (!strcmp(key, "temperature")) rc = parse_float(where, line, key, val, &c->temperature);
  else
    rc = prc_seterr("%s:%d: unknown key '%s' (known: k stride pad dil out_pad out reduction "
                    "alpha p momentum eps temperature no_bias)", where, line, key);
  *eq = '=';
  return rc;
}

static int layer_known(const char *name)
{
  const char *const *n = prc_layer_names();
  for (; *n; n++)
    if (!strcmp(*n, name)) return 1;
  return 0;
}

static int is_loss_layer(const char *n)
{
  return !strcmp(n, "softmax_ce") || !strcmp(n, "bce_logits") || !strcmp(n, "kl_distill") ||
         !strcmp(n, "cosine_loss");
}

/* ---- build ------------------------------------------------------------------------- */
static int find_value(const prc_model *m, const char *name)
{
  for (int i = 0; i < m->ninput; i++)
    if (!strcmp(m->inputs[i].name, name)) return i;
  for (int i = 0; i < m->nnode; i++)
    if (!strcmp(m->nodes[i].name, name)) return m->ninput + i;
  return -1;
}

static void value_shape(const prc_model *m, int v, int N, int *nd, int *sh)
{
  const int *ss;
  int        snd;
  if (v < m->ninput) ss = m->inputs[v].sshape, snd = m->inputs[v].sndim;
  else ss = m->nodes[v - m->ninput].sshape, snd = m->nodes[v - m->ninput].sndim;
  *nd = snd + 1;
  for (int i = 0; i < PRC_NN_MAXDIM; i++) sh[i] = 1;
  sh[0] = N;
  for (int i = 0; i < snd; i++) sh[i + 1] = ss[i];
}

static void fake_tensor(prc_tensor *t, int nd, const int *sh)
{
  memset(t, 0, sizeof *t);
  t->ndim = nd;
  t->size = 1;
  for (int i = 0; i < PRC_NN_MAXDIM; i++) t->shape[i] = i < nd ? sh[i] : 1, t->size *= (size_t)t->shape[i];
}

/* output shape of node j for batch N into the node's per-sample shape; error names both */
static int infer_node(prc_model *m, int j, int N, int *nd, int *sh)
{
  mnode            *nd_ = &m->nodes[j];
  prc_tensor        tin[MAXIN];
  const prc_tensor *pin[MAXIN];
  for (int i = 0; i < nd_->nin; i++) {
    int ind, ish[PRC_NN_MAXDIM];
    value_shape(m, nd_->in[i], N, &ind, ish);
    fake_tensor(&tin[i], ind, ish);
    pin[i] = &tin[i];
  }
  if (prc_layer_output_shape(nd_->l, nd_->nin, pin, nd, sh)) {
    char msg[512], ins[512];
    size_t o = 0;
    snprintf(msg, sizeof msg, "%s", prc_lasterr());
    ins[0] = 0;
    for (int i = 0; i < nd_->nin && o < sizeof ins; i++) {
      char s[64];
      shape_str(tin[i].ndim, tin[i].shape, s, sizeof s);
      int v = nd_->in[i];
      o += (size_t)snprintf(ins + o, sizeof ins - o, "%s%s (%s)", i ? ", " : "",
                            v < m->ninput ? m->inputs[v].name : m->nodes[v - m->ninput].name, s);
    }
    return prc_seterr("%s:%d: node '%s' (%s): %s; input shapes %s", m->where, nd_->line,
                      nd_->name, nd_->layer, msg, ins);
  }
  return 0;
}

static int build_flat(prc_model *m)
{
  size_t np = 0, nb = 0;
  int    nt = 0;
  for (int j = 0; j < m->nnode; j++) {
    prc_layer *l = m->nodes[j].l;
    m->nodes[j].nparam = 0;
    for (int i = 0; i < l->nparam; i++) np += l->param[i]->size, m->nodes[j].nparam += l->param[i]->size;
    for (int i = 0; i < l->nbuf; i++) nb += l->buf[i]->size;
    nt += l->nparam + l->nbuf;
  }
  m->np = np, m->nb = nb, m->nt = nt;
  m->params = calloc(np ? np : 1, sizeof(float));
  m->grads  = calloc(np ? np : 1, sizeof(float));
  m->bufs   = calloc(nb ? nb : 1, sizeof(float));
  m->tens   = calloc(nt ? (size_t)nt : 1, sizeof(mtensor));
  if (!m->params || !m->grads || !m->bufs || !m->tens)
    return prc_seterr("%s: out of memory for %zu parameters", m->where, np);
  size_t op = 0, ob = 0;
  int    t  = 0;
  for (int j = 0; j < m->nnode; j++) {
    prc_layer *l = m->nodes[j].l;
    for (int i = 0; i < l->nparam; i++, t++) {
      prc_tensor *p = l->param[i];
      memcpy(m->params + op, p->data, p->size * sizeof(float));
      free(p->data), free(p->grad);
      p->data = m->params + op, p->grad = m->grads + op;
      snprintf(m->tens[t].name, sizeof m->tens[t].name, "%s.%s", m->nodes[j].name, l->param_name[i]);
      m->tens[t].kind = 0, m->tens[t].node = j, m->tens[t].slot = i, m->tens[t].off = op;
      op += p->size;
    }
    for (int i = 0; i < l->nbuf; i++, t++) {
      prc_tensor *b = l->buf[i];
      memcpy(m->bufs + ob, b->data, b->size * sizeof(float));
      free(b->data);
      b->data = m->bufs + ob;
      snprintf(m->tens[t].name, sizeof m->tens[t].name, "%s.%s", m->nodes[j].name, l->buf_name[i]);
      m->tens[t].kind = 1, m->tens[t].node = j, m->tens[t].slot = i, m->tens[t].off = ob;
      ob += b->size;
    }
  }
  return 0;
}

static int parse_lines(prc_model *m, sline *L, int nl, const char *const *defines)
{
  (void)defines;
  const char *W = m->where;
  /* node names, for "forward reference" vs "unknown" */
  for (int a = 0; a < nl; a++) {
    sline *s   = &L[a];
    char  *cmd = s->tok[0];
    int    ln  = s->line;
    if (!strcmp(cmd, "model")) {
      if (s->ntok != 2 || !valid_name(s->tok[1]) || strlen(s->tok[1]) >= NAMELEN)
        return prc_seterr("%s:%d: expected 'model NAME'", W, ln);
      if (m->name[0]) return prc_seterr("%s:%d: second 'model' line", W, ln);
      snprintf(m->name, sizeof m->name, "%s", s->tok[1]);
    } else if (!strcmp(cmd, "input")) {
      if (m->nnode) return prc_seterr("%s:%d: inputs must be declared before the first node", W, ln);
      if (s->ntok < 3 || s->ntok > 2 + PRC_NN_MAXDIM - 1)
        return prc_seterr("%s:%d: expected 'input NAME D1 [D2 [D3]]' (1 to %d dimensions per sample)",
                          W, ln, PRC_NN_MAXDIM - 1);
      if (!valid_name(s->tok[1]) || strlen(s->tok[1]) >= NAMELEN)
        return prc_seterr("%s:%d: bad input name '%s'", W, ln, s->tok[1]);
      if (find_value(m, s->tok[1]) >= 0)
        return prc_seterr("%s:%d: duplicate name '%s'", W, ln, s->tok[1]);
      minput *in = &m->inputs[m->ninput];
      snprintf(in->name, sizeof in->name, "%s", s->tok[1]);
      in->sndim = s->ntok - 2;
      in->ssize = 1;
      for (int i = 0; i < in->sndim; i++) {
        int v = 0, k = parse_int(s->tok[2 + i], &v);
        if (k <= 0 || s->tok[2 + i][k] || v < 1)
          return prc_seterr("%s:%d: input dimension '%s' is not a positive integer", W, ln, s->tok[2 + i]);
        in->sshape[i] = v, in->ssize *= (size_t)v;
      }
      m->ninput++;
    } else if (!strcmp(cmd, "loss")) {
      if (m->loss) return prc_seterr("%s:%d: second 'loss' line", W, ln);
      if (s->ntok < 2) return prc_seterr("%s:%d: expected 'loss LAYER [key=value ...]'", W, ln);
      if (!is_loss_layer(s->tok[1]))
        return prc_seterr("%s:%d: '%s' is not a loss layer (softmax_ce, bce_logits, kl_distill, cosine_loss)",
                          W, ln, s->tok[1]);
      prc_layer_conf c = {0};
      float          cw[256];
      for (int i = 2; i < s->ntok; i++) {
        if (!strchr(s->tok[i], '=')) return prc_seterr("%s:%d: expected key=value, got '%s'", W, ln, s->tok[i]);
        if (!strncmp(s->tok[i], "weights=", 8)) { /* class weights of softmax_ce: w0,w1,... or none */
          const char *v = s->tok[i] + 8;
          if (strcmp(s->tok[1], "softmax_ce")) return prc_seterr("%s:%d: weights= is a softmax_ce option", W, ln);
          if (!strcmp(v, "none")) continue;
          int nw = 0;
          for (const char *q = v; *q;) {
            char  *e;
            double x = strtod(q, &e);
            if (e == q || !(x >= 0 && isfinite(x)) || (*e && *e != ',' && *e != ':') || nw >= 256)
              return prc_seterr("%s:%d: weights=%s: expected up to 256 class weights >= 0 separated by ',' or ':'", W, ln, v);
            cw[nw++] = (float)x, q = *e ? e + 1 : e;
          }
          double ws = 0;
          for (int k = 0; k < nw; k++) ws += cw[k];
          if (!(ws > 0)) return prc_seterr("%s:%d: weights=%s: at least one class weight must be > 0", W, ln, v);
          c.class_weight = cw, c.in_ch = nw;
          continue;
        }
        if (set_key(W, ln, s->tok[1], s->tok[i], &c)) return 1;
      }
      if (prc_layer_create(s->tok[1], &c, &m->loss)) return prc_seterr("%s:%d: %s", W, ln, prc_lasterr());
      snprintf(m->loss_layer, sizeof m->loss_layer, "%s", s->tok[1]);
      m->loss_line = ln;
    } else if (!strcmp(cmd, "output")) {
      if (s->ntok != 2) return prc_seterr("%s:%d: expected 'output NODE'", W, ln);
      if (m->output >= 0) return prc_seterr("%s:%d: second 'output' line", W, ln);
      m->output = -2 - a; /* resolved at the end */
    } else {
      /* NAME LAYER IN... key=value... */
      if (!valid_name(cmd) || strlen(cmd) >= NAMELEN)
        return prc_seterr("%s:%d: bad node name '%s' (letters, digits, _)", W, ln, cmd);
      if (s->ntok < 3) return prc_seterr("%s:%d: expected 'NAME LAYER INPUT... [key=value ...]'", W, ln);
      const char *lname = s->tok[1];
      if (strlen(lname) >= 32 || !layer_known(lname))
        return prc_seterr("%s:%d: unknown layer '%s'", W, ln, lname);
      if (is_loss_layer(lname))
        return prc_seterr("%s:%d: loss layer '%s' as a node: declare it with 'loss %s'", W, ln, lname, lname);
      if (find_value(m, cmd) >= 0) return prc_seterr("%s:%d: duplicate name '%s'", W, ln, cmd);
      mnode *n = &m->nodes[m->nnode];
      memset(n, 0, sizeof *n);
      snprintf(n->name, sizeof n->name, "%s", cmd);
      snprintf(n->layer, sizeof n->layer, "%s", lname);
      n->line = ln;
      for (int i = 2; i < s->ntok; i++) {
        char *t = s->tok[i];
        if (strchr(t, '=')) {
          if (set_key(W, ln, lname, t, &n->conf)) return 1;
          continue;
        }
        int v = find_value(m, t);
        if (v < 0) {
          if (!strcmp(t, cmd)) return prc_seterr("%s:%d: node '%s' uses itself (cycle)", W, ln, cmd);
          for (int b = a + 1; b < nl; b++)
            if (!strcmp(L[b].tok[0], t))
              return prc_seterr("%s:%d: node '%s' uses '%s' defined later on line %d (forward "
                                "reference or cycle; nodes must come in order)", W, ln, cmd, t, L[b].line);
          return prc_seterr("%s:%d: node '%s' uses unknown node '%s'", W, ln, cmd, t);
        }
        if (n->nin == MAXIN) return prc_seterr("%s:%d: more than %d inputs", W, ln, MAXIN);
        n->in[n->nin++] = v;
      }
      if (!n->nin) return prc_seterr("%s:%d: node '%s' has no input", W, ln, cmd);
      /* in_ch from the first input: features for fc, channels otherwise */
      int ind, ish[PRC_NN_MAXDIM];
      value_shape(m, n->in[0], 1, &ind, ish);
      if (!strcmp(lname, "fc")) {
        size_t f = 1;
        for (int i = 1; i < ind; i++) f *= (size_t)ish[i];
        n->conf.in_ch = (int)f;
      } else n->conf.in_ch = ind >= 2 ? ish[1] : 1;
      prc_layer_conf c = n->conf;
      c.seed           = node_seed(0, m->nnode);
      if (prc_layer_create(lname, &c, &n->l))
        return prc_seterr("%s:%d: node '%s' (%s): %s", W, ln, cmd, lname, prc_lasterr());
      m->nnode++;
      int od, osh[PRC_NN_MAXDIM];
      if (infer_node(m, m->nnode - 1, 1, &od, osh)) return 1;
      if (od < 2) return prc_seterr("%s:%d: node '%s' has no batch dimension", W, ln, cmd);
      n->sndim = od - 1;
      for (int i = 0; i < od - 1; i++) n->sshape[i] = osh[i + 1];
    }
  }
  if (!m->ninput) return prc_seterr("%s: no 'input' line", W);
  if (!m->nnode) return prc_seterr("%s: no layer nodes", W);
  if (!m->name[0]) snprintf(m->name, sizeof m->name, "model");
  if (m->output <= -2) {
    sline *s = &L[-2 - m->output];
    int    v = find_value(m, s->tok[1]);
    if (v < m->ninput)
      return prc_seterr("%s:%d: output '%s' is not a node", W, s->line, s->tok[1]);
    m->output = v - m->ninput;
  } else m->output = m->nnode - 1;
  /* nodes on a path to the output */
  m->nodes[m->output].needed = 1;
  for (int j = m->output; j >= 0; j--)
    if (m->nodes[j].needed)
      for (int i = 0; i < m->nodes[j].nin; i++)
        if (m->nodes[j].in[i] >= m->ninput) m->nodes[m->nodes[j].in[i] - m->ninput].needed = 1;
  return 0;
}

int prc_model_parse(const char *text, const char *where, const char *const *defines, prc_model **out)
{
  static int reg;
  if (!reg) {
    reg = 1;
    if (prc_layer_register("flatten", create_flatten)) return 1;
  }
  *out = NULL;
  if (!where) where = "<model spec>";
  prc_model *m = calloc(1, sizeof *m);
  if (!m) return prc_seterr("%s: out of memory", where);
  snprintf(m->where, sizeof m->where, "%s", where);
  m->output   = -1;
  m->training = 1;
  /* split into lines, substitute, strip comments, tokenise */
  size_t tl    = strlen(text);
  int    maxl  = 1;
  for (size_t i = 0; i < tl; i++) maxl += text[i] == '\n';
  sline *L     = calloc((size_t)maxl, sizeof *L);
  char **bufs  = calloc((size_t)maxl, sizeof *bufs);
  m->canon     = calloc(tl * 2 + 64, 1);
  int    nl = 0, rc = 0, nb = 0;
  size_t co = 0;
  if (!L || !bufs || !m->canon) rc = prc_seterr("%s: out of memory", where);
  const char *p = text;
  for (int line = 1; !rc && *p; line++) {
    const char *e   = strchr(p, '\n');
    size_t      len = e ? (size_t)(e - p) : strlen(p);
    char       *raw = malloc(len + 1);
    if (!raw) {
      rc = prc_seterr("%s: out of memory", where);
      break;
    }
    memcpy(raw, p, len), raw[len] = 0;
    char *hash = strchr(raw, '#');
    if (hash) *hash = 0;
    char *sub = NULL;
    rc = substitute(where, line, raw, defines, &sub);
    free(raw);
    if (rc) break;
    bufs[nb++] = sub;
    sline *s   = &L[nl];
    s->line    = line;
    for (char *t = strtok(sub, " \t\r"); t; t = strtok(NULL, " \t\r")) {
      if (s->ntok == MAXTOK) {
        rc = prc_seterr("%s:%d: more than %d words", where, line, MAXTOK);
        break;
      }
      s->tok[s->ntok++] = t;
    }
    if (s->ntok) {
      size_t need = 0;
      for (int i = 0; i < s->ntok; i++) need += strlen(s->tok[i]) + 1;
      if (co + need + 1 > tl * 2 + 64) {
        char *c2 = realloc(m->canon, co + need + tl + 64);
        if (!c2) rc = prc_seterr("%s: out of memory", where);
        else m->canon = c2;
      }
      for (int i = 0; !rc && i < s->ntok; i++)
        co += (size_t)sprintf(m->canon + co, "%s%s", s->tok[i], i + 1 < s->ntok ? " " : "\n");
      nl++;
    }
    p = e ? e + 1 : p + len;
  }
  if (!rc) {
    m->inputs = calloc((size_t)nl + 1, sizeof *m->inputs);
    m->nodes  = calloc((size_t)nl + 1, sizeof *m->nodes);
    if (!m->inputs || !m->nodes) rc = prc_seterr("%s: out of memory", where);
  }
  if (!rc) rc = parse_lines(m, L, nl, defines);
  for (int i = 0; i < nb; i++) free(bufs[i]);
  free(bufs), free(L);
  if (!rc) rc = build_flat(m);
  if (!rc) rc = prc_model_init(m, 0);
  if (rc) {
    prc_model_destroy(m);
    return 1;
  }
  *out = m;
  return 0;
}

int prc_model_load(const char *path, const char *const *defines, prc_model **out)
{
  *out    = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return prc_seterr("%s: cannot open model spec: %s", path, strerror(errno));
  size_t cap = 4096, n = 0;
  char  *t   = malloc(cap);
  for (size_t r; t && (r = fread(t + n, 1, cap - n - 1, f)) > 0;) {
    n += r;
    if (n + 1 == cap) {
      char *t2 = realloc(t, cap *= 2);
      if (!t2) free(t);
      t = t2;
    }
  }
  int err = ferror(f);
  fclose(f);
  if (!t) return prc_seterr("%s: out of memory", path);
  if (err) {
    free(t);
    return prc_seterr("%s: read error", path);
  }
  t[n]   = 0;
  int rc = prc_model_parse(t, path, defines, out);
  free(t);
  return rc;
}

int prc_model_clone(const prc_model *src, prc_model **out)
{
  *out = NULL;
  prc_model *m;
  /* the canonical text is the spec after substitution: no defines needed */
  if (prc_model_parse(src->canon, src->where, NULL, &m)) return 1;
  if (m->np != src->np || m->nb != src->nb || m->nnode != src->nnode) {
    prc_model_destroy(m);
    return prc_seterr("%s: internal error: the clone has another layout", src->where);
  }
  if (prc_model_copy_state(m, src)) {
    prc_model_destroy(m);
    return 1;
  }
  *out = m;
  return 0;
}

int prc_model_copy_state(prc_model *dst, const prc_model *src)
{
  if (dst->np != src->np || dst->nb != src->nb || dst->nnode != src->nnode || strcmp(dst->canon, src->canon))
    return prc_seterr("%s: cannot copy the state of another model (%s)", dst->where, src->where);
  if (dst->np) memcpy(dst->params, src->params, dst->np * sizeof(float));
  if (dst->nb) memcpy(dst->bufs, src->bufs, dst->nb * sizeof(float));
  dst->training = src->training;
  for (int j = 0; j < dst->nnode; j++) {
    prc_layer *d = dst->nodes[j].l, *s = src->nodes[j].l;
    d->training = s->training, d->conf.seed = s->conf.seed;
    d->stream_set = s->stream_set, d->stream = s->stream;
  }
  if (dst->loss && src->loss) dst->loss->training = src->loss->training;
  return 0;
}

static void free_acts(prc_model *m)
{
  free(m->act), free(m->actgrad), free(m->val), free(m->target);
  m->act = m->actgrad = m->target = NULL;
  m->val = NULL;
  m->N   = 0;
}

void prc_model_destroy(prc_model *m)
{
  if (!m) return;
  for (int j = 0; m->nodes && j < m->nnode; j++) {
    prc_layer *l = m->nodes[j].l;
    if (!l) continue;
    if (m->tens) { /* flat storage is the model's */
      for (int i = 0; i < l->nparam; i++) l->param[i]->data = l->param[i]->grad = NULL;
      for (int i = 0; i < l->nbuf; i++) l->buf[i]->data = NULL;
    }
    prc_layer_destroy(l);
  }
  prc_layer_destroy(m->loss);
  free_acts(m);
  free(m->params), free(m->grads), free(m->bufs), free(m->tens);
  free(m->inputs), free(m->nodes), free(m->canon);
  free(m);
}

int prc_model_ninputs(const prc_model *m) { return m->ninput; }
const char *prc_model_input_name(const prc_model *m, int i)
{
  return i >= 0 && i < m->ninput ? m->inputs[i].name : NULL;
}
int prc_model_input_shape(const prc_model *m, int i, int *ndim, int *shape)
{
  if (i < 0 || i >= m->ninput) return prc_seterr("%s: no input %d", m->where, i);
  *ndim = m->inputs[i].sndim;
  for (int k = 0; k < m->inputs[i].sndim; k++) shape[k] = m->inputs[i].sshape[k];
  return 0;
}

int prc_model_set_batch(prc_model *m, int N)
{
  if (N < 1) return prc_seterr("%s: batch size %d must be >= 1", m->where, N);
  if (N == m->N) return 0;
  free_acts(m);
  int nv = m->ninput + m->nnode;
  m->val = calloc((size_t)nv, sizeof *m->val);
  if (!m->val) return prc_seterr("%s: out of memory", m->where);
  size_t total = 0;
  for (int v = 0; v < nv; v++) {
    int nd, sh[PRC_NN_MAXDIM];
    if (v >= m->ninput) {
      if (infer_node(m, v - m->ninput, N, &nd, sh)) return 1;
    } else value_shape(m, v, N, &nd, sh);
    /* the per-sample shape must not depend on N */
    int snd, ssh[PRC_NN_MAXDIM];
    value_shape(m, v, N, &snd, ssh);
    int same = nd == snd;
    for (int i = 0; same && i < nd; i++) same = sh[i] == ssh[i];
    if (!same) {
      char a[64], b[64];
      shape_str(nd, sh, a, sizeof a), shape_str(snd, ssh, b, sizeof b);
      mnode *n = &m->nodes[v - m->ninput];
      return prc_seterr("%s:%d: node '%s' (%s): output %s for batch %d, expected %s", m->where,
                        n->line, n->name, n->layer, a, N, b);
    }
    fake_tensor(&m->val[v], nd, sh);
    total += (m->val[v].size + 15) & ~(size_t)15;
  }
  m->nact    = total;
  m->act     = calloc(total ? total : 1, sizeof(float));
  m->actgrad = calloc(total ? total : 1, sizeof(float));
  m->target  = calloc(m->val[m->ninput + m->output].size + (size_t)N, sizeof(float));
  if (!m->act || !m->actgrad || !m->target) {
    free_acts(m);
    return prc_seterr("%s: out of memory for activations of batch %d (%zu floats)", m->where, N, total);
  }
  size_t o = 0;
  for (int v = 0; v < nv; v++) {
    m->val[v].data = m->act + o;
    m->val[v].grad = m->actgrad + o;
    o += (m->val[v].size + 15) & ~(size_t)15;
  }
  m->N         = N;
  m->have_loss = 0;
  return 0;
}

int prc_model_batch(const prc_model *m) { return m->N; }

int prc_model_init(prc_model *m, uint64_t seed)
{
  for (int j = 0; j < m->nnode; j++) {
    mnode     *n = &m->nodes[j];
    prc_layer *l = n->l;
    l->conf.seed = node_seed(seed, j); /* dropout masks */
    if (!l->nparam && !l->nbuf) continue;
    prc_layer     *t;
    prc_layer_conf c = n->conf;
    c.seed           = node_seed(seed, j);
    if (prc_layer_create(n->layer, &c, &t))
      return prc_seterr("%s:%d: node '%s': %s", m->where, n->line, n->name, prc_lasterr());
    for (int i = 0; i < l->nparam; i++)
      memcpy(l->param[i]->data, t->param[i]->data, l->param[i]->size * sizeof(float));
    for (int i = 0; i < l->nbuf; i++)
      memcpy(l->buf[i]->data, t->buf[i]->data, l->buf[i]->size * sizeof(float));
    prc_layer_destroy(t);
  }
  return 0;
}

void prc_model_set_training(prc_model *m, int training)
{
  m->training = training;
  for (int j = 0; j < m->nnode; j++) m->nodes[j].l->training = training;
  if (m->loss) m->loss->training = training;
}

void prc_model_set_training_bn(prc_model *m, int training)
{
  for (int j = 0; j < m->nnode; j++)
    if (!strcmp(m->nodes[j].l->ops->name, "batchnorm")) m->nodes[j].l->training = training;
}

void prc_model_set_stream(prc_model *m, uint64_t stream)
{
  for (int j = 0; j < m->nnode; j++) m->nodes[j].l->stream_set = 1, m->nodes[j].l->stream = stream;
}

int prc_model_forward(prc_model *m, const prc_tensor *const *in, const prc_tensor *target, double *loss)
{
  if (loss) *loss = NAN;
  m->have_loss = 0;
  if (!m->N) return prc_seterr("%s: prc_model_set_batch before forward", m->where);
  for (int i = 0; i < m->ninput; i++) {
    prc_tensor *v = &m->val[i];
    if (!in || !in[i]) return prc_seterr("%s: input %d ('%s') is NULL", m->where, i, m->inputs[i].name);
    if (!prc_tensor_same_shape(in[i], v)) {
      char a[64], b[64];
      shape_str(in[i]->ndim, in[i]->shape, a, sizeof a), shape_str(v->ndim, v->shape, b, sizeof b);
      return prc_seterr("%s: input '%s' has shape %s, expected %s", m->where, m->inputs[i].name, a, b);
    }
    memcpy(v->data, in[i]->data, v->size * sizeof(float));
  }
  const prc_tensor *pin[MAXIN];
  for (int j = 0; j < m->nnode; j++) {
    mnode *n = &m->nodes[j];
    for (int i = 0; i < n->nin; i++) pin[i] = &m->val[n->in[i]];
    double t0 = m->profiling ? wall() : 0;
    if (n->l->ops->forward(n->l, n->nin, pin, &m->val[m->ninput + j]))
      return prc_seterr("%s:%d: node '%s': %s", m->where, n->line, n->name, prc_lasterr());
    if (m->profiling) n->tf += wall() - t0;
  }
  m->nprof += m->profiling;
  if (m->loss && target) {
    prc_tensor *o = &m->val[m->ninput + m->output];
    if (target->size > o->size + (size_t)m->N)
      return prc_seterr("%s: target of %zu values for an output of %zu", m->where, target->size, o->size);
    m->tgt      = *target;
    m->tgt.grad = NULL;
    m->tgt.data = m->target;
    memcpy(m->target, target->data, target->size * sizeof(float));
    int one = 1;
    fake_tensor(&m->losst, 1, &one);
    m->losst.data = &m->lossdata;
    m->losst.grad = &m->lossgrad;
    const prc_tensor *lin[2] = {o, &m->tgt};
    if (prc_layer_forward(m->loss, 2, lin, &m->losst))
      return prc_seterr("%s:%d: loss %s: %s", m->where, m->loss_line, m->loss_layer, prc_lasterr());
    if (loss) *loss = m->lossdata;
    m->have_loss = 1;
  }
  return 0;
}

const prc_tensor *prc_model_output(const prc_model *m)
{
  return m->val ? &m->val[m->ninput + m->output] : NULL;
}

static int run_backward(prc_model *m, const float *dout, float *dx)
{
  if (!m->N) return prc_seterr("%s: backward before set_batch/forward", m->where);
  memset(m->actgrad, 0, m->nact * sizeof(float));
  prc_tensor *o = &m->val[m->ninput + m->output];
  for (int i = 0; i < m->ninput; i++) m->val[i].grad = NULL;
  if (dx) m->val[0].grad = m->actgrad + (m->val[0].data - m->act);
  if (dout) memcpy(o->grad, dout, o->size * sizeof(float));
  else {
    m->lossgrad           = 1.0f;
    prc_tensor *lin[2]    = {o, &m->tgt};
    if (prc_layer_backward(m->loss, 2, lin, &m->losst))
      return prc_seterr("%s:%d: loss %s: %s", m->where, m->loss_line, m->loss_layer, prc_lasterr());
  }
  prc_tensor *pin[MAXIN];
  for (int j = m->nnode - 1; j >= 0; j--) {
    mnode *n = &m->nodes[j];
    if (!n->needed) continue;
    for (int i = 0; i < n->nin; i++) pin[i] = &m->val[n->in[i]];
    double t0 = m->profiling ? wall() : 0;
    if (n->l->ops->backward(n->l, n->nin, pin, &m->val[m->ninput + j]))
      return prc_seterr("%s:%d: node '%s' backward: %s", m->where, n->line, n->name, prc_lasterr());
    if (m->profiling) n->tb += wall() - t0;
  }
  if (dx) {
    const float *g = m->val[0].grad;
    for (size_t i = 0; i < m->val[0].size; i++) dx[i] += g[i];
  }
  return 0;
}

int prc_model_backward(prc_model *m)
{
  if (!m->loss) return prc_seterr("%s: backward needs a 'loss' line in the spec", m->where);
  if (!m->have_loss) return prc_seterr("%s: backward needs a forward with a target", m->where);
  return run_backward(m, NULL, NULL);
}

int prc_model_backward_from(prc_model *m, const float *dout, float *dx)
{
  if (!dout) return prc_seterr("%s: backward_from needs an output gradient", m->where);
  return run_backward(m, dout, dx);
}

size_t prc_model_nparams(const prc_model *m) { return m->np; }
float *prc_model_params(prc_model *m) { return m->params; }
float *prc_model_grads(prc_model *m) { return m->grads; }
void   prc_model_zero_grad(prc_model *m) { memset(m->grads, 0, m->np * sizeof(float)); }
size_t prc_model_nbuffers(const prc_model *m) { return m->nb; }
float *prc_model_buffers(prc_model *m) { return m->bufs; }

int prc_model_ntensors(const prc_model *m) { return m->nt; }
const char *prc_model_tensor_name(const prc_model *m, int i)
{
  return i >= 0 && i < m->nt ? m->tens[i].name : NULL;
}
int prc_model_tensor_kind(const prc_model *m, int i) { return i >= 0 && i < m->nt ? m->tens[i].kind : -1; }
size_t prc_model_tensor_offset(const prc_model *m, int i) { return i >= 0 && i < m->nt ? m->tens[i].off : 0; }
static const prc_tensor *tensor_of(const prc_model *m, int i)
{
  const mtensor   *t = &m->tens[i];
  const prc_layer *l = m->nodes[t->node].l;
  return t->kind ? l->buf[t->slot] : l->param[t->slot];
}
int prc_model_tensor_shape(const prc_model *m, int i, int *ndim, int *shape)
{
  if (i < 0 || i >= m->nt) return prc_seterr("%s: no tensor %d", m->where, i);
  const prc_tensor *t = tensor_of(m, i);
  *ndim = t->ndim;
  for (int k = 0; k < t->ndim; k++) shape[k] = t->shape[k];
  return 0;
}
int prc_model_tensor_is_weight(const prc_model *m, int i)
{
  return i >= 0 && i < m->nt && m->tens[i].kind == 0 && tensor_of(m, i)->ndim >= 2;
}

int prc_model_summary(const prc_model *m, char *buf, size_t len)
{
  size_t o = 0;
  if (!len) return prc_seterr("summary: empty buffer");
  buf[0] = 0;
#define OUT(...)                                                                        \
  do {                                                                                  \
    if (o < len) o += (size_t)snprintf(buf + o, len - o, __VA_ARGS__);                  \
  } while (0)
  OUT("model %s: %zu parameters, %zu buffer values\n", m->name, m->np, m->nb);
  for (int i = 0; i < m->ninput; i++) {
    char s[64];
    shape_str(m->inputs[i].sndim, m->inputs[i].sshape, s, sizeof s);
    OUT("  %-14s %-16s %-14s\n", m->inputs[i].name, "input", s);
  }
  for (int j = 0; j < m->nnode; j++) {
    char s[64];
    shape_str(m->nodes[j].sndim, m->nodes[j].sshape, s, sizeof s);
    OUT("  %-14s %-16s %-14s %zu%s\n", m->nodes[j].name, m->nodes[j].layer, s, m->nodes[j].nparam,
        j == m->output ? "  <- output" : "");
  }
  if (m->loss) OUT("  loss %s\n", m->loss_layer);
#undef OUT
  if (o >= len) return prc_seterr("summary: buffer of %zu bytes too small", len);
  return 0;
}

const char *prc_model_name(const prc_model *m) { return m->name; }
unsigned long prc_model_fingerprint(const prc_model *m)
{
  return crc32_buf(m->canon, strlen(m->canon));
}

void prc_model_set_profiling(prc_model *m, int on)
{
  m->profiling = on;
  m->nprof     = 0;
  for (int j = 0; j < m->nnode; j++) m->nodes[j].tf = m->nodes[j].tb = 0;
}

int prc_model_profile(const prc_model *m, char *buf, size_t len)
{
  size_t o = 0;
  double n = m->nprof ? (double)m->nprof : 1, tf = 0, tb = 0;
  if (!len) return prc_seterr("profile: empty buffer");
  buf[0] = 0;
  for (int j = 0; j < m->nnode; j++) tf += m->nodes[j].tf, tb += m->nodes[j].tb;
  if (o < len)
    o += (size_t)snprintf(buf + o, len - o, "  %-14s %-16s %10s %10s   (ms per forward / backward, %ld passes)\n",
                          "node", "layer", "forward", "backward", m->nprof);
  for (int j = 0; j < m->nnode && o < len; j++)
    o += (size_t)snprintf(buf + o, len - o, "  %-14s %-16s %10.3f %10.3f\n", m->nodes[j].name, m->nodes[j].layer,
                          1e3 * m->nodes[j].tf / n, 1e3 * m->nodes[j].tb / n);
  if (o < len)
    o += (size_t)snprintf(buf + o, len - o, "  %-14s %-16s %10.3f %10.3f\n", "total", "", 1e3 * tf / n, 1e3 * tb / n);
  if (o >= len) return prc_seterr("profile: buffer of %zu bytes too small", len);
  return 0;
}

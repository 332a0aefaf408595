/* model_h5.c — read a trained model file (kind "model") back into a prc_model; batched
 * softmax prediction. See include/precursor/model_h5.h and docs/DATA_MODEL.md. */
#include "precursor/model_h5.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/error.h"

#define SPEC_MAX (1 << 18)

int prc_model_defines_split(const char *defs, char *buf, size_t len, char **out, int max)
{
  int n = 0;
  snprintf(buf, len, "%s", defs && strcmp(defs, "none") ? defs : "");
  for (char *s = strtok(buf, ","); s && n < max - 1; s = strtok(NULL, ",")) out[n++] = s;
  out[n] = NULL;
  return n;
}

PetscErrorCode prc_model_h5_write_tensors(MPI_Comm comm, hid_t fid, prc_model *m)
{
  hid_t       gp, gb;
  PetscMPIInt rank;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(prc_h5_group(fid, "params", &gp));
  PetscCall(prc_h5_group(fid, "buffers", &gb));
  for (int i = 0; i < prc_model_ntensors(m); i++) {
    int     nd, sh[8];
    hsize_t dims[8], start[8] = {0}, count[8];
    PrcCallK(prc_model_tensor_shape(m, i, &nd, sh));
    for (int k = 0; k < nd; k++) dims[k] = (hsize_t)sh[k], count[k] = rank ? 0 : dims[k];
    int          kind = prc_model_tensor_kind(m, i);
    const float *base = kind == 0 ? prc_model_params(m) : prc_model_buffers(m);
    PetscCall(prc_h5_write_nd(kind == 0 ? gp : gb, prc_model_tensor_name(m, i), H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, nd, dims, start,
                              count, base + prc_model_tensor_offset(m, i)));
  }
  H5Gclose(gb), H5Gclose(gp);
  PetscFunctionReturn(0);
}

PetscErrorCode prc_model_h5_load(MPI_Comm comm, const char *path, prc_model **out)
{
  hid_t      fid;
  char       kind[64], defs[4096], dbuf[4096], *spec = NULL, *dv[65];
  int        found;
  prc_model *m = NULL;
  PetscFunctionBeginUser;
  *out = NULL;
  PetscCall(prc_h5_open(comm, path, &fid));
  PetscCall(prc_h5_attr_get_str(fid, "precursor_kind", kind, sizeof kind, &found));
  PetscCheck(found && !strcmp(kind, "model"), comm, PETSC_ERR_FILE_UNEXPECTED,
             "'%s' is not a trained model (precursor_kind '%s', expected 'model': the model.h5 written by 'precursor train')", path,
             found ? kind : "(none)");
  PetscCall(PetscMalloc1(SPEC_MAX, &spec));
  PetscCall(prc_h5_attr_get_str(fid, "spec_text", spec, SPEC_MAX, NULL));
  PetscCall(prc_h5_attr_get_str(fid, "spec_defines", defs, sizeof defs, &found));
  prc_model_defines_split(found ? defs : "", dbuf, sizeof dbuf, dv, 65);
  char where[4200];
  snprintf(where, sizeof where, "%s (spec_text)", path);
  PrcCallK(prc_model_parse(spec, where, (const char *const *)dv, &m));
  PetscCall(PetscFree(spec));
  for (int i = 0; i < prc_model_ntensors(m); i++) {
    int         nd, sh[8], fnd;
    hsize_t     dims[8], start[8] = {0};
    char        name[512];
    int         k = prc_model_tensor_kind(m, i);
    const char *tn = prc_model_tensor_name(m, i);
    snprintf(name, sizeof name, "%s/%s", k == 0 ? "params" : "buffers", tn);
    PrcCallK(prc_model_tensor_shape(m, i, &nd, sh));
    PetscCall(prc_h5_dims(fid, name, &fnd, dims));
    int same = fnd == nd;
    for (int d = 0; same && d < nd; d++) same = dims[d] == (hsize_t)sh[d];
    PetscCheck(same, comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': tensor '%s' has a shape other than its spec declares", path, name);
    float *base = (k == 0 ? prc_model_params(m) : prc_model_buffers(m)) + prc_model_tensor_offset(m, i);
    PetscCall(prc_h5_read_nd(fid, name, H5T_NATIVE_FLOAT, start, dims, base));
  }
  PetscCall(prc_h5_close(fid));
  size_t       np = prc_model_nparams(m);
  const float *p = prc_model_params(m);
  for (size_t i = 0; i < np; i++)
    PetscCheck(isfinite(p[i]), comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': parameter %zu is not finite", path, i);
  prc_model_set_training(m, 0);
  *out = m;
  PetscFunctionReturn(0);
}

PetscErrorCode prc_model_predict(prc_model *m, const float *x, int64_t n, int batch, float *prob)
{
  PetscFunctionBeginUser;
  PetscCheck(prc_model_ninputs(m) == 1, PETSC_COMM_SELF, PETSC_ERR_SUP, "the model has %d inputs: give the auxiliary values (prc_model_predict_aux)",
             prc_model_ninputs(m));
  PetscCall(prc_model_predict_aux(m, x, NULL, n, batch, prob, NULL));
  PetscFunctionReturn(0);
}

PetscErrorCode prc_model_predict_aux(prc_model *m, const float *x, const float *aux, int64_t n, int batch, float *prob, int *argmax)
{
  int ni = prc_model_ninputs(m), nd[2] = {0, 0}, sh[2][8];
  PetscFunctionBeginUser;
  PetscCheck(ni == 1 || ni == 2, PETSC_COMM_SELF, PETSC_ERR_SUP, "prediction of models with %d inputs is not supported", ni);
  PetscCheck(ni == 1 || aux, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "the model has an auxiliary input and no auxiliary values were given");
  PetscCheck(batch > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "prediction batch %d must be > 0", batch);
  size_t S[2] = {1, 1};
  for (int q = 0; q < ni; q++) {
    PrcCallK(prc_model_input_shape(m, q, &nd[q], sh[q]));
    for (int i = 0; i < nd[q]; i++) S[q] *= (size_t)sh[q][i];
  }
  prc_model_set_training(m, 0);
  for (int64_t i0 = 0; i0 < n; i0 += batch) {
    int nb = (int)(n - i0 < batch ? n - i0 : batch);
    if (prc_model_batch(m) != nb) PrcCallK(prc_model_set_batch(m, nb));
    prc_tensor t[2];
    memset(t, 0, sizeof t);
    for (int q = 0; q < ni; q++) {
      t[q].ndim = nd[q] + 1;
      for (int i = 0; i < PRC_NN_MAXDIM; i++) t[q].shape[i] = 1;
      t[q].shape[0] = nb;
      for (int i = 0; i < nd[q]; i++) t[q].shape[i + 1] = sh[q][i];
      t[q].size = (size_t)nb * S[q];
      t[q].data = (float *)((q ? aux : x) + (size_t)i0 * S[q]);
    }
    const prc_tensor *in[2] = {&t[0], &t[1]};
    PrcCallK(prc_model_forward(m, in, NULL, NULL));
    const prc_tensor *o = prc_model_output(m);
    size_t            C = o->size / (size_t)nb;
    for (int k = 0; k < nb; k++) {
      const float *l = o->data + (size_t)k * C;
      if (argmax) { /* from the logits: the first largest, as train counts accuracy */
        int b = 0;
        for (size_t j = 1; j < C; j++) b = l[j] > l[b] ? (int)j : b;
        argmax[i0 + k] = b;
      }
      if (!prob) continue;
      float *p = prob + ((size_t)i0 + (size_t)k) * C;
      double mx = l[0], s = 0;
      for (size_t j = 1; j < C; j++) mx = l[j] > mx ? l[j] : mx;
      for (size_t j = 0; j < C; j++) s += exp((double)l[j] - mx);
      for (size_t j = 0; j < C; j++) p[j] = (float)(exp((double)l[j] - mx) / s);
    }
  }
  PetscFunctionReturn(0);
}

PetscErrorCode prc_model_output_width(prc_model *m, int *K)
{
  const int ni = prc_model_ninputs(m);
  float    *z[2] = {NULL, NULL};
  PetscFunctionBeginUser;
  PetscCheck(ni == 1 || ni == 2, PETSC_COMM_SELF, PETSC_ERR_SUP, "models with %d inputs are not supported here", ni);
  prc_tensor t[2];
  memset(t, 0, sizeof t);
  for (int q = 0; q < ni; q++) { /* one zero sample of every input (a second input: the auxiliary values) */
    int    nd, sh[8];
    size_t S = 1;
    PrcCallK(prc_model_input_shape(m, q, &nd, sh));
    for (int i = 0; i < nd; i++) S *= (size_t)sh[i];
    PetscCall(PetscCalloc1(S, &z[q]));
    t[q].ndim = nd + 1;
    for (int i = 0; i < PRC_NN_MAXDIM; i++) t[q].shape[i] = 1;
    for (int i = 0; i < nd; i++) t[q].shape[i + 1] = sh[i];
    t[q].size = S, t[q].data = z[q];
  }
  const prc_tensor *in[2] = {&t[0], &t[1]};
  prc_model_set_training(m, 0);
  if (prc_model_batch(m) != 1) PrcCallK(prc_model_set_batch(m, 1));
  PrcCallK(prc_model_forward(m, in, NULL, NULL));
  *K = (int)prc_model_output(m)->size;
  PetscCall(PetscFree(z[0]));
  PetscCall(PetscFree(z[1]));
  PetscFunctionReturn(0);
}

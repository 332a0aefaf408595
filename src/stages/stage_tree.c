/* stage_tree.c — `precursor tree`: show the online-learning tree of `precursor online`
 * (online_tree.h5, docs/EM.md "Online learning"): the nodes (routers and leaves, the window that
 * created each, the samples each leaf was trained on), the action of every window and the
 * accuracy table; with several files, a comparison picture of their accuracy on the old and the
 * new test sets vs online samples (result 3: forgetting with and without the KD and
 * less-forgetting terms). Reading only; every rank reads, rank 0 prints and draws. */
#include <math.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "precursor/error.h"
#include "precursor/h5io.h"
#include "precursor/plot.h"
#include "precursor/progress.h"
#include "precursor/stage.h"

#define MAXRUN 8
#define MAXN 64
#define MAXW 257

static const prc_opt_spec tree_opts[] = {
  {"tree_input", PRC_OPT_STRING, NULL, PRC_NO_RANGE, "online_tree.h5 of precursor online; several comma-separated: compared in tree_compare.png"},
  {"tree_labels", PRC_OPT_STRING, "auto", PRC_NO_RANGE, "labels of the inputs in the comparison (comma-separated), auto: the file names"},
  {"tree_title", PRC_OPT_STRING, "accuracy vs online samples", PRC_NO_RANGE, "title of tree_compare.png"},
  {"tree_png", PRC_OPT_BOOL, "true", PRC_NO_RANGE, "write tree_compare.png (old and new test sets of every input)"},
};

static int split(const char *s, char (*out)[1024], int max)
{
  int         n = 0;
  const char *p = s;
  while (*p && n < max) {
    const char *q = strchr(p, ',');
    size_t      l = q ? (size_t)(q - p) : strlen(p);
    if (!l || l >= 1024) return -1;
    memcpy(out[n], p, l), out[n][l] = 0, n++;
    if (!q) break;
    p = q + 1;
  }
  return n;
}

static void tree_validate(prc_opts *o)
{
  static char a[MAXRUN + 1][1024];
  int         n = split(prc_opts_string(o, "tree_input"), a, MAXRUN + 1);
  if (n < 1 || n > MAXRUN) prc_opts_violation(o, "-tree_input: expected 1..%d files separated by commas", MAXRUN);
  if (strcmp(prc_opts_string(o, "tree_labels"), "auto") && split(prc_opts_string(o, "tree_labels"), a, MAXRUN + 1) != n)
    prc_opts_violation(o, "-tree_labels: expected %d labels (one per input)", n);
}

static PetscErrorCode col(hid_t g, const char *name, hid_t t, hsize_t n, void *buf)
{
  hsize_t s[1] = {0}, c[1] = {n};
  PetscFunctionBeginUser;
  PetscCall(prc_h5_read_nd(g, name, t, s, c, buf));
  PetscFunctionReturn(0);
}

static void print_node(MPI_Comm comm, int v, int depth, const int *pa, const int *le, const int *no, const int *cr, const int *nc, const int *ch,
                       const int64_t *nm, int slot)
{
  char ind[128] = "";
  for (int i = 0; i < depth && i < 30; i++) strcat(ind, "   ");
  if (le[v])
    prc_say(comm, "[tree] %s%s leaf %d (%d classes)%s, trained on %lld samples%s\n", ind, depth ? "└─" : "", v, no[v], cr[v] < 0 ? ", initial model" : "",
            (long long)nm[v], cr[v] >= 0 ? "" : "");
  else
    prc_say(comm, "[tree] %s%s router %d (%d children)\n", ind, depth ? "└─" : "", v, nc[v]);
  if (le[v] && cr[v] >= 0) prc_say(comm, "[tree] %s      cloned in window %d (child %d of its parent)\n", ind, cr[v], slot);
  for (int c = 0; c < nc[v]; c++) print_node(comm, ch[v * 16 + c], depth + 1, pa, le, no, cr, nc, ch, nm, c);
}

static PetscErrorCode tree_run(prc_ctx *ctx)
{
  const prc_opts *o = ctx->opts;
  static char     in[MAXRUN][1024], lab[MAXRUN][1024];
  const int       nr = split(prc_opts_string(o, "tree_input"), in, MAXRUN);
  const char     *od = prc_opts_string(o, "out_dir");
  static double   inc[MAXRUN][MAXW], aold[MAXRUN][MAXW], anew[MAXRUN][MAXW];
  int             nw[MAXRUN];
  PetscFunctionBeginUser;
  if (strcmp(prc_opts_string(o, "tree_labels"), "auto")) split(prc_opts_string(o, "tree_labels"), lab, MAXRUN);
  else
    for (int r = 0; r < nr; r++) memcpy(lab[r], in[r], sizeof lab[r]);
  for (int r = 0; r < nr; r++) {
    hid_t  fid, g;
    double v;
    int    found;
    char   kind[64];
    PetscCall(prc_ctx_add_input(ctx, in[r]));
    PetscCall(prc_h5_open(ctx->comm, in[r], &fid));
    PetscCall(prc_h5_attr_get_str(fid, "precursor_kind", kind, sizeof kind, &found));
    PetscCheck(found && !strcmp(kind, "em_tree"), ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s' is not an online-learning tree (precursor_kind '%s', expected em_tree)",
               in[r], found ? kind : "absent");
    double dn, dd, dc;
    PetscCall(prc_h5_attr_get_double(fid, "nnodes", &dn, NULL));
    PetscCall(prc_h5_attr_get_double(fid, "root", &v, NULL));
    PetscCall(prc_h5_attr_get_double(fid, "windows_done", &dd, NULL));
    PetscCall(prc_h5_attr_get_double(fid, "complete", &dc, NULL));
    int n = (int)dn, root = (int)v;
    PetscCheck(n >= 1 && n <= MAXN && root >= 0 && root < n && dd >= 0 && dd < MAXW, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': damaged tree attributes", in[r]);
    nw[r] = (int)dd + 1;
    int     pa[MAXN], le[MAXN], no[MAXN], cr[MAXN], nc[MAXN], ch[MAXN * 16];
    int64_t nm[MAXN], ic[MAXW];
    g = H5Gopen2(fid, "tree", H5P_DEFAULT);
    PetscCheck(g >= 0, ctx->comm, PETSC_ERR_FILE_UNEXPECTED, "'%s': no /tree", in[r]);
    PetscCall(col(g, "parent", H5T_NATIVE_INT, (hsize_t)n, pa));
    PetscCall(col(g, "leaf", H5T_NATIVE_INT, (hsize_t)n, le));
    PetscCall(col(g, "nout", H5T_NATIVE_INT, (hsize_t)n, no));
    PetscCall(col(g, "created_window", H5T_NATIVE_INT, (hsize_t)n, cr));
    PetscCall(col(g, "nchildren", H5T_NATIVE_INT, (hsize_t)n, nc));
    PetscCall(col(g, "children", H5T_NATIVE_INT, (hsize_t)n * 16, ch));
    PetscCall(col(g, "memory_size", H5T_NATIVE_INT64, (hsize_t)n, nm));
    H5Gclose(g);
    for (int i = 0; i < n; i++)
      for (int c = 0; c < nc[i]; c++)
        PetscCheck(nc[i] <= 16 && ch[i * 16 + c] >= 0 && ch[i * 16 + c] < n && pa[ch[i * 16 + c]] == i, ctx->comm, PETSC_ERR_FILE_UNEXPECTED,
                   "'%s': node %d: inconsistent child list", in[r], i);
    double at[3][MAXW], ai[MAXW], ar[MAXW], tt[MAXW], trt[MAXW];
    int    lv[MAXW];
    g = H5Gopen2(fid, "results", H5P_DEFAULT);
    PetscCall(col(g, "increment", H5T_NATIVE_INT64, (hsize_t)nw[r], ic));
    PetscCall(col(g, "acc_tree_old", H5T_NATIVE_DOUBLE, (hsize_t)nw[r], at[0]));
    PetscCall(col(g, "acc_tree_new", H5T_NATIVE_DOUBLE, (hsize_t)nw[r], at[1]));
    PetscCall(col(g, "acc_tree_all", H5T_NATIVE_DOUBLE, (hsize_t)nw[r], at[2]));
    PetscCall(col(g, "acc_initial_all", H5T_NATIVE_DOUBLE, (hsize_t)nw[r], ai));
    PetscCall(col(g, "acc_retrain_all", H5T_NATIVE_DOUBLE, (hsize_t)nw[r], ar));
    PetscCall(col(g, "leaves", H5T_NATIVE_INT, (hsize_t)nw[r], lv));
    H5Gclose(g);
    g = H5Gopen2(fid, "timing", H5P_DEFAULT);
    PetscCall(col(g, "time_tree_s", H5T_NATIVE_DOUBLE, (hsize_t)nw[r], tt));
    PetscCall(col(g, "time_retrain_s", H5T_NATIVE_DOUBLE, (hsize_t)nw[r], trt));
    H5Gclose(g);
    char *acts;
    PetscCall(PetscCalloc1((size_t)nw[r] * 260 + 1, &acts));
    PetscCall(prc_h5_attr_get_str(fid, "actions", acts, (size_t)nw[r] * 260 + 1, NULL));
    PetscCall(prc_h5_close(fid));
    for (int w = 0; w < nw[r]; w++) inc[r][w] = (double)ic[w], aold[r][w] = 100 * at[0][w], anew[r][w] = 100 * at[1][w];
    prc_say(ctx->comm, "[tree] %s: %d nodes, %d window(s) done%s\n", in[r], n, nw[r] - 1, dc != 0 ? "" : " (unfinished: run online again to resume)");
    print_node(ctx->comm, root, 0, pa, le, no, cr, nc, ch, nm, 0);
    prc_say(ctx->comm, "[tree] history:\n");
    for (char *p = acts; *p;) {
      char *q = strchr(p, '\n');
      if (q) *q = 0;
      if (*p) prc_say(ctx->comm, "[tree]   %s\n", p);
      if (!q) break;
      p = q + 1;
    }
    prc_say(ctx->comm, "[tree] online samples | leaves | tree old / new / all | initial all | retrained all | time tree / retrain (s)\n");
    for (int w = 0; w < nw[r]; w++)
      prc_say(ctx->comm, "[tree] %14lld | %6d | %.4f / %.4f / %.4f | %.4f | %.4f | %.2f / %.2f\n", (long long)ic[w], lv[w], at[0][w], at[1][w], at[2][w], ai[w], ar[w],
              tt[w], trt[w]);
    PetscCall(PetscFree(acts));
  }
  int  ok = 1;
  char msg[512] = "";
  if (!ctx->rank && prc_opts_bool(o, "tree_png")) {
    prc_series s[2 * MAXRUN];
    static char nm[2 * MAXRUN][1100];
    static const uint32_t pal[8] = {0x4E79A7, 0xF28E2B, 0x59A14F, 0xE15759, 0x76B7B2, 0xEDC948, 0xB07AA1, 0x9C755F};
    for (int r = 0; r < nr; r++) {
      snprintf(nm[2 * r], sizeof nm[0], "%s: old test set", lab[r]);
      snprintf(nm[2 * r + 1], sizeof nm[0], "%s: new test set", lab[r]);
      s[2 * r] = (prc_series){inc[r], aold[r], nw[r], nm[2 * r], pal[r % 8]};
      s[2 * r + 1] = (prc_series){inc[r], anew[r], nw[r], nm[2 * r + 1], pal[r % 8] ^ 0x202020};
    }
    prc_lines_style ls = {.title = prc_opts_string(o, "tree_title"), .xlabel = "online (incremental) samples", .ylabel = "accuracy (%)", .width = 900,
                          .height = 500};
    char path[1200];
    snprintf(path, sizeof path, "%s/tree_compare.png", od);
    if (mkdir(od, 0777) && errno != EEXIST) ok = 0, snprintf(msg, sizeof msg, "cannot create the folder: %s", strerror(errno));
    else
    if (prc_plot_lines_png(path, s, 2 * nr, &ls)) ok = 0, snprintf(msg, sizeof msg, "%s", prc_lasterr());
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, ctx->comm));
  PetscCallMPI(MPI_Bcast(msg, sizeof msg, MPI_CHAR, 0, ctx->comm));
  PetscCheck(ok, ctx->comm, PETSC_ERR_FILE_WRITE, "tree_compare.png in '%s': %s", od, msg);
  if (prc_opts_bool(o, "tree_png")) prc_say(ctx->comm, "[tree] %s/tree_compare.png\n", od);
  PetscFunctionReturn(0);
}

const prc_stage prc_stage_tree = {"tree", "show the online-learning tree of precursor online (nodes, history, accuracy); compare runs (forgetting)",
                                  tree_opts, (int)(sizeof tree_opts / sizeof tree_opts[0]), tree_validate, tree_run};

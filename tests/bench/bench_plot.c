/* bench_plot.c — draws the scaling curves of tests/bench_scaling.sh with precursor's own
 * PNG module. Input lines "KIND STAGE RANKS VALUE" (KIND: strong or weak; VALUE: speed-up
 * for strong, efficiency for weak); one PNG per kind with one curve per stage plus the
 * ideal line. Usage: bench_plot TABLE OUT_PREFIX */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/error.h"
#include "precursor/plot.h"

#define MAXS 8
#define MAXP 16

int main(int argc, char **argv)
{
  if (argc < 3) {
    fprintf(stderr, "usage: bench_plot TABLE OUT_PREFIX\n");
    return 2;
  }
  const char *kinds[2] = {"strong", "weak"};
  for (int k = 0; k < 2; k++) {
    char   names[MAXS][32];
    double x[MAXS][MAXP], y[MAXS][MAXP], ix[MAXP], iy[MAXP];
    int    n[MAXS] = {0}, ns = 0, ni = 0;
    FILE  *f = fopen(argv[1], "r");
    if (!f) {
      fprintf(stderr, "bench_plot: cannot read %s\n", argv[1]);
      return 1;
    }
    char kind[16], stage[32];
    int  ranks;
    double v;
    while (fscanf(f, "%15s %31s %d %lf", kind, stage, &ranks, &v) == 4) {
      if (strcmp(kind, kinds[k])) continue;
      int s = 0;
      while (s < ns && strcmp(names[s], stage)) s++;
      if (s == ns && ns < MAXS) snprintf(names[ns++], 32, "%s", stage);
      if (s < ns && n[s] < MAXP) x[s][n[s]] = ranks, y[s][n[s]++] = v;
      int seen = 0;
      for (int i = 0; i < ni; i++) seen |= ix[i] == ranks;
      if (!seen && ni < MAXP) ix[ni] = ranks, iy[ni] = k ? 1.0 : ranks, ni++;
    }
    fclose(f);
    if (!ns) continue;
    for (int i = 0; i < ni; i++) /* ideal line in rank order */
      for (int j = i + 1; j < ni; j++)
        if (ix[j] < ix[i]) {
          double t = ix[i]; ix[i] = ix[j]; ix[j] = t;
          t = iy[i]; iy[i] = iy[j]; iy[j] = t;
        }
    prc_series s[MAXS + 1];
    for (int i = 0; i < ns; i++) s[i] = (prc_series){x[i], y[i], n[i], names[i], 0};
    s[ns] = (prc_series){ix, iy, ni, "ideal", 0x808080};
    prc_lines_style st = {.title = k ? "weak scaling: efficiency T(1) / T(n), fixed work per rank"
                                     : "strong scaling: speed-up T(1) / T(n), fixed problem",
                          .xlabel = "MPI ranks (more than 2 oversubscribe the 2 cores here)",
                          .ylabel = k ? "efficiency" : "speed-up",
                          .ymin = 0, .ymax = k ? 1.2 : ix[ni - 1] * 1.1};
    char path[1024];
    snprintf(path, sizeof path, "%s_%s.png", argv[2], kinds[k]);
    if (prc_plot_lines_png(path, s, ns + 1, &st)) {
      fprintf(stderr, "bench_plot: %s\n", prc_lasterr());
      return 1;
    }
    printf("wrote %s\n", path);
  }
  return 0;
}

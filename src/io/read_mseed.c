/* read_mseed.c — miniSEED records -> regular float32 traces with explicit gaps
 * (see include/precursor/read_mseed.h). Kernel: no MPI. */
#include "precursor/read_mseed.h"

#include <libmseed.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/error.h"

/* libmseed prints its diagnostics; keep the last one for our message instead. */
static char ms_diag[256];
static void ms_diag_keep(char *m)
{
  if (!strncmp(m, "Error: ", 7)) m += 7;
  snprintf(ms_diag, sizeof ms_diag, "%s", m);
  size_t l = strlen(ms_diag);
  while (l && (ms_diag[l - 1] == '\n' || ms_diag[l - 1] == ' ')) ms_diag[--l] = '\0';
}
static void ms_log_drop(char *m) { (void)m; }

static int grow_span(prc_span **s, int *cap, int n)
{
  if (n < *cap) return 0;
  int       nc = *cap ? 2 * *cap : 8;
  prc_span *p = realloc(*s, (size_t)nc * sizeof **s);
  if (!p) return 1;
  *s = p, *cap = nc;
  return 0;
}

static int trace_cmp(const void *a, const void *b)
{
  const prc_mseed_trace *x = a, *y = b;
  int c = strcmp(x->net, y->net);
  if (!c) c = strcmp(x->sta, y->sta);
  if (!c) c = strcmp(x->loc, y->loc);
  if (!c) c = strcmp(x->cha, y->cha);
  if (!c) c = (x->start_us > y->start_us) - (x->start_us < y->start_us);
  return c;
}

void prc_mseed_free(prc_mseed_trace *tr, int ntr)
{
  if (!tr) return;
  for (int i = 0; i < ntr; i++) free(tr[i].data), free(tr[i].gaps), free(tr[i].overlaps);
  free(tr);
}

int prc_mseed_scan_gaps(const float *data, int64_t n, prc_span **gaps, int *ngaps)
{
  int cap = 0, ng = 0;
  prc_span *g = NULL;
  for (int64_t i = 0; i < n;) {
    if (!isnan(data[i])) { i++; continue; }
    int64_t j = i;
    while (j < n && isnan(data[j])) j++;
    if (grow_span(&g, &cap, ng)) return free(g), prc_seterr("out of memory for a gap list"), 1;
    g[ng++] = (prc_span){i, j - i};
    i = j;
  }
  free(*gaps);
  *gaps = g, *ngaps = ng;
  return 0;
}

/* Append one unpacked record to trace T; rec is 1-based, off its byte offset. */
static int append(const char *path, long rec, long long off, prc_mseed_trace *T, const MSRecord *m, int64_t max_samples,
                  int64_t prev_start_us)
{
  char    id[64];
  int64_t ns = m->numsamples;
  snprintf(id, sizeof id, "%s.%s.%s.%s", m->network, m->station, m->location, m->channel);
  if (T->nrecords == 0) {
    T->start_us = m->starttime;
    T->start = (double)m->starttime / HPTMODULUS;
    T->rate = m->samprate;
    T->sampletype = m->sampletype;
    snprintf(T->encoding, sizeof T->encoding, "%s", ms_encodingstr(m->encoding));
  } else {
    if (fabs(m->samprate - T->rate) > 1e-6 * T->rate)
      return prc_seterr("'%s': record %ld (byte %lld, %s): sample rate %.9g Hz differs from the %.9g Hz of the channel's "
                        "earlier records",
                        path, rec, off, id, m->samprate, T->rate);
    if (m->starttime < prev_start_us) {
      char a[40], b[40];
      ms_hptime2isotimestr(m->starttime, a, 1), ms_hptime2isotimestr(prev_start_us, b, 1);
      return prc_seterr("'%s': record %ld (byte %lld, %s): start time %s goes backwards (the channel's previous record "
                        "started at %s)",
                        path, rec, off, id, a, b);
    }
  }
  /* position on the grid (offset in microseconds is exact in double up to 2^53) */
  double  dt_s = (double)(m->starttime - T->start_us) / HPTMODULUS;
  int64_t idx = llround(dt_s * T->rate);
  double  shift = fabs(dt_s - (double)idx / T->rate);
  if (T->nrecords && shift > T->max_shift_s) T->max_shift_s = shift;
  int64_t skip = 0;
  if (idx > T->n) { /* gap */
    if (idx + ns > max_samples)
      return prc_seterr("'%s': record %ld (byte %lld, %s): a gap of %lld samples would make the trace longer than %lld "
                        "samples (-mseed_max_samples)",
                        path, rec, off, id, (long long)(idx - T->n), (long long)max_samples);
    if (grow_span(&T->gaps, &T->capg, T->ngaps)) return prc_seterr("out of memory (gap list of %s)", id);
    T->gaps[T->ngaps++] = (prc_span){T->n, idx - T->n};
  } else if (idx < T->n) { /* overlap: first copy wins */
    skip = T->n - idx < ns ? T->n - idx : ns;
    if (grow_span(&T->overlaps, &T->capo, T->noverlaps)) return prc_seterr("out of memory (overlap list of %s)", id);
    T->overlaps[T->noverlaps++] = (prc_span){idx, skip};
    T->n_dropped += skip;
  }
  int64_t end = idx + ns > T->n ? idx + ns : T->n;
  if (end > max_samples)
    return prc_seterr("'%s': record %ld (byte %lld, %s): the trace would exceed %lld samples (-mseed_max_samples)", path,
                      rec, off, id, (long long)max_samples);
  if (end > T->cap) {
    int64_t nc = T->cap ? T->cap : 4096;
    while (nc < end) nc *= 2;
    float *p = realloc(T->data, (size_t)nc * sizeof(float));
    if (!p) return prc_seterr("'%s': out of memory for %lld samples of %s", path, (long long)nc, id);
    T->data = p, T->cap = nc;
  }
  for (int64_t i = T->n; i < idx; i++) T->data[i] = NAN;
  for (int64_t i = skip; i < ns; i++) {
    float v;
    if (m->sampletype == 'i') {
      int32_t x = ((const int32_t *)m->datasamples)[i];
      v = (float)x;
      if ((int64_t)v != (int64_t)x) T->n_rounded++;
    } else if (m->sampletype == 'f') {
      v = ((const float *)m->datasamples)[i];
    } else {
      double x = ((const double *)m->datasamples)[i];
      v = (float)x;
      if ((double)v != x && isfinite(x)) T->n_rounded++;
    }
    if (!isfinite(v))
      return prc_seterr("'%s': record %ld (byte %lld, %s): sample %lld is %s (NaN is reserved for gaps)", path, rec, off, id,
                        (long long)i, isnan(v) ? "NaN" : "infinite or beyond float32");
    T->data[idx + i] = v;
  }
  if (end > T->n) T->n = end;
  T->nrecords++;
  return 0;
}

int prc_mseed_read(const char *path, int64_t max_samples, prc_mseed_trace **out, int *nout, prc_mseed_stats *st)
{
  MSFileParam     *fp = NULL;
  MSRecord        *m = NULL;
  prc_mseed_trace *tr = NULL;
  int64_t         *prev = NULL; /* previous record start per trace */
  int              ntr = 0, cap = 0, rc, err = 0;
  long             rec = 0;
  off_t            fpos = 0, consumed = 0;
  *out = NULL, *nout = 0;
  if (st) st->nrecords = st->nskipped = 0;
  ms_diag[0] = '\0';
  ms_loginit(ms_log_drop, NULL, ms_diag_keep, NULL);
  FILE *f = fopen(path, "rb");
  if (!f) return prc_seterr("cannot open '%s'", path);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fclose(f);
  if (size == 0) return prc_seterr("'%s' is empty (0 bytes): not a miniSEED file", path);
  /* skipnotdata = 1: libmseed 2.19 prints a diagnostic dump (ms_parse_raw) of a record it cannot
   * detect when skipnotdata is 0, and that dump loops forever on a forged blockette chain whose
   * "next" offset points to itself (found by tests/fuzz/fuzz_mseed.c). We therefore let libmseed skip
   * what is not a record and report any skipped bytes ourselves: a record that does not start where
   * the previous one ended (or at byte 0) means bytes were not miniSEED — an error, never silent. */
  while ((rc = ms_readmsr_r(&fp, &m, path, 0, &fpos, NULL, 1, 1, 0)) == MS_NOERROR) {
    rec++;
    if (fpos != consumed) {
      err = prc_seterr("'%s': record %ld (byte %lld): not miniSEED: %lld bytes before the next valid record (at byte %lld)"
                       "%s%s",
                       path, rec, (long long)consumed, (long long)(fpos - consumed), (long long)fpos, ms_diag[0] ? ": " : "",
                       ms_diag);
      break;
    }
    consumed = fpos + m->reclen;
    if (st) st->nrecords++;
    if (m->samplecnt <= 0 || m->numsamples <= 0 || m->sampletype == 'a') {
      if (st) st->nskipped++;
      continue;
    }
    if (!(m->samprate > 0) || !isfinite(m->samprate)) {
      err = prc_seterr("'%s': record %ld (byte %lld, %s.%s.%s.%s): sample rate %g is not positive", path, rec,
                       (long long)fpos, m->network, m->station, m->location, m->channel, m->samprate);
      break;
    }
    if (m->numsamples != m->samplecnt) {
      err = prc_seterr("'%s': record %ld (byte %lld): header says %lld samples, %lld decoded (corrupt data?)", path, rec,
                       (long long)fpos, (long long)m->samplecnt, (long long)m->numsamples);
      break;
    }
    int k;
    for (k = 0; k < ntr; k++)
      if (!strcmp(tr[k].net, m->network) && !strcmp(tr[k].sta, m->station) && !strcmp(tr[k].loc, m->location) &&
          !strcmp(tr[k].cha, m->channel))
        break;
    if (k == ntr) {
      if (ntr == cap) {
        int              nc = cap ? 2 * cap : 4;
        prc_mseed_trace *p = realloc(tr, (size_t)nc * sizeof *tr);
        int64_t         *q = realloc(prev, (size_t)nc * sizeof *prev);
        if (p) tr = p;
        if (q) prev = q;
        if (!p || !q) { err = prc_seterr("out of memory reading '%s'", path); break; }
        cap = nc;
      }
      memset(&tr[k], 0, sizeof tr[k]);
      snprintf(tr[k].net, 11, "%s", m->network), snprintf(tr[k].sta, 11, "%s", m->station);
      snprintf(tr[k].loc, 11, "%s", m->location), snprintf(tr[k].cha, 11, "%s", m->channel);
      prev[k] = m->starttime;
      ntr++;
    }
    if ((err = append(path, rec, (long long)fpos, &tr[k], m, max_samples, prev[k]))) break;
    prev[k] = m->starttime;
  }
  if (!err && rc != MS_ENDOFFILE)
    err = prc_seterr("'%s': record %ld (byte %lld): %s%s%s", path, rec + 1, (long long)fpos, ms_errorstr(rc),
                     ms_diag[0] ? ": " : "", ms_diag);
  if (!err && consumed < (off_t)size)
    err = prc_seterr("'%s': record %ld (byte %lld): truncated or not miniSEED: %lld trailing bytes do not form a complete "
                     "record%s%s",
                     path, rec + 1, (long long)consumed, (long long)((off_t)size - consumed), ms_diag[0] ? ": " : "", ms_diag);
  if (!err && ntr == 0)
    err = prc_seterr("'%s': no miniSEED data records (%ld records read, all without samples)", path, rec);
  ms_readmsr_r(&fp, &m, NULL, 0, NULL, NULL, 0, 0, 0);
  free(prev);
  if (err) {
    prc_mseed_free(tr, ntr);
    return 1;
  }
  qsort(tr, (size_t)ntr, sizeof *tr, trace_cmp);
  *out = tr, *nout = ntr;
  return 0;
}

/* precursor/read_catalog.h — readers of published earthquake catalogs (kernel layer: no
 * MPI, no PETSc). Formats and their mapping are documented in docs/FORMATS.md
 * ("Earthquake catalogs"):
 *   CENC CSV        Time,Latitude,Longitude,Magnitude,Depth,None   (Beijing time, UTC+8)
 *   JMA (R ETAS)    "date","time","long","lat","mag","depth"       (JST, UTC+9; depth <= 0)
 *   USGS ComCat     query.csv: time,latitude,longitude,depth,mag,magType,...,type,...
 *   QuakeML 1.2     eventParameters/event (libxml2), src/io/read_quakeml.c
 * Every reader appends the events of one file to a prc_evlist in file order and returns
 * 0, or non-zero after prc_seterr("FILE:LINE: field NAME: expected ..., found '...'").
 * Times are converted to UTC seconds (data model); depth km positive down, NaN unknown. */
#ifndef PRECURSOR_READ_CATALOG_H
#define PRECURSOR_READ_CATALOG_H

#include <stddef.h>

#define PRC_EV_MAGTYPE_LEN 8 /* = PRC_MAGTYPE_LEN of catalog.h */
#define PRC_EV_SOURCE_LEN 16 /* = PRC_SOURCE_LEN of catalog.h */

/* A growable table of events (columns). `extra` holds a column of the file that is not
 * stored in the data model but makes rows distinct (CENC's "None"; NaN otherwise): the
 * duplicate removal compares whole rows. `line` is the line of the file (for messages). */
typedef struct {
  size_t n, cap;
  double *time, *lat, *lon, *depth_km, *mag, *extra;
  long   *line;
  char  (*mag_type)[PRC_EV_MAGTYPE_LEN];
  char  (*source)[PRC_EV_SOURCE_LEN];
} prc_evlist;

typedef enum { PRC_CATFMT_AUTO = 0, PRC_CATFMT_CENC, PRC_CATFMT_JMA, PRC_CATFMT_COMCAT, PRC_CATFMT_QUAKEML } prc_catfmt;

/* What a reader skipped (not errors). */
typedef struct {
  size_t rows;         /* data rows / events seen in the file */
  size_t not_earthquake; /* ComCat rows with type != earthquake (dropped unless keep_all) */
  size_t no_mag;       /* ComCat rows with an empty mag, QuakeML events without magnitude */
  size_t no_origin;    /* QuakeML events without an origin */
  size_t not_existing; /* QuakeML events of type "not existing" */
  size_t depth_positive; /* JMA rows with a positive depth (taken as km down, like the negative ones) */
} prc_catread_stats;

/* "cenc", "jma", "comcat", "quakeml", "auto" -> *f; non-zero for anything else. */
int         prc_catfmt_parse(const char *s, prc_catfmt *f);
const char *prc_catfmt_name(prc_catfmt f);
/* Tell the format of a file from its first line (CSV headers) or its first non-blank
 * character '<' (XML; the QuakeML reader checks the root). Error names the file and
 * quotes the first line. */
int prc_catfmt_sniff(const char *path, prc_catfmt *f);

/* Append events. utc_offset_h: hours the file's local time is ahead of UTC (CENC 8, JMA 9;
 * UTC = local - offset). keep_all (ComCat): keep every event type, not only "earthquake".
 * st may be NULL; it is added to (not reset). On failure events already appended from
 * this file stay in *ev (the caller discards the list). */
int prc_read_cenc_csv(const char *path, double utc_offset_h, prc_evlist *ev, prc_catread_stats *st);
int prc_read_jma_csv(const char *path, double utc_offset_h, prc_evlist *ev, prc_catread_stats *st);
int prc_read_comcat_csv(const char *path, int keep_all, prc_evlist *ev, prc_catread_stats *st);
int prc_read_quakeml(const char *path, prc_evlist *ev, prc_catread_stats *st);
/* Dispatch on f (AUTO sniffs); utc_offset_h NaN = the format's own zone (CENC 8, JMA 9,
 * ComCat and QuakeML 0, which state UTC). */
int prc_read_catalog(const char *path, prc_catfmt f, double utc_offset_h, int keep_all, prc_evlist *ev,
                     prc_catread_stats *st);

/* List management. push returns the new row (zero mag_type/source, extra NaN). */
int    prc_evlist_push(prc_evlist *ev, size_t *row);
/* Append all rows of src to dst. */
int    prc_evlist_append(prc_evlist *dst, const prc_evlist *src);
void   prc_evlist_free(prc_evlist *ev);
/* Sort by (time, lat, lon, depth, mag, mag_type, source, extra) — a total order on the
 * stored values (NaN last), so the result does not depend on the order rows came in. */
int    prc_evlist_sort(prc_evlist *ev);
/* After sorting: drop rows equal in every field to the row before (exact duplicates,
 * NaN equal to NaN). Returns the number dropped. */
size_t prc_evlist_dedup(prc_evlist *ev);
/* Keep only rows with keep[i] != 0 (order preserved). Returns the number dropped. */
size_t prc_evlist_compact(prc_evlist *ev, const unsigned char *keep);

/* Parse a polygon "lon lat,lon lat,..." (at least 3 vertices; the closing vertex may be
 * repeated or not). Writes at most max vertices to xy (lon, lat pairs); returns the
 * count, or -1 with prc_seterr on a syntax error. */
int prc_polygon_parse(const char *s, double *xy, int max);
/* Point-in-polygon by ray casting (even-odd rule, a ray towards +lon): 1 inside, 0 outside.
 * Points exactly on an edge may fall either way. */
int prc_point_in_polygon(const double *xy, int nv, double lon, double lat);

#endif

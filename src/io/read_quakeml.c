/* read_quakeml.c — QuakeML 1.2 (BED) events with libxml2. Kernel layer (no MPI).
 *
 * q:quakeml/eventParameters/event, namespace http://quakeml.org/xmlns/bed/1.2 for the
 * event tree. Per event: the origin whose publicID is the event's preferredOriginID (else
 * the first origin), the magnitude named by preferredMagnitudeID (else the first). Origin
 * time/value (UTC), latitude/value, longitude/value, depth/value (metres -> km; absent ->
 * NaN); magnitude mag/value and type. Events of type "not existing" are skipped, events
 * without an origin or a magnitude are skipped and counted (the caller reports them).
 * Errors name FILE:LINE (xmlGetLineNo) and the element. */
#include "precursor/error.h"
#include "precursor/text.h"
#include "precursor/read_catalog.h"
#include "precursor/timeutil.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#define BED_NS "http://quakeml.org/xmlns/bed/1.2"

static int is_el(const xmlNode *n, const char *name)
{
  return n && n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name) && n->ns && n->ns->href &&
         !strcmp((const char *)n->ns->href, BED_NS);
}

static xmlNode *child(const xmlNode *n, const char *name)
{
  for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
    if (is_el(c, name)) return c;
  return NULL;
}

/* Trimmed text content of an element into buf ("" if n is NULL). */
static const char *text(const xmlNode *n, char *buf, size_t len)
{
  buf[0] = '\0';
  if (!n) return buf;
  xmlChar *c = xmlNodeGetContent(n);
  if (!c) return buf;
  const char *s = (const char *)c;
  while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
  snprintf(buf, len, "%s", s);
  size_t l = strlen(buf);
  while (l && strchr(" \t\r\n", buf[l - 1])) buf[--l] = '\0';
  xmlFree(c);
  return buf;
}

static const char *attr(const xmlNode *n, const char *name, char *buf, size_t len)
{
  buf[0] = '\0';
  xmlChar *a = xmlGetProp(n, (const xmlChar *)name);
  if (a) snprintf(buf, len, "%s", (const char *)a), xmlFree(a);
  return buf;
}


/* The child `name` of parent `list` whose publicID is `id`, else the first; NULL if none. */
static xmlNode *pick(const xmlNode *ev, const char *name, const char *id)
{
  xmlNode *first = NULL;
  char     pid[512];
  for (xmlNode *c = ev->children; c; c = c->next)
    if (is_el(c, name)) {
      if (!first) first = c;
      if (*id && !strcmp(attr(c, "publicID", pid, sizeof pid), id)) return c;
    }
  return first;
}

/* value of <name><value>..</value></name> under n as a number; 0 absent, 1 ok, -1 bad. */
static int value_of(const xmlNode *n, const char *name, double *v, char *txt, size_t len, long *line)
{
  xmlNode *e = child(n, name), *val = child(e, "value");
  *line = xmlGetLineNo(val ? val : e ? e : n);
  if (!val) return 0;
  text(val, txt, len);
  return prc_parse_real(txt, v) ? 1 : -1;
}

static int read_event(const char *path, xmlNode *e, prc_evlist *ev, prc_catread_stats *st)
{
  char  id[512], buf[512], pref[512], txt[512];
  long  ln, eln = xmlGetLineNo(e);
  double t, lat, lon, dep, mag;
  attr(e, "publicID", id, sizeof id);
  if (st) st->rows++;
  if (!strcmp(text(child(e, "type"), buf, sizeof buf), "not existing")) {
    if (st) st->not_existing++;
    return 0;
  }
  xmlNode *o = pick(e, "origin", text(child(e, "preferredOriginID"), pref, sizeof pref));
  xmlNode *m = pick(e, "magnitude", text(child(e, "preferredMagnitudeID"), pref, sizeof pref));
  if (!o) {
    if (st) st->no_origin++;
    return 0;
  }
  if (!m) {
    if (st) st->no_mag++;
    return 0;
  }
  int r = value_of(o, "time", &t, txt, sizeof txt, &ln);
  if (r == 0) return prc_seterr("%s:%ld: event '%s': origin has no time/value", path, ln, id);
  /* time is text, not a number: parse it as ISO 8601 */
  {
    xmlNode *tv = child(child(o, "time"), "value");
    text(tv, txt, sizeof txt);
    if (prc_time_parse(txt, &t)) {
      char why[512];
      snprintf(why, sizeof why, "%s", prc_lasterr());
      return prc_seterr("%s:%ld: event '%s': field origin/time/value: %s", path, ln, id, why);
    }
  }
  struct {
    const char *name;
    double     *v, lo, hi;
    const char *want;
  } f[] = {{"latitude", &lat, -90, 90, "a latitude in [-90, 90]"},
           {"longitude", &lon, -180, 180, "a longitude in [-180, 180]"},
           {"depth", &dep, -20e3, 1000e3, "a depth in metres in [-20000, 1000000]"}};
  for (int k = 0; k < 3; k++) {
    r = value_of(o, f[k].name, f[k].v, txt, sizeof txt, &ln);
    if (r == 0 && k == 2) {
      dep = NAN;
      continue;
    }
    if (r == 0) return prc_seterr("%s:%ld: event '%s': origin has no %s/value", path, ln, id, f[k].name);
    if (r < 0 || *f[k].v < f[k].lo || *f[k].v > f[k].hi)
      return prc_seterr("%s:%ld: event '%s': field origin/%s/value: expected %s, found '%s'", path, ln, id, f[k].name, f[k].want, txt);
  }
  r = value_of(m, "mag", &mag, txt, sizeof txt, &ln);
  if (r == 0) return prc_seterr("%s:%ld: event '%s': magnitude has no mag/value", path, ln, id);
  if (r < 0 || mag < -5 || mag > 10)
    return prc_seterr("%s:%ld: event '%s': field magnitude/mag/value: expected a magnitude in [-5, 10], found '%s'", path, ln, id, txt);
  size_t row;
  if (prc_evlist_push(ev, &row)) return 1;
  ev->time[row] = t, ev->lat[row] = lat, ev->lon[row] = lon, ev->mag[row] = mag;
  ev->depth_km[row] = isnan(dep) ? NAN : dep / 1000.0;
  ev->line[row] = eln;
  snprintf(ev->mag_type[row], PRC_EV_MAGTYPE_LEN, "%s", text(child(m, "type"), buf, sizeof buf));
  const char *agency = text(child(child(o, "creationInfo"), "agencyID"), buf, sizeof buf);
  snprintf(ev->source[row], PRC_EV_SOURCE_LEN, "%s", *agency ? agency : "QuakeML");
  return 0;
}

int prc_read_quakeml(const char *path, prc_evlist *ev, prc_catread_stats *st)
{
  xmlParserCtxtPtr ctx = xmlNewParserCtxt();
  if (!ctx) return prc_seterr("'%s': cannot create an XML parser", path);
  xmlDocPtr doc = xmlCtxtReadFile(ctx, path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!doc) {
    const xmlError *err = xmlCtxtGetLastError(ctx);
    char            msg[512] = "cannot parse";
    long            line = err ? err->line : 0;
    if (err && err->message) {
      snprintf(msg, sizeof msg, "%s", err->message);
      size_t l = strlen(msg);
      while (l && msg[l - 1] == '\n') msg[--l] = '\0';
    }
    xmlFreeParserCtxt(ctx);
    return prc_seterr("%s:%ld: XML not well-formed: %s", path, line, msg);
  }
  xmlFreeParserCtxt(ctx);
  int      rc = 0;
  xmlNode *root = xmlDocGetRootElement(doc), *ep = NULL;
  if (!root || strcmp((const char *)root->name, "quakeml")) {
    rc = prc_seterr("%s:%ld: root element: expected 'quakeml' (QuakeML 1.2), found '%s'", path, root ? xmlGetLineNo(root) : 1L,
                    root ? (const char *)root->name : "(none)");
    goto done;
  }
  for (xmlNode *c = root->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, "eventParameters")) {
      ep = c;
      break;
    }
  if (!ep) {
    rc = prc_seterr("%s:%ld: element quakeml: expected an eventParameters child, found none", path, xmlGetLineNo(root));
    goto done;
  }
  if (!ep->ns || !ep->ns->href || strcmp((const char *)ep->ns->href, BED_NS)) {
    rc = prc_seterr("%s:%ld: element eventParameters: expected namespace '%s', found '%s'", path, xmlGetLineNo(ep), BED_NS,
                    ep->ns && ep->ns->href ? (const char *)ep->ns->href : "(none)");
    goto done;
  }
  for (xmlNode *e = ep->children; e && !rc; e = e->next)
    if (is_el(e, "event")) rc = read_event(path, e, ev, st);
done:
  xmlFreeDoc(doc);
  return rc;
}

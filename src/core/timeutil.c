/* timeutil.c — calendar arithmetic for the data model's UTC seconds. */
#include "precursor/timeutil.h"
#include "precursor/error.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t prc_days_from_civil(int64_t y, unsigned m, unsigned d)
{
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

void prc_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = (unsigned)(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* n decimal digits at s (no sign, no spaces) -> *v; returns 0 if they are not all digits. */
static int digits(const char *s, int n, int *v)
{
  *v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    *v = *v * 10 + (s[i] - '0');
  }
  return 1;
}

int prc_time_parse(const char *s, double *t)
{
  int y, mo, d, h = 0, mi = 0, isec = 0;
  double frac = 0;
  if (!s || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d))
    return prc_seterr("'%s' is not a date (expected YYYY-MM-DD[THH:MM:SS[.fff]][Z])", s ? s : "(null)");
  const char *p = s + 10;
  if (*p == 'T' || *p == ' ') {
    if (!digits(p + 1, 2, &h) || p[3] != ':' || !digits(p + 4, 2, &mi) || p[6] != ':' || !digits(p + 7, 2, &isec))
      return prc_seterr("'%s': time of day is not HH:MM:SS", s);
    p += 9;
    if (*p == '.') {
      double scale = 0.1;
      if (p[1] < '0' || p[1] > '9') return prc_seterr("'%s': no digits after the decimal point", s);
      for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10) frac += (*p - '0') * scale;
    }
  }
  int off_min = 0; /* ISO 8601 offset of a local time: +HH:MM, +HHMM or +HH (after a time of day) */
  if (*p == 'Z') p++;
  else if ((*p == '+' || *p == '-') && p > s + 10) {
    int oh, om = 0, sign = *p == '-' ? -1 : 1;
    if (!digits(p + 1, 2, &oh)) return prc_seterr("'%s': time-zone offset '%s' is not +HH:MM", s, p);
    p += 3;
    if (*p == ':') p++;
    if (*p) {
      if (!digits(p, 2, &om)) return prc_seterr("'%s': time-zone offset minutes are not MM", s);
      p += 2;
    }
    if (oh > 23 || om > 59) return prc_seterr("'%s': time-zone offset out of range", s);
    off_min = sign * (oh * 60 + om);
  }
  if (*p) return prc_seterr("'%s': unexpected text '%s' after the date/time", s, p);
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12) return prc_seterr("'%s': month %d out of range 1..12", s, mo);
  int dmax = mdays[mo - 1] + (mo == 2 && is_leap(y));
  if (d < 1 || d > dmax) return prc_seterr("'%s': day %d out of range 1..%d", s, d, dmax);
  if (h > 23 || mi > 59 || isec > 59)
    return prc_seterr("'%s': time of day out of range (00:00:00..23:59:59; no leap seconds)", s);
  *t = (double)prc_days_from_civil(y, (unsigned)mo, (unsigned)d) * PRC_DAY + h * 3600.0 + mi * 60.0 + isec + frac -
       off_min * 60.0;
  return 0;
}

void prc_time_format(double t, char *buf, int len)
{
  /* whole seconds first (floor), then split in integers: no rounding into "24:00:00" */
  int64_t secs = (int64_t)floor(t), days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400), y;
  int64_t rem = secs - days * 86400;
  unsigned m, d;
  prc_civil_from_days(days, &y, &m, &d);
  snprintf(buf, (size_t)len, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d, (int)(rem / 3600), (int)(rem / 60 % 60),
           (int)(rem % 60));
}

int prc_time_doy(double t)
{
  int64_t days = (int64_t)floor(t / PRC_DAY), y;
  unsigned m, d;
  prc_civil_from_days(days, &y, &m, &d);
  return (int)(days - prc_days_from_civil(y, 1, 1)) + 1;
}

double prc_time_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

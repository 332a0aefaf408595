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

int prc_time_parse(const char *s, double *t)
{
  int y, mo, d, h = 0, mi = 0, n = 0;
  double sec = 0;
  if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
    return prc_seterr("'%s' is not a date (expected YYYY-MM-DD[THH:MM:SS[Z]])", s ? s : "(null)");
  const char *p = s + n;
  if (*p == 'T' || *p == ' ') {
    int n2 = 0;
    if (sscanf(p + 1, "%2d:%2d:%lf%n", &h, &mi, &sec, &n2) != 3)
      return prc_seterr("'%s': time of day is not HH:MM:SS", s);
    p += 1 + n2;
  }
  if (*p == 'Z') p++;
  if (*p) return prc_seterr("'%s': unexpected text '%s' after the date/time", s, p);
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12) return prc_seterr("'%s': month %d out of range 1..12", s, mo);
  int dmax = mdays[mo - 1] + (mo == 2 && is_leap(y));
  if (d < 1 || d > dmax) return prc_seterr("'%s': day %d out of range 1..%d", s, d, dmax);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || !(sec >= 0 && sec < 61))
    return prc_seterr("'%s': time of day out of range", s);
  *t = (double)prc_days_from_civil(y, (unsigned)mo, (unsigned)d) * PRC_DAY + h * 3600.0 + mi * 60.0 + sec;
  return 0;
}

void prc_time_format(double t, char *buf, int len)
{
  int64_t days = (int64_t)floor(t / PRC_DAY), y;
  unsigned m, d;
  double rem = t - (double)days * PRC_DAY;
  int s = (int)floor(rem);
  prc_civil_from_days(days, &y, &m, &d);
  snprintf(buf, (size_t)len, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d, s / 3600, (s / 60) % 60, s % 60);
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

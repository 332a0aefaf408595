/* precursor/timeutil.h — UTC time as float64 seconds since 1970-01-01T00:00:00Z (the one
 * time representation of the data model), proleptic Gregorian calendar, no time zones,
 * no leap seconds. Kernel layer: no MPI. */
#ifndef PRECURSOR_TIMEUTIL_H
#define PRECURSOR_TIMEUTIL_H

#include <stdint.h>

/* Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil). */
int64_t prc_days_from_civil(int64_t y, unsigned m, unsigned d);
/* Inverse of prc_days_from_civil. */
void    prc_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
/* Parse "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|-HH:MM|+HHMM|+HH]" or with a
 * space instead of 'T' (an offset converts the local time to UTC).
 * Returns 0 and sets *t (seconds since epoch, UTC); non-zero (with prc_seterr) if the
 * text is not such a date or a field is out of range. */
int     prc_time_parse(const char *s, double *t);
/* Format t as "YYYY-MM-DDTHH:MM:SSZ" (buf >= 21 chars); fractional seconds truncated. */
void    prc_time_format(double t, char *buf, int len);
/* Day of year 1..366 of t (UTC). */
int     prc_time_doy(double t);
/* Current wall-clock time in seconds since epoch (UTC). */
double  prc_time_now(void);

#define PRC_DAY 86400.0

#endif

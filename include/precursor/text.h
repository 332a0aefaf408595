/* precursor/text.h — strict parsing of numbers in text formats and options (kernel
 * layer: no MPI). */
#ifndef PRECURSOR_TEXT_H
#define PRECURSOR_TEXT_H

/* A finite real number that is the whole of s: digits, sign, '.', exponent only (no
 * spaces, no "nan"/"inf", no hex). Returns 1 and sets *v, else 0. */
int prc_parse_real(const char *s, double *v);

#endif

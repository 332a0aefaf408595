/* precursor/csv.h — the line cursor and quoted-CSV field splitter shared by the text
 * readers (kernel layer: no MPI). Implemented in src/io/read_catalog_csv.c. */
#ifndef PRECURSOR_CSV_H
#define PRECURSOR_CSV_H

/* Next line of a NUL-terminated buffer, in place ('\r\n' or '\n' stripped); *had_nl = 0
 * for a last line without a newline. Returns NULL at the end. */
char *prc_csv_next_line(char **cur, int *had_nl);
/* Split a CSV line in place: fields separated by ',', a field may be "quoted" with ""
 * for a quote inside. Returns the number of fields, or -1 (unterminated quote: *bad set
 * to the column, 1-based), -2 (text after a closing quote), -3 (more than max fields). */
int   prc_csv_split(char *s, char **f, int max, int *bad);

#endif

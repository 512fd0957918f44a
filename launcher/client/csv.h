/*
 * CSV output shared by the client's files (statsfile.c, benchsample.c):
 * one field written as RFC 4180 has it.
 */
#ifndef LAUNCHER_CSV_H
#define LAUNCHER_CSV_H

#include <stdio.h>

/* s as a field: as it is, or quoted (inner quotes doubled) when it
 * holds a comma, a quote or a newline. */
void	 csv_field(FILE *, const char *s);

#endif

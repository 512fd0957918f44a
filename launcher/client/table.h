/*
 * Tables as virsh prints them: a blank before each cell, columns as wide
 * as their widest cell and three blanks apart, the last one not padded,
 * and under the heading a line of dashes as long as the columns' widths
 * plus three each.
 */
#ifndef LAUNCHER_TABLE_H
#define LAUNCHER_TABLE_H

#include <stddef.h>
#include <stdio.h>

struct table;

/* A table with ncols columns; the heading is its first row. */
struct table	*table_new(size_t ncols, ...);
/* One row of ncols cells (copied); a NULL cell is printed as "-". */
void		 table_row(struct table *, ...);
void		 table_print(const struct table *, FILE *);
void		 table_free(struct table *);

#endif

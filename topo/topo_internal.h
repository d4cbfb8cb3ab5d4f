/* Helpers shared by topo's own files; not part of the library's face. */
#ifndef LOOM_TOPO_INTERNAL_H
#define LOOM_TOPO_INTERNAL_H

#include "topo.h"

/* The shortest decimal text that reads back as exactly `value` ("%.17g"
 * at worst), so every writer round-trips. */
void topo_format_double(char *buf, size_t size, double value);

/* Fills a load_error without a YAML node: file and line (0 = whole file),
 * column (0 = unknown). Returns -1. */
int topo_error_at(struct load_error *error, const char *file, unsigned line,
		  unsigned column, const char *field, const char *format, ...)
	__attribute__((format(printf, 6, 7)));

/* Finalizes and, when the substrate is not connected, fills the warning
 * (if any) naming the component count and a node the first node cannot
 * reach. Clears the warning otherwise. Returns 0 or -ENOMEM. */
int topo_finalize_and_warn(struct substrate *substrate, const char *file,
			   struct load_error *warning);

/* Reads a whole file into a NUL-terminated buffer (free it). NULL with
 * errno set on failure. */
char *topo_read_file(const char *path, size_t *length);

#endif

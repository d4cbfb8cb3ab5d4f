/* What the readers and writers of topo/ share: exact number text, errors
 * without a YAML node, the connectivity warning, whole-file reads. */
#include "topo_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void topo_format_double(char *buf, size_t size, double value)
{
	/* Plain decimals where other tools expect them: "100", not "1e+02",
	 * unless the value is too large or small for that. */
	bool plain = fabs(value) < 1e15 && (value == 0 || fabs(value) >= 1e-4);
	for (int precision = 1; precision <= 17; precision++) {
		snprintf(buf, size, "%.*g", precision, value);
		if (plain && strchr(buf, 'e'))
			continue;
		if (strtod(buf, NULL) == value)
			return;
	}
	snprintf(buf, size, "%.17g", value);
}

int topo_error_at(struct load_error *error, const char *file, unsigned line,
		  unsigned column, const char *field, const char *format, ...)
{
	if (!error)
		return -1;
	snprintf(error->file, sizeof(error->file), "%s", file ? file : "");
	error->line = line;
	error->column = column;
	snprintf(error->field, sizeof(error->field), "%s", field ? field : "");
	va_list args;
	va_start(args, format);
	vsnprintf(error->message, sizeof(error->message), format, args);
	va_end(args);
	return -1;
}

int topo_finalize_and_warn(struct substrate *substrate, const char *file,
			   struct load_error *warning)
{
	if (warning)
		memset(warning, 0, sizeof(*warning));
	if (substrate_finalize(substrate))
		return -ENOMEM;
	if (substrate->component_count <= 1 || !warning)
		return 0;
	/* Name one node the first cannot reach, to make it concrete. */
	struct substrate_search *search = substrate_search_create(substrate);
	uint32_t *distance = malloc(substrate->node_count * sizeof(*distance));
	const char *unreached = NULL;
	if (search && distance) {
		substrate_hop_distances(search, 0, NULL, distance);
		for (uint32_t n = 0; n < substrate->node_count && !unreached; n++)
			if (distance[n] == UINT32_MAX)
				unreached = substrate->nodes[n].id;
	}
	if (unreached)
		topo_error_at(warning, file, 0, 0, "links",
			      "the substrate is not connected: %u components "
			      "(no path from node '%s' to node '%s')",
			      substrate->component_count,
			      substrate->nodes[0].id, unreached);
	else
		topo_error_at(warning, file, 0, 0, "links",
			      "the substrate is not connected: %u components",
			      substrate->component_count);
	free(distance);
	substrate_search_free(search);
	return 0;
}

char *topo_read_file(const char *path, size_t *length)
{
	FILE *file = fopen(path, "rb");
	if (!file)
		return NULL;
	size_t capacity = 1 << 16, used = 0;
	char *data = malloc(capacity);
	while (data) {
		used += fread(data + used, 1, capacity - used - 1, file);
		if (used < capacity - 1)
			break;
		capacity *= 2;
		char *bigger = realloc(data, capacity);
		if (!bigger) {
			free(data);
			data = NULL;
			break;
		}
		data = bigger;
	}
	if (data && ferror(file)) {
		free(data);
		data = NULL;
		errno = EIO;
	}
	fclose(file);
	if (!data)
		return NULL;
	data[used] = '\0';
	*length = used;
	return data;
}

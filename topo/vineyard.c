/* ViNE-Yard text formats (substrate and virtual network request), as read
 * by VNE-Sim and other VNE tools, so the same instance runs through them
 * and through Loom. Every line is checked strictly: the field count, every
 * field a whole number of the right kind, capacities >= 0, endpoints in
 * range, and the line counts the header announces. A reader that silently
 * accepted "12.5" where it wanted an integer, or dropped a short line,
 * would embed a different instance than the other tools. */
#include "topo_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VINEYARD_MAX_FIELDS 8

struct line_reader {
	const char *name;
	const char *text;
	const char *end;
	unsigned line; /* of the line last read */
	char buffer[512];
	char *fields[VINEYARD_MAX_FIELDS + 1];
	unsigned field_count;
	struct load_error *error;
};

/* Reads the next line into fields. Returns 1, 0 at the end of the text
 * (only blank lines left), -1 on error (a line too long, or a blank line
 * before the end). */
static int next_line(struct line_reader *reader)
{
	const char *start = reader->text;
	if (start >= reader->end)
		return 0;
	const char *newline = memchr(start, '\n', reader->end - start);
	const char *stop = newline ? newline : reader->end;
	reader->text = newline ? newline + 1 : reader->end;
	reader->line++;
	size_t length = stop - start;
	if (length && start[length - 1] == '\r')
		length--;
	if (length >= sizeof(reader->buffer))
		return topo_error_at(reader->error, reader->name, reader->line, 0,
				     "", "line too long");
	if (memchr(start, '\0', length))
		return topo_error_at(reader->error, reader->name, reader->line, 0,
				     "", "NUL byte in the line");
	memcpy(reader->buffer, start, length);
	reader->buffer[length] = '\0';
	reader->field_count = 0;
	char *save = NULL;
	for (char *field = strtok_r(reader->buffer, " \t", &save); field;
	     field = strtok_r(NULL, " \t", &save)) {
		if (reader->field_count == VINEYARD_MAX_FIELDS + 1)
			break;
		reader->fields[reader->field_count++] = field;
	}
	if (reader->field_count > 0)
		return 1;
	/* Blank: fine only if everything after it is blank too. */
	for (const char *c = reader->text; c < reader->end; c++)
		if (!strchr(" \t\r\n", *c))
			return topo_error_at(reader->error, reader->name,
					     reader->line, 0, "",
					     "empty line inside the file");
	reader->text = reader->end;
	return 0;
}

/* Reads a line of exactly `count` fields; `what` says what it should be. */
static int expect_line(struct line_reader *reader, unsigned count,
		       const char *what, const char *layout)
{
	int rc = next_line(reader);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return topo_error_at(reader->error, reader->name, reader->line + 1,
				     0, "", "the file ends where %s (%s) was due",
				     what, layout);
	if (reader->field_count != count)
		return topo_error_at(reader->error, reader->name, reader->line, 0,
				     "", "%s: expected %u fields (%s), found %s%u",
				     what, count, layout,
				     reader->field_count > VINEYARD_MAX_FIELDS
					     ? "more than "
					     : "",
				     reader->field_count > VINEYARD_MAX_FIELDS
					     ? VINEYARD_MAX_FIELDS
					     : reader->field_count);
	return 0;
}

static int field_number(struct line_reader *reader, unsigned index,
			const char *field, bool non_negative, double *out)
{
	const char *text = reader->fields[index];
	char *end;
	errno = 0;
	double value = strtod(text, &end);
	if (end == text || *end != '\0' || errno || !isfinite(value))
		return topo_error_at(reader->error, reader->name, reader->line,
				     0, field, "'%s' is not a number", text);
	if (non_negative && value < 0)
		return topo_error_at(reader->error, reader->name, reader->line,
				     0, field, "negative value %s", text);
	*out = value;
	return 0;
}

static int field_integer(struct line_reader *reader, unsigned index,
			 const char *field, long minimum, long maximum,
			 long *out)
{
	const char *text = reader->fields[index];
	char *end;
	errno = 0;
	long value = strtol(text, &end, 10);
	if (end == text || *end != '\0' || errno)
		return topo_error_at(reader->error, reader->name, reader->line,
				     0, field, "'%s' is not an integer", text);
	if (value < minimum || value > maximum)
		return topo_error_at(reader->error, reader->name, reader->line,
				     0, field, "%ld is out of range [%ld, %ld]",
				     value, minimum, maximum);
	*out = value;
	return 0;
}

/* The node and link lines shared by both formats, after the header. */
static int read_graph(struct line_reader *reader, struct substrate *graph,
		      long nodes, long links, char node_prefix,
		      char link_prefix)
{
	for (long i = 0; i < nodes; i++) {
		struct substrate_node node = {
			.position_kind = SUBSTRATE_POSITION_PLANE
		};
		snprintf(node.id, sizeof(node.id), "%c%ld", node_prefix, i);
		if (expect_line(reader, 3, "a node line", "x y cpu") ||
		    field_number(reader, 0, "x", false, &node.x) ||
		    field_number(reader, 1, "y", false, &node.y) ||
		    field_number(reader, 2, "cpu", true, &node.cpu))
			return -1;
		if (substrate_add_node(graph, &node) < 0)
			return topo_error_at(reader->error, reader->name,
					     reader->line, 0, "",
					     "out of memory");
	}
	for (long j = 0; j < links; j++) {
		struct substrate_link link = { .kind = SUBSTRATE_LINK_ETHERNET };
		snprintf(link.id, sizeof(link.id), "%c%ld", link_prefix, j);
		long from, to;
		if (expect_line(reader, 4, "a link line",
				"from to bandwidth delay") ||
		    field_integer(reader, 0, "from", 0, nodes - 1, &from) ||
		    field_integer(reader, 1, "to", 0, nodes - 1, &to) ||
		    field_number(reader, 2, "bandwidth", true, &link.bandwidth) ||
		    field_number(reader, 3, "delay", true, &link.latency))
			return -1;
		if (from == to)
			return topo_error_at(reader->error, reader->name,
					     reader->line, 0, "to",
					     "a link from node %ld to itself",
					     from);
		int rc = substrate_add_link(
			graph, &link,
			(struct substrate_link_end){ (uint32_t)from, NULL },
			(struct substrate_link_end){ (uint32_t)to, NULL });
		if (rc < 0)
			return topo_error_at(reader->error, reader->name,
					     reader->line, 0, "",
					     "cannot add the link: %s",
					     strerror(-rc));
	}
	int rc = next_line(reader);
	if (rc < 0)
		return -1;
	if (rc > 0)
		return topo_error_at(reader->error, reader->name, reader->line, 0,
				     "",
				     "extra line: the header announced %ld "
				     "nodes and %ld links",
				     nodes, links);
	return 0;
}

/* Limits the header's counts by what the text could hold, so a lying
 * header cannot make us allocate for it. */
static long most_lines(const struct line_reader *reader)
{
	return (long)((reader->end - reader->text) / 2 + 1);
}

struct substrate *substrate_load_vineyard_string(const char *name,
						 const char *text,
						 size_t length,
						 struct load_error *error,
						 struct load_error *warning)
{
	struct line_reader reader = { .name = name, .text = text,
				      .end = text + length, .error = error };
	if (warning)
		memset(warning, 0, sizeof(*warning));
	long nodes, links;
	if (expect_line(&reader, 2, "the header", "nodes links") ||
	    field_integer(&reader, 0, "nodes", 1, INT32_MAX, &nodes) ||
	    field_integer(&reader, 1, "links", 0, INT32_MAX, &links))
		return NULL;
	if (nodes + links > most_lines(&reader)) {
		topo_error_at(error, name, 1, 0, "",
			      "the header announces %ld nodes and %ld links; "
			      "the file is too short for them",
			      nodes, links);
		return NULL;
	}
	struct substrate *substrate = substrate_create(name);
	if (!substrate) {
		topo_error_at(error, name, 0, 0, "", "out of memory");
		return NULL;
	}
	if (read_graph(&reader, substrate, nodes, links, 'n', 'l')) {
		substrate_free(substrate);
		return NULL;
	}
	if (topo_finalize_and_warn(substrate, name, warning)) {
		topo_error_at(error, name, 0, 0, "", "out of memory");
		substrate_free(substrate);
		return NULL;
	}
	return substrate;
}

struct substrate *substrate_load_vineyard(const char *path,
					  struct load_error *error,
					  struct load_error *warning)
{
	size_t length;
	char *text = topo_read_file(path, &length);
	if (!text) {
		if (warning)
			memset(warning, 0, sizeof(*warning));
		topo_error_at(error, path, 0, 0, "", "cannot open: %s",
			      strerror(errno));
		return NULL;
	}
	struct substrate *substrate = substrate_load_vineyard_string(
		path, text, length, error, warning);
	free(text);
	return substrate;
}

static void write_number(FILE *stream, double value, const char *after)
{
	char text[32];
	topo_format_double(text, sizeof(text), value);
	fputs(text, stream);
	fputs(after, stream);
}

static void write_graph(const struct substrate *graph, FILE *stream)
{
	for (uint32_t i = 0; i < graph->node_count; i++) {
		const struct substrate_node *node = &graph->nodes[i];
		write_number(stream, node->x, " ");
		write_number(stream, node->y, " ");
		write_number(stream, node->cpu, "\n");
	}
	for (uint32_t j = 0; j < graph->link_count; j++) {
		const struct substrate_link *link = &graph->links[j];
		fprintf(stream, "%u %u ", link->ends[0].node, link->ends[1].node);
		write_number(stream, link->bandwidth, " ");
		write_number(stream, link->latency, "\n");
	}
}

int substrate_write_vineyard(const struct substrate *substrate, FILE *stream)
{
	fprintf(stream, "%u %u\n", substrate->node_count, substrate->link_count);
	write_graph(substrate, stream);
	return ferror(stream) ? -EIO : 0;
}

int substrate_save_vineyard(const struct substrate *substrate,
			    const char *path)
{
	FILE *stream = fopen(path, "w");
	if (!stream)
		return -errno;
	int rc = substrate_write_vineyard(substrate, stream);
	if (fclose(stream) && !rc)
		rc = -errno;
	return rc;
}

/* ---- Requests ----------------------------------------------------------- */

int vineyard_request_load_string(const char *name, const char *text,
				 size_t length,
				 struct vineyard_request *request,
				 struct load_error *error)
{
	memset(request, 0, sizeof(*request));
	struct line_reader reader = { .name = name, .text = text,
				      .end = text + length, .error = error };
	long nodes, links, split, topology;
	if (expect_line(&reader, 7, "the header",
			"nodes links split arrival duration topology "
			"max_distance") ||
	    field_integer(&reader, 0, "nodes", 1, INT32_MAX, &nodes) ||
	    field_integer(&reader, 1, "links", 0, INT32_MAX, &links) ||
	    field_integer(&reader, 2, "split", 0, INT32_MAX, &split) ||
	    field_number(&reader, 3, "arrival", true, &request->arrival) ||
	    field_number(&reader, 4, "duration", true, &request->duration) ||
	    field_integer(&reader, 5, "topology", 0, INT32_MAX, &topology) ||
	    field_number(&reader, 6, "max_distance", true,
			 &request->max_distance))
		return -1;
	request->split = (int)split;
	request->topology = (int)topology;
	if (nodes + links > most_lines(&reader))
		return topo_error_at(error, name, 1, 0, "",
				     "the header announces %ld nodes and %ld "
				     "links; the file is too short for them",
				     nodes, links);
	request->graph = substrate_create(name);
	if (!request->graph)
		return topo_error_at(error, name, 0, 0, "", "out of memory");
	if (read_graph(&reader, request->graph, nodes, links, 'v', 'e')) {
		vineyard_request_free(request);
		return -1;
	}
	if (substrate_finalize(request->graph)) {
		vineyard_request_free(request);
		return topo_error_at(error, name, 0, 0, "", "out of memory");
	}
	return 0;
}

int vineyard_request_load(const char *path, struct vineyard_request *request,
			  struct load_error *error)
{
	size_t length;
	char *text = topo_read_file(path, &length);
	if (!text) {
		memset(request, 0, sizeof(*request));
		return topo_error_at(error, path, 0, 0, "", "cannot open: %s",
				     strerror(errno));
	}
	int rc = vineyard_request_load_string(path, text, length, request,
					      error);
	free(text);
	return rc;
}

int vineyard_request_write(const struct vineyard_request *request,
			   FILE *stream)
{
	fprintf(stream, "%u %u %d ", request->graph->node_count,
		request->graph->link_count, request->split);
	write_number(stream, request->arrival, " ");
	write_number(stream, request->duration, " ");
	fprintf(stream, "%d ", request->topology);
	write_number(stream, request->max_distance, "\n");
	write_graph(request->graph, stream);
	return ferror(stream) ? -EIO : 0;
}

void vineyard_request_free(struct vineyard_request *request)
{
	substrate_free(request->graph);
	request->graph = NULL;
}

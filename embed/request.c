/* Requests: the model, revenue, the ViNE-Yard request reader, and
 * substrate loading through topo. See embed.h. */
#include "embed_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

embed_amount embed_amount_from_double(double value)
{
	if (!isfinite(value) || value < 0 || value > 9e12)
		return -1;
	return (embed_amount)llround(value * EMBED_AMOUNT_SCALE);
}

int embed_error(struct load_error *error, const char *file, unsigned line,
		const char *field, const char *format, ...)
{
	if (!error)
		return -1;
	memset(error, 0, sizeof(*error));
	snprintf(error->file, sizeof(error->file), "%s", file ? file : "");
	error->line = line;
	snprintf(error->field, sizeof(error->field), "%s", field ? field : "");
	va_list args;
	va_start(args, format);
	vsnprintf(error->message, sizeof(error->message), format, args);
	va_end(args);
	return -1;
}

/* ---- Model ---------------------------------------------------------------- */

struct embed_request *embed_request_create(const char *name)
{
	struct embed_request *request = calloc(1, sizeof(*request));
	if (request && name)
		snprintf(request->name, sizeof(request->name), "%s", name);
	return request;
}

void embed_request_free(struct embed_request *request)
{
	if (!request)
		return;
	for (uint32_t i = 0; i < request->node_count; i++)
		free(request->nodes[i].allowed);
	for (uint32_t i = 0; i < request->link_count; i++)
		free(request->links[i].endpoints);
	free(request->nodes);
	free(request->links);
	free(request);
}

int embed_request_add_node(struct embed_request *request,
			   const struct embed_virtual_node *node)
{
	if (node->cpu < 0 || (node->has_position &&
			      (!isfinite(node->x) || !isfinite(node->y) ||
			       !(node->max_distance >= 0))))
		return -EINVAL;
	if (node->id[0] && embed_request_node_lookup(request, node->id) >= 0)
		return -EINVAL;
	if (request->node_count == request->node_capacity) {
		uint32_t capacity = request->node_capacity ?
					    request->node_capacity * 2 : 8;
		void *nodes = realloc(request->nodes,
				      capacity * sizeof(*request->nodes));
		if (!nodes)
			return -ENOMEM;
		request->nodes = nodes;
		request->node_capacity = capacity;
	}
	struct embed_virtual_node *copy = &request->nodes[request->node_count];
	*copy = *node;
	copy->allowed = NULL;
	if (node->allowed_count) {
		copy->allowed = malloc(node->allowed_count * sizeof(uint32_t));
		if (!copy->allowed)
			return -ENOMEM;
		memcpy(copy->allowed, node->allowed,
		       node->allowed_count * sizeof(uint32_t));
	}
	if (!copy->id[0])
		snprintf(copy->id, sizeof(copy->id), "v%u", request->node_count);
	return (int)request->node_count++;
}

int embed_request_add_link(struct embed_request *request,
			   const struct embed_virtual_link *link)
{
	if (link->endpoint_count < 2 || link->bandwidth < 0 ||
	    !(link->max_latency >= 0))
		return -EINVAL;
	for (uint32_t i = 0; i < link->endpoint_count; i++) {
		if (link->endpoints[i] >= request->node_count)
			return -EINVAL;
		for (uint32_t j = 0; j < i; j++)
			if (link->endpoints[i] == link->endpoints[j])
				return -EINVAL;
	}
	if (request->link_count == request->link_capacity) {
		uint32_t capacity = request->link_capacity ?
					    request->link_capacity * 2 : 16;
		void *links = realloc(request->links,
				      capacity * sizeof(*request->links));
		if (!links)
			return -ENOMEM;
		request->links = links;
		request->link_capacity = capacity;
	}
	struct embed_virtual_link *copy = &request->links[request->link_count];
	*copy = *link;
	copy->endpoints = malloc(link->endpoint_count * sizeof(uint32_t));
	if (!copy->endpoints)
		return -ENOMEM;
	memcpy(copy->endpoints, link->endpoints,
	       link->endpoint_count * sizeof(uint32_t));
	if (!copy->id[0])
		snprintf(copy->id, sizeof(copy->id), "e%u", request->link_count);
	return (int)request->link_count++;
}

int embed_request_node_lookup(const struct embed_request *request,
			      const char *id)
{
	for (uint32_t i = 0; i < request->node_count; i++)
		if (strcmp(request->nodes[i].id, id) == 0)
			return (int)i;
	return -1;
}

double embed_request_cpu_total(const struct embed_request *request)
{
	embed_amount total = 0;
	for (uint32_t i = 0; i < request->node_count; i++)
		total += request->nodes[i].cpu;
	return embed_amount_to_double(total);
}

double embed_request_bandwidth_total(const struct embed_request *request)
{
	embed_amount total = 0;
	for (uint32_t i = 0; i < request->link_count; i++)
		total += request->links[i].bandwidth *
			 (request->links[i].endpoint_count - 1);
	return embed_amount_to_double(total);
}

double embed_request_revenue(const struct embed_request *request)
{
	return embed_request_cpu_total(request) +
	       embed_request_bandwidth_total(request);
}

struct embed_request *embed_request_clone(const struct embed_request *request)
{
	struct embed_request *copy = embed_request_create(request->name);
	if (!copy)
		return NULL;
	copy->id = request->id;
	copy->arrival = request->arrival;
	copy->lifetime = request->lifetime;
	for (uint32_t i = 0; i < request->node_count; i++)
		if (embed_request_add_node(copy, &request->nodes[i]) < 0)
			goto fail;
	for (uint32_t i = 0; i < request->link_count; i++)
		if (embed_request_add_link(copy, &request->links[i]) < 0)
			goto fail;
	return copy;
fail:
	embed_request_free(copy);
	return NULL;
}

/* ---- Strict line-oriented text ------------------------------------------- */

/* Splits a line (in place) into at most `max` whitespace-separated fields.
 * Returns the count, or max + 1 when there are more. */
static unsigned split_fields(char *line, char **fields, unsigned max)
{
	unsigned count = 0;
	char *cursor = line;
	for (;;) {
		while (*cursor == ' ' || *cursor == '\t' || *cursor == '\r')
			cursor++;
		if (!*cursor)
			return count;
		if (count == max)
			return max + 1;
		fields[count++] = cursor;
		while (*cursor && *cursor != ' ' && *cursor != '\t' &&
		       *cursor != '\r')
			cursor++;
		if (*cursor)
			*cursor++ = '\0';
	}
}

bool embed_parse_double(const char *text, double *value)
{
	char *end;
	errno = 0;
	double parsed = strtod(text, &end);
	if (end == text || *end || errno == ERANGE || !isfinite(parsed))
		return false;
	*value = parsed;
	return true;
}

bool embed_parse_unsigned(const char *text, uint64_t maximum, uint64_t *value)
{
	if (*text < '0' || *text > '9')
		return false;
	char *end;
	errno = 0;
	unsigned long long parsed = strtoull(text, &end, 10);
	if (*end || errno == ERANGE || parsed > maximum)
		return false;
	*value = parsed;
	return true;
}

/* Iterates over the lines of a text buffer (copied, so fields can be cut in
 * place). Blank lines are skipped but counted for line numbers. */
struct text_lines {
	char *text;
	char *cursor;
	unsigned line;
};

static bool text_lines_init(struct text_lines *lines, const char *text,
			    size_t length)
{
	lines->text = malloc(length + 1);
	if (!lines->text)
		return false;
	memcpy(lines->text, text, length);
	lines->text[length] = '\0';
	lines->cursor = lines->text;
	lines->line = 0;
	return true;
}

/* The next non-blank line, or NULL at the end. (Texts with a NUL byte are
 * refused before this is used.) */
static char *text_lines_next(struct text_lines *lines)
{
	while (*lines->cursor) {
		char *start = lines->cursor;
		char *newline = strchr(start, '\n');
		if (newline) {
			*newline = '\0';
			lines->cursor = newline + 1;
		} else {
			lines->cursor = start + strlen(start);
		}
		lines->line++;
		const char *probe = start;
		while (*probe == ' ' || *probe == '\t' || *probe == '\r')
			probe++;
		if (*probe)
			return start;
	}
	return NULL;
}

/* (pair key, line) records, by key then line */
static int compare_pairs(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;
	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return (x[1] > y[1]) - (x[1] < y[1]);
}

#define VINEYARD_MAX_NODES 1000000u
#define VINEYARD_MAX_LINKS 10000000u

struct embed_request *embed_request_load_vineyard_string(
	const char *name, const char *text, size_t length,
	struct load_error *error)
{
	struct text_lines lines;
	if (memchr(text, 0, length)) {
		embed_error(error, name, 0, "", "NUL byte in the file");
		return NULL;
	}
	if (!text_lines_init(&lines, text, length)) {
		embed_error(error, name, 0, "", "out of memory");
		return NULL;
	}
	struct embed_request *request = embed_request_create(name);
	uint64_t *seen = NULL;
	char *fields[8];
	char *line = text_lines_next(&lines);
	if (!request)
		goto fail_memory;
	if (!line) {
		embed_error(error, name, 1, "header", "empty request file");
		goto fail;
	}
	if (split_fields(line, fields, 7) != 7) {
		embed_error(error, name, lines.line, "header",
			    "expected 7 fields: n m split arrival duration "
			    "topology max_distance");
		goto fail;
	}
	uint64_t node_count, link_count, split, topology;
	double arrival, duration, max_distance;
	if (!embed_parse_unsigned(fields[0], VINEYARD_MAX_NODES, &node_count) ||
	    !embed_parse_unsigned(fields[1], VINEYARD_MAX_LINKS, &link_count) ||
	    !embed_parse_unsigned(fields[2], 1000, &split) ||
	    !embed_parse_double(fields[3], &arrival) ||
	    !embed_parse_double(fields[4], &duration) ||
	    !embed_parse_unsigned(fields[5], 1000, &topology) ||
	    !embed_parse_double(fields[6], &max_distance)) {
		embed_error(error, name, lines.line, "header",
			    "a field is not a number of the expected kind "
			    "(n, m, split, topology: integers >= 0)");
		goto fail;
	}
	if (arrival < 0 || duration < 0 || max_distance < 0) {
		embed_error(error, name, lines.line, "header",
			    "arrival, duration and max_distance must be >= 0");
		goto fail;
	}
	if (node_count < 1) {
		embed_error(error, name, lines.line, "n",
			    "a request needs at least one node");
		goto fail;
	}
	request->arrival = arrival;
	request->lifetime = duration;
	for (uint32_t i = 0; i < node_count; i++) {
		line = text_lines_next(&lines);
		if (!line) {
			embed_error(error, name, lines.line + 1, "node",
				    "file ends after %u of %u node lines", i,
				    (unsigned)node_count);
			goto fail;
		}
		struct embed_virtual_node node = { 0 };
		double x, y, cpu;
		if (split_fields(line, fields, 3) != 3 ||
		    !embed_parse_double(fields[0], &x) ||
		    !embed_parse_double(fields[1], &y) ||
		    !embed_parse_double(fields[2], &cpu)) {
			embed_error(error, name, lines.line, "node",
				    "node %u: expected 'x y cpu', three numbers",
				    i);
			goto fail;
		}
		node.cpu = embed_amount_from_double(cpu);
		if (node.cpu < 0) {
			embed_error(error, name, lines.line, "cpu",
				    "node %u: CPU must be a number >= 0", i);
			goto fail;
		}
		node.x = x;
		node.y = y;
		if (max_distance > 0) {
			node.has_position = true;
			node.max_distance = max_distance;
		}
		if (embed_request_add_node(request, &node) < 0)
			goto fail_memory;
	}
	/* pair keys with their line, sorted at the end to find duplicates */
	seen = calloc(2 * link_count + 2, sizeof(uint64_t));
	if (!seen)
		goto fail_memory;
	for (uint32_t j = 0; j < link_count; j++) {
		line = text_lines_next(&lines);
		if (!line) {
			embed_error(error, name, lines.line + 1, "link",
				    "file ends after %u of %u link lines", j,
				    (unsigned)link_count);
			goto fail;
		}
		uint64_t from, to;
		double bandwidth, delay;
		if (split_fields(line, fields, 4) != 4 ||
		    !embed_parse_unsigned(fields[0], node_count - 1, &from) ||
		    !embed_parse_unsigned(fields[1], node_count - 1, &to) ||
		    !embed_parse_double(fields[2], &bandwidth) ||
		    !embed_parse_double(fields[3], &delay)) {
			embed_error(error, name, lines.line, "link",
				    "link %u: expected 'from to bandwidth delay' "
				    "with endpoints 0..%u",
				    j, (unsigned)node_count - 1);
			goto fail;
		}
		if (from == to) {
			embed_error(error, name, lines.line, "link",
				    "link %u: joins node %u to itself", j,
				    (unsigned)from);
			goto fail;
		}
		uint64_t low = from < to ? from : to, high = from < to ? to : from;
		seen[2 * j] = low << 32 | high;
		seen[2 * j + 1] = lines.line;
		uint32_t endpoints[2] = { (uint32_t)from, (uint32_t)to };
		struct embed_virtual_link link = {
			.endpoint_count = 2,
			.endpoints = endpoints,
			.bandwidth = embed_amount_from_double(bandwidth),
		};
		if (link.bandwidth < 0 || delay < 0) {
			embed_error(error, name, lines.line, "bandwidth",
				    "link %u: bandwidth and delay must be >= 0",
				    j);
			goto fail;
		}
		if (embed_request_add_link(request, &link) < 0)
			goto fail_memory;
	}
	if ((line = text_lines_next(&lines))) {
		embed_error(error, name, lines.line, "",
			    "unexpected line after the %u node and %u link "
			    "lines the header announces",
			    (unsigned)node_count, (unsigned)link_count);
		goto fail;
	}
	qsort(seen, link_count, 2 * sizeof(uint64_t), compare_pairs);
	for (uint32_t j = 1; j < link_count; j++) {
		if (seen[2 * j] != seen[2 * j - 2])
			continue;
		uint64_t later = seen[2 * j + 1] > seen[2 * j - 1] ?
					 seen[2 * j + 1] :
					 seen[2 * j - 1];
		embed_error(error, name, (unsigned)later, "link",
			    "duplicate link %u-%u", (unsigned)(seen[2 * j] >> 32),
			    (unsigned)(seen[2 * j] & 0xffffffffu));
		goto fail;
	}
	free(seen);
	free(lines.text);
	return request;
fail_memory:
	embed_error(error, name, lines.line, "", "out of memory");
fail:
	free(seen);
	free(lines.text);
	embed_request_free(request);
	return NULL;
}

char *embed_read_file(const char *path, size_t *length)
{
	FILE *file = fopen(path, "rb");
	if (!file)
		return NULL;
	size_t capacity = 4096, used = 0;
	char *data = malloc(capacity);
	while (data) {
		size_t got = fread(data + used, 1, capacity - used - 1, file);
		used += got;
		if (used < capacity - 1)
			break;
		capacity *= 2;
		char *grown = realloc(data, capacity);
		if (!grown)
			free(data);
		data = grown;
	}
	bool failed = ferror(file);
	fclose(file);
	if (!data || failed) {
		free(data);
		errno = failed ? EIO : ENOMEM;
		return NULL;
	}
	data[used] = '\0';
	*length = used;
	return data;
}

struct embed_request *embed_request_load_vineyard(const char *path,
						  struct load_error *error)
{
	size_t length;
	char *text = embed_read_file(path, &length);
	if (!text) {
		embed_error(error, path, 0, "", "cannot read: %s",
			    strerror(errno));
		return NULL;
	}
	struct embed_request *request =
		embed_request_load_vineyard_string(path, text, length, error);
	free(text);
	return request;
}

int embed_request_write_vineyard(const struct embed_request *request,
				 FILE *stream)
{
	double max_distance = 0;
	for (uint32_t i = 0; i < request->node_count; i++)
		if (request->nodes[i].has_position)
			max_distance = request->nodes[i].max_distance;
	fprintf(stream, "%u %u 0 %.17g %.17g 0 %.17g\n", request->node_count,
		request->link_count, request->arrival, request->lifetime,
		max_distance);
	for (uint32_t i = 0; i < request->node_count; i++)
		fprintf(stream, "%.17g %.17g %.17g\n", request->nodes[i].x,
			request->nodes[i].y,
			embed_amount_to_double(request->nodes[i].cpu));
	for (uint32_t i = 0; i < request->link_count; i++) {
		const struct embed_virtual_link *link = &request->links[i];
		if (link->endpoint_count != 2)
			return -EINVAL; /* LANs have no ViNE-Yard form */
		fprintf(stream, "%u %u %.17g 0\n", link->endpoints[0],
			link->endpoints[1],
			embed_amount_to_double(link->bandwidth));
	}
	return ferror(stream) ? -EIO : 0;
}

static bool ends_with(const char *text, const char *suffix)
{
	size_t a = strlen(text), b = strlen(suffix);
	return a >= b && strcmp(text + a - b, suffix) == 0;
}

struct substrate *embed_substrate_load(const char *path,
				       struct load_error *error)
{
	if (ends_with(path, ".yaml") || ends_with(path, ".yml"))
		return substrate_load_yaml(path, error, NULL);
	if (ends_with(path, ".graphml") || ends_with(path, ".xml")) {
		struct graphml_options options = {
			.seed = 1,
			.cpu_minimum = 50,
			.cpu_maximum = 100,
			.bandwidth_minimum = 50,
			.bandwidth_maximum = 100,
			.ignore_link_speed = true,
		};
		return substrate_load_graphml(path, &options, error, NULL);
	}
	return substrate_load_vineyard(path, error, NULL);
}

struct embed_request *embed_request_load(const char *path,
					 const struct substrate *substrate,
					 struct load_error *error)
{
	size_t length;
	char *text = embed_read_file(path, &length);
	if (!text) {
		embed_error(error, path, 0, "", "cannot read: %s",
			    strerror(errno));
		return NULL;
	}
	/* ViNE-Yard when the first non-blank line is seven numbers. */
	char first[512];
	const char *cursor = text;
	while (*cursor == '\n' || *cursor == '\r' || *cursor == ' ')
		cursor++;
	size_t n = strcspn(cursor, "\n");
	if (n >= sizeof(first))
		n = sizeof(first) - 1;
	memcpy(first, cursor, n);
	first[n] = '\0';
	char *fields[8];
	unsigned count = split_fields(first, fields, 7);
	bool numbers = count == 7;
	for (unsigned i = 0; numbers && i < count; i++) {
		double value;
		numbers = embed_parse_double(fields[i], &value);
	}
	struct embed_request *request =
		numbers ? embed_request_load_vineyard_string(path, text, length,
							     error)
			: embed_request_load_yaml_string(path, text, length,
							 substrate, error);
	free(text);
	return request;
}

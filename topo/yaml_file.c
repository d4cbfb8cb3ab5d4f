/* YAML documents with positions: see topo.h. */
#include "topo.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void load_error_format(const struct load_error *error, char *buf, size_t size)
{
	if (error->line)
		snprintf(buf, size, "%s:%u:%u: %s%s%s", error->file, error->line,
			 error->column, error->field,
			 error->field[0] ? ": " : "", error->message);
	else
		snprintf(buf, size, "%s: %s%s%s", error->file, error->field,
			 error->field[0] ? ": " : "", error->message);
}

int load_error_set(struct load_error *error, const char *file,
		   const yaml_node_t *node, const char *field,
		   const char *format, ...)
{
	if (!error)
		return -1;
	snprintf(error->file, sizeof(error->file), "%s", file ? file : "");
	error->line = node ? (unsigned)node->start_mark.line + 1 : 0;
	error->column = node ? (unsigned)node->start_mark.column + 1 : 0;
	snprintf(error->field, sizeof(error->field), "%s", field ? field : "");
	va_list args;
	va_start(args, format);
	vsnprintf(error->message, sizeof(error->message), format, args);
	va_end(args);
	return -1;
}

static int yaml_file_parse(struct yaml_file *file, yaml_parser_t *parser,
			   struct load_error *error)
{
	if (!yaml_parser_load(parser, &file->document)) {
		snprintf(error->file, sizeof(error->file), "%s", file->path);
		error->line = (unsigned)parser->problem_mark.line + 1;
		error->column = (unsigned)parser->problem_mark.column + 1;
		error->field[0] = '\0';
		snprintf(error->message, sizeof(error->message), "%s%s%s",
			 parser->problem ? parser->problem : "YAML syntax error",
			 parser->context ? " " : "",
			 parser->context ? parser->context : "");
		yaml_parser_delete(parser);
		return -1;
	}
	yaml_parser_delete(parser);
	file->loaded = true;
	yaml_node_t *root = yaml_document_get_root_node(&file->document);
	int rc = 0;
	if (!root)
		rc = load_error_set(error, file->path, NULL, "", "empty document");
	else if (root->type != YAML_MAPPING_NODE)
		rc = load_error_set(error, file->path, root, "",
				    "the top level must be a mapping");
	/* A failed load leaves nothing for the caller to free. */
	if (rc)
		yaml_file_free(file);
	return rc;
}

int yaml_file_load(struct yaml_file *file, const char *path,
		   struct load_error *error)
{
	memset(file, 0, sizeof(*file));
	snprintf(file->path, sizeof(file->path), "%s", path);
	FILE *stream = fopen(path, "rb");
	if (!stream)
		return load_error_set(error, path, NULL, "", "cannot open: %s",
				      strerror(errno));
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser)) {
		fclose(stream);
		return load_error_set(error, path, NULL, "", "out of memory");
	}
	yaml_parser_set_input_file(&parser, stream);
	int rc = yaml_file_parse(file, &parser, error);
	fclose(stream);
	return rc;
}

int yaml_file_load_string(struct yaml_file *file, const char *name,
			  const char *text, size_t length,
			  struct load_error *error)
{
	memset(file, 0, sizeof(*file));
	snprintf(file->path, sizeof(file->path), "%s", name);
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return load_error_set(error, name, NULL, "", "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
				     length);
	return yaml_file_parse(file, &parser, error);
}

void yaml_file_free(struct yaml_file *file)
{
	if (file->loaded)
		yaml_document_delete(&file->document);
	file->loaded = false;
}

yaml_node_t *yaml_file_root(struct yaml_file *file)
{
	return file->loaded ? yaml_document_get_root_node(&file->document)
			    : NULL;
}

const char *yaml_scalar(yaml_node_t *node)
{
	if (!node || node->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)node->data.scalar.value;
}

size_t yaml_sequence_length(yaml_node_t *sequence)
{
	if (!sequence || sequence->type != YAML_SEQUENCE_NODE)
		return 0;
	return (size_t)(sequence->data.sequence.items.top -
			sequence->data.sequence.items.start);
}

yaml_node_t *yaml_sequence_item(struct yaml_file *file, yaml_node_t *sequence,
				size_t index)
{
	if (index >= yaml_sequence_length(sequence))
		return NULL;
	return yaml_document_get_node(&file->document,
				      sequence->data.sequence.items.start[index]);
}

size_t yaml_mapping_length(yaml_node_t *mapping)
{
	if (!mapping || mapping->type != YAML_MAPPING_NODE)
		return 0;
	return (size_t)(mapping->data.mapping.pairs.top -
			mapping->data.mapping.pairs.start);
}

yaml_node_t *yaml_mapping_key_at(struct yaml_file *file, yaml_node_t *mapping,
				 size_t index)
{
	if (index >= yaml_mapping_length(mapping))
		return NULL;
	return yaml_document_get_node(
		&file->document, mapping->data.mapping.pairs.start[index].key);
}

yaml_node_t *yaml_mapping_value_at(struct yaml_file *file,
				   yaml_node_t *mapping, size_t index)
{
	if (index >= yaml_mapping_length(mapping))
		return NULL;
	return yaml_document_get_node(
		&file->document, mapping->data.mapping.pairs.start[index].value);
}

yaml_node_t *yaml_mapping_get(struct yaml_file *file, yaml_node_t *mapping,
			      const char *key)
{
	size_t count = yaml_mapping_length(mapping);
	for (size_t i = 0; i < count; i++) {
		const char *name = yaml_scalar(yaml_mapping_key_at(file, mapping, i));
		if (name && strcmp(name, key) == 0)
			return yaml_mapping_value_at(file, mapping, i);
	}
	return NULL;
}

int yaml_mapping_check_keys(struct yaml_file *file, yaml_node_t *mapping,
			    const char *const *allowed, const char *where,
			    struct load_error *error)
{
	if (!mapping || mapping->type != YAML_MAPPING_NODE)
		return load_error_set(error, file->path, mapping, where,
				      "expected a mapping");
	size_t count = yaml_mapping_length(mapping);
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *key = yaml_mapping_key_at(file, mapping, i);
		const char *name = yaml_scalar(key);
		if (!name)
			return load_error_set(error, file->path, key, where,
					      "keys must be plain scalars");
		bool known = false;
		for (const char *const *a = allowed; *a; a++)
			if (strcmp(*a, name) == 0)
				known = true;
		if (!known) {
			char expected[384] = "";
			for (const char *const *a = allowed; *a; a++) {
				strncat(expected, *a,
					sizeof(expected) - strlen(expected) - 3);
				if (a[1])
					strncat(expected, ", ",
						sizeof(expected) - strlen(expected) - 1);
			}
			return load_error_set(error, file->path, key, where,
					      "unknown key '%s' (expected one of: %s)",
					      name, expected);
		}
		/* Duplicate keys are a silent-override trap: refuse them. */
		for (size_t j = 0; j < i; j++) {
			const char *other = yaml_scalar(
				yaml_mapping_key_at(file, mapping, j));
			if (other && strcmp(other, name) == 0)
				return load_error_set(error, file->path, key,
						      where, "duplicate key '%s'",
						      name);
		}
	}
	return 0;
}

static int yaml_expect_scalar(struct yaml_file *file, yaml_node_t *node,
			      const char *field, struct load_error *error)
{
	if (!node)
		return load_error_set(error, file->path, NULL, field,
				      "missing value");
	if (node->type != YAML_SCALAR_NODE)
		return load_error_set(error, file->path, node, field,
				      "expected a single value, found a %s",
				      node->type == YAML_MAPPING_NODE ? "mapping"
								      : "list");
	return 0;
}

int yaml_read_string(struct yaml_file *file, yaml_node_t *node,
		     const char *field, char *out, size_t size,
		     struct load_error *error)
{
	if (yaml_expect_scalar(file, node, field, error))
		return -1;
	const char *text = yaml_scalar(node);
	if (strlen(text) >= size)
		return load_error_set(error, file->path, node, field,
				      "too long (at most %zu characters)",
				      size - 1);
	memcpy(out, text, strlen(text) + 1);
	return 0;
}

int yaml_read_u64(struct yaml_file *file, yaml_node_t *node, const char *field,
		  uint64_t min, uint64_t max, uint64_t *out,
		  struct load_error *error)
{
	if (yaml_expect_scalar(file, node, field, error))
		return -1;
	const char *text = yaml_scalar(node);
	char *end = NULL;
	errno = 0;
	if (text[0] == '-' || text[0] == '\0')
		goto bad;
	unsigned long long value = strtoull(text, &end, 0);
	if (errno || !end || *end != '\0')
		goto bad;
	if (value < min || value > max)
		return load_error_set(error, file->path, node, field,
				      "%llu is out of range [%" PRIu64 ", %" PRIu64 "]",
				      value, min, max);
	*out = value;
	return 0;
bad:
	return load_error_set(error, file->path, node, field,
			      "'%s' is not a non-negative integer", text);
}

int yaml_read_double(struct yaml_file *file, yaml_node_t *node,
		     const char *field, double min, double max, double *out,
		     struct load_error *error)
{
	if (yaml_expect_scalar(file, node, field, error))
		return -1;
	const char *text = yaml_scalar(node);
	char *end = NULL;
	errno = 0;
	double value = strtod(text, &end);
	if (errno || !end || end == text || *end != '\0' || !isfinite(value))
		return load_error_set(error, file->path, node, field,
				      "'%s' is not a number", text);
	if (value < min || value > max)
		return load_error_set(error, file->path, node, field,
				      "%g is out of range [%g, %g]", value, min,
				      max);
	*out = value;
	return 0;
}

int yaml_read_bool(struct yaml_file *file, yaml_node_t *node,
		   const char *field, bool *out, struct load_error *error)
{
	if (yaml_expect_scalar(file, node, field, error))
		return -1;
	const char *text = yaml_scalar(node);
	if (!strcasecmp(text, "true") || !strcasecmp(text, "yes") ||
	    !strcasecmp(text, "on")) {
		*out = true;
		return 0;
	}
	if (!strcasecmp(text, "false") || !strcasecmp(text, "no") ||
	    !strcasecmp(text, "off")) {
		*out = false;
		return 0;
	}
	return load_error_set(error, file->path, node, field,
			      "'%s' is not a boolean (true or false)", text);
}

/* switch_config's tree walker: reads a libyaml node or a jansson value
 * through one `struct source`, keeping the path of the value being read so
 * that an error names the same field ("ports[1].name") in the YAML file and
 * in a JSON `apply`. The loaders (switch_config.c) are written once against
 * these calls; see switch_config_private.h.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "switch_config_private.h"

/* ---- Source: YAML nodes or JSON values, with a path --------------------- */

static yaml_node_t *yaml_of(source_node node)
{
	return (yaml_node_t *)node;
}

static json_t *json_of(source_node node)
{
	return (json_t *)node;
}

static int source_verror(struct source *source, source_node node,
			 const char *format, va_list args)
{
	char message[512];
	vsnprintf(message, sizeof(message), format, args);
	return load_error_set(source->error, source->name,
			      source->kind == SOURCE_YAML ? yaml_of(node) : NULL,
			      source->path, "%s", message);
}

int source_error(struct source *source, source_node node,
		 const char *format, ...)
{
	va_list args;
	va_start(args, format);
	int rc = source_verror(source, node, format, args);
	va_end(args);
	return rc;
}

/* Path steps return the previous length; source_path_leave restores it.
 * A path too long for the buffer is cut, which only shortens error
 * messages. */
__attribute__((format(printf, 2, 3)))
static size_t path_enter(struct source *source, const char *format, ...)
{
	size_t mark = source->path_length;
	va_list args;
	va_start(args, format);
	vsnprintf(source->path + mark, sizeof(source->path) - mark, format,
		  args);
	va_end(args);
	source->path_length = strlen(source->path);
	return mark;
}

size_t source_path_key(struct source *source, const char *key)
{
	return path_enter(source, "%s%s", source->path_length ? "." : "", key);
}

size_t source_path_index(struct source *source, size_t index)
{
	return path_enter(source, "[%zu]", index);
}

void source_path_leave(struct source *source, size_t mark)
{
	source->path_length = mark;
	source->path[mark] = '\0';
}

const char *source_json_type(const json_t *json)
{
	switch (json_typeof(json)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		break;
	}
	return "null";
}

source_node source_get(struct source *source, source_node map,
		       const char *key)
{
	if (source->kind == SOURCE_YAML)
		return yaml_mapping_get(source->yaml, yaml_of(map), key);
	return json_object_get(json_of(map), key);
}

/* An error about the value of `key` in a mapping (at the mapping when the
 * key is absent), with the key on the path. */
int source_key_error(struct source *source, source_node map, const char *key,
		     const char *format, ...)
{
	source_node node = source_get(source, map, key);
	size_t mark = source_path_key(source, key);
	va_list args;
	va_start(args, format);
	source_verror(source, node ? node : map, format, args);
	va_end(args);
	source_path_leave(source, mark);
	return -1;
}

int source_check_keys(struct source *source, source_node map,
		      const char *const *allowed)
{
	if (source->kind == SOURCE_YAML)
		return yaml_mapping_check_keys(source->yaml, yaml_of(map),
					       allowed, source->path,
					       source->error);
	if (!json_is_object(json_of(map)))
		return source_error(source, map, "expected an object, found %s",
				    source_json_type(json_of(map)));
	const char *key;
	json_t *value;
	json_object_foreach(json_of(map), key, value) {
		bool known = false;
		for (const char *const *a = allowed; *a; a++)
			if (!strcmp(*a, key))
				known = true;
		if (known)
			continue;
		char expected[384] = "";
		for (const char *const *a = allowed; *a; a++) {
			strncat(expected, *a,
				sizeof(expected) - strlen(expected) - 3);
			if (a[1])
				strncat(expected, ", ",
					sizeof(expected) - strlen(expected) - 1);
		}
		return source_error(source, map,
				    "unknown key '%s' (expected one of: %s)",
				    key, expected);
	}
	return 0;
}

/* The items of a list, or -1 with an error when node is no list. */
int source_list(struct source *source, source_node node, size_t *count)
{
	if (source->kind == SOURCE_YAML) {
		if (yaml_of(node)->type != YAML_SEQUENCE_NODE)
			return source_error(source, node, "expected a list%s",
					    yaml_scalar(yaml_of(node)) &&
							    !yaml_scalar(yaml_of(node))[0]
						    ? " (use [] for none)"
						    : "");
		*count = yaml_sequence_length(yaml_of(node));
		return 0;
	}
	if (!json_is_array(json_of(node)))
		return source_error(source, node, "expected an array, found %s",
				    source_json_type(json_of(node)));
	*count = json_array_size(json_of(node));
	return 0;
}

source_node source_item(struct source *source, source_node list,
			size_t index)
{
	if (source->kind == SOURCE_YAML)
		return yaml_sequence_item(source->yaml, yaml_of(list), index);
	return json_array_get(json_of(list), index);
}

int source_string(struct source *source, source_node node, char *out,
		  size_t size)
{
	if (source->kind == SOURCE_YAML) {
		if (yaml_read_string(source->yaml, yaml_of(node), source->path,
				     out, size, source->error))
			return -1;
		/* "\0" in a quoted scalar would silently cut the text. */
		if (yaml_of(node)->data.scalar.length != strlen(out))
			return source_error(source, node,
					    "contains a NUL character");
		return 0;
	}
	const json_t *json = json_of(node);
	if (!json_is_string(json))
		return source_error(source, node, "expected a string, found %s",
				    source_json_type(json));
	size_t length = json_string_length(json);
	if (strlen(json_string_value(json)) != length)
		return source_error(source, node,
				    "contains a NUL character");
	if (length >= size)
		return source_error(source, node,
				    "too long (at most %zu characters)",
				    size - 1);
	memcpy(out, json_string_value(json), length + 1);
	return 0;
}

static int source_u64(struct source *source, source_node node, uint64_t min,
		      uint64_t max, uint64_t *out)
{
	if (source->kind == SOURCE_YAML)
		return yaml_read_u64(source->yaml, yaml_of(node), source->path,
				     min, max, out, source->error);
	const json_t *json = json_of(node);
	if (!json_is_integer(json))
		return source_error(source, node,
				    "expected a non-negative integer, found %s",
				    source_json_type(json));
	json_int_t value = json_integer_value(json);
	if (value < 0 || (uint64_t)value < min || (uint64_t)value > max)
		return source_error(source, node,
				    "%" JSON_INTEGER_FORMAT
				    " is out of range [%" PRIu64 ", %" PRIu64 "]",
				    value, min, max);
	*out = (uint64_t)value;
	return 0;
}

static int source_bool(struct source *source, source_node node, bool *out)
{
	if (source->kind == SOURCE_YAML)
		return yaml_read_bool(source->yaml, yaml_of(node), source->path,
				      out, source->error);
	const json_t *json = json_of(node);
	if (!json_is_boolean(json))
		return source_error(source, node,
				    "expected true or false, found %s",
				    source_json_type(json));
	*out = json_is_true(json);
	return 0;
}

/* ---- Field readers: key of a mapping, path kept ------------------------- */

/* The value of a required key, or NULL with an error at the mapping. */
source_node source_key_require(struct source *source, source_node map,
			       const char *key)
{
	source_node node = source_get(source, map, key);
	if (node)
		return node;
	source_key_error(source, map, key, "missing required key '%s'", key);
	return NULL;
}

int source_key_u64(struct source *source, source_node map,
		   const char *key, uint64_t min, uint64_t max,
		   uint64_t *out)
{
	source_node node = source_get(source, map, key);
	if (!node)
		return 0;
	size_t mark = source_path_key(source, key);
	int rc = source_u64(source, node, min, max, out);
	source_path_leave(source, mark);
	return rc;
}

int source_key_u32(struct source *source, source_node map,
		   const char *key, uint32_t min, uint32_t max,
		   uint32_t *out)
{
	uint64_t value = *out;
	if (source_key_u64(source, map, key, min, max, &value))
		return -1;
	*out = (uint32_t)value;
	return 0;
}

int source_key_u16(struct source *source, source_node map,
		   const char *key, uint16_t min, uint16_t max,
		   uint16_t *out)
{
	uint64_t value = *out;
	if (source_key_u64(source, map, key, min, max, &value))
		return -1;
	*out = (uint16_t)value;
	return 0;
}

int source_key_bool(struct source *source, source_node map,
		    const char *key, bool *out)
{
	source_node node = source_get(source, map, key);
	if (!node)
		return 0;
	size_t mark = source_path_key(source, key);
	int rc = source_bool(source, node, out);
	source_path_leave(source, mark);
	return rc;
}

/* A name: 1..SWITCH_NAME_MAX-1 characters of [A-Za-z0-9_.-], so that it can
 * go in file names, telemetry paths and shell commands unquoted. */
static int check_name(struct source *source, source_node node, const char *name)
{
	if (!name[0])
		return source_error(source, node, "a name cannot be empty");
	for (const char *c = name; *c; c++) {
		bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			  (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' ||
			  *c == '-';
		if (!ok)
			return source_error(source, node,
					    "'%s': character %zu (0x%02x) is not allowed "
					    "in a name (use A-Z a-z 0-9 _ . -)",
					    name, (size_t)(c - name) + 1,
					    (unsigned char)*c);
	}
	return 0;
}

/* Reads a string at `key`; `name` adds check_name; `required` makes a
 * missing key an error. Leaves out untouched when the key is absent. */
int source_key_string(struct source *source, source_node map,
		      const char *key, char *out, size_t size,
		      bool required, bool name)
{
	source_node node = required ? source_key_require(source, map, key)
				    : source_get(source, map, key);
	if (!node)
		return required ? -1 : 0;
	size_t mark = source_path_key(source, key);
	char *text = malloc(size);
	int rc = -1;
	if (!text)
		source_error(source, node, "out of memory");
	else if (!source_string(source, node, text, size) &&
		 (!name || !check_name(source, node, text))) {
		memcpy(out, text, strlen(text) + 1);
		rc = 0;
	}
	free(text);
	source_path_leave(source, mark);
	return rc;
}

/* Reads one of `choices` (NULL-ended) at `key` into *out (its index). */
int source_key_choice(struct source *source, source_node map,
		      const char *key, const char *what,
		      const char *const *choices, unsigned *out)
{
	source_node node = source_get(source, map, key);
	if (!node)
		return 0;
	size_t mark = source_path_key(source, key);
	char text[64];
	int rc = source_string(source, node, text, sizeof(text));
	if (!rc) {
		rc = -1;
		for (unsigned i = 0; choices[i]; i++)
			if (!strcmp(choices[i], text)) {
				*out = i;
				rc = 0;
			}
		if (rc)
			source_error(source, node,
				     "'%s' is not %s (expected %s or %s)",
				     text, what, choices[0], choices[1]);
	}
	source_path_leave(source, mark);
	return rc;
}

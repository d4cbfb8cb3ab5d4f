/* Private to switch_config's loaders (switch_config.c) and their tree
 * walker (switch_config_source.c).
 *
 * A `struct source` is one load in progress: the loader that starts it
 * (switch_config_load_*, switch_config_from_json) owns it on its stack, and
 * the walker's calls write its path and its error as they go down the tree.
 * Every call that fails has set the error (with the path, and the position
 * for YAML) and returns -1 or NULL; the loaders only pass that on.
 */
#ifndef LOOM_DATAPATH_SWITCH_CONFIG_PRIVATE_H
#define LOOM_DATAPATH_SWITCH_CONFIG_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "switch_config.h"

enum source_kind { SOURCE_YAML, SOURCE_JSON };

struct source {
	enum source_kind kind;
	const char *name; /* file name, or "apply" */
	struct yaml_file *yaml;
	struct load_error *error;
	char path[256];
	size_t path_length;
};

/* A node is a yaml_node_t * or a json_t *, after the source's kind. */
typedef const void *source_node;

/* ---- Nodes -------------------------------------------------------------- */

int source_error(struct source *source, source_node node,
		 const char *format, ...) __attribute__((format(printf, 3, 4)));

/* Path steps return the previous length; source_path_leave restores it. */
size_t source_path_key(struct source *source, const char *key);
size_t source_path_index(struct source *source, size_t index);
void source_path_leave(struct source *source, size_t mark);

/* "an object", "a string", ... for messages. */
const char *source_json_type(const json_t *json);

/* The value of `key` in a mapping, or NULL when absent. */
source_node source_get(struct source *source, source_node map,
		       const char *key);
/* Fails when the mapping has a key not in `allowed` (NULL-ended). */
int source_check_keys(struct source *source, source_node map,
		      const char *const *allowed);
/* The items of a list, or -1 with an error when node is no list. */
int source_list(struct source *source, source_node node, size_t *count);
source_node source_item(struct source *source, source_node list,
			size_t index);
int source_string(struct source *source, source_node node, char *out,
		  size_t size);

/* ---- Keys of a mapping: an absent key leaves *out untouched -------------- */

/* An error about the value of `key` in a mapping (at the mapping when the
 * key is absent), with the key on the path. */
int source_key_error(struct source *source, source_node map, const char *key,
		     const char *format, ...)
	__attribute__((format(printf, 4, 5)));
/* The value of a required key, or NULL with an error at the mapping. */
source_node source_key_require(struct source *source, source_node map,
			       const char *key);
int source_key_u64(struct source *source, source_node map, const char *key,
		   uint64_t min, uint64_t max, uint64_t *out);
int source_key_u32(struct source *source, source_node map, const char *key,
		   uint32_t min, uint32_t max, uint32_t *out);
int source_key_u16(struct source *source, source_node map, const char *key,
		   uint16_t min, uint16_t max, uint16_t *out);
int source_key_bool(struct source *source, source_node map, const char *key,
		    bool *out);
/* `name` checks a name (1..SWITCH_NAME_MAX-1 of [A-Za-z0-9_.-]);
 * `required` makes a missing key an error. */
int source_key_string(struct source *source, source_node map,
		      const char *key, char *out, size_t size, bool required,
		      bool name);
/* One of `choices` (NULL-ended) into *out (its index); `what` names the
 * kind of value in the error. */
int source_key_choice(struct source *source, source_node map,
		      const char *key, const char *what,
		      const char *const *choices, unsigned *out);

#endif

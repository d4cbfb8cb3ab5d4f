/* topo: the substrate the InP owns, as data.
 *
 * Plain C, no DPDK: the embedder, the control plane and the switch's
 * configuration loader all stand on it. This header is the library's face.
 *
 * Section 1: YAML documents with positions. Every YAML loader in Loom
 * (substrate files, loom-switch and loom-inp configuration) reads the file
 * into libyaml's document tree, whose nodes keep their line and column, so
 * every error can name file, line, column, field and why.
 */
#ifndef LOOM_TOPO_H
#define LOOM_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

/* ---- YAML with positions ------------------------------------------------ */

/* Where a problem is and what it is. Written by a loader, read by whoever
 * prints it. `line` and `column` are 1-based; 0 means "the whole file". */
struct load_error {
	char file[256];
	unsigned line;
	unsigned column;
	char field[128];
	char message[512];
};

/* "file:line:column: field: message" into buf. */
void load_error_format(const struct load_error *error, char *buf, size_t size);

/* Records an error at a node (node may be NULL for the file as a whole).
 * Always returns -1 so loaders can `return load_error_set(...)`. */
int load_error_set(struct load_error *error, const char *file,
		   const yaml_node_t *node, const char *field,
		   const char *format, ...) __attribute__((format(printf, 5, 6)));

/* One loaded YAML document. */
struct yaml_file {
	char path[256];
	yaml_document_t document;
	bool loaded;
};

/* Loads a file or a string (path names it in errors). A syntax error fills
 * error with libyaml's own position and reason. An empty document is an
 * error too: every Loom file has a top-level mapping. */
int yaml_file_load(struct yaml_file *file, const char *path,
		   struct load_error *error);
int yaml_file_load_string(struct yaml_file *file, const char *name,
			  const char *text, size_t length,
			  struct load_error *error);
void yaml_file_free(struct yaml_file *file);

yaml_node_t *yaml_file_root(struct yaml_file *file);

/* The value of `key` in a mapping, or NULL when absent or node is no
 * mapping. */
yaml_node_t *yaml_mapping_get(struct yaml_file *file, yaml_node_t *mapping,
			      const char *key);

/* Checks that every key of the mapping is one of `allowed` (NULL-ended):
 * a misspelt key is an error, never silently ignored. */
int yaml_mapping_check_keys(struct yaml_file *file, yaml_node_t *mapping,
			    const char *const *allowed, const char *where,
			    struct load_error *error);

/* Typed scalar readers. Each fails with a positioned error naming `field`
 * when the node is missing (if required), not a scalar, or out of range. */
int yaml_read_string(struct yaml_file *file, yaml_node_t *node,
		     const char *field, char *out, size_t size,
		     struct load_error *error);
int yaml_read_u64(struct yaml_file *file, yaml_node_t *node, const char *field,
		  uint64_t min, uint64_t max, uint64_t *out,
		  struct load_error *error);
int yaml_read_double(struct yaml_file *file, yaml_node_t *node,
		     const char *field, double min, double max, double *out,
		     struct load_error *error);
int yaml_read_bool(struct yaml_file *file, yaml_node_t *node,
		   const char *field, bool *out, struct load_error *error);

/* Iteration helpers for sequences and mappings. */
size_t yaml_sequence_length(yaml_node_t *sequence);
yaml_node_t *yaml_sequence_item(struct yaml_file *file, yaml_node_t *sequence,
				size_t index);
size_t yaml_mapping_length(yaml_node_t *mapping);
yaml_node_t *yaml_mapping_key_at(struct yaml_file *file, yaml_node_t *mapping,
				 size_t index);
yaml_node_t *yaml_mapping_value_at(struct yaml_file *file,
				   yaml_node_t *mapping, size_t index);
/* The scalar text of a node, or NULL if it is not a scalar. */
const char *yaml_scalar(yaml_node_t *node);

/* ---- Substrate model (see the sections below) ---------------------------- */

#endif

/* The YAML (and JSON) request format, with positioned errors through topo's
 * YAML helpers. The format is documented in embed.h. */
#include "embed_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct request_load {
	struct yaml_file *file;
	const struct substrate *substrate;
	struct embed_request *request;
	struct load_error *error;
};

static int read_amount(struct request_load *load, yaml_node_t *node,
		       const char *field, embed_amount *out)
{
	double value;
	if (!node)
		return load_error_set(load->error, load->file->path, NULL,
				      field, "missing value");
	if (yaml_read_double(load->file, node, field, 0, 9e12, &value,
			     load->error))
		return -1;
	*out = embed_amount_from_double(value);
	return 0;
}

static int load_node(struct request_load *load, yaml_node_t *item,
		     uint32_t index)
{
	struct yaml_file *file = load->file;
	static const char *const keys[] = { "id", "cpu", "allowed", "site",
					    "position", NULL };
	if (item->type != YAML_MAPPING_NODE)
		return load_error_set(load->error, file->path, item, "nodes",
				      "node %u: expected a mapping", index);
	if (yaml_mapping_check_keys(file, item, keys, "node", load->error))
		return -1;
	struct embed_virtual_node node = { 0 };
	yaml_node_t *id = yaml_mapping_get(file, item, "id");
	if (!id)
		return load_error_set(load->error, file->path, item, "id",
				      "node %u: missing id", index);
	if (yaml_read_string(file, id, "id", node.id, sizeof(node.id),
			     load->error))
		return -1;
	if (!node.id[0] || embed_request_node_lookup(load->request, node.id) >= 0)
		return load_error_set(load->error, file->path, id, "id",
				      "node id '%s' is empty or used twice",
				      node.id);
	if (read_amount(load, yaml_mapping_get(file, item, "cpu"), "cpu",
			&node.cpu))
		return -1;
	yaml_node_t *site = yaml_mapping_get(file, item, "site");
	if (site && yaml_read_string(file, site, "site", node.site,
				     sizeof(node.site), load->error))
		return -1;
	yaml_node_t *position = yaml_mapping_get(file, item, "position");
	if (position) {
		static const char *const position_keys[] = { "x", "y",
							     "max_distance",
							     NULL };
		if (position->type != YAML_MAPPING_NODE)
			return load_error_set(load->error, file->path, position,
					      "position",
					      "expected {x:, y:, max_distance:}");
		if (yaml_mapping_check_keys(file, position, position_keys,
					    "position", load->error))
			return -1;
		yaml_node_t *x = yaml_mapping_get(file, position, "x");
		yaml_node_t *y = yaml_mapping_get(file, position, "y");
		yaml_node_t *distance =
			yaml_mapping_get(file, position, "max_distance");
		if (!x || !y || !distance)
			return load_error_set(load->error, file->path, position,
					      "position",
					      "x, y and max_distance are all "
					      "required");
		if (yaml_read_double(file, x, "position.x", -HUGE_VAL, HUGE_VAL,
				     &node.x, load->error) ||
		    yaml_read_double(file, y, "position.y", -HUGE_VAL, HUGE_VAL,
				     &node.y, load->error) ||
		    yaml_read_double(file, distance, "position.max_distance", 0,
				     HUGE_VAL, &node.max_distance, load->error))
			return -1;
		node.has_position = true;
	}
	yaml_node_t *allowed = yaml_mapping_get(file, item, "allowed");
	uint32_t *indices = NULL;
	if (allowed) {
		if (allowed->type != YAML_SEQUENCE_NODE ||
		    yaml_sequence_length(allowed) == 0)
			return load_error_set(load->error, file->path, allowed,
					      "allowed",
					      "expected a non-empty list of "
					      "substrate node ids");
		if (!load->substrate)
			return load_error_set(load->error, file->path, allowed,
					      "allowed",
					      "no substrate to resolve node ids "
					      "against");
		size_t count = yaml_sequence_length(allowed);
		indices = malloc(count * sizeof(*indices));
		if (!indices)
			return load_error_set(load->error, file->path, allowed,
					      "allowed", "out of memory");
		for (size_t i = 0; i < count; i++) {
			yaml_node_t *entry = yaml_sequence_item(file, allowed, i);
			const char *text = yaml_scalar(entry);
			int found = text ? substrate_node_lookup(load->substrate,
								 text)
					 : -1;
			if (found < 0) {
				free(indices);
				return load_error_set(load->error, file->path,
						      entry, "allowed",
						      "unknown substrate node "
						      "'%s'",
						      text ? text : "?");
			}
			indices[i] = (uint32_t)found;
		}
		node.allowed = indices;
		node.allowed_count = (uint32_t)count;
	}
	int added = embed_request_add_node(load->request, &node);
	free(indices);
	if (added < 0)
		return load_error_set(load->error, file->path, item, "node",
				      "node '%s' rejected (%s)", node.id,
				      strerror(-added));
	return 0;
}

static int load_link(struct request_load *load, yaml_node_t *item,
		     uint32_t index)
{
	struct yaml_file *file = load->file;
	static const char *const keys[] = { "id", "endpoints", "bandwidth",
					    "latency", NULL };
	if (item->type != YAML_MAPPING_NODE)
		return load_error_set(load->error, file->path, item, "links",
				      "link %u: expected a mapping", index);
	if (yaml_mapping_check_keys(file, item, keys, "link", load->error))
		return -1;
	struct embed_virtual_link link = { 0 };
	yaml_node_t *id = yaml_mapping_get(file, item, "id");
	if (id && yaml_read_string(file, id, "id", link.id, sizeof(link.id),
				   load->error))
		return -1;
	if (read_amount(load, yaml_mapping_get(file, item, "bandwidth"),
			"bandwidth", &link.bandwidth))
		return -1;
	yaml_node_t *latency = yaml_mapping_get(file, item, "latency");
	if (latency && yaml_read_double(file, latency, "latency", 0, HUGE_VAL,
					&link.max_latency, load->error))
		return -1;
	yaml_node_t *endpoints = yaml_mapping_get(file, item, "endpoints");
	if (!endpoints || endpoints->type != YAML_SEQUENCE_NODE ||
	    yaml_sequence_length(endpoints) < 2)
		return load_error_set(load->error, file->path,
				      endpoints ? endpoints : item, "endpoints",
				      "link %u: expected a list of at least two "
				      "node ids",
				      index);
	size_t count = yaml_sequence_length(endpoints);
	uint32_t *indices = malloc(count * sizeof(*indices));
	if (!indices)
		return load_error_set(load->error, file->path, item, "endpoints",
				      "out of memory");
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *entry = yaml_sequence_item(file, endpoints, i);
		const char *text = yaml_scalar(entry);
		int found = text ? embed_request_node_lookup(load->request, text)
				 : -1;
		bool repeated = false;
		for (size_t j = 0; j < i && found >= 0; j++)
			repeated |= indices[j] == (uint32_t)found;
		if (found < 0 || repeated) {
			free(indices);
			return load_error_set(load->error, file->path, entry,
					      "endpoints",
					      found < 0 ? "unknown node '%s'"
							: "node '%s' named twice",
					      text ? text : "?");
		}
		indices[i] = (uint32_t)found;
	}
	link.endpoints = indices;
	link.endpoint_count = (uint32_t)count;
	int added = embed_request_add_link(load->request, &link);
	free(indices);
	if (added < 0)
		return load_error_set(load->error, file->path, item, "link",
				      "link %u rejected (%s)", index,
				      strerror(-added));
	return 0;
}

static struct embed_request *load_document(struct yaml_file *file,
					   const struct substrate *substrate,
					   struct load_error *error)
{
	struct request_load load = {
		.file = file,
		.substrate = substrate,
		.error = error,
	};
	yaml_node_t *root = yaml_file_root(file);
	static const char *const keys[] = { "name", "arrival", "lifetime",
					    "nodes", "links", NULL };
	if (!root || root->type != YAML_MAPPING_NODE) {
		load_error_set(error, file->path, root, "",
			       "expected a mapping with nodes and links");
		return NULL;
	}
	if (yaml_mapping_check_keys(file, root, keys, "request", error))
		return NULL;
	load.request = embed_request_create(NULL);
	if (!load.request) {
		load_error_set(error, file->path, root, "", "out of memory");
		return NULL;
	}
	yaml_node_t *name = yaml_mapping_get(file, root, "name");
	yaml_node_t *arrival = yaml_mapping_get(file, root, "arrival");
	yaml_node_t *lifetime = yaml_mapping_get(file, root, "lifetime");
	yaml_node_t *nodes = yaml_mapping_get(file, root, "nodes");
	yaml_node_t *links = yaml_mapping_get(file, root, "links");
	if ((name && yaml_read_string(file, name, "name", load.request->name,
				      sizeof(load.request->name), error)) ||
	    (arrival && yaml_read_double(file, arrival, "arrival", 0, HUGE_VAL,
					 &load.request->arrival, error)) ||
	    (lifetime && yaml_read_double(file, lifetime, "lifetime", 0,
					  HUGE_VAL, &load.request->lifetime,
					  error)))
		goto fail;
	if (!nodes || nodes->type != YAML_SEQUENCE_NODE ||
	    yaml_sequence_length(nodes) == 0) {
		load_error_set(error, file->path, nodes ? nodes : root, "nodes",
			       "expected a non-empty list of nodes");
		goto fail;
	}
	for (size_t i = 0; i < yaml_sequence_length(nodes); i++)
		if (load_node(&load, yaml_sequence_item(file, nodes, i),
			      (uint32_t)i))
			goto fail;
	if (links && links->type != YAML_SEQUENCE_NODE) {
		load_error_set(error, file->path, links, "links",
			       "expected a list of links");
		goto fail;
	}
	for (size_t i = 0; links && i < yaml_sequence_length(links); i++)
		if (load_link(&load, yaml_sequence_item(file, links, i),
			      (uint32_t)i))
			goto fail;
	return load.request;
fail:
	embed_request_free(load.request);
	return NULL;
}

struct embed_request *embed_request_load_yaml_string(
	const char *name, const char *text, size_t length,
	const struct substrate *substrate, struct load_error *error)
{
	struct yaml_file file;
	if (yaml_file_load_string(&file, name, text, length, error))
		return NULL;
	struct embed_request *request = load_document(&file, substrate, error);
	yaml_file_free(&file);
	return request;
}

struct embed_request *embed_request_load_yaml(const char *path,
					      const struct substrate *substrate,
					      struct load_error *error)
{
	struct yaml_file file;
	if (yaml_file_load(&file, path, error))
		return NULL;
	struct embed_request *request = load_document(&file, substrate, error);
	yaml_file_free(&file);
	return request;
}

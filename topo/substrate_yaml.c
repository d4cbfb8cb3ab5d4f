/* The YAML substrate format: loader and writer. The format is documented
 * in topo.h and topo/examples/substrate.yaml. Every error is positioned at
 * the YAML node it is about. */
#include "topo_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where each node and link was defined, to point at the first definition
 * when an id comes twice. */
struct yaml_substrate_load {
	struct yaml_file *file;
	struct substrate *substrate;
	struct load_error *error;
	unsigned *node_lines;
	unsigned *link_lines;
};

static const char *path_of(struct yaml_substrate_load *load)
{
	return load->file->path;
}

/* A number, optionally followed by a unit suffix from `units` (NULL-ended
 * pairs of suffix and factor). */
struct unit {
	const char *suffix;
	double factor;
};

static const struct unit bandwidth_units[] = {
	{ "", 1 },           { "k", 1e-3 },        { "K", 1e-3 },
	{ "M", 1 },          { "G", 1e3 },         { "T", 1e6 },
	{ "kbit/s", 1e-3 },  { "Mbit/s", 1 },      { "Gbit/s", 1e3 },
	{ "Tbit/s", 1e6 },   { "kbps", 1e-3 },     { "Mbps", 1 },
	{ "Gbps", 1e3 },     { "Tbps", 1e6 },      { NULL, 0 },
};

static const struct unit plain_units[] = { { "", 1 }, { NULL, 0 } };

static const struct unit latency_units[] = {
	{ "", 1 }, { "ms", 1 }, { "us", 1e-3 }, { "s", 1e3 }, { NULL, 0 },
};

/* Reads a capacity-like value: a number with an optional unit, >= 0. */
static int read_quantity(struct yaml_substrate_load *load, yaml_node_t *node,
			 const char *field, const struct unit *units,
			 const char *unit_help, double *out)
{
	if (!node)
		return load_error_set(load->error, path_of(load), NULL, field,
				      "missing value");
	const char *text = yaml_scalar(node);
	if (!text)
		return load_error_set(load->error, path_of(load), node, field,
				      "expected a single value");
	char *end = NULL;
	errno = 0;
	double value = strtod(text, &end);
	if (end == text || errno || !isfinite(value))
		return load_error_set(load->error, path_of(load), node, field,
				      "'%s' is not a number%s", text, unit_help);
	while (*end == ' ')
		end++;
	const struct unit *unit = units;
	while (unit->suffix && strcmp(unit->suffix, end) != 0)
		unit++;
	if (!unit->suffix)
		return load_error_set(load->error, path_of(load), node, field,
				      "unknown unit '%s'%s", end, unit_help);
	if (value < 0)
		return load_error_set(load->error, path_of(load), node, field,
				      "negative capacity %s", text);
	*out = value * unit->factor;
	return 0;
}

/* "first-last" or a single number, within [minimum, maximum]. */
static int read_range(struct yaml_substrate_load *load, yaml_node_t *node,
		      const char *field, uint32_t minimum, uint32_t maximum,
		      struct tag_range *range)
{
	const char *text = yaml_scalar(node);
	if (!text)
		return load_error_set(load->error, path_of(load), node, field,
				      "expected a range like 100-199");
	unsigned long first, last;
	char tail;
	int fields = sscanf(text, "%lu - %lu %c", &first, &last, &tail);
	if (fields == 1 && sscanf(text, "%lu %c", &first, &tail) == 1)
		last = first;
	else if (fields != 2)
		return load_error_set(load->error, path_of(load), node, field,
				      "'%s' is not a range like 100-199", text);
	if (text[0] == '-' || strchr(text, '+'))
		return load_error_set(load->error, path_of(load), node, field,
				      "'%s' is not a range like 100-199", text);
	if (first > last)
		return load_error_set(load->error, path_of(load), node, field,
				      "range %lu-%lu is empty (first > last)",
				      first, last);
	if (first < minimum || last > maximum)
		return load_error_set(load->error, path_of(load), node, field,
				      "range %lu-%lu is outside %u-%u", first,
				      last, minimum, maximum);
	range->first = (uint32_t)first;
	range->last = (uint32_t)last;
	return 0;
}

static int load_position(struct yaml_substrate_load *load, yaml_node_t *node,
			 struct substrate_node *out)
{
	struct yaml_file *file = load->file;
	static const char *const keys[] = { "x", "y", "latitude", "longitude",
					    NULL };
	if (yaml_mapping_check_keys(file, node, keys, "position", load->error))
		return -1;
	yaml_node_t *x = yaml_mapping_get(file, node, "x");
	yaml_node_t *y = yaml_mapping_get(file, node, "y");
	yaml_node_t *latitude = yaml_mapping_get(file, node, "latitude");
	yaml_node_t *longitude = yaml_mapping_get(file, node, "longitude");
	if ((x || y) && (latitude || longitude))
		return load_error_set(load->error, path_of(load), node,
				      "position",
				      "give either x and y or latitude and "
				      "longitude, not both");
	if (x || y) {
		out->position_kind = SUBSTRATE_POSITION_PLANE;
		if (!x || !y)
			return load_error_set(load->error, path_of(load), node,
					      "position", "x and y go together");
		return yaml_read_double(file, x, "position.x", -HUGE_VAL,
					HUGE_VAL, &out->x, load->error) ||
		       yaml_read_double(file, y, "position.y", -HUGE_VAL,
					HUGE_VAL, &out->y, load->error)
			       ? -1
			       : 0;
	}
	out->position_kind = SUBSTRATE_POSITION_GEOGRAPHIC;
	if (!latitude || !longitude)
		return load_error_set(load->error, path_of(load), node,
				      "position",
				      "needs x and y, or latitude and longitude");
	if (yaml_read_double(file, latitude, "position.latitude", -90, 90,
			     &out->y, load->error) ||
	    yaml_read_double(file, longitude, "position.longitude", -180, 180,
			     &out->x, load->error))
		return -1;
	return 0;
}

static int load_node(struct yaml_substrate_load *load, yaml_node_t *item)
{
	struct yaml_file *file = load->file;
	static const char *const keys[] = { "id",      "cpu",     "memory",
					    "site",    "position", "control",
					    "ports",   NULL };
	if (yaml_mapping_check_keys(file, item, keys, "nodes[]", load->error))
		return -1;
	struct substrate_node node = { 0 };
	yaml_node_t *id = yaml_mapping_get(file, item, "id");
	if (!id)
		return load_error_set(load->error, path_of(load), item, "id",
				      "a node needs an id");
	if (yaml_read_string(file, id, "id", node.id, sizeof(node.id),
			     load->error))
		return -1;
	if (!node.id[0])
		return load_error_set(load->error, path_of(load), id, "id",
				      "empty id");
	int first = substrate_node_lookup(load->substrate, node.id);
	if (first >= 0)
		return load_error_set(load->error, path_of(load), id, "id",
				      "duplicate node id '%s' (first at line %u)",
				      node.id, load->node_lines[first]);
	yaml_node_t *cpu = yaml_mapping_get(file, item, "cpu");
	if (!cpu)
		return load_error_set(load->error, path_of(load), item, "cpu",
				      "node '%s' needs a cpu capacity", node.id);
	if (read_quantity(load, cpu, "cpu", plain_units, "", &node.cpu))
		return -1;
	yaml_node_t *memory = yaml_mapping_get(file, item, "memory");
	if (memory) {
		static const struct unit memory_units[] = {
			{ "", 1 }, { "MiB", 1 }, { "GiB", 1024 }, { NULL, 0 }
		};
		if (read_quantity(load, memory, "memory", memory_units,
				  " (MiB, or with MiB or GiB)", &node.memory))
			return -1;
		node.has_memory = true;
	}
	yaml_node_t *site = yaml_mapping_get(file, item, "site");
	if (site && yaml_read_string(file, site, "site", node.site,
				     sizeof(node.site), load->error))
		return -1;
	yaml_node_t *control = yaml_mapping_get(file, item, "control");
	if (control && yaml_read_string(file, control, "control", node.control,
					sizeof(node.control), load->error))
		return -1;
	yaml_node_t *position = yaml_mapping_get(file, item, "position");
	if (position && load_position(load, position, &node))
		return -1;

	int index = substrate_add_node(load->substrate, &node);
	if (index < 0)
		return load_error_set(load->error, path_of(load), item, "nodes[]",
				      "cannot add node '%s': %s", node.id,
				      strerror(-index));
	load->node_lines[index] = id->start_mark.line + 1;

	yaml_node_t *ports = yaml_mapping_get(file, item, "ports");
	if (!ports)
		return 0;
	if (ports->type != YAML_SEQUENCE_NODE)
		return load_error_set(load->error, path_of(load), ports, "ports",
				      "expected a list of port names");
	for (size_t i = 0; i < yaml_sequence_length(ports); i++) {
		yaml_node_t *port = yaml_sequence_item(file, ports, i);
		char name[SUBSTRATE_PORT_NAME_SIZE];
		if (yaml_read_string(file, port, "ports[]", name, sizeof(name),
				     load->error))
			return -1;
		int rc = substrate_add_port(load->substrate, (uint32_t)index,
					    name);
		if (rc == -EEXIST)
			return load_error_set(load->error, path_of(load), port,
					      "ports[]",
					      "duplicate port '%s' on node '%s'",
					      name, node.id);
		if (rc < 0)
			return load_error_set(load->error, path_of(load), port,
					      "ports[]", "bad port name '%s'",
					      name);
	}
	return 0;
}

/* "node:port" (split at the last colon) or "node" (a new port). */
static int read_endpoint(struct yaml_substrate_load *load, yaml_node_t *node,
			 const char *field, uint32_t *node_index,
			 char *port, size_t port_size)
{
	char text[SUBSTRATE_ID_SIZE + SUBSTRATE_PORT_NAME_SIZE + 1];
	if (!node)
		return load_error_set(load->error, path_of(load), NULL, field,
				      "a link needs endpoints a and b");
	if (yaml_read_string(load->file, node, field, text, sizeof(text),
			     load->error))
		return -1;
	/* Split at the last colon (port names hold none) when that names a
	 * node and one of its ports; else the whole text may be a node id
	 * holding colons, with a new port. */
	char *colon = strrchr(text, ':');
	if (colon) {
		*colon = '\0';
		int split_node = substrate_node_lookup(load->substrate, text);
		bool split_fits = split_node >= 0 &&
				  substrate_port_lookup(load->substrate,
							(uint32_t)split_node,
							colon + 1) >= 0;
		*colon = ':';
		if (!split_fits && substrate_node_lookup(load->substrate, text) >= 0)
			colon = NULL;
	}
	port[0] = '\0';
	if (colon) {
		*colon = '\0';
		snprintf(port, port_size, "%s", colon + 1);
		if (!port[0])
			return load_error_set(load->error, path_of(load), node,
					      field, "empty port name in '%s:'",
					      text);
	}
	int index = substrate_node_lookup(load->substrate, text);
	if (index < 0)
		return load_error_set(load->error, path_of(load), node, field,
				      "dangling endpoint: there is no node '%s'",
				      text);
	if (port[0] &&
	    substrate_port_lookup(load->substrate, (uint32_t)index, port) < 0)
		return load_error_set(load->error, path_of(load), node, field,
				      "dangling endpoint: node '%s' has no port "
				      "'%s'",
				      text, port);
	*node_index = (uint32_t)index;
	return 0;
}

/* The link already on (node, port) whose tags overlap: for the message. */
static const struct substrate_link *
find_overlap(const struct substrate *substrate, uint32_t node, const char *port,
	     enum substrate_link_kind kind, struct tag_range tags)
{
	int port_index = substrate_port_lookup(substrate, node, port);
	for (uint32_t l = 0; port_index >= 0 && l < substrate->link_count; l++) {
		const struct substrate_link *link = &substrate->links[l];
		for (int e = 0; e < 2; e++)
			if (link->ends[e].node == node &&
			    link->ends[e].port == (uint32_t)port_index &&
			    link->kind == kind && link->tags.first <= tags.last &&
			    tags.first <= link->tags.last)
				return link;
	}
	return NULL;
}

static int load_link(struct yaml_substrate_load *load, yaml_node_t *item)
{
	struct yaml_file *file = load->file;
	static const char *const keys[] = { "id",      "a",     "b",
					    "bandwidth", "latency", "kind",
					    "vlans",   "vnis",  NULL };
	if (yaml_mapping_check_keys(file, item, keys, "links[]", load->error))
		return -1;
	struct substrate_link link = { 0 };
	yaml_node_t *id = yaml_mapping_get(file, item, "id");
	if (id) {
		if (yaml_read_string(file, id, "id", link.id, sizeof(link.id),
				     load->error))
			return -1;
		if (!link.id[0])
			return load_error_set(load->error, path_of(load), id,
					      "id", "empty id");
		int first = substrate_link_lookup(load->substrate, link.id);
		if (first >= 0)
			return load_error_set(load->error, path_of(load), id,
					      "id",
					      "duplicate link id '%s' (first at "
					      "line %u)",
					      link.id, load->link_lines[first]);
	}
	uint32_t ends[2];
	char ports[2][SUBSTRATE_PORT_NAME_SIZE];
	yaml_node_t *a = yaml_mapping_get(file, item, "a");
	yaml_node_t *b = yaml_mapping_get(file, item, "b");
	if (!a || !b)
		return load_error_set(load->error, path_of(load), item,
				      a ? "b" : "a",
				      "a link needs endpoints a and b");
	if (read_endpoint(load, a, "a", &ends[0], ports[0], sizeof(ports[0])) ||
	    read_endpoint(load, b, "b", &ends[1], ports[1], sizeof(ports[1])))
		return -1;
	if (ends[0] == ends[1])
		return load_error_set(load->error, path_of(load), b, "b",
				      "both ends on node '%s': a link joins two "
				      "nodes",
				      load->substrate->nodes[ends[0]].id);
	yaml_node_t *bandwidth = yaml_mapping_get(file, item, "bandwidth");
	if (!bandwidth)
		return load_error_set(load->error, path_of(load), item,
				      "bandwidth", "a link needs a bandwidth");
	if (read_quantity(load, bandwidth, "bandwidth", bandwidth_units,
			  " (Mbit/s, or with a unit k M G T)", &link.bandwidth))
		return -1;
	yaml_node_t *latency = yaml_mapping_get(file, item, "latency");
	if (latency && read_quantity(load, latency, "latency", latency_units,
				     " (ms, or with a unit us ms s)",
				     &link.latency))
		return -1;
	yaml_node_t *kind = yaml_mapping_get(file, item, "kind");
	if (kind) {
		const char *text = yaml_scalar(kind);
		if (!text || substrate_link_kind_parse(text, &link.kind))
			return load_error_set(load->error, path_of(load), kind,
					      "kind",
					      "'%s' is not a link kind (ethernet "
					      "or ip)",
					      text ? text : "");
	}
	yaml_node_t *vlans = yaml_mapping_get(file, item, "vlans");
	yaml_node_t *vnis = yaml_mapping_get(file, item, "vnis");
	if (vlans && link.kind != SUBSTRATE_LINK_ETHERNET)
		return load_error_set(load->error, path_of(load), vlans, "vlans",
				      "an ip link carries VNIs, not VLANs");
	if (vnis && link.kind != SUBSTRATE_LINK_IP)
		return load_error_set(load->error, path_of(load), vnis, "vnis",
				      "an ethernet link carries VLANs, not VNIs "
				      "(set kind: ip)");
	if (vlans && read_range(load, vlans, "vlans", SUBSTRATE_VLAN_MIN,
				SUBSTRATE_VLAN_MAX, &link.tags))
		return -1;
	if (vnis && read_range(load, vnis, "vnis", SUBSTRATE_VNI_MIN,
			       SUBSTRATE_VNI_MAX, &link.tags))
		return -1;

	int index = substrate_add_link(
		load->substrate, &link,
		(struct substrate_link_end){ ends[0], ports[0] },
		(struct substrate_link_end){ ends[1], ports[1] });
	if (index == -EADDRINUSE) {
		struct tag_range tags = link.tags;
		if (!vlans && !vnis)
			tags = link.kind == SUBSTRATE_LINK_IP
				       ? (struct tag_range){ SUBSTRATE_VNI_MIN,
							     SUBSTRATE_VNI_MAX }
				       : (struct tag_range){ SUBSTRATE_VLAN_MIN,
							     SUBSTRATE_VLAN_MAX };
		const struct substrate_link *other = NULL;
		int end = 0;
		for (; end < 2 && !other; end++)
			if (ports[end][0])
				other = find_overlap(load->substrate, ends[end],
						     ports[end], link.kind, tags);
		yaml_node_t *where = vlans ? vlans : vnis ? vnis : item;
		return load_error_set(
			load->error, path_of(load), where,
			vlans ? "vlans" : vnis ? "vnis" : "links[]",
			"overlapping ranges: %s %u-%u on port %s:%s overlaps "
			"link '%s' (%u-%u, line %u)",
			link.kind == SUBSTRATE_LINK_IP ? "VNIs" : "VLANs",
			tags.first, tags.last,
			load->substrate->nodes[ends[end - 1]].id,
			ports[end - 1], other ? other->id : "?",
			other ? other->tags.first : 0,
			other ? other->tags.last : 0,
			other ? load->link_lines[other->index] : 0);
	}
	if (index < 0)
		return load_error_set(load->error, path_of(load), item, "links[]",
				      "cannot add link: %s", strerror(-index));
	load->link_lines[index] = (id ? id : item)->start_mark.line + 1;
	return 0;
}

static struct substrate *load_document(struct yaml_file *file,
				       struct load_error *error,
				       struct load_error *warning)
{
	yaml_node_t *root = yaml_file_root(file);
	static const char *const keys[] = { "name", "nodes", "links", NULL };
	if (yaml_mapping_check_keys(file, root, keys, "", error))
		return NULL;
	char name[SUBSTRATE_ID_SIZE] = "";
	yaml_node_t *name_node = yaml_mapping_get(file, root, "name");
	if (name_node && yaml_read_string(file, name_node, "name", name,
					  sizeof(name), error))
		return NULL;
	yaml_node_t *nodes = yaml_mapping_get(file, root, "nodes");
	yaml_node_t *links = yaml_mapping_get(file, root, "links");
	if (!nodes || nodes->type != YAML_SEQUENCE_NODE) {
		load_error_set(error, file->path, nodes ? nodes : root, "nodes",
			       "expected a list of nodes");
		return NULL;
	}
	if (links && links->type != YAML_SEQUENCE_NODE) {
		load_error_set(error, file->path, links, "links",
			       "expected a list of links");
		return NULL;
	}
	size_t node_count = yaml_sequence_length(nodes);
	size_t link_count = yaml_sequence_length(links);
	struct yaml_substrate_load load = {
		.file = file,
		.substrate = substrate_create(name),
		.error = error,
		.node_lines = calloc(node_count + 1, sizeof(unsigned)),
		.link_lines = calloc(link_count + 1, sizeof(unsigned)),
	};
	int rc = -1;
	if (!load.substrate || !load.node_lines || !load.link_lines) {
		load_error_set(error, file->path, NULL, "", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < node_count; i++)
		if (load_node(&load, yaml_sequence_item(file, nodes, i)))
			goto out;
	for (size_t i = 0; i < link_count; i++)
		if (load_link(&load, yaml_sequence_item(file, links, i)))
			goto out;
	if (topo_finalize_and_warn(load.substrate, file->path, warning)) {
		load_error_set(error, file->path, NULL, "", "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(load.node_lines);
	free(load.link_lines);
	if (rc) {
		substrate_free(load.substrate);
		return NULL;
	}
	return load.substrate;
}

struct substrate *substrate_load_yaml(const char *path,
				      struct load_error *error,
				      struct load_error *warning)
{
	struct yaml_file file;
	struct substrate *substrate = NULL;
	if (warning)
		memset(warning, 0, sizeof(*warning));
	if (yaml_file_load(&file, path, error) == 0)
		substrate = load_document(&file, error, warning);
	yaml_file_free(&file);
	return substrate;
}

struct substrate *substrate_load_yaml_string(const char *name,
					     const char *text, size_t length,
					     struct load_error *error,
					     struct load_error *warning)
{
	struct yaml_file file;
	struct substrate *substrate = NULL;
	if (warning)
		memset(warning, 0, sizeof(*warning));
	if (yaml_file_load_string(&file, name, text, length, error) == 0)
		substrate = load_document(&file, error, warning);
	yaml_file_free(&file);
	return substrate;
}

/* ---- Writer ----------------------------------------------------------- */

/* Plain when the text cannot be mistaken for anything else, else double
 * quoted with escapes. */
static void write_string(FILE *stream, const char *text)
{
	bool plain = text[0] != '\0' && text[0] != '-' && text[0] != '.';
	for (const char *c = text; *c && plain; c++)
		plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			(*c >= '0' && *c <= '9') || *c == '_' || *c == '-' ||
			*c == '.' || *c == '/' || (*c == ':' && c[1]);
	if (plain) {
		fputs(text, stream);
		return;
	}
	fputc('"', stream);
	const unsigned char *c = (const unsigned char *)text;
	while (*c) {
		/* Decode one UTF-8 character (the loaders only make valid
		 * UTF-8: libyaml checks it, libxml2 too). */
		uint32_t code = *c;
		int length = code < 0x80 ? 1 : code < 0xe0 ? 2 : code < 0xf0 ? 3 : 4;
		bool valid = code < 0x80 || code >= 0xc0;
		if (length > 1)
			code &= 0x3f >> (length - 1);
		for (int i = 1; i < length; i++) {
			if ((c[i] & 0xc0) != 0x80) {
				valid = false;
				break;
			}
			code = (code << 6) | (c[i] & 0x3f);
		}
		/* What YAML reads back as itself inside double quotes:
		 * printable, and no line break (NEL, LS, PS fold). */
		if (!valid) {
			length = 1;
			code = 0xfffd; /* written escaped: the file stays valid */
		}
		bool printable = valid && ((code >= 0x20 && code <= 0x7e) ||
				 (code >= 0xa0 && code <= 0xd7ff && code != 0x2028 &&
				  code != 0x2029) ||
				 (code >= 0xe000 && code <= 0xfffd && code != 0xfeff) ||
				 (code >= 0x10000 && code <= 0x10ffff));
		if (code == '"' || code == '\\')
			fprintf(stream, "\\%c", (char)code);
		else if (!printable && code < 0x100)
			fprintf(stream, "\\x%02x", code);
		else if (!printable)
			fprintf(stream, "\\u%04x", code);
		else
			fwrite(c, 1, length, stream);
		c += length;
	}
	fputc('"', stream);
}

static void write_number(FILE *stream, double value)
{
	char text[32];
	topo_format_double(text, sizeof(text), value);
	fputs(text, stream);
}

int substrate_write_yaml(const struct substrate *substrate, FILE *stream)
{
	fputs("# Loom substrate (format: topo/topo.h, "
	      "topo/examples/substrate.yaml)\n",
	      stream);
	if (substrate->name[0]) {
		fputs("name: ", stream);
		write_string(stream, substrate->name);
		fputc('\n', stream);
	}
	fputs(substrate->node_count ? "nodes:\n" : "nodes: []\n", stream);
	for (uint32_t i = 0; i < substrate->node_count; i++) {
		const struct substrate_node *node = &substrate->nodes[i];
		fputs("  - id: ", stream);
		write_string(stream, node->id);
		fputs("\n    cpu: ", stream);
		write_number(stream, node->cpu);
		fputc('\n', stream);
		if (node->has_memory) {
			fputs("    memory: ", stream);
			write_number(stream, node->memory);
			fputc('\n', stream);
		}
		if (node->site[0]) {
			fputs("    site: ", stream);
			write_string(stream, node->site);
			fputc('\n', stream);
		}
		if (node->position_kind != SUBSTRATE_POSITION_NONE) {
			bool plane = node->position_kind == SUBSTRATE_POSITION_PLANE;
			fputs(plane ? "    position: {x: "
				    : "    position: {latitude: ",
			      stream);
			write_number(stream, plane ? node->x : node->y);
			fputs(plane ? ", y: " : ", longitude: ", stream);
			write_number(stream, plane ? node->y : node->x);
			fputs("}\n", stream);
		}
		if (node->control[0]) {
			fputs("    control: ", stream);
			write_string(stream, node->control);
			fputc('\n', stream);
		}
		if (node->port_count) {
			fputs("    ports: [", stream);
			for (uint32_t p = 0; p < node->port_count; p++) {
				if (p)
					fputs(", ", stream);
				write_string(stream, node->ports[p].name);
			}
			fputs("]\n", stream);
		}
	}
	if (substrate->link_count)
		fputs("links:\n", stream);
	for (uint32_t i = 0; i < substrate->link_count; i++) {
		const struct substrate_link *link = &substrate->links[i];
		fputs("  - id: ", stream);
		write_string(stream, link->id);
		for (int e = 0; e < 2; e++) {
			const struct substrate_node *node =
				&substrate->nodes[link->ends[e].node];
			char endpoint[SUBSTRATE_ID_SIZE + SUBSTRATE_PORT_NAME_SIZE + 1];
			snprintf(endpoint, sizeof(endpoint), "%s:%s", node->id,
				 node->ports[link->ends[e].port].name);
			fputs(e ? "\n    b: " : "\n    a: ", stream);
			write_string(stream, endpoint);
		}
		fputs("\n    bandwidth: ", stream);
		write_number(stream, link->bandwidth);
		fputs("\n    latency: ", stream);
		write_number(stream, link->latency);
		fprintf(stream, "\n    kind: %s\n",
			substrate_link_kind_name(link->kind));
		bool ip = link->kind == SUBSTRATE_LINK_IP;
		bool whole = ip ? link->tags.first == SUBSTRATE_VNI_MIN &&
					  link->tags.last == SUBSTRATE_VNI_MAX
				: link->tags.first == SUBSTRATE_VLAN_MIN &&
					  link->tags.last == SUBSTRATE_VLAN_MAX;
		if (!whole)
			fprintf(stream, "    %s: %u-%u\n", ip ? "vnis" : "vlans",
				link->tags.first, link->tags.last);
	}
	return ferror(stream) ? -EIO : 0;
}

int substrate_save_yaml(const struct substrate *substrate, const char *path)
{
	FILE *stream = fopen(path, "w");
	if (!stream)
		return -errno;
	int rc = substrate_write_yaml(substrate, stream);
	if (fclose(stream) && !rc)
		rc = -errno;
	return rc;
}

/* Internet Topology Zoo GraphML import (libxml2). See topo.h for the
 * defaults used where the file has no capacities.
 *
 * The parser never touches the network and does not substitute entities
 * (XML_PARSE_NONET, no XML_PARSE_NOENT), so a hostile file can neither
 * fetch nor expand its way into memory; libxml2's own limits bound the
 * rest. Errors carry the line libxml2 recorded for the element. */
#include "topo_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

/* The <key> declarations we use: the id each attribute name got. */
enum graphml_attribute {
	GRAPHML_LABEL,          /* node */
	GRAPHML_LATITUDE,       /* node */
	GRAPHML_LONGITUDE,      /* node */
	GRAPHML_LINK_SPEED,     /* edge: number, in LinkSpeedUnits */
	GRAPHML_LINK_SPEED_UNITS,
	GRAPHML_LINK_SPEED_RAW, /* edge: bit/s */
	GRAPHML_GRAPH_LABEL,    /* graph */
	GRAPHML_GRAPH_NETWORK,  /* graph */
	GRAPHML_ATTRIBUTE_COUNT
};

static const struct {
	const char *name;
	const char *domain;
} graphml_attributes[GRAPHML_ATTRIBUTE_COUNT] = {
	[GRAPHML_LABEL] = { "label", "node" },
	[GRAPHML_LATITUDE] = { "Latitude", "node" },
	[GRAPHML_LONGITUDE] = { "Longitude", "node" },
	[GRAPHML_LINK_SPEED] = { "LinkSpeed", "edge" },
	[GRAPHML_LINK_SPEED_UNITS] = { "LinkSpeedUnits", "edge" },
	[GRAPHML_LINK_SPEED_RAW] = { "LinkSpeedRaw", "edge" },
	[GRAPHML_GRAPH_LABEL] = { "label", "graph" },
	[GRAPHML_GRAPH_NETWORK] = { "Network", "graph" },
};

struct graphml_load {
	const char *name;
	struct graphml_options options;
	struct topo_random random;
	struct substrate *substrate;
	struct load_error *error;
	char keys[GRAPHML_ATTRIBUTE_COUNT][64]; /* "" = not declared */
};

static bool element_is(const xmlNode *node, const char *name)
{
	return node->type == XML_ELEMENT_NODE &&
	       strcmp((const char *)node->name, name) == 0;
}

static int graphml_error(struct graphml_load *load, const xmlNode *node,
			 const char *field, const char *format, ...)
	__attribute__((format(printf, 4, 5)));

static int graphml_error(struct graphml_load *load, const xmlNode *node,
			 const char *field, const char *format, ...)
{
	char message[512];
	va_list args;
	va_start(args, format);
	vsnprintf(message, sizeof(message), format, args);
	va_end(args);
	return topo_error_at(load->error, load->name,
			     node ? (unsigned)xmlGetLineNo(node) : 0, 0, field,
			     "%s", message);
}

/* The text of attribute `name` of `node` into buf; false when absent. */
static bool attribute(const xmlNode *node, const char *name, char *buf,
		      size_t size)
{
	xmlChar *value = xmlGetProp(node, (const xmlChar *)name);
	if (!value)
		return false;
	snprintf(buf, size, "%s", (const char *)value);
	xmlFree(value);
	return true;
}

static void read_keys(struct graphml_load *load, const xmlNode *root)
{
	for (const xmlNode *key = root->children; key; key = key->next) {
		if (!element_is(key, "key"))
			continue;
		char name[64], domain[16], id[64];
		if (!attribute(key, "attr.name", name, sizeof(name)) ||
		    !attribute(key, "id", id, sizeof(id)))
			continue;
		if (!attribute(key, "for", domain, sizeof(domain)))
			snprintf(domain, sizeof(domain), "all");
		for (int a = 0; a < GRAPHML_ATTRIBUTE_COUNT; a++)
			if (strcmp(graphml_attributes[a].name, name) == 0 &&
			    (strcmp(graphml_attributes[a].domain, domain) == 0 ||
			     strcmp(domain, "all") == 0))
				snprintf(load->keys[a], sizeof(load->keys[a]),
					 "%s", id);
	}
}

/* The <data> values of an element, by attribute. Each is the element's
 * text, trimmed; "" when absent. */
struct graphml_data {
	char value[GRAPHML_ATTRIBUTE_COUNT][128];
	const xmlNode *element[GRAPHML_ATTRIBUTE_COUNT];
};

static void read_data(const struct graphml_load *load, const xmlNode *node,
		      struct graphml_data *data)
{
	memset(data, 0, sizeof(*data));
	for (const xmlNode *child = node->children; child; child = child->next) {
		if (!element_is(child, "data"))
			continue;
		char key[64];
		if (!attribute(child, "key", key, sizeof(key)))
			continue;
		for (int a = 0; a < GRAPHML_ATTRIBUTE_COUNT; a++) {
			if (!load->keys[a][0] || strcmp(load->keys[a], key) != 0)
				continue;
			xmlChar *text = xmlNodeGetContent(child);
			const char *start = text ? (const char *)text : "";
			while (*start == ' ' || *start == '\t' || *start == '\n' ||
			       *start == '\r')
				start++;
			snprintf(data->value[a], sizeof(data->value[a]), "%s",
				 start);
			size_t length = strlen(data->value[a]);
			while (length && strchr(" \t\r\n", data->value[a][length - 1]))
				data->value[a][--length] = '\0';
			data->element[a] = child;
			xmlFree(text);
		}
	}
}

/* Labels longer than the model's fields are cut, not refused. */
static void copy_truncated(char *out, size_t size, const char *text)
{
	size_t length = strnlen(text, size - 1);
	/* Never cut a UTF-8 sequence in two. */
	if (text[length] != '\0')
		while (length && ((unsigned char)text[length] & 0xc0) == 0x80)
			length--;
	memcpy(out, text, length);
	out[length] = '\0';
}

/* A finite number from the whole of text; false otherwise. */
static bool parse_number(const char *text, double *out)
{
	char *end;
	errno = 0;
	double value = strtod(text, &end);
	if (end == text || *end != '\0' || errno || !isfinite(value))
		return false;
	*out = value;
	return true;
}

static double draw_or_default(struct graphml_load *load, double fixed,
			      double minimum, double maximum)
{
	if (!load->options.seed)
		return fixed;
	return topo_random_uniform(&load->random, minimum, maximum);
}

static int load_node(struct graphml_load *load, const xmlNode *element)
{
	struct substrate_node node = { 0 };
	char id[256];
	if (!attribute(element, "id", id, sizeof(id)) || !id[0])
		return graphml_error(load, element, "node", "a node needs an id");
	if (strlen(id) >= sizeof(node.id))
		return graphml_error(load, element, "node",
				     "node id '%s' is too long", id);
	snprintf(node.id, sizeof(node.id), "%s", id);
	struct graphml_data data;
	read_data(load, element, &data);
	copy_truncated(node.site, sizeof(node.site), data.value[GRAPHML_LABEL]);
	const char *latitude = data.value[GRAPHML_LATITUDE];
	const char *longitude = data.value[GRAPHML_LONGITUDE];
	if (latitude[0] && longitude[0]) {
		if (!parse_number(latitude, &node.y) || fabs(node.y) > 90)
			return graphml_error(load, data.element[GRAPHML_LATITUDE],
					     "Latitude",
					     "node '%s': Latitude '%s' is not a "
					     "number in [-90, 90]",
					     id, latitude);
		if (!parse_number(longitude, &node.x) || fabs(node.x) > 180)
			return graphml_error(load, data.element[GRAPHML_LONGITUDE],
					     "Longitude",
					     "node '%s': Longitude '%s' is not a "
					     "number in [-180, 180]",
					     id, longitude);
		node.position_kind = SUBSTRATE_POSITION_GEOGRAPHIC;
	}
	node.cpu = draw_or_default(load, load->options.default_cpu,
				   load->options.cpu_minimum,
				   load->options.cpu_maximum);
	int rc = substrate_add_node(load->substrate, &node);
	if (rc == -EEXIST)
		return graphml_error(load, element, "node",
				     "duplicate node id '%s'", id);
	if (rc < 0)
		return graphml_error(load, element, "node",
				     "cannot add node '%s': %s", id,
				     strerror(-rc));
	return 0;
}

/* Great-circle distance in km between two geographic nodes. */
static double distance_km(const struct substrate_node *a,
			  const struct substrate_node *b)
{
	const double radians = M_PI / 180, earth_radius = 6371.0;
	double dlat = (b->y - a->y) * radians, dlon = (b->x - a->x) * radians;
	double h = sin(dlat / 2) * sin(dlat / 2) +
		   cos(a->y * radians) * cos(b->y * radians) * sin(dlon / 2) *
			   sin(dlon / 2);
	return 2 * earth_radius * asin(sqrt(h > 1 ? 1 : h));
}

/* The link's speed in Mbit/s from LinkSpeedRaw, or LinkSpeed and
 * LinkSpeedUnits; 0 when the file gives none. -1 when it is malformed. */
static double link_speed(const struct graphml_data *data)
{
	double value;
	const char *raw = data->value[GRAPHML_LINK_SPEED_RAW];
	if (raw[0])
		return parse_number(raw, &value) && value >= 0 ? value / 1e6 : -1;
	const char *speed = data->value[GRAPHML_LINK_SPEED];
	if (!speed[0])
		return 0;
	if (!parse_number(speed, &value) || value < 0)
		return -1;
	const char *units = data->value[GRAPHML_LINK_SPEED_UNITS];
	static const struct {
		const char *unit;
		double factor;
	} factors[] = { { "", 1 }, { "K", 1e-3 }, { "k", 1e-3 }, { "M", 1 },
			{ "G", 1e3 }, { "T", 1e6 } };
	for (size_t i = 0; i < sizeof(factors) / sizeof(factors[0]); i++)
		if (strcmp(units, factors[i].unit) == 0)
			return value * factors[i].factor;
	return -1;
}

static int load_edge(struct graphml_load *load, const xmlNode *element,
		     uint32_t *self_loops)
{
	char source[256], target[256];
	if (!attribute(element, "source", source, sizeof(source)) ||
	    !attribute(element, "target", target, sizeof(target)))
		return graphml_error(load, element, "edge",
				     "an edge needs source and target");
	int a = substrate_node_lookup(load->substrate, source);
	int b = substrate_node_lookup(load->substrate, target);
	if (a < 0 || b < 0)
		return graphml_error(load, element, a < 0 ? "source" : "target",
				     "dangling edge: there is no node '%s'",
				     a < 0 ? source : target);
	if (a == b) {
		(*self_loops)++;
		return 0;
	}
	struct graphml_data data;
	read_data(load, element, &data);
	struct substrate_link link = { .kind = SUBSTRATE_LINK_ETHERNET };
	double speed = load->options.ignore_link_speed ? 0 : link_speed(&data);
	if (speed < 0)
		return graphml_error(load, element, "LinkSpeed",
				     "malformed link speed '%s%s'",
				     data.value[GRAPHML_LINK_SPEED_RAW][0]
					     ? data.value[GRAPHML_LINK_SPEED_RAW]
					     : data.value[GRAPHML_LINK_SPEED],
				     data.value[GRAPHML_LINK_SPEED_RAW][0]
					     ? ""
					     : data.value[GRAPHML_LINK_SPEED_UNITS]);
	/* Draw even when the speed is known, so a seed gives the same
	 * capacities to the other links whatever the file says. */
	double drawn = draw_or_default(load, load->options.default_bandwidth,
				       load->options.bandwidth_minimum,
				       load->options.bandwidth_maximum);
	link.bandwidth = speed > 0 ? speed : drawn;
	const struct substrate_node *na = &load->substrate->nodes[a];
	const struct substrate_node *nb = &load->substrate->nodes[b];
	if (na->position_kind == SUBSTRATE_POSITION_GEOGRAPHIC &&
	    nb->position_kind == SUBSTRATE_POSITION_GEOGRAPHIC)
		link.latency = distance_km(na, nb) * 0.005; /* 5 us/km */
	else
		link.latency = load->options.default_latency;
	int rc = substrate_add_link(load->substrate, &link,
				    (struct substrate_link_end){ (uint32_t)a, NULL },
				    (struct substrate_link_end){ (uint32_t)b, NULL });
	if (rc < 0)
		return graphml_error(load, element, "edge",
				     "cannot add the edge from '%s': %s", source,
				     strerror(-rc));
	return 0;
}

static struct substrate *load_tree(struct graphml_load *load, xmlDoc *document,
				   struct load_error *warning)
{
	xmlNode *root = xmlDocGetRootElement(document);
	if (!root || !element_is(root, "graphml")) {
		graphml_error(load, root, "", "not a GraphML document");
		return NULL;
	}
	read_keys(load, root);
	xmlNode *graph = root->children;
	while (graph && !element_is(graph, "graph"))
		graph = graph->next;
	if (!graph) {
		graphml_error(load, root, "graph", "no <graph> element");
		return NULL;
	}
	struct graphml_data data;
	read_data(load, graph, &data);
	char name[SUBSTRATE_ID_SIZE];
	copy_truncated(name, sizeof(name),
		       data.value[GRAPHML_GRAPH_LABEL][0]
			       ? data.value[GRAPHML_GRAPH_LABEL]
			       : data.value[GRAPHML_GRAPH_NETWORK]);
	load->substrate = substrate_create(name);
	if (!load->substrate) {
		graphml_error(load, NULL, "", "out of memory");
		return NULL;
	}
	uint32_t self_loops = 0;
	int rc = 0;
	/* Nodes first: edges may name nodes declared after them. */
	for (xmlNode *child = graph->children; child && !rc; child = child->next)
		if (element_is(child, "node"))
			rc = load_node(load, child);
	for (xmlNode *child = graph->children; child && !rc; child = child->next)
		if (element_is(child, "edge"))
			rc = load_edge(load, child, &self_loops);
	if (!rc && load->substrate->node_count == 0)
		rc = graphml_error(load, graph, "graph", "the graph has no nodes");
	if (!rc && topo_finalize_and_warn(load->substrate, load->name, warning))
		rc = graphml_error(load, NULL, "", "out of memory");
	if (rc) {
		substrate_free(load->substrate);
		return NULL;
	}
	if (self_loops && warning && !warning->message[0])
		topo_error_at(warning, load->name, 0, 0, "edge",
			      "%u self-loop edge%s skipped", self_loops,
			      self_loops == 1 ? "" : "s");
	return load->substrate;
}

static bool options_valid(struct graphml_options *options)
{
	if (options->default_cpu == 0)
		options->default_cpu = 100;
	if (options->default_bandwidth == 0)
		options->default_bandwidth = 1000;
	if (options->default_latency == 0)
		options->default_latency = 1;
	if (options->seed) {
		if (options->cpu_minimum == 0 && options->cpu_maximum == 0) {
			options->cpu_minimum = 50;
			options->cpu_maximum = 100;
		}
		if (options->bandwidth_minimum == 0 &&
		    options->bandwidth_maximum == 0) {
			options->bandwidth_minimum = 50;
			options->bandwidth_maximum = 100;
		}
	}
	return options->default_cpu > 0 && options->default_bandwidth > 0 &&
	       options->default_latency > 0 && options->cpu_minimum >= 0 &&
	       options->cpu_maximum >= options->cpu_minimum &&
	       options->bandwidth_minimum >= 0 &&
	       options->bandwidth_maximum >= options->bandwidth_minimum &&
	       isfinite(options->default_cpu + options->default_bandwidth +
			options->default_latency + options->cpu_maximum +
			options->bandwidth_maximum);
}

struct substrate *substrate_load_graphml_memory(
	const char *name, const char *data, size_t size,
	const struct graphml_options *options, struct load_error *error,
	struct load_error *warning)
{
	struct graphml_load load = { .name = name, .error = error };
	if (warning)
		memset(warning, 0, sizeof(*warning));
	if (options)
		load.options = *options;
	if (!options_valid(&load.options)) {
		topo_error_at(error, name, 0, 0, "", "invalid import options");
		return NULL;
	}
	topo_random_seed(&load.random, load.options.seed);
	if (size > INT32_MAX) {
		topo_error_at(error, name, 0, 0, "", "file too large");
		return NULL;
	}
	xmlParserCtxt *context = xmlNewParserCtxt();
	if (!context) {
		topo_error_at(error, name, 0, 0, "", "out of memory");
		return NULL;
	}
	xmlDoc *document = xmlCtxtReadMemory(
		context, data, (int)size, name, NULL,
		XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
			XML_PARSE_BIG_LINES);
	struct substrate *substrate = NULL;
	if (!document) {
		const xmlError *problem = xmlCtxtGetLastError(context);
		char message[256] = "not well-formed XML";
		if (problem && problem->message) {
			snprintf(message, sizeof(message), "%s", problem->message);
			size_t length = strlen(message);
			while (length && message[length - 1] == '\n')
				message[--length] = '\0';
		}
		topo_error_at(error, name, problem ? (unsigned)problem->line : 0,
			      problem ? (unsigned)problem->int2 : 0, "", "%s",
			      message);
	} else {
		substrate = load_tree(&load, document, warning);
		xmlFreeDoc(document);
	}
	xmlFreeParserCtxt(context);
	return substrate;
}

struct substrate *substrate_load_graphml(const char *path,
					 const struct graphml_options *options,
					 struct load_error *error,
					 struct load_error *warning)
{
	size_t length;
	char *data = topo_read_file(path, &length);
	if (!data) {
		if (warning)
			memset(warning, 0, sizeof(*warning));
		topo_error_at(error, path, 0, 0, "", "cannot open: %s",
			      strerror(errno));
		return NULL;
	}
	struct substrate *substrate = substrate_load_graphml_memory(
		path, data, length, options, error, warning);
	free(data);
	return substrate;
}

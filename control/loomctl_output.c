/* loomctl's human output: aligned tables, times in UTC, the describe tree.
 * Every view reads the server's JSON defensively (a missing field prints
 * as "-"): the reply's shape is docs/api.md's, and a newer server may add
 * fields, which are then simply not shown (--json shows everything). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loomctl_private.h"

struct output_table {
	unsigned columns;
	size_t rows, capacity; /* rows include the header */
	char **cells;          /* rows * columns, owned */
};

static void output_table_append(struct output_table *table, va_list cells)
{
	if (table->rows == table->capacity) {
		size_t capacity = table->capacity ? 2 * table->capacity : 16;
		char **grown = realloc(table->cells, capacity * table->columns *
							     sizeof(*grown));
		if (!grown) {
			perror("loomctl");
			exit(LOOMCTL_EXIT_UNREACHABLE);
		}
		table->cells = grown;
		table->capacity = capacity;
	}
	for (unsigned c = 0; c < table->columns; c++) {
		const char *cell = va_arg(cells, const char *);
		table->cells[table->rows * table->columns + c] =
			strdup(cell && *cell ? cell : "-");
	}
	table->rows++;
}

struct output_table *output_table_new(unsigned columns, ...)
{
	struct output_table *table = calloc(1, sizeof(*table));
	if (!table) {
		perror("loomctl");
		exit(LOOMCTL_EXIT_UNREACHABLE);
	}
	table->columns = columns;
	va_list cells;
	va_start(cells, columns);
	output_table_append(table, cells);
	va_end(cells);
	return table;
}

void output_table_row(struct output_table *table, ...)
{
	va_list cells;
	va_start(cells, table);
	output_table_append(table, cells);
	va_end(cells);
}

void output_table_print(struct output_table *table, FILE *out)
{
	size_t *width = calloc(table->columns, sizeof(*width));
	if (!width)
		return;
	for (size_t r = 0; r < table->rows; r++)
		for (unsigned c = 0; c < table->columns; c++) {
			size_t length =
				strlen(table->cells[r * table->columns + c]);
			if (length > width[c])
				width[c] = length;
		}
	for (size_t r = 0; r < table->rows; r++) {
		for (unsigned c = 0; c < table->columns; c++) {
			const char *cell = table->cells[r * table->columns + c];
			if (c + 1 == table->columns)
				fprintf(out, "%s\n", cell);
			else
				fprintf(out, "%-*s  ", (int)width[c], cell);
		}
	}
	free(width);
}

void output_table_free(struct output_table *table)
{
	if (!table)
		return;
	for (size_t i = 0; i < table->rows * table->columns; i++)
		free(table->cells[i]);
	free(table->cells);
	free(table);
}

const char *output_time(json_t *seconds, char *buf, size_t size)
{
	if (!json_is_integer(seconds) || json_integer_value(seconds) <= 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	time_t value = (time_t)json_integer_value(seconds);
	struct tm utc;
	if (!gmtime_r(&value, &utc) ||
	    !strftime(buf, size, "%Y-%m-%d %H:%M:%SZ", &utc))
		snprintf(buf, size, "%lld", (long long)value);
	return buf;
}

const char *output_value(json_t *value, char *buf, size_t size)
{
	if (json_is_string(value))
		snprintf(buf, size, "%s", json_string_value(value));
	else if (json_is_integer(value))
		snprintf(buf, size, "%lld",
			 (long long)json_integer_value(value));
	else if (json_is_real(value))
		snprintf(buf, size, "%g", json_real_value(value));
	else if (json_is_true(value))
		snprintf(buf, size, "yes");
	else if (json_is_false(value))
		snprintf(buf, size, "no");
	else if (!value || json_is_null(value))
		snprintf(buf, size, "-");
	else {
		char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
		snprintf(buf, size, "%s", text ? text : "?");
		free(text);
	}
	return buf;
}

void output_json(json_t *value)
{
	char *text = json_dumps(value, JSON_INDENT(2) | JSON_ENCODE_ANY);
	printf("%s\n", text ? text : "null");
	free(text);
}

#define FIELD(object, key, buf) output_value(json_object_get(object, key), \
					     buf, sizeof(buf))

/* list: one line per VNet. */
void output_vnets(json_t *list)
{
	struct output_table *table = output_table_new(
		5, "ID", "NAME", "STATE", "LEASE END", "CREATED");
	size_t i;
	json_t *vnet;
	json_array_foreach(json_object_get(list, "vnets"), i, vnet) {
		char id[32], name[128], state[32], lease[40], created[40];
		output_table_row(
			table, FIELD(vnet, "id", id), FIELD(vnet, "name", name),
			FIELD(vnet, "state", state),
			output_time(json_object_get(vnet, "lease_end"), lease,
				    sizeof(lease)),
			output_time(json_object_get(vnet, "created"), created,
				    sizeof(created)));
	}
	output_table_print(table, stdout);
	output_table_free(table);
}

/* tenant list: one line per tenant. */
void output_tenants(json_t *list)
{
	struct output_table *table =
		output_table_new(4, "ID", "NAME", "ROLE", "CREATED");
	size_t i;
	json_t *tenant;
	json_array_foreach(json_object_get(list, "tenants"), i, tenant) {
		char id[32], name[128], role[16], created[40];
		output_table_row(
			table, FIELD(tenant, "id", id),
			FIELD(tenant, "name", name),
			FIELD(tenant, "role", role),
			output_time(json_object_get(tenant, "created"), created,
				    sizeof(created)));
	}
	output_table_print(table, stdout);
	output_table_free(table);
}

/* "198.18.1.1/24, fd00::1/64" from a JSON array of strings. */
static const char *join_strings(json_t *array, char *buf, size_t size)
{
	size_t used = 0, i;
	json_t *item;
	buf[0] = '\0';
	json_array_foreach(array, i, item) {
		char value[256];
		output_value(item, value, sizeof(value));
		int n = snprintf(buf + used, size - used, "%s%s",
				 used ? ", " : "", value);
		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
	}
	return buf;
}

/* "s1" from {"substrate_node": "s1"}, "s1--s2 s2--s3" from a link
 * placement's list, else the compact JSON. */
static const char *placement_text(json_t *placement, char *buf, size_t size)
{
	json_t *node = json_object_get(placement, "substrate_node");
	if (json_is_string(node))
		return output_value(node, buf, size);
	json_t *links = json_object_get(placement, "substrate_links");
	if (json_is_array(links))
		return join_strings(links, buf, size);
	return output_value(placement, buf, size);
}

/* The VNet's header lines, shared by status and describe. */
static void output_header(json_t *vnet)
{
	char id[32], name[128], state[32], lease[40], created[40];
	printf("VNet %s '%s': %s\n", FIELD(vnet, "id", id),
	       FIELD(vnet, "name", name), FIELD(vnet, "state", state));
	printf("  lease ends %s", output_time(json_object_get(vnet, "lease_end"),
					      lease, sizeof(lease)));
	if (json_object_get(vnet, "created"))
		printf(", created %s",
		       output_time(json_object_get(vnet, "created"), created,
				   sizeof(created)));
	printf("\n");
}

void output_status(json_t *status)
{
	output_header(status);
	json_t *slivers = json_object_get(status, "slivers");
	if (!json_is_array(slivers) || !json_array_size(slivers))
		return;
	struct output_table *table =
		output_table_new(6, "KIND", "SLIVER", "ALLOCATION",
				 "OPERATIONAL", "PLACEMENT", "ERROR");
	size_t i;
	json_t *sliver;
	json_array_foreach(slivers, i, sliver) {
		char kind[16], id[128], allocation[32], operational[32];
		char placement[512], error[512];
		output_table_row(
			table, FIELD(sliver, "kind", kind),
			FIELD(sliver, "id", id),
			FIELD(sliver, "allocation", allocation),
			FIELD(sliver, "operational", operational),
			placement_text(json_object_get(sliver, "placement"),
				       placement, sizeof(placement)),
			FIELD(sliver, "error", error));
	}
	printf("\n");
	output_table_print(table, stdout);
	output_table_free(table);
}

/* describe: node -> substrate node, its interfaces; link -> its hops
 * with kind and tag. */
void output_manifest(json_t *manifest)
{
	output_header(manifest);
	size_t i, j;
	json_t *node, *link;
	json_array_foreach(json_object_get(manifest, "nodes"), i, node) {
		char id[128], kind[16], where[128], namespace[128];
		printf("  node %s (%s) -> %s", FIELD(node, "id", id),
		       FIELD(node, "kind", kind),
		       FIELD(node, "substrate_node", where));
		if (json_object_get(node, "namespace"))
			printf(", namespace %s",
			       FIELD(node, "namespace", namespace));
		printf("\n");
		json_t *interface;
		json_array_foreach(json_object_get(node, "interfaces"), j,
				   interface) {
			char name[128], mac[32], port[128], addresses[1024];
			char socket[512];
			printf("    interface %s", FIELD(interface, "id", id));
			if (json_object_get(interface, "name"))
				printf(" (%s)", FIELD(interface, "name", name));
			printf(": mac %s, switch port %s",
			       FIELD(interface, "mac", mac),
			       FIELD(interface, "switch_port", port));
			json_t *list = json_object_get(interface, "addresses");
			if (json_array_size(list))
				printf(", %s",
				       join_strings(list, addresses,
						    sizeof(addresses)));
			if (json_object_get(interface, "vhost_socket"))
				printf(", vhost-user %s",
				       FIELD(interface, "vhost_socket",
					     socket));
			printf("\n");
		}
	}
	json_array_foreach(json_object_get(manifest, "links"), i, link) {
		char id[128], isolation[16], capacity[32];
		printf("  link %s (isolation %s, %s kbit/s)\n",
		       FIELD(link, "id", id),
		       FIELD(link, "isolation", isolation),
		       FIELD(link, "capacity_kbps", capacity));
		json_t *hop;
		json_array_foreach(json_object_get(link, "hops"), j, hop) {
			char substrate_link[128], from[128], to[128];
			char kind[16], tag[32];
			printf("    hop %s: %s -> %s, %s %s\n",
			       FIELD(hop, "substrate_link", substrate_link),
			       FIELD(hop, "from", from), FIELD(hop, "to", to),
			       FIELD(hop, "kind", kind),
			       FIELD(hop, "tag", tag));
		}
	}
}

/* validate / create: where each virtual node and link would go. */
void output_mapping(json_t *mapping)
{
	const char *key;
	json_t *value;
	json_t *nodes = json_object_get(mapping, "nodes");
	json_t *links = json_object_get(mapping, "links");
	if (json_object_size(nodes)) {
		struct output_table *table =
			output_table_new(2, "NODE", "SUBSTRATE NODE");
		json_object_foreach(nodes, key, value) {
			char where[128];
			output_table_row(table, key,
					 output_value(value, where,
						      sizeof(where)));
		}
		output_table_print(table, stdout);
		output_table_free(table);
	}
	if (json_object_size(links)) {
		struct output_table *table = output_table_new(
			3, "LINK", "KBIT/S", "SUBSTRATE PATH");
		json_object_foreach(links, key, value) {
			size_t i;
			json_t *flow;
			json_array_foreach(value, i, flow) {
				char bandwidth[32], path[1024];
				output_table_row(
					table, key,
					FIELD(flow, "bandwidth_kbps",
					      bandwidth),
					join_strings(json_object_get(flow,
								     "path"),
						     path, sizeof(path)));
			}
		}
		if (json_object_size(nodes))
			printf("\n");
		output_table_print(table, stdout);
		output_table_free(table);
	}
}

void output_substrate(json_t *substrate)
{
	size_t i;
	json_t *item;
	struct output_table *nodes = output_table_new(
		6, "NODE", "CPU", "CPU USED", "STATE", "SWITCH", "REACHABLE");
	json_array_foreach(json_object_get(substrate, "nodes"), i, item) {
		char id[128], cpu[32], used[32], state[16], control[512];
		char reachable[16];
		json_t *switch_object = json_object_get(item, "switch");
		output_table_row(nodes, FIELD(item, "id", id),
				 FIELD(item, "cpu", cpu),
				 FIELD(item, "cpu_used", used),
				 FIELD(item, "state", state),
				 FIELD(switch_object, "control", control),
				 FIELD(switch_object, "reachable", reachable));
	}
	output_table_print(nodes, stdout);
	output_table_free(nodes);
	struct output_table *links =
		output_table_new(8, "LINK", "A", "B", "KIND", "KBIT/S",
				 "KBIT/S USED", "TAGS USED", "STATE");
	json_array_foreach(json_object_get(substrate, "links"), i, item) {
		char id[128], a[128], b[128], kind[16], bandwidth[32];
		char used[32], tags[32], state[16];
		output_table_row(links, FIELD(item, "id", id),
				 FIELD(item, "a", a), FIELD(item, "b", b),
				 FIELD(item, "kind", kind),
				 FIELD(item, "bandwidth_kbps", bandwidth),
				 FIELD(item, "bandwidth_used_kbps", used),
				 FIELD(item, "tags_used", tags),
				 FIELD(item, "state", state));
	}
	printf("\n");
	output_table_print(links, stdout);
	output_table_free(links);
}

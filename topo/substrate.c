/* The substrate model: construction, id lookup, CSR adjacency. See topo.h. */
#include "topo.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const substrate_link_kind_names[] = {
#define _(name, text) [SUBSTRATE_LINK_##name] = text,
	foreach_substrate_link_kind
#undef _
};

const char *substrate_link_kind_name(enum substrate_link_kind kind)
{
	if ((unsigned)kind >= SUBSTRATE_LINK_KIND_COUNT)
		return "?";
	return substrate_link_kind_names[kind];
}

int substrate_link_kind_parse(const char *name, enum substrate_link_kind *kind)
{
	for (unsigned i = 0; i < SUBSTRATE_LINK_KIND_COUNT; i++) {
		if (strcmp(name, substrate_link_kind_names[i]) == 0) {
			*kind = (enum substrate_link_kind)i;
			return 0;
		}
	}
	return -1;
}

/* ---- Id index --------------------------------------------------------------
 * Open addressing with linear probing over indices into the node or link
 * array; the ids themselves stay in those arrays (found through base and
 * stride, since the arrays move when they grow). Load stays under 1/2. */

/* The id is the first member of both nodes and links. */
_Static_assert(offsetof(struct substrate_node, id) == 0, "node id first");
_Static_assert(offsetof(struct substrate_link, id) == 0, "link id first");

struct substrate_id_index {
	uint32_t *slots; /* SUBSTRATE_NONE = empty */
	uint32_t mask;
	uint32_t count;
};

static uint64_t id_hash(const char *id)
{
	uint64_t hash = 0xcbf29ce484222325ull; /* FNV-1a */
	for (; *id; id++) {
		hash ^= (unsigned char)*id;
		hash *= 0x100000001b3ull;
	}
	return hash ^ (hash >> 29);
}

static const char *id_at(const void *base, size_t stride, uint32_t index)
{
	return (const char *)base + (size_t)index * stride;
}

static struct substrate_id_index *id_index_create(void)
{
	struct substrate_id_index *index = calloc(1, sizeof(*index));
	if (!index)
		return NULL;
	index->mask = 15;
	index->slots = malloc((index->mask + 1) * sizeof(uint32_t));
	if (!index->slots) {
		free(index);
		return NULL;
	}
	memset(index->slots, 0xff, (index->mask + 1) * sizeof(uint32_t));
	return index;
}

static void id_index_free(struct substrate_id_index *index)
{
	if (!index)
		return;
	free(index->slots);
	free(index);
}

static int id_index_find(const struct substrate_id_index *index,
			 const void *base, size_t stride, const char *id)
{
	uint32_t slot = (uint32_t)id_hash(id) & index->mask;
	for (;;) {
		uint32_t found = index->slots[slot];
		if (found == SUBSTRATE_NONE)
			return -1;
		if (strcmp(id_at(base, stride, found), id) == 0)
			return (int)found;
		slot = (slot + 1) & index->mask;
	}
}

static void id_index_place(uint32_t *slots, uint32_t mask, const char *id,
			   uint32_t value)
{
	uint32_t slot = (uint32_t)id_hash(id) & mask;
	while (slots[slot] != SUBSTRATE_NONE)
		slot = (slot + 1) & mask;
	slots[slot] = value;
}

/* Inserts `value` (whose id is already stored at base[value]). */
static int id_index_insert(struct substrate_id_index *index, const void *base,
			   size_t stride, uint32_t value)
{
	if ((index->count + 1) * 2 > index->mask + 1) {
		uint32_t mask = index->mask * 2 + 1;
		uint32_t *slots = malloc(((size_t)mask + 1) * sizeof(uint32_t));
		if (!slots)
			return -ENOMEM;
		memset(slots, 0xff, ((size_t)mask + 1) * sizeof(uint32_t));
		for (uint32_t i = 0; i <= index->mask; i++)
			if (index->slots[i] != SUBSTRATE_NONE)
				id_index_place(slots, mask,
					       id_at(base, stride,
						     index->slots[i]),
					       index->slots[i]);
		free(index->slots);
		index->slots = slots;
		index->mask = mask;
	}
	id_index_place(index->slots, index->mask, id_at(base, stride, value),
		       value);
	index->count++;
	return 0;
}

/* ---- Construction ------------------------------------------------------- */

struct substrate *substrate_create(const char *name)
{
	struct substrate *substrate = calloc(1, sizeof(*substrate));
	if (!substrate)
		return NULL;
	snprintf(substrate->name, sizeof(substrate->name), "%s",
		 name ? name : "");
	substrate->node_ids = id_index_create();
	substrate->link_ids = id_index_create();
	if (!substrate->node_ids || !substrate->link_ids) {
		substrate_free(substrate);
		return NULL;
	}
	return substrate;
}

void substrate_free(struct substrate *substrate)
{
	if (!substrate)
		return;
	for (uint32_t i = 0; i < substrate->node_count; i++)
		free(substrate->nodes[i].ports);
	free(substrate->nodes);
	free(substrate->links);
	free(substrate->arc_start);
	free(substrate->arcs);
	id_index_free(substrate->node_ids);
	id_index_free(substrate->link_ids);
	free(substrate);
}

static bool capacity_valid(double value)
{
	return isfinite(value) && value >= 0;
}

static bool id_valid(const char *id)
{
	size_t length = strnlen(id, SUBSTRATE_ID_SIZE);
	return length > 0 && length < SUBSTRATE_ID_SIZE;
}

/* Grows an array of `size`-byte items to hold one more. */
static int grow(void **array, uint32_t *capacity, uint32_t count, size_t size)
{
	if (count < *capacity)
		return 0;
	if (*capacity >= UINT32_MAX / 2)
		return -ENOMEM;
	uint32_t next = *capacity ? *capacity * 2 : 16;
	void *bigger = realloc(*array, (size_t)next * size);
	if (!bigger)
		return -ENOMEM;
	*array = bigger;
	*capacity = next;
	return 0;
}

int substrate_add_node(struct substrate *substrate,
		       const struct substrate_node *node)
{
	if (substrate->finalized)
		return -EBUSY;
	if (!id_valid(node->id) || !capacity_valid(node->cpu) ||
	    (node->has_memory && !capacity_valid(node->memory)) ||
	    (unsigned)node->position_kind >= SUBSTRATE_POSITION_KIND_COUNT)
		return -EINVAL;
	if (node->position_kind != SUBSTRATE_POSITION_NONE &&
	    (!isfinite(node->x) || !isfinite(node->y)))
		return -EINVAL;
	if (id_index_find(substrate->node_ids, substrate->nodes,
			  sizeof(*substrate->nodes), node->id) >= 0)
		return -EEXIST;
	if (grow((void **)&substrate->nodes, &substrate->node_capacity,
		 substrate->node_count, sizeof(*substrate->nodes)))
		return -ENOMEM;
	uint32_t index = substrate->node_count;
	struct substrate_node *added = &substrate->nodes[index];
	*added = *node;
	added->id[SUBSTRATE_ID_SIZE - 1] = '\0';
	added->site[SUBSTRATE_ID_SIZE - 1] = '\0';
	added->control[SUBSTRATE_CONTROL_SIZE - 1] = '\0';
	added->index = index;
	added->port_count = 0;
	added->port_capacity = 0;
	added->ports = NULL;
	if (!added->has_memory)
		added->memory = 0;
	if (added->position_kind == SUBSTRATE_POSITION_NONE)
		added->x = added->y = 0;
	if (id_index_insert(substrate->node_ids, substrate->nodes,
			    sizeof(*substrate->nodes), index))
		return -ENOMEM;
	substrate->node_count++;
	return (int)index;
}

int substrate_port_lookup(const struct substrate *substrate, uint32_t node,
			  const char *name)
{
	if (node >= substrate->node_count)
		return -1;
	const struct substrate_node *n = &substrate->nodes[node];
	for (uint32_t i = 0; i < n->port_count; i++)
		if (strcmp(n->ports[i].name, name) == 0)
			return (int)i;
	return -1;
}

int substrate_add_port(struct substrate *substrate, uint32_t node,
		       const char *name)
{
	if (substrate->finalized)
		return -EBUSY;
	if (node >= substrate->node_count || !name)
		return -EINVAL;
	size_t length = strnlen(name, SUBSTRATE_PORT_NAME_SIZE);
	if (length == 0 || length >= SUBSTRATE_PORT_NAME_SIZE ||
	    strchr(name, ':'))
		return -EINVAL;
	if (substrate_port_lookup(substrate, node, name) >= 0)
		return -EEXIST;
	struct substrate_node *n = &substrate->nodes[node];
	if (grow((void **)&n->ports, &n->port_capacity, n->port_count,
		 sizeof(*n->ports)))
		return -ENOMEM;
	struct substrate_port *port = &n->ports[n->port_count];
	memcpy(port->name, name, length + 1);
	port->link_first = SUBSTRATE_NONE;
	return (int)n->port_count++;
}

/* A new port "p<k>" with the first k not already taken. */
static int add_anonymous_port(struct substrate *substrate, uint32_t node)
{
	char name[SUBSTRATE_PORT_NAME_SIZE];
	for (uint32_t k = substrate->nodes[node].port_count;; k++) {
		snprintf(name, sizeof(name), "p%u", k);
		if (substrate_port_lookup(substrate, node, name) < 0)
			return substrate_add_port(substrate, node, name);
	}
}

static struct tag_range kind_bounds(enum substrate_link_kind kind)
{
	if (kind == SUBSTRATE_LINK_IP)
		return (struct tag_range){ SUBSTRATE_VNI_MIN, SUBSTRATE_VNI_MAX };
	return (struct tag_range){ SUBSTRATE_VLAN_MIN, SUBSTRATE_VLAN_MAX };
}

/* Does a link of `kind` with `tags` clash with one already on the port? */
static bool port_tags_overlap(const struct substrate *substrate,
			      struct substrate_endpoint end,
			      enum substrate_link_kind kind,
			      struct tag_range tags)
{
	const struct substrate_port *port =
		&substrate->nodes[end.node].ports[end.port];
	uint32_t index = port->link_first;
	while (index != SUBSTRATE_NONE) {
		const struct substrate_link *other = &substrate->links[index];
		if (other->kind == kind && other->tags.first <= tags.last &&
		    tags.first <= other->tags.last)
			return true;
		bool first_end = other->ends[0].node == end.node &&
				 other->ends[0].port == end.port;
		index = other->next_on_port[first_end ? 0 : 1];
	}
	return false;
}

int substrate_add_link(struct substrate *substrate,
		       const struct substrate_link *link,
		       struct substrate_link_end a, struct substrate_link_end b)
{
	if (substrate->finalized)
		return -EBUSY;
	if (!capacity_valid(link->bandwidth) || !capacity_valid(link->latency) ||
	    (unsigned)link->kind >= SUBSTRATE_LINK_KIND_COUNT)
		return -EINVAL;
	if (link->id[0] && !id_valid(link->id))
		return -EINVAL;
	if (a.node >= substrate->node_count || b.node >= substrate->node_count)
		return -ENOENT;
	if (a.node == b.node)
		return -EINVAL;
	struct tag_range bounds = kind_bounds(link->kind);
	struct tag_range tags = link->tags;
	if (tags.first == 0 && tags.last == 0)
		tags = bounds;
	if (tags.first > tags.last || tags.first < bounds.first ||
	    tags.last > bounds.last)
		return -EINVAL;
	if (link->id[0] && id_index_find(substrate->link_ids, substrate->links,
					 sizeof(*substrate->links),
					 link->id) >= 0)
		return -EEXIST;
	/* Check named ports before making anonymous ones, so a failed call
	 * leaves the substrate as it was. */
	if ((a.port && a.port[0] &&
	     substrate_port_lookup(substrate, a.node, a.port) < 0) ||
	    (b.port && b.port[0] &&
	     substrate_port_lookup(substrate, b.node, b.port) < 0))
		return -ENOENT;
	if (grow((void **)&substrate->links, &substrate->link_capacity,
		 substrate->link_count, sizeof(*substrate->links)))
		return -ENOMEM;

	/* Named ports: already checked to exist; their tag ranges must not
	 * overlap those of links already there. New ports cannot clash. */
	struct substrate_link_end wanted[2] = { a, b };
	struct substrate_endpoint ends[2];
	bool named[2];
	for (int i = 0; i < 2; i++) {
		named[i] = wanted[i].port && wanted[i].port[0];
		ends[i].node = wanted[i].node;
		ends[i].port = named[i] ? (uint32_t)substrate_port_lookup(
						  substrate, wanted[i].node,
						  wanted[i].port)
					: 0;
		if (named[i] &&
		    port_tags_overlap(substrate, ends[i], link->kind, tags))
			return -EADDRINUSE;
	}
	for (int i = 0; i < 2; i++) {
		if (named[i])
			continue;
		int port = add_anonymous_port(substrate, ends[i].node);
		if (port < 0) {
			if (i == 1 && !named[0])
				substrate->nodes[ends[0].node].port_count--;
			return port;
		}
		ends[i].port = (uint32_t)port;
	}

	uint32_t index = substrate->link_count;
	struct substrate_link *added = &substrate->links[index];
	*added = *link;
	added->id[SUBSTRATE_ID_SIZE - 1] = '\0';
	if (!added->id[0]) {
		snprintf(added->id, sizeof(added->id), "l%u", index);
		for (unsigned k = 1;
		     id_index_find(substrate->link_ids, substrate->links,
				   sizeof(*substrate->links), added->id) >= 0;
		     k++)
			snprintf(added->id, sizeof(added->id), "l%u.%u", index,
				 k);
	}
	added->index = index;
	added->tags = tags;
	for (int i = 0; i < 2; i++) {
		added->ends[i] = ends[i];
		struct substrate_port *p =
			&substrate->nodes[ends[i].node].ports[ends[i].port];
		added->next_on_port[i] = p->link_first;
		p->link_first = index;
	}
	if (id_index_insert(substrate->link_ids, substrate->links,
			    sizeof(*substrate->links), index)) {
		for (int i = 0; i < 2; i++)
			substrate->nodes[ends[i].node]
				.ports[ends[i].port]
				.link_first = added->next_on_port[i];
		return -ENOMEM;
	}
	substrate->link_count++;
	return (int)index;
}

/* Union-find root with path halving. */
static uint32_t component_root(uint32_t *parent, uint32_t node)
{
	while (parent[node] != node) {
		parent[node] = parent[parent[node]];
		node = parent[node];
	}
	return node;
}

int substrate_finalize(struct substrate *substrate)
{
	if (substrate->finalized)
		return 0;
	uint32_t nodes = substrate->node_count;
	uint32_t links = substrate->link_count;
	uint32_t *start = calloc((size_t)nodes + 1, sizeof(*start));
	struct substrate_arc *arcs =
		malloc(((size_t)links * 2 + 1) * sizeof(*arcs));
	uint32_t *fill = malloc(((size_t)nodes + 1) * sizeof(*fill));
	if (!start || !arcs || !fill) {
		free(start);
		free(arcs);
		free(fill);
		return -ENOMEM;
	}
	for (uint32_t l = 0; l < links; l++) {
		start[substrate->links[l].ends[0].node + 1]++;
		start[substrate->links[l].ends[1].node + 1]++;
	}
	for (uint32_t n = 0; n < nodes; n++)
		start[n + 1] += start[n];
	memcpy(fill, start, (size_t)nodes * sizeof(*fill));
	for (uint32_t l = 0; l < links; l++) {
		const struct substrate_link *link = &substrate->links[l];
		uint32_t u = link->ends[0].node;
		uint32_t v = link->ends[1].node;
		arcs[fill[u]++] = (struct substrate_arc){ l, v, link->latency,
							  link->bandwidth };
		arcs[fill[v]++] = (struct substrate_arc){ l, u, link->latency,
							  link->bandwidth };
	}

	/* Components, reusing `fill` as the union-find forest. */
	uint32_t components = nodes;
	for (uint32_t n = 0; n < nodes; n++)
		fill[n] = n;
	for (uint32_t l = 0; l < links; l++) {
		uint32_t u = component_root(fill, substrate->links[l].ends[0].node);
		uint32_t v = component_root(fill, substrate->links[l].ends[1].node);
		if (u != v) {
			fill[u] = v;
			components--;
		}
	}
	free(fill);

	substrate->arc_start = start;
	substrate->arcs = arcs;
	substrate->component_count = components;
	substrate->finalized = true;
	return 0;
}

int substrate_node_lookup(const struct substrate *substrate, const char *id)
{
	return id_index_find(substrate->node_ids, substrate->nodes,
			     sizeof(*substrate->nodes), id);
}

int substrate_link_lookup(const struct substrate *substrate, const char *id)
{
	return id_index_find(substrate->link_ids, substrate->links,
			     sizeof(*substrate->links), id);
}

double substrate_total_cpu(const struct substrate *substrate)
{
	double total = 0;
	for (uint32_t i = 0; i < substrate->node_count; i++)
		total += substrate->nodes[i].cpu;
	return total;
}

double substrate_total_bandwidth(const struct substrate *substrate)
{
	double total = 0;
	for (uint32_t i = 0; i < substrate->link_count; i++)
		total += substrate->links[i].bandwidth;
	return total;
}

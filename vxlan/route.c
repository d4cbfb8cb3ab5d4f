/* Underlay routes: connected subnet and static routes, longest-prefix
 * match by a linear scan of an array sorted longest prefix first. Control
 * thread only (see vxlan.h). */
#include "vxlan.h"

#include <stdlib.h>

struct vxlan_route_table {
	uint32_t capacity;
	uint32_t count;
	struct vxlan_route routes[]; /* longest prefix first */
};

static uint32_t prefix_mask(uint8_t length)
{
	return length == 0 ? 0 : 0xffffffffu << (32 - length);
}

struct vxlan_route_table *vxlan_route_table_create(uint32_t capacity)
{
	struct vxlan_route_table *table =
		calloc(1, sizeof(*table) +
				  (size_t)capacity * sizeof(table->routes[0]));

	if (table)
		table->capacity = capacity;
	return table;
}

void vxlan_route_table_free(struct vxlan_route_table *table)
{
	free(table);
}

int vxlan_route_add(struct vxlan_route_table *table, uint32_t prefix,
		    uint8_t length, uint32_t next_hop)
{
	uint32_t i;

	if (length > 32 || (prefix & ~prefix_mask(length)) != 0)
		return -1;
	for (i = 0; i < table->count; i++) {
		struct vxlan_route *route = &table->routes[i];

		if (route->length == length && route->prefix == prefix) {
			route->next_hop = next_hop;
			return 0;
		}
		if (route->length < length)
			break;
	}
	if (table->count == table->capacity)
		return -1;
	memmove(&table->routes[i + 1], &table->routes[i],
		(table->count - i) * sizeof(table->routes[0]));
	table->routes[i] = (struct vxlan_route){
		.prefix = prefix, .length = length, .next_hop = next_hop
	};
	table->count++;
	return 0;
}

int vxlan_route_add_connected(struct vxlan_route_table *table,
			      const struct vxlan_underlay *underlay)
{
	if (underlay->prefix_length > 32)
		return -1;
	return vxlan_route_add(table,
			       underlay->address &
				       prefix_mask(underlay->prefix_length),
			       underlay->prefix_length, 0);
}

int vxlan_route_remove(struct vxlan_route_table *table, uint32_t prefix,
		       uint8_t length)
{
	for (uint32_t i = 0; i < table->count; i++) {
		if (table->routes[i].length == length &&
		    table->routes[i].prefix == prefix) {
			memmove(&table->routes[i], &table->routes[i + 1],
				(table->count - i - 1) *
					sizeof(table->routes[0]));
			table->count--;
			return 0;
		}
	}
	return -1;
}

bool vxlan_route_lookup(const struct vxlan_route_table *table,
			uint32_t destination, uint32_t *next_hop)
{
	for (uint32_t i = 0; i < table->count; i++) {
		const struct vxlan_route *route = &table->routes[i];

		if ((destination & prefix_mask(route->length)) ==
		    route->prefix) {
			*next_hop = route->next_hop ? route->next_hop
						    : destination;
			return true;
		}
	}
	return false;
}

uint32_t vxlan_route_count(const struct vxlan_route_table *table)
{
	return table->count;
}

const struct vxlan_route *
vxlan_route_at(const struct vxlan_route_table *table, uint32_t i)
{
	return i < table->count ? &table->routes[i] : NULL;
}

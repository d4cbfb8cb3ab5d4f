/* VNet requests: the rules a schema cannot say, checked on the model as a
 * reader fills it (Loom's XML in vnet_request.c, GENI RSpec in rspec.c):
 * values (CPU, image, MACs, lease end), placements, unique ids and MACs,
 * and the links (endpoints that exist, an interface on one link only, no
 * node joined to itself, two endpoints or more). Errors point at the
 * element and attribute the reader named in the builder. */
#include "vnet_request_private.h"

#include <stdlib.h>
#include <string.h>

int vnet_check_cpu(struct vnet_builder *builder, const struct vnet_node *node,
		   const char *element, const char *attribute)
{
	if (node->cpu > 0)
		return 0;
	return vnet_error_set(builder->error, VNET_REQUEST_CPU, node->line,
			      element, attribute,
			      "node '%s' needs more than 0 cores", node->id);
}

int vnet_check_image(struct vnet_builder *builder,
		     const struct vnet_node *node, const char *attribute)
{
	if (node->kind == VNET_NODE_VM && !node->image)
		return vnet_error_set(builder->error, VNET_REQUEST_IMAGE,
				      node->line, "node", attribute,
				      "vm node '%s' needs an image", node->id);
	if (node->kind == VNET_NODE_HOST && node->image)
		return vnet_error_set(builder->error, VNET_REQUEST_IMAGE,
				      node->line, "node", attribute,
				      "host node '%s' cannot have an image "
				      "(only vm nodes boot one)",
				      node->id);
	return 0;
}

int vnet_check_mac(struct vnet_builder *builder,
		   const struct vnet_interface *iface, const char *element)
{
	static const uint8_t zero[6];
	if (iface->mac[0] & 1)
		return vnet_error_set(builder->error, VNET_REQUEST_MAC,
				      iface->line, element,
				      builder->mac_attribute,
				      "a multicast MAC (group bit set) cannot "
				      "be an interface's address");
	if (memcmp(iface->mac, zero, 6) == 0)
		return vnet_error_set(builder->error, VNET_REQUEST_MAC,
				      iface->line, element,
				      builder->mac_attribute,
				      "the all-zero MAC is not an address");
	return 0;
}

int vnet_check_lease(struct vnet_builder *builder, const char *text,
		     unsigned line, const char *element, const char *attribute)
{
	struct vnet_request *request = &builder->request;
	const char *reason = NULL;
	if (!vnet_parse_date_time(text, &request->lease_end, &reason))
		return vnet_error_set(builder->error, VNET_REQUEST_LEASE, line,
				      element, attribute, "'%s': %s", text,
				      reason);
	request->has_lease_end = true;
	if (request->lease_end <= builder->now)
		return vnet_error_set(builder->error, VNET_REQUEST_LEASE, line,
				      element, attribute,
				      "the lease ends at %s, which is not in "
				      "the future",
				      text);
	return 0;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int vnet_check_placement(struct vnet_builder *builder,
			 struct vnet_placement *placement, unsigned line,
			 const char *element)
{
	if (placement->substrate_node_count < 2)
		return 0;
	/* Sorted order is as good as any for an allowed set, and shows
	 * duplicates. */
	qsort(placement->substrate_nodes, placement->substrate_node_count,
	      sizeof(char *), compare_strings);
	for (uint32_t i = 1; i < placement->substrate_node_count; i++)
		if (strcmp(placement->substrate_nodes[i - 1],
			   placement->substrate_nodes[i]) == 0)
			return vnet_error_set(builder->error,
					      VNET_REQUEST_PLACEMENT, line,
					      element, NULL,
					      "substrate node '%s' listed twice",
					      placement->substrate_nodes[i]);
	return 0;
}

/* ---- Unique ids ---------------------------------------------------------- */

static int compare_entries(const void *a, const void *b)
{
	const struct vnet_id_entry *x = a, *y = b;
	int order = strcmp(x->id, y->id);
	if (order)
		return order;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Sorts entries by id and finds the duplicate whose second occurrence
 * comes first in the document (deterministic whatever qsort does with
 * ties). */
static bool find_duplicate(struct vnet_id_entry *entries, uint32_t count,
			   const struct vnet_id_entry **second,
			   const struct vnet_id_entry **first)
{
	qsort(entries, count, sizeof(*entries), compare_entries);
	*second = *first = NULL;
	for (uint32_t i = 1; i < count; i++) {
		if (strcmp(entries[i - 1].id, entries[i].id) != 0)
			continue;
		if (!*second || entries[i].index < (*second)->index) {
			*second = &entries[i];
			*first = &entries[i - 1];
		}
	}
	return *second != NULL;
}

static int check_unique(struct vnet_builder *builder,
			struct vnet_id_entry *entries, uint32_t count,
			const char *element)
{
	const struct vnet_id_entry *second, *first;
	if (!find_duplicate(entries, count, &second, &first))
		return 0;
	return vnet_error_set(builder->error, VNET_REQUEST_DUPLICATE_ID,
			      second->line, element, builder->id_attribute,
			      "duplicate %s id '%s' (first at line %u)",
			      element, second->id, first->line);
}

static const struct vnet_id_entry *
find_entry(const struct vnet_id_entry *entries, uint32_t count, const char *id)
{
	uint32_t low = 0, high = count;
	while (low < high) {
		uint32_t middle = low + (high - low) / 2;
		int order = strcmp(entries[middle].id, id);
		if (order == 0)
			return &entries[middle];
		if (order < 0)
			low = middle + 1;
		else
			high = middle;
	}
	return NULL;
}

static int check_macs(struct vnet_builder *builder)
{
	struct vnet_request *request = &builder->request;
	uint32_t count = 0;
	struct vnet_id_entry *entries =
		calloc(request->interface_count + 1, sizeof(*entries));
	char(*texts)[18] = calloc(request->interface_count + 1, 18);
	if (!entries || !texts) {
		free(entries);
		free(texts);
		return vnet_out_of_memory(builder);
	}
	for (uint32_t i = 0; i < request->interface_count; i++) {
		const struct vnet_interface *iface = &request->interfaces[i];
		if (!iface->has_mac)
			continue;
		vnet_mac_format(iface->mac, texts[i], sizeof(texts[i]));
		entries[count++] = (struct vnet_id_entry){
			.id = texts[i], .index = i, .line = iface->line
		};
	}
	const struct vnet_id_entry *second, *first;
	int result = 0;
	if (find_duplicate(entries, count, &second, &first))
		result = vnet_error_set(builder->error,
					VNET_REQUEST_DUPLICATE_MAC,
					second->line, "interface",
					builder->mac_attribute,
					"MAC %s is used twice (first at line "
					"%u)",
					second->id, first->line);
	free(entries);
	free(texts);
	return result;
}

int vnet_check_ids(struct vnet_builder *builder)
{
	struct vnet_request *request = &builder->request;
	struct vnet_id_entry *nodes =
		calloc(request->node_count + 1, sizeof(*nodes));
	builder->interface_index = calloc(request->interface_count + 1,
					  sizeof(*builder->interface_index));
	builder->node_marks =
		calloc(request->node_count + 1, sizeof(*builder->node_marks));
	if (!nodes || !builder->interface_index || !builder->node_marks) {
		free(nodes);
		return vnet_out_of_memory(builder);
	}
	for (uint32_t i = 0; i < request->node_count; i++)
		nodes[i] = (struct vnet_id_entry){ .id = request->nodes[i].id,
						   .index = i,
						   .line = request->nodes[i].line };
	int result = check_unique(builder, nodes, request->node_count, "node");
	free(nodes);
	if (result < 0)
		return -1;
	struct vnet_id_entry *interfaces = builder->interface_index;
	for (uint32_t i = 0; i < request->interface_count; i++)
		interfaces[i] = (struct vnet_id_entry){
			.id = request->interfaces[i].id,
			.index = i,
			.line = request->interfaces[i].line
		};
	if (check_unique(builder, interfaces, request->interface_count,
			 "interface") < 0)
		return -1;
	return check_macs(builder);
}

/* ---- Links --------------------------------------------------------------- */

void vnet_link_begin(struct vnet_builder *builder)
{
	builder->endpoint_capacity = 0;
}

int vnet_link_add_endpoint(struct vnet_builder *builder, uint32_t link_index,
			   const char *id, unsigned line,
			   struct vnet_endpoint **endpoint_out)
{
	struct vnet_request *request = &builder->request;
	struct vnet_link *link = &request->links[link_index];
	if (vnet_grow((void **)&link->endpoints, &builder->endpoint_capacity,
		      link->endpoint_count, sizeof(*link->endpoints)) < 0)
		return vnet_out_of_memory(builder);
	struct vnet_endpoint *endpoint =
		&link->endpoints[link->endpoint_count++];
	endpoint->line = line;
	endpoint->send_kbps = link->capacity_kbps;
	endpoint->receive_kbps = link->capacity_kbps;
	const char *element = builder->endpoint_element;
	const char *attribute = builder->endpoint_attribute;
	const struct vnet_id_entry *found =
		find_entry(builder->interface_index, request->interface_count,
			   vnet_skip_blanks(id));
	if (!found)
		return vnet_error_set(builder->error,
				      VNET_REQUEST_UNKNOWN_INTERFACE, line,
				      element, attribute,
				      "link '%s' names interface '%s', which "
				      "no node has",
				      link->id, id);
	struct vnet_interface *iface = &request->interfaces[found->index];
	if (iface->link >= 0) {
		const struct vnet_link *other = &request->links[iface->link];
		return vnet_error_set(
			builder->error, VNET_REQUEST_INTERFACE_REUSED, line,
			element, attribute,
			"interface '%s' is already an endpoint of link '%s' "
			"(line %u); an interface joins at most one link",
			iface->id, other->id,
			(int32_t)link_index == iface->link ? link->line :
							     other->line);
	}
	if (builder->node_marks[iface->node] == link_index + 1)
		return vnet_error_set(builder->error, VNET_REQUEST_SELF_LINK,
				      line, element, attribute,
				      "link '%s' joins node '%s' to itself "
				      "(two of its endpoints are on it)",
				      link->id,
				      request->nodes[iface->node].id);
	builder->node_marks[iface->node] = link_index + 1;
	iface->link = (int32_t)link_index;
	endpoint->interface = found->index;
	*endpoint_out = endpoint;
	return 0;
}

int vnet_check_endpoint_capacity(struct vnet_builder *builder,
				 const struct vnet_link *link,
				 const struct vnet_endpoint *endpoint,
				 const char *send_attribute,
				 const char *receive_attribute)
{
	if (endpoint->send_kbps && endpoint->receive_kbps)
		return 0;
	return vnet_error_set(builder->error, VNET_REQUEST_CAPACITY,
			      endpoint->line, builder->endpoint_element,
			      endpoint->send_kbps == 0 ? send_attribute :
							 receive_attribute,
			      "link '%s': an endpoint's capacity must be above "
			      "0 kbit/s",
			      link->id);
}

int vnet_check_link(struct vnet_builder *builder, const struct vnet_link *link)
{
	if (link->endpoint_count >= 2)
		return 0;
	return vnet_error_set(builder->error, VNET_REQUEST_TOO_FEW_ENDPOINTS,
			      link->line, "link", NULL,
			      "link '%s' has %u endpoint%s; a link joins two "
			      "or more interfaces",
			      link->id, link->endpoint_count,
			      link->endpoint_count == 1 ? "" : "s");
}

int vnet_check_link_ids(struct vnet_builder *builder)
{
	struct vnet_request *request = &builder->request;
	struct vnet_id_entry *links =
		calloc(request->link_count + 1, sizeof(*links));
	if (!links)
		return vnet_out_of_memory(builder);
	for (uint32_t i = 0; i < request->link_count; i++)
		links[i] = (struct vnet_id_entry){ .id = request->links[i].id,
						   .index = i,
						   .line = request->links[i].line };
	int result = check_unique(builder, links, request->link_count, "link");
	free(links);
	return result;
}

void vnet_builder_release(struct vnet_builder *builder)
{
	free(builder->interface_index);
	free(builder->node_marks);
	builder->interface_index = NULL;
	builder->node_marks = NULL;
}

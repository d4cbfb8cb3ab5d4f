/* A parsed VNet request as JSON, for the control plane's API answers
 * (docs/vnet-request.md shows the shape). Apart from vnet_request.c so
 * each stays short; it reads only the public model. */
#include "control.h"

#include <stdio.h>
#include <time.h>

/* json_object_set_new that remembers a failure. */
static void put(json_t *object, const char *key, json_t *value, bool *failed)
{
	if (!value || json_object_set_new(object, key, value) < 0)
		*failed = true;
}

static void append(json_t *array, json_t *value, bool *failed)
{
	if (!value || json_array_append_new(array, value) < 0)
		*failed = true;
}

static json_t *placement_to_json(const struct vnet_placement *placement,
				 bool *failed)
{
	json_t *object = json_object();
	if (!object) {
		*failed = true;
		return NULL;
	}
	if (placement->substrate_node_count) {
		json_t *ids = json_array();
		for (uint32_t i = 0; ids && i < placement->substrate_node_count;
		     i++)
			append(ids, json_string(placement->substrate_nodes[i]),
			       failed);
		put(object, "substrate_nodes", ids, failed);
	}
	if (placement->site)
		put(object, "site", json_string(placement->site), failed);
	if (placement->has_near)
		put(object, "near",
		    json_pack("{s:f, s:f, s:f}", "x", placement->x, "y",
			      placement->y, "max_distance",
			      placement->max_distance),
		    failed);
	return object;
}

static json_t *interface_to_json(const struct vnet_request *request,
				 const struct vnet_interface *iface,
				 bool *failed)
{
	json_t *object = json_object();
	if (!object) {
		*failed = true;
		return NULL;
	}
	put(object, "id", json_string(iface->id), failed);
	if (iface->has_mac) {
		char mac[18];
		vnet_mac_format(iface->mac, mac, sizeof(mac));
		put(object, "mac", json_string(mac), failed);
	}
	json_t *addresses = json_array();
	for (uint32_t i = 0; addresses && i < iface->address_count; i++) {
		char text[64];
		vnet_address_format(&iface->addresses[i], text, sizeof(text));
		append(addresses, json_string(text), failed);
	}
	put(object, "addresses", addresses, failed);
	put(object, "link",
	    iface->link >= 0 ? json_string(request->links[iface->link].id) :
			       json_null(),
	    failed);
	return object;
}

static json_t *node_to_json(const struct vnet_request *request,
			    const struct vnet_node *node, bool *failed)
{
	json_t *object = json_object();
	if (!object) {
		*failed = true;
		return NULL;
	}
	put(object, "id", json_string(node->id), failed);
	put(object, "kind", json_string(vnet_node_kind_name(node->kind)),
	    failed);
	put(object, "cpu", json_real(node->cpu), failed);
	put(object, "memory_mib", json_integer(node->memory_mib), failed);
	if (node->image)
		put(object, "image", json_string(node->image), failed);
	const struct vnet_placement *placement = &node->placement;
	if (placement->substrate_node_count || placement->site ||
	    placement->has_near)
		put(object, "placement", placement_to_json(placement, failed),
		    failed);
	json_t *interfaces = json_array();
	for (uint32_t i = 0; interfaces && i < node->interface_count; i++)
		append(interfaces,
		       interface_to_json(
			       request,
			       &request->interfaces[node->interface_first + i],
			       failed),
		       failed);
	put(object, "interfaces", interfaces, failed);
	return object;
}

static json_t *link_to_json(const struct vnet_request *request,
			    const struct vnet_link *link, bool *failed)
{
	json_t *object = json_object();
	if (!object) {
		*failed = true;
		return NULL;
	}
	put(object, "id", json_string(link->id), failed);
	put(object, "isolation",
	    json_string(vnet_isolation_name(link->isolation)), failed);
	put(object, "mtu", json_integer(link->mtu), failed);
	put(object, "capacity_kbps", json_integer((json_int_t)link->capacity_kbps),
	    failed);
	put(object, "latency_ms", json_real(link->latency_ms), failed);
	put(object, "loss", json_real(link->loss), failed);
	json_t *endpoints = json_array();
	for (uint32_t i = 0; endpoints && i < link->endpoint_count; i++) {
		const struct vnet_endpoint *endpoint = &link->endpoints[i];
		const struct vnet_interface *iface =
			&request->interfaces[endpoint->interface];
		append(endpoints,
		       json_pack("{s:s, s:s, s:I, s:I}", "interface", iface->id,
				 "node", request->nodes[iface->node].id,
				 "send_kbps", (json_int_t)endpoint->send_kbps,
				 "receive_kbps",
				 (json_int_t)endpoint->receive_kbps),
		       failed);
	}
	put(object, "endpoints", endpoints, failed);
	return object;
}

json_t *vnet_request_to_json(const struct vnet_request *request)
{
	bool failed = false;
	json_t *object = json_object();
	if (!object)
		return NULL;
	put(object, "name", json_string(request->name ? request->name : ""),
	    &failed);
	if (request->has_lease_end) {
		char text[32];
		struct tm tm;
		time_t lease_end = request->lease_end;
		if (gmtime_r(&lease_end, &tm) &&
		    strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm))
			put(object, "lease_end", json_string(text), &failed);
		else
			failed = true;
	} else {
		put(object, "lease_end", json_null(), &failed);
	}
	json_t *nodes = json_array();
	for (uint32_t i = 0; nodes && i < request->node_count; i++)
		append(nodes, node_to_json(request, &request->nodes[i], &failed),
		       &failed);
	put(object, "nodes", nodes, &failed);
	json_t *links = json_array();
	for (uint32_t i = 0; links && i < request->link_count; i++)
		append(links, link_to_json(request, &request->links[i], &failed),
		       &failed);
	put(object, "links", links, &failed);
	json_t *extensions = json_array();
	for (uint32_t i = 0; extensions && i < request->extension_count; i++) {
		const struct vnet_extension *extension =
			&request->extensions[i];
		append(extensions,
		       json_pack("{s:s, s:s, s:s, s:s, s:b, s:i}", "namespace",
				 extension->namespace_uri, "name",
				 extension->name, "parent", extension->parent,
				 "text", extension->text, "attribute",
				 extension->attribute, "line",
				 (int)extension->line),
		       &failed);
	}
	put(object, "extensions", extensions, &failed);
	if (failed) {
		json_decref(object);
		return NULL;
	}
	return object;
}

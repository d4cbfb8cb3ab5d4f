/* Loom's manifest (the daemon's JSON, docs/api.md "Manifest") as a GENI
 * RSpec v3 manifest: what an SP's GENI tools expect back. Built with
 * libxml2's tree so every value is escaped; docs/rspec.md shows the
 * output. Only what the JSON holds is written: nodes with the substrate
 * node as component_id, interfaces with MAC and addresses, links with
 * their interface_refs, properties and per-hop tags (vlantag, and a
 * loom:hops extension element with every hop). */
#include "vnet_request_private.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/tree.h>

/* Pairwise properties are written for LANs up to this size (a property
 * per ordered pair grows as the square). */
#define PROPERTY_ENDPOINTS_MAX 32

struct manifest_writer {
	xmlDoc *document;
	xmlNs *loom;
	const char *authority;
	char vnet[32]; /* the VNet's id, or its name when it has none */
	bool failed;
};

static const xmlChar *x(const char *text)
{
	return (const xmlChar *)text;
}

static const char *string_of(const json_t *object, const char *key)
{
	return json_string_value(json_object_get(object, key));
}

static xmlNode *child(struct manifest_writer *writer, xmlNode *parent,
		      xmlNs *ns, const char *name)
{
	xmlNode *node = xmlNewChild(parent, ns, x(name), NULL);
	if (!node)
		writer->failed = true;
	return node;
}

static void attribute(struct manifest_writer *writer, xmlNode *node,
		      const char *name, const char *value)
{
	if (node && value && !xmlNewProp(node, x(name), x(value)))
		writer->failed = true;
}

static void urn(struct manifest_writer *writer, xmlNode *node,
		const char *name, const char *type, const char *first,
		const char *second)
{
	char text[512];
	snprintf(text, sizeof(text), "urn:publicid:IDN+%s+%s+%s%s%s",
		 writer->authority, type, first, second ? "." : "",
		 second ? second : "");
	attribute(writer, node, name, text);
}

/* "10.0.0.1/24" as ip address, netmask (IPv4 dotted; IPv6 the prefix
 * length) and type. */
static void add_ip(struct manifest_writer *writer, xmlNode *interface,
		   const char *text)
{
	struct vnet_address address;
	if (vnet_parse_address(text, &address))
		return; /* not the daemon's form: nothing to say */
	char host[64], netmask[16];
	vnet_address_format(&address, host, sizeof(host));
	*strchr(host, '/') = '\0';
	if (address.family == AF_INET) {
		uint32_t mask = address.prefix_length ?
					~0u << (32 - address.prefix_length) :
					0;
		snprintf(netmask, sizeof(netmask), "%u.%u.%u.%u", mask >> 24,
			 (mask >> 16) & 0xff, (mask >> 8) & 0xff, mask & 0xff);
	} else {
		snprintf(netmask, sizeof(netmask), "%u",
			 address.prefix_length);
	}
	xmlNode *ip = child(writer, interface, NULL, "ip");
	attribute(writer, ip, "address", host);
	attribute(writer, ip, "netmask", netmask);
	attribute(writer, ip, "type",
		  address.family == AF_INET ? "ipv4" : "ipv6");
}

static void add_node(struct manifest_writer *writer, xmlNode *root,
		     const json_t *node)
{
	const char *id = string_of(node, "id");
	const char *substrate_node = string_of(node, "substrate_node");
	const char *kind = string_of(node, "kind");
	bool vm = kind && strcmp(kind, "vm") == 0;
	xmlNode *element = child(writer, root, NULL, "node");
	attribute(writer, element, "client_id", id);
	if (substrate_node)
		urn(writer, element, "component_id", "node", substrate_node,
		    NULL);
	urn(writer, element, "component_manager_id", "authority", "cm", NULL);
	urn(writer, element, "sliver_id", "sliver", writer->vnet, id);
	attribute(writer, element, "exclusive", "false");
	xmlNode *sliver_type = child(writer, element, NULL, "sliver_type");
	attribute(writer, sliver_type, "name", vm ? "loom-vm" : "loom-host");
	const char *image = string_of(node, "image");
	if (vm && image) {
		xmlNode *disk_image =
			child(writer, sliver_type, NULL, "disk_image");
		attribute(writer, disk_image, "name", image);
	}
	size_t i;
	const json_t *interface;
	json_array_foreach(json_object_get(node, "interfaces"), i, interface)
	{
		const char *interface_id = string_of(interface, "id");
		if (!interface_id)
			continue;
		xmlNode *item = child(writer, element, NULL, "interface");
		attribute(writer, item, "client_id", interface_id);
		const char *port = string_of(interface, "switch_port");
		if (substrate_node && port) {
			char where[160];
			snprintf(where, sizeof(where), "%s:%s", substrate_node,
				 port);
			urn(writer, item, "component_id", "interface", where,
			    NULL);
		}
		urn(writer, item, "sliver_id", "sliver", writer->vnet,
		    interface_id);
		attribute(writer, item, "mac_address",
			  string_of(interface, "mac"));
		size_t a;
		const json_t *address;
		json_array_foreach(json_object_get(interface, "addresses"), a,
				   address)
			if (json_is_string(address))
				add_ip(writer, item,
				       json_string_value(address));
	}
	xmlNode *extension = child(writer, element, writer->loom, "node");
	attribute(writer, extension, "kind", kind);
	attribute(writer, extension, "substrate_node", substrate_node);
	attribute(writer, extension, "namespace", string_of(node, "namespace"));
}

/* The interface ids of a link: its "endpoints", or else the interfaces
 * whose "link" names it. A new array. */
static json_t *link_endpoints(const json_t *manifest, const json_t *link)
{
	const json_t *given = json_object_get(link, "endpoints");
	if (json_is_array(given))
		return json_deep_copy(given);
	json_t *found = json_array();
	const char *id = string_of(link, "id");
	size_t n, i;
	const json_t *node, *interface;
	json_array_foreach(json_object_get(manifest, "nodes"), n, node)
		json_array_foreach(json_object_get(node, "interfaces"), i,
				   interface)
		{
			const char *on = string_of(interface, "link");
			if (found && id && on && strcmp(on, id) == 0)
				json_array_append(found,
						  json_object_get(interface,
								  "id"));
		}
	return found;
}

static void add_link(struct manifest_writer *writer, xmlNode *root,
		     const json_t *manifest, const json_t *link)
{
	const char *id = string_of(link, "id");
	if (!id)
		return;
	xmlNode *element = child(writer, root, NULL, "link");
	attribute(writer, element, "client_id", id);
	urn(writer, element, "sliver_id", "sliver", writer->vnet, id);
	/* vlantag (required by the manifest schema): the tags of the hops
	 * in order, comma-separated; "" for a link inside one substrate
	 * node. */
	char tags[512] = "";
	size_t used = 0, h;
	const json_t *hop;
	const json_t *hops = json_object_get(link, "hops");
	json_array_foreach(hops, h, hop)
	{
		json_int_t tag = json_integer_value(json_object_get(hop, "tag"));
		int written = snprintf(tags + used, sizeof(tags) - used,
				       "%s%" JSON_INTEGER_FORMAT,
				       used ? "," : "", tag);
		if (written < 0 || (size_t)written >= sizeof(tags) - used) {
			tags[used] = '\0';
			break;
		}
		used += (size_t)written;
	}
	attribute(writer, element, "vlantag", tags);

	json_t *endpoints = link_endpoints(manifest, link);
	size_t e, f;
	const json_t *endpoint, *other;
	json_array_foreach(endpoints, e, endpoint)
	{
		xmlNode *ref = child(writer, element, NULL, "interface_ref");
		attribute(writer, ref, "client_id",
			  json_string_value(endpoint));
	}
	char capacity[32] = "", latency[32] = "";
	json_int_t kbps = json_integer_value(json_object_get(link,
							     "capacity_kbps"));
	if (kbps > 0)
		snprintf(capacity, sizeof(capacity), "%" JSON_INTEGER_FORMAT,
			 kbps);
	double ms = json_number_value(json_object_get(link, "latency_ms"));
	if (ms > 0)
		snprintf(latency, sizeof(latency), "%g", ms);
	if (json_array_size(endpoints) <= PROPERTY_ENDPOINTS_MAX)
		json_array_foreach(endpoints, e, endpoint)
			json_array_foreach(endpoints, f, other)
		{
			if (e == f || !json_is_string(endpoint) ||
			    !json_is_string(other))
				continue;
			xmlNode *property =
				child(writer, element, NULL, "property");
			attribute(writer, property, "source_id",
				  json_string_value(endpoint));
			attribute(writer, property, "dest_id",
				  json_string_value(other));
			if (capacity[0])
				attribute(writer, property, "capacity",
					  capacity);
			if (latency[0])
				attribute(writer, property, "latency", latency);
		}
	json_decref(endpoints);
	const char *isolation = string_of(link, "isolation");
	xmlNode *link_type = child(writer, element, NULL, "link_type");
	attribute(writer, link_type, "name",
		  isolation && strcmp(isolation, "vxlan") == 0 ? "vxlan" :
								 "lan");

	xmlNode *hop_list = child(writer, element, writer->loom, "hops");
	attribute(writer, hop_list, "isolation", isolation);
	json_array_foreach(hops, h, hop)
	{
		xmlNode *item = child(writer, hop_list, writer->loom, "hop");
		attribute(writer, item, "substrate_link",
			  string_of(hop, "substrate_link"));
		attribute(writer, item, "from", string_of(hop, "from"));
		attribute(writer, item, "to", string_of(hop, "to"));
		attribute(writer, item, "kind", string_of(hop, "kind"));
		char tag[24];
		snprintf(tag, sizeof(tag), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(hop, "tag")));
		attribute(writer, item, "tag", tag);
	}
}

char *rspec_manifest(const json_t *manifest)
{
	const json_t *nodes = json_object_get(manifest, "nodes");
	if (!json_is_object(manifest) || !json_is_array(nodes))
		return NULL;
	size_t i;
	const json_t *item;
	json_array_foreach(nodes, i, item)
		if (!string_of(item, "id"))
			return NULL;
	struct manifest_writer writer = {
		.authority = string_of(manifest, "authority") ?
				     string_of(manifest, "authority") :
				     RSPEC_DEFAULT_AUTHORITY,
	};
	const json_t *id = json_object_get(manifest, "id");
	if (json_is_integer(id))
		snprintf(writer.vnet, sizeof(writer.vnet),
			 "%" JSON_INTEGER_FORMAT, json_integer_value(id));
	else
		snprintf(writer.vnet, sizeof(writer.vnet), "%s",
			 string_of(manifest, "name") ?
				 string_of(manifest, "name") :
				 "vnet");

	xmlInitParser();
	writer.document = xmlNewDoc(x("1.0"));
	xmlNode *root = writer.document ?
				xmlNewNode(NULL, x("rspec")) :
				NULL;
	if (!root) {
		xmlFreeDoc(writer.document);
		return NULL;
	}
	xmlDocSetRootElement(writer.document, root);
	xmlNs *rspec = xmlNewNs(root, x(RSPEC_V3_NAMESPACE), NULL);
	xmlNs *xsi = xmlNewNs(root, x(XSI_NAMESPACE), x("xsi"));
	writer.loom = xmlNewNs(root, x(VNET_REQUEST_NAMESPACE), x("loom"));
	if (!rspec || !xsi || !writer.loom)
		writer.failed = true;
	xmlSetNs(root, rspec);
	attribute(&writer, root, "type", "manifest");
	if (xsi && !xmlNewNsProp(root, xsi, x("schemaLocation"),
				 x(RSPEC_V3_NAMESPACE
				   " http://www.geni.net/resources/rspec/3/"
				   "manifest.xsd")))
		writer.failed = true;
	const json_t *lease_end = json_object_get(manifest, "lease_end");
	if (json_is_integer(lease_end)) {
		time_t seconds = (time_t)json_integer_value(lease_end);
		struct tm utc;
		char expires[32];
		if (gmtime_r(&seconds, &utc) &&
		    strftime(expires, sizeof(expires), "%Y-%m-%dT%H:%M:%SZ",
			     &utc))
			attribute(&writer, root, "expires", expires);
	}
	const char *name = string_of(manifest, "name");
	if (name && writer.loom &&
	    !xmlNewNsProp(root, writer.loom, x("name"), x(name)))
		writer.failed = true;

	json_array_foreach(nodes, i, item)
		add_node(&writer, root, item);
	json_array_foreach(json_object_get(manifest, "links"), i, item)
		add_link(&writer, root, manifest, item);

	char *text = NULL;
	if (!writer.failed) {
		xmlChar *buffer = NULL;
		int size = 0;
		xmlDocDumpFormatMemoryEnc(writer.document, &buffer, &size,
					  "UTF-8", 1);
		if (buffer)
			text = strdup((const char *)buffer);
		xmlFree(buffer);
	}
	xmlFreeDoc(writer.document);
	return text;
}

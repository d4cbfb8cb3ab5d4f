/* GENI RSpec v3 requests (and ProtoGENI v2 ones, the same elements in an
 * older namespace) into struct vnet_request, the model Loom's own format
 * fills. docs/rspec.md is the mapping and the reasons; in short:
 *   node -> node (sliver_type decides kind and image, emulab:xen cores
 *   and ram give CPU and memory, component_id and component_manager_id
 *   placement); interface and ip -> interface and addresses; link with
 *   interface_refs -> link (two) or LAN (more), property -> capacity per
 *   direction, latency, loss; link_type -> isolation.
 *
 * Three passes over one document read safely by vnet_xml_read: the
 * structure (every element of the RSpec namespace must be one a request
 * may hold there; no element without a namespace), the model (with the
 * same checks as Loom's format, vnet_request_check.c), and the extensions
 * (other namespaces, unknown attributes and the RSpec elements Loom does
 * not use, kept and ignored). Lenient where the meaning is clear (no
 * schema validation: real files bend it), strict where it is not. */
#include "vnet_request_private.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define EMULAB_NAMESPACE "http://www.protogeni.net/resources/rspec/ext/emulab/1"
#define MAX_CAPACITY_KBPS 10000000000ull /* 10 Tbit/s, as Loom's format */
#define MAX_IMAGE_LENGTH 1024
#define IDENTIFIER_MAX 63

struct rspec_reader {
	struct vnet_builder builder;
	const char *uri; /* the root's namespace: v3 or ProtoGENI v2 */
};

/* ---- The elements a request may hold -------------------------------------
 *
 * children: the RSpec elements allowed in each RSpec element (from the
 * RSpec v3 request schema); mapped: those Loom reads, the others are kept
 * whole as ignored extensions. attributes: those of the schema (or of
 * real files); any other unqualified attribute is kept as an extension. */
struct element_rule {
	const char *name;
	const char *children;
	const char *mapped;
	const char *attributes;
};

static const struct element_rule element_rules[] = {
	{ "rspec", "node link", "node link",
	  "type expires generated generated_by" },
	{ "node",
	  "sliver_type interface services relation location hardware_type",
	  "sliver_type interface",
	  "client_id component_id component_manager_id component_name "
	  "exclusive colocate" },
	/* disk_image: read for VMs (is_consumed), kept for hosts. */
	{ "sliver_type", "disk_image", "", "name" },
	{ "disk_image", "", "", "name os version description url" },
	{ "interface", "ip", "ip", "client_id component_id mac_address" },
	{ "ip", "", "", "address netmask type" },
	{ "link",
	  "interface_ref property link_type component_manager component_hop "
	  "link_class",
	  "interface_ref property link_type", "client_id" },
	{ "interface_ref", "", "", "client_id component_id" },
	{ "property", "", "",
	  "source_id dest_id capacity latency packet_loss" },
	{ "link_type", "", "", "name class" },
};

static const struct element_rule *rule_of(const xmlNode *element)
{
	for (size_t i = 0; i < sizeof(element_rules) / sizeof(element_rules[0]);
	     i++)
		if (strcmp(element_rules[i].name,
			   (const char *)element->name) == 0)
			return &element_rules[i];
	return NULL;
}

/* Whether word is one of the blank-separated words of list. */
static bool in_list(const char *list, const char *word)
{
	size_t length = strlen(word);
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, " ");
		if (n == length && strncmp(p, word, n) == 0)
			return true;
		p += n;
		p += strspn(p, " ");
	}
	return false;
}

static bool is_rspec(const struct rspec_reader *reader, const xmlNode *node)
{
	return node->type == XML_ELEMENT_NODE &&
	       vnet_has_namespace(node, reader->uri);
}

static bool is_rspec_element(const struct rspec_reader *reader,
			     const xmlNode *node, const char *name)
{
	return is_rspec(reader, node) &&
	       strcmp((const char *)node->name, name) == 0;
}

static struct vnet_request_error *error_of(struct rspec_reader *reader)
{
	return reader->builder.error;
}

/* ---- Sliver types and link types ----------------------------------------- */

#define foreach_rspec_sliver_class                                          \
	_(HOST, "host")                                                     \
	_(VM, "vm")                                                         \
	_(DELAY, "delay node")                                              \
	_(UNKNOWN, "unknown")

enum rspec_sliver_class {
#define _(name, text) RSPEC_SLIVER_##name,
	foreach_rspec_sliver_class
#undef _
};

/* VMs: the Xen and KVM types of InstaGENI/ProtoGENI, the generic
 * "default-vm", and OpenStack flavors (GRAM's m1.*). Hosts (a network
 * namespace): bare machines and containers, whose network stack is what
 * a namespace gives. */
static const char *const vm_sliver_types[] = {
	"emulab-xen", "xen-vm", "default-vm", "emulab-kvm", "kvm-vm", "qemu-vm",
	"virtual-machine", NULL
};
static const char *const host_sliver_types[] = {
	"raw-pc", "emulab-openvz", "openvz", "virtual-pc", "emulab-docker",
	"docker-container", "container", "default", NULL
};

static bool in_names(const char *const *names, const char *name)
{
	for (; *names; names++)
		if (strcasecmp(*names, name) == 0)
			return true;
	return false;
}

static enum rspec_sliver_class sliver_class(const char *name)
{
	if (in_names(vm_sliver_types, name) || strncmp(name, "m1.", 3) == 0)
		return RSPEC_SLIVER_VM;
	if (in_names(host_sliver_types, name))
		return RSPEC_SLIVER_HOST;
	if (strcasecmp(name, "delay") == 0 ||
	    strcasecmp(name, "delay-node") == 0)
		return RSPEC_SLIVER_DELAY;
	return RSPEC_SLIVER_UNKNOWN;
}

/* The class of a node's sliver_type element (absent: a host). */
static enum rspec_sliver_class node_sliver_class(struct rspec_reader *reader,
						 const xmlNode *node)
{
	for (const xmlNode *child = node->children; child; child = child->next)
		if (is_rspec_element(reader, child, "sliver_type")) {
			const xmlAttr *name =
				vnet_find_attribute(child, "name");
			char *text = name ? vnet_attribute_text(name) : NULL;
			enum rspec_sliver_class class =
				text ? sliver_class(vnet_skip_blanks(text)) :
				       RSPEC_SLIVER_UNKNOWN;
			free(text);
			return class;
		}
	return RSPEC_SLIVER_HOST;
}

struct link_type {
	const char *name;
	enum vnet_isolation isolation;
};

/* An ordinary layer-2 link (the aggregate's VLANs) leaves Loom free per
 * hop; an IP tunnel is what VXLAN is. */
static const struct link_type link_types[] = {
	{ "lan", VNET_ISOLATION_ANY },
	{ "vlan", VNET_ISOLATION_ANY },
	{ "gre-tunnel", VNET_ISOLATION_VXLAN },
	{ "egre-tunnel", VNET_ISOLATION_VXLAN },
	{ "vxlan", VNET_ISOLATION_VXLAN },
};

/* ---- Values -------------------------------------------------------------- */

/* Loom's identifiers: 1 to 63 of [A-Za-z0-9._:-], starting with a letter
 * or digit (they become the embedder's and the switches' names). */
static bool is_identifier(const char *text)
{
	size_t length = strlen(text);
	if (length == 0 || length > IDENTIFIER_MAX)
		return false;
	for (size_t i = 0; i < length; i++) {
		char c = text[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || !strchr("._:-", c)))
			return false;
	}
	return true;
}

/* A required client_id that is a Loom identifier, into *value. */
static int read_client_id(struct rspec_reader *reader, const xmlNode *element,
			  char **value)
{
	struct vnet_builder *builder = &reader->builder;
	const char *element_name = (const char *)element->name;
	if (vnet_read_string(builder, element, "client_id", value) < 0)
		return -1;
	if (!*value)
		return vnet_error_set(error_of(reader), VNET_REQUEST_SCHEMA,
				      vnet_line_of(element), element_name,
				      "client_id", "missing");
	if (!is_identifier(*value))
		return vnet_error_set(
			error_of(reader), VNET_REQUEST_SCHEMA,
			vnet_line_of(element), element_name, "client_id",
			"'%.80s' is not a Loom identifier (1 to 63 letters, "
			"digits, '.', '_', ':', '-', starting with a letter or "
			"digit)",
			*value);
	return 0;
}

/* "urn:publicid:IDN+AUTHORITY+TYPE+NAME": the authority and the name
 * (pointers into a copy the caller frees), or NULL when text is not a
 * URN of that type. */
static char *split_urn(const char *text, const char *type,
		       const char **authority, const char **name)
{
	static const char prefix[] = "urn:publicid:IDN+";
	text = vnet_skip_blanks(text);
	if (strncasecmp(text, prefix, sizeof(prefix) - 1) != 0)
		return NULL;
	char *copy = strdup(text + sizeof(prefix) - 1);
	if (!copy)
		return NULL;
	size_t length = strlen(copy);
	while (length && strchr(" \t\r\n", copy[length - 1]))
		copy[--length] = '\0';
	char *type_start = strchr(copy, '+');
	char *name_start = type_start ? strchr(type_start + 1, '+') : NULL;
	if (!type_start || !name_start || type_start == copy ||
	    !name_start[1] || strchr(name_start + 1, '+') ||
	    (size_t)(name_start - type_start - 1) != strlen(type) ||
	    strncmp(type_start + 1, type, strlen(type)) != 0) {
		free(copy);
		return NULL;
	}
	*type_start = '\0';
	*name_start = '\0';
	*authority = copy;
	*name = name_start + 1;
	return copy;
}

static int read_boolean(struct rspec_reader *reader, const xmlNode *element,
			const char *name)
{
	char *text = NULL;
	if (vnet_read_string(&reader->builder, element, name, &text) < 0)
		return -1;
	if (!text)
		return 0;
	const char *word = vnet_skip_blanks(text);
	size_t length = strcspn(word, " \t\r\n");
	bool good = vnet_only_blanks(word + length) &&
		    ((length == 4 && !strncmp(word, "true", 4)) ||
		     (length == 5 && !strncmp(word, "false", 5)) ||
		     (length == 1 && (*word == '0' || *word == '1')));
	free(text);
	if (!good)
		return vnet_error_set(error_of(reader), VNET_REQUEST_SCHEMA,
				      vnet_line_of(element),
				      (const char *)element->name, name,
				      "expected true or false");
	return 0;
}

/* ---- Nodes --------------------------------------------------------------- */

static int read_placement(struct rspec_reader *reader, struct vnet_node *node,
			  const xmlNode *element)
{
	struct vnet_builder *builder = &reader->builder;
	char *text = NULL;
	const char *authority, *name;
	if (vnet_read_string(builder, element, "component_manager_id", &text) <
	    0)
		return -1;
	if (text) {
		char *parts = split_urn(text, "authority", &authority, &name);
		bool good = parts && strlen(authority) <= IDENTIFIER_MAX;
		if (good)
			node->placement.site = strdup(authority);
		free(parts);
		if (!good) {
			vnet_error_set(error_of(reader), VNET_REQUEST_PLACEMENT,
				       node->line, "node",
				       "component_manager_id",
				       "'%.100s' is not an aggregate URN "
				       "(urn:publicid:IDN+AUTHORITY+authority+"
				       "cm, AUTHORITY at most 63 characters)",
				       text);
			free(text);
			return -1;
		}
		free(text);
		text = NULL;
		if (!node->placement.site)
			return vnet_out_of_memory(builder);
	}
	if (vnet_read_string(builder, element, "component_id", &text) < 0)
		return -1;
	if (!text)
		return 0;
	char *parts = split_urn(text, "node", &authority, &name);
	bool good = parts && strlen(name) <= IDENTIFIER_MAX;
	if (good) {
		node->placement.substrate_nodes = calloc(1, sizeof(char *));
		if (node->placement.substrate_nodes) {
			node->placement.substrate_nodes[0] = strdup(name);
			node->placement.substrate_node_count =
				node->placement.substrate_nodes[0] ? 1 : 0;
		}
	}
	free(parts);
	if (!good) {
		vnet_error_set(error_of(reader), VNET_REQUEST_PLACEMENT,
			       node->line, "node", "component_id",
			       "'%.100s' is not a node URN "
			       "(urn:publicid:IDN+AUTHORITY+node+NAME, NAME at "
			       "most 63 characters)",
			       text);
		free(text);
		return -1;
	}
	free(text);
	if (node->placement.substrate_node_count != 1)
		return vnet_out_of_memory(builder);
	return 0;
}

/* emulab:xen cores and ram. */
static int read_xen(struct rspec_reader *reader, struct vnet_node *node,
		    const xmlNode *xen)
{
	struct vnet_builder *builder = &reader->builder;
	uint64_t cores = 1, ram = node->memory_mib;
	bool has_cores = vnet_find_attribute(xen, "cores") != NULL;
	if (vnet_read_unsigned(builder, xen, "cores", &cores) < 0 ||
	    vnet_read_unsigned(builder, xen, "ram", &ram) < 0)
		return -1;
	if (has_cores) {
		node->cpu = cores > 1000000 ? 1000000.0 : (double)cores;
		if (vnet_check_cpu(builder, node, "xen", "cores") < 0)
			return -1;
	}
	if (ram == 0 || ram > UINT32_MAX)
		return vnet_error_set(error_of(reader), VNET_REQUEST_SCHEMA,
				      vnet_line_of(xen), "xen", "ram",
				      "expected 1 to %u MiB", UINT32_MAX);
	node->memory_mib = (uint32_t)ram;
	return 0;
}

static int read_sliver_type(struct rspec_reader *reader,
			    struct vnet_node *node, const xmlNode *element)
{
	struct vnet_builder *builder = &reader->builder;
	unsigned line = vnet_line_of(element);
	char *name = NULL;
	if (vnet_read_string(builder, element, "name", &name) < 0)
		return -1;
	if (!name)
		return vnet_error_set(error_of(reader), VNET_REQUEST_SCHEMA,
				      line, "sliver_type", "name", "missing");
	enum rspec_sliver_class class = sliver_class(vnet_skip_blanks(name));
	if (class == RSPEC_SLIVER_DELAY) {
		vnet_error_set(error_of(reader), VNET_REQUEST_UNSUPPORTED,
			       line, "sliver_type", "name",
			       "node '%s': sliver_type '%s' is an Emulab delay "
			       "node, which Loom does not have; ask for the "
			       "delay, capacity and loss on the links instead "
			       "(property latency, capacity, packet_loss)",
			       node->id, name);
		free(name);
		return -1;
	}
	if (class == RSPEC_SLIVER_UNKNOWN) {
		vnet_error_set(error_of(reader), VNET_REQUEST_UNSUPPORTED,
			       line, "sliver_type", "name",
			       "node '%s': sliver_type '%.64s' is not one Loom "
			       "knows (VMs: emulab-xen, xen-vm, default-vm, "
			       "m1.*, ...; hosts: raw-pc, emulab-openvz, ...; "
			       "see docs/rspec.md)",
			       node->id, name);
		free(name);
		return -1;
	}
	free(name);
	node->kind = class == RSPEC_SLIVER_VM ? VNET_NODE_VM : VNET_NODE_HOST;
	bool has_image = false, has_xen = false;
	for (const xmlNode *child = element->children; child;
	     child = child->next) {
		if (is_rspec_element(reader, child, "disk_image")) {
			if (has_image)
				return vnet_error_set(
					error_of(reader), VNET_REQUEST_IMAGE,
					vnet_line_of(child), "disk_image", NULL,
					"node '%s' has more than one disk_image",
					node->id);
			has_image = true;
			char *image = NULL;
			if (vnet_read_string(builder, child, "name", &image) <
			    0)
				return -1;
			if (!image || !*vnet_skip_blanks(image) ||
			    strlen(image) > MAX_IMAGE_LENGTH) {
				free(image);
				return vnet_error_set(
					error_of(reader), VNET_REQUEST_IMAGE,
					vnet_line_of(child), "disk_image",
					"name",
					"node '%s': a disk_image needs a name "
					"of 1 to %d characters",
					node->id, MAX_IMAGE_LENGTH);
			}
			/* A host boots nothing: its image is kept as an
			 * ignored extension. */
			if (node->kind == VNET_NODE_VM)
				node->image = image;
			else
				free(image);
		} else if (child->type == XML_ELEMENT_NODE &&
			   vnet_has_namespace(child, EMULAB_NAMESPACE) &&
			   strcmp((const char *)child->name, "xen") == 0) {
			if (has_xen)
				return vnet_error_set(
					error_of(reader), VNET_REQUEST_SCHEMA,
					vnet_line_of(child), "xen", NULL,
					"node '%s' has more than one emulab:xen",
					node->id);
			has_xen = true;
			if (read_xen(reader, node, child) < 0)
				return -1;
		}
	}
	return 0;
}

static int parse_mac_address(const char *text, uint8_t mac[6])
{
	/* The manifests' form: twelve hex digits without separators. */
	size_t length = strlen(text);
	if (length == 12 && strspn(text, "0123456789abcdefABCDEF") == 12) {
		for (int i = 0; i < 6; i++) {
			char pair[3] = { text[2 * i], text[2 * i + 1], 0 };
			mac[i] = (uint8_t)strtoul(pair, NULL, 16);
		}
		return 0;
	}
	return vnet_parse_mac(text, mac);
}

/* The prefix length a netmask says: dotted (255.255.255.0, contiguous)
 * or a number; -1 if neither. */
static int netmask_prefix(const char *text, bool ipv6)
{
	text = vnet_skip_blanks(text);
	if (!ipv6 && strchr(text, '.')) {
		struct vnet_address mask;
		char with_prefix[64];
		snprintf(with_prefix, sizeof(with_prefix), "%.40s/0", text);
		if (vnet_parse_address(with_prefix, &mask) ||
		    mask.family != AF_INET)
			return -1;
		uint32_t bits = (uint32_t)mask.bytes[0] << 24 |
				(uint32_t)mask.bytes[1] << 16 |
				(uint32_t)mask.bytes[2] << 8 | mask.bytes[3];
		if (bits & (~bits >> 1))
			return -1; /* not contiguous */
		int prefix = 0;
		while (bits & 0x80000000u) {
			prefix++;
			bits <<= 1;
		}
		return prefix;
	}
	char *end;
	unsigned long prefix = strtoul(text, &end, 10);
	if (end == text || !vnet_only_blanks(end) || prefix > (ipv6 ? 128 : 32))
		return -1;
	return (int)prefix;
}

static int read_ip(struct rspec_reader *reader, struct vnet_interface *iface,
		   const xmlNode *ip)
{
	struct vnet_builder *builder = &reader->builder;
	unsigned line = vnet_line_of(ip);
	char *address = NULL, *netmask = NULL, *type = NULL;
	int result = -1;
	if (vnet_read_string(builder, ip, "address", &address) < 0 ||
	    vnet_read_string(builder, ip, "netmask", &netmask) < 0 ||
	    vnet_read_string(builder, ip, "type", &type) < 0)
		goto out;
	if (!address) {
		vnet_error_set(error_of(reader), VNET_REQUEST_SCHEMA, line,
			       "ip", "address", "missing");
		goto out;
	}
	const char *host = vnet_skip_blanks(address);
	size_t host_length = strcspn(host, " \t\r\n/");
	bool ipv6 = memchr(host, ':', host_length) != NULL;
	if (type && strcasecmp(vnet_skip_blanks(type), "ipv4") != 0 &&
	    strcasecmp(vnet_skip_blanks(type), "ipv6") != 0) {
		vnet_error_set(error_of(reader), VNET_REQUEST_ADDRESS, line,
			       "ip", "type", "'%.40s': expected ipv4 or ipv6",
			       type);
		goto out;
	}
	if (type && (strcasecmp(vnet_skip_blanks(type), "ipv6") == 0) != ipv6) {
		vnet_error_set(error_of(reader), VNET_REQUEST_ADDRESS, line,
			       "ip", "type",
			       "type '%.40s' but '%.64s' is an %s address", type,
			       address, ipv6 ? "IPv6" : "IPv4");
		goto out;
	}
	/* An address may carry its prefix; a netmask gives it otherwise;
	 * without either, Emulab's default: a /24 (IPv6: a /64). */
	int prefix = ipv6 ? 64 : 24;
	if (netmask) {
		prefix = netmask_prefix(netmask, ipv6);
		if (prefix < 0) {
			vnet_error_set(error_of(reader), VNET_REQUEST_ADDRESS,
				       line, "ip", "netmask",
				       "'%.64s': expected a contiguous dotted "
				       "mask (255.255.255.0) or a prefix length",
				       netmask);
			goto out;
		}
	}
	char text[160];
	if (host[host_length] == '/' && !netmask)
		snprintf(text, sizeof(text), "%.100s", host);
	else
		snprintf(text, sizeof(text), "%.*s/%d",
			 (int)(host_length > 100 ? 100 : host_length), host,
			 prefix);
	struct vnet_address parsed;
	const char *reason = vnet_parse_address(text, &parsed);
	if (!reason && !vnet_only_blanks(host + strcspn(host, " \t\r\n")))
		reason = "unexpected text after the address";
	if (reason) {
		vnet_error_set(error_of(reader), VNET_REQUEST_ADDRESS, line,
			       "ip", "address", "'%.64s': %s", address, reason);
		goto out;
	}
	result = vnet_interface_add_address(builder, iface, &parsed);
out:
	free(address);
	free(netmask);
	free(type);
	return result;
}

static int add_interface(struct rspec_reader *reader, uint32_t node_index,
			 const xmlNode *element)
{
	struct vnet_builder *builder = &reader->builder;
	struct vnet_interface *iface =
		vnet_interface_append(builder, node_index, element);
	if (!iface)
		return -1;
	if (read_client_id(reader, element, &iface->id) < 0)
		return -1;
	char *mac = NULL;
	if (vnet_read_string(builder, element, "mac_address", &mac) < 0)
		return -1;
	if (mac) {
		int parsed = parse_mac_address(vnet_skip_blanks(mac),
					       iface->mac);
		free(mac);
		if (parsed < 0)
			return vnet_error_set(error_of(reader),
					      VNET_REQUEST_MAC, iface->line,
					      "interface", "mac_address",
					      "expected six hex bytes "
					      "aa:bb:cc:dd:ee:ff (or "
					      "aabbccddeeff)");
		iface->has_mac = true;
		if (vnet_check_mac(builder, iface, "interface") < 0)
			return -1;
	}
	for (const xmlNode *child = element->children; child;
	     child = child->next)
		if (is_rspec_element(reader, child, "ip") &&
		    read_ip(reader, iface, child) < 0)
			return -1;
	return 0;
}

static int add_node(struct rspec_reader *reader, const xmlNode *element)
{
	struct vnet_builder *builder = &reader->builder;
	struct vnet_request *request = &builder->request;
	struct vnet_node *node = vnet_node_append(builder, element);
	if (!node)
		return -1;
	uint32_t index = request->node_count - 1;
	node->cpu = 1;
	if (read_client_id(reader, element, &node->id) < 0 ||
	    read_boolean(reader, element, "exclusive") < 0 ||
	    read_placement(reader, node, element) < 0)
		return -1;
	bool typed = false;
	for (const xmlNode *child = element->children; child;
	     child = child->next) {
		if (!is_rspec_element(reader, child, "sliver_type"))
			continue;
		if (typed)
			return vnet_error_set(error_of(reader),
					      VNET_REQUEST_SCHEMA,
					      vnet_line_of(child),
					      "sliver_type", NULL,
					      "node '%s' has more than one "
					      "sliver_type",
					      node->id);
		typed = true;
		if (read_sliver_type(reader, node, child) < 0)
			return -1;
	}
	if (node->kind == VNET_NODE_VM && !node->image) {
		node->image = strdup(RSPEC_DEFAULT_IMAGE);
		if (!node->image)
			return vnet_out_of_memory(builder);
	}
	for (const xmlNode *child = element->children; child;
	     child = child->next) {
		if (!is_rspec_element(reader, child, "interface"))
			continue;
		if (add_interface(reader, index, child) < 0)
			return -1;
		request->nodes[index].interface_count++;
	}
	return 0;
}

/* ---- Links --------------------------------------------------------------- */

/* One property: a direction between two of the link's interfaces. */
struct property {
	char *source, *destination;
	uint64_t capacity_kbps; /* 0: not given */
	double latency_ms, loss; /* 0: not given */
	unsigned line;
};

static int read_property(struct rspec_reader *reader, const xmlNode *element,
			 struct property *property)
{
	struct vnet_builder *builder = &reader->builder;
	property->line = vnet_line_of(element);
	if (vnet_read_string(builder, element, "source_id",
			     &property->source) < 0 ||
	    vnet_read_string(builder, element, "dest_id",
			     &property->destination) < 0)
		return -1;
	if (!property->source || !property->destination)
		return vnet_error_set(error_of(reader), VNET_REQUEST_SCHEMA,
				      property->line, "property",
				      property->source ? "dest_id" :
							 "source_id",
				      "missing");
	if (vnet_read_unsigned(builder, element, "capacity",
			       &property->capacity_kbps) < 0 ||
	    vnet_read_decimal(builder, element, "latency",
			      &property->latency_ms) < 0 ||
	    vnet_read_decimal(builder, element, "packet_loss",
			      &property->loss) < 0)
		return -1;
	if (vnet_find_attribute(element, "capacity") &&
	    (property->capacity_kbps == 0 ||
	     property->capacity_kbps > MAX_CAPACITY_KBPS))
		return vnet_error_set(error_of(reader), VNET_REQUEST_CAPACITY,
				      property->line, "property", "capacity",
				      "expected 1 to %llu kbit/s",
				      (unsigned long long)MAX_CAPACITY_KBPS);
	if (!(property->latency_ms >= 0) || !isfinite(property->latency_ms))
		return vnet_error_set(error_of(reader), VNET_REQUEST_SCHEMA,
				      property->line, "property", "latency",
				      "expected milliseconds >= 0");
	if (!(property->loss >= 0 && property->loss <= 1))
		return vnet_error_set(error_of(reader), VNET_REQUEST_SCHEMA,
				      property->line, "property",
				      "packet_loss", "expected a fraction 0 to 1");
	return 0;
}

static int read_link_type(struct rspec_reader *reader, struct vnet_link *link,
			  const xmlNode *element, bool *typed)
{
	char *name = NULL;
	if (vnet_read_string(&reader->builder, element, "name", &name) < 0)
		return -1;
	if (!name)
		return vnet_error_set(error_of(reader), VNET_REQUEST_SCHEMA,
				      vnet_line_of(element), "link_type",
				      "name", "missing");
	const char *word = vnet_skip_blanks(name);
	const struct link_type *found = NULL;
	for (size_t i = 0; i < sizeof(link_types) / sizeof(link_types[0]); i++)
		if (strcasecmp(word, link_types[i].name) == 0)
			found = &link_types[i];
	int result = 0;
	if (!found)
		result = vnet_error_set(
			error_of(reader), VNET_REQUEST_UNSUPPORTED,
			vnet_line_of(element), "link_type", "name",
			"link '%s': link_type '%.64s' is not one Loom knows "
			"(lan, vlan: any isolation; gre-tunnel, egre-tunnel, "
			"vxlan: VXLAN)",
			link->id, name);
	else if (*typed && link->isolation != found->isolation)
		result = vnet_error_set(
			error_of(reader), VNET_REQUEST_SCHEMA,
			vnet_line_of(element), "link_type", "name",
			"link '%s': link_type '%s' contradicts an earlier one",
			link->id, name);
	else
		link->isolation = found->isolation;
	*typed = true;
	free(name);
	return result;
}

/* The link's endpoint whose interface has this id, or -1. */
static int endpoint_of(const struct vnet_request *request,
		       const struct vnet_link *link, const char *id)
{
	id = vnet_skip_blanks(id);
	for (uint32_t e = 0; e < link->endpoint_count; e++)
		if (strcmp(request->interfaces[link->endpoints[e].interface].id,
			   id) == 0)
			return (int)e;
	return -1;
}

/* Per-direction capacities: an endpoint sends at most the largest
 * capacity of the properties from it, receives at most the largest of
 * those to it; a direction no property bounds gets the link's capacity. */
static int apply_properties(struct rspec_reader *reader, uint32_t index,
			    const struct property *properties, uint32_t count)
{
	struct vnet_request *request = &reader->builder.request;
	struct vnet_link *link = &request->links[index];
	uint64_t *send = calloc(link->endpoint_count + 1, sizeof(*send));
	uint64_t *receive = calloc(link->endpoint_count + 1, sizeof(*receive));
	int result = 0;
	if (!send || !receive) {
		result = vnet_out_of_memory(&reader->builder);
		goto out;
	}
	for (uint32_t p = 0; p < count; p++) {
		const struct property *property = &properties[p];
		int from = endpoint_of(request, link, property->source);
		int to = endpoint_of(request, link, property->destination);
		if (from < 0 || to < 0) {
			result = vnet_error_set(
				error_of(reader), VNET_REQUEST_UNKNOWN_INTERFACE,
				property->line, "property",
				from < 0 ? "source_id" : "dest_id",
				"link '%s': a property names interface '%.64s', "
				"which is not one of the link's interface_refs",
				link->id,
				from < 0 ? property->source :
					   property->destination);
			goto out;
		}
		if (from == to) {
			result = vnet_error_set(
				error_of(reader), VNET_REQUEST_SCHEMA,
				property->line, "property", "dest_id",
				"link '%s': a property from interface '%s' to "
				"itself",
				link->id, property->source);
			goto out;
		}
		if (property->capacity_kbps > send[from])
			send[from] = property->capacity_kbps;
		if (property->capacity_kbps > receive[to])
			receive[to] = property->capacity_kbps;
	}
	for (uint32_t e = 0; e < link->endpoint_count; e++) {
		if (send[e])
			link->endpoints[e].send_kbps = send[e];
		if (receive[e])
			link->endpoints[e].receive_kbps = receive[e];
	}
out:
	free(send);
	free(receive);
	return result;
}

static void free_properties(struct property *properties, uint32_t count)
{
	for (uint32_t p = 0; p < count; p++) {
		free(properties[p].source);
		free(properties[p].destination);
	}
	free(properties);
}

static int add_link(struct rspec_reader *reader, const xmlNode *element)
{
	struct vnet_builder *builder = &reader->builder;
	struct vnet_request *request = &builder->request;
	struct vnet_link *link = vnet_link_append(builder, element);
	if (!link)
		return -1;
	uint32_t index = request->link_count - 1;
	if (read_client_id(reader, element, &link->id) < 0)
		return -1;

	/* Properties first: the largest capacity is the link's, and every
	 * endpoint's default. Latency and loss: the tightest bound given. */
	struct property *properties = NULL;
	uint32_t property_count = 0, property_capacity = 0;
	bool typed = false;
	int result = -1;
	for (const xmlNode *child = element->children; child;
	     child = child->next) {
		if (is_rspec_element(reader, child, "link_type")) {
			if (read_link_type(reader, link, child, &typed) < 0)
				goto out;
			continue;
		}
		if (!is_rspec_element(reader, child, "property"))
			continue;
		if (vnet_grow((void **)&properties, &property_capacity,
			      property_count, sizeof(*properties)) < 0) {
			vnet_out_of_memory(builder);
			goto out;
		}
		struct property *property = &properties[property_count++];
		if (read_property(reader, child, property) < 0)
			goto out;
		if (property->capacity_kbps > link->capacity_kbps)
			link->capacity_kbps = property->capacity_kbps;
		if (property->latency_ms > 0 &&
		    (link->latency_ms == 0 ||
		     property->latency_ms < link->latency_ms))
			link->latency_ms = property->latency_ms;
		if (property->loss > 0 &&
		    (link->loss == 0 || property->loss < link->loss))
			link->loss = property->loss;
	}
	if (link->capacity_kbps == 0)
		link->capacity_kbps = RSPEC_DEFAULT_CAPACITY_KBPS;

	vnet_link_begin(builder);
	for (const xmlNode *child = element->children; child;
	     child = child->next) {
		if (!is_rspec_element(reader, child, "interface_ref"))
			continue;
		unsigned line = vnet_line_of(child);
		char *id = NULL;
		if (vnet_read_string(builder, child, "client_id", &id) < 0)
			goto out;
		if (!id) {
			vnet_error_set(error_of(reader), VNET_REQUEST_SCHEMA,
				       line, "interface_ref", "client_id",
				       "missing");
			goto out;
		}
		struct vnet_endpoint *endpoint;
		int added = vnet_link_add_endpoint(builder, index, id, line,
						   &endpoint);
		free(id);
		if (added < 0)
			goto out;
	}
	if (vnet_check_link(builder, link) < 0 ||
	    apply_properties(reader, index, properties, property_count) < 0)
		goto out;
	result = 0;
out:
	free_properties(properties, property_count);
	return result;
}

/* ---- Structure and extensions -------------------------------------------- */

static char *describe_parent(const xmlNode *element)
{
	const char *name = (const char *)element->name;
	const xmlAttr *attribute = vnet_find_attribute(element, "client_id");
	if (!attribute)
		attribute = vnet_find_attribute(element, "name");
	if (!attribute)
		attribute = vnet_find_attribute(element, "source_id");
	return vnet_element_label(name, attribute);
}

static bool is_consumed(struct rspec_reader *reader, const xmlNode *parent,
			const xmlNode *child)
{
	/* emulab:xen gives CPU and memory; a disk_image is a VM's image. */
	if (is_rspec_element(reader, parent, "sliver_type"))
		return (vnet_has_namespace(child, EMULAB_NAMESPACE) &&
			strcmp((const char *)child->name, "xen") == 0) ||
		       (is_rspec_element(reader, child, "disk_image") &&
			parent->parent &&
			node_sliver_class(reader, parent->parent) ==
				RSPEC_SLIVER_VM);
	return false;
}

/* Pass 1 (collect false): refuses RSpec elements a request does not hold
 * there and elements without a namespace. Pass 3 (collect true): keeps
 * everything Loom ignores as extensions, in document order. */
static int walk(struct rspec_reader *reader, const xmlNode *element,
		bool collect)
{
	struct vnet_builder *builder = &reader->builder;
	const struct element_rule *rule = rule_of(element);
	bool root = element->parent &&
		    element->parent->type == XML_DOCUMENT_NODE;
	for (const xmlAttr *a = element->properties; collect && a;
	     a = a->next) {
		if (a->ns && a->ns->href &&
		    (strcmp((const char *)a->ns->href, XSI_NAMESPACE) == 0 ||
		     (root && strcmp((const char *)a->ns->href,
				     VNET_REQUEST_NAMESPACE) == 0 &&
		      strcmp((const char *)a->name, "name") == 0)))
			continue;
		if (!a->ns && in_list(rule->attributes, (const char *)a->name))
			continue;
		if (vnet_extension_add(builder, true, a->ns, a->name,
				       describe_parent(element),
				       vnet_attribute_text(a),
				       vnet_line_of(element)) < 0)
			return -1;
	}
	for (const xmlNode *child = element->children; child;
	     child = child->next) {
		if (child->type != XML_ELEMENT_NODE)
			continue;
		const char *name = (const char *)child->name;
		if (!child->ns)
			return vnet_error_set(
				error_of(reader), VNET_REQUEST_SCHEMA,
				vnet_line_of(child), name, NULL,
				"element '%s' has no namespace: RSpec elements "
				"are in %s, extensions in a namespace of their "
				"own",
				name, reader->uri);
		bool ours = is_rspec(reader, child);
		if (ours && !in_list(rule->children, name))
			return vnet_error_set(
				error_of(reader), VNET_REQUEST_SCHEMA,
				vnet_line_of(child), name, NULL,
				"element '%s' is not expected in '%s' of an "
				"RSpec request (expected: %s%s)",
				name, (const char *)element->name,
				*rule->children ? rule->children :
						  "no RSpec element",
				*rule->children ? ", extensions" : "");
		if (ours && in_list(rule->mapped, name)) {
			if (walk(reader, child, collect) < 0)
				return -1;
			continue;
		}
		if (!collect || is_consumed(reader, element, child))
			continue;
		if (vnet_extension_add(builder, false, child->ns, child->name,
				       describe_parent(element),
				       vnet_serialize_element(builder->document,
							      child),
				       vnet_line_of(child)) < 0)
			return -1;
	}
	return 0;
}

/* ---- The request --------------------------------------------------------- */

/* The VNet's name from the document's name: its last path component
 * without extension, characters outside the identifier set made '-',
 * leading ones that cannot start an identifier dropped, at most 63. */
static char *sanitized_name(const char *name)
{
	char text[IDENTIFIER_MAX + 1] = "";
	if (name) {
		const char *base = strrchr(name, '/');
		base = base ? base + 1 : name;
		const char *dot = strrchr(base, '.');
		size_t length = dot && dot != base ? (size_t)(dot - base) :
						     strlen(base);
		size_t out = 0;
		for (size_t i = 0; i < length && out < IDENTIFIER_MAX; i++) {
			char c = base[i];
			bool alnum = (c >= 'a' && c <= 'z') ||
				     (c >= 'A' && c <= 'Z') ||
				     (c >= '0' && c <= '9');
			if (!alnum && out == 0)
				continue;
			text[out++] = alnum || strchr("._-", c) ? c : '-';
		}
		text[out] = '\0';
	}
	return strdup(text[0] ? text : RSPEC_DEFAULT_NAME);
}

static int read_root(struct rspec_reader *reader, const xmlNode *root,
		     const char *document_name)
{
	struct vnet_builder *builder = &reader->builder;
	struct vnet_request *request = &builder->request;
	for (const xmlAttr *a = root->properties; a; a = a->next) {
		if (!a->ns || !a->ns->href ||
		    strcmp((const char *)a->ns->href,
			   VNET_REQUEST_NAMESPACE) != 0 ||
		    strcmp((const char *)a->name, "name") != 0)
			continue;
		request->name = vnet_attribute_text(a);
		if (!request->name)
			return vnet_out_of_memory(builder);
		if (!is_identifier(request->name))
			return vnet_error_set(
				error_of(reader), VNET_REQUEST_SCHEMA,
				vnet_line_of(root), "rspec", "name",
				"loom:name '%.80s' is not a Loom identifier (1 "
				"to 63 letters, digits, '.', '_', ':', '-', "
				"starting with a letter or digit)",
				request->name);
	}
	if (!request->name) {
		request->name = sanitized_name(document_name);
		if (!request->name)
			return vnet_out_of_memory(builder);
	}
	char *expires = NULL;
	if (vnet_read_string(builder, root, "expires", &expires) < 0)
		return -1;
	if (!expires)
		return 0;
	int checked = vnet_check_lease(builder, expires, vnet_line_of(root),
				       "rspec", "expires");
	free(expires);
	return checked;
}

/* The root must be an RSpec request; manifests and advertisements are
 * named as such. Returns the namespace, or NULL with the error set. */
static const char *check_root(const xmlNode *root,
			      struct vnet_request_error *error)
{
	const char *uri = root->ns && root->ns->href ?
				  (const char *)root->ns->href :
				  "";
	unsigned line = vnet_line_of(root);
	const char *name = (const char *)root->name;
	bool v3 = strcmp(uri, RSPEC_V3_NAMESPACE) == 0;
	bool v2 = strcmp(uri, RSPEC_PROTOGENI_V2_NAMESPACE) == 0;
	if (!v3 && !v2 && strcmp(uri, VNET_REQUEST_NAMESPACE) == 0) {
		vnet_error_set(error, VNET_REQUEST_WRONG_ROOT, line, name, NULL,
			       "a Loom VNet request, not a GENI RSpec");
		return NULL;
	}
	if ((!v3 && !v2) || strcmp(name, "rspec") != 0) {
		vnet_error_set(error, VNET_REQUEST_WRONG_ROOT, line, name, NULL,
			       "root element '%.64s' in namespace '%.100s': a "
			       "GENI RSpec request is 'rspec' in namespace "
			       RSPEC_V3_NAMESPACE " (or ProtoGENI's "
			       RSPEC_PROTOGENI_V2_NAMESPACE ")",
			       name, uri);
		return NULL;
	}
	xmlChar *type = xmlGetNoNsProp(root, (const xmlChar *)"type");
	const char *word = type ? vnet_skip_blanks((const char *)type) : "";
	const char *reason = NULL;
	if (!type)
		reason = "an RSpec without a type: a request says "
			 "type=\"request\"";
	else if (strncmp(word, "manifest", 8) == 0)
		reason = "a manifest RSpec (type=\"manifest\") describes what an "
			 "aggregate allocated; submit a request RSpec "
			 "(type=\"request\")";
	else if (strncmp(word, "advertisement", 13) == 0)
		reason = "an advertisement RSpec (type=\"advertisement\") lists "
			 "an aggregate's resources; submit a request RSpec "
			 "(type=\"request\")";
	else if (strncmp(word, "request", 7) != 0 ||
		 !vnet_only_blanks(word + 7))
		reason = "the RSpec's type is not \"request\"";
	xmlFree(type);
	if (reason) {
		vnet_error_set(error, VNET_REQUEST_WRONG_ROOT, line, "rspec",
			       "type", "%s", reason);
		return NULL;
	}
	return v3 ? RSPEC_V3_NAMESPACE : RSPEC_PROTOGENI_V2_NAMESPACE;
}

static int rspec_from_document(xmlDoc *document, const char *name,
			       time_t now, struct vnet_request *out,
			       struct vnet_request_error *error)
{
	const xmlNode *root = xmlDocGetRootElement(document);
	if (!root)
		return vnet_error_set(error, VNET_REQUEST_NOT_XML, 0, NULL,
				      NULL, "no root element");
	struct rspec_reader reader = {
		.builder = { .document = document,
			     .now = now,
			     .error = error,
			     .id_attribute = "client_id",
			     .endpoint_element = "interface_ref",
			     .endpoint_attribute = "client_id",
			     .mac_attribute = "mac_address" },
	};
	reader.uri = check_root(root, error);
	if (!reader.uri)
		return -1;
	struct vnet_builder *builder = &reader.builder;
	int result = -1;
	if (walk(&reader, root, false) < 0 || read_root(&reader, root, name) < 0)
		goto out;
	for (const xmlNode *child = root->children; child; child = child->next)
		if (is_rspec_element(&reader, child, "node") &&
		    add_node(&reader, child) < 0)
			goto out;
	if (vnet_check_ids(builder) < 0)
		goto out;
	for (const xmlNode *child = root->children; child; child = child->next)
		if (is_rspec_element(&reader, child, "link") &&
		    add_link(&reader, child) < 0)
			goto out;
	if (vnet_check_link_ids(builder) < 0 || walk(&reader, root, true) < 0)
		goto out;
	result = 0;
out:
	vnet_builder_release(builder);
	if (result < 0) {
		vnet_request_free(&builder->request);
		return -1;
	}
	*out = builder->request;
	error->problem = VNET_REQUEST_NONE;
	return 0;
}

/* ---- The entry points ---------------------------------------------------- */

/* Common start: error named, out zeroed, the document read. */
static xmlDoc *start(const char *xml, size_t length, const char *name,
		     struct vnet_request *out,
		     struct vnet_request_error *error)
{
	vnet_error_start(error, name);
	if (out)
		memset(out, 0, sizeof(*out));
	if (!out || (!xml && length)) {
		vnet_error_set(error, VNET_REQUEST_NOT_XML, 0, NULL, NULL,
			       "no document");
		return NULL;
	}
	if (vnet_global_init(error) < 0)
		return NULL;
	return vnet_xml_read(xml, length, error);
}

int rspec_request_parse(const char *xml, size_t length, const char *name,
			time_t now, struct vnet_request *out,
			struct vnet_request_error *error)
{
	struct vnet_request_error local_error;
	if (!error)
		error = &local_error;
	xmlDoc *document = start(xml, length, name, out, error);
	if (!document)
		return -1;
	int result = rspec_from_document(document, name, now, out, error);
	xmlFreeDoc(document);
	return result;
}

int vnet_document_parse(const char *xml, size_t length, const char *name,
			time_t now, struct vnet_request *out,
			struct vnet_request_error *error, const char **format)
{
	struct vnet_request_error local_error;
	if (!error)
		error = &local_error;
	if (format)
		*format = NULL;
	xmlDoc *document = start(xml, length, name, out, error);
	if (!document)
		return -1;
	const xmlNode *root = xmlDocGetRootElement(document);
	int result;
	if (root && vnet_has_namespace(root, VNET_REQUEST_NAMESPACE)) {
		result = vnet_request_from_document(document, now, out, error);
		if (result == 0 && format)
			*format = "loom-xml";
	} else if (root && (vnet_has_namespace(root, RSPEC_V3_NAMESPACE) ||
			    vnet_has_namespace(root,
					       RSPEC_PROTOGENI_V2_NAMESPACE))) {
		result = rspec_from_document(document, name, now, out, error);
		if (result == 0 && format)
			*format = "geni-rspec-v3";
	} else if (root) {
		const char *uri = root->ns && root->ns->href ?
					  (const char *)root->ns->href :
					  "";
		result = vnet_error_set(
			error, VNET_REQUEST_WRONG_ROOT, vnet_line_of(root),
			(const char *)root->name, NULL,
			"root element '%.64s' in namespace '%.100s': expected "
			"a Loom VNet request ('vnet' in " VNET_REQUEST_NAMESPACE
			") or a GENI RSpec v3 request ('rspec' in "
			RSPEC_V3_NAMESPACE ")",
			root->name, uri);
	} else {
		result = vnet_error_set(error, VNET_REQUEST_NOT_XML, 0, NULL,
					NULL, "no root element");
	}
	xmlFreeDoc(document);
	return result;
}

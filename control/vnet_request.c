/* Loom's VNet request format: XML (urn:loom:vnet:1) into struct
 * vnet_request. See control.h for the model and docs/vnet-request.md for
 * the format.
 *
 * Three stages, each refusing with a positioned error:
 *   1. well-formed XML, parsed with no network and no DTD: a DOCTYPE stops
 *      the parser as soon as it is seen, so no entity (external or
 *      recursive) can exist; size and nesting depth are bounded
 *      (vnet_xml_read, which rspec.c uses too).
 *   2. the schema, compiled into the library (generated at build time from
 *      control/schema/loom-vnet.xsd) and parsed once per process.
 *   3. the rules a schema cannot say (vnet_request_check.c), checked while
 *      the model is built.
 * The model is built in a private request and handed over only when all
 * three pass, so the caller never sees a half-filled one. */
#include "vnet_request_private.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

/* control/schema/loom-vnet.xsd, generated into the build directory. */
extern const char loom_vnet_xsd[];
extern const unsigned long loom_vnet_xsd_length;

const char *vnet_request_schema(void)
{
	return loom_vnet_xsd;
}

/* ---- Process-wide state: the parsed schema ------------------------------- */

static pthread_once_t schema_once = PTHREAD_ONCE_INIT;
static xmlSchema *global_schema;

static void schema_init(void)
{
	xmlSchemaParserCtxt *parser = xmlSchemaNewMemParserCtxt(
		loom_vnet_xsd, (int)loom_vnet_xsd_length);
	if (!parser)
		return;
	xmlSchemaSetParserStructuredErrors(parser, vnet_xml_ignore_error,
					   NULL);
	global_schema = xmlSchemaParse(parser);
	xmlSchemaFreeParserCtxt(parser);
}

/* ---- Stage 1: well-formed XML, no DTD, bounded depth -------------------- */

struct parse_guard {
	unsigned depth;
	bool too_deep;
	bool doctype;
	unsigned line;
	/* libxml2's first complaint: later ones are often consequences
	 * ("Premature end of data" after a tag mismatch). */
	bool failed;
	unsigned error_line;
	char error_message[256];
};

/* Installed for the calling thread while it parses (and restored after):
 * keeps the first error, and keeps libxml2 from printing encoding and I/O
 * errors on stderr, where a daemon's log would collect attackers' junk. */
static void guard_error(void *user, xml_error_pointer problem)
{
	struct parse_guard *guard = user;
	if (guard->failed || !problem ||
	    (problem->level != XML_ERR_ERROR && problem->level != XML_ERR_FATAL))
		return;
	guard->failed = true;
	guard->error_line = problem->line > 0 ? (unsigned)problem->line : 0;
	snprintf(guard->error_message, sizeof(guard->error_message), "%s",
		 problem->message ? problem->message : "not well-formed XML");
}

static void guard_internal_subset(void *context, const xmlChar *name,
				  const xmlChar *external_id,
				  const xmlChar *system_id)
{
	(void)name;
	(void)external_id;
	(void)system_id;
	xmlParserCtxt *parser = context;
	struct parse_guard *guard = parser->_private;
	guard->doctype = true;
	guard->line = (unsigned)xmlSAX2GetLineNumber(context);
	xmlStopParser(parser);
}

static void guard_start_element(void *context, const xmlChar *local_name,
				const xmlChar *prefix, const xmlChar *uri,
				int namespace_count, const xmlChar **namespaces,
				int attribute_count, int defaulted_count,
				const xmlChar **attributes)
{
	xmlParserCtxt *parser = context;
	struct parse_guard *guard = parser->_private;
	if (++guard->depth > VNET_REQUEST_MAX_DEPTH) {
		guard->too_deep = true;
		guard->line = (unsigned)xmlSAX2GetLineNumber(context);
		xmlStopParser(parser);
		return;
	}
	xmlSAX2StartElementNs(context, local_name, prefix, uri,
			      namespace_count, namespaces, attribute_count,
			      defaulted_count, attributes);
}

static void guard_end_element(void *context, const xmlChar *local_name,
			      const xmlChar *prefix, const xmlChar *uri)
{
	xmlParserCtxt *parser = context;
	struct parse_guard *guard = parser->_private;
	guard->depth--;
	xmlSAX2EndElementNs(context, local_name, prefix, uri);
}

xmlDoc *vnet_xml_read(const char *xml, size_t length,
			     struct vnet_request_error *error)
{
	if (length > VNET_REQUEST_MAX_SIZE) {
		vnet_error_set(error, VNET_REQUEST_TOO_LARGE, 0, NULL, NULL,
			  "document of %zu bytes, at most %u accepted", length,
			  VNET_REQUEST_MAX_SIZE);
		return NULL;
	}
	if (length == 0) {
		vnet_error_set(error, VNET_REQUEST_NOT_XML, 0, NULL, NULL,
			  "empty document");
		return NULL;
	}
	xmlParserCtxt *parser = xmlCreateMemoryParserCtxt(xml, (int)length);
	if (!parser) {
		vnet_error_set(error, VNET_REQUEST_NO_MEMORY, 0, NULL, NULL,
			  "out of memory");
		return NULL;
	}
	/* No NOENT, no DTDLOAD, no DTDATTR: entities are never substituted
	 * nor fetched; and the guard refuses any DTD at all. */
	xmlCtxtUseOptions(parser, XML_PARSE_NONET | XML_PARSE_NOERROR |
					  XML_PARSE_NOWARNING |
					  XML_PARSE_BIG_LINES);
	struct parse_guard guard = { 0 };
	xmlStructuredErrorFunc saved_handler = xmlStructuredError;
	void *saved_context = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(&guard, guard_error);
	parser->_private = &guard;
	parser->sax->internalSubset = guard_internal_subset;
	parser->sax->startElementNs = guard_start_element;
	parser->sax->endElementNs = guard_end_element;

	xmlParseDocument(parser);
	xmlSetStructuredErrorFunc(saved_context, saved_handler);
	xmlDoc *document = parser->myDoc;
	parser->myDoc = NULL;
	if (guard.doctype) {
		vnet_error_set(error, VNET_REQUEST_DTD, guard.line, NULL, NULL,
			  "a DOCTYPE is not accepted (no DTDs, no entities)");
	} else if (guard.too_deep) {
		vnet_error_set(error, VNET_REQUEST_TOO_DEEP, guard.line, NULL, NULL,
			  "elements nested more than %d deep",
			  VNET_REQUEST_MAX_DEPTH);
	} else if (!parser->wellFormed || !document) {
		const xmlError *problem = xmlCtxtGetLastError(parser);
		char message[256] = "not well-formed XML";
		unsigned line = 0;
		if (guard.failed) {
			snprintf(message, sizeof(message), "%s",
				 guard.error_message);
			line = guard.error_line;
		} else if (problem && problem->message) {
			snprintf(message, sizeof(message), "%s",
				 problem->message);
			line = problem->line > 0 ? (unsigned)problem->line : 0;
		}
		vnet_trim_newlines(message);
		vnet_error_set(error, VNET_REQUEST_NOT_XML, line, NULL, NULL,
			  "not well-formed XML: %s", message);
	} else {
		xmlFreeParserCtxt(parser);
		return document;
	}
	xmlFreeDoc(document);
	xmlFreeParserCtxt(parser);
	return NULL;
}

/* ---- Stage 2: the schema ------------------------------------------------- */

static bool is_loom(const xmlNode *node)
{
	return vnet_has_namespace(node, VNET_REQUEST_NAMESPACE);
}

static bool is_element(const xmlNode *node, const char *name)
{
	return node->type == XML_ELEMENT_NODE && is_loom(node) &&
	       strcmp((const char *)node->name, name) == 0;
}

/* Removes every "{urn:loom:vnet:1}" from libxml2's messages: names in our
 * own namespace read better bare. */
static void strip_namespace(char *text)
{
	static const char needle[] = "{" VNET_REQUEST_NAMESPACE "}";
	char *found;
	while ((found = strstr(text, needle)))
		memmove(found, found + sizeof(needle) - 1,
			strlen(found + sizeof(needle) - 1) + 1);
}

struct schema_state {
	bool seen;
	struct vnet_request_error *error;
};

/* Keeps the first schema error: its line, its element, the attribute the
 * message names, and the reason without libxml2's "Element 'x', attribute
 * 'y': " prefix (the formatter says where). */
static void on_schema_error(void *user, xml_error_pointer problem)
{
	struct schema_state *state = user;
	if (state->seen || !problem)
		return;
	state->seen = true;
	char message[sizeof(state->error->message)];
	snprintf(message, sizeof(message), "%s",
		 problem->message ? problem->message : "schema violation");
	vnet_trim_newlines(message);
	strip_namespace(message);

	const char *element = NULL;
	char attribute[64] = "";
	const xmlNode *node = problem->node;
	unsigned line = problem->line > 0 ? (unsigned)problem->line : 0;
	if (node && node->type == XML_ATTRIBUTE_NODE) {
		snprintf(attribute, sizeof(attribute), "%s", node->name);
		node = node->parent;
	}
	if (node && node->type == XML_ELEMENT_NODE) {
		element = (const char *)node->name;
		if (!line)
			line = vnet_line_of(node);
	}
	const char *reason = message;
	if (strncmp(reason, "Element '", 9) == 0) {
		const char *end = strchr(reason + 9, '\'');
		if (end && strncmp(end, "', attribute '", 14) == 0) {
			const char *name = end + 14;
			const char *name_end = strchr(name, '\'');
			if (name_end && !attribute[0])
				snprintf(attribute, sizeof(attribute), "%.*s",
					 (int)(name_end - name), name);
			end = name_end;
		}
		if (end && strncmp(end, "': ", 3) == 0)
			reason = end + 3;
	}
	vnet_error_set(state->error, VNET_REQUEST_SCHEMA, line, element, attribute,
		  "%s", reason);
}

static int check_schema(xmlDoc *document, struct vnet_request_error *error)
{
	if (!global_schema)
		return vnet_error_set(error, VNET_REQUEST_NO_MEMORY, 0, NULL, NULL,
				 "the compiled-in schema could not be loaded");
	xmlSchemaValidCtxt *validator = xmlSchemaNewValidCtxt(global_schema);
	if (!validator)
		return vnet_error_set(error, VNET_REQUEST_NO_MEMORY, 0, NULL, NULL,
				 "out of memory");
	struct schema_state state = { .error = error };
	xmlSchemaSetValidStructuredErrors(validator, on_schema_error, &state);
	/* Anything libxml2 reports outside the validator's own channel is
	 * not printed either. */
	xmlStructuredErrorFunc saved_handler = xmlStructuredError;
	void *saved_context = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(NULL, vnet_xml_ignore_error);
	int result = xmlSchemaValidateDoc(validator, document);
	xmlSetStructuredErrorFunc(saved_context, saved_handler);
	xmlSchemaFreeValidCtxt(validator);
	if (result == 0)
		return 0;
	if (!state.seen)
		vnet_error_set(error, result > 0 ? VNET_REQUEST_SCHEMA :
					      VNET_REQUEST_NO_MEMORY,
			  0, NULL, NULL, "schema validation failed (%d)",
			  result);
	return -1;
}

/* ---- Stage 3: the model and its rules ------------------------------------ */

static int add_interface(struct vnet_builder *builder, uint32_t node_index,
			 const xmlNode *element)
{
	struct vnet_interface *iface =
		vnet_interface_append(builder, node_index, element);
	if (!iface)
		return -1;
	if (vnet_read_string(builder, element, "id", &iface->id) < 0)
		return -1;
	if (!iface->id)
		return vnet_error_set(builder->error, VNET_REQUEST_SCHEMA,
				      iface->line, "interface", "id",
				      "missing");
	char *mac = NULL;
	if (vnet_read_string(builder, element, "mac", &mac) < 0)
		return -1;
	if (mac) {
		int parsed = vnet_parse_mac(vnet_skip_blanks(mac), iface->mac);
		free(mac);
		if (parsed < 0)
			return vnet_error_set(builder->error, VNET_REQUEST_MAC,
					      iface->line, "interface", "mac",
					      "expected six hex bytes "
					      "aa:bb:cc:dd:ee:ff");
		iface->has_mac = true;
		if (vnet_check_mac(builder, iface, "interface") < 0)
			return -1;
	}
	for (const xmlNode *child = element->children; child;
	     child = child->next) {
		if (!is_element(child, "ip"))
			continue;
		char *text = NULL;
		if (vnet_read_string(builder, child, "address", &text) < 0)
			return -1;
		if (!text)
			return vnet_error_set(builder->error,
					      VNET_REQUEST_SCHEMA,
					      vnet_line_of(child), "ip",
					      "address", "missing");
		struct vnet_address address;
		const char *reason = vnet_parse_address(text, &address);
		if (reason) {
			vnet_error_set(builder->error, VNET_REQUEST_ADDRESS,
				       vnet_line_of(child), "ip", "address",
				       "'%s': %s", text, reason);
			free(text);
			return -1;
		}
		free(text);
		/* This may move iface's array, not iface itself. */
		if (vnet_interface_add_address(builder, iface, &address) < 0)
			return -1;
	}
	return 0;
}

static int parse_placement(struct vnet_builder *builder,
			   struct vnet_node *node, const xmlNode *element)
{
	struct vnet_placement *placement = &node->placement;
	uint32_t capacity = 0;
	for (const xmlNode *child = element->children; child;
	     child = child->next) {
		if (is_element(child, "substrate-node")) {
			if (vnet_grow((void **)&placement->substrate_nodes,
				      &capacity,
				      placement->substrate_node_count,
				      sizeof(char *)) < 0)
				return vnet_out_of_memory(builder);
			char **slot = &placement->substrate_nodes
					       [placement->substrate_node_count];
			if (vnet_read_string(builder, child, "id", slot) < 0)
				return -1;
			if (!*slot)
				return vnet_error_set(builder->error,
						      VNET_REQUEST_SCHEMA,
						      vnet_line_of(child),
						      "substrate-node", "id",
						      "missing");
			placement->substrate_node_count++;
		} else if (is_element(child, "site")) {
			if (placement->site)
				return vnet_error_set(builder->error,
						      VNET_REQUEST_PLACEMENT,
						      vnet_line_of(child),
						      "site", NULL,
						      "node '%s' has more than "
						      "one site",
						      node->id);
			if (vnet_read_string(builder, child, "name",
					     &placement->site) < 0)
				return -1;
		} else if (is_element(child, "near")) {
			if (placement->has_near)
				return vnet_error_set(builder->error,
						      VNET_REQUEST_PLACEMENT,
						      vnet_line_of(child),
						      "near", NULL,
						      "node '%s' has more than "
						      "one 'near' constraint",
						      node->id);
			placement->has_near = true;
			if (vnet_read_decimal(builder, child, "x",
					      &placement->x) < 0 ||
			    vnet_read_decimal(builder, child, "y",
					      &placement->y) < 0 ||
			    vnet_read_decimal(builder, child, "max-distance",
					      &placement->max_distance) < 0)
				return -1;
		}
	}
	return vnet_check_placement(builder, placement, vnet_line_of(element),
				    "placement");
}

static int add_node(struct vnet_builder *builder, const xmlNode *element)
{
	struct vnet_request *request = &builder->request;
	struct vnet_node *node = vnet_node_append(builder, element);
	if (!node)
		return -1;
	uint32_t index = request->node_count - 1;
	if (vnet_read_string(builder, element, "id", &node->id) < 0)
		return -1;
	if (!node->id)
		return vnet_error_set(builder->error, VNET_REQUEST_SCHEMA,
				      node->line, "node", "id", "missing");
	int kind = vnet_read_choice(builder, element, "kind",
				    vnet_node_kind_names, VNET_NODE_KIND_COUNT);
	if (kind == VNET_CHOICE_FAILED)
		return -1;
	if (kind == VNET_CHOICE_UNKNOWN)
		return vnet_error_set(builder->error, VNET_REQUEST_SCHEMA,
				      node->line, "node", "kind",
				      "expected host or vm");
	if (kind >= 0)
		node->kind = (enum vnet_node_kind)kind;
	node->cpu = -1;
	if (vnet_read_decimal(builder, element, "cpu", &node->cpu) < 0 ||
	    vnet_check_cpu(builder, node, "node", "cpu") < 0)
		return -1;
	uint64_t memory = node->memory_mib;
	if (vnet_read_unsigned(builder, element, "memory", &memory) < 0)
		return -1;
	if (memory == 0 || memory > UINT32_MAX)
		return vnet_error_set(builder->error, VNET_REQUEST_SCHEMA,
				      node->line, "node", "memory",
				      "expected 1 to %u MiB", UINT32_MAX);
	node->memory_mib = (uint32_t)memory;
	if (vnet_read_string(builder, element, "image", &node->image) < 0 ||
	    vnet_check_image(builder, node, "image") < 0)
		return -1;

	bool placed = false;
	for (const xmlNode *child = element->children; child;
	     child = child->next) {
		if (is_element(child, "placement")) {
			if (placed)
				return vnet_error_set(builder->error,
						      VNET_REQUEST_PLACEMENT,
						      vnet_line_of(child),
						      "placement", NULL,
						      "node '%s' has more than "
						      "one placement",
						      node->id);
			placed = true;
			if (parse_placement(builder, node, child) < 0)
				return -1;
		} else if (is_element(child, "interface")) {
			if (add_interface(builder, index, child) < 0)
				return -1;
			/* The nodes array never moves here, but stay safe. */
			node = &request->nodes[index];
			node->interface_count++;
		}
	}
	return 0;
}

static int add_link(struct vnet_builder *builder, const xmlNode *element)
{
	struct vnet_request *request = &builder->request;
	struct vnet_link *link = vnet_link_append(builder, element);
	if (!link)
		return -1;
	uint32_t index = request->link_count - 1;
	if (vnet_read_string(builder, element, "id", &link->id) < 0)
		return -1;
	if (!link->id)
		return vnet_error_set(builder->error, VNET_REQUEST_SCHEMA,
				      link->line, "link", "id", "missing");
	int isolation = vnet_read_choice(builder, element, "isolation",
					 vnet_isolation_names,
					 VNET_ISOLATION_COUNT);
	if (isolation == VNET_CHOICE_FAILED)
		return -1;
	if (isolation == VNET_CHOICE_UNKNOWN)
		return vnet_error_set(builder->error, VNET_REQUEST_SCHEMA,
				      link->line, "link", "isolation",
				      "expected any, vlan or vxlan");
	if (isolation >= 0)
		link->isolation = (enum vnet_isolation)isolation;
	uint64_t mtu = link->mtu;
	if (vnet_read_unsigned(builder, element, "mtu", &mtu) < 0)
		return -1;
	if (mtu < 68 || mtu > 9000)
		return vnet_error_set(builder->error, VNET_REQUEST_SCHEMA,
				      link->line, "link", "mtu",
				      "expected 68 to 9000 bytes");
	link->mtu = (uint32_t)mtu;
	if (vnet_read_unsigned(builder, element, "capacity",
			       &link->capacity_kbps) < 0)
		return -1;
	if (link->capacity_kbps == 0)
		return vnet_error_set(builder->error, VNET_REQUEST_CAPACITY,
				      link->line, "link", "capacity",
				      "link '%s' needs a capacity above 0 "
				      "kbit/s",
				      link->id);
	if (vnet_read_decimal(builder, element, "latency", &link->latency_ms) <
		    0 ||
	    vnet_read_decimal(builder, element, "loss", &link->loss) < 0)
		return -1;
	if (!(link->latency_ms >= 0) || !(link->loss >= 0 && link->loss <= 1))
		return vnet_error_set(builder->error, VNET_REQUEST_SCHEMA,
				      link->line, "link", NULL,
				      "latency must be >= 0 ms and loss 0 to "
				      "1");

	vnet_link_begin(builder);
	for (const xmlNode *child = element->children; child;
	     child = child->next) {
		if (!is_element(child, "endpoint"))
			continue;
		unsigned line = vnet_line_of(child);
		char *name = NULL;
		if (vnet_read_string(builder, child, "interface", &name) < 0)
			return -1;
		if (!name)
			return vnet_error_set(builder->error,
					      VNET_REQUEST_SCHEMA, line,
					      "endpoint", "interface",
					      "missing");
		struct vnet_endpoint *endpoint = NULL;
		int added = vnet_link_add_endpoint(builder, index, name, line,
						   &endpoint);
		free(name);
		if (added < 0)
			return -1;
		if (vnet_read_unsigned(builder, child, "send",
				       &endpoint->send_kbps) < 0 ||
		    vnet_read_unsigned(builder, child, "receive",
				       &endpoint->receive_kbps) < 0 ||
		    vnet_check_endpoint_capacity(builder, link, endpoint,
						 "send", "receive") < 0)
			return -1;
	}
	return vnet_check_link(builder, link);
}

static int build_model(struct vnet_builder *builder, const xmlNode *root)
{
	struct vnet_request *request = &builder->request;
	if (vnet_read_string(builder, root, "name", &request->name) < 0)
		return -1;
	if (!request->name)
		return vnet_error_set(builder->error, VNET_REQUEST_SCHEMA,
				      vnet_line_of(root), "vnet", "name",
				      "missing");
	char *lease = NULL;
	if (vnet_read_string(builder, root, "lease-end", &lease) < 0)
		return -1;
	if (lease) {
		int checked = vnet_check_lease(builder, lease,
					       vnet_line_of(root), "vnet",
					       "lease-end");
		free(lease);
		if (checked < 0)
			return -1;
	}

	for (const xmlNode *child = root->children; child; child = child->next)
		if (is_element(child, "node") && add_node(builder, child) < 0)
			return -1;
	if (vnet_check_ids(builder) < 0)
		return -1;
	for (const xmlNode *child = root->children; child; child = child->next)
		if (is_element(child, "link") && add_link(builder, child) < 0)
			return -1;
	return vnet_check_link_ids(builder);
}

/* ---- Extensions: kept and ignored ---------------------------------------- */

static char *describe_parent(const xmlNode *element)
{
	const char *name = (const char *)element->name;
	const char *key = strcmp(name, "endpoint") == 0 ? "interface" :
			  strcmp(name, "substrate-node") == 0 ? "id" :
			  strcmp(name, "site") == 0	     ? "name" :
			  strcmp(name, "ip") == 0	     ? "address" :
							       "id";
	if (strcmp(name, "vnet") == 0)
		return strdup(name);
	const xmlNode *owner = element;
	if (strcmp(name, "placement") == 0 && element->parent)
		owner = element->parent; /* "placement web" */
	const xmlAttr *attribute = vnet_find_attribute(owner, key);
	return vnet_element_label(name, attribute);
}

/* The element alone, with the namespace declarations it needs. */
char *vnet_serialize_element(xmlDoc *document, const xmlNode *element)
{
	xmlNode *copy = xmlDocCopyNode((xmlNode *)element, document, 1);
	if (!copy)
		return NULL;
	xmlReconciliateNs(document, copy);
	xmlBuffer *buffer = xmlBufferCreate();
	char *text = NULL;
	if (buffer && xmlNodeDump(buffer, document, copy, 0, 0) >= 0)
		text = strdup((const char *)xmlBufferContent(buffer));
	xmlBufferFree(buffer);
	xmlFreeNode(copy);
	return text;
}

int vnet_extension_add(struct vnet_builder *builder, bool attribute,
		       const xmlNs *ns, const xmlChar *name, char *parent,
		       char *text, unsigned line)
{
	struct vnet_request *request = &builder->request;
	if (!text || vnet_grow((void **)&request->extensions,
			       &builder->extension_capacity,
			       request->extension_count,
			       sizeof(*request->extensions)) < 0) {
		free(text);
		free(parent);
		return vnet_out_of_memory(builder);
	}
	struct vnet_extension *extension =
		&request->extensions[request->extension_count++];
	extension->attribute = attribute;
	extension->text = text;
	extension->line = line;
	extension->namespace_uri =
		strdup(ns && ns->href ? (const char *)ns->href : "");
	extension->name = strdup((const char *)name);
	extension->parent = parent;
	if (!extension->namespace_uri || !extension->name || !extension->parent)
		return vnet_out_of_memory(builder);
	return 0;
}

static int add_extension(struct vnet_builder *builder, const xmlNode *parent,
			 bool attribute, const xmlNs *ns, const xmlChar *name,
			 char *text, unsigned line)
{
	return vnet_extension_add(builder, attribute, ns, name,
				  describe_parent(parent), text, line);
}

/* Walks our own elements in document order; a foreign element is kept
 * whole (its descendants are not walked). */
static int collect_extensions(struct vnet_builder *builder,
			      const xmlNode *element)
{
	for (const xmlAttr *a = element->properties; a; a = a->next) {
		if (!a->ns || (a->ns->href &&
			       strcmp((const char *)a->ns->href,
				      XSI_NAMESPACE) == 0))
			continue;
		if (add_extension(builder, element, true, a->ns, a->name,
				  vnet_attribute_text(a),
				  vnet_line_of(element)) < 0)
			return -1;
	}
	for (const xmlNode *child = element->children; child;
	     child = child->next) {
		if (child->type != XML_ELEMENT_NODE)
			continue;
		if (is_loom(child)) {
			if (collect_extensions(builder, child) < 0)
				return -1;
			continue;
		}
		if (add_extension(builder, element, false, child->ns,
				  child->name,
				  vnet_serialize_element(builder->document,
							 child),
				  vnet_line_of(child)) < 0)
			return -1;
	}
	return 0;
}

/* ---- The entry points ---------------------------------------------------- */

int vnet_request_from_document(xmlDoc *document, time_t now,
			       struct vnet_request *out,
			       struct vnet_request_error *error)
{
	pthread_once(&schema_once, schema_init);
	const xmlNode *root = xmlDocGetRootElement(document);
	if (!root)
		return vnet_error_set(error, VNET_REQUEST_NOT_XML, 0, NULL,
				      NULL, "no root element");
	if (!is_element(root, "vnet")) {
		const char *uri = root->ns && root->ns->href ?
					  (const char *)root->ns->href :
					  "";
		if (strcmp(uri, RSPEC_V3_NAMESPACE) == 0)
			return vnet_error_set(
				error, VNET_REQUEST_WRONG_ROOT,
				vnet_line_of(root), (const char *)root->name,
				NULL,
				"a GENI RSpec, not a Loom VNet request (root "
				"'vnet' in namespace " VNET_REQUEST_NAMESPACE
				")");
		return vnet_error_set(error, VNET_REQUEST_WRONG_ROOT,
				      vnet_line_of(root),
				      (const char *)root->name, NULL,
				      "root element '%s' in namespace '%s': a "
				      "VNet request is 'vnet' in namespace "
				      VNET_REQUEST_NAMESPACE,
				      root->name, uri);
	}
	if (check_schema(document, error) < 0)
		return -1;

	struct vnet_builder builder = { .document = document,
					.now = now,
					.error = error,
					.id_attribute = "id",
					.endpoint_element = "endpoint",
					.endpoint_attribute = "interface",
					.mac_attribute = "mac" };
	int built = build_model(&builder, root);
	vnet_builder_release(&builder);
	if (built < 0 || collect_extensions(&builder, root) < 0) {
		vnet_request_free(&builder.request);
		return -1;
	}
	*out = builder.request;
	error->problem = VNET_REQUEST_NONE;
	return 0;
}

int vnet_request_parse(const char *xml, size_t length, const char *name,
		       time_t now, struct vnet_request *out,
		       struct vnet_request_error *error)
{
	struct vnet_request_error local_error;
	if (!error)
		error = &local_error;
	vnet_error_start(error, name);
	if (out)
		memset(out, 0, sizeof(*out));
	if (!out || (!xml && length))
		return vnet_error_set(error, VNET_REQUEST_NOT_XML, 0, NULL,
				      NULL, "no document");
	if (vnet_global_init(error) < 0)
		return -1;
	xmlDoc *document = vnet_xml_read(xml, length, error);
	if (!document)
		return -1;
	int result = vnet_request_from_document(document, now, out, error);
	xmlFreeDoc(document);
	return result;
}

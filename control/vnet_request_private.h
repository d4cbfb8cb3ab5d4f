/* What the VNet request readers share (private to control/).
 *
 *   vnet_request.c        Loom's XML format: the safe XML read (shared),
 *                         the schema, Loom's elements, the extensions
 *   vnet_request_check.c  the rules checked on the model, whatever the
 *                         format: unique ids and MACs, endpoints, lease,
 *                         CPU, image, placement
 *   vnet_request_util.c   names, errors, attribute readers, MAC, address
 *                         and date parsing, lookups, formatting, free
 *   rspec.c               GENI RSpec v3 requests into the same model
 *
 * A reader fills a struct vnet_builder and calls the checks in the order
 * vnet_request.c does; the request is handed to the caller only when all
 * of it passed. */
#ifndef LOOM_VNET_REQUEST_PRIVATE_H
#define LOOM_VNET_REQUEST_PRIVATE_H

#include <locale.h>

#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "control.h"

#define XSI_NAMESPACE "http://www.w3.org/2001/XMLSchema-instance"

#if LIBXML_VERSION >= 21200
typedef const xmlError *xml_error_pointer;
#else
typedef xmlError *xml_error_pointer;
#endif

/* Written by a reader (vnet_request.c, rspec.c) and the checks; the
 * request moves to the caller on success. The names say which element
 * and attribute an error points at, since the formats name them
 * differently (Loom: "id", "endpoint"/"interface"; RSpec: "client_id",
 * "interface_ref"/"client_id"). */
struct vnet_builder {
	struct vnet_request request;
	uint32_t node_capacity, interface_capacity, link_capacity,
		extension_capacity, endpoint_capacity;
	xmlDoc *document;
	time_t now;
	struct vnet_request_error *error;
	const char *id_attribute;
	const char *endpoint_element, *endpoint_attribute;
	const char *mac_attribute;
	/* Made by vnet_check_ids, used by vnet_link_add_endpoint. */
	struct vnet_id_entry *interface_index;
	uint32_t *node_marks;
};

/* An id and where it is, for sorting. */
struct vnet_id_entry {
	const char *id;
	uint32_t index;
	unsigned line;
};

/* ---- vnet_request_util.c ---- */

/* xmlInitParser and the C locale, once per process; -1 with the error
 * set when the locale cannot be made. */
int vnet_global_init(struct vnet_request_error *error);
extern locale_t vnet_c_locale;

void vnet_xml_ignore_error(void *user, xml_error_pointer problem);

int vnet_error_set(struct vnet_request_error *error,
		   enum vnet_request_problem problem, unsigned line,
		   const char *element, const char *attribute,
		   const char *format, ...)
	__attribute__((format(printf, 6, 7)));
/* Clears error and names the document in it (NULL: "request"). */
void vnet_error_start(struct vnet_request_error *error, const char *name);
int vnet_out_of_memory(struct vnet_builder *builder);
void vnet_trim_newlines(char *text);

int vnet_grow(void **array, uint32_t *capacity, uint32_t count, size_t size);
/* "name value" (the attribute's value; just "name" without one), for an
 * extension's parent; malloc'd, NULL without memory. */
char *vnet_element_label(const char *name, const xmlAttr *attribute);
/* A new node (host, 512 MiB, its interfaces from the next one on) or
 * link (any isolation, MTU 1500) at element's line, the rest zero; NULL
 * (out of memory, reported) on failure. Both XML readers use them. */
struct vnet_node *vnet_node_append(struct vnet_builder *builder,
				   const xmlNode *element);
struct vnet_link *vnet_link_append(struct vnet_builder *builder,
				   const xmlNode *element);
/* A new interface of node node_index, at element's line, no link yet;
 * NULL (out of memory, reported) on failure. */
struct vnet_interface *vnet_interface_append(struct vnet_builder *builder,
					     uint32_t node_index,
					     const xmlNode *element);

unsigned vnet_line_of(const xmlNode *node);
bool vnet_has_namespace(const xmlNode *node, const char *uri);
const char *vnet_skip_blanks(const char *text);
bool vnet_only_blanks(const char *text);
/* Attributes without a namespace (both formats' own). */
const xmlAttr *vnet_find_attribute(const xmlNode *node, const char *name);
char *vnet_attribute_text(const xmlAttr *attribute);
int vnet_read_string(struct vnet_builder *builder, const xmlNode *node,
		     const char *name, char **value);
int vnet_read_decimal(struct vnet_builder *builder, const xmlNode *node,
		      const char *name, double *value);
int vnet_read_unsigned(struct vnet_builder *builder, const xmlNode *node,
		       const char *name, uint64_t *value);
/* An attribute naming one of `names` (surrounding blanks allowed): its
 * index, VNET_CHOICE_ABSENT, VNET_CHOICE_UNKNOWN, or VNET_CHOICE_FAILED
 * (out of memory, error set). */
enum {
	VNET_CHOICE_ABSENT = -1,
	VNET_CHOICE_UNKNOWN = -2,
	VNET_CHOICE_FAILED = -3
};
int vnet_read_choice(struct vnet_builder *builder, const xmlNode *node,
		     const char *name, const char *const *names, int count);

extern const char *const vnet_node_kind_names[];
extern const char *const vnet_isolation_names[];

/* xs:dateTime with a four-digit year and a time zone into Unix seconds;
 * false with a reason. */
bool vnet_parse_date_time(const char *text, time_t *result,
			  const char **reason);
/* aa:bb:cc:dd:ee:ff (either case); 0 or -1. */
int vnet_parse_mac(const char *text, uint8_t mac[6]);
/* "ADDRESS/PREFIX"; NULL or the reason it is not one. text is not
 * changed. */
const char *vnet_parse_address(const char *text,
			       struct vnet_address *address);
int vnet_interface_add_address(struct vnet_builder *builder,
			       struct vnet_interface *iface,
			       const struct vnet_address *address);

/* ---- vnet_request.c ---- */

/* Stage 1: well-formed XML from memory, no network, no DTD, bounded size
 * and depth. NULL with the error set. */
xmlDoc *vnet_xml_read(const char *xml, size_t length,
		      struct vnet_request_error *error);
/* Loom's stages 2 and 3 on a document read by vnet_xml_read (the caller
 * frees it). */
int vnet_request_from_document(xmlDoc *document, time_t now,
			       struct vnet_request *out,
			       struct vnet_request_error *error);
/* The element alone, with the namespace declarations it needs. */
char *vnet_serialize_element(xmlDoc *document, const xmlNode *element);
/* Appends one extension (takes text and parent, even on failure). */
int vnet_extension_add(struct vnet_builder *builder, bool attribute,
		       const xmlNs *ns, const xmlChar *name, char *parent,
		       char *text, unsigned line);

/* ---- vnet_request_check.c ---- */

int vnet_check_cpu(struct vnet_builder *builder, const struct vnet_node *node,
		   const char *element, const char *attribute);
int vnet_check_image(struct vnet_builder *builder,
		     const struct vnet_node *node, const char *attribute);
/* MAC values: unicast and not zero. */
int vnet_check_mac(struct vnet_builder *builder,
		   const struct vnet_interface *iface, const char *element);
/* A lease end text (xs:dateTime) into the request, later than now. */
int vnet_check_lease(struct vnet_builder *builder, const char *text,
		     unsigned line, const char *element,
		     const char *attribute);
/* Sorts the allowed substrate nodes; refuses one listed twice. */
int vnet_check_placement(struct vnet_builder *builder,
			 struct vnet_placement *placement, unsigned line,
			 const char *element);
/* Unique node and interface ids, unique MACs; prepares the interface
 * index for the links. Call once all nodes are in. */
int vnet_check_ids(struct vnet_builder *builder);
/* Starts link `link_index`'s endpoint list (after the link's capacity is
 * known: it is every endpoint's default send and receive). */
void vnet_link_begin(struct vnet_builder *builder);
/* Joins interface `id` to link `link_index`: it must exist, be on no
 * other link and not on a node the link already joins. *endpoint points
 * at the new endpoint (valid until the next add). */
int vnet_link_add_endpoint(struct vnet_builder *builder, uint32_t link_index,
			   const char *id, unsigned line,
			   struct vnet_endpoint **endpoint);
int vnet_check_endpoint_capacity(struct vnet_builder *builder,
				 const struct vnet_link *link,
				 const struct vnet_endpoint *endpoint,
				 const char *send_attribute,
				 const char *receive_attribute);
/* At least two endpoints. */
int vnet_check_link(struct vnet_builder *builder,
		    const struct vnet_link *link);
/* Unique link ids; call once all links are in. */
int vnet_check_link_ids(struct vnet_builder *builder);
/* Frees the check state (not the request). */
void vnet_builder_release(struct vnet_builder *builder);

#endif

/* Loom's VNet request format: XML (urn:loom:vnet:1) into struct
 * vnet_request. See control.h for the model and docs/vnet-request.md for
 * the format.
 *
 * Three stages, each refusing with a positioned error:
 *   1. well-formed XML, parsed with no network and no DTD: a DOCTYPE stops
 *      the parser as soon as it is seen, so no entity (external or
 *      recursive) can exist; size and nesting depth are bounded.
 *   2. the schema, compiled into the library (generated at build time from
 *      control/schema/loom-vnet.xsd) and parsed once per process.
 *   3. the rules a schema cannot say, checked while the model is built.
 * The model is built in a private request and handed over only when all
 * three pass, so the caller never sees a half-filled one. */
#include "control.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
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

#define XSI_NAMESPACE "http://www.w3.org/2001/XMLSchema-instance"
#define GENI_RSPEC_NAMESPACE "http://www.geni.net/resources/rspec/3"

static const char *const node_kind_names[] = {
#define _(name, text) text,
	foreach_vnet_node_kind
#undef _
};

static const char *const isolation_names[] = {
#define _(name, text) text,
	foreach_vnet_isolation
#undef _
};

static const char *const problem_names[] = {
#define _(name, text) text,
	foreach_vnet_request_problem
#undef _
};

const char *vnet_node_kind_name(enum vnet_node_kind kind)
{
	return (unsigned)kind < VNET_NODE_KIND_COUNT ? node_kind_names[kind] :
						       "?";
}

const char *vnet_isolation_name(enum vnet_isolation isolation)
{
	return (unsigned)isolation < VNET_ISOLATION_COUNT ?
		       isolation_names[isolation] :
		       "?";
}

const char *vnet_request_problem_name(enum vnet_request_problem problem)
{
	return (unsigned)problem < VNET_REQUEST_PROBLEM_COUNT ?
		       problem_names[problem] :
		       "?";
}

const char *vnet_request_schema(void)
{
	return loom_vnet_xsd;
}

/* ---- Process-wide state: the parsed schema and the C locale ------------ */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static xmlSchema *global_schema;
static locale_t c_locale; /* numbers are read the same in every locale */

#if LIBXML_VERSION >= 21200
typedef const xmlError *xml_error_pointer;
#else
typedef xmlError *xml_error_pointer;
#endif

static void ignore_error(void *user, xml_error_pointer problem)
{
	(void)user;
	(void)problem;
}

static void global_init(void)
{
	xmlInitParser();
	c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	xmlSchemaParserCtxt *parser = xmlSchemaNewMemParserCtxt(
		loom_vnet_xsd, (int)loom_vnet_xsd_length);
	if (!parser)
		return;
	xmlSchemaSetParserStructuredErrors(parser, ignore_error, NULL);
	global_schema = xmlSchemaParse(parser);
	xmlSchemaFreeParserCtxt(parser);
}

/* ---- Errors -------------------------------------------------------------- */

static int set_error(struct vnet_request_error *error,
		     enum vnet_request_problem problem, unsigned line,
		     const char *element, const char *attribute,
		     const char *format, ...) __attribute__((format(printf, 6, 7)));

static int set_error(struct vnet_request_error *error,
		     enum vnet_request_problem problem, unsigned line,
		     const char *element, const char *attribute,
		     const char *format, ...)
{
	error->problem = problem;
	error->line = line;
	snprintf(error->element, sizeof(error->element), "%s",
		 element ? element : "");
	snprintf(error->attribute, sizeof(error->attribute), "%s",
		 attribute ? attribute : "");
	va_list arguments;
	va_start(arguments, format);
	vsnprintf(error->message, sizeof(error->message), format, arguments);
	va_end(arguments);
	return -1;
}

void vnet_request_error_format(const struct vnet_request_error *error,
			       char *buf, size_t size)
{
	char where[160] = "";
	if (error->element[0] && error->attribute[0])
		snprintf(where, sizeof(where), " element '%s' attribute '%s':",
			 error->element, error->attribute);
	else if (error->element[0])
		snprintf(where, sizeof(where), " element '%s':",
			 error->element);
	if (error->line)
		snprintf(buf, size, "%s:%u:%s %s", error->file, error->line,
			 where, error->message);
	else
		snprintf(buf, size, "%s:%s %s", error->file, where,
			 error->message);
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

/* libxml2's messages end with a newline and some have one inside. */
static void trim_newlines(char *text)
{
	for (char *c = text; *c; c++)
		if (*c == '\n')
			*c = ' ';
	size_t length = strlen(text);
	while (length && (text[length - 1] == '\n' || text[length - 1] == ' '))
		text[--length] = '\0';
}

static xmlDoc *read_document(const char *xml, size_t length,
			     struct vnet_request_error *error)
{
	if (length > VNET_REQUEST_MAX_SIZE) {
		set_error(error, VNET_REQUEST_TOO_LARGE, 0, NULL, NULL,
			  "document of %zu bytes, at most %u accepted", length,
			  VNET_REQUEST_MAX_SIZE);
		return NULL;
	}
	if (length == 0) {
		set_error(error, VNET_REQUEST_NOT_XML, 0, NULL, NULL,
			  "empty document");
		return NULL;
	}
	xmlParserCtxt *parser = xmlCreateMemoryParserCtxt(xml, (int)length);
	if (!parser) {
		set_error(error, VNET_REQUEST_NO_MEMORY, 0, NULL, NULL,
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
		set_error(error, VNET_REQUEST_DTD, guard.line, NULL, NULL,
			  "a DOCTYPE is not accepted (no DTDs, no entities)");
	} else if (guard.too_deep) {
		set_error(error, VNET_REQUEST_TOO_DEEP, guard.line, NULL, NULL,
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
		trim_newlines(message);
		set_error(error, VNET_REQUEST_NOT_XML, line, NULL, NULL,
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

static bool has_namespace(const xmlNode *node, const char *uri)
{
	return node->ns && node->ns->href &&
	       strcmp((const char *)node->ns->href, uri) == 0;
}

static bool is_loom(const xmlNode *node)
{
	return has_namespace(node, VNET_REQUEST_NAMESPACE);
}

static bool is_element(const xmlNode *node, const char *name)
{
	return node->type == XML_ELEMENT_NODE && is_loom(node) &&
	       strcmp((const char *)node->name, name) == 0;
}

static unsigned line_of(const xmlNode *node)
{
	long line = xmlGetLineNo(node);
	return line > 0 && line < UINT_MAX ? (unsigned)line : 0;
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
	trim_newlines(message);
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
			line = line_of(node);
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
	set_error(state->error, VNET_REQUEST_SCHEMA, line, element, attribute,
		  "%s", reason);
}

static int check_schema(xmlDoc *document, struct vnet_request_error *error)
{
	if (!global_schema)
		return set_error(error, VNET_REQUEST_NO_MEMORY, 0, NULL, NULL,
				 "the compiled-in schema could not be loaded");
	xmlSchemaValidCtxt *validator = xmlSchemaNewValidCtxt(global_schema);
	if (!validator)
		return set_error(error, VNET_REQUEST_NO_MEMORY, 0, NULL, NULL,
				 "out of memory");
	struct schema_state state = { .error = error };
	xmlSchemaSetValidStructuredErrors(validator, on_schema_error, &state);
	/* Anything libxml2 reports outside the validator's own channel is
	 * not printed either. */
	xmlStructuredErrorFunc saved_handler = xmlStructuredError;
	void *saved_context = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(NULL, ignore_error);
	int result = xmlSchemaValidateDoc(validator, document);
	xmlSetStructuredErrorFunc(saved_context, saved_handler);
	xmlSchemaFreeValidCtxt(validator);
	if (result == 0)
		return 0;
	if (!state.seen)
		set_error(error, result > 0 ? VNET_REQUEST_SCHEMA :
					      VNET_REQUEST_NO_MEMORY,
			  0, NULL, NULL, "schema validation failed (%d)",
			  result);
	return -1;
}

/* ---- Stage 3: the model and its rules ------------------------------------ */

struct builder {
	struct vnet_request request;
	uint32_t node_capacity, interface_capacity, link_capacity,
		extension_capacity;
	xmlDoc *document;
	time_t now;
	struct vnet_request_error *error;
};

static int grow(void **array, uint32_t *capacity, uint32_t count, size_t size)
{
	if (count < *capacity)
		return 0;
	uint32_t wanted = *capacity ? *capacity * 2 : 8;
	void *bigger = realloc(*array, (size_t)wanted * size);
	if (!bigger)
		return -ENOMEM;
	memset((char *)bigger + (size_t)*capacity * size, 0,
	       (size_t)(wanted - *capacity) * size);
	*array = bigger;
	*capacity = wanted;
	return 0;
}

static int out_of_memory(struct builder *builder)
{
	return set_error(builder->error, VNET_REQUEST_NO_MEMORY, 0, NULL, NULL,
			 "out of memory");
}

/* An attribute's value as a new C string (NULL only on allocation
 * failure). */
static char *attribute_text(const xmlAttr *attribute)
{
	xmlChar *value = xmlNodeListGetString(attribute->doc,
					      attribute->children, 1);
	char *copy = strdup(value ? (const char *)value : "");
	xmlFree(value);
	return copy;
}

/* Our own attributes have no namespace (attributeFormDefault is
 * unqualified). */
static const xmlAttr *find_attribute(const xmlNode *node, const char *name)
{
	for (const xmlAttr *a = node->properties; a; a = a->next)
		if (!a->ns && strcmp((const char *)a->name, name) == 0)
			return a;
	return NULL;
}

/* The XSD whitespace facet of numbers and dates is "collapse": leading and
 * trailing blanks are allowed. */
static const char *skip_blanks(const char *text)
{
	while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
		text++;
	return text;
}

static bool only_blanks(const char *text)
{
	return *skip_blanks(text) == '\0';
}

/* Reads an attribute as a decimal (the schema has checked its form). */
static int read_decimal(struct builder *builder, const xmlNode *node,
			const char *name, double *value)
{
	const xmlAttr *attribute = find_attribute(node, name);
	if (!attribute)
		return 0;
	char *text = attribute_text(attribute);
	if (!text)
		return out_of_memory(builder);
	char *end;
	errno = 0;
	*value = strtod_l(skip_blanks(text), &end, c_locale);
	bool good = end != skip_blanks(text) && only_blanks(end) &&
		    errno == 0;
	free(text);
	if (!good)
		return set_error(builder->error, VNET_REQUEST_SCHEMA,
				 line_of(node), (const char *)node->name, name,
				 "not a decimal number");
	return 0;
}

static int read_unsigned(struct builder *builder, const xmlNode *node,
			 const char *name, uint64_t *value)
{
	const xmlAttr *attribute = find_attribute(node, name);
	if (!attribute)
		return 0;
	char *text = attribute_text(attribute);
	if (!text)
		return out_of_memory(builder);
	const char *start = skip_blanks(text);
	char *end;
	errno = 0;
	bool negative_zero = start[0] == '-';
	*value = strtoull(negative_zero ? start + 1 : start, &end, 10);
	bool good = end != start && only_blanks(end) && errno == 0 &&
		    !(negative_zero && *value != 0);
	free(text);
	if (!good)
		return set_error(builder->error, VNET_REQUEST_SCHEMA,
				 line_of(node), (const char *)node->name, name,
				 "not an unsigned integer");
	return 0;
}

static int read_string(struct builder *builder, const xmlNode *node,
		       const char *name, char **value)
{
	const xmlAttr *attribute = find_attribute(node, name);
	if (!attribute)
		return 0;
	*value = attribute_text(attribute);
	return *value ? 0 : out_of_memory(builder);
}

/* An attribute naming one of `names` (surrounding blanks allowed): its
 * index, CHOICE_ABSENT, CHOICE_UNKNOWN, or CHOICE_FAILED (out of memory,
 * error set). */
enum { CHOICE_ABSENT = -1, CHOICE_UNKNOWN = -2, CHOICE_FAILED = -3 };

static int read_choice(struct builder *builder, const xmlNode *node,
		       const char *name, const char *const *names, int count)
{
	char *text = NULL;
	if (read_string(builder, node, name, &text) < 0)
		return CHOICE_FAILED;
	if (!text)
		return CHOICE_ABSENT;
	const char *word = skip_blanks(text);
	size_t length = strcspn(word, " \t\r\n");
	int found = CHOICE_UNKNOWN;
	for (int k = 0; k < count; k++)
		if (strlen(names[k]) == length && strncmp(word, names[k], length) == 0)
			found = k;
	free(text);
	return found;
}

static int days_from_civil(int year, unsigned month, unsigned day)
{
	/* Days since 1970-01-01 of a proleptic Gregorian date. */
	year -= month <= 2;
	int era = (year >= 0 ? year : year - 399) / 400;
	unsigned year_of_era = (unsigned)(year - era * 400);
	unsigned day_of_year =
		(153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	unsigned day_of_era = year_of_era * 365 + year_of_era / 4 -
			      year_of_era / 100 + day_of_year;
	return era * 146097 + (int)day_of_era - 719468;
}

static bool read_digits(const char **text, int count, int *value)
{
	*value = 0;
	for (int i = 0; i < count; i++) {
		char c = (*text)[i];
		if (c < '0' || c > '9')
			return false;
		*value = *value * 10 + (c - '0');
	}
	*text += count;
	return true;
}

/* xs:dateTime with a four-digit year and a time zone (Z or +hh:mm), into
 * Unix seconds; fractions of a second are dropped. Returns false with a
 * reason. */
static bool parse_date_time(const char *text, time_t *result,
			    const char **reason)
{
	const char *p = skip_blanks(text);
	int year, month, day, hour, minute, second;
	if (!read_digits(&p, 4, &year) || *p++ != '-' ||
	    !read_digits(&p, 2, &month) || *p++ != '-' ||
	    !read_digits(&p, 2, &day) || *p++ != 'T' ||
	    !read_digits(&p, 2, &hour) || *p++ != ':' ||
	    !read_digits(&p, 2, &minute) || *p++ != ':' ||
	    !read_digits(&p, 2, &second)) {
		*reason = "expected YYYY-MM-DDThh:mm:ss with a four-digit year";
		return false;
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9') {
			*reason = "a fraction of a second needs digits";
			return false;
		}
		while (*p >= '0' && *p <= '9')
			p++;
	}
	int offset = 0;
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, zone_hour, zone_minute;
		if (!read_digits(&p, 2, &zone_hour) || *p++ != ':' ||
		    !read_digits(&p, 2, &zone_minute) || zone_hour > 14 ||
		    zone_minute > 59) {
			*reason = "a time zone is Z or +hh:mm / -hh:mm";
			return false;
		}
		offset = sign * (zone_hour * 3600 + zone_minute * 60);
	} else {
		*reason = "a time zone is required (Z or +hh:mm)";
		return false;
	}
	if (!only_blanks(p)) {
		*reason = "unexpected text after the date";
		return false;
	}
	static const int month_days[12] = { 31, 29, 31, 30, 31, 30,
					    31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	if (month < 1 || month > 12 || day < 1 ||
	    day > month_days[month - 1] || (month == 2 && day == 29 && !leap) ||
	    hour > 24 || minute > 59 || second > 59 ||
	    (hour == 24 && (minute || second))) {
		*reason = "not a valid date and time";
		return false;
	}
	int64_t seconds = (int64_t)days_from_civil(year, (unsigned)month,
						   (unsigned)day) * 86400 +
			  hour * 3600 + minute * 60 + second - offset;
	*result = (time_t)seconds;
	return true;
}

static int add_address(struct builder *builder, struct vnet_interface *iface,
		       const xmlNode *ip)
{
	char *text = NULL;
	if (read_string(builder, ip, "address", &text) < 0)
		return -1;
	if (!text)
		return set_error(builder->error, VNET_REQUEST_SCHEMA,
				 line_of(ip), "ip", "address", "missing");
	struct vnet_address address = { 0 };
	char *slash = strchr(text, '/');
	char *end = NULL;
	unsigned long prefix = 0;
	const char *reason = NULL;
	if (!slash) {
		reason = "expected ADDRESS/PREFIX";
	} else {
		*slash = '\0';
		errno = 0;
		prefix = strtoul(slash + 1, &end, 10);
		if (end == slash + 1 || *end || errno)
			reason = "the prefix length is not a number";
	}
	if (!reason) {
		if (strchr(text, ':')) {
			address.family = AF_INET6;
			if (inet_pton(AF_INET6, text, address.bytes) != 1)
				reason = "not an IPv6 address";
			else if (prefix > 128)
				reason = "an IPv6 prefix length is 0 to 128";
		} else {
			address.family = AF_INET;
			if (inet_pton(AF_INET, text, address.bytes) != 1)
				reason = "not an IPv4 address (a.b.c.d)";
			else if (prefix > 32)
				reason = "an IPv4 prefix length is 0 to 32";
		}
	}
	if (reason) {
		if (slash)
			*slash = '/';
		set_error(builder->error, VNET_REQUEST_ADDRESS, line_of(ip),
			  "ip", "address", "'%s': %s", text, reason);
		free(text);
		return -1;
	}
	free(text);
	address.prefix_length = (uint8_t)prefix;
	struct vnet_address *bigger = realloc(
		iface->addresses,
		(iface->address_count + 1) * sizeof(*iface->addresses));
	if (!bigger)
		return out_of_memory(builder);
	iface->addresses = bigger;
	iface->addresses[iface->address_count++] = address;
	return 0;
}

static int parse_mac(const char *text, uint8_t mac[6])
{
	unsigned bytes[6];
	char extra;
	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &bytes[0], &bytes[1],
		   &bytes[2], &bytes[3], &bytes[4], &bytes[5], &extra) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)bytes[i];
	return 0;
}

static int add_interface(struct builder *builder, uint32_t node_index,
			 const xmlNode *element)
{
	struct vnet_request *request = &builder->request;
	if (grow((void **)&request->interfaces, &builder->interface_capacity,
		 request->interface_count, sizeof(*request->interfaces)) < 0)
		return out_of_memory(builder);
	struct vnet_interface *iface =
		&request->interfaces[request->interface_count++];
	iface->node = node_index;
	iface->link = -1;
	iface->line = line_of(element);
	if (read_string(builder, element, "id", &iface->id) < 0)
		return -1;
	if (!iface->id)
		return set_error(builder->error, VNET_REQUEST_SCHEMA,
				 iface->line, "interface", "id", "missing");
	char *mac = NULL;
	if (read_string(builder, element, "mac", &mac) < 0)
		return -1;
	if (mac) {
		int parsed = parse_mac(skip_blanks(mac), iface->mac);
		free(mac);
		if (parsed < 0)
			return set_error(builder->error, VNET_REQUEST_MAC,
					 iface->line, "interface", "mac",
					 "expected six hex bytes aa:bb:cc:dd:ee:ff");
		iface->has_mac = true;
		static const uint8_t zero[6];
		if (iface->mac[0] & 1)
			return set_error(builder->error, VNET_REQUEST_MAC,
					 iface->line, "interface", "mac",
					 "a multicast MAC (group bit set) cannot "
					 "be an interface's address");
		if (memcmp(iface->mac, zero, 6) == 0)
			return set_error(builder->error, VNET_REQUEST_MAC,
					 iface->line, "interface", "mac",
					 "the all-zero MAC is not an address");
	}
	for (const xmlNode *child = element->children; child;
	     child = child->next) {
		if (!is_element(child, "ip"))
			continue;
		/* add_address may move iface's array, not iface itself. */
		if (add_address(builder, iface, child) < 0)
			return -1;
	}
	return 0;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int parse_placement(struct builder *builder, struct vnet_node *node,
			   const xmlNode *element)
{
	struct vnet_placement *placement = &node->placement;
	uint32_t capacity = 0;
	for (const xmlNode *child = element->children; child;
	     child = child->next) {
		if (is_element(child, "substrate-node")) {
			if (grow((void **)&placement->substrate_nodes,
				 &capacity, placement->substrate_node_count,
				 sizeof(char *)) < 0)
				return out_of_memory(builder);
			char **slot = &placement->substrate_nodes
					       [placement->substrate_node_count];
			if (read_string(builder, child, "id", slot) < 0)
				return -1;
			if (!*slot)
				return set_error(builder->error,
						 VNET_REQUEST_SCHEMA,
						 line_of(child),
						 "substrate-node", "id",
						 "missing");
			placement->substrate_node_count++;
		} else if (is_element(child, "site")) {
			if (placement->site)
				return set_error(builder->error,
						 VNET_REQUEST_PLACEMENT,
						 line_of(child), "site", NULL,
						 "node '%s' has more than one "
						 "site",
						 node->id);
			if (read_string(builder, child, "name",
					&placement->site) < 0)
				return -1;
		} else if (is_element(child, "near")) {
			if (placement->has_near)
				return set_error(builder->error,
						 VNET_REQUEST_PLACEMENT,
						 line_of(child), "near", NULL,
						 "node '%s' has more than one "
						 "'near' constraint",
						 node->id);
			placement->has_near = true;
			if (read_decimal(builder, child, "x", &placement->x) <
				    0 ||
			    read_decimal(builder, child, "y", &placement->y) <
				    0 ||
			    read_decimal(builder, child, "max-distance",
					 &placement->max_distance) < 0)
				return -1;
		}
	}
	if (placement->substrate_node_count > 1) {
		/* Sorted order is as good as any for an allowed set, and
		 * shows duplicates. */
		qsort(placement->substrate_nodes,
		      placement->substrate_node_count, sizeof(char *),
		      compare_strings);
		for (uint32_t i = 1; i < placement->substrate_node_count; i++)
			if (strcmp(placement->substrate_nodes[i - 1],
				   placement->substrate_nodes[i]) == 0)
				return set_error(
					builder->error, VNET_REQUEST_PLACEMENT,
					line_of(element), "placement", NULL,
					"substrate node '%s' listed twice",
					placement->substrate_nodes[i]);
	}
	return 0;
}

static int add_node(struct builder *builder, const xmlNode *element)
{
	struct vnet_request *request = &builder->request;
	if (grow((void **)&request->nodes, &builder->node_capacity,
		 request->node_count, sizeof(*request->nodes)) < 0)
		return out_of_memory(builder);
	uint32_t index = request->node_count++;
	struct vnet_node *node = &request->nodes[index];
	node->line = line_of(element);
	node->kind = VNET_NODE_HOST;
	node->memory_mib = 512;
	node->interface_first = request->interface_count;
	if (read_string(builder, element, "id", &node->id) < 0)
		return -1;
	if (!node->id)
		return set_error(builder->error, VNET_REQUEST_SCHEMA,
				 node->line, "node", "id", "missing");
	int kind = read_choice(builder, element, "kind", node_kind_names,
			       VNET_NODE_KIND_COUNT);
	if (kind == CHOICE_FAILED)
		return -1;
	if (kind == CHOICE_UNKNOWN)
		return set_error(builder->error, VNET_REQUEST_SCHEMA, node->line,
				 "node", "kind", "expected host or vm");
	if (kind >= 0)
		node->kind = (enum vnet_node_kind)kind;
	node->cpu = -1;
	if (read_decimal(builder, element, "cpu", &node->cpu) < 0)
		return -1;
	if (!(node->cpu > 0))
		return set_error(builder->error, VNET_REQUEST_CPU, node->line,
				 "node", "cpu",
				 "node '%s' needs more than 0 cores", node->id);
	uint64_t memory = node->memory_mib;
	if (read_unsigned(builder, element, "memory", &memory) < 0)
		return -1;
	if (memory == 0 || memory > UINT32_MAX)
		return set_error(builder->error, VNET_REQUEST_SCHEMA,
				 node->line, "node", "memory",
				 "expected 1 to %u MiB", UINT32_MAX);
	node->memory_mib = (uint32_t)memory;
	if (read_string(builder, element, "image", &node->image) < 0)
		return -1;
	if (node->kind == VNET_NODE_VM && !node->image)
		return set_error(builder->error, VNET_REQUEST_IMAGE,
				 node->line, "node", "image",
				 "vm node '%s' needs an image", node->id);
	if (node->kind == VNET_NODE_HOST && node->image)
		return set_error(builder->error, VNET_REQUEST_IMAGE,
				 node->line, "node", "image",
				 "host node '%s' cannot have an image (only vm "
				 "nodes boot one)",
				 node->id);

	bool placed = false;
	for (const xmlNode *child = element->children; child;
	     child = child->next) {
		if (is_element(child, "placement")) {
			if (placed)
				return set_error(builder->error,
						 VNET_REQUEST_PLACEMENT,
						 line_of(child), "placement",
						 NULL,
						 "node '%s' has more than one "
						 "placement",
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

/* An id and where it is, for sorting. */
struct id_entry {
	const char *id;
	uint32_t index;
	unsigned line;
};

static int compare_entries(const void *a, const void *b)
{
	const struct id_entry *x = a, *y = b;
	int order = strcmp(x->id, y->id);
	if (order)
		return order;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Sorts entries by id and finds the duplicate whose second occurrence
 * comes first in the document (deterministic whatever qsort does with
 * ties). */
static bool find_duplicate(struct id_entry *entries, uint32_t count,
			   const struct id_entry **second,
			   const struct id_entry **first)
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

static int check_unique(struct builder *builder, struct id_entry *entries,
			uint32_t count, const char *element)
{
	const struct id_entry *second, *first;
	if (!find_duplicate(entries, count, &second, &first))
		return 0;
	return set_error(builder->error, VNET_REQUEST_DUPLICATE_ID,
			 second->line, element, "id",
			 "duplicate %s id '%s' (first at line %u)", element,
			 second->id, first->line);
}

static const struct id_entry *find_entry(const struct id_entry *entries,
					 uint32_t count, const char *id)
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

static int add_link(struct builder *builder, const xmlNode *element,
		    const struct id_entry *interfaces, uint32_t *node_marks)
{
	struct vnet_request *request = &builder->request;
	if (grow((void **)&request->links, &builder->link_capacity,
		 request->link_count, sizeof(*request->links)) < 0)
		return out_of_memory(builder);
	uint32_t index = request->link_count++;
	struct vnet_link *link = &request->links[index];
	link->line = line_of(element);
	link->isolation = VNET_ISOLATION_ANY;
	link->mtu = 1500;
	if (read_string(builder, element, "id", &link->id) < 0)
		return -1;
	if (!link->id)
		return set_error(builder->error, VNET_REQUEST_SCHEMA,
				 link->line, "link", "id", "missing");
	int isolation = read_choice(builder, element, "isolation",
				    isolation_names, VNET_ISOLATION_COUNT);
	if (isolation == CHOICE_FAILED)
		return -1;
	if (isolation == CHOICE_UNKNOWN)
		return set_error(builder->error, VNET_REQUEST_SCHEMA, link->line,
				 "link", "isolation", "expected any, vlan or vxlan");
	if (isolation >= 0)
		link->isolation = (enum vnet_isolation)isolation;
	uint64_t mtu = link->mtu;
	if (read_unsigned(builder, element, "mtu", &mtu) < 0)
		return -1;
	if (mtu < 68 || mtu > 9000)
		return set_error(builder->error, VNET_REQUEST_SCHEMA,
				 link->line, "link", "mtu",
				 "expected 68 to 9000 bytes");
	link->mtu = (uint32_t)mtu;
	if (read_unsigned(builder, element, "capacity", &link->capacity_kbps) <
	    0)
		return -1;
	if (link->capacity_kbps == 0)
		return set_error(builder->error, VNET_REQUEST_CAPACITY,
				 link->line, "link", "capacity",
				 "link '%s' needs a capacity above 0 kbit/s",
				 link->id);
	if (read_decimal(builder, element, "latency", &link->latency_ms) < 0 ||
	    read_decimal(builder, element, "loss", &link->loss) < 0)
		return -1;
	if (!(link->latency_ms >= 0) || !(link->loss >= 0 && link->loss <= 1))
		return set_error(builder->error, VNET_REQUEST_SCHEMA,
				 link->line, "link", NULL,
				 "latency must be >= 0 ms and loss 0 to 1");

	uint32_t capacity = 0;
	for (const xmlNode *child = element->children; child;
	     child = child->next) {
		if (!is_element(child, "endpoint"))
			continue;
		if (grow((void **)&link->endpoints, &capacity,
			 link->endpoint_count, sizeof(*link->endpoints)) < 0)
			return out_of_memory(builder);
		struct vnet_endpoint *endpoint =
			&link->endpoints[link->endpoint_count++];
		endpoint->line = line_of(child);
		endpoint->send_kbps = link->capacity_kbps;
		endpoint->receive_kbps = link->capacity_kbps;
		char *name = NULL;
		if (read_string(builder, child, "interface", &name) < 0)
			return -1;
		if (!name)
			return set_error(builder->error, VNET_REQUEST_SCHEMA,
					 endpoint->line, "endpoint",
					 "interface", "missing");
		const struct id_entry *found =
			find_entry(interfaces, request->interface_count,
				   skip_blanks(name));
		if (!found) {
			set_error(builder->error,
				  VNET_REQUEST_UNKNOWN_INTERFACE,
				  endpoint->line, "endpoint", "interface",
				  "link '%s' names interface '%s', which no "
				  "node has",
				  link->id, name);
			free(name);
			return -1;
		}
		free(name);
		struct vnet_interface *iface =
			&request->interfaces[found->index];
		if (iface->link >= 0) {
			const struct vnet_link *other =
				&request->links[iface->link];
			return set_error(
				builder->error, VNET_REQUEST_INTERFACE_REUSED,
				endpoint->line, "endpoint", "interface",
				"interface '%s' is already an endpoint of "
				"link '%s' (line %u); an interface joins at "
				"most one link",
				iface->id, other->id,
				(int32_t)index == iface->link ? link->line :
								other->line);
		}
		if (node_marks[iface->node] == index + 1)
			return set_error(builder->error, VNET_REQUEST_SELF_LINK,
					 endpoint->line, "endpoint",
					 "interface",
					 "link '%s' joins node '%s' to itself "
					 "(two of its endpoints are on it)",
					 link->id,
					 request->nodes[iface->node].id);
		node_marks[iface->node] = index + 1;
		iface->link = (int32_t)index;
		endpoint->interface = found->index;
		if (read_unsigned(builder, child, "send",
				  &endpoint->send_kbps) < 0 ||
		    read_unsigned(builder, child, "receive",
				  &endpoint->receive_kbps) < 0)
			return -1;
		if (endpoint->send_kbps == 0 || endpoint->receive_kbps == 0)
			return set_error(builder->error, VNET_REQUEST_CAPACITY,
					 endpoint->line, "endpoint",
					 endpoint->send_kbps == 0 ? "send" :
								    "receive",
					 "link '%s': an endpoint's capacity "
					 "must be above 0 kbit/s",
					 link->id);
	}
	if (link->endpoint_count < 2)
		return set_error(builder->error, VNET_REQUEST_TOO_FEW_ENDPOINTS,
				 link->line, "link", NULL,
				 "link '%s' has %u endpoint%s; a link joins "
				 "two or more interfaces",
				 link->id, link->endpoint_count,
				 link->endpoint_count == 1 ? "" : "s");
	return 0;
}

static int check_macs(struct builder *builder)
{
	struct vnet_request *request = &builder->request;
	uint32_t count = 0;
	struct id_entry *entries =
		calloc(request->interface_count + 1, sizeof(*entries));
	char(*texts)[18] = calloc(request->interface_count + 1, 18);
	if (!entries || !texts) {
		free(entries);
		free(texts);
		return out_of_memory(builder);
	}
	for (uint32_t i = 0; i < request->interface_count; i++) {
		const struct vnet_interface *iface = &request->interfaces[i];
		if (!iface->has_mac)
			continue;
		vnet_mac_format(iface->mac, texts[i], sizeof(texts[i]));
		entries[count++] = (struct id_entry){ .id = texts[i],
						      .index = i,
						      .line = iface->line };
	}
	const struct id_entry *second, *first;
	int result = 0;
	if (find_duplicate(entries, count, &second, &first))
		result = set_error(builder->error, VNET_REQUEST_DUPLICATE_MAC,
				   second->line, "interface", "mac",
				   "MAC %s is used twice (first at line %u)",
				   second->id, first->line);
	free(entries);
	free(texts);
	return result;
}

static int build_model(struct builder *builder, const xmlNode *root)
{
	struct vnet_request *request = &builder->request;
	if (read_string(builder, root, "name", &request->name) < 0)
		return -1;
	if (!request->name)
		return set_error(builder->error, VNET_REQUEST_SCHEMA,
				 line_of(root), "vnet", "name", "missing");
	char *lease = NULL;
	if (read_string(builder, root, "lease-end", &lease) < 0)
		return -1;
	if (lease) {
		const char *reason = NULL;
		bool parsed = parse_date_time(lease, &request->lease_end,
					      &reason);
		if (!parsed) {
			set_error(builder->error, VNET_REQUEST_LEASE,
				  line_of(root), "vnet", "lease-end",
				  "'%s': %s", lease, reason);
			free(lease);
			return -1;
		}
		request->has_lease_end = true;
		if (request->lease_end <= builder->now) {
			set_error(builder->error, VNET_REQUEST_LEASE,
				  line_of(root), "vnet", "lease-end",
				  "the lease ends at %s, which is not in the "
				  "future",
				  lease);
			free(lease);
			return -1;
		}
		free(lease);
	}

	for (const xmlNode *child = root->children; child; child = child->next)
		if (is_element(child, "node") && add_node(builder, child) < 0)
			return -1;

	uint32_t size = request->node_count > request->interface_count ?
				request->node_count :
				request->interface_count;
	struct id_entry *entries = calloc(size + 1, sizeof(*entries));
	struct id_entry *interfaces =
		calloc(request->interface_count + 1, sizeof(*interfaces));
	uint32_t *node_marks = calloc(request->node_count + 1,
				      sizeof(*node_marks));
	int result = -1;
	if (!entries || !interfaces || !node_marks) {
		out_of_memory(builder);
		goto out;
	}
	for (uint32_t i = 0; i < request->node_count; i++)
		entries[i] = (struct id_entry){ .id = request->nodes[i].id,
						.index = i,
						.line = request->nodes[i].line };
	if (check_unique(builder, entries, request->node_count, "node") < 0)
		goto out;
	for (uint32_t i = 0; i < request->interface_count; i++)
		interfaces[i] = (struct id_entry){
			.id = request->interfaces[i].id,
			.index = i,
			.line = request->interfaces[i].line
		};
	if (check_unique(builder, interfaces, request->interface_count,
			 "interface") < 0)
		goto out;
	if (check_macs(builder) < 0)
		goto out;

	for (const xmlNode *child = root->children; child; child = child->next)
		if (is_element(child, "link") &&
		    add_link(builder, child, interfaces, node_marks) < 0)
			goto out;
	for (uint32_t i = 0; i < request->link_count; i++)
		entries[i] = (struct id_entry){ .id = request->links[i].id,
						.index = i,
						.line = request->links[i].line };
	/* Links are at most half the interfaces, so entries is big enough. */
	if (check_unique(builder, entries, request->link_count, "link") < 0)
		goto out;
	result = 0;
out:
	free(entries);
	free(interfaces);
	free(node_marks);
	return result;
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
	const xmlAttr *attribute = find_attribute(owner, key);
	char *value = attribute ? attribute_text(attribute) : NULL;
	char *text = NULL;
	if (value && *value) {
		if (asprintf(&text, "%s %s", name, value) < 0)
			text = NULL;
	} else {
		text = strdup(name);
	}
	free(value);
	return text;
}

/* The element alone, with the namespace declarations it needs. */
static char *serialize_element(xmlDoc *document, const xmlNode *element)
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

static int add_extension(struct builder *builder, const xmlNode *parent,
			 bool attribute, const xmlNs *ns, const xmlChar *name,
			 char *text, unsigned line)
{
	struct vnet_request *request = &builder->request;
	if (!text || grow((void **)&request->extensions,
			  &builder->extension_capacity,
			  request->extension_count,
			  sizeof(*request->extensions)) < 0) {
		free(text);
		return out_of_memory(builder);
	}
	struct vnet_extension *extension =
		&request->extensions[request->extension_count++];
	extension->attribute = attribute;
	extension->text = text;
	extension->line = line;
	extension->namespace_uri =
		strdup(ns && ns->href ? (const char *)ns->href : "");
	extension->name = strdup((const char *)name);
	extension->parent = describe_parent(parent);
	if (!extension->namespace_uri || !extension->name || !extension->parent)
		return out_of_memory(builder);
	return 0;
}

/* Walks our own elements in document order; a foreign element is kept
 * whole (its descendants are not walked). */
static int collect_extensions(struct builder *builder, const xmlNode *element)
{
	for (const xmlAttr *a = element->properties; a; a = a->next) {
		if (!a->ns || (a->ns->href &&
			       strcmp((const char *)a->ns->href,
				      XSI_NAMESPACE) == 0))
			continue;
		if (add_extension(builder, element, true, a->ns, a->name,
				  attribute_text(a), line_of(element)) < 0)
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
				  serialize_element(builder->document, child),
				  line_of(child)) < 0)
			return -1;
	}
	return 0;
}

/* ---- The entry point ----------------------------------------------------- */

int vnet_request_parse(const char *xml, size_t length, const char *name,
		       time_t now, struct vnet_request *out,
		       struct vnet_request_error *error)
{
	struct vnet_request_error local_error;
	if (!error)
		error = &local_error;
	memset(error, 0, sizeof(*error));
	snprintf(error->file, sizeof(error->file), "%s",
		 name ? name : "request");
	if (out)
		memset(out, 0, sizeof(*out));
	if (!out || (!xml && length))
		return set_error(error, VNET_REQUEST_NOT_XML, 0, NULL, NULL,
				 "no document");
	pthread_once(&global_once, global_init);
	if (!c_locale)
		return set_error(error, VNET_REQUEST_NO_MEMORY, 0, NULL, NULL,
				 "out of memory");

	xmlDoc *document = read_document(xml, length, error);
	if (!document)
		return -1;
	int result = -1;
	const xmlNode *root = xmlDocGetRootElement(document);
	if (!root) {
		set_error(error, VNET_REQUEST_NOT_XML, 0, NULL, NULL,
			  "no root element");
		goto out;
	}
	if (!is_element(root, "vnet")) {
		const char *uri = root->ns && root->ns->href ?
					  (const char *)root->ns->href :
					  "";
		if (strcmp(uri, GENI_RSPEC_NAMESPACE) == 0)
			set_error(error, VNET_REQUEST_WRONG_ROOT,
				  line_of(root), (const char *)root->name,
				  NULL,
				  "a GENI RSpec, not a Loom VNet request "
				  "(root 'vnet' in namespace " VNET_REQUEST_NAMESPACE
				  ")");
		else
			set_error(error, VNET_REQUEST_WRONG_ROOT,
				  line_of(root), (const char *)root->name,
				  NULL,
				  "root element '%s' in namespace '%s': a VNet "
				  "request is 'vnet' in namespace "
				  VNET_REQUEST_NAMESPACE,
				  root->name, uri);
		goto out;
	}
	if (check_schema(document, error) < 0)
		goto out;

	struct builder builder = { .document = document,
				   .now = now,
				   .error = error };
	if (build_model(&builder, root) < 0 ||
	    collect_extensions(&builder, root) < 0) {
		vnet_request_free(&builder.request);
		goto out;
	}
	*out = builder.request;
	error->problem = VNET_REQUEST_NONE;
	result = 0;
out:
	xmlFreeDoc(document);
	return result;
}

void vnet_request_free(struct vnet_request *request)
{
	if (!request)
		return;
	for (uint32_t i = 0; i < request->node_count; i++) {
		struct vnet_node *node = &request->nodes[i];
		free(node->id);
		free(node->image);
		for (uint32_t k = 0; k < node->placement.substrate_node_count;
		     k++)
			free(node->placement.substrate_nodes[k]);
		free(node->placement.substrate_nodes);
		free(node->placement.site);
	}
	for (uint32_t i = 0; i < request->interface_count; i++) {
		free(request->interfaces[i].id);
		free(request->interfaces[i].addresses);
	}
	for (uint32_t i = 0; i < request->link_count; i++) {
		free(request->links[i].id);
		free(request->links[i].endpoints);
	}
	for (uint32_t i = 0; i < request->extension_count; i++) {
		struct vnet_extension *extension = &request->extensions[i];
		free(extension->namespace_uri);
		free(extension->name);
		free(extension->parent);
		free(extension->text);
	}
	free(request->nodes);
	free(request->interfaces);
	free(request->links);
	free(request->extensions);
	free(request->name);
	memset(request, 0, sizeof(*request));
}

/* ---- Lookups and formatting ---------------------------------------------- */

int vnet_request_node_lookup(const struct vnet_request *request,
			     const char *id)
{
	for (uint32_t i = 0; i < request->node_count; i++)
		if (strcmp(request->nodes[i].id, id) == 0)
			return (int)i;
	return -1;
}

int vnet_request_interface_lookup(const struct vnet_request *request,
				  const char *id)
{
	for (uint32_t i = 0; i < request->interface_count; i++)
		if (strcmp(request->interfaces[i].id, id) == 0)
			return (int)i;
	return -1;
}

int vnet_request_link_lookup(const struct vnet_request *request,
			     const char *id)
{
	for (uint32_t i = 0; i < request->link_count; i++)
		if (strcmp(request->links[i].id, id) == 0)
			return (int)i;
	return -1;
}

void vnet_mac_format(const uint8_t mac[6], char *buf, size_t size)
{
	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
}

void vnet_address_format(const struct vnet_address *address, char *buf,
			 size_t size)
{
	char text[INET6_ADDRSTRLEN] = "?";
	inet_ntop(address->family == AF_INET6 ? AF_INET6 : AF_INET,
		  address->bytes, text, sizeof(text));
	snprintf(buf, size, "%s/%u", text, address->prefix_length);
}

/* VNet requests: what both readers (Loom XML, GENI RSpec) use: names,
 * errors, attribute readers, MAC/address/date parsing, lookups,
 * formatting and freeing the model. */
#include "vnet_request_private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

const char *const vnet_node_kind_names[] = {
#define _(name, text) text,
	foreach_vnet_node_kind
#undef _
};

const char *const vnet_isolation_names[] = {
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
	return (unsigned)kind < VNET_NODE_KIND_COUNT ?
		       vnet_node_kind_names[kind] :
		       "?";
}

const char *vnet_isolation_name(enum vnet_isolation isolation)
{
	return (unsigned)isolation < VNET_ISOLATION_COUNT ?
		       vnet_isolation_names[isolation] :
		       "?";
}

const char *vnet_request_problem_name(enum vnet_request_problem problem)
{
	return (unsigned)problem < VNET_REQUEST_PROBLEM_COUNT ?
		       problem_names[problem] :
		       "?";
}

/* ---- Process-wide state: the C locale ------------------------------------ */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
locale_t vnet_c_locale; /* numbers are read the same in every locale */

static void global_init(void)
{
	xmlInitParser();
	vnet_c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

int vnet_global_init(struct vnet_request_error *error)
{
	pthread_once(&global_once, global_init);
	if (!vnet_c_locale)
		return vnet_error_set(error, VNET_REQUEST_NO_MEMORY, 0, NULL,
				      NULL, "out of memory");
	return 0;
}

void vnet_xml_ignore_error(void *user, xml_error_pointer problem)
{
	(void)user;
	(void)problem;
}

/* ---- Errors -------------------------------------------------------------- */

int vnet_error_set(struct vnet_request_error *error,
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

void vnet_error_start(struct vnet_request_error *error, const char *name)
{
	memset(error, 0, sizeof(*error));
	snprintf(error->file, sizeof(error->file), "%s",
		 name ? name : "request");
}

int vnet_out_of_memory(struct vnet_builder *builder)
{
	return vnet_error_set(builder->error, VNET_REQUEST_NO_MEMORY, 0, NULL,
			      NULL, "out of memory");
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

/* libxml2's messages end with a newline and some have one inside. */
void vnet_trim_newlines(char *text)
{
	for (char *c = text; *c; c++)
		if (*c == '\n')
			*c = ' ';
	size_t length = strlen(text);
	while (length && (text[length - 1] == '\n' || text[length - 1] == ' '))
		text[--length] = '\0';
}

int vnet_grow(void **array, uint32_t *capacity, uint32_t count, size_t size)
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

/* ---- Reading attributes -------------------------------------------------- */

unsigned vnet_line_of(const xmlNode *node)
{
	long line = xmlGetLineNo(node);
	return line > 0 && line < UINT_MAX ? (unsigned)line : 0;
}

bool vnet_has_namespace(const xmlNode *node, const char *uri)
{
	return node->ns && node->ns->href &&
	       strcmp((const char *)node->ns->href, uri) == 0;
}

/* An attribute's value as a new C string (NULL only on allocation
 * failure). */
char *vnet_attribute_text(const xmlAttr *attribute)
{
	xmlChar *value = xmlNodeListGetString(attribute->doc,
					      attribute->children, 1);
	char *copy = strdup(value ? (const char *)value : "");
	xmlFree(value);
	return copy;
}

/* Our own attributes have no namespace (attributeFormDefault is
 * unqualified, in Loom's schema as in RSpec's). */
const xmlAttr *vnet_find_attribute(const xmlNode *node, const char *name)
{
	for (const xmlAttr *a = node->properties; a; a = a->next)
		if (!a->ns && strcmp((const char *)a->name, name) == 0)
			return a;
	return NULL;
}

/* The XSD whitespace facet of numbers and dates is "collapse": leading and
 * trailing blanks are allowed. */
const char *vnet_skip_blanks(const char *text)
{
	while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
		text++;
	return text;
}

bool vnet_only_blanks(const char *text)
{
	return *vnet_skip_blanks(text) == '\0';
}

/* Reads an attribute as a decimal (Loom's schema has checked its form;
 * RSpec's reader relies on this check). */
int vnet_read_decimal(struct vnet_builder *builder, const xmlNode *node,
		      const char *name, double *value)
{
	const xmlAttr *attribute = vnet_find_attribute(node, name);
	if (!attribute)
		return 0;
	char *text = vnet_attribute_text(attribute);
	if (!text)
		return vnet_out_of_memory(builder);
	char *end;
	errno = 0;
	*value = strtod_l(vnet_skip_blanks(text), &end, vnet_c_locale);
	bool good = end != vnet_skip_blanks(text) && vnet_only_blanks(end) &&
		    errno == 0;
	free(text);
	if (!good)
		return vnet_error_set(builder->error, VNET_REQUEST_SCHEMA,
				      vnet_line_of(node),
				      (const char *)node->name, name,
				      "not a decimal number");
	return 0;
}

int vnet_read_unsigned(struct vnet_builder *builder, const xmlNode *node,
		       const char *name, uint64_t *value)
{
	const xmlAttr *attribute = vnet_find_attribute(node, name);
	if (!attribute)
		return 0;
	char *text = vnet_attribute_text(attribute);
	if (!text)
		return vnet_out_of_memory(builder);
	const char *start = vnet_skip_blanks(text);
	char *end;
	errno = 0;
	bool negative_zero = start[0] == '-';
	*value = strtoull(negative_zero ? start + 1 : start, &end, 10);
	bool good = end != start && vnet_only_blanks(end) && errno == 0 &&
		    !(negative_zero && *value != 0);
	free(text);
	if (!good)
		return vnet_error_set(builder->error, VNET_REQUEST_SCHEMA,
				      vnet_line_of(node),
				      (const char *)node->name, name,
				      "not an unsigned integer");
	return 0;
}

int vnet_read_string(struct vnet_builder *builder, const xmlNode *node,
		     const char *name, char **value)
{
	const xmlAttr *attribute = vnet_find_attribute(node, name);
	if (!attribute)
		return 0;
	*value = vnet_attribute_text(attribute);
	return *value ? 0 : vnet_out_of_memory(builder);
}

int vnet_read_choice(struct vnet_builder *builder, const xmlNode *node,
		     const char *name, const char *const *names, int count)
{
	char *text = NULL;
	if (vnet_read_string(builder, node, name, &text) < 0)
		return VNET_CHOICE_FAILED;
	if (!text)
		return VNET_CHOICE_ABSENT;
	const char *word = vnet_skip_blanks(text);
	size_t length = strcspn(word, " \t\r\n");
	int found = VNET_CHOICE_UNKNOWN;
	for (int k = 0; k < count; k++)
		if (strlen(names[k]) == length &&
		    strncmp(word, names[k], length) == 0)
			found = k;
	free(text);
	return found;
}

/* ---- Dates, MACs, addresses ---------------------------------------------- */

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

/* Fractions of a second are dropped. */
bool vnet_parse_date_time(const char *text, time_t *result,
			  const char **reason)
{
	const char *p = vnet_skip_blanks(text);
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
	if (!vnet_only_blanks(p)) {
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

int vnet_parse_mac(const char *text, uint8_t mac[6])
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

const char *vnet_parse_address(const char *text, struct vnet_address *address)
{
	memset(address, 0, sizeof(*address));
	const char *slash = strchr(text, '/');
	if (!slash)
		return "expected ADDRESS/PREFIX";
	char host[INET6_ADDRSTRLEN + 1];
	size_t host_length = (size_t)(slash - text);
	char *end = NULL;
	errno = 0;
	unsigned long prefix = strtoul(slash + 1, &end, 10);
	if (end == slash + 1 || *end || errno)
		return "the prefix length is not a number";
	bool ipv6 = memchr(text, ':', host_length) != NULL;
	/* Longer than any address text: not an address (inet_pton would
	 * say so too, had it the whole text). */
	if (host_length >= sizeof(host))
		return ipv6 ? "not an IPv6 address" :
			      "not an IPv4 address (a.b.c.d)";
	memcpy(host, text, host_length);
	host[host_length] = '\0';
	if (ipv6) {
		address->family = AF_INET6;
		if (inet_pton(AF_INET6, host, address->bytes) != 1)
			return "not an IPv6 address";
		if (prefix > 128)
			return "an IPv6 prefix length is 0 to 128";
	} else {
		address->family = AF_INET;
		if (inet_pton(AF_INET, host, address->bytes) != 1)
			return "not an IPv4 address (a.b.c.d)";
		if (prefix > 32)
			return "an IPv4 prefix length is 0 to 32";
	}
	address->prefix_length = (uint8_t)prefix;
	return NULL;
}

int vnet_interface_add_address(struct vnet_builder *builder,
			       struct vnet_interface *iface,
			       const struct vnet_address *address)
{
	struct vnet_address *bigger = realloc(
		iface->addresses,
		(iface->address_count + 1) * sizeof(*iface->addresses));
	if (!bigger)
		return vnet_out_of_memory(builder);
	iface->addresses = bigger;
	iface->addresses[iface->address_count++] = *address;
	return 0;
}

/* ---- Freeing, lookups and formatting ------------------------------------- */

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

struct vnet_node *vnet_node_append(struct vnet_builder *builder,
				   const xmlNode *element)
{
	struct vnet_request *request = &builder->request;
	if (vnet_grow((void **)&request->nodes, &builder->node_capacity,
		      request->node_count, sizeof(*request->nodes)) < 0) {
		vnet_out_of_memory(builder);
		return NULL;
	}
	struct vnet_node *node = &request->nodes[request->node_count++];
	node->line = vnet_line_of(element);
	node->kind = VNET_NODE_HOST;
	node->memory_mib = 512;
	node->interface_first = request->interface_count;
	return node;
}

struct vnet_link *vnet_link_append(struct vnet_builder *builder,
				   const xmlNode *element)
{
	struct vnet_request *request = &builder->request;
	if (vnet_grow((void **)&request->links, &builder->link_capacity,
		      request->link_count, sizeof(*request->links)) < 0) {
		vnet_out_of_memory(builder);
		return NULL;
	}
	struct vnet_link *link = &request->links[request->link_count++];
	link->line = vnet_line_of(element);
	link->isolation = VNET_ISOLATION_ANY;
	link->mtu = 1500;
	return link;
}

struct vnet_interface *vnet_interface_append(struct vnet_builder *builder,
					     uint32_t node_index,
					     const xmlNode *element)
{
	struct vnet_request *request = &builder->request;
	if (vnet_grow((void **)&request->interfaces,
		      &builder->interface_capacity, request->interface_count,
		      sizeof(*request->interfaces)) < 0) {
		vnet_out_of_memory(builder);
		return NULL;
	}
	struct vnet_interface *iface =
		&request->interfaces[request->interface_count++];
	iface->node = node_index;
	iface->link = -1;
	iface->line = vnet_line_of(element);
	return iface;
}

char *vnet_element_label(const char *name, const xmlAttr *attribute)
{
	char *value = attribute ? vnet_attribute_text(attribute) : NULL;
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

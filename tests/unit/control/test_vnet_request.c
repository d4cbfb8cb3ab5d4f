/* Unit tests of Loom's VNet request format (control/vnet_request.c): every
 * example in control/examples/ parses to the model it describes; a table of
 * malformed documents each fails with its problem, line, element,
 * attribute and a fragment of the reason, leaving the output zeroed;
 * hostile documents (entities, depth, size) are refused; extensions are
 * kept and change nothing else; the JSON answer carries the model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "control.h"

/* 2025-01-01T00:00:00Z: the examples' leases end after it. */
#define NOW ((time_t)1735689600)

static char *read_text(const char *path, size_t *length)
{
	FILE *file = fopen(path, "rb");
	if (!file)
		return NULL;
	char *data = NULL;
	size_t size = 0, used = 0, got;
	do {
		if (used + 4096 > size) {
			size = size ? size * 2 : 8192;
			data = realloc(data, size + 1);
			assert_non_null(data);
		}
		got = fread(data + used, 1, size - used, file);
		used += got;
	} while (got > 0);
	fclose(file);
	data[used] = '\0';
	*length = used;
	return data;
}

static char *read_source(const char *relative, size_t *length)
{
	const char *source = getenv("LOOM_SOURCE_DIR");
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", source ? source : ".",
		 relative);
	char *text = read_text(path, length);
	if (!text)
		fail_msg("cannot read %s", path);
	return text;
}

static void parse_example(const char *file, struct vnet_request *request)
{
	char relative[256];
	snprintf(relative, sizeof(relative), "control/examples/%s", file);
	size_t length;
	char *text = read_source(relative, &length);
	struct vnet_request_error error;
	int result = vnet_request_parse(text, length, file, NOW, request,
					&error);
	if (result != 0) {
		char message[512];
		vnet_request_error_format(&error, message, sizeof(message));
		fail_msg("%s", message);
	}
	assert_int_equal(error.problem, VNET_REQUEST_NONE);
	free(text);
}

static const struct vnet_interface *
interface_named(const struct vnet_request *request, const char *id)
{
	int index = vnet_request_interface_lookup(request, id);
	if (index < 0)
		fail_msg("no interface %s", id);
	return &request->interfaces[index];
}

static void assert_address(const struct vnet_address *address,
			   const char *expected)
{
	char text[64];
	vnet_address_format(address, text, sizeof(text));
	assert_string_equal(text, expected);
}

static void assert_mac(const struct vnet_interface *iface,
		       const char *expected)
{
	char text[18];
	assert_true(iface->has_mac);
	vnet_mac_format(iface->mac, text, sizeof(text));
	assert_string_equal(text, expected);
}

/* Structure every parsed request must have, whatever its content: each
 * node's interfaces are its own and consecutive, each endpoint and link
 * back-reference agree. */
static void assert_consistent(const struct vnet_request *request)
{
	uint32_t next = 0;
	for (uint32_t n = 0; n < request->node_count; n++) {
		const struct vnet_node *node = &request->nodes[n];
		assert_int_equal(node->interface_first, next);
		for (uint32_t i = 0; i < node->interface_count; i++)
			assert_int_equal(request->interfaces[next + i].node, n);
		next += node->interface_count;
	}
	assert_int_equal(next, request->interface_count);
	uint32_t linked = 0;
	for (uint32_t l = 0; l < request->link_count; l++) {
		const struct vnet_link *link = &request->links[l];
		assert_true(link->endpoint_count >= 2);
		for (uint32_t e = 0; e < link->endpoint_count; e++) {
			uint32_t i = link->endpoints[e].interface;
			assert_true(i < request->interface_count);
			assert_int_equal(request->interfaces[i].link, (int)l);
			linked++;
		}
	}
	uint32_t with_link = 0;
	for (uint32_t i = 0; i < request->interface_count; i++)
		with_link += request->interfaces[i].link >= 0;
	assert_int_equal(with_link, linked);
}

static void test_point_to_point(void **state)
{
	(void)state;
	struct vnet_request request;
	parse_example("point-to-point.xml", &request);
	assert_consistent(&request);
	assert_string_equal(request.name, "pair");
	assert_true(request.has_lease_end);
	/* 2031-06-30T18:00:00Z */
	assert_int_equal(request.lease_end, 1940608800);
	assert_int_equal(request.node_count, 2);
	assert_int_equal(request.interface_count, 2);
	assert_int_equal(request.link_count, 1);
	assert_int_equal(request.extension_count, 0);
	for (uint32_t n = 0; n < 2; n++) {
		const struct vnet_node *node = &request.nodes[n];
		assert_string_equal(node->id, n ? "b" : "a");
		assert_int_equal(node->kind, VNET_NODE_HOST);
		assert_true(node->cpu == 1.0);
		assert_int_equal(node->memory_mib, 512); /* the default */
		assert_null(node->image);
		assert_int_equal(node->placement.substrate_node_count, 0);
		assert_null(node->placement.site);
		assert_false(node->placement.has_near);
		assert_int_equal(node->interface_count, 1);
	}
	const struct vnet_interface *a = interface_named(&request, "a:eth0");
	assert_mac(a, "02:00:00:00:00:01");
	assert_int_equal(a->address_count, 1);
	assert_int_equal(a->addresses[0].family, AF_INET);
	assert_address(&a->addresses[0], "10.0.0.1/24");
	assert_int_equal(a->line, 6);
	const struct vnet_link *link = &request.links[0];
	assert_string_equal(link->id, "a-b");
	assert_int_equal(link->isolation, VNET_ISOLATION_ANY);
	assert_int_equal(link->mtu, 1500);
	assert_int_equal(link->capacity_kbps, 100000);
	assert_true(link->latency_ms == 0 && link->loss == 0);
	assert_int_equal(link->endpoint_count, 2);
	assert_int_equal(link->endpoints[0].interface,
			 vnet_request_interface_lookup(&request, "a:eth0"));
	assert_int_equal(link->endpoints[1].interface,
			 vnet_request_interface_lookup(&request, "b:eth0"));
	assert_int_equal(link->endpoints[0].send_kbps, 100000);
	assert_int_equal(link->endpoints[1].receive_kbps, 100000);
	vnet_request_free(&request);
	/* Freeing twice is harmless: free zeroes. */
	vnet_request_free(&request);
	assert_null(request.nodes);
}

static void test_lan_with_vms(void **state)
{
	(void)state;
	struct vnet_request request;
	parse_example("lan-with-vms.xml", &request);
	assert_consistent(&request);
	assert_string_equal(request.name, "office");
	/* 2031-01-01T00:00:00+01:00 is 2030-12-31T23:00:00Z. */
	assert_int_equal(request.lease_end, 1924988400);
	assert_int_equal(request.node_count, 4);
	assert_int_equal(request.interface_count, 5);
	assert_int_equal(request.link_count, 2);

	const struct vnet_node *router =
		&request.nodes[vnet_request_node_lookup(&request, "router")];
	assert_int_equal(router->kind, VNET_NODE_HOST);
	assert_true(router->cpu == 2.0);
	assert_int_equal(router->memory_mib, 1024);
	assert_int_equal(router->interface_count, 2);
	const struct vnet_node *web =
		&request.nodes[vnet_request_node_lookup(&request, "web")];
	assert_int_equal(web->kind, VNET_NODE_VM);
	assert_true(web->cpu == 1.5);
	assert_int_equal(web->memory_mib, 2048);
	assert_string_equal(web->image, "debian-12-generic-amd64");
	const struct vnet_node *gateway =
		&request.nodes[vnet_request_node_lookup(&request, "gateway")];
	assert_true(gateway->cpu == 0.5);
	assert_int_equal(vnet_request_node_lookup(&request, "nope"), -1);

	const struct vnet_interface *lan = interface_named(&request,
							   "router:lan");
	assert_int_equal(lan->address_count, 2);
	assert_int_equal(lan->addresses[1].family, AF_INET6);
	assert_address(&lan->addresses[0], "192.168.10.1/24");
	assert_address(&lan->addresses[1], "fd00:10::1/64");
	const struct vnet_interface *db = interface_named(&request, "db:eth0");
	assert_false(db->has_mac);
	assert_int_equal(db->link, vnet_request_link_lookup(&request, "lan"));

	const struct vnet_link *lan_link =
		&request.links[vnet_request_link_lookup(&request, "lan")];
	assert_int_equal(lan_link->isolation, VNET_ISOLATION_VXLAN);
	assert_int_equal(lan_link->mtu, 1450);
	assert_int_equal(lan_link->capacity_kbps, 1000000);
	assert_true(lan_link->latency_ms == 2.0);
	assert_int_equal(lan_link->endpoint_count, 3);
	const struct vnet_link *uplink =
		&request.links[vnet_request_link_lookup(&request, "uplink")];
	assert_int_equal(uplink->isolation, VNET_ISOLATION_VLAN);
	assert_true(uplink->loss == 0.001);
	assert_true(uplink->latency_ms == 10.0);
	assert_int_equal(uplink->endpoints[0].send_kbps, 50000);
	assert_int_equal(uplink->endpoints[0].receive_kbps, 200000);
	assert_int_equal(uplink->endpoints[1].send_kbps, 200000);
	assert_int_equal(uplink->endpoints[1].receive_kbps, 200000);
	vnet_request_free(&request);
}

static void test_placement(void **state)
{
	(void)state;
	struct vnet_request request;
	parse_example("placement.xml", &request);
	assert_consistent(&request);
	/* 2032-03-01T12:30:00.250Z: the fraction is dropped. */
	assert_int_equal(request.lease_end, 1961757000);
	const struct vnet_placement *paris =
		&request.nodes[vnet_request_node_lookup(&request, "paris")]
			 .placement;
	assert_int_equal(paris->substrate_node_count, 2);
	assert_string_equal(paris->substrate_nodes[0], "s1");
	assert_string_equal(paris->substrate_nodes[1], "s2");
	assert_null(paris->site);
	assert_false(paris->has_near);
	const struct vnet_placement *lyon =
		&request.nodes[vnet_request_node_lookup(&request, "lyon")]
			 .placement;
	assert_int_equal(lyon->substrate_node_count, 0);
	assert_string_equal(lyon->site, "lyon");
	const struct vnet_placement *edge =
		&request.nodes[vnet_request_node_lookup(&request, "edge")]
			 .placement;
	assert_string_equal(edge->site, "france");
	assert_true(edge->has_near);
	assert_true(edge->x == 2.35 && edge->y == 48.85);
	assert_true(edge->max_distance == 300);
	assert_int_equal(request.links[0].endpoint_count, 3);
	assert_true(request.links[0].latency_ms == 15);
	for (uint32_t i = 0; i < request.interface_count; i++)
		assert_false(request.interfaces[i].has_mac);
	vnet_request_free(&request);
}

/* The same VNet as extensions.xml with every extension removed. */
static const char plain_annotated[] =
	"<vnet xmlns='urn:loom:vnet:1' name='annotated'>\n"
	"<node id='left' cpu='1'><interface id='left:0' "
	"mac='02:aa:00:00:00:01'><ip address='10.9.0.1/24'/></interface>"
	"</node>\n"
	"<node id='right' cpu='1'><interface id='right:0' "
	"mac='02:aa:00:00:00:02'><ip address='10.9.0.2/24'/></interface>"
	"</node>\n"
	"<link id='wire' capacity='1000'><endpoint interface='left:0'/>"
	"<endpoint interface='right:0'/></link>\n"
	"</vnet>\n";

static void test_extensions_kept_and_ignored(void **state)
{
	(void)state;
	struct vnet_request request;
	parse_example("extensions.xml", &request);
	assert_consistent(&request);
	static const struct {
		bool attribute;
		const char *name, *parent, *namespace_uri, *text;
	} expected[] = {
		{ true, "color", "vnet", "http://example.org/gui/1", "blue" },
		{ false, "canvas", "vnet", "http://example.org/gui/1",
		  "<gui:canvas xmlns:gui=\"http://example.org/gui/1\" "
		  "width=\"800\" height=\"600\"/>" },
		{ true, "x", "node left", "http://example.org/gui/1", "100" },
		{ true, "y", "node left", "http://example.org/gui/1", "200" },
		{ false, "icon", "node left", "http://example.org/gui/1",
		  NULL },
		{ false, "probe", "interface left:0",
		  "http://example.org/monitoring/2",
		  "<mon:probe xmlns:mon=\"http://example.org/monitoring/2\" "
		  "interval=\"10s\"><mon:target>ping</mon:target>"
		  "</mon:probe>" },
		{ true, "sla", "link wire", "http://example.org/monitoring/2",
		  "gold" },
		{ false, "bend", "endpoint left:0", "http://example.org/gui/1",
		  NULL },
		{ false, "collector", "link wire",
		  "http://example.org/monitoring/2", NULL },
	};
	size_t count = sizeof(expected) / sizeof(expected[0]);
	assert_int_equal(request.extension_count, count);
	for (size_t i = 0; i < count; i++) {
		const struct vnet_extension *extension = &request.extensions[i];
		assert_int_equal(extension->attribute, expected[i].attribute);
		assert_string_equal(extension->name, expected[i].name);
		assert_string_equal(extension->parent, expected[i].parent);
		assert_string_equal(extension->namespace_uri,
				    expected[i].namespace_uri);
		if (expected[i].text)
			assert_string_equal(extension->text, expected[i].text);
		assert_true(extension->line > 0);
	}

	/* Ignored: the model is that of the same VNet without them. */
	struct vnet_request plain;
	struct vnet_request_error error;
	assert_int_equal(vnet_request_parse(plain_annotated,
					    strlen(plain_annotated), "plain",
					    NOW, &plain, &error),
			 0);
	json_t *with = vnet_request_to_json(&request);
	json_t *without = vnet_request_to_json(&plain);
	assert_non_null(with);
	assert_non_null(without);
	assert_int_equal(json_array_size(json_object_get(with, "extensions")),
			 count);
	assert_int_equal(
		json_array_size(json_object_get(without, "extensions")), 0);
	json_object_del(with, "extensions");
	json_object_del(without, "extensions");
	assert_true(json_equal(with, without));
	json_decref(with);
	json_decref(without);
	vnet_request_free(&plain);
	vnet_request_free(&request);
}

/* ---- The JSON answer -------------------------------------------------------- */

static const char point_to_point_json[] =
	"{\"name\": \"pair\", \"lease_end\": \"2031-06-30T18:00:00Z\","
	" \"nodes\": ["
	"  {\"id\": \"a\", \"kind\": \"host\", \"cpu\": 1.0,"
	"   \"memory_mib\": 512, \"interfaces\": [{\"id\": \"a:eth0\","
	"   \"mac\": \"02:00:00:00:00:01\", \"addresses\": [\"10.0.0.1/24\"],"
	"   \"link\": \"a-b\"}]},"
	"  {\"id\": \"b\", \"kind\": \"host\", \"cpu\": 1.0,"
	"   \"memory_mib\": 512, \"interfaces\": [{\"id\": \"b:eth0\","
	"   \"mac\": \"02:00:00:00:00:02\", \"addresses\": [\"10.0.0.2/24\"],"
	"   \"link\": \"a-b\"}]}],"
	" \"links\": [{\"id\": \"a-b\", \"isolation\": \"any\", \"mtu\": 1500,"
	"   \"capacity_kbps\": 100000, \"latency_ms\": 0.0, \"loss\": 0.0,"
	"   \"endpoints\": ["
	"    {\"interface\": \"a:eth0\", \"node\": \"a\","
	"     \"send_kbps\": 100000, \"receive_kbps\": 100000},"
	"    {\"interface\": \"b:eth0\", \"node\": \"b\","
	"     \"send_kbps\": 100000, \"receive_kbps\": 100000}]}],"
	" \"extensions\": []}";

static void test_json_point_to_point(void **state)
{
	(void)state;
	struct vnet_request request;
	parse_example("point-to-point.xml", &request);
	json_t *answer = vnet_request_to_json(&request);
	json_error_t json_error;
	json_t *expected = json_loads(point_to_point_json, 0, &json_error);
	assert_non_null(expected);
	assert_non_null(answer);
	if (!json_equal(answer, expected)) {
		char *text = json_dumps(answer, JSON_SORT_KEYS);
		fail_msg("unexpected JSON: %s", text);
	}
	json_decref(expected);
	json_decref(answer);
	vnet_request_free(&request);
}

/* Every example's JSON, dumped and loaded again, still says what the
 * model says, field by field. */
static void check_json_against_model(const struct vnet_request *request)
{
	json_t *answer = vnet_request_to_json(request);
	assert_non_null(answer);
	char *text = json_dumps(answer, JSON_COMPACT);
	json_decref(answer);
	json_error_t json_error;
	json_t *back = json_loads(text, 0, &json_error);
	free(text);
	assert_non_null(back);
	assert_string_equal(json_string_value(json_object_get(back, "name")),
			    request->name);
	json_t *nodes = json_object_get(back, "nodes");
	assert_int_equal(json_array_size(nodes), request->node_count);
	for (uint32_t n = 0; n < request->node_count; n++) {
		const struct vnet_node *node = &request->nodes[n];
		json_t *object = json_array_get(nodes, n);
		assert_string_equal(
			json_string_value(json_object_get(object, "id")),
			node->id);
		assert_string_equal(
			json_string_value(json_object_get(object, "kind")),
			vnet_node_kind_name(node->kind));
		assert_true(json_real_value(json_object_get(object, "cpu")) ==
			    node->cpu);
		assert_int_equal(json_integer_value(json_object_get(
					 object, "memory_mib")),
				 node->memory_mib);
		json_t *image = json_object_get(object, "image");
		if (node->image)
			assert_string_equal(json_string_value(image),
					    node->image);
		else
			assert_null(image);
		json_t *placement = json_object_get(object, "placement");
		json_t *allowed = json_object_get(placement, "substrate_nodes");
		assert_int_equal(json_array_size(allowed),
				 node->placement.substrate_node_count);
		json_t *near = json_object_get(placement, "near");
		assert_int_equal(near != NULL, node->placement.has_near);
		if (near)
			assert_true(json_real_value(json_object_get(
					    near, "max_distance")) ==
				    node->placement.max_distance);
		json_t *interfaces = json_object_get(object, "interfaces");
		assert_int_equal(json_array_size(interfaces),
				 node->interface_count);
		for (uint32_t i = 0; i < node->interface_count; i++) {
			const struct vnet_interface *iface =
				&request->interfaces[node->interface_first + i];
			json_t *entry = json_array_get(interfaces, i);
			assert_string_equal(json_string_value(json_object_get(
						    entry, "id")),
					    iface->id);
			assert_int_equal(json_object_get(entry, "mac") != NULL,
					 iface->has_mac);
			json_t *addresses = json_object_get(entry, "addresses");
			assert_int_equal(json_array_size(addresses),
					 iface->address_count);
			for (uint32_t k = 0; k < iface->address_count; k++) {
				char address[64];
				vnet_address_format(&iface->addresses[k],
						    address, sizeof(address));
				assert_string_equal(
					json_string_value(
						json_array_get(addresses, k)),
					address);
			}
		}
	}
	json_t *links = json_object_get(back, "links");
	assert_int_equal(json_array_size(links), request->link_count);
	for (uint32_t l = 0; l < request->link_count; l++) {
		const struct vnet_link *link = &request->links[l];
		json_t *object = json_array_get(links, l);
		assert_string_equal(
			json_string_value(json_object_get(object, "id")),
			link->id);
		assert_string_equal(
			json_string_value(json_object_get(object, "isolation")),
			vnet_isolation_name(link->isolation));
		assert_int_equal(
			json_integer_value(json_object_get(object, "mtu")),
			link->mtu);
		assert_int_equal(json_integer_value(json_object_get(
					 object, "capacity_kbps")),
				 link->capacity_kbps);
		assert_true(json_real_value(json_object_get(
				    object, "latency_ms")) == link->latency_ms);
		assert_true(json_real_value(json_object_get(object, "loss")) ==
			    link->loss);
		json_t *endpoints = json_object_get(object, "endpoints");
		assert_int_equal(json_array_size(endpoints),
				 link->endpoint_count);
		for (uint32_t e = 0; e < link->endpoint_count; e++) {
			json_t *entry = json_array_get(endpoints, e);
			const struct vnet_endpoint *endpoint =
				&link->endpoints[e];
			assert_string_equal(
				json_string_value(
					json_object_get(entry, "interface")),
				request->interfaces[endpoint->interface].id);
			assert_int_equal(json_integer_value(json_object_get(
						 entry, "send_kbps")),
					 endpoint->send_kbps);
			assert_int_equal(json_integer_value(json_object_get(
						 entry, "receive_kbps")),
					 endpoint->receive_kbps);
		}
	}
	assert_int_equal(json_array_size(json_object_get(back, "extensions")),
			 request->extension_count);
	json_decref(back);
}

static void test_json_round_trip(void **state)
{
	(void)state;
	static const char *const examples[] = { "point-to-point.xml",
						"lan-with-vms.xml",
						"placement.xml",
						"extensions.xml" };
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		struct vnet_request request;
		parse_example(examples[i], &request);
		check_json_against_model(&request);
		vnet_request_free(&request);
	}
}

/* ---- Refusals ---------------------------------------------------------------- */

#define HEAD "<vnet xmlns='urn:loom:vnet:1' name='t'>\n"
#define NODE_A                                                          \
	"<node id='a' cpu='1'><interface id='a0' mac='02:00:00:00:00:01'>" \
	"<ip address='10.0.0.1/24'/></interface></node>\n"
#define NODE_B "<node id='b' cpu='1'><interface id='b0'/></node>\n"
#define LINK_AB                                                 \
	"<link id='l' capacity='1000'><endpoint interface='a0'/>" \
	"<endpoint interface='b0'/></link>\n"
#define TAIL "</vnet>\n"

struct refusal {
	const char *name;
	const char *xml;
	enum vnet_request_problem problem;
	unsigned line;
	const char *element;   /* NULL: not checked */
	const char *attribute; /* NULL: not checked */
	const char *fragment;
};

static const struct refusal refusals[] = {
	{ "empty", "", VNET_REQUEST_NOT_XML, 0, "", "", "empty document" },
	{ "not XML", "hello, world\n", VNET_REQUEST_NOT_XML, 1, "", "",
	  "not well-formed" },
	{ "unclosed", HEAD "<node id='a' cpu='1'>\n", VNET_REQUEST_NOT_XML, 3,
	  "", "", "not well-formed" },
	{ "tag mismatch: the first error, not its consequence",
	  HEAD "<node id='a' cpu='1'>\n" TAIL, VNET_REQUEST_NOT_XML, 3, "", "",
	  "Opening and ending tag mismatch: node line 2 and vnet" },
	{ "not UTF-8", HEAD "<node id='\xff' cpu='1'/>" TAIL,
	  VNET_REQUEST_NOT_XML, 2, "", "", "not proper UTF-8" },
	{ "two roots", HEAD TAIL "<vnet/>\n", VNET_REQUEST_NOT_XML, 3, "", "",
	  "Extra content" },
	{ "wrong root", "<network name='t'/>", VNET_REQUEST_WRONG_ROOT, 1,
	  "network", NULL, "root element 'network'" },
	{ "root without namespace", "\n<vnet name='t'/>",
	  VNET_REQUEST_WRONG_ROOT, 2, "vnet", NULL, "namespace ''" },
	{ "GENI RSpec",
	  "<rspec xmlns='http://www.geni.net/resources/rspec/3' "
	  "type='request'/>",
	  VNET_REQUEST_WRONG_ROOT, 1, "rspec", NULL, "a GENI RSpec" },
	{ "external entity",
	  "<?xml version='1.0'?>\n"
	  "<!DOCTYPE vnet [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>\n" HEAD
	  "<node id='&x;' cpu='1'/>" TAIL,
	  VNET_REQUEST_DTD, 2, "", "", "DOCTYPE is not accepted" },
	{ "billion laughs",
	  "<!DOCTYPE vnet [<!ENTITY a 'aaaaaaaaaa'>"
	  "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>"
	  "<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>]>\n" HEAD
	  "<node id='a' cpu='1' x='&c;'/>" TAIL,
	  VNET_REQUEST_DTD, 1, "", "", "no entities" },
	{ "external DTD",
	  "<!DOCTYPE vnet SYSTEM 'http://example.org/vnet.dtd'>\n" HEAD TAIL,
	  VNET_REQUEST_DTD, 1, "", "", "DOCTYPE" },
	/* Schema violations. */
	{ "name missing", "<vnet xmlns='urn:loom:vnet:1'/>",
	  VNET_REQUEST_SCHEMA, 1, "vnet", NULL, "'name' is required" },
	{ "name with a space", "<vnet xmlns='urn:loom:vnet:1' name='a b'/>",
	  VNET_REQUEST_SCHEMA, 1, "vnet", "name", "not accepted by the pattern" },
	{ "cpu not a number", HEAD "<node id='a' cpu='many'/>\n" TAIL,
	  VNET_REQUEST_SCHEMA, 2, "node", "cpu", "not a valid value" },
	{ "cpu missing", HEAD "\n<node id='a'/>\n" TAIL, VNET_REQUEST_SCHEMA,
	  3, "node", NULL, "'cpu' is required" },
	{ "unknown attribute", HEAD "<node id='a' cpu='1' color='red'/>" TAIL,
	  VNET_REQUEST_SCHEMA, 2, "node", "color", "not allowed" },
	{ "unknown element", HEAD NODE_A "<router id='r'/>\n" TAIL,
	  VNET_REQUEST_SCHEMA, 3, "router", "", "not expected" },
	{ "element without namespace",
	  HEAD NODE_A "<note xmlns=''>hi</note>\n" TAIL, VNET_REQUEST_SCHEMA,
	  3, "note", "", "not expected" },
	{ "text in a node", HEAD "<node id='a' cpu='1'>big one</node>" TAIL,
	  VNET_REQUEST_SCHEMA, 2, "node", "", "Character content" },
	{ "kind unknown", HEAD "<node id='a' cpu='1' kind='container'/>" TAIL,
	  VNET_REQUEST_SCHEMA, 2, "node", "kind", "not an element of the set" },
	{ "memory zero", HEAD "<node id='a' cpu='1' memory='0'/>" TAIL,
	  VNET_REQUEST_SCHEMA, 2, "node", "memory", "minimum value" },
	{ "MAC too short",
	  HEAD "<node id='a' cpu='1'>\n<interface id='a0' "
	       "mac='02:00:00:00:00'/></node>" TAIL,
	  VNET_REQUEST_SCHEMA, 3, "interface", "mac", "not accepted by the pattern" },
	{ "address without prefix",
	  HEAD "<node id='a' cpu='1'><interface id='a0'>\n<ip "
	       "address='10.0.0.1'/></interface></node>" TAIL,
	  VNET_REQUEST_SCHEMA, 3, "ip", "address", "pattern" },
	{ "isolation unknown",
	  HEAD NODE_A NODE_B
	  "<link id='l' capacity='1' isolation='gre'><endpoint "
	  "interface='a0'/><endpoint interface='b0'/></link>" TAIL,
	  VNET_REQUEST_SCHEMA, 4, "link", "isolation", "gre" },
	{ "MTU too small",
	  HEAD NODE_A NODE_B
	  "<link id='l' capacity='1' mtu='60'><endpoint interface='a0'/>"
	  "<endpoint interface='b0'/></link>" TAIL,
	  VNET_REQUEST_SCHEMA, 4, "link", "mtu", "minimum value" },
	{ "capacity missing",
	  HEAD NODE_A NODE_B
	  "<link id='l'><endpoint interface='a0'/><endpoint "
	  "interface='b0'/></link>" TAIL,
	  VNET_REQUEST_SCHEMA, 4, "link", NULL, "'capacity' is required" },
	{ "capacity negative",
	  HEAD NODE_A NODE_B
	  "<link id='l' capacity='-5'><endpoint interface='a0'/><endpoint "
	  "interface='b0'/></link>" TAIL,
	  VNET_REQUEST_SCHEMA, 4, "link", "capacity", "not a valid value" },
	{ "loss above one",
	  HEAD NODE_A NODE_B
	  "<link id='l' capacity='1' loss='1.5'><endpoint interface='a0'/>"
	  "<endpoint interface='b0'/></link>" TAIL,
	  VNET_REQUEST_SCHEMA, 4, "link", "loss", "maximum value" },
	{ "lease end not a date",
	  "<vnet xmlns='urn:loom:vnet:1' name='t' lease-end='tomorrow'/>",
	  VNET_REQUEST_SCHEMA, 1, "vnet", "lease-end", "dateTime" },
	{ "lease end on February 29 of 2031",
	  "<vnet xmlns='urn:loom:vnet:1' name='t' "
	  "lease-end='2031-02-29T00:00:00Z'/>",
	  VNET_REQUEST_SCHEMA, 1, "vnet", "lease-end", "dateTime" },
	{ "near without distance",
	  HEAD "<node id='a' cpu='1'><placement>\n<near x='1' "
	       "y='2'/></placement></node>" TAIL,
	  VNET_REQUEST_SCHEMA, 3, "near", NULL, "'max-distance' is required" },
	{ "near distance zero",
	  HEAD "<node id='a' cpu='1'><placement>\n<near x='1' y='2' "
	       "max-distance='0'/></placement></node>" TAIL,
	  VNET_REQUEST_SCHEMA, 3, "near", "max-distance",
	  "must be greater than '0'" },
	{ "endpoint without interface",
	  HEAD NODE_A NODE_B "<link id='l' capacity='1'>\n<endpoint/></link>"
	  TAIL, VNET_REQUEST_SCHEMA, 5, "endpoint", NULL,
	  "'interface' is required" },
	/* The rules after the schema. */
	{ "duplicate node id",
	  HEAD NODE_A NODE_B "<node id='a' cpu='2'/>\n" TAIL,
	  VNET_REQUEST_DUPLICATE_ID, 4, "node", "id",
	  "duplicate node id 'a' (first at line 2)" },
	{ "duplicate interface id",
	  HEAD NODE_A "<node id='b' cpu='1'><interface id='a0'/></node>\n" TAIL,
	  VNET_REQUEST_DUPLICATE_ID, 3, "interface", "id",
	  "duplicate interface id 'a0' (first at line 2)" },
	{ "duplicate link id",
	  HEAD NODE_A NODE_B
	  "<node id='c' cpu='1'><interface id='c0'/><interface id='c1'/>"
	  "</node>\n" LINK_AB
	  "<link id='l' capacity='1'><endpoint interface='c0'/><endpoint "
	  "interface='c1'/></link>" TAIL,
	  VNET_REQUEST_SELF_LINK, 6, "endpoint", "interface",
	  "joins node 'c' to itself" },
	{ "duplicate link id (distinct nodes)",
	  HEAD NODE_A NODE_B
	  "<node id='c' cpu='1'><interface id='c0'/></node>\n"
	  "<node id='d' cpu='1'><interface id='d0'/></node>\n" LINK_AB
	  "<link id='l' capacity='1'><endpoint interface='c0'/><endpoint "
	  "interface='d0'/></link>" TAIL,
	  VNET_REQUEST_DUPLICATE_ID, 7, "link", "id",
	  "duplicate link id 'l' (first at line 6)" },
	{ "unknown interface",
	  HEAD NODE_A NODE_B
	  "<link id='l' capacity='1'><endpoint interface='a0'/>\n"
	  "<endpoint interface='z9'/></link>" TAIL,
	  VNET_REQUEST_UNKNOWN_INTERFACE, 5, "endpoint", "interface",
	  "names interface 'z9', which no node has" },
	{ "interface in two links",
	  HEAD NODE_A NODE_B
	  "<node id='c' cpu='1'><interface id='c0'/></node>\n" LINK_AB
	  "<link id='m' capacity='1'><endpoint interface='c0'/>\n"
	  "<endpoint interface='b0'/></link>" TAIL,
	  VNET_REQUEST_INTERFACE_REUSED, 7, "endpoint", "interface",
	  "'b0' is already an endpoint of link 'l' (line 5)" },
	{ "interface twice in a link",
	  HEAD NODE_A NODE_B
	  "<link id='l' capacity='1'><endpoint interface='a0'/>"
	  "<endpoint interface='b0'/>\n<endpoint interface='a0'/></link>" TAIL,
	  VNET_REQUEST_INTERFACE_REUSED, 5, "endpoint", "interface",
	  "already an endpoint of link 'l'" },
	{ "one endpoint",
	  HEAD NODE_A NODE_B
	  "<link id='l' capacity='1'><endpoint interface='a0'/></link>" TAIL,
	  VNET_REQUEST_TOO_FEW_ENDPOINTS, 4, "link", "",
	  "has 1 endpoint; a link joins two or more" },
	{ "no endpoint", HEAD NODE_A "<link id='l' capacity='1'/>" TAIL,
	  VNET_REQUEST_TOO_FEW_ENDPOINTS, 3, "link", "", "has 0 endpoints" },
	{ "self link",
	  HEAD "<node id='a' cpu='1'><interface id='a0'/><interface "
	       "id='a1'/></node>\n"
	  "<link id='l' capacity='1'><endpoint interface='a0'/>\n<endpoint "
	  "interface='a1'/></link>" TAIL,
	  VNET_REQUEST_SELF_LINK, 4, "endpoint", "interface",
	  "joins node 'a' to itself" },
	{ "multicast MAC",
	  HEAD "<node id='a' cpu='1'>\n<interface id='a0' "
	       "mac='01:00:5e:00:00:01'/></node>" TAIL,
	  VNET_REQUEST_MAC, 3, "interface", "mac", "multicast" },
	{ "broadcast MAC",
	  HEAD "<node id='a' cpu='1'><interface id='a0' "
	       "mac='ff:ff:ff:ff:ff:ff'/></node>" TAIL,
	  VNET_REQUEST_MAC, 2, "interface", "mac", "multicast" },
	{ "zero MAC",
	  HEAD "<node id='a' cpu='1'><interface id='a0' "
	       "mac='00:00:00:00:00:00'/></node>" TAIL,
	  VNET_REQUEST_MAC, 2, "interface", "mac", "all-zero" },
	{ "duplicate MAC (case differs)",
	  HEAD "<node id='a' cpu='1'><interface id='a0' "
	       "mac='02:00:00:00:00:0a'/></node>\n"
	       "<node id='b' cpu='1'>\n<interface id='b0' "
	       "mac='02:00:00:00:00:0A'/></node>" TAIL,
	  VNET_REQUEST_DUPLICATE_MAC, 4, "interface", "mac",
	  "MAC 02:00:00:00:00:0a is used twice (first at line 2)" },
	{ "IPv4 octet too big",
	  HEAD "<node id='a' cpu='1'><interface id='a0'>\n<ip "
	       "address='10.0.0.256/24'/></interface></node>" TAIL,
	  VNET_REQUEST_ADDRESS, 3, "ip", "address", "not an IPv4 address" },
	{ "IPv4 prefix too long",
	  HEAD "<node id='a' cpu='1'><interface id='a0'><ip "
	       "address='10.0.0.1/33'/></interface></node>" TAIL,
	  VNET_REQUEST_ADDRESS, 2, "ip", "address", "0 to 32" },
	{ "IPv6 prefix too long",
	  HEAD "<node id='a' cpu='1'><interface id='a0'><ip "
	       "address='fd00::1/129'/></interface></node>" TAIL,
	  VNET_REQUEST_ADDRESS, 2, "ip", "address", "0 to 128" },
	{ "IPv6 malformed",
	  HEAD "<node id='a' cpu='1'><interface id='a0'><ip "
	       "address='fd00:::1/64'/></interface></node>" TAIL,
	  VNET_REQUEST_ADDRESS, 2, "ip", "address",
	  "'fd00:::1/64': not an IPv6 address" },
	{ "lease in the past",
	  "<vnet xmlns='urn:loom:vnet:1' name='t'\n"
	  "lease-end='2024-12-31T23:59:59Z'/>",
	  VNET_REQUEST_LEASE, 2, "vnet", "lease-end", "not in the future" },
	{ "lease ends now",
	  "<vnet xmlns='urn:loom:vnet:1' name='t' "
	  "lease-end='2025-01-01T01:00:00+01:00'/>",
	  VNET_REQUEST_LEASE, 1, "vnet", "lease-end", "not in the future" },
	{ "lease without time zone",
	  "<vnet xmlns='urn:loom:vnet:1' name='t' "
	  "lease-end='2030-01-01T00:00:00'/>",
	  VNET_REQUEST_LEASE, 1, "vnet", "lease-end", "time zone is required" },
	{ "lease with a five-digit year",
	  "<vnet xmlns='urn:loom:vnet:1' name='t' "
	  "lease-end='12030-01-01T00:00:00Z'/>",
	  VNET_REQUEST_LEASE, 1, "vnet", "lease-end", "four-digit year" },
	{ "CPU zero", HEAD "<node id='a' cpu='0'/>" TAIL, VNET_REQUEST_CPU, 2,
	  "node", "cpu", "needs more than 0 cores" },
	{ "CPU negative", HEAD "<node id='a' cpu='-0.5'/>" TAIL,
	  VNET_REQUEST_CPU, 2, "node", "cpu", "more than 0" },
	{ "link capacity zero",
	  HEAD NODE_A NODE_B
	  "<link id='l' capacity='0'><endpoint interface='a0'/><endpoint "
	  "interface='b0'/></link>" TAIL,
	  VNET_REQUEST_CAPACITY, 4, "link", "capacity", "above 0 kbit/s" },
	{ "endpoint receive zero",
	  HEAD NODE_A NODE_B
	  "<link id='l' capacity='1'><endpoint interface='a0'/>\n<endpoint "
	  "interface='b0' receive='0'/></link>" TAIL,
	  VNET_REQUEST_CAPACITY, 5, "endpoint", "receive", "above 0 kbit/s" },
	{ "vm without image", HEAD "<node id='v' kind='vm' cpu='1'/>" TAIL,
	  VNET_REQUEST_IMAGE, 2, "node", "image", "needs an image" },
	{ "host with image",
	  HEAD "<node id='h' cpu='1' image='debian'/>" TAIL,
	  VNET_REQUEST_IMAGE, 2, "node", "image", "cannot have an image" },
	{ "two placements",
	  HEAD "<node id='a' cpu='1'><placement/>\n<placement/></node>" TAIL,
	  VNET_REQUEST_PLACEMENT, 3, "placement", "",
	  "more than one placement" },
	{ "two sites",
	  HEAD "<node id='a' cpu='1'><placement><site name='x'/>\n<site "
	       "name='y'/></placement></node>" TAIL,
	  VNET_REQUEST_PLACEMENT, 3, "site", "", "more than one site" },
	{ "substrate node twice",
	  HEAD "<node id='a' cpu='1'>\n<placement><substrate-node id='s1'/>"
	       "<substrate-node id='s1'/></placement></node>" TAIL,
	  VNET_REQUEST_PLACEMENT, 3, "placement", "", "'s1' listed twice" },
};

static void test_refusals(void **state)
{
	(void)state;
	static const struct vnet_request zero;
	unsigned failures = 0;
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const struct refusal *refusal = &refusals[i];
		struct vnet_request request;
		memset(&request, 0xa5, sizeof(request));
		struct vnet_request_error error;
		int result = vnet_request_parse(refusal->xml,
						strlen(refusal->xml), "case",
						NOW, &request, &error);
		char text[600];
		vnet_request_error_format(&error, text, sizeof(text));
		if (result != -1) {
			print_error("%s: accepted\n", refusal->name);
			failures++;
			vnet_request_free(&request);
			continue;
		}
		if (error.problem != refusal->problem ||
		    error.line != refusal->line ||
		    !strstr(error.message, refusal->fragment) ||
		    (refusal->element &&
		     strcmp(error.element, refusal->element) != 0) ||
		    (refusal->attribute &&
		     strcmp(error.attribute, refusal->attribute) != 0)) {
			print_error("%s: got [%s] %s; expected [%s] line %u "
				    "element '%s' attribute '%s' '%s'\n",
				    refusal->name,
				    vnet_request_problem_name(error.problem),
				    text,
				    vnet_request_problem_name(refusal->problem),
				    refusal->line,
				    refusal->element ? refusal->element : "*",
				    refusal->attribute ? refusal->attribute :
							 "*",
				    refusal->fragment);
			failures++;
		}
		/* Nothing half-filled. */
		assert_memory_equal(&request, &zero, sizeof(request));
		assert_string_equal(error.file, "case");
	}
	assert_int_equal(failures, 0);
}

static void test_error_format(void **state)
{
	(void)state;
	struct vnet_request request;
	struct vnet_request_error error;
	static const char xml[] = HEAD "<node id='a' cpu='0'/>" TAIL;
	assert_int_equal(vnet_request_parse(xml, strlen(xml), "mine.xml", NOW,
					    &request, &error),
			 -1);
	char text[600];
	vnet_request_error_format(&error, text, sizeof(text));
	assert_string_equal(text, "mine.xml:2: element 'node' attribute 'cpu': "
				  "node 'a' needs more than 0 cores");
	assert_string_equal(vnet_request_problem_name(error.problem),
			    "invalid CPU");
	/* No name: "request". */
	assert_int_equal(vnet_request_parse("<x", 2, NULL, NOW, &request,
					    &error),
			 -1);
	vnet_request_error_format(&error, text, sizeof(text));
	assert_true(strncmp(text, "request:1: not well-formed", 26) == 0);
	/* A NULL error is allowed. */
	assert_int_equal(vnet_request_parse("<x", 2, NULL, NOW, &request,
					    NULL),
			 -1);
}

static void test_limits(void **state)
{
	(void)state;
	struct vnet_request request;
	struct vnet_request_error error;

	/* Too large: refused before parsing. */
	size_t size = VNET_REQUEST_MAX_SIZE + 1;
	char *big = malloc(size);
	assert_non_null(big);
	memset(big, ' ', size);
	memcpy(big, HEAD, strlen(HEAD));
	assert_int_equal(vnet_request_parse(big, size, "big", NOW, &request,
					    &error),
			 -1);
	assert_int_equal(error.problem, VNET_REQUEST_TOO_LARGE);
	free(big);

	/* Nesting: foreign elements 40 deep. */
	char deep[4096] = HEAD "<node id='a' cpu='1'>\n";
	for (int i = 0; i < 40; i++)
		strcat(deep, "<x:e xmlns:x='urn:other'>");
	for (int i = 0; i < 40; i++)
		strcat(deep, "</x:e>");
	strcat(deep, "</node>" TAIL);
	assert_int_equal(vnet_request_parse(deep, strlen(deep), "deep", NOW,
					    &request, &error),
			 -1);
	assert_int_equal(error.problem, VNET_REQUEST_TOO_DEEP);
	assert_int_equal(error.line, 3);

	/* Just within the depth limit is fine (vnet, node, 30 more). */
	char ok[4096] = HEAD "<node id='a' cpu='1'>\n";
	for (int i = 0; i < VNET_REQUEST_MAX_DEPTH - 2; i++)
		strcat(ok, "<x:e xmlns:x='urn:other'>");
	for (int i = 0; i < VNET_REQUEST_MAX_DEPTH - 2; i++)
		strcat(ok, "</x:e>");
	strcat(ok, "</node>" TAIL);
	assert_int_equal(vnet_request_parse(ok, strlen(ok), "ok", NOW,
					    &request, &error),
			 0);
	assert_int_equal(request.extension_count, 1);
	vnet_request_free(&request);

	/* The buffer need not be NUL-terminated, and what follows it is
	 * not read: a document cut short is not well-formed. */
	static const char whole[] = HEAD NODE_A NODE_B LINK_AB TAIL;
	char *exact = malloc(sizeof(whole) - 1);
	memcpy(exact, whole, sizeof(whole) - 1);
	assert_int_equal(vnet_request_parse(exact, sizeof(whole) - 1, "exact",
					    NOW, &request, &error),
			 0);
	assert_int_equal(request.link_count, 1);
	vnet_request_free(&request);
	assert_int_equal(vnet_request_parse(exact, sizeof(whole) - 10,
					    "short", NOW, &request, &error),
			 -1);
	assert_int_equal(error.problem, VNET_REQUEST_NOT_XML);
	free(exact);

	/* A NUL byte inside is not XML. */
	static const char nul[] = HEAD "<node id='a'\0 cpu='1'/>" TAIL;
	assert_int_equal(vnet_request_parse(nul, sizeof(nul) - 1, "nul", NOW,
					    &request, &error),
			 -1);
	assert_int_equal(error.problem, VNET_REQUEST_NOT_XML);
}

/* What the schema allows that the C code must read the same way:
 * whitespace around decimals (libxml2 allows none around integers and
 * dates), "+", leading zeros, xs:dateTime's 24:00:00,
 * IPv4-mapped IPv6, uppercase MACs, links before their nodes. */
static void test_lexical_forms(void **state)
{
	(void)state;
	static const char xml[] =
		"<vnet xmlns='urn:loom:vnet:1' name='t' "
		"lease-end='2030-12-31T24:00:00-00:30'>\n"
		"<link id='l' capacity='0100' latency=' .5' loss='0.'>"
		"<endpoint interface='b0' send='007'/>"
		"<endpoint interface='a0'/></link>\n"
		"<node id='a' cpu=' +2.25 ' memory='0064'><interface id='a0' "
		"mac='0A:BC:DE:F0:12:34'><ip address='::ffff:10.0.0.1/128'/>"
		"</interface></node>\n"
		"<node id='b' kind='vm' cpu='1' image='x'><interface id='b0'/>"
		"</node>\n"
		"</vnet>";
	struct vnet_request request;
	struct vnet_request_error error;
	int result = vnet_request_parse(xml, strlen(xml), "forms", NOW,
					&request, &error);
	char text[600];
	vnet_request_error_format(&error, text, sizeof(text));
	if (result != 0)
		fail_msg("%s", text);
	assert_consistent(&request);
	/* 2031-01-01T00:00:00 at -00:30 is 00:30 UTC. */
	assert_int_equal(request.lease_end, 1924993800);
	const struct vnet_link *link = &request.links[0];
	assert_int_equal(link->capacity_kbps, 100);
	assert_true(link->latency_ms == 0.5);
	assert_int_equal(link->endpoints[0].send_kbps, 7);
	assert_int_equal(link->endpoints[0].receive_kbps, 100);
	assert_string_equal(request.interfaces[link->endpoints[0].interface].id,
			    "b0");
	const struct vnet_node *a = &request.nodes[0];
	assert_true(a->cpu == 2.25);
	assert_int_equal(a->memory_mib, 64);
	assert_mac(&request.interfaces[0], "0a:bc:de:f0:12:34");
	assert_int_equal(request.interfaces[0].addresses[0].family, AF_INET6);
	assert_address(&request.interfaces[0].addresses[0],
		       "::ffff:10.0.0.1/128");
	vnet_request_free(&request);
}

static void test_schema_compiled_in(void **state)
{
	(void)state;
	size_t length;
	char *text = read_source("control/schema/loom-vnet.xsd", &length);
	assert_int_equal(strlen(vnet_request_schema()), length);
	assert_memory_equal(vnet_request_schema(), text, length);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_point_to_point),
		cmocka_unit_test(test_lan_with_vms),
		cmocka_unit_test(test_placement),
		cmocka_unit_test(test_extensions_kept_and_ignored),
		cmocka_unit_test(test_json_point_to_point),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_error_format),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_lexical_forms),
		cmocka_unit_test(test_schema_compiled_in),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

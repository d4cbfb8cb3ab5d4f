/* Unit tests of GENI RSpec v3 requests (control/rspec.c) and manifests
 * (control/rspec_manifest.c): every sample in tests/data/rspec/ either
 * converts and embeds on a test substrate whose sites are the samples'
 * aggregates, or is refused with the expected problem, line and reason;
 * then focused cases of the mapping, the leniency and the refusals; and
 * the manifest writer's output validated against the RSpec v3 manifest
 * schema. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "control.h"
#include "embed_fixture.h"

/* 2025-01-01T00:00:00Z */
#define NOW 1735689600

#define V3 "http://www.geni.net/resources/rspec/3"
#define V2 "http://www.protogeni.net/resources/rspec/2"

/* ---- The test substrate --------------------------------------------------
 *
 * Sites named after the samples' aggregates (component_manager_id
 * authorities), enough nodes in each, all on one ring of 1 Gbit/s
 * ethernet links with two chords. */
struct site_nodes {
	const char *site;
	const char *nodes[3];
};

static const struct site_nodes sites[] = {
	{ "instageni.illinois.edu", { "i1", "i2", "i3" } },
	{ "instageni.rnet.missouri.edu", { "m1", "m2", NULL } },
	{ "emulab.net", { "e1", "e2", NULL } },
	{ "instageni.gpolab.bbn.com", { "g1", "g2", NULL } },
	{ "utah.geniracks.net", { "u1", "u2", NULL } },
	{ "pgeni.gpolab.bbn.com", { "p1", "p2", "p3" } },
	{ "lab", { "s1", "s2", "s3" } },
};

static void add_link(struct substrate *s, uint32_t a, uint32_t b)
{
	struct substrate_link link = {
		.bandwidth = 1000, .latency = 1,
		.kind = SUBSTRATE_LINK_ETHERNET, .tags = { 100, 999 },
	};
	snprintf(link.id, sizeof(link.id), "%.20s--%.20s", s->nodes[a].id,
		 s->nodes[b].id);
	char port_a[16], port_b[16];
	snprintf(port_a, sizeof(port_a), "p%u", s->nodes[a].port_count);
	snprintf(port_b, sizeof(port_b), "p%u", s->nodes[b].port_count);
	assert_true(substrate_add_port(s, a, port_a) >= 0);
	assert_true(substrate_add_port(s, b, port_b) >= 0);
	struct substrate_link_end end_a = { a, port_a }, end_b = { b, port_b };
	assert_true(substrate_add_link(s, &link, end_a, end_b) >= 0);
}

static int setup(void **state)
{
	struct fixture *f = fixture_begin("geni");
	for (size_t s = 0; s < sizeof(sites) / sizeof(sites[0]); s++)
		for (size_t n = 0; n < 3 && sites[s].nodes[n]; n++) {
			struct substrate_node node = { .cpu = 16 };
			snprintf(node.id, sizeof(node.id), "%s",
				 sites[s].nodes[n]);
			snprintf(node.site, sizeof(node.site), "%s",
				 sites[s].site);
			assert_true(substrate_add_node(f->substrate, &node) >=
				    0);
		}
	uint32_t count = f->substrate->node_count;
	for (uint32_t i = 0; i < count; i++)
		add_link(f->substrate, i, (i + 1) % count);
	add_link(f->substrate, 0, count / 2);
	add_link(f->substrate, count / 4, 3 * count / 4);
	return fixture_finish(f, state);
}

/* Converts, embeds (checking each node's site and allowed nodes on the
 * substrate) and releases. */
static void embed_and_release(struct fixture *f,
			      const struct vnet_request *request,
			      const char *name)
{
	char err[256] = "";
	struct embed_request *embed_request =
		vnet_request_to_embed(request, f->substrate, err, sizeof(err));
	if (!embed_request)
		fail_msg("%s: %s", name, err);
	struct embed_mapping mapping;
	embed_mapping_init(&mapping);
	if (embedder_embed(f->embedder, f->residual, embed_request, &mapping))
		fail_msg("%s: not embedded", name);
	for (uint32_t v = 0; v < request->node_count; v++) {
		const struct vnet_placement *placement =
			&request->nodes[v].placement;
		const struct substrate_node *host =
			&f->substrate->nodes[mapping.nodes[v]];
		if (placement->site)
			assert_string_equal(host->site, placement->site);
		if (placement->substrate_node_count == 1)
			assert_string_equal(host->id,
					    placement->substrate_nodes[0]);
	}
	assert_int_equal(embed_residual_commit(f->residual, embed_request,
					       &mapping), 0);
	embed_residual_release(f->residual, embed_request, &mapping);
	assert_true(embed_residual_is_full(f->residual));
	embed_mapping_free(&mapping);
	embed_request_free(embed_request);
}

static int parse(const char *xml, const char *name, struct vnet_request *out,
		 struct vnet_request_error *error)
{
	return rspec_request_parse(xml, strlen(xml), name, NOW, out, error);
}

static void parse_ok(const char *xml, struct vnet_request *out)
{
	struct vnet_request_error error;
	if (parse(xml, "t.xml", out, &error)) {
		char text[700];
		vnet_request_error_format(&error, text, sizeof(text));
		fail_msg("%s", text);
	}
}

/* ---- Every sample ---------------------------------------------------------- */

struct sample {
	const char *file;
	uint32_t nodes, links; /* converted */
	enum vnet_request_problem problem; /* refused */
	unsigned line;
	const char *reason;
};

static const struct sample samples[] = {
	{ "gl-custom3-2am.xml", 5, 5, 0, 0, NULL },
	{ "gl-sharedvlan-1am.xml", 3, 5, 0, 0, NULL },
	{ "gram-controller-4-node-diamond.xml", 4, 4, 0, 0, NULL },
	{ "gram-three-nodes-flack.xml", 3, 2, 0, 0, NULL },
	{ "gt-gib-three-nodes-lan.xml", 3, 1, 0, 0, NULL },
	{ "gt-stitch-pg-ig-utah-2links.xml", 2, 2, 0, 0, NULL },
	{ "portal-one-compute-node.xml", 1, 0, 0, 0, NULL },
	{ "portal-one-virtual-machine.xml", 1, 0, 0, 0, NULL },
	{ "portal-two-nodes-with-one-delay-node.xml", 0, 0,
	  VNET_REQUEST_UNSUPPORTED, 18, "Emulab delay node" },
	{ "manifest/gt-manifest-instageni-gpo-stitched.xml", 0, 0,
	  VNET_REQUEST_WRONG_ROOT, 13, "a manifest RSpec" },
	{ "advertisement/gt-gib-advertisement.xml", 0, 0,
	  VNET_REQUEST_WRONG_ROOT, 8, "an advertisement RSpec" },
};

static void test_samples(void **state)
{
	struct fixture *f = *state;
	for (size_t s = 0; s < sizeof(samples) / sizeof(samples[0]); s++) {
		const struct sample *sample = &samples[s];
		char relative[256];
		snprintf(relative, sizeof(relative), "tests/data/rspec/%s",
			 sample->file);
		size_t length;
		char *xml = read_text(relative, &length);
		struct vnet_request request;
		struct vnet_request_error error;
		const char *format = "?";
		int rc = vnet_document_parse(xml, length, sample->file, NOW,
					     &request, &error, &format);
		free(xml);
		char text[700];
		vnet_request_error_format(&error, text, sizeof(text));
		if (sample->reason) {
			if (rc == 0)
				fail_msg("%s: converted, expected refused",
					 sample->file);
			assert_int_equal(error.problem, sample->problem);
			assert_int_equal(error.line, sample->line);
			assert_null(format);
			if (!strstr(error.message, sample->reason))
				fail_msg("%s", text);
			continue;
		}
		if (rc)
			fail_msg("%s", text);
		assert_string_equal(format, "geni-rspec-v3");
		assert_int_equal(request.node_count, sample->nodes);
		assert_int_equal(request.link_count, sample->links);
		embed_and_release(f, &request, sample->file);
		vnet_request_free(&request);
	}
}

/* What the samples say, read back: the documented mapping. */
static void test_sample_values(void **state)
{
	(void)state;
	size_t length;
	char *xml = read_text("tests/data/rspec/gl-custom3-2am.xml", &length);
	struct vnet_request request;
	struct vnet_request_error error;
	assert_int_equal(rspec_request_parse(xml, length,
					     "/tmp/x/gl-custom3-2am.xml", NOW,
					     &request, &error),
			 0);
	free(xml);
	assert_string_equal(request.name, "gl-custom3-2am");
	int rt1 = vnet_request_node_lookup(&request, "rt-1");
	assert_true(rt1 >= 0);
	const struct vnet_node *node = &request.nodes[rt1];
	assert_int_equal(node->kind, VNET_NODE_VM);
	assert_true(node->cpu == 1);
	assert_int_equal(node->memory_mib, 256);
	assert_non_null(strstr(node->image, "uuid=5417bcef"));
	assert_string_equal(node->placement.site,
			    "instageni.rnet.missouri.edu");
	assert_int_equal(node->interface_count, 3);
	const struct vnet_interface *iface =
		&request.interfaces[node->interface_first];
	char text[64];
	vnet_address_format(&iface->addresses[0], text, sizeof(text));
	assert_string_equal(text, "192.168.1.1/24");
	const struct vnet_link *link =
		&request.links[vnet_request_link_lookup(&request, "stitched0")];
	assert_int_equal(link->capacity_kbps, 20000);
	assert_int_equal(link->endpoints[0].send_kbps, 20000);
	const struct vnet_link *lan =
		&request.links[vnet_request_link_lookup(&request, "lan0")];
	assert_int_equal(lan->capacity_kbps, RSPEC_DEFAULT_CAPACITY_KBPS);
	/* services and link component_managers kept, ignored. */
	uint32_t services = 0;
	for (uint32_t e = 0; e < request.extension_count; e++)
		if (!strcmp(request.extensions[e].name, "services"))
			services++;
	assert_int_equal(services, 5);
	vnet_request_free(&request);

	xml = read_text("tests/data/rspec/gt-gib-three-nodes-lan.xml", &length);
	assert_int_equal(rspec_request_parse(xml, length, NULL, NOW, &request,
					     &error),
			 0);
	free(xml);
	assert_string_equal(request.name, RSPEC_DEFAULT_NAME);
	assert_int_equal(request.links[0].endpoint_count, 3);
	for (uint32_t n = 0; n < 3; n++) {
		assert_int_equal(request.nodes[n].kind, VNET_NODE_HOST);
		assert_null(request.nodes[n].image); /* raw-pc: a host */
	}
	vnet_request_free(&request);
}

/* ---- Focused cases ------------------------------------------------------- */

#define NODE(id, interfaces)                                                \
	"<node client_id='" id "'>" interfaces "</node>"
#define IF(id) "<interface client_id='" id "'/>"

static const char topology[] =
	"<rspec xmlns='" V3 "' type='request'>"
	NODE("a", IF("a:0") IF("a:1"))
	NODE("b", IF("b:0") IF("b:1"))
	NODE("c", IF("c:0"))
	"<link client_id='ab'><interface_ref client_id='a:0'/>"
	"<interface_ref client_id='b:0'/>"
	"<link_type name='gre-tunnel'/></link>"
	"<link client_id='lan'><interface_ref client_id='a:1'/>"
	"<interface_ref client_id='b:1'/><interface_ref client_id='c:0'/>"
	"<link_type name='lan'/></link>"
	"</rspec>";

static void test_point_to_point_and_lan(void **state)
{
	struct fixture *f = *state;
	struct vnet_request request;
	parse_ok(topology, &request);
	assert_int_equal(request.link_count, 2);
	assert_int_equal(request.links[0].endpoint_count, 2);
	assert_int_equal(request.links[0].isolation, VNET_ISOLATION_VXLAN);
	assert_int_equal(request.links[1].endpoint_count, 3);
	assert_int_equal(request.links[1].isolation, VNET_ISOLATION_ANY);
	assert_int_equal(request.links[1].mtu, 1500);
	assert_int_equal(request.interfaces[4].link, 1);
	assert_int_equal(request.nodes[0].kind, VNET_NODE_HOST);
	assert_true(request.nodes[0].cpu == 1);
	assert_int_equal(request.nodes[0].memory_mib, 512);
	embed_and_release(f, &request, "topology");
	vnet_request_free(&request);
}

static void test_properties(void **state)
{
	(void)state;
	struct vnet_request request;
	parse_ok("<rspec xmlns='" V3 "' type='request'>"
		 NODE("a", IF("a:0")) NODE("b", IF("b:0")) NODE("c", IF("c:0"))
		 "<link client_id='l'>"
		 "<interface_ref client_id='a:0'/><interface_ref client_id='b:0'/>"
		 "<interface_ref client_id='c:0'/>"
		 "<property source_id='a:0' dest_id='b:0' capacity='5000' "
		 "latency='20' packet_loss='0.01'/>"
		 "<property source_id='b:0' dest_id='a:0' capacity='1000' "
		 "latency='10'/>"
		 "<property source_id='a:0' dest_id='c:0' capacity='3000'/>"
		 "</link></rspec>",
		 &request);
	const struct vnet_link *link = &request.links[0];
	assert_int_equal(link->capacity_kbps, 5000);
	assert_true(link->latency_ms == 10);
	assert_true(link->loss == 0.01);
	/* a sends at most max(5000, 3000), receives 1000; b sends 1000 and
	 * receives 5000; c sends nothing bounded (the link's 5000) and
	 * receives 3000. */
	assert_int_equal(link->endpoints[0].send_kbps, 5000);
	assert_int_equal(link->endpoints[0].receive_kbps, 1000);
	assert_int_equal(link->endpoints[1].send_kbps, 1000);
	assert_int_equal(link->endpoints[1].receive_kbps, 5000);
	assert_int_equal(link->endpoints[2].send_kbps, 5000);
	assert_int_equal(link->endpoints[2].receive_kbps, 3000);
	vnet_request_free(&request);
}

static void test_protogeni_v2(void **state)
{
	(void)state;
	char xml[2048];
	snprintf(xml, sizeof(xml), "%s", topology);
	char *at = strstr(xml, V3);
	assert_non_null(at);
	memmove(at + strlen(V2), at + strlen(V3), strlen(at + strlen(V3)) + 1);
	memcpy(at, V2, strlen(V2));
	struct vnet_request request;
	struct vnet_request_error error;
	const char *format = NULL;
	assert_int_equal(vnet_document_parse(xml, strlen(xml), "v2", NOW,
					     &request, &error, &format),
			 0);
	assert_string_equal(format, "geni-rspec-v3");
	assert_int_equal(request.node_count, 3);
	assert_int_equal(request.links[1].endpoint_count, 3);
	vnet_request_free(&request);
}

static void test_extensions_kept(void **state)
{
	(void)state;
	struct vnet_request plain, extended;
	parse_ok("<rspec xmlns='" V3 "' type='request'>"
		 NODE("a", IF("a:0")) NODE("b", IF("b:0"))
		 "<link client_id='l'><interface_ref client_id='a:0'/>"
		 "<interface_ref client_id='b:0'/></link></rspec>",
		 &plain);
	parse_ok("<rspec xmlns='" V3 "' xmlns:x='urn:x' type='request' "
		 "x:root='1'>"
		 "<node client_id='a' x:color='red' flavor='odd'>"
		 "<x:thing><x:deeper/></x:thing>" IF("a:0")
		 "<hardware_type name='pc3000'/></node>"
		 NODE("b", IF("b:0"))
		 "<link client_id='l'><interface_ref client_id='a:0'/>"
		 "<interface_ref client_id='b:0'/><x:qos level='gold'/></link>"
		 "<x:controller url='tcp:1.2.3.4:6633'/></rspec>",
		 &extended);
	json_t *a = vnet_request_to_json(&plain);
	json_t *b = vnet_request_to_json(&extended);
	json_object_del(a, "extensions");
	json_object_del(b, "extensions");
	assert_true(json_equal(a, b));
	json_decref(a);
	json_decref(b);
	assert_int_equal(extended.extension_count, 7);
	const struct vnet_extension *e = extended.extensions;
	assert_true(e[0].attribute);
	assert_string_equal(e[0].name, "root");
	assert_string_equal(e[0].parent, "rspec");
	assert_string_equal(e[1].name, "color");
	assert_string_equal(e[1].parent, "node a");
	assert_string_equal(e[2].name, "flavor"); /* unknown, no namespace */
	assert_string_equal(e[2].namespace_uri, "");
	assert_string_equal(e[3].name, "thing");
	assert_non_null(strstr(e[3].text, "deeper"));
	assert_string_equal(e[4].name, "hardware_type");
	assert_string_equal(e[4].namespace_uri, V3);
	assert_string_equal(e[5].name, "qos");
	assert_string_equal(e[5].parent, "link l");
	assert_string_equal(e[6].name, "controller");
	vnet_request_free(&plain);
	vnet_request_free(&extended);
}

static void test_xen_and_images(void **state)
{
	(void)state;
	struct vnet_request request;
	parse_ok("<rspec xmlns='" V3 "' type='request' "
		 "xmlns:emulab='http://www.protogeni.net/resources/rspec/ext/emulab/1'>"
		 "<node client_id='v'><sliver_type name='emulab-xen'>"
		 "<disk_image name='urn:publicid:IDN+x+image+UBUNTU'/>"
		 "<emulab:xen cores='4' ram='2048' disk='8'/></sliver_type></node>"
		 "<node client_id='d'><sliver_type name='default-vm'/></node>"
		 "<node client_id='h'><sliver_type name='raw-pc'>"
		 "<disk_image name='img'/></sliver_type></node>"
		 "<node client_id='m'><sliver_type name='m1.small'/></node>"
		 "</rspec>",
		 &request);
	assert_int_equal(request.nodes[0].kind, VNET_NODE_VM);
	assert_true(request.nodes[0].cpu == 4);
	assert_int_equal(request.nodes[0].memory_mib, 2048);
	assert_string_equal(request.nodes[0].image,
			    "urn:publicid:IDN+x+image+UBUNTU");
	assert_int_equal(request.nodes[1].kind, VNET_NODE_VM);
	assert_string_equal(request.nodes[1].image, RSPEC_DEFAULT_IMAGE);
	assert_int_equal(request.nodes[2].kind, VNET_NODE_HOST);
	assert_null(request.nodes[2].image);
	assert_int_equal(request.nodes[3].kind, VNET_NODE_VM);
	/* The host's image is kept as an ignored extension; xen is read. */
	assert_int_equal(request.extension_count, 1);
	assert_string_equal(request.extensions[0].name, "disk_image");
	assert_string_equal(request.extensions[0].parent, "sliver_type raw-pc");
	vnet_request_free(&request);
}

static void test_placement(void **state)
{
	struct fixture *f = *state;
	struct vnet_request request;
	parse_ok("<rspec xmlns='" V3 "' type='request'>"
		 "<node client_id='a' component_manager_id="
		 "'urn:publicid:IDN+instageni.illinois.edu+authority+cm' "
		 "component_id='urn:publicid:IDN+instageni.illinois.edu+node+i2'>"
		 IF("a:0") "</node>"
		 "<node client_id='b' component_manager_id="
		 "'urn:publicid:IDN+emulab.net+authority+cm'>" IF("b:0")
		 "</node>"
		 "<link client_id='l'><interface_ref client_id='a:0'/>"
		 "<interface_ref client_id='b:0'/></link></rspec>",
		 &request);
	assert_string_equal(request.nodes[0].placement.site,
			    "instageni.illinois.edu");
	assert_int_equal(request.nodes[0].placement.substrate_node_count, 1);
	assert_string_equal(request.nodes[0].placement.substrate_nodes[0],
			    "i2");
	assert_string_equal(request.nodes[1].placement.site, "emulab.net");
	embed_and_release(f, &request, "placement");
	vnet_request_free(&request);
}

static void test_names_and_lease(void **state)
{
	(void)state;
	struct vnet_request request;
	struct vnet_request_error error;
	const char *xml = "<rspec xmlns='" V3 "' type='request' "
			  "expires='2031-06-30T18:00:00Z'/>";
	assert_int_equal(parse(xml, "dir/My Slice!.rspec", &request, &error),
			 0);
	assert_string_equal(request.name, "My-Slice-");
	assert_true(request.has_lease_end);
	assert_int_equal(request.lease_end, 1940608800);
	vnet_request_free(&request);
	assert_int_equal(parse(xml, "..", &request, &error), 0);
	assert_string_equal(request.name, RSPEC_DEFAULT_NAME);
	vnet_request_free(&request);
	assert_int_equal(parse("<rspec xmlns='" V3 "' xmlns:loom='urn:loom:vnet:1' "
			       "type='request' loom:name='web'/>",
			       "x.xml", &request, &error),
			 0);
	assert_string_equal(request.name, "web");
	assert_int_equal(request.extension_count, 0);
	vnet_request_free(&request);
}

struct refusal {
	const char *xml;
	enum vnet_request_problem problem;
	unsigned line;
	const char *element, *attribute, *reason;
};

#define ROOT "<rspec xmlns='" V3 "' type='request'>\n"
#define PAIR NODE("a", IF("a:0")) "\n" NODE("b", IF("b:0")) "\n"

static const struct refusal refusals[] = {
	{ ROOT PAIR "<link client_id='l'>\n<interface_ref client_id='a:0'/>\n"
	  "<interface_ref client_id='z:9'/></link></rspec>",
	  VNET_REQUEST_UNKNOWN_INTERFACE, 6, "interface_ref", "client_id",
	  "link 'l' names interface 'z:9', which no node has" },
	{ ROOT PAIR NODE("a", "") "</rspec>", VNET_REQUEST_DUPLICATE_ID, 4,
	  "node", "client_id", "duplicate node id 'a' (first at line 2)" },
	{ ROOT NODE("a", IF("x")) "\n" NODE("b", IF("x")) "</rspec>",
	  VNET_REQUEST_DUPLICATE_ID, 3, "interface", "client_id",
	  "duplicate interface id 'x'" },
	{ ROOT PAIR "<link client_id='l'><interface_ref client_id='a:0'/>"
	  "</link></rspec>",
	  VNET_REQUEST_TOO_FEW_ENDPOINTS, 4, "link", "", "has 1 endpoint" },
	{ ROOT NODE("a", IF("a:0") IF("a:1"))
	  "<link client_id='l'><interface_ref client_id='a:0'/>"
	  "<interface_ref client_id='a:1'/></link></rspec>",
	  VNET_REQUEST_SELF_LINK, 2, "interface_ref", "client_id",
	  "joins node 'a' to itself" },
	{ ROOT PAIR "<link client_id='l'><interface_ref client_id='a:0'/>"
	  "<interface_ref client_id='b:0'/>\n<property source_id='a:0' "
	  "dest_id='q'/></link></rspec>",
	  VNET_REQUEST_UNKNOWN_INTERFACE, 5, "property", "dest_id",
	  "not one of the link's interface_refs" },
	{ ROOT PAIR "<link client_id='l'><interface_ref client_id='a:0'/>"
	  "<interface_ref client_id='b:0'/>\n<property source_id='a:0' "
	  "dest_id='b:0' capacity='0'/></link></rspec>",
	  VNET_REQUEST_CAPACITY, 5, "property", "capacity", "kbit/s" },
	{ ROOT "<nod client_id='a'/></rspec>", VNET_REQUEST_SCHEMA, 2, "nod",
	  "", "element 'nod' is not expected in 'rspec'" },
	{ ROOT "<node client_id='a'><note xmlns=''/></node></rspec>",
	  VNET_REQUEST_SCHEMA, 2, "note", "", "has no namespace" },
	{ ROOT "<node client_id='a'><sliver_type name='fpga'/></node></rspec>",
	  VNET_REQUEST_UNSUPPORTED, 2, "sliver_type", "name",
	  "sliver_type 'fpga' is not one Loom knows" },
	{ ROOT PAIR "<link client_id='l'><link_type name='stitched'/>"
	  "</link></rspec>",
	  VNET_REQUEST_UNSUPPORTED, 4, "link_type", "name",
	  "link_type 'stitched'" },
	{ ROOT "<node client_id='a b'/></rspec>", VNET_REQUEST_SCHEMA, 2,
	  "node", "client_id", "not a Loom identifier" },
	{ ROOT "<node/></rspec>", VNET_REQUEST_SCHEMA, 2, "node", "client_id",
	  "missing" },
	{ ROOT "<node client_id='a'><interface client_id='a:0'>\n<ip "
	  "address='10.0.0.1' netmask='255.0.255.0'/></interface></node>"
	  "</rspec>",
	  VNET_REQUEST_ADDRESS, 3, "ip", "netmask", "contiguous" },
	{ ROOT "<node client_id='a'><interface client_id='a:0'>\n<ip "
	  "address='10.0.0.1' type='ipv6'/></interface></node></rspec>",
	  VNET_REQUEST_ADDRESS, 3, "ip", "type", "is an IPv4 address" },
	{ ROOT "<node client_id='a'><interface client_id='a:0' "
	  "mac_address='01:00:5e:00:00:01'/></node></rspec>",
	  VNET_REQUEST_MAC, 2, "interface", "mac_address", "multicast" },
	{ ROOT "<node client_id='a' component_id='pc5'/></rspec>",
	  VNET_REQUEST_PLACEMENT, 2, "node", "component_id",
	  "is not a node URN" },
	{ ROOT "<node client_id='a' exclusive='maybe'/></rspec>",
	  VNET_REQUEST_SCHEMA, 2, "node", "exclusive", "true or false" },
	{ ROOT "<node client_id='a'><sliver_type name='emulab-xen'>"
	  "<xen xmlns='http://www.protogeni.net/resources/rspec/ext/emulab/1' "
	  "cores='0'/></sliver_type></node></rspec>",
	  VNET_REQUEST_CPU, 2, "xen", "cores", "more than 0 cores" },
	{ "<rspec xmlns='" V3 "' type='request' expires='2020-01-01T00:00:00Z'/>",
	  VNET_REQUEST_LEASE, 1, "rspec", "expires", "not in the future" },
	{ "<rspec xmlns='" V3 "'/>", VNET_REQUEST_WRONG_ROOT, 1, "rspec",
	  "type", "without a type" },
	{ "<vnet xmlns='urn:loom:vnet:1' name='x'/>", VNET_REQUEST_WRONG_ROOT,
	  1, "vnet", "", "a Loom VNet request, not a GENI RSpec" },
	{ "<rspec xmlns='http://www.geni.net/resources/rspec/0.1'/>",
	  VNET_REQUEST_WRONG_ROOT, 1, "rspec", "", "a GENI RSpec request is" },
	{ "<!DOCTYPE rspec [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
	  "<rspec xmlns='" V3 "' type='request'/>",
	  VNET_REQUEST_DTD, 1, "", "", "DOCTYPE" },
};

static void test_refusals(void **state)
{
	(void)state;
	for (size_t r = 0; r < sizeof(refusals) / sizeof(refusals[0]); r++) {
		const struct refusal *refusal = &refusals[r];
		struct vnet_request request;
		struct vnet_request_error error;
		char text[700];
		if (parse(refusal->xml, "t.xml", &request, &error) == 0)
			fail_msg("row %zu: accepted", r);
		vnet_request_error_format(&error, text, sizeof(text));
		if (error.problem != refusal->problem ||
		    error.line != refusal->line ||
		    strcmp(error.element, refusal->element) ||
		    strcmp(error.attribute, refusal->attribute) ||
		    !strstr(error.message, refusal->reason))
			fail_msg("row %zu: %s [%s]", r, text,
				 vnet_request_problem_name(error.problem));
		assert_int_equal(request.node_count, 0);
		assert_null(request.nodes);
	}
}

static void test_dispatch(void **state)
{
	(void)state;
	size_t length;
	char *xml = read_text("control/examples/point-to-point.xml", &length);
	struct vnet_request request;
	struct vnet_request_error error;
	const char *format = NULL;
	assert_int_equal(vnet_document_parse(xml, length, "p", NOW, &request,
					     &error, &format),
			 0);
	free(xml);
	assert_string_equal(format, "loom-xml");
	assert_string_equal(request.name, "pair");
	vnet_request_free(&request);
	const char *other = "<network xmlns='urn:other'/>";
	assert_int_equal(vnet_document_parse(other, strlen(other), "o", NOW,
					     &request, &error, &format),
			 -1);
	assert_int_equal(error.problem, VNET_REQUEST_WRONG_ROOT);
	assert_null(format);
	assert_non_null(strstr(error.message, "GENI RSpec v3 request"));
	assert_int_equal(vnet_document_parse("<a", 2, "o", NOW, &request,
					     &error, NULL),
			 -1);
	assert_int_equal(error.problem, VNET_REQUEST_NOT_XML);
}

/* ---- Manifests ----------------------------------------------------------- */

static const char manifest_json[] =
	"{\"id\": 7, \"name\": \"web\", \"state\": \"ready\", "
	"\"lease_end\": 1795000000,"
	" \"nodes\": [{\"id\": \"web\", \"kind\": \"host\", "
	"\"substrate_node\": \"s1\", \"namespace\": \"loom-v7-web\","
	"  \"interfaces\": [{\"id\": \"web:eth0\", \"name\": \"eth0\","
	"   \"mac\": \"02:00:00:00:00:01\", \"addresses\": [\"198.18.1.1/24\","
	"   \"fd00::1/64\"], \"switch_port\": \"v7.I0\", \"link\": \"lan\"}]},"
	"  {\"id\": \"db\", \"kind\": \"vm\", \"substrate_node\": \"s2\","
	"   \"image\": \"debian-12 <&>\", \"interfaces\": [{\"id\": \"db:eth0\","
	"   \"addresses\": [], \"link\": \"lan\"}]}],"
	" \"links\": [{\"id\": \"lan\", \"isolation\": \"any\", "
	"\"capacity_kbps\": 10000, \"mtu\": 1500, \"latency_ms\": 5.0,"
	"  \"hops\": [{\"substrate_link\": \"s1--s2\", \"from\": \"s1\", "
	"\"to\": \"s2\", \"kind\": \"vlan\", \"tag\": 100},"
	"   {\"substrate_link\": \"s2--s3\", \"from\": \"s2\", \"to\": \"s3\","
	"    \"kind\": \"vxlan\", \"tag\": 5001}]}]}";

static int count_elements(const xmlNode *node, const char *name,
			  const char *attribute, const char *value)
{
	int count = 0;
	for (; node; node = node->next) {
		if (node->type == XML_ELEMENT_NODE &&
		    !strcmp((const char *)node->name, name)) {
			xmlChar *text = attribute ?
						xmlGetProp(node,
							   (const xmlChar *)attribute) :
						NULL;
			if (!attribute ||
			    (text && !strcmp((const char *)text, value)))
				count++;
			xmlFree(text);
		}
		count += count_elements(node->children, name, attribute, value);
	}
	return count;
}

static void test_manifest(void **state)
{
	(void)state;
	json_error_t json_error;
	json_t *manifest = json_loads(manifest_json, 0, &json_error);
	assert_non_null(manifest);
	char *text = rspec_manifest(manifest);
	assert_non_null(text);
	xmlDoc *document = xmlReadMemory(text, (int)strlen(text), "manifest",
					 NULL, XML_PARSE_NONET);
	assert_non_null(document);
	const xmlNode *root = xmlDocGetRootElement(document);
	assert_string_equal((const char *)root->name, "rspec");
	assert_string_equal((const char *)root->ns->href, V3);
	assert_int_equal(count_elements(root, "node", "client_id", "web"), 1);
	assert_int_equal(count_elements(root, "node", "client_id", "db"), 1);
	assert_int_equal(count_elements(root, "node", "component_id",
					"urn:publicid:IDN+loom+node+s1"),
			 1);
	assert_int_equal(count_elements(root, "link", "client_id", "lan"), 1);
	assert_int_equal(count_elements(root, "link", "vlantag", "100,5001"), 1);
	assert_int_equal(count_elements(root, "interface_ref", NULL, NULL), 2);
	assert_int_equal(count_elements(root, "property", "capacity", "10000"),
			 2);
	assert_int_equal(count_elements(root, "hop", NULL, NULL), 2);
	assert_int_equal(count_elements(root, "interface", "mac_address",
					"02:00:00:00:00:01"),
			 1);
	assert_int_equal(count_elements(root, "ip", "netmask", "255.255.255.0"),
			 1);
	assert_int_equal(count_elements(root, "disk_image", "name",
					"debian-12 <&>"),
			 1);

	/* Valid against the RSpec v3 manifest schema (local copy: the
	 * includes are files next to it, nothing is fetched). */
	const char *source = getenv("LOOM_SOURCE_DIR");
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/data/rspec/schema/manifest.xsd",
		 source ? source : ".");
	xmlSchemaParserCtxt *parser = xmlSchemaNewParserCtxt(path);
	xmlSchema *schema = xmlSchemaParse(parser);
	assert_non_null(schema);
	xmlSchemaValidCtxt *validator = xmlSchemaNewValidCtxt(schema);
	assert_int_equal(xmlSchemaValidateDoc(validator, document), 0);
	xmlSchemaFreeValidCtxt(validator);
	xmlSchemaFree(schema);
	xmlSchemaFreeParserCtxt(parser);
	xmlFreeDoc(document);

	/* A manifest is refused as a request, with the reason. */
	struct vnet_request request;
	struct vnet_request_error error;
	assert_int_equal(vnet_document_parse(text, strlen(text), "m", NOW,
					     &request, &error, NULL),
			 -1);
	assert_int_equal(error.problem, VNET_REQUEST_WRONG_ROOT);
	assert_non_null(strstr(error.message, "manifest"));
	free(text);
	json_decref(manifest);

	json_t *bad = json_pack("{s:[{s:s}]}", "nodes", "kind", "host");
	assert_null(rspec_manifest(bad));
	json_decref(bad);
	bad = json_pack("{s:s}", "name", "x");
	assert_null(rspec_manifest(bad));
	json_decref(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_samples, setup, teardown),
		cmocka_unit_test(test_sample_values),
		cmocka_unit_test_setup_teardown(test_point_to_point_and_lan,
						setup, teardown),
		cmocka_unit_test(test_properties),
		cmocka_unit_test(test_protogeni_v2),
		cmocka_unit_test(test_extensions_kept),
		cmocka_unit_test(test_xen_and_images),
		cmocka_unit_test_setup_teardown(test_placement, setup,
						teardown),
		cmocka_unit_test(test_names_and_lease),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_manifest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

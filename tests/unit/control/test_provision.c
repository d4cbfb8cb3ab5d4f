/* Unit tests of provisioning (control/provision.c): a 4-node substrate
 * s1 -eth- s2 -eth- s3 -ip- s4 and a 3-node VNet (a on s1, b on s3, c on
 * s4) whose link a-b takes two ethernet hops and b-c one ip hop, embedded
 * by the real embedder and committed for real tags. Checked: the exact
 * BDs, members, VIDs per hop, VNI, attachment ports, policers and VTEPs
 * per node; a second VNet with the same addresses gets disjoint names and
 * tags; the merged desired state of every node loads through the switch's
 * own loader (switch_config_from_json) and does not depend on the order
 * of the parts; refusals (isolation, split flows, duplicates); and
 * vnet_request_to_embed on every example in control/examples/. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control.h"
#include "embed_fixture.h"
#include "switch_config.h"

/* 2025-01-01T00:00:00Z: the examples' leases end after it. */
#define NOW ((time_t)1735689600)

static const char vnet_xml[] =
	"<vnet xmlns='urn:loom:vnet:1' name='trio'>"
	" <node id='a' cpu='1'><placement><substrate-node id='s1'/></placement>"
	"  <interface id='a:eth0'><ip address='10.0.0.1/24'/></interface></node>"
	" <node id='b' cpu='1'><placement><substrate-node id='s3'/></placement>"
	"  <interface id='b:eth0'><ip address='10.0.0.2/24'/></interface>"
	"  <interface id='b:eth1'><ip address='10.0.1.2/24'/></interface></node>"
	" <node id='c' kind='vm' cpu='2' image='debian-12'><placement>"
	"  <substrate-node id='s4'/></placement>"
	"  <interface id='c:eth0'><ip address='10.0.1.3/24'/></interface></node>"
	" <link id='a-b' capacity='100000' ISOLATION>"
	"  <endpoint interface='a:eth0' send='50000'/>"
	"  <endpoint interface='b:eth0'/></link>"
	" <link id='b-c' capacity='20000' mtu='9000' ISOLATION_BC>"
	"  <endpoint interface='b:eth1'/><endpoint interface='c:eth0'/></link>"
	"</vnet>";

static json_t *base_of(const struct substrate *substrate, uint32_t node);

static void add_node(struct substrate *s, const char *id, const char *port0,
		     const char *port1)
{
	struct substrate_node node = { .cpu = 16 };
	snprintf(node.id, sizeof(node.id), "%s", id);
	int index = substrate_add_node(s, &node);
	assert_true(index >= 0);
	assert_true(substrate_add_port(s, (uint32_t)index, port0) >= 0);
	if (port1)
		assert_true(substrate_add_port(s, (uint32_t)index, port1) >= 0);
}

static void add_link(struct substrate *s, const char *id, uint32_t a,
		     const char *port_a, uint32_t b, const char *port_b,
		     enum substrate_link_kind kind, uint32_t first, uint32_t last)
{
	struct substrate_link link = {
		.bandwidth = 1000, .latency = 1, .kind = kind,
		.tags = { first, last },
	};
	snprintf(link.id, sizeof(link.id), "%s", id);
	struct substrate_link_end end_a = { a, port_a }, end_b = { b, port_b };
	assert_true(substrate_add_link(s, &link, end_a, end_b) >= 0);
}

static int setup(void **state)
{
	struct fixture *f = fixture_begin("lab");
	add_node(f->substrate, "s1", "e0", NULL);
	add_node(f->substrate, "s2", "e0", "e1");
	add_node(f->substrate, "s3", "e0", "up");
	add_node(f->substrate, "s4", "up", "e0");
	add_link(f->substrate, "s1-s2", 0, "e0", 1, "e0",
		 SUBSTRATE_LINK_ETHERNET, 100, 199);
	add_link(f->substrate, "s2-s3", 1, "e1", 2, "e0",
		 SUBSTRATE_LINK_ETHERNET, 200, 299);
	add_link(f->substrate, "s3-s4", 2, "up", 3, "up", SUBSTRATE_LINK_IP,
		 5000, 5999);
	return fixture_finish(f, state);
}

/* The VNet document with the isolation attributes filled in. */
static void parse_vnet(const char *isolation_ab, const char *isolation_bc,
		       struct vnet_request *request)
{
	char xml[4096];
	const char *template = vnet_xml;
	char *out = xml;
	const char *p;
	while ((p = strstr(template, "ISOLATION"))) {
		memcpy(out, template, (size_t)(p - template));
		out += p - template;
		bool bc = !strncmp(p, "ISOLATION_BC", 12);
		out += sprintf(out, "isolation='%s'",
			       bc ? isolation_bc : isolation_ab);
		template = p + (bc ? 12 : 9);
	}
	strcpy(out, template);
	struct vnet_request_error error;
	int rc = vnet_request_parse(xml, strlen(xml), "trio", NOW, request,
				    &error);
	if (rc) {
		char text[512];
		vnet_request_error_format(&error, text, sizeof(text));
		fail_msg("%s", text);
	}
}

/* Embeds and commits (so the mapping carries real tags). */
static struct embed_request *embed_vnet(struct fixture *f,
					const struct vnet_request *request,
					struct embed_mapping *mapping)
{
	char err[256] = "";
	struct embed_request *embed_request =
		vnet_request_to_embed(request, f->substrate, err, sizeof(err));
	assert_non_null(embed_request);
	embed_mapping_init(mapping);
	assert_int_equal(embedder_embed(f->embedder, f->residual, embed_request,
					mapping), 0);
	assert_int_equal(embed_residual_commit(f->residual, embed_request,
					       mapping), 0);
	return embed_request;
}

static json_t *load_json(const char *text)
{
	json_error_t error;
	json_t *json = json_loads(text, JSON_REJECT_DUPLICATES, &error);
	if (!json)
		fail_msg("bad expected JSON: %s at %d", error.text, error.column);
	return json;
}

static void assert_json_equal(const json_t *actual, const json_t *expected)
{
	if (!json_equal(actual, expected)) {
		char *a = json_dumps(actual, JSON_SORT_KEYS);
		char *e = json_dumps(expected, JSON_SORT_KEYS);
		print_error("actual:   %s\nexpected: %s\n", a, e);
		free(a);
		free(e);
		fail();
	}
}

static const char *devargs_of(const char *vnet, const char *node,
			      const char *interface, uint32_t index,
			      enum vnet_node_kind kind, char *buf, size_t size)
{
	struct provision_attachment names;
	assert_int_equal(provision_attachment(vnet, node, interface, index,
					      kind, NULL, &names), 0);
	snprintf(buf, size, "%s", names.devargs);
	return buf;
}

static void compile_trio(struct fixture *f, const char *vnet_id,
			 struct vnet_request *request,
			 struct embed_request **embed_request,
			 struct embed_mapping *mapping,
			 struct provision_plan *plan)
{
	parse_vnet("any", "any", request);
	*embed_request = embed_vnet(f, request, mapping);
	char err[256] = "";
	int rc = provision_compile(f->substrate, request, mapping, NULL,
				   vnet_id, NULL, plan, err, sizeof(err));
	if (rc)
		fail_msg("compile: %s", err);
	assert_int_equal(plan->node_count, 4);
}

static void release(struct fixture *f, struct vnet_request *request,
		    struct embed_request *embed_request,
		    struct embed_mapping *mapping, struct provision_plan *plan)
{
	embed_residual_release(f->residual, embed_request, mapping);
	embed_mapping_free(mapping);
	embed_request_free(embed_request);
	provision_plan_free(plan);
	vnet_request_free(request);
}

/* The exact part of every node: VIDs 100 then 200 on the two ethernet
 * hops of a-b (translated at s2), VNI 5000 on the ip hop of b-c, the
 * attachments with their policers, the VTEPs by the convention with the
 * underlay MTU b-c needs (9000 + 50). */
static void test_compile_exact(void **state)
{
	struct fixture *f = *state;
	struct vnet_request request;
	struct embed_request *embed_request;
	struct embed_mapping mapping;
	struct provision_plan plan;
	compile_trio(f, "t1", &request, &embed_request, &mapping, &plan);
	char a0[160], b0[160], b1[160], c0[160];
	devargs_of("t1", "a", "a:eth0", 0, VNET_NODE_HOST, a0, sizeof(a0));
	devargs_of("t1", "b", "b:eth0", 1, VNET_NODE_HOST, b0, sizeof(b0));
	devargs_of("t1", "b", "b:eth1", 2, VNET_NODE_HOST, b1, sizeof(b1));
	devargs_of("t1", "c", "c:eth0", 3, VNET_NODE_VM, c0, sizeof(c0));
	assert_non_null(strstr(c0, "net_vhost_lv"));
	assert_non_null(strstr(c0, ",iface=/run/loom/vhost/t1."));
	assert_non_null(strstr(a0, "net_af_packet_lv"));

	/* a-b: a sends 50 Mbit/s, receives 100; burst 10 ms of each. b-c:
	 * 20 Mbit/s, MTU 9000: burst 25000 bytes (over 2 x 9018). */
	const char *policer_a =
		"{\"in\": {\"rate\": 50000000, \"burst\": 62500},"
		" \"out\": {\"rate\": 100000000, \"burst\": 125000}}";
	const char *policer_b =
		"{\"in\": {\"rate\": 100000000, \"burst\": 125000},"
		" \"out\": {\"rate\": 100000000, \"burst\": 125000}}";
	const char *policer_bc =
		"{\"in\": {\"rate\": 20000000, \"burst\": 25000},"
		" \"out\": {\"rate\": 20000000, \"burst\": 25000}}";
	char expected[4][2048];
	snprintf(expected[0], sizeof(expected[0]),
		 "{\"ports\": [{\"name\": \"t1.I0\", \"devargs\": \"%s\", "
		 "\"admin\": \"up\"}],"
		 " \"bridge_domains\": [{\"name\": \"t1.L0\", \"learning\": true,"
		 "  \"members\": [{\"port\": \"e0\", \"vid\": 100},"
		 "   {\"port\": \"t1.I0\", \"vid\": 0, \"policer\": %s}]}]}",
		 a0, policer_a);
	snprintf(expected[1], sizeof(expected[1]),
		 "{\"ports\": [],"
		 " \"bridge_domains\": [{\"name\": \"t1.L0\", \"learning\": true,"
		 "  \"members\": [{\"port\": \"e0\", \"vid\": 100},"
		 "   {\"port\": \"e1\", \"vid\": 200}]}]}");
	snprintf(expected[2], sizeof(expected[2]),
		 "{\"ports\": [{\"name\": \"t1.I1\", \"devargs\": \"%s\", "
		 "\"admin\": \"up\"}, {\"name\": \"t1.I2\", \"devargs\": \"%s\", "
		 "\"admin\": \"up\"}],"
		 " \"bridge_domains\": [{\"name\": \"t1.L0\", \"learning\": true,"
		 "  \"members\": [{\"port\": \"e0\", \"vid\": 200},"
		 "   {\"port\": \"t1.I1\", \"vid\": 0, \"policer\": %s}]},"
		 "  {\"name\": \"t1.L1\", \"learning\": true,"
		 "  \"members\": [{\"port\": \"t1.I2\", \"vid\": 0, \"policer\": %s},"
		 "   {\"tunnel\": \"198.18.0.4\", \"vni\": 5000}]}],"
		 " \"vtep\": {\"port\": \"up\", \"address\": \"198.18.0.3/15\","
		 "  \"mtu\": 9050, \"owner\": \"loom-inp\"}}",
		 b0, b1, policer_b, policer_bc);
	snprintf(expected[3], sizeof(expected[3]),
		 "{\"ports\": [{\"name\": \"t1.I3\", \"devargs\": \"%s\", "
		 "\"admin\": \"up\"}],"
		 " \"bridge_domains\": [{\"name\": \"t1.L1\", \"learning\": true,"
		 "  \"members\": [{\"port\": \"t1.I3\", \"vid\": 0, \"policer\": %s},"
		 "   {\"tunnel\": \"198.18.0.3\", \"vni\": 5000}]}],"
		 " \"vtep\": {\"port\": \"up\", \"address\": \"198.18.0.4/15\","
		 "  \"mtu\": 9050, \"owner\": \"loom-inp\"}}",
		 c0, policer_bc);
	for (uint32_t n = 0; n < 4; n++) {
		assert_int_equal(plan.nodes[n].node, n);
		json_t *want = load_json(expected[n]);
		assert_json_equal(provision_plan_part(&plan, n), want);
		json_decref(want);
	}
	release(f, &request, embed_request, &mapping, &plan);
	assert_true(embed_residual_is_full(f->residual));
}

/* A LAN of three hosts on s1, s3 and s4: one tree over the whole chain.
 * Each node's BD has one member per tree link there plus its attachment;
 * s2 only bridges. The merged state loads. */
static void test_lan_tree(void **state)
{
	struct fixture *f = *state;
	static const char xml[] =
		"<vnet xmlns='urn:loom:vnet:1' name='lan'>"
		" <node id='x' cpu='1'><placement><substrate-node id='s1'/>"
		"  </placement><interface id='x:0'/></node>"
		" <node id='y' cpu='1'><placement><substrate-node id='s3'/>"
		"  </placement><interface id='y:0'/></node>"
		" <node id='z' cpu='1'><placement><substrate-node id='s4'/>"
		"  </placement><interface id='z:0'/></node>"
		" <link id='lan' capacity='10'><endpoint interface='x:0'/>"
		"  <endpoint interface='y:0'/><endpoint interface='z:0'/></link>"
		"</vnet>";
	struct vnet_request request;
	struct vnet_request_error error;
	assert_int_equal(vnet_request_parse(xml, strlen(xml), "lan", NOW,
					    &request, &error), 0);
	struct embed_mapping mapping;
	struct embed_request *embed_request = embed_vnet(f, &request, &mapping);
	assert_int_equal(mapping.flow_count, 1);
	assert_true(mapping.flows[0].tree);
	struct provision_plan plan;
	char err[256] = "";
	int rc = provision_compile(f->substrate, &request, &mapping, NULL, "lan1",
				   NULL, &plan, err, sizeof(err));
	if (rc)
		fail_msg("compile: %s", err);
	assert_int_equal(plan.node_count, 4);
	const size_t members[4] = { 2, 2, 3, 2 };
	for (uint32_t n = 0; n < 4; n++) {
		json_t *part = provision_plan_part(&plan, n);
		json_t *bds = json_object_get(part, "bridge_domains");
		assert_int_equal(json_array_size(bds), 1);
		json_t *bd = json_array_get(bds, 0);
		assert_string_equal(json_string_value(json_object_get(bd, "name")),
				    "lan1.L0");
		assert_int_equal(json_array_size(json_object_get(bd, "members")),
				 members[n]);
		/* 10 kbit/s is policed at the meter's floor, 64 kbit/s. */
		if (n != 1) {
			json_t *ports = json_object_get(part, "ports");
			assert_int_equal(json_array_size(ports), 1);
			json_t *member = json_array_get(json_object_get(bd, "members"), 0);
			if (!json_object_get(member, "policer"))
				member = json_array_get(json_object_get(bd, "members"), 1);
			assert_int_equal(json_integer_value(json_object_get(json_object_get(
						 json_object_get(member, "policer"), "in"), "rate")),
					 64000);
		}
		json_t *base = base_of(f->substrate, n);
		const json_t *parts[1] = { part };
		json_t *merged = provision_merge(base, parts, 1, err, sizeof(err));
		assert_non_null(merged);
		struct switch_config config;
		struct load_error load;
		switch_config_init(&config);
		if (switch_config_from_json(&config, NULL, merged, &load)) {
			char text[1024];
			load_error_format(&load, text, sizeof(text));
			fail_msg("node %u: %s", n, text);
		}
		assert_int_equal(config.bds[0].n_members, members[n]);
		switch_config_free(&config);
		json_decref(merged);
		json_decref(base);
	}
	provision_plan_free(&plan);
	embed_residual_release(f->residual, embed_request, &mapping);
	embed_mapping_free(&mapping);
	embed_request_free(embed_request);
	vnet_request_free(&request);
	assert_true(embed_residual_is_full(f->residual));
}

/* Names and Linux limits of the attachment names; distinct inputs give
 * distinct names. */
static void test_attachment_names(void **state)
{
	(void)state;
	struct provision_attachment one, two, three;
	assert_int_equal(provision_attachment("t1", "b", "b:eth0", 1,
					      VNET_NODE_HOST, NULL, &one), 0);
	assert_string_equal(one.port, "t1.I1");
	assert_int_equal(strlen(one.veth), 15);
	assert_int_equal(strlen(one.peer), 15);
	assert_memory_equal(one.veth, "lv", 2);
	assert_memory_equal(one.peer, "lp", 2);
	assert_string_equal(one.veth + 2, one.peer + 2);
	assert_int_equal(provision_attachment("t2", "b", "b:eth0", 1,
					      VNET_NODE_HOST, NULL, &two), 0);
	assert_string_not_equal(one.veth, two.veth);
	assert_string_not_equal(one.port, two.port);
	/* The separator matters: ("ab", "c") is not ("a", "bc"). */
	assert_int_equal(provision_attachment("t1", "ab", "c", 0,
					      VNET_NODE_VM, "/x", &two), 0);
	assert_int_equal(provision_attachment("t1", "a", "bc", 0,
					      VNET_NODE_VM, "/x", &three), 0);
	assert_string_not_equal(two.veth, three.veth);
	char socket[400];
	snprintf(socket, sizeof(socket), "/x/t1.%s.sock", two.veth + 2);
	assert_string_equal(two.vhost_socket, socket);
	assert_int_equal(provision_attachment("bad id", "a", "b", 0,
					      VNET_NODE_HOST, NULL, &one),
			 -EINVAL);
	assert_int_equal(provision_attachment("t1:x", "a", "b", 0,
					      VNET_NODE_HOST, NULL, &one),
			 -EINVAL);
	char directory[120];
	memset(directory, 'd', sizeof(directory) - 1);
	directory[sizeof(directory) - 1] = '\0';
	assert_int_equal(provision_attachment("t1", "a", "b", 0, VNET_NODE_VM,
					      directory, &one),
			 -ENAMETOOLONG);
	/* Bursts: 10 ms at the rate, at least two full frames. */
	assert_int_equal(provision_burst_bytes(64000, 1500), 3036);
	assert_int_equal(provision_burst_bytes(8000000000ull, 1500), 10000000);
	assert_int_equal(provision_burst_bytes(100000000000ull, 1500),
			 125000000);
}

/* Collects "port/vid" and "tunnel/vni" member keys of every BD of a
 * part, and checks every name starts with the VNet's prefix. */
static void check_prefix(const json_t *part, const char *prefix)
{
	const char *keys[] = { "ports", "bridge_domains" };
	for (int k = 0; k < 2; k++) {
		json_t *list = json_object_get(part, keys[k]);
		for (size_t i = 0; i < json_array_size(list); i++) {
			const char *name = json_string_value(
				json_object_get(json_array_get(list, i), "name"));
			assert_non_null(name);
			assert_memory_equal(name, prefix, strlen(prefix));
		}
	}
}

static json_t *base_of(const struct substrate *substrate, uint32_t node)
{
	json_t *ports = json_array();
	const struct substrate_node *n = &substrate->nodes[node];
	for (uint32_t p = 0; p < n->port_count; p++) {
		char devargs[64];
		snprintf(devargs, sizeof(devargs), "net_null_%s", n->ports[p].name);
		json_array_append_new(ports,
				      json_pack("{s:s, s:s}", "name",
						n->ports[p].name, "devargs",
						devargs));
	}
	return json_pack("{s:o}", "ports", ports);
}

/* The merged VTEP's MTU of s3, whose part (`part`) asks 9050: a base
 * VTEP without an MTU gets the largest the parts ask, one with an MTU
 * keeps it; without a base VTEP, the largest of the parts' (which must
 * agree on port and address). */
static json_int_t merged_vtep_mtu(const char *base_text, const json_t *a,
				  const json_t *b)
{
	json_t *base = load_json(base_text);
	const json_t *parts[2] = { a, b };
	char err[256] = "";
	json_t *merged = provision_merge(base, parts, b ? 2 : 1, err,
					 sizeof(err));
	if (!merged)
		fail_msg("merge: %s", err);
	json_int_t mtu = json_integer_value(
		json_object_get(json_object_get(merged, "vtep"), "mtu"));
	json_decref(merged);
	json_decref(base);
	return mtu;
}

static void vtep_mtu_merge(const json_t *part)
{
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(part, "vtep"), "mtu")),
			 9050);
	json_t *small = load_json("{\"vtep\": {\"port\": \"up\", \"address\": "
				  "\"198.18.0.3/15\", \"mtu\": 1550}}");
	const char *bare = "{\"ports\": [{\"name\": \"up\", \"devargs\": "
			   "\"net_null1\"}]}";
	assert_int_equal(merged_vtep_mtu(bare, small, NULL), 1550);
	assert_int_equal(merged_vtep_mtu(bare, small, part), 9050);
	assert_int_equal(merged_vtep_mtu(bare, part, small), 9050);
	assert_int_equal(merged_vtep_mtu("{\"vtep\": {\"port\": \"up\", "
					 "\"address\": \"198.18.0.3/15\"}}",
					 small, part),
			 9050);
	assert_int_equal(merged_vtep_mtu("{\"vtep\": {\"port\": \"up\", "
					 "\"address\": \"198.18.0.3/15\", "
					 "\"mtu\": 1600}}",
					 small, part),
			 1600);
	/* What the merged VTEP falls short of: nothing when the parts set
	 * it, 9050 under a base of 1600 (or without an MTU: 1500). */
	const json_t *both[2] = { small, part };
	json_t *base_1600 = load_json("{\"vtep\": {\"port\": \"up\", "
				      "\"address\": \"198.18.0.3/15\", "
				      "\"mtu\": 1600}}");
	json_t *merged = provision_merge(base_1600, both, 2, NULL, 0);
	assert_non_null(merged);
	assert_int_equal(provision_vtep_mtu_shortfall(merged, both, 2), 9050);
	assert_int_equal(provision_vtep_mtu_shortfall(merged, both, 1), 0);
	json_object_del(json_object_get(merged, "vtep"), "mtu");
	assert_int_equal(provision_vtep_mtu_shortfall(merged, both, 1), 1550);
	json_decref(merged);
	json_t *bare_base = load_json(bare);
	merged = provision_merge(bare_base, both, 2, NULL, 0);
	assert_non_null(merged);
	assert_int_equal(provision_vtep_mtu_shortfall(merged, both, 2), 0);
	json_decref(merged);
	assert_int_equal(provision_vtep_mtu_shortfall(bare_base, both, 2), 0);
	json_decref(bare_base);
	json_decref(base_1600);
	json_t *elsewhere = load_json("{\"vtep\": {\"port\": \"up\", "
				      "\"address\": \"198.18.0.9/15\", "
				      "\"mtu\": 1550}}");
	const json_t *disagree[2] = { part, elsewhere };
	json_t *base = load_json(bare);
	char err[256] = "";
	assert_null(provision_merge(base, disagree, 2, err, sizeof(err)));
	assert_non_null(strstr(err, "two parts want different VTEPs"));
	json_decref(base);
	json_decref(elsewhere);
	json_decref(small);
}

/* Two VNets from the same document (same addresses): disjoint names and
 * tags; every node's merged state loads in the switch's own loader, with
 * the BDs and members of both; the merge ignores the parts' order and
 * refuses a part given twice. */
static void test_two_vnets_merge(void **state)
{
	struct fixture *f = *state;
	struct vnet_request request[2];
	struct embed_request *embed_request[2];
	struct embed_mapping mapping[2];
	struct provision_plan plan[2];
	compile_trio(f, "t1", &request[0], &embed_request[0], &mapping[0],
		     &plan[0]);
	compile_trio(f, "t2", &request[1], &embed_request[1], &mapping[1],
		     &plan[1]);
	assert_int_equal(mapping[0].hop_count, mapping[1].hop_count);
	for (uint32_t h = 0; h < mapping[0].hop_count; h++) {
		assert_int_equal(mapping[0].links[h], mapping[1].links[h]);
		assert_int_not_equal(mapping[0].tags[h], mapping[1].tags[h]);
	}
	for (uint32_t n = 0; n < 4; n++) {
		check_prefix(provision_plan_part(&plan[0], n), "t1.");
		check_prefix(provision_plan_part(&plan[1], n), "t2.");
		json_t *base = base_of(f->substrate, n);
		const json_t *parts[2] = { provision_plan_part(&plan[0], n),
					   provision_plan_part(&plan[1], n) };
		const json_t *reversed[2] = { parts[1], parts[0] };
		char err[256] = "";
		json_t *merged = provision_merge(base, parts, 2, err, sizeof(err));
		if (!merged)
			fail_msg("merge: %s", err);
		json_t *merged_reversed =
			provision_merge(base, reversed, 2, err, sizeof(err));
		assert_non_null(merged_reversed);
		assert_json_equal(merged, merged_reversed);
		json_decref(merged_reversed);
		/* The base is left as it was. */
		json_t *fresh = base_of(f->substrate, n);
		assert_json_equal(base, fresh);
		json_decref(fresh);

		struct switch_config config;
		struct load_error error;
		switch_config_init(&config);
		if (switch_config_from_json(&config, NULL, merged, &error)) {
			char text[1024];
			load_error_format(&error, text, sizeof(text));
			char *dump = json_dumps(merged, 0);
			fail_msg("node %u: %s\n%s", n, text, dump);
		}
		size_t want_bds =
			json_array_size(json_object_get(parts[0], "bridge_domains")) * 2;
		assert_int_equal(config.n_bds, want_bds);
		assert_int_equal(config.n_ports,
				 f->substrate->nodes[n].port_count +
					 2 * json_array_size(json_object_get(parts[0], "ports")));
		size_t members = 0;
		for (size_t b = 0; b < config.n_bds; b++)
			members += config.bds[b].n_members;
		assert_int_equal(members, n == 0 || n == 1 || n == 3 ? 4 : 8);
		assert_int_equal(config.vtep.configured, n >= 2);
		/* The switch keeps the VTEP's owner and shows it: the base
		 * read back from it has no VTEP (the base had none). */
		if (n >= 2)
			assert_string_equal(config.vtep.owner,
					    PROVISION_VTEP_OWNER);
		json_t *shown = switch_config_to_json(&config);
		json_t *own = provision_base_from_switch(shown);
		assert_int_equal(json_object_get(shown, "vtep") != NULL, n >= 2);
		assert_null(json_object_get(own, "vtep"));
		json_decref(own);
		json_decref(shown);
		/* t1's BD of a-b on s2 translates 100 <-> 200, t2's 101 <->
		 * 201. */
		if (n == 1) {
			const struct bd_config *bd = switch_config_bd(&config, "t2.L0");
			assert_non_null(bd);
			assert_int_equal(bd->members[0].vid, 101);
			assert_int_equal(bd->members[1].vid, 201);
		}
		if (n == 3) {
			const struct bd_config *bd = switch_config_bd(&config, "t2.L1");
			assert_non_null(bd);
			assert_int_equal(bd->members[1].vni, 5001);
			assert_int_equal(bd->members[1].tunnel, 0xc6120003u);
			assert_true(bd->members[0].policer[0].enabled);
			assert_int_equal(bd->members[0].policer[0].rate_bps,
					 20000000);
		}
		switch_config_free(&config);

		/* The same part twice: names clash. */
		const json_t *twice[2] = { parts[0], parts[0] };
		json_t *bad = provision_merge(base, twice, 2, err, sizeof(err));
		assert_null(bad);
		assert_non_null(strstr(err, "two parts"));
		json_decref(merged);
		json_decref(base);
	}
	/* A base with its own VTEP elsewhere than the parts want. */
	json_t *base = load_json("{\"ports\": [{\"name\": \"e0\", \"devargs\": "
				 "\"net_null0\"}, {\"name\": \"up\", \"devargs\": "
				 "\"net_null1\"}], \"vtep\": {\"port\": \"up\", "
				 "\"address\": \"10.9.9.9/24\"}}");
	const json_t *parts[1] = { provision_plan_part(&plan[0], 2) };
	char err[256] = "";
	assert_null(provision_merge(base, parts, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "address"));
	json_decref(base);
	vtep_mtu_merge(provision_plan_part(&plan[0], 2));
	for (int v = 1; v >= 0; v--)
		release(f, &request[v], embed_request[v], &mapping[v], &plan[v]);
	assert_true(embed_residual_is_full(f->residual));
}

/* The switch's own configuration from a show-config: Loom's ports, BDs
 * (by their "v<digits>." names) and a VTEP provisioning set up are left
 * out; the rest, and a VTEP of anyone else, stay; the show-config itself
 * is not changed. */
static void test_base_from_switch(void **state)
{
	(void)state;
	const char *text =
		"{\"ports\": [{\"name\": \"e0\"}, {\"name\": \"v12.I0\"},"
		"  {\"name\": \"v1x.I0\"}, {\"name\": \"v.I0\"}],"
		" \"bridge_domains\": [{\"name\": \"mine\"}, {\"name\": \"v3.L0\"}],"
		" \"vtep\": {\"port\": \"up\", \"address\": \"198.18.0.3/15\","
		"  \"mtu\": 1550, \"owner\": \"loom-inp\"}}";
	json_t *shown = load_json(text);
	json_t *base = provision_base_from_switch(shown);
	json_t *want = load_json(
		"{\"ports\": [{\"name\": \"e0\"}, {\"name\": \"v1x.I0\"},"
		"  {\"name\": \"v.I0\"}],"
		" \"bridge_domains\": [{\"name\": \"mine\"}]}");
	assert_json_equal(base, want);
	json_t *unchanged = load_json(text);
	assert_json_equal(shown, unchanged);
	json_decref(unchanged);
	json_decref(base);
	/* The operator's VTEP (another owner, or none) is the switch's own. */
	json_t *vtep = json_object_get(shown, "vtep");
	json_object_set_new(vtep, "owner", json_string("ops"));
	base = provision_base_from_switch(shown);
	assert_json_equal(json_object_get(base, "vtep"), vtep);
	json_decref(base);
	json_object_del(vtep, "owner");
	base = provision_base_from_switch(shown);
	assert_json_equal(json_object_get(base, "vtep"), vtep);
	json_decref(base);
	json_decref(want);
	json_decref(shown);
}

/* Refusals: an isolation the hop breaks, a link split over two flows, a
 * tag outside the link's range, a bad VNet id. */
static void test_refusals(void **state)
{
	struct fixture *f = *state;
	struct vnet_request request;
	parse_vnet("vlan", "vlan", &request);
	struct embed_mapping mapping;
	struct embed_request *embed_request = embed_vnet(f, &request, &mapping);
	struct provision_plan plan;
	char err[256] = "";
	assert_int_equal(provision_compile(f->substrate, &request, &mapping,
					   NULL, "t1", NULL, &plan, err,
					   sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "isolation vlan"));
	assert_int_equal(plan.node_count, 0);
	assert_int_equal(provision_compile(f->substrate, &request, &mapping,
					   NULL, "", NULL, &plan, err,
					   sizeof(err)),
			 -EINVAL);
	/* Tags of the caller's own: one outside s1-s2's 100-199. */
	uint32_t *tags = calloc(mapping.hop_count, sizeof(*tags));
	assert_non_null(tags);
	memcpy(tags, mapping.tags, mapping.hop_count * sizeof(*tags));
	tags[0] = 4000;
	assert_int_equal(provision_compile(f->substrate, &request, &mapping,
					   tags, "t1", NULL, &plan, err,
					   sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "outside"));
	free(tags);
	embed_residual_release(f->residual, embed_request, &mapping);
	vnet_request_free(&request);

	/* Split: link a-b carried by two flows. */
	parse_vnet("any", "any", &request);
	struct embed_mapping split;
	embed_mapping_init(&split);
	assert_int_equal(embed_mapping_reset(&split, 3), 0);
	split.nodes[0] = 0;
	split.nodes[1] = 2;
	split.nodes[2] = 3;
	uint32_t path[2] = { 0, 1 }, ip[1] = { 2 };
	embed_amount half = 50 * EMBED_AMOUNT_SCALE;
	assert_int_equal(embed_mapping_add_flow(&split, 0, false, half, path, 2), 0);
	assert_int_equal(embed_mapping_add_flow(&split, 0, false, half, path, 2), 0);
	assert_int_equal(embed_mapping_add_flow(&split, 1, false, 2 * half, ip, 1), 0);
	uint32_t split_tags[5] = { 100, 200, 101, 201, 5000 };
	assert_int_equal(provision_compile(f->substrate, &request, &split,
					   split_tags, "t1", NULL, &plan, err,
					   sizeof(err)),
			 -ENOTSUP);
	assert_non_null(strstr(err, "split"));
	/* The same mapping without the second flow compiles. */
	split.flows[1] = split.flows[2];
	split.flow_count = 2;
	uint32_t tags_ok[5] = { 100, 200, 0, 0, 5000 };
	assert_int_equal(provision_compile(f->substrate, &request, &split,
					   tags_ok, "t1", NULL, &plan, err,
					   sizeof(err)),
			 0);
	provision_plan_free(&plan);
	embed_mapping_free(&split);
	embed_mapping_free(&mapping);
	embed_request_free(embed_request);
	vnet_request_free(&request);
	assert_true(embed_residual_is_full(f->residual));
}

/* Every example converts with the documented mapping: same nodes and
 * links in order, CPU in millionths, bandwidth the largest send or
 * receive in Mbit/s millionths, endpoints the interfaces' nodes,
 * placement resolved. */
static void test_to_embed_examples(void **state)
{
	struct fixture *f = *state;
	const char *examples[] = { "point-to-point.xml", "lan-with-vms.xml",
				   "placement.xml", "extensions.xml" };
	for (size_t x = 0; x < sizeof(examples) / sizeof(*examples); x++) {
		char relative[256];
		snprintf(relative, sizeof(relative), "control/examples/%s",
			 examples[x]);
		size_t length;
		char *xml = read_text(relative, &length);
		struct vnet_request request;
		struct vnet_request_error error;
		assert_int_equal(vnet_request_parse(xml, length, examples[x], NOW,
						    &request, &error), 0);
		free(xml);
		char err[256] = "";
		struct embed_request *out =
			vnet_request_to_embed(&request, f->substrate, err,
					      sizeof(err));
		if (!out)
			fail_msg("%s: %s", examples[x], err);
		assert_string_equal(out->name, request.name);
		assert_int_equal(out->node_count, request.node_count);
		assert_int_equal(out->link_count, request.link_count);
		for (uint32_t v = 0; v < request.node_count; v++) {
			const struct vnet_node *vnode = &request.nodes[v];
			assert_string_equal(out->nodes[v].id, vnode->id);
			assert_int_equal(out->nodes[v].cpu,
					 (embed_amount)(vnode->cpu * 1e6 + 0.5));
			const struct vnet_placement *p = &vnode->placement;
			assert_int_equal(out->nodes[v].allowed_count,
					 p->substrate_node_count);
			for (uint32_t i = 0; i < p->substrate_node_count; i++)
				assert_string_equal(
					f->substrate->nodes[out->nodes[v].allowed[i]].id,
					p->substrate_nodes[i]);
			assert_string_equal(out->nodes[v].site,
					    p->site ? p->site : "");
			assert_int_equal(out->nodes[v].has_position, p->has_near);
		}
		for (uint32_t l = 0; l < request.link_count; l++) {
			const struct vnet_link *vlink = &request.links[l];
			const struct embed_virtual_link *link = &out->links[l];
			assert_string_equal(link->id, vlink->id);
			assert_int_equal(link->endpoint_count, vlink->endpoint_count);
			uint64_t kbps = 0;
			for (uint32_t e = 0; e < vlink->endpoint_count; e++) {
				const struct vnet_endpoint *ep = &vlink->endpoints[e];
				assert_int_equal(link->endpoints[e],
						 request.interfaces[ep->interface].node);
				kbps = ep->send_kbps > kbps ? ep->send_kbps : kbps;
				kbps = ep->receive_kbps > kbps ? ep->receive_kbps : kbps;
			}
			assert_true(kbps > 0);
			assert_int_equal(link->bandwidth, (embed_amount)kbps * 1000);
			assert_true(link->max_latency == vlink->latency_ms);
		}
		embed_request_free(out);
		/* Without a substrate, named substrate nodes cannot resolve. */
		bool named = false;
		for (uint32_t v = 0; v < request.node_count; v++)
			named |= request.nodes[v].placement.substrate_node_count > 0;
		out = vnet_request_to_embed(&request, NULL, err, sizeof(err));
		assert_true(named ? out == NULL : out != NULL);
		embed_request_free(out);
		vnet_request_free(&request);
	}
	/* An unknown substrate node id is refused with its name. */
	static const char unknown[] =
		"<vnet xmlns='urn:loom:vnet:1' name='u'><node id='a' cpu='1'>"
		"<placement><substrate-node id='s9'/></placement></node></vnet>";
	struct vnet_request request;
	struct vnet_request_error error;
	assert_int_equal(vnet_request_parse(unknown, strlen(unknown), "u", NOW,
					    &request, &error), 0);
	char err[256] = "";
	assert_null(vnet_request_to_embed(&request, f->substrate, err,
					  sizeof(err)));
	assert_non_null(strstr(err, "'s9'"));
	vnet_request_free(&request);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_compile_exact, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_attachment_names, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lan_tree, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_two_vnets_merge, setup,
						teardown),
		cmocka_unit_test(test_base_from_switch),
		cmocka_unit_test_setup_teardown(test_refusals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_to_embed_examples, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* VXLAN golden test: the underlay's ARP, through a real loom-switch.
 *
 * The VTEP (198.18.100.1, 02:00:00:00:01:01 on p0) must:
 *  - answer a request for its address with a correct reply on the
 *    underlay port (to the asker's MAC, sender our MAC and address, target
 *    the asker; same length as the request: padding kept), also to an
 *    address probe (sender 0.0.0.0, RFC 5227);
 *  - resolve remote VTEPs that have no static neighbour: it sends
 *    requests (checked byte for byte; remote 6 never answers, so there
 *    is at least one, and its tunnel stays unresolved: vxlan_unresolved),
 *    learns remote 7's reply, `vtep-show` then reports
 *    the neighbour reachable and the tunnel resolved, and frames flooded
 *    afterwards go to that VTEP's MAC;
 *  - never let ARP overwrite a static neighbour, nor create entries for
 *    addresses it did not ask for (neither from replies nor requests);
 *  - count the rest: requests for other addresses (arp_not_for_us),
 *    another host using our address (arp_address_conflict), malformed ARP
 *    (arp_invalid), ARP in another underlay VLAN (vxlan_not_for_us).
 */
#include "vxlan_golden.h"

#include <time.h>

enum { A = 1 };

struct arp_spec {
	uint8_t dst[6];      /* Ethernet destination */
	uint8_t sender_mac[6];
	uint16_t hardware;   /* 1 */
	uint16_t operation;
	uint32_t sender, target;
	uint8_t target_mac[6];
	uint16_t length;     /* frame length (42 bare, 60 padded) */
};

static struct frame arp_build(const struct arp_spec *a)
{
	struct frame f;
	memset(&f, 0, sizeof(f));
	uint8_t *p = f.data;
	memcpy(p, a->dst, 6);
	memcpy(p + 6, a->sender_mac, 6);
	vxg_put16(p + 12, 0x0806);
	vxg_put16(p + 14, a->hardware ? a->hardware : 1);
	vxg_put16(p + 16, 0x0800);
	p[18] = 6;
	p[19] = 4;
	vxg_put16(p + 20, a->operation);
	memcpy(p + 22, a->sender_mac, 6);
	vxg_put32(p + 28, a->sender);
	memcpy(p + 32, a->target_mac, 6);
	vxg_put32(p + 38, a->target);
	f.length = a->length ? a->length : 60;
	return f;
}

/* A request from remote n (its MAC, its address) for `target`. */
static struct arp_spec request_from(unsigned n, uint32_t target)
{
	struct arp_spec a;
	memset(&a, 0, sizeof(a));
	memcpy(a.dst, vxg_broadcast, 6);
	vxg_remote_mac(a.sender_mac, n);
	a.operation = 1;
	a.sender = vxg_remote_address(n);
	a.target = target;
	return a;
}

/* Remote n's reply to us (MAC `mac_id` instead of its own when non-zero). */
static struct frame reply_from(unsigned n, unsigned mac_id)
{
	struct arp_spec a;
	memset(&a, 0, sizeof(a));
	memcpy(a.dst, vxg_vtep_mac, 6);
	vxg_remote_mac(a.sender_mac, mac_id ? mac_id : n);
	a.operation = 2;
	a.sender = vxg_remote_address(n);
	memcpy(a.target_mac, vxg_vtep_mac, 6);
	a.target = VXG_VTEP_ADDRESS;
	return arp_build(&a);
}

/* Our reply to the request `a`, written here from RFC 826. */
static struct frame our_reply(const struct arp_spec *request)
{
	struct arp_spec a;
	memset(&a, 0, sizeof(a));
	memcpy(a.dst, request->sender_mac, 6);
	memcpy(a.sender_mac, vxg_vtep_mac, 6);
	a.operation = 2;
	a.sender = VXG_VTEP_ADDRESS;
	memcpy(a.target_mac, request->sender_mac, 6);
	a.target = request->sender;
	a.length = request->length;
	return arp_build(&a);
}

static json_t *neighbour(json_t *vtep, uint32_t address)
{
	char text[16];
	snprintf(text, sizeof(text), "%u.%u.%u.%u", address >> 24,
		 (address >> 16) & 0xff, (address >> 8) & 0xff, address & 0xff);
	size_t i;
	json_t *n;
	json_array_foreach(json_object_get(vtep, "neighbours"), i, n)
		if (strcmp(json_string_value(json_object_get(n, "address")),
			   text) == 0)
			return n;
	return NULL;
}

static bool tunnel_resolved(json_t *vtep, const char *remote)
{
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(vtep, "tunnels"), i, t)
		if (strcmp(json_string_value(json_object_get(t, "remote")),
			   remote) == 0)
			return json_is_true(json_object_get(t, "resolved"));
	return false;
}

/* The requests the VTEP must answer, and the ARP frames it must refuse or
 * consume, with the reason counted. */
static struct arp_spec answered[4];
static struct {
	struct frame frame;
	const char *reason;
} others[16];
static size_t n_others;

static void build_cases(void)
{
	/* answered */
	struct arp_spec ask9 = request_from(9, VXG_VTEP_ADDRESS);
	struct arp_spec ask2 = request_from(2, VXG_VTEP_ADDRESS);
	ask2.length = 42; /* unpadded */
	struct arp_spec probe = request_from(10, VXG_VTEP_ADDRESS);
	probe.sender = 0; /* RFC 5227 probe */
	struct arp_spec ask9_unicast = ask9;
	memcpy(ask9_unicast.dst, vxg_vtep_mac, 6);
	answered[0] = ask9;
	answered[1] = ask2;
	answered[2] = probe;
	answered[3] = ask9_unicast;
	struct frame f;
	/* refused or consumed, with the reason */
	n_others = 0;
	struct arp_spec a = request_from(9, 0xc6126432u); /* .50 */
	others[n_others].frame = arp_build(&a);
	others[n_others++].reason = "arp_not_for_us";
	/* remote 7's reply: resolves the tunnel's next hop */
	others[n_others].frame = reply_from(7, 0);
	others[n_others++].reason = "arp_learned";
	/* remote 2 is static: a reply with another MAC changes nothing */
	others[n_others].frame = reply_from(2, 0x22);
	others[n_others++].reason = "arp_learned";
	/* nobody asked for 8: no entry */
	others[n_others].frame = reply_from(8, 0);
	others[n_others++].reason = "arp_learned";
	/* another host announcing our address */
	a = request_from(0x66, VXG_VTEP_ADDRESS);
	a.sender = VXG_VTEP_ADDRESS;
	others[n_others].frame = arp_build(&a);
	others[n_others++].reason = "arp_address_conflict";
	/* malformed */
	a = request_from(9, VXG_VTEP_ADDRESS);
	a.length = 14 + 27;
	others[n_others].frame = arp_build(&a);
	others[n_others++].reason = "arp_invalid";
	a.length = 0;
	a.hardware = 6;
	others[n_others].frame = arp_build(&a);
	others[n_others++].reason = "arp_invalid";
	a.hardware = 1;
	a.operation = 3;
	others[n_others].frame = arp_build(&a);
	others[n_others++].reason = "arp_invalid";
	a.operation = 1;
	a.sender_mac[0] = 0x01;
	others[n_others].frame = arp_build(&a);
	others[n_others++].reason = "arp_invalid";
	/* a request for us in VLAN 5 (the underlay is untagged) */
	f = arp_build(&ask9);
	memmove(f.data + 16, f.data + 12, f.length - 12);
	vxg_put16(f.data + 12, 0x8100);
	vxg_put16(f.data + 14, 5);
	f.length += 4;
	others[n_others].frame = f;
	others[n_others++].reason = "vxlan_not_for_us";
}

static void test_arp(void **state)
{
	struct test_switch *sw = test_switch_create("vx-arp");
	*state = sw;
	struct frame_list in[2], replies;
	frame_list_init(&in[0]);
	frame_list_init(&in[1]);
	frame_list_init(&replies);

	build_cases();
	struct frame f;
	for (size_t i = 0; i < 4; i++) {
		f = arp_build(&answered[i]);
		vxg_add(&in[0], &f);
		f = our_reply(&answered[i]);
		vxg_add(&replies, &f);
	}
	for (size_t i = 0; i < n_others; i++)
		vxg_add(&in[0], &others[i].frame);

	/* p1 comes up once remote 7 is resolved: A's flood then reaches
	 * remotes 2 and 7. */
	struct frame flood = vxg_inner(vxg_broadcast, A, 0, 100, 0x5a);
	vxg_add(&in[1], &flood);
	struct vxg_encap_expect encaps[2] = { { 2, 5001, flood, 1 },
					      { 7, 5001, flood, 1 } };
	vxg_write_inputs(sw, in, 2);

	vxg_start(sw, VXG_HEAD VXG_PCAP_PORT(0) VXG_PCAP_PORT(1)
		  "    admin: down\n" VXG_VTEP
		  "  neighbours:\n"
		  "    - {address: 198.18.100.2, mac: \"02:00:00:00:02:02\"}\n"
		  "bridge_domains:\n"
		  "  - name: b\n    members:\n"
		  "      - port: p1\n"
		  "      - {tunnel: 198.18.100.2, vni: 5001}\n"
		  "      - {tunnel: 198.18.100.7, vni: 5001}\n"
		  "      - {tunnel: 198.18.100.6, vni: 5001}\n");
	vxg_wait_rx(sw, "p0", in[0].count);

	/* the neighbour table, as vtep-show reports it */
	json_t *vtep = NULL;
	for (int tries = 0; tries < 100; tries++) {
		json_decref(vtep);
		vtep = test_switch_call(sw, "vtep-show", NULL);
		assert_non_null(vtep);
		if (tunnel_resolved(vtep, "198.18.100.7"))
			break;
		nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
	}
	json_t *n7 = neighbour(vtep, vxg_remote_address(7));
	json_t *n2 = neighbour(vtep, vxg_remote_address(2));
	if (!n7 || !n2 || !tunnel_resolved(vtep, "198.18.100.7")) {
		char *text = json_dumps(vtep, JSON_COMPACT);
		printf("# vtep-show: %s\n", text);
		free(text);
		fail_msg("remote 7 not resolved");
	}
	assert_string_equal(json_string_value(json_object_get(n7, "state")),
			    "reachable");
	assert_string_equal(json_string_value(json_object_get(n7, "mac")),
			    "02:00:00:00:02:07");
	assert_string_equal(json_string_value(json_object_get(n2, "state")),
			    "static");
	assert_string_equal(json_string_value(json_object_get(n2, "mac")),
			    "02:00:00:00:02:02");
	assert_true(tunnel_resolved(vtep, "198.18.100.2"));
	/* no entries for addresses nobody asked for */
	assert_null(neighbour(vtep, vxg_remote_address(8)));
	assert_null(neighbour(vtep, vxg_remote_address(9)));
	assert_null(neighbour(vtep, 0));
	json_decref(vtep);

	{
		json_t *r = test_switch_callf(sw, "port-set", "{s:s, s:s}", "name",
					      "p1", "admin", "up");
		if (!r)
			fail_msg("port-set: %s", test_switch_error(sw));
		json_decref(r);
	}
	vxg_wait_rx(sw, "p1", in[1].count);

	json_t *after = test_switch_counters(sw);
	assert_non_null(after);
	json_t *before = vxg_zero_counters(after);
	struct vxg_count drops[] = {
		{ "drops.arp_not_for_us", 0 }, { "drops.arp_learned", 0 },
		{ "drops.arp_address_conflict", 0 }, { "drops.arp_invalid", 0 },
		{ "drops.vxlan_not_for_us", 0 },
		{ "drops.vxlan_unresolved", 1 }, /* A's copy to remote 6 */
	};
	for (size_t i = 0; i < n_others; i++)
		for (size_t j = 0; j < 5; j++)
			if (strcmp(drops[j].path + 6, others[i].reason) == 0)
				drops[j].delta++;
	vxg_assert_deltas(before, after, drops, 6, NULL, 0);
	json_decref(before);
	json_decref(after);

	vxg_stop(sw);

	/* p0's output: our replies in order, requests for remote 7 only
	 * (before its reply came; how many depends on timing), then the
	 * flood to both remote VTEPs. */
	struct frame_list got, got_replies, got_requests, got_encaps;
	frame_list_init(&got);
	frame_list_init(&got_replies);
	frame_list_init(&got_requests);
	frame_list_init(&got_encaps);
	assert_int_equal(test_switch_read_pcap(sw, "p0.out.pcap", &got), 0);
	for (size_t i = 0; i < got.count; i++) {
		const struct frame *g = &got.frames[i];
		if (g->length >= 22 && vxg_get16(g->data + 12) == 0x0806 &&
		    vxg_get16(g->data + 20) == 1)
			frame_list_add(&got_requests, g->data, g->length);
		else if (g->length >= 14 && vxg_get16(g->data + 12) == 0x0806)
			frame_list_add(&got_replies, g->data, g->length);
		else
			frame_list_add(&got_encaps, g->data, g->length);
	}
	char report[16384];
	if (!frame_lists_equal(&got_replies, &replies, report, sizeof(report))) {
		printf("# ARP replies differ:\n");
		for (char *line = strtok(report, "\n"); line; line = strtok(NULL, "\n"))
			printf("#   %s\n", line);
		fail();
	}
	/* Requests: for remote 6 (never answers) at least once; for remote
	 * 7 as long as it had not answered (maybe never); nothing else. */
	size_t for_six = 0;
	for (size_t i = 0; i < got_requests.count; i++) {
		const struct frame *g = &got_requests.frames[i];
		struct arp_spec who_has;
		memset(&who_has, 0, sizeof(who_has));
		memcpy(who_has.dst, vxg_broadcast, 6);
		memcpy(who_has.sender_mac, vxg_vtep_mac, 6);
		who_has.operation = 1;
		who_has.sender = VXG_VTEP_ADDRESS;
		who_has.target = g->length >= 42 ? vxg_get32(g->data + 38) : 0;
		struct frame expected_request = arp_build(&who_has);
		if ((who_has.target != vxg_remote_address(6) &&
		     who_has.target != vxg_remote_address(7)) ||
		    g->length != expected_request.length ||
		    memcmp(g->data, expected_request.data, g->length) != 0) {
			printf("# ARP request %zu is not who-has 198.18.100.6 or "
			       ".7 tell 198.18.100.1:\n", i);
			vxg_print_frame(g);
			fail();
		}
		for_six += who_has.target == vxg_remote_address(6);
	}
	printf("# %zu ARP requests, %zu for remote 6\n", got_requests.count,
	       for_six);
	assert_true(for_six >= 1);
	vxg_check_encaps(&got_encaps, "p0.out.pcap", encaps, 2,
			 &vxg_default_policy);
	frame_list_free(&got);
	frame_list_free(&got_replies);
	frame_list_free(&got_requests);
	frame_list_free(&got_encaps);
	frame_list_free(&in[0]);
	frame_list_free(&in[1]);
	frame_list_free(&replies);
}


/* `trace` on the underlay port must say what the datapath does with ARP:
 * a request for our address is answered (not a drop), the rest dropped
 * under the reason the counters use. */
static void test_arp_trace(void **state)
{
	struct test_switch *sw = test_switch_create("vx-arp-trace");
	*state = sw;
	build_cases();
	struct frame_list none;
	frame_list_init(&none);
	assert_int_equal(test_switch_write_pcap(sw, "p0.in.pcap", &none), 0);
	assert_int_equal(test_switch_write_pcap(sw, "p1.in.pcap", &none), 0);
	vxg_start(sw, VXG_HEAD VXG_PCAP_PORT(0) VXG_PCAP_PORT(1) VXG_VTEP
		  VXG_NEIGHBOURS
		  "bridge_domains:\n"
		  "  - name: b\n    members:\n"
		  "      - port: p1\n"
		  "      - {tunnel: 198.18.100.2, vni: 5001}\n");
	size_t wrong = 0;
	const char *example = NULL;
	for (size_t i = 0; i < n_others; i++)
		if (!vxg_trace_is(sw, "p0", &others[i].frame, others[i].reason, 0)) {
			wrong++;
			example = others[i].reason;
		}
	for (size_t i = 0; i < 4; i++) {
		struct frame f = arp_build(&answered[i]);
		static char hex[2 * FRAME_MAX + 1];
		for (uint16_t k = 0; k < f.length; k++)
			snprintf(hex + 2 * k, 3, "%02x", f.data[k]);
		hex[2 * f.length] = '\0';
		json_t *trace = test_switch_callf(sw, "trace", "{s:s, s:s}",
						  "port", "p0", "frame", hex);
		assert_non_null(trace);
		if (!json_is_null(json_object_get(trace, "drop_reason"))) {
			char *text = json_dumps(trace, JSON_COMPACT);
			printf("# trace of a request for our address: %s\n", text);
			free(text);
			wrong++;
			example = "answered request";
		}
		json_decref(trace);
	}
	vxg_stop(sw);
	/* trace runs the underlay ARP handling as the pipeline does. */
	if (wrong)
		fail_msg("trace of underlay ARP disagrees with the datapath for "
			 "%zu of %zu frames (e.g. %s)", wrong, n_others + 4,
			 example);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_arp, test_switch_teardown),
		cmocka_unit_test_teardown(test_arp_trace, test_switch_teardown),
	};
	return cmocka_run_group_tests_name("golden vxlan arp", tests, NULL,
					   NULL);
}

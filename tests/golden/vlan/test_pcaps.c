/* Golden pcaps of the VLAN operations: push, pop, translate, QinQ push and
 * pop, and one input file per VLAN drop reason.
 *
 * The files live in tests/golden/vlan/pcaps/ (open them in tcpdump -e or
 * Wireshark): <case>.in.pcap is what enters the case's input port,
 * <case>.out.pcap what must leave its output port, byte for byte; a drop
 * case has no .out.pcap: nothing may leave, and the reason's counter
 * grows by exactly the frames of its input. All cases run in one switch,
 * each with its own two ports and BD.
 *
 * The files were written by this program from the tag stacks below
 * (`golden-vlan-pcaps --generate DIR`); the test first checks that the
 * committed files are still exactly those, then runs the switch on them.
 *
 * vlan_push_failed has no case: it needs a frame with less than 4 bytes of
 * headroom, and every mbuf loom-switch forwards comes from its pool with
 * RTE_PKTMBUF_HEADROOM (128) bytes, flood copies included, and gets at
 * most one push.
 */
#include "vlan_golden.h"

#include <sys/stat.h>

#define CASE_FRAMES 4

struct case_frame {
	struct golden_tag in[GOLDEN_TAGS_MAX];
	struct golden_tag out[GOLDEN_TAGS_MAX];
	uint16_t length; /* body length (untagged), 0: 64 */
	uint16_t cut;    /* input cut to this many bytes (drop cases) */
};

struct pcap_case {
	const char *name;
	const char *in_vlan;  /* YAML flow map of the input port's vlan */
	uint16_t in_vid;
	const char *out_vlan;
	uint16_t out_vid;
	const char *drop; /* NULL: forwarding case */
	struct case_frame frames[CASE_FRAMES];
};

#define ACCESS(vid) "{mode: access, vid: " #vid "}"
#define TRUNK(list) "{mode: trunk, allowed: \"" list "\"}"

static const struct pcap_case cases[] = {
	/* An access port's frames leave a trunk tagged, with the access
	 * port's PCP (5), or the priority tag's PCP and DEI. */
	{ "push", "{mode: access, vid: 10, pcp: 5}", 10, TRUNK("10"), 10, NULL,
	  { { .in = UNTAGGED, .out = TAGS(C(5, 10)) },
	    { .in = TAGS(C(3, 0)), .out = TAGS(C(3, 10)) },
	    { .in = TAGS(CD(1, 0)), .out = TAGS(CD(1, 10)) },
	    { .in = UNTAGGED, .out = TAGS(C(5, 10)), .length = 1514 } } },
	/* Trunk to access: the tag goes, whatever its PCP and DEI. */
	{ "pop", TRUNK("20"), 20, ACCESS(20), 20, NULL,
	  { { .in = TAGS(C(6, 20)), .out = UNTAGGED },
	    { .in = TAGS(CD(1, 20)), .out = UNTAGGED },
	    { .in = TAGS(C(0, 20)), .out = UNTAGGED, .length = 1514 } } },
	/* One BD, VID 100 on one trunk and 2001 on the other: only the VID
	 * changes. */
	{ "translate", TRUNK("100"), 100, TRUNK("2001"), 2001, NULL,
	  { { .in = TAGS(C(5, 100)), .out = TAGS(C(5, 2001)) },
	    { .in = TAGS(CD(7, 100)), .out = TAGS(CD(7, 2001)) },
	    { .in = TAGS(C(0, 100)), .out = TAGS(C(0, 2001)), .length = 1514 } } },
	/* Customer side to the provider trunk: the S-tag is pushed outside
	 * whatever the customer sent, with the C-tag's PCP (else the tunnel
	 * port's, 2). */
	{ "qinq_push", "{mode: tunnel, vid: 300, pcp: 2}", 300,
	  "{mode: trunk, allowed: \"300\", tpid: \"0x88a8\", inner_tags: 1}", 300,
	  NULL,
	  { { .in = UNTAGGED, .out = TAGS(S(2, 300)) },
	    { .in = TAGS(C(5, 55)), .out = TAGS(S(5, 300), C(5, 55)) },
	    { .in = TAGS(C(3, 0)), .out = TAGS(S(3, 300), C(3, 0)) },
	    { .in = TAGS(CD(6, 4095)), .out = TAGS(SD(6, 300), CD(6, 4095)) } } },
	/* And back: the S-tag goes, the customer's C-tag stays as sent. */
	{ "qinq_pop",
	  "{mode: trunk, allowed: \"300\", tpid: \"0x88a8\", inner_tags: 1}", 300,
	  "{mode: tunnel, vid: 300}", 300, NULL,
	  { { .in = TAGS(S(4, 300), C(5, 55)), .out = TAGS(C(5, 55)) },
	    { .in = TAGS(S(4, 300)), .out = UNTAGGED },
	    { .in = TAGS(SD(1, 300), C(3, 0)), .out = TAGS(C(3, 0)) } } },

	/* Drops: nothing leaves the output port. */
	{ "drop_tagged_on_access", ACCESS(10), 10, TRUNK("10"), 10,
	  "vlan_tagged_on_access",
	  { { .in = TAGS(C(5, 10)) },
	    { .in = TAGS(S(1, 10)) },
	    { .in = TAGS(C(3, 0), C(1, 1)) } } },
	{ "drop_not_allowed", TRUNK("10"), 10, ACCESS(10), 10, "vlan_not_allowed",
	  { { .in = TAGS(C(5, 30)) },
	    { .in = TAGS(C(5, 4095)) } } },
	{ "drop_truncated", TRUNK("10"), 10, ACCESS(10), 10, "vlan_truncated",
	  { { .in = TAGS(C(5, 10)), .cut = 16 },
	    { .in = TAGS(C(5, 10)), .cut = 17 },
	    { .in = TAGS(C(5, 10), C(7, 55)), .cut = 20 } } },
	{ "drop_too_deep", TRUNK("10"), 10, ACCESS(10), 10, "vlan_too_deep",
	  { { .in = TAGS(C(5, 10), C(7, 55), C(1, 66)) },
	    { .in = TAGS(C(5, 10), C(7, 55)) } } },
	{ "drop_tpid_mismatch", TRUNK("10"), 10, ACCESS(10), 10,
	  "vlan_tpid_mismatch",
	  { { .in = TAGS(S(5, 10)) },
	    { .in = TAGS(X(5, 10)) } } },
	{ "drop_untagged_not_allowed", TRUNK("10"), 10, ACCESS(10), 10,
	  "vlan_untagged_not_allowed",
	  { { .in = UNTAGGED },
	    { .in = TAGS(C(3, 0)) } } },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static bool frame_used(const struct case_frame *f, int i)
{
	/* Every listed frame has a stack or is untagged: the first one is
	 * always used; later ones when anything is set. */
	return i == 0 || f->in[0].tpid || f->out[0].tpid || f->length || f->cut;
}

/* The case's input and expected output frames. */
static void case_frames(const struct pcap_case *c, size_t index,
			struct frame_list *in, struct frame_list *out)
{
	for (int i = 0; i < CASE_FRAMES; i++) {
		const struct case_frame *f = &c->frames[i];
		if (!frame_used(f, i))
			continue;
		uint8_t broadcast[6], src[6];
		memset(broadcast, 0xff, 6);
		mac_from_id(src, (uint16_t)(0x100 * (index + 1) + i));
		struct frame_spec spec;
		memset(&spec, 0, sizeof(spec));
		memcpy(spec.dst, broadcast, 6);
		memcpy(spec.src, src, 6);
		spec.fill = (uint8_t)(0x10 * index + i);
		spec.length = f->length ? f->length : 64;
		struct frame body = frame_build(&spec);
		struct frame input = vlan_golden_tagged(&body, f->in, f->cut);
		frame_list_add(in, input.data, input.length);
		if (!c->drop) {
			struct frame output = vlan_golden_tagged(&body, f->out, 0);
			frame_list_add(out, output.data, output.length);
		}
	}
}

static const char *pcap_dir(void)
{
	static char dir[512];
	const char *source = getenv("LOOM_SOURCE_DIR");
	snprintf(dir, sizeof(dir), "%s/tests/golden/vlan/pcaps",
		 source ? source : ".");
	return dir;
}

static int generate(const char *dir)
{
	for (size_t i = 0; i < N_CASES; i++) {
		struct frame_list in, out;
		frame_list_init(&in);
		frame_list_init(&out);
		case_frames(&cases[i], i, &in, &out);
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s.in.pcap", dir, cases[i].name);
		if (pcap_write_frames(path, &in) != 0)
			return 1;
		if (!cases[i].drop) {
			snprintf(path, sizeof(path), "%s/%s.out.pcap", dir,
				 cases[i].name);
			if (pcap_write_frames(path, &out) != 0)
				return 1;
		}
		frame_list_free(&in);
		frame_list_free(&out);
	}
	return 0;
}

static bool file_equals(const char *path, const struct frame_list *expected)
{
	struct frame_list got;
	frame_list_init(&got);
	if (pcap_read_frames(path, &got) != 0) {
		printf("# cannot read %s\n", path);
		frame_list_free(&got);
		return false;
	}
	static char report[16384];
	bool equal = frame_lists_equal(&got, expected, report, sizeof(report));
	if (!equal)
		printf("# %s differs from its description:\n# %s\n", path, report);
	frame_list_free(&got);
	return equal;
}

/* The committed files are the frames described above. */
static void test_files_match_descriptions(void **state)
{
	(void)state;
	bool all = true;
	for (size_t i = 0; i < N_CASES; i++) {
		struct frame_list in, out;
		frame_list_init(&in);
		frame_list_init(&out);
		case_frames(&cases[i], i, &in, &out);
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s.in.pcap", pcap_dir(), cases[i].name);
		all &= file_equals(path, &in);
		snprintf(path, sizeof(path), "%s/%s.out.pcap", pcap_dir(), cases[i].name);
		struct stat st;
		if (cases[i].drop)
			all &= stat(path, &st) != 0; /* no output file */
		else
			all &= file_equals(path, &out);
		frame_list_free(&in);
		frame_list_free(&out);
	}
	assert_true(all);
}

/* The switch on the committed files. */
static void test_switch_on_golden_pcaps(void **state)
{
	struct test_switch *sw = test_switch_create("vlan-pcaps");
	*state = sw;
	size_t size = 65536, used = 0;
	char *config = malloc(size);
	assert_non_null(config);
	used += (size_t)snprintf(config + used, size - used, "ports:\n");
	for (size_t i = 0; i < N_CASES; i++) {
		const struct pcap_case *c = &cases[i];
		char empty[96];
		snprintf(empty, sizeof(empty), "%s_out.in.pcap", c->name);
		assert_int_equal(test_switch_write_empty_pcap(sw, empty), 0);
		used += (size_t)snprintf(
			config + used, size - used,
			"  - name: %s_in\n"
			"    devargs: net_pcap%zu,rx_pcap=%s/%s.in.pcap,"
			"tx_pcap=@DIR@/%s_in.out.pcap\n"
			"    vlan: %s\n"
			"  - name: %s_out\n"
			"    devargs: net_pcap%zu,rx_pcap=@DIR@/%s_out.in.pcap,"
			"tx_pcap=@DIR@/%s.out.pcap\n"
			"    vlan: %s\n",
			c->name, 2 * i, pcap_dir(), c->name, c->name, c->in_vlan,
			c->name, 2 * i + 1, c->name, c->name, c->out_vlan);
	}
	used += (size_t)snprintf(config + used, size - used, "bridge_domains:\n");
	for (size_t i = 0; i < N_CASES; i++)
		used += (size_t)snprintf(
			config + used, size - used,
			"  - name: %s\n    members:\n"
			"      - port: %s_in\n        vid: %u\n"
			"      - port: %s_out\n        vid: %u\n",
			cases[i].name, cases[i].name, cases[i].in_vid,
			cases[i].name, cases[i].out_vid);
	assert_true(used < size);
	if (test_switch_start(sw, config) != 0)
		fail_msg("loom-switch did not start: %s", test_switch_error(sw));
	free(config);

	const char *drops[64];
	size_t n_drops = 0;
	struct frame_list expected[N_CASES];
	for (size_t i = 0; i < N_CASES; i++) {
		struct frame_list in;
		frame_list_init(&in);
		frame_list_init(&expected[i]);
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s.in.pcap", pcap_dir(), cases[i].name);
		assert_int_equal(pcap_read_frames(path, &in), 0);
		if (cases[i].drop) {
			for (size_t k = 0; k < in.count; k++)
				drops[n_drops++] = cases[i].drop;
		} else {
			snprintf(path, sizeof(path), "%s/%s.out.pcap", pcap_dir(),
				 cases[i].name);
			assert_int_equal(pcap_read_frames(path, &expected[i]), 0);
		}
		char port[96];
		snprintf(port, sizeof(port), "%s_in", cases[i].name);
		if (test_switch_wait_rx(sw, port, in.count, 20000) != 0)
			fail_msg("%s: %s", port, test_switch_error(sw));
		frame_list_free(&in);
	}
	json_t *counters = test_switch_counters(sw);
	assert_non_null(counters);
	json_t *zero = json_deep_copy(counters);
	const char *name;
	json_t *value;
	json_object_foreach(json_object_get(zero, "drops"), name, value)
		json_integer_set(value, 0);
	bool drops_ok = vlan_golden_drops_equal(zero, counters, drops, n_drops);
	json_decref(zero);
	json_decref(counters);
	int status = test_switch_stop(sw);
	if (status != 0)
		fail_msg("loom-switch stopped with %d", status);

	bool all = drops_ok;
	struct frame_list none;
	frame_list_init(&none);
	for (size_t i = 0; i < N_CASES; i++) {
		char file[96];
		snprintf(file, sizeof(file), "%s.out.pcap", cases[i].name);
		all &= test_switch_output_equal(sw, file, &expected[i], true);
		/* Nothing goes back to the input port. */
		snprintf(file, sizeof(file), "%s_in.out.pcap", cases[i].name);
		all &= test_switch_output_equal(sw, file, &none, true);
		frame_list_free(&expected[i]);
	}
	assert_true(all);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--generate") == 0)
		return generate(argv[2]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files_match_descriptions),
		cmocka_unit_test_teardown(test_switch_on_golden_pcaps,
					  test_switch_teardown),
	};
	return cmocka_run_group_tests_name("golden vlan pcaps", tests, NULL, NULL);
}

/* Golden datapath tests: the parts of loom-switch around the pipeline.
 *  - capture start/stop writes the mirrored frames to a pcap, bounded;
 *  - control socket errors (malformed JSON, unknown command, wrong token,
 *    bad arguments) get error replies, change nothing, and the switch
 *    keeps forwarding;
 *  - invalid configurations make loom-switch exit non-zero with a
 *    file:line:column message and leave nothing running.
 */
#include "golden.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct frame numbered(unsigned i)
{
	return golden_frame(golden_broadcast, (uint16_t)(1 + i % 3), (uint8_t)(0x40 + i));
}

/* tx capture bounded by max_packets on p1; unbounded rx capture on p0
 * stopped by capture-stop. */
static void test_capture(void **state)
{
	struct test_switch *sw = test_switch_create("capture");
	*state = sw;
	struct frame_list in[2], out[2];
	golden_lists_init(in, 2);
	golden_lists_init(out, 2);
	for (unsigned i = 0; i < 7; i++) {
		golden_add(&in[0], numbered(i));
		golden_add(&out[1], numbered(i));
	}
	golden_write_inputs(sw, in, 2);
	golden_start(sw, "ports:\n" GOLDEN_PCAP_PORT_DOWN(0) GOLDEN_PCAP_PORT(1)
			 "bridge_domains:\n  - name: lan\n    members:\n"
			 "      - port: p0\n      - port: p1\n");
	const char *tx_file = test_switch_path(sw, "p1-tx.pcap");
	const char *rx_file = test_switch_path(sw, "p0-rx.pcap");
	json_t *status = test_switch_callf(sw, "capture-start",
					   "{s:s, s:s, s:s, s:i}", "port", "p1",
					   "file", tx_file, "direction", "tx",
					   "max_packets", 3);
	if (!status)
		fail_msg("capture-start: %s", test_switch_error(sw));
	assert_string_equal(json_string_value(json_object_get(status, "direction")),
			    "tx");
	json_decref(status);
	golden_call_ok(sw, "capture-start", "{s:s, s:s, s:s}", "port", "p0", "file",
		       rx_file, "direction", "rx");
	/* A second capture of the same port is refused. */
	assert_null(test_switch_callf(sw, "capture-start", "{s:s, s:s}", "port",
				      "p0", "file", rx_file));

	golden_call_ok(sw, "port-set", "{s:s, s:s}", "name", "p0", "admin", "up");
	golden_wait_rx(sw, "p0", 7);
	/* The bounded capture stopped itself at its bound (the control
	 * thread checks every ~10 ms). */
	json_t *ports = NULL;
	for (int tries = 0; tries < 200; tries++) {
		json_decref(ports);
		ports = test_switch_call(sw, "show-ports", NULL);
		assert_non_null(ports);
		if (json_is_null(json_object_get(json_array_get(ports, 1), "capture")))
			break;
		usleep(10000);
	}
	assert_true(json_is_null(json_object_get(json_array_get(ports, 1), "capture")));
	json_t *rx_capture = json_object_get(json_array_get(ports, 0), "capture");
	assert_true(json_is_object(rx_capture));
	json_decref(ports);

	status = test_switch_callf(sw, "capture-stop", "{s:s}", "port", "p0");
	if (!status)
		fail_msg("capture-stop: %s", test_switch_error(sw));
	json_decref(status);
	/* Nothing left to stop. */
	assert_null(test_switch_callf(sw, "capture-stop", "{s:s}", "port", "p0"));
	assert_null(test_switch_callf(sw, "capture-stop", "{s:s}", "port", "p1"));
	golden_stop(sw);

	golden_assert_outputs(sw, out, 2, true);
	struct frame_list first3;
	frame_list_init(&first3);
	for (unsigned i = 0; i < 3; i++)
		golden_add(&first3, numbered(i));
	assert_true(test_switch_output_equal(sw, "p1-tx.pcap", &first3, true));
	assert_true(test_switch_output_equal(sw, "p0-rx.pcap", &in[0], true));
	frame_list_free(&first3);
	golden_lists_free(in, 2);
	golden_lists_free(out, 2);
}

/* Sends a raw line; expects {"ok": false, "error": "...needle..."}. */
static void expect_error(struct test_switch *sw, const char *line,
			 const char *needle)
{
	json_t *reply = test_switch_raw(sw, line);
	if (!reply)
		fail_msg("no reply to %s: %s", line, test_switch_error(sw));
	const char *error = json_string_value(json_object_get(reply, "error"));
	if (!json_is_false(json_object_get(reply, "ok")) || !error ||
	    !strstr(error, needle)) {
		char *text = json_dumps(reply, JSON_COMPACT);
		printf("# request: %s\n# reply: %s\n", line, text);
		free(text);
		json_decref(reply);
		fail_msg("expected an error containing '%s'", needle);
	}
	json_decref(reply);
}

#define TOKEN "\"token\": \"s3cret\""

static void test_control_errors(void **state)
{
	struct test_switch *sw = test_switch_create("control_errors");
	*state = sw;
	struct frame_list in[2], out[2];
	golden_lists_init(in, 2);
	golden_lists_init(out, 2);
	for (unsigned i = 0; i < 5; i++) {
		golden_add(&in[0], numbered(i));
		golden_add(&out[1], numbered(i));
	}
	golden_write_inputs(sw, in, 2);
	test_switch_set_token(sw, "s3cret");
	golden_start(sw, "eal:\n  file_prefix: @PREFIX@\n  memory_mb: 128\n"
			 "control:\n  socket: @SOCKET@\n  token: s3cret\n"
			 "fdb:\n  clock: manual\n"
			 "ports:\n" GOLDEN_PCAP_PORT(0) GOLDEN_PCAP_PORT(1)
			 "  - name: spare\n    devargs: net_null0,no-rx=1\n"
			 "bridge_domains:\n  - name: lan\n    members:\n"
			 "      - port: p0\n      - port: p1\n");
	json_t *config_before = test_switch_call(sw, "show-config", NULL);
	assert_non_null(config_before);

	/* Transport-level errors. */
	expect_error(sw, "{not json", "malformed JSON");
	expect_error(sw, "[1, 2, 3]", "JSON object");
	expect_error(sw, "\"version\"", "malformed JSON");
	expect_error(sw, "{\"command\": \"version\", \"command\": \"help\", " TOKEN "}",
		     "malformed JSON");
	/* Authorization: the token is checked before anything else. */
	expect_error(sw, "{\"command\": \"version\"}", "unauthorized");
	expect_error(sw, "{\"command\": \"version\", \"token\": \"s3cre\"}",
		     "unauthorized");
	expect_error(sw, "{\"command\": \"version\", \"token\": \"s3cretX\"}",
		     "unauthorized");
	expect_error(sw, "{\"command\": \"version\", \"token\": 7}", "unauthorized");
	expect_error(sw, "{\"command\": \"bd-remove\", \"name\": \"lan\"}",
		     "unauthorized");
	/* Commands. */
	expect_error(sw, "{" TOKEN "}", "missing string 'command'");
	expect_error(sw, "{\"command\": 5, " TOKEN "}", "missing string 'command'");
	expect_error(sw, "{\"command\": \"reboot\", " TOKEN "}",
		     "unknown command 'reboot'");
	expect_error(sw, "{\"command\": \"counters-clear\", " TOKEN "}",
		     "monotonic");
	/* Bad arguments. */
	expect_error(sw, "{\"command\": \"member-add\", \"bd\": \"lan\", " TOKEN "}",
		     "'port'");
	expect_error(sw, "{\"command\": \"member-add\", \"bd\": \"nope\", "
			 "\"port\": \"spare\", " TOKEN "}", "no bridge domain 'nope'");
	expect_error(sw, "{\"command\": \"member-add\", \"bd\": \"lan\", "
			 "\"port\": \"ghost\", " TOKEN "}", "ghost");
	expect_error(sw, "{\"command\": \"member-add\", \"bd\": \"lan\", "
			 "\"port\": \"spare\", \"vid\": 5000, " TOKEN "}", "vid");
	expect_error(sw, "{\"command\": \"member-add\", \"bd\": \"lan\", "
			 "\"port\": \"p0\", " TOKEN "}", "p0");
	expect_error(sw, "{\"command\": \"member-remove\", \"bd\": \"lan\", "
			 "\"port\": \"spare\", " TOKEN "}", "no member");
	expect_error(sw, "{\"command\": \"bd-add\", \"bd\": \"lan2\", " TOKEN "}",
		     "missing object argument 'bd'");
	expect_error(sw, "{\"command\": \"bd-add\", \"bd\": {\"name\": \"lan\", "
			 "\"members\": []}, " TOKEN "}", "exists");
	expect_error(sw, "{\"command\": \"bd-remove\", \"name\": \"nope\", " TOKEN "}",
		     "no bridge domain");
	expect_error(sw, "{\"command\": \"port-set\", \"name\": \"p0\", "
			 "\"admin\": \"sideways\", " TOKEN "}", "admin");
	expect_error(sw, "{\"command\": \"port-set\", \"name\": \"p9\", "
			 "\"admin\": \"up\", " TOKEN "}", "no port 'p9'");
	expect_error(sw, "{\"command\": \"port-add\", \"port\": {\"name\": \"x\"}, "
			 TOKEN "}", "devargs");
	expect_error(sw, "{\"command\": \"mac-add\", \"bd\": \"lan\", \"mac\": "
			 "\"01:00:5e:00:00:01\", \"port\": \"p0\", " TOKEN "}", "mac");
	expect_error(sw, "{\"command\": \"mac-add\", \"bd\": \"lan\", \"mac\": "
			 "\"not-a-mac\", \"port\": \"p0\", " TOKEN "}", "mac");
	expect_error(sw, "{\"command\": \"mac-remove\", \"bd\": \"lan\", \"mac\": "
			 "\"zz\", " TOKEN "}", "not a MAC");
	expect_error(sw, "{\"command\": \"fdb-show\", \"port\": \"p0\", " TOKEN "}",
		     "'port' needs 'bd'");
	expect_error(sw, "{\"command\": \"fdb-flush\", \"bd\": \"nope\", " TOKEN "}",
		     "no bridge domain");
	expect_error(sw, "{\"command\": \"clock-advance\", " TOKEN "}",
		     "missing argument 'seconds'");
	expect_error(sw, "{\"command\": \"clock-advance\", \"seconds\": -1, " TOKEN "}",
		     "seconds");
	expect_error(sw, "{\"command\": \"clock-advance\", \"seconds\": \"x\", "
			 TOKEN "}", "seconds");
	expect_error(sw, "{\"command\": \"trace\", \"port\": \"p0\", \"frame\": "
			 "\"zz\", " TOKEN "}", "hex");
	expect_error(sw, "{\"command\": \"trace\", \"port\": \"p9\", \"frame\": "
			 "\"00\", " TOKEN "}", "no port");
	expect_error(sw, "{\"command\": \"trace\", \"port\": \"p0\", " TOKEN "}",
		     "missing argument 'frame'");
	expect_error(sw, "{\"command\": \"capture-start\", \"port\": \"p0\", "
			 "\"file\": \"/tmp/x.pcap\", \"direction\": \"up\", "
			 TOKEN "}", "direction");
	expect_error(sw, "{\"command\": \"capture-start\", \"port\": \"p0\", "
			 "\"file\": \"/tmp/x.pcap\", \"max_packets\": -3, "
			 TOKEN "}", "max_packets");
	expect_error(sw, "{\"command\": \"apply\", \"config\": 3, " TOKEN "}",
		     "config");
	expect_error(sw, "{\"command\": \"apply\", \"config\": {\"eal\": {}}, "
			 TOKEN "}", "eal");

	/* A good request on the same terms works, and nothing changed. */
	json_t *reply = test_switch_raw(sw, "{\"command\": \"version\", " TOKEN "}");
	assert_non_null(reply);
	assert_true(json_is_true(json_object_get(reply, "ok")));
	json_decref(reply);
	json_t *config_after = test_switch_call(sw, "show-config", NULL);
	assert_non_null(config_after);
	assert_true(json_equal(config_before, config_after));
	json_decref(config_before);
	json_decref(config_after);
	json_t *clock = test_switch_call(sw, "clock-show", NULL);
	assert_int_equal(json_integer_value(json_object_get(clock, "seconds")), 0);
	json_decref(clock);

	/* And it forwards. */
	golden_wait_rx(sw, "p0", 5);
	assert_true(test_switch_running(sw));
	golden_stop(sw);
	golden_assert_outputs(sw, out, 2, true);
	golden_lists_free(in, 2);
	golden_lists_free(out, 2);
}

struct bad_config {
	const char *what;
	const char *text;
	const char *position; /* "switch.yaml:L:C" */
	const char *needle;   /* a part of the reason */
	int status;
};

#define HEAD "eal:\n  file_prefix: @PREFIX@\ncontrol:\n  socket: @SOCKET@\n"

static const struct bad_config bad_configs[] = {
	{ "unknown key", HEAD "ports:\n  - name: p0\n    devargs: net_null0\n"
			 "    colour: red\n", "switch.yaml:8:5", "colour", 2 },
	{ "unknown top-level key", HEAD "bogus: 1\nports:\n  - name: p0\n"
				   "    devargs: net_null0\n",
	  "switch.yaml:5:1", "bogus", 2 },
	{ "missing devargs", HEAD "ports:\n  - name: p0\n", "switch.yaml:6:5",
	  "devargs", 2 },
	{ "undefined port", HEAD "ports:\n  - name: p0\n    devargs: net_null0\n"
			    "bridge_domains:\n  - name: b\n    members:\n"
			    "      - port: p9\n", "switch.yaml:11:15", "p9", 2 },
	{ "duplicate port", HEAD "ports:\n  - name: p0\n    devargs: net_null0\n"
			    "  - name: p0\n    devargs: net_null1\n",
	  "switch.yaml:8:11", "duplicate port name", 2 },
	{ "VID out of range", HEAD "ports:\n  - name: p0\n    devargs: net_null0\n"
			      "bridge_domains:\n  - name: b\n    members:\n"
			      "      - port: p0\n        vid: 5000\n",
	  "switch.yaml:12:14", "vid", 2 },
	{ "bad boolean", HEAD "ports:\n  - name: p0\n    devargs: net_null0\n"
			 "bridge_domains:\n  - name: b\n    learning: maybe\n"
			 "    members: []\n", "switch.yaml:10:15", "learning", 2 },
	{ "YAML syntax", HEAD "ports: [\n  - name: p0\n", "switch.yaml:6:3", "", 2 },
	{ "no ports", HEAD "ports: []\n", "switch.yaml:5:8", "ports", 2 },
};

static void test_invalid_configs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_configs) / sizeof(bad_configs[0]); i++) {
		const struct bad_config *bad = &bad_configs[i];
		struct test_switch *sw = test_switch_create("bad_config");
		*state = sw;
		int status = test_switch_run_to_exit(sw, bad->text, 20000);
		const char *log = test_switch_log(sw);
		char position[64]; /* "switch.yaml:L:C: ", exactly */
		snprintf(position, sizeof(position), "/%s: ", bad->position);
		if (status != bad->status || !strstr(log, position) ||
		    !strstr(log, bad->needle)) {
			printf("# %s: exit %d\n", bad->what, status);
			test_switch_print_log(sw);
		}
		if (status != bad->status || !strstr(log, position) ||
		    !strstr(log, bad->needle))
			fail_msg("%s: expected exit %d and '%s' ... '%s'", bad->what,
				 bad->status, bad->position, bad->needle);
		/* Nothing left: no process, no socket, no EAL runtime. */
		struct stat st;
		assert_int_not_equal(stat(test_switch_socket(sw), &st), 0);
		char runtime[256];
		snprintf(runtime, sizeof(runtime), "/var/run/dpdk/%s",
			 test_switch_prefix(sw));
		assert_int_not_equal(stat(runtime, &st), 0);
		assert_false(test_process_running(test_switch_dir(sw)));
		test_switch_destroy(sw);
		*state = NULL;
	}
}

/* A configuration that is valid but cannot start (a pcap file that does
 * not exist): exit 1, the reason, nothing left running or listening. */
static void test_start_failure(void **state)
{
	struct test_switch *sw = test_switch_create("start_failure");
	*state = sw;
	int status = test_switch_run_to_exit(
		sw, "ports:\n  - name: p0\n    devargs: net_null0\n"
		    "  - name: p1\n    devargs: net_pcap0,rx_pcap=@DIR@/missing.pcap\n",
		20000);
	const char *log = test_switch_log(sw);
	if (status != 1)
		test_switch_print_log(sw);
	assert_int_equal(status, 1);
	assert_non_null(strstr(log, "p1"));
	struct stat st;
	assert_int_not_equal(stat(test_switch_socket(sw), &st), 0);
	assert_false(test_process_running(test_switch_dir(sw)));
}

/* A port-add that fails leaves nothing behind: after many refusals of
 * every kind (probe fails, device in use, name taken, bad devargs) a good
 * port can still be added, and only the good ports exist. The null PMD
 * accepts any name before the first comma: "net_nullq=N" is a real
 * device (it used to be probed and then lost, leaking an ethdev each). */
static void test_failed_port_add_leaks_nothing(void **state)
{
	struct test_switch *sw = test_switch_create("port_add_leak");
	*state = sw;
	golden_start(sw, "ports:\n  - name: n0\n    devargs: net_null0,no-rx=1\n");
	unsigned refused = 0;
	for (int i = 0; i < 40; i++) {
		char devargs[96];
		const char *name = "x";
		switch (i % 4) {
		case 0: /* the probe fails: no such file */
			snprintf(devargs, sizeof(devargs),
				 "net_pcap%d,rx_pcap=/nonexistent/%d.pcap", i, i);
			break;
		case 1: /* the device is in use */
			snprintf(devargs, sizeof(devargs), "net_null0,no-rx=1");
			break;
		case 2: /* the name is taken */
			snprintf(devargs, sizeof(devargs), "net_null%d", 100 + i);
			name = "n0";
			break;
		default: /* no such bus or driver */
			snprintf(devargs, sizeof(devargs), "net_nosuchpmd%d", i);
			break;
		}
		json_t *result = test_switch_callf(sw, "port-add", "{s:{s:s, s:s}}",
						   "port", "name", name, "devargs",
						   devargs);
		refused += result == NULL;
		json_decref(result);
	}
	assert_int_equal(refused, 40);
	json_t *ports = test_switch_call(sw, "show-ports", NULL);
	assert_int_equal(json_array_size(ports), 1);
	json_decref(ports);
	json_t *added = test_switch_callf(sw, "port-add", "{s:{s:s, s:s}}", "port",
					  "name", "n1", "devargs", "net_nullq=1");
	assert_non_null(added);
	json_decref(added);
	ports = test_switch_call(sw, "show-ports", NULL);
	assert_int_equal(json_array_size(ports), 2);
	json_decref(ports);
	assert_true(test_switch_running(sw));
	golden_stop(sw);
}

/* The control plane drops a substrate node's last VXLAN slice: the apply
 * without the VTEP (its port stays, now an ordinary port) converges, and
 * the VTEP can come back, with its owner. */
static void test_apply_drops_vtep(void **state)
{
	struct test_switch *sw = test_switch_create("apply_vtep");
	*state = sw;
	golden_start(sw,
		     "ports:\n"
		     "  - name: n0\n    devargs: net_null0,no-rx=1\n"
		     "  - name: wan0\n    devargs: net_null1,no-rx=1\n"
		     "bridge_domains:\n"
		     "  - name: v1.L0\n    members:\n"
		     "      - port: n0\n"
		     "      - tunnel: 198.18.0.2\n        vni: 10000\n"
		     "vtep:\n  port: wan0\n  address: 198.18.0.1/15\n");
	json_t *config = test_switch_call(sw, "show-config", NULL);
	assert_non_null(config);
	json_t *without = json_deep_copy(config);
	json_object_del(without, "vtep");
	json_array_clear(json_object_get(without, "bridge_domains"));
	json_t *result = test_switch_callf(sw, "apply", "{s:O}", "config",
					   without);
	assert_non_null(result);
	json_decref(result);
	json_t *shown = test_switch_call(sw, "show-config", NULL);
	assert_null(json_object_get(shown, "vtep"));
	assert_int_equal(json_array_size(json_object_get(shown, "ports")), 2);
	json_decref(shown);
	/* And back, set up by a controller that names itself (the owner is
	 * kept and shown, so it can tell its VTEP from the operator's); an
	 * owner that is not a name is refused. */
	json_t *vtep = json_object_get(config, "vtep");
	json_object_set_new(vtep, "owner", json_string("bad owner!"));
	result = test_switch_callf(sw, "apply", "{s:O}", "config", config);
	assert_null(result);
	json_object_set_new(vtep, "owner", json_string("loom-inp"));
	result = test_switch_callf(sw, "apply", "{s:O}", "config", config);
	assert_non_null(result);
	json_decref(result);
	shown = test_switch_call(sw, "show-config", NULL);
	assert_non_null(json_object_get(shown, "vtep"));
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(shown, "vtep"), "owner")),
			    "loom-inp");
	json_decref(shown);
	json_decref(without);
	json_decref(config);
	assert_true(test_switch_running(sw));
	golden_stop(sw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_capture, test_switch_teardown),
		cmocka_unit_test_teardown(test_control_errors, test_switch_teardown),
		cmocka_unit_test_teardown(test_invalid_configs, test_switch_teardown),
		cmocka_unit_test_teardown(test_start_failure, test_switch_teardown),
		cmocka_unit_test_teardown(test_failed_port_add_leaks_nothing,
					  test_switch_teardown),
		cmocka_unit_test_teardown(test_apply_drops_vtep,
					  test_switch_teardown),
	};
	return cmocka_run_group_tests_name("golden datapath control", tests, NULL,
					   NULL);
}

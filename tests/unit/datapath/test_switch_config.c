/* switch_config: the YAML and JSON loaders, their errors, the round trip
 * through JSON, copy and free.
 *
 * Error cases are tables: each row is a config with one fault and the
 * file:line:column, field and message fragment the loader must report; each
 * row is its own TAP case. Positions were worked out by hand from the text
 * (1-based, the first character of the offending value or key).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "switch_config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Lines 1-5 of most cases: two ports. */
#define PORTS                                                                  \
	"ports:\n"                                                             \
	"  - name: p0\n"                                                       \
	"    devargs: net_null0\n"                                             \
	"  - name: p1\n"                                                       \
	"    devargs: net_null1\n"

static const char full_yaml[] =
	"eal:\n"
	"  lcores: \"0,2-3\"\n"
	"  memory_mb: 512\n"
	"  file_prefix: loom-sw1\n"
	"  no_huge: false\n"
	"  no_pci: false\n"
	"  args: [\"--log-level=pmd.net.pcap:debug\", \"--vdev=net_null9\"]\n"
	"datapath:\n"
	"  workers: 2\n"
	"  idle_sleep_max_us: 50\n"
	"  mbufs: 16383\n"
	"  rx_burst: 16\n"
	"  drain_us: 200\n"
	"control:\n"
	"  socket: /tmp/loom-sw1.sock\n"
	"  token: s3cret\n"
	"fdb:\n"
	"  capacity: 4096\n"
	"  limit: 1000\n"
	"  age_seconds: 60\n"
	"  clock: manual\n"
	"ports:\n"
	"  - name: p0\n"
	"    devargs: \"net_pcap0,rx_pcap=in0.pcap,tx_pcap=out0.pcap\"\n"
	"    admin: up\n"
	"    mtu: 1500\n"
	"    rx_queues: 2\n"
	"  - name: p1\n"
	"    devargs: net_pcap1,rx_pcap=in1.pcap,tx_pcap=out1.pcap\n"
	"    admin: down\n"
	"    mtu: 9000\n"
	"    rx_queues: 0\n"
	"bridge_domains:\n"
	"  - name: bd1\n"
	"    id: 10\n"
	"    learning: false\n"
	"    mac_limit: 100\n"
	"    members:\n"
	"      - port: p0\n"
	"        vid: 0\n"
	"        split_horizon: 1\n"
	"      - port: p1\n"
	"        vid: 100\n"
	"        split_horizon: 0\n"
	"    static_macs:\n"
	"      - mac: \"02:00:00:00:00:01\"\n"
	"        port: p0\n"
	"        vid: 0\n"
	"      - mac: 0A:bc:00:00:00:02\n"
	"        port: p1\n"
	"        vid: 100\n"
	"  - name: bd2\n"
	"    members:\n"
	"      - port: p0\n"
	"        vid: 200\n";

static void load_ok(struct switch_config *config, const char *text)
{
	struct load_error error = { 0 };
	int rc = switch_config_load_yaml(config, "test.yaml", text, strlen(text),
					 &error);
	if (rc) {
		char buf[1024];
		load_error_format(&error, buf, sizeof(buf));
		print_error("unexpected error: %s\n", buf);
	}
	assert_int_equal(rc, 0);
}

static void test_full_example(void **state)
{
	(void)state;
	struct switch_config c;
	load_ok(&c, full_yaml);

	assert_string_equal(c.eal.lcores, "0,2-3");
	assert_int_equal(c.eal.memory_mb, 512);
	assert_string_equal(c.eal.file_prefix, "loom-sw1");
	assert_false(c.eal.no_huge);
	assert_false(c.eal.no_pci);
	assert_int_equal(c.eal.n_args, 2);
	assert_string_equal(c.eal.args[0], "--log-level=pmd.net.pcap:debug");
	assert_string_equal(c.eal.args[1], "--vdev=net_null9");

	assert_int_equal(c.datapath.workers, 2);
	assert_int_equal(c.datapath.idle_sleep_max_us, 50);
	assert_int_equal(c.datapath.mbufs, 16383);
	assert_int_equal(c.datapath.rx_burst, 16);
	assert_int_equal(c.datapath.drain_us, 200);

	assert_string_equal(c.control.socket, "/tmp/loom-sw1.sock");
	assert_string_equal(c.control.token, "s3cret");

	assert_int_equal(c.fdb.capacity, 4096);
	assert_int_equal(c.fdb.limit, 1000);
	assert_int_equal(c.fdb.age_seconds, 60);
	assert_int_equal(c.fdb.clock, FDB_CLOCK_MANUAL);

	assert_int_equal(c.n_ports, 2);
	assert_string_equal(c.ports[0].name, "p0");
	assert_string_equal(c.ports[0].devargs,
			    "net_pcap0,rx_pcap=in0.pcap,tx_pcap=out0.pcap");
	assert_true(c.ports[0].admin_up);
	assert_int_equal(c.ports[0].mtu, 1500);
	assert_int_equal(c.ports[0].rx_queues, 2);
	assert_string_equal(c.ports[1].name, "p1");
	assert_string_equal(c.ports[1].devargs,
			    "net_pcap1,rx_pcap=in1.pcap,tx_pcap=out1.pcap");
	assert_false(c.ports[1].admin_up);
	assert_int_equal(c.ports[1].mtu, 9000);
	assert_int_equal(c.ports[1].rx_queues, 0);

	assert_int_equal(c.n_bds, 2);
	const struct bd_config *bd = &c.bds[0];
	assert_string_equal(bd->name, "bd1");
	assert_int_equal(bd->id, 10);
	assert_false(bd->learning);
	assert_int_equal(bd->mac_limit, 100);
	assert_int_equal(bd->n_members, 2);
	assert_string_equal(bd->members[0].port, "p0");
	assert_int_equal(bd->members[0].vid, 0);
	assert_int_equal(bd->members[0].split_horizon, 1);
	assert_string_equal(bd->members[1].port, "p1");
	assert_int_equal(bd->members[1].vid, 100);
	assert_int_equal(bd->members[1].split_horizon, 0);
	assert_int_equal(bd->n_static_macs, 2);
	static const uint8_t mac0[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const uint8_t mac1[6] = { 0x0a, 0xbc, 0, 0, 0, 0x02 };
	assert_memory_equal(bd->static_macs[0].mac, mac0, 6);
	assert_string_equal(bd->static_macs[0].port, "p0");
	assert_int_equal(bd->static_macs[0].vid, 0);
	assert_memory_equal(bd->static_macs[1].mac, mac1, 6);
	assert_string_equal(bd->static_macs[1].port, "p1");
	assert_int_equal(bd->static_macs[1].vid, 100);

	bd = &c.bds[1];
	assert_string_equal(bd->name, "bd2");
	assert_int_equal(bd->id, 0);
	assert_true(bd->learning);
	assert_int_equal(bd->mac_limit, 0);
	assert_int_equal(bd->n_members, 1);
	assert_string_equal(bd->members[0].port, "p0");
	assert_int_equal(bd->members[0].vid, 200);
	assert_int_equal(bd->n_static_macs, 0);
	assert_null(bd->static_macs);

	/* Lookups. */
	assert_ptr_equal(switch_config_port(&c, "p1"), &c.ports[1]);
	assert_int_equal(switch_config_port_index(&c, "p1"), 1);
	assert_null(switch_config_port(&c, "p2"));
	assert_int_equal(switch_config_port_index(&c, "p2"), -1);
	assert_ptr_equal(switch_config_bd(&c, "bd2"), &c.bds[1]);
	assert_null(switch_config_bd(&c, "bd3"));
	assert_ptr_equal(switch_config_bd_by_id(&c, 10), &c.bds[0]);
	assert_null(switch_config_bd_by_id(&c, 0));
	assert_null(switch_config_bd_by_id(&c, 11));

	switch_config_free(&c);
	assert_int_equal(c.n_ports, 0);
	assert_null(c.ports);
	assert_int_equal(c.n_bds, 0);
	assert_null(c.bds);
	switch_config_free(&c); /* twice is harmless */
}

static void assert_defaults(const struct switch_config *c, const char *lcores)
{
	assert_string_equal(c->eal.lcores, lcores);
	assert_int_equal(c->eal.memory_mb, 256);
	assert_string_equal(c->eal.file_prefix, "loom-switch");
	assert_true(c->eal.no_huge);
	assert_true(c->eal.no_pci);
	assert_int_equal(c->eal.n_args, 0);
	assert_int_equal(c->datapath.idle_sleep_max_us, 100);
	assert_int_equal(c->datapath.mbufs, 8191);
	assert_int_equal(c->datapath.rx_burst, 32);
	assert_int_equal(c->datapath.drain_us, 100);
	assert_string_equal(c->control.token, "");
	assert_int_equal(c->fdb.capacity, 65536);
	assert_int_equal(c->fdb.limit, 0);
	assert_int_equal(c->fdb.age_seconds, 300);
	assert_int_equal(c->fdb.clock, FDB_CLOCK_SYSTEM);
}

static void test_defaults(void **state)
{
	(void)state;
	struct switch_config c;
	switch_config_init(&c);
	assert_defaults(&c, "0-1");
	assert_int_equal(c.datapath.workers, 1);
	assert_string_equal(c.control.socket, "/run/loom-switch.loom-switch.sock");
	assert_int_equal(c.n_ports, 0);
	assert_int_equal(c.n_bds, 0);
	switch_config_free(&c);

	load_ok(&c, "ports:\n  - name: p0\n    devargs: net_null0\n"
		    "bridge_domains:\n  - name: b\n    members: [{port: p0}]\n");
	assert_defaults(&c, "0-1");
	assert_int_equal(c.datapath.workers, 1);
	assert_string_equal(c.control.socket, "/run/loom-switch.loom-switch.sock");
	assert_int_equal(c.n_ports, 1);
	assert_true(c.ports[0].admin_up);
	assert_int_equal(c.ports[0].mtu, 0);
	assert_int_equal(c.ports[0].rx_queues, 0);
	assert_int_equal(c.n_bds, 1);
	assert_int_equal(c.bds[0].id, 0);
	assert_true(c.bds[0].learning);
	assert_int_equal(c.bds[0].mac_limit, 0);
	assert_int_equal(c.bds[0].members[0].vid, 0);
	assert_int_equal(c.bds[0].members[0].split_horizon, 0);
	switch_config_free(&c);

	/* lcores follows workers; the socket follows file_prefix. */
	load_ok(&c, "datapath:\n  workers: 3\neal:\n  file_prefix: sw9\n"
		    "ports:\n  - name: p0\n    devargs: net_null0\n");
	assert_string_equal(c.eal.lcores, "0-3");
	assert_int_equal(c.datapath.workers, 3);
	assert_string_equal(c.eal.file_prefix, "sw9");
	assert_string_equal(c.control.socket, "/run/loom-switch.sw9.sock");
	switch_config_free(&c);
}

/* ---- YAML errors --------------------------------------------------------- */

struct error_case {
	const char *name;
	const char *text;
	unsigned line;
	unsigned column;
	const char *field;
	const char *fragment;
};

static const struct error_case yaml_errors[] = {
	/* Syntax and shape. */
	{ "yaml_syntax", "ports: [p0\n", 2, 1, "", "did not find expected" },
	{ "yaml_empty", "", 0, 0, "", "empty document" },
	{ "yaml_top_list", "- ports\n", 1, 1, "", "top level must be a mapping" },
	{ "yaml_duplicate_key", PORTS "ports: []\n", 6, 1, "",
	  "duplicate key 'ports'" },
	/* Unknown keys. */
	{ "unknown_top_key", PORTS "prots: []\n", 6, 1, "", "unknown key 'prots'" },
	{ "unknown_port_key",
	  "ports:\n  - name: p0\n    devargs: net_null0\n    mut: 1500\n", 4, 5,
	  "ports[0]", "unknown key 'mut'" },
	{ "unknown_member_key",
	  PORTS "bridge_domains:\n  - name: b\n    members:\n"
		"      - port: p0\n        vlan: 5\n",
	  10, 9, "bridge_domains[0].members[0]", "unknown key 'vlan'" },
	{ "unknown_eal_key", "eal:\n  hugepages: 0\n" PORTS, 2, 3, "eal",
	  "unknown key 'hugepages'" },
	/* Wrong types. */
	{ "type_list_for_number", "datapath:\n  workers: [1]\n" PORTS, 2, 12,
	  "datapath.workers", "expected a single value, found a list" },
	{ "type_ports_scalar", "ports: p0\n", 1, 8, "ports", "expected a list" },
	{ "type_ports_null", "ports:\n", 1, 7, "ports", "use [] for none" },
	{ "type_section_scalar", "fdb: big\n" PORTS, 1, 6, "fdb",
	  "expected a mapping" },
	{ "type_port_item_scalar", "ports:\n  - p0\n", 2, 5, "ports[0]",
	  "expected a mapping" },
	{ "type_not_a_number", "fdb:\n  capacity: lots\n" PORTS, 2, 13,
	  "fdb.capacity", "'lots' is not a non-negative integer" },
	{ "type_negative", "fdb:\n  age_seconds: -1\n" PORTS, 2, 16,
	  "fdb.age_seconds", "not a non-negative integer" },
	{ "type_bool", "eal:\n  no_huge: maybe\n" PORTS, 2, 12, "eal.no_huge",
	  "'maybe' is not a boolean" },
	{ "type_members_null",
	  PORTS "bridge_domains:\n  - name: b\n    members:\n", 8, 13,
	  "bridge_domains[0].members", "use [] for none" },
	{ "type_static_macs_mapping",
	  PORTS "bridge_domains:\n  - name: b\n    members: []\n"
		"    static_macs: {mac: x}\n",
	  9, 18, "bridge_domains[0].static_macs", "expected a list" },
	/* Ranges. */
	{ "range_workers_0", "datapath:\n  workers: 0\n" PORTS, 2, 12,
	  "datapath.workers", "0 is out of range [1, 63]" },
	{ "range_workers_64", "datapath:\n  workers: 64\n" PORTS, 2, 12,
	  "datapath.workers", "64 is out of range [1, 63]" },
	{ "range_memory", "eal:\n  memory_mb: 15\n" PORTS, 2, 14,
	  "eal.memory_mb", "15 is out of range [16," },
	{ "range_memory_for_pool", "eal:\n  memory_mb: 16\n" PORTS, 2, 14,
	  "eal.memory_mb", "8191 mbufs need about 19 MB" },
	{ "range_rx_burst", "datapath:\n  rx_burst: 33\n" PORTS, 2, 13,
	  "datapath.rx_burst", "out of range [1, 32]" },
	{ "range_mbufs", "datapath:\n  mbufs: 100\n" PORTS, 2, 10,
	  "datapath.mbufs", "out of range [1023," },
	{ "range_capacity", "fdb:\n  capacity: 4\n" PORTS, 2, 13,
	  "fdb.capacity", "out of range [8," },
	{ "range_limit_over_capacity",
	  "fdb:\n  capacity: 100\n  limit: 101\n" PORTS, 3, 10, "fdb.limit",
	  "101 is out of range [0, 100]" },
	{ "range_mtu_small",
	  "ports:\n  - name: p0\n    devargs: net_null0\n    mtu: 60\n", 4, 10,
	  "ports[0].mtu", "below the IPv4 minimum of 68" },
	{ "range_mtu_big",
	  "ports:\n  - name: p0\n    devargs: net_null0\n    mtu: 65000\n", 4,
	  10, "ports[0].mtu", "out of range [0, 16110]" },
	{ "range_rx_queues",
	  "ports:\n  - name: p0\n    devargs: net_null0\n    rx_queues: 65\n",
	  4, 16, "ports[0].rx_queues", "out of range [0, 64]" },
	{ "range_vid",
	  PORTS "bridge_domains:\n  - name: b\n    members:\n"
		"      - port: p0\n        vid: 4095\n",
	  10, 14, "bridge_domains[0].members[0].vid",
	  "4095 is out of range [0, 4094]" },
	{ "range_split_horizon",
	  PORTS "bridge_domains:\n  - name: b\n    members:\n"
		"      - {port: p0, split_horizon: 256}\n",
	  9, 35, "bridge_domains[0].members[0].split_horizon",
	  "256 is out of range [0, 255]" },
	{ "range_bd_id_0", PORTS "bridge_domains:\n  - name: b\n    id: 0\n"
			   "    members: []\n",
	  8, 9, "bridge_domains[0].id", "0 is out of range [1, 16383]" },
	{ "range_bd_id_16384",
	  PORTS "bridge_domains:\n  - name: b\n    id: 16384\n"
		"    members: []\n",
	  8, 9, "bridge_domains[0].id", "16384 is out of range [1, 16383]" },
	{ "range_mac_limit",
	  "fdb:\n  capacity: 64\n" PORTS
	  "bridge_domains:\n  - name: b\n    mac_limit: 65\n    members: []\n",
	  10, 16, "bridge_domains[0].mac_limit", "out of range [0, 64]" },
	/* lcores. */
	{ "lcores_too_few", "eal:\n  lcores: \"0\"\n" PORTS, 2, 11,
	  "eal.lcores", "'0' gives 1 lcore; 1 worker needs 2" },
	{ "lcores_too_few_workers",
	  "datapath:\n  workers: 3\neal:\n  lcores: 0-2\n" PORTS, 4, 11,
	  "eal.lcores", "3 workers need 4" },
	{ "lcores_syntax", "eal:\n  lcores: 0-\n" PORTS, 2, 11, "eal.lcores",
	  "'0-' is not an lcore list" },
	{ "lcores_too_high", "eal:\n  lcores: 0-200\n" PORTS, 2, 11,
	  "eal.lcores", "not an lcore list" },
	{ "lcores_backwards", "eal:\n  lcores: 3-1\n" PORTS, 2, 11, "eal.lcores",
	  "not an lcore list" },
	/* EAL arguments, control. */
	{ "eal_arg_reserved",
	  "eal:\n  args: [\"--file-prefix=x\"]\n" PORTS, 2, 10, "eal.args[0]",
	  "set by the eal section's own keys" },
	{ "eal_arg_reserved_short", "eal:\n  args: [-l, 0-3]\n" PORTS, 2, 10,
	  "eal.args[0]", "set by the eal section's own keys" },
	{ "eal_arg_empty", "eal:\n  args: [\"-v\", \"\"]\n" PORTS, 2, 16,
	  "eal.args[1]", "cannot be empty" },
	{ "eal_args_too_many",
	  "eal:\n  args: [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q]\n"
	  PORTS, 2, 9, "eal.args", "17 arguments; at most 16" },
	{ "eal_file_prefix_name", "eal:\n  file_prefix: a/b\n" PORTS, 2, 16,
	  "eal.file_prefix", "character 2 (0x2f) is not allowed" },
	{ "control_socket_too_long",
	  "control:\n  socket: /run/"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\n" PORTS,
	  2, 11, "control.socket", "too long (at most 107 characters)" },
	{ "control_token_empty", "control:\n  token: \"\"\n" PORTS, 2, 10,
	  "control.token", "empty token" },
	/* Choices. */
	{ "clock", "fdb:\n  clock: wall\n" PORTS, 2, 10, "fdb.clock",
	  "'wall' is not a clock (expected system or manual)" },
	{ "admin",
	  "ports:\n  - name: p0\n    devargs: net_null0\n    admin: sideways\n",
	  4, 12, "ports[0].admin",
	  "'sideways' is not an admin state (expected up or down)" },
	/* Names. */
	{ "name_space", "ports:\n  - name: \"p 0\"\n    devargs: net_null0\n", 2,
	  11, "ports[0].name", "character 2 (0x20) is not allowed in a name" },
	{ "name_nul", "ports:\n  - name: \"p0\\0x\"\n    devargs: net_null0\n", 2,
	  11, "ports[0].name", "contains a NUL character" },
	{ "name_empty", "ports:\n  - name: \"\"\n    devargs: net_null0\n", 2,
	  11, "ports[0].name", "a name cannot be empty" },
	{ "name_too_long",
	  "ports:\n  - name: "
	  "p234567890123456789012345678901234567890123456789012345678901234\n"
	  "    devargs: net_null0\n",
	  2, 11, "ports[0].name", "too long (at most 63 characters)" },
	{ "name_bd",
	  PORTS "bridge_domains:\n  - name: b:1\n    members: []\n", 7, 11,
	  "bridge_domains[0].name", "character 2 (0x3a)" },
	{ "name_member_port",
	  PORTS "bridge_domains:\n  - name: b\n    members: [{port: \"p*\"}]\n",
	  8, 22, "bridge_domains[0].members[0].port", "(0x2a) is not allowed" },
	/* Required keys. */
	{ "missing_ports", "fdb:\n  capacity: 100\n", 1, 1, "ports",
	  "missing required key 'ports'" },
	{ "no_ports", "ports: []\n", 1, 8, "ports",
	  "at least one port is required" },
	{ "missing_port_name", "ports:\n  - devargs: net_null0\n", 2, 5,
	  "ports[0].name", "missing required key 'name'" },
	{ "missing_devargs", "ports:\n  - name: p0\n", 2, 5, "ports[0].devargs",
	  "missing required key 'devargs'" },
	{ "missing_bd_name", PORTS "bridge_domains:\n  - members: []\n", 7, 5,
	  "bridge_domains[0].name", "missing required key 'name'" },
	{ "missing_members", PORTS "bridge_domains:\n  - name: b\n", 7, 5,
	  "bridge_domains[0].members", "missing required key 'members'" },
	{ "missing_member_port",
	  PORTS "bridge_domains:\n  - name: b\n    members:\n      - vid: 3\n",
	  9, 9, "bridge_domains[0].members[0].port",
	  "missing required key 'port'" },
	{ "missing_static_mac",
	  PORTS "bridge_domains:\n  - name: b\n    members: [{port: p0}]\n"
		"    static_macs:\n      - port: p0\n",
	  10, 9, "bridge_domains[0].static_macs[0].mac",
	  "missing required key 'mac'" },
	/* Ports. */
	{ "duplicate_port_name",
	  "ports:\n  - name: p0\n    devargs: net_null0\n"
	  "  - name: p0\n    devargs: net_null1\n",
	  4, 11, "ports[1].name", "duplicate port name 'p0' (also ports[0])" },
	{ "duplicate_device",
	  "ports:\n  - name: p0\n    devargs: net_null0\n"
	  "  - name: p1\n    devargs: net_null0,size=64\n",
	  5, 14, "ports[1].devargs",
	  "device 'net_null0' is already used by port 'p0'" },
	{ "devargs_no_device",
	  "ports:\n  - name: p0\n    devargs: \",x=1\"\n", 3, 14,
	  "ports[0].devargs", "does not start with a device name" },
	{ "too_many_ports",
	  "ports: ["
	  "{name: a0, devargs: a0}, {name: a1, devargs: a1}, "
	  "{name: a2, devargs: a2}, {name: a3, devargs: a3}, "
	  "{name: a4, devargs: a4}, {name: a5, devargs: a5}, "
	  "{name: a6, devargs: a6}, {name: a7, devargs: a7}, "
	  "{name: a8, devargs: a8}, {name: a9, devargs: a9}, "
	  "{name: b0, devargs: b0}, {name: b1, devargs: b1}, "
	  "{name: b2, devargs: b2}, {name: b3, devargs: b3}, "
	  "{name: b4, devargs: b4}, {name: b5, devargs: b5}, "
	  "{name: b6, devargs: b6}, {name: b7, devargs: b7}, "
	  "{name: b8, devargs: b8}, {name: b9, devargs: b9}, "
	  "{name: c0, devargs: c0}, {name: c1, devargs: c1}, "
	  "{name: c2, devargs: c2}, {name: c3, devargs: c3}, "
	  "{name: c4, devargs: c4}, {name: c5, devargs: c5}, "
	  "{name: c6, devargs: c6}, {name: c7, devargs: c7}, "
	  "{name: c8, devargs: c8}, {name: c9, devargs: c9}, "
	  "{name: d0, devargs: d0}, {name: d1, devargs: d1}, "
	  "{name: d2, devargs: d2}, {name: d3, devargs: d3}, "
	  "{name: d4, devargs: d4}, {name: d5, devargs: d5}, "
	  "{name: d6, devargs: d6}, {name: d7, devargs: d7}, "
	  "{name: d8, devargs: d8}, {name: d9, devargs: d9}, "
	  "{name: e0, devargs: e0}, {name: e1, devargs: e1}, "
	  "{name: e2, devargs: e2}, {name: e3, devargs: e3}, "
	  "{name: e4, devargs: e4}, {name: e5, devargs: e5}, "
	  "{name: e6, devargs: e6}, {name: e7, devargs: e7}, "
	  "{name: e8, devargs: e8}, {name: e9, devargs: e9}, "
	  "{name: f0, devargs: f0}, {name: f1, devargs: f1}, "
	  "{name: f2, devargs: f2}, {name: f3, devargs: f3}, "
	  "{name: f4, devargs: f4}, {name: f5, devargs: f5}, "
	  "{name: f6, devargs: f6}, {name: f7, devargs: f7}, "
	  "{name: f8, devargs: f8}, {name: f9, devargs: f9}, "
	  "{name: g0, devargs: g0}, {name: g1, devargs: g1}, "
	  "{name: g2, devargs: g2}, {name: g3, devargs: g3}, "
	  "{name: g4, devargs: g4}]\n",
	  1, 8, "ports", "65 ports; at most 64" },
	/* Bridge domains. */
	{ "duplicate_bd_name",
	  PORTS "bridge_domains:\n  - name: b\n    members: []\n"
		"  - name: b\n    members: []\n",
	  9, 11, "bridge_domains[1].name",
	  "duplicate bridge domain name 'b' (also bridge_domains[0])" },
	{ "duplicate_bd_id",
	  PORTS "bridge_domains:\n  - {name: a, id: 7, members: []}\n"
		"  - {name: b, id: 7, members: []}\n",
	  8, 19, "bridge_domains[1].id",
	  "bridge domain id 7 is already used by 'a'" },
	{ "member_port_unknown",
	  PORTS "bridge_domains:\n  - name: b\n    members:\n"
		"      - port: p9\n",
	  9, 15, "bridge_domains[0].members[0].port",
	  "port 'p9' is not defined in ports" },
	{ "member_in_two_bds",
	  PORTS "bridge_domains:\n  - name: a\n    members: [{port: p0}]\n"
		"  - name: b\n    members:\n      - port: p1\n"
		"      - port: p0\n",
	  12, 15, "bridge_domains[1].members[1].port",
	  "port 'p0' vid 0 is already a member of bridge domain 'a'" },
	{ "member_twice_in_bd",
	  PORTS "bridge_domains:\n  - name: a\n    members:\n"
		"      - {port: p1, vid: 7}\n      - {port: p1, vid: 7}\n",
	  10, 16, "bridge_domains[0].members[1].port",
	  "port 'p1' vid 7 is listed twice in this bridge domain" },
	{ "static_mac_bad",
	  PORTS "bridge_domains:\n  - name: a\n    members: [{port: p0}]\n"
		"    static_macs:\n      - {mac: \"02:00:00:00:00\", port: p0}\n",
	  10, 15, "bridge_domains[0].static_macs[0].mac",
	  "'02:00:00:00:00' is not a MAC address" },
	{ "static_mac_bad_digit",
	  PORTS "bridge_domains:\n  - name: a\n    members: [{port: p0}]\n"
		"    static_macs:\n      - {mac: \"02:00:00:00:00:0g\", port: p0}\n",
	  10, 15, "bridge_domains[0].static_macs[0].mac", "is not a MAC address" },
	{ "static_mac_multicast",
	  PORTS "bridge_domains:\n  - name: a\n    members: [{port: p0}]\n"
		"    static_macs:\n      - {mac: \"01:00:5e:00:00:01\", port: p0}\n",
	  10, 15, "bridge_domains[0].static_macs[0].mac",
	  "01:00:5e:00:00:01 is a multicast address; static MACs must be "
	  "unicast" },
	{ "static_mac_broadcast",
	  PORTS "bridge_domains:\n  - name: a\n    members: [{port: p0}]\n"
		"    static_macs:\n      - {mac: \"ff:ff:ff:ff:ff:ff\", port: p0}\n",
	  10, 15, "bridge_domains[0].static_macs[0].mac", "multicast" },
	{ "static_mac_zero",
	  PORTS "bridge_domains:\n  - name: a\n    members: [{port: p0}]\n"
		"    static_macs:\n      - {mac: \"00:00:00:00:00:00\", port: p0}\n",
	  10, 15, "bridge_domains[0].static_macs[0].mac",
	  "not a station address" },
	{ "static_mac_not_member",
	  PORTS "bridge_domains:\n  - name: a\n    members: [{port: p0}]\n"
		"  - name: b\n    members: [{port: p1}]\n"
		"    static_macs:\n      - mac: \"02:00:00:00:00:01\"\n"
		"        port: p0\n",
	  13, 15, "bridge_domains[1].static_macs[0].port",
	  "port 'p0' vid 0 is not a member of bridge domain 'b'" },
	{ "static_mac_wrong_vid",
	  PORTS "bridge_domains:\n  - name: a\n    members: [{port: p0}]\n"
		"    static_macs:\n      - {mac: \"02:00:00:00:00:01\", port: p0,"
		" vid: 5}\n",
	  10, 42, "bridge_domains[0].static_macs[0].port",
	  "port 'p0' vid 5 is not a member of bridge domain 'a'" },
	{ "static_mac_port_unknown",
	  PORTS "bridge_domains:\n  - name: a\n    members: [{port: p0}]\n"
		"    static_macs:\n      - {mac: \"02:00:00:00:00:01\", port: p7}\n",
	  10, 42, "bridge_domains[0].static_macs[0].port",
	  "port 'p7' is not defined in ports" },
	{ "static_mac_duplicate",
	  PORTS "bridge_domains:\n  - name: a\n    members: [{port: p0}, {port: p1}]\n"
		"    static_macs:\n      - {mac: \"02:00:00:00:00:01\", port: p0}\n"
		"      - {mac: \"02:00:00:00:00:01\", port: p1}\n",
	  11, 15, "bridge_domains[0].static_macs[1].mac",
	  "static MAC 02:00:00:00:00:01 is listed twice in bridge domain 'a' "
	  "(also static_macs[0])" },
	{ "static_mac_duplicate_case",
	  PORTS "bridge_domains:\n  - name: a\n    members: [{port: p0}]\n"
		"    static_macs:\n      - {mac: \"02:00:00:00:00:0a\", port: p0}\n"
		"      - {mac: \"02:00:00:00:00:0A\", port: p0}\n",
	  11, 15, "bridge_domains[0].static_macs[1].mac", "listed twice" },
	{ "static_macs_over_capacity",
	  "fdb:\n  capacity: 8\n" PORTS
	  "bridge_domains:\n  - name: a\n    members: [{port: p0}]\n"
	  "    static_macs:\n"
	  "      - {mac: \"02:00:00:00:00:01\", port: p0}\n"
	  "      - {mac: \"02:00:00:00:00:02\", port: p0}\n"
	  "      - {mac: \"02:00:00:00:00:03\", port: p0}\n"
	  "      - {mac: \"02:00:00:00:00:04\", port: p0}\n"
	  "      - {mac: \"02:00:00:00:00:05\", port: p0}\n"
	  "      - {mac: \"02:00:00:00:00:06\", port: p0}\n"
	  "      - {mac: \"02:00:00:00:00:07\", port: p0}\n"
	  "      - {mac: \"02:00:00:00:00:08\", port: p0}\n"
	  "      - {mac: \"02:00:00:00:00:09\", port: p0}\n",
	  20, 42, "bridge_domains[0].static_macs[8].port",
	  "more static MACs than fdb.capacity (8)" },
};

static void check_error(const struct load_error *error,
			const struct error_case *expected, const char *file)
{
	char buf[1024];
	load_error_format(error, buf, sizeof(buf));
	print_message("# %s: %s\n", expected->name, buf);
	assert_string_equal(error->file, file);
	assert_int_equal(error->line, expected->line);
	assert_int_equal(error->column, expected->column);
	assert_string_equal(error->field, expected->field);
	if (!strstr(error->message, expected->fragment)) {
		print_error("message '%s' lacks '%s'\n", error->message,
			    expected->fragment);
		fail();
	}
}

static void assert_empty(const struct switch_config *c)
{
	struct switch_config fresh;
	switch_config_init(&fresh);
	assert_int_equal(c->n_ports, 0);
	assert_null(c->ports);
	assert_int_equal(c->n_bds, 0);
	assert_null(c->bds);
	assert_true(switch_config_equal(c, &fresh));
}

static void test_yaml_error(void **state)
{
	const struct error_case *expected = *state;
	struct switch_config c;
	struct load_error error;
	memset(&error, 0, sizeof(error));
	/* Garbage in the output must not matter: it is treated as raw. */
	memset(&c, 0xa5, sizeof(c));
	int rc = switch_config_load_yaml(&c, "bad.yaml", expected->text,
					 strlen(expected->text), &error);
	assert_int_equal(rc, -1);
	check_error(&error, expected, "bad.yaml");
	assert_empty(&c);
	switch_config_free(&c);
}

/* ---- JSON ---------------------------------------------------------------- */

#define JSON_PORTS                                                             \
	"\"ports\": [{\"name\": \"p0\", \"devargs\": \"net_null0\"},"          \
	" {\"name\": \"p1\", \"devargs\": \"net_null1\"}]"

static const struct error_case json_errors[] = {
	{ "json_not_object", "[]", 0, 0, "", "expected an object, found an array" },
	{ "json_eal", "{\"eal\": {}, " JSON_PORTS "}", 0, 0, "eal",
	  "process-level settings cannot be applied" },
	{ "json_datapath", "{" JSON_PORTS ", \"datapath\": {\"workers\": 2}}", 0,
	  0, "datapath", "process-level" },
	{ "json_control", "{\"control\": {}}", 0, 0, "control", "process-level" },
	{ "json_unknown_key", "{" JSON_PORTS ", \"bridges\": []}", 0, 0, "",
	  "unknown key 'bridges'" },
	{ "json_unknown_nested",
	  "{\"ports\": [{\"name\": \"p0\", \"devargs\": \"d\", \"speed\": 1}]}", 0,
	  0, "ports[0]", "unknown key 'speed'" },
	{ "json_missing_ports", "{\"fdb\": {}}", 0, 0, "ports",
	  "missing required key 'ports'" },
	{ "json_no_ports", "{\"ports\": []}", 0, 0, "ports",
	  "at least one port is required" },
	{ "json_ports_type", "{\"ports\": {}}", 0, 0, "ports",
	  "expected an array, found an object" },
	{ "json_port_type", "{\"ports\": [\"p0\"]}", 0, 0, "ports[0]",
	  "expected an object, found a string" },
	{ "json_name_type", "{\"ports\": [{\"name\": 7, \"devargs\": \"d\"}]}", 0,
	  0, "ports[0].name", "expected a string, found an integer" },
	{ "json_name_nul",
	  "{\"ports\": [{\"name\": \"p\\u00000\", \"devargs\": \"d\"}]}", 0, 0,
	  "ports[0].name", "NUL character" },
	{ "json_integer_as_string",
	  "{" JSON_PORTS ", \"bridge_domains\": [{\"name\": \"b\", \"members\":"
	  " [{\"port\": \"p0\", \"vid\": \"5\"}]}]}",
	  0, 0, "bridge_domains[0].members[0].vid",
	  "expected a non-negative integer, found a string" },
	{ "json_real",
	  "{\"ports\": [{\"name\": \"p0\", \"devargs\": \"d\", \"mtu\": 1500.0}]}",
	  0, 0, "ports[0].mtu", "found a real number" },
	{ "json_negative",
	  "{" JSON_PORTS ", \"bridge_domains\": [{\"name\": \"b\", \"members\":"
	  " [{\"port\": \"p0\", \"vid\": -1}]}]}",
	  0, 0, "bridge_domains[0].members[0].vid", "-1 is out of range [0, 4094]" },
	{ "json_bool_type",
	  "{" JSON_PORTS ", \"bridge_domains\": [{\"name\": \"b\", \"learning\":"
	  " \"yes\", \"members\": []}]}",
	  0, 0, "bridge_domains[0].learning",
	  "expected true or false, found a string" },
	{ "json_null_members",
	  "{" JSON_PORTS ", \"bridge_domains\": [{\"name\": \"b\", \"members\":"
	  " null}]}",
	  0, 0, "bridge_domains[0].members", "expected an array, found null" },
	{ "json_clock", "{\"fdb\": {\"clock\": \"tsc\"}, " JSON_PORTS "}", 0, 0,
	  "fdb.clock", "'tsc' is not a clock" },
	{ "json_member_port_unknown",
	  "{" JSON_PORTS ", \"bridge_domains\": ["
	  "{\"name\": \"a\", \"members\": []}, {\"name\": \"b\", \"members\": []},"
	  "{\"name\": \"c\", \"members\": [{\"port\": \"p9\"}]}]}",
	  0, 0, "bridge_domains[2].members[0].port",
	  "port 'p9' is not defined in ports" },
	{ "json_member_in_two_bds",
	  "{" JSON_PORTS ", \"bridge_domains\": ["
	  "{\"name\": \"a\", \"members\": [{\"port\": \"p1\", \"vid\": 9}]},"
	  "{\"name\": \"b\", \"members\": [{\"port\": \"p1\", \"vid\": 9}]}]}",
	  0, 0, "bridge_domains[1].members[0].port",
	  "port 'p1' vid 9 is already a member of bridge domain 'a'" },
	{ "json_static_mac_multicast",
	  "{" JSON_PORTS ", \"bridge_domains\": [{\"name\": \"a\", \"members\":"
	  " [{\"port\": \"p0\"}], \"static_macs\": [{\"mac\": \"33:33:00:00:00:01\","
	  " \"port\": \"p0\"}]}]}",
	  0, 0, "bridge_domains[0].static_macs[0].mac", "multicast" },
	{ "json_limit_below_base",
	  "{\"fdb\": {\"capacity\": 100}, " JSON_PORTS "}", 0, 0, "fdb.capacity",
	  "100 is below fdb.limit (1000)" },
};

static void test_json_error(void **state)
{
	const struct error_case *expected = *state;
	json_error_t parse_error;
	json_t *json = json_loads(expected->text, JSON_REJECT_DUPLICATES |
							  JSON_ALLOW_NUL,
				  &parse_error);
	if (!json)
		print_error("bad test JSON: %s\n", parse_error.text);
	assert_non_null(json);
	struct switch_config base, c;
	switch_config_init(&base);
	base.fdb.limit = 1000; /* for json_limit_below_base */
	memset(&c, 0x5a, sizeof(c));
	struct load_error error = { 0 };
	assert_int_equal(switch_config_from_json(&c, &base, json, &error), -1);
	check_error(&error, expected, "apply");
	assert_empty(&c);
	json_decref(json);
	switch_config_free(&base);
}

static void test_json_null(void **state)
{
	(void)state;
	struct switch_config c;
	struct load_error error;
	assert_int_equal(switch_config_from_json(&c, NULL, NULL, &error), -1);
	assert_string_equal(error.message, "expected an object, found nothing");
	assert_empty(&c);
}

/* ---- Round trips, copy --------------------------------------------------- */

static void test_round_trip(void **state)
{
	(void)state;
	struct switch_config x, y, z;
	struct load_error error;
	load_ok(&x, full_yaml);

	json_t *json = switch_config_to_json(&x);
	assert_non_null(json);
	/* The shape apply takes: spot checks of every kind of value. */
	assert_null(json_object_get(json, "eal"));
	assert_null(json_object_get(json, "datapath"));
	assert_null(json_object_get(json, "control"));
	json_t *fdb = json_object_get(json, "fdb");
	assert_int_equal(json_integer_value(json_object_get(fdb, "capacity")), 4096);
	assert_string_equal(json_string_value(json_object_get(fdb, "clock")),
			    "manual");
	json_t *port1 = json_array_get(json_object_get(json, "ports"), 1);
	assert_string_equal(json_string_value(json_object_get(port1, "admin")),
			    "down");
	json_t *bds = json_object_get(json, "bridge_domains");
	assert_int_equal(json_array_size(bds), 2);
	json_t *bd1 = json_array_get(bds, 0);
	assert_int_equal(json_integer_value(json_object_get(bd1, "id")), 10);
	assert_true(json_is_false(json_object_get(bd1, "learning")));
	json_t *mac = json_object_get(
		json_array_get(json_object_get(bd1, "static_macs"), 1), "mac");
	assert_string_equal(json_string_value(mac), "0a:bc:00:00:00:02");
	assert_null(json_object_get(json_array_get(bds, 1), "id"));

	/* Through the JSON text, as the control socket sees it. */
	char *text = json_dumps(json, JSON_COMPACT);
	json_decref(json);
	assert_non_null(text);
	json_t *parsed = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	free(text);
	assert_non_null(parsed);
	assert_int_equal(switch_config_from_json(&y, &x, parsed, &error), 0);
	json_decref(parsed);
	assert_true(switch_config_equal(&x, &y));

	/* Without a base the process level is the defaults, the rest equal. */
	json = switch_config_to_json(&x);
	assert_int_equal(switch_config_from_json(&z, NULL, json, &error), 0);
	assert_false(switch_config_equal(&x, &z));
	assert_int_equal(z.datapath.workers, 1);
	assert_int_equal(z.fdb.capacity, 4096);
	json_t *again = switch_config_to_json(&z);
	assert_true(json_equal(json, again));
	json_decref(again);
	json_decref(json);

	/* A change anywhere breaks equality. */
	y.bds[0].static_macs[1].mac[5] ^= 1;
	assert_false(switch_config_equal(&x, &y));
	switch_config_free(&x);
	switch_config_free(&y);
	switch_config_free(&z);
}

static void test_json_fdb_from_base(void **state)
{
	(void)state;
	struct switch_config base, c;
	struct load_error error;
	switch_config_init(&base);
	base.fdb.capacity = 1024;
	base.fdb.clock = FDB_CLOCK_MANUAL;
	json_t *json = json_loads("{" JSON_PORTS ", \"fdb\": {\"age_seconds\": 5}}",
				  0, NULL);
	assert_int_equal(switch_config_from_json(&c, &base, json, &error), 0);
	assert_int_equal(c.fdb.capacity, 1024);
	assert_int_equal(c.fdb.clock, FDB_CLOCK_MANUAL);
	assert_int_equal(c.fdb.age_seconds, 5);
	assert_int_equal(c.n_ports, 2);
	assert_int_equal(c.n_bds, 0);
	json_decref(json);
	switch_config_free(&c);
	switch_config_free(&base);
}

static void test_copy(void **state)
{
	(void)state;
	struct switch_config x, y, empty, empty_copy;
	load_ok(&x, full_yaml);
	assert_int_equal(switch_config_copy(&y, &x), 0);
	assert_true(switch_config_equal(&x, &y));
	/* Deep: the copies share no array. */
	assert_ptr_not_equal(x.ports, y.ports);
	assert_ptr_not_equal(x.bds[0].members, y.bds[0].members);
	assert_ptr_not_equal(x.bds[0].static_macs, y.bds[0].static_macs);
	y.bds[0].members[1].vid = 101;
	assert_int_equal(x.bds[0].members[1].vid, 100);
	assert_false(switch_config_equal(&x, &y));
	switch_config_free(&x);
	/* y outlives x (ASan would see a use after free). */
	assert_string_equal(y.bds[1].members[0].port, "p0");
	switch_config_free(&y);

	switch_config_init(&empty);
	assert_int_equal(switch_config_copy(&empty_copy, &empty), 0);
	assert_true(switch_config_equal(&empty, &empty_copy));
	switch_config_free(&empty_copy);
}

static void test_assign_bd_ids(void **state)
{
	(void)state;
	struct switch_config previous, c;
	load_ok(&previous, PORTS "bridge_domains:\n"
				 "  - {name: a, members: []}\n"
				 "  - {name: b, id: 5, members: []}\n"
				 "  - {name: c, members: []}\n");
	assert_int_equal(switch_config_assign_bd_ids(&previous, NULL), 0);
	assert_int_equal(previous.bds[0].id, 1);
	assert_int_equal(previous.bds[1].id, 5);
	assert_int_equal(previous.bds[2].id, 2);

	/* c keeps 2; a's old id 1 is now claimed explicitly by d; new e and a
	 * get the lowest free ids. */
	load_ok(&c, PORTS "bridge_domains:\n"
			  "  - {name: e, members: []}\n"
			  "  - {name: c, members: []}\n"
			  "  - {name: d, id: 1, members: []}\n"
			  "  - {name: a, members: []}\n");
	assert_int_equal(switch_config_assign_bd_ids(&c, &previous), 0);
	assert_int_equal(c.bds[0].id, 3);
	assert_int_equal(c.bds[1].id, 2);
	assert_int_equal(c.bds[2].id, 1);
	assert_int_equal(c.bds[3].id, 4);
	switch_config_free(&c);
	switch_config_free(&previous);
}

/* Many BDs through JSON: the limits, and the checks stay fast (the
 * duplicate checks are hashed, not pairwise). */
static json_t *many_bds(size_t count)
{
	json_t *ports = json_array();
	for (int i = 0; i < 8; i++) {
		char name[16], devargs[32];
		snprintf(name, sizeof(name), "p%d", i);
		snprintf(devargs, sizeof(devargs), "net_null%d", i);
		json_array_append_new(ports, json_pack("{s:s, s:s}", "name",
						       name, "devargs", devargs));
	}
	json_t *bds = json_array();
	for (size_t i = 0; i < count; i++) {
		char name[32], port[16];
		snprintf(name, sizeof(name), "bd%zu", i);
		snprintf(port, sizeof(port), "p%zu", i % 8);
		json_array_append_new(
			bds, json_pack("{s:s, s:[{s:s, s:i}], s:[{s:s, s:s, s:i}]}",
				       "name", name, "members", "port", port,
				       "vid", (int)(i / 8 + 1), "static_macs",
				       "mac", "02:00:00:00:00:01", "port", port,
				       "vid", (int)(i / 8 + 1)));
	}
	return json_pack("{s:o, s:o}", "ports", ports, "bridge_domains", bds);
}

static void test_many_bds(void **state)
{
	(void)state;
	struct switch_config c;
	struct load_error error;
	json_t *json = many_bds(SWITCH_MAX_BD);
	assert_int_equal(switch_config_from_json(&c, NULL, json, &error), 0);
	assert_int_equal(c.n_bds, SWITCH_MAX_BD);
	assert_int_equal(switch_config_assign_bd_ids(&c, NULL), 0);
	assert_int_equal(c.bds[SWITCH_MAX_BD - 1].id, SWITCH_MAX_BD);
	json_t *again = switch_config_to_json(&c);
	json_t *last = json_array_get(json_object_get(again, "bridge_domains"),
				      SWITCH_MAX_BD - 1);
	assert_int_equal(json_integer_value(json_object_get(last, "id")),
			 SWITCH_MAX_BD);
	json_decref(again);
	json_decref(json);
	switch_config_free(&c);

	json = many_bds(SWITCH_MAX_BD + 1);
	assert_int_equal(switch_config_from_json(&c, NULL, json, &error), -1);
	assert_string_equal(error.field, "bridge_domains");
	assert_non_null(strstr(error.message, "16384 bridge domains; at most 16383"));
	json_decref(json);
}

/* ---- Files --------------------------------------------------------------- */

static void test_load_file(void **state)
{
	(void)state;
	char path[] = "/tmp/test_switch_config_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	static const char text[] = PORTS "fdb:\n  clock: wall\n";
	assert_int_equal(write(fd, text, sizeof(text) - 1), sizeof(text) - 1);
	close(fd);

	struct switch_config c;
	struct load_error error;
	assert_int_equal(switch_config_load_file(&c, path, &error), -1);
	assert_string_equal(error.file, path);
	assert_int_equal(error.line, 7);
	assert_int_equal(error.column, 10);
	assert_string_equal(error.field, "fdb.clock");
	char buf[1024], expected[1024];
	load_error_format(&error, buf, sizeof(buf));
	snprintf(expected, sizeof(expected),
		 "%s:7:10: fdb.clock: 'wall' is not a clock (expected system or "
		 "manual)",
		 path);
	assert_string_equal(buf, expected);
	assert_empty(&c);
	unlink(path);

	assert_int_equal(switch_config_load_file(&c, path, &error), -1);
	assert_string_equal(error.file, path);
	assert_int_equal(error.line, 0);
	assert_non_null(strstr(error.message, "cannot open"));
	assert_empty(&c);
}

/* Every example under datapath/examples loads. */
static void test_examples(void **state)
{
	(void)state;
	const char *source = getenv("LOOM_SOURCE_DIR");
	assert_non_null(source);
	char dir_path[1024];
	snprintf(dir_path, sizeof(dir_path), "%s/datapath/examples", source);
	DIR *dir = opendir(dir_path);
	assert_non_null(dir);
	struct dirent *entry;
	unsigned loaded = 0;
	while ((entry = readdir(dir))) {
		size_t length = strlen(entry->d_name);
		if (length < 5 || strcmp(entry->d_name + length - 5, ".yaml"))
			continue;
		char path[2048];
		snprintf(path, sizeof(path), "%s/%s", dir_path, entry->d_name);
		struct switch_config c;
		struct load_error error;
		int rc = switch_config_load_file(&c, path, &error);
		if (rc) {
			char buf[1024];
			load_error_format(&error, buf, sizeof(buf));
			print_error("%s\n", buf);
		}
		assert_int_equal(rc, 0);
		assert_true(c.n_ports > 0);
		switch_config_free(&c);
		loaded++;
	}
	closedir(dir);
	assert_true(loaded >= 2);
}

/* Row names tell TAP cases apart: they must be unique across the tables. */
/* eal.lcores also takes EAL's --lcores form, which maps several lcores
 * to one CPU: two workers on a two-CPU machine. */
static void test_lcores_mapped(void **state)
{
	(void)state;
	static const char *const good[] = { "0@0,1@1,2@0", "(0-2)@(0-1)",
					    "0,1@1,2@(0-1)", "0-1,2" };
	static const char *const bad[] = { "0@", "(0-2", "0@(0-1", "a@0",
					   "0@0,,1", "(0-2)@(0-1),3@x" };
	char text[256];
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct switch_config c;
		snprintf(text, sizeof(text),
			 "eal: {lcores: \"%s\"}\ndatapath: {workers: 2}\n"
			 "ports: [{name: p0, devargs: net_null0}]\n", good[i]);
		load_ok(&c, text);
		assert_string_equal(c.eal.lcores, good[i]);
		switch_config_free(&c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct switch_config c;
		struct load_error error = { 0 };
		snprintf(text, sizeof(text),
			 "eal: {lcores: \"%s\"}\n"
			 "ports: [{name: p0, devargs: net_null0}]\n", bad[i]);
		assert_int_equal(switch_config_load_yaml(&c, "t.yaml", text,
							 strlen(text), &error),
				 -1);
		assert_string_equal(error.field, "eal.lcores");
	}
}

static void test_tables_well_formed(void **state)
{
	(void)state;
	const struct error_case *rows[ARRAY_SIZE(yaml_errors) +
				      ARRAY_SIZE(json_errors)];
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(yaml_errors); i++)
		rows[n++] = &yaml_errors[i];
	for (size_t i = 0; i < ARRAY_SIZE(json_errors); i++)
		rows[n++] = &json_errors[i];
	for (size_t i = 0; i < n; i++) {
		assert_non_null(rows[i]->fragment);
		assert_true(rows[i]->fragment[0] != '\0');
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(rows[i]->name, rows[j]->name);
	}
}

#define FIXED_TESTS 12

int main(void)
{
	struct CMUnitTest tests[FIXED_TESTS + ARRAY_SIZE(yaml_errors) +
				ARRAY_SIZE(json_errors)] = {
		cmocka_unit_test(test_tables_well_formed),
		cmocka_unit_test(test_lcores_mapped),
		cmocka_unit_test(test_full_example),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_json_null),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_json_fdb_from_base),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_assign_bd_ids),
		cmocka_unit_test(test_many_bds),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_examples),
	};
	/* One TAP case per table row, named after it. */
	size_t n = FIXED_TESTS;
	for (size_t i = 0; i < ARRAY_SIZE(yaml_errors); i++, n++) {
		tests[n] = (struct CMUnitTest)cmocka_unit_test_prestate(
			test_yaml_error, (void *)&yaml_errors[i]);
		tests[n].name = yaml_errors[i].name;
	}
	for (size_t i = 0; i < ARRAY_SIZE(json_errors); i++, n++) {
		tests[n] = (struct CMUnitTest)cmocka_unit_test_prestate(
			test_json_error, (void *)&json_errors[i]);
		tests[n].name = json_errors[i].name;
	}
	return cmocka_run_group_tests_name("switch_config", tests, NULL, NULL);
}

/* The control socket: a Unix stream socket speaking newline-delimited JSON.
 *
 * A request is one JSON object on one line:
 *   {"command": "bd-add", "token": "...", ...arguments}
 * and gets one reply line:
 *   {"ok": true, "result": ...}   or   {"ok": false, "error": "why"}
 * Several requests may share a connection. Commands are listed once in an
 * X-macro table with their help text; each handler validates its own
 * arguments. Changes go through switch_apply, so they are atomic: a request
 * that fails changes nothing. Malformed or unauthorized requests get an
 * error reply and the switch keeps forwarding: the workers never wait for
 * this thread except during a grace period.
 *
 * The control loop (control_loop) is the main lcore's life: it multiplexes
 * the socket, a signalfd for SIGINT/SIGTERM, the one-second tick (clock,
 * aging, link state) and the capture writer.
 */
#include "datapath.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_version.h>

#define CONTROL_MAX_CLIENTS 64
#define CONTROL_MAX_REQUEST (16u << 20)

typedef json_t *(*command_handler)(struct loom_switch *sw, json_t *request,
				   char *err, size_t err_size);

#define foreach_control_command                                                \
	_(help, "list the commands")                                           \
	_(version, "loom-switch version")                                      \
	_(show_config, "the running desired state, in the shape apply takes")  \
	_(show_ports, "ports: device, queues, link, admin state, counters")    \
	_(show_bridge_domains, "bridge domains, members and counters")         \
	_(counters, "every counter: drops by reason, ports, BDs, members, "    \
		    "workers")                                                 \
	_(counters_clear, "not supported: counters only grow; take deltas")    \
	_(workers, "per worker: packets, busy cycles per packet, idle sleeps") \
	_(pool, "the mbuf pool: size, available, in use (a leak shows here)") \
	_(apply, "converge to a full desired state: {config: {...}}")          \
	_(port_add, "add a port: {port: {name, devargs, ...}}")                \
	_(port_remove, "remove a port and its members: {name}")                \
	_(port_set, "set a port's admin state: {name, admin: up|down}")        \
	_(bd_add, "add a bridge domain: {bd: {name, members, ...}}")           \
	_(bd_remove, "remove a bridge domain: {name}")                         \
	_(member_add, "add a member: {bd, port, vid?} or {bd, tunnel, vni}, "  \
		      "with split_horizon?, policer?")                         \
	_(member_remove, "remove a member: {bd, port, vid?} or {bd, tunnel, "  \
			 "vni}")                                               \
	_(mac_add, "add a static MAC: {bd, mac, port, vid?}")                  \
	_(mac_remove, "remove a static MAC: {bd, mac}")                        \
	_(fdb_show, "FDB entries: {bd?, port?, vid?}")                         \
	_(fdb_flush, "flush learned entries: {bd?} or {bd, port, vid?}")       \
	_(fdb_stats, "FDB statistics")                                         \
	_(fdb_learn, "learn a MAC as if a frame came from it (it ages like any "\
		     "learned entry): {bd, mac, port, vid?}")                  \
	_(trace, "what the switch would do with a frame: {port, frame: hex}")  \
	_(capture_start, "mirror a port into a pcap: {port, file, "            \
			 "direction?: rx|tx|both, max_packets?, max_bytes?}")  \
	_(capture_stop, "stop a capture: {port}")                              \
	_(vtep_show, "the VTEP: underlay, routes, neighbours, tunnels")        \
	_(qemu_args, "QEMU arguments to attach a VM to a vhost-user port: "     \
		     "{port, memory_mb?, queues?, mac?, tcg?}")                 \
	_(clock_show, "the FDB clock, in seconds")                             \
	_(clock_advance, "advance the manual FDB clock: {seconds}")

#define _(name, text)                                                          \
	static json_t *command_##name(struct loom_switch *sw, json_t *request,  \
				      char *err, size_t err_size);
foreach_control_command
#undef _

static const struct control_command {
	const char *name;
	const char *help;
	command_handler handler;
} control_commands[] = {
#define _(name, text) { #name, text, command_##name },
	foreach_control_command
#undef _
};

#define N_COMMANDS (sizeof(control_commands) / sizeof(control_commands[0]))

/* Wire names use '-' where the C names use '_'. */
static bool command_name_matches(const char *wire, const char *c_name)
{
	for (; *wire && *c_name; wire++, c_name++) {
		char w = *wire == '-' ? '_' : *wire;
		if (w != *c_name)
			return false;
	}
	return *wire == '\0' && *c_name == '\0';
}

/* ---- argument helpers ---------------------------------------------------- */

static const char *arg_string(json_t *request, const char *key, bool required,
			      char *err, size_t err_size)
{
	json_t *value = json_object_get(request, key);
	if (!value) {
		if (required)
			snprintf(err, err_size, "missing argument '%s'", key);
		return NULL;
	}
	if (!json_is_string(value)) {
		snprintf(err, err_size, "argument '%s' must be a string", key);
		return NULL;
	}
	return json_string_value(value);
}

/* Reads an optional non-negative integer argument; -1 on a bad value. */
static int arg_uint(json_t *request, const char *key, uint64_t max,
		    uint64_t *out, char *err, size_t err_size)
{
	json_t *value = json_object_get(request, key);
	if (!value)
		return 0;
	if (!json_is_integer(value) || json_integer_value(value) < 0 ||
	    (uint64_t)json_integer_value(value) > max) {
		snprintf(err, err_size, "argument '%s' must be an integer 0..%llu",
			 key, (unsigned long long)max);
		return -1;
	}
	*out = (uint64_t)json_integer_value(value);
	return 0;
}

static int parse_mac(const char *text, uint8_t mac[6])
{
	unsigned b[6];
	char tail;
	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static json_t *mac_json(const struct rte_ether_addr *mac)
{
	char text[RTE_ETHER_ADDR_FMT_SIZE];
	rte_ether_format_addr(text, sizeof(text), mac);
	return json_string(text);
}

static json_t *counters_json(const uint64_t *values, const char *const *names,
			     unsigned n)
{
	json_t *object = json_object();
	for (unsigned i = 0; i < n; i++)
		json_object_set_new(object, names[i], json_integer((json_int_t)values[i]));
	return object;
}

/* Applies `config` (consumed) and returns a small result, or NULL+err. */
static json_t *apply_and_free(struct loom_switch *sw, struct switch_config *config,
			      char *err, size_t err_size)
{
	int rc = switch_apply(sw, config, err, err_size);
	switch_config_free(config);
	if (rc != 0)
		return NULL;
	return json_pack("{s:I}", "table_version", (json_int_t)sw->table_version);
}

/* Re-reads a modified config through the JSON loader so every semantic
 * check of the file format applies to piecemeal changes too. */
static json_t *apply_checked(struct loom_switch *sw, json_t *desired, char *err,
			     size_t err_size)
{
	struct switch_config config;
	struct load_error error;
	memset(&error, 0, sizeof(error));
	if (switch_config_from_json(&config, &sw->config, desired, &error) != 0) {
		snprintf(err, err_size, "%s%s%s", error.field,
			 error.field[0] ? ": " : "", error.message);
		return NULL;
	}
	return apply_and_free(sw, &config, err, err_size);
}

static json_t *find_named(json_t *array, const char *name, size_t *index)
{
	size_t i;
	json_t *item;
	json_array_foreach(array, i, item) {
		const char *n = json_string_value(json_object_get(item, "name"));
		if (n && strcmp(n, name) == 0) {
			if (index)
				*index = i;
			return item;
		}
	}
	return NULL;
}

/* ---- commands ------------------------------------------------------------- */

static json_t *command_help(struct loom_switch *sw, json_t *request, char *err,
			    size_t err_size)
{
	(void)sw, (void)request, (void)err, (void)err_size;
	json_t *list = json_object();
	for (size_t i = 0; i < N_COMMANDS; i++) {
		char wire[64];
		snprintf(wire, sizeof(wire), "%s", control_commands[i].name);
		for (char *c = wire; *c; c++)
			if (*c == '_')
				*c = '-';
		json_object_set_new(list, wire, json_string(control_commands[i].help));
	}
	return list;
}

static json_t *command_version(struct loom_switch *sw, json_t *request,
			       char *err, size_t err_size)
{
	(void)sw, (void)request, (void)err, (void)err_size;
	/* instance names this run of the switch: a controller that sees it
	 * change knows the switch restarted (empty) and re-applies. */
	static char instance[48];
	if (!instance[0]) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		snprintf(instance, sizeof(instance), "%d-%lld%09ld",
			 (int)getpid(), (long long)now.tv_sec, now.tv_nsec);
	}
	return json_pack("{s:s, s:s, s:s}", "loom_switch", LOOM_VERSION,
			 "dpdk", rte_version(), "instance", instance);
}

static json_t *command_show_config(struct loom_switch *sw, json_t *request,
				   char *err, size_t err_size)
{
	(void)request, (void)err, (void)err_size;
	return switch_config_to_json(&sw->config);
}

static json_t *command_show_ports(struct loom_switch *sw, json_t *request,
				  char *err, size_t err_size)
{
	(void)request, (void)err, (void)err_size;
	json_t *ports = json_array();
	for (uint16_t p = 0; p < VSWITCH_MAX_PORTS; p++) {
		struct switch_port *port = &sw->ports[p];
		if (!port->present)
			continue;
		const struct port_config *pc = switch_config_port(&sw->config, port->name);
		uint64_t counters[VSWITCH_PORT_COUNTER_MAX];
		switch_sum_port(sw, p, counters);
		struct rte_eth_stats stats;
		memset(&stats, 0, sizeof(stats));
		rte_eth_stats_get(port->port_id, &stats);
		struct rte_ether_addr mac;
		memset(&mac, 0, sizeof(mac));
		rte_eth_macaddr_get(port->port_id, &mac);
		json_array_append_new(ports, json_pack(
			"{s:s, s:i, s:i, s:s, s:s, s:o, s:s, s:b, s:i, s:i, s:i, s:o, s:{s:I, s:I, s:I}, s:o}",
			"name", port->name, "index", p, "port_id", port->port_id,
			"devargs", port->devargs, "device", port->device_name,
			"mac", mac_json(&mac),
			"admin", pc && pc->admin_up ? "up" : "down",
			"link_up", port->link.up, "link_speed", (int)port->link.speed,
			"rx_queues", port->n_rx_queues, "tx_queues", port->n_tx_queues,
			"counters", counters_json(counters, vswitch_port_counter_names,
						  VSWITCH_PORT_COUNTER_MAX),
			"device_stats", "rx_missed", (json_int_t)stats.imissed,
			"rx_errors", (json_int_t)stats.ierrors,
			"rx_nombuf", (json_int_t)stats.rx_nombuf,
			"capture", capture_status(sw, p)));
	}
	return ports;
}

static json_t *bd_json(struct loom_switch *sw, const struct bd_config *bc)
{
	uint16_t bd = switch_bd_id(sw, bc->name);
	uint64_t counters[VSWITCH_BD_COUNTER_MAX];
	switch_sum_bd(sw, bd, counters);
	json_t *members = json_array();
	for (size_t m = 0; m < bc->n_members; m++) {
		const struct member_config *mc = &bc->members[m];
		uint16_t id = switch_member_of(sw, bc->name, mc);
		uint64_t mcounters[VSWITCH_MEMBER_COUNTER_MAX];
		switch_sum_member(sw, id, mcounters);
		json_t *member = json_pack(
			"{s:i, s:i, s:i, s:o}", "id", id, "split_horizon",
			mc->split_horizon, "fdb_entries",
			(int)fdb_count_member(sw->fdb, id), "counters",
			counters_json(mcounters, vswitch_member_counter_names,
				      VSWITCH_MEMBER_COUNTER_MAX));
		if (mc->tunnel) {
			char address[16];
			switch_config_format_ipv4(mc->tunnel, address);
			json_object_set_new(member, "tunnel", json_string(address));
			json_object_set_new(member, "vni", json_integer(mc->vni));
		} else {
			json_object_set_new(member, "port", json_string(mc->port));
			json_object_set_new(member, "vid", json_integer(mc->vid));
		}
		json_array_append_new(members, member);
	}
	return json_pack("{s:s, s:i, s:b, s:i, s:i, s:o, s:o}", "name", bc->name,
			 "id", bd, "learning", bc->learning, "mac_limit",
			 (int)bc->mac_limit, "fdb_entries",
			 (int)fdb_count_bd(sw->fdb, bd), "members", members,
			 "counters", counters_json(counters, vswitch_bd_counter_names,
						   VSWITCH_BD_COUNTER_MAX));
}

static json_t *command_show_bridge_domains(struct loom_switch *sw,
					   json_t *request, char *err,
					   size_t err_size)
{
	const char *name = arg_string(request, "name", false, err, err_size);
	json_t *list = json_array();
	for (size_t b = 0; b < sw->config.n_bds; b++)
		if (!name || strcmp(name, sw->config.bds[b].name) == 0)
			json_array_append_new(list, bd_json(sw, &sw->config.bds[b]));
	if (name && json_array_size(list) == 0) {
		json_decref(list);
		snprintf(err, err_size, "no bridge domain '%s'", name);
		return NULL;
	}
	return list;
}

static json_t *command_workers(struct loom_switch *sw, json_t *request,
			       char *err, size_t err_size)
{
	(void)request, (void)err, (void)err_size;
	json_t *list = json_array();
	for (unsigned w = 0; w < sw->n_workers; w++) {
		const struct worker *worker = sw->workers[w];
		uint64_t packets = worker->packets;
		uint64_t cycles = worker->busy_cycles;
		json_array_append_new(list, json_pack(
			"{s:i, s:i, s:i, s:I, s:I, s:I, s:f, s:I, s:I}", "worker", w,
			"lcore", (int)worker->lcore, "tid", worker->tid, "tsc_hz", (json_int_t)rte_get_tsc_hz(),
			"packets", (json_int_t)packets,
			"busy_cycles", (json_int_t)cycles, "cycles_per_packet",
			packets ? (double)cycles / (double)packets : 0.0,
			"idle_sleeps", (json_int_t)worker->idle_sleeps, "iterations",
			(json_int_t)worker->iterations));
		json_t *last = json_array_get(list, json_array_size(list) - 1);
		json_object_set_new(last, "flow_cache_hits",
				    json_integer((json_int_t)worker->context.flow_cache_hits));
		json_object_set_new(last, "flow_cache_misses",
				    json_integer((json_int_t)worker->context.flow_cache_misses));
	}
	return list;
}

static json_t *command_pool(struct loom_switch *sw, json_t *request,
			    char *err, size_t err_size)
{
	(void)request, (void)err, (void)err_size;
	return json_pack("{s:i, s:i, s:i}", "size", (int)sw->pool->size,
			 "available", (int)rte_mempool_avail_count(sw->pool),
			 "in_use", (int)rte_mempool_in_use_count(sw->pool));
}

static json_t *command_counters(struct loom_switch *sw, json_t *request,
				char *err, size_t err_size)
{
	uint64_t drops[VSWITCH_DROP_MAX];
	switch_sum_drops(sw, drops);
	json_t *ports = json_object();
	for (uint16_t p = 0; p < VSWITCH_MAX_PORTS; p++) {
		if (!sw->ports[p].present)
			continue;
		uint64_t counters[VSWITCH_PORT_COUNTER_MAX];
		switch_sum_port(sw, p, counters);
		json_object_set_new(ports, sw->ports[p].name,
				    counters_json(counters, vswitch_port_counter_names,
						  VSWITCH_PORT_COUNTER_MAX));
	}
	json_t *bds = json_object();
	json_t *members = json_object();
	for (size_t b = 0; b < sw->config.n_bds; b++) {
		const struct bd_config *bc = &sw->config.bds[b];
		uint64_t counters[VSWITCH_BD_COUNTER_MAX];
		switch_sum_bd(sw, switch_bd_id(sw, bc->name), counters);
		json_object_set_new(bds, bc->name,
				    counters_json(counters, vswitch_bd_counter_names,
						  VSWITCH_BD_COUNTER_MAX));
		for (size_t m = 0; m < bc->n_members; m++) {
			const struct member_config *mc = &bc->members[m];
			uint64_t mcounters[VSWITCH_MEMBER_COUNTER_MAX];
			switch_sum_member(sw, switch_member_of(sw, bc->name, mc),
					  mcounters);
			char key[3 * SWITCH_NAME_MAX];
			switch_config_member_key(bc->name, mc, key, sizeof(key));
			json_object_set_new(members, key,
					    counters_json(mcounters,
							  vswitch_member_counter_names,
							  VSWITCH_MEMBER_COUNTER_MAX));
		}
	}
	return json_pack("{s:o, s:o, s:o, s:o, s:o}", "drops",
			 counters_json(drops, vswitch_drop_names, VSWITCH_DROP_MAX),
			 "ports", ports, "bridge_domains", bds, "members", members,
			 "workers", command_workers(sw, request, err, err_size));
}

static json_t *command_counters_clear(struct loom_switch *sw, json_t *request,
				      char *err, size_t err_size)
{
	(void)sw, (void)request;
	/* Clearing would race with the workers' plain increments; monotonic
	 * counters let every reader take its own deltas. */
	snprintf(err, err_size, "counters are monotonic: read them twice and "
				"subtract");
	return NULL;
}

static json_t *command_apply(struct loom_switch *sw, json_t *request, char *err,
			     size_t err_size)
{
	json_t *config = json_object_get(request, "config");
	if (!json_is_object(config)) {
		snprintf(err, err_size, "missing object argument 'config'");
		return NULL;
	}
	return apply_checked(sw, config, err, err_size);
}

/* Edits the running desired state as JSON, then applies it checked. */
static json_t *edit_and_apply(struct loom_switch *sw, json_t *desired, char *err,
			      size_t err_size)
{
	json_t *result = apply_checked(sw, desired, err, err_size);
	json_decref(desired);
	return result;
}

/* Adds the request's object `argument` (a port or a BD, named) to the
 * desired state's list `list`, refusing a name already there, and applies
 * the result checked like the file. `what` names it in errors. */
static json_t *add_named(struct loom_switch *sw, json_t *request,
			 const char *argument, const char *list,
			 const char *what, char *err, size_t err_size)
{
	json_t *item = json_object_get(request, argument);
	if (!json_is_object(item)) {
		snprintf(err, err_size, "missing object argument '%s'", argument);
		return NULL;
	}
	const char *name = json_string_value(json_object_get(item, "name"));
	json_t *desired = switch_config_to_json(&sw->config);
	json_t *items = json_object_get(desired, list);
	if (!items) {
		items = json_array();
		json_object_set_new(desired, list, items);
	}
	if (name && find_named(items, name, NULL)) {
		json_decref(desired);
		snprintf(err, err_size, "%s '%s' exists", what, name);
		return NULL;
	}
	json_array_append(items, item);
	return edit_and_apply(sw, desired, err, err_size);
}

static json_t *command_port_add(struct loom_switch *sw, json_t *request,
				char *err, size_t err_size)
{
	return add_named(sw, request, "port", "ports", "port", err, err_size);
}

/* Removes members and static MACs on `port` (and `vid` if vid >= 0) from
 * every BD of the JSON desired state (or only from bd_name). */
static void remove_members_json(json_t *desired, const char *bd_name,
				const char *port, long vid)
{
	size_t b;
	json_t *bd;
	json_array_foreach(json_object_get(desired, "bridge_domains"), b, bd) {
		const char *name = json_string_value(json_object_get(bd, "name"));
		if (bd_name && (!name || strcmp(name, bd_name) != 0))
			continue;
		const char *lists[] = { "members", "static_macs" };
		for (int l = 0; l < 2; l++) {
			json_t *array = json_object_get(bd, lists[l]);
			for (size_t i = 0; i < json_array_size(array);) {
				json_t *item = json_array_get(array, i);
				const char *p = json_string_value(json_object_get(item, "port"));
				json_t *v = json_object_get(item, "vid");
				long item_vid = v ? (long)json_integer_value(v) : 0;
				if (p && strcmp(p, port) == 0 &&
				    (vid < 0 || vid == item_vid)) {
					json_array_remove(array, i);
					continue;
				}
				i++;
			}
		}
	}
}

static json_t *command_port_remove(struct loom_switch *sw, json_t *request,
				   char *err, size_t err_size)
{
	const char *name = arg_string(request, "name", true, err, err_size);
	if (!name)
		return NULL;
	json_t *desired = switch_config_to_json(&sw->config);
	size_t index;
	if (!find_named(json_object_get(desired, "ports"), name, &index)) {
		json_decref(desired);
		snprintf(err, err_size, "no port '%s'", name);
		return NULL;
	}
	json_array_remove(json_object_get(desired, "ports"), index);
	remove_members_json(desired, NULL, name, -1);
	return edit_and_apply(sw, desired, err, err_size);
}

static json_t *command_port_set(struct loom_switch *sw, json_t *request,
				char *err, size_t err_size)
{
	const char *name = arg_string(request, "name", true, err, err_size);
	const char *admin = name ? arg_string(request, "admin", true, err, err_size)
				 : NULL;
	if (!admin)
		return NULL;
	json_t *desired = switch_config_to_json(&sw->config);
	json_t *port = find_named(json_object_get(desired, "ports"), name, NULL);
	if (!port) {
		json_decref(desired);
		snprintf(err, err_size, "no port '%s'", name);
		return NULL;
	}
	json_object_set_new(port, "admin", json_string(admin));
	return edit_and_apply(sw, desired, err, err_size);
}

static json_t *command_bd_add(struct loom_switch *sw, json_t *request,
			      char *err, size_t err_size)
{
	return add_named(sw, request, "bd", "bridge_domains", "bridge domain",
			 err, err_size);
}

static json_t *command_bd_remove(struct loom_switch *sw, json_t *request,
				 char *err, size_t err_size)
{
	const char *name = arg_string(request, "name", true, err, err_size);
	if (!name)
		return NULL;
	json_t *desired = switch_config_to_json(&sw->config);
	size_t index;
	json_t *bds = json_object_get(desired, "bridge_domains");
	if (!find_named(bds, name, &index)) {
		json_decref(desired);
		snprintf(err, err_size, "no bridge domain '%s'", name);
		return NULL;
	}
	json_array_remove(bds, index);
	return edit_and_apply(sw, desired, err, err_size);
}

/* The BD object named by the request's "bd" argument, in desired. */
static json_t *request_bd(json_t *request, json_t *desired, char *err,
			  size_t err_size)
{
	const char *name = arg_string(request, "bd", true, err, err_size);
	if (!name)
		return NULL;
	json_t *bd = find_named(json_object_get(desired, "bridge_domains"), name,
				NULL);
	if (!bd)
		snprintf(err, err_size, "no bridge domain '%s'", name);
	return bd;
}

static int resolve_filter(struct loom_switch *sw, json_t *request, uint16_t *bd,
			  uint16_t *member, char *err, size_t err_size);

/* Appends item to the BD object's list `key` (made if missing). */
static void bd_list_append(json_t *bd, const char *key, json_t *item)
{
	json_t *list = json_object_get(bd, key);
	if (!list) {
		list = json_array();
		json_object_set_new(bd, key, list);
	}
	json_array_append_new(list, item);
}

/* Copies those of `keys` that the request has into a new object: the
 * loader checks them as it checks the file. */
static json_t *copy_arguments(json_t *request, const char *const *keys)
{
	json_t *item = json_object();
	for (const char *const *key = keys; *key; key++) {
		json_t *value = json_object_get(request, *key);
		if (value)
			json_object_set(item, *key, value);
	}
	return item;
}

/* Adds an item built from the request's `keys` to a list of the BD the
 * request names, and applies the result (checked like the file). */
static json_t *bd_list_add(struct loom_switch *sw, json_t *request,
			  const char *list, const char *const *keys, char *err,
			  size_t err_size)
{
	json_t *desired = switch_config_to_json(&sw->config);
	json_t *bd = request_bd(request, desired, err, err_size);
	if (!bd) {
		json_decref(desired);
		return NULL;
	}
	bd_list_append(bd, list, copy_arguments(request, keys));
	return edit_and_apply(sw, desired, err, err_size);
}

static json_t *command_member_add(struct loom_switch *sw, json_t *request,
				  char *err, size_t err_size)
{
	static const char *const keys[] = { "port", "vid", "split_horizon",
					    "tunnel", "vni", "policer", NULL };
	return bd_list_add(sw, request, "members", keys, err, err_size);
}

static json_t *command_member_remove(struct loom_switch *sw, json_t *request,
				     char *err, size_t err_size)
{
	uint16_t bd_id, member;
	if (!json_object_get(request, "bd") ||
	    (!json_object_get(request, "port") && !json_object_get(request, "tunnel"))) {
		snprintf(err, err_size, "need 'bd' and 'port' (with 'vid') or "
					"'tunnel' (with 'vni')");
		return NULL;
	}
	if (resolve_filter(sw, request, &bd_id, &member, err, err_size) != 0)
		return NULL;
	json_t *desired = switch_config_to_json(&sw->config);
	json_t *bd = request_bd(request, desired, err, err_size);
	json_t *members = json_object_get(bd, "members");
	const char *bd_name = json_string_value(json_object_get(bd, "name"));
	for (size_t i = 0; i < json_array_size(members); i++) {
		json_t *item = json_array_get(members, i);
		struct member_config m = { 0 };
		const char *port = json_string_value(json_object_get(item, "port"));
		const char *tunnel = json_string_value(json_object_get(item, "tunnel"));
		struct in_addr address;
		if (port)
			snprintf(m.port, sizeof(m.port), "%s", port);
		if (tunnel && inet_pton(AF_INET, tunnel, &address) == 1)
			m.tunnel = ntohl(address.s_addr);
		m.vid = (uint16_t)json_integer_value(json_object_get(item, "vid"));
		m.vni = (uint32_t)json_integer_value(json_object_get(item, "vni"));
		if (switch_member_of(sw, bd_name, &m) == member) {
			json_array_remove(members, i);
			break;
		}
	}
	/* Static MACs on the member go with it. */
	const char *port = json_string_value(json_object_get(request, "port"));
	if (port) {
		uint64_t vid = 0;
		arg_uint(request, "vid", 4094, &vid, err, err_size);
		remove_members_json(desired, bd_name, port, (long)vid);
	}
	return edit_and_apply(sw, desired, err, err_size);
}

static json_t *command_mac_add(struct loom_switch *sw, json_t *request,
			       char *err, size_t err_size)
{
	static const char *const keys[] = { "mac", "port", "vid", NULL };
	return bd_list_add(sw, request, "static_macs", keys, err, err_size);
}

static json_t *command_mac_remove(struct loom_switch *sw, json_t *request,
				  char *err, size_t err_size)
{
	json_t *desired = switch_config_to_json(&sw->config);
	json_t *bd = request_bd(request, desired, err, err_size);
	const char *mac = bd ? arg_string(request, "mac", true, err, err_size) : NULL;
	uint8_t wanted[6], have[6];
	if (mac && parse_mac(mac, wanted) != 0) {
		snprintf(err, err_size, "'%s' is not a MAC address", mac);
		mac = NULL;
	}
	if (!mac) {
		json_decref(desired);
		return NULL;
	}
	json_t *macs = json_object_get(bd, "static_macs");
	for (size_t i = 0; i < json_array_size(macs); i++) {
		const char *text = json_string_value(
			json_object_get(json_array_get(macs, i), "mac"));
		if (text && parse_mac(text, have) == 0 && !memcmp(have, wanted, 6)) {
			json_array_remove(macs, i);
			return edit_and_apply(sw, desired, err, err_size);
		}
	}
	json_decref(desired);
	snprintf(err, err_size, "no static MAC %s in that bridge domain", mac);
	return NULL;
}

struct fdb_dump {
	struct loom_switch *sw;
	json_t *list;
	const struct vswitch_table *table;
};

static int fdb_dump_entry(const struct fdb_entry_info *entry, void *arg)
{
	struct fdb_dump *dump = arg;
	struct rte_ether_addr mac;
	fdb_key_mac(entry->key, &mac);
	const struct vswitch_bd *bd = vswitch_table_bd(dump->table,
						       fdb_key_bd(entry->key));
	const struct vswitch_member *member = vswitch_table_member(dump->table,
								   entry->member);
	json_array_append_new(dump->list, json_pack(
		"{s:s, s:o, s:s, s:i, s:s, s:i}", "bd", bd ? bd->name : "?",
		"mac", mac_json(&mac), "member", member ? member->name : "?",
		"member_id", entry->member,
		"type", entry->is_static ? "static" : "learned", "age",
		(int)entry->age));
	return 0;
}

/* Resolves optional {bd, port, vid} or {bd, tunnel, vni} to ids; -1 on
 * an unknown name. */
static int resolve_filter(struct loom_switch *sw, json_t *request, uint16_t *bd,
			  uint16_t *member, char *err, size_t err_size)
{
	*bd = 0;
	*member = FDB_NO_MEMBER;
	const char *bd_name = arg_string(request, "bd", false, err, err_size);
	const char *port = arg_string(request, "port", false, err, err_size);
	const char *tunnel = arg_string(request, "tunnel", false, err, err_size);
	uint64_t vid = 0, vni = 0;
	if (arg_uint(request, "vid", 4094, &vid, err, err_size) != 0 ||
	    arg_uint(request, "vni", VXLAN_VNI_MAX, &vni, err, err_size) != 0)
		return -1;
	if (bd_name) {
		*bd = switch_bd_id(sw, bd_name);
		if (!*bd) {
			snprintf(err, err_size, "no bridge domain '%s'", bd_name);
			return -1;
		}
	}
	if (port || tunnel) {
		if (!bd_name) {
			snprintf(err, err_size, "'%s' needs 'bd'",
				 port ? "port" : "tunnel");
			return -1;
		}
		struct member_config m = { .vid = (uint16_t)vid,
					   .vni = (uint32_t)vni };
		if (tunnel) {
			struct in_addr address;
			if (inet_pton(AF_INET, tunnel, &address) != 1) {
				snprintf(err, err_size, "'%s' is not an IPv4 address",
					 tunnel);
				return -1;
			}
			m.tunnel = ntohl(address.s_addr);
		} else {
			snprintf(m.port, sizeof(m.port), "%s", port);
		}
		*member = switch_member_of(sw, bd_name, &m);
		if (!*member) {
			char key[3 * SWITCH_NAME_MAX];
			switch_config_member_key(bd_name, &m, key, sizeof(key));
			snprintf(err, err_size, "no member %s", key);
			return -1;
		}
	}
	return 0;
}

static json_t *command_fdb_show(struct loom_switch *sw, json_t *request,
				char *err, size_t err_size)
{
	uint16_t bd, member;
	if (resolve_filter(sw, request, &bd, &member, err, err_size) != 0)
		return NULL;
	struct fdb_dump dump = { sw, json_array(), sw->published->vswitch };
	fdb_walk(sw->fdb, bd, member, fdb_dump_entry, &dump);
	return dump.list;
}

static json_t *command_fdb_flush(struct loom_switch *sw, json_t *request,
				 char *err, size_t err_size)
{
	uint16_t bd, member;
	if (resolve_filter(sw, request, &bd, &member, err, err_size) != 0)
		return NULL;
	if (member != FDB_NO_MEMBER)
		fdb_flush_member(sw->fdb, member);
	else if (bd)
		fdb_flush_bd(sw->fdb, bd);
	else
		fdb_flush_all(sw->fdb);
	return json_true();
}

static json_t *command_fdb_stats(struct loom_switch *sw, json_t *request,
				 char *err, size_t err_size)
{
	(void)request, (void)err, (void)err_size;
	struct fdb_stats stats;
	fdb_get_stats(sw->fdb, &stats);
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "entries", (json_int_t)stats.entries, "static_entries",
			 (json_int_t)stats.static_entries, "learned",
			 (json_int_t)stats.learned, "moved", (json_int_t)stats.moved,
			 "refreshed", (json_int_t)stats.refreshed, "aged",
			 (json_int_t)stats.aged, "evicted", (json_int_t)stats.evicted,
			 "static_conflicts", (json_int_t)stats.static_conflicts,
			 "limit_refused", (json_int_t)stats.limit_refused, "epoch",
			 (json_int_t)fdb_epoch(sw->fdb));
}

static json_t *command_fdb_learn(struct loom_switch *sw, json_t *request,
				 char *err, size_t err_size)
{
	uint16_t bd, member;
	if (resolve_filter(sw, request, &bd, &member, err, err_size) != 0)
		return NULL;
	const char *mac_text = arg_string(request, "mac", true, err, err_size);
	if (!mac_text)
		return NULL;
	if (member == FDB_NO_MEMBER) {
		snprintf(err, err_size, "need 'bd' and 'port'");
		return NULL;
	}
	struct rte_ether_addr mac;
	if (parse_mac(mac_text, mac.addr_bytes) != 0 ||
	    rte_is_multicast_ether_addr(&mac) || rte_is_zero_ether_addr(&mac)) {
		snprintf(err, err_size, "'%s' is not a unicast MAC address", mac_text);
		return NULL;
	}
	enum fdb_learn_result result = fdb_learn(sw->fdb, fdb_key(bd, &mac), member);
	return json_string(fdb_learn_result_names[result]);
}

static int hex_decode(const char *hex, uint8_t *out, size_t max, size_t *length)
{
	size_t n = 0;
	for (const char *c = hex; *c;) {
		if (*c == ' ' || *c == ':' || *c == '\n') {
			c++;
			continue;
		}
		unsigned byte;
		if (n == max || sscanf(c, "%2x", &byte) != 1 || !c[1])
			return -1;
		out[n++] = (uint8_t)byte;
		c += 2;
	}
	*length = n;
	return 0;
}

static json_t *command_trace(struct loom_switch *sw, json_t *request, char *err,
			     size_t err_size)
{
	const char *port = arg_string(request, "port", true, err, err_size);
	const char *hex = port ? arg_string(request, "frame", true, err, err_size)
			       : NULL;
	if (!hex)
		return NULL;
	int index = switch_port_by_name(sw, port);
	if (index < 0) {
		snprintf(err, err_size, "no port '%s'", port);
		return NULL;
	}
	uint8_t frame[9216];
	size_t length;
	if (hex_decode(hex, frame, sizeof(frame), &length) != 0) {
		snprintf(err, err_size, "'frame' must be hex bytes (at most %zu)",
			 sizeof(frame));
		return NULL;
	}
	const struct vswitch_table *table = sw->published->vswitch;
	struct vswitch_trace trace;
	vswitch_trace_frame(table, sw->fdb, (uint16_t)index, frame,
			    (uint16_t)length, &trace);
	json_t *result = json_object();
	const struct vswitch_bd *bd = vswitch_table_bd(table, trace.bd);
	const struct vswitch_member *in = vswitch_table_member(table, trace.in_member);
	json_object_set_new(result, "bd", bd ? json_string(bd->name) : json_null());
	json_object_set_new(result, "in_member", in ? json_string(in->name) : json_null());
	if (trace.bd) {
		const struct vswitch_member *src =
			vswitch_table_member(table, trace.source_member);
		json_object_set_new(result, "source", json_pack(
			"{s:b, s:s?, s:b, s:s}", "known", trace.source_known,
			"member", trace.source_known && src ? src->name : NULL,
			"static", trace.source_static, "learning",
			fdb_learn_result_names[trace.would_learn]));
		const struct vswitch_member *dst =
			vswitch_table_member(table, trace.destination_member);
		json_object_set_new(result, "destination", json_pack(
			"{s:b, s:s?, s:b}", "known", trace.destination_known,
			"member", trace.destination_known && dst ? dst->name : NULL,
			"flooded", trace.flooded));
	}
	json_t *outputs = json_array();
	for (unsigned i = 0; i < trace.n_outputs; i++) {
		const struct vswitch_member *out =
			vswitch_table_member(table, trace.outputs[i].member);
		json_array_append_new(outputs, json_pack(
			"{s:s, s:s}", "member",
			out ? out->name : trace.arp_reply ? "(underlay)" : "?",
			"port", table->ports[trace.outputs[i].port].name));
	}
	json_object_set_new(result, "outputs", outputs);
	json_object_set_new(result, "action",
			    json_string(trace.dropped	   ? "drop"
					: trace.arp_reply ? "arp-reply"
					: trace.flooded	   ? "flood"
							   : "forward"));
	json_object_set_new(result, "drop_reason",
			    trace.dropped ? json_string(vswitch_drop_names[trace.drop_reason])
					  : json_null());
	return result;
}

static json_t *command_capture_start(struct loom_switch *sw, json_t *request,
				     char *err, size_t err_size)
{
	const char *port = arg_string(request, "port", true, err, err_size);
	const char *file = port ? arg_string(request, "file", true, err, err_size)
				: NULL;
	if (!file)
		return NULL;
	const char *direction = arg_string(request, "direction", false, err, err_size);
	unsigned directions = CAPTURE_RX | CAPTURE_TX;
	if (direction) {
		if (!strcmp(direction, "rx"))
			directions = CAPTURE_RX;
		else if (!strcmp(direction, "tx"))
			directions = CAPTURE_TX;
		else if (strcmp(direction, "both") != 0) {
			snprintf(err, err_size, "direction must be rx, tx or both");
			return NULL;
		}
	}
	uint64_t max_packets = 0, max_bytes = 0;
	if (arg_uint(request, "max_packets", UINT64_MAX >> 1, &max_packets, err,
		     err_size) != 0 ||
	    arg_uint(request, "max_bytes", UINT64_MAX >> 1, &max_bytes, err,
		     err_size) != 0)
		return NULL;
	int index = switch_port_by_name(sw, port);
	if (index < 0) {
		snprintf(err, err_size, "no port '%s'", port);
		return NULL;
	}
	if (capture_start(sw, (uint16_t)index, directions, file, max_packets,
			  max_bytes, err, err_size) != 0)
		return NULL;
	return capture_status(sw, (uint16_t)index);
}

static json_t *command_capture_stop(struct loom_switch *sw, json_t *request,
				    char *err, size_t err_size)
{
	const char *port = arg_string(request, "port", true, err, err_size);
	if (!port)
		return NULL;
	int index = switch_port_by_name(sw, port);
	if (index < 0) {
		snprintf(err, err_size, "no port '%s'", port);
		return NULL;
	}
	json_t *status = capture_status(sw, (uint16_t)index);
	if (json_is_null(status)) {
		snprintf(err, err_size, "port '%s' is not being captured", port);
		return NULL;
	}
	capture_stop(sw, (uint16_t)index);
	return status;
}

static json_t *ipv4_json(uint32_t address)
{
	char text[16];
	switch_config_format_ipv4(address, text);
	return json_string(text);
}

static json_t *command_vtep_show(struct loom_switch *sw, json_t *request,
				 char *err, size_t err_size)
{
	(void)request;
	const struct vxlan_tunnel_table *vxlan = sw->published->vxlan;
	if (!sw->config.vtep.configured || !vxlan) {
		snprintf(err, err_size, "no VTEP configured");
		return NULL;
	}
	const struct vxlan_underlay *u = &vxlan->underlay;
	struct rte_ether_addr mac;
	memcpy(mac.addr_bytes, u->mac, 6);
	json_t *neighbours = json_array();
	for (uint32_t i = 0; i < vxlan_neighbour_count(sw->neighbours); i++) {
		const struct vxlan_neighbour *n = vxlan_neighbour_at(sw->neighbours, i);
		struct rte_ether_addr nmac;
		memcpy(nmac.addr_bytes, n->mac, 6);
		json_array_append_new(neighbours, json_pack(
			"{s:o, s:o, s:s}", "address", ipv4_json(n->address), "mac",
			mac_json(&nmac), "state", vxlan_neighbour_state_names[n->state]));
	}
	json_t *routes = json_array();
	for (uint32_t i = 0; i < vxlan_route_count(sw->routes); i++) {
		const struct vxlan_route *r = vxlan_route_at(sw->routes, i);
		json_array_append_new(routes, json_pack(
			"{s:o, s:i, s:o}", "prefix", ipv4_json(r->prefix), "length",
			r->length, "next_hop", r->next_hop ? ipv4_json(r->next_hop)
							   : json_string("connected")));
	}
	json_t *tunnels = json_array();
	for (uint32_t i = 0; i < vxlan->tunnel_count; i++) {
		const struct vxlan_tunnel_spec *t = &vxlan->tunnels[i];
		const struct vswitch_member *member =
			vswitch_table_member(sw->published->vswitch, t->member);
		const struct vswitch_bd *bd =
			vswitch_table_bd(sw->published->vswitch, t->bd);
		json_array_append_new(tunnels, json_pack(
			"{s:o, s:I, s:s, s:s, s:b}", "remote", ipv4_json(t->remote),
			"vni", (json_int_t)t->vni, "member",
			member ? member->name : "?", "bd", bd ? bd->name : "?",
			"resolved", t->resolved));
	}
	return json_pack("{s:s, s:o, s:i, s:o, s:i, s:i, s:i, s:b, s:o, s:o, s:o}",
			 "port", sw->config.vtep.port, "address",
			 ipv4_json(u->address), "prefix_length", u->prefix_length,
			 "mac", mac_json(&mac), "udp_port", u->udp_port, "mtu",
			 u->mtu, "vid", u->vid, "df", u->df, "routes", routes,
			 "neighbours", neighbours, "tunnels", tunnels);
}

/* The value of key=VALUE in devargs ("iface" of "net_vhost0,iface=/s"). */
static bool devargs_value(const char *devargs, const char *key, char *out,
			  size_t size)
{
	size_t key_length = strlen(key);
	for (const char *p = strchr(devargs, ','); p; p = strchr(p + 1, ',')) {
		if (!strncmp(p + 1, key, key_length) && p[1 + key_length] == '=') {
			const char *value = p + 2 + key_length;
			size_t length = strcspn(value, ",");
			snprintf(out, size, "%.*s", (int)length, value);
			return true;
		}
	}
	return false;
}

static json_t *command_qemu_args(struct loom_switch *sw, json_t *request,
				 char *err, size_t err_size)
{
	const char *port = arg_string(request, "port", true, err, err_size);
	if (!port)
		return NULL;
	int index = switch_port_by_name(sw, port);
	if (index < 0) {
		snprintf(err, err_size, "no port '%s'", port);
		return NULL;
	}
	const char *devargs = sw->ports[index].devargs;
	char socket_path[SWITCH_PATH_MAX], client[8] = "0", queues_text[8] = "1";
	if (strncmp(devargs, "net_vhost", 9) != 0 ||
	    !devargs_value(devargs, "iface", socket_path, sizeof(socket_path))) {
		snprintf(err, err_size, "port '%s' is not a vhost-user port "
					"(net_vhostN,iface=SOCKET)", port);
		return NULL;
	}
	devargs_value(devargs, "client", client, sizeof(client));
	devargs_value(devargs, "queues", queues_text, sizeof(queues_text));
	uint64_t memory = 256, queues = strtoull(queues_text, NULL, 10);
	if (arg_uint(request, "memory_mb", 1u << 20, &memory, err, err_size) != 0 ||
	    arg_uint(request, "queues", 64, &queues, err, err_size) != 0)
		return NULL;
	if (queues == 0)
		queues = 1;
	const char *mac = arg_string(request, "mac", false, err, err_size);
	json_t *tcg_value = json_object_get(request, "tcg");
	bool tcg = tcg_value && json_is_true(tcg_value);
	/* The switch as vhost-user server (default) means QEMU connects as
	 * a client, and the other way round; the guest's memory must be
	 * shared for the switch to map it. */
	char text[2048];
	int n = snprintf(text, sizeof(text),
			 "-object memory-backend-memfd,id=mem0,size=%lluM,share=on "
			 "-numa node,memdev=mem0 "
			 "-chardev socket,id=chr0,path=%s%s "
			 "-netdev vhost-user,id=net0,chardev=chr0%s%s "
			 "-device virtio-net-pci,netdev=net0%s%s%s",
			 (unsigned long long)memory, socket_path,
			 strcmp(client, "1") == 0 ? ",server=on" : "",
			 queues > 1 ? ",queues=" : "",
			 queues > 1 ? queues_text : "",
			 mac ? ",mac=" : "", mac ? mac : "",
			 queues > 1 ? ",mq=on" : "");
	if (tcg && n > 0 && (size_t)n < sizeof(text))
		/* QEMU 7.2 under TCG crashes with MSI-X vectors on this
		 * device: none. */
		snprintf(text + n, sizeof(text) - (size_t)n, ",vectors=0");
	else if (queues > 1 && n > 0 && (size_t)n < sizeof(text))
		snprintf(text + n, sizeof(text) - (size_t)n, ",vectors=%llu",
			 (unsigned long long)(2 * queues + 2));
	return json_pack("{s:s, s:s, s:s, s:I}", "arguments", text, "socket",
			 socket_path, "switch_role",
			 strcmp(client, "1") == 0 ? "client" : "server", "queues",
			 (json_int_t)queues);
}

static json_t *command_clock_show(struct loom_switch *sw, json_t *request,
				  char *err, size_t err_size)
{
	(void)request, (void)err, (void)err_size;
	return json_pack("{s:I, s:s}", "seconds", (json_int_t)sw->clock_seconds,
			 "clock",
			 sw->config.fdb.clock == FDB_CLOCK_MANUAL ? "manual" : "system");
}

static json_t *command_clock_advance(struct loom_switch *sw, json_t *request,
				     char *err, size_t err_size)
{
	if (sw->config.fdb.clock != FDB_CLOCK_MANUAL) {
		snprintf(err, err_size, "the FDB clock is the system's (fdb.clock: "
					"manual lets tests drive it)");
		return NULL;
	}
	uint64_t seconds = 0;
	if (!json_object_get(request, "seconds")) {
		snprintf(err, err_size, "missing argument 'seconds'");
		return NULL;
	}
	if (arg_uint(request, "seconds", 1u << 30, &seconds, err, err_size) != 0)
		return NULL;
	switch_clock_advance(sw, (uint32_t)seconds);
	return command_clock_show(sw, request, err, err_size);
}

/* ---- dispatch ----------------------------------------------------------- */

static json_t *error_reply(const char *message)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", message);
}

json_t *control_handle(struct loom_switch *sw, const char *text, size_t length)
{
	json_error_t parse_error;
	json_t *request = json_loadb(text, length, JSON_REJECT_DUPLICATES,
				     &parse_error);
	if (!request) {
		char message[256];
		snprintf(message, sizeof(message), "malformed JSON at column %d: %s",
			 parse_error.column, parse_error.text);
		return error_reply(message);
	}
	if (!json_is_object(request)) {
		json_decref(request);
		return error_reply("a request must be a JSON object");
	}
	const char *token = sw->config.control.token;
	if (token[0]) {
		const char *given = json_string_value(json_object_get(request, "token"));
		/* Compare in constant time: the socket may be group-readable. */
		size_t want = strlen(token);
		unsigned diff = given ? (unsigned)(strlen(given) != want) : 1u;
		for (size_t i = 0; given && i < want && given[i]; i++)
			diff |= (unsigned)(given[i] ^ token[i]);
		if (diff) {
			json_decref(request);
			return error_reply("unauthorized: missing or wrong token");
		}
	}
	const char *command = json_string_value(json_object_get(request, "command"));
	if (!command) {
		json_decref(request);
		return error_reply("missing string 'command' (try \"help\")");
	}
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (!command_name_matches(command, control_commands[i].name))
			continue;
		char err[1024] = "";
		pthread_mutex_lock(&sw->state_lock);
		json_t *result = control_commands[i].handler(sw, request, err,
							     sizeof(err));
		pthread_mutex_unlock(&sw->state_lock);
		json_decref(request);
		if (!result)
			return error_reply(err[0] ? err : "failed");
		return json_pack("{s:b, s:o}", "ok", 1, "result", result);
	}
	char message[160];
	snprintf(message, sizeof(message), "unknown command '%.64s' (try \"help\")",
		 command);
	json_decref(request);
	return error_reply(message);
}

/* ---- the socket and the loop ------------------------------------------------ */

struct control_client {
	int fd;
	char *buffer;
	size_t used;
	size_t size;
};

int control_socket_open(struct loom_switch *sw, char *err, size_t err_size)
{
	const char *path = sw->config.control.socket;
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(address.sun_path)) {
		snprintf(err, err_size, "control socket path too long: %s", path);
		return -1;
	}
	snprintf(address.sun_path, sizeof(address.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, err_size, "socket: %s", strerror(errno));
		return -1;
	}
	/* A stale socket from a crashed switch is replaced; a live one is
	 * not (connect succeeds): two switches must not share a path. */
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&address,
				  sizeof(address)) == 0) {
		close(probe);
		close(fd);
		snprintf(err, err_size, "control socket %s is in use by another "
					"process", path);
		return -1;
	}
	if (probe >= 0)
		close(probe);
	unlink(path);
	mode_t old = umask(0117); /* socket 0660: owner and group only */
	int rc = bind(fd, (struct sockaddr *)&address, sizeof(address));
	umask(old);
	if (rc != 0 || listen(fd, 16) != 0) {
		snprintf(err, err_size, "cannot listen on %s: %s", path,
			 strerror(errno));
		close(fd);
		return -1;
	}
	sw->control_listen_fd = fd;
	return 0;
}

static void client_close(int epoll_fd, struct control_client *client)
{
	epoll_ctl(epoll_fd, EPOLL_CTL_DEL, client->fd, NULL);
	close(client->fd);
	free(client->buffer);
	client->fd = -1;
	client->buffer = NULL;
	client->used = client->size = 0;
}

static int write_all(int fd, const char *data, size_t length)
{
	while (length) {
		ssize_t n = write(fd, data, length);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* The client is slow: wait for it, briefly. */
			struct timespec pause = { 0, 1000000 };
			nanosleep(&pause, NULL);
			continue;
		}
		if (n <= 0)
			return -1;
		data += n;
		length -= (size_t)n;
	}
	return 0;
}

/* Reads what is there; answers every complete line. -1: close. */
static int client_read(struct loom_switch *sw, struct control_client *client)
{
	for (;;) {
		if (client->size - client->used < 4096) {
			size_t size = client->size ? client->size * 2 : 8192;
			if (size > CONTROL_MAX_REQUEST + 4096) {
				const char *reply = "{\"ok\": false, \"error\": "
						    "\"request too long\"}\n";
				write_all(client->fd, reply, strlen(reply));
				return -1;
			}
			char *buffer = realloc(client->buffer, size);
			if (!buffer)
				return -1;
			client->buffer = buffer;
			client->size = size;
		}
		ssize_t n = read(client->fd, client->buffer + client->used,
				 client->size - client->used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		client->used += (size_t)n;
		char *line_start = client->buffer;
		char *newline;
		while ((newline = memchr(line_start, '\n',
					 client->used - (size_t)(line_start - client->buffer)))) {
			size_t length = (size_t)(newline - line_start);
			if (length) {
				json_t *reply = control_handle(sw, line_start, length);
				char *text = json_dumps(reply, JSON_COMPACT);
				json_decref(reply);
				int rc = text ? write_all(client->fd, text, strlen(text)) : -1;
				if (rc == 0)
					rc = write_all(client->fd, "\n", 1);
				free(text);
				if (rc != 0)
					return -1;
			}
			line_start = newline + 1;
		}
		size_t rest = client->used - (size_t)(line_start - client->buffer);
		memmove(client->buffer, line_start, rest);
		client->used = rest;
	}
}

int control_loop(struct loom_switch *sw)
{
	struct control_client clients[CONTROL_MAX_CLIENTS];
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		clients[i] = (struct control_client){ .fd = -1 };

	sigset_t signals;
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	int signal_fd = signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
	int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (signal_fd < 0 || epoll_fd < 0) {
		perror("loom-switch: signalfd/epoll");
		return -1;
	}
	struct epoll_event event = { .events = EPOLLIN, .data.u64 = UINT64_MAX };
	epoll_ctl(epoll_fd, EPOLL_CTL_ADD, signal_fd, &event);
	event.data.u64 = UINT64_MAX - 1;
	epoll_ctl(epoll_fd, EPOLL_CTL_ADD, sw->control_listen_fd, &event);

	uint64_t hz = rte_get_tsc_hz();
	uint64_t next_tick = rte_get_tsc_cycles() + hz;
	while (!sw->stopping) {
		struct epoll_event events[16];
		int n = epoll_wait(epoll_fd, events, 16, 10);
		for (int i = 0; i < n; i++) {
			uint64_t tag = events[i].data.u64;
			if (tag == UINT64_MAX) {
				struct signalfd_siginfo info;
				while (read(signal_fd, &info, sizeof(info)) > 0)
					sw->stopping = true;
			} else if (tag == UINT64_MAX - 1) {
				int fd;
				while ((fd = accept4(sw->control_listen_fd, NULL, NULL,
						     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					int slot = -1;
					for (int c = 0; c < CONTROL_MAX_CLIENTS && slot < 0; c++)
						if (clients[c].fd < 0)
							slot = c;
					if (slot < 0) {
						const char *reply = "{\"ok\": false, \"error\": "
								    "\"too many clients\"}\n";
						write_all(fd, reply, strlen(reply));
						close(fd);
						continue;
					}
					clients[slot].fd = fd;
					struct epoll_event ce = { .events = EPOLLIN | EPOLLRDHUP,
								  .data.u64 = (uint64_t)slot };
					epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ce);
				}
			} else if (tag < CONTROL_MAX_CLIENTS) {
				struct control_client *client = &clients[tag];
				if (client->fd >= 0 && client_read(sw, client) != 0)
					client_close(epoll_fd, client);
			}
		}
		pthread_mutex_lock(&sw->state_lock);
		capture_poll(sw);
		switch_poll(sw);
		uint64_t now = rte_get_tsc_cycles();
		if (now >= next_tick) {
			switch_tick(sw);
			next_tick = now + hz;
		}
		pthread_mutex_unlock(&sw->state_lock);
	}
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			client_close(epoll_fd, &clients[i]);
	close(epoll_fd);
	close(signal_fd);
	close(sw->control_listen_fd);
	unlink(sw->config.control.socket);
	sw->control_listen_fd = -1;
	return 0;
}

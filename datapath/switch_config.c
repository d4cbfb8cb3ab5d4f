/* switch_config: loaders for the YAML file and the JSON `apply`, see
 * switch_config.h.
 *
 * Both forms go through one tree walker (switch_config_source.c): a
 * `struct source` hides whether a node is a libyaml node (with a position)
 * or a jansson value (with none), and keeps the path of the value being
 * read ("ports[1].name") so that every error names the same field in both
 * forms. Semantic checks happen
 * while the offending node is at hand, so YAML errors point at it. Ports
 * are read before bridge domains whatever the order in the text, so that
 * members can be checked against them.
 */
#include "switch_config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <jansson.h>

#include "switch_config_private.h"

/* Room an mbuf takes in its pool: the default data room (2048 + 128
 * headroom), the mbuf header (128) and the mempool object header (64). */
#define SWITCH_MBUF_BYTES 2368

/* "02:00:00:00:00:01", either case. */
static bool parse_mac(const char *text, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		const char *p = text + 3 * i;
		uint8_t byte = 0;
		for (int j = 0; j < 2; j++) {
			char c = p[j];
			int digit = c >= '0' && c <= '9'   ? c - '0'
				    : c >= 'a' && c <= 'f' ? c - 'a' + 10
				    : c >= 'A' && c <= 'F' ? c - 'A' + 10
							   : -1;
			if (digit < 0)
				return false;
			byte = (uint8_t)(byte << 4 | digit);
		}
		if (p[2] != (i == 5 ? '\0' : ':'))
			return false;
		mac[i] = byte;
	}
	return true;
}


/* ---- Checks on the whole ----------------------------------------------- */

/* A list of lcore ids "0-1,3" (ranges allowed), marking them in seen[];
 * stops at `stop` characters. Returns the end, or NULL when malformed. */
static const char *parse_lcore_list(const char *p, const char *stop,
				    bool seen[SWITCH_LCORE_MAX], unsigned *count)
{
	for (;;) {
		char *end;
		if (*p < '0' || *p > '9')
			return NULL;
		unsigned long first = strtoul(p, &end, 10), last = first;
		p = end;
		if (*p == '-') {
			p++;
			if (*p < '0' || *p > '9')
				return NULL;
			last = strtoul(p, &end, 10);
			p = end;
		}
		if (first > last || last >= SWITCH_LCORE_MAX)
			return NULL;
		for (unsigned long i = first; i <= last; i++)
			if (!seen[i]) {
				seen[i] = true;
				(*count)++;
			}
		if (*p != ',' || strchr(stop, ','))
			return p;
		p++;
	}
}

/* lcores: an EAL -l core list ("0-1", "0,2-3"), or EAL's --lcores form
 * mapping lcores to CPUs ("0@0,1@1,2@0", "(0-2)@(0-1)") so that more
 * lcores than CPUs can share a small machine. Counts distinct lcores. */
static int parse_lcores(const char *text, unsigned *count)
{
	bool seen[SWITCH_LCORE_MAX] = { false };
	*count = 0;
	if (!*text)
		return -1;
	if (!strpbrk(text, "@()")) {
		const char *end = parse_lcore_list(text, "", seen, count);
		return end && !*end ? 0 : -1;
	}
	/* --lcores: groups "LCORES[@CPUS]" separated by commas, where a
	 * group of several is parenthesized. */
	const char *p = text;
	for (;;) {
		if (*p == '(') {
			p = parse_lcore_list(p + 1, "", seen, count);
			if (!p || *p++ != ')')
				return -1;
		} else {
			p = parse_lcore_list(p, ",", seen, count);
			if (!p)
				return -1;
		}
		if (*p == '@') {
			p++;
			bool cpus[SWITCH_LCORE_MAX] = { false };
			unsigned n_cpus = 0;
			if (*p == '(') {
				p = parse_lcore_list(p + 1, "", cpus, &n_cpus);
				if (!p || *p++ != ')')
					return -1;
			} else {
				p = parse_lcore_list(p, ",", cpus, &n_cpus);
				if (!p)
					return -1;
			}
		}
		if (!*p)
			return 0;
		if (*p++ != ',')
			return -1;
	}
}

/* EAL arguments that the named keys set: giving them twice is refused. */
static const char *const eal_reserved_args[] = {
	"-l", "-c", "--lcores", "-m", "--file-prefix", "--no-huge", "--no-pci",
	NULL,
};

static int check_eal_arg(struct source *source, source_node node,
			 const char *arg)
{
	if (!arg[0])
		return source_error(source, node, "an EAL argument cannot be empty");
	for (const char *const *r = eal_reserved_args; *r; r++) {
		size_t length = strlen(*r);
		if (!strncmp(arg, *r, length) &&
		    (arg[length] == '\0' || arg[length] == '=' ||
		     (length == 2 && arg[1] != '-')))
			return source_error(source, node,
					    "'%s' is set by the eal section's own keys "
					    "(lcores, memory_mb, file_prefix, no_huge, "
					    "no_pci)",
					    arg);
	}
	return 0;
}

/* ---- Process-level sections (YAML only) --------------------------------- */

/* A section of the root, when present, with its key on the path. */
static int load_section(struct source *source, source_node root,
			const char *key, struct switch_config *config,
			int (*load)(struct source *, source_node,
				    struct switch_config *))
{
	source_node node = source_get(source, root, key);
	if (!node)
		return 0;
	size_t mark = source_path_key(source, key);
	int rc = load(source, node, config);
	source_path_leave(source, mark);
	return rc;
}

static int load_datapath(struct source *source, source_node map,
			 struct switch_config *config)
{
	struct datapath_config *datapath = &config->datapath;
	static const char *const keys[] = { "workers", "idle_sleep_max_us",
					    "mbufs", "rx_burst", "drain_us",
					    NULL };
	if (source_check_keys(source, map, keys) ||
	    source_key_u32(source, map, "workers", 1, SWITCH_MAX_WORKERS,
			   &datapath->workers) ||
	    source_key_u32(source, map, "idle_sleep_max_us", 0, 1000000,
			   &datapath->idle_sleep_max_us) ||
	    source_key_u32(source, map, "mbufs", 1023, 16777215,
			   &datapath->mbufs) ||
	    source_key_u32(source, map, "rx_burst", 1, 32,
			   &datapath->rx_burst) ||
	    source_key_u32(source, map, "drain_us", 0, 1000000,
			   &datapath->drain_us))
		return -1;
	return 0;
}

static int load_eal_args(struct source *source, source_node list,
			 struct eal_config *eal)
{
	size_t count;
	if (source_list(source, list, &count))
		return -1;
	if (count > SWITCH_EAL_ARGS_MAX)
		return source_error(source, list,
				    "%zu arguments; at most %d", count,
				    SWITCH_EAL_ARGS_MAX);
	for (size_t i = 0; i < count; i++) {
		source_node item = source_item(source, list, i);
		size_t mark = source_path_index(source, i);
		int rc = source_string(source, item, eal->args[i],
				       sizeof(eal->args[i])) ||
			 check_eal_arg(source, item, eal->args[i]);
		source_path_leave(source, mark);
		if (rc)
			return -1;
	}
	eal->n_args = (unsigned)count;
	return 0;
}

static int load_eal(struct source *source, source_node map,
		    struct switch_config *config)
{
	static const char *const keys[] = { "lcores", "memory_mb",
					    "file_prefix", "no_huge", "no_pci",
					    "args", NULL };
	struct eal_config *eal = &config->eal;
	if (source_check_keys(source, map, keys) ||
	    source_key_string(source, map, "lcores", eal->lcores,
			      sizeof(eal->lcores), false, false) ||
	    source_key_u32(source, map, "memory_mb", 16, 1048576,
			   &eal->memory_mb) ||
	    source_key_string(source, map, "file_prefix", eal->file_prefix,
			      sizeof(eal->file_prefix), false, true) ||
	    source_key_bool(source, map, "no_huge", &eal->no_huge) ||
	    source_key_bool(source, map, "no_pci", &eal->no_pci))
		return -1;
	source_node args = source_get(source, map, "args");
	if (args) {
		size_t mark = source_path_key(source, "args");
		int rc = load_eal_args(source, args, eal);
		source_path_leave(source, mark);
		if (rc)
			return -1;
	}
	return 0;
}

static int load_control(struct source *source, source_node map,
			struct switch_config *config)
{
	struct control_config *control = &config->control;
	static const char *const keys[] = { "socket", "token", NULL };
	if (source_check_keys(source, map, keys) ||
	    source_key_string(source, map, "socket", control->socket,
			      SWITCH_SOCKET_PATH_MAX, false, false) ||
	    source_key_string(source, map, "token", control->token,
			      sizeof(control->token), false, false))
		return -1;
	if (source_get(source, map, "socket") && !control->socket[0])
		return source_key_error(source, map, "socket",
					"the socket path cannot be empty");
	if (source_get(source, map, "token") && !control->token[0])
		return source_key_error(source, map, "token",
					"an empty token; leave the key out for none");
	return 0;
}

/* Cross-section checks of the process level, positioned at the value that
 * the user would change. */
static int check_process(struct source *source, source_node root,
			 struct switch_config *config)
{
	source_node eal = source_get(source, root, "eal");
	const struct datapath_config *datapath = &config->datapath;
	unsigned count;
	int rc = 0;
	size_t mark = source_path_key(source, "eal");
	if (!eal || !source_get(source, eal, "lcores"))
		switch_config_default_lcores(config);
	else if (parse_lcores(config->eal.lcores, &count))
		rc = source_key_error(source, eal, "lcores",
				      "'%s' is not an lcore list (like \"0-1\" or \"0,2-3\", "
				      "or \"0@0,1@1,2@0\" to map lcores to CPUs; lcores "
				      "0..%d)",
				      config->eal.lcores, SWITCH_LCORE_MAX - 1);
	else if (count < datapath->workers + 1)
		rc = source_key_error(source, eal, "lcores",
				      "'%s' gives %u lcore%s; %" PRIu32 " worker%s need%s "
				      "%" PRIu32 " (the main lcore plus one per worker)",
				      config->eal.lcores, count,
				      count == 1 ? "" : "s",
				      datapath->workers,
				      datapath->workers == 1 ? "" : "s",
				      datapath->workers == 1 ? "s" : "",
				      datapath->workers + 1);
	uint64_t pool_mb = ((uint64_t)datapath->mbufs * SWITCH_MBUF_BYTES +
			    (1u << 20) - 1) >> 20;
	if (!rc && pool_mb >= config->eal.memory_mb)
		rc = source_key_error(source, eal ? eal : root, "memory_mb",
				      "%" PRIu32 " MB cannot hold the mbuf pool: %" PRIu32
				      " mbufs need about %" PRIu64
				      " MB (raise memory_mb or lower datapath.mbufs)",
				      config->eal.memory_mb, datapath->mbufs,
				      pool_mb);
	source_path_leave(source, mark);
	return rc;
}

/* ---- Desired state: fdb, ports, bridge domains -------------------------- */

static const char *const clock_names[] = { "system", "manual", NULL };
static const char *const admin_names[] = { "up", "down", NULL };

static int load_fdb(struct source *source, source_node map,
		    struct switch_config *config)
{
	struct fdb_settings *fdb = &config->fdb;
	static const char *const keys[] = { "capacity", "limit", "age_seconds",
					    "clock", NULL };
	unsigned clock = fdb->clock;
	if (source_check_keys(source, map, keys) ||
	    source_key_u32(source, map, "capacity", 8, 16777216, &fdb->capacity) ||
	    source_key_u32(source, map, "age_seconds", 0, 31536000,
			   &fdb->age_seconds) ||
	    source_key_choice(source, map, "clock", "a clock", clock_names,
			      &clock))
		return -1;
	fdb->clock = (enum fdb_clock)clock;
	/* Checked against this capacity; an apply leaving limit out keeps the
	 * base's, which must fit too. */
	source_node node = source_get(source, map, "limit");
	if (source_key_u32(source, map, "limit", 0, fdb->capacity, &fdb->limit))
		return -1;
	if (!node && fdb->limit > fdb->capacity)
		return source_key_error(source, map, "capacity",
					"%" PRIu32 " is below fdb.limit (%" PRIu32
					"); give a lower limit with it",
					fdb->capacity, fdb->limit);
	return 0;
}

/* The PMD name part of devargs ("net_pcap0" of "net_pcap0,rx_pcap=x"). */
static size_t device_name_length(const char *devargs)
{
	return strcspn(devargs, ",");
}

/* "198.18.0.1" (or with "/24" when prefix is not NULL) -> host order. */
static int read_ipv4_key(struct source *source, source_node map,
			 const char *key, bool required, uint32_t *address,
			 uint8_t *prefix)
{
	char text[40];
	source_node node = source_get(source, map, key);
	if (!node && !required)
		return 0;
	if (source_key_string(source, map, key, text, sizeof(text), true,
			      false))
		return -1;
	char *slash = strchr(text, '/');
	unsigned long length = 32;
	if (slash) {
		char *end = NULL;
		*slash = '\0';
		length = strtoul(slash + 1, &end, 10);
		if (!prefix || !slash[1] || *end || length > 32)
			return source_key_error(source, map, key,
						"'%s/%s' is not %s", text, slash + 1,
						prefix ? "an IPv4 address/prefix length"
						: "an IPv4 address");
	} else if (prefix) {
		return source_key_error(source, map, key,
					"'%s' needs a prefix length (like 198.18.0.1/24)",
					text);
	}
	struct in_addr in;
	if (inet_pton(AF_INET, text, &in) != 1)
		return source_key_error(source, map, key, "'%s' is not an IPv4 address",
					text);
	*address = ntohl(in.s_addr);
	if (prefix)
		*prefix = (uint8_t)length;
	return 0;
}

static int load_vtep_routes(struct source *source, source_node list,
			    struct vtep_config *vtep)
{
	size_t count = 0;
	if (source_list(source, list, &count))
		return -1;
	vtep->routes = count ? calloc(count, sizeof(*vtep->routes)) : NULL;
	if (count && !vtep->routes)
		return source_error(source, list, "out of memory");
	static const char *const keys[] = { "prefix", "next_hop", NULL };
	for (size_t i = 0; i < count; i++) {
		size_t mark = source_path_index(source, i);
		source_node item = source_item(source, list, i);
		struct vxlan_route *route = &vtep->routes[i];
		int rc = source_check_keys(source, item, keys) ||
			 read_ipv4_key(source, item, "prefix", true,
				       &route->prefix, &route->length) ||
			 read_ipv4_key(source, item, "next_hop", true,
				       &route->next_hop, NULL);
		if (!rc && route->length < 32 &&
		    (route->prefix & (0xffffffffu >> route->length)))
			rc = source_key_error(source, item, "prefix",
					      "host bits set after /%u", route->length);
		source_path_leave(source, mark);
		vtep->n_routes = i + 1;
		if (rc)
			return -1;
	}
	return 0;
}

static int load_vtep_neighbours(struct source *source, source_node list,
				struct vtep_config *vtep)
{
	size_t count = 0;
	if (source_list(source, list, &count))
		return -1;
	vtep->neighbours = count ? calloc(count, sizeof(*vtep->neighbours)) : NULL;
	if (count && !vtep->neighbours)
		return source_error(source, list, "out of memory");
	static const char *const keys[] = { "address", "mac", NULL };
	for (size_t i = 0; i < count; i++) {
		size_t mark = source_path_index(source, i);
		source_node item = source_item(source, list, i);
		struct vtep_neighbour_config *n = &vtep->neighbours[i];
		char mac[32];
		int rc = source_check_keys(source, item, keys) ||
			 read_ipv4_key(source, item, "address", true,
				       &n->address, NULL) ||
			 source_key_string(source, item, "mac", mac,
					   sizeof(mac), true, false);
		if (!rc && (!parse_mac(mac, n->mac) || (n->mac[0] & 1)))
			rc = source_key_error(source, item, "mac",
					      "'%s' is not a unicast MAC address", mac);
		source_path_leave(source, mark);
		vtep->n_neighbours = i + 1;
		if (rc)
			return -1;
	}
	return 0;
}

/* The VTEP section: the underlay (vxlan.h checks it) and how to reach the
 * remote VTEPs. */
static int load_vtep(struct source *source, source_node map,
		     struct switch_config *config)
{
	static const char *const keys[] = { "port", "address", "mac", "vid",
					    "udp_port", "mtu", "ttl", "df",
					    "ignore_reserved_bits", "routes",
					    "neighbours", "owner", NULL };
	struct vtep_config *vtep = &config->vtep;
	struct vxlan_underlay *u = &vtep->underlay;
	uint16_t ttl = 64;
	char mac[32] = "";
	vxlan_underlay_defaults(u);
	if (source_check_keys(source, map, keys) ||
	    source_key_string(source, map, "port", vtep->port,
			      sizeof(vtep->port), true, true) ||
	    read_ipv4_key(source, map, "address", true, &u->address,
			  &u->prefix_length) ||
	    source_key_string(source, map, "mac", mac, sizeof(mac), false, false) ||
	    source_key_string(source, map, "owner", vtep->owner,
			      sizeof(vtep->owner), false, true) ||
	    source_key_u16(source, map, "vid", 0, SWITCH_MAX_VID, &u->vid) ||
	    source_key_u16(source, map, "udp_port", 1, 65535, &u->udp_port) ||
	    source_key_u16(source, map, "mtu", 576, 9216, &u->mtu) ||
	    source_key_u16(source, map, "ttl", 1, 255, &ttl) ||
	    source_key_bool(source, map, "df", &u->df) ||
	    source_key_bool(source, map, "ignore_reserved_bits",
			    &u->ignore_reserved_bits))
		return -1;
	u->ttl = (uint8_t)ttl;
	if (mac[0] && (!parse_mac(mac, u->mac) || (u->mac[0] & 1)))
		return source_key_error(source, map, "mac",
					"'%s' is not a unicast MAC address", mac);
	int port = switch_config_port_index(config, vtep->port);
	if (port < 0)
		return source_key_error(source, map, "port",
					"port '%s' is not defined in ports", vtep->port);
	if (config->ports[port].vlan_configured)
		return source_key_error(source, map, "port",
					"the underlay port '%s' has a VLAN mode; use "
					"vtep.vid to tag the underlay", vtep->port);
	/* vxlan_underlay_check wants a MAC: check with a stand-in when the
	 * port's own MAC will be used. */
	struct vxlan_underlay checked = *u;
	static const uint8_t zero[6];
	if (!memcmp(checked.mac, zero, 6))
		checked.mac[0] = 0x02;
	char why[256];
	if (vxlan_underlay_check(&checked, why, sizeof(why)) != 0)
		return source_error(source, map, "%s", why);
	source_node routes = source_get(source, map, "routes");
	source_node neighbours = source_get(source, map, "neighbours");
	size_t mark;
	if (routes) {
		mark = source_path_key(source, "routes");
		int rc = load_vtep_routes(source, routes, vtep);
		source_path_leave(source, mark);
		if (rc)
			return -1;
	}
	if (neighbours) {
		mark = source_path_key(source, "neighbours");
		int rc = load_vtep_neighbours(source, neighbours, vtep);
		source_path_leave(source, mark);
		if (rc)
			return -1;
	}
	vtep->configured = true;
	return 0;
}

/* A port's `vlan` section, built with vlan.h's control-thread functions
 * so that the mode the switch runs is exactly the one checked here. */
static int load_port_vlan(struct source *source, source_node map,
			  struct port_config *port)
{
	static const char *const keys[] = { "mode", "vid", "allowed", "tpid",
					    "inner_tags", "pcp", NULL };
	char mode_name[32], allowed[1024] = "", tpid_text[16] = "";
	uint16_t vid = 0;
	uint64_t inner_tags = 0, pcp = 0;
	if (source_check_keys(source, map, keys) ||
	    source_key_string(source, map, "mode", mode_name, sizeof(mode_name),
			      true, false) ||
	    source_key_u16(source, map, "vid", 0, SWITCH_MAX_VID, &vid) ||
	    source_key_string(source, map, "allowed", allowed, sizeof(allowed),
			      false, false) ||
	    source_key_string(source, map, "tpid", tpid_text, sizeof(tpid_text),
			      false, false) ||
	    source_key_u64(source, map, "inner_tags", 0, 1, &inner_tags) ||
	    source_key_u64(source, map, "pcp", 0, VLAN_PCP_MAX, &pcp))
		return -1;
	enum vlan_port_mode mode;
	if (vlan_port_mode_parse(mode_name, &mode) != 0) {
		char expected[160] = "";
		for (unsigned i = 0; i < VLAN_PORT_MODE_MAX; i++)
			snprintf(expected + strlen(expected),
				 sizeof(expected) - strlen(expected), "%s%s",
				 i ? ", " : "", vlan_port_mode_names[i]);
		return source_key_error(source, map, "mode",
					"'%s' is not a VLAN mode (expected one of: %s)",
					mode_name, expected);
	}
	bool needs_vid = mode != VLAN_PORT_trunk;
	if (needs_vid && !vid)
		return source_key_error(source, map,
					!source_get(source, map, "vid") ? "mode"
									: "vid",
					"mode %s needs a vid (1..%d)", mode_name,
					SWITCH_MAX_VID);
	if (!needs_vid && vid)
		return source_key_error(source, map, "vid",
					"a plain trunk has no VID of its own (use "
					"native-untagged or native-tagged)");
	vlan_port_init(&port->vlan, mode, vid);
	if (allowed[0]) {
		if (mode == VLAN_PORT_access || mode == VLAN_PORT_tunnel)
			return source_key_error(source, map, "allowed",
						"mode %s carries one VID, not a list",
						mode_name);
		if (vlan_port_allow_list(&port->vlan, allowed) != 0)
			return source_key_error(source, map, "allowed",
						"'%s' is not a VID list like "
						"\"10,20,100-199\" (VIDs 1..4094)",
						allowed);
	}
	if (tpid_text[0] || inner_tags) {
		char *end = NULL;
		unsigned long tpid = tpid_text[0] ? strtoul(tpid_text, &end, 16)
						  : VLAN_TPID_8021Q;
		if (tpid_text[0] && (!end || *end))
			tpid = 0;
		if (mode == VLAN_PORT_access || mode == VLAN_PORT_tunnel)
			return source_key_error(source, map, tpid_text[0] ? "tpid"
								   : "inner_tags",
						"mode %s has no tag of its own",
						mode_name);
		if (vlan_port_set_tpid(&port->vlan, (uint16_t)tpid,
				       (uint8_t)inner_tags) != 0)
			return source_key_error(source, map, "tpid",
						"'%s' is not a TPID this switch tags "
						"with (0x8100, 0x88a8 or 0x9100)",
						tpid_text);
	}
	vlan_port_set_pcp(&port->vlan, (uint8_t)pcp);
	const char *why = vlan_port_check(&port->vlan);
	if (why)
		return source_error(source, map, "%s", why);
	port->vlan_configured = true;
	return 0;
}

static int load_port(struct source *source, source_node map,
		     struct switch_config *config, size_t index)
{
	static const char *const keys[] = { "name", "devargs", "admin", "mtu",
					    "rx_queues", "vlan", NULL };
	struct port_config *port = &config->ports[index];
	unsigned admin = 0; /* up */
	if (source_check_keys(source, map, keys) ||
	    source_key_string(source, map, "name", port->name,
			      sizeof(port->name), true, true) ||
	    source_key_string(source, map, "devargs", port->devargs,
			      sizeof(port->devargs), true, false) ||
	    source_key_choice(source, map, "admin", "an admin state",
			      admin_names, &admin) ||
	    source_key_u32(source, map, "mtu", 0, 16110, &port->mtu) ||
	    source_key_u32(source, map, "rx_queues", 0, 64, &port->rx_queues))
		return -1;
	port->admin_up = admin == 0;
	source_node vlan = source_get(source, map, "vlan");
	if (vlan) {
		size_t mark = source_path_key(source, "vlan");
		int rc = load_port_vlan(source, vlan, port);
		source_path_leave(source, mark);
		if (rc)
			return -1;
	}
	if (port->mtu && port->mtu < 68)
		return source_key_error(source, map, "mtu",
					"%" PRIu32 " is below the IPv4 minimum of 68 "
					"(0 = the PMD's default)",
					port->mtu);
	size_t device = device_name_length(port->devargs);
	if (!device)
		return source_key_error(source, map, "devargs",
					"'%s' does not start with a device name (like "
					"net_pcap0 or 0000:01:00.0)",
					port->devargs);
	/* At most 64 ports: pairwise is fine. */
	for (size_t i = 0; i < index; i++) {
		const struct port_config *other = &config->ports[i];
		if (!strcmp(other->name, port->name))
			return source_key_error(source, map, "name",
						"duplicate port name '%s' (also ports[%zu])",
						port->name, i);
		if (device_name_length(other->devargs) == device &&
		    !strncmp(other->devargs, port->devargs, device))
			return source_key_error(source, map, "devargs",
						"device '%.*s' is already used by port '%s'",
						(int)device, port->devargs, other->name);
	}
	return 0;
}

static int load_ports(struct source *source, source_node root,
		      struct switch_config *config)
{
	source_node list = source_key_require(source, root, "ports");
	if (!list)
		return -1;
	size_t mark = source_path_key(source, "ports");
	size_t count = 0;
	int rc = source_list(source, list, &count);
	if (!rc && count == 0)
		rc = source_error(source, list, "at least one port is required");
	if (!rc && count > SWITCH_MAX_PORTS)
		rc = source_error(source, list, "%zu ports; at most %d", count,
				  SWITCH_MAX_PORTS);
	if (!rc) {
		config->ports = calloc(count, sizeof(*config->ports));
		if (!config->ports)
			rc = source_error(source, list, "out of memory");
	}
	for (size_t i = 0; !rc && i < count; i++) {
		size_t item_mark = source_path_index(source, i);
		rc = load_port(source, source_item(source, list, i), config, i);
		source_path_leave(source, item_mark);
		if (!rc)
			config->n_ports = i + 1;
	}
	source_path_leave(source, mark);
	return rc;
}

/* Which BD holds each (port, vid), and a hash set for names and MACs: the
 * checks stay linear for thousands of BDs and members. */
struct bd_index {
	/* member_bd[port * (SWITCH_MAX_VID + 1) + vid]: BD index + 1, 0 none */
	uint16_t *member_bd;
	bool id_used[SWITCH_MAX_BD + 1];
	size_t n_members;
	size_t n_static_macs;
	/* Open addressing; slots hold item index + 1. Names hash BD names,
	 * MACs hash the static MACs of the BD being read. */
	uint32_t *names;
	size_t names_mask;
	uint32_t *macs;
	size_t macs_mask;
};

static uint64_t hash_bytes(const void *data, size_t length)
{
	/* FNV-1a, then a final mix so that the low bits are usable. */
	const uint8_t *p = data;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < length; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static size_t table_size(size_t items)
{
	size_t size = 16;
	while (size < 2 * items)
		size *= 2;
	return size;
}

static int member_slot(const struct switch_config *config, const char *port,
		       uint16_t vid)
{
	int index = switch_config_port_index(config, port);
	return index < 0 ? -1 : index * (SWITCH_MAX_VID + 1) + vid;
}

static int load_policer_direction(struct source *source, source_node map,
				  uint32_t workers, struct policer_config *policer)
{
	static const char *const keys[] = { "rate", "burst", "mark_pcp",
					    "mark_dscp", NULL };
	uint64_t rate = 0, burst = 0, pcp = 0, dscp = 0;
	if (source_check_keys(source, map, keys))
		return -1;
	if (!source_get(source, map, "rate") || !source_get(source, map, "burst"))
		return source_error(source, map, "a policer needs rate (bit/s) and "
						 "burst (bytes)");
	if (source_key_u64(source, map, "rate", 64000, 100000000000ull,
			   &rate) ||
	    source_key_u64(source, map, "burst", 64, 1u << 30, &burst) ||
	    source_key_u64(source, map, "mark_pcp", 0, 7, &pcp) ||
	    source_key_u64(source, map, "mark_dscp", 0, 63, &dscp))
		return -1;
	bool has_pcp = source_get(source, map, "mark_pcp") != NULL;
	bool has_dscp = source_get(source, map, "mark_dscp") != NULL;
	if (has_pcp && has_dscp)
		return source_key_error(source, map, "mark_dscp",
					"mark either the PCP or the DSCP, not both");
	/* Each worker meters its share (vswitch.h): the share must be a
	 * rate the meter takes. */
	if (workers > 1 && rate / workers < 64000)
		return source_key_error(source, map, "rate",
					"%" PRIu64 " bit/s over %" PRIu32 " workers is "
					"below 64 kbit/s each", rate, workers);
	policer->enabled = true;
	policer->rate_bps = rate;
	policer->burst_bytes = (uint32_t)burst;
	policer->action = has_pcp ? 1 : has_dscp ? 2 : 0;
	policer->mark = (uint8_t)(has_pcp ? pcp : dscp);
	return 0;
}

static int load_policer(struct source *source, source_node map,
			uint32_t workers, struct member_config *member)
{
	source_node node = source_get(source, map, "policer");
	if (!node)
		return 0;
	static const char *const keys[] = { "in", "out", NULL };
	static const char *const directions[] = { "in", "out" };
	size_t mark = source_path_key(source, "policer");
	int rc = source_check_keys(source, node, keys);
	for (int d = 0; !rc && d < 2; d++) {
		source_node direction = source_get(source, node, directions[d]);
		if (!direction)
			continue;
		size_t inner = source_path_key(source, directions[d]);
		rc = load_policer_direction(source, direction, workers,
					    &member->policer[d]);
		source_path_leave(source, inner);
	}
	source_path_leave(source, mark);
	return rc;
}

/* A (tunnel, VNI) member: the VTEP must exist and the pair be unique
 * across all BDs (tunnels are few: a linear check). */
static int load_tunnel_member(struct source *source, source_node map,
			      struct switch_config *config,
			      struct bd_index *index, size_t bd_index,
			      size_t member_index)
{
	struct member_config *member = &config->bds[bd_index].members[member_index];
	uint64_t vni = 0;
	if (read_ipv4_key(source, map, "tunnel", true, &member->tunnel, NULL))
		return -1;
	if (!source_get(source, map, "vni"))
		return source_key_error(source, map, "tunnel",
					"a tunnel member needs a vni");
	if (source_key_u64(source, map, "vni", 0, VXLAN_VNI_MAX, &vni))
		return -1;
	member->vni = (uint32_t)vni;
	if (source_get(source, map, "port") || source_get(source, map, "vid"))
		return source_key_error(source, map, "tunnel",
					"a member is a port (with vid) or a tunnel "
					"(with vni), not both");
	if (!config->vtep.configured)
		return source_key_error(source, map, "tunnel",
					"tunnel members need a vtep section");
	if (member->tunnel == config->vtep.underlay.address || !member->tunnel)
		return source_key_error(source, map, "tunnel",
					"the remote VTEP cannot be our own address");
	for (size_t b = 0; b <= bd_index; b++) {
		const struct bd_config *bd = &config->bds[b];
		size_t n = b == bd_index ? member_index : bd->n_members;
		for (size_t m = 0; m < n; m++)
			if (bd->members[m].tunnel == member->tunnel &&
			    bd->members[m].vni == member->vni)
				return source_key_error(source, map, "vni",
							"VNI %u to that VTEP is already a "
							"member of bridge domain '%s'",
							member->vni, bd->name);
	}
	if (++index->n_members > SWITCH_MAX_MEMBERS)
		return source_key_error(source, map, "tunnel",
					"more than %d members in all bridge domains",
					SWITCH_MAX_MEMBERS);
	return 0;
}

static int load_member(struct source *source, source_node map,
		       struct switch_config *config, struct bd_index *index,
		       size_t bd_index, size_t member_index)
{
	static const char *const keys[] = { "port", "vid", "split_horizon",
					    "tunnel", "vni", "policer", NULL };
	struct bd_config *bd = &config->bds[bd_index];
	struct member_config *member = &bd->members[member_index];
	uint64_t split_horizon = 0;
	if (source_check_keys(source, map, keys) ||
	    source_key_u64(source, map, "split_horizon", 0,
			   SWITCH_MAX_SPLIT_HORIZON, &split_horizon) ||
	    load_policer(source, map, config->datapath.workers, member))
		return -1;
	member->split_horizon = (uint8_t)split_horizon;
	if (source_get(source, map, "tunnel"))
		return load_tunnel_member(source, map, config, index, bd_index,
					  member_index);
	if (source_key_string(source, map, "port", member->port,
			      sizeof(member->port), true, true) ||
	    source_key_u16(source, map, "vid", 0, SWITCH_MAX_VID, &member->vid))
		return -1;
	if (config->vtep.configured && !strcmp(member->port, config->vtep.port))
		return source_key_error(source, map, "port",
					"port '%s' is the VTEP's underlay port",
					member->port);
	int slot = member_slot(config, member->port, member->vid);
	if (slot < 0)
		return source_key_error(source, map, "port",
					"port '%s' is not defined in ports", member->port);
	const struct port_config *port = switch_config_port(config, member->port);
	if (port->vlan_configured) {
		struct vlan_egress egress = vlan_port_egress(&port->vlan,
							     member->vid);
		if (member->vid == 0 || egress.verdict != VLAN_OK)
			return source_key_error(source, map, "vid",
						"port '%s' (VLAN mode %s) does not carry "
						"VID %u",
						member->port,
						vlan_port_mode_names[port->vlan.mode],
						member->vid);
	}
	if (index->member_bd[slot] == bd_index + 1)
		return source_key_error(source, map, "port",
					"port '%s' vid %u is listed twice in this bridge "
					"domain",
					member->port, member->vid);
	if (index->member_bd[slot])
		return source_key_error(source, map, "port",
					"port '%s' vid %u is already a member of bridge "
					"domain '%s'",
					member->port, member->vid,
					config->bds[index->member_bd[slot] - 1].name);
	if (++index->n_members > SWITCH_MAX_MEMBERS)
		return source_key_error(source, map, "port",
					"more than %d members in all bridge domains",
					SWITCH_MAX_MEMBERS);
	index->member_bd[slot] = (uint16_t)(bd_index + 1);
	return 0;
}

static int load_static_mac(struct source *source, source_node map,
			   struct switch_config *config, struct bd_index *index,
			   size_t bd_index, size_t mac_index)
{
	static const char *const keys[] = { "mac", "port", "vid", NULL };
	struct bd_config *bd = &config->bds[bd_index];
	struct static_mac_config *entry = &bd->static_macs[mac_index];
	char text[32];
	if (source_check_keys(source, map, keys) ||
	    source_key_string(source, map, "mac", text, sizeof(text), true,
			      false) ||
	    source_key_string(source, map, "port", entry->port,
			      sizeof(entry->port), true, true) ||
	    source_key_u16(source, map, "vid", 0, SWITCH_MAX_VID, &entry->vid))
		return -1;

	static const uint8_t zero[6];
	if (!parse_mac(text, entry->mac))
		return source_key_error(source, map, "mac",
					"'%s' is not a MAC address (six hex bytes like "
					"02:00:00:00:00:01)",
					text);
	if (entry->mac[0] & 1)
		return source_key_error(source, map, "mac",
					"%s is a multicast address; static MACs must be "
					"unicast",
					text);
	if (!memcmp(entry->mac, zero, sizeof(zero)))
		return source_key_error(source, map, "mac",
					"00:00:00:00:00:00 is not a station address");
	size_t i = hash_bytes(entry->mac, 6) & index->macs_mask;
	for (; index->macs[i]; i = (i + 1) & index->macs_mask) {
		size_t other = index->macs[i] - 1;
		if (!memcmp(bd->static_macs[other].mac, entry->mac, 6)) {
			char mac[18];
			switch_config_format_mac(entry->mac, mac);
			return source_key_error(source, map, "mac",
						"static MAC %s is listed twice in bridge "
						"domain '%s' (also static_macs[%zu])",
						mac, bd->name, other);
		}
	}
	index->macs[i] = (uint32_t)mac_index + 1;

	int slot = member_slot(config, entry->port, entry->vid);
	if (slot < 0)
		return source_key_error(source, map, "port",
					"port '%s' is not defined in ports", entry->port);
	if (index->member_bd[slot] != bd_index + 1)
		return source_key_error(source, map, "port",
					"port '%s' vid %u is not a member of bridge "
					"domain '%s'",
					entry->port, entry->vid, bd->name);
	if (++index->n_static_macs > config->fdb.capacity)
		return source_key_error(source, map, "port",
					"more static MACs than fdb.capacity (%" PRIu32 ")",
					config->fdb.capacity);
	return 0;
}

/* members or static_macs of one BD: a list, each item read by `load`. */
static int load_bd_list(struct source *source, source_node map,
			const char *key, bool required,
			struct switch_config *config, struct bd_index *index,
			size_t bd_index)
{
	struct bd_config *bd = &config->bds[bd_index];
	bool members = !strcmp(key, "members");
	source_node list = required ? source_key_require(source, map, key)
				    : source_get(source, map, key);
	if (!list)
		return required ? -1 : 0;
	size_t mark = source_path_key(source, key);
	size_t count = 0;
	int rc = source_list(source, list, &count);
	if (!rc && count > SWITCH_MAX_MEMBERS)
		rc = source_error(source, list, "%zu items; at most %d", count,
				  SWITCH_MAX_MEMBERS);
	if (!rc && count) {
		void *items = calloc(count, members ? sizeof(*bd->members)
						    : sizeof(*bd->static_macs));
		if (!items)
			rc = source_error(source, list, "out of memory");
		else if (members)
			bd->members = items;
		else
			bd->static_macs = items;
	}
	if (!rc && !members && count) {
		free(index->macs);
		index->macs_mask = table_size(count) - 1;
		index->macs = calloc(index->macs_mask + 1, sizeof(*index->macs));
		if (!index->macs)
			rc = source_error(source, list, "out of memory");
	}
	for (size_t i = 0; !rc && i < count; i++) {
		size_t item_mark = source_path_index(source, i);
		source_node item = source_item(source, list, i);
		rc = members ? load_member(source, item, config, index, bd_index, i)
			     : load_static_mac(source, item, config, index,
					       bd_index, i);
		source_path_leave(source, item_mark);
		/* Counted as filled so far, so that free sees them all. */
		if (members)
			bd->n_members = i + 1;
		else
			bd->n_static_macs = i + 1;
	}
	source_path_leave(source, mark);
	return rc;
}

static int load_bd(struct source *source, source_node map,
		   struct switch_config *config, struct bd_index *index,
		   size_t bd_index)
{
	static const char *const keys[] = { "name", "id", "learning",
					    "mac_limit", "members",
					    "static_macs", NULL };
	struct bd_config *bd = &config->bds[bd_index];
	bd->learning = true;
	if (source_check_keys(source, map, keys) ||
	    source_key_string(source, map, "name", bd->name, sizeof(bd->name),
			      true, true) ||
	    source_key_u16(source, map, "id", 1, SWITCH_MAX_BD, &bd->id) ||
	    source_key_bool(source, map, "learning", &bd->learning) ||
	    source_key_u32(source, map, "mac_limit", 0, config->fdb.capacity,
			   &bd->mac_limit))
		return -1;

	/* Unique name and id. */
	size_t slot = hash_bytes(bd->name, strlen(bd->name)) & index->names_mask;
	for (; index->names[slot]; slot = (slot + 1) & index->names_mask) {
		size_t other = index->names[slot] - 1;
		if (!strcmp(config->bds[other].name, bd->name))
			return source_key_error(source, map, "name",
						"duplicate bridge domain name '%s' (also "
						"bridge_domains[%zu])",
						bd->name, other);
	}
	index->names[slot] = (uint32_t)bd_index + 1;
	if (bd->id && index->id_used[bd->id])
		return source_key_error(source, map, "id",
					"bridge domain id %u is already used by '%s'",
					bd->id,
					switch_config_bd_by_id(config, bd->id)->name);
	index->id_used[bd->id] = bd->id != 0; /* 0: assigned later */
	return load_bd_list(source, map, "members", true, config, index,
			    bd_index) ||
			       load_bd_list(source, map, "static_macs", false,
					    config, index, bd_index)
		       ? -1
		       : 0;
}

static int load_bds(struct source *source, source_node root,
		    struct switch_config *config)
{
	source_node list = source_get(source, root, "bridge_domains");
	if (!list)
		return 0;
	size_t mark = source_path_key(source, "bridge_domains");
	size_t count = 0;
	struct bd_index *index = NULL;
	int rc = source_list(source, list, &count);
	if (!rc && count > SWITCH_MAX_BD)
		rc = source_error(source, list, "%zu bridge domains; at most %d",
				  count, SWITCH_MAX_BD);
	if (!rc && count) {
		index = calloc(1, sizeof(*index));
		config->bds = calloc(count, sizeof(*config->bds));
		if (index) {
			index->member_bd = calloc(config->n_ports * (SWITCH_MAX_VID + 1),
						  sizeof(*index->member_bd));
			index->names_mask = table_size(count) - 1;
			index->names = calloc(index->names_mask + 1,
					      sizeof(*index->names));
		}
		if (!index || !config->bds || !index->member_bd || !index->names)
			rc = source_error(source, list, "out of memory");
	}
	for (size_t i = 0; !rc && i < count; i++) {
		size_t item_mark = source_path_index(source, i);
		rc = load_bd(source, source_item(source, list, i), config,
			     index, i);
		source_path_leave(source, item_mark);
		config->n_bds = i + 1;
	}
	if (index) {
		free(index->member_bd);
		free(index->names);
		free(index->macs);
		free(index);
	}
	source_path_leave(source, mark);
	return rc;
}

static int load_desired(struct source *source, source_node root,
			struct switch_config *config)
{
	return load_section(source, root, "fdb", config, load_fdb) ||
		       load_ports(source, root, config) ||
		       load_section(source, root, "vtep", config, load_vtep) ||
		       load_bds(source, root, config)
		       ? -1
		       : 0;
}

/* ---- YAML --------------------------------------------------------------- */

static int load_yaml_root(struct source *source, source_node root,
			  struct switch_config *config)
{
	static const char *const keys[] = { "eal", "datapath", "control",
					    "fdb", "ports", "bridge_domains",
					    "vtep", NULL };
	if (source_check_keys(source, root, keys) ||
	    load_section(source, root, "datapath", config, load_datapath) ||
	    load_section(source, root, "eal", config, load_eal) ||
	    check_process(source, root, config))
		return -1;
	switch_config_default_socket(config); /* after file_prefix, before socket */
	return load_section(source, root, "control", config, load_control) ||
		       load_desired(source, root, config)
		       ? -1
		       : 0;
}

static int load_yaml_file(struct switch_config *config,
			  struct yaml_file *file, struct load_error *error)
{
	struct source source = {
		.kind = SOURCE_YAML,
		.name = file->path,
		.yaml = file,
		.error = error,
	};
	switch_config_init(config);
	int rc = load_yaml_root(&source, yaml_file_root(file), config);
	if (rc)
		switch_config_free(config);
	yaml_file_free(file);
	return rc;
}

int switch_config_load_file(struct switch_config *config, const char *path,
			    struct load_error *error)
{
	struct yaml_file file;
	if (yaml_file_load(&file, path, error)) {
		yaml_file_free(&file);
		switch_config_init(config);
		return -1;
	}
	return load_yaml_file(config, &file, error);
}

int switch_config_load_yaml(struct switch_config *config, const char *name,
			    const char *text, size_t length,
			    struct load_error *error)
{
	struct yaml_file file;
	if (yaml_file_load_string(&file, name, text, length, error)) {
		yaml_file_free(&file);
		switch_config_init(config);
		return -1;
	}
	return load_yaml_file(config, &file, error);
}

/* ---- JSON --------------------------------------------------------------- */

int switch_config_from_json(struct switch_config *config,
			    const struct switch_config *base,
			    const struct json_t *json, struct load_error *error)
{
	struct source source = {
		.kind = SOURCE_JSON,
		.name = "apply",
		.error = error,
	};
	static const char *const process_level[] = { "eal", "datapath",
						     "control", NULL };
	static const char *const keys[] = { "fdb", "ports", "bridge_domains",
					    "vtep", NULL };

	switch_config_init(config);
	if (base) {
		config->eal = base->eal;
		config->datapath = base->datapath;
		config->control = base->control;
		config->fdb = base->fdb;
	}
	int rc = 0;
	if (!json || !json_is_object(json)) {
		rc = source_error(&source, json, "expected an object, found %s",
				  json ? source_json_type(json) : "nothing");
		goto out;
	}
	for (const char *const *key = process_level; *key; key++) {
		if (!json_object_get(json, *key))
			continue;
		size_t mark = source_path_key(&source, *key);
		rc = source_error(&source, json,
				  "process-level settings cannot be applied; "
				  "they are read from the --config file at start");
		source_path_leave(&source, mark);
		goto out;
	}
	rc = source_check_keys(&source, json, keys) ||
	     load_desired(&source, json, config);
out:
	if (rc) {
		switch_config_free(config);
		return -1;
	}
	return 0;
}

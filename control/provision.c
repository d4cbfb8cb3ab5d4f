/* Provisioning: one VNet's embedding compiled into the desired state of
 * each substrate node's loom-switch (the JSON that `apply` takes), the
 * merge of all VNets' parts on a node, and the conversion of a parsed VNet
 * request into the embedder's request. See control.h, "Provisioning", for
 * the names and conventions. Pure functions: nothing is sent here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"

static int fail(char *err, size_t err_size, int code, const char *format, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t err_size, int code, const char *format, ...)
{
	if (err && err_size) {
		va_list args;
		va_start(args, format);
		vsnprintf(err, err_size, format, args);
		va_end(args);
	}
	return code;
}

/* ---- Names -------------------------------------------------------------- */

static bool vnet_id_valid(const char *id)
{
	size_t length = id ? strlen(id) : 0;
	if (length == 0 || length > PROVISION_VNET_ID_MAX)
		return false;
	for (size_t i = 0; i < length; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* 64-bit FNV-1a over the three strings with their NULs, cut to 52 bits
 * (13 hex digits) so that "lv" + hash fits IFNAMSIZ. */
static uint64_t attachment_hash(const char *vnet_id, const char *node_id,
				const char *interface_id)
{
	const char *parts[3] = { vnet_id, node_id, interface_id };
	uint64_t hash = 0xcbf29ce484222325ull;
	for (int p = 0; p < 3; p++) {
		const unsigned char *s = (const unsigned char *)parts[p];
		do {
			hash ^= *s;
			hash *= 0x100000001b3ull;
		} while (*s++);
	}
	return hash & ((1ull << 52) - 1);
}

int provision_attachment(const char *vnet_id, const char *node_id,
			 const char *interface_id, uint32_t interface_index,
			 enum vnet_node_kind kind, const char *vhost_directory,
			 struct provision_attachment *out)
{
	memset(out, 0, sizeof(*out));
	if (!vnet_id_valid(vnet_id) || !node_id || !interface_id)
		return -EINVAL;
	uint64_t hash = attachment_hash(vnet_id, node_id, interface_id);
	snprintf(out->port, sizeof(out->port), "%s.I%" PRIu32, vnet_id,
		 interface_index);
	snprintf(out->veth, sizeof(out->veth), "lv%013" PRIx64, hash);
	snprintf(out->peer, sizeof(out->peer), "lp%013" PRIx64, hash);
	const char *directory = vhost_directory ? vhost_directory
						: PROVISION_VHOST_DIRECTORY;
	int n = snprintf(out->vhost_socket, sizeof(out->vhost_socket),
			 "%s/%s.%013" PRIx64 ".sock", directory, vnet_id, hash);
	if (n < 0 || (size_t)n >= sizeof(out->vhost_socket))
		return -ENAMETOOLONG;
	if (kind == VNET_NODE_VM)
		snprintf(out->devargs, sizeof(out->devargs),
			 "net_vhost_%s,iface=%s", out->veth, out->vhost_socket);
	else
		snprintf(out->devargs, sizeof(out->devargs),
			 "net_af_packet_%s,iface=%s", out->veth, out->veth);
	return 0;
}

struct provision_vtep provision_vtep_of(const struct provision_options *options,
					uint32_t node)
{
	if (options && options->vteps)
		return options->vteps[node];
	struct provision_vtep vtep = {
		.address = PROVISION_VTEP_NETWORK + node + 1,
		.prefix_length = PROVISION_VTEP_PREFIX_LENGTH,
	};
	return vtep;
}

uint32_t provision_burst_bytes(uint64_t rate_bps, uint32_t mtu)
{
	/* 10 ms at the rate absorbs the bursts TCP makes at that rate; two
	 * full frames keep a slow link from dropping every large frame. */
	uint64_t burst = rate_bps / 800;
	uint64_t frames = 2 * ((uint64_t)mtu + 18);
	if (burst < frames)
		burst = frames;
	if (burst < 64)
		burst = 64;
	if (burst > (1u << 30))
		burst = 1u << 30;
	return (uint32_t)burst;
}

static uint64_t policer_rate(uint64_t kbps)
{
	uint64_t rate = kbps > UINT64_MAX / 1000 ? UINT64_MAX : kbps * 1000;
	if (rate < PROVISION_POLICER_RATE_MIN)
		rate = PROVISION_POLICER_RATE_MIN;
	if (rate > PROVISION_POLICER_RATE_MAX)
		rate = PROVISION_POLICER_RATE_MAX;
	return rate;
}

static void format_ipv4(uint32_t address, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", address >> 24, (address >> 16) & 255,
		 (address >> 8) & 255, address & 255);
}

/* ---- Compilation -------------------------------------------------------- */

/* A member of a BD being built: a (port, VID), with a policer when it is
 * an attachment, or a (tunnel, VNI). */
struct member {
	bool tunnel;
	char port[PROVISION_NAME_SIZE];
	uint32_t vid;
	uint32_t address;
	uint32_t vni;
	bool policed;
	uint64_t rate[2]; /* [0] in, [1] out */
	uint32_t burst[2];
};

struct bd {
	uint32_t link;
	uint32_t node;
	size_t member_count, member_capacity;
	struct member *members;
};

struct attachment_port {
	uint32_t node;
	char name[PROVISION_NAME_SIZE];
	char devargs[PROVISION_DEVARGS_SIZE];
};

struct compiler {
	const struct substrate *substrate;
	const struct provision_options *options;
	size_t bd_count, bd_capacity;
	struct bd *bds;
	size_t port_count, port_capacity;
	struct attachment_port *ports;
	uint32_t *bd_of_node;   /* per substrate node: BD of the current link */
	uint32_t *vtep_port;    /* per substrate node: SUBSTRATE_NONE or port */
	uint32_t *vtep_mtu;     /* per substrate node: the underlay IP MTU its
				 * VXLAN hops need (0: none) */
	uint32_t *ethernet_port_mark; /* per node and port: 1 + link seen */
	uint32_t *port_offset;  /* node's first slot in ethernet_port_mark */
	char *err;
	size_t err_size;
};

static int grow(void **array, size_t *capacity, size_t count, size_t size)
{
	if (count < *capacity)
		return 0;
	size_t next = *capacity ? *capacity * 2 : 8;
	void *grown = realloc(*array, next * size);
	if (!grown)
		return -ENOMEM;
	*array = grown;
	*capacity = next;
	return 0;
}

/* The BD of virtual link `link` on substrate node `node`, made on first
 * use. Links are compiled one after the other, so bd_of_node only needs
 * to remember the current link's BDs. */
static struct bd *bd_get(struct compiler *c, uint32_t link, uint32_t node)
{
	uint32_t index = c->bd_of_node[node];
	if (index != SUBSTRATE_NONE && c->bds[index].link == link)
		return &c->bds[index];
	if (grow((void **)&c->bds, &c->bd_capacity, c->bd_count,
		 sizeof(*c->bds)))
		return NULL;
	struct bd *bd = &c->bds[c->bd_count];
	memset(bd, 0, sizeof(*bd));
	bd->link = link;
	bd->node = node;
	c->bd_of_node[node] = (uint32_t)c->bd_count++;
	return bd;
}

static int bd_add(struct compiler *c, uint32_t link, uint32_t node,
		  const struct member *member)
{
	struct bd *bd = bd_get(c, link, node);
	if (!bd || grow((void **)&bd->members, &bd->member_capacity,
			bd->member_count, sizeof(*bd->members)))
		return fail(c->err, c->err_size, -ENOMEM, "out of memory");
	bd->members[bd->member_count++] = *member;
	return 0;
}

/* One end of a hop: the member on `node` for substrate link `l`. */
static int compile_hop_end(struct compiler *c, uint32_t link,
			   const struct substrate_link *l, int end, uint32_t tag,
			   uint32_t link_mtu)
{
	const struct substrate_endpoint *here = &l->ends[end];
	const struct substrate_endpoint *there = &l->ends[1 - end];
	const struct substrate_node *node = &c->substrate->nodes[here->node];
	struct member member = { 0 };
	uint32_t slot = c->port_offset[here->node] + here->port;
	if (l->kind == SUBSTRATE_LINK_IP) {
		uint32_t *vtep = &c->vtep_port[here->node];
		if (*vtep != SUBSTRATE_NONE && *vtep != here->port)
			return fail(c->err, c->err_size, -ENOTSUP,
				    "substrate node '%s' has ip links on ports "
				    "'%s' and '%s': a switch has one VTEP port",
				    node->id, node->ports[*vtep].name,
				    node->ports[here->port].name);
		if (c->ethernet_port_mark[slot])
			return fail(c->err, c->err_size, -ENOTSUP,
				    "port '%s' of substrate node '%s' carries "
				    "ethernet hops and is its VTEP port",
				    node->ports[here->port].name, node->id);
		*vtep = here->port;
		/* A frame of the link's MTU, with its Ethernet header, in
		 * outer IPv4, UDP and VXLAN headers. */
		uint32_t needed = link_mtu + PROVISION_VXLAN_OVERHEAD;
		if (needed > c->vtep_mtu[here->node])
			c->vtep_mtu[here->node] = needed;
		struct provision_vtep remote =
			provision_vtep_of(c->options, there->node);
		member.tunnel = true;
		member.address = remote.address;
		member.vni = tag;
	} else {
		if (c->vtep_port[here->node] == here->port)
			return fail(c->err, c->err_size, -ENOTSUP,
				    "port '%s' of substrate node '%s' carries "
				    "ethernet hops and is its VTEP port",
				    node->ports[here->port].name, node->id);
		c->ethernet_port_mark[slot] = 1;
		snprintf(member.port, sizeof(member.port), "%s",
			 node->ports[here->port].name);
		member.vid = tag;
	}
	return bd_add(c, link, here->node, &member);
}

static int compile_link(struct compiler *c, const struct vnet_request *request,
			const struct embed_mapping *mapping, const uint32_t *tags,
			const char *vnet_id, uint32_t link)
{
	const struct vnet_link *vlink = &request->links[link];
	const struct embed_flow *flow = NULL;
	for (uint32_t f = 0; f < mapping->flow_count; f++) {
		if (mapping->flows[f].link != link)
			continue;
		if (flow)
			return fail(c->err, c->err_size, -ENOTSUP,
				    "link '%s' is split over several flows: "
				    "two paths between the same hosts would be "
				    "an L2 loop", vlink->id);
		flow = &mapping->flows[f];
	}
	if (!flow)
		return fail(c->err, c->err_size, -EINVAL,
			    "link '%s' has no flow in the embedding",
			    vlink->id);
	if ((uint64_t)flow->first + flow->hop_count > mapping->hop_count)
		return fail(c->err, c->err_size, -EINVAL,
			    "link '%s': hops out of range", vlink->id);
	for (uint32_t h = 0; h < flow->hop_count; h++) {
		uint32_t index = mapping->links[flow->first + h];
		uint32_t tag = tags[flow->first + h];
		if (index >= c->substrate->link_count)
			return fail(c->err, c->err_size, -EINVAL,
				    "link '%s': substrate link %" PRIu32
				    " does not exist", vlink->id, index);
		const struct substrate_link *l = &c->substrate->links[index];
		if ((vlink->isolation == VNET_ISOLATION_VLAN &&
		     l->kind != SUBSTRATE_LINK_ETHERNET) ||
		    (vlink->isolation == VNET_ISOLATION_VXLAN &&
		     l->kind != SUBSTRATE_LINK_IP))
			return fail(c->err, c->err_size, -EINVAL,
				    "link '%s' asks for isolation %s but its "
				    "hop over '%s' is %s", vlink->id,
				    vnet_isolation_name(vlink->isolation), l->id,
				    substrate_link_kind_name(l->kind));
		if (tag < l->tags.first || tag > l->tags.last || tag == 0)
			return fail(c->err, c->err_size, -EINVAL,
				    "link '%s': tag %" PRIu32 " of its hop over "
				    "'%s' is outside %" PRIu32 "-%" PRIu32,
				    vlink->id, tag, l->id, l->tags.first,
				    l->tags.last);
		for (int end = 0; end < 2; end++) {
			int rc = compile_hop_end(c, link, l, end, tag,
						 vlink->mtu);
			if (rc)
				return rc;
		}
	}
	for (uint32_t e = 0; e < vlink->endpoint_count; e++) {
		const struct vnet_endpoint *endpoint = &vlink->endpoints[e];
		const struct vnet_interface *interface =
			&request->interfaces[endpoint->interface];
		const struct vnet_node *vnode = &request->nodes[interface->node];
		uint32_t node = mapping->nodes[interface->node];
		struct provision_attachment names;
		int rc = provision_attachment(
			vnet_id, vnode->id, interface->id, endpoint->interface,
			vnode->kind,
			c->options ? c->options->vhost_directory : NULL, &names);
		if (rc)
			return fail(c->err, c->err_size, rc,
				    "interface '%s': the vhost socket path is "
				    "too long", interface->id);
		if (grow((void **)&c->ports, &c->port_capacity, c->port_count,
			 sizeof(*c->ports)))
			return fail(c->err, c->err_size, -ENOMEM,
				    "out of memory");
		struct attachment_port *port = &c->ports[c->port_count++];
		port->node = node;
		memcpy(port->name, names.port, sizeof(port->name));
		memcpy(port->devargs, names.devargs, sizeof(port->devargs));
		struct member member = { .policed = true };
		memcpy(member.port, names.port, sizeof(member.port));
		member.rate[0] = policer_rate(endpoint->send_kbps);
		member.rate[1] = policer_rate(endpoint->receive_kbps);
		for (int d = 0; d < 2; d++)
			member.burst[d] = provision_burst_bytes(member.rate[d],
								vlink->mtu);
		rc = bd_add(c, link, node, &member);
		if (rc)
			return rc;
	}
	return 0;
}

/* Port members first (by port, then VID), then tunnels (by address,
 * then VNI). */
static int member_compare(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	if (x->tunnel != y->tunnel)
		return x->tunnel ? 1 : -1;
	if (x->tunnel) {
		if (x->address != y->address)
			return x->address < y->address ? -1 : 1;
		return x->vni < y->vni ? -1 : x->vni > y->vni;
	}
	int order = strcmp(x->port, y->port);
	if (order)
		return order;
	return x->vid < y->vid ? -1 : x->vid > y->vid;
}

static json_t *policer_json(uint64_t rate, uint32_t burst)
{
	return json_pack("{s:I, s:I}", "rate", (json_int_t)rate, "burst",
			 (json_int_t)burst);
}

static json_t *member_json(const struct member *m)
{
	if (m->tunnel) {
		char address[16];
		format_ipv4(m->address, address);
		return json_pack("{s:s, s:I}", "tunnel", address, "vni",
				 (json_int_t)m->vni);
	}
	json_t *member = json_pack("{s:s, s:I}", "port", m->port, "vid",
				   (json_int_t)m->vid);
	if (member && m->policed &&
	    json_object_set_new(member, "policer",
				json_pack("{s:o, s:o}", "in",
					  policer_json(m->rate[0], m->burst[0]),
					  "out",
					  policer_json(m->rate[1], m->burst[1])))) {
		json_decref(member);
		return NULL;
	}
	return member;
}

static json_t *bd_json(const struct bd *bd, const char *vnet_id)
{
	char name[PROVISION_NAME_SIZE];
	snprintf(name, sizeof(name), "%s.L%" PRIu32, vnet_id, bd->link);
	json_t *members = json_array();
	qsort(bd->members, bd->member_count, sizeof(*bd->members),
	      member_compare);
	for (size_t m = 0; members && m < bd->member_count; m++)
		if (json_array_append_new(members, member_json(&bd->members[m]))) {
			json_decref(members);
			members = NULL;
		}
	if (!members)
		return NULL;
	return json_pack("{s:s, s:b, s:o}", "name", name, "learning", 1,
			 "members", members);
}

static int port_compare(const void *a, const void *b)
{
	const struct attachment_port *x = a, *y = b;
	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* BDs are made link by link; order them by node, keeping link order. */
static int bd_compare(const void *a, const void *b)
{
	const struct bd *x = a, *y = b;
	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	return x->link < y->link ? -1 : x->link > y->link;
}

static json_t *part_json(struct compiler *c, uint32_t node, size_t *port_next,
			 size_t *bd_next, const char *vnet_id)
{
	json_t *ports = json_array(), *bds = json_array();
	json_t *part = json_object();
	bool ok = ports && bds && part;
	for (; ok && *port_next < c->port_count &&
	       c->ports[*port_next].node == node; ++*port_next) {
		const struct attachment_port *p = &c->ports[*port_next];
		ok = !json_array_append_new(
			ports, json_pack("{s:s, s:s, s:s}", "name", p->name,
					 "devargs", p->devargs, "admin", "up"));
	}
	for (; ok && *bd_next < c->bd_count && c->bds[*bd_next].node == node;
	     ++*bd_next)
		ok = !json_array_append_new(bds,
					    bd_json(&c->bds[*bd_next], vnet_id));
	if (ok) {
		ok = !json_object_set(part, "ports", ports) &&
		     !json_object_set(part, "bridge_domains", bds);
	}
	if (ok && c->vtep_port[node] != SUBSTRATE_NONE) {
		struct provision_vtep vtep = provision_vtep_of(c->options, node);
		char address[16], text[24];
		format_ipv4(vtep.address, address);
		snprintf(text, sizeof(text), "%s/%u", address,
			 vtep.prefix_length);
		const struct substrate_node *n = &c->substrate->nodes[node];
		uint32_t mtu = c->vtep_mtu[node] > PROVISION_VTEP_MTU_MIN
				       ? c->vtep_mtu[node]
				       : PROVISION_VTEP_MTU_MIN;
		ok = !json_object_set_new(
			part, "vtep",
			json_pack("{s:s, s:s, s:i, s:s}", "port",
				  n->ports[c->vtep_port[node]].name, "address",
				  text, "mtu", (int)mtu, "owner",
				  PROVISION_VTEP_OWNER));
	}
	json_decref(ports);
	json_decref(bds);
	if (!ok) {
		json_decref(part);
		return NULL;
	}
	return part;
}

static void compiler_free(struct compiler *c)
{
	for (size_t b = 0; b < c->bd_count; b++)
		free(c->bds[b].members);
	free(c->bds);
	free(c->ports);
	free(c->bd_of_node);
	free(c->vtep_port);
	free(c->vtep_mtu);
	free(c->ethernet_port_mark);
	free(c->port_offset);
}

void provision_plan_free(struct provision_plan *plan)
{
	for (uint32_t n = 0; n < plan->node_count; n++)
		json_decref(plan->nodes[n].part);
	free(plan->nodes);
	memset(plan, 0, sizeof(*plan));
}

json_t *provision_plan_part(const struct provision_plan *plan, uint32_t node)
{
	for (uint32_t n = 0; n < plan->node_count; n++)
		if (plan->nodes[n].node == node)
			return plan->nodes[n].part;
	return NULL;
}

static int check_inputs(const struct substrate *substrate,
			const struct vnet_request *request,
			const struct embed_mapping *mapping,
			const struct provision_options *options, char *err,
			size_t err_size)
{
	if (mapping->node_count != request->node_count)
		return fail(err, err_size, -EINVAL,
			    "the embedding has %" PRIu32 " nodes, the request "
			    "%" PRIu32, mapping->node_count, request->node_count);
	for (uint32_t v = 0; v < request->node_count; v++)
		if (mapping->nodes[v] >= substrate->node_count)
			return fail(err, err_size, -EINVAL,
				    "node '%s' is not mapped to a substrate "
				    "node", request->nodes[v].id);
	if ((!options || !options->vteps) &&
	    substrate->node_count >= (1u << (32 - PROVISION_VTEP_PREFIX_LENGTH)) - 2)
		return fail(err, err_size, -ENOTSUP,
			    "%" PRIu32 " substrate nodes do not fit the VTEP "
			    "convention's /15: give provision_options.vteps",
			    substrate->node_count);
	return 0;
}

int provision_compile(const struct substrate *substrate,
		      const struct vnet_request *request,
		      const struct embed_mapping *mapping, const uint32_t *tags,
		      const char *vnet_id, const struct provision_options *options,
		      struct provision_plan *plan, char *err, size_t err_size)
{
	memset(plan, 0, sizeof(*plan));
	if (!vnet_id_valid(vnet_id))
		return fail(err, err_size, -EINVAL,
			    "VNet id '%s': 1 to %d characters of "
			    "[A-Za-z0-9_.-]", vnet_id ? vnet_id : "(null)",
			    PROVISION_VNET_ID_MAX);
	int rc = check_inputs(substrate, request, mapping, options, err,
			      err_size);
	if (rc)
		return rc;
	if (!tags)
		tags = mapping->tags;
	struct compiler c = {
		.substrate = substrate, .options = options,
		.err = err, .err_size = err_size,
	};
	uint32_t nodes = substrate->node_count;
	c.bd_of_node = malloc((nodes + 1) * sizeof(uint32_t));
	c.vtep_port = malloc((nodes + 1) * sizeof(uint32_t));
	c.vtep_mtu = calloc(nodes + 1, sizeof(uint32_t));
	c.port_offset = malloc((nodes + 1) * sizeof(uint32_t));
	size_t port_total = 0;
	for (uint32_t n = 0; n < nodes; n++)
		port_total += substrate->nodes[n].port_count;
	c.ethernet_port_mark = calloc(port_total + 1, sizeof(uint32_t));
	if (!c.bd_of_node || !c.vtep_port || !c.vtep_mtu || !c.port_offset ||
	    !c.ethernet_port_mark) {
		compiler_free(&c);
		return fail(err, err_size, -ENOMEM, "out of memory");
	}
	uint32_t offset = 0;
	for (uint32_t n = 0; n < nodes; n++) {
		c.bd_of_node[n] = SUBSTRATE_NONE;
		c.vtep_port[n] = SUBSTRATE_NONE;
		c.port_offset[n] = offset;
		offset += substrate->nodes[n].port_count;
	}
	for (uint32_t l = 0; l < request->link_count && !rc; l++)
		rc = compile_link(&c, request, mapping, tags, vnet_id, l);
	if (rc) {
		compiler_free(&c);
		return rc;
	}
	qsort(c.ports, c.port_count, sizeof(*c.ports), port_compare);
	qsort(c.bds, c.bd_count, sizeof(*c.bds), bd_compare);
	/* Touched nodes, in index order: the BDs name them all (every
	 * attachment is a member of a BD on its node). */
	plan->nodes = calloc(c.bd_count + 1, sizeof(*plan->nodes));
	if (!plan->nodes) {
		compiler_free(&c);
		return fail(err, err_size, -ENOMEM, "out of memory");
	}
	size_t port_next = 0, bd_next = 0;
	while (bd_next < c.bd_count) {
		uint32_t node = c.bds[bd_next].node;
		json_t *part = part_json(&c, node, &port_next, &bd_next, vnet_id);
		if (!part) {
			compiler_free(&c);
			provision_plan_free(plan);
			return fail(err, err_size, -ENOMEM, "out of memory");
		}
		plan->nodes[plan->node_count].node = node;
		plan->nodes[plan->node_count++].part = part;
	}
	compiler_free(&c);
	return 0;
}

/* ---- Merge -------------------------------------------------------------- */

static const char *name_of(const json_t *item)
{
	const char *name = json_string_value(json_object_get(item, "name"));
	return name ? name : "";
}

static int name_compare(const void *a, const void *b)
{
	return strcmp(name_of(*(json_t *const *)a), name_of(*(json_t *const *)b));
}

/* Appends the parts' `key` arrays to merged[key], sorted by name, every
 * name new. */
static int merge_list(json_t *merged, const char *key,
		      const json_t *const *parts, size_t part_count,
		      char *err, size_t err_size)
{
	json_t *list = json_object_get(merged, key);
	if (list && !json_is_array(list))
		return fail(err, err_size, -EINVAL, "base: %s is not a list", key);
	size_t count = 0;
	for (size_t p = 0; p < part_count; p++)
		count += json_array_size(json_object_get(parts[p], key));
	json_t **items = calloc(count + 1, sizeof(*items));
	if (!items)
		return fail(err, err_size, -ENOMEM, "out of memory");
	size_t n = 0;
	for (size_t p = 0; p < part_count; p++) {
		json_t *part_list = json_object_get(parts[p], key);
		for (size_t i = 0; i < json_array_size(part_list); i++)
			items[n++] = json_array_get(part_list, i);
	}
	qsort(items, n, sizeof(*items), name_compare);
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		const char *name = name_of(items[i]);
		if (i > 0 && !strcmp(name, name_of(items[i - 1])))
			rc = fail(err, err_size, -EEXIST,
				  "%s: '%s' comes in two parts", key, name);
		for (size_t b = 0; !rc && b < json_array_size(list); b++)
			if (!strcmp(name, name_of(json_array_get(list, b))))
				rc = fail(err, err_size, -EEXIST,
					  "%s: '%s' is in the base and a part",
					  key, name);
	}
	if (!rc && !list) {
		list = json_array();
		if (!list || json_object_set_new(merged, key, list))
			rc = fail(err, err_size, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n && !rc; i++)
		if (json_array_append_new(list, json_deep_copy(items[i])))
			rc = fail(err, err_size, -ENOMEM, "out of memory");
	free(items);
	return rc;
}

static const char *text_of(const json_t *object, const char *key)
{
	const char *text = json_string_value(json_object_get(object, key));
	return text ? text : "?";
}

/* The largest underlay MTU the parts' VTEPs ask for (0: none asks). */
static json_int_t parts_vtep_mtu(const json_t *const *parts, size_t part_count)
{
	json_int_t mtu = 0;
	for (size_t p = 0; p < part_count; p++) {
		json_int_t wanted = json_integer_value(
			json_object_get(json_object_get(parts[p], "vtep"), "mtu"));
		if (wanted > mtu)
			mtu = wanted;
	}
	return mtu;
}

/* The VTEP of the merged state: the base's if it has one (the parts'
 * tunnels assume their own port and address, which must be its), else
 * the parts' (which must agree on port and address). Its MTU: the base's
 * if it gives one (the operator knows the underlay: bigger frames are
 * dropped and counted), else the largest a part needs. (A base read back
 * from a running switch always gives one: provision_base_from_switch
 * leaves out a VTEP provisioning set up, so that its MTU follows the
 * parts.) */
static int merge_vtep(json_t *merged, const json_t *const *parts,
		      size_t part_count, char *err, size_t err_size)
{
	json_t *base = json_object_get(merged, "vtep");
	const json_t *chosen = base;
	json_int_t mtu = parts_vtep_mtu(parts, part_count);
	for (size_t p = 0; p < part_count; p++) {
		const json_t *vtep = json_object_get(parts[p], "vtep");
		if (!vtep)
			continue;
		if (chosen) {
			const char *keys[] = { "port", "address" };
			for (int k = 0; k < 2; k++)
				if (!json_equal(json_object_get(chosen, keys[k]),
						json_object_get(vtep, keys[k])))
					return base
						? fail(err, err_size, -EINVAL,
						       "vtep: a part wants %s "
						       "'%s', the base has '%s'",
						       keys[k], text_of(vtep, keys[k]),
						       text_of(base, keys[k]))
						: fail(err, err_size, -EINVAL,
						       "vtep: two parts want "
						       "different VTEPs");
		} else {
			chosen = vtep;
		}
	}
	if (!chosen || chosen == base) {
		if (base && mtu && !json_object_get(base, "mtu") &&
		    json_object_set_new(base, "mtu", json_integer(mtu)))
			return fail(err, err_size, -ENOMEM, "out of memory");
		return 0;
	}
	json_t *vtep = json_deep_copy(chosen);
	if (vtep && mtu && json_object_set_new(vtep, "mtu", json_integer(mtu))) {
		json_decref(vtep);
		vtep = NULL;
	}
	if (!vtep || json_object_set_new(merged, "vtep", vtep))
		return fail(err, err_size, -ENOMEM, "out of memory");
	return 0;
}

int provision_vtep_mtu_shortfall(const json_t *merged,
				 const json_t *const *parts, size_t part_count)
{
	const json_t *vtep = json_object_get(merged, "vtep");
	if (!vtep)
		return 0;
	const json_t *given = json_object_get(vtep, "mtu");
	json_int_t have = given ? json_integer_value(given)
				: PROVISION_VTEP_MTU_MIN;
	json_int_t needed = parts_vtep_mtu(parts, part_count);
	return needed > have ? (int)needed : 0;
}

/* Loom's names on a switch: "v<digits>." and more. */
static bool loom_owned(const json_t *item)
{
	const char *name = json_string_value(json_object_get(item, "name"));
	if (!name || name[0] != 'v' || !(name[1] >= '0' && name[1] <= '9'))
		return false;
	const char *c = name + 1;
	while (*c >= '0' && *c <= '9')
		c++;
	return *c == '.';
}

json_t *provision_base_from_switch(const json_t *shown)
{
	json_t *base = json_deep_copy(shown);
	static const char *const lists[] = { "ports", "bridge_domains" };
	for (size_t k = 0; base && k < 2; k++) {
		json_t *list = json_object_get(base, lists[k]);
		for (size_t i = json_array_size(list); i-- > 0;)
			if (loom_owned(json_array_get(list, i)))
				json_array_remove(list, i);
	}
	const char *owner = json_string_value(
		json_object_get(json_object_get(base, "vtep"), "owner"));
	if (owner && strcmp(owner, PROVISION_VTEP_OWNER) == 0)
		json_object_del(base, "vtep");
	return base;
}

json_t *provision_merge(const json_t *base, const json_t *const *parts,
			size_t part_count, char *err, size_t err_size)
{
	if (base && !json_is_object(base)) {
		fail(err, err_size, -EINVAL, "base: not an object");
		return NULL;
	}
	for (size_t p = 0; p < part_count; p++)
		if (!json_is_object(parts[p])) {
			fail(err, err_size, -EINVAL, "part %zu: not an object", p);
			return NULL;
		}
	json_t *merged = base ? json_deep_copy(base) : json_object();
	if (!merged) {
		fail(err, err_size, -ENOMEM, "out of memory");
		return NULL;
	}
	if (merge_list(merged, "ports", parts, part_count, err, err_size) ||
	    merge_list(merged, "bridge_domains", parts, part_count, err,
		       err_size) ||
	    merge_vtep(merged, parts, part_count, err, err_size)) {
		json_decref(merged);
		return NULL;
	}
	return merged;
}

/* ---- The embedder's request --------------------------------------------- */

static int node_to_embed(const struct vnet_node *vnode,
			 const struct substrate *substrate,
			 struct embed_virtual_node *node, char *err,
			 size_t err_size)
{
	memset(node, 0, sizeof(*node));
	snprintf(node->id, sizeof(node->id), "%s", vnode->id);
	node->cpu = embed_amount_from_double(vnode->cpu);
	if (node->cpu < 0)
		return fail(err, err_size, -EINVAL, "node '%s': invalid CPU",
			    vnode->id);
	const struct vnet_placement *placement = &vnode->placement;
	if (placement->substrate_node_count) {
		if (!substrate)
			return fail(err, err_size, -EINVAL,
				    "node '%s' names substrate nodes but no "
				    "substrate was given", vnode->id);
		node->allowed = calloc(placement->substrate_node_count,
				       sizeof(*node->allowed));
		if (!node->allowed)
			return fail(err, err_size, -ENOMEM, "out of memory");
		for (uint32_t i = 0; i < placement->substrate_node_count; i++) {
			int index = substrate_node_lookup(
				substrate, placement->substrate_nodes[i]);
			if (index < 0) {
				free(node->allowed);
				node->allowed = NULL;
				return fail(err, err_size, -ENOENT,
					    "node '%s': unknown substrate node "
					    "'%s'", vnode->id,
					    placement->substrate_nodes[i]);
			}
			node->allowed[i] = (uint32_t)index;
		}
		node->allowed_count = placement->substrate_node_count;
	}
	if (placement->site)
		snprintf(node->site, sizeof(node->site), "%s", placement->site);
	if (placement->has_near) {
		node->has_position = true;
		node->x = placement->x;
		node->y = placement->y;
		node->max_distance = placement->max_distance;
	}
	return 0;
}

struct embed_request *vnet_request_to_embed(const struct vnet_request *request,
					    const struct substrate *substrate,
					    char *err, size_t err_size)
{
	struct embed_request *out = embed_request_create(request->name);
	if (!out) {
		fail(err, err_size, -ENOMEM, "out of memory");
		return NULL;
	}
	for (uint32_t v = 0; v < request->node_count; v++) {
		struct embed_virtual_node node;
		if (node_to_embed(&request->nodes[v], substrate, &node, err,
				  err_size))
			goto failed;
		int rc = embed_request_add_node(out, &node);
		free(node.allowed);
		if (rc < 0) {
			fail(err, err_size, rc, "node '%s': refused by the "
				 "embedder (%s)", request->nodes[v].id,
				 strerror(-rc));
			goto failed;
		}
	}
	for (uint32_t l = 0; l < request->link_count; l++) {
		const struct vnet_link *vlink = &request->links[l];
		struct embed_virtual_link link = {
			.endpoint_count = vlink->endpoint_count,
			.max_latency = vlink->latency_ms,
		};
		snprintf(link.id, sizeof(link.id), "%s", vlink->id);
		/* One symmetric amount: the largest send or receive. kbit/s
		 * x 1000 is Mbit/s in millionths, exactly. */
		uint64_t kbps = 0;
		link.endpoints = calloc(vlink->endpoint_count + 1,
					sizeof(*link.endpoints));
		if (!link.endpoints) {
			fail(err, err_size, -ENOMEM, "out of memory");
			goto failed;
		}
		for (uint32_t e = 0; e < vlink->endpoint_count; e++) {
			const struct vnet_endpoint *endpoint = &vlink->endpoints[e];
			link.endpoints[e] =
				request->interfaces[endpoint->interface].node;
			if (endpoint->send_kbps > kbps)
				kbps = endpoint->send_kbps;
			if (endpoint->receive_kbps > kbps)
				kbps = endpoint->receive_kbps;
		}
		link.bandwidth = (embed_amount)(kbps * 1000);
		int rc = embed_request_add_link(out, &link);
		free(link.endpoints);
		if (rc < 0) {
			fail(err, err_size, rc, "link '%s': refused by the "
				 "embedder (%s)", vlink->id, strerror(-rc));
			goto failed;
		}
	}
	return out;
failed:
	embed_request_free(out);
	return NULL;
}

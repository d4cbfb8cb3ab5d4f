/* loom-inp's VNet lifecycle (GENI AM API v3 in spirit): validate, create,
 * status, manifest, renew, delete, lease expiry, restore after a restart.
 * Every handler runs under server->lock (inp.c).
 *
 * The store is the only truth: the residual capacity is derived from its
 * totals on every call, and a VNet's embedding is read back from its
 * slivers' placements and its tags (in hop order), so a VNet is compiled
 * the same way at create, after a restart and for describe. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inp_private.h"

/* ---- the record of a VNet -------------------------------------------------- */

static char *json_text(json_t *object)
{
	char *text = object ? json_dumps(object, JSON_COMPACT) : NULL;
	json_decref(object);
	return text;
}

/* One flow of an embedding: {"path": [substrate link ids], "tree",
 * "bandwidth_kbps"}, as create shows it and as a link sliver stores it. */
static json_t *flow_json(const struct substrate *substrate,
			 const struct embed_mapping *mapping,
			 const struct embed_flow *flow)
{
	json_t *path = json_array();
	for (uint32_t h = 0; h < flow->hop_count; h++)
		json_array_append_new(
			path,
			json_string(substrate->links[mapping->links[flow->first +
								     h]]
					    .id));
	return json_pack("{s:o, s:b, s:I}", "path", path, "tree", flow->tree,
			 "bandwidth_kbps",
			 (json_int_t)(flow->bandwidth / 1000));
}

/* A link sliver's placement: {"substrate_links": [...], "flows": [flow
 * ...]}, its flows in mapping order. */
static json_t *link_placement(const struct substrate *substrate,
			      const struct embed_mapping *mapping,
			      uint32_t link)
{
	json_t *all = json_array();
	json_t *flows = json_array();
	for (uint32_t f = 0; f < mapping->flow_count; f++) {
		if (mapping->flows[f].link != link)
			continue;
		json_t *flow = flow_json(substrate, mapping, &mapping->flows[f]);
		json_array_extend(all, json_object_get(flow, "path"));
		json_array_append_new(flows, flow);
	}
	return json_pack("{s:o, s:o}", "substrate_links", all, "flows", flows);
}

/* What create reserves: CPU per substrate node, bandwidth per link (one
 * budget, direction none, as the embedder counts it), one tag per hop in
 * link-major order (the order mapping_from_record reads them back): the
 * mapping's tag of the hop, or 0 to let the store pick the lowest free one
 * atomically. */
int vnet_record_build(const struct substrate *substrate,
			     const struct vnet_request *vnet,
			     const struct embed_request *request,
			     const struct embed_mapping *mapping,
			     struct inp_vnet *record)
{
	record->sliver_count = vnet->node_count + vnet->link_count;
	record->slivers = calloc(record->sliver_count + 1,
				 sizeof(*record->slivers));
	record->cpu = calloc(substrate->node_count + 1, sizeof(*record->cpu));
	record->bandwidth = calloc(substrate->link_count + 1,
				   sizeof(*record->bandwidth));
	record->tags = calloc(mapping->hop_count + 1, sizeof(*record->tags));
	if (!record->slivers || !record->cpu || !record->bandwidth ||
	    !record->tags)
		return -1;

	for (uint32_t v = 0; v < vnet->node_count; v++) {
		struct inp_sliver *sliver = &record->slivers[v];
		const struct substrate_node *host =
			&substrate->nodes[mapping->nodes[v]];
		sliver->kind = INP_SLIVER_NODE;
		sliver->virtual_id = vnet->nodes[v].id;
		sliver->placement = json_text(
			json_pack("{s:s}", "substrate_node", host->id));
		sliver->allocation = INP_ALLOCATION_ALLOCATED;
		sliver->operational = INP_OPERATIONAL_PENDING_ALLOCATION;
		if (request->nodes[v].cpu > 0) {
			struct inp_cpu_reservation *cpu = NULL;
			for (uint32_t i = 0; i < record->cpu_count; i++)
				if (record->cpu[i].substrate_node == host->id)
					cpu = &record->cpu[i];
			if (!cpu) {
				cpu = &record->cpu[record->cpu_count++];
				cpu->substrate_node = (char *)host->id;
				cpu->capacity = embed_amount_from_double(
					host->cpu);
			}
			cpu->amount += request->nodes[v].cpu;
		}
	}
	for (uint32_t l = 0; l < vnet->link_count; l++) {
		struct inp_sliver *sliver = &record->slivers[vnet->node_count + l];
		sliver->kind = INP_SLIVER_LINK;
		sliver->virtual_id = vnet->links[l].id;
		sliver->placement =
			json_text(link_placement(substrate, mapping, l));
		sliver->allocation = INP_ALLOCATION_ALLOCATED;
		sliver->operational = INP_OPERATIONAL_PENDING_ALLOCATION;
		for (uint32_t f = 0; f < mapping->flow_count; f++) {
			const struct embed_flow *flow = &mapping->flows[f];
			if (flow->link != l)
				continue;
			for (uint32_t h = 0; h < flow->hop_count; h++) {
				const struct substrate_link *link =
					&substrate->links
						 [mapping->links[flow->first +
								 h]];
				int64_t kbps = flow->bandwidth / 1000;
				struct inp_bandwidth_reservation *bandwidth =
					NULL;
				for (uint32_t i = 0;
				     i < record->bandwidth_count; i++)
					if (record->bandwidth[i]
						    .substrate_link == link->id)
						bandwidth =
							&record->bandwidth[i];
				if (kbps > 0 && !bandwidth) {
					bandwidth = &record->bandwidth
							     [record->bandwidth_count++];
					bandwidth->substrate_link =
						(char *)link->id;
					bandwidth->direction =
						INP_DIRECTION_NONE;
					bandwidth->capacity = (int64_t)(
						link->bandwidth * 1000);
				}
				if (kbps > 0)
					bandwidth->amount += kbps;
				struct inp_tag_reservation *tag =
					&record->tags[record->tag_count++];
				tag->substrate_link = (char *)link->id;
				tag->kind = link->kind == SUBSTRATE_LINK_IP ?
						    INP_TAG_VXLAN :
						    INP_TAG_VLAN;
				tag->first = link->tags.first;
				tag->last = link->tags.last;
				tag->tag = mapping->tags ?
						   mapping->tags[flow->first +
								 h] :
						   0;
			}
		}
	}
	for (uint32_t s = 0; s < record->sliver_count; s++)
		if (!record->slivers[s].placement)
			return -1;
	return 0;
}

/* Frees what vnet_record_build allocated (the rest belongs to the parsed
 * request and the substrate). */
void vnet_record_release(struct inp_vnet *record)
{
	for (uint32_t s = 0; record->slivers && s < record->sliver_count; s++)
		free(record->slivers[s].placement);
	free(record->slivers);
	free(record->cpu);
	free(record->bandwidth);
	free(record->tags);
}

const struct inp_sliver *sliver_find(const struct inp_vnet *record,
					    enum inp_sliver_kind kind,
					    const char *id)
{
	for (uint32_t s = 0; s < record->sliver_count; s++)
		if (record->slivers[s].kind == kind &&
		    strcmp(record->slivers[s].virtual_id, id) == 0)
			return &record->slivers[s];
	return NULL;
}

/* The embedding of a stored VNet, from its slivers and tags. Returns 0 or
 * -1 with the reason in err (a store that does not match the request). */
int mapping_from_record(const struct substrate *substrate,
			       const struct vnet_request *vnet,
			       const struct inp_vnet *record,
			       struct embed_mapping *mapping, char *err,
			       size_t err_size)
{
	if (embed_mapping_reset(mapping, vnet->node_count))
		goto no_memory;
	for (uint32_t v = 0; v < vnet->node_count; v++) {
		const struct inp_sliver *sliver = sliver_find(
			record, INP_SLIVER_NODE, vnet->nodes[v].id);
		json_t *placement = sliver_placement(sliver);
		const char *id = json_string_value(
			json_object_get(placement, "substrate_node"));
		int index = id ? substrate_node_lookup(substrate, id) : -1;
		json_decref(placement);
		if (index < 0) {
			snprintf(err, err_size,
				 "node '%s': no placement on this substrate",
				 vnet->nodes[v].id);
			return -1;
		}
		mapping->nodes[v] = (uint32_t)index;
	}
	for (uint32_t l = 0; l < vnet->link_count; l++) {
		const struct inp_sliver *sliver = sliver_find(
			record, INP_SLIVER_LINK, vnet->links[l].id);
		json_t *placement = sliver_placement(sliver);
		json_t *flows = json_object_get(placement, "flows");
		if (!json_is_array(flows)) {
			json_decref(placement);
			snprintf(err, err_size,
				 "link '%s': no placement on this substrate",
				 vnet->links[l].id);
			return -1;
		}
		size_t f;
		json_t *flow;
		json_array_foreach(flows, f, flow)
		{
			json_t *hops = json_object_get(flow, "path");
			size_t count = json_array_size(hops);
			uint32_t *links = calloc(count + 1, sizeof(*links));
			bool ok = links != NULL;
			for (size_t h = 0; ok && h < count; h++) {
				const char *id = json_string_value(
					json_array_get(hops, h));
				int index = id ? substrate_link_lookup(
							 substrate, id) :
						 -1;
				ok = index >= 0;
				if (ok)
					links[h] = (uint32_t)index;
			}
			embed_amount bandwidth =
				(embed_amount)json_integer_value(json_object_get(
					flow, "bandwidth_kbps")) *
				1000;
			ok = ok && embed_mapping_add_flow(
					   mapping, l,
					   json_is_true(json_object_get(
						   flow, "tree")),
					   bandwidth, links,
					   (uint32_t)count) == 0;
			free(links);
			if (!ok) {
				json_decref(placement);
				snprintf(err, err_size,
					 "link '%s': a hop not on this "
					 "substrate",
					 vnet->links[l].id);
				return -1;
			}
		}
		json_decref(placement);
	}
	if (mapping->hop_count != record->tag_count) {
		snprintf(err, err_size, "%u hops but %u tags",
			 mapping->hop_count, record->tag_count);
		return -1;
	}
	for (uint32_t h = 0; h < mapping->hop_count; h++)
		mapping->tags[h] = record->tags[h].tag;
	return 0;
no_memory:
	snprintf(err, err_size, "out of memory");
	return -1;
}

/* {"nodes": {virtual: substrate}, "links": {virtual: [{"path", "tree",
 * "bandwidth_kbps"} ...]}}: the embedding as create and validate show it. */
static json_t *mapping_to_json(const struct substrate *substrate,
			       const struct vnet_request *vnet,
			       const struct embed_mapping *mapping)
{
	json_t *nodes = json_object();
	json_t *links = json_object();
	for (uint32_t v = 0; v < mapping->node_count; v++)
		json_object_set_new(
			nodes, vnet->nodes[v].id,
			json_string(substrate->nodes[mapping->nodes[v]].id));
	for (uint32_t f = 0; f < mapping->flow_count; f++) {
		const struct embed_flow *flow = &mapping->flows[f];
		const char *id = vnet->links[flow->link].id;
		json_t *flows = json_object_get(links, id);
		if (!flows) {
			flows = json_array();
			json_object_set_new(links, id, flows);
		}
		json_array_append_new(flows,
				      flow_json(substrate, mapping, flow));
	}
	return json_pack("{s:o, s:o}", "nodes", nodes, "links", links);
}

/* ---- plans ----------------------------------------------------------------- */

void plan_free(struct plan *plan)
{
	if (!plan)
		return;
	provision_plan_free(&plan->parts);
	for (uint32_t h = 0; h < plan->host_count; h++) {
		free(plan->hosts[h].interfaces);
		free(plan->hosts[h].names);
		free(plan->hosts[h].addresses);
	}
	free(plan->hosts);
	for (uint32_t s = 0; s < plan->sliver_count; s++) {
		free(plan->slivers[s].virtual_id);
		free(plan->slivers[s].nodes);
	}
	free(plan->slivers);
	free(plan);
}

/* The interface's name in its namespace: what follows the last ':' of its
 * id ("web:eth0" -> "eth0") when that is a valid Linux name, else eth<k>. */
void interface_name(const char *id, uint32_t k, char out[16])
{
	const char *colon = strrchr(id, ':');
	const char *name = colon ? colon + 1 : id;
	bool valid = name[0] && strlen(name) < 16 && strcmp(name, "lo") != 0;
	for (const char *c = name; valid && *c; c++)
		valid = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			(*c >= '0' && *c <= '9') || *c == '-' || *c == '_' ||
			*c == '.';
	if (valid)
		snprintf(out, 16, "%s", name);
	else
		snprintf(out, 16, "eth%u", k);
}

static int plan_hosts(struct inp_server *server, struct plan *plan,
		      const struct vnet_request *vnet,
		      const struct embed_mapping *mapping, char *err,
		      size_t err_size)
{
	plan->hosts = calloc(vnet->node_count + 1, sizeof(*plan->hosts));
	if (!plan->hosts)
		goto no_memory;
	for (uint32_t v = 0; v < vnet->node_count; v++) {
		const struct vnet_node *node = &vnet->nodes[v];
		if (node->kind != VNET_NODE_HOST)
			continue;
		struct plan_host *host = &plan->hosts[plan->host_count++];
		host->node = mapping->nodes[v];
		host->virtual_node = v;
		if (host_namespace_name(server->config.host_prefix, plan->vnet,
					node->id, host->namespace_name,
					sizeof(host->namespace_name))) {
			snprintf(err, err_size, "node '%s': no namespace name",
				 node->id);
			return -1;
		}
		uint32_t addresses = 0;
		for (uint32_t i = 0; i < node->interface_count; i++)
			addresses += vnet->interfaces[node->interface_first + i]
					     .address_count;
		host->interfaces = calloc(node->interface_count + 1,
					  sizeof(*host->interfaces));
		host->names = calloc(node->interface_count + 1,
				     sizeof(*host->names));
		host->addresses =
			calloc(addresses + 1, sizeof(*host->addresses));
		if (!host->interfaces || !host->names || !host->addresses)
			goto no_memory;
		uint32_t next_address = 0;
		for (uint32_t i = 0; i < node->interface_count; i++) {
			uint32_t index = node->interface_first + i;
			const struct vnet_interface *interface =
				&vnet->interfaces[index];
			if (interface->link < 0)
				continue;
			struct provision_attachment attachment;
			if (provision_attachment(plan->vnet_id, node->id,
						 interface->id, index,
						 VNET_NODE_HOST,
						 server->config.vhost_directory,
						 &attachment)) {
				snprintf(err, err_size,
					 "interface '%s': no attachment name",
					 interface->id);
				return -1;
			}
			uint32_t k = host->interface_count++;
			struct plan_host_names *names = &host->names[k];
			interface_name(interface->id, i, names->name);
			memcpy(names->veth, attachment.veth,
			       sizeof(names->veth));
			memcpy(names->peer, attachment.peer,
			       sizeof(names->peer));
			struct host_interface *out = &host->interfaces[k];
			out->name = names->name;
			out->veth = names->veth;
			out->peer = names->peer;
			out->has_mac = interface->has_mac;
			memcpy(out->mac, interface->mac, 6);
			out->address_count = interface->address_count;
			out->addresses = &host->addresses[next_address];
			if (interface->address_count)
				memcpy(&host->addresses[next_address],
				       interface->addresses,
				       interface->address_count *
					       sizeof(*interface->addresses));
			next_address += interface->address_count;
			out->mtu = vnet->links[interface->link].mtu;
		}
	}
	return 0;
no_memory:
	snprintf(err, err_size, "out of memory");
	return -1;
}

static int plan_slivers(struct plan *plan, const struct substrate *substrate,
			const struct vnet_request *vnet,
			const struct embed_mapping *mapping)
{
	plan->slivers = calloc(vnet->node_count + vnet->link_count + 1,
			       sizeof(*plan->slivers));
	if (!plan->slivers)
		return -1;
	for (uint32_t v = 0; v < vnet->node_count; v++) {
		struct plan_sliver *sliver =
			&plan->slivers[plan->sliver_count++];
		sliver->kind = INP_SLIVER_NODE;
		sliver->virtual_id = strdup(vnet->nodes[v].id);
		sliver->nodes = malloc(sizeof(*sliver->nodes));
		if (!sliver->virtual_id || !sliver->nodes)
			return -1;
		sliver->nodes[0] = mapping->nodes[v];
		sliver->node_count = 1;
		sliver->operational = INP_OPERATIONAL_PENDING_ALLOCATION;
	}
	for (uint32_t l = 0; l < vnet->link_count; l++) {
		const struct vnet_link *link = &vnet->links[l];
		struct plan_sliver *sliver =
			&plan->slivers[plan->sliver_count++];
		sliver->kind = INP_SLIVER_LINK;
		sliver->virtual_id = strdup(link->id);
		sliver->nodes = calloc(substrate->node_count + 1,
				       sizeof(*sliver->nodes));
		bool *seen = calloc(substrate->node_count + 1, sizeof(bool));
		if (!sliver->virtual_id || !sliver->nodes || !seen) {
			free(seen);
			return -1;
		}
		for (uint32_t e = 0; e < link->endpoint_count; e++)
			seen[mapping->nodes[vnet->interfaces[link->endpoints[e]
								     .interface]
						    .node]] = true;
		for (uint32_t f = 0; f < mapping->flow_count; f++)
			for (uint32_t h = 0; mapping->flows[f].link == l &&
					     h < mapping->flows[f].hop_count;
			     h++) {
				const struct substrate_link *hop =
					&substrate->links
						 [mapping->links
							  [mapping->flows[f].first +
							   h]];
				seen[hop->ends[0].node] = true;
				seen[hop->ends[1].node] = true;
			}
		for (uint32_t n = 0; n < substrate->node_count; n++)
			if (seen[n])
				sliver->nodes[sliver->node_count++] = n;
		free(seen);
		sliver->operational = INP_OPERATIONAL_PENDING_ALLOCATION;
	}
	return 0;
}

/* Compiles a stored VNet into a plan for the provisioner. NULL with the
 * reason in err. */
struct plan *plan_build(struct inp_server *server,
			       const struct inp_vnet *record,
			       const struct vnet_request *vnet,
			       const struct embed_mapping *mapping, char *err,
			       size_t err_size)
{
	struct plan *plan = calloc(1, sizeof(*plan));
	if (!plan) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	plan->vnet = record->id;
	plan->tenant = record->tenant;
	plan->generation = record->generation;
	snprintf(plan->vnet_id, sizeof(plan->vnet_id), "v%" PRId64,
		 record->id);
	struct provision_options options = {
		.vhost_directory = server->config.vhost_directory,
	};
	if (provision_compile(server->substrate, vnet, mapping, NULL,
			      plan->vnet_id, &options, &plan->parts, err,
			      err_size) ||
	    plan_hosts(server, plan, vnet, mapping, err, err_size)) {
		plan_free(plan);
		return NULL;
	}
	if (plan_slivers(plan, server->substrate, vnet, mapping)) {
		snprintf(err, err_size, "out of memory");
		plan_free(plan);
		return NULL;
	}
	return plan;
}

/* The plan of a VNet as the store now holds it (its tags, its slivers'
 * placements): what create, re-embedding and a restart all compile. NULL
 * with the reason in err. */
struct plan *plan_from_store(struct inp_server *server, int64_t tenant,
			     int64_t id, const struct vnet_request *vnet,
			     char *err, size_t err_size)
{
	struct inp_vnet stored;
	if (inp_store_vnet_get(server->store, tenant, id, &stored)) {
		snprintf(err, err_size, "store: %s",
			 inp_store_error(server->store));
		return NULL;
	}
	struct plan *plan = NULL;
	struct embed_mapping mapping;
	embed_mapping_init(&mapping);
	if (mapping_from_record(server->substrate, vnet, &stored, &mapping,
				err, err_size) == 0)
		plan = plan_build(server, &stored, vnet, &mapping, err,
				  err_size);
	embed_mapping_free(&mapping);
	inp_vnet_free(&stored);
	return plan;
}

/* ---- parsing ---------------------------------------------------------------- */

static const char *const request_codes[] = {
#define _(name, text) #name,
	foreach_vnet_request_problem
#undef _
};

static int document_parse(const char *xml, size_t length, const char *name,
			  struct vnet_request *vnet, const char **format,
			  struct reply *reply)
{
	struct vnet_request_error parse_error;
	if (vnet_document_parse(xml ? xml : "", length, name, time(NULL),
				vnet, &parse_error, format) == 0)
		return 0;
	char message[640];
	vnet_request_error_format(&parse_error, message, sizeof(message));
	char code[32];
	*reply = reply_error(400,
			     code_text(request_codes,
				       VNET_REQUEST_PROBLEM_COUNT,
				       parse_error.problem, code, sizeof(code)),
			     "%s", message);
	json_t *error = json_object_get(reply->body, "error");
	json_object_set_new(error, "line", json_integer(parse_error.line));
	json_object_set_new(error, "element",
			    json_string(parse_error.element));
	return -1;
}

/* A stored VNet's request and embedding, for restore, manifest and
 * re-embedding. Returns 0 or -1 with err. */
int vnet_load(struct inp_server *server, const struct inp_vnet *record,
		     struct vnet_request *vnet, struct embed_mapping *mapping,
		     char *err, size_t err_size)
{
	struct vnet_request_error parse_error;
	const char *format;
	/* Parsed as of its creation: a lease end in the past is no reason
	 * to refuse a stored request. */
	if (vnet_document_parse(record->request, strlen(record->request),
				record->name, 0, vnet, &parse_error,
				&format)) {
		char message[640];
		vnet_request_error_format(&parse_error, message,
					  sizeof(message));
		snprintf(err, err_size, "stored request: %s", message);
		return -1;
	}
	/* An RSpec has no name of its own: the stored one is what counts. */
	if (strcmp(vnet->name, record->name)) {
		char *name = strdup(record->name);
		if (name) {
			free(vnet->name);
			vnet->name = name;
		}
	}
	embed_mapping_init(mapping);
	if (mapping_from_record(server->substrate, vnet, record, mapping, err,
				err_size)) {
		embed_mapping_free(mapping);
		vnet_request_free(vnet);
		return -1;
	}
	return 0;
}

/* ---- references ------------------------------------------------------------- */

struct name_search {
	const char *name;
	int64_t id;
};

static int name_match(void *context, const struct inp_vnet *vnet)
{
	struct name_search *search = context;
	if (strcmp(vnet->name, search->name) == 0) {
		search->id = vnet->id;
		return 1;
	}
	return 0;
}

int64_t vnet_resolve(struct inp_server *server, int64_t tenant,
		     const char *ref)
{
	bool digits = ref[0] != '\0';
	for (const char *c = ref; *c; c++)
		digits = digits && *c >= '0' && *c <= '9';
	if (digits && strlen(ref) < 18)
		return strtoll(ref, NULL, 10);
	struct name_search search = { .name = ref };
	/* Live VNets first (names are unique among them), then history. */
	if (inp_store_vnet_list(server->store, tenant, false, name_match,
				&search) < 0)
		return -1;
	if (!search.id &&
	    inp_store_vnet_list(server->store, tenant, true, name_match,
				&search) < 0)
		return -1;
	return search.id;
}

/* ---- status ----------------------------------------------------------------- */

/* The VNet's state, derived from its slivers. */
static const char *vnet_state(const struct inp_vnet *vnet)
{
	if (vnet->state == INP_VNET_DELETED)
		return "deleted";
	bool all_ready = vnet->sliver_count > 0;
	for (uint32_t s = 0; s < vnet->sliver_count; s++) {
		if (vnet->slivers[s].operational == INP_OPERATIONAL_FAILED)
			return "failed";
		all_ready = all_ready && vnet->slivers[s].operational ==
						 INP_OPERATIONAL_READY;
	}
	return all_ready ? "ready" : "configuring";
}

static json_t *status_json(const struct inp_vnet *vnet)
{
	json_t *slivers = json_array();
	for (uint32_t s = 0; s < vnet->sliver_count; s++) {
		const struct inp_sliver *sliver = &vnet->slivers[s];
		json_t *placement = sliver_placement(sliver);
		json_object_del(placement, "flows");
		json_array_append_new(
			slivers,
			json_pack("{s:s, s:s, s:s, s:s, s:s*, s:o*}", "kind",
				  inp_sliver_kind_name(sliver->kind), "id",
				  sliver->virtual_id, "allocation",
				  inp_allocation_state_name(sliver->allocation),
				  "operational",
				  inp_operational_state_name(
					  sliver->operational),
				  "error", sliver->error, "placement",
				  placement));
	}
	return json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:o}", "id",
			 (json_int_t)vnet->id, "name", vnet->name, "state",
			 vnet_state(vnet), "format",
			 vnet->request_format ? vnet->request_format :
						"loom-xml",
			 "lease_end", (json_int_t)vnet->lease_end, "created",
			 (json_int_t)vnet->created, "slivers", slivers);
}

struct reply vnet_status(struct inp_server *server,
			 const struct inp_tenant *tenant, int64_t id)
{
	struct inp_vnet vnet;
	if (inp_store_vnet_get(server->store, tenant->id, id, &vnet))
		return reply_store_error(server->store);
	json_t *body = status_json(&vnet);
	inp_vnet_free(&vnet);
	return reply_json(200, body);
}

static int vnet_list_add(void *context, const struct inp_vnet *vnet)
{
	json_t *item = json_pack("{s:I, s:s, s:s, s:I, s:I}", "id",
				 (json_int_t)vnet->id, "name", vnet->name,
				 "state", inp_vnet_state_name(vnet->state),
				 "lease_end", (json_int_t)vnet->lease_end,
				 "created", (json_int_t)vnet->created);
	return json_array_append_new(context, item) ? 1 : 0;
}

/* The list shows each VNet's derived state, so it reads every record. */
struct reply vnets_list(struct inp_server *server,
			const struct inp_tenant *tenant)
{
	json_t *list = json_array();
	if (inp_store_vnet_list(server->store, tenant->id, false,
				vnet_list_add, list) < 0) {
		json_decref(list);
		return reply_store_error(server->store);
	}
	size_t i;
	json_t *item;
	json_array_foreach(list, i, item)
	{
		struct inp_vnet vnet;
		if (inp_store_vnet_get(
			    server->store, tenant->id,
			    json_integer_value(json_object_get(item, "id")),
			    &vnet) == 0) {
			json_object_set_new(item, "state",
					    json_string(vnet_state(&vnet)));
			inp_vnet_free(&vnet);
		}
	}
	return reply_json(200, json_pack("{s:o}", "vnets", list));
}

/* ---- create ----------------------------------------------------------------- */

/* The lease a request asks for, checked against the daemon's bounds. */
static int lease_choose(struct inp_server *server,
			const struct vnet_request *vnet, int64_t *lease_end,
			struct reply *reply)
{
	int64_t now = (int64_t)time(NULL);
	*lease_end = vnet->has_lease_end ?
			     (int64_t)vnet->lease_end :
			     now + (int64_t)server->config.lease_default;
	if (*lease_end <= now) {
		*reply = reply_error(400, "lease",
				     "the lease end is in the past");
		return -1;
	}
	if (*lease_end > now + (int64_t)server->config.lease_max) {
		*reply = reply_error(400, "lease",
				     "the lease end is more than %" PRIu64
				     " seconds away (this InP's longest "
				     "lease)",
				     server->config.lease_max);
		return -1;
	}
	return 0;
}

/* A VNet name given on the URL: what a request's own name may be. */
static bool name_valid(const char *name)
{
	size_t length = strlen(name);
	if (!length || length > 63)
		return false;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' ||
		      *c == '.'))
			return false;
	return !(name[0] >= '0' && name[0] <= '9');
}

struct reply vnets_post(struct inp_server *server,
			const struct inp_tenant *tenant,
			const struct upload *upload, const char *name,
			bool dry_run, bool wait)
{
	struct vnet_request vnet;
	const char *format = "loom-xml";
	struct reply reply;
	if (name && !name_valid(name))
		return reply_error(400, "bad_request",
				   "name '%s': 1 to 63 of [A-Za-z0-9_.-], not "
				   "starting with a digit (digits are ids)",
				   name);
	if (document_parse(upload->data, upload->length, name, &vnet, &format,
			   &reply))
		return reply;
	if (name && strcmp(vnet.name, name)) {
		char *copy = strdup(name);
		if (!copy) {
			vnet_request_free(&vnet);
			return reply_error(500, "no_memory", "out of memory");
		}
		free(vnet.name);
		vnet.name = copy;
	}
	char message[512];
	struct embed_request *request = vnet_request_to_embed(
		&vnet, server->substrate, message, sizeof(message));
	struct embed_residual *residual = NULL;
	struct embed_mapping mapping;
	embed_mapping_init(&mapping);
	struct plan *plan = NULL;
	json_t *mapping_json = NULL;
	int64_t lease_end;
	if (!request) {
		reply = reply_error(400, "conversion", "%s", message);
		goto out;
	}
	if (lease_choose(server, &vnet, &lease_end, &reply))
		goto out;
	residual = residual_from_store(server);
	if (!residual) {
		reply = reply_error(500, "store", "cannot read the totals");
		goto out;
	}
	int rc = embedder_embed(server->embedder, residual, request, &mapping);
	if (rc == -ENOSPC) {
		server->creates_rejected += !dry_run;
		reply = reply_error(409, "infeasible",
				    "no feasible embedding on the substrate's "
				    "free capacity");
		goto out;
	} else if (rc) {
		reply = reply_error(500, "embedder", "embedding failed: %s",
				    strerror(-rc));
		goto out;
	}
	/* What cannot be provisioned is refused before anything is
	 * reserved: compile once with placeholder tags. */
	struct provision_plan check;
	for (uint32_t h = 0; h < mapping.hop_count; h++)
		mapping.tags[h] =
			server->substrate->links[mapping.links[h]].tags.first;
	rc = provision_compile(server->substrate, &vnet, &mapping, NULL, "v0",
			       NULL, &check, message, sizeof(message));
	provision_plan_free(&check);
	for (uint32_t h = 0; h < mapping.hop_count; h++)
		mapping.tags[h] = 0;
	if (rc) {
		reply = reply_error(409, "not_provisionable", "%s", message);
		goto out;
	}
	json_t *body = json_pack("{s:o, s:o, s:b, s:s}", "request",
				 vnet_request_to_json(&vnet), "mapping",
				 json_null(), "dry_run", dry_run, "format",
				 format);
	json_object_set_new(body, "mapping",
			    mapping_to_json(server->substrate, &vnet, &mapping));
	if (dry_run) {
		reply = reply_json(200, body);
		goto out;
	}
	mapping_json = json_incref(json_object_get(body, "mapping"));
	json_decref(body);

	struct inp_vnet record = {
		.name = vnet.name,
		.request = upload->data,
		.request_format = (char *)format,
		.lease_end = lease_end,
	};
	int64_t id;
	if (vnet_record_build(server->substrate, &vnet, request, &mapping,
			      &record)) {
		vnet_record_release(&record);
		reply = reply_error(500, "no_memory", "out of memory");
		goto out;
	}
	rc = inp_store_vnet_reserve(server->store, tenant->id, &record, &id);
	vnet_record_release(&record);
	if (rc) {
		server->creates_rejected++;
		reply = reply_store_error(server->store);
		goto out;
	}
	server->creates_accepted++;

	plan = plan_from_store(server, tenant->id, id, &vnet, message,
			       sizeof(message));
	if (!plan) {
		/* Nothing half-done: what was reserved is released. */
		inp_store_vnet_release(server->store, tenant->id, id);
		reply = reply_error(500, "provisioning", "%s", message);
		goto out;
	}
	inp_log("info", "vnet_created",
		json_pack("{s:s, s:I, s:s, s:i, s:i}", "tenant", tenant->name,
			  "vnet", (json_int_t)id, "name", vnet.name, "nodes",
			  (int)vnet.node_count, "links",
			  (int)vnet.link_count));
	provisioner_submit(server->provisioner, plan);
	plan = NULL;
	if (wait) {
		/* The provisioner needs no server lock; other requests go
		 * on meanwhile. */
		pthread_mutex_unlock(&server->lock);
		provisioner_wait(server->provisioner, id, 30000);
		pthread_mutex_lock(&server->lock);
	}
	struct inp_vnet stored;
	if (inp_store_vnet_get(server->store, tenant->id, id, &stored)) {
		reply = reply_store_error(server->store);
		goto out;
	}
	json_t *status = status_json(&stored);
	inp_vnet_free(&stored);
	json_object_set(status, "mapping", mapping_json);
	reply = reply_json(201, status);
out:
	json_decref(mapping_json);
	plan_free(plan);
	embed_mapping_free(&mapping);
	embed_residual_free(residual);
	embed_request_free(request);
	vnet_request_free(&vnet);
	return reply;
}

/* ---- renew, delete, expiry ---------------------------------------------------- */

/* Unix seconds or RFC 3339 UTC ("2026-12-01T00:00:00Z"). */
static bool time_parse(json_t *value, int64_t *out)
{
	if (json_is_integer(value)) {
		*out = json_integer_value(value);
		return true;
	}
	const char *text = json_string_value(value);
	if (!text)
		return false;
	struct tm tm = { 0 };
	const char *end = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return false;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++)
			;
	if (strcmp(end, "Z") && strcmp(end, "+00:00"))
		return false;
	*out = (int64_t)timegm(&tm);
	return true;
}

struct reply vnet_renew(struct inp_server *server,
			const struct inp_tenant *tenant, int64_t id,
			const struct upload *upload)
{
	json_t *body = json_loadb(upload->data ? upload->data : "",
				  upload->length, 0, NULL);
	int64_t lease_end;
	bool ok = body && time_parse(json_object_get(body, "lease_end"),
				     &lease_end);
	json_decref(body);
	if (!ok)
		return reply_error(400, "bad_request",
				   "expected {\"lease_end\": Unix seconds or "
				   "\"YYYY-MM-DDTHH:MM:SSZ\"}");
	int64_t now = (int64_t)time(NULL);
	if (lease_end > now + (int64_t)server->config.lease_max)
		return reply_error(400, "lease",
				   "the lease end is more than %" PRIu64
				   " seconds away (this InP's longest lease)",
				   server->config.lease_max);
	if (inp_store_vnet_renew(server->store, tenant->id, id, lease_end))
		return reply_store_error(server->store);
	inp_log("info", "vnet_renewed",
		json_pack("{s:I, s:I}", "vnet", (json_int_t)id, "lease_end",
			  (json_int_t)lease_end));
	return vnet_status(server, tenant, id);
}

struct reply vnet_delete(struct inp_server *server,
			 const struct inp_tenant *tenant, int64_t id)
{
	struct inp_vnet vnet;
	if (inp_store_vnet_get(server->store, tenant->id, id, &vnet))
		return reply_store_error(server->store);
	bool live = vnet.state == INP_VNET_RESERVED;
	json_t *body = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id,
				 "name", vnet.name, "state", "deleted");
	inp_vnet_free(&vnet);
	if (live) {
		if (inp_store_vnet_release(server->store, tenant->id, id)) {
			json_decref(body);
			return reply_store_error(server->store);
		}
		provisioner_withdraw(server->provisioner, id);
		inp_log("info", "vnet_deleted",
			json_pack("{s:s, s:I}", "tenant", tenant->name, "vnet",
				  (json_int_t)id));
	}
	return reply_json(200, body);
}

struct expired {
	int64_t tenant, id;
};

static int expired_collect(void *context, int64_t tenant, int64_t id)
{
	json_t *list = context;
	return json_array_append_new(list, json_pack("[I, I]",
						     (json_int_t)tenant,
						     (json_int_t)id)) ?
		       1 :
		       0;
}

void vnets_expire(struct inp_server *server)
{
	json_t *list = json_array();
	if (inp_store_vnet_expired(server->store, expired_collect, list) < 0) {
		json_decref(list);
		return;
	}
	size_t i;
	json_t *item;
	json_array_foreach(list, i, item)
	{
		int64_t tenant = json_integer_value(json_array_get(item, 0));
		int64_t id = json_integer_value(json_array_get(item, 1));
		if (inp_store_vnet_release(server->store, tenant, id) == 0) {
			provisioner_withdraw(server->provisioner, id);
			inp_log("info", "vnet_expired",
				json_pack("{s:I}", "vnet", (json_int_t)id));
		}
	}
	json_decref(list);
}

/* ---- restore after a restart ------------------------------------------------- */

/* Compiles and submits the plan of one stored VNet; a VNet that no longer
 * fits the substrate file (a node renamed, say) is logged and left as its
 * slivers say. */
static void vnet_restore_one(struct inp_server *server, int64_t tenant,
			     int64_t id)
{
	struct inp_vnet record;
	if (inp_store_vnet_get(server->store, tenant, id, &record))
		return;
	struct vnet_request vnet;
	struct embed_mapping mapping;
	char message[512];
	struct plan *plan = NULL;
	if (vnet_load(server, &record, &vnet, &mapping, message,
		      sizeof(message)) == 0) {
		plan = plan_build(server, &record, &vnet, &mapping, message,
				  sizeof(message));
		embed_mapping_free(&mapping);
		vnet_request_free(&vnet);
	}
	inp_vnet_free(&record);
	if (!plan) {
		inp_log("error", "vnet_restore_failed",
			json_pack("{s:I, s:s}", "vnet", (json_int_t)id,
				  "error", message));
		return;
	}
	provisioner_submit(server->provisioner, plan);
}

int vnets_restore(struct inp_server *server, char *err, size_t err_size)
{
	json_t *live = inp_live_vnets(server);
	if (!live) {
		snprintf(err, err_size, "store: %s",
			 inp_store_error(server->store));
		return -1;
	}
	size_t i;
	json_t *item;
	json_array_foreach(live, i, item)
		vnet_restore_one(server,
				 json_integer_value(json_array_get(item, 0)),
				 json_integer_value(json_array_get(item, 1)));
	json_decref(live);
	return 0;
}

/* ---- manifest and console ---------------------------------------------------- */

/* The hops of one flow with their direction: a path is walked from the
 * substrate node of its first endpoint; a tree's hops keep the link's own
 * ends. */
static json_t *flow_hops(const struct substrate *substrate,
			 const struct vnet_request *vnet,
			 const struct embed_mapping *mapping,
			 const struct embed_flow *flow)
{
	json_t *hops = json_array();
	const struct vnet_link *link = &vnet->links[flow->link];
	uint32_t at = mapping->nodes[vnet->interfaces[link->endpoints[0]
							      .interface]
					     .node];
	for (uint32_t h = 0; h < flow->hop_count; h++) {
		const struct substrate_link *hop =
			&substrate->links[mapping->links[flow->first + h]];
		uint32_t from = hop->ends[0].node, to = hop->ends[1].node;
		if (!flow->tree && to == at) {
			to = from;
			from = at;
		}
		at = to;
		json_array_append_new(
			hops,
			json_pack("{s:s, s:s, s:s, s:s, s:i}", "substrate_link",
				  hop->id, "from", substrate->nodes[from].id,
				  "to", substrate->nodes[to].id, "kind",
				  hop->kind == SUBSTRATE_LINK_IP ? "vxlan" :
								   "vlan",
				  "tag", (int)mapping->tags[flow->first + h]));
	}
	return hops;
}

static json_t *manifest_json(struct inp_server *server,
			     const struct inp_vnet *record,
			     const struct vnet_request *vnet,
			     const struct embed_mapping *mapping)
{
	char vnet_id[PROVISION_VNET_ID_MAX + 1];
	snprintf(vnet_id, sizeof(vnet_id), "v%" PRId64, record->id);
	json_t *nodes = json_array();
	for (uint32_t v = 0; v < vnet->node_count; v++) {
		const struct vnet_node *node = &vnet->nodes[v];
		json_t *interfaces = json_array();
		json_t *qemu = json_array();
		for (uint32_t i = 0; i < node->interface_count; i++) {
			uint32_t index = node->interface_first + i;
			const struct vnet_interface *interface =
				&vnet->interfaces[index];
			char name[16], mac[18], address[64];
			interface_name(interface->id, i, name);
			json_t *addresses = json_array();
			for (uint32_t a = 0; a < interface->address_count;
			     a++) {
				vnet_address_format(&interface->addresses[a],
						    address, sizeof(address));
				json_array_append_new(addresses,
						      json_string(address));
			}
			json_t *item = json_pack("{s:s, s:s, s:o}", "id",
						 interface->id, "name", name,
						 "addresses", addresses);
			if (interface->has_mac) {
				vnet_mac_format(interface->mac, mac,
						sizeof(mac));
				json_object_set_new(item, "mac",
						    json_string(mac));
			}
			struct provision_attachment attachment;
			if (interface->link >= 0 &&
			    provision_attachment(
				    vnet_id, node->id, interface->id, index,
				    node->kind,
				    server->config.vhost_directory,
				    &attachment) == 0) {
				json_object_set_new(
					item, "switch_port",
					json_string(attachment.port));
				json_object_set_new(
					item, "link",
					json_string(vnet->links[interface->link]
							    .id));
				if (node->kind == VNET_NODE_VM) {
					json_object_set_new(
						item, "vhost_socket",
						json_string(
							attachment.vhost_socket));
					char arguments[512];
					snprintf(arguments, sizeof(arguments),
						 "-chardev socket,id=%s,path=%s "
						 "-netdev vhost-user,id=n%s,"
						 "chardev=%s -device "
						 "virtio-net-pci,netdev=n%s",
						 attachment.veth,
						 attachment.vhost_socket,
						 attachment.veth,
						 attachment.veth,
						 attachment.veth);
					json_array_append_new(
						qemu, json_string(arguments));
				}
			}
			json_array_append_new(interfaces, item);
		}
		json_t *item = json_pack(
			"{s:s, s:s, s:s, s:f, s:i, s:o}", "id", node->id,
			"kind", vnet_node_kind_name(node->kind),
			"substrate_node",
			server->substrate->nodes[mapping->nodes[v]].id, "cpu",
			node->cpu, "memory_mib", (int)node->memory_mib,
			"interfaces", interfaces);
		if (node->kind == VNET_NODE_HOST) {
			char namespace_name[72];
			if (host_namespace_name(server->config.host_prefix,
						record->id, node->id,
						namespace_name,
						sizeof(namespace_name)) == 0)
				json_object_set_new(
					item, "namespace",
					json_string(namespace_name));
			json_decref(qemu);
		} else {
			json_object_set_new(item, "image",
					    json_string(node->image));
			json_object_set_new(
				item, "memory_note",
				json_string("QEMU needs shared memory for "
					    "vhost-user: -object memory-backend-"
					    "memfd,id=mem,size=<memory>M,share=on "
					    "-numa node,memdev=mem"));
			json_object_set_new(item, "qemu_args", qemu);
		}
		json_array_append_new(nodes, item);
	}
	json_t *links = json_array();
	for (uint32_t l = 0; l < vnet->link_count; l++) {
		const struct vnet_link *link = &vnet->links[l];
		json_t *hops = json_array();
		for (uint32_t f = 0; f < mapping->flow_count; f++) {
			if (mapping->flows[f].link != l)
				continue;
			json_t *more = flow_hops(server->substrate, vnet,
						 mapping, &mapping->flows[f]);
			json_array_extend(hops, more);
			json_decref(more);
		}
		json_t *endpoints = json_array();
		for (uint32_t e = 0; e < link->endpoint_count; e++)
			json_array_append_new(
				endpoints,
				json_string(vnet->interfaces[link->endpoints[e]
								     .interface]
						    .id));
		json_array_append_new(
			links,
			json_pack("{s:s, s:s, s:I, s:i, s:f, s:o, s:o}", "id",
				  link->id, "isolation",
				  vnet_isolation_name(link->isolation),
				  "capacity_kbps",
				  (json_int_t)link->capacity_kbps, "mtu",
				  (int)link->mtu, "latency_ms",
				  link->latency_ms, "endpoints", endpoints,
				  "hops", hops));
	}
	return json_pack("{s:I, s:s, s:s, s:I, s:o, s:o}", "id",
			 (json_int_t)record->id, "name", record->name, "state",
			 vnet_state(record), "lease_end",
			 (json_int_t)record->lease_end, "nodes", nodes,
			 "links", links);
}

struct reply vnet_manifest(struct inp_server *server,
			   const struct inp_tenant *tenant, int64_t id,
			   bool rspec)
{
	struct inp_vnet record;
	if (inp_store_vnet_get(server->store, tenant->id, id, &record))
		return reply_store_error(server->store);
	if (record.state == INP_VNET_DELETED) {
		inp_vnet_free(&record);
		return reply_error(409, "deleted",
				   "VNet %" PRId64 " is deleted: it holds no "
				   "resources to describe",
				   id);
	}
	struct vnet_request vnet;
	struct embed_mapping mapping;
	char message[512];
	if (vnet_load(server, &record, &vnet, &mapping, message,
		      sizeof(message))) {
		inp_vnet_free(&record);
		return reply_error(500, "store", "%s", message);
	}
	json_t *manifest = manifest_json(server, &record, &vnet, &mapping);
	embed_mapping_free(&mapping);
	vnet_request_free(&vnet);
	inp_vnet_free(&record);
	if (!rspec)
		return reply_json(200, manifest);
	char *text = rspec_manifest(manifest);
	json_decref(manifest);
	if (!text)
		return reply_error(500, "no_memory", "out of memory");
	return reply_text(200, text, "application/xml");
}

struct reply vnet_console(struct inp_server *server,
			  const struct inp_tenant *tenant, int64_t id,
			  const char *node)
{
	struct inp_vnet record;
	if (inp_store_vnet_get(server->store, tenant->id, id, &record))
		return reply_store_error(server->store);
	bool live = record.state == INP_VNET_RESERVED;
	const struct inp_sliver *sliver =
		sliver_find(&record, INP_SLIVER_NODE, node);
	if (!sliver || !live) {
		inp_vnet_free(&record);
		return reply_error(404, "not_found",
				   "no node '%s' in a live VNet %" PRId64, node,
				   id);
	}
	struct vnet_request vnet;
	struct vnet_request_error parse_error;
	const char *format;
	int v = -1;
	if (vnet_document_parse(record.request, strlen(record.request),
				record.name, 0, &vnet, &parse_error,
				&format) == 0) {
		v = vnet_request_node_lookup(&vnet, node);
		if (v >= 0 && vnet.nodes[v].kind != VNET_NODE_HOST)
			v = -2;
		vnet_request_free(&vnet);
	}
	inp_vnet_free(&record);
	if (v == -2)
		return reply_error(409, "not_a_host",
				   "node '%s' is a VM: attach to it with the "
				   "QEMU arguments of its manifest",
				   node);
	char namespace_name[72];
	if (v < 0 || host_namespace_name(server->config.host_prefix, id, node,
					 namespace_name,
					 sizeof(namespace_name)))
		return reply_error(500, "store", "cannot read node '%s'", node);
	return reply_json(200,
			  json_pack("{s:s, s:s, s:[s, s, s, s, s]}",
				    "namespace", namespace_name, "node", node,
				    "command", "ip", "netns", "exec",
				    namespace_name, "/bin/sh"));
}

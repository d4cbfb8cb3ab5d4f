/* loom-inp's embedding state: the residual capacity derived from the store
 * and the re-embedding of VNets hit by a failure. Runs under server->lock.
 *
 * Re-embedding keeps what it can: every virtual node whose substrate node
 * is still up is pinned where it is (its only allowed node), the VNet's
 * own reservations are given back to the residual, and each hop that stays
 * on the same substrate link for the same virtual link keeps its tag, so
 * the switches' state changes only where the failure forces it. Admission
 * control is off for it (a VNet already admitted is moved, not judged
 * again). A VNet
 * that cannot be re-embedded keeps its record, loses its reservations and
 * shows `failed` with the reason on every sliver. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inp_private.h"

/* ---- residual state -------------------------------------------------------
 *
 * Units: store CPU in millionths of a core = embed amounts of CPU units;
 * store bandwidth in kbit/s, embed in millionths of Mbit/s (x 1000).
 * Bandwidth is one budget per link in the embedder, so all directions of a
 * link are summed. Elements the operator marked down have nothing left. */

static int residual_take_cpu(void *context, const char *substrate_node,
			     int64_t cpu)
{
	struct embed_residual *residual = context;
	int node = substrate_node_lookup(residual->substrate, substrate_node);
	if (node >= 0)
		residual->cpu[node] -= cpu;
	return 0;
}

static int residual_take_bandwidth(void *context, const char *substrate_link,
				   enum inp_direction direction,
				   int64_t bandwidth)
{
	(void)direction;
	struct embed_residual *residual = context;
	int link = substrate_link_lookup(residual->substrate, substrate_link);
	if (link >= 0)
		residual->bandwidth[link] -= bandwidth * 1000;
	return 0;
}

/* Only the count of free tags matters to the algorithms; the store picks
 * the tags themselves when reserving. */
static int residual_take_tags(void *context, const char *substrate_link,
			      int64_t tags)
{
	struct embed_residual *residual = context;
	int link = substrate_link_lookup(residual->substrate, substrate_link);
	if (link >= 0)
		residual->tags_free[link] -=
			tags > residual->tags_free[link] ?
				residual->tags_free[link] :
				(uint32_t)tags;
	return 0;
}

struct embed_residual *residual_from_store(struct inp_server *server)
{
	struct embed_residual *residual =
		embed_residual_create(server->substrate);
	if (!residual)
		return NULL;
	if (inp_store_node_totals(server->store, residual_take_cpu,
				  residual) ||
	    inp_store_link_totals(server->store, residual_take_bandwidth,
				  residual) ||
	    inp_store_tag_totals(server->store, residual_take_tags,
				 residual)) {
		embed_residual_free(residual);
		return NULL;
	}
	const struct substrate *substrate = server->substrate;
	/* Down elements have no capacity at all: they must not count as load
	 * either (the loom algorithm's admission control reads utilization). */
	for (uint32_t n = 0; n < substrate->node_count; n++)
		if (server->states.node_down[n])
			residual->cpu[n] = residual->cpu_capacity[n] = 0;
	for (uint32_t l = 0; l < substrate->link_count; l++) {
		if (inp_link_down(server, l)) {
			residual->bandwidth[l] = 0;
			residual->bandwidth_capacity[l] = 0;
			residual->tags_free[l] = 0;
		}
	}
	return residual;
}

/* ---- re-embedding ---------------------------------------------------------- */

bool inp_link_down(const struct inp_server *server, uint32_t l)
{
	const struct substrate_link *link = &server->substrate->links[l];
	return server->states.link_down[l] || server->states.link_port_down[l] ||
	       server->states.node_down[link->ends[0].node] ||
	       server->states.node_down[link->ends[1].node];
}

static bool mapping_hit(const struct inp_server *server,
			const struct embed_mapping *mapping)
{
	for (uint32_t v = 0; v < mapping->node_count; v++)
		if (server->states.node_down[mapping->nodes[v]])
			return true;
	for (uint32_t h = 0; h < mapping->hop_count; h++)
		if (inp_link_down(server, mapping->links[h]))
			return true;
	return false;
}

/* Gives the VNet's own reservations back to the residual. */
static void residual_give_back(struct inp_server *server,
			       struct embed_residual *residual,
			       const struct inp_vnet *record)
{
	for (uint32_t i = 0; i < record->cpu_count; i++) {
		int n = substrate_node_lookup(server->substrate,
					      record->cpu[i].substrate_node);
		if (n >= 0 && !server->states.node_down[n])
			residual->cpu[n] += record->cpu[i].amount;
	}
	for (uint32_t i = 0; i < record->bandwidth_count; i++) {
		int l = substrate_link_lookup(
			server->substrate, record->bandwidth[i].substrate_link);
		if (l >= 0 && !inp_link_down(server, (uint32_t)l))
			residual->bandwidth[l] +=
				record->bandwidth[i].amount * 1000;
	}
	for (uint32_t i = 0; i < record->tag_count; i++) {
		int l = substrate_link_lookup(server->substrate,
					      record->tags[i].substrate_link);
		if (l >= 0 && !inp_link_down(server, (uint32_t)l))
			residual->tags_free[l]++;
	}
}

/* Pins virtual node v to substrate node `node`. */
static int pin(struct embed_request *request, uint32_t v, uint32_t node)
{
	uint32_t *allowed = malloc(sizeof(*allowed));
	if (!allowed)
		return -1;
	allowed[0] = node;
	free(request->nodes[v].allowed);
	request->nodes[v].allowed = allowed;
	request->nodes[v].allowed_count = 1;
	return 0;
}

/* The tag a new hop keeps: the old one if the same virtual link crossed
 * the same substrate link before. */
static void tags_keep(const struct embed_mapping *old,
		      struct embed_mapping *new)
{
	for (uint32_t f = 0; f < new->flow_count; f++) {
		const struct embed_flow *flow = &new->flows[f];
		for (uint32_t h = 0; h < flow->hop_count; h++) {
			uint32_t link = new->links[flow->first + h];
			new->tags[flow->first + h] = 0;
			for (uint32_t g = 0; g < old->flow_count; g++) {
				const struct embed_flow *was = &old->flows[g];
				for (uint32_t k = 0; was->link == flow->link &&
						     k < was->hop_count;
				     k++)
					if (old->links[was->first + k] == link)
						new->tags[flow->first + h] =
							old->tags[was->first +
								  k];
			}
		}
	}
}

/* The VNet cannot be re-embedded: its reservations go, its record stays
 * with every sliver failed and the reason. */
static void vnet_fail(struct inp_server *server, const struct inp_vnet *record,
		      const char *reason)
{
	struct inp_vnet failed = {
		.name = record->name,
		.sliver_count = record->sliver_count,
		.slivers = calloc(record->sliver_count + 1,
				  sizeof(*failed.slivers)),
	};
	if (!failed.slivers)
		return;
	for (uint32_t s = 0; s < record->sliver_count; s++) {
		failed.slivers[s].kind = record->slivers[s].kind;
		failed.slivers[s].virtual_id = record->slivers[s].virtual_id;
		failed.slivers[s].allocation = INP_ALLOCATION_UNALLOCATED;
		failed.slivers[s].operational = INP_OPERATIONAL_FAILED;
		failed.slivers[s].error = (char *)reason;
	}
	if (inp_store_vnet_replace(server->store, record->tenant, record->id,
				   &failed) == 0)
		provisioner_withdraw(server->provisioner, record->id);
	free(failed.slivers);
	server->reembed_failures++;
	inp_log("error", "vnet_failed",
		json_pack("{s:I, s:s}", "vnet", (json_int_t)record->id,
			  "error", reason));
}

/* Re-embeds one VNet if a down element carries it. */
static void vnet_reembed(struct inp_server *server, int64_t tenant, int64_t id)
{
	struct inp_vnet record;
	if (inp_store_vnet_get(server->store, tenant, id, &record))
		return;
	struct vnet_request vnet;
	struct embed_mapping old;
	char message[512];
	if (record.state != INP_VNET_RESERVED || record.cpu_count == 0 ||
	    vnet_load(server, &record, &vnet, &old, message,
		      sizeof(message))) {
		/* Failed VNets hold nothing: there is nothing to move. */
		inp_vnet_free(&record);
		return;
	}
	struct embed_request *request = NULL;
	struct embed_residual *residual = NULL;
	struct embed_mapping new;
	embed_mapping_init(&new);
	struct plan *plan = NULL;
	if (!mapping_hit(server, &old))
		goto out;
	request = vnet_request_to_embed(&vnet, server->substrate, message,
					sizeof(message));
	residual = request ? residual_from_store(server) : NULL;
	if (!residual) {
		vnet_fail(server, &record, "re-embedding: cannot read the "
					   "request or the store");
		goto out;
	}
	residual_give_back(server, residual, &record);
	for (uint32_t v = 0; v < old.node_count; v++)
		if (!server->states.node_down[old.nodes[v]] &&
		    pin(request, v, old.nodes[v]))
			goto out;
	int rc = embedder_embed(server->reembedder, residual, request, &new);

	if (rc) {
		snprintf(message, sizeof(message),
			 "a substrate element it used is down and no other "
			 "embedding fits what remains (%s)",
			 rc == -ENOSPC ? "infeasible" : strerror(-rc));
		vnet_fail(server, &record, message);
		goto out;
	}
	tags_keep(&old, &new);
	struct inp_vnet replacement = { .name = record.name };
	if (vnet_record_build(server->substrate, &vnet, request, &new,
			      &replacement) ||
	    inp_store_vnet_replace(server->store, tenant, id, &replacement)) {
		vnet_record_release(&replacement);
		snprintf(message, sizeof(message),
			 "re-embedding could not be reserved: %s",
			 inp_store_error(server->store));
		vnet_fail(server, &record, message);
		goto out;
	}
	vnet_record_release(&replacement);
	/* Host namespaces that move to another substrate node are removed
	 * now, before the new node creates them again under their name. */
	for (uint32_t v = 0; v < vnet.node_count; v++) {
		if (vnet.nodes[v].kind != VNET_NODE_HOST ||
		    old.nodes[v] == new.nodes[v])
			continue;
		char namespace_name[72], reason[200];
		if (host_namespace_name(server->config.host_prefix, id,
					vnet.nodes[v].id, namespace_name,
					sizeof(namespace_name)) == 0)
			host_delete(namespace_name, NULL, NULL, 0, reason,
				    sizeof(reason));
	}
	plan = plan_from_store(server, tenant, id, &vnet, message,
			       sizeof(message));
	if (!plan) {
		vnet_fail(server, &record, message);
		goto out;
	}
	provisioner_submit(server->provisioner, plan);
	plan = NULL;
	server->reembeds++;
	inp_log("warning", "vnet_reembedded",
		json_pack("{s:I, s:s}", "vnet", (json_int_t)id, "name",
			  record.name));
out:
	embed_mapping_free(&new);
	embed_residual_free(residual);
	embed_request_free(request);
	embed_mapping_free(&old);
	vnet_request_free(&vnet);
	inp_vnet_free(&record);
}

void vnets_reembed(struct inp_server *server)
{
	json_t *live = inp_live_vnets(server);
	size_t i;
	json_t *item;
	json_array_foreach(live, i, item)
		vnet_reembed(server, json_integer_value(json_array_get(item, 0)),
			     json_integer_value(json_array_get(item, 1)));
	json_decref(live);
}

void inp_port_report(struct inp_server *server, const bool *link_port_down)
{
	pthread_mutex_lock(&server->lock);
	bool newly_down = false;
	for (uint32_t l = 0; l < server->substrate->link_count; l++) {
		if (server->states.link_port_down[l] == link_port_down[l])
			continue;
		server->states.link_port_down[l] = link_port_down[l];
		newly_down |= link_port_down[l];
		inp_log("warning",
			link_port_down[l] ? "link_port_down" : "link_port_up",
			json_pack("{s:s}", "link",
				  server->substrate->links[l].id));
	}
	if (newly_down && !server->stopping)
		vnets_reembed(server);
	pthread_mutex_unlock(&server->lock);
}

/* The residual state of the substrate and the mappings that use it: commit,
 * release, tag allocation, cost, printing. See embed.h sections 3 and 4. */
#include "embed_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- Tags ------------------------------------------------------------------
 * A bitmap over the link's range that only grows as far as tags are in use
 * (lowest free tag first keeps it dense): 64 tags a word. */
struct embed_tag_pool {
	uint32_t first; /* the range's first tag */
	uint32_t size;  /* tags in the range */
	uint32_t used;
	uint32_t word_count;
	uint32_t hint; /* no free bit below this word */
	uint64_t *words;
};

static int tag_take(struct embed_tag_pool *pool, uint32_t *tag)
{
	if (pool->used >= pool->size)
		return -ENOSPC;
	uint32_t word = pool->hint;
	while (word < pool->word_count && pool->words[word] == UINT64_MAX)
		word++;
	if (word == pool->word_count) {
		uint32_t count = pool->word_count ? pool->word_count * 2 : 1;
		uint64_t *words = realloc(pool->words, count * sizeof(*words));
		if (!words)
			return -ENOMEM;
		memset(words + pool->word_count, 0,
		       (count - pool->word_count) * sizeof(*words));
		pool->words = words;
		pool->word_count = count;
	}
	uint32_t bit = (uint32_t)__builtin_ctzll(~pool->words[word]);
	uint64_t index = (uint64_t)word * 64 + bit;
	if (index >= pool->size)
		return -ENOSPC; /* cannot happen while used < size */
	pool->words[word] |= 1ull << bit;
	pool->used++;
	pool->hint = word;
	*tag = pool->first + (uint32_t)index;
	return 0;
}

static void tag_give(struct embed_tag_pool *pool, uint32_t tag)
{
	uint32_t index = tag - pool->first;
	uint32_t word = index / 64;
	if (tag < pool->first || index >= pool->size || word >= pool->word_count)
		return;
	uint64_t bit = 1ull << (index % 64);
	if (!(pool->words[word] & bit))
		return;
	pool->words[word] &= ~bit;
	pool->used--;
	if (word < pool->hint)
		pool->hint = word;
}

/* ---- Residual state -------------------------------------------------------- */

struct embed_residual *embed_residual_create(const struct substrate *substrate)
{
	if (!substrate->finalized)
		return NULL;
	struct embed_residual *residual = calloc(1, sizeof(*residual));
	if (!residual)
		return NULL;
	uint32_t nodes = substrate->node_count, links = substrate->link_count;
	residual->substrate = substrate;
	residual->cpu_capacity = calloc(nodes + 1, sizeof(embed_amount));
	residual->cpu = calloc(nodes + 1, sizeof(embed_amount));
	residual->bandwidth_capacity = calloc(links + 1, sizeof(embed_amount));
	residual->bandwidth = calloc(links + 1, sizeof(embed_amount));
	residual->tags_free = calloc(links + 1, sizeof(uint32_t));
	residual->tags = calloc(links + 1, sizeof(*residual->tags));
	if (!residual->cpu_capacity || !residual->cpu ||
	    !residual->bandwidth_capacity || !residual->bandwidth ||
	    !residual->tags_free || !residual->tags) {
		embed_residual_free(residual);
		return NULL;
	}
	for (uint32_t n = 0; n < nodes; n++) {
		embed_amount cpu =
			embed_amount_from_double(substrate->nodes[n].cpu);
		residual->cpu_capacity[n] = residual->cpu[n] = cpu < 0 ? 0 : cpu;
	}
	for (uint32_t l = 0; l < links; l++) {
		const struct substrate_link *link = &substrate->links[l];
		embed_amount bandwidth = embed_amount_from_double(link->bandwidth);
		residual->bandwidth_capacity[l] = residual->bandwidth[l] =
			bandwidth < 0 ? 0 : bandwidth;
		struct tag_range range = link->tags;
		if (range.first == 0 && range.last == 0) {
			bool ip = link->kind == SUBSTRATE_LINK_IP;
			range.first = ip ? SUBSTRATE_VNI_MIN : SUBSTRATE_VLAN_MIN;
			range.last = ip ? SUBSTRATE_VNI_MAX : SUBSTRATE_VLAN_MAX;
		}
		residual->tags[l].first = range.first;
		residual->tags[l].size = range.last >= range.first ?
						 range.last - range.first + 1 :
						 0;
		residual->tags_free[l] = residual->tags[l].size;
	}
	return residual;
}

void embed_residual_free(struct embed_residual *residual)
{
	if (!residual)
		return;
	if (residual->tags)
		for (uint32_t l = 0; l < residual->substrate->link_count; l++)
			free(residual->tags[l].words);
	free(residual->tags);
	free(residual->tags_free);
	free(residual->cpu_capacity);
	free(residual->cpu);
	free(residual->bandwidth_capacity);
	free(residual->bandwidth);
	free(residual);
}

bool embed_residual_is_full(const struct embed_residual *residual)
{
	const struct substrate *substrate = residual->substrate;
	for (uint32_t n = 0; n < substrate->node_count; n++)
		if (residual->cpu[n] != residual->cpu_capacity[n])
			return false;
	for (uint32_t l = 0; l < substrate->link_count; l++)
		if (residual->bandwidth[l] != residual->bandwidth_capacity[l] ||
		    residual->tags_free[l] != residual->tags[l].size ||
		    residual->tags[l].used != 0)
			return false;
	return true;
}

static bool mapping_well_formed(const struct embed_residual *residual,
				const struct embed_request *request,
				const struct embed_mapping *mapping)
{
	const struct substrate *substrate = residual->substrate;
	if (mapping->node_count != request->node_count)
		return false;
	for (uint32_t v = 0; v < mapping->node_count; v++)
		if (mapping->nodes[v] >= substrate->node_count)
			return false;
	for (uint32_t f = 0; f < mapping->flow_count; f++) {
		const struct embed_flow *flow = &mapping->flows[f];
		if (flow->link >= request->link_count || flow->bandwidth < 0 ||
		    flow->first > mapping->hop_count ||
		    flow->hop_count > mapping->hop_count - flow->first)
			return false;
		for (uint32_t h = 0; h < flow->hop_count; h++)
			if (mapping->links[flow->first + h] >=
			    substrate->link_count)
				return false;
	}
	return true;
}

/* Gives back the first `nodes` nodes and the first `hops` hops (in flow
 * order) of mapping: the undo of a partial commit and the whole release. */
static void give_back(struct embed_residual *residual,
		      const struct embed_request *request,
		      const struct embed_mapping *mapping, uint32_t nodes,
		      uint32_t hops)
{
	for (uint32_t v = 0; v < nodes; v++)
		residual->cpu[mapping->nodes[v]] += request->nodes[v].cpu;
	uint32_t given = 0;
	for (uint32_t f = 0; f < mapping->flow_count && given < hops; f++) {
		const struct embed_flow *flow = &mapping->flows[f];
		for (uint32_t h = 0; h < flow->hop_count && given < hops;
		     h++, given++) {
			uint32_t link = mapping->links[flow->first + h];
			residual->bandwidth[link] += flow->bandwidth;
			tag_give(&residual->tags[link],
				 mapping->tags[flow->first + h]);
			residual->tags_free[link] =
				residual->tags[link].size -
				residual->tags[link].used;
		}
	}
}

int embed_residual_commit(struct embed_residual *residual,
			  const struct embed_request *request,
			  struct embed_mapping *mapping)
{
	if (!mapping_well_formed(residual, request, mapping))
		return -EINVAL;
	uint32_t v;
	for (v = 0; v < mapping->node_count; v++) {
		uint32_t s = mapping->nodes[v];
		if (residual->cpu[s] < request->nodes[v].cpu)
			break;
		residual->cpu[s] -= request->nodes[v].cpu;
	}
	if (v < mapping->node_count) {
		give_back(residual, request, mapping, v, 0);
		return -ENOSPC;
	}
	uint32_t taken = 0;
	int status = 0;
	for (uint32_t f = 0; f < mapping->flow_count && !status; f++) {
		const struct embed_flow *flow = &mapping->flows[f];
		for (uint32_t h = 0; h < flow->hop_count; h++) {
			uint32_t link = mapping->links[flow->first + h];
			if (residual->bandwidth[link] < flow->bandwidth) {
				status = -ENOSPC;
				break;
			}
			status = tag_take(&residual->tags[link],
					  &mapping->tags[flow->first + h]);
			if (status)
				break;
			residual->bandwidth[link] -= flow->bandwidth;
			residual->tags_free[link]--;
			taken++;
		}
	}
	if (status) {
		give_back(residual, request, mapping, mapping->node_count,
			  taken);
		return status;
	}
	residual->live_requests++;
	return 0;
}

void embed_residual_release(struct embed_residual *residual,
			    const struct embed_request *request,
			    const struct embed_mapping *mapping)
{
	give_back(residual, request, mapping, mapping->node_count,
		  mapping->hop_count);
	residual->live_requests--;
}

/* ---- Mappings -------------------------------------------------------------- */

void embed_mapping_init(struct embed_mapping *mapping)
{
	memset(mapping, 0, sizeof(*mapping));
}

void embed_mapping_free(struct embed_mapping *mapping)
{
	free(mapping->nodes);
	free(mapping->flows);
	free(mapping->links);
	free(mapping->tags);
	embed_mapping_init(mapping);
}

int embed_mapping_reset(struct embed_mapping *mapping, uint32_t node_count)
{
	if (node_count > mapping->node_capacity) {
		uint32_t *nodes = realloc(mapping->nodes,
					  node_count * sizeof(*nodes));
		if (!nodes)
			return -ENOMEM;
		mapping->nodes = nodes;
		mapping->node_capacity = node_count;
	}
	mapping->node_count = node_count;
	for (uint32_t v = 0; v < node_count; v++)
		mapping->nodes[v] = SUBSTRATE_NONE;
	mapping->flow_count = 0;
	mapping->hop_count = 0;
	return 0;
}

int embed_mapping_add_flow(struct embed_mapping *mapping, uint32_t link,
			   bool tree, embed_amount bandwidth,
			   const uint32_t *links, uint32_t hop_count)
{
	if (mapping->flow_count == mapping->flow_capacity) {
		uint32_t capacity = mapping->flow_capacity ?
					    mapping->flow_capacity * 2 : 16;
		void *flows = realloc(mapping->flows,
				      capacity * sizeof(*mapping->flows));
		if (!flows)
			return -ENOMEM;
		mapping->flows = flows;
		mapping->flow_capacity = capacity;
	}
	if (mapping->hop_count + hop_count > mapping->hop_capacity) {
		uint32_t capacity = mapping->hop_capacity ?
					    mapping->hop_capacity : 64;
		while (capacity < mapping->hop_count + hop_count)
			capacity *= 2;
		uint32_t *hops = realloc(mapping->links,
					 capacity * sizeof(*hops));
		if (!hops)
			return -ENOMEM;
		mapping->links = hops;
		uint32_t *tags = realloc(mapping->tags, capacity * sizeof(*tags));
		if (!tags)
			return -ENOMEM;
		mapping->tags = tags;
		mapping->hop_capacity = capacity;
	}
	mapping->flows[mapping->flow_count++] = (struct embed_flow){
		.link = link,
		.tree = tree,
		.bandwidth = bandwidth,
		.first = mapping->hop_count,
		.hop_count = hop_count,
	};
	if (hop_count)
		memcpy(mapping->links + mapping->hop_count, links,
		       hop_count * sizeof(*links));
	memset(mapping->tags + mapping->hop_count, 0,
	       hop_count * sizeof(uint32_t));
	mapping->hop_count += hop_count;
	return 0;
}

int embed_mapping_copy(struct embed_mapping *destination,
		       const struct embed_mapping *source)
{
	if (embed_mapping_reset(destination, source->node_count))
		return -ENOMEM;
	if (source->node_count)
		memcpy(destination->nodes, source->nodes,
		       source->node_count * sizeof(uint32_t));
	for (uint32_t f = 0; f < source->flow_count; f++) {
		const struct embed_flow *flow = &source->flows[f];
		if (embed_mapping_add_flow(destination, flow->link, flow->tree,
					   flow->bandwidth,
					   source->links + flow->first,
					   flow->hop_count))
			return -ENOMEM;
		memcpy(destination->tags + destination->flows[f].first,
		       source->tags + flow->first,
		       flow->hop_count * sizeof(uint32_t));
	}
	return 0;
}

double embed_mapping_cost(const struct embed_request *request,
			  const struct embed_mapping *mapping)
{
	embed_amount cost = 0;
	for (uint32_t v = 0; v < request->node_count; v++)
		cost += request->nodes[v].cpu;
	for (uint32_t f = 0; f < mapping->flow_count; f++)
		cost += mapping->flows[f].bandwidth *
			(embed_amount)mapping->flows[f].hop_count;
	return embed_amount_to_double(cost);
}

uint32_t embed_mapping_hops(const struct embed_mapping *mapping)
{
	return mapping->hop_count;
}

/* ---- Printing --------------------------------------------------------------- */

static void print_flow_hops(const struct substrate *substrate,
			    const struct embed_mapping *mapping,
			    const struct embed_flow *flow, uint32_t host,
			    FILE *stream)
{
	if (flow->tree) {
		for (uint32_t h = 0; h < flow->hop_count; h++) {
			const struct substrate_link *link =
				&substrate->links[mapping->links[flow->first + h]];
			fprintf(stream, "%s%s--%s [tag %u]", h ? ", " : "",
				substrate->nodes[link->ends[0].node].id,
				substrate->nodes[link->ends[1].node].id,
				mapping->tags[flow->first + h]);
		}
		return;
	}
	fprintf(stream, "%s", substrate->nodes[host].id);
	for (uint32_t h = 0; h < flow->hop_count; h++) {
		const struct substrate_link *link =
			&substrate->links[mapping->links[flow->first + h]];
		host = substrate_link_other(link, host);
		fprintf(stream, " -[%s tag %u]-> %s", link->id,
			mapping->tags[flow->first + h], substrate->nodes[host].id);
	}
}

void embed_mapping_print(const struct substrate *substrate,
			 const struct embed_request *request,
			 const struct embed_mapping *mapping, FILE *stream)
{
	fprintf(stream, "request %s: revenue %.6g, cost %.6g\n",
		request->name[0] ? request->name : "-",
		embed_request_revenue(request),
		embed_mapping_cost(request, mapping));
	for (uint32_t v = 0; v < request->node_count; v++)
		fprintf(stream, "  node %s (cpu %.6g) -> %s\n",
			request->nodes[v].id,
			embed_amount_to_double(request->nodes[v].cpu),
			substrate->nodes[mapping->nodes[v]].id);
	for (uint32_t f = 0; f < mapping->flow_count; f++) {
		const struct embed_flow *flow = &mapping->flows[f];
		const struct embed_virtual_link *link =
			&request->links[flow->link];
		fprintf(stream, "  link %s (bw %.6g%s): ", link->id,
			embed_amount_to_double(flow->bandwidth),
			flow->bandwidth != link->bandwidth ? ", split" : "");
		print_flow_hops(substrate, mapping, flow,
				mapping->nodes[link->endpoints[0]], stream);
		fputc('\n', stream);
	}
}

static void json_string(FILE *stream, const char *text)
{
	fputc('"', stream);
	for (; *text; text++) {
		unsigned char c = (unsigned char)*text;
		if (c == '"' || c == '\\')
			fprintf(stream, "\\%c", c);
		else if (c < 0x20)
			fprintf(stream, "\\u%04x", c);
		else
			fputc(c, stream);
	}
	fputc('"', stream);
}

void embed_mapping_print_json(const struct substrate *substrate,
			      const struct embed_request *request,
			      const struct embed_mapping *mapping, FILE *stream)
{
	fprintf(stream, "{\"request\": ");
	json_string(stream, request->name);
	fprintf(stream, ", \"revenue\": %.17g, \"cost\": %.17g,\n \"nodes\": {",
		embed_request_revenue(request),
		embed_mapping_cost(request, mapping));
	for (uint32_t v = 0; v < request->node_count; v++) {
		fprintf(stream, "%s", v ? ", " : "");
		json_string(stream, request->nodes[v].id);
		fprintf(stream, ": ");
		json_string(stream, substrate->nodes[mapping->nodes[v]].id);
	}
	fprintf(stream, "},\n \"links\": [");
	for (uint32_t f = 0; f < mapping->flow_count; f++) {
		const struct embed_flow *flow = &mapping->flows[f];
		fprintf(stream, "%s\n  {\"link\": ", f ? "," : "");
		json_string(stream, request->links[flow->link].id);
		fprintf(stream, ", \"kind\": \"%s\", \"bandwidth\": %.17g, "
				"\"hops\": [",
			flow->tree ? "tree" : "path",
			embed_amount_to_double(flow->bandwidth));
		for (uint32_t h = 0; h < flow->hop_count; h++) {
			fprintf(stream, "%s{\"substrate_link\": ", h ? ", " : "");
			json_string(stream,
				    substrate->links[mapping->links[flow->first +
								    h]]
					    .id);
			fprintf(stream, ", \"tag\": %u}",
				mapping->tags[flow->first + h]);
		}
		fprintf(stream, "]}");
	}
	fprintf(stream, "\n ]}\n");
}

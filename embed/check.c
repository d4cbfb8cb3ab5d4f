/* The independent feasibility checker (embed.h section 5). It deliberately
 * shares no code with residual.c, work.c or the algorithms: its own ledger,
 * its own walk of paths and trees, its own placement test. */
#include "embed_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const violation_names[] = {
#define _(name, text) [EMBED_VIOLATION_##name] = text,
	foreach_embed_violation
#undef _
};

const char *embed_violation_name(enum embed_violation violation)
{
	if ((unsigned)violation >= EMBED_VIOLATION_COUNT)
		return "?";
	return violation_names[violation];
}

/* Tags in use on one link: a sorted array. */
struct tag_set {
	uint32_t count, capacity;
	uint32_t *tags;
};

struct embed_checker {
	const struct substrate *substrate;
	embed_amount *cpu_used;
	embed_amount *bandwidth_used;
	struct tag_set *tags;
	uint8_t *live;
	uint32_t live_capacity;
	uint32_t live_count;
	/* scratch for one validation */
	embed_amount *bandwidth_scratch;
	uint32_t *node_mark;
	uint32_t *touched;
	uint32_t mark;
	double *distance;
};

struct embed_checker *embed_checker_create(const struct substrate *substrate)
{
	struct embed_checker *checker = calloc(1, sizeof(*checker));
	if (!checker)
		return NULL;
	uint32_t n = substrate->node_count + 1, m = substrate->link_count + 1;
	checker->substrate = substrate;
	checker->cpu_used = calloc(n, sizeof(embed_amount));
	checker->bandwidth_used = calloc(m, sizeof(embed_amount));
	checker->tags = calloc(m, sizeof(struct tag_set));
	checker->bandwidth_scratch = calloc(m, sizeof(embed_amount));
	checker->node_mark = calloc(n, sizeof(uint32_t));
	checker->touched = calloc(m, sizeof(uint32_t));
	checker->distance = calloc(n, sizeof(double));
	if (!checker->cpu_used || !checker->bandwidth_used || !checker->tags ||
	    !checker->bandwidth_scratch || !checker->node_mark ||
	    !checker->touched || !checker->distance) {
		embed_checker_free(checker);
		return NULL;
	}
	return checker;
}

void embed_checker_free(struct embed_checker *checker)
{
	if (!checker)
		return;
	if (checker->tags)
		for (uint32_t l = 0; l < checker->substrate->link_count; l++)
			free(checker->tags[l].tags);
	free(checker->tags);
	free(checker->cpu_used);
	free(checker->bandwidth_used);
	free(checker->bandwidth_scratch);
	free(checker->node_mark);
	free(checker->touched);
	free(checker->distance);
	free(checker->live);
	free(checker);
}

static enum embed_violation fail(char *detail, size_t size,
				 enum embed_violation violation,
				 const char *format, ...)
	__attribute__((format(printf, 4, 5)));

static enum embed_violation fail(char *detail, size_t size,
				 enum embed_violation violation,
				 const char *format, ...)
{
	if (detail && size) {
		va_list args;
		va_start(args, format);
		vsnprintf(detail, size, format, args);
		va_end(args);
	}
	return violation;
}

static embed_amount capacity_of(double value)
{
	/* Same rounding rule as the embedder's unit conversion: that is the
	 * definition of the unit, not shared logic. */
	embed_amount amount = value >= 0 && isfinite(value) ?
				      (embed_amount)llround(value *
							    EMBED_AMOUNT_SCALE) :
				      0;
	return amount;
}

static void link_tag_range(const struct substrate_link *link, uint32_t *first,
			   uint32_t *last)
{
	*first = link->tags.first;
	*last = link->tags.last;
	if (*first == 0 && *last == 0) {
		bool ip = link->kind == SUBSTRATE_LINK_IP;
		*first = ip ? SUBSTRATE_VNI_MIN : SUBSTRATE_VLAN_MIN;
		*last = ip ? SUBSTRATE_VNI_MAX : SUBSTRATE_VLAN_MAX;
	}
}

static bool tag_set_has(const struct tag_set *set, uint32_t tag)
{
	uint32_t low = 0, high = set->count;
	while (low < high) {
		uint32_t middle = (low + high) / 2;
		if (set->tags[middle] == tag)
			return true;
		if (set->tags[middle] < tag)
			low = middle + 1;
		else
			high = middle;
	}
	return false;
}

static int tag_set_add(struct tag_set *set, uint32_t tag)
{
	if (set->count == set->capacity) {
		uint32_t capacity = set->capacity ? set->capacity * 2 : 8;
		uint32_t *tags = realloc(set->tags, capacity * sizeof(*tags));
		if (!tags)
			return -ENOMEM;
		set->tags = tags;
		set->capacity = capacity;
	}
	uint32_t i = set->count;
	while (i > 0 && set->tags[i - 1] > tag) {
		set->tags[i] = set->tags[i - 1];
		i--;
	}
	set->tags[i] = tag;
	set->count++;
	return 0;
}

static bool tag_set_remove(struct tag_set *set, uint32_t tag)
{
	for (uint32_t i = 0; i < set->count; i++) {
		if (set->tags[i] != tag)
			continue;
		memmove(set->tags + i, set->tags + i + 1,
			(set->count - i - 1) * sizeof(uint32_t));
		set->count--;
		return true;
	}
	return false;
}

/* Haversine, (longitude, latitude) in degrees, mean Earth radius. */
static double great_circle_km(double lon1, double lat1, double lon2,
			      double lat2)
{
	const double to_radians = M_PI / 180;
	double sin_lat = sin((lat2 - lat1) * to_radians / 2);
	double sin_lon = sin((lon2 - lon1) * to_radians / 2);
	double h = sin_lat * sin_lat + cos(lat1 * to_radians) *
					       cos(lat2 * to_radians) *
					       sin_lon * sin_lon;
	return 2 * 6371.0 * asin(sqrt(h < 1 ? h : 1));
}

static bool placement_ok(const struct substrate *substrate,
			 const struct embed_virtual_node *node, uint32_t s)
{
	const struct substrate_node *host = &substrate->nodes[s];
	bool listed = node->allowed_count == 0;
	for (uint32_t i = 0; i < node->allowed_count; i++)
		listed |= node->allowed[i] == s;
	if (!listed)
		return false;
	if (node->site[0] && strcmp(host->site, node->site))
		return false;
	if (!node->has_position)
		return true;
	double distance;
	switch (host->position_kind) {
	case SUBSTRATE_POSITION_PLANE:
		distance = sqrt((host->x - node->x) * (host->x - node->x) +
				(host->y - node->y) * (host->y - node->y));
		break;
	case SUBSTRATE_POSITION_GEOGRAPHIC:
		distance = great_circle_km(node->x, node->y, host->x, host->y);
		break;
	default:
		return false;
	}
	return distance <= node->max_distance;
}

static uint32_t next_mark(struct embed_checker *checker)
{
	if (++checker->mark == 0) {
		memset(checker->node_mark, 0,
		       checker->substrate->node_count * sizeof(uint32_t));
		checker->mark = 1;
	}
	return checker->mark;
}

/* Latency through a tree from `from` to every node of the tree: relaxation
 * over the tree's links (a tree settles in as many passes as links). */
static void tree_latencies(struct embed_checker *checker,
			   const uint32_t *links, uint32_t count,
			   uint32_t from)
{
	const struct substrate *substrate = checker->substrate;
	uint32_t mark = next_mark(checker);
	checker->node_mark[from] = mark;
	checker->distance[from] = 0;
	for (uint32_t pass = 0; pass < count; pass++) {
		bool changed = false;
		for (uint32_t i = 0; i < count; i++) {
			const struct substrate_link *link = &substrate->links[links[i]];
			uint32_t a = link->ends[0].node, b = link->ends[1].node;
			bool has_a = checker->node_mark[a] == mark;
			bool has_b = checker->node_mark[b] == mark;
			if (has_a == has_b)
				continue;
			uint32_t x = has_a ? a : b, y = has_a ? b : a;
			checker->node_mark[y] = mark;
			checker->distance[y] = checker->distance[x] + link->latency;
			changed = true;
		}
		if (!changed)
			break;
	}
}

static enum embed_violation check_tree(struct embed_checker *checker,
				       const struct embed_request *request,
				       const struct embed_mapping *mapping,
				       const struct embed_flow *flow,
				       char *detail, size_t size)
{
	const struct substrate *substrate = checker->substrate;
	const struct embed_virtual_link *vlink = &request->links[flow->link];
	const uint32_t *links = mapping->links + flow->first;
	/* Count distinct nodes; repeated links are a cycle. */
	uint32_t mark = next_mark(checker), nodes = 0;
	for (uint32_t i = 0; i < flow->hop_count; i++) {
		for (uint32_t j = 0; j < i; j++)
			if (links[i] == links[j])
				return fail(detail, size, EMBED_VIOLATION_LOOP,
					    "LAN %s: substrate link %s twice in "
					    "its tree",
					    vlink->id, substrate->links[links[i]].id);
		for (int e = 0; e < 2; e++) {
			uint32_t n = substrate->links[links[i]].ends[e].node;
			if (checker->node_mark[n] != mark) {
				checker->node_mark[n] = mark;
				nodes++;
			}
		}
	}
	if (flow->hop_count >= nodes && flow->hop_count)
		return fail(detail, size, EMBED_VIOLATION_LOOP,
			    "LAN %s: %u links over %u nodes is not a tree",
			    vlink->id, flow->hop_count, nodes);
	/* Connected and reaching every endpoint's host: walk from the first
	 * host. A tree of n - 1 links reaching all n nodes is connected. */
	uint32_t root = mapping->nodes[vlink->endpoints[0]];
	tree_latencies(checker, links, flow->hop_count, root);
	mark = checker->mark;
	uint32_t reached = 0;
	for (uint32_t i = 0; i < flow->hop_count; i++)
		for (int e = 0; e < 2; e++)
			if (checker->node_mark[substrate->links[links[i]]
						       .ends[e]
						       .node] != mark)
				return fail(detail, size,
					    EMBED_VIOLATION_BROKEN_PATH,
					    "LAN %s: its tree is not connected",
					    vlink->id);
	for (uint32_t e = 0; e < vlink->endpoint_count; e++) {
		uint32_t host = mapping->nodes[vlink->endpoints[e]];
		if (checker->node_mark[host] != mark)
			return fail(detail, size, EMBED_VIOLATION_BROKEN_PATH,
				    "LAN %s: tree misses the host %s of %s",
				    vlink->id, substrate->nodes[host].id,
				    request->nodes[vlink->endpoints[e]].id);
		reached++;
	}
	if (vlink->max_latency <= 0)
		return EMBED_VIOLATION_NONE;
	for (uint32_t e = 0; e < vlink->endpoint_count; e++) {
		tree_latencies(checker, links, flow->hop_count,
			       mapping->nodes[vlink->endpoints[e]]);
		for (uint32_t f = 0; f < vlink->endpoint_count; f++) {
			double latency =
				checker->distance[mapping->nodes[vlink->endpoints[f]]];
			if (latency > vlink->max_latency + 1e-9)
				return fail(detail, size, EMBED_VIOLATION_LATENCY,
					    "LAN %s: %.6g ms between %s and %s "
					    "over the bound %.6g ms",
					    vlink->id, latency,
					    request->nodes[vlink->endpoints[e]].id,
					    request->nodes[vlink->endpoints[f]].id,
					    vlink->max_latency);
		}
	}
	(void)reached;
	return EMBED_VIOLATION_NONE;
}

static enum embed_violation check_path(struct embed_checker *checker,
				       const struct embed_request *request,
				       const struct embed_mapping *mapping,
				       const struct embed_flow *flow,
				       char *detail, size_t size)
{
	const struct substrate *substrate = checker->substrate;
	const struct embed_virtual_link *vlink = &request->links[flow->link];
	uint32_t at = mapping->nodes[vlink->endpoints[0]];
	uint32_t to = mapping->nodes[vlink->endpoints[1]];
	uint32_t mark = next_mark(checker);
	double latency = 0;
	checker->node_mark[at] = mark;
	for (uint32_t h = 0; h < flow->hop_count; h++) {
		const struct substrate_link *link =
			&substrate->links[mapping->links[flow->first + h]];
		if (link->ends[0].node != at && link->ends[1].node != at)
			return fail(detail, size, EMBED_VIOLATION_BROKEN_PATH,
				    "link %s: hop %u (%s) does not leave %s",
				    vlink->id, h, link->id,
				    substrate->nodes[at].id);
		at = link->ends[0].node == at ? link->ends[1].node
					      : link->ends[0].node;
		if (checker->node_mark[at] == mark)
			return fail(detail, size, EMBED_VIOLATION_LOOP,
				    "link %s: path visits %s twice", vlink->id,
				    substrate->nodes[at].id);
		checker->node_mark[at] = mark;
		latency += link->latency;
	}
	if (at != to)
		return fail(detail, size, EMBED_VIOLATION_BROKEN_PATH,
			    "link %s: path ends at %s, not at %s", vlink->id,
			    substrate->nodes[at].id, substrate->nodes[to].id);
	if (vlink->max_latency > 0 && latency > vlink->max_latency + 1e-9)
		return fail(detail, size, EMBED_VIOLATION_LATENCY,
			    "link %s: %.6g ms over the bound %.6g ms", vlink->id,
			    latency, vlink->max_latency);
	return EMBED_VIOLATION_NONE;
}

enum embed_violation embed_checker_validate(struct embed_checker *checker,
					    const struct embed_request *request,
					    const struct embed_mapping *mapping,
					    bool check_tags, char *detail,
					    size_t size)
{
	const struct substrate *substrate = checker->substrate;
	if (mapping->node_count != request->node_count)
		return fail(detail, size, EMBED_VIOLATION_MALFORMED,
			    "%u nodes mapped for a request of %u",
			    mapping->node_count, request->node_count);
	uint32_t mark = next_mark(checker);
	for (uint32_t v = 0; v < request->node_count; v++) {
		uint32_t s = mapping->nodes[v];
		if (s >= substrate->node_count)
			return fail(detail, size, EMBED_VIOLATION_UNMAPPED_NODE,
				    "virtual node %s has no substrate node",
				    request->nodes[v].id);
		if (checker->node_mark[s] == mark)
			return fail(detail, size, EMBED_VIOLATION_COLOCATION,
				    "virtual node %s shares %s with another",
				    request->nodes[v].id, substrate->nodes[s].id);
		checker->node_mark[s] = mark;
		if (!placement_ok(substrate, &request->nodes[v], s))
			return fail(detail, size, EMBED_VIOLATION_PLACEMENT,
				    "virtual node %s may not go on %s",
				    request->nodes[v].id, substrate->nodes[s].id);
		if (checker->cpu_used[s] + request->nodes[v].cpu >
		    capacity_of(substrate->nodes[s].cpu))
			return fail(detail, size, EMBED_VIOLATION_CPU,
				    "%s: CPU %.6g used + %.6g asked > %.6g",
				    substrate->nodes[s].id,
				    embed_amount_to_double(checker->cpu_used[s]),
				    embed_amount_to_double(request->nodes[v].cpu),
				    substrate->nodes[s].cpu);
	}
	/* Flows: well-formed, grouped in link order, summing to demands. */
	uint32_t f = 0;
	for (uint32_t k = 0; k < request->link_count; k++) {
		const struct embed_virtual_link *vlink = &request->links[k];
		embed_amount carried = 0;
		uint32_t flows = 0;
		for (; f < mapping->flow_count && mapping->flows[f].link == k;
		     f++, flows++) {
			const struct embed_flow *flow = &mapping->flows[f];
			if (flow->first > mapping->hop_count ||
			    flow->hop_count > mapping->hop_count - flow->first ||
			    flow->bandwidth < 0)
				return fail(detail, size,
					    EMBED_VIOLATION_MALFORMED,
					    "flow %u of link %s out of bounds",
					    f, vlink->id);
			for (uint32_t h = 0; h < flow->hop_count; h++)
				if (mapping->links[flow->first + h] >=
				    substrate->link_count)
					return fail(detail, size,
						    EMBED_VIOLATION_MALFORMED,
						    "flow %u: no substrate link "
						    "%u",
						    f,
						    mapping->links[flow->first + h]);
			if (flow->tree != (vlink->endpoint_count > 2))
				return fail(detail, size,
					    EMBED_VIOLATION_MALFORMED,
					    "link %s: a %s where a %s is due",
					    vlink->id,
					    flow->tree ? "tree" : "path",
					    flow->tree ? "path" : "tree");
			enum embed_violation violation =
				flow->tree ? check_tree(checker, request,
							mapping, flow, detail,
							size)
					   : check_path(checker, request,
							mapping, flow, detail,
							size);
			if (violation)
				return violation;
			carried += flow->bandwidth;
		}
		if (flows == 0)
			return fail(detail, size, EMBED_VIOLATION_SPLIT_SUM,
				    "link %s is not mapped", vlink->id);
		if (vlink->endpoint_count > 2 && flows > 1)
			return fail(detail, size, EMBED_VIOLATION_MALFORMED,
				    "LAN %s has %u trees", vlink->id, flows);
		if (carried != vlink->bandwidth)
			return fail(detail, size, EMBED_VIOLATION_SPLIT_SUM,
				    "link %s: flows carry %.6f of %.6f",
				    vlink->id, embed_amount_to_double(carried),
				    embed_amount_to_double(vlink->bandwidth));
	}
	if (f != mapping->flow_count)
		return fail(detail, size, EMBED_VIOLATION_MALFORMED,
			    "flow %u is out of link order or names no link", f);
	/* Bandwidth and tags per substrate link, over all flows. */
	uint32_t touched = 0;
	enum embed_violation violation = EMBED_VIOLATION_NONE;
	for (f = 0; f < mapping->flow_count && !violation; f++) {
		const struct embed_flow *flow = &mapping->flows[f];
		for (uint32_t h = 0; h < flow->hop_count && !violation; h++) {
			uint32_t l = mapping->links[flow->first + h];
			const struct substrate_link *link = &substrate->links[l];
			if (checker->bandwidth_scratch[l] == 0)
				checker->touched[touched++] = l;
			/* +1 keeps "touched" distinct from zero demand. */
			checker->bandwidth_scratch[l] += flow->bandwidth + 1;
			if (!check_tags)
				continue;
			uint32_t tag = mapping->tags[flow->first + h], first, last;
			link_tag_range(link, &first, &last);
			if (tag < first || tag > last)
				violation = fail(detail, size, EMBED_VIOLATION_TAG,
						 "link %s: tag %u outside %u-%u",
						 link->id, tag, first, last);
			else if (tag_set_has(&checker->tags[l], tag))
				violation = fail(detail, size, EMBED_VIOLATION_TAG,
						 "link %s: tag %u already in "
						 "use",
						 link->id, tag);
			for (uint32_t g = 0; g <= f && !violation; g++) {
				const struct embed_flow *other = &mapping->flows[g];
				uint32_t end = g == f ? h : other->hop_count;
				for (uint32_t i = 0; i < end; i++)
					if (mapping->links[other->first + i] == l &&
					    mapping->tags[other->first + i] == tag)
						violation = fail(
							detail, size,
							EMBED_VIOLATION_TAG,
							"link %s: tag %u given "
							"twice",
							link->id, tag);
			}
		}
	}
	/* Undo the +1 per hop before comparing. */
	for (f = 0; f < mapping->flow_count; f++) {
		const struct embed_flow *flow = &mapping->flows[f];
		for (uint32_t h = 0; h < flow->hop_count; h++)
			checker->bandwidth_scratch[mapping->links[flow->first + h]]--;
	}
	for (uint32_t i = 0; i < touched; i++) {
		uint32_t l = checker->touched[i];
		const struct substrate_link *link = &substrate->links[l];
		if (!violation && checker->bandwidth_used[l] +
						  checker->bandwidth_scratch[l] >
					  capacity_of(link->bandwidth))
			violation = fail(
				detail, size, EMBED_VIOLATION_BANDWIDTH,
				"link %s: %.6f used + %.6f asked > %.6g",
				link->id,
				embed_amount_to_double(checker->bandwidth_used[l]),
				embed_amount_to_double(checker->bandwidth_scratch[l]),
				link->bandwidth);
		if (!violation && check_tags) {
			uint32_t first, last, hops = 0;
			link_tag_range(link, &first, &last);
			for (f = 0; f < mapping->flow_count; f++)
				for (uint32_t h = 0; h < mapping->flows[f].hop_count;
				     h++)
					hops += mapping->links[mapping->flows[f].first +
							       h] == l;
			if ((uint64_t)checker->tags[l].count + hops >
			    (uint64_t)last - first + 1)
				violation = fail(detail, size,
						 EMBED_VIOLATION_TAG,
						 "link %s: out of tags", link->id);
		}
	}
	for (uint32_t i = 0; i < touched; i++)
		checker->bandwidth_scratch[checker->touched[i]] = 0;
	return violation;
}

/* live[id]: 0 = not live, 1 = live without tags recorded, 2 = with. */
static int live_set(struct embed_checker *checker, uint32_t id, uint8_t live)
{
	if (id >= checker->live_capacity) {
		uint32_t capacity = checker->live_capacity ?
					    checker->live_capacity : 64;
		while (capacity <= id)
			capacity *= 2;
		uint8_t *grown = realloc(checker->live, capacity);
		if (!grown)
			return -ENOMEM;
		memset(grown + checker->live_capacity, 0,
		       capacity - checker->live_capacity);
		checker->live = grown;
		checker->live_capacity = capacity;
	}
	checker->live_count += live ? 1 : -1;
	checker->live[id] = live;
	return 0;
}

static bool is_live(const struct embed_checker *checker, uint32_t id)
{
	return id < checker->live_capacity && checker->live[id];
}

enum embed_violation embed_checker_arrive(struct embed_checker *checker,
					  const struct embed_request *request,
					  const struct embed_mapping *mapping,
					  bool check_tags, char *detail,
					  size_t size)
{
	if (is_live(checker, request->id))
		return fail(detail, size, EMBED_VIOLATION_MALFORMED,
			    "request %u is already live", request->id);
	enum embed_violation violation = embed_checker_validate(
		checker, request, mapping, check_tags, detail, size);
	if (violation)
		return violation;
	for (uint32_t v = 0; v < request->node_count; v++)
		checker->cpu_used[mapping->nodes[v]] += request->nodes[v].cpu;
	for (uint32_t f = 0; f < mapping->flow_count; f++) {
		const struct embed_flow *flow = &mapping->flows[f];
		for (uint32_t h = 0; h < flow->hop_count; h++) {
			uint32_t l = mapping->links[flow->first + h];
			checker->bandwidth_used[l] += flow->bandwidth;
			if (check_tags &&
			    tag_set_add(&checker->tags[l],
					mapping->tags[flow->first + h]))
				return fail(detail, size, EMBED_VIOLATION_MALFORMED,
					    "out of memory");
		}
	}
	if (live_set(checker, request->id, check_tags ? 2 : 1))
		return fail(detail, size, EMBED_VIOLATION_MALFORMED,
			    "out of memory");
	return EMBED_VIOLATION_NONE;
}

enum embed_violation embed_checker_depart(struct embed_checker *checker,
					  const struct embed_request *request,
					  const struct embed_mapping *mapping,
					  char *detail, size_t size)
{
	if (!is_live(checker, request->id))
		return fail(detail, size, EMBED_VIOLATION_NOT_LIVE,
			    "request %u departs but is not live", request->id);
	enum embed_violation violation = EMBED_VIOLATION_NONE;
	bool tags = checker->live[request->id] == 2;
	for (uint32_t v = 0; v < mapping->node_count; v++)
		checker->cpu_used[mapping->nodes[v]] -= request->nodes[v].cpu;
	for (uint32_t f = 0; f < mapping->flow_count; f++) {
		const struct embed_flow *flow = &mapping->flows[f];
		for (uint32_t h = 0; h < flow->hop_count; h++) {
			uint32_t l = mapping->links[flow->first + h];
			checker->bandwidth_used[l] -= flow->bandwidth;
			if (tags &&
			    !tag_set_remove(&checker->tags[l],
					    mapping->tags[flow->first + h]) &&
			    !violation)
				violation = fail(detail, size, EMBED_VIOLATION_TAG,
						 "link %s: departing tag %u was "
						 "not in use",
						 checker->substrate->links[l].id,
						 mapping->tags[flow->first + h]);
		}
	}
	live_set(checker, request->id, 0);
	return violation;
}

enum embed_violation embed_checker_compare(const struct embed_checker *checker,
					   const struct embed_residual *residual,
					   char *detail, size_t size)
{
	const struct substrate *substrate = checker->substrate;
	for (uint32_t n = 0; n < substrate->node_count; n++) {
		embed_amount expected =
			capacity_of(substrate->nodes[n].cpu) - checker->cpu_used[n];
		if (residual->cpu[n] != expected)
			return fail(detail, size, EMBED_VIOLATION_RESIDUAL,
				    "node %s: residual CPU %.6f, ledger says "
				    "%.6f",
				    substrate->nodes[n].id,
				    embed_amount_to_double(residual->cpu[n]),
				    embed_amount_to_double(expected));
	}
	for (uint32_t l = 0; l < substrate->link_count; l++) {
		const struct substrate_link *link = &substrate->links[l];
		embed_amount expected = capacity_of(link->bandwidth) -
					checker->bandwidth_used[l];
		if (residual->bandwidth[l] != expected)
			return fail(detail, size, EMBED_VIOLATION_RESIDUAL,
				    "link %s: residual bandwidth %.6f, ledger "
				    "says %.6f",
				    link->id,
				    embed_amount_to_double(residual->bandwidth[l]),
				    embed_amount_to_double(expected));
		uint32_t first, last;
		link_tag_range(link, &first, &last);
		if ((uint64_t)residual->tags_free[l] + checker->tags[l].count !=
		    (uint64_t)last - first + 1)
			return fail(detail, size, EMBED_VIOLATION_RESIDUAL,
				    "link %s: %u free tags, ledger holds %u of "
				    "%u",
				    link->id, residual->tags_free[l],
				    checker->tags[l].count, last - first + 1);
	}
	return EMBED_VIOLATION_NONE;
}

enum embed_violation embed_checker_empty(const struct embed_checker *checker,
					 char *detail, size_t size)
{
	const struct substrate *substrate = checker->substrate;
	if (checker->live_count)
		return fail(detail, size, EMBED_VIOLATION_LEAK,
			    "%u requests still live", checker->live_count);
	for (uint32_t n = 0; n < substrate->node_count; n++)
		if (checker->cpu_used[n])
			return fail(detail, size, EMBED_VIOLATION_LEAK,
				    "node %s still holds CPU",
				    substrate->nodes[n].id);
	for (uint32_t l = 0; l < substrate->link_count; l++)
		if (checker->bandwidth_used[l] || checker->tags[l].count)
			return fail(detail, size, EMBED_VIOLATION_LEAK,
				    "link %s still holds bandwidth or tags",
				    substrate->links[l].id);
	return EMBED_VIOLATION_NONE;
}

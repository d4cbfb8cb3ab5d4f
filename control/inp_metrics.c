/* loom-inp's operations view: the substrate with its use (GET
 * /v1/substrate), the operator's up/down marks, the picture of the
 * substrate with every VNet drawn on it (GET /v1/substrate/svg) and
 * Prometheus metrics (GET /metrics). Runs under server->lock. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inp_private.h"

extern char **environ;

/* ---- use of the substrate --------------------------------------------------- */

struct usage {
	const struct substrate *substrate;
	double *cpu;             /* per node, cores */
	int64_t *bandwidth_kbps; /* per link */
	int64_t *tags;           /* per link */
};

static int usage_cpu(void *context, const char *node, int64_t cpu)
{
	struct usage *usage = context;
	int index = substrate_node_lookup(usage->substrate, node);
	if (index >= 0)
		usage->cpu[index] += (double)cpu / 1e6;
	return 0;
}

static int usage_bandwidth(void *context, const char *link,
			   enum inp_direction direction, int64_t bandwidth)
{
	(void)direction;
	struct usage *usage = context;
	int index = substrate_link_lookup(usage->substrate, link);
	if (index >= 0)
		usage->bandwidth_kbps[index] += bandwidth;
	return 0;
}

static int usage_tags(void *context, const char *link, int64_t tags)
{
	struct usage *usage = context;
	int index = substrate_link_lookup(usage->substrate, link);
	if (index >= 0)
		usage->tags[index] += tags;
	return 0;
}

static int usage_read(struct inp_server *server, struct usage *usage)
{
	const struct substrate *substrate = server->substrate;
	usage->substrate = substrate;
	usage->cpu = calloc(substrate->node_count + 1, sizeof(double));
	usage->bandwidth_kbps =
		calloc(substrate->link_count + 1, sizeof(int64_t));
	usage->tags = calloc(substrate->link_count + 1, sizeof(int64_t));
	if (!usage->cpu || !usage->bandwidth_kbps || !usage->tags)
		return -1;
	if (inp_store_node_totals(server->store, usage_cpu, usage) ||
	    inp_store_link_totals(server->store, usage_bandwidth, usage) ||
	    inp_store_tag_totals(server->store, usage_tags, usage))
		return -1;
	return 0;
}

static void usage_free(struct usage *usage)
{
	free(usage->cpu);
	free(usage->bandwidth_kbps);
	free(usage->tags);
}

static json_t *node_json(struct inp_server *server, const struct usage *usage,
			 uint32_t n)
{
	const struct substrate_node *node = &server->substrate->nodes[n];
	return json_pack("{s:s, s:f, s:f, s:s, s:o}", "id", node->id, "cpu",
			 node->cpu, "cpu_used", usage->cpu[n], "state",
			 server->states.node_down[n] ? "down" : "up", "switch",
			 provisioner_switch_json(server->provisioner, n));
}

static json_t *link_json(struct inp_server *server, const struct usage *usage,
			 uint32_t l)
{
	const struct substrate *substrate = server->substrate;
	const struct substrate_link *link = &substrate->links[l];
	char a[160], b[160];
	for (int e = 0; e < 2; e++) {
		const struct substrate_node *node =
			&substrate->nodes[link->ends[e].node];
		snprintf(e ? b : a, sizeof(a), "%s:%s", node->id,
			 node->ports[link->ends[e].port].name);
	}
	const char *down_by = server->states.link_down[l] ? "operator" :
			      server->states.link_port_down[l] ? "switch" :
								 NULL;
	json_t *object = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "id",
			 link->id, "a", a, "b", b, "kind",
			 substrate_link_kind_name(link->kind),
			 "bandwidth_kbps",
			 (json_int_t)(link->bandwidth * 1000),
			 "bandwidth_used_kbps",
			 (json_int_t)usage->bandwidth_kbps[l], "tags_used",
			 (json_int_t)usage->tags[l], "state",
			 inp_link_down(server, l) ? "down" : "up");
	if (object && down_by)
		json_object_set_new(object, "down_by", json_string(down_by));
	return object;
}

struct reply substrate_show(struct inp_server *server)
{
	struct usage usage;
	if (usage_read(server, &usage)) {
		usage_free(&usage);
		return reply_store_error(server->store);
	}
	json_t *nodes = json_array(), *links = json_array();
	for (uint32_t n = 0; n < server->substrate->node_count; n++)
		json_array_append_new(nodes, node_json(server, &usage, n));
	for (uint32_t l = 0; l < server->substrate->link_count; l++)
		json_array_append_new(links, link_json(server, &usage, l));
	usage_free(&usage);
	return reply_json(200, json_pack("{s:s, s:o, s:o}", "name",
					 server->substrate->name, "nodes",
					 nodes, "links", links));
}

/* ---- up and down --------------------------------------------------------------- */

static int state_take(void *context, const char *kind, const char *id,
		      const char *reason)
{
	(void)reason;
	struct inp_server *server = context;
	if (strcmp(kind, "node") == 0) {
		int n = substrate_node_lookup(server->substrate, id);
		if (n >= 0)
			server->states.node_down[n] = true;
	} else {
		int l = substrate_link_lookup(server->substrate, id);
		if (l >= 0)
			server->states.link_down[l] = true;
	}
	return 0;
}

int inp_states_load(struct inp_server *server, char *err, size_t err_size)
{
	if (inp_store_element_list(server->store, state_take, server) < 0) {
		snprintf(err, err_size, "store: %s",
			 inp_store_error(server->store));
		return -1;
	}
	return 0;
}

struct reply substrate_set_state(struct inp_server *server, bool link,
				 const char *id, const struct upload *upload)
{
	int index = link ? substrate_link_lookup(server->substrate, id) :
			   substrate_node_lookup(server->substrate, id);
	if (index < 0)
		return reply_error(404, "not_found", "no substrate %s '%s'",
				   link ? "link" : "node", id);
	json_t *body = json_loadb(upload->data ? upload->data : "",
				  upload->length, 0, NULL);
	const char *state = NULL, *reason = NULL;
	if (!body || json_unpack(body, "{s:s, s?:s}", "state", &state,
				 "reason", &reason) ||
	    (strcmp(state, "up") && strcmp(state, "down"))) {
		json_decref(body);
		return reply_error(400, "bad_request",
				   "expected {\"state\": \"up\"|\"down\", "
				   "\"reason\"?: \"...\"}");
	}
	bool down = strcmp(state, "down") == 0;
	bool *mark = link ? &server->states.link_down[index] :
			    &server->states.node_down[index];
	bool changed = *mark != down;
	if (inp_store_element_set(server->store, link ? "link" : "node", id,
				  down, reason)) {
		json_decref(body);
		return reply_store_error(server->store);
	}
	json_decref(body);
	*mark = down;
	if (changed) {
		inp_log("warning", down ? "element_down" : "element_up",
			json_pack("{s:s, s:s}", "kind", link ? "link" : "node",
				  "id", id));
		if (down)
			vnets_reembed(server);
	}
	struct usage usage;
	if (usage_read(server, &usage)) {
		usage_free(&usage);
		return reply_store_error(server->store);
	}
	json_t *reply = link ? link_json(server, &usage, (uint32_t)index) :
			       node_json(server, &usage, (uint32_t)index);
	usage_free(&usage);
	return reply_json(200, reply);
}

/* ---- the picture ------------------------------------------------------------------ */

/* Colour of a utilization in [0, 1]: green - yellow - red. */
static void utilization_colour(double u, char out[8])
{
	if (u < 0)
		u = 0;
	if (u > 1)
		u = 1;
	int red = u < 0.5 ? (int)(510 * u) : 255;
	int green = u < 0.5 ? 200 : (int)(200 * (1 - u) * 2);
	snprintf(out, 8, "#%02x%02x00", red, green);
}

static const char *const vnet_colours[] = {
	"#1f77b4", "#9467bd", "#e377c2", "#17becf", "#8c564b", "#bcbd22",
	"#ff7f0e", "#7f7f7f",
};

struct picture {
	struct inp_server *server;
	FILE *dot;
	uint32_t vnet_index;
};

/* One VNet: its virtual nodes as small boxes next to their substrate
 * nodes, its hops as coloured edges labelled with their tags. */
static void picture_vnet(struct picture *picture, const char *tenant,
			 const struct inp_vnet *vnet)
{
	const struct substrate *substrate = picture->server->substrate;
	const char *colour =
		vnet_colours[picture->vnet_index++ %
			     (sizeof(vnet_colours) / sizeof(*vnet_colours))];
	FILE *dot = picture->dot;
	for (uint32_t s = 0; s < vnet->sliver_count; s++) {
		const struct inp_sliver *sliver = &vnet->slivers[s];
		json_t *placement = sliver_placement(sliver);
		if (sliver->kind == INP_SLIVER_NODE) {
			const char *host = json_string_value(
				json_object_get(placement, "substrate_node"));
			int n = host ? substrate_node_lookup(substrate, host) :
				       -1;
			if (n >= 0) {
				fprintf(dot,
					"  \"v%" PRId64 "/%s\" [shape=box, "
					"style=\"rounded,filled\", "
					"fillcolor=\"%s\", fontcolor=white, "
					"fontsize=9, label=\"%s/%s\\n%s\"];\n",
					vnet->id, sliver->virtual_id, colour,
					tenant, vnet->name, sliver->virtual_id);
				fprintf(dot,
					"  \"v%" PRId64 "/%s\" -- n%d "
					"[style=dotted, color=\"%s\", "
					"len=0.9];\n",
					vnet->id, sliver->virtual_id, n,
					colour);
			}
		}
		json_decref(placement);
	}
	uint32_t tag_index = 0;
	for (uint32_t t = 0; t < vnet->tag_count; t++, tag_index++) {
		const struct inp_tag_reservation *tag = &vnet->tags[t];
		int l = substrate_link_lookup(substrate, tag->substrate_link);
		if (l < 0)
			continue;
		const struct substrate_link *link = &substrate->links[l];
		fprintf(dot,
			"  n%u -- n%u [color=\"%s\", penwidth=2.5, "
			"fontsize=8, fontcolor=\"%s\", label=\"%s %s %u\"];\n",
			link->ends[0].node, link->ends[1].node, colour, colour,
			vnet->name,
			tag->kind == INP_TAG_VXLAN ? "VNI" : "VID", tag->tag);
	}
}

/* Graphviz's `dot` renders input into output; 0 on success. */
static int graphviz_run(const char *input, const char *output)
{
	char *const argv[] = { "dot", "-Tsvg", (char *)input, "-o",
			       (char *)output, NULL };
	pid_t pid;
	if (posix_spawnp(&pid, "dot", NULL, NULL, argv, environ))
		return -1;
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

struct reply substrate_svg(struct inp_server *server)
{
	const struct substrate *substrate = server->substrate;
	struct usage usage;
	if (usage_read(server, &usage)) {
		usage_free(&usage);
		return reply_store_error(server->store);
	}
	char input[] = "/tmp/loom-inp-XXXXXX.dot";
	int fd = mkstemps(input, 4);
	if (fd < 0) {
		usage_free(&usage);
		return reply_error(500, "internal", "temporary file: %s",
				   strerror(errno));
	}
	char output[sizeof(input) + 4];
	snprintf(output, sizeof(output), "%.*s.svg",
		 (int)(sizeof(input) - 5), input);
	struct picture picture = { .server = server, .dot = fdopen(fd, "w") };
	FILE *dot = picture.dot;
	fprintf(dot,
		"graph substrate {\n  label=\"%s: substrate use and every "
		"VNet's embedding\";\n  labelloc=t; fontname=\"Helvetica\";\n"
		"  layout=neato; overlap=false; splines=true; sep=\"+12\";\n"
		"  node [fontname=\"Helvetica\"]; edge "
		"[fontname=\"Helvetica\"];\n",
		substrate->name[0] ? substrate->name : "Loom");
	for (uint32_t n = 0; n < substrate->node_count; n++) {
		const struct substrate_node *node = &substrate->nodes[n];
		double u = node->cpu > 0 ? usage.cpu[n] / node->cpu : 0;
		char colour[8];
		utilization_colour(u, colour);
		fprintf(dot,
			"  n%u [shape=ellipse, style=filled, fillcolor=\"%s\", "
			"label=\"%s\\nCPU %.1f/%.0f%s\"%s];\n",
			n, colour, node->id, usage.cpu[n], node->cpu,
			server->states.node_down[n] ? "\\nDOWN" : "",
			server->states.node_down[n] ? ", color=red, penwidth=3" :
						      "");
	}
	for (uint32_t l = 0; l < substrate->link_count; l++) {
		const struct substrate_link *link = &substrate->links[l];
		double capacity = link->bandwidth * 1000;
		double u = capacity > 0 ? (double)usage.bandwidth_kbps[l] /
						  capacity :
					  0;
		char colour[8];
		utilization_colour(u, colour);
		fprintf(dot,
			"  n%u -- n%u [color=\"%s\", penwidth=6, "
			"style=\"%s\", fontsize=9, label=\"%s\\n%s %.0f%%\"];\n",
			link->ends[0].node, link->ends[1].node, colour,
			inp_link_down(server, l) ? "dashed" : "solid",
			link->id,
			link->kind == SUBSTRATE_LINK_IP ? "ip" : "ethernet",
			u * 100);
	}
	usage_free(&usage);
	json_t *live = inp_live_vnets(server);
	size_t i;
	json_t *item;
	json_array_foreach(live, i, item)
	{
		struct inp_vnet vnet;
		if (inp_store_vnet_get(server->store,
				       json_integer_value(json_array_get(item, 0)),
				       json_integer_value(json_array_get(item, 1)),
				       &vnet) == 0) {
			picture_vnet(&picture,
				     json_string_value(json_array_get(item, 2)),
				     &vnet);
			inp_vnet_free(&vnet);
		}
	}
	json_decref(live);
	fprintf(dot, "}\n");
	fclose(dot);
	char reason[128];
	char *svg = graphviz_run(input, output) == 0 ?
			    inp_file_read(output, reason, sizeof(reason)) :
			    NULL;
	unlink(input);
	unlink(output);
	if (!svg)
		return reply_error(500, "graphviz",
				   "Graphviz's dot failed or is not installed");
	return reply_text(200, svg, "image/svg+xml");
}

/* ---- Prometheus metrics --------------------------------------------------------- */

static const char *const outcome_names[] = {
#define _(name, text) text,
	foreach_inp_outcome
#undef _
};

struct reply metrics_text(struct inp_server *server)
{
	const struct substrate *substrate = server->substrate;
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	if (!out)
		return reply_error(500, "no_memory", "out of memory");
	fprintf(out, "# HELP loom_inp_requests_total API requests by "
		     "outcome.\n# TYPE loom_inp_requests_total counter\n");
	for (int o = 0; o < INP_OUTCOME_COUNT; o++)
		fprintf(out, "loom_inp_requests_total{outcome=\"%s\"} %" PRIu64
			     "\n",
			outcome_names[o], server->requests[o]);
	uint64_t accepted = server->creates_accepted,
		 rejected = server->creates_rejected;
	fprintf(out,
		"# HELP loom_inp_creates_total VNet creates by result.\n"
		"# TYPE loom_inp_creates_total counter\n"
		"loom_inp_creates_total{result=\"accepted\"} %" PRIu64 "\n"
		"loom_inp_creates_total{result=\"rejected\"} %" PRIu64 "\n"
		"# HELP loom_inp_acceptance_ratio Accepted creates over all "
		"creates.\n# TYPE loom_inp_acceptance_ratio gauge\n"
		"loom_inp_acceptance_ratio %.6f\n"
		"# HELP loom_inp_reembeds_total Re-embeddings after failures.\n"
		"# TYPE loom_inp_reembeds_total counter\n"
		"loom_inp_reembeds_total{result=\"ok\"} %" PRIu64 "\n"
		"loom_inp_reembeds_total{result=\"failed\"} %" PRIu64 "\n",
		accepted, rejected,
		accepted + rejected ?
			(double)accepted / (double)(accepted + rejected) :
			1.0,
		server->reembeds, server->reembed_failures);
	uint64_t ready, configuring, failed;
	provisioner_state_counts(server->provisioner, &ready, &configuring,
				 &failed);
	fprintf(out,
		"# HELP loom_inp_vnets Live VNets by state.\n"
		"# TYPE loom_inp_vnets gauge\n"
		"loom_inp_vnets{state=\"ready\"} %" PRIu64 "\n"
		"loom_inp_vnets{state=\"configuring\"} %" PRIu64 "\n"
		"loom_inp_vnets{state=\"failed\"} %" PRIu64 "\n",
		ready, configuring, failed);
	struct usage usage;
	if (usage_read(server, &usage) == 0) {
		fprintf(out, "# HELP loom_inp_node_cpu_utilization Reserved "
			     "CPU over capacity.\n"
			     "# TYPE loom_inp_node_cpu_utilization gauge\n");
		for (uint32_t n = 0; n < substrate->node_count; n++)
			fprintf(out,
				"loom_inp_node_cpu_utilization{node=\"%s\"} "
				"%.6f\n",
				substrate->nodes[n].id,
				substrate->nodes[n].cpu > 0 ?
					usage.cpu[n] / substrate->nodes[n].cpu :
					0);
		fprintf(out,
			"# HELP loom_inp_link_bandwidth_utilization Reserved "
			"bandwidth over capacity.\n"
			"# TYPE loom_inp_link_bandwidth_utilization gauge\n");
		for (uint32_t l = 0; l < substrate->link_count; l++) {
			double capacity = substrate->links[l].bandwidth * 1000;
			fprintf(out,
				"loom_inp_link_bandwidth_utilization{link=\"%s\"}"
				" %.6f\n",
				substrate->links[l].id,
				capacity > 0 ? (double)usage.bandwidth_kbps[l] /
						       capacity :
					       0);
		}
		fprintf(out, "# HELP loom_inp_link_tags_used Slice tags "
			     "reserved.\n"
			     "# TYPE loom_inp_link_tags_used gauge\n");
		for (uint32_t l = 0; l < substrate->link_count; l++)
			fprintf(out,
				"loom_inp_link_tags_used{link=\"%s\"} %" PRId64
				"\n",
				substrate->links[l].id, usage.tags[l]);
	}
	usage_free(&usage);
	fprintf(out, "# HELP loom_inp_element_down Elements marked down.\n"
		     "# TYPE loom_inp_element_down gauge\n");
	for (uint32_t n = 0; n < substrate->node_count; n++)
		if (server->states.node_down[n])
			fprintf(out,
				"loom_inp_element_down{kind=\"node\",id=\"%s\"}"
				" 1\n",
				substrate->nodes[n].id);
	for (uint32_t l = 0; l < substrate->link_count; l++)
		if (inp_link_down(server, l))
			fprintf(out,
				"loom_inp_element_down{kind=\"link\",id=\"%s\"}"
				" 1\n",
				substrate->links[l].id);
	if (fclose(out)) {
		free(text);
		return reply_error(500, "no_memory", "out of memory");
	}
	return reply_text(200, text, "text/plain; version=0.0.4");
}

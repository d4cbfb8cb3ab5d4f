/* loom-inp's HTTP side: configuration, authentication, routes. See the
 * "loom-inp" section of control.h for the API.
 *
 * libmicrohttpd runs one internal polling thread, so the handlers below
 * run one at a time: the store handle, the embedder and the substrate are
 * used by that thread only (the mutex makes this explicit and survives a
 * later move to a thread pool). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "control.h"
#include "embed.h"

/* ---- configuration ------------------------------------------------------- */

#define INP_DEFAULT_PORT 7480

/* A relative path in the file is relative to the file's folder, so a
 * config can be moved along with what it names. */
static int config_path(const char *config_file, const char *value, char *out,
		       size_t size)
{
	if (value[0] == '/' || !strchr(config_file, '/')) {
		if ((size_t)snprintf(out, size, "%s", value) >= size)
			return -1;
		return 0;
	}
	int folder = (int)(strrchr(config_file, '/') - config_file);
	if ((size_t)snprintf(out, size, "%.*s/%s", folder, config_file,
			     value) >= size)
		return -1;
	return 0;
}

static int config_read_path(struct yaml_file *file, yaml_node_t *root,
			    const char *key, bool required, const char *path,
			    char *out, struct load_error *error)
{
	yaml_node_t *node = yaml_mapping_get(file, root, key);
	if (!node) {
		if (required)
			return load_error_set(error, path, root, key,
					      "required");
		return 0;
	}
	char value[INP_PATH_SIZE];
	if (yaml_read_string(file, node, key, value, sizeof(value), error))
		return -1;
	if (config_path(path, value, out, INP_PATH_SIZE))
		return load_error_set(error, path, node, key, "path too long");
	return 0;
}

/* "ADDRESS:PORT" with an IPv4 address (IPv6 is for a later slice). */
static int config_read_listen(struct yaml_file *file, yaml_node_t *node,
			      struct inp_config *config,
			      struct load_error *error)
{
	char value[64];
	if (yaml_read_string(file, node, "listen", value, sizeof(value), error))
		return -1;
	char *colon = strrchr(value, ':');
	if (!colon)
		return load_error_set(error, file->path, node, "listen",
				      "expected ADDRESS:PORT, not '%s'", value);
	*colon = '\0';
	struct in_addr address;
	if (inet_pton(AF_INET, value, &address) != 1)
		return load_error_set(error, file->path, node, "listen",
				      "'%s' is not an IPv4 address", value);
	char *end;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port > 65535)
		return load_error_set(error, file->path, node, "listen",
				      "'%s' is not a port (0-65535)",
				      colon + 1);
	snprintf(config->listen_address, sizeof(config->listen_address), "%s",
		 value);
	config->port = (uint16_t)port;
	return 0;
}

int inp_config_load(const char *path, struct inp_config *config,
		    struct load_error *error)
{
	static const char *const keys[] = { "substrate", "store", "listen",
					    "operator_token_file", NULL };
	memset(config, 0, sizeof(*config));
	snprintf(config->listen_address, sizeof(config->listen_address),
		 "127.0.0.1");
	config->port = INP_DEFAULT_PORT;

	struct yaml_file file;
	if (yaml_file_load(&file, path, error))
		return -1;
	yaml_node_t *root = yaml_file_root(&file);
	int rc = -1;
	if (!root || root->type != YAML_MAPPING_NODE) {
		load_error_set(error, path, root, "", "expected a mapping");
		goto out;
	}
	if (yaml_mapping_check_keys(&file, root, keys, "loom-inp config",
				    error))
		goto out;
	if (config_read_path(&file, root, "substrate", true, path,
			     config->substrate, error) ||
	    config_read_path(&file, root, "store", true, path, config->store,
			     error) ||
	    config_read_path(&file, root, "operator_token_file", false, path,
			     config->operator_token_file, error))
		goto out;
	yaml_node_t *listen = yaml_mapping_get(&file, root, "listen");
	if (listen && config_read_listen(&file, listen, config, error))
		goto out;
	rc = 0;
out:
	yaml_file_free(&file);
	return rc;
}

/* ---- the server ----------------------------------------------------------- */

struct inp_server {
	struct MHD_Daemon *daemon;
	uint16_t port;
	pthread_mutex_t lock; /* the store, the embedder, the substrate */
	struct substrate *substrate;
	struct inp_store *store;
	struct embedder *embedder;
};

/* One reply: status and a JSON body (owned). */
struct reply {
	unsigned status;
	json_t *body;
};

static struct reply reply_json(unsigned status, json_t *body)
{
	return (struct reply){ .status = status, .body = body };
}

static struct reply reply_error(unsigned status, const char *code,
				const char *format, ...)
	__attribute__((format(printf, 3, 4)));

static struct reply reply_error(unsigned status, const char *code,
				const char *format, ...)
{
	char message[512];
	va_list args;
	va_start(args, format);
	vsnprintf(message, sizeof(message), format, args);
	va_end(args);
	return reply_json(status, json_pack("{s:{s:s, s:s}}", "error", "code",
					    code, "message", message));
}

/* Error codes are the X-macro names in lower case ("not_found"). */
static const char *const store_codes[] = {
#define _(name, text) #name,
	foreach_inp_store_problem
#undef _
};
static const char *const request_codes[] = {
#define _(name, text) #name,
	foreach_vnet_request_problem
#undef _
};

static const char *code_text(const char *const *codes, size_t count,
			     unsigned index, char *buf, size_t size)
{
	const char *name = index < count ? codes[index] : "UNKNOWN";
	size_t i = 0;
	for (; name[i] && i + 1 < size; i++)
		buf[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ?
					name[i] - 'A' + 'a' :
					name[i]);
	buf[i] = '\0';
	return buf;
}

/* The store's problem as an HTTP status and code. */
static struct reply reply_store_error(struct inp_server *server)
{
	enum inp_store_problem problem = inp_store_problem(server->store);
	unsigned status = 500;
	switch (problem) {
	case INP_STORE_NOT_FOUND: status = 404; break;
	case INP_STORE_EXISTS:
	case INP_STORE_BUSY:
	case INP_STORE_TAG_TAKEN:
	case INP_STORE_NO_FREE_TAG:
	case INP_STORE_CAPACITY: status = 409; break;
	case INP_STORE_INVALID: status = 400; break;
	default: break;
	}
	char code[32];
	return reply_error(status,
			   code_text(store_codes, INP_STORE_PROBLEM_COUNT,
				     problem, code, sizeof(code)),
			   "%s", inp_store_error(server->store));
}

/* The body of a request, gathered over the calls of the access handler. */
struct upload {
	char *data;
	size_t length;
	bool too_large;
};

#define INP_MAX_BODY ((size_t)VNET_REQUEST_MAX_SIZE)

/* ---- residual state from the store ---------------------------------------
 *
 * The embedder's residual is derived from the store's totals on every
 * call, so the store stays the only truth (the daemon keeps no ledger that
 * could drift from it after a crash). Units: store CPU in millionths of a
 * core = embed amounts of CPU units; store bandwidth in kbit/s, embed in
 * millionths of Mbit/s (x 1000). Bandwidth is one budget per link in the
 * embedder, so all directions of a link are summed. */

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

static struct embed_residual *residual_from_store(struct inp_server *server)
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
	return residual;
}

/* ---- VNets ----------------------------------------------------------------- */

/* {"nodes": {virtual: substrate}, "links": {virtual: [{"substrate_link",
 * "bandwidth_kbps"} ...]}} */
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
		json_t *hops = json_object_get(links, id);
		if (!hops) {
			hops = json_array();
			json_object_set_new(links, id, hops);
		}
		json_t *path = json_array();
		for (uint32_t h = 0; h < flow->hop_count; h++)
			json_array_append_new(
				path,
				json_string(substrate
						    ->links[mapping->links
								    [flow->first +
								     h]]
						    .id));
		json_array_append_new(
			hops, json_pack("{s:o, s:b, s:I}", "path", path, "tree",
					flow->tree, "bandwidth_kbps",
					(json_int_t)(flow->bandwidth / 1000)));
	}
	return json_pack("{s:o, s:o}", "nodes", nodes, "links", links);
}

/* The compact text of object (consumed), NULL on failure. */
static char *json_text(json_t *object)
{
	char *text = object ? json_dumps(object, JSON_COMPACT) : NULL;
	json_decref(object);
	return text;
}

/* What create reserves: CPU per substrate node, bandwidth per link (one
 * budget, direction none, as the embedder counts it), one tag per hop
 * (tag 0: the store picks the lowest free one atomically). */
static int vnet_record_build(const struct substrate *substrate,
			     const struct vnet_request *vnet,
			     const struct embed_request *request,
			     const struct embed_mapping *mapping,
			     const char *xml, size_t length,
			     struct inp_vnet *record)
{
	memset(record, 0, sizeof(*record));
	record->name = vnet->name;
	record->request = strndup(xml, length);
	record->request_format = (char *)"loom-xml";
	record->lease_end = vnet->has_lease_end ? (int64_t)vnet->lease_end :
						  (int64_t)time(NULL) + 86400;
	record->sliver_count = vnet->node_count + vnet->link_count;
	record->slivers = calloc(record->sliver_count + 1,
				 sizeof(*record->slivers));
	record->cpu = calloc(substrate->node_count + 1, sizeof(*record->cpu));
	record->bandwidth = calloc(substrate->link_count + 1,
				   sizeof(*record->bandwidth));
	record->tags = calloc(mapping->hop_count + 1, sizeof(*record->tags));
	if (!record->request || !record->slivers || !record->cpu ||
	    !record->bandwidth || !record->tags)
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
		json_t *hops = json_array();
		for (uint32_t f = 0; f < mapping->flow_count; f++)
			for (uint32_t h = 0; mapping->flows[f].link == l &&
					     h < mapping->flows[f].hop_count;
			     h++)
				json_array_append_new(
					hops,
					json_string(
						substrate
							->links[mapping->links
									[mapping->flows[f]
										 .first +
									 h]]
							.id));
		sliver->kind = INP_SLIVER_LINK;
		sliver->virtual_id = vnet->links[l].id;
		sliver->placement = json_text(
			json_pack("{s:o}", "substrate_links", hops));
		sliver->allocation = INP_ALLOCATION_ALLOCATED;
		sliver->operational = INP_OPERATIONAL_PENDING_ALLOCATION;
	}
	for (uint32_t f = 0; f < mapping->flow_count; f++) {
		const struct embed_flow *flow = &mapping->flows[f];
		for (uint32_t h = 0; h < flow->hop_count; h++) {
			const struct substrate_link *link =
				&substrate->links[mapping->links[flow->first + h]];
			int64_t kbps = flow->bandwidth / 1000;
			struct inp_bandwidth_reservation *bandwidth = NULL;
			for (uint32_t i = 0; i < record->bandwidth_count; i++)
				if (record->bandwidth[i].substrate_link ==
				    link->id)
					bandwidth = &record->bandwidth[i];
			if (kbps > 0 && !bandwidth) {
				bandwidth = &record->bandwidth
						     [record->bandwidth_count++];
				bandwidth->substrate_link = (char *)link->id;
				bandwidth->direction = INP_DIRECTION_NONE;
				bandwidth->capacity =
					(int64_t)(link->bandwidth * 1000);
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
		}
	}
	for (uint32_t s = 0; s < record->sliver_count; s++)
		if (!record->slivers[s].placement)
			return -1;
	return 0;
}

/* Frees what vnet_record_build allocated (the rest belongs to the parsed
 * request and the substrate). */
static void vnet_record_release(struct inp_vnet *record)
{
	free(record->request);
	for (uint32_t s = 0; record->slivers && s < record->sliver_count; s++)
		free(record->slivers[s].placement);
	free(record->slivers);
	free(record->cpu);
	free(record->bandwidth);
	free(record->tags);
}

static json_t *vnet_to_json(const struct inp_vnet *vnet, bool detail)
{
	json_t *object = json_pack("{s:I, s:s, s:s, s:I, s:I}", "id",
				   (json_int_t)vnet->id, "name", vnet->name,
				   "state", inp_vnet_state_name(vnet->state),
				   "lease_end", (json_int_t)vnet->lease_end,
				   "created", (json_int_t)vnet->created);
	if (!detail || !object)
		return object;
	json_t *slivers = json_array();
	for (uint32_t s = 0; s < vnet->sliver_count; s++) {
		const struct inp_sliver *sliver = &vnet->slivers[s];
		json_t *placement =
			sliver->placement ?
				json_loads(sliver->placement, 0, NULL) :
				NULL;
		json_array_append_new(
			slivers,
			json_pack("{s:s, s:s, s:o*, s:s, s:s, s:s*}", "kind",
				  inp_sliver_kind_name(sliver->kind), "id",
				  sliver->virtual_id, "placement", placement,
				  "allocation",
				  inp_allocation_state_name(sliver->allocation),
				  "operational",
				  inp_operational_state_name(
					  sliver->operational),
				  "error", sliver->error));
	}
	json_t *tags = json_array();
	for (uint32_t t = 0; t < vnet->tag_count; t++)
		json_array_append_new(
			tags, json_pack("{s:s, s:s, s:i}", "substrate_link",
					vnet->tags[t].substrate_link, "kind",
					inp_tag_kind_name(vnet->tags[t].kind),
					"tag", (int)vnet->tags[t].tag));
	json_object_set_new(object, "slivers", slivers);
	json_object_set_new(object, "tags", tags);
	json_object_set_new(object, "provisioning",
			    json_string("not implemented in this version: "
					"slivers stay allocated"));
	return object;
}

/* POST /v1/vnets: parse, convert, embed against the store's residual;
 * then, unless a dry run, reserve. */
static struct reply vnets_post(struct inp_server *server,
			       const struct inp_tenant *tenant,
			       const struct upload *upload, bool dry_run)
{
	struct vnet_request vnet;
	struct vnet_request_error parse_error;
	if (vnet_request_parse(upload->data ? upload->data : "",
			       upload->length, "request", time(NULL), &vnet,
			       &parse_error)) {
		char message[640];
		vnet_request_error_format(&parse_error, message,
					  sizeof(message));
		char code[32];
		struct reply reply = reply_error(
			400,
			code_text(request_codes, VNET_REQUEST_PROBLEM_COUNT,
				  parse_error.problem, code, sizeof(code)),
			"%s", message);
		json_t *error = json_object_get(reply.body, "error");
		json_object_set_new(error, "line",
				    json_integer(parse_error.line));
		json_object_set_new(error, "element",
				    json_string(parse_error.element));
		return reply;
	}
	struct reply reply;
	char message[256];
	struct embed_request *request = vnet_request_to_embed(
		&vnet, server->substrate, message, sizeof(message));
	struct embed_residual *residual = NULL;
	struct embed_mapping mapping;
	embed_mapping_init(&mapping);
	if (!request) {
		reply = reply_error(400, "conversion", "%s", message);
		goto out;
	}
	residual = residual_from_store(server);
	if (!residual) {
		reply = reply_error(500, "store", "cannot read the totals");
		goto out;
	}
	int rc = embedder_embed(server->embedder, residual, request, &mapping);
	if (rc == -ENOSPC) {
		reply = reply_error(409, "infeasible",
				    "no feasible embedding on the substrate's "
				    "free capacity");
		goto out;
	} else if (rc) {
		reply = reply_error(500, "embedder", "embedding failed: %s",
				    strerror(-rc));
		goto out;
	}
	json_t *body = json_pack("{s:o, s:o, s:b}", "request",
				 vnet_request_to_json(&vnet), "mapping",
				 mapping_to_json(server->substrate, &vnet,
						 &mapping),
				 "dry_run", dry_run);
	if (dry_run) {
		reply = reply_json(200, body);
		goto out;
	}
	struct inp_vnet record;
	int64_t id;
	if (vnet_record_build(server->substrate, &vnet, request, &mapping,
			      upload->data, upload->length, &record)) {
		vnet_record_release(&record);
		json_decref(body);
		reply = reply_error(500, "no_memory", "out of memory");
		goto out;
	}
	rc = inp_store_vnet_reserve(server->store, tenant->id, &record, &id);
	vnet_record_release(&record);
	if (rc) {
		json_decref(body);
		reply = reply_store_error(server);
		goto out;
	}
	json_object_set_new(body, "id", json_integer(id));
	json_object_set_new(body, "state", json_string("reserved"));
	json_object_set_new(body, "provisioning",
			    json_string("not implemented in this version: "
					"slivers stay allocated"));
	reply = reply_json(201, body);
out:
	embed_mapping_free(&mapping);
	embed_residual_free(residual);
	embed_request_free(request);
	vnet_request_free(&vnet);
	return reply;
}

static int vnet_list_add(void *context, const struct inp_vnet *vnet)
{
	return json_array_append_new(context, vnet_to_json(vnet, false)) ? 1 :
									      0;
}

/* A VNet id in a path: decimal, positive; anything else is "not found"
 * like a missing one. */
static bool vnet_id_parse(const char *text, int64_t *id)
{
	char *end;
	errno = 0;
	long long value = strtoll(text, &end, 10);
	if (errno || end == text || *end || value <= 0)
		return false;
	*id = value;
	return true;
}

static struct reply vnet_get(struct inp_server *server,
			     const struct inp_tenant *tenant, int64_t id)
{
	struct inp_vnet vnet;
	if (inp_store_vnet_get(server->store, tenant->id, id, &vnet))
		return reply_store_error(server);
	json_t *body = vnet_to_json(&vnet, true);
	inp_vnet_free(&vnet);
	return reply_json(200, body);
}

/* ---- tenants --------------------------------------------------------------- */

struct tenant_search {
	const char *name;
	enum inp_tenant_role role; /* when name is NULL */
	struct inp_tenant found;
	bool ok;
};

static int tenant_search_match(void *context, const struct inp_tenant *tenant)
{
	struct tenant_search *search = context;
	if (search->name ? strcmp(search->name, tenant->name) == 0 :
			   tenant->role == search->role) {
		search->found = *tenant;
		search->ok = true;
		return 1;
	}
	return 0;
}

static struct reply tenants_post(struct inp_server *server,
				 const struct upload *upload)
{
	json_error_t json_error;
	json_t *body = json_loadb(upload->data ? upload->data : "",
				  upload->length, 0, &json_error);
	const char *name = NULL;
	if (!body || json_unpack(body, "{s:s}", "name", &name) ||
	    !name[0] || strlen(name) >= sizeof(((struct inp_tenant *)0)->name)) {
		json_decref(body);
		return reply_error(400, "bad_request",
				   "expected {\"name\": \"...\"} (1 to 63 "
				   "characters)");
	}
	int64_t id, token_id;
	char token[INP_TOKEN_SIZE];
	if (inp_store_tenant_add(server->store, name, INP_TENANT_SP, &id)) {
		json_decref(body);
		return reply_store_error(server);
	}
	if (inp_store_token_create(server->store, id, token, &token_id)) {
		struct reply reply = reply_store_error(server);
		inp_store_tenant_remove(server->store, id);
		json_decref(body);
		return reply;
	}
	struct reply reply = reply_json(
		201, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id,
			       "name", name, "token", token));
	json_decref(body);
	return reply;
}

static struct reply tenants_delete(struct inp_server *server,
				   const struct inp_tenant *caller,
				   const char *name)
{
	struct tenant_search search = { .name = name };
	if (inp_store_tenant_list(server->store, tenant_search_match,
				  &search) < 0)
		return reply_store_error(server);
	if (!search.ok)
		return reply_error(404, "not_found", "no tenant '%s'", name);
	if (search.found.id == caller->id)
		return reply_error(400, "bad_request",
				   "the operator cannot remove itself");
	if (inp_store_tenant_remove(server->store, search.found.id))
		return reply_store_error(server);
	return reply_json(200, json_pack("{s:s}", "deleted", name));
}

/* ---- dispatch -------------------------------------------------------------- */

static bool authenticate(struct inp_server *server,
			 struct MHD_Connection *connection,
			 struct inp_tenant *tenant)
{
	const char *header = MHD_lookup_connection_value(
		connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	static const char prefix[] = "Bearer ";
	if (!header || strncmp(header, prefix, sizeof(prefix) - 1))
		return false;
	return inp_store_token_verify(server->store,
				      header + sizeof(prefix) - 1, tenant) == 0;
}

static struct reply route(struct inp_server *server,
			  struct MHD_Connection *connection, const char *url,
			  const char *method, const struct upload *upload)
{
	bool get = strcmp(method, "GET") == 0;
	bool post = strcmp(method, "POST") == 0;
	bool delete = strcmp(method, "DELETE") == 0;

	if (strcmp(url, "/v1/health") == 0) {
		if (!get)
			return reply_error(405, "method_not_allowed",
					   "%s /v1/health", method);
		return reply_json(200, json_pack("{s:s}", "status", "ok"));
	}
	struct inp_tenant tenant;
	if (!authenticate(server, connection, &tenant))
		return reply_error(401, "unauthorized",
				   "a valid 'Authorization: Bearer TOKEN' "
				   "header is required");
	if (upload->too_large)
		return reply_error(413, "too_large",
				   "request body over %zu bytes",
				   INP_MAX_BODY);

	bool operator = tenant.role == INP_TENANT_OPERATOR;
	if (strcmp(url, "/v1/tenants") == 0 && post) {
		if (!operator)
			return reply_error(403, "forbidden",
					   "operator only");
		return tenants_post(server, upload);
	}
	if (strncmp(url, "/v1/tenants/", 12) == 0 && delete) {
		if (!operator)
			return reply_error(403, "forbidden",
					   "operator only");
		return tenants_delete(server, &tenant, url + 12);
	}
	if (strcmp(url, "/v1/vnets") == 0 && post) {
		const char *dry_run = MHD_lookup_connection_value(
			connection, MHD_GET_ARGUMENT_KIND, "dry_run");
		return vnets_post(server, &tenant, upload,
				  dry_run && strcmp(dry_run, "0") != 0 &&
					  strcmp(dry_run, "false") != 0);
	}
	if (strcmp(url, "/v1/vnets") == 0 && get) {
		json_t *list = json_array();
		if (inp_store_vnet_list(server->store, tenant.id, false,
					vnet_list_add, list) < 0) {
			json_decref(list);
			return reply_store_error(server);
		}
		return reply_json(200, json_pack("{s:o}", "vnets", list));
	}
	if (strncmp(url, "/v1/vnets/", 10) == 0 && (get || delete)) {
		int64_t id;
		if (!vnet_id_parse(url + 10, &id))
			return reply_error(404, "not_found", "no VNet '%s'",
					   url + 10);
		if (get)
			return vnet_get(server, &tenant, id);
		if (inp_store_vnet_release(server->store, tenant.id, id))
			return reply_store_error(server);
		return reply_json(200, json_pack("{s:I, s:s}", "id",
						 (json_int_t)id, "state",
						 "deleted"));
	}
	return reply_error(404, "not_found", "no route %s %s", method, url);
}

static enum MHD_Result answer(void *context, struct MHD_Connection *connection,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **connection_context)
{
	(void)version;
	struct inp_server *server = context;
	struct upload *upload = *connection_context;
	if (!upload) {
		upload = calloc(1, sizeof(*upload));
		if (!upload)
			return MHD_NO;
		*connection_context = upload;
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t size = *upload_data_size;
		if (upload->length + size > INP_MAX_BODY) {
			upload->too_large = true;
		} else if (!upload->too_large) {
			char *data = realloc(upload->data,
					     upload->length + size + 1);
			if (!data)
				return MHD_NO;
			memcpy(data + upload->length, upload_data, size);
			upload->length += size;
			data[upload->length] = '\0';
			upload->data = data;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}

	pthread_mutex_lock(&server->lock);
	struct reply reply = route(server, connection, url, method, upload);
	pthread_mutex_unlock(&server->lock);

	char *text = reply.body ? json_dumps(reply.body, JSON_COMPACT) : NULL;
	json_decref(reply.body);
	if (!text) {
		reply.status = 500;
		text = strdup("{\"error\": {\"code\": \"no_memory\", "
			      "\"message\": \"out of memory\"}}");
		if (!text)
			return MHD_NO;
	}
	struct MHD_Response *response = MHD_create_response_from_buffer(
		strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!response) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
				"application/json");
	enum MHD_Result result =
		MHD_queue_response(connection, reply.status, response);
	MHD_destroy_response(response);
	return result;
}

static void request_completed(void *context, struct MHD_Connection *connection,
			      void **connection_context,
			      enum MHD_RequestTerminationCode code)
{
	(void)context;
	(void)connection;
	(void)code;
	struct upload *upload = *connection_context;
	if (upload) {
		free(upload->data);
		free(upload);
		*connection_context = NULL;
	}
}

/* An operator tenant exists after this; on first start it is created and
 * its token written (0600, never overwriting a file) to token_file. */
static int operator_ensure(struct inp_server *server, const char *token_file,
			   char *err, size_t err_size)
{
	struct tenant_search search = { .role = INP_TENANT_OPERATOR };
	if (inp_store_tenant_list(server->store, tenant_search_match,
				  &search) < 0) {
		snprintf(err, err_size, "store: %s",
			 inp_store_error(server->store));
		return -1;
	}
	if (search.ok)
		return 0;
	if (!token_file[0]) {
		snprintf(err, err_size,
			 "no operator tenant yet and no operator_token_file "
			 "to write its token to");
		return -1;
	}
	int fd = open(token_file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		      0600);
	if (fd < 0) {
		snprintf(err, err_size, "%s: %s", token_file, strerror(errno));
		return -1;
	}
	int64_t id, token_id;
	char token[INP_TOKEN_SIZE];
	if (inp_store_tenant_add(server->store, "operator",
				 INP_TENANT_OPERATOR, &id) ||
	    inp_store_token_create(server->store, id, token, &token_id)) {
		snprintf(err, err_size, "store: %s",
			 inp_store_error(server->store));
		close(fd);
		unlink(token_file);
		return -1;
	}
	size_t length = strlen(token);
	token[length++] = '\n';
	bool written = write(fd, token, length) == (ssize_t)length;
	if (close(fd) || !written) {
		snprintf(err, err_size, "%s: cannot write the token",
			 token_file);
		return -1;
	}
	return 0;
}

struct inp_server *inp_server_start(const struct inp_config *config,
				    char *err, size_t err_size)
{
	struct inp_server *server = calloc(1, sizeof(*server));
	if (!server) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&server->lock, NULL);
	struct load_error load_error;
	server->substrate = substrate_load_yaml(config->substrate, &load_error,
						NULL);
	if (!server->substrate) {
		load_error_format(&load_error, err, err_size);
		goto fail;
	}
	server->store = inp_store_open(config->store, 0, err, err_size);
	if (!server->store)
		goto fail;
	server->embedder = embedder_create(server->substrate,
					   EMBED_ALGORITHM_LOOM, NULL);
	if (!server->embedder) {
		snprintf(err, err_size, "cannot create the embedder");
		goto fail;
	}
	if (operator_ensure(server, config->operator_token_file, err,
			    err_size))
		goto fail;

	struct sockaddr_in address = { .sin_family = AF_INET,
				       .sin_port = htons(config->port) };
	if (inet_pton(AF_INET, config->listen_address, &address.sin_addr) !=
	    1) {
		snprintf(err, err_size, "listen: bad address '%s'",
			 config->listen_address);
		goto fail;
	}
	server->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL,
		answer, server, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&address, MHD_OPTION_NOTIFY_COMPLETED,
		request_completed, server, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)30, MHD_OPTION_END);
	if (!server->daemon) {
		snprintf(err, err_size, "cannot listen on %s:%u",
			 config->listen_address, config->port);
		goto fail;
	}
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_BIND_PORT);
	server->port = info ? info->port : config->port;
	return server;
fail:
	inp_server_stop(server);
	return NULL;
}

uint16_t inp_server_port(const struct inp_server *server)
{
	return server->port;
}

void inp_server_stop(struct inp_server *server)
{
	if (!server)
		return;
	if (server->daemon)
		MHD_stop_daemon(server->daemon);
	embedder_free(server->embedder);
	inp_store_close(server->store);
	substrate_free(server->substrate);
	pthread_mutex_destroy(&server->lock);
	free(server);
}

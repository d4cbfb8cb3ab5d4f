/* What loom-inp's files share (not part of control.h: no one outside the
 * daemon needs it).
 *
 *   inp.c            HTTP: libmicrohttpd, authentication, routing, replies
 *   inp_config.c     the YAML configuration
 *   inp_vnet.c       the VNet lifecycle: create, status, manifest, renew,
 *                    delete, expiry, re-embedding
 *   inp_provision.c  the provisioner: compiled plans, the switches, the
 *                    thread that applies and reconciles, sliver states
 *   inp_metrics.c    /metrics and the substrate view
 *
 * Threads: libmicrohttpd runs a thread per connection; every handler takes
 * server->lock, which guards server->store (one SQLite connection), the
 * embedder and the element states. The provisioner thread has its own store
 * connection and takes only provisioner->lock, which guards the plans and
 * the switch table; the HTTP side hands it plans under that lock. Lock
 * order: server->lock before provisioner->lock, never the reverse. */
#ifndef LOOM_INP_PRIVATE_H
#define LOOM_INP_PRIVATE_H

#include <pthread.h>
#include <stdarg.h>

#include "control.h"

/* One reply: status and a JSON body (owned), or a text body (owned) with
 * its content type (for /metrics, the SVG and RSpec manifests). */
struct reply {
	unsigned status;
	json_t *body;
	char *text;
	const char *content_type;
};

struct reply reply_json(unsigned status, json_t *body);
struct reply reply_text(unsigned status, char *text, const char *type);
struct reply reply_error(unsigned status, const char *code,
			 const char *format, ...)
	__attribute__((format(printf, 3, 4)));
/* The store handle's last problem as an HTTP status and code. */
struct reply reply_store_error(struct inp_store *store);

/* "not_found" from NOT_FOUND: error codes are X-macro names in lower case. */
const char *code_text(const char *const *codes, size_t count, unsigned index,
		      char *buf, size_t size);

/* Operator marks on substrate elements; they survive restarts in the
 * store. Written by the HTTP side under server->lock; read by the
 * embedding (residual) under the same lock. */
struct inp_element_states {
	bool *node_down; /* per substrate node, by the operator */
	bool *link_down; /* per substrate link, by the operator */
	bool *link_port_down; /* per substrate link: a switch reports one of
			       * its ports down (not stored: re-read) */
};

/* A link is down when the operator says so, when a switch reports its
 * port down, or when one of its ends is down. */
bool inp_link_down(const struct inp_server *server, uint32_t link);
/* The provisioner's report of the links whose ports are down (one flag
 * per substrate link); takes server->lock, re-embeds what a newly down
 * link carries. */
void inp_port_report(struct inp_server *server, const bool *link_port_down);

struct provisioner;

struct inp_server {
	struct MHD_Daemon *daemon;
	uint16_t port;
	struct inp_config config;
	pthread_mutex_t lock; /* store, embedder, states, metrics */
	struct substrate *substrate;
	struct inp_store *store;
	struct embedder *embedder;   /* creates: loom, admission control on */
	struct embedder *reembedder; /* failures: admission control off */
	struct inp_element_states states;
	struct provisioner *provisioner;
	char *tls_certificate, *tls_key; /* PEM text, for libmicrohttpd */
	pthread_t housekeeping;          /* lease expiry */
	bool housekeeping_started;
	bool stopping;
	pthread_cond_t stop_cond;
	/* Counters for /metrics (under lock). */
	uint64_t requests[6];  /* by outcome: see foreach_inp_outcome */
	uint64_t creates_accepted, creates_rejected;
	uint64_t reembeds, reembed_failures;
};

#define foreach_inp_outcome                                                 \
	_(OK, "ok")                     /* 2xx */                          \
	_(CLIENT_ERROR, "client_error") /* 4xx except below */             \
	_(UNAUTHORIZED, "unauthorized") /* 401, 403 */                     \
	_(NOT_FOUND, "not_found")       /* 404 */                          \
	_(CONFLICT, "conflict")         /* 409 */                          \
	_(SERVER_ERROR, "server_error") /* 5xx */

enum inp_outcome {
#define _(name, text) INP_OUTCOME_##name,
	foreach_inp_outcome
#undef _
	INP_OUTCOME_COUNT
};

/* A whole file, NUL-terminated (malloc'd), or NULL with the reason. */
char *inp_file_read(const char *path, char *err, size_t err_size);
/* Every live VNet as [tenant id, VNet id, tenant name] (a new array; NULL
 * when the store fails), by tenant then VNet. */
json_t *inp_live_vnets(struct inp_server *server);
/* A sliver's placement as JSON (a new reference), or NULL. */
json_t *sliver_placement(const struct inp_sliver *sliver);

/* Structured logs: one JSON object per line on stderr, {"time", "level",
 * "event", ...fields}; fields is consumed. */
void inp_log(const char *level, const char *event, json_t *fields);

/* ---- VNets (inp_vnet.c) -------------------------------------------------- */

struct upload {
	char *data;
	size_t length;
	bool too_large;
};

/* The VNet with id or name `ref` of tenant (0 if none: then 404). */
int64_t vnet_resolve(struct inp_server *server, int64_t tenant,
		     const char *ref);
/* name: the VNet's name from the URL (?name=), NULL: the request's own. */
struct reply vnets_post(struct inp_server *server,
			const struct inp_tenant *tenant,
			const struct upload *upload, const char *name,
			bool dry_run, bool wait);
struct reply vnets_list(struct inp_server *server,
			const struct inp_tenant *tenant);
struct reply vnet_status(struct inp_server *server,
			 const struct inp_tenant *tenant, int64_t id);
struct reply vnet_manifest(struct inp_server *server,
			   const struct inp_tenant *tenant, int64_t id,
			   bool rspec);
struct reply vnet_renew(struct inp_server *server,
			const struct inp_tenant *tenant, int64_t id,
			const struct upload *upload);
struct reply vnet_delete(struct inp_server *server,
			 const struct inp_tenant *tenant, int64_t id);
struct reply vnet_console(struct inp_server *server,
			  const struct inp_tenant *tenant, int64_t id,
			  const char *node);
/* Releases expired VNets (called by the housekeeping timer). */
void vnets_expire(struct inp_server *server);
/* After a restart: compiles every reserved VNet's plan from the store and
 * hands it to the provisioner. Returns 0 or -1 with err. */
int vnets_restore(struct inp_server *server, char *err, size_t err_size);
/* Re-embeds every VNet that uses a down element (operator marks). */
void vnets_reembed(struct inp_server *server);

/* Shared by inp_vnet.c and inp_embed.c. */
struct embed_residual *residual_from_store(struct inp_server *server);
int vnet_record_build(const struct substrate *substrate,
		      const struct vnet_request *vnet,
		      const struct embed_request *request,
		      const struct embed_mapping *mapping,
		      struct inp_vnet *record);
void vnet_record_release(struct inp_vnet *record);
const struct inp_sliver *sliver_find(const struct inp_vnet *record,
				     enum inp_sliver_kind kind,
				     const char *id);
int mapping_from_record(const struct substrate *substrate,
			const struct vnet_request *vnet,
			const struct inp_vnet *record,
			struct embed_mapping *mapping, char *err,
			size_t err_size);
struct plan;
struct plan *plan_build(struct inp_server *server,
			const struct inp_vnet *record,
			const struct vnet_request *vnet,
			const struct embed_mapping *mapping, char *err,
			size_t err_size);
struct plan *plan_from_store(struct inp_server *server, int64_t tenant,
			     int64_t id, const struct vnet_request *vnet,
			     char *err, size_t err_size);
int vnet_load(struct inp_server *server, const struct inp_vnet *record,
	      struct vnet_request *vnet, struct embed_mapping *mapping,
	      char *err, size_t err_size);
void interface_name(const char *id, uint32_t k, char out[16]);

/* ---- the substrate view (inp_metrics.c) --------------------------------- */

/* Reads the operator's marks from the store into server->states. */
int inp_states_load(struct inp_server *server, char *err, size_t err_size);
struct reply substrate_show(struct inp_server *server);
struct reply substrate_set_state(struct inp_server *server, bool link,
				 const char *id, const struct upload *upload);
struct reply substrate_svg(struct inp_server *server);
struct reply metrics_text(struct inp_server *server);

/* ---- the provisioner (inp_provision.c) ---------------------------------- */

/* A host node's namespace and interfaces on its substrate node. */
struct plan_host_names {
	char name[16], veth[16], peer[16];
};

struct plan_host {
	uint32_t node;         /* substrate node */
	uint32_t virtual_node; /* index in the request */
	char namespace_name[72];
	uint32_t interface_count;
	struct host_interface *interfaces; /* point into names, addresses */
	struct plan_host_names *names;
	struct vnet_address *addresses;
};

/* One sliver and the substrate nodes it depends on: it is ready when all
 * of them have applied the plan (and its host namespace exists). */
struct plan_sliver {
	enum inp_sliver_kind kind;
	char *virtual_id;
	uint32_t node_count;
	uint32_t *nodes;
	/* Last state written to the store (the provisioner writes changes). */
	enum inp_operational_state operational;
	char error[256];
};

/* A VNet's compiled desired state. Built by the HTTP side (inp_vnet.c),
 * owned by the provisioner once handed over; read-only after that. */
struct plan {
	int64_t vnet, tenant;
	int64_t generation; /* the stored VNet's, when the plan was built */
	char vnet_id[PROVISION_VNET_ID_MAX + 1]; /* "v<id>": switch names */
	struct provision_plan parts;
	uint32_t host_count;
	struct plan_host *hosts;
	uint32_t sliver_count;
	struct plan_sliver *slivers;
	/* The provisioner's own marks: its sliver states were computed once
	 * (evaluated), and must be again in this pass (stale). */
	bool evaluated, stale;
};

void plan_free(struct plan *plan);

struct provisioner *provisioner_start(struct inp_server *server, char *err,
				      size_t err_size);
void provisioner_stop(struct provisioner *provisioner);
/* Hands a plan over (replacing the VNet's previous one, whose nodes are
 * re-applied too) and wakes the thread. */
void provisioner_submit(struct provisioner *provisioner, struct plan *plan);
/* Drops the VNet's plan: its nodes are re-applied without it and its host
 * namespaces removed. */
void provisioner_withdraw(struct provisioner *provisioner, int64_t vnet);
/* Waits up to timeout_ms until every sliver of the VNet is ready or
 * failed. Returns true if it settled. */
bool provisioner_wait(struct provisioner *provisioner, int64_t vnet,
		      unsigned timeout_ms);
/* The switch of a substrate node as the provisioner last saw it, for the
 * substrate view: {"control", "reachable", "error"?}. */
json_t *provisioner_switch_json(struct provisioner *provisioner,
				uint32_t node);
/* Every stored VNet has been submitted: the thread may start applying. */
void provisioner_restored(struct provisioner *provisioner);
/* Marks a substrate node's switch to be re-applied (e.g. it came back). */
void provisioner_kick(struct provisioner *provisioner);
/* Counts of VNet plans by derived state for /metrics. */
void provisioner_state_counts(struct provisioner *provisioner,
			      uint64_t *ready, uint64_t *configuring,
			      uint64_t *failed);

#endif

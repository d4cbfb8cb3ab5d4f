/* loom-inp's provisioner: one thread that keeps every substrate node's
 * loom-switch converged to the desired state of the VNets it carries.
 *
 * The desired state of a node = its switch's own configuration (what
 * `show-config` returns minus everything Loom named "v<id>.*") merged with
 * the parts of every live VNet's plan that touch the node
 * (provision_merge). It is sent whole with the switch's idempotent `apply`
 * whenever it changes, whenever the switch's `instance` changes (the switch
 * restarted, empty) and after the daemon's own restart (every node starts
 * dirty). Host nodes' namespaces are made before the apply that adds their
 * ports and removed after the apply that drops them.
 *
 * Sliver states follow: a sliver is ready when every substrate node it
 * depends on has applied (and its namespace exists), failed with the
 * switch's error when one of them could not be reached or refused the
 * apply, configuring meanwhile. The thread writes changes to the store on
 * its own connection.
 *
 * Locking: provisioner->lock guards the plans, the switch table and the
 * in-memory sliver states; the thread never holds it while talking to a
 * switch, running `ip` or writing the store. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inp_private.h"

/* A substrate node's switch as the thread sees it. */
struct switch_state {
	char control[INP_PATH_SIZE]; /* socket path; "" : no switch */
	char netns[64];
	uint64_t wanted;  /* generation of the desired state */
	uint64_t applied; /* generation last applied (0: never) */
	bool reachable;
	char instance[64]; /* the switch's run the state was applied to */
	char error[256];   /* why the last attempt failed, "" if it did not */
	json_t *base;      /* the switch's own configuration */
	json_t *ports_down; /* names of its ports without link, or NULL */
	struct switch_client *client;
	bool changed; /* applied, error or reachability moved this pass */
};

struct provisioner {
	struct inp_server *server; /* substrate and config: read-only */
	pthread_mutex_t lock;
	pthread_cond_t wake, settled;
	bool stopping, started;
	bool writing; /* sliver states computed, not yet in the store */
	bool restored; /* the daemon has handed over every stored VNet */
	pthread_t thread;
	struct inp_store *store; /* the thread's own connection */
	uint32_t node_count;
	struct switch_state *switches;
	uint32_t plan_count, plan_capacity;
	struct plan **plans;
	/* Withdrawn plans whose nodes still carry them (freed once every
	 * node has been re-applied and their namespaces removed). */
	uint32_t withdrawn_count, withdrawn_capacity;
	struct plan **withdrawn;
	uint64_t generation;
	bool stale_hosts_checked;
	bool *link_port_down; /* per substrate link, as last reported */
	uint64_t *link_port_down_since; /* ms (monotonic) first seen down
					 * in this run of downs, 0: up */
};

static bool plan_touches(const struct plan *plan, uint32_t node)
{
	if (provision_plan_part(&plan->parts, node))
		return true;
	for (uint32_t h = 0; h < plan->host_count; h++)
		if (plan->hosts[h].node == node)
			return true;
	return false;
}

/* Marks every node the plan touches as changed (under lock). */
static void plan_mark_nodes(struct provisioner *p, const struct plan *plan)
{
	p->generation++;
	for (uint32_t n = 0; n < p->node_count; n++)
		if (plan_touches(plan, n))
			p->switches[n].wanted = p->generation;
}

static int plans_append(struct plan ***array, uint32_t *count,
			uint32_t *capacity, struct plan *plan)
{
	if (*count == *capacity) {
		uint32_t size = *capacity ? *capacity * 2 : 16;
		struct plan **grown = realloc(*array, size * sizeof(*grown));
		if (!grown)
			return -1;
		*array = grown;
		*capacity = size;
	}
	(*array)[(*count)++] = plan;
	return 0;
}

/* Takes the VNet's plan out of the live list (under lock); NULL if none. */
static struct plan *plan_take(struct provisioner *p, int64_t vnet)
{
	for (uint32_t i = 0; i < p->plan_count; i++)
		if (p->plans[i]->vnet == vnet) {
			struct plan *plan = p->plans[i];
			p->plans[i] = p->plans[--p->plan_count];
			return plan;
		}
	return NULL;
}

static void plan_retire(struct provisioner *p, struct plan *plan)
{
	plan_mark_nodes(p, plan);
	if (plans_append(&p->withdrawn, &p->withdrawn_count,
			 &p->withdrawn_capacity, plan)) {
		/* Without memory the namespaces stay until the next restart
		 * removes them as stale; the switch is still re-applied. */
		plan_free(plan);
	}
}

void provisioner_submit(struct provisioner *p, struct plan *plan)
{
	pthread_mutex_lock(&p->lock);
	struct plan *old = plan_take(p, plan->vnet);
	if (old)
		plan_retire(p, old);
	if (plans_append(&p->plans, &p->plan_count, &p->plan_capacity,
			 plan)) {
		pthread_mutex_unlock(&p->lock);
		plan_free(plan);
		return;
	}
	plan_mark_nodes(p, plan);
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
}

void provisioner_withdraw(struct provisioner *p, int64_t vnet)
{
	pthread_mutex_lock(&p->lock);
	struct plan *plan = plan_take(p, vnet);
	if (plan)
		plan_retire(p, plan);
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
}

void provisioner_restored(struct provisioner *p)
{
	pthread_mutex_lock(&p->lock);
	p->restored = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
}

void provisioner_kick(struct provisioner *p)
{
	pthread_mutex_lock(&p->lock);
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
}

static bool plan_settled(const struct plan *plan)
{
	for (uint32_t s = 0; s < plan->sliver_count; s++)
		if (plan->slivers[s].operational != INP_OPERATIONAL_READY &&
		    plan->slivers[s].operational != INP_OPERATIONAL_FAILED)
			return false;
	return true;
}

bool provisioner_wait(struct provisioner *p, int64_t vnet,
		      unsigned timeout_ms)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&p->lock);
	bool settled = false;
	for (;;) {
		const struct plan *plan = NULL;
		for (uint32_t i = 0; i < p->plan_count; i++)
			if (p->plans[i]->vnet == vnet)
				plan = p->plans[i];
		/* Settled once the store says so too (what the caller
		 * reads next). */
		settled = !p->writing && (!plan || plan_settled(plan));
		if (settled || p->stopping ||
		    pthread_cond_timedwait(&p->settled, &p->lock, &deadline) ==
			    ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&p->lock);
	return settled;
}

json_t *provisioner_switch_json(struct provisioner *p, uint32_t node)
{
	pthread_mutex_lock(&p->lock);
	const struct switch_state *sw = &p->switches[node];
	json_t *object;
	if (!sw->control[0])
		object = json_pack("{s:n, s:b}", "control", "reachable", false);
	else
		object = json_pack(
			"{s:s, s:s*, s:b, s:b, s:s*}", "control", sw->control,
			"netns", sw->netns[0] ? sw->netns : NULL, "reachable",
			sw->reachable, "converged",
			sw->applied == sw->wanted && !sw->error[0], "error",
			sw->error[0] ? sw->error : NULL);
	pthread_mutex_unlock(&p->lock);
	return object;
}

void provisioner_state_counts(struct provisioner *p, uint64_t *ready,
			      uint64_t *configuring, uint64_t *failed)
{
	*ready = *configuring = *failed = 0;
	pthread_mutex_lock(&p->lock);
	for (uint32_t i = 0; i < p->plan_count; i++) {
		const struct plan *plan = p->plans[i];
		bool any_failed = false, all_ready = true;
		for (uint32_t s = 0; s < plan->sliver_count; s++) {
			enum inp_operational_state state =
				plan->slivers[s].operational;
			any_failed |= state == INP_OPERATIONAL_FAILED;
			all_ready &= state == INP_OPERATIONAL_READY;
		}
		if (any_failed)
			(*failed)++;
		else if (all_ready)
			(*ready)++;
		else
			(*configuring)++;
	}
	pthread_mutex_unlock(&p->lock);
}

/* ---- one node ------------------------------------------------------------- */

static uint64_t monotonic_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

/* Work for one node, gathered under lock and done without it. */
struct node_job {
	uint32_t node;
	uint64_t generation;
	char control[INP_PATH_SIZE];
	char netns[64];
	char instance[64];
	bool was_reachable;
	bool probe_only; /* nothing to apply was gathered: converged */
	bool dirty;      /* the wanted state is not the applied one */
	bool retry;      /* the probe found it must apply after all */
	size_t part_count;
	json_t **parts;             /* references */
	uint32_t create_count;
	struct plan_host **create;  /* hosts of live plans on this node */
	uint32_t remove_count;
	struct plan_host **remove;  /* hosts of withdrawn plans */
	json_t *base;               /* reference or NULL */
	struct switch_client *client;
	/* results */
	bool reachable, applied;
	char new_instance[64];
	char error[256];
	json_t *new_base;
	json_t *ports_down;
};

static void job_free(struct node_job *job)
{
	for (size_t i = 0; i < job->part_count; i++)
		json_decref(job->parts[i]);
	free(job->parts);
	free(job->create);
	free(job->remove);
	json_decref(job->base);
	json_decref(job->new_base);
	json_decref(job->ports_down);
}

static void job_error(struct node_job *job, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

/* vsnprintf: truncating a long reason is fine here. */
static void job_error(struct node_job *job, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	vsnprintf(job->error, sizeof(job->error), format, args);
	va_end(args);
}

static json_t *job_call(struct node_job *job, const char *token,
			unsigned timeout_ms, const char *command,
			json_t *arguments)
{
	if (!job->client) {
		/* No waiting for the socket to appear: a switch without
		 * its socket is down now, and the next pass tries again. */
		job->client = switch_client_connect(job->control, token, 0,
						    job->error,
						    sizeof(job->error));
		if (!job->client)
			return NULL;
		switch_client_set_timeout(job->client, timeout_ms);
	}
	json_t *result = switch_client_call(job->client, command, arguments,
					    job->error, sizeof(job->error));
	if (!result) {
		/* The next call starts on a fresh connection. */
		switch_client_close(job->client);
		job->client = NULL;
	}
	return result;
}

/* Removes the withdrawn VNets' host namespaces on the job's node
 * (host_delete is idempotent: a pass may retry). */
static void job_hosts_remove(struct node_job *job)
{
	for (uint32_t h = 0; h < job->remove_count; h++) {
		struct plan_host *host = job->remove[h];
		char reason[256];
		if (host_delete(host->namespace_name, job->netns,
				host->interfaces, host->interface_count, reason,
				sizeof(reason)))
			inp_log("warning", "host_delete_failed",
				json_pack("{s:s, s:s}", "namespace",
					  host->namespace_name, "error",
					  reason));
	}
}

/* Probes the switch and, if its state is not what is wanted, applies. */
static void job_run(struct provisioner *p, struct node_job *job, bool dirty)
{
	const struct inp_config *config = &p->server->config;
	const char *token = config->switch_token[0] ? config->switch_token :
						      NULL;
	const char *node_id = p->server->substrate->nodes[job->node].id;
	if (strchr(job->control, ':') && !strchr(job->control, '/')) {
		job_error(job,
			 "switch of %s at %s: only Unix control sockets are "
			 "supported",
			 node_id, job->control);
		return;
	}
	json_t *version =
		job_call(job, token, config->switch_timeout_ms, "version", NULL);
	if (!version) {
		char reason[256];
		snprintf(reason, sizeof(reason), "%s", job->error);
		job_error(job,
			 "switch of %s unreachable (%s): %s", node_id,
			 job->control, reason);
		/* Its ports are gone with it (a switch that comes back is
		 * applied afresh, without them): the withdrawn VNets' hosts
		 * need not wait for it. */
		job_hosts_remove(job);
		return;
	}
	job->reachable = true;
	snprintf(job->new_instance, sizeof(job->new_instance), "%s",
		 json_string_value(json_object_get(version, "instance")) ?: "");
	json_decref(version);
	/* Which ports have no link: the links on them are down. */
	json_t *ports = job_call(job, token, config->switch_timeout_ms,
				 "show_ports", NULL);
	if (ports) {
		job->ports_down = json_array();
		size_t i;
		json_t *port;
		json_array_foreach(ports, i, port)
			if (json_is_false(json_object_get(port, "link_up")))
				json_array_append(job->ports_down,
						  json_object_get(port,
								  "name"));
		json_decref(ports);
	} else {
		job->error[0] = '\0'; /* an old switch: not a failure */
	}
	bool restarted = strcmp(job->new_instance, job->instance) != 0;
	if (!dirty && !restarted && job->was_reachable) {
		job->applied = true;
		return;
	}
	if (job->probe_only) {
		job->retry = true; /* the next pass gathers and applies */
		return;
	}
	json_t *base = restarted || !job->base ? NULL : json_incref(job->base);
	if (!base) {
		json_t *shown = job_call(job, token, config->switch_timeout_ms,
					 "show_config", NULL);
		if (!shown) {
			char reason[256];
			snprintf(reason, sizeof(reason), "%s", job->error);
			job_error(job,
				 "switch of %s: show-config: %s", node_id,
				 reason);
			return;
		}
		base = provision_base_from_switch(shown);
		json_decref(shown);
		if (!base) {
			job_error(job,
				 "out of memory");
			return;
		}
	}
	job->new_base = json_incref(base);
	uint64_t job_start = monotonic_ms();
	for (uint32_t h = 0; h < job->create_count; h++) {
		struct plan_host *host = job->create[h];
		char reason[200];
		if (host_exists(host->namespace_name))
			continue;
		if (host_create(host->namespace_name, job->netns,
				host->interfaces, host->interface_count,
				reason, sizeof(reason))) {
			job_error(job,
				 "host namespace %s on %s: %s",
				 host->namespace_name, node_id, reason);
			json_decref(base);
			return;
		}
	}
	char reason[256];
	json_t *desired = provision_merge(base, (const json_t *const *)job->parts,
					  job->part_count, reason,
					  sizeof(reason));
	json_decref(base);
	if (!desired) {
		job_error(job,
			 "switch of %s: cannot merge the VNets: %s", node_id,
			 reason);
		return;
	}
	int needed = provision_vtep_mtu_shortfall(
		desired, (const json_t *const *)job->parts, job->part_count);
	if (needed) {
		const json_t *mtu = json_object_get(
			json_object_get(desired, "vtep"), "mtu");
		inp_log("warning", "vtep_mtu_below_need",
			json_pack("{s:s, s:I, s:i}", "node", node_id, "vtep_mtu",
				  mtu ? json_integer_value(mtu)
				      : (json_int_t)PROVISION_VTEP_MTU_MIN,
				  "needed", needed));
	}
	json_t *arguments = json_pack("{s:o}", "config", desired);
	uint64_t apply_start = monotonic_ms();
	json_t *result = job_call(job, token, config->switch_timeout_ms,
				  "apply", arguments);
	json_decref(arguments);
	inp_log("debug", "switch_applied",
		json_pack("{s:s, s:i, s:I, s:I}", "node", node_id, "parts",
			  (int)job->part_count, "hosts_ms",
			  (json_int_t)(apply_start - job_start), "apply_ms",
			  (json_int_t)(monotonic_ms() - apply_start)));
	if (!result) {
		snprintf(reason, sizeof(reason), "%s", job->error);
		job_error(job,
			 "switch of %s refused the apply: %s", node_id, reason);
		return;
	}
	json_decref(result);
	job->applied = true;
	job->error[0] = '\0';
	job_hosts_remove(job);
}

/* ---- the thread --------------------------------------------------------- */

/* Removes host namespaces of VNets this daemon does not know (deleted
 * while it was down). Runs once, after the restore. */
static void stale_hosts_remove(struct provisioner *p)
{
	char prefix[48];
	int length = snprintf(prefix, sizeof(prefix), "%s-v",
			      p->server->config.host_prefix);
	DIR *dir = opendir("/run/netns");
	if (!dir)
		return;
	struct dirent *entry;
	while ((entry = readdir(dir))) {
		if (strncmp(entry->d_name, prefix, (size_t)length))
			continue;
		char *end;
		long long vnet = strtoll(entry->d_name + length, &end, 10);
		if (end == entry->d_name + length || *end != '-')
			continue;
		bool live = false;
		pthread_mutex_lock(&p->lock);
		for (uint32_t i = 0; i < p->plan_count; i++)
			live |= p->plans[i]->vnet == vnet;
		pthread_mutex_unlock(&p->lock);
		char reason[200];
		if (!live && host_delete(entry->d_name, NULL, NULL, 0, reason,
					 sizeof(reason)) == 0)
			inp_log("info", "stale_host_removed",
				json_pack("{s:s}", "namespace", entry->d_name));
	}
	closedir(dir);
}

/* A withdrawn plan's namespace that a live plan has taken over (the same
 * VNet re-embedded) stays. */
static bool host_claimed(const struct provisioner *p,
			 const struct plan_host *host)
{
	for (uint32_t i = 0; i < p->plan_count; i++)
		for (uint32_t h = 0; h < p->plans[i]->host_count; h++)
			if (strcmp(p->plans[i]->hosts[h].namespace_name,
				   host->namespace_name) == 0)
				return true;
	return false;
}

/* Gathers the jobs of every node with a switch (under lock). */
static struct node_job *jobs_gather(struct provisioner *p, uint32_t *count)
{
	struct node_job *jobs = calloc(p->node_count + 1, sizeof(*jobs));
	if (!jobs)
		return NULL;
	*count = 0;
	for (uint32_t n = 0; n < p->node_count; n++) {
		struct switch_state *sw = &p->switches[n];
		struct node_job *job = &jobs[*count];
		job->node = n;
		job->generation = sw->wanted;
		sw->changed = false;
		if (!sw->control[0]) {
			/* No switch: nothing to program; embedding only. */
			sw->changed = sw->applied != sw->wanted;
			sw->applied = sw->wanted;
			continue;
		}
		(*count)++;
		/* A converged switch is only probed: gathering its state
		 * costs a walk over every plan, for nothing. */
		job->dirty = sw->applied != sw->wanted;
		job->probe_only = !job->dirty && sw->reachable &&
				  !sw->error[0];
		snprintf(job->control, sizeof(job->control), "%s",
			 sw->control);
		snprintf(job->netns, sizeof(job->netns), "%s", sw->netns);
		snprintf(job->instance, sizeof(job->instance), "%s",
			 sw->instance);
		job->was_reachable = sw->reachable && !sw->error[0];
		job->base = sw->base ? json_incref(sw->base) : NULL;
		job->client = sw->client;
		sw->client = NULL;
		if (job->probe_only)
			continue;
		job->parts = calloc(p->plan_count + 1, sizeof(*job->parts));
		job->create = calloc(p->plan_count * 4 + 4,
				     sizeof(*job->create));
		job->remove = calloc(p->withdrawn_count * 4 + 4,
				     sizeof(*job->remove));
		uint32_t create_capacity = p->plan_count * 4 + 4;
		uint32_t remove_capacity = p->withdrawn_count * 4 + 4;
		for (uint32_t i = 0; job->parts && i < p->plan_count; i++) {
			const struct plan *plan = p->plans[i];
			json_t *part = provision_plan_part(&plan->parts, n);
			if (part)
				job->parts[job->part_count++] =
					json_incref(part);
			for (uint32_t h = 0; job->create && h < plan->host_count;
			     h++)
				if (plan->hosts[h].node == n &&
				    job->create_count < create_capacity)
					job->create[job->create_count++] =
						&plan->hosts[h];
		}
		for (uint32_t i = 0; job->remove && i < p->withdrawn_count;
		     i++) {
			struct plan *plan = p->withdrawn[i];
			for (uint32_t h = 0; h < plan->host_count; h++)
				if (plan->hosts[h].node == n &&
				    job->remove_count < remove_capacity &&
				    !host_claimed(p, &plan->hosts[h]))
					job->remove[job->remove_count++] =
						&plan->hosts[h];
		}
	}
	return jobs;
}

/* A sliver update to write to the store. */
struct sliver_write {
	int64_t tenant, vnet, generation;
	enum inp_sliver_kind kind;
	char *virtual_id;
	enum inp_operational_state operational;
	char error[256];
};

/* New sliver states from the switch table (under lock); the changes are
 * appended to writes. */
static uint32_t slivers_update(struct provisioner *p,
			       struct sliver_write **writes)
{
	uint32_t total = 0;
	for (uint32_t i = 0; i < p->plan_count; i++) {
		struct plan *plan = p->plans[i];
		/* Only plans new to this thread or on a node that changed
		 * can have new sliver states. */
		plan->stale = !plan->evaluated;
		for (uint32_t s = 0; !plan->stale && s < plan->sliver_count;
		     s++)
			for (uint32_t k = 0; k < plan->slivers[s].node_count;
			     k++)
				plan->stale |=
					p->switches[plan->slivers[s].nodes[k]]
						.changed;
		if (plan->stale)
			total += plan->sliver_count;
	}
	*writes = calloc(total + 1, sizeof(**writes));
	if (!*writes)
		return 0;
	uint32_t count = 0;
	for (uint32_t i = 0; i < p->plan_count; i++) {
		struct plan *plan = p->plans[i];
		if (!plan->stale)
			continue;
		plan->evaluated = true;
		for (uint32_t s = 0; s < plan->sliver_count; s++) {
			struct plan_sliver *sliver = &plan->slivers[s];
			enum inp_operational_state state =
				INP_OPERATIONAL_READY;
			const char *error = "";
			for (uint32_t k = 0; k < sliver->node_count; k++) {
				const struct switch_state *sw =
					&p->switches[sliver->nodes[k]];
				if (sw->error[0]) {
					state = INP_OPERATIONAL_FAILED;
					error = sw->error;
					break;
				}
				if (sw->applied != sw->wanted)
					state = INP_OPERATIONAL_CONFIGURING;
			}
			if (state == sliver->operational &&
			    strcmp(error, sliver->error) == 0)
				continue;
			sliver->operational = state;
			snprintf(sliver->error, sizeof(sliver->error), "%s",
				 error);
			struct sliver_write *write = &(*writes)[count++];
			write->tenant = plan->tenant;
			write->vnet = plan->vnet;
			write->generation = plan->generation;
			write->kind = sliver->kind;
			write->virtual_id = strdup(sliver->virtual_id);
			write->operational = state;
			snprintf(write->error, sizeof(write->error), "%s",
				 error);
		}
	}
	return count;
}

/* Withdrawn plans whose every node has been re-applied are done. */
static void withdrawn_collect(struct provisioner *p)
{
	for (uint32_t i = 0; i < p->withdrawn_count;) {
		struct plan *plan = p->withdrawn[i];
		bool done = true;
		for (uint32_t n = 0; n < p->node_count && done; n++)
			if (plan_touches(plan, n))
				done = p->switches[n].applied ==
					       p->switches[n].wanted ||
				       !p->switches[n].control[0];
		if (done) {
			p->withdrawn[i] = p->withdrawn[--p->withdrawn_count];
			plan_free(plan);
		} else {
			i++;
		}
	}
}

static bool port_listed(const json_t *names, const char *name)
{
	size_t i;
	json_t *item;
	json_array_foreach(names, i, item)
		if (strcmp(json_string_value(item) ?: "", name) == 0)
			return true;
	return false;
}

/* The links whose port at either end its switch reports without link
 * for a second (under lock). Only this thread writes link_port_down, so
 * it may be read without the lock after. Returns true when it changed. */
#define PORT_DOWN_SETTLE_MS 1000


static bool links_port_down_update(struct provisioner *p)
{
	const struct substrate *substrate = p->server->substrate;
	uint64_t now_ms = monotonic_ms();
	bool changed = false;
	for (uint32_t l = 0; l < substrate->link_count; l++) {
		const struct substrate_link *link = &substrate->links[l];
		bool down = false;
		for (int e = 0; e < 2; e++) {
			const struct substrate_node *node =
				&substrate->nodes[link->ends[e].node];
			const json_t *names =
				p->switches[link->ends[e].node].ports_down;
			down |= names &&
				port_listed(names,
					    node->ports[link->ends[e].port].name);
		}
		/* Down for a second: a link that is still coming up (the
		 * kernel settles a veth's state within a second) is not a
		 * failure. */
		uint64_t *since = &p->link_port_down_since[l];
		if (!down)
			*since = 0;
		else if (!*since)
			*since = now_ms;
		down = down && now_ms - *since >= PORT_DOWN_SETTLE_MS;
		changed |= down != p->link_port_down[l];
		p->link_port_down[l] = down;
	}
	return changed;
}

static bool any_dirty(const struct provisioner *p)
{
	for (uint32_t n = 0; n < p->node_count; n++)
		if (p->switches[n].applied != p->switches[n].wanted)
			return true;
	return false;
}

/* The jobs of one pass run side by side: a switch applying, or `ip`
 * making a namespace, mostly waits, and the nodes are independent (each
 * job has its own connection and its own node's state). */
#define PASS_THREADS_MAX 8

struct job_queue {
	struct provisioner *p;
	struct node_job *jobs;
	uint32_t count;
	uint32_t next; /* taken with __atomic_fetch_add */
};

static void *job_worker(void *context)
{
	struct job_queue *queue = context;
	for (;;) {
		uint32_t j = __atomic_fetch_add(&queue->next, 1,
						__ATOMIC_RELAXED);
		if (j >= queue->count)
			return NULL;
		struct node_job *job = &queue->jobs[j];
		job_run(queue->p, job, job->dirty);
	}
}

static void jobs_run(struct provisioner *p, struct node_job *jobs,
		     uint32_t count)
{
	struct job_queue queue = { p, jobs, count, 0 };
	uint32_t busy = 0;
	for (uint32_t j = 0; j < count; j++)
		busy += !jobs[j].probe_only;
	pthread_t threads[PASS_THREADS_MAX];
	uint32_t started = 0;
	uint32_t wanted = busy < PASS_THREADS_MAX ? busy : PASS_THREADS_MAX;
	while (started + 1 < wanted &&
	       pthread_create(&threads[started], NULL, job_worker, &queue) ==
		       0)
		started++;
	job_worker(&queue); /* this thread works too */
	for (uint32_t t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
}

static void pass(struct provisioner *p)
{
	pthread_mutex_lock(&p->lock);
	uint32_t count = 0;
	struct node_job *jobs = jobs_gather(p, &count);
	pthread_mutex_unlock(&p->lock);
	if (!jobs)
		return;

	jobs_run(p, jobs, count);

	pthread_mutex_lock(&p->lock);
	for (uint32_t j = 0; j < count; j++) {
		struct node_job *job = &jobs[j];
		struct switch_state *sw = &p->switches[job->node];
		bool was_failed = sw->error[0] != '\0';
		uint64_t was_applied = sw->applied;
		bool was_reachable = sw->reachable;
		sw->reachable = job->reachable;
		snprintf(sw->error, sizeof(sw->error), "%s", job->error);
		if (job->applied) {
			sw->applied = job->generation;
			snprintf(sw->instance, sizeof(sw->instance), "%s",
				 job->new_instance);
		}
		if (job->retry)
			sw->wanted = ++p->generation; /* apply in full */
		sw->changed = was_applied != sw->applied ||
			      was_failed != (job->error[0] != '\0') ||
			      was_reachable != sw->reachable || job->retry;
		if (job->new_base) {
			json_decref(sw->base);
			sw->base = json_incref(job->new_base);
		}
		sw->client = job->client;
		json_decref(sw->ports_down);
		sw->ports_down = job->reachable ? json_incref(job->ports_down) :
						  NULL;
		if (was_failed != (job->error[0] != '\0'))
			inp_log(job->error[0] ? "warning" : "info",
				job->error[0] ? "switch_failed" :
						"switch_recovered",
				json_pack("{s:s, s:s*}", "node",
					  p->server->substrate
						  ->nodes[job->node]
						  .id,
					  "error",
					  job->error[0] ? job->error : NULL));
		job_free(job);
	}
	free(jobs);
	struct sliver_write *writes = NULL;
	uint32_t write_count = slivers_update(p, &writes);
	withdrawn_collect(p);
	bool ports_changed = links_port_down_update(p);
	p->writing = write_count > 0;
	pthread_mutex_unlock(&p->lock);
	if (ports_changed)
		inp_port_report(p->server, p->link_port_down);

	struct inp_sliver_update *updates =
		calloc(write_count + 1, sizeof(*updates));
	uint32_t update_count = 0;
	for (uint32_t w = 0; updates && w < write_count; w++) {
		struct sliver_write *write = &writes[w];
		if (!write->virtual_id)
			continue;
		updates[update_count++] = (struct inp_sliver_update){
			.tenant = write->tenant,
			.vnet = write->vnet,
			.generation = write->generation,
			.kind = write->kind,
			.virtual_id = write->virtual_id,
			.allocation = write->operational ==
						      INP_OPERATIONAL_READY ?
					      INP_ALLOCATION_PROVISIONED :
					      INP_ALLOCATION_ALLOCATED,
			.operational = write->operational,
			.error = write->error[0] ? write->error : NULL,
		};
	}
	if (update_count &&
	    inp_store_slivers_update(p->store, updates, update_count))
		inp_log("error", "store_failed",
			json_pack("{s:s, s:s}", "what", "sliver states",
				  "error", inp_store_error(p->store)));
	free(updates);
	for (uint32_t w = 0; w < write_count; w++)
		free(writes[w].virtual_id);
	free(writes);

	pthread_mutex_lock(&p->lock);
	p->writing = false;
	pthread_cond_broadcast(&p->settled);
	pthread_mutex_unlock(&p->lock);
}

static void *provisioner_main(void *context)
{
	struct provisioner *p = context;
	unsigned interval = p->server->config.reconcile_interval_ms;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		/* Before the restore, an apply would wipe the VNets of a
		 * switch that kept running while the daemon was down. */
		while (!p->stopping && !p->restored)
			pthread_cond_wait(&p->wake, &p->lock);
		if (!p->stopping && !any_dirty(p)) {
			struct timespec deadline;
			clock_gettime(CLOCK_REALTIME, &deadline);
			deadline.tv_nsec += (long)interval * 1000000;
			deadline.tv_sec += deadline.tv_nsec / 1000000000;
			deadline.tv_nsec %= 1000000000;
			pthread_cond_timedwait(&p->wake, &p->lock, &deadline);
		}
		bool stopping = p->stopping;
		bool check_stale = !p->stale_hosts_checked;
		p->stale_hosts_checked |= check_stale;
		pthread_mutex_unlock(&p->lock);
		if (stopping)
			break;
		if (check_stale)
			stale_hosts_remove(p);
		pass(p);
	}
	return NULL;
}

struct provisioner *provisioner_start(struct inp_server *server, char *err,
				      size_t err_size)
{
	struct provisioner *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	p->server = server;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	pthread_cond_init(&p->settled, NULL);
	const struct substrate *substrate = server->substrate;
	p->node_count = substrate->node_count;
	p->switches = calloc(p->node_count + 1, sizeof(*p->switches));
	p->link_port_down =
		calloc(substrate->link_count + 1, sizeof(*p->link_port_down));
	p->link_port_down_since = calloc(substrate->link_count + 1,
					 sizeof(*p->link_port_down_since));
	if (!p->switches || !p->link_port_down || !p->link_port_down_since) {
		snprintf(err, err_size, "out of memory");
		goto fail;
	}
	/* Every node starts dirty: after a restart the daemon re-applies. */
	p->generation = 1;
	for (uint32_t n = 0; n < p->node_count; n++) {
		struct switch_state *sw = &p->switches[n];
		snprintf(sw->control, sizeof(sw->control), "%s",
			 substrate->nodes[n].control);
		sw->wanted = 1;
		for (uint32_t i = 0; i < server->config.switch_namespace_count;
		     i++)
			if (strcmp(server->config.switch_namespaces[i].node,
				   substrate->nodes[n].id) == 0)
				snprintf(sw->netns, sizeof(sw->netns), "%s",
					 server->config.switch_namespaces[i]
						 .netns);
	}
	p->store = inp_store_open(server->config.store, 0, err, err_size);
	if (!p->store)
		goto fail;
	if (inp_store_set_durability(p->store, server->config.store_sync_full)) {
		snprintf(err, err_size, "store: %s", inp_store_error(p->store));
		goto fail;
	}
	if (pthread_create(&p->thread, NULL, provisioner_main, p)) {
		snprintf(err, err_size, "cannot start the provisioner thread");
		goto fail;
	}
	p->started = true;
	return p;
fail:
	provisioner_stop(p);
	return NULL;
}

void provisioner_stop(struct provisioner *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	bool started = p->started;
	p->stopping = true;
	pthread_cond_broadcast(&p->wake);
	pthread_cond_broadcast(&p->settled);
	pthread_mutex_unlock(&p->lock);
	if (started)
		pthread_join(p->thread, NULL);
	for (uint32_t i = 0; i < p->plan_count; i++)
		plan_free(p->plans[i]);
	free(p->plans);
	for (uint32_t i = 0; i < p->withdrawn_count; i++)
		plan_free(p->withdrawn[i]);
	free(p->withdrawn);
	for (uint32_t n = 0; p->switches && n < p->node_count; n++) {
		json_decref(p->switches[n].base);
		json_decref(p->switches[n].ports_down);
		switch_client_close(p->switches[n].client);
	}
	free(p->switches);
	free(p->link_port_down);
	free(p->link_port_down_since);
	inp_store_close(p->store);
	pthread_cond_destroy(&p->wake);
	pthread_cond_destroy(&p->settled);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

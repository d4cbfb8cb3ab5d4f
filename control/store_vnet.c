/* The InP store's VNets (see "The InP store" in control.h): reserving a
 * VNet's slivers, CPU, bandwidth and tags in one transaction, reading VNets
 * back, changing and releasing them, expiry and the per-element totals.
 * The transaction rules are those of store.c; store_private.h has the
 * helpers both files use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "control.h"
#include "store_private.h"

/* ---- names ------------------------------------------------------------- */

#define _(name, text) text,
static const char *const vnet_state_names[] = { foreach_inp_vnet_state };
static const char *const sliver_kind_names[] = { foreach_inp_sliver_kind };
static const char *const allocation_names[] = { foreach_inp_allocation_state };
static const char *const operational_names[] = {
	foreach_inp_operational_state
};
static const char *const direction_names[] = { foreach_inp_direction };
static const char *const tag_kind_names[] = { foreach_inp_tag_kind };
#undef _

const char *inp_vnet_state_name(enum inp_vnet_state state)
{
	return name_of(vnet_state_names, COUNT(vnet_state_names), state);
}

const char *inp_sliver_kind_name(enum inp_sliver_kind kind)
{
	return name_of(sliver_kind_names, COUNT(sliver_kind_names), kind);
}

const char *inp_allocation_state_name(enum inp_allocation_state state)
{
	return name_of(allocation_names, COUNT(allocation_names), state);
}

const char *inp_operational_state_name(enum inp_operational_state state)
{
	return name_of(operational_names, COUNT(operational_names), state);
}

const char *inp_direction_name(enum inp_direction direction)
{
	return name_of(direction_names, COUNT(direction_names), direction);
}

const char *inp_tag_kind_name(enum inp_tag_kind kind)
{
	return name_of(tag_kind_names, COUNT(tag_kind_names), kind);
}

/* ---- reserving --------------------------------------------------------- */

/* The lowest tag in [first, last] free on the link: first itself, or one
 * past the end of the run of taken tags that starts there. */
static int tag_lowest_free(struct inp_store *store, const char *link,
			   uint32_t first, uint32_t last, uint32_t *tag)
{
	sqlite3_stmt *statement = prepare(store,
		"SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM tag_reservations"
		"    WHERE substrate_link = ?1 AND tag = ?2) THEN ?2"
		"  ELSE (SELECT t.tag + 1 FROM tag_reservations t"
		"    WHERE t.substrate_link = ?1 AND t.tag >= ?2 AND t.tag < ?3"
		"    AND NOT EXISTS (SELECT 1 FROM tag_reservations u"
		"      WHERE u.substrate_link = ?1 AND u.tag = t.tag + 1)"
		"    ORDER BY t.tag LIMIT 1) END");
	if (!statement)
		return -1;
	bind_text(statement, 1, link);
	sqlite3_bind_int64(statement, 2, first);
	sqlite3_bind_int64(statement, 3, last);
	int result = sqlite3_step(statement);
	bool none = result == SQLITE_ROW &&
		    sqlite3_column_type(statement, 0) == SQLITE_NULL;
	if (result == SQLITE_ROW && !none)
		*tag = (uint32_t)sqlite3_column_int64(statement, 0);
	sqlite3_finalize(statement);
	if (result != SQLITE_ROW)
		return fail_db(store, "free tag");
	if (none)
		return fail(store, INP_STORE_NO_FREE_TAG,
			    "no free tag in %u-%u on link '%s'", first, last,
			    link);
	return 0;
}

int inp_store_tag_free(struct inp_store *store, const char *substrate_link,
		       uint32_t first, uint32_t last, uint32_t *tag)
{
	if (!substrate_link || first == 0 || first > last)
		return fail(store, INP_STORE_INVALID, "invalid tag range");
	if (begin(store, false) < 0)
		return -1;
	if (tag_lowest_free(store, substrate_link, first, last, tag) < 0)
		return rollback(store);
	return commit(store);
}

/* The sum of all amounts on one resource, now (this transaction's view). */
static int resource_total(struct inp_store *store, const char *sql,
			  const char *resource, const char *direction,
			  int64_t *total)
{
	sqlite3_stmt *statement = prepare(store, sql);
	if (!statement)
		return -1;
	bind_text(statement, 1, resource);
	if (direction)
		bind_text(statement, 2, direction);
	int result = sqlite3_step(statement);
	if (result == SQLITE_ROW)
		*total = sqlite3_column_int64(statement, 0);
	sqlite3_finalize(statement);
	return result == SQLITE_ROW ? 0 : fail_db(store, "total");
}

static int reserve_check(struct inp_store *store, const struct inp_vnet *vnet)
{
	if (!vnet->name || !*vnet->name || !vnet->request ||
	    !vnet->request_format)
		return fail(store, INP_STORE_INVALID,
			    "a VNet needs a name, a request and its format");
	for (uint32_t i = 0; i < vnet->sliver_count; i++) {
		const struct inp_sliver *sliver = &vnet->slivers[i];
		if (!sliver->virtual_id ||
		    (unsigned)sliver->kind >= INP_SLIVER_KIND_COUNT ||
		    (unsigned)sliver->allocation >= INP_ALLOCATION_STATE_COUNT ||
		    (unsigned)sliver->operational >= INP_OPERATIONAL_STATE_COUNT)
			return fail(store, INP_STORE_INVALID,
				    "sliver %u is invalid", i);
	}
	for (uint32_t i = 0; i < vnet->cpu_count; i++)
		if (!vnet->cpu[i].substrate_node || vnet->cpu[i].amount <= 0)
			return fail(store, INP_STORE_INVALID,
				    "CPU reservation %u is invalid", i);
	for (uint32_t i = 0; i < vnet->bandwidth_count; i++)
		if (!vnet->bandwidth[i].substrate_link ||
		    vnet->bandwidth[i].amount <= 0 ||
		    (unsigned)vnet->bandwidth[i].direction >=
			    INP_DIRECTION_COUNT)
			return fail(store, INP_STORE_INVALID,
				    "bandwidth reservation %u is invalid", i);
	for (uint32_t i = 0; i < vnet->tag_count; i++) {
		const struct inp_tag_reservation *tag = &vnet->tags[i];
		bool ranged = tag->first || tag->last;
		if (!tag->substrate_link ||
		    (unsigned)tag->kind >= INP_TAG_KIND_COUNT ||
		    (ranged && (tag->first == 0 || tag->first > tag->last)) ||
		    (!tag->tag && !ranged) ||
		    (tag->tag && ranged &&
		     (tag->tag < tag->first || tag->tag > tag->last)))
			return fail(store, INP_STORE_INVALID,
				    "tag reservation %u is invalid", i);
	}
	return 0;
}

static int reserve_slivers(struct inp_store *store, int64_t id,
			   const struct inp_vnet *vnet)
{
	for (uint32_t i = 0; i < vnet->sliver_count; i++) {
		const struct inp_sliver *sliver = &vnet->slivers[i];
		sqlite3_stmt *statement = prepare(store,
			"INSERT INTO slivers (vnet, kind, virtual_id, placement,"
			" allocation, operational, error)"
			" VALUES (?, ?, ?, ?, ?, ?, ?)");
		if (!statement)
			return -1;
		sqlite3_bind_int64(statement, 1, id);
		bind_text(statement, 2, inp_sliver_kind_name(sliver->kind));
		bind_text(statement, 3, sliver->virtual_id);
		bind_text(statement, 4,
			  sliver->placement ? sliver->placement : "");
		bind_text(statement, 5,
			  inp_allocation_state_name(sliver->allocation));
		bind_text(statement, 6,
			  inp_operational_state_name(sliver->operational));
		bind_text(statement, 7, sliver->error);
		int result = run(statement);
		if (is_constraint(result))
			return fail(store, INP_STORE_INVALID,
				    "%s sliver '%s' twice",
				    inp_sliver_kind_name(sliver->kind),
				    sliver->virtual_id);
		if (result != SQLITE_DONE)
			return fail_db(store, "sliver");
	}
	return 0;
}

static int reserve_cpu(struct inp_store *store, int64_t id,
		       const struct inp_vnet *vnet)
{
	for (uint32_t i = 0; i < vnet->cpu_count; i++) {
		sqlite3_stmt *statement = prepare(store,
			"INSERT INTO cpu_reservations (substrate_node, vnet,"
			" amount) VALUES (?, ?, ?)");
		if (!statement)
			return -1;
		bind_text(statement, 1, vnet->cpu[i].substrate_node);
		sqlite3_bind_int64(statement, 2, id);
		sqlite3_bind_int64(statement, 3, vnet->cpu[i].amount);
		if (run(statement) != SQLITE_DONE)
			return fail_db(store, "CPU reservation");
	}
	/* After all inserts, so two entries on one node count together. */
	for (uint32_t i = 0; i < vnet->cpu_count; i++) {
		int64_t total = 0;
		if (resource_total(store,
				   "SELECT coalesce(sum(amount), 0) FROM "
				   "cpu_reservations WHERE substrate_node = ?",
				   vnet->cpu[i].substrate_node, NULL,
				   &total) < 0)
			return -1;
		if (total > vnet->cpu[i].capacity)
			return fail(store, INP_STORE_CAPACITY,
				    "CPU of node '%s': %lld of %lld "
				    "millionths of a core",
				    vnet->cpu[i].substrate_node,
				    (long long)total,
				    (long long)vnet->cpu[i].capacity);
	}
	return 0;
}

static int reserve_bandwidth(struct inp_store *store, int64_t id,
			     const struct inp_vnet *vnet)
{
	for (uint32_t i = 0; i < vnet->bandwidth_count; i++) {
		const struct inp_bandwidth_reservation *bandwidth =
			&vnet->bandwidth[i];
		sqlite3_stmt *statement = prepare(store,
			"INSERT INTO bandwidth_reservations (substrate_link,"
			" direction, vnet, amount) VALUES (?, ?, ?, ?)");
		if (!statement)
			return -1;
		bind_text(statement, 1, bandwidth->substrate_link);
		bind_text(statement, 2,
			  inp_direction_name(bandwidth->direction));
		sqlite3_bind_int64(statement, 3, id);
		sqlite3_bind_int64(statement, 4, bandwidth->amount);
		if (run(statement) != SQLITE_DONE)
			return fail_db(store, "bandwidth reservation");
	}
	for (uint32_t i = 0; i < vnet->bandwidth_count; i++) {
		const struct inp_bandwidth_reservation *bandwidth =
			&vnet->bandwidth[i];
		int64_t total = 0;
		if (resource_total(store,
				   "SELECT coalesce(sum(amount), 0) FROM "
				   "bandwidth_reservations WHERE "
				   "substrate_link = ? AND direction = ?",
				   bandwidth->substrate_link,
				   inp_direction_name(bandwidth->direction),
				   &total) < 0)
			return -1;
		if (total > bandwidth->capacity)
			return fail(store, INP_STORE_CAPACITY,
				    "bandwidth of link '%s' (%s): %lld of "
				    "%lld kbit/s",
				    bandwidth->substrate_link,
				    inp_direction_name(bandwidth->direction),
				    (long long)total,
				    (long long)bandwidth->capacity);
	}
	return 0;
}

static int reserve_tags(struct inp_store *store, int64_t id,
			struct inp_vnet *vnet)
{
	for (uint32_t i = 0; i < vnet->tag_count; i++) {
		struct inp_tag_reservation *tag = &vnet->tags[i];
		uint32_t number = tag->tag;
		if (!number && tag_lowest_free(store, tag->substrate_link,
					       tag->first, tag->last,
					       &number) < 0)
			return -1;
		sqlite3_stmt *statement = prepare(store,
			"INSERT INTO tag_reservations (substrate_link, tag,"
			" vnet, kind) VALUES (?, ?, ?, ?)");
		if (!statement)
			return -1;
		bind_text(statement, 1, tag->substrate_link);
		sqlite3_bind_int64(statement, 2, number);
		sqlite3_bind_int64(statement, 3, id);
		bind_text(statement, 4, inp_tag_kind_name(tag->kind));
		int result = run(statement);
		if (is_constraint(result))
			return fail(store, INP_STORE_TAG_TAKEN,
				    "tag %u on link '%s' is taken", number,
				    tag->substrate_link);
		if (result != SQLITE_DONE)
			return fail_db(store, "tag reservation");
		tag->tag = number;
	}
	return 0;
}

int inp_store_vnet_reserve(struct inp_store *store, int64_t tenant,
			   struct inp_vnet *vnet, int64_t *id)
{
	if (reserve_check(store, vnet) < 0)
		return -1;
	/* Remember which tags are ours to pick, to undo the picks on failure. */
	bool *picked = calloc(vnet->tag_count + 1, sizeof(*picked));
	if (!picked)
		return fail(store, INP_STORE_NO_MEMORY, "out of memory");
	for (uint32_t i = 0; i < vnet->tag_count; i++)
		picked[i] = vnet->tags[i].tag == 0;
	int64_t now = store_now(store), vnet_id = 0;
	if (begin(store, true) < 0)
		goto fail;
	if (store_tenant_exists(store, tenant) < 0)
		goto fail_rollback;
	sqlite3_stmt *statement = prepare(store,
		"INSERT INTO vnets (tenant, name, request, request_format,"
		" state, lease_end, created, updated)"
		" VALUES (?, ?, ?, ?, 'reserved', ?, ?, ?)");
	if (!statement)
		goto fail_rollback;
	sqlite3_bind_int64(statement, 1, tenant);
	bind_text(statement, 2, vnet->name);
	bind_text(statement, 3, vnet->request);
	bind_text(statement, 4, vnet->request_format);
	sqlite3_bind_int64(statement, 5, vnet->lease_end);
	sqlite3_bind_int64(statement, 6, now);
	sqlite3_bind_int64(statement, 7, now);
	int result = run(statement);
	if (is_constraint(result)) {
		fail(store, INP_STORE_EXISTS, "VNet '%s' exists", vnet->name);
		goto fail_rollback;
	}
	if (result != SQLITE_DONE) {
		fail_db(store, "VNet reserve");
		goto fail_rollback;
	}
	vnet_id = sqlite3_last_insert_rowid(store->db);
	if (reserve_slivers(store, vnet_id, vnet) < 0 ||
	    reserve_cpu(store, vnet_id, vnet) < 0 ||
	    reserve_bandwidth(store, vnet_id, vnet) < 0 ||
	    reserve_tags(store, vnet_id, vnet) < 0 ||
	    log_event(store, tenant, vnet_id, "VNet reserved") < 0)
		goto fail_rollback;
	if (commit(store) < 0)
		goto fail;
	free(picked);
	if (id)
		*id = vnet_id;
	return 0;
fail_rollback:
	rollback(store);
fail:
	for (uint32_t i = 0; i < vnet->tag_count; i++)
		if (picked[i])
			vnet->tags[i].tag = 0;
	free(picked);
	return -1;
}

/* ---- reading VNets ----------------------------------------------------- */

static char *column_dup(sqlite3_stmt *statement, int column, bool *failed)
{
	const unsigned char *text = sqlite3_column_text(statement, column);
	if (!text)
		return NULL;
	char *copy = strdup((const char *)text);
	if (!copy)
		*failed = true;
	return copy;
}

static int column_enum(sqlite3_stmt *statement, int column,
		       const char *const *names, size_t count)
{
	int value = name_parse(names, count,
			       sqlite3_column_text(statement, column));
	return value < 0 ? 0 : value;
}

void inp_vnet_free(struct inp_vnet *vnet)
{
	if (!vnet)
		return;
	free(vnet->name);
	free(vnet->request);
	free(vnet->request_format);
	for (uint32_t i = 0; i < vnet->sliver_count; i++) {
		free(vnet->slivers[i].virtual_id);
		free(vnet->slivers[i].placement);
		free(vnet->slivers[i].error);
	}
	free(vnet->slivers);
	for (uint32_t i = 0; i < vnet->cpu_count; i++)
		free(vnet->cpu[i].substrate_node);
	free(vnet->cpu);
	for (uint32_t i = 0; i < vnet->bandwidth_count; i++)
		free(vnet->bandwidth[i].substrate_link);
	free(vnet->bandwidth);
	for (uint32_t i = 0; i < vnet->tag_count; i++)
		free(vnet->tags[i].substrate_link);
	free(vnet->tags);
	memset(vnet, 0, sizeof(*vnet));
}

/* Runs a query of one VNet's rows and calls read for each into a growing
 * array of element_size elements. */
static int read_rows(struct inp_store *store, const char *sql, int64_t id,
		     void **array, uint32_t *count, size_t element_size,
		     void (*read)(sqlite3_stmt *, void *, bool *))
{
	sqlite3_stmt *statement = prepare(store, sql);
	if (!statement)
		return -1;
	sqlite3_bind_int64(statement, 1, id);
	uint32_t capacity = 0;
	bool failed = false;
	int result;
	while (!failed && (result = sqlite3_step(statement)) == SQLITE_ROW) {
		if (*count == capacity) {
			uint32_t grown = capacity ? capacity * 2 : 8;
			void *bigger = realloc(*array, grown * element_size);
			if (!bigger) {
				failed = true;
				break;
			}
			memset((char *)bigger + capacity * element_size, 0,
			       (grown - capacity) * element_size);
			*array = bigger;
			capacity = grown;
		}
		read(statement, (char *)*array + *count * element_size,
		     &failed);
		(*count)++;
	}
	sqlite3_finalize(statement);
	if (failed)
		return fail(store, INP_STORE_NO_MEMORY, "out of memory");
	if (result != SQLITE_DONE)
		return fail_db(store, "read");
	return 0;
}

static void sliver_read(sqlite3_stmt *statement, void *element, bool *failed)
{
	struct inp_sliver *sliver = element;
	sliver->kind = column_enum(statement, 0, sliver_kind_names,
				   COUNT(sliver_kind_names));
	sliver->virtual_id = column_dup(statement, 1, failed);
	sliver->placement = column_dup(statement, 2, failed);
	sliver->allocation = column_enum(statement, 3, allocation_names,
					 COUNT(allocation_names));
	sliver->operational = column_enum(statement, 4, operational_names,
					  COUNT(operational_names));
	sliver->error = column_dup(statement, 5, failed);
}

static void cpu_read(sqlite3_stmt *statement, void *element, bool *failed)
{
	struct inp_cpu_reservation *cpu = element;
	cpu->substrate_node = column_dup(statement, 0, failed);
	cpu->amount = sqlite3_column_int64(statement, 1);
}

static void bandwidth_read(sqlite3_stmt *statement, void *element,
			   bool *failed)
{
	struct inp_bandwidth_reservation *bandwidth = element;
	bandwidth->substrate_link = column_dup(statement, 0, failed);
	bandwidth->direction = column_enum(statement, 1, direction_names,
					   COUNT(direction_names));
	bandwidth->amount = sqlite3_column_int64(statement, 2);
}

static void tag_read(sqlite3_stmt *statement, void *element, bool *failed)
{
	struct inp_tag_reservation *tag = element;
	tag->substrate_link = column_dup(statement, 0, failed);
	tag->tag = (uint32_t)sqlite3_column_int64(statement, 1);
	tag->kind = column_enum(statement, 2, tag_kind_names,
				COUNT(tag_kind_names));
}

#define VNET_COLUMNS                                                        \
	"id, tenant, name, request_format, state, lease_end, created, "     \
	"updated, generation"

static void vnet_read(sqlite3_stmt *statement, struct inp_vnet *vnet,
		      bool *failed)
{
	vnet->id = sqlite3_column_int64(statement, 0);
	vnet->tenant = sqlite3_column_int64(statement, 1);
	vnet->name = column_dup(statement, 2, failed);
	vnet->request_format = column_dup(statement, 3, failed);
	vnet->state = column_enum(statement, 4, vnet_state_names,
				  COUNT(vnet_state_names));
	vnet->lease_end = sqlite3_column_int64(statement, 5);
	vnet->created = sqlite3_column_int64(statement, 6);
	vnet->updated = sqlite3_column_int64(statement, 7);
	vnet->generation = sqlite3_column_int64(statement, 8);
}

int inp_store_vnet_get(struct inp_store *store, int64_t tenant, int64_t id,
		       struct inp_vnet *vnet)
{
	memset(vnet, 0, sizeof(*vnet));
	if (begin(store, false) < 0)
		return -1;
	sqlite3_stmt *statement = prepare(store,
		"SELECT " VNET_COLUMNS ", request FROM vnets"
		" WHERE id = ? AND tenant = ?");
	if (!statement)
		return rollback(store);
	sqlite3_bind_int64(statement, 1, id);
	sqlite3_bind_int64(statement, 2, tenant);
	int result = sqlite3_step(statement);
	bool failed = false;
	if (result == SQLITE_ROW) {
		vnet_read(statement, vnet, &failed);
		vnet->request = column_dup(statement, 9, &failed);
	}
	sqlite3_finalize(statement);
	if (result == SQLITE_DONE)
		fail(store, INP_STORE_NOT_FOUND, "no VNet %lld",
		     (long long)id);
	else if (result != SQLITE_ROW)
		fail_db(store, "VNet get");
	else if (failed)
		fail(store, INP_STORE_NO_MEMORY, "out of memory");
	if (result != SQLITE_ROW || failed)
		goto fail;
	if (read_rows(store,
		      "SELECT kind, virtual_id, placement, allocation,"
		      " operational, error FROM slivers WHERE vnet = ?"
		      " ORDER BY kind DESC, virtual_id",
		      id, (void **)&vnet->slivers, &vnet->sliver_count,
		      sizeof(*vnet->slivers), sliver_read) < 0 ||
	    read_rows(store,
		      "SELECT substrate_node, amount FROM cpu_reservations"
		      " WHERE vnet = ? ORDER BY id",
		      id, (void **)&vnet->cpu, &vnet->cpu_count,
		      sizeof(*vnet->cpu), cpu_read) < 0 ||
	    read_rows(store,
		      "SELECT substrate_link, direction, amount FROM"
		      " bandwidth_reservations WHERE vnet = ? ORDER BY id",
		      id, (void **)&vnet->bandwidth, &vnet->bandwidth_count,
		      sizeof(*vnet->bandwidth), bandwidth_read) < 0 ||
	    read_rows(store,
		      "SELECT substrate_link, tag, kind FROM tag_reservations"
		      " WHERE vnet = ? ORDER BY rowid",
		      id, (void **)&vnet->tags, &vnet->tag_count,
		      sizeof(*vnet->tags), tag_read) < 0)
		goto fail;
	if (commit(store) < 0)
		goto fail;
	return 0;
fail:
	rollback(store);
	inp_vnet_free(vnet);
	return -1;
}

int inp_store_vnet_list(struct inp_store *store, int64_t tenant,
			bool include_deleted,
			int (*fn)(void *context, const struct inp_vnet *vnet),
			void *context)
{
	if (begin(store, false) < 0)
		return -1;
	sqlite3_stmt *statement = prepare(store, include_deleted
		? "SELECT " VNET_COLUMNS " FROM vnets WHERE tenant = ?"
		  " ORDER BY id"
		: "SELECT " VNET_COLUMNS " FROM vnets WHERE tenant = ?"
		  " AND state = 'reserved' ORDER BY id");
	if (!statement)
		return rollback(store);
	sqlite3_bind_int64(statement, 1, tenant);
	int result, stop = 0;
	bool failed = false;
	while (!stop && !failed &&
	       (result = sqlite3_step(statement)) == SQLITE_ROW) {
		struct inp_vnet vnet = { 0 };
		vnet_read(statement, &vnet, &failed);
		if (!failed)
			stop = fn(context, &vnet);
		inp_vnet_free(&vnet);
	}
	sqlite3_finalize(statement);
	if (failed) {
		fail(store, INP_STORE_NO_MEMORY, "out of memory");
		return rollback(store);
	}
	if (!stop && result != SQLITE_DONE) {
		fail_db(store, "VNet list");
		return rollback(store);
	}
	if (commit(store) < 0)
		return -1;
	return stop;
}

/* ---- changing VNets ---------------------------------------------------- */

int inp_store_sliver_update(struct inp_store *store, int64_t tenant,
			    int64_t vnet, enum inp_sliver_kind kind,
			    const char *virtual_id,
			    enum inp_allocation_state allocation,
			    enum inp_operational_state operational,
			    const char *error)
{
	if (!virtual_id || (unsigned)kind >= INP_SLIVER_KIND_COUNT ||
	    (unsigned)allocation >= INP_ALLOCATION_STATE_COUNT ||
	    (unsigned)operational >= INP_OPERATIONAL_STATE_COUNT)
		return fail(store, INP_STORE_INVALID, "invalid sliver state");
	if (begin(store, true) < 0)
		return -1;
	sqlite3_stmt *statement = prepare(store,
		"UPDATE slivers SET allocation = ?, operational = ?,"
		" error = ? WHERE vnet = ? AND kind = ? AND virtual_id = ?"
		" AND vnet IN (SELECT id FROM vnets WHERE id = ?"
		"  AND tenant = ? AND state = 'reserved')");
	if (!statement)
		return rollback(store);
	bind_text(statement, 1, inp_allocation_state_name(allocation));
	bind_text(statement, 2, inp_operational_state_name(operational));
	bind_text(statement, 3, error);
	sqlite3_bind_int64(statement, 4, vnet);
	bind_text(statement, 5, inp_sliver_kind_name(kind));
	bind_text(statement, 6, virtual_id);
	sqlite3_bind_int64(statement, 7, vnet);
	sqlite3_bind_int64(statement, 8, tenant);
	if (run(statement) != SQLITE_DONE) {
		fail_db(store, "sliver update");
		return rollback(store);
	}
	if (sqlite3_changes(store->db) == 0) {
		fail(store, INP_STORE_NOT_FOUND, "no %s sliver '%s' in VNet "
		     "%lld", inp_sliver_kind_name(kind), virtual_id,
		     (long long)vnet);
		return rollback(store);
	}
	statement = prepare(store, "UPDATE vnets SET updated = ? WHERE id = ?");
	if (!statement)
		return rollback(store);
	sqlite3_bind_int64(statement, 1, store_now(store));
	sqlite3_bind_int64(statement, 2, vnet);
	if (run(statement) != SQLITE_DONE) {
		fail_db(store, "sliver update");
		return rollback(store);
	}
	return commit(store);
}

/* One transaction (one sync) for a whole provisioning pass. */
int inp_store_slivers_update(struct inp_store *store,
			     const struct inp_sliver_update *updates,
			     size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (!updates[i].virtual_id ||
		    (unsigned)updates[i].kind >= INP_SLIVER_KIND_COUNT ||
		    (unsigned)updates[i].allocation >=
			    INP_ALLOCATION_STATE_COUNT ||
		    (unsigned)updates[i].operational >=
			    INP_OPERATIONAL_STATE_COUNT)
			return fail(store, INP_STORE_INVALID,
				    "invalid sliver state (update %zu)", i);
	if (!count)
		return 0;
	if (begin(store, true) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		const struct inp_sliver_update *update = &updates[i];
		sqlite3_stmt *statement = prepare(store,
			"UPDATE slivers SET allocation = ?, operational = ?,"
			" error = ? WHERE vnet = ? AND kind = ? AND"
			" virtual_id = ? AND allocation != 'unallocated' AND"
			" vnet IN (SELECT id FROM vnets"
			"  WHERE id = ? AND tenant = ? AND state = 'reserved'"
			"  AND generation = ?)");
		if (!statement)
			return rollback(store);
		bind_text(statement, 1,
			  inp_allocation_state_name(update->allocation));
		bind_text(statement, 2,
			  inp_operational_state_name(update->operational));
		bind_text(statement, 3, update->error);
		sqlite3_bind_int64(statement, 4, update->vnet);
		bind_text(statement, 5, inp_sliver_kind_name(update->kind));
		bind_text(statement, 6, update->virtual_id);
		sqlite3_bind_int64(statement, 7, update->vnet);
		sqlite3_bind_int64(statement, 8, update->tenant);
		sqlite3_bind_int64(statement, 9, update->generation);
		if (run(statement) != SQLITE_DONE) {
			fail_db(store, "sliver update");
			return rollback(store);
		}
	}
	return commit(store);
}

int inp_store_vnet_renew(struct inp_store *store, int64_t tenant, int64_t id,
			 int64_t lease_end)
{
	int64_t now = store_now(store);
	if (lease_end <= now)
		return fail(store, INP_STORE_INVALID,
			    "a lease must end in the future");
	if (begin(store, true) < 0)
		return -1;
	sqlite3_stmt *statement = prepare(store,
		"UPDATE vnets SET lease_end = ?, updated = ?"
		" WHERE id = ? AND tenant = ? AND state = 'reserved'");
	if (!statement)
		return rollback(store);
	sqlite3_bind_int64(statement, 1, lease_end);
	sqlite3_bind_int64(statement, 2, now);
	sqlite3_bind_int64(statement, 3, id);
	sqlite3_bind_int64(statement, 4, tenant);
	if (run(statement) != SQLITE_DONE) {
		fail_db(store, "renew");
		return rollback(store);
	}
	if (sqlite3_changes(store->db) == 0) {
		fail(store, INP_STORE_NOT_FOUND, "no reserved VNet %lld",
		     (long long)id);
		return rollback(store);
	}
	if (log_event(store, tenant, id, "VNet renewed") < 0)
		return rollback(store);
	return commit(store);
}

static int exec_for_vnet(struct inp_store *store, const char *sql,
			 int64_t id, int64_t now)
{
	sqlite3_stmt *statement = prepare(store, sql);
	if (!statement)
		return -1;
	sqlite3_bind_int64(statement, 1, id);
	if (sqlite3_bind_parameter_count(statement) > 1)
		sqlite3_bind_int64(statement, 2, now);
	if (run(statement) != SQLITE_DONE)
		return fail_db(store, "release");
	return 0;
}

int inp_store_vnet_release(struct inp_store *store, int64_t tenant,
			   int64_t id)
{
	if (begin(store, true) < 0)
		return -1;
	sqlite3_stmt *statement = prepare(store,
		"SELECT state FROM vnets WHERE id = ? AND tenant = ?");
	if (!statement)
		return rollback(store);
	sqlite3_bind_int64(statement, 1, id);
	sqlite3_bind_int64(statement, 2, tenant);
	int result = sqlite3_step(statement);
	bool deleted = result == SQLITE_ROW &&
		       column_enum(statement, 0, vnet_state_names,
				   COUNT(vnet_state_names)) == INP_VNET_DELETED;
	sqlite3_finalize(statement);
	if (result == SQLITE_DONE) {
		fail(store, INP_STORE_NOT_FOUND, "no VNet %lld",
		     (long long)id);
		return rollback(store);
	}
	if (result != SQLITE_ROW) {
		fail_db(store, "release");
		return rollback(store);
	}
	if (deleted) /* released before: nothing left to do */
		return commit(store);
	int64_t now = store_now(store);
	if (exec_for_vnet(store,
			  "DELETE FROM cpu_reservations WHERE vnet = ?", id,
			  now) < 0 ||
	    exec_for_vnet(store,
			  "DELETE FROM bandwidth_reservations WHERE vnet = ?",
			  id, now) < 0 ||
	    exec_for_vnet(store,
			  "DELETE FROM tag_reservations WHERE vnet = ?", id,
			  now) < 0 ||
	    exec_for_vnet(store,
			  "UPDATE slivers SET allocation = 'unallocated',"
			  " operational = 'notready' WHERE vnet = ?",
			  id, now) < 0 ||
	    exec_for_vnet(store,
			  "UPDATE vnets SET state = 'deleted', updated = ?2"
			  " WHERE id = ?1",
			  id, now) < 0 ||
	    log_event(store, tenant, id, "VNet released") < 0)
		return rollback(store);
	return commit(store);
}

/* Collected first and handed out after the read ends, so fn may release
 * each VNet on this same handle. */
int inp_store_vnet_expired(struct inp_store *store,
			   int (*fn)(void *context, int64_t tenant,
				     int64_t id),
			   void *context)
{
	if (begin(store, false) < 0)
		return -1;
	sqlite3_stmt *statement = prepare(store,
		"SELECT tenant, id FROM vnets WHERE state = 'reserved'"
		" AND lease_end <= ? ORDER BY lease_end, id");
	if (!statement)
		return rollback(store);
	sqlite3_bind_int64(statement, 1, store_now(store));
	int64_t *rows = NULL;
	size_t count = 0, capacity = 0;
	int result;
	while ((result = sqlite3_step(statement)) == SQLITE_ROW) {
		if (count == capacity) {
			capacity = capacity ? capacity * 2 : 16;
			int64_t *bigger =
				realloc(rows, capacity * 2 * sizeof(*rows));
			if (!bigger) {
				sqlite3_finalize(statement);
				free(rows);
				fail(store, INP_STORE_NO_MEMORY,
				     "out of memory");
				return rollback(store);
			}
			rows = bigger;
		}
		rows[2 * count] = sqlite3_column_int64(statement, 0);
		rows[2 * count + 1] = sqlite3_column_int64(statement, 1);
		count++;
	}
	sqlite3_finalize(statement);
	if (result != SQLITE_DONE) {
		free(rows);
		fail_db(store, "expired");
		return rollback(store);
	}
	if (commit(store) < 0) {
		free(rows);
		return -1;
	}
	int stop = 0;
	for (size_t i = 0; i < count && !stop; i++)
		stop = fn(context, rows[2 * i], rows[2 * i + 1]);
	free(rows);
	return stop;
}

/* ---- totals ------------------------------------------------------------ */

/* Walks rows of (text, [direction,] integer): the shape of every total. */
static int totals(struct inp_store *store, const char *sql,
		  int (*row)(void *closure, sqlite3_stmt *statement),
		  void *closure)
{
	if (begin(store, false) < 0)
		return -1;
	sqlite3_stmt *statement = prepare(store, sql);
	if (!statement)
		return rollback(store);
	int result, stop = 0;
	while (!stop && (result = sqlite3_step(statement)) == SQLITE_ROW)
		stop = row(closure, statement);
	sqlite3_finalize(statement);
	if (!stop && result != SQLITE_DONE) {
		fail_db(store, "totals");
		return rollback(store);
	}
	if (commit(store) < 0)
		return -1;
	return stop;
}

/* One amount per substrate element: a node's CPU, a link's tag count. */
struct element_totals {
	int (*fn)(void *context, const char *element, int64_t amount);
	void *context;
};

static int element_total_row(void *closure, sqlite3_stmt *statement)
{
	struct element_totals *walk = closure;
	return walk->fn(walk->context,
			(const char *)sqlite3_column_text(statement, 0),
			sqlite3_column_int64(statement, 1));
}

int inp_store_node_totals(struct inp_store *store,
			  int (*fn)(void *context, const char *substrate_node,
				    int64_t cpu),
			  void *context)
{
	struct element_totals walk = { fn, context };
	return totals(store,
		      "SELECT substrate_node, sum(amount) FROM"
		      " cpu_reservations GROUP BY substrate_node"
		      " ORDER BY substrate_node",
		      element_total_row, &walk);
}

struct link_totals {
	int (*fn)(void *context, const char *substrate_link,
		  enum inp_direction direction, int64_t bandwidth);
	void *context;
};

static int link_total_row(void *closure, sqlite3_stmt *statement)
{
	struct link_totals *walk = closure;
	return walk->fn(walk->context,
			(const char *)sqlite3_column_text(statement, 0),
			column_enum(statement, 1, direction_names,
				    COUNT(direction_names)),
			sqlite3_column_int64(statement, 2));
}

int inp_store_link_totals(struct inp_store *store,
			  int (*fn)(void *context, const char *substrate_link,
				    enum inp_direction direction,
				    int64_t bandwidth),
			  void *context)
{
	struct link_totals walk = { fn, context };
	return totals(store,
		      "SELECT substrate_link, direction, sum(amount) FROM"
		      " bandwidth_reservations GROUP BY substrate_link,"
		      " direction ORDER BY substrate_link, direction",
		      link_total_row, &walk);
}

int inp_store_tag_totals(struct inp_store *store,
			 int (*fn)(void *context, const char *substrate_link,
				   int64_t tags),
			 void *context)
{
	struct element_totals walk = { fn, context };
	return totals(store,
		      "SELECT substrate_link, count(*) FROM tag_reservations"
		      " GROUP BY substrate_link ORDER BY substrate_link",
		      element_total_row, &walk);
}

/* ---- re-embedding ------------------------------------------------------ */

int inp_store_vnet_replace(struct inp_store *store, int64_t tenant,
			   int64_t id, struct inp_vnet *vnet)
{
	/* The record itself stays: only its slivers and reservations are
	 * checked and replaced. */
	struct inp_vnet checked = *vnet;
	checked.name = (char *)"replacement";
	checked.request = (char *)"";
	checked.request_format = (char *)"";
	if (reserve_check(store, &checked) < 0)
		return -1;
	bool *picked = calloc(vnet->tag_count + 1, sizeof(*picked));
	if (!picked)
		return fail(store, INP_STORE_NO_MEMORY, "out of memory");
	for (uint32_t i = 0; i < vnet->tag_count; i++)
		picked[i] = vnet->tags[i].tag == 0;
	int64_t now = store_now(store);
	if (begin(store, true) < 0)
		goto fail;
	sqlite3_stmt *statement = prepare(store,
		"SELECT state FROM vnets WHERE id = ? AND tenant = ?");
	if (!statement)
		goto fail_rollback;
	sqlite3_bind_int64(statement, 1, id);
	sqlite3_bind_int64(statement, 2, tenant);
	int result = sqlite3_step(statement);
	bool reserved = result == SQLITE_ROW &&
			column_enum(statement, 0, vnet_state_names,
				    COUNT(vnet_state_names)) ==
				INP_VNET_RESERVED;
	sqlite3_finalize(statement);
	if (result != SQLITE_ROW || !reserved) {
		if (result == SQLITE_ROW || result == SQLITE_DONE)
			fail(store, INP_STORE_NOT_FOUND,
			     "no reserved VNet %lld", (long long)id);
		else
			fail_db(store, "replace");
		goto fail_rollback;
	}
	if (exec_for_vnet(store, "DELETE FROM cpu_reservations WHERE vnet = ?",
			  id, now) < 0 ||
	    exec_for_vnet(store,
			  "DELETE FROM bandwidth_reservations WHERE vnet = ?",
			  id, now) < 0 ||
	    exec_for_vnet(store, "DELETE FROM tag_reservations WHERE vnet = ?",
			  id, now) < 0 ||
	    exec_for_vnet(store, "DELETE FROM slivers WHERE vnet = ?", id,
			  now) < 0 ||
	    reserve_slivers(store, id, vnet) < 0 ||
	    reserve_cpu(store, id, vnet) < 0 ||
	    reserve_bandwidth(store, id, vnet) < 0 ||
	    reserve_tags(store, id, vnet) < 0 ||
	    exec_for_vnet(store,
			  "UPDATE vnets SET updated = ?2,"
			  " generation = generation + 1 WHERE id = ?1",
			  id, now) < 0 ||
	    log_event(store, tenant, id,
		      vnet->cpu_count ? "VNet re-embedded" :
					"VNet failed: reservations released") <
		    0)
		goto fail_rollback;
	if (commit(store) < 0)
		goto fail;
	free(picked);
	return 0;
fail_rollback:
	rollback(store);
fail:
	for (uint32_t i = 0; i < vnet->tag_count; i++)
		if (picked[i])
			vnet->tags[i].tag = 0;
	free(picked);
	return -1;
}

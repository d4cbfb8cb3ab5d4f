/* The InP store: loom-inp's state in one SQLite file (see "The InP store" in
 * control.h for the model and the guarantees).
 *
 * Every public call is one transaction: writes BEGIN IMMEDIATE, so the
 * write lock is taken before anything is read and two connections can
 * never both decide that the same capacity or tag is free; reads BEGIN
 * DEFERRED, so a multi-statement answer (a VNet with its slivers) is one
 * snapshot. The database enforces what it can by itself (a tag UNIQUE per
 * link, reservations only on reserved VNets, foreign keys with cascades)
 * so a bug in this file cannot double-book either.
 *
 * This file opens the store (schema and migrations) and keeps tenants and
 * their API tokens; store_vnet.c keeps VNets, their slivers and
 * reservations; store_private.h holds what both share.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "control.h"
#include "store_private.h"

#define DEFAULT_BUSY_TIMEOUT_MS 5000
#define SHA256_SIZE 32

/* ---- names ------------------------------------------------------------- */

#define _(name, text) text,
static const char *const problem_names[] = { foreach_inp_store_problem };
static const char *const role_names[] = { foreach_inp_tenant_role };
#undef _

const char *inp_store_problem_name(enum inp_store_problem problem)
{
	return name_of(problem_names, COUNT(problem_names), problem);
}

const char *inp_tenant_role_name(enum inp_tenant_role role)
{
	return name_of(role_names, COUNT(role_names), role);
}

/* ---- errors, clock, transactions --------------------------------------- */

enum inp_store_problem inp_store_problem(const struct inp_store *store)
{
	return store->problem;
}

const char *inp_store_error(const struct inp_store *store)
{
	return store->error;
}

void inp_store_set_time(struct inp_store *store, int64_t now)
{
	store->fixed_now = now;
}

int inp_store_set_durability(struct inp_store *store, bool full)
{
	if (sqlite3_exec(store->db,
			 full ? "PRAGMA synchronous = FULL" :
				"PRAGMA synchronous = NORMAL",
			 NULL, NULL, NULL) != SQLITE_OK)
		return fail_db(store, "durability");
	return 0;
}

/* ---- schema ------------------------------------------------------------ */

/* migrations[v] takes a store from schema version v to v + 1 (PRAGMA
 * user_version). Never edit one that has shipped: add the next. */
static const char *const migrations[] = {
	/* 0 -> 1: the first schema. */
	"CREATE TABLE tenants ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  role TEXT NOT NULL CHECK (role IN ('sp', 'operator')),"
	"  created INTEGER NOT NULL);"
	/* Only the SHA-256 of a token: a stolen file grants nothing. */
	"CREATE TABLE tokens ("
	"  id INTEGER PRIMARY KEY,"
	"  tenant INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,"
	"  hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),"
	"  created INTEGER NOT NULL,"
	"  revoked INTEGER);"
	"CREATE INDEX tokens_tenant ON tokens (tenant);"
	"CREATE TABLE vnets ("
	"  id INTEGER PRIMARY KEY,"
	"  tenant INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  request TEXT NOT NULL,"
	"  request_format TEXT NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN ('reserved', 'deleted')),"
	"  lease_end INTEGER NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL);"
	/* A name is free again once its VNet is deleted. */
	"CREATE UNIQUE INDEX vnets_name ON vnets (tenant, name)"
	"  WHERE state = 'reserved';"
	"CREATE INDEX vnets_lease ON vnets (lease_end)"
	"  WHERE state = 'reserved';"
	"CREATE TABLE slivers ("
	"  vnet INTEGER NOT NULL REFERENCES vnets (id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL CHECK (kind IN ('node', 'link')),"
	"  virtual_id TEXT NOT NULL,"
	"  placement TEXT NOT NULL,"
	"  allocation TEXT NOT NULL,"
	"  operational TEXT NOT NULL,"
	"  error TEXT,"
	"  PRIMARY KEY (vnet, kind, virtual_id)) WITHOUT ROWID;"
	"CREATE TABLE cpu_reservations ("
	"  id INTEGER PRIMARY KEY,"
	"  substrate_node TEXT NOT NULL,"
	"  vnet INTEGER NOT NULL REFERENCES vnets (id) ON DELETE CASCADE,"
	"  amount INTEGER NOT NULL CHECK (amount > 0));"
	"CREATE INDEX cpu_node ON cpu_reservations (substrate_node);"
	"CREATE INDEX cpu_vnet ON cpu_reservations (vnet);"
	"CREATE TABLE bandwidth_reservations ("
	"  id INTEGER PRIMARY KEY,"
	"  substrate_link TEXT NOT NULL,"
	"  direction TEXT NOT NULL"
	"    CHECK (direction IN ('none', 'forward', 'reverse')),"
	"  vnet INTEGER NOT NULL REFERENCES vnets (id) ON DELETE CASCADE,"
	"  amount INTEGER NOT NULL CHECK (amount > 0));"
	"CREATE INDEX bandwidth_link ON bandwidth_reservations"
	"  (substrate_link, direction);"
	"CREATE INDEX bandwidth_vnet ON bandwidth_reservations (vnet);"
	/* The constraint that makes double-booking a tag impossible. */
	"CREATE TABLE tag_reservations ("
	"  substrate_link TEXT NOT NULL,"
	"  tag INTEGER NOT NULL CHECK (tag > 0),"
	"  vnet INTEGER NOT NULL REFERENCES vnets (id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL CHECK (kind IN ('vlan', 'vxlan')),"
	"  UNIQUE (substrate_link, tag));"
	"CREATE INDEX tag_vnet ON tag_reservations (vnet);"
	/* Reservations only for reserved VNets: a deleted one holds none. */
	"CREATE TRIGGER cpu_reserved BEFORE INSERT ON cpu_reservations"
	"  WHEN (SELECT state FROM vnets WHERE id = NEW.vnet) IS NOT 'reserved'"
	"  BEGIN SELECT RAISE(ABORT, 'VNet not reserved'); END;"
	"CREATE TRIGGER bandwidth_reserved BEFORE INSERT ON"
	"  bandwidth_reservations"
	"  WHEN (SELECT state FROM vnets WHERE id = NEW.vnet) IS NOT 'reserved'"
	"  BEGIN SELECT RAISE(ABORT, 'VNet not reserved'); END;"
	"CREATE TRIGGER tag_reserved BEFORE INSERT ON tag_reservations"
	"  WHEN (SELECT state FROM vnets WHERE id = NEW.vnet) IS NOT 'reserved'"
	"  BEGIN SELECT RAISE(ABORT, 'VNet not reserved'); END;"
	/* What happened, for the operator; no foreign keys: history stays. */
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  time INTEGER NOT NULL,"
	"  tenant INTEGER,"
	"  vnet INTEGER,"
	"  what TEXT NOT NULL);",
	/* 1 -> 2: the operator's marks on substrate elements. */
	"CREATE TABLE element_states ("
	"  kind TEXT NOT NULL CHECK (kind IN ('node', 'link')),"
	"  id TEXT NOT NULL,"
	"  reason TEXT,"
	"  since INTEGER NOT NULL,"
	"  PRIMARY KEY (kind, id)) WITHOUT ROWID;",
	/* 2 -> 3: which embedding a VNet's slivers are of (re-embedding
	 * bumps it), so that a provisioning pass's late news about the
	 * previous embedding are not taken for the new one's. */
	"ALTER TABLE vnets ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;",
};

_Static_assert(COUNT(migrations) == INP_STORE_SCHEMA_VERSION,
	       "one migration per schema version");

static int migrate(struct inp_store *store)
{
	if (begin(store, true) < 0)
		return -1;
	sqlite3_stmt *statement = prepare(store, "PRAGMA user_version");
	if (!statement)
		return rollback(store);
	int64_t version = 0;
	if (sqlite3_step(statement) == SQLITE_ROW)
		version = sqlite3_column_int64(statement, 0);
	sqlite3_finalize(statement);
	if (version > INP_STORE_SCHEMA_VERSION) {
		fail(store, INP_STORE_VERSION,
		     "schema version %lld, this program knows up to %d",
		     (long long)version, INP_STORE_SCHEMA_VERSION);
		return rollback(store);
	}
	for (; version < INP_STORE_SCHEMA_VERSION; version++)
		if (sqlite3_exec(store->db, migrations[version], NULL, NULL,
				 NULL) != SQLITE_OK) {
			fail_db(store, "migration");
			return rollback(store);
		}
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		 INP_STORE_SCHEMA_VERSION);
	if (sqlite3_exec(store->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fail_db(store, "schema version");
		return rollback(store);
	}
	return commit(store);
}

/* synchronous=FULL: the WAL is synced at every commit, so a reservation
 * the API has answered survives a power loss too, not only a crash of the
 * process (which NORMAL already survives). A lost reservation would let
 * the next VNet take the tags and capacity still programmed on the
 * switches for the lost one; one fsync per create is worth that. */
struct inp_store *inp_store_open(const char *path, unsigned busy_timeout_ms,
				 char *err, size_t err_size)
{
	struct inp_store *store = calloc(1, sizeof(*store));
	if (!store) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	if (sqlite3_open_v2(path, &store->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				    SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		snprintf(err, err_size, "%s: %s", path,
			 store->db ? sqlite3_errmsg(store->db)
				   : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(store->db, 1);
	sqlite3_busy_timeout(store->db, busy_timeout_ms ? (int)busy_timeout_ms
						     : DEFAULT_BUSY_TIMEOUT_MS);
	sqlite3_stmt *statement = NULL;
	if (sqlite3_prepare_v2(store->db, "PRAGMA journal_mode = WAL", -1,
			       &statement, NULL) != SQLITE_OK ||
	    sqlite3_step(statement) != SQLITE_ROW ||
	    strcmp((const char *)sqlite3_column_text(statement, 0), "wal")) {
		snprintf(err, err_size, "%s: cannot use WAL mode: %s", path,
			 sqlite3_errmsg(store->db));
		sqlite3_finalize(statement);
		goto fail;
	}
	sqlite3_finalize(statement);
	if (sqlite3_exec(store->db,
			 "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON",
			 NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, err_size, "%s: %s", path,
			 sqlite3_errmsg(store->db));
		goto fail;
	}
	if (migrate(store) < 0) {
		snprintf(err, err_size, "%s: %s", path, store->error);
		goto fail;
	}
	return store;
fail:
	sqlite3_close(store->db);
	free(store);
	return NULL;
}

void inp_store_close(struct inp_store *store)
{
	if (!store)
		return;
	sqlite3_close(store->db);
	free(store);
}

/* ---- tenants ----------------------------------------------------------- */

int store_tenant_exists(struct inp_store *store, int64_t tenant)
{
	sqlite3_stmt *statement =
		prepare(store, "SELECT 1 FROM tenants WHERE id = ?");
	if (!statement)
		return -1;
	sqlite3_bind_int64(statement, 1, tenant);
	int result = sqlite3_step(statement);
	sqlite3_finalize(statement);
	if (result == SQLITE_ROW)
		return 0;
	if (result != SQLITE_DONE)
		return fail_db(store, "tenant");
	return fail(store, INP_STORE_NOT_FOUND, "no tenant %lld",
		    (long long)tenant);
}

int inp_store_tenant_add(struct inp_store *store, const char *name,
			 enum inp_tenant_role role, int64_t *id)
{
	if (!name || !*name || strlen(name) >= sizeof(((struct inp_tenant *)0)->name))
		return fail(store, INP_STORE_INVALID,
			    "a tenant name has 1 to 63 characters");
	if ((unsigned)role >= INP_TENANT_ROLE_COUNT)
		return fail(store, INP_STORE_INVALID, "unknown role");
	if (begin(store, true) < 0)
		return -1;
	sqlite3_stmt *statement = prepare(store,
		"INSERT INTO tenants (name, role, created) VALUES (?, ?, ?)");
	if (!statement)
		return rollback(store);
	bind_text(statement, 1, name);
	bind_text(statement, 2, inp_tenant_role_name(role));
	sqlite3_bind_int64(statement, 3, store_now(store));
	int result = run(statement);
	if (is_constraint(result)) {
		fail(store, INP_STORE_EXISTS, "tenant '%s' exists", name);
		return rollback(store);
	}
	if (result != SQLITE_DONE) {
		fail_db(store, "tenant add");
		return rollback(store);
	}
	int64_t tenant = sqlite3_last_insert_rowid(store->db);
	if (log_event(store, tenant, 0, "tenant added") < 0)
		return rollback(store);
	if (commit(store) < 0)
		return -1;
	if (id)
		*id = tenant;
	return 0;
}

int inp_store_tenant_remove(struct inp_store *store, int64_t id)
{
	if (begin(store, true) < 0)
		return -1;
	if (store_tenant_exists(store, id) < 0)
		return rollback(store);
	sqlite3_stmt *statement = prepare(store,
		"SELECT count(*) FROM vnets WHERE tenant = ? "
		"AND state = 'reserved'");
	if (!statement)
		return rollback(store);
	sqlite3_bind_int64(statement, 1, id);
	int64_t reserved = sqlite3_step(statement) == SQLITE_ROW
				   ? sqlite3_column_int64(statement, 0)
				   : -1;
	sqlite3_finalize(statement);
	if (reserved != 0) {
		if (reserved < 0)
			fail_db(store, "tenant remove");
		else
			fail(store, INP_STORE_BUSY,
			     "tenant %lld still has %lld VNets", (long long)id,
			     (long long)reserved);
		return rollback(store);
	}
	statement = prepare(store, "DELETE FROM tenants WHERE id = ?");
	if (!statement)
		return rollback(store);
	sqlite3_bind_int64(statement, 1, id);
	if (run(statement) != SQLITE_DONE) {
		fail_db(store, "tenant remove");
		return rollback(store);
	}
	if (log_event(store, id, 0, "tenant removed") < 0)
		return rollback(store);
	return commit(store);
}

static void tenant_read(sqlite3_stmt *statement, struct inp_tenant *tenant)
{
	memset(tenant, 0, sizeof(*tenant));
	tenant->id = sqlite3_column_int64(statement, 0);
	const unsigned char *name = sqlite3_column_text(statement, 1);
	snprintf(tenant->name, sizeof(tenant->name), "%s",
		 name ? (const char *)name : "");
	int role = name_parse(role_names, COUNT(role_names),
			      sqlite3_column_text(statement, 2));
	tenant->role = role < 0 ? INP_TENANT_SP : (enum inp_tenant_role)role;
	tenant->created = sqlite3_column_int64(statement, 3);
}

int inp_store_tenant_list(struct inp_store *store,
			  int (*fn)(void *context,
				    const struct inp_tenant *tenant),
			  void *context)
{
	if (begin(store, false) < 0)
		return -1;
	sqlite3_stmt *statement = prepare(store,
		"SELECT id, name, role, created FROM tenants ORDER BY id");
	if (!statement)
		return rollback(store);
	int result, stop = 0;
	while (!stop && (result = sqlite3_step(statement)) == SQLITE_ROW) {
		struct inp_tenant tenant;
		tenant_read(statement, &tenant);
		stop = fn(context, &tenant);
	}
	sqlite3_finalize(statement);
	if (!stop && result != SQLITE_DONE) {
		fail_db(store, "tenant list");
		return rollback(store);
	}
	if (commit(store) < 0)
		return -1;
	return stop;
}

/* ---- tokens ------------------------------------------------------------ */

static int sha256(const char *text, uint8_t hash[SHA256_SIZE])
{
	unsigned int length = 0;
	if (EVP_Digest(text, strlen(text), hash, &length, EVP_sha256(), NULL) !=
		    1 ||
	    length != SHA256_SIZE)
		return -1;
	return 0;
}

int inp_store_token_create(struct inp_store *store, int64_t tenant,
			   char token[INP_TOKEN_SIZE], int64_t *token_id)
{
	uint8_t secret[32], hash[SHA256_SIZE];
	size_t got = 0;
	while (got < sizeof(secret)) {
		ssize_t n = getrandom(secret + got, sizeof(secret) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(store, INP_STORE_DATABASE,
				    "getrandom: %s", strerror(errno));
		got += (size_t)n;
	}
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < sizeof(secret); i++) {
		token[2 * i] = hex[secret[i] >> 4];
		token[2 * i + 1] = hex[secret[i] & 15];
	}
	token[2 * sizeof(secret)] = '\0';
	explicit_bzero(secret, sizeof(secret));
	if (sha256(token, hash) < 0) {
		explicit_bzero(token, INP_TOKEN_SIZE);
		return fail(store, INP_STORE_DATABASE, "SHA-256 failed");
	}
	if (begin(store, true) < 0)
		goto fail;
	if (store_tenant_exists(store, tenant) < 0)
		goto fail_rollback;
	sqlite3_stmt *statement = prepare(store,
		"INSERT INTO tokens (tenant, hash, created) VALUES (?, ?, ?)");
	if (!statement)
		goto fail_rollback;
	sqlite3_bind_int64(statement, 1, tenant);
	sqlite3_bind_blob(statement, 2, hash, sizeof(hash), SQLITE_STATIC);
	sqlite3_bind_int64(statement, 3, store_now(store));
	if (run(statement) != SQLITE_DONE) {
		fail_db(store, "token create");
		goto fail_rollback;
	}
	int64_t id = sqlite3_last_insert_rowid(store->db);
	if (log_event(store, tenant, 0, "token created") < 0)
		goto fail_rollback;
	if (commit(store) < 0)
		goto fail;
	if (token_id)
		*token_id = id;
	return 0;
fail_rollback:
	rollback(store);
fail:
	explicit_bzero(token, INP_TOKEN_SIZE);
	return -1;
}

/* Compares the presented token's hash with every live token's, without
 * stopping at the first difference or the first match, so the time
 * taken says nothing about which (or how much of a) hash matched. */
int inp_store_token_verify(struct inp_store *store, const char *token,
			   struct inp_tenant *tenant)
{
	uint8_t hash[SHA256_SIZE];
	if (!token || sha256(token, hash) < 0)
		return fail(store, INP_STORE_INVALID, "no token");
	if (begin(store, false) < 0)
		return -1;
	sqlite3_stmt *statement = prepare(store,
		"SELECT hash, tenant FROM tokens WHERE revoked IS NULL");
	if (!statement)
		return rollback(store);
	int64_t found = 0;
	int result;
	while ((result = sqlite3_step(statement)) == SQLITE_ROW) {
		const void *stored = sqlite3_column_blob(statement, 0);
		if (!stored || sqlite3_column_bytes(statement, 0) != SHA256_SIZE)
			continue;
		int64_t owner = sqlite3_column_int64(statement, 1);
		int64_t same = CRYPTO_memcmp(stored, hash, SHA256_SIZE) == 0;
		found |= owner & -same;
	}
	sqlite3_finalize(statement);
	if (result != SQLITE_DONE) {
		fail_db(store, "token verify");
		return rollback(store);
	}
	if (!found) {
		fail(store, INP_STORE_NOT_FOUND, "unknown or revoked token");
		return rollback(store);
	}
	statement = prepare(store,
		"SELECT id, name, role, created FROM tenants WHERE id = ?");
	if (!statement)
		return rollback(store);
	sqlite3_bind_int64(statement, 1, found);
	result = sqlite3_step(statement);
	if (result == SQLITE_ROW && tenant)
		tenant_read(statement, tenant);
	sqlite3_finalize(statement);
	if (result != SQLITE_ROW) {
		fail_db(store, "token tenant");
		return rollback(store);
	}
	return commit(store);
}

int inp_store_token_revoke(struct inp_store *store, int64_t tenant,
			   int64_t token_id)
{
	if (begin(store, true) < 0)
		return -1;
	sqlite3_stmt *statement = prepare(store,
		"UPDATE tokens SET revoked = coalesce(revoked, ?) "
		"WHERE id = ? AND tenant = ?");
	if (!statement)
		return rollback(store);
	sqlite3_bind_int64(statement, 1, store_now(store));
	sqlite3_bind_int64(statement, 2, token_id);
	sqlite3_bind_int64(statement, 3, tenant);
	if (run(statement) != SQLITE_DONE) {
		fail_db(store, "token revoke");
		return rollback(store);
	}
	if (sqlite3_changes(store->db) == 0) {
		fail(store, INP_STORE_NOT_FOUND, "no token %lld",
		     (long long)token_id);
		return rollback(store);
	}
	if (log_event(store, tenant, 0, "token revoked") < 0)
		return rollback(store);
	return commit(store);
}

/* ---- substrate element states ------------------------------------------- */

int inp_store_element_set(struct inp_store *store, const char *kind,
			  const char *id, bool down, const char *reason)
{
	if (!kind || (strcmp(kind, "node") && strcmp(kind, "link")) || !id ||
	    !*id)
		return fail(store, INP_STORE_INVALID,
			    "an element is a node or a link with an id");
	if (begin(store, true) < 0)
		return -1;
	sqlite3_stmt *statement = prepare(store,
		down ? "INSERT OR REPLACE INTO element_states (kind, id,"
		       " reason, since) VALUES (?, ?, ?, ?)" :
		       "DELETE FROM element_states WHERE kind = ? AND id = ?");
	if (!statement)
		return rollback(store);
	bind_text(statement, 1, kind);
	bind_text(statement, 2, id);
	if (down) {
		bind_text(statement, 3, reason);
		sqlite3_bind_int64(statement, 4, store_now(store));
	}
	if (run(statement) != SQLITE_DONE) {
		fail_db(store, "element state");
		return rollback(store);
	}
	char what[200];
	snprintf(what, sizeof(what), "%s %.64s marked %s", kind, id,
		 down ? "down" : "up");
	if (log_event(store, 0, 0, what) < 0)
		return rollback(store);
	return commit(store);
}

int inp_store_element_list(struct inp_store *store,
			   int (*fn)(void *context, const char *kind,
				     const char *id, const char *reason),
			   void *context)
{
	if (begin(store, false) < 0)
		return -1;
	sqlite3_stmt *statement = prepare(store,
		"SELECT kind, id, reason FROM element_states ORDER BY kind, id");
	if (!statement)
		return rollback(store);
	int result = SQLITE_DONE, rc = 0;
	while (!rc && (result = sqlite3_step(statement)) == SQLITE_ROW)
		rc = fn(context, (const char *)sqlite3_column_text(statement, 0),
			(const char *)sqlite3_column_text(statement, 1),
			(const char *)sqlite3_column_text(statement, 2));
	sqlite3_finalize(statement);
	if (!rc && result != SQLITE_DONE) {
		fail_db(store, "element states");
		return rollback(store);
	}
	commit(store);
	return rc;
}

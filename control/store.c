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
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "control.h"

#define DEFAULT_BUSY_TIMEOUT_MS 5000
#define SHA256_SIZE 32

struct inp_store {
	sqlite3 *db;
	int64_t fixed_now; /* 0: the real clock */
	enum inp_store_problem problem;
	char error[320];
};

/* ---- names ------------------------------------------------------------- */

#define _(name, text) text,
static const char *const problem_names[] = { foreach_inp_store_problem };
static const char *const role_names[] = { foreach_inp_tenant_role };
static const char *const vnet_state_names[] = { foreach_inp_vnet_state };
static const char *const sliver_kind_names[] = { foreach_inp_sliver_kind };
static const char *const allocation_names[] = { foreach_inp_allocation_state };
static const char *const operational_names[] = {
	foreach_inp_operational_state
};
static const char *const direction_names[] = { foreach_inp_direction };
static const char *const tag_kind_names[] = { foreach_inp_tag_kind };
#undef _

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

static const char *name_of(const char *const *names, size_t count,
			   unsigned value)
{
	return value < count ? names[value] : "?";
}

/* The enum value of a name read back from the database, or -1. */
static int name_parse(const char *const *names, size_t count,
		      const unsigned char *text)
{
	if (!text)
		return -1;
	for (size_t i = 0; i < count; i++)
		if (strcmp(names[i], (const char *)text) == 0)
			return (int)i;
	return -1;
}

const char *inp_store_problem_name(enum inp_store_problem problem)
{
	return name_of(problem_names, COUNT(problem_names), problem);
}

const char *inp_tenant_role_name(enum inp_tenant_role role)
{
	return name_of(role_names, COUNT(role_names), role);
}

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

static int64_t store_now(const struct inp_store *store)
{
	return store->fixed_now ? store->fixed_now : (int64_t)time(NULL);
}

__attribute__((format(printf, 3, 4)))
static int fail(struct inp_store *store, enum inp_store_problem problem,
		const char *format, ...)
{
	va_list args;
	va_start(args, format);
	vsnprintf(store->error, sizeof(store->error), format, args);
	va_end(args);
	store->problem = problem;
	return -1;
}

static int fail_db(struct inp_store *store, const char *what)
{
	return fail(store, INP_STORE_DATABASE, "%s: %s", what,
		    sqlite3_errmsg(store->db));
}

static void succeed(struct inp_store *store)
{
	store->problem = INP_STORE_NONE;
	store->error[0] = '\0';
}

static int begin(struct inp_store *store, bool write)
{
	if (sqlite3_exec(store->db, write ? "BEGIN IMMEDIATE" : "BEGIN",
			 NULL, NULL, NULL) != SQLITE_OK)
		return fail_db(store, "begin");
	return 0;
}

static int commit(struct inp_store *store)
{
	if (sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		fail_db(store, "commit");
		sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	succeed(store);
	return 0;
}

/* Ends a failed call: undoes its transaction, keeps its error. */
static int rollback(struct inp_store *store)
{
	if (sqlite3_get_autocommit(store->db) == 0)
		sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static sqlite3_stmt *prepare(struct inp_store *store, const char *sql)
{
	sqlite3_stmt *statement = NULL;
	if (sqlite3_prepare_v2(store->db, sql, -1, &statement, NULL) !=
	    SQLITE_OK) {
		fail_db(store, "prepare");
		return NULL;
	}
	return statement;
}

static void bind_text(sqlite3_stmt *statement, int index, const char *text)
{
	if (text)
		sqlite3_bind_text(statement, index, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(statement, index);
}

/* Runs a statement that returns no rows. Returns the sqlite3 result
 * (SQLITE_DONE on success) and finalizes. */
static int run(sqlite3_stmt *statement)
{
	int result = sqlite3_step(statement);
	if (result != SQLITE_DONE && result != SQLITE_ROW)
		result = sqlite3_extended_errcode(sqlite3_db_handle(statement));
	sqlite3_finalize(statement);
	return result == SQLITE_ROW ? SQLITE_DONE : result;
}

static bool is_constraint(int result)
{
	return (result & 0xff) == SQLITE_CONSTRAINT;
}

static int log_event(struct inp_store *store, int64_t tenant, int64_t vnet,
		     const char *what)
{
	sqlite3_stmt *statement = prepare(store,
		"INSERT INTO events (time, tenant, vnet, what) "
		"VALUES (?, ?, ?, ?)");
	if (!statement)
		return -1;
	sqlite3_bind_int64(statement, 1, store_now(store));
	if (tenant)
		sqlite3_bind_int64(statement, 2, tenant);
	if (vnet)
		sqlite3_bind_int64(statement, 3, vnet);
	bind_text(statement, 4, what);
	if (run(statement) != SQLITE_DONE)
		return fail_db(store, "event");
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

static int tenant_exists(struct inp_store *store, int64_t tenant)
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
	if (tenant_exists(store, id) < 0)
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
	if (tenant_exists(store, tenant) < 0)
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
		int64_t total;
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
		int64_t total;
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
	if (tenant_exists(store, tenant) < 0)
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
	"updated"

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
		vnet->request = column_dup(statement, 8, &failed);
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

struct node_totals {
	int (*fn)(void *context, const char *substrate_node, int64_t cpu);
	void *context;
};

static int node_total_row(void *closure, sqlite3_stmt *statement)
{
	struct node_totals *walk = closure;
	return walk->fn(walk->context,
			(const char *)sqlite3_column_text(statement, 0),
			sqlite3_column_int64(statement, 1));
}

int inp_store_node_totals(struct inp_store *store,
			  int (*fn)(void *context, const char *substrate_node,
				    int64_t cpu),
			  void *context)
{
	struct node_totals walk = { fn, context };
	return totals(store,
		      "SELECT substrate_node, sum(amount) FROM"
		      " cpu_reservations GROUP BY substrate_node"
		      " ORDER BY substrate_node",
		      node_total_row, &walk);
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

struct tag_totals {
	int (*fn)(void *context, const char *substrate_link, int64_t tags);
	void *context;
};

static int tag_total_row(void *closure, sqlite3_stmt *statement)
{
	struct tag_totals *walk = closure;
	return walk->fn(walk->context,
			(const char *)sqlite3_column_text(statement, 0),
			sqlite3_column_int64(statement, 1));
}

int inp_store_tag_totals(struct inp_store *store,
			 int (*fn)(void *context, const char *substrate_link,
				   int64_t tags),
			 void *context)
{
	struct tag_totals walk = { fn, context };
	return totals(store,
		      "SELECT substrate_link, count(*) FROM tag_reservations"
		      " GROUP BY substrate_link ORDER BY substrate_link",
		      tag_total_row, &walk);
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
	    exec_for_vnet(store, "UPDATE vnets SET updated = ?2 WHERE id = ?1",
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

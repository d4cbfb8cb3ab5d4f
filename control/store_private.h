/* Private to the InP store (store.c, store_vnet.c): the handle and the
 * small helpers every store call uses to run one transaction and report
 * its error. They are inline here so the library exports no generic
 * names (fail, begin, commit) to the programs that link it.
 *
 * A handle is one connection, used by one thread (control.h): only that
 * thread's store calls write it.
 */
#ifndef LOOM_CONTROL_STORE_PRIVATE_H
#define LOOM_CONTROL_STORE_PRIVATE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "control.h"

struct inp_store {
	sqlite3 *db;
	int64_t fixed_now; /* 0: the real clock */
	enum inp_store_problem problem;
	char error[320];
};

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

static inline const char *name_of(const char *const *names, size_t count,
				  unsigned value)
{
	return value < count ? names[value] : "?";
}

/* The enum value of a name read back from the database, or -1. */
static inline int name_parse(const char *const *names, size_t count,
			     const unsigned char *text)
{
	if (!text)
		return -1;
	for (size_t i = 0; i < count; i++)
		if (strcmp(names[i], (const char *)text) == 0)
			return (int)i;
	return -1;
}

/* ---- errors, clock, transactions --------------------------------------- */

static inline int64_t store_now(const struct inp_store *store)
{
	return store->fixed_now ? store->fixed_now : (int64_t)time(NULL);
}

__attribute__((format(printf, 3, 4)))
static inline int fail(struct inp_store *store,
		       enum inp_store_problem problem, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	vsnprintf(store->error, sizeof(store->error), format, args);
	va_end(args);
	store->problem = problem;
	return -1;
}

/* SQLite's error, as LOCKED when another connection held the lock past
 * the busy timeout (worth retrying) or DATABASE otherwise. */
static inline int fail_db(struct inp_store *store, const char *what)
{
	int code = sqlite3_errcode(store->db) & 0xff;
	return fail(store,
		    code == SQLITE_BUSY || code == SQLITE_LOCKED ?
			    INP_STORE_LOCKED :
			    INP_STORE_DATABASE,
		    "%s: %s", what, sqlite3_errmsg(store->db));
}

static inline void succeed(struct inp_store *store)
{
	store->problem = INP_STORE_NONE;
	store->error[0] = '\0';
}

static inline int begin(struct inp_store *store, bool write)
{
	if (sqlite3_exec(store->db, write ? "BEGIN IMMEDIATE" : "BEGIN",
			 NULL, NULL, NULL) != SQLITE_OK)
		return fail_db(store, "begin");
	return 0;
}

static inline int commit(struct inp_store *store)
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
static inline int rollback(struct inp_store *store)
{
	if (sqlite3_get_autocommit(store->db) == 0)
		sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static inline sqlite3_stmt *prepare(struct inp_store *store, const char *sql)
{
	sqlite3_stmt *statement = NULL;
	if (sqlite3_prepare_v2(store->db, sql, -1, &statement, NULL) !=
	    SQLITE_OK) {
		fail_db(store, "prepare");
		return NULL;
	}
	return statement;
}

static inline void bind_text(sqlite3_stmt *statement, int index,
			     const char *text)
{
	if (text)
		sqlite3_bind_text(statement, index, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(statement, index);
}

/* Runs a statement that returns no rows. Returns the sqlite3 result
 * (SQLITE_DONE on success) and finalizes. */
static inline int run(sqlite3_stmt *statement)
{
	int result = sqlite3_step(statement);
	if (result != SQLITE_DONE && result != SQLITE_ROW)
		result = sqlite3_extended_errcode(sqlite3_db_handle(statement));
	sqlite3_finalize(statement);
	return result == SQLITE_ROW ? SQLITE_DONE : result;
}

static inline bool is_constraint(int result)
{
	return (result & 0xff) == SQLITE_CONSTRAINT;
}

static inline int log_event(struct inp_store *store, int64_t tenant,
			    int64_t vnet, const char *what)
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

/* 0 if the tenant exists, else -1 with INP_STORE_NOT_FOUND (store.c). */
int store_tenant_exists(struct inp_store *store, int64_t tenant);

#endif

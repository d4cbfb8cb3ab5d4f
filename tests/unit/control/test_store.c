/* Unit tests of the InP store (control/store.c): every call; a second
 * tenant can neither see nor change the first one's VNets; a tag is never
 * booked twice on a link and capacity never overbooked; release gives
 * back exactly what reserve took; tokens are stored only as hashes (the
 * file's bytes are searched); and crash safety: processes reserving and
 * releasing concurrently are killed with SIGKILL at random points, and
 * the reopened file is checked against the invariants with plain SQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "control.h"

#define NOW ((int64_t)1735689600) /* 2025-01-01T00:00:00Z */
#define CORE 1000000              /* millionths of a core */

struct fixture {
	char directory[64];
	char path[128];
	struct inp_store *store;
	int64_t alice, bob;
};

static int setup(void **state)
{
	struct fixture *fixture = calloc(1, sizeof(*fixture));
	assert_non_null(fixture);
	snprintf(fixture->directory, sizeof(fixture->directory),
		 "/tmp/loom-store-XXXXXX");
	assert_non_null(mkdtemp(fixture->directory));
	snprintf(fixture->path, sizeof(fixture->path), "%s/inp.db",
		 fixture->directory);
	char err[256];
	fixture->store = inp_store_open(fixture->path, 0, err, sizeof(err));
	if (!fixture->store)
		fail_msg("open: %s", err);
	inp_store_set_time(fixture->store, NOW);
	assert_int_equal(inp_store_tenant_add(fixture->store, "alice",
					      INP_TENANT_SP, &fixture->alice),
			 0);
	assert_int_equal(inp_store_tenant_add(fixture->store, "bob",
					      INP_TENANT_SP, &fixture->bob),
			 0);
	*state = fixture;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fixture = *state;
	inp_store_close(fixture->store);
	char command[200];
	snprintf(command, sizeof(command), "rm -rf '%s'", fixture->directory);
	if (system(command) != 0)
		return -1;
	free(fixture);
	return 0;
}

/* ---- helpers ------------------------------------------------------------ */

/* A VNet of two nodes and a link: CPU on n1 and n2, bandwidth both ways
 * on l1, a picked tag on l1 and a fixed one on l2. */
struct sample {
	struct inp_sliver slivers[3];
	struct inp_cpu_reservation cpu[2];
	struct inp_bandwidth_reservation bandwidth[2];
	struct inp_tag_reservation tags[2];
	struct inp_vnet vnet;
};

static void sample_init(struct sample *sample, const char *name,
			int64_t cpu, uint32_t fixed_tag)
{
	memset(sample, 0, sizeof(*sample));
	sample->slivers[0] = (struct inp_sliver){ INP_SLIVER_NODE, "web",
		"{\"node\":\"n1\"}", INP_ALLOCATION_ALLOCATED,
		INP_OPERATIONAL_PENDING_ALLOCATION, NULL };
	sample->slivers[1] = (struct inp_sliver){ INP_SLIVER_NODE, "db",
		"{\"node\":\"n2\"}", INP_ALLOCATION_ALLOCATED,
		INP_OPERATIONAL_PENDING_ALLOCATION, NULL };
	sample->slivers[2] = (struct inp_sliver){ INP_SLIVER_LINK, "lan",
		"{\"path\":[\"l1\",\"l2\"]}", INP_ALLOCATION_ALLOCATED,
		INP_OPERATIONAL_PENDING_ALLOCATION, NULL };
	sample->cpu[0] = (struct inp_cpu_reservation){ "n1", cpu, 4 * CORE };
	sample->cpu[1] = (struct inp_cpu_reservation){ "n2", cpu, 4 * CORE };
	sample->bandwidth[0] = (struct inp_bandwidth_reservation){
		"l1", INP_DIRECTION_FORWARD, 1000, 10000 };
	sample->bandwidth[1] = (struct inp_bandwidth_reservation){
		"l1", INP_DIRECTION_REVERSE, 500, 10000 };
	sample->tags[0] = (struct inp_tag_reservation){ "l1", 0,
		INP_TAG_VLAN, 100, 199 };
	sample->tags[1] = (struct inp_tag_reservation){ "l2", fixed_tag,
		INP_TAG_VXLAN, 0, 0 };
	sample->vnet = (struct inp_vnet){
		.name = (char *)name,
		.request = "<vnet xmlns='urn:loom:vnet:1'/>",
		.request_format = "loom-xml",
		.lease_end = NOW + 3600,
		.sliver_count = 3, .slivers = sample->slivers,
		.cpu_count = 2, .cpu = sample->cpu,
		.bandwidth_count = 2, .bandwidth = sample->bandwidth,
		.tag_count = 2, .tags = sample->tags,
	};
}

/* All totals as one text, to compare before and after. */
struct text {
	char buf[4096];
	size_t used;
};

static void text_add(struct text *text, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	int n = vsnprintf(text->buf + text->used,
			  sizeof(text->buf) - text->used, format, args);
	va_end(args);
	assert_true(n >= 0 && (size_t)n < sizeof(text->buf) - text->used);
	text->used += (size_t)n;
}

static int node_total(void *context, const char *node, int64_t cpu)
{
	text_add(context, "node %s %lld\n", node, (long long)cpu);
	return 0;
}

static int link_total(void *context, const char *link,
		      enum inp_direction direction, int64_t bandwidth)
{
	text_add(context, "link %s %s %lld\n", link,
		 inp_direction_name(direction), (long long)bandwidth);
	return 0;
}

static int tag_total(void *context, const char *link, int64_t tags)
{
	text_add(context, "tags %s %lld\n", link, (long long)tags);
	return 0;
}

static void totals(struct inp_store *store, struct text *text)
{
	memset(text, 0, sizeof(*text));
	assert_int_equal(inp_store_node_totals(store, node_total, text), 0);
	assert_int_equal(inp_store_link_totals(store, link_total, text), 0);
	assert_int_equal(inp_store_tag_totals(store, tag_total, text), 0);
}

static int vnet_count(void *context, const struct inp_vnet *vnet)
{
	(void)vnet;
	(*(int *)context)++;
	return 0;
}

static int listed(struct inp_store *store, int64_t tenant, bool deleted)
{
	int count = 0;
	assert_int_equal(inp_store_vnet_list(store, tenant, deleted,
					     vnet_count, &count), 0);
	return count;
}

static void expect_problem(struct inp_store *store, int result,
			   enum inp_store_problem problem)
{
	assert_int_equal(result, -1);
	if (inp_store_problem(store) != problem)
		fail_msg("expected %s, got %s: %s",
			 inp_store_problem_name(problem),
			 inp_store_problem_name(inp_store_problem(store)),
			 inp_store_error(store));
}

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE,
					 NULL),
			 SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static int64_t raw_integer(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *statement = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &statement, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	int64_t value = -1;
	if (sqlite3_step(statement) == SQLITE_ROW)
		value = sqlite3_column_int64(statement, 0);
	sqlite3_finalize(statement);
	return value;
}

/* ---- open, schema, names ------------------------------------------------ */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(inp_store_problem_name(INP_STORE_TAG_TAKEN),
			    "tag already reserved");
	assert_string_equal(inp_tenant_role_name(INP_TENANT_OPERATOR),
			    "operator");
	assert_string_equal(inp_vnet_state_name(INP_VNET_DELETED), "deleted");
	assert_string_equal(inp_sliver_kind_name(INP_SLIVER_LINK), "link");
	assert_string_equal(inp_allocation_state_name(INP_ALLOCATION_PROVISIONED),
			    "provisioned");
	assert_string_equal(inp_operational_state_name(INP_OPERATIONAL_FAILED),
			    "failed");
	assert_string_equal(inp_direction_name(INP_DIRECTION_REVERSE),
			    "reverse");
	assert_string_equal(inp_tag_kind_name(INP_TAG_VXLAN), "vxlan");
	assert_string_equal(inp_tag_kind_name(INP_TAG_KIND_COUNT), "?");
}

static void test_open(void **state)
{
	struct fixture *fixture = *state;
	sqlite3 *db = raw_open(fixture->path);
	sqlite3_stmt *statement = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1,
					    &statement, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(statement), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(statement, 0),
			    "wal");
	sqlite3_finalize(statement);
	assert_int_equal(raw_integer(db, "PRAGMA user_version"),
			 INP_STORE_SCHEMA_VERSION);

	/* Reopening keeps the data; a newer schema is refused. */
	char err[256];
	struct inp_store *again = inp_store_open(fixture->path, 100, err,
						 sizeof(err));
	assert_non_null(again);
	int count = 0;
	assert_int_equal(inp_store_tenant_list(again,
		(int (*)(void *, const struct inp_tenant *))vnet_count, &count),
		0);
	assert_int_equal(count, 2);
	inp_store_close(again);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
				      NULL, NULL),
			 SQLITE_OK);
	err[0] = '\0';
	assert_null(inp_store_open(fixture->path, 100, err, sizeof(err)));
	assert_non_null(strstr(err, "schema version 99"));
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 1", NULL,
				      NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	assert_null(inp_store_open("/nonexistent/dir/inp.db", 0, err,
				   sizeof(err)));
	assert_true(strlen(err) > 0);
}

/* ---- tenants and tokens -------------------------------------------------- */

static int tenant_collect(void *context, const struct inp_tenant *tenant)
{
	text_add(context, "%lld %s %s;", (long long)tenant->id, tenant->name,
		 inp_tenant_role_name(tenant->role));
	return 0;
}

static int stop_at_first(void *context, const struct inp_tenant *tenant)
{
	(void)tenant;
	(*(int *)context)++;
	return 7;
}

static void test_tenants(void **state)
{
	struct fixture *fixture = *state;
	struct inp_store *store = fixture->store;
	int64_t operator;
	assert_int_equal(inp_store_tenant_add(store, "noc", INP_TENANT_OPERATOR,
					      &operator), 0);
	expect_problem(store, inp_store_tenant_add(store, "alice",
						   INP_TENANT_SP, NULL),
		       INP_STORE_EXISTS);
	expect_problem(store, inp_store_tenant_add(store, "", INP_TENANT_SP,
						   NULL),
		       INP_STORE_INVALID);
	expect_problem(store, inp_store_tenant_add(store, "x",
						   INP_TENANT_ROLE_COUNT, NULL),
		       INP_STORE_INVALID);

	struct text text = { 0 };
	assert_int_equal(inp_store_tenant_list(store, tenant_collect, &text), 0);
	char expected[128];
	snprintf(expected, sizeof(expected), "%lld alice sp;%lld bob sp;"
		 "%lld noc operator;", (long long)fixture->alice,
		 (long long)fixture->bob, (long long)operator);
	assert_string_equal(text.buf, expected);
	int calls = 0;
	assert_int_equal(inp_store_tenant_list(store, stop_at_first, &calls), 7);
	assert_int_equal(calls, 1);

	/* A tenant with a reserved VNet stays; once released it can go, and
	 * its tokens and deleted VNets go with it. */
	struct sample sample;
	sample_init(&sample, "v", CORE, 5000);
	int64_t vnet;
	assert_int_equal(inp_store_vnet_reserve(store, operator, &sample.vnet,
						&vnet), 0);
	char token[INP_TOKEN_SIZE];
	assert_int_equal(inp_store_token_create(store, operator, token, NULL), 0);
	expect_problem(store, inp_store_tenant_remove(store, operator),
		       INP_STORE_BUSY);
	assert_int_equal(inp_store_vnet_release(store, operator, vnet), 0);
	assert_int_equal(inp_store_tenant_remove(store, operator), 0);
	expect_problem(store, inp_store_tenant_remove(store, operator),
		       INP_STORE_NOT_FOUND);
	expect_problem(store, inp_store_token_verify(store, token, NULL),
		       INP_STORE_NOT_FOUND);
	sqlite3 *db = raw_open(fixture->path);
	assert_int_equal(raw_integer(db, "SELECT count(*) FROM vnets"), 0);
	sqlite3_close(db);
}

/* Whether needle occurs in the bytes of a file (missing file: no). */
static bool file_contains(const char *path, const void *needle, size_t size)
{
	FILE *file = fopen(path, "rb");
	if (!file)
		return false;
	size_t capacity = 1 << 20, used = 0, got;
	char *data = malloc(capacity);
	assert_non_null(data);
	while ((got = fread(data + used, 1, capacity - used, file)) > 0) {
		used += got;
		if (used == capacity) {
			capacity *= 2;
			data = realloc(data, capacity);
			assert_non_null(data);
		}
	}
	fclose(file);
	bool found = memmem(data, used, needle, size) != NULL;
	free(data);
	return found;
}

static bool store_files_contain(const char *path, const void *needle,
				size_t size)
{
	char wal[160];
	snprintf(wal, sizeof(wal), "%s-wal", path);
	return file_contains(path, needle, size) ||
	       file_contains(wal, needle, size);
}

static void test_tokens(void **state)
{
	struct fixture *fixture = *state;
	struct inp_store *store = fixture->store;
	char token[INP_TOKEN_SIZE], other[INP_TOKEN_SIZE];
	int64_t token_id, other_id;
	assert_int_equal(inp_store_token_create(store, fixture->alice, token,
						&token_id), 0);
	assert_int_equal(strlen(token), 64);
	assert_int_equal(strspn(token, "0123456789abcdef"), 64);
	assert_int_equal(inp_store_token_create(store, fixture->bob, other,
						&other_id), 0);
	assert_string_not_equal(token, other);
	/* A failed create leaves no token behind, not even in the caller's
	 * buffer. */
	char failed[INP_TOKEN_SIZE];
	expect_problem(store, inp_store_token_create(store, 999, failed, NULL),
		       INP_STORE_NOT_FOUND);
	assert_int_equal(failed[0], '\0');

	struct inp_tenant tenant;
	assert_int_equal(inp_store_token_verify(store, token, &tenant), 0);
	assert_int_equal(tenant.id, fixture->alice);
	assert_string_equal(tenant.name, "alice");
	assert_int_equal(tenant.role, INP_TENANT_SP);
	char wrong[INP_TOKEN_SIZE];
	memcpy(wrong, token, sizeof(wrong));
	wrong[63] = wrong[63] == '0' ? '1' : '0';
	expect_problem(store, inp_store_token_verify(store, wrong, &tenant),
		       INP_STORE_NOT_FOUND);
	expect_problem(store, inp_store_token_verify(store, "", &tenant),
		       INP_STORE_NOT_FOUND);

	/* The file holds the SHA-256 of the token, never the token. */
	uint8_t hash[32];
	unsigned int length;
	assert_int_equal(EVP_Digest(token, 64, hash, &length, EVP_sha256(),
				    NULL), 1);
	assert_true(store_files_contain(fixture->path, hash, sizeof(hash)));
	assert_false(store_files_contain(fixture->path, token, 64));
	assert_false(store_files_contain(fixture->path, token, 16));
	assert_false(store_files_contain(fixture->path, other, 16));

	/* Bob cannot revoke Alice's token; Alice can, twice. */
	expect_problem(store, inp_store_token_revoke(store, fixture->bob,
						     token_id),
		       INP_STORE_NOT_FOUND);
	assert_int_equal(inp_store_token_verify(store, token, &tenant), 0);
	assert_int_equal(inp_store_token_revoke(store, fixture->alice,
						token_id), 0);
	assert_int_equal(inp_store_token_revoke(store, fixture->alice,
						token_id), 0);
	expect_problem(store, inp_store_token_verify(store, token, &tenant),
		       INP_STORE_NOT_FOUND);
	assert_int_equal(inp_store_token_verify(store, other, &tenant), 0);
	assert_int_equal(tenant.id, fixture->bob);
}

/* ---- VNets ---------------------------------------------------------------- */

static void test_reserve_get(void **state)
{
	struct fixture *fixture = *state;
	struct inp_store *store = fixture->store;
	struct sample sample;
	sample_init(&sample, "web", CORE / 2, 7000);
	int64_t id;
	assert_int_equal(inp_store_vnet_reserve(store, fixture->alice,
						&sample.vnet, &id), 0);
	assert_int_equal(sample.tags[0].tag, 100); /* picked: lowest free */
	assert_int_equal(sample.tags[1].tag, 7000);

	struct inp_vnet vnet;
	assert_int_equal(inp_store_vnet_get(store, fixture->alice, id, &vnet), 0);
	assert_int_equal(vnet.id, id);
	assert_int_equal(vnet.tenant, fixture->alice);
	assert_string_equal(vnet.name, "web");
	assert_string_equal(vnet.request, sample.vnet.request);
	assert_string_equal(vnet.request_format, "loom-xml");
	assert_int_equal(vnet.state, INP_VNET_RESERVED);
	assert_int_equal(vnet.lease_end, NOW + 3600);
	assert_int_equal(vnet.created, NOW);
	assert_int_equal(vnet.sliver_count, 3);
	/* nodes first, then by id */
	assert_string_equal(vnet.slivers[0].virtual_id, "db");
	assert_string_equal(vnet.slivers[1].virtual_id, "web");
	assert_string_equal(vnet.slivers[1].placement, "{\"node\":\"n1\"}");
	assert_int_equal(vnet.slivers[2].kind, INP_SLIVER_LINK);
	assert_int_equal(vnet.slivers[2].allocation, INP_ALLOCATION_ALLOCATED);
	assert_null(vnet.slivers[2].error);
	assert_int_equal(vnet.cpu_count, 2);
	assert_string_equal(vnet.cpu[1].substrate_node, "n2");
	assert_int_equal(vnet.cpu[1].amount, CORE / 2);
	assert_int_equal(vnet.bandwidth_count, 2);
	assert_int_equal(vnet.bandwidth[1].direction, INP_DIRECTION_REVERSE);
	assert_int_equal(vnet.bandwidth[1].amount, 500);
	assert_int_equal(vnet.tag_count, 2);
	assert_string_equal(vnet.tags[0].substrate_link, "l1");
	assert_int_equal(vnet.tags[0].tag, 100);
	assert_int_equal(vnet.tags[1].kind, INP_TAG_VXLAN);
	inp_vnet_free(&vnet);
	expect_problem(store, inp_store_vnet_get(store, fixture->alice, id + 1,
						 &vnet),
		       INP_STORE_NOT_FOUND);

	/* A second VNet picks the next tag; a name in use is refused. */
	struct sample second;
	sample_init(&second, "web", CORE / 2, 7001);
	expect_problem(store, inp_store_vnet_reserve(store, fixture->alice,
						     &second.vnet, NULL),
		       INP_STORE_EXISTS);
	assert_int_equal(second.tags[0].tag, 0); /* pick undone */
	second.vnet.name = "web2";
	assert_int_equal(inp_store_vnet_reserve(store, fixture->alice,
						&second.vnet, NULL), 0);
	assert_int_equal(second.tags[0].tag, 101);
	assert_int_equal(listed(store, fixture->alice, false), 2);

	/* Invalid input changes nothing. */
	struct text before, after;
	totals(store, &before);
	struct sample bad;
	sample_init(&bad, "bad", 0, 7002);
	expect_problem(store, inp_store_vnet_reserve(store, fixture->alice,
						     &bad.vnet, NULL),
		       INP_STORE_INVALID);
	sample_init(&bad, "bad", CORE, 0);
	expect_problem(store, inp_store_vnet_reserve(store, fixture->alice,
						     &bad.vnet, NULL),
		       INP_STORE_INVALID);
	sample_init(&bad, "bad", CORE, 7002);
	bad.slivers[1].virtual_id = "web"; /* twice */
	expect_problem(store, inp_store_vnet_reserve(store, fixture->alice,
						     &bad.vnet, NULL),
		       INP_STORE_INVALID);
	sample_init(&bad, "bad", CORE, 7002);
	expect_problem(store, inp_store_vnet_reserve(store, 999, &bad.vnet,
						     NULL),
		       INP_STORE_NOT_FOUND);
	totals(store, &after);
	assert_string_equal(before.buf, after.buf);
	assert_int_equal(listed(store, fixture->alice, true), 2);
}

static void test_authorization(void **state)
{
	struct fixture *fixture = *state;
	struct inp_store *store = fixture->store;
	struct sample sample;
	sample_init(&sample, "private", CORE, 7000);
	int64_t id;
	assert_int_equal(inp_store_vnet_reserve(store, fixture->alice,
						&sample.vnet, &id), 0);
	struct text before, after;
	totals(store, &before);

	struct inp_vnet vnet;
	expect_problem(store, inp_store_vnet_get(store, fixture->bob, id, &vnet),
		       INP_STORE_NOT_FOUND);
	assert_int_equal(listed(store, fixture->bob, true), 0);
	expect_problem(store, inp_store_vnet_renew(store, fixture->bob, id,
						   NOW + 7200),
		       INP_STORE_NOT_FOUND);
	expect_problem(store, inp_store_sliver_update(store, fixture->bob, id,
		INP_SLIVER_NODE, "web", INP_ALLOCATION_PROVISIONED,
		INP_OPERATIONAL_FAILED, "bob was here"),
		INP_STORE_NOT_FOUND);
	expect_problem(store, inp_store_vnet_release(store, fixture->bob, id),
		       INP_STORE_NOT_FOUND);
	expect_problem(store, inp_store_vnet_release(store, fixture->bob,
						     id + 100),
		       INP_STORE_NOT_FOUND);

	/* Nothing of Alice's changed. */
	totals(store, &after);
	assert_string_equal(before.buf, after.buf);
	assert_int_equal(inp_store_vnet_get(store, fixture->alice, id, &vnet), 0);
	assert_int_equal(vnet.state, INP_VNET_RESERVED);
	assert_int_equal(vnet.lease_end, NOW + 3600);
	for (uint32_t i = 0; i < vnet.sliver_count; i++) {
		assert_int_equal(vnet.slivers[i].operational,
				 INP_OPERATIONAL_PENDING_ALLOCATION);
		assert_null(vnet.slivers[i].error);
	}
	inp_vnet_free(&vnet);
	assert_int_equal(listed(store, fixture->alice, false), 1);
}

static void test_tag_double_booking(void **state)
{
	struct fixture *fixture = *state;
	struct inp_store *store = fixture->store;
	struct sample first, second;
	sample_init(&first, "a", CORE, 7000);
	assert_int_equal(inp_store_vnet_reserve(store, fixture->alice,
						&first.vnet, NULL), 0);
	struct text before, after;
	totals(store, &before);

	/* Bob asks for the same VNI on l2: refused whole. */
	sample_init(&second, "b", CORE, 7000);
	expect_problem(store, inp_store_vnet_reserve(store, fixture->bob,
						     &second.vnet, NULL),
		       INP_STORE_TAG_TAKEN);
	assert_non_null(strstr(inp_store_error(store), "7000"));
	assert_int_equal(second.tags[0].tag, 0);
	/* So is a fixed tag someone picked from a range. */
	second.tags[1] = (struct inp_tag_reservation){ "l1", 100, INP_TAG_VLAN,
						       100, 199 };
	expect_problem(store, inp_store_vnet_reserve(store, fixture->bob,
						     &second.vnet, NULL),
		       INP_STORE_TAG_TAKEN);
	/* Two tags of one request on the same link and number. */
	second.tags[0] = (struct inp_tag_reservation){ "l3", 5, INP_TAG_VLAN,
						       0, 0 };
	second.tags[1] = second.tags[0];
	expect_problem(store, inp_store_vnet_reserve(store, fixture->bob,
						     &second.vnet, NULL),
		       INP_STORE_TAG_TAKEN);
	totals(store, &after);
	assert_string_equal(before.buf, after.buf);
	assert_int_equal(listed(store, fixture->bob, true), 0);

	/* The same number on another link is another tag. */
	sample_init(&second, "b", CORE, 7000);
	second.tags[1].substrate_link = "l9";
	assert_int_equal(inp_store_vnet_reserve(store, fixture->bob,
						&second.vnet, NULL), 0);
	assert_int_equal(second.tags[0].tag, 101);

	/* A full range: no free tag, nothing kept. */
	uint32_t tag = 0;
	assert_int_equal(inp_store_tag_free(store, "l1", 100, 101, &tag), -1);
	assert_int_equal(inp_store_problem(store), INP_STORE_NO_FREE_TAG);
	assert_int_equal(inp_store_tag_free(store, "l1", 100, 102, &tag), 0);
	assert_int_equal(tag, 102);
	struct sample third;
	sample_init(&third, "c", CORE, 7003);
	third.tags[0].last = 101;
	totals(store, &before);
	expect_problem(store, inp_store_vnet_reserve(store, fixture->bob,
						     &third.vnet, NULL),
		       INP_STORE_NO_FREE_TAG);
	totals(store, &after);
	assert_string_equal(before.buf, after.buf);
	expect_problem(store, inp_store_tag_free(store, "l1", 0, 10, &tag),
		       INP_STORE_INVALID);
	expect_problem(store, inp_store_tag_free(store, "l1", 10, 9, &tag),
		       INP_STORE_INVALID);
}

static void test_tag_free(void **state)
{
	struct fixture *fixture = *state;
	struct inp_store *store = fixture->store;
	/* Take 10, 11, 13 on l5; the lowest free from 10 is 12, from 13 is
	 * 14, from 1 is 1. */
	struct inp_tag_reservation tags[3] = {
		{ "l5", 10, INP_TAG_VLAN, 0, 0 },
		{ "l5", 11, INP_TAG_VLAN, 0, 0 },
		{ "l5", 13, INP_TAG_VLAN, 0, 0 },
	};
	struct inp_vnet vnet = { .name = "t", .request = "", .request_format =
		"loom-xml", .lease_end = NOW + 60, .tag_count = 3, .tags = tags };
	int64_t id;
	assert_int_equal(inp_store_vnet_reserve(store, fixture->alice, &vnet,
						&id), 0);
	uint32_t tag;
	assert_int_equal(inp_store_tag_free(store, "l5", 10, 20, &tag), 0);
	assert_int_equal(tag, 12);
	assert_int_equal(inp_store_tag_free(store, "l5", 13, 20, &tag), 0);
	assert_int_equal(tag, 14);
	assert_int_equal(inp_store_tag_free(store, "l5", 1, 20, &tag), 0);
	assert_int_equal(tag, 1);
	assert_int_equal(inp_store_tag_free(store, "l6", 10, 20, &tag), 0);
	assert_int_equal(tag, 10);
	assert_int_equal(inp_store_tag_free(store, "l5", 10, 11, &tag), -1);
	assert_int_equal(inp_store_tag_free(store, "l5", 13, 13, &tag), -1);
	/* Released tags are free again. */
	assert_int_equal(inp_store_vnet_release(store, fixture->alice, id), 0);
	assert_int_equal(inp_store_tag_free(store, "l5", 10, 11, &tag), 0);
	assert_int_equal(tag, 10);
}

static void test_capacity(void **state)
{
	struct fixture *fixture = *state;
	struct inp_store *store = fixture->store;
	struct inp_cpu_reservation cpu = { "n1", 3 * CORE / 2, 2 * CORE };
	struct inp_vnet vnet = { .name = "big", .request = "",
		.request_format = "loom-xml", .lease_end = NOW + 60,
		.cpu_count = 1, .cpu = &cpu };
	assert_int_equal(inp_store_vnet_reserve(store, fixture->alice, &vnet,
						NULL), 0);
	/* 1.5 + 0.6 > 2 cores: refused; 1.5 + 0.5 fills it exactly. */
	cpu.amount = 6 * CORE / 10;
	vnet.name = "more";
	expect_problem(store, inp_store_vnet_reserve(store, fixture->bob, &vnet,
						     NULL),
		       INP_STORE_CAPACITY);
	assert_non_null(strstr(inp_store_error(store), "n1"));
	cpu.amount = CORE / 2;
	assert_int_equal(inp_store_vnet_reserve(store, fixture->bob, &vnet,
						NULL), 0);
	cpu.substrate_node = "n2";
	cpu.amount = 1;
	vnet.name = "tiny";
	cpu.capacity = 0;
	expect_problem(store, inp_store_vnet_reserve(store, fixture->bob, &vnet,
						     NULL),
		       INP_STORE_CAPACITY);

	/* Two entries of one request on one node count together. */
	struct inp_cpu_reservation two[2] = { { "n3", CORE, 3 * CORE / 2 },
					      { "n3", CORE, 3 * CORE / 2 } };
	vnet.cpu = two;
	vnet.cpu_count = 2;
	vnet.name = "split";
	expect_problem(store, inp_store_vnet_reserve(store, fixture->bob, &vnet,
						     NULL),
		       INP_STORE_CAPACITY);

	/* Each direction of a link is its own budget. */
	struct inp_bandwidth_reservation bandwidth = {
		"l1", INP_DIRECTION_FORWARD, 10000, 10000 };
	vnet = (struct inp_vnet){ .name = "fwd", .request = "",
		.request_format = "loom-xml", .lease_end = NOW + 60,
		.bandwidth_count = 1, .bandwidth = &bandwidth };
	assert_int_equal(inp_store_vnet_reserve(store, fixture->alice, &vnet,
						NULL), 0);
	vnet.name = "fwd2";
	bandwidth.amount = 1;
	struct text before, after;
	totals(store, &before);
	expect_problem(store, inp_store_vnet_reserve(store, fixture->bob, &vnet,
						     NULL),
		       INP_STORE_CAPACITY);
	totals(store, &after);
	assert_string_equal(before.buf, after.buf);
	bandwidth.direction = INP_DIRECTION_REVERSE;
	assert_int_equal(inp_store_vnet_reserve(store, fixture->bob, &vnet,
						NULL), 0);
	bandwidth.direction = INP_DIRECTION_NONE;
	vnet.name = "shared";
	assert_int_equal(inp_store_vnet_reserve(store, fixture->bob, &vnet,
						NULL), 0);
	totals(store, &after);
	assert_string_equal(after.buf, "node n1 2000000\n"
			    "link l1 forward 10000\n"
			    "link l1 none 1\n"
			    "link l1 reverse 1\n");
}

static void test_release(void **state)
{
	struct fixture *fixture = *state;
	struct inp_store *store = fixture->store;
	struct sample other, sample;
	sample_init(&other, "other", CORE, 7000);
	assert_int_equal(inp_store_vnet_reserve(store, fixture->bob,
						&other.vnet, NULL), 0);
	struct text before, during, after;
	totals(store, &before);
	sample_init(&sample, "web", CORE / 4, 7001);
	int64_t id;
	assert_int_equal(inp_store_vnet_reserve(store, fixture->alice,
						&sample.vnet, &id), 0);
	totals(store, &during);
	assert_string_not_equal(before.buf, during.buf);
	assert_string_equal(during.buf, "node n1 1250000\nnode n2 1250000\n"
			    "link l1 forward 2000\nlink l1 reverse 1000\n"
			    "tags l1 2\ntags l2 2\n");

	inp_store_set_time(store, NOW + 10);
	assert_int_equal(inp_store_vnet_release(store, fixture->alice, id), 0);
	totals(store, &after);
	assert_string_equal(before.buf, after.buf);
	/* Idempotent: again changes nothing. */
	assert_int_equal(inp_store_vnet_release(store, fixture->alice, id), 0);
	totals(store, &after);
	assert_string_equal(before.buf, after.buf);

	struct inp_vnet vnet;
	assert_int_equal(inp_store_vnet_get(store, fixture->alice, id, &vnet), 0);
	assert_int_equal(vnet.state, INP_VNET_DELETED);
	assert_int_equal(vnet.updated, NOW + 10);
	assert_int_equal(vnet.cpu_count + vnet.bandwidth_count + vnet.tag_count,
			 0);
	assert_int_equal(vnet.sliver_count, 3);
	for (uint32_t i = 0; i < vnet.sliver_count; i++)
		assert_int_equal(vnet.slivers[i].allocation,
				 INP_ALLOCATION_UNALLOCATED);
	inp_vnet_free(&vnet);
	assert_int_equal(listed(store, fixture->alice, false), 0);
	assert_int_equal(listed(store, fixture->alice, true), 1);
	/* A deleted VNet cannot be renewed or changed; its name is free. */
	expect_problem(store, inp_store_vnet_renew(store, fixture->alice, id,
						   NOW + 100),
		       INP_STORE_NOT_FOUND);
	expect_problem(store, inp_store_sliver_update(store, fixture->alice, id,
		INP_SLIVER_NODE, "web", INP_ALLOCATION_PROVISIONED,
		INP_OPERATIONAL_READY, NULL), INP_STORE_NOT_FOUND);
	sample_init(&sample, "web", CORE / 4, 7001);
	assert_int_equal(inp_store_vnet_reserve(store, fixture->alice,
						&sample.vnet, NULL), 0);
	/* The tag released above is the one picked again. */
	assert_int_equal(sample.tags[0].tag, 101);
}

static void test_slivers_renew(void **state)
{
	struct fixture *fixture = *state;
	struct inp_store *store = fixture->store;
	struct sample sample;
	sample_init(&sample, "web", CORE, 7000);
	int64_t id;
	assert_int_equal(inp_store_vnet_reserve(store, fixture->alice,
						&sample.vnet, &id), 0);
	inp_store_set_time(store, NOW + 5);
	assert_int_equal(inp_store_sliver_update(store, fixture->alice, id,
		INP_SLIVER_NODE, "db", INP_ALLOCATION_PROVISIONED,
		INP_OPERATIONAL_FAILED, "switch n2 unreachable"), 0);
	assert_int_equal(inp_store_sliver_update(store, fixture->alice, id,
		INP_SLIVER_LINK, "lan", INP_ALLOCATION_PROVISIONED,
		INP_OPERATIONAL_READY, NULL), 0);
	expect_problem(store, inp_store_sliver_update(store, fixture->alice, id,
		INP_SLIVER_LINK, "db", INP_ALLOCATION_PROVISIONED,
		INP_OPERATIONAL_READY, NULL), INP_STORE_NOT_FOUND);
	expect_problem(store, inp_store_sliver_update(store, fixture->alice, id,
		INP_SLIVER_LINK, "lan", INP_ALLOCATION_STATE_COUNT,
		INP_OPERATIONAL_READY, NULL), INP_STORE_INVALID);
	struct inp_vnet vnet;
	assert_int_equal(inp_store_vnet_get(store, fixture->alice, id, &vnet), 0);
	assert_int_equal(vnet.updated, NOW + 5);
	assert_string_equal(vnet.slivers[0].virtual_id, "db");
	assert_int_equal(vnet.slivers[0].operational, INP_OPERATIONAL_FAILED);
	assert_string_equal(vnet.slivers[0].error, "switch n2 unreachable");
	assert_int_equal(vnet.slivers[1].operational,
			 INP_OPERATIONAL_PENDING_ALLOCATION);
	assert_int_equal(vnet.slivers[2].allocation, INP_ALLOCATION_PROVISIONED);
	assert_int_equal(vnet.slivers[2].operational, INP_OPERATIONAL_READY);
	inp_vnet_free(&vnet);

	expect_problem(store, inp_store_vnet_renew(store, fixture->alice, id,
						   NOW + 5),
		       INP_STORE_INVALID);
	assert_int_equal(inp_store_vnet_renew(store, fixture->alice, id,
					      NOW + 9000), 0);
	assert_int_equal(inp_store_vnet_get(store, fixture->alice, id, &vnet), 0);
	assert_int_equal(vnet.lease_end, NOW + 9000);
	inp_vnet_free(&vnet);
}

/* A provisioning pass's news carry the generation of the embedding they
 * are about: after a re-embedding, news of the previous one change
 * nothing, news of the new one apply; a store of schema 2 gets the column
 * (generation 0) and keeps its VNets. */
static void sliver_news(struct inp_store *store, int64_t tenant, int64_t id,
			int64_t generation, const char *node,
			enum inp_operational_state operational)
{
	struct inp_sliver_update update = {
		.tenant = tenant, .vnet = id, .generation = generation,
		.kind = INP_SLIVER_NODE, .virtual_id = node,
		.allocation = operational == INP_OPERATIONAL_READY
				      ? INP_ALLOCATION_PROVISIONED
				      : INP_ALLOCATION_ALLOCATED,
		.operational = operational,
		.error = operational == INP_OPERATIONAL_FAILED ? "n2 down" : NULL,
	};
	assert_int_equal(inp_store_slivers_update(store, &update, 1), 0);
}

/* Gives news of `generation` about node sliver "db" (none when `news` is
 * INP_OPERATIONAL_STATE_COUNT), then expects db's state and the VNet's
 * generation. */
static void news_then_expect(struct inp_store *store, int64_t tenant,
			     int64_t id, int64_t generation,
			     enum inp_operational_state news,
			     enum inp_operational_state want_state,
			     int64_t want_generation)
{
	if (news != INP_OPERATIONAL_STATE_COUNT)
		sliver_news(store, tenant, id, generation, "db", news);
	struct inp_vnet vnet;
	assert_int_equal(inp_store_vnet_get(store, tenant, id, &vnet), 0);
	enum inp_operational_state state = INP_OPERATIONAL_STATE_COUNT;
	for (uint32_t s = 0; s < vnet.sliver_count; s++)
		if (vnet.slivers[s].kind == INP_SLIVER_NODE &&
		    strcmp(vnet.slivers[s].virtual_id, "db") == 0)
			state = vnet.slivers[s].operational;
	assert_int_equal(state, want_state);
	assert_int_equal(vnet.generation, want_generation);
	inp_vnet_free(&vnet);
}

static void test_generations(void **state)
{
	struct fixture *fixture = *state;
	struct inp_store *store = fixture->store;
	struct sample sample;
	sample_init(&sample, "web", CORE, 7000);
	int64_t id;
	const enum inp_operational_state none = INP_OPERATIONAL_STATE_COUNT;
	assert_int_equal(inp_store_vnet_reserve(store, fixture->alice,
						&sample.vnet, &id), 0);
	news_then_expect(store, fixture->alice, id, 0, none,
			 INP_OPERATIONAL_PENDING_ALLOCATION, 0);
	news_then_expect(store, fixture->alice, id, 0, INP_OPERATIONAL_READY,
			 INP_OPERATIONAL_READY, 0);

	/* Re-embedded: generation 1, its slivers as the replacement says. */
	struct sample again;
	sample_init(&again, "web", CORE, 7000);
	assert_int_equal(inp_store_vnet_replace(store, fixture->alice, id,
						&again.vnet), 0);
	news_then_expect(store, fixture->alice, id, 0, none,
			 INP_OPERATIONAL_PENDING_ALLOCATION, 1);
	/* Late news of generation 0 (a pass that began before) are not
	 * about these slivers; generation 1's are. */
	news_then_expect(store, fixture->alice, id, 0, INP_OPERATIONAL_READY,
			 INP_OPERATIONAL_PENDING_ALLOCATION, 1);
	news_then_expect(store, fixture->alice, id, 1, INP_OPERATIONAL_FAILED,
			 INP_OPERATIONAL_FAILED, 1);
	/* A failure releases by replacing with nothing: generation 2. */
	struct inp_vnet nothing = { .sliver_count = 0 };
	assert_int_equal(inp_store_vnet_replace(store, fixture->alice, id,
						&nothing), 0);
	struct inp_vnet vnet;
	assert_int_equal(inp_store_vnet_get(store, fixture->alice, id, &vnet), 0);
	assert_int_equal(vnet.generation, 2);
	inp_vnet_free(&vnet);

	/* A store of schema 2 (before generations): migrated on open. */
	inp_store_close(store);
	fixture->store = NULL;
	sqlite3 *db = raw_open(fixture->path);
	assert_int_equal(sqlite3_exec(db,
				      "ALTER TABLE vnets DROP COLUMN generation;"
				      "PRAGMA user_version = 2;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	char err[256];
	fixture->store = inp_store_open(fixture->path, 0, err, sizeof(err));
	if (!fixture->store)
		fail_msg("open: %s", err);
	store = fixture->store;
	assert_int_equal(inp_store_vnet_get(store, fixture->alice, id, &vnet), 0);
	assert_int_equal(vnet.generation, 0);
	assert_string_equal(vnet.name, "web");
	inp_vnet_free(&vnet);
	db = raw_open(fixture->path);
	assert_int_equal(raw_integer(db, "PRAGMA user_version"),
			 INP_STORE_SCHEMA_VERSION);
	sqlite3_close(db);
}

struct expiry {
	struct inp_store *store;
	int64_t tenants[8], ids[8];
	int count;
};

static int expire(void *context, int64_t tenant, int64_t id)
{
	struct expiry *expiry = context;
	assert_true(expiry->count < 8);
	expiry->tenants[expiry->count] = tenant;
	expiry->ids[expiry->count++] = id;
	/* The daemon releases from here, on the same handle. */
	return inp_store_vnet_release(expiry->store, tenant, id) < 0;
}

static void test_expiry(void **state)
{
	struct fixture *fixture = *state;
	struct inp_store *store = fixture->store;
	struct sample a, b, c;
	int64_t ida, idb, idc;
	sample_init(&a, "a", CORE, 7000);
	a.vnet.lease_end = NOW + 200;
	sample_init(&b, "b", CORE, 7001);
	b.vnet.lease_end = NOW + 100;
	sample_init(&c, "c", CORE, 7002);
	c.vnet.lease_end = NOW + 300;
	assert_int_equal(inp_store_vnet_reserve(store, fixture->alice, &a.vnet,
						&ida), 0);
	assert_int_equal(inp_store_vnet_reserve(store, fixture->bob, &b.vnet,
						&idb), 0);
	assert_int_equal(inp_store_vnet_reserve(store, fixture->alice, &c.vnet,
						&idc), 0);
	struct expiry expiry = { .store = store };
	assert_int_equal(inp_store_vnet_expired(store, expire, &expiry), 0);
	assert_int_equal(expiry.count, 0);
	inp_store_set_time(store, NOW + 200);
	assert_int_equal(inp_store_vnet_expired(store, expire, &expiry), 0);
	assert_int_equal(expiry.count, 2); /* by lease end: b, then a */
	assert_int_equal(expiry.ids[0], idb);
	assert_int_equal(expiry.tenants[0], fixture->bob);
	assert_int_equal(expiry.ids[1], ida);
	assert_int_equal(expiry.tenants[1], fixture->alice);
	expiry.count = 0;
	assert_int_equal(inp_store_vnet_expired(store, expire, &expiry), 0);
	assert_int_equal(expiry.count, 0);
	struct text text;
	totals(store, &text);
	assert_string_equal(text.buf, "node n1 1000000\nnode n2 1000000\n"
			    "link l1 forward 1000\nlink l1 reverse 500\n"
			    "tags l1 1\ntags l2 1\n");
	(void)idc;
}

/* ---- crash safety ------------------------------------------------------- */

#define CRASH_NODES 6
#define CRASH_LINKS 5
#define CRASH_CPU (4 * CORE)
#define CRASH_BANDWIDTH 10000
#define CRASH_TAG_LAST 40
#define CRASH_ROUNDS 20
#define CRASH_WRITERS 2

static uint64_t next_random(uint64_t *seed)
{
	*seed ^= *seed << 13;
	*seed ^= *seed >> 7;
	*seed ^= *seed << 17;
	return *seed;
}

/* Finds the target-th VNet of a walk. */
struct pick {
	int target, seen;
	int64_t id;
};

static int pick_one(void *context, const struct inp_vnet *vnet)
{
	struct pick *pick = context;
	if (pick->seen++ == pick->target) {
		pick->id = vnet->id;
		return 1;
	}
	return 0;
}

/* The child: reserve and release random VNets until killed. Each VNet's
 * request text says what it reserved, so the checker can tell a partial
 * reservation from a whole one. Never returns. */
static void crash_writer(const char *path, int64_t tenant, uint64_t seed)
{
	char err[256];
	struct inp_store *store = inp_store_open(path, 10000, err, sizeof(err));
	if (!store)
		_exit(2);
	char names[CRASH_NODES][8], links[CRASH_LINKS][8];
	for (int i = 0; i < CRASH_NODES; i++)
		snprintf(names[i], sizeof(names[i]), "n%d", i);
	for (int i = 0; i < CRASH_LINKS; i++)
		snprintf(links[i], sizeof(links[i]), "l%d", i);
	for (unsigned serial = 0;; serial++) {
		if (next_random(&seed) % 10 < 4) {
			int64_t victim;
			int count = 0;
			if (inp_store_vnet_list(store, tenant, false,
						vnet_count, &count) < 0)
				_exit(3);
			if (count == 0)
				continue;
			/* Release the n-th reserved VNet. */
			struct pick pick = {
				(int)(next_random(&seed) % (unsigned)count), 0,
				0 };
			if (inp_store_vnet_list(store, tenant, false, pick_one,
						&pick) < 0)
				_exit(3);
			victim = pick.id;
			if (victim && inp_store_vnet_release(store, tenant,
							     victim) < 0)
				_exit(4);
			continue;
		}
		struct inp_cpu_reservation cpu[3];
		struct inp_bandwidth_reservation bandwidth[3];
		struct inp_tag_reservation tags[3];
		uint32_t cpu_count = 1 + next_random(&seed) % 3;
		uint32_t bandwidth_count = 1 + next_random(&seed) % 3;
		uint32_t tag_count = 1 + next_random(&seed) % 3;
		int64_t cpu_sum = 0, bandwidth_sum = 0;
		for (uint32_t i = 0; i < cpu_count; i++) {
			cpu[i] = (struct inp_cpu_reservation){
				names[next_random(&seed) % CRASH_NODES],
				CORE / 5 + (int64_t)(next_random(&seed) %
						     (3 * CORE / 2)),
				CRASH_CPU };
			cpu_sum += cpu[i].amount;
		}
		for (uint32_t i = 0; i < bandwidth_count; i++) {
			bandwidth[i] = (struct inp_bandwidth_reservation){
				links[next_random(&seed) % CRASH_LINKS],
				(enum inp_direction)(next_random(&seed) % 3),
				500 + (int64_t)(next_random(&seed) % 4000),
				CRASH_BANDWIDTH };
			bandwidth_sum += bandwidth[i].amount;
		}
		for (uint32_t i = 0; i < tag_count; i++) {
			/* Mostly picked; sometimes a fixed one that may be
			 * taken already. */
			bool fixed = next_random(&seed) % 4 == 0;
			tags[i] = (struct inp_tag_reservation){
				links[next_random(&seed) % CRASH_LINKS],
				fixed ? 1 + (uint32_t)(next_random(&seed) %
						       CRASH_TAG_LAST)
				      : 0,
				INP_TAG_VLAN, 1, CRASH_TAG_LAST };
		}
		char name[64], request[128];
		snprintf(name, sizeof(name), "v%d-%u", (int)getpid(), serial);
		snprintf(request, sizeof(request), "%u %lld %u %lld %u",
			 cpu_count, (long long)cpu_sum, bandwidth_count,
			 (long long)bandwidth_sum, tag_count);
		struct inp_sliver sliver = { INP_SLIVER_NODE, "a", "{}",
			INP_ALLOCATION_ALLOCATED,
			INP_OPERATIONAL_PENDING_ALLOCATION, NULL };
		struct inp_vnet vnet = { .name = name, .request = request,
			.request_format = "test", .lease_end = NOW + 3600,
			.sliver_count = 1, .slivers = &sliver,
			.cpu_count = cpu_count, .cpu = cpu,
			.bandwidth_count = bandwidth_count,
			.bandwidth = bandwidth,
			.tag_count = tag_count, .tags = tags };
		if (inp_store_vnet_reserve(store, tenant, &vnet, NULL) < 0) {
			enum inp_store_problem problem =
				inp_store_problem(store);
			if (problem != INP_STORE_CAPACITY &&
			    problem != INP_STORE_TAG_TAKEN &&
			    problem != INP_STORE_NO_FREE_TAG)
				_exit(5);
		}
	}
}

/* Every invariant, in plain SQL on the file as a crash left it. */
static void crash_check(const char *path, int64_t *reserved)
{
	sqlite3 *db = raw_open(path);
	sqlite3_stmt *statement = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1,
					    &statement, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(statement), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(statement, 0),
			    "ok");
	sqlite3_finalize(statement);
	static const char *const zero[] = {
		"SELECT count(*) FROM pragma_foreign_key_check",
		/* every reservation belongs to a reserved VNet */
		"SELECT count(*) FROM cpu_reservations r LEFT JOIN vnets v"
		" ON v.id = r.vnet WHERE v.state IS NOT 'reserved'",
		"SELECT count(*) FROM bandwidth_reservations r LEFT JOIN"
		" vnets v ON v.id = r.vnet WHERE v.state IS NOT 'reserved'",
		"SELECT count(*) FROM tag_reservations r LEFT JOIN vnets v"
		" ON v.id = r.vnet WHERE v.state IS NOT 'reserved'",
		/* a tag once per link, within its range */
		"SELECT count(*) FROM (SELECT 1 FROM tag_reservations"
		" GROUP BY substrate_link, tag HAVING count(*) > 1)",
		"SELECT count(*) FROM tag_reservations WHERE tag < 1"
		" OR tag > 40",
		/* no capacity exceeded */
		"SELECT count(*) FROM (SELECT 1 FROM cpu_reservations"
		" GROUP BY substrate_node HAVING sum(amount) > 4000000)",
		"SELECT count(*) FROM (SELECT 1 FROM bandwidth_reservations"
		" GROUP BY substrate_link, direction"
		" HAVING sum(amount) > 10000)",
		/* every reserved VNet holds exactly what it asked for: its
		 * request text is "cpus cpu_sum bandwidths bandwidth_sum
		 * tags" */
		"SELECT count(*) FROM vnets v WHERE state = 'reserved' AND"
		" request IS NOT (SELECT count(*) || ' ' ||"
		"  coalesce(sum(amount), 0) FROM cpu_reservations"
		"  WHERE vnet = v.id) || ' ' || (SELECT count(*) || ' ' ||"
		"  coalesce(sum(amount), 0) FROM bandwidth_reservations"
		"  WHERE vnet = v.id) || ' ' || (SELECT count(*) FROM"
		"  tag_reservations WHERE vnet = v.id)",
		/* and its sliver; deleted ones have theirs unallocated */
		"SELECT count(*) FROM vnets v WHERE state = 'reserved' AND"
		" (SELECT count(*) FROM slivers WHERE vnet = v.id AND"
		"  allocation = 'allocated') != 1",
		"SELECT count(*) FROM slivers s JOIN vnets v ON v.id = s.vnet"
		" WHERE v.state = 'deleted' AND s.allocation != 'unallocated'",
	};
	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++) {
		int64_t count = raw_integer(db, zero[i]);
		if (count != 0)
			fail_msg("%lld rows break: %s", (long long)count,
				 zero[i]);
	}
	*reserved = raw_integer(db, "SELECT count(*) FROM events"
				" WHERE what = 'VNet reserved'");
	sqlite3_close(db);
}

static void test_crash_safety(void **state)
{
	struct fixture *fixture = *state;
	inp_store_close(fixture->store);
	fixture->store = NULL;
	uint64_t seed = (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid();
	print_message("# crash seed %llu\n", (unsigned long long)seed);
	int64_t tenants[CRASH_WRITERS] = { fixture->alice, fixture->bob };
	int64_t reserved_before = 0, reserved = 0;
	for (int round = 0; round < CRASH_ROUNDS; round++) {
		pid_t children[CRASH_WRITERS];
		for (int i = 0; i < CRASH_WRITERS; i++) {
			uint64_t child_seed = next_random(&seed) | 1;
			children[i] = fork();
			assert_true(children[i] >= 0);
			if (children[i] == 0)
				crash_writer(fixture->path, tenants[i],
					     child_seed);
		}
		/* 50 to 400 ms in: anywhere in a transaction or between. */
		struct timespec pause = { 0, (long)(50 + next_random(&seed) %
						    350) * 1000000L };
		nanosleep(&pause, NULL);
		for (int i = 0; i < CRASH_WRITERS; i++) {
			pause.tv_nsec = (long)(next_random(&seed) % 20) *
					1000000L;
			nanosleep(&pause, NULL);
			assert_int_equal(kill(children[i], SIGKILL), 0);
			int status;
			assert_int_equal(waitpid(children[i], &status, 0),
					 children[i]);
			if (!WIFSIGNALED(status))
				fail_msg("writer ended by itself, status %d",
					 WEXITSTATUS(status));
		}
		crash_check(fixture->path, &reserved);
		assert_true(reserved >= reserved_before);
		reserved_before = reserved;
	}
	print_message("# %lld VNets reserved across %d kills\n",
		      (long long)reserved, CRASH_ROUNDS * CRASH_WRITERS);
	assert_true(reserved > 20); /* the writers did work */

	/* The store reopens, its totals match the rows, and releasing
	 * every VNet frees everything. */
	char err[256];
	fixture->store = inp_store_open(fixture->path, 0, err, sizeof(err));
	if (!fixture->store)
		fail_msg("reopen: %s", err);
	for (int i = 0; i < CRASH_WRITERS; i++) {
		for (;;) {
			struct pick pick = { 0, 0, 0 };
			assert_true(inp_store_vnet_list(fixture->store,
							tenants[i], false,
							pick_one, &pick) >= 0);
			if (!pick.id)
				break;
			assert_int_equal(inp_store_vnet_release(fixture->store,
								tenants[i],
								pick.id),
					 0);
		}
	}
	struct text text;
	totals(fixture->store, &text);
	assert_string_equal(text.buf, "");
	int64_t ignored;
	crash_check(fixture->path, &ignored);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tenants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserve_get, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_authorization, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tag_double_booking, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tag_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capacity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slivers_renew, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_generations, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_safety, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

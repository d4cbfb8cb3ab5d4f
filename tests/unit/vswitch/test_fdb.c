/* FDB unit tests: learning, lookup, aging on a driven clock, statics,
 * lazy flushes and exact counts, limits and fairness eviction, and
 * concurrent workers against a control thread. Real EAL memory. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <rte_ether.h>

#include "test_eal.h"
#include "vswitch.h"

/* ---- Helpers ------------------------------------------------------------- */

static struct fdb *fdb; /* the table of the running test */

static struct fdb *make_fdb(uint32_t capacity, uint32_t global_limit,
			    uint32_t age_seconds)
{
	if (fdb)
		fdb_free(fdb);
	struct fdb_config config = {
		.capacity = capacity,
		.global_limit = global_limit,
		.age_seconds = age_seconds,
	};
	fdb = fdb_create(&config, SOCKET_ID_ANY);
	assert_non_null(fdb);
	fdb_set_time(fdb, 1000);
	return fdb;
}

static int teardown(void **state)
{
	(void)state;
	fdb_free(fdb);
	fdb = NULL;
	return 0;
}

/* A locally administered unicast MAC numbered n. */
static struct rte_ether_addr mac_of(uint32_t n)
{
	struct rte_ether_addr mac = {{0x02, 0x00, (uint8_t)(n >> 24),
				      (uint8_t)(n >> 16), (uint8_t)(n >> 8),
				      (uint8_t)n}};
	return mac;
}

static uint64_t key_of(uint16_t bd, uint32_t n)
{
	struct rte_ether_addr mac = mac_of(n);
	return fdb_key(bd, &mac);
}


static uint64_t random_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* A random unicast, non-zero MAC's key in bd. */
static uint64_t random_key(uint64_t *s, uint16_t bd)
{
	struct rte_ether_addr mac;
	uint64_t r = random_next(s);
	for (int i = 0; i < 6; i++)
		mac.addr_bytes[i] = (uint8_t)(r >> (8 * i));
	mac.addr_bytes[0] = (uint8_t)((mac.addr_bytes[0] & 0xfe) | 0x02);
	return fdb_key(bd, &mac);
}

static struct fdb_result lookup(uint64_t key)
{
	struct fdb_result result;
	fdb_lookup_bulk(fdb, &key, 1, &result);
	return result;
}

static uint16_t member_of(uint64_t key)
{
	return lookup(key).member;
}

static struct fdb_stats stats(void)
{
	struct fdb_stats s;
	fdb_get_stats(fdb, &s);
	return s;
}

struct walk_tally {
	unsigned entries;
	unsigned statics;
	unsigned stop_after; /* 0 = never stop */
	uint16_t bd;         /* expected filter, 0 = any */
	uint16_t member;     /* expected filter, FDB_NO_MEMBER = any */
	bool filter_broken;
	unsigned *per_bd;     /* optional [VSWITCH_MAX_BD + 1] */
	unsigned *per_member; /* optional [VSWITCH_MAX_MEMBERS + 2] */
};

static int tally(const struct fdb_entry_info *entry, void *arg)
{
	struct walk_tally *t = arg;
	t->entries++;
	t->statics += entry->is_static;
	if ((t->bd && fdb_key_bd(entry->key) != t->bd) ||
	    (t->member != FDB_NO_MEMBER && entry->member != t->member))
		t->filter_broken = true;
	if (t->per_bd)
		t->per_bd[fdb_key_bd(entry->key)]++;
	if (t->per_member)
		t->per_member[entry->member]++;
	return t->stop_after && t->entries >= t->stop_after;
}

static struct walk_tally walk(uint16_t bd, uint16_t member)
{
	struct walk_tally t = {.bd = bd, .member = member};
	fdb_walk(fdb, bd, member, tally, &t);
	assert_false(t.filter_broken);
	return t;
}

/* ---- Basic learning and lookup -------------------------------------------- */

static void test_learn_and_lookup(void **state)
{
	(void)state;
	make_fdb(1024, 0, 300);
	uint64_t key = key_of(1, 1);

	assert_int_equal(member_of(key), FDB_NO_MEMBER);
	assert_int_equal(fdb_learn(fdb, key, 7), FDB_LEARN_learned);
	struct fdb_result r = lookup(key);
	assert_int_equal(r.member, 7);
	assert_int_equal(r.is_static, 0);
	assert_int_equal(r.refresh_due, 0);
	assert_int_equal(fdb_learn(fdb, key, 7), FDB_LEARN_unchanged);

	assert_int_equal(fdb_count_member(fdb, 7), 1);
	assert_int_equal(fdb_count_bd(fdb, 1), 1);
	assert_int_equal(fdb_count_bd(fdb, 2), 0);
	struct fdb_stats s = stats();
	assert_int_equal(s.entries, 1);
	assert_int_equal(s.learned, 1);
	/* Same MAC in another BD is another key. */
	assert_int_equal(member_of(key_of(2, 1)), FDB_NO_MEMBER);
	assert_int_equal(fdb_learn(fdb, key_of(2, 1), 8), FDB_LEARN_learned);
	assert_int_equal(member_of(key_of(2, 1)), 8);
	assert_int_equal(member_of(key), 7);
}

static void test_lookup_bulk_mixed(void **state)
{
	(void)state;
	make_fdb(4096, 0, 0);
	/* Even numbers are known, on member 1 + n % 50; odd ones are not. */
	for (uint32_t n = 0; n < 2000; n += 2)
		assert_int_equal(fdb_learn(fdb, key_of(3, n), 1 + n % 50),
				 FDB_LEARN_learned);
	uint64_t seed = 42;
	uint64_t keys[100];
	uint32_t numbers[100];
	struct fdb_result results[100];
	for (unsigned n = 1; n <= 100; n++) {
		for (unsigned i = 0; i < n; i++) {
			numbers[i] = (uint32_t)(random_next(&seed) % 2000);
			keys[i] = key_of(3, numbers[i]);
		}
		memset(results, 0xaa, sizeof(results));
		fdb_lookup_bulk(fdb, keys, n, results);
		for (unsigned i = 0; i < n; i++) {
			uint16_t want = numbers[i] % 2 ? FDB_NO_MEMBER
						       : 1 + numbers[i] % 50;
			assert_int_equal(results[i].member, want);
			assert_int_equal(results[i].is_static, 0);
		}
		/* Nothing written past n. */
		if (n < 100)
			assert_int_equal(results[n].member, 0xaaaa);
	}
	fdb_lookup_bulk(fdb, keys, 0, results);
}

static void test_never_learn_group_or_zero(void **state)
{
	(void)state;
	make_fdb(1024, 0, 0);
	struct rte_ether_addr multicast = {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
	struct rte_ether_addr broadcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	struct rte_ether_addr zero = {{0}};
	struct rte_ether_addr ok = mac_of(5);
	const uint64_t bad_keys[] = {
		fdb_key(1, &multicast), fdb_key(1, &broadcast), fdb_key(1, &zero),
		fdb_key(0, &ok), fdb_key(VSWITCH_MAX_BD + 1, &ok),
	};
	for (unsigned i = 0; i < RTE_DIM(bad_keys); i++) {
		assert_int_equal(fdb_learn(fdb, bad_keys[i], 1),
				 FDB_LEARN_invalid);
		assert_int_equal(member_of(bad_keys[i]), FDB_NO_MEMBER);
		assert_int_equal(fdb_add_static(fdb, bad_keys[i], 1), -EINVAL);
	}
	assert_int_equal(fdb_learn(fdb, fdb_key(1, &ok), 0), FDB_LEARN_invalid);
	assert_int_equal(fdb_learn(fdb, fdb_key(1, &ok), FDB_NO_MEMBER),
			 FDB_LEARN_invalid);
	assert_int_equal(stats().invalid, RTE_DIM(bad_keys) + 2);
	assert_int_equal(stats().entries, 0);
	assert_int_equal(walk(0, FDB_NO_MEMBER).entries, 0);
	/* Key 0 (what an empty slot holds) is never found. */
	assert_int_equal(member_of(0), FDB_NO_MEMBER);
	assert_int_equal(fdb_remove(fdb, 0), -ENOENT);
}

/* ---- Aging and refresh ----------------------------------------------------- */

static void test_aging_on_driven_clock(void **state)
{
	(void)state;
	make_fdb(1024, 0, 10);
	fdb_set_time(fdb, 100);
	assert_int_equal(fdb_time(fdb), 100);
	uint64_t old_key = key_of(1, 1), new_key = key_of(1, 2);
	assert_int_equal(fdb_learn(fdb, old_key, 1), FDB_LEARN_learned);
	fdb_set_time(fdb, 105);
	assert_int_equal(fdb_learn(fdb, new_key, 1), FDB_LEARN_learned);

	fdb_set_time(fdb, 110); /* age 10: not more than age_seconds */
	assert_int_equal(member_of(old_key), 1);
	assert_int_equal(fdb_age(fdb), 0);
	fdb_set_time(fdb, 111); /* age 11: a miss, still counted until aged */
	assert_int_equal(member_of(old_key), FDB_NO_MEMBER);
	assert_int_equal(member_of(new_key), 1);
	assert_int_equal(fdb_count_member(fdb, 1), 2);
	assert_int_equal(fdb_age(fdb), 1);
	assert_int_equal(fdb_count_member(fdb, 1), 1);
	assert_int_equal(fdb_count_bd(fdb, 1), 1);
	assert_int_equal(stats().aged, 1);
	assert_int_equal(stats().entries, 1);
	assert_int_equal(walk(0, FDB_NO_MEMBER).entries, 1);
	assert_int_equal(fdb_age(fdb), 0);

	/* An expired entry seen again is learned anew, and counted once. */
	fdb_set_time(fdb, 200);
	assert_int_equal(fdb_learn(fdb, new_key, 1), FDB_LEARN_learned);
	assert_int_equal(fdb_count_member(fdb, 1), 1);
	assert_int_equal(fdb_age(fdb), 0);
	assert_int_equal(fdb_count_member(fdb, 1), 1);

	/* Aging off: nothing expires. */
	fdb_set_age(fdb, 0);
	fdb_set_time(fdb, 100000);
	assert_int_equal(member_of(new_key), 1);
	assert_int_equal(fdb_age(fdb), 0);
	struct walk_tally t = walk(0, FDB_NO_MEMBER);
	assert_int_equal(t.entries, 1);
}

struct age_probe {
	uint32_t age;
};

static int probe_age(const struct fdb_entry_info *entry, void *arg)
{
	((struct age_probe *)arg)->age = entry->age;
	return 0;
}

static void test_refresh_once_per_second(void **state)
{
	(void)state;
	make_fdb(1024, 0, 10);
	uint64_t key = key_of(1, 1);
	fdb_set_time(fdb, 100);
	assert_int_equal(fdb_learn(fdb, key, 1), FDB_LEARN_learned);
	assert_int_equal(lookup(key).refresh_due, 0);
	assert_int_equal(fdb_learn(fdb, key, 1), FDB_LEARN_unchanged);

	fdb_set_time(fdb, 105);
	assert_int_equal(lookup(key).refresh_due, 1);
	struct age_probe probe = {0};
	fdb_walk(fdb, 0, FDB_NO_MEMBER, probe_age, &probe);
	assert_int_equal(probe.age, 5);
	assert_int_equal(fdb_learn(fdb, key, 1), FDB_LEARN_refreshed);
	assert_int_equal(lookup(key).refresh_due, 0);
	assert_int_equal(fdb_learn(fdb, key, 1), FDB_LEARN_unchanged);
	fdb_walk(fdb, 0, FDB_NO_MEMBER, probe_age, &probe);
	assert_int_equal(probe.age, 0);
	assert_int_equal(stats().refreshed, 1);
	assert_int_equal(stats().learned, 1);
	assert_int_equal(fdb_count_member(fdb, 1), 1);

	/* The refresh restarted the age. */
	fdb_set_time(fdb, 115);
	assert_int_equal(member_of(key), 1);
	fdb_set_time(fdb, 116);
	assert_int_equal(member_of(key), FDB_NO_MEMBER);
}

/* ---- Moves and statics ---------------------------------------------------- */

static void test_move_is_counted(void **state)
{
	(void)state;
	make_fdb(1024, 0, 0);
	uint64_t key = key_of(1, 1);
	assert_int_equal(fdb_learn(fdb, key, 1), FDB_LEARN_learned);
	assert_int_equal(fdb_learn(fdb, key_of(1, 2), 1), FDB_LEARN_learned);
	assert_int_equal(fdb_learn(fdb, key, 2), FDB_LEARN_moved);
	assert_int_equal(member_of(key), 2);
	assert_int_equal(fdb_count_member(fdb, 1), 1);
	assert_int_equal(fdb_count_member(fdb, 2), 1);
	assert_int_equal(fdb_count_bd(fdb, 1), 2);
	assert_int_equal(stats().moved, 1);
	assert_int_equal(stats().learned, 2);
	assert_int_equal(fdb_learn(fdb, key, 2), FDB_LEARN_unchanged);
	/* Flushing the old member leaves the moved MAC alone. */
	fdb_flush_member(fdb, 1);
	assert_int_equal(member_of(key), 2);
	assert_int_equal(fdb_count_bd(fdb, 1), 1);
}

static void test_static_entries(void **state)
{
	(void)state;
	make_fdb(1024, 0, 10);
	uint64_t key = key_of(1, 1), learned_key = key_of(1, 2);
	assert_int_equal(fdb_add_static(fdb, key, 1), 0);
	struct fdb_result r = lookup(key);
	assert_int_equal(r.member, 1);
	assert_int_equal(r.is_static, 1);
	assert_int_equal(r.refresh_due, 0);

	/* Never overwritten by learning, and the conflict is counted. */
	assert_int_equal(fdb_learn(fdb, key, 2), FDB_LEARN_static_conflict);
	assert_int_equal(fdb_learn(fdb, key, 2), FDB_LEARN_static_conflict);
	assert_int_equal(stats().static_conflicts, 2);
	assert_int_equal(fdb_learn(fdb, key, 1), FDB_LEARN_unchanged);
	assert_int_equal(member_of(key), 1);

	/* Never aged, never flushed. */
	fdb_set_time(fdb, 1000000);
	assert_int_equal(fdb_age(fdb), 0);
	fdb_flush_bd(fdb, 1);
	fdb_flush_member(fdb, 1);
	fdb_flush_all(fdb);
	assert_int_equal(member_of(key), 1);
	assert_int_equal(fdb_count_member(fdb, 1), 1);
	assert_int_equal(fdb_count_bd(fdb, 1), 1);

	/* A static entry replaces a learned one and its count. */
	assert_int_equal(fdb_learn(fdb, learned_key, 2), FDB_LEARN_learned);
	assert_int_equal(fdb_count_member(fdb, 2), 1);
	assert_int_equal(fdb_add_static(fdb, learned_key, 3), 0);
	r = lookup(learned_key);
	assert_int_equal(r.member, 3);
	assert_int_equal(r.is_static, 1);
	assert_int_equal(fdb_count_member(fdb, 2), 0);
	assert_int_equal(fdb_count_member(fdb, 3), 1);
	assert_int_equal(fdb_count_bd(fdb, 1), 2);
	/* And may be re-pointed by the control thread. */
	assert_int_equal(fdb_add_static(fdb, learned_key, 4), 0);
	assert_int_equal(member_of(learned_key), 4);
	assert_int_equal(fdb_count_member(fdb, 3), 0);
	assert_int_equal(fdb_count_member(fdb, 4), 1);
	struct fdb_stats s = stats();
	assert_int_equal(s.static_entries, 2);
	assert_int_equal(s.entries, 2);
	struct walk_tally t = walk(0, FDB_NO_MEMBER);
	assert_int_equal(t.entries, 2);
	assert_int_equal(t.statics, 2);

	/* Statics do not count against learning limits. */
	fdb_set_bd_limit(fdb, 1, 2);
	for (uint32_t n = 10; n < 15; n++)
		assert_int_equal(fdb_add_static(fdb, key_of(1, n), 5), 0);
	assert_int_equal(fdb_learn(fdb, key_of(1, 20), 6), FDB_LEARN_learned);
	assert_int_equal(fdb_learn(fdb, key_of(1, 21), 6), FDB_LEARN_learned);
	assert_int_equal(fdb_count_bd(fdb, 1), 7 + 2);
}

static void test_remove(void **state)
{
	(void)state;
	make_fdb(1024, 0, 0);
	uint64_t learned_key = key_of(1, 1), static_key = key_of(1, 2);
	assert_int_equal(fdb_learn(fdb, learned_key, 1), FDB_LEARN_learned);
	assert_int_equal(fdb_add_static(fdb, static_key, 1), 0);
	assert_int_equal(fdb_count_member(fdb, 1), 2);

	assert_int_equal(fdb_remove(fdb, learned_key), 0);
	assert_int_equal(member_of(learned_key), FDB_NO_MEMBER);
	assert_int_equal(fdb_remove(fdb, learned_key), -ENOENT);
	assert_int_equal(fdb_count_member(fdb, 1), 1);
	assert_int_equal(fdb_remove(fdb, static_key), 0);
	assert_int_equal(member_of(static_key), FDB_NO_MEMBER);
	assert_int_equal(fdb_count_member(fdb, 1), 0);
	assert_int_equal(fdb_count_bd(fdb, 1), 0);
	assert_int_equal(fdb_remove(fdb, key_of(1, 3)), -ENOENT);
	assert_int_equal(stats().entries, 0);
	assert_int_equal(stats().static_entries, 0);

	/* A flushed entry is already gone. */
	assert_int_equal(fdb_learn(fdb, learned_key, 1), FDB_LEARN_learned);
	fdb_flush_member(fdb, 1);
	assert_int_equal(fdb_remove(fdb, learned_key), -ENOENT);
	assert_int_equal(fdb_count_bd(fdb, 1), 0);
}

/* ---- Lazy flushes ----------------------------------------------------------- */

static void learn_range(uint16_t bd, uint32_t first, uint32_t count,
			uint16_t member)
{
	for (uint32_t n = first; n < first + count; n++)
		assert_int_equal(fdb_learn(fdb, key_of(bd, n), member),
				 FDB_LEARN_learned);
}

static unsigned hits(uint16_t bd, uint32_t first, uint32_t count,
		     uint16_t member)
{
	unsigned found = 0;
	for (uint32_t n = first; n < first + count; n++)
		found += member_of(key_of(bd, n)) == member;
	return found;
}

static void test_flush_bd(void **state)
{
	(void)state;
	make_fdb(4096, 0, 0);
	learn_range(1, 0, 100, 1);
	learn_range(1, 100, 50, 2);
	learn_range(2, 0, 70, 3);
	assert_int_equal(fdb_add_static(fdb, key_of(1, 1000), 4), 0);
	assert_int_equal(fdb_count_bd(fdb, 1), 151);

	fdb_flush_bd(fdb, 1);
	assert_int_equal(hits(1, 0, 100, 1), 0);
	assert_int_equal(hits(1, 100, 50, 2), 0);
	assert_int_equal(hits(2, 0, 70, 3), 70);
	assert_int_equal(member_of(key_of(1, 1000)), 4);
	assert_int_equal(fdb_count_bd(fdb, 1), 1);
	assert_int_equal(fdb_count_member(fdb, 1), 0);
	assert_int_equal(fdb_count_member(fdb, 2), 0);
	assert_int_equal(fdb_count_member(fdb, 3), 70);
	assert_int_equal(stats().entries, 71);
	assert_int_equal(walk(0, FDB_NO_MEMBER).entries, 71);
	assert_int_equal(walk(1, FDB_NO_MEMBER).entries, 1);

	/* Flushed MACs are learned anew and counted once; reclaiming the
	 * other stale entries changes no count. */
	learn_range(1, 0, 10, 2);
	assert_int_equal(fdb_count_member(fdb, 2), 10);
	assert_int_equal(fdb_count_bd(fdb, 1), 11);
	assert_int_equal(fdb_age(fdb), 0);
	assert_int_equal(fdb_count_bd(fdb, 1), 11);
	assert_int_equal(fdb_count_member(fdb, 2), 10);
	assert_int_equal(stats().entries, 81);
	/* Flushing an empty BD is harmless. */
	fdb_flush_bd(fdb, 9);
	assert_int_equal(stats().entries, 81);
}

static void test_flush_member(void **state)
{
	(void)state;
	make_fdb(4096, 0, 0);
	learn_range(1, 0, 100, 1);
	learn_range(1, 100, 50, 2);
	assert_int_equal(fdb_add_static(fdb, key_of(1, 1000), 1), 0);

	fdb_flush_member(fdb, 1);
	assert_int_equal(hits(1, 0, 100, 1), 0);
	assert_int_equal(hits(1, 100, 50, 2), 50);
	assert_int_equal(member_of(key_of(1, 1000)), 1);
	assert_int_equal(fdb_count_member(fdb, 1), 1);
	assert_int_equal(fdb_count_member(fdb, 2), 50);
	assert_int_equal(fdb_count_bd(fdb, 1), 51);
	assert_int_equal(walk(0, 1).entries, 1);

	learn_range(1, 0, 30, 1);
	assert_int_equal(fdb_count_member(fdb, 1), 31);
	assert_int_equal(fdb_count_bd(fdb, 1), 81);
	/* BD flush after a member flush: nothing counted twice. */
	fdb_flush_bd(fdb, 1);
	assert_int_equal(fdb_count_member(fdb, 1), 1);
	assert_int_equal(fdb_count_member(fdb, 2), 0);
	assert_int_equal(fdb_count_bd(fdb, 1), 1);
	fdb_flush_member(fdb, 2);
	assert_int_equal(fdb_count_bd(fdb, 1), 1);
	assert_int_equal(fdb_age(fdb), 0);
	assert_int_equal(stats().entries, 1);
	learn_range(1, 200, 5, 2);
	assert_int_equal(fdb_count_member(fdb, 2), 5);
	assert_int_equal(fdb_count_bd(fdb, 1), 6);
}

static void test_flush_all(void **state)
{
	(void)state;
	make_fdb(4096, 0, 0);
	for (uint16_t bd = 1; bd <= 5; bd++)
		learn_range(bd, 0, 20, bd);
	assert_int_equal(fdb_add_static(fdb, key_of(5, 99), 5), 0);
	fdb_flush_all(fdb);
	for (uint16_t bd = 1; bd <= 5; bd++) {
		assert_int_equal(hits(bd, 0, 20, bd), 0);
		assert_int_equal(fdb_count_bd(fdb, bd), bd == 5);
	}
	assert_int_equal(stats().entries, 1);
	assert_int_equal(walk(0, FDB_NO_MEMBER).entries, 1);
}

static void test_forget(void **state)
{
	(void)state;
	make_fdb(4096, 0, 0);
	learn_range(1, 0, 20, 1);
	learn_range(1, 20, 20, 2);
	learn_range(2, 0, 20, 3);
	assert_int_equal(fdb_add_static(fdb, key_of(1, 100), 1), 0);
	assert_int_equal(fdb_add_static(fdb, key_of(2, 100), 1), 0);
	assert_int_equal(fdb_add_static(fdb, key_of(2, 101), 3), 0);

	fdb_forget_member(fdb, 1);
	assert_int_equal(fdb_count_member(fdb, 1), 0);
	assert_int_equal(member_of(key_of(1, 100)), FDB_NO_MEMBER);
	assert_int_equal(member_of(key_of(2, 100)), FDB_NO_MEMBER);
	assert_int_equal(hits(1, 20, 20, 2), 20);
	assert_int_equal(fdb_count_bd(fdb, 1), 20);
	assert_int_equal(fdb_count_bd(fdb, 2), 21);
	assert_int_equal(walk(0, 1).entries, 0);

	fdb_set_bd_limit(fdb, 2, 1);
	fdb_forget_bd(fdb, 2);
	assert_int_equal(fdb_count_bd(fdb, 2), 0);
	assert_int_equal(fdb_count_member(fdb, 3), 0);
	assert_int_equal(member_of(key_of(2, 101)), FDB_NO_MEMBER);
	assert_int_equal(walk(2, FDB_NO_MEMBER).entries, 0);
	assert_int_equal(stats().static_entries, 0);
	assert_int_equal(stats().entries, 20);
	/* The BD's limit went with it. */
	learn_range(2, 0, 5, 3);
	/* A forgotten member's id may join another BD. */
	learn_range(3, 0, 5, 1);
	assert_int_equal(fdb_count_member(fdb, 1), 5);
}

static void test_member_belongs_to_one_bd(void **state)
{
	(void)state;
	make_fdb(1024, 0, 10);
	fdb_set_time(fdb, 100);
	learn_range(1, 0, 3, 1);
	assert_int_equal(fdb_learn(fdb, key_of(2, 0), 1), FDB_LEARN_invalid);
	assert_int_equal(member_of(key_of(2, 0)), FDB_NO_MEMBER);
	assert_int_equal(fdb_count_bd(fdb, 2), 0);
	/* Once its entries are flushed, it may move. */
	fdb_flush_member(fdb, 1);
	assert_int_equal(fdb_learn(fdb, key_of(2, 0), 1), FDB_LEARN_learned);
	assert_int_equal(fdb_count_member(fdb, 1), 1);
	assert_int_equal(fdb_count_bd(fdb, 2), 1);
	assert_int_equal(fdb_count_bd(fdb, 1), 0);
	/* Or once they are aged out. */
	fdb_set_time(fdb, 200);
	assert_int_equal(fdb_age(fdb), 1);
	assert_int_equal(fdb_learn(fdb, key_of(3, 0), 1), FDB_LEARN_learned);
	assert_int_equal(fdb_count_bd(fdb, 3), 1);
}

/* Generations are 8 bits: many flushes with no aging in between must not
 * bring flushed entries back, nor break counts. */
static void test_many_flushes(void **state)
{
	(void)state;
	make_fdb(4096, 0, 0);
	for (uint32_t round = 0; round < 600; round++) {
		assert_int_equal(fdb_learn(fdb, key_of(1, round), 1),
				 FDB_LEARN_learned);
		assert_int_equal(fdb_learn(fdb, key_of(2, round), 2),
				 FDB_LEARN_learned);
		assert_int_equal(fdb_count_bd(fdb, 1), 1);
		if (round % 2)
			fdb_flush_bd(fdb, 1);
		else
			fdb_flush_member(fdb, 1);
		fdb_flush_member(fdb, 2);
		assert_int_equal(fdb_count_bd(fdb, 1), 0);
		assert_int_equal(fdb_count_bd(fdb, 2), 0);
	}
	assert_int_equal(hits(1, 0, 600, 1), 0);
	assert_int_equal(hits(2, 0, 600, 2), 0);
	assert_int_equal(walk(0, FDB_NO_MEMBER).entries, 0);
	assert_int_equal(stats().entries, 0);
}

/* ---- Limits and fairness ---------------------------------------------------- */

static void test_bd_limit(void **state)
{
	(void)state;
	make_fdb(16384, 0, 0);
	fdb_set_bd_limit(fdb, 1, 10);
	learn_range(1, 0, 10, 1);
	unsigned refused = 0, learned = 0;
	for (uint32_t n = 10; n < 1000; n++) {
		enum fdb_learn_result r = fdb_learn(fdb, key_of(1, n), 1);
		assert_true(r == FDB_LEARN_learned || r == FDB_LEARN_bd_limit);
		refused += r == FDB_LEARN_bd_limit;
		learned += r == FDB_LEARN_learned; /* only by replacing its own */
		assert_int_equal(fdb_count_bd(fdb, 1), 10);
	}
	assert_true(refused > 0);
	assert_int_equal(stats().limit_refused, refused);
	assert_int_equal(stats().evicted, learned);
	assert_int_equal(walk(1, FDB_NO_MEMBER).entries, 10);
	/* A second member may take the first one's places (it holds more),
	 * but the limit holds. */
	for (uint32_t n = 2000; n < 2100; n++) {
		enum fdb_learn_result r = fdb_learn(fdb, key_of(1, n), 2);
		assert_true(r == FDB_LEARN_learned || r == FDB_LEARN_bd_limit);
		assert_int_equal(fdb_count_bd(fdb, 1), 10);
	}
	/* Other BDs are not limited by it. */
	learn_range(2, 0, 100, 3);
	assert_int_equal(fdb_count_bd(fdb, 2), 100);
	/* Raising the limit lets learning go on. */
	fdb_set_bd_limit(fdb, 1, 0);
	learn_range(1, 5000, 20, 1);
	assert_int_equal(fdb_count_bd(fdb, 1), 30);
}

static void test_global_limit(void **state)
{
	(void)state;
	make_fdb(16384, 100, 0);
	learn_range(1, 0, 60, 1);
	learn_range(2, 0, 40, 2);
	assert_int_equal(stats().entries, 100);
	/* Member 3 holds fewer than both: it may only take their entries
	 * when one sits in its buckets; otherwise it is refused. */
	unsigned refused = 0;
	for (uint32_t n = 0; n < 1000; n++) {
		enum fdb_learn_result r = fdb_learn(fdb, key_of(3, n), 3);
		assert_true(r == FDB_LEARN_learned ||
			    r == FDB_LEARN_global_limit);
		refused += r == FDB_LEARN_global_limit;
		assert_int_equal(stats().entries, 100);
	}
	assert_true(refused > 0);
	/* Statics are outside the limit. */
	assert_int_equal(fdb_add_static(fdb, key_of(4, 1), 9), 0);
	assert_int_equal(stats().entries, 101);
	struct walk_tally t = walk(0, FDB_NO_MEMBER);
	assert_int_equal(t.entries, 101);
	assert_int_equal(fdb_count_member(fdb, 1) + fdb_count_member(fdb, 2) +
				 fdb_count_member(fdb, 3),
			 100);
}

/* A member flooding random source MACs replaces its own entries, aged or
 * flushed ones, or those of richer members: never the few entries of other
 * members, in its BD or another. */
static void test_fairness_against_flooding(void **state)
{
	(void)state;
	make_fdb(16384, 0, 0);
	/* 100 victims: members 2..11 in BD 1, 10 MACs each; and BD 2. */
	for (uint16_t member = 2; member <= 11; member++)
		learn_range(1, member * 100, 10, member);
	learn_range(2, 0, 100, 20);

	uint64_t seed = 7;
	uint64_t first_keys[100];
	unsigned results[FDB_LEARN_RESULT_MAX] = {0};
	for (unsigned i = 0; i < 100000; i++) {
		uint64_t key = random_key(&seed, 1);
		if (i < 100)
			first_keys[i] = key;
		results[fdb_learn(fdb, key, 1)]++;
	}
	for (uint16_t member = 2; member <= 11; member++)
		assert_int_equal(hits(1, member * 100, 10, member), 10);
	assert_int_equal(hits(2, 0, 100, 20), 100);
	for (uint16_t member = 2; member <= 11; member++)
		assert_int_equal(fdb_count_member(fdb, member), 10);
	assert_int_equal(fdb_count_bd(fdb, 2), 100);

	/* The flooder filled what was left and then rotated its own. */
	struct fdb_stats s = stats();
	uint32_t flooder = fdb_count_member(fdb, 1);
	assert_true(flooder >= 14000);
	assert_true(s.entries <= 16384);
	assert_true(results[FDB_LEARN_learned] > 50000);
	assert_true(s.evicted > 30000);
	unsigned early_left = 0;
	for (unsigned i = 0; i < 100; i++)
		early_left += member_of(first_keys[i]) == 1;
	assert_true(early_left < 50);
	assert_int_equal(walk(0, 1).entries, flooder);
	assert_int_equal(fdb_count_bd(fdb, 1), flooder + 100);

	/* The same in a BD with a limit: the flooder stays within it. */
	fdb_set_bd_limit(fdb, 3, 200);
	learn_range(3, 0, 50, 30);
	for (unsigned i = 0; i < 20000; i++)
		fdb_learn(fdb, random_key(&seed, 3), 31);
	assert_int_equal(hits(3, 0, 50, 30), 50);
	assert_int_equal(fdb_count_bd(fdb, 3), 200);
	assert_int_equal(hits(2, 0, 100, 20), 100);
}

/* The smallest table has one bucket pair: every entry is a candidate, so
 * the order of eviction shows exactly. */
static void test_eviction_order(void **state)
{
	(void)state;
	make_fdb(1, 14, 10);
	fdb_set_time(fdb, 100);
	learn_range(1, 0, 4, 1);
	fdb_set_time(fdb, 150); /* member 1's entries are expired */
	learn_range(1, 100, 10, 2);
	assert_int_equal(stats().entries, 14);

	/* Expired entries go first, even with a richer member around. */
	for (uint32_t n = 0; n < 4; n++) {
		assert_int_equal(fdb_learn(fdb, key_of(1, 200 + n), 3),
				 FDB_LEARN_learned);
		assert_int_equal(fdb_count_member(fdb, 1), 3 - n);
		assert_int_equal(fdb_count_member(fdb, 2), 10);
	}
	assert_int_equal(stats().aged, 4);
	/* Then the richer member's, while it holds more than the learner. */
	for (uint32_t n = 4; n < 7; n++) {
		assert_int_equal(fdb_learn(fdb, key_of(1, 200 + n), 3),
				 FDB_LEARN_learned);
		assert_int_equal(fdb_count_member(fdb, 2), 10 - (n - 3));
	}
	assert_int_equal(fdb_count_member(fdb, 2), 7);
	assert_int_equal(fdb_count_member(fdb, 3), 7);
	/* Then only its own, oldest first: the other member keeps its 7.
	 * (Aging off, a clock second per learn, to order them.) */
	fdb_set_age(fdb, 0);
	for (uint32_t n = 7; n < 50; n++) {
		fdb_set_time(fdb, 151 + n);
		assert_int_equal(fdb_learn(fdb, key_of(1, 200 + n), 3),
				 FDB_LEARN_learned);
		assert_int_equal(fdb_count_member(fdb, 2), 7);
		assert_int_equal(fdb_count_member(fdb, 3), 7);
	}
	/* Its last 7 are there. */
	assert_int_equal(hits(1, 243, 7, 3), 7);
	assert_int_equal(hits(1, 100, 10, 2), 7);
	assert_int_equal(stats().evicted, 3 + 43);
	/* A newcomer may take from either, as both hold more. */
	assert_int_equal(fdb_learn(fdb, key_of(1, 300), 4), FDB_LEARN_learned);
	assert_int_equal(fdb_count_member(fdb, 2) + fdb_count_member(fdb, 3), 13);
	/* At a BD's limit, only entries of that BD are candidates: a member
	 * holding as many as the other replaces its own. */
	fdb_set_bd_limit(fdb, 5, 2);
	assert_int_equal(fdb_learn(fdb, key_of(5, 1), 5), FDB_LEARN_learned);
	assert_int_equal(fdb_learn(fdb, key_of(5, 2), 6), FDB_LEARN_learned);
	uint64_t evicted = stats().evicted;
	for (uint32_t n = 3; n < 10; n++) {
		assert_int_equal(fdb_learn(fdb, key_of(5, n), 6),
				 FDB_LEARN_learned);
		assert_int_equal(member_of(key_of(5, 1)), 5);
		assert_int_equal(member_of(key_of(5, n)), 6);
		assert_int_equal(fdb_count_bd(fdb, 5), 2);
	}
	assert_int_equal(stats().evicted, evicted + 7);
	assert_int_equal(fdb_count_member(fdb, 2) + fdb_count_member(fdb, 3) +
				 fdb_count_member(fdb, 4),
			 14 - 2);
}

static void test_table_full(void **state)
{
	(void)state;
	/* 70 entries: 10 buckets, rounded to 16 buckets of 7 = 112 slots. */
	make_fdb(70, 100000, 0);
	uint32_t statics = 0;
	while (fdb_add_static(fdb, key_of(1, statics), 1) == 0)
		statics++;
	assert_true(statics <= 112);
	assert_true(statics >= 100); /* displacement keeps the load high */
	assert_int_equal(stats().static_entries, statics);
	for (uint32_t n = 0; n < statics; n++)
		assert_int_equal(member_of(key_of(1, n)), 1);
	/* Nothing can be evicted: learning is refused and counted. */
	unsigned full = 0;
	for (uint32_t n = 0; n < 50; n++)
		full += fdb_learn(fdb, key_of(2, n), 2) == FDB_LEARN_table_full;
	assert_true(full > 0);
	assert_int_equal(stats().limit_refused, full);
	assert_int_equal(fdb_count_bd(fdb, 2), 50 - full);

	/* With learned entries only, one member fills the table, then
	 * rotates its own entries: every learn succeeds. */
	make_fdb(70, 100000, 0);
	for (uint32_t n = 0; n < 1000; n++)
		assert_int_equal(fdb_learn(fdb, key_of(1, n), 1),
				 FDB_LEARN_learned);
	assert_true(fdb_count_member(fdb, 1) >= 100);
	assert_true(fdb_count_member(fdb, 1) <= 112);
	assert_int_equal(stats().evicted, 1000 - fdb_count_member(fdb, 1));
	assert_int_equal(walk(0, 1).entries, fdb_count_member(fdb, 1));
	/* A newcomer may take the place of that richer member's entries. */
	assert_int_equal(fdb_learn(fdb, key_of(1, 5000), 2), FDB_LEARN_learned);
	assert_int_equal(member_of(key_of(1, 5000)), 2);
}

/* ---- Walk ------------------------------------------------------------------- */

static void test_walk_filters(void **state)
{
	(void)state;
	make_fdb(4096, 0, 0);
	learn_range(1, 0, 10, 1);
	learn_range(1, 10, 20, 2);
	learn_range(2, 0, 30, 3);
	assert_int_equal(fdb_add_static(fdb, key_of(2, 100), 4), 0);
	assert_int_equal(fdb_add_static(fdb, key_of(1, 100), 3), 0);

	struct walk_tally t = walk(0, FDB_NO_MEMBER);
	assert_int_equal(t.entries, 62);
	assert_int_equal(t.statics, 2);
	assert_int_equal(walk(1, FDB_NO_MEMBER).entries, 31);
	assert_int_equal(walk(2, FDB_NO_MEMBER).entries, 31);
	assert_int_equal(walk(0, 3).entries, 31);
	assert_int_equal(walk(2, 3).entries, 30);
	assert_int_equal(walk(1, 3).entries, 1);
	assert_int_equal(walk(3, FDB_NO_MEMBER).entries, 0);
	assert_int_equal(walk(0, 9).entries, 0);

	t = (struct walk_tally){.stop_after = 5, .member = FDB_NO_MEMBER};
	fdb_walk(fdb, 0, FDB_NO_MEMBER, tally, &t);
	assert_int_equal(t.entries, 5);
}

/* ---- Concurrency ------------------------------------------------------------ */

/* Workers learn and look up keys of 4 BDs. Worker w uses member
 * 1 + 4 * w + (bd - 1) for a key of BD bd (a member is in one BD); the
 * control thread adds statics on member 100 + bd. So a lookup of a key in
 * BD bd may only return one of those members. */
#define MT_WORKERS 3
#define MT_KEYS 6000
#define MT_BDS 4

struct mt_worker {
	pthread_t thread;
	unsigned index;
	uint64_t seed;
	unsigned lookups, bad_members, learned;
	bool *stop; /* set by the main thread, read atomically */
};

static uint64_t mt_key(uint32_t n)
{
	return key_of((uint16_t)(1 + n % MT_BDS), n);
}

static bool mt_member_allowed(uint64_t key, uint16_t member)
{
	uint16_t bd = fdb_key_bd(key);
	if (member == FDB_NO_MEMBER || member == 100 + bd)
		return true;
	for (unsigned w = 0; w < MT_WORKERS; w++)
		if (member == 1 + 4 * w + (bd - 1))
			return true;
	return false;
}

static void *mt_work(void *arg)
{
	struct mt_worker *worker = arg;
	uint64_t keys[VSWITCH_BURST];
	struct fdb_result results[VSWITCH_BURST];
	while (!__atomic_load_n(worker->stop, __ATOMIC_RELAXED)) {
		for (unsigned i = 0; i < VSWITCH_BURST; i++)
			keys[i] = mt_key((uint32_t)(random_next(&worker->seed) %
						    MT_KEYS));
		fdb_lookup_bulk(fdb, keys, VSWITCH_BURST, results);
		__atomic_fetch_add(&worker->lookups, VSWITCH_BURST,
				   __ATOMIC_RELAXED);
		for (unsigned i = 0; i < VSWITCH_BURST; i++) {
			uint16_t mine = (uint16_t)(1 + 4 * worker->index +
						   (fdb_key_bd(keys[i]) - 1));
			if (!mt_member_allowed(keys[i], results[i].member))
				worker->bad_members++;
			if (results[i].member != mine || results[i].refresh_due)
				worker->learned +=
					fdb_learn(fdb, keys[i], mine) ==
					FDB_LEARN_learned;
		}
	}
	return NULL;
}

static void check_counts_against_walk(void)
{
	static unsigned per_bd[VSWITCH_MAX_BD + 1];
	static unsigned per_member[VSWITCH_MAX_MEMBERS + 2];
	memset(per_bd, 0, sizeof(per_bd));
	memset(per_member, 0, sizeof(per_member));
	struct walk_tally t = {.member = FDB_NO_MEMBER,
			       .per_bd = per_bd,
			       .per_member = per_member};
	fdb_walk(fdb, 0, FDB_NO_MEMBER, tally, &t);
	struct fdb_stats s = stats();
	assert_int_equal(s.entries, t.entries);
	assert_int_equal(s.static_entries, t.statics);
	for (uint16_t bd = 1; bd <= MT_BDS + 1; bd++)
		assert_int_equal(fdb_count_bd(fdb, bd), per_bd[bd]);
	for (uint16_t member = 1; member <= 200; member++)
		assert_int_equal(fdb_count_member(fdb, member),
				 per_member[member]);
}

static void test_concurrent_workers_and_control(void **state)
{
	(void)state;
	/* Fewer places than keys: limits, eviction and displacement run. */
	make_fdb(4096, 3500, 20);
	fdb_set_bd_limit(fdb, 2, 600);
	bool stop = false;
	struct mt_worker workers[MT_WORKERS];
	for (unsigned w = 0; w < MT_WORKERS; w++) {
		workers[w] = (struct mt_worker){
			.index = w, .seed = 1234567 + w * 7919, .stop = &stop};
		assert_int_equal(pthread_create(&workers[w].thread, NULL,
						mt_work, &workers[w]),
				 0);
	}
	uint64_t seed = 99;
	uint32_t now = 1000;
	struct timespec start, at;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (unsigned round = 0;; round++) {
		/* Until every worker ran a while (2 cores are shared). */
		if (round % 256 == 0) {
			clock_gettime(CLOCK_MONOTONIC, &at);
			double elapsed = (double)(at.tv_sec - start.tv_sec) +
					 (double)(at.tv_nsec - start.tv_nsec) / 1e9;
			bool all_ran = true;
			for (unsigned w = 0; w < MT_WORKERS; w++)
				all_ran &= __atomic_load_n(&workers[w].lookups,
							   __ATOMIC_RELAXED) >=
					   100000;
			if ((all_ran && elapsed > 0.3) || elapsed > 20)
				break;
		}
		uint32_t n = (uint32_t)(random_next(&seed) % MT_KEYS);
		uint16_t bd = (uint16_t)(1 + n % MT_BDS);
		switch (round % 10) {
		case 0:
			fdb_set_time(fdb, ++now);
			break;
		case 1:
			fdb_flush_bd(fdb, bd);
			break;
		case 2: {
			uint16_t member =
				(uint16_t)(1 + 4 * (random_next(&seed) %
						    MT_WORKERS) +
					   (bd - 1));
			fdb_flush_member(fdb, member);
			break;
		}
		case 3:
			if (round % 50 == 3)
				fdb_age(fdb);
			break;
		case 4:
		case 5:
			fdb_add_static(fdb, mt_key(n), (uint16_t)(100 + bd));
			break;
		case 6:
			fdb_remove(fdb, mt_key(n));
			break;
		default: {
			/* The control thread reads too. */
			struct fdb_result r = lookup(mt_key(n));
			assert_true(mt_member_allowed(mt_key(n), r.member));
			break;
		}
		}
		/* The global limit holds at every moment (but for a place
		 * each worker may have reserved and not yet given back). */
		struct fdb_stats s = stats();
		assert_true(s.entries - s.static_entries <= 3500 + MT_WORKERS);
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	unsigned lookups = 0, learned = 0;
	for (unsigned w = 0; w < MT_WORKERS; w++) {
		assert_int_equal(pthread_join(workers[w].thread, NULL), 0);
		assert_int_equal(workers[w].bad_members, 0);
		lookups += workers[w].lookups;
		learned += workers[w].learned;
	}
	assert_true(lookups > 0);
	assert_true(learned > 0);
	struct fdb_stats s = stats();
	print_message("# %u lookups, %" PRIu64 " learned, %" PRIu64
		      " moved, %" PRIu64 " evicted, %" PRIu64
		      " refused, %" PRIu64 " aged, %" PRIu64 " entries\n",
		      lookups, s.learned, s.moved, s.evicted, s.limit_refused,
		      s.aged, s.entries);
	check_counts_against_walk();
	assert_true(stats().entries - stats().static_entries <= 3500);
	fdb_set_time(fdb, now + 1000);
	fdb_age(fdb);
	check_counts_against_walk();
	fdb_flush_all(fdb);
	check_counts_against_walk();
	assert_int_equal(stats().entries, stats().static_entries);
}

/* Entries moved to their other bucket to make room stay visible: readers
 * never miss a key that is in the table the whole time. */
struct mover {
	pthread_t thread;
	uint64_t seed;
	unsigned learned;
	bool *stop; /* set by the main thread, read atomically */
};

static void *move_work(void *arg)
{
	struct mover *mover = arg;
	while (!__atomic_load_n(mover->stop, __ATOMIC_RELAXED)) {
		/* Each learn of a new MAC in a full table displaces or evicts
		 * (its own entries only: member 2 is the only learner). */
		fdb_learn(fdb, random_key(&mover->seed, 1), 2);
		mover->learned++;
	}
	return NULL;
}

struct prober {
	pthread_t thread;
	unsigned misses, rounds;
	uint32_t n_statics;
	bool *stop; /* set by the main thread, read atomically */
};

static void *probe_work(void *arg)
{
	struct prober *prober = arg;
	uint64_t keys[FDB_LOOKUP_MAX];
	struct fdb_result results[FDB_LOOKUP_MAX];
	while (!__atomic_load_n(prober->stop, __ATOMIC_RELAXED)) {
		for (uint32_t first = 0; first < prober->n_statics;
		     first += FDB_LOOKUP_MAX) {
			unsigned n = RTE_MIN((uint32_t)FDB_LOOKUP_MAX,
					     prober->n_statics - first);
			for (unsigned i = 0; i < n; i++)
				keys[i] = key_of(1, first + i);
			fdb_lookup_bulk(fdb, keys, n, results);
			for (unsigned i = 0; i < n; i++)
				prober->misses += results[i].member != 1;
		}
		prober->rounds++;
	}
	return NULL;
}

static void test_concurrent_moves_never_hide_entries(void **state)
{
	(void)state;
	make_fdb(2048, 0, 0);
	/* Statics fill half the table; they are never evicted but may move. */
	uint32_t n_statics = 1000;
	for (uint32_t n = 0; n < n_statics; n++)
		assert_int_equal(fdb_add_static(fdb, key_of(1, n), 1), 0);
	bool stop = false;
	struct mover movers[2];
	struct prober prober = {.n_statics = n_statics, .stop = &stop};
	for (unsigned i = 0; i < 2; i++) {
		movers[i] = (struct mover){.seed = 31 + i, .stop = &stop};
		assert_int_equal(pthread_create(&movers[i].thread, NULL,
						move_work, &movers[i]),
				 0);
	}
	assert_int_equal(pthread_create(&prober.thread, NULL, probe_work,
					&prober),
			 0);
	/* Let them run a while, flushing now and then to free room again. */
	for (unsigned i = 0; i < 40; i++) {
		struct timespec pause = {.tv_nsec = 10 * 1000 * 1000};
		nanosleep(&pause, NULL);
		if (i % 10 == 9)
			fdb_flush_member(fdb, 2);
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(pthread_join(movers[i].thread, NULL), 0);
	assert_int_equal(pthread_join(prober.thread, NULL), 0);
	assert_true(prober.rounds > 0);
	assert_true(movers[0].learned + movers[1].learned > 1000);
	assert_int_equal(prober.misses, 0);
	assert_int_equal(hits(1, 0, n_statics, 1), n_statics);
	check_counts_against_walk();
}

static int group_setup(void **state)
{
	(void)state;
	test_eal_start("test_fdb", 0, NULL);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_teardown(name, teardown)
		T(test_learn_and_lookup),
		T(test_lookup_bulk_mixed),
		T(test_never_learn_group_or_zero),
		T(test_aging_on_driven_clock),
		T(test_refresh_once_per_second),
		T(test_move_is_counted),
		T(test_static_entries),
		T(test_remove),
		T(test_flush_bd),
		T(test_flush_member),
		T(test_flush_all),
		T(test_forget),
		T(test_member_belongs_to_one_bd),
		T(test_many_flushes),
		T(test_bd_limit),
		T(test_global_limit),
		T(test_fairness_against_flooding),
		T(test_eviction_order),
		T(test_table_full),
		T(test_walk_filters),
		T(test_concurrent_workers_and_control),
		T(test_concurrent_moves_never_hide_entries),
#undef T
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}

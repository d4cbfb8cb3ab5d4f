/* FDB: the concurrent MAC table shared by all workers (see vswitch.h).
 *
 * Buckets. The table is a power-of-two array of 128-byte buckets, each two
 * cache lines: the first holds 7 keys, a sequence number and a lock, the
 * second the 7 values. A key lives in one of two candidate buckets, both
 * derived from one CRC32C of the key; it goes to the first when there is
 * room, so most lookups touch one key line and one value line. When both
 * are full, an entry is moved to its other bucket (up to two steps).
 * Memory: 128 bytes per 7 slots, 18.3 bytes per slot. A table configured
 * for N entries gets the power of two of buckets >= N / 6, so 21.3 to 42.7
 * bytes per configured entry (1M entries: 32 MiB), plus 1.9 MiB of per-BD
 * and per-member state.
 *
 * Values. 64 bits, written with one atomic store:
 *   bits  0..15 member id
 *   bits 16..23 the member's flush generation when learned
 *   bits 24..31 the BD's flush generation when learned
 *   bits 32..62 last-seen stamp, seconds modulo 2^31
 *   bit  63     static
 * A learned entry whose generations differ from the current ones of its BD
 * or member has been flushed ("stale"): it is a miss, is not counted, and
 * its slot is free for reuse. So a flush is a generation bump. Generations
 * are 8 bits: before one would come back to a value a stale entry may still
 * carry, the control thread sweeps stale entries out (fdb_age does it as a
 * side effect, so in practice the sweep before a wrap finds nothing).
 *
 * Readers take no lock. A writer that changes a slot's key makes the
 * bucket's sequence odd around the change; a reader retries when the
 * sequence was odd or changed. A value alone (refresh, move) is changed
 * with one atomic store, which readers may see before or after: both are
 * right. An entry moved to its other bucket to make room (displacement) is
 * written there before it is removed here, and the table's `moves` counter
 * is bumped in between, so a reader that missed both buckets while a move
 * happened looks again.
 *
 * Writers lock the key's two buckets (in address order), then the BD's
 * lock for anything that changes counts. Lock order: buckets before BDs,
 * BDs by increasing id; a lock taken out of order is only tried. Counts
 * are exact: an entry is counted iff it is learned and not stale, the
 * generations only change under the BD lock (flush_member takes the lock
 * of the member's BD), and the entry's generations are read under that
 * lock when it is counted. Member counts are valid for one BD epoch (the
 * number of times the BD was flushed), so a BD flush resets all its
 * members' counts at once.
 *
 * Refreshing the stamp of a known entry, the common learn call, takes no
 * lock: it compares-and-swaps the value.
 *
 * Limits and fairness. A new entry needs a place under its BD's limit,
 * under the global limit and in one of its two buckets. When one is
 * missing, the learner may evict an entry of its two buckets that fairness
 * allows: an expired one first, then one of the member holding the most
 * entries if that is more than the learner holds, then its own oldest;
 * otherwise it is refused. Looking only in the two buckets keeps learning
 * O(1): a flooding member's entries spread over the table, so once it holds
 * much of it, it mostly finds its own to replace.
 */
#include "vswitch.h"

#include <assert.h>
#include <errno.h>
#include <stdalign.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include <rte_spinlock.h>

/* Vector compare of keys, unless ThreadSanitizer checks the seqlock (it
 * would see the plain vector loads as races; the scalar ones are atomic). */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FDB_SCALAR_MATCH 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define FDB_SCALAR_MATCH 1
#endif
#if defined(__SSE4_1__) && !defined(FDB_SCALAR_MATCH)
#define FDB_VECTOR_MATCH 1
#include <smmintrin.h>
#endif
#if defined(__SSE4_2__)
#include <nmmintrin.h>
#endif

#define FDB_SLOTS 7
#define FDB_MEMBER_IDS (VSWITCH_MAX_MEMBERS + 2)
#define FDB_STAMP_MASK 0x7fffffffu
#define FDB_VALUE_STATIC (UINT64_C(1) << 63)
#define FDB_MAC_MASK UINT64_C(0xffffffffffff)
#define FDB_MAC_GROUP (UINT64_C(1) << 40) /* I/G bit of the first byte */

struct fdb_bucket {
	uint64_t keys[FDB_SLOTS]; /* 0 = empty */
	uint32_t seq;             /* odd while a key changes */
	uint32_t lock;            /* writers' spinlock */
	uint64_t values[FDB_SLOTS];
	uint64_t unused;
} __rte_aligned(128);

static_assert(sizeof(struct fdb_bucket) == 128, "bucket is two lines");
static_assert(offsetof(struct fdb_bucket, values) == 64,
	      "values on the second line");

/* Per BD. Written under `lock` (limit, learned, epoch) or by the control
 * thread (statics, sweep_gen); read by anyone with relaxed loads. */
struct fdb_bd_state {
	rte_spinlock_t lock;
	uint32_t learned; /* counted learned entries */
	uint32_t statics;
	uint32_t limit;   /* 0 = none */
	uint32_t epoch;   /* flushes so far: member counts are per epoch */
	uint8_t sweep_gen; /* generation when the last sweep began */
};

/* Per member. `home` is the BD of its learned entries (0 = none yet);
 * epoch and learned are written under the home BD's lock. */
struct fdb_member_state {
	uint16_t home;
	uint8_t sweep_gen;
	uint32_t epoch;   /* home's epoch when `learned` was last valid */
	uint32_t learned;
	uint32_t statics; /* control thread, across all BDs */
};

struct fdb_counters {
	uint64_t learned;
	uint64_t moved;
	uint64_t refreshed;
	uint64_t aged;
	uint64_t evicted;
	uint64_t static_conflicts;
	uint64_t limit_refused;
	uint64_t invalid;
};

struct fdb {
	struct fdb_bucket *buckets;
	uint32_t bucket_mask;
	uint32_t global_limit;
	uint32_t now;         /* written by the control thread */
	uint32_t age_seconds; /* written by the control thread */
	uint8_t *bd_gen;      /* [VSWITCH_MAX_BD + 1], bumped under BD lock */
	uint8_t *member_gen;  /* [FDB_MEMBER_IDS], bumped under home's lock */
	struct fdb_bd_state *bds;
	struct fdb_member_state *members;

	alignas(RTE_CACHE_LINE_SIZE) uint64_t moves;
	/* Bumped after every change that can alter a lookup's answer for a
	 * key already known (a move, a removal, an eviction, a flush, a
	 * static entry, the clock or the age): workers' flow caches stamp
	 * their decisions with it. Learning a new key or refreshing one does
	 * not bump it. */
	alignas(RTE_CACHE_LINE_SIZE) uint64_t epoch;
	alignas(RTE_CACHE_LINE_SIZE) uint32_t learned_entries; /* counted */
	uint32_t static_entries; /* control thread */
	alignas(RTE_CACHE_LINE_SIZE) struct fdb_counters counters;
};

/* ---- Small helpers ------------------------------------------------------ */

#define load_relaxed(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define store_relaxed(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define count_add(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define count_sub(p, v) __atomic_fetch_sub((p), (v), __ATOMIC_RELAXED)
#define epoch_bump(fdb) __atomic_fetch_add(&(fdb)->epoch, 1, __ATOMIC_RELEASE)
/* A count written only under a lock and read without: no locked RMW. */
#define locked_add(p, v) store_relaxed((p), load_relaxed(p) + (v))

static inline uint64_t value_make(uint16_t member, uint8_t member_gen,
				  uint8_t bd_gen, uint32_t stamp)
{
	return (uint64_t)member | (uint64_t)member_gen << 16 |
	       (uint64_t)bd_gen << 24 | (uint64_t)(stamp & FDB_STAMP_MASK) << 32;
}

static inline uint16_t value_member(uint64_t value)
{
	return (uint16_t)value;
}

static inline uint8_t value_member_gen(uint64_t value)
{
	return (uint8_t)(value >> 16);
}

static inline uint8_t value_bd_gen(uint64_t value)
{
	return (uint8_t)(value >> 24);
}

static inline uint32_t value_stamp(uint64_t value)
{
	return (uint32_t)(value >> 32) & FDB_STAMP_MASK;
}

static inline uint64_t value_with_stamp(uint64_t value, uint32_t stamp)
{
	return (value & ~((uint64_t)FDB_STAMP_MASK << 32)) |
	       (uint64_t)(stamp & FDB_STAMP_MASK) << 32;
}

static inline bool key_learnable(uint64_t key)
{
	uint16_t bd = fdb_key_bd(key);
	uint64_t mac = key & FDB_MAC_MASK;
	return bd >= 1 && bd <= VSWITCH_MAX_BD && mac != 0 &&
	       !(mac & FDB_MAC_GROUP);
}

static inline bool member_valid(uint16_t member)
{
	return member != 0 && member != FDB_NO_MEMBER;
}

static inline uint32_t fdb_hash(uint64_t key)
{
#if defined(__SSE4_2__)
	return (uint32_t)_mm_crc32_u64(0xffffffffu, key);
#else
	return rte_hash_crc_8byte(key, 0xffffffffu);
#endif
}

/* Both candidate buckets from one hash; they always differ (bit 0). */
static inline void bucket_pair(const struct fdb *fdb, uint64_t key,
			       uint32_t *first, uint32_t *second)
{
	uint32_t hash = fdb_hash(key);
	uint32_t mix = ((hash >> 16) | (hash << 16)) * 0x9e3779b1u;
	*first = hash & fdb->bucket_mask;
	*second = (*first ^ (mix | 1)) & fdb->bucket_mask;
}

/* Slot + 1 of key in bucket, 0 if absent. The 8th compared word is the
 * sequence and lock, which can never equal a key (a key's BD is >= 1). */
static inline unsigned bucket_match(const struct fdb_bucket *bucket,
				    uint64_t key)
{
#if defined(FDB_VECTOR_MATCH)
	const __m128i want = _mm_set1_epi64x((long long)key);
	const __m128i *keys = (const __m128i *)bucket->keys;
	__m128i c0 = _mm_cmpeq_epi64(_mm_load_si128(keys + 0), want);
	__m128i c1 = _mm_cmpeq_epi64(_mm_load_si128(keys + 1), want);
	__m128i c2 = _mm_cmpeq_epi64(_mm_load_si128(keys + 2), want);
	__m128i c3 = _mm_cmpeq_epi64(_mm_load_si128(keys + 3), want);
	__m128i all = _mm_packs_epi16(_mm_packs_epi32(c0, c1),
				      _mm_packs_epi32(c2, c3));
	unsigned mask = (unsigned)_mm_movemask_epi8(all) & 0x3fffu;
	return mask ? ((unsigned)__builtin_ctz(mask) >> 1) + 1 : 0;
#else
	for (unsigned i = 0; i < FDB_SLOTS; i++)
		if (load_relaxed(&bucket->keys[i]) == key)
			return i + 1;
	return 0;
#endif
}

/* Lock-free find: slot + 1 and the value, consistent with each other. */
static inline unsigned bucket_find(const struct fdb_bucket *bucket,
				   uint64_t key, uint64_t *value)
{
	for (;;) {
		uint32_t seq = __atomic_load_n(&bucket->seq, __ATOMIC_ACQUIRE);
		if (unlikely(seq & 1)) {
			rte_pause();
			continue;
		}
		unsigned slot = bucket_match(bucket, key);
		uint64_t found = 0;
		if (slot)
			found = load_relaxed(&bucket->values[slot - 1]);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (likely(load_relaxed(&bucket->seq) == seq)) {
			*value = found;
			return slot;
		}
	}
}

static inline void bucket_lock(struct fdb_bucket *bucket)
{
	while (__atomic_exchange_n(&bucket->lock, 1, __ATOMIC_ACQUIRE))
		while (load_relaxed(&bucket->lock))
			rte_pause();
}

static inline bool bucket_trylock(struct fdb_bucket *bucket)
{
	return !load_relaxed(&bucket->lock) &&
	       !__atomic_exchange_n(&bucket->lock, 1, __ATOMIC_ACQUIRE);
}

static inline void bucket_unlock(struct fdb_bucket *bucket)
{
	__atomic_store_n(&bucket->lock, 0, __ATOMIC_RELEASE);
}

static void pair_lock(struct fdb_bucket *a, struct fdb_bucket *b)
{
	if (a > b) {
		struct fdb_bucket *t = a;
		a = b;
		b = t;
	}
	bucket_lock(a);
	bucket_lock(b);
}

static void pair_unlock(struct fdb_bucket *a, struct fdb_bucket *b)
{
	bucket_unlock(a);
	bucket_unlock(b);
}

/* Under the bucket's lock: change a slot's key and value. */
static void slot_write(struct fdb_bucket *bucket, unsigned slot, uint64_t key,
		       uint64_t value)
{
	uint32_t seq = load_relaxed(&bucket->seq);
	store_relaxed(&bucket->seq, seq + 1);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	store_relaxed(&bucket->values[slot], value);
	store_relaxed(&bucket->keys[slot], key);
	__atomic_store_n(&bucket->seq, seq + 2, __ATOMIC_RELEASE);
}

static void slot_clear(struct fdb_bucket *bucket, unsigned slot)
{
	slot_write(bucket, slot, 0, 0);
}

/* Under the bucket's lock (or racy, as a hint): the slot's value. */
static inline uint64_t slot_value(const struct fdb_bucket *bucket,
				  unsigned slot)
{
	return load_relaxed(&bucket->values[slot]);
}

enum entry_state {
	ENTRY_EMPTY,
	ENTRY_STALE,   /* learned, flushed: free, not counted */
	ENTRY_EXPIRED, /* learned, older than age_seconds: counted, a miss */
	ENTRY_LIVE,    /* learned, counted */
	ENTRY_STATIC,
};

static inline enum entry_state entry_state(const struct fdb *fdb, uint64_t key,
					   uint64_t value, uint32_t now,
					   uint32_t age_seconds)
{
	if (key == 0)
		return ENTRY_EMPTY;
	if (value & FDB_VALUE_STATIC)
		return ENTRY_STATIC;
	if (load_relaxed(&fdb->bd_gen[fdb_key_bd(key)]) != value_bd_gen(value) ||
	    load_relaxed(&fdb->member_gen[value_member(value)]) !=
		    value_member_gen(value))
		return ENTRY_STALE;
	if (age_seconds && ((now - value_stamp(value)) & FDB_STAMP_MASK) >
				   age_seconds)
		return ENTRY_EXPIRED;
	return ENTRY_LIVE;
}

static inline uint32_t fdb_now(const struct fdb *fdb)
{
	return load_relaxed(&fdb->now) & FDB_STAMP_MASK;
}

static inline void bd_lock(struct fdb *fdb, uint16_t bd)
{
	rte_spinlock_lock(&fdb->bds[bd].lock);
}

static inline void bd_unlock(struct fdb *fdb, uint16_t bd)
{
	rte_spinlock_unlock(&fdb->bds[bd].lock);
}

/* Learned entries of a member that count: those of its home BD's current
 * epoch. Exact under the home's lock, a snapshot otherwise. */
static uint32_t member_learned(const struct fdb *fdb, uint16_t member)
{
	const struct fdb_member_state *state = &fdb->members[member];
	uint16_t home = load_relaxed(&state->home);
	if (home == 0)
		return 0;
	uint32_t learned = load_relaxed(&state->learned);
	if (load_relaxed(&state->epoch) != load_relaxed(&fdb->bds[home].epoch))
		return 0;
	return learned;
}

/* Under the home's lock: make the member's count current. */
static void member_normalize(struct fdb *fdb, uint16_t member, uint16_t home)
{
	struct fdb_member_state *state = &fdb->members[member];
	uint32_t epoch = load_relaxed(&fdb->bds[home].epoch);
	if (load_relaxed(&state->epoch) != epoch) {
		store_relaxed(&state->epoch, epoch);
		store_relaxed(&state->learned, 0);
	}
}

/* Under the lock of the entry's BD (which is its member's home). */
static void entry_count(struct fdb *fdb, uint16_t bd, uint16_t member)
{
	member_normalize(fdb, member, bd);
	locked_add(&fdb->bds[bd].learned, 1);
	locked_add(&fdb->members[member].learned, 1);
}

static void entry_uncount(struct fdb *fdb, uint16_t bd, uint16_t member)
{
	locked_add(&fdb->bds[bd].learned, -1u);
	locked_add(&fdb->members[member].learned, -1u);
	count_sub(&fdb->learned_entries, 1);
}

/* ---- Create, clock ------------------------------------------------------ */

struct fdb *fdb_create(const struct fdb_config *config, int socket)
{
	if (!config || config->capacity == 0)
		return NULL;
	/* Plan for at most 6 of 7 slots used: two-step displacement fills
	 * 95-99% of the slots before a pair is first found full. */
	uint64_t wanted = ((uint64_t)config->capacity + FDB_SLOTS - 2) /
			  (FDB_SLOTS - 1);
	uint64_t buckets = 2;
	while (buckets < wanted)
		buckets <<= 1;
	if (buckets > (UINT64_C(1) << 31))
		return NULL;

	struct fdb *fdb = rte_zmalloc_socket("fdb", sizeof(*fdb),
					     RTE_CACHE_LINE_SIZE, socket);
	if (!fdb)
		return NULL;
	fdb->bucket_mask = (uint32_t)(buckets - 1);
	fdb->global_limit = config->global_limit ? config->global_limit
						 : config->capacity;
	fdb->age_seconds = config->age_seconds;
	fdb->buckets = rte_zmalloc_socket("fdb_buckets",
					  buckets * sizeof(struct fdb_bucket),
					  sizeof(struct fdb_bucket), socket);
	fdb->bd_gen = rte_zmalloc_socket("fdb_bd_gen", VSWITCH_MAX_BD + 1,
					 RTE_CACHE_LINE_SIZE, socket);
	fdb->member_gen = rte_zmalloc_socket("fdb_member_gen", FDB_MEMBER_IDS,
					     RTE_CACHE_LINE_SIZE, socket);
	fdb->bds = rte_zmalloc_socket(
		"fdb_bds", (VSWITCH_MAX_BD + 1) * sizeof(struct fdb_bd_state),
		RTE_CACHE_LINE_SIZE, socket);
	fdb->members = rte_zmalloc_socket(
		"fdb_members", FDB_MEMBER_IDS * sizeof(struct fdb_member_state),
		RTE_CACHE_LINE_SIZE, socket);
	if (!fdb->buckets || !fdb->bd_gen || !fdb->member_gen || !fdb->bds ||
	    !fdb->members) {
		fdb_free(fdb);
		return NULL;
	}
	for (unsigned bd = 0; bd <= VSWITCH_MAX_BD; bd++)
		rte_spinlock_init(&fdb->bds[bd].lock);
	/* BD 0 is never used: a lookup of key 0, which matches an empty
	 * slot (value 0), then fails the generation check for free. */
	fdb->bd_gen[0] = 1;
	return fdb;
}

void fdb_free(struct fdb *fdb)
{
	if (!fdb)
		return;
	rte_free(fdb->buckets);
	rte_free(fdb->bd_gen);
	rte_free(fdb->member_gen);
	rte_free(fdb->bds);
	rte_free(fdb->members);
	rte_free(fdb);
}

void fdb_set_time(struct fdb *fdb, uint32_t now)
{
	if (load_relaxed(&fdb->now) == now)
		return;
	store_relaxed(&fdb->now, now);
	epoch_bump(fdb);
}

uint64_t fdb_epoch(const struct fdb *fdb)
{
	return __atomic_load_n(&fdb->epoch, __ATOMIC_ACQUIRE);
}

uint32_t fdb_time(const struct fdb *fdb)
{
	return load_relaxed(&fdb->now);
}

void fdb_set_age(struct fdb *fdb, uint32_t age_seconds)
{
	store_relaxed(&fdb->age_seconds, age_seconds);
	epoch_bump(fdb);
}

void fdb_set_bd_limit(struct fdb *fdb, uint16_t bd, uint32_t limit)
{
	if (bd == 0 || bd > VSWITCH_MAX_BD)
		return;
	bd_lock(fdb, bd);
	store_relaxed(&fdb->bds[bd].limit, limit);
	bd_unlock(fdb, bd);
}

/* ---- Lookup ------------------------------------------------------------- */

static inline struct fdb_result lookup_result(const struct fdb *fdb,
					      uint64_t key, uint64_t value,
					      uint32_t now, uint32_t age_seconds)
{
	struct fdb_result result = {.member = FDB_NO_MEMBER};
	uint16_t member = value_member(value);
	if (value & FDB_VALUE_STATIC) {
		result.member = member;
		result.is_static = 1;
		return result;
	}
	if (load_relaxed(&fdb->bd_gen[fdb_key_bd(key)]) != value_bd_gen(value) ||
	    load_relaxed(&fdb->member_gen[member]) != value_member_gen(value))
		return result;
	uint32_t stamp = value_stamp(value);
	if (age_seconds && ((now - stamp) & FDB_STAMP_MASK) > age_seconds)
		return result;
	result.member = member;
	result.refresh_due = stamp != now;
	return result;
}

static inline void lookup_chunk(const struct fdb *fdb, const uint64_t *keys,
				unsigned n, struct fdb_result *results)
{
	const struct fdb_bucket *first[FDB_LOOKUP_MAX];
	const struct fdb_bucket *second[FDB_LOOKUP_MAX];

	/* Start every memory access of the burst before waiting on any. */
	for (unsigned i = 0; i < n; i++) {
		uint32_t a, b;
		bucket_pair(fdb, keys[i], &a, &b);
		first[i] = &fdb->buckets[a];
		second[i] = &fdb->buckets[b];
		rte_prefetch0(first[i]);
		rte_prefetch0(first[i]->values);
		rte_prefetch0(second[i]);
	}

	uint32_t now = fdb_now(fdb);
	uint32_t age_seconds = load_relaxed(&fdb->age_seconds);
	uint64_t moves = __atomic_load_n(&fdb->moves, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < n; i++) {
		uint64_t key = keys[i], value;
		for (;;) {
			if (likely(bucket_find(first[i], key, &value)) ||
			    bucket_find(second[i], key, &value)) {
				results[i] = lookup_result(fdb, key, value, now,
							   age_seconds);
				break;
			}
			uint64_t again =
				__atomic_load_n(&fdb->moves, __ATOMIC_ACQUIRE);
			if (likely(again == moves)) {
				results[i] = (struct fdb_result){
					.member = FDB_NO_MEMBER};
				break;
			}
			moves = again; /* an entry may have been in flight */
		}
	}
}

void fdb_lookup_bulk(const struct fdb *fdb, const uint64_t *keys, unsigned n,
		     struct fdb_result *results)
{
	while (n > FDB_LOOKUP_MAX) {
		lookup_chunk(fdb, keys, FDB_LOOKUP_MAX, results);
		keys += FDB_LOOKUP_MAX;
		results += FDB_LOOKUP_MAX;
		n -= FDB_LOOKUP_MAX;
	}
	lookup_chunk(fdb, keys, n, results);
}

/* ---- Learn -------------------------------------------------------------- */

struct slot_ref {
	struct fdb_bucket *bucket; /* NULL = none */
	unsigned slot;
};

/* Under both locks. */
static struct slot_ref pair_find(struct fdb_bucket *const pair[2],
				 uint64_t key)
{
	for (unsigned p = 0; p < 2; p++) {
		unsigned slot = bucket_match(pair[p], key);
		if (slot)
			return (struct slot_ref){pair[p], slot - 1};
	}
	return (struct slot_ref){NULL, 0};
}

/* An empty or stale slot of bucket (locked), or none. */
static struct slot_ref bucket_free_slot(const struct fdb *fdb,
					struct fdb_bucket *bucket)
{
	for (unsigned slot = 0; slot < FDB_SLOTS; slot++) {
		uint64_t key = load_relaxed(&bucket->keys[slot]);
		enum entry_state state =
			entry_state(fdb, key, slot_value(bucket, slot), 0, 0);
		if (state == ENTRY_EMPTY || state == ENTRY_STALE)
			return (struct slot_ref){bucket, slot};
	}
	return (struct slot_ref){NULL, 0};
}

static struct fdb_bucket *other_bucket(const struct fdb *fdb, uint64_t key,
				       const struct fdb_bucket *here)
{
	uint32_t a, b;
	bucket_pair(fdb, key, &a, &b);
	struct fdb_bucket *other = &fdb->buckets[a];
	return other == here ? &fdb->buckets[b] : other;
}

/* Under both buckets' locks: copy, then let readers know, then clear. */
static void slot_move(struct fdb *fdb, struct slot_ref from, struct slot_ref to)
{
	slot_write(to.bucket, to.slot, load_relaxed(&from.bucket->keys[from.slot]),
		   slot_value(from.bucket, from.slot));
	__atomic_fetch_add(&fdb->moves, 1, __ATOMIC_RELEASE);
	slot_clear(from.bucket, from.slot);
}

/* Unlocked look first, then try the lock and look again. */
static struct slot_ref bucket_trylock_room(const struct fdb *fdb,
					   struct fdb_bucket *bucket)
{
	struct slot_ref room = bucket_free_slot(fdb, bucket);
	if (!room.bucket || !bucket_trylock(bucket))
		return (struct slot_ref){NULL, 0};
	room = bucket_free_slot(fdb, bucket);
	if (!room.bucket)
		bucket_unlock(bucket);
	return room;
}

/* Both buckets full: move an entry of the pair to its other bucket, if
 * need be after moving one of that bucket's entries to its own other
 * bucket (a cuckoo path of two steps). Locks beyond the pair are out of
 * order, so they are only tried. Returns the slot made free. */
static struct slot_ref pair_displace(struct fdb *fdb,
				     struct fdb_bucket *const pair[2])
{
	for (unsigned p = 0; p < 2; p++) {
		for (unsigned slot = 0; slot < FDB_SLOTS; slot++) {
			struct slot_ref from = {pair[p], slot};
			uint64_t key = load_relaxed(&pair[p]->keys[slot]);
			struct fdb_bucket *next = other_bucket(fdb, key, pair[p]);
			if (next == pair[0] || next == pair[1])
				continue;
			struct slot_ref room = bucket_trylock_room(fdb, next);
			if (room.bucket) {
				slot_move(fdb, from, room);
				bucket_unlock(next);
				return from;
			}
		}
	}
	for (unsigned p = 0; p < 2; p++) {
		for (unsigned slot = 0; slot < FDB_SLOTS; slot++) {
			struct slot_ref from = {pair[p], slot};
			uint64_t key = load_relaxed(&pair[p]->keys[slot]);
			struct fdb_bucket *next = other_bucket(fdb, key, pair[p]);
			if (next == pair[0] || next == pair[1] ||
			    !bucket_trylock(next))
				continue;
			struct slot_ref room = bucket_free_slot(fdb, next);
			if (room.bucket) { /* freed meanwhile */
				slot_move(fdb, from, room);
				bucket_unlock(next);
				return from;
			}
			for (unsigned step = 0; step < FDB_SLOTS; step++) {
				struct slot_ref middle = {next, step};
				uint64_t key2 = load_relaxed(&next->keys[step]);
				struct fdb_bucket *last =
					other_bucket(fdb, key2, next);
				if (last == pair[0] || last == pair[1])
					continue;
				room = bucket_trylock_room(fdb, last);
				if (!room.bucket)
					continue;
				slot_move(fdb, middle, room);
				bucket_unlock(last);
				slot_move(fdb, from, middle);
				bucket_unlock(next);
				return from;
			}
			bucket_unlock(next);
		}
	}
	return (struct slot_ref){NULL, 0};
}

/* Makes bd the member's home and returns with bd's lock held, or returns
 * false (no lock held) if the member still counts entries in another BD.
 * Called with the bucket locks held. */
static bool member_enter(struct fdb *fdb, uint16_t member, uint16_t bd)
{
	struct fdb_member_state *state = &fdb->members[member];
	for (;;) {
		uint16_t home = load_relaxed(&state->home);
		if (home == bd || home == 0) {
			bd_lock(fdb, bd);
			uint16_t expected = home;
			if (home == 0 &&
			    __atomic_compare_exchange_n(&state->home, &expected,
							bd, false,
							__ATOMIC_RELAXED,
							__ATOMIC_RELAXED)) {
				store_relaxed(&state->epoch,
					      load_relaxed(&fdb->bds[bd].epoch));
				store_relaxed(&state->learned, 0);
				return true;
			}
			if (home == bd && load_relaxed(&state->home) == bd) {
				member_normalize(fdb, member, bd);
				return true;
			}
			bd_unlock(fdb, bd);
			continue;
		}
		/* Another home: move only if nothing counts there. */
		uint16_t low = RTE_MIN(home, bd), high = RTE_MAX(home, bd);
		bd_lock(fdb, low);
		bd_lock(fdb, high);
		if (load_relaxed(&state->home) != home) {
			bd_unlock(fdb, high);
			bd_unlock(fdb, low);
			continue;
		}
		if (member_learned(fdb, member) != 0) {
			bd_unlock(fdb, high);
			bd_unlock(fdb, low);
			return false;
		}
		store_relaxed(&state->home, bd);
		store_relaxed(&state->epoch, load_relaxed(&fdb->bds[bd].epoch));
		store_relaxed(&state->learned, 0);
		bd_unlock(fdb, home);
		return true;
	}
}

/* Whether a learned entry may be evicted for `member` (fairness), and how
 * much we would like to: expired first, then the richest member's, then
 * our own oldest. 0 = not allowed. */
static uint64_t victim_rank(const struct fdb *fdb, enum entry_state state,
			    uint64_t value, uint16_t member, uint32_t own,
			    uint32_t now)
{
	if (state == ENTRY_EXPIRED)
		return UINT64_MAX;
	if (state != ENTRY_LIVE)
		return 0;
	uint16_t owner = value_member(value);
	if (owner == member)
		return 1 + ((now - value_stamp(value)) & FDB_STAMP_MASK);
	uint32_t theirs = member_learned(fdb, owner);
	if (theirs > own)
		return (UINT64_C(1) << 32) + theirs;
	return 0;
}

/* Best victim in the pair, of BD `only_bd` if non-zero, never `key`. */
static struct slot_ref pair_victim(const struct fdb *fdb,
				   struct fdb_bucket *const pair[2],
				   uint64_t key_not, uint16_t only_bd,
				   uint16_t member, uint32_t own, uint32_t now,
				   uint32_t age_seconds)
{
	struct slot_ref best = {NULL, 0};
	uint64_t best_rank = 0;
	for (unsigned p = 0; p < 2; p++) {
		for (unsigned slot = 0; slot < FDB_SLOTS; slot++) {
			uint64_t key = load_relaxed(&pair[p]->keys[slot]);
			if (key == 0 || key == key_not ||
			    (only_bd && fdb_key_bd(key) != only_bd))
				continue;
			uint64_t value = slot_value(pair[p], slot);
			uint64_t rank = victim_rank(
				fdb, entry_state(fdb, key, value, now, age_seconds),
				value, member, own, now);
			if (rank > best_rank) {
				best_rank = rank;
				best = (struct slot_ref){pair[p], slot};
			}
		}
	}
	return best;
}

/* With the pair and bd locked: evicts the best victim the fairness rule
 * allows (of bd only if only_bd), out of the counts. Its slot is still
 * written; the caller reuses or clears it. */
static struct slot_ref learn_evict(struct fdb *fdb,
				   struct fdb_bucket *const pair[2],
				   uint64_t key, uint16_t bd, bool only_bd,
				   uint16_t member, uint32_t now,
				   uint32_t age_seconds)
{
	struct slot_ref victim =
		pair_victim(fdb, pair, key, only_bd ? bd : 0, member,
			    member_learned(fdb, member), now, age_seconds);
	if (!victim.bucket)
		return victim;
	uint64_t victim_key = load_relaxed(&victim.bucket->keys[victim.slot]);
	uint16_t victim_bd = fdb_key_bd(victim_key);
	if (victim_bd > bd)
		bd_lock(fdb, victim_bd);
	else if (victim_bd < bd &&
		 !rte_spinlock_trylock(&fdb->bds[victim_bd].lock))
		return (struct slot_ref){NULL, 0}; /* out of lock order */
	/* Counts are exact under the victim's BD lock: check again. */
	uint64_t value = slot_value(victim.bucket, victim.slot);
	enum entry_state state =
		entry_state(fdb, victim_key, value, now, age_seconds);
	if (victim_rank(fdb, state, value, member, member_learned(fdb, member),
			now)) {
		entry_uncount(fdb, victim_bd, value_member(value));
		count_add(state == ENTRY_EXPIRED ? &fdb->counters.aged
						 : &fdb->counters.evicted,
			  1);
	} else {
		victim.bucket = NULL;
	}
	if (victim_bd != bd)
		bd_unlock(fdb, victim_bd);
	return victim;
}

/* With the pair and bd locked, key absent (or its slot `target` free):
 * a new entry, within the limits or in place of a victim. */
static enum fdb_learn_result learn_new(struct fdb *fdb,
				       struct fdb_bucket *const pair[2],
				       uint64_t key, uint16_t member,
				       struct slot_ref target,
				       uint64_t new_value, uint32_t now,
				       uint32_t age_seconds)
{
	uint16_t bd = fdb_key_bd(key);
	struct fdb_bd_state *bd_state = &fdb->bds[bd];
	if (!target.bucket)
		target = bucket_free_slot(fdb, pair[0]);
	if (!target.bucket)
		target = bucket_free_slot(fdb, pair[1]);

	uint32_t limit = load_relaxed(&bd_state->limit);
	bool need_bd = limit && load_relaxed(&bd_state->learned) >= limit;
	bool need_global = false, reserved = false;
	if (!need_bd) { /* reserve a place under the global limit */
		if (count_add(&fdb->learned_entries, 1) >= fdb->global_limit) {
			count_sub(&fdb->learned_entries, 1);
			need_global = true;
		} else {
			reserved = true;
		}
	}
	/* At a limit a victim is needed anyway, and its slot will do. */
	if (!target.bucket && !need_bd && !need_global)
		target = pair_displace(fdb, pair);
	if (need_bd || need_global || !target.bucket) {
		/* One victim of this BD satisfies all three needs; one of
		 * another BD frees a place globally and a slot. */
		struct slot_ref victim = learn_evict(fdb, pair, key, bd, need_bd,
						     member, now, age_seconds);
		if (!victim.bucket) {
			if (reserved)
				count_sub(&fdb->learned_entries, 1);
			count_add(&fdb->counters.limit_refused, 1);
			return need_bd	       ? FDB_LEARN_bd_limit
			       : need_global ? FDB_LEARN_global_limit
					     : FDB_LEARN_table_full;
		}
		if (!target.bucket)
			target = victim;
		else
			slot_clear(victim.bucket, victim.slot);
		epoch_bump(fdb);
	}
	if (!reserved)
		count_add(&fdb->learned_entries, 1);
	entry_count(fdb, bd, member);
	slot_write(target.bucket, target.slot, key, new_value);
	count_add(&fdb->counters.learned, 1);
	return FDB_LEARN_learned;
}

/* With the pair and bd locked, the member at home in bd. */
static enum fdb_learn_result learn_locked(struct fdb *fdb,
					  struct fdb_bucket *const pair[2],
					  uint64_t key, uint16_t member,
					  uint32_t now, uint32_t age_seconds)
{
	uint16_t bd = fdb_key_bd(key);
	uint64_t new_value =
		value_make(member, load_relaxed(&fdb->member_gen[member]),
			   load_relaxed(&fdb->bd_gen[bd]), now);
	struct slot_ref found = pair_find(pair, key);
	if (!found.bucket)
		return learn_new(fdb, pair, key, member, found, new_value, now,
				 age_seconds);

	uint64_t *slot_value_p = &found.bucket->values[found.slot];
	uint64_t value = load_relaxed(slot_value_p);
	uint16_t owner = value_member(value);
	switch (entry_state(fdb, key, value, now, age_seconds)) {
	case ENTRY_STATIC:
		if (owner == member)
			return FDB_LEARN_unchanged;
		count_add(&fdb->counters.static_conflicts, 1);
		return FDB_LEARN_static_conflict;
	case ENTRY_LIVE:
		if (owner == member) {
			if (value_stamp(value) == now)
				return FDB_LEARN_unchanged;
			__atomic_store_n(slot_value_p,
					 value_with_stamp(value, now),
					 __ATOMIC_RELEASE);
			count_add(&fdb->counters.refreshed, 1);
			return FDB_LEARN_refreshed;
		}
		/* Same BD, so both members are counted under its lock. */
		locked_add(&fdb->members[owner].learned, -1u);
		member_normalize(fdb, member, bd);
		locked_add(&fdb->members[member].learned, 1);
		__atomic_store_n(slot_value_p, new_value, __ATOMIC_RELEASE);
		count_add(&fdb->counters.moved, 1);
		epoch_bump(fdb);
		return FDB_LEARN_moved;
	case ENTRY_EXPIRED: /* gone, then learned anew */
		epoch_bump(fdb);
		entry_uncount(fdb, bd, owner);
		count_add(&fdb->counters.aged, 1);
		slot_clear(found.bucket, found.slot);
		break;
	default: /* stale: the slot is free */
		break;
	}
	return learn_new(fdb, pair, key, member, found, new_value, now,
			 age_seconds);
}

enum fdb_learn_result fdb_learn(struct fdb *fdb, uint64_t key, uint16_t member)
{
	if (unlikely(!key_learnable(key) || !member_valid(member))) {
		count_add(&fdb->counters.invalid, 1);
		return FDB_LEARN_invalid;
	}
	uint32_t now = fdb_now(fdb);
	uint32_t age_seconds = load_relaxed(&fdb->age_seconds);
	uint32_t a, b;
	bucket_pair(fdb, key, &a, &b);
	struct fdb_bucket *const pair[2] = {&fdb->buckets[a], &fdb->buckets[b]};

	/* Lock-free: static, or known here (refresh by compare-and-swap). */
	for (unsigned p = 0; p < 2; p++) {
		uint64_t value;
		unsigned slot = bucket_find(pair[p], key, &value);
		if (!slot)
			continue;
		enum entry_state state =
			entry_state(fdb, key, value, now, age_seconds);
		if (state == ENTRY_STATIC) {
			if (value_member(value) == member)
				return FDB_LEARN_unchanged;
			count_add(&fdb->counters.static_conflicts, 1);
			return FDB_LEARN_static_conflict;
		}
		if (state != ENTRY_LIVE || value_member(value) != member)
			break;
		if (value_stamp(value) == now)
			return FDB_LEARN_unchanged;
		if (__atomic_compare_exchange_n(
			    &pair[p]->values[slot - 1], &value,
			    value_with_stamp(value, now), false,
			    __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
			count_add(&fdb->counters.refreshed, 1);
			return FDB_LEARN_refreshed;
		}
		break;
	}

	enum fdb_learn_result result = FDB_LEARN_invalid;
	uint16_t bd = fdb_key_bd(key);
	pair_lock(pair[0], pair[1]);
	if (member_enter(fdb, member, bd)) {
		result = learn_locked(fdb, pair, key, member, now, age_seconds);
		bd_unlock(fdb, bd);
	} else {
		count_add(&fdb->counters.invalid, 1);
	}
	pair_unlock(pair[0], pair[1]);
	return result;
}

/* ---- Control: static entries, removal ------------------------------------ */

static void static_count(struct fdb *fdb, uint16_t bd, uint16_t member,
			 int delta)
{
	store_relaxed(&fdb->bds[bd].statics,
		      load_relaxed(&fdb->bds[bd].statics) + (uint32_t)delta);
	store_relaxed(&fdb->members[member].statics,
		      load_relaxed(&fdb->members[member].statics) +
			      (uint32_t)delta);
	store_relaxed(&fdb->static_entries,
		      load_relaxed(&fdb->static_entries) + (uint32_t)delta);
}

enum sweep_mode {
	SWEEP_ANY,    /* any entry (one slot: remove, replace) */
	SWEEP_STALE,  /* remove stale entries only */
	SWEEP_AGE,    /* and expired ones */
	SWEEP_MEMBER, /* and static entries of one member */
	SWEEP_BD,     /* and static entries of one BD */
};

static bool sweep_wants(const struct fdb *fdb, enum sweep_mode mode,
			uint16_t id, uint64_t key, uint64_t value,
			enum entry_state state)
{
	if (mode == SWEEP_ANY)
		return state != ENTRY_EMPTY;
	switch (state) {
	case ENTRY_STALE:
		return true;
	case ENTRY_EXPIRED:
		return mode == SWEEP_AGE;
	case ENTRY_STATIC:
		return (mode == SWEEP_MEMBER && value_member(value) == id) ||
		       (mode == SWEEP_BD && fdb_key_bd(key) == id);
	default:
		(void)fdb;
		return false;
	}
}

/* Under the bucket lock: removes the entry at ref if mode wants it, and
 * uncounts it if it counted, both decided on one reading of the value (a
 * lock-free refresh may change it, never its member or generations).
 * Returns the state it was removed in, or ENTRY_EMPTY if left alone. */
static enum entry_state slot_remove(struct fdb *fdb, struct slot_ref ref,
				    uint32_t now, uint32_t age_seconds,
				    enum sweep_mode mode, uint16_t id)
{
	struct fdb_bucket *bucket = ref.bucket;
	uint64_t key = load_relaxed(&bucket->keys[ref.slot]);
	uint64_t value = slot_value(bucket, ref.slot);
	enum entry_state state = entry_state(fdb, key, value, now, age_seconds);
	if (!sweep_wants(fdb, mode, id, key, value, state))
		return ENTRY_EMPTY;
	if (state == ENTRY_LIVE || state == ENTRY_EXPIRED) {
		uint16_t bd = fdb_key_bd(key);
		bd_lock(fdb, bd); /* generations and counts hold still */
		value = slot_value(bucket, ref.slot);
		state = entry_state(fdb, key, value, now, age_seconds);
		bool wanted = sweep_wants(fdb, mode, id, key, value, state);
		if (wanted && (state == ENTRY_LIVE || state == ENTRY_EXPIRED))
			entry_uncount(fdb, bd, value_member(value));
		if (wanted) {
			slot_clear(bucket, ref.slot);
			epoch_bump(fdb);
		}
		bd_unlock(fdb, bd);
		return wanted ? state : ENTRY_EMPTY;
	}
	if (state == ENTRY_STATIC)
		static_count(fdb, fdb_key_bd(key), value_member(value), -1);
	slot_clear(bucket, ref.slot);
	epoch_bump(fdb);
	return state;
}

int fdb_add_static(struct fdb *fdb, uint64_t key, uint16_t member)
{
	if (!key_learnable(key) || !member_valid(member))
		return -EINVAL;
	uint32_t now = fdb_now(fdb);
	uint32_t age_seconds = load_relaxed(&fdb->age_seconds);
	uint32_t a, b;
	bucket_pair(fdb, key, &a, &b);
	struct fdb_bucket *const pair[2] = {&fdb->buckets[a], &fdb->buckets[b]};
	uint64_t value = value_make(member, 0, 0, 0) | FDB_VALUE_STATIC;
	int rc = 0;

	pair_lock(pair[0], pair[1]);
	struct slot_ref target = pair_find(pair, key);
	if (target.bucket) {
		uint64_t old = slot_value(target.bucket, target.slot);
		if (old == value)
			goto out;
		slot_remove(fdb, target, now, age_seconds, SWEEP_ANY, 0);
	} else {
		target = bucket_free_slot(fdb, pair[0]);
		if (!target.bucket)
			target = bucket_free_slot(fdb, pair[1]);
		if (!target.bucket)
			target = pair_displace(fdb, pair);
		if (!target.bucket) {
			/* Static entries win over any learned entry. */
			target = pair_victim(fdb, pair, key, 0, FDB_NO_MEMBER,
					     0, now, age_seconds);
			if (!target.bucket) {
				for (unsigned p = 0; p < 2 && !target.bucket; p++)
					for (unsigned s = 0; s < FDB_SLOTS; s++)
						if (!(slot_value(pair[p], s) &
						      FDB_VALUE_STATIC)) {
							target = (struct slot_ref){
								pair[p], s};
							break;
						}
			}
			if (!target.bucket) {
				rc = -ENOSPC;
				goto out;
			}
			if (slot_remove(fdb, target, now, age_seconds,
					SWEEP_ANY, 0) == ENTRY_EXPIRED)
				count_add(&fdb->counters.aged, 1);
			else
				count_add(&fdb->counters.evicted, 1);
		}
	}
	static_count(fdb, fdb_key_bd(key), member, 1);
	slot_write(target.bucket, target.slot, key, value);
	epoch_bump(fdb);
out:
	pair_unlock(pair[0], pair[1]);
	return rc;
}

int fdb_remove(struct fdb *fdb, uint64_t key)
{
	if (key == 0)
		return -ENOENT;
	uint32_t a, b;
	bucket_pair(fdb, key, &a, &b);
	struct fdb_bucket *const pair[2] = {&fdb->buckets[a], &fdb->buckets[b]};
	int rc = -ENOENT;

	pair_lock(pair[0], pair[1]);
	struct slot_ref ref = pair_find(pair, key);
	if (ref.bucket && slot_remove(fdb, ref, fdb_now(fdb),
				      load_relaxed(&fdb->age_seconds), SWEEP_ANY,
				      0) != ENTRY_STALE)
		rc = 0;
	pair_unlock(pair[0], pair[1]);
	return rc;
}

/* ---- Control: sweeps, flushes, aging ------------------------------------- */

/* Walks the whole table removing what mode asks for; returns how many
 * expired entries it removed. Every sweep removes stale entries, so the
 * generations seen when it starts are the oldest any entry can carry
 * afterwards: remember them to know when a generation would wrap. */
static unsigned fdb_sweep(struct fdb *fdb, enum sweep_mode mode, uint16_t id)
{
	for (unsigned bd = 0; bd <= VSWITCH_MAX_BD; bd++)
		fdb->bds[bd].sweep_gen = load_relaxed(&fdb->bd_gen[bd]);
	for (unsigned member = 0; member < FDB_MEMBER_IDS; member++)
		fdb->members[member].sweep_gen =
			load_relaxed(&fdb->member_gen[member]);

	uint32_t now = fdb_now(fdb);
	uint32_t age_seconds = load_relaxed(&fdb->age_seconds);
	unsigned aged = 0;
	for (uint64_t i = 0; i <= fdb->bucket_mask; i++) {
		struct fdb_bucket *bucket = &fdb->buckets[i];
		bool work = false;
		for (unsigned slot = 0; slot < FDB_SLOTS && !work; slot++) {
			uint64_t key = load_relaxed(&bucket->keys[slot]);
			uint64_t value = slot_value(bucket, slot);
			work = sweep_wants(fdb, mode, id, key, value,
					   entry_state(fdb, key, value, now,
						       age_seconds));
		}
		if (!work)
			continue;
		bucket_lock(bucket);
		for (unsigned slot = 0; slot < FDB_SLOTS; slot++)
			if (slot_remove(fdb, (struct slot_ref){bucket, slot},
					now, age_seconds, mode,
					id) == ENTRY_EXPIRED)
				aged++;
		bucket_unlock(bucket);
	}
	count_add(&fdb->counters.aged, aged);
	return aged;
}

unsigned fdb_age(struct fdb *fdb)
{
	return fdb_sweep(fdb, SWEEP_AGE, 0);
}

void fdb_flush_bd(struct fdb *fdb, uint16_t bd)
{
	if (bd == 0 || bd > VSWITCH_MAX_BD)
		return;
	struct fdb_bd_state *state = &fdb->bds[bd];
	if (load_relaxed(&state->learned) == 0)
		return; /* nothing counted: no generation to spend */
	if ((uint8_t)(load_relaxed(&fdb->bd_gen[bd]) + 1) == state->sweep_gen)
		fdb_sweep(fdb, SWEEP_STALE, 0);
	bd_lock(fdb, bd);
	uint32_t learned = load_relaxed(&state->learned);
	if (learned) {
		store_relaxed(&fdb->bd_gen[bd],
			      (uint8_t)(load_relaxed(&fdb->bd_gen[bd]) + 1));
		store_relaxed(&state->epoch, load_relaxed(&state->epoch) + 1);
		store_relaxed(&state->learned, 0);
		count_sub(&fdb->learned_entries, learned);
		epoch_bump(fdb);
	}
	bd_unlock(fdb, bd);
}

void fdb_flush_member(struct fdb *fdb, uint16_t member)
{
	if (!member_valid(member))
		return;
	struct fdb_member_state *state = &fdb->members[member];
	if (member_learned(fdb, member) == 0)
		return;
	if ((uint8_t)(load_relaxed(&fdb->member_gen[member]) + 1) ==
	    state->sweep_gen)
		fdb_sweep(fdb, SWEEP_STALE, 0);
	for (;;) {
		uint16_t home = load_relaxed(&state->home);
		if (home == 0)
			return;
		bd_lock(fdb, home);
		if (load_relaxed(&state->home) != home) {
			bd_unlock(fdb, home);
			continue;
		}
		uint32_t learned = member_learned(fdb, member);
		if (learned) {
			store_relaxed(&fdb->member_gen[member],
				      (uint8_t)(load_relaxed(
							&fdb->member_gen[member]) +
						1));
			store_relaxed(&state->learned, 0);
			locked_add(&fdb->bds[home].learned, -learned);
			count_sub(&fdb->learned_entries, learned);
			epoch_bump(fdb);
		}
		bd_unlock(fdb, home);
		return;
	}
}

void fdb_flush_all(struct fdb *fdb)
{
	for (uint16_t bd = 1; bd <= VSWITCH_MAX_BD; bd++)
		fdb_flush_bd(fdb, bd);
}

void fdb_forget_member(struct fdb *fdb, uint16_t member)
{
	if (!member_valid(member))
		return;
	fdb_flush_member(fdb, member);
	fdb_sweep(fdb, SWEEP_MEMBER, member);
}

void fdb_forget_bd(struct fdb *fdb, uint16_t bd)
{
	if (bd == 0 || bd > VSWITCH_MAX_BD)
		return;
	fdb_flush_bd(fdb, bd);
	fdb_sweep(fdb, SWEEP_BD, bd);
	fdb_set_bd_limit(fdb, bd, 0);
}

/* ---- Control: reading ----------------------------------------------------- */

void fdb_walk(const struct fdb *fdb, uint16_t bd, uint16_t member,
	      int (*visit)(const struct fdb_entry_info *entry, void *arg),
	      void *arg)
{
	uint32_t now = fdb_now(fdb);
	for (uint64_t i = 0; i <= fdb->bucket_mask; i++) {
		const struct fdb_bucket *bucket = &fdb->buckets[i];
		uint64_t keys[FDB_SLOTS], values[FDB_SLOTS];
		for (;;) { /* a consistent copy, then no lock held in visit */
			uint32_t seq =
				__atomic_load_n(&bucket->seq, __ATOMIC_ACQUIRE);
			if (seq & 1) {
				rte_pause();
				continue;
			}
			for (unsigned slot = 0; slot < FDB_SLOTS; slot++) {
				keys[slot] = load_relaxed(&bucket->keys[slot]);
				values[slot] = slot_value(bucket, slot);
			}
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (load_relaxed(&bucket->seq) == seq)
				break;
		}
		for (unsigned slot = 0; slot < FDB_SLOTS; slot++) {
			uint64_t key = keys[slot], value = values[slot];
			enum entry_state state = entry_state(fdb, key, value, 0, 0);
			if (state != ENTRY_LIVE && state != ENTRY_STATIC)
				continue;
			if ((bd && fdb_key_bd(key) != bd) ||
			    (member != FDB_NO_MEMBER &&
			     value_member(value) != member))
				continue;
			struct fdb_entry_info info = {
				.key = key,
				.member = value_member(value),
				.is_static = state == ENTRY_STATIC,
				.age = state == ENTRY_STATIC
					       ? 0
					       : (now - value_stamp(value)) &
							 FDB_STAMP_MASK,
			};
			if (visit(&info, arg))
				return;
		}
	}
}

void fdb_get_stats(const struct fdb *fdb, struct fdb_stats *stats)
{
	const struct fdb_counters *c = &fdb->counters;
	uint32_t statics = load_relaxed(&fdb->static_entries);
	*stats = (struct fdb_stats){
		.entries = (uint64_t)load_relaxed(&fdb->learned_entries) + statics,
		.static_entries = statics,
		.learned = load_relaxed(&c->learned),
		.moved = load_relaxed(&c->moved),
		.refreshed = load_relaxed(&c->refreshed),
		.aged = load_relaxed(&c->aged),
		.evicted = load_relaxed(&c->evicted),
		.static_conflicts = load_relaxed(&c->static_conflicts),
		.limit_refused = load_relaxed(&c->limit_refused),
		.invalid = load_relaxed(&c->invalid),
	};
}

uint32_t fdb_count_member(const struct fdb *fdb, uint16_t member)
{
	if (!member_valid(member))
		return 0;
	return member_learned(fdb, member) +
	       load_relaxed(&fdb->members[member].statics);
}

uint32_t fdb_count_bd(const struct fdb *fdb, uint16_t bd)
{
	if (bd == 0 || bd > VSWITCH_MAX_BD)
		return 0;
	return load_relaxed(&fdb->bds[bd].learned) +
	       load_relaxed(&fdb->bds[bd].statics);
}

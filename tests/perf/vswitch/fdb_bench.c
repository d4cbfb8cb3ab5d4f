/* fdb-bench: what the FDB costs the pipeline, in TSC cycles per key.
 *
 * For each table size: learn that many random MACs (cycles per new entry),
 * then bulk-look-up bursts of 32 keys drawn at random from them (hits) and
 * from MACs never learned (misses), then refresh them (a learn call one
 * clock second later: the lock-free compare-and-swap path). The budget of
 * the whole switch is 75 cycles per packet, rx and tx included (~48), so a
 * lookup in cache should cost ~10.
 *
 * Usage: fdb-bench [rounds [max-entries]] (default 3 rounds, the best is
 * printed; all sizes). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_malloc.h>

#include "test_eal.h"
#include "vswitch.h"

#define BURST 32
#define PICKS (1u << 20) /* keys looked up per measurement */

static uint64_t random_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static uint64_t random_key(uint64_t *s, uint16_t bd)
{
	struct rte_ether_addr mac;
	uint64_t r = random_next(s);
	for (int i = 0; i < 6; i++)
		mac.addr_bytes[i] = (uint8_t)(r >> (8 * i));
	mac.addr_bytes[0] = (uint8_t)((mac.addr_bytes[0] & 0xfe) | 0x02);
	return fdb_key(bd, &mac);
}

struct figures {
	double learn, hit, miss, refresh, mixed;
};

/* Cycles per key to look up `n` keys in bursts: the best of slices of
 * 16k keys, so that a slice where another process ran does not count
 * (the machine is shared). */
#define SLICE 16384u
static double time_lookups(const struct fdb *fdb, const uint64_t *picks,
			   unsigned n, unsigned *found)
{
	struct fdb_result results[BURST];
	unsigned hits = 0;
	uint64_t best = UINT64_MAX;
	for (unsigned first = 0; first + SLICE <= n; first += SLICE) {
		uint64_t start = rte_rdtsc_precise();
		for (unsigned i = first; i < first + SLICE; i += BURST) {
			fdb_lookup_bulk(fdb, picks + i, BURST, results);
			for (unsigned j = 0; j < BURST; j++)
				hits += results[j].member != FDB_NO_MEMBER;
		}
		uint64_t cycles = rte_rdtsc_precise() - start;
		if (cycles < best)
			best = cycles;
	}
	*found = hits;
	return (double)best / SLICE;
}

/* Cycles per call of fdb_learn over all keys, repeated until at least
 * 4 slices were done; the best slice counts. new_keys: learn fresh MACs
 * each pass (after flushing the last ones), else refresh the same ones one
 * clock second later each pass. */
static double time_learns(struct fdb *fdb, uint64_t *keys, uint32_t entries,
			  uint64_t *seed, bool new_keys, unsigned *learned)
{
	uint64_t best = UINT64_MAX, cycles = 0;
	unsigned calls = 0, best_calls = 1;
	unsigned passes = RTE_MAX(1u, 4 * SLICE / entries);
	*learned = 0;
	for (unsigned pass = 0; pass < passes; pass++) {
		if (new_keys) {
			if (pass)
				fdb_flush_bd(fdb, 1);
			for (uint32_t i = 0; i < entries; i++)
				keys[i] = random_key(seed, 1);
		} else {
			fdb_set_time(fdb, fdb_time(fdb) + 1);
		}
		for (uint32_t first = 0; first < entries; first += SLICE) {
			uint32_t last = RTE_MIN(entries, first + SLICE);
			unsigned done = 0;
			uint64_t start = rte_rdtsc_precise();
			for (uint32_t i = first; i < last; i++)
				done += fdb_learn(fdb, keys[i],
						  (uint16_t)(1 + i % 1000)) ==
					FDB_LEARN_learned;
			cycles += rte_rdtsc_precise() - start;
			calls += last - first;
			*learned = done + (first ? *learned : 0);
			if (calls >= SLICE) {
				if (cycles * best_calls < best * calls) {
					best = cycles;
					best_calls = calls;
				}
				cycles = 0;
				calls = 0;
			}
		}
	}
	return (double)best / best_calls;
}

static int run(uint32_t entries, uint64_t seed, struct figures *f)
{
	struct fdb_config config = {.capacity = entries, .age_seconds = 300};
	struct fdb *fdb = fdb_create(&config, SOCKET_ID_ANY);
	uint64_t *keys = rte_malloc(NULL, sizeof(uint64_t) * entries, 0);
	uint64_t *picks = rte_malloc(NULL, sizeof(uint64_t) * PICKS, 0);
	if (!fdb || !keys || !picks) {
		fprintf(stderr, "fdb-bench: out of memory at %" PRIu32 "\n",
			entries);
		return -1;
	}
	fdb_set_time(fdb, 1000);
	unsigned learned;
	f->learn = time_learns(fdb, keys, entries, &seed, true, &learned);

	unsigned found;
	for (unsigned i = 0; i < PICKS; i++)
		picks[i] = keys[random_next(&seed) % entries];
	time_lookups(fdb, picks, PICKS, &found); /* warm */
	f->hit = time_lookups(fdb, picks, PICKS, &found);
	if (found != PICKS || learned != entries)
		fprintf(stderr, "fdb-bench: %u of %u learned, %u of %u found\n",
			learned, entries, found, PICKS);

	for (unsigned i = 0; i < PICKS; i++)
		picks[i] = random_key(&seed, 2);
	f->miss = time_lookups(fdb, picks, PICKS, &found);

	/* Half hits, half misses, as a switch with flooding traffic sees. */
	for (unsigned i = 0; i < PICKS; i++)
		picks[i] = i % 2 ? keys[random_next(&seed) % entries]
				 : random_key(&seed, 2);
	f->mixed = time_lookups(fdb, picks, PICKS, &found);

	f->refresh = time_learns(fdb, keys, entries, &seed, false, &learned);

	rte_free(picks);
	rte_free(keys);
	fdb_free(fdb);
	return 0;
}

static void keep_best(double *best, double value)
{
	if (*best == 0 || value < *best)
		*best = value;
}

int main(int argc, char **argv)
{
	unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 3;
	uint32_t max_entries = argc > 2 ? (uint32_t)atol(argv[2]) : UINT32_MAX;
	test_eal_start("fdb_bench", 512, NULL);
	static const uint32_t sizes[] = {8, 1024, 65536, 1048576};

	printf("FDB, TSC cycles per key (%.2f GHz TSC), best of %u rounds, "
	       "bursts of %u\n",
	       (double)rte_get_tsc_hz() / 1e9, rounds, BURST);
	printf("%10s %10s %10s %10s %10s %10s\n", "entries", "hit", "miss",
	       "50% hit", "learn", "refresh");
	for (unsigned s = 0; s < RTE_DIM(sizes) && sizes[s] <= max_entries; s++) {
		struct figures best = {0};
		for (unsigned r = 0; r < rounds; r++) {
			struct figures f;
			if (run(sizes[s], 0x9e3779b97f4a7c15ull + r * 7919 + s,
				&f))
				return 1;
			keep_best(&best.hit, f.hit);
			keep_best(&best.miss, f.miss);
			keep_best(&best.mixed, f.mixed);
			keep_best(&best.learn, f.learn);
			keep_best(&best.refresh, f.refresh);
		}
		printf("%10" PRIu32 " %10.1f %10.1f %10.1f %10.1f %10.1f\n",
		       sizes[s], best.hit, best.miss, best.mixed, best.learn,
		       best.refresh);
	}
	return 0;
}

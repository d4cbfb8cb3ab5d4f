/* The flow cache and the inline classifiers change nothing but the cost.
 *
 * Two switches see the same frames: one with a flow cache (hits take the
 * short paths: plain, push, pop, retag; classification inline for the
 * common cases, the burst's last VID remembered), one without (every frame
 * classified by classify_frame, looked up in the FDB and sent by
 * member_emit). Each has its own FDB, primed alike. For port setups that
 * cover every VLAN mode, bursts of mixed frames (mostly from hosts where
 * they live, with the tag their port expects; some with other tags,
 * priority tags, tag stacks, group or zero sources, unknown and broadcast
 * destinations, hosts that move; every third burst mostly one flow) go
 * through both, and every burst's output
 * must be the same bytes in the same order on every port, and every
 * counter the same. The cached switch must have answered most frames from
 * its cache, or the test proved nothing.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "test_eal.h"
#include "vswitch.h"

#define N_PORTS 3
#define N_HOSTS 9
#define FRAME_LENGTH 96
#define ROUNDS 60

/* A port: hybrid (no VLAN mode) when mode < 0. */
struct port_def {
	int mode; /* enum vlan_port_mode, or -1 */
	uint16_t vid;
	const char *allowed;
	uint16_t tpid;
	uint8_t inner_tags;
};

/* A frame's tags, outermost first; tpid 0 ends the list. */
struct tag {
	uint16_t tpid, tci;
};

struct scenario {
	const char *name;
	struct port_def ports[N_PORTS];
	struct {
		uint16_t port, vid;
	} members[N_PORTS]; /* one per port: a frame leaves a port once */
	unsigned n_members;
	/* The tags a frame from each port usually carries. */
	struct tag usual[N_PORTS][2];
};

#define C(vid) { 0x8100, (uint16_t)(vid) }
#define S(vid) { 0x88a8, (uint16_t)(vid) }
#define UNTAGGED { { 0, 0 } }

static const struct scenario scenarios[] = {
	{ "hybrid",
	  { { -1, 0, NULL, 0, 0 }, { -1, 0, NULL, 0, 0 }, { -1, 0, NULL, 0, 0 } },
	  { { 0, 0 }, { 1, 0 }, { 2, 0 } }, 3,
	  { UNTAGGED, UNTAGGED, UNTAGGED } },
	{ "access-trunk-hybrid",
	  { { VLAN_PORT_access, 100, NULL, 0, 0 },
	    { VLAN_PORT_trunk, 0, "100,200", 0, 0 },
	    { -1, 0, NULL, 0, 0 } },
	  { { 0, 100 }, { 1, 100 }, { 2, 100 } }, 3,
	  { UNTAGGED, { C(0x6064) }, { C(0xa064) } } },
	{ "native-qinq",
	  { { VLAN_PORT_native_untagged, 100, "100", 0, 0 },
	    { VLAN_PORT_native_tagged, 100, "100,300", 0, 0 },
	    { VLAN_PORT_trunk, 0, "100", 0x88a8, 0 } },
	  { { 0, 100 }, { 1, 100 }, { 2, 100 } }, 3,
	  { UNTAGGED, { C(0x2064) }, { S(0xe064) } } },
	{ "tunnel",
	  { { VLAN_PORT_tunnel, 300, NULL, 0, 0 },
	    { VLAN_PORT_trunk, 0, "300", 0x88a8, 1 },
	    { VLAN_PORT_access, 300, NULL, 0, 0 } },
	  { { 0, 300 }, { 1, 300 }, { 2, 300 } }, 3,
	  { { C(0x4005) }, { S(0x012c), C(0x2007) }, UNTAGGED } },
};

/* Other tags a frame may carry. */
static const struct tag odd_tags[][3] = {
	{ C(0x6064) }, { C(0x00c8) }, { C(0xa000) }, { S(0x0064) },
	{ S(0x012c), C(0x0005) }, { C(0x0064), C(0x0007) },
	{ C(0x0064), C(0x0064), C(0x0064) }, { { 0x9100, 0x0064 } },
	{ C(0x012c) }, UNTAGGED,
};

struct switch_under_test {
	struct fdb *fdb;
	struct vswitch_context context;
};

static struct switch_under_test cached, uncached;
static struct vswitch_table *table;
static uint64_t seed;

static uint32_t random_next(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (uint32_t)(seed >> 11);
}

static void sut_init(struct switch_under_test *s, bool with_cache)
{
	memset(s, 0, sizeof(*s));
	struct fdb_config config = { .capacity = 1024 };
	s->fdb = fdb_create(&config, 0);
	assert_non_null(s->fdb);
	s->context.fdb = s->fdb;
	s->context.counters = vswitch_counters_create(0);
	assert_non_null(s->context.counters);
	s->context.pool = test_eal_pool();
	s->context.policers = rte_zmalloc(
		"test_policers",
		(VSWITCH_MAX_MEMBERS + 2) * sizeof(*s->context.policers), 0);
	assert_non_null(s->context.policers);
	if (with_cache) {
		s->context.flow_cache = rte_zmalloc(
			"test_flow_cache",
			sizeof(struct flow_cache_entry) * FLOW_CACHE_ENTRIES, 64);
		assert_non_null(s->context.flow_cache);
	}
}

static void sut_free(struct switch_under_test *s)
{
	for (uint16_t p = 0; p < VSWITCH_MAX_PORTS; p++)
		for (uint16_t i = 0; i < s->context.out.count[p]; i++)
			rte_pktmbuf_free(s->context.out.pkts[p][i]);
	rte_free(s->context.flow_cache);
	rte_free(s->context.policers);
	vswitch_counters_free(s->context.counters);
	fdb_free(s->fdb);
}

static void host_mac(uint8_t host, uint8_t mac[6])
{
	static const uint8_t base[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x00 };
	memcpy(mac, base, 6);
	mac[5] = host;
}

static uint64_t host_key(uint8_t host)
{
	struct rte_ether_addr mac;
	host_mac(host, mac.addr_bytes);
	return fdb_key(1, &mac);
}

static void table_make(const struct scenario *sc)
{
	vswitch_table_free(table);
	struct vswitch_table_spec spec;
	memset(&spec, 0, sizeof(spec));
	static const char *const names[N_PORTS] = { "p0", "p1", "p2" };
	static struct vlan_port vlans[N_PORTS];
	spec.version = 7;
	for (int p = 0; p < N_PORTS; p++) {
		const struct port_def *d = &sc->ports[p];
		spec.ports[p].present = true;
		spec.ports[p].up = true;
		spec.ports[p].link_up = true;
		spec.ports[p].name = names[p];
		/* Half the ports as a NIC's (data prefetched), half not. */
		spec.ports[p].rx_data_hot = p & 1;
		if (d->mode < 0)
			continue;
		assert_int_equal(vlan_port_init(&vlans[p], (enum vlan_port_mode)d->mode,
						d->vid), 0);
		if (d->allowed)
			assert_int_equal(vlan_port_allow_list(&vlans[p], d->allowed), 0);
		if (d->tpid)
			assert_int_equal(vlan_port_set_tpid(&vlans[p], d->tpid,
							    d->inner_tags), 0);
		spec.ports[p].vlan = &vlans[p];
	}
	struct vswitch_member members[N_PORTS];
	memset(members, 0, sizeof(members));
	for (unsigned i = 0; i < sc->n_members; i++) {
		members[i].id = (uint16_t)(i + 1);
		members[i].port = sc->members[i].port;
		members[i].vid = sc->members[i].vid;
	}
	struct vswitch_bd_spec bd = {
		.id = 1, .learning = true, .name = "bd",
		.n_members = sc->n_members, .members = members,
	};
	spec.n_bds = 1;
	spec.bds = &bd;
	char err[256];
	table = vswitch_table_build(&spec, err, sizeof(err));
	if (!table)
		fail_msg("%s: vswitch_table_build: %s", sc->name, err);
}

/* Host h lives behind member (h % n_members) + 1, in both FDBs. */
static uint16_t host_home(const struct scenario *sc, uint8_t host)
{
	return (uint16_t)(host % sc->n_members + 1);
}

static uint16_t frame_build(uint8_t *frame, uint8_t dst_host, uint8_t src_host,
			    const struct tag *tags, bool group_source,
			    bool zero_source)
{
	memset(frame, 0, FRAME_LENGTH);
	if (dst_host == 0xff)
		memset(frame, 0xff, 6);
	else
		host_mac(dst_host, frame);
	host_mac(src_host, frame + 6);
	if (group_source)
		frame[6] |= 1;
	if (zero_source)
		memset(frame + 6, 0, 6);
	unsigned offset = 12;
	for (unsigned t = 0; t < 3 && tags[t].tpid; t++) {
		frame[offset] = (uint8_t)(tags[t].tpid >> 8);
		frame[offset + 1] = (uint8_t)tags[t].tpid;
		frame[offset + 2] = (uint8_t)(tags[t].tci >> 8);
		frame[offset + 3] = (uint8_t)tags[t].tci;
		offset += 4;
	}
	frame[offset] = 0x08; /* IPv4, then a recognizable body */
	for (unsigned i = offset + 2; i < FRAME_LENGTH; i++)
		frame[i] = (uint8_t)(i * 7 + src_host);
	return (uint16_t)(FRAME_LENGTH - (random_next() % 4) * 8);
}

struct captured {
	uint16_t count[N_PORTS];
	uint16_t length[N_PORTS][VSWITCH_OUTPUT_MAX];
	uint8_t data[N_PORTS][VSWITCH_OUTPUT_MAX][FRAME_LENGTH + 8];
};

static void burst_run(struct switch_under_test *s, uint16_t in_port,
		      uint8_t frames[][FRAME_LENGTH], const uint16_t *lengths,
		      unsigned n, struct captured *out)
{
	struct rte_mbuf *pkts[VSWITCH_BURST];
	for (unsigned i = 0; i < n; i++) {
		pkts[i] = test_mbuf_from_bytes(frames[i], lengths[i]);
		assert_non_null(pkts[i]);
	}
	vswitch_process(&s->context, table, in_port, pkts, (uint16_t)n);
	memset(out->count, 0, sizeof(out->count));
	for (uint16_t p = 0; p < VSWITCH_MAX_PORTS; p++) {
		struct vswitch_output *o = &s->context.out;
		uint64_t bytes = 0;
		for (uint16_t i = 0; i < o->count[p]; i++) {
			struct rte_mbuf *m = o->pkts[p][i];
			uint16_t length = rte_pktmbuf_data_len(m);
			assert_true(p < N_PORTS);
			assert_true(length <= FRAME_LENGTH + 8);
			memcpy(out->data[p][i], rte_pktmbuf_mtod(m, void *), length);
			out->length[p][i] = length;
			bytes += rte_pktmbuf_pkt_len(m);
			rte_pktmbuf_free(m);
		}
		assert_int_equal(o->bytes[p], bytes);
		assert_int_equal(!!(o->dirty & (UINT64_C(1) << p)), o->count[p] != 0);
		if (p < N_PORTS)
			out->count[p] = o->count[p];
		o->count[p] = 0;
		o->bytes[p] = 0;
	}
	s->context.out.dirty = 0;
}

static void counters_equal(const struct scenario *sc)
{
	const struct vswitch_counters *a = cached.context.counters;
	const struct vswitch_counters *b = uncached.context.counters;
	for (unsigned d = 0; d < VSWITCH_DROP_MAX; d++)
		if (a->drops[d] != b->drops[d])
			fail_msg("%s: drops.%s %" PRIu64 " with the cache, %" PRIu64
				 " without", sc->name, vswitch_drop_names[d],
				 a->drops[d], b->drops[d]);
	assert_memory_equal(a->port, b->port, sizeof(a->port));
	assert_memory_equal(a->bd[1], b->bd[1], sizeof(a->bd[1]));
	for (unsigned m = 1; m <= sc->n_members; m++)
		assert_memory_equal(a->member[m], b->member[m], sizeof(a->member[m]));
}

static void scenario_run(const struct scenario *sc)
{
	unsigned before = test_eal_pool_available();
	sut_init(&cached, true);
	sut_init(&uncached, false);
	table_make(sc);
	for (uint8_t h = 1; h <= N_HOSTS; h++) {
		assert_int_equal(fdb_learn(cached.fdb, host_key(h), host_home(sc, h)),
				 FDB_LEARN_learned);
		assert_int_equal(fdb_learn(uncached.fdb, host_key(h),
					   host_home(sc, h)),
				 FDB_LEARN_learned);
	}
	static uint8_t frames[VSWITCH_BURST][FRAME_LENGTH];
	static struct captured with, without;
	uint16_t lengths[VSWITCH_BURST];
	uint64_t frames_sent = 0;
	for (unsigned round = 0; round < ROUNDS; round++) {
		for (uint16_t port = 0; port < N_PORTS; port++) {
			unsigned n = 1 + random_next() % VSWITCH_BURST;
			/* Every third burst is mostly one flow (what the
			 * uniform prefix takes a burst at a time), with odd
			 * frames now and then. */
			bool stream = (round + port) % 3 == 0;
			uint8_t stream_src = 0, stream_dst = 0;
			if (stream) {
				stream_src = (uint8_t)(1 + random_next() % N_HOSTS);
				while (sc->members[host_home(sc, stream_src) - 1].port !=
				       port)
					stream_src = (uint8_t)(1 + stream_src % N_HOSTS);
				stream_dst = (uint8_t)(1 + random_next() % N_HOSTS);
				n = VSWITCH_BURST - random_next() % 4;
			}
			for (unsigned i = 0; i < n; i++) {
				uint32_t r = random_next();
				if (stream && r % 8 != 0) {
					lengths[i] = frame_build(
						frames[i], stream_dst, stream_src,
						sc->usual[port], false, false);
					continue;
				}
				/* A host of the member on this port, but now
				 * and then one that lives elsewhere (it moves,
				 * which retires every cached decision). */
				uint8_t src = (uint8_t)(1 + r % N_HOSTS);
				while ((r >> 8) % 1024 != 0 &&
				       sc->members[host_home(sc, src) - 1].port != port)
					src = (uint8_t)(1 + (src % N_HOSTS));
				uint8_t dst = (uint8_t)(1 + (r >> 12) % N_HOSTS);
				if ((r >> 16) % 16 == 0)
					dst = 0xff;
				else if ((r >> 16) % 16 == 1)
					dst = 0x42; /* unknown */
				const struct tag *tags = sc->usual[port];
				size_t n_odd = sizeof(odd_tags) / sizeof(odd_tags[0]);
				if ((r >> 20) % 8 == 0)
					tags = odd_tags[(r >> 23) % n_odd];
				/* Every other burst starts with an odd one (what
				 * a burst remembers starts empty). */
				if (i == 0 && round % 2)
					tags = odd_tags[(round / 2 + port) % n_odd];
				bool group = (r >> 27) % 32 == 0;
				bool zero = (r >> 27) % 32 == 1;
				lengths[i] = frame_build(frames[i], dst, src, tags,
							 group, zero);
			}
			/* The general classifier's answer (the trace's), to
			 * check the inline ones: member rx counts, and drops
			 * that only classification makes. */
			uint64_t expected_rx[N_PORTS + 1] = { 0 };
			uint64_t expected_drops[VSWITCH_DROP_MAX] = { 0 };
			uint64_t rx_before[N_PORTS + 1], drops_before[VSWITCH_DROP_MAX];
			const struct vswitch_counters *cc = cached.context.counters;
			for (unsigned i = 0; i < n; i++) {
				struct vswitch_trace trace;
				vswitch_trace_frame(table, cached.fdb, port, frames[i],
						    lengths[i], &trace);
				if (trace.in_member)
					expected_rx[trace.in_member]++;
				else if (trace.dropped)
					expected_drops[trace.drop_reason]++;
			}
			for (unsigned m = 1; m <= sc->n_members; m++)
				rx_before[m] = cc->member[m][VSWITCH_MEMBER_rx_packets];
			memcpy(drops_before, cc->drops, sizeof(drops_before));
			burst_run(&cached, port, frames, lengths, n, &with);
			for (unsigned m = 1; m <= sc->n_members; m++)
				if (cc->member[m][VSWITCH_MEMBER_rx_packets] -
					    rx_before[m] != expected_rx[m])
					fail_msg("%s, round %u, in %u: member %u "
						 "received %" PRIu64 ", classify_frame "
						 "says %" PRIu64, sc->name, round,
						 port, m,
						 cc->member[m][VSWITCH_MEMBER_rx_packets] -
							 rx_before[m],
						 expected_rx[m]);
			for (unsigned d = 0; d < VSWITCH_DROP_MAX; d++) {
				uint64_t got = cc->drops[d] - drops_before[d];
				/* Tags can also be too deep or not allowed
				 * on the way out. */
				bool also_egress = d == VSWITCH_DROP_vlan_too_deep ||
						   d == VSWITCH_DROP_vlan_not_allowed;
				if (also_egress ? got < expected_drops[d]
						: got != expected_drops[d] &&
							  expected_drops[d])
					fail_msg("%s, round %u, in %u: %" PRIu64
						 " drops.%s, classify_frame says %"
						 PRIu64, sc->name, round, port, got,
						 vswitch_drop_names[d],
						 expected_drops[d]);
			}
			burst_run(&uncached, port, frames, lengths, n, &without);
			frames_sent += n;
			for (int p = 0; p < N_PORTS; p++) {
				if (with.count[p] != without.count[p])
					fail_msg("%s, round %u, in %u: %u frames "
						 "out of p%d with the cache, %u "
						 "without", sc->name, round, port,
						 with.count[p], p, without.count[p]);
				for (unsigned i = 0; i < with.count[p]; i++) {
					assert_int_equal(with.length[p][i],
							 without.length[p][i]);
					assert_memory_equal(with.data[p][i],
							    without.data[p][i],
							    with.length[p][i]);
				}
			}
		}
		/* Now and then the clock moves: every cached decision is
		 * retired (the stamp), learned entries are refreshed. */
		if (round % 20 == 19) {
			fdb_set_time(cached.fdb, round);
			fdb_set_time(uncached.fdb, round);
		}
	}
	counters_equal(sc);
	assert_int_equal(uncached.context.flow_cache_hits, 0);
	printf("# %s: %" PRIu64 " frames, %" PRIu64 " flow cache hits, %" PRIu64
	       " misses\n", sc->name, frames_sent, cached.context.flow_cache_hits,
	       cached.context.flow_cache_misses);
	/* The cache answered a good part of the unicast frames (the
	 * rest: first frames of a flow, and after a move or a clock step). */
	uint64_t unicast = cached.context.counters->bd[1][VSWITCH_BD_unicast];
	printf("# %s: %" PRIu64 " unicast\n", sc->name, unicast);
	assert_true(cached.context.flow_cache_hits * 3 > unicast);
	sut_free(&cached);
	sut_free(&uncached);
	vswitch_table_free(table);
	table = NULL;
	assert_int_equal(test_eal_pool_available(), before);
}

static void test_hybrid(void **state)
{
	(void)state;
	scenario_run(&scenarios[0]);
}

static void test_access_trunk_hybrid(void **state)
{
	(void)state;
	scenario_run(&scenarios[1]);
}

static void test_native_qinq(void **state)
{
	(void)state;
	scenario_run(&scenarios[2]);
}

static void test_tunnel(void **state)
{
	(void)state;
	scenario_run(&scenarios[3]);
}

static int group_setup(void **state)
{
	(void)state;
	test_eal_start("test-vswitch-flow-cache", 256, NULL);
	seed = 0x9e3779b97f4a7c15ull;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hybrid),
		cmocka_unit_test(test_access_trunk_hybrid),
		cmocka_unit_test(test_native_qinq),
		cmocka_unit_test(test_tunnel),
	};
	return cmocka_run_group_tests_name("vswitch flow cache", tests,
					   group_setup, NULL);
}

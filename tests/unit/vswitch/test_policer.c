/* Policer unit tests, on a real EAL (rte_meter needs the TSC frequency).
 *
 * Rate and burst: policer_profile_init and policer_conform on a driven
 * clock. The test passes its own TSC values (simulated time, nothing
 * sleeps), offers evenly spaced frames at 10x the rate or exactly at it,
 * and measures what passes: the delivered rate within 2% of the configured
 * one from 64 kbit/s to 100 Gbit/s for 64- and 1500-byte frames, exactly
 * `burst` bytes back to back after idle, then the rate; nothing lost to
 * rounding at 150 Mpps; out-of-range values refused with a reason.
 *
 * The pipeline: vswitch_process on a real table with policers that are
 * always red (a burst smaller than the frame can never hold it: that needs
 * no clock) or always green, so drop and mark are checked byte by byte
 * without timing: drops counted per member and by reason, DSCP marked with
 * a valid IPv4 checksum and only on the policed member's copy, PCP marked
 * in the tag the frame leaves with.
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

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "test_eal.h"
#include "vswitch.h"

static uint64_t hz; /* TSC cycles per second */

/* ---- A meter on a driven clock -------------------------------------------- */

struct meter {
	struct policer_profile profile;
	struct policer_state state;
	uint64_t now; /* the driven clock, in TSC cycles */
};

static void meter_init(struct meter *m, uint64_t rate_bps, uint32_t burst)
{
	char err[160];
	memset(m, 0, sizeof(*m));
	if (policer_profile_init(&m->profile, rate_bps, burst, POLICER_drop, 0,
				 42, err, sizeof(err)) != 0)
		fail_msg("policer_profile_init(%" PRIu64 ", %u): %s", rate_bps,
			 burst, err);
	/* A fresh state is stamped with the real TSC when first used; the
	 * driven clock starts a second later so it never runs behind that
	 * stamp. A zero-length frame conforms and takes no token: it only
	 * makes the state (with a full bucket). */
	m->now = rte_get_tsc_cycles() + hz;
	assert_true(policer_conform(&m->state, &m->profile, m->now, 0));
}

static bool meter_frame(struct meter *m, uint64_t at, uint32_t length)
{
	return policer_conform(&m->state, &m->profile, at, length);
}

struct offered {
	uint64_t frames, passed;
	uint64_t late_bytes;   /* passed in the second half (steady state) */
	double late_seconds;   /* length of the second half */
};

/* Offers `frames` frames of `length` bytes evenly spaced at offered_bps,
 * starting at m->now; advances the clock past them. */
static struct offered offer(struct meter *m, double offered_bps,
			    uint32_t length, uint64_t frames)
{
	struct offered o = { .frames = frames };
	double cycles_per_frame = (double)hz * length * 8 / offered_bps;
	uint64_t start = m->now;
	for (uint64_t i = 0; i < frames; i++) {
		uint64_t at = start + (uint64_t)((double)i * cycles_per_frame);
		if (!meter_frame(m, at, length))
			continue;
		o.passed++;
		if (i >= frames / 2)
			o.late_bytes += length;
	}
	o.late_seconds = (double)(frames - frames / 2) * cycles_per_frame / hz;
	m->now = start + (uint64_t)((double)frames * cycles_per_frame);
	return o;
}

static const char *rate_text(uint64_t bps, char *buf, size_t size)
{
	if (bps >= 1000000000ull)
		snprintf(buf, size, "%g Gbit/s", (double)bps / 1e9);
	else if (bps >= 1000000ull)
		snprintf(buf, size, "%g Mbit/s", (double)bps / 1e6);
	else
		snprintf(buf, size, "%g kbit/s", (double)bps / 1e3);
	return buf;
}

static const uint64_t rates[] = {
	64000ull, 1000000ull, 10000000ull, 100000000ull, 10000000000ull,
	100000000000ull,
};
static const uint32_t lengths[] = { 64, 1500 };

#define N_RATES (sizeof(rates) / sizeof(rates[0]))
#define N_LENGTHS (sizeof(lengths) / sizeof(lengths[0]))

/* ---- Rates ----------------------------------------------------------------- */

/* 10x the rate for 2 million frames: what passes in the second half (the
 * burst long drained) is the rate, within 2%. */
static void test_rate_at_ten_times_offered(void **state)
{
	(void)state;
	bool all = true;
	for (size_t r = 0; r < N_RATES; r++) {
		for (size_t l = 0; l < N_LENGTHS; l++) {
			uint64_t rate = rates[r];
			uint32_t length = lengths[l];
			/* 1 ms of the rate, at least two frames */
			uint64_t burst = rate / 8 / 1000;
			if (burst < 2 * length)
				burst = 2 * length;
			struct meter m;
			meter_init(&m, rate, (uint32_t)burst);
			struct offered o = offer(&m, 10.0 * (double)rate, length,
						 2000000);
			double delivered = (double)o.late_bytes * 8 / o.late_seconds;
			double error = delivered / (double)rate - 1;
			char text[32];
			printf("# %s, %u-byte frames at 10x: %.4g bit/s delivered "
			       "(%+.3f%%), %" PRIu64 " of %" PRIu64 " frames passed\n",
			       rate_text(rate, text, sizeof(text)), length, delivered,
			       100 * error, o.passed, o.frames);
			if (error > 0.02 || error < -0.02) {
				printf("# FAIL: outside +-2%%\n");
				all = false;
			}
		}
	}
	assert_true(all);
}

/* Exactly the rate: every frame passes, with a bucket of two frames (no
 * slack for tokens lost to rounding). */
static void test_rate_exactly_offered_all_pass(void **state)
{
	(void)state;
	bool all = true;
	for (size_t r = 0; r < N_RATES; r++) {
		for (size_t l = 0; l < N_LENGTHS; l++) {
			uint64_t rate = rates[r];
			uint32_t length = lengths[l];
			struct meter m;
			meter_init(&m, rate, 3000);
			struct offered o = offer(&m, (double)rate, length, 1000000);
			if (o.passed != o.frames) {
				char text[32];
				printf("# FAIL: %s, %u-byte frames at the rate: %" PRIu64
				       " of %" PRIu64 " passed\n",
				       rate_text(rate, text, sizeof(text)), length,
				       o.passed, o.frames);
				all = false;
			}
		}
	}
	assert_true(all);
}

/* Open vSwitch once shipped a policer whose refill rounded to zero at ~1
 * Mpps. Here: 100 Gbit/s, 64-byte frames at 150 Mpps (77 Gbit/s, a frame
 * every ~20 cycles, most refills less than a frame) with a small bucket:
 * all pass. And 1 Gbit/s at 1.5 Mpps (768 Mbit/s). */
static void test_no_rounding_to_zero_at_high_packet_rates(void **state)
{
	(void)state;
	static const struct {
		uint64_t rate;
		double pps;
	} cases[] = {
		{ 100000000000ull, 150e6 },
		{ 1000000000ull, 1.5e6 },
		{ 10000000000ull, 14.88e6 }, /* line rate of 64-byte frames */
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct meter m;
		meter_init(&m, cases[c].rate, 3000);
		struct offered o = offer(&m, cases[c].pps * 64 * 8, 64, 20000000);
		char text[32];
		printf("# %s, 64-byte frames at %.4g Mpps: %" PRIu64 " of %" PRIu64
		       " passed\n", rate_text(cases[c].rate, text, sizeof(text)),
		       cases[c].pps / 1e6, o.passed, o.frames);
		assert_true(o.passed >= o.frames - o.frames / 10000);
	}
}

/* ---- Bursts ---------------------------------------------------------------- */

/* After an hour idle, back to back at one instant: exactly the frames that
 * fit in `burst` bytes pass (not one more: the bucket does not grow beyond
 * it); then, offered at 10x, the rate from an empty bucket. */
static void test_burst_after_idle_then_rate(void **state)
{
	(void)state;
	static const struct {
		uint64_t rate;
		uint32_t burst, length;
	} cases[] = {
		{ 10000000ull, 15000, 1500 },
		{ 10000000ull, 15000, 64 },
		{ 1000000ull, 3000, 1500 },
		{ 10000000000ull, 15000, 1500 },
		{ 10000000000ull, 15000, 64 },
		{ 100000000000ull, 1u << 30, 1500 },
		{ 64000ull, 64, 64 },
		{ 64000ull, 1500, 1500 },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint64_t rate = cases[c].rate;
		uint32_t burst = cases[c].burst, length = cases[c].length;
		struct meter m;
		meter_init(&m, rate, burst);
		/* Drain the bucket, then an hour idle. */
		for (uint32_t i = 0; i <= burst / length; i++)
			meter_frame(&m, m.now, length);
		m.now += 3600 * hz;
		uint64_t passed = 0;
		while (meter_frame(&m, m.now, length)) {
			passed++;
			assert_true(passed <= burst / length);
		}
		char text[32];
		printf("# %s, burst %u: %" PRIu64 " %u-byte frames back to back "
		       "after idle\n", rate_text(rate, text, sizeof(text)), burst,
		       passed, length);
		assert_int_equal(passed, burst / length);
		/* The same instant: still nothing. */
		assert_false(meter_frame(&m, m.now, length));

		/* From (nearly) empty: 10x for 2000 frame times of the rate. */
		struct offered o = offer(&m, 10.0 * (double)rate, length, 20000);
		double seconds = 2000.0 * length * 8 / (double)rate;
		double expected = (double)rate / 8 * seconds;
		double got = (double)(o.passed * length);
		printf("#   then %.0f bytes in %.4g s at 10x, %.0f expected\n", got,
		       seconds, expected);
		/* 2%, plus what the bucket held (less than a frame) */
		assert_true(got <= expected * 1.02 + length);
		assert_true(got >= expected * 0.98);
	}
}

/* At 1 Mbit/s one token is a byte every ~hz/125000 cycles: after the burst
 * the next 1500-byte frame passes when 1500 bytes' time has passed, not
 * noticeably earlier or later. */
static void test_next_frame_after_burst(void **state)
{
	(void)state;
	struct meter m;
	meter_init(&m, 1000000, 4500);
	for (int i = 0; i < 3; i++)
		assert_true(meter_frame(&m, m.now, 1500));
	assert_false(meter_frame(&m, m.now, 1500));
	uint64_t frame_time = hz * 1500 * 8 / 1000000; /* 12 ms */
	uint64_t byte_time = hz / 125000;
	assert_false(meter_frame(&m, m.now + frame_time * 99 / 100, 1500));
	assert_true(meter_frame(&m, m.now + frame_time + 2 * byte_time, 1500));
	/* and then empty again */
	assert_false(meter_frame(&m, m.now + frame_time + 2 * byte_time, 1500));
}

/* ---- Profiles and states --------------------------------------------------- */

static void expect_refused(uint64_t rate, uint32_t burst,
			   enum policer_action action, uint8_t mark,
			   const char *word)
{
	struct policer_profile profile;
	char err[160] = "";
	int rc = policer_profile_init(&profile, rate, burst, action, mark, 1, err,
				      sizeof(err));
	printf("# rate %" PRIu64 ", burst %u, %s %u: %s\n", rate, burst,
	       (unsigned)action < POLICER_ACTION_MAX ? policer_action_names[action]
						      : "?",
	       mark, rc ? err : "accepted");
	assert_int_equal(rc, -1);
	/* The reason names what is wrong. */
	if (!strstr(err, word))
		fail_msg("reason \"%s\" does not mention %s", err, word);
}

static void expect_accepted(uint64_t rate, uint32_t burst,
			    enum policer_action action, uint8_t mark)
{
	struct policer_profile profile;
	char err[160] = "";
	if (policer_profile_init(&profile, rate, burst, action, mark, 9, err,
				 sizeof(err)) != 0)
		fail_msg("rate %" PRIu64 ", burst %u refused: %s", rate, burst, err);
	assert_int_equal(profile.rate_bps, rate);
	assert_int_equal(profile.burst_bytes, burst);
	assert_int_equal(profile.action, action);
	assert_int_equal(profile.mark, mark);
	assert_int_equal(profile.serial, 9);
}

static void test_limits(void **state)
{
	(void)state;
	char number[32];
	expect_refused(0, 1500, POLICER_drop, 0, "rate 0");
	expect_refused(POLICER_RATE_MIN - 1, 1500, POLICER_drop, 0, "63999");
	snprintf(number, sizeof(number), "%llu", POLICER_RATE_MAX + 1);
	expect_refused(POLICER_RATE_MAX + 1, 1500, POLICER_drop, 0, number);
	expect_refused(1000000000000ull, 1500, POLICER_drop, 0, "rate");
	expect_refused(UINT64_MAX, 1500, POLICER_drop, 0, "rate");
	expect_refused(1000000, 0, POLICER_drop, 0, "burst 0");
	expect_refused(1000000, POLICER_BURST_MIN - 1, POLICER_drop, 0, "burst");
	expect_refused(1000000, POLICER_BURST_MAX + 1, POLICER_drop, 0, "burst");
	expect_refused(1000000, UINT32_MAX, POLICER_drop, 0, "burst");
	expect_refused(1000000, 1500, POLICER_mark_pcp, 8, "mark");
	expect_refused(1000000, 1500, POLICER_mark_dscp, 64, "mark");
	expect_refused(1000000, 1500, (enum policer_action)POLICER_ACTION_MAX, 0,
		       "policer");

	expect_accepted(POLICER_RATE_MIN, POLICER_BURST_MIN, POLICER_drop, 0);
	expect_accepted(POLICER_RATE_MAX, POLICER_BURST_MAX, POLICER_drop, 0);
	expect_accepted(64001, 1500, POLICER_mark_pcp, 7);
	expect_accepted(99999999999ull, 1501, POLICER_mark_dscp, 63);
	expect_accepted(1000000, 1500, POLICER_mark_dscp, 0);
}

/* A state meters for the profile it was made for: given another profile
 * (a new serial after apply), it starts again with that one's full bucket;
 * two states of one profile are independent. */
static void test_state_follows_profile(void **state)
{
	(void)state;
	struct meter m;
	meter_init(&m, 1000000, 3000);
	assert_true(meter_frame(&m, m.now, 1500));
	assert_true(meter_frame(&m, m.now, 1500));
	assert_false(meter_frame(&m, m.now, 1500));

	/* Another state of the same profile has its own full bucket. */
	struct policer_state other;
	memset(&other, 0, sizeof(other));
	assert_true(policer_conform(&other, &m.profile, m.now, 1500));
	assert_false(meter_frame(&m, m.now, 1500));

	/* A new profile (rate changed): the state is remade. */
	struct policer_profile bigger;
	char err[160];
	assert_int_equal(policer_profile_init(&bigger, 2000000, 6000, POLICER_drop,
					      0, 43, err, sizeof(err)),
			 0);
	uint64_t at = rte_get_tsc_cycles() + hz;
	int passed = 0;
	while (policer_conform(&m.state, &bigger, at, 1500))
		passed++;
	assert_int_equal(passed, 4);
	/* and meters at the new rate: 2 Mbit/s fills 1500 bytes in 6 ms */
	assert_false(policer_conform(&m.state, &bigger, at + hz * 55 / 10000, 1500));
	assert_true(policer_conform(&m.state, &bigger, at + hz * 61 / 10000, 1500));
}

/* ---- The pipeline ---------------------------------------------------------- */

#define N_PORTS 4
#define FRAME_LENGTH 128 /* more than the red policers' 64-byte bucket */
#define DSCP_MARK 46
#define PCP_MARK 5

static struct vswitch_context context;
static struct vswitch_table *table;
static struct policer_profile red_drop, red_dscp, red_pcp, green_drop;

static void make_profile(struct policer_profile *p, uint64_t rate,
			 uint32_t burst, enum policer_action action, uint8_t mark,
			 uint32_t serial)
{
	char err[160];
	if (policer_profile_init(p, rate, burst, action, mark, serial, err,
				 sizeof(err)) != 0)
		fail_msg("%s", err);
}

/* Member m of BD 1: (port, VID) with policers in and out (NULL = none). */
struct member_def {
	uint16_t port, vid;
	const struct policer_profile *in, *out;
};

static void table_make(const struct member_def *defs, size_t n)
{
	vswitch_table_free(table);
	struct vswitch_table_spec spec;
	memset(&spec, 0, sizeof(spec));
	static const char *const names[N_PORTS] = { "p0", "p1", "p2", "p3" };
	spec.version = 1;
	for (int p = 0; p < N_PORTS; p++) {
		spec.ports[p].present = true;
		spec.ports[p].up = true;
		spec.ports[p].link_up = true;
		spec.ports[p].name = names[p];
	}
	struct vswitch_member members[8];
	memset(members, 0, sizeof(members));
	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++) {
		members[i].id = (uint16_t)(i + 1);
		members[i].port = defs[i].port;
		members[i].vid = defs[i].vid;
		members[i].policer[POLICER_IN] = defs[i].in;
		members[i].policer[POLICER_OUT] = defs[i].out;
	}
	struct vswitch_bd_spec bd = {
		.id = 1, .learning = true, .name = "slice",
		.n_members = n, .members = members,
	};
	spec.n_bds = 1;
	spec.bds = &bd;
	char err[256];
	table = vswitch_table_build(&spec, err, sizeof(err));
	if (!table)
		fail_msg("vswitch_table_build: %s", err);
	/* Fresh counters and meters for each table. */
	memset(context.counters->drops, 0, sizeof(context.counters->drops));
	for (uint16_t id = 1; id <= n; id++)
		vswitch_counters_reset_member(context.counters, id);
	memset(context.policers, 0,
	       (VSWITCH_MAX_MEMBERS + 2) * sizeof(*context.policers));
}

static uint16_t ip_checksum(const uint8_t *ip)
{
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An IPv4/UDP frame from host `src` (02:00:00:00:00:src) to dst (id 0xff:
 * broadcast), with a tag when tci != 0; tos is the IPv4 TOS byte. */
static uint16_t frame_make(uint8_t *frame, uint8_t dst, uint8_t src,
			   uint16_t tci, uint8_t tos)
{
	memset(frame, 0, FRAME_LENGTH);
	uint8_t *p = frame;
	if (dst == 0xff) {
		memset(p, 0xff, 6);
	} else {
		p[0] = 0x02;
		p[5] = dst;
	}
	p[6] = 0x02;
	p[11] = src;
	p += 12;
	if (tci) {
		*p++ = 0x81;
		*p++ = 0x00;
		*p++ = (uint8_t)(tci >> 8);
		*p++ = (uint8_t)tci;
	}
	*p++ = 0x08;
	*p++ = 0x00;
	uint8_t *ip = p;
	uint16_t ip_length = (uint16_t)(FRAME_LENGTH - (ip - frame));
	static const uint8_t header[20] = {
		0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0,
		198, 18, 0, 1, 198, 18, 0, 2,
	};
	memcpy(ip, header, 20);
	ip[1] = tos;
	ip[2] = (uint8_t)(ip_length >> 8);
	ip[3] = (uint8_t)ip_length;
	uint16_t sum = ip_checksum(ip);
	ip[10] = (uint8_t)(sum >> 8);
	ip[11] = (uint8_t)sum;
	uint8_t *udp = ip + 20;
	udp[0] = 0x9c; udp[1] = 0x40; udp[2] = 0x9c; udp[3] = 0x41;
	udp[4] = (uint8_t)((ip_length - 20) >> 8);
	udp[5] = (uint8_t)(ip_length - 20);
	for (uint8_t *q = udp + 8; q < frame + FRAME_LENGTH; q++)
		*q = 0xa5;
	return FRAME_LENGTH;
}

struct outputs {
	uint16_t count[N_PORTS];
	uint8_t data[N_PORTS][4][FRAME_LENGTH + 8];
	uint16_t length[N_PORTS][4];
};

/* Switches one frame received on in_port and collects what goes out
 * (copies of the bytes; the mbufs are freed). */
static void switch_frame(uint16_t in_port, const uint8_t *frame,
			 uint16_t length, struct outputs *out)
{
	memset(out, 0, sizeof(*out));
	struct rte_mbuf *m = test_mbuf_from_bytes(frame, length);
	assert_non_null(m);
	vswitch_process(&context, table, in_port, &m, 1);
	for (uint16_t p = 0; p < VSWITCH_MAX_PORTS; p++) {
		for (uint16_t i = 0; i < context.out.count[p]; i++) {
			struct rte_mbuf *o = context.out.pkts[p][i];
			assert_true(p < N_PORTS && i < 4);
			uint16_t n = rte_pktmbuf_data_len(o);
			assert_true(n <= FRAME_LENGTH + 8);
			memcpy(out->data[p][i], rte_pktmbuf_mtod(o, void *), n);
			out->length[p][i] = n;
			out->count[p]++;
			rte_pktmbuf_free(o);
		}
		context.out.count[p] = 0;
	}
	context.out.dirty = 0;
}

static uint64_t member_drops(uint16_t id)
{
	return context.counters->member[id][VSWITCH_MEMBER_drops];
}

/* Red on egress with drop: that member gets nothing, the others do; the
 * drop is counted as `policer` and against the output member. */
static void test_pipeline_drop_out(void **state)
{
	(void)state;
	unsigned before = test_eal_pool_available();
	const struct member_def defs[] = {
		{ 0, 0, NULL, NULL }, { 1, 0, NULL, &red_drop },
		{ 2, 0, NULL, NULL },
	};
	table_make(defs, 3);
	uint8_t frame[FRAME_LENGTH];
	uint16_t length = frame_make(frame, 0xff, 1, 0, 0);
	struct outputs out;
	for (int i = 0; i < 3; i++) {
		switch_frame(0, frame, length, &out);
		assert_int_equal(out.count[1], 0);
		assert_int_equal(out.count[2], 1);
		assert_memory_equal(out.data[2][0], frame, length);
	}
	assert_int_equal(context.counters->drops[VSWITCH_DROP_policer], 3);
	assert_int_equal(member_drops(2), 3);
	assert_int_equal(member_drops(1), 0);
	assert_int_equal(member_drops(3), 0);
	/* Green: the same frame passes untouched. */
	const struct member_def green[] = {
		{ 0, 0, NULL, NULL }, { 1, 0, &green_drop, &green_drop },
	};
	table_make(green, 2);
	switch_frame(0, frame, length, &out);
	assert_int_equal(out.count[1], 1);
	assert_memory_equal(out.data[1][0], frame, length);
	assert_int_equal(context.counters->drops[VSWITCH_DROP_policer], 0);
	assert_int_equal(test_eal_pool_available(), before);
}

/* Red on ingress with drop: nothing goes anywhere, nothing is learned from
 * it; counted against the input member. */
static void test_pipeline_drop_in(void **state)
{
	(void)state;
	const struct member_def defs[] = {
		{ 0, 0, &red_drop, NULL }, { 1, 0, NULL, NULL },
		{ 2, 0, NULL, NULL },
	};
	table_make(defs, 3);
	uint8_t frame[FRAME_LENGTH];
	uint16_t length = frame_make(frame, 0xff, 1, 0, 0);
	struct outputs out;
	switch_frame(0, frame, length, &out);
	for (int p = 0; p < N_PORTS; p++)
		assert_int_equal(out.count[p], 0);
	assert_int_equal(context.counters->drops[VSWITCH_DROP_policer], 1);
	assert_int_equal(member_drops(1), 1);
	/* Host 1 was not learned: a frame to it from p1 floods. */
	length = frame_make(frame, 1, 2, 0, 0);
	switch_frame(1, frame, length, &out);
	assert_int_equal(out.count[0], 1);
	assert_int_equal(out.count[2], 1);
}

static void assert_dscp_marked(const uint8_t *got, const uint8_t *sent,
			       uint16_t length, unsigned ip_offset)
{
	const uint8_t *ip = got + ip_offset;
	assert_int_equal(ip[1] >> 2, DSCP_MARK);
	assert_int_equal(ip[1] & 3, sent[ip_offset + 1] & 3); /* ECN kept */
	assert_int_equal(ip_checksum(ip), 0);                  /* valid */
	/* Nothing else changed. */
	for (uint16_t i = 0; i < length; i++)
		if (i != ip_offset + 1 && i != ip_offset + 10 && i != ip_offset + 11)
			assert_int_equal(got[i], sent[i]);
}


/* mark_dscp on egress: the frame passes with the DSCP set, ECN bits kept
 * and a valid checksum; tagged frames too. On a flood, only the policed
 * member's copy is marked. */
static void test_pipeline_mark_dscp(void **state)
{
	(void)state;
	const struct member_def defs[] = {
		{ 0, 0, NULL, NULL }, { 1, 0, NULL, &red_dscp },
		{ 2, 0, NULL, NULL },
	};
	table_make(defs, 3);
	uint8_t frame[FRAME_LENGTH];
	struct outputs out;
	/* Learn host 2 on p1, then unicast to it from p0. */
	uint16_t length = frame_make(frame, 0xff, 2, 0, 0);
	switch_frame(1, frame, length, &out);
	for (uint8_t tos = 0; tos < 4; tos++) {
		length = frame_make(frame, 2, 1, 0, (uint8_t)(0x20 | tos));
		switch_frame(0, frame, length, &out);
		assert_int_equal(out.count[1], 1);
		assert_int_equal(out.length[1][0], length);
		assert_dscp_marked(out.data[1][0], frame, length, 14);
	}
	assert_int_equal(context.counters->drops[VSWITCH_DROP_policer], 0);
	assert_int_equal(member_drops(2), 0);

	/* Tagged in, tagged out (VID 10 on both): the IPv4 header behind
	 * the tag is marked. */
	const struct member_def tagged[] = {
		{ 0, 10, NULL, NULL }, { 1, 10, NULL, &red_dscp },
	};
	table_make(tagged, 2);
	length = frame_make(frame, 0xff, 1, 10, 0);
	switch_frame(0, frame, length, &out);
	assert_int_equal(out.count[1], 1);
	assert_dscp_marked(out.data[1][0], frame, length, 18);

	/* Not IPv4: passes unchanged. */
	table_make(defs, 3);
	length = frame_make(frame, 0xff, 1, 0, 0);
	frame[12] = 0x86;
	frame[13] = 0xdd;
	switch_frame(0, frame, length, &out);
	assert_int_equal(out.count[1], 1);
	assert_memory_equal(out.data[1][0], frame, length);

	/* Flood: p1's copy marked, p2's as sent. */
	length = frame_make(frame, 0xff, 1, 0, 0);
	switch_frame(0, frame, length, &out);
	assert_int_equal(out.count[1], 1);
	assert_int_equal(out.count[2], 1);
	assert_dscp_marked(out.data[1][0], frame, length, 14);
	if (memcmp(out.data[2][0], frame, length) != 0) {
		/* BUG (vswitch/pipeline.c, member_emit/bd_flood): members
		 * whose egress is unchanged share the flooded mbuf by
		 * reference count, and frame_mark writes into it in place,
		 * so every sharing member sends the marked frame. */
		fail_msg("a flood copy to an unpoliced member carries DSCP %u "
			 "marked for another member", out.data[2][0][15] >> 2);
	}
}


static unsigned frame_vid(const uint8_t *frame)
{
	return (unsigned)((frame[14] & 0x0f) << 8 | frame[15]);
}

/* mark_pcp: the tag a frame leaves with carries the PCP, whatever the
 * egress does with the tag (kept, pushed, translated), on egress and on
 * ingress; VID and every other byte as the egress makes them. An untagged
 * frame leaving untagged passes unchanged. */
static void test_pipeline_mark_pcp(void **state)
{
	(void)state;
	uint8_t frame[FRAME_LENGTH];
	struct outputs out;
	struct {
		const char *what;
		unsigned pcp;
	} seen[5];
	unsigned n_seen = 0;

	/* Untagged to untagged: nothing to mark, passes as sent. */
	const struct member_def untagged[] = {
		{ 0, 0, NULL, NULL }, { 3, 0, NULL, &red_pcp },
	};
	table_make(untagged, 2);
	uint16_t length = frame_make(frame, 0xff, 1, 0, 0);
	switch_frame(0, frame, length, &out);
	assert_int_equal(out.count[3], 1);
	assert_memory_equal(out.data[3][0], frame, length);

	/* Egress: VID 10 in and out (PCP 1 received), untagged in with VID
	 * 20 pushed, VID 10 translated to 20. */
	const struct member_def egress[] = {
		{ 0, 0, NULL, NULL }, { 1, 10, NULL, NULL },
		{ 2, 10, NULL, NULL }, { 3, 10, NULL, &red_pcp },
	};
	table_make(egress, 4);
	length = frame_make(frame, 0xff, 1, (1 << 13) | 10, 0);
	switch_frame(1, frame, length, &out);
	assert_int_equal(out.count[3], 1);
	assert_int_equal(frame_vid(out.data[3][0]), 10);
	seen[n_seen].what = "egress, tag kept";
	seen[n_seen++].pcp = out.data[3][0][14] >> 5;
	out.data[3][0][14] = frame[14];
	assert_memory_equal(out.data[3][0], frame, length);
	/* and the unpoliced member's copy keeps PCP 1 */
	assert_int_equal(out.count[2], 1);
	assert_memory_equal(out.data[2][0], frame, length);

	const struct member_def push[] = {
		{ 0, 0, NULL, NULL }, { 1, 10, NULL, NULL },
		{ 3, 20, NULL, &red_pcp },
	};
	table_make(push, 3);
	length = frame_make(frame, 0xff, 1, 0, 0);
	switch_frame(0, frame, length, &out);
	assert_int_equal(out.count[3], 1);
	assert_int_equal(out.length[3][0], length + 4);
	assert_int_equal(frame_vid(out.data[3][0]), 20);
	seen[n_seen].what = "egress, tag pushed";
	seen[n_seen++].pcp = out.data[3][0][14] >> 5;
	length = frame_make(frame, 0xff, 2, 10, 0);
	switch_frame(1, frame, length, &out);
	assert_int_equal(out.count[3], 1);
	assert_int_equal(frame_vid(out.data[3][0]), 20);
	seen[n_seen].what = "egress, tag translated";
	seen[n_seen++].pcp = out.data[3][0][14] >> 5;

	/* Ingress on VID 10: to VID 10 (kept) and VID 20 (translated). */
	const struct member_def ingress[] = {
		{ 0, 10, &red_pcp, NULL }, { 1, 10, NULL, NULL },
		{ 3, 20, NULL, NULL },
	};
	table_make(ingress, 3);
	length = frame_make(frame, 0xff, 1, 10, 0);
	switch_frame(0, frame, length, &out);
	assert_int_equal(out.count[1], 1);
	assert_int_equal(out.count[3], 1);
	assert_int_equal(frame_vid(out.data[1][0]), 10);
	assert_int_equal(frame_vid(out.data[3][0]), 20);
	seen[n_seen].what = "ingress, tag kept";
	seen[n_seen++].pcp = out.data[1][0][14] >> 5;
	seen[n_seen].what = "ingress, tag translated";
	seen[n_seen++].pcp = out.data[3][0][14] >> 5;
	assert_int_equal(context.counters->drops[VSWITCH_DROP_policer], 0);

	char lost[256] = "";
	for (unsigned i = 0; i < n_seen; i++) {
		printf("# mark_pcp %u, %s: PCP %u\n", PCP_MARK, seen[i].what,
		       seen[i].pcp);
		if (seen[i].pcp != PCP_MARK)
			snprintf(lost + strlen(lost), sizeof(lost) - strlen(lost),
				 "%s%s (PCP %u)", lost[0] ? ", " : "", seen[i].what,
				 seen[i].pcp);
	}
	if (lost[0]) {
		/* BUG (vswitch/pipeline.c, member_emit and member_police):
		 * frame_mark sets the PCP in the frame's bytes, but a marking
		 * member never has an unchanged egress, so vlan_rewrite then
		 * writes the outgoing tag from the classification's PCP (the
		 * received one) and the mark is lost. */
		fail_msg("mark_pcp %u lost: %s", PCP_MARK, lost);
	}
}

/* mark_dscp on ingress: every copy carries the mark, checksums valid. */
static void test_pipeline_mark_dscp_ingress(void **state)
{
	(void)state;
	const struct member_def defs[] = {
		{ 0, 0, &red_dscp, NULL }, { 1, 0, NULL, NULL },
		{ 3, 20, NULL, NULL },
	};
	table_make(defs, 3);
	uint8_t frame[FRAME_LENGTH];
	struct outputs out;
	uint16_t length = frame_make(frame, 0xff, 1, 0, 0x03);
	switch_frame(0, frame, length, &out);
	assert_int_equal(out.count[1], 1);
	assert_dscp_marked(out.data[1][0], frame, length, 14);
	assert_int_equal(out.count[3], 1);
	assert_int_equal(out.data[3][0][18 + 1] >> 2, DSCP_MARK);
	assert_int_equal(ip_checksum(out.data[3][0] + 18), 0);
	assert_int_equal(member_drops(1), 0);
}

/* ---- Setup ----------------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	test_eal_start("test_policer", 0, NULL);
	hz = rte_get_tsc_hz();
	printf("# TSC %" PRIu64 " Hz\n", hz);
	struct fdb_config config = { .capacity = 1024 };
	context.fdb = fdb_create(&config, SOCKET_ID_ANY);
	context.counters = vswitch_counters_create(SOCKET_ID_ANY);
	context.pool = test_eal_pool();
	context.policers = calloc(VSWITCH_MAX_MEMBERS + 2,
				  sizeof(*context.policers));
	if (!context.fdb || !context.counters || !context.policers)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	vswitch_table_free(table);
	fdb_free(context.fdb);
	vswitch_counters_free(context.counters);
	free(context.policers);
	return 0;
}

/* Profiles for the pipeline (after the EAL: they need the TSC rate). */
static int pipeline_setup(void **state)
{
	(void)state;
	make_profile(&red_drop, POLICER_RATE_MIN, POLICER_BURST_MIN, POLICER_drop,
		     0, 101);
	make_profile(&red_dscp, POLICER_RATE_MIN, POLICER_BURST_MIN,
		     POLICER_mark_dscp, DSCP_MARK, 102);
	make_profile(&red_pcp, POLICER_RATE_MIN, POLICER_BURST_MIN,
		     POLICER_mark_pcp, PCP_MARK, 103);
	make_profile(&green_drop, POLICER_RATE_MAX, POLICER_BURST_MAX,
		     POLICER_drop, 0, 104);
	fdb_flush_all(context.fdb);
	return 0;
}

int main(void)
{
	struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_at_ten_times_offered),
		cmocka_unit_test(test_rate_exactly_offered_all_pass),
		cmocka_unit_test(test_no_rounding_to_zero_at_high_packet_rates),
		cmocka_unit_test(test_burst_after_idle_then_rate),
		cmocka_unit_test(test_next_frame_after_burst),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_state_follows_profile),
		cmocka_unit_test_setup(test_pipeline_drop_out, pipeline_setup),
		cmocka_unit_test_setup(test_pipeline_drop_in, pipeline_setup),
		cmocka_unit_test_setup(test_pipeline_mark_dscp, pipeline_setup),
		cmocka_unit_test_setup(test_pipeline_mark_pcp, pipeline_setup),
		cmocka_unit_test_setup(test_pipeline_mark_dscp_ingress,
				       pipeline_setup),
	};
	return cmocka_run_group_tests_name("vswitch policer", tests, group_setup,
					   group_teardown);
}

/* Policers end to end through a real loom-switch (suite golden).
 *
 * An endless source (net_pcap with infinite_rx, 1000-byte frames, far more
 * than any rate below) floods into a BD whose other member, a net_null
 * sink, has a policer:
 *  - drop: the sink's tx rate over a few seconds of wall time is the
 *    configured rate; the `policer` drop counter counts the rest; `apply`
 *    changes the rate under traffic (and moves the policer to the input
 *    member), and the new rate holds; a bad policer in `apply` is refused
 *    and changes nothing.
 *  - mark_dscp: everything passes; captured on the sink's tx, frames over
 *    the rate carry the DSCP with a valid IPv4 checksum, the others are
 *    as sent.
 * And `loom-switch --check` on YAML with a bad policer exits 2 naming
 * file:line:column.
 *
 * Rates are measured against the wall clock while the switch runs, so the
 * bounds are +-10%, not the unit test's 2%: the counters are read through
 * the control socket (a request's latency is in the window), and on a
 * shared, loaded 2-core machine (every test switch's worker on CPU 1) the
 * worker is descheduled now and then. Tokens earned meanwhile are kept up
 * to `burst`, so the bursts here are 250 ms of the rate: a stall shorter
 * than that costs nothing. They do not inflate the measure: the source
 * offers so much more that the bucket is empty whenever the worker runs,
 * at both ends of the window. The exact arithmetic is
 * tests/unit/vswitch/test_policer.c's job.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_pcap.h"
#include "test_switch.h"

#define FRAME_BYTES 1000
#define MEASURE_SECONDS 3.0
#define TOLERANCE 0.10
#define DSCP_MARK 46

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct frame source_frame(void)
{
	struct frame_spec spec;
	memset(&spec, 0, sizeof(spec));
	memset(spec.dst, 0xff, 6);
	mac_from_id(spec.src, 1);
	spec.length = FRAME_BYTES;
	spec.fill = 0x5a;
	return frame_build(&spec);
}

static void start_with_source(struct test_switch *sw, const char *config)
{
	struct frame_list source;
	frame_list_init(&source);
	struct frame frame = source_frame();
	frame_list_add(&source, frame.data, frame.length);
	assert_int_equal(test_switch_write_pcap(sw, "src.pcap", &source), 0);
	frame_list_free(&source);
	if (test_switch_start(sw, config) != 0)
		fail_msg("loom-switch did not start: %s", test_switch_error(sw));
	if (test_switch_wait_counter(sw, "ports.src.rx_packets", 10000, 20000) != 0) {
		test_switch_print_log(sw);
		fail_msg("no traffic: %s", test_switch_error(sw));
	}
}

#define PORTS                                                                  \
	"ports:\n"                                                             \
	"  - name: src\n"                                                      \
	"    devargs: net_pcap0,rx_pcap=@DIR@/src.pcap,infinite_rx=1\n"        \
	"  - name: sink\n    devargs: net_null0,no-rx=1\n"

struct sample {
	double at;
	uint64_t rx_packets, tx_packets, tx_bytes, policer_drops;
	uint64_t src_drops, sink_drops; /* member counters */
};

static struct sample sample_take(struct test_switch *sw)
{
	struct sample s;
	double before = now_seconds();
	json_t *c = test_switch_counters(sw);
	double after = now_seconds();
	if (!c)
		fail_msg("counters: %s", test_switch_error(sw));
	s.at = (before + after) / 2;
	s.rx_packets = counters_value(c, "ports.src.rx_packets");
	s.tx_packets = counters_value(c, "ports.sink.tx_packets");
	s.tx_bytes = counters_value(c, "ports.sink.tx_bytes");
	s.policer_drops = counters_value(c, "drops.policer");
	s.src_drops = counters_value(c, "members.slice/src/0.drops");
	s.sink_drops = counters_value(c, "members.slice/sink/0.drops");
	json_decref(c);
	return s;
}

struct window {
	struct sample a, b;
	double seconds;
	double tx_bps, offered_bps;
};

static struct window measure(struct test_switch *sw, double seconds)
{
	struct window w;
	w.a = sample_take(sw);
	struct timespec pause = {
		.tv_sec = (time_t)seconds,
		.tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9),
	};
	nanosleep(&pause, NULL);
	w.b = sample_take(sw);
	w.seconds = w.b.at - w.a.at;
	w.tx_bps = (double)(w.b.tx_bytes - w.a.tx_bytes) * 8 / w.seconds;
	w.offered_bps = (double)(w.b.rx_packets - w.a.rx_packets) * FRAME_BYTES *
			8 / w.seconds;
	return w;
}

/* The sink's rate is `rate` within the tolerance, the source offered at
 * least twice that, and every frame not sent was dropped by the policer
 * (counted as `policer` and against `member`'s drops). */
static void assert_policed(const struct window *w, double rate,
			   const char *member)
{
	printf("# %s policer at %.4g Mbit/s: sink %.4g Mbit/s (%+.2f%%) over "
	       "%.2f s, offered %.4g Mbit/s\n", member, rate / 1e6, w->tx_bps / 1e6,
	       100 * (w->tx_bps / rate - 1), w->seconds, w->offered_bps / 1e6);
	if (w->offered_bps < 2 * rate)
		fail_msg("the source offered only %.4g Mbit/s: too little to "
			 "test a %.4g Mbit/s policer", w->offered_bps / 1e6,
			 rate / 1e6);
	assert_true(w->tx_bps >= rate * (1 - TOLERANCE));
	assert_true(w->tx_bps <= rate * (1 + TOLERANCE));
	uint64_t received = w->b.rx_packets - w->a.rx_packets;
	uint64_t sent = w->b.tx_packets - w->a.tx_packets;
	uint64_t dropped = w->b.policer_drops - w->a.policer_drops;
	uint64_t member_dropped = strcmp(member, "src") == 0
					  ? w->b.src_drops - w->a.src_drops
					  : w->b.sink_drops - w->a.sink_drops;
	/* One reply has all counters, but in each of the two a worker's
	 * burst (32) may be half counted, and up to 31 frames passed by the
	 * policer may wait in a tx buffer for the drain timer (counted as
	 * sent when they go): at most 2 x 63 either way. */
	int64_t unaccounted = (int64_t)received - (int64_t)sent - (int64_t)dropped;
	printf("#   received %" PRIu64 ", sent %" PRIu64 ", policer drops %" PRIu64
	       " (member %s: %" PRIu64 ")\n", received, sent, dropped, member,
	       member_dropped);
	assert_true(unaccounted >= -128 && unaccounted <= 128);
	/* Per-member counts are added up per run of frames, the reason
	 * counts per frame: they may differ by a few bursts in one reply. */
	assert_true(member_dropped + 1024 >= dropped &&
		    member_dropped <= dropped + 1024);
}

/* Replaces the policers of the BD's members (NULL: none) and applies the
 * result; returns the apply result or NULL (error in the switch). */
static json_t *apply_policers(struct test_switch *sw, json_t *src_policer,
			      json_t *sink_policer)
{
	json_t *config = test_switch_call(sw, "show-config", NULL);
	if (!config)
		fail_msg("show-config: %s", test_switch_error(sw));
	json_t *members = json_object_get(
		json_array_get(json_object_get(config, "bridge_domains"), 0),
		"members");
	assert_int_equal(json_array_size(members), 2);
	json_t *policers[2] = { src_policer, sink_policer };
	for (size_t i = 0; i < 2; i++) {
		json_t *member = json_array_get(members, i);
		if (policers[i])
			json_object_set_new(member, "policer", policers[i]);
		else
			json_object_del(member, "policer");
	}
	return test_switch_call(sw, "apply", json_pack("{s:o}", "config", config));
}

static void apply_ok(struct test_switch *sw, json_t *src_policer,
		     json_t *sink_policer)
{
	json_t *result = apply_policers(sw, src_policer, sink_policer);
	if (!result)
		fail_msg("apply: %s", test_switch_error(sw));
	json_decref(result);
	/* Let the new table and the meters settle. */
	struct timespec pause = {.tv_nsec = 200 * 1000 * 1000};
	nanosleep(&pause, NULL);
}

static void test_drop_rate_and_apply(void **state)
{
	struct test_switch *sw = test_switch_create("policer-rate");
	*state = sw;
	start_with_source(sw, PORTS
		"bridge_domains:\n"
		"  - name: slice\n    members:\n"
		"      - port: src\n"
		"      - port: sink\n"
		"        policer:\n"
		"          out: {rate: 20000000, burst: 625000}\n");
	struct window w = measure(sw, MEASURE_SECONDS);
	assert_policed(&w, 20e6, "sink");

	/* Faster, under traffic. */
	apply_ok(sw, NULL, json_pack("{s:{s:I, s:i}}", "out", "rate",
				     (json_int_t)60000000, "burst", 1875000));
	w = measure(sw, MEASURE_SECONDS);
	assert_policed(&w, 60e6, "sink");

	/* Slower, and on the input member instead. */
	apply_ok(sw, json_pack("{s:{s:I, s:i}}", "in", "rate",
			       (json_int_t)5000000, "burst", 156250),
		 NULL);
	w = measure(sw, MEASURE_SECONDS);
	assert_policed(&w, 5e6, "src");

	/* A bad policer is refused with the reason and changes nothing. */
	json_t *before = test_switch_call(sw, "show-config", NULL);
	assert_non_null(before);
	json_t *result = apply_policers(
		sw, NULL, json_pack("{s:{s:i, s:i}}", "out", "rate", 0, "burst",
				    15000));
	assert_null(result);
	printf("# apply with rate 0: %s\n", test_switch_error(sw));
	assert_non_null(strstr(test_switch_error(sw), "policer.out.rate"));
	json_t *after = test_switch_call(sw, "show-config", NULL);
	assert_non_null(after);
	assert_true(json_equal(before, after));
	json_decref(before);
	json_decref(after);
	w = measure(sw, 1.0);
	assert_policed(&w, 5e6, "src");

	int status = test_switch_stop(sw);
	if (status != 0)
		fail_msg("loom-switch stopped with %d", status);
}

static uint16_t ip_checksum_of(const uint8_t *ip)
{
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* mark_dscp: a new policer starts with a full bucket, so with the source
 * held back while it is applied, the first `burst` bytes pass as sent and
 * (at 1 Mbit/s against Gbit/s offered) nearly all the rest are marked:
 * DSCP set, ECN kept, checksum valid. Nothing is dropped; everything
 * received is sent. */
#define MARK_BURST_FRAMES 100

static void test_mark_dscp(void **state)
{
	struct test_switch *sw = test_switch_create("policer-mark");
	*state = sw;
	start_with_source(sw, PORTS
		"bridge_domains:\n"
		"  - name: slice\n    members:\n"
		"      - port: src\n"
		"      - port: sink\n");
	json_t *down = test_switch_callf(sw, "port-set", "{s:s, s:s}", "name", "src",
					 "admin", "down");
	if (!down)
		fail_msg("port-set: %s", test_switch_error(sw));
	json_decref(down);
	if (test_switch_wait_idle(sw, 20000) != 0)
		fail_msg("%s", test_switch_error(sw));
	apply_ok(sw, NULL, json_pack("{s:{s:i, s:i, s:i}}", "out", "rate", 1000000,
				     "burst", MARK_BURST_FRAMES * FRAME_BYTES,
				     "mark_dscp", DSCP_MARK));
	struct sample start = sample_take(sw);
	const char *file = test_switch_path(sw, "sink-tx.pcap");
	json_t *status = test_switch_callf(sw, "capture-start",
					   "{s:s, s:s, s:s, s:i}", "port", "sink",
					   "file", file, "direction", "tx",
					   "max_packets", 5000);
	if (!status)
		fail_msg("capture-start: %s", test_switch_error(sw));
	json_decref(status);
	json_t *up = test_switch_callf(sw, "port-set", "{s:s, s:s}", "name", "src",
				       "admin", "up");
	if (!up)
		fail_msg("port-set: %s", test_switch_error(sw));
	json_decref(up);
	if (test_switch_wait_counter(sw, "ports.sink.tx_packets",
				     start.tx_packets + 100000, 20000) != 0)
		fail_msg("%s", test_switch_error(sw));
	/* Stop the source; then every count adds up. */
	down = test_switch_callf(sw, "port-set", "{s:s, s:s}", "name", "src",
				 "admin", "down");
	if (!down)
		fail_msg("port-set: %s", test_switch_error(sw));
	json_decref(down);
	if (test_switch_wait_idle(sw, 20000) != 0)
		fail_msg("%s", test_switch_error(sw));
	struct sample end = sample_take(sw);
	printf("# %" PRIu64 " received, %" PRIu64 " sent, %" PRIu64
	       " dropped by the policer\n", end.rx_packets, end.tx_packets,
	       end.policer_drops);
	assert_int_equal(end.policer_drops, 0);
	assert_int_equal(end.sink_drops, 0);
	assert_true(end.rx_packets - start.rx_packets >= 100000);
	assert_int_equal(end.tx_packets, end.rx_packets);
	json_decref(test_switch_callf(sw, "capture-stop", "{s:s}", "port", "sink"));
	int rc = test_switch_stop(sw);
	if (rc != 0)
		fail_msg("loom-switch stopped with %d", rc);

	struct frame sent = source_frame();
	struct frame_list captured;
	frame_list_init(&captured);
	assert_int_equal(test_switch_read_pcap(sw, "sink-tx.pcap", &captured), 0);
	size_t count = captured.count, marked = 0, unmarked = 0;
	size_t first_marked = count;
	for (size_t i = 0; i < count; i++) {
		struct frame *f = &captured.frames[i];
		assert_int_equal(f->length, sent.length);
		const uint8_t *ip = f->data + 14;
		assert_int_equal(ip_checksum_of(ip), 0);
		if (ip[1] >> 2 == DSCP_MARK) {
			assert_int_equal(ip[1] & 3, sent.data[15] & 3);
			marked++;
			if (first_marked == count)
				first_marked = i;
			/* as sent but for TOS and checksum */
			f->data[15] = sent.data[15];
			f->data[24] = sent.data[24];
			f->data[25] = sent.data[25];
		} else {
			unmarked++;
		}
		assert_memory_equal(f->data, sent.data, sent.length);
	}
	frame_list_free(&captured);
	printf("# captured %zu frames on the sink: %zu marked DSCP %d (the "
	       "first is frame %zu), %zu as sent\n", count, marked, DSCP_MARK,
	       first_marked, unmarked);
	/* The burst, as sent, then marks (and now and then a frame the
	 * rate earned meanwhile: 1 Mbit/s is a 1000-byte frame in 8 ms). */
	assert_int_equal(count, 5000);
	assert_int_equal(first_marked, MARK_BURST_FRAMES);
	assert_true(unmarked <= MARK_BURST_FRAMES + 5);
}

/* ---- --check ------------------------------------------------------------ */

struct bad_policer {
	const char *policer; /* the flow mapping after `in: ` */
	const char *at;      /* where the error points: this text's column */
	const char *reason;  /* in the message */
};

static const struct bad_policer bad_policers[] = {
	{ "{rate: 0, burst: 1500}", "0,", "out of range" },
	{ "{rate: 1000000000000, burst: 1500}", "1000000000000", "out of range" },
	{ "{rate: 63999, burst: 1500}", "63999", "out of range" },
	{ "{rate: 1000000, burst: 0}", "0}", "out of range" },
	{ "{rate: 1000000, burst: 1073741825}", "1073741825", "out of range" },
	{ "{rate: 1000000, burst: 1500, mark_pcp: 1, mark_dscp: 2}", "2}",
	  "not both" },
	{ "{rate: 1000000, burst: 1500, mark_pcp: 8}", "8}", "out of range" },
	{ "{rate: 1000000, burst: 1500, mark_dscp: 64}", "64}", "out of range" },
	{ "{rate: 1000000, burst: 1500, colour: red}", "colour", "unknown key" },
	{ "{rate: 1000000}", "{", "needs rate" },
	{ "{rate: fast, burst: 1500}", "fast", "rate" },
	{ "{rate: -1, burst: 1500}", "-1", "rate" },
};

/* Runs `loom-switch --check path`; returns the exit status, stderr in
 * out. */
static int run_check(const char *path, char *out, size_t size)
{
	const char *build = getenv("LOOM_BUILD_DIR");
	char binary[4096];
	snprintf(binary, sizeof(binary), "%s/datapath/loom-switch",
		 build ? build : ".");
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execl(binary, binary, "--check", path, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	size_t n = 0;
	ssize_t got;
	while (n + 1 < size && (got = read(fds[0], out + n, size - n - 1)) > 0)
		n += (size_t)got;
	out[n] = '\0';
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_check_rejects_bad_policers(void **state)
{
	struct test_switch *sw = test_switch_create("policer-check");
	*state = sw;
	const char *head = "ports:\n"
			   "  - name: a\n    devargs: net_null0\n"
			   "  - name: b\n    devargs: net_null1\n"
			   "bridge_domains:\n"
			   "  - name: s\n    members:\n"
			   "      - port: a\n"
			   "        policer:\n";
	const unsigned policer_line = 11; /* 1-based line of `in:` */
	const char *indent = "          in: ";
	for (size_t i = 0; i < sizeof(bad_policers) / sizeof(bad_policers[0]); i++) {
		const struct bad_policer *b = &bad_policers[i];
		const char *path = test_switch_path(sw, "bad.yaml");
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fprintf(f, "%s%s%s\n      - port: b\n", head, indent, b->policer);
		fclose(f);
		char output[4096];
		int status = run_check(path, output, sizeof(output));
		printf("# %s: exit %d: %s", b->policer, status, output);
		assert_int_equal(status, 2);
		unsigned column = (unsigned)(strlen(indent) +
					     (size_t)(strstr(b->policer, b->at) -
						      b->policer) + 1);
		char where[4200];
		snprintf(where, sizeof(where), "%s:%u:%u: ", path, policer_line,
			 column);
		if (!strstr(output, where))
			fail_msg("expected \"%s\" in the message", where);
		if (!strstr(output, b->reason))
			fail_msg("expected \"%s\" in the message", b->reason);
	}
	/* The same file with a good policer passes. */
	const char *path = test_switch_path(sw, "good.yaml");
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s%s{rate: 64000, burst: 64, mark_dscp: 63}\n"
		   "          out: {rate: 100000000000, burst: 1073741824}\n"
		   "      - port: b\n", head, indent);
	fclose(f);
	char output[4096];
	int status = run_check(path, output, sizeof(output));
	if (status != 0)
		fail_msg("a good policer was refused (%d): %s", status, output);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_check_rejects_bad_policers,
					  test_switch_teardown),
		cmocka_unit_test_teardown(test_drop_rate_and_apply,
					  test_switch_teardown),
		cmocka_unit_test_teardown(test_mark_dscp, test_switch_teardown),
	};
	return cmocka_run_group_tests_name("golden policer", tests, NULL, NULL);
}

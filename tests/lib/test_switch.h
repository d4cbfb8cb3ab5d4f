/* test_switch: a real loom-switch process for one test.
 *
 * Golden and datapath tests run the switch as the daemon it is: a child
 * process started from $LOOM_BUILD_DIR/datapath/loom-switch with a YAML
 * configuration written by the test, driven through its control socket
 * (control.h's client) and stopped with SIGTERM, so that net_pcap output
 * files are complete.
 *
 * Each switch gets a private directory /tmp/loom-test-<test>-<pid>-<n>/
 * holding the configuration, the control socket, the switch's log and the
 * pcap files the test writes and reads; and its own EAL file prefix
 * (loomtest-<test>-<pid>-<n>). The configuration text may use @DIR@,
 * @PREFIX@ and @SOCKET@; when it has no top-level `eal:` or `control:`
 * section, one naming the prefix and the socket is added.
 *
 * Nothing is left behind: test_switch_destroy() kills a switch still
 * running (by its pid) and removes the directory and
 * /var/run/dpdk/<prefix>. The same happens for every switch not yet
 * destroyed at exit (atexit) and when the test binary is stopped by
 * SIGINT, SIGTERM or SIGHUP (meson's timeout); the child also gets SIGKILL
 * if the test binary dies (PR_SET_PDEATHSIG). Use it from a cmocka test
 * with the switch in *state and test_switch_teardown as the teardown, so a
 * failed assertion still cleans up.
 *
 * Not thread-safe: one test thread drives its switches.
 */
#ifndef LOOM_TEST_SWITCH_H
#define LOOM_TEST_SWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "test_pcap.h"

struct test_switch;

/* Makes the private directory (no process yet). Aborts the test binary if
 * it cannot: nothing can run without it. `test_name` is shortened to keep
 * the socket path within sun_path. */
struct test_switch *test_switch_create(const char *test_name);
/* Stops the process if it runs (SIGKILL), removes every file; NULL is
 * fine. */
void test_switch_destroy(struct test_switch *sw);
/* cmocka teardown: destroys the switch in *state. */
int test_switch_teardown(void **state);

const char *test_switch_dir(const struct test_switch *sw);
const char *test_switch_socket(const struct test_switch *sw);
const char *test_switch_prefix(const struct test_switch *sw);
pid_t test_switch_pid(const struct test_switch *sw);
/* DIR/file; the string lives as long as the switch. */
const char *test_switch_path(struct test_switch *sw, const char *file);

/* The token the client puts in every request (NULL: none). Set it before
 * test_switch_start when the configuration has one. */
void test_switch_set_token(struct test_switch *sw, const char *token);

/* pcap files in the private directory. */
int test_switch_write_pcap(struct test_switch *sw, const char *file,
			   const struct frame_list *frames);
/* An empty pcap file (an input for a port that only sends). */
int test_switch_write_empty_pcap(struct test_switch *sw, const char *file);
int test_switch_read_pcap(struct test_switch *sw, const char *file,
			  struct frame_list *frames);
/* DIR/p<i>.in.pcap from inputs[i] for i < n (the golden tests' ports
 * p0, p1, ... read these). 0, or -1 at the first that fails. */
int test_switch_write_inputs(struct test_switch *sw,
			     const struct frame_list *inputs, unsigned n);

/* Writes the configuration (after substitution and defaults), starts the
 * switch and waits until its control socket answers (`version`), at most
 * 30 s. Returns 0; or -1 when it exited or did not answer (its log is
 * printed as TAP comments and the process is gone). */
int test_switch_start(struct test_switch *sw, const char *config_text);

/* Runs the switch on a configuration expected to be refused: waits for its
 * exit (at most timeout_ms; then SIGKILL and -1). Returns the exit status
 * (the process is gone). The output is in test_switch_log(). */
int test_switch_run_to_exit(struct test_switch *sw, const char *config_text,
			    unsigned timeout_ms);

/* Sends a command; `arguments` (may be NULL) is consumed. Returns the
 * result (a new reference; `null` results come back as json_null()) or NULL
 * with the reason in test_switch_error(). */
json_t *test_switch_call(struct test_switch *sw, const char *command,
			 json_t *arguments);
/* The same with the arguments built by json_pack(format, ...). */
json_t *test_switch_callf(struct test_switch *sw, const char *command,
			  const char *format, ...);
/* Sends a raw line (no newline needed) on a fresh connection and returns
 * the whole reply object ({"ok": ..., ...}) or NULL if none came. */
json_t *test_switch_raw(struct test_switch *sw, const char *line);
const char *test_switch_error(const struct test_switch *sw);

/* The `counters` result (new reference) or NULL. */
json_t *test_switch_counters(struct test_switch *sw);
/* A value of a counters object by path: "drops.runt", "ports.p0.tx_packets",
 * "bridge_domains.lan.flooded", "members.lan/p0/0.rx_packets" (the first
 * and the last '.' separate the parts). Aborts the test on a missing path:
 * that is a bug of the test or of the switch's reply. */
uint64_t counters_value(const json_t *counters, const char *path);
/* The same, read now from the switch. */
uint64_t test_switch_counter(struct test_switch *sw, const char *path);

/* Waits until the port has received at least `packets` frames and the
 * switch is idle (see below). Returns 0, or -1 on timeout. */
int test_switch_wait_rx(struct test_switch *sw, const char *port,
			uint64_t packets, unsigned timeout_ms);
/* Waits until a counter (a counters_value path) reaches at least `value`,
 * without waiting for idle (for endless sources). 0, or -1 on timeout. */
int test_switch_wait_counter(struct test_switch *sw, const char *path,
			     uint64_t value, unsigned timeout_ms);
/* Waits until the per-port, per-BD and drop counters stop changing (the
 * same for ~150 ms, so buffered frames have been sent). */
int test_switch_wait_idle(struct test_switch *sw, unsigned timeout_ms);

/* SIGTERM, then waits up to 20 s for the exit; SIGKILL if it hangs.
 * Returns the exit status, or -1 if it hung or died by a signal. Output
 * pcaps are complete after a clean stop. */
int test_switch_stop(struct test_switch *sw);
bool test_switch_running(struct test_switch *sw);

/* The switch's stdout and stderr so far (the string lives until the next
 * call). */
const char *test_switch_log(struct test_switch *sw);
/* Prints the log as TAP comments (for failures). */
void test_switch_print_log(struct test_switch *sw);

/* Reads DIR/file and compares it with `expected` (in order, or as a
 * multiset); on a difference prints the report as TAP comments. */
bool test_switch_output_equal(struct test_switch *sw, const char *file,
			      const struct frame_list *expected, bool ordered);

/* Is any process still running the given executable path with this
 * string in its command line? (leak checks) */
bool test_process_running(const char *needle);

/* ---- In cmocka tests: the calls above that fail the test on error ------
 * Macros, so that cmocka reports the test's own line; they need <cmocka.h>
 * (and jansson) where they are used. */

/* test_switch_start, or fail with the reason. */
#define test_switch_start_ok(sw, config)                                       \
	do {                                                                   \
		if (test_switch_start((sw), (config)) != 0)                    \
			fail_msg("loom-switch did not start: %s",              \
				 test_switch_error(sw));                       \
	} while (0)

/* test_switch_wait_rx with 20 s, or print the switch's log and fail. */
#define test_switch_wait_rx_ok(sw, port, n)                                    \
	do {                                                                   \
		if (test_switch_wait_rx((sw), (port), (n), 20000) != 0) {      \
			test_switch_print_log(sw);                             \
			fail_msg("waiting for %s rx %d: %s", (port), (int)(n), \
				 test_switch_error(sw));                       \
		}                                                              \
	} while (0)

/* test_switch_stop, or fail unless the switch exited with 0. */
#define test_switch_stop_ok(sw)                                                \
	do {                                                                   \
		int test_switch_status = test_switch_stop(sw);                 \
		if (test_switch_status != 0)                                   \
			fail_msg("loom-switch stopped with %d: %s",            \
				 test_switch_status, test_switch_error(sw));   \
	} while (0)

#endif

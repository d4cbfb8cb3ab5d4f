/* Small helpers shared by the vswitch golden tests: hosts as MAC ids,
 * frames between them, and the cmocka plumbing around test_switch.
 *
 * Ordering: golden configurations that need one frame to be switched
 * before another use `datapath: {rx_burst: 1}` and one worker. The worker
 * polls the up ports in port order, one frame each per loop, so the i-th
 * frame of every input is switched before the (i+1)-th of any; learning is
 * frame by frame. Phases that must follow a control-socket action use
 * ports that start `admin: down` (not polled, not sent to) and are brought
 * up with port-set.
 */
#ifndef LOOM_GOLDEN_H
#define LOOM_GOLDEN_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "test_pcap.h"
#include "test_switch.h"

static const uint8_t golden_broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t golden_multicast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };

/* A frame from host `src` (MAC id) to the MAC dst; `fill` marks it. */
static inline struct frame golden_frame(const uint8_t dst[6], uint16_t src,
					uint8_t fill)
{
	struct frame_spec spec;
	memset(&spec, 0, sizeof(spec));
	memcpy(spec.dst, dst, 6);
	mac_from_id(spec.src, src);
	spec.fill = fill;
	spec.length = 64;
	return frame_build(&spec);
}

/* From host src to host dst. */
static inline struct frame golden_unicast(uint16_t dst, uint16_t src,
					  uint8_t fill)
{
	uint8_t mac[6];
	mac_from_id(mac, dst);
	return golden_frame(mac, src, fill);
}

static inline void golden_add(struct frame_list *list, struct frame frame)
{
	frame_list_add(list, frame.data, frame.length);
}

/* A net_pcap port pN reading DIR/pN.in.pcap and writing DIR/pN.out.pcap. */
#define GOLDEN_PCAP_PORT(n)                                                    \
	"  - name: p" #n "\n"                                                  \
	"    devargs: net_pcap" #n ",rx_pcap=@DIR@/p" #n                        \
	".in.pcap,tx_pcap=@DIR@/p" #n ".out.pcap\n"
#define GOLDEN_PCAP_PORT_DOWN(n) GOLDEN_PCAP_PORT(n) "    admin: down\n"

/* Writes DIR/p<i>.in.pcap for i < n from inputs[i]. */
static inline void golden_write_inputs(struct test_switch *sw,
				       const struct frame_list *inputs,
				       unsigned n)
{
	assert_int_equal(test_switch_write_inputs(sw, inputs, n), 0);
}

static inline void golden_lists_init(struct frame_list *lists, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		frame_list_init(&lists[i]);
}

static inline void golden_lists_free(struct frame_list *lists, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		frame_list_free(&lists[i]);
}

/* Compares DIR/p<i>.out.pcap with expected[i] for i < n. */
static inline void golden_assert_outputs(struct test_switch *sw,
					 const struct frame_list *expected,
					 unsigned n, bool ordered)
{
	bool all = true;
	for (unsigned i = 0; i < n; i++) {
		char file[32];
		snprintf(file, sizeof(file), "p%u.out.pcap", i);
		all &= test_switch_output_equal(sw, file, &expected[i], ordered);
	}
	assert_true(all);
}

/* Start, wait and stop that fail the test (tests/lib/test_switch.h). */
#define golden_start(sw, config) test_switch_start_ok(sw, config)
#define golden_wait_rx(sw, port, n) test_switch_wait_rx_ok(sw, port, n)
#define golden_stop(sw) test_switch_stop_ok(sw)

/* A control call that must succeed; the result is released. */
#define golden_call_ok(sw, command, ...)                                       \
	do {                                                                   \
		json_t *golden_result =                                        \
			test_switch_callf((sw), (command), __VA_ARGS__);       \
		if (!golden_result)                                            \
			fail_msg("%s: %s", (command), test_switch_error(sw));  \
		json_decref(golden_result);                                    \
	} while (0)

#define golden_assert_output(sw, file, expected, ordered)                      \
	assert_true(test_switch_output_equal((sw), (file), (expected), (ordered)))

#endif

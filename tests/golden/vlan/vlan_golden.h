/* Helpers of the VLAN golden tests: tag stacks written as the wire shows
 * them, frames built from a body and a stack, `trace` and drop counters.
 *
 * The tests state their expectations as tag stacks written by hand (C(5,
 * 10) is an 802.1Q tag with PCP 5 and VID 10), never computed by vlan.h:
 * these helpers only put the stated bytes after the MACs.
 */
#ifndef LOOM_VLAN_GOLDEN_H
#define LOOM_VLAN_GOLDEN_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_pcap.h"
#include "test_switch.h"

#define GOLDEN_TAGS_MAX 3

struct golden_tag {
	uint16_t tpid; /* 0 ends the stack */
	uint16_t tci;
};

#define GOLDEN_TCI(pcp, dei, vid) ((uint16_t)((pcp) << 13 | (dei) << 12 | (vid)))
/* 802.1Q C-tag, 802.1ad S-tag, pre-standard 0x9100; ..D: DEI set. */
#define C(pcp, vid) { 0x8100, GOLDEN_TCI(pcp, 0, vid) }
#define CD(pcp, vid) { 0x8100, GOLDEN_TCI(pcp, 1, vid) }
#define S(pcp, vid) { 0x88a8, GOLDEN_TCI(pcp, 0, vid) }
#define SD(pcp, vid) { 0x88a8, GOLDEN_TCI(pcp, 1, vid) }
#define X(pcp, vid) { 0x9100, GOLDEN_TCI(pcp, 0, vid) }
#define UNTAGGED { { 0, 0 } }
#define TAGS(...) { __VA_ARGS__ }

/* The frame body: MACs, EtherType IPv4 and a UDP datagram, 64 bytes, its
 * payload filled with `fill`. */
static inline struct frame vlan_golden_body(const uint8_t dst[6],
					    const uint8_t src[6], uint8_t fill)
{
	struct frame_spec spec;
	memset(&spec, 0, sizeof(spec));
	memcpy(spec.dst, dst, 6);
	memcpy(spec.src, src, 6);
	spec.fill = fill;
	spec.length = 64;
	return frame_build(&spec);
}

/* body with the stack inserted after the MACs; cut > 0 keeps only the
 * first `cut` bytes (a truncated tag). */
static inline struct frame vlan_golden_tagged(const struct frame *body,
					      const struct golden_tag *tags,
					      uint16_t cut)
{
	struct frame frame;
	memset(&frame, 0, sizeof(frame));
	memcpy(frame.data, body->data, 12);
	size_t offset = 12;
	for (int i = 0; i < GOLDEN_TAGS_MAX && tags[i].tpid; i++) {
		frame.data[offset] = (uint8_t)(tags[i].tpid >> 8);
		frame.data[offset + 1] = (uint8_t)tags[i].tpid;
		frame.data[offset + 2] = (uint8_t)(tags[i].tci >> 8);
		frame.data[offset + 3] = (uint8_t)tags[i].tci;
		offset += 4;
	}
	memcpy(frame.data + offset, body->data + 12, body->length - 12u);
	frame.length = (uint16_t)(offset + body->length - 12u);
	if (cut && cut < frame.length)
		frame.length = cut;
	return frame;
}

static inline void vlan_golden_hex(const struct frame *frame, char *hex)
{
	for (uint16_t i = 0; i < frame->length; i++)
		snprintf(hex + 2 * i, 3, "%02x", frame->data[i]);
	hex[2 * frame->length] = '\0';
}

/* `trace` of a frame on a port (new reference; fails the test if the
 * switch does not answer). */
static inline json_t *vlan_golden_trace(struct test_switch *sw, const char *port,
					const struct frame *frame)
{
	static char hex[2 * FRAME_MAX + 1];
	vlan_golden_hex(frame, hex);
	json_t *trace = test_switch_callf(sw, "trace", "{s:s, s:s}", "port", port,
					  "frame", hex);
	if (!trace)
		fail_msg("trace on %s: %s", port, test_switch_error(sw));
	return trace;
}

/* Compares the drop counters' growth between two `counters` results with
 * the expected growth (a name per dropped frame in `names`, repeated as
 * often as it counts). Every reason is checked, those expected not to move
 * as well. Prints each difference; returns whether there was none. */
static inline bool vlan_golden_drops_equal(const json_t *before,
					   const json_t *after,
					   const char *const *names, size_t n)
{
	bool equal = true;
	const char *name;
	json_t *value;
	json_object_foreach(json_object_get(after, "drops"), name, value) {
		uint64_t expected = 0;
		for (size_t i = 0; i < n; i++)
			expected += strcmp(names[i], name) == 0;
		char path[96];
		snprintf(path, sizeof(path), "drops.%s", name);
		uint64_t grown = counters_value(after, path) -
				 counters_value(before, path);
		if (grown != expected) {
			printf("# drops.%s grew by %llu, expected %llu\n", name,
			       (unsigned long long)grown,
			       (unsigned long long)expected);
			equal = false;
		}
	}
	/* Each expected name is a reason the switch has. */
	for (size_t i = 0; i < n; i++)
		if (!json_object_get(json_object_get(after, "drops"), names[i])) {
			printf("# no drop reason %s\n", names[i]);
			equal = false;
		}
	return equal;
}

#endif

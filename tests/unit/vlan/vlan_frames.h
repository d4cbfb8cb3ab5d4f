/* Frames for the vlan tests: MACs, a tag stack, an EtherType and a payload
 * whose bytes name their position, so a moved or lost byte shows. */
#ifndef LOOM_TEST_VLAN_FRAMES_H
#define LOOM_TEST_VLAN_FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vlan.h"

#define TEST_HEADROOM 64
#define TEST_FRAME_MAX 256

struct test_tag {
	uint16_t tpid; /* 0 ends the stack */
	uint8_t pcp;
	uint8_t dei;
	uint16_t vid;
};

/* A frame inside a buffer with headroom in front, as in an mbuf. */
struct test_frame {
	uint8_t buffer[TEST_HEADROOM + TEST_FRAME_MAX];
	uint8_t *data;   /* buffer + headroom */
	size_t length;
};

static const uint8_t test_dst[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t test_src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

/* Builds dst, src, tags (up to 3, tpid 0 ends), ethertype, then payload
 * bytes 0xa0, 0xa1, ... The whole frame is then cut to `cut` bytes if cut
 * is non-zero (to make truncated frames). */
static inline void test_frame_build(struct test_frame *frame,
				    const struct test_tag *tags,
				    uint16_t ethertype, size_t payload,
				    size_t cut)
{
	memset(frame->buffer, 0xee, sizeof(frame->buffer));
	frame->data = frame->buffer + TEST_HEADROOM;
	uint8_t *p = frame->data;
	memcpy(p, test_dst, 6);
	memcpy(p + 6, test_src, 6);
	p += 12;
	for (unsigned i = 0; tags && i < 3 && tags[i].tpid; i++) {
		vlan_write16(p, tags[i].tpid);
		vlan_write16(p + 2,
			     vlan_tci(tags[i].pcp, tags[i].dei, tags[i].vid));
		p += 4;
	}
	vlan_write16(p, ethertype);
	p += 2;
	for (size_t i = 0; i < payload; i++)
		*p++ = (uint8_t)(0xa0 + i);
	frame->length = (size_t)(p - frame->data);
	if (cut && cut < frame->length)
		frame->length = cut;
}

static inline size_t test_frame_headroom(const struct test_frame *frame)
{
	return (size_t)(frame->data - frame->buffer);
}

#endif

/* test_pcap: frames built by tests, pcap files, and frame-by-frame compare.
 *
 * Golden tests build their input and expected frames here, write the input
 * to a pcap file that a real loom-switch reads through net_pcap, and compare
 * what the switch wrote with what they expected: frame by frame, bytes
 * only (timestamps differ), with a readable report of the first difference.
 * No DPDK: this is plain libpcap.
 */
#ifndef LOOM_TEST_PCAP_H
#define LOOM_TEST_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_MAX 9216

struct frame {
	uint16_t length;
	uint8_t data[FRAME_MAX];
};

/* A growable list of frames. */
struct frame_list {
	struct frame *frames;
	size_t count;
	size_t capacity;
};

void frame_list_init(struct frame_list *list);
void frame_list_free(struct frame_list *list);
struct frame *frame_list_add(struct frame_list *list, const void *data,
			     size_t length);
void frame_list_append(struct frame_list *list, const struct frame_list *more);

/* ---- building frames ---- */
struct frame_spec {
	uint8_t dst[6];
	uint8_t src[6];
	/* Tags outermost first; tpid 0 ends the stack. */
	struct {
		uint16_t tpid;
		uint16_t tci;
	} tags[3];
	uint16_t ethertype;   /* after the tags; default 0x0800 with UDP */
	/* IPv4/UDP payload when ethertype is 0x0800 (the default). */
	uint32_t ip_src, ip_dst; /* host byte order */
	uint16_t udp_src, udp_dst;
	uint16_t length;      /* whole frame without FCS; min 60 after tags */
	uint8_t fill;         /* payload filler byte */
};

/* MAC helper: 02:00:00:00:hi:lo (locally administered unicast). */
void mac_from_id(uint8_t mac[6], uint16_t id);
void mac_parse(uint8_t mac[6], const char *text); /* aborts if malformed */

/* Builds the frame described by spec (defaults for zero fields: ethertype
 * IPv4, UDP ports 40000/40001, length 64, addresses 198.18.0.1/2). */
struct frame frame_build(const struct frame_spec *spec);
/* Appends a built frame to a list. */
struct frame *frame_list_build(struct frame_list *list,
			       const struct frame_spec *spec);

/* ---- files ---- */
/* Writes the list (Ethernet link type). Returns 0 or -1 with errno-ish text
 * on stderr. */
int pcap_write_frames(const char *path, const struct frame_list *list);
/* Reads every frame of the file into list (appending). A missing file is an
 * error; an empty file gives zero frames. */
int pcap_read_frames(const char *path, struct frame_list *list);

/* ---- comparing ---- */
/* Compares frame by frame, in order. Returns true when equal; otherwise
 * writes a report (which frame, which byte, both hex dumps) into report. */
bool frame_lists_equal(const struct frame_list *got,
		       const struct frame_list *expected, char *report,
		       size_t report_size);
/* The same but order-insensitive (as a multiset), for outputs whose order
 * between sources is not defined. */
bool frame_lists_equal_unordered(const struct frame_list *got,
				 const struct frame_list *expected,
				 char *report, size_t report_size);

/* Hex dump of a frame into buf, 16 bytes a line. */
void frame_hexdump(const struct frame *frame, char *buf, size_t size);

#endif

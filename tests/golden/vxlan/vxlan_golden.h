/* Helpers shared by the VXLAN golden tests: outer frames written byte by
 * byte here (not with vxlan/'s code, so the switch is checked against an
 * independent reading of RFC 7348), a field-by-field check of what the
 * switch encapsulated, counter deltas and `trace` on the underlay port.
 *
 * The arrangement of every test: port p0 is the underlay (net_pcap), our
 * VTEP is 198.18.100.1/24 with MAC 02:00:00:00:01:01, remote VTEP n is
 * 198.18.100.n behind MAC 02:00:00:00:02:0n, all static neighbours (so no
 * test waits for ARP and the underlay output holds no ARP probes). Other
 * ports are access ports (p1, p2, ...). Hosts are MAC ids (mac_from_id).
 *
 * Ordering: `datapath: {rx_burst: 1}` and one worker, which polls ports in
 * order one frame each per loop, so the i-th frame of every input is
 * switched before the (i+1)-th of any (see tests/golden/vswitch/golden.h);
 * the outputs are then compared in order.
 */
#ifndef LOOM_VXLAN_GOLDEN_H
#define LOOM_VXLAN_GOLDEN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_pcap.h"
#include "test_switch.h"

#define VXG_VTEP_ADDRESS 0xc6126401u /* 198.18.100.1 */
#define VXG_PORT 4789
#define VXG_OVERHEAD 50 /* outer Ethernet + IPv4 + UDP + VXLAN */

static const uint8_t vxg_vtep_mac[6] = { 0x02, 0, 0, 0, 0x01, 0x01 };
static const uint8_t vxg_broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static inline uint32_t vxg_remote_address(unsigned n)
{
	return 0xc6126400u | n;
}

static inline void vxg_remote_mac(uint8_t mac[6], unsigned n)
{
	static const uint8_t base[6] = { 0x02, 0, 0, 0, 0x02, 0 };
	memcpy(mac, base, 6);
	mac[5] = (uint8_t)n;
}

/* Configuration pieces. p0 is the underlay; VXG_NEIGHBOURS lists remote
 * VTEPs 2..6 as static neighbours. */
#define VXG_PCAP_PORT(n)                                                       \
	"  - name: p" #n "\n"                                                  \
	"    devargs: net_pcap" #n ",rx_pcap=@DIR@/p" #n                        \
	".in.pcap,tx_pcap=@DIR@/p" #n ".out.pcap\n"
#define VXG_HEAD "datapath:\n  rx_burst: 1\n  workers: 1\nports:\n"
#define VXG_NEIGHBOURS                                                         \
	"  neighbours:\n"                                                      \
	"    - {address: 198.18.100.2, mac: \"02:00:00:00:02:02\"}\n"          \
	"    - {address: 198.18.100.3, mac: \"02:00:00:00:02:03\"}\n"          \
	"    - {address: 198.18.100.4, mac: \"02:00:00:00:02:04\"}\n"          \
	"    - {address: 198.18.100.5, mac: \"02:00:00:00:02:05\"}\n"          \
	"    - {address: 198.18.100.6, mac: \"02:00:00:00:02:06\"}\n"
#define VXG_VTEP                                                               \
	"vtep:\n  port: p0\n  address: 198.18.100.1/24\n"                      \
	"  mac: \"02:00:00:00:01:01\"\n"

/* ---- big-endian bytes ---- */
static inline void vxg_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void vxg_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint16_t vxg_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t vxg_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* RFC 1071, the slow obvious way: the complement of the one's complement
 * sum of the 16-bit words. Over a header whose checksum is right, it is 0. */
static inline uint16_t vxg_ipv4_checksum(const uint8_t *header, size_t length)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < length; i += 2)
		sum += vxg_get16(header + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ---- inner frames ---- */
/* An IPv4/UDP frame from host src to the MAC dst, `length` bytes, UDP
 * source port `flow` (a flow of its own per value), payload `fill`. */
static inline struct frame vxg_inner(const uint8_t dst[6], uint16_t src,
				     uint16_t flow, uint16_t length,
				     uint8_t fill)
{
	struct frame_spec spec;
	memset(&spec, 0, sizeof(spec));
	memcpy(spec.dst, dst, 6);
	mac_from_id(spec.src, src);
	spec.udp_src = flow ? flow : 40000;
	spec.length = length ? length : 64;
	spec.fill = fill;
	return frame_build(&spec);
}

static inline struct frame vxg_inner_to(uint16_t dst, uint16_t src,
					uint16_t flow, uint8_t fill)
{
	uint8_t mac[6];
	mac_from_id(mac, dst);
	return vxg_inner(mac, src, flow, 64, fill);
}

static inline void vxg_add(struct frame_list *list, const struct frame *frame)
{
	frame_list_add(list, frame->data, frame->length);
}

/* ---- outer frames (what a remote VTEP sends us) ---- */
struct vxg_outer_spec {
	uint8_t dst_mac[6], src_mac[6];
	uint32_t source, destination;
	uint8_t ttl, protocol;
	uint16_t id, fragment;       /* flags and fragment offset word */
	uint16_t source_port, destination_port;
	uint32_t word0, word1;       /* the VXLAN header's two words */
};

/* The usual frame from remote VTEP n for VNI vni; change fields, then
 * vxg_outer_build(). */
static inline struct vxg_outer_spec vxg_outer_from(unsigned n, uint32_t vni)
{
	struct vxg_outer_spec s;
	memset(&s, 0, sizeof(s));
	memcpy(s.dst_mac, vxg_vtep_mac, 6);
	vxg_remote_mac(s.src_mac, n);
	s.source = vxg_remote_address(n);
	s.destination = VXG_VTEP_ADDRESS;
	s.ttl = 64;
	s.protocol = 17;
	s.fragment = 0x4000;
	s.source_port = (uint16_t)(50000 + n);
	s.destination_port = VXG_PORT;
	s.word0 = 0x08000000u;
	s.word1 = vni << 8;
	return s;
}

static inline struct frame vxg_outer_build(const struct vxg_outer_spec *s,
					   const struct frame *inner)
{
	struct frame f;
	memset(&f, 0, sizeof(f));
	uint8_t *p = f.data;
	memcpy(p, s->dst_mac, 6);
	memcpy(p + 6, s->src_mac, 6);
	vxg_put16(p + 12, 0x0800);
	uint8_t *ip = p + 14, *udp = ip + 20, *vx = udp + 8;
	ip[0] = 0x45;
	vxg_put16(ip + 2, (uint16_t)(inner->length + 36));
	vxg_put16(ip + 4, s->id);
	vxg_put16(ip + 6, s->fragment);
	ip[8] = s->ttl;
	ip[9] = s->protocol;
	vxg_put32(ip + 12, s->source);
	vxg_put32(ip + 16, s->destination);
	vxg_put16(ip + 10, vxg_ipv4_checksum(ip, 20));
	vxg_put16(udp, s->source_port);
	vxg_put16(udp + 2, s->destination_port);
	vxg_put16(udp + 4, (uint16_t)(inner->length + 16));
	vxg_put32(vx, s->word0);
	vxg_put32(vx + 4, s->word1);
	memcpy(vx + 8, inner->data, inner->length);
	f.length = (uint16_t)(inner->length + VXG_OVERHEAD);
	return f;
}

static inline struct frame vxg_from_remote(unsigned n, uint32_t vni,
					   const struct frame *inner)
{
	struct vxg_outer_spec s = vxg_outer_from(n, vni);
	return vxg_outer_build(&s, inner);
}

/* Recomputes the outer IPv4 checksum after a test changed the header. */
static inline void vxg_fix_checksum(struct frame *f)
{
	uint8_t *ip = f->data + 14;
	ip[10] = ip[11] = 0;
	vxg_put16(ip + 10, vxg_ipv4_checksum(ip, 20));
}

/* ---- checking what the switch encapsulated ---- */
struct vxg_encap_expect {
	unsigned remote;      /* remote VTEP n */
	uint32_t vni;
	struct frame inner;
	uint16_t flow;        /* inner flow id: same flow, same source port
				 (0: any) */
};

struct vxg_policy {
	uint8_t ttl;
	bool df;
	uint16_t udp_port;
};

static const struct vxg_policy vxg_default_policy = { 64, true, VXG_PORT };

#define VXG_FAIL(...)                                                          \
	do {                                                                   \
		snprintf(why, why_size, __VA_ARGS__);                          \
		return false;                                                  \
	} while (0)

/* Every byte of an encapsulated frame, field by field: outer Ethernet to
 * the remote's next hop from our MAC; IPv4 version/IHL, TOS 0, total
 * length, ID 0 with DF (RFC 6864), flags and offset, TTL, UDP, checksum
 * (recomputed here), addresses; UDP source port in 49152..65535 (returned
 * in *source_port), destination port, length, checksum 0; VXLAN flags I
 * only, reserved zero, the VNI; the inner frame byte for byte. */
static inline bool vxg_encap_ok(const struct frame *got,
				const struct vxg_encap_expect *e,
				const struct vxg_policy *policy,
				uint16_t *source_port, char *why,
				size_t why_size)
{
	const uint8_t *p = got->data, *ip = p + 14, *udp = ip + 20,
		      *vx = udp + 8;
	uint8_t mac[6];
	if (got->length != e->inner.length + VXG_OVERHEAD)
		VXG_FAIL("length %u, expected %u", got->length,
			 e->inner.length + VXG_OVERHEAD);
	vxg_remote_mac(mac, e->remote);
	if (memcmp(p, mac, 6) != 0)
		VXG_FAIL("outer destination MAC is not remote %u's", e->remote);
	if (memcmp(p + 6, vxg_vtep_mac, 6) != 0)
		VXG_FAIL("outer source MAC is not the VTEP's");
	if (vxg_get16(p + 12) != 0x0800)
		VXG_FAIL("outer EtherType %04x", vxg_get16(p + 12));
	if (ip[0] != 0x45 || ip[1] != 0)
		VXG_FAIL("IPv4 version/IHL %02x TOS %02x", ip[0], ip[1]);
	if (vxg_get16(ip + 2) != e->inner.length + 36)
		VXG_FAIL("IPv4 total length %u", vxg_get16(ip + 2));
	if (policy->df && vxg_get16(ip + 4) != 0)
		VXG_FAIL("IPv4 ID %u with DF", vxg_get16(ip + 4));
	if (vxg_get16(ip + 6) != (policy->df ? 0x4000 : 0))
		VXG_FAIL("IPv4 flags/offset %04x", vxg_get16(ip + 6));
	if (ip[8] != policy->ttl)
		VXG_FAIL("TTL %u, configured %u", ip[8], policy->ttl);
	if (ip[9] != 17)
		VXG_FAIL("IPv4 protocol %u", ip[9]);
	uint8_t header[20];
	memcpy(header, ip, 20);
	header[10] = header[11] = 0;
	if (vxg_get16(ip + 10) != vxg_ipv4_checksum(header, 20) ||
	    vxg_ipv4_checksum(ip, 20) != 0)
		VXG_FAIL("IPv4 checksum %04x, computed %04x", vxg_get16(ip + 10),
			 vxg_ipv4_checksum(header, 20));
	if (vxg_get32(ip + 12) != VXG_VTEP_ADDRESS ||
	    vxg_get32(ip + 16) != vxg_remote_address(e->remote))
		VXG_FAIL("IPv4 addresses %08x -> %08x", vxg_get32(ip + 12),
			 vxg_get32(ip + 16));
	*source_port = vxg_get16(udp);
	if (*source_port < 49152)
		VXG_FAIL("UDP source port %u below 49152", *source_port);
	if (vxg_get16(udp + 2) != policy->udp_port)
		VXG_FAIL("UDP destination port %u", vxg_get16(udp + 2));
	if (vxg_get16(udp + 4) != e->inner.length + 16)
		VXG_FAIL("UDP length %u", vxg_get16(udp + 4));
	if (vxg_get16(udp + 6) != 0)
		VXG_FAIL("UDP checksum %04x, expected 0", vxg_get16(udp + 6));
	if (vxg_get32(vx) != 0x08000000u)
		VXG_FAIL("VXLAN flags word %08x", vxg_get32(vx));
	if (vxg_get32(vx + 4) != e->vni << 8)
		VXG_FAIL("VXLAN VNI word %08x, VNI %u expected", vxg_get32(vx + 4),
			 e->vni);
	if (memcmp(vx + 8, e->inner.data, e->inner.length) != 0)
		VXG_FAIL("inner frame changed");
	return true;
}

/* A frame as TAP comments. */
static inline void vxg_print_frame(const struct frame *frame)
{
	static char dump[8 * FRAME_MAX];
	frame_hexdump(frame, dump, sizeof(dump));
	for (char *line = strtok(dump, "\n"); line; line = strtok(NULL, "\n"))
		printf("#   %s\n", line);
}

/* Checks that a list holds exactly the expected encapsulations,
 * in order (the copies of one flooded frame in any order among
 * themselves); the source port of each flow must be the same every time
 * (flow ids 1..65535; 0 is not checked). Returns the number
 * of distinct source ports seen. */
static inline unsigned vxg_check_encaps(const struct frame_list *list,
					const char *file,
					const struct vxg_encap_expect *expected,
					size_t n,
					const struct vxg_policy *policy)
{
	const struct frame_list got = *list;
	uint16_t *flows = calloc(65536, sizeof(*flows));
	uint8_t *ports = calloc(65536, 1);
	assert_non_null(flows);
	assert_non_null(ports);
	unsigned distinct = 0;
	bool ok = got.count == n;
	if (!ok)
		printf("# %s: %zu frames, expected %zu\n", file, got.count, n);
	bool *used = calloc(n + 1, sizeof(*used));
	assert_non_null(used);
	for (size_t i = 0, group = 0; ok && i < n; i++) {
		char why[160];
		uint16_t port;
		/* The copies of one frame (a group of equal inner frames) may
		 * leave in any order: match each to its tunnel's expectation
		 * by outer destination and VNI. */
		if (i == 0 || expected[i].inner.length != expected[group].inner.length ||
		    memcmp(expected[i].inner.data, expected[group].inner.data,
			   expected[i].inner.length) != 0)
			group = i;
		const uint8_t *g = got.frames[i].data;
		size_t j = i;
		for (size_t k = group; k < n && got.frames[i].length >= VXG_OVERHEAD; k++) {
			if (expected[k].inner.length != expected[group].inner.length ||
			    memcmp(expected[k].inner.data, expected[group].inner.data,
				   expected[k].inner.length) != 0)
				break;
			if (!used[k] &&
			    vxg_get32(g + 30) == vxg_remote_address(expected[k].remote) &&
			    vxg_get32(g + 46) == expected[k].vni << 8) {
				j = k;
				break;
			}
		}
		used[j] = true;
		if (!vxg_encap_ok(&got.frames[i], &expected[j], policy, &port, why,
				  sizeof(why))) {
			printf("# %s frame %zu (remote %u VNI %u): %s\n", file, i,
			       expected[j].remote, expected[j].vni, why);
			vxg_print_frame(&got.frames[i]);
			ok = false;
			break;
		}
		uint16_t flow = expected[j].flow;
		if (flow && flows[flow] && flows[flow] != port) {
			printf("# %s frame %zu: flow %u moved from source port %u "
			       "to %u\n", file, i, flow, flows[flow], port);
			ok = false;
		}
		flows[flow] = port;
		distinct += !ports[port];
		ports[port] = 1;
	}
	free(used);
	free(flows);
	free(ports);
	assert_true(ok);
	return distinct;
}

static inline unsigned vxg_assert_encaps(struct test_switch *sw,
					 const char *file,
					 const struct vxg_encap_expect *expected,
					 size_t n,
					 const struct vxg_policy *policy)
{
	struct frame_list got;
	frame_list_init(&got);
	assert_int_equal(test_switch_read_pcap(sw, file, &got), 0);
	unsigned distinct = vxg_check_encaps(&got, file, expected, n, policy);
	frame_list_free(&got);
	return distinct;
}

/* ---- counters ---- */
struct vxg_count {
	const char *path; /* a counters_value path */
	uint64_t delta;
};

/* Every drop reason grew by exactly what `drops` lists (others by 0), and
 * each other listed path by its delta. */
static inline void vxg_assert_deltas(const json_t *before, const json_t *after,
				     const struct vxg_count *drops,
				     size_t n_drops,
				     const struct vxg_count *others,
				     size_t n_others)
{
	bool ok = true;
	const char *name;
	json_t *value;
	json_object_foreach(json_object_get(after, "drops"), name, value) {
		char path[96];
		snprintf(path, sizeof(path), "drops.%s", name);
		uint64_t expected = 0;
		for (size_t i = 0; i < n_drops; i++)
			if (strcmp(drops[i].path, path) == 0)
				expected += drops[i].delta;
		uint64_t delta = counters_value(after, path) -
				 counters_value(before, path);
		if (delta != expected) {
			printf("# %s grew by %llu, expected %llu\n", path,
			       (unsigned long long)delta,
			       (unsigned long long)expected);
			ok = false;
		}
	}
	for (size_t i = 0; i < n_drops; i++)
		if (!json_object_get(json_object_get(after, "drops"),
				     drops[i].path + strlen("drops."))) {
			printf("# no counter %s\n", drops[i].path);
			ok = false;
		}
	for (size_t i = 0; i < n_others; i++) {
		uint64_t delta = counters_value(after, others[i].path) -
				 counters_value(before, others[i].path);
		if (delta != others[i].delta) {
			printf("# %s grew by %llu, expected %llu\n", others[i].path,
			       (unsigned long long)delta,
			       (unsigned long long)others[i].delta);
			ok = false;
		}
	}
	assert_true(ok);
}

/* An all-zero counters object shaped like `like` (deltas from the start). */
static inline json_t *vxg_zero_counters(const json_t *like)
{
	json_t *zero = json_deep_copy(like);
	const char *section;
	json_t *objects;
	json_object_foreach(zero, section, objects) {
		const char *key;
		json_t *value;
		json_object_foreach(objects, key, value) {
			if (json_is_integer(value)) {
				json_integer_set(value, 0);
				continue;
			}
			const char *inner_key;
			json_t *inner;
			json_object_foreach(value, inner_key, inner)
				if (json_is_integer(inner))
					json_integer_set(inner, 0);
		}
	}
	return zero;
}

/* ---- trace ---- */
/* `trace` of a frame on a port: the action and drop reason (NULL when not
 * dropped) and the number of outputs. Returns false (and says why) when
 * they differ from the expectation. */
static inline bool vxg_trace_is(struct test_switch *sw, const char *port,
				const struct frame *frame, const char *reason,
				size_t outputs)
{
	static char hex[2 * FRAME_MAX + 1];
	for (uint16_t i = 0; i < frame->length; i++)
		snprintf(hex + 2 * i, 3, "%02x", frame->data[i]);
	hex[2 * frame->length] = '\0';
	json_t *trace = test_switch_callf(sw, "trace", "{s:s, s:s}", "port",
					  port, "frame", hex);
	if (!trace) {
		printf("# trace: %s\n", test_switch_error(sw));
		return false;
	}
	const char *got = json_string_value(json_object_get(trace, "drop_reason"));
	size_t n = json_array_size(json_object_get(trace, "outputs"));
	bool ok = (reason ? got && strcmp(got, reason) == 0 : !got) &&
		  n == outputs;
	if (!ok) {
		char *text = json_dumps(trace, JSON_COMPACT);
		printf("# trace of a %u-byte frame on %s: expected %s with %zu "
		       "outputs, got %s\n", frame->length, port,
		       reason ? reason : "no drop", outputs, text);
		free(text);
	}
	json_decref(trace);
	return ok;
}

/* ---- cmocka plumbing (tests/lib/test_switch.h) ---- */
#define vxg_start(sw, config) test_switch_start_ok(sw, config)
#define vxg_wait_rx(sw, port, n) test_switch_wait_rx_ok(sw, port, n)
#define vxg_stop(sw) test_switch_stop_ok(sw)

/* Writes DIR/p<i>.in.pcap for i < n. */
static inline void vxg_write_inputs(struct test_switch *sw,
				    const struct frame_list *inputs, unsigned n)
{
	assert_int_equal(test_switch_write_inputs(sw, inputs, n), 0);
}

#endif

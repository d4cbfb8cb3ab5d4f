/* Helpers for the vxlan unit tests: frames built by hand, byte by byte,
 * and an RFC 1071 checksum written independently of the library's (byte
 * pairs, no word tricks), so the tests do not trust the code they test. */
#ifndef LOOM_TEST_VXLAN_H
#define LOOM_TEST_VXLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define IPV4(a, b, c, d)                                                       \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 |     \
	 (uint32_t)(d))

/* RFC 1071, the textbook way. */
static inline uint16_t test_checksum(const uint8_t *data, size_t length)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < length; i += 2) {
		uint32_t word = (uint32_t)data[i] << 8;
		if (i + 1 < length)
			word |= data[i + 1];
		sum += word;
		while (sum > 0xffff)
			sum = (sum & 0xffff) + (sum >> 16);
	}
	return (uint16_t)~sum;
}

static inline void test_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void test_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint16_t test_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Recomputes the IPv4 header checksum of the header at ip. */
static inline void test_fix_ip_checksum(uint8_t *ip)
{
	uint32_t header_length = (ip[0] & 0x0fu) * 4;

	ip[10] = ip[11] = 0;
	test_put16(ip + 10, test_checksum(ip, header_length));
}

/* A VXLAN frame as a remote VTEP would send it. */
struct test_frame_params {
	uint8_t destination_mac[6], source_mac[6];
	bool tagged;
	uint16_t vid;
	uint32_t source, destination; /* outer IPv4 */
	uint8_t ip_options;           /* bytes, multiple of 4 */
	uint16_t source_port, destination_port;
	uint8_t flags;                /* VXLAN flags byte */
	uint32_t vni;
	uint32_t inner_length;        /* inner frame, filled with a pattern */
	uint32_t padding;             /* bytes after the IPv4 packet */
};

struct test_frame {
	uint8_t data[2048];
	uint32_t length;
	uint32_t ip, udp, vxlan, inner; /* offsets */
};

static inline void test_frame_defaults(struct test_frame_params *p)
{
	static const uint8_t ours[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const uint8_t theirs[6] = { 0x02, 0, 0, 0, 0, 0x02 };

	memset(p, 0, sizeof(*p));
	memcpy(p->destination_mac, ours, 6);
	memcpy(p->source_mac, theirs, 6);
	p->source = IPV4(192, 0, 2, 2);
	p->destination = IPV4(192, 0, 2, 1);
	p->source_port = 50000;
	p->destination_port = 4789;
	p->flags = 0x08;
	p->vni = 100;
	p->inner_length = 64;
}

static inline void test_frame_build(struct test_frame *f,
				    const struct test_frame_params *p)
{
	uint8_t *d = f->data;
	uint32_t at = 12;

	memset(f, 0, sizeof(*f));
	memcpy(d, p->destination_mac, 6);
	memcpy(d + 6, p->source_mac, 6);
	if (p->tagged) {
		test_put16(d + 12, 0x8100);
		test_put16(d + 14, p->vid);
		at += 4;
	}
	test_put16(d + at, 0x0800);
	f->ip = at + 2;

	uint8_t *ip = d + f->ip;
	uint32_t header_length = 20u + p->ip_options;
	uint32_t total = header_length + 8 + 8 + p->inner_length;
	ip[0] = (uint8_t)(0x40 | header_length / 4);
	test_put16(ip + 2, (uint16_t)total);
	test_put16(ip + 4, 0x1234);
	test_put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 17;
	test_put32(ip + 12, p->source);
	test_put32(ip + 16, p->destination);
	for (uint32_t i = 20; i < header_length; i++)
		ip[i] = 1; /* NOP options */
	test_fix_ip_checksum(ip);

	f->udp = f->ip + header_length;
	uint8_t *udp = d + f->udp;
	test_put16(udp, p->source_port);
	test_put16(udp + 2, p->destination_port);
	test_put16(udp + 4, (uint16_t)(total - header_length));

	f->vxlan = f->udp + 8;
	uint8_t *vxlan = d + f->vxlan;
	vxlan[0] = p->flags;
	test_put32(vxlan + 4, p->vni << 8);

	f->inner = f->vxlan + 8;
	uint8_t *inner = d + f->inner;
	for (uint32_t i = 0; i < p->inner_length; i++)
		inner[i] = (uint8_t)(0x30 + i);
	if (p->inner_length >= 14) {
		static const uint8_t inner_macs[12] = { 0x02, 0, 0, 0, 0xaa, 1,
							0x02, 0, 0, 0, 0xbb, 1 };
		memcpy(inner, inner_macs, 12);
		test_put16(inner + 12, 0x0800);
	}
	f->length = f->inner + p->inner_length + p->padding;
}

#endif

/* See test_pcap.h. */
#include "test_pcap.h"

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void frame_list_init(struct frame_list *list)
{
	memset(list, 0, sizeof(*list));
}

void frame_list_free(struct frame_list *list)
{
	free(list->frames);
	frame_list_init(list);
}

struct frame *frame_list_add(struct frame_list *list, const void *data,
			     size_t length)
{
	if (length > FRAME_MAX) {
		fprintf(stderr, "test_pcap: frame of %zu bytes too long\n", length);
		abort();
	}
	if (list->count == list->capacity) {
		list->capacity = list->capacity ? list->capacity * 2 : 16;
		list->frames = realloc(list->frames,
				       list->capacity * sizeof(*list->frames));
		if (!list->frames)
			abort();
	}
	struct frame *frame = &list->frames[list->count++];
	frame->length = (uint16_t)length;
	memcpy(frame->data, data, length);
	return frame;
}

void frame_list_append(struct frame_list *list, const struct frame_list *more)
{
	for (size_t i = 0; i < more->count; i++)
		frame_list_add(list, more->frames[i].data, more->frames[i].length);
}

void mac_from_id(uint8_t mac[6], uint16_t id)
{
	mac[0] = 0x02;
	mac[1] = mac[2] = mac[3] = 0;
	mac[4] = (uint8_t)(id >> 8);
	mac[5] = (uint8_t)id;
}

void mac_parse(uint8_t mac[6], const char *text)
{
	unsigned b[6];
	if (sscanf(text, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6) {
		fprintf(stderr, "test_pcap: bad MAC '%s'\n", text);
		abort();
	}
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
}

static uint16_t ipv4_checksum(const uint8_t *header, size_t length)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < length; i += 2)
		sum += (uint32_t)(header[i] << 8 | header[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

struct frame frame_build(const struct frame_spec *spec)
{
	struct frame frame;
	memset(&frame, 0, sizeof(frame));
	uint8_t *p = frame.data;
	memcpy(p, spec->dst, 6);
	memcpy(p + 6, spec->src, 6);
	size_t off = 12;
	for (int i = 0; i < 3 && spec->tags[i].tpid; i++) {
		p[off] = (uint8_t)(spec->tags[i].tpid >> 8);
		p[off + 1] = (uint8_t)spec->tags[i].tpid;
		p[off + 2] = (uint8_t)(spec->tags[i].tci >> 8);
		p[off + 3] = (uint8_t)spec->tags[i].tci;
		off += 4;
	}
	uint16_t ethertype = spec->ethertype ? spec->ethertype : 0x0800;
	p[off] = (uint8_t)(ethertype >> 8);
	p[off + 1] = (uint8_t)ethertype;
	off += 2;

	size_t length = spec->length ? spec->length : 64;
	if (length < off + 28 && ethertype == 0x0800)
		length = off + 28;
	if (length < 60)
		length = 60;
	if (length > FRAME_MAX)
		length = FRAME_MAX;
	memset(p + off, spec->fill, length - off);

	if (ethertype == 0x0800) {
		uint8_t *ip = p + off;
		uint16_t ip_length = (uint16_t)(length - off);
		uint32_t src = spec->ip_src ? spec->ip_src : 0xc6120001; /* 198.18.0.1 */
		uint32_t dst = spec->ip_dst ? spec->ip_dst : 0xc6120002;
		ip[0] = 0x45;
		ip[1] = 0;
		ip[2] = (uint8_t)(ip_length >> 8);
		ip[3] = (uint8_t)ip_length;
		ip[4] = ip[5] = 0;
		ip[6] = 0x40; /* DF */
		ip[7] = 0;
		ip[8] = 64;
		ip[9] = 17;
		ip[10] = ip[11] = 0;
		uint32_t s = htonl(src), d = htonl(dst);
		memcpy(ip + 12, &s, 4);
		memcpy(ip + 16, &d, 4);
		uint16_t sum = ipv4_checksum(ip, 20);
		ip[10] = (uint8_t)(sum >> 8);
		ip[11] = (uint8_t)sum;
		uint8_t *udp = ip + 20;
		uint16_t sport = spec->udp_src ? spec->udp_src : 40000;
		uint16_t dport = spec->udp_dst ? spec->udp_dst : 40001;
		uint16_t udp_length = (uint16_t)(ip_length - 20);
		udp[0] = (uint8_t)(sport >> 8);
		udp[1] = (uint8_t)sport;
		udp[2] = (uint8_t)(dport >> 8);
		udp[3] = (uint8_t)dport;
		udp[4] = (uint8_t)(udp_length >> 8);
		udp[5] = (uint8_t)udp_length;
		udp[6] = udp[7] = 0; /* no UDP checksum: allowed in IPv4 */
	}
	frame.length = (uint16_t)length;
	return frame;
}

struct frame *frame_list_build(struct frame_list *list,
			       const struct frame_spec *spec)
{
	struct frame frame = frame_build(spec);
	return frame_list_add(list, frame.data, frame.length);
}

int pcap_write_frames(const char *path, const struct frame_list *list)
{
	pcap_t *handle = pcap_open_dead(DLT_EN10MB, 65535);
	if (!handle)
		return -1;
	pcap_dumper_t *dumper = pcap_dump_open(handle, path);
	if (!dumper) {
		fprintf(stderr, "test_pcap: %s: %s\n", path, pcap_geterr(handle));
		pcap_close(handle);
		return -1;
	}
	for (size_t i = 0; i < list->count; i++) {
		struct pcap_pkthdr header = {
			.ts = { .tv_sec = 1, .tv_usec = (long)i },
			.caplen = list->frames[i].length,
			.len = list->frames[i].length,
		};
		pcap_dump((u_char *)dumper, &header, list->frames[i].data);
	}
	pcap_dump_close(dumper);
	pcap_close(handle);
	return 0;
}

int pcap_read_frames(const char *path, struct frame_list *list)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *handle = pcap_open_offline(path, errbuf);
	if (!handle) {
		fprintf(stderr, "test_pcap: %s: %s\n", path, errbuf);
		return -1;
	}
	struct pcap_pkthdr *header;
	const u_char *data;
	int rc;
	while ((rc = pcap_next_ex(handle, &header, &data)) == 1)
		frame_list_add(list, data, header->caplen);
	pcap_close(handle);
	return rc == PCAP_ERROR_BREAK ? 0 : -1;
}

void frame_hexdump(const struct frame *frame, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < frame->length && used + 8 < size; i++) {
		used += (size_t)snprintf(buf + used, size - used, "%02x%s",
					 frame->data[i],
					 (i % 16 == 15) ? "\n" : " ");
	}
}

static bool frames_equal(const struct frame *a, const struct frame *b)
{
	return a->length == b->length && memcmp(a->data, b->data, a->length) == 0;
}

static void report_difference(const struct frame *got,
			      const struct frame *expected, size_t index,
			      char *report, size_t size)
{
	size_t first = 0;
	while (first < got->length && first < expected->length &&
	       got->data[first] == expected->data[first])
		first++;
	char got_dump[1024], expected_dump[1024];
	frame_hexdump(got, got_dump, sizeof(got_dump));
	frame_hexdump(expected, expected_dump, sizeof(expected_dump));
	snprintf(report, size,
		 "frame %zu differs at byte %zu (lengths got %u, expected %u)\n"
		 "got:\n%s\nexpected:\n%s\n",
		 index, first, got->length, expected->length, got_dump,
		 expected_dump);
}

bool frame_lists_equal(const struct frame_list *got,
		       const struct frame_list *expected, char *report,
		       size_t report_size)
{
	size_t n = got->count < expected->count ? got->count : expected->count;
	for (size_t i = 0; i < n; i++) {
		if (!frames_equal(&got->frames[i], &expected->frames[i])) {
			report_difference(&got->frames[i], &expected->frames[i],
					  i, report, report_size);
			return false;
		}
	}
	if (got->count != expected->count) {
		char dump[1024] = "";
		const struct frame_list *longer =
			got->count > expected->count ? got : expected;
		frame_hexdump(&longer->frames[n], dump, sizeof(dump));
		snprintf(report, report_size,
			 "got %zu frames, expected %zu; first %s frame:\n%s\n",
			 got->count, expected->count,
			 got->count > expected->count ? "unexpected" : "missing",
			 dump);
		return false;
	}
	return true;
}

bool frame_lists_equal_unordered(const struct frame_list *got,
				 const struct frame_list *expected,
				 char *report, size_t report_size)
{
	bool *used = calloc(got->count + 1, sizeof(bool));
	bool equal = true;
	for (size_t i = 0; i < expected->count && equal; i++) {
		bool found = false;
		for (size_t j = 0; j < got->count; j++) {
			if (!used[j] && frames_equal(&got->frames[j],
						     &expected->frames[i])) {
				used[j] = found = true;
				break;
			}
		}
		if (!found) {
			char dump[1024];
			frame_hexdump(&expected->frames[i], dump, sizeof(dump));
			snprintf(report, report_size,
				 "expected frame %zu not found among %zu got:\n%s\n",
				 i, got->count, dump);
			equal = false;
		}
	}
	for (size_t j = 0; j < got->count && equal; j++) {
		if (!used[j]) {
			char dump[1024];
			frame_hexdump(&got->frames[j], dump, sizeof(dump));
			snprintf(report, report_size,
				 "unexpected frame %zu of %zu got:\n%s\n", j,
				 got->count, dump);
			equal = false;
		}
	}
	free(used);
	return equal;
}

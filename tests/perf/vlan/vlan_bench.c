/* vlan-bench: what the VLAN part of the switch costs per frame.
 *
 * For each case, bursts of 32 frames of 64 bytes (each in its own buffer
 * with headroom, as in mbufs) go through what vswitch does per frame:
 * vlan_port_classify() on the input port, vlan_port_egress() for the
 * output member, vlan_rewrite(). Only that loop is timed (TSC); the frames
 * are restored between bursts. Prints the median and the best burst in
 * TSC cycles per frame.
 *
 *   usage: vlan-bench [bursts]      (default 200000)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vlan.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
static inline uint64_t ticks(void)
{
	return __rdtsc();
}
#define TICK_UNIT "TSC cycles"
#else
static inline uint64_t ticks(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#define TICK_UNIT "ns"
#endif

#define BURST 32
#define FRAME 64
#define HEADROOM 128

struct slot {
	uint8_t buffer[HEADROOM + FRAME + 64];
};

static struct slot slots[BURST];
static uint8_t *starts[BURST];
static size_t lengths[BURST];
static volatile uint64_t sink;

static void build(uint8_t *p, const uint16_t *tpids, const uint16_t *tcis,
		  unsigned tags)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	memcpy(p, macs, 12);
	for (unsigned i = 0; i < tags; i++) {
		vlan_write16(p + 12 + 4 * i, tpids[i]);
		vlan_write16(p + 14 + 4 * i, tcis[i]);
	}
	vlan_write16(p + 12 + 4 * tags, 0x0800);
	for (size_t i = 14 + 4u * tags; i < FRAME; i++)
		p[i] = (uint8_t)i;
}

struct bench_case {
	const char *name;
	const struct vlan_port *in, *out;
	uint16_t out_vid;
	unsigned tags;
	uint16_t tpids[2], tcis[2];
};

/* Restores the burst with wide copies of a template: a frame written byte
 * by byte just before the timed loop would make its 16-bit loads wait for
 * store forwarding, which a NIC-written frame does not. */
static uint8_t template[FRAME];

static void reset(void)
{
	for (unsigned i = 0; i < BURST; i++) {
		starts[i] = slots[i].buffer + HEADROOM;
		lengths[i] = FRAME;
		memcpy(starts[i], template, FRAME);
	}
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void run(const struct bench_case *bc, unsigned bursts,
		uint64_t *samples)
{
	uint64_t check = 0;

	build(template, bc->tpids, bc->tcis, bc->tags);
	for (unsigned b = 0; b < bursts; b++) {
		reset();
		uint64_t t0 = ticks();
		for (unsigned i = 0; i < BURST; i++) {
			struct vlan_classification c = vlan_port_classify(
				bc->in, starts[i], lengths[i]);
			struct vlan_egress e =
				vlan_port_egress(bc->out, bc->out_vid);
			int moved;
			enum vlan_verdict v = vlan_rewrite(
				starts[i], lengths[i], HEADROOM, &c, &e,
				&moved);
			starts[i] += moved;
			lengths[i] = (size_t)((long)lengths[i] - moved);
			check += v + (uint64_t)c.vid;
		}
		samples[b] = ticks() - t0;
	}
	sink = check;
	/* Sanity: the last burst really did the work asked for. */
	struct vlan_classification back =
		vlan_port_classify(bc->out, starts[0], lengths[0]);
	if (back.verdict != VLAN_OK || back.vid != bc->out_vid) {
		fprintf(stderr, "%s: output not accepted by the output port\n",
			bc->name);
		exit(1);
	}
	qsort(samples, bursts, sizeof(*samples), compare_u64);
	printf("%-28s median %6.1f  best %6.1f  %s/frame\n", bc->name,
	       (double)samples[bursts / 2] / BURST,
	       (double)samples[0] / BURST, TICK_UNIT);
}

int main(int argc, char **argv)
{
	unsigned bursts = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) :
				     200000;
	if (bursts == 0)
		bursts = 1;
	uint64_t *samples = malloc(sizeof(*samples) * bursts);
	if (!samples)
		return 1;

	struct vlan_port access, trunk, trunk2, tunnel, qinq;
	vlan_port_init(&access, VLAN_PORT_access, 100);
	vlan_port_init(&trunk, VLAN_PORT_trunk, 0);
	vlan_port_allow_list(&trunk, "100-199,3000");
	vlan_port_init(&trunk2, VLAN_PORT_trunk, 0);
	vlan_port_allow_list(&trunk2, "2001");
	vlan_port_init(&tunnel, VLAN_PORT_tunnel, 30);
	vlan_port_init(&qinq, VLAN_PORT_trunk, 0);
	vlan_port_set_tpid(&qinq, VLAN_TPID_8021AD, 1);
	vlan_port_allow_list(&qinq, "200");

	const struct bench_case cases[] = {
		{ "vlan-push (access->trunk)", &access, &trunk, 100, 0,
		  { 0 }, { 0 } },
		{ "vlan-pop (trunk->access)", &trunk, &access, 100, 1,
		  { 0x8100 }, { vlan_tci(5, 0, 100) } },
		{ "translate (trunk->trunk)", &trunk, &trunk2, 2001, 1,
		  { 0x8100 }, { vlan_tci(5, 0, 100) } },
		{ "qinq-push (tunnel->S-tag)", &tunnel, &qinq, 200, 1,
		  { 0x8100 }, { vlan_tci(3, 0, 42) } },
		{ "qinq-pop (S-tag->tunnel)", &qinq, &tunnel, 30, 2,
		  { 0x88a8, 0x8100 },
		  { vlan_tci(3, 0, 200), vlan_tci(3, 0, 42) } },
	};
	printf("vlan-bench: %u bursts of %d frames of %d bytes\n", bursts,
	       BURST, FRAME);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run(&cases[i], bursts, samples);

	/* The empty loop, to read the figures against. */
	uint64_t check = 0;
	for (unsigned b = 0; b < bursts; b++) {
		reset();
		uint64_t t0 = ticks();
		for (unsigned i = 0; i < BURST; i++)
			check += lengths[i] + (uintptr_t)starts[i];
		samples[b] = ticks() - t0;
	}
	sink = check;
	qsort(samples, bursts, sizeof(*samples), compare_u64);
	printf("%-28s median %6.1f  best %6.1f  %s/frame\n",
	       "(timing overhead)", (double)samples[bursts / 2] / BURST,
	       (double)samples[0] / BURST, TICK_UNIT);
	free(samples);
	return 0;
}

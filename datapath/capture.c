/* Capture: mirror a port's rx and/or tx into a pcap file.
 *
 * Off, it costs the fast path one pointer test per burst (the table's
 * capture pointer is NULL). On, the worker copies each frame into the
 * capture's mbuf pool and enqueues it on a ring (multi-producer: any worker
 * may serve the port); the control thread dequeues and writes the file with
 * libpcap. When the ring or the pool is full, frames are not captured
 * (counted as missed), never delayed. A capture is bounded by packets or
 * bytes; at the bound the control thread stops it.
 */
#include "datapath.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include <jansson.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#define CAPTURE_RING_SIZE 4096
#define CAPTURE_POOL_SIZE 8191
#define CAPTURE_SNAPLEN 9216

struct capture {
	struct rte_ring *ring;
	struct rte_mempool *pool;
	pcap_t *pcap;
	pcap_dumper_t *dumper;
	char path[SWITCH_PATH_MAX];
	unsigned directions;
	uint64_t max_packets;   /* 0 = no bound */
	uint64_t max_bytes;
	uint64_t written_packets; /* control thread */
	uint64_t written_bytes;
	uint64_t missed;          /* workers, atomic */
	bool finished;
};

void capture_burst(struct capture *capture, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *copies[VSWITCH_BURST];
	uint16_t k = 0;
	for (uint16_t i = 0; i < n && i < VSWITCH_BURST; i++) {
		struct rte_mbuf *copy = rte_pktmbuf_copy(pkts[i], capture->pool, 0,
							 CAPTURE_SNAPLEN);
		if (!copy)
			break;
		copies[k++] = copy;
	}
	unsigned queued = rte_ring_mp_enqueue_burst(capture->ring, (void **)copies,
						    k, NULL);
	if (queued < k)
		rte_pktmbuf_free_bulk(copies + queued, k - queued);
	if (queued < n)
		__atomic_fetch_add(&capture->missed, n - queued, __ATOMIC_RELAXED);
}

static void capture_free(struct capture *capture)
{
	if (!capture)
		return;
	if (capture->ring) {
		struct rte_mbuf *m;
		while (rte_ring_sc_dequeue(capture->ring, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(capture->ring);
	}
	if (capture->pool)
		rte_mempool_free(capture->pool);
	if (capture->dumper)
		pcap_dump_close(capture->dumper);
	if (capture->pcap)
		pcap_close(capture->pcap);
	rte_free(capture);
}

/* Publishes the ports' capture pointers to the workers by applying the
 * running configuration again (a new table carries them). */
static int capture_publish(struct loom_switch *sw, char *err, size_t err_size)
{
	struct switch_config same;
	if (switch_config_copy(&same, &sw->config) != 0) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	int rc = switch_apply(sw, &same, err, err_size);
	switch_config_free(&same);
	return rc;
}

int capture_start(struct loom_switch *sw, uint16_t port, unsigned directions,
		  const char *path, uint64_t max_packets, uint64_t max_bytes,
		  char *err, size_t err_size)
{
	static unsigned serial;
	struct switch_port *p = &sw->ports[port];
	if (!p->present) {
		snprintf(err, err_size, "no such port");
		return -1;
	}
	if (p->capture_rx || p->capture_tx) {
		snprintf(err, err_size, "port %s is already being captured", p->name);
		return -1;
	}
	if (!directions || directions > (CAPTURE_RX | CAPTURE_TX)) {
		snprintf(err, err_size, "direction must be rx, tx or both");
		return -1;
	}
	struct capture *capture = rte_zmalloc("capture", sizeof(*capture), 0);
	if (!capture) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	char name[RTE_RING_NAMESIZE];
	snprintf(name, sizeof(name), "capture%u", serial++);
	capture->ring = rte_ring_create(name, CAPTURE_RING_SIZE, SOCKET_ID_ANY,
					RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "capture_pool%u", serial++);
	capture->pool = rte_pktmbuf_pool_create(name, CAPTURE_POOL_SIZE, 0, 0,
						RTE_MBUF_DEFAULT_BUF_SIZE,
						SOCKET_ID_ANY);
	if (!capture->ring || !capture->pool) {
		snprintf(err, err_size, "cannot allocate capture buffers: %s",
			 rte_strerror(rte_errno));
		capture_free(capture);
		return -1;
	}
	capture->pcap = pcap_open_dead(DLT_EN10MB, CAPTURE_SNAPLEN);
	capture->dumper = capture->pcap ? pcap_dump_open(capture->pcap, path) : NULL;
	if (!capture->dumper) {
		snprintf(err, err_size, "cannot write %s: %s", path,
			 capture->pcap ? pcap_geterr(capture->pcap) : "pcap");
		capture_free(capture);
		return -1;
	}
	snprintf(capture->path, sizeof(capture->path), "%s", path);
	capture->directions = directions;
	capture->max_packets = max_packets;
	capture->max_bytes = max_bytes;
	if (directions & CAPTURE_RX)
		p->capture_rx = capture;
	if (directions & CAPTURE_TX)
		p->capture_tx = capture;
	if (capture_publish(sw, err, err_size) != 0) {
		p->capture_rx = p->capture_tx = NULL;
		capture_free(capture);
		return -1;
	}
	return 0;
}

/* Writes what the workers queued; returns true when a bound is reached. */
static bool capture_write(struct capture *capture)
{
	struct rte_mbuf *pkts[64];
	unsigned n;
	while ((n = rte_ring_sc_dequeue_burst(capture->ring, (void **)pkts, 64,
					      NULL)) > 0) {
		struct timeval now;
		gettimeofday(&now, NULL);
		for (unsigned i = 0; i < n; i++) {
			struct rte_mbuf *m = pkts[i];
			bool over = (capture->max_packets &&
				     capture->written_packets >= capture->max_packets) ||
				    (capture->max_bytes &&
				     capture->written_bytes + rte_pktmbuf_pkt_len(m) >
					     capture->max_bytes);
			if (!over) {
				uint8_t buf[CAPTURE_SNAPLEN];
				uint32_t length = rte_pktmbuf_pkt_len(m);
				const void *data = rte_pktmbuf_read(m, 0, length, buf);
				struct pcap_pkthdr header = {
					.ts = now, .caplen = length, .len = length };
				pcap_dump((u_char *)capture->dumper, &header, data);
				capture->written_packets++;
				capture->written_bytes += length;
			} else {
				capture->finished = true;
			}
			rte_pktmbuf_free(m);
		}
	}
	pcap_dump_flush(capture->dumper);
	return capture->finished;
}

int capture_stop(struct loom_switch *sw, uint16_t port)
{
	struct switch_port *p = &sw->ports[port];
	struct capture *capture = p->capture_rx ? p->capture_rx : p->capture_tx;
	if (!capture)
		return -1;
	p->capture_rx = p->capture_tx = NULL;
	char err[256];
	if (sw->published && capture_publish(sw, err, sizeof(err)) != 0) {
		/* Cannot retire it safely from the table: keep it. */
		if (capture->directions & CAPTURE_RX)
			p->capture_rx = capture;
		if (capture->directions & CAPTURE_TX)
			p->capture_tx = capture;
		return -1;
	}
	/* No worker can reach it now (a grace period passed). */
	capture_write(capture);
	capture_free(capture);
	return 0;
}

void capture_poll(struct loom_switch *sw)
{
	for (uint16_t port = 0; port < VSWITCH_MAX_PORTS; port++) {
		struct capture *capture = sw->ports[port].capture_rx
						  ? sw->ports[port].capture_rx
						  : sw->ports[port].capture_tx;
		if (capture && capture_write(capture))
			capture_stop(sw, port);
	}
}

json_t *capture_status(const struct loom_switch *sw, uint16_t port)
{
	const struct switch_port *p = &sw->ports[port];
	const struct capture *capture = p->capture_rx ? p->capture_rx : p->capture_tx;
	if (!capture)
		return json_null();
	return json_pack("{s:s, s:s, s:I, s:I, s:I}", "file", capture->path,
			 "direction",
			 capture->directions == (CAPTURE_RX | CAPTURE_TX) ? "both"
			 : capture->directions == CAPTURE_RX		   ? "rx"
									   : "tx",
			 "packets", (json_int_t)capture->written_packets,
			 "bytes", (json_int_t)capture->written_bytes,
			 "missed", (json_int_t)__atomic_load_n(&capture->missed,
							       __ATOMIC_RELAXED));
}

/* vhost-guest: a stand-in VM for the vhost-user system tests.
 *
 * A second DPDK process with one net_virtio_user port, the same virtio
 * ring a QEMU guest's virtio-net would drive. It answers ARP requests and
 * ICMP echo requests for its own IPv4 address (so a namespace host can
 * ping it through loom-switch), can send UDP "probe" frames at a steady
 * rate (traffic from the guest side), and counts what it receives,
 * probes apart (so a test can tell whether another guest's broadcasts
 * reached it).
 *
 * It can also disconnect and reconnect in a loop without restarting the
 * EAL (which can start only once per process): each cycle probes the
 * virtio_user device, runs for --up-ms, then stops, closes and removes it
 * (the vhost-user socket closes, as when a VM goes away) and waits
 * --down-ms. With server=1 in the devargs the device listens on the
 * socket and the probe waits until loom-switch (client=1) connects.
 *
 * Figures go to --stats FILE as one JSON object, rewritten (atomically,
 * by rename) every 100 ms and at exit, so the test script reads them
 * while it runs. SIGTERM or SIGINT ends the run cleanly.
 *
 * Usage:
 *   vhost-guest EAL-ARGS -- --port DEVARGS --ip A.B.C.D --stats FILE
 *       [--send-to MAC] [--rate FRAMES_PER_SECOND] [--count N]
 *       [--cycles N --up-ms MS --down-ms MS]
 * DEVARGS is e.g. net_virtio_user0,path=SOCK,mac=02:00:00:00:00:11
 * [,server=1]. Exit status 0 when every cycle connected.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#define GUEST_BURST 32
#define GUEST_MBUFS 4095
/* Probes are UDP to this port: nothing else in a test uses it. */
#define GUEST_PROBE_PORT 47001
#define GUEST_PROBE_LENGTH 64

/* Everything the stats file shows. */
#define foreach_guest_counter                                                  \
	_(connects, "times the device came up")                               \
	_(rx, "frames received")                                               \
	_(tx, "frames sent (replies and probes)")                              \
	_(tx_failed, "frames the virtio ring did not take")                    \
	_(arp_replies, "ARP requests for our address answered")                \
	_(icmp_replies, "ICMP echo requests answered")                         \
	_(probes_sent, "UDP probes sent")                                      \
	_(probes_received, "UDP probes received (from any guest)")             \
	_(alloc_failed, "no mbuf for a probe")

enum guest_counter {
#define _(name, text) GUEST_##name,
	foreach_guest_counter
#undef _
	GUEST_COUNTER_MAX
};

static const char *const guest_counter_names[GUEST_COUNTER_MAX] = {
#define _(name, text) #name,
	foreach_guest_counter
#undef _
};

struct guest {
	const char *devargs;
	char device_name[64];
	const char *stats_path;
	uint32_t ip;			/* network order */
	struct rte_ether_addr mac;
	struct rte_ether_addr send_to;
	bool sending;
	uint64_t rate;			/* probes per second */
	uint64_t count;			/* stop sending after this many (0: no limit) */
	unsigned cycles;		/* 0: one connection until a signal */
	unsigned up_ms, down_ms;
	struct rte_mempool *pool;
	uint16_t port_id;
	bool connected;
	uint64_t counters[GUEST_COUNTER_MAX];
	uint64_t next_stats_tsc;
};

static volatile sig_atomic_t guest_stop;

static void guest_on_signal(int signal_number)
{
	(void)signal_number;
	guest_stop = 1;
}

static void guest_write_stats(struct guest *g)
{
	char temporary[4096];
	snprintf(temporary, sizeof(temporary), "%s.tmp", g->stats_path);
	FILE *out = fopen(temporary, "w");
	if (!out)
		return;
	fprintf(out, "{\"pid\": %d, \"connected\": %s", (int)getpid(),
		g->connected ? "true" : "false");
	for (unsigned i = 0; i < GUEST_COUNTER_MAX; i++)
		fprintf(out, ", \"%s\": %" PRIu64, guest_counter_names[i],
			g->counters[i]);
	fprintf(out, "}\n");
	fclose(out);
	rename(temporary, g->stats_path);
}

static void guest_maybe_write_stats(struct guest *g)
{
	uint64_t now = rte_get_tsc_cycles();
	if (now < g->next_stats_tsc)
		return;
	g->next_stats_tsc = now + rte_get_tsc_hz() / 10;
	guest_write_stats(g);
}

/* An ARP request for our address becomes the reply, in place. */
static bool guest_arp(struct guest *g, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	if (rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(struct rte_arp_hdr))
		return false;
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	if (arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) ||
	    arp->arp_data.arp_tip != g->ip)
		return false;
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	arp->arp_data.arp_tha = arp->arp_data.arp_sha;
	arp->arp_data.arp_tip = arp->arp_data.arp_sip;
	arp->arp_data.arp_sha = g->mac;
	arp->arp_data.arp_sip = g->ip;
	eth->dst_addr = eth->src_addr;
	eth->src_addr = g->mac;
	g->counters[GUEST_arp_replies]++;
	return true;
}

/* An ICMP echo request to our address becomes the echo reply, in place;
 * a probe is counted. Returns true when m is to be sent back. */
static bool guest_ipv4(struct guest *g, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint32_t length = rte_pktmbuf_data_len(m);
	if (length < sizeof(*eth) + sizeof(struct rte_ipv4_hdr))
		return false;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	uint32_t header_length = (uint32_t)(ip->version_ihl & 0x0f) * 4;
	if (header_length < sizeof(*ip) ||
	    length < sizeof(*eth) + header_length + 8)
		return false;
	if (ip->next_proto_id == IPPROTO_UDP) {
		struct rte_udp_hdr *udp =
			(struct rte_udp_hdr *)((uint8_t *)ip + header_length);
		if (udp->dst_port == rte_cpu_to_be_16(GUEST_PROBE_PORT))
			g->counters[GUEST_probes_received]++;
		return false;
	}
	if (ip->next_proto_id != IPPROTO_ICMP || ip->dst_addr != g->ip)
		return false;
	struct rte_icmp_hdr *icmp =
		(struct rte_icmp_hdr *)((uint8_t *)ip + header_length);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0)
		return false;
	/* Type 8 -> 0: the checksum grows by 0x0800 (RFC 1624). */
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	uint32_t sum = (uint32_t)rte_be_to_cpu_16(icmp->icmp_cksum) + 0x0800;
	sum = (sum & 0xffff) + (sum >> 16);
	icmp->icmp_cksum = rte_cpu_to_be_16((uint16_t)sum);
	ip->dst_addr = ip->src_addr;
	ip->src_addr = g->ip;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	eth->dst_addr = eth->src_addr;
	eth->src_addr = g->mac;
	g->counters[GUEST_icmp_replies]++;
	return true;
}

static void guest_send(struct guest *g, struct rte_mbuf **frames, uint16_t n)
{
	if (!n)
		return;
	uint16_t sent = rte_eth_tx_burst(g->port_id, 0, frames, n);
	g->counters[GUEST_tx] += sent;
	if (sent < n) {
		g->counters[GUEST_tx_failed] += n - sent;
		rte_pktmbuf_free_bulk(&frames[sent], n - sent);
	}
}

static struct rte_mbuf *guest_probe(struct guest *g)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g->pool);
	if (!m) {
		g->counters[GUEST_alloc_failed]++;
		return NULL;
	}
	uint8_t *data = (uint8_t *)rte_pktmbuf_append(m, GUEST_PROBE_LENGTH);
	memset(data, 0, GUEST_PROBE_LENGTH);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)data;
	eth->dst_addr = g->send_to;
	eth->src_addr = g->mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	uint16_t ip_length = GUEST_PROBE_LENGTH - sizeof(*eth);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(ip_length);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = g->ip;
	ip->dst_addr = RTE_BE32(0xffffffff);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	udp->src_port = rte_cpu_to_be_16(GUEST_PROBE_PORT);
	udp->dst_port = rte_cpu_to_be_16(GUEST_PROBE_PORT);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(ip_length - sizeof(*ip)));
	g->counters[GUEST_probes_sent]++;
	return m;
}

/* As server (server=1) the device binds the socket path: a file left by
 * an earlier run (or a killed one) is removed first. */
static void guest_remove_stale_socket(const struct guest *g)
{
	const char *path = strstr(g->devargs, ",path=");
	if (!strstr(g->devargs, ",server=1") || !path)
		return;
	char file[4096];
	path += strlen(",path=");
	size_t length = strcspn(path, ",");
	if (length >= sizeof(file))
		return;
	memcpy(file, path, length);
	file[length] = '\0';
	unlink(file);
}

static int guest_connect(struct guest *g)
{
	guest_remove_stale_socket(g);
	if (rte_dev_probe(g->devargs) != 0) {
		fprintf(stderr, "vhost-guest: cannot probe '%s'\n", g->devargs);
		return -1;
	}
	if (rte_eth_dev_get_port_by_name(g->device_name, &g->port_id) != 0) {
		fprintf(stderr, "vhost-guest: no port '%s'\n", g->device_name);
		return -1;
	}
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure(g->port_id, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(g->port_id, 0, 256, 0, NULL, g->pool) != 0 ||
	    rte_eth_tx_queue_setup(g->port_id, 0, 256, 0, NULL) != 0 ||
	    rte_eth_dev_start(g->port_id) != 0) {
		fprintf(stderr, "vhost-guest: cannot start '%s'\n", g->device_name);
		return -1;
	}
	rte_eth_macaddr_get(g->port_id, &g->mac);
	g->connected = true;
	g->counters[GUEST_connects]++;
	guest_write_stats(g);
	return 0;
}

/* Stop, close and remove: the vhost-user socket closes and loom-switch
 * sees the guest go. */
static void guest_disconnect(struct guest *g)
{
	if (!g->connected)
		return;
	rte_eth_dev_stop(g->port_id);
	rte_eth_dev_close(g->port_id);
	rte_eal_hotplug_remove("vdev", g->device_name);
	g->connected = false;
	guest_write_stats(g);
}

/* Polls for `ms` milliseconds (0: until a signal). */
static void guest_run(struct guest *g, unsigned ms)
{
	uint64_t hz = rte_get_tsc_hz(), start = rte_get_tsc_cycles();
	uint64_t end = ms ? start + hz * ms / 1000 : UINT64_MAX;
	uint64_t sent_this_run = 0;
	while (!guest_stop && rte_get_tsc_cycles() < end) {
		struct rte_mbuf *frames[GUEST_BURST], *replies[GUEST_BURST];
		uint16_t n = rte_eth_rx_burst(g->port_id, 0, frames, GUEST_BURST);
		uint16_t n_replies = 0;
		for (uint16_t i = 0; i < n; i++) {
			struct rte_mbuf *m = frames[i];
			g->counters[GUEST_rx]++;
			bool reply = false;
			if (rte_pktmbuf_data_len(m) >= sizeof(struct rte_ether_hdr)) {
				struct rte_ether_hdr *eth =
					rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
				if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP))
					reply = guest_arp(g, m);
				else if (eth->ether_type ==
					 rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
					reply = guest_ipv4(g, m);
			}
			if (reply)
				replies[n_replies++] = m;
			else
				rte_pktmbuf_free(m);
		}
		guest_send(g, replies, n_replies);

		/* Probes at the rate asked, counted from the start of this
		 * connection. */
		if (g->sending && (!g->count || g->counters[GUEST_probes_sent] < g->count)) {
			uint64_t elapsed = rte_get_tsc_cycles() - start;
			uint64_t owed = (uint64_t)((double)elapsed * (double)g->rate /
						   (double)hz);
			struct rte_mbuf *probes[GUEST_BURST];
			uint16_t n_probes = 0;
			while (sent_this_run < owed && n_probes < GUEST_BURST &&
			       (!g->count || g->counters[GUEST_probes_sent] < g->count)) {
				struct rte_mbuf *m = guest_probe(g);
				if (!m)
					break;
				probes[n_probes++] = m;
				sent_this_run++;
			}
			guest_send(g, probes, n_probes);
		}
		guest_maybe_write_stats(g);
		if (!n)
			usleep(50);
	}
}

static void guest_sleep_ms(unsigned ms)
{
	struct timespec t = {.tv_sec = ms / 1000,
			     .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (!guest_stop && nanosleep(&t, &t) != 0 && errno == EINTR)
		;
}

static void usage(void)
{
	fprintf(stderr, "usage: vhost-guest EAL-ARGS -- --port DEVARGS --ip ADDRESS "
			"--stats FILE [--send-to MAC] [--rate N] [--count N] "
			"[--cycles N --up-ms MS --down-ms MS]\n");
	exit(2);
}

static void guest_parse(struct guest *g, int argc, char **argv)
{
	static const struct option options[] = {
		{"port", required_argument, NULL, 'p'},
		{"ip", required_argument, NULL, 'i'},
		{"stats", required_argument, NULL, 's'},
		{"send-to", required_argument, NULL, 't'},
		{"rate", required_argument, NULL, 'r'},
		{"count", required_argument, NULL, 'n'},
		{"cycles", required_argument, NULL, 'c'},
		{"up-ms", required_argument, NULL, 'u'},
		{"down-ms", required_argument, NULL, 'd'},
		{NULL, 0, NULL, 0},
	};
	struct in_addr address;
	int option;
	g->rate = 1000;
	g->up_ms = 200;
	g->down_ms = 100;
	optind = 1;
	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (option) {
		case 'p': g->devargs = optarg; break;
		case 'i':
			if (inet_pton(AF_INET, optarg, &address) != 1)
				usage();
			g->ip = address.s_addr;
			break;
		case 's': g->stats_path = optarg; break;
		case 't':
			if (rte_ether_unformat_addr(optarg, &g->send_to) != 0)
				usage();
			g->sending = true;
			break;
		case 'r': g->rate = strtoull(optarg, NULL, 10); break;
		case 'n': g->count = strtoull(optarg, NULL, 10); break;
		case 'c': g->cycles = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'u': g->up_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'd': g->down_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (!g->devargs || !g->ip || !g->stats_path)
		usage();
	size_t name_length = strcspn(g->devargs, ",");
	if (name_length >= sizeof(g->device_name))
		usage();
	memcpy(g->device_name, g->devargs, name_length);
	g->device_name[name_length] = '\0';
}

int main(int argc, char **argv)
{
	static struct guest g;
	int eal_arguments = rte_eal_init(argc, argv);
	if (eal_arguments < 0) {
		fprintf(stderr, "vhost-guest: EAL init failed\n");
		return 1;
	}
	guest_parse(&g, argc - eal_arguments, argv + eal_arguments);
	signal(SIGTERM, guest_on_signal);
	signal(SIGINT, guest_on_signal);
	g.pool = rte_pktmbuf_pool_create("guest_mbufs", GUEST_MBUFS, 128, 0,
					 RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (!g.pool) {
		fprintf(stderr, "vhost-guest: no mbuf pool\n");
		rte_eal_cleanup();
		return 1;
	}
	int status = 0;
	unsigned cycles = g.cycles ? g.cycles : 1;
	for (unsigned c = 0; c < cycles && !guest_stop; c++) {
		if (guest_connect(&g) != 0) {
			status = 1;
			break;
		}
		guest_run(&g, g.cycles ? g.up_ms : 0);
		guest_disconnect(&g);
		if (g.cycles && c + 1 < cycles)
			guest_sleep_ms(g.down_ms);
	}
	if (g.cycles && g.counters[GUEST_connects] != g.cycles)
		status = 1;
	guest_write_stats(&g);
	rte_mempool_free(g.pool);
	rte_eal_cleanup();
	return status;
}

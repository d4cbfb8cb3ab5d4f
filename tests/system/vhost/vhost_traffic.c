/* vhost-traffic: source and sink of 64-byte frames on two net_virtio_user
 * ports, for the vhost benchmark (tests/perf/vhost-bench).
 *
 * One polling thread sends as fast as the source port's ring takes them
 * the same 64-byte UDP frames switch-bench replays (FLOWS flows, flow i
 * from 02:00:00:00:01:ii to 02:00:00:00:02:ii) and drains and frees
 * whatever the sink port receives. Both ports are clients of vhost-user
 * sockets made by the process under test (loom-switch or testpmd with
 * net_vhost ports). One thread for both keeps the benchmark at two busy
 * CPUs: this one and the forwarding lcore measured.
 *
 * Figures (frames sent, received) go to --stats FILE as JSON every
 * 100 ms; SIGTERM ends the run.
 *
 * Usage: vhost-traffic EAL-ARGS -- --source DEVARGS --sink DEVARGS
 *            --stats FILE [--flows N]
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#define TRAFFIC_BURST 32
#define TRAFFIC_MBUFS 8191
#define TRAFFIC_FRAME_LENGTH 60 /* 64 on the wire with the FCS */
#define TRAFFIC_MAX_FLOWS 256

static volatile sig_atomic_t traffic_stop;

static void traffic_on_signal(int signal_number)
{
	(void)signal_number;
	traffic_stop = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: vhost-traffic EAL-ARGS -- --source DEVARGS "
			"--sink DEVARGS --stats FILE [--flows N]\n");
	exit(2);
}

/* Probes devargs and starts the port with one queue each way. */
static int traffic_port(const char *devargs, struct rte_mempool *pool,
			uint16_t *port_id)
{
	char name[64];
	size_t length = strcspn(devargs, ",");
	if (length >= sizeof(name))
		return -1;
	memcpy(name, devargs, length);
	name[length] = '\0';
	if (rte_dev_probe(devargs) != 0 ||
	    rte_eth_dev_get_port_by_name(name, port_id) != 0) {
		fprintf(stderr, "vhost-traffic: cannot probe '%s'\n", devargs);
		return -1;
	}
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure(*port_id, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(*port_id, 0, 1024, 0, NULL, pool) != 0 ||
	    rte_eth_tx_queue_setup(*port_id, 0, 1024, 0, NULL) != 0 ||
	    rte_eth_dev_start(*port_id) != 0) {
		fprintf(stderr, "vhost-traffic: cannot start '%s'\n", devargs);
		return -1;
	}
	return 0;
}

/* Flow i's frame: UDP from 198.18.1.i to 198.18.2.i. */
static void traffic_frame(uint8_t *frame, unsigned flow)
{
	memset(frame, 0, TRAFFIC_FRAME_LENGTH);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;
	uint8_t dst[RTE_ETHER_ADDR_LEN] = {2, 0, 0, 0, 2, (uint8_t)flow};
	uint8_t src[RTE_ETHER_ADDR_LEN] = {2, 0, 0, 0, 1, (uint8_t)flow};
	memcpy(eth->dst_addr.addr_bytes, dst, sizeof(dst));
	memcpy(eth->src_addr.addr_bytes, src, sizeof(src));
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	uint16_t ip_length = TRAFFIC_FRAME_LENGTH - sizeof(*eth);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(ip_length);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(RTE_IPV4(198, 18, 1, flow & 0xff));
	ip->dst_addr = rte_cpu_to_be_32(RTE_IPV4(198, 18, 2, flow & 0xff));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	udp->src_port = rte_cpu_to_be_16((uint16_t)(49152 + flow));
	udp->dst_port = rte_cpu_to_be_16(50000);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(ip_length - sizeof(*ip)));
}

static void traffic_write_stats(const char *path, uint64_t sent,
				uint64_t received)
{
	char temporary[4096];
	snprintf(temporary, sizeof(temporary), "%s.tmp", path);
	FILE *out = fopen(temporary, "w");
	if (!out)
		return;
	fprintf(out, "{\"sent\": %" PRIu64 ", \"received\": %" PRIu64 "}\n",
		sent, received);
	fclose(out);
	rename(temporary, path);
}

int main(int argc, char **argv)
{
	int eal_arguments = rte_eal_init(argc, argv);
	if (eal_arguments < 0) {
		fprintf(stderr, "vhost-traffic: EAL init failed\n");
		return 1;
	}
	argc -= eal_arguments;
	argv += eal_arguments;
	static const struct option options[] = {
		{"source", required_argument, NULL, 'a'},
		{"sink", required_argument, NULL, 'b'},
		{"stats", required_argument, NULL, 's'},
		{"flows", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	const char *source = NULL, *sink = NULL, *stats = NULL;
	unsigned flows = 8;
	int option;
	optind = 1;
	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (option) {
		case 'a': source = optarg; break;
		case 'b': sink = optarg; break;
		case 's': stats = optarg; break;
		case 'f': flows = (unsigned)strtoul(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (!source || !sink || !stats || flows == 0 || flows > TRAFFIC_MAX_FLOWS)
		usage();
	signal(SIGTERM, traffic_on_signal);
	signal(SIGINT, traffic_on_signal);

	int status = 1;
	struct rte_mempool *pool = rte_pktmbuf_pool_create(
		"traffic_mbufs", TRAFFIC_MBUFS, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	uint16_t source_port, sink_port;
	if (!pool || traffic_port(source, pool, &source_port) != 0 ||
	    traffic_port(sink, pool, &sink_port) != 0)
		goto out;

	static uint8_t frames[TRAFFIC_MAX_FLOWS][TRAFFIC_FRAME_LENGTH];
	for (unsigned f = 0; f < flows; f++)
		traffic_frame(frames[f], f);

	uint64_t sent = 0, received = 0, next_stats = 0;
	unsigned flow = 0;
	while (!traffic_stop) {
		struct rte_mbuf *burst[TRAFFIC_BURST];
		if (rte_pktmbuf_alloc_bulk(pool, burst, TRAFFIC_BURST) == 0) {
			for (unsigned i = 0; i < TRAFFIC_BURST; i++) {
				void *data = rte_pktmbuf_append(burst[i],
								TRAFFIC_FRAME_LENGTH);
				memcpy(data, frames[flow], TRAFFIC_FRAME_LENGTH);
				flow = flow + 1 == flows ? 0 : flow + 1;
			}
			uint16_t n = rte_eth_tx_burst(source_port, 0, burst,
						      TRAFFIC_BURST);
			sent += n;
			if (n < TRAFFIC_BURST)
				rte_pktmbuf_free_bulk(&burst[n], TRAFFIC_BURST - n);
		}
		uint16_t n = rte_eth_rx_burst(sink_port, 0, burst, TRAFFIC_BURST);
		received += n;
		rte_pktmbuf_free_bulk(burst, n);
		uint64_t now = rte_get_tsc_cycles();
		if (now >= next_stats) {
			next_stats = now + rte_get_tsc_hz() / 10;
			traffic_write_stats(stats, sent, received);
		}
	}
	traffic_write_stats(stats, sent, received);
	rte_eth_dev_stop(source_port);
	rte_eth_dev_stop(sink_port);
	rte_eth_dev_close(source_port);
	rte_eth_dev_close(sink_port);
	status = 0;
out:
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return status;
}

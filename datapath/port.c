/* Ports: any PMD, made from DPDK devargs (net_pcap, net_af_packet, net_tap,
 * net_memif, net_vhost, a NIC by PCI address). Control thread only. */
/* rte_devargs_reset is still experimental in DPDK 22.11. */
#define ALLOW_EXPERIMENTAL_API
#include "datapath.h"

#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#define PORT_RX_DESCRIPTORS 1024
#define PORT_TX_DESCRIPTORS 1024

/* Finds the ethdev made by devargs: the first port whose device matches,
 * else the port named as the device (a vdev's ethdev has its name). */
static int port_find(const char *devargs, uint16_t *port_id)
{
	struct rte_dev_iterator iterator;
	uint16_t id;
	RTE_ETH_FOREACH_MATCHING_DEV(id, devargs, &iterator) {
		*port_id = id;
		rte_eth_iterator_cleanup(&iterator);
		return 0;
	}
	struct rte_devargs parsed;
	memset(&parsed, 0, sizeof(parsed));
	if (rte_devargs_parse(&parsed, devargs) != 0)
		return -1;
	int rc = rte_eth_dev_get_port_by_name(parsed.name, port_id);
	rte_devargs_reset(&parsed);
	return rc == 0 ? 0 : -1;
}

/* Undoes a probe that made no usable port, so a refused request leaves
 * no device behind. */
static void port_unprobe(const char *devargs)
{
	struct rte_devargs parsed;
	memset(&parsed, 0, sizeof(parsed));
	if (rte_devargs_parse(&parsed, devargs) != 0)
		return;
	if (parsed.bus)
		rte_eal_hotplug_remove(rte_bus_name(parsed.bus), parsed.name);
	rte_devargs_reset(&parsed);
}

/* Removes the device behind a port (a vdev is destroyed, a NIC released). */
static void port_remove_device(struct switch_port *port)
{
	if (port->device) {
		int rc = rte_dev_remove(port->device);
		if (rc != 0)
			fprintf(stderr, "loom-switch: removing device %s: %s\n",
				port->device_name, rte_strerror(-rc));
	}
	port->device = NULL;
	port->device_name[0] = '\0';
}

int port_open(struct loom_switch *sw, struct switch_port *port,
	      const struct port_config *config, bool control_tx, char *err,
	      size_t err_size)
{
	uint16_t port_id;
	int rc;

	if (port_find(config->devargs, &port_id) == 0) {
		snprintf(err, err_size, "port %s: device '%s' is already in use",
			 config->name, config->devargs);
		return -1;
	}
	rc = rte_dev_probe(config->devargs);
	if (rc < 0) {
		snprintf(err, err_size, "port %s: cannot create device from '%s': %s",
			 config->name, config->devargs, rte_strerror(-rc));
		return -1;
	}
	if (port_find(config->devargs, &port_id) != 0) {
		snprintf(err, err_size, "port %s: '%s' made no Ethernet port",
			 config->name, config->devargs);
		port_unprobe(config->devargs);
		return -1;
	}

	struct rte_eth_dev_info info;
	rc = rte_eth_dev_info_get(port_id, &info);
	if (rc != 0) {
		snprintf(err, err_size, "port %s: cannot read device info: %s",
			 config->name, rte_strerror(-rc));
		port_unprobe(config->devargs);
		return -1;
	}
	/* PMDs that copy each frame into its mbuf in rx: its bytes are in
	 * cache when the pipeline reads them. */
	static const char *const rx_copies[] = { "net_pcap", "net_vhost",
						 "net_af_packet", "net_tap" };
	port->rx_data_hot = false;
	for (size_t i = 0; info.driver_name && i < RTE_DIM(rx_copies); i++)
		if (!strcmp(info.driver_name, rx_copies[i]))
			port->rx_data_hot = true;
	port->device = info.device;
	snprintf(port->device_name, sizeof(port->device_name), "%s",
		 rte_dev_name(info.device));

	unsigned workers = sw->n_workers + (control_tx ? 1 : 0);
	/* rx_queues 0: one queue, except where the device's queues are
	 * its traffic's own paths: every queue of a vhost-user port (a
	 * multi-queue guest sends on all it has) and of a pcap port with
	 * several rx files. */
	uint16_t n_rx = config->rx_queues ? (uint16_t)config->rx_queues : 1;
	if (!config->rx_queues && info.driver_name &&
	    (!strcmp(info.driver_name, "net_vhost") ||
	     !strcmp(info.driver_name, "net_pcap")))
		n_rx = info.max_rx_queues;
	if (n_rx > info.max_rx_queues)
		n_rx = info.max_rx_queues;
	uint16_t n_tx = (uint16_t)(workers < info.max_tx_queues ? workers
								: info.max_tx_queues);
	if (n_rx == 0 || n_tx == 0) {
		snprintf(err, err_size, "port %s: device has no queues",
			 config->name);
		goto fail_remove;
	}

	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	if (config->mtu)
		conf.rxmode.mtu = config->mtu;
	rc = rte_eth_dev_configure(port_id, n_rx, n_tx, &conf);
	if (rc != 0) {
		snprintf(err, err_size, "port %s: configure failed: %s",
			 config->name, rte_strerror(-rc));
		goto fail_close;
	}
	uint16_t rxd = PORT_RX_DESCRIPTORS, txd = PORT_TX_DESCRIPTORS;
	rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &rxd, &txd);
	int socket = rte_eth_dev_socket_id(port_id);
	if (socket < 0)
		socket = 0;
	for (uint16_t q = 0; q < n_rx; q++) {
		rc = rte_eth_rx_queue_setup(port_id, q, rxd, (unsigned)socket,
					    NULL, sw->pool);
		if (rc != 0) {
			snprintf(err, err_size, "port %s: rx queue %u: %s",
				 config->name, q, rte_strerror(-rc));
			goto fail_close;
		}
	}
	for (uint16_t q = 0; q < n_tx; q++) {
		rc = rte_eth_tx_queue_setup(port_id, q, txd, (unsigned)socket,
					    NULL);
		if (rc != 0) {
			snprintf(err, err_size, "port %s: tx queue %u: %s",
				 config->name, q, rte_strerror(-rc));
			goto fail_close;
		}
	}
	if (config->mtu && rte_eth_dev_set_mtu(port_id, (uint16_t)config->mtu) != 0) {
		/* Some PMDs (pcap) have no MTU: the configured value still
		 * bounds what the switch accepts, so this is not fatal. */
	}
	rc = rte_eth_dev_start(port_id);
	if (rc != 0) {
		snprintf(err, err_size, "port %s: start failed: %s",
			 config->name, rte_strerror(-rc));
		goto fail_close;
	}
	/* A switch port must see every frame. Not every PMD can be told
	 * (pcap, null): they deliver everything anyway. */
	rte_eth_promiscuous_enable(port_id);

	port->present = true;
	port->port_id = port_id;
	port->n_rx_queues = n_rx;
	port->n_tx_queues = n_tx;
	port->control_tx = control_tx;
	rte_spinlock_init(&port->tx_lock);
	snprintf(port->name, sizeof(port->name), "%s", config->name);
	snprintf(port->devargs, sizeof(port->devargs), "%s", config->devargs);
	port_update_link(port);
	return 0;

fail_close:
	rte_eth_dev_close(port_id);
fail_remove:
	port_remove_device(port);
	return -1;
}

void port_close(struct loom_switch *sw, struct switch_port *port)
{
	(void)sw;
	if (!port->present)
		return;
	rte_eth_dev_stop(port->port_id);
	rte_eth_dev_close(port->port_id);
	port_remove_device(port);
	port->present = false;
}

int port_send_control(struct loom_switch *sw, struct switch_port *port,
		      struct rte_mbuf *m)
{
	/* With a queue of its own the control thread needs no lock; with
	 * fewer queues than workers + 1 it shares one under the lock the
	 * workers also take (datapath_table.ports[].tx_shared). */
	bool own = port->n_tx_queues > sw->n_workers;
	uint16_t queue = own ? (uint16_t)(port->n_tx_queues - 1) : 0;
	if (!own)
		rte_spinlock_lock(&port->tx_lock);
	uint16_t sent = rte_eth_tx_burst(port->port_id, queue, &m, 1);
	if (!own)
		rte_spinlock_unlock(&port->tx_lock);
	if (!sent) {
		rte_pktmbuf_free(m);
		return -1;
	}
	return 0;
}

/* af_packet's PMD reports its link up from start to stop, whatever the
 * interface does; the kernel knows better: "up" or "unknown" (no carrier
 * notion) in /sys/class/net/IFACE/operstate, read in the switch's own
 * network namespace. Anything else (down, lowerlayerdown: a veth whose
 * peer is gone or down) is a link down. -1 if it cannot be told. */
static int af_packet_operstate_up(const struct switch_port *port)
{
	if (strncmp(port->device_name, "net_af_packet", 13))
		return -1;
	const char *iface = strstr(port->devargs, "iface=");
	if (!iface)
		return -1;
	iface += 6;
	size_t length = strcspn(iface, ",");
	char path[96], state[32] = "";
	if (length == 0 || length > 15)
		return -1;
	snprintf(path, sizeof(path), "/sys/class/net/%.*s/operstate",
		 (int)length, iface);
	FILE *file = fopen(path, "r");
	if (!file)
		return 0; /* the interface is gone */
	bool read = fgets(state, sizeof(state), file) != NULL;
	fclose(file);
	if (!read)
		return -1;
	return strncmp(state, "up", 2) == 0 || strncmp(state, "unknown", 7) == 0;
}

void port_update_link(struct switch_port *port)
{
	struct rte_eth_link link;
	memset(&link, 0, sizeof(link));
	if (rte_eth_link_get_nowait(port->port_id, &link) == 0) {
		port->link.up = link.link_status == RTE_ETH_LINK_UP;
		port->link.speed = link.link_speed;
	}
	int kernel = af_packet_operstate_up(port);
	if (kernel >= 0)
		port->link.up = port->link.up && kernel;
}

/* datapath: loom-switch's DPDK side: EAL, ports made from devargs, the
 * mbuf pool, worker lcores and their poll loops, the control thread that
 * applies configuration, the control socket, capture and telemetry.
 *
 * Threads and who touches what:
 *  - The control thread (the EAL main lcore) owns `struct loom_switch`: the
 *    running configuration, the id maps, the ports. It is the only writer of
 *    everything here except the FDB (workers learn) and the per-worker
 *    counters (each worker writes its own).
 *  - Worker lcores read only the published `struct datapath_table` (RCU:
 *    each worker reports a quiescent state once per loop iteration, after
 *    draining its tx buffers when it sees a new table) and write their own
 *    `struct worker` and counters.
 *  - The telemetry thread reads counters and, under `state_lock`, the
 *    control thread's names.
 */
#ifndef LOOM_DATAPATH_H
#define LOOM_DATAPATH_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>

#include <rte_dev.h>
#include <rte_rcu_qsbr.h>
#include <rte_spinlock.h>

#include "switch_config.h"
#include "vswitch.h"

#define DATAPATH_MAX_WORKERS 63
#define DATAPATH_MAX_RX_PER_WORKER 64

struct capture;

/* What a worker polls. */
struct worker_rx {
	uint16_t port;  /* switch port index */
	uint16_t port_id; /* DPDK port id */
	uint16_t queue;
};

/* Published to workers; immutable once published. */
struct datapath_table {
	uint64_t version;
	struct vswitch_table *vswitch;
	struct vxlan_tunnel_table *vxlan; /* owned; NULL without a VTEP */
	struct fdb *fdb;
	struct {
		bool present;
		uint16_t port_id;
		bool tx_shared;              /* fewer tx queues than workers */
		rte_spinlock_t *tx_lock;     /* when tx_shared */
		uint16_t tx_queue[DATAPATH_MAX_WORKERS];
		struct capture *capture_rx;  /* NULL = off: one test per burst */
		struct capture *capture_tx;
	} ports[VSWITCH_MAX_PORTS];
	struct {
		unsigned n_rx;
		struct worker_rx rx[DATAPATH_MAX_RX_PER_WORKER];
	} workers[DATAPATH_MAX_WORKERS];
};

/* One worker lcore. Written by that worker only (counters, buffers);
 * `stop` written by the control thread. */
struct worker {
	unsigned index;
	unsigned lcore;
	struct loom_switch *sw;
	struct vswitch_context context;
	struct vswitch_counters *counters;
	const struct datapath_table *table;
	/* The tx buffers are the pipeline's output, context.out: frames wait
	 * there, with their bytes summed when they were buffered (a PMD may
	 * free an mbuf as soon as it is sent), until a full burst is sent or
	 * the drain timer fires. */
	/* Cycle accounting: cycles spent on bursts that carried packets. */
	uint64_t busy_cycles;
	uint64_t packets;
	uint64_t idle_sleeps;
	uint64_t iterations;
	int tid;  /* Linux thread id, for on-CPU time in /proc */
	volatile bool stop;
} __rte_cache_aligned;

/* A port as the control thread knows it. */
struct switch_port {
	bool present;
	uint16_t index;
	uint16_t port_id;
	char name[SWITCH_NAME_MAX];
	char devargs[SWITCH_DEVARGS_MAX];
	struct rte_device *device;
	char device_name[RTE_DEV_NAME_MAX_LEN];
	uint16_t n_rx_queues;
	uint16_t n_tx_queues;
	bool control_tx;       /* the last tx queue is the control thread's */
	bool rx_data_hot;      /* the PMD copies frames in rx (vswitch_port) */
	rte_spinlock_t tx_lock;
	struct capture *capture_rx;
	struct capture *capture_tx;
	struct switch_port_link {
		bool up;
		uint32_t speed;
	} link;
};

struct id_map; /* name -> stable id (switch.c) */

struct loom_switch {
	struct switch_config config;   /* running configuration */
	struct switch_port ports[VSWITCH_MAX_PORTS];
	unsigned n_workers;
	struct worker *workers[DATAPATH_MAX_WORKERS];
	struct rte_mempool *pool;
	struct rte_mempool *capture_pool;
	struct rte_rcu_qsbr *rcu;
	struct datapath_table *published;  /* read by workers */
	struct fdb *fdb;
	struct id_map *bd_ids;
	struct id_map *member_ids;
	uint64_t table_version;
	uint32_t clock_seconds;     /* the FDB clock */
	uint64_t start_tsc;
	/* Held by the control thread while it changes or reads its state,
	 * and by the telemetry thread while it reads; never by workers.
	 * switch_apply expects its caller to hold it once workers run. */
	pthread_mutex_t state_lock;
	volatile bool stopping;
	char config_path[SWITCH_PATH_MAX];
	int control_listen_fd;
	/* The VTEP's control side (vxlan.h): routes from the configuration,
	 * neighbours learned from ARP replies that workers punt, resolved
	 * into the tunnel table of each published table. */
	struct vxlan_neighbour_table *neighbours;
	struct vxlan_route_table *routes;
	struct rte_ring *punt;       /* workers -> control thread */
	uint64_t next_neighbour_tick; /* TSC */
	uint64_t next_unresolved_retry; /* TSC */
	bool republish;              /* a neighbour changed: rebuild tables */
	/* Static MACs now in the FDB: (key, member) pairs. */
	size_t n_static;
	struct { uint64_t key; uint16_t member; } *statics;
};

/* ---- eal.c ---- */
/* Starts the EAL from the configuration's eal section. */
int datapath_eal_start(const struct switch_config *config, const char *argv0,
		       char *err, size_t err_size);

/* ---- switch.c: lifecycle and configuration ---- */
struct loom_switch *switch_create(const struct switch_config *config,
				  char *err, size_t err_size);
/* Converges the running state to `desired` (ports, BDs, members, static
 * MACs, FDB settings). On error nothing changed and err says why. */
int switch_apply(struct loom_switch *sw, const struct switch_config *desired,
		 char *err, size_t err_size);
void switch_destroy(struct loom_switch *sw);
/* One-second tick of the control thread: clock (system mode) and aging. */
void switch_tick(struct loom_switch *sw);
/* Manual clock: advance by seconds, then age. */
void switch_clock_advance(struct loom_switch *sw, uint32_t seconds);
/* Control loop, often: neighbours learned by workers, ARP probes, and a
 * table rebuild when a next hop's MAC or a port's link changed. */
void switch_poll(struct loom_switch *sw);

/* Lookups for the control socket. */
int switch_port_by_name(const struct loom_switch *sw, const char *name);
uint16_t switch_member_of(const struct loom_switch *sw, const char *bd,
			  const struct member_config *member);
uint16_t switch_member_id(const struct loom_switch *sw, const char *bd,
			  const char *port, uint16_t vid);
uint16_t switch_bd_id(const struct loom_switch *sw, const char *bd);

/* Sum of every worker's counters. */
void switch_sum_drops(const struct loom_switch *sw,
		      uint64_t drops[VSWITCH_DROP_MAX]);
void switch_sum_port(const struct loom_switch *sw, uint16_t port,
		     uint64_t out[VSWITCH_PORT_COUNTER_MAX]);
void switch_sum_bd(const struct loom_switch *sw, uint16_t bd,
		   uint64_t out[VSWITCH_BD_COUNTER_MAX]);
void switch_sum_member(const struct loom_switch *sw, uint16_t member,
		       uint64_t out[VSWITCH_MEMBER_COUNTER_MAX]);

/* ---- port.c ---- */
/* control_tx: one more tx queue for the control thread (the VTEP's
 * underlay port sends ARP requests from it). */
int port_open(struct loom_switch *sw, struct switch_port *port,
	      const struct port_config *config, bool control_tx, char *err,
	      size_t err_size);
/* Sends one frame from the control thread (on the port's control queue,
 * or the shared one under the port's lock). Consumes m. */
int port_send_control(struct loom_switch *sw, struct switch_port *port,
		      struct rte_mbuf *m);
void port_close(struct loom_switch *sw, struct switch_port *port);
void port_update_link(struct switch_port *port);

/* ---- worker.c ---- */
int worker_main(void *arg);

/* ---- capture.c ---- */
enum capture_direction { CAPTURE_RX = 1, CAPTURE_TX = 2 };
int capture_start(struct loom_switch *sw, uint16_t port, unsigned directions,
		  const char *path, uint64_t max_packets, uint64_t max_bytes,
		  char *err, size_t err_size);
int capture_stop(struct loom_switch *sw, uint16_t port);
/* Control thread: write queued frames; stop captures at their bound. */
void capture_poll(struct loom_switch *sw);
/* Worker: copy a burst into the capture (bounded, lossy when full). */
void capture_burst(struct capture *capture, struct rte_mbuf **pkts, uint16_t n);
struct json_t;
struct json_t *capture_status(const struct loom_switch *sw, uint16_t port);

/* ---- control_socket.c ---- */
int control_socket_open(struct loom_switch *sw, char *err, size_t err_size);
/* Serves requests until SIGINT/SIGTERM; runs ticks and capture polls. */
int control_loop(struct loom_switch *sw);
/* Handles one request (also used by tests and fuzzing): returns a new
 * reply object. */
struct json_t *control_handle(struct loom_switch *sw, const char *request,
			      size_t length);

/* ---- telemetry.c ---- */
void telemetry_register(struct loom_switch *sw);

#endif

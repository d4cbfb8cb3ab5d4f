/* The worker lcore loop: the fast path.
 *
 *   loop:
 *     if a new table was published: drain tx buffers (they name ports of the
 *       old table), then take the new one;
 *     report a quiescent state (RCU);
 *     for each rx queue of this worker: rx burst, vswitch_process (its
 *       output is the per-port tx buffer), send full buffers;
 *     every drain period (by TSC): send what is buffered;
 *     after many empty polls: sleep, doubling up to idle_sleep_max_us.
 *
 * No allocation (flood copies come from the pool), no lock (except a shared
 * tx queue's, per burst, and the FDB's bucket lock on learning), no syscall
 * except the idle sleep.
 */
#include "datapath.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

/* Empty polls before the first sleep: enough to ride out short gaps
 * between bursts without paying a syscall. */
#define WORKER_IDLE_POLLS 256

/* Sends what the port's output buffer holds (it is not empty). */
static void worker_send(struct worker *w, const struct datapath_table *table,
			uint16_t port)
{
	struct vswitch_output *out = &w->context.out;
	uint16_t n = out->count[port];
	uint64_t bytes = out->bytes[port];
	out->count[port] = 0;
	out->bytes[port] = 0;
	out->dirty &= ~(UINT64_C(1) << port);
	const typeof(table->ports[0]) *p = &table->ports[port];
	struct rte_mbuf **pkts = out->pkts[port];
	if (unlikely(p->capture_tx))
		capture_burst(p->capture_tx, pkts, n);
	uint16_t queue = p->tx_queue[w->index];
	if (unlikely(p->tx_shared))
		rte_spinlock_lock(p->tx_lock);
	uint16_t sent = rte_eth_tx_burst(p->port_id, queue, pkts, n);
	/* Retry a few times: a PMD may accept a burst in parts. */
	for (int tries = 1; unlikely(sent < n) && tries < 4; tries++)
		sent += rte_eth_tx_burst(p->port_id, queue, pkts + sent,
					 (uint16_t)(n - sent));
	if (unlikely(p->tx_shared))
		rte_spinlock_unlock(p->tx_lock);
	uint64_t *pc = w->counters->port[port];
	pc[VSWITCH_PORT_tx_packets] += sent;
	if (unlikely(sent < n)) {
		w->counters->drops[VSWITCH_DROP_tx_full] += n - sent;
		pc[VSWITCH_PORT_drops] += n - sent;
		for (uint16_t i = sent; i < n; i++)
			bytes -= rte_pktmbuf_pkt_len(pkts[i]);
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
	pc[VSWITCH_PORT_tx_bytes] += bytes;
}

static void worker_drain(struct worker *w, const struct datapath_table *table)
{
	uint64_t dirty = w->context.out.dirty;
	while (dirty) {
		uint16_t port = (uint16_t)__builtin_ctzll(dirty);
		dirty &= dirty - 1;
		worker_send(w, table, port);
	}
}

/* After a burst: sends the ports that have a full burst buffered, so that
 * every port has room for the next call's output (VSWITCH_OUTPUT_MAX). */
static inline void worker_send_full(struct worker *w,
				    const struct datapath_table *table)
{
	struct vswitch_output *out = &w->context.out;
	uint64_t dirty = out->dirty;
	while (dirty) {
		uint16_t port = (uint16_t)__builtin_ctzll(dirty);
		dirty &= dirty - 1;
		if (out->count[port] >= VSWITCH_BURST)
			worker_send(w, table, port);
	}
}

int worker_main(void *arg)
{
	struct worker *w = arg;
	struct loom_switch *sw = w->sw;
	const struct datapath_config *dc = &sw->config.datapath;
	uint16_t burst = (uint16_t)(dc->rx_burst && dc->rx_burst <= VSWITCH_BURST
					    ? dc->rx_burst : VSWITCH_BURST);
	uint64_t hz = rte_get_tsc_hz();
	uint64_t drain_cycles = hz / 1000000 * (dc->drain_us ? dc->drain_us : 100);
	uint32_t sleep_max_us = dc->idle_sleep_max_us;
	uint64_t last_drain = rte_rdtsc();
	unsigned empty_polls = 0;
	uint32_t sleep_us = 1;

	w->tid = (int)syscall(SYS_gettid);
	rte_rcu_qsbr_thread_register(sw->rcu, w->index);
	rte_rcu_qsbr_thread_online(sw->rcu, w->index);

	uint64_t start = rte_rdtsc();
	bool busy = false;
	while (!w->stop) {
		/* Buffered frames name ports of the table they were switched
		 * under, so a quiescent state is reported (and a newer table
		 * taken) only when nothing is buffered; the drain period
		 * bounds how long a grace period waits. */
		if (w->context.out.dirty == 0) {
			rte_rcu_qsbr_quiescent(sw->rcu, w->index);
			w->table = __atomic_load_n(&sw->published,
						   __ATOMIC_ACQUIRE);
		}
		const struct datapath_table *table = w->table;
		w->context.fdb = table->fdb;
		w->iterations++;

		/* One TSC read per iteration serves the busy-cycle count
		 * (of the previous iteration), the policers' clock and the
		 * drain timer. */
		uint64_t now = rte_rdtsc();
		if (busy)
			w->busy_cycles += now - start;
		start = now;
		w->context.now = now;
		uint32_t received = 0;
		for (unsigned r = 0; r < table->workers[w->index].n_rx; r++) {
			const struct worker_rx *rx = &table->workers[w->index].rx[r];
			struct rte_mbuf *pkts[VSWITCH_BURST];
			uint16_t n = rte_eth_rx_burst(rx->port_id, rx->queue, pkts,
						      burst);
			if (n == 0)
				continue;
			received += n;
			if (unlikely(table->ports[rx->port].capture_rx))
				capture_burst(table->ports[rx->port].capture_rx,
					      pkts, n);
			vswitch_process(&w->context, table->vswitch, rx->port,
					pkts, n);
			worker_send_full(w, table);
		}
		w->packets += received;
		busy = received != 0;

		if (now - last_drain >= drain_cycles) {
			worker_drain(w, table);
			last_drain = now;
		}

		if (received) {
			empty_polls = 0;
			sleep_us = 1;
		} else if (sleep_max_us && ++empty_polls >= WORKER_IDLE_POLLS) {
			worker_drain(w, table);
			/* Offline while asleep: a grace period need not wait. */
			rte_rcu_qsbr_thread_offline(sw->rcu, w->index);
			rte_delay_us_sleep(sleep_us);
			rte_rcu_qsbr_thread_online(sw->rcu, w->index);
			w->idle_sleeps++;
			if (sleep_us < sleep_max_us)
				sleep_us = sleep_us * 2 > sleep_max_us ? sleep_max_us
								       : sleep_us * 2;
			start = rte_rdtsc();
		}
	}
	if (w->table)
		worker_drain(w, w->table);
	rte_rcu_qsbr_thread_offline(sw->rcu, w->index);
	rte_rcu_qsbr_thread_unregister(sw->rcu, w->index);
	return 0;
}

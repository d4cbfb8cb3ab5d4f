/* DPDK telemetry: loom-switch's counters readable with dpdk-telemetry.py
 * (`/loom/drops`, `/loom/ports`, `/loom/bridge_domains`, `/loom/workers`).
 * The handlers run on the telemetry thread and read under state_lock. */
#include "datapath.h"

#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

static struct loom_switch *telemetry_switch;

static int telemetry_drops(const char *cmd, const char *params,
			   struct rte_tel_data *data)
{
	(void)cmd, (void)params;
	uint64_t drops[VSWITCH_DROP_MAX];
	switch_sum_drops(telemetry_switch, drops);
	rte_tel_data_start_dict(data);
	for (unsigned i = 0; i < VSWITCH_DROP_MAX; i++)
		rte_tel_data_add_dict_u64(data, vswitch_drop_names[i], drops[i]);
	return 0;
}

/* /loom/ports,NAME: one port's counters; without a name, the port list. */
static int telemetry_ports(const char *cmd, const char *params,
			   struct rte_tel_data *data)
{
	(void)cmd;
	struct loom_switch *sw = telemetry_switch;
	pthread_mutex_lock(&sw->state_lock);
	int port = params && params[0] ? switch_port_by_name(sw, params) : -1;
	if (params && params[0] && port < 0) {
		pthread_mutex_unlock(&sw->state_lock);
		return -1;
	}
	if (port < 0) {
		rte_tel_data_start_array(data, RTE_TEL_STRING_VAL);
		for (uint16_t p = 0; p < VSWITCH_MAX_PORTS; p++)
			if (sw->ports[p].present)
				rte_tel_data_add_array_string(data, sw->ports[p].name);
	} else {
		uint64_t counters[VSWITCH_PORT_COUNTER_MAX];
		switch_sum_port(sw, (uint16_t)port, counters);
		rte_tel_data_start_dict(data);
		for (unsigned i = 0; i < VSWITCH_PORT_COUNTER_MAX; i++)
			rte_tel_data_add_dict_u64(data, vswitch_port_counter_names[i],
						  counters[i]);
	}
	pthread_mutex_unlock(&sw->state_lock);
	return 0;
}

/* /loom/bridge_domains,NAME: one BD's counters; without a name, the list. */
static int telemetry_bridge_domains(const char *cmd, const char *params,
				    struct rte_tel_data *data)
{
	(void)cmd;
	struct loom_switch *sw = telemetry_switch;
	pthread_mutex_lock(&sw->state_lock);
	int rc = 0;
	if (!params || !params[0]) {
		rte_tel_data_start_array(data, RTE_TEL_STRING_VAL);
		for (size_t b = 0; b < sw->config.n_bds; b++)
			rte_tel_data_add_array_string(data, sw->config.bds[b].name);
	} else {
		uint16_t bd = switch_bd_id(sw, params);
		if (!bd) {
			rc = -1;
		} else {
			uint64_t counters[VSWITCH_BD_COUNTER_MAX];
			switch_sum_bd(sw, bd, counters);
			rte_tel_data_start_dict(data);
			for (unsigned i = 0; i < VSWITCH_BD_COUNTER_MAX; i++)
				rte_tel_data_add_dict_u64(
					data, vswitch_bd_counter_names[i], counters[i]);
			rte_tel_data_add_dict_u64(data, "fdb_entries",
						  fdb_count_bd(sw->fdb, bd));
		}
	}
	pthread_mutex_unlock(&sw->state_lock);
	return rc;
}

static int telemetry_workers(const char *cmd, const char *params,
			     struct rte_tel_data *data)
{
	(void)cmd, (void)params;
	struct loom_switch *sw = telemetry_switch;
	rte_tel_data_start_dict(data);
	for (unsigned w = 0; w < sw->n_workers; w++) {
		char key[64];
		const struct worker *worker = sw->workers[w];
		snprintf(key, sizeof(key), "worker%u_packets", w);
		rte_tel_data_add_dict_u64(data, key, worker->packets);
		snprintf(key, sizeof(key), "worker%u_busy_cycles", w);
		rte_tel_data_add_dict_u64(data, key, worker->busy_cycles);
		snprintf(key, sizeof(key), "worker%u_cycles_per_packet", w);
		rte_tel_data_add_dict_u64(data, key,
					  worker->packets ? worker->busy_cycles /
								    worker->packets
							  : 0);
	}
	return 0;
}

void telemetry_register(struct loom_switch *sw)
{
	telemetry_switch = sw;
	rte_telemetry_register_cmd("/loom/drops", telemetry_drops,
				   "Drops by reason, summed over workers");
	rte_telemetry_register_cmd("/loom/ports", telemetry_ports,
				   "Port names; with a name, its counters");
	rte_telemetry_register_cmd("/loom/bridge_domains", telemetry_bridge_domains,
				   "Bridge domain names; with a name, its counters");
	rte_telemetry_register_cmd("/loom/workers", telemetry_workers,
				   "Per worker: packets, busy cycles, cycles per packet");
}

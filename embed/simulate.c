/* The online simulator and its metrics (embed.h section 7). */
#include "embed_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Departures: a binary min-heap on (time, request id). */
struct departure {
	double time;
	uint32_t id;
};

struct departures {
	struct departure *items;
	uint32_t count, capacity;
};

static bool departure_before(const struct departure *a,
			     const struct departure *b)
{
	return a->time < b->time || (a->time == b->time && a->id < b->id);
}

static int departures_push(struct departures *heap, struct departure item)
{
	if (heap->count == heap->capacity) {
		uint32_t capacity = heap->capacity ? heap->capacity * 2 : 64;
		void *grown = realloc(heap->items, capacity * sizeof(item));
		if (!grown)
			return -ENOMEM;
		heap->items = grown;
		heap->capacity = capacity;
	}
	uint32_t i = heap->count++;
	while (i > 0 && departure_before(&item, &heap->items[(i - 1) / 2])) {
		heap->items[i] = heap->items[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap->items[i] = item;
	return 0;
}

static struct departure departures_pop(struct departures *heap)
{
	struct departure top = heap->items[0];
	struct departure last = heap->items[--heap->count];
	uint32_t i = 0;
	for (;;) {
		uint32_t child = 2 * i + 1;
		if (child >= heap->count)
			break;
		if (child + 1 < heap->count &&
		    departure_before(&heap->items[child + 1], &heap->items[child]))
			child++;
		if (!departure_before(&heap->items[child], &last))
			break;
		heap->items[i] = heap->items[child];
		i = child;
	}
	if (heap->count)
		heap->items[i] = last;
	return top;
}

/* Time integrals over [0, horizon]. */
struct integrals {
	double now;
	double horizon;
	double live_revenue, live_cost;
	embed_amount used_cpu, used_bandwidth;
	double revenue, cost, cpu, bandwidth;
};

static void advance(struct integrals *state, double time)
{
	double until = fmin(time, state->horizon);
	if (until > state->now) {
		double span = until - state->now;
		state->revenue += state->live_revenue * span;
		state->cost += state->live_cost * span;
		state->cpu += embed_amount_to_double(state->used_cpu) * span;
		state->bandwidth +=
			embed_amount_to_double(state->used_bandwidth) * span;
		state->now = until;
	}
}

static embed_amount bandwidth_hops(const struct embed_mapping *mapping)
{
	embed_amount total = 0;
	for (uint32_t f = 0; f < mapping->flow_count; f++)
		total += mapping->flows[f].bandwidth *
			 (embed_amount)mapping->flows[f].hop_count;
	return total;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void progress(const char *label, uint32_t done, uint32_t total,
		     uint32_t accepted)
{
	const int width = 30;
	int filled = total ? (int)((uint64_t)done * width / total) : width;
	fprintf(stderr, "\r%-16.16s [", label ? label : "");
	for (int i = 0; i < width; i++)
		fputc(i < filled ? '#' : ' ', stderr);
	fprintf(stderr, "] %3u%%  accepted %5.1f%%",
		total ? (unsigned)((uint64_t)done * 100 / total) : 100,
		done ? 100.0 * accepted / done : 0.0);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

void embed_simulation_free(struct embed_simulation *result)
{
	free(result->samples);
	free(result->accepted);
	free(result->request_cost);
	memset(result, 0, sizeof(*result));
}

int embed_simulate(const struct embed_workload *workload,
		   struct embedder *embedder,
		   const struct embed_simulation_options *options,
		   struct embed_simulation *result)
{
	static const struct embed_simulation_options defaults = { .check = true };
	if (!options)
		options = &defaults;
	memset(result, 0, sizeof(*result));
	const struct substrate *substrate = workload->substrate;
	uint32_t count = workload->request_count;
	struct embed_residual *residual = embed_residual_create(substrate);
	struct embed_checker *checker =
		options->check ? embed_checker_create(substrate) : NULL;
	struct embed_mapping *mappings = calloc(count + 1, sizeof(*mappings));
	double *times = malloc((count + 1) * sizeof(double));
	struct departures heap = { 0 };
	result->samples = calloc(count + 1, sizeof(*result->samples));
	result->accepted = calloc(count + 1, sizeof(bool));
	result->request_cost = calloc(count + 1, sizeof(double));
	int status = 0;
	if (!residual || (options->check && !checker) || !mappings || !times ||
	    !result->samples || !result->accepted || !result->request_cost) {
		status = -ENOMEM;
		goto out;
	}
	struct integrals state = { .horizon = workload->horizon };
	embed_amount total_cpu = 0, total_bandwidth = 0;
	for (uint32_t n = 0; n < substrate->node_count; n++)
		total_cpu += residual->cpu_capacity[n];
	for (uint32_t l = 0; l < substrate->link_count; l++)
		total_bandwidth += residual->bandwidth_capacity[l];
	embed_amount weighted_hops = 0, accepted_bandwidth = 0;
	char detail[256];
#define VIOLATION(expression)                                                 \
	do {                                                                  \
		enum embed_violation found = (expression);                    \
		if (found && !result->violation) {                            \
			result->violation = found;                            \
			snprintf(result->violation_detail,                    \
				 sizeof(result->violation_detail), "%s",      \
				 detail);                                     \
		}                                                             \
	} while (0)

	/* Departure of the request at the top of the heap. */
#define DEPART()                                                              \
	do {                                                                  \
		struct departure leaving = departures_pop(&heap);             \
		advance(&state, leaving.time);                                \
		const struct embed_request *gone =                            \
			workload->requests[leaving.id];                       \
		embed_residual_release(residual, gone, &mappings[leaving.id]);\
		state.live_revenue -= embed_request_revenue(gone);            \
		state.live_cost -= result->request_cost[leaving.id];          \
		if (checker) {                                                \
			VIOLATION(embed_checker_depart(checker, gone,         \
						       &mappings[leaving.id], \
						       detail,                \
						       sizeof(detail)));      \
			VIOLATION(embed_checker_compare(checker, residual,    \
							detail,               \
							sizeof(detail)));     \
		}                                                             \
		state.used_cpu = total_cpu;                                   \
		state.used_bandwidth = total_bandwidth;                       \
		for (uint32_t n = 0; n < substrate->node_count; n++)          \
			state.used_cpu -= residual->cpu[n];                   \
		for (uint32_t l = 0; l < substrate->link_count; l++)          \
			state.used_bandwidth -= residual->bandwidth[l];       \
	} while (0)

	for (uint32_t i = 0; i < count; i++) {
		const struct embed_request *request = workload->requests[i];
		if (request->id != i) {
			status = -EINVAL; /* ids must be positions */
			goto out;
		}
		/* Departures first at equal times. */
		while (heap.count && heap.items[0].time <= request->arrival)
			DEPART();
		advance(&state, request->arrival);
		struct timespec start, stop;
		clock_gettime(CLOCK_MONOTONIC, &start);
		int embedded = embedder_embed(embedder, residual, request,
					      &mappings[i]);
		clock_gettime(CLOCK_MONOTONIC, &stop);
		times[i] = (double)(stop.tv_sec - start.tv_sec) * 1e3 +
			   (double)(stop.tv_nsec - start.tv_nsec) / 1e6;
		result->metrics.arrived++;
		if (embedded == 0) {
			if (checker)
				VIOLATION(embed_checker_validate(
					checker, request, &mappings[i], false,
					detail, sizeof(detail)));
			int committed = embed_residual_commit(residual, request,
							      &mappings[i]);
			if (committed) {
				snprintf(detail, sizeof(detail),
					 "request %u: commit refused the "
					 "algorithm's mapping (%s)",
					 i, strerror(-committed));
				VIOLATION(EMBED_VIOLATION_RESIDUAL);
				embedded = -ENOSPC;
			}
		}
		if (embedded == 0) {
			if (checker) {
				VIOLATION(embed_checker_arrive(checker, request,
							       &mappings[i], true,
							       detail,
							       sizeof(detail)));
				VIOLATION(embed_checker_compare(
					checker, residual, detail,
					sizeof(detail)));
			}
			double revenue = embed_request_revenue(request);
			double cost = embed_mapping_cost(request, &mappings[i]);
			result->accepted[i] = true;
			result->request_cost[i] = cost;
			result->metrics.accepted++;
			result->metrics.revenue += revenue;
			result->metrics.cost += cost;
			state.live_revenue += revenue;
			state.live_cost += cost;
			weighted_hops += bandwidth_hops(&mappings[i]);
			for (uint32_t k = 0; k < request->link_count; k++)
				accepted_bandwidth += request->links[k].bandwidth;
			for (uint32_t v = 0; v < request->node_count; v++)
				state.used_cpu += request->nodes[v].cpu;
			for (uint32_t f = 0; f < mappings[i].flow_count; f++)
				state.used_bandwidth +=
					mappings[i].flows[f].bandwidth *
					(embed_amount)mappings[i].flows[f].hop_count;
			status = departures_push(
				&heap, (struct departure){
					       request->arrival + request->lifetime,
					       i });
			if (status)
				goto out;
		} else if (embedded == -ENOSPC || embedded == -ENOTSUP) {
			result->metrics.rejected++;
			embed_mapping_free(&mappings[i]);
		} else {
			status = embedded;
			goto out;
		}
		struct embed_sample *sample = &result->samples[result->sample_count++];
		sample->time = request->arrival;
		sample->acceptance = (double)result->metrics.accepted /
				     result->metrics.arrived;
		sample->long_term_revenue = state.now > 0 ?
			state.revenue / state.now : 0;
		if (options->progress &&
		    (i + 1 == count || (i % (count / 100 + 1)) == 0))
			progress(options->label, i + 1, count,
				 result->metrics.accepted);
	}
	while (heap.count)
		DEPART();
	advance(&state, state.horizon);
	if (checker)
		VIOLATION(embed_checker_empty(checker, detail, sizeof(detail)));
	if (!embed_residual_is_full(residual) && !result->violation) {
		result->violation = EMBED_VIOLATION_LEAK;
		snprintf(result->violation_detail,
			 sizeof(result->violation_detail),
			 "residual state not back to full capacity");
	}
#undef DEPART
#undef VIOLATION

	struct embed_metrics *metrics = &result->metrics;
	metrics->horizon = state.horizon;
	metrics->acceptance = metrics->arrived ?
		(double)metrics->accepted / metrics->arrived : 0;
	metrics->long_term_revenue =
		state.horizon > 0 ? state.revenue / state.horizon : 0;
	metrics->long_term_rc = state.cost > 0 ? state.revenue / state.cost : 0;
	metrics->node_utilization =
		state.horizon > 0 && total_cpu ?
			state.cpu / (embed_amount_to_double(total_cpu) *
				     state.horizon) :
			0;
	metrics->link_utilization =
		state.horizon > 0 && total_bandwidth ?
			state.bandwidth /
				(embed_amount_to_double(total_bandwidth) *
				 state.horizon) :
			0;
	metrics->mean_hops = accepted_bandwidth ?
		(double)weighted_hops / (double)accepted_bandwidth : 0;
	if (count) {
		double sum = 0;
		for (uint32_t i = 0; i < count; i++)
			sum += times[i];
		metrics->ms_mean = sum / count;
		qsort(times, count, sizeof(double), compare_doubles);
		/* nearest rank: the smallest time >= 99% of the times */
		uint32_t rank = (uint32_t)ceil(0.99 * count);
		metrics->ms_p99 = times[rank ? rank - 1 : 0];
	}
out:
	if (mappings)
		for (uint32_t i = 0; i < count; i++)
			embed_mapping_free(&mappings[i]);
	free(mappings);
	free(times);
	free(heap.items);
	embed_checker_free(checker);
	embed_residual_free(residual);
	if (status)
		embed_simulation_free(result);
	return status;
}

/* Synthetic substrates with a seed: Waxman, Barabási–Albert, grid,
 * leaf-spine. The PRNG is our own (splitmix64 seeding xoshiro256**, both
 * public-domain algorithms by Vigna and Blackman) so a seed gives the same
 * substrate on every machine and libc. Floating point stays in plain
 * IEEE double operations plus exp and sqrt, which are correctly rounded or
 * identical across glibc builds for the same inputs. */
#include "topo_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- PRNG --------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void topo_random_seed(struct topo_random *random, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		random->state[i] = splitmix64(&seed);
}

static inline uint64_t rotate_left(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t topo_random_next(struct topo_random *random)
{
	uint64_t *s = random->state;
	uint64_t result = rotate_left(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotate_left(s[3], 45);
	return result;
}

double topo_random_unit(struct topo_random *random)
{
	return (double)(topo_random_next(random) >> 11) * 0x1.0p-53;
}

double topo_random_uniform(struct topo_random *random, double minimum,
			   double maximum)
{
	if (maximum <= minimum)
		return minimum;
	double value = minimum + (maximum - minimum) * topo_random_unit(random);
	return value > maximum ? maximum : value;
}

uint64_t topo_random_below(struct topo_random *random, uint64_t bound)
{
	/* Reject the low values that would make some results more likely. */
	uint64_t threshold = -bound % bound;
	for (;;) {
		uint64_t value = topo_random_next(random);
		if (value >= threshold)
			return value % bound;
	}
}

/* ---- Shared ------------------------------------------------------------- */

struct generator {
	struct substrate *substrate;
	struct generator_capacities capacities;
	struct topo_random random;
};

static bool generator_init(struct generator *generator, const char *name,
			   const struct generator_capacities *capacities,
			   uint64_t seed)
{
	struct generator_capacities defaults = {
		.cpu_minimum = 50,      .cpu_maximum = 100,
		.bandwidth_minimum = 50, .bandwidth_maximum = 100,
		.latency_minimum = 1,    .latency_maximum = 5,
	};
	generator->capacities = capacities ? *capacities : defaults;
	struct generator_capacities *c = &generator->capacities;
	if (c->cpu_minimum == 0 && c->cpu_maximum == 0) {
		c->cpu_minimum = defaults.cpu_minimum;
		c->cpu_maximum = defaults.cpu_maximum;
	}
	if (c->bandwidth_minimum == 0 && c->bandwidth_maximum == 0) {
		c->bandwidth_minimum = defaults.bandwidth_minimum;
		c->bandwidth_maximum = defaults.bandwidth_maximum;
	}
	if (c->latency_minimum == 0 && c->latency_maximum == 0) {
		c->latency_minimum = defaults.latency_minimum;
		c->latency_maximum = defaults.latency_maximum;
	}
	if (!(c->cpu_minimum >= 0 && c->cpu_maximum >= c->cpu_minimum &&
	      c->bandwidth_minimum >= 0 &&
	      c->bandwidth_maximum >= c->bandwidth_minimum &&
	      c->latency_minimum >= 0 &&
	      c->latency_maximum >= c->latency_minimum && isfinite(c->cpu_maximum) &&
	      isfinite(c->bandwidth_maximum) && isfinite(c->latency_maximum)) ||
	    (unsigned)c->kind >= SUBSTRATE_LINK_KIND_COUNT)
		return false;
	topo_random_seed(&generator->random, seed);
	generator->substrate = substrate_create(name);
	return generator->substrate != NULL;
}

static int generator_node(struct generator *generator, const char *id,
			  double cpu, enum substrate_position_kind position,
			  double x, double y)
{
	struct substrate_node node = {
		.cpu = cpu, .position_kind = position, .x = x, .y = y,
	};
	snprintf(node.id, sizeof(node.id), "%s", id);
	return substrate_add_node(generator->substrate, &node);
}

/* A link with uniform bandwidth and, when latency < 0, uniform latency. */
static int generator_link(struct generator *generator, uint32_t a, uint32_t b,
			  double latency, const char *id, const char *port_a,
			  const char *port_b)
{
	const struct generator_capacities *c = &generator->capacities;
	struct substrate_link link = {
		.bandwidth = topo_random_uniform(&generator->random,
						 c->bandwidth_minimum,
						 c->bandwidth_maximum),
		.kind = c->kind,
	};
	link.latency = latency >= 0 ? latency
				    : topo_random_uniform(&generator->random,
							  c->latency_minimum,
							  c->latency_maximum);
	if (id)
		snprintf(link.id, sizeof(link.id), "%s", id);
	return substrate_add_link(generator->substrate, &link,
				  (struct substrate_link_end){ a, port_a },
				  (struct substrate_link_end){ b, port_b });
}

static struct substrate *generator_finish(struct generator *generator, int rc)
{
	if (rc < 0 || substrate_finalize(generator->substrate)) {
		substrate_free(generator->substrate);
		return NULL;
	}
	return generator->substrate;
}

static double node_cpu(struct generator *generator)
{
	return topo_random_uniform(&generator->random,
				   generator->capacities.cpu_minimum,
				   generator->capacities.cpu_maximum);
}

/* ---- Waxman ------------------------------------------------------------- */

static uint32_t find_root(uint32_t *parent, uint32_t node)
{
	while (parent[node] != node) {
		parent[node] = parent[parent[node]];
		node = parent[node];
	}
	return node;
}

/* Joins every component to the one holding node 0, by its node nearest to
 * that component. */
static int waxman_connect(struct generator *generator, const double *x,
			  const double *y, double latency_per_unit)
{
	struct substrate *substrate = generator->substrate;
	uint32_t n = substrate->node_count;
	uint32_t *parent = malloc((size_t)n * sizeof(*parent));
	if (!parent)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		parent[i] = i;
	for (uint32_t l = 0; l < substrate->link_count; l++) {
		uint32_t a = find_root(parent, substrate->links[l].ends[0].node);
		uint32_t b = find_root(parent, substrate->links[l].ends[1].node);
		if (a != b)
			parent[a] = b;
	}
	int rc = 0;
	for (uint32_t u = 1; u < n && rc >= 0; u++) {
		uint32_t component = find_root(parent, u);
		if (component == find_root(parent, 0))
			continue;
		/* Nearest pair between u's component and node 0's. */
		double best = INFINITY;
		uint32_t best_a = 0, best_b = 0;
		uint32_t giant = find_root(parent, 0);
		for (uint32_t a = 0; a < n; a++) {
			if (find_root(parent, a) != component)
				continue;
			for (uint32_t b = 0; b < n; b++) {
				if (find_root(parent, b) != giant)
					continue;
				double d = hypot(x[a] - x[b], y[a] - y[b]);
				if (d < best) {
					best = d;
					best_a = a;
					best_b = b;
				}
			}
		}
		rc = generator_link(generator, best_a, best_b,
				    best * latency_per_unit, NULL, NULL, NULL);
		parent[component] = giant;
	}
	free(parent);
	return rc;
}

struct substrate *topo_generate_waxman(const struct waxman_options *options,
				       uint64_t seed)
{
	struct waxman_options o = *options;
	if (o.alpha == 0)
		o.alpha = 0.5;
	if (o.beta == 0)
		o.beta = 0.2;
	if (o.side == 0)
		o.side = 100;
	if (o.latency_per_unit == 0)
		o.latency_per_unit = 0.05;
	if (o.nodes == 0 || !(o.alpha > 0 && o.alpha <= 1) || !(o.beta > 0) ||
	    !(o.side > 0) || !(o.latency_per_unit > 0) || !isfinite(o.side))
		return NULL;
	struct generator generator;
	if (!generator_init(&generator, "waxman", &o.capacities, seed))
		return NULL;
	uint32_t n = o.nodes;
	double *x = malloc((size_t)n * sizeof(double));
	double *y = malloc((size_t)n * sizeof(double));
	int rc = x && y ? 0 : -ENOMEM;
	for (uint32_t i = 0; i < n && rc >= 0; i++) {
		char id[32];
		snprintf(id, sizeof(id), "n%u", i);
		x[i] = o.side * topo_random_unit(&generator.random);
		y[i] = o.side * topo_random_unit(&generator.random);
		rc = generator_node(&generator, id, node_cpu(&generator),
				    SUBSTRATE_POSITION_PLANE, x[i], y[i]);
	}
	double scale = 1.0 / (o.beta * o.side * sqrt(2.0));
	double alpha = o.alpha;
	if (rc >= 0 && o.target_links) {
		/* The alpha whose expected link count is target_links. */
		double expected = 0;
		for (uint32_t i = 0; i < n; i++)
			for (uint32_t j = i + 1; j < n; j++)
				expected += exp(-hypot(x[i] - x[j], y[i] - y[j]) *
						scale);
		alpha = expected > 0 ? o.target_links / expected : 1;
		if (alpha > 1)
			alpha = 1;
	}
	for (uint32_t i = 0; i < n && rc >= 0; i++) {
		for (uint32_t j = i + 1; j < n && rc >= 0; j++) {
			double d = hypot(x[i] - x[j], y[i] - y[j]);
			if (topo_random_unit(&generator.random) <
			    alpha * exp(-d * scale))
				rc = generator_link(&generator, i, j,
						    d * o.latency_per_unit, NULL,
						    NULL, NULL);
		}
	}
	if (rc >= 0)
		rc = waxman_connect(&generator, x, y, o.latency_per_unit);
	free(x);
	free(y);
	return generator_finish(&generator, rc);
}

/* ---- Barabási–Albert ---------------------------------------------------- */

struct substrate *topo_generate_barabasi_albert(
	uint32_t nodes, uint32_t m, const struct generator_capacities *capacities,
	uint64_t seed)
{
	if (m == 0 || nodes < m + 1 || nodes > UINT32_MAX / (2 * m + 2))
		return NULL;
	struct generator generator;
	if (!generator_init(&generator, "barabasi-albert", capacities, seed))
		return NULL;
	/* Every link end once: drawing from it is drawing by degree. */
	size_t ends_capacity = 2 * ((size_t)m * nodes + (size_t)m * m);
	uint32_t *ends = malloc(ends_capacity * sizeof(*ends));
	uint32_t *chosen = calloc(nodes, sizeof(*chosen));
	uint32_t *targets = malloc((size_t)m * sizeof(*targets));
	size_t end_count = 0;
	int rc = ends && chosen && targets ? 0 : -ENOMEM;
	for (uint32_t i = 0; i < nodes && rc >= 0; i++) {
		char id[32];
		snprintf(id, sizeof(id), "n%u", i);
		rc = generator_node(&generator, id, node_cpu(&generator),
				    SUBSTRATE_POSITION_NONE, 0, 0);
	}
	for (uint32_t i = 0; i <= m && rc >= 0; i++)
		for (uint32_t j = i + 1; j <= m && rc >= 0; j++) {
			rc = generator_link(&generator, i, j, -1, NULL, NULL,
					    NULL);
			ends[end_count++] = i;
			ends[end_count++] = j;
		}
	for (uint32_t v = m + 1; v < nodes && rc >= 0; v++) {
		for (uint32_t t = 0; t < m; t++) {
			uint32_t target;
			do
				target = ends[topo_random_below(&generator.random,
								end_count)];
			while (chosen[target] == v);
			chosen[target] = v;
			targets[t] = target;
		}
		/* Ends are appended after all m draws: the new node's own
		 * links do not count in its draws. */
		for (uint32_t t = 0; t < m && rc >= 0; t++) {
			rc = generator_link(&generator, v, targets[t], -1, NULL,
					    NULL, NULL);
			ends[end_count++] = v;
			ends[end_count++] = targets[t];
		}
	}
	free(ends);
	free(chosen);
	free(targets);
	return generator_finish(&generator, rc);
}

/* ---- Grid and leaf-spine ------------------------------------------------ */

struct substrate *topo_generate_grid(uint32_t rows, uint32_t columns,
				     const struct generator_capacities *capacities,
				     uint64_t seed)
{
	if (rows == 0 || columns == 0 || (uint64_t)rows * columns > INT32_MAX)
		return NULL;
	struct generator generator;
	if (!generator_init(&generator, "grid", capacities, seed))
		return NULL;
	int rc = 0;
	for (uint32_t r = 0; r < rows && rc >= 0; r++)
		for (uint32_t c = 0; c < columns && rc >= 0; c++) {
			char id[32];
			snprintf(id, sizeof(id), "n%u", r * columns + c);
			rc = generator_node(&generator, id, node_cpu(&generator),
					    SUBSTRATE_POSITION_PLANE, c, r);
		}
	for (uint32_t r = 0; r < rows && rc >= 0; r++)
		for (uint32_t c = 0; c < columns && rc >= 0; c++) {
			uint32_t at = r * columns + c;
			if (c + 1 < columns)
				rc = generator_link(&generator, at, at + 1, -1,
						    NULL, NULL, NULL);
			if (r + 1 < rows && rc >= 0)
				rc = generator_link(&generator, at, at + columns,
						    -1, NULL, NULL, NULL);
		}
	return generator_finish(&generator, rc);
}

struct substrate *topo_generate_leaf_spine(
	uint32_t spines, uint32_t leaves,
	const struct generator_capacities *capacities, uint64_t seed)
{
	if (spines == 0 || leaves == 0 || spines > 100000 || leaves > 100000)
		return NULL;
	struct generator generator;
	if (!generator_init(&generator, "leaf-spine", capacities, seed))
		return NULL;
	int rc = 0;
	/* Drawn as two rows: spines above, leaves below. */
	double spine_step = (double)leaves / spines;
	for (uint32_t i = 0; i < spines && rc >= 0; i++) {
		char id[32];
		snprintf(id, sizeof(id), "spine%u", i);
		rc = generator_node(&generator, id, 0, SUBSTRATE_POSITION_PLANE,
				    (i + 0.5) * spine_step, 1);
	}
	for (uint32_t j = 0; j < leaves && rc >= 0; j++) {
		char id[32];
		snprintf(id, sizeof(id), "leaf%u", j);
		rc = generator_node(&generator, id, node_cpu(&generator),
				    SUBSTRATE_POSITION_PLANE, j + 0.5, 0);
	}
	for (uint32_t j = 0; j < leaves && rc >= 0; j++)
		for (uint32_t i = 0; i < spines && rc >= 0; i++) {
			char id[64], up[32], down[32];
			snprintf(id, sizeof(id), "leaf%u-spine%u", j, i);
			snprintf(up, sizeof(up), "up%u", i);
			snprintf(down, sizeof(down), "down%u", j);
			uint32_t spine = i, leaf = spines + j;
			rc = substrate_add_port(generator.substrate, leaf, up);
			if (rc >= 0)
				rc = substrate_add_port(generator.substrate,
							spine, down);
			if (rc >= 0)
				rc = generator_link(&generator, leaf, spine, -1,
						    id, up, down);
		}
	return generator_finish(&generator, rc);
}

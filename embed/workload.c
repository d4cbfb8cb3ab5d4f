/* Random numbers, the standard substrates (topo's Waxman), request generation, the
 * standard setups and ViNE-Yard instance directories (embed.h section 7). */
#include "embed_internal.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ---- PRNG: topo's xoshiro256**; splitmix64 derives stream seeds ------------ */

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void embed_random_seed(struct embed_random *random, uint64_t seed)
{
	topo_random_seed(&random->core, seed);
}

uint64_t embed_random_next(struct embed_random *random)
{
	return topo_random_next(&random->core);
}

double embed_random_unit(struct embed_random *random)
{
	return topo_random_unit(&random->core);
}

double embed_random_uniform(struct embed_random *random, double minimum,
			    double maximum)
{
	return minimum + (maximum - minimum) * embed_random_unit(random);
}

uint64_t embed_random_integer(struct embed_random *random, uint64_t minimum,
			      uint64_t maximum)
{
	uint64_t range = maximum - minimum + 1;
	if (range == 0)
		return embed_random_next(random);
	/* Rejection of the biased tail. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % range;
	uint64_t draw;
	do
		draw = embed_random_next(random);
	while (draw >= limit);
	return minimum + draw % range;
}

double embed_random_exponential(struct embed_random *random, double mean)
{
	return -mean * log1p(-embed_random_unit(random));
}

/* Independent streams from one seed: stream k of seed s. */
static void random_stream(struct embed_random *random, uint64_t seed,
			  uint64_t stream)
{
	uint64_t state = seed ^ (stream * 0xd1342543de82ef95ull);
	embed_random_seed(random, splitmix64(&state));
}

/* ---- Substrates --------------------------------------------------------------
 * Waxman as the VNE benchmarks draw it (Virne: networkx waxman_graph with
 * alpha = 0.5, beta = 0.2, i.e. p = 0.2 exp(-d / (0.5 L)): weak locality,
 * about 2.3 hops between two nodes at 100 nodes and 500 links). topo's
 * generator writes p = a exp(-d / (beta L)), so its beta is 0.5 here and a
 * is fitted to the target link count. */
static struct substrate *standard_waxman(uint32_t nodes, uint32_t links,
					 uint64_t seed)
{
	struct waxman_options options = {
		.nodes = nodes,
		.beta = 0.5,
		.side = 100,
		.target_links = links,
		.capacities = {
			.cpu_minimum = 50,
			.cpu_maximum = 100,
			.bandwidth_minimum = 50,
			.bandwidth_maximum = 100,
		},
	};
	uint64_t state = seed;
	return topo_generate_waxman(&options, splitmix64(&state));
}

/* ---- Requests ----------------------------------------------------------------- */

static bool connected(uint32_t n, const bool *edge)
{
	uint32_t seen = 1, stack[64], top = 0;
	bool visited[64] = { true };
	stack[top++] = 0;
	while (top) {
		uint32_t v = stack[--top];
		for (uint32_t u = 0; u < n; u++)
			if (!visited[u] && edge[v * n + u]) {
				visited[u] = true;
				seen++;
				stack[top++] = u;
			}
	}
	return seen == n;
}

static int workload_append(struct embed_workload *workload,
			   struct embed_request *request)
{
	if ((workload->request_count & (workload->request_count - 1)) == 0) {
		uint32_t capacity = workload->request_count ?
					    workload->request_count * 2 : 64;
		if (capacity < 64)
			capacity = 64;
		void *grown = realloc(workload->requests,
				      capacity * sizeof(*workload->requests));
		if (!grown)
			return -ENOMEM;
		workload->requests = grown;
	}
	workload->requests[workload->request_count++] = request;
	return 0;
}

int embed_generate_requests(const struct embed_request_profile *profile,
			    uint64_t seed, struct embed_workload *workload)
{
	if (profile->nodes_minimum < 1 || profile->nodes_maximum > 64 ||
	    profile->nodes_minimum > profile->nodes_maximum ||
	    !(profile->arrival_rate > 0) || !(profile->lifetime_mean > 0))
		return -EINVAL;
	/* Separate streams: arrival times, lifetimes, and request content,
	 * so changing one aspect of a profile leaves the others' draws
	 * unchanged. */
	struct embed_random arrivals, lifetimes, content;
	random_stream(&arrivals, seed, 2);
	random_stream(&lifetimes, seed, 3);
	random_stream(&content, seed, 4);
	double time = 0;
	uint32_t base = workload->request_count; /* ids are positions */
	for (uint32_t id = 0;; id++) {
		if (profile->request_count && id >= profile->request_count)
			break;
		time += embed_random_exponential(&arrivals,
						 1.0 / profile->arrival_rate);
		if (!profile->request_count && time > profile->horizon)
			break;
		uint32_t n = (uint32_t)embed_random_integer(
			&content, profile->nodes_minimum, profile->nodes_maximum);
		bool edge[64 * 64];
		do {
			memset(edge, 0, sizeof(edge));
			for (uint32_t i = 0; i < n; i++)
				for (uint32_t j = i + 1; j < n; j++)
					edge[i * n + j] = edge[j * n + i] =
						embed_random_unit(&content) <
						profile->link_probability;
		} while (!connected(n, edge));
		char name[32];
		snprintf(name, sizeof(name), "r%u", base + id);
		struct embed_request *request = embed_request_create(name);
		if (!request)
			return -ENOMEM;
		request->id = base + id;
		request->arrival = time;
		request->lifetime =
			embed_random_exponential(&lifetimes, profile->lifetime_mean);
		for (uint32_t i = 0; i < n; i++) {
			struct embed_virtual_node node = {
				.cpu = embed_amount_from_double(embed_random_uniform(
					&content, profile->cpu_minimum,
					profile->cpu_maximum)),
			};
			if (embed_request_add_node(request, &node) < 0)
				goto fail;
		}
		for (uint32_t i = 0; i < n; i++)
			for (uint32_t j = i + 1; j < n; j++) {
				if (!edge[i * n + j])
					continue;
				uint32_t ends[2] = { i, j };
				struct embed_virtual_link link = {
					.endpoint_count = 2,
					.endpoints = ends,
					.bandwidth = embed_amount_from_double(
						embed_random_uniform(
							&content,
							profile->bandwidth_minimum,
							profile->bandwidth_maximum)),
				};
				if (embed_request_add_link(request, &link) < 0)
					goto fail;
			}
		if (workload_append(workload, request) == 0)
			continue;
	fail:
		embed_request_free(request);
		return -ENOMEM;
	}
	if (profile->request_count)
		workload->horizon = workload->request_count ?
			workload->requests[workload->request_count - 1]->arrival :
			0;
	else
		workload->horizon = profile->horizon;
	return 0;
}

void embed_workload_free(struct embed_workload *workload)
{
	for (uint32_t i = 0; i < workload->request_count; i++)
		embed_request_free(workload->requests[i]);
	free(workload->requests);
	substrate_free(workload->substrate);
	memset(workload, 0, sizeof(*workload));
}

/* ---- ViNE-Yard instances ------------------------------------------------------ */

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static bool has_suffix(const char *text, const char *suffix)
{
	size_t a = strlen(text), b = strlen(suffix);
	return a >= b && strcmp(text + a - b, suffix) == 0;
}

/* The directory holding req0.txt: dir itself or its one subdirectory. */
static int find_request_dir(const char *dir, char *out, size_t size)
{
	char probe[4096];
	snprintf(probe, sizeof(probe), "%s/req0.txt", dir);
	if (access(probe, R_OK) == 0) {
		snprintf(out, size, "%s", dir);
		return 0;
	}
	DIR *handle = opendir(dir);
	if (!handle)
		return -errno;
	struct dirent *entry;
	int status = -ENOENT;
	while ((entry = readdir(handle))) {
		if (entry->d_name[0] == '.')
			continue;
		snprintf(probe, sizeof(probe), "%s/%s/req0.txt", dir,
			 entry->d_name);
		if (access(probe, R_OK) == 0) {
			snprintf(out, size, "%s/%s", dir, entry->d_name);
			status = 0;
			break;
		}
	}
	closedir(handle);
	return status;
}

/* The one substrate*.txt in dir, if any. */
static int find_substrate(const char *dir, char *out, size_t size)
{
	DIR *handle = opendir(dir);
	if (!handle)
		return -errno;
	struct dirent *entry;
	int found = 0;
	while ((entry = readdir(handle))) {
		if (strncmp(entry->d_name, "substrate", 9) == 0 &&
		    has_suffix(entry->d_name, ".txt")) {
			snprintf(out, size, "%s/%s", dir, entry->d_name);
			found++;
		}
	}
	closedir(handle);
	return found == 1 ? 0 : -ENOENT;
}

static int extract(const char *archive, char *dir, size_t size)
{
	const char *base = getenv("TMPDIR");
	snprintf(dir, size, "%s/loom-embed-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(dir))
		return -errno;
	char *argv[] = { "tar", "-xzf", (char *)archive, "-C", dir, NULL };
	pid_t pid;
	int status = posix_spawnp(&pid, "tar", NULL, NULL, argv, environ);
	if (status)
		return -status;
	int result;
	if (waitpid(pid, &result, 0) < 0)
		return -errno;
	return WIFEXITED(result) && WEXITSTATUS(result) == 0 ? 0 : -EIO;
}

static int load_vineyard(const char *path, const char *substrate_path,
			 struct embed_workload *workload,
			 struct load_error *error)
{
	char temporary[4096] = "", directory[4096], substrate_file[4096];
	int status = 0;
	struct stat st;
	if (stat(path, &st))
		return embed_error(error, path, 0, "setup", "%s",
				   strerror(errno)),
		       -EINVAL;
	if (S_ISDIR(st.st_mode)) {
		status = find_request_dir(path, directory, sizeof(directory));
	} else {
		status = extract(path, temporary, sizeof(temporary));
		if (!status)
			status = find_request_dir(temporary, directory,
						  sizeof(directory));
	}
	if (status) {
		embed_error(error, path, 0, "setup",
			    "no req0.txt in the directory or archive (%s)",
			    strerror(-status));
		status = -EINVAL;
		goto out;
	}
	if (substrate_path) {
		snprintf(substrate_file, sizeof(substrate_file), "%s",
			 substrate_path);
	} else {
		/* beside the archive or directory */
		char parent[4096];
		snprintf(parent, sizeof(parent), "%s", path);
		char *slash = strrchr(parent, '/');
		if (S_ISDIR(st.st_mode) &&
		    find_substrate(path, substrate_file,
				   sizeof(substrate_file)) == 0)
			goto found;
		if (slash)
			*slash = '\0';
		else
			snprintf(parent, sizeof(parent), ".");
		if (find_substrate(parent, substrate_file,
				   sizeof(substrate_file))) {
			embed_error(error, path, 0, "substrate",
				    "no single substrate*.txt beside the "
				    "instance: give --substrate");
			status = -EINVAL;
			goto out;
		}
	}
found:
	workload->substrate = embed_substrate_load(substrate_file, error);
	if (!workload->substrate) {
		status = -EINVAL;
		goto out;
	}
	for (uint32_t id = 0;; id++) {
		char file[4200];
		snprintf(file, sizeof(file), "%s/req%u.txt", directory, id);
		if (access(file, R_OK))
			break;
		struct embed_request *request =
			embed_request_load_vineyard(file, error);
		if (!request) {
			status = -EINVAL;
			goto out;
		}
		request->id = id;
		snprintf(request->name, sizeof(request->name), "req%u", id);
		if (workload_append(workload, request)) {
			embed_request_free(request);
			status = -ENOMEM;
			goto out;
		}
	}
	if (!workload->request_count) {
		embed_error(error, path, 0, "setup", "no requests");
		status = -EINVAL;
		goto out;
	}
	/* Arrival order (stable on file order), ids re-given in that order. */
	for (uint32_t i = 1; i < workload->request_count; i++) {
		struct embed_request *request = workload->requests[i];
		uint32_t j = i;
		while (j > 0 &&
		       workload->requests[j - 1]->arrival > request->arrival) {
			workload->requests[j] = workload->requests[j - 1];
			j--;
		}
		workload->requests[j] = request;
	}
	for (uint32_t i = 0; i < workload->request_count; i++)
		workload->requests[i]->id = i;
	workload->horizon =
		workload->requests[workload->request_count - 1]->arrival;
out:
	if (temporary[0])
		nftw(temporary, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return status;
}

int embed_workload_build(const char *setup, uint64_t seed,
			 const char *substrate_path,
			 struct embed_workload *workload,
			 struct load_error *error)
{
	memset(workload, 0, sizeof(*workload));
	snprintf(workload->name, sizeof(workload->name), "%s", setup);
	struct embed_request_profile profile = {
		.nodes_minimum = 2,
		.nodes_maximum = 10,
		.link_probability = 0.5,
		.cpu_minimum = 0,
		.cpu_maximum = 20,
		.bandwidth_minimum = 0,
		.bandwidth_maximum = 50,
	};
	uint32_t nodes = 100, links = 500;
	if (strcmp(setup, "a") == 0) {
		profile.arrival_rate = 0.04;
		profile.lifetime_mean = 1000;
		profile.horizon = 50000;
	} else if (strcmp(setup, "b") == 0) {
		profile.arrival_rate = 0.14;
		profile.lifetime_mean = 500;
		profile.request_count = 1000;
	} else if (strcmp(setup, "large-1000") == 0) {
		nodes = 1000;
		links = 5000;
		profile.nodes_minimum = profile.nodes_maximum = 10;
		profile.arrival_rate = 0.04;
		profile.lifetime_mean = 1000;
		profile.request_count = 500;
	} else if (strncmp(setup, "zoo:", 4) == 0) {
		workload->substrate = embed_substrate_load(setup + 4, error);
		if (!workload->substrate)
			return -EINVAL;
		uint32_t n = workload->substrate->node_count;
		if (n < 2) {
			embed_error(error, setup + 4, 0, "setup",
				    "a substrate of %u nodes", n);
			embed_workload_free(workload);
			return -EINVAL;
		}
		if (profile.nodes_maximum > n)
			profile.nodes_maximum = n;
		profile.arrival_rate = 0.04 * n / 100.0;
		profile.lifetime_mean = 1000;
		profile.request_count = 1000;
		int status = embed_generate_requests(&profile, seed, workload);
		if (status)
			embed_workload_free(workload);
		return status;
	} else if (strncmp(setup, "vineyard:", 9) == 0) {
		int status = load_vineyard(setup + 9, substrate_path, workload,
					   error);
		if (status)
			embed_workload_free(workload);
		return status;
	} else {
		embed_error(error, "", 0, "setup",
			    "unknown setup '%s' (a, b, large-1000, "
			    "zoo:FILE.graphml, vineyard:PATH)",
			    setup);
		return -EINVAL;
	}
	if (substrate_path) {
		workload->substrate = embed_substrate_load(substrate_path, error);
		if (!workload->substrate)
			return -EINVAL;
	} else {
		workload->substrate = standard_waxman(nodes, links, seed);
		if (!workload->substrate) {
			embed_error(error, "", 0, "setup",
				    "substrate generation failed");
			return -EINVAL;
		}
	}
	int status = embed_generate_requests(&profile, seed, workload);
	if (status) {
		embed_error(error, "", 0, "setup", "request generation failed");
		embed_workload_free(workload);
	}
	return status;
}

/* Pictures of a substrate: Graphviz DOT with utilization colouring, and SVG
 * through Graphviz when it is installed. See topo.h. */
#include "topo_internal.h"

#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Green (idle) through yellow (half) to red (full); grey when unknown. */
static void utilization_colour(const double *utilization, uint32_t index,
			       char *buf, size_t size)
{
	if (!utilization || !isfinite(utilization[index])) {
		snprintf(buf, size, "#b0b0b0");
		return;
	}
	double u = utilization[index];
	u = u < 0 ? 0 : u > 1 ? 1 : u;
	unsigned red = (unsigned)lround(255 * (u < 0.5 ? 2 * u : 1));
	unsigned green = (unsigned)lround(255 * (u < 0.5 ? 1 : 2 * (1 - u)));
	snprintf(buf, size, "#%02x%02x00", red, green);
}

static void write_quoted(FILE *stream, const char *text)
{
	fputc('"', stream);
	for (; *text; text++) {
		if (*text == '"' || *text == '\\')
			fputc('\\', stream);
		if (*text == '\n' || *text == '\r')
			fputc(' ', stream);
		else
			fputc(*text, stream);
	}
	fputc('"', stream);
}

static void format_bandwidth(char *buf, size_t size, double mbps)
{
	if (mbps >= 1e6)
		snprintf(buf, size, "%gT", mbps / 1e6);
	else if (mbps >= 1e3)
		snprintf(buf, size, "%gG", mbps / 1e3);
	else
		snprintf(buf, size, "%gM", mbps);
}

/* Fixed positions when every node has one of the same kind. */
static bool positions_usable(const struct substrate *substrate)
{
	if (substrate->node_count == 0)
		return false;
	enum substrate_position_kind kind = substrate->nodes[0].position_kind;
	if (kind == SUBSTRATE_POSITION_NONE)
		return false;
	for (uint32_t i = 1; i < substrate->node_count; i++)
		if (substrate->nodes[i].position_kind != kind)
			return false;
	return true;
}

int substrate_write_dot(const struct substrate *substrate,
			const struct dot_options *options, FILE *stream)
{
	static const struct dot_options no_options;
	if (!options)
		options = &no_options;
	bool fixed = positions_usable(substrate);
	double min_x = INFINITY, max_x = -INFINITY, min_y = INFINITY,
	       max_y = -INFINITY, max_bandwidth = 0;
	for (uint32_t i = 0; fixed && i < substrate->node_count; i++) {
		const struct substrate_node *node = &substrate->nodes[i];
		min_x = fmin(min_x, node->x);
		max_x = fmax(max_x, node->x);
		min_y = fmin(min_y, node->y);
		max_y = fmax(max_y, node->y);
	}
	for (uint32_t l = 0; l < substrate->link_count; l++)
		max_bandwidth = fmax(max_bandwidth, substrate->links[l].bandwidth);
	/* About 800 points across the larger side. */
	double span = fmax(max_x - min_x, max_y - min_y);
	double scale = span > 0 ? 800 / span : 1;

	fputs("graph ", stream);
	write_quoted(stream, options->title ? options->title : substrate->name);
	fputs(" {\n  graph [overlap=false, splines=true, fontsize=12, label=",
	      stream);
	write_quoted(stream, options->title ? options->title : substrate->name);
	fputs("];\n  node [shape=ellipse, style=filled, fontsize=9];\n"
	      "  edge [fontsize=8];\n",
	      stream);
	for (uint32_t i = 0; i < substrate->node_count; i++) {
		const struct substrate_node *node = &substrate->nodes[i];
		char colour[16], label[160];
		utilization_colour(options->node_utilization, i, colour,
				   sizeof(colour));
		if (options->node_utilization &&
		    isfinite(options->node_utilization[i]))
			snprintf(label, sizeof(label), "%s\\ncpu %g (%.0f%%)",
				 node->id, node->cpu,
				 100 * options->node_utilization[i]);
		else
			snprintf(label, sizeof(label), "%s\\ncpu %g", node->id,
				 node->cpu);
		fputs("  ", stream);
		write_quoted(stream, node->id);
		fprintf(stream, " [fillcolor=\"%s\", label=", colour);
		/* The label holds DOT's own \n escapes: quote by hand. */
		fputc('"', stream);
		for (const char *c = label; *c; c++) {
			if (*c == '"')
				fputc('\\', stream);
			fputc(*c, stream);
		}
		fputc('"', stream);
		if (fixed)
			fprintf(stream, ", pos=\"%.1f,%.1f!\"",
				(node->x - min_x) * scale,
				(node->y - min_y) * scale);
		fputs("];\n", stream);
	}
	for (uint32_t l = 0; l < substrate->link_count; l++) {
		const struct substrate_link *link = &substrate->links[l];
		char colour[16], bandwidth[32];
		utilization_colour(options->link_utilization, l, colour,
				   sizeof(colour));
		format_bandwidth(bandwidth, sizeof(bandwidth), link->bandwidth);
		fputs("  ", stream);
		write_quoted(stream, substrate->nodes[link->ends[0].node].id);
		fputs(" -- ", stream);
		write_quoted(stream, substrate->nodes[link->ends[1].node].id);
		double width = max_bandwidth > 0
				       ? 1 + 4 * link->bandwidth / max_bandwidth
				       : 1;
		fprintf(stream, " [color=\"%s\", penwidth=%.2f, label=\"%s",
			colour, width, bandwidth);
		if (options->link_utilization &&
		    isfinite(options->link_utilization[l]))
			fprintf(stream, " %.0f%%",
				100 * options->link_utilization[l]);
		fprintf(stream, "%s\"];\n",
			link->kind == SUBSTRATE_LINK_IP ? " ip" : "");
	}
	fputs("}\n", stream);
	return ferror(stream) ? -EIO : 0;
}

int substrate_save_dot(const struct substrate *substrate,
		       const struct dot_options *options, const char *path)
{
	FILE *stream = fopen(path, "w");
	if (!stream)
		return -errno;
	int rc = substrate_write_dot(substrate, options, stream);
	if (fclose(stream) && !rc)
		rc = -errno;
	return rc;
}

/* Writes the DOT text to a temporary file and runs `dot -Tsvg -o path
 * file` (or `neato -n ...` for fixed positions) on it: no shell, so no
 * quoting of path, and no pipe that could raise SIGPIPE in the caller. */
int substrate_save_svg(const struct substrate *substrate,
		       const struct dot_options *options, const char *path)
{
	const char *directory = getenv("TMPDIR");
	char input[4096], output[4200];
	snprintf(input, sizeof(input), "%s/loom-topo-XXXXXX.dot",
		 directory && directory[0] ? directory : "/tmp");
	if (snprintf(output, sizeof(output), "-o%s", path) >= (int)sizeof(output))
		return -ENAMETOOLONG;
	int fd = mkstemps(input, 4);
	if (fd < 0)
		return -errno;
	FILE *stream = fdopen(fd, "w");
	if (!stream) {
		int rc = -errno;
		close(fd);
		unlink(input);
		return rc;
	}
	int rc = substrate_write_dot(substrate, options, stream);
	if (fclose(stream) && !rc)
		rc = -errno;
	if (rc) {
		unlink(input);
		return rc;
	}
	char *const dot_argv[] = { "dot", "-Tsvg", output, input, NULL };
	char *const neato_argv[] = { "neato", "-n", "-Tsvg", output, input,
				     NULL };
	char *const *argv = positions_usable(substrate) ? neato_argv : dot_argv;
	pid_t child;
	rc = posix_spawnp(&child, argv[0], NULL, NULL, argv, environ);
	if (rc) {
		unlink(input);
		return -rc; /* ENOENT when Graphviz is not installed */
	}
	int status;
	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR) {
			rc = -errno;
			break;
		}
	}
	unlink(input);
	if (rc)
		return rc;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* Reports of simulations: CSV, JSON, and an SVG plot written as text
 * (embed.h section 8). */
#include "embed_internal.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static void json_text(FILE *stream, const char *text)
{
	fputc('"', stream);
	for (; text && *text; text++) {
		unsigned char c = (unsigned char)*text;
		if (c == '"' || c == '\\')
			fprintf(stream, "\\%c", c);
		else if (c < 0x20)
			fprintf(stream, "\\u%04x", c);
		else
			fputc(c, stream);
	}
	fputc('"', stream);
}

int embed_report_csv(const struct embed_report_row *rows, size_t count,
		     FILE *stream)
{
	fprintf(stream, "setup,algorithm,seed,arrived,accepted,acceptance,"
			"revenue,cost,lar,rc,node_utilization,"
			"link_utilization,mean_hops,ms_mean,ms_p99,horizon\n");
	for (size_t i = 0; i < count; i++) {
		const struct embed_metrics *m = &rows[i].simulation->metrics;
		fprintf(stream,
			"%s,%s,%llu,%u,%u,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,"
			"%.6f,%.6f,%.6f,%.6f\n",
			rows[i].setup, rows[i].algorithm,
			(unsigned long long)rows[i].seed, m->arrived, m->accepted,
			m->acceptance, m->revenue, m->cost, m->long_term_revenue,
			m->long_term_rc, m->node_utilization,
			m->link_utilization, m->mean_hops, m->ms_mean, m->ms_p99,
			m->horizon);
	}
	return ferror(stream) ? -EIO : 0;
}

int embed_report_json(const struct embed_report_row *rows, size_t count,
		      FILE *stream)
{
	fprintf(stream, "[");
	for (size_t i = 0; i < count; i++) {
		const struct embed_metrics *m = &rows[i].simulation->metrics;
		fprintf(stream, "%s\n  {\"setup\": ", i ? "," : "");
		json_text(stream, rows[i].setup);
		fprintf(stream, ", \"algorithm\": ");
		json_text(stream, rows[i].algorithm);
		fprintf(stream,
			", \"seed\": %llu, \"acceptance\": %.6f, \"rc\": %.6f, "
			"\"lar\": %.6f, \"ms_mean\": %.6f, \"ms_p99\": %.6f, "
			"\"arrived\": %u, \"accepted\": %u, "
			"\"node_utilization\": %.6f, \"link_utilization\": %.6f, "
			"\"mean_hops\": %.6f}",
			(unsigned long long)rows[i].seed, m->acceptance,
			m->long_term_rc, m->long_term_revenue, m->ms_mean,
			m->ms_p99, m->arrived, m->accepted, m->node_utilization,
			m->link_utilization, m->mean_hops);
	}
	fprintf(stream, "\n]\n");
	return ferror(stream) ? -EIO : 0;
}

static void svg_text(FILE *stream, const char *text)
{
	for (; text && *text; text++) {
		switch (*text) {
		case '<': fputs("&lt;", stream); break;
		case '>': fputs("&gt;", stream); break;
		case '&': fputs("&amp;", stream); break;
		case '"': fputs("&quot;", stream); break;
		default: fputc(*text, stream);
		}
	}
}

/* A "nice" step for about `ticks` ticks over [0, maximum]. */
static double nice_step(double maximum, int ticks)
{
	double raw = maximum / ticks;
	double power = pow(10, floor(log10(raw)));
	double fraction = raw / power;
	double nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
	return nice * power;
}

struct panel {
	double left, top, width, height;
	double x_max, y_max;
	const char *title;
	const char *y_label;
};

static void draw_axes(FILE *stream, const struct panel *panel)
{
	fprintf(stream,
		"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
		"fill=\"none\" stroke=\"#444\"/>\n",
		panel->left, panel->top, panel->width, panel->height);
	fprintf(stream,
		"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
		"font-size=\"14\">",
		panel->left + panel->width / 2, panel->top - 10);
	svg_text(stream, panel->title);
	fprintf(stream, "</text>\n");
	double step = nice_step(panel->y_max, 5);
	for (double y = 0; y <= panel->y_max * 1.0001; y += step) {
		double py = panel->top + panel->height * (1 - y / panel->y_max);
		fprintf(stream,
			"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"#ddd\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
			"text-anchor=\"end\" font-size=\"11\">%g</text>\n",
			panel->left, py, panel->left + panel->width, py,
			panel->left - 4, py + 4, y);
	}
	step = nice_step(panel->x_max, 5);
	for (double x = 0; x <= panel->x_max * 1.0001; x += step) {
		double px = panel->left + panel->width * x / panel->x_max;
		fprintf(stream,
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
			"font-size=\"11\">%g</text>\n",
			px, panel->top + panel->height + 15, x);
	}
	fprintf(stream,
		"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
		"font-size=\"12\">time</text>\n",
		panel->left + panel->width / 2, panel->top + panel->height + 32);
	fprintf(stream,
		"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
		"font-size=\"12\" transform=\"rotate(-90 %.1f %.1f)\">",
		panel->left - 45, panel->top + panel->height / 2,
		panel->left - 45, panel->top + panel->height / 2);
	svg_text(stream, panel->y_label);
	fprintf(stream, "</text>\n");
}

static void draw_series(FILE *stream, const struct panel *panel,
			const struct embed_simulation *simulation, bool revenue,
			const char *colour)
{
	uint32_t count = simulation->sample_count;
	uint32_t stride = count > 600 ? count / 600 + 1 : 1;
	fprintf(stream, "<polyline fill=\"none\" stroke=\"%s\" "
			"stroke-width=\"1.5\" points=\"",
		colour);
	for (uint32_t i = 0; i < count; i += stride) {
		const struct embed_sample *sample = &simulation->samples[i];
		double value = revenue ? sample->long_term_revenue
				       : sample->acceptance;
		fprintf(stream, "%.1f,%.1f ",
			panel->left + panel->width * sample->time / panel->x_max,
			panel->top + panel->height *
					     (1 - fmin(value, panel->y_max) /
							  panel->y_max));
	}
	fprintf(stream, "\"/>\n");
}

int embed_report_svg(const struct embed_report_row *rows, size_t count,
		     const char *title, FILE *stream)
{
	static const char *const colours[] = {
		"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
		"#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
	};
	const double width = 1100;
	const double height = 450 + 16 * (double)((count + 3) / 4);
	double x_max = 0, revenue_max = 0;
	for (size_t i = 0; i < count; i++) {
		const struct embed_simulation *simulation = rows[i].simulation;
		for (uint32_t s = 0; s < simulation->sample_count; s++) {
			x_max = fmax(x_max, simulation->samples[s].time);
			revenue_max = fmax(revenue_max,
					   simulation->samples[s].long_term_revenue);
		}
	}
	if (x_max <= 0)
		x_max = 1;
	if (revenue_max <= 0)
		revenue_max = 1;
	revenue_max = nice_step(revenue_max * 1.05, 5) *
		      ceil(revenue_max * 1.05 / nice_step(revenue_max * 1.05, 5));
	fprintf(stream,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
		"height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
		"font-family=\"sans-serif\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		"<text x=\"%.0f\" y=\"24\" text-anchor=\"middle\" "
		"font-size=\"16\">",
		width, height, width, height, width / 2);
	svg_text(stream, title ? title : "online embedding");
	fprintf(stream, "</text>\n");
	struct panel panels[2] = {
		{ 70, 60, 420, 320, x_max, 1.0, "acceptance ratio",
		  "accepted / arrived" },
		{ 590, 60, 420, 320, x_max, revenue_max,
		  "long-term average revenue", "revenue per time unit" },
	};
	for (int p = 0; p < 2; p++) {
		draw_axes(stream, &panels[p]);
		for (size_t i = 0; i < count; i++)
			draw_series(stream, &panels[p], rows[i].simulation, p == 1,
				    colours[i % 10]);
	}
	for (size_t i = 0; i < count; i++) {
		double y = 430 + 16 * (double)(i / 4);
		double x = 70 + 260 * (double)(i % 4);
		fprintf(stream,
			"<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" "
			"stroke=\"%s\" stroke-width=\"3\"/>\n"
			"<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\">",
			x, y - 4, x + 20, y - 4, colours[i % 10], x + 26, y);
		svg_text(stream, rows[i].algorithm);
		fprintf(stream, " (%s, seed %llu): %.1f%%, R/C %.3f</text>\n",
			rows[i].setup, (unsigned long long)rows[i].seed,
			100 * rows[i].simulation->metrics.acceptance,
			rows[i].simulation->metrics.long_term_rc);
	}
	fprintf(stream, "</svg>\n");
	return ferror(stream) ? -EIO : 0;
}

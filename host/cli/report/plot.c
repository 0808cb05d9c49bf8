/* plot.c: the chart renderer behind plot.h (axes, nice ticks, antialiased lines and markers,
 * bitmap text, legend) and its PNG output through libpng, via a temporary name and a rename. */
#include "plot.h"
#include "report_alloc.h"

#include "font.h"

#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Tableau 10: distinguishable, and still distinct for the common colour-vision deficiencies. */
static const unsigned char palette[AMPCL_PLOT_COLORS][3] = {
    {0x1f, 0x77, 0xb4}, {0xff, 0x7f, 0x0e}, {0x2c, 0xa0, 0x2c}, {0xd6, 0x27, 0x28},
    {0x94, 0x67, 0xbd}, {0x8c, 0x56, 0x4b}, {0xe3, 0x77, 0xc2}, {0x7f, 0x7f, 0x7f},
    {0xbc, 0xbd, 0x22}, {0x17, 0xbe, 0xcf},
};

static const unsigned char white[3] = {255, 255, 255};
static const unsigned char ink[3] = {0x22, 0x22, 0x22};   /* text */
static const unsigned char frame[3] = {0x44, 0x44, 0x44}; /* axes box and ticks */
static const unsigned char grid[3] = {0xe6, 0xe6, 0xe6};
static const unsigned char legend_edge[3] = {0xc8, 0xc8, 0xc8};
#define BAND_ALPHA 0.2f /* a band's opacity: the grid and the other bands show through */

/* Dash patterns in line widths (on, off, on, off); the first is solid. */
static const float dashes[4][4] = {{0}, {4, 2.5f, 0, 0}, {0.6f, 2, 0, 0}, {4, 2, 0.6f, 2}};
#define NSTYLES 4
#define MAX_ABS 1e300 /* larger values are treated like inf: their differences overflow */

void ampcl_plot_line_color(int i, unsigned char rgb[3])
{
	int k = ((i % AMPCL_PLOT_COLORS) + AMPCL_PLOT_COLORS) % AMPCL_PLOT_COLORS;
	memcpy(rgb, palette[k], 3);
}

/* ---- canvas: RGB pixels, plus a coverage mask so one shape is blended once per pixel ---- */

struct canvas {
	int w, h;
	unsigned char *rgb;
	float *mask;
	int mx0, my0, mx1, my1; /* the mask's touched area */
	int cx0, cy0, cx1, cy1; /* clip for mask drawing */
};

static void blend(struct canvas *c, int x, int y, const unsigned char col[3], float a)
{
	if (x < 0 || y < 0 || x >= c->w || y >= c->h || a <= 0)
		return;
	unsigned char *p = c->rgb + ((size_t)y * c->w + x) * 3;
	if (a >= 1) {
		memcpy(p, col, 3);
		return;
	}
	for (int k = 0; k < 3; k++)
		p[k] = (unsigned char)lrintf(p[k] + (col[k] - p[k]) * a);
}

static void fill_rect(struct canvas *c, int x0, int y0, int x1, int y1, const unsigned char col[3],
		      float a)
{
	for (int y = y0; y < y1; y++)
		for (int x = x0; x < x1; x++)
			blend(c, x, y, col, a);
}

static void clip_all(struct canvas *c)
{
	c->cx0 = 0;
	c->cy0 = 0;
	c->cx1 = c->w;
	c->cy1 = c->h;
}

/* The mask's pixel range for a shape's bounding box, clipped; returns 0 if empty. */
static int mask_box(struct canvas *c, float fx0, float fy0, float fx1, float fy1, int *x0, int *y0,
		    int *x1, int *y1)
{
	*x0 = (int)floorf(fx0) - 1;
	*y0 = (int)floorf(fy0) - 1;
	*x1 = (int)ceilf(fx1) + 1;
	*y1 = (int)ceilf(fy1) + 1;
	if (*x0 < c->cx0)
		*x0 = c->cx0;
	if (*y0 < c->cy0)
		*y0 = c->cy0;
	if (*x1 > c->cx1)
		*x1 = c->cx1;
	if (*y1 > c->cy1)
		*y1 = c->cy1;
	if (*x0 >= *x1 || *y0 >= *y1)
		return 0;
	if (c->mx0 > *x0)
		c->mx0 = *x0;
	if (c->my0 > *y0)
		c->my0 = *y0;
	if (c->mx1 < *x1)
		c->mx1 = *x1;
	if (c->my1 < *y1)
		c->my1 = *y1;
	return 1;
}

static void mask_put(struct canvas *c, int x, int y, float cov)
{
	float *m = &c->mask[(size_t)y * c->w + x];
	if (cov > *m)
		*m = cov > 1 ? 1 : cov;
}

/* Blends the accumulated mask in colour col at opacity alpha, then clears it. */
static void mask_flush_alpha(struct canvas *c, const unsigned char col[3], float alpha)
{
	for (int y = c->my0; y < c->my1; y++) {
		for (int x = c->mx0; x < c->mx1; x++) {
			float *m = &c->mask[(size_t)y * c->w + x];
			if (*m > 0)
				blend(c, x, y, col, *m * alpha);
			*m = 0;
		}
	}
	c->mx0 = c->w;
	c->my0 = c->h;
	c->mx1 = 0;
	c->my1 = 0;
}

static void mask_flush(struct canvas *c, const unsigned char col[3])
{
	mask_flush_alpha(c, col, 1);
}

static int dash_on(const float *pattern, float lw, float s)
{
	if (pattern[0] == 0)
		return 1;
	float period = 0;
	for (int i = 0; i < 4; i++)
		period += pattern[i] * lw;
	s = fmodf(s, period);
	for (int i = 0; i < 4; i++) {
		s -= pattern[i] * lw;
		if (s < 0)
			return !(i & 1);
	}
	return 1;
}

/* A segment of width lw with round ends; s0 is the dash phase (path length so far). The
 * coverage of a pixel is its centre's distance to the segment, softened over one pixel. */
static void mask_segment(struct canvas *c, float ax, float ay, float bx, float by, float lw,
			 const float *pattern, float s0)
{
	float hw = lw / 2;
	int x0, y0, x1, y1;
	if (!mask_box(c, fminf(ax, bx) - hw, fminf(ay, by) - hw, fmaxf(ax, bx) + hw,
		      fmaxf(ay, by) + hw, &x0, &y0, &x1, &y1))
		return;
	float dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy, len = sqrtf(len2);
	for (int y = y0; y < y1; y++) {
		for (int x = x0; x < x1; x++) {
			float px = x + 0.5f, py = y + 0.5f;
			float t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
			t = t < 0 ? 0 : t > 1 ? 1 : t;
			float qx = ax + t * dx - px, qy = ay + t * dy - py;
			float cov = hw + 0.5f - sqrtf(qx * qx + qy * qy);
			if (cov <= 0 || !dash_on(pattern, lw, s0 + t * len))
				continue;
			mask_put(c, x, y, cov);
		}
	}
}

enum marker { MARKER_CIRCLE, MARKER_SQUARE, MARKER_TRIANGLE, MARKER_DIAMOND };

/* Signed-distance markers of radius r centred at (cx, cy). */
static void mask_marker(struct canvas *c, float cx, float cy, float r, enum marker m)
{
	int x0, y0, x1, y1;
	if (!mask_box(c, cx - 1.3f * r, cy - 1.3f * r, cx + 1.3f * r, cy + 1.3f * r, &x0, &y0, &x1,
		      &y1))
		return;
	for (int y = y0; y < y1; y++) {
		for (int x = x0; x < x1; x++) {
			float dx = x + 0.5f - cx, dy = y + 0.5f - cy, sd;
			switch (m) {
			case MARKER_SQUARE:
				sd = fmaxf(fabsf(dx), fabsf(dy)) - 0.85f * r;
				break;
			case MARKER_TRIANGLE: {
				float rr = 1.2f * r;
				dy -= 0.15f * r; /* centre the triangle's mass, not its box */
				sd = fmaxf(dy - 0.5f * rr,
					   0.866f * fabsf(dx) - 0.5f * dy - 0.5f * rr);
				break;
			}
			case MARKER_DIAMOND:
				sd = (fabsf(dx) + fabsf(dy) - 1.25f * r) * 0.7071f;
				break;
			default:
				sd = sqrtf(dx * dx + dy * dy) - r;
				break;
			}
			if (sd < 0.5f)
				mask_put(c, x, y, 0.5f - sd);
		}
	}
}

/* ---- text ---- */

static int text_width(const char *s, int scale)
{
	int n = (int)strlen(s);
	return n ? (n * AMPCL_FONT_ADVANCE - 1) * scale : 0;
}

/* Horizontal text with its top-left corner at (x, y). */
static void draw_text(struct canvas *c, int x, int y, const char *s, int scale,
		      const unsigned char col[3])
{
	for (; *s; s++, x += AMPCL_FONT_ADVANCE * scale) {
		const unsigned char *g = ampcl_font_glyph((unsigned char)*s);
		for (int r = 0; r < AMPCL_FONT_HEIGHT; r++)
			for (int b = 0; b < AMPCL_FONT_WIDTH; b++)
				if (g[r] >> (AMPCL_FONT_WIDTH - 1 - b) & 1)
					fill_rect(c, x + b * scale, y + r * scale,
						  x + (b + 1) * scale, y + (r + 1) * scale, col, 1);
	}
}

/* Text turned a quarter left (read bottom to top), its glyph tops at column x, starting at
 * row y and running upwards. */
static void draw_text_up(struct canvas *c, int x, int y, const char *s, int scale,
			 const unsigned char col[3])
{
	for (int u0 = 0; *s; s++, u0 += AMPCL_FONT_ADVANCE) {
		const unsigned char *g = ampcl_font_glyph((unsigned char)*s);
		for (int r = 0; r < AMPCL_FONT_HEIGHT; r++) {
			for (int b = 0; b < AMPCL_FONT_WIDTH; b++) {
				if (!(g[r] >> (AMPCL_FONT_WIDTH - 1 - b) & 1))
					continue;
				int px = x + r * scale, py = y - (u0 + b + 1) * scale;
				fill_rect(c, px, py, px + scale, py + scale, col, 1);
			}
		}
	}
}

/* Copies s into buf, keeping what fits in max_px (cut with ".."); NULL becomes "". */
static void fit_text(char *buf, size_t size, const char *s, int scale, int max_px)
{
	snprintf(buf, size, "%s", s ? s : "");
	int max_chars = (max_px / scale + 1) / AMPCL_FONT_ADVANCE;
	if ((int)strlen(buf) <= max_chars)
		return;
	if (max_chars < 3) {
		buf[max_chars > 0 ? max_chars : 0] = 0;
		return;
	}
	buf[max_chars - 2] = '.';
	buf[max_chars - 1] = '.';
	buf[max_chars] = 0;
}

/* ---- axes ---- */

struct axis {
	double lo, hi;    /* the mapped range */
	double step;      /* between ticks */
	long long k0, k1; /* ticks are k * step for k0 <= k <= k1 */
	int decimals;     /* for tick labels; -1: %g form */
	int log;          /* lo, hi and ticks are powers of ten: labels show 10^v */
};

static int usable(double v)
{
	return isfinite(v) && fabs(v) <= MAX_ABS;
}

/* The smallest of 1, 2, 5 x 10^k that is at least raw (and at least min_step). */
static double nice_step(double raw, double min_step)
{
	if (raw < min_step)
		raw = min_step;
	double mag = pow(10, floor(log10(raw)));
	double f = raw / mag;
	double n = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
	return n * mag;
}

static double next_step(double step)
{
	double mag = pow(10, floor(log10(step) + 1e-9));
	double f = step / mag;
	return (f < 1.5 ? 2 : f < 3.5 ? 5 : 10) * mag;
}

static void axis_ticks(struct axis *a, double step)
{
	a->step = step;
	a->k0 = (long long)ceil(a->lo / step - 1e-9);
	a->k1 = (long long)floor(a->hi / step + 1e-9);
	double top = fmax(fabs(a->lo), fabs(a->hi));
	a->decimals = -1;
	if (top >= 1e6 || step < 1e-6)
		return;
	for (int d = 0; d <= 9; d++) {
		double v = step * pow(10, d);
		if (fabs(v - round(v)) < 1e-6 * v) {
			a->decimals = d;
			return;
		}
	}
}

static void tick_label(const struct axis *a, long long k, char *buf, size_t size)
{
	double v = (double)k * a->step;
	if (fabs(v) < a->step * 1e-6)
		v = 0; /* no "-0" */
	if (a->log)
		snprintf(buf, size, "%g", pow(10, v));
	else if (a->decimals >= 0)
		snprintf(buf, size, "%.*f", a->decimals, v);
	else
		snprintf(buf, size, "%.3g", v);
}

static int max_label_width(const struct axis *a, int scale)
{
	char buf[64];
	int w = 0;
	for (long long k = a->k0; k <= a->k1; k++) {
		tick_label(a, k, buf, sizeof(buf));
		int tw = text_width(buf, scale);
		w = tw > w ? tw : w;
	}
	return w;
}

/* Data extent [lo, hi] (have = 0: no data) grown by a margin so nothing sits on the frame; a
 * zero-width extent is padded by 10% of the value (or 1 around zero). */
static void axis_range(struct axis *a, double lo, double hi, int have, double margin)
{
	if (!have) {
		lo = 0;
		hi = 1;
	}
	double mid = 0.5 * lo + 0.5 * hi;
	if (hi - lo <= 1e-9 * fmax(fabs(lo), fabs(hi))) {
		double pad = mid != 0 ? 0.1 * fabs(mid) : 1;
		lo = mid - pad;
		hi = mid + pad;
	}
	double m = (hi - lo) * margin;
	a->lo = lo - m;
	a->hi = hi + m;
}

/* ---- one panel ---- */

struct panel_geo {
	int x0, x1; /* the panel's columns */
	int scale;  /* text scale */
	int title_scale;
	struct ampcl_plot_rect plot;
	struct axis xa, ya;
};

static float map_x(const struct panel_geo *g, double x)
{
	return (float)(g->plot.x0 + 0.5 +
		       (x - g->xa.lo) / (g->xa.hi - g->xa.lo) * (g->plot.x1 - g->plot.x0 - 1));
}

static float map_y(const struct panel_geo *g, double y)
{
	return (float)(g->plot.y1 - 0.5 -
		       (y - g->ya.lo) / (g->ya.hi - g->ya.lo) * (g->plot.y1 - g->plot.y0 - 1));
}

static int point_ok(const struct ampcl_plot_line *l, int i)
{
	return usable(l->x[i]) && usable(l->y[i]);
}

static float line_width(const struct panel_geo *g)
{
	return 1.0f + g->scale;
}

static float marker_radius(const struct panel_geo *g)
{
	return 2.5f + 1.5f * g->scale;
}

static void draw_error_bar(struct canvas *c, const struct panel_geo *g, double x, double y,
			   double err, float lw)
{
	if (!usable(err))
		return;
	float px = map_x(g, x), ya = map_y(g, y - fabs(err)), yb = map_y(g, y + fabs(err));
	float cap = 2.0f + 2.0f * g->scale, w = lw * 0.6f + 0.4f;
	mask_segment(c, px, ya, px, yb, w, dashes[0], 0);
	mask_segment(c, px - cap, ya, px + cap, ya, w, dashes[0], 0);
	mask_segment(c, px - cap, yb, px + cap, yb, w, dashes[0], 0);
}

static int band_ok(const struct ampcl_plot_line *l, int i)
{
	return usable(l->x[i]) && usable(l->lo[i]) && usable(l->hi[i]);
}

/* A line's band: between two neighbouring points, each pixel column's rows between the two
 * interpolated edges, edges softened over a pixel; where two pieces meet each reaches half a
 * pixel past the point, so the seam is covered once (the mask keeps the larger coverage). */
static void draw_band(struct canvas *c, const struct panel_geo *g, const struct ampcl_plot_line *l,
		      int index)
{
	if (!l->lo || !l->hi)
		return;
	for (int i = 0; i < l->n; i++) {
		if (!band_ok(l, i))
			continue;
		int prev = i > 0 && band_ok(l, i - 1), next = i + 1 < l->n && band_ok(l, i + 1);
		float ax = map_x(g, l->x[i]), at = map_y(g, fmax(l->lo[i], l->hi[i]));
		float ab = map_y(g, fmin(l->lo[i], l->hi[i]));
		if (!prev && !next) {
			mask_segment(c, ax, at, ax, ab, line_width(g), dashes[0], 0);
			continue;
		}
		if (!next)
			continue;
		float bx = map_x(g, l->x[i + 1]), bt = map_y(g, fmax(l->lo[i + 1], l->hi[i + 1]));
		float bb = map_y(g, fmin(l->lo[i + 1], l->hi[i + 1]));
		float ea = prev ? 0.5f : 0, eb = i + 2 < l->n && band_ok(l, i + 2) ? 0.5f : 0;
		if (bx < ax) { /* x running backwards: the same piece, mirrored */
			float t;
			t = ax, ax = bx, bx = t;
			t = at, at = bt, bt = t;
			t = ab, ab = bb, bb = t;
			t = ea, ea = eb, eb = t;
		}
		float left = ax - ea, right = bx + eb;
		int x0, y0, x1, y1;
		if (!mask_box(c, left, fminf(at, bt), right, fmaxf(ab, bb), &x0, &y0, &x1, &y1))
			continue;
		for (int x = x0; x < x1; x++) {
			float xc = x + 0.5f;
			float h = fminf(xc + 0.5f, right) - fmaxf(xc - 0.5f, left);
			if (h <= 0)
				continue;
			float t = bx > ax ? (fminf(fmaxf(xc, ax), bx) - ax) / (bx - ax) : 0;
			float top = at + t * (bt - at), bot = ab + t * (bb - ab);
			for (int y = y0; y < y1; y++) {
				float yc = y + 0.5f;
				float v = fminf(yc + 0.5f, bot) - fmaxf(yc - 0.5f, top);
				if (v > 0)
					mask_put(c, x, y, fminf(h, 1) * fminf(v, 1));
			}
		}
	}
	unsigned char col[3];
	ampcl_plot_line_color(index, col);
	mask_flush_alpha(c, col, BAND_ALPHA);
}

static void draw_line(struct canvas *c, const struct panel_geo *g, const struct ampcl_plot_line *l,
		      int index, int bars)
{
	unsigned char col[3];
	ampcl_plot_line_color(index, col);
	int style = (index / AMPCL_PLOT_COLORS) % NSTYLES;
	float lw = line_width(g);
	for (int i = 0; i < l->n; i++) {
		if (!point_ok(l, i))
			continue;
		if (l->err)
			draw_error_bar(c, g, l->x[i], l->y[i], l->err[i], lw);
		if (bars || l->points) {
			mask_marker(c, map_x(g, l->x[i]), map_y(g, l->y[i]), marker_radius(g),
				    (enum marker)style);
			continue;
		}
		int prev = i > 0 && point_ok(l, i - 1), next = i + 1 < l->n && point_ok(l, i + 1);
		if (!prev && !next)
			mask_marker(c, map_x(g, l->x[i]), map_y(g, l->y[i]), 1.25f * lw,
				    MARKER_CIRCLE);
	}
	if (!bars && !l->points) {
		float s = 0;
		for (int i = 0; i + 1 < l->n; i++) {
			if (!point_ok(l, i) || !point_ok(l, i + 1)) {
				s = 0;
				continue;
			}
			float ax = map_x(g, l->x[i]), ay = map_y(g, l->y[i]);
			float bx = map_x(g, l->x[i + 1]), by = map_y(g, l->y[i + 1]);
			mask_segment(c, ax, ay, bx, by, lw, dashes[style], s);
			s += hypotf(bx - ax, by - ay);
		}
	}
	mask_flush(c, col);
}

/* The legend's size and layout: rows of swatch and label, in one or more columns. */
struct legend {
	int n, cols, rows, row_h, col_w, swatch, w, h;
	int label_px; /* labels are cut to this width */
};

/* Lays the legend out in as many columns as max_h needs, labels cut to share max_w. */
static void legend_measure(struct legend *lg, const struct ampcl_plot_panel *p, int s, int max_w,
			   int max_h)
{
	memset(lg, 0, sizeof(*lg));
	int widest = 0;
	for (int i = 0; i < p->nlines; i++) {
		const char *label = p->lines[i].label;
		if (!label || !*label)
			continue;
		lg->n++;
		int tw = text_width(label, s);
		widest = tw > widest ? tw : widest;
	}
	if (!lg->n)
		return;
	int pad = 4 + 2 * s;
	lg->row_h = (AMPCL_FONT_HEIGHT + 3) * s;
	lg->swatch = 14 + 8 * s;
	lg->rows = lg->n;
	lg->cols = 1;
	while (2 * pad + lg->rows * lg->row_h > max_h && lg->rows > 1) {
		lg->cols++;
		lg->rows = (lg->n + lg->cols - 1) / lg->cols;
	}
	int max_col = (max_w - 2 * pad) / lg->cols;
	lg->label_px = max_col - lg->swatch - 3 * s - 6 * s;
	if (lg->label_px > widest)
		lg->label_px = widest;
	if (lg->label_px < 3 * AMPCL_FONT_ADVANCE * s)
		lg->label_px = 3 * AMPCL_FONT_ADVANCE * s;
	lg->col_w = lg->swatch + 3 * s + lg->label_px + 6 * s;
	lg->w = 2 * pad + lg->cols * lg->col_w - 6 * s;
	lg->h = 2 * pad + lg->rows * lg->row_h - 3 * s;
}

static int box_hits(float x, float y, int x0, int y0, int w, int h, float pad)
{
	return x >= x0 - pad && x < x0 + w + pad && y >= y0 - pad && y < y0 + h + pad;
}

/* How much data a box at (x0, y0) would hide: samples every 3 pixels along the segments and
 * error bars, and each marker (which counts as much as the segment samples it stands for). */
static int legend_cost(const struct ampcl_plot_panel *p, const struct panel_geo *g, int x0, int y0,
		       int w, int h)
{
	int cost = 0;
	float r = p->bars ? marker_radius(g) + 2 : 3;
	for (int li = 0; li < p->nlines; li++) {
		const struct ampcl_plot_line *l = &p->lines[li];
		for (int i = 0; i < l->n; i++) {
			if (!point_ok(l, i))
				continue;
			float ax = map_x(g, l->x[i]), ay = map_y(g, l->y[i]);
			cost += (p->bars ? 8 : 1) * box_hits(ax, ay, x0, y0, w, h, r);
			if (l->err && usable(l->err[i])) {
				float top = map_y(g, l->y[i] + fabs(l->err[i]));
				float bot = map_y(g, l->y[i] - fabs(l->err[i]));
				for (float y = top; y <= bot; y += 3)
					cost += box_hits(ax, y, x0, y0, w, h, 3);
			}
			if (p->bars || i + 1 >= l->n || !point_ok(l, i + 1))
				continue;
			float bx = map_x(g, l->x[i + 1]), by = map_y(g, l->y[i + 1]);
			int steps = 1 + (int)(hypotf(bx - ax, by - ay) / 3);
			if (steps > 4000)
				steps = 4000;
			for (int k = 1; k < steps; k++) {
				float t = (float)k / (float)steps;
				cost += box_hits(ax + t * (bx - ax), ay + t * (by - ay), x0, y0, w,
						 h, 3);
			}
		}
	}
	return cost;
}

/* Measures the legend and picks the corner that hides the least data; returns that cost. */
static int legend_place(const struct ampcl_plot_panel *p, const struct panel_geo *g,
			struct legend *lg, struct ampcl_plot_rect *out)
{
	int inset = 6 + 2 * g->scale;
	/* inside the plot: at most 90% of its width, and its height less the insets */
	legend_measure(lg, p, g->scale, (g->plot.x1 - g->plot.x0) * 9 / 10,
		       g->plot.y1 - g->plot.y0 - 2 * inset);
	memset(out, 0, sizeof(*out));
	if (!lg->n)
		return 0;
	/* corners in order of preference: upper right, upper left, lower right, lower left */
	int xs[4] = {g->plot.x1 - inset - lg->w, g->plot.x0 + inset, g->plot.x1 - inset - lg->w,
		     g->plot.x0 + inset};
	int ys[4] = {g->plot.y0 + inset, g->plot.y0 + inset, g->plot.y1 - inset - lg->h,
		     g->plot.y1 - inset - lg->h};
	int best = 0, best_cost = -1;
	for (int k = 0; k < 4; k++) {
		int cost = legend_cost(p, g, xs[k], ys[k], lg->w, lg->h);
		if (best_cost < 0 || cost < best_cost) {
			best = k;
			best_cost = cost;
		}
	}
	*out = (struct ampcl_plot_rect){xs[best], ys[best], xs[best] + lg->w, ys[best] + lg->h};
	return best_cost;
}

static void draw_legend(struct canvas *c, const struct ampcl_plot_panel *p,
			const struct panel_geo *g, const struct legend *lgp,
			const struct ampcl_plot_rect *at)
{
	const struct legend lg = *lgp;
	if (!lg.n)
		return;
	int s = g->scale, pad = 4 + 2 * s;
	int x0 = at->x0, y0 = at->y0;
	fill_rect(c, x0, y0, x0 + lg.w, y0 + lg.h, white, 0.92f);
	fill_rect(c, x0, y0, x0 + lg.w, y0 + 1, legend_edge, 1);
	fill_rect(c, x0, y0 + lg.h - 1, x0 + lg.w, y0 + lg.h, legend_edge, 1);
	fill_rect(c, x0, y0, x0 + 1, y0 + lg.h, legend_edge, 1);
	fill_rect(c, x0 + lg.w - 1, y0, x0 + lg.w, y0 + lg.h, legend_edge, 1);

	float lw = line_width(g);
	int slot = 0;
	for (int i = 0; i < p->nlines; i++) {
		const char *label = p->lines[i].label;
		if (!label || !*label)
			continue;
		int col_i = slot / lg.rows, row = slot % lg.rows;
		slot++;
		int cx = x0 + pad + col_i * lg.col_w, cy = y0 + pad + row * lg.row_h;
		float mid = cy + (AMPCL_FONT_ASCENT * s) / 2.0f;
		unsigned char col[3];
		ampcl_plot_line_color(i, col);
		int style = (i / AMPCL_PLOT_COLORS) % NSTYLES;
		if (p->lines[i].lo && p->lines[i].hi) /* the band behind the swatch */
			fill_rect(c, cx, cy - s, cx + lg.swatch, cy + AMPCL_FONT_ASCENT * s + s,
				  col, BAND_ALPHA);
		if (p->bars || p->lines[i].points) {
			float mx = cx + lg.swatch / 2.0f;
			if (p->lines[i].err) {
				float cap = 2.0f + 2.0f * s, w = lw * 0.6f + 0.4f;
				float top = mid - 0.45f * lg.row_h, bot = mid + 0.45f * lg.row_h;
				mask_segment(c, mx, top, mx, bot, w, dashes[0], 0);
				mask_segment(c, mx - cap, top, mx + cap, top, w, dashes[0], 0);
				mask_segment(c, mx - cap, bot, mx + cap, bot, w, dashes[0], 0);
			}
			mask_marker(c, mx, mid, marker_radius(g), (enum marker)style);
		} else {
			mask_segment(c, cx + lw / 2, mid, cx + lg.swatch - lw / 2, mid, lw,
				     dashes[style], 0);
		}
		mask_flush(c, col);
		char buf[256];
		fit_text(buf, sizeof(buf), label, s, lg.label_px);
		draw_text(c, cx + lg.swatch + 3 * s, cy, buf, s, ink);
	}
}

static void panel_extent(const struct ampcl_plot_panel *p, double *x0, double *x1, double *y0,
			 double *y1, int *have, int *integer_x)
{
	*have = 0;
	*integer_x = 1;
	*x0 = *y0 = INFINITY;
	*x1 = *y1 = -INFINITY;
	for (int li = 0; li < p->nlines; li++) {
		const struct ampcl_plot_line *l = &p->lines[li];
		for (int i = 0; i < l->n; i++) {
			if (!point_ok(l, i))
				continue;
			double x = l->x[i], y = l->y[i];
			double e = l->err && usable(l->err[i]) ? fabs(l->err[i]) : 0;
			*have = 1;
			*integer_x = *integer_x && x == round(x);
			*x0 = fmin(*x0, x);
			*x1 = fmax(*x1, x);
			*y0 = fmin(*y0, y - e);
			*y1 = fmax(*y1, y + e);
		}
		for (int i = 0; l->lo && l->hi && i < l->n; i++) {
			if (!band_ok(l, i))
				continue;
			*have = 1;
			*integer_x = *integer_x && l->x[i] == round(l->x[i]);
			*x0 = fmin(*x0, l->x[i]);
			*x1 = fmax(*x1, l->x[i]);
			*y0 = fmin(*y0, fmin(l->lo[i], l->hi[i]));
			*y1 = fmax(*y1, fmax(l->lo[i], l->hi[i]));
		}
	}
	if (!usable(*y0) || !usable(*y1)) { /* an error bar ran past 1e300 */
		*y0 = fmax(*y0, -MAX_ABS);
		*y1 = fmin(*y1, MAX_ABS);
	}
}

/* Fits the axes and margins to the panel and its data. headroom > 0 raises the top of the y
 * range so that this fraction of the plot's height stays free above the data, right_reserve
 * keeps columns free beside the plot (both for the legend). */
static void panel_layout(struct panel_geo *g, const struct ampcl_plot_panel *p, int height,
			 double headroom, int right_reserve)
{
	int pw = g->x1 - g->x0;
	int s = pw / 520 < height / 420 ? pw / 520 : height / 420;
	g->scale = s < 1 ? 1 : s > 4 ? 4 : s;
	s = g->scale;
	g->title_scale = s + 1;
	int tick = 2 + 2 * s, gap = 3 * s;

	double dx0, dx1, dy0, dy1;
	int have, integer_x;
	panel_extent(p, &dx0, &dx1, &dy0, &dy1, &have, &integer_x);
	axis_range(&g->xa, dx0, dx1, have, p->bars ? 0.08 : 0.03);
	axis_range(&g->ya, dy0, dy1, have, 0.06);
	g->xa.log = p->log_x, g->ya.log = p->log_y;
	if (headroom > 0)
		g->ya.hi += (g->ya.hi - g->ya.lo) * headroom / (1 - headroom);

	int top =
	    p->title && *p->title ? 8 * s + AMPCL_FONT_HEIGHT * g->title_scale + 6 * s : 8 * s + 4;
	int bottom = tick + gap + AMPCL_FONT_HEIGHT * s +
		     (p->xlabel && *p->xlabel ? 2 * gap + AMPCL_FONT_HEIGHT * s : 0) + 6 * s;
	g->plot.y0 = top;
	g->plot.y1 = height - bottom;
	int ph = g->plot.y1 - g->plot.y0;
	axis_ticks(&g->ya,
		   nice_step((g->ya.hi - g->ya.lo) / fmax(2, ph / (45.0 * s)), p->log_y ? 1 : 0));

	int left = 6 * s + (p->ylabel && *p->ylabel ? AMPCL_FONT_HEIGHT * s + 2 * gap : 0) +
		   max_label_width(&g->ya, s) + gap + tick;
	g->plot.x0 = g->x0 + left;
	g->plot.x1 = g->x1 - 14 * s - 4 - right_reserve;
	int plot_w = g->plot.x1 - g->plot.x0;
	/* x ticks: as many as fit with a clear gap between labels */
	double step = nice_step((g->xa.hi - g->xa.lo) / fmax(2, plot_w / (70.0 * s)),
				integer_x || p->log_x ? 1 : 0);
	for (int tries = 0; tries < 20; tries++) {
		axis_ticks(&g->xa, step);
		double px_per_step = step / (g->xa.hi - g->xa.lo) * plot_w;
		if (px_per_step >= max_label_width(&g->xa, s) + 10 * s)
			break;
		step = next_step(step);
	}
}

static void draw_panel(struct canvas *c, const struct ampcl_plot_panel *p, int px0, int px1,
		       struct ampcl_plot_layout *layout)
{
	struct panel_geo g = {.x0 = px0, .x1 = px1};
	struct legend lg;
	struct ampcl_plot_rect legend;
	panel_layout(&g, p, c->h, 0, 0);
	int ph = g.plot.y1 - g.plot.y0, gap_out = 6 + 2 * g.scale;
	/* When every corner of the legend would hide data, make room above the data; when the
	 * legend is too tall for that, put it beside the plot, if it fits in 40% of the panel. */
	if (legend_place(p, &g, &lg, &legend) > 0) {
		int band = lg.h + 2 * (6 + 2 * g.scale);
		struct legend side;
		legend_measure(&side, p, g.scale, (px1 - px0) * 2 / 5, ph);
		if (band < ph / 2) {
			panel_layout(&g, p, c->h, (double)band / ph, 0);
			legend_place(p, &g, &lg, &legend);
		} else if (side.h <= ph && side.w <= (px1 - px0) * 2 / 5 &&
			   g.plot.x1 - g.plot.x0 - side.w - gap_out >= (px1 - px0) / 3) {
			panel_layout(&g, p, c->h, 0, side.w + gap_out);
			lg = side;
			legend = (struct ampcl_plot_rect){g.plot.x1 + gap_out, g.plot.y0,
							  g.plot.x1 + gap_out + side.w,
							  g.plot.y0 + side.h};
		}
	}
	int s = g.scale, tick = 2 + 2 * s, gap = 3 * s, plot_w = g.plot.x1 - g.plot.x0;
	const char *title = p->title ? p->title : "", *xl = p->xlabel ? p->xlabel : "";
	const char *yl = p->ylabel ? p->ylabel : "";

	/* grid, then data clipped to the plot area, then the frame over both */
	for (long long k = g.ya.k0; k <= g.ya.k1; k++) {
		int y = (int)floorf(map_y(&g, (double)k * g.ya.step));
		fill_rect(c, g.plot.x0, y, g.plot.x1, y + 1, grid, 1);
	}
	for (long long k = g.xa.k0; k <= g.xa.k1; k++) {
		int x = (int)floorf(map_x(&g, (double)k * g.xa.step));
		fill_rect(c, x, g.plot.y0, x + 1, g.plot.y1, grid, 1);
	}
	c->cx0 = g.plot.x0 + 1;
	c->cy0 = g.plot.y0 + 1;
	c->cx1 = g.plot.x1 - 1;
	c->cy1 = g.plot.y1 - 1;
	for (int i = 0; i < p->nlines; i++)
		draw_band(c, &g, &p->lines[i], i);
	for (int i = 0; i < p->nlines; i++)
		draw_line(c, &g, &p->lines[i], i, p->bars);
	clip_all(c);
	fill_rect(c, g.plot.x0, g.plot.y0, g.plot.x1, g.plot.y0 + 1, frame, 1);
	fill_rect(c, g.plot.x0, g.plot.y1 - 1, g.plot.x1, g.plot.y1, frame, 1);
	fill_rect(c, g.plot.x0, g.plot.y0, g.plot.x0 + 1, g.plot.y1, frame, 1);
	fill_rect(c, g.plot.x1 - 1, g.plot.y0, g.plot.x1, g.plot.y1, frame, 1);

	char buf[256];
	for (long long k = g.ya.k0; k <= g.ya.k1; k++) {
		int y = (int)floorf(map_y(&g, (double)k * g.ya.step));
		fill_rect(c, g.plot.x0 - tick, y, g.plot.x0, y + 1, frame, 1);
		tick_label(&g.ya, k, buf, sizeof(buf));
		draw_text(c, g.plot.x0 - tick - gap - text_width(buf, s),
			  y - (AMPCL_FONT_ASCENT * s) / 2, buf, s, ink);
	}
	for (long long k = g.xa.k0; k <= g.xa.k1; k++) {
		int x = (int)floorf(map_x(&g, (double)k * g.xa.step));
		fill_rect(c, x, g.plot.y1, x + 1, g.plot.y1 + tick, frame, 1);
		tick_label(&g.xa, k, buf, sizeof(buf));
		draw_text(c, x - text_width(buf, s) / 2, g.plot.y1 + tick + gap, buf, s, ink);
	}
	int cx = (g.plot.x0 + g.plot.x1) / 2;
	if (*xl) {
		fit_text(buf, sizeof(buf), xl, s, plot_w);
		draw_text(c, cx - text_width(buf, s) / 2,
			  g.plot.y1 + tick + 3 * gap + AMPCL_FONT_HEIGHT * s, buf, s, ink);
	}
	if (*yl) {
		fit_text(buf, sizeof(buf), yl, s, ph);
		draw_text_up(c, px0 + 6 * s, (g.plot.y0 + g.plot.y1) / 2 + text_width(buf, s) / 2,
			     buf, s, ink);
	}
	if (*title) {
		fit_text(buf, sizeof(buf), title, g.title_scale, px1 - px0 - 8);
		int tx = cx - text_width(buf, g.title_scale) / 2;
		if (tx < px0 + 4)
			tx = px0 + 4;
		draw_text(c, tx, 8 * s, buf, g.title_scale, ink);
	}

	draw_legend(c, p, &g, &lg, &legend);
	if (layout) {
		layout->plot = g.plot;
		layout->legend = legend;
	}
}

/* ---- entry points ---- */

static int check_args(const struct ampcl_plot_panel *panels, int npanels, int width, int height)
{
	if (!panels || npanels < 1 || npanels > AMPCL_PLOT_MAX_PANELS)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "plot: %d panels%s; give 1 to %d",
				       npanels, panels ? "" : " (NULL array)",
				       AMPCL_PLOT_MAX_PANELS);
	if (width < npanels * AMPCL_PLOT_MIN_PANEL_WIDTH || height < AMPCL_PLOT_MIN_HEIGHT ||
	    width > AMPCL_PLOT_MAX_SIDE || height > AMPCL_PLOT_MAX_SIDE)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "plot: image %d x %d is out of range for %d panel(s); width "
				       "%d..%d, height %d..%d",
				       width, height, npanels, npanels * AMPCL_PLOT_MIN_PANEL_WIDTH,
				       AMPCL_PLOT_MAX_SIDE, AMPCL_PLOT_MIN_HEIGHT,
				       AMPCL_PLOT_MAX_SIDE);
	for (int p = 0; p < npanels; p++) {
		const struct ampcl_plot_panel *pp = &panels[p];
		if (pp->nlines < 0 || (pp->nlines > 0 && !pp->lines))
			return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
					       "plot panel %d: nlines = %d with %s lines array", p,
					       pp->nlines, pp->lines ? "a" : "a NULL");
		for (int i = 0; i < pp->nlines; i++) {
			const struct ampcl_plot_line *l = &pp->lines[i];
			if (l->n < 0 || (l->n > 0 && (!l->x || !l->y)))
				return ampcl_error_set(
				    AMPCL_ERR_INVALID_ARG,
				    "plot panel %d line %d ('%s'): n = %d%s; give n >= 0 and x, y "
				    "arrays of n values",
				    p, i, l->label ? l->label : "", l->n,
				    l->n > 0 ? " with a NULL x or y" : "");
		}
	}
	return AMPCL_OK;
}

/* A panel with logarithmic axes is drawn as the panel of its values' logarithms (NaN where a
 * value is <= 0, so the point is skipped); the axes then label their ticks as powers of ten. */
struct log_panel {
	struct ampcl_plot_panel panel;
	struct ampcl_plot_line *lines;
	double *values;
};

static double log_or_nan(double v, int log)
{
	return !log ? v : v > 0 ? log10(v) : NAN;
}

static const struct ampcl_plot_panel *log_panel(struct log_panel *lp,
						const struct ampcl_plot_panel *p)
{
	memset(lp, 0, sizeof(*lp));
	if (!p->log_x && !p->log_y)
		return p;
	size_t total = 0;
	for (int i = 0; i < p->nlines; i++)
		total += (size_t)p->lines[i].n;
	lp->panel = *p;
	lp->lines = report_alloc((size_t)p->nlines + 1, sizeof(*lp->lines));
	lp->values = report_alloc(4 * total + 1, sizeof(double));
	double *v = lp->values;
	for (int i = 0; i < p->nlines; i++) {
		const struct ampcl_plot_line *l = &p->lines[i];
		lp->lines[i] = *l;
		lp->lines[i].err = NULL; /* an error bar has no meaning on a log axis */
		lp->lines[i].x = v, lp->lines[i].y = v + l->n;
		for (int k = 0; k < l->n; k++) {
			v[k] = log_or_nan(l->x[k], p->log_x);
			v[l->n + k] = log_or_nan(l->y[k], p->log_y);
		}
		v += 2 * (size_t)l->n;
		if (l->lo && l->hi) {
			lp->lines[i].lo = v, lp->lines[i].hi = v + l->n;
			for (int k = 0; k < l->n; k++) {
				v[k] = log_or_nan(l->lo[k], p->log_y);
				v[l->n + k] = log_or_nan(l->hi[k], p->log_y);
			}
			v += 2 * (size_t)l->n;
		}
	}
	lp->panel.lines = lp->lines;
	return &lp->panel;
}

static void log_panel_free(struct log_panel *lp)
{
	free(lp->lines);
	free(lp->values);
}

ampcl_status ampcl_plot_render(const struct ampcl_plot_panel *panels, int npanels, int width,
			       int height, unsigned char *rgb, struct ampcl_plot_layout *layout)
{
	int st = check_args(panels, npanels, width, height);
	if (st)
		return st;
	if (!rgb)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "ampcl_plot_render: NULL pixel buffer");
	struct canvas c = {.w = width, .h = height, .rgb = rgb};
	c.mask = report_alloc((size_t)width * height, sizeof(float));
	c.mx0 = width;
	c.my0 = height;
	clip_all(&c);
	memset(rgb, 255, (size_t)width * height * 3);
	for (int p = 0; p < npanels; p++) {
		struct log_panel lp;
		draw_panel(&c, log_panel(&lp, &panels[p]), p * width / npanels,
			   (p + 1) * width / npanels, layout ? &layout[p] : NULL);
		log_panel_free(&lp);
	}
	free(c.mask);
	return AMPCL_OK;
}

struct png_failure {
	char message[256];
};

static void on_png_error(png_structp png, png_const_charp msg)
{
	struct png_failure *f = png_get_error_ptr(png);
	snprintf(f->message, sizeof(f->message), "%s", msg);
	png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

/* Returns 0, or -1 with f->message set. Nothing here is modified between setjmp and a
 * longjmp back to it, so no local needs to be volatile. */
static int encode_png(FILE *fp, const unsigned char *rgb, int width, int height,
		      struct png_failure *f)
{
	png_structp png =
	    png_create_write_struct(PNG_LIBPNG_VER_STRING, f, on_png_error, on_png_warning);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	if (!png || !info) {
		snprintf(f->message, sizeof(f->message), "libpng could not allocate its state");
		png_destroy_write_struct(png ? &png : NULL, NULL);
		return -1;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return -1;
	}
	png_init_io(png, fp);
	png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_text text = {
	    .compression = PNG_TEXT_COMPRESSION_NONE, .key = "Software", .text = "ampcl"};
	png_set_text(png, info, &text, 1);
	png_write_info(png, info);
	for (int y = 0; y < height; y++)
		png_write_row(png, rgb + (size_t)y * width * 3);
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	return 0;
}

ampcl_status ampcl_plot_write_png(const char *path, const struct ampcl_plot_panel *panels,
				  int npanels, int width, int height)
{
	if (!path || !*path)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "plot: NULL or empty output path");
	int st = check_args(panels, npanels, width, height);
	if (st)
		return st;
	unsigned char *rgb = report_alloc(1, (size_t)width * height * 3);
	st = ampcl_plot_render(panels, npanels, width, height, rgb, NULL);
	if (st)
		goto out_pixels;

	ampcl_atomic_file_t *a;
	FILE *fp;
	if ((st = ampcl_atomic_file_open(path, &a, &fp))) {
		ampcl_error_wrap(st, "plot: ");
		goto out_pixels;
	}
	struct png_failure failure = {{0}};
	if (encode_png(fp, rgb, width, height, &failure)) {
		ampcl_atomic_file_abort(a);
		st = ampcl_error_set(AMPCL_ERR_IO, "cannot write plot '%s': %s", path,
				     failure.message[0] ? failure.message : strerror(errno));
		goto out_pixels;
	}
	st = ampcl_atomic_file_commit(a);
out_pixels:
	free(rgb);
	return st;
}

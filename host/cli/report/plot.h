/* plot.h: line charts and error-bar charts drawn in memory and written as RGB PNG files (libpng):
 * the training curves (curves.png) and the study plots. Text uses the embedded font (font.h). */
#ifndef AMPCL_PLOT_H
#define AMPCL_PLOT_H

#include "ampcl.h"

/* One series. Points whose x or y is NaN, infinite or beyond +-1e300 are skipped (the line
 * breaks there); a point with no drawable neighbour gets a dot so it stays visible. */
struct ampcl_plot_line {
	const char *label; /* legend text; NULL or "" leaves the line out of the legend */
	const double *x, *y;
	int n;
	const double *err; /* NULL, or a +-err bar per point (NaN: no bar at that point) */
	int points;        /* 1: a marker at each point, not joined (a scatter) */
	/* NULL, or a band from lo[i] to hi[i] at x[i] (n values each), filled translucent in the
	 * line's colour under every line of the panel (a spread over seeds); a point whose x, lo
	 * or hi is unusable breaks the band, and a point with no neighbour in it gets a stroke */
	const double *lo, *hi;
};

/* One chart: axes with "nice" ticks fitted to the data (error bars included), a grid, labels,
 * a title and a legend in a corner of the plot that hides no data; if every corner would, the
 * y range gets headroom above the data for it, or, for a tall legend, it goes beside the plot. */
struct ampcl_plot_panel {
	const char *title, *xlabel, *ylabel; /* NULL or "" for none */
	const struct ampcl_plot_line *lines;
	int nlines;
	int bars; /* 1: draw each point as a marker with its error bar instead of joining them */
	/* 1: a logarithmic axis, ticks at powers of ten; points whose value on it is <= 0 are
	 * skipped, and error bars are not drawn */
	int log_x, log_y;
};

/* Lines take colours from a fixed palette in order; line i and line i + AMPCL_PLOT_COLORS share
 * a colour and differ in dash pattern (solid, dashed, dotted, dash-dot) or, with bars, in
 * marker shape (circle, square, triangle, diamond). */
#define AMPCL_PLOT_COLORS 10
void ampcl_plot_line_color(int i, unsigned char rgb[3]);

/* Image limits; each panel needs at least AMPCL_PLOT_MIN_PANEL_WIDTH columns. */
#define AMPCL_PLOT_MIN_PANEL_WIDTH 160
#define AMPCL_PLOT_MIN_HEIGHT 120
#define AMPCL_PLOT_MAX_SIDE 16384
#define AMPCL_PLOT_MAX_PANELS 16

/* Draws npanels side by side into a width x height RGB PNG at path, written to path.tmp.PID and
 * renamed, so a viewer never sees half an image. Text is printable ASCII; other bytes show as
 * '?', and text too long for its place is cut short with "..".
 * Errors: AMPCL_ERR_INVALID_ARG for a bad argument (the message names the panel and line),
 * AMPCL_ERR_IO naming path when it cannot be written (nothing is left behind). */
ampcl_status ampcl_plot_write_png(const char *path, const struct ampcl_plot_panel *panels,
				  int npanels, int width, int height);

/* A pixel rectangle: columns x0..x1-1, rows y0..y1-1; empty when x0 == x1. */
struct ampcl_plot_rect {
	int x0, y0, x1, y1;
};

/* Where a panel's parts landed: the plot area inside the frame and the legend box. */
struct ampcl_plot_layout {
	struct ampcl_plot_rect plot, legend;
};

/* The drawing behind ampcl_plot_write_png, for callers and tests that want the pixels: fills rgb
 * (width * height * 3 bytes, rows top to bottom) and, if layout is not NULL, layout[0..npanels). */
ampcl_status ampcl_plot_render(const struct ampcl_plot_panel *panels, int npanels, int width,
			       int height, unsigned char *rgb, struct ampcl_plot_layout *layout);

#endif

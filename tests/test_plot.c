/* test_plot.c: PNG plots read back with libpng: size and format, line colours in their plot area,
 * legend and axis text, NaN/inf/single/constant data, translucent bands, bad paths and arguments.
 * Run with a folder argument to keep the PNGs for looking at. */
#include "plot.h"
#include "report.h"
#include "testutil.h"

#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];
static int keep; /* a folder was given: leave the images there */

static const unsigned char ink[3] = {0x22, 0x22, 0x22}; /* plot.c's text colour */

/* Reads path as 8-bit RGB; returns the pixels (malloc'ed) or NULL with a printed reason. */
static unsigned char *read_png(const char *path, int *w, int *h, int *was_rgb8)
{
	png_image img;
	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(&img, path)) {
		printf("     libpng cannot open %s: %s\n", path, img.message);
		return NULL;
	}
	*was_rgb8 = img.format == PNG_FORMAT_RGB;
	img.format = PNG_FORMAT_RGB;
	unsigned char *px = tu_malloc(PNG_IMAGE_SIZE(img));
	if (!png_image_finish_read(&img, NULL, px, 0, NULL)) {
		printf("     libpng cannot decode %s: %s\n", path, img.message);
		free(px);
		return NULL;
	}
	*w = (int)img.width;
	*h = (int)img.height;
	return px;
}

static int is_color(const unsigned char *px, int w, int x, int y, const unsigned char c[3])
{
	return !memcmp(px + ((size_t)y * w + x) * 3, c, 3);
}

static int in_rect(const struct ampcl_plot_rect *r, int x, int y)
{
	return x >= r->x0 && x < r->x1 && y >= r->y0 && y < r->y1;
}

/* Pixels of colour c inside r, leaving out the rectangle `skip` (may be empty). */
static int count_color(const unsigned char *px, int w, const struct ampcl_plot_rect *r,
		       const struct ampcl_plot_rect *skip, const unsigned char c[3])
{
	int n = 0;
	for (int y = r->y0; y < r->y1; y++)
		for (int x = r->x0; x < r->x1; x++)
			n += is_color(px, w, x, y, c) && !(skip && in_rect(skip, x, y));
	return n;
}

/* The rows spanned by colour c inside r outside skip: [*top, *bottom]; returns the count. */
static int color_rows(const unsigned char *px, int w, const struct ampcl_plot_rect *r,
		      const struct ampcl_plot_rect *skip, const unsigned char c[3], int *top,
		      int *bottom)
{
	int n = 0;
	*top = r->y1;
	*bottom = -1;
	for (int y = r->y0; y < r->y1; y++) {
		for (int x = r->x0; x < r->x1; x++) {
			if (!is_color(px, w, x, y, c) || (skip && in_rect(skip, x, y)))
				continue;
			n++;
			*top = y < *top ? y : *top;
			*bottom = y > *bottom ? y : *bottom;
		}
	}
	return n;
}

static void out_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static void finish_file(const char *path)
{
	if (!keep)
		unlink(path);
}

enum { N = 25 };
static double ep[N], loss_tr[N], loss_te[N], acc_tr[N], acc_te[N];

static void make_curves(void)
{
	for (int i = 0; i < N; i++) {
		ep[i] = i + 1;
		loss_tr[i] = 2.3 * exp(-i / 5.0) + 0.05;
		loss_te[i] = 2.2 * exp(-i / 6.0) + 0.4;
		acc_tr[i] = 1 - 0.9 * exp(-i / 5.0);
		acc_te[i] = 0.85 - 0.75 * exp(-i / 6.0);
	}
}

static void test_curves(void)
{
	struct ampcl_plot_line loss[2] = {{"train loss", ep, loss_tr, N, NULL, 0, NULL, NULL},
					  {"test loss", ep, loss_te, N, NULL, 0, NULL, NULL}};
	struct ampcl_plot_line acc[2] = {{"train acc", ep, acc_tr, N, NULL, 0, NULL, NULL},
					 {"test acc", ep, acc_te, N, NULL, 0, NULL, NULL}};
	struct ampcl_plot_panel panels[2] = {
	    {"Loss", "epoch", "loss", loss, 2, 0, 0, 0},
	    {"Accuracy", "epoch", "accuracy", acc, 2, 0, 0, 0},
	};
	const int W = 900, H = 340;
	char path[300];
	out_path(path, sizeof(path), "curves.png");
	tu_ok(ampcl_plot_write_png(path, panels, 2, W, H), "write curves.png");

	int w = 0, h = 0, rgb8 = 0;
	unsigned char *px = read_png(path, &w, &h, &rgb8);
	tu_check(px && w == W && h == H && rgb8, "curves.png reads back",
		 "%d x %d (want %d x %d), 8-bit RGB %s", w, h, W, H, rgb8 ? "yes" : "no");
	if (!px)
		return;

	unsigned char *want = tu_malloc((size_t)W * H * 3);
	struct ampcl_plot_layout lay[2];
	tu_ok(ampcl_plot_render(panels, 2, W, H, want, lay), "render curves");
	size_t diff = 0;
	for (size_t i = 0; i < (size_t)W * H * 3; i++)
		diff += px[i] != want[i];
	tu_check(diff == 0, "PNG holds the rendered pixels", "%zu of %d bytes differ", diff,
		 W * H * 3);
	free(want);

	for (int p = 0; p < 2; p++) {
		const struct ampcl_plot_rect *r = &lay[p].plot, *lg = &lay[p].legend;
		int px0 = p * W / 2, px1 = (p + 1) * W / 2;
		tu_check(r->x0 > px0 && r->x1 <= px1 && r->y0 > 0 && r->y1 < H &&
			     r->x1 - r->x0 > W / 4 && r->y1 - r->y0 > H / 2,
			 "plot area inside its panel",
			 "panel %d: plot [%d,%d) x [%d,%d), panel "
			 "columns [%d,%d)",
			 p, r->x0, r->x1, r->y0, r->y1, px0, px1);
		tu_check(lg->x1 > lg->x0 && lg->x0 >= r->x0 && lg->x1 <= r->x1 && lg->y0 >= r->y0 &&
			     lg->y1 <= r->y1,
			 "legend inside the plot area", "panel %d: legend [%d,%d) x [%d,%d)", p,
			 lg->x0, lg->x1, lg->y0, lg->y1);
		for (int i = 0; i < 2; i++) {
			unsigned char c[3];
			ampcl_plot_line_color(i, c);
			int in_plot = count_color(px, w, r, lg, c);
			int in_legend = count_color(px, w, lg, NULL, c);
			tu_check(in_plot >= 100 && in_legend >= 10, "line colour drawn",
				 "panel %d line %d (#%02x%02x%02x): %d pixels in the plot area "
				 "(want >= 100), %d in the legend swatch (want >= 10)",
				 p, i, c[0], c[1], c[2], in_plot, in_legend);
		}
		int text = count_color(px, w, lg, NULL, ink);
		tu_check(text >= 60, "legend text drawn", "panel %d: %d text pixels in the legend",
			 p, text);
		struct ampcl_plot_rect ylab = {px0, r->y0 - 4, r->x0, r->y1 + 4};
		struct ampcl_plot_rect xlab = {r->x0 - 10, r->y1, r->x1 + 10, H};
		struct ampcl_plot_rect title = {px0, 0, px1, r->y0};
		int ny = count_color(px, w, &ylab, NULL, ink),
		    nx = count_color(px, w, &xlab, NULL, ink);
		int nt = count_color(px, w, &title, NULL, ink);
		tu_check(ny >= 80 && nx >= 80 && nt >= 40, "axis labels and title drawn",
			 "panel %d: %d text pixels left of the plot, %d below, %d above", p, ny, nx,
			 nt);
	}
	free(px);
	finish_file(path);
}

/* One panel, one line (index `index`, earlier lines empty), rendered to memory. */
static unsigned char *render_one(const struct ampcl_plot_line *line, int index, int bars,
				 struct ampcl_plot_layout *lay, int w, int h)
{
	struct ampcl_plot_line lines[40];
	memset(lines, 0, sizeof(lines));
	lines[index] = *line;
	struct ampcl_plot_panel p = {"t", "x", "y", lines, index + 1, bars, 0, 0};
	unsigned char *px = tu_malloc((size_t)w * h * 3);
	tu_ok(ampcl_plot_render(&p, 1, w, h, px, lay), "render");
	return px;
}

static void test_data_edges(void)
{
	const int W = 400, H = 300;
	struct ampcl_plot_layout lay;
	unsigned char c0[3];
	ampcl_plot_line_color(0, c0);
	int top, bottom;

	/* NaN and inf are skipped: the finite points still span the plot's height */
	double x[7] = {0, 1, 2, 3, 4, INFINITY, 6};
	double y[7] = {0.1, INFINITY, 0.3, NAN, 0.2, 0.5, -1e308 * 10};
	struct ampcl_plot_line l = {"nan", x, y, 7, NULL, 0, NULL, NULL};
	unsigned char *px = render_one(&l, 0, 0, &lay, W, H);
	int n = color_rows(px, W, &lay.plot, &lay.legend, c0, &top, &bottom);
	int ph = lay.plot.y1 - lay.plot.y0;
	tu_check(n > 10 && bottom - top > ph / 2, "NaN and inf points skipped",
		 "%d line pixels spanning rows %d..%d of a %d-row plot (inf in the range would "
		 "flatten it)",
		 n, top, bottom, ph);
	free(px);

	double one_x = 7, one_y = -3;
	l = (struct ampcl_plot_line){"one", &one_x, &one_y, 1, NULL, 0, NULL, NULL};
	px = render_one(&l, 0, 0, &lay, W, H);
	n = color_rows(px, W, &lay.plot, &lay.legend, c0, &top, &bottom);
	int mid = (lay.plot.y0 + lay.plot.y1) / 2;
	tu_check(n >= 4 && abs((top + bottom) / 2 - mid) <= 3, "a single point is drawn",
		 "%d pixels at rows %d..%d, plot middle %d", n, top, bottom, mid);
	free(px);

	double flat[5] = {0.7, 0.7, 0.7, 0.7, 0.7};
	l = (struct ampcl_plot_line){"flat", x, flat, 5, NULL, 0, NULL, NULL};
	px = render_one(&l, 0, 0, &lay, W, H);
	n = color_rows(px, W, &lay.plot, &lay.legend, c0, &top, &bottom);
	mid = (lay.plot.y0 + lay.plot.y1) / 2;
	tu_check(n >= 100 && bottom - top <= 4 && abs((top + bottom) / 2 - mid) <= 3,
		 "a constant series is a line across the middle",
		 "%d pixels in rows %d..%d, plot middle %d", n, top, bottom, mid);
	free(px);

	double none_x[2] = {NAN, 1}, none_y[2] = {1, NAN};
	l = (struct ampcl_plot_line){"none", none_x, none_y, 2, NULL, 0, NULL, NULL};
	px = render_one(&l, 0, 0, &lay, W, H);
	n = count_color(px, W, &lay.plot, &lay.legend, c0);
	tu_check(n == 0 && lay.plot.x1 > lay.plot.x0, "no drawable points gives empty axes",
		 "%d line pixels", n);
	free(px);

	/* line 10 reuses colour 0 with a dashed pattern: a row of it breaks into several runs */
	double hx[2] = {0, 10}, hy[2] = {1, 1};
	l = (struct ampcl_plot_line){"cycled", hx, hy, 2, NULL, 0, NULL, NULL};
	int runs[2];
	for (int k = 0; k < 2; k++) {
		px = render_one(&l, k * AMPCL_PLOT_COLORS, 0, &lay, W, H);
		int best_row = -1, best = -1;
		for (int yy = lay.plot.y0; yy < lay.plot.y1; yy++) {
			int cnt = 0;
			for (int xx = lay.plot.x0; xx < lay.plot.x1; xx++)
				cnt += is_color(px, W, xx, yy, c0) && !in_rect(&lay.legend, xx, yy);
			if (cnt > best) {
				best = cnt;
				best_row = yy;
			}
		}
		runs[k] = 0;
		for (int xx = lay.plot.x0; xx < lay.plot.x1; xx++)
			runs[k] += is_color(px, W, xx, best_row, c0) &&
				   !is_color(px, W, xx - 1, best_row, c0);
		free(px);
	}
	tu_check(runs[0] == 1 && runs[1] >= 10, "colours cycle with a dash pattern",
		 "line 0: %d solid run(s); line %d: %d dashes", runs[0], AMPCL_PLOT_COLORS,
		 runs[1]);

	/* error bars: the bar's pixels reach beyond the marker */
	double bx[3] = {0, 1, 2}, by[3] = {0.5, 0.6, 0.55}, be[3] = {0.2, 0.05, NAN};
	l = (struct ampcl_plot_line){"bars", bx, by, 3, be, 0, NULL, NULL};
	px = render_one(&l, 0, 1, &lay, W, H);
	n = color_rows(px, W, &lay.plot, &lay.legend, c0, &top, &bottom);
	ph = lay.plot.y1 - lay.plot.y0;
	tu_check(n > 50 && bottom - top > ph * 2 / 3, "error bars drawn",
		 "%d pixels spanning rows %d..%d of a %d-row plot", n, top, bottom, ph);
	free(px);

	/* many series, long labels, no labels: a legend in columns, nothing out of bounds */
	static double many_y[24][N];
	struct ampcl_plot_line many[24];
	char labels[24][80];
	for (int k = 0; k < 24; k++) {
		for (int i = 0; i < N; i++)
			many_y[k][i] = 0.9 - (0.8 - 0.01 * k) * exp(-i / (2.0 + k));
		snprintf(labels[k], sizeof(labels[k]),
			 "configuration %d with a rather long descriptive label", k);
		many[k] = (struct ampcl_plot_line){
		    k == 5 ? NULL : labels[k], ep, many_y[k], N, NULL, 0, NULL, NULL};
	}
	struct ampcl_plot_panel p = {"A title far too long to fit in the panel of this small "
				     "image, so it must be cut",
				     "epoch",
				     "test accuracy",
				     many,
				     24,
				     0,
				     0,
				     0};
	px = tu_malloc(300 * 200 * 3);
	int st = ampcl_plot_render(&p, 1, 300, 200, px, &lay);
	tu_check(st == AMPCL_OK && lay.legend.x0 >= lay.plot.x0 && lay.legend.x1 <= lay.plot.x1,
		 "24 series in a small image", "status %d, legend [%d,%d) in plot [%d,%d)", st,
		 lay.legend.x0, lay.legend.x1, lay.plot.x0, lay.plot.x1);
	free(px);
	char path[300];
	out_path(path, sizeof(path), "study.png");
	struct ampcl_plot_line pts[12];
	double cx[12], cy[12], ce[12];
	for (int k = 0; k < 12; k++) {
		cx[k] = k;
		cy[k] = 0.85 + 0.01 * k - 0.001 * k * k;
		ce[k] = 0.004 + 0.002 * (k % 3);
		pts[k] = (struct ampcl_plot_line){labels[k] + 14, &cx[k], &cy[k], 1,
						  &ce[k],         0,      NULL,   NULL};
	}
	struct ampcl_plot_panel study[2] = {
	    {"Test accuracy", "epoch", "test accuracy", many, 12, 0, 0, 0},
	    {"Final accuracy, mean +- std over seeds", "configuration", "test accuracy", pts, 12, 1,
	     0, 0},
	};
	st = ampcl_plot_write_png(path, study, 2, 1400, 520);
	tu_check(st == AMPCL_OK, "study plot written", "status %d %s", st,
		 st ? ampcl_last_error() : "");
	finish_file(path);
}

static void test_errors(void)
{
	double x[2] = {0, 1}, y[2] = {0, 1};
	struct ampcl_plot_line l = {"a", x, y, 2, NULL, 0, NULL, NULL};
	struct ampcl_plot_panel p = {"t", "x", "y", &l, 1, 0, 0, 0};

	char missing[300];
	out_path(missing, sizeof(missing), "no-such-folder/curves.png");
	int before = tu_count_entries(dir);
	int st = ampcl_plot_write_png(missing, &p, 1, 400, 300);
	tu_check(st == AMPCL_ERR_IO && strstr(ampcl_last_error(), missing) &&
		     tu_count_entries(dir) == before,
		 "write to a missing folder", "status %d, files %d -> %d: %s", st, before,
		 tu_count_entries(dir), ampcl_last_error());

	/* a path that is an existing folder: the temporary file is written, the rename fails */
	char sub[300];
	out_path(sub, sizeof(sub), "a-folder");
	mkdir(sub, 0755);
	before = tu_count_entries(dir);
	st = ampcl_plot_write_png(sub, &p, 1, 400, 300);
	tu_check(st == AMPCL_ERR_IO && strstr(ampcl_last_error(), sub) &&
		     tu_count_entries(dir) == before,
		 "write over a folder", "status %d, files %d -> %d: %s", st, before,
		 tu_count_entries(dir), ampcl_last_error());
	rmdir(sub);

	struct ampcl_plot_line neg = {"neg", x, y, -1, NULL, 0, NULL, NULL},
			       nox = {"nox", NULL, y, 2, NULL, 0, NULL, NULL};
	struct ampcl_plot_panel pneg = {"t", "x", "y", &neg, 1, 0, 0, 0},
				pnox = {"t", "x", "y", &nox, 1, 0, 0, 0};
	struct ampcl_plot_panel pnull = {"t", "x", "y", NULL, 2, 0, 0, 0},
				pnl = {"t", "x", "y", &l, -1, 0, 0, 0};
	char ok_path[300];
	out_path(ok_path, sizeof(ok_path), "never.png");
	struct {
		const char *what;
		int st;
	} r[] = {
	    {"NULL panels", ampcl_plot_write_png(ok_path, NULL, 1, 400, 300)},
	    {"0 panels", ampcl_plot_write_png(ok_path, &p, 0, 400, 300)},
	    {"17 panels", ampcl_plot_write_png(ok_path, &p, 17, 4000, 300)},
	    {"too narrow", ampcl_plot_write_png(ok_path, &p, 1, 100, 300)},
	    {"too low", ampcl_plot_write_png(ok_path, &p, 1, 400, 50)},
	    {"too large", ampcl_plot_write_png(ok_path, &p, 1, 40000, 300)},
	    {"negative width", ampcl_plot_write_png(ok_path, &p, 1, -400, 300)},
	    {"n = -1", ampcl_plot_write_png(ok_path, &pneg, 1, 400, 300)},
	    {"NULL x", ampcl_plot_write_png(ok_path, &pnox, 1, 400, 300)},
	    {"NULL lines", ampcl_plot_write_png(ok_path, &pnull, 1, 400, 300)},
	    {"nlines = -1", ampcl_plot_write_png(ok_path, &pnl, 1, 400, 300)},
	    {"NULL path", ampcl_plot_write_png(NULL, &p, 1, 400, 300)},
	    {"empty path", ampcl_plot_write_png("", &p, 1, 400, 300)},
	    {"NULL pixels", ampcl_plot_render(&p, 1, 400, 300, NULL, NULL)},
	};
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		tu_check(r[i].st == AMPCL_ERR_INVALID_ARG, "bad argument refused", "%s: status %d",
			 r[i].what, r[i].st);
	tu_check(access(ok_path, F_OK) != 0, "no file from refused calls", "%s absent", ok_path);
}

/* Logarithmic axes: y = x^2 over 1..100 is a straight diagonal on log-log axes (its middle column
 * at the plot's middle row; on linear axes it would sit near the bottom), and points <= 0 are
 * skipped; a scatter line (points = 1) draws markers only, nothing between them. */
static void test_log_axes(void)
{
	const int W = 400, H = 300;
	struct ampcl_plot_layout lay;
	unsigned char c0[3];
	ampcl_plot_line_color(0, c0);
	double x[5] = {0, 1, 10, 100, 50}, y[5] = {1, 1, 100, 10000, -5};
	struct ampcl_plot_line l = {"x^2", x, y, 4, NULL, 0, NULL, NULL};
	struct ampcl_plot_panel p = {"log", "x", "y", &l, 1, 0, 1, 1};
	unsigned char *px = tu_malloc((size_t)W * H * 3);
	tu_ok(ampcl_plot_render(&p, 1, W, H, px, &lay), "render log-log");
	int cx = (lay.plot.x0 + lay.plot.x1) / 2, mid = (lay.plot.y0 + lay.plot.y1) / 2;
	struct ampcl_plot_rect column = {cx, lay.plot.y0 + 1, cx + 1, lay.plot.y1 - 1};
	int top, bottom, n = color_rows(px, W, &column, &lay.legend, c0, &top, &bottom);
	tu_check(n > 0 && abs((top + bottom) / 2 - mid) <= 4, "log-log axes",
		 "y = x^2 crosses the middle column at rows %d..%d, plot middle %d", top, bottom,
		 mid);
	l.n = 5; /* x = 50, y = -5: skipped on the log y axis */
	l.points = 1;
	tu_ok(ampcl_plot_render(&p, 1, W, H, px, &lay), "render a scatter");
	int mx = lay.plot.x0 + (lay.plot.x1 - lay.plot.x0) / 4; /* between x = 1 and x = 10 */
	struct ampcl_plot_rect between = {mx - 2, lay.plot.y0 + 1, mx + 3, lay.plot.y1 - 1};
	n = count_color(px, W, &between, &lay.legend, c0);
	tu_check(n == 0, "a scatter line is not joined", "%d line pixels between two markers", n);
	free(px);
}

/* A band (lo, hi): the pixels between its edges take the line's colour at plot.c's band opacity
 * (0.2 over white), the line is drawn over it, the axis fits the band, and no lighter seam shows
 * where two of its pieces meet. */
static void test_band(void)
{
	const int W = 400, H = 300;
	struct ampcl_plot_layout lay;
	unsigned char c0[3], tint[3];
	ampcl_plot_line_color(0, c0);
	for (int k = 0; k < 3; k++)
		tint[k] = (unsigned char)lrint(255 + (c0[k] - 255) * 0.2);
	double x[11], y[11], lo[11], hi[11];
	for (int i = 0; i < 11; i++)
		x[i] = i, y[i] = 50 + i % 2, lo[i] = 40 - i % 3, hi[i] = 60 + i % 2;
	struct ampcl_plot_line l = {"band", x, y, 11, NULL, 0, lo, hi};
	unsigned char *px = render_one(&l, 0, 0, &lay, W, H);
	const struct ampcl_plot_rect *r = &lay.plot;
	int area = (r->x1 - r->x0) * (r->y1 - r->y0);
	int ntint = count_color(px, W, r, &lay.legend, tint),
	    nline = count_color(px, W, r, &lay.legend, c0);
	/* the band spans 38..61 of an axis fitted to it: most of the plot */
	tu_check(ntint > area / 3 && nline >= 100, "a band is filled translucent under its line",
		 "%d pixels of the tint #%02x%02x%02x (want > %d), %d of the line colour", ntint,
		 tint[0], tint[1], tint[2], area / 3, nline);
	/* the tinted rows above the line in a middle column (one off the grid lines), and the row
	 * between them most tinted (off the grid too) */
	int cx = -1, most = 0, first = -1, last = -1;
	for (int xx = (r->x0 + r->x1) / 2 - 3; xx <= (r->x0 + r->x1) / 2 + 3; xx++) {
		struct ampcl_plot_rect col = {xx, r->y0, xx + 1, r->y1};
		int k = count_color(px, W, &col, &lay.legend, tint);
		if (k > most)
			most = k, cx = xx;
	}
	for (int yy = r->y0 + 1; cx >= 0 && yy < r->y1 - 1; yy++) {
		if (!is_color(px, W, cx, yy, tint) || in_rect(&lay.legend, cx, yy))
			continue;
		if (last >= 0 && yy > last + 2) /* a grid line is one row */
			break;
		last = yy, first = first < 0 ? yy : first;
	}
	int row = -1, left = -1, right = -1, lighter = 0;
	most = 0;
	for (int yy = first + 2; first >= 0 && yy <= last - 2; yy++) {
		struct ampcl_plot_rect line = {r->x0, yy, r->x1, yy + 1};
		int k = count_color(px, W, &line, &lay.legend, tint);
		if (k > most)
			most = k, row = yy;
	}
	for (int xx = r->x0 + 1; row >= 0 && xx < r->x1 - 1; xx++)
		if (is_color(px, W, xx, row, tint))
			right = xx, left = left < 0 ? xx : left;
	for (int xx = left; row >= 0 && xx <= right; xx++) {
		const unsigned char *q = px + ((size_t)row * W + xx) * 3;
		lighter += !in_rect(&lay.legend, xx, row) &&
			   q[0] + q[1] + q[2] > tint[0] + tint[1] + tint[2] + 3;
	}
	tu_check(row >= 0 && last - first >= 10 && right - left > (r->x1 - r->x0) * 4 / 5 &&
		     lighter == 0,
		 "a band has no seam",
		 "tinted rows %d..%d above the line; row %d tinted over "
		 "columns %d..%d of %d..%d with %d lighter pixels",
		 first, last, row, left, right, r->x0, r->x1, lighter);
	free(px);
}

/* A one-epoch run's curves.png (the program's report_curves): the training series comes from the
 * run's steps.csv, one point per row at fractional epochs, the test point at the epoch's end, so
 * one epoch draws a curve, not a dot. */
static void test_run_curves(void)
{
	char run[300], path[400];
	out_path(run, sizeof(run), "run");
	mkdir(run, 0755);
	snprintf(path, sizeof(path), "%s/steps.csv", run);
	FILE *f = fopen(path, "w");
	fprintf(f, "epoch,step,fractional_epoch,images,lr,train_loss,train_acc\n");
	for (int k = 1; k <= 50; k++)
		fprintf(f, "0,%d,%.9g,128,0.1,%.6g,%.6g\n", 2 * k, k / 50.0, 2.3 - 1.5 * k / 50.0,
			0.1 + 0.5 * k / 50.0);
	fclose(f);
	struct ampcl_epoch_record h = {0, 0.1, 0.8, 0.6, 0.9, 0.55, 10, 1000, 0, 0};
	struct report_steps steps;
	report_steps_read(run, &steps);
	struct ampcl_plot_line lines[4];
	double *values;
	report_curves_lines(&h, 1, &steps, lines, &values);
	tu_check(steps.n == 50 && lines[0].n == 50 && lines[2].n == 50 && lines[0].x[0] == 0.02 &&
		     lines[0].x[49] == 1 && lines[1].n == 1 && lines[1].x[0] == 1 &&
		     fabs(lines[2].y[49] - 60) < 1e-9,
		 "a one-epoch run's curves: a training point per steps.csv row, test at the end",
		 "%d rows read; train %d points from x %g to %g; test %d point(s) at x %g", steps.n,
		 lines[0].n, lines[0].n ? lines[0].x[0] : NAN,
		 lines[0].n ? lines[0].x[lines[0].n - 1] : NAN, lines[1].n,
		 lines[1].n ? lines[1].x[0] : NAN);
	free(values);
	report_steps_free(&steps);

	ampcl_train_config_t *cfg;
	tu_ok(ampcl_train_config_create(&cfg), "config");
	tu_ok(report_curves(run, cfg, &h, 1), "report_curves");
	ampcl_train_config_free(cfg);
	snprintf(path, sizeof(path), "%s/curves.png", run);
	int w = 0, hh = 0, rgb8 = 0;
	unsigned char *px = read_png(path, &w, &hh, &rgb8);
	/* the training line's colour in the loss panel's columns: a curve spans many, a dot few */
	unsigned char c[3];
	ampcl_plot_line_color(0, c);
	int columns = 0;
	for (int x = 0; px && x < w / 2; x++) {
		int hit = 0;
		for (int y = 0; y < hh && !hit; y++) {
			const unsigned char *p = px + ((size_t)y * w + x) * 3;
			hit = p[0] == c[0] && p[1] == c[1] && p[2] == c[2];
		}
		columns += hit;
	}
	tu_check(px && w == 1200 && hh == 480 && rgb8 && columns > 200,
		 "curves.png draws the training curve of one epoch",
		 "%d x %d (want 1200 x 480), the train colour in %d columns of the loss panel "
		 "(want > 200)",
		 w, hh, columns);
	free(px);
	unlink(path);
	snprintf(path, sizeof(path), "%s/steps.csv", run);
	unlink(path);
	rmdir(run);
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		snprintf(dir, sizeof(dir), "%s", argv[1]);
		mkdir(dir, 0755);
		keep = 1;
	} else {
		snprintf(dir, sizeof(dir), "/tmp/ampcl_test_plot_XXXXXX");
		if (!mkdtemp(dir)) {
			printf("FAIL cannot create a temporary folder\n");
			return 1;
		}
	}
	make_curves();
	test_curves();
	test_run_curves();
	test_data_edges();
	test_log_axes();
	test_band();
	test_errors();
	if (!keep) {
		int n = tu_count_entries(dir);
		tu_check(n == 0, "no stray files", "%d files left in %s", n, dir);
		rmdir(dir);
	} else {
		printf("images kept in %s\n", dir);
	}
	return tu_finish();
}

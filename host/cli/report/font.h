/* font.h: the 5x7 bitmap font (with two descender rows) that the PNG plots write text in.
 * The glyphs are ampcl's own data, covering printable ASCII 32..126; no font files are read. */
#ifndef AMPCL_FONT_H
#define AMPCL_FONT_H

#define AMPCL_FONT_WIDTH 5   /* columns of ink per glyph */
#define AMPCL_FONT_HEIGHT 9  /* rows: 7 for capitals and digits, then 2 for descenders */
#define AMPCL_FONT_ASCENT 7  /* rows above (and including) the baseline row */
#define AMPCL_FONT_ADVANCE 6 /* horizontal step from one glyph to the next */

/* The AMPCL_FONT_HEIGHT rows of c's glyph; in each row bit 4 is the leftmost column. Bytes
 * outside 32..126 (control characters, UTF-8 sequences) come back as '?'. */
const unsigned char *ampcl_font_glyph(int c);

#endif

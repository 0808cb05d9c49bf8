/* json.h: a small strict JSON reader (RFC 8259 values as a tree, enough for safetensors headers
 * and ampcl's own summary files) and the string quoting that every JSON writer in ampcl uses. */
#ifndef AMPCL_JSON_H
#define AMPCL_JSON_H

#include "ampcl.h"

#include <stddef.h>
#include <stdio.h>

enum ampcl_json_type {
	AMPCL_JSON_NULL,
	AMPCL_JSON_BOOL,
	AMPCL_JSON_NUMBER,
	AMPCL_JSON_STRING,
	AMPCL_JSON_ARRAY,
	AMPCL_JSON_OBJECT,
};

/* One value. Members of an array or object are a linked list in document order; an object
 * keeps duplicate keys (the caller decides whether they are an error). */
struct ampcl_json {
	enum ampcl_json_type type;
	char *key;                /* the member's name when the parent is an object, else NULL */
	char *string;             /* AMPCL_JSON_STRING: decoded UTF-8, NUL-terminated */
	double number;            /* AMPCL_JSON_NUMBER: the value (finite) */
	int is_integer;           /* the number was written without fraction or exponent and fits */
	long long integer;        /* ... in a long long; then this is its exact value */
	int boolean;              /* AMPCL_JSON_BOOL */
	int count;                /* AMPCL_JSON_ARRAY / AMPCL_JSON_OBJECT: number of members */
	struct ampcl_json *child; /* first member */
	struct ampcl_json *next;  /* next sibling */
};

/* Nesting deeper than this is refused rather than risking the stack on hostile input. */
#define AMPCL_JSON_MAX_DEPTH 64

/* Parses exactly one value from text[0..len) (whitespace around it allowed; NUL bytes are not).
 * Malformed input (truncated, unbalanced, bad escapes, control characters in strings, numbers
 * that overflow a double, "\u0000", nesting past AMPCL_JSON_MAX_DEPTH) gives AMPCL_ERR_BAD_FILE
 * with a message "invalid JSON at byte N: ..."; callers prepend the file name. */
ampcl_status ampcl_json_parse(const char *text, size_t len, struct ampcl_json **out);
void ampcl_json_free(struct ampcl_json *v);

/* The first member of object obj called key, or NULL (also when obj is not an object). */
const struct ampcl_json *ampcl_json_member(const struct ampcl_json *obj, const char *key);
const char *ampcl_json_type_name(enum ampcl_json_type type);

/* Writes s as a JSON string literal, quotes included, into dst (at most size bytes with the
 * NUL, like snprintf) and returns the full length it needs without the NUL. '"', '\\' and
 * control characters are escaped; other bytes, UTF-8 included, pass through. */
size_t ampcl_json_quote(char *dst, size_t size, const char *s);
/* The same, written to a stream; returns 0, or -1 when the write fails. */
int ampcl_json_write_string(FILE *f, const char *s);

#endif

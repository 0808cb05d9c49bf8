/* json.c: the recursive-descent JSON reader and the string quoting declared in json.h. Strict on
 * purpose: a header that a conforming parser would reject is reported, not guessed at. */
#include "json.h"

#include "error.h"

#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	const char *text;
	size_t len, pos;
};

/* Numbers longer than this are not numbers anyone writes; refusing them bounds the copy. */
#define MAX_NUMBER_CHARS 512

static int fail(const struct parser *p, const char *what)
{
	return ampcl_error_set(AMPCL_ERR_BAD_FILE, "invalid JSON at byte %zu: %s", p->pos, what);
}

static void *xcalloc(size_t n, size_t size)
{
	void *q = calloc(n ? n : 1, size ? size : 1);
	if (!q)
		abort(); /* host memory exhaustion aborts, as everywhere in ampcl */
	return q;
}

static void skip_space(struct parser *p)
{
	while (p->pos < p->len) {
		char c = p->text[p->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static int peek(const struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->text[p->pos] : -1;
}

static int hex4(struct parser *p, unsigned *out)
{
	unsigned v = 0;
	if (p->len - p->pos < 4)
		return fail(p, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = p->text[p->pos++];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return fail(p, "\\u escape needs four hex digits");
	}
	*out = v;
	return AMPCL_OK;
}

static size_t put_utf8(char *dst, unsigned cp)
{
	if (cp < 0x80) {
		dst[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		dst[0] = (char)(0xc0 | (cp >> 6));
		dst[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		dst[0] = (char)(0xe0 | (cp >> 12));
		dst[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		dst[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	dst[0] = (char)(0xf0 | (cp >> 18));
	dst[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	dst[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	dst[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* At the opening quote. The decoded string is never longer than its source text, so one
 * allocation of the remaining length bound is enough; it is trimmed afterwards. */
static int parse_string(struct parser *p, char **out)
{
	size_t start = ++p->pos, end = start;
	while (end < p->len && p->text[end] != '"') {
		if (p->text[end] == '\\')
			end++;
		end++;
	}
	if (end >= p->len)
		return fail(p, "unterminated string");
	char *s = xcalloc(end - start + 1, 1);
	size_t n = 0;
	while (p->text[p->pos] != '"') {
		unsigned char c = (unsigned char)p->text[p->pos];
		if (c < 0x20) {
			free(s);
			return fail(p, "control character inside a string (escape it)");
		}
		if (c != '\\') {
			s[n++] = (char)c;
			p->pos++;
			continue;
		}
		p->pos++;
		char e = p->text[p->pos++];
		unsigned cp;
		switch (e) {
		case '"':
			s[n++] = '"';
			break;
		case '\\':
			s[n++] = '\\';
			break;
		case '/':
			s[n++] = '/';
			break;
		case 'b':
			s[n++] = '\b';
			break;
		case 'f':
			s[n++] = '\f';
			break;
		case 'n':
			s[n++] = '\n';
			break;
		case 'r':
			s[n++] = '\r';
			break;
		case 't':
			s[n++] = '\t';
			break;
		case 'u':
			if (hex4(p, &cp))
				goto bad;
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				fail(p, "\\u escape is a lone low surrogate");
				goto bad;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				unsigned lo;
				if (p->len - p->pos < 2 || p->text[p->pos] != '\\' ||
				    p->text[p->pos + 1] != 'u') {
					fail(p,
					     "\\u high surrogate not followed by a low surrogate");
					goto bad;
				}
				p->pos += 2;
				if (hex4(p, &lo))
					goto bad;
				if (lo < 0xdc00 || lo > 0xdfff) {
					fail(p,
					     "\\u high surrogate not followed by a low surrogate");
					goto bad;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (cp == 0) {
				fail(p, "\\u0000 is not supported (strings are NUL-terminated)");
				goto bad;
			}
			/* "\uXXXX" is 6 source bytes and at most 3 UTF-8 bytes; a pair is 12 and 4
			 */
			n += put_utf8(s + n, cp);
			break;
		default:
			p->pos--;
			fail(p,
			     "unknown escape (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
			goto bad;
		}
		if (p->pos > end) {
			fail(p, "unterminated string");
			goto bad;
		}
	}
	p->pos++;
	s[n] = 0;
	*out = s;
	return AMPCL_OK;
bad:
	free(s);
	return AMPCL_ERR_BAD_FILE;
}

static int digits(struct parser *p)
{
	size_t start = p->pos;
	while (p->pos < p->len && p->text[p->pos] >= '0' && p->text[p->pos] <= '9')
		p->pos++;
	return p->pos > start;
}

static int parse_number(struct parser *p, struct ampcl_json *v)
{
	size_t start = p->pos;
	int neg = 0, plain = 1;
	if (peek(p) == '-') {
		neg = 1;
		p->pos++;
	}
	if (peek(p) == '0') {
		p->pos++;
		if (peek(p) >= '0' && peek(p) <= '9')
			return fail(p, "number with a leading zero");
	} else if (!digits(p)) {
		return fail(p, "expected a digit");
	}
	if (peek(p) == '.') {
		plain = 0;
		p->pos++;
		if (!digits(p))
			return fail(p, "expected a digit after the decimal point");
	}
	if (peek(p) == 'e' || peek(p) == 'E') {
		plain = 0;
		p->pos++;
		if (peek(p) == '+' || peek(p) == '-')
			p->pos++;
		if (!digits(p))
			return fail(p, "expected a digit in the exponent");
	}
	size_t n = p->pos - start;
	if (n > MAX_NUMBER_CHARS)
		return fail(p, "number longer than 512 characters");

	char buf[MAX_NUMBER_CHARS + 1];
	memcpy(buf, p->text + start, n);
	buf[n] = 0;
	if (plain) {
		/* exact 64-bit integers: sizes and offsets past 2^53 must not round through double
		 */
		unsigned long long u = 0,
				   limit = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
		int fits = 1;
		for (size_t i = (size_t)neg; i < n; i++) {
			unsigned d = (unsigned)(buf[i] - '0');
			if (u > (limit - d) / 10) {
				fits = 0;
				break;
			}
			u = u * 10 + d;
		}
		if (fits) {
			v->is_integer = 1;
			v->integer = neg ? (long long)(0 - u) : (long long)u;
		}
	}
	/* strtod follows the locale's decimal point; the text always uses '.' */
	const char *dp = localeconv()->decimal_point;
	char *dot = strchr(buf, '.');
	if (dot && dp && dp[0] && !dp[1])
		*dot = dp[0];
	double d = strtod(buf, NULL);
	if (!isfinite(d)) {
		p->pos = start;
		return fail(p, "number out of range for a double");
	}
	v->number = d;
	return AMPCL_OK;
}

static int expect_word(struct parser *p, const char *word)
{
	size_t n = strlen(word);
	if (p->len - p->pos < n || memcmp(p->text + p->pos, word, n))
		return fail(p, "unexpected character (expected a value)");
	p->pos += n;
	return AMPCL_OK;
}

static int parse_value(struct parser *p, struct ampcl_json *v, int depth);

/* Arrays and objects share this: members separated by commas, no trailing comma. */
static int parse_members(struct parser *p, struct ampcl_json *v, int depth, int object)
{
	char close = object ? '}' : ']';
	struct ampcl_json **tail = &v->child;
	if (depth >= AMPCL_JSON_MAX_DEPTH)
		return fail(p, "nested deeper than 64 levels");
	p->pos++;
	skip_space(p);
	if (peek(p) == close) {
		p->pos++;
		return AMPCL_OK;
	}
	for (;;) {
		struct ampcl_json *m = xcalloc(1, sizeof(*m));
		*tail = m;
		tail = &m->next;
		v->count++;
		skip_space(p);
		if (object) {
			if (peek(p) != '"')
				return fail(p, "expected a member name in double quotes");
			int st = parse_string(p, &m->key);
			if (st)
				return st;
			skip_space(p);
			if (peek(p) != ':')
				return fail(p, "expected ':' after a member name");
			p->pos++;
		}
		int st = parse_value(p, m, depth + 1);
		if (st)
			return st;
		skip_space(p);
		int c = peek(p);
		if (c == ',') {
			p->pos++;
			continue;
		}
		if (c == close) {
			p->pos++;
			return AMPCL_OK;
		}
		if (c < 0)
			return fail(p, object ? "unterminated object (missing '}')"
					      : "unterminated array (missing ']')");
		return fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int parse_value(struct parser *p, struct ampcl_json *v, int depth)
{
	skip_space(p);
	int c = peek(p);
	switch (c) {
	case -1:
		return fail(p, "unexpected end of input (expected a value)");
	case '{':
		v->type = AMPCL_JSON_OBJECT;
		return parse_members(p, v, depth, 1);
	case '[':
		v->type = AMPCL_JSON_ARRAY;
		return parse_members(p, v, depth, 0);
	case '"':
		v->type = AMPCL_JSON_STRING;
		return parse_string(p, &v->string);
	case 't':
		v->type = AMPCL_JSON_BOOL;
		v->boolean = 1;
		return expect_word(p, "true");
	case 'f':
		v->type = AMPCL_JSON_BOOL;
		return expect_word(p, "false");
	case 'n':
		v->type = AMPCL_JSON_NULL;
		return expect_word(p, "null");
	default:
		if (c == '-' || (c >= '0' && c <= '9')) {
			v->type = AMPCL_JSON_NUMBER;
			return parse_number(p, v);
		}
		return fail(p, "unexpected character (expected a value)");
	}
}

ampcl_status ampcl_json_parse(const char *text, size_t len, struct ampcl_json **out)
{
	if (!out || (!text && len))
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "ampcl_json_parse: NULL text or out");
	*out = NULL;
	struct parser p = {text, len, 0};
	struct ampcl_json *root = xcalloc(1, sizeof(*root));
	int st = parse_value(&p, root, 0);
	if (!st) {
		skip_space(&p);
		if (p.pos != p.len)
			st = fail(&p, "unexpected characters after the value");
	}
	if (st) {
		ampcl_json_free(root);
		return st;
	}
	*out = root;
	return AMPCL_OK;
}

void ampcl_json_free(struct ampcl_json *v)
{
	while (v) {
		struct ampcl_json *next = v->next;
		ampcl_json_free(v->child);
		free(v->key);
		free(v->string);
		free(v);
		v = next;
	}
}

const struct ampcl_json *ampcl_json_member(const struct ampcl_json *obj, const char *key)
{
	if (!obj || obj->type != AMPCL_JSON_OBJECT || !key)
		return NULL;
	for (const struct ampcl_json *m = obj->child; m; m = m->next)
		if (!strcmp(m->key, key))
			return m;
	return NULL;
}

const char *ampcl_json_type_name(enum ampcl_json_type type)
{
	switch (type) {
	case AMPCL_JSON_NULL:
		return "null";
	case AMPCL_JSON_BOOL:
		return "boolean";
	case AMPCL_JSON_NUMBER:
		return "number";
	case AMPCL_JSON_STRING:
		return "string";
	case AMPCL_JSON_ARRAY:
		return "array";
	case AMPCL_JSON_OBJECT:
		return "object";
	}
	return "unknown";
}

/* The escape for byte c, or NULL when c stands for itself; buf holds the \u00XX forms. */
static const char *escape_of(unsigned char c, char buf[8])
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	default:
		if (c >= 0x20)
			return NULL;
		snprintf(buf, 8, "\\u%04x", c);
		return buf;
	}
}

size_t ampcl_json_quote(char *dst, size_t size, const char *s)
{
	size_t n = 0;
	char buf[8];
#define PUT(ch)                                                                                    \
	do {                                                                                       \
		if (n + 1 < size)                                                                  \
			dst[n] = (ch);                                                             \
		n++;                                                                               \
	} while (0)
	PUT('"');
	for (; s && *s; s++) {
		const char *e = escape_of((unsigned char)*s, buf);
		if (!e) {
			PUT(*s);
			continue;
		}
		for (; *e; e++)
			PUT(*e);
	}
	PUT('"');
#undef PUT
	if (size)
		dst[n < size ? n : size - 1] = 0;
	return n;
}

int ampcl_json_write_string(FILE *f, const char *s)
{
	char buf[8];
	if (fputc('"', f) == EOF)
		return -1;
	for (; s && *s; s++) {
		const char *e = escape_of((unsigned char)*s, buf);
		if (e ? fputs(e, f) == EOF : fputc(*s, f) == EOF)
			return -1;
	}
	return fputc('"', f) == EOF ? -1 : 0;
}

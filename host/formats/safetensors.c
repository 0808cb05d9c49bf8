/* safetensors.c: the safetensors reader (every structural rule of the format checked before any
 * byte is handed out) and writer (temporary file, fsync, rename) declared in safetensors.h. */
#include "safetensors.h"
#include "size.h"
#include "alloc.h"

#include "error.h"
#include "files.h"

#include <jansson.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c hands tensor bytes over as stored (little-endian); port it for this host"
#endif

struct ampcl_st_file {
	int count;
	struct ampcl_st_tensor *tensors;
	int nmeta;
	char **meta_keys, **meta_values;
	unsigned char *data; /* the byte buffer */
	size_t data_bytes;
};

struct writer_entry {
	struct ampcl_st_tensor t;
	unsigned char *data;
};

struct ampcl_st_writer {
	int count, cap;
	struct writer_entry *entries;
	int nmeta, meta_cap;
	char **meta_keys, **meta_values;
	size_t total; /* buffer bytes so far = next tensor's offset */
};

static const struct {
	const char *name;
	size_t size;
} dtypes[] = {
    {"F64", 8}, {"F32", 4}, {"F16", 2},  {"BF16", 2},    {"I64", 8},
    {"I32", 4}, {"I16", 2}, {"I8", 1},   {"U64", 8},     {"U32", 4},
    {"U16", 2}, {"U8", 1},  {"BOOL", 1}, {"F8_E4M3", 1}, {"F8_E5M2", 1},
};
#define DTYPE_LIST "F64 F32 F16 BF16 I64 I32 I16 I8 U64 U32 U16 U8 BOOL F8_E4M3 F8_E5M2"

size_t ampcl_st_dtype_size(const char *dtype)
{
	for (size_t i = 0; dtype && i < sizeof(dtypes) / sizeof(dtypes[0]); i++)
		if (!strcmp(dtype, dtypes[i].name))
			return dtypes[i].size;
	return 0;
}

/* product(shape) * elem, or 0 with *overflow set when it does not fit in size_t */
static size_t shape_bytes(const long long *shape, int ndim, size_t elem, int *overflow)
{
	size_t n = elem;
	*overflow = 0;
	for (int i = 0; i < ndim; i++)
		if (!ampcl_size_mul(n, (size_t)shape[i], &n)) {
			*overflow = 1;
			return 0;
		}
	return n;
}

/* ---- reading ---- */

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	default:
		return "null";
	}
}

/* A non-negative JSON integer (jansson reads 64 bits exactly: the format's u64 fields). */
static int as_count(const json_t *v, long long *out)
{
	if (!v || !json_is_integer(v) || json_integer_value(v) < 0)
		return 0;
	*out = (long long)json_integer_value(v);
	return 1;
}

static int parse_tensor(const char *path, const char *key, const json_t *m,
			struct ampcl_st_tensor *t)
{
	if (strlen(key) > AMPCL_ST_MAX_NAME)
		return ampcl_error_set(
		    AMPCL_ERR_BAD_FILE,
		    "safetensors file '%s': tensor name '%.40s...' is %zu bytes, "
		    "over ampcl's limit of %d",
		    path, key, strlen(key), AMPCL_ST_MAX_NAME);
	strcpy(t->name, key);
	if (!json_is_object(m))
		return ampcl_error_set(
		    AMPCL_ERR_BAD_FILE,
		    "safetensors file '%s': tensor '%s' is a JSON %s, not an object "
		    "with dtype, shape and data_offsets",
		    path, t->name, json_kind(m));

	const json_t *dtype = json_object_get(m, "dtype");
	const json_t *shape = json_object_get(m, "shape");
	const json_t *offs = json_object_get(m, "data_offsets");
	if (!json_is_string(dtype))
		return ampcl_error_set(AMPCL_ERR_BAD_FILE,
				       "safetensors file '%s': tensor '%s' has no \"dtype\" string",
				       path, t->name);
	size_t elem = ampcl_st_dtype_size(json_string_value(dtype));
	if (!elem)
		return ampcl_error_set(
		    AMPCL_ERR_BAD_FILE,
		    "safetensors file '%s': tensor '%s' has unknown dtype '%.32s' "
		    "(known: " DTYPE_LIST ")",
		    path, t->name, json_string_value(dtype));
	strcpy(t->dtype, json_string_value(dtype));

	if (!json_is_array(shape))
		return ampcl_error_set(AMPCL_ERR_BAD_FILE,
				       "safetensors file '%s': tensor '%s' has no \"shape\" array",
				       path, t->name);
	if (json_array_size(shape) > AMPCL_ST_MAX_DIMS)
		return ampcl_error_set(AMPCL_ERR_BAD_FILE,
				       "safetensors file '%s': tensor '%s' has %d dimensions, more "
				       "than the %d ampcl supports",
				       path, t->name, (int)json_array_size(shape),
				       AMPCL_ST_MAX_DIMS);
	t->ndim = 0;
	size_t di;
	const json_t *d;
	json_array_foreach(shape, di, d)
	{
		if (!as_count(d, &t->shape[t->ndim]))
			return ampcl_error_set(AMPCL_ERR_BAD_FILE,
					       "safetensors file '%s': tensor '%s': shape entry %d "
					       "is not a non-negative integer",
					       path, t->name, t->ndim);
		t->ndim++;
	}

	long long b, e;
	if (!json_is_array(offs) || json_array_size(offs) != 2 ||
	    !as_count(json_array_get(offs, 0), &b) || !as_count(json_array_get(offs, 1), &e))
		return ampcl_error_set(AMPCL_ERR_BAD_FILE,
				       "safetensors file '%s': tensor '%s' needs \"data_offsets\": "
				       "[begin, end] with two non-negative integers",
				       path, t->name);
	if (e < b)
		return ampcl_error_set(AMPCL_ERR_BAD_FILE,
				       "safetensors file '%s': tensor '%s' has data_offsets [%lld, "
				       "%lld] that end before they begin",
				       path, t->name, b, e);
	int overflow;
	size_t want = shape_bytes(t->shape, t->ndim, elem, &overflow);
	if (overflow)
		return ampcl_error_set(
		    AMPCL_ERR_BAD_FILE,
		    "safetensors file '%s': tensor '%s': its shape makes more bytes "
		    "than fit in 64 bits",
		    path, t->name);
	if (want != (size_t)(e - b))
		return ampcl_error_set(
		    AMPCL_ERR_BAD_FILE,
		    "safetensors file '%s': tensor '%s': shape and dtype %s make "
		    "%zu bytes but data_offsets [%lld, %lld] hold %lld",
		    path, t->name, t->dtype, want, b, e, e - b);
	t->offset = (size_t)b;
	t->bytes = want;
	return AMPCL_OK;
}

static int parse_metadata(const char *path, const json_t *m, struct ampcl_st_file *f)
{
	if (!json_is_object(m))
		return ampcl_error_set(
		    AMPCL_ERR_BAD_FILE,
		    "safetensors file '%s': \"__metadata__\" is a JSON %s, not an "
		    "object of strings",
		    path, json_kind(m));
	f->meta_keys = ampcl_xmalloc(json_object_size(m) * sizeof(char *));
	f->meta_values = ampcl_xmalloc(json_object_size(m) * sizeof(char *));
	const char *key;
	json_t *kv;
	json_object_foreach((json_t *)m, key, kv)
	{
		if (!json_is_string(kv))
			return ampcl_error_set(AMPCL_ERR_BAD_FILE,
					       "safetensors file '%s': metadata '%s' is a JSON %s; "
					       "the format allows only strings",
					       path, key, json_kind(kv));
		f->meta_keys[f->nmeta] = ampcl_xstrdup(key);
		f->meta_values[f->nmeta] = ampcl_xstrdup(json_string_value(kv));
		f->nmeta++;
	}
	return AMPCL_OK;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(const struct ampcl_st_tensor *const *)a)->name,
		      (*(const struct ampcl_st_tensor *const *)b)->name);
}

static int by_range(const void *a, const void *b)
{
	const struct ampcl_st_tensor *x = *(const struct ampcl_st_tensor *const *)a;
	const struct ampcl_st_tensor *y = *(const struct ampcl_st_tensor *const *)b;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	/* empty tensors first at a shared offset, so they sit between their neighbours */
	return (x->bytes > y->bytes) - (x->bytes < y->bytes);
}

/* Names unique; byte ranges inside the buffer, not overlapping, tiling it with no gap. */
static int check_layout(const char *path, struct ampcl_st_file *f)
{
	int st = AMPCL_OK;
	const struct ampcl_st_tensor **order = ampcl_xmalloc((size_t)f->count * sizeof(*order));
	for (int i = 0; i < f->count; i++)
		order[i] = &f->tensors[i];

	qsort(order, (size_t)f->count, sizeof(*order), by_name);
	for (int i = 1; i < f->count; i++) {
		if (!strcmp(order[i - 1]->name, order[i]->name)) {
			st = ampcl_error_set(AMPCL_ERR_BAD_FILE,
					     "safetensors file '%s': tensor name '%s' appears more "
					     "than once in the header",
					     path, order[i]->name);
			goto out;
		}
	}

	qsort(order, (size_t)f->count, sizeof(*order), by_range);
	size_t pos = 0;
	for (int i = 0; i < f->count; i++) {
		const struct ampcl_st_tensor *t = order[i];
		if (t->offset + t->bytes > f->data_bytes) {
			st = ampcl_error_set(
			    AMPCL_ERR_BAD_FILE,
			    "safetensors file '%s': tensor '%s' data_offsets [%zu, "
			    "%zu] run past the %zu-byte buffer (truncated file?)",
			    path, t->name, t->offset, t->offset + t->bytes, f->data_bytes);
			goto out;
		}
		if (t->offset < pos) {
			st =
			    ampcl_error_set(AMPCL_ERR_BAD_FILE,
					    "safetensors file '%s': tensor '%s' data_offsets [%zu, "
					    "%zu] overlap the previous tensor, which ends at %zu",
					    path, t->name, t->offset, t->offset + t->bytes, pos);
			goto out;
		}
		if (t->offset > pos) {
			st = ampcl_error_set(
			    AMPCL_ERR_BAD_FILE,
			    "safetensors file '%s': bytes [%zu, %zu) of the buffer "
			    "belong to no tensor (tensor '%s' starts at %zu); the "
			    "format requires tensors to cover the buffer contiguously",
			    path, pos, t->offset, t->name, t->offset);
			goto out;
		}
		pos = t->offset + t->bytes;
	}
	if (pos != f->data_bytes)
		st = ampcl_error_set(AMPCL_ERR_BAD_FILE,
				     "safetensors file '%s': the tensors end at byte %zu of the "
				     "%zu-byte buffer; the trailing bytes belong to no tensor",
				     path, pos, f->data_bytes);
out:
	free(order);
	return st;
}

ampcl_status ampcl_st_open(const char *path, struct ampcl_st_file **out)
{
	if (!path || !out)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "ampcl_st_open: NULL path or out");
	*out = NULL;
	FILE *fp;
	ampcl_status opened = ampcl_input_open(path, "safetensors file", &fp);
	if (opened)
		return opened;

	int st = AMPCL_OK;
	char *header = NULL;
	json_t *root = NULL;
	struct ampcl_st_file *f = ampcl_xcalloc(1, sizeof(*f));

	struct stat sb;
	if (fstat(fileno(fp), &sb)) { /* a regular file: ampcl_input_open saw to it */
		st = ampcl_error_set(AMPCL_ERR_IO,
				     "cannot read the size of safetensors file '%s': %s", path,
				     strerror(errno));
		goto out;
	}
	unsigned long long size = (unsigned long long)sb.st_size;
	unsigned char lenbuf[8];
	if (size < 8 || fread(lenbuf, 1, 8, fp) != 8) {
		st = ampcl_error_set(AMPCL_ERR_BAD_FILE,
				     "safetensors file '%s' is %llu bytes, shorter than the 8-byte "
				     "header length that starts the format",
				     path, size);
		goto out;
	}
	unsigned long long n = 0;
	for (int i = 7; i >= 0; i--)
		n = n << 8 | lenbuf[i];
	if (n > AMPCL_ST_MAX_HEADER) {
		st = ampcl_error_set(AMPCL_ERR_BAD_FILE,
				     "safetensors file '%s' declares a %llu-byte header, over the "
				     "100 MB limit: the file is corrupt or not safetensors",
				     path, n);
		goto out;
	}
	if (n > size - 8) {
		st = ampcl_error_set(
		    AMPCL_ERR_BAD_FILE,
		    "safetensors file '%s' declares a %llu-byte header but has only "
		    "%llu bytes after the length: truncated or not safetensors",
		    path, n, size - 8);
		goto out;
	}
	header = ampcl_xmalloc((size_t)n);
	if (fread(header, 1, (size_t)n, fp) != n) {
		st = ampcl_error_set(AMPCL_ERR_IO, "cannot read the header of '%s': %s", path,
				     ferror(fp) ? strerror(errno) : "file shrank while reading");
		goto out;
	}
	/* length-bounded, strict: duplicate keys, NUL bytes and trailing garbage are errors */
	json_error_t jerr;
	root = json_loadb(header, (size_t)n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!root) {
		st = ampcl_error_set(AMPCL_ERR_BAD_FILE,
				     "safetensors file '%s': the header is not valid JSON at byte "
				     "%d: %s",
				     path, jerr.position, jerr.text);
		goto out;
	}
	if (!json_is_object(root)) {
		st =
		    ampcl_error_set(AMPCL_ERR_BAD_FILE,
				    "safetensors file '%s': the header is a JSON %s, not an object",
				    path, json_kind(root));
		goto out;
	}

	f->data_bytes = (size_t)(size - 8 - n);
	f->tensors = ampcl_xmalloc(json_object_size(root) * sizeof(*f->tensors));
	const char *key;
	json_t *m;
	/* jansson keeps an object's keys in document order */
	json_object_foreach(root, key, m)
	{
		if (!strcmp(key, "__metadata__")) {
			st = parse_metadata(path, m, f);
			if (st)
				goto out;
			continue;
		}
		struct ampcl_st_tensor *t = &f->tensors[f->count];
		memset(t, 0, sizeof(*t));
		st = parse_tensor(path, key, m, t);
		if (st)
			goto out;
		f->count++;
	}
	st = check_layout(path, f);
	if (st)
		goto out;

	/* malloc's alignment (16 on the hosts we build for) is the buffer's, whatever N was */
	f->data = ampcl_xmalloc(f->data_bytes);
	if (fread(f->data, 1, f->data_bytes, fp) != f->data_bytes) {
		st = ampcl_error_set(AMPCL_ERR_IO, "cannot read the tensor data of '%s': %s", path,
				     ferror(fp) ? strerror(errno) : "file shrank while reading");
		goto out;
	}
out:
	fclose(fp);
	free(header);
	json_decref(root);
	if (st)
		ampcl_st_free(f);
	else
		*out = f;
	return st;
}

void ampcl_st_free(struct ampcl_st_file *f)
{
	if (!f)
		return;
	for (int i = 0; i < f->nmeta; i++) {
		free(f->meta_keys[i]);
		free(f->meta_values[i]);
	}
	free(f->meta_keys);
	free(f->meta_values);
	free(f->tensors);
	free(f->data);
	free(f);
}

int ampcl_st_count(const struct ampcl_st_file *f)
{
	return f ? f->count : 0;
}

const struct ampcl_st_tensor *ampcl_st_get(const struct ampcl_st_file *f, int i)
{
	return f && i >= 0 && i < f->count ? &f->tensors[i] : NULL;
}

const struct ampcl_st_tensor *ampcl_st_find(const struct ampcl_st_file *f, const char *name)
{
	for (int i = 0; f && name && i < f->count; i++)
		if (!strcmp(f->tensors[i].name, name))
			return &f->tensors[i];
	return NULL;
}

const void *ampcl_st_data(const struct ampcl_st_file *f, const struct ampcl_st_tensor *t)
{
	if (!f || !t || t < f->tensors || t >= f->tensors + f->count)
		return NULL;
	return f->data + t->offset;
}

const char *ampcl_st_metadata(const struct ampcl_st_file *f, const char *key)
{
	for (int i = 0; f && key && i < f->nmeta; i++)
		if (!strcmp(f->meta_keys[i], key))
			return f->meta_values[i];
	return NULL;
}

/* ---- writing ---- */

ampcl_status ampcl_st_writer_create(struct ampcl_st_writer **out)
{
	if (!out)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "ampcl_st_writer_create: NULL out");
	*out = ampcl_xcalloc(1, sizeof(**out));
	return AMPCL_OK;
}

ampcl_status ampcl_st_writer_add(struct ampcl_st_writer *w, const char *name, const char *dtype,
				 int ndim, const long long *shape, const void *data, size_t bytes)
{
	if (!w || !name)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "ampcl_st_writer_add: NULL writer "
							      "or name");
	size_t len = strlen(name);
	if (len == 0 || len > AMPCL_ST_MAX_NAME)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "safetensors tensor name '%.40s' is %zu bytes; use 1 to %d",
				       name, len, AMPCL_ST_MAX_NAME);
	if (!strcmp(name, "__metadata__"))
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "'__metadata__' is reserved in safetensors; rename the tensor");
	for (int i = 0; i < w->count; i++)
		if (!strcmp(w->entries[i].t.name, name))
			return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
					       "safetensors tensor '%s' added twice; names must be "
					       "unique",
					       name);
	size_t elem = ampcl_st_dtype_size(dtype);
	if (!elem)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "safetensors tensor '%s': unknown dtype '%s' (known: " DTYPE_LIST ")", name,
		    dtype ? dtype : "(null)");
	if (ndim < 0 || ndim > AMPCL_ST_MAX_DIMS || (ndim && !shape))
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG, "safetensors tensor '%s': %d dimensions%s; use 0 to %d",
		    name, ndim, ndim && !shape ? " with a NULL shape" : "", AMPCL_ST_MAX_DIMS);
	for (int i = 0; i < ndim; i++)
		if (shape[i] < 0)
			return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
					       "safetensors tensor '%s': shape[%d] = %lld is "
					       "negative",
					       name, i, shape[i]);
	int overflow;
	size_t want = shape_bytes(shape, ndim, elem, &overflow);
	if (overflow || want != bytes)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "safetensors tensor '%s': shape and dtype %s need %s%zu bytes, "
		    "%zu were given",
		    name, dtype, overflow ? "more than " : "", overflow ? (size_t)SIZE_MAX : want,
		    bytes);
	if (bytes && !data)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "safetensors tensor '%s': NULL data for %zu bytes", name,
				       bytes);
	if (w->total > SIZE_MAX - bytes)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "safetensors tensor '%s' makes the file too large", name);

	if (w->count == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 16;
		w->entries = ampcl_xrealloc(w->entries, (size_t)w->cap * sizeof(*w->entries));
	}
	struct writer_entry *e = &w->entries[w->count++];
	memset(e, 0, sizeof(*e));
	memcpy(e->t.name, name, len + 1);
	strcpy(e->t.dtype, dtype);
	e->t.ndim = ndim;
	for (int i = 0; i < ndim; i++)
		e->t.shape[i] = shape[i];
	e->t.offset = w->total;
	e->t.bytes = bytes;
	e->data = ampcl_xmalloc(bytes);
	if (bytes)
		memcpy(e->data, data, bytes);
	w->total += bytes;
	return AMPCL_OK;
}

ampcl_status ampcl_st_writer_metadata(struct ampcl_st_writer *w, const char *key, const char *value)
{
	if (!w || !key || !value)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "ampcl_st_writer_metadata: NULL writer, key or value");
	for (int i = 0; i < w->nmeta; i++) {
		if (!strcmp(w->meta_keys[i], key)) {
			free(w->meta_values[i]);
			w->meta_values[i] = ampcl_xstrdup(value);
			return AMPCL_OK;
		}
	}
	if (w->nmeta == w->meta_cap) {
		w->meta_cap = w->meta_cap ? 2 * w->meta_cap : 8;
		w->meta_keys = ampcl_xrealloc(w->meta_keys, (size_t)w->meta_cap * sizeof(char *));
		w->meta_values =
		    ampcl_xrealloc(w->meta_values, (size_t)w->meta_cap * sizeof(char *));
	}
	w->meta_keys[w->nmeta] = ampcl_xstrdup(key);
	w->meta_values[w->nmeta] = ampcl_xstrdup(value);
	w->nmeta++;
	return AMPCL_OK;
}

/* The header as the reference writer (serde_json) prints it: compact, "__metadata__" first,
 * keys in the order dtype, shape, data_offsets; then spaces up to a multiple of 8 bytes.
 * NULL when a name or value is not valid UTF-8 (JSON strings must be). */
static char *build_header(const struct ampcl_st_writer *w, size_t *len, const char **bad)
{
	json_t *root = json_object();
	*bad = NULL;
	if (w->nmeta) {
		json_t *meta = json_object();
		for (int i = 0; i < w->nmeta && !*bad; i++) {
			json_t *v = json_string(w->meta_values[i]);
			if (!v || json_object_set_new(meta, w->meta_keys[i], v))
				*bad = w->meta_keys[i];
		}
		json_object_set_new(root, "__metadata__", meta);
	}
	for (int i = 0; i < w->count && !*bad; i++) {
		const struct ampcl_st_tensor *t = &w->entries[i].t;
		json_t *shape = json_array();
		for (int d = 0; d < t->ndim; d++)
			json_array_append_new(shape, json_integer((json_int_t)t->shape[d]));
		json_t *offs = json_array();
		json_array_append_new(offs, json_integer((json_int_t)t->offset));
		json_array_append_new(offs, json_integer((json_int_t)(t->offset + t->bytes)));
		json_t *e = json_object();
		json_object_set_new(e, "dtype", json_string(t->dtype));
		json_object_set_new(e, "shape", shape);
		json_object_set_new(e, "data_offsets", offs);
		if (json_object_set_new(root, t->name, e))
			*bad = t->name;
	}
	char *text = *bad ? NULL : json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!text)
		return NULL;
	size_t n = strlen(text), padded = (n + 7) & ~(size_t)7;
	char *out = ampcl_xmalloc(padded + 1);
	memcpy(out, text, n);
	memset(out + n, ' ', padded - n);
	out[padded] = 0;
	free(text);
	*len = padded;
	return out;
}

ampcl_status ampcl_st_writer_save(struct ampcl_st_writer *w, const char *path)
{
	if (!w || !path || !*path)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "ampcl_st_writer_save: NULL writer or empty path");
	size_t hlen = 0;
	const char *bad = NULL;
	char *hdr = build_header(w, &hlen, &bad);
	if (!hdr)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "safetensors file '%s': the name or metadata '%.60s' is not "
				       "valid UTF-8, which JSON requires",
				       path, bad ? bad : "?");

	struct ampcl_atomic a;
	int st = ampcl_atomic_open(&a, path);
	if (st)
		goto out;
	unsigned char lenbuf[8];
	unsigned long long n = hlen;
	for (int i = 0; i < 8; i++)
		lenbuf[i] = (unsigned char)(n >> (8 * i));
	fwrite(lenbuf, 1, 8, a.f);
	fwrite(hdr, 1, hlen, a.f);
	for (int i = 0; i < w->count; i++)
		fwrite(w->entries[i].data, 1, w->entries[i].t.bytes, a.f);
	/* a short write sets the stream's error, and the commit refuses it */
	st = ampcl_atomic_commit(&a);
out:
	free(hdr);
	return st;
}

void ampcl_st_writer_free(struct ampcl_st_writer *w)
{
	if (!w)
		return;
	for (int i = 0; i < w->count; i++)
		free(w->entries[i].data);
	free(w->entries);
	for (int i = 0; i < w->nmeta; i++) {
		free(w->meta_keys[i]);
		free(w->meta_values[i]);
	}
	free(w->meta_keys);
	free(w->meta_values);
	free(w);
}

/* safetensors.h: reading and writing Hugging Face safetensors files, the weight format that
 * `ampcl export` writes and `--init` reads, so weights move to and from PyTorch by name.
 *
 * Format: 8-byte little-endian header length N, N bytes of JSON header
 *   {"__metadata__": {"k": "v", ...}, "NAME": {"dtype": "F32", "shape": [..],
 *    "data_offsets": [begin, end]}, ...}
 * padded with spaces to a multiple of 8, then the byte buffer; offsets are relative to the
 * buffer's start and the tensors must tile it exactly. Tensor bytes are stored little-endian and
 * handed over as they are, so this code builds only for little-endian hosts. */
#ifndef AMPCL_SAFETENSORS_H
#define AMPCL_SAFETENSORS_H

#include "ampcl.h"

#include <stddef.h>

#define AMPCL_ST_MAX_DIMS 8
#define AMPCL_ST_MAX_NAME 127                      /* bytes, without the NUL */
#define AMPCL_ST_MAX_HEADER (100ull * 1000 * 1000) /* bytes; as the reference implementation */

struct ampcl_st_tensor {
	char name[AMPCL_ST_MAX_NAME + 1];
	char dtype[8]; /* "F32", "I64", ...: see ampcl_st_dtype_size */
	int ndim;      /* 0 for a scalar (shape []) */
	long long shape[AMPCL_ST_MAX_DIMS];
	size_t offset; /* from the start of the byte buffer */
	size_t bytes;  /* product(shape) * dtype size */
};

/* Bytes per element of a safetensors dtype name (F64 F32 F16 BF16 I64 I32 I16 I8 U64 U32 U16 U8
 * BOOL F8_E4M3 F8_E5M2), or 0 for a name it does not know. */
size_t ampcl_st_dtype_size(const char *dtype);

/* An opened file: the header parsed and checked, the byte buffer read into memory. */
struct ampcl_st_file;

/* Opens and validates path. A file that is not well-formed safetensors gives AMPCL_ERR_BAD_FILE
 * naming the file and what is wrong: shorter than 8 bytes, header length past the end of the
 * file or over AMPCL_ST_MAX_HEADER, header not JSON or not an object, unknown dtype, shape that
 * disagrees with its byte range, offsets outside the buffer, overlapping or leaving gaps,
 * duplicate names, a name over AMPCL_ST_MAX_NAME bytes, more than AMPCL_ST_MAX_DIMS dims,
 * metadata values that are not strings. A file that cannot be read gives AMPCL_ERR_IO. */
ampcl_status ampcl_st_open(const char *path, struct ampcl_st_file **out);
void ampcl_st_free(struct ampcl_st_file *f);
/* Tensors in header order, which is the writer's order for files ampcl_st_writer_save wrote. */
int ampcl_st_count(const struct ampcl_st_file *f);
const struct ampcl_st_tensor *ampcl_st_get(const struct ampcl_st_file *f, int i);
const struct ampcl_st_tensor *ampcl_st_find(const struct ampcl_st_file *f, const char *name);
/* t's bytes, valid until ampcl_st_free. The buffer starts 16-byte aligned, but the format puts
 * tensors back to back with no padding, so a tensor is only as aligned as its offset: memcpy
 * out of it unless t->offset is a multiple of the element size. */
const void *ampcl_st_data(const struct ampcl_st_file *f, const struct ampcl_st_tensor *t);
/* The "__metadata__" value for key, or NULL if absent. */
const char *ampcl_st_metadata(const struct ampcl_st_file *f, const char *key);

/* Collects tensors (copied at add time) and metadata, then writes one file. Tensors are written
 * in the order added, in both the header and the buffer; "__metadata__" comes first in the
 * header. (PyTorch's writer sorts by dtype alignment, then name; both orders load anywhere.) */
struct ampcl_st_writer;
ampcl_status ampcl_st_writer_create(struct ampcl_st_writer **out);
/* name: 1..AMPCL_ST_MAX_NAME bytes, unique, not "__metadata__"; bytes must equal
 * product(shape) * dtype size. Breaking any of these gives AMPCL_ERR_INVALID_ARG. */
ampcl_status ampcl_st_writer_add(struct ampcl_st_writer *w, const char *name, const char *dtype,
				 int ndim, const long long *shape, const void *data, size_t bytes);
/* Sets key to value; setting a key again replaces its value. */
ampcl_status ampcl_st_writer_metadata(struct ampcl_st_writer *w, const char *key,
				      const char *value);
/* Writes path.tmp.PID, fsyncs it and renames it over path, so a reader never sees half a file;
 * on failure (AMPCL_ERR_IO naming the path) nothing is left behind. */
ampcl_status ampcl_st_writer_save(struct ampcl_st_writer *w, const char *path);
void ampcl_st_writer_free(struct ampcl_st_writer *w);

#endif

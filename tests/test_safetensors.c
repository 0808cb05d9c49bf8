/* test_safetensors.c: the JSON reader on good and malformed input, safetensors round trips, a
 * byte-exact file built by hand, every corruption the reader must refuse, and Python's view. */
#include "safetensors.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static void path_in_dir(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

/* ---- safetensors ---- */

static void test_roundtrip(void)
{
	char path[128];
	path_in_dir(path, sizeof(path), "rt.safetensors");
	float w[6] = {1.5f, -2.25f, 3.0f, 0.0f, 1e-30f, -7.0f};
	long long idx[4] = {0, -1, 1LL << 40, 9223372036854775807LL};
	float scalar = 42.5f;
	unsigned char odd[3] = {1, 2, 255};
	long long s23[2] = {2, 3}, s4[1] = {4}, s3[1] = {3}, s05[2] = {0, 5};

	struct ampcl_st_writer *wr = NULL;
	tu_ok(ampcl_st_writer_create(&wr), "writer create");
	tu_ok(ampcl_st_writer_add(wr, "conv1.weight", "F32", 2, s23, w, sizeof(w)), "add F32");
	tu_ok(ampcl_st_writer_add(wr, "bn1.num_batches_tracked", "I64", 1, s4, idx, sizeof(idx)),
	      "add I64");
	tu_ok(ampcl_st_writer_add(wr, "scalar", "F32", 0, NULL, &scalar, sizeof(scalar)),
	      "add scalar");
	tu_ok(ampcl_st_writer_add(wr, "odd \"name\"", "U8", 1, s3, odd, sizeof(odd)), "add U8");
	tu_ok(ampcl_st_writer_add(wr, "empty", "F32", 2, s05, NULL, 0), "add empty");
	tu_ok(ampcl_st_writer_metadata(wr, "format", "pt"), "metadata");
	tu_ok(ampcl_st_writer_metadata(wr, "note", "first"), "metadata");
	tu_ok(ampcl_st_writer_metadata(wr, "note", "line1\nline2 \"q\" \xc3\xa9"),
	      "metadata again");
	w[0] = 99.0f; /* the writer must have copied the data */
	tu_ok(ampcl_st_writer_save(wr, path), "save");
	ampcl_st_writer_free(wr);
	ampcl_st_writer_free(NULL);
	w[0] = 1.5f;

	FILE *fp = fopen(path, "rb");
	unsigned char lenbuf[8] = {0};
	long fsize = 0;
	if (fp) {
		if (fread(lenbuf, 1, 8, fp) != 8)
			memset(lenbuf, 0, 8);
		fseek(fp, 0, SEEK_END);
		fsize = ftell(fp);
		fclose(fp);
	}
	unsigned long long hlen = 0;
	for (int i = 7; i >= 0; i--)
		hlen = hlen << 8 | lenbuf[i];
	tu_check(hlen % 8 == 0 && (long)(8 + hlen + 24 + 32 + 4 + 3) == fsize,
		 "header padded to 8 bytes", "header %llu bytes, file %ld bytes", hlen, fsize);

	struct ampcl_st_file *f = NULL;
	tu_ok(ampcl_st_open(path, &f), "open round trip");
	tu_check(ampcl_st_count(f) == 5, "round trip count", "%d tensors (want 5)",
		 ampcl_st_count(f));
	const char *names[5] = {"conv1.weight", "bn1.num_batches_tracked", "scalar", "odd \"name\"",
				"empty"};
	const char *types[5] = {"F32", "I64", "F32", "U8", "F32"};
	int ndims[5] = {2, 1, 0, 1, 2};
	size_t offs[5] = {0, 24, 56, 60, 63}, sizes[5] = {24, 32, 4, 3, 0};
	const void *datas[5] = {w, idx, &scalar, odd, NULL};
	int order_ok = 1;
	for (int i = 0; i < 5 && ampcl_st_count(f) == 5; i++) {
		const struct ampcl_st_tensor *t = ampcl_st_get(f, i);
		int ok = !strcmp(t->name, names[i]) && !strcmp(t->dtype, types[i]) &&
			 t->ndim == ndims[i] && t->offset == offs[i] && t->bytes == sizes[i] &&
			 ampcl_st_find(f, names[i]) == t;
		if (ok && sizes[i])
			ok = !memcmp(ampcl_st_data(f, t), datas[i], sizes[i]);
		tu_check(ok, "round trip tensor", "%d '%s' %s ndim %d offset %zu bytes %zu", i,
			 t->name, t->dtype, t->ndim, t->offset, t->bytes);
		order_ok = order_ok && ok;
	}
	const struct ampcl_st_tensor *c = ampcl_st_find(f, "conv1.weight");
	const struct ampcl_st_tensor *e = ampcl_st_find(f, "empty");
	tu_check(
	    c && c->shape[0] == 2 && c->shape[1] == 3 && e && e->shape[0] == 0 && e->shape[1] == 5,
	    "round trip shapes", "conv1.weight [%lld, %lld], empty [%lld, %lld]",
	    c ? c->shape[0] : -1, c ? c->shape[1] : -1, e ? e->shape[0] : -1, e ? e->shape[1] : -1);
	const char *fmt = ampcl_st_metadata(f, "format");
	const char *note = ampcl_st_metadata(f, "note");
	tu_check(fmt && !strcmp(fmt, "pt") && note &&
		     !strcmp(note, "line1\nline2 \"q\" \xc3\xa9") &&
		     !ampcl_st_metadata(f, "absent"),
		 "round trip metadata", "format '%s', note '%s'", fmt ? fmt : "(null)",
		 note ? note : "(null)");
	tu_check(!ampcl_st_find(f, "absent") && !ampcl_st_get(f, 5) && !ampcl_st_get(f, -1) &&
		     ampcl_st_count(NULL) == 0,
		 "lookups that miss", "absent name, index 5, index -1, NULL file");
	ampcl_st_free(f);
	ampcl_st_free(NULL);
}

/* A one-tensor file written out byte by byte from the format description. */
static const unsigned char hand_file[] = {
    0x38, 0,    0,    0,    0,    0,    0,    0, /* header length 56, little-endian */
    '{',  '"',  'a',  '"',  ':',  '{',  '"',  'd',  't', 'y', 'p', 'e', '"', ':', '"',
    'F',  '3',  '2',  '"',  ',',  '"',  's',  'h',  'a', 'p', 'e', '"', ':', '[', '2',
    ']',  ',',  '"',  'd',  'a',  't',  'a',  '_',  'o', 'f', 'f', 's', 'e', 't', 's',
    '"',  ':',  '[',  '0',  ',',  '8',  ']',  '}',  '}', ' ', ' ', /* 54 bytes of JSON + 2 spaces =
								      56 */
    0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0,                /* 1.0f, -2.0f */
};

static void test_byte_exact(void)
{
	char path[128], hpath[128];
	path_in_dir(path, sizeof(path), "exact.safetensors");
	path_in_dir(hpath, sizeof(hpath), "hand.safetensors");
	float a[2] = {1.0f, -2.0f};
	long long shape[1] = {2};
	struct ampcl_st_writer *wr = NULL;
	tu_ok(ampcl_st_writer_create(&wr), "writer create");
	tu_ok(ampcl_st_writer_add(wr, "a", "F32", 1, shape, a, sizeof(a)), "add a");
	tu_ok(ampcl_st_writer_save(wr, path), "save exact");
	ampcl_st_writer_free(wr);

	unsigned char got[256];
	FILE *fp = fopen(path, "rb");
	size_t n = fp ? fread(got, 1, sizeof(got), fp) : 0;
	if (fp)
		fclose(fp);
	size_t first = 0;
	while (first < n && first < sizeof(hand_file) && got[first] == hand_file[first])
		first++;
	tu_check(n == sizeof(hand_file) && first == n, "writer output is byte-exact",
		 "%zu bytes written, %zu expected, first difference at byte %zu", n,
		 sizeof(hand_file), first);

	tu_write_file(hpath, hand_file, sizeof(hand_file));
	struct ampcl_st_file *f = NULL;
	tu_ok(ampcl_st_open(hpath, &f), "open hand-made file");
	const struct ampcl_st_tensor *t = ampcl_st_find(f, "a");
	float v[2] = {0, 0};
	if (t)
		memcpy(v, ampcl_st_data(f, t), sizeof(v));
	tu_check(t && ampcl_st_count(f) == 1 && t->ndim == 1 && t->shape[0] == 2 && v[0] == 1.0f &&
		     v[1] == -2.0f,
		 "reads the hand-made file", "a = [%g, %g]", v[0], v[1]);
	ampcl_st_free(f);
}

/* Writes 8-byte length | header | buffer, with the length given separately so it can lie. */
static void write_st(const char *path, unsigned long long declared, const char *header,
		     const void *buf, size_t nbuf)
{
	size_t hl = strlen(header);
	unsigned char *b = tu_malloc(8 + hl + nbuf);
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(declared >> (8 * i));
	memcpy(b + 8, header, hl);
	if (nbuf)
		memcpy(b + 8 + hl, buf, nbuf);
	tu_write_file(path, b, 8 + hl + nbuf);
	free(b);
}

struct corrupt_case {
	const char *what;
	const char *header;
	size_t nbuf;
	const char *expect; /* a phrase the message must contain */
};

#define T(name, dt, sh, b, e)                                                                      \
	"\"" name "\":{\"dtype\":\"" dt "\",\"shape\":" sh ",\"data_offsets\":[" #b "," #e "]}"

static void test_corrupt(void)
{
	char path[128];
	path_in_dir(path, sizeof(path), "bad.safetensors");
	unsigned char buf[64] = {0};
	int st;
	struct ampcl_st_file *f;

	/* length-level damage first: these never reach the JSON */
	tu_write_file(path, "\x10\0\0\0\0", 5);
	f = (struct ampcl_st_file *)1;
	st = ampcl_st_open(path, &f);
	tu_check(st == AMPCL_ERR_BAD_FILE && !f && strstr(ampcl_last_error(), path) &&
		     strstr(ampcl_last_error(), "shorter than"),
		 "refuses a 5-byte file", "status %d: %s", st, ampcl_last_error());

	write_st(path, 1000, "{}", NULL, 0);
	st = ampcl_st_open(path, &f);
	tu_check(st == AMPCL_ERR_BAD_FILE && strstr(ampcl_last_error(), path) &&
		     strstr(ampcl_last_error(), "truncated"),
		 "refuses a header length past the end", "status %d: %s", st, ampcl_last_error());

	write_st(path, 200000000ull, "{}", NULL, 0);
	st = ampcl_st_open(path, &f);
	tu_check(st == AMPCL_ERR_BAD_FILE && strstr(ampcl_last_error(), path) &&
		     strstr(ampcl_last_error(), "100 MB"),
		 "refuses a header over 100 MB", "status %d: %s", st, ampcl_last_error());

	write_st(path, 0xffffffffffffffffull, "{}", NULL, 0);
	st = ampcl_st_open(path, &f);
	tu_check(st == AMPCL_ERR_BAD_FILE, "refuses a header length of 2^64-1", "status %d: %s", st,
		 ampcl_last_error());

	static const struct corrupt_case cases[] = {
	    {"not JSON", "{not json}", 0, "not valid JSON"},
	    {"truncated JSON", "{\"a\":{\"dtype\":", 0, "not valid JSON"},
	    {"JSON array", "[1,2]", 0, "not an object"},
	    {"JSON string", "\"x\"", 0, "not an object"},
	    {"tensor not an object", "{\"a\":3}", 0, "not an object"},
	    {"unknown dtype", "{" T("a", "F33", "[2]", 0, 8) "}", 8, "unknown dtype 'F33'"},
	    {"missing dtype", "{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "dtype"},
	    {"missing shape", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, "shape"},
	    {"missing offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "data_offsets"},
	    {"three offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}",
	     8, "data_offsets"},
	    {"negative shape", "{" T("a", "F32", "[-2]", 0, 8) "}", 8, "non-negative"},
	    {"fractional shape", "{" T("a", "F32", "[2.5]", 0, 8) "}", 8, "non-negative"},
	    {"9 dimensions", "{" T("a", "F32", "[1,1,1,1,1,1,1,1,2]", 0, 8) "}", 8, "9 dimensions"},
	    {"shape/bytes mismatch", "{" T("a", "F32", "[3]", 0, 8) "}", 8, "make 12 bytes"},
	    {"I64 shape/bytes mismatch", "{" T("a", "I64", "[2]", 0, 8) "}", 8, "make 16 bytes"},
	    {"shape product overflow", "{" T("a", "F32", "[4294967296,4294967296,16]", 0, 8) "}", 8,
	     "fit in 64 bits"},
	    {"end before begin", "{" T("a", "F32", "[0]", 8, 4) "}", 8, "end before"},
	    {"offset beyond 2^63", "{" T("a", "F32", "[2]", 0, 99999999999999999999) "}", 8,
	     "too big integer"},
	    {"offsets past the buffer", "{" T("a", "F32", "[4]", 0, 16) "}", 8, "run past"},
	    {"overlapping tensors",
	     "{" T("a", "F32", "[2]", 0, 8) "," T("b", "F32", "[2]", 4, 12) "}", 12, "overlap"},
	    {"gap between tensors",
	     "{" T("a", "F32", "[1]", 0, 4) "," T("b", "F32", "[1]", 8, 12) "}", 12,
	     "belong to no tensor"},
	    {"buffer not starting at 0", "{" T("a", "F32", "[1]", 4, 8) "}", 8,
	     "belong to no tensor"},
	    {"trailing bytes", "{" T("a", "F32", "[1]", 0, 4) "}", 8, "trailing bytes"},
	    {"duplicate names", "{" T("a", "F32", "[1]", 0, 4) "," T("a", "F32", "[1]", 4, 8) "}",
	     8, "duplicate object key"},
	    {"metadata not strings", "{\"__metadata__\":{\"epoch\":3}}", 0, "only strings"},
	    {"a NUL escape in a name", "{\"a\\u0000b\":{}}", 0, "not valid JSON"},
	    {"a name that is not UTF-8", "{\"a\xff\":{}}", 0, "not valid JSON"},
	    {"metadata not an object", "{\"__metadata__\":[]}", 0, "not an object"},
	    {"metadata twice", "{\"__metadata__\":{},\"__metadata__\":{}}", 0,
	     "duplicate object key"},
	    {"name too long",
	     "{\""
	     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	     "\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}",
	     0, "over ampcl's limit"},
	};
	int n = (int)(sizeof(cases) / sizeof(cases[0]));
	for (int i = 0; i < n; i++) {
		write_st(path, strlen(cases[i].header), cases[i].header, buf, cases[i].nbuf);
		f = (struct ampcl_st_file *)1;
		st = ampcl_st_open(path, &f);
		const char *msg = ampcl_last_error();
		tu_check(st == AMPCL_ERR_BAD_FILE && !f && strstr(msg, path) &&
			     strstr(msg, cases[i].expect),
			 "refuses a corrupt file",
			 "%s: status %d (want %d), message '%s' (must name "
			 "the file and say '%s')",
			 cases[i].what, st, AMPCL_ERR_BAD_FILE, msg, cases[i].expect);
	}

	/* the format allows what these look like they might break */
	static const char *fine[] = {
	    "{}",
	    "{\"__metadata__\":{}}",
	    "{" T("e", "F32", "[0]", 0, 0) "," T("a", "F32", "[1]", 0, 4) "," T("z", "U8", "[]", 4,
										5) "}",
	    "  {" T("b", "BF16", "[2]", 2, 6) "," T("a", "I8", "[2]", 0, 2) "}\n   ",
	};
	size_t fine_buf[] = {0, 0, 5, 6};
	for (int i = 0; i < 4; i++) {
		write_st(path, strlen(fine[i]), fine[i], buf, fine_buf[i]);
		f = NULL;
		st = ampcl_st_open(path, &f);
		tu_check(st == AMPCL_OK, "accepts an unusual valid file", "%s: status %d %s",
			 fine[i], st, st ? ampcl_last_error() : "");
		ampcl_st_free(f);
	}

	char missing[160];
	path_in_dir(missing, sizeof(missing), "does-not-exist.safetensors");
	st = ampcl_st_open(missing, &f);
	tu_check(st == AMPCL_ERR_IO && strstr(ampcl_last_error(), missing), "missing file is IO",
		 "status %d: %s", st, ampcl_last_error());
	unlink(path);
}

static void test_writer_errors(void)
{
	struct ampcl_st_writer *wr = NULL;
	tu_ok(ampcl_st_writer_create(&wr), "writer create");
	float x[4] = {0};
	long long s4[1] = {4}, neg[1] = {-4};
	tu_ok(ampcl_st_writer_add(wr, "x", "F32", 1, s4, x, sizeof(x)), "add x");
	char longname[200];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	struct {
		const char *what;
		int st;
	} r[] = {
	    {"duplicate name", ampcl_st_writer_add(wr, "x", "F32", 1, s4, x, sizeof(x))},
	    {"unknown dtype", ampcl_st_writer_add(wr, "y", "F31", 1, s4, x, sizeof(x))},
	    {"byte count mismatch", ampcl_st_writer_add(wr, "y", "F32", 1, s4, x, 12)},
	    {"I64 byte count", ampcl_st_writer_add(wr, "y", "I64", 1, s4, x, sizeof(x))},
	    {"negative shape", ampcl_st_writer_add(wr, "y", "F32", 1, neg, x, sizeof(x))},
	    {"9 dims", ampcl_st_writer_add(wr, "y", "F32", 9, s4, x, sizeof(x))},
	    {"reserved name", ampcl_st_writer_add(wr, "__metadata__", "F32", 1, s4, x, sizeof(x))},
	    {"empty name", ampcl_st_writer_add(wr, "", "F32", 1, s4, x, sizeof(x))},
	    {"long name", ampcl_st_writer_add(wr, longname, "F32", 1, s4, x, sizeof(x))},
	    {"NULL data", ampcl_st_writer_add(wr, "y", "F32", 1, s4, NULL, sizeof(x))},
	    {"NULL metadata value", ampcl_st_writer_metadata(wr, "k", NULL)},
	};
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		tu_check(r[i].st == AMPCL_ERR_INVALID_ARG, "writer refuses bad arguments",
			 "%s: status %d", r[i].what, r[i].st);

	char path[160];
	path_in_dir(path, sizeof(path), "no-such-folder/out.safetensors");
	int before = tu_count_entries(dir);
	int st = ampcl_st_writer_save(wr, path);
	tu_check(st == AMPCL_ERR_IO && strstr(ampcl_last_error(), path) &&
		     tu_count_entries(dir) == before,
		 "save to a missing folder fails cleanly",
		 "status %d, %d files before, %d after: %s", st, before, tu_count_entries(dir),
		 ampcl_last_error());
	ampcl_st_writer_free(wr);
}

/* Python's standard json and struct modules read what we wrote: an independent parser. */
static const char *py_stdlib =
    "import json, struct, sys\n"
    "b = open(sys.argv[1], 'rb').read()\n"
    "n = struct.unpack('<Q', b[:8])[0]\n"
    "assert n % 8 == 0, n\n"
    "h = json.loads(b[8:8 + n])\n"
    "buf = b[8 + n:]\n"
    "assert h['__metadata__'] == {'format': 'pt', 'k': 'v \"q\"'}, h['__metadata__']\n"
    "w = h['w']\n"
    "assert w['dtype'] == 'F32' and w['shape'] == [2, 3], w\n"
    "s, e = w['data_offsets']\n"
    "assert struct.unpack('<6f', buf[s:e]) == (0.5, 1.5, 2.5, 3.5, 4.5, 5.5)\n"
    "i = h['i']\n"
    "s, e = i['data_offsets']\n"
    "assert i['dtype'] == 'I64' and struct.unpack('<2q', buf[s:e]) == (-3, 1 << 40)\n"
    "c = h['c']\n"
    "s, e = c['data_offsets']\n"
    "assert c['shape'] == [] and struct.unpack('<f', buf[s:e]) == (0.25,)\n"
    "print('python stdlib: header and values match')\n";

static const char *py_torch =
    "import sys, torch\n"
    "from safetensors.torch import load_file\n"
    "from safetensors import safe_open\n"
    "t = load_file(sys.argv[1])\n"
    "assert torch.equal(t['w'], torch.arange(6, dtype=torch.float32).reshape(2, 3) + 0.5)\n"
    "assert torch.equal(t['i'], torch.tensor([-3, 1 << 40], dtype=torch.int64))\n"
    "assert t['c'].shape == () and t['c'].item() == 0.25\n"
    "with safe_open(sys.argv[1], 'pt') as f:\n"
    "    assert f.metadata() == {'format': 'pt', 'k': 'v \"q\"'}, f.metadata()\n"
    "print('python safetensors+torch: tensors and metadata match')\n";

static int run_python(const char *script_name, const char *script, const char *file)
{
	char spath[160], cmd[512];
	path_in_dir(spath, sizeof(spath), script_name);
	tu_write_file(spath, script, strlen(script));
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 '%s' '%s'", spath, file);
	int rc = system(cmd);
	unlink(spath);
	return rc;
}

static void test_python(void)
{
	if (access("/usr/bin/python3", X_OK)) {
		printf("SKIP python checks: /usr/bin/python3 not found\n");
		return;
	}
	char path[128];
	path_in_dir(path, sizeof(path), "py.safetensors");
	float w[6] = {0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f};
	long long i64[2] = {-3, 1LL << 40};
	float c = 0.25f;
	long long s23[2] = {2, 3}, s2[1] = {2};
	struct ampcl_st_writer *wr = NULL;
	tu_ok(ampcl_st_writer_create(&wr), "writer create");
	tu_ok(ampcl_st_writer_add(wr, "w", "F32", 2, s23, w, sizeof(w)), "add w");
	tu_ok(ampcl_st_writer_add(wr, "i", "I64", 1, s2, i64, sizeof(i64)), "add i");
	tu_ok(ampcl_st_writer_add(wr, "c", "F32", 0, NULL, &c, sizeof(c)), "add c");
	tu_ok(ampcl_st_writer_metadata(wr, "format", "pt"), "metadata");
	tu_ok(ampcl_st_writer_metadata(wr, "k", "v \"q\""), "metadata");
	tu_ok(ampcl_st_writer_save(wr, path), "save");
	ampcl_st_writer_free(wr);

	fflush(stdout);
	int rc = run_python("check_stdlib.py", py_stdlib, path);
	tu_check(rc == 0, "python json/struct read our file", "exit status %d", rc);

	if (system("/usr/bin/python3 -c 'import safetensors, torch' >/dev/null 2>&1")) {
		printf("SKIP python safetensors check: /usr/bin/python3 lacks the safetensors or "
		       "torch package\n");
	} else {
		fflush(stdout);
		rc = run_python("check_torch.py", py_torch, path);
		tu_check(rc == 0, "safetensors.torch loads our file", "exit status %d", rc);
	}
	unlink(path);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ampcl_test_st_XXXXXX");
	if (!mkdtemp(dir)) {
		printf("FAIL cannot create a temporary folder\n");
		return 1;
	}
	test_roundtrip();
	test_byte_exact();
	test_corrupt();
	test_writer_errors();
	test_python();

	char path[128];
	const char *left[] = {"rt.safetensors", "exact.safetensors", "hand.safetensors"};
	for (int i = 0; i < 3; i++) {
		path_in_dir(path, sizeof(path), left[i]);
		unlink(path);
	}
	int n = tu_count_entries(dir);
	tu_check(n == 0, "no stray files", "%d files left in %s", n, dir);
	rmdir(dir);
	return tu_finish();
}

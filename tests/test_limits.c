/* test_limits: AMPCL_LIMITS: the parser's errors, the lowered capabilities `ampcl devices --json`
 * shows, and `ampcl train` on a device too small for the model (exit 1 naming the arena) or whose
 * allocations are too small for its activations in one buffer (chunked, the same losses). */
#include "net.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char out[1 << 16];

/* `ampcl ARGS` under AMPCL_LIMITS=limits; its exit status, its output in out */
static int run_limited(const char *limits, const char *args)
{
	setenv("AMPCL_LIMITS", limits, 1);
	int rc = tu_run_cli(args, out, sizeof(out));
	unsetenv("AMPCL_LIMITS");
	return rc;
}

static void check_malformed(const char *limits, const char *item)
{
	int rc = run_limited(limits, "devices");
	tu_check(rc == 2 && strstr(out, "AMPCL_LIMITS") && strstr(out, item) &&
		     strstr(out, "valid keys are global, alloc and local") &&
		     strstr(out, "wg, units and vector"),
		 "a malformed AMPCL_LIMITS is a usage error naming it",
		 "AMPCL_LIMITS='%s': exit %d: %.300s", limits, rc, out);
}

/* The n-th (from 0) "key": VALUE of the JSON in out, or -1. */
static long long json_field(const char *key, int n)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	const char *p = out;
	for (int i = 0; p && i <= n; i++)
		if ((p = strstr(p, pat)))
			p += strlen(pat);
	return p ? strtoll(p, NULL, 10) : -1;
}

static unsigned long long lower(unsigned long long real, unsigned long long limit)
{
	return limit < real ? limit : real;
}

/* Every device's capabilities as the CLI shows them: min(real, limit), never above the real. */
static void check_devices_json(void)
{
	struct ampcl_device_desc *real;
	int count;
	tu_ok(ampcl_devices_list(&count, &real), "devices list");
	const unsigned long long g = 2ull << 30, a = 256ull << 20, l = 16 << 10, wg = 32, u = 1;
	int rc = run_limited("global=2G,alloc=256M,local=16K,wg=32,units=1", "devices --json");
	int ok = rc == 0;
	for (int i = 0; i < count && ok; i++) {
		/* a lowered global memory also caps the allocation size */
		unsigned long long want_a =
		    lower(lower(real[i].max_alloc_bytes, a), lower(real[i].global_mem_bytes, g));
		ok = json_field("global_mem_bytes", i) ==
			 (long long)lower(real[i].global_mem_bytes, g) &&
		     json_field("max_alloc_bytes", i) == (long long)want_a &&
		     json_field("local_mem_bytes", i) ==
			 (long long)lower(real[i].local_mem_bytes, l) &&
		     json_field("max_work_group_size", i) ==
			 (long long)lower(real[i].max_work_group_size, wg) &&
		     json_field("compute_units", i) == (long long)lower(real[i].compute_units, u);
	}
	tu_check(ok, "ampcl devices --json shows the lowered limits",
		 "exit %d, %d devices; device 0: global %lld, alloc %lld, local %lld, wg %lld, "
		 "units %lld",
		 rc, count, json_field("global_mem_bytes", 0), json_field("max_alloc_bytes", 0),
		 json_field("local_mem_bytes", 0), json_field("max_work_group_size", 0),
		 json_field("compute_units", 0));

	/* above every real device's size: ignored, the real values stay */
	rc = run_limited("global=1T,alloc=1T", "devices --json");
	ok = rc == 0;
	for (int i = 0; i < count && ok; i++)
		ok = json_field("global_mem_bytes", i) == (long long)real[i].global_mem_bytes &&
		     json_field("max_alloc_bytes", i) == (long long)real[i].max_alloc_bytes;
	tu_check(ok, "a limit above the device's is ignored",
		 "global=1T: exit %d, global %lld (real %llu)", rc,
		 json_field("global_mem_bytes", 0), real[0].global_mem_bytes);
	free(real);
}

/* resnet18 width 8, batch 16 (as the training below): its 13 MiB of activations are planned
 * into buffers of at most `limit` bytes. */
static void check_chunked_plan(const char *limits, size_t limit)
{
	setenv("AMPCL_LIMITS", limits, 1);
	struct ampcl_context *ctx = tu_context();
	unsetenv("AMPCL_LIMITS");
	ampcl_net_t *net;
	tu_ok(ampcl_net_create(ctx, 3, 32, 32, &net), "net create");
	tu_ok(ampcl_model_build(net, "resnet18", 8, 10), "resnet18 width 8");
	tu_ok(ampcl_net_finalize(net, 16, 1), limits);
	int within = 1;
	for (int c = 0; c < net->acts->nchunks; c++)
		within &= net->acts->chunk_size[c] <= limit;
	for (int c = 0; c < net->scratch->nchunks; c++)
		within &= net->scratch->chunk_size[c] <= limit;
	tu_check(net->acts->nchunks > 1 && within, "the activations arena is chunked",
		 "%s: %d buffers for %.1f MiB of activations, %d for %.1f MiB of scratch, each "
		 "within the limit: %s",
		 limits, net->acts->nchunks, (double)net->acts->size / 1048576.0,
		 net->scratch->nchunks, (double)net->scratch->size / 1048576.0,
		 within ? "yes" : "no");
	ampcl_net_free(net);
	ampcl_context_free(ctx);
}

/* DIR/log.csv's columns epoch, lr, train_loss, train_acc, test_loss, test_acc (the timings
 * after them differ from run to run). */
static void read_losses(const char *dir, char *buf, size_t size)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/log.csv", dir);
	size_t n = 0, used = 0;
	char *text = tu_read_file(path, &n);
	buf[0] = 0;
	for (char *line = text ? strtok(text, "\n") : NULL; line && used < size;
	     line = strtok(NULL, "\n")) {
		int commas = 0, len = 0;
		while (line[len] && (line[len] != ',' || ++commas < 6))
			len++;
		used += (size_t)snprintf(buf + used, size - used, "%.*s\n", len, line);
	}
	free(text);
}

int main(void)
{
	char dir[] = "/tmp/ampcl-limits-XXXXXX";
	if (!mkdtemp(dir))
		return 1;

	check_malformed("wg=0", "'wg=0'");
	check_malformed("alloc=abc", "'alloc=abc'");
	check_malformed("foo=1", "'foo=1'");
	check_malformed("global=2G,local=16Q", "'local=16Q'");
	/* the library's own users get the same: any command that opens a device */
	int rc = run_limited("wg=0", "train --data /nonexistent --epochs 1");
	tu_check(rc == 2 && strstr(out, "AMPCL_LIMITS"), "ampcl train refuses it too",
		 "exit %d: %.200s", rc, out);
	check_devices_json();
	check_chunked_plan("alloc=8M", (size_t)8 << 20);
	check_chunked_plan("alloc=1M", (size_t)1 << 20);

	char data[600], args[2048];
	snprintf(data, sizeof(data), "%s/data", dir);
	tu_write_tiny_cifar(data, 16, 16);

	/* the model does not fit 64 MiB: exit 1 (DESIGN: a runtime failure) naming the arena, the
	 * tensor, the sizes and the limit, and what to change */
	snprintf(args, sizeof(args),
		 "train --data %s --model resnet18 --width 64 --batch 64 --epochs 1 --out %s/oom",
		 data, dir);
	rc = run_limited("global=64M", args);
	tu_check(rc == 1 && strstr(out, "cannot allocate the ") && strstr(out, " arena (") &&
		     strstr(out, "tensor '") && strstr(out, "global memory 64.0 MiB") &&
		     strstr(out, "smaller --batch or --width"),
		 "global=64M: resnet18 w64 is refused with the arena, tensor and limit",
		 "exit %d: %.600s", rc, out);

	/* activations in buffers of at most 8 MiB: training works and its losses equal an
	 * unchunked run's (the views move, the sums do not) */
	const char *common = "--model resnet18 --width 8 --batch 16 --augment none";
	snprintf(args, sizeof(args), "train --data %s %s --epochs 2 --out %s/plain", data, common,
		 dir);
	int rc_plain = tu_run_cli(args, out, sizeof(out));
	snprintf(args, sizeof(args), "train --data %s %s --epochs 2 --out %s/chunked", data, common,
		 dir);
	rc = run_limited("alloc=8M", args);
	char plain[4096], chunked[4096], path[700];
	snprintf(path, sizeof(path), "%s/plain", dir);
	read_losses(path, plain, sizeof(plain));
	snprintf(path, sizeof(path), "%s/chunked", dir);
	read_losses(path, chunked, sizeof(chunked));
	tu_check(rc_plain == 0 && rc == 0 && tu_count_substr(chunked, "\n") == 3 && !strcmp(plain, chunked),
		 "alloc=8M: training with a chunked activations arena equals the unchunked run",
		 "exit %d and %d; log.csv unchunked:\n%s\nchunked:\n%s\n%.300s", rc_plain, rc,
		 plain, chunked, out);

	/* 1 MiB: the convolutions' scratch is cut to fit too (fewer images per GEMM, so other
	 * sums): an epoch trains */
	snprintf(args, sizeof(args), "train --data %s %s --epochs 1 --out %s/small", data, common,
		 dir);
	rc = run_limited("alloc=1M", args);
	snprintf(path, sizeof(path), "%s/small", dir);
	read_losses(path, chunked, sizeof(chunked));
	tu_check(rc == 0 && tu_count_substr(chunked, "\n") == 2 && !strstr(chunked, "nan"),
		 "alloc=1M: an epoch trains", "exit %d; log.csv:\n%s\n%.300s", rc, chunked, out);

	tu_remove_tree(dir);
	return tu_finish();
}

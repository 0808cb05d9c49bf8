/* test_cli.c: the train/eval/export verbs' handling of bad usage and bad input: exit status 2
 * and a message that names the flag, value or file. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char dir[] = "/tmp/ampcl-cli-XXXXXX";

/* args with every "@" replaced by this test's own folder */
static const char *in_dir(const char *args)
{
	static char buf[4096];
	size_t n = 0;
	for (const char *c = args; *c && n + strlen(dir) + 1 < sizeof(buf); c++)
		if (*c == '@')
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", dir);
		else
			buf[n++] = *c;
	buf[n] = 0;
	return buf;
}

static void expect(const char *args, int code, const char *needle)
{
	char *a = strdup(in_dir(args)), *want = strdup(in_dir(needle));
	args = a, needle = want;
	char out[8192];
	int rc = tu_run_cli(args, out, sizeof(out));
	tu_check(rc == code && strstr(out, needle), args, "exit %d (want %d), output: %s", rc, code,
		 out);
	free(a);
	free(want);
}

/* expect() with the environment variable name set to value */
static void expect_env(const char *name, const char *value, const char *args, int code,
		       const char *needle)
{
	setenv(name, value, 1);
	expect(args, code, needle);
	unsetenv(name);
}

static FILE *open_in_dir(const char *name, const char *mode)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return fopen(path, mode);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	expect("train --help", 0, "--amp-epochs");
	expect("train", 2, "--data");
	expect("train --data /nonexistent/folder", 2, "/nonexistent/folder");
	expect("train --data /tmp --epochs 0", 2, "--epochs '0'");
	expect("train --data /tmp --batch lots", 2, "--batch 'lots'");
	expect("train --data /tmp --lr-schedule sometimes", 2, "--lr-schedule 'sometimes'");
	expect("train --data /tmp --amp-ratio 1.5", 2, "--amp-ratio 1.5");
	expect("train --data /tmp --amp-factor 0", 2, "--amp-factor 0");
	expect("train --data /tmp --amp-factor -2", 2, "--amp-factor -2");
	expect("train --data /tmp --amp-types bn,dropout", 2, "'dropout' is not a layer type");
	expect("train --data /tmp --amp-epochs 5-2", 2, "--amp-epochs '5-2'");
	expect("train --data /tmp --amp-epochs 1,,3", 2, "--amp-epochs '1,,3'");
	expect("train --data /tmp --amp-redraw often", 2, "--amp-redraw 'often'");
	expect("train --data /tmp --amp-target weights", 2, "--amp-target 'weights'");
	expect("train --data /tmp --model resnet50", 2, "resnet50");
	expect("train --data /tmp --augment lots", 2, "--augment 'lots'");
	expect("train --data /tmp --schedule /nonexistent.txt", 2, "/nonexistent.txt");
	expect("train --resume x.ampcl --lr 0.5", 2, "--resume");
	expect("train --resume /nonexistent.ampcl", 2, "/nonexistent.ampcl");
	expect("train --bogus 1", 2, "unknown option '--bogus'");
	/* getopt_long: a missing value and a stray argument are named; --flag=value works */
	expect("train --data", 2, "--data needs a value");
	expect("train --data /tmp stray", 2, "unexpected argument 'stray'");
	expect("train --data=/nonexistent/folder", 2, "/nonexistent/folder");
	expect("eval --checkpoint=/nonexistent.ampcl", 2, "/nonexistent.ampcl");
	expect("devices --bogus", 2, "unknown option '--bogus'");
	expect("selftest --device", 2, "--device needs a value");
	/* --subset 0 is every image, as the library says; below 0 is refused */
	expect("train --data /nonexistent/folder --subset 0", 2, "/nonexistent/folder");
	expect("train --data /tmp --subset -1", 2, "from 0 to");
	/* flags that contradict or name nothing; eval one process only */
	FILE *sf = open_in_dir("phases.txt", "w");
	fputs("2 0.1 on\n", sf);
	fclose(sf);
	expect("train --data /tmp --schedule @/phases.txt --lr 0.3", 2,
	       "--schedule '@/phases.txt' and --lr");
	expect("eval --checkpoint x.ampcl --predictions ''", 2, "--predictions ''");
	tu_write_tiny_cifar(in_dir("@/data"), 2, 2);
	/* weights of another network: the message names the flag eval takes them with */
	const char header[] = "{\"conv1.weight\":{\"dtype\":\"F32\",\"shape\":[1],"
			      "\"data_offsets\":[0,4]}}";
	unsigned long long hlen = sizeof(header) - 1;
	FILE *wf = open_in_dir("other.safetensors", "wb");
	for (int i = 0; i < 8; i++)
		fputc((int)(hlen >> (8 * i)) & 0xff, wf);
	fputs(header, wf);
	fwrite("\0\0\0\0", 1, 4, wf);
	fclose(wf);
	expect("eval --weights @/other.safetensors --model resnet18 --width 2 --data @/data", 2,
	       "--weights");
	expect("study --data /tmp --out @/s --devices ''", 2, "--devices ''");
	expect("study --data /tmp --out @/s --grid /dev/zero", 2, "not a regular file");
	expect("study --data /tmp --out @/s --grid /tmp", 2, "not a regular file");
	expect("study --data /tmp --out @/s --lr 0.1,0.10", 2, "twice");
	expect("study --data /tmp --out @/s --seeds 1,1", 2, "twice");
	expect_env("OMPI_COMM_WORLD_SIZE", "2", "eval --checkpoint x.ampcl", 2, "without mpirun");
	expect_env("AMPCL_PROFILE", "gpux", "train --data @/data", 2,
		   "llvmpipe, cpu, gpu-amd-rdna2, gpu-intel-xe, gpu-nvidia-ampere and gpu");
	expect_env("AMPCL_KERNEL_DIR", "/nonexistent", "train --data @/data", 2,
		   "AMPCL_KERNEL_DIR='/nonexistent'");
	/* words out of range list every valid value, whatever their length */
	expect("train --data /tmp --amp-target parameters", 2,
	       "--amp-target 'parameters': the valid values are input, params and both");
	expect("train --data /tmp --amp-select automatic", 2,
	       "the valid values are random and auto");
	expect("train --data /tmp --amp-redraw every-step", 2,
	       "the valid values are epoch, iter and once");
	expect("train --data /tmp --model resnet18-with-a-long-name", 2,
	       "the valid values are resnet18, resnet34, vgg19 and FILE.onnx");
	expect("train --data /tmp --dataset cifar100", 2,
	       "the valid values are cifar10, mnist, fashion-mnist and folder");
	expect("train --data /tmp --augment heavy", 2, "the valid values are standard and none");
	expect("bench --model resnet50", 2, "the valid values are resnet18, resnet34, vgg19 and FILE.onnx");
	/* bench with no mode: the kernels and a model step; --json alone writes them */
	expect("bench --json @/bench.json --width 2 --batch 2 --reps 1 --steps 1", 0,
	       "resnet18 w=2 batch=2");
	FILE *jf = open_in_dir("bench.json", "r");
	char json[1 << 16] = "";
	size_t jn = jf ? fread(json, 1, sizeof(json) - 1, jf) : 0;
	json[jn] = 0;
	if (jf)
		fclose(jf);
	tu_check(strstr(json, "\"conv2d\"") && strstr(json, "\"train-step\""),
		 "bench --json holds kernels and the model step", "%zu bytes", jn);
	/* --profile: one step's device time per kernel (the SGD update is one launch a step) and
	 * the memory peaks, printed and in the JSON */
	expect("bench --model resnet18 --width 2 --batch 2 --steps 1 --profile --json "
	       "@/profile.json",
	       0, "device time per kernel in one training step");
	expect("bench --model vgg19 --width 2 --batch 3 --steps 1 --profile", 0,
	       "memory: ampcl's device buffers at most");
	jf = open_in_dir("profile.json", "r");
	jn = jf ? fread(json, 1, sizeof(json) - 1, jf) : 0;
	json[jn] = 0;
	if (jf)
		fclose(jf);
	tu_check(strstr(json,
			"\"op\": \"sgd_step\",\n      \"pass\": \"profile\",\n      \"shape\": "
			"\"1 calls\"") &&
		     strstr(json, "\"process_peak_rss_mib\"") &&
		     strstr(json, "\"device_buffers_peak_mib\""),
		 "bench --profile --json holds the kernels of the step and the memory peaks",
		 "%zu bytes", jn);
	/* --plot: the roofline of the timed ops, a PNG; refused without timed ops or a folder */
	expect("bench --kernels --batch 2 --reps 1 --plot @/roofline.png", 0,
	       "roofline written to @/roofline.png");
	unsigned char sig[8] = {0};
	FILE *pf = open_in_dir("roofline.png", "rb");
	size_t pn = pf ? fread(sig, 1, 8, pf) : 0;
	if (pf)
		fclose(pf);
	tu_check(pn == 8 && !memcmp(sig, "\x89PNG\r\n\x1a\n", 8), "bench --plot writes a PNG",
		 "%zu bytes of signature read", pn);
	expect("bench --model resnet18 --plot @/roofline.png", 2,
	       "give it with --kernels or --gemm-sweep");
	expect("bench --kernels --plot /nonexistent-dir/r.png", 2,
	       "'/nonexistent-dir/r.png': its folder does not exist");
	/* a flag whose value was forgotten before the next flag */
	expect("train --data --epochs 3", 2, "--data needs a value (it was followed by --epochs)");
	/* a seed past 64 bits and an empty --out are refused, not wrapped or ignored */
	expect("train --data /tmp --seed 18446744073709551616", 2, "--seed '18446744073709551616'");
	expect("train --data /tmp --out ''", 2, "--out '': give a folder");
	/* reals the device cannot hold in float32 are refused before any work, naming the flag */
	expect("train --data /tmp --lr 1e39", 2, "--lr 1e+39: give a finite value");
	expect("train --data /tmp --amp-factor 1e39", 2, "--amp-factor 1e+39: give a finite value");
	expect("tune --level fast", 2, "--level 'fast': the valid values are quick and full");
	expect("tune --input 3x32", 2, "--input '3x32': give CxHxW");
	expect("tune --model resnet50", 2, "the valid values are resnet18, resnet34, vgg19 and FILE.onnx");
	expect("eval", 2, "--checkpoint");
	expect("eval --checkpoint /nonexistent.ampcl", 2, "/nonexistent.ampcl");
	expect("export --checkpoint /nonexistent.ampcl --out /tmp/x.safetensors", 2,
	       "/nonexistent.ampcl");
	tu_remove_tree(dir);
	return tu_finish();
}

/* dataset_cifar.c: CIFAR-10 in its binary form: data_batch_1..5.bin (train) and test_batch.bin,
 * 3073-byte records (label byte, then the 32x32 R, G and B planes), exactly as downloaded. */
#include "dataset_pixels.h"
#include "dataset_reader.h"
#include "alloc.h"
#include "error.h"
#include "files.h"
#include "paths.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RECORD 3073
#define IMAGE 3072

static const char *const train_files[] = {"data_batch_1.bin", "data_batch_2.bin",
					  "data_batch_3.bin", "data_batch_4.bin",
					  "data_batch_5.bin"};
static const char *const test_files[] = {"test_batch.bin"};

/* Reads `records` records of file into labels/pixels (images fitted to h x w), checking every
 * label. */
static ampcl_status read_records(const char *file, long records, int *labels, unsigned char *pixels,
				 int h, int w)
{
	size_t image = (size_t)3 * h * w;
	FILE *f;
	ampcl_status st = ampcl_input_open(file, "CIFAR-10 file", &f);
	if (st)
		return st;
	unsigned char rec[RECORD];
	for (long r = 0; r < records; r++) {
		if (fread(rec, 1, RECORD, f) != RECORD) {
			st = ampcl_error_set(AMPCL_ERR_BAD_FILE,
					     "CIFAR-10 file '%s' ends inside record %ld (it shrank "
					     "while being read?): download it again",
					     file, r);
			break;
		}
		if (rec[0] > 9) {
			st = ampcl_error_set(
			    AMPCL_ERR_BAD_FILE,
			    "CIFAR-10 file '%s' is corrupt: record %ld has label %d, "
			    "labels are 0..9 (is it the binary version, not the "
			    "Python or MATLAB one?)",
			    file, r, rec[0]);
			break;
		}
		labels[r] = rec[0];
		if (h == 32 && w == 32) {
			memcpy(pixels + (size_t)r * IMAGE, rec + 1, IMAGE);
			continue;
		}
		struct ampcl_image_view v = {rec + 1, 32, 32, 3, 1, 32, 1024};
		ampcl_dataset_fit(&v, pixels + (size_t)r * image, 3, w, h);
	}
	fclose(f);
	return st;
}

/* Where the CIFAR-10 batches of path are: path itself or path/cifar-10-batches-bin.
 * Returns 1 and writes dir when data_batch_1.bin is there, else 0. */
static int batches_dir(const char *path, char *dir, size_t size)
{
	char probe[4200];
	snprintf(probe, sizeof(probe), "%s/data_batch_1.bin", path);
	if (ampcl_path_is_file(probe)) {
		snprintf(dir, size, "%s", path);
		return 1;
	}
	snprintf(probe, sizeof(probe), "%s/cifar-10-batches-bin", path);
	if (ampcl_path_is_dir(probe)) {
		snprintf(dir, size, "%s", probe);
		return 1;
	}
	return 0;
}

int ampcl_dataset_cifar_detect(const char *path)
{
	char dir[4200];
	return batches_dir(path, dir, sizeof(dir));
}

ampcl_status ampcl_dataset_cifar_read(struct ampcl_dataset *ds, int train, int subset)
{
	char dir[4096], file[4200];
	const char *const *names = train ? train_files : test_files;
	int nfiles = train ? 5 : 1;
	long records[5], total = 0;

	if (!batches_dir(ds->path, dir, sizeof(dir)))
		snprintf(dir, sizeof(dir), "%s", ds->path); /* explicit kind: report the files */
	/* check every file of the split before reading any, so a broken download is named at once
	 */
	for (int i = 0; i < nfiles; i++) {
		int st = ampcl_path_join(file, sizeof(file), dir, names[i]);
		if (st)
			return st;
		struct stat sb;
		if (stat(file, &sb) != 0 || !S_ISREG(sb.st_mode))
			return ampcl_error_set(AMPCL_ERR_BAD_FILE,
					       "CIFAR-10 file '%s' is missing: the binary version "
					       "has data_batch_1..5.bin and test_batch.bin in one "
					       "folder (cifar-10-batches-bin)",
					       file);
		if (sb.st_size == 0 || sb.st_size % RECORD != 0)
			return ampcl_error_set(
			    AMPCL_ERR_BAD_FILE,
			    "CIFAR-10 file '%s' has %lld bytes, not a positive "
			    "multiple of the %d-byte record (label + 3072 pixels): "
			    "it is truncated or not the binary version; download it "
			    "again",
			    file, (long long)sb.st_size, RECORD);
		records[i] = (long)(sb.st_size / RECORD);
		total += records[i];
	}
	if (total > INT_MAX)
		return ampcl_error_set(AMPCL_ERR_BAD_FILE,
				       "CIFAR-10 files in '%s' hold %ld records, more than ampcl "
				       "indexes (%d)",
				       dir, total, INT_MAX);
	long keep = subset > 0 && subset < total ? subset : total;
	ds->labels = ampcl_xmalloc((size_t)keep * sizeof(int));
	size_t image = (size_t)3 * ds->height * ds->width;
	ds->pixels = ampcl_xmalloc((size_t)keep * image);
	long done = 0;
	for (int i = 0; i < nfiles && done < keep; i++) {
		long n = records[i] < keep - done ? records[i] : keep - done;
		ampcl_path_join(file, sizeof(file), dir, names[i]);
		int st =
		    read_records(file, n, ds->labels + done, ds->pixels + (size_t)done * image,
				 ds->height, ds->width);
		if (st)
			return st;
		done += n;
	}
	snprintf(ds->path, sizeof(ds->path), "%s", dir);
	ds->count = (int)keep;
	ds->channels = 3;
	ds->classes = 10;
	return AMPCL_OK;
}

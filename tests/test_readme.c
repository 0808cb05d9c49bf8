/* test_readme.c: the README's C example, taken from README.md as it stands, compiled against the
 * built library with every warning as an error, and run on a tiny CIFAR-10 folder of its name. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[] = "/tmp/ampcl-readme-XXXXXX";

/* The text between the README's "```c" line and the next "```" line into path. */
static int extract_example(const char *readme, const char *path)
{
	size_t n;
	char *text = tu_read_file(readme, &n);
	if (!text)
		return 0;
	char *start = strstr(text, "\n```c\n");
	char *end = start ? strstr(start + 6, "\n```\n") : NULL;
	FILE *f = end ? fopen(path, "w") : NULL;
	if (f) {
		fwrite(start + 6, 1, (size_t)(end - start - 5), f);
		fclose(f);
	}
	free(text);
	return f != NULL;
}

int main(void)
{
	const char *src = getenv("AMPCL_SOURCE_DIR"), *lib = getenv("AMPCL_LIB_DIR");
	if (!src || !lib || !mkdtemp(dir)) {
		printf("FAIL AMPCL_SOURCE_DIR and AMPCL_LIB_DIR are set by ctest\n");
		return 1;
	}
	char readme[4200], example[600], cmd[12000];
	snprintf(readme, sizeof(readme), "%s/README.md", src);
	snprintf(example, sizeof(example), "%s/train.c", dir);
	tu_check(extract_example(readme, example), "README.md holds a C example", "%s", readme);

	snprintf(cmd, sizeof(cmd),
		 "cc -std=c11 -Wall -Wextra -Werror -I'%s/include' '%s' -o '%s/train' -L'%s' "
		 "-lampcl -Wl,-rpath,'%s' 2>&1",
		 src, example, dir, lib, lib);
	tu_check(system(cmd) == 0, "the example compiles against ampcl.h without a warning", "%s",
		 cmd);

	/* the example reads "cifar-10-batches-bin" beside it */
	char data[600];
	snprintf(data, sizeof(data), "%s/cifar-10-batches-bin", dir);
	tu_write_tiny_cifar(data, 26, 16); /* 130 images: one batch of the default 128 */
	snprintf(cmd, sizeof(cmd), "cd '%s' && ./train 2>&1", dir);
	tu_check(system(cmd) == 0, "the example trains and exits 0", "%s", cmd);
	tu_remove_tree(dir);
	return tu_finish();
}

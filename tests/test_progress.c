/* test_progress.c: `ampcl train` on a 60-column pseudo-terminal: the live line fits, shows the test
 * evaluation and the summary's epoch numbering; the program, not the library, draws curves.png. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[] = "/tmp/ampcl-progress-XXXXXX";

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	char data[512], out[512], log[600];
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(out, sizeof(out), "%s/run", dir);
	snprintf(log, sizeof(log), "%s/stdout.txt", dir);
	tu_write_tiny_cifar(data, 16, 40);
	static char screen[1 << 20];
	char *const argv[] = {"train",  "--data",  data,     "--model", "resnet18", "--width", "2",
			      "--batch", "8",      "--epochs", "2",      "--out",    out,    NULL};
	int status = tu_run_on_terminal(60, 2, log, argv, screen, sizeof(screen));
	if (status == -1 && !screen[0]) {
		printf("note: no pseudo-terminal here; nothing to check\n");
		return tu_finish();
	}
	tu_check(status == 0, "train on a terminal", "status %d", status);

	/* every state of the line: the text between carriage returns, without "ESC[K"; messages
	 * ("ampcl train: note: ..." when this device has no verify mark yet, which depends on
	 * which tests ran before) are whole lines of their own, not states of the live line */
	int widest = 0, testing = 0, epoch_live = 0, lines = 0;
	for (char *seg = strtok(screen, "\r\n"); seg; seg = strtok(NULL, "\r\n")) {
		if (!strncmp(seg, "ampcl train: ", 13))
			continue;
		char *k;
		while ((k = strstr(seg, "\033[K")))
			memmove(k, k + 3, strlen(k + 3) + 1);
		int w = (int)strlen(seg);
		widest = w > widest ? w : widest;
		testing |= strstr(seg, "testing ") != NULL;
		epoch_live |= strstr(seg, "epoch 1 (2/2)") != NULL;
		lines += w > 0;
	}
	tu_check(lines > 4 && widest < 60, "the live line fits 60 columns",
		 "%d states, widest %d characters", lines, widest);
	tu_check(testing, "the test evaluation shows on the live line", "%d states", lines);
	FILE *f = fopen(log, "r");
	char text[8192] = "";
	size_t got = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
	text[got] = 0;
	if (f)
		fclose(f);
	tu_check(epoch_live && strstr(text, "epoch 1 (2/2): lr"),
		 "one epoch numbering, live and in the summary", "%s", text);
	char first[700];
	snprintf(first, sizeof(first),
		 "resnet18 width 2, 11420 parameters, batch 8, 2 epochs, data %s\n", data);
	tu_check(strstr(text, first) != NULL, "the first line names the run's settings", "%s",
		 text);
	/* the program draws curves.png from the run's history after every epoch */
	snprintf(log, sizeof(log), "%s/curves.png", out);
	f = fopen(log, "rb");
	unsigned char sig[8] = {0};
	size_t sn = f ? fread(sig, 1, 8, f) : 0;
	if (f)
		fclose(f);
	tu_check(sn == 8 && !memcmp(sig, "\x89PNG\r\n\x1a\n", 8), "the program draws curves.png",
		 "%s", log);
	tu_remove_tree(dir);
	return tu_finish();
}

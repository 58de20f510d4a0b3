/* memhog: "idle" sleeps (a user process with a real mm); "eat" touches memory
 * until the OOM killer has to act (the lab's OOM scenario). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "eat") != 0) {
		char *keep = malloc(1 << 20);

		memset(keep, 1, 1 << 20);
		for (;;)
			pause();
	}
	for (;;) {
		char *p = malloc(1 << 20);

		if (p)
			memset(p, 0x5a, 1 << 20);
	}
}

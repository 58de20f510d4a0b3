/* The running machine's files under a movable root (hostfs.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/hostfs.h"

const char *hostfs_root(const char *override)
{
	const char *env;

	if (override)
		return override;
	env = getenv("KDUMPKIT_ROOT");
	return env ? env : "";
}

void hostfs_path(const char *root, const char *path, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", root, path);
}

bool hostfs_read_line(const char *root, const char *path, char *buf,
		      size_t size)
{
	char full[1024];
	FILE *f;
	bool ok;

	hostfs_path(root, path, full, sizeof(full));
	f = fopen(full, "r");
	if (!f)
		return false;
	ok = fgets(buf, (int)size, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

bool hostfs_read_i64(const char *root, const char *path, int64_t *v)
{
	char line[64], *end;

	if (!hostfs_read_line(root, path, line, sizeof(line)))
		return false;
	*v = strtoll(line, &end, 10);
	return end != line;
}

bool hostfs_meminfo(const char *root, const char *field, uint64_t *bytes)
{
	char full[1024], line[256];
	size_t n = strlen(field);
	FILE *f;
	bool found = false;

	hostfs_path(root, "/proc/meminfo", full, sizeof(full));
	f = fopen(full, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long kb;

		if (strncmp(line, field, n) == 0 && line[n] == ':' &&
		    sscanf(line + n + 1, "%llu", &kb) == 1) {
			*bytes = kb * 1024;
			found = true;
		}
	}
	fclose(f);
	return found;
}

bool hostfs_iomem(const char *root, const char *name, uint64_t *start,
		  uint64_t *bytes)
{
	char full[1024], line[256];
	FILE *f;
	bool found = false;

	hostfs_path(root, "/proc/iomem", full, sizeof(full));
	f = fopen(full, "r");
	if (!f)
		return false;
	*bytes = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		int at = 0;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, " %llx-%llx : %n", &lo, &hi, &at) != 2 || !at ||
		    strcmp(line + at, name) != 0 || hi < lo || hi == 0)
			continue;
		if (!found)
			*start = lo;
		found = true;
		*bytes += hi - lo + 1;
	}
	fclose(f);
	return found;
}

/* /proc/kcore: recognizing it, and saying why it cannot be opened. */
#include "dump/kcore.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>

#define NT_PRPSINFO_TYPE	3
#define NT_TASKSTRUCT_TYPE	4
/* struct elf_prpsinfo of a 64-bit kernel: four chars, pr_flag (long),
 * uid, gid, pid, ppid, pgrp, sid (ints), then pr_fname[16]. */
#define PRPSINFO_FNAME		40
#define PRPSINFO_FNAME_LEN	16
#define LOCKDOWN_FILE		"/sys/kernel/security/lockdown"

bool kcore_notes_match(const struct dump_notes *notes)
{
	const struct dump_note *ps, *task;

	ps = dump_notes_find(notes, "CORE", NT_PRPSINFO_TYPE);
	task = dump_notes_find(notes, "CORE", NT_TASKSTRUCT_TYPE);
	if (!ps || !task ||
	    ps->descsz < PRPSINFO_FNAME + PRPSINFO_FNAME_LEN)
		return false;
	return strncmp((const char *)ps->desc + PRPSINFO_FNAME, "vmlinux",
		       PRPSINFO_FNAME_LEN) == 0;
}

struct kdk_error *kcore_check_segments(const Elf64_Phdr *ph, uint64_t n)
{
	uint64_t loads = 0;

	for (uint64_t i = 0; i < n; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		loads++;
		if (ph[i].p_paddr && ph[i].p_paddr != KCORE_NO_PADDR)
			return NULL;
	}
	return kdk_error(KDK_ERR_FORMAT, "/proc/kcore of a kernel that gives "
			 "no physical addresses (%llu segments, none with a "
			 "p_paddr: Linux before 4.11?)",
			 (unsigned long long)loads);
}

/* Does the lockdown LSM say confidentiality? (securityfs may not be
 * mounted: then it cannot say.) */
static bool locked_down(void)
{
	char buf[128] = "";
	FILE *f = fopen(LOCKDOWN_FILE, "r");

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strstr(buf, "[confidentiality]") != NULL;
}

static const char *why_refused(int errnum)
{
	if (errnum == EACCES)
		return "reading the running kernel's memory needs root";
	if (locked_down())
		return "the kernel is locked down: lockdown=confidentiality "
		       "forbids reading its memory, even to root";
	return "reading the running kernel's memory needs root with "
	       "CAP_SYS_RAWIO, and no lockdown=confidentiality";
}

struct kdk_error *kcore_open_error(const char *path, int errnum)
{
	struct kdk_error *err;
	struct statfs fs;

	if ((errnum == EACCES || errnum == EPERM) && statfs(path, &fs) == 0 &&
	    fs.f_type == KCORE_PROC_SUPER_MAGIC)
		err = kdk_error(KDK_ERR_IO, "cannot open: %s (%s)",
				strerror(errnum), why_refused(errnum));
	else
		err = kdk_error(KDK_ERR_IO, "cannot open: %s", strerror(errnum));
	if (err->code == KDK_ERR_IO)
		err->sys_errno = errnum;
	return err;
}

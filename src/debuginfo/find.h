/* The vmlinux of a dump, found without being named: the places Debian's
 * -dbg packages and distributions' debuginfo install it, then a
 * debuginfod server.
 *
 * A candidate is taken only when it is the dump's kernel: its build-id
 * equals VMCOREINFO's BUILD-ID. Kernels before 5.18 write no BUILD-ID;
 * their vmlinux is not guessed from the release name (a rebuilt kernel of
 * the same release would give wrong symbols silently): name it.
 */
#ifndef KDK_DEBUGINFO_FIND_H
#define KDK_DEBUGINFO_FIND_H

#include <stdio.h>

#include "base/error.h"
#include "dump/dump.h"

/* Where to look, colon-separated roots in the layout of /usr/lib/debug
 * (boot/vmlinux-RELEASE, lib/modules/RELEASE/vmlinux, .build-id/xx/
 * rest.debug). Empty: look nowhere on disk. */
#define DEBUGINFO_DIRS_ENV	"KDUMPKIT_DEBUGINFO_DIRS"
#define DEBUGINFO_DIRS_DEFAULT	"/usr/lib/debug"

/*
 * Find d's vmlinux. On success *path (malloc'd) names it and *how (malloc'd)
 * says how it was found ("build-id 3b43... in /usr/lib/debug",
 * "debuginfod"). KDK_ERR_NOT_FOUND, saying where it looked, when no
 * place had it; progress of a debuginfod download goes to progress
 * (may be NULL) when it is a terminal.
 */
struct kdk_error *debuginfo_find_vmlinux(struct dump *d, FILE *progress,
					 char **path, char **how);

#endif

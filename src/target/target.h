/* The kernel virtual memory of one dump: a dump plus its architecture.
 *
 * Reads of kernel virtual addresses follow the kernel page tables (what
 * the kernel could read, not what a linear formula says), through a cache
 * of translations. Errors name the address and why it cannot be read:
 *   reading 0xffffc90000123000: PMD entry not present
 *   reading 0xffff888001234000: physical address 0x1234000: excluded from
 *   the dump (dump level 31)
 */
#ifndef KDK_TARGET_TARGET_H
#define KDK_TARGET_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"
#include "base/error.h"
#include "dump/dump.h"

struct target;

/* The target borrows d, which must outlive it. */
struct kdk_error *target_open(struct dump *d, struct target **out);
void target_close(struct target *t);

struct dump *target_dump(const struct target *t);
const char *target_arch_name(const struct target *t);

/* Read len bytes of kernel virtual memory, across pages. */
struct kdk_error *target_read_kvaddr(struct target *t, uint64_t vaddr,
				     void *buf, size_t len);

/* Translate through the kernel page tables, level by level (always a
 * walk, never the cache, so `vtop` can show each entry). On error, out
 * still holds the levels walked. */
struct kdk_error *target_vtop(struct target *t, uint64_t vaddr,
			      struct arch_vtop *out);

/* User virtual memory: the address space whose top page table is at the
 * physical address root (a task's mm->pgd, translated). Every read walks
 * the tables (user translations are not cached: each task has its own),
 * and a page the dump left out (dump level 31 drops user pages) is an
 * error that says so, never zeroes. */
struct kdk_error *target_read_uvaddr(struct target *t, uint64_t root,
				     uint64_t vaddr, void *buf, size_t len);
struct kdk_error *target_uvtop(struct target *t, uint64_t root,
			       uint64_t vaddr, struct arch_vtop *out);

/* Is vaddr a user address, a kernel one or neither, for this arch? */
enum arch_addr_kind target_addr_kind(const struct target *t, uint64_t vaddr);

/* Translate as reads do (through the cache). */
struct kdk_error *target_kvaddr_to_paddr(struct target *t, uint64_t vaddr,
					 uint64_t *paddr);

/* The direct-map address of a physical address. */
struct kdk_error *target_ptov(struct target *t, uint64_t paddr,
			      uint64_t *vaddr);

/* Once kernel symbols are known, let the arch learn the region bases
 * only they say (x86_64: page_offset_base, vmalloc_base, ...). */
struct kdk_error *target_use_symbols(struct target *t, arch_symbol_fn *fn,
				     void *arg);

void target_layout(const struct target *t, struct arch_layout *out);

/* Forget the translations and page-table pages read so far: a running
 * kernel (/proc/kcore) maps and unmaps vmalloc memory (stacks, modules)
 * between one command and the next. */
void target_forget(struct target *t);

/* Translations found in the cache and walked. */
void target_tlb_stats(const struct target *t, uint64_t *hits,
		      uint64_t *misses);

#endif

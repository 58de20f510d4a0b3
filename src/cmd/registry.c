/* Every command of the session. A new command is one file in src/cmd/
 * defining `const struct command cmd_NAME_def`, plus its line in commands.h
 * and in the list below (name order: help lists them as they are here). */
#include <string.h>

#include "cmd/commands.h"


static const struct command *const commands[] = {
	&cmd_alias_def,
	&cmd_bt_def,
	&cmd_dis_def,
	&cmd_eval_def,
	&cmd_exit_def,
	&cmd_files_def,
	&cmd_foreach_def,
	&cmd_help_def,
	&cmd_list_def,
	&cmd_log_def,
	&cmd_mach_def,
	&cmd_mod_def,
	&cmd_p_def,
	&cmd_pd_def,
	&cmd_ps_def,
	&cmd_ptov_def,
	&cmd_ptype_def,
	&cmd_px_def,
	&cmd_q_def,
	&cmd_rd_def,
	&cmd_runq_def,
	&cmd_set_def,
	&cmd_sig_def,
	&cmd_struct_def,
	&cmd_sym_def,
	&cmd_sys_def,
	&cmd_task_def,
	&cmd_tree_def,
	&cmd_union_def,
	&cmd_vm_def,
	&cmd_vtop_def,
	&cmd_whatis_def,
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

size_t command_count(void)
{
	return N_COMMANDS;
}

const struct command *command_get(size_t i)
{
	return i < N_COMMANDS ? commands[i] : NULL;
}

const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

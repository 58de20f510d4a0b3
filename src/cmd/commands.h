/* Every command's definition, one per file of src/cmd/ (name order). */
#ifndef KDK_CMD_COMMANDS_H
#define KDK_CMD_COMMANDS_H

#include "cmd/command.h"

extern const struct command cmd_alias_def;
extern const struct command cmd_bt_def;
extern const struct command cmd_dis_def;
extern const struct command cmd_eval_def;
extern const struct command cmd_exit_def;
extern const struct command cmd_files_def;
extern const struct command cmd_foreach_def;
extern const struct command cmd_help_def;
extern const struct command cmd_list_def;
extern const struct command cmd_log_def;
extern const struct command cmd_mach_def;
extern const struct command cmd_mod_def;
extern const struct command cmd_p_def;
extern const struct command cmd_pd_def;
extern const struct command cmd_ps_def;
extern const struct command cmd_ptov_def;
extern const struct command cmd_ptype_def;
extern const struct command cmd_px_def;
extern const struct command cmd_q_def;
extern const struct command cmd_rd_def;
extern const struct command cmd_runq_def;
extern const struct command cmd_set_def;
extern const struct command cmd_sig_def;
extern const struct command cmd_struct_def;
extern const struct command cmd_sym_def;
extern const struct command cmd_sys_def;
extern const struct command cmd_task_def;
extern const struct command cmd_tree_def;
extern const struct command cmd_union_def;
extern const struct command cmd_vm_def;
extern const struct command cmd_vtop_def;
extern const struct command cmd_whatis_def;

#endif

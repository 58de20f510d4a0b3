/* Entry points of the subcommands, for the table in main.c. Each gets
 * argv[0] = its own name and returns the exit status. */
#ifndef KDK_SUBCOMMANDS_H
#define KDK_SUBCOMMANDS_H

int subcmd_info(int argc, char **argv);
int subcmd_analyze(int argc, char **argv);
int subcmd_makedump(int argc, char **argv);
int subcmd_status(int argc, char **argv);
int subcmd_estimate(int argc, char **argv);
int subcmd_save(int argc, char **argv);
int subcmd_load(int argc, char **argv);
int subcmd_unload(int argc, char **argv);
int subcmd_initramfs(int argc, char **argv);

#endif

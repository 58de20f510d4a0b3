#include "subcommands.h"
int subcmd_load(int argc, char **argv) { (void)argc; (void)argv; return 1; }
int subcmd_unload(int argc, char **argv) { (void)argc; (void)argv; return 1; }

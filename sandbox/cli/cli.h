/* cli.h — what the commands of the `stacklab` program share. */
#ifndef STACKLAB_CLI_H
#define STACKLAB_CLI_H

#include <jansson.h>
#include <sys/socket.h>
#include <stdbool.h>

#include "node.h"

/* Exit codes: 0 done, 1 failed, 2 bad usage or input. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_request(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_fail(int argc, char **argv);
int cmd_heal(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_dns(int argc, char **argv);
int cmd_traffic(int argc, char **argv);
int cmd_tui(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_incidents(int argc, char **argv);
int cmd_lesson(int argc, char **argv);
int cmd_challenge(int argc, char **argv);
int cmd_allow(int argc, char **argv);

/* May this user bring labs up? Root may; an ordinary user may if the
 * machine gives them what a lab in their own user namespace needs
 * (userns_check_own). Says why not and returns false. */
bool cli_may_run_labs(const char *cmd);

/* Is `lab` the caller's own (root owns every lab)? Entering its nodes
 * takes that; watching and changing it are the lab daemon's to allow. */
bool cli_owns(const char *lab);

/* Every lab up on the machine, as USER/NAME for users' labs (root's list
 * --all). */
char **cli_labs_all(void);

/* The lab a command acts on: `given` if set (checked), else $STACKLAB_LAB,
 * else the only lab that is up. Prints why not and returns NULL. */
char *cli_pick_lab(const char *cmd, const char *given);

/* Subscribe to lab `lab`'s events of `filter` ("" for all): the socket,
 * or -1 after saying why. */
int cli_subscribe(const char *cmd, const char *lab, const char *filter);
/* Read the events of a subscription, calling fn with each (parsed, and its
 * line as sent) until fn returns false or the lab goes away (said on
 * stderr). Returns an exit code. */
int cli_follow(const char *cmd, const char *lab, int fd, bool (*fn)(json_t *ev, const char *line, void *ctx), void *ctx);

/* `word` (a state: up, crashed, UP, DOWN, MASTER, running…) padded to
 * `width`, coloured by what it means when stdout is a terminal that has
 * colour and NO_COLOR is not set; plain otherwise. Into buf. */
const char *cli_paint(char *buf, size_t size, const char *word, int width);

/* Ask lab `lab` for `cmd` and return the reply if it says ok; otherwise print
 * "stacklab CMD: …" and return NULL. */
json_t *cli_request(const char *cmd, const char *lab, json_t *req);
/* cli_request, and who answered as the kernel tells it. */
json_t *cli_request_peer(const char *cmd, const char *lab, json_t *req, struct ucred *peer);

/* The lab's status (see `status --json`), or NULL after printing why. */
json_t *cli_status(const char *cmd, const char *lab);

/* The node called `name` in a status answer (borrowed from `st`), or NULL
 * after printing "stacklab CMD: no node 'NAME' in lab LAB (nodes: …)". */
json_t *cli_node(const char *cmd, const char *lab, json_t *st, const char *name);

/* The way into a node of a lab, from its status: node `node`, or (node
 * NULL) the lab's first node of role `role`. Returns 0, or -1 after printing
 * why not (no such node, not up). `door.lab` points at `lab`. */
struct cli_door {
	struct node_door door;
	char node[32];
	char domain[128];           /* the lab's domain */
	char scheme[8];             /* how the site is reached: https or http */
};
int cli_door(const char *cmd, const char *lab, const char *node, const char *role, struct cli_door *out);


/* Names of the labs that are up (a NULL-terminated malloc'd array). */
char **cli_labs_up(void);
void cli_labs_free(char **labs);

#endif

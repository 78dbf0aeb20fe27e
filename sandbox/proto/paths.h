/* paths.h — whose labs these are and where they live, for the lab
 * daemon and its clients alike. */
#ifndef STACKLAB_PATHS_H
#define STACKLAB_PATHS_H

#include <stdbool.h>
#include <sys/types.h>

/* Root's labs are the machine's; an ordinary user's labs are their own,
 * run by a daemon in a user namespace of theirs (userns_enter_own). */
#define SYSTEM_RUN_DIR "/run/stacklab"

/* Decide, from the real uid, whose labs these are, and where they live.
 * main() calls it first: a rootless daemon is uid 0 once in its user
 * namespace, and must still find the user's directories. */
void paths_init(void);

/* Is this an ordinary user's stacklab (not root's)? */
bool rootless(void);

/* A user's `up` makes a user namespace of theirs and runs again in it,
 * telling itself whose it is in this variable (userns_enter_own). */
#define USERNS_OF_ENV "STACKLAB_USERNS_OF"

/* Is this the `up` of a user, running in the user namespace it made? */
bool in_own_userns(void);

/* Whose labs these are: the real uid, or (in_own_userns) the user's. */
uid_t lab_user(void);

/* Where the labs that are up keep their sockets, locks and logs: root's in
 * /run/stacklab, a user's in $XDG_RUNTIME_DIR/stacklab (else
 * /run/user/UID/stacklab). */
const char *run_dir(void);

/* Where stacklab keeps what outlives a lab (the CA, the database template):
 * $STACKLAB_CACHE, else /var/lib/stacklab for root and
 * $XDG_CACHE_HOME/stacklab or ~/.cache/stacklab for a user. */
const char *cache_dir(void);

#endif

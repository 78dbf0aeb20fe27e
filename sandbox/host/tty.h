/* tty.h — keeping the user's terminal out of a node. A process in a node
 * that held the teacher's terminal could push keys into the teacher's shell
 * (TIOCSTI, bubblewrap's CVE-2017-5226) or read what is typed after it
 * should have ended. So `exec` gives the node a terminal of its own: a
 * pty of the node's own devpts when the user works interactively (so `tty`
 * names it inside), pipes for any other stdio that is a terminal, and
 * relays between them and the real one. */
#ifndef STACKLAB_TTY_H
#define STACKLAB_TTY_H

#include <stdbool.h>
#include <sys/types.h>

struct tty_relay {
	bool pty;              /* interactive: stdin and stdout are a terminal, and we are its foreground */
	bool null_in;          /* stdin is a terminal we are in the background of: the command reads nothing */
	int null_fd;           /* then: the host's /dev/null (a node's could be anything) */
	int master;            /* the pty's master, when pty (from the command) */
	int channel[2];        /* the command sends the master over it */
	int pipe_in[2], pipe_out[2], pipe_err[2];   /* else, for whichever stdio is a terminal */
};

/* Before forking the command: look at stdin, stdout and stderr, and make
 * what stands in for those that are terminals. Returns 0 or -errno. */
int tty_relay_open(struct tty_relay *t);

/* In the command, before exec: its own session, and the stand-ins as its
 * stdio (the pty as its controlling terminal). */
void tty_relay_child(struct tty_relay *t);

/* In the caller: pass input and output between the user's terminal and the
 * stand-ins until `child` exits (the user's terminal raw meanwhile, and
 * restored after, also on SIGTERM and SIGHUP; window size passed on).
 * Returns the child's wait status, or -errno. */
int tty_relay_run(struct tty_relay *t, pid_t child);

#endif

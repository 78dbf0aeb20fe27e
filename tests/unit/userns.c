/* Unit tests of what a user's lab depends on before it exists: the kernel
 * settings that forbid it (named in its refusal), the user's subordinate
 * range, and lab names with a user in them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "tap.h"
#include "userns.h"
#include "paths.h"
#include "util.h"

static void forbidden(const char *max, const char *clone, const char *apparmor, const char *want, const char *what)
{
	const char *got = userns_why_forbidden(max, clone, apparmor);
	if (!ok(want ? got && strstr(got, want) : got == NULL, "%s", what))
		diag("got %s", got ? got : "NULL");
}

static void range(const char *text, const char *name, unsigned id, long want, const char *what)
{
	char path[] = "/tmp/stacklab-subuid.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		ok(0, "%s (no temp file)", what);
		return;
	}
	close(fd);
	unsigned long start = 0;
	bool found = userns_sub_range(path, name, id, &start);
	unlink(path);
	if (!ok(want < 0 ? !found : found && start == (unsigned long)want, "%s", what))
		diag("found %d, start %lu", found, start);
}

static void ref(const char *r, int want)
{
	ok(ctl_lab_ref_ok(r) == want, "'%s' is %sa lab's name", r, want ? "" : "not ");
}

int main(void)
{
	forbidden("96364\n", NULL, NULL, NULL, "a kernel that allows user namespaces: no refusal");
	forbidden("96364\n", "1\n", "0\n", NULL, "Debian's and AppArmor's switches on the allowing side: no refusal");
	forbidden("0\n", NULL, NULL, "user.max_user_namespaces is 0", "max_user_namespaces 0 is named");
	forbidden("15000\n", "0\n", NULL, "kernel.unprivileged_userns_clone is 0", "Debian's unprivileged_userns_clone 0 is named");
	forbidden("15000\n", "1\n", "1\n", "kernel.apparmor_restrict_unprivileged_userns is 1",
		  "Ubuntu 24.04's AppArmor restriction is named");
	forbidden("15000\n", "1\n", "1\n", "sudo make setup-users", "and how root lifts it");

	range("alice:100000:65536\nbob:165536:65536\n", "bob", 1002, 165536, "bob's range, by name");
	range("1001:231072:65536\n", "carol", 1001, 231072, "a range given by uid");
	range("1001x:231072:65536\n", "carol", 1001, -1, "'1001x' is not uid 1001");
	range("alice:100000:1000\nalice:300000:70000\n", "alice", 1000, 300000, "a range too small for a node is passed over");
	range("alice:100000:65536\n", "alic", 1000, -1, "no range for a name that is only a prefix");
	range("", "alice", 1000, -1, "none in an empty file");
	range("garbage\n:::\nalice:x:y\n", "alice", 1000, -1, "malformed lines give nothing");

	ref("scale-up", 1);
	ref("alice/scale-up", 1);
	ref("sl-class-01/class", 1);
	ref("alice/", 0);
	ref("/scale-up", 0);
	ref("alice/../x", 0);
	ref("Alice/scale-up", 0);
	ref("alice/bob/scale-up", 0);
	ref("a-very-long-user-name-of-more-than-32/x", 0);

	paths_init();
	char *root_lab = ctl_lab_dir("root/scale-up");
	is_str(root_lab, "/run/stacklab/scale-up", "root/NAME is root's lab");
	free(root_lab);
	char *nobody = ctl_lab_dir("no-such-user-here/scale-up");
	ok(strncmp(nobody, "/nonexistent/", 13) == 0, "a lab of a user who does not exist is nowhere (%s)", nobody);
	free(nobody);
	return done_testing();
}

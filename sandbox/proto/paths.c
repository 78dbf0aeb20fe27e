/* paths.c — whose labs these are and where they live (see paths.h). */
#include "paths.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* Decided once, before a rootless daemon enters its user namespace (where
 * it is uid 0 but still the user's): main() calls paths_init() first. */
static struct {
	bool known, rootless, in_own_ns;
	uid_t user;
	char run[PATH_MAX], cache[PATH_MAX];
} paths;

/* Is this process in a user namespace other than the host's? */
static bool in_child_userns(void)
{
	_cleanup_free_ char *map = read_file("/proc/self/uid_map", NULL);
	unsigned long inside, outside, count;
	return map && !(sscanf(map, "%lu %lu %lu", &inside, &outside, &count) == 3 && outside == 0 &&
			count == 4294967295ul);
}

void paths_init(void)
{
	if (paths.known)
		return;
	paths.known = true;
	paths.user = getuid();
	paths.rootless = paths.user != 0;
	/* A user's `up`, run again inside the user namespace it made: uid 0
	 * there, the user's all the same. */
	const char *of = getenv(USERNS_OF_ENV);
	if (of && paths.user == 0 && in_child_userns()) {
		paths.user = (uid_t)strtoul(of, NULL, 10);
		paths.rootless = paths.in_own_ns = true;
	}
	/* Kept: what runs itself again in the namespace (the TUI's lesson
	 * pane) must know whose it is too. It says nothing outside one. */
	if (!paths.rootless) {
		str_copy(paths.run, sizeof(paths.run), SYSTEM_RUN_DIR);
	} else {
		/* $XDG_RUNTIME_DIR, as rootless Podman; where a login made
		 * none (su, runuser), the one systemd would make. */
		const char *xdg = getenv("XDG_RUNTIME_DIR");
		if (xdg && *xdg == '/')
			snprintf(paths.run, sizeof(paths.run), "%s/stacklab", xdg);
		else
			snprintf(paths.run, sizeof(paths.run), "/run/user/%u/stacklab", (unsigned)paths.user);
	}
	const char *env = getenv("STACKLAB_CACHE"), *xdg_cache = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	if (env && *env == '/')
		str_copy(paths.cache, sizeof(paths.cache), env);
	else if (!paths.rootless)
		str_copy(paths.cache, sizeof(paths.cache), "/var/lib/stacklab");
	else if (xdg_cache && *xdg_cache == '/')
		snprintf(paths.cache, sizeof(paths.cache), "%s/stacklab", xdg_cache);
	else {
		struct passwd *pw = home && *home == '/' ? NULL : getpwuid(paths.user);
		snprintf(paths.cache, sizeof(paths.cache), "%s/.cache/stacklab", pw ? pw->pw_dir : home ? home : "/");
	}
}

bool rootless(void)
{
	paths_init();
	return paths.rootless;
}

bool in_own_userns(void)
{
	paths_init();
	return paths.in_own_ns;
}

uid_t lab_user(void)
{
	paths_init();
	return paths.user;
}

const char *run_dir(void)
{
	paths_init();
	return paths.run;
}

const char *cache_dir(void)
{
	paths_init();
	return paths.cache;
}

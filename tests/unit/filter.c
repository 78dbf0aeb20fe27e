/* Probes of the node seccomp filter, in the bubblewrap style: each call the
 * filter refuses is tried in a child under filter_install() and its errno
 * asserted, and tried in a control child without the filter, to show the
 * refusal is the filter's and not a missing privilege. Run as root, the
 * controls reach the kernel: either they succeed harmlessly, or the
 * arguments are chosen to fail there with another errno (a bad fd, a path
 * that does not exist, a reboot without its magic). Calls the daemons
 * need are tried too, and must still work. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/io_uring.h>
#include <linux/kcmp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/quota.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "filter.h"
#include "tap.h"
#include "util.h"

extern char **environ;

#define NOWHERE "/nonexistent/stacklab-probe"
#define DIED LONG_MIN

/* A probe makes one call and returns its result, or -errno. */
typedef long probe_fn(long arg);

static long rc(long r) { return r < 0 ? -errno : r; }

/* The child a clone-like call made leaves at once; the caller reaps it. */
static long reaped(long pid)
{
	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return -errno;
	waitpid((pid_t)pid, NULL, 0);
	return 0;
}

#define PROBE(name, call)                   \
	static long name(long arg)          \
	{                                   \
		(void)arg;                  \
		return rc(call);            \
	}

/* the kernel and the machine: all fail before doing anything */
PROBE(p_init_module, syscall(SYS_init_module, NULL, 0, ""))             /* ENOEXEC: no image */
PROBE(p_finit_module, syscall(SYS_finit_module, -1, "", 0))            /* EBADF */
PROBE(p_delete_module, syscall(SYS_delete_module, "stacklab_none", O_NONBLOCK)) /* ENOENT */
PROBE(p_kexec_load, syscall(SYS_kexec_load, 0, 1000000, NULL, 0xdead0000ul)) /* EINVAL: flags */
PROBE(p_kexec_file_load, syscall(SYS_kexec_file_load, -1, -1, 0, NULL, 0xdead0000ul))
PROBE(p_reboot, syscall(SYS_reboot, 0, 0, 0, NULL))                    /* EINVAL: no magic */
PROBE(p_swapon, swapon(NOWHERE, 0))
PROBE(p_swapoff, swapoff(NOWHERE))
PROBE(p_acct, acct(NOWHERE))  /* acct(NULL) would turn accounting off */
PROBE(p_quotactl, quotactl(0, NULL, 0, NULL))
PROBE(p_syslog, klogctl(10, NULL, 0))                                   /* the buffer's size */
PROBE(p_settimeofday, syscall(SYS_settimeofday, &(struct timeval){ 0, 2000000 }, NULL))
PROBE(p_clock_settime, syscall(SYS_clock_settime, 999, &(struct timespec){ 0, 2000000000 }))
PROBE(p_clock_adjtime, syscall(SYS_clock_adjtime, 999, &(struct timex){ .modes = 0 }))
PROBE(p_adjtimex, syscall(SYS_adjtimex, &(struct timex){ .modes = 0 }))  /* reads only */
/* kernel interfaces */
PROBE(p_keyctl, syscall(SYS_keyctl, 9999, 0, 0, 0, 0))                  /* EOPNOTSUPP */
PROBE(p_add_key, syscall(SYS_add_key, "user", "stacklab", "", 0, 0))    /* EINVAL: keyring 0 */
PROBE(p_request_key, syscall(SYS_request_key, "user", "stacklab", NULL, 0)) /* ENOKEY */
PROBE(p_bpf, syscall(SYS_bpf, -1, NULL, 0))
PROBE(p_perf_event_open, syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0))
PROBE(p_userfaultfd, syscall(SYS_userfaultfd, O_CLOEXEC))
PROBE(p_io_uring_setup, syscall(SYS_io_uring_setup, 1, &(struct io_uring_params){ 0 }))
PROBE(p_io_uring_enter, syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0))
PROBE(p_io_uring_register, syscall(SYS_io_uring_register, -1, 0, NULL, 0))
/* other processes: ourselves, which the kernel allows */
PROBE(p_ptrace, syscall(SYS_ptrace, PTRACE_GETREGS, getpid(), NULL, NULL)) /* ESRCH: not traced */
PROBE(p_process_vm_readv, syscall(SYS_process_vm_readv, getpid(), NULL, 0, NULL, 0, 0))
PROBE(p_process_vm_writev, syscall(SYS_process_vm_writev, getpid(), NULL, 0, NULL, 0, 0))
/* namespaces */
PROBE(p_unshare, unshare((int)arg))
/* mounts */
PROBE(p_mount, mount("none", NOWHERE, "tmpfs", 0, NULL))
PROBE(p_umount2, umount2(NOWHERE, 0))
PROBE(p_pivot_root, syscall(SYS_pivot_root, NOWHERE, NOWHERE))
PROBE(p_move_mount, syscall(SYS_move_mount, -1, NOWHERE, -1, NOWHERE, 0))
PROBE(p_open_tree, syscall(SYS_open_tree, -1, NOWHERE, 0))
PROBE(p_fsopen, syscall(SYS_fsopen, NULL, 0))                           /* EFAULT */
PROBE(p_fsconfig, syscall(SYS_fsconfig, -1, 0, NULL, NULL, 0))
PROBE(p_fsmount, syscall(SYS_fsmount, -1, 0, 0))
PROBE(p_fspick, syscall(SYS_fspick, -1, NOWHERE, 0))
PROBE(p_mount_setattr, syscall(SYS_mount_setattr, -1, NOWHERE, 0, NULL, 0))
PROBE(p_chroot, chroot(NOWHERE))
/* raw, so that glibc passes all 64 bits */
PROBE(p_personality, syscall(SYS_personality, (unsigned long)arg))

static long p_clone(long flags)
{
#if defined(__s390__) || defined(__s390x__)
	return reaped(syscall(SYS_clone, NULL, flags | SIGCHLD, NULL, NULL, 0));
#else
	return reaped(syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0));
#endif
}

static long p_clone3(long flags)
{
	struct { /* struct clone_args, CLONE_ARGS_SIZE_VER0 */
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	} args = { .flags = (uint64_t)flags, .exit_signal = SIGCHLD };
	return reaped(syscall(SYS_clone3, &args, sizeof(args)));
}

static long p_fork(long arg)
{
	(void)arg;
	return reaped(fork());
}

static void *nothing(void *x) { return x; }

/* glibc makes threads with clone3 and falls back to clone on ENOSYS. */
static long p_thread(long arg)
{
	(void)arg;
	pthread_t t;
	int e = pthread_create(&t, NULL, nothing, NULL);
	if (e)
		return -e;
	pthread_join(t, NULL);
	return 0;
}

/* posix_spawn (popen, system) also tries clone3 first. */
static long p_spawn(long arg)
{
	(void)arg;
	pid_t pid;
	char *argv[] = { "/bin/true", NULL };
	int e = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
	if (e)
		return -e;
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

/* Into our own network namespace: allowed to root, and a real fd, so that
 * a refusal is not EBADF. */
static long p_setns(long arg)
{
	(void)arg;
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return rc(setns(fd, CLONE_NEWNET));
}

static long p_pidfd_getfd(long arg)
{
	(void)arg;
	long pidfd = syscall(SYS_pidfd_open, getpid(), 0);
	if (pidfd < 0)
		return -errno;
	return rc(syscall(SYS_pidfd_getfd, pidfd, pidfd, 0));
}

static long p_kcmp(long arg)
{
	(void)arg;
	int fd = open("/", O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return rc(syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, fd, fd));
}

static struct file_handle *handle_new(void)
{
	struct file_handle *h = calloc(1, sizeof(*h) + MAX_HANDLE_SZ);
	if (h)
		h->handle_bytes = MAX_HANDLE_SZ;
	return h;
}

static long p_name_to_handle_at(long arg)
{
	(void)arg;
	struct file_handle *h = handle_new();
	int mount_id;
	long r = h ? rc(name_to_handle_at(AT_FDCWD, "/", h, &mount_id, 0)) : -ENOMEM;
	free(h);
	return r;
}

static long p_open_by_handle_at(long arg)
{
	(void)arg;
	struct file_handle *h = handle_new();
	long r = h ? rc(open_by_handle_at(-1, h, O_RDONLY)) : -ENOMEM; /* EBADF: no mount fd */
	free(h);
	return r;
}

/* An ioctl on a pty's master; raw, so that the request's high bits stay. */
static long p_ioctl(long request)
{
	int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	union {
		char c; /* TIOCSTI's character, TIOCLINUX's subcode */
		int n;
		struct winsize ws;
		struct termios t;
	} u;
	memset(&u, 0, sizeof(u));
	return rc(syscall(SYS_ioctl, fd, (unsigned long)request, &u));
}

/* Every value with one bit set or one bit clear, against the rule: refused
 * unless made of PER_LINUX32 and UNAME26 bits. Returns how many disagree. */
static long p_personality_bits(long arg)
{
	(void)arg;
	long wrong = 0;
	for (int b = 0; b < 32; b++) {
		unsigned long one = 1ul << b, all_but = 0xfffffffful & ~one;
		bool kept = one & (PER_LINUX32 | UNAME26);
		if ((syscall(SYS_personality, one) < 0) != !kept)
			wrong++;
		if (syscall(SYS_personality, all_but) >= 0 || errno != EPERM)
			wrong++;
	}
	return wrong;
}

/* Runs fn(arg) in a child, under the filter or not. Returns what it
 * returned, or DIED. */
static long in_child(probe_fn *fn, long arg, bool filtered)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return DIED;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		int r = filtered ? filter_install(NULL) : 0;
		if (r < 0)
			_exit(2);
		long got = fn(arg);
		_exit(write(p[1], &got, sizeof(got)) == sizeof(got) ? 0 : 1);
	}
	close(p[1]);
	long got;
	bool read_it = pid > 0 && read(p[0], &got, sizeof(got)) == sizeof(got);
	close(p[0]);
	int status = 0;
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (!read_it) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
			diag("filter_install() failed");
		else if (WIFSIGNALED(status))
			diag("the child died of signal %d", WTERMSIG(status));
		return DIED;
	}
	return got;
}

static const char *outcome(long r)
{
	if (r == DIED)
		return "no answer";
	if (r >= 0)
		return "success";
	const char *name = strerrorname_np((int)-r);
	return name ? name : "an unknown errno";
}

struct probe {
	const char *what;
	probe_fn *fn;
	long arg;
	int refused; /* the errno under the filter; 0: must still work */
};

static void check(const struct probe *p)
{
	long without = in_child(p->fn, p->arg, false);
	long with = in_child(p->fn, p->arg, true);
	if (!p->refused) {
		ok(without >= 0 && with >= 0, "%s still works (%s; without the filter %s)", p->what,
		   outcome(with), outcome(without));
	} else if (without == -p->refused) {
		skip("%s: refused with %s even without the filter", p->what, outcome(without));
	} else {
		ok(with == -p->refused, "%s: %s under the filter (%s without)", p->what, outcome(with),
		   outcome(without));
		if (with != -p->refused)
			diag("want %s", outcome(-p->refused));
	}
}

#define REFUSED(what, fn, arg) { what, fn, arg, EPERM }
#define NOSYS(what, fn, arg) { what, fn, arg, ENOSYS }
#define WORKS(what, fn, arg) { what, fn, arg, 0 }

static const struct probe probes[] = {
	REFUSED("init_module", p_init_module, 0),
	REFUSED("finit_module", p_finit_module, 0),
	REFUSED("delete_module", p_delete_module, 0),
	REFUSED("kexec_load", p_kexec_load, 0),
	REFUSED("kexec_file_load", p_kexec_file_load, 0),
	REFUSED("reboot", p_reboot, 0),
	REFUSED("swapon", p_swapon, 0),
	REFUSED("swapoff", p_swapoff, 0),
	REFUSED("acct", p_acct, 0),
	REFUSED("quotactl", p_quotactl, 0),
	REFUSED("syslog", p_syslog, 0),
	REFUSED("settimeofday", p_settimeofday, 0),
	REFUSED("clock_settime", p_clock_settime, 0),
	REFUSED("clock_adjtime", p_clock_adjtime, 0),
	REFUSED("adjtimex", p_adjtimex, 0),
	REFUSED("keyctl", p_keyctl, 0),
	REFUSED("add_key", p_add_key, 0),
	REFUSED("request_key", p_request_key, 0),
	REFUSED("bpf", p_bpf, 0),
	REFUSED("perf_event_open", p_perf_event_open, 0),
	REFUSED("userfaultfd", p_userfaultfd, 0),
	NOSYS("io_uring_setup", p_io_uring_setup, 0),
	NOSYS("io_uring_enter", p_io_uring_enter, 0),
	NOSYS("io_uring_register", p_io_uring_register, 0),
	REFUSED("ptrace", p_ptrace, 0),
	REFUSED("process_vm_readv", p_process_vm_readv, 0),
	REFUSED("process_vm_writev", p_process_vm_writev, 0),
	REFUSED("pidfd_getfd", p_pidfd_getfd, 0),
	REFUSED("kcmp", p_kcmp, 0),
	REFUSED("unshare(CLONE_NEWUSER)", p_unshare, CLONE_NEWUSER),
	REFUSED("unshare(CLONE_NEWNET)", p_unshare, CLONE_NEWNET),
	REFUSED("unshare(CLONE_FILES)", p_unshare, CLONE_FILES),
	REFUSED("clone(CLONE_NEWUSER)", p_clone, CLONE_NEWUSER),
	REFUSED("clone(CLONE_NEWNS)", p_clone, CLONE_NEWNS),
	REFUSED("clone(CLONE_NEWCGROUP)", p_clone, CLONE_NEWCGROUP),
	REFUSED("clone(CLONE_NEWUTS)", p_clone, CLONE_NEWUTS),
	REFUSED("clone(CLONE_NEWIPC)", p_clone, CLONE_NEWIPC),
	REFUSED("clone(CLONE_NEWPID)", p_clone, CLONE_NEWPID),
	REFUSED("clone(CLONE_NEWNET)", p_clone, CLONE_NEWNET),
	REFUSED("clone(CLONE_NEWUSER | CLONE_NEWNET)", p_clone, CLONE_NEWUSER | CLONE_NEWNET),
	WORKS("clone without namespace flags", p_clone, 0),
	WORKS("fork", p_fork, 0),
	NOSYS("clone3(CLONE_NEWUSER)", p_clone3, CLONE_NEWUSER),
	NOSYS("clone3 without flags", p_clone3, 0),
	WORKS("pthread_create (clone3, then clone)", p_thread, 0),
	WORKS("posix_spawn (clone3, then clone)", p_spawn, 0),
	REFUSED("setns", p_setns, 0),
	REFUSED("mount", p_mount, 0),
	REFUSED("umount2", p_umount2, 0),
	REFUSED("pivot_root", p_pivot_root, 0),
	REFUSED("move_mount", p_move_mount, 0),
	REFUSED("open_tree", p_open_tree, 0),
	REFUSED("fsopen", p_fsopen, 0),
	REFUSED("fsconfig", p_fsconfig, 0),
	REFUSED("fsmount", p_fsmount, 0),
	REFUSED("fspick", p_fspick, 0),
	REFUSED("mount_setattr", p_mount_setattr, 0),
	REFUSED("chroot", p_chroot, 0),
	REFUSED("name_to_handle_at", p_name_to_handle_at, 0),
	REFUSED("open_by_handle_at", p_open_by_handle_at, 0),
	REFUSED("ioctl TIOCSTI", p_ioctl, TIOCSTI),
	REFUSED("ioctl TIOCSTI with high bits set", p_ioctl, TIOCSTI | 1l << 32),
	REFUSED("ioctl TIOCLINUX", p_ioctl, TIOCLINUX),
	WORKS("ioctl TIOCGWINSZ", p_ioctl, TIOCGWINSZ),
	WORKS("ioctl FIONREAD", p_ioctl, FIONREAD),
	WORKS("ioctl TCGETS", p_ioctl, TCGETS),
	REFUSED("personality(PER_BSD)", p_personality, PER_BSD),
	REFUSED("personality(ADDR_NO_RANDOMIZE)", p_personality, ADDR_NO_RANDOMIZE),
	REFUSED("personality(READ_IMPLIES_EXEC)", p_personality, READ_IMPLIES_EXEC),
	REFUSED("personality(1 << 32)", p_personality, 1l << 32),
	REFUSED("personality(0xffffffff but PER_LINUX32)", p_personality, 0xffffffffl & ~PER_LINUX32),
	WORKS("personality(0xffffffff), the query", p_personality, 0xffffffffl),
	WORKS("personality(PER_LINUX)", p_personality, PER_LINUX),
	WORKS("personality(PER_LINUX32)", p_personality, PER_LINUX32),
	WORKS("personality(UNAME26)", p_personality, UNAME26),
	WORKS("personality(PER_LINUX32 | UNAME26)", p_personality, PER_LINUX32 | UNAME26),
};

int main(void)
{
	/* As root, a call the filter refuses would succeed without it: that is
	 * what shows the refusal is the filter's. Others would only skip. */
	if (geteuid() != 0) {
		printf("1..0 # SKIP the probes need root (without the filter they must succeed)\n");
		return 0;
	}
	struct stat st;
	if (stat(NOWHERE, &st) == 0 || errno != ENOENT) {
		printf("1..0 # SKIP %s exists, and the probes need a path that does not\n", NOWHERE);
		return 0;
	}
	ok(in_child(p_fork, 0, true) == 0, "filter_install() succeeds in a child");
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++)
		check(&probes[i]);
	long wrong = in_child(p_personality_bits, 0, true);
	ok(wrong == 0, "personality: each value with one bit set is refused but PER_LINUX32 and UNAME26, "
		       "each with one bit clear is refused (%ld wrong)", wrong);
	return done_testing();
}

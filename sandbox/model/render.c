/* render.c — rootfs templates into a node's /etc and /var (see render.h). */
#include "render.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

struct ctx {
	const struct topo *t;
	const struct topo_node *n;
	const struct render_var *extra;
	size_t n_extra;
	const char *name;
	int line;
	struct sl_error *err;
};

static void addr_str(struct in_addr a, char *buf)
{
	inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* Does placeholder `ph` (without braces) name a node group, like "web.addr"?
 * Returns the group ("web", "all") length, 0 if not. */
static size_t group_len(const char *ph, size_t len)
{
	const char *dot = memchr(ph, '.', len);
	if (!dot)
		return 0;
	size_t g = (size_t)(dot - ph);
	size_t f = len - g - 1;
	bool field = (f == 4 && memcmp(dot + 1, "name", 4) == 0) || (f == 4 && memcmp(dot + 1, "addr", 4) == 0);
	if (!field)
		return 0;
	char group[32];
	if (g >= sizeof(group))
		return 0;
	memcpy(group, ph, g);
	group[g] = '\0';
	return strcmp(group, "all") == 0 || strcmp(group, "server") == 0 || strcmp(group, "peer") == 0 ||
			       role_find(group) ? g : 0;
}

/* Is n a member of the group? "peer" is relative to the node being rendered:
 * the other holders of its virtual IP, to whom keepalived sends its adverts. */
static bool in_group(const struct ctx *c, const struct topo_node *n, const char *group, size_t glen)
{
	if (glen == 3 && memcmp(group, "all", 3) == 0)
		return true;
	if (glen == 4 && memcmp(group, "peer", 4) == 0) {
		const struct topo_vip *vip = topo_held_vip(c->t, c->n, NULL);
		return vip && n != c->n && topo_vip_held_by(c->t, vip, n);
	}
	if (glen == 6 && memcmp(group, "server", 6) == 0) /* what a monitor scrapes */
		return topo_is_server(n);
	for (int id = 0; id < ROLE_COUNT; id++)
		if (topo_has_role(n, id) && strlen(role_get(id)->name) == glen && memcmp(role_get(id)->name, group, glen) == 0)
			return true;
	return false;
}

/* The value of a placeholder for this node (`member` is the node a repeated
 * line is being written for). Writes into buf; false if unknown. */
static bool lookup(const struct ctx *c, const struct topo_node *member, const char *ph, size_t len,
		   char *buf, size_t size)
{
	char key[64];
	if (len >= sizeof(key))
		return false;
	memcpy(key, ph, len);
	key[len] = '\0';
	const struct topo_node *n = c->n;
	const char *v = NULL;
	char a[INET_ADDRSTRLEN], roles[64];

	size_t g = group_len(key, len);
	if (g && member) {
		const char *field = key + g + 1;
		const struct topo_vip *vip = g == 4 && memcmp(key, "peer", 4) == 0 ? topo_held_vip(c->t, c->n, NULL) : NULL;
		if (strcmp(field, "name") == 0)
			v = member->name;
		else { /* a peer's address where it hears adverts; else its first */
			const struct in_addr *on_vip_net = vip ? topo_node_addr(member, vip->net) : NULL;
			addr_str(on_vip_net ? *on_vip_net : member->ifaces[0].addr, a), v = a;
		}
	} else if (strcmp(key, "node") == 0) {
		v = n->name;
	} else if (strcmp(key, "role") == 0) {
		v = topo_roles(n, roles, sizeof(roles));
	} else if (strcmp(key, "domain") == 0) {
		v = c->t->domain;
	} else if (strcmp(key, "lab") == 0) {
		v = c->t->name;
	} else if (strcmp(key, "addr") == 0) {
		addr_str(n->ifaces[0].addr, a), v = a;
	} else if (strcmp(key, "vip") == 0 && c->t->n_vips > 0) {
		addr_str(c->t->vips[0].addr, a), v = a;
	} else if (strcmp(key, "www") == 0 && topo_www_addr(c->t)) {
		addr_str(*topo_www_addr(c->t), a), v = a;
	} else if (len > 5 && strcmp(key + len - 5, ".addr") == 0) {
		key[len - 5] = '\0';
		for (int i = 0; i < n->n_ifaces && !v; i++)
			if (strcmp(c->t->nets[n->ifaces[i].net].name, key) == 0)
				addr_str(n->ifaces[i].addr, a), v = a;
		key[len - 5] = '.';
	}
	for (size_t i = 0; !v && i < c->n_extra; i++)
		if (strcmp(c->extra[i].name, key) == 0)
			v = c->extra[i].value;
	if (!v)
		v = topo_setting(c->t, n, key, NULL);
	if (!v)
		return false;
	return str_copy(buf, size, v) == 0;
}

/* Values land in config files whose syntax they could extend: a newline
 * starts a new statement (keepalived, HAProxy, dnsmasq), braces open and
 * close keepalived's blocks, quotes and ';' delimit. topo.c types every
 * setting, so no such value should get here; this refusal is the last line
 * of defence for a placeholder or setting added without a type. */
static bool config_safe(const char *v)
{
	for (const unsigned char *c = (const unsigned char *)v; *c; c++)
		if (*c < 0x20 || *c == 0x7f || strchr("{}\";", *c))
			return false;
	return true;
}

/* Write one template line, for `member` when it is a repeated line. */
static int emit_line(const struct ctx *c, const struct topo_node *member, const char *line, size_t len, FILE *out)
{
	const char *p = line, *end = line + len;
	while (p < end) {
		const char *open = memmem(p, (size_t)(end - p), "{{", 2);
		if (!open) {
			fwrite(p, 1, (size_t)(end - p), out);
			break;
		}
		const char *close = memmem(open + 2, (size_t)(end - open - 2), "}}", 2);
		if (!close)
			return sl_err(c->err, EINVAL, "%s:%d: '{{' without '}}'", c->name, c->line);
		fwrite(p, 1, (size_t)(open - p), out);
		char val[256];
		if (!lookup(c, member, open + 2, (size_t)(close - open - 2), val, sizeof(val)))
			return sl_err(c->err, EINVAL, "%s:%d: unknown placeholder {{%.*s}} for node %s", c->name, c->line,
				      (int)(close - open - 2), open + 2, c->n->name);
		if (!config_safe(val))
			return sl_err(c->err, EINVAL, "%s:%d: value of {{%.*s}} for node %s holds a control character or one of {}\";",
				      c->name, c->line, (int)(close - open - 2), open + 2, c->n->name);
		fputs(val, out);
		p = close + 2;
	}
	return 0;
}

/* The node group a line repeats over, if it names one: sets *group. */
static size_t line_group(const char *line, size_t len, const char **group)
{
	const char *p = line, *end = line + len;
	while ((p = memmem(p, (size_t)(end - p), "{{", 2))) {
		const char *close = memmem(p + 2, (size_t)(end - p - 2), "}}", 2);
		if (!close)
			return 0;
		size_t g = group_len(p + 2, (size_t)(close - p - 2));
		if (g) {
			*group = p + 2;
			return g;
		}
		p = close + 2;
	}
	return 0;
}

/* A line may begin with {{if NAME}} or {{if !NAME}}: it is written (without
 * that) only when NAME's value is, or is not, true ("yes"). Sets *skip;
 * returns how many bytes the condition takes, or -1 after an error. */
static int condition(const struct ctx *c, const char *line, size_t len, bool *skip)
{
	*skip = false;
	if (len < 7 || memcmp(line, "{{if ", 5) != 0)
		return 0;
	const char *close = memmem(line, len, "}}", 2);
	if (!close)
		return sl_err(c->err, EINVAL, "%s:%d: '{{if' without '}}'", c->name, c->line), -1;
	const char *name = line + 5;
	bool negate = *name == '!';
	name += negate;
	char val[256];
	if (!lookup(c, NULL, name, (size_t)(close - name), val, sizeof(val)))
		return sl_err(c->err, EINVAL, "%s:%d: unknown condition {{if %.*s}} for node %s", c->name, c->line,
			      (int)(close - name), name, c->n->name), -1;
	bool yes = strcmp(val, "yes") == 0;
	*skip = yes == negate;
	return (int)(close + 2 - line);
}

char *render_text(const struct topo *t, const struct topo_node *n, const char *text, const char *name,
		  const struct render_var *extra, size_t n_extra, struct sl_error *err)
{
	struct ctx c = { t, n, extra, n_extra, name, 0, err };
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);
	if (!out)
		die("out of memory");
	int r = 0;
	for (const char *line = text; *line && r == 0;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line + 1) : strlen(line);
		c.line++;
		bool skip;
		int cond = condition(&c, line, len, &skip);
		if (cond < 0) {
			r = -EINVAL;
			break;
		}
		if (skip) {
			line += len;
			continue;
		}
		const char *whole = line;
		line += cond, len -= (size_t)cond;
		const char *group = NULL;
		size_t glen = line_group(line, len, &group);
		bool every = (glen == 3 && memcmp(group, "all", 3) == 0) || (glen == 6 && memcmp(group, "server", 6) == 0);
		if (glen && in_group(&c, n, group, glen) && !every) {
			/* A server that runs a tier itself uses its own: a full
			 * server's Nginx passes to its own PHP-FPM, which reads
			 * its own database. */
			r = emit_line(&c, n, line, len, out);
		} else if (glen) {
			for (int i = 0; i < t->n_nodes && r == 0; i++)
				if (in_group(&c, &t->nodes[i], group, glen))
					r = emit_line(&c, &t->nodes[i], line, len, out);
		} else {
			r = emit_line(&c, NULL, line, len, out);
		}
		line = whole + cond + len;
	}
	fclose(out);
	if (r < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* A file every layer may have its part of: the daemons a node runs are
 * those of each of its roles. Other files of a later layer replace. */
static bool merged(const char *path)
{
	size_t len = strlen(path);
	static const char tail[] = "/stacklab/services";
	return len >= sizeof(tail) - 1 && strcmp(path + len - (sizeof(tail) - 1), tail) == 0;
}

static int append_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	int r = write_all(fd, "\n", 1) < 0 || write_all(fd, text, strlen(text)) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int render_tree(const struct ctx *base, const char *src, const char *dst)
{
	DIR *d = opendir(src);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	int r = 0;
	struct dirent *e;
	while (r == 0 && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char s[PATH_MAX], t[PATH_MAX];
		snprintf(s, sizeof(s), "%s/%s", src, e->d_name);
		snprintf(t, sizeof(t), "%s/%s", dst, e->d_name);
		struct stat st;
		if (lstat(s, &st) < 0) {
			r = sl_err(base->err, errno, "render %s: %s", s, strerror(errno));
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if (mkdir(t, st.st_mode & 07777) < 0 && errno != EEXIST)
				r = -errno;
			else
				r = render_tree(base, s, t);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlink(s, target, sizeof(target) - 1);
			if (n < 0)
				r = -errno;
			else {
				target[n] = '\0';
				unlink(t);
				if (symlink(target, t) < 0)
					r = -errno;
			}
		} else if (S_ISREG(st.st_mode)) {
			_cleanup_free_ char *text = read_file(s, NULL);
			if (!text) {
				r = sl_err(base->err, errno, "render %s: %s", s, strerror(errno));
				break;
			}
			_cleanup_free_ char *out = render_text(base->t, base->n, text, s, base->extra, base->n_extra, base->err);
			if (!out)
				r = -EINVAL;
			else if (merged(t) && access(t, F_OK) == 0)
				r = append_file(t, out);
			else
				r = write_file(t, out, st.st_mode & 07777);
		}
		if (r < 0) /* kept if render_text said more already */
			sl_err(base->err, -r, "render %s: %s", s, strerror(-r));
	}
	closedir(d);
	return r;
}

/* The layers a node's files come from, in order: common, vrrp for a
 * holder of a virtual IP (keepalived starts first and claims it), and each
 * of its roles. */
static int layers_of(const struct topo *t, const struct topo_node *n, const char **layers)
{
	int k = 0;
	layers[k++] = "common";
	if (topo_holds_vip(t, n))
		layers[k++] = "vrrp";
	for (int id = 0; id < ROLE_COUNT; id++)
		if (topo_has_role(n, id))
			layers[k++] = role_get(id)->name;
	if (topo_monitored(t) && topo_is_server(n))
		layers[k++] = "metrics"; /* its exporters, for the monitor */
	return k;
}

int render_node(const struct topo *t, const struct topo_node *n, const char *src_root,
		const char *etc_dst, const char *var_dst, const struct render_var *extra, size_t n_extra,
		struct sl_error *err)
{
	struct ctx c = { t, n, extra, n_extra, NULL, 0, err };
	const char *layers[ROLE_COUNT + 3];
	int n_layers = layers_of(t, n, layers);
	for (int i = 0; i < n_layers; i++) {
		char src[PATH_MAX];
		snprintf(src, sizeof(src), "%s/%s/etc", src_root, layers[i]);
		int r = render_tree(&c, src, etc_dst);
		if (r < 0)
			return r;
		snprintf(src, sizeof(src), "%s/%s/var", src_root, layers[i]);
		if ((r = render_tree(&c, src, var_dst)) < 0)
			return r;
	}
	return 0;
}

int render_layers(const struct topo *t, const struct topo_node *n, const char **layers)
{
	return layers_of(t, n, layers);
}

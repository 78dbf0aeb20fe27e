/* render.h — a node's private /etc and /var, rendered from rootfs/ templates.
 *
 * Every file of rootfs/common/etc, rootfs/vrrp/etc for a vip holder and
 * rootfs/ROLE/etc for each of the node's roles (and rootfs/metrics/etc for a
 * server of a lab with a monitor) is copied with its {{name}}
 * placeholders replaced (a later layer's file replaces an earlier one's,
 * but stacklab/services files are joined: a node runs every role's daemons):
 *   {{node}} {{role}} {{domain}} {{addr}} {{lab}}  this node ({{role}}: "web app db")
 *   {{vip}}                                         the first virtual IP
 *   {{www}}                                         what www.DOMAIN resolves to
 *   {{KEY}}                                         a setting of this node (priority…)
 *   {{NET.addr}}                                    this node's address on network NET
 * A line that begins {{if NAME}} ({{if !NAME}}) is written only when the
 * value of NAME is (is not) "yes".
 * A line naming {{ROLE.name}} or {{ROLE.addr}} (or {{all.*}}, {{server.*}}: lb, web, app, db)
 * is written once per node of that role, in topology order; but once only,
 * for the node itself, when the node has that role too (a full server's
 * Nginx passes to its own PHP-FPM). */
#ifndef STACKLAB_RENDER_H
#define STACKLAB_RENDER_H

#include <stddef.h>

#include "error.h"
#include "topo.h"

/* Extra scalar placeholders a caller adds (e.g. paths known only at up). */
struct render_var {
	const char *name;
	const char *value;
};

/* Render the templates of node `n` into the directories etc_dst and var_dst
 * (which must exist), taking templates from `src_root` (rootfs/). Returns 0,
 * or -errno with "template:line: what" in err. */
int render_node(const struct topo *t, const struct topo_node *n, const char *src_root,
		const char *etc_dst, const char *var_dst, const struct render_var *extra, size_t n_extra,
		struct sl_error *err);

/* The rootfs/ layers of node `n`, in the order they are rendered (common,
 * vrrp for a vip holder, its roles, metrics for a monitored server): fills
 * layers[ROLE_COUNT + 3], returns how many. */
int render_layers(const struct topo *t, const struct topo_node *n, const char **layers);

/* Render one template text for node `n`; returns a malloc'd string, or NULL
 * with "name:line: what" in err (which may be NULL). */
char *render_text(const struct topo *t, const struct topo_node *n, const char *text, const char *name,
		  const struct render_var *extra, size_t n_extra, struct sl_error *err);

#endif

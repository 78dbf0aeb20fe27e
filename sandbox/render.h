/* render.h — a node's private /etc and /var, rendered from rootfs/ templates.
 *
 * Every file of rootfs/common/etc and rootfs/ROLE/etc is copied with its
 * {{name}} placeholders replaced:
 *   {{node}} {{role}} {{domain}} {{addr}} {{lab}}  this node
 *   {{vip}}                                         the first virtual IP
 *   {{KEY}}                                         a setting of this node (priority…)
 *   {{NET.addr}}                                    this node's address on network NET
 * A line naming {{ROLE.name}} or {{ROLE.addr}} (or {{all.name}}, {{all.addr}})
 * is written once per node of that role, in topology order. */
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

/* Render one template text for node `n`; returns a malloc'd string, or NULL
 * with "name:line: what" in err (which may be NULL). */
char *render_text(const struct topo *t, const struct topo_node *n, const char *text, const char *name,
		  const struct render_var *extra, size_t n_extra, struct sl_error *err);

#endif

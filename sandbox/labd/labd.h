/* labd.h — the lab daemon: one process per lab that holds the switch
 * namespace and every node, and answers the control socket. */
#ifndef STACKLAB_LABD_H
#define STACKLAB_LABD_H

#include <sys/types.h>

#include "ctl.h"
#include "timing.h"
#include "topo.h"

/* Marker the daemon writes on its progress stream once the lab is ready,
 * followed by the number of nodes and the milliseconds it took. */
#define LABD_READY "@ready"

struct labd_options {
	const char *lab;        /* lab name */
	struct topo *topo;      /* taken over by the daemon */
	int progress_fd;        /* the `up` client's pipe: messages while starting */
	const struct timing *timing;   /* the timing profile for the templates */
	const char *publish_addr;      /* --publish: host address and port, or port 0 */
	int publish_port;
	int publish_http_port;         /* and plain HTTP's, or 0 */
	int publish_prom_port;         /* and the monitor's Prometheus, or 0 */
	gid_t watch_gid;        /* the group that may watch the lab; 0: root only */
	enum lab_allow allow;   /* a user's lab: what root of the host may do */
};

/* Run the daemon in the calling (freshly forked) process: build the lab,
 * report LABD_READY on progress_fd, then serve until `down` or a signal.
 * A failed start is rolled back and returns 1; a served lab returns 0. */
int labd_main(const struct labd_options *opt);

#endif

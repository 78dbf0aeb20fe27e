/* lab.h — the lab daemon's model of a running lab, shared by its parts:
 * labd.c (the core: the loop, and the watches the parts register),
 * build.c (making the lab), nodechan.c (what nodes say), logstore.c (the
 * daemons' logs), requests.c (the control socket), teardown.c, events.c
 * (live state and the event stream), fault.c (failures and heals),
 * trafficd.c, publish.c, trace.c. Not for the CLI or the TUI, which see a
 * lab only through the control socket. */
#ifndef STACKLAB_LAB_H
#define STACKLAB_LAB_H

#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "cgroup.h"
#include "ctl.h"
#include "faults.h"
#include "net.h"
#include "node.h"
#include "service.h"
#include "timing.h"
#include "dnszone.h"
#include "topo.h"
#include "userns.h"
#include "watch.h"
#include "firewall.h"

#define MAX_CLIENTS 64
#define CLIENT_OWED_MAX (8 << 20) /* bytes a client may be owed: a reply and events' ends */
/* A daemon's log on the host is kept to two files of this size at most:
 * NAME.log, and NAME.log.1 before it (the older lines are gone). */
#define LOG_ROTATE (8 << 20)
#define LOG_PIPE_SIZE (256 << 10) /* what a daemon may print while the lab is busy elsewhere */
#define LOG_REST_MS 10            /* a busy daemon's pipe is read at most this often */
#define SERVERS_MAX 16
#define LINKS_MAX (TOPO_NODES_MAX * 2)
#define FAULTS_MAX 64

enum node_state { NODE_STARTING, NODE_UP, NODE_DOWN, NODE_CRASHED, NODE_FROZEN };

/* A daemon of a node, as the lab knows it: from the services file the lab
 * rendered before the node started, never from what the node says. */
struct lab_service {
	char name[32];
	int log_fd;                    /* logs/NODE/NAME.log, opened by the lab */
	off_t log_size;                /* what it holds: at LOG_ROTATE it becomes NAME.log.1 */
	int node;                      /* the index of its node */
	int output, output_w;          /* the pipe of its stdout and stderr: the lab reads, the node writes */
	bool watched;                  /* output is in the lab's loop */
	bool resting;                  /* …but left out of it until the rest timer (logstore.c) */
	uint64_t read_ms;              /* when the lab last found lines in it */
	size_t part_len;               /* an unfinished line it printed, waiting for its end */
	char part[4096];
	pid_t pid;                     /* as the node reports it; 0 when not running */
	bool serving;                  /* its ready check held since it started (else: starting) */
	bool stopping;                 /* asked to stop (fail stop), not gone yet */
	char how[64];                  /* how it last ended */
};

struct lab_node {
	struct node_spec spec;
	pid_t pid;
	int sync;
	enum node_state state;
	struct lab_service services[SERVICES_MAX];
	int n_services;
	char vrrp[16];                 /* keepalived's state, "" if none */
	bool cpu_capped;               /* its topology's cpu = N is in force (a cpu cgroup) */
	char balance[16];              /* HAProxy's algorithm as `set` made it, "" = the topology's */
	struct watch_replica replica;  /* a replica's last state (replica.io "" until it says) */
	enum { FIREWALL_NONE, FIREWALL_ON, FIREWALL_OFF } firewall;   /* its nftables rules, if it has allow lines */
	double qps, qps_5xx;           /* a web server: answers per second, and 5xx ones, as the monitor's Prometheus says; -1 not known */
	struct {
		char backend[32], server[32], state[8];
	} servers[SERVERS_MAX];        /* HAProxy's view of its servers */
	int n_servers;
};

/* A veth as the switch sees it: its counters and what was done to it. */
struct lab_link {
	int node, iface;               /* indexes into topo */
	unsigned long long rx_bytes, tx_bytes, rx_packets, tx_packets;
	double rx_bps, tx_bps, rx_pps, tx_pps;   /* rx: from the node; tx: to it */
	bool sampled, up;
};

struct lab_fault {
	enum fault_kind kind;
	int node, other;               /* node indexes (other: the partition's second) */
	int link;                      /* index into links, or -1 */
	char what[96];                 /* "stop nginx", "delay 200 ms"… as said */
};

#define TRAFFIC_WINDOW_MS 10000
#define TRAFFIC_RING 16384

enum traffic_kind { TK_OK, TK_DNS, TK_CONNECT, TK_TIMEOUT, TK_TLS, TK_HTTP4XX, TK_HTTP5XX, TK_ERROR, TK_COUNT };

/* A fault or heal and what followed (incidents.c). */
#define INCIDENTS_MAX 32
#define INCIDENT_FOLLOW_MAX 16

struct lab_incident {
	int id;                        /* 1, 2, … in the lab's life */
	double at;                     /* when it was done (s since the epoch) */
	char what[128];                /* "fail lb1: crash" */
	struct {
		double ms;             /* after `at` */
		char what[96];         /* "lb2 MASTER", "vip www held by lb2" */
	} followed[INCIDENT_FOLLOW_MAX];
	int n_followed;
	long ok, failed;               /* users' requests since `at` */
	double last_ok, last_fail, recovered_at;
	double longest_gap_ms;         /* between two answered requests: an outage's length */
	double recovered_ms;           /* the first answer after the last failure; -1: none failed */
	bool open;
};

/* The traffic generator running in the client node, and what it reported. */
struct lab_traffic {
	pid_t pid;                     /* its waiter; 0 when stopped */
	bool reaped;                   /* its waiter exited and was reaped (pid is free) */
	int fd;                        /* its results, one JSON object a line */
	struct ctl_reader *rd;
	int rate, seconds;
	int lease_s;                   /* >0: it stops unless renewed within this (a lesson keeps it alive) */
	uint64_t lease_until_ms;
	char why[96];                  /* why it last stopped */
	char path[128];
	uint64_t started_ms;
	unsigned long long total, by_kind[TK_COUNT];
	struct {
		uint64_t t_ms;
		float ms;
		unsigned char kind;
		short web;             /* the web server that answered (node index), -1 */
	} ring[TRAFFIC_RING];          /* recent results, for the sliding window */
	size_t head, n;
};

#define PUBLISH_CONNS_MAX 64

struct publish_conn {
	int fd[2];                     /* 0: the host's side, 1: from the client node */
	char *pend[2];                 /* what came from side k that side !k has not taken yet */
	size_t pend_len[2];
	uint64_t active_ms;            /* when it last carried anything */
};

/* A subscriber's socket holds up to SUBSCRIBER_BUFFER bytes of events; one
 * that falls further behind loses whole events (never part of one), and
 * is told how many in a "lost" event once it catches up. */
#define SUBSCRIBER_BUFFER (1 << 20)

struct client {
	int fd;
	struct ctl_reader rd;
	bool subscribed;
	char filter[128];              /* event kinds or node names, comma-separated; "" for all */
	uid_t uid;                     /* who connected (SO_PEERCRED) */
	char *rest;                    /* the unsent end of an event the socket took only part of */
	size_t rest_len;
	unsigned long lost;            /* whole events dropped since the last one sent */
	bool busy;                     /* its request is being answered (and may serve others meanwhile) */
	uint64_t window_ms;            /* when its current second of requests began */
	int in_window;                 /* requests it made in that second */
	bool held;                     /* past its rate: not read until the next second */
	bool gone;                     /* a send failed: it hung up */
};

struct lab;

/* Called when a watched descriptor is readable. */
typedef void lab_handler(struct lab *lab, void *ctx);

#define LAB_WATCHES_MAX (TOPO_NODES_MAX * (1 + SERVICES_MAX) + MAX_CLIENTS + 2 * PUBLISH_CONNS_MAX + 16)

struct lab_watch {
	int fd;
	lab_handler *fn;               /* NULL: a free slot */
	void *ctx;
	bool early;                    /* handled while the lab starts, too (lab_pump) */
	bool dead;                     /* freed in this round of events: not reused yet */
	uint32_t events;               /* what epoll reports for it (EPOLLIN at first) */
};

struct lab {
	const char *name;
	char *dir;
	struct topo *topo;
	struct lab_node nodes[TOPO_NODES_MAX];
	int log_fd, ctl_fd, ep, sig_fd, timer_fd;
	int rest_fd;                   /* logstore.c: when resting pipes are read again */
	int start_fd;                  /* build.c: its turn to start, a socket bound while it starts */
	struct lab_watch watches[LAB_WATCHES_MAX];
	bool torn_down;
	uint64_t watcher_trace_ms;     /* when a watcher last traced */
	bool tracing;                  /* a trace is under way (the lab serves others meanwhile) */
	pid_t job_pid;                 /* a node_job's waiter the lab must not lose: */
	int job_status;                /* …its status, if the SIGCHLD handler reaped it */
	bool job_reaped;
	int depth;                     /* dispatch_ready() calls under way (trace pumps inside one) */
	struct net *net;
	struct client *clients[MAX_CLIENTS];
	uint64_t t0_ms;
	time_t started;
	bool stopping;
	int n_ready;                   /* nodes that reported ready while starting */
	int failed;                    /* a node failed while starting */
	bool serving;                  /* started: past `up` */
	const struct timing *timing;
	char ca_pem[PATH_MAX], site_pem[PATH_MAX], db_datadir[PATH_MAX];
	char ca_public[PATH_MAX];      /* a copy of the CA's certificate anyone may read (the lab's directory, 0644) */
	struct lab_link links[LINKS_MAX];
	int n_links;
	uint64_t links_sampled_ms;
	bool links_stale;              /* a fault or heal may have changed them since */
	struct lab_fault faults[FAULTS_MAX];
	int n_faults;
	struct lab_traffic traffic;
	struct lab_incident incidents[INCIDENTS_MAX];  /* a ring: the newest is n_incidents - 1 */
	int n_incidents;
	bool incident_pending;         /* a fail or heal request is acting: */
	bool incident_acted;           /* its card is in incidents now, or */
	struct lab_incident incident_next;   /* it is still here */
	double traffic_last_ok;        /* users' last answered request (s since the epoch), 0: none yet */
	double traffic_last_seen;      /* their last request, answered or not: is traffic running? */
	int switch_ns;                 /* the daemon's own network namespace */
	bool has_netem;                /* the kernel has the netem qdisc (delay, loss) */
	bool memory_bounded;           /* its nodes' memory is bounded (a cgroup of the lab's has the memory controller) */
	struct cgroups cgroups;        /* for freezing nodes */
	struct idmap idmap;            /* host ids of the nodes' user namespace */
	gid_t watch_gid;               /* may watch (status, events…); 0: root only */
	enum lab_allow allow;          /* a user's lab: what root of the host may do */
	struct dns_zone_state dns;     /* the domain's zone as `set` changed it */
	struct {
		int fd, port;          /* HTTPS, listening on the host; -1 if not published */
		int http_fd, http_port;   /* plain HTTP (HAProxy redirects it), -1 if none */
		int prom_fd, prom_port;   /* the monitor's Prometheus (9090), -1 if none */
		char addr[INET_ADDRSTRLEN];
		struct publish_conn conns[PUBLISH_CONNS_MAX];
	} publish;
};

extern const char *const lab_node_state_names[];

/* events.c */
/* Send `ev` (taken over) to every subscriber whose filter it matches, with
 * "time" added. */
void lab_emit(struct lab *lab, json_t *ev);
/* A reply to client c, after whatever it is owed already: sent as far as
 * its socket takes it now, the rest owed (never waited for). 0, or -errno
 * when the client is gone or owes more than CLIENT_OWED_MAX. */
int lab_client_reply(struct client *c, json_t *reply);
/* Send what c is owed, as far as its socket takes it: 1 once nothing is
 * owed, 0 if some still is, -errno if the client is gone. */
int lab_client_flush(struct client *c);
/* A daemon printed `text` (one or more lines, already cleaned): log
 * events for whoever follows them, live state. */
void lab_daemon_output(struct lab *lab, int node, const char *daemon, const char *text, size_t len);
/* A daemon of node `node` started (pid as the node sees it) or ended
 * (`how`: "exited with status 1"…): live state, and an event. A name the
 * lab did not give the node is ignored. */
void lab_daemon_started(struct lab *lab, int node, const char *daemon, pid_t pid);
void lab_daemon_exited(struct lab *lab, int node, const char *daemon, const char *how);
/* A started daemon serves (its ready check holds): "running" from now. */
void lab_daemon_serving(struct lab *lab, int node, struct lab_service *s);
/* It was asked to stop (`how`: by what) and has not gone yet. */
void lab_daemon_stopping(struct lab *lab, int node, struct lab_service *s, const char *how);
/* What status says of it: running, starting, stopping or exited. */
const char *lab_daemon_state(const struct lab_service *s);
/* Node `node` is now in `state`: live state, and an event. */
void lab_node_state(struct lab *lab, int node, enum node_state state);
/* Every LINK_SAMPLE_MS, while someone follows them, every link's counters are
 * sampled and their rates sent (events.c). */
#define LINK_SAMPLE_MS 250
int lab_links_watch(struct lab *lab, struct sl_error *err);   /* 0 or -errno with err */
/* The live state, as `status` shows it. */
json_t *lab_status(struct lab *lab);
/* The nodes that hold VIP `v` now (a JSON array of names). */
json_t *lab_vip_holders(struct lab *lab, int v);

/* incidents.c */
/* Take in an event (its time t): a fault or heal opens a card, what
 * follows is added to it with its delay, traffic results count. */
void lab_incident_note(struct lab *lab, json_t *ev, double t);
/* Around a fail or heal request: the card opens before it acts, so what
 * its action sets off is on it; dropped if the request did nothing. */
void lab_incident_begin(struct lab *lab);
void lab_incident_end(struct lab *lab);
/* Close a card whose window is over (called every second or so). */
void lab_incidents_tick(struct lab *lab);
json_t *lab_incident_json(const struct lab_incident *i);
/* The last INCIDENTS_MAX cards, oldest first. */
json_t *lab_incidents_json(struct lab *lab);

/* fault.c */
/* The replies to {"cmd": "fail", "target", "fault", "args"} and {"cmd":
 * "heal", "target" | "all"}: {"ok": true, …}, or ok false with an error
 * that names what is wrong and what is known. */
json_t *fault_request(struct lab *lab, json_t *req);
json_t *heal_request(struct lab *lab, json_t *req);
/* The link called `name` ("lb1-eth0", "lb1:eth0", or a node with one link). */
int lab_link_find(struct lab *lab, const char *name);

/* nft.c (the ruleset is model's firewall.h) */
/* Load (on) or delete (off) node i's firewall inside it; 0 for a node
 * without allow lines. 0 or -errno with err. */
int lab_firewall(struct lab *lab, int i, bool on, struct sl_error *err);

/* events.c: a daemon that reports state in its lines (replication, qps)
 * is gone: what it said is forgotten, with an event. */
void lab_watcher_gone(struct lab *lab, int node, const char *daemon);

/* settings.c */
/* {"cmd": "set", "node", "key", "value"}: change a setting of a running
 * node (an lb's balance algorithm), re-rendering its config and reloading
 * its daemon without dropping a connection. */
json_t *set_request(struct lab *lab, json_t *req);
/* The balance algorithm of lb node n now. */
const char *lab_balance(const struct lab *lab, const struct topo_node *n);

/* trafficd.c */
/* {"cmd": "traffic", "action": "start"|"stop"|"status", …}: start the
 * generator in the client node, stop it, or sum up the last 10 s. */
json_t *traffic_request(struct lab *lab, json_t *req);
/* Stop the generator if it runs (its waiter killed and reaped), with an event. */
void lab_traffic_stop(struct lab *lab);
/* Once a tick: traffic whose lease ran out stops. */
void lab_traffic_tick(struct lab *lab);
/* Rate, results by kind and latencies of the last 10 s, for status. */
json_t *lab_traffic_summary(struct lab *lab);

/* publish.c */
/* Listen on the host at addr:port (call before leaving its namespace),
 * and relay what comes to the VIP's port 443 from the client node. */
int publish_listen(struct lab *lab, const char *addr, int port, int http_port, int prom_port, struct sl_error *err);
/* Where the site is published on the host (url, curl --resolve line), or JSON null. */
json_t *publish_json(struct lab *lab);

/* trace.c */
/* {"cmd": "trace", "path"}: one request from the client with a fresh id,
 * and its hops read back from the daemons' logs (bounded in time). */
json_t *trace_request(struct lab *lab, json_t *req);

/* publish.c: connections idle too long are closed (the links' timer). */
void publish_tick(struct lab *lab);

/* requests.c: clients held past their rate are read again once their
 * second is over (called from the links' timer). */
void requests_tick(struct lab *lab);

/* labd.c: the core */
/* Call fn(lab, ctx) whenever fd is readable; `early`: also while the lab
 * is starting (lab_pump). Returns 0 or -errno. */
int lab_watch(struct lab *lab, int fd, lab_handler *fn, void *ctx, bool early);
/* Stop watching fd, and close it. */
void lab_unwatch(struct lab *lab, int fd);
/* Leave fd out of the loop for now (paused), or take it back. */
int lab_watch_pause(struct lab *lab, int fd, bool paused);
/* What fd's handler is called for: EPOLLIN, EPOLLOUT, both, or 0 (none but
 * a hang-up). Returns 0 or -errno. */
int lab_watch_events(struct lab *lab, int fd, uint32_t events);
/* While starting: handle node messages and signals for up to timeout_ms.
 * Returns -EINTR if a signal asks the lab to stop. */
int lab_pump(struct lab *lab, int timeout_ms);
/* Inside a request that waits (trace): serve everything else that is
 * ready, for up to timeout_ms. -EINTR once the lab is going down. */
int lab_serve(struct lab *lab, int timeout_ms);
/* A line for the `up` client while the lab starts. */
void lab_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
json_t *lab_reply_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The way into node i, for node_enter() and node_run(). */
struct node_door lab_door(const struct lab *lab, int i);
/* The first node of a role, or -1. */
int lab_node_of_role(const struct lab *lab, enum role_id role);

/* build.c */
/* Make the lab: files, switch, nodes, links; return once every node is
 * ready and, for the whole stack, the site answers the client. Returns 0,
 * or -errno with what failed in err (a node that failed has said so). */
int lab_build(struct lab *lab, struct sl_error *err);
/* Template rootfs/REL rendered for node i as `up` renders it (with the
 * lab's settings of now: `set`); malloc'd, or NULL with err. */
char *lab_render_file(struct lab *lab, int i, const char *rel, struct sl_error *err);
/* Start node i again after its init died (a heal): -EBUSY if it lives. It
 * reports up once its daemons serve, as at `up`. */
int lab_node_respawn(struct lab *lab, int i, struct sl_error *err);

/* nodechan.c */
/* Listen to node i's init on its sync socket: its daemons' starts and
 * exits, its readiness. Nothing it says is trusted. */
int nodechan_watch(struct lab *lab, int i);

/* logstore.c */
/* Give a file of the lab's (fd, or path if fd < 0) to root and the lab's
 * watch group, with `mode`; without a watch group, to root alone. */
int lab_share(const struct lab *lab, int fd, const char *path, mode_t mode);
/* The daemons node i will run, from the services file the lab rendered
 * for it (before the node exists), each with its log file in `logs`. */
int logstore_register(struct lab *lab, int i, const char *logs, struct sl_error *err);
/* Before node i's init is cloned (at up, and again when a heal starts a
 * node whose init died): a fresh pipe for each daemon's output, the write
 * ends in the node's spec. What the old pipes held is taken in first. */
int logstore_open_pipes(struct lab *lab, int i, struct sl_error *err);
/* Once node i's init holds the write ends: close the lab's copies and read
 * the pipes in the lab's loop. */
int logstore_watch(struct lab *lab, int i, struct sl_error *err);
/* Take in whatever node i's daemons printed so far (before what its init
 * says next: a daemon's last lines come before the news of its exit). */
void logstore_drain(struct lab *lab, int i);
/* The daemon called `name` (n bytes) of node i, or NULL: a node names only
 * the daemons the lab gave it. */
struct lab_service *lab_service_find(struct lab *lab, int i, const char *name, size_t n);
/* Lines of node i's daemon s, to its log; a full log becomes NAME.log.1. */
void logstore_append(struct lab *lab, int i, struct lab_service *s, const char *text, size_t n);
/* Close node i's log files and pipes (at teardown). */
void logstore_close(struct lab *lab, int i);

/* requests.c */
/* Open the control socket and answer it. */
int requests_listen(struct lab *lab, struct sl_error *err);

/* labd.c */
/* A lab object for opt, not yet built: its names and its loop (an epoll of
 * its own). labd_main builds it; a unit test may give it parts by hand.
 * NULL, with errno, if the loop cannot be made. */
struct labd_options;
struct lab *lab_new(const struct labd_options *opt);

/* teardown.c */
/* Kill every node, remove the lab's cgroups, links and files. Once. */
void lab_teardown(struct lab *lab);

#endif

/* model.h — what the TUI knows of a lab, built only from the control
 * socket: one `status` answer, then the event stream. */
#ifndef STACKLAB_TUI_MODEL_H
#define STACKLAB_TUI_MODEL_H

#include <jansson.h>
#include <stdbool.h>

#define TM_NODES 64
#define TM_LOG 256
#define TM_HISTORY 60
#define TM_INCIDENTS 16

struct tm_node {
	char name[32], role[16], state[16], vrrp[16], addr[20];
	int tier;
	char links[4][16];
	int n_links;
	double rx_bps, tx_bps;        /* summed over its links: from / to the node */
	double link_rx[4], link_tx[4];   /* each of its links (links[k]) */
	bool link_down;
	struct {
		char name[32], state[8];
	} servers[8];                 /* HAProxy's view of its servers */
	int n_servers;
	bool daemon_down;             /* one of its daemons exited */
	char vip_to[32];              /* a client: whose MAC its neighbour entry for the VIP holds */
	char daemons[96];             /* "haproxy keepalived" */
	char balance[16];             /* an lb: HAProxy's algorithm */
	char firewall[4];             /* "on", "off", or "" for a node without one */
	double qps;                   /* a web server's requests/s as Prometheus says, -1 not known */
	struct {
		char role[8];         /* "primary", "replica", "" */
		char io[16], sql[16]; /* a replica's threads */
		long lag;             /* transactions behind its primary, -1 unknown */
	} repl;
};

struct tm_model {
	char lab[80], topology[32], title[128], vip[20]; /* lab: as the watcher named it (USER/NAME) */
	char www[64];                 /* where www points when there is no VIP: "lb1 203.0.113.11" */
	bool https;
	struct tm_node nodes[TM_NODES];
	int n_nodes;
	int order[TM_NODES];          /* node indexes in the map's order: by tier, then as listed */
	struct {
		char name[16], subnet[24], bridge[20], members[160];
	} nets[4];                    /* the lab's networks and who is on them */
	int n_nets;
	char holders[64];             /* who holds the VIP now */
	bool split_brain;             /* two holders: for a moment in a handover, or a split brain */
	double two_since;             /* when it began (a split brain lasts) */
	/* traffic: results per second for the last minute, latencies of the last 10 s */
	long ok[TM_HISTORY], err[TM_HISTORY];
	long bucket_sec;              /* the second bucket 0 stands for */
	float lat[2048];
	double lat_t[2048];
	signed char lat_web[2048];    /* the web server that answered (node index), -1 */
	int lat_n, lat_head;
	bool traffic_running;
	int traffic_rate;
	struct tm_line {
		char text[200];       /* "HH:MM:SS what" */
		int count;            /* the same line this many times in a row */
		bool traffic;         /* a traffic result: the first to go when full */
	} log[TM_LOG];                /* lab events, newest last */
	int log_n;
	char daemon_log[TM_LOG][200]; /* the daemons' own lines, newest last */
	int daemon_n;
	struct tm_incident {
		int id;
		double at;
		char what[128];
		bool open;
		struct { double ms; char what[96]; } followed[16];
		int n_followed;
		long ok, failed;
		double gap_ms, recovered_ms;  /* recovered_ms < 0: nothing failed */
		bool still_failing;           /* nothing answered since the last failure */
	} incidents[TM_INCIDENTS];    /* newest last */
	int n_incidents;
	struct {
		char web[32], app[32];
		double t;
	} talks[16];                  /* which web server sent requests to which app server, last seen */
	int n_talks;
	int faults;
	bool gone;                    /* the lab went away */
	bool netem;                   /* the kernel can delay and drop packets */
};

void model_init(struct tm_model *m, json_t *status);
/* How the answers of the last 10 s were spread over the web servers:
 * "web-01 52% web-02 48%", or "" with fewer than two web servers. */
void model_spread(const struct tm_model *m, double now, char *out, size_t size);
/* Take node states, VRRP states, HAProxy's view and the VIP holders from a
 * fresh status answer (events keep the screen live in between). */
void model_refresh(struct tm_model *m, json_t *status);
void model_event(struct tm_model *m, json_t *ev);
struct tm_node *model_node(struct tm_model *m, const char *name);
/* Requests per second over the last whole second, p50/p99 over 10 s. */
double model_rate(const struct tm_model *m, long now_sec);
void model_latency(struct tm_model *m, double now, double *p50, double *p99);
/* A lab event line; the same text again right after folds into "×N". */
void model_log(struct tm_model *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Take in an incident card (an event, or one of the `incidents` list). */
void model_incident(struct tm_model *m, json_t *card);
/* The app servers web server `web` sent requests to in the last `within`
 * seconds before `now`, as "app1 app2", into buf. */
void model_talks_to(const struct tm_model *m, const char *web, double now, double within, char *buf, size_t size);
void model_daemon_line(struct tm_model *m, const char *node, const char *daemon, const char *line);

#endif

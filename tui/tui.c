/* tui.c — the TUI's loop: model from events, views, key presses become
 * requests (see tui.h). It knows the lab only through the control socket. */
#define _XOPEN_SOURCE_EXTENDED 1
#include "tui.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "ctl.h"
#include "lessonpane.h"
#include "model.h"
#include "util.h"
#include "view.h"

static volatile sig_atomic_t quit_signal;

static void on_quit(int sig) { quit_signal = sig; }

/* On a crash, give the terminal back before dying (as htop does). */
static void on_crash(int sig)
{
	endwin();
	signal(sig, SIG_DFL);
	raise(sig);
}

static json_t *call(const char *lab, json_t *req, char *msg, size_t size)
{
	json_t *reply = NULL;
	int r = ctl_call(lab, req, &reply);
	json_decref(req);
	if (r < 0) {
		snprintf(msg, size, "lab %s: %s", lab, strerror(-r));
		return NULL;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		snprintf(msg, size, "%s", json_string_value(json_object_get(reply, "error")));
		json_decref(reply);
		return NULL;
	}
	return reply;
}

/* The model of a lab from its status, its traffic and its incident cards
 * (at start, and again when the lab comes back). */
static void load(const char *lab, struct tm_model *m, json_t *status)
{
	char msg[256];
	model_init(m, status);
	/* A teacher watching a student's lab: whose it is (alice/walks1),
	 * not the name its daemon knows itself by. */
	if (strchr(lab, '/'))
		snprintf(m->lab, sizeof(m->lab), "%s", lab);
	json_t *tr = call(lab, json_pack("{s:s, s:s}", "cmd", "traffic", "action", "status"), msg, sizeof(msg));
	if (tr) {
		m->traffic_running = json_is_true(json_object_get(tr, "running"));
		m->traffic_rate = (int)json_integer_value(json_object_get(tr, "rate"));
		json_decref(tr);
	}
	json_t *cards = call(lab, json_pack("{s:s}", "cmd", "incidents"), msg, sizeof(msg));
	size_t i;
	json_t *card;
	json_array_foreach(json_object_get(cards, "incidents"), i, card)
		model_incident(m, card);
	json_decref(cards);
}

static int subscribe(const char *lab)
{
	int fd = ctl_connect(lab);
	if (fd < 0)
		return fd;
	json_t *req = json_pack("{s:s}", "cmd", "subscribe");
	ctl_send(fd, req);
	json_decref(req);
	return fd;
}

/* Read every complete event line waiting on fd into the model; -1 when the
 * lab went away. */
static int pump(int fd, struct ctl_reader *rd, struct tm_model *m, bool *first)
{
	for (;;) {
		char *line = NULL;
		int r = ctl_read_line(fd, rd, &line);
		if (r == -EAGAIN)
			return 0;
		if (r <= 0)
			return -1;
		json_t *ev = ctl_parse(line);
		free(line);
		if (ev && !*first)
			model_event(m, ev);
		*first = false; /* the reply to subscribe */
		json_decref(ev);
	}
}

static void act(const char *lab, struct tm_model *m, struct view_state *v, int key)
{
	struct tm_node *n = m->n_nodes ? &m->nodes[v->selected] : NULL;
	json_t *req = NULL, *reply;
	char what[128] = "";
	switch (key) {
	case 'c': case 'f':
		req = json_pack("{s:s, s:s, s:s, s:[]}", "cmd", "fail", "target", n->name, "fault", key == 'c' ? "crash" : "freeze", "args");
		snprintf(what, sizeof(what), "%s %s", key == 'c' ? "crashed" : "froze", n->name);
		break;
	case 'd':
		req = json_pack("{s:s, s:s, s:s, s:[]}", "cmd", "fail", "target", n->links[0], "fault", "down", "args");
		snprintf(what, sizeof(what), "took %s down", n->links[0]);
		break;
	case 'R':
		req = json_pack("{s:s, s:s, s:s, s:[s]}", "cmd", "fail", "target", n->links[0], "fault", "rate", "args", "256");
		snprintf(what, sizeof(what), "capped %s at 256 kbit/s", n->links[0]);
		break;
	case 'D': case 'L':
		if (!m->netem) {
			snprintf(v->message, sizeof(v->message), "this kernel has no netem qdisc: no delay or loss here (R caps a link's rate)");
			return;
		}
		req = key == 'D' ? json_pack("{s:s, s:s, s:s, s:[s]}", "cmd", "fail", "target", n->links[0], "fault", "delay", "args", "200")
				 : json_pack("{s:s, s:s, s:s, s:[s]}", "cmd", "fail", "target", n->links[0], "fault", "loss", "args", "10");
		snprintf(what, sizeof(what), "%s on %s", key == 'D' ? "200 ms delay" : "10 %% loss", n->links[0]);
		break;
	case 'p': {
		struct tm_node *o = &m->nodes[(v->selected + 1) % m->n_nodes];
		req = json_pack("{s:s, s:s, s:[s, s]}", "cmd", "fail", "fault", "partition", "args", n->name, o->name);
		snprintf(what, sizeof(what), "partitioned %s from %s", n->name, o->name);
		break;
	}
	case 'h':
		req = json_pack("{s:s, s:s}", "cmd", "heal", "target", n->name);
		snprintf(what, sizeof(what), "healed %s", n->name);
		break;
	case 'H':
		req = json_pack("{s:s, s:b}", "cmd", "heal", "all", 1);
		snprintf(what, sizeof(what), "healed everything");
		break;
	case 't':
		req = m->traffic_running ? json_pack("{s:s, s:s}", "cmd", "traffic", "action", "stop")
					 : json_pack("{s:s, s:s, s:i, s:i}", "cmd", "traffic", "action", "start", "rate",
						     m->traffic_rate ? m->traffic_rate : 20, "seconds", 600);
		snprintf(what, sizeof(what), "traffic %s", m->traffic_running ? "stopped" : "started");
		break;
	case '+': case '-': {
		int r = m->traffic_rate ? m->traffic_rate : 20;
		r = key == '+' ? r * 2 : r / 2;
		r = r < 1 ? 1 : r > 1000 ? 1000 : r;
		m->traffic_rate = r;
		if (m->traffic_running) { /* restart at the new rate */
			json_decref(call(lab, json_pack("{s:s, s:s}", "cmd", "traffic", "action", "stop"), v->message, sizeof(v->message)));
			req = json_pack("{s:s, s:s, s:i, s:i}", "cmd", "traffic", "action", "start", "rate", r, "seconds", 600);
		}
		snprintf(what, sizeof(what), "traffic rate %d/s", r);
		if (!req) {
			snprintf(v->message, sizeof(v->message), "%s (t starts it)", what);
			return;
		}
		break;
	}
	case 's': {
		/* The node's first daemon, from a fresh status. */
		json_t *st = call(lab, json_pack("{s:s}", "cmd", "status"), v->message, sizeof(v->message));
		const char *daemon = NULL;
		size_t i;
		json_t *jn;
		json_array_foreach(json_object_get(st, "nodes"), i, jn)
			if (strcmp(ctl_str(jn, "name"), n->name) == 0)
				daemon = json_string_value(json_object_get(json_array_get(json_object_get(jn, "daemons"), 0), "name"));
		if (!daemon) {
			snprintf(v->message, sizeof(v->message), "%s runs no daemon", n->name);
			json_decref(st);
			return;
		}
		req = json_pack("{s:s, s:s, s:s, s:[s]}", "cmd", "fail", "target", n->name, "fault", "stop", "args", daemon);
		snprintf(what, sizeof(what), "stopped %s on %s", daemon, n->name);
		json_decref(st);
		break;
	}
	case 'b': { /* an lb's algorithm, the next of three (set LB balance) */
		if (!n->balance[0]) {
			snprintf(v->message, sizeof(v->message), "%s is no load balancer: b changes an lb's algorithm", n->name);
			return;
		}
		const char *next = strcmp(n->balance, "roundrobin") == 0 ? "leastconn"
				   : strcmp(n->balance, "leastconn") == 0 ? "source" : "roundrobin";
		req = json_pack("{s:s, s:s, s:s, s:s}", "cmd", "set", "node", n->name, "key", "balance", "value", next);
		snprintf(what, sizeof(what), "%s balance %s (HAProxy reloaded)", n->name, next);
		break;
	}
	default:
		return;
	}
	if ((reply = call(lab, req, v->message, sizeof(v->message)))) {
		snprintf(v->message, sizeof(v->message), "%s", what);
		json_decref(reply);
	}
}

/* The traced request's packets as a page (the inspect page's scrolling). */
static char *packets_page(json_t *trace)
{
	char *page = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&page, &len);
	fprintf(f, "== packets of request %s, as the switch saw them\n", json_string_value(json_object_get(trace, "rid")));
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(trace, "packets"), i, p)
		/* Two lines a packet, so the columns stay columns at 80. */
		fprintf(f, "%8.1f ms  %-7s %-12s %s -> %s\n             %s\n", json_real_value(json_object_get(p, "ms")),
			json_string_value(json_object_get(p, "proto")), json_string_value(json_object_get(p, "link")),
			json_string_value(json_object_get(p, "from")), json_string_value(json_object_get(p, "to")),
			json_string_value(json_object_get(p, "what")));
	if (json_array_size(json_object_get(trace, "packets")) == 0)
		fprintf(f, "(no packet was seen)\n");
	fclose(f);
	return page;
}

/* The node after (or before) `selected` in the map's order. */
static int step_selection(const struct tm_model *m, int selected, int by)
{
	if (!m->n_nodes)
		return 0;
	int at = 0;
	while (at < m->n_nodes && m->order[at] != selected)
		at++;
	return m->order[(at + by + m->n_nodes) % m->n_nodes];
}

/* Fetch node `name` up close and lay it out as one page of text. */
static char *inspect_page(const char *lab, const char *name, char *msg, size_t size)
{
	json_t *r = call(lab, json_pack("{s:s, s:s}", "cmd", "inspect", "node", name), msg, size);
	if (!r)
		return NULL;
	char *page = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&page, &len);
	json_t *node = json_object_get(r, "node"), *d, *file;
	size_t i;
	fprintf(f, "== node %s · role %s · %s\n", json_string_value(json_object_get(node, "name")),
		json_string_value(json_object_get(node, "role")), json_string_value(json_object_get(node, "state")));
	json_array_foreach(json_object_get(node, "interfaces"), i, d)
		fprintf(f, "   %s %s/%lld on %s (link %s)\n", json_string_value(json_object_get(d, "name")),
			json_string_value(json_object_get(d, "address")), json_integer_value(json_object_get(d, "prefix")),
			json_string_value(json_object_get(d, "network")), json_string_value(json_object_get(d, "link")));
	fprintf(f, "== daemons\n");
	json_array_foreach(json_object_get(node, "daemons"), i, d)
		fprintf(f, "   %-12s %-8s pid %lld %s\n", json_string_value(json_object_get(d, "name")),
			json_string_value(json_object_get(d, "state")), json_integer_value(json_object_get(d, "pid")),
			json_string_value(json_object_get(d, "how")));
	const char *daemon;
	json_t *text;
	json_object_foreach(json_object_get(r, "logs"), daemon, text)
		fprintf(f, "== last lines of %s\n%s", daemon, json_string_value(text));
	json_array_foreach(json_object_get(r, "files"), i, file)
		fprintf(f, "== %s\n%s", json_string_value(json_object_get(file, "path")),
			json_string_value(json_object_get(file, "text")));
	fclose(f);
	json_decref(r);
	return page;
}

static int render_once(struct tm_model *m, int rows, int cols)
{
	FILE *null_out = fopen("/dev/null", "w"), *null_in = fopen("/dev/null", "r");
	SCREEN *scr = newterm("xterm", null_out, null_in);
	if (!scr) {
		fprintf(stderr, "stacklab tui: cannot start curses\n");
		return 1;
	}
	WINDOW *pad = newpad(rows, cols);
	struct view_state v = { .color = false, .unicode = strcmp(nl_langinfo(CODESET), "UTF-8") == 0 };
	view_draw(pad, m, &v, rows, cols);
	wchar_t wide[1024];
	char line[4096];
	for (int y = 0; y < rows; y++) {
		mvwinnwstr(pad, y, 0, wide, cols < 1023 ? cols : 1023);
		size_t n = wcstombs(line, wide, sizeof(line) - 1);
		if (n == (size_t)-1)
			n = 0;
		line[n] = '\0';
		while (n && line[n - 1] == ' ')
			line[--n] = '\0';
		printf("%s\n", line);
	}
	delwin(pad);
	endwin();
	delscreen(scr);
	fclose(null_out);
	fclose(null_in);
	return 0;
}

int tui_main(const struct tui_options *opt)
{
	const char *lab = opt->lab;
	static struct tm_model m;
	char msg[256] = "";
	json_t *st = call(lab, json_pack("{s:s}", "cmd", "status"), msg, sizeof(msg));
	if (!st) {
		fprintf(stderr, "stacklab tui: %s\n", msg);
		return 1;
	}
	load(lab, &m, st);
	json_decref(st);
	setlocale(LC_ALL, "");
	int fd = subscribe(lab);
	if (fd < 0) {
		fprintf(stderr, "stacklab tui: lab %s: %s\n", lab, strerror(-fd));
		return 1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	struct ctl_reader *rd = xcalloc(1, sizeof(*rd));
	bool first = true;

	if (opt->once) {
		/* Half a second of events: link rates and recent results. */
		uint64_t until = now_ms() + 600;
		while (now_ms() < until) {
			struct pollfd p = { fd, POLLIN, 0 };
			poll(&p, 1, 100);
			if (pump(fd, rd, &m, &first) < 0)
				break;
		}
		close(fd);
		free(rd);
		return render_once(&m, opt->rows, opt->cols);
	}

	signal(SIGTERM, on_quit);
	signal(SIGINT, on_quit);
	signal(SIGHUP, on_quit);
	signal(SIGSEGV, on_crash);
	signal(SIGABRT, on_crash);
	initscr();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	set_escdelay(50);
	mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED, NULL);
	curs_set(0);
	timeout(0);
	struct view_state v = { 0 };
	static struct lesson_pane pane;
	if (opt->lesson) {
		if (pane_start(&pane, lab, opt->lesson, opt->lesson_title, opt->lesson_steps, opt->slack, v.message,
			       sizeof(v.message)) == 0)
			v.lesson = &pane;
		v.message_ms = now_ms();
		/* Selected: the node its first step acts on (a node, or a
		 * link NODE-IFACE), so that the fault key the step asks for
		 * lands on it. */
		const char *target = opt->lesson_node;
		for (int i = 0; target && i < m.n_nodes; i++) {
			size_t n = strlen(m.nodes[i].name);
			if (strncmp(target, m.nodes[i].name, n) == 0 && (target[n] == '\0' || target[n] == '-'))
				v.selected = i;
		}
	}
	uint64_t stop_asked = 0;
	v.color = has_colors();
	v.unicode = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	if (v.color)
		view_colors();
	uint64_t last_draw = 0;
	bool dirty = true;
	for (;;) {
		/* Quitting with a lesson running: it cleans up first, on screen. */
		if (quit_signal && v.lesson && v.lesson->pid > 0) {
			if (!stop_asked) {
				pane_stop(v.lesson);
				stop_asked = now_ms();
				dirty = true;
			} else if (now_ms() - stop_asked > 30000) {
				pane_reap(v.lesson, 0);
			}
		} else if (quit_signal) {
			break;
		}
		struct pollfd p[3] = { { STDIN_FILENO, POLLIN, 0 }, { m.gone ? -1 : fd, POLLIN, 0 },
				       { v.lesson ? v.lesson->from : -1, POLLIN, 0 } };
		poll(p, 3, 250);
		if (v.lesson && pane_pump(v.lesson))
			dirty = true;
		if (v.lesson && v.lesson->trace && !v.trace) { /* the lesson traced a request: step through it */
			v.trace = v.lesson->trace;
			v.lesson->trace = NULL;
			v.step = 0;
			v.playing = false;
			v.scroll = 0;
			v.speed = v.speed ? v.speed : 1;
		}
		if (v.lesson && v.lesson->from < 0 && v.lesson->pid > 0 && pane_check(v.lesson))
			dirty = true;
		if (!m.gone && (p[1].revents & (POLLIN | POLLHUP)) && pump(fd, rd, &m, &first) < 0) {
			m.gone = true;
			snprintf(v.message, sizeof(v.message), "the lab went away (stacklab down?): back when it is up again; q quits");
		}
		dirty |= p[1].revents != 0;
		int key;
		while ((key = getch()) != ERR) {
			dirty = true;
			if (v.inspect) { /* the inspect page has keys of its own */
				if (key == 27 || key == '\n' || key == KEY_ENTER || key == 'i' || key == 'q') {
					free(v.inspect);
					v.inspect = NULL;
				} else if (key == KEY_DOWN || key == 'j') {
					v.inspect_top++;
				} else if (key == KEY_UP || key == 'k') {
					v.inspect_top--;
				} else if (key == KEY_NPAGE || key == ' ') {
					v.inspect_top += 10;
				} else if (key == KEY_PPAGE) {
					v.inspect_top -= 10;
				} else if (key == 'r' && m.n_nodes) {
					char *page = inspect_page(lab, m.nodes[v.selected].name, v.message, sizeof(v.message));
					if (page) {
						free(v.inspect);
						v.inspect = page;
					}
				}
				continue;
			}
			MEVENT me;
			/* r (trace) and p (partition) are the map's, which lessons
			 * ask for: retry is u (undo), pause P. */
			if (v.lesson && !v.lesson->ended &&
			    (key == 'n' || key == '\n' || key == KEY_ENTER || key == '?' || key == '>' || key == 'u' || key == 'P')) {
				pane_say(v.lesson, key == '?' ? "hint" : key == '>' ? "skip" : key == 'u' ? "retry" : key == 'P' ? "pause" : "next");
				v.lesson_events = false;
				v.help = false;
				continue;
			}
			if (v.lesson && key == 'e') {
				v.lesson_events = !v.lesson_events;
				continue;
			}
			if (key == KEY_F(1) || (key == '?' && (!v.lesson || v.lesson->ended))) {
				v.help = !v.help;
				continue;
			}
			if (v.help && key == 27) {
				v.help = false;
				continue;
			}
			if (key == 'I') {
				v.incidents = !v.incidents;
				v.scroll = 0;
				continue;
			}
			if (key == 27 && !v.trace) { /* Esc backs out of whatever is open */
				if (v.incidents)
					v.incidents = false;
				else if (v.lesson_events)
					v.lesson_events = false;
				else if (v.filter || v.daemon_lines)
					v.filter = NULL, v.daemon_lines = false;
				v.scroll = 0;
				continue;
			}
			if (v.trace && key == 'p') { /* every packet of the trace, on a page of its own */
				v.inspect = packets_page(v.trace);
				v.inspect_top = 0;
				continue;
			}
			if (v.trace && (key == KEY_RIGHT || key == KEY_LEFT || key == 27 || key == ' ' || key == '+' || key == '-')) {
				/* the stepper: walk, play, pause, speed */
				if (key == 27) {
					json_decref(v.trace);
					v.trace = NULL;
					v.playing = false;
					v.scroll = 0;
				} else if (key == ' ') {
					v.playing = !v.playing;
					if (v.playing && v.step >= (int)json_array_size(json_object_get(v.trace, "hops")) - 1)
						v.step = 0; /* from the start again */
					v.played_ms = now_ms();
				} else if (key == '+' || key == '-') {
					v.speed = key == '+' ? (v.speed >= 4 ? 4 : v.speed * 2) : (v.speed <= 1 ? 1 : v.speed / 2);
					snprintf(v.message, sizeof(v.message), "stepper speed ×%d", v.speed);
					v.message_ms = now_ms();
				} else {
					v.step += key == KEY_RIGHT ? 1 : -1;
					v.playing = false;
					v.scroll = 0;
				}
			} else if (key == 'r' && !m.gone) {
				json_t *traced = call(lab, json_pack("{s:s, s:s}", "cmd", "trace", "path", "/"), v.message, sizeof(v.message));
				v.message_ms = now_ms();
				if (traced) {
					json_decref(v.trace);
					v.trace = traced;
					v.step = 0;
					v.playing = false;
					v.scroll = 0;
					v.speed = v.speed ? v.speed : 1;
					v.message[0] = '\0';
				}
			} else if (key == KEY_MOUSE && getmouse(&me) == OK) { /* a click selects a node */
				int i = view_node_at(&v, m.n_nodes, me.y, me.x);
				if (i >= 0)
					v.selected = i;
			} else if (key == 'q' || key == 'Q')
				quit_signal = -1;
			else if ((key == '\n' || key == KEY_ENTER || key == 'i') && m.n_nodes && !m.gone) {
				v.inspect = inspect_page(lab, m.nodes[v.selected].name, v.message, sizeof(v.message));
				v.inspect_top = 0;
				v.message_ms = now_ms();
			}
			else if (key == '\t' || key == KEY_RIGHT || key == KEY_DOWN)
				v.selected = step_selection(&m, v.selected, 1);
			else if (key == KEY_BTAB || key == KEY_LEFT || key == KEY_UP)
				v.selected = step_selection(&m, v.selected, -1);
			else if (key == 'l')
				v.daemon_lines = !v.daemon_lines;
			else if (key == 'n')
				v.filter = v.filter ? NULL : m.nodes[v.selected].name;
			else if (key == KEY_PPAGE && v.incidents && !v.trace) /* the cards read downwards */
				v.scroll = v.scroll > 5 ? v.scroll - 5 : 0;
			else if (key == KEY_NPAGE && v.incidents && !v.trace)
				v.scroll += 5;
			else if (key == KEY_PPAGE)
				v.scroll += 5;
			else if (key == KEY_NPAGE) /* the stepper's table may move past its start */
				v.scroll = v.scroll > 5 || v.trace ? v.scroll - 5 : 0;
			else if (key != KEY_RESIZE && !m.gone) {
				act(lab, &m, &v, key);
				v.message_ms = now_ms();
			}
		}
		/* A few redraws a second, only of what changed: no flicker. */
		uint64_t now = now_ms();
		static uint64_t last_status, last_try;
		if (m.gone && now - last_try >= 1000) { /* the lab may come back (up again) */
			last_try = now;
			char err[160];
			json_t *back = call(lab, json_pack("{s:s}", "cmd", "status"), err, sizeof(err));
			int nfd = back ? subscribe(lab) : -1;
			if (nfd >= 0) {
				close(fd);
				fd = nfd;
				fcntl(fd, F_SETFL, O_NONBLOCK);
				memset(rd, 0, sizeof(*rd));
				first = true;
				load(lab, &m, back);
				/* What pointed into the old lab goes with it. */
				v.selected = 0;
				v.filter = NULL;
				v.scroll = 0;
				json_decref(v.trace);
				v.trace = NULL;
				v.playing = false;
				free(v.inspect);
				v.inspect = NULL;
				snprintf(v.message, sizeof(v.message), "the lab is back: %s", m.title);
				v.message_ms = now;
				dirty = true;
			}
			json_decref(back);
		}
		if (!m.gone && now - last_status >= 2000) {
			char err[160];
			json_t *fresh = call(lab, json_pack("{s:s}", "cmd", "status"), err, sizeof(err));
			if (fresh) {
				model_refresh(&m, fresh);
				json_decref(fresh);
				dirty = true;
			}
			last_status = now;
		}
		if (v.trace && v.playing && now - v.played_ms >= 1500 / (unsigned)(v.speed ? v.speed : 1)) {
			if (++v.step >= (int)json_array_size(json_object_get(v.trace, "hops")) - 1)
				v.playing = false; /* at the end */
			v.played_ms = now;
			dirty = true;
		}
		if (dirty && now - last_draw >= 100) {
			int rows_now, cols_now;
			getmaxyx(stdscr, rows_now, cols_now);
			view_draw(stdscr, &m, &v, rows_now, cols_now);
			wnoutrefresh(stdscr);
			doupdate();
			last_draw = now;
			dirty = false;
		}
		if (now - last_draw >= 1000)
			dirty = true; /* the sparkline moves with time */
	}
	endwin();
	if (m.traffic_running && !m.gone)
		printf("traffic is still running in lab %s (stacklab traffic stop)\n", lab);
	int result = 0;
	if (v.lesson) {
		pane_reap(v.lesson, 0);
		result = v.lesson->passed && v.lesson->status == 0 ? 0 : 1;
		printf("lesson %s: %s\n", opt->lesson_title, v.lesson->passed ? "passed" : stop_asked ? "stopped" : "not passed");
		for (int i = 0; i < v.lesson->n; i++) /* where the journal went */
			if (strncmp(v.lesson->lines[i].text, "journal: ", 9) == 0)
				printf("%s\n", v.lesson->lines[i].text);
	}
	free(v.inspect);
	json_decref(v.trace);
	close(fd);
	free(rd);
	return result;
}

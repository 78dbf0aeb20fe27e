/* view.c — the TUI's screen (see view.h). Nodes sit in columns by tier, as
 * the topology's roles say (client and dns, the lbs, web, app, db), each
 * coloured by state, with its address, its VRRP state and the VIP at the lb
 * that holds it, HAProxy's view of the web servers, and the traffic on its
 * links (bold while traffic crosses them). */
#define _XOPEN_SOURCE_EXTENDED 1
#include "view.h"

#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <time.h>

enum { C_UP = 1, C_DOWN, C_FROZEN, C_DEGRADED, C_TITLE, C_VIP };

void view_colors(void)
{
	start_color();
	use_default_colors();
	init_pair(C_UP, COLOR_GREEN, -1);
	init_pair(C_DOWN, COLOR_RED, -1);
	init_pair(C_FROZEN, COLOR_CYAN, -1);
	init_pair(C_DEGRADED, COLOR_YELLOW, -1);
	init_pair(C_TITLE, COLOR_BLACK, COLOR_CYAN);
	init_pair(C_VIP, COLOR_MAGENTA, -1);
}

static int state_color(const struct tm_node *n)
{
	if (strcmp(n->state, "up") != 0)
		return strcmp(n->state, "frozen") == 0 ? C_FROZEN : C_DOWN;
	return n->daemon_down || n->link_down ? C_DEGRADED : C_UP;
}

/* Text at y, x, cut to `width` columns (not bytes: ↑ is three of them). */
static void put(WINDOW *w, int y, int x, int width, attr_t attr, const char *text)
{
	if (width <= 0)
		return;
	wchar_t wide[512];
	size_t n = mbstowcs(wide, text, 511);
	wattron(w, attr);
	if (n == (size_t)-1)
		mvwaddnstr(w, y, x, text, width); /* not valid here: as bytes */
	else
		mvwaddnwstr(w, y, x, wide, width);
	wattroff(w, attr);
}

/* Columns `text` takes (its characters: the map draws none wider). */
static int width_of(const char *text)
{
	size_t n = mbstowcs(NULL, text, 0);
	return n == (size_t)-1 ? (int)strlen(text) : (int)n;
}

/* Text cut to `width` columns at a word boundary, never inside a word (a
 * single word too long keeps what fits and ends in ~). */
static void fit(char *out, size_t size, const char *text, int width)
{
	snprintf(out, size, "%s", text);
	while (width_of(out) > width) {
		char *space = strrchr(out, ' ');
		if (space && space != out) {
			*space = '\0';
		} else {
			wchar_t wide[256];
			size_t n = mbstowcs(wide, out, 255);
			if (n == (size_t)-1 || width < 1) {
				out[0] = '\0';
				return;
			}
			size_t keep = (size_t)width < n ? (size_t)width : n;
			wide[keep - 1] = L'~';
			wide[keep] = L'\0';
			if (wcstombs(out, wide, size) == (size_t)-1)
				out[0] = '\0';
			out[size - 1] = '\0';
			return;
		}
	}
}

/* put() of whole words only. */
static void put_fit(WINDOW *w, int y, int x, int width, attr_t attr, const char *text)
{
	char line[512];
	fit(line, sizeof(line), text, width);
	put(w, y, x, width, attr, line);
}

/* HAProxy's view of its servers, by rule: "web1 UP web2 DOWN" where it
 * fits, else "web1✓ web2✗" (✓ UP, ✗ DOWN, ~ DRAIN or MAINT). */
static void servers_text(char *out, size_t size, const struct tm_node *n, bool symbols, bool unicode)
{
	size_t len = 0;
	out[0] = '\0';
	for (int k = 0; k < n->n_servers && len < size; k++) {
		const char *st = n->servers[k].state;
		const char *mark = strcmp(st, "UP") == 0 ? (unicode ? "✓" : "+") : strcmp(st, "DOWN") == 0 ? (unicode ? "✗" : "-") : "~";
		len += (size_t)snprintf(out + len, size - len, "%s%s%s%s", k ? " " : "", n->servers[k].name,
					symbols ? "" : " ", symbols ? mark : st);
	}
}

/* Is node i on the trace being stepped through (*current: its hop now)? */
static bool on_trace(const struct view_state *v, const struct tm_node *n, int *current)
{
	bool on = false;
	*current = 0;
	size_t k;
	json_t *h;
	json_array_foreach(json_object_get(v->trace, "hops"), k, h) {
		bool here = strcmp(ctl_str(h, "node"), n->name) == 0;
		on |= here;
		*current |= here && (int)k == v->step;
	}
	return on;
}

/* The authoritative DNS servers (root, com, foobar.com's) are the chain
 * behind the resolver: a word each, side by side, where the map is small
 * (its state in its colour, the selection reversed, the stepper's mark
 * as for any node), a line each with its address where there is room.
 * False when its column had no room left for it. */
static bool draw_dns_server(WINDOW *w, struct tm_model *m, struct view_state *v, int i, int t, int x, int iw, bool roomy,
			    int bottom, int row[], int word_x[])
{
	struct tm_node *n = &m->nodes[i];
	int current = 0;
	bool path = v->trace && on_trace(v, n, &current);
	const char *mark = current ? (v->unicode ? "◆" : "@") : path ? (v->unicode ? "●" : "*") : v->unicode ? "■" : "#";
	char word[96];
	if (roomy)
		snprintf(word, sizeof(word), "%s %s %s", mark, n->name, n->addr);
	else
		snprintf(word, sizeof(word), "%s%s", mark, n->name);
	int len = width_of(word) < iw ? width_of(word) : iw;
	if (roomy || word_x[t] < 0 || word_x[t] + len > x + iw) { /* a new row */
		if (row[t] >= bottom)
			return false; /* no room left in this column */
		word_x[t] = x;
		row[t]++;
	}
	attr_t a = (v->color ? COLOR_PAIR(state_color(n)) : 0) | A_BOLD | (i == v->selected ? A_REVERSE : 0) |
		   (current ? A_UNDERLINE : 0);
	put_fit(w, row[t] - 1, word_x[t], len, a, word);
	v->at[i].y = (short)(row[t] - 1);
	v->at[i].x = (short)word_x[t];
	v->at[i].w = (short)len;
	v->at[i].h = 1;
	word_x[t] += len + 1;
	return true;
}

/* Is node `name` one of the VIP's holders (a list of names)? */
static bool holds_vip(const struct tm_model *m, const char *name)
{
	for (const char *h = m->holders; *h;) {
		size_t len = strcspn(h, " ");
		if (len == strlen(name) && strncmp(h, name, len) == 0)
			return true;
		h += len + (h[len] == ' ');
	}
	return false;
}

/* Draws the map, in boxes when `boxes` and there is room for them; returns
 * how many nodes found no room. */
static int draw_map_as(WINDOW *w, struct tm_model *m, struct view_state *v, int top, int height, int cols, int boxes)
{
	int dropped = 0;
	static const char *const tier_names[] = { "clients", "load balancers", "web", "app", "database" };
	static const char *const tier_short[] = { "clients", "lbs", "web", "app", "db" };
	/* A column for each tier the lab has: one server of three roles (the
	 * single design) gets half the map, not a fifth of it. Its column is
	 * "servers" when a node in it has several roles. */
	int col_of[5], tiers = 0;
	bool multi[5] = { false };
	for (int t = 0; t < 5; t++) {
		col_of[t] = -1;
		for (int i = 0; i < m->n_nodes; i++) {
			int nt = m->nodes[i].tier < 0 || m->nodes[i].tier > 4 ? 4 : m->nodes[i].tier;
			if (nt == t && col_of[t] < 0)
				col_of[t] = tiers++;
			multi[t] |= nt == t && strchr(m->nodes[i].role, ' ');
		}
	}
	if (tiers == 0)
		tiers = 1;
	int colw = cols / tiers, iw = colw - 2;
	bool roomy = height >= 18;    /* 120x40 and up: each node's daemons too */
	/* 200x60 and up: each node in a box of its own, big enough to read
	 * from the back of a classroom. */
	bool boxed = boxes > 0 && height >= 30 && colw >= 28;
	bool dns_boxed = boxes > 1; /* else the DNS servers a line each, under the boxes */
	if (boxed)
		iw = colw - 6;
	for (int t = 0; t < 5; t++) {
		const char *name = multi[t] ? "servers" : width_of(tier_names[t]) <= iw ? tier_names[t] : tier_short[t];
		if (col_of[t] >= 0)
			put_fit(w, top, col_of[t] * colw, iw, A_BOLD, name);
	}
	/* The networks and the legend take the map's last lines when there is room. */
	int reserve = height >= 16 ? m->n_nets + 1 : 0;
	int row[5] = { top + 1, top + 1, top + 1, top + 1, top + 1 };
	int word_x[5] = { -1, -1, -1, -1, -1 }; /* where the next DNS server's word goes on its row */
	for (int o = 0; o < m->n_nodes; o++) {
		int i = m->order[o];
		struct tm_node *n = &m->nodes[i];
		int tier = n->tier < 0 || n->tier > 4 ? 4 : n->tier, t = col_of[tier];
		int y = row[t] + boxed, x = t * colw + 2 * boxed;
		v->at[i].y = -1;
		if (strcmp(n->role, "dns") == 0 && !(boxed && dns_boxed)) {
			dropped += !draw_dns_server(w, m, v, i, t, x, iw, roomy, top + height - reserve, row, word_x);
			continue;
		}
		if (word_x[t] >= 0) { /* a line between the DNS servers and the next node */
			word_x[t] = -1;
			y = ++row[t];
		}
		if (y + 3 + boxed > top + height - reserve) {
			dropped++;
			continue; /* no room left in this column */
		}
		v->at[i].y = (short)y;
		v->at[i].x = (short)x;
		v->at[i].w = (short)colw;
		v->at[i].h = 4;
		row[t] += 4;
		/* The link into this tier: an arrow from the column before, bold
		 * while traffic crosses it, marked when the link is down. */
		/* While stepping through a trace: its path stays marked, the
		 * current hop's node stands out and the link it came in by is lit. */
		int current = 0;
		bool on_path = v->trace && on_trace(v, n, &current);
		/* The arrow into a tier is drawn once, at its first node; a link
		 * that is down is marked at its own node. */
		bool first_of_tier = row[t] == top + 1;
		if (t > 0 && (first_of_tier || n->link_down)) {
			bool flowing = n->rx_bps + n->tx_bps > 20000;
			const char *arrow = n->link_down ? (v->unicode ? "╳ " : "x ") : (v->unicode ? "▶ " : "> ");
			put(w, y, t * colw - 2, 2, current ? A_BOLD | A_REVERSE : flowing ? A_BOLD : A_DIM, arrow);
		}
		/* The selection is reversed; the stepper's hop is ◆, bold and underlined. */
		attr_t sel = (i == v->selected ? A_REVERSE : 0) | (current ? A_UNDERLINE : 0);
		attr_t col = v->color ? COLOR_PAIR(state_color(n)) : 0;
		char line[160];
		bool vip = holds_vip(m, n->name);
		snprintf(line, sizeof(line), "%s%s", current ? (v->unicode ? "◆ " : "@ ") : on_path ? (v->unicode ? "● " : "* ")
			 : v->unicode ? "■ " : "# ", n->name);
		put_fit(w, y, x, iw, col | sel | A_BOLD, line);
		int at = x + width_of(line) + 1;
		if (vip) { /* the VIP is a badge on its holder */
			const char *badge = m->split_brain ? "VIP!" : "VIP";
			if (at + width_of(badge) <= x + iw)
				put(w, y, at, width_of(badge), (v->color ? COLOR_PAIR(C_VIP) : 0) | A_BOLD | A_REVERSE, badge);
			at += width_of(badge) + 1;
		}
		if (n->firewall[0]) { /* a firewalled node: FW, or FW OFF in reverse when a fault took it down */
			bool off = strcmp(n->firewall, "off") == 0;
			const char *badge = off ? "FW OFF" : "FW";
			if (at + width_of(badge) <= x + iw)
				put(w, y, at, width_of(badge), off ? A_BOLD | A_REVERSE : A_BOLD, badge);
		}
		put_fit(w, y + 1, x, iw, col, n->addr);
		char rx[16], tx[16];
		format_rate(rx, sizeof(rx), n->rx_bps);
		format_rate(tx, sizeof(tx), n->tx_bps);
		bool busy = n->rx_bps + n->tx_bps > 20000;
		put_fit(w, y + 2, x, iw, col | A_BOLD, n->state);
		snprintf(line, sizeof(line), "%s%s %s%s", v->unicode ? "↑" : "^", rx, v->unicode ? "↓" : "v", tx);
		int sx = width_of(n->state) + 1;
		if (n->link_down && width_of(line) + 10 <= iw - sx) /* whole, or the ╳ says it */
			snprintf(line + strlen(line), sizeof(line) - strlen(line), " LINK DOWN");
		put_fit(w, y + 2, x + sx, iw - sx, busy ? A_BOLD : A_DIM, line);
		int extra = 0;
		if (n->vip_to[0]) { /* what the client's ARP table says: where users go */
			snprintf(line, sizeof(line), "VIP%s%s", v->unicode ? "→" : "->", n->vip_to);
			put_fit(w, y + 3, x, iw, m->holders[0] && !strstr(m->holders, n->vip_to) ? A_BOLD | A_REVERSE : 0, line);
			extra = 1;
		} else if (n->vrrp[0] || n->n_servers) {
			/* A crashed lb has no HAProxy to ask: no view to show. */
			bool alive = strcmp(n->state, "crashed") != 0 && strcmp(n->state, "down") != 0;
			char servers[128] = "";
			if (alive)
				servers_text(servers, sizeof(servers), n, false, v->unicode);
			snprintf(line, sizeof(line), "%s%s%s", n->vrrp, n->vrrp[0] && servers[0] ? " " : "", servers);
			if (width_of(line) <= iw) {
				put(w, y + 3, x, iw, 0, line);
				extra = 1;
			} else {
				put_fit(w, y + 3, x, iw, 0, n->vrrp[0] ? n->vrrp : "");
				if (width_of(servers) > iw)
					servers_text(servers, sizeof(servers), n, true, v->unicode);
				extra = n->vrrp[0] != 0;
				/* By whole words, on as many rows as they take: a
				 * server's state is never cut off. */
				for (const char *p = servers; *p && extra < 4;) {
					char row_text[128] = "";
					while (*p) {
						size_t len = strcspn(p, " ");
						char word[64];
						snprintf(word, sizeof(word), "%.*s", (int)len, p);
						char with[192];
						snprintf(with, sizeof(with), "%s%s%s", row_text, row_text[0] ? " " : "", word);
						if (row_text[0] && width_of(with) > iw)
							break;
						snprintf(row_text, sizeof(row_text), "%s", with);
						p += len + (p[len] == ' ');
					}
					put_fit(w, y + 3 + extra, x, iw, 0, row_text);
					extra++;
				}
			}
		}
		if (strchr(n->role, ' ')) { /* one server, several roles */
			put_fit(w, y + 3 + extra, x, iw, A_DIM, n->role);
			extra++;
		}
		if (n->qps >= 0) { /* what the monitor's Prometheus says it serves */
			snprintf(line, sizeof(line), "Prom %.1f req/s", n->qps);
			put_fit(w, y + 3 + extra, x, iw, 0, line);
			extra++;
		}
		if (n->repl.role[0] && strcmp(n->state, "up") == 0) { /* its database's part in replication */
			bool running = strcmp(n->repl.io, "Yes") == 0 && strcmp(n->repl.sql, "Yes") == 0;
			if (strcmp(n->repl.role, "primary") == 0)
				snprintf(line, sizeof(line), "db primary");
			else if (running && n->repl.lag >= 0)
				snprintf(line, sizeof(line), "replica%s %ld behind", v->unicode ? "✓" : "+", n->repl.lag);
			else
				snprintf(line, sizeof(line), "replica%s %s", running ? (v->unicode ? "✓" : "+") : (v->unicode ? "✗" : "-"),
					 running ? "" : strcmp(n->repl.io, "Yes") ? n->repl.io : "sql stopped");
			bool bad = strcmp(n->repl.role, "replica") == 0 && (!running || n->repl.lag > 0);
			put_fit(w, y + 3 + extra, x, iw, bad ? A_BOLD : 0, line);
			extra++;
		}
		char talks[96];
		model_talks_to(m, n->name, (double)time(NULL), 5, talks, sizeof(talks));
		if (talks[0]) { /* where this web server's requests really went */
			snprintf(line, sizeof(line), "app: %s", talks);
			put_fit(w, y + 3 + extra, x, iw, A_BOLD, line);
			extra++;
		}
		for (int k = 0; roomy && n->n_links > 1 && k < n->n_links; k++) { /* each link's own rates */
			char lrx[16], ltx[16];
			format_rate(lrx, sizeof(lrx), n->link_rx[k]);
			format_rate(ltx, sizeof(ltx), n->link_tx[k]);
			const char *ifc = strchr(n->links[k], '-');
			snprintf(line, sizeof(line), "%s %s%s %s%s", ifc ? ifc + 1 : n->links[k], v->unicode ? "↑" : "^", lrx,
				 v->unicode ? "↓" : "v", ltx);
			put_fit(w, y + 3 + extra, x, iw, A_DIM, line);
			extra++;
		}
		if (roomy && n->daemons[0]) {
			put_fit(w, y + 3 + extra, x, iw, A_DIM, n->daemons);
			extra++;
		}
		if (roomy && n->balance[0]) {
			snprintf(line, sizeof(line), "balance %s", n->balance);
			put_fit(w, y + 3 + extra, x, iw, A_DIM, line);
			extra++;
		}
		row[t] += extra;
		if (boxed) { /* the box around what was drawn: rows y-1 to y+3+extra */
			int bx = t * colw, bw = colw - 3, bottom = y + 3 + extra;
			if (bottom >= top + height - reserve)
				bottom = top + height - reserve - 1;
			attr_t a = (v->color ? COLOR_PAIR(state_color(n)) : 0) | (i == v->selected ? A_BOLD : 0);
			wattron(w, a);
			mvwaddstr(w, y - 1, bx, v->unicode ? "╭" : "+");
			mvwaddstr(w, y - 1, bx + bw, v->unicode ? "╮" : "+");
			mvwaddstr(w, bottom, bx, v->unicode ? "╰" : "+");
			mvwaddstr(w, bottom, bx + bw, v->unicode ? "╯" : "+");
			for (int k = bx + 1; k < bx + bw; k++) {
				mvwaddstr(w, y - 1, k, v->unicode ? "─" : "-");
				mvwaddstr(w, bottom, k, v->unicode ? "─" : "-");
			}
			for (int k = y; k < bottom; k++) {
				mvwaddstr(w, k, bx, v->unicode ? "│" : "|");
				mvwaddstr(w, k, bx + bw, v->unicode ? "│" : "|");
			}
			wattroff(w, a);
			row[t] = bottom + 2; /* and a line between boxes */
		}
	}
	if (!reserve)
		return dropped;
	/* The networks, with their bridges and who is on them. */
	int y = top + height - reserve;
	for (int k = 0; k < m->n_nets; k++) {
		char line[300];
		snprintf(line, sizeof(line), "%s %s %s (bridge %s): %s", v->unicode ? "═" : "=", m->nets[k].name,
			 m->nets[k].subnet, m->nets[k].bridge, m->nets[k].members);
		put_fit(w, y++, 0, cols, A_DIM, line);
	}
	put_fit(w, y, 0, cols, A_DIM,
		v->unicode ? "■ node  ▶ link (bold: busy)  ╳ down  ↑ from node ↓ to it, bit/s  ✓ UP ✗ DOWN  ? all keys"
			   : "# node  > link (bold: busy)  x down  ^ from node v to it, bit/s  + UP - DOWN  ? all keys");
	return dropped;
}

/* Boxes where every node fits in one; else boxes with the DNS servers a
 * line each; else the plain map, which holds the most: nothing may vanish
 * because the screen is big (five boxes overran the clients' column at
 * 200x60). */
static void draw_map(WINDOW *w, struct tm_model *m, struct view_state *v, int top, int height, int cols)
{
	for (int boxes = 2; boxes >= 0; boxes--) {
		if (boxes < 2)
			for (int y = top; y < top + height; y++) {
				wmove(w, y, 0);
				wclrtoeol(w);
			}
		if (draw_map_as(w, m, v, top, height, cols, boxes) == 0 || boxes == 0)
			return;
	}
}

static void draw_traffic(WINDOW *w, struct tm_model *m, struct view_state *v, int y, int cols)
{
	time_t now = time(NULL);
	double p50, p99;
	model_latency(m, (double)now, &p50, &p99);
	long ok = 0, err = 0;
	for (int i = 1; i <= 10 && i < TM_HISTORY; i++) {
		long age = m->bucket_sec - (now - i); /* the bucket of second now - i */
		if (age >= 0 && age < TM_HISTORY) {
			ok += m->ok[age];
			err += m->err[age];
		}
	}
	char line[256];
	snprintf(line, sizeof(line), "traffic %s%s  %.0f req/s  last 10 s: %ld ok, %ld failed  p50 %.1f ms  p99 %.1f ms",
		 m->traffic_running ? "running" : "stopped", "", model_rate(m, (long)now), ok, err, p50, p99);
	/* How the lbs spread the answers (set LB balance changes it), where it fits. */
	char spread[128];
	model_spread(m, (double)now, spread, sizeof(spread));
	if (spread[0] && width_of(line) + 3 + width_of(spread) <= cols)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "  %s", spread);
	put(w, y, 0, cols, A_BOLD, line);
	static const char *const bars_u[] = { " ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	static const char *const bars_a[] = { " ", ".", ".", ":", ":", "=", "=", "#", "#" };
	/* The height is the requests answered; a second with failures is a
	 * mark of its own, so an outage shows on a monochrome projector. */
	long max = 1;
	for (int i = 0; i < TM_HISTORY; i++)
		max = m->ok[i] > max ? m->ok[i] : max;
	wmove(w, y + 1, 0);
	waddstr(w, "last minute ");
	for (int i = TM_HISTORY - 1; i >= 1 && getcurx(w) < cols - 1; i--) {
		long age = m->bucket_sec - (now - i); /* the bucket of second now - i */
		long good = age >= 0 && age < TM_HISTORY ? m->ok[age] : 0;
		long bad = age >= 0 && age < TM_HISTORY ? m->err[age] : 0;
		if (bad) {
			attr_t a = A_BOLD | (v->color ? COLOR_PAIR(C_DOWN) : 0);
			wattron(w, a);
			waddstr(w, v->unicode ? "╳" : "x");
			wattroff(w, a);
		} else {
			waddstr(w, (v->unicode ? bars_u : bars_a)[good * 8 / max]);
		}
	}
}

/* Where text of n wide characters breaks into rows of at most `width`
 * columns: at spaces, mid-word only for a word longer than a row. Returns
 * the number of rows (at most max), each a start and a length. */
static int break_rows(const wchar_t *text, size_t n, int width, size_t start[], size_t len[], int max)
{
	int rows = 0;
	size_t at = 0;
	while (at < n && rows < max) {
		while (rows > 0 && at < n && text[at] == L' ') /* a row that wraps starts at a word */
			at++;
		size_t end = at + (size_t)width;
		if (end >= n) {
			end = n;
		} else {
			size_t cut = end;
			while (cut > at && text[cut] != L' ')
				cut--;
			if (cut > at)
				end = cut;
		}
		start[rows] = at;
		len[rows++] = end - at;
		at = end;
	}
	if (rows == 0 && max > 0)
		start[0] = len[0] = 0, rows = 1;
	return rows;
}

/* Text wrapped over the lines from y, at most `max` of them; returns how many. */
static int wrap(WINDOW *w, int y, int cols, int max, attr_t attr, const char *text)
{
	wchar_t wide[2048];
	size_t n = mbstowcs(wide, text, 2047), start[64], len[64];
	if (n == (size_t)-1 || max <= 0)
		return 0;
	for (size_t k = 0; k < n; k++) /* a log's tabs (MariaDB's) as spaces */
		if (wide[k] == L'\t' || wide[k] == L'\r')
			wide[k] = L' ';
	int rows = break_rows(wide, n, cols - 2, start, len, max < 64 ? max : 64);
	wattron(w, attr);
	for (int k = 0; k < rows; k++)
		mvwaddnwstr(w, y + k, 2, wide + start[k], (int)len[k]);
	wattroff(w, attr);
	return rows;
}

static void draw_stepper(WINDOW *w, struct view_state *v, int top, int height, int cols)
{
	json_t *hops = json_object_get(v->trace, "hops");
	int n = (int)json_array_size(hops);
	if (v->step >= n)
		v->step = n - 1;
	if (v->step < 0)
		v->step = 0;
	char line[512];
	const char *stopped = json_string_value(json_object_get(v->trace, "stopped_at"));
	snprintf(line, sizeof(line), "trace %s  %s → %lld%s%s", json_string_value(json_object_get(v->trace, "rid")),
		 json_string_value(json_object_get(v->trace, "url")), json_integer_value(json_object_get(v->trace, "status")),
		 stopped ? ", stopped at " : "", stopped ? stopped : "");
	put(w, top, 0, cols, A_BOLD | A_UNDERLINE, line);
	json_t *h = json_array_get(hops, (size_t)v->step);
	if (!h) {
		put(w, top + 1, 0, cols, 0, "no hop was found in the logs");
		return;
	}
	snprintf(line, sizeof(line), "hop %d/%d %s on %s", v->step + 1, n, json_string_value(json_object_get(h, "hop")),
		 json_string_value(json_object_get(h, "node")));
	if (json_object_get(h, "at_ms"))
		snprintf(line + strlen(line), sizeof(line) - strlen(line), " at +%.1f ms", json_real_value(json_object_get(h, "at_ms")));
	if (json_object_get(h, "ms"))
		snprintf(line + strlen(line), sizeof(line) - strlen(line), ", took %.1f ms", json_real_value(json_object_get(h, "ms")));
	snprintf(line + strlen(line), sizeof(line) - strlen(line), " %s %s", v->unicode ? "·" : "|",
		 json_string_value(json_object_get(h, "link")));
	put_fit(w, top + 1, 0, cols, A_BOLD, line);
	int y = top + 2, bottom = top + height;
	y += wrap(w, y, cols, bottom - y - 1 > 3 ? 3 : bottom - y - 1, 0, json_string_value(json_object_get(h, "explain")));
	snprintf(line, sizeof(line), "| %s", json_string_value(json_object_get(h, "line")));
	y += wrap(w, y, cols, bottom - y > 3 ? 3 : bottom - y, A_DIM, line);
	/* The packets of this hop, as the switch saw them: from its time to
	 * the next hop's. */
	json_t *packets = json_object_get(v->trace, "packets"), *p;
	double from = json_real_value(json_object_get(h, "at_ms")), to = 1e12;
	for (size_t j = (size_t)v->step + 1; j < json_array_size(hops); j++) { /* the next hop that is later */
		json_t *at = json_object_get(json_array_get(hops, j), "at_ms");
		if (at && json_real_value(at) > from) {
			to = json_real_value(at);
			break;
		}
	}
	if (v->step == 0)
		from = -1e12;
	size_t k, first = SIZE_MAX, count = 0;
	json_array_foreach(packets, k, p) {
		double ms = json_real_value(json_object_get(p, "ms"));
		/* Times are rounded to 0.1 ms, hops' and packets' apart: a hop's
		 * own first packet may read a tenth earlier. */
		if (ms >= from - 0.15 && ms < to - 0.15) {
			first = first == SIZE_MAX ? k : first;
			count++;
		}
	}
	if (y >= bottom || !json_array_size(packets))
		return;
	if (bottom - y < 3) { /* no room for the table: what this hop sent */
		snprintf(line, sizeof(line), "packets of this hop: %zu", count);
		const char *seen[8];
		int n_seen = 0;
		for (size_t j = first; count && j < first + count; j++) { /* its protocols, once each */
			const char *proto = json_string_value(json_object_get(json_array_get(packets, j), "proto"));
			int q = 0;
			while (q < n_seen && strcmp(seen[q], proto) != 0)
				q++;
			if (q == n_seen && n_seen < 8)
				seen[n_seen++] = proto;
		}
		for (int q = 0; q < n_seen; q++)
			snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s", q ? " " : " (", seen[q]);
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s  p: all packets", n_seen ? ")" : "");
		put_fit(w, y, 0, cols, 0, line);
		return;
	}
	snprintf(line, sizeof(line), "packets, as the switch saw them (%zu of this hop; PgUp PgDn scroll, Space plays)", count);
	put_fit(w, y++, 0, cols, A_UNDERLINE, line);
	size_t rows = (size_t)(bottom - y), start = first == SIZE_MAX ? 0 : first > 1 ? first - 1 : 0;
	if (count + 1 < rows && start > (rows - count - 1) / 2)
		start -= (rows - count - 1) / 2;
	/* PgUp and PgDn move the table: nothing is cut for good. */
	long home = (long)start, moved = home - v->scroll;
	long last = (long)json_array_size(packets) - 1;
	start = (size_t)(moved < 0 ? 0 : moved > last ? last : moved);
	v->scroll = (int)(home - (long)start); /* no presses piled up past an end */
	for (k = start; k < json_array_size(packets) && y < bottom; k++) {
		p = json_array_get(packets, k);
		bool mine = first != SIZE_MAX && k >= first && k < first + count;
		snprintf(line, sizeof(line), "%s%8.1f %-12s %s %s %s  %-7s %s", mine ? (v->unicode ? "▶" : ">") : " ",
			 json_real_value(json_object_get(p, "ms")), json_string_value(json_object_get(p, "link")),
			 json_string_value(json_object_get(p, "from")), v->unicode ? "→" : "->",
			 json_string_value(json_object_get(p, "to")), json_string_value(json_object_get(p, "proto")),
			 json_string_value(json_object_get(p, "what")));
		put(w, y++, 0, cols, mine ? A_BOLD : A_DIM, line);
	}
}

static const char *const help_lines[] = {
	"Tab, arrows  select a node (in the map's order); a click selects too",
	"c  crash it   f  freeze it   s  stop its first daemon   d  take its link down",
	"R  cap its first link at 256 kbit/s (tbf)    b  an lb's next balance algorithm",
	"D  delay its first link 200 ms (netem)    L  drop 10 % of its packets (netem)",
	"p  partition it from the next node    h  heal it    H  heal everything",
	"t  start/stop traffic    +  -  traffic rate",
	"Enter, i  inspect the node: daemons, rendered config files, last log lines",
	"r  trace a request: Left/Right walk its hops, Space plays, p all its packets",
	"I  incident cards: each fault and heal, what followed, what users felt",
	"l  daemon lines instead of events    n  only the selected node's lines",
	"PgUp PgDn  scroll    Esc  back out of anything    ?  F1  this help    q  quit",
	"In a lesson: n, Enter  next step   ?  hint now   >  let the lesson do the step",
	"             u  undo a wrong fault, try again   P  pause its clocks   e  events",
	"             q  stop it (its cleanup runs)",
	"",
	"Legend",
	"■ a node (colour: green up, red down/crashed, cyan frozen, yellow degraded)",
	"● on the traced request's path  ◆ the hop shown  ▶ a link (bold: busy)",
	"╳ a link that is down   VIP the VIP's holder   ↑ from the node ↓ to it, bit/s",
	"VIP→lb1 the holder the client's ARP entry points to   app: a web's upstreams",
	"FW a firewall (FW OFF: a fault took it down)   replica✓ N behind: its lag",
	"Sparkline: requests answered each second; ╳ a second with failed requests",
};

/* The keys and the legend over the whole screen: it fits 80x24. */
static void draw_help(WINDOW *w, struct tm_model *m, struct view_state *v, int rows, int cols)
{
	put(w, 1, 0, cols, A_BOLD | A_UNDERLINE, "keys  (? or Esc: back)");
	int n = (int)(sizeof(help_lines) / sizeof(help_lines[0]));
	for (int i = 0, y = 2; i < n && y < rows - 1; i++) {
		const char *line = help_lines[i];
		if (!m->netem && strstr(line, "(netem)"))
			continue; /* this kernel cannot: not offered */
		char ascii[200];
		if (!v->unicode) { /* the same legend, as the ASCII map draws it */
			static const char *const map[][2] = { { "■", "#" }, { "●", "*" }, { "◆", "@" }, { "▶", ">" }, { "╳", "x" },
							      { "↑", "^" }, { "↓", "v" }, { "→", "->" } };
			size_t o = 0;
			for (const char *p = line; *p && o < sizeof(ascii) - 3;) {
				size_t k = 0;
				while (k < sizeof(map) / sizeof(map[0]) && strncmp(p, map[k][0], strlen(map[k][0])) != 0)
					k++;
				if (k < sizeof(map) / sizeof(map[0])) {
					o += (size_t)snprintf(ascii + o, sizeof(ascii) - o, "%s", map[k][1]);
					p += strlen(map[k][0]);
				} else {
					ascii[o++] = *p++;
				}
			}
			ascii[o] = '\0';
			line = ascii;
		}
		put(w, y++, 0, cols, strcmp(line, "Legend") == 0 ? A_BOLD | A_UNDERLINE : 0, line);
	}
}


static void draw_log(WINDOW *w, struct tm_model *m, struct view_state *v, int top, int height, int cols)
{
	char title[128];
	snprintf(title, sizeof(title), "%s%s%s  (%s, I: incidents)", v->daemon_lines ? "daemon lines" : "events",
		 v->filter ? " of " : "", v->filter ? v->filter : "", v->daemon_lines ? "l: events" : "l: daemon lines");
	put(w, top, 0, cols, A_BOLD | A_UNDERLINE, title);
	int shown = 0, skipped = 0;
	int n = v->daemon_lines ? m->daemon_n : m->log_n;
	for (int i = n - 1; i >= 0 && shown < height - 1; i--) {
		const char *text = v->daemon_lines ? m->daemon_log[i] : m->log[i].text;
		if (v->filter && !strstr(text, v->filter))
			continue;
		if (skipped++ < v->scroll)
			continue;
		char line[240];
		if (!v->daemon_lines && m->log[i].count > 1)
			snprintf(line, sizeof(line), "%s %s%d", text, v->unicode ? "×" : "x", m->log[i].count);
		else
			snprintf(line, sizeof(line), "%s", text);
		put(w, top + height - 1 - shown, 0, cols, 0, line);
		shown++;
	}
}

/* The incident cards, newest first: what was done, what followed and when,
 * what users felt. The newest gets the room; older ones a line each. */
static void draw_incidents(WINDOW *w, struct tm_model *m, struct view_state *v, int top, int height, int cols)
{
	put_fit(w, top, 0, cols, A_BOLD | A_UNDERLINE, "incidents, newest first  (PgUp PgDn scroll, I: events)");
	if (m->n_incidents == 0) {
		put_fit(w, top + 1, 0, cols, 0, "none yet: break something (c, f, d, s...) and its card appears here");
		return;
	}
	/* Every card whole, as lines; PgUp and PgDn move through them. */
	static char lines[TM_INCIDENTS * 20][200];
	static attr_t attrs[TM_INCIDENTS * 20];
	int n = 0;
	for (int k = m->n_incidents - 1; k >= 0; k--) {
		const struct tm_incident *i = &m->incidents[k];
		time_t at = (time_t)i->at;
		struct tm tm;
		localtime_r(&at, &tm);
		char when[16];
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		snprintf(lines[n], sizeof(lines[0]), "#%d %s.%03d %s%s", i->id, when, (int)((i->at - (double)at) * 1000),
			 i->what, i->open ? " (open)" : "");
		attrs[n++] = A_BOLD;
		if (i->ok + i->failed == 0)
			snprintf(lines[n], sizeof(lines[0]), "  users: %s", i->open ? "counting..." : "no traffic ran (t starts it)");
		else if (i->failed == 0)
			snprintf(lines[n], sizeof(lines[0]), "  users: none of %ld failed %s longest gap %.0f ms", i->ok,
				 v->unicode ? "·" : "|", i->gap_ms);
		else if (i->still_failing)
			snprintf(lines[n], sizeof(lines[0]), "  users: %ld of %ld failed %s longest gap %.0f ms %s still failing",
				 i->failed, i->ok + i->failed, v->unicode ? "·" : "|", i->gap_ms, v->unicode ? "·" : "|");
		else
			snprintf(lines[n], sizeof(lines[0]), "  users: %ld of %ld failed %s longest gap %.0f ms %s answered "
				 "again after the last failure at +%.0f ms", i->failed, i->ok + i->failed, v->unicode ? "·" : "|",
				 i->gap_ms, v->unicode ? "·" : "|", i->recovered_ms);
		attrs[n++] = i->failed ? A_BOLD : 0;
		for (int f = 0; f < i->n_followed; f++) {
			snprintf(lines[n], sizeof(lines[0]), "  %+7.0f ms  %s", i->followed[f].ms, i->followed[f].what);
			attrs[n++] = 0;
		}
	}
	if (v->scroll > n - 1)
		v->scroll = n - 1;
	if (v->scroll < 0)
		v->scroll = 0;
	for (int k = v->scroll, y = top + 1; k < n && y < top + height; k++)
		y += wrap(w, y, cols, top + height - y, attrs[k], lines[k]) ?: 1;
}

/* A lesson's narration, newest at the bottom, above one line that says
 * what the lesson waits for and what it sees now, or what key goes on. */
static void draw_lesson(WINDOW *w, struct view_state *v, int top, int height, int cols)
{
	struct lesson_pane *p = v->lesson;
	char line[600];
	if (p->step_no)
		snprintf(line, sizeof(line), "lesson: %s %s step %d/%d %s", p->title, v->unicode ? "·" : "|", p->step_no,
			 p->steps, p->step);
	else
		snprintf(line, sizeof(line), "lesson: %s", p->title);
	put(w, top, 0, cols, A_BOLD | A_UNDERLINE, line);
	/* The status line at the bottom. */
	attr_t status_attr = A_BOLD;
	if (p->waiting[0])
		snprintf(line, sizeof(line), "waiting for: %s %s now %s", p->waiting, v->unicode ? "—" : "-", p->now);
	else if (p->pause[0])
		snprintf(line, sizeof(line), "n or Enter: %s", p->pause);
	else if (p->ended)
		snprintf(line, sizeof(line), "the lesson is over (%s): q quits, e shows the events", p->passed ? "passed" : "not passed");
	else
		line[0] = '\0';
	if (p->waiting[0] && v->color)
		status_attr |= COLOR_PAIR(C_DEGRADED);
	int bottom = top + height - 1, text_w = cols - 2;
	put(w, bottom, 0, cols, status_attr, line);
	/* The narration, each line wrapped, from the newest up. */
	int y = bottom - 1;
	for (int i = p->n - 1; i >= 0 && y > top; i--) {
		const struct pane_line *l = &p->lines[i];
		const char *mark = "";
		attr_t a = 0;
		if (strcmp(l->kind, "step") == 0)
			mark = "== ", a = A_BOLD;
		else if (strcmp(l->kind, "ask") == 0)
			mark = v->unicode ? "→ " : "-> ", a = A_BOLD;
		else if (strcmp(l->kind, "verdict") == 0)
			mark = l->ok ? (v->unicode ? "✓ " : "ok ") : (v->unicode ? "✗ " : "NOT OK "),
			a = v->color ? COLOR_PAIR(l->ok ? C_UP : C_DOWN) : l->ok ? 0 : A_BOLD;
		else if (strcmp(l->kind, "measure") == 0)
			mark = "  = ", a = A_BOLD;
		else if (strcmp(l->kind, "hint") == 0)
			mark = "hint: ", a = v->color ? COLOR_PAIR(C_DEGRADED) | A_BOLD : A_BOLD;
		else if (strcmp(l->kind, "note") == 0)
			a = A_DIM;
		else if (strcmp(l->kind, "end") == 0 || strcmp(l->kind, "explain") == 0)
			a = A_BOLD;
		snprintf(line, sizeof(line), "%s%s", mark, l->text);
		wchar_t wide[600];
		size_t n = mbstowcs(wide, line, 599), start[16], len[16];
		if (n == (size_t)-1)
			continue;
		int rows = break_rows(wide, n, text_w, start, len, 16);
		for (int k = rows - 1; k >= 0 && y > top; k--, y--) {
			wattron(w, a);
			mvwaddnwstr(w, y, k ? 2 : 0, wide + start[k], (int)len[k]);
			wattroff(w, a);
		}
	}
}

/* The inspect page over the whole screen, scrolled to inspect_top. */
static void draw_inspect(WINDOW *w, struct view_state *v, int rows, int cols)
{
	int total = 0;
	for (const char *p = v->inspect; *p; p++)
		total += *p == '\n';
	if (v->inspect_top > total - (rows - 2))
		v->inspect_top = total - (rows - 2);
	if (v->inspect_top < 0)
		v->inspect_top = 0;
	const char *line = v->inspect;
	for (int skip = 0; skip < v->inspect_top && line; skip++)
		line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL;
	for (int y = 1; y < rows - 1 && line && *line;) {
		const char *nl = strchr(line, '\n');
		int len = nl ? (int)(nl - line) : (int)strlen(line);
		bool head = len > 2 && line[0] == '=' && line[1] == '=';
		char buf[1024];
		snprintf(buf, sizeof(buf), "%.*s", len < 1023 ? len : 1023, line);
		/* A long line wraps at word boundaries, its rest indented:
		 * nothing is cut. */
		wchar_t wide[1024];
		size_t n = mbstowcs(wide, buf, 1023), start[32], rl[32];
		if (n == (size_t)-1) {
			put(w, y++, 0, cols, 0, buf);
		} else {
			for (size_t k = 0; k < n; k++)
				if (wide[k] == L'\t')
					wide[k] = L' ';
			int r = break_rows(wide, n, cols - 2, start, rl, 32);
			for (int k = 0; k < r && y < rows - 1; k++, y++) {
				attr_t a = head ? A_BOLD | A_UNDERLINE : 0;
				wattron(w, a);
				mvwaddnwstr(w, y, k ? 2 : 0, wide + start[k], (int)rl[k]);
				wattroff(w, a);
			}
		}
		line = nl ? nl + 1 : NULL;
	}
}

void view_draw(WINDOW *w, struct tm_model *m, struct view_state *v, int rows, int cols)
{
	werase(w);
	char line[400];
	const char *dot = v->unicode ? "·" : "|";
	/* The title bar: its parts in order of importance, each whole or not at all. */
	char vip[160], why[64] = "";
	/* Two holders, one of them frozen: not a split brain but a stopped
	 * node that still has the address configured (it answers nothing). */
	for (int i = 0; m->split_brain && i < m->n_nodes; i++)
		if (strcmp(m->nodes[i].state, "frozen") == 0 && holds_vip(m, m->nodes[i].name))
			snprintf(why, sizeof(why), " (%s frozen: it still holds the address)", m->nodes[i].name);
	if (m->vip[0])
		snprintf(vip, sizeof(vip), "VIP %s held by %s%s", m->vip, m->holders[0] ? m->holders : "nobody",
			 !m->split_brain ? "" : why[0] ? why : time(NULL) - m->two_since >= 2 ? " (SPLIT BRAIN)" : " (handing over)");
	else /* no cluster: www is one node's address */
		snprintf(vip, sizeof(vip), "www %s %s%s", v->unicode ? "→" : "->", m->www, m->https ? "" : " (http)");
	const char *parts[] = { m->gone ? "THE LAB WENT AWAY" : NULL, m->title };
	snprintf(line, sizeof(line), " stacklab %s lab %s %s %s", dot, m->lab, dot, vip);
	for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
		if (!parts[k] || !parts[k][0])
			continue;
		char more[1024];
		snprintf(more, sizeof(more), "%s %s %s", line, dot, parts[k]);
		if (width_of(more) <= cols && strlen(more) < sizeof(line))
			snprintf(line, sizeof(line), "%s", more);
	}
	attr_t bar = v->color ? COLOR_PAIR(C_TITLE) : A_REVERSE;
	wattron(w, bar);
	mvwhline(w, 0, 0, ' ', cols);
	wattroff(w, bar);
	put_fit(w, 0, 0, cols, bar, line);

	if (v->inspect) {
		draw_inspect(w, v, rows, cols);
	} else if (v->help) {
		draw_help(w, m, v, rows, cols);
	} else {
		int map_h = rows * 55 / 100 < 12 ? 12 : rows * 55 / 100;
		if (map_h > rows - 8)
			map_h = rows - 8;
		draw_map(w, m, v, 1, map_h, cols);
		draw_traffic(w, m, v, 1 + map_h, cols);
		if (v->trace)
			draw_stepper(w, v, 3 + map_h, rows - 4 - map_h, cols);
		else if (v->lesson && !v->lesson_events)
			draw_lesson(w, v, 3 + map_h, rows - 4 - map_h, cols);
		else if (v->incidents)
			draw_incidents(w, m, v, 3 + map_h, rows - 4 - map_h, cols);
		else
			draw_log(w, m, v, 3 + map_h, rows - 4 - map_h, cols);
	}
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	unsigned long long now = (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
	bool fresh = v->message[0] && (m->gone || now - v->message_ms < 4000);
	/* The key bar: as many keys as fit, whole, and always how to get
	 * help and out. */
	static const char *const keys_main[] = { "Tab select", "c crash", "h heal", "t traffic", "I incidents", "r trace",
						 "f freeze", "d link down", "Enter inspect", "H heal all", NULL };
	static const char *const keys_lesson[] = { "n/Enter next", "? hint", "> skip", "Tab select", "c crash", "h heal",
						   "u undo", "P pause", "e events", "f freeze", NULL };
	bool in_lesson = v->lesson && !v->lesson->ended;
	const char *const *keys = in_lesson ? keys_lesson : keys_main;
	const char *last = in_lesson ? "F1 keys  q quit" : "? help  q quit";
	if (fresh || v->inspect || v->trace || v->help) {
		snprintf(line, sizeof(line), " %s", fresh ? v->message
				 : v->inspect ? "Up/Down PgUp/PgDn scroll  r refresh  Esc back"
				 : v->help ? "? or Esc: back  q quit"
				 : "Left/Right hops  Space play  + - speed  p all packets  r again  Esc leave");
	} else {
		/* The selected node, named: the fault keys act on it. */
		snprintf(line, sizeof(line), " [%s]  ", m->n_nodes ? m->nodes[v->selected].name : "-");
		for (int k = 0; keys[k]; k++) {
			char more[1024];
			snprintf(more, sizeof(more), "%s%s  ", line, keys[k]);
			if (width_of(more) + width_of(last) > cols || strlen(more) + strlen(last) >= sizeof(line))
				break;
			snprintf(line, sizeof(line), "%s", more);
		}
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s", last);
	}
	wattron(w, A_REVERSE);
	mvwhline(w, rows - 1, 0, ' ', cols);
	wattroff(w, A_REVERSE);
	put_fit(w, rows - 1, 0, cols, A_REVERSE, line);
}

int view_node_at(const struct view_state *v, int n_nodes, int y, int x)
{
	for (int i = 0; i < n_nodes; i++)
		if (v->at[i].y >= 0 && y >= v->at[i].y && y < v->at[i].y + v->at[i].h && x >= v->at[i].x &&
		    x < v->at[i].x + v->at[i].w)
			return i;
	return -1;
}

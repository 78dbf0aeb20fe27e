/* incidents.c — every fault and heal told as an incident card: what was
 * done and when, what followed in the lab with its delay measured from the
 * lab's own events (lb1 crashed +1 ms, lb2 MASTER +24 ms, vip www held by
 * lb2 +24 ms, lb1 sees web1 DOWN +160 ms), and what users felt (requests
 * failed, the longest gap between answers, answered again at +96 ms).
 *
 * A card opens with each fault or heal and closes INCIDENT_WINDOW_S later,
 * or when the next one opens; each change is an "incident" event, and the
 * `incidents` request lists the last INCIDENTS_MAX. */
#include <arpa/inet.h>
#include <math.h>
#include <string.h>
#include <sys/time.h>

#include "lab.h"
#include "util.h"

#define INCIDENT_WINDOW_S 10.0

static double now_s(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static struct lab_incident *current(struct lab *lab)
{
	if (lab->n_incidents == 0)
		return NULL;
	struct lab_incident *i = &lab->incidents[(lab->n_incidents - 1) % INCIDENTS_MAX];
	return i->open ? i : NULL;
}

/* Still failing: nothing answered since its last failure. The gap so far
 * is then an outage still going on (to now, or to the card's close), and
 * an outage is one gap even when a heal's card opens in the middle of it. */
static bool still_failing(const struct lab_incident *i)
{
	return i->failed && i->last_fail > i->last_ok;
}

json_t *lab_incident_json(const struct lab_incident *i)
{
	double gap = i->longest_gap_ms;
	if (still_failing(i))
		gap = fmax(gap, ((i->open ? now_s() : i->last_fail) - i->last_ok) * 1000);
	json_t *followed = json_array();
	for (int k = 0; k < i->n_followed; k++)
		json_array_append_new(followed, json_pack("{s:f, s:s}", "ms", round(i->followed[k].ms * 10) / 10, "what",
							  i->followed[k].what));
	json_t *users = json_pack("{s:I, s:I, s:f, s:b}", "ok", (json_int_t)i->ok, "failed", (json_int_t)i->failed,
				  "longest_gap_ms", round(gap), "still_failing", still_failing(i));
	json_object_set_new(users, "recovered_ms", i->recovered_ms >= 0 ? json_real(round(i->recovered_ms)) : json_null());
	return json_pack("{s:i, s:f, s:s, s:b, s:o, s:o}", "id", i->id, "at", i->at, "what", i->what, "open", i->open,
			 "followed", followed, "users", users);
}

static void tell(struct lab *lab, const struct lab_incident *i)
{
	if (!i->what[0]) /* the card of a request that has not acted yet */
		return;
	json_t *ev = lab_incident_json(i);
	json_object_set_new(ev, "kind", json_string("incident"));
	lab_emit(lab, ev);
}

static void close_card(struct lab *lab, struct lab_incident *i)
{
	i->open = false;
	tell(lab, i);
}

static void follow(struct lab *lab, struct lab_incident *i, double t, const char *what)
{
	/* The same line again (a vip event after each vrrp change) says nothing new. */
	for (int k = i->n_followed - 1; k >= 0; k--)
		if (strcmp(i->followed[k].what, what) == 0)
			return;
	if (i->n_followed == INCIDENT_FOLLOW_MAX)
		return;
	i->followed[i->n_followed].ms = fmax(0, (t - i->at) * 1000);
	str_copy(i->followed[i->n_followed].what, sizeof(i->followed[0].what), what);
	utf8_trim(i->followed[i->n_followed].what);
	i->n_followed++;
	tell(lab, i);
}

/* Where a card's gaps start: users' last answer, while traffic runs (an
 * outage that began before the card is counted whole); else its opening. */
#define TRAFFIC_RUNS_S 2.0 /* traffic counts as running when its last request is this recent */
static double gaps_from(const struct lab *lab, double t)
{
	return lab->traffic_last_ok > 0 && t - lab->traffic_last_seen < TRAFFIC_RUNS_S ? lab->traffic_last_ok : t;
}

static struct lab_incident *open_card(struct lab *lab, double t)
{
	struct lab_incident *i = &lab->incidents[lab->n_incidents % INCIDENTS_MAX];
	*i = (struct lab_incident){ .id = ++lab->n_incidents, .at = t, .open = true, .recovered_ms = -1,
				    .last_ok = gaps_from(lab, t) };
	return i;
}

void lab_incident_begin(struct lab *lab)
{
	double t = now_s();
	lab->incident_next = (struct lab_incident){ .at = t, .recovered_ms = -1, .last_ok = gaps_from(lab, t) };
	lab->incident_pending = true;
	lab->incident_acted = false;
}

void lab_incident_end(struct lab *lab)
{
	lab->incident_pending = false; /* a request that did nothing leaves no card */
}

static const char *str(json_t *ev, const char *key)
{
	return json_string_value(json_object_get(ev, key)) ?: "?";
}

void lab_incident_note(struct lab *lab, json_t *ev, double t)
{
	const char *kind = json_string_value(json_object_get(ev, "kind"));
	if (!kind || strcmp(kind, "incident") == 0 || strcmp(kind, "log") == 0 || strcmp(kind, "links") == 0)
		return;
	struct lab_incident *i = current(lab);
	/* A card's window closes it, but not while its request still acts
	 * (a slow heal --all). */
	if (i && t - i->at > INCIDENT_WINDOW_S && !(lab->incident_pending && lab->incident_acted)) {
		close_card(lab, i);
		i = NULL;
	}
	char what[128];
	if (strcmp(kind, "fault") == 0) {
		/* The card of a fail or heal request starts when the request
		 * came, with what its action set off before this event; the
		 * faults of one request (heal --all) share it. */
		if (!lab->incident_pending || !lab->incident_acted || !i) {
			if (i)
				close_card(lab, i);
			i = open_card(lab, t);
			if (lab->incident_pending) { /* what the request set off before */
				int id = i->id;
				*i = lab->incident_next;
				i->id = id;
				i->open = true;
				lab->incident_acted = true;
			}
		}
		snprintf(what, sizeof(what), "%s %s: %s%s%s", str(ev, "action"), str(ev, "node"), str(ev, "what"),
			 json_object_get(ev, "link") ? " on " : "", json_object_get(ev, "link") ? str(ev, "link") : "");
		size_t len = strlen(i->what);
		snprintf(i->what + len, sizeof(i->what) - len, "%s%s", len ? "; " : "", what);
		utf8_trim(i->what); /* a cut ± must not make the card invalid JSON */
		tell(lab, i);
		return;
	}
	struct lab_incident *to = lab->incident_pending && !lab->incident_acted ? &lab->incident_next : i;
	if (strcmp(kind, "traffic-state") == 0 && strcmp(str(ev, "state"), "started") == 0)
		lab->traffic_last_ok = 0; /* its outages start with it, not at the last run's answer */
	if (strcmp(kind, "traffic") == 0) { /* the lab's own memory of users, card or not */
		lab->traffic_last_seen = t;
		if (strcmp(str(ev, "result"), "ok") == 0)
			lab->traffic_last_ok = t;
	}
	if (strcmp(kind, "traffic") == 0 && !i)
		return;
	if (strcmp(kind, "traffic") == 0) {
		bool good = strcmp(str(ev, "result"), "ok") == 0;
		if (good) {
			i->ok++;
			i->longest_gap_ms = fmax(i->longest_gap_ms, (t - i->last_ok) * 1000);
			i->last_ok = t;
			if (i->failed && i->last_fail > i->recovered_at)
				i->recovered_at = t, i->recovered_ms = (t - i->at) * 1000;
		} else {
			i->failed++;
			i->last_fail = t;
		}
		return;
	}
	if (strcmp(kind, "node") == 0) {
		snprintf(what, sizeof(what), "%s %s", str(ev, "node"), str(ev, "state"));
	} else if (strcmp(kind, "daemon") == 0) {
		snprintf(what, sizeof(what), "%s: %s %s", str(ev, "node"), str(ev, "daemon"),
			 strcmp(str(ev, "state"), "exited") == 0 ? str(ev, "how") : str(ev, "state"));
	} else if (strcmp(kind, "vrrp") == 0) {
		snprintf(what, sizeof(what), "%s %s", str(ev, "node"), str(ev, "state"));
	} else if (strcmp(kind, "vip") == 0) {
		json_t *holders = json_object_get(ev, "holders"), *h;
		size_t k;
		size_t n = (size_t)snprintf(what, sizeof(what), "vip %s held by", str(ev, "vip"));
		json_array_foreach(holders, k, h)
			if (n < sizeof(what))
				n += (size_t)snprintf(what + n, sizeof(what) - n, " %s", json_string_value(h));
		if (json_array_size(holders) == 0 && n < sizeof(what))
			snprintf(what + n, sizeof(what) - n, " nobody");
	} else if (strcmp(kind, "backend") == 0) {
		snprintf(what, sizeof(what), "%s sees %s %s", str(ev, "node"), str(ev, "server"), str(ev, "state"));
	} else {
		return;
	}
	if (to)
		follow(lab, to, t, what);
}

void lab_incidents_tick(struct lab *lab)
{
	struct lab_incident *i = current(lab);
	if (i && now_s() - i->at > INCIDENT_WINDOW_S)
		close_card(lab, i);
}

json_t *lab_incidents_json(struct lab *lab)
{
	json_t *a = json_array();
	int first = lab->n_incidents > INCIDENTS_MAX ? lab->n_incidents - INCIDENTS_MAX : 0;
	for (int k = first; k < lab->n_incidents; k++)
		json_array_append_new(a, lab_incident_json(&lab->incidents[k % INCIDENTS_MAX]));
	return a;
}

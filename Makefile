# stacklab — build, test, install.
#   make                    build ./stacklab
#   make check              run every test under prove, the lab tests as root and again as an ordinary user
#   make up                 install missing Debian packages, build, bring up the default lab
#   sudo make setup-users   a shared machine: packages, and subordinate ids for every user (labs without root)
#   make SANITIZER=address,undefined
#   make fuzz-run FUZZ_TIME=600   fuzz the topology and lesson parsers (check runs each for 12 s)
#   make install PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/stacklab
MANDIR ?= $(PREFIX)/share/man
VERSION := 0.1

CC ?= cc
PKGS := libnl-3.0 libnl-route-3.0 libcap libseccomp jansson inih libcurl ncursesw
# Asked when a rule needs them (=, not :=): on a fresh machine `make up` reads
# them only in the sub-make that runs after `deps` installed the -dev packages.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 $(WARN) -D_GNU_SOURCE -DVERSION='"$(VERSION)"' -DDATADIR='"$(DATADIR)"' $(PKG_CFLAGS)
ifdef WERROR
CFLAGS += -Werror
endif
ifdef SANITIZER
CFLAGS += -fsanitize=$(SANITIZER) -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZER)
endif

ENGINE := error util inifile userns role profile topo net caps filter render service node ctl timing pki dbtemplate dnszone watch events fault traffic trafficd publish cgroup capture trace incidents settings firewall lesson logstore nodechan teardown build requests labd
CLI := main cli tty lessonrun cmd_up cmd_down cmd_status cmd_exec cmd_list cmd_request cmd_logs cmd_events cmd_fail cmd_traffic cmd_tui cmd_trace cmd_lesson cmd_incidents cmd_set cmd_capture cmd_dns cmd_allow
ENGINE_OBJ := $(ENGINE:%=build/%.o)
CLI_OBJ := $(CLI:%=build/%.o)
TUI_OBJ := $(patsubst tui/%.c,build/tui_%.o,$(wildcard tui/*.c))
UNIT := $(patsubst tests/unit/%.c,build/tests/%.t,$(wildcard tests/unit/*.c))

all: stacklab

stacklab: $(ENGINE_OBJ) $(CLI_OBJ) $(TUI_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

build/%.o: sandbox/%.c $(wildcard sandbox/*.h) Makefile | build
	$(CC) $(CFLAGS) -Isandbox -c -o $@ $<

# The TUI sees only the control protocol (ctl.h) and small helpers (util.h).
build/tui_%.o: tui/%.c $(wildcard tui/*.h) sandbox/ctl.h sandbox/util.h Makefile | build
	$(CC) $(CFLAGS) -Isandbox -c -o $@ $<

build/tests/%.t: tests/unit/%.c tests/tap.h $(ENGINE_OBJ) | build/tests
	$(CC) $(CFLAGS) -Isandbox -Itests -o $@ $< $(ENGINE_OBJ) $(LDFLAGS) $(PKG_LIBS) -lm

# Each its own target: the fuzzers may have made build/ before the tests
# ask for build/tests (make check in a tree never built).
build build/tests:
	mkdir -p $@

# Debian packages the lab needs, installed only when missing.
deps:
	@scripts/deps.sh

# deps first, then a make of its own: -j must not build before the headers exist.
check: deps
	@$(MAKE) --no-print-directory all $(UNIT)
	prove -f --timer $(UNIT) tests/lab/*.t
	tests/rootless.sh

# The one root step of a shared machine: users then run labs without root.
setup-users:
	@scripts/setup-users.sh

up: deps
	@$(MAKE) --no-print-directory all
	./stacklab up

bench: all
	bench/up-down.sh
	bench/stack.sh
	bench/failover.sh
	bench/tui.sh
	bench/lesson.sh
	bench/designs.sh
	bench/idle.sh
	bench/classroom.sh

# A libFuzzer target for the topology parser, built by clang from objects of
# its own: the gcc objects above have neither coverage nor sanitizers. The
# corpus starts from scenarios/ and grows in build/fuzz/corpus; a crash is
# written to build/fuzz/crash-*.
FUZZ_CC ?= clang
FUZZ_TIME ?= 12
FUZZ_CFLAGS := -g -O1 -std=gnu11 $(WARN) -D_GNU_SOURCE -DVERSION='"$(VERSION)"' -DDATADIR='"$(DATADIR)"' \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_ENGINE := error util inifile role topo render lesson
FUZZ_LIBS = $(shell pkg-config --libs inih jansson) -lm

fuzz: build/fuzz/topo build/fuzz/lesson build/fuzz/capture build/fuzz/watch

build/fuzz/%.o: sandbox/%.c $(wildcard sandbox/*.h) Makefile
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Isandbox -c -o $@ $<

build/fuzz/%: tests/fuzz/%.c $(FUZZ_ENGINE:%=build/fuzz/%.o) Makefile
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Isandbox -o $@ $< $(FUZZ_ENGINE:%=build/fuzz/%.o) $(FUZZ_LIBS)

# The packet decoder and the daemons' lines: what nodes send the lab daemon.
build/fuzz/capture: tests/fuzz/capture.c $(FUZZ_ENGINE:%=build/fuzz/%.o) build/fuzz/capture.o Makefile
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Isandbox -o $@ $< $(filter %.o,$^) $(FUZZ_LIBS)

build/fuzz/watch: tests/fuzz/watch.c build/fuzz/error.o build/fuzz/util.o build/fuzz/watch.o Makefile
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Isandbox -o $@ $< $(filter %.o,$^) $(FUZZ_LIBS)

# deps first, then a make of its own, as for check: the fuzzer needs inih's headers.
fuzz-run: deps
	@$(MAKE) --no-print-directory fuzz
	@mkdir -p build/fuzz/corpus build/fuzz/lesson-corpus
	cp scenarios/*.lab build/fuzz/corpus/
	cp scenarios/lessons/*.lesson build/fuzz/lesson-corpus/
	build/fuzz/topo -max_total_time=$(FUZZ_TIME) -timeout=10 -print_final_stats=1 \
		-dict=tests/fuzz/topo.dict -artifact_prefix=build/fuzz/ build/fuzz/corpus
	build/fuzz/lesson -max_total_time=$(FUZZ_TIME) -timeout=10 -print_final_stats=1 \
		-artifact_prefix=build/fuzz/lesson- build/fuzz/lesson-corpus
	@mkdir -p build/fuzz/capture-corpus build/fuzz/watch-corpus
	build/fuzz/capture -max_total_time=$(FUZZ_TIME) -timeout=10 -print_final_stats=1 \
		-artifact_prefix=build/fuzz/capture- build/fuzz/capture-corpus
	build/fuzz/watch -max_total_time=$(FUZZ_TIME) -timeout=10 -print_final_stats=1 \
		-artifact_prefix=build/fuzz/watch- build/fuzz/watch-corpus

check: fuzz-run

.PHONY: fuzz fuzz-run setup-users

install: all
	install -D -m 0755 stacklab $(DESTDIR)$(BINDIR)/stacklab
	mkdir -p $(DESTDIR)$(DATADIR)
	cp -R rootfs scenarios $(DESTDIR)$(DATADIR)/
	install -D -m 0644 man/stacklab.1 $(DESTDIR)$(MANDIR)/man1/stacklab.1
	install -D -m 0644 scripts/stacklab.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/stacklab

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/stacklab $(DESTDIR)$(MANDIR)/man1/stacklab.1
	rm -f $(DESTDIR)$(PREFIX)/share/bash-completion/completions/stacklab
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build stacklab

.PHONY: all deps check up bench install uninstall clean

# stacklab — build, test, install.
#   make                    build ./stacklab
#   make check              run every test under prove, the lab tests as root and again as an ordinary user
#   make up                 install missing Debian packages, build, bring up the default lab
#   sudo make setup-users   a shared machine: packages, and subordinate ids for every user (labs without root)
#   make SANITIZER=address,undefined
#   make fuzz-run FUZZ_TIME=600   fuzz the topology, lesson and challenge parsers (check runs each for 12 s)
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

# The layers (HACKING.md): each folder of sandbox/ is compiled with the include
# paths of the folders it may see, and no others, so an include across a rule
# does not build. tests/layers.t checks the same table, and cli/'s one
# allowed header of labd/ (labd.h, to start a daemon).
SEES_base := base
SEES_proto := base proto
SEES_model := base model
SEES_host := base proto model host
SEES_labd := base proto model host labd
SEES_lesson := base proto model lesson
SEES_tui := base proto tui
SEES_cli := base proto model host lesson tui labd cli
layer_dir = $(if $(filter tui,$(1)),tui,sandbox/$(1))
sees = $(foreach l,$(SEES_$(1)),-I$(call layer_dir,$(l)))

LIB_SRC := $(filter-out sandbox/cli/%,$(wildcard sandbox/*/*.c))
CLI_SRC := $(wildcard sandbox/cli/*.c)
LIB_OBJ := $(LIB_SRC:sandbox/%.c=build/%.o)
CLI_OBJ := $(CLI_SRC:sandbox/%.c=build/%.o)
TUI_OBJ := $(patsubst tui/%.c,build/tui/%.o,$(wildcard tui/*.c))
UNIT := $(patsubst tests/unit/%.c,build/tests/%.t,$(wildcard tests/unit/*.c))

all: stacklab

stacklab: $(CLI_OBJ) $(TUI_OBJ) build/libstacklab.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# Every layer below the command line, as an archive: a unit test links only
# the files it uses.
build/libstacklab.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

# The folder is the first part of the stem: build/model/topo.o is model's.
build/%.o: sandbox/%.c Makefile
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP $(call sees,$(firstword $(subst /, ,$*))) -c -o $@ $<

build/tui/%.o: tui/%.c Makefile
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP $(call sees,tui) -c -o $@ $<

-include $(wildcard build/*/*.d)

build/tests/%.t: tests/unit/%.c tests/tap.h build/libstacklab.a | build/tests
	$(CC) $(CFLAGS) $(call sees,labd) -Isandbox/lesson -Itests -o $@ $< build/libstacklab.a $(LDFLAGS) $(PKG_LIBS) -lm

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
	prove -f --timer $(UNIT) tests/layers.t tests/help.t tests/lab/*.t
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
FUZZ_BASE := base/error base/util base/text base/files base/proc base/clock
FUZZ_ENGINE := $(FUZZ_BASE) base/inifile proto/faults model/role model/topo model/render lesson/lesson lesson/challenge
FUZZ_LIBS = $(shell pkg-config --libs inih jansson) -lm

fuzz: build/fuzz/topo build/fuzz/lesson build/fuzz/challenge build/fuzz/capture build/fuzz/watch

build/fuzz/obj/%.o: sandbox/%.c Makefile
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -fsanitize=fuzzer-no-link $(call sees,$(firstword $(subst /, ,$*))) -c -o $@ $<

-include $(wildcard build/fuzz/obj/*/*.d)

build/fuzz/%: tests/fuzz/%.c $(FUZZ_ENGINE:%=build/fuzz/obj/%.o) Makefile
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(call sees,labd) -Isandbox/lesson -o $@ $< $(FUZZ_ENGINE:%=build/fuzz/obj/%.o) $(FUZZ_LIBS)

# The packet decoder and the daemons' lines: what nodes send the lab daemon.
build/fuzz/capture: tests/fuzz/capture.c $(FUZZ_ENGINE:%=build/fuzz/obj/%.o) build/fuzz/obj/model/packet.o Makefile
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(call sees,labd) -Isandbox/lesson -o $@ $< $(filter %.o,$^) $(FUZZ_LIBS)

build/fuzz/watch: tests/fuzz/watch.c $(FUZZ_BASE:%=build/fuzz/obj/%.o) build/fuzz/obj/model/watch.o Makefile
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(call sees,labd) -Isandbox/lesson -o $@ $< $(filter %.o,$^) $(FUZZ_LIBS)

# deps first, then a make of its own, as for check: the fuzzer needs inih's headers.
fuzz-run: deps
	@$(MAKE) --no-print-directory fuzz
	@mkdir -p build/fuzz/corpus build/fuzz/lesson-corpus
	cp scenarios/*.lab build/fuzz/corpus/
	cp scenarios/lessons/*.lesson build/fuzz/lesson-corpus/
	@mkdir -p build/fuzz/challenge-corpus
	cp scenarios/challenges/*.challenge build/fuzz/challenge-corpus/
	build/fuzz/topo -max_total_time=$(FUZZ_TIME) -timeout=10 -print_final_stats=1 \
		-dict=tests/fuzz/topo.dict -artifact_prefix=build/fuzz/ build/fuzz/corpus
	build/fuzz/lesson -max_total_time=$(FUZZ_TIME) -timeout=10 -print_final_stats=1 \
		-artifact_prefix=build/fuzz/lesson- build/fuzz/lesson-corpus
	build/fuzz/challenge -max_total_time=$(FUZZ_TIME) -timeout=10 -print_final_stats=1 \
		-artifact_prefix=build/fuzz/challenge- build/fuzz/challenge-corpus
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

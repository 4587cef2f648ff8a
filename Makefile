# adstats -- see README.md. `make run` and `make test` install what they
# need (tools/deps.sh), build, start their own Redis and mock upstream, and
# stop them afterwards.
#
# `make install [PREFIX=/usr/local] [DESTDIR=]` installs the binaries, the
# man page and the default invalid-traffic list (share/adstats/).
# openapi.yaml is compiled into the binary (xxd -i).
#
# Builds go to build/$(MODE)/ with MODE=release (default) or MODE=asan
# (AddressSanitizer + UndefinedBehaviorSanitizer); binaries to bin/ (release)
# or build/asan/bin/. Each object has a .d file next to it (the compiler's
# -MMD): it depends on exactly the headers it includes.

MODE ?= release
CC ?= cc
PKG_CONFIG ?= pkg-config

ifeq ($(MODE),asan)
  OPT := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
  BIN := build/asan/bin
else
  OPT := -O2 -g
  BIN := bin
endif

OUT := build/$(MODE)
CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
          -Iinclude $(OPT)
DEPFLAGS := -MMD -MP
# Full RELRO: every shared-library symbol is bound at start-up and the GOT
# is then read-only (hardening), and no request pays for lazy binding (a
# symbol lookup on a function's first call).
LDFLAGS += $(OPT) -Wl,-z,relro,-z,now

# ---- sources and objects -------------------------------------------------

LIB_SRC := $(filter-out src/main.c,$(wildcard src/*.c)) $(wildcard endpoints/*.c)
LIB_OBJ := $(patsubst %.c,$(OUT)/%.o,$(LIB_SRC)) $(OUT)/gen/openapi_yaml.o \
           $(OUT)/gen/dashboard_files.o
MAIN_OBJ := $(OUT)/src/main.o
BENCH_OBJ := $(OUT)/bench/ceiling.o $(OUT)/bench/bare.o
VASTMOCK_OBJ := $(patsubst %.c,$(OUT)/%.o,$(wildcard tools/vastmock/*.c))
# vast_inject() from the command line, for tests/vast.sh.
VAST_INJECT_OBJ := $(OUT)/tests/vast/inject.o
VAST_INJECT_TOOL := $(OUT)/tests/vast-inject
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_OBJ := $(patsubst %.c,$(OUT)/%.o,$(UNIT_SRC))
UNIT_BIN := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRC))
OOM_BIN := $(filter $(OUT)/tests/test_oom_%,$(UNIT_BIN))
FAILALLOC_OBJ := $(OUT)/tests/unit/failalloc.o
# The dashboard's files, compiled into the binary (include/embedded.h).
DASHBOARD_FILES := $(sort $(wildcard dashboard/*.html dashboard/*.js dashboard/*.css dashboard/*.svg))

PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: FORCE all build deps run bench bench-ad bench-callgrind bench-cluster bench-hotkeys test test-unit \
        test-integration test-postman test-asan cluster-test clean install

all: $(BIN)/adstats $(BIN)/vastmock

build: all

deps:
	@tools/deps.sh build

# ---- libraries -----------------------------------------------------------
# The pkg-config packages each binary needs, and the Debian package of each
# (tools/deps.sh installs them). Only the mock upstream uses jansson.

PKGS.adstats := libmicrohttpd hiredis libcurl libxml-2.0 libevent libcrypto
PKGS.vastmock := libevent jansson
PKGS.unit := $(PKGS.adstats) cmocka
PKGS.fuzz := libxml-2.0 libcrypto

DEBIAN.libmicrohttpd := libmicrohttpd-dev
DEBIAN.hiredis := libhiredis-dev
DEBIAN.libcurl := libcurl4-openssl-dev
DEBIAN.libcrypto := libssl-dev
DEBIAN.libxml-2.0 := libxml2-dev
DEBIAN.libevent := libevent-dev
DEBIAN.jansson := libjansson-dev
DEBIAN.cmocka := libcmocka-dev
DEBIAN.pkg-config := pkg-config

# $(call pkg_cflags,NAME), pkg_libs: the compiler and linker flags of
# PKGS.NAME; pkg_missing: those of its packages pkg-config cannot find (or
# pkg-config itself); pkg_message: what to tell the user about them.
pkg_cflags = $(shell $(PKG_CONFIG) --cflags $(PKGS.$(1)) 2>/dev/null)
pkg_libs = $(shell $(PKG_CONFIG) --libs $(PKGS.$(1)) 2>/dev/null)
pkg_missing = $(strip $(if $(shell command -v $(PKG_CONFIG)), \
              $(foreach p,$(PKGS.$(1)),$(if $(shell $(PKG_CONFIG) --exists $(p) 2>/dev/null && echo y),,$(p))), \
              pkg-config))
pkg_message = $(1): missing libraries: $(2) (Debian: $(foreach p,$(2),$(DEBIAN.$(p)))). \
              Run `make deps` (as root) or install them

# libs-NAME stops the build, before any compiler error, if a package of
# PKGS.NAME is not installed. Objects depend on it order-only: it runs first
# but never makes them out of date. Its recipe is empty (`:`) when all is there.
LIBS_CHECKS := libs-adstats libs-vastmock libs-unit libs-fuzz
.PHONY: $(LIBS_CHECKS)

$(LIBS_CHECKS): libs-%:
	@$(if $(call pkg_missing,$*),$(error $(call pkg_message,$*,$(call pkg_missing,$*)))):

# Each group of objects gets the compiler flags of its binary's libraries.
$(LIB_OBJ) $(MAIN_OBJ) $(BENCH_OBJ) $(VAST_INJECT_OBJ): PKG_CFLAGS := $(call pkg_cflags,adstats)
$(LIB_OBJ) $(MAIN_OBJ) $(BENCH_OBJ) $(VAST_INJECT_OBJ): | libs-adstats
$(VASTMOCK_OBJ): PKG_CFLAGS := $(call pkg_cflags,vastmock)
$(VASTMOCK_OBJ): | libs-vastmock
$(UNIT_OBJ) $(FAILALLOC_OBJ): PKG_CFLAGS := $(call pkg_cflags,unit)
$(UNIT_OBJ) $(FAILALLOC_OBJ): | libs-unit

# Where `make install` puts the default invalid-traffic list (--ivt-user-agents).
$(OUT)/src/config.o: CFLAGS += -DADSTATS_DATADIR='"$(PREFIX)/share/adstats"'

$(OUT)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) $(PKG_CFLAGS) -c -o $@ $<

# The API description, embedded so that GET /openapi.yaml reads no file.
$(OUT)/gen/openapi_yaml.c: openapi.yaml
	@mkdir -p $(dir $@)
	xxd -i -n openapi_yaml $< >$@.tmp && mv $@.tmp $@

# The list of files as a prerequisite too, so that removing one rebuilds.
$(OUT)/gen/dashboard_files.list: FORCE
	@mkdir -p $(dir $@)
	@echo '$(DASHBOARD_FILES)' | cmp -s - $@ || echo '$(DASHBOARD_FILES)' > $@

$(OUT)/gen/dashboard_files.c: $(DASHBOARD_FILES) $(OUT)/gen/dashboard_files.list tools/embed.sh
	@mkdir -p $(dir $@)
	tools/embed.sh dashboard_files $(DASHBOARD_FILES) > $@.tmp && mv $@.tmp $@

$(OUT)/gen/%.o: $(OUT)/gen/%.c
	$(CC) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

# Rebuilt from scratch, so that an object whose source is gone leaves too.
$(OUT)/libadstats.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# ---- binaries ------------------------------------------------------------

$(BIN)/adstats: $(MAIN_OBJ) $(OUT)/libadstats.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,adstats) -lpthread -lm

$(BIN)/vastmock: $(VASTMOCK_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,vastmock)

# Allocation-failure tests (test_oom_*): adstats' malloc & co. go through
# tests/unit/failalloc.c, which fails the Nth call.
WRAP_ALLOC := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup
$(OOM_BIN): $(FAILALLOC_OBJ)
$(OOM_BIN): LDFLAGS += $(WRAP_ALLOC)

$(UNIT_BIN): $(OUT)/tests/%: $(OUT)/tests/unit/%.o $(OUT)/libadstats.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,unit) -lpthread -lm

$(VAST_INJECT_TOOL): $(VAST_INJECT_OBJ) $(OUT)/libadstats.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,adstats) -lpthread -lm

$(BIN)/bench-ceiling: $(OUT)/bench/ceiling.o $(OUT)/libadstats.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,adstats) -lpthread -lm

# The bare ceiling links libmicrohttpd alone: none of adstats' code.
$(BIN)/bench-bare: $(OUT)/bench/bare.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell $(PKG_CONFIG) --libs libmicrohttpd) -lpthread

# ---- run and test --------------------------------------------------------

run:
	@tools/deps.sh build
	@$(MAKE) --no-print-directory all
	@tools/run.sh

bench:
	@tools/deps.sh bench
	@$(MAKE) --no-print-directory all $(BIN)/bench-ceiling $(BIN)/bench-bare
	@bench/bench.sh

# One script of bench/ each. bench-cluster: two nodes behind nginx, three
# Redis shards behind twemproxy, and a Redis Cluster (deploy/, docs/SCALING.md).
# bench-hotkeys: what one Redis shard holds per hot key (the capacity plan).
BENCH_SCRIPT_bench-ad := bench-ad.sh
BENCH_SCRIPT_bench-callgrind := callgrind.sh
BENCH_SCRIPT_bench-cluster := bench-cluster.sh
BENCH_SCRIPT_bench-hotkeys := hotkeys.sh

bench-ad bench-callgrind bench-cluster bench-hotkeys:
	@tools/deps.sh bench
	@$(MAKE) --no-print-directory all $(BIN)/bench-ceiling $(BIN)/bench-bare
	@bench/$(BENCH_SCRIPT_$@)

cluster-test:
	@tools/deps.sh cluster
	@$(MAKE) --no-print-directory all
	@deploy/local-cluster.sh test
	@deploy/redis-cluster.sh test

test:
	@tools/deps.sh test
	@$(MAKE) --no-print-directory all $(UNIT_BIN) $(VAST_INJECT_TOOL)
	@tests/run-all.sh

test-unit: $(UNIT_BIN)
	@tests/run-unit.sh $(UNIT_BIN)

test-asan:
	@tools/deps.sh test
	@$(MAKE) --no-print-directory MODE=asan all
	@$(MAKE) --no-print-directory MODE=asan $(patsubst $(OUT)/%,build/asan/%,$(UNIT_BIN) $(VAST_INJECT_TOOL))
	@ADSTATS_BIN=build/asan/bin tests/run-all.sh --no-postman

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man8 \
	           $(DESTDIR)$(PREFIX)/share/adstats
	install -m 0755 $(BIN)/adstats $(BIN)/vastmock $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 adstats.8 $(DESTDIR)$(PREFIX)/share/man/man8/adstats.8
	install -m 0644 deploy/ivt-user-agents.txt $(DESTDIR)$(PREFIX)/share/adstats/

clean:
	rm -rf build bin

# ---- reliability: faults, hostile input, fuzzing, valgrind ---------------
# `make fuzz FUZZ_SECONDS=N` runs each libFuzzer target for N seconds (clang,
# ASan + UBSan); the other targets run one suite of tests/run-all.sh. Fuzz
# objects go to build/fuzz/, built with fuzzer coverage; only the link adds
# libFuzzer's main.

FUZZ_TARGETS := params json vast hll headcheck jsonbody urltemplate netaddr track_token ivt \
                vast_inject
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_SAN := address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -g -O1 \
               -fsanitize=fuzzer-no-link,$(FUZZ_SAN)
FUZZ_LIB := $(addprefix src/,params.c day.c utf8.c buf.c json.c vast.c hll.c headcheck.c \
              jsonbody.c urltemplate.c netaddr.c forwarded.c base64url.c track_token.c ivt.c \
              vast_inject.c)
FUZZ_LIB_OBJ := $(patsubst %.c,build/fuzz/%.o,$(FUZZ_LIB))
FUZZ_OBJ := $(patsubst %,build/fuzz/tests/fuzz/fuzz_%.o,$(FUZZ_TARGETS))
FUZZ_BIN := $(patsubst %,build/fuzz/fuzz_%,$(FUZZ_TARGETS))

.PHONY: fuzz test-faults test-hostile test-valgrind

$(FUZZ_LIB_OBJ) $(FUZZ_OBJ): PKG_CFLAGS := $(call pkg_cflags,fuzz)
$(FUZZ_LIB_OBJ) $(FUZZ_OBJ): | libs-fuzz

build/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEPFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(FUZZ_BIN): build/fuzz/fuzz_%: build/fuzz/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) -g -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $^ $(call pkg_libs,fuzz) -lm

fuzz:
	@tools/deps.sh test
	@$(MAKE) --no-print-directory $(FUZZ_BIN)
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

test-faults: all
	@PYTHONPATH=$(CURDIR)/tests python3 tests/reliability/test_faults.py

test-hostile: all
	@PYTHONPATH=$(CURDIR)/tests python3 tests/reliability/test_hostile.py

test-valgrind: $(UNIT_BIN)
	@tests/run-valgrind.sh $(UNIT_BIN)

# FORCE: a prerequisite that is always out of date.
FORCE:

# The header dependencies the compiler wrote (-MMD); -MP adds an empty rule
# for each header, so that deleting one does not break the build.
-include $(patsubst %.o,%.d,$(LIB_OBJ) $(MAIN_OBJ) $(BENCH_OBJ) $(VASTMOCK_OBJ) $(VAST_INJECT_OBJ) $(UNIT_OBJ) $(FAILALLOC_OBJ) \
           $(FUZZ_LIB_OBJ) $(FUZZ_OBJ))

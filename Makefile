# adstats -- see README.md. `make run` and `make test` install what they
# need (tools/deps.sh), build, start their own Redis and mock upstream, and
# stop them afterwards.
#
# `make install [PREFIX=/usr/local] [DESTDIR=]` installs the binaries and the
# man page. openapi.yaml is compiled into the binary (xxd -i).
#
# Builds go to build/$(MODE)/ with MODE=release (default) or MODE=asan
# (AddressSanitizer + UndefinedBehaviorSanitizer); binaries to bin/ (release)
# or build/asan/bin/.

MODE ?= release
CC ?= cc
PKGS := libmicrohttpd hiredis libcurl libxml-2.0 libevent jansson

ifeq ($(MODE),asan)
  OPT := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
  BIN := build/asan/bin
else
  OPT := -O2 -g
  BIN := bin
endif

OUT := build/$(MODE)
CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
          -Iinclude $(OPT) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS += $(OPT)
LDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

LIB_SRC := $(filter-out src/main.c,$(wildcard src/*.c)) $(wildcard endpoints/*.c)
LIB_OBJ := $(patsubst %.c,$(OUT)/%.o,$(LIB_SRC)) $(OUT)/gen/openapi_yaml.o \
           $(OUT)/gen/dashboard_files.o
# The dashboard's files, compiled into the binary (include/embedded.h).
DASHBOARD_FILES := $(sort $(wildcard dashboard/*.html dashboard/*.js dashboard/*.css dashboard/*.svg))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRC))

PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: FORCE all build deps run bench bench-ad bench-callgrind bench-cluster test test-unit test-integration test-postman test-asan cluster-test clean install

all: $(BIN)/adstats $(BIN)/vastmock

build: all

deps:
	@tools/deps.sh build

$(OUT)/%.o: %.c $(wildcard include/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# The API description, embedded so that GET /openapi.yaml reads no file.
$(OUT)/gen/openapi_yaml.c: openapi.yaml
	@mkdir -p $(dir $@)
	xxd -i -n openapi_yaml $< >$@.tmp && mv $@.tmp $@

$(OUT)/gen/openapi_yaml.o: $(OUT)/gen/openapi_yaml.c
	$(CC) $(CFLAGS) -c -o $@ $<

# The list of files as a prerequisite too, so that removing one rebuilds.
$(OUT)/gen/dashboard_files.list: FORCE
	@mkdir -p $(dir $@)
	@echo '$(DASHBOARD_FILES)' | cmp -s - $@ || echo '$(DASHBOARD_FILES)' > $@

$(OUT)/gen/dashboard_files.c: $(DASHBOARD_FILES) $(OUT)/gen/dashboard_files.list tools/embed.sh
	@mkdir -p $(dir $@)
	tools/embed.sh dashboard_files $(DASHBOARD_FILES) > $@.tmp && mv $@.tmp $@

$(OUT)/gen/dashboard_files.o: $(OUT)/gen/dashboard_files.c include/embedded.h
	$(CC) $(CFLAGS) -c -o $@ $<

$(OUT)/libadstats.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

$(BIN)/adstats: $(OUT)/src/main.o $(OUT)/libadstats.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/vastmock: $(OUT)/tools/vastmock.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(OUT)/tests/%: tests/unit/%.c $(OUT)/libadstats.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(OUT)/libadstats.a $(LDLIBS) -lcmocka

$(BIN)/bench-ceiling: $(OUT)/bench/ceiling.o $(OUT)/libadstats.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# ---- run and test --------------------------------------------------------

run:
	@tools/deps.sh build
	@$(MAKE) --no-print-directory all
	@tools/run.sh

bench:
	@tools/deps.sh bench
	@$(MAKE) --no-print-directory all $(BIN)/bench-ceiling
	@bench/bench.sh

bench-ad:
	@tools/deps.sh bench
	@$(MAKE) --no-print-directory all
	@bench/bench-ad.sh

bench-callgrind:
	@tools/deps.sh bench
	@$(MAKE) --no-print-directory all
	@bench/callgrind.sh

# Two nodes behind nginx, three Redis shards behind twemproxy: see
# deploy/local-cluster.sh and docs/README-scaling.md.
bench-cluster:
	@tools/deps.sh bench
	@$(MAKE) --no-print-directory all
	@bench/bench-cluster.sh

cluster-test:
	@tools/deps.sh cluster
	@$(MAKE) --no-print-directory all
	@deploy/local-cluster.sh test

test:
	@tools/deps.sh test
	@$(MAKE) --no-print-directory all $(UNIT_BIN)
	@tests/run-all.sh

test-unit: $(UNIT_BIN)
	@tests/run-unit.sh $(UNIT_BIN)

test-asan:
	@tools/deps.sh test
	@$(MAKE) --no-print-directory MODE=asan all
	@$(MAKE) --no-print-directory MODE=asan $(patsubst $(OUT)/%,build/asan/%,$(UNIT_BIN))
	@ADSTATS_BIN=build/asan/bin tests/run-all.sh --no-postman

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(BIN)/adstats $(BIN)/vastmock $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 adstats.8 $(DESTDIR)$(PREFIX)/share/man/man8/adstats.8

clean:
	rm -rf build bin

# ---- reliability: faults, hostile input, fuzzing, valgrind ---------------
# `make fuzz FUZZ_SECONDS=N` runs each libFuzzer target for N seconds (clang,
# ASan + UBSan); the other targets run one suite of tests/run-all.sh.

FUZZ_TARGETS := params json vast hll headcheck urltemplate netaddr
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -g -O1 \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
               $(shell pkg-config --cflags libxml-2.0 2>/dev/null)
FUZZ_LIB := src/params.c src/day.c src/utf8.c src/buf.c src/json.c src/vast.c src/hll.c \
            src/headcheck.c src/urltemplate.c src/netaddr.c src/forwarded.c

.PHONY: fuzz test-faults test-hostile test-valgrind

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB) $(wildcard include/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB) $(shell pkg-config --libs libxml-2.0) -lm

fuzz:
	@tools/deps.sh test
	@$(MAKE) --no-print-directory $(patsubst %,build/fuzz/fuzz_%,$(FUZZ_TARGETS))
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

test-faults: all
	@python3 tests/reliability/test_faults.py

test-hostile: all
	@python3 tests/reliability/test_hostile.py

test-valgrind: $(UNIT_BIN)
	@tests/run-valgrind.sh $(UNIT_BIN)

# FORCE: a prerequisite that is always out of date.
FORCE:

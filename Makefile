# adstats -- see README.md. `make run` and `make test` install what they
# need (tools/deps.sh), build, start their own Redis and mock upstream, and
# stop them afterwards.
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
LIB_OBJ := $(patsubst %.c,$(OUT)/%.o,$(LIB_SRC)) $(OUT)/gen/dashboard_files.o
# The dashboard's files, compiled into the binary (include/embedded.h).
DASHBOARD_FILES := $(sort $(wildcard dashboard/*.html dashboard/*.js dashboard/*.css dashboard/*.svg))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRC))

# FORCE: a prerequisite that is always out of date.
.PHONY: FORCE all build deps run bench bench-ad bench-callgrind test test-unit test-integration test-postman test-asan clean

all: $(BIN)/adstats $(BIN)/vastmock

build: all

deps:
	@tools/deps.sh build

$(OUT)/%.o: %.c $(wildcard include/*.h)
	@mkdir -p $(dir $@)
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

clean:
	rm -rf build bin

FORCE:

# ims — PGXS build.  See README.md for the two commands (make demo, make test).

EXTENSION  = ims
EXTVERSION = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)

# Default to the PostgreSQL 15 server tools even when newer majors are installed.
PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)

MODULE_big = ims

# Plain C without PostgreSQL headers (unit-tested and fuzzed on its own).
CORE_OBJS = \
	src/core/civil.o \
	src/core/graph.o \
	src/core/interval_set.o \
	src/core/metric_state.o \
	src/core/ims_status.o \
	src/core/calendar_parse.o \
	src/core/calendar_math.o \
	src/core/sla_clock_math.o

# SQL-callable glue.
GLUE_OBJS = \
	src/ims.o \
	src/graph.o \
	src/workflow.o \
	src/incident.o \
	src/sla.o \
	src/gate.o \
	src/agg_mean.o \
	src/agg_outage.o \
	src/change.o \
	src/calendar.o \
	src/sla_clock.o

OBJS = $(CORE_OBJS) $(GLUE_OBJS)

# The install script is built from ordered, hand-edited pieces; released
# versions' scripts and every upgrade script are shipped as they are.
SQL_PIECES = $(sort $(wildcard src/sql/*.sql))
DATA_built = $(EXTENSION)--$(EXTVERSION).sql
DATA       = $(wildcard src/released/$(EXTENSION)--*.sql)

REGRESS      = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=ims
ISOLATION    = $(patsubst specs/%.spec,%,$(sort $(wildcard specs/*.spec)))
ISOLATION_OPTS = --load-extension=ims

PG_CPPFLAGS = -I$(srcdir)/src -DIMS_VERSION='"$(EXTVERSION)"'
# -fno-semantic-interposition: calls between the module's own exported
# functions (the calendar core's) go direct and may be inlined, instead of
# through the PLT as -fPIC would otherwise require (business_time -7%).
PG_CFLAGS   = -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare -fno-semantic-interposition
ifdef WERROR
PG_CFLAGS  += -Werror
endif

EXTRA_CLEAN = $(DATA_built) test/unit/bin results regression.diffs regression.out \
	output_iso test/fuzz/bin

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# no automatic header dependencies in PGXS builds: rebuild on any header change
$(OBJS): $(wildcard src/*.h src/core/*.h)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PIECES) $(EXTENSION).control
	@{ echo "-- ims $(EXTVERSION): generated from src/sql/*.sql by make; edit the pieces, not this file."; \
	   printf '%s\n' '\echo Use "CREATE EXTENSION ims" to load this file. \quit'; \
	   for f in $(SQL_PIECES); do echo; echo "-- ---- $$f ----"; grep -v '^\\echo Use' $$f; done; } > $@

# ---------------------------------------------------------------------------
# Developer entry points (scripts live in test/ and are documented in README).

.PHONY: test demo demo-stop bench unit fuzz load
test:
	bash test/run_tests.sh
demo:
	bash test/demo.sh start
demo-stop:
	bash test/demo.sh stop
bench:
	bash test/bench/run.sh $(BENCH)
load:
	bash test/load/run.sh

# C unit tests of src/core: one executable per test/unit/test_*.c, no PostgreSQL.
CORE_SRCS  = $(CORE_OBJS:.o=.c)
UNIT_TESTS = $(patsubst test/unit/%.c,test/unit/bin/%,$(wildcard test/unit/test_*.c))
UNIT_CFLAGS = -std=c99 -O1 -g -Wall -Wextra -Wno-unused-parameter -Isrc -Itest/unit $(if $(WERROR),-Werror) -D_DEFAULT_SOURCE
test/unit/bin/%: test/unit/%.c $(CORE_SRCS) $(wildcard src/core/*.h) test/unit/unit.h
	@mkdir -p test/unit/bin
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(CORE_SRCS) -lm
unit: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS); do echo "# $$t"; $$t || exit 1; done

# libFuzzer targets (clang, AddressSanitizer): test/fuzz/fuzz_*.c.
FUZZ_TARGETS = $(patsubst test/fuzz/%.c,test/fuzz/bin/%,$(wildcard test/fuzz/fuzz_*.c))
test/fuzz/bin/%: test/fuzz/%.c $(CORE_SRCS) $(wildcard src/core/*.h)
	@mkdir -p test/fuzz/bin
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Isrc -o $@ $< $(CORE_SRCS) -lm
fuzz: $(FUZZ_TARGETS)

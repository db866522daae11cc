# The PostgreSQL backend (docs/fleets.md): the whole ABI suite against a real PostgreSQL server, two
# processes on one store, lost connections; and its benchmarks.
#
#   make test-postgres     starts a throwaway server (build/pg/test.PID: initdb + pg_ctl, a free
#                          port on 127.0.0.1, run as the `postgres` user when we are root), runs
#                          `swift test --filter TokenAuthABITests` with TOKENAUTH_TEST_DATABASE_URL
#                          set (each test gets a fresh schema), then open_pg (what ta_open refuses),
#                          tests/c/two_process on a URI (one process revokes, the other refuses on its very next
#                          verify) and failover (killed sessions, a hung server, a stopped server),
#                          then fleet_limits (one rate-limit budget per token for 2, 4 and 8
#                          handles: measured overshoot and false 429s), then stops the server and
#                          removes it (also on failure)
#   make bench-postgres    revocation propagation between two processes (p50/p99 over
#                          $(PG_BENCH_REVOCATIONS) revocations) and hot verify PostgreSQL vs SQLite
#
# The server runs with fsync off: these are tests, not a deployment.

DEB_PACKAGES += libpq-dev postgresql
TEST_TARGETS += test-postgres
BENCH_TARGETS += bench-postgres
.PHONY: test-postgres bench-postgres

PG_SERVER := tests/postgres/server.sh
# One server per run (the recipe's PID in the name): runs started at the same time never meet.
PG_DIR := $(BUILD)/pg
PG_BIN := $(BUILD)/tests/postgres
PG_PSQL = psql "$$url" -qAtX -v ON_ERROR_STOP=1 -c
# A URI for a fresh schema of the server's database: $(call pg_schema_uri,NAME)
pg_schema_uri = "$$url?options=-csearch_path%3D$(1)"
PG_BENCH_REVOCATIONS ?= 1000
PG_BENCH_ARGS ?=

$(PG_BIN)/open_pg: tests/postgres/open_pg.c $(C_TEST_DEPS)
	@mkdir -p $(@D)
	$(CC) $(C_STRICT) -Itests/c $(TA_CFLAGS) $< -o $@ $(TA_LIBS)

$(PG_BIN)/failover: tests/postgres/failover.c $(C_TEST_DEPS)
	@mkdir -p $(@D)
	$(CC) $(C_STRICT) -D_DEFAULT_SOURCE -Itests/c $(TA_CFLAGS) $< -o $@ $(TA_LIBS)

$(PG_BIN)/fleet_limits: tests/postgres/fleet_limits.c $(C_TEST_DEPS)
	@mkdir -p $(@D)
	$(CC) $(C_STRICT) -Itests/c $(TA_CFLAGS) $< -o $@ $(TA_LIBS)

$(PG_BIN)/bench_postgres: tests/postgres/bench_postgres.c $(TEST_PREFIX_STAMP)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror $$($(TA_PKG_CONFIG) --cflags tokenauth) $< -o $@ \
	    $$($(TA_PKG_CONFIG) --libs tokenauth)

# One shell, so that the trap stops and removes the server whatever fails.
test-postgres: $(PG_BIN)/open_pg $(BUILD)/tests/c/two_process $(PG_BIN)/failover $(PG_BIN)/fleet_limits
	@set -e; dir=$(PG_DIR)/test.$$$$; \
	trap 'bash $(PG_SERVER) destroy '"$$dir" EXIT; \
	url=$$(bash $(PG_SERVER) start "$$dir"); \
	echo "test-postgres: PostgreSQL at $$url"; \
	echo "==> the ABI suite against PostgreSQL"; \
	TOKENAUTH_TEST_DATABASE_URL="$$url" $(SWIFT) test $(SWIFT_PATH_FLAGS) --filter TokenAuthABITests; \
	echo "==> ta_open with postgresql:// URIs"; \
	$(TA_RUN_ENV) $(PG_BIN)/open_pg "$$url"; \
	echo "==> two processes, one store"; \
	$(PG_PSQL) "SET client_min_messages = warning; DROP SCHEMA IF EXISTS two_process CASCADE; CREATE SCHEMA two_process"; \
	$(TA_RUN_ENV) $(BUILD)/tests/c/two_process $(call pg_schema_uri,two_process); \
	echo "==> lost connections, a stopped server"; \
	$(PG_PSQL) "SET client_min_messages = warning; DROP SCHEMA IF EXISTS failover CASCADE; CREATE SCHEMA failover"; \
	$(TA_RUN_ENV) $(PG_BIN)/failover $(call pg_schema_uri,failover) $(PG_SERVER) "$$dir"; \
	echo "==> one rate-limit budget per token for a fleet of 2, 4 and 8 handles"; \
	$(PG_PSQL) "SET client_min_messages = warning; DROP SCHEMA IF EXISTS fleet CASCADE; CREATE SCHEMA fleet"; \
	$(TA_RUN_ENV) $(PG_BIN)/fleet_limits $(call pg_schema_uri,fleet); \
	echo "test-postgres: the ABI suite, open_pg, two_process and failover passed on PostgreSQL"

bench-postgres: $(PG_BIN)/bench_postgres
	@set -eo pipefail; mkdir -p $(BUILD)/bench; dir=$(PG_DIR)/bench.$$$$; db=$(BUILD)/bench/pg-hot.$$$$.db; \
	trap 'bash $(PG_SERVER) destroy '"$$dir"'; rm -f '"$$db"'*' EXIT; \
	url=$$(bash $(PG_SERVER) start "$$dir"); \
	$(PG_PSQL) "SET client_min_messages = warning; DROP SCHEMA IF EXISTS bench CASCADE; CREATE SCHEMA bench"; \
	$(TA_RUN_ENV) $(PG_BIN)/bench_postgres $(call pg_schema_uri,bench) "$$db" \
	    --revocations $(PG_BENCH_REVOCATIONS) $(PG_BENCH_ARGS) | tee $(BUILD)/bench/postgres.txt

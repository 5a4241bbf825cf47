#!/usr/bin/env bash
# npm test: installs what is missing, starts private Redis and PostgreSQL instances (unless
# TEST_REDIS_URL / TEST_DATABASE_URL point elsewhere), type-checks, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

[ -d node_modules ] || npm ci --no-audit --no-fund
[ -f dist/cli/main.js ] || npm run build

started=()
cleanup() { for s in "${started[@]}"; do "stop_$s" test; done; }
trap cleanup EXIT

if [ -z "${TEST_REDIS_URL:-}" ] || [ -z "${TEST_DATABASE_URL:-}" ]; then ensure_packages; fi
ensure_chromium
# The alert rules are checked with promtool (test/metrics); a failed download fails that test, not the run.
PROMTOOL=$(ensure_promtool || true); export PROMTOOL
if [ -z "${TEST_REDIS_URL:-}" ]; then
  TEST_REDIS_URL=$(start_redis test 6391); started+=(redis)
fi
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  # fsync off: these instances hold test data only; durability claims are tested against process
  # kills and server restarts, which fsync does not affect.
  TEST_DATABASE_URL="$(start_postgres test 5441 '-c fsync=off -c max_connections=200')/floodgate_test"; started+=(postgres)
  export TEST_PG_DATA_DIR; TEST_PG_DATA_DIR=$(pg_data_dir test)
fi
export TEST_REDIS_URL TEST_DATABASE_URL

npm run -s lint
npx tsc -p tsconfig.json --noEmit
# npm test -- test/claims/claims.test.ts runs only the files named
if [ $# -gt 0 ] && [ -f "$1" ]; then files=("$@"); else mapfile -t files < <(find test -name '*.test.ts' | sort); fi
node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"

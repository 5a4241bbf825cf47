#!/usr/bin/env bash
# npm test: installs what is missing, starts private Redis and PostgreSQL instances (unless
# TEST_REDIS_URL / TEST_REDIS_CLUSTER_NODES / TEST_DATABASE_URL point elsewhere), type-checks,
# and runs every test twice: pass 1 against a single Redis (TEST_REDIS_URL), pass 2 against a
# 3-master Redis Cluster (TEST_REDIS_CLUSTER_NODES). Both must pass. TEST_REDIS_MODE tells the
# tests which pass they are in; only that pass's Redis variable is set.
# TEST_REDIS_MODES=single (or =cluster) runs one pass, for a developer's quick loop; CI never sets it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

[ -d node_modules ] || npm ci --no-audit --no-fund
[ -f dist/cli/main.js ] || npm run build

modes=()
IFS=, read -ra wanted <<<"${TEST_REDIS_MODES:-single,cluster}"
for m in "${wanted[@]}"; do
  case $m in
    single | cluster) [[ " ${modes[*]} " == *" $m "* ]] || modes+=("$m") ;;
    '') ;;
    *) fg_log "TEST_REDIS_MODES: unknown mode '$m' (use single, cluster or single,cluster)"; exit 2 ;;
  esac
done
if [ ${#modes[@]} -eq 0 ]; then fg_log "TEST_REDIS_MODES names no mode (use single, cluster or single,cluster)"; exit 2; fi
wants() { [[ " ${modes[*]} " == *" $1 "* ]]; }
# Leaving a pass out is for a developer's quick loop only: say so loudly, at the start and at the end.
skipped_warning() {
  local m
  for m in single cluster; do
    wants "$m" || echo "!!!! WARNING: TEST_REDIS_MODES=${TEST_REDIS_MODES:-}: the $m Redis pass was NOT run; npm test (and CI) runs both passes" >&2
  done
}
skipped_warning

started=()
cleanup() { for s in "${started[@]}"; do "stop_$s" test; done; }
trap cleanup EXIT

need_redis=false need_cluster=false
# The single Redis also serves the seeds' designs (bench/baselines) in both passes: they are
# single-Redis systems by design.
if [ -z "${TEST_REDIS_URL:-}" ]; then need_redis=true; fi
if wants cluster && [ -z "${TEST_REDIS_CLUSTER_NODES:-}" ]; then need_cluster=true; fi
if $need_redis || $need_cluster || [ -z "${TEST_DATABASE_URL:-}" ]; then ensure_packages; fi
ensure_chromium
# The alert rules are checked with promtool (test/metrics); a failed download fails that test, not the run.
PROMTOOL=$(ensure_promtool || true); export PROMTOOL
if $need_redis; then
  TEST_REDIS_URL=$(start_redis test 6391); started+=(redis)
fi
if $need_cluster; then
  # A failure to start the cluster ends the run here (set -e): the cluster pass is never skipped quietly.
  started+=(redis_cluster)
  TEST_REDIS_CLUSTER_NODES=$(start_redis_cluster test 7391)
fi
pg_base=
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  # fsync off: these instances hold test data only; durability claims are tested against process
  # kills and server restarts, which fsync does not affect.
  pg_base=$(start_postgres test 5441 '-c fsync=off -c max_connections=200'); started+=(postgres)
  export TEST_PG_DATA_DIR; TEST_PG_DATA_DIR=$(pg_data_dir test)
fi

# database_for MODE: each pass starts from an empty database of its own in the private instance
# (rows of earlier runs and of the other pass would change what "every room" means to a test);
# a TEST_DATABASE_URL given from outside is used as it is.
database_for() {
  if [ -z "$pg_base" ]; then echo "$TEST_DATABASE_URL"; return; fi
  "$(pg_bin)/psql" "$pg_base/postgres" -qc "DROP DATABASE IF EXISTS floodgate_test_$1 WITH (FORCE)" >/dev/null
  echo "$pg_base/floodgate_test_$1"
}

npm run -s lint
npx tsc -p tsconfig.json --noEmit
# npm test -- test/claims/claims.test.ts runs only the files named
if [ $# -gt 0 ] && [ -f "$1" ]; then files=("$@"); else mapfile -t files < <(find test -name '*.test.ts' | sort); fi

# run_pass MODE: the test files with only MODE's Redis in the environment, so that a test cannot
# reach the other one by accident.
run_pass() {
  local redis=(env -u TEST_REDIS_URL -u TEST_REDIS_CLUSTER_NODES TEST_REDIS_MODE="$1" TEST_BASELINE_REDIS_URL="$TEST_REDIS_URL" TEST_DATABASE_URL="$(database_for "$1")")
  case $1 in
    single) redis+=(TEST_REDIS_URL="$TEST_REDIS_URL") ;;
    cluster) redis+=(TEST_REDIS_CLUSTER_NODES="$TEST_REDIS_CLUSTER_NODES") ;;
  esac
  "${redis[@]}" node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
}

# Every pass runs even when an earlier one failed; the status of each is kept, not left to set -e.
failed=() passed=() n=0
for mode in "${modes[@]}"; do
  n=$((n + 1))
  case $mode in
    single) echo "== pass $n/${#modes[@]}: single Redis ($TEST_REDIS_URL)" ;;
    cluster) echo "== pass $n/${#modes[@]}: Redis Cluster ($TEST_REDIS_CLUSTER_NODES)" ;;
  esac
  status=0
  run_pass "$mode" || status=$?
  if [ "$status" -eq 0 ]; then passed+=("$mode"); else failed+=("$mode (exit $status)"); fi
done

skipped_warning
if [ ${#failed[@]} -gt 0 ]; then
  printf -v list '%s, ' "${failed[@]}"
  echo "== FAILED: ${#failed[@]} of ${#modes[@]} passes failed: ${list%, }${passed[*]:+; passed: ${passed[*]}}"
  exit 1
fi
printf -v list '%s, ' "${modes[@]}"
echo "== ok: ${#modes[@]} of ${#modes[@]} passes passed: ${list%, }"

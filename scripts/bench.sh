#!/usr/bin/env bash
# npm run bench: private Redis and PostgreSQL (unless BENCH_REDIS_URL / BENCH_DATABASE_URL are set),
# a fresh build, then bench/run.ts. Arguments are passed on, e.g. npm run bench -- --seconds 20.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build >/dev/null

started=()
cleanup() { for s in "${started[@]}"; do "stop_$s" bench; done; }
trap cleanup EXIT
if [ -z "${BENCH_REDIS_URL:-}" ] || [ -z "${BENCH_DATABASE_URL:-}" ]; then ensure_packages; fi
# wrk measures the ratios with a generator that costs the cores little (bench/wrk.ts).
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    fg_log "installing wrk with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
  else
    fg_log "wrk is missing: apt-get install wrk"; exit 1
  fi
fi
if [ -z "${BENCH_REDIS_URL:-}" ]; then BENCH_REDIS_URL=$(start_redis bench 6392); started+=(redis); fi
if [ -z "${BENCH_DATABASE_URL:-}" ]; then
  base=$(start_postgres bench 5442 '-c max_connections=200 -c shared_buffers=256MB -c max_wal_size=2GB -c wal_buffers=16MB'); started+=(postgres)
  # Every run starts from an empty database (the server creates and migrates it): rows left by
  # earlier runs (millions of claims) would make one run's figures incomparable with the next.
  # Only in this private instance; a BENCH_DATABASE_URL given from outside is left as it is.
  "$(pg_bin)/psql" "$base/postgres" -qc 'DROP DATABASE IF EXISTS floodgate_bench' >/dev/null
  BENCH_DATABASE_URL="$base/floodgate_bench"
fi
export BENCH_REDIS_URL BENCH_DATABASE_URL
node --import tsx bench/run.ts "$@"

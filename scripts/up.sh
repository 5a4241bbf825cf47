#!/usr/bin/env bash
# npm run up / bash scripts/up.sh: brings the whole system up on this machine.
#  - installs dependencies and builds;
#  - uses REDIS_URL / DATABASE_URL when set, otherwise starts private Redis and PostgreSQL instances
#    with their data in .floodgate/dev (installing them with apt-get when missing);
#  - migrates, serves on $PORT (default 8080), creates a demo room, prints the URLs to open;
#  - writes the environment it chose to .floodgate/env (`source .floodgate/env` in another shell
#    gives it FLOODGATE_URL, FLOODGATE_ADMIN_TOKEN, DATABASE_URL, REDIS_URL or REDIS_CLUSTER_NODES, PORT).
# Ctrl-C stops the server and the private instances it started (their data stays in .floodgate/)
# and removes .floodgate/env (it described them).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build >/dev/null

started=()
server_pid=
env_file="$FG_HOME/env"
cleanup() {
  [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  for s in "${started[@]}"; do "stop_$s" dev; done
  rm -f "$env_file"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# A Redis Cluster given in REDIS_CLUSTER_NODES is used as it is (the server prefers it to REDIS_URL).
redis_given() { [ -n "${REDIS_URL:-}" ] || [ -n "${REDIS_CLUSTER_NODES:-}" ]; }
if ! redis_given || [ -z "${DATABASE_URL:-}" ]; then ensure_packages; fi
if ! redis_given; then REDIS_URL=$(start_redis dev 6390); started+=(redis); fi
if [ -z "${DATABASE_URL:-}" ]; then DATABASE_URL="$(start_postgres dev 5440 '-c shared_buffers=256MB -c max_wal_size=2GB -c wal_buffers=16MB')/floodgate"; started+=(postgres); fi
if [ -z "${FLOODGATE_ADMIN_TOKEN:-}" ]; then
  mkdir -p "$FG_HOME"
  [ -s "$FG_HOME/admin-token" ] || node -e "console.log(require('crypto').randomBytes(24).toString('base64url'))" >"$FG_HOME/admin-token"
  FLOODGATE_ADMIN_TOKEN=$(cat "$FG_HOME/admin-token")
fi
PORT=${PORT:-$(free_port 8080)}
FLOODGATE_URL="http://127.0.0.1:$PORT"
export DATABASE_URL FLOODGATE_ADMIN_TOKEN PORT FLOODGATE_URL
if [ -n "${REDIS_CLUSTER_NODES:-}" ]; then export REDIS_CLUSTER_NODES; redis_var=REDIS_CLUSTER_NODES; else export REDIS_URL; redis_var=REDIS_URL; fi

# The environment chosen, for other shells: `source .floodgate/env`. It holds the admin token: only
# its owner may read it.
mkdir -p "$FG_HOME"
(
  umask 077
  {
    echo "# Written by npm run up for the Floodgate it runs; removed when it stops. Use: source .floodgate/env"
    for name in FLOODGATE_URL FLOODGATE_ADMIN_TOKEN DATABASE_URL "$redis_var" PORT; do
      printf 'export %s=%q\n' "$name" "${!name}"
    done
    # Another instance (floodgate serve) must share the key prefix, if one was chosen.
    [ -z "${FLOODGATE_REDIS_PREFIX:-}" ] || printf 'export FLOODGATE_REDIS_PREFIX=%q\n' "$FLOODGATE_REDIS_PREFIX"
  } >"$env_file.tmp" && mv "$env_file.tmp" "$env_file"
)

node bin/floodgate.js migrate
node bin/floodgate.js serve --drain-seconds 0 &
server_pid=$!

FG_SERVER_PID=$server_pid node --input-type=module - <<'JS'
const origin = `http://127.0.0.1:${process.env.PORT}`;
for (let i = 0; ; i++) {
  try { if ((await fetch(`${origin}/readyz`)).ok) break; } catch {}
  try { process.kill(Number(process.env.FG_SERVER_PID), 0); } catch { process.exit(1); } // it stopped, and said why
  if (i > 150) { console.error('the server did not become ready'); process.exit(1); }
  await new Promise((r) => setTimeout(r, 200));
}
const res = await fetch(`${origin}/v1/rooms`, {
  method: 'POST',
  headers: { authorization: `Bearer ${process.env.FLOODGATE_ADMIN_TOKEN}`, 'content-type': 'application/json' },
  body: JSON.stringify({ id: 'demo', admitPerSecond: 2, maxActive: 20, sessionSeconds: 300, maxExtensions: 1, abandonAfterSeconds: 120 }),
});
if (res.status !== 201 && res.status !== 409) { console.error(`creating the demo room failed: ${res.status} ${await res.text()}`); process.exit(1); }
const base = `http://localhost:${process.env.PORT}`;
const withoutPassword = (raw) => {
  const url = new URL(raw);
  if (url.password) url.password = '***';
  return url.toString();
};
const redis = process.env.REDIS_CLUSTER_NODES ? `cluster ${process.env.REDIS_CLUSTER_NODES}` : withoutPassword(process.env.REDIS_URL);
console.log(`
Floodgate is up.
  PostgreSQL       ${withoutPassword(process.env.DATABASE_URL)}
  Redis            ${redis}
  Waiting room     ${base}/r/demo
  Admin dashboard  ${base}/admin                  (token: ${process.env.FLOODGATE_ADMIN_TOKEN})
  API docs         ${base}/docs
  Metrics          ${base}/metrics
  Demo room (API)  ${base}/v1/rooms/demo            (Authorization: Bearer <admin token>)
  JWKS             ${base}/.well-known/jwks.json
  Readiness        ${base}/readyz

Its environment is in .floodgate/env. In another shell, in this folder:
  source .floodgate/env

Try it (after source .floodgate/env): an anonymous visitor enters, then polls
  ticket=$(curl -s -X POST "$FLOODGATE_URL/v1/rooms/demo/tickets" -H 'content-type: application/json' -d '{}' | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).ticketId')
  curl -s "$FLOODGATE_URL/v1/rooms/demo/tickets/$ticket"
  npx floodgate loadtest --target "$FLOODGATE_URL" --scenario waiting-room --stage 50/s:5s --stage 0/s:2s
  npx floodgate loadtest --target "$FLOODGATE_URL" --scenario claims --stock 100 --stage 200/s:2s

Ctrl-C stops it.`);
JS
wait "$server_pid"

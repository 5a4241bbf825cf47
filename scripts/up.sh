#!/usr/bin/env bash
# npm run up / bash scripts/up.sh: brings the whole system up on this machine.
#  - installs dependencies and builds;
#  - uses REDIS_URL / DATABASE_URL when set, otherwise starts private Redis and PostgreSQL instances
#    with their data in .floodgate/dev (installing them with apt-get when missing);
#  - migrates, serves on $PORT (default 8080), creates a demo room, prints the URLs to open.
# Ctrl-C stops the server and the private instances it started (their data stays in .floodgate/).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build >/dev/null

started=()
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  for s in "${started[@]}"; do "stop_$s" dev; done
}
trap cleanup EXIT
trap 'exit 0' INT TERM

if [ -z "${REDIS_URL:-}" ] || [ -z "${DATABASE_URL:-}" ]; then ensure_packages; fi
if [ -z "${REDIS_URL:-}" ]; then REDIS_URL=$(start_redis dev 6390); started+=(redis); fi
if [ -z "${DATABASE_URL:-}" ]; then DATABASE_URL="$(start_postgres dev 5440 '-c shared_buffers=256MB -c max_wal_size=2GB -c wal_buffers=16MB')/floodgate"; started+=(postgres); fi
if [ -z "${FLOODGATE_ADMIN_TOKEN:-}" ]; then
  mkdir -p "$FG_HOME"
  [ -s "$FG_HOME/admin-token" ] || node -e "console.log(require('crypto').randomBytes(24).toString('base64url'))" >"$FG_HOME/admin-token"
  FLOODGATE_ADMIN_TOKEN=$(cat "$FG_HOME/admin-token")
fi
PORT=${PORT:-$(free_port 8080)}
export REDIS_URL DATABASE_URL FLOODGATE_ADMIN_TOKEN PORT

node bin/floodgate.js migrate
node bin/floodgate.js serve --drain-seconds 0 &
server_pid=$!

node --input-type=module - <<'JS'
const origin = `http://127.0.0.1:${process.env.PORT}`;
for (let i = 0; ; i++) {
  try { if ((await fetch(`${origin}/readyz`)).ok) break; } catch {}
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
console.log(`
Floodgate is up.
  Waiting room     ${base}/r/demo
  Admin dashboard  ${base}/admin                  (token: ${process.env.FLOODGATE_ADMIN_TOKEN})
  API docs         ${base}/docs
  Metrics          ${base}/metrics
  Demo room (API)  ${base}/v1/rooms/demo            (Authorization: Bearer <admin token>)
  JWKS             ${base}/.well-known/jwks.json
  Readiness        ${base}/readyz

Try it:
  curl -s -X POST ${base}/v1/rooms/demo/tickets -H 'content-type: application/json' -d '{}'
  curl -s ${base}/v1/rooms/demo/tickets/<ticketId>

Ctrl-C stops it.`);
JS
wait "$server_pid"

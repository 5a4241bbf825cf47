# Private Redis and PostgreSQL instances for development and tests, with their data under
# .floodgate/ in the project (or /tmp when the postgres user cannot reach the project folder).
# They listen on 127.0.0.1 at free ports of their own, so they never touch the machine's services.
# Source this file; it defines functions and changes nothing by itself.

FG_ROOT=${FG_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
FG_HOME=${FG_HOME:-$FG_ROOT/.floodgate}

fg_log() { echo "[floodgate] $*" >&2; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Prints the first port from $1 upwards that nothing listens on.
free_port() {
  local port=$1
  while port_busy "$port"; do port=$((port + 1)); done
  echo "$port"
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# Installs Redis and PostgreSQL from Debian's packages when they are missing.
ensure_packages() {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  [ -n "$(pg_bin)" ] || missing+=(postgresql)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    fg_log "missing ${missing[*]}: install them (apt-get install ${missing[*]}) or set REDIS_URL / DATABASE_URL"
    return 1
  fi
  fg_log "installing ${missing[*]} with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts the packaged services on install; ours are separate instances, theirs are left alone.
}

# start_redis NAME BASE_PORT → prints the redis:// URL of a private instance.
start_redis() {
  local name=$1 dir="$FG_HOME/$1/redis" port
  mkdir -p "$dir"
  if [ -f "$dir/port" ] && redis-cli -p "$(cat "$dir/port")" ping 2>/dev/null | grep -q PONG \
     && [ "$(redis-cli -p "$(cat "$dir/port")" config get dir 2>/dev/null | tail -n 1)" = "$dir" ]; then
    echo "redis://127.0.0.1:$(cat "$dir/port")"
    return 0
  fi
  port=$(free_port "$2")
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --daemonize yes --save "" --appendonly no \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
  echo "$port" >"$dir/port"
  for _ in $(seq 50); do redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
  fg_log "redis ($name) on 127.0.0.1:$port, data in $dir"
  echo "redis://127.0.0.1:$port"
}

stop_redis() {
  local dir="$FG_HOME/$1/redis"
  [ -f "$dir/port" ] && redis-cli -p "$(cat "$dir/port")" shutdown nosave >/dev/null 2>&1 || true
}

# Runs a command as the postgres user when we are root (PostgreSQL refuses to run as root).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_data_dir() {
  local dir="$FG_HOME/$1/pg"
  if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$FG_HOME" 2>/dev/null; then
    # The project sits where the postgres user cannot go (e.g. under /root): keep the data in /tmp.
    dir="/tmp/floodgate-$(echo "$FG_HOME" | md5sum | cut -c1-8)/$1/pg"
  fi
  echo "$dir"
}

# start_postgres NAME BASE_PORT [EXTRA_SETTINGS] → prints the base postgres:// URL (no database).
start_postgres() {
  local name=$1 dir bin port
  dir=$(pg_data_dir "$name")
  bin=$(pg_bin)
  mkdir -p "$FG_HOME" "$(dirname "$dir")"
  if [ ! -f "$dir/PG_VERSION" ]; then
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$(dirname "$dir")"
    as_pg "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  if as_pg "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    port=$(cat "$dir/fg-port")
  else
    port=$(free_port "$2")
    echo "$port" | as_pg tee "$dir/fg-port" >/dev/null
    as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 ${3:-}" start >/dev/null
    fg_log "postgres ($name) on 127.0.0.1:$port, data in $dir"
  fi
  echo "postgres://postgres@127.0.0.1:$port"
}

stop_postgres() {
  local dir
  dir=$(pg_data_dir "$1")
  [ -f "$dir/PG_VERSION" ] && as_pg "$(pg_bin)/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
}

# Installs Debian's Chromium for the browser tests when it is missing (playwright-core drives it;
# no browser is downloaded by npm).
ensure_chromium() {
  [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    fg_log "chromium is missing: apt-get install chromium (or set CHROMIUM_PATH)"
    return 1
  fi
  fg_log "installing chromium with apt-get (browser tests)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
}

# Prints the path of promtool (the alert-rule checker of Prometheus): the one on PATH, else the
# one unpacked from Debian's prometheus package into .floodgate/tools. The package is downloaded
# and unpacked, not installed: no service, no system user, nothing outside the project.
ensure_promtool() {
  local dir="$FG_HOME/tools"
  if command -v promtool >/dev/null; then command -v promtool; return 0; fi
  if [ -x "$dir/usr/bin/promtool" ]; then echo "$dir/usr/bin/promtool"; return 0; fi
  mkdir -p "$dir"
  fg_log "unpacking promtool from Debian's prometheus package into $dir"
  (cd "$dir" && { apt-get download prometheus >/dev/null 2>&1 || { apt-get update -qq && apt-get download prometheus >/dev/null 2>&1; }; }) || return 1
  dpkg-deb -x "$dir"/prometheus_*.deb "$dir" && rm -f "$dir"/prometheus_*.deb
  [ -x "$dir/usr/bin/promtool" ] && echo "$dir/usr/bin/promtool"
}

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

# A private 3-master Redis Cluster: one redis-server per node, each in its own directory
# $FG_HOME/NAME/redis-cluster/PORT (a node rewrites its nodes.conf, so nodes must not share one).
# No replicas: the tests need the slot routing, MOVED/ASK and cross-slot rules of a real cluster,
# not failover, and three processes start in a second.
FG_CLUSTER_SIZE=3

# redis-cli that gives up after 5 s, so a node that is stopped (SIGSTOP) or wedged cannot hang a run.
fg_rcli() { timeout 5 redis-cli "$@"; }

cluster_dir() { echo "$FG_HOME/$1/redis-cluster"; }

# The ports of the nodes of cluster NAME, one a line: each node's directory is named after its port.
cluster_ports() {
  local d
  for d in "$(cluster_dir "$1")"/*/; do
    d=${d%/}; d=${d##*/}
    case $d in *[!0-9]* | '') ;; *) echo "$d" ;; esac
  done | sort -n
}

# True when the redis at PORT is ours: it answers and its working directory is DIR.
redis_owned_by() {
  [ "$(fg_rcli -p "$1" ping 2>/dev/null)" = PONG ] &&
    [ "$(fg_rcli -p "$1" config get dir 2>/dev/null | tail -n 1)" = "$2" ]
}

# cluster_field PORT FIELD → FIELD of CLUSTER INFO at PORT (empty when the node does not answer).
# CLUSTER INFO ends its lines with \r.
cluster_field() { fg_rcli -p "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"; }

# True when cluster NAME has its 3 nodes, each ours (same data dir), each seeing 3 nodes and all
# 16384 slots served (cluster_state:ok).
cluster_healthy() {
  local dir port ports
  dir=$(cluster_dir "$1")
  ports=$(cluster_ports "$1")
  [ "$(echo "$ports" | grep -c .)" -eq "$FG_CLUSTER_SIZE" ] || return 1
  for port in $ports; do
    redis_owned_by "$port" "$dir/$port" || return 1
    [ "$(cluster_field "$port" cluster_state)" = ok ] || return 1
    [ "$(cluster_field "$port" cluster_known_nodes)" = "$FG_CLUSTER_SIZE" ] || return 1
  done
}

# Prints the first port from $1 upwards where both the port and its cluster bus (port + 10000) are free.
free_cluster_port() {
  local port=$1
  while port_busy "$port" || port_busy $((port + 10000)); do port=$((port + 1)); done
  echo "$port"
}

# Stops every node of cluster NAME that is still running: SHUTDOWN when it answers from our dir,
# else (wedged, or answering from elsewhere) a TERM to the pid in its pidfile, if that is a
# redis-server. Nothing that another dir or another program owns is touched.
kill_cluster_nodes() {
  local dir port pid
  dir=$(cluster_dir "$1")
  for port in $(cluster_ports "$1"); do
    if redis_owned_by "$port" "$dir/$port"; then
      fg_rcli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    fi
    pid=$(cat "$dir/$port/redis.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && [ "$(ps -p "$pid" -o comm= 2>/dev/null)" = redis-server ]; then
      kill -CONT "$pid" 2>/dev/null || true
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  done
}

# Waits up to FG_CLUSTER_TIMEOUT seconds (30) for every node to report cluster_state:ok.
wait_cluster_ok() {
  local name=$1 dir port ok
  dir=$(cluster_dir "$name")
  for _ in $(seq $((${FG_CLUSTER_TIMEOUT:-30} * 5))); do
    cluster_healthy "$name" && return 0
    sleep 0.2
  done
  fg_log "ERROR: redis cluster ($name) not ok after ${FG_CLUSTER_TIMEOUT:-30}s:"
  for port in $(cluster_ports "$name"); do
    ok=$(cluster_field "$port" cluster_state)
    fg_log "  127.0.0.1:$port cluster_state=${ok:-(no answer)} known_nodes=$(cluster_field "$port" cluster_known_nodes); log: $dir/$port/redis.log"
  done
  return 1
}

# start_redis_cluster NAME BASE_PORT → prints the nodes of a private 3-master Redis Cluster as
# 127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3. A healthy cluster from an earlier run is reused; a
# half-there or broken one is stopped, wiped and created afresh (a cluster cannot be mended
# reliably from a stale nodes.conf, and a fresh one takes a second).
start_redis_cluster() {
  local name=$1 dir port ports=() nodes=()
  dir=$(cluster_dir "$name")
  if cluster_healthy "$name"; then
    for port in $(cluster_ports "$name"); do nodes+=("127.0.0.1:$port"); done
    (IFS=,; echo "${nodes[*]}")
    return 0
  fi
  # What stop_redis_cluster leaves (node dirs, nothing running) is simply replaced; a cluster that
  # still runs but is unhealthy is worth a word, since that is not how we left it.
  for port in $(cluster_ports "$name"); do
    if [ "$(fg_rcli -p "$port" ping 2>/dev/null)" = PONG ] || [ -n "$(cat "$dir/$port/redis.pid" 2>/dev/null)" ]; then
      fg_log "redis cluster ($name) in $dir is half-there or broken: stopping its nodes and creating it afresh"
      kill_cluster_nodes "$name"
      break
    fi
  done
  rm -rf "$dir"
  mkdir -p "$dir" || return 1
  port=$(($2 - 1))
  for _ in $(seq "$FG_CLUSTER_SIZE"); do
    port=$(free_cluster_port $((port + 1)))
    ports+=("$port"); nodes+=("127.0.0.1:$port")
    mkdir -p "$dir/$port"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$dir/$port" --daemonize yes \
      --save "" --appendonly no --cluster-enabled yes --cluster-config-file "$dir/$port/nodes.conf" \
      --cluster-node-timeout 2000 --pidfile "$dir/$port/redis.pid" --logfile "$dir/$port/redis.log" >/dev/null
  done
  for port in "${ports[@]}"; do
    for _ in $(seq 50); do [ "$(fg_rcli -p "$port" ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
    if [ "$(fg_rcli -p "$port" ping 2>/dev/null)" != PONG ]; then
      fg_log "ERROR: redis cluster ($name) node 127.0.0.1:$port did not start; see $dir/$port/redis.log"
      kill_cluster_nodes "$name"
      return 1
    fi
  done
  if ! redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1; then
    fg_log "ERROR: redis-cli --cluster create failed for ($name):"
    sed 's/^/  /' "$dir/create.log" >&2
    kill_cluster_nodes "$name"
    return 1
  fi
  if ! wait_cluster_ok "$name"; then
    kill_cluster_nodes "$name"
    return 1
  fi
  fg_log "redis cluster ($name) on ${nodes[*]}, data in $dir"
  (IFS=,; echo "${nodes[*]}")
}

stop_redis_cluster() {
  local dir port
  dir=$(cluster_dir "$1")
  for port in $(cluster_ports "$1"); do
    redis_owned_by "$port" "$dir/$port" && fg_rcli -p "$port" shutdown nosave >/dev/null 2>&1
  done
  return 0
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

#!/usr/bin/env bash
# The production shape on one machine (README "make stack"): nginx with TLS in front
# of ASGI_PROCESSES daphne processes, CELERY_WORKERS Celery workers and one beat, on
# REDIS_URL and DATABASE_URL. A process that dies is started again; SIGINT/SIGTERM
# (or the parent, make, going away) stops everything in order: nginx, daphne, beat,
# workers. Runtime files (key, certificate, configs, logs) live in STACK_DIR.
set -euo pipefail
# Job control: every child gets its own process group, so a Ctrl-C in the terminal
# reaches this script alone, and it stops the children in order.
set -m
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
STACK_DIR=$(mkdir -p "${STACK_DIR:-.stack}" && cd "${STACK_DIR:-.stack}" && pwd)
STACK_PORT=${STACK_PORT:-8443}
STACK_BIND=${STACK_BIND:-127.0.0.1}
ASGI_PROCESSES=${ASGI_PROCESSES:-2}
ASGI_PORT_BASE=${ASGI_PORT_BASE:-8100}
# nginx skips a process this long after a failed connect (passive health check).
FAIL_TIMEOUT=2
CELERY_WORKERS=${CELERY_WORKERS:-1}
CELERY_CONCURRENCY=${CELERY_CONCURRENCY:-2}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bankdemo}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
LOGS=$STACK_DIR/logs
RUN=$STACK_DIR/run
parent=$PPID

say() { echo "stack $(date +%T): $*"; }
die() { echo "stack: $*" >&2; exit 1; }

[ -x "$NGINX" ] || die "nginx not found (apt-get install nginx), or set NGINX=/path/to/nginx"
command -v openssl >/dev/null || die "openssl not found (apt-get install openssl)"
[ -x "$BIN/daphne" ] || die "$BIN/daphne missing: run make .venv/.installed-app"
mkdir -p "$LOGS" "$RUN" "$STACK_DIR/tls" "$STACK_DIR/nginx/tmp"
# Every open tab is a file descriptor in daphne (and two in nginx).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# --- production posture ------------------------------------------------------------
if [ -z "${DJANGO_SECRET_KEY:-}" ]; then
  if [ ! -s "$STACK_DIR/secret_key" ]; then
    (umask 077 && "$BIN/python" -c "import secrets; print(secrets.token_urlsafe(50))" \
      >"$STACK_DIR/secret_key")
    say "generated a secret key in $STACK_DIR/secret_key (kept: sessions survive restarts)"
  fi
  DJANGO_SECRET_KEY=$(cat "$STACK_DIR/secret_key")
fi
if [ ! -s "$STACK_DIR/tls/cert.pem" ]; then
  (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -days 825 -sha256 \
    -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$STACK_DIR/tls/key.pem" -out "$STACK_DIR/tls/cert.pem" 2>/dev/null)
  say "made a self-signed certificate in $STACK_DIR/tls/cert.pem"
fi
origins="https://127.0.0.1:$STACK_PORT,https://localhost:$STACK_PORT"
export DJANGO_DEBUG=0 DJANGO_SECRET_KEY REDIS_URL DATABASE_URL
export DJANGO_ALLOWED_HOSTS=${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost}
export DJANGO_CSRF_TRUSTED_ORIGINS=${DJANGO_CSRF_TRUSTED_ORIGINS:-$origins}
# nginx is the one proxy: the client is the last address it appends.
export SESSIONS_CORE_TRUSTED_PROXIES=1
export ASGI_PROCESSES CELERY_WORKERS CELERY_CONCURRENCY
# prometheus_client's multiprocess mode: one directory for every process, empty at
# start (counters of an earlier run would be summed in).
export PROMETHEUS_MULTIPROC_DIR=$STACK_DIR/prometheus
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"

port_free() {
  "$BIN/python" - "$1" <<'PY'
import socket, sys
with socket.socket() as s:
    # As the servers bind: a port in TIME_WAIT after the last run is free to them.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", int(sys.argv[1])))
    except OSError:
        sys.exit(1)
PY
}
for ((i = 1; i <= ASGI_PROCESSES; i++)); do
  port_free $((ASGI_PORT_BASE + i)) ||
    die "port $((ASGI_PORT_BASE + i)) is taken: set ASGI_PORT_BASE to a free range"
done
port_free "$STACK_PORT" || die "port $STACK_PORT is taken: set STACK_PORT"

# --- data stores ---------------------------------------------------------------------
"$BIN/python" - <<'PY' || exit 1
import os, sys
import redis
import psycopg
from psycopg import sql
import dj_database_url

url = os.environ["REDIS_URL"]
try:
    redis.Redis.from_url(url, socket_timeout=2).ping()
except redis.RedisError as exc:
    sys.exit(f"stack: Redis at {url} does not answer ({exc}): start it or set REDIS_URL")
db = dj_database_url.parse(os.environ["DATABASE_URL"])
if db["ENGINE"] != "django.db.backends.postgresql":
    sys.exit("stack: DATABASE_URL must be a postgres:// URL")
admin = dict(
    host=db["HOST"] or None, port=db["PORT"] or None, user=db["USER"] or None,
    password=db["PASSWORD"] or None, dbname="postgres", connect_timeout=3,
    autocommit=True,
)
try:
    with psycopg.connect(**admin) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]
        ).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
            print(f"stack: created database {db['NAME']}")
except psycopg.Error as exc:
    sys.exit(f"stack: PostgreSQL does not answer ({exc}): start it or set DATABASE_URL")
PY
BANKDEMO_ROLE=command "$BIN/python" manage.py migrate --noinput -v0
BANKDEMO_ROLE=command "$BIN/python" manage.py seed_demo

# --- processes -------------------------------------------------------------------------
declare -A pid_of=()  # slot -> pid
stopping=""

start() {  # start SLOT: (re)start the process of that slot, in the background
  local slot=$1 log="$LOGS/$1.log"
  case $slot in
    asgi*)
      local port=$((ASGI_PORT_BASE + ${slot#asgi}))
      BANKDEMO_ROLE=asgi "$BIN/daphne" -b 127.0.0.1 -p "$port" \
        bankdemo.asgi:application >>"$log" 2>&1 &
      ;;
    worker*)
      BANKDEMO_ROLE=worker "$BIN/celery" -A bankdemo worker --loglevel=INFO \
        --concurrency="$CELERY_CONCURRENCY" -n "$slot@%h" >>"$log" 2>&1 &
      ;;
    beat)
      BANKDEMO_ROLE=worker "$BIN/celery" -A bankdemo beat --loglevel=INFO \
        --schedule="$RUN/beat-schedule" >>"$log" 2>&1 &
      ;;
    nginx)
      "$NGINX" -p "$STACK_DIR/nginx" -c "$STACK_DIR/nginx/nginx.conf" \
        -e stderr >>"$log" 2>&1 &
      ;;
  esac
  pid_of[$slot]=$!
  echo "${pid_of[$slot]}" >"$RUN/$slot.pid"
}

stop_slots() {  # stop_slots SECONDS SLOT...: TERM them, wait, then KILL what is left
  local grace=$1 slot pid deadline
  shift
  for slot in "$@"; do
    pid=${pid_of[$slot]:-}
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  done
  deadline=$((SECONDS + grace))
  for slot in "$@"; do
    pid=${pid_of[$slot]:-}
    [ -n "$pid" ] || continue
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -f "$RUN/$slot.pid"
    unset "pid_of[$slot]"
  done
}

asgi_slots=() worker_slots=()
for ((i = 1; i <= ASGI_PROCESSES; i++)); do asgi_slots+=("asgi$i"); done
for ((i = 1; i <= CELERY_WORKERS; i++)); do worker_slots+=("worker$i"); done

stop() {
  trap - INT TERM HUP EXIT
  stopping=1
  say "stopping: nginx, then daphne, then beat, then the workers"
  stop_slots 5 nginx
  stop_slots 10 "${asgi_slots[@]}"
  stop_slots 5 beat
  # TERM is Celery's warm shutdown: the task running finishes (acks_late re-queues
  # it if it cannot).
  stop_slots 20 "${worker_slots[@]}"
  say "stopped"
}
trap 'stop; exit 0' INT TERM HUP
trap stop EXIT
# kill -USR1 $(cat .stack/run/stack.pid): restart every process, one at a time.
rolling=""
trap 'rolling=1' USR1

wait_http() {  # wait_http URL SECONDS [insecure]: until it answers 200
  "$BIN/python" - "$@" <<'PY'
import ssl, sys, time, urllib.request
url, limit = sys.argv[1], float(sys.argv[2])
context = ssl._create_unverified_context() if url.startswith("https") else None
deadline = time.monotonic() + limit
while True:
    try:
        with urllib.request.urlopen(url, timeout=2, context=context) as response:
            if response.status == 200:
                sys.exit(0)
    except Exception as exc:
        last = exc
    if time.monotonic() > deadline:
        sys.exit(f"stack: {url} did not answer 200 in {limit:.0f} s ({last})")
    time.sleep(0.2)
PY
}

for slot in "${worker_slots[@]}" beat "${asgi_slots[@]}"; do start "$slot"; done
for slot in "${asgi_slots[@]}"; do
  wait_http "http://127.0.0.1:$((ASGI_PORT_BASE + ${slot#asgi}))/healthz" 30
done

read_timeout=$(("${SESSION_ABSOLUTE_TIMEOUT:-14400}" + 60))
connections=$((4 * ${STACK_MAX_TABS:-4000} / 2 + 1024))
render_nginx() {  # render_nginx [SLOT]: the config, with SLOT's process marked down
  local slot servers=""
  for slot in "${asgi_slots[@]}"; do
    servers+="        server 127.0.0.1:$((ASGI_PORT_BASE + ${slot#asgi}))"
    servers+=" max_fails=1 fail_timeout=${FAIL_TIMEOUT}s"
    [ "$slot" = "${1:-}" ] && servers+=" down"
    servers+=$';\n'
  done
  SERVERS=$servers PREFIX=$STACK_DIR/nginx TLS=$STACK_DIR/tls BIND=$STACK_BIND \
    PORT=$STACK_PORT READ_TIMEOUT=$read_timeout CONNECTIONS=$connections \
    NOFILE=$((2 * connections + 64)) WORKERS=${NGINX_WORKERS:-1} "$BIN/python" - <<'PY'
import os, re
with open("scripts/nginx.conf.template") as template:
    text = template.read()
text = re.sub(r"@([A-Z_]+)@", lambda m: os.environ[m.group(1)], text)
with open(os.path.join(os.environ["PREFIX"], "nginx.conf"), "w") as out:
    out.write(text)
PY
}
reload_nginx() {  # reload_nginx [SLOT]: new workers with that config; old ones finish
  render_nginx "${1:-}"
  kill -HUP "${pid_of[nginx]}"
  sleep 1  # the new workers take over
}
render_nginx
"$NGINX" -t -q -p "$STACK_DIR/nginx" -c "$STACK_DIR/nginx/nginx.conf" -e stderr
start nginx
base="https://127.0.0.1:$STACK_PORT"
wait_http "$base/readyz" 30 || say "not ready yet: see $base/readyz and $LOGS/"
say "ready: $base/ (alice / demo-alice-2026; self-signed certificate)"
say "  $ASGI_PROCESSES daphne on 127.0.0.1:$((ASGI_PORT_BASE + 1))..$((ASGI_PORT_BASE + ASGI_PROCESSES)), $CELERY_WORKERS worker(s), beat; logs in $LOGS"
say "  $base/healthz, $base/readyz, $base/metrics (loopback or METRICS_TOKEN). Ctrl-C stops."
echo "$$" >"$RUN/stack.pid"

forget_process() {
  # A process gone: its live gauges (open sockets) go with it; its counters count on.
  "$BIN/python" -c "import sys; from prometheus_client import multiprocess as m
m.mark_process_dead(int(sys.argv[1]))" "$1" 2>/dev/null || true
}

rolling_restart() {
  # One at a time: nginx is told first that the process is going (marked down, and
  # reloaded), so no request or reconnecting tab is sent to it; its own tabs drop
  # when it stops and reconnect to the others. Back (its /healthz) before the next.
  local slot old
  say "rolling restart: ${asgi_slots[*]} ${worker_slots[*]} beat"
  for slot in "${asgi_slots[@]}"; do
    reload_nginx "$slot"
    old=${pid_of[$slot]}
    stop_slots 10 "$slot"
    forget_process "$old"
    start "$slot"
    # A process slow to come back must not stop the whole stack (set -e): say
    # so and go on; the others serve, and the supervisor restarts it if it exits.
    wait_http "http://127.0.0.1:$((ASGI_PORT_BASE + ${slot#asgi}))/healthz" 30 ||
      say "$slot did not answer /healthz in 30 s: see $LOGS/$slot.log"
    reload_nginx
  done
  say "rolling restart: servers back"
  for slot in "${worker_slots[@]}" beat; do
    old=${pid_of[$slot]}
    stop_slots 20 "$slot"
    forget_process "$old"
    start "$slot"
  done
  # Done once the new worker answers a ping.
  wait_http "https://127.0.0.1:$STACK_PORT/readyz" 60 || true
  say "rolling restart done"
}

# --- supervise -------------------------------------------------------------------------
while true; do
  if [ -n "$rolling" ]; then
    rolling=""
    rolling_restart
  fi
  # make (our parent) gone: nobody would stop us otherwise.
  kill -0 "$parent" 2>/dev/null || { say "parent $parent went away"; exit 0; }
  for slot in "${!pid_of[@]}"; do
    pid=${pid_of[$slot]}
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" 2>/dev/null && code=0 || code=$?
      [ -n "$stopping" ] && break
      say "$slot (pid $pid) exited with $code: starting it again"
      forget_process "$pid"
      start "$slot"
    fi
  done
  sleep 0.5 &
  wait $! 2>/dev/null || true
done

#!/usr/bin/env bash
# Throwaway Postgres and Redis servers on 127.0.0.1 for the tests (and for trying things).
#
#   scripts/services.sh install            apt-get postgresql and redis-server when missing (root)
#   eval "$(scripts/services.sh start)"    start both; prints the `export` lines the tests read
#   scripts/services.sh start postgres     only one of them (postgres | redis)
#   scripts/services.sh stop               stop them and delete their files
#
# Everything lives in one directory, LLMORCH_SERVICES_DIR (default: a new one under /tmp),
# which `start` exports and `stop` reads. Postgres is a fresh cluster made with initdb
# (trust authentication, loopback only, fsync off: test data is thrown away), run as the
# `postgres` user when this script runs as root. Redis keeps nothing on disk. Ports:
# LLMORCH_POSTGRES_PORT (default 55432) and LLMORCH_REDIS_PORT (default 56379), or a free
# port when that one is taken. The tests read:
#
#   LLMORCH_TEST_POSTGRES_URI  postgresql://postgres@127.0.0.1:PORT/llmorch_test
#   LLMORCH_TEST_REDIS_URL     redis://127.0.0.1:PORT/0
set -euo pipefail

log() { echo "services: $*" >&2; }

pg_bin() {
    local found
    found=$(command -v initdb 2>/dev/null || true)
    if [[ -z "$found" ]]; then
        found=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
    fi
    [[ -n "$found" ]] && dirname "$(readlink -f "$found")"
}

free_port() {  # the wanted port when nothing listens there, else any free one
    python3 - "$1" <<'EOF'
import socket, sys
want = int(sys.argv[1])
for port in (want, 0):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(s.getsockname()[1])
        break
EOF
}

as_owner() {  # run a command as the owner of the Postgres files (root may not run Postgres)
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

install() {
    local want=()
    [[ -n "$(pg_bin)" ]] || want+=(postgresql)
    command -v redis-server >/dev/null || want+=(redis-server)
    if [[ ${#want[@]} -eq 0 ]]; then
        log "postgresql and redis-server are installed"
        return
    fi
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
        log "missing: ${want[*]} (install them, or run this as root on Debian/Ubuntu)"
        return 1
    fi
    log "installing ${want[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
}

start_postgres() {
    local bin dir port
    bin=$(pg_bin) || { log "postgres: initdb not found (scripts/services.sh install)"; return 1; }
    dir="$LLMORCH_SERVICES_DIR/postgres"
    port=$(free_port "${LLMORCH_POSTGRES_PORT:-55432}")
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres: "$dir" "$LLMORCH_SERVICES_DIR"
    chmod 700 "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres llmorch_test
    log "postgres $("$bin/postgres" --version | grep -o "[0-9][0-9.]*" | head -n 1) on 127.0.0.1:$port"
    echo "export LLMORCH_TEST_POSTGRES_URI=postgresql://postgres@127.0.0.1:$port/llmorch_test"
}

start_redis() {
    local dir port
    command -v redis-server >/dev/null || { log "redis: redis-server not found (scripts/services.sh install)"; return 1; }
    dir="$LLMORCH_SERVICES_DIR/redis"
    port=$(free_port "${LLMORCH_REDIS_PORT:-56379}")
    mkdir -p "$dir"
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly no \
        --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
    for _ in $(seq 100); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && break
        sleep 0.05
    done
    redis-cli -p "$port" ping >/dev/null
    log "redis $(redis-server --version | grep -o 'v=[0-9.]*' | cut -c3-) on 127.0.0.1:$port"
    echo "export LLMORCH_TEST_REDIS_URL=redis://127.0.0.1:$port/0"
}

start() {
    local which=${1:-all}
    export LLMORCH_SERVICES_DIR=${LLMORCH_SERVICES_DIR:-$(mktemp -d /tmp/llmorch-services.XXXXXX)}
    mkdir -p "$LLMORCH_SERVICES_DIR"
    echo "export LLMORCH_SERVICES_DIR=$LLMORCH_SERVICES_DIR"
    case "$which" in
        all) start_postgres; start_redis ;;
        postgres) start_postgres ;;
        redis) start_redis ;;
        *) log "unknown service: $which (postgres | redis)"; return 2 ;;
    esac
}

stop() {
    local dir=${LLMORCH_SERVICES_DIR:-}
    if [[ -z "$dir" || ! -d "$dir" ]]; then
        log "nothing to stop (LLMORCH_SERVICES_DIR is not set or gone)"
        return 0
    fi
    if [[ -f "$dir/postgres/data/postmaster.pid" ]]; then
        as_owner "$(pg_bin)/pg_ctl" -D "$dir/postgres/data" -m immediate -w stop >/dev/null || true
        log "postgres stopped"
    fi
    if [[ -f "$dir/redis/redis.pid" ]]; then
        kill "$(cat "$dir/redis/redis.pid")" 2>/dev/null || true
        for _ in $(seq 100); do [[ -f "$dir/redis/redis.pid" ]] || break; sleep 0.05; done
        log "redis stopped"
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    install) install ;;
    start) start "${2:-all}" ;;
    stop) stop ;;
    *) echo "usage: $0 install | start [postgres|redis] | stop" >&2; exit 2 ;;
esac

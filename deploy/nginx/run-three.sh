#!/usr/bin/env bash
# Starts three coordinators on one PostgreSQL behind nginx, in the foreground; Ctrl-C stops them all.
#
#   COVENANT_STORE_POSTGRES_URL=postgresql://covenant@db.internal:5432/covenant deploy/nginx/run-three.sh
#
# Needs: the coordinator jar (mvn -B -q -DskipTests package), nginx on the PATH, and a PostgreSQL
# the URL reaches (the first coordinator creates the tables; the user needs CREATE on the database).
# Logs and nginx's files go to deploy/nginx/run/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jar="$(ls "$root"/coordinator-server/target/coordinator-server-*-all.jar 2>/dev/null | head -1 || true)"
: "${COVENANT_STORE_POSTGRES_URL:?set COVENANT_STORE_POSTGRES_URL=postgresql://user@host:port/database}"
[ -n "$jar" ] || { echo "no coordinator jar: run 'mvn -B -q -DskipTests package' first" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx is not on the PATH (apt-get install nginx)" >&2; exit 1; }

run="$here/run"
mkdir -p "$run/tmp"
pids=()
stop() {
  [ -f "$run/nginx.pid" ] && nginx -p "$run" -c "$here/covenant.conf" -s quit 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done   # SIGTERM: a graceful stop, each resigns its term
  wait || true
}
trap stop EXIT INT TERM

for i in 1 2 3; do
  COVENANT_STORE=postgres \
  COVENANT_HTTP_HOST=127.0.0.1 \
  COVENANT_HTTP_PORT=808$i \
  COVENANT_CLUSTER_INSTANCEID="coordinator-$i" \
    java -XX:MaxGCPauseMillis=10 -XX:MaxTenuringThreshold=1 -jar "$jar" >"$run/coordinator-$i.log" 2>&1 &
  pids+=($!)
done
for i in 1 2 3; do
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:808$i/health/ready" >/dev/null 2>&1 && break
    kill -0 "${pids[$((i-1))]}" 2>/dev/null || { echo "coordinator-$i stopped; see $run/coordinator-$i.log" >&2; exit 1; }
    sleep 0.5
  done
done
nginx -p "$run" -c "$here/covenant.conf"
echo "three coordinators behind http://127.0.0.1:8080 (logs in $run); Ctrl-C stops them"
wait "${pids[@]}"

#!/usr/bin/env bash
# Runs one workload with the coordinator in a JVM of its own (embedded journal in a fresh temporary
# directory, fsync on) and the load generator and participants in another, both on this machine.
# The coordinator's CPU per transaction then comes from its whole process (`/metrics`), GC and JIT
# included, and its garbage collector does not see the load generator's records. COORDINATOR_JAVA_OPTS
# and BENCH_JAVA_OPTS pass JVM options to either side; COORDINATOR_JAVA names another java for the
# coordinator (the jar is built for Java 17 and runs on any later JDK).
#
# Usage (from the repository root, after `mvn -B -DskipTests package`):
#   benchmarks/run-separate.sh WORKLOAD [bench run options...]
#   COORDINATOR_JAVA_OPTS="-Xlog:gc:file=gc.log" benchmarks/run-separate.sh tcc-2-branches --rate 2000
#   COORDINATOR_JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java benchmarks/run-separate.sh saga-3-steps
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
workload=${1:?usage: run-separate.sh WORKLOAD [bench run options...]}
shift
bench=target/benchmarks-0.1.0-SNAPSHOT-all.jar
coordinator=../coordinator-server/target/coordinator-server-0.1.0-SNAPSHOT-all.jar
for jar in "$bench" "$coordinator"; do
  [[ -f $jar ]] || { echo "build it first: mvn -B -DskipTests package (missing $jar)" >&2; exit 1; }
done
port=${COORDINATOR_PORT:-8090}
dir=$(mktemp -d -t covenant-bench-journal.XXXXXX)
log="$dir.log"
# shellcheck disable=SC2086 # COORDINATOR_JAVA_OPTS is a list of options
COVENANT_HTTP_PORT=$port COVENANT_STORE_JOURNAL_DIR="$dir" \
  "${COORDINATOR_JAVA:-java}" ${COORDINATOR_JAVA_OPTS:-} -jar "$coordinator" >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 300); do
  curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { echo "the coordinator did not start; its log:" >&2; cat "$log" >&2; exit 1; }
  sleep 0.1
done
echo "coordinator pid $pid on port $port, journal $dir, log $log"
# The load generator's own young pauses are measured as latency, like the coordinator's: keep them
# short (a small young generation) and copy its records of the run, which live until the end, once
# (promoted at their first collection). BENCH_JAVA_OPTS comes after, so it can override either.
bench_gc_opts="-XX:MaxGCPauseMillis=10 -XX:MaxTenuringThreshold=1"
# shellcheck disable=SC2086 # BENCH_JAVA_OPTS is a list of options
java $bench_gc_opts ${BENCH_JAVA_OPTS:-} -jar "$bench" run --workload "workloads/$workload.yaml" \
  --target "http://127.0.0.1:$port" "$@"

#!/usr/bin/env bash
# Runs the five shipped workloads one after the other against an in-process coordinator on the
# embedded journal (fsync on), closed loop, and prints each run's summary line. Extra arguments go
# to every `bench run` (e.g. --concurrency 256 --duration 20s, or --store memory).
#
# Usage (from the repository root, after `mvn -B -pl benchmarks package`):
#   benchmarks/run-all.sh [bench run options...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
jar=target/benchmarks-0.1.0-SNAPSHOT-all.jar
[[ -f $jar ]] || { echo "build it first: mvn -B -pl benchmarks package" >&2; exit 1; }
for w in saga-3-steps saga-3-steps-10pct-compensate tcc-2-branches 2pc-2-branches begin-commit-empty; do
  java -jar "$jar" run --workload "workloads/$w.yaml" "$@"
done

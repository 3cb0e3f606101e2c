#!/usr/bin/env bash
# loss4j benchmarks: builds the library (installed into the local Maven repository) and this JMH project, then runs
#
#   benchmarks/run.sh [--out DIR] [JMH options] [benchmark regexp...]   JMH; results -> benchmarks/results/
#   benchmarks/run.sh check [small|medium|large] [java onednn torch]     same data through every implementation
#   benchmarks/run.sh summarize RESULT.json...                           rewrite a result's summary (.md)
#   benchmarks/run.sh charts RESULT.json...                              rewrite a result's charts (PNG beside it)
#
# e.g.  benchmarks/run.sh PointwiseBench -p loss=MSELoss -p size=large -prof gc
#       benchmarks/run.sh -f 1 -wi 1 -i 1 -w 100ms -r 100ms CtcBench          (smoke test)
# SKIP_BUILD=1 reuses the last build. The JDK (>= 22) and Maven are found by src/bin/loss4j's logic.
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Sourcing the launcher with --help only defines its functions and exports JAVA_HOME (a JDK >= 22), PATH, MVN and
# MAVEN_OPTS; its help text goes to /dev/null. It sets ROOT to the repository root.
# shellcheck source=../src/bin/loss4j
source "$BENCH/../src/bin/loss4j" --help >/dev/null

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "bench: building loss4j with $JAVA_HOME and installing it into the local Maven repository" >&2
  "$MVN" -B -q -Dstyle.color=never -f "$ROOT/pom.xml" -DskipTests install >&2
  echo "bench: building the benchmarks" >&2
  "$MVN" -B -q -Dstyle.color=never -f "$BENCH/pom.xml" package >&2
fi

COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no -- src pom.xml 2>/dev/null)" ]; then COMMIT="$COMMIT+dirty"; fi

# JMH 1.37 uses sun.misc.Unsafe, which Java 24+ warns about in every fork (forks inherit these host flags).
UNSAFE=()
if [ "$(java_major "$JAVA_HOME")" -ge 24 ]; then UNSAFE=(--sun-misc-unsafe-memory-access=allow); fi

exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector "${UNSAFE[@]}" \
  -Dloss4j.bench.results="$BENCH/results" -Dloss4j.bench.commit="$COMMIT" ${BENCH_JAVA_OPTS:-} \
  -cp "$BENCH/target/classes:$BENCH/target/lib/*" org.loss4j.bench.BenchMain "$@"

#!/usr/bin/env bash
# Side-by-side benchmarks: Javelin vs the official ONNX Runtime Java API, each scenario in fresh JVMs,
# alternating rounds. Usage: benchmarks/run.sh [ROUNDS] [SCENARIO...]
#   scenarios: add-call add-threads vad ocr-rss minilm-16 minilm-128 minilm-int8   (default: all, 2 rounds)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/fetch-models.sh
./mvnw -q -DskipTests -pl benchmarks -am package
java -cp "benchmarks/target/classes:$(cat benchmarks/target/benchmarks.classpath)" \
  dev.javelin.benchmarks.SideBySide benchmarks/target/benchmarks.classpath .models "${@:-2}"

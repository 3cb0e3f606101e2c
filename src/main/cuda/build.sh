#!/usr/bin/env bash
# Builds loss4j's CUDA kernels (loss4j_kernels.cu) with nvcc into the resources that the jar carries:
#   $OUT/org/loss4j/cuda/loss4j_kernels.fatbin   SASS for sm_80 (A100) and sm_90 (H100/H200) + PTX
#                                                (compute_80) that the driver JIT-compiles on other GPUs
#   $OUT/org/loss4j/cuda/loss4j_kernels.ptx      the compute_80 PTX (read by tests: its .entry names)
#   $OUT/org/loss4j/cuda/build-info.properties   nvcc's version, or why the kernels were not built
#
#   src/main/cuda/build.sh OUT_DIR          (Maven runs it in generate-resources)
#
# nvcc is looked up as $NVCC, $CUDA_HOME/bin/nvcc, nvcc on PATH, /usr/local/cuda/bin/nvcc. Without one the build
# still succeeds: build-info says so, and the CUDA backend reports "kernels not built: nvcc was not found when this
# jar was built". Set LOSS4J_SKIP_NVCC=1 to skip on purpose. Rebuilds only when the .cu or this script changed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out="${1:?usage: build.sh OUT_DIR}/org/loss4j/cuda"
mkdir -p "$out"
src="$here/loss4j_kernels.cu"
info="$out/build-info.properties"

nvcc=""
for c in "${NVCC:-}" "${CUDA_HOME:+$CUDA_HOME/bin/nvcc}" "$(command -v nvcc 2>/dev/null || true)" /usr/local/cuda/bin/nvcc; do
  if [[ -n "$c" && -x "$c" ]]; then nvcc="$c"; break; fi
done
if [[ "${LOSS4J_SKIP_NVCC:-}" == 1 ]]; then nvcc=""; why="LOSS4J_SKIP_NVCC=1 was set"; else why="nvcc was not found"; fi

if [[ -z "$nvcc" ]]; then
  echo "[loss4j] CUDA kernels not built: $why (looked at \$NVCC, \$CUDA_HOME/bin, PATH, /usr/local/cuda/bin)"
  rm -f "$out/loss4j_kernels.fatbin" "$out/loss4j_kernels.ptx"
  printf 'built=false\nreason=%s when this jar was built\n' "$why" > "$info"
  exit 0
fi

if [[ -f "$out/loss4j_kernels.fatbin" && -f "$out/loss4j_kernels.ptx" && -f "$info" \
      && "$out/loss4j_kernels.fatbin" -nt "$src" && "$out/loss4j_kernels.fatbin" -nt "${BASH_SOURCE[0]}" ]]; then
  exit 0  # up to date
fi

version=$("$nvcc" --version | sed -n 's/.*release \([0-9.]*\), \(V[0-9.]*\).*/\1 \2/p')
echo "[loss4j] building CUDA kernels with $nvcc ($version)"
# -fmad=false: no contraction of a*b+c into FMA, so kinks decided in float match the Java backend bit for bit.
flags=(-O3 -fmad=false -std=c++17 -Xptxas -O3)
archs=(80 90)
gencode=()
for a in "${archs[@]}"; do gencode+=(-gencode "arch=compute_$a,code=sm_$a"); done
gencode+=(-gencode "arch=compute_80,code=compute_80")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$nvcc" "${flags[@]}" -fatbin "${gencode[@]}" -o "$tmp/loss4j_kernels.fatbin" "$src"
"$nvcc" "${flags[@]}" -ptx -arch=compute_80 -o "$tmp/loss4j_kernels.ptx" "$src"
mv "$tmp/loss4j_kernels.ptx" "$tmp/loss4j_kernels.fatbin" "$out/"
printf 'built=true\nnvcc=%s\narchs=sm_80, sm_90, compute_80 PTX\n' "$version" > "$info"

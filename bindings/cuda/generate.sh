#!/usr/bin/env bash
# Regenerates loss4j's Panama bindings for the CUDA runtime, cuBLAS and cuDNN 9 with an installed jextract.
#
#   bindings/cuda/generate.sh
#
# Needs: jextract on PATH or in $JEXTRACT_HOME/bin (jextract is in no registry; build it from
# https://github.com/openjdk/jextract, see bindings/README.md), unzip, sha256sum, and
#   - the CUDA 13 runtime headers: $CUDA_HOME/include (default /usr/local/cuda), CUDART_VERSION 13000;
#   - NVIDIA's cuBLAS and cuDNN wheels pinned below: from $NVIDIA_WHEELS (a directory holding the two .whl files), else
#     fetched with `pip download --no-deps` (the machine's pip index serves them). Never commit them.
# Set JEXTRACT_COMMIT to the jextract source commit so VERSIONS.md records it. The generated code must compile for
# Java 22 (jextract 0b89a46, see bindings/README.md); this script refuses output that needs JDK 23.
#
# Headers come from the wheels that carry the libraries (cuBLAS, cuDNN) and from the CUDA install that carries
# libcudart.so.13, so headers and libraries match. cuBLAS's headers include the runtime's driver_types.h,
# library_types.h and cuda_fp16.h, which come from $CUDA_HOME/include. The output replaces the three package
# directories under bindings/src/main/java/org/loss4j/internal/cuda/ wholesale; generated files are never edited by
# hand. Regenerating with the same jextract, libclang, CUDA headers and wheels gives no diff.
set -euo pipefail

CUDNN_WHEEL=nvidia_cudnn_cu13-9.24.0.43-py3-none-manylinux_2_27_x86_64.whl
CUDNN_SHA256=71f181cd810e90f9b6023b01186fe82d13d65f0ec098581ee201d39fad769e4b
CUBLAS_WHEEL=nvidia_cublas-13.1.1.3-py3-none-manylinux_2_27_x86_64.whl
CUBLAS_SHA256=37936a16db8fe4ac1f065c2139360608a543a09275cb1a1af612e08cfa065436
CUDART_VERSION_EXPECTED=13000
PACKAGE_ROOT=org.loss4j.internal.cuda

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out_root="$root/bindings/src/main/java"

# --- jextract -------------------------------------------------------------------------------------------------------
if [[ -n "${JEXTRACT_HOME:-}" && -x "$JEXTRACT_HOME/bin/jextract" ]]; then
  jextract="$JEXTRACT_HOME/bin/jextract"
elif command -v jextract >/dev/null 2>&1; then
  jextract=$(command -v jextract)
else
  echo "generate.sh: no jextract found: put it on PATH or set JEXTRACT_HOME (see bindings/README.md)" >&2
  exit 2
fi
jextract_version=$("$jextract" --version 2>&1)
echo "using $jextract"
echo "$jextract_version" | sed 's/^/  /'

# --- CUDA runtime headers -------------------------------------------------------------------------------------------
cuda_home="${CUDA_HOME:-/usr/local/cuda}"
cuda_inc="$(cd "$cuda_home/include" && pwd -P)"
cudart_version=$(sed -n 's/^#define CUDART_VERSION *\([0-9]*\).*/\1/p' "$cuda_inc/cuda_runtime_api.h")
if [[ "$cudart_version" != "$CUDART_VERSION_EXPECTED" ]]; then
  echo "generate.sh: $cuda_inc/cuda_runtime_api.h has CUDART_VERSION $cudart_version, expected" \
       "$CUDART_VERSION_EXPECTED (CUDA 13.0); set CUDA_HOME" >&2
  exit 4
fi
# pip-installed CUDA (as on these machines) says which runtime wheel the headers came from.
cudart_dist=$(cd "$cuda_home" && ls -d dist-info/nvidia_cuda_runtime-*.dist-info 2>/dev/null | head -1 || true)
cudart_dist=${cudart_dist#dist-info/}
cudart_dist=${cudart_dist%.dist-info}

# --- cuBLAS and cuDNN wheels ----------------------------------------------------------------------------------------
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
wheels="${NVIDIA_WHEELS:-}"
if [[ -z "$wheels" ]]; then
  wheels="$work/wheels"
  echo "fetching $CUDNN_WHEEL and $CUBLAS_WHEEL with pip (set NVIDIA_WHEELS to a directory holding them to skip)"
  pip download -q --no-deps -d "$wheels" \
    "nvidia-cudnn-cu13==$(echo "$CUDNN_WHEEL" | cut -d- -f2)" "nvidia-cublas==$(echo "$CUBLAS_WHEEL" | cut -d- -f2)"
fi
for pair in "$CUDNN_WHEEL:$CUDNN_SHA256" "$CUBLAS_WHEEL:$CUBLAS_SHA256"; do
  wheel=${pair%%:*} sha=${pair##*:}
  if [[ ! -f "$wheels/$wheel" ]]; then
    echo "generate.sh: no $wheels/$wheel" >&2
    exit 5
  fi
  actual=$(sha256sum "$wheels/$wheel" | cut -d' ' -f1)
  if [[ "$actual" != "$sha" ]]; then
    echo "generate.sh: $wheel has sha256 $actual, pinned $sha" >&2
    exit 5
  fi
  unzip -q -o "$wheels/$wheel" 'nvidia/*/include/*' -d "$work/site"
done
cudnn_inc="$work/site/nvidia/cudnn/include"
cublas_inc="$work/site/nvidia/cu13/include"

# --- generate -------------------------------------------------------------------------------------------------------
# No --library: the generated code looks symbols up through the class loader, after
# org.loss4j.internal.nativelib.CudaLibraries has System.load-ed the libraries.
generate() { # <sub-package> <header class> <symbol list> <header> <include dirs...>
  local sub=$1 header_class=$2 symbols=$3 header=$4
  shift 4
  local includes=()
  for dir in "$@"; do includes+=(-I "$dir"); done
  echo "generating $PACKAGE_ROOT.$sub from $(basename "$header")"
  # jextract warns about every declaration it cannot map in the included headers, even ones not selected.
  "$jextract" \
    --target-package "$PACKAGE_ROOT.$sub" \
    --header-class-name "$header_class" \
    --output "$work/out" \
    "${includes[@]}" \
    @"$here/$symbols" \
    "$header" 2> >(grep -v ': warning: Skipping ' >&2)
}
generate cudart cudart_h cudart.symbols "$cuda_inc/cuda_runtime_api.h" "$cuda_inc"
generate cublas cublas_h cublas.symbols "$cublas_inc/cublas_v2.h" "$cublas_inc" "$cuda_inc"
generate cudnn cudnn_h cudnn.symbols "$cudnn_inc/cudnn_adv.h" "$cudnn_inc" "$cuda_inc"

if grep -rq 'SYMBOL_LOOKUP.findOrThrow' "$work/out"; then
  echo "generate.sh: this jextract emits SymbolLookup.findOrThrow (JDK 23+) but loss4j targets Java 22;" \
       "use jextract 0b89a46 (see bindings/README.md)" >&2
  exit 3
fi

# --- normalise and install ------------------------------------------------------------------------------------------
# Keep the output independent of where the headers were unpacked (jextract writes no timestamps).
find "$work/out" -name '*.java' -exec sed -i -e "s#$work/site/##g" -e "s#$cuda_inc/##g" -e 's/[[:space:]]*$//' {} +
for sub in cudart cublas cudnn; do
  out_pkg="$out_root/${PACKAGE_ROOT//.//}/$sub"
  rm -rf "$out_pkg"
  mkdir -p "$(dirname "$out_pkg")"
  cp -r "$work/out/${PACKAGE_ROOT//.//}/$sub" "$out_pkg"
  echo "wrote $(find "$out_pkg" -name '*.java' | wc -l) files under ${out_pkg#$root/}"
done

version_of() { sed -n "s/^#define $2 *\([0-9]*\).*/\1/p" "$1"; }
cudnn_version="$(version_of "$cudnn_inc/cudnn_version.h" CUDNN_MAJOR).$(version_of "$cudnn_inc/cudnn_version.h" CUDNN_MINOR).$(version_of "$cudnn_inc/cudnn_version.h" CUDNN_PATCHLEVEL)"
cublas_version="$(version_of "$cublas_inc/cublas_api.h" CUBLAS_VER_MAJOR).$(version_of "$cublas_inc/cublas_api.h" CUBLAS_VER_MINOR).$(version_of "$cublas_inc/cublas_api.h" CUBLAS_VER_PATCH)"

cat > "$here/VERSIONS.md" <<VERSIONS
# CUDA bindings: provenance

Written by \`generate.sh\`; do not edit.

| what | value |
|---|---|
| CUDA runtime headers | \`cuda_runtime_api.h\`, CUDART_VERSION $cudart_version, from \`$cuda_home\`${cudart_dist:+ (pip wheel \`$cudart_dist\`)}; the library is \`libcudart.so.13\` of the same install |
| cuBLAS | $cublas_version: \`$CUBLAS_WHEEL\`, sha256 \`$CUBLAS_SHA256\`, \`nvidia/cu13/include/cublas_v2.h\` (+ the runtime headers above for \`driver_types.h\`, \`library_types.h\`, \`cuda_fp16.h\`) |
| cuDNN | $cudnn_version: \`$CUDNN_WHEEL\`, sha256 \`$CUDNN_SHA256\`, \`nvidia/cudnn/include/cudnn_adv.h\` (which includes \`cudnn_ops.h\` and \`cudnn_graph.h\`) |
| symbol lists | \`bindings/cuda/cudart.symbols\`, \`cublas.symbols\`, \`cudnn.symbols\` |
| packages | \`$PACKAGE_ROOT.cudart\` (\`cudart_h\`), \`$PACKAGE_ROOT.cublas\` (\`cublas_h\`), \`$PACKAGE_ROOT.cudnn\` (\`cudnn_h\`); internal |
| jextract commit | ${JEXTRACT_COMMIT:-unrecorded (set JEXTRACT_COMMIT when running generate.sh)} (openjdk/jextract; must emit Java 22 code) |
| jextract --version | $(echo "$jextract_version" | paste -sd';' | sed 's/;/; /g') |
VERSIONS
echo "wrote ${here#$root/}/VERSIONS.md"

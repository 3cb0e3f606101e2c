#!/usr/bin/env bash
# Regenerates loss4j's Panama bindings for oneDNN's C API with an installed jextract.
#
#   bindings/onednn/generate.sh
#
# Needs: jextract on PATH or in $JEXTRACT_HOME/bin (jextract is in no registry; build it from
# https://github.com/openjdk/jextract, see bindings/README.md), unzip, and Maven (to fetch the pinned jar if ~/.m2
# lacks it). Set JEXTRACT_COMMIT to the jextract source commit so VERSIONS.md records it.
# The generated code must compile for Java 22, loss4j's floor: jextract after commit a53f5c0 (2025-01) emits
# SymbolLookup.findOrThrow (JDK 23+), so use 0b89a46 (its parent); this script refuses output that needs JDK 23.
#
# Headers come from the same Maven Central jar the natives come from (pinned below), so headers and library match.
# The output replaces bindings/src/main/java/org/loss4j/internal/onednn/dnnl/ wholesale; generated files are never
# edited by hand. Regenerating with the same jextract, libclang and jar gives no diff.
set -euo pipefail

DNNL_GROUP=org.bytedeco
DNNL_ARTIFACT=dnnl
DNNL_VERSION=3.8.1-1.5.12
DNNL_CLASSIFIER=linux-x86_64
PACKAGE=org.loss4j.internal.onednn.dnnl
HEADER_CLASS=dnnl_h

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out_root="$root/bindings/src/main/java"
out_pkg="$out_root/${PACKAGE//.//}"

# --- jextract -------------------------------------------------------------------------------------------------------
if [[ -n "${JEXTRACT_HOME:-}" && -x "$JEXTRACT_HOME/bin/jextract" ]]; then
  jextract="$JEXTRACT_HOME/bin/jextract"
elif command -v jextract >/dev/null 2>&1; then
  jextract=$(command -v jextract)
else
  echo "generate.sh: no jextract found: put it on PATH or set JEXTRACT_HOME (see DEVELOPERS.md)" >&2
  exit 2
fi
jextract_version=$("$jextract" --version 2>&1)
echo "using $jextract"
echo "$jextract_version" | sed 's/^/  /'

# --- headers from the pinned jar ------------------------------------------------------------------------------------
jar="${DNNL_JAR:-$HOME/.m2/repository/${DNNL_GROUP//.//}/$DNNL_ARTIFACT/$DNNL_VERSION/$DNNL_ARTIFACT-$DNNL_VERSION-$DNNL_CLASSIFIER.jar}"
if [[ ! -f "$jar" ]]; then
  echo "fetching $DNNL_GROUP:$DNNL_ARTIFACT:$DNNL_VERSION:jar:$DNNL_CLASSIFIER with Maven"
  mvn -q -B dependency:get -Dtransitive=false -Dartifact="$DNNL_GROUP:$DNNL_ARTIFACT:$DNNL_VERSION:jar:$DNNL_CLASSIFIER"
fi
jar_sha256=$(sha256sum "$jar" | cut -d' ' -f1)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="org/bytedeco/dnnl/$DNNL_CLASSIFIER/include"
unzip -q "$jar" "$prefix/*" -d "$work/jar"
inc="$work/jar/$prefix"

# --- generate -------------------------------------------------------------------------------------------------------
# No --library: the generated code looks symbols up through the class loader, after
# org.loss4j.internal.nativelib.NativeLibraries has System.load-ed libdnnl.so.3.
( cd "$inc" && "$jextract" \
    --target-package "$PACKAGE" \
    --header-class-name "$HEADER_CLASS" \
    --output "$work/out" \
    -I . \
    @"$here/dnnl.symbols" \
    oneapi/dnnl/dnnl.h )

if grep -rq 'SYMBOL_LOOKUP.findOrThrow' "$work/out"; then
  echo "generate.sh: this jextract emits SymbolLookup.findOrThrow (JDK 23+) but loss4j targets Java 22;" \
       "use jextract 0b89a46 (see bindings/README.md)" >&2
  exit 3
fi

# --- normalise and install ------------------------------------------------------------------------------------------
# Keep the output independent of where the headers were unpacked (jextract writes no timestamps).
find "$work/out" -name '*.java' -exec sed -i -e "s#$inc/##g" -e 's/[[:space:]]*$//' {} +
rm -rf "$out_pkg"
mkdir -p "$(dirname "$out_pkg")"
cp -r "$work/out/${PACKAGE//.//}" "$out_pkg"

cat > "$here/VERSIONS.md" <<VERSIONS
# oneDNN bindings: provenance

Written by \`generate.sh\`; do not edit.

| what | value |
|---|---|
| headers | \`$DNNL_GROUP:$DNNL_ARTIFACT:$DNNL_VERSION:jar:$DNNL_CLASSIFIER\` (Maven Central), \`$prefix/oneapi/dnnl/dnnl.h\` |
| jar sha256 | \`$jar_sha256\` |
| symbol list | \`bindings/onednn/dnnl.symbols\` |
| package | \`$PACKAGE\` (header class \`$HEADER_CLASS\`) |
| jextract commit | ${JEXTRACT_COMMIT:-unrecorded (set JEXTRACT_COMMIT when running generate.sh)} (openjdk/jextract; must emit Java 22 code) |
| jextract --version | $(echo "$jextract_version" | paste -sd';' | sed 's/;/; /g') |
VERSIONS

echo "wrote $(find "$out_pkg" -name '*.java' | wc -l) files under ${out_pkg#$root/}"

#!/usr/bin/env bash
# Installs xtad into a temporary prefix and builds and runs test/packaging/consumer three ways:
# (1) Meson through pkg-config, (2) Meson with xtad as a subproject, (3) CMake find_package.
# The install is docs/index.md's recipe and must compile nothing; the subproject must add no
# target and no test of xtad's to its parent's build.
# Usage: run.sh SOURCE_ROOT   (tools: PACKAGING_MESON, _CMAKE, _PKG_CONFIG, _NINJA)
# Set XTAD_KEEP_TMP=1 to keep the temporary directory for a look after a failure.
set -uo pipefail

src=$(cd "$1" && pwd)
consumer="$src/test/packaging/consumer"
read -r -a meson <<<"${PACKAGING_MESON:-meson}"
cmake=${PACKAGING_CMAKE:-cmake}
pkg_config=${PACKAGING_PKG_CONFIG:-pkg-config}
ninja=${PACKAGING_NINJA:-ninja}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xtad-packaging.XXXXXX")
if [ -z "${XTAD_KEEP_TMP:-}" ]; then
    trap 'rm -rf "$tmp"' EXIT
fi
prefix="$tmp/prefix"
start=$SECONDS

# Runs one step quietly; on failure prints the step's output and names the way that failed.
step() {
    local what=$1 log="$tmp/log-$id.txt"
    shift
    local t0=$SECONDS
    if ! "$@" >"$log" 2>&1; then
        echo "---- output of: $*"
        tail -n 60 "$log"
        echo "----"
        echo "packaging: FAILED: way $way, step '$what'"
        exit 1
    fi
    echo "  $what ($((SECONDS - t0)) s)"
}

# The consumer prints one line of flags; all three ways must print the subproject's line, which is
# what xtad's own build (xtad_dep) compiles with.
run_consumer() {
    local out
    if ! out=$("$1" 2>&1); then
        echo "$out"
        echo "packaging: FAILED: way $way, the consumer program failed"
        exit 1
    fi
    echo "$out" | sed 's/^/    /'
    grep '^xtad consumer flags:' <<<"$out" >"$tmp/flags-$id.txt"
}

id=install
way="(0) install"
echo "packaging: $way into $prefix"
step "meson setup" "${meson[@]}" setup "$tmp/build" "$src" --prefix="$prefix"
step "meson install" "${meson[@]}" install -C "$tmp/build"
if grep -q '^\[[0-9]*/[0-9]*\]' "$tmp/log-install.txt"; then
    grep '^\[[0-9]*/[0-9]*\]' "$tmp/log-install.txt" | tail -n 3
    echo "packaging: FAILED: meson install compiled something; xtad installs headers only"
    exit 1
fi
pc_files=$(find "$prefix" -name xtad.pc)
cmake_configs=$(find "$prefix" -name xtadConfig.cmake)
for f in xtad/xtad.hpp xtad/core/xtensor.hpp; do
    [ -f "$prefix/include/$f" ] || { echo "packaging: FAILED: $f was not installed"; exit 1; }
done
if [ "$(wc -w <<<"$pc_files")" != 1 ] || [ "$(wc -w <<<"$cmake_configs")" != 1 ]; then
    echo "packaging: FAILED: expected one xtad.pc and one xtadConfig.cmake, found:"
    echo "$pc_files $cmake_configs"
    exit 1
fi
[ -f "$(dirname "$cmake_configs")/xtadConfigVersion.cmake" ] \
    || { echo "packaging: FAILED: xtadConfigVersion.cmake was not installed"; exit 1; }

way_pkgconfig() {
    PKG_CONFIG_PATH="$(dirname "$pc_files")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
    export PKG_CONFIG_PATH
    step "pkg-config --validate xtad" "$pkg_config" --validate xtad
    echo "    xtad.pc gives: $("$pkg_config" --cflags --libs xtad)"
    cp -r "$consumer" "$tmp/pc"
    step "meson setup" "${meson[@]}" setup "$tmp/pc-build" "$tmp/pc" -Dxtad_from=pkg-config
    step "meson compile" "${meson[@]}" compile -C "$tmp/pc-build"
    run_consumer "$tmp/pc-build/consumer"
}

way_subproject() {
    cp -r "$consumer" "$tmp/sub"
    mkdir "$tmp/sub/subprojects"
    ln -s "$src" "$tmp/sub/subprojects/xtad"
    step "meson setup" "${meson[@]}" setup "$tmp/sub-build" "$tmp/sub" -Dxtad_from=subproject
    step "meson introspect" "${meson[@]}" introspect --targets --tests "$tmp/sub-build"
    local targets tests
    targets=$(grep -o '"subproject": "xtad"' "$tmp/log-$id.txt" | wc -l)
    tests=$(grep -o '"suite": \["xtad[:"]' "$tmp/log-$id.txt" | wc -l)
    echo "    xtad adds $targets targets and $tests tests to its parent's build"
    if [ "$targets" != 0 ] || [ "$tests" != 0 ]; then
        echo "packaging: FAILED: way $way, xtad's optional parts must be off in a subproject"
        exit 1
    fi
    step "meson compile" "${meson[@]}" compile -C "$tmp/sub-build"
    run_consumer "$tmp/sub-build/consumer"
}

way_cmake() {
    step "cmake configure" "$cmake" -S "$consumer" -B "$tmp/cmake-build" -G Ninja \
        -DCMAKE_MAKE_PROGRAM="$ninja" -DCMAKE_PREFIX_PATH="$prefix"
    step "cmake build" "$cmake" --build "$tmp/cmake-build"
    run_consumer "$tmp/cmake-build/consumer"
}

# The three ways are independent, so they build side by side; their reports print in order.
ids=(pkgconfig subproject cmake)
names=("(1) Meson + pkg-config" "(2) Meson subproject" "(3) CMake find_package")
pids=()
for i in 0 1 2; do
    (id=${ids[$i]} way=${names[$i]} && "way_$id") >"$tmp/report-${ids[$i]}.txt" 2>&1 &
    pids+=($!)
done
failed=()
for i in 0 1 2; do
    wait "${pids[$i]}" || failed+=("${names[$i]}")
    echo "packaging: ${names[$i]}"
    cat "$tmp/report-${ids[$i]}.txt"
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "packaging: FAILED: ${failed[*]}"
    exit 1
fi

reference=$(cat "$tmp/flags-subproject.txt")
for id in pkgconfig cmake; do
    if [ "$(cat "$tmp/flags-$id.txt")" != "$reference" ]; then
        echo "packaging: FAILED: the installed package compiles xtad differently from the subproject:"
        for j in "${ids[@]}"; do echo "    $j: $(cat "$tmp/flags-$j.txt")"; done
        exit 1
    fi
done
echo "packaging: all three ways built and ran the consumer ($((SECONDS - start)) s)"

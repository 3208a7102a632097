#!/usr/bin/env bash
# `make test`: every test, in lanes run side by side. One lane per backend named in
# CHFW_TEST_BACKENDS (default sqlite,postgresql) takes the tests parametrised with it; one more
# lane takes everything not parametrised by backend (unit tests, the OpenAPI fuzzing, the demo).
# A lane is one Python process, mostly on one core; a PostgreSQL lane shares its work with the
# server; so on two cores the lanes finish in about the time of the longest instead of the sum.
# The lanes partition the suite by test ID (`-k`): no test runs twice, none is left out.
set -uo pipefail
bin="${BIN:-.venv/bin}"
backends="${CHFW_TEST_BACKENDS:-sqlite,postgresql}"
IFS=',' read -r -a names <<<"${backends// /}"

dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
lanes=()
pids=()
start() {  # lane name, CHFW_TEST_BACKENDS for it, -k expression
  CHFW_TEST_BACKENDS="$2" "$bin/pytest" -q -p no:cacheprovider -k "$3" tests \
    >"$dir/$1.log" 2>&1 &
  pids+=("$!")
  lanes+=("$1")
}

earlier=""
for b in "${names[@]}"; do
  start "$b" "$b" "$b${earlier:+ and not ($earlier)}"
  earlier="${earlier:+$earlier or }$b"
done
start "not-by-backend" "$backends" "not ($earlier)"

rc=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || rc=1
  echo "== lane: ${lanes[$i]}"
  cat "$dir/${lanes[$i]}.log"
done
exit "$rc"

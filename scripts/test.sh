#!/usr/bin/env bash
# `make test`: the unit tests, then the integration and end-to-end tests on every backend named
# in CHFW_TEST_BACKENDS (default sqlite,postgresql), the backends side by side. A SQLite run is
# one Python process on one core; a PostgreSQL run shares its work with the server's processes;
# so on two cores the two finish in about the time of the longer one instead of the sum.
# Tests not parametrised by backend run once, with the first backend.
set -uo pipefail
bin="${BIN:-.venv/bin}"
backends="${CHFW_TEST_BACKENDS:-sqlite,postgresql}"
IFS=',' read -r -a names <<<"$backends"

"$bin/pytest" -q tests/unit || exit 1

dir="$(mktemp -d)"
pids=()
first=1
for b in "${names[@]}"; do
  b="${b// /}"
  if [ "$first" = 1 ]; then
    others=""
    for o in "${names[@]}"; do [ "${o// /}" != "$b" ] && others="${others:+$others or }${o// /}"; done
    select=(); [ -n "$others" ] && select=(-k "not ($others)")
    first=0
  else
    select=(-k "$b")
  fi
  CHFW_TEST_BACKENDS="$b" "$bin/pytest" -q -p no:cacheprovider "${select[@]}" tests/integration \
    tests/e2e >"$dir/$b.log" 2>&1 &
  pids+=("$!")
done

rc=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || rc=1
  b="${names[$i]// /}"
  echo "== integration and end-to-end tests on $b"
  cat "$dir/$b.log"
done
rm -rf "$dir"
exit "$rc"

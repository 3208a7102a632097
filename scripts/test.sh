#!/usr/bin/env bash
# `make test`: every test, in one lane per backend named in CHFW_TEST_BACKENDS (default
# sqlite,postgresql), the lanes side by side. A lane is one Python process, mostly on one core;
# a PostgreSQL lane shares its work with the server; so on two cores two lanes finish in about
# the time of the longer instead of the sum (measured: three lanes were slower than two).
# The lanes partition the suite by test ID (`-k`): no test runs twice, none is left out. The
# first lane also takes the integration and end-to-end tests not parametrised by backend (the
# OpenAPI fuzzing, the demo); the last also runs the unit tests, before its own.
set -uo pipefail
bin="${BIN:-.venv/bin}"
backends="${CHFW_TEST_BACKENDS:-sqlite,postgresql}"
IFS=',' read -r -a names <<<"${backends// /}"
last=$((${#names[@]} - 1))

dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
pids=()
for i in "${!names[@]}"; do
  b="${names[$i]}"
  # Every lane collects the same tests (all backends); the expressions split them: the first
  # lane takes its backend's tests and those naming no backend, each other lane its own.
  if [ "$i" = 0 ]; then
    others="${names[*]:1}"
    select="${others:+$b or not (${others// / or })}"
  else
    earlier="${names[*]:0:$i}"
    select="$b and not (${earlier// / or })"
  fi
  (
    if [ "$i" = "$last" ]; then
      "$bin/pytest" -q -p no:cacheprovider tests/unit || exit 1
    fi
    CHFW_TEST_BACKENDS="$backends" "$bin/pytest" -q -p no:cacheprovider ${select:+-k "$select"} \
      tests/integration tests/e2e
  ) >"$dir/$b.log" 2>&1 &
  pids+=("$!")
done

rc=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || rc=1
  echo "== lane: ${names[$i]}"
  cat "$dir/${names[$i]}.log"
done
exit "$rc"

#!/usr/bin/env bash
# Run Molecule scenarios at the same time, each against a lab of its own (free ports, its own
# LAB_DIR and loopback prefix: extensions/molecule/shared/target.py), and print each scenario's
# whole output, with its wall time, as it ends. Exits 1 when any scenario failed.
#
#   scripts/molecule-side-by-side.sh codedeploy rolling ecs localstack
set -uo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 SCENARIO..." >&2
    exit 2
fi
logs="$(mktemp -d "${TMPDIR:-/tmp}/molecule-logs.XXXXXX")"
trap 'rm -rf "$logs"' EXIT

declare -A pids
for scenario in "$@"; do
    (
        started=$SECONDS
        molecule test -s "$scenario" >"$logs/$scenario.log" 2>&1
        status=$?
        echo "$status $((SECONDS - started))" >"$logs/$scenario.status"
        exit "$status"
    ) &
    pids[$scenario]=$!
done

failed=()
remaining=("$@")
while [ "${#remaining[@]}" -gt 0 ]; do
    wait -n
    still=()
    for scenario in "${remaining[@]}"; do
        if [ -f "$logs/$scenario.status" ]; then
            wait "${pids[$scenario]}"
            read -r status seconds <"$logs/$scenario.status"
            verdict=passed
            if [ "$status" != 0 ]; then verdict="FAILED (exit $status)"; failed+=("$scenario"); fi
            echo "=== molecule $scenario: $verdict in ${seconds} s ==="
            cat "$logs/$scenario.log"
        else
            still+=("$scenario")
        fi
    done
    remaining=("${still[@]+"${still[@]}"}")
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "molecule: failed scenarios: ${failed[*]}" >&2
    exit 1
fi
echo "molecule: every scenario passed: $*"

#!/usr/bin/env bash
# The scan step of action.yml (the composite GitHub Action), kept in a file so it can be read,
# linted and run by the test harness (tests/packaging/test_github_action.py).
#
# It always exits 0: the SARIF upload and the job summary must happen even when the gate fails.
# The scan's own exit code goes to the step output `exit-code`; the action's last step exits
# with it (0 clean, 1 findings at or above fail-on, 2 config, 3 incomplete, 4 could not run).
set -uo pipefail

args=(scan --db "$ACTION_DB" --format sarif --output "$ACTION_SARIF")
[ -n "${ACTION_FAIL_ON:-}" ] && args+=(--fail-on "$ACTION_FAIL_ON")
[ -n "${ACTION_CONFIG:-}" ] && args+=(--config "$ACTION_CONFIG")
for provider in ${ACTION_PROVIDERS//,/ }; do
    args+=(--provider "$provider")
done
[ "${ACTION_NEW_ONLY:-false}" = "true" ] && args+=(--new-only)
[ -n "${ACTION_BASELINE:-}" ] && args+=(--baseline "$ACTION_BASELINE")
if [ -n "${ACTION_ARGS:-}" ]; then
    read -r -a extra <<< "$ACTION_ARGS"
    args+=("${extra[@]}")
fi
# An empty secret (the input not set) must not become an empty salt.
[ -z "${NHI_SECRET_SALT:-}" ] && unset NHI_SECRET_SALT

nhi "${args[@]}"
code=$?
echo "exit-code=$code" >> "$GITHUB_OUTPUT"
if [ -f "$ACTION_SARIF" ]; then
    echo "sarif-file=$ACTION_SARIF" >> "$GITHUB_OUTPUT"
fi
if [ -f "$ACTION_DB" ]; then
    nhi report --db "$ACTION_DB" --format markdown >> "$GITHUB_STEP_SUMMARY" || true
fi
exit 0

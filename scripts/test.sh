#!/usr/bin/env bash
# The test command (README, and .ci/run calls it): on a fresh machine it installs what the tests
# need, brings up the live hosts (Request Tracker 5, Redmine 5) on loopback, runs every test, and
# stops the hosts it started. Live tests are required here: a skipped live test fails the run.
#
#   bash scripts/test.sh                 # everything
#   bash scripts/test.sh tests/unit -q   # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# shellcheck source=test-steps.sh
. scripts/test-steps.sh

ensure_venv
ensure_chromium
# Stop on exit whatever host this run started; leave alone a host that was already running.
started=()
# shellcheck disable=SC2317  # called by the EXIT trap
stop_started() { for h in "${started[@]}"; do bash "$root/scripts/$h-host.sh" down || true; done; }
trap stop_started EXIT
bash scripts/rt-host.sh status >/dev/null 2>&1 || started+=(rt)
start_rt
bash scripts/redmine-host.sh status >/dev/null 2>&1 || started+=(redmine)
start_redmine

export CI_PLUGIN_REQUIRE_LIVE=1
export CI_PLUGIN_DISABLE_EXTERNAL=1   # third-party plugins on this machine must not change results
status=0
"$root/.venv/bin/python" -m pytest "${@:-tests}" || status=$?
exit "$status"

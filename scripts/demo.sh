#!/usr/bin/env bash
# The demo (README's first command): on a fresh machine, installs ci-plugin in .venv, brings up
# a local Request Tracker 5 (default) or Redmine 5 on 127.0.0.1, provisions the register, and
# walks through the continual improvement practice: convert, link, flag + sync, assess, business
# case, prioritise, move through the workflow, measure (by hand and from the desk's own tickets),
# show and list the register.
#
#   bash scripts/demo.sh            # against Request Tracker 5
#   bash scripts/demo.sh redmine    # against Redmine 5
#
# The host stays up afterwards (web UI at the URL printed): stop it with
#   bash scripts/rt-host.sh down   (or scripts/redmine-host.sh down)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
host=${1:-rt}
case "$host" in
  rt|redmine) ;;
  *) echo "usage: bash scripts/demo.sh [rt|redmine]" >&2; exit 2 ;;
esac
# shellcheck source=test-steps.sh
. scripts/test-steps.sh

ensure_venv
export PATH="$root/.venv/bin:$PATH"
mkdir -p .ci-state
export CI_PLUGIN_CONFIG="$root/.ci-state/demo-$host.toml"
if [ "$host" = rt ]; then
  start_rt
  url=$CI_PLUGIN_RT_URL token_env=CI_PLUGIN_RT_TOKEN
  web="$CI_PLUGIN_RT_URL (user root, password \"password\")"
else
  start_redmine
  url=$CI_PLUGIN_REDMINE_URL token_env=CI_PLUGIN_REDMINE_KEY
  web="$CI_PLUGIN_REDMINE_URL (user admin; Redmine's default password \"admin\" must be changed at first login)"
fi
cat > "$CI_PLUGIN_CONFIG" <<TOML
[host]
type = "$host"
url = "$url"
token_env = "$token_env"

[hooks]
enabled = ["audit_log", "require_assessment", "require_business_case", "require_verdict", "followup_on_missed"]

[hooks.audit_log]
path = "$root/.ci-state/demo-audit-$host.jsonl"
TOML

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step ci-plugin setup
step ci-plugin doctor

# Some service-desk traffic to improve on (made directly in the host, as agents and users would).
read -r inc1 inc2 inc3 inc4 problem project < <(python "$root/scripts/demo_tickets.py")

step ci-plugin convert "$inc1" --category process --problem "$problem"
imp1=$(ci-plugin convert "$inc1" 2>/dev/null)   # again: the same improvement, nothing created
step ci-plugin convert "$inc2" "$inc3" --category service --title "Ready laptops on day one"
imp2=$(ci-plugin convert "$inc2" 2>/dev/null)
step ci-plugin link "$imp1" --project "$project"
step ci-plugin sync                  # converts the ticket an agent flagged in the host
imp3=$(ci-plugin convert "$inc4" 2>/dev/null)

# The desk's own history: six recurring incidents become one proposal, the proposal one
# improvement with every incident as a source, and nothing is proposed twice.
python "$root/scripts/demo_tickets.py" recurring >/dev/null
step ci-plugin propose --min-count 5
step ci-plugin propose --min-count 5 --create
step ci-plugin propose --min-count 5   # nothing left to propose

step ci-plugin models
step ci-plugin assess "$imp1" --model wsjf --set business_value=13 --set time_criticality=8 --set risk_reduction=5 --set job_size=5
step ci-plugin assess "$imp2" --model wsjf --set business_value=8 --set time_criticality=13 --set risk_reduction=3 --set job_size=3
step ci-plugin assess "$imp3" --model wsjf --set business_value=5 --set time_criticality=5 --set risk_reduction=8 --set job_size=8
step ci-plugin prioritize --model wsjf

step ci-plugin transition "$imp1" assessing --note "baseline: 40 reset calls a week"
echo "(approval is guarded: the business case is still missing)"
ci-plugin transition "$imp1" approved || true
step ci-plugin case "$imp1" --benefit 24000 --cost 9000 --running-cost 1500 --currency EUR --benefit-kpi "reset calls -80%"
step ci-plugin measure "$imp1" --kpi "reset calls per week" --baseline 40 --target 8
for state in approved planned in-progress measuring; do step ci-plugin transition "$imp1" "$state"; done
step ci-plugin measure "$imp1" --kpi "reset calls per week" --actual 6
step ci-plugin transition "$imp1" closed
step ci-plugin show "$imp1"

# KPIs from the desk's own tickets: a query in the host's language, a metric, a window.
since=$(date -u -d '1 day ago' +%Y-%m-%dT%H:%M:%SZ) now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
if [ "$host" = rt ]; then laptops="Queue = 'General' AND Subject LIKE 'laptop'"; else laptops="subject=~laptop"; fi
step ci-plugin measure "$imp2" --kpi "laptop incidents/week" --query "$laptops" --metric count --per week \
  --baseline-window "$since..$now" --target 1
step ci-plugin measure "$imp2" --kpi "laptop incidents/week" --refresh --window "$since..$now"   # same window: same value
step ci-plugin register --sort rank

printf '\nweb UI: %s\nstop it with: bash scripts/%s-host.sh down\n' "$web" "$host"

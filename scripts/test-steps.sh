# shellcheck shell=bash
# Shared steps of scripts/test.sh and scripts/demo.sh (sourced, not run). The caller sets
# root to the checkout's top folder.
: "${root:?set root to the checkout before sourcing scripts/test-steps.sh}"

ensure_venv() {
  # A virtual environment in .venv with ci-plugin (editable) and the test tools.
  if [ ! -x "$root/.venv/bin/python" ]; then
    python3 -m venv "$root/.venv"
  fi
  if ! "$root/.venv/bin/python" -c 'import ci_plugin, pytest, responses, hypothesis' 2>/dev/null \
     || [ "$root/setup.cfg" -nt "$root/.venv/.installed" ]; then
    "$root/.venv/bin/pip" install --quiet --disable-pip-version-check -e "${root}[test]"
    touch "$root/.venv/.installed"
  fi
}

start_rt() {
  # Bring up RT 5 on loopback and install the register's lifecycle (RT's API cannot create it).
  bash "$root/scripts/rt-host.sh" up
  eval "$(bash "$root/scripts/rt-host.sh" env)"
  local cfg snippet
  cfg=$(mktemp) snippet=$(mktemp)
  printf '[host]\ntype = "rt"\nurl = "%s"\ntoken_env = "CI_PLUGIN_RT_TOKEN"\n' "$CI_PLUGIN_RT_URL" > "$cfg"
  "$root/.venv/bin/ci-plugin" --config "$cfg" setup --print-provisioning > "$snippet"
  bash "$root/scripts/rt-host.sh" install-config "$snippet"
  rm -f "$cfg" "$snippet"
}

start_redmine() {
  # Bring up Redmine 5 on loopback and run the register's provisioning script in it.
  bash "$root/scripts/redmine-host.sh" up
  eval "$(bash "$root/scripts/redmine-host.sh" env)"
  local cfg script out
  cfg=$(mktemp) script=$(mktemp) out=$(mktemp)
  printf '[host]\ntype = "redmine"\nurl = "%s"\ntoken_env = "CI_PLUGIN_REDMINE_KEY"\n' "$CI_PLUGIN_REDMINE_URL" > "$cfg"
  "$root/.venv/bin/ci-plugin" --config "$cfg" setup --print-provisioning > "$script"
  if ! bash "$root/scripts/redmine-host.sh" provision "$script" > "$out" 2>&1; then
    cat "$out" >&2
    rm -f "$cfg" "$script" "$out"
    return 1
  fi
  grep -v '^unchanged ' "$out" || true   # what the script changed, and its summary
  rm -f "$cfg" "$script" "$out"
}

ensure_chromium() {
  # Debian's headless Chromium and its WebDriver, for the report's browser test (idempotent).
  command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 && return 0
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q -o DPkg::Lock::Timeout=300 >&2
  apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 chromium chromium-driver >&2
}

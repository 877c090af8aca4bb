# shellcheck shell=bash
# Shared helpers of scripts/rt-host.sh and scripts/redmine-host.sh (sourced, not run).
# The sourcing script sets HOST_TAG (prefix of messages), PACKAGES (Debian packages it needs),
# PORT (its port on 127.0.0.1) and LOCK_FILE before calling these.

log() { printf '%s: %s\n' "$HOST_TAG" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Check what every host script needs: root, a numeric PORT, a STATE directory RUN_USER can
# reach. PREFIX names the settings in messages (CI_PLUGIN_RT, CI_PLUGIN_REDMINE).
check_host_settings() {
  local prefix="$1"
  [ "$(id -u)" = 0 ] || die "must run as root (it installs packages and switches to $RUN_USER)"
  [[ "$PORT" =~ ^[0-9]+$ ]] || die "${prefix}_PORT must be a number, got '$PORT'"
  case "$STATE" in
    /root | /root/*) die "${prefix}_STATE must not be under /root ($RUN_USER cannot reach it)" ;;
    *\'* | *\\*) die "${prefix}_STATE must not contain quotes or backslashes" ;;
    /*) ;;
    *) die "${prefix}_STATE must be an absolute path, got '$STATE'" ;;
  esac
}

# Run a command as RUN_USER from DIR, in a clean environment with HOME set.
# Usage: run_as_service DIR HOME [NAME=value ...] command args...
run_as_service() {
  local dir="$1" home="$2"
  shift 2
  (
    cd "$dir" || exit 1
    exec setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups \
      env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$home" LANG=C.UTF-8 "$@"
  )
}

# Print, one a line, the packages of PACKAGES that are not installed.
missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed; then
      printf '%s\n' "$p"
    fi
  done
}

# apt-get update + install PACKAGES (no recommends, waiting for the dpkg lock); fail naming what
# is still missing. The caller preseeds debconf first where its packages need it.
apt_install_packages() {
  local missing
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q -o DPkg::Lock::Timeout=300 >&2
  apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 "${PACKAGES[@]}" >&2
  missing="$(missing_packages)"
  [ -z "$missing" ] || die "still not installed after apt-get: ${missing//$'\n'/ }"
}

# Serialise runs of the same script (file descriptor 9 stays open until the script exits).
take_lock() {
  exec 9>"$LOCK_FILE"
  flock -w 600 9 || die "another $HOST_TAG.sh holds $LOCK_FILE"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

# Wait up to 20 s until nothing listens on PORT.
wait_port_free() {
  local i
  for ((i = 0; i < 100; i++)); do
    port_open || return 0
    sleep 0.2
  done
  return 1
}

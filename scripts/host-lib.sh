# shellcheck shell=bash
# The skeleton of scripts/rt-host.sh and scripts/redmine-host.sh (sourced, not run): the
# subcommands up, down, restart, status, env and reset, the server process (run as RUN_USER in
# a session of its own, stopped by that session's id), the HTTP probe that keeps the secret
# off every command line, the env file and the lock. A host script sets the settings below,
# sources this file, defines the hooks and ends with `host_main "$@"`.
#
# Set before sourcing (this file derives URL, ENV_FILE, LOCK_FILE, RUN_DIR and LIB_DIR from them):
#   HOST_TAG HOST_NAME   prefix of messages (rt-host) and the host's name in them (RT)
#   SETTINGS_PREFIX      prefix of the environment settings (CI_PLUGIN_RT): _PORT, _STATE, _TIMEOUT
#   PORT STATE READY_TIMEOUT   their values
#   PACKAGES INSTALL_SECONDS   the Debian packages needed; how long a cold install takes
# Set after sourcing:
#   SERVICE_DIR SERVICE_HOME SERVICE_ENV   working directory, HOME and extra NAME=value
#                        (an array) of everything run as RUN_USER, the server included
#   RUN_USER_DIRS        "MODE DIR" entries: directories RUN_USER owns, RUN_DIR among them
#   SERVER_NAME SERVER_COMMAND   the server's name in messages; its command (an array)
#   SERVER_PATTERN       glob that the server's /proc/PID/cmdline matches (NULs read as spaces,
#                        so it ends with a space): tells our server from any other process
#   SERVER_ID_FILE SERVER_LOG    the running server's session id; its stdout and stderr
#   FAILURE_LOGS         "LINES FILE" entries: the tails shown when the server does not get ready
#   CREDENTIAL_FILE CREDENTIAL_NAME CREDENTIAL_ENV   the file holding the secret the probe
#                        sends, its name in messages, its variable in the env file
#   AUTH_HEADER          what precedes the secret in the probe's request ("Name: [scheme ]")
#   PROBE_PATH PROBE_EXPECT   "up" means: GET PROBE_PATH answers 200 with PROBE_EXPECT in it
#   ENV_CHECKS_API       1: `env` fails unless the host is up; 0: it only prints the file
#   EXTRA_COMMANDS       further subcommands; NAME runs cmd_NAME (dashes as underscores) with
#                        the remaining arguments
#
# Hooks (functions the host script defines):
#   host_install        install the missing PACKAGES: preseed debconf, apt_install_packages
#   host_configure      up and reset, after the lock: write the configuration, load or make
#                       CREDENTIAL; set CONFIG_CHANGED=1 when a running server must restart
#   host_stale_server   up found our server running but not up: stop it (host_start follows),
#                       or leave it to host_repair_access
#   host_start          prepare what the server needs (database, credential), start_server,
#                       and do what may overlap its boot
#   host_repair_access  while waiting, the server answered LAST_CODE but is not up: repair
#                       that (return 0: probe again at once) or not (1). Tried until it
#                       repairs once per wait; runs as an `if` condition, so die on failure.
#   host_reset_data     reset, with the server stopped: leave an empty database (or none, for
#                       host_start to make)

log() { printf '%s: %s\n' "$HOST_TAG" "$*" >&2; }
die() { log "error: $*"; exit 1; }

: "${STATE:?set STATE before sourcing host-lib.sh}" "${PORT:?set PORT before sourcing host-lib.sh}"
RUN_USER=www-data
URL="http://127.0.0.1:$PORT"
ENV_FILE="$STATE/env"
LOCK_FILE="$STATE/.lock"
RUN_DIR="$STATE/run"
LIB_DIR="$STATE/lib"
CREDENTIAL=""
CONFIG_CHANGED=0
LAST_CODE=000
LAST_RESPONSE=""

# Root, a numeric PORT and READY_TIMEOUT, a STATE directory RUN_USER can reach.
check_host_settings() {
  local prefix="$SETTINGS_PREFIX"
  [ "$(id -u)" = 0 ] || die "must run as root (it installs packages and switches to $RUN_USER)"
  [[ "$PORT" =~ ^[0-9]+$ ]] || die "${prefix}_PORT must be a number, got '$PORT'"
  [[ "$READY_TIMEOUT" =~ ^[0-9]+$ ]] || die "${prefix}_TIMEOUT must be a number of seconds"
  case "$STATE" in
    /root | /root/*) die "${prefix}_STATE must not be under /root ($RUN_USER cannot reach it)" ;;
    *\'* | *\\*) die "${prefix}_STATE must not contain quotes or backslashes" ;;
    /*) ;;
    *) die "${prefix}_STATE must be an absolute path, got '$STATE'" ;;
  esac
}

# --- running things as RUN_USER -----------------------------------------------------------
# Become COMMAND run as RUN_USER from SERVICE_DIR, in a clean environment (HOME, SERVICE_ENV).
# Usage: service_exec [NAME=value ...] command args...   (never returns)
service_exec() {
  cd "$SERVICE_DIR" || exit 1
  exec setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$SERVICE_HOME" LANG=C.UTF-8 \
    "${SERVICE_ENV[@]}" "$@"
}

# The same, in a subshell: returns COMMAND's exit status.
as_service() { (service_exec "$@"); }

# --- packages -----------------------------------------------------------------------------
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
# is still missing. host_install preseeds debconf first where its packages need it.
apt_install_packages() {
  local missing
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q -o DPkg::Lock::Timeout=300 >&2
  apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 "${PACKAGES[@]}" >&2
  missing="$(missing_packages)"
  [ -z "$missing" ] || die "still not installed after apt-get: ${missing//$'\n'/ }"
}

ensure_installed() {
  local missing
  missing="$(missing_packages)"
  [ -z "$missing" ] && return 0
  log "installing ${missing//$'\n'/ } (apt-get update + install, about $INSTALL_SECONDS s cold) ..."
  host_install
}

require_installed() {
  [ -z "$(missing_packages)" ] || die "$HOST_NAME is not installed; run: $0 up"
}

# --- state directory, lock, secrets -------------------------------------------------------
prepare_state() {
  local dir
  (umask 022 && mkdir -p "$STATE" "$LIB_DIR")
  chmod 0755 "$STATE" "$LIB_DIR"
  for dir in "${RUN_USER_DIRS[@]}"; do
    install -d -o "$RUN_USER" -g "$RUN_USER" -m "${dir%% *}" "${dir#* }"
  done
  # every parent directory must be searchable by RUN_USER
  setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups test -w "$RUN_DIR" ||
    die "$RUN_USER cannot reach $RUN_DIR: choose a ${SETTINGS_PREFIX}_STATE whose parents are world-searchable"
}

# Serialise runs of the same script (file descriptor 9 stays open until the script exits).
take_lock() {
  exec 9>"$LOCK_FILE"
  flock -w 600 9 || die "another $HOST_TAG.sh holds $LOCK_FILE"
}

# Write the stdout of COMMAND to FILE (root, 0600) through FILE.tmp: FILE is complete, or
# unchanged if COMMAND fails (the status returned). Usage: write_private FILE command args...
write_private() {
  local file="$1"
  shift
  (
    umask 077
    "$@" >"$file.tmp" || { rm -f "$file.tmp"; exit 1; }
    mv -f "$file.tmp" "$file"
  ) || return 1
  chown root:root "$file"
  chmod 0600 "$file"
}

load_credential() {
  CREDENTIAL=""
  [ -s "$CREDENTIAL_FILE" ] && CREDENTIAL="$(head -n 1 "$CREDENTIAL_FILE")"
  return 0
}

# Keep CREDENTIAL_FILE root's alone, load it and check that it matches the regex FORM.
use_credential() {
  local form="$1"
  chown root:root "$CREDENTIAL_FILE"
  chmod 0600 "$CREDENTIAL_FILE"
  load_credential
  [[ "$CREDENTIAL" =~ $form ]] ||
    die "$CREDENTIAL_FILE does not hold a valid $CREDENTIAL_NAME; delete it and run: $0 up"
}

print_env() {
  printf 'export %s_URL=%s\n' "$SETTINGS_PREFIX" "$URL"
  printf 'export %s=%s\n' "$CREDENTIAL_ENV" "$CREDENTIAL"
}

write_env() { write_private "$ENV_FILE" print_env; }

# --- HTTP probing without curl (the secret goes through the builtin printf only) ----------
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

# GET PATH with the credential over HTTP/1.0: sets LAST_RESPONSE (the raw response) and
# LAST_CODE (its status, 000 if nothing answers).
http_get() {
  local path="$1"
  LAST_RESPONSE="$(
    (
      exec 3<>"/dev/tcp/127.0.0.1/$PORT" || exit 0
      {
        printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\nAccept: application/json\r\n' "$path" "$PORT"
        if [ -n "$CREDENTIAL" ]; then printf '%s%s\r\n' "$AUTH_HEADER" "$CREDENTIAL"; fi
        printf 'Connection: close\r\n\r\n'
      } >&3
      timeout 20 cat <&3
    ) 2>/dev/null
  )" || true
  IFS=' ' read -r _ LAST_CODE _ <<<"$LAST_RESPONSE" || true
  [[ "$LAST_CODE" =~ ^[0-9]{3}$ ]] || LAST_CODE=000
}

# Is the host up: does it answer the probe with our credential?
api_ok() {
  http_get "$PROBE_PATH"
  [ "$LAST_CODE" = 200 ] && grep -qF "$PROBE_EXPECT" <<<"$LAST_RESPONSE"
}

# --- server process -----------------------------------------------------------------------
# Is PID our server, leading its own session (so PID is also the session and process group
# id)? After the ")" that closes the command name in /proc/PID/stat, field 4 is the session id.
is_our_server() {
  local pid="$1" cmdline
  [[ "$pid" =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  # shellcheck disable=SC2254  # SERVER_PATTERN is a glob
  case "$cmdline" in $SERVER_PATTERN) ;; *) return 1 ;; esac
  [ "$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $4}')" = "$pid" ]
}

# Print the session id of the server we started. Normally from SERVER_ID_FILE; if that is gone
# (state directory deleted while the server ran), the session leader of RUN_USER that is our
# server, whose id is then written back.
server_sid() {
  local pid
  if [ -s "$SERVER_ID_FILE" ]; then
    pid="$(cat "$SERVER_ID_FILE")"
    if is_our_server "$pid"; then
      printf '%s\n' "$pid"
      return 0
    fi
  fi
  for pid in $(ps -e -o pid=,sid=,user= | awk -v user="$RUN_USER" '$1 == $2 && $3 == user {print $1}'); do
    if is_our_server "$pid"; then
      if [ -d "${SERVER_ID_FILE%/*}" ]; then printf '%s\n' "$pid" >"$SERVER_ID_FILE"; fi
      printf '%s\n' "$pid"
      return 0
    fi
  done
  return 1
}

# Every process of session SID (workers stay in their master's session and group).
session_pids() {
  local sid="$1"
  ps -e -o pid=,sid= | awk -v s="$sid" '$2 == s {print $1}'
}

# Is the server started as SID still there? Right after start_server it may not have reached
# its setsid() yet: then the process SID is there, but no session SID.
server_alive() {
  local sid="$1"
  [ -n "$(session_pids "$sid")" ] || ps -o stat= -p "$sid" 2>/dev/null | grep -qv '^Z'
}

# Stop our server: the whole process group/session, by its id. Killing only the master
# leaves its workers serving the port.
stop_server() {
  local sid i pids
  if sid="$(server_sid)"; then
    log "stopping $SERVER_NAME (session $sid) ..."
    kill -TERM -- "-$sid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      pids="$(session_pids "$sid")"
      [ -z "$pids" ] && break
      sleep 0.2
    done
    pids="$(session_pids "$sid")"
    if [ -n "$pids" ]; then
      log "$SERVER_NAME did not stop in 20 s; killing session $sid"
      kill -KILL -- "-$sid" 2>/dev/null || true
      # anything that left the group but not the session (word splitting wanted: pid list)
      # shellcheck disable=SC2086
      kill -KILL $pids 2>/dev/null || true
    fi
  fi
  rm -f "$SERVER_ID_FILE"
  wait_port_free || die "port $PORT is still in use (by something this script did not start?)"
}

start_server() {
  if port_open; then
    die "port $PORT is already in use by something else; set ${SETTINGS_PREFIX}_PORT"
  fi
  [ -f "$SERVER_LOG" ] && mv -f "$SERVER_LOG" "$SERVER_LOG.1"
  install -o "$RUN_USER" -g "$RUN_USER" -m 0644 /dev/null "$SERVER_LOG"
  rm -f "$SERVER_ID_FILE"
  log "starting $SERVER_NAME on 127.0.0.1:$PORT ..."
  # setsid: own session and process group, so `down` can stop everything by one id. The
  # subshell is not a group leader and each step execs in place, so setsid() happens in
  # place too: $! is the session id.
  (service_exec setsid "${SERVER_COMMAND[@]}") </dev/null >>"$SERVER_LOG" 2>&1 9>&- &
  printf '%s\n' "$!" >"$SERVER_ID_FILE"
}

# Wait until the host is up, letting host_repair_access fix a refusal (once). On timeout, or
# if the server exits: log tails, exit 1.
wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT)) sid repaired=0 entry
  sid="$(cat "$SERVER_ID_FILE")"
  while ((SECONDS < deadline)); do
    api_ok && return 0
    if [ "$repaired" = 0 ] && [ "$LAST_CODE" != 000 ] && host_repair_access; then
      repaired=1
      continue
    fi
    if ! server_alive "$sid"; then
      log "$SERVER_NAME exited during start"
      break
    fi
    sleep 0.3
  done
  log "$HOST_NAME did not answer GET $PROBE_PATH with 200 and $PROBE_EXPECT within ${READY_TIMEOUT} s; last status: $LAST_CODE"
  for entry in "${FAILURE_LOGS[@]}"; do
    log "--- tail of ${entry#* } ---"
    tail -n "${entry%% *}" "${entry#* }" >&2 2>/dev/null || true
  done
  exit 1
}

# --- subcommands --------------------------------------------------------------------------
say_up() {
  log "$HOST_NAME is up at $URL ($1); env file: $ENV_FILE  (eval \"\$($0 env)\")"
}

cmd_up() {
  local t0=$SECONDS
  ensure_installed
  prepare_state
  take_lock
  host_configure
  if [ "$CONFIG_CHANGED" = 0 ] && [ -n "$CREDENTIAL" ] && api_ok; then
    write_env
    say_up "already running"
    return 0
  fi
  if server_sid >/dev/null; then
    host_stale_server
  elif port_open; then
    die "port $PORT answers, but not as our $HOST_NAME, and this script did not start it; set ${SETTINGS_PREFIX}_PORT"
  fi
  # an if, not ||: errexit must hold inside host_start
  if ! server_sid >/dev/null; then host_start; fi
  wait_ready
  write_env
  say_up "ready after $((SECONDS - t0)) s"
}

cmd_down() {
  prepare_state
  take_lock
  stop_server
  log "$HOST_NAME on port $PORT is down"
}

cmd_status() {
  load_credential
  if [ -z "$CREDENTIAL" ]; then
    log "down (no $CREDENTIAL_NAME yet in $CREDENTIAL_FILE)"
    return 1
  fi
  if api_ok; then
    log "up at $URL"
    return 0
  fi
  log "down (GET $PROBE_PATH answered $LAST_CODE)"
  return 1
}

cmd_env() {
  [ -s "$ENV_FILE" ] || die "no $ENV_FILE yet; run: $0 up"
  if [ "$ENV_CHECKS_API" = 1 ]; then
    load_credential
    api_ok || die "$HOST_NAME does not answer at $URL (status $LAST_CODE); run: $0 up"
  fi
  cat "$ENV_FILE"
}

cmd_reset() {
  local t0=$SECONDS
  ensure_installed
  prepare_state
  take_lock
  host_configure
  stop_server
  host_reset_data
  host_start
  wait_ready
  write_env
  say_up "reset to an empty database in $((SECONDS - t0)) s"
}

# Check the settings, run the subcommand $1 with the other arguments; usage (the calling
# script's header comment) and exit 2 for anything else.
host_main() {
  local cmd="${1:-}" extra
  [ $# -gt 0 ] && shift
  check_host_settings
  case "$cmd" in
    up | down | status | env | reset) "cmd_$cmd" ;;
    restart) cmd_down && cmd_up ;;
    *)
      for extra in "${EXTRA_COMMANDS[@]}"; do
        if [ "$cmd" = "$extra" ]; then
          "cmd_${cmd//-/_}" "$@"
          return
        fi
      done
      sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2
      exit 2
      ;;
  esac
}

#!/usr/bin/env bash
# rt-host.sh: a local, live Request Tracker 5 for ci-plugin's tests and demos.
#
# Installs RT 5 from Debian packages (request-tracker5, rt5-db-sqlite, rt5-standalone) on a
# brand-new Debian bookworm machine, configures it (SQLite database, no mail, file logging,
# cheap bcrypt), creates an auth token for RT's root user and serves RT with its own
# rt-server (Starlet, 2 workers) on 127.0.0.1. Every step checks what is already there, so
# running `up` again only verifies. Must run as root.
#
# Usage: scripts/rt-host.sh up|down|restart|status|env|reset|install-config FILE
#   up                   install if missing, configure, create the database and the token if
#                        missing, start, wait until REST2 answers; write the env file.
#                        If RT is already up, only verify.
#   down                 stop the server (its whole session) and wait until the port is free
#   restart              down, then up (RT reads its configuration, lifecycles too, at start)
#   status               exit 0 if REST2 answers with the stored token, 1 otherwise
#   env                  print the env file:  eval "$(scripts/rt-host.sh env)"
#   reset                empty database: stop, delete the database, init it, new token, start
#                        (the site config snippets are kept)
#   install-config FILE  install the Perl site-config snippet FILE (e.g. the %Lifecycles
#                        snippet `ci-plugin setup` generates) as
#                        /etc/request-tracker5/RT_SiteConfig.d/60-ci-plugin-lifecycle.pm,
#                        check that RT loads it (syntax and lifecycle validation; the old
#                        snippet is put back on failure), then restart RT if it was running
#
# Settings (environment):
#   CI_PLUGIN_RT_PORT     port on 127.0.0.1 (default 18080)
#   CI_PLUGIN_RT_STATE    state directory (default /var/lib/ci-plugin-test/rt); www-data must be
#                         able to reach it, so never under /root
#   CI_PLUGIN_RT_TIMEOUT  seconds to wait for REST2 after start (default 60)
#
# State directory layout:
#   token       the clear auth token of RT's root user (root, 0600)
#   env         export CI_PLUGIN_RT_URL=... / export CI_PLUGIN_RT_TOKEN=... (root, 0600)
#   db/rt5.db   the SQLite database (www-data; the directory too, SQLite writes journals there)
#   db.ok       marker: the database was initialised completely
#   log/rt.log  RT's own log (www-data)
#   run/        rt-server.pid, server.log (stdout/stderr of rt-server), HOME of RT processes
#   lib/        generated Perl helpers and temporary copies (root, world-readable)
#
# The token is never printed and never put on a command line: the Perl helper that creates
# it writes to a file opened by this (root) shell, and the HTTP probe talks through bash's
# /dev/tcp with the builtin printf (no curl argv).
#
# Site configuration files (RT reads RT_SiteConfig.pm, then RT_SiteConfig.d/*.pm in sorted
# order, and a later file overrides scalar options of an earlier one): the package ships
# 40-timezone.pm, 50-debconf.pm, 51-dbconfig-common.pm and 60-logging.pm, so our base file is
# 90-ci-plugin-test.pm, which sorts after all of them. Hash options such as %Lifecycles merge
# instead: RT loads the site files first and the core RT_Config.pm last, and each Set of a
# hash keeps the top-level keys set earlier. So a snippet's Set(%Lifecycles, 'name' => {...},
# __maps__ => {...}) adds to the core lifecycles (default, approvals, assets) without
# clobbering them; but top-level keys are not merged deeply, and between two site files the
# EARLIER one wins (a second file's __maps__ or same-named lifecycle is ignored).
# The configuration lives in /etc, so there is one such RT per machine.
set -euo pipefail

PORT="${CI_PLUGIN_RT_PORT:-18080}"
STATE="${CI_PLUGIN_RT_STATE:-/var/lib/ci-plugin-test/rt}"
READY_TIMEOUT="${CI_PLUGIN_RT_TIMEOUT:-60}"

PACKAGES=(request-tracker5 rt5-db-sqlite rt5-standalone msmtp-mta w3m)
RUN_USER=www-data
URL="http://127.0.0.1:$PORT"

RT_SERVER=/usr/share/request-tracker5/libexec/rt-server
RT_SETUP_DB=/usr/sbin/rt-setup-database-5
ETC_DIR=/etc/request-tracker5
SITE_CONFIG="$ETC_DIR/RT_SiteConfig.pm"
SITE_DIR="$ETC_DIR/RT_SiteConfig.d"
BASE_CONFIG="$SITE_DIR/90-ci-plugin-test.pm"
SNIPPET_CONFIG="$SITE_DIR/60-ci-plugin-lifecycle.pm"

TOKEN_FILE="$STATE/token"
ENV_FILE="$STATE/env"
DB_DIR="$STATE/db"
DB_FILE="$DB_DIR/rt5.db"
DB_MARKER="$STATE/db.ok"
LOG_DIR="$STATE/log"
RT_LOG="$LOG_DIR/rt.log"
RUN_DIR="$STATE/run"
LIB_DIR="$STATE/lib"
PID_FILE="$RUN_DIR/rt-server.pid"
SERVER_LOG="$RUN_DIR/server.log"
LOCK_FILE="$STATE/.lock"

TOKEN=""

HOST_TAG=rt-host
# shellcheck source=scripts/host-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/host-lib.sh"

check_settings() {
  check_host_settings CI_PLUGIN_RT
  [[ "$READY_TIMEOUT" =~ ^[0-9]+$ ]] || die "CI_PLUGIN_RT_TIMEOUT must be a number of seconds"
}

# Run a command as www-data in a clean environment (HOME in the state dir).
as_rt() { run_as_service "$RUN_DIR" "$RUN_DIR" "$@"; }

ensure_installed() {
  local missing
  missing="$(missing_packages)"
  [ -z "$missing" ] && return 0
  log "installing ${missing//$'\n'/ } (apt-get update + install, about 25 s cold) ..."
  # We create the database ourselves; dbconfig-common would build one (and leave the package
  # half-configured when that fails). Preseeding before the package exists works.
  echo 'request-tracker5 request-tracker5/dbconfig-install boolean false' |
    debconf-set-selections
  apt_install_packages
}

require_installed() {
  [ -z "$(missing_packages)" ] || die "RT is not installed; run: $0 up"
}

# --- state directory ----------------------------------------------------------------------
prepare_state() {
  (umask 022 && mkdir -p "$STATE" "$LIB_DIR")
  chmod 0755 "$STATE" "$LIB_DIR"
  install -d -o "$RUN_USER" -g "$RUN_USER" -m 0750 "$DB_DIR"
  install -d -o "$RUN_USER" -g "$RUN_USER" -m 0755 "$LOG_DIR" "$RUN_DIR"
  # every parent directory must be searchable by www-data
  setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups test -w "$RUN_DIR" ||
    die "$RUN_USER cannot reach $RUN_DIR: choose a CI_PLUGIN_RT_STATE whose parents are world-searchable"
}

# --- site configuration -----------------------------------------------------------------------
# Install FILE's content as DEST (root:www-data 0640) if it differs; returns 0 if it changed.
install_if_changed() {
  local src="$1" dest="$2"
  if [ -f "$dest" ] && cmp -s "$src" "$dest"; then
    chown root:"$RUN_USER" "$dest"
    chmod 0640 "$dest"
    return 1
  fi
  install -o root -g "$RUN_USER" -m 0640 "$src" "$dest"
  return 0
}

# Write the base site config. Sets CONFIG_CHANGED=1 if it differs from what was there.
CONFIG_CHANGED=0
write_site_config() {
  local tmp
  tmp="$(mktemp "$LIB_DIR/site-config.XXXXXX")"
  cat >"$tmp" <<PERL
# Written by ci-plugin's scripts/rt-host.sh: a local test RT. Do not edit; rerun the script.
Set(\$rtname, 'ci-plugin-test');
Set(\$Organization, 'ci-plugin.test');
Set(\$CorrespondAddress, 'rt@ci-plugin.test');
Set(\$CommentAddress, 'rt-comment@ci-plugin.test');

# SQLite database in the state directory
Set(\$DatabaseType, 'SQLite');
Set(\$DatabaseName, '$DB_FILE');

# served by rt-server on 127.0.0.1:$PORT at the root path
Set(\$WebPath, '');
Set(\$WebDomain, '127.0.0.1');
Set(\$WebPort, $PORT);
Set(\$WebBaseURL, 'http://127.0.0.1:$PORT');

# cheap password/token hashes: the default cost 12 makes every authenticated request take
# about 0.2 s. Stored hashes keep the cost they were made with.
Set(\$BcryptCost, 4);

# no mail leaves this machine: outgoing mail is appended to an mbox in RT's var dir
Set(\$MailCommand, 'mbox');

# log to a file in the state directory; only errors on stderr; no syslog daemon in CI
Set(\$LogToSyslog, undef);
Set(\$LogToSTDERR, 'error');
Set(\$LogToFile, 'info');
Set(\$LogDir, '$LOG_DIR');
Set(\$LogToFileNamed, 'rt.log');
1;
PERL
  if install_if_changed "$tmp" "$BASE_CONFIG"; then
    CONFIG_CHANGED=1
    log "wrote $BASE_CONFIG"
  fi
  rm -f "$tmp"
  # the package leaves RT_SiteConfig.pm root:root 0600, unreadable for RT running as www-data
  if [ -f "$SITE_CONFIG" ]; then
    chown root:"$RUN_USER" "$SITE_CONFIG"
    chmod 0640 "$SITE_CONFIG"
  fi
}

# --- database and token ------------------------------------------------------------------------
delete_database() {
  rm -f "$DB_MARKER" "$DB_FILE" "$DB_FILE-journal" "$DB_FILE-wal" "$DB_FILE-shm"
}

ensure_database() {
  if [ -f "$DB_MARKER" ] && [ -s "$DB_FILE" ]; then
    return 0
  fi
  # no marker: nothing, or what an interrupted init left; start from scratch
  delete_database
  log "initialising the database $DB_FILE ..."
  local pwfile="$LIB_DIR/root-password"
  # RT's root user gets the package's well-known default password (Basic auth root:password)
  printf 'password\n' >"$pwfile"
  chmod 0644 "$pwfile"
  if ! as_rt "$RT_SETUP_DB" --action init --skip-create --root-password-file "$pwfile" \
    </dev/null >"$RUN_DIR/setup-database.log" 2>&1; then
    tail -n 30 "$RUN_DIR/setup-database.log" >&2 || true
    die "rt-setup-database failed (log: $RUN_DIR/setup-database.log)"
  fi
  rm -f "$pwfile"
  touch "$DB_MARKER"
  # a new database knows none of the old tokens
  rm -f "$TOKEN_FILE"
}

write_token_script() {
  cat >"$LIB_DIR/create-token.pl" <<'PERL'
# Generated by scripts/rt-host.sh: create an auth token for RT's root user and print it.
use strict;
use warnings;
use lib '/usr/share/request-tracker5/lib';
use RT;
RT::LoadConfig();
RT::Init();
my $root = RT::User->new( RT->SystemUser );
$root->Load('root');
die "no root user in RT\n" unless $root->id;
my ( $ok, $msg, $token ) = RT::AuthToken->new( RT->SystemUser )->Create(
    Owner       => $root->id,
    Description => 'ci-plugin tests',
);
die "cannot create the auth token: $msg\n" unless $ok && $token;
print "$token\n";
PERL
  chmod 0644 "$LIB_DIR/create-token.pl"
}

# Create the token once; reused until the database is recreated.
ensure_token() {
  if [ ! -s "$TOKEN_FILE" ]; then
    log "creating an auth token for RT's root user ..."
    write_token_script
    # stdout goes to a file this root shell opens (umask 077): the token is never shown
    (
      umask 077
      as_rt perl "$LIB_DIR/create-token.pl" </dev/null >"$TOKEN_FILE.tmp" 2>"$RUN_DIR/create-token.log" ||
        { rm -f "$TOKEN_FILE.tmp"; tail -n 20 "$RUN_DIR/create-token.log" >&2; exit 1; }
      mv -f "$TOKEN_FILE.tmp" "$TOKEN_FILE"
    ) || die "creating the auth token failed (log: $RUN_DIR/create-token.log)"
  fi
  chown root:root "$TOKEN_FILE"
  chmod 0600 "$TOKEN_FILE"
  TOKEN="$(head -n 1 "$TOKEN_FILE")"
  [[ "$TOKEN" =~ ^[0-9]+-[0-9]+-[0-9a-f]+$ ]] ||
    die "$TOKEN_FILE does not hold an RT auth token; delete it and run: $0 up"
}

load_token() {
  TOKEN=""
  [ -s "$TOKEN_FILE" ] && TOKEN="$(head -n 1 "$TOKEN_FILE")"
  return 0
}

write_env() {
  (
    umask 077
    {
      printf 'export CI_PLUGIN_RT_URL=%s\n' "$URL"
      printf 'export CI_PLUGIN_RT_TOKEN=%s\n' "$TOKEN"
    } >"$ENV_FILE.tmp"
    mv -f "$ENV_FILE.tmp" "$ENV_FILE"
  )
  chown root:root "$ENV_FILE"
  chmod 0600 "$ENV_FILE"
}

# --- HTTP probing without curl (keeps the token off every command line) -------------------------

# Print the raw HTTP/1.0 response to an authenticated GET PATH (nothing if no answer).
http_get() {
  local path="$1"
  (
    exec 3<>"/dev/tcp/127.0.0.1/$PORT" || exit 0
    {
      printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\nAccept: application/json\r\n' "$path" "$PORT"
      if [ -n "$TOKEN" ]; then printf 'Authorization: token %s\r\n' "$TOKEN"; fi
      printf 'Connection: close\r\n\r\n'
    } >&3
    timeout 20 cat <&3
  ) 2>/dev/null || true
}

# HTTP status of a response on stdin (000 if none).
status_of() {
  local code
  IFS=' ' read -r _ code _ || true
  [[ "${code:-}" =~ ^[0-9]{3}$ ]] || code=000
  printf '%s\n' "$code"
}

# REST2 answers our token with RT's version: that is "up".
LAST_CODE=000
api_ok() {
  local resp
  resp="$(http_get /REST/2.0/rt)"
  LAST_CODE="$(status_of <<<"$resp")"
  [ "$LAST_CODE" = 200 ] && grep -q '"Version"' <<<"$resp"
}

# --- server process -----------------------------------------------------------------------
SERVER_ARGS=(--host 127.0.0.1 --port "$PORT" --max-workers 2)

# Is PID our rt-server, leading its own session (so PID is also the session and process
# group id)? After the ")" that closes the command name in /proc/PID/stat, field 4 is the
# session id.
is_our_server() {
  local pid="$1"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$RT_SERVER ${SERVER_ARGS[*]}" || return 1
  [ "$(sed 's/.*) //' "/proc/$pid/stat" | awk '{print $4}')" = "$pid" ]
}

# Print the session id of the server we started. Normally from PID_FILE; if that is gone
# (state directory deleted while RT ran), the session leader running exactly our command
# line as www-data, whose id is then written back to PID_FILE.
our_sid() {
  local pid
  if [ -s "$PID_FILE" ]; then
    pid="$(cat "$PID_FILE")"
    if is_our_server "$pid"; then
      printf '%s\n' "$pid"
      return 0
    fi
  fi
  pid="$(ps -e -o pid=,sid=,user=,args= |
    awk -v want="$RT_SERVER ${SERVER_ARGS[*]}" -v user="$RUN_USER" \
      '$1 == $2 && $3 == user && index($0, want) {print $1; exit}')"
  [ -n "$pid" ] && is_our_server "$pid" || return 1
  [ -d "$RUN_DIR" ] && printf '%s\n' "$pid" >"$PID_FILE"
  printf '%s\n' "$pid"
}

# Every process of session SID (the workers stay in the master's session and group).
session_pids() {
  local sid="$1"
  ps -e -o pid=,sid= | awk -v s="$sid" '$2 == s {print $1}'
}

# Stop our server: the whole process group/session, by its id. Killing only the master
# leaves its workers serving the port.
stop_server() {
  local sid i pids
  if sid="$(our_sid)"; then
    log "stopping rt-server (session $sid) ..."
    kill -TERM -- "-$sid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      pids="$(session_pids "$sid")"
      [ -z "$pids" ] && break
      sleep 0.2
    done
    pids="$(session_pids "$sid")"
    if [ -n "$pids" ]; then
      log "rt-server did not stop in 20 s; killing session $sid"
      kill -KILL -- "-$sid" 2>/dev/null || true
      # anything that left the group but not the session (word splitting wanted: pid list)
      # shellcheck disable=SC2086
      kill -KILL $pids 2>/dev/null || true
    fi
  fi
  rm -f "$PID_FILE"
  wait_port_free || die "port $PORT is still in use (by something this script did not start?)"
}

start_server() {
  if port_open; then
    die "port $PORT is already in use by something else; set CI_PLUGIN_RT_PORT"
  fi
  [ -f "$SERVER_LOG" ] && mv -f "$SERVER_LOG" "$SERVER_LOG.1"
  install -o "$RUN_USER" -g "$RUN_USER" -m 0644 /dev/null "$SERVER_LOG"
  rm -f "$PID_FILE"
  log "starting rt-server on 127.0.0.1:$PORT ..."
  # setsid: own session and process group, so `down` can stop everything by one id. The
  # subshell is not a group leader, so setsid() happens in place: $! is the session id.
  (
    cd "$RUN_DIR"
    exec setsid setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups \
      env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$RUN_DIR" LANG=C.UTF-8 \
      "$RT_SERVER" "${SERVER_ARGS[@]}"
  ) </dev/null >>"$SERVER_LOG" 2>&1 9>&- &
  printf '%s\n' "$!" >"$PID_FILE"
}

# Wait until REST2 answers with our token. A 401 from a running RT means the token is not in
# this database (e.g. it was replaced behind our back): make a new one, once.
# On timeout or exit: log tails, exit 1.
wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT)) sid renewed=0
  sid="$(cat "$PID_FILE")"
  while ((SECONDS < deadline)); do
    api_ok && return 0
    if [ "$LAST_CODE" = 401 ] && [ "$renewed" = 0 ]; then
      log "RT does not accept the stored token; creating a new one"
      rm -f "$TOKEN_FILE"
      ensure_token
      renewed=1
      continue
    fi
    if [ -z "$(session_pids "$sid")" ]; then
      log "rt-server exited during start"
      break
    fi
    sleep 0.3
  done
  log "RT did not answer GET /REST/2.0/rt with its version within ${READY_TIMEOUT} s; last status: $LAST_CODE"
  log "--- tail of $RT_LOG ---"
  tail -n 40 "$RT_LOG" >&2 2>/dev/null || true
  log "--- tail of $SERVER_LOG ---"
  tail -n 20 "$SERVER_LOG" >&2 2>/dev/null || true
  exit 1
}

# --- subcommands --------------------------------------------------------------------------
say_up() {
  log "RT is up at $URL ($1); env file: $ENV_FILE  (eval \"\$($0 env)\")"
}

cmd_up() {
  local t0=$SECONDS
  ensure_installed
  prepare_state
  take_lock
  write_site_config
  load_token
  if [ "$CONFIG_CHANGED" = 0 ] && [ -n "$TOKEN" ] && api_ok; then
    write_env
    say_up "already running"
    return 0
  fi
  if our_sid >/dev/null; then
    # running, but with an old configuration or not answering: start afresh
    stop_server
  elif port_open; then
    die "port $PORT answers, but not as our RT, and this script did not start it; set CI_PLUGIN_RT_PORT"
  fi
  ensure_database
  ensure_token
  start_server
  wait_ready
  write_env
  say_up "ready after $((SECONDS - t0)) s"
}

cmd_down() {
  prepare_state
  take_lock
  stop_server
  log "RT on port $PORT is down"
}

cmd_status() {
  load_token
  if [ -z "$TOKEN" ]; then
    log "down (no token yet in $TOKEN_FILE)"
    return 1
  fi
  if api_ok; then
    log "up at $URL"
    return 0
  fi
  log "down (GET /REST/2.0/rt answered $LAST_CODE)"
  return 1
}

cmd_env() {
  [ -s "$ENV_FILE" ] || die "no $ENV_FILE yet; run: $0 up"
  load_token
  api_ok || die "RT does not answer at $URL (status $LAST_CODE); run: $0 up"
  cat "$ENV_FILE"
}

cmd_reset() {
  local t0=$SECONDS
  ensure_installed
  prepare_state
  take_lock
  write_site_config
  stop_server
  log "deleting the database ..."
  delete_database
  rm -f "$TOKEN_FILE"
  ensure_database
  ensure_token
  start_server
  wait_ready
  write_env
  say_up "reset to an empty database in $((SECONDS - t0)) s"
}

# Load RT's whole configuration as www-data, as the server would, and validate every
# lifecycle (statuses used in defaults/transitions/rights/actions, and the __maps__). Prints
# the problems; exit status 1 if there are any. Prints no configuration values.
write_check_script() {
  cat >"$LIB_DIR/check-config.pl" <<'PERL'
# Generated by scripts/rt-host.sh: load RT's configuration and validate the lifecycles.
use strict;
use warnings;
use lib '/usr/share/request-tracker5/lib';
use RT;
my @problems;
local $SIG{__WARN__} = sub { push @problems, "warning: $_[0]" };
eval { RT::LoadConfig(); 1 } or do { print STDERR "RT cannot load its configuration: $@"; exit 1 };
RT::Init();
require RT::Lifecycle;
my $lifecycles = RT->Config->Get('Lifecycles') || {};
for my $name ( sort keys %$lifecycles ) {
    next if $name eq '__maps__';
    # Validate* change their argument (canonical_case): give them a copy
    my ( $ok, @warnings ) = RT::Lifecycle->ValidateLifecycle(
        Lifecycle => { %{ $lifecycles->{$name} } }, Name => $name );
    push @problems, map {"lifecycle '$name': $_"} @warnings unless $ok;
}
# the maps are checked against the lifecycles RT::Init cached
my ( $maps_ok, @map_warnings ) = RT::Lifecycle->ValidateLifecycleMaps();
push @problems, map {"__maps__: $_"} @map_warnings unless $maps_ok;
print STDERR "$_\n" for @problems;
print STDERR "lifecycles: ", join( ', ', grep { $_ ne '__maps__' } sort keys %$lifecycles ), "\n";
exit( @problems ? 1 : 0 );
PERL
  chmod 0644 "$LIB_DIR/check-config.pl"
}

cmd_install_config() {
  local file="${1:-}" backup="" running=0 tmp
  [ -n "$file" ] || die "usage: $0 install-config FILE.pm"
  [ -r "$file" ] || die "cannot read $file"
  require_installed
  prepare_state
  take_lock
  # RT validates against a configured RT with a database: make sure both exist (as `up`
  # would; cheap when they do)
  write_site_config
  ensure_database
  # 1. syntax: perl -c on a copy www-data can read (compiles only; Set is RT's at load time)
  tmp="$(mktemp "$LIB_DIR/snippet.XXXXXX")"
  SNIPPET_TMP="$tmp"
  trap 'rm -f "$SNIPPET_TMP"' EXIT
  cp "$file" "$tmp"
  chmod 0644 "$tmp"
  as_rt perl -c "$tmp" </dev/null >/dev/null 2>"$RUN_DIR/snippet-check.log" || {
    sed "s|$tmp|$file|g" "$RUN_DIR/snippet-check.log" >&2
    die "$file does not compile; nothing installed"
  }
  # 2. the same snippet already installed: nothing to do, no restart
  if [ -f "$SNIPPET_CONFIG" ] && cmp -s "$tmp" "$SNIPPET_CONFIG"; then
    log "$SNIPPET_CONFIG is already this snippet; nothing to install"
    return 0
  fi
  # 3. install it (keeping the old one) and let RT load and validate the whole configuration
  if [ -f "$SNIPPET_CONFIG" ]; then
    backup="$LIB_DIR/60-ci-plugin-lifecycle.pm.previous"
    cp -p "$SNIPPET_CONFIG" "$backup"
  fi
  install -o root -g "$RUN_USER" -m 0640 "$tmp" "$SNIPPET_CONFIG"
  write_check_script
  if ! as_rt perl "$LIB_DIR/check-config.pl" </dev/null >/dev/null 2>"$RUN_DIR/config-check.log"; then
    cat "$RUN_DIR/config-check.log" >&2
    if [ -n "$backup" ]; then
      install -o root -g "$RUN_USER" -m 0640 "$backup" "$SNIPPET_CONFIG"
      rm -f "$backup"
      log "put the previous $SNIPPET_CONFIG back"
    else
      rm -f "$SNIPPET_CONFIG"
    fi
    die "RT rejects the configuration with $file; nothing installed"
  fi
  [ -n "$backup" ] && rm -f "$backup"
  grep '^lifecycles:' "$RUN_DIR/config-check.log" | sed 's/^/rt-host: /' >&2 || true
  log "installed $file as $SNIPPET_CONFIG"
  # 4. RT reads lifecycles at start only
  if our_sid >/dev/null; then
    running=1
    stop_server
  fi
  flock -u 9
  if [ "$running" = 1 ]; then
    cmd_up
  fi
}

main() {
  local cmd="${1:-}"
  [ $# -gt 0 ] && shift
  check_settings
  case "$cmd" in
    up) cmd_up ;;
    down) cmd_down ;;
    restart) cmd_down && cmd_up ;;
    status) cmd_status ;;
    env) cmd_env ;;
    reset) cmd_reset ;;
    install-config) cmd_install_config "$@" ;;
    *)
      sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2
      exit 2
      ;;
  esac
}

main "$@"

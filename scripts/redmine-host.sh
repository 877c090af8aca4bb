#!/usr/bin/env bash
# redmine-host.sh: a local, live Redmine 5 for ci-plugin's tests and demos.
#
# Installs Redmine 5 from Debian packages (redmine, redmine-sqlite, puma) on a brand-new
# Debian bookworm machine, seeds it (REST API on, login required, cross-project relations,
# no mail, an admin API key) and serves it with puma on 127.0.0.1. Every step checks what
# is already there, so running `up` again only verifies. Must run as root.
#
# Usage: scripts/redmine-host.sh up|down|restart|status|env|reset|provision FILE
#   up              install if missing, seed, start, wait until the API answers; write the
#                   env file. If it is already up, only verify.
#   down            stop the server (its whole process group) and wait until the port is free
#   restart         down, then up
#   status          exit 0 if the API answers with the stored key, 1 otherwise
#   env             print the env file:  eval "$(scripts/redmine-host.sh env)"
#   reset           empty database: stop, recreate the db, migrate, default data, seed, start
#   provision FILE  run the Ruby provisioning script FILE (ci_plugin/hosts/redmine/provision.rb)
#                   with `rails runner` as www-data. The JSON spec comes from CI_PLUGIN_SPEC
#                   (a JSON string), else from the file CI_PLUGIN_SPEC_FILE, else from the
#                   script itself if it embeds one (`ci-plugin setup --print-provisioning`
#                   output does), else from stdin.
#                   Its output is printed; its exit status is passed on (0 done, 1 error,
#                   2 conflicts). CI_PLUGIN_DRY_RUN=1 is passed through (report, save nothing).
#
# Settings (environment):
#   CI_PLUGIN_REDMINE_PORT   port on 127.0.0.1 (default 13000)
#   CI_PLUGIN_REDMINE_STATE  state directory (default /var/lib/ci-plugin-test/redmine); www-data
#                            must be able to reach it, so never under /root
#   CI_PLUGIN_REDMINE_TIMEOUT  seconds to wait for the API after a start (default 90)
#
# State directory layout:
#   api_key  the admin's API key (root, 0600; generated once, kept across reset)
#   env      export CI_PLUGIN_REDMINE_URL=... / export CI_PLUGIN_REDMINE_KEY=... (root, 0600)
#   home/    HOME of the Ruby processes (www-data)
#   run/     puma.pid, puma.log, migrate.log (www-data)
#   lib/     generated seed script, temporary copies for `provision` (root, world-readable)
#   puma.pgid  process group (= session) id of the server we started
#   pristine-VERSION.sqlite3  the database right after a full reset (root, 0600), reused by
#            the next reset with the same redmine package version
#
# The API key is never printed and never put on a command line: the seed step reads it on
# stdin, and the readiness probe talks HTTP through bash's /dev/tcp (no curl argv).
set -euo pipefail

PORT="${CI_PLUGIN_REDMINE_PORT:-13000}"
STATE="${CI_PLUGIN_REDMINE_STATE:-/var/lib/ci-plugin-test/redmine}"
READY_TIMEOUT="${CI_PLUGIN_REDMINE_TIMEOUT:-90}"   # seconds to wait for the API after start

REDMINE_DIR=/usr/share/redmine
DB_CONFIG=/etc/redmine/default/database.yml
PACKAGES=(redmine redmine-sqlite puma)
RUN_USER=www-data
URL="http://127.0.0.1:$PORT"

KEY_FILE="$STATE/api_key"
ENV_FILE="$STATE/env"
HOME_DIR="$STATE/home"
RUN_DIR="$STATE/run"
LIB_DIR="$STATE/lib"
PID_FILE="$RUN_DIR/puma.pid"
LOG_FILE="$RUN_DIR/puma.log"
PGID_FILE="$STATE/puma.pgid"
LOCK_FILE="$STATE/.lock"

HOST_TAG=redmine-host
# shellcheck source=scripts/host-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/host-lib.sh"

# --- environment hygiene ----------------------------------------------------------------
# An inherited BUNDLE_GEMFILE (or GEM_HOME, RUBYOPT, ...) breaks the package's postinst and
# every Ruby command: drop those variables before doing anything.
clean_env() {
  local v
  for v in $(compgen -e); do
    case "$v" in
      BUNDLE_* | GEM_* | RUBY* | RAILS_* | RACK_* | DATABASE_URL) unset "$v" ;;
    esac
  done
}

check_settings() { check_host_settings CI_PLUGIN_REDMINE; }

# Run a command as www-data from /usr/share/redmine in a clean environment.
# Usage: as_redmine [NAME=value ...] command args...   (extra NAME=value go to `env`)
as_redmine() { run_as_service "$REDMINE_DIR" "$HOME_DIR" REDMINE_INSTANCE=default RAILS_ENV=production "$@"; }

# `rails runner FILE` as www-data (bin/rails of the app if the package ships it).
# Usage: rails_runner FILE [NAME=value ...]
rails_runner() {
  local file="$1" rails=rails
  shift
  [ -x "$REDMINE_DIR/bin/rails" ] && rails=bin/rails
  as_redmine "$@" "$rails" runner "$file"
}

ensure_installed() {
  local missing
  missing="$(missing_packages)"
  [ -z "$missing" ] && return 0
  log "installing ${missing//$'\n'/ } (apt-get update + install, about 35 s cold) ..."
  # Best-effort preseed: SQLite via dbconfig-common. Stale templates after a purge can make
  # debconf-set-selections fail; the defaults work too.
  printf '%s\n' \
    'redmine redmine/instances/default/dbconfig-install boolean true' \
    'redmine redmine/instances/default/database-type select sqlite3' |
    debconf-set-selections 2>/dev/null || true
  apt_install_packages
  [ -f "$DB_CONFIG" ] || die "$DB_CONFIG is missing: the redmine postinst did not configure the database"
}

require_installed() {
  [ -z "$(missing_packages)" ] || die "Redmine is not installed; run: $0 up"
}

# --- state directory ----------------------------------------------------------------------
prepare_state() {
  (umask 022 && mkdir -p "$STATE" "$LIB_DIR")
  chmod 0755 "$STATE" "$LIB_DIR"
  install -d -o "$RUN_USER" -g "$RUN_USER" -m 0700 "$HOME_DIR"
  install -d -o "$RUN_USER" -g "$RUN_USER" -m 0755 "$RUN_DIR"
  # every parent directory must be searchable by www-data
  setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups test -w "$RUN_DIR" ||
    die "$RUN_USER cannot reach $RUN_DIR: choose a CI_PLUGIN_REDMINE_STATE whose parents are world-searchable"
}

ensure_key() {
  NEW_KEY=0
  if [ ! -s "$KEY_FILE" ]; then
    NEW_KEY=1
    (
      umask 077
      # 40 hex characters, like Redmine's own keys
      od -An -N20 -tx1 /dev/urandom | tr -d ' \n' >"$KEY_FILE.tmp"
      mv -f "$KEY_FILE.tmp" "$KEY_FILE"
    )
  fi
  chmod 0600 "$KEY_FILE"
  chown root:root "$KEY_FILE"
  KEY="$(cat "$KEY_FILE")"
  [[ "$KEY" =~ ^[0-9a-f]{40}$ ]] || die "$KEY_FILE does not hold a 40-hex-digit key; delete it and run up"
}

write_env() {
  (
    umask 077
    {
      printf 'export CI_PLUGIN_REDMINE_URL=%s\n' "$URL"
      printf 'export CI_PLUGIN_REDMINE_KEY=%s\n' "$KEY"
    } >"$ENV_FILE.tmp"
    mv -f "$ENV_FILE.tmp" "$ENV_FILE"
  )
  chmod 0600 "$ENV_FILE"
}

# --- HTTP probing without curl (keeps the key off every command line) ---------------------

# Print the HTTP status of GET PATH on the server (000 if nothing answers).
http_status() {
  local path="$1" key="${2:-}" code
  code="$(
    (
      exec 3<>"/dev/tcp/127.0.0.1/$PORT" || exit 0
      {
        printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\nAccept: application/json\r\n' "$path" "$PORT"
        if [ -n "$key" ]; then printf 'X-Redmine-API-Key: %s\r\n' "$key"; fi
        printf 'Connection: close\r\n\r\n'
      } >&3
      IFS=' ' read -r -t 20 _ status _ <&3 || true
      printf '%s' "${status:-}"
    ) 2>/dev/null
  )" || true
  [[ "$code" =~ ^[0-9]{3}$ ]] || code=000
  printf '%s\n' "$code"
}

api_ok() { [ "$(http_status /users/current.json "$KEY")" = 200 ]; }

# --- server process -----------------------------------------------------------------------
# The id in PGID_FILE is only trusted if that process is still our puma.
our_pgid() {
  local pgid
  [ -s "$PGID_FILE" ] || return 1
  pgid="$(cat "$PGID_FILE")"
  [[ "$pgid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pgid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pgid/cmdline" | grep -q 'puma' || return 1
  # field 3 after the ")" closing the command name in /proc/PID/stat is the process group
  [ "$(sed 's/.*) //' "/proc/$pgid/stat" | awk '{print $3}')" = "$pgid" ] || return 1
  printf '%s\n' "$pgid"
}

stop_server() {
  local pgid i pid
  if pgid="$(our_pgid)"; then
    log "stopping puma (process group $pgid) ..."
    kill -TERM -- "-$pgid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      kill -0 -- "-$pgid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 -- "-$pgid" 2>/dev/null; then
      log "puma did not stop in 20 s; killing process group $pgid"
      kill -KILL -- "-$pgid" 2>/dev/null || true
    fi
  elif [ -s "$PID_FILE" ]; then
    # no (valid) pgid file, but puma's own pidfile: stop that puma if it is one
    pid="$(cat "$PID_FILE")"
    if [[ "$pid" =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] &&
      tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q puma; then
      log "stopping puma (pid $pid from $PID_FILE) ..."
      kill -TERM "$pid" 2>/dev/null || true
      for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
      done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$PGID_FILE" "$PID_FILE"
  wait_port_free || die "port $PORT is still in use (by something this script did not start?)"
}

start_server() {
  local pgid
  if port_open; then
    die "port $PORT is already in use by something else; set CI_PLUGIN_REDMINE_PORT"
  fi
  [ -f "$LOG_FILE" ] && mv -f "$LOG_FILE" "$LOG_FILE.1"
  install -o "$RUN_USER" -g "$RUN_USER" -m 0644 /dev/null "$LOG_FILE"
  rm -f "$PID_FILE"
  # setsid: own session and process group, so `down` can stop everything by one id.
  # The subshell is not a group leader, so setsid() happens in place: $! is the pgid.
  # One thread: SQLite with more threads gave "database is locked" under mixed load.
  (
    cd "$REDMINE_DIR"
    exec setsid setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups \
      env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$HOME_DIR" LANG=C.UTF-8 \
      REDMINE_INSTANCE=default RAILS_ENV=production \
      puma -e production -b "tcp://127.0.0.1:$PORT" -t 1:1 --pidfile "$PID_FILE" config.ru
  ) </dev/null >>"$LOG_FILE" 2>&1 9>&- &
  pgid=$!
  printf '%s\n' "$pgid" >"$PGID_FILE"
}

# Wait until the server answers GET /users/current.json: with 200 for our key ("ready"), or
# with any HTTP status at all ("listening"). On timeout or exit: log tail, exit 1.
wait_for() {
  local what="$1" deadline=$((SECONDS + READY_TIMEOUT)) pgid code=000
  pgid="$(cat "$PGID_FILE")"
  while ((SECONDS < deadline)); do
    code="$(http_status /users/current.json "$KEY")"
    if [ "$code" = 200 ] || { [ "$what" = listening ] && [ "$code" != 000 ]; }; then
      return 0
    fi
    if ! kill -0 -- "-$pgid" 2>/dev/null; then
      log "puma exited during start"
      break
    fi
    sleep 0.3
  done
  log "Redmine did not answer GET /users/current.json (wanted: $what) within ${READY_TIMEOUT} s; last status: $code"
  log "--- tail of $LOG_FILE ---"
  tail -n 40 "$LOG_FILE" >&2 || true
  log "--- tail of /var/log/redmine/default/production.log ---"
  tail -n 20 /var/log/redmine/default/production.log >&2 2>/dev/null || true
  exit 1
}
wait_ready() { wait_for ready; }

# --- seeding ------------------------------------------------------------------------------
# Settings, default data if none, and the admin's API key (read on stdin, never on argv).
write_seed_script() {
  cat >"$LIB_DIR/seed.rb" <<'RUBY'
# Generated by scripts/redmine-host.sh: seeds a test Redmine. The API key arrives on stdin.
key = $stdin.read.to_s.strip
abort 'seed: no API key on stdin' unless key =~ /\A[0-9a-f]{40}\z/
if Redmine::DefaultData::Loader.no_data?
  Redmine::DefaultData::Loader.load('en')
  puts 'seed: default data loaded'
end
{ 'rest_api_enabled' => '1', 'login_required' => '1',
  'cross_project_issue_relations' => '1', 'notified_events' => [] }.each do |name, value|
  Setting[name] = value unless Setting[name] == value
end
admin = User.find_by(login: 'admin') || User.where(admin: true).order(:id).first
abort 'seed: no admin user' unless admin
admin.update_column(:status, User::STATUS_ACTIVE) unless admin.active?
token = Token.find_by(user_id: admin.id, action: 'api') || Token.create!(user: admin, action: 'api')
token.update_column(:value, key) unless token.value == key
puts "seed: settings and API key of #{admin.login} in place"
RUBY
  chmod 0644 "$LIB_DIR/seed.rb"
}

seed() {
  write_seed_script
  log "seeding (settings, default data, admin API key) ..."
  rails_runner "$LIB_DIR/seed.rb" <"$KEY_FILE" >&2
}

# --- subcommands --------------------------------------------------------------------------
say_up() {
  log "Redmine is up at $URL ($1); env file: $ENV_FILE  (eval \"\$($0 env)\")"
}

cmd_up() {
  ensure_installed
  prepare_state
  take_lock
  ensure_key
  if api_ok; then
    write_env
    say_up "already running"
    return 0
  fi
  local t0=$SECONDS
  if our_pgid >/dev/null; then
    log "puma is running but does not accept the key (yet); seeding ..."
  elif port_open; then
    die "port $PORT answers, but not with our API key, and this script did not start it; set CI_PLUGIN_REDMINE_PORT"
  else
    # Start first and seed only if the key is not accepted: an already seeded database (the
    # usual case after `down`) then costs no extra Rails boot. Seeding while puma runs is
    # fine: Redmine re-reads changed settings on the next request.
    rm -f "$PGID_FILE" "$PID_FILE"
    log "starting puma on 127.0.0.1:$PORT ..."
    start_server
    # a key made just now is surely not in the database: seed while puma boots
    if [ "$NEW_KEY" = 1 ]; then seed; fi
  fi
  wait_for listening
  api_ok || seed
  wait_ready
  write_env
  say_up "ready after $((SECONDS - t0)) s"
}

cmd_down() {
  prepare_state
  take_lock
  stop_server
  log "Redmine on port $PORT is down"
}

cmd_status() {
  if [ ! -s "$KEY_FILE" ]; then
    log "down (no API key yet in $KEY_FILE)"
    return 1
  fi
  KEY="$(cat "$KEY_FILE")"
  if api_ok; then
    log "up at $URL"
    return 0
  fi
  log "down (GET /users/current.json answered $(http_status /users/current.json "$KEY"))"
  return 1
}

cmd_env() {
  [ -s "$ENV_FILE" ] || die "no $ENV_FILE yet; run: $0 up"
  cat "$ENV_FILE"
}

# SQLite database file of the production environment, from the package's database.yml.
db_file() {
  awk '/^production:/ {p = 1; next} /^[^ \t#]/ {p = 0}
       p && $1 == "database:" {gsub(/["\047]/, "", $2); print $2; exit}' "$DB_CONFIG"
}

cmd_reset() {
  ensure_installed
  prepare_state
  take_lock
  ensure_key
  stop_server
  local db owner mode version snap
  db="$(db_file)"
  [ -n "$db" ] || die "cannot find the production database in $DB_CONFIG"
  [ "$(awk '/^production:/ {p = 1; next} /^[^ \t#]/ {p = 0} p && $1 == "adapter:" {print $2; exit}' "$DB_CONFIG")" = sqlite3 ] ||
    die "reset only handles SQLite; $DB_CONFIG uses another adapter"
  # The freshly migrated and seeded database is kept as a snapshot (per package version),
  # so later resets copy it instead of migrating again (about 7 s instead of 20 s).
  version="$(dpkg-query -W -f='${Version}' redmine)"
  snap="$STATE/pristine-${version//[^A-Za-z0-9.+~-]/_}.sqlite3"
  owner="root:$RUN_USER" mode=0660 # what dbconfig-common creates
  if [ -e "$db" ]; then
    owner="$(stat -c '%U:%G' "$db")" mode="$(stat -c '%a' "$db")"
  fi
  rm -f "$db" "$db-journal" "$db-wal" "$db-shm"
  if [ -s "$snap" ]; then
    log "restoring the empty database $db from $snap ..."
    install -o "${owner%%:*}" -g "${owner##*:}" -m "$mode" "$snap" "$db"
  else
    log "recreating the database $db ..."
    # an empty file is an empty SQLite database; keep the package's owner and mode
    install -o "${owner%%:*}" -g "${owner##*:}" -m "$mode" /dev/null "$db"
    log "migrating (output in $RUN_DIR/migrate.log) ..."
    # SCHEMA=/dev/null: as www-data the schema dump into the package tree would fail
    if ! as_redmine SCHEMA=/dev/null rake db:migrate >"$RUN_DIR/migrate.log" 2>&1; then
      tail -n 30 "$RUN_DIR/migrate.log" >&2
      die "db:migrate failed"
    fi
    seed # loads the default data into the empty database, then settings and key
    rm -f "$STATE"/pristine-*.sqlite3
    # holds the API key's token: root only
    install -o root -g root -m 0600 "$db" "$snap.tmp"
    mv -f "$snap.tmp" "$snap"
  fi
  log "starting puma on 127.0.0.1:$PORT ..."
  start_server
  wait_for listening
  api_ok || seed # a snapshot made with an older key
  wait_ready
  write_env
  say_up "reset to an empty database"
}

cmd_provision() {
  local file="${1:-}" rc=0
  [ -n "$file" ] || die "usage: $0 provision FILE.rb   (spec in CI_PLUGIN_SPEC, CI_PLUGIN_SPEC_FILE or stdin)"
  [ -r "$file" ] || die "cannot read $file"
  require_installed
  prepare_state
  # www-data may not reach the caller's files: copy script and spec into the state dir
  PROVISION_TMP="$(mktemp -d "$LIB_DIR/provision.XXXXXX")"
  trap 'rm -rf "$PROVISION_TMP"' EXIT
  local tmp="$PROVISION_TMP"
  chmod 0755 "$tmp"
  cp "$file" "$tmp/provision.rb"
  chmod 0644 "$tmp/provision.rb"
  if [ -z "${CI_PLUGIN_SPEC:-}" ] && [ -z "${CI_PLUGIN_SPEC_FILE:-}" ] &&
    grep -q '^# ci-plugin: embedded spec' "$file"; then
    # `ci-plugin setup --print-provisioning` output carries its spec: never wait on stdin
    rails_runner "$tmp/provision.rb" CI_PLUGIN_DRY_RUN="${CI_PLUGIN_DRY_RUN:-}" </dev/null || rc=$?
    return "$rc"
  fi
  if [ -n "${CI_PLUGIN_SPEC:-}" ]; then
    printf '%s' "$CI_PLUGIN_SPEC" >"$tmp/spec.json"
  elif [ -n "${CI_PLUGIN_SPEC_FILE:-}" ]; then
    cp "$CI_PLUGIN_SPEC_FILE" "$tmp/spec.json"
  else
    [ -t 0 ] && die "no spec: set CI_PLUGIN_SPEC or CI_PLUGIN_SPEC_FILE, or pipe the JSON on stdin"
    cat >"$tmp/spec.json"
  fi
  [ -s "$tmp/spec.json" ] || die "the spec is empty"
  chmod 0644 "$tmp/spec.json"
  rails_runner "$tmp/provision.rb" CI_PLUGIN_SPEC_FILE="$tmp/spec.json" \
    CI_PLUGIN_DRY_RUN="${CI_PLUGIN_DRY_RUN:-}" </dev/null || rc=$?
  return "$rc"
}

main() {
  local cmd="${1:-}"
  [ $# -gt 0 ] && shift
  clean_env
  check_settings
  case "$cmd" in
    up) cmd_up ;;
    down) cmd_down ;;
    restart) cmd_down && cmd_up ;;
    status) cmd_status ;;
    env) cmd_env ;;
    reset) cmd_reset ;;
    provision) cmd_provision "$@" ;;
    *)
      sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2
      exit 2
      ;;
  esac
}

main "$@"

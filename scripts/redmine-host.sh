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

HOST_TAG=redmine-host
HOST_NAME=Redmine
SETTINGS_PREFIX=CI_PLUGIN_REDMINE
PORT="${CI_PLUGIN_REDMINE_PORT:-13000}"
STATE="${CI_PLUGIN_REDMINE_STATE:-/var/lib/ci-plugin-test/redmine}"
READY_TIMEOUT="${CI_PLUGIN_REDMINE_TIMEOUT:-90}"
PACKAGES=(redmine redmine-sqlite puma)
INSTALL_SECONDS=35
# shellcheck source=host-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/host-lib.sh"

REDMINE_DIR=/usr/share/redmine
DB_CONFIG=/etc/redmine/default/database.yml
HOME_DIR="$STATE/home"
PID_FILE="$RUN_DIR/puma.pid"

# what host-lib.sh needs to know
SERVICE_DIR="$REDMINE_DIR" SERVICE_HOME="$HOME_DIR" SERVICE_ENV=(REDMINE_INSTANCE=default RAILS_ENV=production)
RUN_USER_DIRS=("0700 $HOME_DIR" "0755 $RUN_DIR")
SERVER_NAME=puma
# One thread: SQLite with more threads gave "database is locked" under mixed load.
SERVER_COMMAND=(puma -e production -b "tcp://127.0.0.1:$PORT" -t 1:1 --pidfile "$PID_FILE" config.ru)
# before and after puma sets its process title "puma 5.6.5 (tcp://127.0.0.1:PORT) [redmine]"
SERVER_PATTERN="*puma*tcp://127.0.0.1:${PORT}[) ]*"
SERVER_ID_FILE="$STATE/puma.pgid"
SERVER_LOG="$RUN_DIR/puma.log"
FAILURE_LOGS=("40 $SERVER_LOG" "20 /var/log/redmine/default/production.log")
CREDENTIAL_FILE="$STATE/api_key" CREDENTIAL_NAME="API key" CREDENTIAL_ENV=CI_PLUGIN_REDMINE_KEY
AUTH_HEADER='X-Redmine-API-Key: '
PROBE_PATH=/users/current.json PROBE_EXPECT='"user"'
ENV_CHECKS_API=0
EXTRA_COMMANDS=(provision)

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

# `rails runner FILE` as www-data (bin/rails of the app if the package ships it).
# Usage: rails_runner FILE [NAME=value ...]
rails_runner() {
  local file="$1" rails=rails
  shift
  [ -x "$REDMINE_DIR/bin/rails" ] && rails=bin/rails
  as_service "$@" "$rails" runner "$file"
}

host_install() {
  # Best-effort preseed: SQLite via dbconfig-common. Stale templates after a purge can make
  # debconf-set-selections fail; the defaults work too.
  printf '%s\n' \
    'redmine redmine/instances/default/dbconfig-install boolean true' \
    'redmine redmine/instances/default/database-type select sqlite3' |
    debconf-set-selections 2>/dev/null || true
  apt_install_packages
  [ -f "$DB_CONFIG" ] || die "$DB_CONFIG is missing: the redmine postinst did not configure the database"
}

# --- the API key and seeding --------------------------------------------------------------
random_key() { od -An -N20 -tx1 /dev/urandom | tr -d ' \n'; } # 40 hex digits, like Redmine's

# NEW_KEY=1: the key was made just now (or since the last seed), so it is surely not in the
# database yet.
NEW_KEY=0
host_configure() {
  if [ ! -s "$CREDENTIAL_FILE" ]; then
    NEW_KEY=1
    write_private "$CREDENTIAL_FILE" random_key
  fi
  use_credential '^[0-9a-f]{40}$'
}

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
  rails_runner "$LIB_DIR/seed.rb" <"$CREDENTIAL_FILE" >&2
  NEW_KEY=0
}

# --- hooks of host-lib.sh -----------------------------------------------------------------
# Seeding while puma runs is fine: Redmine re-reads changed settings on the next request.
host_stale_server() { log "puma is running but does not accept the key (yet); seeding ..."; }

# Start first and seed only if the key is not accepted (host_repair_access): an already
# seeded database (the usual case after `down`) then costs no extra Rails boot.
host_start() {
  start_server
  # a key made just now is surely not in the database: seed while puma boots
  if [ "$NEW_KEY" = 1 ]; then seed; fi
}

# Any answer but "up" from a listening puma: seed (settings, default data, key), once.
host_repair_access() { seed; }

# The value of setting NAME (database, adapter) of the production environment in database.yml.
production_setting() {
  awk -v key="$1:" '/^production:/ {p = 1; next} /^[^ \t#]/ {p = 0}
       p && $1 == key {gsub(/["\047]/, "", $2); print $2; exit}' "$DB_CONFIG"
}

host_reset_data() {
  local db owner mode version snap
  db="$(production_setting database)"
  [ -n "$db" ] || die "cannot find the production database in $DB_CONFIG"
  [ "$(production_setting adapter)" = sqlite3 ] ||
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
    return 0
  fi
  log "recreating the database $db ..."
  # an empty file is an empty SQLite database; keep the package's owner and mode
  install -o "${owner%%:*}" -g "${owner##*:}" -m "$mode" /dev/null "$db"
  log "migrating (output in $RUN_DIR/migrate.log) ..."
  # SCHEMA=/dev/null: as www-data the schema dump into the package tree would fail
  if ! as_service SCHEMA=/dev/null rake db:migrate >"$RUN_DIR/migrate.log" 2>&1; then
    tail -n 30 "$RUN_DIR/migrate.log" >&2
    die "db:migrate failed"
  fi
  seed # loads the default data into the empty database, then settings and key
  rm -f "$STATE"/pristine-*.sqlite3
  # holds the API key's token: root only
  install -o root -g root -m 0600 "$db" "$snap.tmp"
  mv -f "$snap.tmp" "$snap"
}

# --- provision ----------------------------------------------------------------------------
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

clean_env
host_main "$@"

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

HOST_TAG=rt-host
HOST_NAME=RT
SETTINGS_PREFIX=CI_PLUGIN_RT
PORT="${CI_PLUGIN_RT_PORT:-18080}"
STATE="${CI_PLUGIN_RT_STATE:-/var/lib/ci-plugin-test/rt}"
READY_TIMEOUT="${CI_PLUGIN_RT_TIMEOUT:-60}"
PACKAGES=(request-tracker5 rt5-db-sqlite rt5-standalone msmtp-mta w3m)
INSTALL_SECONDS=25
# shellcheck source=host-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/host-lib.sh"

RT_SERVER=/usr/share/request-tracker5/libexec/rt-server
RT_SETUP_DB=/usr/sbin/rt-setup-database-5
ETC_DIR=/etc/request-tracker5
SITE_CONFIG="$ETC_DIR/RT_SiteConfig.pm"
SITE_DIR="$ETC_DIR/RT_SiteConfig.d"
BASE_CONFIG="$SITE_DIR/90-ci-plugin-test.pm"
SNIPPET_CONFIG="$SITE_DIR/60-ci-plugin-lifecycle.pm"
DB_DIR="$STATE/db"
DB_FILE="$DB_DIR/rt5.db"
DB_MARKER="$STATE/db.ok"
LOG_DIR="$STATE/log"
RT_LOG="$LOG_DIR/rt.log"

# what host-lib.sh needs to know
SERVICE_DIR="$RUN_DIR" SERVICE_HOME="$RUN_DIR" SERVICE_ENV=()
RUN_USER_DIRS=("0750 $DB_DIR" "0755 $LOG_DIR" "0755 $RUN_DIR") # SQLite writes journals in db/
SERVER_NAME=rt-server
SERVER_COMMAND=("$RT_SERVER" --host 127.0.0.1 --port "$PORT" --max-workers 2)
SERVER_PATTERN="*${SERVER_COMMAND[*]} "
SERVER_ID_FILE="$RUN_DIR/rt-server.pid"
SERVER_LOG="$RUN_DIR/server.log"
FAILURE_LOGS=("40 $RT_LOG" "20 $SERVER_LOG")
CREDENTIAL_FILE="$STATE/token" CREDENTIAL_NAME=token CREDENTIAL_ENV=CI_PLUGIN_RT_TOKEN
AUTH_HEADER='Authorization: token '
PROBE_PATH=/REST/2.0/rt PROBE_EXPECT='"Version"' # REST2 answers our token with RT's version
ENV_CHECKS_API=1
EXTRA_COMMANDS=(install-config)

host_install() {
  # We create the database ourselves; dbconfig-common would build one (and leave the package
  # half-configured when that fails). Preseeding before the package exists works.
  echo 'request-tracker5 request-tracker5/dbconfig-install boolean false' |
    debconf-set-selections
  apt_install_packages
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
  if ! as_service "$RT_SETUP_DB" --action init --skip-create --root-password-file "$pwfile" \
    </dev/null >"$RUN_DIR/setup-database.log" 2>&1; then
    tail -n 30 "$RUN_DIR/setup-database.log" >&2 || true
    die "rt-setup-database failed (log: $RUN_DIR/setup-database.log)"
  fi
  rm -f "$pwfile"
  touch "$DB_MARKER"
  # a new database knows none of the old tokens
  rm -f "$CREDENTIAL_FILE"
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

# Create the token once; reused until the database is recreated. Its stdout goes to a file
# this root shell opens (umask 077): the token is never shown.
ensure_token() {
  if [ ! -s "$CREDENTIAL_FILE" ]; then
    log "creating an auth token for RT's root user ..."
    write_token_script
    write_private "$CREDENTIAL_FILE" as_service perl "$LIB_DIR/create-token.pl" \
      </dev/null 2>"$RUN_DIR/create-token.log" || {
      tail -n 20 "$RUN_DIR/create-token.log" >&2
      die "creating the auth token failed (log: $RUN_DIR/create-token.log)"
    }
  fi
  use_credential '^[0-9]+-[0-9]+-[0-9a-f]+$'
}

# --- hooks of host-lib.sh -----------------------------------------------------------------------
host_configure() {
  write_site_config
  load_credential
}

# running, but with an old configuration or not answering: start afresh
host_stale_server() { stop_server; }

host_start() {
  ensure_database
  ensure_token
  start_server
}

# A 401 from a running RT means the token is not in this database (e.g. it was replaced
# behind our back): make a new one.
host_repair_access() {
  [ "$LAST_CODE" = 401 ] || return 1
  log "RT does not accept the stored token; creating a new one"
  rm -f "$CREDENTIAL_FILE"
  ensure_token
}

host_reset_data() {
  log "deleting the database ..."
  delete_database
  rm -f "$CREDENTIAL_FILE"
}

# --- install-config ---------------------------------------------------------------------------
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
  as_service perl -c "$tmp" </dev/null >/dev/null 2>"$RUN_DIR/snippet-check.log" || {
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
  if ! as_service perl "$LIB_DIR/check-config.pl" </dev/null >/dev/null 2>"$RUN_DIR/config-check.log"; then
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
  grep '^lifecycles:' "$RUN_DIR/config-check.log" | sed "s/^/$HOST_TAG: /" >&2 || true
  log "installed $file as $SNIPPET_CONFIG"
  # 4. RT reads lifecycles at start only
  if server_sid >/dev/null; then
    running=1
    stop_server
  fi
  flock -u 9
  if [ "$running" = 1 ]; then
    cmd_up
  fi
}

host_main "$@"

#!/usr/bin/env bash
# Install (only when missing) and start the local services the project needs: PostgreSQL and
# Redis from Debian's packages, on 127.0.0.1:5432 and :6379, wrk (the receiver bench's
# load generator) and chromium (the console's browser tests). Checks that Java 17+ and
# Maven are there for the Kafka broker (`leadmem dev`, the tests and the bench start it; see
# devtools/kafka.py). Quick when everything already runs. Needs root for the installs.
set -euo pipefail

die() { echo "services.sh: $*" >&2; exit 1; }

apt_updated=0
apt_install() {
  [ "$(id -u)" = 0 ] || die "need root to install $* (apt-get install -y $*)"
  if [ "$apt_updated" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    apt_updated=1
  fi
  echo "installing $* from Debian's packages" >&2
  # No init system here: keep the packages' scripts from trying to start services.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  rm -f /usr/sbin/policy-rc.d
}

# --- Java and Maven (the Kafka broker runs on the JVM; Maven fetches it) -------------------
command -v java >/dev/null || die "Java 17+ is required for the Kafka broker (apt-get install openjdk-17-jre-headless)"
java_major=$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
[ "${java_major%%.*}" -ge 17 ] 2>/dev/null || die "Java 17+ is required for Kafka 4.x; found ${java_major:-unknown}"
command -v mvn >/dev/null || die "Maven is required to fetch Kafka from Maven Central (apt-get install maven)"

# --- wrk (the HTTP load generator of `leadmem bench receiver`; Debian's package) ----------
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt_install wrk
  else
    echo "services.sh: wrk is missing (leadmem bench receiver needs it): apt-get install -y wrk" >&2
  fi
fi

# --- Chromium (the console's browser tests and screenshots; Debian's package) -------------
# Playwright drives this browser (executable_path=/usr/bin/chromium): nothing downloads a
# browser build of its own. DejaVu gives the screenshots a font. In CI (CI=true) the tests
# fail when it is missing; elsewhere they are skipped with the command that installs it.
if ! command -v chromium >/dev/null || ! dpkg -s fonts-dejavu-core >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt_install chromium fonts-dejavu-core
  else
    echo "services.sh: chromium is missing (the console's browser tests need it):" \
         "apt-get install -y chromium fonts-dejavu-core" >&2
  fi
fi

# --- PostgreSQL ----------------------------------------------------------------------------
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  apt_install postgresql postgresql-contrib
fi
pg_version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1, $2}' | grep -qx "$pg_version main"; then
  pg_createcluster "$pg_version" main >/dev/null
fi
hba=/etc/postgresql/$pg_version/main/pg_hba.conf
marker="# lead-memory: loopback trust for development and CI"
hba_changed=0
if ! grep -qF "$marker" "$hba"; then
  # Development/CI only: trust on loopback, so the roles the migrations create log in with
  # no password (production sets LEADMEM_APP_ROLE_PASSWORD and its own pg_hba).
  { echo "$marker"
    echo "host all all 127.0.0.1/32 trust"
    echo "host all all ::1/128 trust"
    cat "$hba"; } > "$hba.new"
  mv "$hba.new" "$hba"
  chown postgres:postgres "$hba"
  hba_changed=1
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "starting PostgreSQL $pg_version" >&2
  pg_ctlcluster --skip-systemctl-redirect "$pg_version" main start
  for _ in $(seq 100); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
  pg_isready -q -h 127.0.0.1 -p 5432 || die "PostgreSQL did not start (see /var/log/postgresql/)"
elif [ "$hba_changed" = 1 ]; then
  pg_ctlcluster --skip-systemctl-redirect "$pg_version" main reload
fi

# Debian's cluster has TLS on, so every loopback connection (the workers', the tests', the
# bench's) negotiated and encrypted TLS: profiled, socket writes under asyncpg's TLS were the
# largest share of the memory worker's samples. A server only on loopback gains nothing from
# it; production Postgres on another host keeps TLS through its own URL and server.
if [ "$(psql -h 127.0.0.1 -U postgres -Atc 'SHOW ssl')" = on ]; then
  psql -h 127.0.0.1 -U postgres -qc "ALTER SYSTEM SET ssl = off" -c "SELECT pg_reload_conf()" >/dev/null
fi

# --- Redis ---------------------------------------------------------------------------------
if ! command -v redis-server >/dev/null; then
  apt_install redis-server
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting Redis" >&2
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/leadmem.log
  for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.2; done
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || die "Redis did not start (see /var/log/redis/leadmem.log)"
fi

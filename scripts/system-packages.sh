#!/usr/bin/env bash
# Debian packages the simulator's real servers need: PostgreSQL, Prometheus, Redis.
# As root they are installed with apt-get when missing; otherwise say which package to install.
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v pg_dump >/dev/null 2>&1 || missing+=(postgresql-client)
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  # policy-rc.d or no systemd keeps these from starting as services; the simulator starts its own on loopback
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "missing Debian packages: ${missing[*]} — install them with: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

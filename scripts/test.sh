#!/usr/bin/env bash
# Run the whole test suite: make a venv, install the pinned requirements, make sure
# Redis and PostgreSQL are up (starting or installing them where the machine allows),
# then run pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/venv.sh

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else "$@"; fi; }

redis_up() { .venv/bin/python -c "import redis,sys; redis.Redis(socket_connect_timeout=1).ping()" 2>/dev/null; }
if ! redis_up; then
  if ! command -v redis-server >/dev/null; then
    echo "installing redis-server from the system packages" >&2
    as_root apt-get install -y -qq redis-server >/dev/null || as_root sh -c 'apt-get update -qq && apt-get install -y -qq redis-server' >/dev/null
  fi
  redis-server --daemonize yes --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 50); do redis_up && break; sleep 0.1; done
  redis_up || { echo "Redis is not reachable on 127.0.0.1:6379" >&2; exit 1; }
fi

pg_up() { .venv/bin/python -c "import psycopg2; psycopg2.connect('postgresql://postgres@127.0.0.1:5432/postgres', connect_timeout=2).close()" 2>/dev/null; }
if ! pg_up; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "installing postgresql from the system packages" >&2
    as_root sh -c 'apt-get update -qq && apt-get install -y -qq postgresql' >/dev/null
    ver=$(ls /etc/postgresql | head -n1)
    as_root sed -i 's/^\(host.*all.*all.*127.0.0.1\/32\s*\).*/\1trust/; s/^\(local.*all.*all\s*\).*/\1trust/' "/etc/postgresql/$ver/main/pg_hba.conf"
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 100); do pg_up && break; sleep 0.2; done
  pg_up || { echo "PostgreSQL is not reachable on 127.0.0.1:5432 (user postgres, trust auth)" >&2; exit 1; }
fi

# The console's browser tests drive Debian's Chromium (Playwright never downloads a browser)
# and need a Chinese font to render the pages as users see them.
missing=""
command -v chromium >/dev/null || missing=" chromium"
fc-list 2>/dev/null | grep -qi "wenquanyi zen hei" || missing="$missing fonts-wqy-zenhei"
if [ -n "$missing" ]; then
  echo "installing${missing} from the system packages" >&2
  as_root sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing" >/dev/null
fi

exec .venv/bin/python -m pytest "$@"

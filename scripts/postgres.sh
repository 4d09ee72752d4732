#!/usr/bin/env bash
# Starts the packaged PostgreSQL cluster (initdb refuses to run as root, so the Debian cluster is
# used) and makes sure the app's role exists. Prints nothing on stdout but the admin URL, which
# the caller passes to the tests as TEST_DATABASE_URL. Fails loudly if PostgreSQL cannot be had.
set -euo pipefail

ROLE=immutable
PASSWORD=immutable

cluster=$(pg_lsclusters --no-header 2>/dev/null | head -n 1 || true)
if [ -z "$cluster" ]; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  pg_createcluster "$version" main >&2
  cluster=$(pg_lsclusters --no-header | head -n 1)
fi
read -r version name port _ <<<"$cluster"
if ! pg_ctlcluster "$version" "$name" status >/dev/null 2>&1; then
  pg_ctlcluster "$version" "$name" start >&2
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 1
done
pg_isready -h 127.0.0.1 -p "$port" >&2

# The role owns the databases it creates; it is deliberately not a superuser, so the privileges
# the migrations revoke really bind it.
su postgres -c "psql -q -p $port -v ON_ERROR_STOP=1" >&2 <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
    CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD';
  END IF;
END
\$\$;
-- DROP DATABASE ... WITH (FORCE) on a test database also ends an autovacuum worker that
-- happens to be in it, which only this built-in role may signal (a CI run once failed there).
GRANT pg_signal_backend TO $ROLE;
SQL
echo "postgres://$ROLE:$PASSWORD@127.0.0.1:$port/postgres"

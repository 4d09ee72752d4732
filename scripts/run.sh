#!/usr/bin/env bash
# Installs the toolchain pieces, then serves the app on SQLite (data/tasks.db, seeded with a demo
# story on first start) at http://127.0.0.1:3000. Set DATABASE_URL=postgres://... for PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
scripts/build.sh
# The bundle's names carry hashes (target/release/hash.txt); the other LEPTOS_ settings default to
# what the build wrote: target/site/pkg, and 127.0.0.1:3000 unless LEPTOS_SITE_ADDR says otherwise.
export LEPTOS_HASH_FILES=true
exec target/release/server

#!/usr/bin/env bash
# Installs the toolchain pieces, then serves the app on SQLite (data/tasks.db, seeded with a demo
# story on first start) at http://127.0.0.1:3000. Set DATABASE_URL=postgres://... for PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
export PATH="$PWD/end2end/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
exec cargo leptos serve --release --precompress

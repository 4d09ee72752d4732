#!/usr/bin/env bash
# Installs the toolchain pieces, then serves the app on SQLite (data/tasks.db, seeded with a demo
# story on first start) at http://127.0.0.1:3000. Set DATABASE_URL=postgres://... for PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/end2end/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# On a first run the app's two compilations (the release server and the browser bundle's wasm) need
# only cargo, so they start now and overlap the tools compiling in scripts/install.sh, instead of
# waiting for cargo-leptos and then running one after the other as it runs them. They are the
# commands cargo-leptos runs, with the variables its builds record (LEPTOS_OUTPUT_NAME is read by
# `option_env!`, and RUSTFLAGS is what `--split` adds), so `cargo leptos serve` finds both up to
# date; if they ever drift apart it compiles again, slower but still correct.
rustup target add wasm32-unknown-unknown
mkdir -p target/install
app_log=target/install/app.log
printf '    the server and the wasm compile in the background, log in %s\n' "$app_log"
(
  export LEPTOS_OUTPUT_NAME=immutable-tasks
  cargo build --package=server --bin=server --no-default-features --release
  RUSTFLAGS=-Clink-args=--emit-relocs cargo build --package=app --lib --target-dir=target/front \
    --target=wasm32-unknown-unknown --no-default-features --features=hydrate --profile=wasm-release
) >"$app_log" 2>&1 &
app_build=$!
trap 'pkill -P "$app_build" 2>/dev/null; kill "$app_build" 2>/dev/null || true' EXIT

scripts/install.sh
if ! wait "$app_build"; then
  tail -n 40 "$app_log" >&2
  echo "compiling the app failed; the whole log is $app_log" >&2
  exit 1
fi
trap - EXIT
exec cargo leptos serve --release --precompress --split

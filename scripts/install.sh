#!/usr/bin/env bash
# Installs what the app needs on a fresh Debian machine (as root); every step is skipped when
# already done. With --with-test-tools it also installs Chromium and PostgreSQL for the tests.
# Versions are pinned where the wrong one breaks silently; see the README's "Toolchain" section.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
OPENAPI_VALIDATOR_VERSION=0.9.0
with_test_tools=false
case "${1:-}" in
  --with-test-tools) with_test_tools=true ;;
  "") ;;
  *) echo "usage: $0 [--with-test-tools]" >&2; exit 2 ;;
esac

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
step() { printf '\n==> %s\n' "$*"; }

step "Rust target wasm32-unknown-unknown"
rustup target add wasm32-unknown-unknown

# scripts/build.sh takes wasm-opt (npm's binaryen 132) and esbuild from here, and installs the
# wasm-bindgen-cli that matches Cargo.lock itself.
step "Node packages in end2end/ (Playwright, wasm-opt, esbuild)"
if ! command -v npm >/dev/null; then
  apt-get update && apt-get install -y nodejs npm
fi
(cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)

step "Swagger UI for the API reference at /api/v1/docs (served by the app itself)"
(cd server/assets/api-reference && npm ci --no-audit --no-fund)

if $with_test_tools; then
  step "Chromium (Debian package; Playwright's browser download is unreachable)"
  if ! command -v chromium >/dev/null; then
    apt-get update && apt-get install -y chromium
  fi
  step "ss (iproute2): scripts/test.sh checks that the server answering on its port is its own"
  if ! command -v ss >/dev/null; then
    apt-get update && apt-get install -y iproute2
  fi
  step "jq (the README's curl walkthrough reads JSON with it)"
  if ! command -v jq >/dev/null; then
    apt-get update && apt-get install -y jq
  fi
  step "Schemathesis $SCHEMATHESIS_VERSION (PyPI), which fuzzes /api/v1 from its OpenAPI document"
  if [ "$(st --version 2>/dev/null || true)" != "st, version $SCHEMATHESIS_VERSION" ]; then
    if ! command -v pip3 >/dev/null && ! python3 -m pip --version >/dev/null 2>&1; then
      apt-get update && apt-get install -y python3-pip
    fi
    python3 -m pip install --quiet "schemathesis==$SCHEMATHESIS_VERSION" ||
      python3 -m pip install --quiet --break-system-packages "schemathesis==$SCHEMATHESIS_VERSION"
  fi
  step "openapi-spec-validator $OPENAPI_VALIDATOR_VERSION (PyPI), which checks the OpenAPI document"
  if ! python3 -m pip show openapi-spec-validator 2>/dev/null | grep -qx "Version: $OPENAPI_VALIDATOR_VERSION"; then
    python3 -m pip install --quiet "openapi-spec-validator==$OPENAPI_VALIDATOR_VERSION" ||
      python3 -m pip install --quiet --break-system-packages "openapi-spec-validator==$OPENAPI_VALIDATOR_VERSION"
  fi
  step "PostgreSQL (Debian package)"
  if ! command -v pg_ctlcluster >/dev/null || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    apt-get update && apt-get install -y postgresql
  fi
fi

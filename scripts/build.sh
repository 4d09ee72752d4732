#!/usr/bin/env bash
# Builds what scripts/run.sh serves and scripts/test.sh tests: the release server, and under
# target/site/pkg the browser bundle (wasm and its JavaScript glue) and the stylesheet, each with
# a hash of its content in its name and a brotli and a gzip copy beside it.
#
# These are the steps cargo-leptos took for `build --release --precompress`, done by the tools
# themselves, so a first run no longer compiles a build tool (cargo-leptos took 6 of the first
# run's 17 minutes). cargo-leptos still works for development (`cargo leptos watch`) if you
# install it. Run scripts/install.sh first (wasm-opt and esbuild come from end2end/node_modules).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/end2end/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

name=immutable-tasks
pkg=target/site/pkg
hash_file=target/release/hash.txt
wasm=target/front/wasm32-unknown-unknown/wasm-release/app.wasm
# The browser half's output before the names get their hashes.
staging=target/front/pkg
# Leptos reads the bundle's base name from here when the server starts without the variable.
export LEPTOS_OUTPUT_NAME=$name

step() { printf '\n==> [%s] %s\n' "$(date +%T)" "$*"; }

# The browser half: the wasm, then wasm-bindgen, wasm-opt and minified JavaScript and CSS into
# $staging. Leaves no $staging when the bundle in $pkg is still newer than everything it is made of.
browser_bundle() {
  cargo build --locked -p app --lib --no-default-features --features hydrate \
    --target wasm32-unknown-unknown --profile wasm-release --target-dir target/front
  # cargo leaves an up-to-date wasm untouched.
  if [ -d "$pkg" ] && [ "$hash_file" -nt "$wasm" ] && [ "$hash_file" -nt style/main.css ] &&
    [ "$hash_file" -nt "$0" ]; then
    echo "the bundle in $pkg is up to date"
    return
  fi
  # The CLI must match the wasm-bindgen crate in Cargo.lock exactly. It is installed here rather
  # than by scripts/install.sh so that on a first run it compiles while the server does. Built
  # without optimisation or debug info: 44 s instead of 2 min 6 s on two cores, and it still
  # processes the bundle in under a second, into the same bytes. `--force` because cargo's record
  # of what it installed can outlive the binary; not `--locked`, because its locked webpki-roots
  # version is missing from the registry mirror.
  local version
  version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
  if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $version" ]; then
    step "Installing wasm-bindgen-cli $version (the version Cargo.lock pins)"
    CARGO_PROFILE_DEV_DEBUG=0 cargo install wasm-bindgen-cli --version "$version" --debug --force --quiet
  fi
  step "wasm-bindgen, wasm-opt -Oz, minified JavaScript and CSS"
  rm -rf "$staging"
  wasm-bindgen --target web --no-typescript --out-name "$name" --out-dir "$staging" "$wasm"
  # Leptos's hydration script asks for NAME.wasm, not wasm-bindgen's NAME_bg.wasm.
  mv "$staging/${name}_bg.wasm" "$staging/$name.wasm"
  # npm's binaryen (wasm-opt 132): Debian's wasm-opt 108 makes a bundle that never hydrates.
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int "$staging/$name.wasm" -o "$staging/$name.wasm"
  esbuild "$staging/$name.js" --minify --format=esm --log-level=warning --allow-overwrite --outfile="$staging/$name.js"
  # The browsers the stylesheet is lowered and prefixed for (Browserslist's "defaults", roughly).
  esbuild style/main.css --minify --log-level=warning --outfile="$staging/$name.css" \
    --target=chrome109,edge109,firefox115,safari15.6,ios15.6
}

# The two halves run side by side, in separate target directories so neither waits for the
# other's lock. The server is the long one; the browser half (its compile ends with a
# single-threaded link-time optimisation, then the tools) fills the core the server's biggest
# crates leave idle while rustc's front end works on one.
step "Compiling the server (release) and the browser bundle (wasm, optimised for size)"
browser_bundle &
browser=$!
server_status=0
cargo build --locked -p server --release || server_status=$?
browser_status=0
wait "$browser" || browser_status=$?
if [ "$browser_status" -ne 0 ] || [ "$server_status" -ne 0 ]; then
  echo "build failed (browser bundle: exit $browser_status, server: exit $server_status)" >&2
  exit 1
fi
if [ ! -d "$staging" ]; then
  exit 0
fi

step "Content hashes in the names ($hash_file tells the server which), brotli and gzip copies"
# The server answers /pkg/ files with `Cache-Control: immutable`, so a changed file must get a new
# name. Leptos looks for hash.txt beside the server binary, one `extension: hash` line per file.
rm -rf "$pkg"
mkdir -p "$pkg"
hashes=""
for ext in js wasm css; do
  hash=$(sha256sum "$staging/$name.$ext" | cut -c1-20)
  mv "$staging/$name.$ext" "$pkg/$name.$hash.$ext"
  hashes+="$ext: $hash"$'\n'
done
# wasm-bindgen's snippets/ (JavaScript the crates inline), if any, keep their names: the glue
# imports them by those.
cp -r "$staging"/. "$pkg"/
rm -rf "$staging"
printf '%s' "$hashes" > "$hash_file"
node -e '
  const fs = require("fs"), path = require("path"), zlib = require("zlib");
  const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).forEach((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return walk(file);
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file + ".br", zlib.brotliCompressSync(bytes, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
    }));
    fs.writeFileSync(file + ".gz", zlib.gzipSync(bytes, { level: 9 }));
  });
  walk(process.argv[1]);
' "$pkg"
ls -l "$pkg"

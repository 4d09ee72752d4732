#!/usr/bin/env bash
# Builds what scripts/run.sh serves and scripts/test.sh tests: the release server, and under
# target/site/pkg the browser bundle (wasm and its JavaScript glue) and the stylesheet, each with
# a hash of its content in its name and a brotli and a gzip copy beside it.
#
# These are the steps cargo-leptos took for `build --release --precompress`, done by the tools
# themselves, so a first run no longer compiles a build tool (cargo-leptos took 6 of the first
# run's 17 minutes). cargo-leptos still works for development (`cargo leptos watch`) if you
# install it. Needs scripts/install.sh first (wasm-bindgen, wasm-opt and esbuild on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/end2end/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

name=immutable-tasks
pkg=target/site/pkg
# Leptos reads the bundle's base name from here when the server starts without the variable.
export LEPTOS_OUTPUT_NAME=$name

step() { printf '\n==> [%s] %s\n' "$(date +%T)" "$*"; }

# The two compiles run side by side in separate target directories (as cargo-leptos ran them), so
# neither waits for the other's lock: the wasm's single-threaded link-time optimisation overlaps
# the server's compile.
step "Compiling the server (release) and the browser bundle (wasm, optimised for size)"
cargo build --locked -p server --release &
server_build=$!
wasm_status=0
cargo build --locked -p app --lib --no-default-features --features hydrate \
  --target wasm32-unknown-unknown --profile wasm-release --target-dir target/front || wasm_status=$?
server_status=0
wait "$server_build" || server_status=$?
if [ "$wasm_status" -ne 0 ] || [ "$server_status" -ne 0 ]; then
  echo "build failed (wasm: exit $wasm_status, server: exit $server_status)" >&2
  exit 1
fi

wasm=target/front/wasm32-unknown-unknown/wasm-release/app.wasm
# cargo leaves an up-to-date wasm untouched, so a bundle newer than its inputs needs no work.
if [ -d "$pkg" ] && [ target/release/hash.txt -nt "$wasm" ] && [ target/release/hash.txt -nt style/main.css ] &&
  [ target/release/hash.txt -nt "$0" ]; then
  echo "the bundle in $pkg is up to date"
  exit 0
fi

step "wasm-bindgen, wasm-opt -Oz, minified JavaScript and CSS"
rm -rf "$pkg"
mkdir -p "$pkg"
wasm-bindgen --target web --no-typescript --out-name "$name" --out-dir "$pkg" "$wasm"
# Leptos's hydration script asks for NAME.wasm, not wasm-bindgen's NAME_bg.wasm.
mv "$pkg/${name}_bg.wasm" "$pkg/$name.wasm"
wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int "$pkg/$name.wasm" -o "$pkg/$name.wasm"
esbuild "$pkg/$name.js" --minify --format=esm --log-level=warning --allow-overwrite --outfile="$pkg/$name.js"
# The browsers the stylesheet is lowered and prefixed for (Browserslist's "defaults", roughly).
esbuild style/main.css --minify --log-level=warning --outfile="$pkg/$name.css" \
  --target=chrome109,edge109,firefox115,safari15.6,ios15.6

step "Content hashes in the names (target/release/hash.txt tells the server which)"
# The server answers /pkg/ files with `Cache-Control: immutable`, so a changed file must get a new
# name. Leptos looks for hash.txt beside the server binary, one `extension: hash` line per file.
hashes=""
for ext in js wasm css; do
  hash=$(sha256sum "$pkg/$name.$ext" | cut -c1-20)
  mv "$pkg/$name.$ext" "$pkg/$name.$hash.$ext"
  hashes+="$ext: $hash"$'\n'
done
printf '%s' "$hashes" > target/release/hash.txt

step "Brotli and gzip copies, served as they are"
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

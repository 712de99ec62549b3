#!/usr/bin/env bash
# Builds and tests the runtime against the lowest and the highest rusqlite the library crates
# accept (`rusqlite` in the workspace's Cargo.toml), so that the range stays true: an
# application that already depends on an older rusqlite can add migrate-runtime only if ours
# resolves to the same version (two libsqlite3-sys versions cannot link together).
#
# The lowest is pinned with `cargo update --precise` (it may pull libsqlite3-sys and hashlink
# down with it); the highest is what `cargo update` picks in the range today. Cargo.lock is
# copied first and put back on every exit, so the repository's lock is left as it was.
set -euo pipefail
cd "$(dirname "$0")/.."

# Keep in step with `rusqlite = { version = ">=0.32, <0.44" }` in Cargo.toml. The library
# itself builds from 0.29 (the first whose `Connection::path` returns `Option<&str>`); the
# tests use `Connection::total_changes`, which came in 0.32, and the range promises only what
# is tested.
LOWEST=0.32.0

saved="$(mktemp)"
cp Cargo.lock "$saved"
trap 'cp "$saved" Cargo.lock; rm -f "$saved"' EXIT

resolved() {
    cargo tree -p migrate-runtime --depth 1 --edges normal --prefix none \
        | awk '$1 == "rusqlite" { print $2; exit }'
}

run_tests() {
    echo "rusqlite-range: testing with rusqlite $(resolved)"
    cargo test -p migrate-runtime --all-features
    # The macro's run-time check: embedded checksums equal those the runtime computes.
    cargo test -p migrate-macros --test checksums
}

cargo update --quiet -p rusqlite --precise "$LOWEST"
run_tests

cp "$saved" Cargo.lock
cargo update --quiet -p rusqlite
run_tests

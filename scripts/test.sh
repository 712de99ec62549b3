#!/usr/bin/env bash
# The whole test suite, the command README.md gives a new user (and the first thing .ci/run
# runs): installs what the tests need when it is missing, then runs `cargo test --workspace`.
#
#   scripts/test.sh                  # everything
#   scripts/test.sh -p migrate-runtime   # extra arguments go to cargo test
set -euo pipefail
cd "$(dirname "$0")/.."

# The admin page's test drives a real headless Chromium (demo/tests/admin_page.rs) and fails
# without one: install Debian's package when it is missing (as root, as in CI), or say how.
if ! command -v chromium >/dev/null 2>&1 && [ -z "${CHROME:-}" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "scripts/test.sh: installing chromium for the admin page's browser test" >&2
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
    else
        echo "scripts/test.sh: the admin page's browser test needs Chromium:" \
            "sudo apt-get install -y chromium (or set CHROME to a Chrome or Chromium binary)" >&2
        exit 1
    fi
fi

exec cargo test --workspace "$@"

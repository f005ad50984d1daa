#!/usr/bin/env bash
# Runs the test suite on a fresh Debian machine: installs what is missing,
# starts PostgreSQL and a MongoDB-compatible server when they do not
# accept connections (a server it starts is stopped at the end), then runs
# `cargo test --workspace`. Extra arguments go to cargo test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

storage="$(mktemp -d -t agrisales-mongo-test.XXXXXX)"
trap 'agrisales_stop_started; rm -rf "$storage"' EXIT

agrisales_install_packages
# The retry test starts and stops a SecantusDB of its own, even when a
# MongoDB server already answers on 27017.
agrisales_install_secantus
agrisales_start_postgres
agrisales_start_mongodb "$storage"

cargo test --workspace "$@"

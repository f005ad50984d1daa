#!/usr/bin/env bash
# Runs the main job on a fresh Debian machine: installs what is missing,
# starts PostgreSQL and a MongoDB-compatible server when they do not
# accept connections, then runs `cargo run --release --example etl` with the given
# arguments. A MongoDB server it starts keeps its data in
# ${AGRISALES_MONGO_DATA:-$HOME/.local/share/agrisales/secantus-data} and
# stops when the job ends.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

trap 'agrisales_stop_started' EXIT

agrisales_install_packages
agrisales_start_postgres
agrisales_start_mongodb "${AGRISALES_MONGO_DATA:-$HOME/.local/share/agrisales/secantus-data}"

cargo run --release --example etl -- "$@"

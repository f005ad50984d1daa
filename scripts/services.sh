# Shell functions that install and start what agrisales needs on a Debian
# machine without Docker: Debian packages, PostgreSQL and SecantusDB (a
# MongoDB-wire-compatible server). Source this file; it defines functions
# and changes nothing by itself. With Docker, use `docker compose up -d`.
#
# Servers are only started on 127.0.0.1, and only when nothing accepts
# connections on their port already. A server this file starts is recorded so that
# `agrisales_stop_started` stops exactly that process.

AGRISALES_SECANTUS_VERSION="0.5.3-beta.196"
AGRISALES_STARTED_PIDS=()
export PATH="$HOME/.cargo/bin:$PATH"

agrisales_log() {
    echo "[agrisales] $*" >&2
}

# Succeeds when something accepts TCP connections on 127.0.0.1:$1.
agrisales_port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Installs the Debian packages the build needs: cmake (SecantusDB) and
# libpq (Diesel's PostgreSQL driver).
agrisales_install_packages() {
    local missing=()
    command -v cmake >/dev/null || missing+=(cmake)
    # Diesel links against libpq.so. Debian's postgresql-common ships a
    # pg_config without the library, so look for the library itself.
    if ! compgen -G "/usr/lib/*/libpq.so" >/dev/null && ! compgen -G "/usr/lib/libpq.so" >/dev/null; then
        missing+=(libpq-dev)
    fi
    command -v pkg-config >/dev/null || missing+=(pkg-config)
    # The charts draw their text with DejaVu Sans.
    [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
    if [ ${#missing[@]} -eq 0 ]; then
        return 0
    fi
    if ! command -v apt-get >/dev/null; then
        agrisales_log "missing ${missing[*]} and no apt-get: install them with your package manager"
        return 1
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null; then
            agrisales_log "missing ${missing[*]}: install them as root (apt-get install ${missing[*]})"
            return 1
        fi
        sudo=(sudo)
    fi
    agrisales_log "installing Debian packages: ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Installs the secantusd-rs daemon from crates.io when it is missing
# (about five minutes the first time).
agrisales_install_secantus() {
    if command -v secantusd-rs >/dev/null; then
        return 0
    fi
    agrisales_log "installing secantusd-rs $AGRISALES_SECANTUS_VERSION from crates.io (takes a few minutes)"
    # It declares rustc 1.98 but builds with older compilers.
    cargo install secantus-mdb --version "=$AGRISALES_SECANTUS_VERSION" --ignore-rust-version --locked --quiet
}

# Makes sure PostgreSQL accepts connections on 127.0.0.1:5432, starting the local
# Debian cluster when it does not.
agrisales_start_postgres() {
    if agrisales_port_open 5432; then
        agrisales_log "using the server already listening on 127.0.0.1:5432"
        return 0
    fi
    if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
        agrisales_log "PostgreSQL does not answer on 127.0.0.1:5432 and no local cluster exists: run 'docker compose up -d postgres' or set DATABASE_URL"
        return 1
    fi
    local version
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    agrisales_log "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 1 30); do
        agrisales_port_open 5432 && return 0
        sleep 1
    done
    agrisales_log "PostgreSQL did not start within 30 s; see /var/log/postgresql/"
    return 1
}

# Makes sure a MongoDB-compatible server accepts connections on 127.0.0.1:27017,
# starting secantusd-rs with storage in $1 when nothing does.
agrisales_start_mongodb() {
    local storage="$1"
    if agrisales_port_open 27017; then
        agrisales_log "using the server already listening on 127.0.0.1:27017"
        return 0
    fi
    agrisales_install_secantus
    mkdir -p "$storage"
    agrisales_log "starting secantusd-rs on 127.0.0.1:27017 (storage $storage)"
    secantusd-rs --host 127.0.0.1 --port 27017 --storage-path "$storage" >"$storage/secantusd.log" 2>&1 &
    AGRISALES_STARTED_PIDS+=("$!")
    for _ in $(seq 1 60); do
        agrisales_port_open 27017 && return 0
        if ! kill -0 "$!" 2>/dev/null; then
            agrisales_log "secantusd-rs exited; its log:"
            cat "$storage/secantusd.log" >&2
            return 1
        fi
        sleep 0.5
    done
    agrisales_log "secantusd-rs did not answer within 30 s; see $storage/secantusd.log"
    return 1
}

# Stops the servers this shell started, by PID.
agrisales_stop_started() {
    local pid
    for pid in "${AGRISALES_STARTED_PIDS[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    AGRISALES_STARTED_PIDS=()
}

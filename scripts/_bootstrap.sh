# Sourced by scripts/test and scripts/demo: uv, and .venv built exactly from uv.lock.
# Needs nothing but python3 (3.11+) with venv and pip.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/tap-dualentry"
UV_VERSION="0.13.9" # the uv that uv.lock's Meltano also brings into .venv

export MELTANO_SEND_ANONYMOUS_USAGE_STATS=false
export MELTANO_CLI_DISABLE_VERSION_CHECK=true
export UV_PYTHON_DOWNLOADS=never # use this machine's Python; never fetch one
# uv trusts only its own bundled roots unless told otherwise; the machine's store holds
# whatever CA its package registry needs (pip is usually configured to use it too).
export UV_SYSTEM_CERTS="${UV_SYSTEM_CERTS:-true}"

step() { printf '\n==> %s\n' "$*"; }

# uv from PATH, else pip-installed once into a private venv under $CACHE.
ensure_uv() {
  if command -v uv >/dev/null 2>&1; then
    UV="$(command -v uv)"
    return 0
  fi
  UV="$CACHE/uv-$UV_VERSION/bin/uv"
  if [[ ! -x "$UV" ]]; then
    step "installing uv $UV_VERSION with pip (into $CACHE/uv-$UV_VERSION)"
    python3 -m venv "$CACHE/uv-$UV_VERSION" &&
      "$CACHE/uv-$UV_VERSION/bin/pip" install --quiet --disable-pip-version-check \
        "uv==$UV_VERSION" || return 1
  fi
}

# .venv: the tap (editable), the emulator, Meltano and the dev tools, as uv.lock pins them.
sync_venv() {
  "$UV" sync --locked --group dev --python python3 --directory "$ROOT" "$@"
}

#!/usr/bin/env bash
# The browser suite: headless Chromium, driven through chromedriver, against a real node
# (crates/commons-browser). Installs Debian's chromium and chromium-driver when they are
# missing and --install is given (CI gives it), then runs
#   cargo test -p commons-browser --features browser
# Extra arguments after -- go to cargo test. Screenshots land in target/screenshots/.
# Without a browser and without --install, the tests fail and name the install command:
# they are never skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

install=false
if [[ "${1:-}" == "--install" ]]; then install=true; shift; fi
[[ "${1:-}" == "--" ]] && shift

have_browser() {
  { [[ -n "${COMMONS_CHROMIUM:-}" ]] || command -v chromium >/dev/null 2>&1; } &&
    { [[ -n "${COMMONS_CHROMEDRIVER:-}" ]] || command -v chromedriver >/dev/null 2>&1; }
}

if ! have_browser && $install; then
  sudo=""
  if [[ "$(id -u)" != 0 ]]; then sudo="sudo"; fi
  echo "installing chromium and chromium-driver"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium chromium-driver
fi
if have_browser; then
  echo "browser: $(chromium --version 2>/dev/null || echo "${COMMONS_CHROMIUM:-?}"); $(chromedriver --version 2>/dev/null || echo "${COMMONS_CHROMEDRIVER:-?}")"
fi

# Stale screenshots would pass for this run's: start empty (only the default directory).
if [[ -z "${COMMONS_SCREENSHOTS:-}" ]]; then rm -rf target/screenshots; fi
cargo test -p commons-browser --features browser "$@"
shots="${COMMONS_SCREENSHOTS:-target/screenshots}"
echo "screenshots: $(find "$shots" -name '*.png' 2>/dev/null | wc -l) in $shots/"

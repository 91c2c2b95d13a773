#!/usr/bin/env bash
# The README's test command (and CI's): installs what the tests need, then runs them.
#   tmux     a real terminal for the hang-up and attach tests
#   python3  a second REPL for the attach test
#   systemd  a real systemd for the boot tests (run in a throw-away lab, never the machine's own)
#   podman, runc, slirp4netns, catatonit, podman-compose   run exported Kubernetes/Compose files for real
#   chromium     a real browser for the dashboard tests (driven by playwright-core)
#   prometheus   promtool checks /metrics; a real Prometheus server scrapes it
#   python3-uvicorn, gunicorn   real Python servers on a held socket (--listen)
#   golang-go                   a compiled server (Go net/http) reloaded on a held socket
# Without root or apt-get, the tests that need a missing tool are skipped with a printed reason.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
[ -x /lib/systemd/systemd ] || missing+=(systemd)
command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
for tool in podman runc slirp4netns podman-compose; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
[ -x /usr/libexec/podman/catatonit ] || command -v catatonit >/dev/null 2>&1 || missing+=(catatonit)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/promtool ] && [ -x /usr/bin/prometheus ] || missing+=(prometheus)
/usr/bin/python3 -c 'import uvicorn' >/dev/null 2>&1 || missing+=(python3-uvicorn)
/usr/bin/python3 -c 'import gunicorn' >/dev/null 2>&1 || missing+=(gunicorn)
command -v go >/dev/null 2>&1 || missing+=(golang-go)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "note: not installed: ${missing[*]}; the tests that need them will be skipped"
  fi
fi

npm ci --no-audit --no-fund
npm run lint
npm test

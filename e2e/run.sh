#!/usr/bin/env bash
# Builds comfyd, starts it on a free loopback port with a fresh base folder,
# and runs the end-to-end suites against it: the npm API clients and the
# browser test. Installs the pinned npm packages (and Debian's chromium for
# the browser test) when missing.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)

if [ -f browser.test.mjs ]; then
  command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
fi
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund 2>/dev/null || npm install --no-audit --no-fund
fi

work=$(mktemp -d)
port=${COMFYD_E2E_PORT:-18188}
(cd "$root" && CGO_ENABLED=0 go build -o "$work/comfyd" ./cmd/comfyd)
"$work/comfyd" --port "$port" --base-directory "$work/base" >"$work/comfyd.log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/system_stats" >/dev/null 2>&1 && break
  sleep 0.1
done
export COMFYD_HOST="127.0.0.1:$port"
status=0
node --test --test-concurrency=1 clients.test.mjs || status=$?
if [ -f browser.test.mjs ]; then
  node --test browser.test.mjs || status=$?
fi
if [ $status -ne 0 ]; then
  echo "--- comfyd log ---"; tail -n 80 "$work/comfyd.log"
fi
exit $status

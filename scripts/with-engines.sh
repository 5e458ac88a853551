#!/usr/bin/env bash
# Runs a command with the test engines up and the test images built:
#   scripts/with-engines.sh go test ./...
# Engines that already answer are reused; images already present are kept.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
env_lines=$("$here/engines.sh" up)
eval "$env_lines"
"$here/images.sh" build
exec "$@"

#!/usr/bin/env bash
# Makes `npm start` work on a fresh clone: installs what is missing and builds, quietly (stdout
# stays clean for --json output), then the CLI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
{ bash tools/setup.sh && bash tools/build.sh; } 1>&2

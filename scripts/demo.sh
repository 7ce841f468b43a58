#!/usr/bin/env bash
# Start Twork in demo mode: SQLite file, demo company and tasks, a local mock of the
# WeChat API, jobs in-process. Then chat with it: .venv/bin/python -m bot chat
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
exec .venv/bin/python -m bot demo "$@"

#!/usr/bin/env bash
# Run the whole test suite with the wall clock of every process it starts moved to WHEN,
# to show that no result depends on when the suite runs:
#   scripts/test-at.sh "2027-02-28 23:30 +08:00" [pytest args]
# The clock keeps ticking from WHEN. It uses the libfaketime library bundled with the pinned
# `libfaketime` package: Debian's libfaketime 0.9.10 makes Python's timed waits hang.
# Monotonic clocks are left alone, so sleeps and timeouts keep their real length.
set -euo pipefail
cd "$(dirname "$0")/.."
when=${1:?usage: scripts/test-at.sh WHEN [pytest args]   (WHEN as date -d reads it)}
shift
. scripts/venv.sh
target=$(date -d "$when" +%s)
lib=$(.venv/bin/python -c 'import libfaketime, pathlib; print(next(pathlib.Path(libfaketime.__file__).parent.glob("vendor/libfaketime/src/libfaketime.so.1")))')
echo "running the suite at $(date -d "@$target" '+%Y-%m-%d %H:%M %Z') ($(TZ=Asia/Shanghai date -d "@$target" '+%Y-%m-%d %H:%M %a') in Shanghai)" >&2
export FAKETIME="+$(( target - $(date +%s) ))s" FAKETIME_DONT_FAKE_MONOTONIC=1 LD_PRELOAD="$lib"
exec bash scripts/test.sh "$@"

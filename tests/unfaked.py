"""The environment for programs the tests start that do not survive libfaketime
(scripts/test-at.sh preloads it to move every process's clock): Chromium and redis-server.
They keep the real clock; the Python processes, whose "now" matters, keep the moved one."""
import os


def unfaked_environment() -> dict:
    return {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}

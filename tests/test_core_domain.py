"""The points domain is the core's own: the BonifiQ client decodes into it, not the other way."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# Imports every module of the core, then names the modules of the points API client it loaded.
_LOAD_THE_CORE = """
import importlib, pkgutil, sys
import bot.core
for module in pkgutil.walk_packages(bot.core.__path__, "bot.core."):
    importlib.import_module(module.name)
print(sorted(name for name in sys.modules if name.startswith("bot.bonifiq")))
"""


def test_the_core_runs_without_the_bonifiq_client(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _LOAD_THE_CORE],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"

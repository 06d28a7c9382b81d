"""Where things live. Every path the package uses is derived from the repository root."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(os.environ.get("NKFLOWS_ROOT", Path(__file__).resolve().parent.parent))
RAW = ROOT / "data" / "raw"
PROCESSED = ROOT / "data" / "processed"
REPORTS = ROOT / "reports"


def display(path: Path) -> str:
    """A path as a user should see it in a message: relative to the repository when possible."""
    try:
        return str(Path(path).resolve().relative_to(ROOT.resolve()))
    except (ValueError, OSError, RuntimeError):  # outside the repository, or a link that loops
        return str(path)

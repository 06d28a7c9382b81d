"""Raw snapshots and their sidecars.

Every file under ``data/raw/`` that the build reads has a sidecar beside it,
``<file>.meta.json``, recording what the file is, where its figures come from and the
file's SHA-256. The build refuses a file whose hash no longer matches: raw data are
immutable, and a deliberate change is a new snapshot with a new sidecar.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .errors import Issue, IssueLog
from .paths import display

SIDECAR_SUFFIX = ".meta.json"
REQUIRED_KEYS = ("file", "sha256", "title", "description", "origin", "collected")


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_sidecar(path: Path, log: IssueLog) -> dict | None:
    """Return the sidecar of ``path`` if it exists, is well formed and its hash matches."""
    side = sidecar_path(path)
    name = display(path)
    if not side.exists():
        log.add(name, None, None, f"raw file has no provenance sidecar ({side.name}); create one with `nkflows sidecar {name}`")
        return None
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.add(display(side), None, None, f"sidecar is not valid UTF-8 JSON ({exc})")
        return None
    if not isinstance(meta, dict):
        log.add(display(side), None, None, "sidecar must be a JSON object")
        return None
    for key in REQUIRED_KEYS:
        if not meta.get(key):
            log.add(display(side), None, key, "sidecar key is required")
    if meta.get("file") and meta["file"] != path.name:
        log.add(display(side), None, "file", f"sidecar describes another file (expected {path.name!r})", meta["file"])
    actual = sha256(path)
    if meta.get("sha256") and meta["sha256"] != actual:
        log.add(
            name, None, None,
            "file's SHA-256 does not match its sidecar: raw files are immutable; if the change is deliberate, "
            f"record it as a new snapshot and update the sidecar (expected {meta['sha256'][:12]}..., found {actual[:12]}...)",
        )
        return None
    return meta


def new_sidecar(path: Path, title: str, description: str, origin: str, collected: str) -> str:
    """The JSON text of a sidecar for ``path`` (printed by ``nkflows sidecar``; never written by the build)."""
    meta = {
        "file": path.name,
        "sha256": sha256(path),
        "title": title,
        "description": description,
        "origin": origin,
        "collected": collected,
    }
    return json.dumps(meta, indent=2, ensure_ascii=False) + "\n"


def raw_files(directory: Path, pattern: str) -> list[Path]:
    """Data files (not sidecars) in ``directory`` matching ``pattern``, in a stable order."""
    return sorted(p for p in Path(directory).glob(pattern) if not p.name.endswith(SIDECAR_SUFFIX))


def verify_tree(directory: Path, log: IssueLog) -> int:
    """Check the sidecar of every data file under ``directory``, read by the build or not; return how many."""
    files = sorted(p for p in Path(directory).rglob("*") if p.is_file() and not p.name.endswith(SIDECAR_SUFFIX) and not p.name.startswith("."))
    for path in files:
        read_sidecar(path, log)
    return len(files)


def orphan_issue(directory: Path) -> list[Issue]:
    """Sidecars whose data file is gone."""
    return [
        Issue(display(s), None, None, "sidecar has no data file beside it")
        for s in sorted(Path(directory).rglob("*" + SIDECAR_SUFFIX))
        if not s.with_name(s.name[: -len(SIDECAR_SUFFIX)]).exists()
    ]

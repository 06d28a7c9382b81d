"""Raw snapshots and their sidecars.

Every file under ``data/raw/`` that the build reads has a sidecar beside it,
``<file>.meta.json``, recording what the file is, where its figures come from and the
file's SHA-256. The build refuses a file whose hash no longer matches: raw data are
immutable, and a deliberate change is a new snapshot with a new sidecar.

Before anything reads the tree, :func:`tree_issues` refuses, by name, every entry that is
not a regular file or a folder (a named pipe, a socket, a device), every link that leaves
the tree, dangles or points at a folder, and a folder standing where a raw file (one with
a sidecar) should be: a special file could hang the build, and a link out of the tree
could echo another file's content into a message.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

from .errors import DataError, Issue, IssueLog
from .paths import display
from .rawio import file_kind, read_bounded

SIDECAR_SUFFIX = ".meta.json"
REQUIRED_KEYS = ("file", "sha256", "title", "description", "origin", "collected")


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


#: A sidecar is a few hundred bytes; anything past this is not one.
MAX_SIDECAR_BYTES = 1024 * 1024


def sha256(path: Path) -> str:
    return hashlib.sha256(read_bounded(Path(path))).hexdigest()


def tree_issues(directory: Path) -> list[Issue]:
    """Entries under ``directory`` that are not regular files or folders inside it, by name (nothing is read)."""
    root = Path(directory)
    try:
        top = os.stat(root)
    except OSError as exc:
        return [Issue(display(root), None, None, f"raw data folder cannot be opened ({exc.strerror})")]
    if not stat.S_ISDIR(top.st_mode):
        return [Issue(display(root), None, None, f"raw data folder must be a folder; this is {file_kind(top.st_mode)}")]
    real_root = root.resolve()
    issues = []
    for here, dirs, names in os.walk(root, onerror=lambda exc: issues.append(
            Issue(display(Path(exc.filename or root)), None, None, f"folder cannot be read ({exc.strerror})"))):
        for entry in sorted(dirs + names):
            path = Path(here) / entry
            try:
                info = os.lstat(path)
            except OSError as exc:
                issues.append(Issue(display(path), None, None, f"cannot be examined ({exc.strerror})"))
                continue
            rule = None
            if stat.S_ISLNK(info.st_mode):
                try:
                    target = path.resolve(strict=True)
                    kind = os.stat(target).st_mode
                except (OSError, RuntimeError):
                    rule = "is a symbolic link that points nowhere (or in a loop)"
                else:
                    if not target.is_relative_to(real_root):
                        rule = "is a symbolic link that leaves the raw data folder: raw files must be inside data/raw"
                    elif not stat.S_ISREG(kind):
                        rule = f"is a symbolic link to {file_kind(kind)}: raw files must be regular files"
            elif stat.S_ISDIR(info.st_mode):
                if entry in dirs and sidecar_path(path).exists():
                    rule = "is a folder where a raw file (the one its sidecar describes) should be"
            elif not stat.S_ISREG(info.st_mode):
                rule = f"raw files must be regular files; this is {file_kind(info.st_mode)}"
            if rule:
                issues.append(Issue(display(path), None, None, rule))
        dirs[:] = [d for d in dirs if not (Path(here) / d).is_symlink()]
    return issues


def check_tree(directory: Path) -> None:
    """Raise at once, before anything reads the tree, if :func:`tree_issues` finds anything."""
    issues = tree_issues(directory)
    if issues:
        raise DataError(issues)


def read_sidecar(path: Path, log: IssueLog) -> dict | None:
    """Return the sidecar of ``path`` if it exists, is well formed and its hash matches."""
    side = sidecar_path(path)
    name = display(path)
    if not side.exists():
        log.add(name, None, None, f"raw file has no provenance sidecar ({side.name}); create one with `nkflows sidecar {name}`")
        return None
    try:
        meta = json.loads(read_bounded(side, MAX_SIDECAR_BYTES).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
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
    # (tree_issues ran before: every entry here is a regular file, or a link to one, inside the tree)
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

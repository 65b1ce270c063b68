"""Where the knowledge base lives, and opening it from the settings.

- `settings.kb_path` set: that folder. If it holds an index (`manifest.json`, written by
  `purser kb ingest`) the index is loaded; if it only holds documents they are indexed on first
  use, in memory (re-read when a file changes).
- otherwise: the index folder next to the SQLite database (`data/purser.db` -> `data/.purser-kb/`;
  for other databases `./.purser-kb/`). Until something is ingested there, the packaged sample KB
  (`purser/knowledge/sample/`) is used, indexed on first use (a few milliseconds).
"""

from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import unquote

from purser.config import Settings
from purser.knowledge.base import MANIFEST, KnowledgeBase, Progress, read_documents
from purser.knowledge.documents import SUPPORTED_SUFFIXES, iter_document_paths
from purser.knowledge.errors import DocumentError
from purser.knowledge.lint import Finding, lint

SAMPLE_DIR = Path(__file__).with_name("sample")
"""The packaged sample knowledge base (consistent with the default policy)."""

INDEX_FOLDER = ".purser-kb"
"""The index folder's name next to the SQLite database (the bootstrap, `purser.app`, agrees)."""


def index_dir(settings: Settings) -> Path:
    """The folder `purser kb ingest` writes to and the runtime reads from."""
    if settings.kb_path:
        return Path(settings.kb_path).expanduser()
    database = sqlite_file(settings.database_url)
    if database is not None:
        return Path(database).expanduser().resolve().parent / INDEX_FOLDER
    return Path.cwd() / INDEX_FOLDER


def sqlite_file(url: str) -> str | None:
    """The database file of a SQLite URL (`sqlite:///relative.db`, `sqlite:////absolute.db`, any
    `sqlite+driver`), or None: another backend, in memory, a `file:` URI, or not a URL at all."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+", 1)[0] != "sqlite":
        return None
    path = rest.split("?", 1)[0]
    if not path.startswith("/"):  # `sqlite://` (memory) or a host part, which SQLite has not
        return None
    database = unquote(path[1:])
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


def has_index(folder: Path) -> bool:
    """True when `folder` holds an index written by `ingest`."""
    return (folder / MANIFEST).is_file()


@functools.cache
def sample_knowledge_base() -> KnowledgeBase:
    """The packaged sample KB, indexed once per process."""
    return KnowledgeBase.from_paths([SAMPLE_DIR])


@functools.lru_cache(maxsize=8)
def _documents_folder(folder: Path, stamp: tuple[tuple[str, int], ...]) -> KnowledgeBase:
    return KnowledgeBase.from_paths([folder])


@functools.lru_cache(maxsize=8)
def _index_folder(folder: Path, stamp: int) -> KnowledgeBase:
    return KnowledgeBase.load(folder)


def _stamp(folder: Path) -> tuple[tuple[str, int], ...]:
    return tuple((p.as_posix(), p.stat().st_mtime_ns) for p in iter_document_paths(folder))


def open_knowledge_base(settings: Settings) -> KnowledgeBase:
    """The knowledge base the settings point at (see the module docstring); `DocumentError` if unusable."""
    return open_folder(Path(settings.kb_path).expanduser() if settings.kb_path else None, index_dir(settings))


def open_folder(kb_path: Path | None, index_folder: Path | None) -> KnowledgeBase:
    """`kb_path` (an index, or documents indexed on first use) when given; else the index at
    `index_folder` when one was ingested there; else the packaged sample."""
    if kb_path is not None:
        if has_index(kb_path):
            return _index_folder(kb_path.resolve(), (kb_path / MANIFEST).stat().st_mtime_ns)
        if not kb_path.is_dir():
            raise DocumentError(f"kb_path {kb_path}: no such folder")
        return _documents_folder(kb_path.resolve(), _stamp(kb_path))
    if index_folder is not None and has_index(index_folder):
        return _index_folder(index_folder.resolve(), (index_folder / MANIFEST).stat().st_mtime_ns)
    return sample_knowledge_base()


def lint_settings(settings: Settings) -> list[Finding]:
    """`lint` of the configured knowledge base against `settings.policy`, stale documents included.

    What `purser serve` runs at start-up; with `--strict`, writes stay off while
    `kb_contradictions_block_writes(lint_settings(settings))`.
    """
    return lint(settings.policy, open_knowledge_base(settings), max_age_days=settings.kb_max_age_days)


def ingest(
    paths: list[Path], folder: Path, *, replace: bool = False, progress: Progress | None = None
) -> KnowledgeBase:
    """Read `paths` and write them into the index at `folder`; returns the new knowledge base.

    Documents are added to those already in the index (one with the same name is replaced);
    with `replace` the index holds only these documents. Nothing is written when a path is bad.
    """
    documents = read_documents(paths, progress=progress)
    if has_index(folder) and not replace:
        kb = KnowledgeBase.load(folder).merged_with(documents)
    else:
        kb = KnowledgeBase(documents)
    kb.save(folder)
    return kb


__all__ = [
    "SAMPLE_DIR",
    "SUPPORTED_SUFFIXES",
    "has_index",
    "index_dir",
    "ingest",
    "lint_settings",
    "open_folder",
    "open_knowledge_base",
    "sample_knowledge_base",
    "sqlite_file",
]

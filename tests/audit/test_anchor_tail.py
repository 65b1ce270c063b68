"""The anchor file read from its end: `last` and `append` on a large file read only its tail, a torn
last line (a crash mid-write) is passed over and never swallows the next checkpoint, and the line
numbers they give are the ones `read` (what `verify` reports) gives, however the file was written."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from tests.audit.conftest import KEY

from purser.audit.anchor import CHUNK, AnchorFile, BadAnchorLine, Checkpoint
from purser.ports.audit import AuditKeys, ChainHead

KEYS = AuditKeys(KEY)
IO = Path("/proc/self/io")


def line(seq: int) -> str:
    """A signed checkpoint line (without its newline) for a chain of `seq` records."""
    unsigned = Checkpoint(0, seq, f"{seq:064x}", f"2026-12-07T05:10:{seq % 60:02d}.000000Z", KEY.key_id, 1, None)
    return replace(unsigned, sig=KEY.mac(unsigned.signed_payload())).to_line()


def newest(entries: list[Checkpoint | BadAnchorLine]) -> Checkpoint | None:
    """What `last` must give: the newest well-formed line `read` finds."""
    return next((e for e in reversed(entries) if isinstance(e, Checkpoint)), None)


@contextmanager
def bytes_read() -> Iterator[list[int]]:
    """How many bytes this process read (from files, pipes, sockets) inside the block, from the kernel's
    own count (`rchar` of /proc/self/io)."""
    if not IO.exists():
        pytest.skip("the kernel's per-process I/O counts (/proc/self/io) are Linux's")

    def rchar() -> int:
        fields = dict(row.split(": ") for row in IO.read_text().splitlines())
        return int(fields["rchar"])

    counted = [0]
    before = rchar()
    yield counted
    counted[0] = rchar() - before


def test_a_large_anchor_is_read_from_its_end(tmp_path: Path) -> None:
    path = tmp_path / "anchor"
    path.write_text("".join(line(seq) + "\n" for seq in range(1, 30_001)), encoding="utf-8")
    size = path.stat().st_size
    assert size > 100 * CHUNK  # several MB: a whole read would show
    anchor = AnchorFile(path, KEYS)
    first = anchor.last()
    assert first is not None and (first.line, first.seq) == (30_000, 30_000)
    assert first == newest(anchor.read())

    # What the periodic job does every minute: the newest checkpoint, then a new one after it.
    with bytes_read() as counted:
        assert anchor.last() == first
        written = anchor.append(ChainHead(30_001, "a" * 64), 1)
        again = anchor.last()
    assert counted[0] < 4 * CHUNK, f"{counted[0]} bytes read of a {size}-byte anchor"
    assert written.line == 30_001 and again == written and anchor.signed(written)
    assert anchor.read()[-1] == written

    # Another process (nothing counted yet) counts the lines once, without parsing them, and agrees.
    other = AnchorFile(path, KEYS)
    assert other.last() == written
    with bytes_read() as counted:
        assert other.last() == written
    assert counted[0] < 4 * CHUNK


def test_a_torn_last_line_is_passed_over_and_the_next_checkpoint_starts_a_line(tmp_path: Path) -> None:
    path = tmp_path / "anchor"
    good = "".join(line(seq) + "\n" for seq in range(1, 2_001))
    path.write_text(good + line(2_001)[:57], encoding="utf-8")  # the crash cut the last write short
    anchor = AnchorFile(path, KEYS)
    before = anchor.last()
    assert before is not None and (before.line, before.seq) == (2_000, 2_000)
    entries = anchor.read()
    assert before == newest(entries)
    assert isinstance(entries[-1], BadAnchorLine) and entries[-1].line == 2_001

    written = anchor.append(ChainHead(2_001, "b" * 64), 1)
    assert written.line == 2_002
    entries = anchor.read()
    assert isinstance(entries[-2], BadAnchorLine) and entries[-2].line == 2_001  # still there, on its own
    assert entries[-1] == written and anchor.signed(written)
    assert anchor.last() == written and AnchorFile(path, KEYS).last() == written
    assert path.read_text(encoding="utf-8").startswith(good) and path.read_bytes().endswith(b"\n")


def test_last_agrees_with_read_whatever_the_file_holds(tmp_path: Path) -> None:
    # Checkpoints between blank lines, garbage, CRLF endings and garbage lines longer than a chunk,
    # cut at many places (a torn line among them): a fresh reader and one that counted an earlier state
    # of the file both find what `read` finds.
    rng = random.Random(7)
    pieces: list[str] = []
    for seq in range(1, 400):
        kind = rng.random()
        if kind < 0.6:
            pieces.append(line(seq) + ("\r\n" if rng.random() < 0.1 else "\n"))
        elif kind < 0.75:
            pieces.append("\n")
        elif kind < 0.95:
            pieces.append('{"seq": "not a count"}\n')
        else:
            pieces.append("x" * (CHUNK + rng.randrange(1, 500)) + "\n")
    whole = "".join(pieces)
    path = tmp_path / "anchor"
    reused = AnchorFile(path, KEYS)
    cuts = rng.sample(range(1, len(whole)), 60)
    for cut in [*sorted(cuts), len(whole), *cuts]:  # growing as appends do, then shrinking and regrowing
        path.write_text(whole[:cut], encoding="utf-8")
        expected = newest(AnchorFile(path, KEYS).read())
        assert AnchorFile(path, KEYS).last() == expected, cut
        assert reused.last() == expected, cut


def test_a_rewritten_file_is_counted_afresh(tmp_path: Path) -> None:
    # The counted lines are kept between calls; a file replaced, cut shorter, or rewritten longer with
    # other lines (a restored backup) is counted again rather than trusted.
    path = tmp_path / "anchor"
    anchor = AnchorFile(path, KEYS)
    path.write_text("".join(line(seq) + "\n" for seq in range(1, 11)), encoding="utf-8")
    assert (last := anchor.last()) is not None and last.line == 10
    path.write_text("".join(line(seq) + "\n" for seq in range(1, 4)), encoding="utf-8")  # cut shorter
    assert (last := anchor.last()) is not None and last.line == 3
    path.write_text("\n\n" + "".join(line(seq) + "\n" for seq in range(100, 130)), encoding="utf-8")
    assert (last := anchor.last()) is not None and (last.line, last.seq) == (32, 129)
    replacement = tmp_path / "restored"
    replacement.write_text("".join(line(seq) + "\n" for seq in range(1, 6)), encoding="utf-8")
    replacement.replace(path)  # another file (inode) at the same path
    assert (last := anchor.last()) is not None and last.line == 5
    assert anchor.append(ChainHead(6, "c" * 64), 1).line == 6
    assert newest(anchor.read()) == anchor.last()


def test_no_file_no_checkpoint_and_the_first_one_is_line_one(tmp_path: Path) -> None:
    anchor = AnchorFile(tmp_path / "new" / "anchor", KEYS)
    assert anchor.last() is None
    written = anchor.append(ChainHead(0, "0" * 64), None)
    assert written.line == 1 and anchor.last() == written == anchor.read()[0]

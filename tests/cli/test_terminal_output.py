"""`purser chat` in a real terminal process (issue 17's CLI findings): what a person reads carries no
library banner (pydantic-ai's Logfire notice), no "button below", no raw `key=value` quote and no
internal id, on stdout or stderr."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

INTERNAL = re.compile(r"\b(ch|in|cus_ana_|sub|pm|act)_[a-z0-9]+_|\b[a-z]+-monthly\b|\b\w+=\S")


def test_a_terminal_conversation_reads_cleanly(tmp_path: Path) -> None:
    config = tmp_path / "purser.yaml"
    config.write_text(yaml.safe_dump({"database_url": f"sqlite:///{tmp_path / 'purser.db'}", "model": "offline"}))
    purser = [str(Path(sys.executable).parent / "purser")]  # the installed console script
    subprocess.run([*purser, "sandbox", "seed", "--config", str(config)], check=True, capture_output=True, timeout=120)
    typed = "I was charged twice this month\nyes please refund the duplicate\ny\nupgrade to business\ny\nexit\n"
    done = subprocess.run(
        [*purser, "chat", "--customer", "cus_ana", "--config", str(config)],
        input=typed,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out, everything = done.stdout, done.stdout + done.stderr
    assert "Refunded $20.00" in out and "Pro → Business" in out  # the conversation happened
    assert "logfire" not in everything.lower(), everything
    assert "button" not in out.lower(), out
    assert not INTERNAL.search(out), INTERNAL.findall(out)

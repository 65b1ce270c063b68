"""Fixtures of the gym tests: the shared examples and a scenario loaded with changes."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from purser.gym import Scenario, load_file

EXAMPLES = Path(os.environ["PURSER_SHARED"]) / "gym" / "examples"
SUITE = Path(__file__).resolve().parent / "scenarios"


@pytest.fixture
def scenario_with(tmp_path: Path) -> Callable[..., Scenario]:
    """Load an example scenario after applying top-level changes (and optional world customer edits)."""

    def make(example: str = "duplicate-charge-refund", **changes: Any) -> Scenario:
        doc = yaml.safe_load((EXAMPLES / f"{example}.yaml").read_text(encoding="utf-8"))
        doc.update(changes)
        path = tmp_path / f"{doc['id']}.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        return load_file(path)

    return make

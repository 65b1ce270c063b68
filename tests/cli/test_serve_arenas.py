"""`purser serve` caps glibc's malloc arenas and pins its mapping threshold (server memory stays flat),
unless the environment says otherwise."""

from __future__ import annotations

import platform

import pytest

from purser.cli.serve import limit_malloc_arenas

glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")


@glibc_only
def test_both_settings_are_made_on_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    assert limit_malloc_arenas(2) == {"arena_max", "mmap_threshold"}


@glibc_only
def test_the_environment_wins_setting_by_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    assert limit_malloc_arenas(2) == {"mmap_threshold"}
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    assert limit_malloc_arenas(2) == frozenset()

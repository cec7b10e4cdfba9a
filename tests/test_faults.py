"""A small fault campaign in CI: crawls killed with SIGKILL mid-way, then resumed
(the full campaign is bench/faults.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench.faults import run_campaign

if TYPE_CHECKING:
    from pathlib import Path


def test_killed_crawls_resume_without_loss_duplicates_or_corruption(tmp_path: Path) -> None:
    results = run_campaign(rounds=3, pages=12, seed=7, workdir=tmp_path)
    for result in results:
        assert result.stored == result.expected == 12, result
        assert result.duplicates == 0, result
        assert result.integrity == "ok", result
        assert result.statuses == ["interrupted", "finished"], result

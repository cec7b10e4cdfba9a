"""`reprint schedule`: systemd timer and cron forms of a regular crawl."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from crawler.cli import cli
from crawler.schedule import ScheduleError, parse_interval

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800), ("1h", 3600), ("2h30m", 9000), ("90s", 90), ("1d", 86400)]
)
def test_intervals(text: str, seconds: int) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["30", "soon", "10s", "5x", "1h junk"])
def test_bad_intervals(text: str) -> None:
    with pytest.raises(ScheduleError):
        parse_interval(text)


def test_systemd_units_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli, ["schedule", "--every", "30m", "--db", "news.db", "--sources", "mine.toml"]
    )
    assert result.exit_code == 0, result.output
    assert "# reprint-crawl.service" in result.stdout
    assert "OnUnitInactiveSec=1800s" in result.stdout
    exec_line = next(line for line in result.stdout.splitlines() if line.startswith("ExecStart="))
    assert " crawl --db /" in exec_line and exec_line.endswith("mine.toml")
    assert f"--db {tmp_path / 'news.db'}" in exec_line


def test_cron_line_and_intervals_cron_cannot_express() -> None:
    result = CliRunner().invoke(cli, ["schedule", "--every", "15m", "--format", "cron"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("*/15 * * * * cd ")
    assert "reprint crawl --db" in result.stdout and ">> crawl.log 2>&1" in result.stdout
    result = CliRunner().invoke(cli, ["schedule", "--every", "2h", "--format", "cron"])
    assert result.stdout.startswith("0 */2 * * * ")
    result = CliRunner().invoke(cli, ["schedule", "--every", "45m", "--format", "cron"])
    assert result.exit_code == 2 and "no cron form" in result.output
    result = CliRunner().invoke(cli, ["schedule", "--every", "10s"])
    assert result.exit_code == 2 and "shorter than a minute" in result.output


def test_install_writes_the_units(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["schedule", "--every", "1h", "--install", "--unit-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "reprint-crawl.service",
        "reprint-crawl.timer",
    ]
    assert "OnUnitInactiveSec=3600s" in (tmp_path / "reprint-crawl.timer").read_text()
    assert "systemctl daemon-reload" in result.stdout

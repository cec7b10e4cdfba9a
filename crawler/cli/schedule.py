"""`reprint schedule`: a systemd timer or cron line running crawls."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from crawler.cli.common import (
    FilePath,
    db_option,
)
from crawler.cli.output import plain

if TYPE_CHECKING:
    pass


@click.command()
@click.option(
    "--every",
    "interval",
    required=True,
    metavar="INTERVAL",
    help="How often: 15m, 30m, 1h, 2h30m...",
)
@click.option(
    "--sources",
    "sources_path",
    type=FilePath(dir_okay=False),
    help="Sources file for the scheduled crawls (default: sources.toml).",
)
@db_option(existing=False)
@click.option(
    "--format", "fmt", type=click.Choice(["systemd", "cron"]), default="systemd", show_default=True
)
@click.option(
    "--install",
    is_flag=True,
    help="Write the systemd units to ~/.config/systemd/user (or --unit-dir).",
)
@click.option(
    "--unit-dir",
    type=FilePath(file_okay=False),
    help="Where --install writes the units (e.g. /etc/systemd/system).",
)
def schedule(
    interval: str,
    sources_path: str | None,
    db_path: str,
    fmt: str,
    install: bool,
    unit_dir: str | None,
) -> None:
    """Print (or install) a systemd timer or a cron line running `reprint crawl` regularly.

    Runs never overlap: the timer counts from the end of the last run, and a crawl that
    finds another one running on the archive exits with status 3.
    """
    import shutil

    from crawler.schedule import CrawlJob, ScheduleError, cron_line, parse_interval, systemd_units

    for hint, given in (("--db", db_path), ("--sources", sources_path), ("--unit-dir", unit_dir)):
        if given is not None and plain(given) != given:  # it would break the unit's lines
            raise click.BadParameter("a file name with control characters", param_hint=hint)
    try:
        seconds = parse_interval(interval)
    except ScheduleError as exc:
        raise click.BadParameter(str(exc), param_hint="--every") from exc
    workdir = Path.cwd()
    executable = shutil.which("reprint") or str(Path(sys.executable).parent / "reprint")
    command = [executable, "crawl", "--db", str((workdir / db_path).resolve()), "--no-progress"]
    if sources_path:
        command += ["--sources", str((workdir / sources_path).resolve())]
    job = CrawlJob(workdir=workdir, command=command)
    if fmt == "cron":
        click.echo(cron_line(job, seconds))  # ScheduleError: a usage error (status 2)
        return
    units = systemd_units(job, seconds)
    if not install:
        for name, text in units.items():
            click.echo(f"# {name}\n{text}")
        return
    target = Path(unit_dir) if unit_dir else Path.home() / ".config" / "systemd" / "user"
    target.mkdir(parents=True, exist_ok=True)
    for name, text in units.items():
        (target / name).write_text(text)
        click.echo(f"wrote {target / name}")
    user = "" if unit_dir else " --user"
    click.echo(
        f"now run: systemctl{user} daemon-reload && "
        f"systemctl{user} enable --now reprint-crawl.timer"
    )

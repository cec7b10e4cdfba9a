"""Scheduled crawls: a systemd timer (and service) or a crontab line for `reprint crawl`.

Text only; `reprint schedule` prints it, or with --install writes the systemd units.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from crawler.errors import ConfigError

UNIT_NAME = "reprint-crawl"
_PART = re.compile(r"(\d+)\s*([smhd])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# cron's finest step is a minute; shorter is hammering sites anyway
MIN_INTERVAL_SECONDS = 60


class ScheduleError(ConfigError):
    """An interval that cannot be scheduled."""


def parse_interval(text: str) -> int:
    """Read "30m", "1h", "2h30m", "90s" as seconds.

    :raises ScheduleError: unreadable, or shorter than a minute
    """
    compact = text.replace(" ", "").lower()
    parts = _PART.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise ScheduleError(f"unreadable interval {text!r}: use e.g. 15m, 1h, 2h30m")
    seconds = sum(int(n) * _SECONDS[u] for n, u in parts)
    if seconds < MIN_INTERVAL_SECONDS:
        raise ScheduleError(f"interval {text!r} is shorter than a minute")
    return seconds


@dataclass(frozen=True, slots=True)
class CrawlJob:
    """What to run, from where."""

    workdir: Path
    command: list[str]  # absolute path of reprint, then its arguments

    @property
    def command_line(self) -> str:
        return shlex.join(self.command)


def systemd_units(job: CrawlJob, seconds: int) -> dict[str, str]:
    """The service and timer units (file name -> text) running ``job`` every ``seconds``.

    The timer counts from the end of the previous run (OnUnitInactiveSec), so runs never
    overlap and a slow crawl does not pile up behind itself; OnBootSec starts the first
    run soon after boot, whatever happened while the machine was off.
    """
    service = f"""[Unit]
Description=reprint: crawl news sources into the archive
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
WorkingDirectory={job.workdir}
ExecStart={job.command_line}
# exit 3: archive busy or unwritable; 4: nothing fetched; 5: a source failed;
# 6: a spider did not finish (README: Exit status)
Nice=10
"""
    timer = f"""[Unit]
Description=reprint: crawl every {seconds // 60} minutes

[Timer]
OnBootSec=2min
OnUnitInactiveSec={seconds}s
RandomizedDelaySec={min(seconds // 10, 300)}s

[Install]
WantedBy=timers.target
"""
    return {f"{UNIT_NAME}.service": service, f"{UNIT_NAME}.timer": timer}


def cron_line(job: CrawlJob, seconds: int, log: str = "crawl.log") -> str:
    """A crontab line running ``job`` every ``seconds``.

    :raises ScheduleError: the interval has no cron form (it must divide an hour or a day)
    """
    minutes = seconds // 60
    if seconds % 60:
        raise ScheduleError("cron schedules whole minutes; use the systemd timer")
    if minutes < 60 and 60 % minutes == 0:
        when = f"*/{minutes} * * * *" if minutes > 1 else "* * * * *"
    elif minutes % 60 == 0 and 24 % (minutes // 60) == 0:
        hours = minutes // 60
        when = f"0 */{hours} * * *" if hours > 1 else "0 * * * *"
    else:
        raise ScheduleError(
            f"every {minutes} minutes has no cron form (it must divide an hour or a day);"
            " use the systemd timer"
        )
    workdir = shlex.quote(str(job.workdir))
    return f"{when} cd {workdir} && {job.command_line} >> {shlex.quote(log)} 2>&1"

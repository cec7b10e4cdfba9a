"""Errors of the crawler's configuration, under one base the CLI maps to its usage-error
exit status (crawler/cli/errors.py)."""

from __future__ import annotations


class ConfigError(ValueError):
    """The crawl is configured wrongly (sources file, schedule, a setting given on the
    command line): the person running it can fix it; nothing was fetched."""

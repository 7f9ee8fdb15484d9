"""Lets `python -m newsearch` run the CLI."""

from .cli import cli

cli(prog_name="newsearch")

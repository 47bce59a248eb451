"""The command line (`briefing-qa`): serve, build the index, ask, evaluate, the library's
records, MCP. Its face is :func:`main` and the Typer :data:`app`."""

from .commands import app, main

__all__ = ["app", "main"]

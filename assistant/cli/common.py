"""What every command shares: the consoles, the --index-dir option, settings, and errors printed plainly."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from assistant.errors import AssistantError

if TYPE_CHECKING:  # pydantic-settings is imported by the commands that read settings: --help stays fast
    from assistant.settings import Settings

T = TypeVar("T")
console = Console()
err_console = Console(stderr=True)

IndexDir = Annotated[Path | None, typer.Option("--index-dir", help="索引目录（默认 ASSISTANT_INDEX_DIR 或 index/）")]
Kb = Annotated[str, typer.Option("--kb", help="知识库（默认 default；见 assistant kb list）")]


def settings(index_dir: Path | None = None, **overrides) -> Settings:
    from assistant.settings import load_settings

    return load_settings(index_dir=index_dir, **overrides)


def fail(err: Exception) -> NoReturn:
    """The message, in red, on stderr; exit status 1."""
    err_console.print(f"[red]错误：[/red]{escape(str(err))}")
    raise typer.Exit(code=1)


def run(action: Callable[[], T]) -> T:
    """The action's result, or its domain error printed plainly (no traceback) and exit 1."""
    if not gc.isenabled():  # start-up is over (see cli.main): what was imported lives on, collections skip it
        gc.freeze()
        gc.enable()
    try:
        return action()
    except AssistantError as err:
        fail(err)

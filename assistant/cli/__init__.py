"""Command line: `assistant ingest | stats | search | ask | tolerance | course-pack | serve | eval |
eval-tolerance | questions | documents … | kb … | embeddings …`, one module per command group."""

from __future__ import annotations

import gc

import typer

from assistant.cli import answers, documents, embeddings, evaluate, index, kb, operations

app = typer.Typer(help="政策知识助手：检索中文政策文本并给出带出处的回答", no_args_is_help=True,
                  pretty_exceptions_enable=False)
for group in (index, answers, operations, evaluate):
    group.register(app)
app.add_typer(documents.app, name="documents")
app.add_typer(kb.app, name="kb")
app.add_typer(embeddings.app, name="embeddings")


def main() -> None:  # pragma: no cover
    """The `assistant` command. The cyclic garbage collector is off while a command imports its modules and
    loads its parts (objects that live as long as the process): collecting during start-up cost a quarter of
    the import time (measured); `common.run` turns it back on."""
    gc.disable()
    app()

"""`assistant embeddings export | check`: the embeddings file shipped with a corpus (corpus/embeddings.npz)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from assistant.cli.common import console, err_console, run, settings

app = typer.Typer(help="随语料发布的向量文件（corpus/embeddings.npz）：生成与检查", no_args_is_help=True)
Corpus = Annotated[Path | None, typer.Argument(help="语料目录（默认 ASSISTANT_CORPUS_DIR 或 corpus/）")]


@app.command()
def export(corpus: Corpus = None,
           out: Annotated[Path | None, typer.Option("-o", "--output", help="输出文件（默认 <语料目录>/embeddings.npz）")] = None,
           dtype: Annotated[Literal["float16", "float32"], typer.Option(help="存储精度")] = "float16") -> None:
    """把入库时要向量化的全部文本（片段与句子）的向量写入一个文件，新安装入库时直接取用。

    向量取自向量缓存、目录里已有的向量文件，两者都没有的才调用模型。"""
    from assistant.embeddings import build_embeddings
    from assistant.ingest.shipped import export_pack

    config = run(settings)
    where = corpus or config.corpus_dir
    pack, embedded = run(lambda: export_pack(where, build_embeddings(config), config.chunk_max_chars, out, dtype))
    size = Path(pack.path).stat().st_size / 1e6
    console.print(f"已写入 {pack.path}：{len(pack)} 个向量（{pack.vectors.shape[1]} 维，{dtype}，{size:.1f} MB），"
                  f"模型 {pack.model}；本次调用模型 {embedded} 个文本")


@app.command()
def check(corpus: Corpus = None,
          minimum: Annotated[float, typer.Option("--min", help="覆盖率低于此值时以非零状态退出")] = 0.99) -> None:
    """向量文件覆盖了入库要向量化的文本的多少（不调用模型）。"""
    from assistant.embeddings import model_id
    from assistant.ingest.shipped import pack_coverage

    config = run(settings)
    where = corpus or config.corpus_dir
    cov = run(lambda: pack_coverage(where, model_id(config), config.chunk_max_chars))
    console.print(f"{where}：入库要向量化 {cov.texts} 个文本，向量文件中有 {cov.covered} 个（{cov.share:.2%}）")
    if cov.share < minimum:
        err_console.print(f"[red]覆盖率低于 {minimum:.0%}：请运行 assistant embeddings export {where}[/red]")
        raise typer.Exit(code=1)

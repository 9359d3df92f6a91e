"""The baseline a user would otherwise build: LangChain RecursiveCharacterTextSplitter(500, 50) + dense search,
scored beside our retriever on the same questions (needs the `eval` extra: langchain-text-splitters)."""

from __future__ import annotations

from pathlib import Path

from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import InMemoryVectorStore
from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.components import Components
from assistant.errors import UnreadableFileError
from assistant.evaluation.questions import load_questions
from assistant.evaluation.report import as_dict, run_eval
from assistant.evaluation.retrieval_eval import evaluate
from assistant.ingest.pipeline import discover
from assistant.loaders import load_text


class NaiveBaseline:
    """Whole files split by character count, embedded with the same embedder, nearest by cosine."""

    def __init__(self, paths: list[Path], embeddings: Embeddings, chunk_size: int = 500, overlap: int = 50):
        splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=overlap)
        texts, metas = [], []
        for src in discover(paths)[0]:
            try:
                raw = load_text(src.path)
            except UnreadableFileError:
                continue
            for piece in splitter.split_text(raw):
                texts.append(piece)
                metas.append({"source": src.doc_id})
        self.store = InMemoryVectorStore(embeddings)
        self.store.add_texts(texts, metadatas=metas)
        self.size = len(texts)

    def search(self, question: str, k: int) -> list[tuple[str, str]]:
        docs = self.store.similarity_search(question, k=k)
        return [(d.page_content, f"{d.metadata['source']}: {d.page_content[:30]}") for d in docs]



def run_with_baseline(parts: Components, question_files: list[Path], k: int = 10) -> dict:
    """`run_eval`'s result plus "baseline": the naive pipeline over the same corpus roots, same embedder."""
    result = run_eval(parts, question_files, k)
    roots = sorted({Path(r.root) for r in parts.store.documents() if r.root})
    base = NaiveBaseline([r for r in roots if r.exists()], parts.embeddings)
    result["baseline"] = as_dict(evaluate("baseline", load_questions(question_files), base.search, k))
    result["baseline"]["chunks"] = base.size
    return result

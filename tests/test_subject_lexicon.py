"""Who a document regulates, as the subject rule reads it (retrieval/lexicon.py)."""

from __future__ import annotations

from assistant.retrieval.lexicon import CorpusLexicon


def _lexicon() -> CorpusLexicon:
    # twelve documents; 机关 and 党员 are mentioned mostly in three of them, so both divide the corpus
    roles = {f"d{i}.md": {"工作人员": 3} for i in range(12)}
    roles["d0.md"] = {"机关": 9, "党员": 1}
    roles["d1.md"] = {"机关": 6, "党员干部": 2}
    roles["d2.md"] = {"党员": 20}
    roles["d3.md"] = {"县直机关": 2, "乡镇干部": 1}
    return CorpusLexicon(roles)


def test_a_role_noun_that_contains_a_subject_mentions_it() -> None:
    lexicon = _lexicon()
    assert {"机关", "党员"} <= lexicon.subjects
    # a question saying 县直机关 is read as about 机关 (search-mode tokens hold the piece); the document saying
    # 县直机关 mentions it, so the subject rule does not rank it lower
    assert lexicon.doc_subjects["d3.md"].get("机关") == 2
    assert lexicon.doc_subjects["d1.md"] == {"机关": 6, "党员": 2}  # 党员干部 mentions 党员
    assert "党员" not in lexicon.doc_subjects["d3.md"] and lexicon.doc_subjects["d5.md"] == {}


def test_subjects_survive_a_changed_document() -> None:
    lexicon = _lexicon().changed({"d3.md"}, ["d3.md"], [["县直机关", "机关"]])
    # a chunk's tokens hold the piece beside the word; the piece is not counted, the word mentions the subject
    assert lexicon.roles["d3.md"] == {"县直机关": 1}
    assert lexicon.doc_subjects["d3.md"] == {"机关": 1}

"""The rules a screening cites, found with the HybridRetriever by fixed, general queries (their hits are
kept until the index changes, so a screening embeds nothing): the 三个区分开来 and the statutory
conditions (those sharing most words with the situation first), the exclusions, the precedents matched by
the factors they share with the situation (precedents.py) with their outcomes, and the procedure. Nothing
is looked up by chunk id: a passage qualifies by what its text says (e.g. the three distinctions, or 免予追责
in a provincial article)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from assistant.grounding.passage import Passage
from assistant.grounding.text import FULL_STOPS, sentence_spans, without_article
from assistant.retrieval.hybrid import Filters
from assistant.tolerance.factors import FactorAnalyzer
from assistant.tolerance.lexicon import FACTORS
from assistant.tolerance.precedents import CaseProfile, bigrams, case_profiles, cosine, rank
from assistant.tolerance.types import FactorFinding, Outlook, ProcedureStep, RulePassage, SharedFactor, SimilarCase
from assistant.types import Hit

IN_FORCE = Filters(statuses=("in_force",))
CRITERIA_QUERY = "三个区分开来 容错 免责 条件"
STATUTE_QUERY = "容错免责 改革创新未能实现预期目标 决策程序合法 未牟取私利 免予追责"
EXCLUSION_QUERY = "不该容的坚决不容 明知故犯 明令禁止后依然我行我素 谋取私利 严肃查处"
DERELICTION_QUERY = "不担当 不作为 敷衍塞责 失职渎职 严肃问责"
DERELICTION_WORDS = re.compile(r"不担当、?不作为|敷衍塞责|失职渎职")
PROCEDURE_QUERY = "容错 申请 调查核实 征求组织部门意见 决定 回访"
MAX_CASES = 3

THREE_DISTINCTIONS = (r"区分开来", r"明知故犯", r"我行我素|明令禁止", r"谋取私利")
STATUTE = re.compile(r"免予追责|免于追究|免除责任|不予问责|免予问责|不作负面评价")
EXCLUSION = re.compile(r"不该容的?坚决不容|不予容错|不得容错|保护伞|必须严肃查处|应当承担相应的责任|依纪依法追究责任")
TOLERATED = re.compile(r"容错|免责|免予追责|不予问责")
CORRECTED = re.compile(r"予以纠正")
OUTCOME = re.compile(r"受到[^。，]{0,20}处分|决定(给予|对)|予以纠正|予以容错")  # the sentence that decides
RESULT = re.compile(r"决定|处分|谈话提醒|予以容错|免责|纠正|批评教育|移送")  # else the last that reports one
WHY = re.compile(r"考虑到|鉴于|主观上|未发现|认定")
CASE_REASON = re.compile(r"从本案来看|本案中|综合上述因素")  # where a guiding case explains its own decision
QUESTION_WORDS = re.compile(r"(能不能|能否|可不可以|会不会|是否)?[^，。？！]{0,4}(容错|免责|纠错|问责|追责)[^，。？！]{0,6}[？?吗]?")
MAX_QUOTE = 160
PROCEDURE_STEPS = [  # step, what it means, where the corpus says it
    ("申请", "本人或所在单位党组织认为符合容错条件的，可以提出容错申请", r"容错申请|提出[^。]{0,10}申请"),
    ("核实", "由纪检监察机关调查核实，听取本人和有关单位的意见，甄别主观动机、判断错误性质", r"调查核实|核查|核实"),
    ("征求意见", "容错认定时征求组织（人事）部门和所在党组织的意见", r"征求[^。]{0,15}意见|组织（人事）部门的沟通"),
    ("决定", "按“谁追责问责，谁启动容错”，由负责追责问责的机关决定是否容错", r"谁追责问责|启动容错|决定[^。]{0,10}容错"),
    ("回访", "按“谁容错、谁回访”对容错对象回访教育", r"回访"),
    ("结果运用", "经确定予以免责的，在考核、评先评优、职务职级晋升等方面不受影响", r"不受影响|不作负面评价"),
]


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence (cut at 。！？ only, so 「…区分开来；把…」 stays whole)."""
    return sentence_spans(text, FULL_STOPS, min_chars=4)


def quote(text: str, pattern: re.Pattern | str, max_chars: int = MAX_QUOTE, lead: bool = True) -> str:
    """The first sentence of `text` that matches `pattern`, or '' when none does (see `trim`)."""
    pattern = re.compile(pattern) if isinstance(pattern, str) else pattern
    spans = sentences(text)
    for i, (start, end) in enumerate(spans):
        m = pattern.search(text, start, end)
        if m:
            return trim(text, spans, i, m.start(), max_chars, lead)
    return ""


def trim(text: str, spans: list[tuple[int, int]], i: int, at: int, max_chars: int = MAX_QUOTE,
         lead: bool = True) -> str:
    """Sentence i of `text`, an exact substring: when long, cut to the clause holding position `at` (with
    the clause before it when `lead` and there is room); a lead-in ending in 「：」 keeps the items that follow."""
    start, end = spans[i]
    if end - start > max_chars:
        cuts = [start] + [k + 1 for k in range(start, end) if text[k] in "，；"] + [end]
        pos = max(j for j, c in enumerate(cuts[:-1]) if c <= at)
        first = pos - 1 if lead and pos and cuts[pos + 1] - cuts[pos - 1] <= max_chars else pos
        last = pos + 1
        while last + 1 < len(cuts) and cuts[last + 1] - cuts[first] <= max_chars:
            last += 1
        start, end = cuts[first], cuts[last]
    while text[start:end].rstrip().endswith("：") and i + 1 < len(spans) and spans[i + 1][1] - start <= 2 * max_chars:
        i += 1
        end = spans[i][1]
    return text[start:end].rstrip("，；")


def is_three_distinctions(text: str) -> bool:
    """Does a passage state the 三个区分开来 in full (all three pairs)?"""
    return all(re.search(p, text) for p in THREE_DISTINCTIONS)


@dataclass
class RuleSet:
    """The passages found for one situation, numbered in the order they were added."""

    citations: list[Passage] = field(default_factory=list)
    criteria: list[RulePassage] = field(default_factory=list)
    exclusions: list[RulePassage] = field(default_factory=list)
    similar_cases: list[SimilarCase] = field(default_factory=list)
    procedure: list[ProcedureStep] = field(default_factory=list)
    key: list[int] = field(default_factory=list)  # n of the 三个区分开来 passage and of the tolerated case
    _by_id: dict[str, int] = field(default_factory=dict)

    def cite(self, hit: Hit) -> int:
        """The passage's number, adding it when new."""
        if hit.chunk.id not in self._by_id:
            self._by_id[hit.chunk.id] = len(self.citations) + 1
            self.citations.append(Passage.from_hit(len(self.citations) + 1, hit))
        return self._by_id[hit.chunk.id]

    def passage(self, hit: Hit, pattern: re.Pattern | str) -> RulePassage | None:
        text = without_article(quote(hit.chunk.text, pattern), hit.chunk.article)  # `where` names the article
        if not text:
            return None
        n = self.cite(hit)  # where it stands is the cited passage's own `place` (a case's quoted article with its 《title》)
        return RulePassage(n=n, title=hit.chunk.title, doc_number=hit.chunk.doc_number, where=self.citation(n).place,
                           quote=text)

    def citation(self, n: int) -> Passage:
        return self.citations[n - 1]


class RuleFinder:
    """Runs the fixed queries over a HybridRetriever."""

    def __init__(self, retriever, analyzer: FactorAnalyzer):
        """`analyzer` reads the cases as it reads a situation."""
        self.retriever = retriever
        self.analyzer = analyzer
        self._cache: tuple[object, dict] = (None, {})
        self._profiles: tuple[object, list[CaseProfile]] = (None, [])
        self._lock = threading.Lock()

    def _search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        return [h for h in self.retriever.search(query, k=k, filters=filters) if len(h.chunk.text) >= 40]

    def _fixed(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        """Hits of a query that does not depend on the situation, kept until the index changes
        (embedding a query is most of the cost of a screening)."""
        chunks = self.retriever.chunks
        if self._cache[0] is not chunks:
            self._cache = (chunks, {})
        key = (query, k, filters)
        if key not in self._cache[1]:
            self._cache[1][key] = self._search(query, k, filters)
        return self._cache[1][key]

    def gather(self, situation: str, findings: list[FactorFinding], outlook: Outlook) -> RuleSet:
        """Criteria, exclusions, precedents and procedure for a situation read as `findings`."""
        rules = RuleSet()
        self._criteria(rules, situation)
        self._exclusions(rules, findings)
        self._cases(rules, situation, findings, outlook)
        self._procedure(rules)
        return rules

    def profiles(self) -> list[CaseProfile]:
        """The cases of the knowledge base, read once per index."""
        chunks = self.retriever.chunks
        with self._lock:
            if self._profiles[0] is not chunks:
                self._profiles = (chunks, case_profiles(chunks, self.analyzer))
            return self._profiles[1]

    def _criteria(self, rules: RuleSet, situation: str) -> None:
        general = self._fixed(CRITERIA_QUERY, 10, IN_FORCE)
        three = next((h for h in general if is_three_distinctions(h.chunk.text)), None)
        if three is None:  # a corpus without the full text: the passage that names them
            three = next((h for h in general if "区分开来" in h.chunk.text), general[0] if general else None)
        if three is not None:
            found = rules.passage(three, "区分开来") or rules.passage(three, ".")
            if found:
                rules.criteria.append(found)
                rules.key.append(found.n)
        # the statutory conditions, those sharing most words with the situation first (no query embedded:
        # embedding a long situation cost most of a screening)
        statutes = [h for h in self._fixed(STATUTE_QUERY, 20, IN_FORCE) if STATUTE.search(h.chunk.text)]
        words = bigrams(situation)
        statutes.sort(key=lambda h: -cosine(bigrams(h.chunk.text), words))
        for hit in statutes[:3]:
            found = rules.passage(hit, STATUTE)
            if found and all(found.n != c.n for c in rules.criteria):
                rules.criteria.append(found)

    def _exclusions(self, rules: RuleSet, findings: list[FactorFinding]) -> None:
        # fetched for every screening (kept until the index changes), so the warm-up's screening embeds the query
        # and not the first cadre who describes a duty left undone
        derelictions = self._fixed(DERELICTION_QUERY, 10, IN_FORCE)
        if any(f.dereliction for f in findings):  # a duty left undone: what the rules say of 不作为 first
            hit = next((h for h in derelictions if DERELICTION_WORDS.search(h.chunk.text)), None)
            found = rules.passage(hit, DERELICTION_WORDS) if hit else None
            if found:
                rules.exclusions.append(found)
        for hit in self._fixed(EXCLUSION_QUERY, 10, IN_FORCE):
            found = rules.passage(hit, EXCLUSION)
            if found and all(found.n != e.n for e in rules.exclusions):
                rules.exclusions.append(found)
            if len(rules.exclusions) >= 2:
                break

    def _cases(self, rules: RuleSet, situation: str, findings: list[FactorFinding], outlook: Outlook) -> None:
        """The precedents sharing most with the situation (precedents.py), and — when none of them has it —
        the best case with the outcome the screening points to, as a reference: a tolerated one unless the
        outlook is unlikely."""
        ranked = rank(self.profiles(), QUESTION_WORDS.sub("", situation), findings)
        cases = [(self._case(rules, p.title), shared) for p, shared in ranked]
        cases = [(c, shared) for c, shared in cases if c is not None]
        chosen = [(c, shared) for c, shared in cases if shared][:MAX_CASES]
        wanted = ("问责",) if outlook == "unlikely" else ("容错免责",)
        if not any(c.outcome in wanted for c, _ in chosen):
            reference = next(((c, s) for c, s in cases if c.outcome in wanted), None)
            if reference is not None:
                chosen = chosen[:MAX_CASES - 1] + [reference]
        for case, shared in chosen:
            rules.similar_cases.append(case.model_copy(update={"shared_factors": [
                SharedFactor(factor=s.factor, name=FACTORS[s.factor], verdict=s.verdict, case_quote=s.case_words,
                             n=rules.cite(Hit(s.case_chunk, 0.0)), situation_quote=s.situation_words)
                for s in sorted(shared, key=lambda s: -s.weight)]}))
            if case.outcome == "容错免责" and case.n not in rules.key:
                rules.key.append(case.n)

    def _case(self, rules: RuleSet, title: str) -> SimilarCase | None:
        """A case's outcome, read from the sentences of its 【基本案情及处理结果】 part."""
        parts = sorted((c for c in self.retriever.chunks if c.kind == "case" and c.title == title
                        and "处理结果" in c.part_label), key=lambda c: c.start)
        found = [(chunk, i, chunk.text[a:b]) for chunk in parts for i, (a, b) in enumerate(sentences(chunk.text))]
        best = next((f for f in reversed(found) if OUTCOME.search(f[2])), None) \
            or next((f for f in reversed(found) if RESULT.search(f[2])), None)
        if best is None:
            return None
        chunk, i, sentence = best
        if TOLERATED.search(title) or re.search(r"予以容错|免责", sentence):
            outcome = "容错免责"
        elif CORRECTED.search(sentence):
            outcome = "问责被纠正"
        else:
            outcome = "问责"
        spans = sentences(chunk.text)
        decided = sentence.find("决定")
        result = trim(chunk.text, spans, i, spans[i][0] + max(decided, 0), 120)
        n = rules.cite(Hit(chunk, 0.0))
        why, why_n = re.sub(r"案$", "", title), n
        if outcome == "容错免责":
            why, why_n = self._reason(rules, title) or (quote(chunk.text, WHY, 120) or why, n)
        return SimilarCase(n=n, title=title, case_no=chunk.case_no, outcome=outcome, result=result, why=why, why_n=why_n)

    def _reason(self, rules: RuleSet, title: str) -> tuple[str, int] | None:
        """The sentence of a case's 【指导意义】 that explains its decision (「从本案来看……可予以容错」)."""
        for chunk in self.retriever.chunks:
            if chunk.kind == "case" and chunk.title == title and "指导意义" in chunk.part_label:
                text = quote(chunk.text, CASE_REASON)
                if text and TOLERATED.search(text + chunk.text[chunk.text.find(text) + len(text):][:80]):
                    return text, rules.cite(Hit(chunk, 0.0))
        return None

    def _procedure(self, rules: RuleSet) -> None:
        hits = self._fixed(PROCEDURE_QUERY, 8, IN_FORCE)
        statute_hits = [h for h in self._fixed(STATUTE_QUERY, 8, IN_FORCE) if STATUTE.search(h.chunk.text)]
        for step, text, pattern in PROCEDURE_STEPS:
            source = next((h for h in hits + statute_hits if quote(h.chunk.text, pattern)), None)
            if source is None:
                rules.procedure.append(ProcedureStep(step=step, text=text + "（知识库中未找到具体规定，请向所在单位组织人事部门咨询）"))
                continue
            rules.procedure.append(ProcedureStep(step=step, text=text, n=rules.cite(source),
                                                quote=quote(source.chunk.text, pattern)))

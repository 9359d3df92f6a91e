"""What a tolerance screening hands out: our own small types, turned into JSON by `to_dict`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from assistant.answer.types import Citation
from assistant.tolerance.factors import FactorFinding

Outlook = Literal["likely_tolerable", "unlikely", "insufficient_information"]
OUTLOOK_LABELS: dict[str, str] = {
    "likely_tolerable": "有可能适用容错",
    "unlikely": "难以适用容错",
    "insufficient_information": "信息不足，暂无法判断",
}
VERDICT_LABELS = {"supports": "有利于容错", "against": "不利于容错", "not stated": "未说明"}
REMINDER = ("本结果只是依据您的描述和知识库条文所作的初步对照，不是认定结论。是否容错免责，由有关党组织"
            "（负责追责问责的纪检监察机关，会同组织人事部门）依规依纪依法调查核实后决定。")
QUESTIONS: dict[str, str] = {  # asked for every factor the situation does not state
    "motive": "当时这样做的出发点是什么？本人或亲友是否从中得到任何好处（财物、宴请、利益往来）？",
    "knowingly": "当时是否知道这样做不符合有关规定？是否因缺乏经验或不了解规定而出现失误？有没有弄虚作假？",
    "prohibition": "上级或主管部门事先是否明令禁止、提出过反对意见或提醒过？还是当时尚无明确规定？",
    "exploratory": "这项工作是否属于改革创新、先行先试或探索性的任务？",
    "collective": "决策是否经过集体研究（党委会、党组会、班子会等），还是个人决定的？",
    "consequences": "造成了什么后果和损失？程度如何？",
    "remedy": "事后是否采取了补救措施、纠正了做法、挽回了损失？",
}


@dataclass(frozen=True)
class RulePassage:
    """A criterion or exclusion: where it stands and the words that set the condition; [n] cites it."""

    n: int
    title: str
    doc_number: str
    where: str  # article or innermost section
    quote: str  # exact substring of citations[n].text


@dataclass(frozen=True)
class SimilarCase:
    """A case of the compilations with its outcome, read from its 【基本案情及处理结果】."""

    n: int
    title: str
    case_no: str
    outcome: str  # 容错免责 / 问责 / 问责被纠正
    result: str  # the sentence that states the outcome (exact substring of citations[n].text)
    why: str  # for a tolerated case, the sentence that explains it (exact substring of citations[why_n].text)
    why_n: int | None = None


@dataclass(frozen=True)
class ProcedureStep:
    """One step of applying for tolerance; `n` is None where the corpus says nothing about it."""

    step: str
    text: str
    n: int | None = None
    quote: str = ""


@dataclass
class ToleranceAssessment:
    """The cited checklist for one situation."""

    situation: str
    factors: list[FactorFinding]
    outlook: Outlook
    reasoning: str  # two or three sentences, each ending with [n]
    criteria: list[RulePassage]
    exclusions: list[RulePassage]
    similar_cases: list[SimilarCase]
    procedure: list[ProcedureStep]
    questions_to_clarify: list[str]
    citations: list[Citation]
    reminder: str = REMINDER
    mode: Literal["rules", "llm"] = "rules"
    notice: str | None = None
    key_citations: list[int] = field(default_factory=list)  # the n of the 三个区分开来 passage / 林某 case

    @property
    def outlook_label(self) -> str:
        return OUTLOOK_LABELS[self.outlook]

    def to_dict(self) -> dict:
        """The API body of POST /api/tolerance."""
        data = asdict(self)
        data.pop("situation")
        data["factors"] = [{"factor": f.factor, "name": f.name, "verdict": f.verdict, "evidence": f.evidence,
                            "ground": f.label} for f in self.factors]
        data["outlook_label"] = self.outlook_label
        return data

"""What a tolerance screening hands out: one model per part, used as they are by the API (POST /api/tolerance,
the `tolerance` field of /api/chat), the CLI and the chat answer."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from assistant.grounding.passage import Passage

Outlook = Literal["likely_tolerable", "unlikely", "insufficient_information"]
Verdict = Literal["supports", "against", "not stated"]
FactorName = Literal["motive", "knowingly", "prohibition", "exploratory", "collective", "consequences", "remedy"]
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


# the reading of a duty left undone (不作为、失职失责): a strong `against` on the exploratory factor, whose weak
# `against` is plain routine work
DUTY_LEFT_UNDONE = ("exploratory", "against", "strong")


class FactorFinding(BaseModel):
    """What the situation says on one factor: supports / against / not stated, with its evidence."""

    model_config = ConfigDict(frozen=True, json_schema_serialization_defaults_required=True)

    factor: FactorName
    name: str = Field(..., description="因素名称")
    verdict: Verdict = Field(..., description="有利于容错 / 不利于容错 / 未说明")
    evidence: list[str] = Field(default_factory=list, description="描述中表明这一点的原话（逐字摘录）")
    ground: str = Field("", description="依据的说法，如「没有谋取私利」「明令禁止后依然我行我素」")
    strength: str = Field("", exclude=True)  # for `against`: decisive / strong / weak (the outlook rule reads it)
    grounds: list[str] = Field(default_factory=list, exclude=True)  # every ground found (出于公心, 没有谋取私利…)

    @property
    def decisive(self) -> bool:
        return self.verdict == "against" and self.strength == "decisive"

    @property
    def dereliction(self) -> bool:
        """A duty left undone (不作为、失职失责): the strong `against` of the exploratory factor — the error did not
        come from trying something new but from not doing what the post requires, which 问责 punishes."""
        return (self.factor, self.verdict, self.strength) == DUTY_LEFT_UNDONE


class RulePassage(BaseModel):
    """A criterion or exclusion: where it stands and the words that set the condition; [n] cites it."""

    model_config = ConfigDict(frozen=True, json_schema_serialization_defaults_required=True)

    n: int = Field(..., description="citations 中的编号")
    title: str
    doc_number: str
    where: str = Field(..., description="条款或章节")
    quote: str = Field(..., description="原文（逐字摘录）")


class SharedFactor(BaseModel):
    """Why a precedent is similar: one factor read the same way in the case and in the situation."""

    model_config = ConfigDict(frozen=True, json_schema_serialization_defaults_required=True)

    factor: FactorName
    name: str = Field(..., description="因素名称")
    verdict: Verdict = Field(..., description="两者相同的对照结果：有利于容错 / 不利于容错")
    case_quote: str = Field(..., description="案例中表明这一点的原文（逐字摘录自 citations 第 n 条）")
    n: int = Field(..., description="case_quote 所在条文的编号")
    situation_quote: str = Field(..., description="所述情况中表明这一点的原话")


class SimilarCase(BaseModel):
    """A case of the compilations with its outcome, read from its 【基本案情及处理结果】, and the factors it
    shares with the situation (why it is similar)."""

    model_config = ConfigDict(frozen=True, json_schema_serialization_defaults_required=True)

    n: int
    title: str
    case_no: str
    outcome: str = Field(..., description="容错免责 / 问责 / 问责被纠正")
    result: str = Field(..., description="处理结果原文")
    why: str = Field(..., description="容错案例：案例中说明理由的原文；问责案例：所涉问题")
    why_n: int | None = Field(None, description="why 所在条文的编号")
    shared_factors: list[SharedFactor] = Field(
        default_factory=list, description="与所述情况相同的因素（相似的理由），按分量排列；为空时是作为对照列出的案例")


class ProcedureStep(BaseModel):
    """One step of applying for tolerance; `n` is None where the corpus says nothing about it."""

    model_config = ConfigDict(frozen=True, json_schema_serialization_defaults_required=True)

    step: str
    text: str
    n: int | None = Field(None, description="依据的条文编号；知识库未作规定时为 null")
    quote: str = ""


class ToleranceAssessment(BaseModel):
    """The cited checklist for one situation: factors, outlook, the rules, cases and procedure."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    situation: str = Field(..., exclude=True)
    outlook: Outlook
    reasoning: str = Field(..., description="两到三句，每句以 [n] 标注依据")
    factors: list[FactorFinding]
    criteria: list[RulePassage] = Field(..., description="容错的条件")
    exclusions: list[RulePassage] = Field(..., description="不予容错的情形")
    similar_cases: list[SimilarCase]
    procedure: list[ProcedureStep] = Field(..., description="如何申请、由谁决定")
    questions_to_clarify: list[str] = Field(..., description="描述中未说明、需要补充的情况")
    reminder: str = Field(REMINDER, description="是否容错由党组织依规决定")
    citations: list[Passage]
    key_citations: list[int] = Field(default_factory=list, description="“三个区分开来”所在条文与容错案例的编号")
    mode: Literal["rules", "llm"] = "rules"
    notice: str | None = None

    @computed_field
    @property
    def outlook_label(self) -> str:
        return OUTLOOK_LABELS[self.outlook]

"""Tolerance (容错) screening: a cadre's situation → factors read by a lexicon with negation, an outlook by
the 三个区分开来, and the rules, cases and procedure that bear on it, all cited. The Party organisation decides."""

from assistant.tolerance.service import ToleranceService, check_situation
from assistant.tolerance.types import ToleranceAssessment

__all__ = ["ToleranceAssessment", "ToleranceService", "check_situation"]

"""Course packs for trainers: a topic becomes cited handout material (Markdown and Word).

builder (retrieval → provisions, cases, terms, questions, sources) → markdown / docx; llm adds an optional
cited introduction."""

from assistant.course.builder import CoursePackBuilder
from assistant.course.types import CoursePack

__all__ = ["CoursePack", "CoursePackBuilder"]

"""政策知识助手: retrieval with citations over Chinese policy texts."""

__version__ = "0.1.0"

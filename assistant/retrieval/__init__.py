"""Retrieval: tokenising for BM25, dense + BM25 fused, filters and document preferences."""

"""Eval harness: retrieval recall against question sets with gold passages, side by side with a baseline."""

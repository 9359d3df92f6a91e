"""Corpus file → loader → cleaning → structure → chunks → store."""

"""Corpus builders and preparers: one module per corpus, ``prepare(src, dst)`` style."""

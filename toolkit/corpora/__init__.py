"""Corpus modules: preparers for existing corpora and builders of offline ones.

Each module opens with a paragraph describing its source, layout and licence.
"""

"""Typer command-line interface: one module per command group.

Modules here import only typer at import time; torch, numpy and the rest are
imported inside the commands so that ``sptk-cli --help`` stays fast.
"""

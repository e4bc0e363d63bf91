"""Kaldi-style data directories, audio I/O and datasets."""

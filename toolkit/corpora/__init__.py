"""Corpora as data directories, one module per source, split by kind.

- :mod:`toolkit.corpora.external`: importers of public corpora that a user
  downloads and points at with a path (AEC Challenge, DNS Challenge,
  LibriSpeech + WHAM!, CMU ARCTIC, VCTK, CSS10, MIR-1K, iKala, MUSDB18, ESC-50
  and other audio event layouts). Each exposes ``prepare(path, dst, ...)``;
  ``sptk-cli corpus prepare NAME --path P --dst DIR`` runs them.
- :mod:`toolkit.corpora.debian`: speech pools read from Debian packages
  (asterisk prompts, tuxpaint stamp descriptions, ktuberling words).
- :mod:`toolkit.corpora.sounds`: noise, room impulse response and music builders.

The built-in corpora of single tasks live in their task's package
(:mod:`toolkit.aec.simulate`, :mod:`toolkit.se.corpus`, :mod:`toolkit.svs.prepare`,
:mod:`toolkit.aed.corpus`, :mod:`toolkit.tone.corpus`). Each module opens with a
paragraph describing its source, layout and licence.
"""

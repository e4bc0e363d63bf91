"""Corpora as data directories, one module per source, split by kind.

- :mod:`toolkit.corpora.external`: importers of public corpora that a user
  downloads and points at with a path (AEC Challenge, DNS Challenge,
  LibriSpeech + WHAM!, CMU ARCTIC, VCTK, CSS10, MIR-1K, iKala, MUSDB18, ESC-50
  and other audio event layouts). Each exposes ``prepare(path, dst, ...)``;
  ``sptk-cli corpus prepare NAME --path P --dst DIR`` runs them.
- :mod:`toolkit.corpora.debian`: speech pools read from Debian packages
  (asterisk prompts, tuxpaint stamp descriptions, ktuberling words).
- :mod:`toolkit.corpora.sounds`: noise, room impulse response and music builders.

The built-in corpora of single tasks (``aec_sim``, ``se_uda``, ``svs_prepare``,
``aed_sounds``, ``tones``) sit beside these until they move into their task's
package. Each module opens with a paragraph describing its source, layout and
licence.
"""

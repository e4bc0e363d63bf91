"""Text front end: phonemes from espeak-ng and synthetic speech with phone times.

- :mod:`toolkit.text.espeak`: libespeak-ng through ctypes (system library, or
  the one in PyPI ``espeakng-loader``).
- :mod:`toolkit.text.phonemize`: IPA phones with word boundaries, stress and
  syllables; reports what a language cannot phonemize.
- :mod:`toolkit.text.synthesize`: espeak-ng speech whose phone boundaries are
  known exactly, as a data directory (ground truth for forced aligners).
"""

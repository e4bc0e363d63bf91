"""Corpus builders and preparers: one module per source, each opening with a description.

Speech pools from Debian packages (read by :mod:`toolkit.corpora.speech_pool`):

- :mod:`toolkit.corpora.asterisk`: professional telephony prompts, 5 languages.
- :mod:`toolkit.corpora.tuxpaint`: spoken stamp descriptions, 14 languages.
- :mod:`toolkit.corpora.ktuberling`: single spoken words, 15 languages with known text.

:mod:`toolkit.corpora.debian` finds the packages and says which ``apt-get
install`` line to run when one is missing. :mod:`toolkit.corpora.tones` is the
template recipe's synthetic corpus.
"""

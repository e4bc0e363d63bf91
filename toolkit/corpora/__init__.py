"""Corpus builders and preparers: one module per source, each opening with a
paragraph describing its source, layout and licence.

Speech pools from Debian packages (read by :mod:`toolkit.corpora.speech_pool`):

- :mod:`toolkit.corpora.asterisk`: professional telephony prompts, 5 languages.
- :mod:`toolkit.corpora.tuxpaint`: spoken stamp descriptions, 14 languages.
- :mod:`toolkit.corpora.ktuberling`: single spoken words, 15 languages with known text.

:mod:`toolkit.corpora.debian` finds the packages and says which ``apt-get
install`` line to run when one is missing. Noise, rooms and music:
:mod:`toolkit.corpora.noise`, :mod:`toolkit.corpora.rooms`,
:mod:`toolkit.corpora.music`. :mod:`toolkit.corpora.tones` is the template
recipe's synthetic corpus.
"""

"""Speech pools from Debian packages: real recordings that install offline.

- :mod:`~toolkit.corpora.debian.asterisk`: professional telephony prompts, 5 languages
  (CC-BY-SA 3.0).
- :mod:`~toolkit.corpora.debian.tuxpaint`: spoken stamp descriptions, 14 languages (GPL-2).
- :mod:`~toolkit.corpora.debian.ktuberling`: single spoken words, 15 languages with known text.

:mod:`~toolkit.corpora.debian.speech_pool` scans them into one data directory
(``sptk-cli corpus speech``); :mod:`~toolkit.corpora.debian.packages` finds the
packages, records their versions and says which ``apt-get install`` line to run
when one is missing; :mod:`~toolkit.corpora.debian.common` holds the
:class:`~toolkit.corpora.debian.common.Clip` every source yields.
"""

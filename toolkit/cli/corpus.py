"""``sptk-cli corpus``: build the offline corpora and import public ones.

The commands live in modules that each add their own to this group:
:mod:`toolkit.cli.corpus_external` (``prepare``: public corpora given by path),
:mod:`toolkit.cli.corpus_speech` (speech pools, phonemes),
:mod:`toolkit.cli.corpus_sound` (noise, rooms, music, mixing); the template
recipe's synthetic tones are in :mod:`toolkit.cli.corpus_template`.
"""

from toolkit.cli import corpus_external, corpus_sound, corpus_speech, corpus_template
from toolkit.cli.app import App

app = App(help="Import public corpora and build offline ones as data directories.")
corpus_external.register(app)
corpus_speech.register(app)
corpus_sound.register(app)
corpus_template.register(app)

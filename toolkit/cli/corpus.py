"""``sptk-cli corpus``: build the offline corpora (speech, noise, rooms, music).

The commands live in two modules, each adding its own to this group:
:mod:`toolkit.cli.corpus_speech` (speech pools, phonemes) and
:mod:`toolkit.cli.corpus_sound` (noise, rooms, music, mixing); the template
recipe's synthetic tones are in :mod:`toolkit.cli.corpus_template`.
"""

from toolkit.cli import corpus_sound, corpus_speech, corpus_template
from toolkit.cli.app import App

app = App(help="Build offline corpora as data directories (speech, noise, rooms, music).")
corpus_speech.register(app)
corpus_sound.register(app)
corpus_template.register(app)

"""Noise, room and music builders (``sptk-cli corpus noise | rirs | music``).

- :mod:`~toolkit.corpora.sounds.noise` (+ :mod:`~toolkit.corpora.sounds.noise_sources`,
  the noise types and where their files come from): labelled noise clips from Debian
  game and theme sounds plus procedural noise.
- :mod:`~toolkit.corpora.sounds.rooms`: simulated room impulse responses (pyroomacoustics)
  or imported measured ones.
- :mod:`~toolkit.corpora.sounds.music` (+ :mod:`~toolkit.corpora.sounds.music_score`,
  the random compositions): songs rendered with FluidSynth.
- :mod:`~toolkit.corpora.sounds.soundpool`: what the builders share (sharded pools,
  seeded random streams, provenance).
"""

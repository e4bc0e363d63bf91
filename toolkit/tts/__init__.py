"""Parametric TTS building blocks: front end, labels, forced alignment, synthesis.

- :mod:`toolkit.tts.frontend`: text normalisation, espeak-ng G2P by phrase, the
  phone-level linguistic features (union of the languages' feature sets) and the
  frame-level expansion (coarse-coded position in the phone, phone duration).
- :mod:`toolkit.tts.align`: flat-start monophone HMM forced aligner.
- :mod:`toolkit.tts.labels`: data-directory stages (vocoder features, labels).
- :mod:`toolkit.tts.synth`: text to waveform with a trained model.
"""

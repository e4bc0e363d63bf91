"""The tts task: multi-language multi-speaker LSTM TTS on WORLD features (Li & Zen 2016).

- :mod:`~toolkit.tts.config`: the recipe's dataclasses (models, experiment, corpus, ...).
- :mod:`~toolkit.tts.prepare`: recipe stages 0-2 (pool, splits with loudness
  normalisation and trimming (:mod:`~toolkit.tts.conditioning`), labels +
  WORLD features + alignment, the phone set).
- :mod:`~toolkit.tts.frontend`: text normalisation, espeak-ng G2P by phrase,
  phone- and frame-level linguistic features; :mod:`~toolkit.tts.labels` and
  :mod:`~toolkit.tts.align`: labels and the flat-start HMM forced aligner.
- :mod:`~toolkit.tts.data`, :mod:`~toolkit.tts.loss`, :mod:`~toolkit.tts.task`:
  what the shared trainer calls; :mod:`~toolkit.tts.decode` (natural durations)
  and :mod:`~toolkit.tts.score` (MCD over speech frames, F0, V/UV, ASR WER
  through :mod:`~toolkit.tts.asr`).
- :mod:`~toolkit.tts.synth` (a bundle: front end, duration and acoustic models,
  WORLD) and :mod:`~toolkit.tts.infer` (``synthesize_text`` / ``synthesize_file``
  behind ``sptk-cli synthesize``); :mod:`~toolkit.tts.report`: tables and figures.
"""

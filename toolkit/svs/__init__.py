"""Singing voice separation (Jansson et al., ISMIR 2017): two mask U-Nets on magnitudes.

``config`` (the dataclasses of a recipe YAML), ``data`` (training items and their
augmentation), ``loss`` (L1 on masked magnitudes), ``task`` (what the trainer, decode
and score call), ``infer`` (``separate_file`` / ``separate_array`` behind
``sptk-cli separate``), ``score`` (BSS Eval v3 and museval's BSSv4), ``prepare``
(corpus layouts, splits, the built-in songs, stage-2 dumps), ``onnx`` (export).
"""

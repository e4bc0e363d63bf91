"""The template recipe's task: classify 1-s clips as noise, tone or chirp.

Deliberately trivial, it exercises every stage of a recipe in seconds and shows
the shape of a task package that the real tasks share:

- :mod:`toolkit.tone.config`: the config dataclasses;
- :mod:`toolkit.tone.data`: labels, features, crops, the dataset;
- :mod:`toolkit.tone.loss`: the training objective;
- :mod:`toolkit.tone.task`: the glue the trainer, ``decode`` and ``score`` call;
- :mod:`toolkit.tone.infer`: posteriors of one clip (``classify_array``);
- :mod:`toolkit.tone.score`: accuracy;
- :mod:`toolkit.tone.corpus`: the built-in synthetic corpus.
"""

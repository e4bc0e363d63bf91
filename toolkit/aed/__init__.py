"""Audio event classification (recipes/aed): AST and DATAR on Kaldi fbank features.

- :mod:`toolkit.aed.config`: the task's config dataclasses;
- :mod:`toolkit.aed.data`: targets, features, SpecAugment, mixup, the dataset;
- :mod:`toolkit.aed.loss`: classification and masked-patch pretraining losses;
- :mod:`toolkit.aed.task`: the glue the trainer, ``decode`` and ``score`` call;
- :mod:`toolkit.aed.infer`: ``classify`` as library functions (batched, windowed);
- :mod:`toolkit.aed.score`: accuracy, top-5, mAP, the confusion plot;
- :mod:`toolkit.aed.export`: the classifier as ONNX;
- :mod:`toolkit.aed.corpus`: the built-in 16-class corpus.
"""

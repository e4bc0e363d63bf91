"""sptk-cli: Kaldi/ESPnet-style recipes for speech and audio research."""

__version__ = "0.1.0"

"""Metrics: classification, signal (ERLE, SI-SDR), perceptual (PESQ, STOI, MOS models)."""

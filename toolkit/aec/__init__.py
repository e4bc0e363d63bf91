"""Acoustic echo cancellation: CRUSE and Align-CRUSE (Indenbom et al., ICASSP 2023).

config (dataclasses), simulate (the built-in corpus), data (training sets), loss,
task (what the trainer calls), infer (``cancel_echo_file`` / ``cancel_echo_array``),
streaming (frame-by-frame, PyTorch and ONNX), score, systems (GCC-PHAT, NLMS).
"""

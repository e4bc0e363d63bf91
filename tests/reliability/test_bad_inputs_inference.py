"""The bad-input table for the five single-file commands (issue 18), as a user meets them.

Same contract as :mod:`tests.reliability.test_bad_inputs`: each row runs
``sptk-cli ARGS`` in-process in a fresh folder holding the files it lists and
expects exit 2, no traceback, exactly one ``error:`` line holding the needle.
Most rows fail before a model loads; the rest load the shipped models once each.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from tests.reliability.test_bad_inputs import Case, _write


def _wav(seconds: float, sr: int = 16000, channels: int = 1) -> bytes:
    rng = np.random.default_rng(0)
    x = 0.1 * rng.standard_normal((int(seconds * sr), channels)).astype(np.float32)
    buf = io.BytesIO()
    sf.write(buf, x, sr, format="WAV")
    return buf.getvalue()


GOOD = _wav(1.0)
ONE_SAMPLE = _wav(1 / 16000)
TEXT = b"this is not audio\n"
HEADER_ONLY = b"RIFF\x24\x00\x00\x00WAVEfmt "
A = {"a.wav": GOOD}

CASES = [
    # separate
    Case("separate-missing", ["separate", "nope.wav"], "no such file"),
    Case("separate-empty-folder", ["separate", "d"], "holds no audio file", files={"d": None}),
    Case("separate-glob-nothing", ["separate", "*.flac"], "matches no file"),
    Case("separate-text-file", ["separate", "t.wav"], "t.wav", files={"t.wav": TEXT}),
    Case("separate-zero-bytes", ["separate", "z.wav"], "z.wav", files={"z.wav": b""}),
    Case("separate-header-only", ["separate", "h.wav"], "h.wav", files={"h.wav": HEADER_ONLY}),
    Case("separate-bad-device", ["separate", "a.wav", "--device", "tpu"], "--device", files=A),
    Case("separate-model-missing", ["separate", "a.wav", "--model", "nomodel"], "nomodel",
         files=A),
    Case("separate-bad-stem", ["separate", "a.wav", "--stems", "drums"], "drums", files=A),
    Case("separate-o-file-for-two", ["separate", "a.wav", "b.wav", "-o", "f.txt"], "is a file",
         files={**A, "b.wav": GOOD, "f.txt": "x"}),
    Case("separate-exists", ["separate", "a.wav", "-o", "out"], "--overwrite",
         files={**A, "out/vocals.wav": GOOD, "out/accompaniment.wav": GOOD}),
    Case("separate-model-is-tts", ["separate", "a.wav", "--model", "m"], "m",
         files={**A, "m/meta.yaml": "task: tone\n", "m/config.yaml": "{}\n"}),
    # enhance
    Case("enhance-missing", ["enhance", "nope.wav"], "no such file"),
    Case("enhance-text-file", ["enhance", "t.wav"], "t.wav", files={"t.wav": TEXT}),
    Case("enhance-one-sample", ["enhance", "s.wav", "-o", "o.wav"], "s.wav",
         files={"s.wav": ONE_SAMPLE}),
    Case("enhance-o-no-extension", ["enhance", "a.wav", "-o", "outname"], "extension", files=A),
    Case("enhance-exists", ["enhance", "a.wav", "-o", "o.wav"], "--overwrite",
         files={**A, "o.wav": GOOD}),
    Case("enhance-bad-device", ["enhance", "a.wav", "--device", "gpu7"], "--device", files=A),
    Case("enhance-empty-folder", ["enhance", "d"], "holds no audio file", files={"d": None}),
    # cancel-echo
    Case("aec-no-far-end", ["cancel-echo", "mic.wav"], "which file is its far end",
         files={"mic.wav": GOOD}),
    Case("aec-no-far-end-beside", ["cancel-echo", "a_mic.wav"], "no far-end file",
         files={"a_mic.wav": GOOD}),
    Case("aec-missing-mic", ["cancel-echo", "nope.wav", "--ref", "r.wav"], "no such file",
         files={"r.wav": GOOD}),
    Case("aec-missing-ref", ["cancel-echo", "mic.wav", "--ref", "nope.wav"], "nope.wav",
         files={"mic.wav": GOOD}),
    Case("aec-ref-not-audio", ["cancel-echo", "mic.wav", "--ref", "r.wav", "-o", "o.wav"],
         "r.wav", files={"mic.wav": GOOD, "r.wav": TEXT}),
    Case("aec-bad-device", ["cancel-echo", "mic.wav", "--ref", "r.wav", "--device", "npu"],
         "--device", files={"mic.wav": GOOD, "r.wav": GOOD}),
    # classify
    Case("classify-missing", ["classify", "nope.wav"], "no such file"),
    Case("classify-zero-bytes", ["classify", "z.wav"], "z.wav", files={"z.wav": b""}),
    Case("classify-text-file", ["classify", "t.wav"], "t.wav", files={"t.wav": TEXT}),
    Case("classify-top-k-zero", ["classify", "a.wav", "--top-k", "0"], "--top-k", files=A),
    Case("classify-negative-hop", ["classify", "a.wav", "--hop", "-1"], "--hop", files=A),
    Case("classify-o-exists", ["classify", "a.wav", "-o", "r.tsv"], "--overwrite",
         files={**A, "r.tsv": "x\n"}),
    # synthesize
    Case("tts-unknown-language", ["synthesize", "hello", "--lang", "xx", "-o", "o.wav"], "xx"),
    Case("tts-unknown-speaker", ["synthesize", "hello", "--lang", "en", "--speaker", "nobody",
                                 "-o", "o.wav"], "nobody"),
    Case("tts-empty-text", ["synthesize", "", "--lang", "en", "-o", "o.wav"], "text"),
    Case("tts-text-file-missing", ["synthesize", "--text-file", "nope.txt", "--lang", "en"],
         "nope.txt"),
    Case("tts-model-missing", ["synthesize", "hi", "--lang", "en", "--model", "nomodel",
                               "-o", "o.wav"], "nomodel"),
]


def test_the_table_covers_every_inference_command():
    verbs = {c.args[0] for c in CASES}
    assert verbs == {"separate", "enhance", "cancel-echo", "classify", "synthesize"}
    assert len({c.id for c in CASES}) == len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path, invoke):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    _write(cwd, case.files)
    code, out, err = invoke(case.args, cwd)
    assert "Traceback" not in err and "internal error" not in err, err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    assert code == case.code, f"exit {code}: {err}"
    assert case.needle in errors[0], f"{case.needle!r} not in:\n{errors[0]}"

"""A hostile but realistic user, kept as a table (issue 18): every row is one bad input.

Each case runs ``sptk-cli ARGS`` in-process in a fresh folder holding a copy of
a good data directory (``good/``) plus the files the row writes, and checks the
exit status, that no traceback was printed, that stderr holds exactly one
``error:`` line, and that the expected text is in the output (the error line,
or for ``data validate``, whose problems go to stdout with exit 1, the problem
line). Rows cover odd encodings (BOM, Latin-1, CRLF), empty and tiny files,
missing and looping paths, directories where files belong, duplicate keys and
sections, unfinished inputs, killed and concurrent runs (locks held).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.reliability.conftest import copy_good

LATIN1 = b"u0 caf\xe9\n"
WAV_HEADER_ONLY = b"RIFF\x24\x00\x00\x00WAVEfmt "


@dataclass
class Case:
    """One bad input: ``sptk-cli ARGS`` -> exit ``code`` and ``needle`` in the output."""

    id: str
    args: list[str]
    needle: str
    code: int = 2
    files: dict[str, str | bytes | None] = field(default_factory=dict)  # None: a folder
    setup: Callable[[Path], list[int]] | None = None  # returns fds to close afterwards


def _lock(path: Path, text: str = "") -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    if text:
        os.write(fd, text.encode())
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _running_job(cwd: Path) -> list[int]:
    """A job of a killed runner still running: its log without footer, locked."""
    return [_lock(cwd / "logs/x.1.log", "# true\n# Started at then on here, run 0123456789ab\n")]


def _running_runner(cwd: Path) -> list[int]:
    return [_lock(cwd / "logs/q/x.lock", "999\n")]


def _running_training(cwd: Path) -> list[int]:
    return [_lock(cwd / ".exp.lock", "998\n")]


def _symlink_loop(cwd: Path) -> list[int]:
    (cwd / "loop").symlink_to("loop")
    return []


def _fake_exp(cwd: Path) -> list[int]:
    """An experiment killed mid-training: meta, config and last.pt, no .done."""
    exp = cwd / "exp"
    exp.mkdir()
    (exp / "meta.yaml").write_text("task: tone\nmodel: tone_cnn\n")
    (exp / "config.yaml").write_text("trainer: {epochs: 1}\n")
    (exp / "last.pt").write_bytes(b"not finished")
    return []


GOOD = "good"
RUN = ["run", "JOB=1:2", "logs/x.JOB.log", "--"]
FEAT = ["features", "extract", "--data", GOOD, "--out", "f", "--config", "c.yaml"]
TRAIN = ["train", "--task", "tone", "--train", GOOD, "--exp", "exp"]

CASES = [
    # ---------------------------------------------------------------- sptk-cli run
    Case("run-no-command", ["run", "JOB=1:2", "logs/x.JOB.log", "--"], "no command to run"),
    Case("run-empty-command", [*RUN, "  "], "no command to run"),
    Case("run-negative-range", ["run", "JOB=3:-1", "l.JOB", "--", "true"], "bad job range"),
    Case("run-range-reversed", ["run", "JOB=5:2", "l.JOB", "--", "true"], "end (2) is before"),
    Case("run-shared-log", ["run", "JOB=1:3", "one.log", "--", "true"], "overwrite each other"),
    Case("run-max-jobs-negative", ["run", "--max-jobs", "-2", "l", "--", "true"],
         "--max-jobs must be at least 1"),
    Case("run-opt-malformed", ["run", "--opt", "partition", "l", "--", "true"],
         "is not of the form NAME=VALUE"),
    Case("run-pick-typo", ["run", "--pick", "incomplet", "l", "--", "true"],
         "unknown --pick value"),
    Case("run-backend-typo", ["run", "--backend", "slrum", "l", "--", "true"],
         "unknown backend"),
    Case("run-log-is-a-folder", ["run", "logs", "--", "true"], "log logs is a directory;",
         files={"logs": None}),
    Case("run-log-under-a-file", ["run", "afile/x.log", "--", "true"], "afile",
         files={"afile": "x"}),
    Case("run-log-in-symlink-loop", ["run", "loop/x.log", "--", "true"], "loop",
         setup=_symlink_loop),
    Case("run-huge-range", ["run", "JOB=1:100000000", "l.JOB", "--", "true"],
         "100000000 jobs, more than the 100000"),
    Case("run-log-under-dev-null", ["run", "/dev/null/x.log", "--", "true"],
         "/dev/null is not a directory"),
    Case("run-job-still-running", ["run", "--pick", "incomplete", *RUN[1:], "true"],
         "1 job is still running: 1 (logs/x.1.log)", setup=_running_job),
    Case("run-concurrent-runner", [*RUN, "true"], "another 'sptk-cli run' (pid 999)",
         setup=_running_runner),
    # ---------------------------------------------------------------- data validate (exit 1)
    Case("validate-missing-dir", ["data", "validate", "nodir"], "nodir does not exist", 1),
    Case("validate-file-not-dir", ["data", "validate", "afile"], "afile is not a directory", 1,
         files={"afile": "x"}),
    Case("validate-empty-dir", ["data", "validate", "empty"], "no key-value files", 1,
         files={"empty": None}),
    Case("validate-empty-wav-scp", ["data", "validate", GOOD], "holds no utterances", 1,
         files={"good/wav.scp": "", "good/label": "", "good/utt2spk": "", "good/spk2utt": ""}),
    Case("validate-latin1", ["data", "validate", GOOD], "label line 1: byte 0xe9", 1,
         files={"good/label": LATIN1}),
    Case("validate-cr-line-ends", ["data", "validate", GOOD], "a carriage return inside", 1,
         files={"good/label": "u0 noise\ru1 tone\ru2 noise\ru3 tone\r"}),
    Case("validate-crlf-is-fine-but-keys-differ", ["data", "validate", GOOD], "keys differ", 1,
         files={"good/label": "u0 noise\r\nu1 tone\r\n"}),
    Case("validate-tab-separated-key-with-space", ["data", "validate", GOOD], "keys differ", 1,
         files={"good/label": "u0\tnoise\nu1\ttone\nu2 \tnoise\nu3x\ttone\n"}),
    Case("validate-unsorted", ["data", "validate", GOOD], "out of order", 1,
         files={"good/label": "u1 tone\nu0 noise\nu2 noise\nu3 tone\n"}),
    Case("validate-duplicate-key", ["data", "validate", GOOD], "duplicate key 'u0'", 1,
         files={"good/label": "u0 a\nu0 b\nu1 c\nu2 d\nu3 e\n"}),
    Case("validate-blank-line", ["data", "validate", GOOD], "line 2: blank line", 1,
         files={"good/label": "u0 a\n\nu1 b\nu2 c\nu3 d\n"}),
    Case("validate-key-without-value", ["data", "validate", GOOD], "key 'u1' has no value", 1,
         files={"good/label": "u0 a\nu1\nu2 c\nu3 d\n"}),
    Case("validate-keys-differ", ["data", "validate", GOOD], "1 key(s) missing, first 'u3'", 1,
         files={"good/label": "u0 a\nu1 b\nu2 c\n"}),
    Case("validate-meta-sixteen", ["data", "validate", GOOD], "sample_rate 'sixteen'", 1,
         files={"good/meta.yaml": "sample_rate: sixteen\ntask: tone\n"}),
    Case("validate-meta-bad-yaml", ["data", "validate", GOOD], "meta.yaml line 2: not valid YAML",
         1, files={"good/meta.yaml": "sample_rate: [16000\ntask: tone\n"}),
    Case("validate-meta-twice", ["data", "validate", GOOD], "key 'sample_rate' is given twice", 1,
         files={"good/meta.yaml": "sample_rate: 16000\nsample_rate: 8000\n"}),
    Case("validate-meta-list", ["data", "validate", GOOD], "expected a mapping", 1,
         files={"good/meta.yaml": "- 16000\n"}),
    Case("validate-meta-latin1", ["data", "validate", GOOD], "meta.yaml line 1: byte 0xe9", 1,
         files={"good/meta.yaml": b"task: caf\xe9\n"}),
    Case("validate-missing-audio", ["data", "validate", GOOD], "/no/such.wav: no such file", 1,
         files={"good/wav.scp": "u0 /no/such.wav\nu1 /no/such.wav\nu2 /n\nu3 /n\n"}),
    Case("validate-audio-is-folder", ["data", "validate", GOOD], "is a directory", 1,
         files={"good/wav.scp": "u0 /tmp\nu1 /tmp\nu2 /tmp\nu3 /tmp\n"}),
    Case("validate-empty-audio-file", ["data", "validate", GOOD], "not a readable audio file", 1,
         files={"e.wav": b"", "good/wav.scp": "u0 e.wav\nu1 e.wav\nu2 e.wav\nu3 e.wav\n"}),
    Case("validate-truncated-audio", ["data", "validate", GOOD], "t.wav", 1,
         files={"t.wav": WAV_HEADER_ONLY, "good/wav.scp": "u0 t.wav\nu1 t.wav\nu2 t.wav\n"
                "u3 t.wav\n"}),
    Case("validate-audio-symlink-loop", ["data", "validate", GOOD], "loop", 1,
         files={"good/wav.scp": "u0 loop\nu1 loop\nu2 loop\nu3 loop\n"}, setup=_symlink_loop),
    Case("validate-failing-pipe", ["data", "validate", GOOD], "command failed", 1,
         files={"good/wav.scp": "u0 false |\nu1 false |\nu2 false |\nu3 false |\n"}),
    Case("validate-pipe-reads-stdin", ["data", "validate", GOOD], "output is not audio", 1,
         files={"good/wav.scp": "u0 cat |\nu1 cat |\nu2 cat |\nu3 cat |\n"}),
    Case("validate-spk2utt-stale", ["data", "validate", GOOD], "does not match utt2spk", 1,
         files={"good/spk2utt": "s0 u0\ns1 u1 u2 u3\n"}),
    Case("validate-segments-bad", ["data", "validate", "seg"], "0 <= start < end", 1,
         files={"seg/wav.scp": "r1 /x.wav\n", "seg/segments": "u0 r1 2.0 1.0\n",
                "seg/label": "u0 a\n"}),
    Case("validate-segments-unknown-reco", ["data", "validate", "seg"], "'r9' is not in wav.scp",
         1, files={"seg/wav.scp": "r1 /x.wav\n", "seg/segments": "u0 r9 0 1\n",
                   "seg/label": "u0 a\n"}),
    Case("validate-check-audio-typo", ["data", "validate", "--check-audio", "all", GOOD],
         "--check-audio 'all'"),
    Case("validate-task-typo", ["data", "validate", "--task", "tones", GOOD], "unknown task"),
    # ---------------------------------------------------------------- data shard / merge
    Case("shard-zero", ["data", "shard", GOOD, "0"], "N must be >= 1"),
    Case("shard-too-many", ["data", "shard", GOOD, "9"], "fewer than 9 shards"),
    Case("shard-job-out-of-range", ["data", "shard", GOOD, "2", "--job", "3"],
         "J must be between 1 and N"),
    Case("shard-keys-differ", ["data", "shard", GOOD, "2"], "label: keys differ from wav.scp",
         files={"good/label": "u0 a\nu1 b\nu2 c\n"}),
    Case("shard-missing-dir", ["data", "shard", "nodir", "2"], "does not exist"),
    Case("shard-out-under-file", ["data", "shard", GOOD, "2", "-o", "afile/s"], "afile",
         files={"afile": "x"}),
    Case("shard-out-under-dev-null", ["data", "shard", GOOD, "2", "-o", "/dev/null"],
         "cannot write /dev/null/1: /dev/null is not a directory"),
    Case("shard-out-in-proc", ["data", "shard", GOOD, "2", "-o", "/proc/nonesuch"],
         "cannot write /proc/nonesuch/1"),
    Case("jsonl-out-in-proc", ["data", "to-jsonl", GOOD, "-o", "/proc/x.jsonl"],
         "cannot write /proc/x.jsonl"),
    Case("merge-unfinished", ["data", "merge", GOOD, "half", "-o", "m"],
         "half is not complete (no .done)",
         files={"half/wav.scp": "v0 /x.wav\n", "half/label": "v0 a\n",
                "half/utt2spk": "v0 s0\n", "half/spk2utt": "s0 v0\n"}),
    Case("merge-same-twice", ["data", "merge", GOOD, GOOD, "-o", "m"], "given twice"),
    Case("merge-missing", ["data", "merge", GOOD, "nodir", "-o", "m"], "nodir does not exist"),
    # ---------------------------------------------------------------- data subset / split / export
    Case("subset-first-and-random", ["data", "subset", GOOD, "-o", "s", "--first", "2",
                                     "--random", "2"], "--first and --random exclude each other"),
    Case("subset-random-too-many", ["data", "subset", GOOD, "-o", "s", "--random", "9"],
         "has only 4 utterances"),
    Case("subset-negative", ["data", "subset", GOOD, "-o", "s", "--last", "-1"], "--last must"),
    Case("subset-nothing", ["data", "subset", GOOD, "-o", "s"], "say which utterances"),
    Case("subset-keys-missing-file", ["data", "subset", GOOD, "-o", "s", "--keys", "k.txt"],
         "k.txt does not exist"),
    Case("subset-keys-unknown", ["data", "subset", GOOD, "-o", "s", "--keys", "k.txt"],
         "1 key(s) not in", files={"k.txt": "u0\nzz\n"}),
    Case("subset-keys-latin1", ["data", "subset", GOOD, "-o", "s", "--keys", "k.txt"],
         "k.txt line 1: byte 0xe9", files={"k.txt": LATIN1}),
    Case("subset-keys-empty", ["data", "subset", GOOD, "-o", "s", "--keys", "k.txt"],
         "is empty", files={"k.txt": ""}),
    Case("subset-speaker-unknown", ["data", "subset", GOOD, "-o", "s", "--speakers", "zz"],
         "is empty"),
    Case("subset-out-is-file", ["data", "subset", GOOD, "-o", "afile", "--first", "1"],
         "afile exists and is not a directory", files={"afile": "x"}),
    Case("subset-out-is-foreign-folder", ["data", "subset", GOOD, "-o", "mine", "--first", "1"],
         "mine exists, is not empty and is not a finished output", files={"mine/thesis.tex": "x"}),
    Case("split-part-is-foreign-folder", ["data", "split", GOOD, "-o", "p", "--parts",
                                          "a:0.5,b:0.5"], "p/a exists, is not empty",
         files={"p/a/notes": "x"}),
    Case("split-duplicate-part", ["data", "split", GOOD, "-o", "p", "--parts", "a:0.5,a:0.5"],
         "part name 'a' is given twice"),
    Case("split-not-one", ["data", "split", GOOD, "-o", "p", "--parts", "a:0.7,b:0.7"],
         "add up to 1.4"),
    Case("split-path-name", ["data", "split", GOOD, "-o", "p", "--parts", "../a:1"],
         "plain folder name"),
    Case("split-too-many-parts", ["data", "split", GOOD, "-o", "p", "--parts",
                                  "a:0.2,b:0.2,c:0.2,d:0.2,e:0.2"], "cannot make 5"),
    Case("split-by-speaker-no-utt2spk", ["data", "split", "nospk", "-o", "p", "--by-speaker",
                                         "--parts", "a:0.5,b:0.5"], "no 'utt2spk' file",
         files={"nospk/wav.scp": "u0 /x\nu1 /y\n"}),
    Case("jsonl-keys-differ", ["data", "to-jsonl", GOOD, "-o", "x.jsonl"], "keys differ",
         files={"good/utt2spk": "u0 s0\n"}),
    Case("combine-same-names-prefix", ["data", "combine", GOOD, "b/good", "-o", "c", "--prefix"],
         "different names", files={"b/good/wav.scp": "u0 /x\n",
                                   "b/good/meta.yaml": "sample_rate: 16000\n"}),
    # ---------------------------------------------------------------- config / features
    Case("config-show-unknown-task", ["config", "show", "tones"], "task 'tones' has no"),
    Case("config-show-unknown-model", ["config", "show", "tone", "resnet"], "unknown model"),
    Case("features-config-missing", FEAT, "config file c.yaml does not exist"),
    Case("features-config-folder", FEAT, "c.yaml is not a regular file", files={"c.yaml": None}),
    Case("features-config-empty", FEAT, "config file c.yaml is empty", files={"c.yaml": ""}),
    Case("features-config-comments", FEAT, "is empty", files={"c.yaml": "# nothing\n"}),
    Case("features-n-mels-negative", FEAT, "features.n_mels: must be greater than 0, got -40",
         files={"c.yaml": "features: {n_mels: -40}\n"}),
    Case("features-hop-zero", FEAT, "features.hop_length: must be greater than 0",
         files={"c.yaml": "features:\n  hop_length: 0\n"}),
    Case("features-section-twice", FEAT, "key 'features' is given twice (lines 1 and 3)",
         files={"c.yaml": "features:\n  n_mels: 40\nfeatures:\n  n_mels: 64\n"}),
    Case("features-key-twice-crlf", FEAT, "key 'n_mels' is given twice",
         files={"c.yaml": "features:\r\n  n_mels: 40\r\n  n_mels: 64\r\n"}),
    Case("features-latin1", FEAT, "c.yaml line 1: byte 0xe9", files={"c.yaml": b"# caf\xe9\n"}),
    Case("features-tabs", FEAT, "c.yaml line 2: not valid YAML",
         files={"c.yaml": "features:\n\tn_mels: 40\n"}),
    Case("features-unknown-key", FEAT, "unknown config key 'features.n_mel'",
         files={"c.yaml": "features: {n_mel: 40}\n"}),
    Case("features-nan", FEAT, "expected a finite number",
         files={"c.yaml": "features: {fmin: .nan}\n"}),
    Case("features-n-mels-too-many", FEAT, "n_mels 4000 is more than the 257 frequency bins",
         files={"c.yaml": "features: {n_mels: 4000}\n"}),
    Case("features-window-longer-than-fft", FEAT, "win_length 400 is longer than n_fft 64",
         files={"c.yaml": "features: {n_fft: 64, win_length: 400}\n"}),
    Case("features-fmax-above-nyquist", FEAT, "fmax 9000 Hz is above half the sample rate",
         files={"c.yaml": "features: {sample_rate: 8000, fmax: 9000}\n"}),
    Case("features-fmin-above-fmax", FEAT, "fmin 5000 Hz is not below fmax (4000)",
         files={"c.yaml": "features: {fmin: 5000, fmax: 4000}\n"}),
    Case("features-kind-typo", FEAT, "kind 'logmels' is not one of",
         files={"c.yaml": "features: {kind: logmels}\n"}),
    Case("features-shard", [*FEAT, "--shard", "0/2"], "--shard 0/2",
         files={"c.yaml": "features: {n_mels: 40}\n"}),
    Case("features-set-negative", [*FEAT, "--set", "features.n_fft=-1"], "features.n_fft: must",
         files={"c.yaml": "features: {n_mels: 40}\n"}),
    # ---------------------------------------------------------------- train
    Case("train-config-empty", [*TRAIN, "--config", "c.yaml"], "is empty", files={"c.yaml": ""}),
    Case("train-section-twice", [*TRAIN, "--config", "c.yaml"], "key 'trainer' is given twice",
         files={"c.yaml": "trainer: {epochs: 1}\noptim: {lr: 0.1}\ntrainer: {epochs: 9}\n"}),
    Case("train-epochs-zero", [*TRAIN, "--set", "trainer.epochs=0"],
         "trainer.epochs: must be greater"),
    Case("train-batch-negative", [*TRAIN, "--set", "trainer.batch_size=-4"],
         "trainer.batch_size: must be greater than 0"),
    Case("train-lr-inf", [*TRAIN, "--set", "optim.lr=.inf"], "optim.lr: expected a finite"),
    Case("train-lr-negative", [*TRAIN, "--set", "optim.lr=-0.1"], "optim.lr: must be 0 or more"),
    Case("train-n-mels-negative", [*TRAIN, "--set", "features.n_mels=-40"], "features.n_mels"),
    Case("train-model-conf-negative", [*TRAIN, "--set", "model.conf.n_mels=-40"],
         "model.conf.n_mels: must be greater than 0, got -40"),
    Case("train-probability-above-one", ["train", "--task", "se", "--train", GOOD, "--exp", "exp",
                                         "--set", "mix.p_eq=1.5"],
         "mix.p_eq: must be a probability from 0 to 1, got 1.5"),
    Case("train-probability-negative", ["train", "--task", "aec", "--train", GOOD, "--exp",
                                        "exp", "--set", "data.sim.noise_prob=-0.2"],
         "data.sim.noise_prob: must be a probability from 0 to 1"),
    Case("train-loss-weight-negative", ["train", "--task", "se", "--train", GOOD, "--exp", "exp",
                                        "--set", "loss.near_clean_weight=-1"],
         "loss.near_clean_weight: must be 0 or more"),
    Case("train-log-every-zero", [*TRAIN, "--set", "trainer.log_every_steps=0"],
         "trainer.log_every_steps: must be greater than 0"),
    Case("train-set-malformed", [*TRAIN, "--set", "trainer.epochs"], "key.path=value"),
    Case("train-nproc-zero", [*TRAIN, "--nproc", "0"], "--nproc and --nodes must be >= 1"),
    Case("train-missing-data", ["train", "--task", "tone", "--train", "nodir", "--exp", "e"],
         "data directory nodir does not exist"),
    Case("train-concurrent", TRAIN, "another training (pid 998) is running into exp",
         setup=_running_training),
    # ---------------------------------------------------------------- decode / pack / score
    Case("decode-unfinished", ["decode", "--model", "exp", "--data", GOOD, "--out", "h"],
         "exp: training has not finished (no .done", setup=_fake_exp),
    Case("pack-unfinished", ["pack", "--exp", "exp", "--out", "p"], "training has not finished",
         setup=_fake_exp),
    Case("decode-bad-shard", ["decode", "--task", "tone", "--data", GOOD, "--out", "h",
                              "--shard", "2/1"], "--shard 2/1"),
    Case("decode-not-a-model", ["decode", "--model", GOOD, "--data", GOOD, "--out", "h"],
         "is not a model directory"),
    Case("decode-model-bad-meta", ["decode", "--model", "m", "--data", GOOD, "--out", "h"],
         "m/meta.yaml line 2: not valid YAML",
         files={"m/meta.yaml": "task: [tone\n", "m/config.yaml": "{}\n"}),
    Case("decode-model-meta-twice", ["decode", "--model", "m", "--data", GOOD, "--out", "h"],
         "key 'task' is given twice",
         files={"m/meta.yaml": "task: tone\ntask: aec\n", "m/config.yaml": "{}\n"}),
    Case("score-missing-hyp", ["score", "--ref", GOOD, "--hyp", "nodir"], "does not exist"),
    Case("score-shard-no-out", ["score", "--ref", GOOD, "--hyp", GOOD, "--shard", "1/2"],
         "--shard needs --out"),
    Case("score-no-task", ["score", "--ref", "r", "--hyp", "r"], "pass --task",
         files={"r/wav.scp": "u0 /x\n"}),
    Case("score-merge-missing", ["score-merge", "p1.json"], "p1.json does not exist"),
    Case("score-merge-not-json", ["score-merge", "p1.json"], "is not a part file",
         files={"p1.json": "{not json"}),
    Case("score-merge-latin1", ["score-merge", "p1.json"], "p1.json",
         files={"p1.json": b'{"task": "caf\xe9"}'}),
    Case("score-merge-overlap", ["score-merge", "p1.json", "p2.json"], "repeats key 'u0'",
         files={"p1.json": '{"task": "tone", "per_key": {"u0": 1}}',
                "p2.json": '{"task": "tone", "per_key": {"u0": 0}}'}),
    Case("summarize-missing", ["summarize", "s.json"], "s.json does not exist"),
    Case("summarize-not-json", ["summarize", "s.json"], "is not a JSON scores file",
         files={"s.json": ""}),
    Case("summarize-list", ["summarize", "s.json"], "expected an object", files={"s.json": "[1]"}),
    Case("summarize-latin1", ["summarize", "s.json"], "s.json", files={"s.json": b'{"a\xe9": 1}'}),
    Case("summarize-folder", ["summarize", "sdir"], "sdir", files={"sdir": None}),
]


def _write(cwd: Path, files: dict[str, str | bytes | None]) -> None:
    for name, content in files.items():
        path = cwd / name
        if content is None:
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))


def test_the_table_is_big_enough():
    assert len(CASES) >= 60 and len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path, good_template, invoke):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    copy_good(good_template, cwd / GOOD)
    _write(cwd, case.files)
    fds = case.setup(cwd) if case.setup else []
    try:
        code, out, err = invoke(case.args, cwd)
    finally:
        for fd in fds:
            os.close(fd)
    assert "Traceback" not in err and "internal error" not in err, err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    assert code == case.code, f"exit {code}: {err}"
    shown = errors[0] if case.code == 2 else out
    assert case.needle in shown, f"{case.needle!r} not in:\n{shown}"

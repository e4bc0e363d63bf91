"""recipes/TEMPLATE end to end on its tiny config, then again (every stage skips)."""

from __future__ import annotations

import json
import shutil
import subprocess

from tests.conftest import ROOT, cli_env


def test_template_recipe_end_to_end(tmp_path):
    recipe = tmp_path / "recipes" / "TEMPLATE"  # run.sh sources ../../tools/recipe_lib.sh
    shutil.copytree(ROOT / "recipes" / "TEMPLATE", recipe,
                    ignore=shutil.ignore_patterns("exp", "data", "dump", "corpus"))
    (tmp_path / "tools").mkdir()
    shutil.copy(ROOT / "tools" / "recipe_lib.sh", tmp_path / "tools" / "recipe_lib.sh")
    env = cli_env()

    def run(*args):
        return subprocess.run(["./run.sh", "--config", "conf/tiny.yaml", "--nj", "2", *args],
                              cwd=recipe, env=env, capture_output=True, text=True, timeout=600)

    first = run()
    assert first.returncode == 0, first.stderr[-3000:]
    scores = json.loads((recipe / "exp/tiny/scores_test.json").read_text())
    assert scores["n"] == 6 and 0.0 <= scores["acc"] <= 1.0
    for f in ("model.pt", "model_card.md", "config.yaml", "meta.yaml", ".done"):
        assert (recipe / "exp/tiny/pack" / f).is_file(), f
    logs = sorted((recipe / "exp/tiny/decode_test/log").glob("decode.*.log"))
    assert len(logs) == 2 and all("# Ended (code 0)" in p.read_text() for p in logs)

    second = run()
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.stderr.count("skipping") >= 5  # corpus, parts, merge, train, pack ...

    bad = run("--stage", "x")
    assert bad.returncode == 2 and "--stage" in bad.stderr
    bad = run("--no-such-option", "1")
    assert bad.returncode == 2 and "unknown option" in bad.stderr

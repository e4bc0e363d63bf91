"""LICENSE, CITATION.cff and the pre-commit config say what pyproject and the papers say;
the package keeps DESIGN.md's module size."""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml

from tests.conftest import ROOT, SHARED


def test_license_file_is_the_licence_pyproject_names():
    licence = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]
    assert licence == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def test_citation_lists_the_five_papers():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["license"] == "Apache-2.0"
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert cff["version"] == version
    refs = cff["references"]
    assert len(refs) == 5 and all(r["authors"] and r["year"] for r in refs)
    papers = SHARED / "papers"
    if not papers.is_dir():
        pytest.skip(f"{papers} is absent: the titles are checked against the paper texts there")
    titles = {_norm(r["title"]) for r in refs}
    for paper in sorted(papers.glob("*.txt")):
        first = next(line for line in paper.read_text().splitlines() if line.strip())
        assert _norm(first) in titles, paper.name


def test_pre_commit_runs_ruff():
    hooks = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    assert any("ruff check" in h["entry"] for h in hooks)


def test_no_toolkit_module_is_longer_than_the_design_allows():
    """DESIGN.md: modules of 100-350 lines; a longer one is split where its parts separate."""
    long = {str(p.relative_to(ROOT)): n for p in sorted((ROOT / "toolkit").rglob("*.py"))
            if (n := len(p.read_text().splitlines())) > 350}
    assert not long, f"split these modules (lines): {long}"

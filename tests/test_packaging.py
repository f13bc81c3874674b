"""Packaging facts a user relies on: the citation file, the extras and their install notes."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_citation_file_names_the_project_and_the_paper_of_docs_method():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software" and cff["authors"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert str(cff["version"]) == project["version"] and cff["license"] == "MIT"
    paper = cff["references"][0]
    method = " ".join((ROOT / "docs" / "method.md").read_text(encoding="utf-8").split())
    assert paper["title"] in method and paper["identifiers"][0]["value"] in method
    assert all(a["family-names"] in method for a in paper["authors"])


def test_optional_dependencies_are_extras_that_the_dev_extra_installs():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = " ".join(project["dependencies"])
    extras = project["optional-dependencies"]
    for extra, package in (("digits", "scikit-learn"), ("mlflow", "mlflow"), ("ray", "ray")):
        assert package not in base and any(d.startswith(package) for d in extras[extra])
        assert any(d.startswith(package) for d in extras["dev"])  # make test on a fresh clone has them
        assert f"'.[{extra}]'" in (ROOT / "README.md").read_text(encoding="utf-8")

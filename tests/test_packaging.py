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


LAZY_PACKAGES = ("basinlab", "basinlab.experiments")


def test_no_lazily_exported_name_is_also_a_submodule_name():
    """Importing a submodule sets the package attribute of its name, which then shadows a lazy export of the same
    name: ``from basinlab.experiments import plan`` gave the module once ``basinlab.experiments.plan`` had been
    imported by another test (issue 12 item 6)."""
    import importlib
    import pkgutil

    for name in LAZY_PACKAGES:
        package = importlib.import_module(name)
        submodules = {m.name for m in pkgutil.iter_modules(package.__path__)}
        assert not submodules & set(package._EXPORTS), name


def test_lazy_exports_are_the_objects_after_every_submodule_was_imported():
    import importlib
    import inspect
    import pkgutil

    for name in LAZY_PACKAGES:
        package = importlib.import_module(name)
        for sub in pkgutil.iter_modules(package.__path__):
            if name == "basinlab" and sub.name in ("__main__",):
                continue
            importlib.import_module(f"{name}.{sub.name}")
        for export in package._EXPORTS:
            assert not inspect.ismodule(getattr(package, export)), f"{name}.{export}"

"""Experiment specs: a TOML file validated into frozen dataclasses.

Every bad key or value raises :class:`~basinlab.errors.ConfigError` naming its key path (e.g.
``train.variants[1].optimizer``) and the accepted values. See ``experiments/*.toml`` for examples.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..data.dataset import ACCEPTED_DATASETS, DATASET_NAMES
from ..errors import ConfigError, check_name, describe_choices
from ..normalization import DIRECTION_DRAWS, NORMALIZATIONS
from ..usercode import check_reference, is_reference
from ._check import Table, check_float, check_int, deep_merge, join
from .spec_train import Variant, parse_variants, train_config_kwargs

__all__ = ["ExperimentSpec", "ModelSection", "Variant", "LandscapeSpec", "VolumeSettings", "load_spec", "parse_spec",
           "check_runnable",
           "train_config_kwargs"]

MODEL_KINDS = ("mlp", "cnn")
PAIRINGS = ("zip", "product")
EPOCH_CHOICES = ("final", "checkpoints", "all")
TOP_KEYS = ("name", "description", "dataset", "seeds", "model", "train", "poison", "volume", "measures",
            "resources", "profiles")


@dataclass(frozen=True)
class ModelSection:
    """Model spec without the data-derived ``input_shape`` / ``num_classes`` (filled in when training)."""

    kind: str = "mlp"
    hidden: tuple[int, ...] = (256, 128)
    dropout: float = 0.0
    options: tuple[tuple[str, Any], ...] = ()

    @property
    def user(self) -> bool:
        """True for a user's own model (``kind = 'module:callable'``)."""
        return is_reference(self.kind)


@dataclass(frozen=True)
class LandscapeSpec:
    """An extra landscape: ``size`` clean examples (count, fraction or None = all) of ``split``."""

    label: str
    size: int | float | None = None
    split: str = "train"
    poison: int = 0


@dataclass(frozen=True)
class VolumeSettings:
    """Settings passed to ``basinlab.volume.measure_volume`` plus which landscapes and epochs to measure."""

    enabled: bool = True
    thresholds: tuple[float, ...] = (0.1,)
    directions: int = 500
    rtol: float = 1e-4
    filter_normalize: bool = True
    normalization: str | None = None                   # overrides filter_normalize; see measure_volume
    direction_draw: str = "explicit"                   # 'explicit' | 'rowspace' (N < input width); see measure_volume
    max_coefficient: float | None = None
    batch_directions: int | None = None
    seed: int = 0
    landscapes: str | tuple[int | float, ...] = "own"   # 'own' | 'all' | explicit sizes
    extra_landscapes: tuple[LandscapeSpec, ...] = ()
    epochs: str = "final"                              # 'final' | 'checkpoints' | 'all'
    accuracy_thresholds: tuple[float, ...] = ()         # training-accuracy levels (threshold_kind 'accuracy')


@dataclass(frozen=True)
class ExperimentSpec:
    """A whole experiment: the grid of trainings and the measurements made on every trained model."""

    name: str
    description: str
    dataset: str
    dataset_options: tuple[tuple[str, Any], ...]
    data_dir: str | None
    sizes: tuple[int | float | None, ...]
    test_size: int | None
    imbalance: tuple[float, ...] | None
    model_seeds: tuple[int, ...]
    data_seeds: tuple[int, ...]
    seed_pairing: str
    model: ModelSection
    variants: tuple[Variant, ...]
    poison: tuple[int, ...]
    volume: VolumeSettings
    measures: tuple[tuple[str, Any], ...]
    num_cpus: int | None   # None: the executor decides (local: every core; process pool: cores / workers; Ray: 1)
    num_gpus: float
    profile: str | None

    @property
    def seed_pairs(self) -> list[tuple[int, int]]:
        """(model seed, data seed) pairs: zipped or the full product, in spec order."""
        if self.seed_pairing == "zip":
            return list(zip(self.model_seeds, self.data_seeds, strict=True))
        return [(m, d) for d in self.data_seeds for m in self.model_seeds]


def load_spec(source: str | Path, profile: str | None = None) -> tuple[ExperimentSpec, str]:
    """Read a TOML file (or TOML text if ``source`` contains a newline); returns ``(spec, toml_text)``."""
    if isinstance(source, str) and "\n" in source:
        text = source
    else:
        path = Path(source)
        if path.is_dir():
            raise ConfigError(f"spec file {str(path)!r} is a folder; pass a TOML file such as experiments/quickstart.toml")
        if not path.is_file():
            raise ConfigError(f"spec file {str(path)!r} does not exist; pass a TOML file such as experiments/quickstart.toml")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"spec file {str(path)!r} is not UTF-8 text ({exc.reason} at byte {exc.start}); "
                              "pass a TOML file such as experiments/quickstart.toml") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"spec is not valid TOML: {exc}") from exc
    return parse_spec(data, profile=profile), text


def parse_spec(data: dict[str, Any], profile: str | None = None) -> ExperimentSpec:
    """Validate a parsed TOML document, with ``[profiles.<profile>]`` deep-merged over the base first."""
    root = Table(data, "", TOP_KEYS)
    profiles = root.raw("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"profiles: expected a table of profiles, got {profiles!r}")
    for pname, override in profiles.items():  # validate every profile, not only the selected one
        if not isinstance(override, dict) or "profiles" in override:
            raise ConfigError(f"profiles.{pname}: expected a table of overrides (without 'profiles')")
    if profile is not None:
        if profile not in profiles:
            raise ConfigError(f"profile {profile!r} is not in this spec; use {describe_choices(sorted(profiles)) or 'no --profile'}")
        data = deep_merge({k: v for k, v in data.items() if k != "profiles"}, profiles[profile])
    else:
        for pname, override in profiles.items():
            _parse(deep_merge({k: v for k, v in data.items() if k != "profiles"}, override), pname, f"profiles.{pname}")
    return _parse(data, profile, "")


def _parse(data: dict[str, Any], profile: str | None, where: str) -> ExperimentSpec:
    try:
        return _parse_inner(data, profile)
    except ConfigError as exc:
        if where:
            raise ConfigError(f"{exc} (with {where} applied)") from None
        raise


def _parse_inner(data: dict[str, Any], profile: str | None) -> ExperimentSpec:
    root = Table(data, "", TOP_KEYS)
    name = check_name(root.str("name"), "name")
    ds = root.table("dataset", ("name", "options", "data_dir", "sizes", "test_size", "imbalance"))
    dataset = ds.str("name")
    if is_reference(dataset):  # your own data: imported and called by check_runnable, not while parsing
        check_reference(dataset, ds.key("name"), ACCEPTED_DATASETS)
    else:
        dataset = ds.str("name", choices=DATASET_NAMES)
    options = ds.raw("options", {})
    if not isinstance(options, dict):
        raise ConfigError(f"dataset.options: expected a table, got {options!r}")
    _check_dataset_options(dataset, options)
    imbalance = ds.raw("imbalance", None)
    if imbalance is not None:
        imbalance = tuple(check_float(f, join("dataset.imbalance", i), lo=0.0, hi=1.0)
                          for i, f in enumerate(ds.list("imbalance")))
    seeds = root.table("seeds", ("model", "data", "pairing"))
    model_seeds = _int_list(seeds, "model", [0])
    data_seeds = _int_list(seeds, "data", [0])
    pairing = seeds.str("pairing", "product", choices=PAIRINGS)
    if pairing == "zip" and len(model_seeds) != len(data_seeds):
        raise ConfigError(f"seeds.pairing: 'zip' needs as many data seeds as model seeds "
                          f"({len(data_seeds)} vs {len(model_seeds)}); use 'product' or equal-length lists")
    poison = root.table("poison", ("amounts", "base_size"))
    amounts = tuple(_int_list(poison, "amounts", [0], lo=0))
    sizes = _sizes(ds, poison)
    _check_sizes_fit(dataset, options, sizes, "poison.base_size" if ds.raw("sizes", None) is None else ds.key("sizes"),
                     amounts)
    return ExperimentSpec(
        name=name, description=root.str("description", ""), dataset=dataset,
        dataset_options=tuple(sorted(options.items())), data_dir=ds.str("data_dir", None),
        sizes=sizes, test_size=ds.int("test_size", None, lo=1, none_ok=True), imbalance=imbalance,
        model_seeds=tuple(model_seeds), data_seeds=tuple(data_seeds), seed_pairing=pairing,
        model=_model(root), variants=parse_variants(root), poison=amounts, volume=_volume(root),
        measures=tuple(sorted(root.table("measures", _measure_keys(root)).data.items())),
        num_cpus=root.table("resources", ("num_cpus", "num_gpus")).int("num_cpus", None, lo=1, none_ok=True),
        num_gpus=root.table("resources", ("num_cpus", "num_gpus")).float("num_gpus", 0.0, lo=0.0),
        profile=profile,
    )


def check_runnable(spec: ExperimentSpec) -> None:
    """The checks a run makes on the file system before its first task: ``dataset.data_dir`` (or ``--data-dir``)
    is an existing folder, and a file-based dataset's train and test files are present when downloading is off
    (``BASINLAB_DOWNLOAD=0``); and the resource guard: the spec's model, on this dataset, fits in memory
    (``BASINLAB_MAX_MEMORY`` / ``--max-memory``, else the available memory; :func:`basinlab.models.size.check_fits`).
    Raises :class:`ConfigError` / :class:`~basinlab.errors.DataError`."""
    from ..data.locate import FILE_DATASETS, _download_allowed, locate
    from ..errors import check_input_dir

    check_input_dir(spec.data_dir, "dataset.data_dir (or --data-dir)")
    _check_user_code(spec)
    if spec.dataset in FILE_DATASETS and not _download_allowed(None):
        for split in ("train", "test"):
            locate(spec.dataset, split, spec.data_dir, download=False)
    _check_model_fits(spec)


def _check_model_fits(spec: ExperimentSpec) -> None:
    """The spec's model (``[model]`` with the dataset's input shape and classes) is valid and fits in memory (a
    user's ``module:callable`` model is built, and so checked, by :func:`_check_user_code`)."""
    from ..data.sources import dataset_info
    from ..models import ModelSpec
    from ..models.size import check_fits

    if is_reference(spec.model.kind):
        return
    info = dataset_info(spec.dataset, **dict(spec.dataset_options))
    m = spec.model
    try:
        model = ModelSpec(kind=m.kind, input_shape=tuple(info["input_shape"]), num_classes=info["num_classes"],
                          hidden=m.hidden, dropout=m.dropout, options=dict(m.options))
    except ConfigError as exc:
        raise ConfigError(f"model: {exc}") from None
    check_fits(model, what=f"model.hidden: {list(m.hidden)} on {spec.dataset}")


def _check_user_code(spec: ExperimentSpec) -> None:
    """Import and call a user's dataset (``dataset.name = 'module:callable'``) and model (``model.kind``) once, so a
    bad reference, a missing module or a wrong return type fails before the first task, naming the key."""
    from ..models import ModelSpec, build_model

    if not (is_reference(spec.dataset) or is_reference(spec.model.kind)):
        return
    options = dict(spec.dataset_options)
    from ..data.sources import dataset_info

    info = dataset_info(spec.dataset, **options)
    _check_sizes_fit(spec.dataset, options, spec.sizes, "dataset.sizes", spec.poison, called=True)
    if is_reference(spec.model.kind):
        model = ModelSpec(kind=spec.model.kind, input_shape=info["input_shape"], num_classes=info["num_classes"],
                          options=spec.model.options)
        build_model(model, seed=0)


def _check_dataset_options(name: str, options: dict[str, Any]) -> None:
    """Options are validated by ``basinlab.data`` itself."""
    from ..data.sources import resolve_options

    try:
        resolve_options(name, options)
    except ConfigError as exc:
        raise ConfigError(f"dataset.options: {exc}") from None


def _check_sizes_fit(dataset: str, options: dict[str, Any], sizes: tuple[int | float | None, ...], key: str,
                     poison: tuple[int, ...] = (0,), called: bool = False) -> None:
    """Training-set counts must fit in the dataset's training split (official sizes; generated sets are built), and
    so must the largest size plus the most poison (the poison pool is disjoint from the clean rows). A user's
    dataset (``module:callable``) is checked only when ``called`` (by :func:`check_runnable`)."""
    if is_reference(dataset) and not called:
        return
    from ..data.sources import dataset_info
    from ..data.subsets import resolve_size

    counts = [s for s in sizes if isinstance(s, int)]
    most_poison = max(poison, default=0)
    if not counts and not most_poison:
        return
    available = dataset_info(dataset, **options)["train_size"]
    if counts and max(counts) > available:
        raise ConfigError(f"{key}: {max(counts):,} examples asked, but the {dataset} training split has {available:,}; "
                          f"use counts up to {available:,} or fractions in (0, 1]")
    largest = max(resolve_size(s, available) for s in sizes)
    if largest + most_poison > available:
        raise ConfigError(f"poison.amounts: {most_poison:,} poison examples with training size {largest:,} need "
                          f"{largest + most_poison:,} rows, but the {dataset} training split has {available:,} (size + "
                          f"poison must be at most {available:,}); use amounts up to {max(available - largest, 0):,} "
                          f"or smaller {key}")


def _measure_keys(root: Table) -> tuple[str, ...]:
    """Any key is accepted here; ``basinlab.measures`` validates the table when the plan is made."""
    value = root.raw("measures", {})
    return tuple(value) if isinstance(value, dict) else ()


def _int_list(table: Table, key: str, default: list[int], lo: int | None = None) -> list[int]:
    values = table.list(key, default)
    return [check_int(v, join(table.key(key), i), lo=lo) for i, v in enumerate(values)]


def _sizes(ds: Table, poison: Table) -> tuple[int | float | None, ...]:
    """Training sizes: counts, fractions in (0, 1], or ``{logspace = [min, max, n]}`` (rounded counts)."""
    base = poison.int("base_size", None, lo=1, none_ok=True)
    raw = ds.raw("sizes", None)
    if raw is None:
        return (base,)
    if base is not None:
        raise ConfigError("poison.base_size: give either poison.base_size or dataset.sizes, not both")
    path = ds.key("sizes")
    if isinstance(raw, dict):
        spec = Table(raw, path, ("logspace",))
        values = spec.list("logspace")
        if len(values) != 3:
            raise ConfigError(f"{path}.logspace: expected [min, max, n], got {values!r}")
        lo = check_float(values[0], f"{path}.logspace[0]", lo=1.0)
        hi = check_float(values[1], f"{path}.logspace[1]", lo=lo)
        n = check_int(values[2], f"{path}.logspace[2]", lo=1)
        points = [lo] if n == 1 else [math.exp(math.log(lo) + i * (math.log(hi) - math.log(lo)) / (n - 1)) for i in range(n)]
        return tuple(sorted({int(round(p)) for p in points}))
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{path}: expected a list of counts or fractions, or {{logspace = [min, max, n]}}; got {raw!r}")
    out: list[int | float] = []
    for i, v in enumerate(raw):
        if isinstance(v, float):
            out.append(check_float(v, join(path, i), lo=0.0, hi=1.0, lo_open=True))
        else:
            out.append(check_int(v, join(path, i), lo=1))
    if len({type(v) for v in out}) > 1:
        raise ConfigError(f"{path}: mix of counts and fractions {raw!r}; use all counts (ints) or all fractions (floats)")
    if len(set(out)) != len(out):
        raise ConfigError(f"{path}: duplicate sizes in {raw!r}")
    return tuple(sorted(out))


def _model(root: Table) -> ModelSection:
    m = root.table("model", ("kind", "hidden", "dropout", "options"))
    options = m.raw("options", {})
    if not isinstance(options, dict):
        raise ConfigError(f"model.options: expected a table, got {options!r}")
    kind = m.str("kind", "mlp")
    if is_reference(kind):  # your own model: [model.options] are its keywords; imported by check_runnable
        from ..models.spec import ACCEPTED_KINDS

        check_reference(kind, "model.kind", ACCEPTED_KINDS)
        for key in ("hidden", "dropout"):
            if m.has(key):
                raise ConfigError(f"model.{key}: not used by your own model kind {kind!r}; pass its arguments "
                                  f"in [model.options] (they become keywords of {kind.partition(':')[2]})")
        return ModelSection(kind=kind, hidden=(), dropout=0.0, options=tuple(sorted(options.items())))
    hidden = m.list("hidden", [256, 128], nonempty=False)
    return ModelSection(
        kind=m.str("kind", "mlp", choices=MODEL_KINDS),
        hidden=tuple(check_int(h, join("model.hidden", i), lo=1) for i, h in enumerate(hidden)),
        dropout=m.float("dropout", 0.0, lo=0.0, hi=0.99), options=tuple(sorted(options.items())))


def _volume(root: Table) -> VolumeSettings:
    keys = ("enabled", "thresholds", "directions", "rtol", "filter_normalize", "normalization", "max_coefficient",
            "batch_directions", "direction_draw",
            "seed", "landscapes", "extra_landscapes", "epochs", "accuracy_thresholds")
    v = root.table("volume", keys)
    accuracy = tuple(check_float(x, join("volume.accuracy_thresholds", i), lo=0.0, hi=1.0, lo_open=True)
                     for i, x in enumerate(v.list("accuracy_thresholds", [], nonempty=False)))
    thresholds = tuple(check_float(x, join("volume.thresholds", i), lo=0.0, lo_open=True)
                       for i, x in enumerate(v.list("thresholds", [0.1])))
    land = v.raw("landscapes", "own")
    if isinstance(land, str):
        if land not in ("own", "all"):
            raise ConfigError(f"volume.landscapes: {land!r} is not allowed; use 'own', 'all' or a list of sizes")
    elif isinstance(land, list) and land:
        land = tuple(check_float(x, join("volume.landscapes", i), lo=0.0, lo_open=True) if isinstance(x, float)
                     else check_int(x, join("volume.landscapes", i), lo=1) for i, x in enumerate(land))
    else:
        raise ConfigError(f"volume.landscapes: expected 'own', 'all' or a non-empty list of sizes, got {land!r}")
    extras = []
    for i, item in enumerate(v.list("extra_landscapes", [], nonempty=False)):
        e = Table(item, f"volume.extra_landscapes[{i}]", ("label", "size", "split", "poison"))
        size = e.raw("size", None)
        if size is not None:
            size = (check_float(size, e.key("size"), lo=0.0, hi=1.0, lo_open=True) if isinstance(size, float)
                    else check_int(size, e.key("size"), lo=1))
        extras.append(LandscapeSpec(e.str("label"), size, e.str("split", "train", choices=("train", "test")),
                                    e.int("poison", 0, lo=0)))
    return VolumeSettings(
        enabled=v.bool("enabled", True), thresholds=thresholds, directions=v.int("directions", 500, lo=1),
        rtol=v.float("rtol", 1e-4, lo=1e-12, hi=0.1), filter_normalize=v.bool("filter_normalize", True),
        normalization=v.str("normalization", None, choices=NORMALIZATIONS),
        direction_draw=v.str("direction_draw", "explicit", choices=DIRECTION_DRAWS),
        max_coefficient=v.float("max_coefficient", None, lo=0.0, lo_open=True, none_ok=True),
        batch_directions=v.int("batch_directions", None, lo=1, none_ok=True), seed=v.int("seed", 0, lo=0),
        landscapes=land, extra_landscapes=tuple(extras), epochs=v.str("epochs", "final", choices=EPOCH_CHOICES),
        accuracy_thresholds=accuracy)

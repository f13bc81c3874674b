"""Spec validation: every malformed spec gives one ConfigError line naming its key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from basinlab.errors import ConfigError
from basinlab.experiments import QUICKSTART_TOML, load_spec, plan

ROOT = Path(__file__).resolve().parents[2]
RECIPES = sorted((ROOT / "experiments").glob("*.toml"))

BASE = """
name = "t"
[dataset]
name = "swiss-roll"
sizes = [10, 20]
[train]
epochs = 5
"""

# (extra TOML appended to / replacing BASE, regex the one-line message must match)
MALFORMED = [
    ('name = "t"\n[dataset]\nname = "swiss-roll"\n[train]\nepochs = 5\nfoo = 1', r"^train\.foo: unknown key"),
    (BASE + "[volume]\nthreshold = 0.1", r"^volume\.threshold: unknown key.*'thresholds'"),
    (BASE.replace('"swiss-roll"', '"imagenet"'), r"^dataset\.name: 'imagenet' is not allowed; use .*'mnist'"),
    (BASE + '[[train.variants]]\nname = "a"\n[[train.variants]]\nname = "b"\noptimizer = "adam"',
     r"^train\.variants\[1\]\.optimizer: 'adam' is invalid; use 'adamw' or 'sgd'$"),
    (BASE + '[[train.variants]]\nname = "a"\n[[train.variants]]\nname = "a"\nlr = 0.1',
     r"^train\.variants\[1\]\.name: 'a' is used twice"),
    (BASE.replace("[10, 20]", "[10, 0.5]"), r"^dataset\.sizes: mix of counts and fractions"),
    (BASE.replace("[10, 20]", "[10, 1.5]"), r"^dataset\.sizes\[1\]: must be at most 1.0"),
    (BASE.replace("[10, 20]", "[10, -3]"), r"^dataset\.sizes\[1\]: must be at least 1"),
    (BASE.replace("[10, 20]", "{logspace = [10, 100]}"), r"^dataset\.sizes\.logspace: expected \[min, max, n\]"),
    (BASE.replace("[10, 20]", "{linspace = [10, 100, 3]}"), r"^dataset\.sizes\.linspace: unknown key"),
    (BASE.replace("epochs = 5", "epochs = 0"), r"^train\.epochs: 0 is invalid; use an integer >= 1$"),
    (BASE.replace("epochs = 5", "lr = -1.0"), r"^train\.lr: -1\.0 is invalid; use a finite number > 0$"),
    (BASE.replace("epochs = 5", "lr = 0"), r"^train\.lr: 0 is invalid; use a finite number > 0$"),
    (BASE.replace("epochs = 5", 'lr = "fast"'), r"^train\.lr: 'fast' is invalid; use a finite number > 0$"),
    (BASE.replace("epochs = 5", "epochs = 5\nstop_loss = nan"),
     r"^train\.stop_loss: nan is invalid; use a finite number > 0 \(or leave the key out: train all epochs\)$"),
    (BASE.replace("epochs = 5", "epochs = 5\nbatch_size = -1"),
     r"^train\.batch_size: -1 is invalid; use an integer >= 1, or 0 for full batch$"),
    (BASE.replace("epochs = 5", "epochs = 5\nnesterov = 1"), r"^train\.nesterov: 1 is invalid; use true or false$"),
    (BASE.replace("epochs = 5", "epochs = 5\nbetas = [0.9, 1.0]"), r"^train\.betas: \[0\.9, 1\.0\] is invalid; use two"),
    (BASE.replace("epochs = 5", "epochs = 5\nwarmup_epochs = 9"),
     r"^train\.warmup_epochs: 9 is invalid; use an integer in \[0, epochs=5\)$"),
    # a cross-field error names the table the value came from: here the variant's sam_adaptive
    (BASE + '[[train.variants]]\nname = "a"\nsam_adaptive = true',
     r"^train\.variants\[0\]\.sam_adaptive: true \(ASAM\) needs sam_rho > 0"),
    (BASE.replace("epochs = 5", "epochs = 5\nnesterov = true") + '[[train.variants]]\nname = "a"\noptimizer = "sgd"',
     r"^train\.nesterov: true needs optimizer='sgd' and momentum > 0$"),
    (BASE + "[volume]\nlandscapes = \"mine\"", r"^volume\.landscapes: 'mine' is not allowed; use 'own', 'all'"),
    (BASE + "[volume]\nthresholds = [0.1, 0]", r"^volume\.thresholds\[1\]: must be greater than 0"),
    (BASE + "[volume]\ndirections = 2.5", r"^volume\.directions: expected an integer"),
    (BASE + "[volume]\nepochs = \"last\"", r"^volume\.epochs: 'last' is not allowed"),
    (BASE + "[volume]\nfilter_normalize = 1", r"^volume\.filter_normalize: expected true or false"),
    (BASE + "[[volume.extra_landscapes]]\nsize = 10", r"^volume\.extra_landscapes\[0\]\.label: required key is missing"),
    (BASE + "[seeds]\nmodel = [0, 1]\ndata = [0]\npairing = \"zip\"", r"^seeds\.pairing: 'zip' needs as many"),
    (BASE + "[seeds]\nmodel = [0, true]", r"^seeds\.model\[1\]: expected an integer"),
    (BASE + "[model]\nkind = \"rnn\"", r"^model\.kind: 'rnn' is not allowed; use 'mlp' or 'cnn'"),
    (BASE + "[model]\nhidden = [32, 0]", r"^model\.hidden\[1\]: must be at least 1"),
    (BASE + "[poison]\namounts = [0, -5]", r"^poison\.amounts\[1\]: must be at least 0"),
    (BASE + "[poison]\nbase_size = 100", r"^poison\.base_size: give either poison\.base_size or dataset\.sizes"),
    (BASE + "[profiles.quick]\ntrain = { epochs = -1 }", r"^train\.epochs: -1 is invalid; use an integer >= 1 \(with profiles\.quick applied\)$"),
    (BASE + "[profiles.quick]\ntrain = { optimiser = \"sgd\" }", r"^train\.optimiser: unknown key"),
    (BASE.replace('"swiss-roll"', '"swiss-roll"\noptions = { n_totl = 5 }'),
     r"^dataset\.options: dataset 'swiss-roll' has no option\(s\) \['n_totl'\]"),
    (BASE + "[resources]\nnum_cpus = 0", r"^resources\.num_cpus: must be at least 1"),
    ("colour = 1\n" + BASE, r"^colour: unknown key; allowed keys here are 'dataset', 'description'"),
    ('[dataset]\nname = "digits"', r"^name: required key is missing"),
    (BASE.replace('name = "t"', 'name = "a b"'), r"^name: 'a b' may contain only"),
    ("name = ", r"^spec is not valid TOML"),
]


@pytest.mark.parametrize("text,pattern", [m for m in MALFORMED if m[1] is not None])
def test_malformed_spec_names_the_key(text, pattern):
    with pytest.raises(ConfigError, match=pattern) as info:
        load_spec(text + "\n")
    assert "\n" not in str(info.value)


def test_unknown_profile_lists_available_ones():
    with pytest.raises(ConfigError, match=r"profile 'fast' is not in this spec; use 'paper', 'quick' or 'scaled'"):
        load_spec(QUICKSTART_TOML, profile="fast")


def test_sizes_forms():
    spec, _ = load_spec(BASE.replace("[10, 20]", "{logspace = [10, 1000, 3]}"))
    assert spec.sizes == (10, 100, 1000)
    spec, _ = load_spec(BASE.replace("[10, 20]", "[0.5, 0.1, 1.0]"))
    assert spec.sizes == (0.1, 0.5, 1.0)


def test_profile_is_deep_merged_over_base():
    text = BASE + "lr = 0.01\n[profiles.quick]\ntrain = { epochs = 2 }\ndataset.sizes = [7]\n"
    base, _ = load_spec(text)
    quick, _ = load_spec(text, profile="quick")
    assert dict(quick.variants[0].config)["epochs"] == 2
    assert dict(quick.variants[0].config)["lr"] == 0.01       # kept from the base table
    assert quick.sizes == (7,) and base.sizes == (10, 20)
    assert quick.dataset == "swiss-roll" and quick.profile == "quick"


def test_variants_inherit_train_defaults():
    spec, _ = load_spec(BASE + '[[train.variants]]\nname = "adamw"\n[[train.variants]]\nname = "sam"\nsam_rho = 0.05\n')
    a, s = (dict(v.config) for v in spec.variants)
    assert a["epochs"] == s["epochs"] == 5 and "sam_rho" not in a and s["sam_rho"] == 0.05


def test_embedded_quickstart_matches_recipe_file():
    assert (ROOT / "experiments" / "quickstart.toml").read_text() == QUICKSTART_TOML


def test_recipe_corpus_is_present():
    assert len(RECIPES) >= 15, [r.name for r in RECIPES]


@pytest.mark.parametrize("recipe", RECIPES, ids=[r.stem for r in RECIPES])
def test_every_recipe_parses_and_plans(recipe):
    spec, _ = load_spec(recipe)
    full = plan(spec).counts()
    assert full.get("train", 0) >= 1
    quick, _ = load_spec(recipe, profile="quick")  # every recipe has a quick profile
    assert sum(plan(quick).counts().values()) <= sum(full.values())


PROFILES = ("paper", "scaled", "quick")


@pytest.mark.parametrize("recipe", RECIPES, ids=[r.stem for r in RECIPES])
def test_every_recipe_has_paper_scaled_and_quick_profiles(recipe):
    text = recipe.read_text()
    for name in PROFILES:
        spec, _ = load_spec(recipe, profile=name)  # raises ConfigError when missing or invalid
        assert plan(spec).counts().get("train", 0) >= 1, (recipe.stem, name)
    header = text[: text.index("\nname = ")]
    assert "Deviations of the defaults from the paper profile" in header, recipe.stem  # stated, even if "none"
    sizes = {name: sum(plan(load_spec(recipe, profile=name)[0]).counts().values()) for name in PROFILES}
    assert sizes["scaled"] <= sizes["paper"] and sizes["quick"] <= sizes["paper"], sizes


# The research code's protocol for the MNIST family (docs/method.md section 4): (dataset, mean, epochs, thresholds)
PROTOCOL = {
    "fashion_mnist_data_size": ("fashion-mnist", 2000, (0.1, 0.05, 0.02)),
    "mnist_data_size": ("mnist", 500, (0.1, 0.05, 0.02, 0.01)),
}


@pytest.mark.parametrize("stem", sorted(PROTOCOL))
def test_paper_profile_is_the_research_codes_protocol(stem):
    dataset, epochs, thresholds = PROTOCOL[stem]
    spec, _ = load_spec(ROOT / "experiments" / f"{stem}.toml", profile="paper")
    assert spec.dataset == dataset and dict(spec.dataset_options)["normalize"] == "standard"
    assert spec.sizes == (60, 600, 2000, 6000, 20000, 60000)  # base 60 + first k, k in {0, 540, ..., 59940}
    (variant,) = spec.variants
    cfg = dict(variant.config)
    assert cfg["optimizer"] == "adamw" and cfg["lr"] == 1e-3 and cfg["weight_decay"] == 0.01
    assert cfg["batch_size"] == 0 and cfg["epochs"] == epochs and "stop_loss" not in cfg
    assert spec.volume.thresholds == thresholds and spec.volume.directions == 500
    assert spec.volume.filter_normalize and spec.volume.landscapes == "all"
    default, _ = load_spec(ROOT / "experiments" / f"{stem}.toml")
    assert default.variants == spec.variants and default.volume == spec.volume  # the defaults follow the paper
    scaled, _ = load_spec(ROOT / "experiments" / f"{stem}.toml", profile="scaled")
    assert scaled.variants == spec.variants and dict(scaled.dataset_options) == dict(spec.dataset_options)


def test_volume_normalization_reaches_the_volume_tasks_only_when_set():
    plain, _ = load_spec(BASE)
    chosen, _ = load_spec(BASE + '[volume]\nnormalization = "elementwise"\n')
    assert plain.volume.normalization is None and chosen.volume.normalization == "elementwise"
    settings = [t.inputs["settings"] for t in plan(chosen).tasks if t.kind == "volume"]
    assert settings and all(s["normalization"] == "elementwise" for s in settings)
    assert all("normalization" not in t.inputs["settings"] for t in plan(plain).tasks if t.kind == "volume")
    with pytest.raises(ConfigError, match=r"^volume\.normalization: 'filter' is not allowed; use .*'elementwise'"):
        load_spec(BASE + '[volume]\nnormalization = "filter"\n')


def test_spec_direction_draw_reaches_the_volume_tasks_only_when_set():
    plain, _ = load_spec(BASE)
    chosen, _ = load_spec(BASE + '[volume]\ndirection_draw = "rowspace"\n')
    assert plain.volume.direction_draw == "explicit" and chosen.volume.direction_draw == "rowspace"
    settings = [t.inputs["settings"] for t in plan(chosen).tasks if t.kind == "volume"]
    assert settings and all(s["direction_draw"] == "rowspace" for s in settings)
    # the default leaves the task settings (and so the task ids of existing specs) as they were
    assert all("direction_draw" not in t.inputs["settings"] for t in plan(plain).tasks if t.kind == "volume")
    with pytest.raises(ConfigError, match=r"^volume\.direction_draw: 'fast' is not allowed; use .*'rowspace'"):
        load_spec(BASE + '[volume]\ndirection_draw = "fast"\n')


@pytest.mark.parametrize("text, message", [
    ('name = "t"\n[dataset]\nname = "swiss-roll"\noptions = { n_total = 100 }\nsizes = [500]\n',
     r"^dataset\.sizes: 500 examples asked, but the swiss-roll training split has 100; use counts up to 100"),
    ('name = "t"\n[dataset]\nname = "fashion-mnist"\nsizes = [1000000000000]\n',
     r"^dataset\.sizes: 1,000,000,000,000 examples asked, but the fashion-mnist training split has 60,000"),
    ('name = "t"\n[dataset]\nname = "swiss-roll"\n[poison]\nbase_size = 5000\n',
     r"^poison\.base_size: 5,000 examples asked, but the swiss-roll training split has 2,000"),
    (BASE + "[volume]\nrtol = 0.5\n", r"^volume\.rtol: must be at most 0\.1, got 0\.5"),
    (BASE + "[volume]\nseed = -1\n", r"^volume\.seed: must be at least 0, got -1"),
])
def test_validate_refuses_what_every_task_would_refuse(text, message):
    """'valid' means the run can start: sizes fit the dataset, engine options are in the engine's ranges."""
    with pytest.raises(ConfigError, match=message):
        load_spec(text)


@pytest.mark.parametrize("name", ["..", ".", ".hidden", "a/b", "../escaped", ""])
def test_spec_names_stay_inside_the_runs_folder(name):
    with pytest.raises(ConfigError, match=r"^name: .* may not start with '\.'|^name: expected a non-empty string"):
        load_spec(BASE.replace('name = "t"', f"name = {name!r}".replace("'", '"')))


def test_train_keys_are_the_fields_of_train_config():
    """The spec's [train] keys are TrainConfig's fields (but the seed, which is the model seed): one concept."""
    from dataclasses import fields

    from basinlab.experiments.spec_train import TRAIN_KEYS
    from basinlab.train import TrainConfig

    assert set(TRAIN_KEYS) == {f.name for f in fields(TrainConfig)} - {"seed"}

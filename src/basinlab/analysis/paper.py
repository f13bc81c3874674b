"""The basin-volume paper's reported figures, as data with their source (docs/method.md §2 and §4).

Nothing here is computed from a run: :mod:`basinlab.analysis.claims` compares a run's numbers with these.
Architectures are recognised from a model's parameter count (the models table has no architecture column),
computed here from the layer sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "PaperArchitecture", "ARCHITECTURES", "PAPER_ALPHA", "PAPER_ALPHA_THRESHOLD", "PAPER_SIZE_RANGE",
    "PaperAccuracy", "PAPER_ACCURACY", "FULL_TRAINING_SET", "architecture_of", "mlp_params", "cnn_params",
]

# Images: (channels, height, width), classes.
_INPUTS: dict[str, tuple[tuple[int, int, int], int]] = {
    "mnist": ((1, 28, 28), 10),
    "fashion-mnist": ((1, 28, 28), 10),
    "cifar10": ((3, 32, 32), 10),
}
# Training-set size of each dataset (the paper's 100 %).
FULL_TRAINING_SET: dict[str, int] = {"mnist": 60_000, "fashion-mnist": 60_000, "cifar10": 50_000}


def mlp_params(inputs: int, hidden: tuple[int, ...], classes: int) -> int:
    """Weights and biases of a ReLU MLP ``inputs → hidden... → classes``."""
    widths = (inputs, *hidden, classes)
    return sum(a * b + b for a, b in zip(widths[:-1], widths[1:], strict=True))


def cnn_params(shape: tuple[int, int, int], channels: tuple[int, ...], classes: int, *, kernel: int = 3,
               fc: tuple[int, ...] = ()) -> int:
    """Parameters of basinlab's CNN: k×k conv (padding k//2) + ReLU + 2×2 max-pool blocks, then Linear layers."""
    c, h, w = shape
    total = 0
    for out in channels:
        total += c * out * kernel * kernel + out
        c, h, w = out, h // 2, w // 2
    return total + mlp_params(c * h * w, fc, classes)


@dataclass(frozen=True)
class PaperArchitecture:
    """One network of the paper: ``name`` as the paper's tables call it, and its parameter count here."""

    dataset: str
    name: str
    n_params: int
    note: str = ""


def _architectures() -> tuple[PaperArchitecture, ...]:
    (mnist_shape, k), (cifar_shape, _) = _INPUTS["mnist"], _INPUTS["cifar10"]
    flat_mnist, flat_cifar = 28 * 28, 3 * 32 * 32
    cnn_note = ("the paper does not give its CNN's layer sizes; recognised by basinlab's matching preset "
                "({}) instead")
    return (
        PaperArchitecture("mnist", "MLP", mlp_params(flat_mnist, (256, 128), k)),
        PaperArchitecture("mnist", "deep MLP", mlp_params(flat_mnist, (256, 256, 128), k)),
        PaperArchitecture("mnist", "CNN", cnn_params(mnist_shape, (32, 64), k), cnn_note.format("'cnn'")),
        PaperArchitecture("fashion-mnist", "MLP", mlp_params(flat_mnist, (256, 128), k)),
        PaperArchitecture("cifar10", "MLP", mlp_params(flat_cifar, (512, 256), k)),
        PaperArchitecture("cifar10", "CNN", cnn_params(cifar_shape, (32, 64, 128), k, fc=(256,)),
                          cnn_note.format("'cnn-cifar'")),
    )


# MNIST MLP (256, 128): 235,146; deep (256, 256, 128): 300,938; CIFAR10 MLP (512, 256): 1,707,274.
ARCHITECTURES: tuple[PaperArchitecture, ...] = _architectures()


def architecture_of(dataset: str, n_params: int) -> PaperArchitecture | None:
    """The paper's architecture on ``dataset`` with exactly ``n_params`` parameters, or None."""
    for arch in ARCHITECTURES:
        if arch.dataset == dataset and arch.n_params == int(n_params):
            return arch
    return None


# Table 1 of the paper: α = (slope of log V on log D) / n, sizes 0.1 %–100 % of the training set, at τ = 0.1.
# Key: (dataset, architecture name, optimiser: 'adamw' | 'sgd' | 'sam').
PAPER_ALPHA: dict[tuple[str, str, str], float] = {
    ("mnist", "MLP", "adamw"): -0.1835,
    ("mnist", "deep MLP", "adamw"): -0.1804,
    ("mnist", "MLP", "sgd"): -0.1447,
    ("mnist", "MLP", "sam"): -0.1485,
    ("mnist", "CNN", "adamw"): -0.0853,
    ("cifar10", "MLP", "adamw"): -0.3394,
    ("cifar10", "CNN", "adamw"): -0.2339,
    ("fashion-mnist", "MLP", "adamw"): -0.3747,
}
PAPER_ALPHA_THRESHOLD = 0.1
# Training sizes the paper's α spans (0.1 %–100 % of the training set).
PAPER_SIZE_RANGE: dict[str, tuple[int, int]] = {d: (n // 1000, n) for d, n in FULL_TRAINING_SET.items()}


@dataclass(frozen=True)
class PaperAccuracy:
    """Test accuracy in [0, 1] reported for one (dataset, architecture, training size): a value or a range."""

    dataset: str
    architecture: str
    train_size: int
    low: float
    high: float
    source: str

    def text(self) -> str:
        value = f"{100 * self.low:.1f}%" if self.low == self.high else f"{100 * self.low:.1f}–{100 * self.high:.1f}%"
        return f"{value} ({self.source})"


_TABLE = "paper, test-accuracy table (100 % / 0.1 % of the training set)"
_CODE = "research code, Fashion-MNIST MLP, 2 seeds"


def _accuracies() -> tuple[PaperAccuracy, ...]:
    rows = []
    for dataset, arch, full, tenth in (("mnist", "MLP", 0.977, 0.675), ("cifar10", "MLP", 0.528, 0.197),
                                       ("cifar10", "CNN", 0.755, 0.230), ("fashion-mnist", "MLP", 0.882, 0.639),
                                       ("mnist", "CNN", 0.991, 0.705)):
        n = FULL_TRAINING_SET[dataset]
        rows += [PaperAccuracy(dataset, arch, n, full, full, _TABLE),
                 PaperAccuracy(dataset, arch, n // 1000, tenth, tenth, _TABLE)]
    for size, low, high in ((60, 0.585, 0.683), (600, 0.778, 0.785), (2_000, 0.818, 0.820),
                            (6_000, 0.838, 0.841), (20_000, 0.860, 0.860), (60_000, 0.882, 0.887)):
        rows.append(PaperAccuracy("fashion-mnist", "MLP", size, low, high, _CODE))
    return tuple(rows)


# AdamW models; the paper's table first, then the research code's per-size results.
PAPER_ACCURACY: tuple[PaperAccuracy, ...] = _accuracies()

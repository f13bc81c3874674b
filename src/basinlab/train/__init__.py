"""basinlab.train: seeded, deterministic training (AdamW, SGD, SAM/ASAM, SWA, schedules) and safe checkpoints."""

from .checkpoint import checkpoint_paths, load_checkpoint, load_weights, read_metadata, save_checkpoint
from .config import LOSSES, OPTIMIZERS, SCHEDULES, TrainConfig
from .evaluate import evaluate
from .loop import TrainResult, make_optimizer, train
from .progress import RichProgress
from .sam import SAM
from .schedules import lr_at

__all__ = [
    # configuration
    "TrainConfig", "OPTIMIZERS", "SCHEDULES", "LOSSES",
    # training
    "train", "TrainResult", "SAM", "make_optimizer", "lr_at", "evaluate", "RichProgress",
    # checkpoints
    "save_checkpoint", "load_checkpoint", "load_weights", "read_metadata", "checkpoint_paths",
]


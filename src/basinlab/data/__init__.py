"""basinlab.data: datasets as tensors, their seeded nested subsets, and poison / imbalance / noise variants.

=============  ============  =====  ===========  ==================================================================
name           input shape   C      train/test   options (default) and inputs
=============  ============  =====  ===========  ==================================================================
swiss-roll     (2,)          2      2000/2000    n_total (2000), n_test (= n_total), noise_std (0.03), turns (1.5),
                                                 split_seed; spirals fill the unit disc
modular        (2p,)         p      30%/70%      modulus p (97), train_fraction (0.3), split_seed; two one-hot blocks
digits         (1, 8, 8)     10     1438/359     train_fraction (0.8), split_seed, normalize; sklearn's 8x8 digits
fashion-mnist  (1, 28, 28)   10     60000/10000  normalize; IDX files
mnist          (1, 28, 28)   10     60000/10000  normalize; IDX files
cifar10        (3, 32, 32)   10     50000/10000  normalize; python pickle batches (restricted unpickler)
svhn           (3, 32, 32)   10     73257/26032  normalize; train_32x32.mat / test_32x32.mat (label 10 -> 0)
=============  ============  =====  ===========  ==================================================================

Every dataset also takes ``targets`` ('index' = int64 labels, or 'onehot' = float32 rows for an MSE loss).
``normalize='unit'`` (default) scales pixels to [0, 1]; ``'standard'`` then standardises each channel with the
whole training split's mean and std (the same transform for the test split). ``split_seed`` (default: the
spec's ``seed``) fixes the generated data / train-test split independently of the subset order.

    from basinlab.data import DatasetSpec, make_dataset, load_dataset
    train = make_dataset(DatasetSpec("fashion-mnist", size=2000, seed=3, poison=60))
    test = load_dataset("fashion-mnist", split="test")
    grok = load_dataset("modular", modulus=97, train_fraction=0.3, targets="onehot")   # options as keywords
"""

from __future__ import annotations

from .cifar import read_cifar_batch, restricted_loads
from .dataset import DATASET_NAMES, Dataset, DatasetSpec
from .download import Resource, download_file, download_resources, file_checksum
from .idx import read_idx, write_idx
from .locate import cache_root, search_dirs
from .make import available_datasets, load_dataset, make_dataset
from .sources import OPTION_DEFAULTS, dataset_info
from .subsets import nested_subsets, permutation, resolve_size
from .svhn import read_svhn
from .tensors import as_tensors
from .transforms import add_noise_inputs, imbalance, poison, subset

__all__ = [
    # value types
    "DATASET_NAMES",
    "DatasetSpec",
    "Dataset",
    "OPTION_DEFAULTS",
    # building datasets
    "make_dataset",
    "load_dataset",
    "available_datasets",
    "dataset_info",
    # nested subsets
    "nested_subsets",
    "permutation",
    "resolve_size",
    # a user's data (tensors, arrays, pairs, Datasets, DataLoaders) as tensors
    "as_tensors",
    # standalone transformations
    "subset",
    "poison",
    "imbalance",
    "add_noise_inputs",
    # file formats and downloads
    "read_idx",
    "write_idx",
    "read_cifar_batch",
    "restricted_loads",
    "read_svhn",
    "search_dirs",
    "cache_root",
    "Resource",
    "download_file",
    "download_resources",
    "file_checksum",
]

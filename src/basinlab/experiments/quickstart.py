"""The quickstart recipe, embedded so ``basinlab demo`` works from an installed package.

Kept identical to ``experiments/quickstart.toml`` (a test checks this).
"""

QUICKSTART_TOML = """\
# Quickstart: data-size landscapes on the swiss roll (docs/method.md section 2, first row).
# Models are trained on nested subsets (each smaller set is a prefix of the larger) and every model's
# basin volume is measured in its own landscape and in every smaller one (the smallest, train:30 in the
# quick profile, is the cleanest comparison: every model is measured in the same landscape).
#   basinlab run experiments/quickstart.toml --profile quick     (what `basinlab demo` runs)
# Training recipe: full batch, until the training loss is below 0.001 (100x below the threshold tau = 0.1),
# so every model is an equally converged minimum of its own training set. With a fixed minibatch size the
# recipe itself changes with data size (sets smaller than the batch train full batch; larger sets take
# D/batch noisy steps per epoch, i.e. many more and noisier steps), which pushes big-set minima into wider
# basins and hides the data-size trend on this task.
# log V is dominated by the largest of the sampled radii; read it together with r_median (volumes table).
# Profiles: paper (what the paper states for the swiss roll: MLP 5x32, AdamW with PyTorch defaults, tau 0.1,
# 500 directions, 10 seeds, sizes over ~3 orders of magnitude; the rest is ours, as the paper does not state
# it); scaled (sizes 40..4,000, 3 seeds, 200 directions: not measured yet); quick (what `basinlab demo`
# runs). Deviations of the defaults from the paper profile: sizes span 2 orders of magnitude (40..4,000), not 3.
name = "quickstart"
description = "Swiss roll: basin volume of MLP minima trained on nested subsets of growing size"

[dataset]
name = "swiss-roll"
options = { n_total = 4000 }
sizes = { logspace = [40, 4000, 5] }

[seeds]
model = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
data = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
pairing = "zip"          # seed i varies both the init and the data permutation

[model]
kind = "mlp"
hidden = [32, 32, 32, 32, 32]

[train]
optimizer = "adamw"      # PyTorch defaults
lr = 1e-3
weight_decay = 0.01
batch_size = 0           # full batch: the same optimiser dynamics at every data size
epochs = 5000
stop_loss = 0.001        # train until the loss is well below the volume threshold (equal convergence)
eval_every = 10

[volume]
thresholds = [0.1]
directions = 500
landscapes = "own"       # own landscape and every smaller nested size

[profiles.paper]        # paper: swiss roll, 5 hidden layers of 32, AdamW defaults, tau 0.1, 500 directions, 10 seeds
dataset = { options = { n_total = 20000 }, sizes = { logspace = [20, 20000, 7] } }   # paper: ~3 orders; ours: n_total
train = { optimizer = "adamw", lr = 1e-3, weight_decay = 0.01, epochs = 20000 }
volume = { thresholds = [0.1], directions = 500 }

[profiles.scaled]
seeds = { model = [0, 1, 2], data = [0, 1, 2] }
volume = { directions = 200 }

[profiles.quick]
dataset.sizes = [30, 100, 300, 1000, 3000]   # two orders of magnitude
train = { lr = 3e-3 }                        # faster to the stop loss; same trend as 1e-3
volume = { directions = 100 }
"""

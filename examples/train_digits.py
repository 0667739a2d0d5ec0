"""Train a small CNN on scikit-learn's digits twice: torch.nn.Conv2d, then convkit.torch.Conv2d.

The network (8x8 grey digits, 10 classes):

    Conv2d(1, 16, 3, padding=1) - ReLU - MaxPool2d(2) - Conv2d(16, 32, 3, padding=1) - ReLU -
    MaxPool2d(2) - Flatten - Linear(32 * 2 * 2, 10)

is built once with torch's layers; a deep copy made before any training step is handed to
``convkit.torch.convert``, which swaps its two Conv2d layers for ``convkit.torch.Conv2d`` in place
(same parameters, same state_dict), so both runs start from the same weights. Both are then
trained the same way: the same optimizer (SGD with momentum, or ``--optimizer adam``), batch
size 64, the same shuffling (each run has its own ``torch.Generator`` seeded with ``--seed``),
cross-entropy loss. Only the convolutions (forward and backward) differ: PyTorch's or convkit's.

Prints per epoch the mean training loss of both runs, their relative difference (and the largest
per-step one), and each run's time for the epoch (the first epoch includes first-call costs:
convkit's plans, PyTorch's oneDNN primitives); then the test accuracy of both. Exit status 1 when
an epoch's losses differ by more than ``--tol`` (relative, default 1e-3), so the script doubles as
a smoke test of convkit's training path.

    PYTHONPATH=python .venv/bin/python examples/train_digits.py
    PYTHONPATH=python .venv/bin/python examples/train_digits.py --epochs 10 --threads 1 \\
        --optimizer adam

Needs torch and scikit-learn (requirements-dev.txt); ``load_digits`` ships with scikit-learn, no
download. Runs in a few seconds on 2 cores.
"""

import argparse
import copy
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

import convkit
import convkit.torch as ktorch


def make_model():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 10))


def load_data(dtype, seed):
    """Digits scaled to [0, 1] as (N, 1, 8, 8) tensors; a fixed stratified 75/25 split."""
    digits = load_digits()
    x = (digits.images / 16.0).astype(dtype)[:, None]
    y = digits.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, random_state=seed, stratify=y)
    return [torch.from_numpy(np.ascontiguousarray(a)) for a in (x_tr, y_tr, x_te, y_te)]


class Run:
    """One model with its optimizer and its own seeded shuffling."""

    def __init__(self, name, model, args):
        self.name, self.model = name, model
        if args.optimizer == "adam":
            self.opt = torch.optim.Adam(model.parameters(), lr=args.lr or 1e-2)
        else:
            self.opt = torch.optim.SGD(model.parameters(), lr=args.lr or 0.1, momentum=0.9)
        self.gen = torch.Generator().manual_seed(args.seed)
        self.batch = args.batch_size

    def epoch(self, x, y):
        """One pass over (x, y): (mean loss, per-step losses, seconds)."""
        self.model.train()
        n = x.shape[0]
        perm = torch.randperm(n, generator=self.gen)
        steps, total = [], 0.0
        t0 = time.perf_counter()
        for i in range(0, n, self.batch):
            idx = perm[i:i + self.batch]
            self.opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(self.model(x[idx]), y[idx])
            loss.backward()
            self.opt.step()
            steps.append(loss.item())
            total += steps[-1] * idx.numel()
        return total / n, steps, time.perf_counter() - t0

    def accuracy(self, x, y):
        self.model.eval()
        with torch.no_grad():
            return (self.model(x).argmax(1) == y).double().mean().item()


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-30)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd",
                    help="SGD (momentum 0.9, lr 0.1) or Adam (lr 0.01)")
    ap.add_argument("--lr", type=float, default=None, help="learning rate (default per optimizer)")
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    ap.add_argument("--seed", type=int, default=0, help="initial weights, shuffling and split")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch.set_num_threads and convkit.set_num_threads (default: unchanged)")
    ap.add_argument("--tol", type=float, default=1e-3,
                    help="largest relative difference of the epoch losses (default 1e-3)")
    args = ap.parse_args()
    if args.epochs < 1 or args.batch_size < 1:
        ap.error("--epochs and --batch-size must be positive")
    if args.threads is not None:
        if args.threads < 1:
            ap.error("--threads must be positive")
        torch.set_num_threads(args.threads)
        convkit.set_num_threads(args.threads)

    dtype = getattr(torch, args.dtype)
    x_tr, y_tr, x_te, y_te = load_data(args.dtype, args.seed)
    torch.manual_seed(args.seed)
    reference = make_model().to(dtype)
    swapped = copy.deepcopy(reference)              # same initial weights, before any step
    converted = ktorch.convert(swapped)
    swapped = converted if converted is not None else swapped
    n_convkit = sum(isinstance(m, ktorch.Conv2d) for m in swapped.modules())
    if n_convkit != 2:
        print(f"error: convkit.torch.convert swapped {n_convkit} of 2 Conv2d layers",
              file=sys.stderr)
        return 1
    a, b = reference.state_dict(), swapped.state_dict()
    if a.keys() != b.keys() or any(not torch.equal(a[k], b[k]) for k in a):
        print("error: the converted model's state_dict differs from the original's",
              file=sys.stderr)
        return 1
    runs = [Run("torch", reference, args), Run("convkit", swapped, args)]

    print(f"digits: {len(x_tr)} train / {len(x_te)} test images, {args.dtype}, batch "
          f"{args.batch_size}, {args.optimizer}; torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), convkit {convkit.__version__} "
          f"({convkit.get_num_threads()} threads, {convkit.active_isa()})")
    print(f"{'epoch':>5} {'loss torch':>12} {'loss convkit':>13} {'rel diff':>9} "
          f"{'max step':>9} {'torch s':>8} {'convkit s':>9}")
    worst, times = 0.0, {r.name: [] for r in runs}
    for e in range(1, args.epochs + 1):
        (lt, st, tt), (lc, sc, tc) = (r.epoch(x_tr, y_tr) for r in runs)
        times["torch"].append(tt)
        times["convkit"].append(tc)
        d = rel(lc, lt)
        worst = max(worst, d)
        step_d = max(rel(c, t) for c, t in zip(sc, st))
        print(f"{e:>5} {lt:>12.6f} {lc:>13.6f} {d:>9.1e} {step_d:>9.1e} {tt:>8.3f} {tc:>9.3f}")

    acc = [r.accuracy(x_te, y_te) for r in runs]
    w_diff = max((p - q).abs().max().item() / max(q.abs().max().item(), 1e-30)
                 for p, q in zip(swapped.parameters(), reference.parameters()))
    later = slice(1, None) if args.epochs > 1 else slice(None)
    print(f"test accuracy: torch {acc[0]:.4f}, convkit {acc[1]:.4f}")
    print(f"final parameters: max rel diff {w_diff:.1e}; time per epoch after the first: "
          f"torch {np.mean(times['torch'][later]):.3f} s, "
          f"convkit {np.mean(times['convkit'][later]):.3f} s")
    if worst > args.tol:
        print(f"FAIL: epoch losses differ by {worst:.1e} > {args.tol:g}", file=sys.stderr)
        return 1
    print(f"ok: epoch losses agree within {worst:.1e} (tolerance {args.tol:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

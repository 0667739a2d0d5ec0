"""One training step of a small DCGAN generator, with PyTorch's transposed convolutions and with
convkit's: the time of forward + backward both ways, and the gradients compared.

The generator (batch 32, latent z of 64 values, output 3 x 32 x 32):

    ConvTranspose2d(64, 256, 4, 1, 0)  -> 256 x 4 x 4    [BatchNorm2d] ReLU
    ConvTranspose2d(256, 128, 4, 2, 1) -> 128 x 8 x 8    [BatchNorm2d] ReLU
    ConvTranspose2d(128, 64, 4, 2, 1)  -> 64 x 16 x 16   [BatchNorm2d] ReLU
    ConvTranspose2d(64, 3, 4, 2, 1)    -> 3 x 32 x 32    Tanh

(bias=False before a BatchNorm, as in DCGAN; ``--no-batchnorm`` drops the BatchNorm layers and
gives every layer a bias). It is built with torch's layers; a deep copy is handed to
``convkit.torch.convert``, which swaps its ConvTranspose2d layers for
``convkit.torch.ConvTranspose2d`` in place, so both generators have the same weights. The step
is ``zero_grad``, ``G(z)``, a loss (mean squared error against a fixed random target: any
scalar exercises the same backward), ``loss.backward()``; no optimizer step, so every repeat
does the same work.

First one step of each, whose outputs and parameter gradients are compared (max |convkit -
torch| / max |torch| per tensor; exit status 1 above ``--tol``, default 1e-4). Then, per
generator, ``--warmup`` untimed steps and the median of ``--repeats`` timed ones, forward alone
(under ``torch.no_grad``) and forward + backward.

    PYTHONPATH=python .venv/bin/python examples/dcgan_step.py
    PYTHONPATH=python .venv/bin/python examples/dcgan_step.py --threads 1 --repeats 21
"""

import argparse
import copy
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

import convkit
import convkit.torch as ktorch


def make_generator(nz=64, ngf=64, channels=3, batchnorm=True):
    layers = []
    widths = [nz, ngf * 4, ngf * 2, ngf]
    for i, (cin, cout) in enumerate(zip(widths, widths[1:])):
        stride, pad = (1, 0) if i == 0 else (2, 1)
        layers.append(nn.ConvTranspose2d(cin, cout, 4, stride, pad, bias=not batchnorm))
        if batchnorm:
            layers.append(nn.BatchNorm2d(cout))
        layers.append(nn.ReLU(inplace=True))
    layers += [nn.ConvTranspose2d(ngf, channels, 4, 2, 1, bias=not batchnorm), nn.Tanh()]
    return nn.Sequential(*layers)


def step(model, z, target):
    model.zero_grad(set_to_none=True)
    out = model(z)
    loss = F.mse_loss(out, target)
    loss.backward()
    return out, loss


def forward(model, z):
    with torch.no_grad():
        return model(z)


def median_ms(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def rel_err(a, b):
    scale = b.abs().max().item()
    return (a - b).abs().max().item() / (scale if scale > 0 else 1.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--nz", type=int, default=64)
    ap.add_argument("--no-batchnorm", action="store_true")
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--threads", type=int, default=None,
                    help="torch.set_num_threads and convkit.set_num_threads (default: unchanged)")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.batch < 1 or args.repeats < 1 or args.warmup < 0:
        ap.error("--batch and --repeats must be positive, --warmup >= 0")
    if args.threads is not None:
        if args.threads < 1:
            ap.error("--threads must be positive")
        torch.set_num_threads(args.threads)
        convkit.set_num_threads(args.threads)

    dtype = getattr(torch, args.dtype)
    torch.manual_seed(args.seed)
    g_torch = make_generator(nz=args.nz, batchnorm=not args.no_batchnorm).to(dtype)
    g_convkit = copy.deepcopy(g_torch)
    converted = ktorch.convert(g_convkit)
    g_convkit = converted if converted is not None else g_convkit
    n_swapped = sum(isinstance(m, ktorch.ConvTranspose2d) for m in g_convkit.modules())
    if n_swapped != 4:
        print(f"error: convkit.torch.convert swapped {n_swapped} of 4 ConvTranspose2d layers",
              file=sys.stderr)
        return 1
    gen = torch.Generator().manual_seed(args.seed + 1)
    z = torch.randn(args.batch, args.nz, 1, 1, generator=gen, dtype=dtype)
    target = torch.rand(args.batch, 3, 32, 32, generator=gen, dtype=dtype) * 2 - 1

    print(f"DCGAN generator, batch {args.batch}, z {args.nz}, {args.dtype}, "
          f"{'no ' if args.no_batchnorm else ''}BatchNorm; torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), convkit {convkit.__version__} "
          f"({convkit.get_num_threads()} threads, {convkit.active_isa()})")

    # The compared step: the first one of each model, from the same state.
    out_t, loss_t = step(g_torch, z, target)
    out_c, loss_c = step(g_convkit, z, target)
    worst = rel_err(out_c.detach(), out_t.detach())
    print(f"\noutput: max rel diff {worst:.1e}; loss torch {loss_t.item():.7f}, "
          f"convkit {loss_c.item():.7f}")
    print("gradients (max |convkit - torch| / max |torch|):")
    named_c = dict(g_convkit.named_parameters())
    for name, p in g_torch.named_parameters():
        d = rel_err(named_c[name].grad, p.grad)
        worst = max(worst, d)
        print(f"  {name:<12} {tuple(p.shape)!s:<20} {d:.1e}")

    print(f"\ntimes, median of {args.repeats} after {args.warmup} warm-up steps (ms):")
    print(f"{'':<16} {'torch':>9} {'convkit':>9} {'torch/convkit':>14}")
    for label, fn in (("forward", lambda m: forward(m, z)),
                      ("forward+backward", lambda m: step(m, z, target))):
        t = median_ms(lambda: fn(g_torch), args.warmup, args.repeats)
        c = median_ms(lambda: fn(g_convkit), args.warmup, args.repeats)
        print(f"{label:<16} {t:>9.2f} {c:>9.2f} {t / c:>14.2f}")

    if worst > args.tol:
        print(f"FAIL: max rel diff {worst:.1e} > {args.tol:g}", file=sys.stderr)
        return 1
    print(f"\nok: outputs and gradients agree within {worst:.1e} (tolerance {args.tol:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

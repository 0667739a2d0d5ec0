"""torch tensors in, torch tensors out, for the NumPy functions of convkit.nn.

convkit never imports torch: a tensor is recognised by its type's module, and torch is taken
from ``sys.modules`` (it is loaded, since a tensor exists) only to wrap a result back.

Use (in a convkit.nn function)::

    (x, w, b), like = unwrap(x, w, b)   # tensors -> NumPy views (no copy); like = x, or None
    return wrap(result, like)           # NumPy -> torch tensor (no copy) when like is a tensor
"""

import sys

import numpy as np

_FLOATS = ("float32", "float64")


def is_tensor(a):
    """A torch.Tensor (or Parameter, or a subclass), told apart without importing torch.

    torch.Size also comes from torch but has no ``__dlpack__``: it passes through as a tuple.
    """
    return type(a).__module__.split(".")[0] == "torch" and hasattr(a, "__dlpack__")


def to_numpy(t, name="input"):
    """A NumPy view of a CPU tensor: same memory, same strides (channels_last, expanded,
    transposed views included)."""
    if t.device.type != "cpu":
        raise TypeError(f"{name}: convkit runs on CPU tensors, got device {t.device}")
    # DLPack refuses tensors that require grad (the view would escape autograd); convkit only
    # reads them, so detach() -- a view sharing the memory -- is enough.
    try:
        return np.from_dlpack(t.detach())
    except (BufferError, RuntimeError, TypeError) as e:
        # bfloat16, sparse or quantized tensors have no NumPy view; convkit.nn takes float32
        # and float64 anyway, so say that rather than DLPack's message.
        raise TypeError(f"{name}: convkit.nn takes float32 or float64 tensors (strided, on the "
                        f"CPU), got {t.dtype} with layout {t.layout} ({e})") from None


def unwrap(*args, names=None):
    """``(args with every torch tensor replaced by a NumPy view, like)``.

    like: the first tensor found, or None when there is none (then the arguments come back
    unchanged). names: the parameter names, for the messages (default 'input', 'argument 2',
    ...). Raises TypeError for a tensor that is not on the CPU or has no NumPy dtype.
    """
    like = None
    out = []
    for i, a in enumerate(args):
        if is_tensor(a):
            if like is None:
                like = a
            name = names[i] if names is not None and i < len(names) else \
                ("input" if i == 0 else f"argument {i + 1}")
            a = to_numpy(a, name)
        out.append(a)
    return tuple(out), like


def _to_tensor(torch, a):
    if not isinstance(a, np.ndarray):
        return a  # None, numbers, shapes: as they are
    if not a.flags.writeable:
        # torch.from_numpy warns on read-only memory (tensors are writable); results of
        # convkit are fresh arrays, so this copy only guards against odd cases.
        a = a.copy()
    return torch.from_numpy(a)


def wrap(result, like):
    """``result`` as torch tensors sharing its memory when ``like`` is a tensor (an array, or a
    tuple / list of arrays); else ``result`` unchanged."""
    if like is None:
        return result
    torch = sys.modules["torch"]  # loaded: ``like`` is one of its tensors
    if isinstance(result, (tuple, list)):
        return type(result)(_to_tensor(torch, r) for r in result)
    return _to_tensor(torch, result)

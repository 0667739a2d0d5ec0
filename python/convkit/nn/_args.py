"""Argument parsing shared by the convkit.nn functions and layers (PyTorch's int-or-pair,
padding forms, activation tuples)."""

import numbers

import numpy as np

#: Activation names (``None`` = no activation); see :func:`conv2d`.
ACTIVATIONS = ("relu", "relu6", "leaky_relu", "clamp", "hardtanh", "sigmoid", "tanh", "gelu",
               "silu")
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
LAYOUTS = ("NCHW", "NHWC")

# Parameters of the activations that take some, with PyTorch's defaults.
_ACTIVATION_DEFAULTS = {"leaky_relu": (0.01,), "clamp": (-1.0, 1.0), "hardtanh": (-1.0, 1.0)}


def _int(v, name):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name}: expected an int, got {type(v).__name__}")
    return int(v)


def _is_sequence(v):
    return isinstance(v, (tuple, list)) or (isinstance(v, np.ndarray) and v.ndim == 1)


def _pair(v, name):
    """An int (both axes) or an (height, width) pair, as a tuple of two ints."""
    if _is_sequence(v):
        if len(v) != 2:
            raise ValueError(f"{name}: must be an int or a pair (height, width), "
                             f"got {len(v)} elements")
        return (_int(v[0], name), _int(v[1], name))
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name}: expected an int or a pair of ints, got {type(v).__name__}")
    return (int(v), int(v))


def _padding(p):
    """'valid', 'same', (ph, pw) or (top, bottom, left, right); an int becomes (p, p)."""
    if isinstance(p, str):
        if p not in ("valid", "same"):
            raise ValueError(f"padding: unknown padding {p!r} (expected 'valid', 'same', an int, "
                             f"(height, width) or (top, bottom, left, right))")
        return p
    if _is_sequence(p):
        if len(p) not in (2, 4):
            raise ValueError(f"padding: must be an int, (height, width), (top, bottom, left, "
                             f"right), 'valid' or 'same', got {len(p)} elements")
        return tuple(_int(v, "padding") for v in p)
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Integral):
        raise TypeError(f"padding: expected an int, a tuple of ints, 'valid' or 'same', "
                        f"got {type(p).__name__}")
    return (int(p), int(p))


def _choice(v, name, choices):
    if not isinstance(v, str):
        raise TypeError(f"{name}: expected a string, got {type(v).__name__}")
    if v not in choices:
        raise ValueError(f"{name}: unknown {name} {v!r} (expected one of {', '.join(choices)})")
    return v


def _activation(a):
    """None, a name, or (name, *params) -> (core name, alpha, beta)."""
    if a is None:
        return "none", 0.0, 0.0
    if isinstance(a, str):
        name, params = a, ()
    elif isinstance(a, (tuple, list)) and len(a) >= 1 and isinstance(a[0], str):
        name, params = a[0], tuple(a[1:])
    else:
        raise TypeError(f"activation: expected None, a name or a tuple (name, *params), "
                        f"got {a!r}")
    if name in ("none", "identity"):
        name = "none"
    elif name not in ACTIVATIONS:
        raise ValueError(f"activation: unknown activation {name!r} (expected None or one of "
                         f"{', '.join(ACTIVATIONS)})")
    defaults = _ACTIVATION_DEFAULTS.get(name, ())
    if params and len(params) != len(defaults):
        want = {1: "(name, slope)", 2: "(name, lo, hi)"}.get(len(defaults), "no parameters")
        raise ValueError(f"activation: {name!r} takes {want}, got {len(params)} parameter(s)")
    try:
        values = tuple(float(v) for v in (params or defaults))
    except (TypeError, ValueError):
        raise TypeError(f"activation: the parameters of {name!r} must be numbers, "
                        f"got {params!r}") from None
    if name == "leaky_relu":
        return "leaky_relu", values[0], 0.0
    if name in ("clamp", "hardtanh"):
        lo, hi = values
        if not lo <= hi:
            raise ValueError(f"activation: {name} needs lo <= hi, got ({lo}, {hi})")
        return "clamp", lo, hi
    return name, 0.0, 0.0


def _array(x, name):
    """NumPy arrays as they are (any strides, never copied); other array-likes via asarray."""
    if x is None:
        raise TypeError(f"{name}: expected an array, got None")
    return x if isinstance(x, np.ndarray) else np.asarray(x)


def _bias(b):
    """None (also False: no bias) or a vector of K values (the library checks K)."""
    if b is None or b is False:
        return None
    b = _array(b, "bias")
    if b.ndim != 1:
        raise ValueError(f"bias: must be a vector of out_channels values, got shape {b.shape}")
    return b

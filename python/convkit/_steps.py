"""convkit.steps: one 2-D convolution, step by step, with the numbers convkit's engine computes.

>>> import numpy as np, convkit
>>> image = np.arange(16.0).reshape(4, 4)
>>> s = convkit.steps(image, np.ones((3, 3)), padding=1)
>>> first = next(s)
>>> first["out"], first["window"]
((0, 0), ([-1, 0, 1], [-1, 0, 1]))
>>> float(first["products"].sum()), first["value"]
(10.0, 10.0)
>>> s.out.shape, s.formulas[0]
((4, 4), 'rows: P = floor((H + pt + pb - d*(R-1) - 1) / s) + 1 = floor((4 + 1 + 1 - 1*(3-1) - 1) / 1) + 1 = 4')
"""

import numbers

import numpy as np

from . import _core

__all__ = ["steps", "Steps"]

_BORDERS = {"constant": "constant", "zeros": "constant", "fill": "constant",
            "replicate": "replicate", "nearest": "replicate", "reflect": "reflect",
            "symm": "reflect", "symmetric": "reflect", "mirror": "mirror",
            "reflect101": "mirror", "wrap": "wrap", "circular": "wrap"}


def _int(v, name):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name}: expected an int, got {type(v).__name__}")
    return int(v)


def _real(v, name):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise TypeError(f"{name}: expected a number, got {type(v).__name__}")
    try:
        v = float(v)
    except OverflowError:
        raise ValueError(f"{name}: {v} does not fit a float64") from None
    if not np.isfinite(v):
        raise ValueError(f"{name}: must be finite, got {v}")
    return v


def _pair(v, name):
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{name}: must be an int or a pair (height, width), got {len(v)} "
                             f"elements")
        return (_int(v[0], name), _int(v[1], name))
    v = _int(v, name)
    return (v, v)


def _padding(p):
    if isinstance(p, (tuple, list)):
        if len(p) == 2:
            ph, pw = (_int(v, "padding") for v in p)
            return (ph, ph, pw, pw)
        if len(p) == 4:
            return tuple(_int(v, "padding") for v in p)
        raise ValueError(f"padding: must be an int, (height, width) or (top, bottom, left, "
                         f"right), got {len(p)} elements")
    p = _int(p, "padding")
    return (p, p, p, p)


def _mode_padding(mode, kernel_shape, dilation, flip):
    """Pads for mode 'valid', 'same' or 'full' (None: use `padding`)."""
    pads = []
    for k, d in zip(kernel_shape, dilation):
        total = d * (k - 1)
        if mode == "valid":
            pads += [0, 0]
        elif mode == "full":
            pads += [total, total]
        elif mode == "same":
            # Correlation (flip=False): PyTorch's padding='same', the odd cell at the end.
            # Convolution: scipy.signal.convolve2d's 'same', the odd cell at the start.
            first = total - total // 2 if flip else total // 2
            pads += [first, total - first]
        else:
            raise ValueError(f"mode: unknown mode {mode!r} (expected None, 'valid', 'same' or "
                             f"'full')")
    return tuple(pads)


def _matrix(a, name):
    a = np.asarray(a)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected real numbers, got dtype {a.dtype}")
    if a.ndim != 2:
        raise ValueError(f"{name}: must be 2-D, got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name}: is empty (shape {a.shape})")
    return a.astype(np.float64, copy=False)


class Steps:
    """The steps of one convolution: iterate for the records (one dict per output cell).

    Attributes: ``out`` (the library's result), ``grid`` (the padded -- for transposed, the
    zero-inserted -- grid the windows slide over), ``cells`` (each grid cell's kind: 'image',
    'padding', 'inserted'), ``formulas`` (the output-size rule evaluated), ``unreached`` (input
    rows and columns no window reaches), ``problem`` (convkit's problem string).
    Methods: ``record(i, j)``, ``three_ways(i, j)``, ``scatter(i, j)`` (transposed only) and
    ``render(path_or_format, ...)``.
    """

    def __init__(self, trace, cells):
        self._trace = trace
        self._cells = cells
        self._next = 0

    def __iter__(self):
        return self

    def __next__(self):
        if self._cells is not None:
            if self._next >= len(self._cells):
                raise StopIteration
            i, j = self._cells[self._next]
        else:
            P, Q = self.out.shape
            if self._next >= P * Q:
                raise StopIteration
            i, j = divmod(self._next, Q)
        self._next += 1
        return self._trace.record(i, j)

    def __len__(self):
        return len(self._cells) if self._cells is not None else int(np.prod(self.out.shape))

    def record(self, i, j):
        """The record of output cell (i, j)."""
        return self._trace.record(_int(i, "i"), _int(j, "j"))

    def three_ways(self, i, j):
        """Output (i, j) as im2col column x kernel row, convolution-matrix row x flattened grid
        and (box kernels) four integral-image corners: {'im2col', 'matrix', 'integral'}."""
        return self._trace.three_ways(_int(i, "i"), _int(j, "j"))

    def scatter(self, i, j):
        """Transposed convolution: where input (i, j) lands, {'in', 'value', 'targets',
        'contributions'} (targets -1: cropped by padding)."""
        return self._trace.scatter(_int(i, "i"), _int(j, "j"))

    def render(self, target="text", *, max_frames=400, strip=False, delay=60, color=False):
        """Draws the steps as ``convkit steps`` does: ``target`` is a format ('text',
        'markdown', 'json', 'svg', 'gif', 'html'; returns the document, bytes for a GIF) or a
        file path ending in .txt, .md, .json, .svg, .gif or .html (writes it; returns the path).

        One frame per output cell (or per cell given to :func:`steps`); more than
        ``max_frames`` (default 400; 0 = no limit) raise ValueError. ``strip``: every SVG frame
        side by side; ``delay``: GIF/HTML frame time in 1/100 s; ``color``: ANSI colours.
        """
        import os

        if not isinstance(target, (str, os.PathLike)):
            raise TypeError(f"target: expected a format name or a path, got "
                            f"{type(target).__name__}")
        target = os.fspath(target)
        names = {"text": "txt", "txt": "txt", "markdown": "md", "md": "md", "json": "json",
                 "svg": "svg", "gif": "gif", "html": "html", "htm": "html"}
        ext = names.get(target)
        path = None
        if ext is None:
            path, ext = target, os.path.splitext(target)[1][1:].lower()
            if names.get(ext) is None:
                raise ValueError(f"target: {target!r} is neither a format ({', '.join(names)}) "
                                 f"nor a path ending in one")
            ext = names[ext]
        cells = self._cells if self._cells is not None else []
        doc = self._trace.render(ext, cells, _int(max_frames, "max_frames"), bool(color),
                                 bool(strip), _int(delay, "delay"))
        if path is None:
            return doc
        tmp = f"{path}.tmp{os.getpid()}"
        try:  # a temporary file, then a rename: never a half-written document
            with open(tmp, "wb") as f:
                f.write(doc if isinstance(doc, bytes) else doc.encode("utf-8"))
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        return path

    out = property(lambda self: self._trace.out)
    grid = property(lambda self: self._trace.grid)
    cells = property(lambda self: self._trace.cells)
    formulas = property(lambda self: self._trace.formulas)
    unreached = property(lambda self: self._trace.unreached)
    problem = property(lambda self: self._trace.problem)

    def __repr__(self):
        return f"<convkit.Steps {self.problem}: {len(self)} records>"


def steps(image, kernel, *, stride=1, padding=0, dilation=1, flip=False, bias=0.0, mode=None,
          border="constant", value=0.0, transposed=False, output_padding=0, cells=None):
    """The convolution of a 2-D ``image`` with a 2-D ``kernel``, one output cell at a time.

    Returns a :class:`Steps` iterator of records, one per output cell in row-major order (or
    the ``cells`` given, a list of (i, j)). Each record is a dict:

    - ``"out"``: (i, j), the output cell;
    - ``"window"``: (rows, columns) of the input the window reads, padding included (-1 is the
      row above the image); for ``transposed``, coordinates of the zero-inserted input (input
      sample i sits at i * stride);
    - ``"source"``: the input rows / columns those cells take their values from (the border
      rule applied; -1: constant padding or an inserted zero); ``"grid_window"``: the same in
      the padded grid's coordinates;
    - ``"values"``, ``"kernel"`` (as applied: flipped for a convolution), ``"products"``:
      arrays of the kernel's shape; ``"running"``: the running sum of the products, row-major;
    - ``"bias"`` and ``"value"``: the output value convkit's engine computed (equal to
      ``products.sum() + bias`` to round-off).

    Parameters follow ``torch.nn.functional.conv2d`` (and ``conv_transpose2d`` with
    ``transposed=True``): ``stride``, ``padding`` (int, (h, w) or (top, bottom, left, right)),
    ``dilation``, ``output_padding`` (transposed only). ``flip=False`` is cross-correlation,
    what deep-learning libraries call convolution; ``flip=True`` flips the kernel (true
    convolution, ``scipy.signal.convolve2d``). ``mode`` 'valid' / 'same' / 'full' replaces
    ``padding`` ('same': PyTorch's split for correlation, SciPy's for convolution). ``border``
    fills the padding: 'constant' (``value``), 'replicate', 'reflect', 'mirror', 'wrap'.

    Raises ValueError naming the parameter: a window larger than the padded image, a cell
    outside the output, an output_padding not below the stride or dilation.
    """
    image = _matrix(image, "image")
    kernel = _matrix(kernel, "kernel")
    stride = _pair(stride, "stride")
    dilation = _pair(dilation, "dilation")
    output_padding = _pair(output_padding, "output_padding")
    if mode is not None:
        if not isinstance(mode, str):
            raise TypeError(f"mode: expected None or a string, got {type(mode).__name__}")
        if transposed:
            raise ValueError("mode: not defined for a transposed convolution (use padding)")
        pads = _mode_padding(mode, kernel.shape, dilation, bool(flip))
    else:
        pads = _padding(padding)
    if not isinstance(border, str):
        raise TypeError(f"border: expected a string, got {type(border).__name__}")
    if border not in _BORDERS:
        raise ValueError(f"border: unknown border {border!r} (expected one of "
                         f"{', '.join(sorted(_BORDERS))})")
    bias, value = _real(bias, "bias"), _real(value, "value")
    trace = _core.StepTrace(image, kernel, stride, pads, dilation, _BORDERS[border], value,
                            bool(flip), bias, bool(transposed), output_padding)
    if cells is not None:
        if not isinstance(cells, (list, tuple)):
            raise TypeError(f"cells: expected a list of (i, j) pairs, got {type(cells).__name__}")
        P, Q = trace.out.shape
        try:
            cells = [(_int(i, "cells"), _int(j, "cells")) for i, j in cells]
        except (TypeError, ValueError):
            raise TypeError("cells: expected a list of (i, j) pairs of ints") from None
        for i, j in cells:
            if not (0 <= i < P and 0 <= j < Q):
                raise ValueError(f"cells: ({i}, {j}) is outside the {P}x{Q} output")
    return Steps(trace, cells)

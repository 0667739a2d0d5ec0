"""convkit: 2-D convolution with the numbers of SciPy and OpenCV, without the GIL.

Drop-in namespaces, imported on first use:

- ``convkit.signal``  -- ``scipy.signal``: convolve2d, correlate2d, convolve, correlate,
  fftconvolve, oaconvolve, choose_conv_method, sepfir2d
- ``convkit.ndimage`` -- ``scipy.ndimage`` filters
- ``convkit.cv``      -- ``cv2`` filters (filter2D, GaussianBlur, Sobel, ...)
- ``convkit.dask``    -- the ndimage filters over ``dask.array`` (``map_overlap``)
- ``convkit.restoration`` -- ``skimage.restoration`` deconvolution (Wiener, Richardson-Lucy)
  and MATLAB's deconv* extras
- ``convkit.linalg``  -- convolution matrices (``scipy.linalg.convolution_matrix``, 2-D and
  MATLAB's ``convmtx2``), ``ConvolutionOperator`` with an exact adjoint, im2col/col2im

and a native layer: :func:`conv2d` for one call, :func:`plan` for a reusable, explainable plan;
:func:`integral_image` and :func:`integrate` are ``skimage.transform``'s summed-area tables;
:func:`steps` shows one convolution step by step, with the numbers convkit computes;
:func:`imread` / :func:`imwrite` read and write NPY, PNG, PNM, JPEG, TIFF and WebP files.

>>> import numpy as np, convkit
>>> img = np.arange(16, dtype=np.float32).reshape(4, 4)
>>> convkit.conv2d(img, np.ones((3, 3), np.float32) / 9, border="replicate").shape
(4, 4)
>>> p = convkit.plan(np.ones((5, 5)) / 25, shape=(480, 640), dtype="float32")
>>> p.algorithm in ("direct", "separable", "box", "fft", "overlap-add")  # the planner's choice
True
>>> out = p(np.zeros((480, 640), np.float32))   # run it as often as you like

Arrays of any strides are used in place (no copies); results are NumPy arrays allocated by
NumPy and written in place; every computation worth it releases the GIL, so threads run in
parallel.

Every call plans through one process-wide plan cache (keyed by the problem, the options and the
kernel's contents, so weights changed in place are seen): a repeated call costs a lookup.
``plan_cache_info()`` reports hits, misses and size, ``clear_plan_cache()`` empties it and
``set_plan_cache_capacity(n)`` bounds it (0 turns it off; the environment variable
``CONVKIT_PLAN_CACHE`` sets the initial capacity, default 128).
"""

import importlib
import numbers

from . import _core
from ._core import active_isa, clear_plan_cache, get_num_threads, plan_cache_info
from ._integral import integral_image, integrate
from ._io import imread, imwrite
from ._steps import Steps, steps

__version__ = _core.version()
__all__ = ["conv2d", "plan", "Plan", "set_num_threads", "get_num_threads", "active_isa",
           "plan_cache_info", "clear_plan_cache", "set_plan_cache_capacity", "steps",
           "integral_image", "integrate", "imread", "imwrite",
           "signal", "ndimage", "cv", "dask", "nn", "restoration", "linalg"]

_SUBMODULES = ("signal", "ndimage", "cv", "dask", "nn", "restoration", "linalg")

# Border names of the native layer (DESIGN.md §5), with the spellings of the other libraries.
_BORDERS = {
    "constant": "constant", "zeros": "constant", "fill": "constant",
    "replicate": "replicate", "nearest": "replicate",
    "reflect": "reflect", "symm": "reflect", "symmetric": "reflect",
    "reflect101": "mirror", "mirror": "mirror",
    "wrap": "wrap", "circular": "wrap",
}


def _count(value, name):
    """A non-negative int (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):  # np.bool_ isn't
        raise TypeError(f"{name}: expected an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name}: must be >= 0, got {value}")
    return int(value)


def set_num_threads(n):
    """Threads convkit uses: n >= 1, or 0 for the default (OMP_NUM_THREADS, else all cores)."""
    _core.set_num_threads(_count(n, "n"))


def set_plan_cache_capacity(capacity):
    """At most this many cached plans (0 turns caching off)."""
    _core.set_plan_cache_capacity(_count(capacity, "capacity"))


def _dtype_name(np, value, name):
    """np.dtype(value).name, with a TypeError naming the parameter."""
    try:
        return np.dtype(value).name
    except TypeError as e:
        raise TypeError(f"{name}: not a dtype: {value!r} ({e})") from None


def __getattr__(name):  # convkit.signal etc. without importing them up front
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'convkit' has no attribute {name!r}")


def _border(name):
    try:
        return _BORDERS[name]
    except (KeyError, TypeError):
        raise ValueError(f"border: unknown border {name!r} (expected one of "
                         f"{', '.join(sorted(_BORDERS))})") from None


def _pads(kernel_shape, mode):
    R, S = kernel_shape
    if mode == "same":  # convolution: scipy.signal's 'same'; correlation: OpenCV's anchor
        top, left = R // 2, S // 2
        return (top, R - 1 - top, left, S - 1 - left)
    if mode == "full":
        return (R - 1, R - 1, S - 1, S - 1)
    if mode == "valid":
        return (0, 0, 0, 0)
    raise ValueError(f"mode: unknown mode {mode!r} (expected 'same', 'full' or 'valid')")


class Plan:
    """A planned 2-D convolution for one image shape and dtype (see :func:`plan`).

    ``plan(image)`` runs it (``out=`` writes into an existing array); ``explain()`` lists every
    candidate algorithm with its estimated time and why the winner won.
    """

    def __init__(self, core_plan):
        if not isinstance(core_plan, _core.Plan2d):
            raise TypeError(f"core_plan: expected a convkit._core.Plan2d (make plans with "
                            f"convkit.plan()), got {type(core_plan).__name__}")
        self._plan = core_plan

    def __call__(self, image, out=None):
        return self._plan(image, out=out)

    def explain(self):
        return self._plan.explain()

    @property
    def algorithm(self):
        return self._plan.algorithm

    @property
    def problem(self):
        return self._plan.problem

    @property
    def out_shape(self):
        return self._plan.out_shape

    def __repr__(self):
        return f"<convkit.Plan {self.problem}: {self.algorithm}>"


def plan(kernel, shape, dtype="float32", border="reflect101", mode="same", *, value=0.0,
         correlate=False, out_dtype=None, layout="HWC", algorithm="auto"):
    """Plans the convolution of images of ``shape`` and ``dtype`` with ``kernel``, once.

    kernel: a 2-D array (real or complex), applied to every channel of an (H, W), (H, W, C)
        (layout 'HWC') or (C, H, W) (layout 'CHW') image.
    border: how the image is extended -- 'reflect101' (= 'mirror', OpenCV's default),
        'reflect' (= 'symm'), 'replicate' (= 'nearest'), 'wrap', 'constant' (with ``value``).
    mode: 'same' (the image's size: ``scipy.signal.convolve2d``'s 'same' for a convolution,
        OpenCV's centred anchor (R//2, S//2) for a correlation), 'full' or 'valid'.
    correlate: False = convolution (kernel flipped, like SciPy), True = correlation (OpenCV).
    out_dtype: the output dtype (default: the image's); integer outputs round half to even and
        saturate.
    algorithm: 'auto' (the planner's choice) or one of 'direct', 'separable', 'box', 'fft',
        'overlap-add', 'reference' (ValueError saying why, if it cannot run this problem).

    >>> import numpy as np, convkit
    >>> p = convkit.plan(np.ones((3, 3)), shape=(4, 4), dtype="uint8", border="constant")
    >>> p(np.ones((4, 4), np.uint8))
    array([[4, 6, 6, 4],
           [6, 9, 9, 6],
           [6, 9, 9, 6],
           [4, 6, 6, 4]], dtype=uint8)
    >>> print(p.explain().splitlines()[-1])     # doctest: +SKIP
    plan: box: running sums in int32, ...
    """
    import numpy as np

    kernel = np.asarray(kernel)
    if kernel.ndim != 2:
        raise ValueError(f"kernel: must be 2-D, got shape {kernel.shape}")
    if kernel.size == 0:
        raise ValueError(f"kernel: is empty (shape {kernel.shape})")
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"shape: expected a sequence of ints such as image.shape, got "
                        f"{type(shape).__name__}") from None
    if not isinstance(layout, str):
        raise TypeError(f"layout: expected a string, got {type(layout).__name__}")
    if layout not in ("HWC", "CHW"):  # checked for 2-D shapes too, which ignore it
        raise ValueError(f"layout: unknown layout {layout!r} (expected 'HWC' or 'CHW')")
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        raise TypeError("value: expected a number, got bool")
    return Plan(_core.Plan2d(kernel, shape, _dtype_name(np, dtype, "dtype"), flip=not correlate,
                             pads=_pads(kernel.shape, mode), border=_border(border),
                             border_value=value, out_dtype=out_dtype,
                             layout="HW" if len(shape) == 2 else layout,
                             algorithm=algorithm))


def conv2d(image, kernel, border="reflect101", mode="same", *, value=0.0, correlate=False,
           out_dtype=None, layout="HWC", algorithm="auto", out=None):
    """Convolves an (H, W), (H, W, C) or (C, H, W) image with a 2-D kernel, each channel alike.

    The arguments are those of :func:`plan`; the result has the image's dtype unless
    ``out_dtype`` (or ``out``) says otherwise.

    >>> import numpy as np, convkit
    >>> img = np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], np.float64)
    >>> convkit.conv2d(img, np.array([[1.0, 2.0], [3.0, 4.0]]), mode="full", border="constant")
    array([[0., 0., 0., 0.],
           [0., 1., 2., 0.],
           [0., 3., 4., 0.],
           [0., 0., 0., 0.]])
    >>> float(convkit.conv2d(img, np.ones((3, 3)), border="reflect").sum())
    9.0
    """
    import numpy as np

    image = np.asarray(image)
    if out is not None and not isinstance(out, np.ndarray):
        raise TypeError(f"out: expected a numpy.ndarray, got {type(out).__name__}")
    if out is not None and out_dtype is None:
        out_dtype = out.dtype
    if out_dtype is not None:
        out_dtype = _dtype_name(np, out_dtype, "out_dtype")
    try:
        p = plan(kernel, image.shape, image.dtype, border, mode, value=value,
                 correlate=correlate, out_dtype=out_dtype, layout=layout, algorithm=algorithm)
    except ValueError as e:  # plan's shape and dtype are the image's here
        what, _, why = str(e).partition(": ")
        if what not in ("shape", "dtype"):
            raise
        raise ValueError(f"image: {why} (image shape {image.shape}, dtype {image.dtype})") \
            from None
    return p(image, out=out)

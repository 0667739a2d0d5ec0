"""scikit-image's own filter tests run with convkit.ndimage in scipy.ndimage's place.

- convkit_ndimage_plugin.py: the pytest plugin (``-p convkit_ndimage_plugin``, this folder on
  PYTHONPATH) that puts convkit.ndimage's functions into the scipy.ndimage module before skimage
  is imported, and verifies at the end of the session that skimage's bindings are convkit's;
- convkit_restoration_plugin.py, convkit_integral_plugin.py: the same for skimage.restoration's
  deconvolution and skimage.transform's integral_image / integrate (convkit's in their place);
- outcome_recorder.py: a pytest plugin writing every node's outcome as JSON;
- suites.py: runs the installed skimage test files twice (SciPy, convkit) and compares; also a
  command-line report. tests/python/test_skimage_suites.py is the pytest front end.

Needs scikit-image==0.25.2 (its wheel ships the tests; 0.26.0's does not).
"""

"""plmlib: Pixel-Level Matching for video object segmentation (Yoon et al., ICCV 2017).

Reference implementation and teaching package. Subpackages, bottom-up: ``core`` (the VideoSegmenter contract,
the registry of methods, crops, config helpers, seeding, paths), ``io`` (frames, masks, palette, video), ``data``
(datasets, synthetic videos, downloads), ``metrics`` (J, F, T, DAVIS statistics), ``model``, ``train``,
``infer``, ``baselines``, then the applications (``experiments``, ``course``, ``viz``, ``widgets``, ``published``)
and ``cli``.

The public API, from here:

    from plmlib import create_segmenter, segment_video, VideoSegmenter
"""

__version__ = "0.1.0"

# name -> the plmlib.core module that defines it; imported on first use, so that ``import plmlib`` stays light
_API = {"VideoSegmenter": "segmenter", "segment_video": "segmenter", "check_first_mask": "segmenter",
        "check_frame": "segmenter", "METHODS": "methods", "DEFAULT_METHOD": "methods", "PLM_METHODS": "methods",
        "create_segmenter": "methods", "check_options": "methods"}

__all__ = sorted(_API)


def __getattr__(name: str):
    if name in _API:
        import importlib  # lazy: at the top it would be plmlib.importlib, in dir(plmlib) beside the API

        value = getattr(importlib.import_module(f"plmlib.core.{_API[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'plmlib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])

"""plmlib: Pixel-Level Matching for video object segmentation (Yoon et al., ICCV 2017).

Reference implementation and teaching package. Subpackages, bottom-up:
``io`` (frames, masks, palette, video), ``data`` (datasets, synthetic videos, downloads),
``metrics`` (J, F, T, DAVIS statistics), ``model``, ``train``, ``infer``, ``baselines``,
``widgets`` and ``viz``.
"""

__version__ = "0.1.0"

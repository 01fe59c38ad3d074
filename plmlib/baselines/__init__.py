"""Traditional (hand-crafted) video segmentation baselines that the PLM paper compares against.

Each implements :class:`plmlib.segmenter.VideoSegmenter`, so it is used exactly like PLM.
"""

from plmlib.baselines.flow import FlowPropagation

__all__ = ["FlowPropagation"]

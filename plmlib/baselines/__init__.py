"""Traditional (hand-crafted) video segmentation baselines that the PLM paper compares against.

One module each, in the slides' taxonomy of traditional methods (pixel / superpixel / supervoxel):
``flow`` (optical-flow mask propagation), ``superpixel`` (SLIC superpixels labelled from motion, a
first-frame colour model and neighbour smoothing) and ``bvs`` (bilateral-space video segmentation,
Maerki et al., CVPR 2016, the paper's strongest baseline). Each implements
:class:`plmlib.core.segmenter.VideoSegmenter`, so it is used exactly like PLM (``create_segmenter("bvs")``).
"""

from plmlib.baselines.bvs import BilateralSpaceSegmentation
from plmlib.baselines.flow import FlowPropagation
from plmlib.baselines.superpixel import SuperpixelPropagation

__all__ = ["BilateralSpaceSegmentation", "FlowPropagation", "SuperpixelPropagation"]

"""Datasets as :class:`Sequence` objects: DAVIS 2016/2017, SegTrack v2, JumpCut, any folder, synthetic videos.

Dataset roots come from an argument or an environment variable (``PLM_DAVIS_ROOT``, ``PLM_DAVIS2017_ROOT``,
``PLM_SEGTRACK_ROOT``, ``PLM_JUMPCUT_ROOT``); the scripts in ``data_download/`` fetch them.
"""

from plmlib.data.davis import Davis2016
from plmlib.data.davis2017 import Davis2017
from plmlib.data.folder import FolderDataset, load_video
from plmlib.data.jumpcut import JumpCut
from plmlib.data.roots import DATASETS, DatasetNotFoundError, dataset_root
from plmlib.data.segtrack import SegTrackV2
from plmlib.data.sequence import MaskFolder, Sequence, SequenceDataset
from plmlib.data.synthetic import SCENARIOS, make_video, write_dataset

__all__ = [
    "DATASETS",
    "SCENARIOS",
    "DatasetNotFoundError",
    "Davis2016",
    "Davis2017",
    "FolderDataset",
    "JumpCut",
    "MaskFolder",
    "SegTrackV2",
    "Sequence",
    "SequenceDataset",
    "dataset_root",
    "load_video",
    "make_video",
    "write_dataset",
]

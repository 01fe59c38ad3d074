"""Input and output: frames, videos, masks (DAVIS palette), overlays, atomic writes.

The input errors, the array-level mask helpers and the atomic writes are ``plmlib.core``'s (``errors``, ``masks``,
``files``), exported here too."""

from plmlib.core.errors import FrameError, MaskError
from plmlib.core.files import atomic_folder, atomic_write, check_writable_folder, file_digest
from plmlib.core.masks import check_mask_size, ids_from_array, object_ids
from plmlib.io.frames import (
    IMAGE_EXTENSIONS,
    VIDEO_EXTENSIONS,
    FrameFolder,
    VideoFile,
    list_images,
    natural_key,
    open_video,
    read_image,
)
from plmlib.io.masks import (
    DAVIS_PALETTE,
    read_mask,
    write_mask,
)
from plmlib.io.overlay import ERROR_COLOURS, ERROR_LABELS, error_overlay, overlay_mask, write_overlay_video

__all__ = [
    "IMAGE_EXTENSIONS",
    "VIDEO_EXTENSIONS",
    "DAVIS_PALETTE",
    "ERROR_COLOURS",
    "ERROR_LABELS",
    "FrameError",
    "FrameFolder",
    "MaskError",
    "VideoFile",
    "atomic_folder",
    "atomic_write",
    "check_writable_folder",
    "check_mask_size",
    "error_overlay",
    "file_digest",
    "ids_from_array",
    "list_images",
    "natural_key",
    "object_ids",
    "open_video",
    "overlay_mask",
    "read_image",
    "read_mask",
    "write_mask",
    "write_overlay_video",
]

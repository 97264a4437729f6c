"""No network at run time: with every socket call blocked, model loading and a whole scan still work."""

from __future__ import annotations

import socket

import pytest

from tests import hostile_corpus


@pytest.fixture()
def no_network(monkeypatch):
    attempts: list[str] = []

    def refuse(name):
        def blocked(*args, **kwargs):
            attempts.append(f"{name}{args!r}")
            raise OSError(f"network blocked by the test: {name}")

        return blocked

    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("connect_ex"))
    monkeypatch.setattr(socket.socket, "sendto", refuse("sendto"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    return attempts


def test_scan_runs_with_sockets_blocked(no_network, tmp_path, astronaut):
    from deepcheck.model.classifier import _load_model_cached
    from deepcheck.scanning.pipeline import Analyzer, ScanSettings, run_scan

    _load_model_cached.cache_clear()  # load the model afresh, under the block
    cases = hostile_corpus.build(tmp_path / "evidence", astronaut)
    url_named = tmp_path / "evidence" / "http:example.com.mp4"
    url_named.write_bytes(cases["clip"].read_bytes())
    picked = [url_named] + [cases[n] for n in ("face_jpeg", "clip", "truncated_mp4", "audio_only_mp4", "png_bomb")]
    analyzer = Analyzer.create(ScanSettings(frames=2))
    report = run_scan(picked, analyzer)
    statuses = {f.path.rsplit("/", 1)[-1]: f.status for f in report.files}
    assert statuses["face.jpg"] == statuses["clip.mp4"] == statuses["http:example.com.mp4"] == "ok"
    assert no_network == []

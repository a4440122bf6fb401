"""Errors reach the terminal as one masked, escaped line: no secret, no control character, no rich markup."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ctsim.cli import error_text
from ctsim.errors import StoreError


def test_an_error_message_is_redacted_and_its_control_characters_escaped(monkeypatch):
    monkeypatch.setenv("CTSIM_S3_SECRET_KEY", "hunter2-very-secret")
    monkeypatch.setenv("CTSIM_SIGNING_KEY", "ab" * 32)
    text = error_text(StoreError("reply was \x1b[2J\rCTSIM_S3_SECRET_KEY=hunter2-very-secret key " + "ab" * 32))

    assert "hunter2-very-secret" not in text and "ab" * 32 not in text
    assert "\x1b" not in text and "\r" not in text
    assert "\\x1b[2J" in text


def test_a_path_that_looks_like_markup_is_printed_as_it_is(tmp_path: Path):
    path = tmp_path / "odd[bold red]name.yaml"
    path.write_text("name: [unclosed\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "ctsim.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "odd[bold red]name.yaml" in result.stderr.replace("\n", "")

"""The team image's tag, kept in one file beside its Dockerfile so the build script and the components agree."""

from pathlib import Path

TEAM_IMAGE = (Path(__file__).resolve().parents[1] / "IMAGE").read_text(encoding="utf-8").strip()

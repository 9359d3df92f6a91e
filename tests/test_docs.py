"""The README stays short and points at things that exist; docs/configuration.md matches the Settings class."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))


def test_readme_is_short_and_opens_with_the_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    first_block = re.search(r"```bash\n(.*?)```", text, re.S).group(1).splitlines()
    assert [line.split()[:2] for line in first_block] == [
        ["bash", "scripts/start.sh"], ["bash", "scripts/test.sh"], ["bash", "scripts/test.sh"]]
    assert '-m "not slow"' in first_block[2]


def test_links_and_images_point_at_files_that_exist():
    for page in [ROOT / "README.md", *DOCS]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if not target.startswith(("http://", "https://")):
                assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} → {target}"


def test_configuration_doc_is_generated_from_the_settings():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "configuration_doc.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_hand_written_uvicorn_commands_pass_what_assistant_serve_passes():
    """deploy/ and docs/deployment.md start uvicorn themselves: the keep-alive and header cap `assistant serve` sets
    (assistant/cli/operations.py) are written out there, so they must follow the setting's default."""
    from assistant.settings import Settings

    keep_alive = str(int(Settings.model_fields["keep_alive"].default))
    for path in ("deploy/Dockerfile", "deploy/policy-assistant.service", "docs/deployment.md"):
        text = (ROOT / path).read_text(encoding="utf-8")
        flags = re.findall(r'--(timeout-keep-alive|h11-max-incomplete-event-size)"?,?\s+"?(\d+)', text)
        assert dict(flags) == {"timeout-keep-alive": keep_alive, "h11-max-incomplete-event-size": "65536"}, path

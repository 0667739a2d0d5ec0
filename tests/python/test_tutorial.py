"""docs/tutorial.md stays true: its Python blocks run in order (one namespace, as a reader
would type them), every `build/convkit steps` command under a picture is the one
scripts/tutorial_figures.sh runs and still works, and every picture it shows exists.
Also Steps.render, the Python door to the same renderers."""
import contextlib
import io
import json
import os
import pathlib
import re
import shlex
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import convkit

ROOT = pathlib.Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "tutorial.md"
FIGURES = ROOT / "scripts" / "tutorial_figures.sh"
CLI = os.environ.get("CONVKIT_CLI", str(ROOT / "build" / "convkit"))


def _blocks(text):
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_python_blocks_run_in_order():
    namespace = {"__name__": "tutorial"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in _blocks(TUTORIAL.read_text()):
            exec(compile(block, str(TUTORIAL), "exec"), namespace)
    printed = out.getvalue()
    assert "(12, 8) -> (10, 6) ok" in printed  # the course exercise, last size
    assert len(_blocks(TUTORIAL.read_text())) >= 10


def _commands():
    return re.findall(r"^`(build/convkit steps [^`]*)`$", TUTORIAL.read_text(), flags=re.M)


def test_pictures_exist_and_parse():
    text = TUTORIAL.read_text()
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(pictures) >= 6
    for rel in pictures:
        path = TUTORIAL.parent / rel
        assert path.exists(), rel
        if path.suffix == ".svg":
            ET.parse(path)
    gif = ROOT / "docs" / "images" / "steps_8x8.gif"
    assert gif.read_bytes()[:6] == b"GIF89a"
    assert "docs/images/steps_8x8.gif" in (ROOT / "README.md").read_text()


def test_commands_are_the_figure_script_and_run(tmp_path):
    script = FIGURES.read_text()
    commands = _commands()
    assert len(commands) >= 6
    for cmd in commands:
        assert cmd in script, f"scripts/tutorial_figures.sh does not run: {cmd}"
        args = shlex.split(cmd)
        out = tmp_path / pathlib.Path(args[4]).name
        args = [CLI] + args[1:4] + [str(out)] + args[5:]
        r = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert out.stat().st_size > 0
        if out.suffix == ".svg":
            ET.parse(out)


def test_render_from_python(tmp_path):
    image = np.arange(25.0).reshape(5, 5)
    s = convkit.steps(image, np.ones((3, 3)), padding=1, cells=[(2, 2)])
    text = s.render()
    assert "out[2,2]" in text and "three ways" in text
    doc = json.loads(s.render("json"))
    assert doc["out"][2][2] == s.out[2, 2]
    gif = convkit.steps(image, np.ones((3, 3))).render("gif")
    assert isinstance(gif, bytes) and gif[:6] == b"GIF89a"
    path = s.render(tmp_path / "cell.svg")
    ET.parse(path)
    page = s.render(str(tmp_path / "cell.html"))
    assert "<input" in pathlib.Path(page).read_text()
    with pytest.raises(ValueError, match="max_frames"):
        convkit.steps(np.zeros((30, 30)), np.ones((3, 3))).render("svg")
    assert convkit.steps(np.zeros((30, 30)), np.ones((3, 3))).render("json", max_frames=0)
    with pytest.raises(ValueError, match="target"):
        s.render("out.png")
    with pytest.raises(TypeError, match="target"):
        s.render(5)
    assert not list(tmp_path.glob("*.tmp*"))

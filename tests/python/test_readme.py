"""The README's Python blocks run as written, in order, in one interpreter (as a new user
would paste them), from a scratch directory with an out/ folder for the files they write."""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_readme_python_blocks_run(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    assert len(blocks) >= 5
    (tmp_path / "out").mkdir()
    script = tmp_path / "readme_blocks.py"
    script.write_text("\n".join(blocks))
    r = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]

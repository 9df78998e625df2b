"""The documented install: a venv with the system's packages, pip install --no-build-isolation
./python, no network (--no-index), then import mulan from elsewhere."""

import os
import subprocess
import sys

import pytest

from conftest import ROOT


@pytest.mark.install
def test_pip_installs_the_package_into_a_fresh_venv(tmp_path, model_dir, recordings):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the installed package, not the staged one
    p = subprocess.run([str(venv / "bin" / "pip"), "install", "--no-build-isolation", "--no-index", os.path.join(ROOT, "python")],
                       env=env, capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stdout + p.stderr
    script = (
        "import sys, mulan\n"
        "m = mulan.Model.load(sys.argv[1])\n"
        "print(mulan.__file__)\n"
        "print(m.embed_audio(sys.argv[2]).shape, m.embed_text(['rock']).shape)\n"
        "help(mulan.Model.embed_audio)\n"
    )
    p = subprocess.run([str(venv / "bin" / "python"), "-c", script, model_dir, recordings[0]], env=env,
                       capture_output=True, text=True, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith(str(venv / "lib")), lines[0]
    assert lines[1] == "(128,) (1, 128)"
    assert "errors: \"raise\" (default)" in p.stdout  # help() shows the docstring

"""examples/search_folder.py: embeds a folder and ranks it as the library computes it."""

import os
import shutil
import subprocess
import sys

import numpy as np

from conftest import ROOT


def test_search_folder_ranks_by_cosine(model, model_dir, recordings, tmp_path):
    folder = tmp_path / "music"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(recordings[0], folder / "a.wav")
    shutil.copy(recordings[1], folder / "sub" / "b.wav")
    shutil.copy(recordings[2], folder / "c.wav")
    (folder / "notes.txt").write_text("not audio, and not looked at")
    (folder / "broken.wav").write_text("not audio: skipped with a warning")
    queries = ["slow sad piano", "fast loud rock"]
    p = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "search_folder.py"), model_dir, str(folder), *queries,
                        "--top", "2"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "broken.wav" in p.stderr and "notes.txt" not in p.stderr
    files = [str(folder / "a.wav"), str(folder / "c.wav"), str(folder / "sub" / "b.wav")]
    scores = model.embed_audio(files) @ model.embed_text(queries).T  # float32, as the example computes
    want = []
    for q, col in zip(queries, scores.T):
        want.append(q)
        want += [f"  {col[i]:+.4f}  {files[i]}" for i in np.argsort(-col, kind="stable")[:2]]
    assert p.stdout.splitlines() == want

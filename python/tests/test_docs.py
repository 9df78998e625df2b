"""The PyTorch conditioning example of docs/python.md runs as written (on the test model)."""

import os
import re

import pytest

from conftest import ROOT


def test_the_conditioning_example_runs(model_dir):
    torch = pytest.importorskip("torch")
    with open(os.path.join(ROOT, "docs", "python.md"), encoding="utf-8") as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    example = next(b for b in blocks if "class Conditioned" in b)
    scope = {}
    exec(compile(example.replace('"my-model"', repr(model_dir)), "docs/python.md", "exec"), scope)
    assert tuple(scope["out"].shape) == (2, 16, 512)
    assert scope["condition"].dtype == torch.float32 and tuple(scope["condition"].shape) == (2, 128)

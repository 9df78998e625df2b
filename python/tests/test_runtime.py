"""What import mulan sets up, as the CLI does at start: OpenBLAS's best kernels, LibTorch's threads."""

import ctypes
import os
import subprocess
import sys

import mulan
from conftest import run_cli


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def test_openblas_runs_the_kernels_the_cli_runs(cli):
    corename = None
    for lib in ("libblas.so.3", "libopenblas.so.0"):
        try:
            corename = ctypes.CDLL(lib, mode=os.RTLD_NOLOAD | os.RTLD_LAZY).openblas_get_corename
            break
        except (OSError, AttributeError):
            continue
    if corename is None:
        import pytest

        pytest.skip("the BLAS is not OpenBLAS")
    corename.restype = ctypes.c_char_p
    in_use = corename().decode()
    assert in_use == mulan._mulan.BLAS_KERNELS
    flags = cpu_flags()
    if {"avx2", "fma"} <= flags:
        assert in_use != "Prescott", "the generic SSE3 kernels on a CPU with AVX2"


def test_threads_are_the_available_cores():
    if "OMP_NUM_THREADS" not in os.environ:
        assert mulan.get_num_threads() == len(os.sched_getaffinity(0))
    code = "import mulan; print(mulan.get_num_threads()); mulan.set_num_threads(1); print(mulan.get_num_threads())"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()
    assert out == ["1", "1"]

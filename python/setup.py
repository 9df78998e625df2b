"""Builds mulan's _mulan extension with the project's CMake, then packs it with mulan/*.py.

Run through pip from the checkout's root: ``pip install --no-build-isolation ./python``. The
build folder is the checkout's build/ (the one ``make`` uses), or $MULAN_BUILD_DIR: a second
install reuses what is already compiled there. Only the library and the module are built, not
the tests.
"""

import os
import shutil
import subprocess
import sys
import sysconfig

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


class BuildWithCMake(build_py):
    """build_py that also builds the mulan_python target and copies _mulan*.so into the package."""

    def run(self):
        build_dir = os.path.abspath(os.environ.get("MULAN_BUILD_DIR", os.path.join(ROOT, "build")))
        if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
            subprocess.check_call(
                ["cmake", "-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release", f"-DPython_EXECUTABLE={sys.executable}"]
            )
        jobs = os.environ.get("MULAN_JOBS", str(os.cpu_count() or 2))
        subprocess.check_call(["cmake", "--build", build_dir, "--target", "mulan_python", "-j", jobs])
        super().run()
        stage = os.path.join(build_dir, "python", "mulan")
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        module = os.path.join(stage, "_mulan" + suffix)
        if not os.path.exists(module):
            built = [f for f in os.listdir(stage) if f.startswith("_mulan")]
            sys.exit(
                f"mulan: {build_dir} built {built} but this Python ({sys.executable}) loads _mulan{suffix}: "
                f"configure that build folder with -DPython_EXECUTABLE={sys.executable}, or set MULAN_BUILD_DIR"
            )
        shutil.copy2(module, os.path.join(self.build_lib, "mulan"))


class BinaryDistribution(Distribution):
    """The wheel holds a compiled module: tag it for this platform and Python, not as pure Python."""

    def has_ext_modules(self):
        return True


setup(
    packages=["mulan"],
    package_data={"mulan": ["_mulan.pyi", "py.typed"]},
    cmdclass={"build_py": BuildWithCMake},
    distclass=BinaryDistribution,
)

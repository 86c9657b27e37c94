"""Builds bloomlink._core with CMake for `pip install --no-build-isolation .`.

The extension is the CMake target `_core` (bindings/python). Set BLOOMLINK_BUILD_DIR to reuse an
existing CMake build folder (scripts/test does, so the library is not compiled twice); otherwise
a folder under setuptools' build_temp is used. The interpreter running pip is the one the
extension is built for.
"""
import glob
import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = os.environ.get("BLOOMLINK_BUILD_DIR") or os.path.join(
            os.path.abspath(self.build_temp), "cmake")
        os.makedirs(build_dir, exist_ok=True)
        subprocess.check_call([
            "cmake", "-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
            "-DBLOOMLINK_PYTHON=ON", f"-DPython3_EXECUTABLE={sys.executable}",
        ], stdout=subprocess.DEVNULL)
        jobs = str(os.cpu_count() or 2)
        subprocess.check_call(["cmake", "--build", build_dir, "--target", "_core", "-j", jobs])
        built = glob.glob(os.path.join(build_dir, "python", "bloomlink", "_core*.so"))
        if not built:
            raise RuntimeError(f"CMake built no _core module in {build_dir}")
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(built[0], target)


setup(ext_modules=[CMakeExtension("bloomlink._core")], cmdclass={"build_ext": CMakeBuild})

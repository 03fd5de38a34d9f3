"""Only what setup.cfg cannot say: the VBA sources and ribbon XML live in the top-level
``macros/`` folder (where the VBA editor's export and the docs point) and install as the
package ``xjr_excel.macros`` — a mapping, so no symlink is needed in a Windows checkout."""
from setuptools import find_namespace_packages, setup

setup(
    # namespace discovery: data/ counts as a package too (setuptools warns about it otherwise)
    packages=find_namespace_packages(include=["xjr_excel", "xjr_excel.*"], exclude=["*.__pycache__"])
    + ["xjr_excel.macros"],
    package_dir={"xjr_excel.macros": "macros"},
)

"""The build step pyproject.toml cannot say: copy the shipped scenarios into the package.

The repository keeps them at the top, in scenarios/; a wheel (and so any install from it, a
`pip install --target` too) carries them as package data in nnviz/scenarios/, where
nnviz.scenario.scenario_dir() finds them. An editable install reads scenarios/ in the checkout.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithScenarios(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # the checkout's scenarios/ is found in place
        target = Path(self.build_lib) / "nnviz" / "scenarios"
        target.mkdir(parents=True, exist_ok=True)
        for source in sorted((HERE / "scenarios").glob("*.toml")):
            self.copy_file(str(source), str(target / source.name))


setup(cmdclass={"build_py": BuildWithScenarios})

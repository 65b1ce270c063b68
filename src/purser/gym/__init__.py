"""The billing gym: scenarios, a simulated customer and approver, the runner, the judge and the report."""

from purser.gym.loader import ScenarioError, find_scenario_files, load_file, load_paths
from purser.gym.scenario import Scenario

__all__ = ["Scenario", "ScenarioError", "find_scenario_files", "load_file", "load_paths"]

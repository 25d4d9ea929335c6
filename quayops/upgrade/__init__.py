"""Upgrades along the paths the guide supports (chapter 12): the graph as data, the planner, preflight
risks and OLM execution. quayops is the guard: neither the operator nor OLM refuses a wrong hop."""

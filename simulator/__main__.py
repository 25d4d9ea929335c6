"""`python -m simulator serve ...`: the same command as `quayops sim serve`."""

from quayops.cli.sim import sim

if __name__ == "__main__":
    sim(prog_name="python -m simulator")

"""`python -m server`: the same command line as the `tickscope` script (server/cli.py)."""

from server.cli import MODULE_PROG, run

if __name__ == "__main__":
    run(MODULE_PROG)

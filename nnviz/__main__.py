"""`python -m nnviz`: the same command as `nnviz`."""

from nnviz.cli import main

if __name__ == "__main__":
    main()

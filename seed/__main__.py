"""`python -m seed ...` is the `seed` command (handy under `torchrun -m seed`)."""
import sys

from seed.cli import main

if __name__ == "__main__":
    sys.exit(main())

"""python3 -m bloomlink ...: the same command line as the `bloomlink` executable."""
import sys

from . import _core


def main() -> int:
    return _core.cli_main(["bloomlink", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())

"""python3 -m bloomlink ...: the same command line as the `bloomlink` executable."""
import sys

from . import _core


def main() -> int:
    # This process runs the command line only: Ctrl-C ends it the way it ends the executable
    # (removing unfinished outputs), not with a KeyboardInterrupt between two C++ calls.
    _core.install_interrupt_handlers()
    return _core.cli_main(["bloomlink", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())

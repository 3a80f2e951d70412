"""``python -m interp_ecg``: the ``interp-ecg`` command line, for environments without its script."""

from interp_ecg.cli import app

if __name__ == "__main__":
    app(prog_name="interp-ecg")

"""`python -m bazaar_console`: run the operator console."""

from bazaar_chassis import serve
from bazaar_console.service import build_app


def main() -> None:
    serve(build_app)


if __name__ == "__main__":
    main()

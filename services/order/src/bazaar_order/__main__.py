"""`python -m bazaar_order`: run one instance of the order service."""

from bazaar_chassis import serve
from bazaar_order.service import build_app


def main() -> None:
    serve(build_app)


if __name__ == "__main__":
    main()

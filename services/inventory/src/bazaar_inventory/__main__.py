"""`python -m bazaar_inventory`: run one instance of the inventory service."""

from bazaar_chassis import serve
from bazaar_inventory.service import build_app


def main() -> None:
    serve(build_app)


if __name__ == "__main__":
    main()

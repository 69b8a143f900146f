"""`python -m bazaar_catalog`: run one instance of the catalog service."""

from bazaar_catalog.service import build_app
from bazaar_chassis import serve


def main() -> None:
    serve(build_app)


if __name__ == "__main__":
    main()

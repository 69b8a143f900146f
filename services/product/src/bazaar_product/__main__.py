"""`python -m bazaar_product`: run one instance of the product service."""

from bazaar_chassis import serve
from bazaar_product.service import build_app


def main() -> None:
    serve(build_app)


if __name__ == "__main__":
    main()

"""`python -m bazaar_pricing`: run one instance of the pricing service."""

from bazaar_chassis import serve
from bazaar_pricing.service import build_app


def main() -> None:
    serve(build_app)


if __name__ == "__main__":
    main()

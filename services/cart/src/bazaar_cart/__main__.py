"""`python -m bazaar_cart`: run one instance of the cart service."""

from bazaar_cart.service import build_app
from bazaar_chassis import serve


def main() -> None:
    serve(build_app)


if __name__ == "__main__":
    main()

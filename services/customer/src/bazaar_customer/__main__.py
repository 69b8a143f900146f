"""`python -m bazaar_customer`: run one instance of the customer service."""

from bazaar_chassis import serve
from bazaar_customer.service import build_app


def main() -> None:
    serve(build_app)


if __name__ == "__main__":
    main()

"""`python -m bazaar_payment`: run one instance of the payment service."""

from bazaar_chassis import serve
from bazaar_payment.service import build_app


def main() -> None:
    serve(build_app)


if __name__ == "__main__":
    main()

"""`python -m bazaar_promotion`: run one instance of the promotion service."""

from bazaar_chassis import serve
from bazaar_promotion.service import build_app


def main() -> None:
    serve(build_app)


if __name__ == "__main__":
    main()

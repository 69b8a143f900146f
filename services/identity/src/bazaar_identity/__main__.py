"""`python -m bazaar_identity`: run one instance of the identity service."""

from bazaar_chassis import serve
from bazaar_identity.service import build_app


def main() -> None:
    serve(build_app)


if __name__ == "__main__":
    main()

"""`python -m bazaar_category`: run one instance of the category service."""

from bazaar_category.service import build_app
from bazaar_chassis import serve


def main() -> None:
    serve(build_app)


if __name__ == "__main__":
    main()

"""`python -m bazaar_search`: run one instance of the search service."""

from bazaar_chassis import serve
from bazaar_search.service import build_app


def main() -> None:
    serve(build_app)


if __name__ == "__main__":
    main()

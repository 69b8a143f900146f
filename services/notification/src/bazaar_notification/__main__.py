"""`python -m bazaar_notification`: run one instance of the notification service."""

from bazaar_chassis import serve
from bazaar_notification.service import build_app


def main() -> None:
    serve(build_app)


if __name__ == "__main__":
    main()

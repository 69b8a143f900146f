"""`python -m bazaar_identity`: run one instance of the identity service."""

import sys

from bazaar_chassis.runner import serve
from bazaar_identity.service import build_app
from bazaar_identity.service_clients import ClientsFileInvalid
from bazaar_identity.settings import InsecureConfiguration


def main() -> None:
    try:
        serve(build_app)
    except (InsecureConfiguration, ClientsFileInvalid) as exc:
        sys.exit(f"identity cannot start: {exc}")


if __name__ == "__main__":
    main()

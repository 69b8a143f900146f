"""The demo catalog `bazaar up` seeds on first start: 4 categories, 36 products with prices and
stock, and a promotion with a discount code. Plain data, so tests and benchmarks can use it too."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class DemoProduct:
    sku: str
    name: str
    category: str
    price: int  # USD cents
    stock: int
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def description(self) -> str:
        details = ", ".join(f"{k}: {v}" for k, v in self.attributes.items())
        return f"{self.name}. {details}." if details else f"{self.name}."


CATEGORIES: list[tuple[str, str, str | None, int]] = [
    # key, name, parent, position
    ("drinks", "Drinks", None, 0),
    ("coffee", "Coffee", "drinks", 0),
    ("tea", "Tea", "drinks", 1),
    ("brewing", "Brewing gear", None, 1),
]

_COFFEES = [
    ("Ethiopia Yirgacheffe", "Ethiopia", "light"),
    ("Kenya AA Nyeri", "Kenya", "light"),
    ("Colombia Huila", "Colombia", "medium"),
    ("Guatemala Antigua", "Guatemala", "medium"),
    ("Costa Rica Tarrazu", "Costa Rica", "medium"),
    ("Brazil Cerrado", "Brazil", "medium-dark"),
    ("Sumatra Mandheling", "Indonesia", "dark"),
    ("Rwanda Huye", "Rwanda", "light"),
    ("Peru Cajamarca", "Peru", "medium"),
    ("Honduras Marcala", "Honduras", "medium"),
    ("Panama Geisha", "Panama", "light"),
    ("Yemen Haraaz", "Yemen", "medium"),
    ("House Espresso Blend", "Blend", "dark"),
    ("Decaf Mexico Chiapas", "Mexico", "medium"),
]
_TEAS = [
    ("Darjeeling First Flush", "black"),
    ("Assam Breakfast", "black"),
    ("Earl Grey Bergamot", "black"),
    ("Sencha Uji", "green"),
    ("Gyokuro Yame", "green"),
    ("Dragon Well Longjing", "green"),
    ("Tieguanyin Oolong", "oolong"),
    ("Da Hong Pao", "oolong"),
    ("Silver Needle", "white"),
    ("Ceremonial Matcha", "green"),
    ("Rooibos Vanilla", "herbal"),
    ("Chamomile Blossom", "herbal"),
]
_GEAR = [
    ("Pour-over Dripper", "ceramic"),
    ("Gooseneck Kettle", "steel"),
    ("Burr Grinder", "steel"),
    ("French Press 1L", "glass"),
    ("Paper Filters x100", "paper"),
    ("Digital Scale", "plastic"),
    ("Cold Brew Jar", "glass"),
    ("Moka Pot 6-cup", "aluminium"),
    ("Tea Infuser", "steel"),
    ("Cast Iron Teapot", "iron"),
]


def _products() -> list[DemoProduct]:
    products = [
        DemoProduct(
            sku=f"COF-{i + 1:03d}",
            name=name,
            category="coffee",
            price=1290 + 150 * (i % 7),
            stock=0 if i == 5 else 20 + 7 * i,  # one sold-out coffee shows `in_stock: false`
            attributes={"origin": origin, "roast": roast, "weight": "250 g"},
        )
        for i, (name, origin, roast) in enumerate(_COFFEES)
    ]
    products += [
        DemoProduct(
            sku=f"TEA-{i + 1:03d}",
            name=name,
            category="tea",
            price=890 + 120 * (i % 5),
            stock=15 + 5 * i,
            attributes={"type": kind, "weight": "100 g"},
        )
        for i, (name, kind) in enumerate(_TEAS)
    ]
    products += [
        DemoProduct(
            sku=f"GEAR-{i + 1:03d}",
            name=name,
            category="brewing",
            price=1990 + 1000 * (i % 6),
            stock=5 + 3 * i,
            attributes={"material": material},
        )
        for i, (name, material) in enumerate(_GEAR)
    ]
    return products


PRODUCTS: list[DemoProduct] = _products()


@dataclass(frozen=True, slots=True)
class DemoPromotion:
    terms: dict[str, Any]  # the body of POST /promotion/1/promotions
    code: str  # unlocks it: POST /promotion/1/promotions/{id}/codes
    usage_limit: int


PROMOTIONS: list[DemoPromotion] = [
    DemoPromotion(
        terms={
            "name": "Welcome: 10% off your order",
            "kind": "percentage",
            "value": 10,
            "requires_code": True,
        },
        code="WELCOME10",
        usage_limit=1000,
    ),
]

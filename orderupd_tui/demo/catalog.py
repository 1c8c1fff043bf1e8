"""The demo shop's made-up world: products, people, places and their sales taxes.

Kept apart from the generator so that the changes applied later (a new
shipping address, a new note) draw from the same world as the first orders.
All names are invented; places carry the sales taxes a US shop would collect
there, so orders show one, two or no tax lines.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Product:
    product_id: int
    variant_id: int
    title: str
    variant_title: str
    sku: str
    price_cents: int
    grams: int
    vendor: str


@dataclass(frozen=True)
class Place:
    country: str
    country_code: str
    province: str
    province_code: str
    cities: tuple[tuple[str, str], ...]  # (city, zip)
    taxes: tuple[tuple[str, float], ...]  # (title, rate) collected by the shop there


PRODUCTS: tuple[Product, ...] = (
    Product(7781234001, 42000000101, "Alpine Trail Jacket", "M / Slate", "ATJ-M-SLT", 18900, 950,
            "Ridgeline"),
    Product(7781234001, 42000000102, "Alpine Trail Jacket", "L / Moss", "ATJ-L-MOS", 18900, 990,
            "Ridgeline"),
    Product(7781234002, 42000000201, "Merino Base Layer", "S", "MBL-S", 7450, 210, "Ridgeline"),
    Product(7781234002, 42000000202, "Merino Base Layer", "M", "MBL-M", 7450, 230, "Ridgeline"),
    Product(7781234003, 42000000301, "Ceramic Pour-Over Set", "Sand", "CPO-SND", 4200, 1300,
            "Kiln & Co"),
    Product(7781234004, 42000000401, "Single-Origin Beans 1kg", "Ethiopia", "BEAN-ETH-1K", 3150,
            1000, "Kiln & Co"),
    Product(7781234004, 42000000402, "Single-Origin Beans 1kg", "Colombia", "BEAN-COL-1K", 2875,
            1000, "Kiln & Co"),
    Product(7781234005, 42000000501, "Linen Table Runner", "Natural", "LTR-NAT", 3900, 400,
            "Fieldhouse"),
    Product(7781234006, 42000000601, "Cast Iron Skillet 10in", "Default Title", "CIS-10", 5499,
            2400, "Fieldhouse"),
    Product(7781234007, 42000000701, "Beeswax Candle Trio", "Default Title", "BCT-3", 2400, 600,
            "Hive Lane"),
    Product(7781234008, 42000000801, "Canvas Tote", "Black", "TOTE-BLK", 1995, 300, "Hive Lane"),
    Product(7781234008, 42000000802, "Canvas Tote", "Ecru", "TOTE-ECR", 1995, 300, "Hive Lane"),
    Product(7781234009, 42000000901, "Trail Running Socks 3-pack", "M", "TRS-3-M", 2250, 180,
            "Ridgeline"),
    Product(7781234010, 42000001001, "Stainless Bottle 750ml", "Glacier", "SB-750-GLC", 3400, 420,
            "Ridgeline"),
    Product(7781234011, 42000001101, "Notebook A5 Dotted", "Default Title", "NB-A5-DOT", 1450, 280,
            "Paper Mill"),
    Product(7781234012, 42000001201, "Fountain Pen", "Fine / Navy", "FP-F-NVY", 8900, 60,
            "Paper Mill"),
    Product(7781234013, 42000001301, "Wool Throw Blanket", "Charcoal", "WTB-CHR", 12900, 1600,
            "Fieldhouse"),
    Product(7781234014, 42000001401, "Gift Card", "$50", "GIFT-50", 5000, 0, "Orderupd Demo"),
)

PLACES: tuple[Place, ...] = (
    Place("United States", "US", "Kentucky", "KY",
          (("Louisville", "40202"), ("Lexington", "40507")),
          (("KY State Tax", 0.06),)),
    Place("United States", "US", "New York", "NY",
          (("New York", "10001"), ("Brooklyn", "11201")),
          (("NY State Tax", 0.04), ("New York City Tax", 0.045))),
    Place("United States", "US", "California", "CA",
          (("San Francisco", "94103"), ("Oakland", "94607")),
          (("CA State Tax", 0.0725),)),
    Place("United States", "US", "Texas", "TX",
          (("Austin", "78701"), ("Houston", "77002")),
          (("TX State Tax", 0.0625),)),
    Place("United States", "US", "Oregon", "OR",
          (("Portland", "97205"),),
          ()),
    Place("Canada", "CA", "Ontario", "ON",
          (("Toronto", "M5V 2T6"), ("Ottawa", "K1P 1J1")),
          (("HST", 0.13),)),
    Place("Canada", "CA", "British Columbia", "BC",
          (("Vancouver", "V6B 1A1"),),
          (("GST", 0.05), ("PST", 0.07))),
    Place("United Kingdom", "GB", "England", "ENG",
          (("Manchester", "M1 1AE"), ("Bristol", "BS1 4DJ")),
          ()),
    Place("Germany", "DE", "Berlin", "BE",
          (("Berlin", "10115"),),
          ()),
)

FIRST_NAMES = ("Ada", "Bruno", "Chloé", "Dmitri", "Esther", "Farid", "Greta", "Hiroshi", "Ines",
               "Jonas", "Kemi", "Léon", "Mara", "Nikolai", "Olu", "Priya", "Quentin", "Rosa",
               "Soren", "Tamsin", "Uma", "Viktor", "Wen", "Yusuf", "Zoë")
LAST_NAMES = ("Abernathy", "Brandt", "Castellanos", "Duarte", "Eriksen", "Fontaine", "Grünewald",
              "Haddad", "Ivanova", "Jovanović", "Kowalski", "Lindqvist", "Moreau", "Nakamura",
              "Okafor", "Pereira", "Quigley", "Rahman", "Sato", "Thorne", "Underwood", "Varga",
              "Whitfield", "Xu", "Yilmaz")
STREETS = ("Chestnut Street", "Maple Avenue", "Harbour Road", "Station Lane", "Mill Street",
           "Orchard Way", "King Street West", "Lindenstraße", "Ferry Road", "Elm Court")
COMPANIES = ("Northwind Studio", "Bright Ledger LLC", "Acorn & Pine", "Tiller Works")
NOTES = ("Please leave the parcel at the back door.", "Gift: please leave out the receipt.",
         "Call before delivery, the buzzer is broken.", "Deliver after 5pm on weekdays.",
         "Customer asked to combine with their previous order.",
         "Fragile: double-box the ceramics.")
SHIPPING = (("Standard", "STANDARD", 599), ("Express", "EXPRESS", 1499),
            ("Free Shipping", "FREE", 0), ("Local Pickup", "PICKUP", 0))
DISCOUNTS = (("WELCOME10", "percentage", 10), ("SPRING15", "percentage", 15),
             ("TENOFF", "fixed_amount", 1000), ("FIVEOFF", "fixed_amount", 500))
GATEWAYS = ("shopify_payments", "paypal")  # "manual" is for orders paid offline (pending)
CANCEL_REASONS = ("customer", "inventory", "fraud", "declined", "other")


def postal_address(rng: random.Random, first: str, last: str, place: Place,
                   phone: str | None) -> dict[str, Any]:
    """A Shopify MailingAddress in the key order the Admin REST API sends it."""
    city, zip_code = rng.choice(place.cities)
    return {
        "first_name": first,
        "address1": f"{rng.randint(1, 980)} {rng.choice(STREETS)}",
        "phone": phone,
        "city": city,
        "zip": zip_code,
        "province": place.province,
        "country": place.country,
        "last_name": last,
        "address2": rng.choice(("", "", "", f"Apt {rng.randint(1, 40)}", "Suite 200")),
        "company": rng.choice((None, None, None, None, *COMPANIES)),
        "name": f"{first} {last}",
        "country_code": place.country_code,
        "province_code": place.province_code,
    }


def place_of(address: dict[str, Any]) -> Place:
    """The place an address lies in, so an edited address keeps the order's taxes valid."""
    for place in PLACES:
        if (place.country_code, place.province_code) == (
            address.get("country_code"), address.get("province_code")
        ):
            return place
    return PLACES[0]

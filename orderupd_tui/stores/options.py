"""What each platform's ``stores:`` entry holds: one model per connector, described once.

The config loader validates an entry against the model its ``platform``
names, the registry builds the connector from the validated model, and
``check-config`` describes it, so a platform's keys, defaults and checks
live here and nowhere else.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from orderupd_tui.config_fields import (
    STRICT,
    HttpUrl,
    Listen,
    Name,
    PageCount,
    Seconds,
    Secret,
    Since,
    Text,
    one_of,
    problem,
    secret_values,
)

PLATFORMS = ("shopify", "woocommerce", "bigcommerce", "magento", "mals", "demo")
DEMO_SPEAKS = ("shopify", "woocommerce", "bigcommerce", "magento")


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise problem("must be true or false")
    return value


def _api_version(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])|unstable", value):
        raise problem(f"must be an API version such as 2025-07, not {value!r}")
    return value


def _code(what: str) -> Any:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_]+", value):
            raise problem(f"must be a {what} of letters, digits and '_', not {value!r}")
        return value

    return check


def _currency(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
        raise problem(f"must be a three-letter currency code such as USD, not {value!r}")
    return value


Flag = Annotated[bool, BeforeValidator(_flag)]


class StoreOptions(BaseModel):
    """The keys every store has; each platform adds its own."""

    model_config = STRICT

    name: Name
    platform: str
    since: Since = None
    max_pages: PageCount = 20_000
    """The most pages one poll reads of this store: an end to a listing that never ends,
    far past what a first import of a million orders needs."""

    def secrets(self) -> list[str]:
        """The credentials this entry holds, for scrubbers and leak scans."""
        return secret_values(*(v for v in self.__dict__.values() if isinstance(v, SecretStr)))

    def options(self) -> dict[str, Any]:
        """The platform's keys as plain values (secrets revealed), defaults included."""
        out: dict[str, Any] = {}
        for key, info in type(self).model_fields.items():
            value = getattr(self, key)
            if key in ("name", "platform", "since") or value is None:
                continue
            out[info.alias or key] = (value.get_secret_value() if isinstance(value, SecretStr)
                                      else value)
        return out


class HttpStoreOptions(StoreOptions):
    """A store reached over HTTP: how long one request may take."""

    timeout: Seconds = 30.0
    """Seconds each network operation (connect, one read) may take."""
    deadline: Seconds = 120.0
    """Seconds one whole request may take, however slowly the store drips its answer."""


def _one_form(token: SecretStr | None, info: ValidationInfo, *, required: bool = True,
              ) -> SecretStr | None:
    """A fixed ``token``, or ``client_id`` with ``client_secret``: exactly one of the two.

    Run on ``token``, declared after the other two so their values are known;
    one that failed its own check is missing from ``info.data``, and its
    error is the one to show.
    """
    if "client_id" not in info.data or "client_secret" not in info.data:
        return token
    client_id, client_secret = info.data["client_id"], info.data["client_secret"]
    if token is not None and (client_id is not None or client_secret is not None):
        raise problem("give either token or client_id with client_secret, not both")
    if client_id is not None and client_secret is None:
        raise problem("is required with client_id", sibling="client_secret", missing=True)
    if client_secret is not None and client_id is None:
        raise problem("is required with client_secret", sibling="client_id", missing=True)
    if required and token is None and client_id is None:
        raise problem(f"is required for platform {info.data['platform']} "
                      "(or client_id and client_secret)", missing=True)
    return token


class ShopifyOptions(HttpStoreOptions):
    """A legacy app's fixed ``token``, or a Dev Dashboard app's ``client_id`` and secret."""

    platform: Literal["shopify"]
    url: HttpUrl
    client_id: Text | None = None
    client_secret: Secret | None = None
    token: Secret | None = Field(None, validate_default=True)
    api_version: Annotated[str, BeforeValidator(_api_version)] = "2025-07"

    @field_validator("token")
    @classmethod
    def _credentials(cls, token: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        return _one_form(token, info)


class WooCommerceOptions(HttpStoreOptions):
    platform: Literal["woocommerce"]
    url: HttpUrl
    consumer_key: Secret
    consumer_secret: Secret
    query_string_auth: Flag = False


class BigCommerceOptions(HttpStoreOptions):
    platform: Literal["bigcommerce"]
    url: HttpUrl = "https://api.bigcommerce.com"
    store_hash: Annotated[str, BeforeValidator(_code("store hash"))]
    token: Secret


class MagentoOptions(HttpStoreOptions):
    platform: Literal["magento"]
    url: HttpUrl
    token: Secret
    store_code: Annotated[str, BeforeValidator(_code("store code"))] = "default"


class MalsOptions(StoreOptions):
    platform: Literal["mals"]
    listen: Listen
    username: Text | None = None
    currency: Annotated[str, BeforeValidator(_currency)] = "USD"


class DemoOptions(HttpStoreOptions):
    """The embedded demo store, speaking one platform's API (``as:``); it has a default token."""

    platform: Literal["demo"]
    url: HttpUrl
    client_id: Text | None = None
    client_secret: Secret | None = None
    token: Secret | None = Field(None, validate_default=True)
    speaks: Annotated[str, BeforeValidator(one_of(
        DEMO_SPEAKS, phrase="the demo store speaks {choices}, not {value!r}"))] = Field(
        "shopify", alias="as")

    @field_validator("token")
    @classmethod
    def _credentials(cls, token: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        return _one_form(token, info, required=False)

    @model_validator(mode="after")
    def _shopify_only(self) -> DemoOptions:
        if self.client_id is not None and self.speaks != "shopify":
            raise problem("only a demo store speaking shopify has client credentials",
                          key="client_id")
        return self


StoreEntry = Annotated[
    ShopifyOptions | WooCommerceOptions | BigCommerceOptions | MagentoOptions | MalsOptions
    | DemoOptions,
    Field(discriminator="platform"),
]
"""One ``stores:`` entry, validated against the model its ``platform`` names."""

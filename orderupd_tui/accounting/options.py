"""What each backend's ``accounting:`` section holds: one model per backend, described once.

The config loader validates the section against the model its ``backend``
names (Beancount when it names none), and :func:`make_backend` builds the
backend from the validated model, so a backend's keys, defaults and checks
live here and nowhere else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Discriminator,
    Field,
    SecretStr,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from orderupd_tui.config_fields import (
    STRICT,
    HttpUrl,
    Ref,
    Seconds,
    Secret,
    Text,
    kind_of,
    one_of,
    path_against_base,
    problem,
    secret_values,
)

BACKENDS = ("beancount", "quickbooks", "xero", "none")
ON_RESET = ("ask", "void", "keep")
DOCUMENTS = ("auto", "sales_receipt", "invoice")
QUICKBOOKS_URL = "https://quickbooks.api.intuit.com"
XERO_URL = "https://api.xero.com"
REDIRECT_URI = "http://localhost:8766/callback"
INTUIT_TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
INTUIT_AUTH_URL = "https://appcenter.intuit.com/connect/oauth2"
XERO_TOKEN_URL = "https://identity.xero.com/connect/token"
XERO_AUTH_URL = "https://login.xero.com/identity/connect/authorize"
XERO_CONNECTIONS_URL = "https://api.xero.com/connections"
GRANTS = ("authorization_code", "client_credentials")


def _one_form(token: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
    """A fixed ``token``, or an OAuth app's ``client_id`` (and secret): exactly one.

    Run on ``token``, declared after the app's keys so their values are
    known.  Xero's authorization code grant may be a public client (PKCE),
    with no secret; every other form needs one.
    """
    if "client_id" not in info.data or "client_secret" not in info.data:
        return token  # one of them failed its own check: that error is the one to show
    client_id, secret = info.data["client_id"], info.data["client_secret"]
    backend = info.data.get("backend", "")
    public_ok = backend == "xero" and info.data.get("grant") == "authorization_code"
    if token is not None and (client_id is not None or secret is not None):
        raise problem("give either token or client_id with client_secret, not both")
    if client_id is not None and secret is None and not public_ok:
        raise problem("is required with client_id", sibling="client_secret", missing=True)
    if secret is not None and client_id is None:
        raise problem("is required with client_secret", sibling="client_id", missing=True)
    if token is None and client_id is None:
        raise problem(f"required for the {backend} backend (or client_id and client_secret)",
                      missing=True)
    return token


class BackendOptions(BaseModel):
    """The keys every backend has."""

    model_config = STRICT

    backend: str
    on_reset: Annotated[str, BeforeValidator(one_of(ON_RESET))] = "ask"

    def secrets(self) -> list[str]:
        return secret_values(*(v for v in self.__dict__.values() if isinstance(v, SecretStr)))

    def options(self) -> dict[str, Any]:
        """The backend's own keys as plain values (secrets revealed), defaults included."""
        return {k: (v.get_secret_value() if isinstance(v, SecretStr) else v)
                for k, v in self.__dict__.items()
                if k not in ("backend", "on_reset") and v is not None}


def _ledger_path(value: str, info: ValidationInfo) -> str:
    path = path_against_base(value, info)
    if Path(path).is_dir():
        raise problem(f"{path} is a folder, not a ledger file")
    return path


def _accounts(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise problem("expected a mapping of role: account")
    return value


class BeancountOptions(BackendOptions):
    backend: Literal["beancount"] = "beancount"
    path: Annotated[str, BeforeValidator(lambda v: v if isinstance(v, str) and v.strip()
                                         else _missing_path(v)), AfterValidator(_ledger_path)]
    accounts: Annotated[dict[str, str], BeforeValidator(_accounts)] = Field(default_factory=dict)
    operating_currency: Text | None = None


def _missing_path(value: Any) -> str:
    if value is None or value == "":
        raise problem("required for the beancount backend")
    raise problem(f"must be a string, not {kind_of(value)}")


class QuickBooksOptions(BackendOptions):
    backend: Literal["quickbooks"]
    url: HttpUrl = QUICKBOOKS_URL
    realm_id: Ref
    client_id: Text | None = None
    client_secret: Secret | None = None
    token: Secret | None = Field(None, validate_default=True)
    redirect_uri: HttpUrl = REDIRECT_URI
    token_url: HttpUrl = INTUIT_TOKEN_URL
    auth_url: HttpUrl = INTUIT_AUTH_URL
    item_ref: Ref
    document: Annotated[str, BeforeValidator(one_of(
        DOCUMENTS, phrase="{value!r} is not one of {choices}"))] = "auto"
    customer_ref: Ref | None = None
    minorversion: Ref = "75"
    shipping_item_ref: Ref | None = None
    tax_item_ref: Ref | None = None
    timeout: Seconds = 30.0
    deadline: Seconds = 120.0

    @field_validator("token")
    @classmethod
    def _credentials(cls, token: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        return _one_form(token, info)

    @model_validator(mode="after")
    def _customer(self) -> QuickBooksOptions:
        if self.document != "sales_receipt" and not self.customer_ref:
            raise problem("required unless document is sales_receipt "
                          "(QuickBooks invoices need a customer)", key="customer_ref")
        return self


class XeroOptions(BackendOptions):
    backend: Literal["xero"]
    url: HttpUrl = XERO_URL
    tenant_id: Text | None = None
    grant: Annotated[str, BeforeValidator(one_of(GRANTS))] = "authorization_code"
    client_id: Text | None = None
    client_secret: Secret | None = None
    token: Secret | None = Field(None, validate_default=True)
    redirect_uri: HttpUrl = REDIRECT_URI
    token_url: HttpUrl = XERO_TOKEN_URL
    auth_url: HttpUrl = XERO_AUTH_URL
    connections_url: HttpUrl = XERO_CONNECTIONS_URL
    account_code: Ref
    contact_name: Text
    shipping_account_code: Ref | None = None
    tax_account_code: Ref | None = None
    tax_type: Text = "NONE"
    timeout: Seconds = 30.0
    deadline: Seconds = 120.0

    @field_validator("token")
    @classmethod
    def _credentials(cls, token: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        return _one_form(token, info)


class NoBooks(BackendOptions):
    """``backend: none``: orders are reviewed but never posted."""

    backend: Literal["none"]


def _backend(section: Any) -> str:
    if isinstance(section, dict):
        return str(section.get("backend", "beancount"))
    return getattr(section, "backend", "beancount")


AccountingEntry = Annotated[
    Annotated[BeancountOptions, Tag("beancount")]
    | Annotated[QuickBooksOptions, Tag("quickbooks")]
    | Annotated[XeroOptions, Tag("xero")]
    | Annotated[NoBooks, Tag("none")],
    Discriminator(_backend),
]
"""The ``accounting:`` section, validated against the model its ``backend`` names."""

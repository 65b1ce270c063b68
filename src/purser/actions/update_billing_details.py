"""`update_billing_details` (write, no money): name, invoice email, billing address, VAT id."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field
from stdnum.eu import vat as eu_vat

from purser.actions.base import ActionSpec, Context, Executed, Prepared, Refusal, StrictArgs
from purser.domain import Address, CustomerId
from purser.processors import BillingProcessor

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AddressArgs(StrictArgs):
    """A billing address; null fields stay unchanged."""

    line1: str | None = Field(max_length=200, description="Street and number.")
    city: str | None = Field(max_length=100, description="City.")
    postal_code: str | None = Field(max_length=20, description="Postal code.")
    country: str | None = Field(max_length=2, description="Two-letter country code (ISO 3166-1).")


class UpdateBillingDetailsArgs(StrictArgs):
    """What to change; null = unchanged."""

    name: str | None = Field(max_length=200, description="Name on invoices.")
    email: str | None = Field(max_length=254, description="Where invoices and receipts go.")
    vat_id: str | None = Field(max_length=20, description="EU VAT number, e.g. DE136695976.")
    address: AddressArgs | None = Field(description="Billing address; null = unchanged.")


def prepare(ctx: Context, args: UpdateBillingDetailsArgs) -> Prepared:
    """Validate (email shape, country code, VAT id checksum) and quote the new details."""
    cust = ctx.snapshot.customer
    changes: dict[str, Any] = {}
    if args.name:
        changes["name"] = args.name
    if args.email:
        if not _EMAIL.match(args.email):
            raise Refusal("invalid_email", f"{args.email!r} is not an email address.", status="invalid")
        changes["email"] = args.email
    if args.vat_id:
        compact = eu_vat.compact(args.vat_id)
        if not eu_vat.is_valid(compact):
            raise Refusal("invalid_vat_id", f"{args.vat_id!r} is not a valid EU VAT number.", status="invalid")
        changes["vat_id"] = compact
    if args.address is not None:
        new = {k: v for k, v in args.address.model_dump().items() if v}
        if "country" in new:
            if not re.fullmatch(r"[A-Za-z]{2}", new["country"]):
                raise Refusal("invalid_country", "country must be a two-letter code like DE.", status="invalid")
            new["country"] = new["country"].upper()
        if new:
            old = cust.address
            changes["address"] = {
                "line1": new.get("line1", old.line1),
                "city": new.get("city", old.city),
                "postal_code": new.get("postal_code", old.postal_code),
                "country": new.get("country", old.country),
            }
    if not changes:
        raise Refusal("no_change", "Nothing to change: give a name, email, VAT id or address.", status="invalid")
    parts = [
        f"{k.replace('_', ' ')}: {v if not isinstance(v, dict) else ', '.join(x for x in v.values() if x)}"
        for k, v in changes.items()
    ]
    return Prepared(
        {"changes": changes}, {"customer_id": cust.id, "changes": changes}, "Update " + "; ".join(parts) + "."
    )


def execute(processor: BillingProcessor, plan: dict[str, Any], key: str) -> Executed:
    """Apply the changes."""
    changes = plan["changes"]
    addr = changes.get("address")
    cust = processor.update_billing_details(
        CustomerId(str(plan["customer_id"])),
        name=changes.get("name"),
        email=changes.get("email"),
        address=Address(**addr) if addr else None,
        vat_id=changes.get("vat_id"),
        idempotency_key=key,
    )
    return Executed(
        {"name": cust.name, "email": cust.email, "vat_id": cust.vat_id, "country": cust.address.country},
        "Your billing details are updated; future invoices will show them.",
    )


SPEC = ActionSpec(
    name="update_billing_details",
    description="Change the name, invoice email, billing address or VAT id printed on invoices (null = unchanged).",
    kind="write",
    input_model=UpdateBillingDetailsArgs,
    prepare=prepare,
    execute=execute,
)

"""Billing worlds: the strict schema of a scenario's `world`, its loader into a processor, the demo seed."""

from purser.worlds.schema import (
    World,
    WorldAddress,
    WorldCharge,
    WorldCustomer,
    WorldError,
    WorldInvoice,
    WorldPaymentMethod,
    WorldPlan,
    WorldRefund,
    WorldSubscription,
    describe_errors,
    load_scenario_world,
    parse_world,
)

__all__ = [
    "World",
    "WorldAddress",
    "WorldCharge",
    "WorldCustomer",
    "WorldError",
    "WorldInvoice",
    "WorldPaymentMethod",
    "WorldPlan",
    "WorldRefund",
    "WorldSubscription",
    "describe_errors",
    "load_scenario_world",
    "parse_world",
]

"""The Stripe adapter: `StripeProcessor` on the official SDK, and webhook handling."""

from purser.processors.stripe.processor import StripeProcessor

__all__ = ["StripeProcessor"]

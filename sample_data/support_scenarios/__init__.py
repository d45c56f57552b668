"""Every customer intent in the Quillfield support sample, grouped by category family."""

from . import account, billing, orders, other, technical

SCENARIOS = billing.SCENARIOS + technical.SCENARIOS + account.SCENARIOS + orders.SCENARIOS + other.SCENARIOS

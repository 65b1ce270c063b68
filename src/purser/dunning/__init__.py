"""Dunning: recovering failed payments (DESIGN §10).

cases.py     DunningCase, statuses, step records (frozen; NewType ids)
reasons.py   decline reasons as data: plain words and when a retry can help
cadence.py   when each action is due (processor clock, quiet hours in the customer's zone)
outreach.py  the messages (amount, card, reason, the signed /pay link)
service.py   Dunning: open from failures, close on payment/cancellation, run the cadence
payment.py   the /pay page's flow: a new card, an immediate retry
jobs.py      the `dunning.tick` and `dunning.event` jobs
"""

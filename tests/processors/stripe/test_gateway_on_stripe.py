"""A refund through the gateway on Stripe (localstripe over HTTP): the key and the audit link travel with it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from purser.actions.gateway import Gateway
from purser.actions.outcome import Scope
from purser.audit.log import AuditLog
from purser.audit.reconcile import reconcile
from purser.domain import CustomerId
from purser.policy import Policy
from purser.processors.stripe import StripeProcessor
from purser.processors.stripe.client import make_client
from purser.store.db import Database

from .test_localstripe import _seed


def test_refund_conversation_on_localstripe(localstripe_url: str) -> None:
    client = make_client("sk_test_purser", api_base=localstripe_url)
    ids = _seed(client)
    db = Database("sqlite://")
    db.create_all()
    processor = StripeProcessor(client, db=db, refund_reason_param=False)
    log = AuditLog(db)
    gateway = Gateway(db, processor, Policy(), log)
    scope = Scope("conv_stripe", CustomerId(ids["customer"]), "test", "test")
    charge = processor.snapshot(CustomerId(ids["customer"])).charges[0]

    proposed = gateway.propose(scope, "refund", {"charge_id": charge.id, "amount": "20.00", "reason": None})
    assert proposed.status == "needs_confirmation", proposed
    done = gateway.confirm(scope, proposed.action_id, "yes")
    assert done.status == "succeeded", done

    refunds = client.v1.refunds.list({"charge": charge.id}).data
    assert [r.amount for r in refunds] == [2000]
    metadata = refunds[0].metadata.to_dict()
    assert metadata["conversation_id"] == "conv_stripe" and metadata["action_id"] == proposed.action_id
    assert reconcile(log, processor, customers=[ids["customer"]]).ok

    behind = client.v1.refunds.create({"charge": charge.id, "amount": 1})  # behind Purser's back
    report = reconcile(log, processor, customers=[ids["customer"]])
    assert [d.refund_id for d in report.drift] == [behind.id]


def test_customer_show_through_the_stripe_processor(localstripe_url: str, tmp_path: Path) -> None:
    ids = _seed(make_client("sk_test_purser", api_base=localstripe_url))
    env = {
        **os.environ,
        "PURSER_PROCESSOR": "stripe",
        "STRIPE_API_KEY": "sk_test_purser",
        "STRIPE_API_BASE": localstripe_url,
        "PURSER_DATABASE_URL": f"sqlite:///{tmp_path}/p.db",
    }
    out = subprocess.run(
        [sys.executable, "-m", "purser.cli", "customer", "show", ids["customer"], "--json"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)
    assert ids["customer"] in json.dumps(shown)
    assert "Ana Silva" in json.dumps(shown)


def test_refund_conversation_through_the_agent_on_localstripe(localstripe_url: str) -> None:
    """The whole path: the offline model reads the account on Stripe, quotes, the customer confirms, money moves."""
    from purser.agent.events import CustomerConfirm, CustomerMessage
    from purser.app import wire
    from purser.config import Settings
    from purser.models.offline import OfflineModel

    client = make_client("sk_test_purser", api_base=localstripe_url)
    ids = _seed(client)
    db = Database("sqlite://")
    db.create_all()
    processor = StripeProcessor(client, db=db, refund_reason_param=False)
    container = wire(Settings(), db, processor, Policy(), knowledge=None, model=OfflineModel())
    charge = processor.snapshot(CustomerId(ids["customer"])).charges[0]
    cid = container.runtime.start(ids["customer"], "web")
    events = container.runtime.handle(cid, CustomerMessage(text="Please refund my last charge"))
    requests = [e for e in events if e.type == "confirmation_request"]
    assert requests, events
    done = container.runtime.handle(cid, CustomerConfirm(action_id=requests[0].action_id, decision="yes"))
    assert any(e.type == "action_result" and e.status == "succeeded" for e in done), done
    refunds = client.v1.refunds.list({"charge": charge.id}).data
    assert [r.amount for r in refunds] == [2000]
    assert refunds[0].metadata.to_dict()["conversation_id"] == cid
    assert container.audit.verify().ok

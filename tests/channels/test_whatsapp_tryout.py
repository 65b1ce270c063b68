"""`python -m purser.testing.whatsapp`: the try-out chats with a real app and a refund goes through."""

from __future__ import annotations

import io
import socket
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from purser.app import build_for_world, read_state
from purser.config import ChannelsSettings, Settings, WhatsAppSettings
from purser.gym.loader import load_file
from purser.testing._whatsapp_tryout import main
from purser.testing.whatsapp import WhatsAppServer
from purser.web.app import create_app

SCENARIO = Path(__file__).resolve().parents[1] / "gym" / "scenarios" / "refund-this-month-forgot-to-cancel.yaml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_try_out_verifies_the_webhook_chats_and_taps_confirm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _free_port()
    defaults = WhatsAppServer()  # the try-out's own server uses these same secrets
    settings = WhatsAppSettings(
        app_secret=defaults.app_secret,
        verify_token=defaults.verify_token,
        access_token=defaults.access_token,
        phone_number_id=defaults.phone_number_id,
        api_base=f"http://127.0.0.1:{port}/v21.0/",
    )
    scenario = load_file(SCENARIO)
    container = build_for_world(
        scenario.world,
        scenario.now,
        settings=Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", channels=ChannelsSettings(whatsapp=settings)),
    )
    try:
        assert container.channels is not None
        container.channels.identity.link("whatsapp", "15550001111", "cus_maya", by="admin:test")
        monkeypatch.setattr("sys.stdin", io.StringIO("\nplease refund this month's charge\n/3\n/1\n/quit\n"))
        code = main(["--purser", "http://testserver", "--port", str(port)], http=TestClient(create_app(container)))
        out = capsys.readouterr().out
        assert code == 0
        assert f"export PURSER_CHANNELS__WHATSAPP__API_BASE=http://127.0.0.1:{port}/v21.0/" in out
        assert "Webhook verified." in out
        assert "[/1] Confirm   [/2] Cancel" in out and "Amount: $20.00" in out
        assert "[no button /3 on the last interactive message]" in out
        assert "Purser: Refunded $20.00" in out
        refunds = read_state(container.db).refunds.values()
        assert [(r.charge, r.amount.amount_str()) for r in refunds] == [("ch_maya_11", "20.00")]
    finally:
        container.close()

"""`meldwijzer run` with a token: polling, webhook, command menus, start and stop."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest
from fakebotapi import text_update

from bot.cli import main
from bot.config import ConfigError
from bot.telegram import runner
from bot.telegram.app import build_application

RUBBISH = "er staan weer vuilniszakken naast de container"
ADMIN = 777


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _replies(api, chat_id: int) -> list:
    return [c for c in api.of("sendMessage") if c.params["chat_id"] == chat_id]


async def test_polling_answers_and_sets_the_command_menus(fake_api, bot_settings, services) -> None:
    app = build_application(bot_settings, services, timeout=2.0)
    await runner.start(app, bot_settings)
    try:
        fake_api.push_update(text_update(fake_api, 5001, RUBBISH))
        fake_api.push_update(text_update(fake_api, 5002, "/start", language_code="en"))
        await fake_api.wait_for(lambda: _replies(fake_api, 5001) and _replies(fake_api, 5002))
    finally:
        await runner.stop(app)
    assert "Meld dit bij" in _replies(fake_api, 5001)[0].params["text"]
    assert "Hi, I am Meldwijzer" in _replies(fake_api, 5002)[0].params["text"]
    menus = [c.params for c in fake_api.of("setMyCommands")]
    default = [m for m in menus if m["scope"] == {"type": "default"}]
    assert {m.get("language_code") for m in default} == {None, "nl"}
    names = [c["command"] for c in default[0]["commands"]]
    assert names == ["start", "help", "gebied", "spreekuren", "taal", "privacy", "wis", "stop"]
    descriptions = {m.get("language_code"): m["commands"][0]["description"] for m in default}
    assert descriptions["nl"] != descriptions[None]  # Dutch and English
    staff = [m for m in menus if m["scope"] == {"type": "chat", "chat_id": ADMIN}]
    assert {m.get("language_code") for m in staff} == {None, "nl"}
    assert not fake_api.of("setWebhook")


async def test_a_failing_menu_does_not_stop_the_bot(fake_api, bot_settings, services) -> None:
    fake_api.fail("500", "setMyCommands", times=20)
    app = build_application(bot_settings, services, timeout=2.0)
    await runner.start(app, bot_settings)
    try:
        fake_api.push_update(text_update(fake_api, 5003, RUBBISH))
        await fake_api.wait_for(lambda: _replies(fake_api, 5003))
    finally:
        await runner.stop(app)


async def test_webhook_mode_checks_the_secret_on_every_call(
    fake_api, bot_settings, services
) -> None:
    port = _free_port()
    settings = dataclasses.replace(
        bot_settings,
        webhook_url="https://bot.example.org/telegram-hook",
        webhook_secret="s3cret_-X",
        host="127.0.0.1",
        port=port,
    )
    app = build_application(settings, services, timeout=2.0)
    await runner.start(app, settings)
    try:
        hook = fake_api.of("setWebhook")[0].params
        assert hook["url"] == "https://bot.example.org/telegram-hook"
        assert hook["secret_token"] == "s3cret_-X"
        url = f"http://127.0.0.1:{port}/telegram-hook"
        update = text_update(fake_api, 5004, RUBBISH) | {"update_id": 900}
        async with httpx.AsyncClient() as client:
            refused = await client.post(url, json=update)
            wrong = await client.post(url, json=update, headers={runner.SECRET_HEADER: "nope"})
            ok = await client.post(url, json=update, headers={runner.SECRET_HEADER: "s3cret_-X"})
        assert refused.status_code == 403 and wrong.status_code == 403
        assert ok.status_code == 200
        await fake_api.wait_for(lambda: _replies(fake_api, 5004))
        assert len(_replies(fake_api, 5004)) == 1  # the refused calls were not processed
    finally:
        await runner.stop(app)
    assert not fake_api.of("getUpdates")


async def test_webhook_served_elsewhere_feeds_updates(fake_api, bot_settings, services) -> None:
    settings = dataclasses.replace(
        bot_settings, webhook_url="https://bot.example.org/hook", webhook_secret="abc"
    )
    app = build_application(settings, services, timeout=2.0)
    await runner.start(app, settings, serve_webhook=False)
    try:
        assert fake_api.of("setWebhook")[0].params["secret_token"] == "abc"
        assert runner.secret_matches(settings, "abc")
        assert not runner.secret_matches(settings, "abd")
        assert not runner.secret_matches(settings, None)
        with pytest.raises(ValueError):
            await runner.feed_webhook_update(app, {"no": "update"})
        await runner.feed_webhook_update(
            app, text_update(fake_api, 5005, RUBBISH) | {"update_id": 7}
        )
        await fake_api.wait_for(lambda: _replies(fake_api, 5005))
    finally:
        await runner.stop(app)


@pytest.mark.parametrize("secret", [None, "", "has spaces", "x" * 257])
async def test_webhook_mode_needs_a_usable_secret(fake_api, bot_settings, services, secret) -> None:
    settings = dataclasses.replace(
        bot_settings, webhook_url="https://x.example/h", webhook_secret=secret
    )
    app = build_application(settings, services)
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET"):
        await runner.start(app, settings)
    await runner.stop(app)


def test_cli_run_refuses_a_webhook_without_secret(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:abc")
    monkeypatch.setenv("WEBHOOK_URL", "https://x.example/h")
    monkeypatch.delenv("WEBHOOK_SECRET", raising=False)
    monkeypatch.setenv("MELDWIJZER_DB", str(tmp_path / "db.sqlite3"))
    assert main(["run"]) == 2
    assert "WEBHOOK_SECRET" in capsys.readouterr().err


async def test_meldwijzer_run_polls_until_sigterm(fake_api, tmp_path) -> None:
    env = os.environ | {
        "TELEGRAM_BOT_TOKEN": fake_api.token,
        "TELEGRAM_API_URL": fake_api.base_url,
        "MELDWIJZER_DB": str(tmp_path / "run.sqlite3"),
        "HOST": "127.0.0.1",
        "PORT": str(_free_port()),
    }
    env.pop("WEBHOOK_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        # the package is found from any working directory
    )
    try:
        fake_api.push_update(text_update(fake_api, 5006, RUBBISH))
        await fake_api.wait_for(lambda: _replies(fake_api, 5006), timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    log = err.decode()
    assert "polling" in log
    assert fake_api.token not in log and RUBBISH not in log
    assert Path(tmp_path / "run.sqlite3").exists()

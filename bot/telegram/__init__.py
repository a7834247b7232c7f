"""The Telegram door: python-telegram-bot handlers on the core, built by `app.build_application`.

Modules: `app` (the builder), `runner` (start/stop, polling or webhook), `resident` (the
conversation), `area` (wijkteam and /gebied), `render` (cards to Telegram HTML and keyboards),
`commands` (command menus), `outbox` (flood limits, retries, sent-message memory), `context`
(what every handler reaches through its context). `spreekuren` and `stats` plug in their own
handlers through `handlers(services)`.
"""

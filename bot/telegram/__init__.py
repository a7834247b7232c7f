"""The Telegram door: python-telegram-bot handlers on the core, built by `app.build_application`.

`app` builds the Application; `runner` starts and stops it (polling or webhook); `resident` is
the conversation and `area` the wijkteam lookups, one small handler per intent; `render` turns
cards into Telegram HTML and keyboards; `commands` sets the menus; `context` is what every
handler reaches; `outbox` (flood limits, retries, the /wis memory of `memory`), `ordering`
(per-chat order) and `aiohttprequest` (the HTTP client) carry the traffic. `spreekuren` and
`stats` plug in their own handlers through `plugins`.
"""

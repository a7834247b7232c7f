"""The Telegram door: python-telegram-bot handlers on the core, built by `app.build_application`.

`app` builds the Application; `runner` starts and stops it (polling or webhook); `resident` is
the conversation and `area` the wijkteam lookups, one small handler per intent; `render` turns
cards into Telegram HTML and keyboards; `commands` holds what each role may do (menus, /help);
`context` is what every handler reaches; `outbox` (flood limits, retries, the /wis memory of
`memory`), `ordering` (per-chat order) and `aiohttprequest` (the HTTP client) carry the traffic.
The features `spreekuren` (a package, one module per feature) and `stats` each give `app` a
`feature.Feature`: their handlers and their commands, each with the role that may use it.
"""

import os

# PTB 22.2+ gives time periods (a 429's retry_after) as ints with a deprecation warning on every
# read, its own included; opting in to the next major's timedelta silences them, and
# polling.retry_seconds reads both.
os.environ.setdefault("PTB_TIMEDELTA", "true")

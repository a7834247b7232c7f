// Meldwijzer Maastricht: the chat page. Plain JS, no build step; every text comes from
// /i18n/<lang>.json (the web catalogs), every answer from POST /api/chat, the conversation the
// Telegram bot holds: this page only shows its answers. The conversation's state (ids and flags,
// never words) lives in this page's memory and goes back with each message. Data is only ever
// put on the page as text (textContent), never as markup.
"use strict";

(() => {
  const SAFE_HREF = /^(https:|tel:|mailto:)/;
  const state = {
    lang: document.documentElement.lang || "nl",
    texts: {},
    busy: false,
    lastEscape: 0,
    chat: null, // the conversation's state, as the last answer gave it
  };

  const $ = (id) => document.getElementById(id);

  function tr(key, values) {
    let text = state.texts[key] || key;
    for (const [name, value] of Object.entries(values || {})) {
      text = text.split("{" + name + "}").join(String(value));
    }
    return text;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
    }
    for (const child of children) {
      if (child === null || child === undefined || child === "") continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  async function loadTexts(lang) {
    const response = await fetch("/i18n/" + lang + ".json", { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error("texts " + response.status);
    state.texts = await response.json();
    state.lang = lang;
  }

  function applyTexts() {
    document.documentElement.lang = state.lang;
    document.title = tr("web.page.title");
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = tr(node.dataset.i18n);
    for (const node of document.querySelectorAll("[data-i18n-title]")) node.title = tr(node.dataset.i18nTitle);
    $("lang-switch").lang = state.lang === "nl" ? "en" : "nl";
  }

  function say(text, urgent) {
    const region = urgent ? $("announce") : $("status");
    region.textContent = "";
    window.setTimeout(() => { region.textContent = text; }, 50);
  }

  async function api(method, url, body) {
    const headers = { Accept: "application/json", "X-Meldwijzer-Door": "web" };
    const options = { method, headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    try {
      const response = await fetch(url, options);
      let data = null;
      try { data = await response.json(); } catch (_) { data = null; }
      return { status: response.status, ok: response.ok, data };
    } catch (_) {
      return { status: 0, ok: false, data: null };
    }
  }

  // -- the conversation ---------------------------------------------------------------------

  function addMessage(who, content, extraClass) {
    const item = el("li", { class: "msg msg-" + who + (extraClass ? " " + extraClass : "") });
    const bubble = el("div", { class: "bubble" });
    bubble.append(content);
    item.append(bubble);
    $("log").append(item);
    // The start of the newest message in view (an answer card can be taller than a phone).
    item.scrollIntoView({ block: who === "bot" ? "start" : "nearest" });
    return item;
  }

  function addUser(text) {
    addMessage("user", el("p", { class: "user-text" }, text));
  }

  function addError(result) {
    const message = result.data && result.data.message ? result.data.message : tr("web.chat.network_error");
    addMessage("bot", el("p", { role: "alert" }, message), "msg-error");
  }

  function link(contact) {
    if (contact.href && SAFE_HREF.test(contact.href)) {
      const external = contact.href.startsWith("https:");
      return el("a", { href: contact.href, target: external ? "_blank" : null, rel: external ? "noopener noreferrer" : null }, contact.value);
    }
    return el("span", {}, contact.value);
  }

  function channelBlock(block, withWhy) {
    const part = el("div", { class: "channel" });
    const list = el("ul", { class: "contacts" });
    for (const contact of block.contacts || []) {
      list.append(el("li", {},
        el("span", { class: "contact-kind" }, tr("contact." + contact.kind) + ": "),
        link(contact),
        contact.label ? " (" + contact.label + ")" : null));
    }
    if (list.children.length) part.append(list);
    const facts = el("dl", { class: "facts" });
    const fact = (key, value) => { if (value) facts.append(el("dt", {}, tr(key)), el("dd", {}, value)); };
    fact("answer.hours", block.hours);
    if (withWhy) fact("answer.why", block.why);
    fact("answer.expect", block.expect);
    part.append(facts);
    if (block.note) part.append(el("p", { class: "note" }, block.note));
    return part;
  }

  function copyButton(text) {
    const button = el("button", { type: "button", class: "copy" }, tr("web.chat.copy"));
    button.addEventListener("click", async () => {
      let done = false;
      try {
        await navigator.clipboard.writeText(text);
        done = true;
      } catch (_) {
        const area = el("textarea", { class: "visually-hidden", "aria-hidden": "true" });
        area.value = text;
        document.body.append(area);
        area.select();
        try { done = document.execCommand("copy"); } catch (_) { done = false; }
        area.remove();
      }
      const label = done ? tr("web.chat.copied") : tr("web.chat.copy_failed");
      button.textContent = label;
      say(label);
      window.setTimeout(() => { button.textContent = tr("web.chat.copy"); }, 2500);
    });
    return button;
  }

  // Buttons that send what was picked, as the resident sees it (LABEL), to the conversation.
  function choiceList(choices) {
    const list = el("ul", { class: "options" });
    for (const choice of choices) {
      const button = el("button", { type: "button", class: "option" }, choice.label);
      button.addEventListener("click", () => pick(choice.label, choice.pick));
      list.append(el("li", {}, button));
    }
    return list;
  }

  function options(card) {
    return choiceList((card.options || []).map((o) => ({ label: o.label, pick: { situation: o.situation } })));
  }

  // The answer's first message: an emergency card whole, any other in brief (the channel, its
  // first phone and web address, hours, why); DETAILS (what happens
  // next, every contact, the other channels whole, the area team) behind the "Meer" button.
  function answerCard(card, details, text) {
    const emergency = card.kind === "emergency";
    const article = el("article", { class: "card card-" + card.kind, "data-kind": card.kind });
    if (emergency) {
      article.append(el("p", { class: "call112" },
        el("a", { href: "tel:112", class: "call112-link" }, tr("answer.emergency_first_line"))));
    }
    if (card.primary) {
      const heading = emergency ? card.primary.name : tr("answer.report_to", { name: card.primary.name });
      article.append(el("h3", { class: "card-title" }, heading));
      if (card.title) article.append(el("p", { class: "situation" }, tr("answer.situation", { title: card.title })));
      article.append(channelBlock(card.primary, true));
    }
    for (const block of card.secondary || []) { // an emergency's (a brief card has none)
      article.append(el("h4", { class: "also" }, tr("answer.also", { name: block.name })));
      article.append(channelBlock(block, false));
    }
    if (card.message) article.append(el("p", { class: "message" }, card.message));
    if (card.question) {
      article.append(el("p", { class: "question" }, card.question));
      article.append(options(card));
    }
    if (card.reminder) article.append(el("p", { class: "reminder" }, card.reminder));
    if (details) article.append(detailsPart(details));
    if (text) article.append(el("p", { class: "card-tools" }, copyButton(text)));
    return article;
  }

  let detailsCount = 0;

  // The details, in the answer's JSON already: the button only shows or hides them.
  function detailsPart(details) {
    const id = "details-" + (++detailsCount);
    const part = el("div", { class: "details" });
    const button = el("button", { type: "button", class: "more", "aria-expanded": "false", "aria-controls": id },
      tr("web.chat.more"));
    const body = el("section", { id, class: "details-body", hidden: "hidden" });
    body.append(el("h4", {}, tr("answer.details_heading", { name: details.primary.name })));
    body.append(channelBlock(details.primary, false));
    for (const block of details.secondary || []) {
      body.append(el("h4", { class: "also" }, tr("answer.also", { name: block.name })));
      body.append(channelBlock(block, false));
    }
    body.append(el("p", { class: "area-hint" }, details.area));
    button.addEventListener("click", () => {
      const open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      button.textContent = open ? tr("web.chat.less") : tr("web.chat.more");
      body.hidden = !open;
    });
    part.append(button, body);
    return part;
  }

  function showAnswer(data) {
    const card = data.card;
    addMessage("bot", answerCard(card, data.details, data.text), card.kind === "emergency" ? "msg-emergency" : null);
    if (card.kind === "emergency") say(tr("answer.emergency_first_line"), true);
    else if (card.primary) say(tr("answer.report_to", { name: card.primary.name }));
    else say(card.message || card.question || "");
  }

  function paragraph(lines) {
    // Plain text with its web addresses as links; nothing is ever parsed as markup. The first
    // line of a block of several is its heading ("Veiligheid en strafbare feiten (politie)").
    const reminder = lines.length === 1 && lines[0] === tr("answer.reminder_112");
    const node = el("p", { class: reminder ? "reminder" : null });
    if (lines.length > 1) node.append(el("strong", {}, lines[0]));
    for (const part of lines.slice(lines.length > 1 ? 1 : 0).join("\n").split(/(https:\/\/[^\s)]*[^\s).,;:!?])/)) {
      if (!part) continue;
      node.append(part.startsWith("https://")
        ? el("a", { href: part, target: "_blank", rel: "noopener noreferrer" }, part)
        : document.createTextNode(part));
    }
    return node;
  }

  function areaCard(data) {
    const card = data.card || {};
    const article = el("article", { class: "card card-area", "data-kind": "area", "data-area-kind": card.kind || "" });
    const lines = (data.text || "").split("\n");
    article.append(el("h3", { class: "card-title" }, lines[0] || ""));
    const body = el("div", { class: "area-text" });
    const candidates = card.candidates || [];
    let block = [];
    const flush = () => {
      if (block.length) body.append(paragraph(block));
      block = [];
    };
    for (const line of lines.slice(1)) {
      // The numbered buurten of a split postcode are the buttons above; the copied text keeps them.
      if (candidates.length && /^\s*\d+\.\s/.test(line)) continue;
      if (line.trim()) block.push(line.trim());
      else flush();
    }
    flush();
    if (candidates.length) {
      article.append(choiceList(candidates.map((c) => ({
        label: c.buurt + " (" + c.area_name + ")",
        pick: { buurt: c.buurt },
      }))));
    }
    article.append(body);
    if (data.calendar && data.calendar.startsWith("/spreekuren/")) {
      article.append(el("p", { class: "calendar" }, el("a", { href: data.calendar }, tr("web.chat.calendar"))));
    }
    if (data.text) article.append(el("p", { class: "card-tools" }, copyButton(data.text)));
    return article;
  }

  function showArea(data) {
    addMessage("bot", areaCard(data));
    say((data.text || "").split("\n")[0] || tr("web.chat.area_found"));
  }

  function questionCard(data) {
    const article = el("article", { class: "card card-question", "data-kind": "question", "data-asks": data.asks });
    article.append(el("p", { class: "question" }, data.text));
    if ((data.choices || []).length) article.append(choiceList(data.choices));
    if (data.reminder) article.append(el("p", { class: "reminder" }, data.reminder));
    return article;
  }

  function listingCard(data) {
    const article = el("article", { class: "card card-listing", "data-kind": "listing" });
    const lines = (data.text || "").split("\n");
    article.append(el("h3", { class: "card-title" }, lines[0] || ""));
    if (lines.length > 1) article.append(paragraph(lines.slice(1)));
    if (data.calendar && data.calendar.startsWith("/spreekuren/")) {
      article.append(el("p", { class: "calendar" }, el("a", { href: data.calendar }, tr("web.chat.calendar"))));
    }
    return article;
  }

  // One turn of the conversation: show what the answer is, keep its state for the next message.
  function showTurn(data) {
    state.chat = data.state;
    const answer = data.answer;
    if (answer.kind === "route") showAnswer(answer);
    else if (answer.kind === "area") showArea(answer);
    else if (answer.kind === "question") {
      addMessage("bot", questionCard(answer));
      say(answer.text);
    } else if (answer.kind === "listing") {
      addMessage("bot", listingCard(answer));
      say((answer.text || "").split("\n")[0]);
    } else {
      addMessage("bot", el("p", { role: "alert" }, answer.message), "msg-error");
    }
  }

  async function send(message) {
    const result = await api("POST", "/api/chat", { ...message, lang: state.lang, state: state.chat });
    if (result.ok) showTurn(result.data);
    else addError(result);
  }

  async function ask(text) {
    addUser(text);
    await send({ text });
  }

  async function pick(label, choice) {
    await busy(async () => {
      addUser(label);
      await send(choice);
    });
  }

  async function busy(work) {
    if (state.busy) return;
    state.busy = true;
    $("send").disabled = true;
    $("log").setAttribute("aria-busy", "true");
    try {
      await work();
    } finally {
      state.busy = false;
      $("send").disabled = false;
      $("log").removeAttribute("aria-busy");
    }
  }

  // -- page controls --------------------------------------------------------------------------

  function quickExit() {
    const target = $("quick-exit").dataset.href;
    try {
      $("log").replaceChildren();
      $("question").value = "";
      window.sessionStorage.clear();
      document.body.replaceChildren();
    } finally {
      window.location.replace(target);
    }
  }

  async function switchLanguage() {
    const next = state.lang === "nl" ? "en" : "nl";
    try {
      await loadTexts(next);
    } catch (_) {
      addError({ data: null });
      return;
    }
    applyTexts();
    const url = new URL(window.location.href);
    url.searchParams.set("lang", next);
    window.history.replaceState(null, "", url.pathname + url.search);
    say(tr("web.chat.language_set"));
  }

  function submit(event) {
    event.preventDefault();
    const field = $("question");
    const text = field.value.trim();
    busy(async () => {
      field.value = "";
      await ask(text);
      field.focus({ preventScroll: true });
    });
  }

  function start() {
    $("ask").addEventListener("submit", submit);
    $("question").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        $("ask").requestSubmit();
      }
    });
    $("quick-exit").addEventListener("click", quickExit);
    $("lang-switch").addEventListener("click", switchLanguage);
    // Escape twice within a second leaves the page, as the button does.
    document.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      const now = Date.now();
      if (now - state.lastEscape < 1000) quickExit();
      state.lastEscape = now;
    });
    loadTexts(state.lang).then(() => {
      document.body.dataset.ready = "true";
    }, () => {
      document.body.dataset.ready = "error";
    });
  }

  start();
})();

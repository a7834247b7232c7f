// Meldwijzer Maastricht: the chat page. Plain JS, no build step; every text comes from
// /i18n/<lang>.json (the web catalogs), every answer from the JSON API. Data is only ever put
// on the page as text (textContent), never as markup.
"use strict";

(() => {
  const POSTCODE = /^\s*[1-9][0-9]{3}\s*-?\s*([a-zA-Z]{2})?\s*$/;
  const AREA_TRY_MAX_WORDS = 4; // a short text the router did not understand may be a buurt
  const SAFE_HREF = /^(https:|tel:|mailto:)/;
  const state = { lang: document.documentElement.lang || "nl", texts: {}, busy: false, lastEscape: 0 };

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

  function options(card) {
    const list = el("ul", { class: "options" });
    for (const option of card.options || []) {
      const button = el("button", { type: "button", class: "option" }, option.label);
      button.addEventListener("click", () => pick(option));
      list.append(el("li", {}, button));
    }
    return list;
  }

  function answerCard(card, text) {
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
    for (const block of card.secondary || []) {
      article.append(el("h4", { class: "also" }, tr("answer.also", { name: block.name })));
      article.append(channelBlock(block, false));
    }
    if (card.message) article.append(el("p", { class: "message" }, card.message));
    if (card.question) {
      article.append(el("p", { class: "question" }, card.question));
      article.append(options(card));
    }
    if (card.reminder) article.append(el("p", { class: "reminder" }, card.reminder));
    if (text) article.append(el("p", { class: "card-tools" }, copyButton(text)));
    return article;
  }

  function showAnswer(data) {
    const card = data.card;
    addMessage("bot", answerCard(card, data.text), card.kind === "emergency" ? "msg-emergency" : null);
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
      const list = el("ul", { class: "options" });
      for (const candidate of candidates) {
        const button = el("button", { type: "button", class: "option" },
          candidate.buurt + " (" + candidate.area_name + ")");
        button.addEventListener("click", () => busy(() => lookUp(candidate.buurt, true)));
        list.append(el("li", {}, button));
      }
      article.append(list);
    }
    article.append(body);
    if (data.calendar && data.calendar.startsWith("/spreekuren/")) {
      article.append(el("p", { class: "calendar" }, el("a", { href: data.calendar }, tr("web.chat.calendar"))));
    }
    if (data.text) article.append(el("p", { class: "card-tools" }, copyButton(data.text)));
    return article;
  }

  async function lookUpArea(query) {
    return api("GET", "/api/area?q=" + encodeURIComponent(query) + "&lang=" + state.lang);
  }

  function showArea(data) {
    addMessage("bot", areaCard(data));
    say((data.text || "").split("\n")[0] || tr("web.chat.area_found"));
  }

  async function lookUp(text, echo) {
    if (echo) addUser(text);
    const result = await lookUpArea(text);
    if (result.ok) showArea(result.data);
    else addError(result);
  }

  async function ask(text) {
    addUser(text);
    if (POSTCODE.test(text)) {
      await lookUp(text, false);
      return;
    }
    const result = await api("POST", "/api/route", { text, lang: state.lang });
    if (!result.ok) {
      addError(result);
      return;
    }
    const words = text.trim().split(/\s+/).length;
    if (result.data.card.kind === "empty" && words <= AREA_TRY_MAX_WORDS) {
      const area = await lookUpArea(text);
      if (area.ok) {
        showArea(area.data);
        return;
      }
    }
    showAnswer(result.data);
  }

  async function pick(option) {
    await busy(async () => {
      addUser(option.label);
      const result = await api("POST", "/api/route", { situation: option.situation, lang: state.lang });
      if (result.ok) showAnswer(result.data);
      else addError(result);
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
    if (!text) {
      addMessage("bot", el("p", { role: "alert" }, tr("web.chat.empty")), "msg-error");
      field.focus();
      return;
    }
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

/* 助残问答 web chat (bot/channels/web): a plain page that talks to the REST channel of `zhucan serve`.

   Screen readers first. The conversation is one role="log" region: what the person sends and every new
   bot message are appended to it, once each, and nothing already in it is changed or added again, so a
   screen reader announces each new message once and never the history again. Focus stays in the input.
   Options are real buttons that carry the words they send; typing an option's number sends its words.
   The short first message of a verdict (payload {"answer_first": true}) is a heading that starts with
   "结论：", so that it can be told apart and found again. Other payloads ({"ask"}, {"results"},
   {"said_back"}) are for machines and are not shown.

   Privacy: the conversation is kept under "web-" and a random UUID, stored in this browser with the
   transcript; 删除我的信息 deletes both here and everything the server keeps (/webhooks/zhucan/forget). */
(function () {
  "use strict";

  var KEYS = { sender: "zhucan.sender", transcript: "zhucan.transcript", settings: "zhucan.settings" };
  var REST = new URL("../webhooks/rest/webhook", document.baseURI).href;
  var FORGET = new URL("../webhooks/zhucan/forget", document.baseURI).href;
  var CONFIG = new URL("config.json", document.baseURI).href;
  // A request that is never answered (a server going down mid-way) ends in an apology, not in silence.
  // This limits the server, never the person: nothing on the page expires.
  var ANSWER_WAIT_MS = 45000;
  var MAX_KEPT = 300; // messages kept on this device
  var EDGES = /^[\s。.！!？?，,、；;：:~～]+|[\s。.！!？?，,、；;：:~～]+$/g;
  var FULL_WIDTH_DIGITS = "０１２３４５６７８９";
  var HAN_NUMBERS = "一二三四五六七八九十";

  var SAY = {
    you: "您说：",
    answer: "结论：",
    speak: "朗读",
    waiting: "正在回答，请稍等。",
    deleting: "正在删除。",
    empty: "请先写下您的问题或回答，再按回车。",
    failed: "抱歉，系统暂时无法回答。您写的话已经放回输入框，请过一会儿按回车再发一次。",
    noAnswer: "抱歉，我没有听懂。可以换个说法再说一次。",
    forgotten: "已经删除。本系统保存的您的全部内容都删掉了：您说过的话、系统的回答，以及记下的情况，" +
      "比如地区、残疾类别和等级。这台设备上的对话记录也删掉了。可以重新开始。",
    forgetFailed: "抱歉，系统暂时连不上，这次没有删除，您的记录还在。请过一会儿再点“删除我的信息”。"
  };

  var root = document.documentElement;
  var log = document.getElementById("log");
  var form = document.getElementById("send-form");
  var input = document.getElementById("message");
  var formError = document.getElementById("form-error");
  var statusLine = document.getElementById("status");
  var forgetButton = document.getElementById("forget");
  var settingBoxes = {
    largeText: [document.getElementById("large-text"), "large-text"],
    highContrast: [document.getElementById("high-contrast"), "high-contrast"],
    speakButtons: [document.getElementById("speak-buttons"), "speak-buttons"]
  };

  // --- storage: localStorage, or memory when the browser keeps nothing -------------------------------

  var store = (function () {
    var memory = {};
    function local() {
      try { return window.localStorage; } catch (e) { return null; }
    }
    return {
      get: function (key) {
        try { var s = local(); if (s) { return s.getItem(key); } } catch (e) { /* below */ }
        return Object.prototype.hasOwnProperty.call(memory, key) ? memory[key] : null;
      },
      set: function (key, value) {
        memory[key] = value;
        try { var s = local(); if (s) { s.setItem(key, value); } } catch (e) { /* memory only */ }
      },
      remove: function (key) {
        delete memory[key];
        try { var s = local(); if (s) { s.removeItem(key); } } catch (e) { /* gone from memory */ }
      }
    };
  }());

  function randomId() {
    var c = window.crypto;
    if (c && typeof c.randomUUID === "function") { return c.randomUUID(); }
    var b = new Uint8Array(16);
    c.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  function senderId() {
    var id = store.get(KEYS.sender);
    if (!id || !/^web-[0-9a-f-]{36}$/.test(id)) {
      id = "web-" + randomId();
      store.set(KEYS.sender, id);
    }
    return id;
  }

  // --- the transcript: what the log shows, kept on this device ------------------------------------

  var messages = []; // {who: "user" | "bot", text, answer?, options?}
  var options = null; // the words of the options last offered, which a typed number picks

  function save() {
    if (messages.length > MAX_KEPT) { messages = messages.slice(messages.length - MAX_KEPT); }
    store.set(KEYS.transcript, JSON.stringify({ messages: messages, options: options }));
  }

  function restore() {
    var saved = null;
    try { saved = JSON.parse(store.get(KEYS.transcript) || "null"); } catch (e) { saved = null; }
    if (!saved || !Array.isArray(saved.messages)) { return; }
    messages = saved.messages.filter(function (m) {
      return m && (m.who === "user" || m.who === "bot") && typeof m.text === "string";
    });
    options = Array.isArray(saved.options) && saved.options.length ? saved.options : null;
    var lastOptions = null;
    messages.forEach(function (m) {
      var element = messageElement(m);
      log.appendChild(element);
      if (m.options) { lastOptions = element; }
    });
    disableOptions(lastOptions && options ? lastOptions : null);
  }

  // --- drawing messages ----------------------------------------------------------------------------

  var canSpeak = "speechSynthesis" in window && typeof window.SpeechSynthesisUtterance === "function";

  function speak(text) {
    var synth = window.speechSynthesis;
    synth.cancel();
    var utterance = new window.SpeechSynthesisUtterance(text);
    utterance.lang = "zh-CN";
    var voice = (synth.getVoices() || []).filter(function (v) { return /^zh(-|_|$)/i.test(v.lang); })[0];
    if (voice) { utterance.voice = voice; }
    synth.speak(utterance);
  }

  function messageElement(m) {
    var element = document.createElement("div");
    element.className = "msg " + m.who + (m.answer ? " answer" : "");
    var text = document.createElement(m.answer ? "h2" : "p");
    text.className = "text";
    if (m.who === "user" || m.answer) {
      var who = document.createElement("span");
      who.className = "who";
      who.textContent = m.who === "user" ? SAY.you : SAY.answer;
      text.appendChild(who);
    }
    text.appendChild(document.createTextNode(m.text));
    element.appendChild(text);
    if (m.options) {
      var group = document.createElement("div");
      group.className = "options";
      m.options.forEach(function (words, i) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "option";
        var number = document.createElement("span");
        number.className = "number";
        number.textContent = String(i + 1);
        button.appendChild(number);
        button.appendChild(document.createTextNode(" " + words));
        button.addEventListener("click", function () {
          if (button.disabled) { return; }
          submit(words, null);
        });
        group.appendChild(button);
      });
      element.appendChild(group);
    }
    if (m.who === "bot" && canSpeak) {
      var speakButton = document.createElement("button");
      speakButton.type = "button";
      speakButton.className = "speak";
      speakButton.textContent = SAY.speak;
      speakButton.addEventListener("click", function () { speak(m.text); });
      element.appendChild(speakButton);
    }
    return element;
  }

  /* Old options stay visible as history but can no longer be pressed; `keep` is the message whose
     options are still open. */
  function disableOptions(keep) {
    Array.prototype.forEach.call(log.querySelectorAll("button.option"), function (button) {
      button.disabled = !(keep && keep.contains(button));
    });
  }

  var madeLive = false;
  function makeLive() {
    if (!madeLive) { log.setAttribute("aria-live", "polite"); madeLive = true; }
  }

  /* Append new messages to the log, in order, and keep them. Returns the first new element. */
  function append(entries, keep) {
    makeLive();
    var first = null;
    var withOptions = null;
    entries.forEach(function (m) {
      var element = messageElement(m);
      log.appendChild(element);
      first = first || element;
      if (m.options) { withOptions = element; }
      if (keep !== false) { messages.push(m); }
    });
    return { first: first, withOptions: withOptions };
  }

  /* Show what is new without hiding the input: the input stays where the person can see it, unless the
     start of a long answer would then be out of sight. */
  function reveal(first) {
    input.scrollIntoView({ block: "nearest" });
    if (first && first.getBoundingClientRect().top < 0) { first.scrollIntoView({ block: "start" }); }
  }

  // --- what the conversation says ------------------------------------------------------------------

  function optionWords(buttons) {
    var words = [];
    (Array.isArray(buttons) ? buttons : []).forEach(function (b) {
      var title = b && typeof b.title === "string" ? b.title.trim() : "";
      if (title && title.indexOf("\n") < 0 && title.charAt(0) !== "/" && title.length <= 40 &&
          words.indexOf(title) < 0) {
        words.push(title);
      }
    });
    return words;
  }

  /* The replies of Rasa's REST channel as messages to show: custom payloads are not shown; the text
     just before {"answer_first": true} is the first message of a verdict. */
  function botMessages(replies) {
    var out = [];
    (Array.isArray(replies) ? replies : []).forEach(function (reply) {
      if (!reply || typeof reply !== "object") { return; }
      var custom = reply.custom && typeof reply.custom === "object" ? reply.custom : {};
      var text = typeof reply.text === "string" ? reply.text.trim() : "";
      if (custom.answer_first === true && !text && out.length) { out[out.length - 1].answer = true; }
      if (!text) { return; }
      var m = { who: "bot", text: text };
      if (custom.answer_first === true) { m.answer = true; }
      var words = optionWords(reply.buttons);
      if (words.length) { m.options = words; }
      out.push(m);
    });
    return out;
  }

  var forgetSaid = null; // the conversation's own answer to 删除我的信息 (config.json)

  function showReplies(replies) {
    if (forgetSaid && (replies || []).some(function (r) { return r && r.text === forgetSaid; })) {
      return forgetNow(); // 删除我的信息, typed: done here, as the button does
    }
    var entries = botMessages(replies);
    if (!entries.length) { entries = [{ who: "bot", text: SAY.noAnswer }]; }
    var added = append(entries);
    options = null;
    entries.forEach(function (m) { if (m.options) { options = m.options; } });
    disableOptions(added.withOptions);
    save();
    reveal(added.first);
    return null;
  }

  // --- sending -------------------------------------------------------------------------------------

  var queue = Promise.resolve(); // one request at a time, in the order sent
  var pending = 0;
  var retry = null; // {typed, id}: a message that got no answer, put back in the input

  function enqueue(task, status) {
    pending += 1;
    statusLine.textContent = status;
    queue = queue.then(task).catch(function () { /* each task reports its own failure */ }).then(function () {
      pending -= 1;
      if (!pending) { statusLine.textContent = ""; }
    });
    return queue;
  }

  function post(url, body) {
    var controller = typeof window.AbortController === "function" ? new window.AbortController() : null;
    var timer = controller ? window.setTimeout(function () { controller.abort(); }, ANSWER_WAIT_MS) : null;
    return window.fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) {
        var error = new Error("HTTP " + response.status);
        error.answered = true; // the server says it did not handle it: a new id next time
        throw error;
      }
      return response.json();
    }).finally(function () {
      if (timer !== null) { window.clearTimeout(timer); }
    });
  }

  function numberOf(text) {
    var bare = text.replace(EDGES, "");
    if (!bare || bare.length > 2) { return null; }
    if (/^[0-9０-９]+$/.test(bare)) {
      return parseInt(bare.replace(/[０-９]/g, function (d) { return String(FULL_WIDTH_DIGITS.indexOf(d)); }), 10);
    }
    if (bare.length === 1 && HAN_NUMBERS.indexOf(bare) >= 0) { return HAN_NUMBERS.indexOf(bare) + 1; }
    return null;
  }

  /* Send `words` (what the person typed, or an option's words); `typed` is what goes back into the input
     if no answer comes. */
  function submit(words, typed) {
    var id = retry && typed !== null && retry.typed === typed && retry.id ? retry.id : randomId();
    retry = null;
    var added = append([{ who: "user", text: words }]);
    save();
    input.focus();
    reveal(added.first);
    enqueue(function () {
      return post(REST, { sender: senderId(), message: words, message_id: id }).then(showReplies, function (error) {
        append([{ who: "bot", text: SAY.failed }], false);
        var back = typed === null ? words : typed;
        if (!input.value) { input.value = back; }
        // no answer at all: the same id again, so that a message the server did handle is not handled twice
        retry = { typed: back, id: error && error.answered ? null : id };
      });
    }, SAY.waiting);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var typed = input.value;
    // a leading "/" would make Rasa read the message as an intent name: only the words are sent
    var text = typed.trim().replace(/^\/+/, "").trim();
    if (!text) {
      formError.textContent = SAY.empty;
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    formError.textContent = "";
    input.removeAttribute("aria-invalid");
    var number = options ? numberOf(text) : null;
    var words = number !== null && number >= 1 && number <= options.length ? options[number - 1] : text;
    input.value = "";
    submit(words, typed);
  });

  input.addEventListener("input", function () {
    if (formError.textContent && input.value.trim()) {
      formError.textContent = "";
      input.removeAttribute("aria-invalid");
    }
  });

  // --- 删除我的信息 ----------------------------------------------------------------------------------

  function clearHere() {
    store.remove(KEYS.sender);
    store.remove(KEYS.transcript);
    messages = [];
    options = null;
    retry = null;
    while (log.firstChild) { log.removeChild(log.firstChild); }
  }

  function forgetNow() {
    var id = store.get(KEYS.sender);
    var asked = id ? post(FORGET, { sender: id }) : Promise.resolve({ forgotten: true });
    return asked.then(function (answer) {
      if (!answer || answer.forgotten !== true) { throw new Error("not deleted"); }
      clearHere();
      append([{ who: "bot", text: SAY.forgotten }], false);
    }).catch(function () {
      append([{ who: "bot", text: SAY.forgetFailed }], false);
    });
  }

  forgetButton.addEventListener("click", function () { enqueue(forgetNow, SAY.deleting); });

  // --- settings ------------------------------------------------------------------------------------

  function saveSettings() {
    var saved = {};
    Object.keys(settingBoxes).forEach(function (key) { saved[key] = settingBoxes[key][0].checked; });
    store.set(KEYS.settings, JSON.stringify(saved));
  }

  Object.keys(settingBoxes).forEach(function (key) {
    var box = settingBoxes[key][0];
    var className = settingBoxes[key][1];
    box.checked = root.classList.contains(className);
    box.addEventListener("change", function () {
      root.classList.toggle(className, box.checked);
      saveSettings();
    });
  });
  if (canSpeak) { document.getElementById("speak-setting").hidden = false; }

  // --- start ---------------------------------------------------------------------------------------

  log.setAttribute("aria-live", "off"); // the history is drawn again without being announced again
  restore();
  window.addEventListener("load", function () { window.setTimeout(makeLive, 300); });
  window.fetch(CONFIG, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
    return r.ok ? r.json() : null;
  }).then(function (config) {
    if (config && typeof config.forget_said === "string") { forgetSaid = config.forget_said; }
  }).catch(function () { /* the button still deletes */ });
}());

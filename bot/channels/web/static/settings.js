/* 助残问答 web chat: large text and high contrast as the person last chose them, applied before the
   page is first drawn so that nothing changes by itself after it appears. chat.js keeps them. */
(function () {
  "use strict";
  try {
    var saved = JSON.parse(window.localStorage.getItem("zhucan.settings") || "{}") || {};
    var root = document.documentElement;
    if (saved.largeText === true) { root.classList.add("large-text"); }
    if (saved.highContrast === true) { root.classList.add("high-contrast"); }
    if (saved.speakButtons === true) { root.classList.add("speak-buttons"); }
  } catch (e) {
    /* no storage (a private window, or switched off): the defaults */
  }
}());

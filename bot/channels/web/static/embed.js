/* 助残问答 web chat on another site's page:

     <script src="https://HOST/chat/embed.js" defer></script>

   puts the chat where the script stands (or in the element whose id is in data-target), in a frame
   titled for screen readers. data-height sets its height (default 40rem). The site's origin must be
   listed in the server's ZHUCAN_WEB_EMBED_ORIGINS, or the browser refuses the frame. The chat runs
   inside the frame, on its own origin: the site's page cannot read the conversation. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) { return; }
  var frame = document.createElement("iframe");
  frame.src = new URL("./", script.src).href;
  frame.title = script.getAttribute("data-title") || "助残问答：残疾人补贴问答";
  frame.className = "zhucan-chat";
  frame.style.display = "block";
  frame.style.width = "100%";
  frame.style.maxWidth = "48rem";
  frame.style.height = script.getAttribute("data-height") || "40rem";
  frame.style.border = "1px solid #767676";
  var target = script.getAttribute("data-target");
  var place = target ? document.getElementById(target) : null;
  if (place) {
    place.appendChild(frame);
  } else {
    script.parentNode.insertBefore(frame, script.nextSibling);
  }
}());

// The booking page in a partner's site with one tag:
//   <script src="https://INQUICK/book-assets/embed.js" data-partner="PARTNER_HOSTNAME"
//           data-title="Book a visit" async></script>
// It puts an <iframe> of /book/PARTNER_HOSTNAME where the tag is and keeps it as tall as
// its page. Optional data-schedule and data-at open it on one slot, offered to be held.
"use strict";

(() => {
  const script = document.currentScript;
  const server = new URL(script.src);
  const page = new URL(`/book/${encodeURIComponent(script.dataset.partner || "")}`, server);
  for (const name of ["schedule", "at"]) {
    if (script.dataset[name]) page.searchParams.set(name, script.dataset[name]);
  }
  const frame = document.createElement("iframe");
  frame.src = page.href;
  frame.title = script.dataset.title || "Book a visit";
  frame.style.width = "100%";
  frame.style.minHeight = "40rem";
  frame.style.border = "0";
  script.after(frame);
  // Only the frame's own page may resize it, and only by a height.
  window.addEventListener("message", (event) => {
    if (event.origin !== server.origin || event.source !== frame.contentWindow) return;
    const height = event.data && event.data.type === "inquick:height" && Number(event.data.height);
    if (height > 0) frame.style.height = `${Math.ceil(height)}px`;
  });
})();

// Progressive enhancement for every page. Load it with
// <script type="module">. Browsers that cannot run ES modules skip it and
// get the plain HTML pages, which is the support model GOV.UK Frontend uses.
//
// The site's Content-Security-Policy forbids inline scripts, so this file
// also does the job of the inline snippet in GOV.UK Frontend's page template.
//
// static/build.mjs rewrites the "govuk-frontend" import below to the hashed
// file name of GOV.UK Frontend's ES module build.
import { initAll } from "govuk-frontend";
import "./live.js";

// GOV.UK Frontend components only initialise, and their CSS only switches to
// the enhanced layout, when <body> has this class.
document.body.classList.add("govuk-frontend-supported");

/**
 * Log a component that failed to initialise, except for one that was
 * initialised already. Those are expected below, where content that htmx
 * swaps in is initialised through its parent and so meets existing components.
 */
function reportInitError(error, context) {
  if (error && error.name === "InitError") {
    return;
  }
  console.error("GOV.UK Frontend component failed to initialise", error, context);
}

initAll({ onError: reportInitError });

// htmx fires htmx:load on each element it adds, and once on <body> when it
// starts, which initAll above has already covered. The parent is the scope
// because initAll searches below the scope element, not the element itself.
//
// NOTE: a page that htmx restores from its history cache keeps the
// data-*-init markers of the components it held, so those components are not
// initialised again. If restored pages need that JavaScript, set htmx's
// historyCacheSize to 0 and refreshOnHistoryMiss to true, so that going back
// reloads the page instead.
document.addEventListener("htmx:load", (event) => {
  const element = event.target;
  if (!(element instanceof Element) || element === document.body) {
    return;
  }
  initAll({ scope: element.parentElement || element, onError: reportInitError });
});

// A mention suggestion (see templates/qa/_mention_suggestions.html) replaces
// the "@" word at the end of its text box with the chosen handle. Without
// JavaScript no suggestions appear, and members type the handle themselves.
document.addEventListener("click", (event) => {
  const button =
    event.target instanceof Element
      ? event.target.closest("[data-mention-handle]")
      : null;
  if (!button) {
    return;
  }
  const textarea = document.getElementById(button.dataset.mentionTarget);
  if (!(textarea instanceof HTMLTextAreaElement)) {
    return;
  }
  textarea.value = textarea.value.replace(
    /@[\w.-]*$/,
    `@${button.dataset.mentionHandle} `,
  );
  const list = button.closest(".forum-mentions");
  if (list) {
    list.replaceChildren();
  }
  textarea.focus();
  textarea.setSelectionRange(textarea.value.length, textarea.value.length);
});

// Palermo's only script bundle: htmx for partial page updates, plus small behaviours that
// must work under a strict Content Security Policy (no inline script, no eval).
import htmx from "htmx.org";

window.htmx = htmx;
htmx.config.includeIndicatorStyles = false; // inline styles would break the CSP
htmx.config.allowEval = false;
htmx.config.selfRequestsOnly = true;
htmx.config.historyCacheSize = 0; // never keep pages with personal data in sessionStorage
htmx.config.refreshOnHistoryMiss = true;

// Forms marked data-autosubmit submit when a select changes (the language switcher);
// without JavaScript they keep their visible submit button.
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.form && field.form.dataset.autosubmit !== undefined) {
    field.form.requestSubmit();
  }
});

document.documentElement.classList.add("js");

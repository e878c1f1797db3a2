// Progressive enhancement only: every page works without this file.
document.addEventListener('DOMContentLoaded', () => {
  // DKFDS's components; among them the error summary, which takes focus so screen readers announce
  // what to correct, and moves to the field's label when one of its links is followed.
  if (window.DKFDS && typeof window.DKFDS.init === 'function') window.DKFDS.init();
  else {
    const summary = document.querySelector('[data-module="error-summary"]');
    if (summary instanceof HTMLElement) summary.focus();
  }
});

// On a kiosk the server ends the session after the jobcenter's idle time. Warn first (WCAG 2.2.1), keep
// the session alive while the person is active, and leave for the logged-out page when time runs out,
// so nothing personal stays on the screen for the next person.
document.addEventListener('DOMContentLoaded', () => {
  const idleSeconds = Number(document.body.dataset.idleSeconds);
  const warning = document.querySelector('[data-idle-warning]');
  if (!idleSeconds || !(warning instanceof HTMLElement)) return;
  // A kiosk page that ends the visit with its own countdown (views/assets/kiosk.js) needs no second one.
  if (document.querySelector('[data-kiosk-countdown]')) return;
  const exit = document.body.dataset.idleExit || '/kiosk/udlogget';
  const countdown = warning.querySelector('[data-idle-countdown]');
  const continueButton = warning.querySelector('[data-idle-continue]');
  const warnAt = Math.max(10, Math.min(30, Math.floor(idleSeconds / 3)));
  let lastActivity = Date.now();
  let lastPing = Date.now();

  const keepAlive = () => {
    lastActivity = Date.now();
    if (Date.now() - lastPing > 15_000) {
      lastPing = Date.now();
      fetch('/api/v1/session', { credentials: 'same-origin', cache: 'no-store' }).catch(() => {});
    }
  };
  for (const type of ['keydown', 'pointerdown', 'input']) document.addEventListener(type, keepAlive, { passive: true });
  continueButton?.addEventListener('click', () => {
    lastPing = 0;
    keepAlive();
    warning.hidden = true;
  });

  setInterval(() => {
    const left = idleSeconds - Math.floor((Date.now() - lastActivity) / 1000);
    if (left <= 0) {
      window.location.assign(exit);
    } else if (left <= warnAt) {
      if (countdown) countdown.textContent = String(left);
      if (warning.hidden) {
        warning.hidden = false;
        if (continueButton instanceof HTMLElement) continueButton.focus();
      }
    }
  }, 1000);
});

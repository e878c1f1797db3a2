// The kiosk in the lobby (server/kiosk/). Progressive enhancement only: every kiosk page works without
// this file (the session still ends after the idle time and at "Færdig").
document.addEventListener('DOMContentLoaded', () => {
  // The end of a task: a visible countdown, then the "Færdig" form by itself, so nothing stays on the
  // screen for the next person. Any touch or key starts it again: more time with one simple action.
  const box = document.querySelector('[data-kiosk-countdown]');
  if (box instanceof HTMLElement) {
    const total = Number(box.dataset.kioskCountdown) || 30;
    const text = box.querySelector('[data-kiosk-countdown-text]');
    const seconds = box.querySelector('[data-kiosk-seconds]');
    const form = box.querySelector('form[data-kiosk-finish-form]');
    let deadline = Date.now() + total * 1000;
    let done = false;
    const tick = () => {
      const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      if (seconds) seconds.textContent = String(left);
      if (left === 0 && !done && form instanceof HTMLFormElement) {
        done = true;
        form.submit();
      }
    };
    const restart = () => {
      if (done) return;
      deadline = Date.now() + total * 1000;
      tick();
    };
    if (text instanceof HTMLElement) text.hidden = false;
    for (const type of ['keydown', 'pointerdown']) document.addEventListener(type, restart, { passive: true });
    setInterval(tick, 1000);
  }

  // Printing the receipt needs the browser, so the button comes with the script.
  const print = document.querySelector('[data-kiosk-print]');
  if (print instanceof HTMLButtonElement) {
    print.hidden = false;
    print.addEventListener('click', () => window.print());
  }
});

// A page brought back from the browser's memory (back/forward cache) asks the server again: after a
// logout that is the start screen, never the person before.
window.addEventListener('pageshow', (event) => {
  if (event.persisted) window.location.reload();
});

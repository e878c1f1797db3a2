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

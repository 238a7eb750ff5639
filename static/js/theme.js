/* Apply the saved theme before the page paints: loaded without defer from <head> (no inline script, for CSP). */
(function () {
  var t = localStorage.getItem('evalhub-theme');
  if (t) document.documentElement.setAttribute('data-theme', t);
})();

"""The merchant console: server-rendered HTML screens over the same service code as the merchant
API (:mod:`connector.api`). Two ways in, both ending in a short-lived console session that the
page's script sends as a header on every request (never a cookie: an iframe's third-party
cookies are not sent by current browsers):

- inside the Ecwid admin, from the encrypted ``payload`` Ecwid adds to the app page's URL
  (:mod:`connector.console.payload`);
- on its own at ``/console``, from the merchant's existing credential (the install's session
  cookie, the connection token, or a sign-in link the merchant API hands out)
  (:mod:`connector.console.access`).

Routes are on the merchant API function (:mod:`connector.console.routes`); templates are Jinja2
with autoescaping (store text is untrusted HTML); the CSS and script are our own files under
``static/``, served by the stack.
"""

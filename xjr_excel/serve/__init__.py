"""``xjr serve``: the web page and JSON API over the same pipeline as the CLI.

Modules, one job each:

- ``config``   what the server was started with (host, port, folders) and the ``[serve]`` policy limits;
- ``auth``     the accounts file (argon2 hashes, roles, API tokens), who a request is, CSRF;
- ``store``    the private work folder: per-request upload folders (always deleted) and the
               short-lived store of results waiting to be downloaded;
- ``uploads``  a streaming multipart reader that writes uploads only into a request's folder, within limits;
- ``pool``     the bounded pool of worker processes (a file that kills its worker costs only its request);
- ``work``     what a worker runs: the same functions the CLI calls;
- ``api``      the JSON routes; ``app`` puts routes, middleware and static page together;
- ``cli``      the ``xjr serve`` command (run the server, ``--add-user``);
- ``static/``  the page (HTML, CSS, JS), shipped in the package: no CDN.
"""

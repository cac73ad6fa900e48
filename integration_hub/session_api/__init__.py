"""The Session API edge: what the game page (static/hub/igsp-init.js) calls under /igsp/v1/sessions/<id>/, for
IGSP, Public API and demo sessions alike.

- ``authentication.py``: ``X-Casino-Key`` (the session token) and the permission that requires it;
- ``launch.py``: the session key's prefix and the launch URL that hands the key to the game page;
- ``serializers.py``: the input bodies (bet, cash-out preview, cash-out), parsed into typed values, and the
  output serializers that shape ``games/services.py``'s domain results into the answers;
- ``views.py``: one ``APIView`` per operation, each calling one function of ``games/services.py``;
- ``urls.py``: the routes, included by ``integration_hub/igsp/urls.py`` (same paths and names as ever).
"""

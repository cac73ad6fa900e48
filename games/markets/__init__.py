"""Prediction markets: LMSR pricing (``lmsr.py``, pure), books, quotes, positions and status changes
(``services.py``), settlement of a market through the wallet (``settlement.py``)."""

"""Prediction markets, one job per module: LMSR pricing (``lmsr.py``, pure); the settings readers and stake
checks (``limits.py``); the books, the market's row lock and the audit event (``books.py``); quotes and
positions (``trading.py``); cash-outs (``cashout.py``); creation, status changes and settlement amounts
(``lifecycle.py``); the refusals (``errors.py``); settlement of a market through the wallet (``settlement.py``)."""

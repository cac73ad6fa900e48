"""TraderHero: the provably-fair algorithm (``fairness.py``, pure), rounds (``services.py``) and their
settlement through the wallet (``settlement.py``)."""

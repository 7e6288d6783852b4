"""An emulated SMETS1 Service Provider (one per cohort: IOC, MOC, FOC)."""

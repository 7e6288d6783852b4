"""The emulated DCC Data Service Provider (sans-IO)."""

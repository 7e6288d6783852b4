"""Where I/O lives: transports (in-memory, MQTT), role services, runners."""

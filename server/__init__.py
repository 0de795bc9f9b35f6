"""Tickscope's server: market simulator, WebSocket hub and server-rendered dashboard."""

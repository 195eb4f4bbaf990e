"""Vellarys: an AI sales assistant for real-estate agencies on WhatsApp."""

__version__ = "0.1.0"

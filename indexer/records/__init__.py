"""What is known of each stored document: its provenance events, its description as the
CLI and API show it, the corrections people make to it, and its page images.

May import ``extract`` and ``thai``.
"""

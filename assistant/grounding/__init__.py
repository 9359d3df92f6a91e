"""What answering, tolerance screening and course packs stand on: the cited-passage model, the in-force
policy, sentences and citation markers, and the chat model."""

"""Kafka: topic layout, producer, and the batch consumer of the projector."""
